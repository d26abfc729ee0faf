"""Round 11 of the held-out incident set: twelve failure mechanisms from published Kubernetes postmortems.

Each function builds one `Incident` on the corpus background and its docstring is the story (the
answer): the first line names the failure type so later rounds can avoid repeating it, the second
paragraph names the public story the mechanism was drawn from (re-created with our own names and
text, nothing copied). Bundle names, titles and questions say only the symptom. Log lines follow the
real software's formats (klog, ingress-nginx, CoreDNS, metrics-server, amazon-vpc-cni ipamd, istiod,
Spring Boot, Python logging, pino) and metric names are the exporters' own.
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

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def story(fn: Callable[..., Incident]) -> str:
    """The scenario's docstring: the story, and the answer, of the incident it builds."""
    return (fn.__doc__ or "").strip()


def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def fields_changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> None:
    """managedFields as the API server keeps them (manager, operation, time, fields): the change's own trace."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]


def define_crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str = "Namespaced") -> None:
    """A CustomResourceDefinition: without it, a custom resource is neither served nor findable."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def before_after(before: float, after: float, change: datetime) -> Series:
    """A gauge that jumps from `before` to `after` at `change`."""
    return lambda t: before if t < change else after


def rate_counter(start: datetime, before: float, after: float, change: datetime) -> Series:
    """A counter growing `before` per second until `change`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, change) - start).total_seconds())
        late = max(0.0, (t - change).total_seconds())
        return round(before * early + after * late, 3)
    return value


def each(start: datetime, end: datetime, every_s: float, line: Callable[[int, datetime], str | None]) -> Lines:
    """One (time, text) per tick where `line` has something to say."""
    return L.ticker(start, end, every_s, line)


def steady_deployment(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
                      container: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: a victim whose trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)], container=container or {})
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def controller_revisions(inc: Incident, ds: dict[str, Any], revisions: list[tuple[int, datetime, dict[str, Any]]]
                         ) -> None:
    """The ControllerRevisions a DaemonSet keeps: one per template it has had, stamped when it was created."""
    ns, name = ds["metadata"]["namespace"], ds["metadata"]["name"]
    for number, at, template in revisions:
        rev_name = f"{name}-{o.suffix(f'{ns}/{name}/{number}', 10)}"
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": number,
                 "metadata": {"name": rev_name, "namespace": ns, "creationTimestamp": ts(at),
                              "labels": {"app": name, "controller-revision-hash": rev_name.rsplit("-", 1)[1]},
                              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name,
                                                   "uid": ds["metadata"]["uid"], "controller": True,
                                                   "blockOwnerDeletion": True}]},
                 "data": {"spec": {"template": template}}})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (recorded as a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def grouped(inc: Incident, alerts: list[tuple[str, dict[str, str], str, str, str]], group: list[str]) -> None:
    """One Alertmanager notification carrying several firing alerts (kube-prometheus rule names)."""
    payload = []
    for name, labels, summary, description, expr in alerts:
        full = {"alertname": name, **labels, "severity": labels.get("severity", "warning"),
                "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
        ann = {"summary": summary, "description": description,
               "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
        payload.append(am.alert(full, ann, inc.at, expr))
    inc.alerts["alertmanager.json"] = am.alertmanager(payload, group=group)


def node(inc: Incident, index: int) -> str:
    """The background's n-th node name (0-based)."""
    return inc.node_names()[index]


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 23, 17, 4, tzinfo=UTC)


def pricing_quotes_latency_burn() -> Incident:
    """A GitOps sync re-applies spec.replicas 3 over an HPA-managed Deployment: capacity cut at peak.

    after: the widely reported "replicas in the manifest fights the HorizontalPodAutoscaler" failure
    (k8s.af collection talks; Argo CD / Flux users' postmortems of a sync scaling a busy service down).

    pricing/pricing-api is scaled by its HPA (min 4, max 30) and ran 22 replicas through the evening
    peak. At 16:58 a values refactor merged into the GitOps repository renders `replicas: 3` in the
    Deployment; Argo CD (manager argocd-controller, Apply) syncs it and the deployment-controller
    scales the ReplicaSet from 22 to 3 in one step. The HPA answers at once (SuccessfulRescale to 22),
    but the Spring Boot pods need about 90 s to start and take traffic, and Argo CD's self-heal
    re-applies replicas 3 on its next refresh, so the Deployment flaps 22 -> 3 -> 22. The three
    surviving pods saturate: request latency and 503s from the Tomcat queue (rejected connections).
    The cause is only in the change (the Deployment's managedFields, the ScalingReplicaSet and
    SuccessfulRescale events, kube_deployment_spec_replicas), nothing in the pods' logs names it.
    Fix: drop spec.replicas from the rendered manifest (or ignoreDifferences on /spec/replicas).
    Red herring: pricing-api-config was edited yesterday (a currency rounding flag); nothing reads it
    differently today.
    """
    inc = Incident("pricing-quotes-latency-burn", title="Pricing quotes slow and failing during the evening peak",
                   story=story(pricing_quotes_latency_burn), at=AT1, seed=1101, namespaces=("pricing",))
    change = AT1 - timedelta(minutes=6)
    rehealed = AT1 + timedelta(minutes=3)
    image = f"{REGISTRY}/pricing/pricing-api:6.3.0"

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=2), L.spring(start + timedelta(seconds=2), "INFO",
                                                            "c.e.pricing.PricingApplication",
                                                            "Starting PricingApplication v6.3.0 using Java 21.0.4"))]
        out.append((start + timedelta(seconds=88), L.spring(start + timedelta(seconds=88), "INFO",
                                                          "c.e.pricing.PricingApplication",
                                                          "Started PricingApplication in 86.412 seconds "
                                                          "(process running for 88.07)")))
        out += each(max(start, change), end, 20, lambda i, t: L.spring(
            t, "WARN", "o.a.tomcat.util.net.NioEndpoint",
            "Connection rejected: maxConnections (400) reached, queue full", thread="http-nio-8080-Acceptor")
            if i % 2 == 0 else L.spring(t, "INFO", "c.e.pricing.api.QuoteController",
                                        f"quote computed basket={L.uuidish(pod, i)[:8]} items=14 took={1900 + i * 7}ms",
                                        thread=f"http-nio-8080-exec-{i % 200}"))
        return out

    rev = Rev(41, inc.born + timedelta(days=30), "argocd sync 4f1c2ab", [c("pricing-api", image, cpu_request="500m",
                                                                            memory_request="768Mi",
                                                                            memory_limit="1Gi")])
    plans = [P(log=within(log), created=inc.born + timedelta(days=30, minutes=i)) for i in range(3)]
    plans += [P(state="notready", log=within(log), created=AT1 + timedelta(minutes=4, seconds=5 * i),
                message='Readiness probe failed: Get "http://{ip}:8080/actuator/health/readiness": dial tcp '
                        '{ip}:8080: connect: connection refused') for i in range(5)]
    wl = inc.deployment("pricing", "pricing-api", [rev], {41: plans}, replicas=22, progress="progressing")
    deploy = wl.obj
    deploy["spec"]["replicas"] = 3
    fields_changed(deploy,
                   ("argocd-controller", "Apply", change, {"f:spec": {"f:replicas": {}, "f:template": {}}}),
                   ("kube-controller-manager", "Update", AT1 + timedelta(minutes=4),
                    {"f:status": {"f:replicas": {}, "f:updatedReplicas": {}}}))
    rs_name = wl.rs[41]
    for when, text in ((change, f"Scaled down replica set {rs_name} to 3 from 22"),
                       (AT1 - timedelta(minutes=5, seconds=45), f"Scaled up replica set {rs_name} to 22 from 3"),
                       (rehealed - timedelta(minutes=2), f"Scaled down replica set {rs_name} to 3 from 22"),
                       (AT1 + timedelta(minutes=4), f"Scaled up replica set {rs_name} to 22 from 3")):
        inc.event(deploy, "ScalingReplicaSet", text, when, warning=False, component="deployment-controller")
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "pricing-api", "namespace": "pricing"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "pricing-api"},
                            "minReplicas": 4, "maxReplicas": 30,
                            "metrics": [{"type": "Resource", "resource": {
                                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
                   "status": {"currentReplicas": 3, "desiredReplicas": 22,
                              "lastScaleTime": ts(AT1 + timedelta(minutes=4)),
                              "currentMetrics": [{"type": "Resource", "resource": {
                                  "name": "cpu", "current": {"averageUtilization": 388, "averageValue": "1940m"}}}],
                              "conditions": [
                                  {"type": "AbleToScale", "status": "True", "reason": "SucceededRescale",
                                   "message": "the HPA controller was able to update the target scale to 22",
                                   "lastTransitionTime": ts(AT1 + timedelta(minutes=4))},
                                  {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                                   "message": "the HPA was able to successfully calculate a replica count from cpu "
                                              "resource utilization (percentage of request)",
                                   "lastTransitionTime": ts(inc.born)},
                                  {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                                   "message": "the desired count is within the acceptable range",
                                   "lastTransitionTime": ts(AT1 - timedelta(hours=3))}]}})
    inc.event(hpa, "SuccessfulRescale", "New size: 22; reason: cpu resource utilization (percentage of request) "
              "above target", AT1 - timedelta(minutes=5, seconds=45), AT1 + timedelta(minutes=4), count=2,
              warning=False, component="horizontal-pod-autoscaler")
    herring = inc.configmap("pricing", "pricing-api-config", {"ROUNDING_MODE": "HALF_EVEN", "QUOTE_CACHE_TTL": "30s"})
    fields_changed(herring, ("kubectl-edit", "Update", AT1 - timedelta(hours=20), {"f:data": {"f:ROUNDING_MODE": {}}}))
    plant(inc, "pricing", "pricing-api-db", "password", "pricing-db", "SPRING_DATASOURCE_PASSWORD")

    def spec_replicas(t: datetime) -> float:
        if change <= t < change + timedelta(seconds=15) or rehealed - timedelta(minutes=2) <= t < AT1 + \
                timedelta(minutes=4):
            return 3
        return 22

    inc.series("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
               {"namespace": "pricing", "deployment": "pricing-api", "job": "kube-state-metrics"}, spec_replicas)
    inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
               "deployment.", {"namespace": "pricing", "deployment": "pricing-api", "job": "kube-state-metrics"},
               lambda t: 22 if t < change else 3)
    inc.series("kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "Desired number of replicas of pods "
               "managed by this autoscaler.", {"namespace": "pricing", "horizontalpodautoscaler": "pricing-api",
                                               "job": "kube-state-metrics"},
               lambda t: 20 if t < AT1 - timedelta(hours=1) else 22)
    inc.series("http_server_requests", "counter", "HTTP server requests handled",
               {"namespace": "pricing", "service": "pricing-api", "uri": "/v2/quotes", "status": "503"},
               rate_counter(AT1 - timedelta(hours=2), 0.0, 41.0, change))
    inc.slo_burn("pricing-api", "pricing", "quote-availability", "0.999", 36.2,
                 "pricing-api: 4.1% of quote requests failed with 503 over the last 5m and the p99 latency is 7.8s; "
                 "the error budget for the month is burning 36x too fast.")
    inc.answer_key(culprit=("Deployment", "pricing", "pricing-api"), keywords=["replicas", "HPA", "Argo CD"],
                   root_cause="An Argo CD sync applied spec.replicas 3 to pricing-api, a Deployment its HPA had scaled "
                              "to 22 for the peak: the ReplicaSet dropped to 3 replicas, the survivors saturated, and "
                              "self-heal kept re-applying it against the HPA. Remove replicas from the manifest.",
                   category="gitops-replicas-override-hpa",
                   red_herrings=[("ConfigMap", "pricing", "pricing-api-config")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 24, 11, 21, tzinfo=UTC)


def refunds_stuck_processing() -> Incident:
    """A shell-form command makes /bin/sh PID 1: SIGTERM never reaches the worker, SIGKILL cuts refunds mid-flight.

    after: the recurring graceful-shutdown postmortems of the k8s.af collection (a process behind a
    shell wrapper never sees SIGTERM, is SIGKILLed after terminationGracePeriodSeconds, and loses
    in-flight work on every rollout and scale-down).

    payments/refund-worker revision 12 (09:40 today) changed the container command from
    `python -m refund_worker` to `/bin/sh -c "alembic upgrade head && python -m refund_worker"` so the
    chart could run migrations first. /bin/sh is now PID 1 and does not forward SIGTERM; the worker
    never logs "SIGTERM received, draining", the kubelet SIGKILLs it after the 30 s grace period, and
    every refund it was posting to the PSP is left in state PROCESSING with its lease held. Each
    pod stop since the rollout (scale-downs, node drains; events: Killing, exit code 137 without
    OOM) strands more refunds; the exporter rule on stale PROCESSING refunds pages. Evidence: the new
    ReplicaSet's command, the alembic lines at start, the missing drain line, the terminating pod still
    running 30 s after deletion, refund_worker_leases_expired_total. Fix: `exec` in the wrapper (or
    an init container for migrations / tini). Red herring: ledger logs slow-query warnings all day.
    """
    inc = Incident("refunds-stuck-processing", title="Refunds stuck in PROCESSING",
                   story=story(refunds_stuck_processing), at=AT2, seed=1102)
    rollout = AT2 - timedelta(minutes=101)
    image = f"{REGISTRY}/payments/refund-worker:2.9.0"

    def new_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.pylog(start, "INFO", "alembic.runtime.migration", "Context impl PostgresqlImpl.")),
                      (start, L.pylog(start, "INFO", "alembic.runtime.migration", "Will assume transactional DDL.")),
                      (start + timedelta(seconds=2), L.pylog(start + timedelta(seconds=2), "INFO", "refund_worker.main",
                                                             "consumer started queue=refunds prefetch=8"))]
        out += each(start + timedelta(seconds=5), end, 40, lambda i, t: L.pylog(
            t, "WARNING", "refund_worker.recovery",
            f"lease expired for refund {L.uuidish(pod + 'x', i)[:13]} (state=PROCESSING, holder gone); "
            "requeueing for reconciliation") if i % 3 == 0 and t > rollout + timedelta(minutes=38) else L.pylog(
            t, "INFO", "refund_worker.consumer", f"refund {L.uuidish(pod, i)[:13]} posted to psp status=200 "
                                                 "took=398ms"))
        return out

    old = Rev(11, inc.born + timedelta(days=20), "helm upgrade refund-worker-2.8.4",
              [c("refund-worker", f"{REGISTRY}/payments/refund-worker:2.8.4", port=None, readiness_path=None,
                 liveness_path=None)], container={"command": ["python", "-m", "refund_worker"]})
    new = Rev(12, rollout, "helm upgrade refund-worker-2.9.0",
              [c("refund-worker", image, port=None, readiness_path=None, liveness_path=None)],
              container={"command": ["/bin/sh", "-c", "alembic upgrade head && python -m refund_worker"]})
    wl = inc.deployment("payments", "refund-worker", [old, new],
                        {12: [P(log=within(new_log), created=rollout + timedelta(minutes=i * 14)) for i in range(4)]},
                        replicas=4)
    term = wl.pods[-1]
    inc.cluster.patch("payments", term.name, lambda pod: pod["metadata"].update(
        {"deletionTimestamp": ts(AT2 + timedelta(minutes=34, seconds=50)), "deletionGracePeriodSeconds": 30}))
    for i, killed in enumerate([rollout + timedelta(minutes=38), rollout + timedelta(minutes=71),
                                AT2 - timedelta(minutes=9), AT2 + timedelta(minutes=34, seconds=20)]):
        gone = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{wl.rs[12]}-{o.suffix(f'gone-{i}', 5)}", "namespace": "payments",
                             "uid": o.uid("pod", "payments", f"refund-gone-{i}")}}
        inc.event(gone, "Killing", "Stopping container refund-worker", killed, warning=False,
                  host=node(inc, i % 4))
    inc.event(inc.cluster.pod_object(term), "Killing", "Stopping container refund-worker",
              AT2 + timedelta(minutes=34, seconds=20), warning=False, host=term.node)
    plant(inc, "payments", "refund-worker-psp", "stripe", "refunds", "PSP_API_KEY")
    inc.series("refund_worker_leases_expired", "counter", "Refund leases that expired while held.",
               {"namespace": "payments", "job": "refund-worker"}, rate_counter(AT2 - timedelta(hours=2), 0.0, 0.02,
                                                                              rollout))
    inc.series("refunds_processing_stale", "gauge", "Refunds in PROCESSING for more than 15 minutes.",
               {"namespace": "payments", "job": "refund-worker"},
               lambda t: 0 if t < rollout + timedelta(minutes=53) else 11 + int((t - rollout).total_seconds() // 600))
    inc.series("kube_pod_container_status_last_terminated_exitcode", "gauge", "Describes the exit code for the "
               "last container in terminated state.", {"namespace": "payments", "pod": term.name,
                                                       "container": "refund-worker", "job": "kube-state-metrics"},
               lambda t: 137)
    ledger = inc.pods_of("payments", "ledger")
    for h in ledger:
        h.logs["ledger"] = L.lines(each(AT2 - timedelta(hours=2), inc.captured, 300, lambda i, t: L.spring(
            t, "WARN", "o.h.engine.jdbc.spi.SqlStatementLogger",
            f"Slow query took {1200 + 37 * i} milliseconds: select e1_0.id from ledger_entry e1_0 where ...")))
    inc.alertmanager("RefundsStuckProcessing", {"namespace": "payments", "job": "refund-worker"},
                     "Refunds are stuck in PROCESSING",
                     "23 refunds have been in PROCESSING for more than 15 minutes (threshold 5).",
                     "max(refunds_processing_stale{job=\"refund-worker\"}) > 5", severity="critical",
                     runbook="https://wiki.example.com/payments/runbooks/refunds-stuck")
    inc.answer_key(culprit=("Deployment", "payments", "refund-worker"), keywords=["SIGTERM", "shell", "SIGKILL"],
                   root_cause="refund-worker revision 12 runs its command through a shell (/bin/sh -c alembic ... && "
                              "python ...): the shell is PID 1 and never forwards SIGTERM, so on every scale-down "
                              "or rollout the worker is SIGKILLed after the grace period and in-flight refunds are "
                              "left PROCESSING. exec the worker (or use an init container for migrations).",
                   category="shell-entrypoint-swallows-sigterm",
                   red_herrings=[("Deployment", "payments", "ledger")])
    return inc



# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 24, 15, 37, tzinfo=UTC)


def catalog_lookups_slow_page() -> Incident:
    """A base image moved to Alpine (musl): parallel A/AAAA lookups hit the conntrack insert race, 5 s DNS stalls.

    after: the published "racy conntrack and DNS lookup timeouts" write-ups (XING / Weaveworks 2018,
    and later company postmortems of 5-second DNS delays in Kubernetes), where a UDP conntrack insert
    race drops one of two parallel queries sent from the same socket.

    shop/catalog revision 32 (13:05 today) rebuilt the image FROM node:20-alpine instead of
    node:20-bookworm-slim. The pod template has long carried `dnsConfig.options: single-request-reopen`,
    the glibc workaround for the race; musl's resolver ignores it and sends A and AAAA in parallel from
    one socket, so under load one of the pair loses the conntrack insert race (insert_failed) and the
    lookup waits the resolver's 5 s timeout. catalog's calls to pricing and the image CDN take 5.0x s
    (got's timings.phases.dns ~5000 ms); p99 goes from 140 ms to 5.1 s. CoreDNS is healthy: its
    request rate and latency are flat. Evidence: the new ReplicaSet's image, dns timings in catalog's
    logs, node_nf_conntrack_stat_insert_failed rising on the nodes running catalog from 13:05. Fix:
    roll back the base image, or NodeLocal DNSCache / TCP for DNS / `options use-vc`.
    Red herring: the coredns ConfigMap was edited yesterday (the `log` plugin was added).
    """
    inc = Incident("catalog-lookups-slow-page", title="Catalog responses taking over 5 seconds",
                   story=story(catalog_lookups_slow_page), at=AT3, seed=1103, skip={("shop", "catalog")})
    rollout = AT3 - timedelta(minutes=152)
    dns_cfg = {"dnsConfig": {"options": [{"name": "ndots", "value": "2"}, {"name": "single-request-reopen"}]}}

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = i % 4 != 1
            dns = 5003 + (i * 7) % 11 if slow else 1 + i % 3
            host = ["pricing-api.pricing.svc.cluster.local", "images.cdn.example.com"][i % 2]
            return L.js(t, "info" if not slow else "warn", "upstream request completed", level_num=40 if slow else 30,
                        pid=1, hostname=pod, upstream=host, statusCode=200,
                        timings={"phases": {"wait": 0, "dns": dns, "tcp": 1, "request": 0,
                                            "firstByte": 38 + i % 20, "total": dns + 41 + i % 20}})
        return each(start + timedelta(seconds=4), end, 15, line)

    old = Rev(31, inc.born + timedelta(days=18), "helm upgrade catalog-2.4.0",
              [c("catalog", f"{REGISTRY}/shop/catalog:2.4.0-bookworm-slim", memory_limit="512Mi")], pod_spec=dns_cfg)
    new = Rev(32, rollout, "helm upgrade catalog-2.5.0",
              [c("catalog", f"{REGISTRY}/shop/catalog:2.5.0-alpine3.20", memory_limit="512Mi")], pod_spec=dns_cfg)
    wl = inc.deployment("shop", "catalog", [old, new], {32: [P(log=within(log)) for _ in range(3)]})
    catalog_nodes = {h.node for h in wl.pods}
    for name in inc.node_names():
        hit = name in catalog_nodes
        inc.series("node_nf_conntrack_stat_insert_failed", "gauge", "Number of entries for which list "
                   "insertion was attempted but failed.", {"instance": name, "job": "node-exporter"},
                   rate_counter(AT3 - timedelta(hours=2), 0.0005, 2.6 if hit else 0.0005, rollout))
        inc.series("node_nf_conntrack_entries", "gauge", "Number of currently allocated flow entries for "
                   "connection tracking.", {"instance": name, "job": "node-exporter"}, lambda t: 18250.0)
    for pod in inc.pods_of("kube-system", "coredns"):
        inc.series("coredns_dns_requests", "counter", "Counter of DNS requests made per zone, protocol and "
                   "family.", {"pod": pod.name, "server": "dns://:53", "zone": ".", "proto": "udp",
                               "type": "A", "job": "kube-dns"},
                   rate_counter(AT3 - timedelta(hours=2), 410.0, 430.0, rollout))
    inc.series("catalog_http_request_duration_seconds_p99", "gauge", "Recording rule: p99 of catalog's request "
               "duration over 5m.", {"namespace": "shop", "service": "catalog"}, before_after(0.14, 5.12, rollout))
    corefile = inc.find("ConfigMap", "kube-system", "coredns")
    fields_changed(corefile, ("kubectl-edit", "Update", AT3 - timedelta(hours=23), {"f:data": {"f:Corefile": {}}}))
    plant(inc, "shop", "catalog-cdn", "aws-secret", "catalog-cdn", "AWS_SECRET_ACCESS_KEY")
    inc.pagerduty("[FIRING:1] CatalogLatencyHigh shop/catalog: p99 latency 5.1s (threshold 1s) for 10m",
                  "Shop catalog")
    inc.answer_key(culprit=("Deployment", "shop", "catalog"), keywords=["conntrack", "musl", "DNS"],
                   root_cause="catalog's new image is built on Alpine (musl), which ignores the template's "
                              "single-request-reopen and sends A and AAAA lookups in parallel from one socket; the "
                              "UDP conntrack insert race drops one and every lookup that loses waits the 5 s DNS "
                              "timeout. Roll back the base image or avoid the race (NodeLocal DNSCache, TCP).",
                   category="dns-conntrack-race-parallel-lookups",
                   red_herrings=[("ConfigMap", "kube-system", "coredns")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 25, 8, 48, tzinfo=UTC)
SANDBOX_IP = ('Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox '
              '"{sandbox}": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP '
              'address to container')


def stuck_creating(inc: Incident, wl: Any, rs_name: str, node_name: str, created: datetime, count: int) -> None:
    """Pods the scheduler placed but the CNI never wired: ContainerCreating, FailedCreatePodSandBox events."""
    from corpus.podstate import never_started
    from incidentgen.cluster import PodHistory

    rs = inc.find("ReplicaSet", wl.namespace, rs_name)
    template = rs["spec"]["template"]
    containers = [c(x["name"], x["image"]) for x in template["spec"]["containers"]]
    for i in range(count):
        name = f"{rs_name}-{o.suffix(f'{rs_name}/stuck/{i}', 5)}"
        h = inc.cluster.add_pod(PodHistory(
            name=name, namespace=wl.namespace, workload=wl.name, containers=containers, node=node_name,
            created=created + timedelta(seconds=3 * i),
            states=[o.ContainerState(waiting_reason="ContainerCreating", ready=False)],
            waiting=(created, "ContainerCreating"), ready=lambda t: False, memory=None,
            labels=dict(template["metadata"]["labels"]), owner=o.owner_ref("ReplicaSet", rs_name, wl.namespace)))
        inc.cluster.patch(wl.namespace, name, never_started)
        obj = inc.cluster.pod_object(h)
        inc.event(rs, "SuccessfulCreate", f"Created pod: {name}", h.created, warning=False,
                  component="replicaset-controller")
        inc.event(obj, "Scheduled", f"Successfully assigned {wl.namespace}/{name} to {node_name}", h.created,
                  warning=False, component="default-scheduler")
        first = h.created + timedelta(seconds=2)
        sandbox = o.uid("sandbox", name, "0").replace("-", "") + o.uid("sandbox", name, "1").replace("-", "")
        inc.event(obj, "FailedCreatePodSandBox", SANDBOX_IP.format(sandbox=sandbox[:64]), first,
                  inc.captured - timedelta(seconds=20), count=int((inc.captured - first).total_seconds() // 40),
                  host=node_name)


def node_containercreating_question() -> Incident:
    """An EKS add-on update resets aws-node's WARM_IP_TARGET: every node hoards a spare ENI, the subnet runs dry.

    after: EKS pod-IP exhaustion postmortems in the k8s.af collection (subnets emptied by the VPC
    CNI's warm pool; pods stuck ContainerCreating with "failed to assign an IP address to container").

    The platform team runs aws-node with WARM_IP_TARGET=5 and MINIMUM_IP_TARGET=10 because the
    eu-west-1a pod subnet is a /24. At 03:50 the EKS add-on update to v1.19.0 (conflict resolution
    OVERWRITE; manager `eks`) re-rendered the DaemonSet without those variables, leaving only the
    default WARM_ENI_TARGET=1: every node now keeps a whole spare ENI of secondary IPs (awscni
    total IPs per node 15 -> 44). The subnet has no free addresses left; when
    ip-10-0-4-23 needs a second ENI, CreateNetworkInterface fails with
    InsufficientFreeAddressesInSubnet and new pods there sit in ContainerCreating
    (FailedCreatePodSandBox: failed to assign an IP address to container). Evidence: the DaemonSet's
    new ControllerRevision and managedFields, the events, ipamd's log on that node, awscni metrics.
    Fix: restore WARM_IP_TARGET / MINIMUM_IP_TARGET (in the add-on's configuration values).
    Red herring: kube-proxy on that node restarted 20 minutes ago (a transient apiserver timeout).
    """
    inc = Incident("node-containercreating-question", title="Pods stuck ContainerCreating on one node",
                   story=story(node_containercreating_question), at=AT4, seed=1104,
                   skip={("web", "recommendations")})
    update = AT4 - timedelta(hours=4, minutes=58)
    target = node(inc, 3)
    ds = inc.find("DaemonSet", "kube-system", "aws-node")
    base_env = [{"name": "AWS_VPC_K8S_CNI_LOG_FILE", "value": "stdout"},
                {"name": "ENABLE_PREFIX_DELEGATION", "value": "false"}, {"name": "WARM_ENI_TARGET", "value": "1"}]
    tuned = [*base_env, {"name": "WARM_IP_TARGET", "value": "5"}, {"name": "MINIMUM_IP_TARGET", "value": "10"}]
    cni = "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni"
    template = ds["spec"]["template"]
    old_template = {"metadata": template["metadata"], "spec": {**template["spec"], "containers": [
        {**template["spec"]["containers"][0], "image": f"{cni}:v1.18.5", "env": tuned}]}}
    template["spec"]["containers"][0].update({"image": f"{cni}:v1.19.0", "env": base_env})
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    ds["status"]["observedGeneration"] = 2
    fields_changed(ds, ("eks", "Apply", update, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"aws-node"}': {"f:env": {}, "f:image": {}}}}}}}))
    controller_revisions(inc, ds, [(1, inc.born, old_template), (2, update, template)])
    for h in inc.pods_of("kube-system", "aws-node"):
        h.containers = [c("aws-node", f"{cni}:v1.19.0", memory_limit="128Mi", port=None)]
        h.created = update + timedelta(minutes=2 * inc.node_names().index(h.node))
        h.states = [o.ContainerState(started_at=h.created + timedelta(seconds=9))]
        ip_log: Lines = [(h.created + timedelta(seconds=10), L.js(h.created + timedelta(seconds=10), "info",
                                                                  "Starting L-IPAMD v1.19.0  ...",
                                                                  caller="aws-k8s-agent/main.go:42"))]
        if h.node == target:
            ip_log += each(AT4 - timedelta(minutes=31), inc.captured, 60, lambda i, t: L.js(
                t, "error", "Failed to increase pool size due to not able to allocate ENI AllocENI: failed to "
                            "create ENI: failed to create network interface: InsufficientFreeAddressesInSubnet: "
                            "The specified subnet does not have enough free addresses to satisfy the request."
                            "\n\tstatus code: 400, request id: "
                            f"{L.uuidish('ipamd', i)}", caller="ipamd/ipamd.go:837"))
            ip_log += each(AT4 - timedelta(minutes=30), inc.captured, 40, lambda i, t: L.js(
                t, "error", "AssignPodIPv4Address: no available IP/Prefix addresses",
                caller="datastore/data_store.go:706"))
        h.logs["aws-node"] = L.lines(sorted(ip_log))
        full = h.node != target
        inc.series("awscni_total_ip_addresses", "gauge", "The total number of IP addresses",
                   {"instance": h.node, "job": "aws-node"}, before_after(15, 44 if full else 14, update))
        inc.series("awscni_assigned_ip_addresses", "gauge", "The number of IP addresses assigned to pods",
                   {"instance": h.node, "job": "aws-node"}, lambda t, f=full: 11 if f else 14)
        if not full:
            inc.series("awscni_aws_api_error_count", "gauge", "The number of times AWS API returns an error",
                       {"instance": h.node, "api": "CreateNetworkInterface",
                        "error": "InsufficientFreeAddressesInSubnet", "job": "aws-node"},
                       rate_counter(AT4 - timedelta(hours=2), 0.0, 1 / 60, AT4 - timedelta(minutes=31)))
    others = [n for n in inc.node_names() if n != target]
    rev1 = Rev(1, inc.born + timedelta(days=12), "helm upgrade recommendations-0.9.4",
               [c("recommendations", f"{REGISTRY}/web/recommendations:0.9.4")])
    rev2 = Rev(2, AT4 - timedelta(minutes=32), "helm upgrade recommendations-0.9.5",
               [c("recommendations", f"{REGISTRY}/web/recommendations:0.9.5")])
    wl = inc.deployment("web", "recommendations", [rev1, rev2],
                        {1: [P(node=others[i % 3]) for i in range(4)]}, replicas=4, progress="progressing",
                        max_surge="2")
    stuck_creating(inc, wl, wl.rs[2], target, AT4 - timedelta(minutes=31), 2)
    for h in inc.pods_of("kube-system", "kube-proxy"):
        if h.node == target:
            st = h.states[0]
            st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 255
            st.last_finished = AT4 - timedelta(minutes=20)
            st.last_started, st.started_at = inc.born, AT4 - timedelta(minutes=20, seconds=-4)
            h.previous_logs["kube-proxy"] = L.lines([(AT4 - timedelta(minutes=20, seconds=1), L.klog(
                AT4 - timedelta(minutes=20, seconds=1), "E", "server.go:1042",
                '"Failed to retrieve node info" err="Get \\"https://172.20.0.1:443/api/v1/nodes/' + target +
                '\\": net/http: TLS handshake timeout"'))])
    plant(inc, "web", "recommendations-model-store", "aws", "model-store", "AWS_ACCESS_KEY_ID")
    inc.ask(f"Pods scheduled on {target} have been sitting in ContainerCreating for half an hour while the other "
            "nodes are fine. What is wrong with that node?")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "aws-node"), keywords=["subnet", "WARM_IP_TARGET",
                                                                                "IP address"],
                   root_cause="An EKS add-on update re-rendered the aws-node DaemonSet without WARM_IP_TARGET and "
                              "MINIMUM_IP_TARGET: every node holds a spare ENI of warm IPs, the pod subnet ran out of "
                              "free addresses, and the node cannot attach an ENI, so the CNI fails to assign an IP "
                              "address to new pods there. Restore the warm-pool settings.",
                   category="vpc-cni-warm-pool-exhausts-subnet",
                   red_herrings=[("DaemonSet", "kube-system", "kube-proxy")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 25, 13, 26, tzinfo=UTC)


def chat_disconnects_question() -> Incident:
    """An operator re-creates its preview Ingresses every 20 s: ingress-nginx reloads nonstop and is OOMKilled.

    after: ingress-nginx reload-storm postmortems (k8s.af and the ingress-nginx issue tracker): each
    reload forks new workers while the old ones keep long-lived websocket connections until
    worker-shutdown-timeout, so frequent reloads multiply the controller's memory until it is killed.

    platform/preview-operator 0.14.0 (rolled out at 11:15) compares the Ingresses it owns with a
    freshly rendered copy; a new default annotation makes every comparison differ, so on each 20 s
    resync it deletes and re-creates all 38 preview Ingresses in namespace preview. Each change is a
    real nginx.conf change: ingress-nginx logs "Configuration changes detected, backend reload
    required" and "Backend successfully reloaded" several times a minute (RELOAD events, reload
    counter from 2/h to 3/min). Old workers hold chat's websockets for worker-shutdown-timeout (240 s),
    the controller's working set climbs to its 1 GiB limit and it is OOMKilled (restarts 4); every kill
    drops every websocket on that replica, which is what chat users see. Evidence: the operator's new
    ReplicaSet and its "recreating" log lines, the Ingresses' creation times and managedFields, the
    controller's logs/events/metrics. Fix: roll the operator back (or compare only the spec).
    Red herring: presence-api logs Redis pool timeouts at every reconnect wave (a consequence).
    """
    inc = Incident("chat-disconnects-question", title="Chat websocket connections keep dropping",
                   story=story(chat_disconnects_question), at=AT5, seed=1105,
                   skip={("ingress-nginx", "ingress-nginx-controller")},
                   namespaces=("messaging", "platform", "preview"))
    rollout = AT5 - timedelta(minutes=131)
    kills = [AT5 - timedelta(minutes=78), AT5 - timedelta(minutes=47), AT5 - timedelta(minutes=16),
             AT5 + timedelta(minutes=14)]
    previews = [f"pr-{1790 + 7 * i}" for i in range(38)]

    def controller_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < rollout:
                return None
            pr = previews[i % len(previews)]
            if i % 3 == 0:
                return L.klog(t, "I", "store.go:440", f'"Found valid IngressClass" ingress="preview/{pr}" '
                                                       'ingressclass="nginx"', pid=7)
            if i % 3 == 1:
                return L.klog(t, "I", "controller.go:193", '"Configuration changes detected, backend reload '
                                                            'required"', pid=7)
            return L.klog(t, "I", "controller.go:213", '"Backend successfully reloaded"', pid=7)
        return each(max(start + timedelta(seconds=3), rollout), end, 7, line)

    ctrl = Rev(3, inc.born + timedelta(days=9), "helm upgrade ingress-nginx-4.11.3",
               [c("controller", "registry.k8s.io/ingress-nginx/controller:v1.11.3", memory_request="512Mi",
                  memory_limit="1Gi", cpu_request="500m", port=80, readiness_path="/healthz",
                  liveness_path="/healthz")])
    ing = inc.deployment("ingress-nginx", "ingress-nginx-controller", [ctrl],
                         {3: [P(log=within(controller_log)) for _ in range(2)]})
    for n, h in enumerate(ing.pods):
        mine = [k - timedelta(minutes=7 * n) for k in kills if k - timedelta(minutes=7 * n) < inc.captured]
        st = h.states[0]
        st.restarts, st.last_reason, st.last_exit_code = len(mine), "OOMKilled", 137
        st.last_finished, st.started_at = mine[-1], mine[-1] + timedelta(seconds=2)
        st.last_started = mine[-2] if len(mine) > 1 else rollout
        h.restart_times = mine

        def memory(t: datetime, resets: list[datetime] = mine) -> float:
            if t < rollout:
                return 380 * 1024 * 1024
            since = max([rollout, *[r for r in resets if r <= t]])
            return min(1024.0, 380 + 0.36 * (t - since).total_seconds()) * 1024 * 1024
        h.memory = memory
        h.previous_logs["controller"] = L.lines(controller_log(h.name, mine[-1] - timedelta(minutes=4), mine[-1]))
        h.logs["controller"] = L.lines(controller_log(h.name, st.started_at, inc.captured))
        obj = inc.cluster.pod_object(h)
        inc.event(obj, "RELOAD", "NGINX reload triggered due to a change in configuration", rollout,
                  inc.captured - timedelta(seconds=9), count=int((inc.captured - rollout).total_seconds() // 21),
                  warning=False, component="nginx-ingress-controller")
        inc.series("nginx_ingress_controller_success", "gauge", "Cumulative number of Ingress controller reload "
                   "operations", {"namespace": "ingress-nginx", "pod": h.name,
                                  "controller_class": "k8s.io/ingress-nginx"},
                   rate_counter(AT5 - timedelta(hours=2), 2 / 3600, 3 / 60, rollout))
    inc.pod_series(ing.pods)
    op_old = Rev(7, inc.born + timedelta(days=25), "argocd sync preview-operator 0.13.2",
                 [c("manager", f"{REGISTRY}/platform/preview-operator:0.13.2", port=8081)])
    op_new = Rev(8, rollout, "argocd sync preview-operator 0.14.0",
                 [c("manager", f"{REGISTRY}/platform/preview-operator:0.14.0", port=8081,
                    env=[{"name": "RESYNC_PERIOD", "value": "20s"}])])

    def operator_log(pod: str, start: datetime, end: datetime) -> Lines:
        return each(start + timedelta(seconds=5), end, 20, lambda i, t: L.js(
            t, "info", "ingress drifted from desired state, recreating", logger="controllers.PreviewEnvironment",
            controller="previewenvironment", previewenvironment={"name": previews[i % 38], "namespace": "preview"},
            ingress=f"preview/{previews[i % 38]}", reconcileID=L.uuidish(pod, i)))

    inc.deployment("platform", "preview-operator", [op_old, op_new], {8: [P(log=within(operator_log))]})
    for i, pr in enumerate(previews[:6]):
        made = inc.captured - timedelta(seconds=4 + 3 * i)
        ingress = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                           "metadata": {"name": pr, "namespace": "preview", "creationTimestamp": ts(made),
                                        "labels": {"app.kubernetes.io/managed-by": "preview-operator"},
                                        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
                           "spec": {"ingressClassName": "nginx", "rules": [{
                               "host": f"{pr}.preview.example.com", "http": {"paths": [{
                                   "path": "/", "pathType": "Prefix", "backend": {"service": {
                                       "name": f"{pr}-web", "port": {"number": 80}}}}]}}]}})
        fields_changed(ingress, ("preview-operator", "Update", made, {"f:metadata": {"f:annotations": {}},
                                                                     "f:spec": {"f:rules": {}}}))
        inc.event(ingress, "Sync", "Scheduled for sync", made, warning=False, component="nginx-ingress-controller")

    def chat_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for k in kills:
            if start <= k <= end:
                out += [(k + timedelta(seconds=s), L.js(k + timedelta(seconds=s), "warn", "websocket closed",
                                                       code=1006, reason="", conn=L.uuidish(pod, s)[:12]))
                        for s in (0, 1, 2, 3)]
                out.append((k + timedelta(seconds=9), L.js(k + timedelta(seconds=9), "info",
                                                           "websocket reconnect wave", clients=1840)))
        return out

    steady_deployment(inc, "messaging", "chat-gateway", f"{REGISTRY}/messaging/chat-gateway:3.2.1", 3,
                      log=within(chat_log))
    steady_deployment(inc, "messaging", "presence-api", f"{REGISTRY}/messaging/presence-api:1.7.0", 2,
                      log=within(lambda pod, start, end: [(k + timedelta(seconds=12), L.js(
                          k + timedelta(seconds=12), "error", "redis: connection pool timeout", pool_size=20))
                          for k in kills]))
    plant(inc, "messaging", "chat-gateway-jwt", "jwt", "chat-gateway", "JWT_SIGNING_KEY")
    inc.ask("Users say chat keeps dropping: websocket connections to chat-gateway get cut every half hour or so since "
            "late morning. What's going on?")
    inc.answer_key(culprit=("Deployment", "platform", "preview-operator"), keywords=["reload", "OOMKilled", "Ingress"],
                   root_cause="preview-operator 0.14.0 deletes and re-creates its 38 preview Ingresses on every 20 s "
                              "resync; each change makes ingress-nginx reload, old workers keep websockets open, and "
                              "the controller grows to its limit and is OOMKilled, dropping every chat websocket on "
                              "it. "
                              "Roll the operator back.",
                   category="ingress-controller-reload-storm-oom",
                   red_herrings=[("Deployment", "messaging", "presence-api")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 26, 10, 2, tzinfo=UTC)


def product_search_slow_page() -> Incident:
    """A Service patched to sessionAffinity ClientIP: three caller pods pin all traffic to three of six backends.

    after: published load-imbalance postmortems about Service session affinity (k8s.af-listed talks
    on uneven load behind kube-proxy): with few client IPs, ClientIP affinity sends each caller to one
    backend for hours, so half the replicas idle while the rest saturate, and scaling does not help.

    shop/search runs six replicas behind the Service search; its only caller is web/frontend (three
    pods). At 08:03 an engineer chasing a cache-hit complaint patched the Service with
    `sessionAffinity: ClientIP` (timeout 10800 s; manager kubectl-patch). kube-proxy now sends each
    frontend pod's requests to a single search pod: three search pods take all the traffic at twice
    their usual rate and sit at their 1-CPU limit (throttled), the other three receive nothing.
    Search p99 climbs from 180 ms to 2.6 s. Nothing fails outright and no pod restarts: the evidence
    is the Service's change (spec, managedFields) and the per-pod metrics (request rate per pod,
    CPU, throttling). Fix: remove the affinity (cache per key, not per client).
    Red herring: redis logs a slow BGSAVE fork on its nightly schedule.
    """
    inc = Incident("product-search-slow-page", title="Product search slow",
                   story=story(product_search_slow_page), at=AT6, seed=1106, skip={("shop", "search")})
    change = AT6 - timedelta(minutes=119)
    wl = steady_deployment(inc, "shop", "search", f"{REGISTRY}/shop/search:4.0.2", 6, cpu_request="500m",
                           cpu_limit="1", memory_limit="768Mi")
    hot = {h.name for h in wl.pods[::2]}
    for h in wl.pods:
        busy = h.name in hot
        base = {"namespace": "shop", "pod": h.name}
        inc.series("http_server_requests", "counter", "HTTP server requests handled",
                   {**base, "service": "search", "route": "/v1/search"},
                   rate_counter(AT6 - timedelta(hours=2), 31.0, 62.0 if busy else 0.0, change))
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed by the container in "
                   "core-seconds", {**base, "container": "search", "job": "kubelet"},
                   rate_counter(AT6 - timedelta(hours=2), 0.46, 0.99 if busy else 0.02, change))
        inc.series("container_cpu_cfs_throttled_periods", "counter", "Number of throttled period intervals.",
                   {**base, "container": "search", "job": "kubelet"},
                   rate_counter(AT6 - timedelta(hours=2), 0.05, 6.1 if busy else 0.0, change))
        if busy:
            def slow(i: int, t: datetime, pod: str = h.name) -> str:
                return L.js(t, "warn", "slow search", q_len=8 + i % 20, took_ms=2100 + 23 * (i % 30),
                            req_id=L.uuidish(pod, i))
            h.logs["search"] = L.lines(each(change + timedelta(minutes=20), inc.captured, 30, slow))
    svc = inc.find("Service", "shop", "search")
    svc["spec"]["sessionAffinity"] = "ClientIP"
    svc["spec"]["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    fields_changed(svc, ("helm", "Update", inc.born, {"f:spec": {"f:ports": {}, "f:selector": {}}}),
                   ("kubectl-patch", "Update", change, {"f:spec": {"f:sessionAffinity": {},
                                                                   "f:sessionAffinityConfig": {}}}))
    inc.series("search_request_duration_seconds_p99", "gauge", "Recording rule: p99 of search request duration over "
               "5m.", {"namespace": "shop", "service": "search"},
               before_after(0.18, 2.6, change + timedelta(minutes=25)))
    for h in inc.pods_of("shop", "redis"):
        saves: Lines = []
        for m in (62, 2):
            began, forked = AT6 - timedelta(minutes=m), AT6 - timedelta(minutes=m - 1)
            saves += [(began, f"1:M {began.strftime('%d %b %Y %H:%M:%S.000')} * Background saving started by pid 2187"),
                      (forked, f"1:M {forked.strftime('%d %b %Y %H:%M:%S.000')} # Fork took 1840 ms (latency spike)")]
        h.logs["redis"] = L.lines(saves)
    plant(inc, "shop", "search-index-writer", "token", "search-index", "INDEX_API_TOKEN")
    inc.pagerduty("[FIRING:1] SearchLatencyHigh shop/search: p99 2.6s (threshold 1s) for 15m", "Shop search")
    inc.answer_key(culprit=("Service", "shop", "search"), keywords=["ClientIP", "affinity", "uneven"],
                   root_cause="The search Service was patched to sessionAffinity ClientIP: with only three frontend "
                              "pods calling it, kube-proxy pins all traffic to three of the six search pods, an uneven "
                              "split that saturates them (CPU limit, throttling) while the others idle. Remove the "
                              "affinity.",
                   category="service-session-affinity-pins-few-backends",
                   red_herrings=[("StatefulSet", "shop", "redis")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 26, 15, 44, tzinfo=UTC)


def partner_api_probe_failing_page() -> Incident:
    """A chart values change sets the Service's aws-load-balancer-scheme to internal: the public NLB is replaced.

    after: cloud-provider load balancer postmortems in the k8s.af collection where editing a Service's
    LB annotations made the controller delete and re-create the load balancer (scheme and type are
    immutable on AWS), cutting external traffic.

    partners/partner-gateway is exposed by a LoadBalancer Service reconciled by the AWS Load Balancer
    Controller. At 15:37 a Helm upgrade that moved the chart to a shared "service" library rendered
    `service.beta.kubernetes.io/aws-load-balancer-scheme: internal` (the library's default) on it. The
    scheme of an NLB cannot change, so the controller deleted the internet-facing NLB and created an
    internal one; external-dns repointed api.partners.example.com at the new internal name, which
    resolves to private 10.0.x addresses, and every partner's request times out. Pods are healthy;
    their access log simply stops at 15:37 except for kubelet probes. The only evidence is the change:
    the Service's annotations and managedFields, its new status hostname, the SuccessfullyReconciled
    events, and probe/traffic metrics. Fix: set the scheme back to internet-facing (the NLB is
    re-created again; DNS follows). Red herring: the partner TLS certificate expires in 12 days.
    """
    inc = Incident("partner-api-probe-failing-page", title="External probe failing for the partner API",
                   story=story(partner_api_probe_failing_page), at=AT7, seed=1107, namespaces=("partners",))
    change = AT7 - timedelta(minutes=7)

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < change and i % 3:
                return L.nginx_access(t, f"203.0.113.{20 + i % 40}", f"POST /v1/shipments/{L.uuidish(pod, i)[:8]}",
                                      201, 412, "127.0.0.1:9000", "201", 0.041)
            return L.nginx_access(t, "10.0.3.22", "GET /healthz", 200, 2, "127.0.0.1:9000", "200", 0.001,
                                  ua="kube-probe/1.30")
        out = each(max(start, AT7 - timedelta(hours=2)), end, 10, line)
        out.append((start + timedelta(seconds=6), L.go_std(start + timedelta(seconds=6),
                                                             "[warn] certificate for api.partners.example.com expires "
                                                             "in 12 days (2026-12-08T09:00:00Z)")))
        return out

    steady_deployment(inc, "partners", "partner-gateway", f"{REGISTRY}/partners/partner-gateway:4.0.3", 3,
                      log=within(log))
    inc.service("partners", "partner-gateway", {"app": "partner-gateway"}, port=443, target=8443)
    svc = inc.find("Service", "partners", "partner-gateway")
    svc["spec"].update({"type": "LoadBalancer", "externalTrafficPolicy": "Cluster",
                        "loadBalancerClass": "service.k8s.aws/nlb"})
    svc["spec"]["ports"][0]["nodePort"] = 31443
    svc["metadata"]["annotations"] = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        "external-dns.alpha.kubernetes.io/hostname": "api.partners.example.com",
        "meta.helm.sh/release-name": "partner-gateway", "meta.helm.sh/release-namespace": "partners"}
    svc["metadata"]["finalizers"] = ["service.k8s.aws/resources"]
    svc["status"] = {"loadBalancer": {"ingress": [
        {"hostname": "k8s-partners-partnerg-3c9e1f20aa-8d41c2b7e05f6a13.elb.eu-west-1.amazonaws.com"}]}}
    fields_changed(svc, ("helm", "Update", change, {"f:metadata": {"f:annotations": {
        "f:service.beta.kubernetes.io/aws-load-balancer-scheme": {}, "f:meta.helm.sh/release-name": {}}}}),
                   ("aws-load-balancer-controller", "Update", change + timedelta(seconds=94),
                    {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}))
    inc.event(svc, "SuccessfullyReconciled", "Successfully reconciled", inc.born + timedelta(days=4),
              change + timedelta(seconds=94), count=3, warning=False, component="service")
    inc.secret("partners", "partner-gateway-tls", {
        "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIFazCCA1OgAwIBAgIUe3Vh\n-----END CERTIFICATE-----\n",
        "tls.key": "-----BEGIN PRIVATE KEY-----\n" + inc.canary("token", "partner-tls")
                   + "\n-----END PRIVATE KEY-----\n"})
    plant(inc, "partners", "partner-gateway-hmac", "password", "partner-hmac", "WEBHOOK_HMAC_SECRET")
    probe = {"instance": "https://api.partners.example.com/healthz", "job": "blackbox-external", "module": "http_2xx"}
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success", dict(probe),
               before_after(1, 0, change + timedelta(seconds=100)))
    inc.series("probe_ip_addr_hash", "gauge", "Specifies the hash of IP address. It's useful to detect if the IP "
               "address changes.", dict(probe), before_after(2817301344, 901244770, change + timedelta(seconds=100)))
    inc.series("nginx_http_requests", "counter", "Total number of HTTP requests",
               {"namespace": "partners", "service": "partner-gateway"},
               rate_counter(AT7 - timedelta(hours=2), 38.0, 0.3, change + timedelta(seconds=90)))
    inc.pagerduty("[FIRING:1] BlackboxProbeFailed https://api.partners.example.com/healthz (blackbox-external)",
                  "Partner integrations")
    inc.answer_key(culprit=("Service", "partners", "partner-gateway"), keywords=["internal", "load balancer",
                                                                                 "annotation"],
                   root_cause="A Helm upgrade set the partner-gateway Service's aws-load-balancer-scheme annotation to "
                              "internal: the AWS Load Balancer Controller replaced the internet-facing NLB with an "
                              "internal load balancer and DNS followed it, so partners can no longer reach the API. "
                              "Set the scheme back to internet-facing.",
                   category="lb-scheme-annotation-replaces-load-balancer",
                   red_herrings=[("Secret", "partners", "partner-gateway-tls")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 27, 7, 15, tzinfo=UTC)


def report_builder_crashloop() -> Incident:
    """A VPA's maxAllowed memory cut to 512Mi: the updater evicts pods and re-admits them with a 1Gi limit, OOMKilled.

    after: published Vertical Pod Autoscaler postmortems (VPA in Auto mode rewriting requests and,
    proportionally, limits below what the workload needs; pods OOMKilled right after being evicted
    "to apply resource recommendation").

    reporting/report-builder's template asks for 1Gi and limits 2Gi; the month-end reports need about
    1.6 GiB. A cost-savings change merged at 06:00 (Flux, manager kustomize-controller) set the VPA
    reports-rightsizing's containerPolicies maxAllowed memory from 4Gi to 512Mi. The recommender's
    target is now capped at 512Mi (uncappedTarget 1.71Gi); with controlledValues RequestsAndLimits the
    updater evicts every pod (EvictedByVPA) and the admission controller re-creates them with request
    512Mi and limit 1Gi (the 1:2 ratio kept), annotated vpaUpdates. Every run is OOMKilled after ~3
    minutes. The Deployment still says 1Gi/2Gi, which misleads anyone reading only the template.
    Fix: raise maxAllowed (or controlledValues RequestsOnly / updateMode Off).
    Red herring: the report-scratch volume is 91% full.
    """
    inc = Incident("report-builder-crashloop", title="report-builder pods crash looping",
                   story=story(report_builder_crashloop), at=AT8, seed=1108, namespaces=("reporting",))
    change = AT8 - timedelta(minutes=75)
    evicted = change + timedelta(minutes=3)
    define_crd(inc, "autoscaling.k8s.io", "VerticalPodAutoscaler", "verticalpodautoscalers", "v1")
    vpa = inc.add({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
                   "metadata": {"name": "reports-rightsizing", "namespace": "reporting",
                                "labels": {"kustomize.toolkit.fluxcd.io/name": "reporting",
                                           "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
                   "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "report-builder"},
                            "updatePolicy": {"updateMode": "Auto"},
                            "resourcePolicy": {"containerPolicies": [{
                                "containerName": "*", "controlledResources": ["cpu", "memory"],
                                "controlledValues": "RequestsAndLimits",
                                "minAllowed": {"cpu": "100m", "memory": "256Mi"},
                                "maxAllowed": {"cpu": "2", "memory": "512Mi"}}]}},
                   "status": {"conditions": [{"type": "RecommendationProvided", "status": "True",
                                              "lastTransitionTime": ts(inc.born + timedelta(days=5))}],
                              "recommendation": {"containerRecommendations": [{
                                  "containerName": "report-builder",
                                  "lowerBound": {"cpu": "210m", "memory": "512Mi"},
                                  "target": {"cpu": "350m", "memory": "512Mi"},
                                  "uncappedTarget": {"cpu": "350m", "memory": "1835008k"},
                                  "upperBound": {"cpu": "900m", "memory": "512Mi"}}]}}})
    fields_changed(vpa, ("kustomize-controller", "Apply", change, {"f:spec": {"f:resourcePolicy": {}}}),
                   ("vpa-recommender", "Update", change + timedelta(minutes=1), {"f:status": {}}))

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), L.pylog(start + timedelta(seconds=1), "INFO", "report_builder",
                                                             "worker started, queue=month-end-reports"))]
        out += each(start + timedelta(seconds=6), end, 25, lambda i, t: L.pylog(
            t, "INFO", "report_builder.build", f"tenant={3100 + i} loading ledger frame rows={410000 + 9000 * i}"))
        return out

    rev = Rev(9, inc.born + timedelta(days=22), "helm upgrade report-builder-3.4.0",
              [c("report-builder", f"{REGISTRY}/reporting/report-builder:3.4.0", memory_request="512Mi",
                 memory_limit="1Gi", cpu_request="350m", port=None, readiness_path=None, liveness_path=None)])
    wl = inc.deployment("reporting", "report-builder", [rev], {9: [
        P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(log), run_s=lambda n: 170 + 13 * (n % 3),
          created=evicted + timedelta(seconds=20 * i)) for i in range(3)]}, progress="complete")
    templates = [wl.obj["spec"]["template"], inc.find("ReplicaSet", "reporting", wl.rs[9])["spec"]["template"]]
    for template in templates:
        template["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "350m", "memory": "1Gi"},
                                                          "limits": {"memory": "2Gi"}}
    for i, h in enumerate(wl.pods):
        h.annotations.update({"vpaUpdates": "Pod resources updated by reports-rightsizing: container 0: cpu request, "
                                            "memory request, memory limit",
                              "vpaObservedContainers": "report-builder"})
        gone = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{wl.rs[9]}-{o.suffix(f'before-vpa-{i}', 5)}", "namespace": "reporting",
                             "uid": o.uid("pod", "reporting", f"before-vpa-{i}")}}
        inc.event(gone, "EvictedByVPA", "Pod was evicted by VPA Updater to apply resource recommendation.",
                  evicted + timedelta(seconds=20 * i), component="vpa-updater")
    inc.pod_series(wl.pods)
    inc.pvc("reporting", "report-scratch", "50Gi", "gp3")
    vol = {"namespace": "reporting", "persistentvolumeclaim": "report-scratch", "job": "kubelet"}
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume", dict(vol),
               lambda t: 53687091200)
    inc.series("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume", dict(vol),
               lambda t: 48855252992)
    plant(inc, "reporting", "report-builder-warehouse", "password", "warehouse", "WAREHOUSE_PASSWORD")
    pod = wl.pods[0].name
    inc.alertmanager("KubePodCrashLooping", {"namespace": "reporting", "pod": pod, "container": "report-builder",
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f'Pod reporting/{pod} (report-builder) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics", namespace=~".*"}[5m]) >= 1')
    inc.answer_key(culprit=("VerticalPodAutoscaler", "reporting", "reports-rightsizing"),
                   keywords=["VPA", "maxAllowed", "OOMKilled"],
                   root_cause="The VPA reports-rightsizing had its maxAllowed memory cut to 512Mi; in Auto mode with "
                              "RequestsAndLimits it evicted report-builder's pods and re-created them with a 512Mi "
                              "request and a 1Gi limit, below the ~1.6 GiB a report needs, so every run is "
                              "OOMKilled. Raise maxAllowed or stop the VPA controlling limits.",
                   category="vpa-max-allowed-caps-memory-oom",
                   red_herrings=[("PersistentVolumeClaim", "reporting", "report-scratch")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 11, 27, 18, 31, tzinfo=UTC)
RATE_LIMITED = ('Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve '
                'reference "{image}": unexpected status from HEAD request to '
                'https://registry-1.docker.io/v2/redis/redis-stack-server/manifests/7.4.0-v1: 429 Too Many Requests - '
                'Server message: toomanyrequests: You have reached your pull rate limit as \'anonymous\'. You may '
                'increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit')


def feature_store_rollout_stuck() -> Incident:
    """A chart bump swaps the pull-through mirror for docker.io: anonymous pulls over one NAT IP hit the rate limit.

    after: the many published outages after Docker Hub introduced pull rate limits (November 2020
    onwards): clusters pulling anonymously through a shared NAT address got "429 toomanyrequests"
    and ImagePullBackOff on every new node or rollout.

    risk/feature-store ran redis-stack-server from the ECR pull-through cache
    (123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/...). The chart bump to 7.4.0 applied at
    17:48 rendered the chart's default image, docker.io/redis/redis-stack-server:7.4.0-v1, without a
    registry override. All of the cluster's nodes leave through one NAT gateway address that has
    already spent its anonymous Docker Hub quota, so every pull of the new image gets
    "429 Too Many Requests ... toomanyrequests: You have reached your pull rate limit". The new pods
    stay in ImagePullBackOff, the rollout passes its progress deadline, and one of the three old
    replicas has already been removed. The evidence is in the events (Failed / BackOff pulling) and
    the revision's image. Fix: point the image back at the mirror (or authenticate pulls).
    Red herring: the namespace's ECR pull secret regcred-ecr is a plausible suspect; ECR pulls work.
    """
    inc = Incident("feature-store-rollout-stuck", title="feature-store rollout not progressing",
                   story=story(feature_store_rollout_stuck), at=AT9, seed=1109, namespaces=("risk",))
    bump = AT9 - timedelta(minutes=43)
    mirror = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/redis/redis-stack-server:7.2.0-v10"
    image = "docker.io/redis/redis-stack-server:7.4.0-v1"
    pull = {"imagePullSecrets": [{"name": "regcred-ecr"}]}
    old = Rev(5, inc.born + timedelta(days=14), "helm upgrade feature-store-1.9.2",
              [c("redis-stack", mirror, memory_limit="2Gi", memory_request="1Gi", port=6379, readiness_path=None,
                 liveness_path=None)], pod_spec=pull)
    new = Rev(6, bump, "helm upgrade feature-store-2.0.0",
              [c("redis-stack", image, memory_limit="2Gi", memory_request="1Gi", port=6379, readiness_path=None,
                 liveness_path=None)], pod_spec=pull)
    message = RATE_LIMITED.format(image=image)
    wl = inc.deployment("risk", "feature-store", [old, new],
                        {5: [P(memory_mi=900), P(memory_mi=910)],
                         6: [P(state="waiting", waiting_reason="ImagePullBackOff", message=message,
                               created=bump + timedelta(seconds=4 + 2 * i)) for i in range(2)]},
                        replicas=3, progress="deadline")
    inc.pod_series([h for h in wl.pods if h.memory is not None])
    inc.cluster.add_secret("risk", "regcred-ecr", {".dockerconfigjson": (
        '{"auths":{"123456789012.dkr.ecr.eu-west-1.amazonaws.com":{"username":"AWS","password":"'
        + inc.canary("jwt", "ecr-pull") + '"}}}')}, inc.born + timedelta(days=14))
    plant(inc, "risk", "feature-store-auth", "password", "feature-store", "REDIS_PASSWORD")
    steady_deployment(inc, "risk", "fraud-scorer", f"{REGISTRY}/risk/fraud-scorer:5.1.0", 3)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "risk", "deployment": "feature-store",
                                                    "condition": "Progressing", "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment risk/feature-store is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false",'
                     'job="kube-state-metrics", namespace=~".*"} != 0')
    inc.answer_key(culprit=("Deployment", "risk", "feature-store"),
                   keywords=["rate limit", "Docker Hub", "toomanyrequests"],
                   root_cause="feature-store's new revision pulls docker.io/redis/redis-stack-server instead of the "
                              "ECR pull-through mirror; the cluster's anonymous pulls from one NAT address are over "
                              "Docker Hub's pull rate limit (429 toomanyrequests), so the new pods stay in "
                              "ImagePullBackOff and the rollout is stuck. Point the image back at the mirror or "
                              "authenticate.",
                   category="public-registry-pull-rate-limit",
                   red_herrings=[("Secret", "risk", "regcred-ecr")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 11, 28, 9, 52, tzinfo=UTC)


def orders_services_crashloop_grouped() -> Incident:
    """The mesh-wide default Sidecar's egress widened to */*: every proxy loads the whole mesh, istio-proxy OOMKilled.

    after: Istio-at-scale postmortems (k8s.af and Istio community write-ups): without a Sidecar
    resource scoping egress, every Envoy receives every cluster and route of the mesh, and proxy
    memory grows with the mesh until sidecars with default limits are OOMKilled.

    The mesh-wide default Sidecar (istio-system/default) limited every proxy's egress to its own
    namespace, istio-system and shared. At 08:20 an engineer debugging a cross-namespace call
    applied it with hosts ["*/*"] (manager kubectl-client-side-apply). istiod now pushes each proxy
    all ~3,100 clusters of the mesh (CDS resources 41 -> 3121, 9.8 MB per push); istio-proxy's working
    set climbs past its 256Mi limit and the proxies of orders-api, fulfilment-api and inventory-api
    (which hold the application until the proxy starts) are OOMKilled in a loop. notifications, with
    a 1Gi proxy limit, survives at 610Mi. Evidence: the Sidecar's managedFields, istiod's push log,
    envoy_cluster_manager_active_clusters, the proxies' memory and OOMKilled state. Fix: restore the
    scoped egress hosts. Red herring: istiod was upgraded 1.23.2 -> 1.23.3 yesterday.
    """
    inc = Incident("orders-services-crashloop-grouped", title="Orders services crash looping",
                   story=story(orders_services_crashloop_grouped), at=AT10, seed=1110,
                   namespaces=("istio-system", "orders"))
    change = AT10 - timedelta(minutes=92)
    define_crd(inc, "networking.istio.io", "Sidecar", "sidecars", "v1")
    sidecar = inc.add({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                       "metadata": {"name": "default", "namespace": "istio-system", "generation": 4,
                                    "annotations": {"kubectl.kubernetes.io/last-applied-configuration": (
                                        '{"apiVersion":"networking.istio.io/v1","kind":"Sidecar","metadata":'
                                        '{"annotations":{},"name":"default","namespace":"istio-system"},"spec":'
                                        '{"egress":[{"hosts":["*/*"]}]}}\n')}},
                       "spec": {"egress": [{"hosts": ["*/*"]}],
                                "outboundTrafficPolicy": {"mode": "ALLOW_ANY"}}})
    fields_changed(sidecar, ("kubectl-client-side-apply", "Update", change,
                             {"f:metadata": {"f:annotations": {}}, "f:spec": {"f:egress": {}}}))
    proxy_image = "docker.io/istio/proxyv2:1.23.3"

    def istiod_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            big = t >= change
            svc = ["orders-api", "fulfilment-api", "inventory-api", "notifications"][i % 4]
            return (f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z\tinfo\tads\tCDS: PUSH for node:{svc}-{i % 7}.orders "
                    f"resources:{3121 if big else 41} size:{'9.8MB' if big else '98.1kB'}")
        return each(start + timedelta(seconds=30), end, 30, line)

    old_istiod = Rev(18, inc.born + timedelta(days=12), "helm upgrade istiod-1.23.2",
                     [c("discovery", "docker.io/istio/pilot:1.23.2", port=15010, memory_limit="2Gi")])
    new_istiod = Rev(19, AT10 - timedelta(hours=20), "helm upgrade istiod-1.23.3",
                     [c("discovery", "docker.io/istio/pilot:1.23.3", port=15010, memory_limit="2Gi")])
    inc.deployment("istio-system", "istiod", [old_istiod, new_istiod], {19: [P(log=within(istiod_log))
                                                                            for _ in range(2)]})
    injected = {"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\n",
                "sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],'
                                           '"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token",'
                                           '"istiod-ca-cert"],"revision":"default"}'}
    crashing = []
    for k, app in enumerate(("orders-api", "fulfilment-api", "inventory-api", "notifications")):
        limit = "1Gi" if app == "notifications" else "256Mi"
        rev = Rev(7 + k, inc.born + timedelta(days=15 + k), f"helm upgrade {app}",
                  [c("istio-proxy", proxy_image, memory_request="128Mi", memory_limit=limit, cpu_request="100m",
                     port=15090, readiness_path="/healthz/ready", liveness_path=None),
                   c(app, f"{REGISTRY}/orders/{app}:2.{k}.4")])
        if app == "notifications":
            plans = [P(memory_mi=610) for _ in range(2)]
        else:
            plans = [P(state="crashloop", reason="OOMKilled", exit_code=137, run_s=lambda n: 290 + 17 * (n % 4),
                       crash_from=change + timedelta(minutes=4 + k),
                       created=inc.born + timedelta(days=15 + k, minutes=i)) for i in range(2)]
        wl = inc.deployment("orders", app, [rev], {7 + k: plans}, progress="complete")
        for h in wl.pods:
            h.annotations.update(injected)
            if app == "notifications":
                h.annotations["sidecar.istio.io/proxyMemoryLimit"] = "1Gi"
            inc.series("envoy_cluster_manager_active_clusters", "gauge", "Number of currently active (warmed) "
                       "clusters", {"namespace": "orders", "pod": h.name, "job": "envoy-stats"},
                       before_after(41, 3121, change + timedelta(seconds=40)))
        rs_template = inc.find("ReplicaSet", "orders", wl.rs[7 + k])["spec"]["template"]
        for template in (wl.obj["spec"]["template"], rs_template):
            template["metadata"]["annotations"].update({"proxy.istio.io/config": injected["proxy.istio.io/config"]})
            if app == "notifications":
                template["metadata"]["annotations"]["sidecar.istio.io/proxyMemoryLimit"] = "1Gi"
        inc.pod_series(wl.pods)
        if app != "notifications":
            crashing.append(wl.pods[0].name)
    plant(inc, "orders", "orders-api-db", "password", "orders-db", "DB_PASSWORD")
    grouped(inc, [("KubePodCrashLooping", {"namespace": "orders", "pod": pod, "container": "istio-proxy",
                                           "job": "kube-state-metrics"},
                   "Pod is crash looping.",
                   f'Pod orders/{pod} (istio-proxy) is in waiting state (reason: "CrashLoopBackOff").',
                   'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                   'job="kube-state-metrics", namespace=~".*"}[5m]) >= 1') for pod in crashing],
            group=["alertname", "namespace"])
    inc.answer_key(culprit=("Sidecar", "istio-system", "default"), keywords=["Sidecar", "egress", "OOMKilled"],
                   root_cause="The mesh-wide default Sidecar in istio-system was applied with egress hosts */*: istiod "
                              "now pushes every proxy the whole mesh's ~3,100 clusters, and the istio-proxy containers "
                              "with a 256Mi limit are OOMKilled in a loop, taking orders-api, fulfilment-api and "
                              "inventory-api down. Restore the scoped egress hosts.",
                   category="mesh-sidecar-egress-scope-widened-proxy-oom",
                   red_herrings=[("Deployment", "istio-system", "istiod")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 11, 28, 19, 8, tzinfo=UTC)
NO_SCALE = 'the HPA controller was unable to get the target\'s current scale: deployments/scale.apps "availability" ' \
           'not found'


def booking_availability_errors_burn() -> Incident:
    """A chart renames the Deployment; the HPA kept in another repo still targets the old name: stuck at 2 replicas.

    after: Kubernetes failure-story talks in the k8s.af collection where an autoscaler silently
    detached from its workload after a rename (HPA FailedGetScale, the workload left at its chart
    default through the next peak).

    booking's chart 3.0 (applied at 14:02) renamed the Deployment availability to availability-api
    (new labels, replicas: 2 as the chart default) and deleted the old one. The HPA availability lives
    in the platform team's repository and still has scaleTargetRef Deployment/availability; it reports
    AbleToScale False, FailedGetScale: deployments/scale.apps "availability" not found. Before the
    rename the HPA ran 9 replicas at the evening peak; tonight availability-api serves the same load
    on 2 pods, latency climbs and requests time out. The evidence is the HPA's condition and events
    and the Deployment's creation (a new object today); the pods only look busy. Fix: point the HPA
    at availability-api (and keep the two in one chart).
    Red herring: availability-api-config was created with the rename (the same values as before).
    """
    inc = Incident("booking-availability-errors-burn", title="Booking availability requests failing",
                   story=story(booking_availability_errors_burn), at=AT11, seed=1111, namespaces=("booking",))
    rename = AT11 - timedelta(hours=5, minutes=6)

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        return each(max(start, AT11 - timedelta(minutes=30)), end, 15, lambda i, t: L.spring(
            t, "WARN" if i % 3 == 0 else "INFO", "c.e.booking.AvailabilityController",
            "request timed out after 5000ms hotel=" + str(8800 + i) if i % 3 == 0
            else f"availability computed hotel={8800 + i} nights=3 took={2100 + 17 * i}ms",
            thread=f"http-nio-8080-exec-{i % 200}"))

    rev = Rev(1, rename, "helm upgrade booking-3.0.0",
              [c("availability-api", f"{REGISTRY}/booking/availability-api:3.0.0", cpu_request="1",
                 memory_limit="1Gi")])
    wl = inc.deployment("booking", "availability-api", [rev], {1: [P(log=within(log)) for _ in range(2)]})
    wl.obj["metadata"]["creationTimestamp"] = ts(rename)
    fields_changed(wl.obj, ("helm", "Update", rename, {"f:metadata": {"f:labels": {}}, "f:spec": {
        "f:replicas": {}, "f:selector": {}, "f:template": {}}}))
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "availability", "namespace": "booking",
                                "labels": {"app.kubernetes.io/managed-by": "platform-hpas"}},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "availability"},
                            "minReplicas": 3, "maxReplicas": 16,
                            "metrics": [{"type": "Resource", "resource": {
                                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
                   "status": {"currentReplicas": 9, "desiredReplicas": 9,
                              "lastScaleTime": ts(rename - timedelta(hours=20)),
                              "conditions": [
                                  {"type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
                                   "message": NO_SCALE, "lastTransitionTime": ts(rename + timedelta(seconds=15))}]}})
    inc.event(hpa, "FailedGetScale", 'deployments/scale.apps "availability" not found', rename + timedelta(seconds=15),
              inc.captured, count=int((inc.captured - rename).total_seconds() // 15),
              component="horizontal-pod-autoscaler")
    inc.configmap("booking", "availability-api-config", {"SEARCH_WINDOW_DAYS": "120", "RATE_CACHE_TTL": "60s"},
                  at=rename)
    for h in wl.pods:
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed by the container in "
                   "core-seconds", {"namespace": "booking", "pod": h.name, "container": "availability-api",
                                    "job": "kubelet"}, rate_counter(rename, 0.7, 1.96, AT11 - timedelta(minutes=50)))
    inc.series("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
               {"namespace": "booking", "deployment": "availability", "job": "kube-state-metrics"},
               lambda t: 9 if t < rename else None)
    inc.series("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
               {"namespace": "booking", "deployment": "availability-api", "job": "kube-state-metrics"},
               lambda t: 2 if t >= rename else None)
    plant(inc, "booking", "availability-api-gds", "token", "gds", "GDS_API_TOKEN")
    inc.slo_burn("availability-api", "booking", "availability-latency", "0.99", 15.3,
                 "availability-api: 15% of availability requests exceeded 5s or failed in the last 5m; the error "
                 "budget is burning 15x too fast.")
    inc.answer_key(culprit=("Deployment", "booking", "availability-api"),
                   keywords=["HPA", "renamed", "scaleTargetRef"],
                   root_cause="The chart renamed the Deployment availability to availability-api, but the HPA "
                              "availability still has scaleTargetRef Deployment/availability (FailedGetScale, not "
                              "found): nothing scales the renamed Deployment, which stays at 2 replicas through the "
                              "peak. Point the HPA at availability-api.",
                   category="hpa-detached-by-deployment-rename",
                   red_herrings=[("ConfigMap", "booking", "availability-api-config")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 11, 29, 12, 40, tzinfo=UTC)


def storefront_errors_burn() -> Incident:
    """A staging Ingress copied with the production host merges /products into the live site: traffic to staging.

    after: Ingress host-collision postmortems (k8s.af entries and ingress-nginx users' reports): a
    second Ingress for an existing host, in another namespace, is merged by the controller and takes
    over the paths it declares, silently routing production users to the wrong backend.

    A developer created web-staging/storefront-preview at 12:16 (kubectl create, by hand) from the
    production values: host shop.example.com instead of staging.shop.example.com, path /products
    (Prefix) to web-staging/storefront-next. ingress-nginx merges it with web/frontend's Ingress for
    the same host, and the longer /products prefix wins, so every production product page goes to the
    single staging pod, which answers 404 for production product ids and is OOMKilled under
    production load (502/503 while it restarts). Evidence: the new Ingress (host, creation time,
    managedFields), ingress-nginx's "Found valid IngressClass" and reload at 12:16, access-log lines
    with upstream web-staging-storefront-next-80 for /products. Fix: delete it or correct the host.
    Red herring: frontend rolled out 5.7.4 this morning.
    """
    inc = Incident("storefront-errors-burn", title="Storefront error budget burning",
                   story=story(storefront_errors_burn), at=AT12, seed=1112, skip={("web", "frontend")},
                   namespaces=("web-staging",))
    created = AT12 - timedelta(minutes=24)
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "frontend", "namespace": "web",
                          "annotations": {"meta.helm.sh/release-name": "frontend"}},
             "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                      "rules": [{"host": "shop.example.com", "http": {"paths": [{
                          "path": "/", "pathType": "Prefix",
                          "backend": {"service": {"name": "frontend", "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [{
                 "hostname": "a51f0e9c2d7b-1409271155.eu-west-1.elb.amazonaws.com"}]}}})
    preview = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                       "metadata": {"name": "storefront-preview", "namespace": "web-staging",
                                    "creationTimestamp": ts(created)},
                       "spec": {"ingressClassName": "nginx",
                                "rules": [{"host": "shop.example.com", "http": {"paths": [{
                                    "path": "/products", "pathType": "Prefix",
                                    "backend": {"service": {"name": "storefront-next", "port": {"number": 80}}}}]}}]},
                       "status": {"loadBalancer": {"ingress": [{
                           "hostname": "a51f0e9c2d7b-1409271155.eu-west-1.elb.amazonaws.com"}]}}})
    fields_changed(preview, ("kubectl-create", "Update", created,
                             {"f:spec": {"f:ingressClassName": {}, "f:rules": {}}}),
                   ("nginx-ingress-controller", "Update", created + timedelta(seconds=40),
                    {"f:status": {"f:loadBalancer": {}}}))
    inc.event(preview, "Sync", "Scheduled for sync", created + timedelta(seconds=1), warning=False,
              component="nginx-ingress-controller")

    def nginx_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(created + timedelta(seconds=1), L.klog(created + timedelta(seconds=1), "I", "store.go:440",
                                                             '"Found valid IngressClass" '
                                                             'ingress="web-staging/storefront-preview" '
                                                             'ingressclass="nginx"', pid=7)),
                      (created + timedelta(seconds=2), L.klog(created + timedelta(seconds=2), "I", "controller.go:193",
                                                             '"Configuration changes detected, backend reload '
                                                             'required"', pid=7)),
                      (created + timedelta(seconds=3), L.klog(created + timedelta(seconds=3), "I", "controller.go:213",
                                                             '"Backend successfully reloaded"', pid=7))]

        def access(i: int, t: datetime) -> str:
            client = f"198.51.100.{10 + i % 90}"
            if i % 2:
                return L.nginx_access(t, client, "GET / ", 200, 18231, "10.244.2.31:8080", "200", 0.052)
            if t < created:
                return L.nginx_access(t, client, f"GET /products/{4100 + i}", 200, 9211, "10.244.1.44:8080",
                                      "200", 0.061)
            status = [404, 502, 404, 503][i % 4]
            return L.nginx_access(t, client, f"GET /products/{4100 + i}", status, 150,
                                  "10.244.3.57:3000", str(status), 0.004 if status != 404 else 0.120)
        out += each(max(start, AT12 - timedelta(hours=1)), end, 3, access)
        return out

    old = Rev(52, inc.born + timedelta(days=20), "helm upgrade frontend-5.7.3",
              [c("frontend", f"{REGISTRY}/web/frontend:5.7.3")])
    new = Rev(53, AT12 - timedelta(hours=3, minutes=20), "helm upgrade frontend-5.7.4",
              [c("frontend", f"{REGISTRY}/web/frontend:5.7.4")])
    inc.deployment("web", "frontend", [old, new], {53: [P() for _ in range(3)]})
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs["ingress-nginx-controller"] = within(nginx_log)(h.name, h.created, inc.captured)

    def next_log(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start + timedelta(seconds=1), L.js(start + timedelta(seconds=1), "info",
                                                    "storefront-next listening on :3000 (env=staging)")),
                *each(start + timedelta(seconds=3), end, 4, lambda i, t: L.js(
                    t, "warn", "product not found in catalogue", productId=4100 + i, catalogue="staging"))]

    rev = Rev(3, created - timedelta(minutes=2), "kubectl apply -f storefront-next.yaml",
              [c("storefront-next", f"{REGISTRY}/web/storefront-next:0.3.0-rc.2", memory_limit="256Mi", port=3000)])
    inc.deployment("web-staging", "storefront-next", [rev], {3: [
        P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(next_log), run_s=lambda n: 140,
          crash_from=created + timedelta(minutes=3), created=created - timedelta(minutes=1))]})
    inc.service("web-staging", "storefront-next", {"app": "storefront-next"}, port=80, target=3000)
    plant(inc, "web-staging", "storefront-next-env", "aws", "storefront-next", "AWS_ACCESS_KEY_ID")
    inc.slo_burn("frontend", "web", "shop-availability", "0.999", 41.7,
                 "shop.example.com: 4.2% of requests at the edge returned 5xx in the last 5m; the error budget is "
                 "burning 42x too fast.")
    inc.answer_key(culprit=("Ingress", "web-staging", "storefront-preview"), keywords=["host", "Ingress", "staging"],
                   root_cause="The Ingress storefront-preview in web-staging was created with the production host "
                              "shop.example.com and path /products: ingress-nginx merged it into the live host, so "
                              "production product pages go to the single staging pod (404s, and 502/503 while it is "
                              "OOMKilled). Delete it or fix its host.",
                   category="ingress-duplicate-host-hijacks-path",
                   red_herrings=[("Deployment", "web", "frontend")])
    return inc


ALL = [pricing_quotes_latency_burn, refunds_stuck_processing, catalog_lookups_slow_page,
       node_containercreating_question, chat_disconnects_question, product_search_slow_page,
       partner_api_probe_failing_page, report_builder_crashloop, feature_store_rollout_stuck,
       orders_services_crashloop_grouped, booking_availability_errors_burn, storefront_errors_burn]
