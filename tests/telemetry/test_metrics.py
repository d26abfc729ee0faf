"""Vigil's metric instruments, read back from an InMemoryMetricReader and from the /metrics text.

The numbers come from a real scripted investigation (tokens, cost, durations, tool errors,
denials), from real pipeline checks with the shipped approvers (approvals), and from a queue-depth
callback, so each assertion follows from what actually happened.
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from agent.llm.base import ToolCall
from agent.llm.scripted import ScriptedModel
from agent.telemetry import Telemetry, metrics_exposition, register_queue_depth
from guardrails.action import Action, Actor, Risk, RollbackPlan, ToolSpec
from guardrails.approval import AutoDenyApprover, PreApproved
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline
from guardrails.policy import load_policy
from tests.policies import DENY_KUBE_SYSTEM
from tests.telemetry.conftest import attrs, investigate

pytestmark = pytest.mark.anyio


def points(telemetry: Telemetry, name: str) -> list[Any]:
    assert telemetry.metric_reader is not None
    data = telemetry.metric_reader.get_metrics_data()
    found: list[Any] = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    found += list(metric.data.data_points)
    return found


def by(points_: list[Any], **labels: Any) -> list[Any]:
    return [p for p in points_ if all(attrs(p).get(k) == v for k, v in labels.items())]


def script() -> ScriptedModel:
    return ScriptedModel.of(
        [ToolCall(id="c1", name="k8s_events", arguments={"namespace": "payments"}),
         ToolCall(id="c2", name="k8s_describe", arguments={"kind": "Pod", "name": "x", "namespace": "kube-system"})],
        '{"summary": "done", "hypotheses": []}',
    )


async def test_tokens_durations_tool_errors_and_denials(tmp_path, telemetry):
    report, _ = await investigate(tmp_path, script())
    tokens = points(telemetry, "vigil.llm.tokens")
    common = {"gen_ai.provider.name": "scripted", "gen_ai.request.model": "scripted", "vigil.team": "payments"}
    (inputs,) = by(tokens, **common, **{"gen_ai.token.type": "input"})
    (outputs,) = by(tokens, **common, **{"gen_ai.token.type": "output"})
    assert inputs.value == report.stats.input_tokens and outputs.value == report.stats.output_tokens
    (cost,) = points(telemetry, "vigil.llm.cost")
    assert cost.value == 0.0  # a local provider costs nothing

    (duration,) = points(telemetry, "vigil.investigation.duration")
    assert duration.count == 1 and attrs(duration)["vigil.runbook.id"] == "crashloopbackoff"
    assert duration.sum == pytest.approx(report.stats.seconds, abs=0.01)

    tool_calls = sum(p.count for p in points(telemetry, "vigil.tool.duration"))
    assert tool_calls == report.stats.tool_calls
    errors = points(telemetry, "vigil.tool.errors")
    events_errors = by(errors, **{"gen_ai.tool.name": "k8s_events", "error.type": "error"})
    failed_events = [e for e in report.evidence if e.tool == "k8s_events" and not e.ok]
    # every failed k8s_events call is counted once: the survey's, the runbook's prefetch and the model's
    assert len(failed_events) >= 2
    assert sum(p.value for p in events_errors) == len(failed_events)
    (denied,) = by(errors, **{"gen_ai.tool.name": "k8s_describe", "error.type": "denied"})
    assert denied.value == 1

    denials = points(telemetry, "vigil.guardrail.denials")
    (kube_system,) = by(denials, **{"vigil.guardrail.rule": "deny-kube-system"})
    assert kube_system.value == 1
    assert attrs(kube_system)["vigil.guardrail.layer"] == "scoping"
    assert attrs(kube_system)["vigil.guardrail.where"] == "agent"


async def test_approvals_by_outcome_and_channel(tmp_path, telemetry):
    spec = ToolSpec(name="propose_change", input_schema={"type": "object"}, read_only=False, risk=Risk.MEDIUM)
    plan = RollbackPlan(kind="revert_pull_request", description="revert the PR")

    def action() -> Action:
        return Action(actor=Actor(name="bob"), tool="propose_change", arguments={"path": "apps/x.yaml"},
                      risk=Risk.MEDIUM, rollback=plan)

    policy = load_policy(DENY_KUBE_SYSTEM)
    approving = Pipeline(policy, AuditLog(tmp_path / "a.jsonl"), PreApproved("alice"))
    headless = Pipeline(policy, AuditLog(tmp_path / "b.jsonl"), AutoDenyApprover())
    assert (await approving.check(action(), spec)).allowed
    assert (await approving.check(action(), spec)).allowed
    assert not (await headless.check(action(), spec)).allowed
    approvals = points(telemetry, "vigil.approvals")
    (yes,) = by(approvals, **{"vigil.approval.outcome": "approved"})
    (no,) = by(approvals, **{"vigil.approval.outcome": "no_answer"})
    assert (yes.value, attrs(yes)["vigil.approval.channel"]) == (2, "cli --yes")
    assert (no.value, attrs(no)["vigil.approval.channel"]) == (1, "headless")
    (refusal,) = points(telemetry, "vigil.guardrail.denials")
    assert attrs(refusal)["vigil.guardrail.rule"] == "approval-required"


async def test_queue_depth_is_read_from_registered_callbacks(telemetry):
    depth = {"webhooks": 3, "slack": 0}
    unregister = register_queue_depth(lambda: dict(depth))
    try:
        gauge = points(telemetry, "vigil.queue.depth")
        assert {attrs(p)["queue"]: p.value for p in gauge} == {"webhooks": 3, "slack": 0}
        depth["webhooks"] = 7
        assert by(points(telemetry, "vigil.queue.depth"), queue="webhooks")[0].value == 7
    finally:
        unregister()
    assert points(telemetry, "vigil.queue.depth") == []


async def test_a_broken_queue_callback_does_not_break_collection(telemetry):
    def broken() -> int:
        raise RuntimeError("queue database is gone")

    unregister_broken = register_queue_depth(broken)
    unregister_ok = register_queue_depth(lambda: 4)
    try:
        assert [p.value for p in points(telemetry, "vigil.queue.depth")] == [4]
    finally:
        unregister_broken()
        unregister_ok()


async def test_prometheus_exposition_parses_and_carries_the_numbers(tmp_path, telemetry):
    report, _ = await investigate(tmp_path, script())
    body, content_type = metrics_exposition()
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    tokens = families["vigil_llm_tokens"]
    values = {s.labels["gen_ai_token_type"]: s.value for s in tokens.samples if s.name == "vigil_llm_tokens_total"}
    assert values == {"input": report.stats.input_tokens, "output": report.stats.output_tokens}
    assert "vigil_investigation_duration_seconds" in families
    denial_samples = families["vigil_guardrail_denials"].samples
    assert any(s.labels.get("vigil_guardrail_rule") == "deny-kube-system" for s in denial_samples)
