"""The layers around the record: screening a tool's result, and the audit chain every verdict joins.

The audit layer runs last and always: it records the verdict, allow or deny, and if the record
cannot be written the action is refused (an action that leaves no trace does not run). After the
tool ran, the screening layer redacts secrets and scores prompt injection, and the audit layer
records that the result was seen (a hash of the text, never the text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import ClassVar

from guardrails.action import Decision, Risk
from guardrails.layers.base import BaseLayer, Call, LayerResult, ToolResult


@dataclass
class AuditResult(LayerResult):
    seq: int | None = None
    """The decision record's sequence number in the chain (None when it could not be written)."""


class AuditLayer(BaseLayer):
    """Appends the verdict to the hash-chained audit log; a log that cannot be written refuses the action.

    Why an allowed read still writes two signed records, a decision before the tool runs and a result
    after, although one record written after the call could carry the request and the outcome under the
    same HMAC chain (issue #17 weighed it): the decision record is in the log (the kernel's page cache)
    before the tool runs, so a read that kills its process (a query of death, an exploit of a parser, an
    OOM kill) still leaves who asked for what, with which arguments, in a chain `vigil audit verify`
    passes (tests/guardrails/test_audit_crash_between_records.py). One record after the call would lose
    exactly that evidence, for the call that most needs it. What one record would save is one unsynced
    append (its own lock, write and signature; the flush is shared already): 37 us of CPU warm, 108-131 us
    at load 15 (docs/mcp-servers/codegraph.md). The pair is made cheap instead: one `fdatasync`
    per call (the result record's, which covers the decision written before it), one HMAC per record over
    the canonical bytes the line is made of (guardrails/audit.py `_signed_line`), and the log and head
    descriptors kept open between groups (guardrails/held_file.py). Write-capable tools keep their
    write-ahead record as it was: it is synced before they run."""

    name: ClassVar[str] = "audit"
    in_precheck: ClassVar[bool] = True
    always: ClassVar[bool] = True

    async def check(self, call: Call) -> AuditResult:
        return self.record(call)

    def record(self, call: Call) -> AuditResult:
        """The decision record (sync: `audit_unrunnable_call` records from outside any event loop step)."""
        from guardrails import redaction

        verdict, action = call.verdict, call.action
        denial = verdict.denial
        arguments, _ = redaction.redact_data(action.arguments)
        event = {
            "kind": "decision",
            "where": call.where,
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
            record = call.pipeline.audit.append(event, durable=not (verdict.allowed and action.risk == Risk.READ))
        except OSError as exc:
            return AuditResult(Decision(layer="audit", allowed=False, rule="audit-unavailable",
                                        reason=f"the audit log could not be written ({exc}); refusing"))
        return AuditResult(Decision(layer="audit", allowed=True, details={"seq": record["seq"]},
                                    reason=f"recorded as audit record {record['seq']}"), record["seq"])

    def after(self, call: Call, result: ToolResult) -> ToolResult:
        report = result.injection
        record = call.pipeline.audit.append({
            "kind": "result",
            "where": call.where,
            "run_id": call.action.run_id,
            "action_id": call.action.id,
            "tool": call.action.tool,
            "is_error": result.is_error,
            "sha256": hashlib.sha256(result.text.encode()).hexdigest(),
            "chars": len(result.text),
            "secrets_redacted": result.secrets_redacted,
            "injection_score": round(report.score, 3) if report else 0.0,
            "injection_kinds": sorted({s.kind for s in report.spans}) if report else [],
        })
        result.audit_seq = record["seq"]
        return result


class ScreeningLayer(BaseLayer):
    """Secrets in a tool's result become markers; prompt injection in it is scored. Judges no call."""

    name: ClassVar[str] = "screening"

    def after(self, call: Call, result: ToolResult) -> ToolResult:
        from guardrails import attested, injection
        from guardrails.screening_memo import SCANS, TEXTS

        if attested.is_clean_answer(result.text):
            # Screened ahead under these rules (guardrails/attested.py): nothing to redact, nothing found.
            result.injection = injection.InjectionReport(score=0.0, spans=[])
            return result
        redacted = TEXTS(result.text)  # `redaction.redact_text`, remembered for clean texts seen before
        result.text = redacted.text
        result.secrets_redacted += len(redacted.findings)
        result.injection = SCANS(redacted.text)  # `injection.scan`, remembered for texts seen before
        return result
