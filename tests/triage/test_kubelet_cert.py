"""agent.triage.kubelet_cert: a NotReady node whose kubelet client certificate expired.

The expiry query runs against a real Debian `prometheus` loaded with our own series of
`kubelet_certificate_manager_client_ttl_seconds` (the kubelet's real metric name and meaning):
one node whose TTL runs down to zero and whose scrapes then stop (rotation off), one whose TTL is
renewed by rotation, and one exporting the label as `kubernetes_node` (a relabelled scrape).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.triage import kubelet_cert
from agent.triage.facts import Facts
from mcp_servers.prometheus.local import LocalPrometheus

START = 1_795_564_800  # 2026-11-25T00:00:00Z
STEP = 60
EXPIRED_AT = START + 3 * 3600  # the first node's certificate expires at 03:00Z; its scrapes stop there
AT = START + 4 * 3600  # the alert, 04:00Z


def _openmetrics() -> str:
    metric = kubelet_cert.METRIC
    lines = [f"# HELP {metric} Gauge of the TTL (time-to-live) of the Kubelet's client certificate.",
             f"# TYPE {metric} gauge"]
    for t in range(START, AT + 1, STEP):
        if t < EXPIRED_AT:  # rotation off: counts down to expiry, then the kubelet cannot be scraped
            lines.append(f'{metric}{{node="n-expired",job="kubelet"}} {EXPIRED_AT - t} {t}')
        rotated = START + 2 * 3600 if t < START + 2 * 3600 else START + 30 * 86400  # renewed at 02:00Z
        lines.append(f'{metric}{{node="n-rotating",job="kubelet"}} {rotated - t} {t}')
        if t < EXPIRED_AT + 1800:
            lines.append(f'{metric}{{kubernetes_node="n-relabelled",job="kubelet"}} {EXPIRED_AT + 1800 - t} {t}')
    return "\n".join([*lines, "# EOF"]) + "\n"


def _not_ready(node: str, since: int) -> dict[str, Any]:
    return {"check": "node.not_ready", "severity": "critical", "object": {"kind": "Node", "name": node},
            "reason": "NotReady", "since": datetime.fromtimestamp(since, UTC).isoformat().replace("+00:00", "Z"),
            "message": f"Node {node}: NotReady (NodeStatusUnknown: Kubelet stopped posting node status.)"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("Debian prometheus is not installed")
    path: Path = tmp_path_factory.mktemp("kcert") / "kubelet.om"
    path.write_text(_openmetrics(), encoding="utf-8")
    with LocalPrometheus(path) as prom:
        answer = httpx.get(f"{prom.url}/api/v1/query", params={"query": kubelet_cert.QUERY, "time": AT}).json()
    assert answer["status"] == "success", answer
    return [{"labels": r["metric"], "value": float(r["value"][1])} for r in answer["data"]["result"]]


def _facts(samples: list[dict[str, Any]], *findings: dict[str, Any]) -> Facts:
    facts = Facts(at=datetime.fromtimestamp(AT, UTC), scan={"findings": list(findings)})
    facts.objects.append(({"kind": kubelet_cert.KIND, "samples": samples}, "E9"))
    return facts


def test_the_query_gives_each_certificates_expiry(samples: list[dict[str, Any]]) -> None:
    by_node = {s["labels"].get("node") or s["labels"].get("kubernetes_node"): s["value"] for s in samples}
    assert by_node["n-expired"] == EXPIRED_AT
    assert by_node["n-rotating"] == START + 30 * 86400  # renewed: the latest certificate counts


def test_not_ready_node_with_expired_certificate_is_named(samples: list[dict[str, Any]]) -> None:
    facts = _facts(samples, _not_ready("n-expired", EXPIRED_AT + 45), _not_ready("n-rotating", EXPIRED_AT))
    found = kubelet_cert.expired(facts)
    assert [f.node for f in found] == ["n-expired"]
    finding = kubelet_cert.finding(found[0])
    assert finding["object"] == {"kind": "Node", "namespace": "", "name": "n-expired"}
    assert "expired at 2026-11-25T03:00:00Z" in finding["message"]
    assert "rotateCertificates" in finding["message"] and found[0].evidence_id == "E9"


def test_relabelled_node_label_and_the_timing_rule(samples: list[dict[str, Any]]) -> None:
    # Expired at 03:30Z; NotReady since 03:25Z: within the slack, named.
    near = _facts(samples, _not_ready("n-relabelled", EXPIRED_AT + 1500))
    assert [f.node for f in kubelet_cert.expired(near)] == ["n-relabelled"]
    # NotReady since 01:00Z, hours before the certificate expired: something else stopped it.
    early = _facts(samples, _not_ready("n-relabelled", START + 3600))
    assert kubelet_cert.expired(early) == []


def test_no_not_ready_node_means_no_query() -> None:
    calls: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> None:
        calls.append(tool)

    import asyncio

    asyncio.run(kubelet_cert.read_ttls(Facts(at=datetime.now(UTC), scan={"findings": []}), call, "x"))
    assert calls == []
    assert timedelta(minutes=10) == kubelet_cert.SLACK
