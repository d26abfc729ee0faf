"""agent.triage.port_protocol against meshes, clients and protocol declarations other than the round's.

Shapes: a gRPC port's appProtocol moved `grpc` -> `http` under Kuma (`kuma-sidecar`), seen in a grpc-go caller's
`error reading server preface` naming the host; a Netty grpc-java caller's `First received frame was not SETTINGS`
through a port renamed `http-ledger`, no host in the line and one Service written; the Gateway API's
`kubernetes.io/ws` and Linkerd's (hyper) `invalid HTTP version parsed` wordings. Twins: the same grpc-go error with
the port still declared gRPC (`grpc-ledger`); an HTTP/1.1 caller through a port declared `http`; a caller's plain
connection refused.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, port_protocol
from agent.triage.facts import Facts, Ref
from agent.triage.port_protocol import MARK, Declared, conflicts, declared, traffic_of
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, log_text, outcome

AT = datetime(2026, 8, 12, 10, 0, tzinfo=UTC)
WROTE = AT - timedelta(minutes=35)
CALLER = "payouts-7b9c8d6f5-m4n5p"
GO_PREFACE = ('time=2026-08-12T09:41:07Z level=error msg="settle failed" target=ledger.accounts:9090 err="rpc error: '
              'code = Unavailable desc = connection error: desc = \\"error reading server preface: http2: frame too '
              'large\\""')
NETTY = ("io.grpc.StatusRuntimeException: UNAVAILABLE: io.netty.handler.codec.http2.Http2Exception: First received "
         "frame was not SETTINGS. Hex dump for first 5 bytes: 485454502f")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _service(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": "ledger", "namespace": "accounts"},
            "spec": {"selector": {"app": "ledger"}, "ports": ports}}


class Hub(RecordingHub):
    """`k8s_get` of the Service; `k8s_logs` of the caller's app container (listing a Kuma sidecar) and sidecar."""

    def __init__(self, service: dict[str, Any], app: list[str]) -> None:
        def logs(call: Any, eid: str) -> Any:
            lines = [] if call.args.get("container") == "kuma-sidecar" else app
            return outcome(True, {"container": call.args.get("container") or "payouts",
                                  "containers": ["payouts", "kuma-sidecar"]}, log_text(lines, call.args), eid)
        super().__init__(objects={("Service", "accounts", "ledger"): service}, answers={"k8s_logs": logs})


def _run(service: dict[str, Any], app: list[str], diff: str) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    change = {"at": _iso(WROTE), "type": "other", "object": {"kind": "Service", "namespace": "accounts",
                                                             "name": "ledger"},
              "summary": f"Service accounts/ledger written by kustomize-controller: {diff}", "diff": [diff]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2",
                  topologies=[({"pods": [{"name": CALLER, "namespace": "finance"}]}, "E3")])
    asyncio.run(port_protocol.read(Subject(), facts, Hub(service, app), _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == port_protocol.CHECK]


def test_a_kuma_port_whose_app_protocol_moved_to_http_is_named_from_grpc_gos_preface_error() -> None:
    service = _service([{"name": "api", "port": 9090, "appProtocol": "http"}])
    [(ref, found, evidence, _)] = _run(service, [GO_PREFACE] * 3, "spec.ports.[0].appProtocol: grpc -> http")
    assert ref == Ref("Service", "accounts", "ledger")
    head = found["message"][:400]
    assert "port 9090 now declares protocol http by its appProtocol http" in head and "gRPC" in head
    assert "error reading server preface" in found["message"] and "E2" in evidence


def test_a_port_renamed_http_is_named_from_a_netty_grpc_java_callers_settings_error() -> None:
    service = _service([{"name": "http-ledger", "port": 9090}])
    [(ref, found, _, _)] = _run(service, [NETTY] * 2, "spec.ports.[0].name: grpc-ledger -> http-ledger")
    assert ref == Ref("Service", "accounts", "ledger")
    assert "First received frame was not SETTINGS" in found["message"]


def test_other_declarations_and_wordings() -> None:
    [ws] = declared(_service([{"name": "stream", "port": 80, "appProtocol": "kubernetes.io/ws"}]))
    assert ws.protocol == "ws" and conflicts(ws, "gRPC")
    linkerd = "WARN inbound:server{port=8080}: linkerd_app_core::serve: Connection closed error=invalid HTTP " \
              "version parsed"
    assert MARK.search(linkerd) and traffic_of([linkerd]) == "gRPC"
    assert MARK.search('http2: server: error reading preface from client 10.4.0.9:53312: bogus greeting "GET / '
                       'HTTP/1.1"')


def test_twin_the_port_still_declares_grpc() -> None:
    service = _service([{"name": "grpc-ledger", "port": 9090}])
    assert _run(service, [GO_PREFACE] * 3, "spec.ports.[0].name: grpc -> grpc-ledger") == []


def test_twin_http1_traffic_through_a_port_declared_http_and_no_mark() -> None:
    assert not conflicts(Declared(8080, "http-web", "", "http"), "HTTP/1.1")
    refused = ('time=2026-08-12T09:41:07Z level=error msg="settle failed" err="rpc error: code = Unavailable desc = '
               'connection error: desc = \\"transport: Error while dialing: dial tcp 10.0.7.3:9090: connect: '
               'connection refused\\""')
    assert not MARK.search(refused)
    service = _service([{"name": "api", "port": 9090, "appProtocol": "http"}])
    assert _run(service, [refused] * 3, "spec.ports.[0].appProtocol: grpc -> http") == []


def test_twin_a_port_named_ws_is_not_a_declaration() -> None:
    [named] = declared(_service([{"name": "ws-feed", "port": 80}]))
    assert named.protocol == "" and not conflicts(named, "gRPC")


def _consul_run(protocol: str, app: list[str]) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    defaults = {"kind": "ServiceDefaults", "metadata": {"name": "ledger", "namespace": "accounts"},
                "spec": {"protocol": protocol}}
    change = {"at": _iso(WROTE), "type": "other", "object": {"kind": "ServiceDefaults", "namespace": "accounts",
                                                             "name": "ledger"},
              "summary": f"ServiceDefaults accounts/ledger written by argocd: spec.protocol grpc -> {protocol}",
              "diff": [f"spec.protocol: grpc -> {protocol}"]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2",
                  topologies=[({"pods": [{"name": CALLER, "namespace": "finance"}]}, "E3")])
    hub = Hub(_service([]), app)
    hub.objects[("ServiceDefaults", "accounts", "ledger")] = defaults
    asyncio.run(port_protocol.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == port_protocol.CHECK]


def test_a_consul_service_defaults_protocol_moved_to_http_is_named_for_grpc_callers() -> None:
    [(ref, found, _, _)] = _consul_run("http", [GO_PREFACE] * 3)
    assert ref == Ref("ServiceDefaults", "accounts", "ledger") and found["object"]["kind"] == "ServiceDefaults"
    head = found["message"][:400]
    assert "every port of the service now declares protocol http" in head and "Consul" in head and "gRPC" in head


def test_twin_consul_service_defaults_still_grpc() -> None:
    assert _consul_run("grpc", [GO_PREFACE] * 3) == []
