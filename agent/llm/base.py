"""The one model interface the agent loop talks to.

Every provider (Anthropic, OpenAI and OpenAI-compatible servers, the scripted test model) turns
Vigil's small message vocabulary into its own wire format and back, so the loop never sees an SDK
type. The vocabulary is deliberately tiny: three roles, tool calls with decoded arguments, and a
usage count. Anything a provider cannot express in it stays inside the provider.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from mcp_servers.common.compact import estimate_tokens

Role = Literal["user", "assistant", "tool"]

# Normalised stop reasons, so the loop does not need to know each provider's spelling.
STOP_END = "end"
"""The model finished its answer."""
STOP_TOOL_CALLS = "tool_calls"
"""The model wants tool results before it goes on."""
STOP_MAX_TOKENS = "max_tokens"
"""The answer was cut off by the output token limit."""
STOP_REFUSED = "refused"
"""The provider refused or filtered the answer."""


class ToolCall(BaseModel):
    """One request from the model to run a tool."""

    id: str
    """The provider's id for this call; a tool result answers it by this id."""
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    """Set when the call could not be repaired into a valid call. The loop must not run the tool;
    it sends this text back as the tool result so the model can correct itself."""


class ToolDef(BaseModel):
    """A tool offered to the model: what the MCP server's tools/list says about it."""

    name: str
    description: str = ""
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class Message(BaseModel):
    """One turn of the conversation, in Vigil's provider-neutral form."""

    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """Only on assistant messages: the calls the model asked for in that turn."""
    tool_call_id: str | None = None
    """Only on tool messages: which call this result answers."""
    name: str | None = None
    """Only on tool messages: the tool's name (some providers want it)."""
    provider_data: dict[str, Any] | None = None
    """Only on assistant messages: opaque state the provider needs back on the next turn (for
    Anthropic, thinking blocks that must accompany tool use). Copy it from ModelResponse as is."""


class Usage(BaseModel):
    """Tokens spent by one model call, as the provider counted them."""

    input_tokens: int = 0
    """All input tokens, cached ones included (what the token budget counts)."""
    output_tokens: int = 0
    cache_read_tokens: int = 0
    """Part of input_tokens served from the provider's prompt cache (billed at a lower rate)."""
    cache_write_tokens: int = 0
    """Part of input_tokens written to the prompt cache (Anthropic bills these at a higher rate)."""

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class ModelResponse(BaseModel):
    """What one model call produced."""

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    stop_reason: str = STOP_END
    """One of the STOP_* values; an unknown provider reason is passed through as given."""
    model: str = ""
    provider: str = ""
    repaired: list[str] = Field(default_factory=list)
    """Human-readable notes on what the tool-call repair step fixed in this response."""
    provider_data: dict[str, Any] | None = None
    """Opaque state to copy into the assistant Message that records this response."""

    def as_message(self) -> Message:
        """The assistant message that records this response in the conversation."""
        return Message(
            role="assistant", content=self.text, tool_calls=list(self.tool_calls), provider_data=self.provider_data
        )


@runtime_checkable
class Model(Protocol):
    """A chat model that can call tools. Implementations raise ModelError on failure."""

    provider: str
    name: str

    async def complete(
        self, system: str, messages: list[Message], tools: list[ToolDef], max_tokens: int
    ) -> ModelResponse: ...


async def close_model(model: Model | None) -> None:
    """Release a model's HTTP connections (providers with a client have `aclose`); safe on None."""
    closer = getattr(model, "aclose", None)
    if closer is not None:
        await closer()


class ModelError(Exception):
    """A model call failed after every retry. The message is safe to show (no keys, no bodies)."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class ModelTimeout(ModelError):
    """The provider did not answer within the per-call timeout."""


class ModelRateLimited(ModelError):
    """The provider kept answering 429 (or asked us to wait longer than we are willing to)."""


def tool_spec_text(tool: ToolDef) -> str:
    """The JSON a provider sends for one tool, used to size the fixed prompt."""
    return json.dumps(
        {"name": tool.name, "description": tool.description, "input_schema": tool.input_schema},
        separators=(",", ":"),
        sort_keys=True,
    )


def prompt_size(system: str, tools: list[ToolDef]) -> int:
    """Estimated tokens of the fixed prompt (system prompt plus tool specs) sent on every turn.

    Reported so a user can see what the agent spends before the question; peers spend about 16k.
    """
    return estimate_tokens(system) + sum(estimate_tokens(tool_spec_text(t)) for t in tools)
