"""Per-team budgets checked before every model turn, through the guardrail pipeline.

The ledger is the real SQLite UsageLedger and the policy the shipped default (5,000,000 tokens and
$50 per team per day), so these tests pin down what a team sees when it has spent its day: the
model is not called, the report ends incomplete saying why, and the refusal is in the audit chain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.llm.base import ModelResponse, ToolCall, Usage
from agent.llm.scripted import ScriptedModel
from guardrails.action import Actor
from guardrails.audit import verify
from guardrails.pipeline import MODEL_CALL_TOOL
from guardrails.usage import UsageLedger
from tests.telemetry.conftest import attrs, finished, investigate

pytestmark = pytest.mark.anyio

DAY_CAP = 5_000_000
PAYMENTS = Actor(name="agent", origin="agent", team="payments")


def decisions(audit: Path, tool: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    return [r for r in records if r.get("kind") == "decision" and r.get("tool") == tool]


async def test_a_team_that_spent_its_day_is_refused_before_the_first_turn(tmp_path, telemetry):
    ledger = UsageLedger(tmp_path / "usage.db")
    ledger.record(team="payments", actor="someone", provider="anthropic", model="claude", input_tokens=DAY_CAP,
                  output_tokens=0, usd=3.0)
    model = ScriptedModel.of("never played")
    report, audit = await investigate(tmp_path, model, actor=PAYMENTS, ledger=ledger)

    assert model.turns == []  # the provider was never called
    assert report.complete is False
    assert report.incomplete_reason is not None
    assert "refused by the team budget" in report.incomplete_reason
    assert "team 'payments' has used 5,000,000 of its 5,000,000 tokens today" in report.incomplete_reason
    assert "limits.default.budget" in report.incomplete_reason
    # the runbook's own findings still make a report
    assert report.runbook_id == "crashloopbackoff" and report.hypotheses

    (refusal,) = decisions(audit, MODEL_CALL_TOOL)
    assert refusal["allowed"] is False
    assert refusal["layer"] == "scoping" and refusal["rule"] == "limits.default.budget"
    assert refusal["team"] == "payments" and refusal["run_id"] == "run_telemetry"
    assert verify(audit).ok

    (guard,) = [s for s in finished(telemetry) if s.name == f"guardrail {MODEL_CALL_TOOL}"]
    assert attrs(guard)["vigil.guardrail.allowed"] is False
    assert attrs(guard)["vigil.guardrail.rule"] == "limits.default.budget"


async def test_another_team_is_not_held_to_that_teams_spend(tmp_path, telemetry):
    ledger = UsageLedger(tmp_path / "usage.db")
    ledger.record(team="payments", actor="someone", provider="anthropic", model="claude", input_tokens=DAY_CAP,
                  output_tokens=0, usd=3.0)
    model = ScriptedModel.of('{"summary": "ok", "hypotheses": []}')
    checkout = Actor(name="agent", origin="agent", team="checkout")
    report, audit = await investigate(tmp_path, model, actor=checkout, ledger=ledger)
    assert report.complete and len(model.turns) == 1
    (allowed,) = decisions(audit, MODEL_CALL_TOOL)
    assert allowed["allowed"] is True and allowed["team"] == "checkout"
    spent = ledger.spent_today("checkout")
    assert spent.tokens == report.stats.input_tokens + report.stats.output_tokens > 0


async def test_a_team_that_runs_out_midway_stops_at_the_next_turn(tmp_path, telemetry):
    ledger = UsageLedger(tmp_path / "usage.db")
    ledger.record(team="payments", actor="someone", provider="anthropic", model="claude",
                  input_tokens=DAY_CAP - 20_000, output_tokens=0, usd=3.0)
    # the first turn fits in the 20,000 tokens left; what it spends leaves too little for a second
    expensive = ModelResponse(tool_calls=[ToolCall(id="c1", name="k8s_logs",
                                                   arguments={"name": "p", "namespace": "payments"})],
                              usage=Usage(input_tokens=19_000, output_tokens=20))
    model = ScriptedModel.of(expensive, "never played")
    report, audit = await investigate(tmp_path, model, actor=PAYMENTS, ledger=ledger)
    assert len(model.turns) == 1
    assert report.complete is False and "refused by the team budget" in (report.incomplete_reason or "")
    assert [d["allowed"] for d in decisions(audit, MODEL_CALL_TOOL)] == [True, False]
    assert ledger.spent_today("payments").tokens == DAY_CAP - 20_000 + 19_020
    # the tool the first turn asked for still ran and is cited evidence
    assert any(e.tool == "k8s_logs" and e.step_id is None for e in report.evidence)


async def test_without_a_ledger_nothing_is_checked_or_recorded(tmp_path, telemetry):
    report, audit = await investigate(tmp_path, ScriptedModel.of("done"), actor=PAYMENTS)
    assert report.complete
    assert decisions(audit, MODEL_CALL_TOOL) == []
