"""External MCP servers from the config: streamable HTTP with a bearer token, through the tool hub.

The external server is a real MCP server (the official SDK's streamable HTTP app behind Vigil's
bearer auth) served by uvicorn on a loopback port; the hub connects to it as to any other server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from agent.config import ExternalServer
from agent.runtime import _external_target
from agent.toolhub import ToolHub
from guardrails.action import Actor
from guardrails.audit import AuditLog
from guardrails.pipeline import Pipeline
from guardrails.policy import Policy
from mcp_servers.common.server import READ_ONLY, ServerGuard, create_server, http_app

pytestmark = pytest.mark.anyio
TOKEN = "ext-token-7f1c2d"


@pytest.fixture
def external_url(tmp_path) -> Iterator[str]:
    server = create_server("external", "an external read-only server", ServerGuard.for_tests(tmp_path, "ext"))

    @server.tool(annotations=READ_ONLY)
    def k8s_get(kind: str, name: str, namespace: str = "") -> str:
        """Return one object."""
        return f"{kind} {namespace}/{name}: Running"

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = http_app(server, {TOKEN: Actor(name="vigil-agent", origin="mcp")})
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/mcp"
    uv.should_exit = True
    thread.join(5)


def hub(tmp_path) -> ToolHub:
    policy = Policy.model_validate({"rules": [{"id": "k8s", "tools": ["k8s_*"]}]})
    return ToolHub(Pipeline(policy, AuditLog(tmp_path / "audit.jsonl")), Actor(name="agent", origin="agent"), "run_x")


async def test_http_external_server_with_bearer_token(tmp_path, external_url, monkeypatch):
    monkeypatch.setenv("EXT_TOKEN", TOKEN)
    target, headers = _external_target(ExternalServer(name="ext", url=external_url, bearer_token_env="EXT_TOKEN"))
    async with hub(tmp_path) as h:
        tools = await h.connect("ext", target, headers)
        assert [t.name for t in tools] == ["k8s_get"]
        outcome = await h.call("k8s_get", {"kind": "Pod", "name": "api", "namespace": "shop"})
    assert outcome.ok and "Pod shop/api: Running" in outcome.text


async def test_a_refusing_external_server_is_noted_and_the_run_goes_on(tmp_path, external_url):
    async with hub(tmp_path) as h:
        assert not await h.try_connect("ext", external_url, {"Authorization": "Bearer wrong"})
        assert "ext" in h.unavailable and h.tools() == []
        outcome = await h.call("k8s_get", {"kind": "Pod", "name": "api"})
    assert not outcome.ok and outcome.denied is not None and outcome.denied.rule == "unknown-tool"


async def test_investigation_reports_an_unreachable_external_server(tmp_path, monkeypatch):
    from agent.config import Config
    from agent.incident import from_text
    from agent.runtime import investigate_incident

    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config: only the servers below are configured
    for name in ("KUBECONFIG", "VIGIL_K8S_KUBECONFIG", "VIGIL_K8S_IN_CLUSTER", "VIGIL_PROMETHEUS_URL",
                 "VIGIL_LOKI_URL"):
        monkeypatch.delenv(name, raising=False)
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    dead_url = f"http://127.0.0.1:{free.getsockname()[1]}/mcp"
    free.close()
    from mcp_servers.codegraph.settings import CodegraphSettings

    config = Config(state_dir=tmp_path / "state", servers=[ExternalServer(name="grafana", url=dead_url)],
                    codegraph=CodegraphSettings(repo=tmp_path / "no-such-repo", db=tmp_path / "cg.db"))
    report = await investigate_incident(from_text("pods crashlooping in namespace shop"), config,
                                        actor=Actor(name="alice", origin="cli"))
    assert any(n.startswith("server grafana was unavailable") for n in report.notes)
    assert any(n.startswith("server codegraph was unavailable") for n in report.notes)
    assert any(n.startswith("no tool server is connected") for n in report.notes)
    assert report.runbook_id is not None


def test_missing_token_variable_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("EXT_TOKEN", raising=False)
    with pytest.raises(ValueError, match="EXT_TOKEN is empty"):
        _external_target(ExternalServer(name="ext", url="http://x/mcp", bearer_token_env="EXT_TOKEN"))
