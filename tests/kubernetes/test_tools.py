"""Every MCP tool through the official MCP client, against the replay API server.

The server runs in-process (mcp.Client(server)), with the shipped default policy and its guardrail
middleware; the Kubernetes side is real HTTP through the official `kubernetes` client.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.common.compact import estimate_tokens
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.server import build_server
from tests.policies import DENY_KUBE_SYSTEM

pytestmark = pytest.mark.anyio

TOOLS = {"k8s_list", "k8s_get", "k8s_describe", "k8s_logs", "k8s_events", "k8s_rollout_history", "k8s_nodes",
         "k8s_top", "k8s_changes", "k8s_topology", "k8s_scan"}


def _server(replays: dict[str, Any], name: str, tmp_path: Path) -> Any:
    guard = ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM)
    return build_server(KubeSettings(kubeconfig=str(replays[name].kubeconfig)), guard)


async def _call(c: Client, tool: str, args: dict[str, Any], error: bool = False) -> str:
    result = await c.call_tool(tool, args)
    text = "\n".join(getattr(i, "text", "") for i in result.content)
    assert result.is_error == error, text
    return text


async def test_tools_are_listed_read_only(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.annotations and tool.annotations.read_only_hint and not tool.annotations.destructive_hint
        assert tool.description


async def test_list_puts_unhealthy_first_and_hides_denied_namespaces(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "payments-bad-config", tmp_path)) as c:
        text = await _call(c, "k8s_list", {"kind": "pods"})
        narrow = await _call(c, "k8s_list", {"kind": "po", "namespace": "payments", "label_selector": "app=payments"})
    lines = text.splitlines()
    assert "need attention (CrashLoopBackOff: 2)" in lines[0]
    assert "hidden by policy: kube-system" in lines[1]
    rows = [ln for ln in lines if ln.startswith("| ") and "NAMESPACE" not in ln]
    assert "CrashLoopBackOff" in rows[0] and "CrashLoopBackOff" in rows[1]
    assert not any("kube-system" in r for r in rows)
    assert "| payments |" not in narrow  # one namespace: no namespace column
    assert narrow.count("| payments-") == 4


async def test_list_respects_the_budget_and_says_how_to_get_more(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        text = await _call(c, "k8s_list", {"kind": "pods", "budget_tokens": 400})
        crds = await _call(c, "k8s_list", {"kind": "smon"})
    assert estimate_tokens(text) <= 440
    assert "more rows left out" in text and "k8s_list(kind='pods'" in text
    assert "checkout-" in text  # the OOMKilled pods survive the cut
    assert "| shop | checkout |" in crds and "| web | frontend |" in crds


async def test_get_summary_and_yaml_strip_noise(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "catalog-bad-image", tmp_path)) as c:
        summary = await _call(c, "k8s_get", {"kind": "deployment", "name": "catalog", "namespace": "shop"})
        as_yaml = await _call(c, "k8s_get", {"kind": "Deployment", "name": "catalog", "namespace": "shop",
                                             "output": "yaml"})
        node = await _call(c, "k8s_get", {"kind": "nodes", "name": "ip-10-0-1-20.eu-west-1.compute.internal"})
    assert "PROBLEM: 2/3 ready" in summary and "ProgressDeadlineExceeded" in summary
    assert "catalog:v2.4.1" in summary
    assert "kind: Deployment" in as_yaml and "managedFields" not in as_yaml
    assert "condition Ready=True" in node


async def test_describe_pod_gives_state_termination_owner_chain_and_events(replays, bundles, tmp_path: Path) -> None:
    name = bundles["checkout-oom"].expected["key_evidence"][0]["args"]["name"]
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        text = await _call(c, "k8s_describe", {"kind": "Pod", "name": name, "namespace": "shop"})
    assert "last termination: reason OOMKilled, exit code 137" in text
    assert "limits memory=512Mi" in text
    assert f"owner chain: Pod/{name} -> ReplicaSet/checkout-" in text and "-> Deployment/checkout" in text
    assert "| Warning | BackOff |" in text
    assert "DB_PASSWORD=<secret checkout-db/password>" in text


async def test_logs_previous_filter_and_collapse(replays, bundles, tmp_path: Path) -> None:
    b = bundles["payments-bad-config"]
    pod = b.expected["key_evidence"][0]["args"]["name"]
    async with Client(_server(replays, "payments-bad-config", tmp_path)) as c:
        previous = await _call(c, "k8s_logs", {"name": pod, "namespace": "payments", "previous": True})
        grep = await _call(c, "k8s_logs", {"name": pod, "namespace": "payments", "grep": "valueerror"})
        missing = await _call(c, "k8s_logs", {"name": pod, "namespace": "payments", "container": "sidecar"},
                              error=True)
    assert "(previous instance)" in previous and "Traceback (most recent call last):" in previous
    assert 'File "/app/payments/config.py", line' in previous
    assert grep.splitlines()[1:] == ["ValueError: could not convert string to float: '5s'"]
    assert "has no container 'sidecar'" in missing


async def test_logs_collapse_repeats_and_keep_newest(replays, bundles, tmp_path: Path) -> None:
    b = bundles["frontend-dependency-outage"]
    pod = b.expected["key_evidence"][2]["args"]["name"]
    async with Client(_server(replays, "frontend-dependency-outage", tmp_path)) as c:
        text = await _call(c, "k8s_logs", {"name": pod, "namespace": "web", "grep": "feature-store request failed"})
        small = await _call(c, "k8s_logs", {"name": pod, "namespace": "web", "budget_tokens": 200})
    assert "repeats collapsed" in text and "(x" in text
    assert "earlier lines left out" in small
    full = b.pod_log("web", pod, "recommendations") or ""
    newest = full.splitlines()[-1].split(" ", 1)[1]
    assert small.rstrip().endswith(newest)


async def test_events_warnings_first_deduplicated(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "catalog-bad-image", tmp_path)) as c:
        text = await _call(c, "k8s_events", {"namespace": "shop"})
        only = await _call(c, "k8s_events", {"namespace": "shop", "kind": "Deployment", "name": "catalog"})
        everywhere = await _call(c, "k8s_events", {})
    rows = [ln for ln in text.splitlines() if ln.startswith("| 2026")]
    types = [r.split("|")[3].strip() for r in rows]
    assert types == sorted(types, key=lambda t: t != "Warning") and types[0] == "Warning"
    assert "Failed to pull image" in text
    assert all("Deployment/catalog" in ln for ln in only.splitlines() if ln.startswith("| 2026"))
    assert "NAMESPACE" in everywhere


async def test_rollout_history_names_the_change(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "payments-bad-config", tmp_path)) as c:
        text = await _call(c, "k8s_rollout_history", {"name": "payments", "namespace": "payments"})
        sts = await _call(c, "k8s_rollout_history", {"name": "payments", "namespace": "payments", "kind": "pod"},
                          error=True)
    assert "current revision 8" in text
    assert "changed: payments env GATEWAY_TIMEOUT='5' -> GATEWAY_TIMEOUT='5s'" in text
    assert "rev 7" in text and "payments:3.14.0" in text
    assert "not Pod" in sts


async def test_nodes_and_top(replays, bundles, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        nodes = await _call(c, "k8s_nodes", {})
        top = await _call(c, "k8s_top", {"namespace": "shop"})
        top_nodes = await _call(c, "k8s_top", {"what": "nodes"})
        top_all = await _call(c, "k8s_top", {})
    assert "4 nodes, all Ready" in nodes and "/110" in nodes
    first = [ln for ln in top.splitlines() if ln.startswith("| ")][2]
    assert first.startswith("| checkout-"), top  # the pod nearest its memory limit leads
    assert "MEMORY%" in top_nodes
    assert "kube-system" not in top_all


async def test_clear_errors_for_unknown_kind_missing_pod_and_missing_namespace(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        kind = await _call(c, "k8s_list", {"kind": "widgets"}, error=True)
        pod = await _call(c, "k8s_describe", {"kind": "pod", "name": "nope", "namespace": "shop"}, error=True)
        ns = await _call(c, "k8s_get", {"kind": "pod", "name": "nope"}, error=True)
        ctx = await _call(c, "k8s_nodes", {"context": "prod"}, error=True)
        denied = await _call(c, "k8s_list", {"kind": "pods", "namespace": "kube-system"}, error=True)
    assert "no resource kind 'widgets'" in kind
    assert 'pods "nope" not found' in pod and "k8s_list" in pod
    assert "is namespaced: pass its namespace" in ns
    assert "context 'prod' is not in the kubeconfig" in ctx
    assert "deny-kube-system" in denied
    for text in (kind, pod, ns, ctx):
        assert "Traceback" not in text


async def test_hostile_annotation_is_flagged_as_data(replays, bundles, tmp_path: Path) -> None:
    b = bundles["checkout-oom"]
    key = b.expected["hostile_text"]["pod_annotation"]["key"]
    pod = next(p for p in b.objects_of("Pod", "shop") if key in (p["metadata"].get("annotations") or {}))
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        text = await _call(c, "k8s_get", {"kind": "pod", "name": pod["metadata"]["name"], "namespace": "shop"})
    assert text.startswith("WARNING: this result contains text that looks like instructions")


def _canaries(bundle: Any) -> list[str]:
    values = list(bundle.expected["secret_canaries"])
    return values + [base64.b64encode(v.encode()).decode() for v in values]


@pytest.mark.slow
async def test_no_secret_value_leaves_through_any_tool(replays, bundles, tmp_path: Path) -> None:
    b = bundles["checkout-oom"]
    outputs = []
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        for ns, name in (("shop", "checkout-db"), ("payments", "payments-gateway")):
            for output in ("summary", "yaml"):
                outputs.append(await _call(c, "k8s_get", {"kind": "Secret", "name": name, "namespace": ns,
                                                          "output": output}))
            outputs.append(await _call(c, "k8s_describe", {"kind": "secret", "name": name, "namespace": ns}))
            outputs.append(await _call(c, "k8s_events", {"namespace": ns}))
        outputs.append(await _call(c, "k8s_list", {"kind": "secrets"}))
        outputs.append(await _call(c, "k8s_list", {"kind": "secrets", "namespace": "shop"}))
        for pod in b.objects_of("Pod", "shop"):
            outputs.append(await _call(c, "k8s_describe", {"kind": "pod", "name": pod["metadata"]["name"],
                                                           "namespace": "shop"}))
            outputs.append(await _call(c, "k8s_get", {"kind": "pod", "name": pod["metadata"]["name"],
                                                      "namespace": "shop", "output": "yaml"}))
        outputs.append(await _call(c, "k8s_rollout_history", {"name": "checkout", "namespace": "shop"}))
    joined = "\n".join(outputs)
    assert "password,username" in joined  # the keys are shown ...
    for canary in _canaries(b):
        assert canary not in joined  # ... the values never
    assert "last-applied-configuration" not in joined


async def test_hostile_log_line_is_flagged_as_data(replays, bundles, tmp_path: Path) -> None:
    log = bundles["checkout-oom"].expected["hostile_text"]["log"]
    async with Client(_server(replays, "checkout-oom", tmp_path)) as c:
        text = await _call(c, "k8s_logs", {"name": log["pod"], "namespace": log["namespace"], "grep": "rejected"})
    assert text.startswith("WARNING: this result contains text that looks like instructions")


async def test_only_allowed_contexts_are_served(replays, tmp_path: Path) -> None:
    settings = KubeSettings(kubeconfig=str(replays["checkout-oom"].kubeconfig), allowed_contexts=["prod-eu"])
    async with Client(build_server(settings, ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM))) as c:
        text = await _call(c, "k8s_nodes", {}, error=True)
    assert "is not served here; use one of: prod-eu" in text


async def test_describe_workload_includes_warnings_on_its_pods(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "catalog-bad-image", tmp_path)) as c:
        text = await _call(c, "k8s_describe", {"kind": "deploy", "name": "catalog", "namespace": "shop"})
    assert "rollout history of Deployment shop/catalog (current revision 12)" in text
    assert "ImagePullBackOff" in text and 'Failed to pull image "registry.example.com/shop/catalog:v2.4.1"' in text
    assert "| Normal | ScalingReplicaSet | Deployment/catalog |" in text


async def test_describe_service_counts_ready_endpoints(replays, tmp_path: Path) -> None:
    async with Client(_server(replays, "frontend-dependency-outage", tmp_path)) as c:
        upstream = await _call(c, "k8s_describe", {"kind": "svc", "name": "recommendations", "namespace": "web"})
        frontend = await _call(c, "k8s_describe", {"kind": "Service", "name": "frontend", "namespace": "web"})
    assert "endpoints: 0 ready, 2 not ready  [NO READY ENDPOINTS" in upstream
    assert "endpoints: 1 ready, 2 not ready" in frontend and "NO READY" not in frontend


async def test_list_problems_only(replays, bundles, tmp_path: Path) -> None:
    async with Client(_server(replays, "catalog-bad-image", tmp_path)) as c:
        text = await _call(c, "k8s_list", {"kind": "pods", "problems_only": True})
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and "NAMESPACE" not in ln]
    assert len(rows) == 2 and all("| shop |" in r and "ImagePullBackOff" in r for r in rows)
    visible = [p for p in bundles["catalog-bad-image"].objects_of("Pod") if p["metadata"]["namespace"] != "kube-system"]
    assert text.startswith(f"{len(visible)} Pods in ")  # the summary still counts every visible pod
