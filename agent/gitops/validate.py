"""Checking a change before it is committed: it parses, and the object is still well formed.

Three levels, cheapest first:
1. every changed file parses as YAML and each document is a mapping with `kind` (or is a
   Kustomization / values file);
2. the effective object is well formed for its kind: containers with names and images,
   quantities that parse, requests not above limits, probes with a handler, env entries with
   exactly one of `value`/`valueFrom`, autoscaler bounds in order;
3. the change takes effect: for a Kustomize overlay the overlay is rendered with `kubectl kustomize`
   (when kubectl is installed) and the rendered workload must carry the requested value, so a later
   patch that silently overrides the edit is caught. For Helm the environment's values are merged
   over the chart's defaults and checked the same way (Helm itself is not required).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from agent.gitops.edits import ChangeSet, pick_container
from agent.gitops.locate import Location
from agent.gitops.remediation import Remediation, is_quantity, quantity_value, split_image

WORKLOAD_KINDS = {"deployment", "statefulset", "daemonset", "replicaset", "job", "cronjob"}


class ValidationFailed(ValueError):
    """The edited files would not deploy as intended; the message lists each problem."""


def validate_change(root: Path, change: ChangeSet, remediation: Remediation, kubectl: str | None = None) -> list[str]:
    """Validate the change already written under `root`. Returns notes; raises ValidationFailed."""
    problems: list[str] = []
    notes: list[str] = []
    for file in change.changes:
        try:
            docs = list(yaml.safe_load_all(file.after))
        except yaml.YAMLError as exc:
            problems.append(f"{file.path}: does not parse after the edit ({exc})")
            continue
        for i, doc in enumerate(docs):
            if doc is not None and not isinstance(doc, dict):
                problems.append(f"{file.path}: document {i + 1} is a {type(doc).__name__}, expected a mapping")
    if problems:
        raise ValidationFailed("; ".join(problems))
    loc = change.location
    effective: dict[str, Any] | None = None
    if loc.layout == "kustomize":
        effective, note = _render_kustomize(root, loc, remediation, kubectl)
        if note:
            notes.append(note)
    elif loc.layout == "manifest":
        effective = _find(list(yaml.safe_load_all((root / loc.workload_file).read_text())), remediation)
        if remediation.action == "set_hpa_bounds":
            effective = None  # the HPA's own file was checked below
    if loc.layout == "helm":
        problems.extend(_check_helm(root, loc, remediation))
    if effective is not None:
        problems.extend(check_object(effective))
        problems.extend(_check_effect(effective, remediation))
    for file in change.changes:
        for doc in yaml.safe_load_all(file.after):
            if isinstance(doc, dict) and doc.get("kind") == "HorizontalPodAutoscaler":
                problems.extend(_check_hpa(doc, file.path))
    if problems:
        raise ValidationFailed("; ".join(problems))
    return notes


def _find(docs: list[Any], r: Remediation) -> dict[str, Any] | None:
    for doc in docs:
        if isinstance(doc, dict) and str(doc.get("kind", "")).lower() == r.workload.kind.lower() \
                and (doc.get("metadata") or {}).get("name") == r.workload.name:
            return doc
    return None


def _render_kustomize(root: Path, loc: Location, r: Remediation,
                      kubectl: str | None) -> tuple[dict[str, Any] | None, str | None]:
    binary = kubectl or shutil.which("kubectl")
    if not binary:
        return None, "kubectl is not installed: the overlay was parsed but not rendered"
    proc = subprocess.run([binary, "kustomize", str(root / (loc.overlay_dir or ""))],
                          capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise ValidationFailed(f"`kubectl kustomize {loc.overlay_dir}` fails after the edit: "
                               f"{proc.stderr.strip()[:800]}")
    docs = list(yaml.safe_load_all(proc.stdout))
    if r.action == "set_hpa_bounds":
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "HorizontalPodAutoscaler" and \
                    ((doc.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == r.workload.name:
                return doc, None
    if r.action == "set_configmap_value":
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and \
                    str((doc.get("metadata") or {}).get("name", "")).startswith(str(r.configmap)):
                return doc, None
    found = _find(docs, r)
    if found is None:
        raise ValidationFailed(f"the rendered overlay {loc.overlay_dir} no longer contains "
                               f"{r.workload.kind} {r.workload.name}")
    return found, None


def check_object(obj: dict[str, Any]) -> list[str]:
    """Well-formedness problems of one full Kubernetes object (workload, HPA or ConfigMap)."""
    kind = str(obj.get("kind", "")).lower()
    name = (obj.get("metadata") or {}).get("name")
    where = f"{obj.get('kind')} {name}"
    problems = []
    if not obj.get("apiVersion") or not name:
        problems.append(f"{where}: apiVersion and metadata.name are required")
    if kind == "horizontalpodautoscaler":
        return problems + _check_hpa(obj, where)
    if kind == "configmap":
        for key, value in (obj.get("data") or {}).items():
            if not isinstance(value, str):
                problems.append(f"{where}: data.{key} must be a string, got {type(value).__name__}")
        return problems
    if kind not in WORKLOAD_KINDS:
        return problems
    spec = obj.get("spec") or {}
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0):
        problems.append(f"{where}: spec.replicas must be a whole number >= 0, got {replicas!r}")
    if kind == "cronjob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
    if not isinstance(containers, list) or not containers:
        return [*problems, f"{where}: spec.template.spec.containers must be a non-empty list"]
    for c in containers:
        problems.extend(_check_container(c, where))
    return problems


def _check_container(c: Any, where: str) -> list[str]:
    if not isinstance(c, dict) or not c.get("name"):
        return [f"{where}: every container needs a name"]
    at = f"{where} container {c['name']}"
    problems = []
    if not c.get("image"):
        problems.append(f"{at}: image is missing")
    resources = c.get("resources") or {}
    for section in ("limits", "requests"):
        for res, qty in (resources.get(section) or {}).items():
            if not is_quantity(qty):
                problems.append(f"{at}: resources.{section}.{res} {qty!r} is not a quantity")
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    for res in set(limits) & set(requests):
        try:
            if quantity_value(requests[res]) > quantity_value(limits[res]):
                problems.append(f"{at}: requests.{res} {requests[res]} is above limits.{res} {limits[res]}; "
                                "lower the request too")
        except ValueError:
            pass
    for entry in c.get("env") or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(f"{at}: every env entry needs a name")
        elif ("value" in entry) == ("valueFrom" in entry) and "value" in entry:
            problems.append(f"{at}: env {entry['name']} has both value and valueFrom")
        elif "value" in entry and not isinstance(entry["value"], str):
            problems.append(f"{at}: env {entry['name']} value must be a string")
    for probe_key in ("readinessProbe", "livenessProbe", "startupProbe"):
        probe = c.get(probe_key)
        if probe is None:
            continue
        if not any(h in probe for h in ("httpGet", "tcpSocket", "exec", "grpc")):
            problems.append(f"{at}: {probe_key} has no handler (httpGet, tcpSocket, exec or grpc)")
        for key, number in probe.items():
            if key.endswith(("Seconds", "Threshold")) and (not isinstance(number, int) or number < 0):
                problems.append(f"{at}: {probe_key}.{key} must be a whole number, got {number!r}")
    return problems


def _check_hpa(doc: dict[str, Any], where: str) -> list[str]:
    spec = doc.get("spec") or {}
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    problems = []
    if high is not None and (not isinstance(high, int) or not isinstance(low, int) or low < 1 or low > high):
        problems.append(f"{where}: HPA bounds minReplicas={low} maxReplicas={high} are out of order")
    return problems


def _check_effect(obj: dict[str, Any], r: Remediation) -> list[str]:
    """Does the effective object carry the requested value?"""
    kind = str(obj.get("kind", "")).lower()
    wrong: list[str] = []
    if kind == "horizontalpodautoscaler":
        spec = obj.get("spec") or {}
        for key, want in (("minReplicas", r.min_replicas), ("maxReplicas", r.max_replicas)):
            if want is not None and spec.get(key) != want:
                wrong.append(f"{key} is {spec.get(key)} after rendering, not {want}")
    elif kind == "configmap":
        if (obj.get("data") or {}).get(str(r.key)) != str(r.value):
            wrong.append(f"ConfigMap key {r.key} renders as {(obj.get('data') or {}).get(str(r.key))!r}")
    elif r.action == "set_replicas":
        if (obj.get("spec") or {}).get("replicas") != int(str(r.value)):
            wrong.append(f"replicas render as {(obj.get('spec') or {}).get('replicas')}")
    else:
        name = pick_container(obj, r)
        pod = (obj.get("spec") or {}).get("template", {}).get("spec", {})
        c = next(x for x in pod.get("containers", []) if x.get("name") == name)
        limits = (c.get("resources") or {}).get("limits") or {}
        requests = (c.get("resources") or {}).get("requests") or {}
        if r.action == "set_memory_limit" and str(limits.get("memory")) != str(r.value):
            wrong.append(f"memory limit renders as {limits.get('memory')}")
        if r.action == "set_cpu_limit" and str(limits.get("cpu")) != str(r.value):
            wrong.append(f"cpu limit renders as {limits.get('cpu')}")
        if r.action == "set_resources":
            wanted: list[tuple[str, dict[str, str], dict[str, Any]]] = [
                ("limits", r.limits, limits), ("requests", r.requests, requests)]
            for section, asked, have in wanted:
                wrong.extend(f"{section}.{k} renders as {have.get(k)}" for k, v in asked.items()
                             if str(have.get(k)) != v)
        if r.action in ("set_image", "rollback_image"):
            repo, tag, digest = split_image(str(r.image))
            image = str(c.get("image", ""))
            if (tag and not image.endswith(f":{tag}")) or (digest and not image.endswith(f"@{digest}")) \
                    or (repo and not image.startswith(repo)):
                wrong.append(f"image renders as {image}")
        if r.action == "set_env":
            values = {e.get("name"): e.get("value") for e in c.get("env") or []}
            if values.get(r.name) != str(r.value):
                wrong.append(f"env {r.name} renders as {values.get(r.name)!r}")
        if r.action == "set_probe":
            probe = c.get(r.probe_key) or {}
            wrong.extend(f"{r.probe_key}.{k} renders as {probe.get(k)}" for k, v in r.settings.items()
                         if probe.get(k) != v)
    return [f"the change does not take effect: {w} (another patch may override it)" for w in wrong]


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return over


def _check_helm(root: Path, loc: Location, r: Remediation) -> list[str]:
    defaults = yaml.safe_load((root / loc.workload_file).read_text()) if (root / loc.workload_file).exists() else {}
    values = yaml.safe_load((root / (loc.values_file or "")).read_text()) or {}
    merged = _merge(defaults or {}, values)
    problems = []
    if not isinstance(merged.get("replicaCount", 1), int):
        problems.append("replicaCount must be a whole number")
    tag = (merged.get("image") or {}).get("tag")
    if tag is not None and not isinstance(tag, str):
        problems.append(f"image.tag {tag!r} must be a string (quote it)")
    resources = merged.get("resources") or {}
    probes = {k: merged[k] for k in ("readinessProbe", "livenessProbe", "startupProbe")
              if isinstance(merged.get(k), dict)}
    fake = {"name": "chart", "image": "x", "resources": resources, "env": [], **probes}
    problems.extend(_check_container(fake, f"values {loc.values_file}"))
    auto = merged.get("autoscaling") or {}
    if auto:
        problems.extend(_check_hpa({"spec": auto}, f"values {loc.values_file} autoscaling"))
    env = merged.get("env")
    if isinstance(env, dict):
        problems.extend(f"env {k} must be a string in the values (quote it)" for k, v in env.items()
                        if not isinstance(v, str))
    return problems
