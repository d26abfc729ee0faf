"""Fixtures for the telemetry tests: an in-memory setup per test, and a small investigation to trace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from opentelemetry.sdk.trace import ReadableSpan

from agent.incident import Incident, from_text
from agent.investigation import Investigator
from agent.llm.base import Model
from agent.report import Report
from agent.runbooks.catalog import Catalog
from agent.telemetry import Telemetry, in_memory_telemetry
from agent.toolhub import ToolHub
from guardrails.action import Actor
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline
from guardrails.policy import load_policy
from guardrails.usage import UsageLedger
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server
from tests.policies import DENY_KUBE_SYSTEM

CANARY = "zebra-canary-5521"
"""A phrase that appears only in the incident text and tool output: it must never reach a span."""
LOG_LINE = f"ValueError: could not convert string to float: '30s' ({CANARY} in the log)"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    setup = in_memory_telemetry()
    yield setup
    setup.shutdown()


def toy_server(tmp_path: Path) -> MCPServer:
    """Fixed answers a crash-looping payments pod would give; k8s_events fails like a flaky API server."""
    server = create_server("toy-k8s", "fixed answers", ServerGuard.for_tests(tmp_path / "server", "toy"))

    @server.tool(annotations=READ_ONLY)
    def k8s_describe(kind: str, name: str, namespace: str = "", context: str = "") -> str:
        """Describe an object."""
        return f"{kind} {namespace}/{name}\nState: Waiting (CrashLoopBackOff)\nLast termination: Error, exit code 1"

    @server.tool(annotations=READ_ONLY)
    def k8s_logs(name: str, namespace: str, container: str = "", previous: bool = False, context: str = "") -> str:
        """Pod logs."""
        return f"Traceback (most recent call last):\n  File \"/app/payments/config.py\", line 42\n{LOG_LINE}"

    @server.tool(annotations=READ_ONLY)
    def k8s_events(namespace: str = "", context: str = "") -> str:
        """Events."""
        raise ToolError("the API server answered 503; try again in a minute")

    return server


def payments_incident() -> Incident:
    inc = from_text(f"payments pods are crashlooping in namespace payments, see {CANARY}")
    inc.labels.update({"namespace": "payments", "pod": "payments-6c9d7f9b8-abcde", "cluster": "prod-eu"})
    return inc


async def investigate(tmp_path: Path, model: Model | None, *, actor: Actor | None = None,
                      ledger: UsageLedger | None = None, policy: Path | None = None,
                      incident: Incident | None = None) -> tuple[Report, Path]:
    """Run one investigation against the toy server; returns the report and the agent's audit log path."""
    audit_path = tmp_path / "audit.jsonl"
    pipeline = Pipeline(load_policy(policy or DENY_KUBE_SYSTEM), AuditLog(audit_path), ledger=ledger)
    actor = actor or Actor(name="agent", origin="agent", team="payments")
    async with ToolHub(pipeline, actor, "run_telemetry") as hub:
        await hub.connect("toy", toy_server(tmp_path))
        report = await Investigator(hub, model, Catalog.load()).investigate(incident or payments_incident())
    return report, audit_path


def finished(telemetry: Telemetry) -> list[ReadableSpan]:
    """Every span the in-memory setup has seen end."""
    assert telemetry.span_exporter is not None, "not an in-memory setup"
    return list(telemetry.span_exporter.get_finished_spans())


def attrs(item: ReadableSpan | Any) -> dict[str, Any]:
    """A span's (or span event's, or metric point's) attributes as a plain dict."""
    return dict(item.attributes or {})
