"""The models `vigil eval --model NAME` compares, and the wrapper that records what each was sent.

Names: `runbook-only` (no model: the runbooks' conclusion rules alone), `configured` (the `llm:`
section of vigil.yaml as it is), the configured model's own name or `provider:model`, or any
`PROVIDER:MODEL` (anthropic, openai, openai-compatible, ollama, vllm, lmstudio) built from the
configured settings with that provider and model swapped in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import get_args

from agent.config import Config
from agent.llm.base import Message, Model, ModelResponse, ToolDef, close_model
from agent.llm.context_window import ContextWindow
from agent.llm.settings import LLMSettings, ProviderName, build_model

RUNBOOK_ONLY = "runbook-only"


class ModelChoiceError(ValueError):
    """A --model name that names no model; the message lists what does."""


def model_settings(name: str, config: Config) -> LLMSettings | None:
    """The LLM settings `name` stands for (None: runbook-only)."""
    llm = config.llm
    if name in (RUNBOOK_ONLY, "none"):
        return None
    configured = {"configured"}
    if llm.provider != "none":
        configured |= {llm.model, f"{llm.provider}:{llm.model}"}
    if name in configured:
        if llm.provider == "none":
            raise ModelChoiceError("--model configured: vigil.yaml's llm.provider is none; configure a model "
                                   "(docs/providers.md) or name one as PROVIDER:MODEL")
        return llm
    provider, sep, model = name.partition(":")
    providers = [p for p in get_args(ProviderName) if p != "none"]
    if not sep or provider not in providers or not model:
        raise ModelChoiceError(f"--model {name!r}: use runbook-only, configured, or PROVIDER:MODEL with PROVIDER "
                               f"one of {', '.join(providers)}")
    same_provider = provider == llm.provider
    return llm.model_copy(update={
        "provider": provider, "model": model,
        "base_url": llm.base_url if same_provider else None,
        "api_key_env": llm.api_key_env if same_provider else None,
    })


@dataclass
class RecordingModel:
    """Passes every call to `inner` and keeps a copy of each request, for the leak check."""

    inner: Model
    requests: list[str] = field(default_factory=list)
    provider: str = field(init=False)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.provider, self.name = self.inner.provider, self.inner.name

    async def complete(self, system: str, messages: list[Message], tools: list[ToolDef],
                       max_tokens: int) -> ModelResponse:
        self.requests.append(json.dumps({
            "system": system, "messages": [m.model_dump(mode="json") for m in messages],
            "tools": [t.model_dump(mode="json") for t in tools]}, ensure_ascii=False))
        return await self.inner.complete(system, messages, tools, max_tokens)

    async def context_window(self) -> ContextWindow:
        """The inner model's window: a recorded model is fitted exactly as the model itself would be."""
        finder = getattr(self.inner, "context_window", None)
        return await finder() if finder is not None else ContextWindow(None, "unknown")

    async def count_tokens(self, text: str) -> int | None:
        """The inner model's own tokenizer count, where it has one."""
        counter = getattr(self.inner, "count_tokens", None)
        return await counter(text) if counter is not None else None

    async def aclose(self) -> None:
        await close_model(self.inner)


def build_recorded(name: str, config: Config) -> RecordingModel | None:
    """The model `name` stands for, wrapped to record its requests (None: runbook-only)."""
    settings = model_settings(name, config)
    if settings is None:
        return None
    model = build_model(settings)
    return RecordingModel(model) if model is not None else None
