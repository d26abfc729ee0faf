"""Traffic moved without a rollout (issue #12 round 8): connection-string parameters, zone-local routing, weights.

Written here, not taken from the held-out bundles: each class in two shapes with negative twins. The change
lines are in the shape `k8s_changes` prints them (mcp_servers/kubernetes/reads.py for env and data keys,
any_changes.py for custom resources and annotations); objects are as `k8s_get -o yaml` returns them; the
metric samples are in `prom_query`'s answer shape. No server is needed: every input is recorded in that shape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import conn_settings, conn_string, field_meaning, route_weights, topology_routing, value_diff
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(kind: str, ns: str, name: str, diff: list[str], ago: timedelta = timedelta(hours=2)) -> dict[str, Any]:
    return {"at": _iso(AT - ago), "type": "rollout" if kind == "Deployment" else "other",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": diff}


def _log(ns: str, pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E9", top={"message": message}, hosts=[],
                       error_classes=set(), previous=False)


# ---- connection strings ------------------------------------------------------------------------------------


def test_url_params_diff_without_the_password() -> None:
    old = "mongodb://app:hunter2secret@db-0.db:27017,db-1.db:27017/shop?replicaSet=rs0&maxPoolSize=50"
    new = "mongodb://app:hunter2secret@db-0.db:27017,db-1.db:27017/shop?replicaSet=rs0&maxPoolSize=50" \
          "&readPreference=secondaryPreferred"
    leaves = value_diff.diff(old, new, "MONGODB_URI")
    assert [(c.path, c.old, c.new) for c in leaves or []] == [("params.readPreference", None, "secondaryPreferred")]
    assert "hunter2secret" not in repr(conn_string.parse(new))
    assert [r.meaning.effect for r in conn_string.readings(old, new)] == [conn_string.STALE]
    assert "hunter2secret" not in conn_string.without_credentials(old)


def test_keyword_dsn_and_jdbc_shapes() -> None:
    old = "host=pg-primary port=5432 dbname=orders target_session_attrs=read-write connect_timeout=10"
    new = "host=pg-primary,pg-replica port=5432 dbname=orders target_session_attrs=any connect_timeout=10"
    names = {r.change.path for r in conn_string.readings(old, new)}
    assert names == {"params.target_session_attrs"}
    assert any(c.path == "hosts" for c in conn_string.diff(old, new) or [])
    jdbc = conn_string.readings("jdbc:postgresql://pg:5432/app?targetServerType=primary",
                                "jdbc:postgresql://pg:5432/app?targetServerType=preferSecondary")
    assert [r.meaning.name for r in jdbc] == ["targetServerType"]


def test_harmless_or_plain_values_have_no_meaning() -> None:
    assert conn_string.readings("postgres://h/db?application_name=a", "postgres://h/db?application_name=b") == []
    assert conn_string.readings("mongodb://h/db?readPreference=secondary", "mongodb://h/db?readPreference=primary") \
        == []
    assert conn_string.parse("50") is None and conn_string.parse("just a sentence") is None
    assert value_diff.diff("10", "20", "POOL") is None


def _env_line(key: str, old: str, new: str, container: str = "api") -> str:
    return f"{container} env {key}='{old}' -> {key}='{new}'"


def _lag(value: float) -> dict[str, Any]:
    return {"samples": [{"labels": {"__name__": "mongodb_mongod_replset_member_replication_lag",
                                    "name": "db-1.db:27017"}, "value": value}]}


def test_stale_read_parameter_confirmed_by_replication_lag() -> None:
    uri = "mongodb://app@db-0.db:27017/shop?replicaSet=rs0"
    facts = Facts(at=AT, changes={"changes": [_change("Deployment", "shop", "profile", [
        "api image r/a:1 -> r/a:2", _env_line("MONGODB_URI", uri, uri + "&readPreference=nearest")],
        ago=timedelta(hours=4))]}, changes_id="E2")
    facts.metrics.append((_lag(27.0), "E30"))
    found = conn_settings.found(facts)
    assert [f.target.name for f in found] == ["profile"]
    message = conn_settings.finding(found[0])["message"]
    assert "readPreference unset -> nearest" in message and "27s" in message
    quiet = Facts(at=AT, changes=facts.changes, changes_id="E2")
    quiet.metrics.append((_lag(0.4), "E30"))
    assert conn_settings.found(quiet) == []  # no lag: nothing is stale


def test_write_routing_parameter_confirmed_by_the_clients_error() -> None:
    line = "data key DATABASE_URL 'postgres://pg/orders?target_session_attrs=read-write' -> " \
           "'postgres://pg/orders?target_session_attrs=any'"
    changes = {"changes": [_change("ConfigMap", "orders", "orders-env", [line])]}
    failing = Facts(at=AT, changes=changes, logs=[_log("orders", "orders-api-7d9-x", "ERROR: cannot execute INSERT "
                                                        "in a read-only transaction")])
    assert [f.key for f in conn_settings.found(failing)] == ["DATABASE_URL"]
    calm = Facts(at=AT, changes=changes, logs=[_log("orders", "orders-api-7d9-x", "GET /orders 200")])
    assert conn_settings.found(calm) == []


# ---- zone-local routing ------------------------------------------------------------------------------------


def _store(load: dict[str, float], zones: dict[str, int]) -> dict[str, Any]:
    return {"Service inv/inv": {"ready": zones, "hinted": zones, "pods": list(load), "load": {"requests": load},
                                "evidence": ["E40"]}}


def test_topology_mode_annotation_with_one_pod_taking_the_load() -> None:
    line = "metadata.annotations.service.kubernetes.io/topology-mode written by kubectl-annotate (now 'Auto')"
    facts = Facts(at=AT, changes={"changes": [_change("Service", "inv", "inv", [line])]})
    facts.reads[topology_routing.READS] = _store({"inv-a": 170.0, "inv-b": 5.0, "inv-c": 5.0},
                                                 {"z1": 1, "z2": 1, "z3": 1})
    found = topology_routing.found(facts)
    assert len(found) == 1 and "inv-a carries 94%" in topology_routing.finding(found[0])["message"]
    facts.reads[topology_routing.READS] = _store({"inv-a": 60.0, "inv-b": 58.0, "inv-c": 62.0},
                                                 {"z1": 1, "z2": 1, "z3": 1})
    assert topology_routing.found(facts) == []  # even load, even zones: routing changed nothing visible


def test_traffic_distribution_with_uneven_zones() -> None:
    facts = Facts(at=AT, changes={"changes": [_change("Service", "inv", "inv", [
        "spec.trafficDistribution: unset -> PreferClose"])]})
    facts.reads[topology_routing.READS] = _store({}, {"z1": 4, "z2": 1})
    assert len(topology_routing.found(facts)) == 1
    other = Facts(at=AT, changes={"changes": [_change("Service", "inv", "inv", ["spec.sessionAffinity = None"])]})
    other.reads[topology_routing.READS] = _store({}, {"z1": 4, "z2": 1})
    assert topology_routing.found(other) == []  # not a routing-semantics field
    assert field_meaning.read("spec.trafficDistribution = PreferClose", "Deployment") is None


def test_endpoint_slices_counted_once_per_pod_by_zone() -> None:
    ep = {"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "targetRef": {"name": "p1"}}
    ready, hinted = topology_routing.zones_of([
        {"endpoints": [ep]}, {"endpoints": [{**ep, "zone": "z1", "hints": {"forZones": [{"name": "z1"}]}}]}])
    assert dict(ready) == {"z1": 1} and dict(hinted) == {"z1": 1}


# ---- weighted routes ---------------------------------------------------------------------------------------


def test_backends_of_each_kind() -> None:
    http = {"kind": "HTTPRoute", "spec": {"rules": [{"backendRefs": [{"name": "web", "weight": 20},
                                                                     {"name": "web-canary", "weight": 80}]}]}}
    assert route_weights.backends(http) == {"web": 20.0, "web-canary": 80.0}
    vs = {"kind": "VirtualService", "spec": {"http": [{"route": [
        {"destination": {"host": "cart.shop.svc.cluster.local", "subset": "v1"}, "weight": 5},
        {"destination": {"host": "cart.shop.svc.cluster.local", "subset": "v2"}, "weight": 95}]}]}}
    assert route_weights.backends(vs) == {"cart/v1": 5.0, "cart/v2": 95.0}
    ts = {"kind": "TrafficSplit", "spec": {"service": "pay", "backends": [{"service": "pay-v1", "weight": 100},
                                                                         {"service": "pay-v2", "weight": 0}]}}
    assert route_weights.backends(ts) == {"pay-v1": 100.0, "pay-v2": 0.0}
    ing = {"kind": "Ingress", "metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary": "true",
                                                           CANARY: "70"}},
           "spec": {"rules": [{"http": {"paths": [{"backend": {"service": {"name": "shop-canary"}}}]}}]}}
    assert route_weights.backends(ing) == {"shop-canary": 70.0}
    plain = {**ing, "metadata": {"annotations": {CANARY: "70"}}}
    assert route_weights.backends(plain) == {}  # not a canary Ingress: the annotation does nothing


CANARY = route_weights.CANARY_WEIGHT


def test_previous_weights_from_last_applied() -> None:
    last = {"kind": "HTTPRoute", "spec": {"rules": [{"backendRefs": [{"name": "a", "weight": 90},
                                                                     {"name": "b", "weight": 10}]}]}}
    now = {"kind": "HTTPRoute", "metadata": {"annotations": {route_weights.LAST_APPLIED: json.dumps(last)}},
           "spec": {"rules": [{"backendRefs": [{"name": "a", "weight": 10}, {"name": "b", "weight": 90}]}]}}
    assert route_weights.previous(now) == {"a": 90.0, "b": 10.0}


def _route_facts(message: str) -> Facts:
    facts = Facts(at=AT, changes={"changes": [_change("VirtualService", "shop", "cart", [
        "spec.http written by kubectl-edit"], ago=timedelta(minutes=12))]}, changes_id="E2",
                  logs=[_log("shop", "cart-v2-5d8-q", message)])
    facts.reads[route_weights.READS] = {"VirtualService shop/cart": {
        "now": {"cart/v1": 5.0, "cart/v2": 95.0}, "before": {"cart/v1": 95.0, "cart/v2": 5.0}, "evidence": "E50",
        "backends": {"cart/v2": {"pods": ["cart-v2-5d8-q"], "namespace": "shop"},
                     "cart/v1": {"pods": ["cart-v1-77c-z"], "namespace": "shop"}}}}
    return facts


def test_weight_moved_to_a_failing_backend() -> None:
    found = route_weights.found(_route_facts("upstream returned 503: panic: nil map in cart.Apply"))
    assert [f.backend for f in found] == ["cart/v2"]
    message = route_weights.finding(found[0])["message"]
    assert "cart/v1 95, cart/v2 5 -> cart/v1 5, cart/v2 95" in message and "95%" in message
    assert route_weights.found(_route_facts("GET /cart 200 in 12ms")) == []  # the new backend is healthy


def test_gateway_api_groups_are_custom_kinds_for_the_timeline() -> None:
    from mcp_servers.kubernetes.any_changes import is_custom

    assert is_custom("gateway.networking.k8s.io") and is_custom("policy.networking.k8s.io")
    assert is_custom("networking.istio.io") and is_custom("split.smi-spec.io")
    assert not is_custom("networking.k8s.io") and not is_custom("discovery.k8s.io") and not is_custom("apps")


def test_old_weights_rebuilt_from_the_timeline_s_leaf_lines() -> None:
    from mcp_servers.kubernetes.any_changes import _leaves_differ

    before = [{"backendRefs": [{"name": "a", "weight": 90}, {"name": "b", "weight": 10}]}]
    now = [{"backendRefs": [{"name": "a", "weight": 10}, {"name": "b", "weight": 90}]}]
    lines = _leaves_differ("spec.rules", before, now)
    assert lines == ["spec.rules[0].backendRefs[0].weight: 90 -> 10", "spec.rules[0].backendRefs[1].weight: 10 -> 90"]
    route = {"kind": "HTTPRoute", "spec": {"rules": now}}
    assert route_weights.from_diff(route, lines) == {"a": 90.0, "b": 10.0}
    assert route_weights.from_diff(route, ["spec.hostnames = ['x']"]) is None  # nothing says the weights moved
    assert _leaves_differ("spec.rules", before, now + now) == []  # shapes differ: the whole value stays one line
