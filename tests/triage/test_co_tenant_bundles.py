"""Another client of the victim's dependency, end to end: incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus (redis_exporter's `redis_commands_total` by cmd and `redis_slowlog_length`, kafka-exporter's lag),
investigated in runbook-only mode as `vigil eval` does. Two shapes and a negative twin:

- session-api's go-redis calls turn slow; session-reaper's revision two rolled out before the onset sweeps
  `match=sess:*` every minute and the exporter counts KEYS; a profile-api rollout after the onset is a red herring;
- invoice-stats' revision sets KAFKA_GROUP_ID to the consumer group the lag alert is about;
- the twin: the same reaper has swept for a month (its revision is old): it is not named.
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


def _session_api(onset: datetime) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, onset), end, 20, lambda i, t: L.logfmt(
            t, "warn", "slow redis call", cmd="GET", key=f"sess:{4410 + 37 * i}", duration_ms=1800 + i % 400)
            if i % 3 else L.logfmt(t, "error", "redis call failed", cmd="GET", err="redis: i/o timeout")))
    return log


def _reaper(since: datetime) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, since), end, 60, lambda i, t: L.pylog(
            t, "INFO", "reaper",
            f"sweeping match=sess:* examined={3_900_000 + 40 * i} removed={i % 17} in 2.{i % 9}s")))
    return log


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 300, lambda i, t: L.logfmt(t, "info", "request served", status=200,
                                                                 duration_ms=12)))


def _redis_incident(name: str, seed: int, reaper_at: timedelta, culprit: bool) -> Incident:
    at = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    onset = at - 40 * M
    inc = Incident(name, title="session-api latency", story="a Redis co-tenant", at=at, seed=seed,
                   namespaces=("accounts",))
    inc.deployment("accounts", "session-api", [Rev(4, at - timedelta(days=6), "deploy 4.2.0", [
        c("session-api", f"{REGISTRY}/accounts/session-api:4.2.0",
          env=[{"name": "REDIS_ADDR", "value": "redis.accounts.svc:6379"}])])],
        {4: [P(log=_session_api(onset)), P(log=_session_api(onset))]})
    inc.statefulset("accounts", "redis", [c("redis", "redis:7.2", port=6379)], [P(log=_quiet)], at - timedelta(days=90),
                    service=6379)
    inc.deployment("accounts", "session-reaper", [
        Rev(1, at - timedelta(days=60), "deploy 1.4.0", [c("reaper", f"{REGISTRY}/accounts/session-reaper:1.4.0",
                                                          port=None)]),
        Rev(2, at - reaper_at, "deploy 2.0.0", [c("reaper", f"{REGISTRY}/accounts/session-reaper:2.0.0", port=None,
                                                 env=[{"name": "SWEEP_EVERY_SECONDS", "value": "60"}])])],
        {2: [P(log=_reaper(at - reaper_at))]})
    inc.deployment("accounts", "profile-api", [
        Rev(7, at - timedelta(days=9), "deploy 7.0.1", [c("profile-api", f"{REGISTRY}/accounts/profile-api:7.0.1")]),
        Rev(8, at - 15 * M, "deploy 7.1.0", [c("profile-api", f"{REGISTRY}/accounts/profile-api:7.1.0")])],
        {8: [P(log=_quiet)]})
    started = at - reaper_at
    inc.series("redis_commands_total", "counter", "Total number of calls per command",
               {"namespace": "accounts", "pod": "redis-0", "job": "redis-exporter", "cmd": "keys"},
               lambda t: max(0.0, (t - started).total_seconds() // 60))
    inc.series("redis_commands_duration_seconds_total", "counter", "Total amount of time in seconds spent per command",
               {"namespace": "accounts", "pod": "redis-0", "job": "redis-exporter", "cmd": "keys"},
               lambda t: max(0.0, (t - started).total_seconds() // 60) * 2.1)
    inc.series("redis_slowlog_length", "gauge", "Total slowlog",
               {"namespace": "accounts", "pod": "redis-0", "job": "redis-exporter"},
               lambda t: min(128.0, max(0.0, (t - started).total_seconds() // 60)))
    inc.alertmanager("SessionApiLatencyHigh", {"namespace": "accounts", "service": "session-api"},
                     "session-api p99 latency above 300ms", "session-api p99 latency is above 300ms for 10 minutes.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace='
                     '"accounts"}[5m]))) > 0.3', severity="critical")
    if culprit:
        inc.answer_key(culprit=("Deployment", "accounts", "session-reaper"), keywords=["KEYS", "blocks"],
                       root_cause="session-reaper 2.0.0 sweeps sess:* with KEYS every minute; Redis blocks.",
                       category="redis-keys-command-blocking",
                       red_herrings=[("Deployment", "accounts", "profile-api")])
    else:
        inc.answer_key(culprit=("StatefulSet", "accounts", "redis"), keywords=["redis"],
                       root_cause="Redis is slow for a reason this bundle does not hold.", category="unexplained",
                       red_herrings=[("Deployment", "accounts", "session-reaper")])
    return inc


def reaper_new() -> Incident:
    """session-reaper 2.0.0 rolled out 55 min before the alert (15 min before the first slow call)."""
    return _redis_incident("session-latency-reaper", 991, 55 * M, True)


def reaper_old() -> Incident:
    """The twin: the same reaper has run since its rollout a month ago."""
    return _redis_incident("session-latency-old-reaper", 992, timedelta(days=30), False)


def copied_group() -> Incident:
    """invoice-stats' revision 3 set KAFKA_GROUP_ID to invoice-writers, the lagging group of billing/invoice-writer."""
    at = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    inc = Incident("invoice-lag-grouped", title="invoice-writers lag", story=copied_group.__doc__ or "", at=at,
                   seed=993, namespaces=("billing", "reporting"))
    inc.deployment("billing", "invoice-writer", [Rev(2, at - timedelta(days=20), "deploy 2.3.0", [
        c("invoice-writer", f"{REGISTRY}/billing/invoice-writer:2.3.0", port=None)])], {2: [P(log=_quiet)]})
    inc.deployment("reporting", "invoice-stats", [
        Rev(2, at - timedelta(days=12), "deploy 0.9.0", [c("stats", f"{REGISTRY}/reporting/invoice-stats:0.9.0",
                                                          port=None)]),
        Rev(3, at - 50 * M, "deploy 1.0.0", [c("stats", f"{REGISTRY}/reporting/invoice-stats:1.0.0", port=None,
                                              env=[{"name": "KAFKA_GROUP_ID", "value": "invoice-writers"},
                                                   {"name": "KAFKA_TOPICS", "value": "invoices"}])])],
        {3: [P(log=_quiet)]})
    for part in range(4):
        inc.series("kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
                   {"consumergroup": "invoice-writers", "topic": "invoices", "partition": str(part),
                    "job": "kafka-exporter"},
                   lambda t, p=part: 0.0 if p < 2 or t < at - 50 * M else (t - (at - 50 * M)).total_seconds())
    inc.alertmanager("KafkaConsumerGroupLagHigh", {"namespace": "billing", "consumergroup": "invoice-writers",
                                                   "topic": "invoices"},
                     "Kafka consumer group lag is high.",
                     "Consumer group invoice-writers lag on invoices is above 1000.",
                     "sum by (consumergroup, topic) (kafka_consumergroup_lag) > 1000", severity="critical")
    inc.answer_key(culprit=("Deployment", "reporting", "invoice-stats"), keywords=["group.id", "consumer group",
                                                                                  "partitions"],
                   root_cause="invoice-stats joined invoice-writers with a copied group.id and takes partitions.",
                   category="kafka-shared-consumer-group-id", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((reaper_new, reaper_old, copied_group), tmp_path_factory.mktemp("co-tenant"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("session-latency-reaper", ("Deployment accounts/session-reaper matches keys by pattern sess:*", "with KEYS",
                                "blocks single-threaded Redis")),
    ("invoice-lag-grouped", ("Deployment reporting/invoice-stats took another service's identity",
                             "KAFKA_GROUP_ID='invoice-writers'")),
])
def test_the_other_client_of_the_shared_dependency_is_named(results: dict[str, object], bundle: str,
                                                            words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_a_reaper_that_has_run_for_a_month_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["session-latency-old-reaper"], "top", "") or "")
    assert "session-reaper" not in top, top
