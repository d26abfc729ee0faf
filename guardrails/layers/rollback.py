"""Layer 5, checked before approval: a write must carry a rollback plan, stored before anyone is asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from guardrails.action import Decision, Risk
from guardrails.layers.base import BaseLayer, Call, LayerResult


@dataclass
class RollbackResult(LayerResult):
    stored: bool = False
    """The plan was saved to the rollback store (under the action's id)."""


class RollbackLayer(BaseLayer):
    """Reads need nothing undone; a write without a plan is refused before a human is bothered."""

    name: ClassVar[str] = "rollback"

    async def check(self, call: Call) -> RollbackResult:
        action, spec = call.action, call.spec
        writes = (spec is not None and not spec.read_only) or action.risk > Risk.READ
        if not writes:
            return RollbackResult(Decision(layer="rollback", allowed=True, reason="read-only: nothing to undo"))
        if action.rollback is None:
            return RollbackResult(Decision(layer="rollback", allowed=False, rule="rollback-required",
                                           reason="a write action must carry a rollback plan; none was given"))
        store = call.pipeline.rollbacks
        if store is not None:
            store.save(action.id, action.rollback)
        return RollbackResult(Decision(layer="rollback", allowed=True,
                                       reason=f"rollback plan stored: {action.rollback.description}"),
                              stored=store is not None)
