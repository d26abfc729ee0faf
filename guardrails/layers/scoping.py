"""Layer 2, scoping, in four small layers: the policy's rules, query cost, the rate limit and the team budget.

They record as one `scoping` decision (the audit format is unchanged): the rules layer's allow
carries the rule that decided, the query-cost layer adds that the call is within its ceilings, and
the rate and budget layers say something only when they refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from guardrails.action import Action, Decision
from guardrails.layers.base import BaseLayer, Call, LayerResult
from guardrails.policy import Limits
from guardrails.timeparse import parse_duration
from guardrails.usage import RateLimiter, Spend

if TYPE_CHECKING:
    from guardrails.pipeline import Pipeline


@dataclass
class ScopeResult(LayerResult):
    rule: str | None = None
    """The allow or deny rule that decided."""


class ScopingLayer(BaseLayer):
    """Deny rules, then the first allow rule that covers the actor, the tool and every resource touched."""

    name: ClassVar[str] = "scoping"
    in_precheck: ClassVar[bool] = True

    async def check(self, call: Call) -> ScopeResult:
        try:
            scope = call.scope()
        except ValueError as exc:
            return ScopeResult(Decision(layer="scoping", allowed=False, rule="scope", reason=str(exc)), "scope")
        action = call.action
        decision = call.pipeline.policy.evaluate_rules(action.actor, action.tool, scope)
        return ScopeResult(decision, decision.rule)


@dataclass
class QueryCostResult(LayerResult):
    limits_id: str | None = None


class QueryCostLayer(BaseLayer):
    """PromQL and LogQL ceilings: the window asked for and what the query text itself reads."""

    name: ClassVar[str] = "query_cost"
    in_precheck: ClassVar[bool] = True

    async def check(self, call: Call) -> QueryCostResult:
        policy = call.pipeline.policy
        limits = policy.limits_for(call.action.actor)
        try:
            scope = call.scope()
        except ValueError as exc:  # the scoping layer refuses this first unless a policy reordered them
            return QueryCostResult(Decision(layer="scoping", allowed=False, rule="scope", reason=str(exc)), limits.id)
        return QueryCostResult(policy.check_costs(call.action.actor, call.spec, scope, call.cost_class), limits.id)


@dataclass
class RateLimitResult(LayerResult):
    wait_seconds: float = 0.0
    """How long until the actor may call again (0 when allowed)."""


class RateLimitLayer(BaseLayer):
    """Calls per actor in a sliding window. The window lives in this layer, so it lasts as long as the
    pipeline: one per process (agent/runtime.py), not one per investigation."""

    name: ClassVar[str] = "rate_limit"
    in_precheck: ClassVar[bool] = True

    def __init__(self) -> None:
        self.limiter = RateLimiter()

    async def check(self, call: Call) -> RateLimitResult:
        actor = call.action.actor
        limits = call.pipeline.policy.limits_for(actor)
        wait = self.limiter.try_acquire(actor.name, limits.rate.calls, _window_seconds(limits.rate.per))
        if not wait:
            return RateLimitResult()
        return RateLimitResult(Decision(layer="scoping", allowed=False, rule=f"limits.{limits.id}.rate",
                                        reason=f"{actor.name} is over {limits.rate.calls} calls per "
                                               f"{limits.rate.per}; try again in {wait:.0f}s"), wait)


@lru_cache(maxsize=64)
def _window_seconds(per: str | int | float) -> float:
    """`parse_duration` of a policy's rate window, read once per spelling rather than on every call (a pure
    function of the string; the policy's few windows are all it ever sees)."""
    return parse_duration(per)


@dataclass
class BudgetResult(LayerResult):
    spent: Spend | None = None
    """What the team had spent today when judged (None without a ledger or a budget)."""


class BudgetLayer(BaseLayer):
    """The team's daily token and money budget, from the usage ledger."""

    name: ClassVar[str] = "budget"
    in_precheck: ClassVar[bool] = True

    async def check(self, call: Call) -> BudgetResult:
        limits = call.pipeline.policy.limits_for(call.action.actor)
        return judge_budget(call.pipeline, call.action, limits)


def judge_budget(pipeline: Pipeline, action: Action, limits: Limits) -> BudgetResult:
    """The budget check, shared with `Pipeline.check_model_call` (a model turn is judged on it alone)."""
    if pipeline.ledger is None or (limits.budget.tokens_per_day is None and limits.budget.usd_per_day is None):
        return BudgetResult()
    team = action.actor.team or action.actor.name
    spent = pipeline.ledger.spent_today(team)
    rule = f"limits.{limits.id}.budget"
    tokens_cap, usd_cap = limits.budget.tokens_per_day, limits.budget.usd_per_day
    if tokens_cap is not None and spent.tokens + action.estimated_tokens > tokens_cap:
        return BudgetResult(Decision(
            layer="scoping", allowed=False, rule=rule,
            reason=f"team {team!r} has used {spent.tokens:,} of its {tokens_cap:,} tokens today; "
                   "the budget resets at 00:00 UTC or an admin can raise it in the policy"), spent)
    if usd_cap is not None and spent.usd + action.estimated_cost_usd > usd_cap:
        return BudgetResult(Decision(
            layer="scoping", allowed=False, rule=rule,
            reason=f"team {team!r} has spent ${spent.usd:.2f} of its ${usd_cap:.2f} today; "
                   "the budget resets at 00:00 UTC or an admin can raise it in the policy"), spent)
    return BudgetResult(spent=spent)
