"""LLM settings: building the configured model, and keeping the key out of everything printed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent.llm import LLMSettings, ModelConfigError, build_model, build_summarizer, close_model
from agent.llm.anthropic import AnthropicModel
from agent.llm.openai import OpenAIModel

pytestmark = pytest.mark.anyio

FAKE_KEY = "sk-ant-api03-THISISNOTAREALKEYbutlookslikeone0123456789"


async def test_provider_none_means_runbook_only_mode() -> None:
    assert build_model(LLMSettings()) is None
    assert build_model(LLMSettings(provider="none", model="ignored")) is None
    assert build_summarizer(LLMSettings(provider="none")) is None


async def test_anthropic_from_env_with_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    model = build_model(LLMSettings(provider="anthropic"))
    assert isinstance(model, AnthropicModel)
    assert model.name == "claude-sonnet-5-5" and model.provider == "anthropic"
    assert FAKE_KEY not in repr(model)
    await close_model(model)


async def test_local_presets_need_no_key_and_know_their_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = build_model(LLMSettings(provider="ollama", model="qwen2.5:7b"))
    assert isinstance(model, OpenAIModel)
    assert model.provider == "openai-compatible" and model.token_param == "max_tokens"
    assert str(model._client.base_url).startswith("http://localhost:11434/v1")
    await close_model(model)
    with pytest.raises(ModelConfigError, match=r"llm\.model"):
        build_model(LLMSettings(provider="vllm"))
    with pytest.raises(ModelConfigError, match="base_url"):
        build_model(LLMSettings(provider="openai-compatible", model="x"))


async def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ModelConfigError) as caught:
        build_model(LLMSettings(provider="anthropic"))
    assert "ANTHROPIC_API_KEY" in str(caught.value) and "provider: none" in str(caught.value)


def test_a_key_pasted_into_api_key_env_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        LLMSettings(provider="anthropic", api_key_env=FAKE_KEY)
    assert "NAME of an environment variable" in str(caught.value)
    assert FAKE_KEY not in str(caught.value)


async def test_summarizer_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    settings = LLMSettings.model_validate(
        {
            "provider": "anthropic",
            "model": "claude-opus-5-5",
            "summarizer": {"provider": "ollama", "model": "llama3.2:3b"},
        }
    )
    reasoner, summarizer = build_model(settings), build_summarizer(settings)
    assert reasoner is not None and reasoner.name == "claude-opus-5-5"
    assert summarizer is not None and summarizer.name == "llama3.2:3b" and summarizer.provider == "openai-compatible"
    assert build_summarizer(LLMSettings(provider="anthropic")) is None
    await close_model(reasoner)
    await close_model(summarizer)
