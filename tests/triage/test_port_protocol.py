"""agent.triage.port_protocol: a Service port whose name/appProtocol makes the mesh proxy the wrong protocol.

Shapes: a gRPC port renamed `grpc` -> `http`, seen in the callers' Istio sidecar access log (UPE, protocol_error);
an HTTP/1.1 port given `appProtocol: kubernetes.io/h2c`, seen in the caller's own Go client error naming the host.
Twins: the port renamed to a name that matches the traffic (`grpc-api`); the callers' errors carry no protocol
mark (connection refused); a Service write that did not touch a port's name or appProtocol.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, port_protocol
from agent.triage.facts import Facts, Ref
from agent.triage.port_protocol import conflicts, declared, traffic_of
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, log_text, outcome

AT = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
WROTE = AT - timedelta(minutes=20)
CALLER = "storefront-6c8d9f7b5-wxyzq"
UPE = ('[2026-07-01T11:55:01.120Z] "POST /reviews.v2.Reviews/List HTTP/2" 503 UPE '
       'upstream_reset_before_response_started{protocol_error} "-" 12 95 1 - "-" "grpc-go/1.64.0" "id" '
       '"reviews.catalog.svc.cluster.local:7070" "10.0.3.4:7070" outbound|7070||reviews.catalog.svc.cluster.local')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _service(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": "reviews", "namespace": "catalog"},
            "spec": {"selector": {"app": "reviews"}, "ports": ports}}


def _facts(diff: str = "spec.ports.[…].name") -> Facts:
    change = {"at": _iso(WROTE), "type": "other", "object": {"kind": "Service", "namespace": "catalog",
                                                             "name": "reviews"},
              "summary": f"Service catalog/reviews written by helm: {diff}", "diff": [f"{diff} written by helm"]}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2",
                 topologies=[({"pods": [{"name": CALLER, "namespace": "web"}]}, "E3")])


class Hub(RecordingHub):
    """`k8s_get` of the Service; `k8s_logs` of the caller's app container (listing its sidecar) and sidecar."""

    def __init__(self, service: dict[str, Any], app: list[str], proxy: list[str]) -> None:
        def logs(call: Any, eid: str) -> Any:
            lines = proxy if call.args.get("container") == "istio-proxy" else app
            return outcome(True, {"container": call.args.get("container") or "storefront",
                                  "containers": ["storefront", "istio-proxy"]}, log_text(lines, call.args), eid)
        super().__init__(objects={("Service", "catalog", "reviews"): service}, answers={"k8s_logs": logs})


def _run(facts: Facts, hub: Hub) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    asyncio.run(port_protocol.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == port_protocol.CHECK]


def test_a_grpc_port_renamed_http_is_named_from_the_sidecars_upe_lines() -> None:
    hub = Hub(_service([{"name": "http", "port": 7070, "targetPort": 7070}]),
              ["io.grpc.StatusRuntimeException: UNAVAILABLE: upstream connect error or disconnect/reset before "
               "headers. reset reason: protocol error"], [UPE] * 3)
    facts = _facts()
    [(ref, found, evidence, _)] = _run(facts, hub)
    assert ref == Ref("Service", "catalog", "reviews")
    head = found["message"][:400]
    assert "port 7070 now declares protocol http by its port name http" in head
    assert "HTTP/1.1" in head and "Istio" in head and "gRPC" in head
    assert "E2" in evidence


def test_an_http1_port_given_h2c_app_protocol_is_named_from_the_callers_go_error() -> None:
    line = ('level=error msg="list reviews" err="Get \\"http://reviews.catalog:7070/v1/list\\": net/http: HTTP/1.x '
            'transport connection broken: malformed HTTP response \\"\\\\x00\\\\x00\\\\x12\\\\x04\\"" '
            'req="GET /v1/list HTTP/1.1"')
    hub = Hub(_service([{"name": "web", "port": 7070, "appProtocol": "kubernetes.io/h2c"}]),
              [f'{line} "GET /v1/list HTTP/1.1"'], [])
    [(ref, found, _, _)] = _run(_facts("spec.ports.[…].appProtocol"), hub)
    assert ref == Ref("Service", "catalog", "reviews")
    assert "appProtocol kubernetes.io/h2c" in found["message"] and "HTTP/1.1" in found["message"][:400]


def test_twin_a_name_that_matches_the_traffic() -> None:
    hub = Hub(_service([{"name": "grpc-api", "port": 7070}]), [], [UPE] * 3)
    assert _run(_facts(), hub) == []


def test_twin_errors_without_a_protocol_mark() -> None:
    hub = Hub(_service([{"name": "http", "port": 7070}]),
              ["io.grpc.StatusRuntimeException: UNAVAILABLE: io exception: Connection refused: "
               "reviews.catalog.svc/10.0.3.4:7070"], [])
    assert _run(_facts(), hub) == []


def test_twin_a_write_that_did_not_touch_port_names() -> None:
    hub = Hub(_service([{"name": "http", "port": 7070}]), [], [UPE] * 3)
    assert _run(_facts("spec.selector = {\"app\": \"reviews\"}"), hub) == []


def test_protocol_selection_and_conflicts() -> None:
    ports = declared(_service([{"name": "grpc-web", "port": 1}, {"name": "http2-x", "port": 2},
                               {"name": "metrics", "port": 3}, {"name": "x", "appProtocol": "HTTP", "port": 4}]))
    assert [p.protocol for p in ports] == ["grpc-web", "http2", "", "http"]
    assert traffic_of([UPE]) == "gRPC" and traffic_of(['"GET / HTTP/1.1" 503 UPE']) == "HTTP/1.1"
    assert conflicts(ports[3], "gRPC") and not conflicts(ports[1], "gRPC") and not conflicts(ports[2], "gRPC")
