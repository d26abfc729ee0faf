"""A datastore whose volume is full, end to end, asked about from the client's side.

Two bundles written by the corpus generator's own writer, replayed by the replay API server with Debian's
Prometheus, investigated blind in runbook-only mode and scored as `vigil eval` does. The question names the
failing client; the survey has to find the datastore behind it, read its logs, its pod's claims and the
kubelet's volume gauges:

- Elasticsearch 8 (JSON log, DiskThresholdMonitor's flood-stage warning) behind log-shipper, a Python
  client whose bulk requests fail with `cluster_block_exception ... TOO_MANY_REQUESTS/12/disk usage exceeded
  flood-stage watermark`; the data claim is 50Gi with 1.1Gi left.
- PostgreSQL 16 (its own log line prefix) behind orders-api, a Java service logging the server's "could not
  extend file ...: No space left on device" through the JDBC driver; the claim is 20Gi, full.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "examples") not in sys.path:
    sys.path.insert(0, str(ROOT / "examples"))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)
GI = 1024 ** 3


def _gauges(inc: Incident, ns: str, claim: str, capacity: float, left: float) -> None:
    labels = {"namespace": ns, "persistentvolumeclaim": claim, "job": "kubelet"}
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume", dict(labels),
               lambda t: capacity, 60)
    inc.series("kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume", dict(labels),
               lambda t: left, 60)


def elasticsearch_flood_stage() -> Incident:
    """log-shipper's bulk requests are blocked: the Elasticsearch data volume passed the flood-stage watermark."""
    at = datetime(2026, 9, 14, 3, 20, tzinfo=UTC)
    inc = Incident("es-flood-stage", title="log-shipper is failing to index logs",
                   story=elasticsearch_flood_stage.__doc__ or "", at=at, seed=931, namespaces=("logging",))

    def es(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - 30 * M, end, 60, lambda i, t: (
            f'{{"@timestamp":"{t.strftime("%Y-%m-%dT%H:%M:%S.000Z")}", "log.level": "WARN", "message":"flood stage '
            f'disk watermark [95%] exceeded on [Xq1tR][{pod}][/usr/share/elasticsearch/data] free: 1.1gb[2.2%], '
            'all indices on this node will be marked read-only", "ecs.version": "1.2.0","service.name":"ES_ECS",'
            '"event.dataset":"elasticsearch.server","log.logger":'
            '"org.elasticsearch.cluster.routing.allocation.DiskThresholdMonitor"}')))

    inc.statefulset("logging", "logs-es", [c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.14.1",
                                             port=9200, memory_limit="4Gi", readiness_path=None,
                                             liveness_path=None)],
                    [P(log=es, created=at - timedelta(days=40))], at - timedelta(days=40),
                    claims=[("data", "50Gi", "gp3")], service=9200)
    _gauges(inc, "logging", "data-logs-es-0", 50 * GI, 1.1 * GI)

    def shipper(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - 25 * M, end, 20, lambda i, t: L.js(
            t, "error", "bulk index failed", error="ApiError(429, 'cluster_block_exception', 'index "
            "[app-logs-2026.09.14] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, "
            "index has read-only-allow-delete block];')")))

    inc.deployment("logging", "log-shipper", [Rev(3, at - timedelta(days=9), "helm upgrade log-shipper 2.4.0", [
        c("log-shipper", f"{REGISTRY}/logging/log-shipper:2.4.0",
          env=[{"name": "ELASTICSEARCH_URL", "value": "http://logs-es.logging.svc:9200"}])])],
        {3: [P(log=shipper)] * 2})
    inc.ask("log-shipper is failing to index logs, why?")
    inc.answer_key(culprit=("PersistentVolumeClaim", "logging", "data-logs-es-0"),
                   keywords=["flood stage", "50Gi", "read-only-allow-delete"],
                   root_cause="The 50Gi data volume of logs-es-0 passed the flood-stage watermark; Elasticsearch "
                              "marked its indices read-only and log-shipper's bulk requests are blocked.",
                   category="pvc-full", red_herrings=[("Deployment", "logging", "log-shipper")])
    return inc


def postgres_disk_full() -> Incident:
    """orders-api's inserts fail: PostgreSQL cannot extend its table files on a full 20Gi volume."""
    at = datetime(2026, 9, 15, 14, 5, tzinfo=UTC)
    inc = Incident("pg-disk-full", title="orders-api returns 500 on checkout", story=postgres_disk_full.__doc__ or "",
                   at=at, seed=932, namespaces=("orders",))

    def pg(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - 30 * M, end, 45, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC [{4100 + i}] ERROR:  could not extend file "
            f"\"base/16384/16412\": No space left on device")))

    inc.statefulset("orders", "orders-db", [c("postgres", "docker.io/library/postgres:16.3", port=5432,
                                              memory_limit="2Gi", readiness_path=None, liveness_path=None)],
                    [P(log=pg, created=at - timedelta(days=60))], at - timedelta(days=60),
                    claims=[("pgdata", "20Gi", "gp3")], service=5432)
    _gauges(inc, "orders", "pgdata-orders-db-0", 20 * GI, 0.0)

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - 25 * M, end, 30, lambda i, t: "\n".join([
            f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} ERROR 1 --- [nio-8080-exec-{i % 9 + 1}] "
            "o.h.engine.jdbc.spi.SqlExceptionHelper   : ERROR: could not extend file \"base/16384/16412\": No space "
            "left on device",
            "  Hint: Check free disk space."])))

    inc.deployment("orders", "orders-api", [Rev(8, at - timedelta(days=5), "helm upgrade orders-api 5.0.2", [
        c("orders-api", f"{REGISTRY}/orders/orders-api:5.0.2",
          env=[{"name": "SPRING_DATASOURCE_URL", "value": "jdbc:postgresql://orders-db.orders.svc:5432/orders"}])])],
        {8: [P(log=api)] * 2})
    inc.ask("orders-api returns 500 on checkout")
    inc.answer_key(culprit=("PersistentVolumeClaim", "orders", "pgdata-orders-db-0"),
                   keywords=["No space left", "20Gi", "could not extend file"],
                   root_cause="The 20Gi volume of orders-db is full; PostgreSQL cannot extend its files and "
                              "orders-api's inserts fail.",
                   category="pvc-full", red_herrings=[("Deployment", "orders", "orders-api")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((elasticsearch_flood_stage, postgres_disk_full), tmp_path_factory.mktemp("volumes"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("es-flood-stage", ("PersistentVolumeClaim logging/data-logs-es-0 (50Gi", "1.1Gi of 50Gi available",
                        "log-shipper")),
    ("pg-disk-full", ("PersistentVolumeClaim orders/pgdata-orders-db-0 (20Gi", "0B of 20Gi available",
                      "orders-api")),
])
def test_the_full_claim_under_the_datastore_is_named(results: dict[str, object], bundle: str,
                                                     words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top
