"""A rename that left an HPA behind, end to end: incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode and scored against their answer keys as `vigil eval` does. The HPA's
status is the HPA controller's real wording (AbleToScale=False, FailedGetScale, `deployments/scale.apps "x" not
found`). Two shapes and a negative twin:

- a chart renamed Deployment `quotes` to `quotes-svc` (a suffix added); an SLO burn on quotes-svc;
- a v1 -> v2 rename (`ledger-v1` -> `ledger-v2`) asked about in chat;
- the twin: the HPA's target was deleted and nothing took its place (a Deployment with an unrelated name was
  created at the same time): the HPA is the suspect and no rename is claimed.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)


def _hpa(inc: Incident, ns: str, name: str, target: str, failing_since: datetime) -> dict[str, Any]:
    return inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(failing_since - timedelta(
                        days=60))},
                    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                             "minReplicas": 3, "maxReplicas": 20, "metrics": [{"type": "Resource", "resource": {
                                 "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
                    "status": {"currentReplicas": 8, "desiredReplicas": 8, "conditions": [
                        {"type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
                         "message": "the HPA controller was unable to get the target's current scale: "
                                    f'deployments/scale.apps "{target}" not found',
                         "lastTransitionTime": ts(failing_since + timedelta(seconds=15))}]}})


def _created_at(inc: Incident, ns: str, name: str, when: datetime) -> None:
    """A Deployment a rename created is new: its creationTimestamp is the rename (the kit dates workloads back)."""
    inc.find("Deployment", ns, name)["metadata"]["creationTimestamp"] = ts(when)


def _slow(at: datetime, logger: str) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 60 * M), end, 30, lambda i, t: L.pylog(
            t, "WARNING" if i % 3 else "ERROR", logger, f"request timed out after 5000ms id={4100 + i}")))
    return log


def renamed_with_suffix() -> Incident:
    """pricing/quotes was renamed quotes-svc by the chart; HPA quotes still scales Deployment/quotes."""
    at = datetime(2026, 11, 27, 18, 10, tzinfo=UTC)
    inc = Incident("quotes-burn-after-rename", title="quotes-svc error budget burn",
                   story=renamed_with_suffix.__doc__ or "", at=at, seed=961, namespaces=("pricing",))
    renamed = at - 4 * 60 * M
    inc.deployment("pricing", "quotes-svc", [Rev(1, renamed, "helm upgrade pricing 3.0.0", [
        c("quotes", f"{REGISTRY}/pricing/quotes:3.0.0")])],
        {1: [P(log=_slow(at, "quotes.api")), P(log=_slow(at, "quotes.api"))]})
    inc.service("pricing", "quotes-svc", {"app": "quotes-svc"})
    _created_at(inc, "pricing", "quotes-svc", renamed)
    _hpa(inc, "pricing", "quotes", "quotes", renamed)
    inc.slo_burn("quotes-svc", "pricing", "quotes-availability", "0.99", 12.0,
                 "quotes-svc is failing more requests than its budget allows")
    inc.answer_key(culprit=("Deployment", "pricing", "quotes-svc"), keywords=["renamed", "scaleTargetRef", "HPA"],
                   root_cause="The chart renamed Deployment quotes to quotes-svc; HPA quotes still targets quotes.",
                   category="hpa-detached-by-rename", red_herrings=[])
    return inc


def renamed_version() -> Incident:
    """finance/ledger-v1 was replaced by ledger-v2; HPA ledger still targets ledger-v1."""
    at = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    inc = Incident("ledger-slow-question", title="question about ledger", story=renamed_version.__doc__ or "",
                   at=at, seed=962, namespaces=("finance",))
    renamed = at - 90 * M
    inc.deployment("finance", "ledger-v2", [Rev(1, renamed, "deploy ledger v2", [
        c("ledger", f"{REGISTRY}/finance/ledger:2.0.0")])],
        {1: [P(log=_slow(at, "ledger.http")), P(log=_slow(at, "ledger.http"))]})
    inc.service("finance", "ledger", {"app": "ledger-v2"})
    _created_at(inc, "finance", "ledger-v2", renamed)
    _hpa(inc, "finance", "ledger", "ledger-v1", renamed)
    inc.ask("ledger-v2 requests time out since the morning peak started, what is wrong?")
    inc.answer_key(culprit=("Deployment", "finance", "ledger-v2"), keywords=["renamed", "scaleTargetRef"],
                   root_cause="ledger-v2 replaced ledger-v1; HPA ledger still targets ledger-v1.",
                   category="hpa-detached-by-rename", red_herrings=[])
    return inc


def deleted_without_replacement() -> Incident:
    """The negative twin: Deployment reports-worker was deleted; a Deployment invoices-api was created meanwhile."""
    at = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    inc = Incident("reports-hpa-orphaned", title="question about reports", story=deleted_without_replacement.__doc__
                   or "", at=at, seed=963, namespaces=("reports",))
    gone = at - 2 * 60 * M
    inc.deployment("reports", "invoices-api", [Rev(1, gone, "deploy invoices-api", [
        c("invoices", f"{REGISTRY}/reports/invoices:1.0.0")])], {1: [P(), P()]})
    _created_at(inc, "reports", "invoices-api", gone)
    _hpa(inc, "reports", "reports-worker", "reports-worker", gone)
    inc.ask("the reports-worker autoscaler does nothing since this morning, why?")
    inc.answer_key(culprit=("HorizontalPodAutoscaler", "reports", "reports-worker"), keywords=["scaleTargetRef"],
                   root_cause="The HPA targets a deleted Deployment.", category="hpa-target-deleted",
                   red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    builders = (renamed_with_suffix, renamed_version, deleted_without_replacement)
    return investigate_blind(builders, tmp_path_factory.mktemp("renamed"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("quotes-burn-after-rename", ("Deployment pricing/quotes-svc replaced Deployment quotes", "scaleTargetRef")),
    ("ledger-slow-question", ("Deployment finance/ledger-v2 replaced Deployment ledger-v1", "scaleTargetRef")),
])
def test_the_replacement_is_named(results: dict[str, object], bundle: str, words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_a_deleted_target_with_no_replacement_claims_no_rename(results: dict[str, object]) -> None:
    top = str(getattr(results["reports-hpa-orphaned"], "top", "") or "")
    assert "scaleTargetRef" in top and "replaced" not in top and "invoices-api" not in top, top
