"""The tool hub's result handling: long results are condensed by the summarizer when one is configured."""

from __future__ import annotations

import pytest

from agent.llm.scripted import ScriptedModel
from agent.toolhub import ToolHub
from guardrails.action import Actor
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline
from guardrails.policy import Policy
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server

pytestmark = pytest.mark.anyio
LONG = "\n".join(f'2026-03-12T14:{i // 60:02d}:{i % 60:02d}Z level=error msg="upstream reset" id={i}'
                 for i in range(900))


def server(tmp_path):
    srv = create_server("logs", "long answers", ServerGuard.for_tests(tmp_path / "srv", "logs"))

    @srv.tool(annotations=READ_ONLY)
    def loki_query(query: str, budget_tokens: int = 100000) -> str:
        """Return many lines."""
        return LONG

    return srv


def pipeline(tmp_path) -> Pipeline:
    return Pipeline(Policy.model_validate({"rules": [{"id": "logs", "tools": ["loki_*"]}]}),
                    AuditLog(tmp_path / "audit.jsonl"))


async def test_summarizer_condenses_results_over_budget(tmp_path):
    summarizer = ScriptedModel.of("900 'upstream reset' errors between 14:00 and 14:14, one template.")
    async with ToolHub(pipeline(tmp_path), Actor(name="a"), "run", result_budget_tokens=300,
                       summarizer=summarizer) as hub:
        await hub.connect("logs", server(tmp_path))
        outcome = await hub.call("loki_query", {"query": '{app="api"}'})
    assert "900 'upstream reset' errors" in outcome.text
    assert outcome.full_text.count("upstream reset") == 900, "rules still read every line"
    shown = summarizer.turns[0].messages[0].content
    assert "UNTRUSTED" in shown, "the summarizer sees the result fenced as data"


async def test_without_summarizer_results_are_cut_with_a_note(tmp_path):
    async with ToolHub(pipeline(tmp_path), Actor(name="a"), "run", result_budget_tokens=300) as hub:
        await hub.connect("logs", server(tmp_path))
        outcome = await hub.call("loki_query", {"query": '{app="api"}'})
    assert len(outcome.text) < 1400 and "left out" in outcome.text and "narrow the call" in outcome.text
