"""The guardrail middleware inside an MCP server: a direct client is held to the same policy."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from starlette.testclient import TestClient

from guardrails.action import Actor
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server, http_app
from tests.policies import DENY_KUBE_SYSTEM

pytestmark = pytest.mark.anyio


def build(tmp_path):
    guard = ServerGuard.for_tests(tmp_path, "toy", policy_path=DENY_KUBE_SYSTEM)
    server = create_server("toy", "a toy server for guard tests", guard)

    @server.tool(annotations=READ_ONLY)
    def k8s_get(kind: str, name: str, namespace: str = "default") -> str:
        """Return a canned object with a secret in it."""
        return f"{kind} {namespace}/{name}: env DATABASE_URL=postgres://app:s3cr3tPassw0rd@db:5432/app"

    @server.tool()
    def shell(command: str) -> str:
        """A tool no policy allows."""
        return "ran " + command

    return server, tmp_path / "audit.jsonl"


async def test_allowed_call_result_is_redacted_and_audited(tmp_path):
    server, audit = build(tmp_path)
    async with Client(server) as client:
        result = await client.call_tool("k8s_get", {"kind": "Pod", "name": "api", "namespace": "shop"})
    text = result.content[0].text
    assert not result.is_error
    assert "s3cr3tPassw0rd" not in text and "Pod shop/api" in text
    kinds = [json.loads(line)["kind"] for line in audit.read_text().splitlines()]
    assert kinds == ["decision", "result"]


async def test_policy_denial_reaches_direct_client_as_tool_error(tmp_path):
    server, _ = build(tmp_path)
    async with Client(server) as client:
        result = await client.call_tool("k8s_get", {"kind": "Pod", "name": "x", "namespace": "kube-system"})
        unknown = await client.call_tool("shell", {"command": "rm -rf /"})
    assert result.is_error and "deny-kube-system" in result.content[0].text
    assert unknown.is_error and "default-deny" in unknown.content[0].text
    assert "ran" not in unknown.content[0].text


async def test_actor_from_meta_over_in_process_transport(tmp_path):
    server, audit = build(tmp_path)
    async with Client(server) as client:
        await client.call_tool("k8s_get", {"kind": "Pod", "name": "x", "namespace": "shop"},
                               meta={"vigil/actor": "agent", "vigil/run_id": "run_abc"})
    record = json.loads(audit.read_text().splitlines()[0])
    assert record["actor"] == "agent" and record["run_id"] == "run_abc"


def test_http_requires_a_known_bearer_token(tmp_path):
    server, _ = build(tmp_path)
    app = http_app(server, {"tok-123": Actor(name="claude-code", origin="mcp")})
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.post("/mcp", json={}).status_code == 401
        bad = client.post("/mcp", json={}, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        accept = "application/json, text/event-stream"
        ok = client.post("/mcp", headers={"Authorization": "Bearer tok-123", "Accept": accept},
                         json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                             "protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "t", "version": "1"}}})
        assert ok.status_code == 200, ok.text


def test_http_refuses_to_start_without_tokens(tmp_path):
    server, _ = build(tmp_path)
    with pytest.raises(ValueError, match="bearer token"):
        http_app(server, {})
