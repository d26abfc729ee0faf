"""The GitOps MCP server: one write tool, `propose_change`, on the same path as Vigil's own agent.

Claude Code or any MCP client can propose a fix, and it gets exactly what `vigil investigate` gets:
the file located in the GitOps repo, a comment-preserving edit, validation, the guardrail pipeline
(paths, rollback plan, approval, audit) and a pull request. The tool is annotated as not read-only.

Approval: the approver is always an authenticated identity, never a name a client types. The
caller may approve its own proposal only up to the policy's `approval.self_approval_max` (default
`low`, so never a pull request unless the policy says so); then, when the client supports MCP
elicitation, it is asked with the diff in front of it and recorded as the approver. Otherwise the
request is filed in the pending-approval store and the call answers at once with "pending approval
<id>"; a person who is not the requester decides it out of band (`vigil approvals approve <id>`,
Slack, the HTTP API), and the same call made again then opens the pull request. Nothing is pushed
before that.
"""

# No `from __future__ import annotations`: the tool signature refers to a local resolver,
# which MCPServer can only see when annotations are evaluated where they are written.

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from pydantic import BaseModel, Field

from agent.gitops.edits import NoChangeNeeded
from agent.gitops.git import GitError
from agent.gitops.locate import LocateError
from agent.gitops.propose import ProposalResult, branch_for, preview, propose
from agent.gitops.remediation import ActionName, Remediation
from agent.gitops.settings import GitOpsSettings
from agent.gitops.validate import ValidationFailed
from agent.gitops.yamldoc import YamlEditError
from agent.incident import Incident
from guardrails.action import Risk
from guardrails.approval import (
    ApprovalRecord,
    ApprovalRequest,
    Approver,
    DeferredApprover,
    PendingApprovalStore,
    pending_note,
)
from guardrails.redaction import redact_text
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, fit_text
from mcp_servers.common.server import META_RISK, WRITE, ServerGuard, caller_actor, create_server, run_server

INSTRUCTIONS = """\
Propose a fix as a GitOps pull request. propose_change takes one structured remediation (actions:
set_memory_limit, set_cpu_limit, set_resources, set_replicas, set_hpa_bounds, set_image,
rollback_image, set_env, set_configmap_value, set_probe) for one workload, finds the file that
controls it in the GitOps repository, edits it preserving formatting, validates it, asks a human to
approve, and opens or updates the pull request for the incident (one per incident fingerprint).
Nothing changes in the cluster until a human merges the pull request."""


class ApprovalForm(BaseModel):
    """What the MCP client shows the human (primitive fields only, as elicitation requires). There is no
    name field: the approver recorded is the caller the server authenticated, whatever a client sends."""

    approve: bool = Field(description="Open this pull request?")


class AnsweredApprover:
    """The decision the human gave through MCP elicitation before the pipeline ran.

    MCP (2026-07-28 and later) asks the client inside the tool call's own round trips, so the
    question is put by a resolver that runs before the tool body, with the exact diff. The pipeline
    then receives that answer here. It holds only for the diff that was shown: if the change
    computed now differs (the base branch moved between rounds), the answer does not transfer.
    """

    def __init__(self, outcome: ElicitationResult[ApprovalForm], shown_diff: str, caller: str) -> None:
        self.outcome = outcome
        self.shown_diff = shown_diff
        self.caller = caller

    async def decide(self, request: ApprovalRequest) -> ApprovalRecord:
        now = datetime.now(UTC)
        if not isinstance(self.outcome, AcceptedElicitation):
            return ApprovalRecord(False, None, "mcp elicitation", now, f"the user chose {self.outcome.action}")
        plan = request.action.rollback
        if plan is None or plan.data.get("patch") != self.shown_diff:
            return ApprovalRecord(False, None, "mcp elicitation", now,
                                  "the change differs from the one shown for approval; call the tool again")
        approved = self.outcome.data.approve is True
        note = "" if approved else "not approved in the form"
        return ApprovalRecord(approved, self.caller, "mcp elicitation", now, note)


def _supports_form_elicitation(ctx: Context) -> bool:
    try:
        capabilities = ctx.client_capabilities
    except (AttributeError, ValueError):
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


Action = Annotated[ActionName, Field(description="Which fix (see the server instructions).")]
Value = Annotated[str | None, Field(description="New value: a quantity, replica count, env or ConfigMap value.")]
Quantities = Annotated[dict[str, str] | None, Field(description='set_resources, e.g. {"memory": "768Mi"}.')]
Revision = Annotated[int | None, Field(description="rollback_image: the rollout revision of the known-good image.")]
ProbeSettings = Annotated[dict[str, int] | None, Field(
    description='set_probe: e.g. {"timeoutSeconds": 5, "failureThreshold": 5}.')]


def _remediation(args: dict[str, Any]) -> Remediation:
    """The tool's flat arguments as a Remediation; ToolError naming the field when they do not fit."""
    data: dict[str, Any] = {
        "action": args["action"],
        "workload": {"kind": args["kind"], "name": args["name"], "namespace": args["namespace"],
                     "container": args["container"]},
        "value": args["value"], "limits": args["limits"] or {}, "requests": args["requests"] or {},
        "min_replicas": args["min_replicas"], "max_replicas": args["max_replicas"], "image": args["image"],
        "from_revision": args["from_revision"], "name": args["variable"], "configmap": args["configmap"],
        "key": args["key"], "probe": args["probe"], "settings": args["probe_settings"] or {},
        "reason": args["reason"],
    }
    if args["action"] == "set_replicas" and isinstance(args["value"], str) and args["value"].isdigit():
        data["value"] = int(args["value"])
    try:
        return Remediation.model_validate(data)
    except ValueError as exc:
        raise ToolError(f"the remediation is not valid: {_first_error(exc)}") from None


NOT_CONFIGURED = ("GitOps is not configured ({problem}): set VIGIL_GITOPS_REMOTE to a git URL or path, or "
                  "VIGIL_GITOPS_PROVIDER=github|gitlab with VIGIL_GITOPS_REPOSITORY and a token variable "
                  "(docs/gitops.md), then restart this server")


def build_server(settings: GitOpsSettings | None, guard: ServerGuard, state_dir: Path,
                 notify: Callable[[ApprovalRequest], None] | None = None, *, problem: str = "") -> MCPServer:
    """The server; `notify` tells someone about a request filed in the pending-approval store.

    With `settings` None (nothing configured yet, as in a fresh clone) the server still starts and
    lists its tool, so an MCP client connects; each call answers which settings to provide.
    """
    server = create_server("vigil-gitops", INSTRUCTIONS, guard)
    store = PendingApprovalStore(state_dir / "approvals.db")
    shown: dict[str, str] = {}
    """The diff last shown for approval, per incident fingerprint."""

    async def ask_approval(
        ctx: Context, action: str, name: str, namespace: str, incident_fingerprint: str, kind: str,
        container: str | None, value: str | None, limits: dict[str, str] | None, requests: dict[str, str] | None,
        min_replicas: int | None, max_replicas: int | None, image: str | None, from_revision: int | None,
        variable: str | None, configmap: str | None, key: str | None, probe: str | None,
        probe_settings: dict[str, int] | None, reason: str,
    ) -> Elicit[ApprovalForm] | str | None:
        """Put the exact diff before the human at the client; None when the client cannot be asked, or may
        not approve this risk for itself (the request then goes to an out-of-band approver)."""
        if settings is None or not _supports_form_elicitation(ctx):
            return None
        if Risk.parse(settings.risk) > guard.pipeline.policy.approval.self_approval_risk:
            return None
        args = dict(locals())
        remediation = _remediation(args)
        try:
            change, diff = await preview(remediation, settings.repo(state_dir), settings.build_provider())
        except (LocateError, YamlEditError, ValidationFailed, NoChangeNeeded, GitError, ValueError) as exc:
            return f"not proposed: {exc}"
        shown[incident_fingerprint] = diff
        message = (f"Vigil asks for approval to open a pull request (risk {settings.risk}).\n{remediation.summary()}\n"
                   f"Target: {change.location.describe()}; branch {branch_for(incident_fingerprint)} "
                   f"against {settings.base}.\n\n"
                   + fit_text(redact_text(diff).text, 1200, "the full diff goes into the pull request body"))
        return Elicit(message, ApprovalForm)

    @server.tool(annotations=WRITE, meta={META_RISK: "medium"})
    async def propose_change(
        action: Action,
        name: Annotated[str, Field(description="Workload name, e.g. checkout.")],
        namespace: Annotated[str, Field(description="Workload namespace.")],
        incident_fingerprint: Annotated[str, Field(description="Stable incident id; one pull request per value.")],
        incident_title: Annotated[str, Field(description="One line describing the incident.")],
        ctx: Context,
        approval: Annotated[ElicitationResult[ApprovalForm], Resolve(ask_approval)],
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
        if settings is None:
            raise ToolError(NOT_CONFIGURED.format(problem=problem))
        remediation = _remediation(dict(locals()))
        asked = not (isinstance(approval, AcceptedElicitation) and approval.data is None)
        if isinstance(approval, AcceptedElicitation) and isinstance(approval.data, str):
            raise ToolError(approval.data)
        caller = caller_actor(ctx, guard)
        approver: Approver = (AnsweredApprover(approval, shown.get(incident_fingerprint, ""), caller.name) if asked
                              else DeferredApprover(store, notify))
        base = guard.pipeline
        pipeline = base.with_approver(approver)  # the same pipeline (rate window, layers), this call's approver
        incident = Incident(fingerprint=incident_fingerprint, title=incident_title, source="mcp")
        try:
            provider = settings.build_provider()
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        result = await propose(remediation, incident, evidence or [], settings.repo(state_dir), provider, pipeline,
                               caller)
        if isinstance(approver, DeferredApprover) and approver.pending_id and result.status == "refused":
            return (f"{pending_note(approver.pending_id)}; nothing was pushed. Once a person other than "
                    f"{caller.name!r} has approved it, the same request made again opens the pull request."
                    f"\n\n{fit_text(result.diff, budget_tokens, 'the full diff is in the approval request')}")
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


async def serve(settings: GitOpsSettings | None, guard: ServerGuard, state_dir: Path,
                transport: Literal["stdio", "http"] = "stdio", *, host: str = "127.0.0.1", port: int = 8769,
                tokens: dict[str, Any] | None = None, problem: str = "") -> None:
    await run_server(build_server(settings, guard, state_dir, problem=problem), transport, host=host, port=port,
                     tokens=tokens)
