"""Vigil's LLM layer: one model interface, a file per provider, retries, budgets and repair.

The agent loop imports from here only. See docs/providers.md for configuration.
"""

from agent.llm.base import (
    STOP_END,
    STOP_MAX_TOKENS,
    STOP_REFUSED,
    STOP_TOOL_CALLS,
    Message,
    Model,
    ModelError,
    ModelRateLimited,
    ModelResponse,
    ModelTimeout,
    ToolCall,
    ToolDef,
    Usage,
    close_model,
    prompt_size,
)
from agent.llm.budget import Budget, BudgetStatus, BudgetTracker, Price, PriceTable
from agent.llm.repair import RawToolCall, RepairResult, repair_tool_call
from agent.llm.retry import RetryPolicy
from agent.llm.scripted import ScriptedModel, ScriptedTurn, sloppy_call, tool_call
from agent.llm.settings import LLMSettings, ModelConfigError, build_model, build_summarizer
from agent.llm.summarize import summarize

__all__ = [
    "STOP_END",
    "STOP_MAX_TOKENS",
    "STOP_REFUSED",
    "STOP_TOOL_CALLS",
    "Budget",
    "BudgetStatus",
    "BudgetTracker",
    "LLMSettings",
    "Message",
    "Model",
    "ModelConfigError",
    "ModelError",
    "ModelRateLimited",
    "ModelResponse",
    "ModelTimeout",
    "Price",
    "PriceTable",
    "RawToolCall",
    "RepairResult",
    "RetryPolicy",
    "ScriptedModel",
    "ScriptedTurn",
    "ToolCall",
    "ToolDef",
    "Usage",
    "build_model",
    "build_summarizer",
    "close_model",
    "prompt_size",
    "repair_tool_call",
    "sloppy_call",
    "summarize",
    "tool_call",
]
