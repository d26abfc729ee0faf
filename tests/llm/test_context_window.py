"""The model's context window: configured, or asked from the local server once and cached.

The servers' answers (recordings/openai/context_windows.json) are written in vLLM's, llama.cpp's
and Ollama's documented formats and replayed over local HTTP; the real openai SDK client and httpx
make the requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agent.llm import LLMSettings, Message, build_model
from agent.llm.context_window import forget
from tests.llm.conftest import RECORDINGS, ReplayServer

pytestmark = pytest.mark.anyio
ANSWERS = json.loads((RECORDINGS / "openai" / "context_windows.json").read_text())


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    forget()
    yield
    forget()


def local_model(replay: ReplayServer, name: str, **settings: Any) -> Any:
    return build_model(LLMSettings(provider="openai-compatible", model=name, base_url=replay.url + "/v1",
                                   **settings))


async def test_vllm_reports_max_model_len(replay: ReplayServer, closing: Any) -> None:
    replay.exchanges += ANSWERS["vllm"]
    model = closing(local_model(replay, "Qwen/Qwen2.5-Coder-1.5B-Instruct"))
    window = await model.context_window()
    assert (window.tokens, window.source) == (8192, "vllm /v1/models max_model_len")
    assert [(r.method, r.path) for r in replay.requests] == [("GET", "/v1/models")]


async def test_llamacpp_reports_n_ctx_and_counts_with_its_own_tokenizer(replay: ReplayServer, closing: Any) -> None:
    replay.exchanges += ANSWERS["llamacpp"]
    model = closing(local_model(replay, "qwen2.5-coder-0.5b-instruct-q8_0.gguf"))
    window = await model.context_window()
    assert window.tokens == 4096 and "n_ctx" in window.source, "n_ctx, not the trained n_ctx_train"
    assert await model.count_tokens("Hello, world! This is a test.") == 9
    assert replay.requests[-1].path == "/tokenize" and replay.requests[-1].body == {
        "content": "Hello, world! This is a test."}


async def test_ollama_num_ctx_wins_over_the_trained_length(replay: ReplayServer, closing: Any) -> None:
    replay.exchanges += ANSWERS["ollama"]
    model = closing(local_model(replay, "qwen2.5-coder:0.5b"))
    window = await model.context_window()
    assert (window.tokens, window.source) == (8192, "ollama /api/show num_ctx")
    assert replay.requests[-1].path == "/api/show" and replay.requests[-1].body == {"model": "qwen2.5-coder:0.5b"}
    assert await model.count_tokens("x") is None, "Ollama has no tokenizer endpoint"


async def test_ollama_without_num_ctx_gives_the_model_length(replay: ReplayServer, closing: Any) -> None:
    replay.exchanges += ANSWERS["ollama_default"]
    window = await closing(local_model(replay, "llama3.2:3b")).context_window()
    assert (window.tokens, window.source) == (131072, "ollama /api/show context_length")


async def test_asked_once_per_server_and_model(replay: ReplayServer, closing: Any) -> None:
    replay.exchanges += ANSWERS["vllm"]
    first = closing(local_model(replay, "Qwen/Qwen2.5-Coder-1.5B-Instruct"))
    second = closing(local_model(replay, "Qwen/Qwen2.5-Coder-1.5B-Instruct"))
    assert (await first.context_window()).tokens == (await second.context_window()).tokens == 8192
    assert len(replay.requests) == 1


async def test_a_server_that_reports_nothing_gives_unknown_not_a_guess(replay: ReplayServer, closing: Any) -> None:
    replay.exchanges += ANSWERS["silent"]
    window = await closing(local_model(replay, "mystery")).context_window()
    assert (window.tokens, window.source) == (None, "unknown")


async def test_configured_window_wins_and_every_setting_reaches_the_request(replay: ReplayServer,
                                                                          closing: Any) -> None:
    replay.exchanges += ANSWERS["vllm"]
    replay.load("openai/text_answer.json")
    model = closing(local_model(replay, "Qwen/Qwen2.5-Coder-1.5B-Instruct", context_window=4096, temperature=0.1))
    assert (await model.context_window()).tokens == 4096
    await model.complete("sys", [Message(role="user", content="hi")], [], max_tokens=321)
    sent = replay.requests[-1].body
    assert sent["max_tokens"] == 321 and sent["temperature"] == 0.1


async def test_max_output_tokens_from_the_config_reaches_the_model(tmp_path: Any) -> None:
    """`llm.max_output_tokens` used to be dropped on the way: every request said 2000."""
    from agent.config import Config
    from agent.incident import from_text
    from agent.llm.scripted import ScriptedModel
    from agent.runtime import investigate_incident
    from guardrails.action import Actor

    config = Config(state_dir=tmp_path, llm=LLMSettings(max_output_tokens=777))
    model = ScriptedModel.of('```json\n{"summary": "nothing to see", "hypotheses": []}\n```')
    await investigate_incident(from_text("is anything wrong?"), config, actor=Actor(name="t", origin="cli"),
                               model=model)
    assert model.turns[0].max_tokens == 777


async def test_http_client_info_lines_stay_out_of_an_investigation(tmp_path: Any,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """httpx logged `HTTP Request: POST ...` at INFO into `vigil demo`'s output."""
    import logging

    import httpx

    from agent.config import Config
    from agent.incident import from_text
    from agent.runtime import investigate_incident
    from guardrails.action import Actor

    caplog.set_level(logging.INFO)
    await investigate_incident(from_text("is anything wrong?"), Config(state_dir=tmp_path),
                               actor=Actor(name="t", origin="cli"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(204))) as client:
        await client.get("http://vigil.invalid/")
    assert not [r for r in caplog.records if r.name.startswith("httpx")]
