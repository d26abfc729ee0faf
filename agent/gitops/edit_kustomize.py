"""Edits for a Kustomize overlay: the `images:` transformer, `replicas:`, ConfigMap generators,
and strategic-merge patches, created and registered in the overlay when it has none."""

from __future__ import annotations

import posixpath

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from agent.gitops.edit_common import ManifestEditor, container_of, edit_container, pod_spec, set_bounds
from agent.gitops.remediation import split_image
from agent.gitops.yamldoc import YamlEditError, YamlFile, child_map, child_seq, set_value, string_scalar


class KustomizeEditor(ManifestEditor):
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
            set_bounds(child_map(self._patch_doc("HorizontalPodAutoscaler", hpa), "spec"), r)
        elif r.action == "set_configmap_value":
            self._configmap()
        else:
            doc = self._patch_doc(r.workload.kind, r.workload.name)
            edit_container(container_of(doc, self.container_name(), create=True), r, self.notes)

    def _image(self) -> None:
        current = str(pod_spec(self.base_obj).get("containers", [{}])[0].get("image", ""))
        for c in pod_spec(self.base_obj).get("containers") or []:
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
