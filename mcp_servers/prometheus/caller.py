"""Which policy limits apply to the caller of a tool, seen from inside the tool.

The guard middleware (mcp_servers.common.server) already refuses calls whose arguments break a
cost ceiling. Some ceilings can only be judged from the answer, though: how many series a PromQL
expression returned is not visible in its arguments. The tool then needs the caller's limits, so it
must identify the caller exactly as the middleware did: the HTTP bearer token's actor first, then
the `_meta` identity when the guard trusts it, else the guard's default actor.
"""

from __future__ import annotations

from typing import Any

from guardrails.action import Actor
from guardrails.policy import Limits
from mcp_servers.common.server import META_ACTOR, META_TEAM, SCOPE_ACTOR_KEY, ServerGuard


def caller_actor(ctx: Any, guard: ServerGuard) -> Actor:
    """The actor of the current request; `ctx` is the tool's mcp `Context` (or None outside MCP)."""
    request_context = _request_context(ctx)
    if request_context is None:
        return guard.default_actor
    request = getattr(request_context, "request", None)
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict) and isinstance(scope.get(SCOPE_ACTOR_KEY), Actor):
        return scope[SCOPE_ACTOR_KEY]
    params = getattr(request_context, "params", None) or {}
    meta = params.get("_meta") if isinstance(params, dict) else None
    if guard.trust_meta_actor and isinstance(meta, dict) and isinstance(meta.get(META_ACTOR), str):
        team = meta.get(META_TEAM)
        return Actor(name=meta[META_ACTOR], origin="mcp", team=team if isinstance(team, str) else None)
    return guard.default_actor


def caller_limits(ctx: Any, guard: ServerGuard) -> Limits:
    return guard.pipeline.policy.limits_for(caller_actor(ctx, guard))


def _request_context(ctx: Any) -> Any:
    if ctx is None:
        return None
    try:
        return ctx.request_context
    except (AttributeError, ValueError, RuntimeError):
        return None
