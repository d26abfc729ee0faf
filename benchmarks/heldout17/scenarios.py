"""Round 17 of the held-out incident set: twelve incidents whose loudest symptom is a downstream effect.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem or everyday production failure it re-creates (our own names and text, nothing copied).
The page names the victim; the first error anyone sees (a pool timeout, a 504, a DNS failure) is what
the cause did further down the line. Each bundle has several recent changes near the victim, one of
which matters, and logs in mixed formats (JSON, logfmt, Spring, Python logging, Go, klog, nginx,
Envoy, PostgreSQL, Redis).
"""

from __future__ import annotations

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
    """A pod log function whose lines are kept only inside the container run (start..end), sorted; a run that
    began weeks ago keeps its last two hours, about what `kubectl logs --since` would be asked for."""
    def log(pod: str, start: datetime, end: datetime) -> str:
        start = max(start, end - timedelta(hours=2))
        return L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))
    return log


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


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def set_logs(inc: Incident, ns: str, workload: str, make: Callable[[PodHistory], Lines]) -> None:
    """Replace the current logs of a background workload's pods (its first container) with `make`'s lines."""
    for h in inc.pods_of(ns, workload):
        h.logs[h.containers[0].name] = L.lines(sorted(make(h)))


def http_series(inc: Incident, ns: str, service: str, ok_rate: float, bad_rate: float, code: str,
                at: datetime) -> None:
    """http_requests_total of a service: all 200 until `at`, then `bad_rate`/s of `code` beside the 200s."""
    start = inc.at - timedelta(hours=2)
    base = {"namespace": ns, "service": service, "job": service}
    metric(inc, "http_requests_total", "counter", "Total HTTP requests.", {**base, "code": "200"},
               counter(start, ok_rate, ok_rate - bad_rate, at))
    metric(inc, "http_requests_total", "counter", "Total HTTP requests.", {**base, "code": code},
               counter(start, 0.0, bad_rate, at))


def metric(inc: Incident, family: str, type_: str, help_: str, labels: dict[str, str],
           fn: Callable[[datetime], float | None], step_s: int = 60) -> None:
    """One series, named as the exporter names it: a counter's family drops `_total` (the writer appends it),
    and each series gets its own label dict (the writer keeps state in it)."""
    name = family.removesuffix("_total") if type_ == "counter" else family
    inc.series(name, type_, help_ or f"{family} as the exporter reports it.", dict(labels), fn, step_s)


def restarts_from(at: datetime, offset: int) -> Series:
    """A restart counter that climbs by one every ten minutes from `at` (an OOM loop at peak)."""
    return lambda t: 0.0 if t < at else float(int((t - at).total_seconds() // 600) + offset)


def sawtooth(base: float, stride: float, phase: int) -> Series:
    """A working set that climbs for eight minutes and drops (a process killed at its limit and restarted)."""
    return lambda t: base + ((t.minute + phase) % 8) * stride


def crd(inc: Incident, group: str, kind: str, plural: str, scope: str = "Namespaced") -> None:
    """A CustomResourceDefinition, as the operator's chart installs it."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                      "versions": [{"name": "v1beta1", "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]}})


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 23, 10, 4, tzinfo=UTC)


def storefront_504_grouped() -> Incident:
    """networkpolicy-default-deny-omits-ingress-controller-namespace: a baseline deny policy admits only same-namespace.

    after: published cases of a namespace hardened with a default-deny ingress NetworkPolicy whose
    allow rule admits pods of the namespace itself and the monitoring namespace, but not the ingress
    controller's namespace; the pods stay Ready (the kubelet's probes are not filtered), the load
    balancer health checks pass, and the only loud symptom is the ingress controller's 504s.

    A NetworkPolicy catalogue/baseline-deny-ingress applied 12 minutes before the page allows ingress only
    from namespaces labelled team=catalogue or monitoring; ingress-nginx's connections to the storefront
    pods time out. The nearby change that does not matter: a rollout of price-feed in the same namespace.
    """
    at = AT1
    inc = Incident("storefront-504-grouped", title="storefront pages time out (504) through the ingress",
                   story=storefront_504_grouped.__doc__ or "", at=at, seed=1701, namespaces=("catalogue",))
    applied = at - timedelta(minutes=12)

    def store_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 10, lambda i, t: L.js(t, "info", "request completed", method="GET",
                                                         path="/healthz/ready", status=200, duration_ms=2,
                                                         remote="10.0.1.1"))
        out += L.ticker(start, min(end, applied), 4, lambda i, t: L.js(
            t, "info", "request completed", method="GET", path=["/", "/c/shoes", "/p/8812"][i % 3], status=200,
            duration_ms=38 + i % 17, remote="10.244.1.23"))
        return out

    app(inc, "catalogue", "storefront", f"{REGISTRY}/catalogue/storefront:3.8.1", 3, within(store_log))
    inc.service("catalogue", "storefront", {"app": "storefront"}, port=80, target=8080)
    herring(inc, "catalogue", "price-feed", f"{REGISTRY}/catalogue/price-feed", "1.4.0", at - timedelta(minutes=20))
    pol = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "baseline-deny-ingress", "namespace": "catalogue",
                                "creationTimestamp": ts(applied), "generation": 1,
                                "labels": {"policy.example.com/baseline": "true"}},
                   "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                            "ingress": [{"from": [
                                {"namespaceSelector": {"matchLabels": {"team": "catalogue"}}},
                                {"namespaceSelector": {"matchLabels": {
                                    "kubernetes.io/metadata.name": "monitoring"}}}]}]}})
    changed(pol, ("kubectl-client-side-apply", "Update", applied,
                  {"f:spec": {"f:ingress": {}, "f:podSelector": {}, "f:policyTypes": {}}}))
    ips = [inc.cluster.pod_ip(h) for h in inc.pods_of("catalogue", "storefront")]

    def ingress_log(h: PodHistory) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(at - timedelta(minutes=40), inc.captured, 7)):
            ip = ips[i % len(ips)]
            if t < applied:
                out.append((t, L.nginx_access(t, f"81.2.{i % 200}.{i % 250}", "GET /c/shoes", 200, 18211,
                                              "catalogue-storefront-80", "200", 0.041)))
            else:
                out.append((t, L.nginx_error(t, "upstream timed out (110: Connection timed out) while connecting "
                                                f'to upstream, client: 81.2.{i % 200}.9, server: shop.example.com, '
                                                f'request: "GET /c/shoes HTTP/1.1", upstream: "http://{ip}:8080/c/'
                                                'shoes", host: "shop.example.com"', conn=9000 + i)))
                out.append((t + timedelta(seconds=5), L.nginx_access(
                    t + timedelta(seconds=5), f"81.2.{i % 200}.9", "GET /c/shoes", 504, 160,
                    "catalogue-storefront-80", "504 504 504", 15.001)))
        out += L.ticker(at - timedelta(minutes=40), inc.captured, 300, lambda i, t: L.klog(
            t, "I", "store.go:440", 'Found custom configuration for "shop-tls" in namespace "catalogue"', 7))
        return out

    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", ingress_log)
    plant(inc, "catalogue", "storefront-session", "token", "session-key", "SESSION_SECRET")
    http_series(inc, "catalogue", "storefront", 9.0, 8.7, "504", applied)
    metric(inc, "probe_success", "gauge", "Displays whether or not the probe was a success",
               {"job": "blackbox", "instance": "https://shop.example.com/c/shoes"}, step(1, 0, applied))
    grouped = [
        alert(inc, "NginxIngressHigh5xxRate", {"namespace": "catalogue", "ingress": "storefront"},
              "More than 5% of requests to ingress catalogue/storefront fail with 5xx.",
              "96% of requests for shop.example.com returned 504 over the last 5 minutes.",
              'sum(rate(nginx_ingress_controller_requests{ingress="storefront",status=~"5.."}[5m])) / '
              'sum(rate(nginx_ingress_controller_requests{ingress="storefront"}[5m])) > 0.05', "critical"),
        alert(inc, "BlackboxProbeFailed", {"namespace": "catalogue", "instance": "https://shop.example.com/c/shoes"},
              "Blackbox probe failed", "Probe https://shop.example.com/c/shoes failed for 5 minutes.",
              "probe_success == 0", "critical"),
        alert(inc, "StorefrontLatencyHigh", {"namespace": "catalogue", "service": "storefront"},
              "storefront p99 latency above 2s", "Edge-measured p99 latency is 15s.",
              'histogram_quantile(0.99, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket'
              '{ingress="storefront"}[5m]))) > 2'),
    ]
    inc.alerts["alertmanager.json"] = am.alertmanager(grouped, group=["namespace"])
    inc.answer_key(culprit=("NetworkPolicy", "catalogue", "baseline-deny-ingress"),
                   keywords=["NetworkPolicy", "ingress-nginx", "deny", "namespaceSelector"],
                   root_cause="NetworkPolicy catalogue/baseline-deny-ingress, applied 12 minutes before the page, "
                              "denies all ingress except from namespaces matched by its namespaceSelector (team="
                              "catalogue, monitoring); the ingress-nginx namespace is not among them, so the "
                              "controller's connections to the storefront pods time out and it answers 504.",
                   category="networkpolicy-default-deny-omits-ingress-controller-namespace",
                   red_herrings=[("Deployment", "catalogue", "price-feed")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)


def order_api_latency_page() -> Incident:
    """backup-cronjob-parallel-dump-saturates-database-io: a dump CronJob's --jobs raised from 2 to 16.

    after: on-call write-ups where a daytime logical backup, made "faster" by raising pg_dump's
    parallelism, saturated the primary's disk reads; the application saw its connection pool time
    out and the first suspicion was the pool size or the last deploy.

    The CronJob db-ops/orders-db-dump (every six hours, 09:15 among them) was edited the day before to run
    pg_dump with --jobs=16 instead of --jobs=2. At 09:15 its Job read the primary flat out: queries that
    took 5 ms take seconds, order-api's HikariCP pool times out waiting for connections. The nearby change
    that does not matter: the order-api feature-flag ConfigMap edited 50 minutes before.
    """
    at = AT2
    inc = Incident("order-api-latency-page", title="order-api p99 latency above 2 seconds",
                   story=order_api_latency_page.__doc__ or "", at=at, seed=1702, namespaces=("orders", "db-ops"))
    edit = at - timedelta(hours=20)
    run = at - timedelta(minutes=16)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 60, lambda i, t: L.spring(t, "INFO", "o.s.web.servlet.DispatcherServlet",
                                                            "Completed initialization in 2 ms", "http-nio-8080-exec-1")
                       if i == 0 else None)
        out += L.ticker(max(start, run + timedelta(minutes=3)), end, 9, lambda i, t: L.spring(
            t, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
            "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
            f"http-nio-8080-exec-{i % 40 + 1}"))
        out += L.ticker(max(start, run + timedelta(minutes=3)), end, 27, lambda i, t: L.spring(
            t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
            "Servlet.service() for servlet [dispatcherServlet] threw exception\n"
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed "
            "out after 30000ms.\n\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)"
            "\n\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)\n\tat "
            "com.example.orders.OrderRepository.findOpen(OrderRepository.java:88)", f"http-nio-8080-exec-{i % 40 + 1}"))
        return out

    app(inc, "orders", "order-api", f"{REGISTRY}/orders/order-api:5.2.0", 3, within(api_log))

    def pg_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 300, lambda i, t: L.postgres(t, "LOG", "checkpoint complete: wrote 1841 buffers "
                                                                "(1.4%); 0 WAL file(s) added", 64))
        out += L.ticker(max(start, run + timedelta(minutes=1)), end, 11, lambda i, t: L.postgres(
            t, "LOG", f"duration: {2100 + (i * 377) % 5200}.{i % 1000:03d} ms  execute <unnamed>: SELECT o.id, "
            "o.status FROM orders o WHERE o.customer_id = $1 AND o.status = 'OPEN'", 9000 + i % 50))
        return out

    inc.statefulset("orders", "orders-db", [c("postgres", "docker.io/library/postgres:16.4", memory_limit="8Gi",
                                               port=5432)], [P(log=within(pg_log))], inc.born, service=5432)
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "orders-db-dump", "namespace": "db-ops", "generation": 7},
                    "spec": {"schedule": "15 */6 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                             "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                                 "restartPolicy": "Never", "containers": [{
                                     "name": "dump", "image": "docker.io/library/postgres:16.4",
                                     "command": ["pg_dump"],
                                     "args": ["--host=orders-db.orders.svc", "--format=directory", "--jobs=16",
                                              "--file=/backup/orders", "orders"],
                                     "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}}]}}}}},
                    "status": {"lastScheduleTime": ts(run), "active": [
                        {"kind": "Job", "namespace": "db-ops", "name": "orders-db-dump-29398635",
                         "apiVersion": "batch/v1"}]}})
    changed(cron, ("kubectl-edit", "Update", edit,
                   {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}))
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": "orders-db-dump-29398635", "namespace": "db-ops", "creationTimestamp": ts(run),
                          "ownerReferences": [o.owner_ref("CronJob", "orders-db-dump", "db-ops")]},
             "spec": {"backoffLimit": 0, "parallelism": 1, "completions": 1},
             "status": {"startTime": ts(run), "active": 1}})
    cm = inc.configmap("orders", "order-api-flags", {"checkout.v2": "false", "promo.banner": "true"},
                       at=inc.born + timedelta(days=3))
    changed(cm, ("kubectl-edit", "Update", at - timedelta(minutes=50), {"f:data": {"f:promo.banner": {}}}))
    plant(inc, "db-ops", "orders-db-backup-creds", "password", "backup", "PGPASSWORD")
    lbl = {"namespace": "orders", "pod": "orders-db-0", "device": "nvme1n1", "job": "node-exporter"}
    metric(inc, "node_disk_io_time_seconds_total", "counter", "Total seconds spent doing I/Os.", lbl,
               counter(at - timedelta(hours=2), 0.18, 0.99, run))
    metric(inc, "pg_stat_activity_count", "gauge", "number of connections in this state",
               {"namespace": "orders", "datname": "orders", "state": "active", "job": "postgres-exporter"},
               step(4, 58, run + timedelta(minutes=2)))
    metric(inc, "hikaricp_connections_pending", "gauge", "Pending threads",
               {"namespace": "orders", "service": "order-api", "pool": "HikariPool-1"},
               step(0, 37, run + timedelta(minutes=3)))
    inc.pagerduty("order-api p99 latency above 2s for 10 minutes (orders)", "Orders Platform")
    inc.answer_key(culprit=("CronJob", "db-ops", "orders-db-dump"),
                   keywords=["backup", "pg_dump", "parallel", "I/O"],
                   root_cause="The backup CronJob db-ops/orders-db-dump was edited the day before to run pg_dump "
                              "with --jobs=16 (parallel dump, was 2); its 09:15 run saturates the orders-db "
                              "primary's disk I/O, queries slow to seconds and order-api's HikariCP pool times out.",
                   category="backup-cronjob-parallel-dump-saturates-database-io",
                   red_herrings=[("ConfigMap", "orders", "order-api-flags")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 25, 14, 40, tzinfo=UTC)


def profile_errors_burn() -> Incident:
    """backfill-job-floods-shared-cache-evicts-hot-keys: a one-off Job writes millions of keys into a shared Redis.

    after: postmortems where a data backfill wrote into the cache cluster other services share
    (maxmemory-policy allkeys-lru); the hot keys were evicted, every read fell through to the
    database, and the loud errors were the database pool's timeouts in an unrelated service.

    The Job data-eng/avatar-backfill-20261125 started 35 minutes before the page and SETs one key per user
    (no TTL) into the shared Redis session-cache; evicted_keys jumps, profile-api's hit ratio falls from
    97% to 20%, its Postgres pool (knex) runs dry and it answers 500. The nearby change that does not
    matter: a rollout of avatar-resizer in the same namespace as the victim.
    """
    at = AT3
    inc = Incident("profile-errors-burn", title="profile-api error budget burning",
                   story=profile_errors_burn.__doc__ or "", at=at, seed=1703, namespaces=("accounts", "data-eng"))
    began = at - timedelta(minutes=35)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 30, lambda i, t: L.js(t, "info", "cache stats", hits=970 if t < began else 210,
                                                         misses=30 if t < began else 790, service="profile-api"))
        out += L.ticker(max(start, began + timedelta(minutes=6)), end, 6, lambda i, t: L.js(
            t, "error", "request failed", err="KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is "
            "probably full. Are you missing a .transacting(trx) call?", path=f"/v1/profiles/{88000 + i}",
            status=500, service="profile-api"))
        return out

    app(inc, "accounts", "profile-api", f"{REGISTRY}/accounts/profile-api:7.1.3", 3, within(api_log))
    herring(inc, "accounts", "avatar-resizer", f"{REGISTRY}/accounts/avatar-resizer", "2.0.4",
            at - timedelta(minutes=25))

    def redis_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 600, lambda i, t: f"1:M {t.strftime('%d %b %Y %H:%M:%S')}.{i % 1000:03d} * "
                        "100 changes in 300 seconds. Saving...")

    inc.statefulset("accounts", "session-cache", [c("redis", "docker.io/library/redis:7.2.5", memory_limit="4Gi",
                                                     port=6379)], [P(log=within(redis_log))], inc.born, service=6379)
    job_log = L.lines([(began + timedelta(seconds=4), L.pylog(began + timedelta(seconds=4), "INFO", "backfill",
                                                              "connecting to redis://session-cache.accounts:6379/0")),
                       *L.ticker(began + timedelta(seconds=10), inc.captured, 60, lambda i, t: L.pylog(
                           t, "INFO", "backfill", f"wrote {(i + 1) * 412000:,} avatar keys (batch size 5000)"))])
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "avatar-backfill-20261125", "namespace": "data-eng",
                                "creationTimestamp": ts(began), "labels": {"job-name": "avatar-backfill-20261125"}},
                   "spec": {"backoffLimit": 2, "parallelism": 1, "completions": 1, "template": {"spec": {
                       "restartPolicy": "Never", "containers": [{
                           "name": "backfill", "image": f"{REGISTRY}/data-eng/backfill:0.3.0",
                           "args": ["python", "-m", "backfill.avatars", "--target", "redis://session-cache.accounts:6379/0"]}]}}},
                   "status": {"startTime": ts(began), "active": 1}})
    changed(job, ("kubectl-create", "Update", began, {"f:spec": {"f:template": {}}}))
    pod = "avatar-backfill-20261125-q7x2m"
    inc.cluster.add_pod(PodHistory(
        name=pod, namespace="data-eng", workload="avatar-backfill-20261125",
        containers=[c("backfill", f"{REGISTRY}/data-eng/backfill:0.3.0")], node=node(inc, 2),
        created=began, states=[o.ContainerState(started_at=began + timedelta(seconds=3))],
        labels={"job-name": "avatar-backfill-20261125"}, owner=o.owner_ref("Job", "avatar-backfill-20261125",
                                                                           "data-eng"),
        logs={"backfill": job_log}))
    plant(inc, "accounts", "profile-db", "password", "profile-db", "PGPASSWORD")
    base = {"namespace": "accounts", "service": "session-cache", "job": "redis-exporter"}
    metric(inc, "redis_evicted_keys_total", "counter", "evicted_keys metric", base,
               counter(at - timedelta(hours=2), 0.0, 1850.0, began + timedelta(minutes=4)))
    metric(inc, "redis_memory_used_bytes", "gauge", "used_memory metric", base,
               lambda t: 2.1e9 if t < began else min(3.9e9, 2.1e9 + (t - began).total_seconds() * 1.2e6))
    metric(inc, "redis_keyspace_hits_total", "counter", "keyspace_hits metric", base,
               counter(at - timedelta(hours=2), 970.0, 210.0, began + timedelta(minutes=4)))
    metric(inc, "redis_keyspace_misses_total", "counter", "keyspace_misses metric", base,
               counter(at - timedelta(hours=2), 30.0, 790.0, began + timedelta(minutes=4)))
    http_series(inc, "accounts", "profile-api", 40.0, 9.0, "500", began + timedelta(minutes=6))
    inc.slo_burn("profile-api", "accounts", "profile-api-availability", "0.999", 22.5,
                 "profile-api is returning 5xx on 22% of requests; the 1h and 5m burn rates are above 14.4x.")
    inc.answer_key(culprit=("Job", "data-eng", "avatar-backfill-20261125"),
                   keywords=["backfill", "evict", "cache", "Redis"],
                   root_cause="The backfill Job data-eng/avatar-backfill-20261125 writes millions of keys without TTL "
                              "into the shared Redis session-cache (allkeys-lru); Redis evicts profile-api's hot keys, "
                              "the cache hit ratio collapses, every read goes to Postgres and the knex pool times out.",
                   category="backfill-job-floods-shared-cache-evicts-hot-keys",
                   red_herrings=[("Deployment", "accounts", "avatar-resizer")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 26, 16, 22, tzinfo=UTC)

_LOG4J2_INFO = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" monitorInterval="30">
  <Appenders><Console name="stdout" target="SYSTEM_OUT"><JsonTemplateLayout/></Console></Appenders>
  <Loggers><Root level="INFO"><AppenderRef ref="stdout"/></Root></Loggers>
</Configuration>
"""


def search_gateway_timeouts() -> Incident:
    """log4j2-root-level-debug-hot-reloaded-cpu-saturation: a logging ConfigMap edited to DEBUG, reloaded live.

    after: incidents where someone turned a service's root logger to DEBUG to chase a bug; log4j2's
    monitorInterval picked the file up without a restart, the synchronous console appender made every
    request pay for megabytes of logging, CPU hit the limit and the loud errors were the edge
    gateway's upstream timeouts.

    ConfigMap discovery/query-svc-logging (mounted as log4j2.xml, monitorInterval=30) was edited 30 minutes
    before the page: Root level INFO -> DEBUG. No pod restarted; query-svc is CPU-throttled at its limit and
    its p99 goes from 80 ms to 4 s; the Envoy gateway in another namespace returns 504 UT. The nearby change
    that does not matter: a rollout of suggest-svc in the same namespace.
    """
    at = AT4
    inc = Incident("search-gateway-timeouts", title="api-gateway upstream timeouts on /search",
                   story=search_gateway_timeouts.__doc__ or "", at=at, seed=1704, namespaces=("discovery", "edge"))
    edit = at - timedelta(minutes=30)

    def query_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, min(end, edit), 20, lambda i, t: L.js(
            t, "INFO", "search served", logger="c.e.search.QueryController", took_ms=70 + i % 25, hits=42 + i % 9))
        out.append((edit + timedelta(seconds=21), L.js(edit + timedelta(seconds=21), "INFO",
                    "Reconfiguration started for context[name=6d06d69c] with configuration "
                    "XmlConfiguration[location=/etc/query-svc/log4j2.xml]", logger="org.apache.logging.log4j.core")))
        out += L.ticker(max(start, edit + timedelta(seconds=22)), end, 0.7, lambda i, t: L.js(
            t, "DEBUG", ["o.a.h.c.h.i.c.InternalHttpClient: Connection request: [route: {}->http://es-data:9200]",
                         "o.e.c.RestClient: request [POST http://es-data:9200/products/_search] "
                         "returned [HTTP/1.1 200 OK]",
                         "c.e.search.QueryBuilder: built query {\"bool\":{\"must\":[{\"match\":{\"title\":...}}]}}",
                         "o.h.e.t.i.TransactionImpl: begin"][i % 4], logger="debug"))
        return out

    app(inc, "discovery", "query-svc", f"{REGISTRY}/discovery/query-svc:4.4.2", 3, within(query_log),
        cpu_request="500m", cpu_limit="1")
    herring(inc, "discovery", "suggest-svc", f"{REGISTRY}/discovery/suggest-svc", "2.7.0", at - timedelta(minutes=40))
    cm = inc.configmap("discovery", "query-svc-logging",
                       {"log4j2.xml": _LOG4J2_INFO.replace('Root level="INFO"', 'Root level="DEBUG"')},
                       at=inc.born + timedelta(days=6))
    changed(cm, ("kubectl-edit", "Update", edit, {"f:data": {"f:log4j2.xml": {}}}))

    def envoy_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 3)):
            if t < edit + timedelta(minutes=1):
                out.append((t, L.envoy(t, "GET", f"/search?q=item{i % 97}", 200, "-", "10.244.2.31:8080", 81,
                                       "api.example.com", L.uuidish("gw", i))))
            elif i % 3:
                out.append((t, L.envoy(t, "GET", f"/search?q=item{i % 97}", 504, "UT", "10.244.2.31:8080", 3000,
                                       "api.example.com", L.uuidish("gw", i), "response_timeout")))
            else:
                out.append((t, L.envoy(t, "GET", f"/v1/cart/{i}", 200, "-", "10.244.3.8:8080", 12,
                                       "api.example.com", L.uuidish("gw", i))))
        return out

    app(inc, "edge", "api-gateway", "docker.io/envoyproxy/envoy:v1.31.2", 2, within(envoy_log))
    plant(inc, "discovery", "es-credentials", "password", "es", "ELASTIC_PASSWORD")
    for h in inc.pods_of("discovery", "query-svc"):
        lbl = {"namespace": "discovery", "pod": h.name, "container": "query-svc", "job": "kubelet"}
        metric(inc, "container_cpu_cfs_throttled_periods_total", "counter",
                   "Number of throttled period intervals.", lbl, counter(at - timedelta(hours=2), 0.2, 9.4, edit))
        metric(inc, "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   lbl, counter(at - timedelta(hours=2), 0.31, 0.99, edit))
    metric(inc, "envoy_cluster_upstream_rq_timeout", "counter", "", {"namespace": "edge",
               "envoy_cluster_name": "discovery_query_svc_8080", "job": "envoy-stats"},
               counter(at - timedelta(hours=2), 0.0, 7.5, edit + timedelta(minutes=1)))
    inc.alertmanager("EnvoyUpstreamTimeoutsHigh", {"namespace": "edge", "service": "api-gateway",
                                                   "envoy_cluster_name": "discovery_query_svc_8080"},
                     "api-gateway: more than 10% of upstream requests time out",
                     "api-gateway cluster discovery_query_svc_8080 timed out on 66% of requests in the last 5m.",
                     'sum(rate(envoy_cluster_upstream_rq_timeout{service="api-gateway"}[5m])) by '
                     "(envoy_cluster_name) / sum(rate(envoy_cluster_upstream_rq_total[5m])) by "
                     "(envoy_cluster_name) > 0.1", severity="critical")
    inc.answer_key(culprit=("ConfigMap", "discovery", "query-svc-logging"),
                   keywords=["DEBUG", "log4j2", "CPU", "logging"],
                   root_cause="ConfigMap discovery/query-svc-logging was edited 30 minutes before the page to set the "
                              "log4j2 root logger to DEBUG; log4j2 reloaded it without a restart (monitorInterval), "
                              "the synchronous console logging pins query-svc at its CPU limit (throttled), and the "
                              "gateway's requests to it time out.",
                   category="log4j2-root-level-debug-hot-reloaded-cpu-saturation",
                   red_herrings=[("Deployment", "discovery", "suggest-svc")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 27, 11, 5, tzinfo=UTC)


def payouts_errors_burn() -> Incident:
    """node-local-dns-memory-limit-cut-oomkilled: the node DNS cache's memory limit cut from 128Mi to 30Mi.

    after: reports of a NodeLocal DNSCache DaemonSet whose limits were "right-sized" from an idle
    week's usage; at peak its pods are OOMKilled, lookups through 169.254.20.10 time out while each
    restarts, and applications log DNS failures that look like a CoreDNS or network problem.

    DaemonSet kube-system/node-local-dns was upgraded 3 hours before the page with memory limit 30Mi (was
    128Mi); its pods restart OOMKilled every few minutes under the daytime query rate; payouts (Go) logs
    `lookup ... on 169.254.20.10:53: read udp ...: i/o timeout` and fails payouts. CoreDNS is healthy. The
    nearby change that does not matter: a rollout of fx-rates next to the victim.
    """
    at = AT5
    inc = Incident("payouts-errors-burn", title="payouts error budget burning",
                   story=payouts_errors_burn.__doc__ or "", at=at, seed=1705, namespaces=("treasury",))
    upgraded = at - timedelta(hours=3)

    def pay_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 13, lambda i, t: L.logfmt(
            t, "error", "payout failed", payout_id=f"po_{41000 + i}",
            err=f'dial tcp: lookup bank-gw.partner.example.net on 169.254.20.10:53: read udp 10.244.1.{40 + i % 9}:'
                f'{40000 + i % 9000}->169.254.20.10:53: i/o timeout') if i % 2 == 0 else L.logfmt(
            t, "info", "payout sent", payout_id=f"po_{41000 + i}", latency_ms=140 + i % 60))
        return out

    app(inc, "treasury", "payouts", f"{REGISTRY}/treasury/payouts:2.12.0", 3, within(pay_log))
    herring(inc, "treasury", "fx-rates", f"{REGISTRY}/treasury/fx-rates", "1.9.2", at - timedelta(minutes=35))
    pods = inc.cluster.daemonset("kube-system", "node-local-dns", "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1",
                                 inc.born + timedelta(days=2), memory_mi=29)
    ds = inc.find("DaemonSet", "kube-system", "node-local-dns")
    spec = ds["spec"]["template"]["spec"]["containers"][0]
    spec["resources"] = {"requests": {"cpu": "25m", "memory": "5Mi"}, "limits": {"memory": "30Mi"}}
    spec["args"] = ["-localip", "169.254.20.10,10.96.0.10", "-conf", "/etc/Corefile", "-upstreamsvc",
                    "kube-dns-upstream", "-health-port", "8080"]
    ds["metadata"]["generation"] = 6
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "6"
    changed(ds, ("helm", "Update", upgraded, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    for i, rev in enumerate((inc.born + timedelta(days=2), upgraded)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"node-local-dns-{o.suffix(f'nld{i}', 10)}", "namespace": "kube-system",
                              "creationTimestamp": ts(rev), "labels": {"k8s-app": "node-local-dns"},
                              "ownerReferences": [o.owner_ref("DaemonSet", "node-local-dns", "kube-system")]},
                 "revision": 5 + i, "data": {"spec": {"template": {"spec": {"containers": [{
                     "name": "node-local-dns",
                     "resources": {"limits": {"memory": "128Mi" if i == 0 else "30Mi"}}}]}}}}})
    for k, h in enumerate(pods):
        st = h.states[0]
        st.restarts = 9 + 3 * k
        st.last_reason, st.last_exit_code = "OOMKilled", 137
        st.last_finished = inc.captured - timedelta(minutes=3 + k)
        st.last_started = st.last_finished - timedelta(minutes=6)
        st.started_at = st.last_finished + timedelta(seconds=10)
        h.containers = [c("node-local-dns", "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1", memory_limit="30Mi",
                          memory_request="5Mi", cpu_request="25m", port=None)]
        h.logs = {"node-local-dns": L.lines([
            (st.started_at, L.go_std(st.started_at, "[INFO] Starting node-cache image: 1.23.1")),
            (st.started_at + timedelta(seconds=1), "[INFO] Using Corefile /etc/Corefile"),
            (st.started_at + timedelta(seconds=2), "[INFO] Updated Corefile with 0 custom stubdomains and "
                                                   "upstream servers /etc/resolv.conf"),
            (st.started_at + timedelta(seconds=3), "cluster.local.:53 on 169.254.20.10"),
            (st.started_at + timedelta(seconds=3), "CoreDNS-1.11.1")])}
        metric(inc, "kube_pod_container_status_restarts_total", "counter", "restarts",
                   {"namespace": "kube-system", "pod": h.name, "container": "node-local-dns",
                    "job": "kube-state-metrics"},
                   restarts_from(upgraded + timedelta(minutes=90), k))
        metric(inc, "container_memory_working_set_bytes", "gauge", "working set",
                   {"namespace": "kube-system", "pod": h.name, "container": "node-local-dns", "job": "kubelet"},
                   sawtooth(24e6, 1.0e6, k))
    plant(inc, "treasury", "bank-gw-api-key", "token", "bank-gw", "API_KEY")
    http_series(inc, "treasury", "payouts", 12.0, 4.0, "502", upgraded + timedelta(minutes=90))
    inc.slo_burn("payouts", "treasury", "payouts-success", "0.995", 16.8,
                 "payouts fail on 33% of requests; burn rate above 14.4x on the 1h and 5m windows.")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "node-local-dns"),
                   keywords=["node-local-dns", "OOMKilled", "memory limit", "DNS"],
                   root_cause="DaemonSet kube-system/node-local-dns was upgraded 3 hours earlier with its memory limit "
                              "cut from 128Mi to 30Mi; under the daytime query rate its pods are OOMKilled every few "
                              "minutes, DNS lookups through 169.254.20.10 time out while they restart, and payouts "
                              "cannot resolve its bank gateway.",
                   category="node-local-dns-memory-limit-cut-oomkilled",
                   red_herrings=[("Deployment", "treasury", "fx-rates")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 28, 19, 12, tzinfo=UTC)


def basket_api_question() -> Incident:
    """redis-aof-fsync-always-write-latency: a chart value turned Redis persistence to appendfsync always.

    after: write-ups of a Redis made "durable" with appendonly yes and appendfsync always on a
    network volume; every write now waits for an fsync, command latency jumps at peak and the
    clients report command timeouts that look like a network or client-pool problem.

    StatefulSet basket/basket-store (Redis 7) was re-rendered 5 hours before the question with
    `--appendonly yes --appendfsync always` (was no persistence) and rolled; at the evening peak each write
    waits for the disk, basket-api's Lettuce client times out at 500 ms. The nearby change that does not
    matter: a rollout of promo-engine in the same namespace.
    """
    at = AT6
    inc = Incident("basket-api-question", title="basket-api timing out",
                   story=basket_api_question.__doc__ or "", at=at, seed=1706, namespaces=("basket",))
    rolled = at - timedelta(hours=5)
    peak = at - timedelta(minutes=25)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 45, lambda i, t: L.spring(t, "INFO", "c.e.basket.BasketController",
                                                            f"basket updated items={i % 7 + 1}",
                                                            "http-nio-8080-exec-3"))
        out += L.ticker(max(start, peak), end, 8, lambda i, t: L.spring(
            t, "ERROR", "c.e.basket.BasketService",
            "add item failed\nio.lettuce.core.RedisCommandTimeoutException: Command timed out after 500 "
            "millisecond(s)\n\tat io.lettuce.core.internal.ExceptionFactory.createTimeoutException(ExceptionFactory."
            "java:59)\n\tat io.lettuce.core.internal.Futures.awaitOrCancel(Futures.java:246)\n\tat "
            "io.lettuce.core.FutureSyncInvocationHandler.handleInvocation(FutureSyncInvocationHandler.java:75)\n\tat "
            "com.example.basket.BasketService.addItem(BasketService.java:61)", f"http-nio-8080-exec-{i % 50 + 1}"))
        return out

    app(inc, "basket", "basket-api", f"{REGISTRY}/basket/basket-api:3.3.0", 3, within(api_log))
    herring(inc, "basket", "promo-engine", f"{REGISTRY}/basket/promo-engine", "6.1.0", at - timedelta(minutes=70))

    def redis_log(pod: str, start: datetime, end: datetime) -> Lines:
        s = start + timedelta(seconds=1)
        def r(t: datetime, msg: str) -> str:
            return f"1:M {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d} {msg}"
        out = [(s, r(s, "* Redis version=7.2.5, bits=64, commit=00000000, modified=0, pid=1, just started")),
               (s, r(s, "* Configuration loaded")),
               (s + timedelta(seconds=1), r(s + timedelta(seconds=1), "* Creating AOF base file "
                                             "appendonly.aof.1.base.rdb on server start")),
               (s + timedelta(seconds=1), r(s + timedelta(seconds=1), "* Ready to accept connections tcp"))]
        out += L.ticker(max(start, peak), end, 120, lambda i, t: r(t, "* Background append only file rewriting "
                                                                   "started by pid 311" if i % 2 else
                                                                   "* 10000 changes in 60 seconds. Saving..."))
        return out

    wl = inc.statefulset("basket", "basket-store", [c("redis", "docker.io/library/redis:7.2.5", memory_limit="2Gi",
                                                       port=6379)],
                         [P(log=within(redis_log), created=rolled + timedelta(seconds=40 * i)) for i in range(1)],
                         rolled, claims=[("data", "20Gi", "efs-sc")], service=6379)
    args = ["redis-server", "--maxmemory", "1536mb", "--appendonly", "yes", "--appendfsync", "always"]
    wl.obj["spec"]["template"]["spec"]["containers"][0]["args"] = args
    for h in wl.pods:
        inc.cluster.patch("basket", h.name, lambda pod: pod["spec"]["containers"][0].update({"args": args}))
    changed(wl.obj, ("helm", "Update", rolled, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": wl.obj["status"]["updateRevision"], "namespace": "basket",
                          "creationTimestamp": ts(rolled), "labels": {"app": "basket-store"},
                          "ownerReferences": [o.owner_ref("StatefulSet", "basket-store", "basket")]},
             "revision": 4,
             "data": {"spec": {"template": {"spec": {"containers": [{"name": "redis", "args": args}]}}}}})
    plant(inc, "basket", "basket-store-auth", "password", "redis", "REDIS_PASSWORD")
    base = {"namespace": "basket", "service": "basket-store", "job": "redis-exporter"}
    metric(inc, "redis_commands_duration_seconds_total", "counter", "Total amount of time in seconds spent per command",
               {**base, "cmd": "hset"}, counter(at - timedelta(hours=2), 0.004, 0.61, peak))
    metric(inc, "redis_aof_last_write_status", "gauge", "aof_last_write_status metric", base, lambda t: 1.0)
    metric(inc, "redis_aof_enabled", "gauge", "aof_enabled metric", base, lambda t: 1.0)
    metric(inc, "node_disk_write_time_seconds_total", "counter", "write time", {"device": "nfs", "job": "node-exporter",
               "namespace": "basket", "pod": "basket-store-0"}, counter(at - timedelta(hours=2), 0.05, 0.93, peak))
    http_series(inc, "basket", "basket-api", 30.0, 6.0, "500", peak)
    inc.ask("basket-api keeps timing out since about 18:45, people can't add items to their baskets. what changed?")
    inc.answer_key(culprit=("StatefulSet", "basket", "basket-store"),
                   keywords=["appendfsync", "always", "AOF", "fsync"],
                   root_cause="StatefulSet basket/basket-store was re-rendered 5 hours earlier with --appendonly yes "
                              "--appendfsync always (AOF persistence on a network volume); every Redis write now waits "
                              "for an fsync, so at the evening peak command latency exceeds basket-api's 500 ms "
                              "Lettuce timeout.",
                   category="redis-aof-fsync-always-write-latency",
                   red_herrings=[("Deployment", "basket", "promo-engine")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 29, 8, 47, tzinfo=UTC)


def renewals_failing_page() -> Incident:
    """database-url-secret-points-at-read-replica: a credentials Secret edited to the replica's host.

    after: incidents where a connection string was "fixed" during a failover drill or a host rename
    and pointed the application at a hot standby; reads keep working, every write fails with
    `cannot execute ... in a read-only transaction`, and the first suspect is the restart or deploy
    that picked the new value up.

    Secret subscriptions/subscription-db (DATABASE_URL) was edited 40 minutes before the page to host
    subscription-pg-ro (the streaming replica) and the Deployment was restarted to pick it up; renewals
    (INSERTs) fail with psycopg2 ReadOnlySqlTransaction. The nearby change that does not matter: a
    rollout of billing-notifier in the same namespace. The restart of subscription-api is the
    messenger, not the cause.
    """
    at = AT7
    inc = Incident("renewals-failing-page", title="subscription renewals failing",
                   story=renewals_failing_page.__doc__ or "", at=at, seed=1707, namespaces=("subscriptions",))
    edit = at - timedelta(minutes=40)
    restart = edit + timedelta(minutes=3)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 20, lambda i, t: L.pylog(t, "INFO", "django.request" if i % 2 else "gunicorn.access",
                                                          f'GET /v1/subscriptions/{5100 + i} 200'))
        out += L.ticker(start, end, 15, lambda i, t: L.pylog(
            t, "ERROR", "django.request", f"Internal Server Error: /v1/subscriptions/{7700 + i}/renew\n"
            "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.12/site-packages/django/db/backends/"
            "utils.py\", line 105, in _execute\n    return self.cursor.execute(sql, params)\n"
            "psycopg2.errors.ReadOnlySqlTransaction: cannot execute INSERT in a read-only transaction"))
        return out

    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade",
                [c("subscription-api", f"{REGISTRY}/subscriptions/subscription-api:9.0.4")]),
            Rev(2, restart, "kubectl rollout restart",
                [c("subscription-api", f"{REGISTRY}/subscriptions/subscription-api:9.0.4")])]
    inc.deployment("subscriptions", "subscription-api", revs, {2: [P(log=within(api_log)) for _ in range(3)]})
    herring(inc, "subscriptions", "billing-notifier", f"{REGISTRY}/subscriptions/billing-notifier", "1.1.8",
            at - timedelta(minutes=55))

    def pg_log(pod: str, start: datetime, end: datetime) -> Lines:
        if pod.endswith("-0"):
            return L.ticker(start, end, 300, lambda i, t: L.postgres(t, "LOG", "checkpoint starting: time", 70))
        out = [(start + timedelta(seconds=2), L.postgres(start + timedelta(seconds=2), "LOG",
                                                         "entering standby mode", 29)),
               (start + timedelta(seconds=3), L.postgres(start + timedelta(seconds=3), "LOG",
                                                         "started streaming WAL from primary at 3/A1000000 on "
                                                         "timeline 1",
                                                         31))]
        out += L.ticker(max(start, restart + timedelta(seconds=30)), end, 15, lambda i, t: L.postgres(
            t, "ERROR", "cannot execute INSERT in a read-only transaction\n"
            f"{t.strftime('%Y-%m-%d %H:%M:%S')}.000 UTC [{4400 + i}] STATEMENT:  INSERT INTO renewals "
            "(subscription_id, period_start, amount_cents) VALUES ($1, $2, $3)", 4400 + i))
        return out

    inc.statefulset("subscriptions", "subscription-pg", [c("postgres", "docker.io/library/postgres:16.4",
                                                           memory_limit="4Gi", port=5432)],
                    [P(log=within(pg_log)), P(log=within(pg_log))], inc.born, service=5432)
    inc.service("subscriptions", "subscription-pg-ro", {"app": "subscription-pg",
                                                        "statefulset.kubernetes.io/pod-name": "subscription-pg-1"},
                port=5432, target=5432)
    pw = inc.canary("password", "subscription-db")
    inc.secret("subscriptions", "subscription-db", {
        "DATABASE_URL": f"postgresql://subs:{pw}@subscription-pg-ro.subscriptions.svc:5432/subs?sslmode=require"})
    sec = inc.find("Secret", "subscriptions", "subscription-db")
    changed(sec, ("kubectl-edit", "Update", edit, {"f:data": {"f:DATABASE_URL": {}}}))
    plant(inc, "subscriptions", "stripe-api", "stripe", "stripe", "STRIPE_SECRET_KEY")
    http_series(inc, "subscriptions", "subscription-api", 18.0, 3.5, "500", restart)
    metric(inc, "pg_stat_database_xact_rollback", "counter", "Number of transactions in this database that have been "
               "rolled back", {"namespace": "subscriptions", "datname": "subs", "pod": "subscription-pg-1",
                               "job": "postgres-exporter"}, counter(at - timedelta(hours=2), 0.0, 3.4, restart))
    metric(inc, "pg_replication_is_replica", "gauge", "Indicates if the server is a replica",
               {"namespace": "subscriptions", "pod": "subscription-pg-1", "job": "postgres-exporter"}, lambda t: 1.0)
    inc.pagerduty("Subscription renewals failing: POST /v1/subscriptions/*/renew returns 500 (subscriptions)",
                  "Subscriptions")
    inc.answer_key(culprit=("Secret", "subscriptions", "subscription-db"),
                   keywords=["DATABASE_URL", "read-only", "replica", "INSERT"],
                   root_cause="Secret subscriptions/subscription-db was edited 40 minutes before the page: its "
                              "DATABASE_URL now points at subscription-pg-ro, the streaming replica; after the restart "
                              "that loaded it, every INSERT fails with cannot execute INSERT in a read-only "
                              "transaction, so renewals return 500.",
                   category="database-url-secret-points-at-read-replica",
                   red_herrings=[("Deployment", "subscriptions", "billing-notifier")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 30, 13, 20, tzinfo=UTC)


def landing_404_rate_high() -> Incident:
    """ingress-canary-weight-routes-share-to-preview-backend: a canary Ingress's weight raised from 0 to 30.

    after: incidents with ingress-nginx's canary annotations where a dormant canary Ingress, left
    pointing at an old preview build, had its canary-weight raised for a test; a share of real traffic
    went to a backend that lacks the new pages, and the error rate looked like a broken release of
    the main service.

    Ingress marketing/landing-preview (nginx.ingress.kubernetes.io/canary: "true", canary-weight "0" -> "30")
    was edited 25 minutes before the page; 30% of requests for www.example.com go to Service landing-v2
    (a six-week-old preview without /pricing and /plans) and get 404. The landing pods are healthy. The
    nearby change that does not matter: the landing-copy ConfigMap edited an hour before.
    """
    at = AT8
    inc = Incident("landing-404-rate-high", title="landing page 404 rate high",
                   story=landing_404_rate_high.__doc__ or "", at=at, seed=1708, namespaces=("marketing",))
    edit = at - timedelta(minutes=25)

    def landing_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 6, lambda i, t: L.js(t, "info", "request", method="GET",
                                                        url=["/", "/pricing", "/plans", "/blog"][i % 4], status=200,
                                                        responseTime=12 + i % 20))

    def preview_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 600, lambda i, t: L.js(t, "info", "listening", port=3000))
        out += L.ticker(max(start, edit), end, 9, lambda i, t: L.js(t, "warn", "not found", method="GET",
                                                                    url=["/pricing", "/plans"][i % 2], status=404))
        return out

    app(inc, "marketing", "landing", f"{REGISTRY}/marketing/landing:2026.11.28", 3, within(landing_log))
    app(inc, "marketing", "landing-v2", f"{REGISTRY}/marketing/landing:preview-2026.10.14", 1, within(preview_log))
    inc.service("marketing", "landing", {"app": "landing"}, port=80, target=3000)
    inc.service("marketing", "landing-v2", {"app": "landing-v2"}, port=80, target=3000)

    def ingress(name: str, service: str, ann: dict[str, str], created: datetime) -> dict[str, Any]:
        return inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                        "metadata": {"name": name, "namespace": "marketing", "creationTimestamp": ts(created),
                                     "generation": 4, "annotations": ann},
                        "spec": {"ingressClassName": "nginx", "rules": [{"host": "www.example.com", "http": {
                            "paths": [{"path": "/", "pathType": "Prefix", "backend": {
                                "service": {"name": service, "port": {"number": 80}}}}]}}],
                                 "tls": [{"hosts": ["www.example.com"], "secretName": "www-tls"}]},
                        "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-1f2e3d4c5b."
                                                                             "elb.eu-west-1.amazonaws.com"}]}}})

    ingress("landing", "landing", {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}, inc.born + timedelta(days=7))
    canary = ingress("landing-preview", "landing-v2", {"nginx.ingress.kubernetes.io/canary": "true",
                                                       "nginx.ingress.kubernetes.io/canary-weight": "30"},
                     inc.born + timedelta(days=30))
    changed(canary, ("kubectl-annotate", "Update", edit,
                     {"f:metadata": {"f:annotations": {"f:nginx.ingress.kubernetes.io/canary-weight": {}}}}))
    cm = inc.configmap("marketing", "landing-copy", {"hero.title": "Ship faster", "hero.cta": "Start free"},
                       at=inc.born + timedelta(days=7))
    changed(cm, ("kubectl-edit", "Update", at - timedelta(minutes=62), {"f:data": {"f:hero.title": {}}}))

    def ingress_log(h: PodHistory) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(at - timedelta(minutes=50), inc.captured, 5)):
            path = ["/pricing", "/plans", "/", "/blog"][i % 4]
            if t >= edit and i % 10 < 3 and path in ("/pricing", "/plans"):
                out.append((t, L.nginx_access(t, f"92.40.{i % 200}.{i % 90}", f"GET {path}", 404, 548,
                                              "marketing-landing-v2-80", "404", 0.004)))
            else:
                out.append((t, L.nginx_access(t, f"92.40.{i % 200}.{i % 90}", f"GET {path}", 200, 30211,
                                              "marketing-landing-80", "200", 0.019)))
        return out

    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", ingress_log)
    plant(inc, "marketing", "hubspot-token", "token", "hubspot", "HUBSPOT_TOKEN")
    start = at - timedelta(hours=2)
    for svc, code, before, after in (("landing", "200", 20.0, 16.0), ("landing-v2", "404", 0.0, 3.0),
                                     ("landing-v2", "200", 0.0, 1.0)):
        metric(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {"namespace": "marketing", "ingress": "landing-preview" if svc == "landing-v2" else "landing",
                    "service": svc, "status": code, "host": "www.example.com", "job": "ingress-nginx"},
                   counter(start, before, after, edit))
    inc.alertmanager("NginxIngressHigh4xxRate", {"namespace": "marketing", "host": "www.example.com"},
                     "More than 5% of requests for www.example.com return 4xx",
                     "9.8% of requests for www.example.com returned 404 over the last 10 minutes.",
                     'sum(rate(nginx_ingress_controller_requests{host="www.example.com",status=~"4.."}[10m])) / '
                     'sum(rate(nginx_ingress_controller_requests{host="www.example.com"}[10m])) > 0.05')
    inc.answer_key(culprit=("Ingress", "marketing", "landing-preview"),
                   keywords=["canary", "canary-weight", "landing-v2", "preview"],
                   root_cause="The canary Ingress marketing/landing-preview had its canary-weight annotation raised "
                              "from 0 to 30 25 minutes before the page; ingress-nginx sends 30% of www.example.com "
                              "to Service landing-v2, an old preview build without /pricing and /plans, which "
                              "answers 404.",
                   category="ingress-canary-weight-routes-share-to-preview-backend",
                   red_herrings=[("ConfigMap", "marketing", "landing-copy")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 1, 15, 2, tzinfo=UTC)


def node_probes_flapping_question() -> Incident:
    """unbounded-adhoc-pod-saturates-node-cpu: a hand-run pod with no requests or limits pegs one node's CPU.

    after: on-call stories of a one-off `kubectl run` (a reindex, a load test, a migration script)
    started without resources: it is BestEffort, the scheduler places it anywhere, it takes every
    core of its node, and the pods that share the node miss their probe deadlines and get restarted,
    so the node itself looks broken.

    Pod analytics/adhoc-reindex (created by kubectl run 70 minutes before the question, no requests or limits,
    32 worker processes) runs on one node and holds it at 100% CPU; the other pods on that node fail their
    readiness and liveness probes with timeouts. The nearby change that does not matter: a rollout of
    event-collector in the same namespace.
    """
    at = AT9
    inc = Incident("node-probes-flapping-question", title="pods on one node failing probes",
                   story=node_probes_flapping_question.__doc__ or "", at=at, seed=1709, namespaces=("analytics",))
    target = node(inc, 1)
    started = at - timedelta(minutes=70)
    herring(inc, "analytics", "event-collector", f"{REGISTRY}/analytics/event-collector", "0.18.0",
            at - timedelta(minutes=30))
    logs = L.lines([(started + timedelta(seconds=5), "2026-12-01 13:52:05,101 INFO reindex: starting 32 workers "
                                                     "over 1,840 partitions"),
                    *L.ticker(started + timedelta(minutes=1), inc.captured, 60, lambda i, t: L.pylog(
                        t, "INFO", "reindex", f"partition {i * 23}/{1840} done, {i * 23 * 1.1:.0f}k docs"))])
    name = "adhoc-reindex"
    inc.cluster.add_pod(PodHistory(
        name=name, namespace="analytics", workload=name,
        containers=[c(name, f"{REGISTRY}/analytics/indexer-tools:0.9.1", port=None)], node=target, created=started,
        states=[o.ContainerState(started_at=started + timedelta(seconds=4))], labels={"run": name},
        logs={name: logs}))

    def best_effort(pod: dict[str, Any]) -> None:
        pod["spec"]["containers"][0]["resources"] = {}
        pod["spec"]["containers"][0].pop("readinessProbe", None)
        pod["spec"]["containers"][0].pop("livenessProbe", None)
        pod["spec"]["containers"][0]["args"] = ["python", "-m", "indexer.reindex", "--workers", "32"]
        pod["spec"]["restartPolicy"] = "Never"
        pod["status"]["qosClass"] = "BestEffort"
        changed(pod, ("kubectl-run", "Update", started, {"f:spec": {"f:containers": {}}}))

    inc.cluster.patch("analytics", name, best_effort)
    victims = [h for h in inc.cluster.pods if h.node == target and h.owner and h.owner["kind"] == "ReplicaSet"]
    for k, h in enumerate(victims[:4]):
        obj = inc.cluster.pod_object(h)
        ip = inc.cluster.pod_ip(h)
        cname = h.containers[0].name
        inc.event(obj, "Unhealthy", f'Readiness probe failed: Get "http://{ip}:8080/healthz/ready": context deadline '
                  "exceeded (Client.Timeout exceeded while awaiting headers)", started + timedelta(minutes=8 + k),
                  inc.captured - timedelta(minutes=2), count=40 + 7 * k, host=target)
        inc.event(obj, "Unhealthy", f'Liveness probe failed: Get "http://{ip}:8080/healthz/live": context deadline '
                  "exceeded (Client.Timeout exceeded while awaiting headers)", started + timedelta(minutes=12 + k),
                  inc.captured - timedelta(minutes=5), count=9 + k, host=target)
        inc.event(obj, "Killing", f"Container {cname} failed liveness probe, will be restarted",
                  started + timedelta(minutes=14 + k), inc.captured - timedelta(minutes=5), count=3, host=target)
        st = h.states[0]
        st.restarts += 3
        st.last_reason, st.last_exit_code = "Error", 143
        st.last_finished = inc.captured - timedelta(minutes=5)
        st.last_started = started - timedelta(days=1)
        st.started_at = st.last_finished + timedelta(seconds=2)
    for n in inc.node_names():
        busy = n == target
        for mode, share in (("user", 0.86), ("system", 0.1), ("idle", 0.04)):
            metric(inc, "node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.",
                       {"instance": n, "cpu": "0", "mode": mode, "job": "node-exporter"},
                       counter(at - timedelta(hours=2), {"user": 0.2, "system": 0.05, "idle": 0.75}[mode],
                               share if busy else {"user": 0.2, "system": 0.05, "idle": 0.75}[mode], started))
        metric(inc, "node_load1", "gauge", "1m load average.", {"instance": n, "job": "node-exporter"},
                   step(1.2, 38.5 if busy else 1.4, started))
    metric(inc, "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
               {"namespace": "analytics", "pod": name, "container": name, "node": target, "job": "kubelet"},
               counter(at - timedelta(hours=2), 0.0, 3.9, started))
    plant(inc, "analytics", "warehouse-creds", "aws-secret", "warehouse", "AWS_SECRET_ACCESS_KEY")
    inc.ask(f"what is wrong with {target}? everything scheduled on it keeps failing readiness and getting restarted")
    inc.answer_key(culprit=("Pod", "analytics", name),
                   keywords=["BestEffort", "kubectl run", "CPU", "limits"],
                   root_cause=f"Pod analytics/{name}, started by kubectl run 70 minutes earlier with no requests or "
                              f"limits (BestEffort, 32 workers), holds node {target} at 100% CPU; the other pods on "
                              "that node miss their probe deadlines and are restarted.",
                   category="unbounded-adhoc-pod-saturates-node-cpu",
                   red_herrings=[("Deployment", "analytics", "event-collector")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 2, 7, 58, tzinfo=UTC)


def dispatch_backlog_growing() -> Incident:
    """rolebinding-subject-renamed-breaks-leader-election: a RoleBinding's subject moved to a renamed ServiceAccount.

    after: incidents where an RBAC clean-up (a ServiceAccount rename done in Git, applied by the GitOps
    controller) left a controller's RoleBinding naming an account its pods do not use; the pods stay
    Running and Ready, the leader cannot renew its Lease, no replica holds it, and the only page is a
    work queue that stops draining.

    RoleBinding jobs/dispatch-leader-election was synced by Argo CD 55 minutes before the page with subject
    ServiceAccount `dispatcher` (the pods run as `dispatch`); the leader failed to renew its Lease and both
    replicas now log `leases.coordination.k8s.io "dispatch-controller" is forbidden` and never lead, so no
    jobs are dispatched. The nearby change that does not matter: the dispatch-config ConfigMap edited the
    same morning.
    """
    at = AT10
    inc = Incident("dispatch-backlog-growing", title="dispatch queue backlog growing",
                   story=dispatch_backlog_growing.__doc__ or "", at=at, seed=1710, namespaces=("jobs",))
    synced = at - timedelta(minutes=55)
    lost = synced + timedelta(seconds=15)
    user = "system:serviceaccount:jobs:dispatch"
    leaders: dict[str, str] = {}

    def ctl_log(pod: str, start: datetime, end: datetime) -> Lines:
        leader = leaders.setdefault("pod", pod)  # the first replica built held the Lease
        if pod != leader:
            out = [(start, L.klog(start, "I", "leaderelection.go:250",
                                  "attempting to acquire leader lease jobs/dispatch-controller..."))]
        else:
            out = L.ticker(start, min(end, lost), 30, lambda i, t: L.klog(
                t, "I", "dispatcher.go:211", f"dispatched {3 + i % 5} jobs from queue default"))
        if start < lost <= end and pod == leader:
            out.append((lost, L.klog(lost, "E", "leaderelection.go:369", "Failed to update lock: leases.coordination."
                                     f'k8s.io "dispatch-controller" is forbidden: User "{user}" cannot update resource '
                                     '"leases" in API group "coordination.k8s.io" in the namespace "jobs"')))
            out.append((lost + timedelta(seconds=10), L.klog(lost + timedelta(seconds=10), "E", "leaderelection.go:"
                                                             "285", "failed to renew lease jobs/dispatch-controller: "
                                                             "timed out waiting for the condition")))
            out.append((lost + timedelta(seconds=10), L.klog(lost + timedelta(seconds=10), "I", "main.go:96",
                                                             "leader election lost")))
        out += L.ticker(max(start, lost + timedelta(seconds=40)), end, 17, lambda i, t: L.klog(
            t, "E", "leaderelection.go:332", "error retrieving resource lock jobs/dispatch-controller: leases."
            f'coordination.k8s.io "dispatch-controller" is forbidden: User "{user}" cannot get resource "leases" in '
            'API group "coordination.k8s.io" in the namespace "jobs"'))
        return out

    revs = [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                [c("dispatch-controller", f"{REGISTRY}/jobs/dispatch-controller:1.6.3", port=8080)],
                pod_spec={"serviceAccountName": "dispatch"})]
    inc.deployment("jobs", "dispatch-controller", revs, {1: [P(log=within(ctl_log)) for _ in range(2)]})
    for sa in ("dispatch", "dispatcher"):
        inc.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": "jobs"}})
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": {"name": "dispatch-leader-election", "namespace": "jobs"},
             "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                        "verbs": ["get", "list", "watch", "create", "update", "patch"]},
                       {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]}]})
    rb = inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                  "metadata": {"name": "dispatch-leader-election", "namespace": "jobs",
                               "labels": {"app.kubernetes.io/instance": "dispatch"},
                               "annotations": {"argocd.argoproj.io/tracking-id":
                                               "dispatch:rbac.authorization.k8s.io/RoleBinding:jobs/"
                                               "dispatch-leader-election"}},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                              "name": "dispatch-leader-election"},
                  "subjects": [{"kind": "ServiceAccount", "name": "dispatcher", "namespace": "jobs"}]})
    changed(rb, ("argocd-controller", "Apply", synced, {"f:subjects": {}}))
    inc.add({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "dispatch-controller", "namespace": "jobs"},
             "spec": {"holderIdentity": inc.pods_of("jobs", "dispatch-controller")[0].name + "_3f1c",
                      "leaseDurationSeconds": 15, "renewTime": ts(lost - timedelta(seconds=2)),
                      "acquireTime": ts(inc.born + timedelta(days=36)), "leaseTransitions": 4}})
    cm = inc.configmap("jobs", "dispatch-config", {"queues": "default,priority", "batch": "25"},
                       at=inc.born + timedelta(days=20))
    changed(cm, ("kubectl-edit", "Update", at - timedelta(minutes=80), {"f:data": {"f:batch": {}}}))
    plant(inc, "jobs", "dispatch-queue-creds", "password", "amqp", "AMQP_PASSWORD")
    metric(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
               {"namespace": "jobs", "queue": "default", "job": "rabbitmq"},
               lambda t: 40.0 if t < lost else 40.0 + (t - lost).total_seconds() * 2.1)
    metric(inc, "leader_election_master_status", "gauge", "Gauge of if the reporting system is master of the "
               "relevant lease, 0 indicates backup, 1 indicates master.",
               {"namespace": "jobs", "name": "dispatch-controller", "job": "dispatch-controller"},
               step(1, 0, lost))
    inc.alertmanager("DispatchQueueBacklogHigh", {"namespace": "jobs", "queue": "default",
                                                  "deployment": "dispatch-controller"},
                     "Queue jobs/default has more than 1000 ready messages",
                     "Messages are not being consumed from queue default; 7,000 ready and growing.",
                     'rabbitmq_queue_messages_ready{namespace="jobs",queue="default"} > 1000',
                     runbook="https://wiki.example.com/runbooks/dispatch-backlog")
    inc.answer_key(culprit=("RoleBinding", "jobs", "dispatch-leader-election"),
                   keywords=["RoleBinding", "leases", "leader election", "forbidden"],
                   root_cause="RoleBinding jobs/dispatch-leader-election was synced 55 minutes before the page with "
                              "subject ServiceAccount dispatcher, but the pods run as dispatch; the controller is "
                              "forbidden to get or update its leases, leader election is lost and no replica leads, "
                              "so nothing consumes the queue.",
                   category="rolebinding-subject-renamed-breaks-leader-election",
                   red_herrings=[("ConfigMap", "jobs", "dispatch-config")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 3, 12, 14, tzinfo=UTC)


def wallet_api_question() -> Incident:
    """mesh-fault-injection-left-enabled: a chaos test's VirtualService abort rule left applied.

    after: write-ups of a resilience game day whose Istio fault injection (abort 20% with 503) was
    applied to production by mistake or never removed; the service's own pods are healthy and log
    nothing, the callers see 503s, and the sidecar access logs carry the FI flag.

    VirtualService wallet/wallet-api-resilience, applied 90 minutes before the question for a game day,
    aborts 20% of requests to wallet-api with HTTP 503 (fault.abort). wallet-api's pods are healthy; the
    gateway's Envoy logs `503 FI fault_filter_abort`. The nearby change that does not matter: a rollout of
    wallet-ledger-sync in the same namespace.
    """
    at = AT11
    inc = Incident("wallet-api-question", title="wallet-api 503s on transfers",
                   story=wallet_api_question.__doc__ or "", at=at, seed=1711, namespaces=("wallet",))
    applied = at - timedelta(minutes=90)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 5, lambda i, t: L.logfmt(t, "info", "transfer committed",
                                                            transfer_id=f"tr_{90000 + i}", duration_ms=33 + i % 40))

    def proxy_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 2)):
            if t >= applied and i % 5 == 0:
                out.append((t, L.envoy(t, "POST", "/v1/transfers", 503, "FI", "-", 0, "wallet-api.wallet.svc",
                                       L.uuidish("wallet", i), "fault_filter_abort")))
            else:
                out.append((t, L.envoy(t, "POST", "/v1/transfers", 201, "-", "10.244.2.77:8080", 41,
                                       "wallet-api.wallet.svc", L.uuidish("wallet", i))))
        return out

    app(inc, "wallet", "wallet-api", f"{REGISTRY}/wallet/wallet-api:4.0.1", 3, within(api_log))
    app(inc, "wallet", "wallet-gateway", "docker.io/istio/proxyv2:1.23.2", 2, within(proxy_log))
    herring(inc, "wallet", "wallet-ledger-sync", f"{REGISTRY}/wallet/wallet-ledger-sync", "3.2.0",
            at - timedelta(minutes=45))
    crd(inc, "networking.istio.io", "VirtualService", "virtualservices")
    inc.add({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
             "metadata": {"name": "wallet-api", "namespace": "wallet", "generation": 3},
             "spec": {"hosts": ["wallet-api.wallet.svc.cluster.local"],
                      "http": [{"route": [{"destination": {"host": "wallet-api.wallet.svc.cluster.local"}}],
                                "timeout": "5s"}]}})
    vs = inc.add({"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                  "metadata": {"name": "wallet-api-resilience", "namespace": "wallet", "generation": 1,
                               "creationTimestamp": ts(applied),
                               "labels": {"gameday": "2026-12-03"}},
                  "spec": {"hosts": ["wallet-api.wallet.svc.cluster.local"],
                           "http": [{"fault": {"abort": {"percentage": {"value": 20.0}, "httpStatus": 503}},
                                     "route": [{"destination": {"host": "wallet-api.wallet.svc.cluster.local"}}]}]}})
    changed(vs, ("kubectl-client-side-apply", "Update", applied, {"f:spec": {"f:http": {}}}))
    plant(inc, "wallet", "wallet-hsm-pin", "token", "hsm", "HSM_PIN")
    base = {"namespace": "wallet", "destination_workload": "wallet-api", "reporter": "source", "job": "istio-mesh"}
    start = at - timedelta(hours=2)
    metric(inc, "istio_requests_total", "counter", "Total requests.", {**base, "response_code": "201",
               "response_flags": "-"}, counter(start, 10.0, 8.0, applied))
    metric(inc, "istio_requests_total", "counter", "Total requests.", {**base, "response_code": "503",
               "response_flags": "FI"}, counter(start, 0.0, 2.0, applied))
    inc.ask("wallet-api returns 503 on about a fifth of transfers but its pods look perfectly healthy - why?")
    inc.answer_key(culprit=("VirtualService", "wallet", "wallet-api-resilience"),
                   keywords=["fault injection", "abort", "VirtualService", "game day"],
                   root_cause="VirtualService wallet/wallet-api-resilience, applied 90 minutes earlier for a game day, "
                              "has an Istio fault injection rule (fault.abort, 20%, httpStatus 503) on wallet-api; "
                              "the sidecars abort a fifth of the requests (flag FI, fault_filter_abort) before they "
                              "reach the healthy pods.",
                   category="mesh-fault-injection-left-enabled",
                   red_herrings=[("Deployment", "wallet", "wallet-ledger-sync")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 10, 36, tzinfo=UTC)


def mobile_product_pages_page() -> Incident:
    """tomcat-max-threads-cut-requests-queue: a rollout set SERVER_TOMCAT_THREADS_MAX from 200 to 20.

    after: incidents where a memory "tuning" change cut an embedded server's worker threads; the
    service logs no errors (requests simply wait in the accept queue), its CPU is low, and the loud
    errors are its callers' socket timeouts in another team's namespace.

    Deployment inventory/inventory-api revision 2 (45 minutes before the page) adds env
    SERVER_TOMCAT_THREADS_MAX=20 (Spring Boot's default is 200); all 20 threads are busy at the late-morning
    peak, requests queue, p99 goes from 90 ms to 9 s, and mobile-bff's calls time out (ESOCKETTIMEDOUT).
    The nearby change that does not matter: a rollout of image-proxy next to the victim.
    """
    at = AT12
    inc = Incident("mobile-product-pages-page", title="mobile product pages timing out",
                   story=mobile_product_pages_page.__doc__ or "", at=at, seed=1712, namespaces=("inventory", "mobile"))
    rolled = at - timedelta(minutes=45)

    def inv_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(start + timedelta(seconds=9), L.spring(start + timedelta(seconds=9), "INFO",
                                                       "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                                       "Tomcat started on port 8080 (http) with context path '/'")),
               (start + timedelta(seconds=9), L.spring(start + timedelta(seconds=9), "INFO",
                                                       "c.e.inventory.InventoryApplication",
                                                       "Started InventoryApplication in 8.113 seconds"))]
        out += L.ticker(start + timedelta(seconds=30), end, 60, lambda i, t: L.spring(
            t, "INFO", "c.e.inventory.StockCache", f"refreshed {12000 + i} SKUs", "scheduling-1"))
        return out

    env = [{"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75"},
           {"name": "SERVER_TOMCAT_THREADS_MAX", "value": "20"}]
    revs = [Rev(1, inc.born + timedelta(days=18), "helm upgrade",
                [c("inventory-api", f"{REGISTRY}/inventory/inventory-api:8.4.0", memory_limit="1Gi",
                   env=env[:1])]),
            Rev(2, rolled, "helm upgrade", [c("inventory-api", f"{REGISTRY}/inventory/inventory-api:8.4.0",
                                              memory_limit="1Gi", env=env)])]
    inc.deployment("inventory", "inventory-api", revs, {2: [P(log=within(inv_log)) for _ in range(3)]})
    peak = rolled + timedelta(minutes=20)

    def bff_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(start, end, 10, lambda i, t: L.js(t, "info", "request completed", req={"method": "GET",
                       "url": f"/api/home?u={i}"}, res={"statusCode": 200}, responseTime=44 + i % 30))
        out += L.ticker(max(start, peak), end, 4, lambda i, t: L.js(
            t, "error", "upstream request failed", err={"type": "Error", "message": "ESOCKETTIMEDOUT", "stack":
                "Error: ESOCKETTIMEDOUT\n    at ClientRequest.<anonymous> (/app/node_modules/request/request.js:816:19)"
                "\n    at Object.onceWrapper (node:events:634:28)\n    at Socket.emit (node:events:519:28)"},
            upstream=f"http://inventory-api.inventory.svc:8080/v2/stock/{30000 + i}", timeout=5000))
        return out

    app(inc, "mobile", "mobile-bff", f"{REGISTRY}/mobile/mobile-bff:12.3.0", 3, within(bff_log))
    herring(inc, "mobile", "image-proxy", f"{REGISTRY}/mobile/image-proxy", "0.7.3", at - timedelta(minutes=15))
    plant(inc, "mobile", "mobile-push-key", "token", "apns", "APNS_KEY")
    for h in inc.pods_of("inventory", "inventory-api"):
        lbl = {"namespace": "inventory", "pod": h.name, "name": "tomcat", "job": "inventory-api"}
        metric(inc, "tomcat_threads_config_max_threads", "gauge", "", lbl, lambda t: 20.0)
        metric(inc, "tomcat_threads_busy_threads", "gauge", "", lbl,
                   lambda t: 20.0 if t >= peak else 9.0)
        metric(inc, "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "inventory", "pod": h.name, "container": "inventory-api", "job": "kubelet"},
                   counter(at - timedelta(hours=2), 0.22, 0.25, peak))
    metric(inc, "http_server_requests_seconds_max", "gauge", "Duration of HTTP server request handling",
           {"namespace": "inventory", "service": "inventory-api", "uri": "/v2/stock/{sku}", "method": "GET"},
           step(0.21, 9.4, peak))
    http_series(inc, "mobile", "mobile-bff", 50.0, 12.0, "504", peak)
    inc.pagerduty("Mobile app: product pages timing out for 24% of users (mobile)", "Mobile Experience")
    inc.answer_key(culprit=("Deployment", "inventory", "inventory-api"),
                   keywords=["SERVER_TOMCAT_THREADS_MAX", "threads", "queue", "Tomcat"],
                   root_cause="Deployment inventory/inventory-api revision 2 (45 minutes before the page) set env "
                              "SERVER_TOMCAT_THREADS_MAX=20 (was the default 200); at the peak all 20 Tomcat threads "
                              "are busy, requests queue, inventory-api's latency goes to seconds and mobile-bff's "
                              "calls to it time out.",
                   category="tomcat-max-threads-cut-requests-queue",
                   red_herrings=[("Deployment", "mobile", "image-proxy")])
    return inc


ALL = [storefront_504_grouped, order_api_latency_page, profile_errors_burn, search_gateway_timeouts,
       payouts_errors_burn, basket_api_question, renewals_failing_page, landing_404_rate_high,
       node_probes_flapping_question, dispatch_backlog_growing, wallet_api_question, mobile_product_pages_page]
