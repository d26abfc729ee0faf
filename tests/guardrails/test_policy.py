"""Policy evaluation: allows, denials that name their rule, default deny, cost ceilings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from guardrails.action import Actor
from guardrails.pipeline import default_policy_path
from guardrails.policy import DEFAULT_DENY_RULE, PolicyError, load_policy
from guardrails.scope import extract_scope
from tests.policies import DENY_KUBE_SYSTEM

ALICE = Actor(name="alice", origin="cli", team="payments")


@pytest.fixture
def policy(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent("""
        version: 1
        rules:
          - id: no-secrets-kind
            effect: deny
            kinds: [Secret]
          - id: prod-read-only-for-oncall
            effect: allow
            actors: ["alice", "slack:*"]
            tools: ["k8s_*"]
            clusters: ["prod-*"]
            namespaces: ["payments", "shop"]
          - id: metrics
            effect: allow
            tools: ["prom_*"]
          - id: prs
            effect: allow
            tools: [propose_change]
            repo_paths: ["apps/**/overlays/prod/*.yaml"]
        limits:
          - id: payments-team
            teams: [payments]
            promql: {max_range: 6h, min_step: 30s, max_series: 100}
            logql: {max_range: 1h, max_limit: 1000}
        approval:
          required_at: medium
    """))
    return load_policy(path)


def test_allow_names_the_rule(policy):
    scope = extract_scope({"context": "prod-eu", "namespace": "payments", "kind": "Pod"})
    decision = policy.evaluate_rules(ALICE, "k8s_list", scope)
    assert decision.allowed and decision.rule == "prod-read-only-for-oncall"


def test_deny_rule_wins_and_is_named(policy):
    scope = extract_scope({"context": "prod-eu", "namespace": "payments", "kind": "secret"})
    decision = policy.evaluate_rules(ALICE, "k8s_get", scope)
    assert not decision.allowed
    assert decision.rule == "no-secrets-kind"
    assert "kind 'secret'" in decision.reason


def test_resource_outside_every_allow_rule_is_denied_with_near_miss(policy):
    scope = extract_scope({"context": "prod-eu", "namespace": "kube-system"})
    decision = policy.evaluate_rules(ALICE, "k8s_list", scope)
    assert not decision.allowed
    assert decision.rule == DEFAULT_DENY_RULE
    assert "namespace 'kube-system'" in decision.reason
    assert "prod-read-only-for-oncall" in decision.reason


def test_unknown_tool_is_denied(policy):
    decision = policy.evaluate_rules(ALICE, "shell_exec", extract_scope({}))
    assert not decision.allowed
    assert decision.rule == DEFAULT_DENY_RULE
    assert "unknown tools are denied" in decision.reason


def test_actor_not_listed_is_denied(policy):
    bob = Actor(name="bob", origin="cli")
    scope = extract_scope({"context": "prod-eu", "namespace": "shop"})
    assert not policy.evaluate_rules(bob, "k8s_list", scope).allowed
    slack_user = Actor(name="slack:U123", origin="slack")
    assert policy.evaluate_rules(slack_user, "k8s_list", scope).allowed


def test_repo_paths_use_path_globs(policy):
    ok = extract_scope({"path": "apps/checkout/overlays/prod/deployment.yaml"})
    assert policy.evaluate_rules(ALICE, "propose_change", ok).allowed
    for bad in ("apps/checkout/overlays/staging/deployment.yaml", "apps/../secrets/prod/x.yaml", "/etc/passwd"):
        decision = policy.evaluate_rules(ALICE, "propose_change", extract_scope({"path": bad}))
        assert not decision.allowed, bad


@pytest.mark.parametrize(
    ("arguments", "rule"),
    [
        ({"query": "up", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T12:00:00Z"}, "promql.max_range"),
        ({"query": "up", "start": "now-1h", "end": "now", "step": "5s"}, "promql.min_step"),
    ],
)
def test_promql_cost_ceilings(policy, arguments, rule):
    decision = policy.check_costs(ALICE, None, extract_scope(arguments), "promql")
    assert not decision.allowed
    assert decision.rule == f"limits.payments-team.{rule}"


def test_logql_limit_ceiling_and_within_limits(policy):
    too_many = policy.check_costs(ALICE, None, extract_scope({"since": "30m", "limit": 5000}), "logql")
    assert not too_many.allowed and too_many.rule == "limits.payments-team.logql.max_limit"
    fine = policy.check_costs(ALICE, None, extract_scope({"since": "30m", "limit": 500}), "logql")
    assert fine.allowed


def test_unreadable_time_argument_is_named():
    with pytest.raises(ValueError, match="argument 'start'"):
        extract_scope({"start": "yesterday-ish"})


def test_bad_policy_file_names_field_path(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nrules:\n  - id: a\n    effect: maybe\n")
    with pytest.raises(PolicyError, match=r"rules\.0\.effect"):
        load_policy(path)


def test_duplicate_rule_ids_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("rules:\n  - id: a\n  - id: a\n")
    with pytest.raises(PolicyError, match="used twice"):
        load_policy(path)


def test_shipped_default_policy_reads_kube_system_but_never_secret_objects():
    """CoreDNS and the rest of kube-system are evidence (the dns-failures runbook reads them); Secrets are not."""
    policy = load_policy(default_policy_path())
    agent = Actor(name="agent", origin="agent")
    assert policy.evaluate_rules(agent, "k8s_logs", extract_scope({"namespace": "kube-system"})).allowed
    assert policy.evaluate_rules(agent, "k8s_logs", extract_scope({"namespace": "shop"})).allowed
    assert policy.allows_namespace(agent, "k8s_list", "kube-system")
    secrets = policy.evaluate_rules(agent, "k8s_list", extract_scope({"kind": "Secret", "namespace": "shop"}))
    assert not secrets.allowed and secrets.rule == "deny-secret-objects"
    restricted = load_policy(DENY_KUBE_SYSTEM)
    assert not restricted.evaluate_rules(agent, "k8s_logs", extract_scope({"namespace": "kube-system"})).allowed
    assert not restricted.allows_namespace(agent, "k8s_list", "kube-system")
