"""The shipped conclusion rules on evidence shaped like the real tools' answers.

The four bundled scenarios exercise the runbooks end to end (test_scenarios.py). The other
runbooks are checked here on evidence written in the exact layout the Kubernetes and Prometheus
MCP tools print (tables, `instant query ... : N series`, rollout history lines), recorded from
those tools and adapted to each incident; each case also checks what is ruled out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.incident import Incident
from agent.runbooks.catalog import SHIPPED_DIR, Catalog
from agent.runbooks.conclusions import conclude

CATALOG = Catalog.load([SHIPPED_DIR])
FIXTURES = Path(__file__).parent / "fixtures"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


INCIDENT = Incident(
    fingerprint="f", title="t", source="alertmanager", started_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
    labels={"alertname": "X", "namespace": "shop", "pod": "api-7d9f8b6c5d-x2x4z", "deployment": "api",
            "container": "api", "node": "ip-10-0-1-20", "persistentvolumeclaim": "data-db-0",
            "horizontalpodautoscaler": "api", "name": "api-tls"},
)


def series(query: str, *rows: str) -> str:
    if not rows:
        return f"instant query `{query}` at 2026-05-01T12:00:00Z: empty result."
    table = "\n".join(f"| {r} | 1 |" for r in rows)
    return (f"instant query `{query}` at 2026-05-01T12:00:00Z: {len(rows)} series, largest value first.\n"
            f"| series | value |\n|---|---|\n{table}")


NODES_BAD = """4 nodes; 1 with problems
| NODE | CONDITIONS | CPU REQUESTED/ALLOCATABLE | MEMORY REQUESTED/ALLOCATABLE | PODS | KUBELET |
|---|---|---|---|---|---|
| ip-10-0-1-20 | MemoryPressure | 3.6/3910m (92%) | 14Gi/15Gi (93%) | 40/110 | v1.30.4 |
| ip-10-0-2-21 | Ready | 950m/3910m (24%) | 1.5Gi/15Gi (10%) | 11/110 | v1.30.4 |"""
NODES_OK = """4 nodes, all Ready, no pressure
| NODE | CONDITIONS | CPU REQUESTED/ALLOCATABLE | MEMORY REQUESTED/ALLOCATABLE | PODS | KUBELET |
|---|---|---|---|---|---|
| ip-10-0-1-20 | Ready | 1050m/3910m (27%) | 2.0Gi/15Gi (13%) | 12/110 | v1.30.4 |"""
EVENTS_QUIET = _fixture("events-quiet.txt")
PENDING_EVENTS = _fixture("events-failed-scheduling.txt")
PULL_EVENTS = _fixture("events-image-not-found.txt")
HISTORY = _fixture("rollout-history-image.txt")


@pytest.mark.parametrize(
    ("runbook_id", "evidence", "top_rule", "in_text", "ruled_out"),
    [
        ("pod-pending", {"events": PENDING_EVENTS, "describe": "Pod shop/api\nstatus: Pending", "nodes": NODES_OK},
         "insufficient-resources", "memory", {"taint-or-selector", "unbound-volume"}),
        ("node-notready", {"nodes": NODES_BAD, "describe": "Node ip-10-0-1-20", "events": EVENTS_QUIET},
         "memory-pressure", "memory pressure", {"disk-pressure", "kubelet-down"}),
        ("imagepullbackoff", {"describe": "Pod shop/api\nPROBLEM: ImagePullBackOff", "events": PULL_EVENTS,
                              "history": HISTORY, "pods": "| api-7d9f8b6c5d-x2x4z | 0/1 | ImagePullBackOff |"},
         "bad-tag-in-rollout", "registry.example.com/shop/api:9.9.8", {"registry-auth", "registry-unreachable"}),
        ("pvc-full", {"usage": series("q", '{persistentvolumeclaim="data-db-0"}'),
                      "forecast": series("predict_linear(...) < 0", '{persistentvolumeclaim="data-db-0"}'),
                      "growth": "| 1 | {} | 80G->95G | 80G | 95G | 88G | rising | - | - | x | 3 |",
                      "inodes": series("inodes > 0.9")},
         "filling-steadily", "runs out of space", {"inodes-exhausted"}),
        ("certificate-expiry", {"expiry": series("expiry < 14", '{name="api-tls", namespace="shop"}'),
                                "not-ready": series("ready"), "certificate": "Certificate shop/api-tls\nReady=True",
                                "events": EVENTS_QUIET},
         "expiring-soon", "14 days", {"renewal-failing"}),
        ("hpa-maxed-out", {"hpa": "HorizontalPodAutoscaler shop/api", "at-max": series("current >= max", '{hpa="api"}'),
                           "traffic": "| 1 | {} | 40->95 | 40 | 95 | 70 | rising | step 40->95 | x2.4 vs 40 | x | 9 |",
                           "cpu": "| 1 | {} | 0.01->0.01 | 0.01 | 0.01 | 0.01 | flat | - | x1 vs 0.01 | x | 1 |",
                           "events": EVENTS_QUIET},
         "load-growth", "traffic", {"cost-per-request"}),
        ("latency-slo-burn", {"throttling": series("throttled > 0.25", '{pod="api-1", container="api"}'),
                              "p99": "| 1 | {} | 0.2->1.4 | 0.2 | 1.4 | 0.9 | rising | step | x5.1 vs 0.2 | x | 8 |",
                              "traffic": "| 1 | {} | 40->41 | 40 | 41 | 40 | flat | - | x1 vs 40 | x | 1 |",
                              "slow-share": series("share"), "pods": "", "history": HISTORY},
         "cpu-throttling", "CPU-throttled", {"traffic-surge"}),
        ("dns-failures", {"rcodes": series("rcode", '{rcode="SERVFAIL"}'),
                          "coredns-pods": "| coredns-5d78c9869d-abcde | 0/1 | CrashLoopBackOff | 12 |",
                          "forward": series("forward"), "events": EVENTS_QUIET},
         "coredns-down", "CoreDNS", {"upstream-failing"}),
    ],
)
def test_rules_on_tool_shaped_evidence(runbook_id: str, evidence: dict[str, str], top_rule: str, in_text: str,
                                       ruled_out: set[str]) -> None:
    runbook = CATALOG.get(runbook_id)
    assert runbook is not None
    conclusion = conclude(runbook, INCIDENT, evidence)
    assert conclusion.findings, f"no finding; ruled out {[r.rule_id for r in conclusion.ruled_out]}"
    assert conclusion.findings[0].rule_id == top_rule
    assert in_text in conclusion.findings[0].text
    assert ruled_out <= {r.rule_id for r in conclusion.ruled_out}


def test_healthy_evidence_gives_no_finding() -> None:
    runbook = CATALOG.get("node-notready")
    assert runbook is not None
    conclusion = conclude(runbook, INCIDENT, {"nodes": NODES_OK, "describe": "Node ip-10-0-1-20\nReady=True",
                                              "events": EVENTS_QUIET, "resources": series("q"), "ready": series("r")})
    assert conclusion.findings == []
    assert {r.rule_id for r in conclusion.ruled_out} == {"memory-pressure", "disk-pressure", "kubelet-down"}


def test_a_query_echo_never_fires_a_rule() -> None:
    """A PromQL answer repeats its query; a rule must not fire on the query's own words."""
    runbook = CATALOG.get("pvc-full")
    assert runbook is not None
    empty = series('predict_linear(kubelet_volume_stats_available_bytes{persistentvolumeclaim="data"}[6h], 345600) < 0')
    conclusion = conclude(runbook, INCIDENT, {"forecast": empty, "growth": "flat", "inodes": series("x"),
                                              "usage": series("u")})
    assert conclusion.findings == []
