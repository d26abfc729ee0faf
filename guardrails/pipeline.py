"""The one pipeline every action passes: an ordered list of guardrail layers from the policy.

The agent's tool hub and every MCP server's middleware call `Pipeline.check` the same way. The
layers (guardrails/layers/) run in the policy's `layers:` order, by default one that never bothers
a human about an action another layer would refuse anyway: validation and scoping (rules, query
cost, rate, budget) first, then the rollback-plan requirement, then approval. The audit layer runs
last and always: it records the verdict, allow or deny, and if the record cannot be written the
action is refused: an action that leaves no trace does not run.

Tool results come back through `screen_result`: each layer's `after` sees them in the same order
(by default secrets are redacted, prompt injection is scored, and a result record, a hash of the
text, never the text, joins the audit chain).

One pipeline per process: its layers hold state (the rate window), so every investigation and every
in-process server of a process share one (`with_approver` gives the same pipeline another approver).
A call the agent's pipeline judged carries a one-time pass to an in-process server on the same
pipeline, so it is judged, recorded and fenced once (`issue_pass`, `redeem_pass`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from guardrails.action import Action, Decision, Risk, ToolSpec, Verdict
from guardrails.approval import Approver, AutoDenyApprover
from guardrails.audit import AuditLog
from guardrails.layers import ArgumentError, Call, Layer, Normaliser, ToolResult, build
from guardrails.layers.scoping import judge_budget
from guardrails.policy import Policy
from guardrails.rollback import RollbackStore
from guardrails.usage import UsageLedger

if TYPE_CHECKING:  # jsonschema, redaction and injection load on the first check, not when a server starts
    from guardrails import injection

__all__ = ["MODEL_CALL_TOOL", "VERDICT_OBSERVERS", "ArgumentError", "Normaliser", "Pipeline", "ScreenedResult",
           "audit_unrunnable_call", "default_policy_path"]

MODEL_CALL_TOOL = "model_call"
"""The tool name audit records and spans give a model turn's budget check (it is not an MCP tool)."""

VERDICT_OBSERVERS: list[Callable[[str, Verdict], None]] = []
"""Called with (where, verdict) after every audited verdict; telemetry counts denials and approvals
here, so the guardrails library itself needs no metrics code. An observer must not raise."""

_tracer = trace.get_tracer("vigil.guardrails")


def _span(name: str) -> AbstractContextManager[trace.Span]:
    """A span for one verdict, or, while no tracer provider is installed (an MCP server nobody traces),
    a span that records nothing and the current context left as it is: the API would make a
    non-recording span carrying that same context, for a few microseconds of every call."""
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return nullcontext(trace.INVALID_SPAN)
    return _tracer.start_as_current_span(name)


_MODEL_TURN: ContextVar[tuple[Pipeline, Action] | None] = ContextVar("vigil_model_turn", default=None)
"""The pipeline and the model-call action of the turn this task is taking, set by `check_model_call`:
what a refusal made while reading that turn's output (`audit_unrunnable_call`) is recorded against."""

PASS_TTL_SECONDS = 300.0
"""A pass unused this long is void: the call it was issued for never reached the server."""
_MAX_PASSES = 4096


@dataclass(frozen=True)
class ScreenedResult:
    text: str
    """The result with secrets replaced by markers."""
    secrets_redacted: int
    injection: injection.InjectionReport


class _Passes:
    """One-time passes for calls this pipeline allowed: token -> (tool, arguments digest, expiry).

    A token is 192 random bits held only in this process's memory, so a client of a server (stdio,
    HTTP) cannot present one it was not given, and one is good for the exact call it was issued for.
    """

    def __init__(self) -> None:
        self._open: OrderedDict[str, tuple[str, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, action: Action) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._open[token] = (action.tool, _digest(action.arguments), time.monotonic() + PASS_TTL_SECONDS)
            while len(self._open) > _MAX_PASSES:
                self._open.popitem(last=False)
        return token

    def redeem(self, token: str, tool: str, arguments: dict[str, Any]) -> bool:
        with self._lock:
            issued = self._open.pop(token, None)
        if issued is None:
            return False
        issued_tool, digest, expires = issued
        return issued_tool == tool and digest == _digest(arguments) and time.monotonic() < expires


def _digest(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(arguments, sort_keys=True, default=str).encode()).hexdigest()


class Pipeline:
    def __init__(
        self,
        policy: Policy,
        audit: AuditLog,
        approver: Approver | None = None,
        rollbacks: RollbackStore | None = None,
        *,
        ledger: UsageLedger | None = None,
        where: str = "agent",
        layers: list[Layer] | None = None,
    ) -> None:
        self.policy = policy
        self.audit = audit
        self.approver: Approver = approver or AutoDenyApprover()
        self.rollbacks = rollbacks
        self.ledger = ledger
        self.where = where
        """Who runs this pipeline (`agent`, `server:kubernetes`): audit records say where they were decided."""
        self.layers: list[Layer] = layers if layers is not None else build(policy.layers)
        """The layers in the policy's order; they hold the pipeline's state (the rate window)."""
        self._passes = _Passes()

    def with_approver(self, approver: Approver) -> Pipeline:
        """This pipeline (the same layers, rate window, audit log and passes) asking another approver:
        a front door's per-conversation approver without a second pipeline."""
        view = copy.copy(self)
        view.approver = approver
        return view

    def shares_state_with(self, other: Pipeline) -> bool:
        """True for the same pipeline or a `with_approver` view of it (a pass issued by one is good at the other)."""
        return self._passes is other._passes

    def issue_pass(self, action: Action) -> str:
        """A one-time token saying this pipeline allowed exactly this call (after `check`; never for a denial)."""
        return self._passes.issue(action)

    def redeem_pass(self, token: str, tool: str, arguments: dict[str, Any]) -> bool:
        """True once, for the call a pass was issued for: the middleware then neither judges nor screens it."""
        return self._passes.redeem(token, tool, arguments)

    async def check(self, action: Action, spec: ToolSpec | None, cost_class: str | None = None,
                    normalise: Normaliser | None = None, *, where: str | None = None) -> Verdict:
        """Run every layer and return the verdict. Never raises for a denial.

        `normalise` (a server's argument normaliser) runs once the arguments match the schema and
        before scoping, so the policy judges the canonical form (e.g. the kind `secrets` as `Secret`);
        `action.arguments` then holds that form, and the caller passes it on to the tool."""
        call = Call(self, action, spec, cost_class, normalise, where or self.where)
        return await self._run(call, [layer for layer in self.layers if not layer.always])

    async def precheck(self, action: Action, spec: ToolSpec | None, cost_class: str | None = None,
                       normalise: Normaliser | None = None, *, where: str | None = None) -> Verdict:
        """Validation and scoping only, audited: for a write tool that runs the full `check` itself once
        it has built its rollback plan (an MCP server's middleware cannot know the plan)."""
        call = Call(self, action, spec, cost_class, normalise, where or self.where)
        return await self._run(call, [layer for layer in self.layers if layer.in_precheck and not layer.always])

    async def _run(self, call: Call, layers: list[Layer]) -> Verdict:
        with _span(f"guardrail {call.action.tool}") as span:
            for layer in layers:
                result = await layer.check(call)
                if result.decision is not None:
                    _add(call.verdict, result.decision)
                if not result.allowed:
                    break
            return await self._finish(call, span)

    async def check_model_call(self, action: Action) -> Verdict:
        """The team's daily token and money budget, checked before a model turn (audited, like a tool call).

        A model call is not a tool: the policy's tool rules and rate limits do not apply to it, only
        the per-team budget in the actor's limits, judged on `action.estimated_tokens` and
        `action.estimated_cost_usd`. Without a ledger or a budget there is nothing to decide and
        nothing is recorded.
        """
        _MODEL_TURN.set((self, action))
        call = Call(self, action, where=self.where)
        limits = self.policy.limits_for(action.actor)
        no_budget = limits.budget.tokens_per_day is None and limits.budget.usd_per_day is None
        if self.ledger is None or no_budget:
            call.verdict.decisions.append(Decision(layer="scoping", allowed=True, reason="no team budget applies"))
            return call.verdict
        with _tracer.start_as_current_span(f"guardrail {action.tool}") as span:
            team = action.actor.team or action.actor.name
            call.verdict.decisions.append(judge_budget(self, action, limits).decision or Decision(
                layer="scoping", allowed=True, rule=f"limits.{limits.id}.budget",
                reason=f"team {team!r} is within its daily budget"))
            return await self._finish(call, span)

    async def _finish(self, call: Call, span: trace.Span) -> Verdict:
        """Run the layers that always run (the audit record), describe the verdict on the span, tell the observers."""
        for layer in self.layers:
            if layer.always:
                result = await layer.check(call)
                if result.decision is not None:
                    call.verdict.decisions.append(result.decision)
        return self._observed(call, span)

    def _observed(self, call: Call, span: trace.Span) -> Verdict:
        verdict = call.verdict
        if span.is_recording():
            denial = verdict.denial
            deciding = denial or (verdict.decisions[-1] if verdict.decisions else None)
            span.set_attributes({
                "vigil.guardrail.where": call.where,
                "gen_ai.tool.name": verdict.action.tool,
                "vigil.actor": verdict.action.actor.name,
                "vigil.guardrail.allowed": verdict.allowed,
                "vigil.guardrail.layer": deciding.layer if deciding else "none",
                "vigil.guardrail.rule": (deciding.rule if deciding else None) or "none",
            })
            for decision in verdict.decisions:
                span.add_event("guardrail.decision", {"vigil.guardrail.layer": decision.layer,
                                                      "vigil.guardrail.allowed": decision.allowed,
                                                      "vigil.guardrail.rule": decision.rule or "none"})
        for observer in VERDICT_OBSERVERS:
            observer(call.where, verdict)
        return verdict

    def record(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append any other event (a model call, a finding, a rollback) to the same chain."""
        return self.audit.append({"where": self.where, **event})

    # -- results -------------------------------------------------------------------------------------
    def screen_result(self, action: Action, text: str, *, is_error: bool = False,
                      where: str | None = None) -> ScreenedResult:
        """Pass a tool's result through every layer's `after`, in order: by default redact secrets,
        score injection, and audit that the result was seen."""
        from guardrails import injection

        call = Call(self, action, where=where or self.where)
        result = ToolResult(text, is_error)
        for layer in self.layers:
            result = layer.after(call, result)
        return ScreenedResult(result.text, result.secrets_redacted,
                              result.injection or injection.InjectionReport(score=0.0, spans=[]))


def _add(verdict: Verdict, decision: Decision) -> None:
    """Append a layer's decision. Allowed decisions of one audit layer in a row become one record
    (rules, query cost, rate and budget all report as `scoping`), so the audit format is unchanged."""
    last = verdict.decisions[-1] if verdict.decisions else None
    if last is not None and last.allowed and decision.allowed and last.layer == decision.layer:
        # Built by the validator: with pydantic 2.14 that is cheaper than `model_construct` (decision_memo.copy_of).
        verdict.decisions[-1] = Decision(layer=last.layer, allowed=True, rule=last.rule or decision.rule,
                                         reason=f"{last.reason}; {decision.reason}",
                                         details={**decision.details, **last.details})
        return
    verdict.decisions.append(decision)


def audit_unrunnable_call(tool: str, arguments: dict[str, Any], reason: str) -> None:
    """Audit a tool call the model asked for that is refused before any tool hub sees it (an unknown
    tool name, dropped while repairing the model's output), as the same `unknown-tool` denial the hub
    records. Outside a model turn of a pipeline (a bare provider in a test) there is nothing to record to.
    """
    from guardrails.layers import AuditLayer

    current = _MODEL_TURN.get()
    if current is None:
        return
    pipeline, turn = current
    name = tool[:200]  # model-written text: bounded, and the arguments are redacted by the audit layer
    action = Action(actor=turn.actor, tool=name, arguments=arguments, run_id=turn.run_id, risk=Risk.READ)
    call = Call(pipeline, action, where=pipeline.where)
    call.verdict.decisions.append(Decision(layer="validation", allowed=False, rule="unknown-tool", reason=reason))
    with _tracer.start_as_current_span(f"guardrail {name}") as span:
        for layer in pipeline.layers:
            if isinstance(layer, AuditLayer):
                decision = layer.record(call).decision
                if decision is not None:
                    call.verdict.decisions.append(decision)
        pipeline._observed(call, span)


def default_policy_path() -> Path:
    return Path(__file__).with_name("default_policy.yaml")
