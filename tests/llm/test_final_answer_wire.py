"""The final-answer tool over the wire: the real anthropic and openai SDKs, a local replay server, the
whole investigation loop.

The recordings (recordings/*/submit_answer.json) were written by hand to each provider's documented
format; no real API was called. The model hands in an answer whose confidence is not a number, gets
one repair turn naming the field, and hands in a fixed one, whose typed remediation the report keeps.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.gitops.remediation import SetEnv
from agent.llm import LLMSettings, build_model
from agent.llm.final_answer import FINAL_ANSWER_TOOL, final_answer_tool
from tests.agent.test_loop import run
from tests.llm.conftest import ReplayServer

pytestmark = pytest.mark.anyio

PROVIDERS = {
    "anthropic": {"provider": "anthropic", "model": "claude-sonnet-4-5", "path": ""},
    "openai": {"provider": "openai", "model": "gpt-4.1", "path": "/v1"},
}


def _model(replay: ReplayServer, key_env: str, provider: str) -> Any:
    shape = PROVIDERS[provider]
    settings = LLMSettings.model_validate({
        "provider": shape["provider"], "model": shape["model"], "base_url": replay.url + shape["path"],
        "api_key_env": key_env, "backoff_base_s": 0.01, "timeout_s": 10})
    return build_model(settings)


def _offered(body: dict[str, Any], provider: str) -> dict[str, dict[str, Any]]:
    """Tool name -> input schema, as the request offered them."""
    if provider == "anthropic":
        return {t["name"]: t["input_schema"] for t in body["tools"]}
    return {t["function"]["name"]: t["function"]["parameters"] for t in body["tools"]}


def _repair_result(body: dict[str, Any], provider: str) -> str:
    """The text that answered the first submit_answer call in the second request."""
    if provider == "anthropic":
        last = body["messages"][-1]
        assert last["role"] == "user"
        [block] = [b for b in last["content"] if b["type"] == "tool_result"]
        assert block["tool_use_id"] == "toolu_01Submit1"
        content = block["content"]
        return content if isinstance(content, str) else " ".join(c.get("text", "") for c in content)
    last = body["messages"][-1]
    assert last["role"] == "tool" and last["tool_call_id"] == "call_Submit1"
    return str(last["content"])


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
async def test_submit_answer_is_validated_repaired_once_and_never_reaches_a_tool_server(
        replay: ReplayServer, dummy_key: str, closing: Any, tmp_path: Any, provider: str) -> None:
    replay.load(f"{provider}/submit_answer.json")
    model = closing(_model(replay, dummy_key, provider))
    report, calls, audit = await run(tmp_path, model)

    answers = [r for r in replay.requests if r.path.endswith("/messages") or r.path.endswith("/chat/completions")]
    assert len(answers) == 2, "one answer, one repair turn, nothing more"
    offered = _offered(answers[0].body, provider)
    assert offered[FINAL_ANSWER_TOOL] == final_answer_tool().input_schema, "its schema is FinalAnswer's"
    assert {"k8s_describe", "k8s_logs"} <= set(offered), "offered beside the evidence tools"
    repair = _repair_result(answers[1].body, provider)
    assert "could not be used" in repair and "confidence" in repair, repair

    assert report.stats.repair_turns == 1 and report.complete
    assert report.top is not None and report.top.source == "model" and report.top.confidence == 0.9
    assert report.remediation is not None and isinstance(report.remediation.root, SetEnv)
    assert (report.remediation.root.name, report.remediation.root.value) == ("FX_RATE_SOURCE_TIMEOUT", "30")
    # Vigil's own tool: not evidence, not run on a server, not in the audit log.
    assert FINAL_ANSWER_TOOL not in {e.tool for e in report.evidence}
    assert not [c for c in calls if FINAL_ANSWER_TOOL in c]
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert not [r for r in records if r.get("tool") == FINAL_ANSWER_TOOL]
    assert json.loads(report.to_json())["remediation"]["action"] == "set_env"
