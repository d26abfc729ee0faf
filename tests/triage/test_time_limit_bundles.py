"""A time limit cut below the work it bounds, end to end (agent.triage.time_limit).

Four incident bundles written with the corpus generator's writer, served by the replay API server and Debian's
Prometheus, investigated blind in runbook-only mode as `vigil eval` does. Two shapes of the class, each with a
negative twin:

- a gRPC deadline in a rollout's env: quote-gateway (Go, zap JSON) rolls out with `PRICING_RPC_DEADLINE` 2s ->
  250ms; its calls to pricing end `rpc error: code = DeadlineExceeded desc = context deadline exceeded` while
  pricing's own handling-time histogram (another namespace, unchanged) has a p99 near one second. Twin: the
  same rollout RAISES the deadline (250ms -> 2s): no time limit is blamed.
- an SQS visibility timeout in a ConfigMap the consumer loads with envFrom (`kubectl edit`, old value in the
  last-applied configuration): 900 -> 60 s while each export takes about four minutes; SQS makes the message
  visible again and the second consumer receives it (`receive_count` 2). Twin: 900 -> 600 s, still above every
  export: no time limit is blamed.
"""

from __future__ import annotations

import json
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
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _quotes(name: str, old: str, new: str) -> Incident:
    at = datetime(2026, 11, 24, 14, 20, tzinfo=UTC)
    inc = Incident(name, title="quote-gateway errors", story="", at=at, seed=941,
                   namespaces=("storefront", "pricing-engine"))
    rollout = at - 26 * M

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, rollout + M), end, 5, lambda i, t: json.dumps({
            "level": "error", "ts": _ts(t), "caller": "pricing/client.go:74", "msg": "quote failed",
            "sku": f"SKU-{1000 + i}", "error": "rpc error: code = DeadlineExceeded desc = context deadline exceeded",
            "target": "pricing.pricing-engine.svc.cluster.local:9090"})))

    def container(deadline: str) -> Any:
        return c("quote-gateway", f"{REGISTRY}/storefront/quote-gateway:3.1.0",
                 env=[{"name": "PRICING_ADDR", "value": "pricing.pricing-engine.svc.cluster.local:9090"},
                      {"name": "PRICING_RPC_DEADLINE", "value": deadline}])

    inc.deployment("storefront", "quote-gateway",
                   [Rev(6, at - timedelta(days=12), "deploy 3.1.0", [container(old)]),
                    Rev(7, rollout, "helm upgrade", [container(new)])],
                   {7: [P(log=log), P(log=log)]})
    inc.service("storefront", "quote-gateway", {"app": "quote-gateway"})
    inc.deployment("pricing-engine", "pricing", [Rev(3, at - timedelta(days=30), "deploy 8.0.4",
                                                     [c("pricing", f"{REGISTRY}/pricing/pricing:8.0.4", port=9090)])],
                   {3: [P(), P()]})
    inc.service("pricing-engine", "pricing", {"app": "pricing"}, port=9090, target=9090)
    for le, share in (("0.1", 0.31), ("0.25", 0.55), ("0.5", 0.93), ("1", 0.995), ("+Inf", 1.0)):
        inc.series("grpc_server_handling_seconds_bucket", "gauge", "pricing handling time, cumulative share "
                   "(recording rule)", {"namespace": "pricing-engine", "service": "pricing", "le": le,
                                         "grpc_method": "Quote"}, lambda t, s=share: s)
    inc.alertmanager("QuoteGatewayErrors", {"namespace": "storefront", "service": "quote-gateway"},
                     "quote-gateway failing quotes", "More than 30% of quote requests fail.",
                     'sum(rate(quote_requests_total{code="error"}[5m])) / sum(rate(quote_requests_total[5m])) > 0.3',
                     starts=at)
    inc.answer_key(culprit=("Deployment", "storefront", "quote-gateway"), keywords=["PRICING_RPC_DEADLINE"],
                   root_cause="The rollout cut PRICING_RPC_DEADLINE below pricing's p99.",
                   category="client-deadline-below-dependency-latency", red_herrings=[])
    return inc


def _exports(name: str, old: str, new: str) -> Incident:
    at = datetime(2026, 11, 25, 10, 5, tzinfo=UTC)
    inc = Incident(name, title="exports delivered twice", story="", at=at, seed=942, namespaces=("exports",))
    edit = at - timedelta(hours=5)
    data = {"SQS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/exports",
            "SQS_VISIBILITY_TIMEOUT_SECONDS": new, "SQS_WAIT_TIME_SECONDS": "20"}
    applied = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "exporter-sqs",
                                                                                 "namespace": "exports"},
                          "data": {**data, "SQS_VISIBILITY_TIMEOUT_SECONDS": old}})
    cm = inc.configmap("exports", "exporter-sqs", data, at=at - timedelta(days=20), annotations={LAST_APPLIED: applied})
    cm["metadata"].setdefault("managedFields", []).append({
        "manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": _ts(edit),
        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:SQS_VISIBILITY_TIMEOUT_SECONDS": {}}}})
    jobs = [at - m * M for m in (95, 70, 40)]
    seen: list[str] = []
    visible = float(new)

    def log(pod: str, start: datetime, end: datetime) -> str:
        if pod not in seen:
            seen.append(pod)
        second = seen.index(pod) == 1
        out: list[tuple[datetime, str]] = []
        for i, job in enumerate(jobs):
            if second and visible >= 240:
                continue  # the message stays invisible for the whole export: nobody else receives it
            got = job + timedelta(seconds=visible + 1 if second else 0)
            mid = f"5f0c{i}e21-7a3b-4c55-9d10-2b8e6f1a{i}c07"
            out.append((got, json.dumps({"time": _ts(got), "level": "info", "msg": "message received",
                                         "message_id": mid, "receive_count": 2 if second else 1})))
            done = got + timedelta(seconds=236 + 7 * i)
            out.append((done, json.dumps({"time": _ts(done), "level": "info", "msg": "export uploaded",
                                          "message_id": mid, "duration_s": 236 + 7 * i})))
        return L.lines(out)

    inc.deployment("exports", "exporter", [Rev(11, at - timedelta(days=6), "deploy 2.2.0",
                                               [c("exporter", f"{REGISTRY}/exports/exporter:2.2.0", port=None,
                                                  readiness_path=None, liveness_path=None)],
                                               container={"envFrom": [{"configMapRef": {"name": "exporter-sqs"}}]})],
                   {11: [P(log=log), P(log=log)]})
    inc.alertmanager("ExportsDeliveredTwice", {"namespace": "exports", "service": "exporter"},
                     "exports delivered more than once", "Customers received the same export file twice.",
                     "sum(increase(exports_uploaded_total[1h])) / sum(increase(exports_requested_total[1h])) > 1.05",
                     starts=at)
    inc.answer_key(culprit=("ConfigMap", "exports", "exporter-sqs"), keywords=["SQS_VISIBILITY_TIMEOUT_SECONDS"],
                   root_cause="The visibility timeout was cut below the export time: SQS redelivers.",
                   category="visibility-timeout-redelivery", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((lambda: _quotes("quote-deadline-cut", "2s", "250ms"),
                              lambda: _quotes("quote-deadline-raised", "250ms", "2s"),
                              lambda: _exports("exports-visibility-cut", "900", "60"),
                              lambda: _exports("exports-visibility-ample", "900", "600")),
                             tmp_path_factory.mktemp("time-limit"))


def _top(results: dict[str, object], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("quote-deadline-cut", ("Deployment storefront/quote-gateway cut a time limit",
                            "PRICING_RPC_DEADLINE 2s -> 250ms (2 s -> 250 ms)",
                            "grpc_server_handling_seconds in pricing-engine", "DeadlineExceeded")),
    ("exports-visibility-cut", ("ConfigMap exports/exporter-sqs cut a time limit",
                                "SQS_VISIBILITY_TIMEOUT_SECONDS 900 -> 60 (15 min -> 60 s)",
                                "the work takes up to", "received 2 times")),
])
def test_the_cut_limit_and_the_work_it_cuts_are_named(results: dict[str, object], bundle: str,
                                                       words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = _top(results, bundle)
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["quote-deadline-raised", "exports-visibility-ample"])
def test_a_raised_or_still_ample_limit_is_not_blamed(results: dict[str, object], bundle: str) -> None:
    top = _top(results, bundle)
    assert "cut a time limit" not in top, top
