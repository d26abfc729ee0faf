"""A writer's value the datastore's semantics turn into harm, end to end: our own bundles, investigated blind.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does. Shapes unlike the benchmark's:

- an OpenSearch log indexer (a Deployment) whose rollout sets INDEX_NUMBER_OF_REPLICAS '1' -> '0'; a node loss later
  leaves a primary unassigned (opensearch exporter series, the cluster manager's RED line);
- a Python web app whose rollout raises PASSLIB_BCRYPT_ROUNDS '12' -> '15': gunicorn workers time out;
- the twin: the same indexer's rollout keeps one replica (only its image moves): it is not named for its value.
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
AT = datetime(2026, 12, 8, 11, 0, tzinfo=UTC)


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 300, lambda i, t: L.logfmt(t, "info", "batch indexed", docs=500 + i)))


def _cluster_manager(lost: datetime) -> L.LogFn:
    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(lost, f"[{lost:%Y-%m-%dT%H:%M:%S},000][WARN ][o.o.c.r.a.AllocationService] [{pod}] Cluster "
                               "health status changed from [GREEN] to [RED] (reason: [{logs-os-2} reason: "
                               "disconnected]).")])
    return log


def _indexer(name: str, seed: int, replicas: str) -> Incident:
    lost = AT - 20 * M
    inc = Incident(name, title="OpenSearch cluster red", story="index replicas", at=AT, seed=seed,
                   namespaces=("logs",))
    env_old = [{"name": "OPENSEARCH_URL", "value": "https://logs-os.logs:9200"},
               {"name": "INDEX_NUMBER_OF_REPLICAS", "value": "1"}]
    env_new = [env_old[0], {"name": "INDEX_NUMBER_OF_REPLICAS", "value": replicas}]
    inc.deployment("logs", "log-indexer", [
        Rev(5, AT - timedelta(days=20), "deploy 3.1.0", [c("indexer", f"{REGISTRY}/logs/log-indexer:3.1.0",
                                                          port=None, env=env_old)]),
        Rev(6, AT - timedelta(hours=20), "deploy 3.2.0", [c("indexer", f"{REGISTRY}/logs/log-indexer:3.2.0",
                                                           port=None, env=env_new)])],
        {6: [P(log=_quiet)]})
    inc.statefulset("logs", "logs-os", [c("opensearch", "opensearchproject/opensearch:2.17.1", port=9200,
                                          readiness_path=None, liveness_path=None)],
                    [P(log=_cluster_manager(lost)), P(log=_quiet)], AT - timedelta(days=60), service=9200)
    labels = {"job": "opensearch-exporter", "namespace": "logs", "cluster": "logs-os"}
    inc.series("opensearch_cluster_health_unassigned_shards", "gauge", "Unassigned shards", labels,
               lambda t: 0.0 if t < lost else 2.0)
    inc.alertmanager("OpenSearchClusterRed", {"namespace": "logs", "cluster": "logs-os"},
                     "OpenSearch cluster logs-os is red", "At least one primary shard is not allocated.",
                     "opensearch_cluster_health_unassigned_shards > 0", severity="critical")
    inc.answer_key(culprit=("Deployment", "logs", "log-indexer"), keywords=["number_of_replicas", "unassigned"],
                   root_cause="log-indexer 3.2.0 creates indices with no replica; a lost node took a primary.",
                   category="index-created-without-replicas", red_herrings=[])
    return inc


def indexer_no_replica() -> Incident:
    """log-indexer 3.2.0 writes INDEX_NUMBER_OF_REPLICAS 0."""
    return _indexer("logs-red-no-replica", 1201, "0")


def indexer_one_replica() -> Incident:
    """The twin: 3.2.0 keeps one replica."""
    return _indexer("logs-red-one-replica", 1202, "1")


def bcrypt_rounds() -> Incident:
    """shop-web's rollout raises PASSLIB_BCRYPT_ROUNDS 12 -> 15: gunicorn workers time out hashing at login."""
    slow = AT - 30 * M
    inc = Incident("shop-login-timeouts", title="shop-web 5xx", story=bcrypt_rounds.__doc__ or "", at=AT, seed=1203,
                   namespaces=("shop",))

    def web(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, slow), end, 40, lambda i, t: (
            f"[{t:%Y-%m-%d %H:%M:%S} +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:{40 + i})")))

    env = [{"name": "DATABASE_HOST", "value": "shop-db.shop"}]
    inc.deployment("shop", "shop-web", [
        Rev(8, AT - timedelta(days=9), "deploy 5.0.0", [c("web", f"{REGISTRY}/shop/shop-web:5.0.0", env=[
            *env, {"name": "PASSLIB_BCRYPT_ROUNDS", "value": "12"}])]),
        Rev(9, AT - 90 * M, "deploy 5.0.1", [c("web", f"{REGISTRY}/shop/shop-web:5.0.1", env=[
            *env, {"name": "PASSLIB_BCRYPT_ROUNDS", "value": "15"}])])],
        {9: [P(log=web), P(log=web)]})
    inc.alertmanager("ShopWebErrors", {"namespace": "shop", "service": "shop-web"}, "shop-web 5xx above 5%",
                     "shop-web answers 5xx to more than 5% of requests.",
                     'sum(rate(http_requests_total{namespace="shop",code=~"5.."}[5m])) > 0', severity="critical")
    inc.answer_key(culprit=("Deployment", "shop", "shop-web"), keywords=["bcrypt", "cost"],
                   root_cause="bcrypt rounds raised 12 -> 15: each hash costs 8x the CPU, gunicorn workers time out.",
                   category="bcrypt-cost-raised", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((indexer_no_replica, indexer_one_replica, bcrypt_rounds),
                             tmp_path_factory.mktemp("write-semantics"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("logs-red-no-replica", ("Deployment logs/log-indexer writes INDEX_NUMBER_OF_REPLICAS 1 -> 0", "no replica",
                             "unassigned")),
    ("shop-login-timeouts", ("Deployment shop/shop-web writes PASSLIB_BCRYPT_ROUNDS 12 -> 15", "WORKER TIMEOUT")),
])
def test_the_writer_and_its_value_are_named(results: dict[str, object], bundle: str, words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top


def test_an_indexer_that_keeps_a_replica_is_not_named_for_its_value(results: dict[str, object]) -> None:
    top = str(getattr(results["logs-red-one-replica"], "top", "") or "")
    assert "writes INDEX_NUMBER_OF_REPLICAS" not in top, top
