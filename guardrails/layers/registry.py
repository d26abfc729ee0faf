"""The policy's `layers:` list turned into layer objects: built-in names, or a class's import path.

A bare name (`scoping`) is a built-in layer; anything with a dot or a colon
(`acme.guardrails:BlastRadius`, `acme.guardrails.BlastRadius`) is imported and must follow the
`Layer` protocol. An unknown name, an import that fails, or a list without the layers Vigil
cannot run without is a configuration error that says what to write instead.
"""

from __future__ import annotations

import importlib

from guardrails.layers.approval import ApprovalLayer
from guardrails.layers.base import BaseLayer, Layer
from guardrails.layers.records import AuditLayer, ScreeningLayer
from guardrails.layers.rollback import RollbackLayer
from guardrails.layers.scoping import BudgetLayer, QueryCostLayer, RateLimitLayer, ScopingLayer
from guardrails.layers.validation import ValidationLayer

BUILTIN: dict[str, type[BaseLayer]] = {cls.name: cls for cls in (
    ValidationLayer, ScopingLayer, QueryCostLayer, RateLimitLayer, BudgetLayer, RollbackLayer, ApprovalLayer,
    ScreeningLayer, AuditLayer)}

DEFAULT_ORDER: tuple[str, ...] = ("validation", "scoping", "query_cost", "rate_limit", "budget", "rollback",
                                  "approval", "screening", "audit")
"""The order the pipeline has always run: nobody is asked to approve what a later layer would refuse
anyway, and the audit layer records what all the others decided."""

REQUIRED = ("validation", "scoping", "screening", "audit")
"""Layers a policy cannot leave out: an action judged without them is unchecked, unredacted or untraced."""


class LayerConfigError(ValueError):
    """The policy's `layers:` list cannot be built; the message says which entry and what to write."""


def resolve(entry: str) -> type[Layer]:
    """The layer class an entry of `layers:` names."""
    if entry in BUILTIN:
        return BUILTIN[entry]
    if "." not in entry and ":" not in entry:
        raise LayerConfigError(f"unknown guardrail layer {entry!r}: the built-in layers are "
                               f"{', '.join(BUILTIN)}; a layer of your own is named by its import path, "
                               "`package.module:Class`")
    module_name, _, attribute = entry.partition(":") if ":" in entry else entry.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise LayerConfigError(f"guardrail layer {entry!r} cannot be imported ({exc}); install its package "
                               "or fix the path (`package.module:Class`)") from exc
    missing = [a for a in ("name", "in_precheck", "always", "check", "after") if not hasattr(found, a)]
    if not isinstance(found, type) or missing:
        what = f"it lacks {', '.join(missing)}" if missing else "it is not a class"
        raise LayerConfigError(f"guardrail layer {entry!r} is not a layer class ({what}); "
                               "subclass guardrails.layers.BaseLayer")
    return found


def check_order(entries: list[str]) -> list[str]:
    """Every entry resolves, none twice, the required layers are present, and audit comes last."""
    for entry in entries:
        resolve(entry)
    twice = sorted({e for e in entries if entries.count(e) > 1})
    if twice:
        raise LayerConfigError(f"guardrail layer(s) {', '.join(twice)} listed twice; list each once")
    missing = [name for name in REQUIRED if name not in entries]
    if missing:
        raise LayerConfigError(f"the layers list leaves out {', '.join(missing)}; every policy runs "
                               f"{', '.join(REQUIRED)} (default order: {', '.join(DEFAULT_ORDER)})")
    if entries[-1] != "audit":
        raise LayerConfigError("`audit` must be the last layer: it records what every other layer decided")
    return entries


def build(entries: list[str] | tuple[str, ...]) -> list[Layer]:
    """Fresh layer objects in the given order (each pipeline owns its own: the rate window lives in one)."""
    return [resolve(entry)() for entry in entries]
