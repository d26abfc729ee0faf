"""The remembered parts of a verdict (guardrails/decision_memo.py): the schema check of the arguments
and the policy's rule decision give the same answer from memory as afresh, the memos stay bounded,
a different policy (or a copy with other rules) is never answered from another's memo, and the
layers that depend on state (the rate limit) still refuse on every call."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from guardrails.action import Action, Actor, Decision, Risk, ToolSpec
from guardrails.approval import AutoDenyApprover
from guardrails.audit import AuditLog
from guardrails.decision_memo import BoundedLRU, value_key
from guardrails.layers import validation
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import Limits, Policy, RateLimit, Rule, load_policy
from guardrails.scope import Scope

SPEC = ToolSpec(name="k8s_get", read_only=True, risk=Risk.READ, input_schema={
    "type": "object",
    "properties": {"kind": {"type": "string", "maxLength": 20}, "name": {"type": "string"},
                   "limit": {"type": "integer", "minimum": 1}, "all": {"type": "boolean"},
                   "labels": {"type": "array", "items": {"type": "string"}}},
    "required": ["kind"], "additionalProperties": False})

ARGUMENTS: list[dict[str, Any]] = [
    {"kind": "Pod"}, {"kind": "Pod", "name": "api"}, {"kind": "Pod", "limit": 5}, {"kind": "Pod", "limit": 0},
    {"kind": "Pod", "limit": 5.0}, {"kind": "Pod", "limit": True}, {"kind": "Pod", "all": True},
    {"kind": "Pod", "all": 1}, {"kind": "x" * 21}, {"name": "api"}, {"kind": "Pod", "extra": 1},
    {"kind": "Pod", "labels": ["a", "b"]}, {"kind": "Pod", "labels": ["a", 2]}, {"kind": 7},
    {"kind": "Pod", "labels": ("a",)},  # a tuple: no key, judged afresh every time
]


def _fresh(arguments: dict[str, Any]) -> Decision:
    import json

    return validation._check_schema(json.dumps(SPEC.input_schema, sort_keys=True), arguments)


def _action(arguments: dict[str, Any]) -> Action:
    return Action(actor=Actor(name="t", origin="mcp"), tool="k8s_get", arguments=arguments)


def test_bounded_lru_keeps_the_most_recently_used() -> None:
    memo: BoundedLRU[int] = BoundedLRU(3)
    for key in "abc":
        memo.put(key, ord(key))
    assert memo.get("a") == ord("a")  # "a" is now the most recent: "b" is the oldest
    memo.put("d", 4)
    assert len(memo) == 3 and memo.get("b") is None and memo.get("a") == ord("a") and memo.get("d") == 4
    with pytest.raises(ValueError):
        BoundedLRU(0)


def test_value_key_tells_json_documents_apart_as_a_schema_does() -> None:
    assert value_key({"a": 1, "b": [1, "x"]}) == value_key({"b": [1, "x"], "a": 1})
    distinct = [{"a": 1}, {"a": 1.0}, {"a": True}, {"a": "1"}, {"a": [1]}, {"a": {"b": 1}}, {"a": None}, {}]
    keys = [value_key(v) for v in distinct]
    assert None not in keys and len(set(keys)) == len(distinct)
    assert value_key({"a": (1,)}) is None and value_key({1: "a"}) is None  # not JSON's own types
    assert value_key({"q": "x" * 5000}) is None  # too long to be worth remembering


@pytest.mark.parametrize("arguments", ARGUMENTS, ids=lambda a: repr(a)[:40])
def test_remembered_schema_decisions_are_the_fresh_ones(arguments: dict[str, Any]) -> None:
    validation.SCHEMA_DECISIONS.clear()
    fresh = _fresh(arguments)
    first = validation.validate_schema(_action(arguments), SPEC)
    again = validation.validate_schema(_action(arguments), SPEC)
    assert first == fresh and again == fresh
    keyed = value_key(arguments) is not None
    assert validation.SCHEMA_DECISIONS.hits == (1 if keyed else 0)


def test_every_argument_set_is_judged_as_fresh_in_any_order() -> None:
    """Filled in one order and read in another: no document is answered with another's decision."""
    validation.SCHEMA_DECISIONS.clear()
    expected = {repr(a): _fresh(a) for a in ARGUMENTS}
    for arguments in ARGUMENTS + ARGUMENTS[::-1] + ARGUMENTS:
        assert validation.validate_schema(_action(arguments), SPEC) == expected[repr(arguments)]


def test_a_remembered_decision_is_a_copy() -> None:
    validation.SCHEMA_DECISIONS.clear()
    validation.validate_schema(_action({"kind": "Pod"}), SPEC)
    got = validation.validate_schema(_action({"kind": "Pod"}), SPEC)
    got.details["changed"] = True
    assert validation.validate_schema(_action({"kind": "Pod"}), SPEC).details == {}


def test_the_schema_memo_is_bounded() -> None:
    validation.SCHEMA_DECISIONS.clear()
    bound = validation.SCHEMA_DECISIONS.max_entries
    for i in range(bound + 50):
        validation.validate_schema(_action({"kind": "Pod", "name": f"n{i}"}), SPEC)
    assert len(validation.SCHEMA_DECISIONS) == bound


ACTORS = [Actor(name="agent", origin="agent"), Actor(name="alice", origin="mcp", team="payments"),
          Actor(name="mcp-client", origin="mcp")]
TOOLS = ["k8s_get", "k8s_logs", "get_callers", "k8s_delete", "promql_query", "nope"]
SCOPES = [Scope(), Scope(namespace="shop"), Scope(namespace="kube-system"), Scope(namespace="*"),
          Scope(namespace="shop", kind="Secret"), Scope(cluster="prod", namespace="shop", kind="Pod"),
          Scope(paths=("src/app.py",)), Scope(paths=("secrets/key.pem",)),
          Scope(namespace="shop", window_seconds=60.0, query="up")]


def test_remembered_rule_decisions_are_the_fresh_ones() -> None:
    policy = load_policy(default_policy_path())
    questions = list(itertools.product(ACTORS, TOOLS, SCOPES))
    expected = [policy._match_rules(a, t, s) for a, t, s in questions]
    for _ in range(2):  # filled, then answered from memory
        assert [policy.evaluate_rules(a, t, s) for a, t, s in questions] == expected
    assert policy._rule_decisions().hits >= len(questions)


def test_another_rules_list_is_never_answered_from_this_ones_memo() -> None:
    allow = Policy(rules=[Rule(id="all-reads", tools=["k8s_get"])])
    actor, scope = ACTORS[0], Scope(namespace="shop")
    assert allow.evaluate_rules(actor, "k8s_get", scope).allowed
    denying = allow.model_copy(update={"rules": [Rule(id="no-shop", effect="deny", namespaces=["shop"]),
                                                 *allow.rules]})
    assert not denying.evaluate_rules(actor, "k8s_get", scope).allowed
    assert allow.evaluate_rules(actor, "k8s_get", scope).allowed
    allow.rules = []  # a policy given another rules list starts over
    assert not allow.evaluate_rules(actor, "k8s_get", scope).allowed


@pytest.mark.anyio
async def test_the_rate_limit_still_refuses_with_remembered_decisions(tmp_path: Path) -> None:
    policy = Policy(rules=[Rule(id="all-reads", tools=["k8s_get"])],
                    limits=[Limits(rate=RateLimit(calls=3, per="60s"))])
    pipeline = Pipeline(policy, AuditLog(tmp_path / "audit.jsonl"), AutoDenyApprover(), where="test")
    verdicts = [await pipeline.check(_action({"kind": "Pod", "name": "api"}), SPEC) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert verdicts[3].denial is not None and verdicts[3].denial.rule == "limits.default.rate"
    assert validation.SCHEMA_DECISIONS.hits > 0 and policy._rule_decisions().hits > 0


def test_a_used_policy_still_equals_an_unused_copy_of_it() -> None:
    """What a policy remembers is not part of its value (pydantic compares private attributes)."""
    used, fresh = load_policy(default_policy_path()), load_policy(default_policy_path())
    used.evaluate_rules(ACTORS[0], "k8s_get", Scope(namespace="shop"))
    assert used == fresh
    assert used != Policy(rules=[Rule(id="other", tools=["k8s_get"])])


def test_a_used_policy_deep_copies_and_pickles() -> None:
    import copy
    import pickle

    used = load_policy(default_policy_path())
    decision = used.evaluate_rules(ACTORS[0], "k8s_get", Scope(namespace="shop"))
    for other in (copy.deepcopy(used), used.model_copy(deep=True), pickle.loads(pickle.dumps(used))):
        assert other == used and other.evaluate_rules(ACTORS[0], "k8s_get", Scope(namespace="shop")) == decision
