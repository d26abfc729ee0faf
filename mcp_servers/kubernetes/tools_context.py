"""The two context tools of the Kubernetes server: k8s_changes (what changed before the symptom)
and k8s_topology (what the service depends on and sits beside).

They are registered by `build_server` through `register`, share its KubeClient, its thread runner
(which turns API errors into clear tool errors) and its policy visibility filter, and answer with
a typed result (MCP output schema) whose text is rendered from the same object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from guardrails.timeparse import parse_duration, parse_time
from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS
from mcp_servers.common.server import READ_ONLY
from mcp_servers.common.structured import typed_result
from mcp_servers.kubernetes import changes as ch
from mcp_servers.kubernetes import render as r
from mcp_servers.kubernetes import topology as tp
from mcp_servers.kubernetes.client import KubeClient

T = TypeVar("T")
Runner = Callable[[str, Callable[[], T]], Awaitable[T]]
Visibility = Callable[[Context | None, str, str], Callable[[str], bool]]

MAX_WINDOW = timedelta(days=30)

KubeContext = Annotated[str | None, Field(description="kubeconfig context; default the current one.")]
Budget = Annotated[int, Field(ge=200, le=20000, description="Token budget for the text answer (default 2000).")]


def parse_window(at: str | None, window: str, now: datetime | None = None) -> tuple[datetime, timedelta]:
    """(`at`, window length) from the tool's arguments, or a ToolError naming the field and the fix."""
    try:
        when = parse_time(at, now) if at else (now or datetime.now(UTC))
    except ValueError as exc:
        raise ToolError(f"argument 'at': {exc}") from None
    try:
        length = timedelta(seconds=parse_duration(window))
    except ValueError as exc:
        raise ToolError(f"argument 'window': {exc}") from None
    if length <= timedelta(0) or length > MAX_WINDOW:
        raise ToolError(f"argument 'window': {window!r} must be more than 0 and at most 30d (e.g. 2h, 90m)")
    return when, length


def register(server: MCPServer, kc: KubeClient, run: Runner[Any], visibility: Visibility) -> None:
    """Add k8s_changes and k8s_topology to `server` (called once from build_server)."""

    @server.tool(annotations=READ_ONLY)
    async def k8s_changes(
        namespace: Annotated[str, Field(description="Only this namespace; empty means the whole cluster.")] = "",
        at: Annotated[str | None, Field(description="End of the window, RFC 3339 (the incident time); "
                                                    "default now.")] = None,
        window: Annotated[str, Field(description="How far back from `at`: 2h (default), 30m, 1d.")] = "2h",
        context: KubeContext = None,
        budget_tokens: Budget = DEFAULT_BUDGET_TOKENS,
        ctx: Context | None = None,
    ) -> Annotated[CallToolResult, ch.ChangesResult]:
        """What changed before `at`, newest first: rollouts with the pod-template diff (image, env,
        envFrom, volumes, resources, probes, command), ConfigMap/Secret writes (Secret key names
        only), HPA rescales, node condition transitions, certificate renewals, Helm releases,
        one-off Jobs (with the schema statements their logs print), objects created or deleted.
        Events only reach back about an hour."""
        when, length = parse_window(at, window)

        def work() -> Any:
            ctx_name = kc.resolve_context(context)
            objects, hidden, errors = ch.read_objects(kc, ctx_name, namespace or None,
                                                      visibility(ctx, "k8s_changes", ctx_name))
            result = ch.changes_result(objects, when, length, hidden, errors)
            result = ch.with_job_logs(result, objects, lambda ns, pod, c: kc.get_text(ctx_name, kc.resolve_kind(
                ctx_name, "pods").object_path(ns, pod, "log"), {"container": c or None, "tailLines": ch.JOB_LOG_LINES}))
            hint = "narrow with " + r.call("k8s_changes", namespace=namespace or "<namespace>", at=ch.iso(when),
                                           window="<shorter>")
            return typed_result(result, ch.render(result, budget_tokens, hint))

        answer: CallToolResult = await run("k8s_changes", work)
        return answer

    @server.tool(annotations=READ_ONLY)
    async def k8s_topology(
        name: Annotated[str, Field(min_length=1, max_length=253,
                                   description="A Service, Deployment, StatefulSet, DaemonSet or Pod name.")],
        namespace: Annotated[str, Field(description="Its namespace; empty searches every visible one.")] = "",
        kind: Annotated[str, Field(description="Service, Deployment, StatefulSet, DaemonSet or Pod; empty "
                                               "searches them all.")] = "",
        log_hosts: Annotated[list[Annotated[str, Field(max_length=253)]],
                             Field(max_length=50, description="Upstream hosts seen in its logs, e.g. "
                                                              "['recommendations', 'db.example.com:5432'].")]
        = [],  # noqa: B006 - pydantic copies defaults; the schema shows []
        context: KubeContext = None,
        budget_tokens: Budget = DEFAULT_BUDGET_TOKENS,
        ctx: Context | None = None,
    ) -> Annotated[CallToolResult, tp.Topology]:
        """Where a service sits: its workloads, Services and pods; their nodes (conditions, requested
        vs allocatable) and unhealthy or unlimited neighbours; what it depends on (Services and
        external hosts named in env, ConfigMaps or the given log hosts) with each one's endpoint and
        pod health; who depends on it; and cluster DNS health."""
        try:
            tp.canonical_kind(kind)
        except ValueError as exc:
            raise ToolError(f"argument 'kind': {exc}") from None

        def work() -> Any:
            ctx_name = kc.resolve_context(context)
            objects, errors = tp.read_topology_objects(kc, ctx_name)
            topo = tp.build_topology(objects, name, namespace, kind, log_hosts,
                                     visibility(ctx, "k8s_topology", ctx_name))
            topo.notes += [f"could not read {e}" for e in errors]
            hint = r.call("k8s_describe", kind=topo.subject.kind or "<kind>", name=name,
                          namespace=topo.subject.namespace or namespace) + " for one object"
            return typed_result(topo, tp.render(topo, budget_tokens, hint))

        answer: CallToolResult = await run(f"k8s_topology {namespace + '/' if namespace else ''}{name}", work)
        return answer
