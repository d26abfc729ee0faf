"""Round 20 of the held-out incident set: twelve pages a SaaS-on-Kubernetes SRE actually got last quarter.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). About a third are simple (the cause sits in the paged object's own spec, events or logs);
the rest page on a victim while the change sits elsewhere, often in another namespace. Log lines follow
the real software's formats (Sidekiq, ingress-nginx, PHP-FPM, cert-manager, external-dns, blackbox
exporter, Prometheus, RabbitMQ, pika, PostgreSQL, node-postgres, Stripe's Node SDK).
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
from corpus.kit import MI, REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from corpus.podstate import steady, volume  # noqa: E402
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


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 23, 8, 40, tzinfo=UTC)


def mailer_jobs_backlog_question() -> Incident:
    """sidekiq-concurrency-above-activerecord-pool: worker threads raised to 25 over a pool of 5 connections.

    after: the Rails/Sidekiq classic: a release raises Sidekiq's concurrency without raising the
    ActiveRecord pool (sized by RAILS_MAX_THREADS), so most threads wait for a connection and die with
    ActiveRecord::ConnectionTimeoutError; jobs retry and the queue backs up.

    Deployment messaging/mailer-worker revision 2 (08:02, helm) sets SIDEKIQ_CONCURRENCY=25 while
    RAILS_MAX_THREADS stays 5 (database.yml's pool). Its own logs show the ConnectionTimeoutError on
    every job and Sidekiq booting with 25 threads; the mailers queue latency climbs. The question names
    only the workload. Red herring: sms-gateway's routine rollout in the same namespace.
    """
    inc = Incident("mailer-jobs-backlog-question", title="mailer-worker jobs piling up",
                   story="Sidekiq concurrency raised to 25 over an ActiveRecord pool of 5.", at=AT1, seed=2001,
                   namespaces=("messaging",))
    change = AT1 - timedelta(minutes=38)
    image = f"{REGISTRY}/messaging/mailer-worker"

    def env(concurrency: str) -> list[dict[str, Any]]:
        return [{"name": "RAILS_ENV", "value": "production"}, {"name": "RAILS_MAX_THREADS", "value": "5"},
                {"name": "SIDEKIQ_CONCURRENCY", "value": concurrency},
                {"name": "REDIS_URL", "value": "redis://redis.messaging:6379/0"},
                {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "mailer-worker-env",
                                                                        "key": "DATABASE_URL"}}}]

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        tid = pod[-5:]
        out: Lines = [
            (start + timedelta(seconds=1), f"{ts(start)} pid=1 tid={tid}a INFO: Booted Rails 7.1.3 application in "
                                            "production environment"),
            (start + timedelta(seconds=2), f"{ts(start)} pid=1 tid={tid}a INFO: Running in ruby 3.3.0 (2023-12-25 "
                                            "revision 5124f9ac75) +YJIT [x86_64-linux]"),
            (start + timedelta(seconds=2), f"{ts(start)} pid=1 tid={tid}a INFO: Sidekiq 7.2.1 connecting to Redis "
                                            "with options {:size=>30, :pool_name=>\"internal\", "
                                            ":url=>\"redis://redis.messaging:6379/0\"}"),
            (start + timedelta(seconds=3), f"{ts(start)} pid=1 tid={tid}a INFO: Starting processing, hit Ctrl-C "
                                            "to stop"),
        ]
        for i, t in enumerate(L.every(start + timedelta(seconds=20), end, 9)):
            jid = L.uuidish(pod, i).replace("-", "")[:24]
            klass = ["ActionMailer::MailDeliveryJob", "PasswordResetMailerJob", "DigestMailerJob"][i % 3]
            stamp = ts(t)
            if i % 4 == 3:
                out.append((t, f"{stamp} pid=1 tid={tid}{i % 25:x} class={klass} jid={jid} elapsed=0.412 INFO: done"))
                continue
            out.append((t, f"{stamp} pid=1 tid={tid}{i % 25:x} class={klass} jid={jid} elapsed=5.007 INFO: fail"))
            out.append((t + timedelta(milliseconds=2),
                        f"{stamp} pid=1 tid={tid}{i % 25:x} WARN: {{\"context\":\"Job raised exception\",\"job\":"
                        f"{{\"retry\":true,\"queue\":\"mailers\",\"class\":\"{klass}\",\"jid\":\"{jid}\","
                        f"\"retry_count\":{i % 5}}}}}\n"
                        f"{stamp} pid=1 tid={tid}{i % 25:x} WARN: ActiveRecord::ConnectionTimeoutError: could not "
                        "obtain a connection from the pool within 5.000 seconds (waited 5.006 seconds); all pooled "
                        "connections were in use\n"
                        f"{stamp} pid=1 tid={tid}{i % 25:x} WARN: /usr/local/bundle/gems/activerecord-7.1.3/lib/"
                        "active_record/connection_adapters/abstract/connection_pool/queue.rb:128:in "
                        "`block in wait_poll'\n"
                        f"{stamp} pid=1 tid={tid}{i % 25:x} WARN: /usr/local/bundle/gems/activerecord-7.1.3/lib/"
                        "active_record/connection_adapters/abstract/connection_pool.rb:347:in `acquire_connection'"))
        return out

    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade",
                [c("mailer-worker", f"{image}:4.8.0", env=env("5"), port=7433, memory_limit="1Gi",
                   readiness_path=None, liveness_path=None)]),
            Rev(2, change, "helm upgrade",
                [c("mailer-worker", f"{image}:4.8.1", env=env("25"), port=7433, memory_limit="1Gi",
                   readiness_path=None, liveness_path=None)])]
    inc.deployment("messaging", "mailer-worker", revs, {2: [P(log=within(log)), P(log=within(log))]})
    herring(inc, "messaging", "sms-gateway", f"{REGISTRY}/messaging/sms-gateway", "2.2.0",
            AT1 - timedelta(minutes=21))
    plant(inc, "messaging", "mailer-worker-env", "password", "mailer-db", "DATABASE_URL")
    plant(inc, "messaging", "smtp-relay", "token", "smtp-relay", "SMTP_PASSWORD")
    inc.series("sidekiq_queue_latency_seconds", "gauge", "The number of seconds the oldest job in the queue waited.",
               {"namespace": "messaging", "job": "sidekiq-exporter", "queue": "mailers"},
               ramp(0.8, 1450.0, change + timedelta(minutes=3), inc.captured))
    inc.series("sidekiq_queue_enqueued_jobs", "gauge", "Number of enqueued jobs per queue.",
               {"namespace": "messaging", "job": "sidekiq-exporter", "queue": "mailers"},
               ramp(3.0, 18400.0, change + timedelta(minutes=3), inc.captured))
    inc.series("sidekiq_jobs_failed", "counter", "Total number of failed jobs.",
               {"namespace": "messaging", "job": "sidekiq-exporter", "queue": "mailers"},
               counter(inc.at - timedelta(hours=2), 0.01, 2.4, change))
    inc.ask("Why are mailer-worker jobs piling up? Password-reset emails arrive 20+ minutes late since this morning.")
    inc.answer_key(
        culprit=("Deployment", "messaging", "mailer-worker"),
        keywords=["concurrency", "connection pool", "RAILS_MAX_THREADS", "ConnectionTimeoutError"],
        root_cause="mailer-worker's revision 2 raised SIDEKIQ_CONCURRENCY from 5 to 25 while the ActiveRecord "
                   "connection pool stays at RAILS_MAX_THREADS=5: twenty of the 25 threads wait for a connection "
                   "and fail with ActiveRecord::ConnectionTimeoutError, jobs retry and the mailers queue backs up; "
                   "concurrency must not exceed the pool (raise the pool or lower the concurrency)",
        category="sidekiq-concurrency-above-activerecord-pool",
        red_herrings=[("Deployment", "messaging", "sms-gateway")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 24, 14, 5, tzinfo=UTC)


def partner_api_forbidden_rate() -> Incident:
    """ingress-allowlist-annotation-copied-to-public-host: a whitelist-source-range meant for admin blocks partners.

    after: a common ingress-nginx review miss: an Ingress values block copied from an internal admin
    Ingress brings `whitelist-source-range` with office/VPC CIDRs, and every external client now gets
    403 "access forbidden by rule".

    Ingress partners/partner-api gains `nginx.ingress.kubernetes.io/whitelist-source-range:
    10.0.0.0/8,192.168.0.0/16` at 13:48 (Argo CD sync), the same value partner-admin has had for months.
    ingress-nginx's error log says "access forbidden by rule" for partner IPs; 403s with no upstream.
    Red herring: partner-portal's rollout a few minutes before.
    """
    inc = Incident("partner-api-forbidden-rate", title="partner-api answering 403 to partners",
                   story="whitelist-source-range copied onto the public partner-api Ingress.", at=AT2, seed=2002,
                   namespaces=("partners",))
    change = AT2 - timedelta(minutes=17)
    app(inc, "partners", "partner-api", f"{REGISTRY}/partners/partner-api:3.1.4", 2)
    inc.service("partners", "partner-api", {"app": "partner-api"})
    herring(inc, "partners", "partner-portal", f"{REGISTRY}/partners/partner-portal", "1.9.2",
            AT2 - timedelta(minutes=24))
    allow = "10.0.0.0/8,192.168.0.0/16"

    def ingress(name: str, host: str, annotations: dict[str, str]) -> dict[str, Any]:
        return inc.add({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "partners", "generation": 7,
                         "annotations": annotations, "labels": {"app.kubernetes.io/managed-by": "argocd"}},
            "spec": {"ingressClassName": "nginx",
                     "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                     "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                         "service": {"name": name, "port": {"number": 80}}}}]}}]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-3f1c2a9b7e-4d2f1a.elb."
                                                                 "eu-west-1.amazonaws.com"}]}}})

    common = {"nginx.ingress.kubernetes.io/proxy-body-size": "8m",
              "cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    admin = ingress("partner-admin", "partner-admin.example.com",
                    {**common, "nginx.ingress.kubernetes.io/whitelist-source-range": allow})
    changed(admin, ("argocd-controller", "Apply", inc.born + timedelta(days=6),
                    {"f:metadata": {"f:annotations": {"f:nginx.ingress.kubernetes.io/whitelist-source-range": {}}}}))
    public = ingress("partner-api", "partner-api.example.com",
                     {**common, "nginx.ingress.kubernetes.io/whitelist-source-range": allow})
    changed(public, ("argocd-controller", "Apply", inc.born + timedelta(days=6),
                     {"f:spec": {"f:rules": {}, "f:tls": {}}}),
            ("argocd-controller", "Apply", change,
             {"f:metadata": {"f:annotations": {"f:nginx.ingress.kubernetes.io/whitelist-source-range": {}}}}))
    partners = ["203.0.113.7", "198.51.100.23", "192.0.2.44", "203.0.113.91"]

    def nginx(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 4)):
            client = partners[i % 4]
            req = ["POST /v1/quotes", "GET /v1/shipments/84412", "POST /v1/bookings"][i % 3]
            if t < change:
                out.append((t, access(t, client, req, 200, 1820, "partners-partner-api-80", "10.244.2.41:8080", 0.042,
                                        ua="partner-sdk-java/2.4.1")))
            else:
                out.append((t, L.nginx_error(t, f'access forbidden by rule, client: {client}, server: '
                                                f'partner-api.example.com, request: "{req} HTTP/1.1", host: '
                                                '"partner-api.example.com"', conn=8800 + i)))
                out.append((t, access(t, client, req, 403, 146, "partners-partner-api-80", "-", 0.000,
                                        ua="partner-sdk-java/2.4.1")))
        return out

    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", nginx)
    for status, before, after in (("200", 6.1, 0.2), ("403", 0.0, 5.9)):
        inc.series("nginx_ingress_controller_requests", "unknown", "The total number of client requests",
                   {"namespace": "partners", "ingress": "partner-api", "service": "partner-api",
                    "host": "partner-api.example.com", "status": status, "method": "POST",
                    "controller_class": "k8s.io/ingress-nginx", "job": "ingress-nginx-controller-metrics"},
                   counter(inc.at - timedelta(hours=2), before, after, change))
    plant(inc, "partners", "partner-api-keys", "stripe", "partner-billing", "STRIPE_KEY")
    inc.alerts["alertmanager.json"] = am.alertmanager([alert(
        inc, "NginxHighHttp4xxErrorRate", {"namespace": "partners", "ingress": "partner-api",
                                           "host": "partner-api.example.com"},
        "Nginx high HTTP 4xx error rate (ingress partner-api)",
        "97% of requests to partner-api.example.com answer 4xx (status 403) for the last 5 minutes.",
        'sum(rate(nginx_ingress_controller_requests{ingress="partner-api",status=~"^4.."}[5m])) / '
        'sum(rate(nginx_ingress_controller_requests{ingress="partner-api"}[5m])) * 100 > 5',
        severity="critical")], group=["alertname", "namespace"])
    inc.answer_key(
        culprit=("Ingress", "partners", "partner-api"),
        keywords=["whitelist-source-range", "allow-list", "access forbidden by rule", "internal CIDRs"],
        root_cause="the public partner-api Ingress was synced with the nginx.ingress.kubernetes.io/"
                   "whitelist-source-range annotation copied from partner-admin (an allow-list of internal CIDRs "
                   "10.0.0.0/8,192.168.0.0/16): ingress-nginx rejects every external partner with 403 "
                   "'access forbidden by rule' before the request reaches the backend",
        category="ingress-allowlist-annotation-copied-to-public-host",
        red_herrings=[("Deployment", "partners", "partner-portal")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)


def wiki_rollout_stuck() -> Incident:
    """rollingupdate-on-readwriteonce-volume-multi-attach: the surge pod cannot attach the old pod's EBS volume.

    after: a frequent self-inflicted outage for single-replica apps with a ReadWriteOnce claim: a "zero
    downtime" change moves the Deployment from Recreate to RollingUpdate; the new pod lands on another
    node and waits forever on "Multi-Attach error" while the old pod still holds the volume.

    Deployment knowledge/wiki (one replica, PVC wiki-uploads, gp3 RWO) is switched to RollingUpdate
    with an image bump at 10:04 (Argo CD). The new pod sits in ContainerCreating on another node with
    FailedAttachVolume / FailedMount events; the rollout passes its progress deadline. Red herring: the
    docs-search rollout in the same namespace.
    """
    inc = Incident("wiki-rollout-stuck", title="wiki rollout not finishing",
                   story="Recreate switched to RollingUpdate on a ReadWriteOnce volume.", at=AT3, seed=2003,
                   namespaces=("knowledge",))
    change = AT3 - timedelta(minutes=26)
    image = f"{REGISTRY}/knowledge/wiki"
    old_node, new_node = node(inc, 0), node(inc, 2)
    revs = [Rev(1, inc.born + timedelta(days=20), "helm upgrade", [c("wiki", f"{image}:0.78.0", port=3000,
                                                                       memory_limit="1Gi")]),
            Rev(2, change, "argocd sync", [c("wiki", f"{image}:0.79.1", port=3000, memory_limit="1Gi")])]
    wl = inc.deployment("knowledge", "wiki", revs,
                        {1: [P(node=old_node)],
                         2: [P(state="waiting", waiting_reason="ContainerCreating", node=new_node,
                               created=change + timedelta(seconds=3))]},
                        progress="deadline", replicas=1)
    pvc = inc.pvc("knowledge", "wiki-uploads", "50Gi", "gp3", labels={"app": "wiki"})
    old_pod, new_pod = wl.pods
    for h in wl.pods:
        inc.cluster.patch("knowledge", h.name, volume("uploads", "wiki-uploads", "/var/lib/wiki/data"))
    inc.cluster.events = [e for e in inc.cluster.events if not (
        e["involvedObject"]["name"] == new_pod.name and e["reason"] in ("Pulled", "Failed", "BackOff", "Pulling"))]
    deploy = wl.obj
    deploy["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    changed(deploy, ("helm", "Update", inc.born + timedelta(days=20), {"f:spec": {"f:template": {}}}),
            ("argocd-controller", "Apply", change,
             {"f:spec": {"f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}, "f:maxUnavailable": {}},
                                        "f:type": {}},
                         "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"wiki\"}": {"f:image": {}}}}}}}))
    volume_id = pvc["spec"]["volumeName"]
    pod_obj = inc.cluster.pod_object(new_pod)
    inc.event(pod_obj, "FailedAttachVolume",
              f'Multi-Attach error for volume "{volume_id}" Volume is already used by pod(s) {old_pod.name}',
              change + timedelta(seconds=4), component="attachdetach-controller")
    inc.event(pod_obj, "FailedMount",
              "Unable to attach or mount volumes: unmounted volumes=[uploads], unattached volumes=[uploads "
              f"kube-api-access-{o.suffix(new_pod.name, 5)}]: timed out waiting for the condition",
              change + timedelta(minutes=2, seconds=4), inc.captured - timedelta(minutes=1), count=15,
              host=new_node)
    herring(inc, "knowledge", "docs-search", f"{REGISTRY}/knowledge/docs-search", "1.4.0",
            AT3 - timedelta(minutes=44))
    plant(inc, "knowledge", "wiki-secrets", "aws-secret", "wiki-s3", "AWS_SECRET_ACCESS_KEY")
    inc.series("kube_deployment_status_condition", "gauge", "The current status conditions of a deployment.",
               {"namespace": "knowledge", "deployment": "wiki", "condition": "Progressing", "status": "false",
                "job": "kube-state-metrics"}, step(0, 1, change + timedelta(minutes=10)))
    inc.series("kube_deployment_status_replicas_unavailable", "gauge",
               "The number of unavailable replicas per deployment.",
               {"namespace": "knowledge", "deployment": "wiki", "job": "kube-state-metrics"}, step(0, 0, change))
    inc.series("kube_deployment_status_replicas_updated", "gauge", "The number of updated replicas per deployment.",
               {"namespace": "knowledge", "deployment": "wiki", "job": "kube-state-metrics"}, step(1, 0, change))
    inc.alerts["alertmanager.json"] = am.alertmanager([alert(
        inc, "KubeDeploymentRolloutStuck", {"namespace": "knowledge", "deployment": "wiki",
                                            "job": "kube-state-metrics"},
        "Deployment rollout is not progressing.",
        "Rollout of deployment knowledge/wiki is not progressing for longer than 15 minutes.",
        'kube_deployment_status_condition{condition="Progressing", status="false",job="kube-state-metrics"} != 0')],
        group=["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "knowledge", "wiki"),
        keywords=["Multi-Attach", "ReadWriteOnce", "RollingUpdate", "Recreate"],
        root_cause="the wiki Deployment's strategy was changed from Recreate to RollingUpdate (maxUnavailable 0): "
                   "the surge pod was scheduled on another node and cannot attach the ReadWriteOnce EBS volume "
                   "wiki-uploads, still attached to the old pod (Multi-Attach error), so the rollout never "
                   "progresses; a single-writer volume needs the Recreate strategy",
        category="rollingupdate-on-readwriteonce-volume-multi-attach",
        red_herrings=[("Deployment", "knowledge", "docs-search")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 26, 18, 12, tzinfo=UTC)


def storefront_timeouts_page() -> Incident:
    """php-fpm-max-children-cut-requests-queue: a pool config change caps PHP-FPM at 8 workers per pod.

    after: a staple of PHP shops on Kubernetes: someone "right-sizes" the PHP-FPM pool (pm.max_children
    40 -> 8) to cut memory; at evening peak every worker is busy, requests wait in the listen queue and
    the ingress times out with 504.

    ConfigMap storefront/storefront-php-fpm (www.conf) was edited at 16:55 (Argo CD); Reloader rolled
    the storefront Deployment. PHP-FPM warns "server reached pm.max_children setting (8)", ingress-nginx
    logs "upstream timed out", phpfpm_listen_queue grows. The PagerDuty page names only the symptom.
    Red herring: the search-indexer rollout in the same namespace.
    """
    inc = Incident("storefront-timeouts-page", title="Storefront pages timing out at peak",
                   story="pm.max_children cut from 40 to 8 in the PHP-FPM pool config.", at=AT4, seed=2004,
                   namespaces=("storefront",))
    change = AT4 - timedelta(minutes=77)
    peak = AT4 - timedelta(minutes=12)
    image = f"{REGISTRY}/storefront/storefront"

    def fpm(pod: str, start: datetime, end: datetime) -> Lines:
        def stamp(t: datetime) -> str:
            return t.strftime("[%d-%b-%Y %H:%M:%S]")
        out: Lines = [(start, f"{stamp(start)} NOTICE: fpm is running, pid 1"),
                      (start, f"{stamp(start)} NOTICE: ready to handle connections")]
        for i, t in enumerate(L.every(max(start, peak), end, 11)):
            out.append((t, f"{stamp(t)} WARNING: [pool www] server reached pm.max_children setting (8), consider "
                           "raising it"))
            if i % 3 == 0:
                out.append((t + timedelta(seconds=4),
                            f"{stamp(t + timedelta(seconds=4))} WARNING: [pool www] child {40 + i % 8}, script "
                            "'/var/www/html/public/index.php' (request: \"GET /index.php\") executing too slow "
                            f"({5 + (i % 7) * 0.81:.6f} sec), logging"))
        return out

    revs = [Rev(1, inc.born + timedelta(days=18), "helm upgrade", [c("php-fpm", f"{image}:2.41.0", port=9000,
                                                                       memory_limit="2Gi")]),
            Rev(2, change + timedelta(minutes=1), "reloader: configmap storefront-php-fpm changed",
                [c("php-fpm", f"{image}:2.41.0", port=9000, memory_limit="2Gi")])]
    wl = inc.deployment("storefront", "storefront", revs, {2: [P(log=within(fpm)) for _ in range(4)]},
                        annotations={"configmap.reloader.stakater.com/reload": "storefront-php-fpm"})
    inc.service("storefront", "storefront", {"app": "storefront"}, port=80, target=9000)
    conf = inc.configmap("storefront", "storefront-php-fpm", {"www.conf": (
        "[www]\nuser = www-data\ngroup = www-data\nlisten = 0.0.0.0:9000\npm = static\n"
        "pm.max_children = 8\npm.max_requests = 500\nrequest_slowlog_timeout = 5s\n"
        "slowlog = /proc/self/fd/2\nrequest_terminate_timeout = 60s\nphp_admin_value[memory_limit] = 256M\n")})
    changed(conf, ("argocd-controller", "Apply", inc.born + timedelta(days=5), {"f:data": {}}),
            ("argocd-controller", "Apply", change, {"f:data": {"f:www.conf": {}}}))
    herring(inc, "storefront", "search-indexer", f"{REGISTRY}/storefront/search-indexer", "5.0.3",
            AT4 - timedelta(minutes=35))
    ips = [inc.cluster.pod_ip(h) for h in wl.pods]

    def nginx(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 5)):
            client, path = f"81.2.{i % 200}.{(i * 7) % 250}", ["/checkout", "/category/shoes", "/product/77123"][i % 3]
            up = f"{ips[i % len(ips)]}:9000"
            if t >= peak and i % 2 == 0:
                out.append((t, L.nginx_error(t, "upstream timed out (110: Operation timed out) while reading "
                                                f"response header from upstream, client: {client}, server: "
                                                f'shop.example.com, request: "GET {path} HTTP/1.1", upstream: '
                                                f'"fastcgi://{up}", host: "shop.example.com"', conn=5100 + i)))
                out.append((t, access(t, client, f"GET {path}", 504, 160, "storefront-storefront-80", up, 60.001)))
            else:
                out.append((t, access(t, client, f"GET {path}", 200, 24411, "storefront-storefront-80", up, 0.310)))
        return out

    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", nginx)
    for h in wl.pods:
        base = {"namespace": "storefront", "pod": h.name, "pool": "www", "job": "php-fpm-exporter"}
        inc.series("phpfpm_listen_queue", "gauge", "The number of requests in the queue of pending connections.",
                   {**base}, ramp(0, 96, peak - timedelta(minutes=3), inc.captured))
        inc.series("phpfpm_active_processes", "gauge", "The number of active processes.", {**base},
                   step(4, 8, peak - timedelta(minutes=3)))
        inc.series("phpfpm_max_children_reached", "unknown",
                   "The number of times, the process limit has been reached.", {**base},
                   counter(change, 0.0, 0.09, peak))
    for status, before, after in (("200", 42.0, 18.0), ("504", 0.0, 21.0)):
        inc.series("nginx_ingress_controller_requests", "unknown", "The total number of client requests",
                   {"namespace": "storefront", "ingress": "storefront", "host": "shop.example.com",
                    "status": status, "job": "ingress-nginx-controller-metrics"},
                   counter(inc.at - timedelta(hours=2), before, after, peak))
    plant(inc, "storefront", "storefront-app-env", "stripe", "storefront", "STRIPE_SECRET_KEY")
    inc.pagerduty("[Storefront] shop.example.com: 504 Gateway Timeout on 48% of page views", "Storefront")
    inc.answer_key(
        culprit=("ConfigMap", "storefront", "storefront-php-fpm"),
        keywords=["pm.max_children", "php-fpm", "worker pool", "listen queue"],
        root_cause="ConfigMap storefront-php-fpm (www.conf) was edited to pm.max_children = 8 (was 40) and "
                   "Reloader restarted the pods: at peak every php-fpm worker is busy ('server reached "
                   "pm.max_children setting (8)'), requests wait in the listen queue past ingress-nginx's 60 s "
                   "read timeout and the shop answers 504; the worker pool is too small for the traffic",
        category="php-fpm-max-children-cut-requests-queue",
        red_herrings=[("Deployment", "storefront", "search-indexer")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 27, 7, 50, tzinfo=UTC)


def node_pods_killed_question() -> Incident:
    """node-noexecute-taint-evicts-running-pods: a maintenance taint applied with NoExecute instead of NoSchedule.

    after: a routine on-call slip: before patching a node an engineer runs `kubectl taint` with effect
    NoExecute (meant NoSchedule); the taint manager deletes every pod that does not tolerate it at once,
    without honouring PodDisruptionBudgets, and the node is left with only its DaemonSets.

    Node ip-10-0-2-21 gains `maintenance=true:NoExecute` at 07:46 (manager kubectl-taint). Events
    TaintManagerEviction "Marking for deletion Pod ..." for each pod there; replacements start on the
    other nodes. The chat question names only the node. Red herring: a rollout in web a little earlier.
    """
    inc = Incident("node-pods-killed-question", title="pods on one node all killed at once",
                   story="maintenance=true:NoExecute taint applied to a node.", at=AT5, seed=2005)
    target = node(inc, 1)
    change = AT5 - timedelta(minutes=4)
    nd = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == target)
    nd["spec"]["taints"] = [{"key": "maintenance", "value": "true", "effect": "NoExecute", "timeAdded": ts(change)}]
    changed(nd, ("kubelet", "Update", inc.born, {"f:metadata": {"f:labels": {}}}),
            ("kubectl-taint", "Update", change, {"f:spec": {"f:taints": {}}}))
    victims = [h for h in inc.cluster.pods if h.node == target and h.owner
               and h.owner["kind"] in ("ReplicaSet", "StatefulSet")]
    others = [n for n in inc.node_names() if n != target]
    for i, h in enumerate(victims):
        when = change + timedelta(seconds=1 + i)
        obj = inc.cluster.pod_object(h)
        inc.event(obj, "TaintManagerEviction", f"Marking for deletion Pod {h.namespace}/{h.name}", when,
                  warning=False, component="taint-eviction-controller")
        inc.event(obj, "Killing", f"Stopping container {h.containers[0].name}", when + timedelta(seconds=1),
                  warning=False, host=target)
        if h.owner and h.owner["kind"] == "StatefulSet":
            # the StatefulSet controller re-creates the pod under the same name on another node
            h.node, h.ip = others[i % len(others)], None
            h.created = when + timedelta(seconds=33)
            h.states = [o.ContainerState(started_at=h.created + timedelta(seconds=9)) for _ in h.containers]
            continue
        h.ended = when + timedelta(seconds=31)
        inc.replacement(h, when + timedelta(seconds=2), target)
    herring(inc, "web", "landing-pages", f"{REGISTRY}/web/landing-pages", "3.3.0", AT5 - timedelta(minutes=19))
    plant(inc, "web", "landing-pages-cms", "token", "landing-cms", "CMS_API_TOKEN")
    inc.series("kube_node_spec_taint", "gauge", "The taint of a cluster node.",
               {"node": target, "key": "maintenance", "value": "true", "effect": "NoExecute",
                "job": "kube-state-metrics"}, step(0, 1, change))
    for n in inc.node_names():
        count = float(sum(1 for h in inc.cluster.pods if h.node == n and h.ended is None))
        inc.series("kubelet_running_pods", "gauge", "Number of pods that have a running pod sandbox",
                   {"node": n, "job": "kubelet"},
                   step(count + (len(victims) if n == target else 0), count, change + timedelta(seconds=30)))
    inc.ask(f"What happened on {target}? Everything running there was killed around 07:46 and it is "
            "now almost empty, but the node itself looks Ready.")
    inc.answer_key(
        culprit=("Node", "", target),
        keywords=["NoExecute", "taint", "kubectl taint", "eviction"],
        root_cause=f"someone ran kubectl taint on {target} with maintenance=true:NoExecute (meant NoSchedule for "
                   "patching): the taint manager's eviction deleted every pod without a matching toleration at "
                   "once, ignoring PodDisruptionBudgets; only DaemonSet pods remain and replacements moved to "
                   "other nodes",
        category="node-noexecute-taint-evicts-running-pods",
        red_herrings=[("Deployment", "web", "landing-pages")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 28, 11, 20, tzinfo=UTC)


def go_site_certificate_page() -> Incident:
    """acme-http01-solver-on-internal-ingress-class: the issuer's HTTP-01 solver moved to an internal controller.

    after: a familiar cert-manager outage: the ACME issuer's HTTP-01 solver is pointed at another
    ingress class (here the internal controller); existing certificates keep working, but a new host
    never gets one: Let's Encrypt fetches the challenge through the public controller, which answers
    404, and the site serves the ingress controller's fake certificate.

    ClusterIssuer letsencrypt-prod's solver changed from ingressClassName nginx to nginx-internal at
    08:10 (Argo CD, platform repo). Marketing launched go.example.com at 10:40: its Certificate is not
    Ready, the Challenge says "wrong status code '404', expected '200'", cert-manager logs the same;
    blackbox sees "x509: certificate is valid for ingress.local". Red herring: campaign-api's rollout.
    """
    inc = Incident("go-site-certificate-page", title="go.example.com serves an invalid certificate",
                   story="ClusterIssuer HTTP-01 solver moved to the internal ingress class.", at=AT6, seed=2006,
                   namespaces=("marketing", "cert-manager"))
    change = AT6 - timedelta(hours=3, minutes=10)
    launch = AT6 - timedelta(minutes=40)
    for kind, group, plural, scope in (("ClusterIssuer", "cert-manager.io", "clusterissuers", "Cluster"),
                                       ("Certificate", "cert-manager.io", "certificates", "Namespaced"),
                                       ("Challenge", "acme.cert-manager.io", "challenges", "Namespaced"),
                                       ("Order", "acme.cert-manager.io", "orders", "Namespaced")):
        crd(inc, kind, group, plural, scope)
    issuer = inc.add({
        "apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
        "metadata": {"name": "letsencrypt-prod", "generation": 4,
                     "labels": {"argocd.argoproj.io/instance": "platform-cert-manager"}},
        "spec": {"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory",
                          "email": "platform@example.com",
                          "privateKeySecretRef": {"name": "letsencrypt-prod-account-key"},
                          "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx-internal"}}}]}},
        "status": {"acme": {"uri": "https://acme-v02.api.letsencrypt.org/acme/acct/1829347110"},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "ACMEAccountRegistered",
                                   "message": "The ACME account was registered with the ACME server",
                                   "lastTransitionTime": ts(inc.born + timedelta(days=4)),
                                   "observedGeneration": 4}]}})
    changed(issuer, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {"f:acme": {}}}),
            ("argocd-controller", "Apply", change,
             {"f:spec": {"f:acme": {"f:solvers": {}}}}))
    for name, ns, default in (("nginx", "ingress-nginx", "true"), ("nginx-internal", "ingress-nginx-internal",
                                                                     "false")):
        inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                 "metadata": {"name": name, "annotations": {"ingressclass.kubernetes.io/is-default-class": default}},
                 "spec": {"controller": f"k8s.io/{ns}"}})
    app(inc, "marketing", "go-redirector", f"{REGISTRY}/marketing/go-redirector:1.0.0", 2)
    herring(inc, "marketing", "campaign-api", f"{REGISTRY}/marketing/campaign-api", "6.2.0",
            AT6 - timedelta(minutes=55))
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "go-redirector", "namespace": "marketing", "creationTimestamp": ts(launch),
                          "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}},
             "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["go.example.com"], "secretName": "go-tls"}],
                      "rules": [{"host": "go.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                 "backend": {"service": {"name": "go-redirector", "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-3f1c2a9b7e-4d2f1a.elb."
                                                                  "eu-west-1.amazonaws.com"}]}}})
    token = "Xq3v9LrT0bKp2N7sFz1WmYc8HdE4uJaG6oViR5eQy0M"
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
             "metadata": {"name": "go-tls", "namespace": "marketing", "creationTimestamp": ts(launch),
                          "ownerReferences": [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                               "name": "go-redirector", "uid": o.uid("ingress", "marketing",
                                                                                     "go-redirector"),
                                               "controller": True, "blockOwnerDeletion": True}]},
             "spec": {"dnsNames": ["go.example.com"], "secretName": "go-tls",
                      "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt-prod"},
                      "usages": ["digital signature", "key encipherment"]},
             "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "DoesNotExist",
                                        "message": "Issuing certificate as Secret does not exist",
                                        "lastTransitionTime": ts(launch), "observedGeneration": 1},
                                       {"type": "Issuing", "status": "True", "reason": "DoesNotExist",
                                        "message": "Issuing certificate as Secret does not exist",
                                        "lastTransitionTime": ts(launch), "observedGeneration": 1}]}})
    inc.add({"apiVersion": "acme.cert-manager.io/v1", "kind": "Order",
             "metadata": {"name": "go-tls-1-2960581047", "namespace": "marketing", "creationTimestamp": ts(launch)},
             "spec": {"dnsNames": ["go.example.com"], "issuerRef": {"group": "cert-manager.io",
                                                                    "kind": "ClusterIssuer",
                                                                    "name": "letsencrypt-prod"}},
             "status": {"state": "pending",
                        "url": "https://acme-v02.api.letsencrypt.org/acme/order/1829347110/331009845521"}})
    inc.add({"apiVersion": "acme.cert-manager.io/v1", "kind": "Challenge",
             "metadata": {"name": "go-tls-1-2960581047-1427745373", "namespace": "marketing",
                          "creationTimestamp": ts(launch + timedelta(seconds=6))},
             "spec": {"dnsName": "go.example.com", "type": "HTTP-01", "token": token,
                      "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt-prod"},
                      "solver": {"http01": {"ingress": {"ingressClassName": "nginx-internal"}}},
                      "url": "https://acme-v02.api.letsencrypt.org/acme/chall-v3/331009845521/e9YbUQ"},
             "status": {"presented": True, "processing": True, "state": "pending",
                        "reason": "Waiting for HTTP-01 challenge propagation: wrong status code '404', "
                                  "expected '200'"}})
    cm_image = "quay.io/jetstack/cert-manager-controller:v1.15.3"

    def cm_log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for t in L.every(max(start, launch + timedelta(seconds=8)), end, 60):
            out.append((t, L.klog(t, "E", "sync.go:190", 'cert-manager/challenges "msg"="propagation check '
                                  'failed" "error"="wrong status code \'404\', expected \'200\'" '
                                  '"dnsName"="go.example.com" "resource_kind"="Challenge" '
                                  '"resource_name"="go-tls-1-2960581047-1427745373" '
                                  '"resource_namespace"="marketing" "resource_version"="v1" "type"="HTTP-01"')))
        return out

    app(inc, "cert-manager", "cert-manager", cm_image, 1, log=within(cm_log), port=9402)

    def nginx(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for t in L.every(max(start, launch), end, 60):
            out.append((t, access(t, "66.133.109.36", f"GET /.well-known/acme-challenge/{token}", 404, 548,
                                   "marketing-go-redirector-80", "10.244.3.52:8080", 0.004,
                                   ua="Mozilla/5.0 (compatible; Let's Encrypt validation server; "
                                             "+https://www.letsencrypt.org)")))
        return out

    set_logs(inc, "ingress-nginx", "ingress-nginx-controller", nginx)
    inc.series("certmanager_certificate_ready_status", "gauge", "The ready status of the certificate.",
               {"namespace": "marketing", "name": "go-tls", "condition": "False", "issuer_name": "letsencrypt-prod",
                "issuer_kind": "ClusterIssuer", "issuer_group": "cert-manager.io", "job": "cert-manager"},
               lambda t: None if t < launch else 1.0)
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"instance": "https://go.example.com", "module": "http_2xx", "job": "blackbox"},
               lambda t: None if t < launch else 0.0)
    inc.series("probe_http_ssl", "gauge", "Indicates if SSL was used for the final redirect",
               {"instance": "https://go.example.com", "module": "http_2xx", "job": "blackbox"},
               lambda t: None if t < launch else 0.0)
    plant(inc, "marketing", "campaign-api-env", "slack", "campaign-bot", "SLACK_BOT_TOKEN")
    inc.pagerduty("[Blackbox] https://go.example.com probe failing: x509: certificate is valid for ingress.local, "
                  "not go.example.com", "Marketing web")
    inc.answer_key(
        culprit=("ClusterIssuer", "", "letsencrypt-prod"),
        keywords=["ClusterIssuer", "HTTP-01", "ingressClassName", "solver"],
        root_cause="ClusterIssuer letsencrypt-prod's HTTP-01 solver was changed to ingressClassName nginx-internal: "
                   "the solver Ingress for go.example.com is served by the internal controller, Let's Encrypt's "
                   "validation reaches the public ingress-nginx which answers 404, the Challenge never passes and "
                   "the new host serves the controller's fake certificate (existing certificates are unaffected "
                   "until they renew)",
        category="acme-http01-solver-on-internal-ingress-class",
        red_herrings=[("Deployment", "marketing", "campaign-api")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 29, 9, 35, tzinfo=UTC)


def invoices_site_down_grouped() -> Incident:
    """dns-controller-domain-filter-narrowed: external-dns stops managing the public zone; new hosts never resolve.

    after: a common external-dns regression: a values change narrows --domain-filter (here to the internal
    zone); existing records stay, so nothing breaks until a new Ingress host is launched and never gets a
    record (NXDOMAIN).

    Deployment external-dns/external-dns revision 6 (07:20, helm) sets --domain-filter=internal.example.com
    (was example.com). billing launches invoices.example.com and invoices-api.example.com at 09:05; both
    probes fail with "no such host"; external-dns says "All records are already up to date" and its
    registry endpoint count fell at the rollout. Grouped page, victims only. Red herring: invoice-mailer.
    """
    inc = Incident("invoices-site-down-grouped", title="invoices site unreachable after launch",
                   story="external-dns --domain-filter narrowed to the internal zone.", at=AT7, seed=2007,
                   namespaces=("billing", "external-dns"))
    change = AT7 - timedelta(hours=2, minutes=15)
    launch = AT7 - timedelta(minutes=30)
    image = "registry.k8s.io/external-dns/external-dns"

    def args(domain: str) -> dict[str, Any]:
        return {"args": ["--source=ingress", "--source=service", f"--domain-filter={domain}", "--provider=aws",
                         "--policy=upsert-only", "--aws-zone-type=", "--registry=txt",
                         "--txt-owner-id=prod-eu-west-1", "--interval=1m", "--log-format=text"]}

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [
            (start, f'time="{start.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="config: {{APIServerURL: '
                    'KubeConfig: RequestTimeout:30s DefaultTargets:[] Sources:[ingress service] Namespace: '
                    'DomainFilter:[internal.example.com] ExcludeDomains:[] Provider:aws Policy:upsert-only '
                    'Registry:txt TXTOwnerID:prod-eu-west-1 Interval:1m0s}}"'),
            (start + timedelta(seconds=1), f'time="{start.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info '
                                           'msg="Instantiating new Kubernetes client"'),
            (start + timedelta(seconds=2), f'time="{start.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info '
                                           'msg="Applying provider record filter for domains: '
                                           '[internal.example.com. .internal.example.com.]"'),
        ]
        for t in L.every(start + timedelta(seconds=30), end, 60):
            out.append((t, f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info '
                           'msg="Applying provider record filter for domains: '
                           '[internal.example.com. .internal.example.com.]"'))
            out.append((t + timedelta(seconds=1), f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info '
                                                  'msg="All records are already up to date"'))
        return out

    revs = [Rev(5, inc.born + timedelta(days=15), "helm upgrade", [c("external-dns", f"{image}:v0.14.2", port=7979)],
                container=args("example.com")),
            Rev(6, change, "helm upgrade", [c("external-dns", f"{image}:v0.14.2", port=7979)],
                container=args("internal.example.com"))]
    inc.deployment("external-dns", "external-dns", revs, {6: [P(log=within(log))]})
    for name in ("invoices-portal", "invoices-api"):
        revs_b = [Rev(1, launch - timedelta(minutes=5), "helm install",
                      [c(name, f"{REGISTRY}/billing/{name}:1.0.0")])]
        inc.deployment("billing", name, revs_b, {1: [P(), P()]})
        inc.service("billing", name, {"app": name})
    for name, host in (("invoices-portal", "invoices.example.com"), ("invoices-api", "invoices-api.example.com")):
        inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                 "metadata": {"name": name, "namespace": "billing", "creationTimestamp": ts(launch),
                              "annotations": {"external-dns.alpha.kubernetes.io/hostname": host}},
                 "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                          "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                     "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]},
                 "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-3f1c2a9b7e-4d2f1a."
                                                                      "elb.eu-west-1.amazonaws.com"}]}}})
    herring(inc, "billing", "invoice-mailer", f"{REGISTRY}/billing/invoice-mailer", "2.7.0",
            AT7 - timedelta(minutes=48))

    def blackbox(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(start, launch + timedelta(minutes=1)), end, 30)):
            host = ["invoices.example.com", "invoices-api.example.com"][i % 2]
            out.append((t, f"ts={t.strftime('%Y-%m-%dT%H:%M:%S.')}{t.microsecond // 1000:03d}Z caller=main.go:181 "
                           f"module=http_2xx target=https://{host} level=error msg=\"Error resolving address\" "
                           f"err=\"lookup {host} on 172.20.0.10:53: no such host\""))
        return out

    app(inc, "monitoring", "blackbox-exporter", "quay.io/prometheus/blackbox-exporter:v0.25.0", 1,
        log=within(blackbox), port=9115)
    plant(inc, "external-dns", "external-dns-aws", "aws", "external-dns", "AWS_ACCESS_KEY_ID")
    plant(inc, "billing", "invoices-portal-env", "jwt", "invoices-portal", "SESSION_SIGNING_KEY")
    inc.series("external_dns_registry_endpoints_total", "gauge", "Number of Endpoints in the registry",
               {"namespace": "external-dns", "job": "external-dns"}, step(41, 6, change + timedelta(minutes=1)))
    inc.series("external_dns_source_endpoints_total", "gauge", "Number of Endpoints in all sources",
               {"namespace": "external-dns", "job": "external-dns"},
               lambda t: 6.0 if t >= change else 41.0)
    alerts = []
    for host in ("invoices.example.com", "invoices-api.example.com"):
        inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
                   {"instance": f"https://{host}", "module": "http_2xx", "job": "blackbox"},
                   lambda t: None if t < launch else 0.0)
        inc.series("probe_dns_lookup_time_seconds", "gauge", "Returns the time taken for probe dns lookup in seconds",
                   {"instance": f"https://{host}", "module": "http_2xx", "job": "blackbox"},
                   lambda t: None if t < launch else 0.0021)
        alerts.append(alert(inc, "BlackboxProbeFailed", {"instance": f"https://{host}", "job": "blackbox",
                                                         "module": "http_2xx", "team": "billing"},
                            f"Blackbox probe failed (instance https://{host})",
                            f"Probe of https://{host} has failed for 5 minutes.",
                            'probe_success{job="blackbox"} == 0', severity="critical"))
    send(inc, alerts, ["alertname", "team"])
    inc.answer_key(
        culprit=("Deployment", "external-dns", "external-dns"),
        keywords=["domain-filter", "external-dns", "DNS record", "hosted zone"],
        root_cause="external-dns revision 6 narrowed --domain-filter from example.com to internal.example.com: "
                   "the public example.com hosted zone is no longer managed, so the new Ingress hosts "
                   "invoices.example.com and invoices-api.example.com never get a DNS record and resolve to "
                   "NXDOMAIN (older records still exist, which hid the change)",
        category="dns-controller-domain-filter-narrowed",
        red_herrings=[("Deployment", "billing", "invoice-mailer")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 30, 13, 10, tzinfo=UTC)


def prometheus_restarting_question() -> Incident:
    """scrape-config-relabel-drop-lost-cardinality-explosion: a ServiceMonitor loses its raw-path histogram drop.

    after: the everyday Prometheus outage: a chart refactor re-renders an app's ServiceMonitor without
    the metricRelabelings that dropped a histogram labelled with raw URL paths; head series triple and
    Prometheus is OOMKilled, replaying its WAL on each start.

    ServiceMonitor listings/listings-api re-applied by helm at 10:05 without its `drop` rule for
    http_request_duration_seconds_bucket. scrape_samples_scraped for that job jumps 2k -> 48k per target,
    prometheus_tsdb_head_series 1.9M -> 6.3M, the Prometheus pod is OOMKilled repeatedly. The chat
    question names only the Prometheus workload (no namespace). Red herring: listings-indexer's rollout.
    """
    inc = Incident("prometheus-restarting-question", title="prometheus keeps restarting",
                   story="ServiceMonitor lost the metricRelabelings drop of a raw-path histogram.", at=AT8,
                   seed=2008, namespaces=("listings",))
    change = AT8 - timedelta(hours=3, minutes=5)
    crd(inc, "ServiceMonitor", "monitoring.coreos.com", "servicemonitors")
    api = app(inc, "listings", "listings-api", f"{REGISTRY}/listings/listings-api:8.14.2", 3, port=8080)
    inc.service("listings", "listings-api", {"app": "listings-api"})
    sm = inc.add({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "listings-api", "namespace": "listings", "generation": 5,
                     "labels": {"app.kubernetes.io/managed-by": "Helm", "release": "kube-prometheus-stack"}},
        "spec": {"selector": {"matchLabels": {"app": "listings-api"}},
                 "namespaceSelector": {"matchNames": ["listings"]},
                 "endpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}]}})
    changed(sm, ("helm", "Update", change, {"f:spec": {"f:endpoints": {}, "f:selector": {}}}))
    herring(inc, "listings", "listings-indexer", f"{REGISTRY}/listings/listings-indexer", "3.0.4",
            AT8 - timedelta(minutes=50))
    crash_from = change + timedelta(minutes=95)

    def prom(pod: str, start: datetime, end: datetime) -> Lines:
        def line(t: datetime, level: str, caller: str, msg: str) -> tuple[datetime, str]:
            return (t, f"ts={t.strftime('%Y-%m-%dT%H:%M:%S.')}{t.microsecond // 1000:03d}Z caller={caller} "
                       f"level={level} {msg}")
        out = [line(start, "info", "main.go:645", 'msg="Starting Prometheus Server" mode=server '
                    'version="(version=2.54.1, branch=HEAD, revision=e6cfa720fbe6280153fab13090a483dbd40bece3)"'),
               line(start + timedelta(seconds=1), "info", "head.go:626", 'component=tsdb msg="Replaying on-disk '
                    'memory mappable chunks if any"'),
               line(start + timedelta(seconds=2), "info", "head.go:747", 'component=tsdb msg="Replaying WAL, '
                    'this may take a while"')]
        for i in range(12):
            out.append(line(start + timedelta(seconds=4 + i * 6), "info", "head.go:819",
                            f'component=tsdb msg="WAL segment loaded" segment={3310 + i} maxSegment=3341'))
        return out

    pods = [P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(prom), memory_mi=7400,
              crash_from=crash_from, run_s=lambda n: 95.0)]
    # the background's healthy Prometheus is this incident's victim: replace it by its crashing self
    inc.cluster.objects = [x for x in inc.cluster.objects if not (
        x["kind"] == "StatefulSet" and x["metadata"]["name"] == "prometheus"
        and x["metadata"].get("namespace") == "monitoring")]
    inc.cluster.pods = [h for h in inc.cluster.pods if not (h.namespace == "monitoring" and h.workload == "prometheus")]
    wl = inc.statefulset("monitoring", "prometheus",
                         [c("prometheus", "quay.io/prometheus/prometheus:v2.54.1", port=9090, memory_limit="8Gi",
                            memory_request="6Gi", cpu_request="1")], pods, inc.born + timedelta(days=1))
    inc.pod_series(wl.pods)
    for h in api.pods:
        inc.series("scrape_samples_scraped", "gauge", "The number of samples the target exposed.",
                   {"job": "listings-api", "namespace": "listings", "pod": h.name,
                    "instance": f"{inc.cluster.pod_ip(h)}:8080"},
                   ramp(2140, 48800, change, change + timedelta(minutes=80)))
        inc.series("scrape_series_added", "gauge", "The approximate number of new series in this scrape.",
                   {"job": "listings-api", "namespace": "listings", "pod": h.name,
                    "instance": f"{inc.cluster.pod_ip(h)}:8080"},
                   lambda t: 0.0 if t < change else 310.0)
    inc.series("prometheus_tsdb_head_series", "gauge", "Total number of series in the head block.",
               {"job": "prometheus-k8s", "namespace": "monitoring", "pod": wl.pods[0].name},
               ramp(1.92e6, 6.3e6, change, crash_from))
    inc.series("prometheus_tsdb_head_chunks_created", "counter", "Total number of chunks created in the head",
               {"job": "prometheus-k8s", "namespace": "monitoring", "pod": wl.pods[0].name},
               counter(inc.at - timedelta(hours=2), 2100, 6900, change))
    plant(inc, "listings", "listings-api-env", "password", "listings-db", "DB_PASSWORD")
    inc.ask("Why does prometheus keep restarting? Grafana dashboards have big gaps since late morning.")
    inc.answer_key(
        culprit=("ServiceMonitor", "listings", "listings-api"),
        keywords=["cardinality", "metricRelabelings", "head series", "ServiceMonitor"],
        root_cause="the listings-api ServiceMonitor was re-rendered by helm without its metricRelabelings drop "
                   "rule for http_request_duration_seconds_bucket, a histogram labelled with raw URL paths: the "
                   "high cardinality takes Prometheus from 1.9M to 6.3M head series, its memory passes the 8Gi "
                   "limit and it is OOMKilled, replaying the WAL on every start",
        category="scrape-config-relabel-drop-lost-cardinality-explosion",
        red_herrings=[("Deployment", "listings", "listings-indexer")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 1, 15, 25, tzinfo=UTC)


def report_exports_stalled_page() -> Incident:
    """broker-consumer-ack-timeout-below-task-duration: RabbitMQ's consumer_timeout cut to 5 minutes.

    after: RabbitMQ's delivery acknowledgement timeout (consumer_timeout) is a known trap for long-running
    consumers: set below a job's duration, the broker closes the channel with PRECONDITION_FAILED,
    requeues the message and another worker starts it again, so long jobs never finish.

    RabbitmqCluster broker/rabbitmq's additionalConfig gains `consumer_timeout = 300000` at 09:40 (Argo CD,
    a copy of the "tuning" from another cluster); the operator rolls rabbitmq-server. report-renderer in
    reports renders PDFs for 8-15 minutes: pika logs ChannelClosedByBroker 406, the queue's ready count
    grows, the RabbitMQ log warns of the timeout. The page names only reports. Red herring: report-api.
    """
    inc = Incident("report-exports-stalled-page", title="report exports not completing",
                   story="consumer_timeout cut to 300000 ms in the RabbitmqCluster config.", at=AT9, seed=2009,
                   namespaces=("broker", "reports"))
    change = AT9 - timedelta(hours=5, minutes=45)
    crd(inc, "RabbitmqCluster", "rabbitmq.com", "rabbitmqclusters", version="v1beta1")
    rmq = inc.add({
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": "rabbitmq", "namespace": "broker", "generation": 9,
                     "labels": {"argocd.argoproj.io/instance": "platform-broker"}},
        "spec": {"replicas": 3, "image": "rabbitmq:3.13.7-management",
                 "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
                 "rabbitmq": {"additionalConfig": "cluster_partition_handling = pause_minority\n"
                                                  "vm_memory_high_watermark.relative = 0.6\n"
                                                  "consumer_timeout = 300000\n"
                                                  "collect_statistics_interval = 10000\n",
                              "additionalPlugins": ["rabbitmq_shovel", "rabbitmq_prometheus"]},
                 "persistence": {"storageClassName": "gp3", "storage": "50Gi"}},
        "status": {"conditions": [{"type": "AllReplicasReady", "status": "True",
                                   "lastTransitionTime": ts(change + timedelta(minutes=6))},
                                  {"type": "ReconcileSuccess", "status": "True", "reason": "Success",
                                   "lastTransitionTime": ts(change + timedelta(minutes=1))}],
                   "observedGeneration": 9}})
    changed(rmq, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {"f:replicas": {}}}),
            ("argocd-controller", "Apply", change,
             {"f:spec": {"f:rabbitmq": {"f:additionalConfig": {}}}}))

    def rabbit(pod: str, start: datetime, end: datetime) -> Lines:
        def line(t: datetime, level: str, msg: str) -> tuple[datetime, str]:
            return (t, f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00 [{level}] <0.{3100 + t.minute}.0> {msg}")
        out = [line(start, "info", "Starting RabbitMQ 3.13.7 on Erlang 26.2.5.2 [jit]"),
               line(start + timedelta(seconds=1), "info", "Config file(s): /etc/rabbitmq/rabbitmq.conf"),
               line(start + timedelta(seconds=1), "info",
                    "                /etc/rabbitmq/conf.d/10-operatorDefaults.conf"),
               line(start + timedelta(seconds=1), "info",
                    "                /etc/rabbitmq/conf.d/90-userDefinedConfiguration.conf")]
        if not pod.endswith("-0"):
            return out
        for i, t in enumerate(L.every(start + timedelta(minutes=6), end, 170)):
            src = ["10.244.1.31", "10.244.3.18", "10.244.2.44"][i % 3]
            out.append(line(t, "warning", f"Consumer ctag1.{L.uuidish('ctag', i).replace('-', '')[:32]} on "
                                          "channel 1 has timed out waiting for a consumer acknowledgement of a "
                                          f"delivery with delivery tag = {1 + i % 2}. Timeout used: 300000 ms. "
                                          "This timeout value can be configured, see consumers doc guide to "
                                          "learn more"))
            out.append(line(t + timedelta(milliseconds=3), "error",
                            f"Channel error on connection <0.{4100 + i}.0> ({src}:{40112 + i} -> "
                            "10.244.1.17:5672, vhost: '/', user: 'reports'), channel 1:\n"
                            "operation none caused a channel exception precondition_failed: delivery "
                            "acknowledgement on channel 1 timed out. Timeout value used: 300000 ms. This timeout "
                            "value can be configured, see consumers doc guide to learn more"))
        return out

    inc.statefulset("broker", "rabbitmq-server", [c("rabbitmq", "rabbitmq:3.13.7-management", port=5672,
                                                     memory_limit="4Gi", memory_request="4Gi")],
                    [P(log=within(rabbit), created=change + timedelta(minutes=2 * (2 - i))) for i in range(3)],
                    change, service=5672)

    def worker(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.pylog(start, "INFO", "report_renderer.worker",
                                      "consuming queue reports.render prefetch_count=1"))]
        t, i = start + timedelta(seconds=20), 0
        while t < end:
            rid = 880410 + i * 3 + len(pod) % 3
            out.append((t, L.pylog(t, "INFO", "report_renderer.worker",
                                   f"render started report_id={rid} kind=annual_statement pages=1840")))
            if t < change + timedelta(minutes=6):
                t += timedelta(minutes=4)
                out.append((t, L.pylog(t, "INFO", "report_renderer.worker", f"render finished report_id={rid} "
                                       "duration_s=238.4")))
                t += timedelta(seconds=5)
                i += 1
                continue
            t += timedelta(minutes=5, seconds=1)
            msg = ("(406, 'PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value "
                   "used: 300000 ms. This timeout value can be configured, see consumers doc guide to learn more')")
            out.append((t, L.pylog(t, "WARNING", "pika.channel", "Received remote Channel.Close (406): "
                                   "'PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. "
                                   "Timeout value used: 300000 ms. This timeout value can be configured, see "
                                   "consumers doc guide to learn more' on <Channel number=1 OPEN "
                                   "conn=<SelectConnection OPEN transport=<pika.adapters.utils.io_services_utils."
                                   "_AsyncPlaintextTransport "
                                   "object at 0x7f3a2c1e4d90> params=<ConnectionParameters host=rabbitmq.broker "
                                   "port=5672 virtual_host=/ ssl=False>>>")))
            t += timedelta(minutes=4, seconds=40)
            out.append((t, L.pylog(t, "ERROR", "report_renderer.worker",
                                   f"ack failed report_id={rid}, message will be redelivered\n"
                                   "Traceback (most recent call last):\n"
                                   '  File "/app/report_renderer/worker.py", line 88, in on_message\n'
                                   "    channel.basic_ack(delivery_tag=method.delivery_tag)\n"
                                   '  File "/usr/local/lib/python3.12/site-packages/pika/channel.py", line 123, '
                                   "in basic_ack\n"
                                   "    self._raise_if_not_open()\n"
                                   '  File "/usr/local/lib/python3.12/site-packages/pika/channel.py", line 1403, '
                                   "in _raise_if_not_open\n"
                                   "    raise exceptions.ChannelWrongStateError('Channel is closed.')\n"
                                   "pika.exceptions.ChannelWrongStateError: Channel is closed.\n"
                                   f"pika.exceptions.ChannelClosedByBroker: {msg}")))
            t += timedelta(seconds=3)
            out.append((t, L.pylog(t, "INFO", "report_renderer.worker", "reconnecting to amqp://rabbitmq.broker:5672/")))
            t += timedelta(seconds=2)
            i += 1
        return out

    app(inc, "reports", "report-renderer", f"{REGISTRY}/reports/report-renderer:3.6.0", 3, log=within(worker),
        memory_limit="2Gi")
    herring(inc, "reports", "report-api", f"{REGISTRY}/reports/report-api", "4.12.0", AT9 - timedelta(minutes=33))
    plant(inc, "reports", "report-renderer-amqp", "password", "amqp-reports", "AMQP_PASSWORD")
    base = {"namespace": "broker", "job": "rabbitmq", "vhost": "/", "queue": "reports.render"}
    inc.series("rabbitmq_detailed_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
               {**base}, ramp(2, 1480, change + timedelta(minutes=10), inc.captured))
    inc.series("rabbitmq_detailed_queue_messages_unacked", "gauge",
               "Messages delivered to consumers but not yet acknowledged", {**base}, step(3, 3, change))
    inc.series("rabbitmq_channels_closed", "counter", "Total number of channels closed",
               {"namespace": "broker", "job": "rabbitmq", "pod": "rabbitmq-server-0"},
               counter(inc.at - timedelta(hours=2), 0.0005, 0.011, change))
    inc.series("reports_rendered", "counter", "Reports rendered successfully.",
               {"namespace": "reports", "job": "report-renderer", "kind": "annual_statement"},
               counter(inc.at - timedelta(hours=2), 0.012, 0.0, change + timedelta(minutes=6)))
    inc.pagerduty("[Reports] report exports not completing: reports.render backlog 1400+, no statement rendered "
                  "for hours", "Reports")
    inc.answer_key(
        culprit=("RabbitmqCluster", "broker", "rabbitmq"),
        keywords=["consumer_timeout", "acknowledgement", "PRECONDITION_FAILED", "additionalConfig"],
        root_cause="the RabbitmqCluster's additionalConfig gained consumer_timeout = 300000 (5 minutes); "
                   "report-renderer holds each delivery unacknowledged for the 8-15 minute render, so the broker "
                   "closes the channel with PRECONDITION_FAILED (delivery acknowledgement timed out), requeues the "
                   "message and the next worker starts over: no long report ever completes",
        category="broker-consumer-ack-timeout-below-task-duration",
        red_herrings=[("Deployment", "reports", "report-api")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)


def orders_errors_burn() -> Incident:
    """db-per-operation-memory-raised-backends-oom-killed: work_mem raised to 1GB; the kernel kills backends.

    after: a recurring PostgreSQL postmortem: work_mem is raised globally to speed up one report, but it
    is per sort/hash node per connection; at lunchtime a few concurrent queries pass the container's
    memory limit, the OOM killer takes a backend and the postmaster resets every connection and runs
    crash recovery, again and again.

    StatefulSet db/orders-postgres re-applied by helm at 09:15 with `-c work_mem=1GB` (was 16MB).
    The PostgreSQL log shows "terminated by signal 9: Killed" and recovery cycles;
    container_oom_events_total grows; orders-api (node-postgres) logs "Connection terminated
    unexpectedly" and "the database system is in recovery mode". SLO burn on orders-api; red herring:
    orders-worker's rollout.
    """
    inc = Incident("orders-errors-burn", title="orders API error budget burning",
                   story="work_mem raised to 1GB; backends OOM-killed, postmaster recovery loop.", at=AT10,
                   seed=2010, namespaces=("db", "orders"))
    change = AT10 - timedelta(hours=3, minutes=15)
    busy = AT10 - timedelta(minutes=16)
    kills = list(L.every(busy, inc.captured, 330))

    def pg(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.postgres(start, "LOG", "starting PostgreSQL 16.4 on x86_64-pc-linux-gnu, compiled "
                                         "by gcc (Debian 12.2.0-14) 12.2.0, 64-bit")),
                      (start, L.postgres(start, "LOG", 'listening on IPv4 address "0.0.0.0", port 5432')),
                      (start, L.postgres(start, "LOG", "database system is ready to accept connections"))]
        for i, t in enumerate(kills):
            pid = 41200 + i * 37
            out += [
                (t, L.postgres(t, "LOG", f"server process (PID {pid}) was terminated by signal 9: Killed")),
                (t, L.postgres(t, "DETAIL", "Failed process was running: SELECT o.customer_id, o.status, "
                                            "sum(l.amount) FROM orders o JOIN order_lines l ON l.order_id = o.id "
                                            "WHERE o.created_at > $1 GROUP BY 1, 2 ORDER BY 3 DESC")),
                (t, L.postgres(t, "LOG", "terminating any other active server processes")),
                (t + timedelta(milliseconds=300), L.postgres(t + timedelta(milliseconds=300), "LOG",
                                                             "all server processes terminated; reinitializing")),
                (t + timedelta(seconds=1), L.postgres(t + timedelta(seconds=1), "LOG",
                                                      "database system was interrupted; last known up at "
                                                      f"{(t - timedelta(minutes=2)):%Y-%m-%d %H:%M:%S} UTC")),
                (t + timedelta(seconds=1), L.postgres(t + timedelta(seconds=1), "LOG",
                                                      "database system was not properly shut down; automatic "
                                                      "recovery in progress")),
                (t + timedelta(seconds=2), L.postgres(t + timedelta(seconds=2), "FATAL",
                                                      "the database system is in recovery mode")),
                (t + timedelta(seconds=9), L.postgres(t + timedelta(seconds=9), "LOG",
                                                      f"redo done at 3A/{0x1C0E2D8 + i * 4096:X} system usage: CPU: "
                                                      "user: 2.10 s, system: 0.88 s, elapsed: 7.42 s")),
                (t + timedelta(seconds=10), L.postgres(t + timedelta(seconds=10), "LOG",
                                                       "database system is ready to accept connections"))]
        return out

    args = ["-c", "max_connections=300", "-c", "shared_buffers=2GB", "-c", "work_mem=1GB",
            "-c", "effective_cache_size=6GB"]
    wl = inc.statefulset("db", "orders-postgres",
                         [c("postgres", "docker.io/library/postgres:16.4", port=5432, memory_limit="8Gi",
                            memory_request="8Gi", cpu_request="2", readiness_path=None, liveness_path=None)],
                         [P(log=within(pg), created=change + timedelta(minutes=1), memory_mi=5400)], change,
                         claims=[("data", "200Gi", "gp3")], service=5432)
    sts = wl.obj
    sts["spec"]["template"]["spec"]["containers"][0]["args"] = args
    changed(sts, ("helm", "Update", change,
                  {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                      "k:{\"name\":\"postgres\"}": {"f:args": {}}}}}}}))
    inc.cluster.patch("db", "orders-postgres-0", lambda pod: pod["spec"]["containers"][0].update({"args": args}))

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(kills):
            for j in range(3):
                at = t + timedelta(milliseconds=40 + j * 900)
                rid = L.uuidish(pod, i * 3 + j)
                err = ("Error: Connection terminated unexpectedly" if j == 0 else
                       "error: the database system is in recovery mode")
                stack = ("    at Connection.<anonymous> (/app/node_modules/pg/lib/client.js:132:73)\n"
                         "    at Object.onceWrapper (node:events:633:28)\n"
                         "    at Connection.emit (node:events:519:28)\n"
                         "    at Socket.<anonymous> (/app/node_modules/pg/lib/connection.js:63:12)"
                         if j == 0 else
                         "    at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:283:98)\n"
                         "    at Parser.handlePacket (/app/node_modules/pg-protocol/dist/parser.js:122:29)\n"
                         "    at Parser.parse (/app/node_modules/pg-protocol/dist/parser.js:35:38)")
                out.append((at, L.js(at, "error", "request failed", reqId=rid, method="GET",
                                     url="/v2/orders?status=open", statusCode=500, err=f"{err}\n{stack}")))
        for i, t in enumerate(L.every(start, end, 20)):
            out.append((t, L.js(t, "info", "request completed", reqId=L.uuidish(pod + "ok", i), statusCode=200,
                                responseTime=38 + i % 20)))
        return out

    app(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:5.3.0", 3, log=within(api))
    herring(inc, "orders", "orders-worker", f"{REGISTRY}/orders/orders-worker", "5.2.9", AT10 - timedelta(minutes=41))
    plant(inc, "db", "orders-postgres-credentials", "password", "orders-postgres", "POSTGRES_PASSWORD")
    h = wl.pods[0]
    inc.series("container_oom_events", "counter", "Count of out of memory events observed for the container",
               {"namespace": "db", "pod": h.name, "container": "postgres", "job": "kubelet"},
               lambda t: float(sum(1 for k in kills if k <= t)))
    inc.series("container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes.",
               {"namespace": "db", "pod": h.name, "container": "postgres", "job": "kubelet"},
               lambda t: (3100 if t < busy else 8050 - 900 * (((t - busy).total_seconds() // 60) % 5)) * MI)
    inc.series("pg_stat_database_numbackends", "gauge", "Number of backends currently connected to this database.",
               {"namespace": "db", "datname": "orders", "job": "postgres-exporter"},
               lambda t: 0.0 if any(k <= t < k + timedelta(seconds=15) for k in kills) else 142.0)
    inc.series("pg_settings_work_mem_bytes", "gauge", "Server Parameter: work_mem [Units converted to bytes.]",
               {"namespace": "db", "job": "postgres-exporter", "server": "orders-postgres:5432"},
               step(16 * MI, 1024 * MI, change + timedelta(minutes=1)))
    pod_http(inc, "orders", "orders-api", "200", 85.0, 79.0, busy)
    pod_http(inc, "orders", "orders-api", "500", 0.02, 6.1, busy)
    inc.slo_burn("orders-api", "orders", "orders-api-availability", "0.999", 61.4,
                 "orders-api is answering 6.9% of requests with 5xx over the last 5 minutes; at this rate the "
                 "30-day error budget is gone in 11 hours.")
    inc.answer_key(
        culprit=("StatefulSet", "db", "orders-postgres"),
        keywords=["work_mem", "signal 9", "OOM", "memory limit"],
        root_cause="the orders-postgres StatefulSet was re-applied with -c work_mem=1GB (was 16MB): work_mem is "
                   "allowed per sort/hash per connection, so concurrent lunchtime queries push the container past "
                   "its 8Gi memory limit, the OOM killer ends a backend with signal 9 and the postmaster resets "
                   "every connection and runs crash recovery, again every few minutes",
        category="db-per-operation-memory-raised-backends-oom-killed",
        red_herrings=[("Deployment", "orders", "orders-worker")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 3, 10, 45, tzinfo=UTC)


def catalog_latency_high() -> Incident:
    """long-snapshot-transaction-blocks-vacuum-bloat: a sync job's hours-long snapshot stops vacuum.

    after: a classic PostgreSQL slowdown: a batch job keeps one REPEATABLE READ transaction open for
    hours (a consistent export), the xmin horizon stops moving, autovacuum removes nothing on a hot,
    update-heavy table and its dead tuples pile up until index and heap scans crawl.

    CronJob analytics/warehouse-sync was edited at 14:30 yesterday (Argo CD) to EXPORT_MODE=snapshot;
    its 05:00 run holds one snapshot for 5+ hours. catalog-postgres logs "dead but not yet removable,
    oldest xmin"; pg_stat_activity_max_tx_duration grows; catalog-api logs slow queries. The alert is
    on catalog-api latency; red herring: catalog-admin's rollout.
    """
    inc = Incident("catalog-latency-high", title="catalog-api p99 latency high",
                   story="A snapshot-mode export transaction open for hours holds back vacuum.", at=AT11,
                   seed=2011, namespaces=("catalog", "analytics", "db"))
    change = AT11 - timedelta(hours=20, minutes=15)
    run = AT11 - timedelta(hours=5, minutes=45)
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "warehouse-sync", "namespace": "analytics", "generation": 6,
                     "labels": {"argocd.argoproj.io/instance": "analytics-jobs"}},
        "spec": {"schedule": "0 5 * * *", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                 "failedJobsHistoryLimit": 1, "suspend": False,
                 "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                     "restartPolicy": "Never",
                     "containers": [{"name": "sync", "image": f"{REGISTRY}/analytics/warehouse-sync:2.3.0",
                                     "env": [{"name": "EXPORT_MODE", "value": "snapshot"},
                                             {"name": "SOURCE_DSN", "valueFrom": {"secretKeyRef": {
                                                 "name": "warehouse-sync-dsn", "key": "dsn"}}}],
                                     "resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                                   "limits": {"memory": "1Gi"}}}]}}}}},
        "status": {"lastScheduleTime": ts(run), "active": [{"kind": "Job", "namespace": "analytics",
                                                            "name": "warehouse-sync-29411580",
                                                            "apiVersion": "batch/v1"}]}})
    changed(cron, ("argocd-controller", "Apply", change,
                   {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                       "k:{\"name\":\"sync\"}": {"f:env": {}}}}}}}}}))
    job_name = "warehouse-sync-29411580"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job_name, "namespace": "analytics", "creationTimestamp": ts(run),
                          "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "warehouse-sync",
                                               "uid": o.uid("cronjob", "analytics", "warehouse-sync"),
                                               "controller": True, "blockOwnerDeletion": True}]},
             "spec": {"backoffLimit": 1, "completions": 1, "parallelism": 1},
             "status": {"active": 1, "startTime": ts(run), "ready": 1}})
    pod_name = f"{job_name}-{o.suffix(job_name, 5)}"
    lines: Lines = [(run + timedelta(seconds=4), L.pylog(run + timedelta(seconds=4), "INFO", "warehouse_sync",
                                                        "export mode=snapshot: BEGIN ISOLATION LEVEL REPEATABLE "
                                                        "READ READ ONLY; snapshot=00000007-0002B1A4-1"))]
    tables = [("products", 1.2), ("product_prices", 18.4), ("stock_levels", 9.1), ("product_reviews", 31.0)]
    t = run + timedelta(seconds=10)
    for name, rows in tables:
        lines.append((t, L.pylog(t, "INFO", "warehouse_sync", f"copying table {name} ({rows}M rows) inside "
                                                               "the export snapshot")))
        t += timedelta(minutes=int(rows * 9))
        if t < inc.captured:
            lines.append((t, L.pylog(t, "INFO", "warehouse_sync", f"table {name} done")))
    inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace="analytics", workload=job_name,
        containers=[c("sync", f"{REGISTRY}/analytics/warehouse-sync:2.3.0", port=None, readiness_path=None,
                      liveness_path=None, memory_limit="1Gi")],
        node=node(inc, 3), created=run, states=[o.ContainerState(started_at=run + timedelta(seconds=3))],
        memory=steady(410), labels={"job-name": job_name, "batch.kubernetes.io/job-name": job_name},
        owner=o.owner_ref("Job", job_name, "analytics", api_version="batch/v1"),
        logs={"sync": L.lines(sorted(x for x in lines if x[0] <= inc.captured))}))

    def pg(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        dead = 0.4
        for i, t in enumerate(L.every(max(start, run + timedelta(minutes=20)), end, 600)):
            dead += 0.9
            out.append((t, L.postgres(t, "LOG", 'automatic vacuum of table "catalog.public.product_prices": index '
                                      "scans: 0\n"
                                      "\tpages: 0 removed, 912344 remain, 912344 scanned (100.00% of total)\n"
                                      f"\ttuples: 0 removed, {18455210 + i * 9000} remain, "
                                      f"{int(dead * 1e6)} are dead but not yet removable\n"
                                      f"\tremovable cutoff: 734402117, which was {900000 + i * 410000} XIDs old "
                                      "when operation ended\n"
                                      "\tavg read rate: 48.112 MB/s, avg write rate: 0.004 MB/s", pid=9000 + i)))
        return out

    inc.statefulset("db", "catalog-postgres",
                    [c("postgres", "docker.io/library/postgres:16.4", port=5432, memory_limit="16Gi",
                       memory_request="16Gi", readiness_path=None, liveness_path=None)],
                    [P(log=within(pg), memory_mi=9800)], inc.born + timedelta(days=2),
                    claims=[("data", "500Gi", "gp3")], service=5432)

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(start, end, 15)):
            if t > AT11 - timedelta(minutes=40):
                d = 900 + (t - (AT11 - timedelta(minutes=40))).total_seconds() * 0.9 + (i % 9) * 70
                out.append((t, L.js(t, "warn", "slow query", duration_ms=int(d),
                                    query="SELECT price, currency FROM product_prices WHERE sku = $1 AND "
                                          "valid_to IS NULL", rows=1)))
            else:
                out.append((t, L.js(t, "info", "request served", path="/v1/products", status=200,
                                    duration_ms=18 + i % 12)))
        return out

    app(inc, "catalog", "catalog-api", f"{REGISTRY}/catalog/catalog-api:7.0.2", 3, log=within(api))
    herring(inc, "catalog", "catalog-admin", f"{REGISTRY}/catalog/catalog-admin", "1.15.0",
            AT11 - timedelta(minutes=70))
    plant(inc, "analytics", "warehouse-sync-dsn", "password", "warehouse-sync", "dsn")
    inc.series("pg_stat_activity_max_tx_duration", "gauge", "max duration in seconds any active transaction has been "
               "running", {"namespace": "db", "datname": "catalog", "state": "active", "job": "postgres-exporter"},
               lambda t: max(2.0, (t - run).total_seconds()) if t > run else 2.0)
    inc.series("pg_stat_user_tables_n_dead_tup", "gauge", "Estimated number of dead rows",
               {"namespace": "db", "datname": "catalog", "schemaname": "public", "relname": "product_prices",
                "job": "postgres-exporter"}, ramp(210000, 5.6e6, run, inc.captured))
    inc.series("http_server_request_duration_seconds_p99", "gauge", "p99 latency recorded from the histogram",
               {"namespace": "catalog", "service": "catalog-api", "job": "catalog-api"},
               ramp(0.08, 3.9, run + timedelta(hours=3), inc.captured))
    inc.alerts["alertmanager.json"] = am.alertmanager([alert(
        inc, "APIHighLatency", {"namespace": "catalog", "service": "catalog-api"},
        "catalog-api p99 latency above 1s",
        "p99 latency of catalog-api is 3.1s (objective 300ms) for the last 15 minutes.",
        'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket'
        '{service="catalog-api"}[5m]))) > 1', severity="critical")], group=["alertname", "namespace"])
    inc.answer_key(
        culprit=("CronJob", "analytics", "warehouse-sync"),
        keywords=["xmin", "autovacuum", "dead tuples", "long-running transaction"],
        root_cause="CronJob warehouse-sync was switched to EXPORT_MODE=snapshot: each run keeps one REPEATABLE READ "
                   "long-running transaction open for hours, the xmin horizon stops, autovacuum cannot remove the "
                   "dead tuples of the update-heavy product_prices table and its bloat slows every catalog-api "
                   "query",
        category="long-snapshot-transaction-blocks-vacuum-bloat",
        red_herrings=[("Deployment", "catalog", "catalog-admin")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 16, 20, tzinfo=UTC)


def payment_webhooks_burn() -> Incident:
    """webhook-signing-secret-replaced-with-test-mode: the production endpoint's secret overwritten by the test one.

    after: a frequent payments incident: during a key rotation the Stripe webhook signing secret of the
    test-mode endpoint is pasted into the production Secret; every event fails signature verification
    (400), Stripe retries with backoff and orders stay "awaiting payment".

    Secret payments/stripe-webhook re-applied by hand (kubectl) at 15:38; Reloader restarts
    payment-webhooks. The Node.js handler logs Stripe's "No signatures found matching the expected
    signature for payload"; 400s climb; orders_awaiting_payment grows. The SLO burn names only the
    service; red herring: the payouts rollout in the same namespace.
    """
    inc = Incident("payment-webhooks-burn", title="payment webhooks error budget burning",
                   story="Stripe webhook signing secret replaced by the test-mode endpoint's.", at=AT12, seed=2012)
    change = AT12 - timedelta(minutes=42)
    value = inc.canary("token", "stripe-whsec-test")
    inc.secret("payments", "stripe-webhook", {"STRIPE_WEBHOOK_SECRET": f"whsec_{value}"})
    sec = inc.find("Secret", "payments", "stripe-webhook")
    changed(sec, ("kubectl-client-side-apply", "Update", change,
                  {"f:data": {"f:STRIPE_WEBHOOK_SECRET": {}},
                   "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}}))
    image = f"{REGISTRY}/payments/payment-webhooks"

    def log(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start, L.js(start, "info", "listening", port=8080, env="production"))]
        for i, t in enumerate(L.every(start + timedelta(seconds=5), end, 7)):
            evt = ["payment_intent.succeeded", "charge.refunded", "invoice.paid",
                   "checkout.session.completed"][i % 4]
            out.append((t, L.js(t, "error", "webhook signature verification failed",
                                type="StripeSignatureVerificationError",
                                event_type_header=evt, statusCode=400,
                                err="No signatures found matching the expected signature for payload. Are you "
                                    "passing the raw request body you received from Stripe? \n Learn more about "
                                    "webhook signing and explore webhook integration examples for various "
                                    "frameworks at https://github.com/stripe/stripe-node#webhook-signing")))
        return out

    env = [{"name": "STRIPE_WEBHOOK_SECRET", "valueFrom": {"secretKeyRef": {"name": "stripe-webhook",
                                                                            "key": "STRIPE_WEBHOOK_SECRET"}}}]
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [c("payment-webhooks", f"{image}:2.5.0", env=env)]),
            Rev(2, change + timedelta(minutes=1), "reloader: secret stripe-webhook changed",
                [c("payment-webhooks", f"{image}:2.5.0", env=env)])]
    inc.deployment("payments", "payment-webhooks", revs, {2: [P(log=within(log)), P(log=within(log))]},
                   annotations={"secret.reloader.stakater.com/reload": "stripe-webhook"})
    inc.service("payments", "payment-webhooks", {"app": "payment-webhooks"})
    herring(inc, "payments", "payouts", f"{REGISTRY}/payments/payouts", "1.21.0", AT12 - timedelta(minutes=26))
    pod_http(inc, "payments", "payment-webhooks", "200", 1.9, 0.0, change + timedelta(minutes=2))
    pod_http(inc, "payments", "payment-webhooks", "400", 0.0, 1.9, change + timedelta(minutes=2))
    inc.series("orders_awaiting_payment", "gauge", "Orders whose payment confirmation has not arrived.",
               {"namespace": "payments", "job": "payment-webhooks"},
               ramp(12, 2900, change + timedelta(minutes=2), inc.captured))
    labels = {"alertname": "ErrorBudgetBurn", "namespace": "payments", "service": "payment-webhooks",
              "slo": "payment-webhooks-success", "long": "1h", "short": "5m", "severity": "critical",
              "team": "payments", "prometheus": "monitoring/kube-prometheus-stack-prometheus",
              "cluster": "prod-eu-west-1"}
    ann = {"summary": "payment-webhooks: error budget burning 100.0x too fast (payment-webhooks-success, "
                      "objective 0.99)",
           "description": "Every webhook delivery in the last 30 minutes was answered with a non-2xx status; "
                          "payment confirmations are not being recorded.",
           "runbook_url": "https://wiki.example.com/slo/error-budget-burn"}
    expr = ('sum(rate(http_requests_total{namespace="payments",service="payment-webhooks",code!~"2.."}[1h])) / '
            'sum(rate(http_requests_total{namespace="payments",service="payment-webhooks"}[1h])) > (14.4 * (1 - 0.99))')
    send(inc, [am.alert(labels, ann, inc.at, expr)], ["alertname", "slo"])
    inc.answer_key(
        culprit=("Secret", "payments", "stripe-webhook"),
        keywords=["signing secret", "signature verification", "test-mode", "rotated"],
        root_cause="the stripe-webhook Secret was re-applied by hand with the test-mode endpoint's signing secret "
                   "while the key was being rotated; after Reloader restarted payment-webhooks every production "
                   "event fails Stripe signature verification ('No signatures found matching the expected "
                   "signature'), the handler answers 400 and payment confirmations are never recorded",
        category="webhook-signing-secret-replaced-with-test-mode",
        red_herrings=[("Deployment", "payments", "payouts")])
    return inc


ALL = [mailer_jobs_backlog_question, partner_api_forbidden_rate, wiki_rollout_stuck, storefront_timeouts_page,
       node_pods_killed_question, go_site_certificate_page, invoices_site_down_grouped, prometheus_restarting_question,
       report_exports_stalled_page, orders_errors_burn, catalog_latency_high, payment_webhooks_burn]
