"""A rollout onto a regenerated ConfigMap with fewer keys, whose workload then runs on defaults, names that ConfigMap.

Facts as the survey hands them over: the rollout's template diff in mcp_servers.kubernetes.reads.template_diff's
words (envFrom `configMapRef NAME added/removed`, a volume's `configMap OLD -> configMap NEW`), both ConfigMaps'
key sets as `read` files them, the workload's log facts. Twins: a swap that kept (or grew) the keys, and one that
dropped a key no log misses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import configmap_keys, rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import alert

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
ENV_FROM = ["cart configMapRef cart-config-old111 removed", "cart configMapRef cart-config-new222 added"]
VOLUME = ["volume settings configMap cart-config-old111 -> configMap cart-config-new222"]
FULL = ["LOG_LEVEL", "PRICING_URL", "REDIS_URL"]


def _facts(diff: list[str], old_keys: list[str], new_keys: list[str], said: str) -> Facts:
    change: dict[str, Any] = {
        "at": "2026-09-01T11:40:00Z", "type": "rollout", "revision": 4, "related": [],
        "object": {"kind": "Deployment", "namespace": "shop", "name": "cart"},
        "summary": "Deployment shop/cart rolled out revision 4: cart image cart:1.4 -> cart:1.5",
        "diff": ["cart image cart:1.4 -> cart:1.5", *diff]}
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": [change]}, changes_id="E2")
    facts.reads[configmap_keys.READS] = {"shop/cart-config-old111": (old_keys, "E3"),
                                         "shop/cart-config-new222": (new_keys, "E4")}
    top: dict[str, Any] = {"template": said, "example": said, "message": said, "severity": "error",
                           "error_class": None, "count": 9, "fields": {}}
    facts.logs.append(LogEvidence(pod="cart-7d9f8c6b5-x2x7q", namespace="shop", evidence_id="E5", top=top,
                                  hosts=[], error_classes=set(), previous=False))
    return facts


def test_node_refused_on_localhost_after_an_envfrom_swap_names_the_new_configmap() -> None:
    facts = _facts(ENV_FROM, FULL, ["LOG_LEVEL"], "Error: connect ECONNREFUSED 127.0.0.1:8080")
    [d] = configmap_keys.found(facts)
    assert d.config.name == "cart-config-new222" and d.keys == ["PRICING_URL", "REDIS_URL"]
    suspects = rank(subject_of(alert(alertname="HighErrorRate", namespace="shop", deployment="cart")), facts)
    top = suspects[0]
    assert top.ref is not None and top.ref.kind == "ConfigMap" and top.ref.name == "cart-config-new222"
    assert "PRICING_URL" in top.cause[:300] and "configMapGenerator" in top.cause[:400]


def test_python_naming_a_dropped_key_after_a_volume_swap() -> None:
    said = "KeyError: 'REDIS_URL' while loading /etc/cart/settings"
    [d] = configmap_keys.found(_facts(VOLUME, FULL, ["LOG_LEVEL", "PRICING_URL"], said))
    assert d.keys == ["REDIS_URL"] and d.said == said and d.previous == "cart-config-old111"


def test_a_swap_that_kept_or_grew_the_keys_is_no_suspect() -> None:
    said = "Error: connect ECONNREFUSED 127.0.0.1:8080"
    assert configmap_keys.found(_facts(ENV_FROM, FULL, FULL, said)) == []
    assert configmap_keys.found(_facts(ENV_FROM, FULL, [*FULL, "FEATURE_X"], said)) == []


def test_dropped_keys_no_log_misses_are_left_alone() -> None:
    said = "upstream timed out after 30s talking to pricing.shop.svc:8080"
    assert configmap_keys.found(_facts(ENV_FROM, FULL, ["LOG_LEVEL"], said)) == []


def test_swaps_reads_both_diff_shapes_and_ignores_a_secret_swap() -> None:
    assert configmap_keys.swaps(ENV_FROM) == [("cart-config-old111", "cart-config-new222")]
    assert configmap_keys.swaps(VOLUME) == [("cart-config-old111", "cart-config-new222")]
    assert configmap_keys.swaps(["cart secretRef s-old removed", "cart secretRef s-new added"]) == []
