"""Slack Block Kit for Vigil's messages: the report, approval requests, and their outcome.

Slack limits matter here: a section's text is at most 3000 characters and a message at most 50
blocks, so long parts are cut with a pointer to the full report (`vigil jobs show JOB`). Text from
the incident (titles, label values) is untrusted; it is escaped so it cannot mention a channel or
a user or smuggle a link.
"""

from __future__ import annotations

from typing import Any

from agent.report import Report
from guardrails.approval import ApprovalRequest

SECTION_LIMIT = 2900
APPROVE_ACTION = "vigil_approve"
REFUSE_ACTION = "vigil_refuse"


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: `<`, `>` and `&` would otherwise make mentions and links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text)}}


def report_blocks(report: Report, job_id: str | None = None, chart_note: str | None = None) -> list[dict[str, Any]]:
    """The report as Block Kit: header, summary, ranked hypotheses with citations, next steps, stats."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(f"Vigil: {report.title}", 150)}},
    ]
    if not report.complete:
        blocks.append(_section(f":warning: *Incomplete*: {escape(report.incomplete_reason or '')}"))
    if report.summary:
        blocks.append(_section(escape(report.summary)))
    lines = []
    for i, h in enumerate(report.hypotheses[:5], 1):
        cites = ", ".join(h.evidence) or "no evidence cited"
        lines.append(f"{i}. *{escape(h.cause)}*  ({h.confidence:.0%}; evidence {cites})")
    blocks.append(_section("*Root-cause hypotheses*\n" + ("\n".join(lines) or "None supported by the evidence.")))
    if report.ruled_out:
        blocks.append(_section("*Ruled out*\n" + "\n".join(f"• {escape(r.what)}: {escape(r.why)}"
                                                            for r in report.ruled_out[:6])))
    if report.next_steps:
        blocks.append(_section("*Next steps*\n" + "\n".join(f"• {escape(s)}" for s in report.next_steps[:6])))
    evidence = [f"`{e.id}` {escape(e.tool)}" + ("" if e.ok else " (failed)") for e in report.evidence[:20]]
    if evidence:
        more = f" and {len(report.evidence) - 20} more" if len(report.evidence) > 20 else ""
        blocks.append(_section("*Evidence*: " + ", ".join(evidence) + more))
    s = report.stats
    context = (f"runbook {report.runbook_id or 'none'} · {s.model} · {s.tool_calls} tool calls · "
               f"{s.seconds:.1f}s" + (f" · job {job_id}" if job_id else ""))
    if chart_note:
        context += f" · {chart_note}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(escape(context), 2000)}]})
    return blocks[:50]


def approval_blocks(request: ApprovalRequest) -> list[dict[str, Any]]:
    """An approval request with Approve and Refuse buttons; the button value is the request id."""
    return [
        _section(f":raised_hand: *Approval needed* ({escape(request.reason)})\n{escape(request.summary)}"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"request `{request.id}` · expires {request.expires_at.isoformat(timespec='seconds')} · "
            "no answer means no")}]},
        {"type": "actions", "block_id": "vigil_approval", "elements": [
            {"type": "button", "action_id": APPROVE_ACTION, "style": "primary", "value": request.id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": REFUSE_ACTION, "style": "danger", "value": request.id,
             "text": {"type": "plain_text", "text": "Refuse"}},
        ]},
    ]


DIFF_LIMIT = 2600
"""Characters of the diff shown in Slack; the whole diff goes into the pull request body."""


def proposal_blocks(request_id: str, summary: str, diff: str, expires_at: str,
                    approvers: list[str]) -> list[dict[str, Any]]:
    """A proposed fix: what it changes, the diff (redacted by the caller), Approve and Deny for the
    policy's approvers. The button value is the approval request id, as for any approval."""
    shown = diff if len(diff) <= DIFF_LIMIT else diff[:DIFF_LIMIT] + "\n… (the full diff goes into the pull request)"
    fenced = shown.replace("`", "'")  # a backtick in a manifest must not close the code block
    who = ", ".join(approvers) or "nobody (the policy lists no approvers)"
    return [
        _section(f":wrench: *Proposed fix*: {escape(summary)}\nNothing is pushed until an approver agrees; "
                 "the pull request opens after approval."),
        _section(f"```{escape(fenced)}```"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(escape(
            f"request {request_id} · expires {expires_at} · approvers: {who} · "
            f"or `vigil approvals approve {request_id}`"), 2000)}]},
        {"type": "actions", "block_id": "vigil_approval", "elements": [
            {"type": "button", "action_id": APPROVE_ACTION, "style": "primary", "value": request_id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": REFUSE_ACTION, "style": "danger", "value": request_id,
             "text": {"type": "plain_text", "text": "Deny"}},
        ]},
    ]


def decided_blocks(request_id: str, approved: bool, who: str) -> list[dict[str, Any]]:
    verb = ":white_check_mark: Approved" if approved else ":no_entry: Refused"
    return [_section(f"{verb} by <@{who}> (request `{request_id}`)")]
