"""egress_closed beyond Istio: the same egress lockdown written in Consul, Kuma/Kong Mesh, App Mesh and Linkerd.

Shapes: Consul's mesh config entry (`Mesh` transparentProxy.meshDestinationsOnly true) proven by the caller's
consul-dataplane JSON access log (`"response_flags":"NR"`, filter_chain_not_found) after the write; Kuma's `Mesh`
(networking.outbound.passthrough false) proven only by Envoy's `envoy_listener_no_filter_chain_match` by pod, the
kuma-sidecar log holding no such line; Linkerd's EgressNetwork (trafficPolicy Deny) proven by the deny route's
series with the host; a Consul TerminatingGateway that no longer links the Destination service the caller's Envoy
answers UH for. Twins: a gateway still linking that service, Consul's flag false (nothing closed), NR lines older
than the write (a standing lockdown), Envoy's counter already rising at the write, Linkerd's series naming another
EgressNetwork, and Envoy's NR read only as a response flag (an app's `NR` word is not one).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import egress_closed
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject

AT = datetime(2026, 8, 4, 9, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=35)
POD = "quotes-6c9d7b8f5-p4x8z"
HOST = "api.fx-rates.example.net"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@dataclass
class Outcome:
    ok: bool
    data: Any
    full_text: str
    evidence_id: str


@dataclass
class Hub:
    """`k8s_get` (objects by name, as YAML), `k8s_logs` (the app and its sidecar, `grep` as the server applies it:
    case-insensitive substring), `prom_query` (samples by query and time: at the incident, at the write)."""

    objects: dict[str, dict[str, Any]]
    sidecar: str
    proxy: list[str] = field(default_factory=list)
    series: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> Outcome | None:
        self.calls.append((tool, args))
        if tool == "k8s_get":
            obj = self.objects.get(args["name"])
            return Outcome(obj is not None, {}, yaml.safe_dump(obj) if obj else "not found", "E21")
        containers = [{"name": "quotes"}, {"name": self.sidecar}]
        if tool == "k8s_logs" and args.get("container") == self.sidecar:
            needle = str(args.get("grep") or "").lower()
            kept = [ln for ln in self.proxy if needle in ln.lower()]
            return Outcome(True, {"containers": containers}, "\n".join([f"logs of {self.sidecar}", *kept]), "E30")
        if tool == "k8s_logs":
            return Outcome(True, {"containers": containers}, "logs of quotes\nfx lookup failed: ECONNRESET", "E6")
        if tool == "prom_query":
            when = "now" if args["time"] == _iso(AT) else "then"
            return Outcome(True, {"samples": self.series.get(args["query"], {}).get(when, [])}, "", "E31")
        return None


def _facts(kind: str, namespace: str, name: str) -> Facts:
    change = {"at": _iso(WRITE), "type": "config", "object": {"kind": kind, "namespace": namespace, "name": name},
              "summary": f"{kind} {namespace}/{name} updated by platform-gitops: spec", "diff": ["spec"]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.logs.append(LogEvidence(pod=POD, namespace="pricing", evidence_id="E6",
                                  top={"example": "fx lookup failed: read ECONNRESET", "severity": "error"},
                                  hosts=[], error_classes={"connection"}, previous=False, last_lines=[]))
    return facts


def _run(facts: Facts, hub: Hub) -> list[egress_closed.Closed]:
    asyncio.run(egress_closed.read(Subject(), facts, hub, _iso(AT)))
    return egress_closed.found(facts)


def _consul(only: bool) -> dict[str, Any]:
    return {"apiVersion": "consul.hashicorp.com/v1alpha1", "kind": "Mesh", "metadata": {"name": "mesh",
                                                                                          "namespace": "consul"},
            "spec": {"transparentProxy": {"meshDestinationsOnly": only}}}


def _consul_line(t: datetime, flags: str, details: str) -> str:
    return json.dumps({"start_time": _iso(t), "method": None, "protocol": None, "response_code": 0,
                       "response_flags": flags, "response_code_details": details,
                       "connection_termination_details": None, "upstream_cluster": None,
                       "downstream_remote_address": "10.42.1.17:51234", "downstream_local_address": "34.117.59.81:443",
                       "requested_server_name": HOST, "bytes_received": 0, "bytes_sent": 0})


def test_consul_mesh_destinations_only_is_blamed_for_the_callers_nr_connections() -> None:
    hub = Hub({"mesh": _consul(True)}, "consul-dataplane", proxy=[
        _consul_line(WRITE - timedelta(minutes=10), "-", "via_upstream"),
        _consul_line(WRITE + timedelta(minutes=1), "NR", "filter_chain_not_found"),
        "repeated 3x: " + _consul_line(WRITE + timedelta(minutes=2), "NR", "filter_chain_not_found")])
    facts = _facts("Mesh", "consul", "mesh")
    [hit] = _run(facts, hub)
    assert hit.mesh == "consul" and hit.hosts == [HOST] and hit.callers == [Ref("Deployment", "pricing", "quotes")]
    message = egress_closed.finding(hit, AT)["message"]
    for word in ("Mesh consul/mesh closed the mesh's egress", "meshDestinationsOnly", "terminating gateway",
                 "NR", "filter_chain_not_found", HOST):
        assert word in message[:400], word
    assert "(2 such lines since the write, none before)" in message
    assert f"proxy logs 'response_flags=NR response_code_details=filter_chain_not_found requested_server_name={HOST}" \
        in message
    assert [a["grep"] for t, a in hub.calls if t == "k8s_logs" and "grep" in a] == list(egress_closed.NEEDLES["envoy"])


def test_twin_consul_flag_false_closes_nothing() -> None:
    hub = Hub({"mesh": _consul(False)}, "consul-dataplane",
              proxy=[_consul_line(WRITE + timedelta(minutes=1), "NR", "filter_chain_not_found")])
    assert _run(_facts("Mesh", "consul", "mesh"), hub) == []
    assert [t for t, _ in hub.calls] == ["k8s_get"]


KUMA = {"apiVersion": "kuma.io/v1alpha1", "kind": "Mesh", "metadata": {"name": "default"},
        "spec": {"mtls": {"enabledBackend": "ca-1"}, "networking": {"outbound": {"passthrough": False}}}}
ENVOY_DROPS = [{"labels": {"namespace": "pricing", "pod": POD}, "value": 212.0}]


def test_kuma_passthrough_off_is_blamed_from_envoys_no_filter_chain_counter() -> None:
    hub = Hub({"default": KUMA}, "kuma-sidecar", series={egress_closed.ENVOY_SERIES: {"now": ENVOY_DROPS}})
    [hit] = _run(_facts("Mesh", "", "default"), hub)
    assert hit.mesh == "kuma" and hit.callers == [Ref("Deployment", "pricing", "quotes")]
    message = egress_closed.finding(hit, AT)["message"]
    assert message.startswith("Mesh default closed the mesh's egress: Kuma Mesh outbound passthrough disabled")
    assert "MeshExternalService" in message and "212 connections matching no filter chain" in message


def test_twin_kuma_nr_lines_older_than_the_write_are_a_standing_lockdown() -> None:
    line = (f'[{_iso(WRITE - timedelta(minutes=30))}] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" '
            f'"-" "-" - - 34.117.59.81:443 10.42.1.17:50000 - -')
    hub = Hub({"default": KUMA}, "kuma-sidecar", proxy=[line])
    assert _run(_facts("Mesh", "", "default"), hub) == []


def test_twin_envoys_counter_already_rising_at_the_write() -> None:
    hub = Hub({"default": KUMA}, "kuma-sidecar",
              series={egress_closed.ENVOY_SERIES: {"now": ENVOY_DROPS, "then": ENVOY_DROPS}})
    assert _run(_facts("Mesh", "", "default"), hub) == []


def _denied(parent: str) -> list[dict[str, Any]]:
    return [{"labels": {"namespace": "pricing", "pod": POD, "hostname": HOST, "parent_name": parent,
                        "http_status": "403"}, "value": 57.0}]


LINKERD = {"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "EgressNetwork",
           "metadata": {"name": "all-egress", "namespace": "linkerd-egress"}, "spec": {"trafficPolicy": "Deny"}}


def test_linkerd_egress_network_deny_is_blamed_from_the_deny_routes_series() -> None:
    hub = Hub({"all-egress": LINKERD}, "linkerd-proxy",
              series={egress_closed.LINKERD_SERIES: {"now": _denied("all-egress")}})
    [hit] = _run(_facts("EgressNetwork", "linkerd-egress", "all-egress"), hub)
    assert hit.mesh == "linkerd" and hit.hosts == [HOST]
    message = egress_closed.finding(hit, AT)["message"]
    assert "Linkerd EgressNetwork trafficPolicy Deny" in message and "http-egress-deny" in message
    assert "refused 57 calls" in message
    assert not any(t == "k8s_logs" for t, _ in hub.calls)  # Linkerd's mark is its series, not an access log


def test_twin_linkerd_series_naming_another_egress_network() -> None:
    hub = Hub({"all-egress": LINKERD}, "linkerd-proxy",
              series={egress_closed.LINKERD_SERIES: {"now": _denied("team-egress")}})
    assert _run(_facts("EgressNetwork", "linkerd-egress", "all-egress"), hub) == []


def test_each_mesh_lockdown_is_read_from_its_documented_field() -> None:
    assert egress_closed.lockdown({"kind": "Mesh", "spec": {"egressFilter": {"type": "DROP_ALL"}}}) == "appmesh"
    assert egress_closed.lockdown({"kind": "Mesh", "spec": {"egressFilter": {"type": "ALLOW_ALL"}}}) == ""
    assert egress_closed.lockdown({"kind": "Mesh", "spec": {"networking": {"outbound": {"passthrough": True}}}}) == ""
    assert egress_closed.lockdown({"kind": "MeshPassthrough", "spec": {"default": {"passthroughMode": "Matched"}}}) \
        == "kuma"
    assert egress_closed.lockdown({"kind": "MeshPassthrough", "spec": {"default": {"passthroughMode": "All"}}}) == ""
    assert egress_closed.lockdown({"kind": "EgressNetwork", "spec": {"trafficPolicy": "Allow"}}) == ""
    hcl = {"kind": "ConfigMap",
           "data": {"mesh.hcl": 'Kind = "mesh"\nTransparentProxy {\n  MeshDestinationsOnly = true\n}'}}
    assert egress_closed.lockdown(hcl) == "consul"
    istio = {"kind": "ConfigMap", "data": {"mesh": "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"}}
    assert egress_closed.lockdown(istio) == "istio"


def test_envoys_nr_is_read_only_as_a_response_flag() -> None:
    assert egress_closed.NO_ROUTE.search('[t] "GET / HTTP/1.1" 404 NR route_not_found - "-" 0 0 0 - "-"')
    assert egress_closed.NO_ROUTE.search('{"response_flags": "NR", "response_code": 0}')
    assert not egress_closed.NO_ROUTE.search("level=error msg=\"retry budget NR exhausted\" attempts=3")
    assert not egress_closed.NO_ROUTE.search('[t] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-"')


def _gateway(services: list[str]) -> dict[str, Any]:
    return {"apiVersion": "consul.hashicorp.com/v1alpha1", "kind": "TerminatingGateway",
            "metadata": {"name": "terminating-gateway", "namespace": "consul"},
            "spec": {"services": [{"name": s} for s in services]}}


def _uh_line(t: datetime) -> str:
    return json.dumps({"start_time": _iso(t), "method": "GET", "path": "/v1/rates", "protocol": "HTTP/1.1",
                       "response_code": 503, "response_flags": "UH", "response_code_details": "no_healthy_upstream",
                       "upstream_cluster": "destination.api-fx-rates-example-net.fx-api.default.default",
                       "authority": HOST})


def test_consul_terminating_gateway_that_no_longer_links_the_destination_is_blamed() -> None:
    hub = Hub({"terminating-gateway": _gateway(["billing-psp"])}, "consul-dataplane",
              proxy=[_uh_line(WRITE + timedelta(minutes=1)), _uh_line(WRITE + timedelta(minutes=3))])
    [hit] = _run(_facts("TerminatingGateway", "consul", "terminating-gateway"), hub)
    assert hit.mesh == "consul-gateway" and hit.hosts[:2] == ["fx-api", HOST]
    message = egress_closed.finding(hit, AT)["message"]
    assert "TerminatingGateway no longer links the destination service" in message[:200]
    assert "no healthy upstream" in message[:400] and "link fx-api" in message


def test_twin_terminating_gateway_still_linking_the_service_the_callers_fail_on() -> None:
    hub = Hub({"terminating-gateway": _gateway(["billing-psp", "fx-api"])}, "consul-dataplane",
              proxy=[_uh_line(WRITE + timedelta(minutes=1))])
    assert _run(_facts("TerminatingGateway", "consul", "terminating-gateway"), hub) == []
