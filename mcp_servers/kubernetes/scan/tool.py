"""The `k8s_scan` MCP tool: the whole cluster (or one namespace) checked for known problems.

Registered by `build_server` through `register_scan_tools`; it shares the server's KubeClient, its
thread runner (API errors become clear tool errors) and its policy visibility filter: namespaces
the policy hides from the caller are dropped from the snapshot before any check runs, and named in
`hidden_namespaces`. The answer is a typed `ScanResult` (the MCP output schema) with its text
rendered from the same object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult
from pydantic import Field

from mcp_servers.common.compact import DEFAULT_BUDGET_TOKENS
from mcp_servers.common.server import READ_ONLY
from mcp_servers.common.structured import typed_result
from mcp_servers.kubernetes.client import KubeClient
from mcp_servers.kubernetes.scan import ScanResult, UnknownCheck, resolve_checks, scan
from mcp_servers.kubernetes.scan.render import render
from mcp_servers.kubernetes.scan.snapshot import Snapshot, collect, observed_now

Runner = Callable[[str, Callable[[], Any]], Awaitable[Any]]
Visibility = Callable[[Context | None, str, str], Callable[[str], bool]]
TOOL = "k8s_scan"


def run_scan(snap: Snapshot, visible: Callable[[str], bool] | None, checks: list[str] | None,
             budget_tokens: int, wall: datetime | None = None) -> tuple[ScanResult, str]:
    """Drop hidden namespaces, run the checks, render: the one path the tool and the CLI share."""
    hidden: list[str] = []
    if visible is not None:
        snap, hidden = snap.visible_only(visible)
    now = observed_now(snap, wall or datetime.now(UTC))
    result = scan(snap, now, checks)
    result.hidden_namespaces = hidden
    hint = "narrow with k8s_scan(namespace=..., checks=[...]) or raise budget_tokens"
    text, left_out = render(result, budget_tokens, hint)
    result.truncated = left_out
    return result, text


def register_scan_tools(server: MCPServer, kc: KubeClient, run: Runner, visibility: Visibility) -> None:
    """Add k8s_scan to `server` (called once from build_server)."""

    @server.tool(annotations=READ_ONLY)
    async def k8s_scan(
        namespace: Annotated[str, Field(description="Only this namespace; empty means the whole cluster.")] = "",
        context: Annotated[str | None, Field(description="kubeconfig context; default the current one.")] = None,
        checks: Annotated[list[str] | None, Field(description="Only these areas or check ids, e.g. ['pods', "
                                                             "'service.no_endpoints']; default all.")] = None,
        budget_tokens: Annotated[int, Field(ge=200, le=20000, description="Token budget for the text "
                                                                          "(default 2000).")] = DEFAULT_BUDGET_TOKENS,
        ctx: Context | None = None,
    ) -> Annotated[CallToolResult, ScanResult]:
        """Scan the cluster for known problems without a model: crash loops, OOM kills, image pulls,
        unschedulable or unready pods, missing ConfigMaps/Secrets, stuck rollouts, Services without
        endpoints, broken Ingresses, unbound PVCs, node pressure, HPAs, failed Jobs, PDBs,
        NetworkPolicies blocking DNS, expiring certificates, broken webhooks, exhausted quotas, RBAC
        denials, cluster DNS. Pods are grouped per owner; most severe first."""
        try:
            resolve_checks(checks)
        except UnknownCheck as exc:
            raise ToolError(f"argument 'checks': {exc}") from None

        def work() -> CallToolResult:
            ctx_name = kc.resolve_context(context)
            snap = collect(kc, ctx_name, namespace)
            result, text = run_scan(snap, visibility(ctx, TOOL, ctx_name), checks, budget_tokens)
            return typed_result(result, text)

        result: CallToolResult = await run(f"{TOOL} {namespace or 'all namespaces'}", work)
        return result
