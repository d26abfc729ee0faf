"""Benchmark: the change timeline and the topology on a large synthetic cluster, and both tools
end to end through the MCP client against the replay API server.

Two parts:
- the pure rules (`changes.timeline`, `topology.build_topology`) over in-memory lists shaped like a
  big cluster: --deployments workloads (each with 4 ReplicaSets, 3 pods, a Service, an EndpointSlice
  and a ConfigMap pointing at another workload's Service) plus 5 events per workload: median and
  p95 milliseconds, and how many changes were found;
- `k8s_changes` and `k8s_topology` through the official MCP client and the guardrail middleware,
  against the replay server serving examples/incidents/checkout-oom (real HTTP, official client):
  median and p95 milliseconds per call.

Run: .venv/bin/python benchmarks/context/bench_context.py [--deployments 1000] [--runs 5]
Writes benchmarks/results/context.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from mcp_servers.common.bundle import Bundle
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.changes import timeline
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.replay import replay_server
from mcp_servers.kubernetes.server import build_server
from mcp_servers.kubernetes.topology import build_topology

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "context.json"
AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _ts(minutes_before: float) -> str:
    return (AT - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def synthetic(deployments: int, namespaces: int = 50) -> dict[str, list[dict[str, Any]]]:
    """A cluster of `deployments` workloads; one in ten rolled out in the last two hours."""
    objects: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "Deployment", "ReplicaSet", "Pod", "Service", "EndpointSlice", "ConfigMap", "Event", "Node")}
    nodes = [f"node-{i}" for i in range(max(3, deployments // 20))]
    objects["Node"] = [{"kind": "Node", "metadata": {"name": n}, "status": {
        "allocatable": {"cpu": "8", "memory": "32Gi"}, "conditions": [{"type": "Ready", "status": "True"}]}}
        for n in nodes]
    for i in range(deployments):
        ns, name = f"ns-{i % namespaces}", f"svc-{i}"
        peer = f"svc-{(i + 1) % deployments}.ns-{(i + 1) % deployments % namespaces}"
        objects["Deployment"].append({"kind": "Deployment", "metadata": {"name": name, "namespace": ns, "uid": name},
                                      "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                                          "metadata": {"labels": {"app": name}}, "spec": {"containers": [
                                              {"name": "app", "image": f"{name}:4",
                                               "envFrom": [{"configMapRef": {"name": f"{name}-config"}}]}]}}}})
        for rev in range(1, 5):
            recent = rev == 4 and i % 10 == 0
            objects["ReplicaSet"].append({"kind": "ReplicaSet", "metadata": {
                "name": f"{name}-{rev}", "namespace": ns, "creationTimestamp": _ts(30 if recent else 5000 * rev),
                "annotations": {"deployment.kubernetes.io/revision": str(rev)},
                "ownerReferences": [{"kind": "Deployment", "name": name, "uid": name, "controller": True}]},
                "spec": {"template": {"spec": {"containers": [{"name": "app", "image": f"{name}:{rev}", "env": [
                    {"name": "LEVEL", "value": str(rev)}]}]}}}})
        for p in range(3):
            objects["Pod"].append({"kind": "Pod", "metadata": {
                "name": f"{name}-4-{p}", "namespace": ns, "labels": {"app": name},
                "ownerReferences": [{"kind": "ReplicaSet", "name": f"{name}-4", "controller": True}]},
                "spec": {"nodeName": nodes[(i * 3 + p) % len(nodes)], "containers": [
                    {"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
                "status": {"phase": "Running", "containerStatuses": [
                    {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}]}})
        objects["Service"].append({"kind": "Service", "metadata": {"name": name, "namespace": ns},
                                   "spec": {"selector": {"app": name}}})
        objects["EndpointSlice"].append({"kind": "EndpointSlice", "metadata": {
            "name": f"{name}-x", "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
            "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}]})
        objects["ConfigMap"].append({"kind": "ConfigMap", "metadata": {"name": f"{name}-config", "namespace": ns},
                                     "data": {"UPSTREAM_URL": f"http://{peer}:8080", "LOG_LEVEL": "info"}})
        for e in range(5):
            objects["Event"].append({"kind": "Event", "metadata": {"name": f"{name}.{e}", "namespace": ns},
                                     "reason": "Pulled", "message": "pulled", "lastTimestamp": _ts(e * 10),
                                     "involvedObject": {"kind": "Pod", "name": f"{name}-4-0", "namespace": ns}})
    return objects


def measure(fn: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any]:
    """Wall and CPU milliseconds: on a shared machine the CPU time is the steadier figure."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
            "median_cpu_ms": round(statistics.median(cpu), 1)}, result


async def end_to_end(runs: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp())
    bundle = Bundle.load(ROOT / "examples" / "incidents" / "checkout-oom")
    out: dict[str, Any] = {}
    with replay_server(bundle, tmp / "kubeconfig") as handle:
        server = build_server(KubeSettings(kubeconfig=str(handle.kubeconfig)), ServerGuard.for_tests(tmp))
        async with Client(server) as c:
            for tool, args in (("k8s_changes", {"at": "2026-03-12T14:20:00Z", "window": "2h"}),
                               ("k8s_topology", {"name": "checkout", "namespace": "shop"})):
                await c.call_tool(tool, args)  # discovery warm-up
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    result = await c.call_tool(tool, args)
                    times.append((time.perf_counter() - started) * 1000)
                    assert not result.is_error
                times.sort()
                out[tool] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(times[-1], 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    objects = synthetic(args.deployments)
    changes_t, found = measure(lambda: timeline(objects, AT - timedelta(hours=2), AT), args.runs)
    topo_t, topo = measure(lambda: build_topology(objects, "svc-0", "ns-0"), args.runs)
    e2e = anyio.run(end_to_end, args.runs)
    report = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "synthetic": {"deployments": args.deployments, "pods": len(objects["Pod"]),
                      "replicasets": len(objects["ReplicaSet"]), "events": len(objects["Event"]),
                      "timeline": {**changes_t, "changes": len(found)},
                      "topology": {**topo_t, "dependencies": len(topo.dependencies),
                                   "dependents": len(topo.dependents)}},
        "replay_checkout_oom": e2e,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
