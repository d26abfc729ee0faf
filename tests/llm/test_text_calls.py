"""Tool calls that small local models write as text, in each model family's own shape.

The texts in recordings/small_models/text_tool_calls.json are representative outputs written from
each family's chat template (Qwen, Hermes, Llama 3, Phi, Firefunction, Mistral), not captured from a
server; the Qwen case also runs through the real openai SDK against the replay server.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.llm import Message
from agent.llm.repair import apply_repairs, calls_in_text
from tests.llm.conftest import RECORDINGS, ReplayServer

CASES = json.loads((RECORDINGS / "small_models" / "text_tool_calls.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['model']}: {c['form']}" for c in CASES])
def test_each_text_form_is_read_as_the_calls_it_holds(case: dict[str, Any], sre_tools: list) -> None:
    raw = calls_in_text(case["text"], sre_tools)
    fixed, _notes = apply_repairs(list(raw), sre_tools)
    assert [[c.name, c.arguments] for c in fixed] == case["calls"]
    assert all(c.error is None for c in fixed)


def test_a_tagged_call_to_an_unknown_tool_goes_back_as_an_error(sre_tools: list) -> None:
    raw = calls_in_text('<tool_call>\n{"name": "kubectl_exec", "arguments": {"cmd": "ls"}}\n</tool_call>', sre_tools)
    [call] = apply_repairs(list(raw), sre_tools)[0]
    assert call.error and "unknown tool 'kubectl_exec'" in call.error and "k8s_logs" in call.error


@pytest.mark.anyio
async def test_qwen_tool_call_tags_through_the_openai_sdk(replay: ReplayServer, dummy_key: str,
                                                         sre_tools: list, closing: Any) -> None:
    from agent.llm.openai import OpenAIModel

    body = {"id": "chatcmpl-q1", "object": "chat.completion", "created": 1763900300,
            "model": "qwen2.5-coder:0.5b-instruct",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": CASES[1]["text"]}}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 80, "total_tokens": 980}}
    replay.exchanges.append({"status": 200, "headers": {}, "body": body})
    model = closing(OpenAIModel("qwen2.5-coder:0.5b-instruct", api_key="x", base_url=replay.url + "/v1"))
    response = await model.complete("sys", [Message(role="user", content="why?")], sre_tools, max_tokens=300)
    assert [c.name for c in response.tool_calls] == ["k8s_logs", "k8s_events"]
    assert response.text == "" and response.stop_reason == "tool_calls"
