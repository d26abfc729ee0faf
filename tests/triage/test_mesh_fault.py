"""A mesh traffic policy written before the incident, whose proxies' own mark is on the callers' errors (issue #12,
round 16 class: a game-day fault injection applied to production).

Written here, not taken from the held-out bundles. Shapes: an Istio VirtualService `fault.abort` in the callee's
namespace proven by the caller's sidecar access log (another namespace); a DestinationRule whose `connectionPool`
was cut, proven by Istio's request series (flag UO) and, host-less, by the body a Go client quotes; an EnvoyFilter
patching Envoy's HTTP fault filter, proven by a JSON access log; a Kuma MeshFaultInjection's delay read by its
fields. Negative twins: the same fault write while the callers' 503s come from the service itself (`via_upstream`),
FI marks on calls to another host, a write that touched only annotations, a write outside the window, two fault
policies and a host-less line (which one made it is unknown). The tool hub is a recorded fake answering with
Kubernetes' shapes.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import mesh_fault
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 8, 14, 9, 30, tzinfo=UTC)
WRITE = AT - timedelta(minutes=14)
HOST = "pricing.catalog.svc.cluster.local"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _envoy(code: int, flags: str, details: str, authority: str) -> str:
    """Envoy's default access-log line, as Istio's sidecars print it."""
    return (f'[2026-08-14T09:20:01.000Z] "GET /v2/prices/77 HTTP/1.1" {code} {flags} {details} "-" 0 19 0 - '
            f'"10.244.1.3" "Go-http-client/1.1" "5b1d-77" "{authority}" "-" outbound|80||{authority}')


def _facts(kind: str, name: str, namespace: str, diff: list[str], at: datetime = WRITE,
           app_lines: list[str] | None = None) -> Facts:
    change = {"at": _iso(at), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
              "summary": f"{kind} {namespace}/{name} written by kubectl-client-side-apply (generation 3): "
                         + "; ".join(diff), "diff": diff}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "web", "name": "storefront"},
                              "pods": [{"name": "storefront-7c9d5-abcde", "namespace": "web", "phase": "Running"}]},
                             "E3"))
    facts.logs.append(LogEvidence(pod="storefront-7c9d5-abcde", namespace="web", evidence_id="E6",
                                  top={"example": "GET /products/77 -> 502 upstream pricing failed",
                                       "severity": "error"},
                                  hosts=[], error_classes={"server_error"}, previous=False,
                                  last_lines=app_lines or []))
    return facts


class Hub(RecordingHub):
    """The answers of `k8s_get` (objects by name, E21), `k8s_logs` (per pod and container) and `prom_query`."""

    def __init__(self, objects: dict[str, dict[str, Any]], proxy_lines: dict[str, list[str]] | None = None,
                 samples: list[dict[str, Any]] | None = None, app_lines: dict[str, list[str]] | None = None) -> None:
        super().__init__(objects=objects, ids={"k8s_get": "E21"},
                         answers={"prom_query": outcome(True, {"samples": samples or []}, "", "E31")})
        self.proxy_lines, self.app_lines = proxy_lines or {}, app_lines or {}

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "k8s_logs":
            return super().answer(call, eid)
        pod = call.args["name"]
        containers = [{"name": "app"}] + ([{"name": "istio-proxy"}] if pod in self.proxy_lines else [])
        if call.args.get("container") == "istio-proxy":
            return outcome(True, {"container": "istio-proxy", "containers": containers},
                           f"logs of {pod} container istio-proxy\n" + "\n".join(self.proxy_lines[pod]), "E30")
        return outcome(True, {"container": "app", "containers": containers},
                       "\n".join([f"logs of {pod} container app", *self.app_lines.get(pod, [])]), "E6")


def _vs(fault: dict[str, Any], host: str = HOST, name: str = "pricing") -> dict[str, Any]:
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": "catalog"},
            "spec": {"hosts": [host], "http": [{"fault": fault, "route": [{"destination": {"host": host}}]}]}}


ABORT = {"abort": {"percentage": {"value": 25.0}, "httpStatus": 503}}
VS_DIFF = ['spec.http = [{"fault": {"abort": {"httpStatus": 503, "percentage": {"value": 25.0}}}, "route"']


def _run(facts: Facts, hub: Hub) -> list[mesh_fault.Faulted]:
    asyncio.run(mesh_fault.read(facts, hub, _iso(AT)))
    return mesh_fault.found(facts)


def test_virtualservice_abort_in_the_callees_namespace_proven_by_the_callers_sidecar() -> None:
    hub = Hub({"pricing": _vs(ABORT)}, {"storefront-7c9d5-abcde": [
        _envoy(200, "-", "via_upstream", HOST), _envoy(503, "FI", "fault_filter_abort", HOST)]})
    [hit] = _run(_facts("VirtualService", "pricing", "catalog", VS_DIFF), hub)
    assert hit.injector.flag == "FI" and hit.injector.path == "spec.http[0].fault.abort"
    message = mesh_fault.finding(hit)["message"]
    assert message.startswith("VirtualService catalog/pricing injects faults (fault injection, "
                              "spec.http[0].fault.abort)")
    assert "25% of calls to pricing.catalog.svc.cluster.local itself with HTTP 503" in message
    assert "14 min before" in message
    assert "web/storefront-7c9d5-abcde's proxy logs '503 FI fault_filter_abort'" in message
    assert ("k8s_logs", {"name": "storefront-7c9d5-abcde", "namespace": "web", "container": "istio-proxy",
                         "tail": 300}) in hub.calls


def test_twin_the_same_fault_write_while_the_service_itself_fails() -> None:
    hub = Hub({"pricing": _vs(ABORT)}, {"storefront-7c9d5-abcde": [
        _envoy(503, "-", "via_upstream", HOST), _envoy(200, "-", "via_upstream", HOST)]})
    assert _run(_facts("VirtualService", "pricing", "catalog", VS_DIFF), hub) == []


def test_twin_fault_marks_on_calls_to_another_host() -> None:
    other = "reviews.catalog.svc.cluster.local"
    hub = Hub({"pricing": _vs(ABORT)}, {"storefront-7c9d5-abcde": [_envoy(503, "FI", "fault_filter_abort", other)]})
    assert _run(_facts("VirtualService", "pricing", "catalog", VS_DIFF), hub) == []


def test_twin_an_annotation_only_write_or_one_outside_the_window_is_not_a_candidate() -> None:
    lines = {"storefront-7c9d5-abcde": [_envoy(503, "FI", "fault_filter_abort", HOST)]}
    labels = _facts("VirtualService", "pricing", "catalog", ["metadata.annotations.owner = 'team-catalog'"])
    assert _run(labels, Hub({"pricing": _vs(ABORT)}, lines)) == []
    old = _facts("VirtualService", "pricing", "catalog", VS_DIFF, at=AT - timedelta(days=2))
    assert _run(old, Hub({"pricing": _vs(ABORT)}, lines)) == []


def test_destinationrule_pool_cut_proven_by_request_series_and_by_a_clients_quoted_body() -> None:
    dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
          "metadata": {"name": "pricing-limits", "namespace": "catalog"},
          "spec": {"host": "pricing", "trafficPolicy": {"connectionPool": {
              "tcp": {"maxConnections": 2}, "http": {"http1MaxPendingRequests": 1}}}}}
    diff = ["spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1024 -> 1"]
    series = Hub({"pricing-limits": dr}, samples=[{"labels": {
        "response_flags": "UO", "response_code": "503", "destination_service_name": "pricing",
        "destination_service_namespace": "catalog", "source_workload": "storefront"}, "value": 4.2}])
    [hit] = _run(_facts("DestinationRule", "pricing-limits", "catalog", diff), series)
    message = mesh_fault.finding(hit)["message"]
    assert hit.injector.flag == "UO" and message.startswith("DestinationRule catalog/pricing-limits sets a circuit")
    assert "http1MaxPendingRequests 1" in message
    assert "4.2/s from storefront answered 503 with response flag UO" in message
    body = ("upstream connect error or disconnect/reset before headers. reset reason: overflow")
    quoted = _facts("DestinationRule", "pricing-limits", "catalog", diff, app_lines=[f"pricing call failed: {body}"])
    [hit] = _run(quoted, Hub({"pricing-limits": dr}))
    assert "reset reason: overflow" in hit.proof


def test_envoyfilter_fault_filter_with_a_json_access_log() -> None:
    ef = {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter",
          "metadata": {"name": "chaos-abort", "namespace": "catalog"},
          "spec": {"workloadSelector": {"labels": {"app": "pricing"}}, "configPatches": [{
              "applyTo": "HTTP_FILTER", "patch": {"operation": "INSERT_BEFORE", "value": {
                  "name": "envoy.filters.http.fault", "typed_config": {
                      "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
                      "abort": {"http_status": 500, "percentage": {"numerator": 10}}}}}}]}}
    line = json.dumps({"response_code": 500, "response_flags": "FI", "authority": "pricing.catalog:80",
                       "response_code_details": "fault_filter_abort"})
    hub = Hub({"chaos-abort": ef}, {"storefront-7c9d5-abcde": [line]})
    [hit] = _run(_facts("EnvoyFilter", "chaos-abort", "catalog", ["spec.configPatches = [...]"]), hub)
    assert "10% of calls" in mesh_fault.finding(hit)["message"] and "HTTP 500" in mesh_fault.finding(hit)["message"]


def test_twin_two_fault_policies_and_a_host_less_line_names_neither() -> None:
    facts = _facts("VirtualService", "pricing", "catalog", VS_DIFF,
                   app_lines=['price lookup failed status=503 body="fault filter abort"'])
    second = dict(facts.change_list()[0], object={"kind": "VirtualService", "namespace": "catalog", "name": "reviews"})
    facts.changes = {"changes": [*facts.change_list(), second]}
    hub = Hub({"pricing": _vs(ABORT), "reviews": _vs(ABORT, "reviews.catalog.svc.cluster.local", "reviews")})
    assert _run(facts, hub) == []
    alone = _facts("VirtualService", "pricing", "catalog", VS_DIFF,
                   app_lines=['price lookup failed status=503 body="fault filter abort"'])
    [hit] = _run(alone, Hub({"pricing": _vs(ABORT)}))
    assert "fault filter abort" in hit.proof


def test_injectors_read_the_documented_fields_of_each_kind() -> None:
    kuma = {"kind": "MeshFaultInjection", "spec": {"targetRef": {"kind": "Mesh"}, "to": [{
        "targetRef": {"kind": "MeshService", "name": "pricing"},
        "default": {"http": [{"delay": {"value": "3s", "percentage": "40"}}]}}]}}
    [delay] = mesh_fault.injectors(kuma)
    assert delay.flag == "DI" and "3s" in delay.does and mesh_fault.hosts(kuma) == ["pricing"]
    outlier = {"kind": "DestinationRule", "spec": {"host": HOST, "trafficPolicy": {"outlierDetection": {
        "consecutive5xxErrors": 1, "maxEjectionPercent": 100}}}}
    assert [i.flag for i in mesh_fault.injectors(outlier)] == ["UH"]
    plain = _vs({})
    plain["spec"]["http"][0].pop("fault")
    plain["spec"]["http"][0]["timeout"] = "2s"
    assert mesh_fault.injectors(plain) == []  # a route and a timeout inject nothing


def test_host_names_and_flags() -> None:
    assert mesh_fault.names_host("outbound|80||pricing.catalog.svc.cluster.local", HOST, "catalog")
    assert mesh_fault.names_host("pricing catalog 503 UO", "pricing", "catalog")
    assert not mesh_fault.names_host("pricing-v2.catalog.svc.cluster.local", HOST, "catalog")
    assert not mesh_fault.names_host("pricing.billing.svc.cluster.local", HOST, "catalog")
    assert mesh_fault.flags_of(_envoy(503, "UO,URX", "overflow", HOST)) == {"UO", "URX"}
    assert mesh_fault.flags_of("GET /x 503 Service Unavailable") == set()


def test_outlier_ejection_named_unless_the_service_itself_is_down() -> None:
    dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
          "metadata": {"name": "pricing", "namespace": "catalog"},
          "spec": {"host": HOST, "trafficPolicy": {"outlierDetection": {
              "consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "15m", "maxEjectionPercent": 100}}}}
    diff = ["spec.trafficPolicy.outlierDetection.consecutive5xxErrors: 20 -> 1"]
    lines = {"storefront-7c9d5-abcde": [_envoy(503, "UH", "no_healthy_upstream", HOST)]}
    [hit] = _run(_facts("DestinationRule", "pricing", "catalog", diff), Hub({"pricing": dr}, lines))
    assert hit.injector.flag == "UH" and "consecutive5xxErrors 1" in mesh_fault.finding(hit)["message"]
    down = _facts("DestinationRule", "pricing", "catalog", diff)
    down.scan = {"findings": [{"check": "workload.unavailable", "severity": "critical",
                               "object": {"kind": "Deployment", "namespace": "catalog", "name": "pricing"}}]}
    assert _run(down, Hub({"pricing": dr}, lines)) == []


def test_a_limit_write_is_cleared_when_the_service_answers_the_5xx_itself() -> None:
    dr = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
          "metadata": {"name": "pricing-limits", "namespace": "catalog"},
          "spec": {"host": HOST, "trafficPolicy": {"connectionPool": {"http": {"http1MaxPendingRequests": 8}}}}}
    diff = ["spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1024 -> 8",
            f"spec.host = '{HOST}' (current)"]
    lines = {"storefront-7c9d5-abcde": [_envoy(503, "-", "via_upstream", HOST), _envoy(200, "-", "via_upstream", HOST)]}
    facts = _facts("DestinationRule", "pricing-limits", "catalog", diff)
    assert _run(facts, Hub({"pricing-limits": dr}, lines)) == []
    assert [str(r) for r in mesh_fault.cleared(facts)] == ["DestinationRule catalog/pricing-limits"]
    # the same write that also moved the host is not cleared: a field outside the limits changed too
    moved = _facts("DestinationRule", "pricing-limits", "catalog", [*diff[:1], f"spec.host: pricing-v1 -> {HOST}"])
    assert _run(moved, Hub({"pricing-limits": dr}, lines)) == [] and mesh_fault.cleared(moved) == []
    # nothing read that shows who answered the 5xx: not cleared either
    unseen = _facts("DestinationRule", "pricing-limits", "catalog", diff)
    assert _run(unseen, Hub({"pricing-limits": dr})) == [] and mesh_fault.cleared(unseen) == []


def test_the_page_on_the_callee_proven_by_a_gateway_whose_own_container_is_the_proxy() -> None:
    facts = _facts("VirtualService", "pricing", "catalog", VS_DIFF)
    facts.topologies[0] = ({"subject": {"kind": "Deployment", "namespace": "catalog", "name": "pricing"},
                            "pods": [{"name": "pricing-5f7b9c-x2x9q", "namespace": "catalog", "phase": "Running"}]},
                           "E3")
    facts.logs.append(LogEvidence(pod="edge-gateway-6d4f8-k7m2p", namespace="edge", evidence_id="E7", top=None,
                                  hosts=[], error_classes=set(), previous=False))
    gateway = [_envoy(200, "-", "via_upstream", HOST), _envoy(503, "FI", "fault_filter_abort", HOST)]
    [hit] = _run(facts, Hub({"pricing": _vs(ABORT)}, app_lines={"edge-gateway-6d4f8-k7m2p": gateway}))
    assert hit.proof.startswith("edge/edge-gateway-6d4f8-k7m2p's proxy logs '503 FI fault_filter_abort'")
