"""k8s_changes and k8s_topology through the official MCP client, against the replay API server
serving the bundled incidents (real HTTP, the official `kubernetes` client, the guardrail
middleware with a policy that hides kube-system)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.server import build_server
from tests.policies import DENY_KUBE_SYSTEM

pytestmark = pytest.mark.anyio


def _server(replays: dict[str, Any], name: str, tmp_path: Path, policy: Path | None = None) -> Any:
    guard = ServerGuard.for_tests(tmp_path, policy_path=policy)
    return build_server(KubeSettings(kubeconfig=str(replays[name].kubeconfig)), guard)


async def _call(c: Client, tool: str, args: dict[str, Any], error: bool = False) -> tuple[str, dict[str, Any]]:
    result = await c.call_tool(tool, args)
    text = "\n".join(getattr(i, "text", "") for i in result.content)
    assert result.is_error == error, text
    return text, result.structured_content or {}


async def test_tools_are_read_only_with_output_schemas(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    for name, field in (("k8s_changes", "changes"), ("k8s_topology", "dependencies")):
        tool = tools[name]
        assert tool.annotations and tool.annotations.read_only_hint and not tool.annotations.destructive_hint
        assert tool.output_schema and field in tool.output_schema["properties"]


async def test_checkout_oom_revision_5_image_change_precedes_the_incident(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        text, data = await _call(c, "k8s_changes", {"at": "2026-03-12T14:20:00Z", "window": "2h"})
        shop, _ = await _call(c, "k8s_changes", {"namespace": "shop", "at": "2026-03-12T13:50:00Z", "window": "1h"})
    assert data["window_start"] == "2026-03-12T12:20:00Z" and data["window_end"] == "2026-03-12T14:20:00Z"
    rollout = next(ch for ch in data["changes"] if ch["type"] == "rollout" and ch["object"]["name"] == "checkout")
    assert rollout["object"] == {"kind": "Deployment", "namespace": "shop", "name": "checkout"}
    assert rollout["revision"] == 5 and rollout["at"] == "2026-03-12T13:52:00Z"
    assert ("checkout image registry.example.com/shop/checkout:1.8.2 -> registry.example.com/shop/checkout:1.9.0"
            in rollout["diff"])
    assert "rolled out revision 5" in text and "1.9.0" in text
    assert "revision 5" not in shop  # the window ended before the deploy


async def test_changes_hide_denied_namespaces_and_reject_bad_arguments(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path, DENY_KUBE_SYSTEM)) as c:
        text, data = await _call(c, "k8s_changes", {"at": "2026-03-12T14:20:00Z", "window": "30d"})
        bad_at, _ = await _call(c, "k8s_changes", {"at": "yesterday"}, error=True)
        bad_window, _ = await _call(c, "k8s_changes", {"window": "0s"}, error=True)
    assert data["hidden_namespaces"] == ["kube-system"] and "hidden by policy: kube-system" in text
    assert not any(ch["object"]["namespace"] == "kube-system" for ch in data["changes"])
    assert any(ch["object"]["namespace"] == "shop" for ch in data["changes"])
    assert [ch["revision"] for ch in data["changes"] if ch["object"]["name"] == "checkout"] == [5, 4]
    assert "argument 'at'" in bad_at and "RFC 3339" in bad_at
    assert "argument 'window'" in bad_window


async def test_frontend_has_its_failing_backend_as_an_unhealthy_dependency(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "frontend-dependency-outage", tmp_path)) as c:
        text, data = await _call(c, "k8s_topology", {"name": "frontend", "namespace": "web"})
        back, back_data = await _call(c, "k8s_topology", {"name": "recommendations", "kind": "deploy",
                                                          "log_hosts": ["feature-store.vendor.example.com:443"]})
    assert data["subject"] == {"kind": "Deployment", "namespace": "web", "name": "frontend"}
    dep = next(d for d in data["dependencies"] if d["target"]["name"] == "recommendations")
    assert dep["target"] == {"kind": "Service", "namespace": "web", "name": "recommendations"}
    assert dep["healthy"] is False and "0 of 2 endpoints ready" in dep["detail"]
    assert "RECOMMENDATIONS_URL" in dep["via"]
    assert "UNHEALTHY" in text and "web/recommendations" in text
    assert {"kind": "Deployment", "namespace": "web", "name": "frontend"} in back_data["dependents"]
    assert back_data["dependencies"][0]["target"] == {"kind": "ExternalHost", "namespace": "",
                                                      "name": "feature-store.vendor.example.com"}
    assert data["dns"]["healthy"] is True and data["dns"]["pods_ready"] == "2/2"
    assert "dependents: Deployment web/frontend" in back


async def test_topology_under_a_policy_hiding_kube_system_and_bad_arguments(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path, DENY_KUBE_SYSTEM)) as c:
        text, data = await _call(c, "k8s_topology", {"name": "checkout"})
        unknown, unknown_data = await _call(c, "k8s_topology", {"name": "no-such-service"})
        bad_kind, _ = await _call(c, "k8s_topology", {"name": "checkout", "kind": "ConfigMap"}, error=True)
    assert data["subject"] == {"kind": "Deployment", "namespace": "shop", "name": "checkout"}
    assert len(data["pods"]) == 3 and all("OOMKilled" in p["reason"] for p in data["pods"])
    assert data["dns"]["visible"] is False and "kube-system is hidden" in text
    assert all(n["namespace"] != "kube-system" for n in data["neighbours"])
    assert "no Deployment or StatefulSet" in unknown_data["notes"][0] and "no-such-service" in unknown
    assert "argument 'kind'" in bad_kind
