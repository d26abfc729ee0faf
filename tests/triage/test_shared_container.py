"""One injected container failing alike in several workloads after a platform write (agent.triage.shared_container).

The findings are the scan's own (`pod.oomkilled` / `pod.crashloop` with `details.container`, as
mcp_servers.kubernetes.scan.checks.pods writes them); the changes are the timeline's lines for custom resources
written with `kubectl apply` (an Istio Sidecar in the mesh's root namespace, a Linkerd config ConfigMap).
Negative twins: the container fails in one workload only, it is the application's own container, the write
shares no word with the container (a `kube-proxy`-like generic name), and the write came after the failures'
window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import shared_container as sc
from agent.triage.facts import Facts

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _oom(ns: str, workload: str, container: str, check: str = "pod.oomkilled") -> dict[str, Any]:
    ref = {"kind": "Deployment", "namespace": ns, "name": workload}
    return {"check": check, "severity": "critical", "object": ref, "owner": ref,
            "reason": "OOMKilled" if check == "pod.oomkilled" else "CrashLoopBackOff",
            "message": f"Deployment {ns}/{workload}: 2/2 pods OOMKilled (container {container})",
            "details": {"container": container, "restarts": 14}}


def _write(kind: str, ns: str, name: str, line: str, minutes: int) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-client-side-apply: {line}", "diff": [line]}


def _facts(findings: list[dict[str, Any]], changes: list[dict[str, Any]]) -> Facts:
    return Facts(at=AT, scan={"findings": findings}, scan_id="E1", changes={"changes": changes}, changes_id="E2")


MESH = [_oom("orders", "orders-api", "istio-proxy"), _oom("orders", "fulfilment-api", "istio-proxy"),
        _oom("stock", "inventory-api", "istio-proxy")]
SIDECAR = _write("Sidecar", "istio-system", "default", 'spec.egress = [{"hosts": ["*/*"]}]', 90)


def test_a_mesh_wide_sidecar_write_explains_every_proxy_oom() -> None:
    [s] = sc.found(_facts(MESH, [SIDECAR]))
    f = sc.finding(s)
    assert s.target.name == "default" and s.container == "istio-proxy" and len(s.workloads) == 3
    assert "Sidecar istio-system/default was written 90 min" in f["message"] and "*/*" in f["message"]
    assert "3 workloads" in f["message"] and "OOMKilled" in f["message"]


def test_a_linkerd_config_write_explains_proxies_crash_looping() -> None:
    crash = [_oom("web", "storefront", "linkerd-proxy", "pod.crashloop"),
             _oom("api", "catalog", "linkerd-proxy", "pod.crashloop")]
    config = _write("ConfigMap", "linkerd", "linkerd-config", "data key values set by helm", 30)
    unrelated = _write("ConfigMap", "web", "storefront-flags", "data key flags.yaml set by kubectl-edit", 10)
    [s] = sc.found(_facts(crash, [config, unrelated]))
    assert s.target.name == "linkerd-config" and s.reason == "CrashLoopBackOff"


def test_negative_twins() -> None:
    assert sc.found(_facts(MESH[:1], [SIDECAR])) == []  # one workload: its own problem
    own = [_oom("orders", "orders-api", "orders-api"), _oom("orders", "orders-api-canary", "orders-api")]
    assert sc.found(_facts(own, [SIDECAR])) == []  # the application's own container
    agents = [_oom("a", "one", "log-agent"), _oom("b", "two", "log-agent")]
    assert sc.found(_facts(agents, [_write("DaemonSet", "kube-system", "kube-proxy", "image bumped", 20)])) == []
    late = _write("Sidecar", "istio-system", "default", 'spec.egress = [{"hosts": ["*/*"]}]', -30)
    assert sc.found(_facts(MESH, [late])) == []  # written after the alert
    old = _write("Sidecar", "istio-system", "default", 'spec.egress = [{"hosts": ["*/*"]}]', 60 * 30)
    assert sc.found(_facts(MESH, [old])) == []
