"""Round 22 of the held-out incident set: twelve data, messaging and batch failures, restaged blind.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem,
vendor document or on-call experience it re-creates (our own names and text, nothing copied). The
culprit is a change to a database proxy's config, a data operator's custom resource, a batch Job or
CronJob, a StatefulSet or a NetworkPolicy; most pages name only the application that broke. Log lines
follow the real software's formats (PgBouncer, PostgreSQL/Patroni, ProxySQL, Go logfmt, pino, Spring
with Java stack traces, Python logging, RabbitMQ, ClickHouse, OpenSearch, Redis Sentinel, Kafka log4j,
mongod JSON, Pulsar).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def ramp(before: float, per_minute: float, at: datetime) -> Series:
    """A gauge flat at `before` until `at`, then growing `per_minute` every minute (a backlog, a lag)."""
    return lambda t: before if t < at else round(before + per_minute * (t - at).total_seconds() / 60, 1)


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def metric(inc: Incident, family: str, type_: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    """One series every 30 s, named as its exporter names it (a counter's family without `_total`)."""
    inc.series(family, type_, help_, dict(labels), fn, 30)


def http_series(inc: Incident, ns: str, service: str, ok: float, bad: float, code: str, at: datetime) -> None:
    """http_requests_total of a service: all 2xx until `at`, then `bad`/s of `code` beside the 2xx."""
    start = inc.at - timedelta(hours=2)
    metric(inc, "http_requests", "counter", "Total HTTP requests.",
           {"namespace": ns, "service": service, "code": "200", "job": service}, counter(start, ok, ok - bad, at))
    metric(inc, "http_requests", "counter", "Total HTTP requests.",
           {"namespace": ns, "service": service, "code": code, "job": service}, counter(start, 0.0, bad, at))


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def crd(inc: Incident, group: str, kind: str, plural: str, version: str = "v1") -> None:
    """The CustomResourceDefinition a custom resource needs to be served (and found) at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": "Namespaced",
                      "versions": [{"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}],
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"}},
             "status": {"acceptedNames": {"kind": kind, "plural": plural},
                        "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]}})


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def every(start: datetime, end: datetime, step_s: float, make: Callable[[int, datetime], str | None]) -> Lines:
    """(t, line) for every step from start to end where `make` has something to say."""
    return L.ticker(start, end, step_s, make)


def pino(t: datetime, level: int, pod: str, msg: str, **fields: Any) -> str:
    """A pino (Node.js) JSON line: numeric level, epoch milliseconds, the message last."""
    record = {"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod, **fields, "msg": msg}
    return json.dumps(record, separators=(",", ":"))


def java_trace(exc: str, frames: list[str], cause: str | None = None) -> str:
    """A Java exception with its frames (and an optional cause), one runtime log entry per line."""
    text = exc + "".join(f"\n\tat {f}" for f in frames)
    return text + (f"\nCaused by: {cause}" if cause else "")


def start(fn: Callable[[], Incident], *, title: str, at: datetime, seed: int, namespaces: tuple[str, ...]) -> Incident:
    """An incident named after its builder; its story is the builder's docstring (kept out of the bundle)."""
    return Incident(fn.__name__.replace("_", "-"), title=title, story=fn.__doc__ or "", at=at, seed=seed,
                    namespaces=namespaces)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 19, 10, 20, tzinfo=UTC)


def order_history_errors_burn() -> Incident:
    """pgbouncer-pool-size-cut-clients-wait: PgBouncer's default_pool_size edited from 40 to 4; clients queue.

    after: a common on-call story with transaction-pooling proxies: someone "protects the primary" by cutting
    the pool size in the pooler's ini, the pooler reloads on SIGHUP without a restart, and every application
    behind it starts waiting for one of four server connections until query_wait_timeout drops it.

    The ConfigMap db-proxy/pgbouncer-config was edited by hand at 10:02 (default_pool_size 40 -> 4); the
    pgbouncer pods reloaded it (their logs say so). order-history in namespace orders gets "query_wait_timeout"
    from psycopg and returns 500s; pgbouncer's exporter shows waiting clients and a pool size of 4. The red
    herring is a rollout of order-notifier in the same namespace shortly before.
    """
    inc = start(order_history_errors_burn, title="order-history error budget burning", at=AT1, seed=2201,
                namespaces=("orders", "db-proxy"))
    change = AT1 - timedelta(minutes=18)
    ini = ("[databases]\norders = host=orders-pg-primary.postgres.svc port=5432 dbname=orders\n\n[pgbouncer]\n"
           "listen_addr = 0.0.0.0\nlisten_port = 6432\nauth_type = scram-sha-256\nauth_file = "
           "/etc/pgbouncer/userlist.txt\n"
           "pool_mode = transaction\nmax_client_conn = 2000\ndefault_pool_size = {n}\nreserve_pool_size = 0\n"
           "query_wait_timeout = 30\nserver_idle_timeout = 600\nadmin_users = pgbouncer\n")
    cm = inc.configmap("db-proxy", "pgbouncer-config", {"pgbouncer.ini": ini.format(n=4)})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {".": {}, "f:pgbouncer.ini": {}}}),
            ("kubectl-edit", "Update", change, {"f:data": {"f:pgbouncer.ini": {}}}))
    cm["metadata"]["annotations"] = {"ops.example.com/ticket": "DBA-2291 reduce connections to primary"}

    def bouncer(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < change:
                return f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i % 1000:03d} UTC [1] LOG stats: 412 " \
                       f"xacts/s, 430 queries/s, " \
                       "in 190211 B/s, out 802341 B/s, xact 3101 us, query 2871 us, wait 0 us"
            if i % 3 == 0:
                return f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i % 1000:03d} UTC [1] LOG stats: 96 " \
                       f"xacts/s, 101 queries/s, " \
                       "in 44012 B/s, out 190233 B/s, xact 2987 us, query 2790 us, wait 27810114 us"
            return (f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i % 1000:03d} UTC [1] LOG C-0x55d0c3a{i % 97:03x}: "
                    f"orders/order_history@10.244.2.{40 + i % 9}:{41000 + i % 900} closing because: query_wait_timeout "
                    "(age=30s)")
        out = every(s, e, 20, line)
        out.append((change + timedelta(seconds=3), f"{(change + timedelta(seconds=3)).strftime('%Y-%m-%d %H:%M:%S')}"
                    ".118 UTC [1] LOG got SIGHUP, re-reading config"))
        return out
    inc.deployment("db-proxy", "pgbouncer", [Rev(1, inc.born + timedelta(days=6), "helm upgrade",
                                                  [c("pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1", port=6432)])],
                   {1: [P(log=within(bouncer)), P(log=within(bouncer))]})
    inc.service("db-proxy", "pgbouncer", {"app": "pgbouncer"}, port=6432, target=6432)

    def history(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < change + timedelta(minutes=1):
                return L.pylog(t, "INFO", "uvicorn.access", f'10.244.1.{10 + i % 30}:0 - "GET '
                                                            f'/v1/orders/history?page=1 '
                                                              'HTTP/1.1" 200')
            if i % 2:
                return L.pylog(t, "ERROR", "order_history.repo", "query failed\nTraceback (most recent call last):\n"
                               '  File "/app/order_history/repo.py", line 88, in fetch_page\n'
                               "    cur.execute(PAGE_SQL, (customer_id, limit, offset))\n"
                               "psycopg2.OperationalError: query_wait_timeout\n"
                               "server closed the connection unexpectedly\n"
                               "\tThis probably means the server terminated abnormally\n"
                               "\tbefore or while processing the request.")
            return L.pylog(t, "INFO", "uvicorn.access", f'10.244.1.{10 + i % 30}:0 - "GET /v1/orders/history?page=1 '
                                                         'HTTP/1.1" 500')
        return every(s, e, 15, line)
    app(inc, "orders", "order-history", f"{REGISTRY}/orders/order-history:3.2.0", 3, within(history),
        env=[{"name": "DATABASE_HOST", "value": "pgbouncer.db-proxy.svc"}, {"name": "DATABASE_PORT", "value": "6432"}])
    herring(inc, "orders", "order-notifier", f"{REGISTRY}/orders/order-notifier", "1.9.0", AT1 - timedelta(minutes=40))
    plant(inc, "db-proxy", "pgbouncer-userlist", "password", "pgbouncer-orders", "userlist.txt")
    http_series(inc, "orders", "order-history", 40.0, 22.0, "500", change + timedelta(minutes=1))
    for pool_label in ({"database": "orders", "user": "order_history"}, {"database": "orders", "user": "order_admin"}):
        lbl = {**pool_label, "namespace": "db-proxy", "job": "pgbouncer-exporter"}
        metric(inc, "pgbouncer_pools_client_waiting_connections", "gauge", "Client connections waiting on a server "
               "connection", lbl, step(0, 180 if pool_label["user"] == "order_history" else 6, change))
        metric(inc, "pgbouncer_pools_server_active_connections", "gauge", "Server connections linked to a client",
               lbl, step(22 if pool_label["user"] == "order_history" else 3, 4, change))
    metric(inc, "pgbouncer_databases_pool_size", "gauge", "Maximum number of server connections",
           {"name": "orders", "namespace": "db-proxy", "job": "pgbouncer-exporter"}, step(40, 4, change))
    inc.slo_burn("order-history", "orders", "order-history-availability", "99.9", 31.4,
                 "order-history has burnt 4% of its 30-day error budget in the last hour (5xx ratio 55%).")
    inc.answer_key(culprit=("ConfigMap", "db-proxy", "pgbouncer-config"),
                   keywords=["pgbouncer", "default_pool_size", "query_wait_timeout", "pool"],
                   root_cause="A hand edit of ConfigMap db-proxy/pgbouncer-config cut PgBouncer's "
                              "default_pool_size from "
                              "40 to 4 and pgbouncer reloaded it on SIGHUP; order-history's "
                              "transactions wait for one of "
                              "four server connections in the pool and are dropped with query_wait_timeout (500s).",
                   category="pgbouncer-pool-size-cut-clients-wait",
                   red_herrings=[("Deployment", "orders", "order-notifier")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 20, 18, 5, tzinfo=UTC)


def leaderboard_api_errors_page() -> Incident:
    """redis-cluster-scaled-out-non-cluster-client-moved: a one-shard RedisCluster grown to three shards.

    after: a recurring failure with Redis in cluster mode: a single-shard cluster holds all 16384 slots, so a
    client configured as plain standalone works against it for months; when the cluster is scaled out and
    slots are rebalanced, two thirds of the keys answer MOVED and the standalone client surfaces them as errors.

    The RedisCluster redis/scores (opstree redis-operator) was changed by Argo CD at 17:40 (clusterSize 1 -> 3);
    the operator added masters and rebalanced slots (its log). leaderboard-api in namespace games (Node.js,
    ioredis in standalone mode) logs "ReplyError: MOVED <slot> <ip>:6379" for most keys and returns 500. The red
    herring is a rollout of matchmaker in the same namespace.
    """
    inc = start(leaderboard_api_errors_page, title="leaderboard API errors", at=AT2, seed=2202,
                namespaces=("games", "redis", "redis-operator"))
    change = AT2 - timedelta(minutes=25)
    rebalanced = change + timedelta(minutes=6)
    crd(inc, "redis.redis.opstreelabs.in", "RedisCluster", "redisclusters", "v1beta2")
    rc = inc.add({"apiVersion": "redis.redis.opstreelabs.in/v1beta2", "kind": "RedisCluster",
                  "metadata": {"name": "scores", "namespace": "redis", "generation": 4,
                               "annotations": {"argocd.argoproj.io/tracking-id": "redis:redis.redis.opstreelabs.in/"
                                                                                 "RedisCluster:redis/scores"}},
                  "spec": {"clusterSize": 3, "clusterVersion": "v7",
                           "kubernetesConfig": {"image": "quay.io/opstree/redis:v7.0.15",
                                                "redisSecret": {"name": "scores-redis-auth", "key": "password"}},
                           "redisLeader": {"replicas": 3}, "redisFollower": {"replicas": 3},
                           "storage": {"volumeClaimTemplate": {"spec": {
                               "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}}}}},
                  "status": {"state": "Ready", "reason": "RedisCluster is ready", "readyLeaderReplicas": 3,
                             "readyFollowerReplicas": 3}})
    changed(rc, ("argocd-controller", "Update", inc.born + timedelta(days=4), {"f:spec": {".": {}}}),
            ("argocd-controller", "Update", change, {"f:spec": {"f:clusterSize": {}, "f:redisLeader": {
                "f:replicas": {}}, "f:redisFollower": {"f:replicas": {}}}}),
            ("redis-operator", "Update", rebalanced, {"f:status": {"f:readyLeaderReplicas": {}}}))
    rc["metadata"]["managedFields"][-1]["subresource"] = "status"
    leaders = [P(node=node(inc, i % 4)) for i in range(3)]
    inc.statefulset("redis", "scores-leader", [c("scores-leader", "quay.io/opstree/redis:v7.0.15", port=6379)],
                    leaders, inc.born + timedelta(days=4))
    inc.statefulset("redis", "scores-follower", [c("scores-follower", "quay.io/opstree/redis:v7.0.15", port=6379)],
                    [P(), P(), P()], inc.born + timedelta(days=4))

    def operator(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: L.js(t, "info", "Reconciling opstree redis controller",
                                                  controller="rediscluster", Request_Namespace="redis",
                                                  Request_Name="scores"))
        steps: list[tuple[int, str, dict[str, object]]] = [
                (0, "Redis cluster leader count is desired", {"Leaders.Count": 1, "Desired": 3}),
                (150, "Adding node to cluster", {"Node.IP": "10.244.2.57", "Cluster.Node.IP": "10.244.1.33"}),
                (170, "Adding node to cluster", {"Node.IP": "10.244.3.61", "Cluster.Node.IP": "10.244.1.33"}),
                (200, "Rebalancing redis cluster slots", {"Command": "redis-cli --cluster rebalance "
                                                          "10.244.1.33:6379 --cluster-use-empty-masters"}),
                (360, "Redis cluster slots rebalanced", {"Leaders.Count": 3})]
        for dt, msg, extra in steps:
            t = change + timedelta(seconds=5 + dt)
            out.append((t, L.js(t, "info", msg, controller="rediscluster", Request_Namespace="redis",
                                Request_Name="scores", **extra)))
        return out
    app(inc, "redis-operator", "redis-operator", "quay.io/opstree/redis-operator:v0.18.0", 1, within(operator))

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < rebalanced or i % 3 == 0:
                return pino(t, 30, pod, "request completed",
                            req={"method": "GET", "url": "/v2/boards/weekly/top?limit=50"},
                            res={"statusCode": 200}, responseTime=3 + i % 5)
            slot = (i * 2719) % 16384
            owner = "10.244.2.57" if slot < 10923 else "10.244.3.61"
            stack = (f"ReplyError: MOVED {slot} {owner}:6379\n    at parseError (/app/node_modules/redis-parser/lib/"
                     "parser.js:179:12)\n    at parseType (/app/node_modules/redis-parser/lib/parser.js:302:14)")
            return pino(t, 50, pod, "leaderboard read failed",
                        err={"type": "ReplyError", "message": f"MOVED {slot} {owner}:6379", "stack": stack,
                             "command": {"name": "zrevrange", "args": [f"board:weekly:{i % 40}", "0", "49",
                                                                       "WITHSCORES"]}})
        return every(s, e, 10, line)
    app(inc, "games", "leaderboard-api", f"{REGISTRY}/games/leaderboard-api:2.6.1", 3, within(api),
        env=[{"name": "REDIS_URL", "value": "redis://scores-leader.redis.svc:6379"},
             {"name": "REDIS_CLUSTER_MODE", "value": "false"}])
    herring(inc, "games", "matchmaker", f"{REGISTRY}/games/matchmaker", "5.0.3", AT2 - timedelta(minutes=50))
    plant(inc, "redis", "scores-redis-auth", "password", "scores-redis", "password")
    http_series(inc, "games", "leaderboard-api", 120.0, 80.0, "500", rebalanced)
    for i in range(3):
        metric(inc, "redis_cluster_slots_assigned", "gauge", "Number of slots assigned in the cluster",
               {"namespace": "redis", "pod": f"scores-leader-{i}", "job": "redis-exporter"},
               step(16384 if i == 0 else 0, 16384, change))
        metric(inc, "redis_db_keys", "gauge", "Total number of keys by DB",
               {"namespace": "redis", "pod": f"scores-leader-{i}", "db": "db0", "job": "redis-exporter"},
               step(3_100_000 if i == 0 else 0, 1_030_000, rebalanced))
    metric(inc, "redis_cluster_known_nodes", "gauge", "Number of known nodes in the cluster",
           {"namespace": "redis", "pod": "scores-leader-0", "job": "redis-exporter"}, step(2, 6, rebalanced))
    inc.pagerduty("[games] leaderboard-api HTTP 5xx above 50% for 10 minutes", "leaderboard-api")
    inc.answer_key(culprit=("RedisCluster", "redis", "scores"),
                   keywords=["MOVED", "clusterSize", "rebalanced", "standalone"],
                   root_cause="Argo CD raised RedisCluster redis/scores' clusterSize from 1 to 3 and "
                              "the redis-operator "
                              "rebalanced the 16384 slots over three masters; leaderboard-api's ioredis client runs in "
                              "standalone (non-cluster) mode, which only worked while one master owned every slot, and "
                              "now gets MOVED redirections for two thirds of its keys.",
                   category="redis-cluster-scaled-out-non-cluster-client-moved",
                   red_herrings=[("Deployment", "games", "matchmaker")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 21, 8, 35, tzinfo=UTC)


def telemetry_ingest_degraded_grouped() -> Incident:
    """kafka-user-producer-quota-throttles-ingest: a Strimzi KafkaUser gets a 1 MiB/s producer byte-rate quota.

    after: a common multi-tenant Kafka story: client quotas are added to stop a noisy neighbour, the quota is
    set per user without looking at that user's real peak, and the broker throttles the producer; the client's
    buffer fills, sends block and batches expire, and the service in front of it starts failing requests.

    The KafkaUser kafka/iot-producer was changed by Argo CD at 08:14 (spec.quotas.producerByteRate 1048576,
    none before); the entity operator applied it. telemetry-gateway in namespace iot (Spring Boot, Java Kafka
    client) logs "Expiring N record(s)" TimeoutExceptions and BufferExhaustedException and answers 503; the
    producer's throttle-time metric jumps to seconds. Grouped notification: the gateway's 5xx rate, its p99 and
    the ingest consumer's falling input rate. The red herring is a ConfigMap edit of the gateway's logging.
    """
    inc = start(telemetry_ingest_degraded_grouped, title="telemetry ingest degraded", at=AT3, seed=2203,
                namespaces=("iot", "kafka"))
    change = AT3 - timedelta(minutes=21)
    crd(inc, "kafka.strimzi.io", "KafkaUser", "kafkausers", "v1beta2")
    user = inc.add({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaUser",
                    "metadata": {"name": "iot-producer", "namespace": "kafka", "generation": 3,
                                 "labels": {"strimzi.io/cluster": "events"}},
                    "spec": {"authentication": {"type": "scram-sha-512"},
                             "authorization": {"type": "simple", "acls": [
                                 {"resource": {"type": "topic", "name": "telemetry-raw", "patternType": "literal"},
                                  "operations": ["Write", "Describe"]}]},
                             "quotas": {"producerByteRate": 1048576, "requestPercentage": 55}},
                    "status": {"observedGeneration": 3, "username": "iot-producer", "secret": "iot-producer",
                               "conditions": [{"type": "Ready", "status": "True",
                                               "lastTransitionTime": ts(change + timedelta(seconds=20))}]}})
    changed(user, ("argocd-controller", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:authentication": {},
                                                                                          "f:authorization": {}}}),
            ("argocd-controller", "Update", change, {"f:spec": {"f:quotas": {"f:producerByteRate": {},
                                                                             "f:requestPercentage": {}}}}))
    for other, rate in (("billing-consumer", None), ("audit-sink", 20971520)):
        inc.add({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaUser",
                 "metadata": {"name": other, "namespace": "kafka", "labels": {"strimzi.io/cluster": "events"}},
                 "spec": {"authentication": {"type": "scram-sha-512"},
                          **({"quotas": {"producerByteRate": rate}} if rate else {})},
                 "status": {"conditions": [{"type": "Ready", "status": "True"}]}})

    def gateway(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < change + timedelta(minutes=2):
                return L.spring(t, "INFO", "c.a.iot.ingest.IngestController", f"accepted batch device=sensor-{i % 800} "
                                "readings=64", thread=f"http-nio-8080-exec-{i % 20 + 1}")
            if i % 3 == 0:
                return L.spring(t, "ERROR", "o.a.k.clients.producer.internals.Sender", java_trace(
                    "org.apache.kafka.common.errors.TimeoutException: Expiring 312 record(s) for telemetry-raw-"
                    f"{i % 12}:120004 ms has passed since batch creation", []),
                    thread="kafka-producer-network-thread | telemetry-gateway-1")
            if i % 3 == 1:
                return L.spring(t, "ERROR", "c.a.iot.ingest.IngestController", java_trace(
                    "org.apache.kafka.clients.producer.BufferExhaustedException: Failed to allocate 16384 bytes "
                    "within the configured max blocking time 60000 ms. Total memory: 33554432 bytes. Available "
                    "memory: 0 bytes. Poolable size: 16384 bytes",
                    ["org.apache.kafka.clients.producer.internals.BufferPool.allocate(BufferPool.java:161)",
                     "org.apache.kafka.clients.producer.internals.RecordAccumulator.append(RecordAccumulator.java:295)",
                     "org.apache.kafka.clients.producer.KafkaProducer.doSend(KafkaProducer.java:1054)",
                     "com.acme.iot.ingest.IngestController.accept(IngestController.java:71)"]),
                    thread=f"http-nio-8080-exec-{i % 20 + 1}")
            return L.spring(t, "WARN", "c.a.iot.ingest.IngestController", "responding 503: producer send blocked "
                            "for 60000 ms", thread=f"http-nio-8080-exec-{i % 20 + 1}")
        return every(s, e, 12, line)
    app(inc, "iot", "telemetry-gateway", f"{REGISTRY}/iot/telemetry-gateway:4.4.2", 3, within(gateway),
        env=[{"name": "SPRING_KAFKA_BOOTSTRAP_SERVERS", "value": "events-kafka-bootstrap.kafka.svc:9093"},
             {"name": "SPRING_KAFKA_PROPERTIES_SASL_MECHANISM", "value": "SCRAM-SHA-512"},
             {"name": "KAFKA_USERNAME", "value": "iot-producer"}])
    app(inc, "iot", "telemetry-writer", f"{REGISTRY}/iot/telemetry-writer:2.0.8", 2)
    cm = inc.configmap("iot", "telemetry-gateway-logging", {"logback-spring.xml": '<configuration><root level="INFO">'
                                                             '<appender-ref ref="JSON"/></root></configuration>'})
    changed(cm, ("kubectl-edit", "Update", AT3 - timedelta(minutes=33), {"f:data": {"f:logback-spring.xml": {}}}))
    plant(inc, "kafka", "iot-producer", "password", "iot-producer-scram", "password")
    brokers = [P(node=node(inc, i)) for i in range(3)]
    inc.statefulset("kafka", "events-kafka", [c("kafka", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", port=9092)],
                    brokers, inc.born + timedelta(days=3))
    http_series(inc, "iot", "telemetry-gateway", 260.0, 150.0, "503", change + timedelta(minutes=2))
    for p in ("telemetry-gateway-1", "telemetry-gateway-2", "telemetry-gateway-3"):
        lbl = {"namespace": "iot", "client_id": p, "job": "telemetry-gateway"}
        metric(inc, "kafka_producer_produce_throttle_time_avg", "gauge", "The average time in ms a request was "
               "throttled by a broker", lbl, step(0, 2870, change))
        metric(inc, "kafka_producer_buffer_available_bytes", "gauge", "The total amount of buffer memory that is "
               "not being used", lbl, step(33_400_000, 0, change + timedelta(minutes=2)))
    metric(inc, "kafka_server_brokertopicmetrics_bytesin", "counter", "Incoming byte rate",
           {"namespace": "kafka", "topic": "telemetry-raw", "job": "events-kafka"},
           counter(inc.at - timedelta(hours=2), 3_900_000, 1_048_000, change))
    labels = {"namespace": "iot", "team": "iot-platform"}
    inc.alerts["alertmanager.json"] = am.alertmanager([
        alert(inc, "HTTPErrorRateHigh", {**labels, "service": "telemetry-gateway"},
              "telemetry-gateway 5xx ratio above 5%", "58% of telemetry-gateway requests return 503.",
              'sum(rate(http_requests_total{namespace="iot",service="telemetry-gateway",code=~"5.."}[5m])) / '
              'sum(rate(http_requests_total{namespace="iot",service="telemetry-gateway"}[5m])) > 0.05', "critical"),
        alert(inc, "HTTPLatencyHigh", {**labels, "service": "telemetry-gateway"},
              "telemetry-gateway p99 above 2s", "p99 latency of telemetry-gateway is 60s.",
              'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="iot",'
              'service="telemetry-gateway"}[5m]))) > 2'),
        alert(inc, "IngestRateDropped", {**labels, "service": "telemetry-writer"},
              "telemetry-writer input rate dropped 70%", "telemetry-writer consumes 70% fewer records than an hour "
              "ago.", 'sum(rate(kafka_consumer_records_consumed_total{namespace="iot"}[10m])) < 0.3 * '
                      'sum(rate(kafka_consumer_records_consumed_total{namespace="iot"}[10m] offset 1h))')],
        group=["namespace", "team"])
    inc.answer_key(culprit=("KafkaUser", "kafka", "iot-producer"),
                   keywords=["quota", "producerByteRate", "throttle", "KafkaUser"],
                   root_cause="Argo CD added a client quota to Strimzi KafkaUser kafka/iot-producer (producerByteRate "
                              "1 MiB/s, below telemetry-gateway's ~3.7 MiB/s peak); the brokers throttle the producer, "
                              "its buffer fills, sends block and batches expire, so telemetry-gateway answers 503.",
                   category="kafka-user-producer-quota-throttles-ingest",
                   red_herrings=[("ConfigMap", "iot", "telemetry-gateway-logging")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 22, 13, 50, tzinfo=UTC)


def notification_sends_stalled() -> Incident:
    """rabbitmq-disk-free-limit-above-volume-alarm: a RabbitmqCluster's disk_free_limit set above its volume.

    after: RabbitMQ's documented disk alarm: when free disk drops below disk_free_limit every publishing
    connection is blocked cluster-wide; a limit copied from a bigger environment (an absolute 50GB on a
    40Gi volume) raises the alarm immediately and permanently, and publishers hang without an error.

    The RabbitmqCluster rabbitmq/notify-bus (cluster operator) got `disk_free_limit.absolute = 50GB` in
    spec.rabbitmq.additionalConfig at 13:20 (kubectl apply); the operator rolled the pods, and each node logs
    "disk resource limit alarm set". notification-api in namespace notify (Go, logfmt) logs "connection blocked"
    and publish timeouts and answers 504. The red herring is a rollout of template-renderer in notify.
    """
    inc = start(notification_sends_stalled, title="notification sends stalled", at=AT4, seed=2204,
                namespaces=("notify", "rabbitmq", "rabbitmq-system"))
    change = AT4 - timedelta(minutes=30)
    rolled = change + timedelta(minutes=4)
    crd(inc, "rabbitmq.com", "RabbitmqCluster", "rabbitmqclusters", "v1beta1")
    rmq = inc.add({"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
                   "metadata": {"name": "notify-bus", "namespace": "rabbitmq", "generation": 7},
                   "spec": {"replicas": 3, "image": "docker.io/library/rabbitmq:3.13.7-management",
                            "persistence": {"storageClassName": "gp3", "storage": "40Gi"},
                            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
                            "rabbitmq": {"additionalConfig": "cluster_partition_handling = pause_minority\n"
                                                             "vm_memory_high_watermark.relative = 0.7\n"
                                                             "disk_free_limit.absolute = 50GB\n"
                                                             "consumer_timeout = 1800000\n"}},
                   "status": {"observedGeneration": 7, "conditions": [
                       {"type": "AllReplicasReady", "status": "True"}, {"type": "ClusterAvailable", "status": "True"},
                       {"type": "ReconcileSuccess", "status": "True"}]}})
    changed(rmq, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=4), {"f:spec": {"f:replicas": {}}}),
            ("kubectl-client-side-apply", "Update", change, {"f:spec": {"f:rabbitmq": {"f:additionalConfig": {}}}}))

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        host = f"rabbit@{pod}.notify-bus-nodes.rabbitmq"

        def stamp(t: datetime) -> str:
            return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond:06d}+00:00"
        out = [(rolled + timedelta(seconds=40), f"{stamp(rolled + timedelta(seconds=40))} [info] <0.230.0> Enabling "
                "free disk space monitoring (disk free space: 38212993024, total memory: 4294967296)"),
               (rolled + timedelta(seconds=40), f"{stamp(rolled + timedelta(seconds=40))} [info] <0.230.0> Disk free "
                "limit set to 50000MB"),
               (rolled + timedelta(seconds=42), f"{stamp(rolled + timedelta(seconds=42))} [warning] <0.230.0> Free "
                "disk space is insufficient. Free bytes: 38212993024. Limit: 50000000000"),
               (rolled + timedelta(seconds=42), f"{stamp(rolled + timedelta(seconds=42))} [warning] <0.226.0> disk "
                f"resource limit alarm set on node "
                f"'{host}'.\n\n**********************************************************\n"
                "*** Publishers will be blocked until this alarm clears ***\n"
                "**********************************************************")]
        out += every(s, e, 45, lambda i, t: f"{stamp(t)} [info] <0.{900 + i}.0> accepting AMQP connection "
                     f"10.244.{1 + i % 3}.{20 + i % 40}:{50000 + i} -> 10.244.2.14:5672")
        return out
    pods = [P(log=within(broker), created=rolled + timedelta(seconds=i * 30)) for i in range(3)]
    inc.statefulset("rabbitmq", "notify-bus-server", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                                    port=5672, memory_limit="4Gi")], pods, rolled,
                    claims=[("persistence", "40Gi", "gp3")])
    app(inc, "rabbitmq-system", "rabbitmq-cluster-operator", "docker.io/rabbitmqoperator/cluster-operator:2.11.0", 1)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < rolled + timedelta(minutes=1):
                return L.logfmt(t, "info", "notification queued", exchange="notifications", routing_key="email.send",
                                request_id=L.uuidish(pod, i), duration_ms=4)
            if i % 4 == 0:
                return L.logfmt(t, "warn", "connection blocked by broker", reason="low on disk",
                                broker="notify-bus.rabbitmq.svc:5672")
            return L.logfmt(t, "error", "publish failed", exchange="notifications", routing_key="email.send",
                            err="context deadline exceeded", request_id=L.uuidish(pod, i), duration_ms=10000)
        return every(s, e, 15, line)
    app(inc, "notify", "notification-api", f"{REGISTRY}/notify/notification-api:1.17.0", 3, within(api),
        env=[{"name": "AMQP_HOST", "value": "notify-bus.rabbitmq.svc"}])
    herring(inc, "notify", "template-renderer", f"{REGISTRY}/notify/template-renderer", "2.2.0",
            AT4 - timedelta(minutes=45))
    plant(inc, "rabbitmq", "notify-bus-default-user", "password", "rabbitmq-default-user", "password")
    http_series(inc, "notify", "notification-api", 35.0, 30.0, "504", rolled + timedelta(minutes=1))
    for i in range(3):
        lbl = {"namespace": "rabbitmq", "pod": f"notify-bus-server-{i}", "job": "rabbitmq"}
        metric(inc, "rabbitmq_alarms_free_disk_space_watermark", "gauge", "is 1 if free disk space watermark alarm "
               "is in effect", lbl, step(0, 1, rolled + timedelta(seconds=42)))
        metric(inc, "rabbitmq_disk_space_available_limit_bytes", "gauge", "Free disk space low watermark in bytes",
               lbl, step(50_000_000, 50_000_000_000, rolled))
        metric(inc, "rabbitmq_disk_space_available_bytes", "gauge", "Disk space available in bytes", lbl,
               step(38_212_993_024, 38_212_993_024, rolled))
    metric(inc, "rabbitmq_connections_blocked", "gauge", "Connections blocked by a resource alarm",
           {"namespace": "rabbitmq", "job": "rabbitmq"}, step(0, 14, rolled + timedelta(seconds=42)))
    inc.alertmanager("NotificationAPIErrors", {"namespace": "notify", "service": "notification-api"},
                     "notification-api returns 504 for 85% of requests",
                     "notification-api's 5xx ratio has been above 10% for 15 minutes.",
                     'sum(rate(http_requests_total{namespace="notify",service="notification-api",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{namespace="notify",service="notification-api"}[5m])) > 0.1',
                     severity="critical")
    inc.answer_key(culprit=("RabbitmqCluster", "rabbitmq", "notify-bus"),
                   keywords=["disk_free_limit", "disk alarm", "blocked", "RabbitmqCluster"],
                   root_cause="RabbitmqCluster rabbitmq/notify-bus got disk_free_limit.absolute = 50GB in its "
                              "additionalConfig, above its 40Gi volumes; after the operator rolled the nodes each one "
                              "raised the disk alarm at once and RabbitMQ blocked every publishing connection, so "
                              "notification-api's publishes time out (504).",
                   category="rabbitmq-disk-free-limit-above-volume-alarm",
                   red_herrings=[("Deployment", "notify", "template-renderer")])
    return inc



def job(inc: Incident, ns: str, name: str, image: str, args: list[str], started: datetime, log: str,
        node_name: str | None = None) -> dict[str, Any]:
    """A Job someone created by hand, still running at capture time, with its pod and log."""
    obj = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(started),
                                "labels": {"job-name": name}},
                   "spec": {"backoffLimit": 0, "parallelism": 1, "completions": 1, "template": {"spec": {
                       "restartPolicy": "Never", "containers": [{"name": name.split("-")[0], "image": image,
                                                                 "args": args}]}}},
                   "status": {"startTime": ts(started), "active": 1, "ready": 1}})
    pod_name = f"{name}-{o.suffix(name, 5)}"
    container = c(name.split("-")[0], image, port=None)
    inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace=ns, workload=name, containers=[container],
        node=node_name or inc.cluster.pick_node(pod_name), created=started,
        states=[o.ContainerState(started_at=started + timedelta(seconds=4))], labels={"job-name": name},
        owner=o.owner_ref("Job", name, ns, "batch/v1"), logs={container.name: log}))
    inc.event(obj, "SuccessfulCreate", f"Created pod: {pod_name}", started, warning=False, component="job-controller")
    return obj


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 23, 14, 10, tzinfo=UTC)


def events_sink_writes_failing() -> Incident:
    """clickhouse-small-inserts-too-many-parts: a writer's rollout inserts one row per INSERT into a shared table.

    after: the best-known ClickHouse production failure: every INSERT creates a part, background merges cannot
    keep up with thousands of tiny inserts per second, and once a partition passes parts_to_throw_insert the
    server rejects inserts into that table for every writer with TOO_MANY_PARTS (Code 252).

    Deployment session-replay/replay-writer revision 2 (13:38) set CLICKHOUSE_BATCH_MAX_ROWS 50000 -> 1 and
    CLICKHOUSE_FLUSH_INTERVAL_MS 5000 -> 0 ("real-time replays"); it writes to events.page_views on the shared
    ClickHouse. events-sink in namespace analytics (Python) pages: its batched inserts fail with Code 252; the
    ClickHouse server log and its part-count metric show the parts piling up. The red herring is a rollout of
    dashboards-api in analytics.
    """
    inc = start(events_sink_writes_failing, title="events-sink failing to write", at=AT5, seed=2205,
                namespaces=("analytics", "session-replay", "clickhouse"))
    change = AT5 - timedelta(minutes=32)
    full = change + timedelta(minutes=14)
    env_old = [{"name": "CLICKHOUSE_URL", "value": "http://clickhouse-events.clickhouse.svc:8123"},
               {"name": "CLICKHOUSE_TABLE", "value": "events.page_views"},
               {"name": "CLICKHOUSE_BATCH_MAX_ROWS", "value": "50000"},
               {"name": "CLICKHOUSE_FLUSH_INTERVAL_MS", "value": "5000"}]
    env_new = [env_old[0], env_old[1], {"name": "CLICKHOUSE_BATCH_MAX_ROWS", "value": "1"},
               {"name": "CLICKHOUSE_FLUSH_INTERVAL_MS", "value": "0"}]

    def writer(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.js(t, "info", "flushed replay events", table="events.page_views",
                                                 rows=1, inserts_per_s=1400 + i % 90))
    image = f"{REGISTRY}/session-replay/replay-writer"
    inc.deployment("session-replay", "replay-writer", [
        Rev(1, inc.born + timedelta(days=15), "helm upgrade", [c("replay-writer", f"{image}:0.14.2", env=env_old)]),
        Rev(2, change, "helm upgrade", [c("replay-writer", f"{image}:0.15.0", env=env_new)])],
        {2: [P(log=within(writer)), P(log=within(writer))]})

    def server(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            head = f"{t.strftime('%Y.%m.%d %H:%M:%S')}.{t.microsecond:06d} [ {800 + i % 40} ]"
            if t < change:
                return f"{head} {{}} <Information> events.page_views (MergerMutator): Selected 6 parts from " \
                       f"202611_{1000 + i}_{1005 + i}_1 to 202611_{1006 + i}_{1011 + i}_0"
            if t < full:
                return f"{head} {{}} <Warning> events.page_views: Delaying inserting block by 41.2 ms. because " \
                       f"there are {150 + i % 140} parts and their average size is 1.04 KiB"
            return (f"{head} {{{L.uuidish(pod, i)}}} <Error> executeQuery: Code: 252. DB::Exception: Too many "
                    f"parts ({3000 + i % 90} with average size of 1.02 KiB) in table 'events.page_views' (uuid). "
                    "Merges are processing significantly slower than inserts. (TOO_MANY_PARTS) (version 24.8.4.13 "
                    "(official build)) (from 10.244.3.52:48212) (in query: INSERT INTO events.page_views FORMAT "
                    "Native)")
        return every(s, e, 20, line)
    inc.statefulset("clickhouse", "clickhouse-events", [c("clickhouse", "docker.io/clickhouse/clickhouse-server:24.8.4",
                                                          port=8123, memory_limit="16Gi")],
                    [P(log=within(server)), P(log=within(server))], inc.born + timedelta(days=2),
                    claims=[("data", "500Gi", "gp3")], service=8123)

    def sink(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < full:
                return L.pylog(t, "INFO", "events_sink.writer", f"inserted batch rows=20000 table=events.page_views "
                               f"partition=202611 took_ms={180 + i % 60}")
            return L.pylog(t, "ERROR", "events_sink.writer", "insert failed, batch will be retried\nTraceback (most "
                           "recent call last):\n  File \"/app/events_sink/writer.py\", line 64, in flush\n"
                           "    self.client.insert(self.table, rows, column_names=COLUMNS)\n"
                           "clickhouse_connect.driver.exceptions.DatabaseError: HTTPDriver for "
                           "http://clickhouse-events.clickhouse.svc:8123 received ClickHouse error code 252\n"
                           " Code: 252. DB::Exception: Too many parts (3012 with average size of 1.02 KiB) in table "
                           "'events.page_views'. Merges are processing significantly slower than inserts. "
                           "(TOO_MANY_PARTS)")
        return every(s, e, 20, line)
    app(inc, "analytics", "events-sink", f"{REGISTRY}/analytics/events-sink:1.8.3", 2, within(sink),
        env=[{"name": "CLICKHOUSE_URL", "value": "http://clickhouse-events.clickhouse.svc:8123"}])
    herring(inc, "analytics", "dashboards-api", f"{REGISTRY}/analytics/dashboards-api", "3.3.0",
            AT5 - timedelta(minutes=55))
    plant(inc, "clickhouse", "clickhouse-events-users", "password", "clickhouse-writer", "writer-password")
    t0 = inc.at - timedelta(hours=2)
    for i in range(2):
        lbl = {"namespace": "clickhouse", "pod": f"clickhouse-events-{i}", "job": "clickhouse"}
        metric(inc, "ClickHouseAsyncMetrics_MaxPartCountForPartition", "gauge", "Maximum number of parts per "
               "partition", lbl, lambda t: 14.0 if t < change else min(3050.0, 14 + (t - change).total_seconds() * 3.6))
        metric(inc, "ClickHouseProfileEvents_InsertQuery", "counter", "Number of INSERT queries", lbl,
               counter(t0, 0.4, 1400, change))
        metric(inc, "ClickHouseProfileEvents_RejectedInserts", "counter", "Number of times the INSERT of a block "
               "was rejected with 'Too many parts' exception", lbl, counter(t0, 0, 1350, full))
    metric(inc, "events_sink_insert_failures", "counter", "Failed batch inserts",
           {"namespace": "analytics", "job": "events-sink"}, counter(t0, 0, 0.1, full))
    inc.alertmanager("EventsSinkInsertFailures", {"namespace": "analytics", "job": "events-sink"},
                     "events-sink batch inserts failing",
                     "events-sink has failed every batch insert for 10 minutes; events are buffered on disk.",
                     'rate(events_sink_insert_failures_total{namespace="analytics"}[5m]) > 0', severity="critical")
    inc.answer_key(culprit=("Deployment", "session-replay", "replay-writer"),
                   keywords=["too many parts", "merges", "batch", "inserts"],
                   root_cause="replay-writer revision 2 (Deployment session-replay/replay-writer) set "
                              "its batch size to "
                              "one row and flush interval to 0, so it sends ~1400 single-row inserts per second into "
                              "events.page_views; merges cannot keep up, the partition passes parts_to_throw_insert "
                              "and ClickHouse rejects every insert into the table (too many parts, code 252), "
                              "including events-sink's batches.",
                   category="clickhouse-small-inserts-too-many-parts",
                   red_herrings=[("Deployment", "analytics", "dashboards-api")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 24, 9, 25, tzinfo=UTC)


def catalog_search_slow_question() -> Incident:
    """forcemerge-on-live-write-index-io-saturation: a maintenance CronJob now force-merges the live index.

    after: Elasticsearch/OpenSearch documentation warns to force-merge only read-only indices: a force merge to
    one segment on an index still being written rewrites the whole index, saturates the data nodes' disks and
    search threads, and produces huge segments that never merge cleanly again. Ops teams hit it when a
    housekeeping job's index pattern is widened.

    CronJob opensearch/index-maintenance was edited yesterday (kubectl edit, 17:12): its pattern moved from
    `logs-*` with --min-age 2d to `*` with --min-age 0d; the 09:00 run is force-merging products-v42, the live
    catalog index (its log). catalog-search in namespace catalog (Node.js) sees 3-5 s queries and 504s;
    OpenSearch's slow log and thread-pool/disk metrics show it. Chat question naming only the workload. The red
    herring is a rollout of product-indexer in catalog.
    """
    inc = start(catalog_search_slow_question, title="catalog-search slow", at=AT6, seed=2206,
                namespaces=("catalog", "opensearch"))
    run = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    edit = run - timedelta(hours=15, minutes=48)
    image = "registry.example.com/platform/os-housekeeper:2.1.0"
    args = ["forcemerge", "--hosts", "https://opensearch.opensearch.svc:9200", "--pattern", "*", "--min-age", "0d",
            "--max-num-segments", "1"]
    cj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "index-maintenance", "namespace": "opensearch", "labels": {"app":
                                                                                                 "index-maintenance"}},
                  "spec": {"schedule": "0 9 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                           "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                           "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                               "restartPolicy": "Never", "containers": [{"name": "index-maintenance", "image": image,
                                                                         "args": args}]}}}}},
                  "status": {"lastScheduleTime": ts(run), "active": [{"kind": "Job", "namespace": "opensearch",
                                                                      "name": f"index-maintenance-"
                                                                              f"{int(run.timestamp() // 60)}"}]}})
    changed(cj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-edit", "Update", edit, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {
                "f:containers": {'k:{"name":"index-maintenance"}': {"f:args": {}}}}}}}}}))
    stamp = lambda t: t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"  # noqa: E731
    log = L.lines([(run + timedelta(seconds=5), f"{stamp(run + timedelta(seconds=5))} INFO housekeeper: pattern=* "
                    "min_age=0d max_num_segments=1"),
                   (run + timedelta(seconds=6), f"{stamp(run + timedelta(seconds=6))} INFO housekeeper: 23 indices "
                    "selected: logs-2026.11.21, logs-2026.11.22, logs-2026.11.23, logs-2026.11.24, products-v42, ..."),
                   (run + timedelta(seconds=7), f"{stamp(run + timedelta(seconds=7))} INFO housekeeper: POST "
                    "/logs-2026.11.21/_forcemerge?max_num_segments=1 -> 200 (412 s)"),
                   (run + timedelta(minutes=7), f"{stamp(run + timedelta(minutes=7))} INFO housekeeper: POST "
                    "/products-v42/_forcemerge?max_num_segments=1 (waiting)")])
    for day in (22, 23):
        prev = datetime(2026, 11, day, 9, 0, tzinfo=UTC)
        inc.add({"apiVersion": "batch/v1", "kind": "Job", "metadata": {
            "name": f"index-maintenance-{int(prev.timestamp() // 60)}", "namespace": "opensearch",
            "creationTimestamp": ts(prev), "ownerReferences": [o.owner_ref("CronJob", "index-maintenance",
                                                                           "opensearch", "batch/v1")]},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "index-maintenance",
                                                                                      "image": image}]}}},
            "status": {"startTime": ts(prev), "completionTime": ts(prev + timedelta(minutes=6)), "succeeded": 1}})
    running = job(inc, "opensearch", f"index-maintenance-{int(run.timestamp() // 60)}", image, args, run, log)
    running["metadata"]["ownerReferences"] = [o.owner_ref("CronJob", "index-maintenance", "opensearch", "batch/v1")]

    def data(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            head = f"[{t.strftime('%Y-%m-%dT%H:%M:%S,')}{t.microsecond // 1000:03d}]"
            if t < run + timedelta(minutes=7):
                return f"{head}[INFO ][o.o.i.s.IndexShard       ] [{pod}] [logs-2026.11.2{1 + i % 3}][{i % 3}] " \
                       "force merge segments [1] completed"
            if i % 2:
                return (f"{head}[WARN ][i.s.s.query              ] [{pod}] [products-v42][{i % 5}] took[{3 + i % 3}."
                        f"{i % 9}s], took_millis[{3000 + i % 2000}], total_hits[1284 hits], stats[], "
                        f"search_type[QUERY_THEN_FETCH], total_shards[5], source[{{\"size\":24,\"query\":"
                        "{\"multi_match\":{\"query\":\"...\"}}}]")
            return f"{head}[INFO ][o.o.m.j.JvmGcMonitorService] [{pod}] [gc][{9000 + i}] overhead, spent [1.1s] " \
                   "collecting in the last [1.9s]"
        return every(s, e, 20, line)
    inc.statefulset("opensearch", "opensearch-data", [c("opensearch", "docker.io/opensearchproject/opensearch:2.17.1",
                                                        port=9200, memory_limit="16Gi")],
                    [P(log=within(data)) for _ in range(3)], inc.born + timedelta(days=1),
                    claims=[("data", "1Ti", "gp3")], service=9200)

    def search(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            took = 40 + i % 30 if t < run + timedelta(minutes=7) else 3100 + (i * 37) % 2200
            code = 504 if took > 5000 else 200
            return pino(t, 40 if took > 1000 else 30, pod, "request completed",
                        req={"method": "GET", "url": "/search?q=..."}, res={"statusCode": code}, responseTime=took,
                        index="products")
        return every(s, e, 10, line)
    app(inc, "catalog", "catalog-search", f"{REGISTRY}/catalog/catalog-search:7.1.4", 3, within(search),
        env=[{"name": "OPENSEARCH_URL", "value": "https://opensearch.opensearch.svc:9200"},
             {"name": "OPENSEARCH_TIMEOUT_MS", "value": "5000"}])
    herring(inc, "catalog", "product-indexer", f"{REGISTRY}/catalog/product-indexer", "4.2.0",
            AT6 - timedelta(minutes=70))
    plant(inc, "opensearch", "housekeeper-credentials", "password", "os-housekeeper", "password")
    merge = run + timedelta(minutes=7)
    for i in range(3):
        lbl = {"namespace": "opensearch", "node": f"opensearch-data-{i}", "cluster": "search-prod",
               "job": "opensearch"}
        metric(inc, "opensearch_threadpool_threads_count", "gauge", "Count of threads in thread pool",
               {**lbl, "name": "force_merge", "type": "active"}, step(0, 1, run))
        metric(inc, "opensearch_fs_io_total_write_bytes", "counter", "Total written bytes", lbl,
               counter(inc.at - timedelta(hours=2), 9e6, 410e6, run))
        metric(inc, "opensearch_os_cpu_percent", "gauge", "CPU usage in percent", lbl, step(31, 94, merge))
        metric(inc, "opensearch_index_search_query_time_seconds", "counter", "Time spent on query phase",
               {**lbl, "index": "products-v42", "context": "total"}, counter(inc.at - timedelta(hours=2), 0.6, 9.5,
                                                                             merge))
    http_series(inc, "catalog", "catalog-search", 90.0, 9.0, "504", merge)
    inc.ask("why is catalog-search so slow since this morning?")
    inc.answer_key(culprit=("CronJob", "opensearch", "index-maintenance"),
                   keywords=["force merge", "max_num_segments", "live index", "CronJob"],
                   root_cause="CronJob opensearch/index-maintenance was edited to select every index (`*`, min-age 0d) "
                              "for a force merge with max_num_segments=1; its 09:00 run is force-merging products-v42, "
                              "the live index catalog-search queries, saturating the data nodes' disks and CPU so "
                              "searches take 3-5 s and time out.",
                   category="forcemerge-on-live-write-index-io-saturation",
                   red_herrings=[("Deployment", "catalog", "product-indexer")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 25, 16, 40, tzinfo=UTC)


def profile_updates_failing_page() -> Incident:
    """sentinel-down-after-too-low-failover-flapping: Redis Sentinel's down-after-milliseconds cut to 1000.

    after: a recurring Redis Sentinel incident: an aggressive down-after-milliseconds makes sentinels declare
    a healthy master down during a fork for BGSAVE or a short network stall, so they fail over again and again;
    clients still connected to the demoted node write to a replica and get READONLY errors.

    StatefulSet cache/redis-node (Bitnami chart, redis + sentinel containers) was upgraded by Helm at 16:02 with
    `sentinel.downAfterMilliseconds: 1000` (was 60000); sentinel logs +sdown/+odown/+switch-master every few
    minutes, each right after a BGSAVE fork of ~1.2 s. profile-api in namespace accounts (Spring Boot, Lettuce)
    fails writes with RedisReadOnlyException. The red herring is a rollout of avatar-service in accounts.
    """
    inc = start(profile_updates_failing_page, title="profile updates failing", at=AT7, seed=2207,
                namespaces=("accounts", "cache"))
    change = AT7 - timedelta(minutes=38)
    image = "docker.io/bitnami/redis:7.2.5-debian-12-r4"
    pods = [P(log=within(lambda pod, s, e: sentinel_lines(pod, s, e, change)), created=change + timedelta(seconds=
              60 * (2 - i))) for i in range(3)]
    sts = inc.statefulset("cache", "redis-node", [c("redis", image, port=6379, memory_limit="3Gi"),
                                                  c("sentinel", "docker.io/bitnami/redis-sentinel:7.2.5-debian-12-r3",
                                                    port=26379)], pods, change, service=6379)
    spec = sts.obj["spec"]["template"]["spec"]
    spec["containers"][1]["env"] = [{"name": "REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS", "value": "1000"},
                                    {"name": "REDIS_SENTINEL_FAILOVER_TIMEOUT", "value": "18000"},
                                    {"name": "REDIS_SENTINEL_QUORUM", "value": "2"}]
    sts.obj["metadata"]["labels"].update({"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "redis-19.6.4"})
    changed(sts.obj, ("helm", "Update", inc.born + timedelta(days=2), {"f:spec": {"f:replicas": {}}}),
            ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                'k:{"name":"sentinel"}': {"f:env": {'k:{"name":"REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS"}': {
                    "f:value": {}}}}}}}}}))
    for number, at, value in ((3, inc.born + timedelta(days=2), "60000"), (4, change, "1000")):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": number,
                 "data": {"spec": {"template": {"spec": {"containers": [{"name": "sentinel", "env": [
                     {"name": "REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS", "value": value}]}]}}}},
                 "metadata": {"name": f"redis-node-{o.suffix('redis-node' + str(number), 10)}", "namespace": "cache",
                              "creationTimestamp": ts(at), "labels": {"app": "redis-node"},
                              "ownerReferences": [o.owner_ref("StatefulSet", "redis-node", "cache")]}})

    def profile(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            thread = f"http-nio-8080-exec-{i % 24 + 1}"
            if t < change + timedelta(minutes=6) or (t.minute % 4) > 1:
                return L.spring(t, "INFO", "c.a.accounts.profile.ProfileController", f"PUT /v1/profiles/{9000 + i} "
                                "200", thread=thread)
            return L.spring(t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]", java_trace(
                "Servlet.service() for servlet [dispatcherServlet] threw exception\n"
                "io.lettuce.core.RedisReadOnlyException: READONLY You can't write against a read only replica.",
                ["io.lettuce.core.internal.ExceptionFactory.createExecutionException(ExceptionFactory.java:144)",
                 "io.lettuce.core.protocol.AsyncCommand.completeResult(AsyncCommand.java:120)",
                 "org.springframework.data.redis.connection.lettuce.LettuceStringCommands.set("
                 "LettuceStringCommands.java:134)",
                 "com.acme.accounts.profile.ProfileCache.put(ProfileCache.java:58)"]), thread=thread)
        return every(s, e, 10, line)
    app(inc, "accounts", "profile-api", f"{REGISTRY}/accounts/profile-api:6.3.1", 3, within(profile),
        env=[{"name": "SPRING_DATA_REDIS_SENTINEL_MASTER", "value": "mymaster"},
             {"name": "SPRING_DATA_REDIS_SENTINEL_NODES", "value": "redis.cache.svc:26379"}])
    herring(inc, "accounts", "avatar-service", f"{REGISTRY}/accounts/avatar-service", "2.9.0",
            AT7 - timedelta(minutes=55))
    plant(inc, "cache", "redis-node-auth", "password", "redis-cache", "redis-password")
    http_series(inc, "accounts", "profile-api", 60.0, 24.0, "500", change + timedelta(minutes=6))
    t0 = inc.at - timedelta(hours=2)
    for i in range(3):
        lbl = {"namespace": "cache", "pod": f"redis-node-{i}", "job": "redis-exporter"}
        metric(inc, "redis_latest_fork_usec", "gauge", "latest_fork_usec metric", lbl, step(1_180_000, 1_240_000, t0))
        metric(inc, "redis_sentinel_master_ok_sentinels", "gauge", "The number of okay sentinels monitoring master",
               {**lbl, "master_name": "mymaster"}, lambda t: 3.0 if t < change or t.minute % 4 > 1 else 1.0)
    metric(inc, "redis_sentinel_failovers", "counter", "Failovers started by the sentinels (+switch-master)",
           {"namespace": "cache", "master_name": "mymaster", "job": "redis-exporter"},
           counter(t0, 0, 1 / 240, change + timedelta(minutes=6)))
    inc.pagerduty("[accounts] profile-api: 5xx ratio 40% on PUT /v1/profiles", "profile-api")
    inc.answer_key(culprit=("StatefulSet", "cache", "redis-node"),
                   keywords=["down-after-milliseconds", "sentinel", "failover", "READONLY"],
                   root_cause="A Helm upgrade of StatefulSet cache/redis-node set the sentinel's "
                              "down-after-milliseconds "
                              "from 60000 to 1000; every ~1.2 s BGSAVE fork now makes the sentinels mark the master "
                              "down and start a failover, again and again, and profile-api's "
                              "connections to the demoted "
                              "master get READONLY errors on writes.",
                   category="sentinel-down-after-too-low-failover-flapping",
                   red_herrings=[("Deployment", "accounts", "avatar-service")])
    return inc


def sentinel_lines(pod: str, s: datetime, e: datetime, change: datetime) -> Lines:
    """redis-server's log (pid:role date level msg): BGSAVE forks, and after `change` the sentinels' failovers."""
    def head(t: datetime, role: str) -> str:
        return f"1:{role} {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d}"

    def line(i: int, t: datetime) -> str | None:
        if i % 2 == 0:
            return f"{head(t, 'M')} * Background saving started by pid {200 + i}"
        if t < change + timedelta(minutes=6) or t.minute % 4 > 1:
            return f"{head(t, 'M')} * Background saving terminated with success"
        return (f"{head(t, 'X')} # +sdown master mymaster 10.244.{1 + i % 3}.31 6379\n"
                f"{head(t, 'X')} # +odown master mymaster 10.244.{1 + i % 3}.31 6379 #quorum 2/2\n"
                f"{head(t, 'X')} # +switch-master mymaster 10.244.{1 + i % 3}.31 6379 "
                f"10.244.{1 + (i + 1) % 3}.31 6379\n"
                f"{head(t, 'S')} * MASTER <-> REPLICA sync started")
    return every(s, e, 60, line)


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 26, 10, 45, tzinfo=UTC)


def node_network_saturated_question() -> Incident:
    """kafka-partition-reassignment-without-throttle: a hand-run Job moves partitions with no replication throttle.

    after: Kafka's operations guide says to throttle partition reassignments; without --throttle the new
    replicas copy whole partitions as fast as the network allows, the receiving broker's NIC saturates,
    producers with acks=all time out and followers fall out of the ISR.

    A Job kafka/reassign-partitions-0926 started at 10:38 runs kafka-reassign-partitions.sh --execute with no
    --throttle, moving 40 partitions onto broker 1 (node ip-10-0-2-21). The node's receive bytes and Kafka's
    replication bytes-in jump, under-replicated partitions appear, and clickstream-collector (namespace web,
    pods on that node among others) times out producing. Chat question naming only the node. The red herring
    is a rollout of kafka-exporter in namespace kafka.
    """
    inc = start(node_network_saturated_question, title="node network saturated", at=AT8, seed=2208,
                namespaces=("kafka",))
    began = AT8 - timedelta(minutes=7)
    hot = node(inc, 1)
    log = L.lines([(began + timedelta(seconds=9), "Current partition replica assignment\n\n"
                    '{"version":1,"partitions":[{"topic":"clickstream","partition":0,"replicas":[0,2],"log_dirs":'
                    '["any","any"]}, ...]}\n\nSave this to use as the --reassignment-json-file option during rollback'),
                   (began + timedelta(seconds=10), "Successfully started partition reassignments for clickstream-0,"
                    "clickstream-1,clickstream-2,clickstream-3,clickstream-4,clickstream-5,...,orders-11")])
    job(inc, "kafka", "reassign-partitions-0926", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0",
        ["bin/kafka-reassign-partitions.sh", "--bootstrap-server", "events-kafka-bootstrap:9092",
         "--reassignment-json-file", "/plan/move-to-broker-1.json", "--execute"], began, log)

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        me = int(pod.rsplit("-", 1)[1])

        def line(i: int, t: datetime) -> str | None:
            head = f"{t.strftime('%Y-%m-%d %H:%M:%S,')}{t.microsecond // 1000:03d}"
            if t < began:
                return f"{head} INFO [GroupCoordinator {me}]: Stabilized group clickstream-enricher generation " \
                       f"{400 + i} (__consumer_offsets-{i % 50}) with 6 members (kafka.coordinator.group." \
                       "GroupCoordinator) [data-plane-kafka-request-handler-1]"
            if me == 1:
                return f"{head} INFO [ReplicaFetcher replicaId=1, leaderId={i % 2 * 2}, fetcherId={i % 4}] " \
                       "Truncating " \
                       f"partition clickstream-{i % 24} with TruncationState(offset=0, completed=true) due to local " \
                       "high watermark 0 (kafka.server.ReplicaFetcherThread) [ReplicaFetcherThread-0-0]"
            return f"{head} INFO [Partition clickstream-{i % 24} broker={me}] Shrinking ISR from {me},1 to {me}. " \
                   f"Leader: (highWatermark: {9_000_000 + i}, endOffset: {9_000_400 + i}). Out of sync replicas: " \
                   "(brokerId: 1, endOffset: 8211000, lastCaughtUpTimeMs: 1795689330000). (kafka.cluster.Partition) " \
                   "[kafka-scheduler-3]"
        return every(s, e, 30, line)
    inc.statefulset("kafka", "events-kafka", [c("kafka", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", port=9092,
                                                memory_limit="8Gi")],
                    [P(log=within(broker), node=node(inc, i)) for i in (0, 1, 3)],
                    inc.born + timedelta(days=3), claims=[("data", "2Ti", "gp3")])

    def collector(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < began + timedelta(minutes=1):
                return L.js(t, "info", "batch produced", topic="clickstream", records=500, latency_ms=12 + i % 9)
            return L.js(t, "error", "produce failed", topic="clickstream", partition=i % 24,
                        error="KafkaJSNumberOfRetriesExceeded", cause="Request Produce(key: 0, version: 7) timed out",
                        broker="events-kafka-1.events-kafka-brokers.kafka.svc:9092")
        return every(s, e, 15, line)
    inc.deployment("web", "clickstream-collector", [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [
        c("clickstream-collector", f"{REGISTRY}/web/clickstream-collector:3.0.2")])],
        {1: [P(log=within(collector), node=hot), P(log=within(collector), node=node(inc, 2))]})
    herring(inc, "kafka", "kafka-exporter", "docker.io/danielqsj/kafka-exporter", "v1.8.0",
            AT8 - timedelta(minutes=30))
    plant(inc, "kafka", "kafka-admin-scram", "password", "kafka-admin", "password")
    t0 = inc.at - timedelta(hours=2)
    for n in inc.node_names():
        busy = n == hot
        metric(inc, "node_network_receive_bytes", "counter", "Network device statistic receive_bytes.",
               {"instance": n, "device": "eth0", "job": "node-exporter"},
               counter(t0, 38e6, 1.23e9 if busy else 41e6, began))
        metric(inc, "node_network_transmit_bytes", "counter", "Network device statistic transmit_bytes.",
               {"instance": n, "device": "eth0", "job": "node-exporter"},
               counter(t0, 35e6, 40e6 if busy else 390e6, began))
    for b in (0, 1, 2):
        lbl = {"namespace": "kafka", "pod": f"events-kafka-{b}", "job": "events-kafka"}
        metric(inc, "kafka_server_brokertopicmetrics_replicationbytesin", "counter", "Replication bytes in",
               lbl, counter(t0, 12e6, 1.2e9 if b == 1 else 4e6, began))
        metric(inc, "kafka_server_replicamanager_underreplicatedpartitions", "gauge", "Under-replicated partitions",
               lbl, step(0, 0 if b == 1 else 19, began + timedelta(minutes=2)))
    inc.ask(f"what is going on with {hot}? it maxes out its network since about 10:40 and things on it time out")
    inc.answer_key(culprit=("Job", "kafka", "reassign-partitions-0926"),
                   keywords=["reassign", "throttle", "replication", "under-replicated"],
                   root_cause="Job kafka/reassign-partitions-0926 runs kafka-reassign-partitions.sh --execute without "
                              "--throttle, moving 40 partitions onto broker events-kafka-1; the "
                              "unthrottled replication "
                              "fills that node's NIC, followers drop out of the ISR (under-replicated partitions) and "
                              "producers such as clickstream-collector time out.",
                   category="kafka-partition-reassignment-without-throttle",
                   red_herrings=[("Deployment", "kafka", "kafka-exporter")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 11, 27, 11, 15, tzinfo=UTC)


def preferences_save_errors() -> Incident:
    """networkpolicy-blocks-replica-set-peer-traffic: a new ingress policy admits app namespaces, not the members.

    after: a common way to break a replicated database with Kubernetes network policy: an ingress allow-list for
    the database port lists the client namespaces but not the database's own pods, which talk to each other on
    that same port; heartbeats fail, the primary cannot see a majority and steps down, and no member can be
    elected, so every write fails.

    NetworkPolicy mongodb/mongodb-allow-clients was applied at 10:51 (kubectl apply, a "lock down MongoDB"
    ticket): podSelector app=mongodb, Ingress only from namespaces labelled mongodb-access=true on 27017; the
    mongodb namespace itself is not labelled. mongod logs heartbeat failures and "can't see a majority";
    preferences-api in namespace users (Node.js driver) fails writes with "not primary" and server selection
    timeouts. The red herring is a rollout of consent-service in users.
    """
    inc = start(preferences_save_errors, title="preferences-api save errors", at=AT9, seed=2209,
                namespaces=("users", "mongodb"))
    change = AT9 - timedelta(minutes=24)
    pol = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "mongodb-allow-clients", "namespace": "mongodb", "generation": 1,
                                "creationTimestamp": ts(change),
                                "annotations": {"ops.example.com/ticket": "SEC-1187 restrict MongoDB to its clients"}},
                   "spec": {"podSelector": {"matchLabels": {"app": "mongodb"}}, "policyTypes": ["Ingress"],
                            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"mongodb-access": "true"}}}],
                                         "ports": [{"protocol": "TCP", "port": 27017}]},
                                        {"from": [{"namespaceSelector": {"matchLabels": {
                                            "kubernetes.io/metadata.name": "monitoring"}}}],
                                         "ports": [{"protocol": "TCP", "port": 9216}]}]}})
    changed(pol, ("kubectl-client-side-apply", "Update", change, {"f:spec": {"f:ingress": {}, "f:podSelector": {},
                                                                              "f:policyTypes": {}}}))
    users_ns = inc.find("Namespace", "", "users")
    users_ns["metadata"]["labels"]["mongodb-access"] = "true"

    def mongod(pod: str, s: datetime, e: datetime) -> Lines:
        me = int(pod.rsplit("-", 1)[1])
        peer = (me + 1) % 3

        def entry(t: datetime, sev: str, comp: str, id_: int, ctx: str, msg: str, attr: dict[str, Any]) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"
            return json.dumps({"t": {"$date": stamp}, "s": sev, "c": comp, "id": id_, "ctx": ctx, "msg": msg,
                               "attr": attr}, separators=(",", ":"))

        def line(i: int, t: datetime) -> str | None:
            if t < change:
                return entry(t, "I", "NETWORK", 22943, "listener", "Connection accepted",
                             {"remote": f"10.244.{1 + i % 3}.{30 + i % 50}:{50000 + i}", "connectionCount": 40 + i % 7})
            target = f"mongodb-{peer}.mongodb-svc.mongodb.svc.cluster.local:27017"
            if i % 3 == 0 and me == 0:
                return entry(t, "I", "REPL", 21809, "ReplCoord-3", "Can't see a majority of the set, relinquishing "
                             "primary", {})
            if i % 3 == 1:
                return entry(t, "I", "REPL", 21401, f"ReplCoord-{i % 9}", "Scheduling heartbeat to check on node",
                             {"target": target})
            return entry(t, "I", "REPL_HB", 23974, f"ReplCoord-{i % 9}", "Heartbeat failed after max retries",
                         {"target": target, "maxHeartbeatRetries": 2,
                          "error": {"code": 89, "codeName": "NetworkInterfaceExceededTimeLimit",
                                    "errmsg": "Couldn't get a connection within the time limit of 10000ms"}})
        return every(s, e, 20, line)
    inc.statefulset("mongodb", "mongodb", [c("mongod", "docker.io/library/mongo:7.0.14", port=27017,
                                             memory_limit="8Gi")], [P(log=within(mongod)) for _ in range(3)],
                    inc.born + timedelta(days=2), claims=[("data-volume", "200Gi", "gp3")])
    sts = inc.find("StatefulSet", "mongodb", "mongodb")
    sts["spec"]["template"]["metadata"]["labels"]["app"] = "mongodb"

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < change + timedelta(seconds=40):
                return pino(t, 30, pod, "request completed", req={"method": "PUT", "url": "/v1/preferences"},
                            res={"statusCode": 200}, responseTime=6 + i % 8)
            err = ("MongoServerError: not primary" if i % 2 else
                   "MongoServerSelectionError: Server selection timed out after 30000 ms")
            kind, message = err.split(": ", 1)
            return pino(t, 50, pod, "failed to save preferences",
                        err={"type": kind, "message": message, "stack": f"{err}\n    at Topology.selectServer "
                             "(/app/node_modules/mongodb/lib/sdam/topology.js:303:38)"})
        return every(s, e, 10, line)
    app(inc, "users", "preferences-api", f"{REGISTRY}/users/preferences-api:2.11.0", 3, within(api),
        env=[{"name": "MONGODB_URI", "value": "mongodb://mongodb-0.mongodb-svc.mongodb.svc,mongodb-1.mongodb-svc."
                                              "mongodb.svc,mongodb-2.mongodb-svc.mongodb.svc/prefs?replicaSet=rs0"}])
    herring(inc, "users", "consent-service", f"{REGISTRY}/users/consent-service", "1.4.0", AT9 - timedelta(minutes=40))
    plant(inc, "mongodb", "mongodb-admin", "password", "mongodb-admin", "password")
    http_series(inc, "users", "preferences-api", 50.0, 45.0, "500", change + timedelta(seconds=40))
    for i in range(3):
        lbl = {"namespace": "mongodb", "pod": f"mongodb-{i}", "rs_nm": "rs0", "job": "mongodb-exporter"}
        metric(inc, "mongodb_rs_myState", "gauge", "Replica set state of this member (1 primary, 2 secondary)", lbl,
               step(1 if i == 0 else 2, 2, change + timedelta(seconds=30)))
        metric(inc, "mongodb_rs_members_health", "gauge", "Health of the members this member can see (sum)", lbl,
               step(3, 1, change + timedelta(seconds=20)))
    inc.alertmanager("PreferencesAPIErrorRate", {"namespace": "users", "service": "preferences-api"},
                     "preferences-api: 90% of requests fail",
                     "preferences-api's 5xx ratio has been above 20% for 10 minutes.",
                     'sum(rate(http_requests_total{namespace="users",service="preferences-api",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{namespace="users",service="preferences-api"}[5m])) > 0.2',
                     severity="critical")
    inc.answer_key(culprit=("NetworkPolicy", "mongodb", "mongodb-allow-clients"),
                   keywords=["NetworkPolicy", "heartbeat", "replica set", "majority"],
                   root_cause="NetworkPolicy mongodb/mongodb-allow-clients admits port 27017 only from namespaces "
                              "labelled mongodb-access=true, not from the MongoDB pods themselves; the replica set "
                              "members' heartbeats fail, the primary cannot see a majority and steps "
                              "down, no primary is "
                              "elected, and preferences-api's writes fail with not primary / server "
                              "selection timeouts.",
                   category="networkpolicy-blocks-replica-set-peer-traffic",
                   red_herrings=[("Deployment", "users", "consent-service")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)


def payouts_hanging_page() -> Incident:
    """postgres-strict-synchronous-mode-single-standby-blocks-commits: strict sync replication with one standby.

    after: Patroni's documentation on synchronous_mode_strict: with it on, the primary never falls back to
    asynchronous replication, so when the only standby is gone every commit waits forever; teams turn it on
    for durability without adding a second standby and find out at the next node maintenance.

    PostgresCluster databases/ledger-pg (Crunchy PGO) was changed at 09:40 by Argo CD: patroni dynamic
    configuration synchronous_mode and synchronous_mode_strict true, still one replica. At 12:16 the replica's
    pod was evicted by a node drain and stays Pending (volume node affinity conflict). Commits on the primary
    wait for a synchronous standby (PostgreSQL and Patroni logs); payout-service in namespace treasury times out
    writing. The red herring is a rollout of fx-rates in treasury.
    """
    inc = start(payouts_hanging_page, title="payouts hanging", at=AT10, seed=2210,
                namespaces=("treasury", "databases", "postgres-operator"))
    change = AT10 - timedelta(hours=2, minutes=50)
    gone = AT10 - timedelta(minutes=14)
    crd(inc, "postgres-operator.crunchydata.com", "PostgresCluster", "postgresclusters", "v1beta1")
    pg = inc.add({"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster",
                  "metadata": {"name": "ledger-pg", "namespace": "databases", "generation": 12},
                  "spec": {"postgresVersion": 16,
                           "instances": [{"name": "instance1", "replicas": 2, "dataVolumeClaimSpec": {
                               "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "300Gi"}}}}],
                           "patroni": {"dynamicConfiguration": {"synchronous_mode": True,
                                                                "synchronous_mode_strict": True,
                                                                "postgresql": {"parameters": {
                                                                    "synchronous_commit": "on",
                                                                    "max_connections": "400"}}}},
                           "backups": {"pgbackrest": {"repos": [{"name": "repo1", "s3": {
                               "bucket": "acme-pg-backups", "endpoint": "s3.eu-west-1.amazonaws.com",
                               "region": "eu-west-1"}}]}}},
                  "status": {"observedGeneration": 12, "instances": [{"name": "instance1", "replicas": 2,
                                                                      "readyReplicas": 1, "updatedReplicas": 2}],
                             "patroni": {"systemIdentifier": "7391126843720417321"}}})
    changed(pg, ("argocd-controller", "Update", inc.born + timedelta(days=4), {"f:spec": {"f:instances": {}}}),
            ("argocd-controller", "Update", change, {"f:spec": {"f:patroni": {"f:dynamicConfiguration": {
                "f:synchronous_mode": {}, "f:synchronous_mode_strict": {}}}}}))
    primary, replica = "ledger-pg-instance1-x2k4", "ledger-pg-instance1-9fzd"

    def database(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
            if i % 3 == 0:
                return f"{stamp} INFO: no action. I am ({primary}-0), the leader with the lock"
            if t < gone:
                return L.postgres(t, "LOG", f"checkpoint complete: wrote {900 + i % 300} buffers (0.6%); 0 WAL "
                                  "file(s) added, 0 removed, 2 recycled", pid=88)
            if i % 3 == 1:
                return L.postgres(t, "WARNING", "canceling wait for synchronous replication due to user request\n"
                                  "DETAIL:  The transaction has already committed locally, but might not have been "
                                  "replicated to the standby.", pid=4000 + i)
            return (f"{stamp} INFO: Lock owner: {primary}-0; I am {primary}-0\n"
                    f"{stamp} INFO: synchronous_mode_strict is set: no synchronous standby available, keeping "
                    "synchronous_standby_names = '*'")
        return every(s, e, 20, line)
    inc.statefulset("databases", primary, [c("database", "registry.developers.crunchydata.com/crunchydata/"
                                                         "crunchy-postgres:ubi8-16.4-1", port=5432,
                                             memory_limit="16Gi")],
                    [P(log=within(database), node=node(inc, 0))], inc.born + timedelta(days=4),
                    claims=[("pgdata", "300Gi", "gp3")])
    msg = ("0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) had volume node affinity conflict. "
           "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.")
    inc.statefulset("databases", replica, [c("database", "registry.developers.crunchydata.com/crunchydata/"
                                                         "crunchy-postgres:ubi8-16.4-1", port=5432,
                                             memory_limit="16Gi")],
                    [P(state="pending", message=msg, created=gone + timedelta(seconds=20))],
                    inc.born + timedelta(days=4), claims=[("pgdata", "300Gi", "gp3")])
    drained = inc.cluster.nodes[2]
    drained["spec"]["unschedulable"] = True
    drained["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                                  "timeAdded": ts(gone - timedelta(minutes=1))}]
    app(inc, "postgres-operator", "pgo",
        "registry.developers.crunchydata.com/crunchydata/postgres-operator:ubi8-5.6.1-0", 1)

    def payouts(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < gone:
                return L.js(t, "info", "payout committed", payout_id=f"po_{88000 + i}", amount_cents=1000 + i * 7,
                            duration_ms=14 + i % 20)
            return L.js(t, "error", "payout commit failed", payout_id=f"po_{88000 + i}",
                        error="timeout: context deadline exceeded (after 30s, waiting on COMMIT)",
                        db="ledger-pg-primary.databases.svc:5432")
        return every(s, e, 15, line)
    app(inc, "treasury", "payout-service", f"{REGISTRY}/treasury/payout-service:5.0.2", 2, within(payouts),
        env=[{"name": "PGHOST", "value": "ledger-pg-primary.databases.svc"}])
    herring(inc, "treasury", "fx-rates", f"{REGISTRY}/treasury/fx-rates", "3.1.0", AT10 - timedelta(minutes=35))
    plant(inc, "databases", "ledger-pg-pguser-payouts", "password", "ledger-pg-payouts", "password")
    http_series(inc, "treasury", "payout-service", 12.0, 11.5, "504", gone)
    lbl = {"namespace": "databases", "pod": f"{primary}-0", "job": "crunchy-postgres-exporter"}
    metric(inc, "ccp_replication_lag_size_bytes", "gauge", "Replication lag in bytes per replica",
           {**lbl, "replica": f"{replica}-0"}, step(0, 0, gone))
    metric(inc, "ccp_connection_stats_active", "gauge", "Active connections", lbl, step(9, 380, gone))
    metric(inc, "pg_stat_activity_wait_event_count", "gauge", "Backends waiting, by wait event",
           {**lbl, "wait_event": "SyncRep"}, step(0, 372, gone))
    metric(inc, "ccp_is_ready", "gauge", "Instance ready", {**lbl, "pod": f"{replica}-0"}, step(1, 0, gone))
    inc.pagerduty("[treasury] payout-service: payout commits timing out", "payout-service")
    inc.answer_key(culprit=("PostgresCluster", "databases", "ledger-pg"),
                   keywords=["synchronous_mode_strict", "synchronous", "standby", "replica"],
                   root_cause="Argo CD set synchronous_mode and synchronous_mode_strict on PostgresCluster "
                              "databases/ledger-pg, which has a single replica; when that replica was drained and "
                              "stayed Pending, Patroni kept synchronous_standby_names='*' with no synchronous standby, "
                              "so every commit on the primary waits (SyncRep) and payout-service's writes time out.",
                   category="postgres-strict-synchronous-mode-single-standby-blocks-commits",
                   red_herrings=[("Deployment", "treasury", "fx-rates")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 11, 29, 15, 5, tzinfo=UTC)


def stock_reservations_failing() -> Incident:
    """proxysql-query-rule-routes-locking-transactions-to-reader: a read/write-split rule catches SELECT ... FOR UPDATE.

    after: ProxySQL's documented read/write split pitfall: a rule sending `^SELECT` to the reader hostgroup must
    come after the rule keeping `^SELECT.*FOR UPDATE` on the writer; with transaction_persistent the rest of a
    transaction that starts with a locking read stays on the read-only replica, so its UPDATE fails with
    ERROR 1290 (--read-only).

    ConfigMap proxysql/proxysql-config was re-applied at 14:41 with the query rules renumbered: rule 10
    `^SELECT` -> hostgroup 20 (readers) now precedes rule 20 `^SELECT.*FOR UPDATE` -> 10 (writer). ProxySQL
    reloaded it (its log); stock-reservations in namespace inventory (Go) fails reservations with Error 1290;
    the readers' hostgroup gets the locking queries. The red herring is a rollout of stock-sync in inventory.
    """
    inc = start(stock_reservations_failing, title="stock reservations failing", at=AT11, seed=2211,
                namespaces=("inventory", "proxysql", "mysql"))
    change = AT11 - timedelta(minutes=24)
    cnf = ('datadir="/var/lib/proxysql"\nadmin_variables=\n{\n  admin_credentials="admin:${ADMIN_PASSWORD}"\n  '
           'mysql_ifaces="0.0.0.0:6032"\n}\nmysql_variables=\n{\n  threads=4\n  max_connections=2048\n  '
           'monitor_username="monitor"\n  server_version="8.0.39"\n}\nmysql_servers=\n(\n  { address="mysql-0.mysql.'
           'mysql.svc", port=3306, hostgroup=10, max_connections=300 },\n  { address="mysql-1.mysql.mysql.svc", '
           'port=3306, hostgroup=20, max_connections=300 },\n  { address="mysql-2.mysql.mysql.svc", port=3306, '
           'hostgroup=20, max_connections=300 }\n)\nmysql_users=\n(\n  { username="inventory", default_hostgroup=10, '
           'transaction_persistent=1 }\n)\nmysql_query_rules=\n(\n  { rule_id=10, active=1, match_digest="^SELECT", '
           'destination_hostgroup=20, apply=1 },\n  { rule_id=20, active=1, match_digest="^SELECT.*FOR UPDATE", '
           'destination_hostgroup=10, apply=1 }\n)\n')
    cm = inc.configmap("proxysql", "proxysql-config", {"proxysql.cnf": cnf})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {".": {}, "f:proxysql.cnf": {}}}),
            ("kubectl-client-side-apply", "Update", change, {"f:data": {"f:proxysql.cnf": {}}}))

    def proxy(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%d %H:%M:%S")
            if i % 4 == 0:
                return f"{stamp} MySQL_HostGroups_Manager.cpp:1952:commit(): [INFO] Checksum for mysql_servers from " \
                       "mysql_servers_v2: 0x8D3A2B61F0E4C9A7"
            if t >= change and i % 4 == 1:
                return f"{stamp} MySQL_Session.cpp:4905:handler_minus1_LogErrorDuringQuery(): [WARNING] Error during " \
                       "query on (20,mysql-1.mysql.mysql.svc,3306,1290): 1290, The MySQL server is running with the " \
                       "--read-only option so it cannot execute this statement"
            return f"{stamp} MySQL_Monitor.cpp:1512:monitor_read_only_process_ready_tasks(): [INFO] read_only check " \
                   f"ok for mysql-{i % 3}.mysql.mysql.svc:3306"
        out = every(s, e, 20, line)
        for dt, text in ((2, "ProxySQL_Admin.cpp:6024:flush_mysql_query_rules__from_disk_to_memory(): [INFO] Loading "
                             "mysql_query_rules from config file"),
                         (3, "ProxySQL_Admin.cpp:13130:load_mysql_query_rules_to_runtime(): [INFO] Computed checksum "
                             "for 'LOAD MYSQL QUERY RULES TO RUNTIME' was 0x3FA46E1C0B77D912")):
            t = change + timedelta(minutes=1, seconds=dt)
            out.append((t, f"{t.strftime('%Y-%m-%d %H:%M:%S')} {text}"))
        return out
    inc.deployment("proxysql", "proxysql", [Rev(1, inc.born + timedelta(days=8), "helm upgrade", [
        c("proxysql", "docker.io/proxysql/proxysql:2.6.5", port=6033)])], {1: [P(log=within(proxy)),
                                                                             P(log=within(proxy))]})
    inc.service("proxysql", "proxysql", {"app": "proxysql"}, port=6033, target=6033)
    inc.statefulset("mysql", "mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306, memory_limit="8Gi")],
                    [P(), P(), P()], inc.born + timedelta(days=2), claims=[("data", "200Gi", "gp3")])

    def reservations(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < change + timedelta(minutes=1) or i % 5 == 0:
                return L.go_std(t, f"reserve order=ord_{71000 + i} sku=SKU-{i % 900:04d} qty=1 ok in {8 + i % 9}ms")
            return L.go_std(t, f"reserve order=ord_{71000 + i} sku=SKU-{i % 900:04d}: update stock_levels: Error 1290 "
                               "(HY000): The MySQL server is running with the --read-only option so it cannot "
                               "execute this statement")
        return every(s, e, 8, line)
    app(inc, "inventory", "stock-reservations", f"{REGISTRY}/inventory/stock-reservations:2.4.0", 3,
        within(reservations), env=[{"name": "DB_DSN", "value": "inventory@tcp(proxysql.proxysql.svc:6033)/inventory"}])
    herring(inc, "inventory", "stock-sync", f"{REGISTRY}/inventory/stock-sync", "1.12.0", AT11 - timedelta(minutes=48))
    plant(inc, "proxysql", "proxysql-admin", "password", "proxysql-admin", "ADMIN_PASSWORD")
    http_series(inc, "inventory", "stock-reservations", 30.0, 24.0, "500", change + timedelta(minutes=1))
    t0 = inc.at - timedelta(hours=2)
    for hg, before, after in (("10", 55.0, 6.0), ("20", 120.0, 169.0)):
        metric(inc, "proxysql_connection_pool_queries", "counter", "The number of queries routed to this backend",
               {"namespace": "proxysql", "hostgroup": hg, "job": "proxysql"},
               counter(t0, before, after, change + timedelta(minutes=1)))
    metric(inc, "mysql_global_status_handlers", "counter", "Total number of executed MySQL handlers",
           {"namespace": "mysql", "pod": "mysql-1", "handler": "external_lock", "job": "mysqld-exporter"},
           counter(t0, 300.0, 520.0, change + timedelta(minutes=1)))
    inc.alertmanager("StockReservationErrors", {"namespace": "inventory", "service": "stock-reservations"},
                     "stock-reservations: 80% of reservations fail",
                     "stock-reservations' 5xx ratio has been above 10% for 10 minutes.",
                     'sum(rate(http_requests_total{namespace="inventory",service="stock-reservations",code=~"5.."}'
                     '[5m])) / sum(rate(http_requests_total{namespace="inventory",service="stock-reservations"}[5m]))'
                     ' > 0.1', severity="critical")
    inc.answer_key(culprit=("ConfigMap", "proxysql", "proxysql-config"),
                   keywords=["ProxySQL", "query rule", "read-only", "FOR UPDATE"],
                   root_cause="A re-apply of ConfigMap proxysql/proxysql-config put the ProxySQL query rule sending "
                              "^SELECT to the reader hostgroup before the rule keeping SELECT ... FOR UPDATE on the "
                              "writer; with transaction_persistent, stock-reservations' transactions that start with a "
                              "locking read stay on a read-only replica and their UPDATE fails with Error 1290 "
                              "(--read-only).",
                   category="proxysql-query-rule-routes-locking-transactions-to-reader",
                   red_herrings=[("Deployment", "inventory", "stock-sync")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 11, 30, 9, 50, tzinfo=UTC)


def invoice_backlog_growing() -> Incident:
    """pulsar-subscription-type-exclusive-single-consumer: a consumer release subscribes Exclusive instead of Shared.

    after: a Pulsar subscription admits only one consumer when its type is Exclusive; a release that changes the
    subscription type (a default in a new client wrapper) leaves one replica consuming while the others are
    refused with ConsumerBusy, and the backlog grows at the rate the lone consumer cannot keep.

    Deployment billing/invoice-consumer revision 6 (09:12) set PULSAR_SUBSCRIPTION_TYPE Shared -> Exclusive
    (client wrapper 2.0); one pod holds the subscription, the other three log ConsumerBusyException and retry.
    The broker logs "Exclusive consumer is already connected"; the alert is the subscription backlog in
    namespace pulsar. The red herring is a rollout of invoice-pdf in billing.
    """
    inc = start(invoice_backlog_growing, title="invoice backlog growing", at=AT12, seed=2212,
                namespaces=("billing", "pulsar"))
    change = AT12 - timedelta(minutes=38)
    image = f"{REGISTRY}/billing/invoice-consumer"
    base_env = [{"name": "PULSAR_SERVICE_URL", "value": "pulsar://pulsar-broker.pulsar.svc:6650"},
                {"name": "PULSAR_TOPIC", "value": "persistent://billing/events/invoices"},
                {"name": "PULSAR_SUBSCRIPTION", "value": "invoicing"}]

    def busy(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            return L.spring(t, "WARN", "o.a.pulsar.client.impl.ConsumerImpl", java_trace(
                "[persistent://billing/events/invoices][invoicing] Failed to subscribe: org.apache.pulsar.client.api."
                "PulsarClientException$ConsumerBusyException: {\"errorMsg\":\"Exclusive consumer is already "
                f"connected\",\"reqId\":{9_100_000 + i}, \"remote\":\"pulsar-broker.pulsar.svc/172.20.0.61:6650\"}}",
                ["org.apache.pulsar.client.impl.ClientCnx.getPulsarClientException(ClientCnx.java:1337)",
                 "org.apache.pulsar.client.impl.ClientCnx.handleError(ClientCnx.java:752)"]),
                thread="pulsar-client-io-1-1")
        return every(s, e, 30, line)

    def working(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: L.spring(t, "INFO", "c.a.billing.invoice.InvoiceListener",
                                                     f"invoice inv_{550000 + i} issued in {180 + i % 70} ms",
                                                     thread="pulsar-external-listener-3-1"))
    inc.deployment("billing", "invoice-consumer", [
        Rev(5, inc.born + timedelta(days=18), "helm upgrade", [c("invoice-consumer", f"{image}:1.22.4", env=[
            *base_env, {"name": "PULSAR_SUBSCRIPTION_TYPE", "value": "Shared"}])]),
        Rev(6, change, "helm upgrade", [c("invoice-consumer", f"{image}:1.23.0", env=[
            *base_env, {"name": "PULSAR_SUBSCRIPTION_TYPE", "value": "Exclusive"}])])],
        {6: [P(log=within(working)), P(log=within(busy)), P(log=within(busy)), P(log=within(busy))]})

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S,") + f"{t.microsecond // 1000:03d}+0000"
            if t < change + timedelta(minutes=1):
                return f"{stamp} [pulsar-io-4-3] INFO  org.apache.pulsar.broker.service.ServerCnx - [/10.244.2." \
                       f"{30 + i % 20}:{40000 + i}] Subscribing on topic persistent://billing/events/invoices / " \
                       "invoicing"
            return f"{stamp} [pulsar-io-4-3] WARN  org.apache.pulsar.broker.service.ServerCnx - [/10.244.{1 + i % 3}." \
                   f"{30 + i % 20}:{40000 + i}][persistent://billing/events/invoices][invoicing] Failed to create " \
                   "consumer: consumerId=0, Exclusive consumer is already connected"
        return every(s, e, 20, line)
    inc.statefulset("pulsar", "pulsar-broker", [c("pulsar-broker", "docker.io/apachepulsar/pulsar:3.3.2", port=6650,
                                                  memory_limit="4Gi")], [P(log=within(broker)), P(log=within(broker))],
                    inc.born + timedelta(days=2), service=6650)
    herring(inc, "billing", "invoice-pdf", f"{REGISTRY}/billing/invoice-pdf", "2.0.6", AT12 - timedelta(minutes=52))
    plant(inc, "billing", "invoice-consumer-pulsar-token", "jwt", "invoicing", "token")
    lbl = {"namespace": "pulsar", "cluster": "pulsar", "tenant": "billing", "exported_namespace": "billing/events",
           "topic": "persistent://billing/events/invoices", "subscription": "invoicing", "job": "pulsar-broker"}
    metric(inc, "pulsar_subscription_back_log", "gauge", "Number of messages in the subscription backlog", lbl,
           ramp(120.0, 2100.0, change + timedelta(minutes=1)))
    metric(inc, "pulsar_subscription_msg_rate_out", "gauge", "Total message dispatch rate for the subscription",
           lbl, step(140.0, 35.0, change + timedelta(minutes=1)))
    metric(inc, "pulsar_subscription_consumers_count", "gauge", "Number of connected consumers", lbl,
           step(4, 1, change + timedelta(minutes=1)))
    inc.alertmanager("PulsarSubscriptionBacklogHigh", {"namespace": "pulsar", "topic":
                                                       "persistent://billing/events/invoices",
                                                       "subscription": "invoicing"},
                     "Subscription invoicing backlog above 50000 messages",
                     "The backlog of subscription invoicing on persistent://billing/events/invoices has grown for 30 "
                     "minutes (75,000 messages).",
                     'pulsar_subscription_back_log{subscription="invoicing"} > 50000', severity="critical")
    inc.answer_key(culprit=("Deployment", "billing", "invoice-consumer"),
                   keywords=["Exclusive", "subscription type", "Shared", "ConsumerBusy"],
                   root_cause="invoice-consumer revision 6 (Deployment billing/invoice-consumer) changed its Pulsar "
                              "subscription type from Shared to Exclusive; only one of its four pods may attach to the "
                              "invoicing subscription, the others fail with ConsumerBusyException, and the backlog "
                              "grows faster than the single consumer drains it.",
                   category="pulsar-subscription-type-exclusive-single-consumer",
                   red_herrings=[("Deployment", "billing", "invoice-pdf")])
    return inc


ALL = [order_history_errors_burn, leaderboard_api_errors_page, telemetry_ingest_degraded_grouped,
       notification_sends_stalled, events_sink_writes_failing, catalog_search_slow_question,
       profile_updates_failing_page, node_network_saturated_question, preferences_save_errors, payouts_hanging_page,
       stock_reservations_failing, invoice_backlog_growing]
