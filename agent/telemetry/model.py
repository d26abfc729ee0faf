"""A model wrapper that records each call as an OpenTelemetry GenAI span.

Providers stay free of telemetry: `InstrumentedModel` wraps any `Model` and describes each call
with the GenAI semantic-convention attributes (operation, provider, request and response model,
token usage, finish reasons). The prompt itself is untrusted and may hold secrets, so by default
only its SHA-256 is recorded; with `record_prompts: redacted` the last message goes in too, with
secrets replaced and the length capped. Nothing is computed when the span is not recording.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from opentelemetry.trace import SpanKind, Status, StatusCode

from agent.llm.base import Message, Model, ModelResponse, ToolDef
from agent.telemetry.setup import current, tracer
from guardrails.redaction import redact_text

PROMPT_TEXT_LIMIT = 2000
"""Characters of redacted prompt text a span may carry (attribute limits and cost, not secrecy)."""

PromptMode = Literal["hash", "redacted"]


def prompt_sha256(system: str, messages: list[Message]) -> str:
    """A stable digest of everything the model is shown, so two identical prompts can be matched."""
    payload = json.dumps(
        {"system": system, "messages": [m.model_dump(mode="json", exclude={"provider_data"}) for m in messages]},
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def redacted_prompt(messages: list[Message], limit: int = PROMPT_TEXT_LIMIT) -> str:
    """The newest message's text with secrets redacted, cut to `limit` characters."""
    if not messages:
        return ""
    text = redact_text(messages[-1].content).text
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


class InstrumentedModel:
    """Wraps `inner` so every `complete` call is a `chat <model>` client span."""

    def __init__(self, inner: Model, record_prompts: PromptMode = "hash") -> None:
        self.inner = inner
        self.record_prompts = record_prompts
        self.provider = inner.provider
        self.name = inner.name

    async def complete(self, system: str, messages: list[Message], tools: list[ToolDef],
                       max_tokens: int) -> ModelResponse:
        with tracer().start_as_current_span(f"chat {self.name}", kind=SpanKind.CLIENT,
                                            record_exception=False, set_status_on_exception=False) as span:
            recording = span.is_recording()
            if recording:
                span.set_attributes(self._request_attributes(system, messages, tools, max_tokens))
            try:
                response = await self.inner.complete(system, messages, tools, max_tokens)
            except Exception as exc:
                if recording:
                    span.set_attribute("error.type", type(exc).__name__)
                    span.set_status(Status(StatusCode.ERROR, str(exc)[:300]))
                raise
            if recording:
                span.set_attributes(_response_attributes(response))
            return response

    def _request_attributes(self, system: str, messages: list[Message], tools: list[ToolDef],
                            max_tokens: int) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": self.provider,
            "gen_ai.provider.name": self.provider,
            "gen_ai.request.model": self.name,
            "gen_ai.request.max_tokens": max_tokens,
            "vigil.llm.messages": len(messages),
            "vigil.llm.tools_offered": len(tools),
            "vigil.prompt.sha256": prompt_sha256(system, messages),
        }
        if self.record_prompts == "redacted":
            attributes["vigil.prompt.redacted"] = redacted_prompt(messages)
        return attributes

    async def aclose(self) -> None:
        closer = getattr(self.inner, "aclose", None)
        if closer is not None:
            await closer()

    def __getattr__(self, name: str) -> Any:
        # Anything else (a scripted model's `turns`, a provider's settings) is the inner model's.
        return getattr(self.inner, name)


def _response_attributes(response: ModelResponse) -> dict[str, Any]:
    usage = response.usage
    return {
        "gen_ai.response.model": response.model,
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cache_read_tokens,
        "gen_ai.usage.cache_creation.input_tokens": usage.cache_write_tokens,
        "gen_ai.response.finish_reasons": [response.stop_reason],
        "vigil.llm.tool_calls": len(response.tool_calls),
    }


def instrument_model(model: Model) -> Model:
    """`model` wrapped for tracing with the current setup's prompt mode (idempotent)."""
    if isinstance(model, InstrumentedModel):
        return model
    telemetry = current()
    mode: PromptMode = telemetry.settings.record_prompts if telemetry else "hash"
    return InstrumentedModel(model, mode)
