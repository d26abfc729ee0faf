"""`vigil bundle capture`: a live incident turned into a bundle, so it can be replayed, shared and scored.

Everything is read through the same GET-only Kubernetes client the MCP server uses (it has no other
verb) and Prometheus' HTTP API; nothing in the cluster changes. What a bundle gets (docs/bundles.md):

* the objects of the chosen namespaces, every kind in `NAMESPACED_KINDS` the cluster serves and every
  custom resource its CRDs declare, plus the cluster-scoped kinds in `CLUSTER_KINDS`;
  ReplicaSets and ControllerRevisions carry the rollout history;
* Secrets with their values removed (keys kept), the same masking the replay server applies;
* each container's current and previous logs since `--since`, with timestamps;
* the series in `CAPTURED_METRICS` (what the shipped runbooks query), restricted to the namespaces,
  as OpenMetrics ready for backfill;
* the alert payloads given with `--alert`, and the code repository given with `--repo`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from mcp_servers.common.bundle import FORMAT
from mcp_servers.kubernetes.client import KubeClient, KubeError, KubeSettings
from mcp_servers.kubernetes.replay import masked_secret
from mcp_servers.kubernetes.resources import ResourceType, from_crd

NAMESPACED_KINDS = (
    "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ControllerRevision", "Job", "CronJob",
    "Service", "Endpoints", "EndpointSlice", "Event", "ConfigMap", "Secret", "PersistentVolumeClaim", "Ingress",
    "HorizontalPodAutoscaler", "NetworkPolicy", "PodDisruptionBudget", "ServiceAccount", "ResourceQuota",
    "LimitRange", "ReplicationController",
)
CLUSTER_KINDS = ("Node", "Namespace", "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass",
                 "CustomResourceDefinition")

# Where `kubectl cluster-info dump` puts a kind; everything else goes under extra/.
DUMP_FILES = {"Pod": "pods.json", "Deployment": "deployments.json", "ReplicaSet": "replicasets.json",
              "DaemonSet": "daemonsets.json", "Service": "services.json", "Event": "events.json",
              "ReplicationController": "replication-controllers.json"}

CAPTURED_METRICS = (
    # kube-state-metrics: restarts, reasons, limits, readiness, rollouts, HPAs, nodes
    "kube_pod_container_status_restarts_total", "kube_pod_container_status_last_terminated_reason",
    "kube_pod_container_status_waiting_reason", "kube_pod_container_status_ready",
    "kube_pod_container_resource_limits", "kube_pod_container_resource_requests", "kube_pod_status_ready",
    "kube_pod_status_phase", "kube_deployment_spec_replicas", "kube_deployment_status_replicas_available",
    "kube_deployment_status_replicas_unavailable", "kube_statefulset_status_replicas_ready",
    "kube_horizontalpodautoscaler_spec_max_replicas", "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_node_status_condition", "kube_node_status_allocatable",
    # cAdvisor / kubelet
    "container_memory_working_set_bytes", "container_cpu_usage_seconds_total", "container_cpu_cfs_periods_total",
    "container_cpu_cfs_throttled_periods_total", "prober_probe_total", "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_capacity_bytes", "kubelet_volume_stats_available_bytes", "kubelet_volume_stats_inodes",
    "kubelet_volume_stats_inodes_used",
    # node exporter, HTTP instrumentation, CoreDNS, cert-manager
    "node_filesystem_avail_bytes", "node_filesystem_size_bytes", "http_requests_total",
    "http_request_duration_seconds_bucket", "http_request_duration_seconds_count",
    "coredns_forward_responses_total", "certmanager_certificate_ready_status", "up",
)
"""The series a capture keeps: every metric the shipped runbooks query (a test holds them to it), each
restricted to the captured namespaces plus the series with no namespace (nodes, cluster-wide)."""

METRIC_STEP_S = 30
LOG_TAIL_LINES = 5000
LOKI_LIMIT = 5000

Progress = Callable[[str, int], None]
"""(what is being done, how many steps it will advance) -> None; a rich progress bar in the CLI."""


class CaptureError(ValueError):
    """The capture cannot start (bad output directory, unknown namespace); the message says how to fix it."""


@dataclass
class CaptureOptions:
    out: Path
    namespaces: list[str]
    since: timedelta
    context: str | None = None
    kubeconfig: str | None = None
    prometheus: str | None = None
    loki: str | None = None
    repo: Path | None = None
    alerts: list[Path] = field(default_factory=list)
    until: datetime | None = None
    """The capture's "now" (default: the wall clock); logs and metrics end here."""
    incident_time: datetime | None = None
    question: str | None = None
    name: str | None = None


@dataclass
class CaptureSummary:
    objects: int = 0
    log_files: int = 0
    series: int = 0
    samples: int = 0
    loki_lines: int = 0
    skipped: list[str] = field(default_factory=list)
    """What could not be read (a kind the cluster lacks, a forbidden list), said plainly, not fatal."""


def capture(options: CaptureOptions, progress: Progress | None = None) -> CaptureSummary:
    """Write a bundle for the namespaces into `options.out` (which must not exist or be empty)."""
    tick = progress or (lambda what, n: None)
    out = options.out
    if out.exists() and any(out.iterdir()):
        raise CaptureError(f"{out} is not empty; capture into a new directory")
    now = (options.until or datetime.now(UTC)).astimezone(UTC)
    client = KubeClient(KubeSettings(kubeconfig=options.kubeconfig, context=options.context))
    summary = CaptureSummary()
    try:
        context = client.resolve_context(options.context)
        types = client.resource_types(context)
        out.mkdir(parents=True, exist_ok=True)
        objects = _objects(client, context, types, options.namespaces, summary, tick)
        _write_objects(out, objects)
        summary.objects = len(objects)
        summary.log_files = _logs(client, context, out, [o for o in objects if o["kind"] == "Pod"],
                                  options.since, tick)
        version = str(client.get_json(context, "/version").get("gitVersion") or "v1.30.0")
    finally:
        client.close()
    if options.prometheus:
        _metrics(options.prometheus, out, options.namespaces, now - options.since, now, summary, tick)
    if options.loki:
        _loki(options.loki, out, options.namespaces, now - options.since, now, summary, tick)
    alerts = _copy_alerts(out, options.alerts)
    code = _copy_repo(out, options.repo) if options.repo else None
    name = options.name or out.name
    manifest: dict[str, Any] = {
        "format": FORMAT, "name": name, "title": f"captured from {context}: {', '.join(options.namespaces)}",
        "incident_time": _ts(options.incident_time or now), "captured_at": _ts(now),
        "metrics_window": {"start": _ts(now - options.since), "end": _ts(now)},
        "cluster": {"context": f"replay-{name}", "name": context, "server_version": version},
        "alerts": alerts,
    }
    if options.prometheus:
        manifest["metrics"] = "metrics/metrics.om.txt"
    if options.loki:
        manifest["loki"] = "loki/streams.json"
    if code:
        manifest["code"] = {"path": code}
    if options.question:
        manifest["question"] = options.question
    (out / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return summary


# ---- objects ----------------------------------------------------------------------------------

def _objects(client: KubeClient, context: str, types: list[ResourceType], namespaces: list[str],
             summary: CaptureSummary, tick: Progress) -> list[dict[str, Any]]:
    by_kind: dict[str, ResourceType] = {}
    for t in types:
        by_kind.setdefault(t.kind, t)
    objects: list[dict[str, Any]] = []
    for kind in CLUSTER_KINDS:
        tick(f"{kind} (cluster)", 1)
        if kind not in by_kind:
            summary.skipped.append(f"{kind}: not served by this cluster")
            continue
        items = _list(client, context, by_kind[kind], None, summary)
        if kind == "Namespace":
            items = [o for o in items if o["metadata"]["name"] in namespaces]
            missing = set(namespaces) - {o["metadata"]["name"] for o in items}
            if missing:
                raise CaptureError(f"no namespace {', '.join(sorted(missing))} in context {context}; "
                                   "check --namespace against `kubectl get ns`")
        objects.extend(items)
    custom = [t for crd in objects if crd["kind"] == "CustomResourceDefinition" for t in from_crd(crd)]
    custom = [t for t in custom if (t.group_version, t.kind) in {(x.group_version, x.kind) for x in types}]
    for t in custom:
        if not t.namespaced:
            tick(f"{t.kind} (cluster)", 1)
            objects.extend(_list(client, context, t, None, summary))
    for ns in namespaces:
        for kind in NAMESPACED_KINDS:
            tick(f"{ns}: {kind}", 1)
            if kind in by_kind:
                objects.extend(_list(client, context, by_kind[kind], ns, summary))
        for t in custom:
            if t.namespaced:
                objects.extend(_list(client, context, t, ns, summary))
    return [_clean(o) for o in objects]


def _list(client: KubeClient, context: str, t: ResourceType, namespace: str | None,
          summary: CaptureSummary) -> list[dict[str, Any]]:
    try:
        items, truncated = client.list_all(context, t, namespace)
    except KubeError as exc:
        if exc.status == 0:
            raise
        summary.skipped.append(f"{t.kind}{' in ' + namespace if namespace else ''}: {exc}")
        return []
    if truncated:
        summary.skipped.append(f"{t.kind}{' in ' + namespace if namespace else ''}: more than 20000, cut there")
    return items


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """No managedFields (noise) and no Secret values (the one masking rule the replay server applies)."""
    if obj["kind"] == "Secret" and obj["apiVersion"] == "v1":
        obj = masked_secret(obj)
    (obj.get("metadata") or {}).pop("managedFields", None)
    return obj


def _write_objects(out: Path, objects: list[dict[str, Any]]) -> None:
    """The `kubectl cluster-info dump` layout for the kinds it dumps; a List per kind under extra/."""
    groups: dict[Path, tuple[str, str, list[dict[str, Any]]]] = {}
    for obj in objects:
        kind, ns = obj["kind"], obj["metadata"].get("namespace")
        if kind == "Node":
            path = out / "cluster" / "nodes.json"
        elif kind in DUMP_FILES and obj["apiVersion"] in ("v1", "apps/v1") and ns:
            path = out / "cluster" / ns / DUMP_FILES[kind]
        else:
            group = obj["apiVersion"].rpartition("/")[0] or "core"
            path = out / "extra" / f"{kind.lower()}.{group}.json"
        groups.setdefault(path, (kind, obj["apiVersion"], []))[2].append(obj)
    for path, (kind, api_version, items) in groups.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"kind": f"{kind}List", "apiVersion": api_version, "items": items}, indent=1))


# ---- logs -------------------------------------------------------------------------------------

def _logs(client: KubeClient, context: str, out: Path, pods: list[dict[str, Any]], since: timedelta,
          tick: Progress) -> int:
    written = 0
    for pod in pods:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        tick(f"logs {ns}/{name}", 1)
        spec = pod.get("spec") or {}
        statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
        statuses |= {s.get("name"): s for s in (pod.get("status") or {}).get("initContainerStatuses") or []}
        blocks = []
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            container = str(c.get("name"))
            path = f"/api/v1/namespaces/{ns}/pods/{name}/log"
            query = {"container": container, "timestamps": True, "tailLines": LOG_TAIL_LINES,
                     "sinceSeconds": int(since.total_seconds())}
            text = _log_text(client, context, path, query)
            if text is not None:
                blocks.append(f"==== START logs for container {container} of pod {ns}/{name} ====\n"
                              f"{text}{'' if not text or text.endswith(chr(10)) else chr(10)}"
                              f"==== END logs for container {container} of pod {ns}/{name} ====\n")
            if (statuses.get(container) or {}).get("restartCount"):
                previous = _log_text(client, context, path, {**query, "previous": True, "sinceSeconds": None})
                if previous:
                    target = out / "cluster" / ns / name / f"{container}.previous.txt"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(previous)
                    written += 1
        if blocks:
            target = out / "cluster" / ns / name / "logs.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(blocks))
            written += 1
    return written


def _log_text(client: KubeClient, context: str, path: str, query: dict[str, Any]) -> str | None:
    try:
        return client.get_text(context, path, query)
    except KubeError as exc:
        if exc.status == 0:
            raise
        return None  # a container that never started, or no previous instance: nothing to keep


# ---- metrics ----------------------------------------------------------------------------------

def _metrics(url: str, out: Path, namespaces: list[str], start: datetime, end: datetime, summary: CaptureSummary,
             tick: Progress) -> None:
    """Each captured metric's series over the window, as backfillable OpenMetrics (one family at a time)."""
    # A matcher that also matches "" keeps the series without a namespace label (nodes, cluster-wide).
    ns_match = "|".join(namespaces) + "|"  # namespace names are DNS labels: no regex metacharacters
    lines: list[str] = []
    with httpx.Client(base_url=url.rstrip("/"), timeout=60) as http:
        for metric in CAPTURED_METRICS:
            tick(f"metrics {metric}", 1)
            response = http.get("/api/v1/query_range", params={
                "query": f'{metric}{{namespace=~"{ns_match}"}}', "start": start.timestamp(),
                "end": end.timestamp(), "step": METRIC_STEP_S})
            if response.status_code != 200:
                summary.skipped.append(f"metric {metric}: Prometheus answered {response.status_code}")
                continue
            result = (response.json().get("data") or {}).get("result") or []
            if not result:
                continue
            lines.append(f"# TYPE {metric} unknown")
            for series in sorted(result, key=lambda s: json.dumps(s.get("metric") or {}, sort_keys=True)):
                labels = {k: v for k, v in (series.get("metric") or {}).items() if k != "__name__"}
                rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
                head = f"{metric}{{{rendered}}}" if rendered else metric
                summary.series += 1
                for ts, value in series.get("values") or []:
                    lines.append(f"{head} {value} {_seconds(ts)}")
                    summary.samples += 1
    lines.append("# EOF")
    target = out / "metrics" / "metrics.om.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")


def _loki(url: str, out: Path, namespaces: list[str], start: datetime, end: datetime, summary: CaptureSummary,
          tick: Progress) -> None:
    """Each namespace's newest Loki lines in the window (Loki's own cap: LOKI_LIMIT), in Loki's push format."""
    streams: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=url.rstrip("/"), timeout=60) as http:
        for ns in namespaces:
            tick(f"loki {ns}", 1)
            response = http.get("/loki/api/v1/query_range", params={
                "query": f'{{namespace="{ns}"}}', "start": int(start.timestamp() * 1e9),
                "end": int(end.timestamp() * 1e9), "limit": LOKI_LIMIT, "direction": "backward"})
            if response.status_code != 200:
                summary.skipped.append(f"loki {ns}: Loki answered {response.status_code}")
                continue
            for item in (response.json().get("data") or {}).get("result") or []:
                key = json.dumps(item.get("stream") or {}, sort_keys=True)
                entry = streams.setdefault(key, {"stream": item.get("stream") or {}, "values": []})
                entry["values"].extend(item.get("values") or [])
                summary.loki_lines += len(item.get("values") or [])
    for entry in streams.values():
        entry["values"].sort(key=lambda v: int(v[0]))
    target = out / "loki" / "streams.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"streams": list(streams.values())}))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _seconds(ts: float | str) -> str:
    value = float(ts)
    return str(int(value)) if value.is_integer() else f"{value:.3f}"


# ---- alerts and code --------------------------------------------------------------------------

def _copy_alerts(out: Path, alerts: list[Path]) -> list[str]:
    names = []
    for i, path in enumerate(alerts, 1):
        rel = f"alerts/{i:02d}-{path.name}"
        (out / "alerts").mkdir(exist_ok=True)
        shutil.copyfile(path, out / rel)
        names.append(rel)
    return names


def _copy_repo(out: Path, repo: Path) -> str:
    """The repository's tracked files (not its history, not untracked build output) under code/."""
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True, check=False)
    if listed.returncode != 0:
        raise CaptureError(f"--repo {repo}: not a git repository ({listed.stderr.decode(errors='replace').strip()})")
    for rel in filter(None, listed.stdout.decode().split("\0")):
        source = repo / rel
        if source.is_file() and not source.is_symlink():
            target = out / "code" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return "code"


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
