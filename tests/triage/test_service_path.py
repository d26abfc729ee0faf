"""A Service's routing changed between callers and pods (issue #12, round 14/15 class): node-local traffic policy,
and a headless Service turned into a virtual IP in front of long-lived connections.

Written here, not taken from the held-out bundles: each mechanism in two shapes (different clients, different
evidence place) with negative twins. Change lines are in the shape `k8s_changes` prints them; objects are as
`k8s_get -o yaml` returns them; metric samples in `prom_query`'s answer shape; the survey's reads run through a
recorded fake of the tool hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import service_path
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 4, 7, 14, 0, tzinfo=UTC)


class Hub(RecordingHub):
    """The tool hub as the survey calls it, answering from recorded objects (by kind and name), pods, logs by pod and
    samples by a word of the query."""

    def __init__(self, objects: dict[tuple[str, str], dict[str, Any]], pods: list[dict[str, Any]],
                 logs: dict[str, str] | None = None, samples: dict[str, list[dict[str, Any]]] | None = None) -> None:
        slices = [{"name": n} for (k, n) in objects if k == "EndpointSlice"]
        super().__init__(objects=objects, lists={"EndpointSlice": slices, "pods": pods})
        self.logs_text, self.samples = logs or {}, samples or {}

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_logs":
            return outcome(True, {}, self.logs_text.get(call.args["name"], ""), eid)
        if call.tool == "prom_query":
            name = next((k for k in self.samples if k in call.args["query"]), "")
            return outcome(True, {"samples": self.samples.get(name, [])}, "", eid)
        return super().answer(call, eid)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(ns: str, name: str, diff: list[str], kind: str = "other", ago: timedelta = timedelta(minutes=40)
            ) -> dict[str, Any]:
    return {"at": _iso(AT - ago), "type": kind, "object": {"kind": "Service", "namespace": ns, "name": name},
            "summary": f"Service {ns}/{name} {'created' if kind == 'created' else 'written'}", "diff": diff}


def _log(ns: str, pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top={"message": message}, hosts=[],
                       error_classes={"timeout"}, previous=False)


def _slice(service: str, endpoints: dict[str, str]) -> dict[str, Any]:
    return {"kind": "EndpointSlice", "metadata": {"name": f"{service}-abcde"},
            "endpoints": [{"addresses": [f"10.1.0.{i}"], "conditions": {"ready": True}, "nodeName": node,
                           "targetRef": {"kind": "Pod", "name": pod}}
                          for i, (pod, node) in enumerate(endpoints.items())]}


def _run(facts: Facts, hub: Hub) -> None:
    asyncio.run(service_path.read(facts, hub, _iso(AT)))


# ---- internalTrafficPolicy: Local -------------------------------------------------------------------------------

LOCAL = "spec.internalTrafficPolicy written by kubectl-patch (now 'Local')"
NODES = {"rates-7c9-a": "node-a", "rates-7c9-b": "node-b"}
CALLERS = [{"name": "billing-7d9f8c6b5-x2k4p", "namespace": "billing", "node": "node-c", "status": "Running"},
           {"name": "billing-7d9f8c6b5-q8w7r", "namespace": "billing", "node": "node-a", "status": "Running"}]


def _local_hub(sibling_log: str = "level=info msg=\"invoice priced\" rates_ms=3") -> Hub:
    svc = {"kind": "Service", "metadata": {"name": "rates", "namespace": "fx"},
           "spec": {"clusterIP": "10.96.4.20", "clusterIPs": ["10.96.4.20"], "internalTrafficPolicy": "Local",
                    "ports": [{"name": "http", "port": 80}]}}
    return Hub({("Service", "rates"): svc, ("EndpointSlice", "rates-abcde"): _slice("rates", NODES)},
               CALLERS, logs={"billing-7d9f8c6b5-q8w7r": sibling_log})


def _local_facts(message: str, diff: str = LOCAL) -> Facts:
    facts = Facts(at=AT, changes={"changes": [_change("fx", "rates", [diff])]}, changes_id="E2")
    facts.logs.append(_log("billing", "billing-7d9f8c6b5-x2k4p", message))
    return facts


def test_go_caller_timing_out_on_a_node_without_an_endpoint() -> None:
    facts = _local_facts('rate lookup failed: Get "http://rates.fx.svc.cluster.local/v2/eur": dial tcp '
                         '10.96.4.20:80: i/o timeout')
    hub = _local_hub()
    _run(facts, hub)
    [hit] = service_path.found_local(facts)
    assert hit.failing == {"billing-7d9f8c6b5-x2k4p": "node-c"} and hit.working == {"billing-7d9f8c6b5-q8w7r": "node-a"}
    message = service_path.finding_local(hit)["message"]
    assert message.startswith("Service fx/rates set internalTrafficPolicy Cluster (default) -> Local")
    assert "no local endpoints" in message[:300] and "node-a, node-b" in message


def test_java_caller_refused_by_dns_name() -> None:
    facts = _local_facts("java.net.ConnectException: Connection refused (connect failed) to "
                         "rates.fx.svc.cluster.local:80")
    _run(facts, _local_hub())
    assert [h.service.name for h in service_path.found_local(facts)] == ["rates"]


def test_caller_failing_beside_an_endpoint_is_not_the_policy() -> None:
    facts = _local_facts("dial tcp 10.96.4.20:80: i/o timeout")
    facts.logs[0] = _log("billing", "billing-7d9f8c6b5-q8w7r", "dial tcp 10.96.4.20:80: i/o timeout")  # on node-a
    _run(facts, _local_hub())
    assert service_path.found_local(facts) == []


def test_sibling_beside_an_endpoint_failing_too_is_not_the_policy() -> None:
    facts = _local_facts("dial tcp 10.96.4.20:80: i/o timeout")
    _run(facts, _local_hub(sibling_log='err="Get http://rates.fx.svc.cluster.local/v2: dial tcp 10.96.4.20:80: '
                                       'i/o timeout"'))
    assert service_path.found_local(facts) == []


def test_policy_back_to_cluster_or_errors_elsewhere_name_nothing() -> None:
    back = _local_facts("dial tcp 10.96.4.20:80: i/o timeout",
                        diff="spec.internalTrafficPolicy written by kubectl-patch (now 'Cluster')")
    _run(back, _local_hub())
    assert service_path.found_local(back) == []
    other = _local_facts("dial tcp 10.96.9.9:5432: i/o timeout")  # another dependency times out
    _run(other, _local_hub())
    assert service_path.found_local(other) == []


# ---- headless -> ClusterIP in front of long-lived connections ---------------------------------------------------

PODS = {f"quotes-{c}": f"node-{n}" for c, n in zip("abcdef", "112234", strict=True)}


def _samples(values: dict[str, float]) -> list[dict[str, Any]]:
    return [{"labels": {"pod": p}, "value": v} for p, v in values.items()]


def _vip_hub(cluster_ip: str, port: dict[str, Any], samples: dict[str, list[dict[str, Any]]]) -> Hub:
    svc = {"kind": "Service", "metadata": {"name": "quotes", "namespace": "pricing"},
           "spec": {"clusterIP": cluster_ip, "ports": [port]}}
    return Hub({("Service", "quotes"): svc, ("EndpointSlice", "quotes-abcde"): _slice("quotes", PODS)}, [],
               samples=samples)


PINNED = {"quotes-a": 900.0, "quotes-b": 880.0, "quotes-c": 870.0, "quotes-d": 2.0, "quotes-e": 1.0, "quotes-f": 0.0}
EVEN = {p: 400.0 + i for i, p in enumerate(PODS)}


def test_recreated_grpc_service_with_load_on_three_pods() -> None:
    facts = Facts(at=AT, changes={"changes": [_change("pricing", "quotes", [], kind="created",
                                                      ago=timedelta(hours=3))]}, changes_id="E2")
    _run(facts, _vip_hub("10.96.7.7", {"name": "grpc", "port": 9090, "appProtocol": "kubernetes.io/h2c"},
                         {"grpc_server": _samples(PINNED)}))
    [hit] = service_path.found_pinned(facts)
    assert hit.hot_nodes == ["node-1", "node-2"]
    message = service_path.finding_pinned(hit)["message"]
    assert "ClusterIP" in message[:120] and "headless" in message[:120] and "HTTP/2" in message[:250]
    assert "3 of 6 pods on node-1, node-2 carry" in message


def test_cluster_ip_written_for_http2_port_seen_in_request_counts() -> None:
    facts = Facts(at=AT, changes={"changes": [_change("pricing", "quotes", [
        "spec.clusterIP written by helm (now '10.96.7.7')"])]}, changes_id="E2")
    skewed = {**EVEN, "quotes-a": 4000.0}
    _run(facts, _vip_hub("10.96.7.7", {"name": "http2-api", "port": 8443}, {"requests": _samples(skewed)}))
    assert [h.service.name for h in service_path.found_pinned(facts)] == ["quotes"]


def test_even_load_headless_or_http1_name_nothing() -> None:
    created = {"changes": [_change("pricing", "quotes", [], kind="created")]}
    grpc = {"name": "grpc", "port": 9090}
    for ip, port, load in (("10.96.7.7", grpc, EVEN),  # balanced: the virtual IP did no harm
                           ("None", grpc, PINNED),  # still headless: clients see every pod
                           ("10.96.7.7", {"name": "http", "port": 80}, PINNED)):  # short-lived HTTP/1
        facts = Facts(at=AT, changes=created, changes_id="E2")
        _run(facts, _vip_hub(ip, port, {"grpc_server": _samples(load)}))
        assert service_path.found_pinned(facts) == [], (ip, port)
