"""Round 21 of the held-out incident set: gray failures on a busy shared platform.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). Most are partial degradations (one node, one tenant, a fraction of requests, p99 but not p50)
whose page names a victim while the change sits in a shared piece (a connection pooler, a mesh or
gateway setting, a node pool, a DaemonSet agent, an autoscaler, a quota), usually in another namespace;
three are simple (the cause is in the paged object's own spec and logs). Log lines follow the real
software's formats (PgBouncer, psycopg2, Parca agent logfmt, Karpenter JSON, Envoy Gateway JSON access
logs, Spring Boot, zap JSON, etcd, gunicorn, pino, nginx, Istio's Envoy access log).
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


def ramp(before: float, after: float, begin: datetime, end: datetime) -> Series:
    """A gauge flat at `before`, rising linearly to `after` between `begin` and `end`, flat after."""
    def value(t: datetime) -> float:
        if t <= begin:
            return before
        if t >= end:
            return after
        return round(before + (after - before) * (t - begin) / (end - begin), 3)
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


def send(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """Alertmanager's webhook notification for `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced",
        version: str = "v1") -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the bundle."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def set_logs(inc: Incident, ns: str, workload: str, make: Callable[[str, datetime, datetime], Lines]) -> None:
    """Replace the logs of an existing (background) workload's pods with what they printed in this incident."""
    for h in inc.pods_of(ns, workload):
        start = max(h.created, inc.at - timedelta(hours=2))
        h.logs[h.containers[0].name] = L.lines(sorted(x for x in make(h.name, start, inc.captured)
                                                      if start <= x[0] <= inc.captured))


def access(t: datetime, client: str, request: str, status: int, size: int, upstream: str, addr: str, rt: float,
           ua: str = "Mozilla/5.0 (X11; Linux x86_64)") -> str:
    """ingress-nginx's upstreaminfo access-log line; addr "-" when nginx answered without an upstream."""
    up = f"{addr} {size} {rt:.3f} {status}" if addr != "-" else "- - - -"
    rid = L.uuidish(client + request, int(t.timestamp())).replace("-", "")
    return (f'{client} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "{request} HTTP/1.1" {status} {size} "-" '
            f'"{ua}" 412 {rt:.3f} [{upstream}] [] {up} {rid}')


def rs_of(inc: Incident, wl: Any, number: int) -> dict[str, Any]:
    return inc.find("ReplicaSet", wl.namespace, wl.rs[number])


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def pod_http(inc: Incident, ns: str, name: str, code: str, before: float, after: float, at: datetime) -> None:
    """A service's request counter by status code, as its own /metrics exports it."""
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": ns, "service": name, "job": name, "code": code},
               counter(inc.at - timedelta(hours=2), before, after, at))


def hourly(t: datetime, base: float, peak: float, centre: datetime, width_h: float = 2.0) -> float:
    """A daily-traffic shape: `base` far from `centre`, rising to `peak` at it (a triangle `width_h` wide)."""
    dist = abs((t - centre).total_seconds()) / 3600
    return round(base + (peak - base) * max(0.0, 1 - dist / width_h), 3)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 20, tzinfo=UTC)


def accounts_errors_burn() -> Incident:
    """pooler-default-pool-size-cut-clients-queue: PgBouncer's default_pool_size cut from 40 to 5 in a shared pooler.

    after: the connection-pooler postmortems where a pool-size edit in the shared PgBouncer (meant for one
    small database) applies to every database: clients queue behind five server connections, the slowest
    requests hit query_wait_timeout, and only the busiest service burns its error budget.

    ConfigMap data/pgbouncer-config is edited by hand at 08:32 (kubectl edit): `default_pool_size = 5`
    (was 40) to stop a reporting database from being flooded; PgBouncer reloads on SIGHUP. accounts-api
    (accounts namespace, the busiest client) now sees cl_waiting climb at peak and about 4 % of requests
    fail with `query_wait_timeout`; p50 is unchanged. The SLO burn names only accounts-api. Red herring:
    accounts-web's rollout in the accounts namespace.
    """
    inc = Incident("accounts-errors-burn", title="accounts-api error budget burning",
                   story="A shared PgBouncer's default_pool_size cut from 40 to 5.", at=AT1, seed=2101,
                   namespaces=("accounts", "data"))
    change = AT1 - timedelta(minutes=48)
    ini = ("[databases]\naccounts = host=accounts-db.data.svc port=5432 dbname=accounts\n"
           "reporting = host=reporting-db.data.svc port=5432 dbname=reporting\n\n"
           "[pgbouncer]\nlisten_addr = 0.0.0.0\nlisten_port = 6432\nauth_type = scram-sha-256\n"
           "auth_file = /etc/pgbouncer/userlist.txt\npool_mode = transaction\nmax_client_conn = 2000\n"
           "default_pool_size = 5\nreserve_pool_size = 0\nquery_wait_timeout = 10\nserver_idle_timeout = 600\n")
    changed(inc.configmap("data", "pgbouncer-config", {"pgbouncer.ini": ini}),
            ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", change, {"f:data": {"f:pgbouncer.ini": {}}}))
    plant(inc, "data", "pgbouncer-userlist", "password", "pgbouncer-accounts", "userlist.txt")

    def pooler(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), L.postgres(start, "LOG", "kernel file descriptor limit: "
                                                                "1048576 (hard: 1048576); max_client_conn: 2000")),
                      (change + timedelta(seconds=20), L.postgres(change, "LOG", "got SIGHUP, re-reading "
                                                                  "configuration"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=60), end, 60)):
            wait = 2409113 if t > change else 812
            out.append((t, L.postgres(t, "LOG", f"stats: {740 + i % 90} xacts/s, {740 + i % 90} queries/s, in "
                                      f"331122 B/s, out 1209934 B/s, xact 1803 us, query 1790 us, wait {wait} us")))
            if t > change and i % 2 == 0:
                port = 40000 + (i * 37) % 20000
                out.append((t + timedelta(seconds=7), L.postgres(
                    t, "LOG", f"C-0x55d{i:05x}: accounts/accounts_app@10.244.2.{30 + i % 9}:{port} closing "
                    "because: query_wait_timeout (age=10s)")))
        return out

    wl = inc.deployment("data", "pgbouncer", [Rev(1, inc.born + timedelta(days=6), "helm upgrade",
                                                  [c("pgbouncer", "bitnami/pgbouncer:1.23.1", port=6432)])],
                        {1: [P(log=within(pooler)), P(log=within(pooler))]})
    inc.service("data", "pgbouncer", {"app": "pgbouncer"}, port=6432, target=6432)

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.pylog(start, "INFO", "gunicorn.error", "Booting worker with pid: 8"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=30), end, 20)):
            if t > change and i % 3 == 0:
                out.append((t, L.pylog(t, "ERROR", "accounts.api.views", f"GET /v1/accounts/{48213 + i}/balance "
                                       "failed\nTraceback (most recent call last):\n  File \"/app/accounts/db.py\", "
                                       "line 41, in fetch_balance\n    cur.execute(BALANCE_SQL, (account_id,))\n"
                                       "psycopg2.OperationalError: query_wait_timeout\nserver closed the connection "
                                       "unexpectedly\n\tThis probably means the server terminated abnormally\n\t"
                                       "before or while processing the request.")))
            else:
                out.append((t, L.pylog(t, "INFO", "accounts.api.access", f"GET /v1/accounts/{48213 + i} 200 "
                                       f"{38 + i % 40}ms")))
        return out

    app(inc, "accounts", "accounts-api", f"{REGISTRY}/accounts/accounts-api:5.4.2", 3, log=within(api),
        env=[{"name": "DATABASE_URL", "value": "postgresql://accounts_app@pgbouncer.data.svc:6432/accounts"}])
    herring(inc, "accounts", "accounts-web", f"{REGISTRY}/accounts/accounts-web", "2.19.0", AT1 - timedelta(minutes=25))
    for db, after in (("accounts", 38.0), ("reporting", 0.0)):
        inc.series("pgbouncer_pools_client_waiting_connections", "gauge", "Client connections waiting on a server "
                   "connection",
                   {"namespace": "data", "job": "pgbouncer-exporter", "database": db, "user": f"{db}_app"},
                   lambda t, a=after: hourly(t, 0, a, AT1) if t > change else 0.0)
        inc.series("pgbouncer_pools_server_active_connections", "gauge", "Server connections linked to a client",
                   {"namespace": "data", "job": "pgbouncer-exporter", "database": db, "user": f"{db}_app"},
                   lambda t, d=db: (5.0 if d == "accounts" else 1.0) if t > change
                   else (26.0 if d == "accounts" else 3.0))
    inc.series("pgbouncer_config_max_client_connections", "gauge", "Config maximum number of client connections",
               {"namespace": "data", "job": "pgbouncer-exporter"}, lambda t: 2000.0)
    pod_http(inc, "accounts", "accounts-api", "200", 410.0, 400.0, change)
    pod_http(inc, "accounts", "accounts-api", "500", 0.2, 17.0, change)
    inc.pod_series(wl.pods)
    inc.slo_burn("accounts-api", "accounts", "accounts-api-availability", "0.999", 41.3,
                 "accounts-api has burnt 6% of its 30-day error budget in the last hour (5xx ratio 4.1%).")
    inc.answer_key(culprit=("ConfigMap", "data", "pgbouncer-config"),
                   keywords=["pgbouncer", "default_pool_size", "query_wait_timeout"],
                   root_cause="ConfigMap data/pgbouncer-config was edited at 08:32 to set default_pool_size = 5 "
                              "(was 40) for every database of the shared PgBouncer; accounts-api's clients queue "
                              "for five server connections at peak (cl_waiting ~38) and ~4% of requests fail with "
                              "query_wait_timeout. Restore default_pool_size 40 (or set a per-database pool_size "
                              "for reporting only).",
                   category="pooler-default-pool-size-cut-clients-queue",
                   red_herrings=[("Deployment", "accounts", "accounts-web")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)


def node_everything_slow_question() -> Incident:
    """profiler-agent-sampling-rate-raised-starves-node-cpu: a profiling DaemonSet's sampling raised to 997 Hz.

    after: continuous-profiling and eBPF agent incidents where an agent setting meant for one debugging
    session (a high sampling frequency, no CPU limit) is rolled to a node and the agent eats the node's
    spare CPU; every pod on that host gets slow while the rest of the cluster is fine.

    DaemonSet observability/parca-agent revision 2 (13:12, kubectl apply) sets
    `--profiling-cpu-sampling-frequency=997` (was 19) and drops its CPU limit; the DaemonSet uses
    updateStrategy OnDelete, and the engineer deleted only the agent pod on ip-10-0-2-21 to try it, so
    only that node runs revision 2. Its agent uses ~2.6 cores of 4; the node's CPU is saturated and the
    pods there show latency and probe timeouts. The chat question names only the node. Red herring:
    a batch Deployment rolled out on the same node shortly before.
    """
    inc = Incident("node-everything-slow-question", title="everything on one node is slow",
                   story="A profiling DaemonSet's sampling frequency raised to 997 Hz on one node.", at=AT2,
                   seed=2102, namespaces=("observability", "batch", "orders"))
    change = AT2 - timedelta(minutes=53)
    host = node(inc, 1)
    pods = inc.cluster.daemonset("observability", "parca-agent", "ghcr.io/parca-dev/parca-agent:v0.35.2",
                                 inc.born + timedelta(days=10), memory_mi=180, port=7071)
    ds = inc.find("DaemonSet", "observability", "parca-agent")
    old_args = ["--node=$(NODE_NAME)", "--remote-store-address=parca.observability.svc:7070",
                "--remote-store-insecure", "--profiling-cpu-sampling-frequency=19"]
    new_args = [*old_args[:3], "--profiling-cpu-sampling-frequency=997"]
    tmpl = ds["spec"]["template"]["spec"]["containers"][0]
    tmpl["args"] = new_args
    tmpl["securityContext"] = {"privileged": True}
    tmpl["resources"] = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
    ds["spec"]["updateStrategy"] = {"type": "OnDelete"}
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["status"].update({"observedGeneration": 2, "updatedNumberScheduled": 1})
    changed(ds, ("kubectl-client-side-apply", "Update", change,
                 {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    hashes = {1: o.suffix("parca-agent/1", 10), 2: o.suffix("parca-agent/2", 10)}
    for number, at, args in ((1, inc.born + timedelta(days=10), old_args), (2, change, new_args)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"parca-agent-{hashes[number]}", "namespace": "observability",
                              "creationTimestamp": ts(at), "labels": {"app": "parca-agent",
                                                                      "controller-revision-hash": hashes[number]},
                              "ownerReferences": [o.owner_ref("DaemonSet", "parca-agent", "observability")]},
                 "revision": number,
                 "data": {"spec": {"template": {"spec": {"containers": [{"name": "parca-agent", "args": args}]}}}}})
    for h in pods:
        new = h.node == host
        h.labels["controller-revision-hash"] = hashes[2 if new else 1]
        freq = 997 if new else 19
        started = change + timedelta(seconds=40) if new else h.created
        if new:
            h.created = started - timedelta(seconds=5)
            h.states[0].started_at = started
        h.logs["parca-agent"] = L.lines([
            (started, L.logfmt(started, "info", "maxprocs: Leaving GOMAXPROCS=4: CPU quota undefined",
                               caller="main.go:118")),
            (started + timedelta(seconds=1), L.logfmt(started, "info", "starting parca-agent", caller="main.go:204",
                                                      version="v0.35.2", node=h.node,
                                                      profiling_cpu_sampling_frequency=freq)),
            (started + timedelta(seconds=3), L.logfmt(started, "info", "attached perf event to all online CPUs",
                                                      caller="cpu/cpu.go:311", frequency=freq)),
            *[(t, L.logfmt(t, "warn" if new else "info",
                           "profile write took longer than profiling duration" if new else "profile written",
                           caller="profiler/profiler.go:402", duration="10s",
                           write_ms=8700 + i % 900 if new else 310 + i % 60, samples=39880 if new else 760))
              for i, t in enumerate(L.every(max(started, inc.at - timedelta(hours=2)) + timedelta(seconds=10),
                                            inc.captured, 60))]])

        def agent_cpu(t: datetime, n: bool = new, since: datetime = started) -> float:
            base = (t - (inc.at - timedelta(hours=3))).total_seconds() * 0.03
            return round(base + (max(0.0, (t - since).total_seconds()) * 2.6 if n else 0.0), 2)
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "observability", "pod": h.name, "container": "parca-agent", "node": h.node,
                    "job": "kubelet"}, agent_cpu)
    for name in inc.node_names():
        hot = name == host
        inc.series("instance:node_cpu_utilisation:rate5m", "gauge", "Node CPU utilisation (recording rule)",
                   {"instance": name, "job": "node-exporter"},
                   lambda t, hot=hot: (0.97 if hot and t > change + timedelta(minutes=2) else 0.34))
    plant(inc, "observability", "parca-remote-store", "token", "parca-store", "bearer-token")

    def orders(hot: bool) -> LogFn:
        def make(pod: str, start: datetime, end: datetime) -> Lines:
            out: Lines = []
            for i, t in enumerate(L.every(start + timedelta(seconds=5), end, 30)):
                ms = 1800 + i % 700 if hot and t > change and i % 2 == 0 else 45 + i % 30
                out.append((t, L.js(t, "info" if ms < 1000 else "warn", "request completed", method="GET",
                                    path="/v1/orders", status=200, duration_ms=ms)))
            return out
        return within(make)

    revs = [Rev(1, inc.born + timedelta(days=11), "helm upgrade",
                [c("order-api", f"{REGISTRY}/orders/order-api:4.2.0")])]
    wl = inc.deployment("orders", "order-api", revs, {1: [P(node=host, log=orders(True)),
                                                          P(node=node(inc, 2), log=orders(False))]})
    herring_revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade",
                        [c("invoice-batcher", f"{REGISTRY}/batch/invoice-batcher:1.8.0")]),
                    Rev(2, AT2 - timedelta(minutes=31), "helm upgrade",
                        [c("invoice-batcher", f"{REGISTRY}/batch/invoice-batcher:1.8.1")])]
    inc.deployment("batch", "invoice-batcher", herring_revs, {2: [P(node=host)]})
    inc.pod_series(wl.pods)
    inc.ask(f"Since about an hour ago everything scheduled on {host} is slow (timeouts, probe failures), the "
            "other nodes look fine. What is wrong with that host?")
    inc.answer_key(culprit=("DaemonSet", "observability", "parca-agent"),
                   keywords=["parca-agent", "sampling frequency", "997"],
                   root_cause=f"DaemonSet observability/parca-agent revision 2 (13:12, kubectl apply) raised the "
                              f"profiler's sampling frequency to 997 Hz (was 19) and removed its CPU limit; with "
                              f"updateStrategy OnDelete only the agent pod on {host} was recreated, so that node "
                              "alone runs it: the agent uses ~2.6 of 4 cores, the node's CPU is saturated and every "
                              "pod there slows down. Roll the DaemonSet back to 19 Hz and restore the CPU limit.",
                   category="profiler-agent-sampling-rate-raised-starves-node-cpu",
                   red_herrings=[("Deployment", "batch", "invoice-batcher")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 11, 15, tzinfo=UTC)


def replicas_short_grouped() -> Incident:
    """nodepool-consolidation-budget-removed-eviction-churn: a NodePool consolidates underutilized nodes at once.

    after: Karpenter consolidation write-ups where consolidateAfter is set to 0s and the disruption budget
    widened to 100%: nodes are bin-packed away minutes after they appear, pods are evicted again and again,
    and services run short of ready replicas (cold caches, warm-up) in waves, never fully down.

    NodePool general-purpose (cluster-scoped, karpenter.sh/v1) is re-applied at 09:40 by Argo CD from a
    "cost savings" PR: `consolidationPolicy: WhenEmptyOrUnderutilized`, `consolidateAfter: 0s` (was 30m) and
    budget `nodes: 100%` (was 10%). Karpenter's log shows a disruption decision every few minutes; Node
    events say DisruptionTerminating; catalog-api and order-api keep losing pods that restart elsewhere and
    warm up. The grouped notification names only the two victims. Red herring: landing's rollout in web.
    """
    inc = Incident("replicas-short-grouped", title="several deployments short of ready replicas",
                   story="A Karpenter NodePool's consolidation budget and delay removed.", at=AT3, seed=2103,
                   namespaces=("orders", "catalog"))
    change = AT3 - timedelta(minutes=95)
    crd(inc, "NodePool", "karpenter.sh", "nodepools", scope="Cluster")
    crd(inc, "EC2NodeClass", "karpenter.k8s.aws", "ec2nodeclasses", scope="Cluster")
    inc.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
             "spec": {"amiSelectorTerms": [{"alias": "al2023@v20241121"}], "role": "KarpenterNodeRole-prod",
                      "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                      "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}]}})
    pool = inc.add({
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "general-purpose"},
        "spec": {"template": {"spec": {"nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass",
                                                        "name": "default"},
                                       "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In",
                                                         "values": ["on-demand"]},
                                                        {"key": "karpenter.k8s.aws/instance-category",
                                                         "operator": "In", "values": ["m", "c"]}],
                                       "expireAfter": "720h"}},
                 "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "0s",
                                "budgets": [{"nodes": "100%"}]},
                 "limits": {"cpu": "400"}},
        "status": {"resources": {"cpu": "16", "memory": "64Gi", "nodes": "4", "pods": "440"},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "",
                                   "lastTransitionTime": ts(change)}]}})
    changed(pool, ("argocd-controller", "Apply", change, {"f:spec": {"f:disruption": {}}}))
    for n in inc.cluster.nodes:
        n["metadata"]["labels"]["karpenter.sh/nodepool"] = "general-purpose"
    waves = [change + timedelta(minutes=m) for m in range(6, 150, 13) if change + timedelta(minutes=m) < inc.captured]
    names = inc.node_names()
    for i, t in enumerate(waves[-6:]):
        nd = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == names[i % len(names)])
        inc.event({"apiVersion": "v1", "kind": "Node", "metadata": {"name": nd["metadata"]["name"],
                                                                   "uid": nd["metadata"]["uid"]}},
                  "DisruptionTerminating", "Disrupting Node: Underutilized/Delete", t, warning=False,
                  component="karpenter")

    def karpenter(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.js(start, "INFO", "Starting workers", logger="controller",
                                   controller="disruption", **{"worker count": 1}))]
        for i, t in enumerate(waves):
            victim = f"ip-10-0-{1 + i % 4}-{20 + i % 4}.eu-west-1.compute.internal"
            out.append((t, L.js(t, "INFO", f"disrupting nodeclaim(s) via delete, terminating 1 nodes ({6 + i % 5} "
                                f"pods) {victim}/m6i.xlarge/on-demand", logger="controller", controller="disruption",
                                reason="underutilized", decision="delete", **{"command-id": L.uuidish("cmd", i)})))
            out.append((t + timedelta(seconds=50), L.js(t, "INFO", "tainted node", logger="controller",
                                                        controller="node.termination", Node={"name": victim},
                                                        taint={"key": "karpenter.sh/disrupted",
                                                               "effect": "NoSchedule"})))
            out.append((t + timedelta(seconds=75), L.js(t, "INFO", "launched nodeclaim", logger="controller",
                                                        controller="nodeclaim.lifecycle",
                                                        NodeClaim={"name": f"general-purpose-{o.suffix(str(i), 5)}"},
                                                        **{"instance-type": "m6i.xlarge", "zone": "eu-west-1b"})))
        return out

    kp = inc.deployment("kube-system", "karpenter", [Rev(1, inc.born + timedelta(days=15), "helm upgrade",
                                                         [c("controller", "public.ecr.aws/karpenter/controller:1.1.1",
                                                            port=8000)])], {1: [P(log=within(karpenter))]})
    victims = []
    for ns, name, image in (("catalog", "catalog-api", "catalog-api:7.2.0"),
                            ("orders", "order-api", "order-api:4.2.0")):
        plans = [P(created=waves[-1 - k] + timedelta(seconds=30)) for k in range(2)]
        plans += [P(state="notready", created=inc.captured - timedelta(minutes=3),
                    message="Readiness probe failed: HTTP probe failed with statuscode: 503")]
        plans += [P(created=waves[-3] + timedelta(seconds=40))]
        rev = Rev(1, inc.born + timedelta(days=20), "helm upgrade", [c(name, f"{REGISTRY}/{ns}/{image}")])
        victims.append(inc.deployment(ns, name, [rev], {1: plans}, replicas=5))
    herring(inc, "web", "landing", f"{REGISTRY}/web/landing", "3.4.0", AT3 - timedelta(minutes=20))
    plant(inc, "kube-system", "karpenter-webhook-cert", "token", "karpenter", "tls.key")
    inc.series("karpenter_nodeclaims_disrupted", "counter", "Number of nodeclaims disrupted",
               {"namespace": "kube-system", "job": "karpenter", "nodepool": "general-purpose",
                "reason": "underutilized"},
               lambda t: float(sum(1 for w in waves if w <= t)))
    for wl in victims:
        inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas",
                   {"namespace": wl.namespace, "deployment": wl.name, "job": "kube-state-metrics"},
                   lambda t: 5.0 if t < change else (3.0 if any(w <= t < w + timedelta(minutes=4) for w in waves)
                                                    else 4.0))
    inc.pod_series(kp.pods)
    send(inc, [alert(inc, "KubeDeploymentReplicasMismatch", {"namespace": wl.namespace, "deployment": wl.name,
                                                              "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     f"Deployment {wl.namespace}/{wl.name} has not matched the expected number of replicas for "
                     "longer than 15 minutes.",
                     f'kube_deployment_spec_replicas{{namespace="{wl.namespace}",deployment="{wl.name}"}} > '
                     f'kube_deployment_status_replicas_available{{namespace="{wl.namespace}",deployment="{wl.name}"}}')
               for wl in victims], group=["alertname"])
    inc.answer_key(culprit=("NodePool", "", "general-purpose"),
                   keywords=["consolidation", "consolidateAfter", "budget"],
                   root_cause="Karpenter NodePool general-purpose was re-applied at 09:40 (Argo CD) with "
                              "consolidationPolicy WhenEmptyOrUnderutilized, consolidateAfter 0s (was 30m) and a "
                              "disruption budget of nodes 100% (was 10%): Karpenter's consolidation deletes an "
                              "underutilized node every ~13 minutes, evicting pods that restart and warm up "
                              "elsewhere, so catalog-api and order-api keep running short of ready replicas. "
                              "Restore consolidateAfter 30m and the 10% budget.",
                   category="nodepool-consolidation-budget-removed-eviction-churn",
                   red_herrings=[("Deployment", "web", "landing")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 15, 40, tzinfo=UTC)


def search_slow_for_some_page() -> Incident:
    """gateway-consistent-hash-by-tenant-hot-backend: a gateway policy hashes requests by tenant header.

    after: gateway and load-balancer write-ups where session stickiness or consistent hashing on a tenant
    key sends a large tenant's whole traffic to one backend: that pod saturates and the tenant's p99 soars
    while the service's average and the other tenants look normal.

    Envoy Gateway BackendTrafficPolicy search/search-routing is changed at 14:58 (kubectl apply) from
    LeastRequest to `ConsistentHash` on header `x-tenant-id`, to improve per-tenant cache hits. Tenant
    t-0042 sends ~40% of the traffic; all of it lands on one search-api pod, which runs at its CPU limit.
    The Envoy Gateway access log (JSON, envoy-gateway-system) shows every t-0042 request on one upstream
    host with multi-second durations. PagerDuty names only search-api. Red herring: search-indexer's rollout.
    """
    inc = Incident("search-slow-for-some-page", title="search-api p99 latency high",
                   story="An Envoy Gateway BackendTrafficPolicy hashes by tenant header.", at=AT4, seed=2104,
                   namespaces=("search", "envoy-gateway-system"))
    change = AT4 - timedelta(minutes=42)
    crd(inc, "BackendTrafficPolicy", "gateway.envoyproxy.io", "backendtrafficpolicies", version="v1alpha1")
    btp = inc.add({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
                   "metadata": {"name": "search-routing", "namespace": "search", "generation": 4},
                   "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                            "name": "search"}],
                            "loadBalancer": {"type": "ConsistentHash",
                                             "consistentHash": {"type": "Header", "header": {"name": "x-tenant-id"}}},
                            "timeout": {"http": {"requestTimeout": "15s"}}},
                   "status": {"ancestors": [{"ancestorRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                             "name": "public", "namespace": "envoy-gateway-system"},
                                             "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                                             "conditions": [{"type": "Accepted", "status": "True",
                                                             "reason": "Accepted", "message": "Policy has been "
                                                             "accepted.", "lastTransitionTime": ts(change)}]}]}})
    changed(btp, ("kubectl-client-side-apply", "Update", change, {"f:spec": {"f:loadBalancer": {}}}))
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c("search-api", f"{REGISTRY}/search/search-api:9.1.3", cpu_request="1", cpu_limit="1")])
    wl = inc.deployment("search", "search-api", [rev], {1: [P() for _ in range(6)]})
    ips = [inc.cluster.pod_ip(h) for h in wl.pods]

    def gateway(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=3), end, 7)):
            tenant = "t-0042" if i % 5 < 2 else f"t-{(i * 37) % 900:04d}"
            hashed = t > change
            host = ips[0] if hashed and tenant == "t-0042" else ips[(i * 7) % len(ips)]
            dur = (2400 + (i * 53) % 2600) if hashed and tenant == "t-0042" else 60 + (i * 13) % 90
            out.append((t, '{"start_time":"' + t.strftime("%Y-%m-%dT%H:%M:%S.000Z") + '","method":"GET",'
                        '"x-envoy-origin-path":"/v2/search?q=' + f"sku{i % 97}" + '","protocol":"HTTP/1.1",'
                        '"response_code":"200","response_flags":"-","response_code_details":"via_upstream",'
                        '"upstream_transport_failure_reason":"-","bytes_received":"0","bytes_sent":"'
                        + str(4200 + i % 800) + '","duration":"' + str(dur) + '","x-envoy-upstream-service-time":"'
                        + str(dur - 2) + '","x-forwarded-for":"10.0.0.' + str(10 + i % 40) + '","user-agent":'
                        '"search-sdk/3.2","x-request-id":"' + L.uuidish(pod, i) + '",":authority":'
                        '"search.example.com","upstream_host":"' + f"{host}:8080" + '","upstream_cluster":'
                        '"httproute/search/search/rule/0","upstream_local_address":"-","downstream_local_address":'
                        '"10.244.1.5:10080","downstream_remote_address":"10.0.0.4:51234","requested_server_name":'
                        '"search.example.com","route_name":"httproute/search/search/rule/0/match/0/search_example_com"'
                        ',"x-tenant-id":"' + tenant + '"}'))
        return out

    gw = inc.deployment("envoy-gateway-system", "envoy-public-gateway", [Rev(
        1, inc.born + timedelta(days=8), "helm upgrade", [c("envoy", "docker.io/envoyproxy/envoy:distroless-v1.32.1",
                                                            port=10080)])], {1: [P(log=within(gateway))]})
    herring(inc, "search", "search-indexer", f"{REGISTRY}/search/search-indexer", "9.1.0", AT4 - timedelta(minutes=18))
    plant(inc, "search", "search-api-keys", "token", "search-admin", "ADMIN_API_KEY")
    for k, h in enumerate(wl.pods):
        hot = k == 0
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "search", "pod": h.name, "container": "search-api", "job": "kubelet"},
                   counter(inc.at - timedelta(hours=2), 0.31, 1.0 if hot else 0.19, change))
        inc.series("container_cpu_cfs_throttled_periods", "counter", "Number of throttled period intervals.",
                   {"namespace": "search", "pod": h.name, "container": "search-api", "job": "kubelet"},
                   counter(inc.at - timedelta(hours=2), 0.0, 8.6 if hot else 0.0, change))
    for q, before, after in (("0.5", 0.07, 0.08), ("0.99", 0.21, 4.7)):
        inc.series("envoy_cluster_upstream_rq_time_quantile", "gauge", "Upstream request time quantile (ms/1000)",
                   {"namespace": "envoy-gateway-system", "envoy_cluster_name": "httproute/search/search/rule/0",
                    "quantile": q}, step(before, after, change + timedelta(minutes=3)))
    inc.pod_series(gw.pods)
    inc.pagerduty("search-api: p99 latency above 2 s for 30 min (some customers report slow search)", "search-api")
    inc.answer_key(culprit=("BackendTrafficPolicy", "search", "search-routing"),
                   keywords=["ConsistentHash", "x-tenant-id", "one pod"],
                   root_cause="BackendTrafficPolicy search/search-routing was changed at 14:58 from LeastRequest to "
                              "ConsistentHash on the x-tenant-id header: tenant t-0042 (~40% of traffic) is hashed "
                              "to one pod of search-api, which runs at its 1-CPU limit, so that tenant's requests "
                              "take seconds (p99) while p50 and other tenants stay normal. Revert to LeastRequest.",
                   category="gateway-consistent-hash-by-tenant-hot-backend",
                   red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 10, 10, tzinfo=UTC)


def checkout_slow_to_confirm_question() -> Incident:
    """kafka-user-produce-quota-copied-throttles-producer: a Strimzi KafkaUser's producer byte-rate quota cut 100x.

    after: Kafka client-quota incidents where a user's producer_byte_rate, copied from a test or low-tier
    tenant, makes the broker delay every produce response; the producer's buffer backs up, sends take
    seconds and a few batches expire, while the brokers themselves look healthy.

    KafkaUser kafka/checkout-producer is re-applied at 08:47 (Argo CD) with
    `quotas.producerByteRate: 102400` (100 KiB/s, was 10485760), copied from a sandbox user. The
    user operator applies the quota; checkout-api's produce throttle time climbs to ~900 ms, its order
    confirmations take seconds at peak and some batches expire (Spring's Kafka TimeoutException). The chat
    question names only the workload. Red herring: checkout-web's rollout in the checkout namespace.
    """
    inc = Incident("checkout-slow-to-confirm-question", title="checkout-api slow to confirm orders",
                   story="A KafkaUser's producer byte-rate quota cut to 100 KiB/s.", at=AT5, seed=2105,
                   namespaces=("checkout", "kafka"))
    change = AT5 - timedelta(minutes=83)
    crd(inc, "KafkaUser", "kafka.strimzi.io", "kafkausers", version="v1beta2")
    user = inc.add({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaUser",
                    "metadata": {"name": "checkout-producer", "namespace": "kafka", "generation": 7,
                                 "labels": {"strimzi.io/cluster": "events"}},
                    "spec": {"authentication": {"type": "scram-sha-512"},
                             "authorization": {"type": "simple", "acls": [
                                 {"resource": {"type": "topic", "name": "order-events"}, "operations": ["Write",
                                                                                                       "Describe"]}]},
                             "quotas": {"producerByteRate": 102400, "consumerByteRate": 10485760,
                                        "requestPercentage": 55}},
                    "status": {"observedGeneration": 7, "username": "checkout-producer", "secret": "checkout-producer",
                               "conditions": [{"type": "Ready", "status": "True",
                                               "lastTransitionTime": ts(change + timedelta(seconds=20))}]}})
    changed(user, ("argocd-controller", "Apply", change, {"f:spec": {"f:quotas": {}}}))
    plant(inc, "kafka", "checkout-producer", "password", "checkout-producer", "password")

    def operator(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=20), end, 120)):
            out.append((t, f"{t.strftime('%Y-%m-%d %H:%M:%S')} INFO  AbstractOperator:510 - Reconciliation "
                        f"#{900 + i}(timer) KafkaUser(kafka/checkout-producer): reconciled"))
        t = change + timedelta(seconds=12)
        out.append((t, f"{t.strftime('%Y-%m-%d %H:%M:%S')} INFO  QuotasOperator:118 - Reconciliation #877(watch) "
                    "KafkaUser(kafka/checkout-producer): Upserting quotas for user checkout-producer: "
                    "producer_byte_rate=102400.0, consumer_byte_rate=1.048576E7, request_percentage=55.0"))
        return out

    inc.deployment("kafka", "events-entity-operator", [Rev(1, inc.born + timedelta(days=7), "helm upgrade", [
        c("user-operator", "quay.io/strimzi/operator:0.44.0")])], {1: [P(log=within(operator))]})

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.spring(start, "INFO", "c.a.checkout.CheckoutApplication", "Started "
                                       "CheckoutApplication in 14.2 seconds (process running for 15.1)"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=40), end, 25)):
            if t > change and i % 6 == 0:
                out.append((t, L.spring(t, "ERROR", "o.s.k.support.LoggingProducerListener",
                                        "Exception thrown when sending a message with key='" + f"ord-{77120 + i}"
                                        + "' and payload='OrderConfirmed(...)' to topic order-events:\n"
                                        "org.apache.kafka.common.errors.TimeoutException: Expiring 14 record(s) for "
                                        "order-events-3:120000 ms has passed since batch creation",
                                        thread="kafka-producer-network-thread | producer-1")))
            elif t > change:
                out.append((t, L.spring(t, "INFO", "c.a.checkout.order.ConfirmService",
                                        f"order ord-{77120 + i} confirmed in {2100 + (i * 71) % 3900} ms",
                                        thread=f"http-nio-8080-exec-{1 + i % 9}")))
            else:
                out.append((t, L.spring(t, "INFO", "c.a.checkout.order.ConfirmService",
                                        f"order ord-{77120 + i} confirmed in {120 + i % 60} ms",
                                        thread=f"http-nio-8080-exec-{1 + i % 9}")))
        return out

    wl = app(inc, "checkout", "checkout-api", f"{REGISTRY}/checkout/checkout-api:12.4.0", 3, log=within(api),
             env=[{"name": "SPRING_KAFKA_BOOTSTRAP_SERVERS", "value": "events-kafka-bootstrap.kafka:9093"},
                  {"name": "SPRING_KAFKA_PRODUCER_PROPERTIES_SASL_JAAS_CONFIG",
                   "valueFrom": {"secretKeyRef": {"name": "checkout-producer-jaas", "key": "sasl.jaas.config"}}}])
    herring(inc, "checkout", "checkout-web", f"{REGISTRY}/checkout/checkout-web", "6.0.3", AT5 - timedelta(minutes=35))
    for h in wl.pods:
        base = {"namespace": "checkout", "pod": h.name, "client_id": "producer-1", "job": "checkout-api"}
        inc.series("kafka_producer_produce_throttle_time_avg", "gauge", "The average time in ms a request was "
                   "throttled by a broker", dict(base), step(0.0, 910.0, change + timedelta(minutes=1)))
        inc.series("kafka_producer_buffer_available_bytes", "gauge", "The total amount of buffer memory that is "
                   "not being used", dict(base), step(33554432.0, 1048576.0, change + timedelta(minutes=4)))
        inc.series("kafka_producer_record_error", "counter", "The total number of record sends that "
                   "resulted in errors", dict(base), counter(inc.at - timedelta(hours=2), 0.0, 0.09, change))
    inc.pod_series(wl.pods)
    inc.ask("Why is checkout-api taking seconds to confirm orders since this morning? Some orders never get "
            "their confirmation event.")
    inc.answer_key(culprit=("KafkaUser", "kafka", "checkout-producer"),
                   keywords=["quota", "producerByteRate", "throttle"],
                   root_cause="KafkaUser kafka/checkout-producer was re-applied at 08:47 (Argo CD) with "
                              "quotas.producerByteRate 102400 (100 KiB/s, was 10485760), copied from a sandbox "
                              "user; the brokers throttle checkout-api's produce requests (throttle time ~900 ms), "
                              "its producer buffer fills, confirmations take seconds and some batches expire. "
                              "Restore the producer quota.",
                   category="kafka-user-produce-quota-copied-throttles-producer",
                   red_herrings=[("Deployment", "checkout", "checkout-web")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 13, 25, tzinfo=UTC)


def ledger_api_throttled() -> Incident:
    """go-runtime-threads-above-cpu-quota-throttling: a chart refactor drops the GOMAXPROCS env from a Go service.

    after: the well-known Go-in-containers failure: without automaxprocs or a GOMAXPROCS env, the runtime
    runs one scheduler thread per host CPU while the CFS quota allows one; bursts of GC and request work
    burn the quota early in each 100 ms period, the container is throttled, and p99 jumps while p50 holds.

    Deployment ledger/ledger-api revision 6 (11:50, helm, "move to platform library chart") no longer sets
    `GOMAXPROCS` from `resourceFieldRef: limits.cpu`; the CPU limit stays 1. Its own startup log says
    gomaxprocs=4 with a 1-CPU quota, cAdvisor shows most periods throttled, p99 goes from 60 ms to 900 ms.
    The kube-prometheus alert names ledger-api. Red herring: ledger-worker's rollout in the same namespace.
    """
    inc = Incident("ledger-api-throttled", title="CPUThrottlingHigh on ledger-api",
                   story="A chart refactor dropped GOMAXPROCS under a 1-CPU limit.", at=AT6, seed=2106,
                   namespaces=("ledger",))
    change = AT6 - timedelta(minutes=95)
    image = f"{REGISTRY}/ledger/ledger-api:2.31.0"
    env_old = [{"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}},
               {"name": "GOMEMLIMIT", "value": "900MiB"}]
    env_new = [{"name": "GOMEMLIMIT", "value": "900MiB"}]

    def log(procs: int) -> LogFn:
        def make(pod: str, start: datetime, end: datetime) -> Lines:
            out: Lines = [(start, L.js(start, "info", "starting ledger-api", version="2.31.0", gomaxprocs=procs,
                                       num_cpu=4, cpu_quota="100000/100000", caller="cmd/ledger-api/main.go:57"))]
            for i, t in enumerate(L.every(start + timedelta(seconds=15), end, 20)):
                ms = (600 + (i * 97) % 900) if procs == 4 and i % 4 == 0 else 18 + i % 25
                out.append((t, L.js(t, "info" if ms < 500 else "warn", "request served", method="POST",
                                    path="/v1/postings", status=200, latency_ms=ms, caller="httpx/log.go:44")))
            return out
        return within(make)

    revs = [Rev(5, inc.born + timedelta(days=20), "helm upgrade",
                [c("ledger-api", image, cpu_request="1", cpu_limit="1", memory_limit="1Gi", env=env_old)]),
            Rev(6, change, "helm upgrade",
                [c("ledger-api", image, cpu_request="1", cpu_limit="1", memory_limit="1Gi", env=env_new)])]
    wl = inc.deployment("ledger", "ledger-api", revs, {6: [P(log=log(4)) for _ in range(3)]})
    herring(inc, "ledger", "ledger-worker", f"{REGISTRY}/ledger/ledger-worker", "2.30.0", AT6 - timedelta(minutes=40))
    plant(inc, "ledger", "ledger-api-db", "password", "ledger-db", "DB_PASSWORD")
    for h in wl.pods:
        lab = {"namespace": "ledger", "pod": h.name, "container": "ledger-api", "job": "kubelet"}
        inc.series("container_cpu_cfs_periods", "counter", "Number of elapsed enforcement period intervals.",
                   dict(lab), counter(inc.at - timedelta(hours=2), 10.0, 10.0, change))
        inc.series("container_cpu_cfs_throttled_periods", "counter", "Number of throttled period intervals.",
                   dict(lab), counter(inc.at - timedelta(hours=2), 0.3, 6.8, change))
    for q, before, after in (("0.5", 0.021, 0.024), ("0.99", 0.06, 0.9)):
        inc.series("http_request_duration_seconds_quantile", "gauge", "Request latency quantile.",
                   {"namespace": "ledger", "service": "ledger-api", "quantile": q}, step(before, after, change))
    inc.pod_series(wl.pods)
    inc.alertmanager("CPUThrottlingHigh", {"namespace": "ledger", "pod": wl.pods[0].name, "container": "ledger-api"},
                     "Processes experience elevated CPU throttling.",
                     f"71.4% throttling of CPU in namespace ledger for container ledger-api in pod {wl.pods[0].name}.",
                     'sum(increase(container_cpu_cfs_throttled_periods_total{container!=""}[5m])) by (container, pod, '
                     'namespace) / sum(increase(container_cpu_cfs_periods_total[5m])) by (container, pod, namespace) '
                     '> (25 / 100)', severity="info")
    inc.answer_key(culprit=("Deployment", "ledger", "ledger-api"),
                   keywords=["GOMAXPROCS", "CPU limit", "CFS quota"],
                   root_cause="Deployment ledger/ledger-api revision 6 (helm, library-chart move) dropped the "
                              "GOMAXPROCS env (from limits.cpu): the Go runtime now runs 4 threads (one per node "
                              "CPU) under a 1-core CPU limit, burns the CFS quota early in each period and is "
                              "throttled ~70% of periods; p99 rises from 60 ms to 900 ms. Set GOMAXPROCS again "
                              "(or use automaxprocs).",
                   category="go-runtime-threads-above-cpu-quota-throttling",
                   red_herrings=[("Deployment", "ledger", "ledger-worker")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 16, 45, tzinfo=UTC)


def config_etcd_leader_changes() -> Incident:
    """etcd-election-timeout-below-cross-zone-latency: raft timeouts cut so low that leaders flap under load.

    after: etcd tuning incidents where heartbeat-interval and election-timeout are lowered (copied from a
    single-host test) on a cluster spread over zones: a slow fsync or a cross-zone hiccup now exceeds the
    election timeout, followers start elections, and clients see sporadic "leader changed" errors.

    StatefulSet platform/config-etcd (helm, 14:10) sets `ETCD_HEARTBEAT_INTERVAL=10` and
    `ETCD_ELECTION_TIMEOUT=50` (were 100 and 1000). Its members sit in three zones; their logs show a new
    election every few minutes, the leader-change counter climbs, proposals fail. Its clients fail a small
    fraction of writes. The alert names config-etcd. Red herring: config-ui's rollout in platform.
    """
    inc = Incident("config-etcd-leader-changes", title="etcd cluster config-etcd: frequent leader changes",
                   story="etcd heartbeat and election timeout cut below cross-zone latency.", at=AT7, seed=2107,
                   namespaces=("platform",))
    change = AT7 - timedelta(minutes=155)
    env = [{"name": "ETCD_HEARTBEAT_INTERVAL", "value": "10"}, {"name": "ETCD_ELECTION_TIMEOUT", "value": "50"},
           {"name": "ETCD_INITIAL_CLUSTER_STATE", "value": "existing"},
           {"name": "ETCD_QUOTA_BACKEND_BYTES", "value": "8589934592"}]
    ids = ["8e9e05c52164694d", "91bc3c398fb3c146", "fd422379fda50e48"]

    def member(pod: str, start: datetime, end: datetime) -> Lines:
        me = ids[int(pod[-1])]
        out: Lines = [(start, '{"level":"info","ts":"' + start.strftime("%Y-%m-%dT%H:%M:%S.000Z") + '","caller":'
                       '"embed/config.go:728","msg":"starting etcd","heartbeat-interval":"10ms",'
                       '"election-timeout":"50ms","quota-backend-bytes":8589934592}')]
        for i, t in enumerate(L.every(start + timedelta(seconds=90), end, 170)):
            term = 4410 + i
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            out.append((t, '{"level":"warn","ts":"' + stamp + '","caller":"etcdserver/raft.go:416","msg":'
                        '"leader failed to send out heartbeat on time; took too long, leader is overloaded likely '
                        'from slow disk","to":"' + ids[(i + 1) % 3] + '","heartbeat-interval":"10ms",'
                        '"expected-duration":"20ms","exceeded-duration":"31.2ms"}'))
            out.append((t + timedelta(milliseconds=90), '{"level":"info","ts":"' + stamp + '","logger":"raft",'
                        '"caller":"etcdserver/zap_raft.go:77","msg":"' + me + ' is starting a new election at term '
                        + str(term) + '"}'))
            out.append((t + timedelta(milliseconds=200), '{"level":"info","ts":"' + stamp + '","logger":"raft",'
                        '"caller":"etcdserver/zap_raft.go:77","msg":"raft.node: ' + me + ' elected leader '
                        + ids[i % 3] + ' at term ' + str(term + 1) + '"}'))
        return out

    wl = inc.statefulset("platform", "config-etcd", [c("etcd", "quay.io/coreos/etcd:v3.5.17", port=2379,
                                                       memory_limit="2Gi", env=env, readiness_path="/readyz",
                                                       liveness_path="/livez")],
                         [P(log=within(member), node=node(inc, k)) for k in range(3)], inc.born,
                         claims=[("data", "20Gi", "gp3")], service=2379)
    changed(wl.obj, ("helm", "Update", inc.born, {"f:spec": {}}),
            ("helm", "Update", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    wl.obj["metadata"]["generation"] = 4
    wl.obj["status"]["observedGeneration"] = 4

    def client(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=30), end, 45)):
            if t > change and i % 7 == 0:
                out.append((t, L.js(t, "error", "put flag failed", key=f"/flags/tenant-{i % 40}",
                                    error="etcdserver: leader changed", caller="store/etcd.go:88")))
            else:
                out.append((t, L.js(t, "info", "flag read", key=f"/flags/tenant-{i % 40}", latency_ms=3 + i % 5,
                                    caller="store/etcd.go:61")))
        return out

    app(inc, "platform", "flags-api", f"{REGISTRY}/platform/flags-api:1.12.0", 2, log=within(client))
    herring(inc, "platform", "config-ui", f"{REGISTRY}/platform/config-ui", "0.9.4", AT7 - timedelta(minutes=30))
    plant(inc, "platform", "config-etcd-client-tls", "token", "etcd-client", "tls.key")
    for h in wl.pods:
        lab = {"namespace": "platform", "pod": h.name, "job": "config-etcd"}
        inc.series("etcd_server_leader_changes_seen", "counter", "The number of leader changes seen.", dict(lab),
                   counter(inc.at - timedelta(hours=2), 0.0, 1 / 170, change))
        inc.series("etcd_server_proposals_failed", "counter", "The total number of failed proposals seen.", dict(lab),
                   counter(inc.at - timedelta(hours=2), 0.0, 0.02, change))
    inc.pod_series(wl.pods)
    inc.alertmanager("etcdHighNumberOfLeaderChanges", {"namespace": "platform", "job": "config-etcd",
                                                        "pod": wl.pods[0].name},
                     "etcd cluster has high number of leader changes.",
                     "etcd cluster \"config-etcd\": 21 leader changes within the last 15 minutes. Frequent "
                     "elections may be a sign of insufficient resources, high network latency, or disruptions.",
                     'increase((max without (instance) (etcd_server_leader_changes_seen_total{job=~".*etcd.*"}) or '
                     '0*absent(etcd_server_leader_changes_seen_total{job=~".*etcd.*"}))[15m:1m]) >= 4',
                     runbook="https://runbooks.prometheus-operator.dev/runbooks/etcd/etcdhighnumberofleaderchanges")
    inc.answer_key(culprit=("StatefulSet", "platform", "config-etcd"),
                   keywords=["election timeout", "heartbeat interval", "ETCD_ELECTION_TIMEOUT"],
                   root_cause="StatefulSet platform/config-etcd was upgraded at 14:10 (helm) with "
                              "ETCD_HEARTBEAT_INTERVAL=10 and ETCD_ELECTION_TIMEOUT=50 (were 100 and 1000): an "
                              "election timeout of 50 ms is below the members' cross-zone latency plus fsync "
                              "stalls, so followers keep starting elections and a few writes fail with 'leader "
                              "changed'. Restore the heartbeat interval 100 ms and election timeout 1000 ms.",
                   category="etcd-election-timeout-below-cross-zone-latency",
                   red_herrings=[("Deployment", "platform", "config-ui")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def quote_api_latency_spikes() -> Incident:
    """gunicorn-max-requests-without-jitter-synchronized-recycle: every worker recycles at once and reloads a model.

    after: Python web-service incidents where gunicorn's --max-requests is added against a slow memory
    leak but without --max-requests-jitter and without --preload: all workers of a pod reach the count
    together, restart together and each reloads a large model, so the pod stops answering for ~20 s in
    regular waves; p99 and a small share of 502/504 follow the waves.

    Deployment pricing/quote-api revision 4 (08:05, helm) adds `--max-requests 2000` to the gunicorn
    command. Its own log shows "Autorestarting worker after current request." for all four workers within
    a second, then "Booting worker" and a 20 s model load. The alert names quote-api. Red herring:
    quote-admin's rollout in pricing.
    """
    inc = Incident("quote-api-latency-spikes", title="quote-api p99 latency spikes",
                   story="gunicorn --max-requests without jitter: synchronized worker restarts.", at=AT8, seed=2108,
                   namespaces=("pricing",))
    change = AT8 - timedelta(minutes=85)
    image = f"{REGISTRY}/pricing/quote-api:3.7.1"
    base_cmd = ["gunicorn", "quote_api.wsgi:application", "--bind", "0.0.0.0:8080", "--workers", "4",
                "--timeout", "60"]

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        def g(t: datetime, pid: int, msg: str) -> str:
            return f"[{t.strftime('%Y-%m-%d %H:%M:%S')} +0000] [{pid}] [INFO] {msg}"
        out: Lines = [(start, g(start, 1, "Starting gunicorn 22.0.0")),
                      (start, g(start, 1, "Listening at: http://0.0.0.0:8080 (1)")),
                      (start, g(start, 1, "Using worker: sync"))]
        pid = 8
        for t in L.every(start + timedelta(minutes=4), end, 360):
            for k in range(4):
                old, pid = pid, pid + 1
                out.append((t + timedelta(milliseconds=150 * k), g(t, old, "Autorestarting worker after current "
                                                                          "request.")))
                out.append((t + timedelta(milliseconds=150 * k + 40), g(t, 1, f"Worker exiting (pid: {old})")))
                out.append((t + timedelta(milliseconds=150 * k + 90), g(t, 1, f"Booting worker with pid: {pid}")))
                out.append((t + timedelta(seconds=19, milliseconds=300 * k), L.pylog(
                    t + timedelta(seconds=19), "INFO", "quote_api.model", f"[{pid}] pricing model loaded "
                    "(412 MB) in 19.2s")))
        return out

    revs = [Rev(3, inc.born + timedelta(days=16), "helm upgrade", [c("quote-api", image, memory_limit="3Gi")],
                container={"command": base_cmd}),
            Rev(4, change, "helm upgrade", [c("quote-api", image, memory_limit="3Gi")],
                container={"command": [*base_cmd, "--max-requests", "2000"]})]
    wl = inc.deployment("pricing", "quote-api", revs, {4: [P(log=within(log)) for _ in range(3)]})
    herring(inc, "pricing", "quote-admin", f"{REGISTRY}/pricing/quote-admin", "1.4.0", AT8 - timedelta(minutes=22))
    plant(inc, "pricing", "quote-api-fx", "token", "fx-provider", "FX_API_KEY")
    for q, before, after in (("0.5", 0.09, 0.1), ("0.99", 0.35, 11.5)):
        inc.series("http_request_duration_seconds_quantile", "gauge", "Request latency quantile.",
                   {"namespace": "pricing", "service": "quote-api", "quantile": q},
                   lambda t, b=before, a=after: a if t > change and (t - change).total_seconds() % 360 < 60 else b)
    pod_http(inc, "pricing", "quote-api", "200", 90.0, 90.0, change)
    pod_http(inc, "pricing", "quote-api", "502", 0.0, 0.6, change)
    inc.pod_series(wl.pods)
    inc.alertmanager("HighRequestLatency", {"namespace": "pricing", "service": "quote-api", "job": "quote-api"},
                     "quote-api p99 latency above 2s", "99th percentile latency of quote-api is 11.5s "
                     "(threshold 2s), spiking every few minutes.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace='
                     '"pricing",service="quote-api"}[5m]))) > 2', runbook="https://wiki.example.com/runbooks/latency")
    inc.answer_key(culprit=("Deployment", "pricing", "quote-api"),
                   keywords=["max-requests", "jitter", "gunicorn"],
                   root_cause="Deployment pricing/quote-api revision 4 (08:05, helm) added gunicorn --max-requests "
                              "2000 with no --max-requests-jitter (and no --preload): all four workers of a pod "
                              "restart at the same moment and each reloads the 412 MB pricing model for ~19 s, so "
                              "every few minutes a pod stops answering; p99 spikes and some 502s. Add jitter (or "
                              "remove max-requests).",
                   category="gunicorn-max-requests-without-jitter-synchronized-recycle",
                   red_herrings=[("Deployment", "pricing", "quote-admin")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 12, 50, tzinfo=UTC)


def login_slow_page() -> Incident:
    """autoscaler-target-above-pod-capacity-never-scales: an HPA's per-pod target set above what a pod can serve.

    after: autoscaling write-ups where an HPA is moved from CPU to a requests-per-second metric with a
    target taken from a load test on bigger pods: the metric never reaches the target, the HPA stays at
    minReplicas, and latency builds up slowly with the daily peak instead of failing at once.

    HorizontalPodAutoscaler identity/token-service is synced by Argo CD at 06:20 from `cpu 60%` to a Pods
    metric `http_requests_per_second` with `averageValue: 900`; a token-service pod saturates its CPU at
    ~300 rps. As the lunch peak builds the pods sit at 100% CPU with ~610 rps each, the HPA stays at 3, and
    login-web's p99 climbs over two hours. PagerDuty names only the login. Red herring: mfa-service's rollout.
    """
    inc = Incident("login-slow-page", title="login p99 latency above objective",
                   story="An HPA's per-pod requests target set above pod capacity.", at=AT9, seed=2109,
                   namespaces=("identity",))
    change = AT9 - timedelta(hours=6, minutes=30)
    hpa = inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "token-service", "namespace": "identity", "labels": {"app": "token-service"}},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "token-service"},
                 "minReplicas": 3, "maxReplicas": 24,
                 "metrics": [{"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                                       "target": {"type": "AverageValue", "averageValue": "900"}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "lastScaleTime": ts(change + timedelta(minutes=6)),
                   "currentMetrics": [{"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                                                "current": {"averageValue": "612"}}}],
                   "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "message": "recommended size matches current size", "lastTransitionTime": ts(change)},
                       {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                        "message": "the HPA was able to successfully calculate a replica count from pods metric "
                                   "http_requests_per_second", "lastTransitionTime": ts(change)},
                       {"type": "ScalingLimited", "status": "True", "reason": "TooFewReplicas",
                        "message": "the desired replica count is less than the minimum replica count",
                        "lastTransitionTime": ts(change + timedelta(minutes=6))}]}})
    changed(hpa, ("argocd-controller", "Apply", change, {"f:spec": {"f:metrics": {}}}))
    peak = AT9 + timedelta(minutes=20)

    def tokens(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=10), end, 30)):
            lag = int(hourly(t, 4, 950, peak, 3))
            line: dict[str, Any] = {"level": 40 if lag > 200 else 30, "time": int(t.timestamp() * 1000), "pid": 1,
                                    "hostname": pod}
            if lag > 200:
                line.update({"lagMs": lag, "msg": "event loop lag high"})
            else:
                line.update({"req": {"method": "POST", "url": "/oauth/token"}, "responseTime": 12 + i % 20,
                             "msg": "request completed"})
            out.append((t, json.dumps(line, separators=(",", ":"))))
        return out

    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c("token-service", f"{REGISTRY}/identity/token-service:8.3.0", cpu_request="500m", cpu_limit="1")])
    tok = inc.deployment("identity", "token-service", [rev], {1: [P(log=within(tokens)) for _ in range(3)]},
                         annotations={"argocd.argoproj.io/tracking-id":
                                      "identity:apps/Deployment:identity/token-service"})

    def web(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=5), end, 20)):
            up = hourly(t, 0.03, 2.9, peak, 3)
            status = 504 if up > 2.5 and i % 9 == 0 else 200
            out.append((t, L.nginx_access(t, f"10.0.{i % 4}.{20 + i % 50}", "POST /login", status, 512,
                                          "identity-login-web-8080", f"{status}", up)))
        return out

    app(inc, "identity", "login-web", f"{REGISTRY}/identity/login-web:4.0.2", 2, log=within(web))
    herring(inc, "identity", "mfa-service", f"{REGISTRY}/identity/mfa-service", "3.3.0", AT9 - timedelta(minutes=45))
    plant(inc, "identity", "token-signing-key", "jwt", "token-service", "signing.key")
    for h in tok.pods:
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "identity", "pod": h.name, "container": "token-service", "job": "kubelet"},
                   lambda t: round((t - (inc.at - timedelta(hours=3))).total_seconds() * 0.8, 1))
    inc.series("kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "Desired number of replicas",
               {"namespace": "identity", "horizontalpodautoscaler": "token-service", "job": "kube-state-metrics"},
               lambda t: 3.0)
    inc.series("kube_horizontalpodautoscaler_spec_target_metric", "gauge", "The metric specifications used by "
               "this autoscaler", {"namespace": "identity", "horizontalpodautoscaler": "token-service",
                                   "metric_name": "http_requests_per_second", "metric_target_type": "average",
                                   "job": "kube-state-metrics"}, lambda t: 900.0)
    inc.series("http_requests_per_second", "gauge", "Per-pod request rate (prometheus-adapter)",
               {"namespace": "identity", "service": "token-service"}, lambda t: hourly(t, 240, 640, peak, 3))
    inc.pod_series(tok.pods)
    inc.pagerduty("Login p99 latency 2.9 s (objective 800 ms) - users report slow sign-in", "Identity / Login")
    inc.answer_key(culprit=("HorizontalPodAutoscaler", "identity", "token-service"),
                   keywords=["HPA", "averageValue", "minReplicas"],
                   root_cause="HorizontalPodAutoscaler identity/token-service was synced at 06:20 (Argo CD) from "
                              "CPU 60% to a Pods metric http_requests_per_second with averageValue 900, but a pod "
                              "saturates its CPU near 300 rps: at ~610 rps per pod the HPA computes fewer replicas "
                              "than minReplicas and stays at 3, so token-service's pods sit at 100% CPU and login "
                              "latency builds with the peak. Set a reachable target (or back to CPU).",
                   category="autoscaler-target-above-pod-capacity-never-scales",
                   red_herrings=[("Deployment", "identity", "mfa-service")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 15, 20, tzinfo=UTC)


def storefront_origin_latency_high() -> Incident:
    """cdn-wildcard-invalidation-cronjob-origin-surge: a purge CronJob now invalidates /* every 15 minutes.

    after: CDN postmortems where a cache purge meant for one file is widened to the whole distribution and
    scheduled often: each purge sends a burst of misses to the origin, whose p99 and error rate spike in a
    regular sawtooth while the CDN dashboards look green.

    CronJob web-platform/cdn-invalidate is edited at 12:40 (kubectl edit): schedule `*/15 * * * *` (was
    `0 4 * * *`) and paths `/*` (was `/sitemap.xml`). Its Jobs run every 15 minutes; after each, the origin
    (web/storefront) gets a wave of Amazon CloudFront misses and its p99 spikes. The alert names only the
    storefront. Red herring: storefront-assets' rollout in web.
    """
    inc = Incident("storefront-origin-latency-high", title="storefront latency spikes every few minutes",
                   story="A CDN purge CronJob widened to /* every 15 minutes.", at=AT10, seed=2110,
                   namespaces=("web-platform",))
    change = AT10 - timedelta(minutes=160)
    cmd = ["aws", "cloudfront", "create-invalidation", "--distribution-id", "E2QWRUHAPOMQZL", "--paths", "/*"]
    cj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "cdn-invalidate", "namespace": "web-platform", "generation": 3},
                  "spec": {"schedule": "*/15 * * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                           "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                           "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                               "restartPolicy": "Never", "serviceAccountName": "cdn-invalidate",
                               "containers": [{"name": "aws-cli", "image": "amazon/aws-cli:2.22.4", "command": cmd,
                                               "envFrom": [{"secretRef": {"name": "cdn-invalidate-aws"}}]}]}}}}},
                  "status": {"lastScheduleTime": ts(AT10 + timedelta(minutes=30)),
                             "lastSuccessfulTime": ts(AT10 + timedelta(minutes=31))}})
    changed(cj, ("kubectl-edit", "Update", change, {"f:spec": {"f:schedule": {}, "f:jobTemplate": {}}}))
    runs = [t for t in (AT10 - timedelta(minutes=15 * k) for k in range(-2, 12)) if change < t < inc.captured]
    for t in runs:
        stamp = int(t.timestamp() // 60)
        job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": f"cdn-invalidate-{stamp}", "namespace": "web-platform",
                                    "creationTimestamp": ts(t), "labels": {"job-name": f"cdn-invalidate-{stamp}"},
                                    "ownerReferences": [o.owner_ref("CronJob", "cdn-invalidate", "web-platform")]},
                       "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never", "containers": [
                           {"name": "aws-cli", "image": "amazon/aws-cli:2.22.4", "command": cmd}]}}},
                       "status": {"startTime": ts(t), "completionTime": ts(t + timedelta(seconds=9)), "succeeded": 1,
                                  "conditions": [{"type": "Complete", "status": "True",
                                                  "lastTransitionTime": ts(t + timedelta(seconds=9))}]}})
        inc.event(cj, "SuccessfulCreate", f"Created job {job['metadata']['name']}", t, warning=False,
                  component="cronjob-controller")
        inc.event(cj, "SawCompletedJob", f"Saw completed job: {job['metadata']['name']}, status: Complete",
                  t + timedelta(seconds=10), warning=False, component="cronjob-controller")
    plant(inc, "web-platform", "cdn-invalidate-aws", "aws-secret", "cdn-invalidate", "AWS_SECRET_ACCESS_KEY")

    def since_purge(t: datetime) -> float:
        if t < change:
            return 1e9
        return ((t - change).total_seconds() + 300) % 900

    def origin(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=4), end, 6)):
            burst = since_purge(t) < 120
            rt = 1.8 + (i % 17) / 10 if burst else 0.04 + (i % 9) / 100
            ua = "Amazon CloudFront" if burst or i % 4 == 0 else "Mozilla/5.0 (X11; Linux x86_64)"
            status = 504 if burst and i % 11 == 0 else 200
            out.append((t, L.nginx_access(t, f"130.176.{i % 200}.{i % 250}", f"GET /p/{1000 + (i * 37) % 9000}",
                                          status, 48213, "web-storefront-8080", str(status), rt, ua=ua)))
        return out

    wl = app(inc, "web", "storefront", f"{REGISTRY}/web/storefront:21.3.0", 4, log=within(origin))
    herring(inc, "web", "storefront-assets", f"{REGISTRY}/web/storefront-assets", "21.3.0",
            AT10 - timedelta(minutes=28))
    inc.series("aws_cloudfront_cache_hit_rate_average", "gauge", "CloudWatch CacheHitRate (cloudwatch-exporter)",
               {"job": "cloudwatch-exporter", "distribution_id": "E2QWRUHAPOMQZL"},
               lambda t: 12.0 if since_purge(t) < 120 else 93.0)
    for q, before, after in (("0.5", 0.05, 0.06), ("0.99", 0.3, 3.4)):
        inc.series("http_request_duration_seconds_quantile", "gauge", "Request latency quantile.",
                   {"namespace": "web", "service": "storefront", "quantile": q},
                   lambda t, b=before, a=after: a if since_purge(t) < 120 else b)
    inc.pod_series(wl.pods)
    inc.alertmanager("HighRequestLatency", {"namespace": "web", "service": "storefront", "job": "storefront"},
                     "storefront p99 latency above 1s", "99th percentile latency of storefront is 3.4s in bursts; "
                     "origin request rate triples for two minutes at a time.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="web",'
                     'service="storefront"}[5m]))) > 1', runbook="https://wiki.example.com/runbooks/latency")
    inc.answer_key(culprit=("CronJob", "web-platform", "cdn-invalidate"),
                   keywords=["invalidation", "CloudFront", "cache hit"],
                   root_cause="CronJob web-platform/cdn-invalidate was edited at 12:40 to run every 15 minutes "
                              "(*/15, was daily) with paths /* (was /sitemap.xml): each run creates a CloudFront "
                              "invalidation of the whole distribution, the cache hit rate drops from 93% to ~12% and "
                              "a wave of misses hits the storefront origin, whose p99 spikes every 15 minutes. "
                              "Restore the daily schedule and the narrow path.",
                   category="cdn-wildcard-invalidation-cronjob-origin-surge",
                   red_herrings=[("Deployment", "web", "storefront-assets")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 8, 35, tzinfo=UTC)


def product_pages_errors() -> Incident:
    """service-publishes-not-ready-endpoints-to-callers: a Service starts routing to pods that fail readiness.

    after: Kubernetes write-ups where publishNotReadyAddresses (meant for peer discovery of a clustered
    app) is set on the Service that clients use: pods that are still warming up or have failed readiness
    stay in the endpoints, and a fraction of requests lands on them.

    Service catalog/catalog-api gets `publishNotReadyAddresses: true` in a chart upgrade at 07:55 (helm,
    "enable peer discovery for the in-memory index"). One catalog-api pod has been failing its readiness
    probe (index not loaded) for half an hour and still receives a quarter of the traffic; product-pages
    logs 503s "index not loaded" for ~25% of catalog calls. The alert names only product-pages. Red herring:
    catalog-importer's rollout in catalog.
    """
    inc = Incident("product-pages-errors", title="product-pages error rate above 5%",
                   story="A Service set to publish not-ready addresses.", at=AT11, seed=2111,
                   namespaces=("catalog", "storefront"))
    change = AT11 - timedelta(minutes=40)
    rev = Rev(1, inc.born + timedelta(days=18), "helm upgrade",
              [c("catalog-api", f"{REGISTRY}/catalog/catalog-api:5.8.0", memory_limit="4Gi")])
    plans = [P(), P(), P(), P(state="notready", created=AT11 - timedelta(minutes=31),
                                message="Readiness probe failed: HTTP probe failed with statuscode: 503")]
    wl = inc.deployment("catalog", "catalog-api", [rev], {1: plans})
    inc.service("catalog", "catalog-api", {"app": "catalog-api"}, port=8080, target=8080)
    svc = inc.find("Service", "catalog", "catalog-api")
    svc["spec"]["publishNotReadyAddresses"] = True
    changed(svc, ("helm", "Update", change, {"f:spec": {"f:publishNotReadyAddresses": {}}}))
    warm = wl.pods[-1]
    warm.logs["catalog-api"] = L.lines(
        [(warm.created + timedelta(seconds=8), L.js(warm.created, "info", "loading product index",
                                                    shards=64, source="s3://catalog-index/prod/2026-12-05"))] +
        [(t, L.js(t, "warn", "index not loaded, answering 503", loaded_shards=min(63, 20 + i), shards=64))
         for i, t in enumerate(L.every(warm.created + timedelta(minutes=1), inc.captured, 60))])

    def pages(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=8), end, 15)):
            if t > warm.created and i % 4 == 0:
                out.append((t, '{"level":50,"time":' + str(int(t.timestamp() * 1000)) + ',"pid":1,"hostname":"'
                            + pod + '","err":{"type":"HTTPError","message":"Response code 503 (Service '
                            'Unavailable)","body":"index not loaded"},"url":"http://catalog-api.catalog.svc:8080/v1/'
                            'products/' + str(4400 + i) + '","msg":"catalog request failed"}'))
            else:
                out.append((t, '{"level":30,"time":' + str(int(t.timestamp() * 1000)) + ',"pid":1,"hostname":"'
                            + pod + '","req":{"method":"GET","url":"/p/' + str(4400 + i) + '"},"res":{"statusCode":'
                            '200},"responseTime":' + str(40 + i % 35) + ',"msg":"request completed"}'))
        return out

    pages_wl = app(inc, "storefront", "product-pages", f"{REGISTRY}/storefront/product-pages:2.14.0", 3,
                   log=within(pages))
    herring(inc, "catalog", "catalog-importer", f"{REGISTRY}/catalog/catalog-importer", "5.7.2",
            AT11 - timedelta(minutes=22))
    plant(inc, "catalog", "catalog-index-s3", "aws", "catalog-index", "AWS_ACCESS_KEY_ID")
    for h in wl.pods:
        bad = h is warm
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": "catalog", "service": "catalog-api", "pod": h.name, "code": "503" if bad else "200"},
                   counter(inc.at - timedelta(hours=2), 0.0 if bad else 60.0, 45.0, warm.created))
    inc.series("kube_pod_status_ready", "gauge", "Describes whether the pod is ready to serve requests.",
               {"namespace": "catalog", "pod": warm.name, "condition": "true", "job": "kube-state-metrics"},
               lambda t: 0.0)
    pod_http(inc, "storefront", "product-pages", "200", 120.0, 90.0, warm.created)
    pod_http(inc, "storefront", "product-pages", "500", 0.1, 30.0, warm.created)
    inc.pod_series(wl.pods + pages_wl.pods)
    inc.alertmanager("HighErrorRate", {"namespace": "storefront", "service": "product-pages", "job": "product-pages"},
                     "product-pages 5xx ratio above 5%", "25% of product-pages requests fail with 500 for the last "
                     "20 minutes.",
                     'sum(rate(http_requests_total{namespace="storefront",service="product-pages",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{namespace="storefront",service="product-pages"}[5m])) > 0.05',
                     severity="critical", runbook="https://wiki.example.com/runbooks/error-rate")
    inc.answer_key(culprit=("Service", "catalog", "catalog-api"),
                   keywords=["publishNotReadyAddresses", "not ready", "readiness"],
                   root_cause="Service catalog/catalog-api got publishNotReadyAddresses: true in a helm upgrade at "
                              "07:55: endpoints now include pods that fail readiness, so the catalog-api pod whose "
                              "index is not loaded (not ready for 30 minutes, answering 503) still gets a quarter "
                              "of product-pages' catalog calls, which fail. Remove publishNotReadyAddresses (use a "
                              "separate headless Service for peer discovery).",
                   category="service-publishes-not-ready-endpoints-to-callers",
                   red_herrings=[("Deployment", "catalog", "catalog-importer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 11, 5, tzinfo=UTC)


def card_verifications_failing_page() -> Incident:
    """mesh-outbound-registry-only-blocks-unregistered-host: mesh egress locked down without a needed entry.

    after: service-mesh egress-lockdown incidents: the mesh-wide outboundTrafficPolicy is switched to
    REGISTRY_ONLY, ServiceEntries exist for the main external APIs, but one rarely used external host (a
    3-D Secure directory server needed for some card brands) has none; its calls go to BlackHoleCluster
    and only that fraction of payments fails.

    ConfigMap istio-system/istio (mesh config) is changed at 10:12 by Argo CD (platform "egress
    lockdown"): `outboundTrafficPolicy: {mode: REGISTRY_ONLY}` (was ALLOW_ANY). ServiceEntries cover the
    PSP api.psp.example.com but not acs.threeds-directory.example.net; payments-api's istio-proxy logs 502
    to BlackHoleCluster for those calls and 3-D Secure checks fail for ~9% of payments. PagerDuty names
    only payments-api. Red herring: a payments-worker rollout.
    """
    inc = Incident("card-verifications-failing-page", title="payments-api: card verifications failing",
                   story="Mesh outbound traffic policy set to REGISTRY_ONLY without an entry for one host.",
                   at=AT12, seed=2112, namespaces=("istio-system", "checkout-payments"))
    change = AT12 - timedelta(minutes=53)
    mesh = ("accessLogFile: /dev/stdout\ndefaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"
            "  holdApplicationUntilProxyStarts: true\nenablePrometheusMerge: true\noutboundTrafficPolicy:\n"
            "  mode: REGISTRY_ONLY\nrootNamespace: istio-system\ntrustDomain: cluster.local\n")
    changed(inc.configmap("istio-system", "istio", {"mesh": mesh, "meshNetworks": "networks: {}"},
                          annotations={"argocd.argoproj.io/tracking-id":
                                       "platform-mesh:/ConfigMap:istio-system/istio"}),
            ("helm", "Update", inc.born + timedelta(days=3), {"f:data": {}}),
            ("argocd-controller", "Apply", change, {"f:data": {"f:mesh": {}}}))
    crd(inc, "ServiceEntry", "networking.istio.io", "serviceentries")
    for name, host in (("psp-api", "api.psp.example.com"), ("fraud-api", "api.fraudscore.example.io")):
        inc.add({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                 "metadata": {"name": name, "namespace": "checkout-payments"},
                 "spec": {"hosts": [host], "location": "MESH_EXTERNAL", "resolution": "DNS",
                          "ports": [{"number": 443, "name": "https", "protocol": "TLS"}]}})
    inc.deployment("istio-system", "istiod", [Rev(1, inc.born + timedelta(days=3), "helm upgrade",
                                                  [c("discovery", "docker.io/istio/pilot:1.24.1", port=15010)])],
                   {1: [P(), P()]})

    def app_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start + timedelta(seconds=10), end, 20)):
            if t > change and i % 11 == 0:
                out.append((t, L.logfmt(t, "error", "3ds authentication failed", payment=f"pay_{88120 + i}",
                                        brand="cartes_bancaires", err="POST https://acs.threeds-directory.example.net/"
                                        "v2/authenticate: upstream connect error: 502 Bad Gateway")))
            else:
                out.append((t, L.logfmt(t, "info", "payment authorised", payment=f"pay_{88120 + i}",
                                        brand=["visa", "mastercard", "amex"][i % 3], ms=180 + i % 90)))
        return out

    rev = Rev(1, inc.born + timedelta(days=13), "helm upgrade",
              [c("payments-api", f"{REGISTRY}/payments/payments-api:7.9.1"),
               c("istio-proxy", "docker.io/istio/proxyv2:1.24.1", port=15090, readiness_path=None,
                 liveness_path=None)])
    wl = inc.deployment("checkout-payments", "payments-api", [rev], {1: [P(log=within(app_log)) for _ in range(3)]})
    for h in wl.pods:
        entries: Lines = []
        for i, t in enumerate(L.every(max(h.created, inc.at - timedelta(hours=2)) + timedelta(seconds=10),
                                      inc.captured, 20)):
            rid = L.uuidish(h.name, i)
            if t > change and i % 11 == 0:
                entries.append((t, L.envoy(t, "POST", "/v2/authenticate", 502, "-", "-", 0,
                                           "acs.threeds-directory.example.net", rid, details="direct_response")
                                + " BlackHoleCluster"))
            else:
                entries.append((t, L.envoy(t, "POST", "/v1/payments", 200, "-", "api.psp.example.com:443", 170 + i % 80,
                                           "api.psp.example.com", rid, details="via_upstream")
                                + " outbound|443||api.psp.example.com"))
        h.logs["istio-proxy"] = L.lines(entries)
    herring(inc, "checkout-payments", "payments-worker", f"{REGISTRY}/payments/payments-worker", "7.9.0",
            AT12 - timedelta(minutes=26))
    plant(inc, "checkout-payments", "psp-credentials", "stripe", "psp-live", "PSP_SECRET_KEY")
    inc.series("istio_requests_total", "gauge", "Total requests (istio standard metrics).",
               {"namespace": "checkout-payments", "source_workload": "payments-api",
                "destination_service_name": "BlackHoleCluster", "response_code": "502", "reporter": "source"},
               counter(inc.at - timedelta(hours=2), 0.0, 0.31, change))
    pod_http(inc, "checkout-payments", "payments-api", "200", 3.1, 2.8, change)
    pod_http(inc, "checkout-payments", "payments-api", "502", 0.0, 0.3, change)
    inc.pod_series(wl.pods)
    inc.pagerduty("payments-api: 3-D Secure verifications failing for ~9% of card payments", "payments-api")
    inc.answer_key(culprit=("ConfigMap", "istio-system", "istio"),
                   keywords=["REGISTRY_ONLY", "outboundTrafficPolicy", "ServiceEntry", "BlackHoleCluster"],
                   root_cause="The mesh config ConfigMap istio-system/istio was changed at 10:12 (Argo CD, egress "
                              "lockdown) to outboundTrafficPolicy mode REGISTRY_ONLY (was ALLOW_ANY); there is a "
                              "ServiceEntry for the PSP but none for acs.threeds-directory.example.net, so "
                              "payments-api's sidecar sends those calls to BlackHoleCluster (502) and 3-D Secure "
                              "checks fail for ~9% of payments. Add a ServiceEntry for that host (or revert).",
                   category="mesh-outbound-registry-only-blocks-unregistered-host",
                   red_herrings=[("Deployment", "checkout-payments", "payments-worker")])
    return inc


ALL = [accounts_errors_burn, node_everything_slow_question, replicas_short_grouped, search_slow_for_some_page,
       checkout_slow_to_confirm_question, ledger_api_throttled, config_etcd_leader_changes, quote_api_latency_spikes,
       login_slow_page, storefront_origin_latency_high, product_pages_errors, card_verifications_failing_page]
