"""Sending results back where the trigger came from: a PagerDuty incident note, a Slack thread.

Each delivery raises `DeliveryError` on failure so the job is retried (with backoff) rather than
the answer silently dropped; the job remembers which targets already got the report, so a retry
never posts twice.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.report import Report
from agent.server.blocks import approval_blocks, escape, proposal_blocks, report_blocks
from guardrails.approval import ApprovalRequest

PAGERDUTY_NOTE_LIMIT = 24_000


class DeliveryError(RuntimeError):
    """A report could not be delivered; the job will retry."""


async def post_pagerduty_note(http: httpx.AsyncClient, api_url: str, token: str | None, from_email: str | None,
                              incident_id: str, text: str) -> str:
    """Add `text` as a note on the PagerDuty incident; returns the note id."""
    if not token:
        raise DeliveryError("no PagerDuty API token: set the variable named by serve.pagerduty.api_token_env")
    if len(text) > PAGERDUTY_NOTE_LIMIT:
        text = text[: PAGERDUTY_NOTE_LIMIT - 80] + "\n\n…(cut; the full report: `vigil jobs show`)"
    headers = {"Authorization": f"Token token={token}", "Accept": "application/vnd.pagerduty+json;version=2",
               "Content-Type": "application/json"}
    if from_email:
        headers["From"] = from_email
    try:
        response = await http.post(f"{api_url.rstrip('/')}/incidents/{incident_id}/notes", headers=headers,
                                   json={"note": {"content": text}})
    except httpx.HTTPError as exc:
        raise DeliveryError(f"PagerDuty is unreachable: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"PagerDuty refused the note: HTTP {response.status_code} {response.text[:300]}")
    note = (response.json() or {}).get("note") or {}
    return str(note.get("id", ""))


class SlackThread:
    """One Slack thread Vigil answers in: progress updates, approval buttons, the report and its chart."""

    def __init__(self, client: AsyncWebClient, channel: str, thread_ts: str | None) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self._progress_ts: str | None = None
        self._lines: list[str] = []
        self._last_flush = 0.0
        self._pending: asyncio.Task[None] | None = None

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise DeliveryError(f"Slack {method} failed: {exc.response.get('error', exc)}") from exc
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack is unreachable ({method}): {exc}") from exc
        return dict(response.data) if hasattr(response, "data") else dict(response)  # type: ignore[arg-type]

    async def ensure_root(self, text: str) -> str:
        """Start the thread when the trigger did not give one (a webhook reported to a channel)."""
        if self.thread_ts is None:
            data = await self._call("chat_postMessage", channel=self.channel, text=text)
            self.thread_ts = str(data.get("ts"))
        return self.thread_ts

    # -- live progress: one message, edited as the investigation moves on --------------------------------
    def progress(self, event: str, details: dict[str, Any]) -> None:
        """The investigation's progress callback (synchronous); posting happens in a task."""
        line = _progress_line(event, details)
        if not line:
            return
        self._lines.append(line)
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        wait = max(0.0, 1.0 - (time.monotonic() - self._last_flush))
        await asyncio.sleep(wait)
        await self.flush_progress()

    async def flush_progress(self) -> None:
        text = ":mag: *Investigating*\n" + "\n".join(self._lines[-15:])
        self._last_flush = time.monotonic()
        try:
            if self._progress_ts is None:
                data = await self._call("chat_postMessage", channel=self.channel, thread_ts=self.thread_ts, text=text)
                self._progress_ts = str(data.get("ts"))
            else:
                await self._call("chat_update", channel=self.channel, ts=self._progress_ts, text=text)
        except DeliveryError:
            pass  # progress is a courtesy; the report itself is retried

    async def finish_progress(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        if self._lines:
            await self.flush_progress()

    # -- approvals and the report -----------------------------------------------------------------------
    async def ask_approval(self, request: ApprovalRequest) -> None:
        await self._call("chat_postMessage", channel=self.channel, thread_ts=self.thread_ts,
                         text=escape(f"Approval needed: {request.summary}"), blocks=approval_blocks(request))

    async def ask_proposal(self, request_id: str, summary: str, diff: str, expires_at: str,
                           approvers: list[str]) -> None:
        """The proposed fix's diff with Approve / Deny, in the thread of its report."""
        await self._call("chat_postMessage", channel=self.channel, thread_ts=self.thread_ts,
                         text=escape(f"Proposed fix, approval needed: {summary}"),
                         blocks=proposal_blocks(request_id, summary, diff, expires_at, approvers))

    async def post_text(self, text: str) -> None:
        """One plain line in the thread (the pull request's link once it opens)."""
        await self._call("chat_postMessage", channel=self.channel, thread_ts=self.thread_ts, text=escape(text))

    async def post_report(self, report: Report, job_id: str, chart_png: bytes | None = None,
                          intro: str | None = None) -> str:
        chart_note = "chart of the series that moved below" if chart_png else None
        blocks = report_blocks(report, job_id, chart_note)
        if intro:
            blocks.insert(1, {"type": "section", "text": {"type": "mrkdwn", "text": intro[:2900]}})
        data = await self._call("chat_postMessage", channel=self.channel, thread_ts=self.thread_ts,
                                text=escape(f"Vigil report: {report.title}"), blocks=blocks)
        if chart_png:
            await self._call("files_upload_v2", channel=self.channel, thread_ts=self.thread_ts,
                             content=chart_png, filename=f"vigil-{job_id}.png", title="Series that moved",
                             initial_comment="The series that moved; the shaded band is the incident window.")
        return str(data.get("ts"))


    async def post_resolved(self, title: str, source: str) -> None:
        """One line under the report: the incident was resolved where it came from."""
        where = {"alertmanager": "Alertmanager", "pagerduty": "PagerDuty"}.get(source, source or "its source")
        await self._call("chat_postMessage", channel=self.channel, thread_ts=self.thread_ts,
                         text=f":white_check_mark: Resolved: {escape(title)} (reported resolved by {where})")


def _progress_line(event: str, details: dict[str, Any]) -> str | None:
    if event == "runbook":
        return f"• runbook: `{details.get('id') or 'none matched'}`"
    if event == "prefetch":
        return f"• running {len(details.get('calls') or [])} runbook checks in parallel"
    if event == "tool":
        mark = ":white_check_mark:" if details.get("ok") else ":x:"
        return f"• {mark} `{details.get('id')}` {details.get('tool')}"
    if event == "model":
        return f"• model turn {details.get('turn')} ({details.get('tool_calls', 0)} tool calls asked)"
    if event == "done":
        return "• done" if details.get("complete", True) else "• done (incomplete)"
    return None
