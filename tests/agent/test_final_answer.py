"""The typed final answer in the investigation loop, driven by the scripted model.

The tools are the toy MCP server of test_loop.py (a crash-looping payments pod, fixed answers). These
pin down what the loop does with an answer: a `submit_answer` call or fenced JSON, both validated by
FinalAnswer; one repair turn naming the wrong fields; a remediation that alone is wrong is dropped
while the hypotheses stand; the tool is never run, never evidence; a runbook's manual fix is a step.
"""

from __future__ import annotations

import json

import pytest

from agent.gitops.remediation import Remediation, SetEnv
from agent.investigation import _take_rule_remediation
from agent.llm.base import ToolCall
from agent.llm.final_answer import FINAL_ANSWER_TOOL
from agent.llm.scripted import ScriptedModel, tool_call
from agent.report import Report
from tests.agent.test_loop import fenced, run

pytestmark = pytest.mark.anyio

CAUSE = "FX_RATE_SOURCE_TIMEOUT='30s' is not a float"
FIX = {"action": "set_env", "name": "FX_RATE_SOURCE_TIMEOUT", "value": "30",
       "workload": {"name": "payments", "namespace": "payments"}}


def answer(**changes: object) -> dict:
    base: dict = {"summary": "FX_RATE_SOURCE_TIMEOUT is '30s'.",
                  "hypotheses": [{"cause": CAUSE, "confidence": 0.9, "evidence": ["E3"]}], "remediation": FIX}
    return {**base, **changes}


async def test_a_submitted_answer_is_the_answer_and_never_a_tool_call(tmp_path):
    model = ScriptedModel.of([tool_call(FINAL_ANSWER_TOOL, **answer())])
    report, calls, audit = await run(tmp_path, model)
    baseline, _, _ = await run(tmp_path / "rules", None)

    schema = next(t.input_schema for t in model.turns[0].tools if t.name == FINAL_ANSWER_TOOL)
    assert set(schema["properties"]) == {"summary", "hypotheses", "ruled_out", "next_steps", "remediation"}
    assert {"SetEnv", "SetImage", "SetProbe"} <= set(schema["$defs"]), "the remediation is a tagged union"
    assert report.top is not None and report.top.source == "model" and report.top.cause == CAUSE
    assert report.remediation is not None and isinstance(report.remediation.root, SetEnv)
    assert report.stats.repair_turns == 0 and report.stats.model_turns == 1
    assert report.stats.tool_calls == baseline.stats.tool_calls, "not counted as a tool call"
    assert FINAL_ANSWER_TOOL not in {e.tool for e in report.evidence} and FINAL_ANSWER_TOOL not in " ".join(calls)
    assert FINAL_ANSWER_TOOL not in audit.read_text()


async def test_an_invalid_submission_gets_one_repair_turn_naming_the_fields(tmp_path):
    bad = answer(hypotheses=[{"cause": CAUSE, "confidence": "very", "evidence": ["E3"]}])
    model = ScriptedModel.of([tool_call(FINAL_ANSWER_TOOL, call_id="first", **bad),
                              ToolCall(id="beside", name="k8s_describe",
                                       arguments={"kind": "Pod", "name": "other-pod", "namespace": "payments"})],
                             [tool_call(FINAL_ANSWER_TOOL, **answer())])
    report, calls, _ = await run(tmp_path, model)
    results = {m.tool_call_id: m.content for m in model.turns[1].tool_results}
    assert "hypotheses[0].confidence" in results["first"] and "could not be used" in results["first"]
    assert results["beside"].startswith("not run"), "every call of the turn is answered"
    assert report.stats.repair_turns == 1 and report.top is not None and report.top.source == "model"
    assert not [c for c in calls if "other-pod" in c], "a call made beside the answer is not run"


async def test_a_text_answer_is_validated_through_the_same_model(tmp_path):
    wrong = answer(hypotheses=[{"cause": "", "confidence": 2, "evidence": ["E3"]}])
    model = ScriptedModel.of(fenced(wrong), fenced(answer()))
    report, _, _ = await run(tmp_path, model)
    repair = model.turns[1].messages[-1]
    assert repair.role == "user" and "`hypotheses.0.cause`" in repair.content
    assert "`hypotheses.0.confidence`" in repair.content and FINAL_ANSWER_TOOL in repair.content
    assert report.summary == answer()["summary"] and report.stats.repair_turns == 1


async def test_twice_invalid_falls_back_to_the_rules(tmp_path):
    bad = answer(hypotheses="it is the config")
    model = ScriptedModel.of([tool_call(FINAL_ANSWER_TOOL, **bad)], [tool_call(FINAL_ANSWER_TOOL, **bad)])
    report, _, _ = await run(tmp_path, model)
    assert report.stats.repair_turns == 1 and report.stats.model_turns == 2
    assert report.top is not None and report.top.source == "runbook"
    assert report.model_note_flags == ["not in the report format"] and "it is the config" in report.model_note
    assert any("not in the report format" in n for n in report.notes)


async def test_only_a_wrong_remediation_is_dropped_after_the_repair_turn(tmp_path):
    bad = answer(remediation={"action": "set_memory_limit", "memory": "1Gi",
                              "workload": {"name": "payments", "namespace": "payments"}})
    model = ScriptedModel.of(fenced(bad), fenced(bad))
    report, _, _ = await run(tmp_path, model)
    assert report.stats.repair_turns == 1
    assert report.top is not None and report.top.source == "model", "the hypotheses stand"
    assert not (report.remediation and report.remediation.action == "set_memory_limit")
    assert any("set_memory_limit on payments/payments" in n and "`value`" in n for n in report.notes)


async def test_a_small_window_gets_no_final_answer_tool_and_answers_in_text(tmp_path):
    model = ScriptedModel.of(fenced(answer()))
    model.window = 8192
    report, _, _ = await run(tmp_path, model)
    assert FINAL_ANSWER_TOOL not in model.turns[0].tool_names
    assert any(FINAL_ANSWER_TOOL in n and "context window" in n for n in report.notes)
    assert report.top is not None and report.top.source == "model"


def test_a_rule_remediation_is_typed_a_manual_one_is_a_step_an_invalid_one_a_note() -> None:
    report = Report(incident_id="i", fingerprint="f", title="t", run_id="r")
    _take_rule_remediation(report, "cert", "manual", {"reason": "Renew the certificate with cmctl renew."})
    assert report.remediation is None and report.next_steps == ["By hand (rule cert): Renew the certificate with "
                                                                "cmctl renew."]
    _take_rule_remediation(report, "oom", "set_memory_limit", {"workload": FIX["workload"], "value": "lots"})
    assert report.remediation is None and any("rule oom" in n and "quantity" in n for n in report.notes)
    _take_rule_remediation(report, "env", "set_env", {k: v for k, v in FIX.items() if k != "action"})
    assert report.remediation == Remediation.model_validate(FIX)
    shown = report.to_markdown().split("## Proposed remediation")[1]
    assert json.loads(shown.split("```json")[1].split("```")[0]) == {**FIX, "workload": {
        "kind": "Deployment", **FIX["workload"]}, "reason": ""}
