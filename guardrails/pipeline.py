"""The one pipeline every action passes: validation, scoping, rollback, approval, audit.

The agent's tool hub and every MCP server's middleware call `Pipeline.check` the same way. Layers
run in an order that never bothers a human about an action another layer would refuse anyway:
validation and scoping first, then the rollback-plan requirement, then approval. The audit layer
records the verdict, allow or deny, and if the record cannot be written the action is refused:
an action that leaves no trace does not run.

Tool results come back through `screen_result`: secrets are redacted, prompt injection is scored,
and a result record (a hash of the text, never the text) joins the audit chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from guardrails.action import Action, Decision, Risk, ToolSpec, Verdict
from guardrails.approval import Approver, AutoDenyApprover, new_request, summarise_action
from guardrails.audit import AuditLog
from guardrails.policy import Policy
from guardrails.rollback import RollbackStore
from guardrails.timeparse import parse_duration
from guardrails.usage import RateLimiter, UsageLedger

if TYPE_CHECKING:  # jsonschema, redaction and injection load on the first check, not when a server starts
    from guardrails import injection

MODEL_CALL_TOOL = "model_call"
"""The tool name audit records and spans give a model turn's budget check (it is not an MCP tool)."""

VERDICT_OBSERVERS: list[Callable[[str, Verdict], None]] = []
"""Called with (where, verdict) after every audited verdict; telemetry counts denials and approvals
here, so the guardrails library itself needs no metrics code. An observer must not raise."""

_tracer = trace.get_tracer("vigil.guardrails")

_MODEL_TURN: ContextVar[tuple[Pipeline, Action] | None] = ContextVar("vigil_model_turn", default=None)
"""The pipeline and the model-call action of the turn this task is taking, set by `check_model_call`:
what a refusal made while reading that turn's output (`audit_unrunnable_call`) is recorded against."""

Normaliser = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""(tool name, schema-valid arguments) -> the canonical arguments the policy judges and the tool gets.
A server supplies one when the policy needs facts only it can establish (Kubernetes discovery)."""


class ArgumentError(ValueError):
    """Raised by a normaliser for an argument it cannot accept; the message names the argument and the fix."""


@dataclass(frozen=True)
class ScreenedResult:
    text: str
    """The result with secrets replaced by markers."""
    secrets_redacted: int
    injection: injection.InjectionReport


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
    ) -> None:
        self.policy = policy
        self.audit = audit
        self.approver: Approver = approver or AutoDenyApprover()
        self.rollbacks = rollbacks
        self.ledger = ledger
        self.where = where
        """Who runs this pipeline (`agent`, `server:kubernetes`): audit records say where they were decided."""
        self.rate = RateLimiter()

    async def check(self, action: Action, spec: ToolSpec | None, cost_class: str | None = None,
                    normalise: Normaliser | None = None) -> Verdict:
        """Run every layer and return the verdict. Never raises for a denial.

        `normalise` (a server's argument normaliser) runs once the arguments match the schema and
        before scoping, so the policy judges the canonical form (e.g. the kind `secrets` as `Secret`);
        `action.arguments` then holds that form, and the caller passes it on to the tool."""
        with _tracer.start_as_current_span(f"guardrail {action.tool}") as span:
            verdict = Verdict(action=action)
            verdict.decisions.append(await self._validated(action, spec, normalise))
            if not verdict.allowed:
                return self._finish(verdict, span)
            for layer in (self._scope, self._rollback):
                decision = layer(action, spec, cost_class)
                verdict.decisions.append(decision)
                if not decision.allowed:
                    return self._finish(verdict, span)
            verdict.decisions.append(await self._approve(action))
            return self._finish(verdict, span)

    async def precheck(self, action: Action, spec: ToolSpec | None, cost_class: str | None = None,
                       normalise: Normaliser | None = None) -> Verdict:
        """Validation and scoping only, audited: for a write tool that runs the full `check` itself once
        it has built its rollback plan (an MCP server's middleware cannot know the plan)."""
        with _tracer.start_as_current_span(f"guardrail {action.tool}") as span:
            verdict = Verdict(action=action)
            verdict.decisions.append(await self._validated(action, spec, normalise))
            if verdict.allowed:
                verdict.decisions.append(self._scope(action, spec, cost_class))
            return self._finish(verdict, span)

    async def check_model_call(self, action: Action) -> Verdict:
        """The team's daily token and money budget, checked before a model turn (audited, like a tool call).

        A model call is not a tool: the policy's tool rules and rate limits do not apply to it, only
        the per-team budget in the actor's limits, judged on `action.estimated_tokens` and
        `action.estimated_cost_usd`. Without a ledger or a budget there is nothing to decide and
        nothing is recorded.
        """
        _MODEL_TURN.set((self, action))
        verdict = Verdict(action=action)
        limits = self.policy.limits_for(action.actor)
        no_budget = limits.budget.tokens_per_day is None and limits.budget.usd_per_day is None
        if self.ledger is None or no_budget:
            verdict.decisions.append(Decision(layer="scoping", allowed=True, reason="no team budget applies"))
            return verdict
        with _tracer.start_as_current_span(f"guardrail {action.tool}") as span:
            denial = self._check_budget(action, limits)
            team = action.actor.team or action.actor.name
            verdict.decisions.append(denial or Decision(
                layer="scoping", allowed=True, rule=f"limits.{limits.id}.budget",
                reason=f"team {team!r} is within its daily budget"))
            return self._finish(verdict, span)

    def _finish(self, verdict: Verdict, span: trace.Span) -> Verdict:
        """Audit the verdict, describe it on the guardrail span and tell the observers."""
        verdict = self._audit(verdict)
        if span.is_recording():
            denial = verdict.denial
            deciding = denial or (verdict.decisions[-1] if verdict.decisions else None)
            span.set_attributes({
                "vigil.guardrail.where": self.where,
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
            observer(self.where, verdict)
        return verdict

    # -- layer 1: validation -------------------------------------------------------------
    async def _validated(self, action: Action, spec: ToolSpec | None, normalise: Normaliser | None) -> Decision:
        """Schema validation, then the server's normaliser (which may refuse, naming the argument)."""
        decision = self._validate(action, spec, None)
        if not decision.allowed or normalise is None:
            return decision
        before = dict(action.arguments)
        try:
            action.arguments = await normalise(action.tool, dict(before))
        except ArgumentError as exc:
            return Decision(layer="validation", allowed=False, rule="arguments", reason=str(exc))
        changed = {k: v for k, v in before.items() if action.arguments.get(k) != v}
        if not changed:
            return decision
        from guardrails import redaction

        original, _ = redaction.redact_data(changed)
        return Decision(layer="validation", allowed=True, details={"original": original},
                        reason="arguments match the tool's schema; put in canonical form: "
                               + ", ".join(f"{k}={action.arguments.get(k)!r}" for k in changed))

    def _validate(self, action: Action, spec: ToolSpec | None, _: str | None) -> Decision:
        if spec is None:
            return Decision(layer="validation", allowed=False, rule="unknown-tool",
                            reason=f"tool {action.tool!r} is not offered by any connected server")
        import jsonschema

        try:
            validator = _validator(json.dumps(spec.input_schema, sort_keys=True))
        except jsonschema.SchemaError as exc:
            return Decision(layer="validation", allowed=False, rule="schema",
                            reason=f"the tool's own schema is invalid: {exc.message}")
        error = jsonschema.exceptions.best_match(validator.iter_errors(action.arguments))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(arguments)"
            return Decision(layer="validation", allowed=False, rule="schema",
                            reason=f"argument {where}: {error.message}")
        return Decision(layer="validation", allowed=True, reason="arguments match the tool's schema")

    # -- layer 2: scoping --------------------------------------------------------------------
    def _scope(self, action: Action, spec: ToolSpec | None, cost_class: str | None) -> Decision:
        try:
            scope = self.policy.scope_of(action)
        except ValueError as exc:
            return Decision(layer="scoping", allowed=False, rule="scope", reason=str(exc))
        rules = self.policy.evaluate_rules(action.actor, action.tool, scope)
        if not rules.allowed:
            return rules
        costs = self.policy.check_costs(action.actor, spec, scope, cost_class)
        if not costs.allowed:
            return costs
        limits = self.policy.limits_for(action.actor)
        wait = self.rate.try_acquire(action.actor.name, limits.rate.calls, parse_duration(limits.rate.per))
        if wait:
            return Decision(layer="scoping", allowed=False, rule=f"limits.{limits.id}.rate",
                            reason=f"{action.actor.name} is over {limits.rate.calls} calls per {limits.rate.per}; "
                                   f"try again in {wait:.0f}s")
        budget = self._check_budget(action, limits)
        if budget:
            return budget
        return Decision(layer="scoping", allowed=True, rule=rules.rule, reason=f"{rules.reason}; {costs.reason}")

    def _check_budget(self, action: Action, limits: Any) -> Decision | None:
        if self.ledger is None or (limits.budget.tokens_per_day is None and limits.budget.usd_per_day is None):
            return None
        team = action.actor.team or action.actor.name
        spent = self.ledger.spent_today(team)
        rule = f"limits.{limits.id}.budget"
        tokens_cap, usd_cap = limits.budget.tokens_per_day, limits.budget.usd_per_day
        if tokens_cap is not None and spent.tokens + action.estimated_tokens > tokens_cap:
            return Decision(layer="scoping", allowed=False, rule=rule,
                            reason=f"team {team!r} has used {spent.tokens:,} of its {tokens_cap:,} tokens today; "
                                   "the budget resets at 00:00 UTC or an admin can raise it in the policy")
        if usd_cap is not None and spent.usd + action.estimated_cost_usd > usd_cap:
            return Decision(layer="scoping", allowed=False, rule=rule,
                            reason=f"team {team!r} has spent ${spent.usd:.2f} of its ${usd_cap:.2f} today; "
                                   "the budget resets at 00:00 UTC or an admin can raise it in the policy")
        return None

    # -- layer 5 (checked early): rollback -----------------------------------------------------
    def _rollback(self, action: Action, spec: ToolSpec | None, _: str | None) -> Decision:
        writes = (spec is not None and not spec.read_only) or action.risk > Risk.READ
        if not writes:
            return Decision(layer="rollback", allowed=True, reason="read-only: nothing to undo")
        if action.rollback is None:
            return Decision(layer="rollback", allowed=False, rule="rollback-required",
                            reason="a write action must carry a rollback plan; none was given")
        if self.rollbacks is not None:
            self.rollbacks.save(action.id, action.rollback)
        return Decision(layer="rollback", allowed=True, reason=f"rollback plan stored: {action.rollback.description}")

    # -- layer 3: approval ------------------------------------------------------------------
    async def _approve(self, action: Action) -> Decision:
        approval = self.policy.approval
        if action.risk < approval.required_risk:
            return Decision(layer="approval", allowed=True,
                            reason=f"risk {action.risk.name.lower()} is below the approval threshold "
                                   f"({approval.required_at})")
        reason = f"risk {action.risk.name.lower()} at or above {approval.required_at}"
        request = new_request(action, reason, summarise_action(action), approval.timeout_seconds)
        record = await self.approver.decide(request)
        details = {"approver": record.approver, "channel": record.channel,
                   "decided_at": record.decided_at.isoformat(), "request_id": request.id}
        if not record.approved:
            return Decision(layer="approval", allowed=False, rule="approval-required",
                            reason=f"not approved: {record.describe()}", details=details)
        if record.approver is None or not approval.may_approve(record.approver):
            return Decision(layer="approval", allowed=False, rule="approval.approvers",
                            reason=f"{record.approver!r} is not among the policy's approvers", details=details)
        if record.approver == action.actor.name and not record.requester_present \
                and action.risk > approval.self_approval_risk:
            return Decision(layer="approval", allowed=False, rule="approval.self_approval_max",
                            reason=f"{action.actor.name!r} cannot approve its own risk-{action.risk.name.lower()} "
                                   f"action (the policy allows self-approval up to {approval.self_approval_max}); "
                                   "another person must approve it", details=details)
        if action.risk >= approval.distinct_risk and record.approver == action.actor.name:
            return Decision(layer="approval", allowed=False, rule="approval.distinct_approver",
                            reason=f"risk {action.risk.name.lower()} needs an approver other than the "
                                   f"requester {action.actor.name!r}", details=details)
        return Decision(layer="approval", allowed=True, reason=record.describe(), details=details)

    # -- layer 4: audit ---------------------------------------------------------------------------
    def _audit(self, verdict: Verdict) -> Verdict:
        action = verdict.action
        denial = verdict.denial
        from guardrails import redaction

        arguments, _ = redaction.redact_data(action.arguments)
        event = {
            "kind": "decision",
            "where": self.where,
            "run_id": action.run_id,
            "action_id": action.id,
            "actor": action.actor.name,
            "origin": action.actor.origin,
            "team": action.actor.team,
            "tool": action.tool,
            "arguments": arguments,
            "risk": action.risk.name.lower(),
            "allowed": verdict.allowed,
            "layer": denial.layer if denial else None,
            "rule": denial.rule if denial else None,
            "reason": denial.reason if denial else "allowed by every layer",
            "decisions": [d.model_dump(mode="json") for d in verdict.decisions],
        }
        try:
            # An allowed read is followed by its fsynced result record; anything else is durable now.
            record = self.audit.append(event, durable=not (verdict.allowed and action.risk == Risk.READ))
        except OSError as exc:
            verdict.decisions.append(Decision(layer="audit", allowed=False, rule="audit-unavailable",
                                              reason=f"the audit log could not be written ({exc}); refusing"))
            return verdict
        verdict.decisions.append(Decision(layer="audit", allowed=True, details={"seq": record["seq"]},
                                          reason=f"recorded as audit record {record['seq']}"))
        return verdict

    def record(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append any other event (a model call, a finding, a rollback) to the same chain."""
        return self.audit.append({"where": self.where, **event})

    # -- results -------------------------------------------------------------------------------------
    def screen_result(self, action: Action, text: str, *, is_error: bool = False) -> ScreenedResult:
        """Redact secrets and score injection in a tool's result, and audit that it was seen."""
        from guardrails import injection, redaction

        redacted = redaction.redact_text(text)
        report = injection.scan(redacted.text)
        self.audit.append({
            "kind": "result",
            "where": self.where,
            "run_id": action.run_id,
            "action_id": action.id,
            "tool": action.tool,
            "is_error": is_error,
            "sha256": hashlib.sha256(redacted.text.encode()).hexdigest(),
            "chars": len(redacted.text),
            "secrets_redacted": len(redacted.findings),
            "injection_score": round(report.score, 3),
            "injection_kinds": sorted({s.kind for s in report.spans}),
        })
        return ScreenedResult(redacted.text, len(redacted.findings), report)


def audit_unrunnable_call(tool: str, arguments: dict[str, Any], reason: str) -> None:
    """Audit a tool call the model asked for that is refused before any tool hub sees it (an unknown
    tool name, dropped while repairing the model's output), as the same `unknown-tool` denial the hub
    records. Outside a model turn of a pipeline (a bare provider in a test) there is nothing to record to.
    """
    current = _MODEL_TURN.get()
    if current is None:
        return
    pipeline, turn = current
    name = tool[:200]  # model-written text: bounded, and the arguments are redacted by `_audit`
    action = Action(actor=turn.actor, tool=name, arguments=arguments, run_id=turn.run_id, risk=Risk.READ)
    verdict = Verdict(action=action, decisions=[Decision(layer="validation", allowed=False, rule="unknown-tool",
                                                         reason=reason)])
    with _tracer.start_as_current_span(f"guardrail {name}") as span:
        pipeline._finish(verdict, span)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Any:
    """A checked, compiled validator per distinct schema: building one costs far more than using it."""
    import jsonschema

    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def default_policy_path() -> Path:
    return Path(__file__).with_name("default_policy.yaml")
