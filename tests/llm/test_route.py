"""`llm.route`: the cascade's settings and its decisions (tests/agent/test_loop.py runs it in the loop)."""

from __future__ import annotations

from agent.llm import LLMSettings
from agent.llm.route import local_answer_problem, rules_conclusive, straight_to_frontier
from agent.report import Hypothesis, Report


def report(*hypotheses: Hypothesis) -> Report:
    return Report(incident_id="i", fingerprint="f", title="t", run_id="r", hypotheses=list(hypotheses))


def test_route_is_read_from_the_llm_section_with_its_frontier_model() -> None:
    settings = LLMSettings.model_validate({"provider": "ollama", "model": "qwen2.5-coder:1.5b", "route": {
        "conclusive_at": 0.85, "escalate_to": {"provider": "anthropic", "model": "claude-sonnet-5-5"}}})
    assert settings.route is not None and settings.route.escalate_to is not None
    assert settings.route.escalate_to.provider == "anthropic" and settings.route.escalate_severities == ["critical"]


def test_the_decisions_say_why() -> None:
    route = LLMSettings.model_validate({"route": {"conclusive_at": 0.8, "escalate_below": 0.6}}).route
    assert route is not None
    strong = Hypothesis(cause="OOMKilled", confidence=0.9, evidence=["E1"], source="runbook")
    uncited = Hypothesis(cause="OOMKilled", confidence=0.9, evidence=[], source="runbook")
    assert "conclusive" in (rules_conclusive(report(strong), route) or "")
    assert rules_conclusive(report(uncited), route) is None, "a finding without evidence settles nothing"
    assert straight_to_frontier("critical", route) and straight_to_frontier("warning", route) is None
    unsure = report(Hypothesis(cause="maybe memory", confidence=0.4, evidence=["E1"], source="model"))
    assert "0.40 < 0.60" in (local_answer_problem(unsure, route) or "")
    sure = report(Hypothesis(cause="memory", confidence=0.8, evidence=["E1"], source="model"))
    assert local_answer_problem(sure, route) is None
    assert "cited no evidence" in (local_answer_problem(report(strong), route) or "")
