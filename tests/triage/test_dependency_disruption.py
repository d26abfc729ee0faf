"""A callee's only pod removed by a disruption, nothing keeping one serving (agent.triage.dependency_disruption).

Units on PodDisruptionBudget selection and budgets, then four incident bundles written with the corpus
writer, served by the replay API server, investigated blind in runbook-only mode as `vigil eval` does.
The alert is always on the caller, whose logs name the callee's in-cluster host:

- invoicing -> fx-rates (Go JSON logs, `dial tcp ...: connect: connection refused`): the
  cluster-autoscaler's scale-down evicts fx-rates' single pod (pod event ScaleDown "deleting pod for
  node scale down", node event ScaleDown, taint ToBeDeletedByClusterAutoscaler); the replacement is
  still warming up. Twin: the same caller errors, but fx-rates' pod was never disrupted (it is simply
  not ready): no disruption is invented.
- payouts -> ledger (Python requests, `[Errno 111] Connection refused`): the scheduler preempts
  ledger's single pod for a higher-priority one (event Preempted). Twin: ledger runs two replicas:
  another replica was there to serve, so this is not the class.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import dependency_disruption as dd
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o  # noqa: E402

M = timedelta(minutes=1)


def test_a_budget_selects_by_labels_and_expressions() -> None:
    pdb = {"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "fx"},
                                                    "matchExpressions": [{"key": "tier", "operator": "In",
                                                                          "values": ["api"]}]}}}
    assert dd._selects(pdb, {"app": "fx", "tier": "api"})
    assert not dd._selects(pdb, {"app": "fx", "tier": "worker"})
    assert not dd._selects({"spec": {}}, {"app": "fx"})  # an empty selector selects nothing (policy/v1)


@pytest.mark.parametrize(("spec", "replicas", "keeps"), [
    ({"minAvailable": 1}, 1, True), ({"minAvailable": 0}, 1, False), ({"minAvailable": "0%"}, 3, False),
    ({"maxUnavailable": 1}, 1, False), ({"maxUnavailable": 1}, 2, True), ({"maxUnavailable": "50%"}, 2, True),
])
def test_a_budget_keeps_a_pod_only_when_it_forbids_evicting_the_last(spec: dict[str, Any], replicas: int,
                                                                      keeps: bool) -> None:
    assert dd._keeps_one({"spec": spec}, replicas) is keeps


# ---- end to end --------------------------------------------------------------------------------

def _gone_pod(inc: Incident, ns: str, rs: str, suffix: str) -> dict[str, Any]:
    """The removed pod as its events name it (the pod object itself is gone from the API)."""
    name = f"{rs}-{suffix}"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns,
                                                            "uid": o.uid("pod", ns, name)}}


def _callee(inc: Incident, ns: str, name: str, replicas: int, at: datetime, node: str) -> tuple[Any, str]:
    def warm(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 40, lambda i, t: L.js(t, "info", f"warming cache {i * 7}%")))
    plans = [P(state="notready", created=at - 5 * M, node=node, log=warm,
               message="Readiness probe failed: HTTP probe failed with statuscode: 503")]
    plans += [P(created=at - timedelta(days=3)) for _ in range(replicas - 1)]
    wl = inc.deployment(ns, name, [Rev(1, at - timedelta(days=12), "helm upgrade",
                                       [c(name, f"{REGISTRY}/{ns}/{name}:5.1.0", port=8080)])], {1: plans},
                        replicas=replicas)
    inc.service(ns, name, {"app": name}, port=8080, target=8080)
    return wl, wl.rs[1]


def _fx(name: str, disrupted: bool) -> Incident:
    at = datetime(2026, 11, 24, 14, 20, tzinfo=UTC)
    inc = Incident(name, title="invoicing cannot convert currencies", story="", at=at, seed=383,
                   namespaces=("rates", "billing"))
    target = "ip-10-0-7-31.eu-west-1.compute.internal"
    _, rs = _callee(inc, "rates", "fx-rates", 1, at, "ip-10-0-3-22.eu-west-1.compute.internal")
    gone = at - 6 * M
    if disrupted:
        old = _gone_pod(inc, "rates", rs, "k8v2q")
        inc.event(old, "ScaleDown", "deleting pod for node scale down", gone, warning=False,
                  component="cluster-autoscaler")
        inc.event(old, "Killing", "Stopping container fx-rates", gone + timedelta(seconds=1), warning=False,
                  host=target)
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": target, "uid": o.uid("node", "", target)}}
        inc.event(node, "ScaleDown", "marked the node as toBeDeleted/unschedulable", gone, warning=False,
                  component="cluster-autoscaler")

    def caller(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, gone + M), end, 9, lambda i, t: L.js(
            t, "error", "rate lookup failed", invoice=f"inv-{4400 + i}",
            error='Get "http://fx-rates.rates.svc.cluster.local:8080/v2/rates?base=EUR": dial tcp 172.20.14.9:8080: '
                  "connect: connection refused")))
    inc.deployment("billing", "invoicing", [Rev(4, at - timedelta(days=4), "helm upgrade invoicing",
                                                [c("invoicing", f"{REGISTRY}/billing/invoicing:8.2.0", port=8080)])],
                   {4: [P(log=caller), P(log=caller)]})
    inc.service("billing", "invoicing", {"app": "invoicing"}, port=80, target=8080)
    inc.alertmanager("InvoicingConversionErrors", {"namespace": "billing", "service": "invoicing"},
                     "invoicing cannot convert currencies", "invoicing's currency conversions fail.",
                     'sum(rate(invoicing_conversions_total{outcome="error"}[5m])) > 1', starts=at)
    inc.answer_key(culprit=("Deployment", "rates", "fx-rates"), keywords=["scale-down", "single replica"],
                   root_cause="scale-down evicted fx-rates' only pod", category="scale-down-singleton",
                   red_herrings=[])
    return inc


def _ledger(name: str, replicas: int) -> Incident:
    at = datetime(2026, 11, 25, 7, 45, tzinfo=UTC)
    inc = Incident(name, title="payouts failing", story="", at=at, seed=384, namespaces=("accounts", "payouts"))
    _, rs = _callee(inc, "accounts", "ledger", replicas, at, "ip-10-0-2-21.eu-west-1.compute.internal")
    gone = at - 7 * M
    old = _gone_pod(inc, "accounts", rs, "p4r8d")
    inc.event(old, "Preempted", "Preempted by pod 3c1b2a9e-6f1d-4c55-9a0e-2f7d1c8b9e10 on node "
                                "ip-10-0-9-12.eu-west-1.compute.internal", gone, warning=False,
              component="default-scheduler")

    def caller(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, gone + M), end, 12, lambda i, t: L.pylog(
            t, "ERROR", "payouts.worker", "requests.exceptions.ConnectionError: HTTPConnectionPool(host="
            "'ledger.accounts.svc.cluster.local', port=8080): Max retries exceeded with url: /v1/balance (Caused by "
            "NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a>: Failed to establish a new "
            "connection: [Errno 111] Connection refused'))")))
    inc.deployment("payouts", "payouts-worker", [Rev(2, at - timedelta(days=6), "helm upgrade payouts",
                                                     [c("payouts-worker", f"{REGISTRY}/payouts/worker:1.9.0")])],
                   {2: [P(log=caller)]})
    inc.ask("Why are payouts failing since about ten minutes? payouts-worker keeps erroring.")
    inc.answer_key(culprit=("Deployment", "accounts", "ledger"), keywords=["preemption", "single replica"],
                   root_cause="preemption removed ledger's only pod", category="preempted-singleton",
                   red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _fx("fx-scaled-down", True), lambda: _fx("fx-not-disrupted", False),
                              lambda: _ledger("ledger-preempted", 1), lambda: _ledger("ledger-two-replicas", 2)),
                             tmp_path_factory.mktemp("disruption"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("fx-scaled-down", ("Deployment rates/fx-rates", "single replica", "no PodDisruptionBudget",
                        "cluster-autoscaler's scale-down", "ip-10-0-7-31", "still not ready")),
    ("ledger-preempted", ("Deployment accounts/ledger", "single replica", "preemption by a higher-priority pod",
                          "Preempted")),
])
def test_the_callee_and_its_disruption_are_named_never_the_caller(results: dict[str, Any], bundle: str,
                                                                  words: tuple[str, ...]) -> None:
    top = _top(results, bundle)
    assert all(w in top for w in words), top
    assert not top.startswith(("invoicing", "payouts", "Deployment billing", "Deployment payouts")), top


@pytest.mark.parametrize("bundle", ["fx-not-disrupted", "ledger-two-replicas"])
def test_no_disruption_is_blamed_without_one_or_with_another_replica(results: dict[str, Any], bundle: str) -> None:
    top = _top(results, bundle)
    assert "removed its only pod" not in top, top
