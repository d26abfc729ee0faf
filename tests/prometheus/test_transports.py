"""`vigil mcp prometheus` and `vigil mcp loki` as real processes: streamable HTTP with bearer tokens,
and stdio, driven by the official MCP client. The Prometheus one serves a real Prometheus that it
starts itself (`--local`); the Loki one reads the Loki-format test server over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from mcp_servers.prometheus.local import free_port
from tests.loki.conftest import END as LOG_END
from tests.loki.conftest import INCIDENT as LOG_INCIDENT
from tests.loki.conftest import incident_streams
from tests.loki.loki_api import LokiState, loki_api
from tests.prometheus.conftest import END, INCIDENT, LEAKING_POD

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "test-token-4b1d"


@contextmanager
def serving(module: str, args: list[str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "VIGIL_MCP_TOKEN": TOKEN}
    log = (tmp_path / f"{module}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", module, "--http", "--port", str(port), "--state-dir",
                             str(tmp_path / "state"), *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / f"{module}.log").read_text())
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _audit_tools(state: Path) -> list[str]:
    records = [json.loads(line) for line in (state / "audit.jsonl").read_text().splitlines() if line.strip()]
    return [json.dumps(r) for r in records]


async def test_prometheus_over_http_with_token(incident_file: Path, tmp_path: Path) -> None:
    with serving("mcp_servers.prometheus.cli", ["--local", str(incident_file)], tmp_path) as url:
        assert httpx.post(url, json={}).status_code == 401
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        async with Client(streamable_http_client(url, http_client=http)) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            assert "prom_query_range" in names
            result = await c.call_tool("prom_query_range", {"query": "container_memory_working_set_bytes",
                                                            "start": str(INCIDENT - 3600), "end": str(END)})
            text = result.content[0].text  # type: ignore[union-attr]
            assert not result.is_error, text
            assert f'| 1 | {{pod="{LEAKING_POD}"}}' in text
            denied = await c.call_tool("prom_query_range", {"query": "up", "start": "now-30d"})
            assert denied.is_error and "over the maximum" in denied.content[0].text  # type: ignore[union-attr]
    audit = _audit_tools(tmp_path / "state")
    assert any("prom_query_range" in r and "mcp-http" in r for r in audit)


async def test_loki_over_http_and_stdio(tmp_path: Path) -> None:
    with loki_api(LokiState(streams=incident_streams())) as loki_url:
        with serving("mcp_servers.loki.cli", ["--url", loki_url], tmp_path) as url:
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
            async with Client(streamable_http_client(url, http_client=http)) as c:
                result = await c.call_tool("loki_labels", {"start": str(LOG_INCIDENT), "end": str(LOG_END)})
                assert "app, namespace, pod" in result.content[0].text  # type: ignore[union-attr]
        params = StdioServerParameters(command=sys.executable,
                                       args=["-m", "mcp_servers.loki.cli", "--url", loki_url, "--state-dir",
                                             str(tmp_path / "stdio-state")])
        async with Client(params) as c:
            result = await c.call_tool("loki_query", {"query": '{app="checkout"}', "start": str(LOG_INCIDENT),
                                                      "end": str(LOG_END), "limit": 5000})
            text = result.content[0].text  # type: ignore[union-attr]
            assert not result.is_error, text
            assert "| 1 | NEW |" in text and "payment failed" in text
