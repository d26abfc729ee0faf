"""Assembling one investigation from the configuration: the single entry every front door uses.

The CLI, the demo, `vigil serve` (webhooks, Slack) and the `investigate` MCP tool all call
`investigate_incident`, so an alert from PagerDuty and a question typed at a terminal go through the
same guardrails, the same servers and the same loop.

One guardrail pipeline per process: every `Runtime` built from the same guardrail settings (policy
file, audit log, state directory) shares it, and so does each in-process server, so a rate limit
holds across investigations and a call the agent judged is not judged again by its server. A front
door's own approver (a Slack thread) is the same pipeline asking someone else (`with_approver`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mcp import StdioServerParameters
from mcp.server.mcpserver import MCPServer

from agent import telemetry
from agent.config import Config, ExternalServer
from agent.incident import Incident
from agent.investigation import Investigator, Progress
from agent.llm.base import Model, close_model
from agent.llm.settings import build_model, build_summarizer
from agent.quiet_logs import quiet_client_loggers
from agent.report import Report
from agent.runbooks.catalog import Catalog, default_dirs
from agent.toolhub import HubTool, ToolHub
from guardrails.action import Actor, Risk, new_id
from guardrails.approval import Approver, AutoDenyApprover
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline, default_policy_path
from guardrails.policy import load_policy
from guardrails.rollback import RollbackStore
from guardrails.usage import UsageLedger
from mcp_servers.common.server import ServerGuard

ServerBuilder = Callable[[Config, ServerGuard], MCPServer | None]
"""Builds one of Vigil's own servers from the config, or None when the config does not enable it."""


@dataclass
class Runtime:
    """The long-lived parts shared by every investigation of one process."""

    config: Config
    pipeline: Pipeline
    """The process's pipeline for these settings, asking this runtime's approver."""
    _guards: dict[str, ServerGuard] = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, config: Config, approver: Approver | None = None) -> Runtime:
        if config.telemetry.otlp_endpoint:
            telemetry.ensure_telemetry(config.telemetry)  # once per process; flushed at exit
        return cls(config, process_pipeline(config).with_approver(approver or AutoDenyApprover()))

    def server_guard(self, name: str) -> ServerGuard:
        """An in-process server's guard: the same pipeline (so the hub's calls carry a pass and are judged
        once), nobody to approve for a client that reaches the server directly, and its own name in records."""
        if name not in self._guards:
            self._guards[name] = ServerGuard(self.pipeline.with_approver(AutoDenyApprover()), where=f"server:{name}")
        return self._guards[name]

    def catalog(self, connected: Iterable[HubTool] = ()) -> Catalog:
        """The runbook catalog, linted against the built-in tools plus those of the connected servers:
        a tool annotated read-only may be a step; any other is a write and may not."""
        from agent.runbooks.tools import KNOWN_TOOLS, WRITE_TOOLS

        tools = list(connected)
        known = KNOWN_TOOLS | {t.name for t in tools}
        writes = WRITE_TOOLS | {t.name for t in tools if not t.spec.read_only or t.spec.risk != Risk.READ}
        return Catalog.load([*self.config.runbook_dirs, *default_dirs()], known, writes)


_PIPELINES: dict[tuple[str, ...], tuple[str, Pipeline]] = {}
"""Settings -> (the policy file's stamp when loaded, the pipeline): one entry per settings, so an edit replaces it."""
_PIPELINES_LOCK = threading.Lock()


def process_pipeline(config: Config) -> Pipeline:
    """This process's one pipeline for the config's guardrail settings, built on first use.

    Keyed by the policy file, the audit log and its settings, and the state directory. The policy's
    modification time is kept beside it: an edited policy is loaded, with fresh rate windows, on the
    next investigation, and its pipeline replaces the old one rather than piling up beside it.
    """
    policy = Path(config.policy or default_policy_path()).resolve()
    try:
        stamp = str(policy.stat().st_mtime_ns)
    except OSError:
        stamp = "missing"  # load_policy below says what is wrong
    audit = config.audit
    key = (str(policy), str(Path(config.audit_path).resolve()), str(audit.fsync), str(audit.key_file),
           str(audit.anchor_url), str(Path(config.state_dir).resolve()))
    with _PIPELINES_LOCK:
        loaded, pipeline = _PIPELINES.get(key, ("", None))
        if pipeline is None or loaded != stamp:
            state = config.state_dir
            pipeline = Pipeline(
                load_policy(policy),
                AuditLog(config.audit_path, fsync=audit.fsync, key_file=audit.key_file, anchor=audit.anchor_url),
                AutoDenyApprover(),
                RollbackStore(state / "rollback.db"),
                ledger=UsageLedger(state / "usage.db"),
                where="agent",
            )
            _PIPELINES[key] = (stamp, pipeline)
        return pipeline


def builtin_server_builders() -> dict[str, ServerBuilder]:
    """Vigil's own servers, each enabled by its section of the config."""
    from agent import server_builders

    return server_builders.BUILDERS


async def investigate_incident(incident: Incident, config: Config, *, actor: Actor,
                               approver: Approver | None = None, progress: Progress | None = None,
                               model: Model | None = None, runtime: Runtime | None = None,
                               extra_servers: dict[str, MCPServer] | None = None) -> Report:
    """Run one whole investigation and return its report (never raises for a tool or model failure)."""
    quiet_client_loggers()
    runtime = runtime or Runtime.from_config(config, approver)
    owns_model = model is None
    if model is None:
        model = build_model(config.llm)
    try:
        report = await _investigate(incident, config, actor, runtime, model, progress, extra_servers)
    finally:
        if owns_model and model is not None:
            await close_model(model)
    return report


async def _investigate(incident: Incident, config: Config, actor: Actor, runtime: Runtime, model: Model | None,
                       progress: Progress | None, extra_servers: dict[str, MCPServer] | None) -> Report:
    run_id = new_id("run")
    summarizer = build_summarizer(config.llm) if model is not None else None
    route = config.llm.route
    escalation = build_model(route.escalate_to) if model is not None and route and route.escalate_to else None
    try:
        return await _run(incident, config, actor, runtime, model, progress, extra_servers, run_id, summarizer,
                          escalation)
    finally:
        if summarizer is not None:
            await close_model(summarizer)
        await close_model(escalation)


async def _run(incident: Incident, config: Config, actor: Actor, runtime: Runtime, model: Model | None,
               progress: Progress | None, extra_servers: dict[str, MCPServer] | None, run_id: str,
               summarizer: Model | None, escalation: Model | None = None) -> Report:
    async with ToolHub(runtime.pipeline, actor, run_id, config.tool_result_tokens, summarizer) as hub:
        for name, builder in builtin_server_builders().items():
            try:
                server = builder(config, runtime.server_guard(name))
            except (OSError, ValueError, RuntimeError) as exc:  # e.g. a repository or kubeconfig that is gone
                hub.unavailable[name] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            if server is not None:
                await hub.try_connect(name, server)
        for name, server in (extra_servers or {}).items():
            await hub.connect(name, server)
        for external in config.servers:
            try:
                target, headers = _external_target(external)
            except ValueError as exc:
                hub.unavailable[external.name] = str(exc)
                continue
            await hub.try_connect(external.name, target, headers)
        investigator = Investigator(hub, model, runtime.catalog(hub.tools()), budget=config.budget,
                                    context_label=config.kubernetes.context_label,
                                    default_context=config.kubernetes.context,
                                    cluster_contexts=config.kubernetes.clusters, progress=progress,
                                    max_output_tokens=config.llm.max_output_tokens,
                                    route=config.llm.route, escalation=escalation)
        report = await investigator.investigate(incident)
    runtime.pipeline.record({"kind": "report", "run_id": run_id, "incident_id": incident.id,
                             "fingerprint": incident.fingerprint, "actor": actor.name,
                             "runbook": report.runbook_id, "complete": report.complete,
                             "summary": report.top.cause[:300] if report.top else ""})
    return report


def _external_target(external: ExternalServer) -> tuple[StdioServerParameters | str, dict[str, str] | None]:
    """How to reach a configured external MCP server: a stdio command, or a URL with its bearer token."""
    if external.command:
        return StdioServerParameters(command=external.command[0], args=list(external.command[1:]),
                                     env=external.env or None), None
    assert external.url is not None
    if external.bearer_token_env:
        token = os.environ.get(external.bearer_token_env, "")
        if not token:
            raise ValueError(f"servers.{external.name}: the environment variable {external.bearer_token_env} "
                             "is empty; export the server's token there")
        return external.url, {"Authorization": f"Bearer {token}"}
    return external.url, None
