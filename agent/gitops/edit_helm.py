"""Edits for a Helm chart's per-environment values file, using the `helm create` key conventions
(`image.tag`, `replicaCount`, `resources`, `autoscaling`, `env`, probes)."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from agent.gitops.edit_common import Editor, set_bounds
from agent.gitops.remediation import split_image
from agent.gitops.yamldoc import YamlEditError, child_map, child_seq, set_value, string_scalar


class HelmEditor(Editor):
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
            set_bounds(child_map(values, "autoscaling"), r)
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
