"""The GitOps MCP server: one write tool, `propose_change`, on the same path as Vigil's own agent.

Claude Code or any MCP client can propose a fix, and it gets exactly what `vigil investigate` gets:
the file located in the GitOps repo, a comment-preserving edit, validation, the guardrail pipeline
(paths, rollback plan, approval, audit) and a pull request. The tool is annotated as not read-only.

Approval: when the client supports MCP elicitation (form mode) the human at the client is asked
with the diff in front of them, and the name they give is recorded as the approver. Otherwise the
request is filed in the pending-approval store, where Slack, the HTTP API or another channel can
resolve it; the call waits until then or until the policy's timeout, which counts as a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp import types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from agent.gitops.propose import ProposalResult, propose
from agent.gitops.remediation import ActionName, Remediation
from agent.gitops.settings import GitOpsSettings
from agent.incident import Incident
from guardrails.approval import ApprovalRecord, ApprovalRequest, Approver, PendingApprovalStore, StoreApprover
from guardrails.pipeline import Pipeline
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, fit_text
from mcp_servers.common.server import META_RISK, WRITE, ServerGuard, create_server, run_server
from mcp_servers.prometheus.caller import caller_actor

INSTRUCTIONS = """\
Propose a fix as a GitOps pull request. propose_change takes one structured remediation (actions:
set_memory_limit, set_cpu_limit, set_resources, set_replicas, set_hpa_bounds, set_image,
rollback_image, set_env, set_configmap_value, set_probe) for one workload, finds the file that
controls it in the GitOps repository, edits it preserving formatting, validates it, asks a human to
approve, and opens or updates the pull request for the incident (one per incident fingerprint).
Nothing changes in the cluster until a human merges the pull request."""


class ApprovalForm(BaseModel):
    """What the MCP client shows the human (primitive fields only, as elicitation requires)."""

    approve: bool = Field(description="Open this pull request?")
    approver: str = Field(description="Your name or handle, recorded in the audit log and the pull request")


class ElicitationApprover:
    """Asks the human at the MCP client; falls back to `fallback` when the client cannot be asked."""

    def __init__(self, ctx: Context, fallback: Approver) -> None:
        self.ctx = ctx
        self.fallback = fallback

    def supported(self) -> bool:
        try:
            session = self.ctx.request_context.session
        except (AttributeError, ValueError):
            return False
        form = types.ElicitationCapability(form=types.FormElicitationCapability())
        wanted = types.ClientCapabilities(elicitation=form)
        return bool(session.check_client_capability(wanted))

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        if not self.supported():
            return await self.fallback.decide(request)
        plan = request.action.rollback
        diff = str(plan.data.get("patch", "")) if plan else ""
        message = (f"Vigil asks for approval ({request.reason}).\n{request.summary}\n\n"
                   + fit_text(diff, 1200, "the full diff is in the pull request body") +
                   f"\nBranch {request.action.arguments.get('branch')} against "
                   f"{request.action.arguments.get('repository')}.")
        seconds = max(0.0, (request.expires_at - datetime.now(UTC)).total_seconds())
        try:
            with anyio.fail_after(seconds):
                answer = await self.ctx.elicit(message, ApprovalForm)
        except TimeoutError:
            return ApprovalRecord(False, None, "mcp elicitation", datetime.now(UTC), "no answer before the timeout")
        if answer.action != "accept":
            return ApprovalRecord(False, None, "mcp elicitation", datetime.now(UTC), f"the user chose {answer.action}")
        form = answer.data
        name = form.approver.strip() or None
        approved = bool(form.approve) and name is not None
        note = "" if approved else "not approved in the form (approving needs a name)"
        return ApprovalRecord(approved, name, "mcp elicitation", datetime.now(UTC), note)


Action = Annotated[ActionName, Field(description="Which fix (see the server instructions).")]
Value = Annotated[str | None, Field(description="New value: a quantity, replica count, env or ConfigMap value.")]
Quantities = Annotated[dict[str, str] | None, Field(description='set_resources, e.g. {"memory": "768Mi"}.')]
Revision = Annotated[int | None, Field(description="rollback_image: the rollout revision of the known-good image.")]
ProbeSettings = Annotated[dict[str, int] | None, Field(
    description='set_probe: e.g. {"timeoutSeconds": 5, "failureThreshold": 5}.')]


def build_server(settings: GitOpsSettings, guard: ServerGuard, state_dir: Path,
                 notify: Callable[[ApprovalRequest], None] | None = None) -> MCPServer:
    """The server; `notify` tells someone about a request filed in the pending-approval store."""
    server = create_server("vigil-gitops", INSTRUCTIONS, guard)
    store = PendingApprovalStore(state_dir / "approvals.db")

    @server.tool(annotations=WRITE, meta={META_RISK: "medium"})
    async def propose_change(
        action: Action,
        name: Annotated[str, Field(description="Workload name, e.g. checkout.")],
        namespace: Annotated[str, Field(description="Workload namespace.")],
        incident_fingerprint: Annotated[str, Field(description="Stable incident id; one pull request per value.")],
        incident_title: Annotated[str, Field(description="One line describing the incident.")],
        ctx: Context,
        kind: Annotated[str, Field(description="Workload kind.")] = "Deployment",
        container: Annotated[str | None, Field(description="Container, when the pod has several.")] = None,
        value: Value = None,
        limits: Quantities = None,
        requests: Quantities = None,
        min_replicas: Annotated[int | None, Field(description="set_hpa_bounds minimum.")] = None,
        max_replicas: Annotated[int | None, Field(description="set_hpa_bounds maximum.")] = None,
        image: Annotated[str | None, Field(description="set_image/rollback_image: repo:tag or a tag.")] = None,
        from_revision: Revision = None,
        variable: Annotated[str | None, Field(description="set_env: the variable name.")] = None,
        configmap: Annotated[str | None, Field(description="set_configmap_value: ConfigMap name.")] = None,
        key: Annotated[str | None, Field(description="set_configmap_value: key.")] = None,
        probe: Annotated[Literal["readiness", "liveness", "startup"] | None, Field(description="set_probe.")] = None,
        probe_settings: ProbeSettings = None,
        reason: Annotated[str, Field(description="Why, in a sentence or two, with the evidence.")] = "",
        evidence: Annotated[list[str] | None, Field(description="Evidence lines for the PR body.")] = None,
        budget_tokens: Annotated[int, Field(ge=200, le=20000)] = DEFAULT_BUDGET_TOKENS,
    ) -> str:
        """Open or update the GitOps pull request for one structured fix, after a human approves it."""
        data: dict[str, Any] = {
            "action": action, "workload": {"kind": kind, "name": name, "namespace": namespace, "container": container},
            "value": value, "limits": limits or {}, "requests": requests or {}, "min_replicas": min_replicas,
            "max_replicas": max_replicas, "image": image, "from_revision": from_revision, "name": variable,
            "configmap": configmap, "key": key, "probe": probe, "settings": probe_settings or {}, "reason": reason,
        }
        if action == "set_replicas" and value is not None and value.isdigit():
            data["value"] = int(value)
        try:
            remediation = Remediation.model_validate(data)
        except ValueError as exc:
            raise ToolError(f"the remediation is not valid: {_first_error(exc)}") from None
        actor = caller_actor(ctx, guard)
        base = guard.pipeline
        pipeline = Pipeline(base.policy, base.audit, ElicitationApprover(ctx, StoreApprover(store, notify)),
                            base.rollbacks, ledger=base.ledger, where=base.where)
        incident = Incident(fingerprint=incident_fingerprint, title=incident_title, source="mcp")
        provider = settings.build_provider()
        result = await propose(remediation, incident, evidence or [], settings.repo(state_dir), provider, pipeline,
                               actor)
        return _render(result, budget_tokens)

    return server


def _first_error(exc: ValueError) -> str:
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("For further")]
    return " ".join(lines[1:3]) if len(lines) > 1 else text


def _render(result: ProposalResult, budget_tokens: int) -> str:
    if result.status in ("refused", "invalid", "failed", "conflict"):
        what = {"refused": "refused by the guardrails", "invalid": "not proposed", "failed": "failed",
                "conflict": "stopped on a conflict"}[result.status]
        raise ToolError(f"{what}: {result.reason}")
    head = result.summary()
    notes = "".join(f"\nnote: {n}" for n in result.notes)
    rollback = f"\nundo: vigil rollback {result.action_id}" if result.action_id else ""
    return fit_text(f"{head}{notes}{rollback}\n\n{result.diff}", budget_tokens,
                    "the full diff is in the pull request")


async def serve(settings: GitOpsSettings, guard: ServerGuard, state_dir: Path,
                transport: Literal["stdio", "http"] = "stdio", *, host: str = "127.0.0.1", port: int = 8769,
                tokens: dict[str, Any] | None = None) -> None:
    await run_server(build_server(settings, guard, state_dir), transport, host=host, port=port, tokens=tokens)
