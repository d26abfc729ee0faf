"""The Kubernetes read tools answer typed content (an MCP output schema) beside unchanged text.

Through the official MCP client on the replay API server (real HTTP, the official `kubernetes`
client), with the guardrail middleware and a policy hiding kube-system. The SDK validates each
structured answer against the tool's declared output schema; these tests check the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jmespath
import pytest
from mcp import Client

from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.server import build_server
from tests.policies import DENY_KUBE_SYSTEM
from tests.structured.calls import KUBE_CALLS, load, text_of, texts

pytestmark = pytest.mark.anyio

TYPED = ["k8s_list", "k8s_get", "k8s_describe", "k8s_events", "k8s_rollout_history", "k8s_nodes", "k8s_top"]
POD = "checkout-m74nkt6r2t-897mv"


def _server(replays: dict[str, Any], name: str, tmp_path: Path) -> Any:
    guard = ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM)
    return build_server(KubeSettings(kubeconfig=str(replays[name].kubeconfig)), guard)


async def _data(c: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await c.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def test_every_read_tool_declares_an_output_schema(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    for name in TYPED:
        schema = tools[name].output_schema
        assert schema and schema.get("type") == "object" and schema.get("properties"), name


@pytest.mark.parametrize("scenario", sorted(KUBE_CALLS))
async def test_text_is_unchanged(scenario: str, replays, tmp_path: Path) -> None:
    """The text every call printed before the tools gained structured content, byte for byte."""
    golden = load("kubernetes")
    async with Client(_server(replays, scenario, tmp_path)) as c:
        results = await texts(c, KUBE_CALLS[scenario], scenario)
    for k, result in results.items():
        assert text_of(result) == golden[k], k
        assert result.structured_content, k


async def test_oomkilled_pod_describes_its_last_termination_limit_and_owners(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        described = await _data(c, "k8s_describe", kind="pod", name=POD, namespace="shop")
        got = await _data(c, "k8s_get", kind="Pod", name=POD, namespace="shop")
    pod = described["pod"]
    app = next(x for x in pod["containers"] if not x["init"])
    assert app["last_termination"]["reason"] == "OOMKilled" and app["last_termination"]["exit_code"] == 137
    assert app["last_termination"]["finished_at"].endswith("Z")
    assert app["limits"]["memory"] == "512Mi" and app["memory_limit_bytes"] == 512 * 1024**2
    assert app["restarts"] == pod["restarts"] > 0 and pod["problem"].startswith("restarted")
    assert pod["node"] and pod["ready"] == f"{pod['ready_containers']}/{pod['total_containers']}"
    assert described["owner_chain"][0].startswith("ReplicaSet/checkout-") and described["owner_chain"][1].startswith(
        "Deployment/checkout")
    assert got["pod"]["containers"] == pod["containers"] and got["owner_chain"] == []
    assert {p["type"] for p in app["probes"]} <= {"readiness", "liveness", "startup"}
    # the expression docs/mcp-servers/kubernetes.md shows, as a runbook rule would evaluate it
    assert jmespath.search("pod.containers[?last_termination.exit_code==`137`].limits.memory", described) == ["512Mi"]


async def test_rollout_history_has_the_release_and_its_image_diff(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        history = await _data(c, "k8s_rollout_history", name="checkout", namespace="shop")
        described = await _data(c, "k8s_describe", kind="Deployment", name="checkout", namespace="shop")
    assert (history["kind"], history["current_revision"], history["previous_revision"]) == ("Deployment", 5, 4)
    rev = history["revisions"][-1]
    assert rev["revision"] == 5 and rev["images"] == ["registry.example.com/shop/checkout:1.9.0"]
    assert "1.9.0" in rev["change_cause"] and rev["created"] == "2026-03-12T13:52:00Z"
    assert any("image" in ch and "1.8.2 -> registry.example.com/shop/checkout:1.9.0" in ch for ch in rev["changes"])
    assert [r["revision"] for r in history["revisions"]] == sorted(r["revision"] for r in history["revisions"])
    assert described["revisions"] == history["revisions"][-4:] and described["revision"] == 5
    assert described["replicas"] == {"desired": 3, "ready": 3, "updated": 3, "available": 3}
    assert {p["name"][:9] for p in described["pods"]} == {"checkout-"} and len(described["pods"]) == 3
    assert described["pods"][0]["problem"].startswith("restarted")  # unhealthy first


async def test_list_events_nodes_top_and_secret_as_data(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        listed = await _data(c, "k8s_list", kind="pods", limit=2)
        events = await _data(c, "k8s_events", namespace="shop")
        nodes = await _data(c, "k8s_nodes")
        top = await _data(c, "k8s_top", what="pods", namespace="shop")
        secret = await _data(c, "k8s_get", kind="secret", name="checkout-db", namespace="shop")
        svc = await _data(c, "k8s_describe", kind="service", name="checkout", namespace="shop")
    assert listed["kind"] == "Pod" and listed["total"] == 33 and listed["unhealthy"] == 3
    assert listed["problem_counts"] == {"restarted Nx (last: OOMKilled)": 3}
    assert listed["hidden_namespaces"] == ["kube-system"] and listed["left_out"] == 31 and len(listed["rows"]) == 2
    assert all(r["last_termination_reason"] == "OOMKilled" and r["last_exit_code"] == 137 for r in listed["rows"])
    assert len(jmespath.search("rows[?last_termination_reason=='OOMKilled'].name", listed)) == 2
    assert events["records"] == 21 and events["warnings"] == 3
    assert [e["type"] for e in events["events"][:3]] == ["Warning"] * 3 and events["events"][3]["type"] == "Normal"
    assert events["events"][0]["reason"] == "BackOff" and events["events"][0]["kind"] == "Pod"
    assert nodes["total"] == 4 and nodes["with_problems"] == 0 and all(n["ready"] for n in nodes["nodes"])
    first = nodes["nodes"][0]
    assert 0 < first["cpu_requested"] < first["cpu_allocatable"] and first["pod_capacity"] == 110
    assert top["what"] == "pods" and top["rows"][0]["name"].startswith("checkout-")
    assert top["rows"][0]["percent_of_limit"] > 99 and top["rows"][0]["memory_limit_bytes"] == 512 * 1024**2
    assert secret["secret_keys"] == ["password", "username"] and "Y2hlY2tvdXQ=" not in str(secret)
    assert svc["endpoints"]["ready"] and svc["service_type"] == "ClusterIP" and svc["selector"] == {"app": "checkout"}
