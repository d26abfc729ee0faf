"""Each bundled incident's metrics, backfilled into a real Prometheus, answer the queries its
expected.yaml names, and the summaries point at the culprit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client

from mcp_servers.common.server import ServerGuard
from mcp_servers.prometheus.client import PromSettings
from mcp_servers.prometheus.local import LocalPrometheus
from mcp_servers.prometheus.server import build_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

INCIDENTS = Path(__file__).resolve().parents[2] / "examples" / "incidents"
BUNDLES = sorted(p.parent.name for p in INCIDENTS.glob("*/manifest.yaml"))


def _bundle(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    manifest = yaml.safe_load((INCIDENTS / name / "manifest.yaml").read_text())
    expected = yaml.safe_load((INCIDENTS / name / "expected.yaml").read_text())
    return manifest, expected


async def _range(c: Client, manifest: dict[str, Any], query: str) -> str:
    window = manifest["metrics_window"]
    result = await c.call_tool("prom_query_range", {"query": query, "start": window["start"], "end": window["end"]})
    text = "\n".join(getattr(i, "text", "") for i in result.content)
    assert not result.is_error, text
    return text


def test_every_bundle_is_found() -> None:
    assert {"checkout-oom", "frontend-dependency-outage"} <= set(BUNDLES)


@pytest.mark.parametrize("name", BUNDLES)
async def test_expected_prometheus_evidence_answers(name: str, tmp_path: Path) -> None:
    manifest, expected = _bundle(name)
    queries = [e["query"] for e in expected.get("key_evidence", []) if e.get("source") == "prometheus"]
    if not queries:  # a bundle whose evidence is elsewhere: its culprit's restarts must still be there
        namespace = expected["culprit"]["namespace"]
        queries = [f'sum by (pod) (kube_pod_container_status_restarts_total{{namespace="{namespace}"}})']
    with LocalPrometheus(INCIDENTS / name / manifest["metrics"]) as prom:
        async with Client(build_server(PromSettings(url=prom.url), ServerGuard.for_tests(tmp_path))) as c:
            for query in queries:
                text = await _range(c, manifest, query)
                assert "| 1 |" in text, f"{query} returned no series in the bundle's window:\n{text}"


async def test_checkout_oom_summary_shows_the_leaking_release(tmp_path: Path) -> None:
    manifest, _ = _bundle("checkout-oom")
    with LocalPrometheus(INCIDENTS / "checkout-oom" / manifest["metrics"]) as prom:
        async with Client(build_server(PromSettings(url=prom.url), ServerGuard.for_tests(tmp_path))) as c:
            text = await _range(c, manifest, 'max by (pod) (container_memory_working_set_bytes'
                                             '{namespace="shop",container="checkout"})')
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    # the new release's pods lead, each a sawtooth up to the 512Mi limit, born after the 13:52 deploy
    top = rows[:3]
    assert all("sawtooth" in r and "starts 2026-03-12T13:5" in r for r in top), text
    assert all("| 537M |" in r for r in top)
    # the old release's pods end right after the deploy
    assert any("stops 2026-03-12T1" in r for r in rows[3:])


async def test_frontend_outage_names_the_503s_and_the_dependency(tmp_path: Path) -> None:
    manifest, _ = _bundle("frontend-dependency-outage")
    with LocalPrometheus(INCIDENTS / "frontend-dependency-outage" / manifest["metrics"]) as prom:
        async with Client(build_server(PromSettings(url=prom.url), ServerGuard.for_tests(tmp_path))) as c:
            codes = await _range(c, manifest, 'sum by (code) (rate(http_requests_total{namespace="web",'
                                              'service="frontend"}[5m]))')
            replicas = await _range(c, manifest, 'kube_deployment_status_replicas_available{namespace="web"}')
    first = next(line for line in codes.splitlines() if line.startswith("| 1 |"))
    assert '{code="503"}' in first and "from 2026-06-03T21:2" in first
    first = next(line for line in replicas.splitlines() if line.startswith("| 1 |"))
    assert 'deployment="recommendations"' in first and "step 2->0" in first
