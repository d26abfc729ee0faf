"""The tool hub: MCP client sessions to Vigil's own servers and to external ones, behind the guardrails.

This is the agent's single tool-call path. A call is judged by the agent-side pipeline, sent over
MCP, and its result is redacted, scanned for injection, fitted to the context budget and fenced as
data before any model sees it.

Judged once: one of Vigil's own servers connected in-process on this same pipeline (agent/runtime.py
builds them so) is judged here with the server's own argument normaliser, and the request carries a
one-time pass, so its middleware neither judges nor screens it again: one decision record, one
result record, one fence per call. A server with a pipeline of its own (an external one, or one
built with another guard) still judges every call itself: that is a second, independent policy.

Vigil's own servers are connected in-process (the official SDK's in-memory transport: no
subprocess, same code path); external servers from the config over stdio or streamable HTTP.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

from mcp import Client, StdioServerParameters
from mcp.server.mcpserver import MCPServer
from opentelemetry.propagate import inject
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from agent.llm.base import Model
from agent.llm.summarize import summarize
from agent.telemetry import metrics, tracer
from guardrails.action import Action, Actor, Decision, Risk, ToolSpec
from guardrails.injection import InjectionReport
from guardrails.pipeline import Normaliser, Pipeline
from guardrails.quarantine import quarantine
from guardrails.redaction import redact_data
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS, fit_text
from mcp_servers.common.server import (
    META_ACTOR,
    META_COST_CLASS,
    META_JUDGED,
    META_RISK,
    META_RUN,
    META_TEAM,
    guarded,
)


@dataclass(frozen=True)
class HubTool:
    name: str
    server: str
    description: str
    spec: ToolSpec
    cost_class: str | None


@dataclass
class ToolOutcome:
    """One tool call as the loop and the report see it."""

    evidence_id: str
    """`E1`, `E2`, …: what findings cite."""
    tool: str
    arguments: dict[str, Any]
    ok: bool
    text: str
    """Redacted and fitted to the budget (cut, or condensed by the summarizer); for a denial or error,
    the message the model can act on."""
    denied: Decision | None = None
    injection: InjectionReport | None = None
    seconds: float = 0.0
    step_id: str | None = None
    """The runbook step that asked for it, when prefetched."""
    secrets_redacted: int = 0
    full_text: str = ""
    """The whole redacted result, before fitting: what the runbook's conclusion rules read."""
    data: dict[str, Any] | None = None
    """The tool's structured content (its MCP output schema), redacted: the facts rules and triage read."""

    def for_model(self) -> str:
        """The result as the model receives it: fenced as untrusted data, with its evidence id."""
        status = "ok" if self.ok else ("refused by guardrails" if self.denied else "error")
        return f"[{self.evidence_id}] {self.tool} ({status})\n" + quarantine(self.text, source=f"tool {self.tool}")


class ToolHub:
    """Holds the MCP sessions for one investigation and runs every tool call through the pipeline."""

    def __init__(self, pipeline: Pipeline, actor: Actor, run_id: str,
                 result_budget_tokens: int = DEFAULT_BUDGET_TOKENS, summarizer: Model | None = None) -> None:
        self.pipeline = pipeline
        self.actor = actor
        self.run_id = run_id
        self.result_budget_tokens = result_budget_tokens
        self.summarizer = summarizer
        """A small model that condenses results over budget (routing); without one they are cut."""
        self._stack = AsyncExitStack()
        self._clients: dict[str, Client] = {}
        self._tools: dict[str, HubTool] = {}
        self._judged_here: dict[str, Normaliser | None] = {}
        """In-process servers on this hub's pipeline, with their normalisers: their calls are judged once, here."""
        self._counter = 0
        self.outcomes: list[ToolOutcome] = []
        self.unavailable: dict[str, str] = {}
        """Servers that could not be reached, with why: the report says so and the run goes on."""

    async def __aenter__(self) -> ToolHub:
        await self._stack.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._stack.__aexit__(exc_type, exc, tb)

    async def connect(self, name: str, target: MCPServer | StdioServerParameters | str,
                      headers: dict[str, str] | None = None) -> list[HubTool]:
        """Open a session and learn the server's tools. A tool name offered twice keeps the first.

        `headers` (for a URL: e.g. the bearer token of an external server) go on every HTTP request.
        """
        transport: Any = target
        if isinstance(target, str) and headers:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = await self._stack.enter_async_context(httpx2.AsyncClient(headers=headers))
            transport = streamable_http_client(target, http_client=http)
        client = await self._stack.enter_async_context(Client(transport))
        self._clients[name] = client
        guard = guarded(target) if isinstance(target, MCPServer) else None
        if guard is not None and guard.guard.pipeline.shares_state_with(self.pipeline):
            self._judged_here[name] = guard.normalise
        listed = await client.list_tools()
        added = []
        for tool in listed.tools:
            if tool.name in self._tools:
                continue
            meta = tool.meta or {}
            read_only = bool(tool.annotations and tool.annotations.read_only_hint)
            spec = ToolSpec(name=tool.name, input_schema=tool.input_schema, read_only=read_only,
                            risk=Risk.parse(meta.get(META_RISK, "read" if read_only else "medium")))
            hub_tool = HubTool(tool.name, name, tool.description or "", spec, meta.get(META_COST_CLASS))
            self._tools[tool.name] = hub_tool
            added.append(hub_tool)
        return added

    async def try_connect(self, name: str, target: MCPServer | StdioServerParameters | str,
                          headers: dict[str, str] | None = None) -> bool:
        """`connect`, but a server that cannot be reached is noted in `unavailable` instead of raising."""
        try:
            await self.connect(name, target, headers)
        except Exception as exc:  # any transport or handshake failure: an investigation needs no single server
            self.unavailable[name] = _first_error(exc)
            return False
        return True

    def tools(self, allowed: set[str] | None = None) -> list[HubTool]:
        return [t for t in self._tools.values() if allowed is None or t.name in allowed]

    def get(self, name: str) -> HubTool | None:
        return self._tools.get(name)

    def next_evidence_id(self) -> str:
        self._counter += 1
        return f"E{self._counter}"

    async def call(self, tool: str, arguments: dict[str, Any], *, step_id: str | None = None,
                   budget_tokens: int | None = None) -> ToolOutcome:
        """Judge, call, screen. Never raises for a denial or a tool error: the outcome says what happened.

        Each call is an `execute_tool <name>` span; the server's own spans join it through the W3C
        trace context carried in the request's `_meta`.
        """
        with tracer().start_as_current_span(f"execute_tool {tool}", kind=SpanKind.CLIENT) as span:
            outcome = await self._call(tool, arguments, step_id, budget_tokens)
            hub_tool = self._tools.get(tool)
            server = hub_tool.server if hub_tool else "unknown"
            result = "denied" if outcome.denied else ("ok" if outcome.ok else "error")
            metrics().record_tool(outcome.seconds, tool=tool, server=server, outcome=result)
            if span.is_recording():
                _describe_call(span, outcome, server, result)
            return outcome

    async def _call(self, tool: str, arguments: dict[str, Any], step_id: str | None,
                    budget_tokens: int | None) -> ToolOutcome:
        started = time.monotonic()
        evidence_id = self.next_evidence_id()
        hub_tool = self._tools.get(tool)
        action = Action(actor=self.actor, tool=tool, arguments=arguments, run_id=self.run_id,
                        risk=hub_tool.spec.risk if hub_tool else Risk.READ)
        here = hub_tool is not None and hub_tool.server in self._judged_here
        verdict = await self.pipeline.check(action, hub_tool.spec if hub_tool else None,
                                            hub_tool.cost_class if hub_tool else None,
                                            self._judged_here.get(hub_tool.server) if hub_tool else None)
        if not verdict.allowed or hub_tool is None:
            denial = verdict.denial
            assert denial is not None
            rule = f" (rule {denial.rule})" if denial.rule else ""
            outcome = ToolOutcome(evidence_id, tool, arguments, False,
                                  f"refused by Vigil's guardrails at the {denial.layer} layer: {denial.reason}{rule}",
                                  denied=denial, step_id=step_id, seconds=time.monotonic() - started)
            self.outcomes.append(outcome)
            return outcome
        meta: dict[str, Any] = {META_ACTOR: self.actor.name, META_RUN: self.run_id}
        if self.actor.team:
            meta[META_TEAM] = self.actor.team
        # traceparent: the server's spans join this trace. The SDK injects too on JSON-RPC transports (stdio,
        # HTTP); doing it here keeps that true for any transport a Client is given.
        inject(meta)
        if here:  # the server shares this pipeline: the pass lets exactly this (canonical) call through unjudged
            meta[META_JUDGED] = self.pipeline.issue_pass(action)
        try:
            result = await self._clients[hub_tool.server].call_tool(tool, action.arguments, meta=cast(Any, meta))
            text = "\n".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text")
            ok = not result.is_error
            structured = result.structured_content if ok and isinstance(result.structured_content, dict) else None
        except Exception as exc:  # a transport failure is evidence too: the model can try something else
            text, ok = f"the {hub_tool.server} server failed: {type(exc).__name__}: {exc}", False
            structured = None
        screened = self.pipeline.screen_result(action, text, is_error=not ok)
        budget = budget_tokens or self.result_budget_tokens
        if self.summarizer is not None:
            fitted = await summarize(self.summarizer, screened.text, budget, source=f"tool {tool}")
        else:
            fitted = fit_text(screened.text, budget, more_hint="narrow the call (a filter, a smaller window, a limit)")
        outcome = ToolOutcome(evidence_id, tool, arguments, ok, fitted, injection=screened.injection,
                              step_id=step_id, seconds=time.monotonic() - started,
                              secrets_redacted=screened.secrets_redacted, full_text=screened.text,
                              data=redact_data(structured)[0] if structured is not None else None)
        self.outcomes.append(outcome)
        return outcome


def _first_error(exc: BaseException) -> str:
    """The innermost message of an exception group (anyio wraps transport failures in several)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:300]


def _describe_call(span: Span, outcome: ToolOutcome, server: str, result: str) -> None:
    """GenAI tool-execution attributes plus what the guardrails decided (never the arguments' values)."""
    denial = outcome.denied
    span.set_attributes({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": outcome.tool,
        "gen_ai.tool.call.id": outcome.evidence_id,
        "vigil.tool.server": server,
        "vigil.tool.outcome": result,
        "vigil.guardrail.allowed": denial is None,
        "vigil.guardrail.rule": (denial.rule if denial else None) or "none",
        "vigil.guardrail.layer": denial.layer if denial else "none",
        "vigil.secrets_redacted": outcome.secrets_redacted,
        "vigil.injection_flagged": bool(outcome.injection and outcome.injection.suspicious),
    })
    if outcome.step_id:
        span.set_attribute("vigil.runbook.step", outcome.step_id)
    if result == "error":
        span.set_attribute("error.type", "tool_error")
        span.set_status(Status(StatusCode.ERROR, "the tool answered with an error"))  # its text is untrusted data
