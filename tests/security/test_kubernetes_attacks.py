"""A hostile MCP caller against the Kubernetes server: path traversal and kind spellings (issue 14, items 1-2).

Official MCP client -> the server's guardrail middleware -> the official `kubernetes` client ->
the replay API server over real HTTP. The policy denies namespace kube-system and kind Secret.
Every attack must be refused before the tool runs (an audited denial, no result record), and
nothing from kube-system or any Secret may come back; the legitimate spellings must still work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.common.bundle import Bundle
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.replay import ReplayHandle
from mcp_servers.kubernetes.server import build_server
from tests.security.conftest import audit_records

pytestmark = pytest.mark.anyio

REFUSED = "Refused by Vigil's guardrails"


def _server(replay: ReplayHandle, policy: Path, state: Path) -> Any:
    guard = ServerGuard.from_files(policy, state, "kubernetes")
    return build_server(KubeSettings(kubeconfig=str(replay.kubeconfig)), guard)


def _kube_system_names(bundle: Bundle) -> set[str]:
    return {o["metadata"]["name"] for o in bundle.objects if o["metadata"].get("namespace") == "kube-system"}


def _secret_names(bundle: Bundle) -> set[str]:
    return {o["metadata"]["name"] for o in bundle.objects if o["kind"] == "Secret"}


async def _call(c: Client, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
    result = await c.call_tool(tool, args)
    return bool(result.is_error), "\n".join(getattr(i, "text", "") for i in result.content)


def _assert_refused_before_running(state: Path, count: int) -> list[dict[str, Any]]:
    """The last `count` calls were each denied by a guardrail layer, audited, and never produced a result."""
    records = audit_records(state)
    decisions = [r for r in records if r["kind"] == "decision"][-count:]
    assert len(decisions) == count
    ran = {r["action_id"] for r in records if r["kind"] == "result"}
    for d in decisions:
        assert d["allowed"] is False, d
        assert d["layer"] in ("validation", "scoping"), d
        assert d["action_id"] not in ran, f"the tool ran for {d['arguments']}"
    return decisions


TRAVERSALS: list[tuple[str, dict[str, Any]]] = [
    ("k8s_list", {"kind": "pods", "namespace": "shop/../kube-system"}),
    ("k8s_list", {"kind": "pods", "namespace": "shop/%2e%2e/kube-system"}),
    ("k8s_list", {"kind": "pods", "namespace": "kube-system/"}),
    ("k8s_list", {"kind": "pods", "namespace": " kube-system"}),
    ("k8s_list", {"kind": "pods", "namespace": "kube-system\n"}),
    ("k8s_list", {"kind": "pods", "namespace": "Kube-System"}),
    ("k8s_list", {"kind": "pods", "namespace": "%6Bube-system"}),
    ("k8s_list", {"kind": "pods", "namespace": "shop", "label_selector": "app=web) or (x"}),
    ("k8s_list", {"kind": "pods", "namespace": "shop", "field_selector": "metadata.namespace"}),
    ("k8s_list", {"kind": "pods", "namespace": "shop", "label_selector": "app=x\n&fieldSelector=a"}),
    ("k8s_get", {"kind": "pods", "namespace": "shop", "name": "../../kube-system/pods/coredns"}),
    ("k8s_get", {"kind": "pods", "namespace": "shop", "name": ".."}),
    ("k8s_get", {"kind": "pods", "namespace": "shop", "name": "."}),
    ("k8s_get", {"kind": "pods", "namespace": "shop", "name": "%2e%2e"}),
    ("k8s_get", {"kind": "pods", "namespace": "shop", "name": "x?labelSelector=a"}),
    ("k8s_get", {"kind": "pods", "namespace": "shop/../kube-system", "name": "coredns"}),
    ("k8s_describe", {"kind": "Pod", "namespace": "shop", "name": "../../kube-system/pods/kube-proxy"}),
    ("k8s_describe", {"kind": "Pod", "namespace": "shop", "name": "cart..x"}),
    ("k8s_logs", {"namespace": "shop", "name": "../../kube-system/pods/coredns"}),
    ("k8s_logs", {"namespace": "shop/../kube-system", "name": "coredns"}),
    ("k8s_logs", {"namespace": "shop", "name": "Cart_1"}),
    ("k8s_events", {"namespace": "shop", "name": "x,involvedObject.namespace=kube-system"}),
    ("k8s_events", {"namespace": "shop/../kube-system"}),
    ("k8s_rollout_history", {"namespace": "shop/../kube-system", "name": "coredns"}),
    ("k8s_top", {"namespace": "../kube-system"}),
    ("k8s_get", {"kind": "ns", "name": "kube-system"}),  # the Namespace object itself is kube-system's
    ("k8s_describe", {"kind": "Namespace", "namespace": "shop", "name": "kube-system"}),
]


async def test_every_traversal_is_refused_before_the_tool_runs(replay, checkout_bundle, policy_file,
                                                               tmp_path: Path) -> None:
    internals = _kube_system_names(checkout_bundle)
    async with Client(_server(replay, policy_file, tmp_path)) as c:
        for tool, args in TRAVERSALS:
            error, text = await _call(c, tool, args)
            assert error and text.startswith(REFUSED), (tool, args, text)
            assert "argument" in text or "kube-system" in text, f"the refusal must name what: {text}"
            leaked = {n for n in internals if n in text and n not in str(args)}
            assert not leaked, (tool, args, leaked)
    _assert_refused_before_running(tmp_path, len(TRAVERSALS))


async def test_kube_system_stays_hidden_from_all_namespace_answers(replay, checkout_bundle, policy_file,
                                                                   tmp_path: Path) -> None:
    internals = _kube_system_names(checkout_bundle)
    async with Client(_server(replay, policy_file, tmp_path)) as c:
        _, pods = await _call(c, "k8s_list", {"kind": "pods", "field_selector": "metadata.namespace=kube-system"})
        _, events = await _call(c, "k8s_events", {})
    assert not {n for n in internals if n in pods + events}


SECRET_SPELLINGS = ["Secret", "secrets", "secret", "SECRETS", "Secrets", "secrets.", "Secret.", " Secret",
                    "Secret ", "secrets/", "/secrets", "v1/secrets", "secrets.v1", "Secret\n", "secret.core",
                    "secrets.apps"]


async def test_no_spelling_of_secret_gets_past_the_kind_rule(replay, checkout_bundle, policy_file,
                                                             tmp_path: Path) -> None:
    secrets = _secret_names(checkout_bundle)
    calls: list[tuple[str, dict[str, Any]]] = []
    for spelling in SECRET_SPELLINGS:
        calls += [("k8s_list", {"kind": spelling, "namespace": "shop"}),
                  ("k8s_list", {"kind": spelling}),
                  ("k8s_get", {"kind": spelling, "namespace": "shop", "name": "checkout-db"}),
                  ("k8s_describe", {"kind": spelling, "namespace": "shop", "name": "checkout-db"}),
                  ("k8s_events", {"kind": spelling, "namespace": "shop"})]
    calls += [("k8s_get", {"kind": "ConfigMap", "namespace": "shop", "name": "../secrets/checkout-db"}),
              ("k8s_describe", {"kind": "pods", "namespace": "shop", "name": "../secrets/checkout-db"}),
              ("k8s_get", {"kind": "configmaps", "namespace": "shop/secrets", "name": "checkout-db"})]
    async with Client(_server(replay, policy_file, tmp_path)) as c:
        for tool, args in calls:
            error, text = await _call(c, tool, args)
            assert error and text.startswith(REFUSED), (tool, args, text)
            assert not {n for n in secrets if n in text and n not in str(args)}, (tool, args, text)
    decisions = _assert_refused_before_running(tmp_path, len(calls))
    by_rule = {d["rule"] for d in decisions}
    assert "deny-secrets" in by_rule and "arguments" in by_rule
    judged = [d for d in decisions if d["rule"] == "deny-secrets"]
    assert all(d["arguments"]["kind"] == "Secret" for d in judged), "the policy must judge the canonical kind"


async def test_unknown_spellings_name_the_close_matches(replay, policy_file, tmp_path: Path) -> None:
    async with Client(_server(replay, policy_file, tmp_path)) as c:
        _, trailing = await _call(c, "k8s_list", {"kind": "Secret.", "namespace": "shop"})
        _, typo = await _call(c, "k8s_list", {"kind": "deploymnets", "namespace": "shop"})
    assert "argument 'kind'" in trailing and "close spellings: Secret" in trailing
    assert "close spellings: deployments" in typo


LEGIT: list[tuple[str, dict[str, Any], str]] = [
    ("k8s_list", {"kind": "po", "namespace": "shop"}, "checkout-"),
    ("k8s_list", {"kind": "pods", "namespace": "shop", "label_selector": "app in (checkout,cart),tier!=cache"},
     "checkout-"),
    ("k8s_list", {"kind": "deploy"}, "checkout"),
    ("k8s_list", {"kind": "deployments.apps", "namespace": "shop"}, "checkout"),
    ("k8s_list", {"kind": "DEPLOYMENTS.Apps", "namespace": "shop"}, "checkout"),
    ("k8s_list", {"kind": "smon"}, "checkout"),
    ("k8s_list", {"kind": "ServiceMonitor.monitoring.coreos.com"}, "checkout"),
    ("k8s_get", {"kind": "svc", "namespace": "shop", "name": "checkout"}, "checkout"),
    ("k8s_get", {"kind": "Deployment", "namespace": "shop", "name": "checkout"}, "checkout"),
    ("k8s_get", {"kind": "nodes", "name": "ip-10-0-1-20.eu-west-1.compute.internal"}, "Ready"),
    ("k8s_rollout_history", {"kind": "deploy", "namespace": "shop", "name": "checkout"}, "rev "),
    ("k8s_events", {"kind": "po", "namespace": "shop"}, "BackOff"),
    ("k8s_get", {"kind": "ns", "name": "shop"}, "shop"),
]


async def test_legitimate_spellings_and_dotted_names_still_work(replay, policy_file, tmp_path: Path) -> None:
    async with Client(_server(replay, policy_file, tmp_path)) as c:
        for tool, args, expected in LEGIT:
            error, text = await _call(c, tool, args)
            assert not error and expected in text, (tool, args, text[:400])
        # A dotted DNS-1123 name passes every guardrail and reaches the API, which says it does not exist.
        error, missing = await _call(c, "k8s_get", {"kind": "cm", "namespace": "shop", "name": "my.app-v1.2"})
    assert error and not missing.startswith(REFUSED) and "not found" in missing
    canonical = [r["arguments"].get("kind") for r in audit_records(tmp_path) if r["kind"] == "decision"]
    assert {"Pod", "Deployment.apps", "ServiceMonitor.monitoring.coreos.com", "Service", "Node"} <= set(canonical)


@pytest.mark.slow
async def test_over_stdio_the_same_attacks_are_refused(policy_file: Path, tmp_path: Path) -> None:
    """The server as Claude Code starts it: a real stdio process, replaying the bundle itself."""
    import sys

    from mcp.client.stdio import StdioServerParameters

    from tests.security.conftest import INCIDENTS

    state = tmp_path / "state"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.kubernetes.cli", "--replay", str(INCIDENTS / "checkout-oom"),
              "--state-dir", str(state), "--policy", str(policy_file)],
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    async with Client(params) as c:
        traversal = await _call(c, "k8s_list", {"kind": "pods", "namespace": "shop/../kube-system"})
        spelling = await _call(c, "k8s_list", {"kind": "secrets", "namespace": "shop"})
        legit = await _call(c, "k8s_list", {"kind": "po", "namespace": "shop"})
    assert traversal[0] and traversal[1].startswith(REFUSED) and "argument namespace" in traversal[1]
    assert spelling[0] and "deny-secrets" in spelling[1] and "checkout-db" not in spelling[1]
    assert not legit[0] and "checkout-" in legit[1]
    records = audit_records(state)
    denied = [r for r in records if r["kind"] == "decision" and not r["allowed"]]
    assert [r["rule"] for r in denied] == ["schema", "deny-secrets"]
    assert not {r["action_id"] for r in denied} & {r["action_id"] for r in records if r["kind"] == "result"}
