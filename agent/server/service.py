"""The heart of `vigil serve`: accept incidents durably, run them on workers, deliver the answers.

Front doors (webhook handlers, the Slack app) only call `submit` or `update_status`; everything
after the 2xx happens in a worker through the job handlers below. That split is what makes the
promise hold: an incident that reached Vigil was committed to the queue before anyone was told
"accepted", and from there it is retried until it is answered or visibly dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import ValidationError
from slack_sdk.web.async_client import AsyncWebClient

from agent.config import Config
from agent.gitops.from_report import (
    ProposalError,
    ProposalTarget,
    complete_proposal,
    propose_from_report,
    read_proposal,
)
from agent.incident import Incident, from_text
from agent.queue import AsyncQueue, Enqueued, Job, JobContext, JobQueue, PermanentError, WorkerPool
from agent.queue.approvals import PostgresApprovalStore
from agent.queue.postgres import PostgresQueue
from agent.report import Report
from agent.server import chart
from agent.server.blocks import escape
from agent.server.delivery import DeliveryError, SlackThread, post_pagerduty_note
from agent.server.metrics import Metrics
from agent.server.proposals import PROPOSE, enqueue_completion
from agent.server.settings import ServeSettings, read_env
from agent.telemetry import tracer
from guardrails.action import Actor
from guardrails.approval import ApprovalRequest, Approver, DeferredApprover, PendingApprovalStore, StoreApprover
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import Policy, load_policy
from guardrails.redaction import redact_text

log = logging.getLogger("vigil.serve")

InvestigateFn = Callable[..., Awaitable[Report]]
"""`investigate_incident(incident, config, *, actor, approver=None, progress=None) -> Report`."""

INVESTIGATE = "investigate"
FOLLOWUP = "followup"
RESOLVED = "resolved"
"""Tell the Slack threads of an incident's reports that the source resolved it."""

RESOLVED_ATTEMPTS = 12
RESOLVED_WAIT_SECONDS = 60.0
"""A resolution waits for a report still being written: a minute in the job, then by retrying with
backoff (capped at ten minutes a try)."""


def _default_investigate() -> InvestigateFn:
    from agent.runtime import investigate_incident

    return investigate_incident


class FrontDoor:
    """Shared state of one `vigil serve` process: queue, workers, clients, metrics."""

    def __init__(self, settings: ServeSettings, config: Config, queue: JobQueue, *,
                 investigate: InvestigateFn | None = None, slack_client: AsyncWebClient | None = None,
                 http: httpx.AsyncClient | None = None, environ: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.config = config
        self.queue = AsyncQueue(queue)
        self.investigate = investigate or _default_investigate()
        self.environ = environ
        self.http = http or httpx.AsyncClient(timeout=20.0)
        token = read_env(settings.slack.bot_token_env, environ)
        self.slack = slack_client or (AsyncWebClient(token=token, base_url=settings.slack.api_url) if token else None)
        self.policy: Policy = load_policy(config.policy or default_policy_path())
        self.approvals = _approval_store(queue, config)
        self.metrics = Metrics()
        self.pool = WorkerPool(queue, {INVESTIGATE: self._run_investigation, FOLLOWUP: self._run_followup,
                                       RESOLVED: self._run_resolved, PROPOSE: self._run_proposal},
                               concurrency=max(1, settings.workers), lease_seconds=settings.lease_seconds,
                               on_finish=self._finished)
        self._describe_metrics()

    def _describe_metrics(self) -> None:
        m = self.metrics
        m.describe("vigil_webhook_requests_total", "counter", "Webhook requests by source and outcome.")
        m.describe("vigil_enqueue_seconds", "histogram", "Time to commit an accepted request to the queue.")
        m.describe("vigil_jobs_finished_total", "counter", "Jobs finished by kind and outcome.")
        m.describe("vigil_jobs", "gauge", "Jobs in the queue by state.")

    # -- intake ----------------------------------------------------------------------------------------
    async def submit(self, incident: Incident, *, reply: dict[str, Any] | None = None, ref: str | None = None,
                     nonce: str | None = None, dedupe_key: str | None = None, kind: str = INVESTIGATE,
                     extra: dict[str, Any] | None = None, max_attempts: int | None = None) -> Enqueued:
        """Commit one incident to the queue (durable on return) and wake a worker."""
        started = time.perf_counter()
        payload = {"incident": incident.model_dump(mode="json"), "reply": reply or {}, **(extra or {})}
        with tracer().start_as_current_span("vigil.enqueue", attributes={
                "vigil.source": incident.source, "vigil.incident.fingerprint": incident.fingerprint}) as span:
            enqueued = await self.queue.enqueue(
                kind, dedupe_key or incident.fingerprint, payload, source=incident.source, nonce=nonce, ref=ref,
                max_attempts=max_attempts or self.settings.max_attempts,
                dedupe_window_seconds=self.settings.dedupe_window_seconds)
            span.set_attribute("vigil.job.id", enqueued.job_id)
            span.set_attribute("vigil.job.new", enqueued.created)
        self.metrics.observe("vigil_enqueue_seconds", time.perf_counter() - started)
        if self.settings.workers > 0:
            self.pool.wake()
        return enqueued

    async def update_status(self, incident: Incident, status: str) -> list[str]:
        """An incident was acknowledged or resolved at its source: record it on its jobs, and when it
        is resolved, queue a job that says so in the Slack thread of each report (durably, like any
        delivery; the webhook is not kept waiting on Slack)."""
        touched = await self.queue.close_incident(incident.fingerprint, status)
        if status == "resolved" and touched and self.slack is not None:
            await self.submit(incident, kind=RESOLVED, dedupe_key=f"resolved:{incident.fingerprint}",
                              extra={"jobs": touched}, max_attempts=RESOLVED_ATTEMPTS)
        return touched

    def _finished(self, job: Job, outcome: str) -> None:
        self.metrics.inc("vigil_jobs_finished_total", kind=job.kind, outcome=outcome)

    def count(self, source: str, outcome: str) -> None:
        self.metrics.inc("vigil_webhook_requests_total", source=source, outcome=outcome)

    async def render_metrics(self) -> str:
        gauges: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        try:
            counts = await self.queue.counts()
            gauges["vigil_jobs"] = {(("state", k),): float(v) for k, v in counts.items()}
        except Exception as exc:  # the store is down; /readyz says so, /metrics still answers
            log.warning("cannot count jobs: %s", exc)
        gauges["vigil_jobs_running_here"] = {(): float(len(self.pool.running))}
        return self.metrics.render(gauges)

    # -- job handlers ------------------------------------------------------------------------------------
    async def _run_investigation(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        incident = _incident(job)
        reply = job.payload.get("reply") or {}
        result = dict(job.result or {})
        thread = self._thread(reply)
        if "report" not in result:
            if thread is not None:
                await thread.ensure_root(f":rotating_light: Investigating: {escape(incident.title)}")
            report = await self._investigate(incident, job, thread)
            result = {"report": report.model_dump(mode="json"), "markdown": report.to_markdown(), "delivered": []}
            await ctx.save(result)
        report = Report.model_validate(result["report"])
        await self._deliver(job, ctx, incident, report, result, thread)
        await self._propose(job, ctx, incident, report, result, thread)
        return result

    async def _run_followup(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """A question asked in the thread of an earlier investigation, answered with its context."""
        question = str(job.payload.get("question") or "")
        parent_id = str(job.payload.get("parent") or "")
        parent = await self.queue.get(parent_id)
        if parent is None:
            raise PermanentError(f"the investigation {parent_id} this question follows is gone")
        parent_incident = _incident(parent)
        incident = from_text(question, labels=parent_incident.labels, source="slack")
        incident = incident.model_copy(update={"title": f"Follow-up on {parent_incident.title}: {question}"[:200],
                                               "started_at": parent_incident.started_at})
        result = dict(job.result or {})
        thread = self._thread(job.payload.get("reply") or {})
        if "report" not in result:
            report = await self._investigate(incident, job, thread)
            result = {"report": report.model_dump(mode="json"), "markdown": report.to_markdown(), "delivered": []}
            await ctx.save(result)
        report = Report.model_validate(result["report"])
        earlier = (parent.result or {}).get("report") or {}
        earlier_top = (earlier.get("hypotheses") or [{}])[0].get("cause", "no conclusion")
        intro = f"*Q:* {escape(question[:500])}\n*Earlier finding in this thread:* {escape(str(earlier_top))}"
        if thread is not None and "slack" not in result["delivered"]:
            await thread.post_report(report, job.id, intro=intro)
            result["delivered"].append("slack")
            await ctx.save(result)
        return result

    async def _run_resolved(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Post "resolved" in the thread of each report of the incident. A report still being written
        is waited for (a minute here, then by retrying with backoff) so the line lands after it."""
        incident = _incident(job)
        done: list[str] = list((job.result or {}).get("posted") or [])
        for job_id in [str(j) for j in job.payload.get("jobs") or [] if str(j) not in done]:
            target = await self._when_finished(job_id, RESOLVED_WAIT_SECONDS)
            if target is None:
                continue
            if target.state in ("queued", "running"):
                raise RuntimeError(f"the report of {job_id} is not delivered yet; retrying after it")
            where = (target.result or {}).get("slack_thread") or {}
            if self.slack is not None and where.get("channel") and where.get("thread_ts"):
                await SlackThread(self.slack, where["channel"], where["thread_ts"]).post_resolved(
                    incident.title, job.source)
            done.append(job_id)
            await ctx.save({"posted": done})
        return {"posted": done}

    # -- approve-to-fix: the report's remediation as a pending proposal, its pull request once approved ----
    def _target(self) -> ProposalTarget | None:
        if self.config.gitops is None:
            return None
        return ProposalTarget.for_config(self.config)  # as the completing job reads it (agent/server/proposals.py)

    async def _propose(self, job: Job, ctx: JobContext, incident: Incident, report: Report, result: dict[str, Any],
                       thread: SlackThread | None) -> None:
        """File the report's remediation as a pending proposal (the diff computed, nothing pushed) and show
        it: the diff with Approve / Deny in the Slack thread, a note on the PagerDuty incident saying how
        to approve. Each step is saved, so a retried job neither files nor posts twice."""
        if report.remediation is None:
            return
        if "proposal" not in result:
            try:
                target = self._target()
            except ValueError as exc:  # a gitops section that names no usable repository: say so, once
                result["proposal"] = {"status": "invalid", "reason": f"the GitOps settings: {exc}"}
                await ctx.save(result)
                return
            if target is None:
                return  # no GitOps repository configured: the remediation stays in the report
            reply = dict(job.payload.get("reply") or {})
            if thread is not None:
                reply["slack"] = {**(reply.get("slack") or {}), "channel": thread.channel,
                                  "thread_ts": thread.thread_ts}
            reply["job"] = job.id
            pipeline = self._pipeline().with_approver(DeferredApprover(self.approvals))
            outcome = await propose_from_report(report, incident, target, pipeline, self._actor(job), reply=reply)
            result["proposal"] = {**outcome.to_dict(), "diff": redact_text(outcome.result.diff).text,
                                  "summary": report.remediation.summary()}
            await ctx.save(result)
        proposal = result["proposal"]
        delivered: list[str] = result["delivered"]
        if proposal["status"] != "pending":
            return
        request_id = str(proposal["request_id"])
        if thread is not None and "slack_proposal" not in delivered:
            await thread.ask_proposal(request_id, proposal["summary"], proposal["diff"], self._expiry(request_id),
                                      self.policy.approval.approvers)
            delivered.append("slack_proposal")
            await ctx.save(result)
        pd = (job.payload.get("reply") or {}).get("pagerduty") or {}
        if pd.get("incident_id") and "pagerduty_proposal" not in delivered:
            await self._pagerduty_note(pd["incident_id"], how_to_approve(request_id, proposal["summary"],
                                                                         thread is not None))
            delivered.append("pagerduty_proposal")
            await ctx.save(result)

    def _expiry(self, request_id: str) -> str:
        row = self.approvals.get(request_id) or {}
        return str(row.get("expires_at") or "")

    def _pipeline(self) -> Pipeline:
        from agent.runtime import process_pipeline

        return process_pipeline(self.config)

    async def _pagerduty_note(self, incident_id: str, text: str) -> None:
        s = self.settings.pagerduty
        await post_pagerduty_note(self.http, s.api_url, read_env(s.api_token_env, self.environ), s.from_email,
                                  incident_id, text)

    async def proposal_decided(self, request_id: str, approved: bool) -> str | None:
        """A person decided a proposal (Slack, HTTP, `vigil approvals`): queue the job that opens its pull
        request. Returns the job id, or None for a refusal or a request that is not a proposal."""
        if not approved:
            return None
        try:
            proposal = read_proposal(self.approvals, request_id)
        except ProposalError:
            return None
        enqueued = await self.queue.run(enqueue_completion, self.queue.sync, proposal, self.settings.max_attempts)
        if self.settings.workers > 0:
            self.pool.wake()
        return enqueued.job_id

    async def _run_proposal(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        """Open the approved pull request, then post its link to the thread and the incident it came from."""
        request_id = str(job.payload.get("request_id") or "")
        result = dict(job.result or {})
        if "outcome" not in result:
            target = self._target()
            if target is None:
                raise PermanentError("no GitOps repository is configured (the config's gitops: section)")
            try:
                outcome = await complete_proposal(self.approvals, request_id, target, self._pipeline())
            except ProposalError as exc:
                raise PermanentError(str(exc)) from exc
            if outcome.result.status == "failed":
                raise RuntimeError(f"the pull request could not be opened: {outcome.result.reason}")
            result = {"outcome": outcome.to_dict(), "delivered": []}
            await ctx.save(result)
        outcome_data = result["outcome"]
        reply = read_proposal(self.approvals, request_id).reply
        text = proposal_outcome_text(request_id, outcome_data)
        delivered: list[str] = result["delivered"]
        slack = reply.get("slack") or {}
        if self.slack is not None and slack.get("channel") and slack.get("thread_ts") and "slack" not in delivered:
            await SlackThread(self.slack, slack["channel"], slack["thread_ts"]).post_text(text)
            delivered.append("slack")
            await ctx.save(result)
        pd = reply.get("pagerduty") or {}
        if pd.get("incident_id") and "pagerduty" not in delivered:
            await self._pagerduty_note(pd["incident_id"], text)
            delivered.append("pagerduty")
            await ctx.save(result)
        return result

    async def _when_finished(self, job_id: str, wait_seconds: float) -> Job | None:
        """The job once it is no longer queued or running, or as it is when `wait_seconds` have passed."""
        deadline = time.monotonic() + wait_seconds
        while True:
            job = await self.queue.get(job_id)
            if job is None or job.state not in ("queued", "running") or time.monotonic() >= deadline:
                return job
            await asyncio.sleep(0.25)

    async def _investigate(self, incident: Incident, job: Job, thread: SlackThread | None) -> Report:
        progress = thread.progress if thread is not None else None
        attributes: dict[str, str | int] = {
            "vigil.job.id": job.id, "vigil.job.kind": job.kind, "vigil.job.attempt": job.attempts,
            "vigil.incident.fingerprint": incident.fingerprint, "vigil.source": job.source}
        with tracer().start_as_current_span("vigil.job", attributes=attributes):
            try:
                return await self.investigate(incident, self.config, actor=self._actor(job),
                                              approver=self._approver(thread), progress=progress)
            finally:
                if thread is not None:
                    await thread.finish_progress()

    async def _deliver(self, job: Job, ctx: JobContext, incident: Incident, report: Report, result: dict[str, Any],
                       thread: SlackThread | None) -> None:
        delivered: list[str] = result["delivered"]
        reply = job.payload.get("reply") or {}
        pd = reply.get("pagerduty") or {}
        if pd.get("incident_id") and "pagerduty" not in delivered:
            s = self.settings.pagerduty
            await post_pagerduty_note(self.http, s.api_url, read_env(s.api_token_env, self.environ), s.from_email,
                                      pd["incident_id"], report.to_markdown())
            delivered.append("pagerduty")
            await ctx.save(result)
        if thread is not None and "slack" not in delivered:
            png = await self._chart(incident, report) if self.settings.slack.charts else None
            await thread.post_report(report, job.id, png)
            delivered.append("slack")
            result["slack_thread"] = {"channel": thread.channel, "thread_ts": thread.thread_ts}
            await ctx.save(result)

    async def _chart(self, incident: Incident, report: Report) -> bytes | None:
        """The series that moved, from the investigation's own range queries; None when nothing moved."""
        prom = getattr(self.config, "prometheus", None)
        base_url = getattr(prom, "url", None)
        calls = [e for e in report.evidence if e.tool == "prom_query_range" and e.ok]
        if not base_url or not calls:
            return None
        series: list[chart.Series] = []
        for call in calls[:6]:
            try:
                series += await chart.fetch_range_series(self.http, base_url, call.arguments)
            except (httpx.HTTPError, ValueError) as exc:
                log.info("chart: cannot re-run %s: %s", call.arguments.get("query"), exc)
        start = incident.started_at.timestamp()
        end = max([t for s in series for t, _ in s.points] or [datetime.now(UTC).timestamp()])
        chosen = chart.moved(series, start, end)
        if not chosen:
            return None
        return await asyncio.to_thread(chart.render_png, chosen, start, end, incident.title)

    # -- who acts, who approves, where answers go ------------------------------------------------------
    def _actor(self, job: Job) -> Actor:
        reply = job.payload.get("reply") or {}
        user = (reply.get("slack") or {}).get("user")
        if job.source == "slack" and user:
            return Actor(name=f"slack:{user}", origin="slack", team=self.config.team)
        origin = job.source if job.source in ("pagerduty", "alertmanager") else "http"
        return Actor(name=f"{origin}-webhook", origin=origin, team=self.config.team)  # type: ignore[arg-type]

    def _approver(self, thread: SlackThread | None) -> Approver | None:
        """Slack-started runs ask in their thread; webhook runs in the approvals channel, if one is set."""
        target = thread
        if target is None and self.slack is not None and self.settings.slack.approvals_channel:
            target = SlackThread(self.slack, self.settings.slack.approvals_channel, None)
        if target is None:
            return None
        tasks: set[asyncio.Task[None]] = set()

        def notify(request: ApprovalRequest) -> None:
            task = asyncio.get_running_loop().create_task(target.ask_approval(request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        return StoreApprover(self.approvals, notify=notify)

    def _thread(self, reply: dict[str, Any]) -> SlackThread | None:
        if self.slack is None:
            return None
        slack = reply.get("slack") or {}
        if slack.get("channel"):
            return SlackThread(self.slack, slack["channel"], slack.get("thread_ts"))
        if self.settings.slack.report_channel:
            return SlackThread(self.slack, self.settings.slack.report_channel, None)
        return None

    async def aclose(self) -> None:
        self.pool.stop()
        await self.http.aclose()


def _approval_store(queue: JobQueue, config: Config) -> PendingApprovalStore:
    """Where pending approvals wait: beside the jobs in PostgreSQL when replicas share a database (a
    Slack click may reach any replica), else in the state directory's SQLite file."""
    if isinstance(queue, PostgresQueue):
        return PostgresApprovalStore(queue.url)
    return PendingApprovalStore(config.state_dir / "approvals.db")


def how_to_approve(request_id: str, summary: str, in_slack: bool) -> str:
    """The PagerDuty note of a pending proposal: what it would change and every way to decide it."""
    slack = "the Approve button in the Slack thread, or " if in_slack else ""
    return (f"Vigil proposes a fix: {summary}\nNothing is changed until an approver agrees. Approve with "
            f"{slack}`vigil approvals approve {request_id}` (deny: `vigil approvals deny {request_id}`), or "
            f"POST /approvals/{request_id}/approve on vigil serve. The pull request opens after approval.")


def proposal_outcome_text(request_id: str, outcome: dict[str, Any]) -> str:
    """One line for the thread and the incident once an approved proposal was acted on."""
    if outcome.get("pr_url"):
        return (f"Pull request for the approved fix ({request_id}): {outcome['pr_url']} "
                f"(branch {outcome.get('branch')}; undo with `vigil rollback {outcome.get('action_id')}`)")
    return f"No pull request for {request_id}: {outcome.get('status')}: {outcome.get('reason')}"


def _incident(job: Job) -> Incident:
    try:
        return Incident.model_validate(job.payload.get("incident"))
    except ValidationError as exc:
        raise PermanentError(f"the stored incident of job {job.id} cannot be read: {exc}") from exc


__all__ = ["FOLLOWUP", "INVESTIGATE", "PROPOSE", "RESOLVED", "DeliveryError", "FrontDoor", "InvestigateFn"]
