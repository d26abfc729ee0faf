"""The mesh's egress closed by a platform-wide setting before callers' calls to an external host were black-holed
(issue #12, rounds 21 and 23 class: Istio's outboundTrafficPolicy set to REGISTRY_ONLY, no ServiceEntry).

Written here, not taken from the held-out bundles. Shapes: the mesh config ConfigMap (YAML text in a data key)
proven by the caller's sidecar HTTP access log (502 direct_response to BlackHoleCluster) in the caller's own
namespace; a namespace's Sidecar resource (spec.outboundTrafficPolicy) proven only by Istio's TCP series
(istio_tcp_connections_opened_total to BlackHoleCluster), the sidecar log holding no such line. Negative twins: a
mesh config written with ALLOW_ANY, black-holed lines older than the write (a standing lockdown), series already
black-holed at the write, and a lockdown whose callers fail with the upstream's own 503 (no mark). The tool hub is a
recorded fake answering with Kubernetes' and Prometheus' shapes.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import behind, egress_closed
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, grep, outcome

AT = datetime(2026, 7, 21, 16, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=40)
POD = "orders-api-7b9d8c6f5-kx2lp"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _http(t: datetime, code: int, details: str, authority: str, cluster: str) -> str:
    return (f'{_iso(t)} [{_iso(t)}] "POST /v1/rates HTTP/1.1" {code} - {details} "-" 0 91 0 - "10.1.2.3" '
            f'"python-requests/2.31" "5b1d-77" "{authority}" "-" {cluster}')


def _facts(kind: str, namespace: str, name: str, diff: list[str]) -> Facts:
    change = {"at": _iso(WRITE), "type": "config", "object": {"kind": kind, "namespace": namespace, "name": name},
              "summary": f"{kind} {namespace}/{name} updated by argocd-controller: " + "; ".join(diff), "diff": diff}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.logs.append(LogEvidence(pod=POD, namespace="orders", evidence_id="E6",
                                  top={"example": "rate lookup failed: read ECONNRESET", "severity": "error"},
                                  hosts=[], error_classes={"connection"}, previous=False, last_lines=[]))
    return facts


class Hub(RecordingHub):
    """`k8s_get` (objects by name, E21), `k8s_logs` (the app and its istio-proxy, `grep` applied), `prom_query`
    (samples by the query's time: at the incident, at the write)."""

    def __init__(self, objects: dict[str, dict[str, Any]], proxy: list[str] | None = None,
                 now: list[dict[str, Any]] | None = None, then: list[dict[str, Any]] | None = None) -> None:
        super().__init__(objects=objects, ids={"k8s_get": "E21"})
        self.proxy, self.now, self.then = proxy or [], now or [], then or []

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        containers = [{"name": "orders-api"}, {"name": "istio-proxy"}]
        if call.tool == "k8s_logs" and call.args.get("container") == "istio-proxy":
            text = "\n".join(["logs of istio-proxy", *grep(self.proxy, call.args)])
            return outcome(True, {"containers": containers}, text, "E30")
        if call.tool == "k8s_logs":
            return outcome(True, {"containers": containers, "container": "orders-api"},
                           "logs of orders-api\nrate lookup failed: read ECONNRESET", "E6")
        if call.tool == "prom_query":
            return outcome(True, {"samples": self.now if call.args["time"] == _iso(AT) else self.then}, "", "E31")
        return super().answer(call, eid)


def _mesh(mode: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": f"accessLogFile: /dev/stdout\noutboundTrafficPolicy:\n  mode: {mode}\n",
                     "meshNetworks": "networks: {}"}}


MESH_DIFF = ["data key mesh set by argocd-controller"]
HOST = "api.rates.example.org"


def _run(facts: Facts, hub: Hub) -> list[egress_closed.Closed]:
    asyncio.run(egress_closed.read(Subject(), facts, hub, _iso(AT)))
    return egress_closed.found(facts)


def test_mesh_config_registry_only_is_blamed_for_the_callers_black_holed_http_calls() -> None:
    hub = Hub({"istio": _mesh("REGISTRY_ONLY")}, proxy=[
        _http(WRITE - timedelta(minutes=5), 200, "via_upstream", HOST, f"outbound|443||{HOST}"),
        _http(WRITE + timedelta(minutes=2), 502, "direct_response", HOST, "BlackHoleCluster")])
    facts = _facts("ConfigMap", "istio-system", "istio", MESH_DIFF)
    [hit] = _run(facts, hub)
    assert hit.hosts == [HOST] and hit.callers == [Ref("Deployment", "orders", "orders-api")]
    message = egress_closed.finding(hit, AT)["message"]
    head = message[:400]
    for word in ("ConfigMap istio-system/istio", "REGISTRY_ONLY", "outboundTrafficPolicy", "ServiceEntry",
                 "BlackHoleCluster", HOST):
        assert word in head, word
    assert "40 min before" in message and "502 - direct_response" in message
    [(ref, _, _, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == egress_closed.CHECK]
    assert ref == Ref("ConfigMap", "istio-system", "istio") and explains == hit.callers
    assert behind.WEIGHTS[egress_closed.CHECK] == egress_closed.WEIGHT


def _sidecar_resource() -> dict[str, Any]:
    return {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "default",
                                                                                    "namespace": "orders"},
            "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
                     "egress": [{"hosts": ["./*", "istio-system/*"]}]}}


TCP = [{"labels": {"source_workload": "orders-api", "source_workload_namespace": "orders"}, "value": 57.0}]


def test_sidecar_resource_is_blamed_from_istios_tcp_series_alone() -> None:
    hub = Hub({"default": _sidecar_resource()}, proxy=[], now=TCP, then=[])
    facts = _facts("Sidecar", "orders", "default",
                   ["spec.outboundTrafficPolicy.mode (now 'REGISTRY_ONLY')", "spec.egress"])
    [hit] = _run(facts, hub)
    assert hit.target == Ref("Sidecar", "orders", "default") and hit.hosts == []
    assert "57 calls from orders-api sent to BlackHoleCluster" in hit.proof
    assert any(tool == "prom_query" and args["time"] == _iso(WRITE - egress_closed.SLACK) for tool, args in hub.calls)
    assert egress_closed.finding(hit, AT)["message"].startswith(
        "Sidecar orders/default closed the mesh's egress: outboundTrafficPolicy mode REGISTRY_ONLY")


def test_a_mesh_config_written_with_allow_any_reads_no_logs_and_blames_nothing() -> None:
    hub = Hub({"istio": _mesh("ALLOW_ANY")}, proxy=[
        _http(WRITE + timedelta(minutes=2), 502, "direct_response", HOST, "BlackHoleCluster")])
    assert _run(_facts("ConfigMap", "istio-system", "istio", MESH_DIFF), hub) == []
    assert not any(tool == "k8s_logs" for tool, _ in hub.calls)


def test_black_holed_lines_older_than_the_write_are_a_standing_lockdown() -> None:
    hub = Hub({"istio": _mesh("REGISTRY_ONLY")}, proxy=[
        _http(WRITE - timedelta(hours=3), 502, "direct_response", HOST, "BlackHoleCluster"),
        _http(WRITE + timedelta(minutes=2), 502, "direct_response", HOST, "BlackHoleCluster")])
    assert _run(_facts("ConfigMap", "istio-system", "istio", MESH_DIFF), hub) == []


def test_series_black_holed_already_at_the_write_are_not_its_doing() -> None:
    hub = Hub({"default": _sidecar_resource()}, proxy=[], now=TCP, then=TCP)
    assert _run(_facts("Sidecar", "orders", "default", ["spec.outboundTrafficPolicy.mode"]), hub) == []


def test_a_lockdown_whose_callers_get_the_upstreams_own_503_is_not_blamed() -> None:
    hub = Hub({"istio": _mesh("REGISTRY_ONLY")}, proxy=[
        _http(WRITE + timedelta(minutes=2), 503, "via_upstream", HOST, f"outbound|443||{HOST}")])
    assert _run(_facts("ConfigMap", "istio-system", "istio", MESH_DIFF), hub) == []


def test_the_mode_is_read_in_every_carriers_wording() -> None:
    """The mesh config as JSON, istiod's chart values in a Flux HelmRelease, an Argo CD Application's values text and
    its `helm.parameters` pair: each closes egress with REGISTRY_ONLY and only with it."""
    for mode, closed in (("REGISTRY_ONLY", True), ("ALLOW_ANY", False)):
        json_mesh = {"kind": "ConfigMap", "data": {"mesh": json.dumps({"outboundTrafficPolicy": {"mode": mode}})}}
        release = {"kind": "HelmRelease", "spec": {"values": {"meshConfig": {"outboundTrafficPolicy": {"mode": mode}}}}}
        values = {"kind": "Application", "spec": {"source": {"helm": {
            "values": f"meshConfig:\n  accessLogFile: /dev/stdout\n  outboundTrafficPolicy:\n    mode: {mode}\n"}}}}
        param = {"kind": "Application", "spec": {"source": {"helm": {"parameters": [
            {"name": "meshConfig.outboundTrafficPolicy.mode", "value": mode}]}}}}
        for obj in (json_mesh, release, values, param):
            assert egress_closed.closes_egress(obj) is closed, (mode, obj)


def test_a_helmrelease_write_is_read_as_a_carrier() -> None:
    release = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
               "metadata": {"name": "istiod", "namespace": "istio-system"},
               "spec": {"values": {"meshConfig": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}}}}
    hub = Hub({"istiod": release}, proxy=[
        _http(WRITE + timedelta(minutes=2), 502, "direct_response", HOST, "BlackHoleCluster")])
    [hit] = _run(_facts("HelmRelease", "istio-system", "istiod", ["spec.values"]), hub)
    assert hit.target == Ref("HelmRelease", "istio-system", "istiod") and hit.hosts == [HOST]


def _cilium_policy() -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "egress-allowlist", "namespace": "orders"},
            "spec": {"endpointSelector": {}, "egress": [
                {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}]},
                {"toFQDNs": [{"matchName": "api.partner.example.com"}]}]}}


DROPS = [{"labels": {"source": "orders/orders-api", "reason": "POLICY_DENIED", "protocol": "TCP"}, "value": 212.0}]


def test_a_cilium_egress_allow_list_is_blamed_from_hubbles_drop_counter() -> None:
    hub = Hub({"egress-allowlist": _cilium_policy()}, now=DROPS, then=[])
    facts = _facts("CiliumNetworkPolicy", "orders", "egress-allowlist", ["spec.egress"])
    [hit] = _run(facts, hub)
    assert hit.datapath and hit.callers == [Ref("Deployment", "orders", "orders-api")]
    assert "212 packets dropped by policy" in hit.proof and "from orders/orders-api" in hit.proof
    assert [args["query"] for tool, args in hub.calls if tool == "prom_query"] == [egress_closed.DROPS] * 2
    assert not any(tool == "k8s_logs" for tool, _ in hub.calls)
    assert egress_closed.finding(hit, AT)["message"].startswith(
        "CiliumNetworkPolicy orders/egress-allowlist closed egress for the pods it selects")


def test_an_ingress_only_policy_or_drops_older_than_the_write_blame_nothing() -> None:
    ingress_only = {"kind": "NetworkPolicy", "metadata": {"name": "web-in", "namespace": "orders"},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]}}
    hub = Hub({"web-in": ingress_only}, now=DROPS, then=[])
    assert _run(_facts("NetworkPolicy", "orders", "web-in", ["spec.policyTypes"]), hub) == []
    assert not any(tool == "prom_query" for tool, _ in hub.calls)
    standing = Hub({"egress-allowlist": _cilium_policy()}, now=DROPS, then=DROPS)
    assert _run(_facts("CiliumNetworkPolicy", "orders", "egress-allowlist", ["spec.egress"]), standing) == []
    quiet = Hub({"egress-allowlist": _cilium_policy()}, now=[], then=[])
    assert _run(_facts("CiliumNetworkPolicy", "orders", "egress-allowlist", ["spec.egress"]), quiet) == []
