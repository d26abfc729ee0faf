"""`investigate`: a whole investigation as one MCP tool, for Claude Code and other MCP clients.

A client such as Claude Code can already call Vigil's individual tools (`k8s_*`, `prom_*`, ...).
This tool is the other way in: hand Vigil the problem and get back the finished report (runbook
checks run in parallel, rules or the configured model conclude), so the client's own context holds
a compact, cited answer rather than dozens of raw tool results. The report is fitted to the caller's
token budget; the full version stays in the audit trail.

The incident text and labels the client passes are untrusted data like any alert: they are matched
and substituted as values, never followed as instructions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from agent.config import Config
from agent.incident import Incident, IncidentError, from_alertmanager, from_text
from agent.report import Report
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, fit_text
from mcp_servers.common.server import READ_ONLY, ServerGuard, caller_actor, create_server

INSTRUCTIONS = (
    "Vigil investigates production incidents read-only: it picks the matching runbook, gathers evidence "
    "from Kubernetes, Prometheus, Loki and the code graph behind guardrails, and returns ranked root-cause "
    "hypotheses that cite evidence ids (E1, E2, ...). Call `investigate` with a plain description of the "
    "problem (name the namespace, workload and cluster when known), or with an Alertmanager webhook body. "
    "It never changes the cluster; proposed fixes are returned as data. With `propose_fix` true and a GitOps "
    "repository configured, the report's fix is also filed as a pending pull request: nothing is pushed until "
    "a person approves it (`vigil approvals approve ID`, Slack, or the HTTP API)."
)

InvestigateFn = Callable[..., Awaitable[Report]]

MAX_QUESTION_CHARS = 32_000
"""A problem description with a pasted alert or log excerpt fits in a few thousand characters; a
question past this bound is refused by the tool's input schema (a tool error naming the field)
rather than investigated: its text would go to the model and the runbook matcher whole."""
MAX_LABELS = 64
MAX_LABEL_NAME_CHARS = 256
MAX_LABEL_VALUE_CHARS = 4096
"""Label bounds as the incident's other doors read them (Alertmanager's label sets are far smaller)."""
LabelName = Annotated[str, Field(min_length=1, max_length=MAX_LABEL_NAME_CHARS)]
LabelValue = Annotated[str, Field(max_length=MAX_LABEL_VALUE_CHARS)]


def _default_investigate() -> InvestigateFn:
    from agent.runtime import investigate_incident

    return investigate_incident


async def _load_investigate() -> InvestigateFn:
    """The agent, imported in a worker thread. The import (every server's tools, the loop, the model
    layer) takes seconds on a cold start; on the event loop it stalled every other request of every
    session for as long: a `notifications/cancelled` or `tools/list` sent meanwhile went unanswered
    for over ten seconds on a fresh checkout."""
    return await anyio.to_thread.run_sync(_default_investigate)


def build_server(config: Config, guard: ServerGuard, runner: InvestigateFn | None = None) -> MCPServer:
    """The server with its one tool; `runner` is injectable so tests can use a deterministic investigation."""
    server = create_server("vigil-investigate", INSTRUCTIONS, guard)
    # the agent (every server's tools, the loop, the model layer) loads on the first call, not before initialize

    @server.tool(annotations=READ_ONLY, structured_output=False)
    async def investigate(
        ctx: Context,
        question: Annotated[str, Field(max_length=MAX_QUESTION_CHARS,
                                       description="What is wrong, e.g. 'checkout pods OOMKilled in namespace "
                                                   "shop since the 1.9.0 deploy'.")] = "",
        labels: Annotated[dict[LabelName, LabelValue] | None, Field(
            max_length=MAX_LABELS, description="Known labels: namespace, deployment, pod, cluster, alertname, "
                                               "service.")] = None,
        alertmanager_payload: Annotated[dict[str, Any] | None, Field(
            description="An Alertmanager webhook (version 4) body, instead of a question.")] = None,
        output: Annotated[str, Field(max_length=16, description="'markdown' (default) or 'json'.")] = "markdown",
        budget_tokens: Annotated[int, Field(ge=200, le=20000,
                                            description="Most tokens the answer may use.")] = DEFAULT_BUDGET_TOKENS,
        propose_fix: Annotated[bool, Field(description="File the report's remediation as a pending pull request "
                                                       "(pushed only after a person approves it).")] = False,
    ) -> str:
        """Run a whole read-only investigation; returns ranked root-cause hypotheses citing evidence."""
        incident = _incident(question, labels, alertmanager_payload)
        if output not in ("markdown", "json"):
            raise ToolError(f"output {output!r} is not supported; use 'markdown' or 'json'")
        run = runner or await _load_investigate()
        actor = caller_actor(ctx, guard)
        report = await run(incident, config, actor=actor, progress=_Progress(ctx))
        text = report.to_markdown() if output == "markdown" else report.to_json()
        if propose_fix:
            text += "\n\n" + await _propose(config, guard, report, incident, actor)
        return fit_text(text, budget_tokens, "raise budget_tokens to see the rest of the report")

    return server


async def _propose(config: Config, guard: ServerGuard, report: Report, incident: Incident, actor: Any) -> str:
    """The report's remediation through the one approve-to-fix path, as a pending request: the caller
    is a program and may not approve its own change, so a person decides out of band."""
    from agent.gitops.from_report import ProposalTarget, propose_from_report
    from agent.queue.approvals import approval_store_for
    from guardrails.approval import DeferredApprover
    from guardrails.redaction import redact_text

    if report.remediation is None:
        return "## Proposed fix\nNone: the report carries no remediation."
    if config.gitops is None:
        return "## Proposed fix\nNot filed: no GitOps repository is configured (the config's gitops: section)."
    try:
        target = ProposalTarget.for_config(config)  # as the approval's completion reads it
    except ValueError as exc:
        return f"## Proposed fix\nNot filed: {exc}"
    pipeline = guard.pipeline.with_approver(DeferredApprover(approval_store_for(config)))
    outcome = await propose_from_report(report, incident, target, pipeline, actor)
    diff = redact_text(outcome.result.diff).text
    if outcome.pending:
        return (f"## Proposed fix\nPending approval `{outcome.pending_id}`; nothing was pushed. A person approves "
                f"it with `vigil approvals approve {outcome.pending_id}` and the pull request opens then."
                f"\n\n```diff\n{diff}\n```")
    return f"## Proposed fix\n{outcome.result.summary()}" + (f"\n\n```diff\n{diff}\n```" if diff else "")


class _Progress:
    """Relays the investigation's steps to the client as MCP progress notifications (Claude Code shows
    them while the tool runs). Best effort: a client that asked for no progress simply gets none."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.steps = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, event: str, details: dict[str, Any]) -> None:
        message = _progress_message(event, details)
        if message is None:
            return
        self.steps += 1
        task = asyncio.get_running_loop().create_task(self._send(float(self.steps), message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, step: float, message: str) -> None:
        with contextlib.suppress(Exception):
            await self.ctx.report_progress(step, None, message)


def _progress_message(event: str, details: dict[str, Any]) -> str | None:
    if event == "runbook":
        return f"runbook: {details.get('id') or 'none matched'}"
    if event == "prefetch":
        return f"running {len(details.get('calls') or [])} runbook checks"
    if event == "tool":
        return f"{details.get('id')} {details.get('tool')}: {'ok' if details.get('ok') else 'failed'}"
    if event == "model":
        return f"model turn {details.get('turn')}"
    if event == "done":
        return "report ready"
    return None


def _incident(question: str, labels: dict[str, str] | None, payload: dict[str, Any] | None) -> Incident:
    try:
        if payload is not None:
            incidents = from_alertmanager(payload)
            firing = [i for i in incidents if i.status == "firing"] or incidents
            incident = firing[0]
            return incident.model_copy(update={"source": "mcp"})
        return from_text(question, labels=labels or {}, source="mcp")
    except IncidentError as exc:
        raise ToolError(f"{exc}. Pass `question` (a description of the problem) or a valid "
                        "`alertmanager_payload`.") from exc
