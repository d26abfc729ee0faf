"""Turning a remediation into the smallest correct change to the files of a GitOps checkout.

The rule everywhere: change the most specific place that already holds the value (the
environment's overlay or values file before a shared base), and when nothing holds it yet, add it
there, never to a base that every environment shares. Each edit goes through `yamldoc`, so the
rest of every file keeps its bytes.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from agent.gitops.locate import Location, RepoIndex
from agent.gitops.remediation import Remediation, split_image
from agent.gitops.yamldoc import YamlEditError, YamlFile, child_map, child_seq, set_value, string_scalar


@dataclass
class FileChange:
    """One file's content before and after; `before` is None for a file Vigil creates."""

    path: str
    before: str | None
    after: str


@dataclass
class ChangeSet:
    """Everything one remediation changes, with notes a reviewer should read."""

    location: Location
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [c.path for c in self.changes]


class _Workspace:
    """Files loaded for editing, so several edits to one file accumulate into one change."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.files: dict[str, YamlFile] = {}
        self.created: dict[str, str] = {}

    def load(self, path: str) -> YamlFile:
        if path not in self.files:
            text = (self.index.root / path).read_text(encoding="utf-8")
            self.files[path] = YamlFile.parse(path, text)
        return self.files[path]

    def doc(self, path: str, kind: str, name: str) -> CommentedMap:
        for doc in self.load(path).docs:
            if isinstance(doc, CommentedMap) and str(doc.get("kind", "")).lower() == kind.lower() \
                    and (doc.get("metadata") or {}).get("name") == name:
                return doc
        raise YamlEditError(f"{path} holds no {kind} named {name}")

    def changes(self) -> list[FileChange]:
        out = []
        for path, file in self.files.items():
            after = file.render()
            if after != file.original:
                out.append(FileChange(path, file.original, after))
        out.extend(FileChange(path, None, text) for path, text in self.created.items())
        return out


def plan_change(index: RepoIndex, location: Location, remediation: Remediation) -> ChangeSet:
    """Compute (in memory) the file changes for `remediation`; nothing is written."""
    ws = _Workspace(index)
    result = ChangeSet(location)
    editor = {"kustomize": _KustomizeEditor, "helm": _HelmEditor, "manifest": _ManifestEditor}[location.layout]
    editor(ws, location, remediation, result.notes).apply()
    result.changes = ws.changes()
    if not result.changes:
        raise NoChangeNeeded(f"{remediation.summary()}: the repository already says so; nothing to change")
    return result


class NoChangeNeeded(ValueError):
    """The repository already holds the requested value."""


def pick_container(workload_obj: dict[str, Any], remediation: Remediation) -> str:
    """The container the fix is for: named, the only one, or the one named like the workload."""
    containers = _pod_spec(workload_obj).get("containers") or []
    names = [str(c.get("name")) for c in containers if isinstance(c, dict)]
    wanted = remediation.workload.container
    if wanted:
        if wanted not in names:
            raise YamlEditError(f"container {wanted!r} is not in {remediation.workload.name}; it has {names}")
        return wanted
    if len(names) == 1:
        return names[0]
    if remediation.workload.name in names:
        return remediation.workload.name
    raise YamlEditError(f"{remediation.workload.name} has containers {names}; say which in workload.container")


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if str(obj.get("kind", "")).lower() == "cronjob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def _container(obj: CommentedMap, name: str, create: bool) -> CommentedMap:
    spec = child_map(obj, "spec")
    if str(obj.get("kind", "")).lower() == "cronjob":
        spec = child_map(child_map(spec, "jobTemplate"), "spec")
    pod = child_map(child_map(spec, "template"), "spec")
    containers = child_seq(pod, "containers")
    for c in containers:
        if isinstance(c, CommentedMap) and c.get("name") == name:
            return c
    if not create:
        raise YamlEditError(f"container {name!r} not found")
    entry = CommentedMap()
    entry["name"] = name
    containers.append(entry)
    return entry


def _edit_container(c: CommentedMap, r: Remediation, notes: list[str]) -> None:
    """Resources, env and probe edits, the same for a full manifest and a strategic-merge patch."""
    if r.action in ("set_memory_limit", "set_cpu_limit"):
        resource = "memory" if r.action == "set_memory_limit" else "cpu"
        set_value(child_map(child_map(c, "resources"), "limits"), resource, str(r.value))
    elif r.action == "set_resources":
        for where, values in (("limits", r.limits), ("requests", r.requests)):
            for res, qty in values.items():
                set_value(child_map(child_map(c, "resources"), where), res, str(qty))
    elif r.action == "set_env":
        env = child_seq(c, "env")
        for entry in env:
            if isinstance(entry, CommentedMap) and entry.get("name") == r.name:
                if "valueFrom" in entry:
                    del entry["valueFrom"]
                    notes.append(f"env {r.name} came from valueFrom; it is now a literal value")
                set_value(entry, "value", str(r.value))
                return
        entry = CommentedMap()
        entry["name"] = r.name
        entry["value"] = string_scalar(str(r.value))
        env.append(entry)
    elif r.action == "set_probe":
        probe = child_map(c, r.probe_key)
        for key, number in r.settings.items():
            set_value(probe, key, int(number))
    else:  # pragma: no cover - dispatch guarantees the action
        raise YamlEditError(f"{r.action} is not a container edit")


class _Editor:
    def __init__(self, ws: _Workspace, loc: Location, r: Remediation, notes: list[str]) -> None:
        self.ws, self.loc, self.r, self.notes = ws, loc, r, notes
        self.workload = ws.index.find(r.workload.kind, r.workload.name, [loc.workload_file])
        self.base_obj: dict[str, Any] = self.workload[0][1] if self.workload else {}

    def container_name(self) -> str:
        return pick_container(self.base_obj, self.r)

    def apply(self) -> None:
        raise NotImplementedError


class _ManifestEditor(_Editor):
    """Plain manifests: edit the objects where they are."""

    def apply(self) -> None:
        r, w = self.r, self.r.workload
        obj = self.ws.doc(self.loc.workload_file, w.kind, w.name)
        if r.action in ("set_memory_limit", "set_cpu_limit", "set_resources", "set_env", "set_probe"):
            _edit_container(_container(obj, self.container_name(), create=False), r, self.notes)
        elif r.action in ("set_image", "rollback_image"):
            c = _container(obj, self.container_name(), create=False)
            set_value(c, "image", _new_image(str(c.get("image", "")), str(r.image)))
        elif r.action == "set_replicas":
            set_value(child_map(obj, "spec"), "replicas", int(str(r.value)))
            self._warn_hpa()
        elif r.action == "set_hpa_bounds":
            path, hpa = self._hpa()
            doc = self.ws.doc(path, "HorizontalPodAutoscaler", hpa)
            _set_bounds(child_map(doc, "spec"), r)
        elif r.action == "set_configmap_value":
            found = [(p, o) for p, o in self.ws.index.find("ConfigMap", str(r.configmap))
                     if (o.get("metadata") or {}).get("namespace") in (None, w.namespace)]
            if not found:
                raise YamlEditError(f"no ConfigMap {r.configmap} in namespace {w.namespace} in the repository")
            doc = self.ws.doc(found[0][0], "ConfigMap", str(r.configmap))
            set_value(child_map(doc, "data"), str(r.key), str(r.value))

    def _hpa(self) -> tuple[str, str]:
        for path in self.ws.index.docs:
            if "HorizontalPodAutoscaler" not in self.ws.index.docs.texts[path]:
                continue
            for obj in self.ws.index.objects(path):
                if obj.get("kind") == "HorizontalPodAutoscaler" and \
                        ((obj.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == self.r.workload.name:
                    return path, str(obj["metadata"]["name"])
        raise YamlEditError(f"no HorizontalPodAutoscaler targets {self.r.workload.name}; use set_replicas instead")

    def _warn_hpa(self) -> None:
        try:
            self._hpa()
        except YamlEditError:
            return
        self.notes.append("a HorizontalPodAutoscaler manages this workload; it may override the replica count")


class _KustomizeEditor(_ManifestEditor):
    """Kustomize: write into the environment's overlay (images:, replicas:, generators, patches)."""

    @property
    def kust_path(self) -> str:
        assert self.loc.kustomization
        return self.loc.kustomization

    def kustomization(self) -> CommentedMap:
        doc = self.ws.load(self.kust_path).docs[0]
        if not isinstance(doc, CommentedMap):
            raise YamlEditError(f"{self.kust_path} is not a mapping")
        return doc

    def apply(self) -> None:
        r = self.r
        if r.action in ("set_image", "rollback_image"):
            self._image()
        elif r.action == "set_replicas":
            self._replicas()
        elif r.action == "set_hpa_bounds":
            _, hpa = self._overlay_hpa()
            _set_bounds(child_map(self._patch_doc("HorizontalPodAutoscaler", hpa), "spec"), r)
        elif r.action == "set_configmap_value":
            self._configmap()
        else:
            doc = self._patch_doc(r.workload.kind, r.workload.name)
            _edit_container(_container(doc, self.container_name(), create=True), r, self.notes)

    def _image(self) -> None:
        current = str(_pod_spec(self.base_obj).get("containers", [{}])[0].get("image", ""))
        for c in _pod_spec(self.base_obj).get("containers") or []:
            if c.get("name") == self.container_name():
                current = str(c.get("image", ""))
        base_repo = split_image(current)[0] or current
        repo, tag, digest = split_image(str(self.r.image))
        images = child_seq(self.kustomization(), "images")
        entry = next((e for e in images if isinstance(e, CommentedMap) and e.get("name") == base_repo), None)
        if entry is None:
            entry = CommentedMap()
            entry["name"] = base_repo
            images.append(entry)
        if (repo and repo != base_repo) or ("newName" in entry and repo):
            set_value(entry, "newName", repo)
        if digest:
            set_value(entry, "digest", digest)
            entry.pop("newTag", None)
        elif tag:
            set_value(entry, "newTag", tag)
            entry.pop("digest", None)

    def _replicas(self) -> None:
        count = int(str(self.r.value))
        kust = self.kustomization()
        replicas = kust.get("replicas")
        if isinstance(replicas, CommentedSeq):
            for entry in replicas:
                if isinstance(entry, CommentedMap) and entry.get("name") == self.r.workload.name:
                    set_value(entry, "count", count)
                    self._warn_hpa()
                    return
        patch = self._existing_patch(self.r.workload.kind, self.r.workload.name)
        if patch and "replicas" in (self.ws.doc(patch, self.r.workload.kind, self.r.workload.name).get("spec") or {}):
            set_value(child_map(self.ws.doc(patch, self.r.workload.kind, self.r.workload.name), "spec"),
                      "replicas", count)
        else:
            entry = CommentedMap()
            entry["name"] = self.r.workload.name
            entry["count"] = count
            child_seq(kust, "replicas").append(entry)
        self._warn_hpa()

    def _overlay_hpa(self) -> tuple[str, str]:
        for path in self.loc.resources:
            for obj in self.ws.index.objects(path):
                if obj.get("kind") == "HorizontalPodAutoscaler" and \
                        ((obj.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == self.r.workload.name:
                    return path, str(obj["metadata"]["name"])
        raise YamlEditError(f"no HorizontalPodAutoscaler targets {self.r.workload.name} in "
                            f"{self.loc.overlay_dir}; use set_replicas instead")

    def _warn_hpa(self) -> None:
        try:
            self._overlay_hpa()
        except YamlEditError:
            return
        self.notes.append("a HorizontalPodAutoscaler manages this workload; it may override the replica count")

    def _configmap(self) -> None:
        r = self.r
        literal = f"{r.key}={r.value}"
        generators = self.kustomization().get("configMapGenerator")
        for gen in generators or []:
            if isinstance(gen, CommentedMap) and gen.get("name") == r.configmap:
                literals = child_seq(gen, "literals")
                for i, item in enumerate(literals):
                    if str(item).split("=", 1)[0] == r.key:
                        if str(item) != literal:
                            literals[i] = string_scalar(literal, item)
                        return
                literals.append(string_scalar(literal))
                return
        base_generated = any(
            isinstance(g, dict) and g.get("name") == r.configmap
            for k in self.ws.index.kustomizations() if k != self.kust_path
            for g in (self.ws.index.kustomize_data(k).get("configMapGenerator") or [])
        )
        if base_generated:
            gen = CommentedMap()
            gen["name"] = r.configmap
            gen["behavior"] = "merge"
            gen["literals"] = CommentedSeq([string_scalar(literal)])
            child_seq(self.kustomization(), "configMapGenerator").append(gen)
            return
        if not self.ws.index.find("ConfigMap", str(r.configmap), self.loc.resources):
            raise YamlEditError(f"overlay {self.loc.overlay_dir} renders no ConfigMap {r.configmap}")
        set_value(child_map(self._patch_doc("ConfigMap", str(r.configmap)), "data"), str(r.key), str(r.value))

    def _patch_entries(self) -> list[str]:
        kust = self.kustomization()
        files = []
        for entry in kust.get("patches") or []:
            if isinstance(entry, CommentedMap) and entry.get("path") and not entry.get("target"):
                files.append(str(entry["path"]))
        files.extend(str(p) for p in kust.get("patchesStrategicMerge") or [] if isinstance(p, str))
        overlay = self.loc.overlay_dir or ""
        return [posixpath.normpath(posixpath.join(overlay, f)) for f in files]

    def _existing_patch(self, kind: str, name: str) -> str | None:
        for path in self._patch_entries():
            if self.ws.index.find(kind, name, [path]):
                return path
        return None

    def _patch_doc(self, kind: str, name: str) -> CommentedMap:
        """The overlay's strategic-merge patch for the object, created and registered when missing."""
        existing = self._existing_patch(kind, name)
        if existing:
            return self.ws.doc(existing, kind, name)
        filename = f"{name}-{kind.lower()}-patch.yaml"
        path = posixpath.join(self.loc.overlay_dir or "", filename)
        for other in self.ws.index.find(kind, name, self.loc.resources):
            api_version = str(other[1].get("apiVersion", "v1"))
            break
        else:
            api_version = "v1"
        file = YamlFile.parse(path, f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n")
        self.ws.files[path] = file
        file.original = ""
        kust = self.kustomization()
        if "patchesStrategicMerge" in kust and "patches" not in kust:
            child_seq(kust, "patchesStrategicMerge").append(filename)
        else:
            entry = CommentedMap()
            entry["path"] = filename
            child_seq(kust, "patches").append(entry)
        self.notes.append(f"created patch {path} in the overlay")
        return file.docs[0]


class _HelmEditor(_Editor):
    """Helm: write into the environment's values file using the `helm create` key conventions."""

    def apply(self) -> None:
        assert self.loc.values_file
        file = self.ws.load(self.loc.values_file)
        if file.docs and file.docs[0] is None:
            file.docs[0] = CommentedMap()
        values = file.docs[0]
        if not isinstance(values, CommentedMap):
            raise YamlEditError(f"{self.loc.values_file} is not a mapping")
        defaults = ((self.ws.index.docs.get(self.loc.workload_file) or [{}])[0]) or {}
        r = self.r
        if r.action in ("set_memory_limit", "set_cpu_limit"):
            resource = "memory" if r.action == "set_memory_limit" else "cpu"
            set_value(child_map(child_map(values, "resources"), "limits"), resource, str(r.value))
        elif r.action == "set_resources":
            for where, entries in (("limits", r.limits), ("requests", r.requests)):
                for res, qty in entries.items():
                    set_value(child_map(child_map(values, "resources"), where), res, str(qty))
        elif r.action in ("set_image", "rollback_image"):
            repo, tag, digest = split_image(str(r.image))
            image = child_map(values, "image")
            current_repo = image.get("repository") or (defaults.get("image") or {}).get("repository")
            if repo and repo != current_repo:
                set_value(image, "repository", repo)
            if digest:
                set_value(image, "digest", digest)
            elif tag:
                set_value(image, "tag", tag)
        elif r.action == "set_replicas":
            set_value(values, "replicaCount", int(str(r.value)))
            autoscaling = values.get("autoscaling") or defaults.get("autoscaling") or {}
            if autoscaling.get("enabled"):
                self.notes.append("autoscaling is enabled in these values; the chart ignores replicaCount then")
        elif r.action == "set_hpa_bounds":
            _set_bounds(child_map(values, "autoscaling"), r)
        elif r.action == "set_env":
            self._env(values, defaults)
        elif r.action == "set_probe":
            probe = child_map(values, r.probe_key)
            for key, number in r.settings.items():
                set_value(probe, key, int(number))
        elif r.action == "set_configmap_value":
            section = next((k for k in ("config", "configMap", "configmap", "configData")
                            if isinstance(values.get(k), dict) or isinstance(defaults.get(k), dict)), None)
            if section is None:
                raise YamlEditError(f"chart {self.loc.chart_dir} has no config/configMap mapping in its values; "
                                    "change the ConfigMap template or values by hand")
            set_value(child_map(values, section), str(r.key), str(r.value))

    def _env(self, values: CommentedMap, defaults: dict[str, Any]) -> None:
        r = self.r
        shape = values.get("env", defaults.get("env"))
        if isinstance(shape, dict) or (shape is None and "env" in defaults):
            set_value(child_map(values, "env"), str(r.name), str(r.value))
            return
        if isinstance(shape, list):
            env = child_seq(values, "env")
            if not env and defaults.get("env"):
                raise YamlEditError("the env list lives in values.yaml; a list in the environment's values would "
                                    "replace it entirely. Add the variable by hand")
            for entry in env:
                if isinstance(entry, CommentedMap) and entry.get("name") == r.name:
                    set_value(entry, "value", str(r.value))
                    return
            entry = CommentedMap()
            entry["name"] = r.name
            entry["value"] = string_scalar(str(r.value))
            env.append(entry)
            return
        raise YamlEditError(f"chart {self.loc.chart_dir} has no `env` in its values; the chart's env "
                            "convention is unknown, so set the variable by hand")


def _set_bounds(spec: CommentedMap, r: Remediation) -> None:
    if r.min_replicas is not None:
        set_value(spec, "minReplicas", r.min_replicas)
    if r.max_replicas is not None:
        set_value(spec, "maxReplicas", r.max_replicas)


def _new_image(current: str, requested: str) -> str:
    """The full image reference: a bare tag keeps the current repository."""
    repo, tag, digest = split_image(requested)
    if repo:
        return requested
    current_repo = split_image(current)[0] or current
    return f"{current_repo}@{digest}" if digest else f"{current_repo}:{tag}"
