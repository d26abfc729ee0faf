"""A datastore at its connection limit, end to end: the client whose change took the connections is named.

Two incident bundles written by the corpus generator's own writer (examples/corpus), served by the
replay API server and Debian's Prometheus, investigated blind in runbook-only mode and scored
against their answer keys, as `vigil eval` does. In both, the alerting service keeps its DSN in a
Secret (whose values are never read), so nothing configured names the datastore:

- MySQL: invoice-api (Python, PyMySQL) fails with `(1040, 'Too many connections')` after an HPA
  scaled ledger-worker out from 4 to 12 pods; `max_connections = 151` in my.cnf, mysqld_exporter's
  gauges at the limit. MySQL itself logs nothing per refused client (its default verbosity).
- Redis: cart-api (Node.js, ioredis, JSON logs) fails with `ReplyError: ERR max number of clients
  reached` after a rollout raised session-sync's REDIS_POOL_SIZE from 16 to 128; `maxclients 400`
  in redis.conf, Redis's own log format for the server.

Each has a red herring logging errors of its own. The wordings are the drivers' and servers' own.
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

M, S = timedelta(minutes=1), timedelta(seconds=1)


def _secret_env(secret: str, *names: str) -> list[dict[str, object]]:
    return [{"name": n, "valueFrom": {"secretKeyRef": {"name": secret, "key": n.lower()}}} for n in names]


def mysql_hpa_scale_out() -> Incident:
    """invoice-api fails with MySQL error 1040 after ledger-worker's HPA scaled it out from 4 to 12 pods."""
    at = datetime(2026, 11, 24, 9, 40, tzinfo=UTC)
    inc = Incident("invoice-api-1040", title="invoice-api returns 500", story=mysql_hpa_scale_out.__doc__ or "",
                   at=at, seed=901, namespaces=("billing",))
    inc.secret("billing", "billing-db", {"dsn": f"mysql://billing:{inc.canary('password', 'billing-db')}@"
                                                "billing-mysql:3306/billing"})
    scaled = at - 9 * M
    env = _secret_env("billing-db", "DB_DSN")

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < scaled + M or i % 4 == 0:
                return L.pylog(t, "INFO", "invoice_api.views", f"GET /v1/invoices/{88100 + i} 200")
            return L.pylog(t, "ERROR", "invoice_api.db", "pymysql.err.OperationalError: (1040, 'Too many "
                                                          "connections')")
        return L.lines(L.ticker(max(start, at - 30 * M), end, 10, line))

    inc.deployment("billing", "invoice-api", [Rev(12, at - timedelta(days=6), "deploy 3.4.1", [
        c("invoice-api", f"{REGISTRY}/billing/invoice-api:3.4.1", env=env)])], {12: [P(log=api_log), P(log=api_log)]})
    worker_env = [*env, {"name": "DB_POOL_SIZE", "value": "12"}]
    work = lambda p, s, e: L.lines(L.ticker(s, e, 30, lambda i, t: L.pylog(  # noqa: E731
        t, "INFO", "ledger_worker.batch", f"posted batch={7700 + i} entries={120 + i % 40}")))
    inc.deployment("billing", "ledger-worker", [Rev(5, at - timedelta(days=9), "deploy 2.2.0", [
        c("ledger-worker", f"{REGISTRY}/billing/ledger-worker:2.2.0", env=worker_env)])],
        {5: [P(log=work) for _ in range(12)]})
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "ledger-worker", "namespace": "billing", "resourceVersion": "9100",
                          "creationTimestamp": "2026-10-01T08:00:00Z", "uid": "5f0c2a4e-hpa-ledger-worker"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ledger-worker"},
                      "minReplicas": 4, "maxReplicas": 12,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 60}}}]},
             "status": {"currentReplicas": 12, "desiredReplicas": 12, "lastScaleTime": scaled.isoformat().replace(
                 "+00:00", "Z")}})
    inc.event(hpa, "SuccessfulRescale",
              "New size: 12; reason: cpu resource utilization (percentage of request) above target", scaled,
              warning=False, component="horizontal-pod-autoscaler")
    ready: L.LogFn = lambda p, s, e: L.lines([(s, f"{s.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z 0 [System] [MY-010931] "  # noqa: E731
                                                  "[Server] /usr/sbin/mysqld: ready for connections. Version: "
                                                  "'8.0.39'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  "
                                                  "MySQL Community Server - GPL.")])
    inc.statefulset("billing", "billing-mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306,
                                                   readiness_path=None, liveness_path=None)],
                    [P(log=ready)], at - timedelta(days=120), claims=[("data", "100Gi", "gp3")], service=3306)
    inc.configmap("billing", "billing-mysql-config", {"my.cnf": "[mysqld]\nmax_connections = 151\n"
                                                                "innodb_buffer_pool_size = 4G\n"})
    db = {"namespace": "billing", "service": "billing-mysql", "job": "mysqld-exporter"}
    inc.series("mysql_global_status_threads_connected", "gauge", "Generic metric from SHOW GLOBAL STATUS.", {**db},
               lambda t: 151.0 if t > scaled + 30 * S else 70.0 + t.minute % 5)
    inc.series("mysql_global_variables_max_connections", "gauge", "Generic gauge from SHOW GLOBAL VARIABLES.", {**db},
               lambda t: 151.0)
    noisy: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 90, lambda i, t: L.pylog(  # noqa: E731
        t, "ERROR", "mailer.smtp", f"SMTPServerDisconnected: Connection unexpectedly closed (attempt {i % 3 + 1})")))
    inc.deployment("billing", "receipt-mailer", [Rev(3, at - timedelta(days=30), "deploy 1.0.7", [
        c("mailer", f"{REGISTRY}/billing/receipt-mailer:1.0.7")])], {3: [P(log=noisy)]})
    inc.ask("why is invoice-api returning 500s in billing?")
    inc.answer_key(culprit=("Deployment", "billing", "ledger-worker"), keywords=["Too many connections",
                                                                                "max_connections"],
                   root_cause="ledger-worker's HPA scaled it from 4 to 12 pods with a pool of 12 each, past MySQL's "
                              "max_connections of 151.",
                   category="db-connections-exhausted", red_herrings=[("Deployment", "billing", "receipt-mailer")])
    return inc


def redis_pool_rollout() -> Incident:
    """cart-api fails with Redis's maxclients error after session-sync rolled out a pool of 128 per pod."""
    at = datetime(2026, 11, 25, 14, 20, tzinfo=UTC)
    inc = Incident("cart-api-redis-clients", title="cart-api error rate", story=redis_pool_rollout.__doc__ or "",
                   at=at, seed=902, namespaces=("shop",))
    inc.secret("shop", "shop-redis", {"url": f"redis://:{inc.canary('password', 'shop-redis')}@shop-cache:6379/0"})
    rolled = at - 14 * M
    env = _secret_env("shop-redis", "REDIS_URL")

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < rolled + 2 * M or i % 3 == 0:
                return L.js(t, "info", "cart served", path=f"/cart/{4100 + i}", status=200, ms=12 + i % 9)
            return L.js(t, "error", "redis command failed", command="GET",
                        err="ReplyError: ERR max number of clients reached")
        return L.lines(L.ticker(max(start, at - 30 * M), end, 10, line))

    inc.deployment("shop", "cart-api", [Rev(31, at - timedelta(days=3), "deploy 8.1.0", [
        c("cart-api", f"{REGISTRY}/shop/cart-api:8.1.0", env=env)])], {31: [P(log=api_log), P(log=api_log)]})
    sync: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 20, lambda i, t: L.js(  # noqa: E731
        t, "info", "sessions synced", batch=900 + i, keys=5000 + i * 7)))
    inc.deployment("shop", "session-sync", [
        Rev(7, at - timedelta(days=12), "deploy 4.0.2", [c("session-sync", f"{REGISTRY}/shop/session-sync:4.0.2",
                                                           env=[*env, {"name": "REDIS_POOL_SIZE", "value": "16"}])]),
        Rev(8, rolled, "deploy 4.1.0: bigger pool for the sale", [
            c("session-sync", f"{REGISTRY}/shop/session-sync:4.1.0",
              env=[*env, {"name": "REDIS_POOL_SIZE", "value": "128"}])])],
        {8: [P(log=sync), P(log=sync), P(log=sync)]})
    server: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 300, lambda i, t: (  # noqa: E731
        f"1:M {t.strftime('%d %b %Y %H:%M:%S')}.{i * 37 % 1000:03d} * 100 changes in 300 seconds. Saving...")))
    inc.statefulset("shop", "shop-cache", [c("redis", "docker.io/library/redis:7.4.1", port=6379,
                                             readiness_path=None, liveness_path=None)],
                    [P(log=server)], at - timedelta(days=60), service=6379)
    inc.configmap("shop", "shop-cache-config", {"redis.conf": "maxclients 400\nmaxmemory 2gb\n"
                                                              "maxmemory-policy allkeys-lru\n"})
    db = {"namespace": "shop", "service": "shop-cache", "job": "redis-exporter"}
    inc.series("redis_connected_clients", "gauge", "connected_clients metric", {**db},
               lambda t: 400.0 if t > rolled + 2 * M else 150.0 + t.minute % 7)
    inc.series("redis_config_maxclients", "gauge", "config_maxclients metric", {**db}, lambda t: 400.0)
    herring: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 60, lambda i, t: L.js(  # noqa: E731
        t, "warn", "recommendation model slow", ms=1800 + i % 300, err="upstream timed out")))
    inc.deployment("shop", "recs", [Rev(2, at - timedelta(days=20), "deploy 0.9.3", [
        c("recs", f"{REGISTRY}/shop/recs:0.9.3")])], {2: [P(log=herring)]})
    inc.alertmanager("HighErrorRate", {"namespace": "shop", "service": "cart-api", "job": "cart-api"},
                     "cart-api error rate above 5%", "cart-api is returning errors for 8% of requests.",
                     'sum(rate(http_requests_total{service="cart-api",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{service="cart-api"}[5m])) > 0.05', starts=at)
    inc.answer_key(culprit=("Deployment", "shop", "session-sync"), keywords=["max number of clients", "maxclients"],
                   root_cause="session-sync 4.1.0 raised REDIS_POOL_SIZE from 16 to 128 per pod, past Redis's "
                              "maxclients of 400.",
                   category="db-connections-exhausted", red_herrings=[("Deployment", "shop", "recs")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((mysql_hpa_scale_out, redis_pool_rollout), tmp_path_factory.mktemp("connections"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("invoice-api-1040", ("Deployment billing/ledger-worker", "max_connections=151", "Too many connections",
                          "151 of 151 in use", "New size: 12")),
    ("cart-api-redis-clients", ("Deployment shop/session-sync", "maxclients=400", "max number of clients reached",
                                "400 of 400 in use", "REDIS_POOL_SIZE=128")),
])
def test_the_client_whose_change_took_the_connections_is_named(results: dict[str, object], bundle: str,
                                                                words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top
    assert "VIGIL-CANARY" not in top
