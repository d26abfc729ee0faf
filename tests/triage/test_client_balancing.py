"""A caller's rollout that drops client-side balancing (agent.triage.client_balancing).

Shapes: a Java gRPC client whose target moved from `dns:///` + a headless name to the ClusterIP name (no policy
setting in view), and a client whose policy went `least_request` -> `pick_first` while its address moved off a
Service read with clusterIP None whose name says nothing. Twins: the reverse move (onto the headless name), one
client-side policy for another, a rename between two ClusterIP names, the same name when the Service has a
ClusterIP, a rollout older than the window: none is named.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import client_balancing, rank, subject_of
from agent.triage.facts import Facts

AT = datetime(2026, 7, 3, 9, 30, tzinfo=UTC)


def _rollout(name: str, ns: str, diff: list[str], at: str = "2026-07-03T08:50:00Z") -> dict[str, Any]:
    return {"at": at, "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 12: " + "; ".join(diff), "diff": diff}


def _scale(name: str, ns: str) -> dict[str, Any]:
    return {"at": "2026-07-03T09:05:00Z", "type": "scale", "object": {"kind": "Deployment", "namespace": ns,
                                                                      "name": name},
            "summary": f"Deployment {ns}/{name} rescaled by HPA {name}: now 8 replicas, desired 8", "diff": []}


def _svc(name: str, ns: str, cluster_ip: str) -> tuple[dict[str, Any], str]:
    return ({"kind": "Service", "metadata": {"name": name, "namespace": ns},
             "spec": {"clusterIP": cluster_ip, "ports": [{"port": 7000}]}}, "E7")


def _facts(changes: list[dict[str, Any]], services: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": changes}, changes_id="E2")
    facts.objects += services or []
    return facts


JAVA = "checkout env INVENTORY_TARGET='dns:///inventory-headless.shop.svc:50051' -> " \
       "INVENTORY_TARGET='inventory.shop.svc:50051'"
POLICY = "search-api env LB_POLICY='least_request' -> LB_POLICY='pick_first'"
PODS_NAME = "search-api env PRICING_HOST='pricing-pods.catalog.svc.cluster.local:7000' -> " \
            "PRICING_HOST='pricing.catalog.svc.cluster.local:7000'"


def test_a_java_clients_target_moved_off_the_dns_resolver_outranks_the_backends_scale_up() -> None:
    facts = _facts([_rollout("checkout", "shop", [JAVA]), _scale("inventory", "shop")])
    [found] = client_balancing.found(facts)
    assert str(found.workload) == "Deployment shop/checkout" and found.lines == [JAVA]
    [top, *_] = rank(subject_of(from_text("inventory latency SLO burning in namespace shop")), facts)
    assert top.check == client_balancing.CHECK and str(top.ref) == "Deployment shop/checkout"
    assert "connection" in top.cause and "headless" in top.cause and "dns:///inventory-headless" in top.cause


def test_a_policy_to_pick_first_and_a_headless_service_by_its_object_are_both_read() -> None:
    headless = [_svc("pricing-pods", "catalog", "None"), _svc("pricing", "catalog", "10.96.40.2")]
    [found] = client_balancing.found(_facts([_rollout("search-api", "catalog", [POLICY, PODS_NAME])], headless))
    assert found.lines == [POLICY, PODS_NAME]
    [only_address] = client_balancing.found(_facts([_rollout("search-api", "catalog", [PODS_NAME])], headless))
    assert only_address.lines == [PODS_NAME]


def test_twins_that_keep_or_gain_per_pod_balancing_are_not_named() -> None:
    reverse = "checkout env INVENTORY_TARGET='inventory.shop.svc:50051' -> " \
              "INVENTORY_TARGET='dns:///inventory-headless.shop.svc:50051'"
    swap = "search-api env LB_POLICY='round_robin' -> LB_POLICY='least_request'"
    rename = "search-api env PRICING_HOST='pricing-v1.catalog.svc:7000' -> PRICING_HOST='pricing.catalog.svc:7000'"
    for line in (reverse, swap, rename):
        assert client_balancing.found(_facts([_rollout("checkout", "shop", [line])])) == [], line
    with_ip = [_svc("pricing-pods", "catalog", "10.96.40.9")]
    assert client_balancing.found(_facts([_rollout("search-api", "catalog", [PODS_NAME])], with_ip)) == []
    old = _rollout("checkout", "shop", [JAVA], at="2026-07-02T20:00:00Z")
    assert client_balancing.found(_facts([old])) == []


# ---- the target or policy given as a flag, not a variable (issue #12 audit) ----

ARGS_TARGET = ("ledger-client args ['--upstream=dns:///ledger-headless.books.svc:9090', '--workers=8'] -> "
               "['--upstream=ledger.books.svc:9090', '--workers=8']")
ARGS_POLICY = ("quote-gw args ['--grpc-lb-policy=round_robin', '--port=8443'] -> "
               "['--grpc-lb-policy=pick_first', '--port=8443']")


def test_args_flag_moved_off_the_dns_resolver_is_named() -> None:
    [hit] = client_balancing.found(_facts([_rollout("ledger-client", "books", [ARGS_TARGET])]))
    assert hit.workload.name == "ledger-client"


def test_twin_args_flag_moved_between_per_pod_targets() -> None:
    line = ARGS_TARGET.replace("'--upstream=ledger.books.svc:9090'", "'--upstream=dns:///ledger-pods-headless:9090'")
    assert client_balancing.found(_facts([_rollout("ledger-client", "books", [line])])) == []


def test_args_balancing_policy_flag_set_to_pick_first_is_named() -> None:
    [hit] = client_balancing.found(_facts([_rollout("quote-gw", "fx", [ARGS_POLICY])]))
    assert "pick_first" in hit.lines[0]


def test_twin_args_policy_swapped_for_another_balancing_one() -> None:
    line = ARGS_POLICY.replace("pick_first", "least_request")
    assert client_balancing.found(_facts([_rollout("quote-gw", "fx", [line])])) == []
