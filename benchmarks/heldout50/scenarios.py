"""Round 50 of the held-out incident set: overload and feedback between tiers.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). Every cause changes how
load moves between tiers: a cache that stops caching, a cache flushed at once, server connections that are never
recycled after a scale-out, a cache tier's connection ceiling, a circuit breaker judging normal latency as slow,
a proxy's overload manager, an autoscaler multiplying database pools, a rate limiter that fails closed on its own
backend, a queue that refuses publishes, zone-local routing onto one backend, a connection pool silently shrunk
and an edge that replays slow requests on every backend. Each is seen from the application that pages.
"""

from __future__ import annotations

import hashlib
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

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    plant,
    pod_log,
    revision,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
Make = Callable[[str, datetime, datetime], Lines]
Tick = Callable[[int, datetime], str | None]
Series = Callable[[datetime], float | None]

PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------

def ticks(tick: Tick, step_s: float = 15) -> Make:
    """Pod logs from `tick`; each replica starts at its own offset so replicas do not print in lockstep."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        digest = int(hashlib.sha256(pod.encode()).hexdigest()[:8], 16)
        off, shift = digest % max(1, int(step_s)), digest % 991
        return every(s + timedelta(seconds=off), e, step_s, lambda i, t: tick(i + shift, t))
    return make


def split(at: datetime, before: Tick, after: Tick, step_s: float = 15) -> Make:
    """Pod logs that tick with `before` until `at` and with `after` from then on."""
    return ticks(lambda i, t: before(i, t) if t < at else after(i, t), step_s)


def booted(first: Callable[[datetime], str], make: Make) -> Make:
    """Pod logs that open with a start-up line a second after the container starts, then follow `make`."""
    def run(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s + timedelta(seconds=1), first(s + timedelta(seconds=1))), *make(pod, s + timedelta(seconds=2), e)]
    return run


def quiet(i: int, t: datetime) -> None:
    return None


def rule(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
         severity: str = "warning") -> dict[str, Any]:
    """One Prometheus alert as Alertmanager forwards it (not yet sent)."""
    return am.alert({"alertname": name, **labels, "severity": severity, **PROM},
                    {"summary": summary, "description": description,
                     "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}, inc.at, expr)


def resource(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
             manager: str, op: str, chg: datetime, fields: dict[str, Any], scope: str = "Namespaced",
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A custom resource (with its CRD) created by Argo CD weeks ago and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 4, **(extra or {})}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, op, chg, fields))


def edited_cm(inc: Incident, ns: str, name: str, data: dict[str, str], manager: str, op: str, chg: datetime,
              ) -> dict[str, Any]:
    """A ConfigMap created by Helm weeks ago whose data `manager` rewrote at `chg`."""
    obj = inc.configmap(ns, name, data)
    keys: dict[str, Any] = {f"f:{k}": {} for k in data}
    return changed(obj, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": dict(keys)}),
                   (manager, op, chg, {"f:data": dict(keys)}))


def reloaded(inc: Incident, ns: str, name: str, image: str, env_key: str, at: datetime, make: Make,
             replicas: int = 2, env: list[dict[str, Any]] | None = None, nodes: list[str] | None = None) -> Any:
    """A Deployment that Stakater Reloader rolled at `at` (its template gains the watched object's hash)."""
    base = list(env or [])
    old = c(name, image, env=base)
    new = c(name, image, env=[*base, {"name": env_key,
                                      "value": hashlib.sha1(f"{ns}/{name}/{at}".encode()).hexdigest()}])
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [old]), Rev(2, at, "reloader", [new])]
    plans = [P(log=within(make), node=nodes[i] if nodes else None, created=at + timedelta(seconds=15 + 11 * i))
             for i in range(replicas)]
    return inc.deployment(ns, name, revs, {2: plans})


def steady_app(inc: Incident, ns: str, name: str, make: Make, replicas: int = 3,
               env: list[dict[str, Any]] | None = None, nodes: list[str] | None = None) -> Any:
    """A Deployment unchanged for weeks whose pods all run; its trouble shows in its logs and metrics."""
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:3.{len(name) % 9}.2", env=env or [])])
    plans = [P(log=within(make), node=nodes[i] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def tally(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    series(inc, family, "counter", help_, labels, fn, 30)


def gauge(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Series) -> None:
    series(inc, family, "gauge", help_, labels, fn, 30)


def rate(inc: Incident, before: float, after: float, at: datetime) -> Series:
    """A counter from two hours before the page, growing `before`/s until `at` and `after`/s from then on."""
    return counter(inc.at - timedelta(hours=2), before, after, at)


def zapj(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production JSON line (epoch seconds)."""
    return json.dumps({"level": level, "ts": round(t.timestamp(), 6), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def rid(seed: str, i: int) -> str:
    return L.uuidish(seed, i)


def phpfpm(t: datetime, level: str, msg: str) -> str:
    return f"[{t.strftime('%d-%b-%Y %H:%M:%S')}] {level}: {msg}"


def redis_log(t: datetime, msg: str, pid: int = 1, role: str = "M") -> str:
    return f"{pid}:{role} {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d} * {msg}"


def tracing(t: datetime, level: str, span: str, target: str, msg: str) -> str:
    """Rust tracing-subscriber's default fmt line."""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')} {level:>5} {span}: {target}: {msg}"


def mel(level: str, category: str, msg: str) -> str:
    """Microsoft.Extensions.Logging's console formatter (the message on its own indented line)."""
    return f"{level}: {category}[0]\n      {msg}"


def envoy_app(t: datetime, level: str, source: str, msg: str) -> str:
    return f"[{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d}][1][{level}][main] [{source}] {msg}"


# ---- 1: a VCL change stops stripping cookies: the catalog origin takes every request ------------
AT1 = datetime(2026, 12, 5, 11, 20, tzinfo=UTC)

NEW_VCL = """vcl 4.1;
import std;

backend catalog {
    .host = "catalog-api.catalog.svc.cluster.local";
    .port = "80";
    .first_byte_timeout = 10s;
}

sub vcl_recv {
    if (req.url ~ "^/healthz") { return (synth(200, "OK")); }
    # CAT-2291 member prices: the origin needs the session cookie, let the built-in logic decide
}

sub vcl_backend_response {
    if (bereq.url ~ "^/api/catalog/") {
        set beresp.ttl = 300s;
        set beresp.grace = 1h;
    }
}
"""


def catalog_origin_saturated_page() -> Incident:
    """A Varnish VCL edit stops removing cookies: every catalog request is passed to the PHP origin.

    after: CDN and Varnish postmortems where a VCL or cache-key change lets Cookie headers through; the built-in
    logic passes any request with a cookie, the hit rate collapses and the origin's worker pool saturates.
    """
    inc = start(catalog_origin_saturated_page, "Catalog API latency above 3s", AT1, 5001,
                ("edge", "catalog"))
    chg = AT1 - timedelta(minutes=26)
    edited_cm(inc, "edge", "varnish-vcl", {"default.vcl": NEW_VCL}, "kubectl-edit", "Update", chg)
    inc.find("ConfigMap", "edge", "varnish-vcl")["metadata"]["annotations"] = {
        "meta.helm.sh/release-name": "edge-cache", "meta.helm.sh/release-namespace": "edge"}
    paths = ["/api/catalog/products/81422", "/api/catalog/categories/shoes?page=2", "/api/catalog/products/1180",
             "/api/catalog/search?q=rain+jacket", "/api/catalog/products/66310/related"]

    def ncsa(i: int, t: datetime) -> str:
        path = paths[i % len(paths)]
        handling = ("hit" if i % 9 else "miss") if t < chg + timedelta(seconds=50) else (
            "pass" if i % 23 else "synth")
        status, took = (200, 310 + i % 90) if handling == "hit" else (200, 180000 + (i * 7919) % 2600000)
        if handling == "synth":
            path, took = "/healthz", 40
        return (f'10.0.{i % 3 + 1}.{30 + i % 40} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET '
                f'http://www.shop.example{path} HTTP/1.1" {status} {2400 + i % 900} "https://www.shop.example/" '
                f'"Mozilla/5.0 (Windows NT 10.0; Win64; x64)" {handling} {took}')

    reloaded(inc, "edge", "varnish-cache", "docker.io/library/varnish:7.6.1", "STAKATER_VARNISH_VCL_CONFIGMAP",
             chg + timedelta(seconds=35), ticks(ncsa, 2))

    def fpm(i: int, t: datetime) -> str | None:
        if t < chg + timedelta(minutes=2):
            return None
        if i % 3 == 0:
            return phpfpm(t, "WARNING", "[pool www] server reached pm.max_children setting (24), consider raising it")
        return phpfpm(t, "WARNING", "[pool www] seems busy (you may need to increase pm.start_servers, or "
                                    f"pm.min/max_spare_servers), spawning 8 children, there are 0 idle, and "
                                    f"{22 + i % 3} total children")

    steady_app(inc, "catalog", "catalog-api", ticks(fpm, 20), 4)
    herring(inc, "catalog", "catalog-search-indexer", f"{REGISTRY}/catalog/catalog-search-indexer", "1.14.0",
            "1.15.0", AT1 - timedelta(minutes=48))
    plant(inc, "catalog", "catalog-api-db", "password", "catalog-db", "DB_PASSWORD")
    vc = {"job": "varnish-exporter", "namespace": "edge", "service": "varnish-cache"}
    tally(inc, "varnish_main_cache_hit", "Cache hits", vc, rate(inc, 410, 6, chg))
    tally(inc, "varnish_main_cache_miss", "Cache misses", vc, rate(inc, 38, 1, chg))
    tally(inc, "varnish_main_s_pass", "Total pass-ed requests seen", vc, rate(inc, 0.2, 440, chg))
    tally(inc, "varnish_main_backend_req", "Backend requests made", vc, rate(inc, 39, 441, chg))
    fp = {"job": "php-fpm-exporter", "namespace": "catalog", "service": "catalog-api", "pool": "www"}
    gauge(inc, "phpfpm_active_processes", "The number of active processes.", fp, step(5, 24, chg))
    gauge(inc, "phpfpm_listen_queue", "The number of requests in the queue of pending connections.", fp,
          step(0, 118, chg + timedelta(minutes=2)))
    tally(inc, "phpfpm_max_children_reached", "The number of times, the process limit has been reached.", fp,
          rate(inc, 0, 0.05, chg + timedelta(minutes=2)))
    inc.pagerduty("Catalog API p95 latency above 3s (product pages slow)", "catalog-api")
    inc.answer_key(culprit=("ConfigMap", "edge", "varnish-vcl"),
                   keywords=["Cookie", "pass", "hit rate"],
                   root_cause="The varnish-vcl ConfigMap was edited to stop unsetting the Cookie header (and "
                              "returning hash) for /api/catalog/; Varnish's built-in vcl_recv passes every request "
                              "that carries a cookie, the hit rate collapses, every request reaches catalog-api "
                              "and its php-fpm pool sits at pm.max_children.",
                   category="vcl-stops-stripping-cookies-origin-flood",
                   red_herrings=[("Deployment", "catalog", "catalog-search-indexer")])
    return inc


# ---- 2: a maintenance CronJob flushes the whole quote cache: the database takes the herd ---------
AT2 = datetime(2026, 12, 4, 9, 6, tzinfo=UTC)


def price_quotes_timeouts_grouped() -> Incident:
    """A cache-maintenance CronJob edited to FLUSHALL: at 09:00 every quote misses at once and MySQL drowns.

    after: thundering-herd postmortems where a routine cache purge (or a flush meant for one prefix) empties a
    shared cache at peak: every reader misses together, the database behind it saturates and timeouts follow.
    """
    inc = start(price_quotes_timeouts_grouped, "Pricing alerts: latency, database threads, cache hit rate", AT2,
                5002, ("pricing",))
    chg, run = AT2 - timedelta(hours=13, minutes=48), AT2 - timedelta(minutes=6)
    old_cmd = ["sh", "-c", "redis-cli -h pricing-redis --scan --pattern 'quote:draft:*' | xargs -r -n 500 "
                           "redis-cli -h pricing-redis UNLINK"]
    new_cmd = ["sh", "-c", "redis-cli -h pricing-redis FLUSHALL ASYNC"]
    job_name = "cache-maintenance-29415240"
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "cache-maintenance", "namespace": "pricing", "generation": 3,
                                 "labels": {"app": "cache-maintenance"}},
                    "spec": {"schedule": "0 9 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                             "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                                 "restartPolicy": "Never",
                                 "containers": [{"name": "redis-cli", "image": "docker.io/library/redis:7.2.5",
                                                 "command": new_cmd}]}}}}},
                    "status": {"lastScheduleTime": ts(run), "lastSuccessfulTime": ts(run + timedelta(seconds=4)),
                               "active": []}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-edit", "Update", chg,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                 'k:{"name":"redis-cli"}': {"f:command": {}}}}}}}}}))
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": "pricing", "creationTimestamp": ts(run),
                                "labels": {"app": "cache-maintenance"},
                                "ownerReferences": [o.owner_ref("CronJob", "cache-maintenance", "pricing")]},
                   "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
                       {"name": "redis-cli", "image": "docker.io/library/redis:7.2.5", "command": new_cmd}]}}},
                   "status": {"startTime": ts(run), "completionTime": ts(run + timedelta(seconds=4)),
                              "succeeded": 1, "conditions": [{"type": "Complete", "status": "True",
                                                              "lastTransitionTime": ts(run + timedelta(seconds=4))}]}})
    inc.event(cron, "SuccessfulCreate", f"Created job {job_name}", run, warning=False, component="cronjob-controller")
    inc.event(cron, "SawCompletedJob", f"Saw completed job: {job_name}, status: Complete",
              run + timedelta(seconds=6), warning=False, component="cronjob-controller")
    inc.event(job, "Completed", "Job completed", run + timedelta(seconds=4), warning=False,
              component="job-controller")
    inc.find("CronJob", "pricing", "cache-maintenance")["metadata"]["annotations"] = {
        "meta.helm.sh/release-name": "pricing", "meta.helm.sh/release-namespace": "pricing"}
    _ = old_cmd

    def saves(i: int, t: datetime) -> str | None:
        if i % 20:
            return None
        n = "10000 changes in 60" if run <= t < run + timedelta(minutes=20) else "100 changes in 300"
        return redis_log(t, f"{n} seconds. Saving...")

    inc.statefulset("pricing", "pricing-redis", [c("redis", "docker.io/library/redis:7.2.5", port=6379)],
                    [P(log=within(ticks(saves, 15)))], inc.born + timedelta(days=8), service=6379)
    inc.statefulset("pricing", "pricing-mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306)],
                    [P()], inc.born + timedelta(days=8), service=3306)
    skus = ["SKU-44120", "SKU-10983", "SKU-77514", "SKU-20031", "SKU-61208"]

    def api(i: int, t: datetime) -> str:
        stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        if t < run + timedelta(seconds=5) or i % 4 == 3:
            return f'time="{stamp}" level=info msg="quotes served" window=15s count={5200 + i % 300} p99_ms=41'
        if i % 2:
            return (f'time="{stamp}" level=warning msg="quote lookup slow" sku={skus[i % 5]} source=mysql '
                    f"duration={2.1 + (i % 17) / 5:.3f}s")
        return (f'time="{stamp}" level=error msg="quote failed" sku={skus[i % 5]} '
                'error="price store: context deadline exceeded" timeout=2s')

    steady_app(inc, "pricing", "pricing-api", ticks(api, 15), 4)
    herring(inc, "pricing", "quote-renderer", f"{REGISTRY}/pricing/quote-renderer", "2.7.1", "2.8.0",
            AT2 - timedelta(minutes=41))
    plant(inc, "pricing", "pricing-mysql-auth", "password", "pricing-mysql", "MYSQL_PASSWORD")
    rl = {"job": "redis-exporter", "namespace": "pricing", "service": "pricing-redis"}
    gauge(inc, "redis_db_keys", "Total number of keys by DB", {**rl, "db": "db0"},
          lambda t: 1843211.0 if t < run else round(min(1843211.0, 2100 * (t - run).total_seconds() / 60), 0))
    tally(inc, "redis_keyspace_hits_total", "keyspace_hits metric", rl, rate(inc, 2100, 240, run))
    tally(inc, "redis_keyspace_misses_total", "keyspace_misses metric", rl, rate(inc, 30, 1890, run))
    ml = {"job": "mysqld-exporter", "namespace": "pricing", "service": "pricing-mysql"}
    gauge(inc, "mysql_global_status_threads_running", "Generic metric from SHOW GLOBAL STATUS.", ml,
          step(3, 151, run))
    tally(inc, "mysql_global_status_slow_queries", "Generic metric from SHOW GLOBAL STATUS.", ml,
          rate(inc, 0.01, 22, run))
    tally(inc, "pricing_quote_requests_total", "Quote requests by outcome.",
          {"namespace": "pricing", "service": "pricing-api", "outcome": "timeout"}, rate(inc, 0.02, 61, run))
    send(inc, [
        rule(inc, "PricingApiLatencyHigh", {"namespace": "pricing", "service": "pricing-api"},
             "pricing-api p99 latency above 1.5s",
             "histogram_quantile(0.99) of pricing-api request duration has been above 1.5s for 3 minutes.",
             'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="pricing",'
             'service="pricing-api"}[5m]))) > 1.5', "critical"),
        rule(inc, "MySQLHighThreadsRunning", {"namespace": "pricing", "service": "pricing-mysql"},
             "MySQL threads running above 60", "pricing-mysql has more than 60 threads running.",
             'mysql_global_status_threads_running{namespace="pricing"} > 60'),
        rule(inc, "RedisHitRateLow", {"namespace": "pricing", "service": "pricing-redis"},
             "Redis hit rate below 50%", "pricing-redis keyspace hit rate fell below 50% over 5 minutes.",
             'rate(redis_keyspace_hits_total[5m]) / (rate(redis_keyspace_hits_total[5m]) + '
             'rate(redis_keyspace_misses_total[5m])) < 0.5'),
    ], ["namespace"])
    inc.answer_key(culprit=("CronJob", "pricing", "cache-maintenance"),
                   keywords=["FLUSHALL", "09:00", "herd"],
                   root_cause="The cache-maintenance CronJob's command was edited from unlinking quote:draft:* keys "
                              "to FLUSHALL ASYNC; its 09:00 run emptied pricing-redis, every quote missed at once "
                              "and the herd of reads saturated pricing-mysql, so pricing-api timed out.",
                   category="maintenance-cronjob-flushall-cache-herd",
                   red_herrings=[("Deployment", "pricing", "quote-renderer")])
    return inc


# ---- 3: gRPC server connections never recycled: a scale-out gets no traffic ----------------------
AT3 = datetime(2026, 12, 5, 9, 10, tzinfo=UTC)


def checkout_latency_burn() -> Incident:
    """A chart release drops the gRPC server's MAX_CONNECTION_AGE: after a scale-out the new pods get no calls.

    after: gRPC load-balancing write-ups where long-lived HTTP/2 connections never re-resolve a headless Service:
    without a server-side max connection age, clients stay on the pods they first met and a scale-out only helps
    the clients that start later.
    """
    inc = start(checkout_latency_burn, "checkout-api availability burning error budget", AT3, 5003,
                ("inventory", "checkout"))
    rel, scale = AT3 - timedelta(hours=15), AT3 - timedelta(minutes=24)
    base = [{"name": "GRPC_PORT", "value": "9090"}, {"name": "GOMAXPROCS", "value": "1"}]
    aged = [*base, {"name": "GRPC_MAX_CONNECTION_AGE", "value": "300s"},
            {"name": "GRPC_MAX_CONNECTION_AGE_GRACE", "value": "30s"}]
    image = f"{REGISTRY}/inventory/inventory-grpc"
    revs = [Rev(1, inc.born + timedelta(days=11), "helm upgrade",
                [c("inventory-grpc", f"{image}:3.9.4", env=aged, port=9090, cpu_request="500m", cpu_limit="1")]),
            Rev(2, rel, "helm upgrade",
                [c("inventory-grpc", f"{image}:4.0.0", env=base, port=9090, cpu_request="500m", cpu_limit="1")])]

    def hot(i: int, t: datetime) -> str:
        if i % 3:
            return zapj(t, "warn", "server/interceptors.go:88", "slow rpc", method="/inventory.v1.Stock/Reserve",
                        duration_ms=780 + (i * 37) % 900, queue_wait_ms=610 + (i * 53) % 700)
        return zapj(t, "info", "server/stats.go:41", "rpc summary", window="15s", calls=1420 + i % 80,
                    open_streams=212)

    def listening(t: datetime) -> str:
        return zapj(t, "info", "cmd/server/main.go:64", "grpc server listening", addr=":9090",
                    keepalive={"max_connection_age": "infinity", "max_connection_idle": "infinity",
                               "time": "2h0m0s"})

    def fresh(i: int, t: datetime) -> str:
        return zapj(t, "info", "server/stats.go:41", "rpc summary", window="15s", calls=i % 3, open_streams=0)

    plans = [P(log=within(ticks(hot, 15)), created=rel + timedelta(seconds=20 + 14 * i)) for i in range(4)]
    plans += [P(log=within(booted(listening, ticks(fresh, 15))), created=scale + timedelta(seconds=8 + 3 * i))
              for i in range(4)]
    wl = inc.deployment("inventory", "inventory-grpc", revs, {2: plans}, replicas=8)
    inc.service("inventory", "inventory-grpc-headless", {"app": "inventory-grpc"}, port=9090, target=9090)
    inc.find("Service", "inventory", "inventory-grpc-headless")["spec"]["clusterIP"] = "None"
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "inventory-grpc", "namespace": "inventory"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "inventory-grpc"},
                            "minReplicas": 4, "maxReplicas": 12,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 70}}}]},
                   "status": {"currentReplicas": 8, "desiredReplicas": 8, "lastScaleTime": ts(scale),
                              "currentMetrics": [{"type": "Resource", "resource": {
                                  "name": "cpu", "current": {"averageUtilization": 96, "averageValue": "481m"}}}]}})
    inc.event(hpa, "SuccessfulRescale", "New size: 8; reason: cpu resource utilization (percentage of request) "
              "above target", scale, warning=False, component="horizontal-pod-autoscaler")
    old_ips = [inc.cluster.pod_ip(h) for h in wl.pods[:4]]

    def client(i: int, t: datetime) -> str:
        if t < scale - timedelta(minutes=6) or i % 3 == 2:
            return L.spring(t, "INFO", "c.s.checkout.api.CheckoutController", f"cart {88100 + i % 900} priced "
                            "and reserved", thread=f"http-nio-8080-exec-{i % 40 + 1}")
        return L.spring(t, "ERROR", "c.s.checkout.inventory.InventoryClient",
                        f"Reserve failed for cart {88100 + i % 900}: io.grpc.StatusRuntimeException: "
                        "DEADLINE_EXCEEDED: deadline exceeded after 0.799512345s. [closed=[], open=[[buffered_nanos="
                        f"{212000 + i % 9000}, remote_addr=inventory-grpc-headless.inventory.svc.cluster.local/"
                        f"{old_ips[i % 4]}:9090]]]", thread=f"http-nio-8080-exec-{i % 40 + 1}")

    steady_app(inc, "checkout", "checkout-api", ticks(client, 10), 3,
               env=[{"name": "INVENTORY_TARGET", "value": "dns:///inventory-grpc-headless.inventory:9090"},
                    {"name": "INVENTORY_LB_POLICY", "value": "round_robin"},
                    {"name": "INVENTORY_DEADLINE_MS", "value": "800"}])
    herring(inc, "checkout", "basket-events-relay", f"{REGISTRY}/checkout/basket-events-relay", "1.3.0", "1.4.0",
            AT3 - timedelta(minutes=33))
    plant(inc, "checkout", "checkout-psp", "stripe", "checkout psp", "STRIPE_SECRET_KEY")
    for n, h in enumerate(wl.pods):
        labels = {"job": "inventory-grpc", "namespace": "inventory", "pod": h.name,
                  "grpc_service": "inventory.v1.Stock", "grpc_method": "Reserve", "grpc_code": "OK"}
        busy = n < 4
        tally(inc, "grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of "
              "success or failure.", labels,
              counter(h.created, 95.0 if busy else 0.2, 94.0 if busy else 0.2, scale))
        tally(inc, "container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.",
              {"job": "kubelet", "namespace": "inventory", "pod": h.name, "container": "inventory-grpc"},
              counter(h.created, 2.0 if busy else 0.0, 8.6 if busy else 0.0, scale - timedelta(minutes=30)))
    tally(inc, "grpc_client_handled_total", "Total number of RPCs completed by the client.",
          {"job": "checkout-api", "namespace": "checkout", "grpc_service": "inventory.v1.Stock",
           "grpc_method": "Reserve", "grpc_code": "DeadlineExceeded"},
          rate(inc, 0.01, 31, scale - timedelta(minutes=6)))
    inc.slo_burn("checkout-api", "checkout", "checkout-availability", "99.5%", 21.4,
                 "checkout-api is answering 5xx for about 11% of POST /checkout requests over the last hour.")
    inc.answer_key(culprit=("Deployment", "inventory", "inventory-grpc"),
                   keywords=["MAX_CONNECTION_AGE", "GOAWAY", "headless"],
                   root_cause="inventory-grpc's revision 2 (chart 4.0.0) dropped GRPC_MAX_CONNECTION_AGE, so the "
                              "server never sends GOAWAY and checkout-api's round_robin channels never re-resolve the "
                              "headless Service; after the HPA scaled to 8 the four new pods got no calls while the "
                              "four old ones were CPU-throttled and checkout's 800 ms deadlines expired.",
                   category="grpc-server-connection-age-removed-scaleout-unused",
                   red_herrings=[("Deployment", "checkout", "basket-events-relay")])
    return inc


# ---- 4: memcached's connection limit falls back to 1024: the clients' pools no longer fit --------
AT4 = datetime(2026, 12, 6, 7, 50, tzinfo=UTC)


def profile_api_latency_alert() -> Incident:
    """A memcached chart upgrade loses `-c 4096`: the default 1024 connections are fewer than the clients hold.

    after: cache-tier outages where a connection ceiling (memcached -c, Redis maxclients) drops below what the
    clients' pools open at peak: new connections are refused with an error line, clients fall back to the
    database and the database becomes the bottleneck.
    """
    inc = start(profile_api_latency_alert, "profile-api latency high", AT4, 5004, ("cache", "profile"))
    rel, full = AT4 - timedelta(hours=16), AT4 - timedelta(minutes=12)
    old = {"name": "memcached", "image": "docker.io/library/memcached:1.6.21", "args": ["-m", "2048", "-c", "4096"],
           "ports": [{"containerPort": 11211, "name": "memcache"}]}
    new = {"name": "memcached", "image": "docker.io/library/memcached:1.6.32", "args": ["-m", "2048"],
           "ports": [{"containerPort": 11211, "name": "memcache"}]}
    revision(inc, "StatefulSet", "cache", "sessions-memcached", 1, inc.born + timedelta(days=7),
             {"spec": {"containers": [old]}})
    current = revision(inc, "StatefulSet", "cache", "sessions-memcached", 2, rel, {"spec": {"containers": [new]}})
    wl = inc.statefulset("cache", "sessions-memcached",
                         [c("memcached", "docker.io/library/memcached:1.6.32", port=11211, memory_limit="2560Mi")],
                         [P(created=rel + timedelta(minutes=i)) for i in range(3)], rel, service=11211)
    sts = wl.obj
    sts["spec"]["template"]["spec"]["containers"][0]["args"] = ["-m", "2048"]
    sts["status"]["currentRevision"] = sts["status"]["updateRevision"] = current
    sts["metadata"]["labels"]["helm.sh/chart"] = "memcached-7.0.2"
    changed(sts, ("helm", "Update", rel, {"f:metadata": {"f:labels": {"f:helm.sh/chart": {}}},
                                          "f:spec": {"f:template": {"f:spec": {"f:containers": {
                                              'k:{"name":"memcached"}': {"f:args": {}, "f:image": {}}}}}}}))
    for h in wl.pods:
        def fix(pod: dict[str, Any]) -> None:
            pod["spec"]["containers"][0]["args"] = ["-m", "2048"]
            pod["metadata"]["labels"]["controller-revision-hash"] = current
        inc.cluster.patch("cache", h.name, fix)
    mc_ips = [inc.cluster.pod_ip(h) for h in wl.pods]

    def api(i: int, t: datetime) -> str:
        stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        if t < full or i % 4 == 0:
            return (f"time={stamp} level=info msg=\"request\" method=GET path=/v2/profiles/{40000 + i % 9000} "
                    f"status=200 dur_ms={14 + i % 20 if t < full else 380 + (i * 31) % 1400}")
        if i % 4 == 1:
            return (f"time={stamp} level=warn msg=\"cache get failed, reading postgres\" key=profile:v3:"
                    f"{40000 + i % 9000} err=\"memcache: unexpected line in get response: \\\"ERROR Too many open "
                    f"connections\\\\r\\\\n\\\"\" server={mc_ips[i % 3]}:11211")
        if i % 4 == 2:
            return (f"time={stamp} level=warn msg=\"cache set failed\" key=profile:v3:{40000 + i % 9000} "
                    f"err=\"write tcp 10.244.2.{i % 200}:{40000 + i % 20000}->{mc_ips[i % 3]}:11211: write: "
                    "broken pipe\"")
        return (f"time={stamp} level=error msg=\"request\" method=GET path=/v2/profiles/{40000 + i % 9000} "
                "status=504 dur_ms=2000 err=\"timeout: context deadline exceeded\"")

    steady_app(inc, "profile", "profile-api", ticks(api, 6), 12,
               env=[{"name": "MEMCACHED_SERVERS", "value": "sessions-memcached.cache:11211"},
                    {"name": "MEMCACHED_MAX_IDLE_CONNS", "value": "100"}])
    herring(inc, "profile", "avatar-resizer", f"{REGISTRY}/profile/avatar-resizer", "0.8.3", "0.9.0",
            AT4 - timedelta(minutes=37))
    plant(inc, "profile", "profile-db", "password", "profile-db", "PGPASSWORD")
    for h in wl.pods:
        ml = {"job": "memcached-exporter", "namespace": "cache", "pod": h.name}
        gauge(inc, "memcached_max_connections", "Maximum number of clients allowed.", ml, step(4096, 1024, rel))
        gauge(inc, "memcached_current_connections", "Current number of open connections.", ml,
              lambda t: 1024.0 if t >= full else round(600 + 400 * max(0.0, (t - (AT4 - timedelta(hours=2)))
                                                                          .total_seconds()) / 6480, 0))
        tally(inc, "memcached_connections_listener_disabled_total",
              "Number of times that memcached has hit its connections limit and disabled its listener.", ml,
              rate(inc, 0, 0.4, full))
        tally(inc, "memcached_connections_rejected_total",
              "Total number of connections rejected due to hitting the limit.", ml, rate(inc, 0, 9.5, full))
    tally(inc, "pg_stat_database_xact_commit", "Number of transactions in this database that have been committed",
          {"job": "postgres-exporter", "namespace": "profile", "datname": "profiles"}, rate(inc, 40, 2600, full))
    inc.alertmanager("ProfileApiLatencyHigh", {"namespace": "profile", "service": "profile-api"},
                     "profile-api p95 latency above 800ms",
                     "profile-api p95 latency has been above 800ms for 10 minutes (was 30ms).",
                     'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{namespace='
                     '"profile",service="profile-api"}[5m]))) > 0.8', severity="critical")
    inc.answer_key(culprit=("StatefulSet", "cache", "sessions-memcached"),
                   keywords=["-c 4096", "Too many open connections", "1024"],
                   root_cause="The sessions-memcached StatefulSet's revision 2 (chart 7.0.2) lost the `-c 4096` "
                              "argument, so memcached runs with its default 1024 connections; at the morning peak "
                              "profile-api's 12 pools open more than that, memcached answers 'ERROR Too many open "
                              "connections', reads fall back to Postgres and latency climbs.",
                   category="memcached-connection-limit-default-after-chart-upgrade",
                   red_herrings=[("Deployment", "profile", "avatar-resizer")])
    return inc


# ---- 5: a circuit breaker judges normal latency as slow (simple) --------------------------------
AT5 = datetime(2026, 12, 5, 14, 40, tzinfo=UTC)

R4J_OLD = """resilience4j:
  circuitbreaker:
    instances:
      inventory:
        slidingWindowType: COUNT_BASED
        slidingWindowSize: 50
        failureRateThreshold: 50
        slowCallRateThreshold: 50
        slowCallDurationThreshold: 2s
        waitDurationInOpenState: 30s
        permittedNumberOfCallsInHalfOpenState: 10
"""


def checkout_service_question() -> Incident:
    """A Resilience4j slowCallDurationThreshold cut from 2s to 150ms: the breaker opens on normal inventory latency.

    after: circuit-breaker incidents where the breaker trips on the wrong signal: a slow-call threshold below
    the dependency's ordinary latency makes most calls "slow", the breaker opens and the caller rejects work that
    would have succeeded.
    """
    inc = start(checkout_service_question, "checkout-service add-to-cart failing", AT5, 5005,
                ("commerce", "stock"))
    chg = AT5 - timedelta(minutes=22)
    app_yaml = ("server:\n  port: 8080\nspring:\n  application:\n    name: checkout-service\n" +
                R4J_OLD.replace("slowCallDurationThreshold: 2s", "slowCallDurationThreshold: 150ms") +
                "inventory:\n  base-url: http://inventory-service.stock.svc.cluster.local\n")
    edited_cm(inc, "commerce", "checkout-service-config", {"application.yaml": app_yaml}, "kubectl-edit", "Update",
              chg)
    logger = "c.s.checkout.cart.CartController"

    def app(i: int, t: datetime) -> str:
        th = f"http-nio-8080-exec-{i % 30 + 1}"
        if i % 40 == 0:
            return L.spring(t, "WARN", "c.s.checkout.resilience.BreakerEvents",
                            "CircuitBreaker 'inventory' changed state from CLOSED to OPEN", th)
        if i % 40 == 20:
            return L.spring(t, "INFO", "c.s.checkout.resilience.BreakerEvents",
                            "CircuitBreaker 'inventory' changed state from OPEN to HALF_OPEN", th)
        if i % 40 == 23:
            return L.spring(t, "WARN", "c.s.checkout.resilience.BreakerEvents",
                            "CircuitBreaker 'inventory' changed state from HALF_OPEN to OPEN", th)
        if i % 3 == 0:
            return L.spring(t, "INFO", logger, f"POST /cart/items 201 cart={51200 + i % 700} took={190 + i % 70}ms",
                            th)
        return L.spring(t, "ERROR", logger, f"POST /cart/items 503 cart={51200 + i % 700}: "
                        "io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker "
                        "'inventory' is OPEN and does not permit further calls", th)

    reloaded(inc, "commerce", "checkout-service", f"{REGISTRY}/commerce/checkout-service:5.2.0",
             "STAKATER_CHECKOUT_SERVICE_CONFIG_CONFIGMAP", chg + timedelta(seconds=40), ticks(app, 5), 3)

    def inventory(i: int, t: datetime) -> str:
        return L.spring(t, "INFO", "c.s.stock.web.StockController",
                        f"GET /stock/{70000 + i % 5000} 200 {160 + (i * 13) % 140}ms", f"http-nio-8080-exec-{i % 20}")

    steady_app(inc, "stock", "inventory-service", ticks(inventory, 12), 3)
    herring(inc, "commerce", "checkout-emails", f"{REGISTRY}/commerce/checkout-emails", "2.2.0", "2.3.0",
            AT5 - timedelta(minutes=55))
    plant(inc, "commerce", "checkout-service-db", "password", "checkout db", "SPRING_DATASOURCE_PASSWORD")
    cb = {"job": "checkout-service", "namespace": "commerce", "name": "inventory"}
    gauge(inc, "resilience4j_circuitbreaker_state", "The states of the circuit breaker", {**cb, "state": "open"},
          lambda t: 0.0 if t < chg + timedelta(minutes=1) else (1.0 if t.minute % 2 == 0 or t.second < 30 else 0.0))
    gauge(inc, "resilience4j_circuitbreaker_slow_call_rate", "The slow call of the circuit breaker", cb,
          step(0.0, 74.0, chg + timedelta(seconds=40)))
    gauge(inc, "resilience4j_circuitbreaker_failure_rate", "The failure rate of the circuit breaker", cb,
          lambda t: 0.0)
    tally(inc, "resilience4j_circuitbreaker_not_permitted_calls_total", "Total number of not permitted calls", cb,
          rate(inc, 0, 27, chg + timedelta(minutes=1)))
    tally(inc, "http_server_requests_seconds_count", "Duration of HTTP server request handling",
          {"job": "inventory-service", "namespace": "stock", "uri": "/stock/{sku}", "status": "200"},
          rate(inc, 44, 14, chg + timedelta(minutes=1)))
    gauge(inc, "http_server_requests_seconds_max", "Duration of HTTP server request handling",
          {"job": "inventory-service", "namespace": "stock", "uri": "/stock/{sku}", "status": "200"},
          lambda t: 0.31 + (t.minute % 3) * 0.02)
    inc.ask("checkout-service keeps answering 503 on add-to-cart since about 14:20, but inventory-service looks "
            "healthy. What is going on?")
    inc.answer_key(culprit=("ConfigMap", "commerce", "checkout-service-config"),
                   keywords=["slowCallDurationThreshold", "150ms", "OPEN"],
                   root_cause="checkout-service-config was edited to set the inventory circuit breaker's "
                              "slowCallDurationThreshold to 150ms (was 2s); inventory-service's normal 160-300 ms "
                              "responses now count as slow, the slow-call rate passes 50% and the breaker stays "
                              "OPEN, rejecting add-to-cart with CallNotPermittedException.",
                   category="breaker-slow-call-threshold-below-normal-latency",
                   red_herrings=[("Deployment", "commerce", "checkout-emails")])
    return inc


# ---- 6: an Envoy overload manager sized below the proxy's working heap ----------------------------
AT6 = datetime(2026, 12, 5, 16, 45, tzinfo=UTC)

ENVOY = """node:
  id: edge-envoy
  cluster: edge-envoy
admin:
  address: {socket_address: {address: 0.0.0.0, port_value: 9901}}
overload_manager:
  refresh_interval: 0.25s
  resource_monitors:
  - name: envoy.resource_monitors.fixed_heap
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig
      max_heap_size_bytes: 268435456
  actions:
  - name: envoy.overload_actions.shrink_heap
    triggers:
    - name: envoy.resource_monitors.fixed_heap
      threshold: {value: 0.90}
  - name: envoy.overload_actions.stop_accepting_requests
    triggers:
    - name: envoy.resource_monitors.fixed_heap
      threshold: {value: 0.95}
static_resources:
  listeners:
  - name: https
    address: {socket_address: {address: 0.0.0.0, port_value: 8443}}
  clusters:
  - name: storefront
    type: STRICT_DNS
    load_assignment:
      cluster_name: storefront
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: storefront.storefront.svc.cluster.local, port_value: 80}}}
"""


def storefront_availability_burn() -> Incident:
    """An Envoy overload manager with a 256 MiB fixed-heap limit: the edge proxy sheds requests at normal load.

    after: load-shedding incidents where an admission control threshold is set from a guess instead of the
    process's real working set: the proxy's own overload actions start refusing traffic with 503s while the
    backends are idle.
    """
    inc = start(storefront_availability_burn, "storefront availability burning error budget", AT6, 5006,
                ("edge-proxy", "storefront"))
    chg = AT6 - timedelta(minutes=38)
    cm = inc.configmap("edge-proxy", "edge-envoy-bootstrap", {"envoy.yaml": ENVOY})
    changed(cm, ("argocd-controller", "Apply", chg, {"f:data": {"f:envoy.yaml": {}}}))
    cm["metadata"]["labels"] = {"app.kubernetes.io/instance": "edge-proxy"}
    cm["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "edge-proxy:/ConfigMap:edge-proxy/"
                                                                       "edge-envoy-bootstrap"}
    image = "docker.io/envoyproxy/envoy:v1.31.3"
    roll = chg + timedelta(seconds=20)
    sums = [{"name": "CONFIG_CHECKSUM", "value": hashlib.sha256(b"before").hexdigest()[:16]}]
    revs = [Rev(1, inc.born + timedelta(days=12), "argocd sync", [c("envoy", image, env=sums, port=8443)]),
            Rev(2, roll, "argocd sync", [c("envoy", image, port=8443, env=[
                {"name": "CONFIG_CHECKSUM", "value": hashlib.sha256(ENVOY.encode()).hexdigest()[:16]}])])]
    pressure = roll + timedelta(minutes=9)

    def access(i: int, t: datetime) -> str:
        path = ["/", "/p/8812-trail-shoe", "/cart", "/c/outdoor", "/api/session"][i % 5]
        if t >= pressure and i % 5 != 4:
            return L.envoy(t, "GET", path, 503, "OM", "-", 0, "www.shop.example", rid("edge", i), "overload")
        return L.envoy(t, "GET", path, 200, "-", f"10.244.{i % 3 + 1}.{40 + i % 9}:8080", 38 + i % 60,
                       "www.shop.example", rid("edge", i))

    def epoch(t: datetime) -> str:
        return envoy_app(t, "info", "source/server/server.cc:448", "initializing epoch 0 (base id=0, hot restart "
                         "version=11.104)")

    plans = [P(log=within(booted(epoch, ticks(access, 3))), created=roll + timedelta(seconds=10 + 12 * i))
             for i in range(3)]
    inc.deployment("edge-proxy", "edge-envoy", revs, {2: plans})

    def shop(i: int, t: datetime) -> str:
        return L.js(t, "info", "request completed", method="GET", url=["/", "/cart", "/c/outdoor"][i % 3],
                    statusCode=200, responseTime=31 + i % 40)

    steady_app(inc, "storefront", "storefront", ticks(shop, 10), 4)
    herring(inc, "storefront", "storefront-assets-sync", f"{REGISTRY}/storefront/storefront-assets-sync", "0.6.0",
            "0.7.0", AT6 - timedelta(minutes=62))
    plant(inc, "edge-proxy", "edge-tls", "token", "edge tls", "tls.key", "-----BEGIN PRIVATE KEY-----\n{}\n")
    el = {"job": "edge-envoy", "namespace": "edge-proxy"}
    gauge(inc, "envoy_overload_envoy_resource_monitors_fixed_heap_pressure", "", el,
          lambda t: 0.71 if t < pressure else 0.96 + (t.minute % 3) * 0.01)
    gauge(inc, "envoy_overload_envoy_overload_actions_stop_accepting_requests_active", "", el,
          step(0, 1, pressure))
    gauge(inc, "envoy_server_memory_heap_size", "", el, step(1.9e8, 2.62e8, pressure))
    tally(inc, "envoy_http_downstream_rq_xx", "", {**el, "envoy_http_conn_manager_prefix": "https",
                                                   "envoy_response_code_class": "5"}, rate(inc, 0.1, 212, pressure))
    tally(inc, "http_requests_total", "Requests handled by storefront.",
          {"job": "storefront", "namespace": "storefront", "service": "storefront", "code": "200"},
          rate(inc, 260, 52, pressure))
    inc.slo_burn("storefront", "storefront", "storefront-availability", "99.9%", 38.0,
                 "Edge-measured availability of storefront is 80% over the last 30 minutes.")
    inc.answer_key(culprit=("ConfigMap", "edge-proxy", "edge-envoy-bootstrap"),
                   keywords=["overload_manager", "fixed_heap", "stop_accepting_requests"],
                   root_cause="The edge-envoy-bootstrap ConfigMap gained an overload_manager with a fixed_heap "
                              "monitor of 256 MiB and stop_accepting_requests at 95%; the edge Envoy's normal heap "
                              "is about 250 MiB, so it sheds requests with 503 OM 'envoy overloaded' while "
                              "storefront itself is healthy.",
                   category="envoy-overload-manager-heap-limit-below-working-set",
                   red_herrings=[("Deployment", "storefront", "storefront-assets-sync")])
    return inc


# ---- 7: an autoscaler ceiling raised: 30 importers' pools exhaust Postgres connections -----------
AT7 = datetime(2026, 12, 4, 17, 35, tzinfo=UTC)


def invoice_creation_errors_page() -> Incident:
    """A KEDA ScaledObject's maxReplicaCount raised 6 -> 30: the importer's pools fill Postgres max_connections.

    after: connection-exhaustion postmortems where an autoscaler multiplies per-pod connection pools: a backlog
    scales a batch consumer far past what the shared database's max_connections was sized for, and another
    service sharing the database is refused.
    """
    inc = start(invoice_creation_errors_page, "billing-api invoice creation failing", AT7, 5007, ("ledger", "billing"))
    chg, burst = AT7 - timedelta(hours=3, minutes=10), AT7 - timedelta(minutes=14)
    resource(inc, "ScaledObject", "keda.sh/v1alpha1", "scaledobjects", "ledger", "ledger-importer",
             {"scaleTargetRef": {"name": "ledger-importer"}, "minReplicaCount": 2, "maxReplicaCount": 30,
              "pollingInterval": 15, "cooldownPeriod": 300,
              "triggers": [{"type": "aws-sqs-queue", "authenticationRef": {"name": "ledger-sqs"},
                            "metadata": {"queueURL": "https://sqs.eu-west-1.amazonaws.com/412388110923/"
                                                     "ledger-imports", "queueLength": "50",
                                         "awsRegion": "eu-west-1"}}]},
             "kubectl-edit", "Update", chg, {"f:spec": {"f:maxReplicaCount": {}}})
    so = inc.find("ScaledObject", "ledger", "ledger-importer")
    so["status"] = {"scaleTargetKind": "apps/v1.Deployment", "scaleTargetGVKR": {"group": "apps", "kind":
                    "Deployment", "resource": "deployments", "version": "v1"},
                    "originalReplicaCount": 2, "hpaName": "keda-hpa-ledger-importer",
                    "conditions": [{"type": "Ready", "status": "True", "reason": "ScaledObjectReady",
                                    "message": "ScaledObject is defined correctly and is ready for scaling"},
                                   {"type": "Active", "status": "True", "reason": "ScalerActive",
                                    "message": "Scaling is performed because triggers are active"}]}
    image = f"{REGISTRY}/ledger/ledger-importer:2.4.1"
    env = [{"name": "DB_POOL_SIZE", "value": "5"}, {"name": "DB_MAX_OVERFLOW", "value": "5"},
           {"name": "DATABASE_HOST", "value": "ledger-pg.ledger.svc.cluster.local"}]

    def importer(i: int, t: datetime) -> str:
        if i % 9 == 4:
            return L.pylog(t, "ERROR", "ledger_importer.worker", "batch failed, returning to queue: "
                           "(psycopg2.OperationalError) connection to server at \"ledger-pg.ledger.svc.cluster.local"
                           "\" (10.96.14.7), port 5432 failed: FATAL:  sorry, too many clients already")
        return L.pylog(t, "INFO", "ledger_importer.worker", f"imported batch {i % 5000} rows=500 "
                       f"elapsed={1.2 + (i % 7) / 10:.1f}s")

    plans = [P(log=within(ticks(importer, 8)), created=(inc.born + timedelta(days=20) if i < 2 else
                                                       burst + timedelta(seconds=15 * (i // 4))))
             for i in range(30)]
    inc.deployment("ledger", "ledger-importer", [Rev(1, inc.born + timedelta(days=9), "helm upgrade",
                                                     [c("ledger-importer", image, env=env)])], {1: plans},
                   replicas=30)
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "keda-hpa-ledger-importer", "namespace": "ledger",
                                "labels": {"scaledobject.keda.sh/name": "ledger-importer"}},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "ledger-importer"}, "minReplicas": 2, "maxReplicas": 30},
                   "status": {"currentReplicas": 30, "desiredReplicas": 30, "lastScaleTime": ts(burst)}})
    sel = ("s0-aws-sqs-queue-ledger-imports(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: "
           "ledger-importer,},MatchExpressions:[]LabelSelectorRequirement{},})")
    for n, size in enumerate((8, 16, 30)):
        inc.event(hpa, "SuccessfulRescale", f"New size: {size}; reason: external metric {sel} above target",
                  burst + timedelta(seconds=15 * n * 3), warning=False, component="horizontal-pod-autoscaler")

    def pg(i: int, t: datetime) -> str | None:
        if t < burst + timedelta(minutes=1):
            return None if i % 40 else L.postgres(t, "LOG", "checkpoint complete: wrote 1811 buffers (11.1%)",
                                                  pid=68)
        return L.postgres(t, "FATAL", "sorry, too many clients already", pid=20000 + i % 9000)

    inc.statefulset("ledger", "ledger-pg", [c("postgres", "docker.io/library/postgres:16.4", port=5432)],
                    [P(log=within(ticks(pg, 4)))], inc.born + timedelta(days=6), service=5432)

    def billing(i: int, t: datetime) -> str:
        if t < burst + timedelta(minutes=1) or i % 3 == 0:
            return mel("info", "Microsoft.AspNetCore.Hosting.Diagnostics",
                       f"Request finished HTTP/1.1 POST http://billing-api.billing/v1/invoices - 201 - "
                       f"application/json {41 + i % 30}.{i % 10}ms")
        return mel("fail", "Billing.Api.Invoices.InvoiceRepository",
                   "Npgsql.PostgresException (0x80004005): 53300: sorry, too many clients already\n"
                   "         at Npgsql.Internal.NpgsqlConnector.ReadMessageLong(Boolean async, DataRowLoadingMode "
                   "dataRowLoadingMode, Boolean readingNotifications, Boolean isReadingPrependedMessage)\n"
                   "         at Npgsql.Internal.NpgsqlConnector.Open(NpgsqlTimeout timeout, Boolean async, "
                   "CancellationToken cancellationToken)\n"
                   "         at Billing.Api.Invoices.InvoiceRepository.CreateAsync(Invoice invoice)")

    steady_app(inc, "billing", "billing-api", ticks(billing, 7), 3,
               env=[{"name": "ConnectionStrings__Ledger",
                     "value": "Host=ledger-pg.ledger.svc.cluster.local;Database=ledger;Maximum Pool Size=20"}])
    herring(inc, "billing", "billing-pdf", f"{REGISTRY}/billing/billing-pdf", "4.0.1", "4.1.0",
            AT7 - timedelta(minutes=51))
    plant(inc, "ledger", "ledger-pg-app", "password", "ledger-pg", "password")
    pl = {"job": "postgres-exporter", "namespace": "ledger", "server": "ledger-pg:5432"}
    gauge(inc, "pg_settings_max_connections", "Sets the maximum number of concurrent connections.", pl,
          lambda t: 300.0)
    gauge(inc, "pg_stat_activity_count", "number of connections in this state", {**pl, "datname": "ledger",
                                                                                   "state": "idle"},
          step(88, 241, burst + timedelta(minutes=1)))
    gauge(inc, "pg_stat_activity_count", "number of connections in this state", {**pl, "datname": "ledger",
                                                                                   "state": "active"},
          step(9, 56, burst + timedelta(minutes=1)))
    gauge(inc, "kube_deployment_status_replicas", "The number of replicas per deployment.",
          {"job": "kube-state-metrics", "namespace": "ledger", "deployment": "ledger-importer"},
          lambda t: 2.0 if t < burst else (8.0 if t < burst + timedelta(seconds=45) else 30.0))
    gauge(inc, "aws_sqs_approximate_number_of_messages_visible_average", "CloudWatch metric",
          {"job": "yace", "queue_name": "ledger-imports"}, step(12, 18400, burst - timedelta(minutes=3)))
    inc.pagerduty("billing-api: invoice creation failing (5xx above 20%)", "billing-api")
    inc.answer_key(culprit=("ScaledObject", "ledger", "ledger-importer"),
                   keywords=["maxReplicaCount", "max_connections", "too many clients"],
                   root_cause="The ledger-importer ScaledObject's maxReplicaCount was raised from 6 to 30; a "
                              "month-end SQS backlog scaled the importer to 30 pods whose SQLAlchemy pools (5+5 "
                              "each) fill ledger-pg's 300 max_connections, so billing-api's Npgsql connections get "
                              "53300 'sorry, too many clients already'.",
                   category="autoscaler-ceiling-multiplies-db-pools",
                   red_herrings=[("Deployment", "billing", "billing-pdf")])
    return inc


# ---- 8: a global rate limiter made to fail closed on a Redis with a 20 ms timeout ----------------
AT8 = datetime(2026, 12, 5, 20, 15, tzinfo=UTC)


def feed_errors_alert() -> Incident:
    """A cluster-scoped KongClusterPlugin moves rate limiting to Redis with fault_tolerant false: Kong answers 500.

    after: API-gateway incidents where a shared rate-limit store becomes a hard dependency: the limiter's backend
    is slow or saturated at peak, and a limiter configured to fail closed turns every lookup timeout into an error
    for the caller.
    """
    inc = start(feed_errors_alert, "Feed requests failing at the gateway", AT8, 5008, ("kong", "feed"))
    chg, peak = AT8 - timedelta(minutes=47), AT8 - timedelta(minutes=9)
    resource(inc, "KongClusterPlugin", "configuration.konghq.com/v1", "kongclusterplugins", "", "global-rate-limiting",
             {}, "kubectl-client-side-apply", "Update", chg,
             {"f:config": {"f:policy": {}, "f:fault_tolerant": {}, "f:redis": {}}},
             scope="Cluster", extra={"labels": {"global": "true"},
                                     "annotations": {"kubernetes.io/ingress.class": "kong"}})
    plugin = inc.find("KongClusterPlugin", "", "global-rate-limiting")
    del plugin["spec"]
    plugin["plugin"] = "rate-limiting"
    plugin["config"] = {"minute": 600, "limit_by": "consumer", "policy": "redis", "fault_tolerant": False,
                        "hide_client_headers": False,
                        "redis": {"host": "kong-ratelimit-redis.kong.svc.cluster.local", "port": 6379,
                                  "timeout": 20, "database": 0}}
    plugin["metadata"]["managedFields"][0]["fieldsV1"] = {"f:plugin": {}, "f:config": {}}

    def proxy(i: int, t: datetime) -> str:
        path = ["/v2/feed", "/v2/feed?cursor=" + str(9000 + i % 400), "/v2/feed/seen"][i % 3]
        client = f"10.0.{i % 3 + 1}.{60 + i % 50}"
        if t >= peak and i % 5 in (1, 3):
            if i % 2:
                return (f"{t.strftime('%Y/%m/%d %H:%M:%S')} [error] 1283#0: *{481000 + i} [kong] handler.lua:132 "
                        f"[rate-limiting] failed to get usage: timeout, client: {client}, server: kong, "
                        f'request: "GET {path} HTTP/1.1", host: "api.feedly-app.example"')
            return (f'{client} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET {path} HTTP/1.1" 500 42 "-" '
                    f'"FeedApp/7.3.1 (iPhone; iOS 18.1)" kong_request_id: "{rid("kong", i)}"')
        return (f'{client} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET {path} HTTP/1.1" 200 '
                f'{8000 + i % 3000} "-" "FeedApp/7.3.1 (iPhone; iOS 18.1)" kong_request_id: "{rid("kong", i)}"')

    steady_app(inc, "kong", "kong-gateway", ticks(proxy, 2), 3)

    def kic(i: int, t: datetime) -> str | None:
        if abs((t - chg).total_seconds()) < 3 or i % 120 == 0:
            return json.dumps({"level": "info", "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "logger": "setup",
                               "msg": "Successfully synced configuration to Kong", "update_strategy": "InMemory",
                               "url": "https://10.244.1.17:8444"}, separators=(",", ":"))
        return None

    steady_app(inc, "kong", "kong-controller", ticks(kic, 3), 1)
    steady_app(inc, "kong", "kong-ratelimit-redis", ticks(quiet, 60), 1)

    def feed(i: int, t: datetime) -> str:
        return tracing(t, "INFO", f"request{{method=GET uri=/v2/feed user={77000 + i % 9000}}}", "feed_api::http",
                       f"finished processing request latency={22 + i % 30} ms status=200")

    steady_app(inc, "feed", "feed-api", ticks(feed, 9), 3)
    herring(inc, "feed", "feed-ranker", f"{REGISTRY}/feed/feed-ranker", "0.31.0", "0.32.0",
            AT8 - timedelta(minutes=29))
    plant(inc, "kong", "kong-session-secret", "token", "kong session", "session_secret")
    kl = {"job": "kong", "namespace": "kong", "service": "feed.feed-api.pnum-80", "route": "feed.feed-api.00"}
    tally(inc, "kong_http_requests_total", "HTTP status codes per consumer/service/route in Kong",
          {**kl, "code": "500", "source": "kong"}, rate(inc, 0, 96, peak))
    tally(inc, "kong_http_requests_total", "HTTP status codes per consumer/service/route in Kong",
          {**kl, "code": "200", "source": "service"}, rate(inc, 230, 150, peak))
    rl = {"job": "redis-exporter", "namespace": "kong", "service": "kong-ratelimit-redis"}
    gauge(inc, "redis_connected_clients", "connected_clients metric", rl, step(3, 410, chg + timedelta(minutes=1)))
    tally(inc, "redis_commands_duration_seconds_total", "Total amount of time in seconds spent per command",
          {**rl, "cmd": "incrby"}, rate(inc, 0, 0.94, chg + timedelta(minutes=1)))
    gauge(inc, "redis_cpu_sys_seconds_total", "System CPU consumed by the Redis server in seconds", rl,
          lambda t: 0.0)
    send(inc, [rule(inc, "FeedApiGatewayErrors", {"namespace": "feed", "service": "feed-api"},
                    "Gateway returns 5xx for feed-api",
                    "More than 10% of requests to feed-api routes end in 5xx at the gateway.",
                    'sum(rate(kong_http_requests_total{service="feed.feed-api.pnum-80",code=~"5.."}[5m])) / '
                    'sum(rate(kong_http_requests_total{service="feed.feed-api.pnum-80"}[5m])) > 0.1', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("KongClusterPlugin", "", "global-rate-limiting"),
                   keywords=["fault_tolerant", "policy redis", "failed to get usage"],
                   root_cause="The global KongClusterPlugin global-rate-limiting was changed from policy local to "
                              "policy redis with fault_tolerant false and a 20 ms Redis timeout; at the evening peak "
                              "kong-ratelimit-redis lookups time out ('failed to get usage: timeout') and Kong "
                              "answers 500 instead of proxying, so "
                              "feed-api requests fail at the gateway while feed-api is healthy.",
                   category="rate-limiter-redis-policy-fails-closed",
                   red_herrings=[("Deployment", "feed", "feed-ranker")])
    return inc


# ---- 9: a queue policy that rejects publishes at a length the daily peak exceeds -----------------
AT9 = datetime(2026, 12, 4, 12, 40, tzinfo=UTC)


def order_publish_failures_page() -> Incident:
    """A RabbitMQ Policy adds max-length 20000 with overflow reject-publish: at the lunch peak orders are nacked.

    after: message-broker incidents where a queue length limit meant to protect the broker turns a normal,
    self-draining backlog into publisher rejections: the producer's confirms come back negative and the
    user-facing request fails.
    """
    inc = start(order_publish_failures_page, "order-api order placement failing", AT9, 5009,
                ("messaging", "orders", "fulfilment"))
    chg, cap = AT9 - timedelta(hours=2, minutes=5), AT9 - timedelta(minutes=13)
    resource(inc, "Policy", "rabbitmq.com/v1beta1", "policies", "messaging", "orders-limits",
             {"name": "orders-limits", "vhost": "/", "pattern": "^orders\\.", "applyTo": "queues", "priority": 0,
              "definition": {"queue-version": 2, "max-length": 20000, "overflow": "reject-publish"},
              "rabbitmqClusterReference": {"name": "rabbitmq"}},
             "kubectl-client-side-apply", "Update", chg,
             {"f:spec": {"f:definition": {}}})
    pol = inc.find("Policy", "messaging", "orders-limits")
    pol["status"] = {"conditions": [{"type": "Ready", "status": "True", "reason": "SuccessfulCreateOrUpdate",
                                     "lastTransitionTime": ts(chg)}], "observedGeneration": 4}

    def broker(i: int, t: datetime) -> str | None:
        stamp = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond:06d}+00:00"
        if abs((t - chg).total_seconds()) < 10 and i % 2 == 0:
            return (f"{stamp} [info] <0.31822.0> Setting policy 'orders-limits' for pattern '^orders\\\\.' to "
                    "'{\"max-length\":20000,\"overflow\":\"reject-publish\",\"queue-version\":2}' with priority "
                    "'0' for user 'messaging-topology-operator'")
        if i % 60 == 0:
            return (f"{stamp} [info] <0.{900 + i % 90}.0> accepting AMQP connection <0.{900 + i % 90}.0> "
                    "(10.244.2.31:52214 -> 10.244.1.12:5672)")
        return None

    inc.statefulset("messaging", "rabbitmq-server", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7", port=5672)],
                    [P(log=within(ticks(broker, 5)))], inc.born + timedelta(days=6), service=5672)

    def worker(i: int, t: datetime) -> str:
        return L.pylog(t, "INFO", "fulfilment.consumer", f"order {611000 + i} allocated in "
                       f"{0.9 + (i % 8) / 10:.1f}s (prefetch=20)")

    steady_app(inc, "fulfilment", "fulfilment-worker", ticks(worker, 6), 4)

    def orders(i: int, t: datetime) -> str:
        th = f"http-nio-8080-exec-{i % 50 + 1}"
        if t < cap or i % 3 == 0:
            return L.spring(t, "INFO", "c.s.orders.web.OrderController", f"POST /orders 201 order={611000 + i}", th)
        if i % 3 == 1:
            return L.spring(t, "WARN", "c.s.orders.messaging.OrderPublisher",
                            f"Publish of order {611000 + i} to orders.placed not confirmed: ack=false cause=null",
                            "rabbitConnectionFactory2")
        return L.spring(t, "ERROR", "c.s.orders.web.OrderController",
                        f"POST /orders 503 order={611000 + i}: c.s.orders.messaging.PublishRejectedException: "
                        "broker nacked orders.placed", th)

    steady_app(inc, "orders", "order-api", ticks(orders, 4), 3)
    herring(inc, "orders", "order-receipts", f"{REGISTRY}/orders/order-receipts", "3.0.2", "3.1.0",
            AT9 - timedelta(minutes=44))
    plant(inc, "messaging", "rabbitmq-default-user", "password", "rabbitmq", "password")
    ql = {"job": "rabbitmq", "namespace": "messaging", "vhost": "/", "queue": "orders.placed"}
    gauge(inc, "rabbitmq_queue_messages_ready", "Messages ready to be delivered to consumers", ql,
          lambda t: 20000.0 if t >= cap else round(max(40.0, 20000 * (t - (cap - timedelta(minutes=50)))
                                                        .total_seconds() / 3000), 0))
    gauge(inc, "rabbitmq_queue_consumers", "Consumers on a queue", ql, lambda t: 4.0)
    tally(inc, "rabbitmq_channel_messages_confirmed_total", "Total number of messages published into an exchange "
          "and confirmed on the channel", {"job": "rabbitmq", "namespace": "messaging"}, rate(inc, 38, 22, cap))
    tally(inc, "orders_publish_total", "Order events published by result.",
          {"namespace": "orders", "service": "order-api", "result": "nack"}, rate(inc, 0, 14, cap))
    inc.pagerduty("order-api: order placement failing (503 rate 30%)", "order-api")
    inc.answer_key(culprit=("Policy", "messaging", "orders-limits"),
                   keywords=["max-length", "reject-publish", "nack"],
                   root_cause="The RabbitMQ Policy orders-limits was changed to add max-length 20000 with overflow "
                              "reject-publish on ^orders\\.; the normal lunch backlog of orders.placed reaches 20000, "
                              "the broker nacks further publishes and order-api answers 503 for orders whose event "
                              "was not confirmed.",
                   category="queue-length-limit-reject-publish-at-peak",
                   red_herrings=[("Deployment", "orders", "order-receipts")])
    return inc


# ---- 10: zone-preferring routing onto the one backend in a busy zone (host question) ------------
AT10 = datetime(2026, 12, 6, 8, 5, tzinfo=UTC)


def node_cpu_pinned_question() -> Incident:
    """A Service gains `trafficDistribution: PreferClose`: the busiest zone's callers all reach its single backend.

    after: topology-aware routing surprises in Kubernetes: keeping traffic in-zone ignores how endpoints are spread,
    so a zone with many callers and one backend overloads that pod and the node under it.
    """
    inc = start(node_cpu_pinned_question, "node CPU saturated", AT10, 5010, ("rates", "payments-edge"))
    chg = AT10 - timedelta(minutes=27)
    names = inc.node_names()
    zone = {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
            for n in inc.cluster.nodes}
    za = [n for n in names if zone[n] == "eu-west-1a"]
    zb = [n for n in names if zone[n] == "eu-west-1b"]
    zc = [n for n in names if zone[n] == "eu-west-1c"]
    host = za[0]
    backends = [host, zb[0], zb[-1], zb[0], zc[0], zc[-1], zc[0], zb[-1], zc[-1]]

    def rates(i: int, t: datetime) -> str:
        return tracing(t, "INFO", f"request{{method=GET uri=/v1/rates/{['EURUSD', 'GBPEUR', 'USDJPY'][i % 3]}}}",
                       "fx_rates::http", f"finished processing request latency={3 + i % 4} ms status=200")

    def hot(i: int, t: datetime) -> str:
        if t < chg + timedelta(minutes=1):
            return rates(i, t)
        if i % 2:
            return tracing(t, "WARN", "request{method=GET uri=/v1/rates/EURUSD}", "fx_rates::http",
                           f"slow request latency={420 + (i * 17) % 900} ms status=200 queue_depth={180 + i % 60}")
        return rates(i, t).replace(f"latency={3 + i % 4} ms", f"latency={260 + i % 300} ms")

    rev = Rev(1, inc.born + timedelta(days=16), "helm upgrade",
              [c("fx-rates", f"{REGISTRY}/rates/fx-rates:1.19.0", cpu_request="250m", port=8080)])
    plans = [P(log=within(ticks(hot if n == 0 else rates, 4)), node=backends[n]) for n in range(9)]
    wl = inc.deployment("rates", "fx-rates", [rev], {1: plans})
    inc.service("rates", "fx-rates", {"app": "fx-rates"}, port=80, target=8080)
    svc = inc.find("Service", "rates", "fx-rates")
    svc["spec"]["trafficDistribution"] = "PreferClose"
    changed(svc, ("helm", "Update", inc.born + timedelta(days=2), {"f:spec": {"f:ports": {}, "f:selector": {}}}),
            ("kubectl-patch", "Update", chg, {"f:spec": {"f:trafficDistribution": {}}}))
    inc.add({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": "fx-rates-" + o.suffix("rates/fx-rates/slice", 5), "namespace": "rates",
                          "labels": {"kubernetes.io/service-name": "fx-rates",
                                     "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                          "ownerReferences": [o.owner_ref("Service", "fx-rates", "rates")]},
             "addressType": "IPv4", "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
             "endpoints": [{"addresses": [inc.cluster.pod_ip(h)], "conditions": {"ready": True}, "nodeName": h.node,
                            "zone": zone[h.node], "hints": {"forZones": [{"name": zone[h.node]}]},
                            "targetRef": {"kind": "Pod", "namespace": "rates", "name": h.name}}
                           for h in wl.pods]})
    callers = [za[0], za[-1], za[0], za[-1], za[0], zb[0], zc[0], zb[-1]]

    def gateway(i: int, t: datetime) -> str:
        if t >= chg + timedelta(minutes=2) and i % 4 == 1:
            return L.js(t, "warn", "upstream slow", upstream="fx-rates.rates", durationMs=380 + (i * 29) % 900,
                        route="/v1/quote")
        return L.js(t, "info", "quote served", route="/v1/quote", durationMs=11 + i % 9)

    steady_app(inc, "payments-edge", "quote-gateway", ticks(gateway, 5), 8, nodes=callers)
    herring(inc, "rates", "rates-ingest", f"{REGISTRY}/rates/rates-ingest", "2.0.4", "2.1.0",
            AT10 - timedelta(minutes=52))
    plant(inc, "rates", "fx-provider", "token", "fx provider", "API_TOKEN")
    for n, h in enumerate(wl.pods):
        share = 4.6 if n == 0 else 0.45
        tally(inc, "http_server_requests_total", "Requests served.",
              {"job": "fx-rates", "namespace": "rates", "pod": h.name, "node": h.node},
              counter(inc.at - timedelta(hours=2), 110.0, 110.0 * share, chg))
        tally(inc, "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
              {"job": "kubelet", "namespace": "rates", "pod": h.name, "container": "fx-rates", "node": h.node},
              counter(inc.at - timedelta(hours=2), 0.34, 3.7 if n == 0 else 0.16, chg))
    for n_name in (host, zb[0], zc[0]):
        gauge(inc, "instance:node_cpu_utilisation:rate5m", "Node CPU utilisation (recording rule).",
              {"job": "node-exporter", "instance": n_name},
              step(0.38, 0.99 if n_name == host else 0.29, chg + timedelta(minutes=2)))
    inc.ask(f"{host} has been at close to 100% CPU since about 07:40 and the pods on it answer slowly. What is "
            "going on with that host?")
    inc.answer_key(culprit=("Service", "rates", "fx-rates"),
                   keywords=["trafficDistribution", "PreferClose", "zone"],
                   root_cause="The fx-rates Service was patched with trafficDistribution: PreferClose; kube-proxy now "
                              "keeps traffic in-zone, and eu-west-1a has five of the eight quote-gateway callers but "
                              "only one fx-rates pod, which runs on this node and takes several times its share, "
                              "pegging the node's CPU.",
                   category="prefer-close-routing-overloads-lone-zone-backend",
                   red_herrings=[("Deployment", "rates", "rates-ingest")])
    return inc


# ---- 11: a rotated DSN Secret loses pool_max_conns: pgxpool falls back to four connections (simple)
AT11 = datetime(2026, 12, 5, 13, 25, tzinfo=UTC)


def payouts_api_latency_alert() -> Incident:
    """A credential rotation rewrites the DSN Secret without `pool_max_conns=40`: pgxpool falls back to 4 conns.

    after: connection-pool starvation where a pool's size lives in a connection string: a rotation or templating
    change drops the parameter, the driver's small default takes over and requests queue for a connection.
    """
    inc = start(payouts_api_latency_alert, "payouts-api latency high", AT11, 5011, ("payouts",))
    chg = AT11 - timedelta(minutes=48)
    password = inc.canary("password", "payouts-db")
    inc.secret("payouts", "payouts-db-dsn", {
        "DATABASE_URL": f"postgres://payouts:{password}@payouts-pg.payouts.svc.cluster.local:5432/payouts"
                        "?sslmode=require", "PGPASSWORD": password})
    sec = inc.find("Secret", "payouts", "payouts-db-dsn")
    sec["metadata"]["annotations"] = {"rotation.example.com/rotated-at": ts(chg),
                                      "rotation.example.com/ticket": "SEC-4471"}
    changed(sec, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {"f:DATABASE_URL": {}}}),
            ("db-credential-rotator", "Update", chg, {"f:data": {"f:DATABASE_URL": {}}, "f:metadata": {
                "f:annotations": {"f:rotation.example.com/rotated-at": {}, "f:rotation.example.com/ticket": {}}}}))
    roll = chg + timedelta(seconds=30)

    def app(i: int, t: datetime) -> str:
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        if i % 3 == 0:
            return (f'time={stamp} level=ERROR msg="create payout" payout_id=po_{83000 + i} '
                    'err="acquire connection: context deadline exceeded" waited=3s')
        return (f'time={stamp} level=INFO msg="request" method=POST path=/v1/payouts status=201 '
                f"dur={1.4 + (i % 12) / 10:.1f}s")

    def ready(t: datetime) -> str:
        return (f"time={t.strftime('%Y-%m-%dT%H:%M:%S.')}{t.microsecond // 1000:03d}Z level=INFO "
                'msg="database pool ready" host=payouts-pg.payouts.svc.cluster.local max_conns=4 min_conns=0 '
                "max_conn_lifetime=1h0m0s")

    reloaded(inc, "payouts", "payouts-api", f"{REGISTRY}/payouts/payouts-api:2.11.0",
             "STAKATER_PAYOUTS_DB_DSN_SECRET", roll, booted(ready, ticks(app, 5)), 3,
             env=[{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "payouts-db-dsn",
                                                                          "key": "DATABASE_URL"}}}])
    herring(inc, "payouts", "payouts-scheduler", f"{REGISTRY}/payouts/payouts-scheduler", "1.6.0", "1.7.0",
            AT11 - timedelta(minutes=35))
    plant(inc, "payouts", "payouts-bank-api", "token", "bank api", "BANK_API_TOKEN")
    pl = {"job": "payouts-api", "namespace": "payouts"}
    gauge(inc, "pgxpool_max_conns", "Maximum size of the pool.", pl, step(40, 4, roll))
    gauge(inc, "pgxpool_acquired_conns", "Number of currently acquired connections in the pool.", pl,
          step(7, 4, roll))
    tally(inc, "pgxpool_empty_acquire_total", "Cumulative count of successful acquires that waited for a resource "
          "to be released or constructed because the pool was empty.", pl, rate(inc, 0.01, 19, roll))
    tally(inc, "pgxpool_canceled_acquire_total", "Cumulative count of acquires canceled by a context.", pl,
          rate(inc, 0, 3.1, roll))
    gauge(inc, "pg_stat_activity_count", "number of connections in this state",
          {"job": "postgres-exporter", "namespace": "payouts", "datname": "payouts", "state": "active"},
          step(6, 4, roll))
    inc.alertmanager("PayoutsApiLatencyHigh", {"namespace": "payouts", "service": "payouts-api"},
                     "payouts-api p95 latency above 1s",
                     "payouts-api p95 latency is 2.9s over 10 minutes; some payouts fail with timeouts.",
                     'histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{'
                     'namespace="payouts",service="payouts-api"}[5m]))) > 1', severity="critical")
    inc.answer_key(culprit=("Secret", "payouts", "payouts-db-dsn"),
                   keywords=["pool_max_conns", "max_conns=4", "pgxpool"],
                   root_cause="The payouts-db-dsn Secret was rewritten by the credential rotation without the "
                              "`pool_max_conns=40` DSN parameter; Reloader restarted payouts-api and pgxpool fell "
                              "back to its default of 4 connections, so requests wait for a connection and time "
                              "out.",
                   category="rotated-dsn-drops-pool-size-parameter",
                   red_herrings=[("Deployment", "payouts", "payouts-scheduler")])
    return inc


# ---- 12: an edge that replays timed-out requests on every backend ---------------------------------
AT12 = datetime(2026, 12, 6, 9, 15, tzinfo=UTC)


def listings_api_saturated_alert() -> Incident:
    """Ingress annotations retry timeouts with unlimited tries and a 3 s read timeout: slow searches hit every pod.

    after: retry-amplification postmortems at the load balancer: retrying on timeout with no try limit replays an
    expensive request on each upstream in turn, multiplying the work exactly when the backends are slowest.
    """
    inc = start(listings_api_saturated_alert, "listings-api saturated", AT12, 5012, ("marketplace",))
    chg = AT12 - timedelta(minutes=55)
    ann = {"nginx.ingress.kubernetes.io/proxy-read-timeout": "3",
           "nginx.ingress.kubernetes.io/proxy-next-upstream": "error timeout http_502 http_503 http_504",
           "nginx.ingress.kubernetes.io/proxy-next-upstream-tries": "0",
           "nginx.ingress.kubernetes.io/proxy-next-upstream-timeout": "0"}
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "marketplace-public", "namespace": "marketplace", "generation": 7,
                                "annotations": {**ann, "meta.helm.sh/release-name": "marketplace"}},
                   "spec": {"ingressClassName": "nginx", "rules": [{"host": "api.market.example", "http": {
                       "paths": [{"path": "/v1/listings", "pathType": "Prefix", "backend": {"service": {
                           "name": "listings-api", "port": {"number": 80}}}}]}}]}})
    changed(ing, ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {"f:rules": {}}}),
            ("helm", "Update", chg, {"f:metadata": {"f:annotations": {f"f:{k}": {} for k in ann}}}))

    def api(i: int, t: datetime) -> str:
        q = ["garden+shed", "bike", "sofa+grey", "flat+2+bedrooms", "camera+lens"][i % 5]
        took = 0.05 + (i % 7) / 100 if i % 6 else 3.4 + (i % 9) / 3
        if t >= chg + timedelta(minutes=20):
            took = took * 3 + 0.8
        return (f'INFO:     10.244.{i % 3 + 1}.{12 + i % 3}:{41000 + i % 9000} - "GET /v1/listings/search?q={q} '
                f'HTTP/1.1" 200 OK' if took < 3 else
                f'WARNING:  request took {took:.2f}s path=/v1/listings/search?q={q}')

    rev = Rev(1, inc.born + timedelta(days=13), "helm upgrade",
              [c("listings-api", f"{REGISTRY}/marketplace/listings-api:6.2.0", cpu_request="1", cpu_limit="2",
                 port=8000)])
    wl = inc.deployment("marketplace", "listings-api", [rev], {1: [P(log=within(ticks(api, 3))) for _ in range(6)]})
    inc.service("marketplace", "listings-api", {"app": "listings-api"}, port=80, target=8000)
    ips = [inc.cluster.pod_ip(h) for h in wl.pods]
    storm = chg + timedelta(minutes=20)

    def edge(i: int, t: datetime) -> str:
        q = ["garden+shed", "bike", "sofa+grey", "flat+2+bedrooms", "camera+lens"][i % 5]
        req = f"GET /v1/listings/search?q={q} HTTP/1.1"
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S")
        head = (f'10.0.{i % 3 + 1}.{70 + i % 30} - - [{stamp} +0000] "{req}" ')
        if t >= storm and i % 3 == 0:
            tries = 6
            addrs = ", ".join(f"{ips[(i + k) % 6]}:8000" for k in range(tries))
            return (head + f'504 160 "-" "okhttp/4.12.0" 321 18.012 [marketplace-listings-api-80] [] {addrs} '
                    + ", ".join("0" for _ in range(tries)) + " " + ", ".join("3.001" for _ in range(tries)) + " "
                    + ", ".join("504" for _ in range(tries)) + f" {rid('mkt', i)[:32].replace('-', '')}")
        if t >= chg and i % 11 == 0:
            return (f"{t.strftime('%Y/%m/%d %H:%M:%S')} [error] 1721#1721: *{812000 + i} upstream timed out (110: "
                    "Operation timed out) while reading response header from upstream, client: "
                    f'10.0.1.{70 + i % 30}, server: api.market.example, request: "{req}", upstream: '
                    f'"http://{ips[i % 6]}:8000/v1/listings/search?q={q}", host: "api.market.example"')
        return (head + f'200 {5200 + i % 900} "-" "okhttp/4.12.0" 298 0.0{41 + i % 50} [marketplace-listings-api-80]'
                f" [] {ips[i % 6]}:8000 {5200 + i % 900} 0.0{40 + i % 50} 200 {rid('mkt', i)[:32].replace('-', '')}")

    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        pod_log(h, h.containers[0].name, ticks(edge, 2), AT12 - timedelta(hours=3), inc.captured)
    herring(inc, "marketplace", "listing-thumbs", f"{REGISTRY}/marketplace/listing-thumbs", "1.8.0", "1.9.0",
            AT12 - timedelta(minutes=70))
    plant(inc, "marketplace", "listings-search-key", "aws", "listings search", "AWS_ACCESS_KEY_ID")
    il = {"job": "ingress-nginx", "namespace": "ingress-nginx", "ingress": "marketplace-public",
          "exported_namespace": "marketplace", "service": "listings-api"}
    tally(inc, "nginx_ingress_controller_requests", "The total number of client requests",
          {**il, "status": "504"}, rate(inc, 0.01, 7.5, storm))
    tally(inc, "nginx_ingress_controller_requests", "The total number of client requests",
          {**il, "status": "200"}, rate(inc, 61, 44, storm))
    tally(inc, "http_requests_total", "Requests received by listings-api.",
          {"job": "listings-api", "namespace": "marketplace", "service": "listings-api", "path": "/v1/listings/search"},
          rate(inc, 61, 96, storm))
    for h in wl.pods:
        tally(inc, "container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.",
              {"job": "kubelet", "namespace": "marketplace", "pod": h.name, "container": "listings-api"},
              rate(inc, 0.2, 9.1, storm))
    send(inc, [rule(inc, "ListingsApiSaturated", {"namespace": "marketplace", "service": "listings-api"},
                    "listings-api CPU saturated and 504s at the edge",
                    "listings-api pods are CPU-throttled and the edge returns 504 for over 10% of searches.",
                    'sum(rate(nginx_ingress_controller_requests{exported_namespace="marketplace",status="504"}[5m]))'
                    ' / sum(rate(nginx_ingress_controller_requests{exported_namespace="marketplace"}[5m])) > 0.1',
                    "critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Ingress", "marketplace", "marketplace-public"),
                   keywords=["proxy-next-upstream-tries", "proxy-read-timeout", "retry"],
                   root_cause="The marketplace-public Ingress gained proxy-next-upstream on timeout with "
                              "proxy-next-upstream-tries 0 (unlimited) and a 3 s proxy-read-timeout; searches "
                              "that normally take 3-5 s time out and nginx will retry them on every listings-api pod, "
                              "multiplying load until all pods are CPU-throttled and the edge answers 504.",
                   category="edge-unlimited-next-upstream-retries-on-timeout",
                   red_herrings=[("Deployment", "marketplace", "listing-thumbs")])
    return inc


ALL = [catalog_origin_saturated_page, price_quotes_timeouts_grouped, checkout_latency_burn,
       profile_api_latency_alert, checkout_service_question, storefront_availability_burn, invoice_creation_errors_page,
       feed_errors_alert, order_publish_failures_page, node_cpu_pinned_question, payouts_api_latency_alert,
       listings_api_saturated_alert]
