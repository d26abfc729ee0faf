"""Round 46 of the held-out incident set: application lifecycle in Kubernetes.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). The causes live where
an application's life in a cluster goes wrong: probes, graceful shutdown and draining behind load balancers,
native sidecar ordering, rolling-update parameters, disruption budgets, Helm value precedence, warm-up and
restarts that happen everywhere at once. Most pages are on what these hurt; about a third are simple.
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
from corpus.podstate import steady  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    ms,
    node,
    plant,
    revision,
    rolled,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus alert as Alertmanager carries it (sent with `send`)."""
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert({"alertname": name, **labels, "severity": severity, **PROM}, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 5) -> dict[str, Any]:
    """A custom resource with its CRD, applied long ago by Argo CD and last written by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def builtin(inc: Incident, obj: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
            op: str = "Update") -> dict[str, Any]:
    """A core object created by Helm long ago and last written by `manager` at `chg`."""
    inc.add(obj)
    return changed(obj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}), (manager, op, chg, fields))


def involved(kind: str, ns: str, name: str, api: str = "v1") -> dict[str, Any]:
    """What an Event's involvedObject points at."""
    meta = {"name": name, "uid": o.uid(kind.lower(), ns, name)}
    if ns:  # a cluster-scoped object's events are kept in `default`
        meta["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def as_obj(h: PodHistory) -> dict[str, Any]:
    return involved("Pod", h.namespace, h.name)


def workload(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
             replicas: int = 2, version: str = "", nodes: list[str] | None = None, **kw: Any) -> Any:
    """A healthy Deployment (one revision); whatever is wrong shows in its logs and metrics."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:{version or f'1.{len(name)}.2'}", **kw)])
    plans = [P(log=within(make), node=nodes[i] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def node_pod(inc: Incident, ns: str, owner: str, container: o.Container, name: str, where: str, at: datetime,
             log: Callable[[str, datetime, datetime], Lines], labels: dict[str, str], restarts: int = 0,
             last_exit: datetime | None = None) -> PodHistory:
    """A DaemonSet's pod on `where` (restarted `restarts` times, the last at `last_exit`)."""
    began = last_exit or at + timedelta(seconds=3)
    state = o.ContainerState(restarts=restarts, ready=True, started_at=began,
                             last_reason="Error" if restarts else None, last_exit_code=137 if restarts else None,
                             last_finished=last_exit)
    h = PodHistory(name=name, namespace=ns, workload=owner, containers=[container], node=where, created=at,
                   states=[state], memory=steady(40), labels=labels,
                   owner={**o.owner_ref("DaemonSet", owner, ns), "controller": True})
    h.logs[container.name] = within(log)(name, began, inc.captured)
    inc.cluster.add_pod(h)
    return h


def spring_at(t: datetime, s: float, level: str, logger: str, msg: str, thread: str = "main") -> tuple[datetime, str]:
    when = t + timedelta(seconds=s)
    return when, L.spring(when, level, logger, msg, thread)


def redis(t: datetime, role: str, msg: str, pid: int = 1, mark: str = "*") -> str:
    """Redis's own log line: `pid:role dd Mon yyyy HH:MM:SS.mmm <level mark> message`."""
    return f"{pid}:{role} {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d} {mark} {msg}"


def dotnet(t: datetime, level: str, category: str, msg: str) -> str:
    """Microsoft.Extensions.Logging's simple console formatter with a UTC timestamp, single line."""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%S')}Z {level}: {category}[0] {msg}"


def pgbouncer(t: datetime, level: str, msg: str, pid: int = 1) -> str:
    """PgBouncer's log line: `yyyy-mm-dd HH:MM:SS.mmm UTC [pid] LEVEL message`."""
    return f"{ms(t)} UTC [{pid}] {level} {msg}"


def celery(t: datetime, level: str, where: str, msg: str) -> str:
    """Celery's worker log format `[%(asctime)s: %(levelname)s/%(processName)s] %(message)s`."""
    return f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d}: {level}/{where}] {msg}"


def coredns(t: datetime, level: str, msg: str) -> str:
    """CoreDNS's plugin log line (`[LEVEL] plugin/name: message`): no time of its own, the runtime stamps it."""
    return f"[{level}] {msg}"


def rust(t: datetime, level: str, target: str, msg: str) -> str:
    """tracing-subscriber's default fmt layer (ANSI off)."""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z {level:>5} {target}: {msg}"


def rate_of(per_s: float) -> Series:
    return lambda t: per_s


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 5, 10, 40, tzinfo=UTC)


def storefront_deploy_errors_burn() -> Incident:
    """An ALB Ingress sets the target group's deregistration delay to 0: every pod stop cuts in-flight requests.

    after: AWS Load Balancer Controller users shortening draining to speed up deploys, as the controller's docs
    and many deploy-time-502 threads describe it: with `deregistration_delay.timeout_seconds=0` the ALB drops
    a target the moment it is deregistered, so requests still in flight (and those routed in the seconds before
    the controller reconciles) get 502 from the ALB on every rolling update. The page is the storefront's SLO.
    """
    inc = start(storefront_deploy_errors_burn, "storefront error budget burn", AT1, 4601, ("shop",))
    chg = AT1 - timedelta(hours=3, minutes=10)
    plant(inc, "shop", "storefront-session", "password", "storefront-session", "SESSION_SECRET")
    builtin(inc, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                  "metadata": {"name": "shop-public", "namespace": "shop", "generation": 9, "annotations": {
                      "alb.ingress.kubernetes.io/scheme": "internet-facing",
                      "alb.ingress.kubernetes.io/target-type": "ip",
                      "alb.ingress.kubernetes.io/healthcheck-path": "/healthz/ready",
                      "alb.ingress.kubernetes.io/target-group-attributes":
                          "deregistration_delay.timeout_seconds=0,slow_start.duration_seconds=0"}},
                  "spec": {"ingressClassName": "alb", "rules": [{"host": "www.shop.example.com", "http": {
                      "paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {
                          "name": "storefront-web", "port": {"number": 80}}}}]}}]},
                  "status": {"loadBalancer": {"ingress": [
                      {"hostname": "k8s-shop-shoppubl-5c1e0f2a9b-1428877312.eu-west-1.elb.amazonaws.com"}]}}},
            "kubectl-annotate", chg,
            {"f:metadata": {"f:annotations": {"f:alb.ingress.kubernetes.io/target-group-attributes": {}}}})
    inc.event(involved("Ingress", "shop", "shop-public", "networking.k8s.io/v1"), "SuccessfullyReconciled",
              "Successfully reconciled", chg + timedelta(seconds=4), warning=False, component="ingress")

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: L.js(t, "info", "request completed", res={"statusCode": 200},
                                                 responseTime=41 + i % 30, req={"method": "GET", "url": "/p"}))

    new = c("storefront-web", f"{REGISTRY}/shop/storefront-web:5.14.0", port=3000)
    rolled(inc, "shop", "storefront-web", c("storefront-web", f"{REGISTRY}/shop/storefront-web:5.13.2", port=3000),
           new, AT1 - timedelta(minutes=9), web, replicas=4)
    inc.service("shop", "storefront-web", {"app": "storefront-web"}, target=3000)
    herring(inc, "shop", "recommendations-api", f"{REGISTRY}/shop/recommendations-api", "2.8.0", "2.8.1",
            AT1 - timedelta(minutes=50))
    deploys = [AT1 - timedelta(minutes=m) for m in (95, 61, 9)]
    series(inc, "aws_applicationelb_httpcode_elb_502_count_sum", "gauge", "HTTPCode_ELB_502_Count (sum, 1m)",
           {"job": "yace", "load_balancer": "app/k8s-shop-shoppubl-5c1e0f2a9b/1428877312", "namespace": "shop"},
           lambda t: 0.0 if t < chg else (180.0 if any(d <= t < d + timedelta(minutes=4) for d in deploys) else 0.0))
    series(inc, "aws_applicationelb_request_count_sum", "gauge", "RequestCount (sum, 1m)",
           {"job": "yace", "load_balancer": "app/k8s-shop-shoppubl-5c1e0f2a9b/1428877312", "namespace": "shop"},
           lambda t: 9200.0)
    inc.slo_burn("storefront", "shop", "storefront-availability", "0.999", 16.2,
                 "2.0% of storefront requests failed with 502 over the last hour (three short bursts).")
    inc.answer_key(
        culprit=("Ingress", "shop", "shop-public"),
        keywords=["deregistration_delay", "502", "draining"],
        root_cause="The Ingress shop/shop-public was annotated (kubectl-annotate, managedFields) with "
                   "target-group-attributes deregistration_delay.timeout_seconds=0: the ALB no longer drains a "
                   "target (no connection draining), so each storefront-web rolling update cuts in-flight "
                   "requests and the ALB answers 502 "
                   "(HTTPCode_ELB_502 bursts at every deploy), burning the storefront SLO.",
        category="lb-draining-disabled",
        red_herrings=[("Deployment", "shop", "recommendations-api")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 5, 15, 5, tzinfo=UTC)


def invoices_api_crashlooping() -> Incident:
    """The Cloud SQL proxy moved from a native sidecar back to a plain container: the app starts before it listens.

    after: native sidecar adoption going backwards, as Kubernetes' sidecar docs and Cloud SQL proxy issues
    describe it: as an init container with `restartPolicy: Always` the proxy is started (and its startupProbe
    passed) before the app; a chart refactor put it back in `containers`, so the app's migration step dials
    127.0.0.1:5432 while the proxy is still connecting and exits. Simple: the page names the workload itself.
    """
    inc = start(invoices_api_crashlooping, "invoices-api crash looping", AT2, 4602, ("billing",))
    chg = AT2 - timedelta(minutes=26)
    plant(inc, "billing", "invoices-db", "password", "invoices-db", "DB_PASSWORD")
    proxy = {"name": "cloud-sql-proxy", "image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
             "args": ["--port=5432", "--health-check", "--http-address=0.0.0.0",
                      "acme-prod:europe-west1:invoices-pg"]}
    old = Rev(1, AT2 - timedelta(days=8), "helm upgrade",
              [c("invoices-api", f"{REGISTRY}/billing/invoices-api:7.2.0", port=8080)],
              pod_spec={"initContainers": [{**proxy, "restartPolicy": "Always",
                                            "startupProbe": {"httpGet": {"path": "/startup", "port": 9090},
                                                             "periodSeconds": 1, "failureThreshold": 30}}]})
    new = Rev(2, chg, "helm upgrade",
              [c("invoices-api", f"{REGISTRY}/billing/invoices-api:7.3.0", port=8080),
               c("cloud-sql-proxy", str(proxy["image"]), port=None, readiness_path=None, liveness_path=None)],
              pod_spec={"initContainers": []})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s + timedelta(seconds=1), L.go_std(s + timedelta(seconds=1), "invoices-api 7.3.0 starting")),
                (s + timedelta(seconds=1.2), L.go_std(s + timedelta(seconds=1.2),
                 "migrate: running pending migrations (goose)")),
                (s + timedelta(seconds=1.3), L.go_std(s + timedelta(seconds=1.3),
                 'goose run: failed to connect to `user=invoices database=invoices`: 127.0.0.1:5432 (127.0.0.1): '
                 'dial error: dial tcp 127.0.0.1:5432: connect: connection refused'))]

    wl = inc.deployment("billing", "invoices-api", [old, new],
                        {1: [P(), P()], 2: [P(state="crashloop", log=within(api), exit_code=1, crash_from=chg)]},
                        progress="progressing", replicas=2)
    herring(inc, "billing", "invoice-renderer", f"{REGISTRY}/billing/invoice-renderer", "1.4.3", "1.5.0",
            AT2 - timedelta(hours=1, minutes=15))
    inc.alertmanager("KubePodCrashLooping", {"namespace": "billing", "pod": wl.pods[-1].name,
                                             "container": "invoices-api", "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod billing/{wl.pods[-1].name} (invoices-api) is in waiting state "
                     "(reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    inc.answer_key(
        culprit=("Deployment", "billing", "invoices-api"),
        keywords=["native sidecar", "initContainers", "restartPolicy: Always", "cloud-sql-proxy"],
        root_cause="Deployment billing/invoices-api revision 2 (7.3.0) moved cloud-sql-proxy out of initContainers "
                   "(a native sidecar with restartPolicy: Always and a startupProbe) into the regular containers: "
                   "the app container no longer waits for the proxy, its goose migration dials 127.0.0.1:5432 "
                   "before the proxy listens (connection refused) and exits, so the new pod crash-loops.",
        category="sidecar-start-order-lost",
        red_herrings=[("Deployment", "billing", "invoice-renderer")])
    return inc



# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 5, 9, 20, tzinfo=UTC)


def account_logins_dropped_page() -> Incident:
    """A Redis StatefulSet's terminationGracePeriodSeconds cut to 10: SIGKILL lands before the final RDB save.

    after: stateful caches rolled with a short grace period, as Redis's shutdown docs and many "everyone got
    logged out after the deploy" reports describe it: on SIGTERM Redis writes a last snapshot before exiting;
    a 6 GB dataset needs ~40 s, the kubelet kills it after 10, and the restarted primary loads the snapshot
    taken at the last scheduled save hours earlier, so sessions created since then are gone. The page is on the
    account service that finds the sessions missing.
    """
    inc = start(account_logins_dropped_page, "account-web sessions missing", AT3, 4603, ("identity",))
    chg = AT3 - timedelta(minutes=35)
    plant(inc, "identity", "session-redis-auth", "password", "session-redis", "REDIS_PASSWORD")
    box = c("redis", "docker.io/library/redis:7.4.1", port=6379, memory_limit="8Gi", readiness_path=None,
            liveness_path=None)

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        boot = s + timedelta(seconds=1)
        return [(boot, redis(boot, "C", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", mark="#")),
                (boot, redis(boot, "C", "Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, "
                                        "just started", mark="#")),
                (boot, redis(boot, "M", "Server initialized")),
                (boot + timedelta(seconds=1), redis(boot + timedelta(seconds=1), "M",
                 "Loading RDB produced by version 7.4.1")),
                (boot + timedelta(seconds=1), redis(boot + timedelta(seconds=1), "M",
                 "RDB age 20870 seconds")),
                (boot + timedelta(seconds=38), redis(boot + timedelta(seconds=38), "M",
                 "Done loading RDB, keys loaded: 3912044, keys expired: 14120.")),
                (boot + timedelta(seconds=38), redis(boot + timedelta(seconds=38), "M",
                 "DB loaded from disk: 37.115 seconds")),
                (boot + timedelta(seconds=38), redis(boot + timedelta(seconds=38), "M",
                 "Ready to accept connections tcp"))]

    wl = inc.statefulset("identity", "session-redis", [box], [P(log=within(log))], chg + timedelta(seconds=12),
                         claims=[("data", "20Gi", "gp3")], service=6379)
    sts = wl.obj
    sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 10
    sts["metadata"]["generation"] = 14
    sts["status"]["observedGeneration"] = 14
    old_t = {"spec": {"terminationGracePeriodSeconds": 120, "containers": [box.spec()]}}
    new_t = {"spec": {"terminationGracePeriodSeconds": 10, "containers": [box.spec()]}}
    revision(inc, "StatefulSet", "identity", "session-redis", 6, AT3 - timedelta(days=21), old_t)
    rev = revision(inc, "StatefulSet", "identity", "session-redis", 7, chg, new_t)
    sts["status"]["currentRevision"] = sts["status"]["updateRevision"] = rev
    old = "session-redis-0"
    inc.event(involved("Pod", "identity", old), "Killing", "Stopping container redis", chg, warning=False)
    inc.event(involved("StatefulSet", "identity", "session-redis", "apps/v1"), "SuccessfulCreate",
              "create Pod session-redis-0 in StatefulSet session-redis successful", chg + timedelta(seconds=12),
              warning=False, component="statefulset-controller")

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg + timedelta(seconds=50):
                return dotnet(t, "info", "Microsoft.AspNetCore.Hosting.Diagnostics",
                              "Request finished HTTP/1.1 GET /account - 200") if i % 6 == 0 else None
            return dotnet(t, "warn", "Acme.Identity.SessionMiddleware",
                          f"Session {o.suffix(pod + str(i), 12)} not found in store; redirecting to /login")
        return every(s, e, 4, line)

    workload(inc, "identity", "account-web", web, replicas=3, version="9.3.0")
    herring(inc, "identity", "mfa-service", f"{REGISTRY}/identity/mfa-service", "4.1.0", "4.2.0",
            AT3 - timedelta(hours=1, minutes=20))
    series(inc, "redis_db_keys", "gauge", "Total number of keys by DB",
           {"namespace": "identity", "job": "redis-exporter", "db": "db0", "instance": "session-redis-0"},
           lambda t: 4415000.0 + (t - AT3).total_seconds() if t < chg else 3912044.0 + (t - chg).total_seconds())
    series(inc, "redis_rdb_last_bgsave_duration_sec", "gauge", "rdb_last_bgsave_duration_sec metric",
           {"namespace": "identity", "job": "redis-exporter", "instance": "session-redis-0"},
           lambda t: 41.0 if t < chg else None)
    series(inc, "redis_rdb_last_save_timestamp_seconds", "gauge", "Last RDB save time",
           {"namespace": "identity", "job": "redis-exporter", "instance": "session-redis-0"},
           lambda t: (chg - timedelta(seconds=20870)).timestamp())
    inc.pagerduty("[identity] account-web: spike in forced re-logins (session not found)", "Identity platform")
    inc.answer_key(
        culprit=("StatefulSet", "identity", "session-redis"),
        keywords=["terminationGracePeriodSeconds", "RDB", "SIGKILL"],
        root_cause="StatefulSet identity/session-redis revision 7 lowered terminationGracePeriodSeconds from 120 "
                   "to 10: a final RDB save of this dataset takes about 41 s (rdb_last_bgsave_duration), so on the "
                   "rolling restart Redis got SIGKILL before its shutdown snapshot finished, the new pod loaded "
                   "a 5.8-hour-old RDB (RDB age 20870 s, 500k fewer keys) and account-web finds users' sessions "
                   "missing and sends them back to /login.",
        category="final-snapshot-cut-by-grace-period",
        red_herrings=[("Deployment", "identity", "mfa-service")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 5, 13, 50, tzinfo=UTC)


def node_lookups_failing_question() -> Incident:
    """node-local-dns gets a 1 s / single-failure liveness probe: on a busy node the kubelet keeps killing it.

    after: aggressive liveness probes on a node-level agent, as Kubernetes' probe docs and NodeLocal DNSCache
    issues warn: `timeoutSeconds: 1, failureThreshold: 1` means one slow answer under CPU pressure restarts the
    cache; on the node running a CPU-heavy batch the cache restarts every few minutes and every pod there gets
    `i/o timeout` on lookups while it is down. Only that node is hurt; the question names only the host.
    """
    inc = start(node_lookups_failing_question, "DNS errors on one node", AT4, 4604, ("kube-system", "orders"))
    chg = AT4 - timedelta(hours=5)
    busy = node(inc, 1)
    plant(inc, "orders", "orders-broker", "password", "orders-broker", "AMQP_PASSWORD")
    ctr = c("node-cache", "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1", port=53, readiness_path=None,
            liveness_path=None)
    probe_old = {"httpGet": {"host": "169.254.20.10", "path": "/health", "port": 8080}, "initialDelaySeconds": 60,
                 "timeoutSeconds": 5, "failureThreshold": 3}
    probe_new = {**probe_old, "timeoutSeconds": 1, "failureThreshold": 1, "periodSeconds": 5}
    spec = ctr.spec()
    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "node-local-dns", "namespace": "kube-system", "generation": 4,
                               "labels": {"k8s-app": "node-local-dns"}},
                  "spec": {"selector": {"matchLabels": {"k8s-app": "node-local-dns"}},
                           "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
                           "template": {"metadata": {"labels": {"k8s-app": "node-local-dns"}},
                                        "spec": {"hostNetwork": True, "priorityClassName": "system-node-critical",
                                                 "containers": [{**spec, "livenessProbe": probe_new}]}}},
                  "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3,
                             "updatedNumberScheduled": 3, "numberAvailable": 3, "observedGeneration": 4}})
    changed(ds, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("kubectl-patch", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                'k:{"name":"node-cache"}': {"f:livenessProbe": {"f:timeoutSeconds": {}, "f:failureThreshold": {},
                                                                "f:periodSeconds": {}}}}}}}}))
    revision(inc, "DaemonSet", "kube-system", "node-local-dns", 3, inc.born + timedelta(days=6),
             {"spec": {"containers": [{**spec, "livenessProbe": probe_old}]}})
    rev = revision(inc, "DaemonSet", "kube-system", "node-local-dns", 4, chg,
                   {"spec": {"containers": [{**spec, "livenessProbe": probe_new}]}})
    labels = {"k8s-app": "node-local-dns", "controller-revision-hash": rev.rsplit("-", 1)[1]}

    def cache(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, coredns(s, "INFO", "plugin/reload: Running configuration SHA512 = 9c1a0f"))]
        out += every(s + timedelta(seconds=30), e, 30, lambda i, t: coredns(
            t, "INFO", "plugin/health: Going into lameduck mode for 5s") if i % 40 == 39 else None)
        return out

    for i, where in enumerate(inc.node_names()[:3]):
        restarts = 41 if where == busy else 0
        last = inc.captured - timedelta(minutes=3) if restarts else None
        h = node_pod(inc, "kube-system", "node-local-dns", ctr, f"node-local-dns-{o.suffix(where, 5)}", where,
                     chg + timedelta(seconds=30 * i), cache, labels, restarts, last)
        if restarts:
            inc.event(as_obj(h), "Unhealthy", 'Liveness probe failed: Get "http://169.254.20.10:8080/health": '
                      "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                      chg + timedelta(minutes=20), inc.captured - timedelta(minutes=3), count=41, host=where)
            inc.event(as_obj(h), "Killing", "Container node-cache failed liveness probe, will be restarted",
                      chg + timedelta(minutes=20), inc.captured - timedelta(minutes=3), count=41, warning=False,
                      host=where)
    for i in range(3):
        series(inc, "kube_pod_container_status_restarts_total", "counter", "restarts",
               {"namespace": "kube-system", "pod": f"node-local-dns-{o.suffix(inc.node_names()[i], 5)}",
                "container": "node-cache", "job": "kube-state-metrics"},
               counter(AT4 - timedelta(hours=2), 0.0, 0.0034 if i == 1 else 0.0, AT4 - timedelta(hours=2)))
    series(inc, "node_load1", "gauge", "1m load average.", {"instance": busy, "job": "node-exporter"},
           lambda t: 15.7)

    def orders(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 45, lambda i, t: L.pylog(
            t, "ERROR", "pika.adapters.utils.connection_workflow",
            "AMQPConnector - reporting failure: AMQPConnectionWorkflowFailed: 1 exceptions in all; last "
            "exception - gaierror(-3, 'Temporary failure in name resolution'); first exception - None")
            if i % 4 == 0 else None)

    workload(inc, "orders", "order-events-consumer", orders, replicas=1, nodes=[busy], version="3.3.1")
    herring(inc, "kube-system", "metrics-server", "registry.k8s.io/metrics-server/metrics-server", "v0.7.1",
            "v0.7.2", AT4 - timedelta(hours=2, minutes=5))
    inc.ask(f"Pods on {busy} keep failing DNS lookups every few minutes since this morning, other nodes look "
            "fine. What's going on with that node?")
    inc.answer_key(
        culprit=("DaemonSet", "kube-system", "node-local-dns"),
        keywords=["livenessProbe", "timeoutSeconds", "node-local-dns"],
        root_cause="DaemonSet kube-system/node-local-dns was patched (kubectl-patch, revision 4) to a livenessProbe "
                   "with timeoutSeconds 1 and failureThreshold 1: on the CPU-saturated node the cache's /health "
                   "answer takes over a second, so the kubelet kills node-cache every few minutes (41 restarts, "
                   "Liveness probe failed: context deadline exceeded) and pods on that node fail name resolution "
                   "while it restarts.",
        category="node-agent-liveness-too-tight",
        red_herrings=[("Deployment", "kube-system", "metrics-server")])
    return inc



# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 5, 18, 25, tzinfo=UTC)


def gateway_latency_grouped() -> Incident:
    """A ConfigMap turns off the recommendation cache preload: restarted pods go ready cold and stampede Cassandra.

    after: warm-up skipped to make deploys faster, as JVM service postmortems about cold caches describe it:
    the preload step that filled the item-vector cache before the readiness endpoint turned green was switched
    off in the ConfigMap; after the evening rollout restart every replica answers from Cassandra, reads time
    out, and the API gateway in front times out on the recommendations route. Grouped notification.
    """
    inc = start(gateway_latency_grouped, "gateway latency and cassandra read latency", AT5, 4605,
                ("recs", "edge"))
    chg = AT5 - timedelta(hours=2, minutes=40)
    restart = AT5 - timedelta(minutes=14)
    plant(inc, "recs", "recs-cassandra", "password", "recs-cassandra", "CASSANDRA_PASSWORD")
    cm = inc.configmap("recs", "recs-api-config", {"application.yaml": (
        "recs:\n  cache:\n    preload: false\n    maximum-size: 2000000\n  cassandra:\n"
        "    keyspace: recs\n    request-timeout: 800ms\nserver:\n  port: 8080\n")})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:application.yaml": {}}}))

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out = [spring_at(s, 6, "INFO", "c.a.recs.cache.ItemVectorCache", "Cache preload disabled (recs.cache.preload="
                         "false); cache will fill on demand"),
               spring_at(s, 7, "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer",
                         "Tomcat started on port 8080 (http) with context path '/'"),
               spring_at(s, 7, "INFO", "c.a.recs.RecsApplication", "Started RecsApplication in 7.412 seconds "
                         "(process running for 8.03)")]
        out += [(t, L.spring(t, "WARN", "c.a.recs.store.VectorStore", "Read of item vectors failed: "
                             "com.datastax.oss.driver.api.core.DriverTimeoutException: Query timed out after PT0.8S",
                             thread=f"http-nio-8080-exec-{i % 40 + 1}"))
                for i, t in enumerate(L.every(s + timedelta(seconds=9), e, 2))]
        return out

    wl = rolled(inc, "recs", "recs-api", c("recs-api", f"{REGISTRY}/recs/recs-api:3.9.0", port=8080),
                c("recs-api", f"{REGISTRY}/recs/recs-api:3.9.0", port=8080), restart, api, replicas=4,
                cause="kubectl rollout restart")
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {})[
        "kubectl.kubernetes.io/restartedAt"] = ts(restart)

    def gateway(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = t >= restart + timedelta(seconds=30)
            return L.envoy(t, "GET", f"/v1/recommendations?user={1000 + i}", 504 if slow and i % 3 else 200,
                           "UT" if slow and i % 3 else "-", "10.244.5.21:8080", 15000 if slow and i % 3 else 48,
                           "api.example.com", L.uuidish(pod, i))
        return every(s, e, 5, line)

    workload(inc, "edge", "api-gateway", gateway, replicas=2, version="1.31.2")
    herring(inc, "recs", "recs-trainer-ui", f"{REGISTRY}/recs/recs-trainer-ui", "0.9.0", "0.9.1",
            AT5 - timedelta(hours=1))
    series(inc, "cassandra_table_read_latency_seconds", "gauge", "p99 read latency",
           {"namespace": "recs", "job": "cassandra-exporter", "keyspace": "recs", "table": "item_vectors",
            "quantile": "0.99"}, step(0.004, 0.91, restart))
    series(inc, "envoy_cluster_upstream_rq_timeout_total", "counter", "upstream request timeouts",
           {"namespace": "edge", "envoy_cluster_name": "recs-api", "job": "api-gateway"},
           counter(AT5 - timedelta(hours=2), 0.0, 31.0, restart))
    send(inc, [
        alert(inc, "GatewayRouteLatencyHigh", {"namespace": "edge", "route": "recommendations"},
              "p99 latency of route recommendations above 2s", "p99 is 15s (timeouts) for 12 minutes.",
              'histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket[5m]))) > 2000'),
        alert(inc, "GatewayUpstreamTimeouts", {"namespace": "edge", "route": "recommendations"},
              "Upstream timeouts on recommendations", "31 upstream timeouts per second.",
              "rate(envoy_cluster_upstream_rq_timeout_total[5m]) > 1"),
        alert(inc, "CassandraReadLatencyHigh", {"namespace": "recs", "keyspace": "recs"},
              "Cassandra p99 read latency above 100ms", "item_vectors p99 read latency is 910 ms.",
              'cassandra_table_read_latency_seconds{quantile="0.99"} > 0.1')], ["team"])
    inc.answer_key(
        culprit=("ConfigMap", "recs", "recs-api-config"),
        keywords=["preload", "cold cache", "warm-up"],
        root_cause="The ConfigMap recs/recs-api-config was edited (kubectl-edit) to set recs.cache.preload: false; "
                   "with no warm-up, after the rollout restart of recs-api every replica went ready with a cold "
                   "cache (an empty item-vector cache) and read each vector from Cassandra, whose p99 jumped to "
                   "910 ms (DriverTimeoutException), so the "
                   "gateway times out (504 UT) on the recommendations route.",
        category="warmup-preload-switched-off",
        red_herrings=[("Deployment", "recs", "recs-trainer-ui")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 5, 4, 10, tzinfo=UTC)


def nodegroup_drain_stuck() -> Incident:
    """A PodDisruptionBudget edited to maxUnavailable 0: the kernel-patch reboot's drain waits forever.

    after: disruption budgets that allow no disruption, as the Kubernetes PDB docs and node-maintenance
    failures describe them: `maxUnavailable: 0` (set to "protect" the payments API during a freeze) makes every
    eviction of its pods fail with 429, so kured's drain of the first node due for its kernel-patch reboot
    never finishes and the node stays cordoned, holding the reboot lock. The page is the stuck node.
    """
    inc = start(nodegroup_drain_stuck, "node drain stalled", AT6, 4606, ("payments",))
    chg = AT6 - timedelta(hours=13)
    draining = node(inc, 2)
    plant(inc, "payments", "payments-psp", "stripe", "payments-psp", "PSP_API_KEY")
    builtin(inc, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                  "metadata": {"name": "payments-api", "namespace": "payments", "generation": 3},
                  "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "payments-api"}}},
                  "status": {"currentHealthy": 3, "desiredHealthy": 3, "disruptionsAllowed": 0, "expectedPods": 3,
                             "observedGeneration": 3, "conditions": [{
                                 "type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                                 "message": "", "lastTransitionTime": ts(chg + timedelta(seconds=2))}]}},
            "kubectl-edit", chg, {"f:spec": {"f:maxUnavailable": {}}})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 60, lambda i, t: L.logfmt(t, "info", "request served", path="/v2/charges", status=201,
                                                     dur_ms=88 + i % 20))

    wl = workload(inc, "payments", "payments-api", api, replicas=3, version="12.4.0",
                  nodes=[draining, node(inc, 0), node(inc, 1)])
    evict = wl.pods[0].name
    cordon = AT6 - timedelta(minutes=53)

    def kured(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(cordon - timedelta(seconds=2), L.logfmt(cordon - timedelta(seconds=2), "info",
                                                                "Reboot required")),
                      (cordon - timedelta(seconds=1), L.logfmt(cordon - timedelta(seconds=1), "info",
                                                                "Acquired reboot lock", node=draining)),
                      (cordon, L.logfmt(cordon, "info", f"Draining node {draining}", node=draining))]
        out += every(cordon + timedelta(seconds=1), e, 5, lambda i, t: L.logfmt(
            t, "info", f'error when evicting pods/"{evict}" -n "payments" (will retry after 5s): Cannot evict pod '
                       "as it would violate the pod's disruption budget.", cmd="drain"))
        return out

    kctr = c("kured", "ghcr.io/kubereboot/kured:1.16.0", port=8080, readiness_path=None, liveness_path=None)
    node_pod(inc, "kube-system", "kured", kctr, f"kured-{o.suffix(draining, 5)}", draining,
             inc.born + timedelta(days=3), kured, {"name": "kured"})
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] == draining:
            n.setdefault("spec", {})["unschedulable"] = True
            n["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                                    "timeAdded": ts(AT6 - timedelta(minutes=53))}]
    inc.event(involved("Node", "", draining), "NodeNotSchedulable", f"Node {draining} status is now: "
              "NodeNotSchedulable", cordon, warning=False, host=draining)
    herring(inc, "payments", "payments-webhooks", f"{REGISTRY}/payments/payments-webhooks", "2.2.0", "2.3.0",
            AT6 - timedelta(hours=2))
    series(inc, "kube_node_spec_unschedulable", "gauge", "Whether a node can schedule new pods.",
           {"node": draining, "job": "kube-state-metrics"}, step(0.0, 1.0, AT6 - timedelta(minutes=53)))
    series(inc, "kube_poddisruptionbudget_status_pod_disruptions_allowed", "gauge", "disruptions allowed",
           {"namespace": "payments", "poddisruptionbudget": "payments-api", "job": "kube-state-metrics"},
           step(1.0, 0.0, chg))
    send(inc, [alert(inc, "NodeCordonedTooLong", {"node": draining, "job": "kube-state-metrics"},
                     f"Node {draining} has been unschedulable for 45 minutes",
                     f"{draining} was cordoned for maintenance and has not drained.",
                     "max_over_time(kube_node_spec_unschedulable[45m]) == 1")], ["alertname", "node"])
    inc.answer_key(
        culprit=("PodDisruptionBudget", "payments", "payments-api"),
        keywords=["maxUnavailable", "disruptionsAllowed", "evict"],
        root_cause="The PodDisruptionBudget payments/payments-api was edited (kubectl-edit) to maxUnavailable 0, so "
                   "disruptionsAllowed is 0 and every eviction of a payments-api pod is refused (Cannot evict pod "
                   "as it would violate the pod's disruption budget); kured's drain of the cordoned node before its "
                   "kernel-patch reboot never completes.",
        category="budget-allows-no-eviction",
        red_herrings=[("Deployment", "payments", "payments-webhooks")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 5, 11, 35, tzinfo=UTC)


def mobile_connection_resets_page() -> Incident:
    """A LoadBalancer Service switched to externalTrafficPolicy Local: the NLB keeps sending to nodes left empty.

    after: preserving client IPs behind an AWS NLB, as the Kubernetes Service docs and cloud provider issues
    describe the trade: with `Local` a node answers only for its own endpoints and the NLB learns of a node
    without pods through the healthCheckNodePort (10 s interval, 3 failures); whenever pods of the gateway move
    (a rolling update, a scale-down), connections keep arriving at nodes that have none and are reset. The page
    comes from the mobile synthetic checks.
    """
    inc = start(mobile_connection_resets_page, "mobile API connection resets", AT7, 4607, ("edge",))
    chg = AT7 - timedelta(hours=4, minutes=5)
    plant(inc, "edge", "edge-origin", "token", "edge-origin-token", "ORIGIN_AUTH_TOKEN")
    builtin(inc, {"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": "public-ingress", "namespace": "edge", "annotations": {
                      "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                      "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
                      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}},
                  "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 31544,
                           "selector": {"app": "envoy-edge"}, "ports": [
                               {"name": "https", "port": 443, "targetPort": 8443, "nodePort": 30443,
                                "protocol": "TCP"}], "clusterIP": "172.20.91.14",
                           "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"},
                  "status": {"loadBalancer": {"ingress": [
                      {"hostname": "k8s-edge-publicin-8e1b0c4d2f-91c5a3e7d0b2f6a1.elb.eu-west-1.amazonaws.com"}]}}},
            "kubectl-patch", chg, {"f:spec": {"f:externalTrafficPolicy": {}}})

    def envoy(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 15, lambda i, t: L.envoy(t, "POST", "/graphql", 200, "-", "10.244.3.18:4000", 37,
                                                    "m.example.com", L.uuidish(pod, i)))

    moves = [AT7 - timedelta(minutes=m) for m in (130, 70, 11)]
    rolled(inc, "edge", "envoy-edge", c("envoy", "docker.io/envoyproxy/envoy:v1.31.2", port=8443),
           c("envoy", "docker.io/envoyproxy/envoy:v1.31.3", port=8443), moves[-1], envoy, replicas=3)
    herring(inc, "edge", "graphql-router", f"{REGISTRY}/edge/graphql-router", "1.57.0", "1.57.1",
            AT7 - timedelta(minutes=40))
    series(inc, "aws_networkelb_tcp_elb_reset_count_sum", "gauge", "TCP_ELB_Reset_Count (sum, 1m)",
           {"job": "yace", "load_balancer": "net/k8s-edge-publicin-8e1b0c4d2f/91c5a3e7d0b2f6a1"},
           lambda t: 0.0 if t < chg else (640.0 if any(m <= t < m + timedelta(seconds=150) for m in moves) else 3.0))
    series(inc, "aws_networkelb_un_healthy_host_count_maximum", "gauge", "UnHealthyHostCount (max, 1m)",
           {"job": "yace", "load_balancer": "net/k8s-edge-publicin-8e1b0c4d2f/91c5a3e7d0b2f6a1"},
           lambda t: 0.0 if t < chg else 3.0)
    series(inc, "probe_success", "gauge", "Whether the probe succeeded",
           {"job": "blackbox", "instance": "https://m.example.com/graphql", "module": "http_post_2xx"},
           lambda t: 0.0 if any(m <= t < m + timedelta(seconds=150) for m in moves) else 1.0)
    inc.pagerduty("[mobile] Synthetic check m.example.com/graphql failing: connection reset by peer",
                  "Mobile platform")
    inc.answer_key(
        culprit=("Service", "edge", "public-ingress"),
        keywords=["externalTrafficPolicy", "healthCheckNodePort", "Local"],
        root_cause="The LoadBalancer Service edge/public-ingress was patched (kubectl-patch) from "
                   "externalTrafficPolicy Cluster to Local: the instance-mode NLB now only reaches nodes with an "
                   "envoy-edge pod, learns which ones through healthCheckNodePort 31544 with a delay, and every time "
                   "envoy-edge pods move (each rollout) new connections hit nodes without endpoints and are reset, "
                   "failing the mobile synthetic checks.",
        category="local-traffic-policy-stale-targets",
        red_herrings=[("Deployment", "edge", "graphql-router")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 5, 16, 45, tzinfo=UTC)


def search_timeouts_page() -> Incident:
    """A Deployment's rolling update set to maxSurge 0 / maxUnavailable 50 %: half the capacity vanishes each deploy.

    after: rollout parameters tuned for a tight quota, as the Kubernetes Deployment docs and capacity postmortems
    describe it: with no surge and half the pods allowed down, each release takes two of four query pods out at
    once; the two left run over their CPU and the caller's requests time out until the new pods are ready and
    warm. The page is on the storefront search box that calls it.
    """
    inc = start(search_timeouts_page, "search box timeouts", AT8, 4608, ("search", "shop"))
    at = AT8 - timedelta(minutes=7)
    plant(inc, "search", "search-opensearch", "password", "search-opensearch", "OPENSEARCH_PASSWORD")

    def query(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 10, lambda i, t: rust(t, "INFO", "query_api::handler",
                                                 f"search completed q_len={3 + i % 9} hits={20 + i % 40} "
                                                 f"took_ms={610 + 17 * (i % 25)}"))

    rolled(inc, "search", "query-api", c("query-api", f"{REGISTRY}/search/query-api:0.41.0", port=8080,
                                         cpu_request="2", cpu_limit="2"),
           c("query-api", f"{REGISTRY}/search/query-api:0.42.0", port=8080, cpu_request="2", cpu_limit="2"), at,
           query, replicas=4)
    deploy = inc.find("Deployment", "search", "query-api")
    deploy["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "50%"}}
    changed(deploy, ("helm", "Update", at, {"f:spec": {"f:strategy": {"f:rollingUpdate": {
        "f:maxSurge": {}, "f:maxUnavailable": {}}}, "f:template": {}}}))

    def box(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if at <= t < at + timedelta(minutes=6) and i % 2:
                return L.js(t, "error", "search upstream failed", err={
                    "type": "TimeoutError", "message": "The operation was aborted due to timeout"},
                    upstream="http://query-api.search:8080/v1/search")
            return L.js(t, "info", "request completed", res={"statusCode": 200}, responseTime=80 + i % 50)
        return every(s, e, 6, line)

    workload(inc, "shop", "search-box-bff", box, replicas=2, version="2.6.1")
    herring(inc, "search", "synonyms-loader", f"{REGISTRY}/search/synonyms-loader", "1.1.0", "1.2.0",
            AT8 - timedelta(hours=1, minutes=10))
    series(inc, "container_cpu_cfs_throttled_periods_total", "counter", "throttled periods",
           {"namespace": "search", "container": "query-api", "job": "kubelet"},
           counter(AT8 - timedelta(hours=2), 0.1, 9.0, at))
    series(inc, "kube_deployment_status_replicas_available", "gauge", "available replicas",
           {"namespace": "search", "deployment": "query-api", "job": "kube-state-metrics"},
           lambda t: 2.0 if at <= t < at + timedelta(minutes=5) else 4.0)
    series(inc, "http_client_requests_timeouts_total", "counter", "Timed-out upstream calls",
           {"namespace": "shop", "job": "search-box-bff", "upstream": "query-api"},
           counter(AT8 - timedelta(hours=2), 0.0, 6.0, at))
    inc.pagerduty("[shop] search-box-bff: upstream timeouts above 5% of requests", "Storefront")
    inc.answer_key(
        culprit=("Deployment", "search", "query-api"),
        keywords=["maxUnavailable", "maxSurge", "rolling update"],
        root_cause="Deployment search/query-api's rolling update strategy was changed in the same helm upgrade as "
                   "0.42.0 to maxSurge 0 and maxUnavailable 50%: the rollout took two of four pods down at once, the "
                   "remaining two were CPU-throttled, and search-box-bff's calls timed out during the rollout.",
        category="rollout-halves-capacity",
        red_herrings=[("Deployment", "search", "synonyms-loader")])
    return inc



# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 5, 7, 55, tzinfo=UTC)


def product_pages_outage() -> Incident:
    """A readiness probe pointed at the full health endpoint: a 40 s database failover takes every pod out at once.

    after: readiness checks that include dependencies, as the Spring Boot probe docs and many "the whole service
    went dark during a DB blip" postmortems warn: `/actuator/health` aggregates the datasource, so when the
    Postgres primary failed over every catalog-api pod turned unready together, the Service lost all endpoints
    and the product pages got 503 for longer than the failover itself. The page is on the product pages.
    """
    inc = start(product_pages_outage, "product pages returning 503", AT9, 4609, ("catalog", "shop"))
    chg = AT9 - timedelta(hours=6)
    blip = AT9 - timedelta(minutes=6)
    plant(inc, "catalog", "catalog-db", "password", "catalog-db", "SPRING_DATASOURCE_PASSWORD")
    probe = {"httpGet": {"path": "/actuator/health", "port": 8081}, "periodSeconds": 5, "failureThreshold": 2,
             "timeoutSeconds": 2}
    old = Rev(1, AT9 - timedelta(days=11), "helm upgrade", [c("catalog-api", f"{REGISTRY}/catalog/catalog-api:6.0.3")],
              container={"readinessProbe": {**probe, "httpGet": {"path": "/actuator/health/readiness",
                                                                 "port": 8081}}})
    new = Rev(2, chg, "helm upgrade", [c("catalog-api", f"{REGISTRY}/catalog/catalog-api:6.1.0")],
              container={"readinessProbe": probe})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(blip, blip + timedelta(seconds=40), 5)):
            out.append((t, L.spring(t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
                                    "HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@"
                                    f"{o.suffix(pod + str(i), 8)} (This connection has been closed.). Possibly "
                                    "consider using a shorter maxLifetime value.", "http-nio-8080-exec-3")))
        out.append((blip + timedelta(seconds=41), L.spring(blip + timedelta(seconds=41), "WARN",
                    "o.s.b.a.jdbc.DataSourceHealthIndicator", "DataSource health check failed",
                    "http-nio-8081-exec-1")))
        out += every(blip + timedelta(seconds=50), e, 30, lambda i, t: L.spring(
            t, "INFO", "c.a.catalog.web.ProductController", "GET /v3/products/{sku} 200", "http-nio-8080-exec-7"))
        return out

    wl = inc.deployment("catalog", "catalog-api", [old, new], {2: [P(log=within(api)) for _ in range(3)]})
    for h in wl.pods:
        inc.event(as_obj(h), "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503",
                  blip + timedelta(seconds=6), blip + timedelta(minutes=2), count=24)
    inc.service("catalog", "catalog-api", {"app": "catalog-api"})

    def pages(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if blip <= t < blip + timedelta(minutes=2, seconds=30):
                return L.nginx_error(t, 'no live upstreams while connecting to upstream, client: 10.244.1.9, '
                                        'server: _, request: "GET /p/ABC-12 HTTP/1.1", upstream: '
                                        '"http://catalog-api/v3/products/ABC-12"', conn=9000 + i)
            return L.nginx_access(t, "10.244.1.9", f"GET /p/SKU-{i % 300}", 200, 5120, "10.244.2.30:8080", "200",
                                  0.041)
        return every(s, e, 5, line)

    workload(inc, "shop", "product-pages", pages, replicas=2, version="1.27.3")
    herring(inc, "catalog", "catalog-indexer", f"{REGISTRY}/catalog/catalog-indexer", "2.0.1", "2.1.0",
            AT9 - timedelta(hours=1, minutes=30))
    series(inc, "kube_endpoint_address", "gauge", "ready endpoint addresses",
           {"namespace": "catalog", "endpoint": "catalog-api", "ready": "true", "job": "kube-state-metrics"},
           lambda t: 0.0 if blip + timedelta(seconds=10) <= t < blip + timedelta(minutes=2) else 3.0)
    series(inc, "pg_up", "gauge", "postgres reachable", {"namespace": "catalog", "job": "postgres-exporter",
                                                         "instance": "catalog-pg-rw"},
           lambda t: 0.0 if blip <= t < blip + timedelta(seconds=40) else 1.0)
    send(inc, [alert(inc, "ProductPages5xxHigh", {"namespace": "shop", "service": "product-pages"},
                     "product-pages 5xx ratio above 5%", "38% of product page requests returned 502/503 in 5m.",
                     'sum(rate(nginx_http_requests_total{service="product-pages",status=~"5.."}[5m])) / '
                     'sum(rate(nginx_http_requests_total{service="product-pages"}[5m])) > 0.05', "critical")],
         ["alertname", "service"])
    inc.answer_key(
        culprit=("Deployment", "catalog", "catalog-api"),
        keywords=["readinessProbe", "/actuator/health", "all pods unready"],
        root_cause="Deployment catalog/catalog-api revision 2 points the readinessProbe at /actuator/health "
                   "instead of /actuator/health/readiness: that aggregate includes the datasource, so the 40-second "
                   "Postgres failover left all pods unready at once (all three; Readiness probe failed: 503), "
                   "the Service "
                   "had no endpoints and product-pages answered 502/503 (no live upstreams).",
        category="readiness-includes-dependency",
        red_herrings=[("Deployment", "catalog", "catalog-indexer")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)


def billing_api_db_errors() -> Incident:
    """A Flux HelmRelease's inline values override the valuesFrom ConfigMap: PgBouncer max_client_conn back to 100.

    after: Helm value precedence surprises, as Flux's HelmRelease docs spell out the merge order: inline
    `spec.values` win over every `valuesFrom` source; a debugging change left `maxClientConn: 100` inline while
    the tuned 2000 lived in the shared ConfigMap, so after the reconcile PgBouncer refuses clients beyond 100
    and the billing API's pool cannot open connections at peak.
    """
    inc = start(billing_api_db_errors, "billing-api database errors", AT10, 4610, ("billing", "db"))
    chg = AT10 - timedelta(hours=2, minutes=15)
    plant(inc, "db", "pgbouncer-userlist", "password", "pgbouncer", "userlist.txt", '"billing" "{}"')
    inc.configmap("db", "pgbouncer-values", {"values.yaml": "maxClientConn: 2000\ndefaultPoolSize: 40\n"
                                                            "poolMode: transaction\n"})
    custom(inc, "HelmRelease", "helm.toolkit.fluxcd.io/v2", "helmreleases", "db", "pgbouncer",
           {"interval": "10m", "chart": {"spec": {"chart": "pgbouncer", "version": "2.3.1",
                                                   "sourceRef": {"kind": "HelmRepository", "name": "acme-charts"}}},
            "valuesFrom": [{"kind": "ConfigMap", "name": "pgbouncer-values", "valuesKey": "values.yaml"}],
            "values": {"maxClientConn": 100, "logConnections": 1}},
           {"conditions": [{"type": "Ready", "status": "True", "reason": "UpgradeSucceeded",
                            "message": "Helm upgrade succeeded for release db/pgbouncer.v23 with chart "
                                       "pgbouncer@2.3.1", "lastTransitionTime": ts(chg + timedelta(minutes=1))}],
            "history": [{"version": 23, "status": "deployed", "chartVersion": "2.3.1"}]},
           "kubectl-edit", chg, {"f:spec": {"f:values": {"f:maxClientConn": {}, "f:logConnections": {}}}},
           generation=23)

    def bouncer(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, pgbouncer(s, "LOG", "kernel file descriptor limit: 1048576 (hard: 1048576); "
                                              "max_client_conn: 100, max expected fd use: 252"))]
        out += every(s + timedelta(seconds=5), e, 3, lambda i, t: pgbouncer(
            t, "WARNING", f"C-0x55d1c{i % 999:03x}: (nodb)/(nouser)@10.244.4.{20 + i % 30}:{40000 + i} "
                          "pooler error: no more connections allowed (max_client_conn)"))
        return out

    rolled(inc, "db", "pgbouncer", c("pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1", port=6432),
           c("pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1", port=6432), chg + timedelta(minutes=1), bouncer,
           replicas=2)

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 7, lambda i, t: dotnet(
            t, "fail", "Microsoft.EntityFrameworkCore.Database.Connection",
            "An error occurred using the connection to database 'billing' on server 'tcp://pgbouncer.db:6432'. "
            "Npgsql.PostgresException (0x80004005): 08P01: no more connections allowed (max_client_conn)"))

    workload(inc, "billing", "billing-api", api, replicas=6, version="11.2.0")
    herring(inc, "db", "postgres-exporter", "quay.io/prometheuscommunity/postgres-exporter", "v0.15.0", "v0.16.0",
            AT10 - timedelta(minutes=55))
    series(inc, "pgbouncer_config_max_client_connections", "gauge", "max_client_conn",
           {"namespace": "db", "job": "pgbouncer-exporter"}, step(2000.0, 100.0, chg + timedelta(minutes=1)))
    series(inc, "pgbouncer_pools_client_waiting_connections", "gauge", "waiting clients",
           {"namespace": "db", "job": "pgbouncer-exporter", "database": "billing"}, lambda t: 0.0)
    send(inc, [alert(inc, "BillingApiDbErrors", {"namespace": "billing", "service": "billing-api"},
                     "billing-api database errors above 1%",
                     "billing-api failed to open database connections for 4% of requests in the last 10 minutes.",
                     'sum(rate(billing_db_errors_total[10m])) / sum(rate(billing_requests_total[10m])) > 0.01',
                     "critical")], ["alertname", "service"])
    inc.answer_key(
        culprit=("HelmRelease", "db", "pgbouncer"),
        keywords=["max_client_conn", "valuesFrom", "spec.values"],
        root_cause="The Flux HelmRelease db/pgbouncer was edited (kubectl-edit) to carry maxClientConn: 100 in its "
                   "inline spec.values, which take precedence over the valuesFrom ConfigMap pgbouncer-values "
                   "(maxClientConn 2000): after the upgrade PgBouncer runs with max_client_conn 100 and refuses "
                   "billing-api's connections (no more connections allowed (max_client_conn)).",
        category="inline-values-beat-shared-values",
        red_herrings=[("Deployment", "db", "postgres-exporter")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 17, 10, tzinfo=UTC)


def checkout_web_503_page() -> Incident:
    """An Argo Rollout's scaleDownDelaySeconds set to 0: old pods go before the mesh stops routing to them.

    after: Argo Rollouts with Istio traffic routing, as its docs explain the 30-second default: after the final
    weight shift the old ReplicaSet must stay up until every Envoy has the new route config; with
    `scaleDownDelaySeconds: 0` it is scaled down at once, sidecars still send to the terminated pods and
    callers see 503 UH/UF bursts at the end of each release. The page is on the web frontend that calls it.
    """
    inc = start(checkout_web_503_page, "checkout-web 503 bursts", AT11, 4611, ("checkout",))
    chg = AT11 - timedelta(hours=5)
    done = AT11 - timedelta(minutes=6)
    plant(inc, "checkout", "checkout-psp", "stripe", "checkout-psp", "STRIPE_SECRET_KEY")
    custom(inc, "Rollout", "argoproj.io/v1alpha1", "rollouts", "checkout", "cart-service",
           {"replicas": 4, "selector": {"matchLabels": {"app": "cart-service"}},
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart-service"},
            "strategy": {"canary": {"scaleDownDelaySeconds": 0, "canaryService": "cart-service-canary",
                                    "stableService": "cart-service-stable",
                                    "trafficRouting": {"istio": {"virtualService": {"name": "cart-service",
                                                                                    "routes": ["primary"]}}},
                                    "steps": [{"setWeight": 20}, {"pause": {"duration": "5m"}},
                                              {"setWeight": 60}, {"pause": {"duration": "5m"}}]}}},
           {"phase": "Healthy", "currentPodHash": "6d9c7b8f54", "stableRS": "6d9c7b8f54",
            "currentStepIndex": 4, "observedGeneration": "31",
            "conditions": [{"type": "Completed", "status": "True", "reason": "RolloutCompleted",
                            "lastTransitionTime": ts(done)}]},
           "kubectl-edit", chg, {"f:spec": {"f:strategy": {"f:canary": {"f:scaleDownDelaySeconds": {}}}}},
           generation=31)

    def cart(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: L.logfmt(t, "info", "cart updated", items=1 + i % 5, took=f"{9 + i % 8}ms"))

    rolled(inc, "checkout", "cart-service", c("cart", f"{REGISTRY}/checkout/cart-service:8.1.0"),
           c("cart", f"{REGISTRY}/checkout/cart-service:8.2.0"), done - timedelta(minutes=11), cart, replicas=4,
           cause="argo-rollouts")
    inc.event(involved("Rollout", "checkout", "cart-service", "argoproj.io/v1alpha1"), "ScalingReplicaSet",
              "Scaled down ReplicaSet cart-service-5f8d6c9b47 (revision 13) from 4 to 0", done, warning=False,
              component="rollouts-controller")

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            bad = done <= t < done + timedelta(seconds=25)
            return L.envoy(t, "POST", "/api/cart/items", 503 if bad else 200, ("UH" if i % 2 else "UF") if bad else "-",
                           "10.244.6.14:8080", 0 if bad else 12, "cart-service.checkout.svc.cluster.local",
                           L.uuidish(pod, i), "no_healthy_upstream" if bad and i % 2 else "-")
        return every(s, e, 1, line)

    workload(inc, "checkout", "checkout-web", web, replicas=3, version="14.0.2")
    herring(inc, "checkout", "promo-engine", f"{REGISTRY}/checkout/promo-engine", "3.0.0", "3.1.0",
            AT11 - timedelta(minutes=45))
    series(inc, "istio_requests_total", "counter", "istio requests",
           {"namespace": "checkout", "source_workload": "checkout-web", "destination_workload": "cart-service",
            "response_code": "503", "response_flags": "UH", "reporter": "source"},
           counter(AT11 - timedelta(hours=2), 0.0, 0.4, done))
    send(inc, [alert(inc, "IstioHigh5xxRate", {"namespace": "checkout", "source_workload": "checkout-web"},
                     "checkout-web outbound 5xx above 2%",
                     "checkout-web saw 503 responses on outbound calls in bursts after recent deploys.",
                     'sum(rate(istio_requests_total{source_workload="checkout-web",response_code=~"5.."}[5m])) / '
                     'sum(rate(istio_requests_total{source_workload="checkout-web"}[5m])) > 0.02')],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Rollout", "checkout", "cart-service"),
        keywords=["scaleDownDelaySeconds", "503 UH", "trafficRouting"],
        root_cause="The Argo Rollout checkout/cart-service was edited (kubectl-edit) to scaleDownDelaySeconds 0 "
                   "with Istio trafficRouting: at the end of each canary the old ReplicaSet is scaled to 0 at once, "
                   "before every sidecar has the new route, so checkout-web's Envoy sends to gone pods and gets "
                   "503 UH/UF (no_healthy_upstream) bursts.",
        category="old-pods-removed-before-route-update",
        red_herrings=[("Deployment", "checkout", "promo-engine")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 20, 5, tzinfo=UTC)


def notifications_duplicate_emails_question() -> Incident:
    """A cluster-wide Kyverno policy caps terminationGracePeriodSeconds at 15: Celery workers lose warm shutdown.

    after: platform-wide mutation policies that speed up drains, as Kyverno policy libraries and Celery's
    shutdown docs combine into a failure: the worker needs up to 180 s to finish its acked-late tasks on SIGTERM
    (its Deployment asks for 180), the new ClusterPolicy rewrites every pod to 15 s, the kubelet kills mid-task
    and the broker redelivers those tasks to another worker, which sends the same e-mails again.
    """
    inc = start(notifications_duplicate_emails_question, "duplicate e-mails", AT12, 4612, ("notify", "kyverno"))
    chg = AT12 - timedelta(hours=7)
    plant(inc, "notify", "notify-smtp", "password", "notify-smtp", "SMTP_PASSWORD")
    custom(inc, "ClusterPolicy", "kyverno.io/v1", "clusterpolicies", "", "cap-termination-grace",
           {"background": False, "rules": [{"name": "set-grace", "match": {"any": [{"resources": {
               "kinds": ["Pod"], "namespaceSelector": {"matchLabels": {"tier": "apps"}}}}]},
               "mutate": {"patchStrategicMerge": {"spec": {"terminationGracePeriodSeconds": 15}}}}]},
           {"ready": True, "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                           "lastTransitionTime": ts(chg)}]},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:rules": {}}}, scope="Cluster", generation=1)
    wrk = c("worker", f"{REGISTRY}/notify/notifications-worker:5.7.1", port=None, readiness_path=None,
            liveness_path=None)
    rev = Rev(1, AT12 - timedelta(minutes=50), "kubectl rollout restart", [wrk],
              pod_spec={"terminationGracePeriodSeconds": 180})
    restarted = [AT12 - timedelta(hours=3), AT12 - timedelta(minutes=50)]

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s + timedelta(seconds=3), celery(s + timedelta(seconds=3), "INFO", "MainProcess",
                                                        "Connected to amqp://notify@rabbitmq.notify:5672//")),
                      (s + timedelta(seconds=4), celery(s + timedelta(seconds=4), "INFO", "MainProcess",
                                                        "celery@" + pod + " ready."))]
        out += every(s + timedelta(seconds=10), e, 20, lambda i, t: celery(
            t, "INFO", "ForkPoolWorker-" + str(1 + i % 8),
            f"Task notify.tasks.send_order_email[{L.uuidish(pod, i)}] succeeded in {41 + i % 30}.2s: None"))
        return out

    wl = inc.deployment("notify", "notifications-worker", [rev], {1: [P(log=within(worker)) for _ in range(3)]})
    for h in wl.pods:
        inc.cluster.patch("notify", h.name, lambda pod: pod["spec"].update({"terminationGracePeriodSeconds": 15}))
        h.annotations["policies.kyverno.io/last-applied-patches"] = (
            "set-grace.cap-termination-grace.kyverno.io: replaced /spec/terminationGracePeriodSeconds\n")
    for i in range(3):
        gone = f"notifications-worker-7c4f9d8b6-{o.suffix(f'old-{i}', 5)}"
        inc.event(involved("Pod", "notify", gone), "Killing", "Stopping container worker",
                  restarted[1] + timedelta(seconds=20 * i), warning=False)
    inc.cluster.add_event(involved("ClusterPolicy", "", "cap-termination-grace", "kyverno.io/v1"), "PolicyApplied",
                          "Pod notify/notifications-worker: pass", chg + timedelta(minutes=5),
                          AT12 - timedelta(minutes=50), count=9, component="kyverno-admission")
    herring(inc, "kyverno", "kyverno-reports-controller", "ghcr.io/kyverno/reports-controller", "v1.12.5",
            "v1.12.6", AT12 - timedelta(hours=1, minutes=40))
    series(inc, "rabbitmq_queue_messages_redelivered_total", "counter", "redelivered messages",
           {"namespace": "notify", "queue": "emails", "job": "rabbitmq"},
           counter(AT12 - timedelta(hours=2), 0.0, 0.02, restarted[1]))
    series(inc, "notify_emails_sent_total", "counter", "emails sent", {"namespace": "notify", "job": "notify"},
           counter(AT12 - timedelta(hours=2), 3.1, 3.4, restarted[1]))
    inc.ask("notifications-worker sent a bunch of customers the same order e-mail two or three times today. "
            "Why is it doing that?")
    inc.answer_key(
        culprit=("ClusterPolicy", "", "cap-termination-grace"),
        keywords=["terminationGracePeriodSeconds", "Warm shutdown", "redeliver"],
        root_cause="The Kyverno ClusterPolicy cap-termination-grace, applied this afternoon, mutates pods in "
                   "namespaces labelled tier=apps to terminationGracePeriodSeconds 15 (last-applied-patches on the "
                   "pods) although notifications-worker asks for 180: on each restart Celery's warm shutdown is cut "
                   "short, tasks taken with acks_late are redelivered by RabbitMQ and their e-mails are sent again.",
        category="policy-caps-shutdown-grace",
        red_herrings=[("Deployment", "kyverno", "kyverno-reports-controller")])
    return inc


ALL = [storefront_deploy_errors_burn, invoices_api_crashlooping, account_logins_dropped_page,
       node_lookups_failing_question, gateway_latency_grouped, nodegroup_drain_stuck,
       mobile_connection_resets_page, search_timeouts_page, product_pages_outage, billing_api_db_errors,
       checkout_web_503_page, notifications_duplicate_emails_question]
