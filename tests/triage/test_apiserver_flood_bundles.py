"""Who floods the Kubernetes API server, end to end: incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus (the API server's real APF series: `apiserver_flowcontrol_rejected_requests_total` by priority_level,
flow_schema and reason, `apiserver_flowcontrol_current_inqueue_requests`), investigated in runbook-only mode as
`vigil eval` does. Two shapes and a negative twin:

- cert-manager's controller logs client-go's 429 wording (klog); a namespace annotator's revision cut
  POLL_INTERVAL_SECONDS from 600 to 10 the day before; a question about certificates not renewing;
- external-secrets logs the APF handler's body ("Too many requests, please try again later."); a cost exporter's
  revision raised KUBE_API_QPS from 5 to 100; a question about secrets not syncing;
- the twin: checkout logs an application's own 429 from a payment API, with the same QPS change elsewhere in the
  cluster: nobody is named as flooding the API server.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)
CLIENT_GO = "the server has received too many requests and has asked us to try again later"
APF_BODY = "Too many requests, please try again later."


def _apf(inc: Incident, onset: datetime, level: str, schema: str) -> None:
    """The API server's APF series: the level's rejections climb from `onset`, its queues stay full."""
    inc.series("apiserver_flowcontrol_rejected_requests", "counter", "Number of requests rejected by API Priority "
               "and Fairness subsystem", {"job": "apiserver", "priority_level": level, "flow_schema": schema,
                                          "reason": "queue-full"},
               lambda t: max(0.0, (t - onset).total_seconds()) * 35.0)
    inc.series("apiserver_flowcontrol_rejected_requests", "counter", "Number of requests rejected by API Priority "
               "and Fairness subsystem", {"job": "apiserver", "priority_level": "global-default",
                                          "flow_schema": "global-default", "reason": "queue-full"}, lambda t: 0.0)
    inc.series("apiserver_flowcontrol_current_inqueue_requests", "gauge", "Number of requests currently pending in "
               "queues of the API Priority and Fairness subsystem", {"job": "apiserver", "priority_level": level,
                                                                     "flow_schema": schema},
               lambda t: 128.0 if t >= onset else 3.0)


def _failing(at: datetime, said: str) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 40 * M), end, 30, lambda i, t: L.klog(
            t, "E", "controller.go:167", f'"Reconciler error" err="{said}" key="ns-{i % 7}/obj-{i}"')))
    return log


def annotator_sync_period() -> Incident:
    """ops/namespace-annotator revision 4 cut POLL_INTERVAL_SECONDS 600 -> 10; cert-manager gets 429."""
    at = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    inc = Incident("cert-renewals-stuck-question", title="question about cert-manager",
                   story=annotator_sync_period.__doc__ or "", at=at, seed=981, namespaces=("cert-manager", "ops"))
    inc.deployment("cert-manager", "cert-manager", [Rev(3, at - timedelta(days=40), "helm upgrade 1.15.3", [
        c("cert-manager-controller", "quay.io/jetstack/cert-manager-controller:v1.15.3", port=None)])],
        {3: [P(log=_failing(at, CLIENT_GO))]})
    inc.deployment("ops", "namespace-annotator", [
        Rev(3, at - timedelta(days=30), "deploy 1.2.0", [c("annotator", f"{REGISTRY}/ops/annotator:1.2.0",
                                                           env=[{"name": "POLL_INTERVAL_SECONDS", "value": "600"}])]),
        Rev(4, at - timedelta(hours=22), "deploy 1.3.0", [c("annotator", f"{REGISTRY}/ops/annotator:1.3.0",
                                                            env=[{"name": "POLL_INTERVAL_SECONDS", "value": "10"}])])],
        {4: [P()]})
    _apf(inc, at - 10 * M, "workload-low", "service-accounts")
    inc.ask("cert-manager has not renewed a single certificate since about 10:50 and its controller keeps logging "
            "errors. What is going on?")
    inc.answer_key(culprit=("Deployment", "ops", "namespace-annotator"), keywords=["priority and fairness",
                                                                               "workload-low", "POLL_INTERVAL_SECONDS"],
                   root_cause="namespace-annotator polls every 10 s; APF's workload-low level rejects cert-manager.",
                   category="apiserver-priority-level-flooded", red_herrings=[])
    return inc


def exporter_qps() -> Incident:
    """tools/cost-exporter revision 8 raised KUBE_API_QPS 5 -> 100; external-secrets gets APF's 429."""
    at = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    inc = Incident("secrets-not-syncing-question", title="question about external-secrets",
                   story=exporter_qps.__doc__ or "", at=at, seed=982, namespaces=("external-secrets", "tools"))
    inc.deployment("external-secrets", "external-secrets", [Rev(2, at - timedelta(days=12), "helm upgrade 0.10.4", [
        c("external-secrets", "ghcr.io/external-secrets/external-secrets:v0.10.4", port=None)])],
        {2: [P(log=_failing(at, APF_BODY))]})
    inc.deployment("tools", "cost-exporter", [
        Rev(7, at - timedelta(days=9), "deploy 0.4.0", [c("exporter", f"{REGISTRY}/tools/cost-exporter:0.4.0",
                                                         env=[{"name": "KUBE_API_QPS", "value": "5"}])]),
        Rev(8, at - timedelta(hours=6), "deploy 0.5.0", [c("exporter", f"{REGISTRY}/tools/cost-exporter:0.5.0",
                                                          env=[{"name": "KUBE_API_QPS", "value": "100"}])])],
        {8: [P()]})
    _apf(inc, at - 20 * M, "workload-low", "service-accounts")
    inc.ask("external-secrets stopped syncing secrets about 20 minutes ago, why?")
    inc.answer_key(culprit=("Deployment", "tools", "cost-exporter"), keywords=["priority and fairness",
                                                                           "KUBE_API_QPS"],
                   root_cause="cost-exporter's QPS went 5 -> 100; APF rejects external-secrets in workload-low.",
                   category="apiserver-priority-level-flooded", red_herrings=[])
    return inc


def application_429() -> Incident:
    """The twin: checkout gets 429 from a payment API (its own rate limit); cost-exporter's QPS change is unrelated."""
    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    inc = Incident("checkout-429-question", title="question about checkout", story=application_429.__doc__ or "",
                   at=at, seed=983, namespaces=("shop", "tools"))

    def checkout_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 40 * M), end, 20, lambda i, t: L.pylog(
            t, "ERROR", "checkout.payments", "POST https://api.payments.example/v1/charges: 429 Too Many Requests: "
            '{"error":"rate_limit_exceeded"}')))

    inc.deployment("shop", "checkout", [Rev(5, at - timedelta(days=3), "deploy 5.1.0", [
        c("checkout", f"{REGISTRY}/shop/checkout:5.1.0")])], {5: [P(log=checkout_log), P(log=checkout_log)]})
    inc.deployment("tools", "cost-exporter", [
        Rev(7, at - timedelta(days=9), "deploy 0.4.0", [c("exporter", f"{REGISTRY}/tools/cost-exporter:0.4.0",
                                                         env=[{"name": "KUBE_API_QPS", "value": "5"}])]),
        Rev(8, at - timedelta(hours=6), "deploy 0.5.0", [c("exporter", f"{REGISTRY}/tools/cost-exporter:0.5.0",
                                                          env=[{"name": "KUBE_API_QPS", "value": "100"}])])],
        {8: [P()]})
    inc.ask("checkout payments fail with 429 since about 09:20, why?")
    inc.answer_key(culprit=("Deployment", "shop", "checkout"), keywords=["429"],
                   root_cause="The payment provider rate-limits checkout.", category="application-rate-limited",
                   red_herrings=[("Deployment", "tools", "cost-exporter")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    builders = (annotator_sync_period, exporter_qps, application_429)
    return investigate_blind(builders, tmp_path_factory.mktemp("apiserver-flood"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("cert-renewals-stuck-question", ("Deployment ops/namespace-annotator floods the Kubernetes API server",
                                      "POLL_INTERVAL_SECONDS 600 -> 10", "workload-low", "Priority and Fairness")),
    ("secrets-not-syncing-question", ("Deployment tools/cost-exporter floods the Kubernetes API server",
                                      "KUBE_API_QPS 5 -> 100", "workload-low")),
])
def test_the_client_that_floods_the_priority_level_is_named(results: dict[str, object], bundle: str,
                                                            words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_an_applications_own_429_names_no_api_server_flood(results: dict[str, object]) -> None:
    top = str(getattr(results["checkout-429-question"], "top", "") or "")
    assert "floods the Kubernetes API server" not in top, top
