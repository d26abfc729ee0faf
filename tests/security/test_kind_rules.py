"""Policy kind rules against canonical kinds: a rule never misses because of how either side spells the kind."""

from __future__ import annotations

import pytest

from guardrails.action import Actor
from guardrails.policy import Policy
from guardrails.scope import Scope


def policy(kinds: list[str]) -> Policy:
    return Policy.model_validate({"rules": [
        {"id": "deny", "effect": "deny", "tools": ["k8s_*"], "kinds": kinds},
        {"id": "read", "effect": "allow", "tools": ["k8s_*"]},
    ]})


@pytest.mark.parametrize(("rule_kinds", "canonical", "denied"), [
    (["Secret"], "Secret", True),
    (["secrets"], "Secret", True),  # the policy author's plural is canonicalised at load
    (["secret"], "Secret", True),
    (["deploy"], "Deployment.apps", True),
    (["Deployment"], "Deployment.apps", True),  # no dot: the kind in any group
    (["deployments.apps"], "Deployment.apps", True),
    (["Deployment.apps"], "Deployment.other.io", False),  # a dot: kind and group
    (["*.monitoring.coreos.com"], "ServiceMonitor.monitoring.coreos.com", True),
    (["ServiceMonitor"], "ServiceMonitor.monitoring.coreos.com", True),
    (["Secret"], "SealedSecret.bitnami.com", False),
    (["Secret"], "ConfigMap", False),
])
def test_kind_rules_match_canonical_kinds(rule_kinds: list[str], canonical: str, denied: bool) -> None:
    decision = policy(rule_kinds).evaluate_rules(Actor(name="a"), "k8s_get", Scope(namespace="shop", kind=canonical))
    assert decision.allowed is not denied
    if denied:
        assert decision.rule == "deny" and canonical in decision.reason
