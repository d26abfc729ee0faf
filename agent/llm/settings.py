"""LLM configuration and the one place that turns it into a model object.

The key itself never appears in the config: `api_key_env` names the environment variable that
holds it, the value is read only when the client is built, and no error message repeats it.
With `provider: none` there is no model at all and the agent works in runbook-only mode.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from agent.llm.base import Model
from agent.llm.budget import Price
from agent.llm.retry import RetryPolicy
from agent.llm.route import RouteSettings

ProviderName = Literal["none", "anthropic", "openai", "openai-compatible", "ollama", "vllm", "lmstudio"]

LOCAL_DEFAULT_URLS = {
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "lmstudio": "http://localhost:1234/v1",
}
"""Where each local server listens by default; `base_url` overrides it."""

DEFAULT_MODELS = {"anthropic": "claude-sonnet-5-5", "openai": "gpt-6.1-sol"}
DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ModelConfigError(ValueError):
    """The LLM settings cannot produce a model; the message says which setting to fix."""


class LLMSettings(BaseModel):
    """The `llm:` section of Vigil's config."""

    provider: ProviderName = "none"
    """none = runbook-only mode (no model); ollama/vllm/lmstudio are OpenAI-compatible presets."""
    model: str = ""
    """Model name; empty picks a default for anthropic and openai and is an error for local servers."""
    base_url: str | None = None
    """API root, e.g. http://gpu-box:8000/v1 for vLLM; empty uses the provider's own endpoint."""
    api_key_env: str | None = None
    """NAME of the environment variable holding the key (default ANTHROPIC_API_KEY / OPENAI_API_KEY;
    local servers need none)."""
    timeout_s: float = Field(default=60.0, gt=0)
    """Per-call limit, each attempt."""
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_base_s: float = Field(default=0.5, gt=0)
    """First retry delay, doubled each time, with jitter; Retry-After wins when the server sends it."""
    max_output_tokens: int = Field(default=4096, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    context_window: int | None = Field(default=None, ge=1024)
    """Tokens the model sees at once (prompt plus answer). Unset: asked from a local server (vLLM,
    llama.cpp, Ollama; agent/llm/context_window.py), else unknown and the first turn is not cut.
    Set it to what the server really allocates (Ollama's num_ctx, llama.cpp's -c, vLLM's
    --max-model-len): the first turn is fitted to it."""
    prompt_cache: bool = True
    """Anthropic only: ask for prompt caching, so the prefix each turn repeats is billed at the
    cache-read rate. Turn it off for one-shot use where a cache write would never be read."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Extra or corrected prices (USD per million tokens) on top of the shipped price table."""
    route: RouteSettings | None = None
    """The cascade (agent/llm/route.py): rules first, this model when they are inconclusive, and
    `route.escalate_to` when its answer is invalid, uncited or unsure, or the incident is critical."""
    summarizer: LLMSettings | None = None
    """Optional second model (small or local) that condenses long tool output, so the reasoning
    model spends its tokens on reasoning."""

    @field_validator("api_key_env")
    @classmethod
    def _env_name_only(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _ENV_NAME.match(value):
            # Never echo the value: it may be a key pasted into the wrong setting.
            raise ValueError(
                "api_key_env takes the NAME of an environment variable (like ANTHROPIC_API_KEY), not the key itself"
            )
        return value

    @property
    def wire_provider(self) -> str:
        """The provider label responses carry: local presets all speak the OpenAI-compatible API."""
        if self.provider in LOCAL_DEFAULT_URLS:
            return "openai-compatible"
        return self.provider


def _api_key(settings: LLMSettings) -> str:
    env = settings.api_key_env or DEFAULT_KEY_ENV.get(settings.provider)
    if env is None:
        return "not-needed"  # local servers ignore the key, but the openai SDK wants a non-empty one
    value = os.environ.get(env, "").strip()
    if not value:
        raise ModelConfigError(
            f"{settings.provider}: the environment variable {env} is empty or not set; export the API key "
            "there, set llm.api_key_env to the variable that holds it, or use llm.provider: none "
            "for runbook-only mode"
        )
    return value


def build_model(settings: LLMSettings) -> Model | None:
    """The configured reasoning model, or None for runbook-only mode (provider: none)."""
    if settings.provider == "none":
        return None
    retry = RetryPolicy(max_retries=settings.max_retries, base_delay_s=settings.backoff_base_s)
    model = settings.model or DEFAULT_MODELS.get(settings.provider, "")
    if not model:
        raise ModelConfigError(f"{settings.provider}: set llm.model to the model the server serves")
    key = _api_key(settings)
    if settings.provider == "anthropic":
        from agent.llm.anthropic import AnthropicModel  # the SDKs load only when a provider is used

        return AnthropicModel(
            model,
            api_key=key,
            base_url=settings.base_url,
            timeout_s=settings.timeout_s,
            retry=retry,
            temperature=settings.temperature,
            prompt_cache=settings.prompt_cache,
            context_window=settings.context_window,
        )
    base_url = settings.base_url or LOCAL_DEFAULT_URLS.get(settings.provider)
    if settings.provider == "openai-compatible" and not base_url:
        raise ModelConfigError("openai-compatible: set llm.base_url to the server's API root, e.g. http://host:8000/v1")
    from agent.llm.openai import OpenAIModel

    return OpenAIModel(
        model,
        api_key=key,
        base_url=base_url,
        provider="openai" if settings.provider == "openai" else "openai-compatible",
        timeout_s=settings.timeout_s,
        retry=retry,
        temperature=settings.temperature,
        context_window=settings.context_window,
    )


def build_summarizer(settings: LLMSettings) -> Model | None:
    """The model for condensing tool output: the `summarizer` if configured, else None.

    None means: do not spend model calls on summaries; the agent fits long output by truncation.
    """
    if settings.summarizer is None:
        return None
    return build_model(settings.summarizer)


RouteSettings.model_rebuild()
