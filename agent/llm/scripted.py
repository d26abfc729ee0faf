"""A deterministic model for tests and benchmarks: it plays a script instead of thinking.

Each step of the script is either a fixed answer or a function of what the model is shown, so a
test can drive the whole agent loop (tool calls, budget exhaustion, reactions to tool errors)
without a network or a key, and then inspect exactly what the model was shown on every turn.
Steps go through the same repair step as real providers, so a script can also imitate a sloppy
small model by giving raw calls whose arguments are JSON strings.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agent.llm.base import (
    STOP_END,
    STOP_TOOL_CALLS,
    Message,
    ModelError,
    ModelResponse,
    ToolCall,
    ToolDef,
    Usage,
    prompt_size,
)
from agent.llm.context_window import ContextWindow
from agent.llm.repair import RawToolCall, apply_repairs
from mcp_servers.common.compact import estimate_tokens

_ids = itertools.count(1)


@dataclass
class ScriptedTurn:
    """What the scripted model was shown on one call, kept for assertions."""

    index: int
    system: str
    messages: list[Message]
    tools: list[ToolDef]
    max_tokens: int

    @property
    def tool_results(self) -> list[Message]:
        """The tool messages at the end of the conversation: the answers to the previous turn."""
        results: list[Message] = []
        for message in reversed(self.messages):
            if message.role != "tool":
                break
            results.insert(0, message)
        return results

    @property
    def tool_names(self) -> list[str]:
        return [t.name for t in self.tools]


StepResult = ModelResponse | str | list[ToolCall | RawToolCall]
"""A full response, a text answer, or a list of tool calls."""
Step = StepResult | Callable[[ScriptedTurn], StepResult | Awaitable[StepResult]]


def tool_call(name: str, call_id: str | None = None, **arguments: object) -> ToolCall:
    """A well-formed tool call with a fresh id, for writing scripts."""
    return ToolCall(id=call_id or f"scripted_{next(_ids)}", name=name, arguments=dict(arguments))


def sloppy_call(name: str, arguments: object, call_id: str = "") -> RawToolCall:
    """A tool call as a careless small model sends it (for example arguments as a JSON string)."""
    return RawToolCall(call_id, name, arguments)


@dataclass
class ScriptedModel:
    """Plays `steps` in order, one per call; raises ModelError when the script runs out."""

    steps: list[Step] = field(default_factory=list)
    name: str = "scripted"
    repeat_last: bool = False
    """Keep playing the last step once the others are used (handy for a fixed strategy function)."""
    provider: str = "scripted"
    turns: list[ScriptedTurn] = field(default_factory=list)
    """Everything the model was shown, one entry per call."""
    window: int | None = None
    """The context window it claims, to drive the first-turn fitting in tests; None: unknown."""
    tokenizer: Callable[[str], int] | None = None
    """Its own token count, standing in for a server's tokenizer endpoint (llama.cpp `/tokenize`)."""

    async def context_window(self) -> ContextWindow:
        return ContextWindow(self.window, "scripted" if self.window else "unknown",
                             "scripted" if self.tokenizer else None)

    async def count_tokens(self, text: str) -> int | None:
        return self.tokenizer(text) if self.tokenizer else None

    @classmethod
    def from_function(
        cls, function: Callable[[ScriptedTurn], StepResult | Awaitable[StepResult]], name: str = "function"
    ) -> ScriptedModel:
        """A model whose every answer comes from `function` (a fixed strategy)."""
        return cls(steps=[function], name=name, repeat_last=True)

    @classmethod
    def of(cls, *steps: Step, name: str = "scripted") -> ScriptedModel:
        return cls(steps=list(steps), name=name)

    async def complete(
        self, system: str, messages: list[Message], tools: list[ToolDef], max_tokens: int
    ) -> ModelResponse:
        index = len(self.turns)
        turn = ScriptedTurn(index, system, [m.model_copy(deep=True) for m in messages], list(tools), max_tokens)
        self.turns.append(turn)
        if index < len(self.steps):
            step = self.steps[index]
        elif self.repeat_last and self.steps:
            step = self.steps[-1]
        else:
            raise ModelError(f"scripted model has no step for call {index + 1} (script has {len(self.steps)})")
        result = step(turn) if callable(step) else step
        if inspect.isawaitable(result):
            result = await result
        return self._respond(result, turn)

    def _respond(self, result: StepResult, turn: ScriptedTurn) -> ModelResponse:
        if isinstance(result, str):
            response = ModelResponse(text=result)
        elif isinstance(result, list):
            response = ModelResponse(tool_calls=[])
            raw_calls: list[ToolCall | RawToolCall] = list(result)
            fixed, notes = apply_repairs(raw_calls, turn.tools)
            response.tool_calls, response.repaired = fixed, notes
        elif isinstance(result, ModelResponse):
            response = result.model_copy(deep=True)
        else:
            raise ModelError(f"scripted step {turn.index + 1} returned {type(result).__name__}, not a response")
        if response.usage.total == 0:
            response.usage = Usage(
                input_tokens=prompt_size(turn.system, turn.tools)
                + sum(estimate_tokens(m.content) for m in turn.messages),
                output_tokens=max(
                    1, estimate_tokens(response.text + "".join(json.dumps(c.arguments) for c in response.tool_calls))
                ),
            )
        if response.tool_calls:
            response.stop_reason = STOP_TOOL_CALLS
        elif response.stop_reason == STOP_TOOL_CALLS:
            response.stop_reason = STOP_END
        response.model = response.model or self.name
        response.provider = self.provider
        return response
