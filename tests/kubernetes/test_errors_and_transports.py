"""API failures become clear tool errors, and the server runs as a real stdio process.

The 403 and slow servers below are real HTTP servers on loopback answering in the Kubernetes
Status format; the stdio test starts `python -m mcp_servers.kubernetes.cli --replay BUNDLE`, the
same code `vigil mcp kubernetes` runs, and talks to it with the official MCP client.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.replay import write_kubeconfig
from mcp_servers.kubernetes.server import build_server
from tests.kubernetes.conftest import INCIDENTS
from tests.policies import DENY_KUBE_SYSTEM

pytestmark = pytest.mark.anyio


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


async def _forbidden(request: Request) -> Response:
    if request.url.path in ("/api", "/apis", "/api/v1"):
        body: dict[str, Any] = {"/api": {"kind": "APIVersions", "versions": ["v1"]},
                                "/apis": {"kind": "APIGroupList", "groups": []},
                                "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                                    {"name": "pods", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"]}]}}
        return JSONResponse(body[request.url.path])
    return JSONResponse({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                         "message": 'pods is forbidden: User "system:serviceaccount:vigil:vigil" cannot list '
                                    'resource "pods" in API group "" in the namespace "shop"'}, status_code=403)


async def _slow(request: Request) -> Response:
    import anyio

    await anyio.sleep(1.5)
    return JSONResponse({})


async def _text(c: Client, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
    result = await c.call_tool(tool, args)
    return result.is_error, "\n".join(getattr(i, "text", "") for i in result.content)


async def test_forbidden_is_a_clear_tool_error(tmp_path: Path) -> None:
    app = Starlette(routes=[Route("/{p:path}", _forbidden)])
    with _serve(app) as url:
        kubeconfig = write_kubeconfig(tmp_path / "kc", url, "rbac")
        guard = ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM)
        server = build_server(KubeSettings(kubeconfig=str(kubeconfig)), guard)
        async with Client(server) as c:
            error, text = await _text(c, "k8s_list", {"kind": "pods", "namespace": "shop"})
    assert error and "forbidden by the cluster's RBAC" in text and 'cannot list resource "pods"' in text


async def test_timeout_and_unreachable_are_clear_tool_errors(tmp_path: Path) -> None:
    app = Starlette(routes=[Route("/{p:path}", _slow)])
    with _serve(app) as url:
        kubeconfig = write_kubeconfig(tmp_path / "kc", url, "slow")
        settings = KubeSettings(kubeconfig=str(kubeconfig), timeout_seconds=0.3)
        async with Client(build_server(settings, ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM))) as c:
            error, text = await _text(c, "k8s_nodes", {})
    assert error and "timed out" in text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kc2", f"http://127.0.0.1:{port}", "gone")
    async with Client(build_server(KubeSettings(kubeconfig=str(kubeconfig), timeout_seconds=2),
                                   ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM))) as c:
        error, text = await _text(c, "k8s_list", {"kind": "pods"})
    assert error and "could not be reached" in text and "check the context" in text


@pytest.mark.slow
async def test_stdio_server_against_a_replayed_bundle(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.kubernetes.cli", "--replay", str(INCIDENTS / "catalog-bad-image"),
              "--state-dir", str(tmp_path / "state")],
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    async with Client(params) as c:
        tools = {t.name for t in (await c.list_tools()).tools}
        error, text = await _text(c, "k8s_list", {"kind": "pods", "namespace": "shop"})
    assert "k8s_rollout_history" in tools
    assert not error and "ImagePullBackOff" in text
    audit = (tmp_path / "state" / "audit.jsonl").read_text()
    assert "k8s_list" in audit


@pytest.mark.slow
async def test_http_server_with_bearer_token_against_a_replayed_bundle(tmp_path: Path) -> None:
    import os
    import subprocess

    import httpx
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "k8s-test-token-93e1"
    log = (tmp_path / "server.log").open("wb")
    args = ["--http", "--port", str(port), "--replay", str(INCIDENTS / "payments-bad-config"),
            "--state-dir", str(tmp_path / "state"), "--policy", str(DENY_KUBE_SYSTEM)]
    proc = subprocess.Popen([sys.executable, "-m", "mcp_servers.kubernetes.cli", *args],
                            env={**os.environ, "VIGIL_MCP_TOKEN": token}, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.1)
        assert httpx.post(url, json={}).status_code == 401
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        async with Client(streamable_http_client(url, http_client=http)) as c:
            error, text = await _text(c, "k8s_rollout_history", {"name": "payments", "namespace": "payments"})
            denied, why = await _text(c, "k8s_events", {"namespace": "kube-system"})
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert not error and "GATEWAY_TIMEOUT='5s'" in text
    assert denied and "deny-kube-system" in why
    assert "mcp-http" in (tmp_path / "state" / "audit.jsonl").read_text()
