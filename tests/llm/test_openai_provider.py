"""The real openai SDK against a local server replaying Chat Completions responses.

The recordings under recordings/openai/ were written by hand following OpenAI's documented Chat
Completions response and error formats, and (ollama_*.json) what an OpenAI-compatible local server
such as Ollama returns for a small model's careless tool calls. No network, no real key.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from agent.llm import (
    STOP_END,
    STOP_TOOL_CALLS,
    Budget,
    BudgetTracker,
    LLMSettings,
    Message,
    ModelError,
    ModelRateLimited,
    ModelTimeout,
    build_model,
)
from tests.llm.conftest import DUMMY_KEY, ReplayServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def make_model(replay: ReplayServer, dummy_key: str, closing: Any) -> Any:
    """Builds models through the real settings path, pointed at the replay server."""

    def make(**overrides: object) -> Any:
        settings = LLMSettings.model_validate(
            {
                "provider": "openai",
                "model": "gpt-4.1",
                "base_url": f"{replay.url}/v1",
                "api_key_env": dummy_key,
                "backoff_base_s": 0.01,
                "timeout_s": 10,
                **overrides,
            }
        )
        return closing(build_model(settings))

    return make


async def test_text_answer_and_usage(replay: ReplayServer, make_model: Any) -> None:
    replay.load("openai/text_answer.json")
    model = make_model()
    response = await model.complete("You are Vigil.", [Message(role="user", content="why?")], [], max_tokens=256)

    assert response.text.startswith("catalog cannot pull image")
    assert response.stop_reason == STOP_END
    assert (response.usage.input_tokens, response.usage.output_tokens) == (950, 31)
    assert response.usage.cache_read_tokens == 512
    assert response.model == "gpt-4.1-2025-04-14"
    assert response.provider == "openai"

    [seen] = replay.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {DUMMY_KEY}"
    assert seen.body["messages"] == [
        {"role": "system", "content": "You are Vigil."},
        {"role": "user", "content": "why?"},
    ]
    # OpenAI's own endpoint gets the newer output-limit parameter.
    assert seen.body["max_completion_tokens"] == 256 and "max_tokens" not in seen.body

    tracker = BudgetTracker(Budget(max_usd=1.0))
    cost = tracker.record(response)
    # 438 fresh input tokens at $2, 512 cached at $0.50, 31 output at $8 (gpt-4.1)
    assert cost == pytest.approx((438 * 2.00 + 512 * 0.50 + 31 * 8.00) / 1_000_000)
    assert tracker.unpriced_models == set()


async def test_parallel_tool_calls_and_tool_messages_on_the_wire(
    replay: ReplayServer, make_model: Any, sre_tools: list
) -> None:
    replay.load("openai/parallel_tool_calls.json")
    model = make_model()
    history = [Message(role="user", content="catalog pods are not starting")]
    first = await model.complete("sys", history, sre_tools, max_tokens=512)

    assert first.stop_reason == STOP_TOOL_CALLS
    assert [(c.id, c.name) for c in first.tool_calls] == [
        ("call_Xk2pQ9mZ1", "k8s_events"),
        ("call_Yb7rT4nW8", "k8s_describe"),
    ]
    assert first.tool_calls[0].arguments == {"namespace": "catalog", "kind": "Pod", "limit": 20}
    assert first.tool_calls[1].arguments == {"namespace": "catalog", "kind": "Deployment", "name": "catalog"}
    assert first.repaired == []

    history.append(first.as_message())
    history.append(Message(role="tool", content="Failed to pull image", tool_call_id="call_Xk2pQ9mZ1"))
    history.append(Message(role="tool", content="image: catalog:v2.3.9", tool_call_id="call_Yb7rT4nW8"))
    final = await model.complete("sys", history, sre_tools, max_tokens=512)
    assert final.text.startswith("ImagePullBackOff")

    wire = replay.requests[1].body
    assert wire["tools"][0] == {
        "type": "function",
        "function": {
            "name": "k8s_logs",
            "description": "Recent log lines of one pod's container.",
            "parameters": sre_tools[0].input_schema,
        },
    }
    assistant = wire["messages"][2]
    assert assistant["role"] == "assistant" and assistant["content"] is None
    assert [json.loads(c["function"]["arguments"]) for c in assistant["tool_calls"]] == [
        {"namespace": "catalog", "kind": "Pod", "limit": 20},
        {"namespace": "catalog", "kind": "Deployment", "name": "catalog"},
    ]
    assert wire["messages"][3:] == [
        {"role": "tool", "tool_call_id": "call_Xk2pQ9mZ1", "content": "Failed to pull image"},
        {"role": "tool", "tool_call_id": "call_Yb7rT4nW8", "content": "image: catalog:v2.3.9"},
    ]


async def test_429_honours_retry_after_ms(replay: ReplayServer, make_model: Any) -> None:
    replay.load("openai/rate_limited_then_ok.json")
    model = make_model()
    response = await model.complete("", [Message(role="user", content="hi")], [], max_tokens=16)
    assert response.text == "ok after waiting"
    assert len(replay.requests) == 2
    gap = replay.requests[1].at - replay.requests[0].at
    assert gap >= 0.29, f"retried after {gap:.3f}s; the server asked for 300 ms"
    assert [r.headers.get("x-stainless-retry-count") for r in replay.requests] == ["0", "0"]


async def test_server_errors_then_success(replay: ReplayServer, make_model: Any) -> None:
    replay.load("openai/server_error_then_ok.json")
    model = make_model()
    started = time.monotonic()
    response = await model.complete("", [Message(role="user", content="hi")], [], max_tokens=16)
    assert response.text == "answer after errors"
    assert len(replay.requests) == 3
    assert time.monotonic() - started < 2


async def test_insufficient_quota_is_not_retried(replay: ReplayServer, make_model: Any) -> None:
    replay.load("openai/insufficient_quota.json")
    model = make_model()
    with pytest.raises(ModelRateLimited) as caught:
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=16)
    assert caught.value.status == 429 and not caught.value.retryable
    assert "insufficient_quota" in str(caught.value)
    assert len(replay.requests) == 1


async def test_timeout(replay: ReplayServer, make_model: Any) -> None:
    replay.load("openai/slow.json")
    model = make_model(timeout_s=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ModelTimeout):
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=16)
    assert time.monotonic() - started < 2.0


async def test_ollama_sloppy_tool_call_is_repaired(replay: ReplayServer, make_model: Any, sre_tools: list) -> None:
    replay.load("openai/ollama_sloppy_tool_call.json")
    model = make_model(provider="ollama", model="qwen2.5:3b", base_url=f"{replay.url}/v1", api_key_env=None)
    assert model.provider == "openai-compatible"
    response = await model.complete("sys", [Message(role="user", content="payments?")], sre_tools, max_tokens=400)

    [call] = response.tool_calls
    assert call.error is None
    assert call.id == "call_h2k4d1zq"
    assert call.name == "k8s_logs"
    assert call.arguments == {"namespace": "payments", "pod": "payments-7d9f8-abcde", "tail": 200, "previous": True}
    assert response.stop_reason == STOP_TOOL_CALLS  # despite finish_reason "stop"
    notes = " | ".join(response.repaired)
    for expected in ("read as 'k8s_logs'", "decoded from a JSON string", "code fence", "'tail'", "'previous'"):
        assert expected in notes, expected
    assert "'container' dropped" in notes
    # No usage block: the layer estimated it rather than counting zero.
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    # Local servers only know max_tokens.
    assert replay.requests[0].body["max_tokens"] == 400
    tracker = BudgetTracker(Budget())
    assert tracker.record(response) == 0.0 and tracker.unpriced_models == set()

    # Second turn: one call the repair cannot fix (tail is not a number) and one unknown tool.
    second = await model.complete("sys", [Message(role="user", content="again")], sre_tools, max_tokens=400)
    bad_tail, unknown = second.tool_calls
    assert bad_tail.error is not None and "'tail' must be integer" in bad_tail.error and "lots" in bad_tail.error
    assert unknown.error is not None and "unknown tool 'kubectl_exec'" in unknown.error
    assert "k8s_logs" in unknown.error  # the model is told what it may call instead


async def test_tool_call_written_as_text_is_read(replay: ReplayServer, make_model: Any, sre_tools: list) -> None:
    replay.load("openai/ollama_call_in_text.json")
    model = make_model(provider="openai-compatible", model="llama3.2:3b", api_key_env=None)
    response = await model.complete("sys", [Message(role="user", content="5xx?")], sre_tools, max_tokens=200)
    [call] = response.tool_calls
    assert call.name == "prom_query"
    assert call.arguments == {"query": 'sum(rate(http_requests_total{code=~"5.."}[5m]))'}
    assert response.text == ""
    assert any("JSON text" in note for note in response.repaired)


async def test_missing_key_is_a_config_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.llm import ModelConfigError

    monkeypatch.delenv("VIGIL_ABSENT_KEY", raising=False)
    with pytest.raises(ModelConfigError, match="VIGIL_ABSENT_KEY"):
        build_model(LLMSettings(provider="openai", api_key_env="VIGIL_ABSENT_KEY"))


async def test_connection_refused_is_retryable_then_fails(dummy_key: str, closing: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = LLMSettings(
        provider="openai-compatible",
        model="m",
        base_url=f"http://127.0.0.1:{port}/v1",
        max_retries=1,
        backoff_base_s=0.01,
    )
    model = closing(build_model(settings))
    with pytest.raises(ModelError, match="could not reach") as caught:
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=8)
    assert caught.value.retryable
