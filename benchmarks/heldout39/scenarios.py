"""Round 39 of the held-out incident set: application runtimes and libraries as the cause.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit in runtime settings against container limits (.NET Server GC, GOMEMLIMIT, Node's
old-space size, an injected JVM processor count, a search engine's heap), in library and base-image
upgrades that change a default (Node's localhost resolution order, a serialiser's time format, OpenSSL 3's
renegotiation rule, an OpenTelemetry agent's export protocol, gRPC's message size) and in flags and
environment the libraries read (a feature flag turning on an unbounded in-process cache, proxy variables
honoured for internal calls). Most pages are on the applications they hurt; about a third are simple.
Log lines follow the real software's formats.
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    plant,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def app(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
        replicas: int = 2, **kw: Any) -> Any:
    """A Deployment unchanged for weeks whose pods all run: its trouble shows in logs and metrics."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:2.{len(name)}.0", **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=within(make)) for _ in range(replicas)]})


def rolled(inc: Incident, ns: str, name: str, old: dict[str, Any], new: dict[str, Any], at: datetime,
           plans: list[P]) -> Any:
    """A Deployment whose second revision (at `at`) differs from the first in the container fields given."""
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [c(name, **old)]),
            Rev(2, at, "helm upgrade", [c(name, **new)])]
    return inc.deployment(ns, name, revs, {2: plans})


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent), from the cluster's Prometheus."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7, first: str = "argocd-controller") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by `first` and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, (first, "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def revision(inc: Incident, owner_kind: str, ns: str, owner: str, number: int, at: datetime,
             template: dict[str, Any]) -> str:
    """A ControllerRevision of a DaemonSet or StatefulSet, as its controller stores each template."""
    from incidentgen import objects as o
    name = f"{owner}-{o.suffix(f'{ns}/{owner}/revision/{number}', 10)}"
    inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
             "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(at),
                          "labels": {"app": owner, "controller-revision-hash": name.rsplit("-", 1)[1]},
                          "ownerReferences": [o.owner_ref(owner_kind, owner, ns)]},
             "revision": number, "data": {"spec": {"template": template}}})
    return name


def alloy(t: datetime, level: str, msg: str, **fields: object) -> str:
    """Grafana Alloy's logfmt line: `ts=` with nanoseconds first."""
    return L.logfmt(t, level, msg, **fields).replace(f"time={t:%Y-%m-%dT%H:%M:%SZ}",
                                                     f"ts={t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}123Z", 1)


def env(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def ms(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def latency(inc: Incident, ns: str, service: str, before: float, after: float, at: datetime) -> None:
    """The service's request-duration histogram: the share of requests under 250 ms drops at `at`."""
    begin = inc.at - timedelta(hours=2)
    for le, share_before, share_after in (("0.25", before, after), ("+Inf", 1.0, 1.0)):
        series(inc, "http_server_requests_seconds_bucket", "counter", "Duration of HTTP server requests.",
               {"namespace": ns, "service": service, "le": le, "job": service},
               counter(begin, 40 * share_before, 40 * share_after, at))


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 2, 9, 40, tzinfo=UTC)


def invoice_api_oomkilled() -> Incident:
    """A .NET service's revision turns on Server GC: one heap per core of a 16-core node outgrows 768Mi.

    after: the .NET guidance and many on-call threads about containers OOMKilled after `DOTNET_gcServer=1`
    (or `ServerGarbageCollector` true) on large nodes, where Server GC sizes its heaps by the node's cores.

    The paged workload is the culprit (simple): revision 2 of billing/invoice-api adds DOTNET_gcServer=1 and
    nothing else; its pods are OOMKilled within minutes of start under a 768Mi limit while revision 1 ran at
    ~420Mi for weeks. The red herring is the unrelated billing/invoice-pdf release half an hour earlier.
    """
    inc = start(invoice_api_oomkilled, "invoice-api pods restarting", AT1, 391, namespaces=("billing",))
    chg = AT1 - timedelta(minutes=24)

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s + timedelta(seconds=1), "info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: "
                 "http://[::]:8080"),
                (s + timedelta(seconds=1, milliseconds=40), "info: Microsoft.Hosting.Lifetime[0]\n      "
                 "Application started. Press Ctrl+C to shut down."),
                (s + timedelta(seconds=2), "info: Microsoft.Hosting.Lifetime[0]\n      Hosting environment: "
                 "Production"),
                *every(s + timedelta(seconds=20), e, 45, lambda i, t: "info: Invoices.Api.Batching.InvoiceBatcher"
                       f"[0]\n      Rendered batch {4100 + i} with 250 invoices in {830 + i % 7 * 31} ms")]

    base = dict(image=f"{REGISTRY}/billing/invoice-api:4.2.0", memory_request="512Mi", memory_limit="768Mi",
                cpu_request="500m", cpu_limit="2")
    old_env = env(ASPNETCORE_URLS="http://+:8080", DOTNET_ENVIRONMENT="Production")
    new_env = old_env + env(DOTNET_gcServer="1")
    runs = [P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(make),
              run_s=lambda n: 290.0 + n * 7, memory_mi=767) for _ in range(3)]
    wl = rolled(inc, "billing", "invoice-api", {**base, "env": old_env}, {**base, "env": new_env}, chg, runs)
    inc.pod_series(wl.pods)
    herring(inc, "billing", "invoice-pdf", f"{REGISTRY}/billing/invoice-pdf", "1.9.3", "1.9.4",
            AT1 - timedelta(minutes=55))
    plant(inc, "billing", "invoice-api-db", "password", "invoice-db", "ConnectionStrings__Invoices",
          "Host=invoices-pg.billing;Username=invoice_api;Password={}")
    begin = AT1 - timedelta(hours=2)
    for h in wl.pods:
        series(inc, "dotnet_gc_heap_size_bytes", "gauge", "Size of the GC heap (generations and LOH)",
               {"namespace": "billing", "pod": h.name, "job": "invoice-api"}, step(4.2e8, 7.1e8, chg))
        series(inc, "dotnet_gc_collections_total", "counter", "Garbage collections since process start",
               {"namespace": "billing", "pod": h.name, "generation": "gen2", "job": "invoice-api"},
               counter(begin, 0.01, 0.002, chg))
    inc.alertmanager("KubePodCrashLooping", {"namespace": "billing", "pod": wl.pods[0].name,
                                             "container": "invoice-api", "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod billing/{wl.pods[0].name} (invoice-api) is in waiting state (reason: "
                     "\"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(
        culprit=("Deployment", "billing", "invoice-api"),
        keywords=["gcServer", "Server GC"],
        root_cause="Revision 2 of invoice-api set DOTNET_gcServer=1. Server GC creates a heap per core it "
                   "sees (16 on these nodes) and budgets far more memory than workstation GC, so the pods "
                   "reach the 768Mi limit and are OOMKilled; revision 1 ran at about 420Mi.",
        category="dotnet-server-gc-heaps-over-limit",
        red_herrings=[("Deployment", "billing", "invoice-pdf")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 2, 11, 25, tzinfo=UTC)


def node_cpu_pegged_agent_question() -> Incident:
    """A collector DaemonSet's revision sets GOMEMLIMIT just above one node's live heap: GC runs nonstop there.

    after: Go's GC guide on the memory limit and the agents' issue threads about a soft limit set near the
    live heap: the collector spends its CPU collecting (a GC death spiral) instead of being OOMKilled.

    Question names only the node. Revision 2 of observability/alloy adds GOMEMLIMIT=400MiB (no CPU limit).
    The agent on the busiest node holds ~390MiB live (it tails the most containers), so its GC cycles rise
    from ~0.1/s to ~40/s and it burns ~3.5 cores; the node's other pods slow down. Agents on quieter nodes
    (~150MiB live) are unaffected. The red herring is the monitoring/blackbox-exporter release.
    """
    inc = start(node_cpu_pegged_agent_question, "node CPU pegged", AT2, 392, namespaces=("observability",))
    chg = AT2 - timedelta(minutes=18)
    busy = inc.node_names()[1]
    pods = inc.cluster.daemonset("observability", "alloy", "docker.io/grafana/alloy:v1.4.3", chg, memory_mi=180)
    ds = inc.find("DaemonSet", "observability", "alloy")
    tpl = ds["spec"]["template"]
    tpl["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "100m", "memory": "256Mi"},
                                                 "limits": {"memory": "512Mi"}}
    old_tpl = json.loads(json.dumps(tpl))
    tpl["spec"]["containers"][0]["env"] = env(GOMEMLIMIT="400MiB")
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["status"]["observedGeneration"] = 2
    ds["metadata"]["creationTimestamp"] = ts(inc.born + timedelta(days=6))
    changed(ds, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                'k:{"name":"alloy"}': {"f:env": {'k:{"name":"GOMEMLIMIT"}': {".": {}, "f:value": {}}}}}}}}}))
    revision(inc, "DaemonSet", "observability", "alloy", 1, inc.born + timedelta(days=6), old_tpl)
    new_rev = revision(inc, "DaemonSet", "observability", "alloy", 2, chg, tpl)
    begin = AT2 - timedelta(hours=2)
    for i, h in enumerate(pods):
        h.created = chg + timedelta(seconds=40 * i)
        h.states[0].started_at = h.created + timedelta(seconds=4)
        h.labels["controller-revision-hash"] = new_rev.rsplit("-", 1)[1]
        hot = h.node == busy

        def make(pod: str, s: datetime, e: datetime, hot: bool = hot) -> Lines:
            out = [(s, alloy(s, "info", "starting complete graph evaluation", component_path="/",
                             controller_id="", trace_id="0f3a9c1e")),
                   (s + timedelta(seconds=1), alloy(s + timedelta(seconds=1), "info", "now listening for http "
                                                    "traffic", service="http", addr="0.0.0.0:12345"))]
            out += every(s + timedelta(seconds=30), e, 60, lambda n, t: alloy(
                t, "warn", "tail routine: file has been truncated, reopening",
                component_path="/", component_id="loki.source.kubernetes.pods") if n % 9 == 4 else None)
            if hot:
                out += every(s + timedelta(minutes=3), e, 30, lambda n, t: alloy(
                    t, "warn", "Failed to send batch, retrying", component_path="/",
                    component_id="loki.write.default", status=0, tenant="",
                    error="Post \"http://loki-gateway.observability/loki/api/v1/push\": context deadline "
                          "exceeded"))
            return out
        h.logs["alloy"] = within(make)(h.name, h.states[0].started_at or chg, inc.captured)
        base = {"namespace": "observability", "pod": h.name, "instance": h.node, "job": "alloy"}
        series(inc, "go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.", base,
               step(1.5e8, 4.05e8 if hot else 1.6e8, chg))
        series(inc, "go_gc_cycles_total_gc_cycles_total", "counter", "Count of all completed GC cycles.", base,
               counter(begin, 0.1, 38.0 if hot else 0.12, chg))
        series(inc, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
               base, counter(begin, 0.08, 3.6 if hot else 0.09, chg))
    for n in inc.node_names():
        series(inc, "node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.",
               {"instance": n, "mode": "idle", "job": "node-exporter"},
               counter(begin, 2.6, 0.1 if n == busy else 2.5, chg))
    herring(inc, "monitoring", "blackbox-exporter", "quay.io/prometheus/blackbox-exporter", "v0.25.0", "v0.26.0",
            AT2 - timedelta(minutes=40))
    plant(inc, "observability", "alloy-loki-auth", "token", "loki-tenant", "password")
    inc.ask(f"Node {busy} has been at ~100% CPU since a bit after 11:05 and the pods on it are slow. Nothing new "
            "was scheduled there as far as I can tell. What is eating the CPU?")
    inc.answer_key(
        culprit=("DaemonSet", "observability", "alloy"),
        keywords=["GOMEMLIMIT", "garbage collect"],
        root_cause="Revision 2 of the alloy DaemonSet set GOMEMLIMIT=400MiB. On the node in question the agent's "
                   "live heap is about 390MiB, so the Go runtime stays under the "
                   "soft limit: it garbage collects nonstop (GC cycles from 0.1/s to ~38/s) and the agent, with "
                   "no CPU limit, uses ~3.6 cores.",
        category="go-soft-memory-limit-gc-spiral",
        red_herrings=[("Deployment", "monitoring", "blackbox-exporter")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)


def product_prices_missing_page() -> Incident:
    """A service's base image moves from Node 16 to Node 20: `localhost` now resolves to ::1 first.

    after: Node 17's change to keep the resolver's address order, and the many issue threads where clients
    connecting to `localhost` fail with `ECONNREFUSED ::1` against a sidecar listening on 127.0.0.1 only.

    Victim page (PagerDuty on the storefront). Revision 2 of shop/price-api (image 3.5.0, runtime node
    v20.18.1 in its start line; 3.4.2 ran v16.20.2) connects to its Cloud SQL proxy sidecar at
    localhost:5432; the proxy listens on 127.0.0.1 only, so every pool connect fails with ECONNREFUSED ::1.
    The red herring is shop/reviews' release.
    """
    inc = start(product_prices_missing_page, "storefront prices missing", AT3, 393)
    chg = AT3 - timedelta(minutes=14)

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def line(t: datetime, level: int, msg: str, **kw: Any) -> str:
            return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                               **kw, "msg": msg}, separators=(",", ":"))
        err = {"type": "Error", "message": "connect ECONNREFUSED ::1:5432",
               "stack": "Error: connect ECONNREFUSED ::1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] "
                        "(node:net:1610:16)", "errno": -111, "code": "ECONNREFUSED", "syscall": "connect",
               "address": "::1", "port": 5432}
        return [(s, line(s, 30, "price-api 3.5.0 starting", runtime="node v20.18.1", env="production")),
                (s + timedelta(seconds=1), line(s, 30, "server listening", address="0.0.0.0", port=8080)),
                *every(s + timedelta(seconds=3), e, 20, lambda i, t: line(
                    t, 50, "pg pool: could not acquire client", err=err, db={"host": "localhost", "port": 5432})),
                *every(s + timedelta(seconds=5), e, 15, lambda i, t: line(
                    t, 30, "request completed", req={"method": "GET", "url": f"/v1/prices?sku=SK-{4100 + i}"},
                    res={"statusCode": 503}, responseTime=2 + i % 4))]

    proxy = c("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1", port=None,
              readiness_path=None, liveness_path=None)
    revs = [Rev(1, inc.born + timedelta(days=11), "helm upgrade",
                [c("price-api", f"{REGISTRY}/shop/price-api:3.4.2",
                   env=env(PGHOST="localhost", PGPORT="5432", PGDATABASE="pricing")), proxy]),
            Rev(2, chg, "helm upgrade",
                [c("price-api", f"{REGISTRY}/shop/price-api:3.5.0",
                   env=env(PGHOST="localhost", PGPORT="5432", PGDATABASE="pricing")), proxy])]
    wl = inc.deployment("shop", "price-api", revs, {2: [P(log=within(make)), P(log=within(make))]})
    for h in wl.pods:
        h.logs["cloud-sql-proxy"] = L.lines([
            (h.created + timedelta(seconds=2), f"{h.created:%Y/%m/%d %H:%M:%S} Authorizing with Application "
             "Default Credentials"),
            (h.created + timedelta(seconds=3), f"{h.created:%Y/%m/%d %H:%M:%S} [prod-eu:europe-west1:pricing] "
             "Listening on 127.0.0.1:5432"),
            (h.created + timedelta(seconds=3), f"{h.created:%Y/%m/%d %H:%M:%S} The proxy has started "
             "successfully and is ready for new connections!")])
    begin = AT3 - timedelta(hours=2)
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "shop", "service": "price-api", "code": "503", "job": "price-api"},
           counter(begin, 0.0, 6.5, chg))
    series(inc, "pg_stat_database_numbackends", "gauge", "Number of backends currently connected.",
           {"datname": "pricing", "job": "postgres-exporter"}, step(12, 0, chg))
    herring(inc, "shop", "reviews", f"{REGISTRY}/shop/reviews", "2.0.7", "2.1.0", AT3 - timedelta(minutes=31))
    plant(inc, "shop", "price-api-sql", "password", "pricing-db", "PGPASSWORD")
    inc.pagerduty("Storefront: product pages render without prices (price widget errors > 20%)", "Storefront")
    inc.answer_key(
        culprit=("Deployment", "shop", "price-api"),
        keywords=["::1", "ECONNREFUSED"],
        root_cause="price-api 3.5.0 moved to Node 20, which keeps the resolver's order and resolves localhost "
                   "to ::1 first; the Cloud SQL proxy sidecar listens on 127.0.0.1:5432 only, so every "
                   "database connect fails with ECONNREFUSED ::1:5432 and price lookups return 503.",
        category="runtime-upgrade-localhost-resolves-ipv6",
        red_herrings=[("Deployment", "shop", "reviews")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 3, 8, 50, tzinfo=UTC)


def checkout_errors_budget_burn() -> Incident:
    """An env ConfigMap gains `NODE_OPTIONS=--max-old-space-size=3072` for a service limited to 1Gi.

    after: Node's docs on `--max-old-space-size` and the common container postmortem where V8, told it may
    grow to 3 GB, postpones full collections until the kernel's OOM killer ends the process.

    Victim: checkout's error-budget burn. quotes/quote-engine-env (envFrom of quote-engine) was edited with
    kubectl; the rollout restart that followed gave pods a heap ceiling three times their limit; they are
    OOMKilled every few minutes (exit 137, no V8 "heap out of memory"), so checkout's quote calls fail.
    The red herring is quotes/quote-admin's release.
    """
    inc = start(checkout_errors_budget_burn, "checkout error budget burn", AT4, 394, namespaces=("quotes",))
    chg = AT4 - timedelta(minutes=22)
    cm = inc.configmap("quotes", "quote-engine-env", {"NODE_ENV": "production", "PORT": "8080",
                                                      "UV_THREADPOOL_SIZE": "8",
                                                      "NODE_OPTIONS": "--max-old-space-size=3072"},
                       annotations={"meta.helm.sh/release-name": "quote-engine",
                                    "meta.helm.sh/release-namespace": "quotes"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {".": {}, "f:NODE_ENV": {},
                                                                            "f:PORT": {}, "f:UV_THREADPOOL_SIZE": {}}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:NODE_OPTIONS": {}}}))

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def line(t: datetime, level: int, msg: str, **kw: Any) -> str:
            return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 19, "hostname": pod,
                               **kw, "msg": msg}, separators=(",", ":"))
        return [(s, line(s, 30, "quote-engine listening", port=8080)),
                *every(s + timedelta(seconds=10), e, 30, lambda i, t: line(
                    t, 30, "quote computed", basket=L.uuidish(pod, i)[:8], lines=3 + i % 9,
                    cacheEntries=41000 + 2600 * i, ms=38 + i % 11))]

    container = dict(image=f"{REGISTRY}/quotes/quote-engine:6.1.4", memory_request="768Mi", memory_limit="1Gi")
    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c("quote-engine", **container)]),
            Rev(2, chg + timedelta(minutes=2), "kubectl rollout restart", [c("quote-engine", **container)])]
    for r in revs:
        r.container = {"envFrom": [{"configMapRef": {"name": "quote-engine-env"}}]}
    plans = [P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(make), memory_mi=1023,
               run_s=lambda n: 240.0 + 11 * n) for _ in range(3)]
    wl = inc.deployment("quotes", "quote-engine", revs, {2: plans})
    inc.pod_series(wl.pods)
    begin = AT4 - timedelta(hours=2)
    for h in wl.pods:
        series(inc, "nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes.",
               {"namespace": "quotes", "pod": h.name, "job": "quote-engine"}, step(3.1e8, 9.4e8, chg))
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "shop", "service": "checkout", "code": "502", "job": "checkout"},
           counter(begin, 0.01, 2.8, chg + timedelta(minutes=6)))
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "shop", "service": "checkout", "code": "200", "job": "checkout"},
           counter(begin, 31.0, 28.0, chg + timedelta(minutes=6)))
    herring(inc, "quotes", "quote-admin", f"{REGISTRY}/quotes/quote-admin", "1.12.0", "1.12.1",
            AT4 - timedelta(minutes=47))
    plant(inc, "quotes", "quote-engine-redis", "password", "quote-redis", "REDIS_PASSWORD")
    inc.slo_burn("checkout", "shop", "checkout-availability", "0.999", 16.2,
                 "checkout is failing 8.9% of requests over the last hour (objective 99.9%); 2% of the monthly "
                 "budget spent in the last hour.")
    inc.answer_key(
        culprit=("ConfigMap", "quotes", "quote-engine-env"),
        keywords=["max-old-space-size", "NODE_OPTIONS"],
        root_cause="quote-engine-env was edited to set NODE_OPTIONS=--max-old-space-size=3072 and the pods were "
                   "restarted. V8 now lets the heap grow toward 3 GB in a 1Gi container, so the kernel "
                   "OOMKills the pods (exit 137) every few minutes and checkout's quote calls fail with 502.",
        category="node-heap-ceiling-above-container-limit",
        red_herrings=[("Deployment", "quotes", "quote-admin")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 13, 15, tzinfo=UTC)


def search_requests_rejected() -> Incident:
    """An OpenSearch StatefulSet revision halves the JVM heap: the parent circuit breaker rejects searches.

    after: OpenSearch and Elasticsearch docs on sizing `-Xms/-Xmx` and the on-call pattern of
    `CircuitBreakingException: [parent] Data too large` and long old-GC pauses after a heap was cut.

    Simple: the page names search/opensearch. Revision 2 of the StatefulSet changes OPENSEARCH_JAVA_OPTS from
    -Xms4g -Xmx4g to -Xms2g -Xmx2g (memory limit unchanged at 8Gi); the nodes log G1 old-generation pauses
    and parent-breaker rejections. The red herring is search/opensearch-dashboards' release.
    """
    inc = start(search_requests_rejected, "opensearch rejecting searches", AT5, 395, namespaces=("search",))
    chg = AT5 - timedelta(minutes=35)

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def es(t: datetime, level: str, logger: str, msg: str) -> str:
            return f"[{t:%Y-%m-%dT%H:%M:%S},{t.microsecond // 1000:03d}][{level:<5}][{logger:<25}] [{pod}] {msg}"
        return [(s, es(s, "INFO", "o.o.e.NodeEnvironment", "heap size [2gb], compressed ordinary object pointers "
                       "[true]")),
                (s + timedelta(seconds=9), es(s, "INFO", "o.o.n.Node", "started")),
                *every(s + timedelta(minutes=2), e, 40, lambda i, t: es(
                    t, "WARN", "o.o.m.j.JvmGcMonitorService", f"[gc][{300 + i}] overhead, spent "
                    f"[{2 + i % 3}.{i % 10}s] collecting in the last [{3 + i % 3}.{i % 7}s]")),
                *every(s + timedelta(minutes=3), e, 25, lambda i, t: es(
                    t, "WARN", "r.suppressed", "path: /products/_search, params: {index=products}\n"
                    "org.opensearch.core.common.breaker.CircuitBreakingException: [parent] Data too large, data "
                    f"for [<http_request>] would be [{2_040_109_512 + i * 977}/1.8gb], which is larger than the "
                    "limit of [2040109465/1.8gb], real usage: [2040101120/1.8gb], new bytes reserved: "
                    "[8392/8.1kb], usages [request=0/0b, fielddata=612783021/584.3mb, in_flight_requests="
                    "8392/8.1kb]"))]

    def container(heap: str) -> Any:
        return c("opensearch", "docker.io/opensearchproject/opensearch:2.17.1", memory_request="8Gi",
                 memory_limit="8Gi", cpu_request="2", port=9200, readiness_path=None, liveness_path=None,
                 env=env(OPENSEARCH_JAVA_OPTS=f"-Xms{heap} -Xmx{heap}", DISABLE_INSTALL_DEMO_CONFIG="true"))
    wl = inc.statefulset("search", "opensearch", [container("2g")], [P(log=within(make)) for _ in range(3)], chg,
                         claims=[("data", "200Gi", "gp3")], service=9200)
    sts = wl.obj
    changed(sts, ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                'k:{"name":"opensearch"}': {"f:env": {'k:{"name":"OPENSEARCH_JAVA_OPTS"}': {"f:value": {}}}}}}}}}))
    old = json.loads(json.dumps(sts["spec"]["template"]))
    old["spec"]["containers"][0]["env"][0]["value"] = "-Xms4g -Xmx4g"
    revision(inc, "StatefulSet", "search", "opensearch", 3, inc.born + timedelta(days=20), old)
    cur = revision(inc, "StatefulSet", "search", "opensearch", 4, chg, sts["spec"]["template"])
    sts["status"]["currentRevision"] = sts["status"]["updateRevision"] = cur
    for h in wl.pods:
        h.labels["controller-revision-hash"] = cur
    begin = AT5 - timedelta(hours=2)
    for h in wl.pods:
        lab = {"cluster": "opensearch", "node": h.name, "job": "opensearch"}
        series(inc, "opensearch_jvm_mem_heap_max_bytes", "gauge", "Maximum JVM heap", dict(lab),
               step(4.29e9, 2.147e9, chg))
        series(inc, "opensearch_jvm_gc_collection_seconds_count", "counter", "GC collections",
               {**lab, "gc": "old"}, counter(begin, 0.0005, 0.3, chg))
        series(inc, "opensearch_circuitbreaker_tripped_count", "counter", "Circuit breaker trips",
               {**lab, "name": "parent"}, counter(begin, 0.0, 0.9, chg))
    herring(inc, "search", "opensearch-dashboards", "docker.io/opensearchproject/opensearch-dashboards", "2.17.0",
            "2.17.1", AT5 - timedelta(minutes=70))
    plant(inc, "search", "opensearch-admin", "password", "os-admin", "OPENSEARCH_INITIAL_ADMIN_PASSWORD")
    send(inc, [alert(inc, "OpenSearchSearchRejections", {"namespace": "search", "cluster": "opensearch",
                                                         "service": "opensearch"},
                     "opensearch is rejecting search requests",
                     "OpenSearch cluster opensearch rejected 0.9 requests/s over 10 minutes (HTTP 429).",
                     'sum(rate(opensearch_circuitbreaker_tripped_count{cluster="opensearch"}[10m])) > 0.1')],
         ["alertname", "cluster"])
    inc.answer_key(
        culprit=("StatefulSet", "search", "opensearch"),
        keywords=["Xmx2g", "heap"],
        root_cause="The opensearch StatefulSet's latest revision cut OPENSEARCH_JAVA_OPTS from -Xms4g -Xmx4g to "
                   "-Xms2g -Xmx2g, halving the JVM heap. Field data alone uses ~580MB; the parent circuit "
                   "breaker (95% of 2 GB) now "
                   "trips on ordinary searches and old-generation GC runs constantly.",
        category="search-engine-heap-cut-parent-breaker",
        red_herrings=[("Deployment", "search", "opensearch-dashboards")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 16, 10, tzinfo=UTC)


def fx_rates_stale_alert() -> Incident:
    """A rates CronJob's new image moves to a serialiser that writes UTC as `Z`: the Go reader's layout rejects it.

    after: serialiser major upgrades (such as pydantic 2) changing how aware datetimes render, and the Go
    `time.Parse` errors consumers log when a hard-coded `-07:00` layout meets a trailing `Z`.

    Victim: the alert is on fx/fx-quote serving stale rates. The fx/rates-publisher CronJob's image went
    from 2.8.1 to 3.0.0 (its requirements moved to pydantic 2); its runs succeed, but since then fx-quote
    rejects every snapshot (`cannot parse "Z" as "-07:00"`) and keeps the last good one. The red herring is
    fx/fx-admin's release.
    """
    inc = start(fx_rates_stale_alert, "fx rates stale", AT6, 396, namespaces=("fx",))
    chg = AT6 - timedelta(hours=3, minutes=50)
    first_bad = AT6 - timedelta(hours=3, minutes=45)
    job_image = f"{REGISTRY}/fx/rates-publisher:3.0.0"
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "rates-publisher", "namespace": "fx", "generation": 6,
                                 "labels": {"app": "rates-publisher", "app.kubernetes.io/version": "3.0.0"}},
                    "spec": {"schedule": "*/15 * * * *", "concurrencyPolicy": "Forbid",
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1, "suspend": False,
                             "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                                 "restartPolicy": "Never",
                                 "containers": [{"name": "publisher", "image": job_image,
                                                 "args": ["publish", "--bucket", "fx-rates-prod"]}]}}}}},
                    "status": {"lastScheduleTime": ts(AT6 - timedelta(minutes=10)),
                               "lastSuccessfulTime": ts(AT6 - timedelta(minutes=9))}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=5), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:metadata": {"f:labels": {"f:app.kubernetes.io/version": {}}},
                                     "f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {
                                         "f:containers": {'k:{"name":"publisher"}': {"f:image": {}}}}}}}}}))
    stamp = AT6 - timedelta(minutes=10)
    for i in range(3):
        run = stamp - timedelta(minutes=15 * i)
        jname = f"rates-publisher-{int(run.timestamp()) // 60}"
        inc.add({"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": jname, "namespace": "fx", "creationTimestamp": ts(run),
                              "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                                   "name": "rates-publisher", "controller": True,
                                                   "uid": cron["metadata"]["uid"]}]},
                 "spec": {"backoffLimit": 1, "template": {"spec": {"containers": [
                     {"name": "publisher", "image": job_image}]}}},
                 "status": {"startTime": ts(run), "completionTime": ts(run + timedelta(seconds=41)),
                            "succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}})

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        good = (s + timedelta(seconds=2), L.go_std(s, "fx-quote 1.14.2: serving on :8080"))

        def tick(i: int, t: datetime) -> str | None:
            slot = t.replace(minute=t.minute - t.minute % 15, second=0) + timedelta(minutes=1)
            if t < first_bad:
                return L.go_std(t, f"rates: loaded snapshot {slot:%Y-%m-%dT%H:%M:%S}+00:00 (171 pairs)")
            return L.go_std(t, f"rates: rejecting snapshot s3://fx-rates-prod/latest.json: parsing time "
                               f"\"{slot:%Y-%m-%dT%H:%M:%S}Z\" as \"2006-01-02T15:04:05-07:00\": cannot parse "
                               "\"Z\" as \"-07:00\"; keeping snapshot 2026-12-03T12:15:00+00:00")
        return [good, *every(s + timedelta(minutes=1), e, 900, tick)]

    wl = app(inc, "fx", "fx-quote", make)
    begin = AT6 - timedelta(hours=2)
    last_good = datetime(2026, 12, 3, 12, 15, tzinfo=UTC).timestamp()
    for h in wl.pods:
        series(inc, "fx_rates_snapshot_timestamp_seconds", "gauge", "Time of the rates snapshot in use.",
               {"namespace": "fx", "pod": h.name, "job": "fx-quote"}, lambda t: last_good)
        series(inc, "fx_rates_snapshot_rejected_total", "counter", "Snapshots that failed to load.",
               {"namespace": "fx", "pod": h.name, "job": "fx-quote"}, counter(begin, 0.0, 1 / 900, first_bad))
    herring(inc, "fx", "fx-admin", f"{REGISTRY}/fx/fx-admin", "0.8.0", "0.8.1", AT6 - timedelta(minutes=25))
    plant(inc, "fx", "rates-publisher-aws", "aws", "fx-s3", "AWS_ACCESS_KEY_ID")
    inc.alertmanager("FxRatesStale", {"namespace": "fx", "service": "fx-quote", "job": "fx-quote"},
                     "fx-quote is serving exchange rates older than 1 hour",
                     "fx-quote's rates snapshot is 3h55m old; quotes are priced on stale rates.",
                     'time() - max(fx_rates_snapshot_timestamp_seconds{namespace="fx"}) > 3600', severity="critical",
                     runbook="https://runbooks.example.com/alerts/fxratesstale")
    inc.answer_key(
        culprit=("CronJob", "fx", "rates-publisher"),
        keywords=["-07:00", "cannot parse"],
        root_cause="The rates-publisher CronJob's image went to 3.0.0, whose serialiser now writes UTC times "
                   "with a trailing Z instead of +00:00. fx-quote parses snapshot times with the fixed layout "
                   "2006-01-02T15:04:05-07:00, rejects every new snapshot (cannot parse \"Z\" as \"-07:00\") "
                   "and keeps serving the 12:15 rates.",
        category="serialiser-upgrade-time-format-consumer-parse",
        red_herrings=[("Deployment", "fx", "fx-admin")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def merch_search_errors_alert() -> Incident:
    """An env Secret gains HTTP_PROXY/HTTPS_PROXY without NO_PROXY: the HTTP library sends internal calls to the proxy.

    after: the HTTP libraries' documented proxy-environment precedence (requests and urllib honour
    HTTP_PROXY for every host not in NO_PROXY) and postmortems of in-cluster calls denied by an egress proxy.

    Victim: the alert is on merch/merch-search's 5xx. External Secrets wrote merch/merch-search-env with
    proxy variables for a new vendor feed; Reloader restarted merch-search; its stock calls to
    inventory.merch.svc now go through the Squid egress proxy, which answers TCP_DENIED/403. inventory
    itself is healthy and sees less traffic. The red herring is merch/inventory's own release.
    """
    inc = start(merch_search_errors_alert, "merch-search errors", AT7, 397, namespaces=("merch", "egress"))
    chg = AT7 - timedelta(minutes=16)
    key = inc.canary("token", "vendor-feed")
    inc.secret("merch", "merch-search-env", {"HTTP_PROXY": "http://egress-proxy.egress.svc:3128",
                                             "HTTPS_PROXY": "http://egress-proxy.egress.svc:3128",
                                             "VENDOR_FEED_URL": "https://feeds.vendor-a.example/v3",
                                             "VENDOR_FEED_TOKEN": key,
                                             "INVENTORY_URL": "http://inventory.merch.svc.cluster.local:8080"})
    sec = inc.find("Secret", "merch", "merch-search-env")
    sec["metadata"]["labels"] = {"reconcile.external-secrets.io/managed": "true"}
    sec["metadata"]["ownerReferences"] = [{"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
                                           "name": "merch-search-env", "controller": True,
                                           "uid": "5b0e7a62-2d1f-4c55-9e6b-8f0c1a7d2e91"}]
    changed(sec, ("external-secrets", "Update", inc.born + timedelta(days=5), {"f:data": {
                ".": {}, "f:INVENTORY_URL": {}}}),
            ("external-secrets", "Update", chg, {"f:data": {"f:HTTP_PROXY": {}, "f:HTTPS_PROXY": {},
                                                            "f:VENDOR_FEED_URL": {}, "f:VENDOR_FEED_TOKEN": {}}}))

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def bad(i: int, t: datetime) -> str:
            url = f"http://inventory.merch.svc.cluster.local:8080/v2/stock?sku=MS-{77100 + i}"
            return (L.pylog(t, "ERROR", "merch_search.stock", f"stock lookup failed for {url}") +
                    "\nTraceback (most recent call last):\n  File \"/app/merch_search/stock.py\", line 48, in "
                    "lookup\n    resp.raise_for_status()\n  File \"/usr/local/lib/python3.12/site-packages/"
                    "requests/models.py\", line 1024, in raise_for_status\n    raise HTTPError(http_error_msg, "
                    f"response=self)\nrequests.exceptions.HTTPError: 403 Client Error: Forbidden for url: {url}")
        return [(s, L.pylog(s, "INFO", "gunicorn.error", "Starting gunicorn 23.0.0")),
                (s, L.pylog(s, "INFO", "gunicorn.error", "Listening at: http://0.0.0.0:8080 (1)")),
                *every(s + timedelta(seconds=6), e, 12, bad)]

    revs = [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                [c("merch-search", f"{REGISTRY}/merch/merch-search:5.2.0")]),
            Rev(2, chg + timedelta(minutes=1), "reloader", [c("merch-search", f"{REGISTRY}/merch/merch-search:5.2.0")])]
    for r in revs:
        r.container = {"envFrom": [{"secretRef": {"name": "merch-search-env"}}]}
    inc.deployment("merch", "merch-search", revs, {2: [P(log=within(make)) for _ in range(3)]},
                   annotations={"reloader.stakater.com/auto": "true"})

    def squid(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 4, lambda i, t: f"{t.timestamp():.3f}      0 10.244.{2 + i % 3}.{40 + i % 9} "
                     "TCP_DENIED/403 3921 GET http://inventory.merch.svc.cluster.local:8080/v2/stock?sku="
                     f"MS-{77100 + i} - HIER_NONE/- text/html" if t > chg else
                     f"{t.timestamp():.3f}    {180 + i % 40} 10.244.1.{20 + i % 5} TCP_TUNNEL/200 {8100 + i} "
                     "CONNECT api.carrier-x.example:443 - HIER_DIRECT/203.0.113.20 -")
    app(inc, "egress", "egress-proxy", squid, replicas=2, port=3128)
    begin = AT7 - timedelta(hours=2)
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "merch", "service": "merch-search", "code": "500", "job": "merch-search"},
           counter(begin, 0.02, 4.1, chg + timedelta(minutes=1)))
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "merch", "service": "inventory", "code": "200", "job": "inventory"},
           counter(begin, 19.0, 1.2, chg + timedelta(minutes=1)))
    herring(inc, "merch", "inventory", f"{REGISTRY}/merch/inventory", "8.4.0", "8.4.1", AT7 - timedelta(minutes=28))
    plant(inc, "merch", "merch-search-db", "password", "merch-db", "DATABASE_PASSWORD")
    send(inc, [alert(inc, "HighErrorRate", {"namespace": "merch", "service": "merch-search", "job": "merch-search"},
                     "merch-search 5xx ratio above 5%",
                     "merch-search is answering 18% of requests with 5xx over the last 10 minutes.",
                     'sum(rate(http_requests_total{service="merch-search",code=~"5.."}[10m])) / '
                     'sum(rate(http_requests_total{service="merch-search"}[10m])) > 0.05', "critical")],
         ["alertname", "service"])
    inc.answer_key(
        culprit=("Secret", "merch", "merch-search-env"),
        keywords=["HTTP_PROXY", "NO_PROXY"],
        root_cause="External Secrets added HTTP_PROXY/HTTPS_PROXY (for a vendor feed) to merch-search-env with no "
                   "NO_PROXY. After Reloader restarted merch-search, requests sends its in-cluster calls to "
                   "inventory through the Squid egress proxy, which denies them (TCP_DENIED/403).",
        category="proxy-env-applies-to-internal-calls",
        red_herrings=[("Deployment", "merch", "inventory")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 11, 40, tzinfo=UTC)
JTO = "-XX:ActiveProcessorCount=1 -XX:+ExitOnOutOfMemoryError"


def order_pricing_latency_alert() -> Incident:
    """A cluster-wide Kyverno policy injects `-XX:ActiveProcessorCount=1` into JVMs: Serial GC and one-thread pools.

    after: JVM ergonomics as documented (with one processor the JVM is not server-class and picks the Serial
    collector; common-pool parallelism follows the count) and platform-team postmortems of blanket
    JAVA_TOOL_OPTIONS injected by an admission policy.

    Victim: the alert is on orders/order-pricing's p99. ClusterPolicy inject-jvm-defaults gained
    JAVA_TOOL_OPTIONS for pods labelled runtime=jvm. order-pricing's own release (the red herring) recreated
    its pods after that, so they were mutated: the JVM prints "Picked up JAVA_TOOL_OPTIONS", GC logs say
    "Using Serial", and stop-the-world pauses of ~0.8 s line up with the latency.
    """
    inc = start(order_pricing_latency_alert, "order-pricing slow", AT8, 398, namespaces=("orders",))
    chg = AT8 - timedelta(minutes=50)
    rollout = AT8 - timedelta(minutes=21)
    policy = {"background": False, "validationFailureAction": "Audit", "rules": [{
        "name": "jvm-tool-options",
        "match": {"any": [{"resources": {"kinds": ["Pod"], "operations": ["CREATE"],
                                         "selector": {"matchLabels": {"app.kubernetes.io/runtime": "jvm"}}}}]},
        "mutate": {"foreach": [{"list": "request.object.spec.containers", "patchStrategicMerge": {"spec": {
            "containers": [{"(name)": "{{ element.name }}",
                            "env": [{"name": "JAVA_TOOL_OPTIONS", "value": JTO}]}]}}}]}}]}
    custom(inc, "ClusterPolicy", "kyverno.io/v1", "clusterpolicies", "", "inject-jvm-defaults", policy,
           {"ready": True, "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded"}],
            "rulecount": {"validate": 0, "mutate": 1, "generate": 0, "verifyimages": 0}},
           "kubectl-client-side-apply", chg,
           {"f:spec": {"f:rules": {}}, "f:metadata": {"f:annotations": {
               "f:kubectl.kubernetes.io/last-applied-configuration": {}}}},
           scope="Cluster", generation=4, first="kubectl-client-side-apply")

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        gc = every(s + timedelta(seconds=30), e, 9, lambda i, t: (
            f"[{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}+0000][gc] GC({40 + i}) Pause Young (Allocation "
            f"Failure) 1187M->{402 + i % 60}M(1536M) {610 + (i * 37) % 290}.{i % 10}ms"))
        return [(s, f"Picked up JAVA_TOOL_OPTIONS: {JTO}"),
                (s, f"[{s:%Y-%m-%dT%H:%M:%S}.000+0000][gc] Using Serial"),
                (s + timedelta(seconds=9), L.spring(s, "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                                    "Tomcat started on port 8080 (http) with context path '/'")),
                (s + timedelta(seconds=9), L.spring(s, "INFO", "c.e.orders.pricing.PricingApplication",
                                                    "Started PricingApplication in 8.912 seconds (process "
                                                    "running for 9.644)")), *gc]

    base = dict(memory_request="2Gi", memory_limit="2Gi", cpu_request="2", cpu_limit="4")
    wl = rolled(inc, "orders", "order-pricing", {"image": f"{REGISTRY}/orders/order-pricing:5.3.0", **base},
                {"image": f"{REGISTRY}/orders/order-pricing:5.3.1", **base}, rollout,
                [P(log=within(make)) for _ in range(3)])
    for h in wl.pods:
        h.labels["app.kubernetes.io/runtime"] = "jvm"

        def mutate(pod: dict[str, Any]) -> None:
            pod["spec"]["containers"][0].setdefault("env", []).append({"name": "JAVA_TOOL_OPTIONS", "value": JTO})
            pod["metadata"].setdefault("annotations", {})["policies.kyverno.io/last-applied-patches"] = (
                "inject-jvm-defaults.jvm-tool-options.kyverno.io: added /spec/containers/0/env/0\n")
        inc.cluster.patch("orders", h.name, mutate)
    wl.obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/runtime"] = "jvm"
    begin = AT8 - timedelta(hours=2)
    latency(inc, "orders", "order-pricing", 0.97, 0.41, rollout)
    for h in wl.pods:
        series(inc, "jvm_gc_pause_seconds_sum", "counter", "Time spent in GC pause",
               {"namespace": "orders", "pod": h.name, "gc": "Copy", "action": "end of minor GC",
                "job": "order-pricing"}, counter(begin, 0.0, 0.075, rollout))
        series(inc, "system_cpu_count", "gauge", "The number of processors available to the Java virtual machine",
               {"namespace": "orders", "pod": h.name, "job": "order-pricing"}, step(4, 1, rollout))
    plant(inc, "orders", "order-pricing-db", "password", "pricing-db", "SPRING_DATASOURCE_PASSWORD")
    send(inc, [alert(inc, "HighRequestLatency", {"namespace": "orders", "service": "order-pricing",
                                                 "job": "order-pricing"},
                     "order-pricing p99 latency above 500ms",
                     "order-pricing's p99 latency has been 1.4s for 15 minutes (usual: 180ms).",
                     'histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket'
                     '{service="order-pricing"}[5m]))) > 0.5')], ["alertname", "service"])
    inc.answer_key(
        culprit=("ClusterPolicy", "", "inject-jvm-defaults"),
        keywords=["ActiveProcessorCount", "JAVA_TOOL_OPTIONS"],
        root_cause="The cluster-wide Kyverno ClusterPolicy inject-jvm-defaults was changed to add "
                   "JAVA_TOOL_OPTIONS=-XX:ActiveProcessorCount=1 to new JVM pods. order-pricing's pods, "
                   "recreated by its release, now believe they have one CPU: the JVM picks the Serial collector "
                   "and sizes its pools for one core, so young-GC pauses of ~0.6-0.9 s drive p99 to 1.4 s.",
        category="admission-policy-injects-jvm-processor-count",
        red_herrings=[("Deployment", "orders", "order-pricing")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 15, 20, tzinfo=UTC)


def billing_gateway_traces_question() -> Incident:
    """An OpenTelemetry Instrumentation bumps the Java agent to 2.x: its default OTLP protocol becomes http/protobuf.

    after: the Java agent's 2.0 release notes (the exporter protocol default moved from grpc to
    http/protobuf) and the issue threads where an endpoint still pointing at the gRPC port 4317 silently loses
    every span.

    Chat question naming only the workload. Instrumentation billing/java spec.java.image went from
    autoinstrumentation-java:1.33.6 to 2.10.0 with exporter endpoint http://otel-collector.observability:4317
    unchanged; billing-gateway's pods recreated by its release since then run agent 2.10.0 and log "Failed
    to export spans"; the collector's gRPC receiver stops accepting spans from billing. The red herring is
    the otel-collector's own release.
    """
    inc = start(billing_gateway_traces_question, "billing-gateway traces missing", AT9, 399,
                namespaces=("billing", "observability"))
    chg = AT9 - timedelta(hours=2, minutes=10)
    rollout = AT9 - timedelta(minutes=55)
    new_image = "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:2.10.0"
    custom(inc, "Instrumentation", "opentelemetry.io/v1alpha1", "instrumentations", "billing", "java",
           {"exporter": {"endpoint": "http://otel-collector.observability:4317"},
            "propagators": ["tracecontext", "baggage"], "sampler": {"type": "parentbased_traceidratio",
                                                                    "argument": "0.25"},
            "java": {"image": new_image, "env": [{"name": "OTEL_INSTRUMENTATION_JDBC_ENABLED", "value": "true"}]}},
           {}, "argocd-controller", chg,
           {"f:spec": {"f:java": {"f:image": {}}}}, generation=5)

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def agent(t: datetime, thread: str, level: str, logger: str, msg: str) -> str:
            return (f"[otel.javaagent {t:%Y-%m-%d %H:%M:%S}:{t.microsecond // 1000:03d} +0000] [{thread}] {level} "
                    f"{logger} - {msg}")
        return [(s, agent(s, "main", "INFO", "io.opentelemetry.javaagent.tooling.VersionLogger",
                          "opentelemetry-javaagent - version: 2.10.0")),
                (s + timedelta(seconds=11), L.spring(s, "INFO", "c.e.billing.gateway.GatewayApplication",
                                                     "Started GatewayApplication in 10.402 seconds")),
                *every(s + timedelta(seconds=20), e, 30, lambda i, t: agent(
                    t, "OkHttp http://otel-collector.observability:4317/...", "WARN",
                    "io.opentelemetry.exporter.internal.http.HttpExporter",
                    "Failed to export spans. The request could not be executed. Full error message: unexpected "
                    "end of stream on http://otel-collector.observability:4317/...")),
                *every(s + timedelta(seconds=25), e, 20, lambda i, t: L.spring(
                    t, "INFO", "c.e.billing.gateway.InvoiceController", f"POST /v1/charges 201 in {41 + i % 30}ms",
                    thread=f"http-nio-8080-exec-{1 + i % 10}"))]

    revs = [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                [c("billing-gateway", f"{REGISTRY}/billing/billing-gateway:7.1.3")]),
            Rev(2, rollout, "helm upgrade", [c("billing-gateway", f"{REGISTRY}/billing/billing-gateway:7.2.0")])]
    wl = inc.deployment("billing", "billing-gateway", revs, {2: [P(log=within(make)) for _ in range(2)]})
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {})[
        "instrumentation.opentelemetry.io/inject-java"] = "java"
    for h in wl.pods:
        def inject(pod: dict[str, Any]) -> None:
            pod["metadata"].setdefault("annotations", {})["instrumentation.opentelemetry.io/inject-java"] = "java"
            pod["spec"]["initContainers"] = [{"name": "opentelemetry-auto-instrumentation-java", "image": new_image,
                                              "command": ["cp", "/javaagent.jar",
                                                          "/otel-auto-instrumentation-java/javaagent.jar"]}]
            pod["spec"]["containers"][0].setdefault("env", []).extend([
                {"name": "JAVA_TOOL_OPTIONS", "value": " -javaagent:/otel-auto-instrumentation-java/javaagent.jar"},
                {"name": "OTEL_SERVICE_NAME", "value": "billing-gateway"},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}])
        inc.cluster.patch("billing", h.name, inject)
    herring(inc, "observability", "otel-collector", "docker.io/otel/opentelemetry-collector-contrib", "0.114.0",
            "0.115.1", AT9 - timedelta(minutes=80))
    begin = AT9 - timedelta(hours=2)
    series(inc, "otelcol_receiver_accepted_spans_total", "counter", "Number of spans successfully pushed into "
           "the pipeline.", {"receiver": "otlp", "transport": "grpc", "service_namespace": "billing",
                             "job": "otel-collector"}, counter(begin, 42.0, 0.0, rollout + timedelta(minutes=2)))
    series(inc, "otelcol_receiver_accepted_spans_total", "counter", "Number of spans successfully pushed into "
           "the pipeline.", {"receiver": "otlp", "transport": "grpc", "service_namespace": "shop",
                             "job": "otel-collector"}, counter(begin, 130.0, 131.0, rollout))
    plant(inc, "billing", "billing-gateway-psp", "stripe", "gateway-psp", "PSP_API_KEY")
    inc.ask("Tempo has had no traces from billing-gateway since roughly 14:25 - the service itself looks fine "
            "and other services' traces still arrive. Can someone find out why?")
    inc.answer_key(
        culprit=("Instrumentation", "billing", "java"),
        keywords=["http/protobuf", "4317"],
        root_cause="The billing Instrumentation's Java agent image went from 1.33.6 to 2.10.0. Agent 2.x exports "
                   "OTLP over http/protobuf by default, but the endpoint still points at the collector's gRPC "
                   "port 4317, so every export from the re-created billing-gateway pods fails and no spans "
                   "reach Tempo.",
        category="agent-upgrade-default-otlp-protocol",
        red_herrings=[("Deployment", "observability", "otel-collector")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 5, 8, 35, tzinfo=UTC)


def product_pages_failing_page() -> Incident:
    """A feature flag turns on an in-process cache with no size bound: the Node service's heap fills and aborts.

    after: in-process caches without a max size or TTL (a Map used as a cache) behind a flag, and the V8
    "Reached heap limit ... JavaScript heap out of memory" crashes that follow once real traffic fills them.

    Victim page (PagerDuty on the storefront's product pages). FeatureFlag shop/catalog-flags had
    `product-response-cache` switched to `on` by a person's kubectl edit; flagd in product-api's pods
    picked it up; the heap climbs to the 2 GB old-space limit and each process aborts (exit 134) after
    ~20 minutes, taking in-flight requests with it. The red herring is shop/catalog-admin's release.
    """
    inc = start(product_pages_failing_page, "product pages failing", AT10, 400)
    chg = AT10 - timedelta(minutes=48)
    flags = {"flagSpec": {"flags": {
        "product-response-cache": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                   "defaultVariant": "on"},
        "new-gallery": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "off",
                        "targeting": {"fractional": [["on", 10], ["off", 90]]}}}}}
    custom(inc, "FeatureFlag", "core.openfeature.dev/v1beta1", "featureflags", "shop", "catalog-flags", flags, {},
           "kubectl-edit", chg,
           {"f:spec": {"f:flagSpec": {"f:flags": {"f:product-response-cache": {"f:defaultVariant": {}}}}}},
           generation=12)

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def line(t: datetime, level: int, msg: str, **kw: Any) -> str:
            return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                               **kw, "msg": msg}, separators=(",", ":"))
        out = [(s, line(s, 30, "product-api listening", port=8080)),
               (s + timedelta(seconds=1), line(s, 30, "flag provider ready", provider="flagd",
                                               flags=["product-response-cache", "new-gallery"])),
               *every(s + timedelta(seconds=5), e, 30, lambda i, t: line(
                   t, 30, "request completed", req={"method": "GET", "url": f"/v2/products/{88000 + i * 37}"},
                   res={"statusCode": 200}, responseTime=12 + i % 9))]
        if s > chg:
            out.append((e - timedelta(seconds=1), "\n<--- Last few GCs --->\n\n[1:0x5b8d7c0]  1184021 ms: "
                        "Mark-Compact 2039.6 (2082.9) -> 2031.8 (2083.2) MB, 1688.31 / 0.00 ms  (average mu = 0.091, "
                        "current mu = 0.012) allocation failure; scavenge might not succeed\n\n\n<--- JS stacktrace "
                        "--->\n\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"))
        return out

    revs = [Rev(1, inc.born + timedelta(days=13), "helm upgrade",
                [c("product-api", f"{REGISTRY}/shop/product-api:9.3.1", memory_request="2Gi", memory_limit="2560Mi",
                   env=env(NODE_OPTIONS="--max-old-space-size=2048", FLAGD_HOST="localhost")),
                 c("flagd", "ghcr.io/open-feature/flagd:v0.11.4", port=8013, readiness_path=None,
                   liveness_path=None)])]
    plans = [P(state="crashloop", reason="Error", exit_code=134, log=within(make), memory_mi=2190,
               run_s=lambda n: 1180.0 + 40 * n, crash_from=chg + timedelta(minutes=20)) for _ in range(3)]
    wl = inc.deployment("shop", "product-api", revs, {1: plans})
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {})[
        "openfeature.dev/featureflagsource"] = "shop/catalog-flags"
    for h in wl.pods:
        h.logs["flagd"] = L.lines([(chg + timedelta(seconds=2), json.dumps(
            {"level": "info", "ts": round(chg.timestamp() + 2, 3), "caller": "sync/kubernetes/kubernetes_sync.go:142",
             "msg": "configuration modified", "component": "sync", "sync": "kubernetes",
             "uri": "core.openfeature.dev/shop/catalog-flags"}, separators=(",", ":")))])
    inc.pod_series(wl.pods)
    for h in wl.pods:
        series(inc, "nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes.",
               {"namespace": "shop", "pod": h.name, "job": "product-api"},
               lambda t: 6.1e8 if t < chg else 6.1e8 + 1.2e6 * ((t - chg).total_seconds() % 1200))
    herring(inc, "shop", "catalog-admin", f"{REGISTRY}/shop/catalog-admin", "3.0.2", "3.1.0",
            AT10 - timedelta(minutes=36))
    plant(inc, "shop", "product-api-cdn", "token", "cdn-purge", "CDN_PURGE_TOKEN")
    inc.pagerduty("Storefront: product detail pages failing intermittently (5xx 7%)", "Storefront")
    inc.answer_key(
        culprit=("FeatureFlag", "shop", "catalog-flags"),
        keywords=["product-response-cache", "heap out of memory"],
        root_cause="Someone switched the product-response-cache flag in FeatureFlag catalog-flags to on. The "
                   "cache it enables keeps every response with no size bound, so product-api's heap grows to "
                   "its 2 GB old-space limit and V8 aborts (JavaScript heap out of memory, exit 134) about every "
                   "20 minutes, failing in-flight product requests.",
        category="flag-enables-unbounded-in-process-cache",
        red_herrings=[("Deployment", "shop", "catalog-admin")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 10, 55, tzinfo=UTC)


def ledger_sync_restarts_page() -> Incident:
    """A namespace LimitRange gains a default memory limit: a JVM with a fixed -Xmx above it is OOMKilled.

    after: Kubernetes' LimitRange defaults applied at admission to containers that set no limit, and
    postmortems where a fixed heap (`-Xmx`) sized for an unlimited container meets the new default.

    Victim page (PagerDuty). The platform team applied LimitRange payments/default-limits with a 1Gi default
    memory limit; ledger-sync sets no limit and runs -Xms1536m -Xmx1536m. Its pods recreated since (node
    upgrade drain) carry the LimitRanger annotation and limit and are OOMKilled (exit 137) without any Java
    OutOfMemoryError. The red herring is payments/ledger-reports' release.
    """
    inc = start(ledger_sync_restarts_page, "ledger sync restarting", AT11, 401)
    chg = AT11 - timedelta(hours=1, minutes=35)
    lr = inc.add({"apiVersion": "v1", "kind": "LimitRange",
                  "metadata": {"name": "default-limits", "namespace": "payments",
                               "creationTimestamp": ts(chg),
                               "labels": {"app.kubernetes.io/managed-by": "platform-baseline"}},
                  "spec": {"limits": [{"type": "Container", "default": {"memory": "1Gi", "cpu": "2"},
                                       "defaultRequest": {"memory": "256Mi", "cpu": "100m"}}]}})
    changed(lr, ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:limits": {}}}))

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, L.spring(s, "INFO", "c.e.payments.ledgersync.LedgerSyncApplication",
                             "Starting LedgerSyncApplication v2.9.4 using Java 21.0.5")),
                (s + timedelta(seconds=7), L.spring(s, "INFO", "o.s.k.l.KafkaMessageListenerContainer",
                                                    "ledger-sync: partitions assigned: [ledger-entries-0, "
                                                    "ledger-entries-1, ledger-entries-2]",
                                                    thread="ntainer#0-0-C-1")),
                *every(s + timedelta(seconds=15), e, 20, lambda i, t: L.spring(
                    t, "INFO", "c.e.payments.ledgersync.BatchWriter", f"flushed {480 + i % 50} entries, "
                    f"offset {912000 + 500 * i}", thread="ntainer#0-0-C-1"))]

    rev = Rev(1, inc.born + timedelta(days=16), "helm upgrade",
              [c("ledger-sync", f"{REGISTRY}/payments/ledger-sync:2.9.4", memory_request="1536Mi",
                 env=env(JAVA_OPTS="-Xms1536m -Xmx1536m -XX:+UseG1GC"))],
              container={"resources": {"requests": {"cpu": "500m", "memory": "1536Mi"}}})
    plans = [P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(make), memory_mi=1024,
               run_s=lambda n: 150.0 + 9 * n, created=chg + timedelta(minutes=20 + 3 * i)) for i in range(2)]
    wl = inc.deployment("payments", "ledger-sync", [rev], {1: plans})
    for h in wl.pods:
        def limit(pod: dict[str, Any]) -> None:
            pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "500m", "memory": "1536Mi"},
                                                         "limits": {"cpu": "2", "memory": "1Gi"}}
            pod["metadata"].setdefault("annotations", {})["kubernetes.io/limit-ranger"] = (
                "LimitRanger plugin set: cpu, memory limit for container ledger-sync")
        inc.cluster.patch("payments", h.name, limit)
    inc.pod_series(wl.pods)
    series(inc, "kafka_consumergroup_lag", "gauge", "Current approximate lag of a consumer group.",
           {"consumergroup": "ledger-sync", "topic": "ledger-entries", "job": "kafka-exporter"},
           lambda t: 40.0 if t < chg + timedelta(minutes=20) else 40 + 310 * (t - chg).total_seconds() / 60)
    series(inc, "jvm_memory_max_bytes", "gauge", "The maximum amount of memory in bytes that can be used",
           {"namespace": "payments", "area": "heap", "id": "G1 Old Gen", "job": "ledger-sync"}, lambda t: 1.61e9)
    herring(inc, "payments", "ledger-reports", f"{REGISTRY}/payments/ledger-reports", "1.4.0", "1.5.0",
            AT11 - timedelta(minutes=50))
    plant(inc, "payments", "ledger-sync-kafka", "password", "ledger-sasl", "KAFKA_SASL_PASSWORD")
    inc.pagerduty("Ledger: entries not reaching the ledger (consumer lag 28k and rising)", "Payments Ledger")
    inc.answer_key(
        culprit=("LimitRange", "payments", "default-limits"),
        keywords=["LimitRange", "Xmx1536m", "1Gi"],
        root_cause="A new LimitRange default-limits in payments gives containers without a memory limit a 1Gi "
                   "default. ledger-sync sets no limit and a fixed heap (-Xmx1536m); its recreated pods got the 1Gi "
                   "limit at admission and are OOMKilled as the heap grows past it, so the consumer lag climbs.",
        category="namespace-default-limit-under-fixed-heap",
        red_herrings=[("Deployment", "payments", "ledger-reports")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 13, 45, tzinfo=UTC)


def feed_builder_alerts_grouped() -> Incident:
    """A client revision raises its batch size: each gRPC request now exceeds the server's default 4 MiB receive limit.

    after: gRPC's default maximum receive message size (4 MiB in the main implementations) and the
    RESOURCE_EXHAUSTED "received message larger than max" failures teams hit after enlarging batches.

    Simple: the three grouped alerts are about merch/feed-builder. Its revision 2 changes FEED_BATCH_SIZE from
    800 to 5000 SKUs; every UpsertProducts call (~6 MB) is refused by the search-indexer's grpc-go server,
    which is unchanged and healthy. The red herring is merch/search-indexer's config-only release an hour
    earlier.
    """
    inc = start(feed_builder_alerts_grouped, "feed-builder alerts", AT12, 402, namespaces=("merch",))
    chg = AT12 - timedelta(minutes=26)

    def make(pod: str, s: datetime, e: datetime) -> Lines:
        def line(t: datetime, level: str, msg: str, **kw: Any) -> str:
            return json.dumps({"time": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                               "level": level, "msg": msg, **kw}, separators=(",", ":"))
        return [(s, line(s, "INFO", "feed-builder starting", version="4.1.0", batch_size=5000)),
                *every(s + timedelta(seconds=20), e, 30, lambda i, t: line(
                    t, "ERROR", "upsert batch failed", batch=1 + i % 37, skus=5000,
                    error="rpc error: code = ResourceExhausted desc = grpc: received message larger than max "
                          f"({6_291_000 + 733 * (i % 40)} vs. 4194304)",
                    target="search-indexer.merch.svc:9090"))]

    base = {"image": f"{REGISTRY}/merch/feed-builder:4.1.0"}
    rolled(inc, "merch", "feed-builder", {**base, "env": env(FEED_BATCH_SIZE="800")},
                {**base, "env": env(FEED_BATCH_SIZE="5000")}, chg, [P(log=within(make))])
    herring(inc, "merch", "search-indexer", f"{REGISTRY}/merch/search-indexer", "3.3.0", "3.3.1",
            AT12 - timedelta(minutes=65))
    begin = AT12 - timedelta(hours=2)
    series(inc, "grpc_client_handled_total", "counter", "Total number of RPCs completed by the client.",
           {"grpc_method": "UpsertProducts", "grpc_service": "search.v1.Indexer", "grpc_code": "ResourceExhausted",
            "job": "feed-builder"}, counter(begin, 0.0, 1 / 30, chg))
    series(inc, "grpc_client_handled_total", "counter", "Total number of RPCs completed by the client.",
           {"grpc_method": "UpsertProducts", "grpc_service": "search.v1.Indexer", "grpc_code": "OK",
            "job": "feed-builder"}, counter(begin, 0.2, 0.0, chg))
    series(inc, "grpc_server_msg_received_total", "counter", "Total number of RPC stream messages received.",
           {"grpc_method": "Search", "grpc_service": "search.v1.Indexer", "job": "search-indexer"},
           counter(begin, 55.0, 56.0, chg))
    plant(inc, "merch", "feed-builder-gcs", "aws-secret", "feed-bucket", "AWS_SECRET_ACCESS_KEY")
    labels = {"namespace": "merch", "service": "feed-builder", "job": "feed-builder"}
    send(inc, [alert(inc, "FeedBuilderBatchFailures", labels, "feed-builder batches failing",
                     "feed-builder has completed no UpsertProducts batch for 20 minutes.",
                     'sum(rate(grpc_client_handled_total{job="feed-builder",grpc_code="OK"}[10m])) == 0',
                     "critical"),
               alert(inc, "FeedBuilderErrorLogs", labels, "feed-builder logging errors",
                     "feed-builder logs 2 errors per minute.",
                     'sum(rate(log_messages_total{job="feed-builder",level="error"}[5m])) > 0'),
               alert(inc, "ProductIndexStale", labels, "product index older than 15 minutes",
                     "Newest indexed product update is 24 minutes old.",
                     'time() - max(search_index_last_update_timestamp_seconds) > 900')],
         ["namespace", "service"])
    inc.answer_key(
        culprit=("Deployment", "merch", "feed-builder"),
        keywords=["FEED_BATCH_SIZE", "larger than max", "4194304"],
        root_cause="Revision 2 of feed-builder raised FEED_BATCH_SIZE from 800 to 5000. Each UpsertProducts "
                   "request is now about 6 MB, above the gRPC server's default 4 MiB receive limit, so "
                   "search-indexer refuses every batch with ResourceExhausted (received message larger than max, "
                   "limit 4194304) and the product index goes stale.",
        category="grpc-request-exceeds-default-max-receive",
        red_herrings=[("Deployment", "merch", "search-indexer")])
    return inc


ALL = [invoice_api_oomkilled, node_cpu_pegged_agent_question, product_prices_missing_page,
       checkout_errors_budget_burn, search_requests_rejected, fx_rates_stale_alert, merch_search_errors_alert,
       order_pricing_latency_alert, billing_gateway_traces_question, product_pages_failing_page,
       ledger_sync_restarts_page, feed_builder_alerts_grouped]
