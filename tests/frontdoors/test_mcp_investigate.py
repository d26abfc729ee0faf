"""The `investigate` MCP server: in process with the official client, then as a real process over
stdio and over streamable HTTP with bearer tokens, driven by the official MCP client and by the MCP
Inspector CLI from npm. The process tests run the real `investigate_incident` (runbook-only)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from agent.config import Config
from mcp_servers.common.server import ServerGuard
from mcp_servers.investigate.server import build_server
from tests.frontdoors.conftest import FakeInvestigation, free_port

pytestmark = pytest.mark.anyio

TOKEN = "investigate-token-7c2e"
QUESTION = "checkout pods OOMKilled in namespace shop"
INSPECTOR = "@modelcontextprotocol/inspector@0.19.0"
"""Pinned: the first releases whose CLI sends `--header` (bearer auth over HTTP)."""


def _text(result: Any) -> str:
    return str(result.content[0].text)


async def test_in_process_list_and_call(tmp_path: Path) -> None:
    fake = FakeInvestigation()
    server = build_server(Config(state_dir=tmp_path), ServerGuard.for_tests(tmp_path, "investigate"), fake)
    async with Client(server) as client:
        [tool] = (await client.list_tools()).tools
        assert tool.name == "investigate" and tool.annotations and tool.annotations.read_only_hint
        assert {"question", "labels", "alertmanager_payload", "budget_tokens"} <= set(tool.input_schema["properties"])
        result = await client.call_tool("investigate", {"question": QUESTION, "labels": {"cluster": "prod"}})
        assert not result.is_error, _text(result)
        assert _text(result).startswith("# Vigil report: " + QUESTION)
        incident = fake.calls[0]["incident"]
        assert incident.source == "mcp"
        assert incident.labels["namespace"] == "shop" and incident.labels["cluster"] == "prod"
        as_json = await client.call_tool("investigate", {"question": QUESTION, "output": "json"})
        # The report's JSON lists tool names with arguments, which the server's injection scan reads as
        # tool-call syntax: the client gets it fenced as data, content intact.
        assert '"runbook_id": "pod-oomkilled"' in _text(as_json) and "UNTRUSTED_DATA" in _text(as_json)
        empty = await client.call_tool("investigate", {"question": "  "})
        assert empty.is_error and "describe what is wrong" in _text(empty)
    audit = (tmp_path / "audit.jsonl").read_text()
    assert '"tool": "investigate"' in audit or '"tool":"investigate"' in audit


async def test_progress_reaches_the_client(tmp_path: Path) -> None:
    fake = FakeInvestigation(delay=0.05)
    server = build_server(Config(state_dir=tmp_path), ServerGuard.for_tests(tmp_path, "investigate"), fake)
    seen: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(str(message))

    async with Client(server) as client:
        result = await client.call_tool("investigate", {"question": QUESTION}, progress_callback=on_progress)
        assert not result.is_error
    assert "runbook: pod-oomkilled" in seen and "E1 k8s_describe: ok" in seen


async def test_alertmanager_payload_and_budget(tmp_path: Path) -> None:
    fake = FakeInvestigation()
    server = build_server(Config(state_dir=tmp_path), ServerGuard.for_tests(tmp_path, "investigate"), fake)
    payload = {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "KubePodOOMKilled", "namespace": "shop", "pod": "checkout-1"},
         "annotations": {"summary": "OOMKilled"}, "startsAt": "2026-03-12T14:20:00Z"}]}
    async with Client(server) as client:
        result = await client.call_tool("investigate", {"alertmanager_payload": payload, "budget_tokens": 200})
        assert not result.is_error, _text(result)
    assert fake.calls[0]["incident"].alertname == "KubePodOOMKilled"


def _config_file(tmp_path: Path) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "vigil.yaml"
    path.write_text(f"state_dir: {tmp_path / 'state'}\n")
    return path


@contextmanager
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "VIGIL_MCP_TOKEN": TOKEN, "VIGIL_CONFIG": str(_config_file(tmp_path))}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "mcp_servers.investigate.cli", "--http", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "server.log").read_text())
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.slow
async def test_official_client_over_stdio_and_http(tmp_path: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.investigate.cli"],
                                   env={**os.environ, "VIGIL_CONFIG": str(_config_file(tmp_path))})
    async with Client(params) as client:
        assert [t.name for t in (await client.list_tools()).tools] == ["investigate"]
        result = await client.call_tool("investigate", {"question": QUESTION})
        assert not result.is_error, _text(result)
        assert "# Vigil report: " + QUESTION in _text(result) and "Runbook: oomkilled" in _text(result)
    with http_server(tmp_path / "http") as url:
        assert httpx.post(url, json={}).status_code == 401
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        async with Client(streamable_http_client(url, http_client=http)) as client:
            result = await client.call_tool("investigate", {"question": QUESTION})
            assert not result.is_error and "# Vigil report" in _text(result)
    audit = (tmp_path / "http" / "state" / "audit.jsonl").read_text()
    assert '"actor": "mcp-http"' in audit or '"actor":"mcp-http"' in audit


def _npx(args: list[str], env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    cache = Path(tempfile.gettempdir()) / "vigil-npm-cache"
    cache.mkdir(exist_ok=True)
    full_env = {**os.environ, "HOME": str(cache), "npm_config_cache": str(cache / "npm"),
                "npm_config_update_notifier": "false", "npm_config_prefer_offline": "true", **(env or {})}
    return subprocess.run(["npx", "-y", INSPECTOR, "--cli", *args], env=full_env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_mcp_inspector_cli_over_stdio_and_http(tmp_path: Path) -> None:
    if shutil.which("npx") is None:
        pytest.skip("npx (Node.js/npm) is absent: cannot run the MCP Inspector CLI; apt-get install npm")
    config = _config_file(tmp_path)
    listed = _npx(["-e", f"VIGIL_CONFIG={config}", sys.executable, "-m", "mcp_servers.investigate.cli",
                   "--method", "tools/list"])
    network_errors = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ENETUNREACH", "ECONNRESET")
    if listed.returncode != 0 and any(e in listed.stderr + listed.stdout for e in network_errors):
        pytest.skip(f"the npm registry is unreachable and {INSPECTOR} is not in the npm cache yet; "
                    "run once with network access to cache it")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert [t["name"] for t in json.loads(listed.stdout)["tools"]] == ["investigate"]
    called = _npx(["-e", f"VIGIL_CONFIG={config}", sys.executable, "-m", "mcp_servers.investigate.cli",
                   "--method", "tools/call", "--tool-name", "investigate", "--tool-arg", f"question={QUESTION}"])
    assert called.returncode == 0, called.stderr[-2000:]
    result = json.loads(called.stdout)
    assert result["isError"] is False and "# Vigil report: " + QUESTION in result["content"][0]["text"]
    with http_server(tmp_path / "http") as url:
        refused = _npx([url, "--transport", "http", "--method", "tools/list"])
        assert refused.returncode != 0 and "unauthorized" in refused.stdout + refused.stderr
        over_http = _npx([url, "--transport", "http", "--header", f"Authorization: Bearer {TOKEN}",
                          "--method", "tools/call", "--tool-name", "investigate", "--tool-arg", f"question={QUESTION}"])
        assert over_http.returncode == 0, over_http.stderr[-2000:]
        assert "# Vigil report" in json.loads(over_http.stdout)["content"][0]["text"]


def test_the_repository_mcp_json_runs_every_vigil_server_through_vigil_mcp() -> None:
    """Claude Code reads .mcp.json at the repository root; each entry must start `vigil mcp NAME` for a
    server package that exists, and hold no secret (credentials come from the environment)."""
    root = Path(__file__).resolve().parents[2]
    config = json.loads((root / ".mcp.json").read_text())
    servers = config["mcpServers"]
    assert "vigil-investigate" in servers
    for name, entry in servers.items():
        assert entry["type"] == "stdio" and entry["command"] == "vigil", name
        assert entry["args"][0] == "mcp" and name == f"vigil-{entry['args'][1]}"
        assert (root / "mcp_servers" / entry["args"][1] / "__init__.py").exists(), name
        for value in (entry.get("env") or {}).values():
            assert value.startswith("${"), f"{name}: env values are references, never literal secrets"
