"""The real anthropic SDK against a local server replaying Messages API responses.

The recordings under recordings/anthropic/ were written by hand following Anthropic's documented
Messages API response and error formats; no real API was called and no real key is used.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from agent.llm import (
    STOP_END,
    STOP_TOOL_CALLS,
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
    """Builds Claude models through the real settings path, pointed at the replay server."""

    def make(**overrides: object) -> Any:
        return closing(_model(replay, dummy_key, **overrides))

    return make


def _model(replay: ReplayServer, key_env: str, **overrides: object) -> Any:
    settings = LLMSettings.model_validate(
        {
            "provider": "anthropic",
            "model": "claude-sonnet-5-5",
            "base_url": replay.url,
            "api_key_env": key_env,
            "backoff_base_s": 0.01,
            "timeout_s": 10,
            **overrides,
        }
    )
    model = build_model(settings)
    assert model is not None
    return model


async def test_text_answer_and_usage(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/text_answer.json")
    model = make_model()
    response = await model.complete("You are Vigil.", [Message(role="user", content="why?")], [], max_tokens=300)

    assert response.text.startswith("The checkout pods were OOMKilled")
    assert response.tool_calls == []
    assert response.stop_reason == STOP_END
    # cache reads are input tokens too: 1200 + 300
    assert (response.usage.input_tokens, response.usage.output_tokens) == (1500, 42)
    assert (response.usage.cache_read_tokens, response.usage.cache_write_tokens) == (300, 0)
    assert response.model == "claude-sonnet-4-5-20250929"
    assert response.provider == "anthropic"

    [seen] = replay.requests
    assert seen.path == "/v1/messages"
    assert seen.body["system"] == "You are Vigil."
    assert seen.body["max_tokens"] == 300
    assert seen.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "why?"}]}]
    assert "tools" not in seen.body
    assert seen.body["cache_control"] == {"type": "ephemeral"}  # prompt caching on by default
    assert DUMMY_KEY in (seen.headers.get("x-api-key", "") + seen.headers.get("authorization", ""))


async def test_parallel_tool_use_and_tool_results_on_the_wire(
    replay: ReplayServer, make_model: Any, sre_tools: list
) -> None:
    replay.load("anthropic/parallel_tool_use.json")
    model = make_model()
    history = [Message(role="user", content="payments is crash looping")]
    first = await model.complete("sys", history, sre_tools, max_tokens=1024)

    assert first.stop_reason == STOP_TOOL_CALLS
    assert [c.name for c in first.tool_calls] == ["k8s_logs", "prom_query"]
    assert first.tool_calls[0].id == "toolu_01A09q90qw90lq917835lq9"
    assert first.tool_calls[0].arguments == {
        "namespace": "payments",
        "pod": "payments-7d9f8-abcde",
        "previous": True,
        "tail": 200,
    }
    assert all(c.error is None for c in first.tool_calls)
    assert first.repaired == []

    history.append(Message(role="assistant", content=first.text, tool_calls=first.tool_calls))
    for call, result in zip(first.tool_calls, ["KeyError: 'PAYMENT_GATEWAY_URL'", "7"], strict=True):
        history.append(Message(role="tool", content=result, tool_call_id=call.id, name=call.name))
    second = await model.complete("sys", history, sre_tools, max_tokens=1024)
    assert second.stop_reason == STOP_END
    assert "PAYMENT_GATEWAY_URL" in second.text

    wire = replay.requests[1].body
    assert [t["name"] for t in wire["tools"]] == ["k8s_logs", "k8s_events", "k8s_describe", "prom_query"]
    assert wire["tools"][0]["input_schema"]["required"] == ["namespace", "pod"]
    assert [m["role"] for m in wire["messages"]] == ["user", "assistant", "user"]
    assistant = wire["messages"][1]["content"]
    assert [b["type"] for b in assistant] == ["text", "tool_use", "tool_use"]
    assert assistant[1]["input"]["tail"] == 200
    results = wire["messages"][2]["content"]
    assert [(b["type"], b["tool_use_id"]) for b in results] == [
        ("tool_result", "toolu_01A09q90qw90lq917835lq9"),
        ("tool_result", "toolu_01B18r81rx81mr828946mr0"),
    ]
    assert results[0]["content"] == "KeyError: 'PAYMENT_GATEWAY_URL'"


async def test_429_waits_for_retry_after_then_succeeds(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/rate_limited_then_ok.json")
    model = make_model(model="claude-haiku-4-5", prompt_cache=False)
    started = time.monotonic()
    response = await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)
    elapsed = time.monotonic() - started

    assert response.text == "Recovered after the rate limit."
    assert len(replay.requests) == 2
    gap = replay.requests[1].at - replay.requests[0].at
    assert gap >= 0.95, f"retry came after {gap:.3f}s; Retry-After asked for 1s"
    assert elapsed < 5
    # Every HTTP request was a first attempt for the SDK: its own retries are off.
    assert [r.headers.get("x-stainless-retry-count") for r in replay.requests] == ["0", "0"]
    assert "cache_control" not in replay.requests[0].body


async def test_server_errors_are_retried_with_backoff(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/server_error_then_ok.json")
    model = make_model()
    started = time.monotonic()
    response = await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)

    assert response.text == "Answer after two server errors."
    assert len(replay.requests) == 3
    assert time.monotonic() - started < 2  # the backoff base is 10 ms in this test


async def test_retries_run_out(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/server_error_then_ok.json")
    model = make_model(max_retries=1)
    with pytest.raises(ModelError) as caught:
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)
    assert caught.value.status == 529
    assert "overloaded_error" in str(caught.value)
    assert len(replay.requests) == 2


async def test_timeout_is_a_model_timeout(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/slow.json")
    model = make_model(timeout_s=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(ModelTimeout):
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)
    assert time.monotonic() - started < 2.0
    assert len(replay.requests) == 1


async def test_timeout_then_retry_succeeds(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/slow.json")
    model = make_model(timeout_s=0.3, max_retries=1)
    response = await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)
    assert response.text == "in time"
    assert len(replay.requests) == 2


async def test_client_errors_are_not_retried_and_never_echo_the_key(replay: ReplayServer, make_model: Any) -> None:
    replay.load("anthropic/errors.json")
    model = make_model()
    with pytest.raises(ModelError) as auth:
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)
    assert auth.value.status == 401
    assert "API key" in str(auth.value)
    assert DUMMY_KEY not in str(auth.value)
    assert len(replay.requests) == 1

    with pytest.raises(ModelError) as bad:
        await model.complete("", [Message(role="user", content="hi")], [], max_tokens=50)
    assert bad.value.status == 400 and not bad.value.retryable
    assert "invalid_request_error" in str(bad.value)
    assert not isinstance(bad.value, ModelRateLimited)
    assert len(replay.requests) == 2


async def test_thinking_blocks_travel_back_with_the_tool_result(
    replay: ReplayServer, make_model: Any, sre_tools: list
) -> None:
    replay.load("anthropic/thinking_tool_use.json")
    model = make_model(model="claude-opus-5-5")
    history = [Message(role="user", content="payments restarts")]
    first = await model.complete("sys", history, sre_tools, max_tokens=2048)
    assert first.text == ""  # thinking is not part of the answer
    assert first.provider_data is not None
    [call] = first.tool_calls
    history += [first.as_message(), Message(role="tool", content="KeyError", tool_call_id=call.id)]
    final = await model.complete("sys", history, sre_tools, max_tokens=2048)
    assert final.text.startswith("The config change")

    sent = replay.requests[1].body["messages"][1]["content"]
    assert [b["type"] for b in sent] == ["thinking", "tool_use"]
    assert sent[0]["signature"] == "EqQBCkYIARgCIkB0c2lnbmF0dXJlLW9wYXF1ZS10by12aWdpbA=="
    assert sent[1]["id"] == "toolu_01C27s72sy72ns739a57ns1"
