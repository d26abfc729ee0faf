"""Guardrail layers as data: the policy's `layers:` list builds the pipeline, and a policy author's
own layer (named by its import path) runs in it without any change to the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from guardrails.action import Action, Actor, Decision, ToolSpec
from guardrails.audit import AuditLog
from guardrails.layers import (
    DEFAULT_ORDER,
    BaseLayer,
    Call,
    LayerResult,
    QueryCostLayer,
    RateLimitLayer,
    RateLimitResult,
    ScopeResult,
    ScopingLayer,
    ToolResult,
)
from guardrails.pipeline import Pipeline
from guardrails.policy import Policy, PolicyError, load_policy

pytestmark = pytest.mark.anyio

ALICE = Actor(name="alice", origin="cli", team="sre")
K8S_GET = ToolSpec(name="k8s_get", input_schema={
    "type": "object", "properties": {"kind": {"type": "string"}, "name": {"type": "string"},
                                     "namespace": {"type": "string"}}, "required": ["kind", "name"]})
RULES = [{"id": "k8s", "tools": ["k8s_*"]}]


class NoDatabaseNamespaces(BaseLayer):
    """A policy author's layer: nothing in a namespace whose name says `db`, whatever the rules allow."""

    name: ClassVar[str] = "no-db-namespaces"
    in_precheck: ClassVar[bool] = True

    async def check(self, call: Call) -> LayerResult:
        namespace = call.scope().namespace or ""
        if "db" in namespace:
            return LayerResult(Decision(layer="scoping", allowed=False, rule="custom.no-db",
                                        reason=f"namespace {namespace!r} holds databases; ask the DBAs"))
        return LayerResult()

    def after(self, call: Call, result: ToolResult) -> ToolResult:
        result.text = result.text.replace("hunter2", "[seen by no-db-namespaces]")
        return result


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def get(namespace: str) -> Action:
    return Action(actor=ALICE, tool="k8s_get", arguments={"kind": "Pod", "name": "x", "namespace": namespace})


def test_default_order_is_the_order_the_pipeline_always_ran() -> None:
    policy = Policy.model_validate({"rules": RULES})
    assert policy.layers == list(DEFAULT_ORDER)
    assert [layer.name for layer in Pipeline(policy, AuditLog("/nonexistent/a.jsonl")).layers] == list(DEFAULT_ORDER)


async def test_scoping_family_records_one_decision_as_before(tmp_path: Path) -> None:
    pipeline = Pipeline(Policy.model_validate({"rules": RULES}), AuditLog(tmp_path / "audit.jsonl"))
    verdict = await pipeline.check(get("shop"), K8S_GET)
    scoping = [d for d in verdict.decisions if d.layer == "scoping"]
    assert len(scoping) == 1
    assert scoping[0].rule == "k8s" and scoping[0].reason == "allowed by rule 'k8s'; within cost limits"


async def test_each_layer_returns_its_own_result_type(tmp_path: Path) -> None:
    pipeline = Pipeline(Policy.model_validate({"rules": RULES, "limits": [{"rate": {"calls": 1, "per": "1h"}}]}),
                        AuditLog(tmp_path / "audit.jsonl"))
    call = Call(pipeline, get("shop"), K8S_GET)
    scope = await ScopingLayer().check(call)
    assert isinstance(scope, ScopeResult) and scope.rule == "k8s"
    rate = RateLimitLayer()
    first, second = await rate.check(call), await rate.check(call)
    assert isinstance(first, RateLimitResult) and first.decision is None and first.wait_seconds == 0
    assert not second.allowed and second.wait_seconds > 3500 and second.decision is not None
    assert second.decision.rule == "limits.default.rate"
    cost = await QueryCostLayer().check(call)
    assert cost.allowed and cost.decision is not None and cost.decision.reason == "within cost limits"


async def test_a_policy_authors_layer_runs_by_its_import_path(tmp_path: Path) -> None:
    order = list(DEFAULT_ORDER)
    order.insert(order.index("scoping") + 1, f"{__name__}:NoDatabaseNamespaces")
    pipeline = Pipeline(Policy.model_validate({"rules": RULES, "layers": order}), AuditLog(tmp_path / "audit.jsonl"))

    allowed = await pipeline.check(get("shop"), K8S_GET)
    refused = await pipeline.check(get("orders-db"), K8S_GET)
    assert allowed.allowed
    assert not refused.allowed and refused.denial is not None and refused.denial.rule == "custom.no-db"
    assert [(d.layer, d.allowed) for d in refused.decisions] == [
        ("validation", True), ("scoping", True), ("scoping", False), ("audit", True)], \
        "the rules allowed it, the author's layer refused it, and nothing after it ran"
    last = records(tmp_path / "audit.jsonl")[-1]
    assert last["allowed"] is False and last["rule"] == "custom.no-db" and "ask the DBAs" in last["reason"]

    screened = pipeline.screen_result(get("shop"), "password: hunter2 in the log")
    assert "hunter2" not in screened.text


async def test_the_order_is_the_policys(tmp_path: Path) -> None:
    """Rate limiting before the rules: a call the rules refuse then spends the actor's allowance too."""
    shell = ToolSpec(name="shell", input_schema={"type": "object"})
    rate_first = ["validation", "rate_limit", "scoping", "query_cost", "budget", "rollback", "approval",
                  "screening", "audit"]
    outcomes = {}
    for label, order in (("default", list(DEFAULT_ORDER)), ("rate first", rate_first)):
        policy = Policy.model_validate({"rules": RULES, "layers": order,
                                        "limits": [{"rate": {"calls": 1, "per": "1h"}}]})
        pipeline = Pipeline(policy, AuditLog(tmp_path / f"{label}.jsonl"))
        refused = await pipeline.check(Action(actor=ALICE, tool="shell"), shell)
        assert refused.denial is not None and refused.denial.rule == "default-deny"
        outcomes[label] = (await pipeline.check(get("shop"), K8S_GET)).denial
    assert outcomes["default"] is None
    assert outcomes["rate first"] is not None and outcomes["rate first"].rule == "limits.default.rate"


@pytest.mark.parametrize(("layers", "message"), [
    (["validation", "scoping", "blast_radius", "screening", "audit"], "unknown guardrail layer 'blast_radius'"),
    (["validation", "scoping", "acme.guardrails:BlastRadius", "screening", "audit"], "cannot be imported"),
    (["validation", "scoping", "json:dumps", "screening", "audit"], "not a layer class"),
    (["validation", "scoping", "audit"], "leaves out screening"),
    (["validation", "scoping", "audit", "screening"], "must be the last layer"),
    (["validation", "scoping", "scoping", "screening", "audit"], "listed twice"),
])
def test_a_bad_layers_list_is_a_clear_config_error(tmp_path: Path, layers: list[str], message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(json.dumps({"rules": RULES, "layers": layers}))
    with pytest.raises(PolicyError, match="layers") as raised:
        load_policy(path)
    assert message in str(raised.value)
