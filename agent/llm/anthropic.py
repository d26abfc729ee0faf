"""Anthropic Messages API provider (the official anthropic SDK, tool use content blocks).

Wire mapping: Vigil's tool messages become `tool_result` blocks inside a user turn (all results
of one assistant turn in one user message, results before any text, as the API requires), and an
assistant turn's tool calls become `tool_use` blocks next to its text.
"""

from __future__ import annotations

import copy
from typing import Any

import anthropic
import anyio

from agent.llm.base import (
    STOP_END,
    STOP_MAX_TOKENS,
    STOP_REFUSED,
    STOP_TOOL_CALLS,
    Message,
    ModelError,
    ModelResponse,
    ToolDef,
    Usage,
)
from agent.llm.context_window import ContextWindow
from agent.llm.repair import RawToolCall, apply_repairs
from agent.llm.retry import Attempt, RetryPolicy, call_with_retries
from agent.llm.sdk_errors import classify

_STOP = {
    "end_turn": STOP_END,
    "stop_sequence": STOP_END,
    "tool_use": STOP_TOOL_CALLS,
    "max_tokens": STOP_MAX_TOKENS,
    "refusal": STOP_REFUSED,
}


def to_wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Vigil messages as Anthropic `messages`, merging consecutive turns of the same role."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks: list[dict[str, Any]] = []
        role = "assistant" if message.role == "assistant" else "user"
        if message.role == "tool":
            blocks.append(
                {
                    "type": "tool_result",
                    "tool_use_id": message.tool_call_id or "",
                    "content": message.content or "(no output)",
                }
            )
        elif message.role == "user":
            blocks.append({"type": "text", "text": message.content or "(empty)"})
        elif message.provider_data and isinstance(message.provider_data.get("anthropic_content"), list):
            # The turn carried thinking blocks: send it back exactly as the model wrote it.
            blocks.extend(copy.deepcopy(message.provider_data["anthropic_content"]))
        else:
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            for call in message.tool_calls:
                blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
            if not blocks:
                blocks.append({"type": "text", "text": "(no answer)"})
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    for turn in out:
        if turn["role"] == "user":
            # tool_result blocks must open the user turn that answers a tool_use turn.
            turn["content"].sort(key=lambda b: 0 if b["type"] == "tool_result" else 1)
    return out


def to_wire_tools(tools: list[ToolDef]) -> list[dict[str, Any]]:
    return [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]


class AnthropicModel:
    """Claude through the Messages API. The SDK's own retries are off; RetryPolicy decides."""

    provider = "anthropic"

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        temperature: float | None = None,
        prompt_cache: bool = True,
        context_window: int | None = None,
    ) -> None:
        self.name = name
        self.prompt_cache = prompt_cache
        self.configured_context_window = context_window
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.temperature = temperature
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)

    def __repr__(self) -> str:
        return f"AnthropicModel(name={self.name!r})"

    async def context_window(self) -> ContextWindow:
        """Only the configured window: the Messages API does not report one."""
        return ContextWindow(self.configured_context_window, "config" if self.configured_context_window else "unknown")

    async def aclose(self) -> None:
        await self._client.close()

    def _classify(self, exc: BaseException) -> Attempt | None:
        return classify(
            exc, "anthropic", anthropic.APIStatusError, anthropic.APITimeoutError, anthropic.APIConnectionError
        )

    async def complete(
        self, system: str, messages: list[Message], tools: list[ToolDef], max_tokens: int
    ) -> ModelResponse:
        request: dict[str, Any] = {
            "model": self.name,
            "max_tokens": max_tokens,
            "messages": to_wire_messages(messages),
        }
        if system:
            request["system"] = system
        if tools:
            request["tools"] = to_wire_tools(tools)
        if self.temperature is not None:
            request["temperature"] = self.temperature
        if self.prompt_cache:
            # The system prompt, tool specs and earlier turns repeat on every turn of an
            # investigation; caching them makes later turns read that prefix at a tenth of the price.
            request["cache_control"] = {"type": "ephemeral"}

        async def attempt() -> Any:
            with anyio.fail_after(self.timeout_s):
                return await self._client.messages.create(**request)

        raw = await call_with_retries(attempt, self._classify, self.retry, f"anthropic {self.name}")
        return self._parse(raw, tools)

    def _parse(self, raw: Any, tools: list[ToolDef]) -> ModelResponse:
        if raw.content is None:
            raise ModelError("anthropic answered without content")
        texts: list[str] = []
        calls: list[RawToolCall] = []
        thinking = False
        for block in raw.content:
            kind = getattr(block, "type", "")
            thinking = thinking or kind in ("thinking", "redacted_thinking")
            if kind == "text":
                texts.append(block.text)
            elif kind == "tool_use":
                calls.append(RawToolCall(block.id, block.name, block.input))
        fixed, notes = apply_repairs(list(calls), tools)
        usage = raw.usage
        cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
        cache_read = getattr(usage, "cache_read_input_tokens", None) or 0
        input_tokens = (usage.input_tokens or 0) + cache_write + cache_read
        stop = _STOP.get(raw.stop_reason or "", raw.stop_reason or STOP_END)
        if fixed:
            stop = STOP_TOOL_CALLS
        return ModelResponse(
            text="\n".join(t for t in texts if t),
            tool_calls=fixed,
            usage=Usage(
                input_tokens=input_tokens,
                output_tokens=usage.output_tokens or 0,
                cache_read_tokens=cache_read,
                cache_write_tokens=cache_write,
            ),
            stop_reason=stop,
            model=raw.model or self.name,
            provider=self.provider,
            repaired=notes,
            provider_data=(
                {"anthropic_content": [b.model_dump(mode="json", exclude_none=True) for b in raw.content]}
                if thinking
                else None
            ),
        )
