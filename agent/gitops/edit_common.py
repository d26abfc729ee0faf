"""What every editor shares: the change set, the workspace of loaded files, container edits, and
the plain-manifest editor that the Kustomize editor builds on.

See `edits.py` for the rule all editors follow (edit the most specific place that holds the value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap

from agent.gitops.locate import Location, RepoIndex
from agent.gitops.paths import read_inside
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


class Workspace:
    """Files loaded for editing, so several edits to one file accumulate into one change."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.files: dict[str, YamlFile] = {}
        self.created: dict[str, str] = {}

    def load(self, path: str) -> YamlFile:
        if path not in self.files:
            text = read_inside(self.index.root, path)
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


class NoChangeNeeded(ValueError):
    """The repository already holds the requested value."""


def pick_container(workload_obj: dict[str, Any], remediation: Remediation) -> str:
    """The container the fix is for: named, the only one, or the one named like the workload."""
    containers = pod_spec(workload_obj).get("containers") or []
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


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if str(obj.get("kind", "")).lower() == "cronjob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def container_of(obj: CommentedMap, name: str, create: bool) -> CommentedMap:
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


def edit_container(c: CommentedMap, r: Remediation, notes: list[str]) -> None:
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


class Editor:
    def __init__(self, ws: Workspace, loc: Location, r: Remediation, notes: list[str]) -> None:
        self.ws, self.loc, self.r, self.notes = ws, loc, r, notes
        self.workload = ws.index.find(r.workload.kind, r.workload.name, [loc.workload_file])
        self.base_obj: dict[str, Any] = self.workload[0][1] if self.workload else {}

    def container_name(self) -> str:
        return pick_container(self.base_obj, self.r)

    def apply(self) -> None:
        raise NotImplementedError


class ManifestEditor(Editor):
    """Plain manifests: edit the objects where they are."""

    def apply(self) -> None:
        r, w = self.r, self.r.workload
        obj = self.ws.doc(self.loc.workload_file, w.kind, w.name)
        if r.action in ("set_memory_limit", "set_cpu_limit", "set_resources", "set_env", "set_probe"):
            edit_container(container_of(obj, self.container_name(), create=False), r, self.notes)
        elif r.action in ("set_image", "rollback_image"):
            c = container_of(obj, self.container_name(), create=False)
            set_value(c, "image", new_image(str(c.get("image", "")), str(r.image)))
        elif r.action == "set_replicas":
            set_value(child_map(obj, "spec"), "replicas", int(str(r.value)))
            self._warn_hpa()
        elif r.action == "set_hpa_bounds":
            path, hpa = self._hpa()
            doc = self.ws.doc(path, "HorizontalPodAutoscaler", hpa)
            set_bounds(child_map(doc, "spec"), r)
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


def set_bounds(spec: CommentedMap, r: Remediation) -> None:
    if r.min_replicas is not None:
        set_value(spec, "minReplicas", r.min_replicas)
    if r.max_replicas is not None:
        set_value(spec, "maxReplicas", r.max_replicas)


def new_image(current: str, requested: str) -> str:
    """The full image reference: a bare tag keeps the current repository."""
    repo, tag, digest = split_image(requested)
    if repo:
        return requested
    current_repo = split_image(current)[0] or current
    return f"{current_repo}@{digest}" if digest else f"{current_repo}:{tag}"
