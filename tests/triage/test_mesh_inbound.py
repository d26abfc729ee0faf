"""A mesh's inbound authorization made strict, read from the server's own proxy (agent.triage.mesh_inbound).

Shapes in other words than any benchmark round: a Linkerd default set on a workload's template and its proxy's
TCP `Connection denied`, an Istio AuthorizationPolicy allowing only principals and Envoy's RBAC 403s. Twins: the
default loosened, denials in another namespace, a strict write with no denial, a policy write about paths only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import mesh_inbound as mi
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LINKERD = ("[  812.4s]  INFO ThreadId(02) inbound:server{port=9090}: linkerd_app_inbound::policy::tcp: "
           "Connection denied server.group= server.kind=default server.name=cluster-authenticated "
           "client.tls=None(NoClientHello) client.ip=10.8.1.4")
ENVOY = ('[2026-11-30T11:40:02.113Z] "POST /orders HTTP/1.1" 403 - rbac_access_denied_matched_policy[none] - "-" '
         '0 19 0 - "10.8.2.7" "curl/8.5" "-" "-" "-" inbound|8080|| - 10.8.3.3:8080 10.8.2.7:51234 - -')


def _write(kind: str, namespace: str, name: str, diff: str, minutes: int = 30) -> dict[str, Any]:
    return {"at": (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written: {diff}", "diff": [diff]}


def _proxy(pod: str, namespace: str, line: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E6", top=None, hosts=[], error_classes=set(),
                       previous=False, last_lines=[line])


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)


TEMPLATE = ("ledger template annotation config.linkerd.io/default-inbound-policy 'all-unauthenticated' -> "
            "'cluster-authenticated'")


def test_a_linkerd_default_on_a_template_with_tcp_denials_is_named() -> None:
    facts = _facts([_write("Deployment", "books", "ledger", TEMPLATE)],
                   [_proxy("ledger-5f6c7d8b9-h2j4k", "books", LINKERD)])
    [hit] = mi.found(facts)
    found = mi.finding(hit)
    assert found["object"] == {"kind": "Deployment", "namespace": "books", "name": "ledger"}
    assert hit.setting.endswith("= cluster-authenticated") and "NoClientHello" in found["message"]


def test_an_istio_principals_policy_with_rbac_denials_is_named() -> None:
    diff = "spec.rules = [{'from': [{'source': {'principals': ['cluster.local/ns/shop/sa/cart']}}]}]"
    facts = _facts([_write("AuthorizationPolicy", "orders", "orders-allow-mesh", diff)],
                   [_proxy("orders-api-7b8c9d6f5-m2n4p", "orders", ENVOY)])
    [(suspect, found, _, explains)] = mi.suspects(facts)
    assert suspect.kind == "AuthorizationPolicy" and explains[0].name == "orders-api"
    assert "rbac_access_denied" in found["message"]


def test_a_loosened_default_is_not_blamed() -> None:
    diff = "metadata.annotations.config.linkerd.io/default-inbound-policy 'all-authenticated' -> 'all-unauthenticated'"
    facts = _facts([_write("Namespace", "", "books", diff)], [_proxy("ledger-5f6c7d8b9-h2j4k", "books", LINKERD)])
    assert mi.found(facts) == []


def test_denials_in_another_namespace_do_not_blame_the_write() -> None:
    diff = "metadata.annotations.config.linkerd.io/default-inbound-policy = 'all-authenticated'"
    facts = _facts([_write("Namespace", "", "books", diff)], [_proxy("cart-6d7f8b9c5-r5t6x", "shop", LINKERD)])
    assert mi.found(facts) == []


def test_a_strict_write_without_denials_is_no_fit() -> None:
    quiet = "[  812.4s]  INFO ThreadId(02) inbound:server{port=9090}: linkerd_app_inbound: accepted connection"
    facts = _facts([_write("Deployment", "books", "ledger", TEMPLATE)],
                   [_proxy("ledger-5f6c7d8b9-h2j4k", "books", quiet)])
    assert mi.found(facts) == []


def test_a_policy_write_about_paths_only_is_not_an_identity_demand() -> None:
    diff = "spec.rules = [{'to': [{'operation': {'paths': ['/admin/*'], 'methods': ['DELETE']}}]}]"
    facts = _facts([_write("AuthorizationPolicy", "orders", "orders-paths", diff)],
                   [_proxy("orders-api-7b8c9d6f5-m2n4p", "orders", ENVOY)])
    assert mi.found(facts) == []
