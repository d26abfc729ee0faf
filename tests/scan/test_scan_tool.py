"""The scan end to end: the four example bundles, the `k8s_scan` MCP tool and `vigil scan`.

Bundles are served by the real replay API server over loopback HTTP; the tool is reached through
the official MCP client (`mcp.Client(server)`) with the guardrail middleware in front, and the
cluster through the official `kubernetes` client. No kubectl is involved anywhere.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from typer.testing import CliRunner

from mcp_servers.common.bundle import Bundle
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeClient, KubeError, KubeSettings
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server
from mcp_servers.kubernetes.resources import ResourceType
from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from mcp_servers.kubernetes.scan.snapshot import collect
from mcp_servers.kubernetes.scan.tool import run_scan
from mcp_servers.kubernetes.server import build_server

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
CANARY = "VIGIL-CANARY"
HIDE_SHOP = """\
version: 1
rules:
  - id: hide-shop
    effect: deny
    tools: ["k8s_*"]
    namespaces: ["shop"]
  - id: read-kubernetes
    effect: allow
    tools: ["k8s_*"]
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayHandle]:
    with replay_server(INCIDENTS / "catalog-bad-image", tmp_path_factory.mktemp("catalog") / "kubeconfig") as h:
        yield h


def bundle_scan(name: str) -> ScanResult:
    bundle = Bundle.load(INCIDENTS / name)
    return scan(Snapshot.from_objects(bundle.objects), bundle.captured_at)


def by_check(result: ScanResult, check: str) -> list[Any]:
    return [f for f in result.findings if f.check == check]


def test_checkout_oom_names_the_pods_and_their_limit() -> None:
    [oom] = by_check(bundle_scan("checkout-oom"), "pod.oomkilled")
    assert str(oom.object) == "Deployment shop/checkout" and oom.severity == "critical"
    assert oom.details["limit"] == "512Mi" and oom.count == 3 and all(p.startswith("checkout-") for p in oom.pods)


def test_catalog_names_the_image_that_cannot_be_pulled_and_the_stuck_rollout() -> None:
    result = bundle_scan("catalog-bad-image")
    [pull] = by_check(result, "pod.image_pull")
    assert pull.details["image"] == "registry.example.com/shop/catalog:v2.4.1"
    assert "not found" in pull.details["error"] and pull.owner is not None and pull.owner.name == "catalog"
    assert [f.details["revision"] for f in by_check(result, "workload.rollout_stuck")] == ["12"]


def test_payments_crash_loop_with_its_exit_code() -> None:
    [crash] = by_check(bundle_scan("payments-bad-config"), "pod.crashloop")
    assert str(crash.object) == "Deployment payments/payments" and crash.details["exit_code"] == 1
    assert crash.count == 2


def test_dependency_outage_names_the_upstream_without_endpoints() -> None:
    result = bundle_scan("frontend-dependency-outage")
    [svc] = by_check(result, "service.no_endpoints")
    assert str(svc.object) == "Service web/recommendations"
    assert {str(f.object) for f in by_check(result, "pod.not_ready")} == {"Deployment web/recommendations",
                                                                          "Deployment web/frontend"}


def test_secret_values_never_enter_the_snapshot_or_the_answer() -> None:
    bundle = Bundle.load(INCIDENTS / "payments-bad-config")
    assert CANARY in json.dumps([o for o in bundle.objects if o["kind"] == "Secret"])  # the bundle has them
    snap = Snapshot.from_objects(bundle.objects)
    result, text = run_scan(snap, None, None, 2000, wall=bundle.captured_at)
    assert CANARY not in json.dumps(snap.objects) and CANARY not in result.model_dump_json() and CANARY not in text
    assert all(set(s) == {"kind", "apiVersion", "metadata", "keys", "type"} for s in snap.items("Secret"))


@pytest.mark.anyio
async def test_k8s_scan_through_the_mcp_client_returns_typed_findings(catalog: ReplayHandle, tmp_path: Path) -> None:
    server = build_server(KubeSettings(kubeconfig=str(catalog.kubeconfig)), ServerGuard.for_tests(tmp_path))
    async with Client(server) as c:
        tool = next(t for t in (await c.list_tools()).tools if t.name == "k8s_scan")
        result = await c.call_tool("k8s_scan", {})
    assert tool.annotations is not None and tool.annotations.read_only_hint
    assert tool.output_schema is not None and "findings" in tool.output_schema["properties"]
    assert not result.is_error
    data = ScanResult.model_validate(result.structured_content)
    pull = next(f for f in data.findings if f.check == "pod.image_pull")
    assert pull.object.name == "catalog" and pull.details["image"].endswith("catalog:v2.4.1")
    assert data.scanned["Pod"] > 0 and all(e.endswith(": not served") for e in data.errors)
    text = "\n".join(getattr(i, "text", "") for i in result.content)
    assert "pod.image_pull Deployment shop/catalog" in text  # the text is rendered from the same findings


@pytest.mark.anyio
async def test_k8s_scan_drops_namespaces_the_policy_hides_and_refuses_unknown_checks(catalog: ReplayHandle,
                                                                                   tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(HIDE_SHOP)
    server = build_server(KubeSettings(kubeconfig=str(catalog.kubeconfig)),
                          ServerGuard.for_tests(tmp_path, policy_path=policy))
    async with Client(server) as c:
        result = await c.call_tool("k8s_scan", {"checks": ["pods", "workloads"]})
        bad = await c.call_tool("k8s_scan", {"checks": ["pods.oops"]})
    data = ScanResult.model_validate(result.structured_content)
    assert data.hidden_namespaces == ["shop"]
    assert all(f.object.namespace != "shop" for f in data.findings)
    assert bad.is_error and "argument 'checks'" in bad.content[0].text  # type: ignore[union-attr]


def test_scan_needs_no_kubectl(catalog: ReplayHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("kubectl") is None
    client = KubeClient(KubeSettings(kubeconfig=str(catalog.kubeconfig)))
    try:
        snap = collect(client, catalog.context, "shop")
    finally:
        client.close()
    result, _ = run_scan(snap, None, ["pods"], 2000)
    assert [f.object.name for f in result.findings] == ["catalog"]
    assert {p["metadata"]["namespace"] for p in snap.items("Pod")} == {"shop"}


class ForbidsSecrets(KubeClient):
    """The real client, except that listing Secrets answers 403 as an API server's RBAC would."""

    def list_all(self, context: str, t: ResourceType, namespace: str | None = None,
                 **kw: Any) -> tuple[list[dict[str, Any]], bool]:
        if t.kind == "Secret":
            raise KubeError(403, "Forbidden", 'secrets is forbidden: User "vigil" cannot list resource "secrets"')
        return super().list_all(context, t, namespace, **kw)


def test_a_forbidden_kind_is_an_error_and_never_reads_as_missing(catalog: ReplayHandle) -> None:
    client = ForbidsSecrets(KubeSettings(kubeconfig=str(catalog.kubeconfig)))
    try:
        snap = collect(client, catalog.context)
    finally:
        client.close()
    assert "Secret: forbidden by RBAC" in snap.errors and not snap.has("Secret")
    result, text = run_scan(snap, None, None, 2000)
    assert "could not list:" in text and "Secret" in text
    assert not [f for f in result.findings if f.check in ("ingress.missing_tls_secret", "pod.config_error")]
    assert any(f.check == "pod.image_pull" for f in result.findings)


def test_vigil_scan_on_a_bundle_prints_json_and_exits_zero_and_two_on_bad_usage() -> None:
    from agent.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["scan", "--bundle", str(INCIDENTS / "checkout-oom"), "--format", "json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert any(f["check"] == "pod.oomkilled" and f["details"]["limit"] == "512Mi" for f in data["findings"])
    table = runner.invoke(app, ["scan", "--bundle", str(INCIDENTS / "payments-bad-config"), "-n", "payments"])
    assert table.exit_code == 0 and "pod.crashloop" in table.stdout
    assert runner.invoke(app, ["scan", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["scan", "--check", "nope", "--bundle", str(INCIDENTS / "checkout-oom")]).exit_code == 2
    assert runner.invoke(app, ["scan", "--bundle", "/nonexistent/bundle"]).exit_code == 2
