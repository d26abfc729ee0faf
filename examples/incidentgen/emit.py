"""Turns a Cluster model into metrics and into files in the bundle layout."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from incidentgen import objects as o
from incidentgen.cluster import MI, Cluster, PodHistory
from incidentgen.metrics import MetricsWriter

BYTES = {"Mi": MI, "Gi": 1024 * MI}


def parse_bytes(q: str) -> float:
    return float(q[:-2]) * BYTES[q[-2:]]


def alive(p: PodHistory, t: datetime) -> bool:
    return p.created <= t and (p.ended is None or t < p.ended)


def pod_metrics(cluster: Cluster, m: MetricsWriter, focus: set[tuple[str, str]]) -> None:
    """Per-pod series for every pod; 30 s for focus workloads, 60 s for the rest."""
    for p in cluster.pods:
        is_focus = (p.namespace, p.workload) in focus
        step = 30 if is_focus else 120
        until = p.ended
        for c in p.containers:
            base = {"namespace": p.namespace, "pod": p.name, "container": c.name}

            def mem(t: datetime, p: PodHistory = p) -> float | None:
                if p.memory is None or not alive(p, t):
                    return None
                value = p.memory(t)
                return None if value is None else round(value)

            m.add("container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes.",
                  {**base, "job": "kubelet"}, mem, step, p.created, until)

            def restarts(t: datetime, p: PodHistory = p) -> float | None:
                return float(sum(1 for r in p.restart_times if r <= t)) if alive(p, t) else None

            m.add("kube_pod_container_status_restarts", "counter",
                  "The number of container restarts per container.",
                  {**base, "job": "kube-state-metrics"}, restarts, step if is_focus else 240, p.created, until)
            if not is_focus:
                continue
            limit = parse_bytes(c.memory_limit)
            m.add("kube_pod_container_resource_limits", "gauge",
                  "The number of requested limit resource by a container.",
                  {**base, "resource": "memory", "unit": "byte", "job": "kube-state-metrics"},
                  lambda t, p=p, limit=limit: limit if alive(p, t) else None, step, p.created, until)
            if p.terminated_reason and p.restart_times:
                first = p.restart_times[0]
                m.add("kube_pod_container_status_last_terminated_reason", "gauge",
                      "Describes the last reason the container was in terminated state.",
                      {**base, "reason": p.terminated_reason, "job": "kube-state-metrics"},
                      lambda t, p=p, first=first: (1.0 if t >= first else 0.0) if alive(p, t) else None,
                      step, p.created, until)
            if p.waiting:
                since, reason = p.waiting
                m.add("kube_pod_container_status_waiting_reason", "gauge",
                      "Describes the reason the container is currently in waiting state.",
                      {**base, "reason": reason, "job": "kube-state-metrics"},
                      lambda t, p=p, since=since: (1.0 if t >= since else 0.0) if alive(p, t) else None,
                      step, p.created, until)
            m.add("kube_pod_status_ready", "gauge", "Describes whether the pod is ready to serve requests.",
                  {"namespace": p.namespace, "pod": p.name, "condition": "true", "job": "kube-state-metrics"},
                  lambda t, p=p: (1.0 if p.ready(t) else 0.0) if alive(p, t) else None, step, p.created, until)
            if p.probe_failures:
                m.add("prober_probe", "counter", "Cumulative number of a liveness, readiness or startup probe.",
                      {**base, "probe_type": "Readiness", "result": "failed", "job": "kubelet"},
                      lambda t, p=p: p.probe_failures(t) if alive(p, t) and p.probe_failures else None,
                      step, p.created, until)


def deployment_metrics(cluster: Cluster, m: MetricsWriter, focus: set[tuple[str, str]],
                       available: dict[tuple[str, str], Callable[[datetime], float]]) -> None:
    """kube_deployment_* series; `available` overrides the flat value for incident workloads."""
    for (ns, name), d in cluster.deployments.items():
        step = 30 if (ns, name) in focus else 120
        labels = {"namespace": ns, "deployment": name, "job": "kube-state-metrics"}
        spec = float(d["spec"]["replicas"])
        m.add("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
              dict(labels), lambda t, spec=spec: spec, step)
        fn = available.get((ns, name), lambda t, spec=spec: spec)
        m.add("kube_deployment_status_replicas_available", "gauge",
              "The number of available replicas per deployment.", dict(labels), fn, step)


class Counter:
    """A cumulative counter from a per-second rate, integrated as samples are asked for in order."""

    def __init__(self, rate: Callable[[datetime], float]) -> None:
        self.rate = rate
        self.total = 0.0
        self.last: datetime | None = None

    def __call__(self, t: datetime) -> float:
        if self.last is not None:
            self.total += self.rate(t) * (t - self.last).total_seconds()
        self.last = t
        return round(self.total)


BUCKETS = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]


def http_metrics(m: MetricsWriter, namespace: str, service: str,
                 rates: dict[str, Callable[[datetime], float]],
                 latency_share: Callable[[datetime, float], float]) -> None:
    """http_requests_total by code and the duration histogram for one service (30 s steps).

    `latency_share(t, le)` is the fraction of requests at time t that finished within `le` seconds.
    """
    base = {"namespace": namespace, "service": service, "job": service, "method": "GET"}
    for code, rate in rates.items():
        m.add("http_requests", "counter", "Total HTTP requests by status code.", {**base, "code": code},
              Counter(rate))

    def total_rate(t: datetime) -> float:
        return sum(r(t) for r in rates.values())

    fam = "http_request_duration_seconds"
    help_ = "Time spent serving HTTP requests."
    for le in [*BUCKETS, float("inf")]:
        share = (lambda t, le=le: 1.0) if le == float("inf") else (lambda t, le=le: latency_share(t, le))
        m.add(fam, "histogram", help_,
              {"__name__": f"{fam}_bucket", **base, "le": "+Inf" if le == float("inf") else str(le)},
              Counter(lambda t, share=share: total_rate(t) * share(t)))
    m.add(fam, "histogram", help_, {"__name__": f"{fam}_sum", **base},
          Counter(lambda t: total_rate(t) * _mean_latency(t, latency_share)))
    m.add(fam, "histogram", help_, {"__name__": f"{fam}_count", **base}, Counter(total_rate))


def _mean_latency(t: datetime, share: Callable[[datetime, float], float]) -> float:
    previous, mean, lower = 0.0, 0.0, 0.0
    for le in BUCKETS:
        s = share(t, le)
        mean += (s - previous) * (lower + le) / 2
        previous, lower = s, le
    return mean + (1 - previous) * 7.5


# ---- files ---------------------------------------------------------------------------------

def _dump_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def _as_list(kind: str, items: list[dict[str, Any]], api_version: str) -> dict[str, Any]:
    """A List the way `kubectl cluster-info dump` writes it: items without kind/apiVersion."""
    stripped = []
    for item in items:
        copy = {k: v for k, v in item.items() if k not in ("kind", "apiVersion")}
        stripped.append(copy)
    return {"kind": f"{kind}List", "apiVersion": api_version, "metadata": {"resourceVersion": "98765"},
            "items": stripped}


DUMP_KINDS = [
    ("events.json", "Event", "v1"),
    ("replication-controllers.json", "ReplicationController", "v1"),
    ("services.json", "Service", "v1"),
    ("daemonsets.json", "DaemonSet", "apps/v1"),
    ("deployments.json", "Deployment", "apps/v1"),
    ("replicasets.json", "ReplicaSet", "apps/v1"),
    ("pods.json", "Pod", "v1"),
]


def write_cluster(cluster: Cluster, root: Path, extra_format: str = "yaml") -> None:
    """cluster/ in the `kubectl cluster-info dump --output-directory` layout, plus extra/ YAML.

    `extra_format="json"` writes extra/ as JSON Lists instead: a caller writing many bundles saves
    most of the time YAML takes to write and, later, to read.
    """
    dump = root / "cluster"
    _dump_json(dump / "nodes.json", _as_list("Node", cluster.nodes, "v1"))
    pods = [(h, cluster.pod_object(h)) for h in cluster.pods if h.ended is None]
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
    extra: dict[str, list[dict[str, Any]]] = {}
    dumped = {k for _, k, _ in DUMP_KINDS}
    pod_objects = [p for _, p in pods]
    for obj in [*cluster.objects, *cluster.events, *pod_objects, *endpoints(cluster, pod_objects)]:
        ns = obj["metadata"].get("namespace")
        if obj["kind"] in dumped and ns:
            by_kind.setdefault((ns, obj["kind"]), []).append(obj)
        else:
            extra.setdefault(obj["kind"], []).append(obj)
    for ns in cluster.namespaces:
        for filename, kind, api_version in DUMP_KINDS:
            items = sorted(by_kind.get((ns, kind), []), key=lambda x: x["metadata"]["name"])
            _dump_json(dump / ns / filename, _as_list(kind, items, api_version))
    for h, _ in pods:
        pod_dir = dump / h.namespace / h.name
        if h.logs:
            blocks = []
            for container in h.containers:
                text = h.logs.get(container.name)
                if text is None:
                    continue
                blocks.append(f"==== START logs for container {container.name} of pod {h.namespace}/{h.name} ====\n"
                              f"{text}"
                              f"==== END logs for container {container.name} of pod {h.namespace}/{h.name} ====\n")
            if blocks:
                pod_dir.mkdir(parents=True, exist_ok=True)
                (pod_dir / "logs.txt").write_text("".join(blocks))
        for container, text in h.previous_logs.items():
            pod_dir.mkdir(parents=True, exist_ok=True)
            (pod_dir / f"{container}.previous.txt").write_text(text)
    extra_dir = root / "extra"
    extra_dir.mkdir(parents=True, exist_ok=True)
    for kind in sorted(extra):
        items = sorted(extra[kind], key=lambda x: (x["metadata"].get("namespace", ""), x["metadata"]["name"]))
        name = kind.lower() + ("" if kind.endswith("s") else "s") + ".yaml"
        _write_extra(extra_dir / name, items, extra_format)


def endpoints(cluster: Cluster, pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An EndpointSlice and an Endpoints object per Service, from the pods its selector matches:
    ready pods are ready endpoints, the rest are listed as not ready (as the controller does)."""
    out: list[dict[str, Any]] = []
    for svc in [x for x in cluster.objects if x["kind"] == "Service"]:
        meta, spec = svc["metadata"], svc["spec"]
        selector = spec.get("selector") or {}
        # Pods without an IP (unscheduled, or evicted) are never endpoints, as in the controller.
        members = [p for p in pods if p["metadata"]["namespace"] == meta["namespace"] and p["status"].get("podIP")
                   and p["status"].get("phase") not in ("Failed", "Succeeded")
                   and all(p["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        members.sort(key=lambda p: p["metadata"]["name"])
        port = spec["ports"][0]
        ready = [p for p in members if all(c["ready"] for c in p["status"].get("containerStatuses") or [{"ready": 0}])]
        not_ready = [p for p in members if p not in ready]
        name = f"{meta['name']}-{o.suffix(meta['namespace'] + meta['name'], 5)}"
        out.append({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": meta["namespace"],
                         "uid": o.uid("endpointslice", meta["namespace"], name),
                         "creationTimestamp": meta["creationTimestamp"], "generateName": meta["name"] + "-",
                         "labels": {"kubernetes.io/service-name": meta["name"],
                                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                         "ownerReferences": [{**o.owner_ref("Service", meta["name"], meta["namespace"], "v1"),
                                              "uid": meta["uid"]}]},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [p["status"]["podIP"]],
                           "conditions": {"ready": p in ready, "serving": p in ready, "terminating": False},
                           "nodeName": p["spec"]["nodeName"],
                           "targetRef": {"kind": "Pod", "name": p["metadata"]["name"],
                                         "namespace": p["metadata"]["namespace"], "uid": p["metadata"]["uid"]}}
                          for p in members],
            "ports": [{"name": port["name"], "port": port["targetPort"], "protocol": "TCP"}],
        })
        subset: dict[str, Any] = {"ports": [{"name": port["name"], "port": port["targetPort"], "protocol": "TCP"}]}
        if ready:
            subset["addresses"] = [_address(p) for p in ready]
        if not_ready:
            subset["notReadyAddresses"] = [_address(p) for p in not_ready]
        out.append({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                         "uid": o.uid("endpoints", meta["namespace"], meta["name"]),
                         "creationTimestamp": meta["creationTimestamp"], "labels": meta.get("labels", {})},
            "subsets": [subset] if members else [],
        })
    return out


def _address(pod: dict[str, Any]) -> dict[str, Any]:
    return {"ip": pod["status"]["podIP"], "nodeName": pod["spec"]["nodeName"],
            "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                          "uid": pod["metadata"]["uid"]}}


def resource_metrics(cluster: Cluster, root: Path, extra_format: str = "yaml") -> None:
    """metrics.k8s.io PodMetrics/NodeMetrics at capture time, so `top` answers like metrics-server."""
    t = cluster.captured
    items: list[dict[str, Any]] = []
    node_mem: dict[str, float] = {}
    node_cpu: dict[str, float] = {}
    for h in cluster.pods:
        if h.ended is not None:
            continue
        containers = []
        for c in h.containers:
            mem = h.memory(t) if h.memory else None
            if mem is None:
                continue
            cpu = 3 + (sum(h.name.encode()) % 40)
            containers.append({"name": c.name, "usage": {"cpu": f"{cpu * 1000000}n",
                                                           "memory": f"{int(mem // 1024)}Ki"}})
            node_mem[h.node] = node_mem.get(h.node, 0) + mem
            node_cpu[h.node] = node_cpu.get(h.node, 0) + cpu
        if not containers:
            continue
        items.append({
            "apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
            "metadata": {"name": h.name, "namespace": h.namespace, "creationTimestamp": o.iso(t),
                         "labels": h.labels},
            "timestamp": o.iso(t), "window": "30s", "containers": containers,
        })
    for n in cluster.nodes:
        name = n["metadata"]["name"]
        items.append({
            "apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
            "metadata": {"name": name, "creationTimestamp": o.iso(t), "labels": n["metadata"]["labels"]},
            "timestamp": o.iso(t), "window": "20s",
            "usage": {"cpu": f"{int(node_cpu.get(name, 0) + 180)}m",
                      "memory": f"{int((node_mem.get(name, 0) + 900 * MI) // 1024)}Ki"},
        })
    _write_extra(root / "extra" / "resource-metrics.yaml", items, extra_format)


def _write_extra(path: Path, items: list[dict[str, Any]], extra_format: str) -> None:
    """One extra/ file: YAML documents, or (extra_format="json") one JSON List beside where the YAML would be."""
    if extra_format == "json":
        path.with_suffix(".json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}) + "\n")
    else:
        path.write_text(yaml.safe_dump_all(items, sort_keys=False, width=120))
