"""OpenAI Chat Completions provider, also for any OpenAI-compatible server (Ollama, vLLM, LM Studio).

The same code serves both: only the base URL, the provider label (local servers cost nothing)
and the name of the output-limit parameter differ. Local servers are where sloppy tool calls come
from, so every call goes through the repair step, and a reply that is nothing but a JSON tool call
written as text is read as that tool call.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import anyio
import openai

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
from agent.llm.context_window import ContextWindow, count_tokens, discover
from agent.llm.repair import RawToolCall, apply_repairs, calls_in_text
from agent.llm.retry import Attempt, RetryPolicy, call_with_retries
from agent.llm.sdk_errors import classify
from mcp_servers.common.compact import estimate_tokens

_STOP = {
    "stop": STOP_END,
    "tool_calls": STOP_TOOL_CALLS,
    "function_call": STOP_TOOL_CALLS,
    "length": STOP_MAX_TOKENS,
    "content_filter": STOP_REFUSED,
}


def to_wire_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    """Vigil messages as Chat Completions `messages`, the system prompt first."""
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    for message in messages:
        if message.role == "tool":
            out.append({"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content})
        elif message.role == "user":
            out.append({"role": "user", "content": message.content})
        else:
            turn: dict[str, Any] = {"role": "assistant", "content": message.content or None}
            if message.tool_calls:
                turn["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                    for call in message.tool_calls
                ]
            elif not message.content:
                turn["content"] = ""
            out.append(turn)
    return out


def to_wire_tools(tools: list[ToolDef]) -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.input_schema}}
        for t in tools
    ]


def _standard_arguments(raw: object) -> object:
    """Decode arguments sent the documented way (one JSON-encoded object); leave the rest to repair."""
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            return raw
        if isinstance(value, dict):
            return value
    return raw


class OpenAIModel:
    """A chat model behind the Chat Completions API. The SDK's own retries are off."""

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        base_url: str | None = None,
        provider: Literal["openai", "openai-compatible"] | None = None,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        temperature: float | None = None,
        token_param: Literal["max_tokens", "max_completion_tokens"] | None = None,
        context_window: int | None = None,
    ) -> None:
        self.name = name
        self.provider: str = provider or ("openai" if base_url is None else "openai-compatible")
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.temperature = temperature
        # OpenAI's own newer models reject max_tokens; many local servers only know max_tokens.
        self.token_param = token_param or ("max_completion_tokens" if self.provider == "openai" else "max_tokens")
        self.base_url = base_url
        self.configured_context_window = context_window
        self._window: ContextWindow | None = None
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)

    def __repr__(self) -> str:
        return f"OpenAIModel(name={self.name!r}, provider={self.provider!r})"

    async def aclose(self) -> None:
        await self._client.close()

    async def context_window(self) -> ContextWindow:
        """The configured window, else what a local server reports (asked once); OpenAI's own: unknown.

        A local server is asked even when the window is configured: llama.cpp's answer also says
        where its tokenizer is, which measures the first turn exactly.
        """
        if self._window is None:
            found = ContextWindow(None, "unknown")
            if self.base_url and self.provider == "openai-compatible":
                found = await discover(self.base_url, self.name, timeout_s=min(self.timeout_s, 5.0))
            if self.configured_context_window:
                found = ContextWindow(self.configured_context_window, "config", found.tokenize_url)
            self._window = found
        return self._window

    async def count_tokens(self, text: str) -> int | None:
        """`text` in the model's own tokens where the server has a tokenizer endpoint (llama.cpp), else None."""
        window = await self.context_window()
        return await count_tokens(window.tokenize_url, text) if window.tokenize_url else None

    def _classify(self, exc: BaseException) -> Attempt | None:
        return classify(exc, self.provider, openai.APIStatusError, openai.APITimeoutError, openai.APIConnectionError)

    async def complete(
        self, system: str, messages: list[Message], tools: list[ToolDef], max_tokens: int
    ) -> ModelResponse:
        wire_messages = to_wire_messages(system, messages)
        request: dict[str, Any] = {"model": self.name, "messages": wire_messages, self.token_param: max_tokens}
        if tools:
            request["tools"] = to_wire_tools(tools)
        if self.temperature is not None:
            request["temperature"] = self.temperature

        async def attempt() -> Any:
            with anyio.fail_after(self.timeout_s):
                return await self._client.chat.completions.create(**request)

        raw = await call_with_retries(attempt, self._classify, self.retry, f"{self.provider} {self.name}")
        return self._parse(raw, tools, wire_messages)

    def _parse(self, raw: Any, tools: list[ToolDef], wire_messages: list[dict[str, Any]]) -> ModelResponse:
        if not getattr(raw, "choices", None):
            raise ModelError(f"{self.provider} answered without choices")
        choice = raw.choices[0]
        message = choice.message
        text = message.content or ""
        calls = [
            RawToolCall(tc.id or "", tc.function.name, _standard_arguments(tc.function.arguments))
            for tc in (message.tool_calls or [])
            if getattr(tc, "function", None) is not None
        ]
        notes: list[str] = []
        if not calls and text:
            calls = calls_in_text(text, tools)
            if calls:
                notes.append(f"read {len(calls)} tool call(s) that the model wrote as JSON text")
                text = ""
        fixed, repair_notes = apply_repairs(list(calls), tools)
        notes += repair_notes
        stop = _STOP.get(choice.finish_reason or "", choice.finish_reason or STOP_END)
        if getattr(message, "refusal", None):
            stop, text = STOP_REFUSED, text or message.refusal
        if fixed:
            stop = STOP_TOOL_CALLS
        usage = getattr(raw, "usage", None)
        if usage is not None and usage.prompt_tokens is not None:
            details = getattr(usage, "prompt_tokens_details", None)
            counted = Usage(
                input_tokens=usage.prompt_tokens or 0,
                output_tokens=usage.completion_tokens or 0,
                cache_read_tokens=(getattr(details, "cached_tokens", None) or 0) if details is not None else 0,
            )
        else:
            # Some compatible servers omit usage; an estimate keeps the token budget meaningful.
            out_text = text + "".join(json.dumps(c.arguments) for c in fixed)
            counted = Usage(
                input_tokens=estimate_tokens(json.dumps(wire_messages)), output_tokens=estimate_tokens(out_text)
            )
        return ModelResponse(
            text=text,
            tool_calls=fixed,
            usage=counted,
            stop_reason=stop,
            model=getattr(raw, "model", None) or self.name,
            provider=self.provider,
            repaired=notes,
        )
