"""k8s_logs and loki_query structured answers through the official MCP client.

k8s_logs runs against the replay API server (real HTTP, the official kubernetes client) serving the
payments-bad-config incident bundle, and against copies of it given an init container; loki_query
runs against the Loki test API of tests/loki, which answers in the format of Loki's HTTP API
documentation from generated streams (no Loki server can be installed here).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.common.bundle import Bundle, LogKey
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server
from mcp_servers.kubernetes.server import build_server as build_kube
from mcp_servers.loki.client import LokiSettings
from mcp_servers.loki.server import build_server as build_loki
from tests.loki.conftest import END, INCIDENT, incident_streams
from tests.loki.loki_api import LokiState, loki_api

pytestmark = pytest.mark.anyio

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
POD_NS = "payments"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _crashing_pod(bundle: Bundle) -> dict[str, Any]:
    name = bundle.expected["key_evidence"][0]["args"]["name"]
    return next(o for o in bundle.objects if o.get("kind") == "Pod" and o["metadata"]["name"] == name)


def _with_init_container(bundle: Bundle) -> str:
    """Give the crashing pod a failing init container (and a healthy sidecar); return the pod's name."""
    pod = _crashing_pod(bundle)
    name = pod["metadata"]["name"]
    pod["spec"]["initContainers"] = [{"name": "migrate", "image": "shop/migrate:1.2"}]
    pod["spec"]["containers"].append({"name": "proxy", "image": "envoyproxy/envoy:v1.31"})
    status = pod["status"]
    status["initContainerStatuses"] = [{
        "name": "migrate", "ready": False, "restartCount": 4,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]
    status["containerStatuses"] = [
        {**copy.deepcopy(status["containerStatuses"][0]), "ready": False, "restartCount": 0,
         "state": {"waiting": {"reason": "PodInitializing"}}, "lastState": {}},
        {"name": "proxy", "ready": False, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}]
    bundle.logs[LogKey(POD_NS, name, "migrate", False)] = (
        "2026-04-08T10:40:00.000000000Z running migrations\n"
        "2026-04-08T10:40:01.000000000Z Error: getaddrinfo ENOTFOUND payments-db.payments.svc\n"
        "2026-04-08T10:40:01.000000000Z     at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)\n")
    return name


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[ReplayHandle, str]]]:
    plain = Bundle.load(INCIDENTS / "payments-bad-config")
    with_init = Bundle.load(INCIDENTS / "payments-bad-config")
    init_pod = _with_init_container(with_init)
    with replay_server(plain, tmp_path_factory.mktemp("plain") / "kubeconfig") as a, \
            replay_server(with_init, tmp_path_factory.mktemp("init") / "kubeconfig") as b:
        yield {"plain": (a, plain.expected["key_evidence"][0]["args"]["name"]), "init": (b, init_pod)}


def _kube(handle: ReplayHandle, tmp_path: Path) -> Any:
    return build_kube(KubeSettings(kubeconfig=str(handle.kubeconfig)), ServerGuard.for_tests(tmp_path))


async def test_k8s_logs_previous_gives_typed_facts_beside_the_same_text(replays, tmp_path: Path) -> None:
    handle, pod = replays["plain"]
    async with Client(_kube(handle, tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        result = await c.call_tool("k8s_logs", {"name": pod, "namespace": POD_NS, "previous": True})
    assert "facts" in (tools["k8s_logs"].output_schema or {}).get("properties", {})
    text = result.content[0].text  # type: ignore[union-attr]
    assert not result.is_error and "Traceback (most recent call last):" in text and "(previous instance)" in text
    data = result.structured_content or {}
    assert (data["pod"], data["container"], data["previous"], data["chosen_because"]) == (pod, "payments", True, None)
    assert [c["name"] for c in data["containers"]] == ["payments"] and data["containers"][0]["failing"]
    top = data["facts"]["errors"][0]
    assert top["exception"] == "ValueError" and top["message"] == "could not convert string to float: '5s'"
    assert top["error_class"] == "invalid_config" and top["fields"]["env_var"] == "GATEWAY_TIMEOUT"
    (trace,) = data["facts"]["traces"]
    assert trace["language"] == "python" and trace["frames"][0].startswith("payments/config.py:")


async def test_k8s_logs_reads_the_failing_init_container_and_says_so(replays, tmp_path: Path) -> None:
    handle, pod = replays["init"]
    async with Client(_kube(handle, tmp_path)) as c:
        chosen = await c.call_tool("k8s_logs", {"name": pod, "namespace": POD_NS})
        named = await c.call_tool("k8s_logs", {"name": pod, "namespace": POD_NS, "container": "migrate"})
        wrong = await c.call_tool("k8s_logs", {"name": pod, "namespace": POD_NS, "container": "nope"})
    data = chosen.structured_content or {}
    assert data["container"] == "migrate" and "failing init container migrate" in data["chosen_because"]
    assert "CrashLoopBackOff" in data["chosen_because"] and "4 restarts" in data["chosen_because"]
    text = chosen.content[0].text  # type: ignore[union-attr]
    assert text.startswith("chose the failing init container migrate") and "container migrate" in text
    assert [(c["name"], c["init"]) for c in data["containers"]] == [
        ("migrate", True), ("payments", False), ("proxy", False)]
    top = data["facts"]["errors"][0]
    assert top["error_class"] == "dns_failure" and top["fields"]["dns_name"] == "payments-db.payments.svc"
    assert data["facts"]["hosts"] == ["payments-db.payments.svc"]
    assert (named.structured_content or {})["chosen_because"] is None
    assert wrong.is_error and "migrate (init)" in wrong.content[0].text  # type: ignore[union-attr]


@pytest.fixture
def loki_url() -> Iterator[str]:
    with loki_api(LokiState(streams=incident_streams())) as url:
        yield url


async def test_loki_query_gives_log_facts_of_the_returned_lines(loki_url: str, tmp_path: Path) -> None:
    server = build_loki(LokiSettings(url=loki_url), ServerGuard.for_tests(tmp_path, "loki"))
    async with Client(server) as c:
        result = await c.call_tool("loki_query", {"query": '{namespace="shop", app="checkout"}',
                                                  "start": str(INCIDENT), "end": str(END), "limit": 5000})
        no_base = await c.call_tool("loki_query", {"query": '{namespace="shop", app="checkout"}',
                                                   "start": str(INCIDENT), "end": str(END), "limit": 100,
                                                   "baseline": "none"})
    assert not result.is_error and "payment failed" in result.content[0].text  # type: ignore[union-attr]
    data = result.structured_content or {}
    assert data["result_type"] == "streams" and data["lines"] == 3 * 360 * 2 + 360 and not data["truncated"]
    assert data["baseline_lines"] == 3 * 360 * 2
    facts = data["facts"]
    first, second = facts["errors"][:2]
    assert (first["error_class"], first["new"], first["count"]) == ("connection_refused", True, 360)
    assert first["fields"]["upstream_host"] == "10.0.3.7" and first["fields"]["upstream_port"] == "5432"
    assert (second["error_class"], second["new"], second["count"]) == ("http_5xx", True, 360)
    assert facts["hosts"][0] == "10.0.3.7"
    assert facts["status_codes"] == {"200": 720, "500": 360}
    cut = no_base.structured_content or {}
    assert cut["truncated"] and cut["baseline_lines"] is None
    assert all(e["new"] is None for e in cut["facts"]["errors"])


async def test_secrets_in_log_lines_never_reach_the_structured_answer(tmp_path: Path) -> None:
    from tests.loki.conftest import NS, START
    from tests.loki.loki_api import Stream

    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    lines = [(START * NS + i, f'level=error msg="sync failed" err="401 Unauthorized" token={token} '
                              f'dsn=postgres://app:Sup3rS3cret@db:5432/app') for i in range(3)]
    with loki_api(LokiState(streams=[Stream({"namespace": "shop", "app": "sync"}, lines)])) as url:
        server = build_loki(LokiSettings(url=url), ServerGuard.for_tests(tmp_path, "loki"))
        async with Client(server) as c:
            result = await c.call_tool("loki_query", {"query": '{namespace="shop", app="sync"}', "start": str(START),
                                                      "end": str(START + 60), "baseline": "none"})
    data = result.structured_content or {}
    assert data["facts"]["errors"][0]["error_class"] == "auth_failure" and data["facts"]["errors"][0]["count"] == 3
    dumped = json.dumps(data)
    assert token not in dumped and "Sup3rS3cret" not in dumped
