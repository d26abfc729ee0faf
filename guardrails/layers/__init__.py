"""Guardrail layers as data: each one a small class, the pipeline an ordered list of them from the policy.

See guardrails/layers/base.py for the protocol and docs/guardrails.md for adding a layer of your own.
"""

from guardrails.layers.approval import ApprovalLayer, ApprovalResult
from guardrails.layers.base import ArgumentError, BaseLayer, Call, Layer, LayerResult, Normaliser, ToolResult
from guardrails.layers.records import AuditLayer, AuditResult, ScreeningLayer
from guardrails.layers.registry import DEFAULT_ORDER, LayerConfigError, build, check_order, resolve
from guardrails.layers.rollback import RollbackLayer, RollbackResult
from guardrails.layers.scoping import (
    BudgetLayer,
    BudgetResult,
    QueryCostLayer,
    QueryCostResult,
    RateLimitLayer,
    RateLimitResult,
    ScopeResult,
    ScopingLayer,
)
from guardrails.layers.validation import ValidationLayer, ValidationResult

__all__ = [
    "DEFAULT_ORDER", "ApprovalLayer", "ApprovalResult", "ArgumentError", "AuditLayer", "AuditResult", "BaseLayer",
    "BudgetLayer", "BudgetResult", "Call", "Layer", "LayerConfigError", "LayerResult", "Normaliser",
    "QueryCostLayer", "QueryCostResult", "RateLimitLayer", "RateLimitResult", "RollbackLayer", "RollbackResult",
    "ScopeResult", "ScopingLayer", "ScreeningLayer", "ToolResult", "ValidationLayer", "ValidationResult",
    "build", "check_order", "resolve",
]
