"""Round-2 held-out incidents: twelve failures written blind to Vigil's reasoning code.

Each function builds one incident; its docstring is the story (what broke, why, what misleads).
Only the corpus kit (examples/corpus/kit.py, logs.py) and round 1's _kit.py are used, so the bundles
have the corpus layout; nothing here was tuned on an investigation of these bundles.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
for _path in (EXAMPLES,):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402

S = timedelta(seconds=1)
M = timedelta(minutes=1)
LogFn = Callable[[str, datetime, datetime], str]


def _node(inc: Incident, index: int) -> dict[str, Any]:
    return inc.cluster.nodes[index]


def _set_condition(node: dict[str, Any], kind: str, status: str, reason: str, message: str, at: datetime) -> None:
    for cond in node["status"]["conditions"]:
        if cond["type"] == kind:
            cond.update({"status": status, "reason": reason, "message": message, "lastTransitionTime": ts(at)})


def _herring_log(inc: Incident, ns: str, workload: str, text: str) -> None:
    """Replace the first pod's log of a background workload with something alarming but unrelated."""
    h = inc.pods_of(ns, workload)[0]
    h.logs[h.containers[0].name] = text


# ------------------------------------------------------------------------------------------------
def dns_search_path_timeouts() -> Incident:
    """partner-sync (Go) times out resolving api.partner-bank.example.net after a dnsConfig change.

    Revision 7 of integrations/partner-sync added a pod dnsConfig with an extra search domain,
    corp.example.internal, and ndots 5, so the on-prem service names resolve. With ndots 5 every
    external name (three dots) is tried against each search domain first; queries for
    *.corp.example.internal are forwarded by CoreDNS to an on-prem resolver that is unreachable
    from the cluster, and each one waits out the 5s timeout. Go's resolver then gives up ("i/o
    timeout") and the settlement sync fails. Red herring: recommendations logs a noisy Kafka consumer
    rebalance at the same time.
    """
    at = datetime(2026, 11, 17, 9, 12, tzinfo=UTC)
    inc = Incident("partner-sync-lookups-failing", title="partner-sync cannot reach the bank API",
                   story=dns_search_path_timeouts.__doc__ or "", at=at, seed=201, namespaces=("integrations",))
    token = inc.canary("token", "partner-bank-api")
    inc.secret("integrations", "partner-bank", {"client-id": "acme-prod", "client-secret": token})
    env = [{"name": "BANK_API_URL", "value": "https://api.partner-bank.example.net/v2"},
           {"name": "BANK_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "partner-bank",
                                                                          "key": "client-secret"}}}]
    img6, img7 = f"{REGISTRY}/integrations/partner-sync:1.12.0", f"{REGISTRY}/integrations/partner-sync:1.12.1"

    def log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return L.js(t, "info", "starting settlement batch", batch=4410 + i, pending=17 + i % 5)
            return L.js(t, "error", "settlement push failed", batch=4410 + i - i % 3, attempt=i % 3,
                        error='Post "https://api.partner-bank.example.net/v2/settlements": dial tcp: lookup '
                              "api.partner-bank.example.net on 172.20.0.12:53: read udp "
                              f"10.244.2.{30 + i % 9}:{40000 + i * 37 % 9000}->172.20.0.12:53: i/o timeout")
        first = (start, L.js(start, "info", "partner-sync listening", addr=":8080", version="1.12.1"))
        return L.lines([first, *L.ticker(start + 20 * S, end, 30, line)])

    dns = {"dnsPolicy": "ClusterFirst",
           "dnsConfig": {"searches": ["corp.example.internal"], "options": [{"name": "ndots", "value": "5"},
                                                                             {"name": "timeout", "value": "5"}]}}
    inc.deployment("integrations", "partner-sync", [
        Rev(6, at - timedelta(days=9), "helm upgrade partner-sync --set image.tag=1.12.0", [c("partner-sync", img6,
                                                                                              env=env)]),
        Rev(7, at - 25 * M, "helm upgrade partner-sync -f values-onprem-dns.yaml",
            [c("partner-sync", img7, env=env)], pod_spec=dns)],
        {7: [P(log=log), P(log=log)]})
    core = inc.pods_of("kube-system", "coredns")
    for h in core:
        entries = L.ticker(at - 20 * M, inc.captured, 15, lambda i, t: (
            f"[ERROR] plugin/errors: 2 api.partner-bank.example.net.corp.example.internal. "
            f"{'A' if i % 2 else 'AAAA'}: read udp 10.244.1.7:{51000 + i * 13}->10.80.0.2:53: i/o timeout"))
        banner = (at - 3 * timedelta(hours=1), ".:53\nCoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9")
        h.logs["coredns"] = L.lines([banner, *entries])
    inc.configmap("kube-system", "coredns-custom", {"corp.server": "corp.example.internal:53 {\n    errors\n"
                                                    "    cache 30\n    forward . 10.80.0.2 10.80.0.3\n}\n"},
                  at=at - timedelta(days=30))
    _herring_log(inc, "web", "recommendations", L.lines(L.ticker(at - 30 * M, inc.captured, 40, lambda i, t: (
        f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{i * 7 % 1000:03d}] INFO [Consumer clientId=recs-1, groupId=recs] "
        "Request joining group due to: group is already rebalancing (org.apache.kafka.clients.consumer.internals."
        "ConsumerCoordinator)"))))
    inc.ask("partner-sync in integrations has been failing to push settlements since about 09:15. The bank says "
            "their API is up. What is wrong?")
    inc.answer_key(culprit=("Deployment", "integrations", "partner-sync"), keywords=["ndots", "search"],
                   root_cause="Revision 7 of partner-sync added a dnsConfig with ndots 5 and the search domain "
                              "corp.example.internal; external names are first tried under that search domain, "
                              "which CoreDNS forwards to an unreachable on-prem resolver, so lookups time out.",
                   category="dns-search-path", red_herrings=[("Deployment", "web", "recommendations")])
    return inc


# ------------------------------------------------------------------------------------------------
def jvm_liveness_kill() -> Incident:
    """invoice-service (Spring Boot) is killed by its liveness probe before it finishes starting.

    Revision 12 added Flyway migrations and a bigger cache warm-up; the JVM now needs ~100s before
    the actuator answers. The liveness probe (initialDelaySeconds 30, period 10, failureThreshold 3)
    kills it at ~60s, every time, and there is no startupProbe. The container exits 143 (SIGTERM),
    so it looks like a crash. Red herring: the billing MySQL logs an unresolvable client host warning.
    """
    at = datetime(2026, 11, 18, 14, 3, tzinfo=UTC)
    inc = Incident("invoice-service-restarting", title="KubePodCrashLooping billing/invoice-service",
                   story=jvm_liveness_kill.__doc__ or "", at=at, seed=202, namespaces=("billing",))
    pw = inc.canary("password", "billing-mysql")
    inc.secret("billing", "billing-mysql", {"username": "invoice", "password": pw})
    env = [{"name": "SPRING_DATASOURCE_URL", "value": "jdbc:mysql://billing-mysql:3306/billing"},
           {"name": "SPRING_DATASOURCE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "billing-mysql",
                                                                                  "key": "password"}}},
           {"name": "JAVA_TOOL_OPTIONS", "value": "-Xms1g -Xmx1g"}]
    probe = {"livenessProbe": {"httpGet": {"path": "/actuator/health/liveness", "port": 8080, "scheme": "HTTP"},
                               "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 1,
                               "failureThreshold": 3, "successThreshold": 1},
             "readinessProbe": {"httpGet": {"path": "/actuator/health/readiness", "port": 8080, "scheme": "HTTP"},
                                "initialDelaySeconds": 30, "periodSeconds": 10, "timeoutSeconds": 1,
                                "failureThreshold": 3, "successThreshold": 1}}

    def log(pod: str, start: datetime, end: datetime) -> str:
        sp = L.spring
        steps = [
            (0, "INFO", "c.a.billing.InvoiceServiceApplication", "Starting InvoiceServiceApplication v4.3.0 "
             "using Java 21.0.5 with PID 1"),
            (2, "INFO", "c.a.billing.InvoiceServiceApplication", 'The following 1 profile is active: "prod"'),
            (9, "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer", "Tomcat initialized with port 8080 (http)"),
            (14, "INFO", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Starting..."),
            (15, "INFO", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Start completed."),
            (16, "INFO", "o.f.core.internal.command.DbMigrate", 'Current version of schema `billing`: 41'),
            (17, "INFO", "o.f.core.internal.command.DbMigrate",
             'Migrating schema `billing` to version "42 - backfill invoice line totals"'),
            (48, "INFO", "o.f.core.internal.command.DbMigrate",
             'Migrating schema `billing` to version "43 - add tax region index"'),
        ]
        out = [(start + k * S, sp(start + k * S, lvl, lg, msg)) for k, lvl, lg, msg in steps if start + k * S < end]
        out.append((end - S, sp(end - S, "INFO", "o.s.b.w.e.tomcat.GracefulShutdown",
                                "Commencing graceful shutdown. Waiting for active requests to complete",
                                thread="ionShutdownHook")))
        return L.lines(out)

    kill = ('Liveness probe failed: Get "http://{ip}:8080/actuator/health/liveness": dial tcp {ip}:8080: '
            "connect: connection refused")
    run = lambda n: 61.0  # noqa: E731
    inc.deployment("billing", "invoice-service", [
        Rev(11, at - timedelta(days=6), "deploy 4.2.7", [c("invoice-service", f"{REGISTRY}/billing/invoice-service:"
                                                          "4.2.7", env=env, memory_limit="1536Mi")],
            container=probe),
        Rev(12, at - 4 * M, "deploy 4.3.0", [c("invoice-service", f"{REGISTRY}/billing/invoice-service:4.3.0",
                                               env=env, memory_limit="1536Mi")], container=probe)],
        {11: [P(), P()], 12: [P("crashloop", log=log, exit_code=143, run_s=run, liveness_kill=kill)]},
        progress="deadline", replicas=3)
    db = inc.statefulset("billing", "billing-mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306,
                                                         readiness_path=None, liveness_path=None)],
                         [P(log=lambda p, s, e: L.lines(L.ticker(s, e, 1800, lambda i, t: (
                             f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{i:06d}Z 0 [Warning] [MY-010055] [Server] IP "
                             f"address '10.244.3.{40 + i % 7}' could not be resolved: Name or service not known"))))],
                         at - timedelta(days=20), claims=[("data", "50Gi", "gp3")], service=3306)
    del db
    inc.alertmanager("KubePodCrashLooping", {"namespace": "billing", "pod": inc.pods_of("billing",
                     "invoice-service")[-1].name, "container": "invoice-service", "job": "kube-state-metrics"},
                     "Pod is crash looping.", "Pod billing/" + inc.pods_of("billing", "invoice-service")[-1].name
                     + " (invoice-service) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1', starts=at + 11 * M)
    inc.pod_series(inc.pods_of("billing", "invoice-service"))
    inc.answer_key(culprit=("Deployment", "billing", "invoice-service"), keywords=["liveness", "startupProbe"],
                   root_cause="Revision 12 (4.3.0) runs Flyway migrations at boot and needs ~100s to start; the "
                              "liveness probe (initialDelaySeconds 30, failureThreshold 3) kills it at ~60s and "
                              "there is no startupProbe, so it never finishes starting.",
                   category="liveness-kills-slow-start", red_herrings=[("StatefulSet", "billing", "billing-mysql")])
    return inc


# ------------------------------------------------------------------------------------------------
def quota_blocks_rollout() -> Incident:
    """event-ingest's rollout creates no pods: the namespace ResourceQuota has no memory left.

    Revision 5 raised the memory request from 1Gi to 2Gi. The analytics namespace has a
    ResourceQuota of 16Gi requests.memory, 14Gi of it already used, so the new ReplicaSet's pod
    creations are forbidden ("exceeded quota"). The rollout hits its progress deadline with old
    pods still serving. Red herring: a Spark history pod in the namespace logs GC warnings.
    """
    at = datetime(2026, 11, 19, 10, 40, tzinfo=UTC)
    inc = Incident("event-ingest-rollout-stuck", title="KubeDeploymentRolloutStuck analytics/event-ingest",
                   story=quota_blocks_rollout.__doc__ or "", at=at, seed=203, namespaces=("analytics",))
    aws = inc.canary("aws", "analytics-s3")
    inc.secret("analytics", "s3-writer", {"AWS_ACCESS_KEY_ID": aws,
                                          "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "analytics-s3")})
    mk = lambda tag, mem: [c("event-ingest", f"{REGISTRY}/analytics/event-ingest:{tag}",  # noqa: E731
                             memory_request=mem, memory_limit=mem)]
    ingest_log: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 300, lambda i, t: L.logfmt(  # noqa: E731
        t, "info", "flushed batch", topic="events.raw", records=5000 + i * 17 % 900, lag=120 + i % 40)))
    wl = inc.deployment("analytics", "event-ingest", [
        Rev(4, at - timedelta(days=12), "argo-cd sync 3.1.0", mk("3.1.0", "1Gi")),
        Rev(5, at, "argo-cd sync 3.2.0", mk("3.2.0", "2Gi"))],
        {4: [P(log=ingest_log) for _ in range(4)], 5: []}, progress="deadline", replicas=4, max_surge="1",
        max_unavailable="0")
    rs = inc.find("ReplicaSet", "analytics", wl.rs[5])
    pod = f"{wl.rs[5]}-{o.suffix(wl.rs[5] + 'x', 5)}"
    inc.event(rs, "FailedCreate", f'Error creating: pods "{pod}" is forbidden: exceeded quota: analytics-compute, '
              "requested: requests.memory=2Gi, used: requests.memory=14Gi, limited: requests.memory=16Gi",
              at + 2 * S, inc.captured - 40 * S, count=19, component="replicaset-controller")
    inc.add({"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "analytics-compute", "namespace": "analytics"},
             "spec": {"hard": {"requests.cpu": "12", "requests.memory": "16Gi", "limits.memory": "24Gi",
                               "pods": "30"}},
             "status": {"hard": {"requests.cpu": "12", "requests.memory": "16Gi", "limits.memory": "24Gi",
                                 "pods": "30"},
                        "used": {"requests.cpu": "5300m", "requests.memory": "14Gi", "limits.memory": "18Gi",
                                 "pods": "11"}}})
    inc.deployment("analytics", "spark-history", [
        Rev(1, at - timedelta(days=30), "helm install", [c("spark-history", "docker.io/apache/spark:3.5.3",
                                                            memory_request="6Gi", memory_limit="8Gi", port=18080,
                                                            readiness_path=None, liveness_path=None)])],
        {1: [P(log=lambda p, s, e: L.lines(L.ticker(s, e, 900, lambda i, t: (
            f"{t.strftime('%y/%m/%d %H:%M:%S')} WARN FsHistoryProvider: GC overhead while replaying "
            f"application_17311{i:05d}_0042; heap usage 91%"))))]})
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "analytics", "deployment": "event-ingest",
                                                    "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment analytics/event-ingest is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", job="kube-state-metrics", '
                     'status="false"} != 0', starts=at + 25 * M)
    inc.answer_key(culprit=("ResourceQuota", "analytics", "analytics-compute"),
                   keywords=["exceeded quota", "requests.memory"],
                   root_cause="The new event-ingest revision requests 2Gi of memory per pod; the analytics-compute "
                              "ResourceQuota (16Gi requests.memory, 14Gi used) forbids the pods: exceeded quota, so "
                              "the ReplicaSet cannot create any and the rollout is stuck.",
                   category="quota-exceeded", red_herrings=[("Deployment", "analytics", "spark-history")])
    return inc


# ------------------------------------------------------------------------------------------------
def pdb_blocks_drain() -> Incident:
    """A node drain for the AMI upgrade hangs: ledger's PodDisruptionBudget allows no disruption.

    payments/ledger runs 2 replicas and its PDB says minAvailable 2, so disruptionsAllowed is 0 and
    every eviction of the ledger pod on the cordoned node is refused. The drain controller retries
    forever; the node stays cordoned and the upgrade stalls. Red herring: a RabbitMQ in payments
    logs closed AMQP connections from a client that reconnects.
    """
    at = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    inc = Incident("node-upgrade-stalled", title="node upgrade stalled on one node", story=pdb_blocks_drain.__doc__
                   or "", at=at, seed=204, namespaces=("platform",), minutes_after=45)
    ledger = inc.pods_of("payments", "ledger")[0]
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == ledger.node)
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                               "timeAdded": ts(at)}]
    inc.event(dict(node, kind="Node", apiVersion="v1"), "NodeNotSchedulable",
              f"Node {ledger.node} status is now: NodeNotSchedulable", at, warning=False, host=ledger.node)
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "ledger", "namespace": "payments", "generation": 1},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "ledger"}}},
             "status": {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 2,
                        "observedGeneration": 1,
                        "conditions": [{"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                                        "message": "", "observedGeneration": 1,
                                        "lastTransitionTime": ts(at - timedelta(days=30))}]}})
    evicted = [p for p in inc.cluster.pods if p.node == ledger.node and p.workload != "ledger"
               and p.owner is not None and p.owner["kind"] == "ReplicaSet"]
    for k, p in enumerate(evicted):  # the drain moved everything else off the node
        gone = at + (13 + k) * S
        p.ended = gone
        inc.replacement(p, gone + S, away_from=ledger.node)
    slack = inc.canary("slack", "platform-drain")
    inc.secret("platform", "drain-notify", {"SLACK_BOT_TOKEN": slack})

    def log(pod: str, start: datetime, end: datetime) -> str:
        out = [(at, L.klog(at, "I", "drain.go:214", f'cordoned node "{ledger.node}" (reason: ami-upgrade '
                                                    "al2023-1.30-20241121)"))]
        for k, p in enumerate(evicted):
            t = at + (4 + k) * S
            out.append((t, L.klog(t, "I", "drain.go:301", f'evicting pod {p.namespace}/{p.name}')))
            out.append((t + 9 * S, L.klog(t + 9 * S, "I", "drain.go:318", f'pod {p.namespace}/{p.name} evicted')))
        out += L.ticker(at + 5 * S, end, 5, lambda i, t: L.klog(
            t, "E", "drain.go:330", f'error when evicting pods/"{ledger.name}" -n "payments" (will retry after 5s): '
            "Cannot evict pod as it would violate the pod's disruption budget."))
        return L.lines(sorted(out, key=lambda e: e[0]))

    inc.deployment("platform", "node-drainer", [
        Rev(3, at - timedelta(days=14), "helm upgrade node-drainer 0.9.2",
            [c("node-drainer", f"{REGISTRY}/platform/node-drainer:0.9.2", port=None,
               env=[{"name": "SLACK_BOT_TOKEN", "valueFrom": {"secretKeyRef": {"name": "drain-notify",
                                                                                "key": "SLACK_BOT_TOKEN"}}}])])],
        {3: [P(log=log, node=next(n for n in inc.node_names() if n != ledger.node))]})
    inc.statefulset("payments", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                               port=5672, readiness_path=None, liveness_path=None)],
                    [P(log=lambda p, s, e: L.lines(L.ticker(s, e, 600, lambda i, t: (
                        f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i * 131 % 1000000:06d}+00:00 [warning] <0.{4100 + i}.0> "
                        f"closing AMQP connection <0.{4100 + i}.0> (10.244.2.{50 + i % 5}:{38000 + i}"
                        " -> 10.244.3.9:5672, vhost: '/', user: 'ledger'):\nclient unexpectedly closed TCP "
                        "connection"))))],
                    at - timedelta(days=25), claims=[("data", "20Gi", "gp3")], service=5672)
    inc.ask(f"The AMI upgrade has been stuck on {ledger.node} for 45 minutes; the node is cordoned but never "
            "finishes. Can you tell why?")
    inc.answer_key(culprit=("PodDisruptionBudget", "payments", "ledger"),
                   keywords=["disruption budget", "minAvailable"],
                   root_cause="The ledger PodDisruptionBudget has minAvailable 2 for a 2-replica Deployment, so "
                              "disruptionsAllowed is 0 and the eviction of the ledger pod on the cordoned node is "
                              "refused (would violate the pod's disruption budget); the drain retries forever.",
                   category="pdb-blocks-drain", red_herrings=[("StatefulSet", "payments", "rabbitmq")])
    return inc


# ------------------------------------------------------------------------------------------------
def rotated_db_password() -> Incident:
    """orders-api (Node.js) keeps the old Postgres password after the Secret was rotated.

    External Secrets rotated orders/orders-db at 11:02 and the database role got the new password.
    orders-api read DB_PASSWORD from the environment at start (pods are 9 days old), so each new
    pool connection after the rotation fails with "password authentication failed". Existing
    connections worked until they were recycled, so errors grow over ~20 minutes. Red herring: a
    MongoDB replica in orders logs slow queries.
    """
    at = datetime(2026, 11, 21, 11, 20, tzinfo=UTC)
    inc = Incident("orders-api-errors", title="orders-api 5xx error budget burn", story=rotated_db_password.__doc__
                   or "", at=at, seed=205, namespaces=("orders",))
    old, new = inc.canary("password", "orders-db-old"), inc.canary("password", "orders-db-new")
    rotated = at - 18 * M
    inc.cluster.add_secret("orders", "orders-db", {"username": "orders", "password": new}, inc.born)
    sec = inc.find("Secret", "orders", "orders-db")
    sec["metadata"]["annotations"].update({"reconcile.external-secrets.io/data-hash": "9d1c2f0a7be34e15",
                                           "ops.example.com/rotated-at": ts(rotated)})
    sec["metadata"]["labels"] = {"reconcile.external-secrets.io/managed": "true"}
    inc.add({"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
             "metadata": {"name": "orders-db", "namespace": "orders"},
             "spec": {"refreshInterval": "1h", "secretStoreRef": {"name": "aws-secrets", "kind": "ClusterSecretStore"},
                      "target": {"name": "orders-db"}, "data": [{"secretKey": "password", "remoteRef": {
                          "key": "prod/orders/db", "property": "password"}}]},
             "status": {"refreshTime": ts(rotated), "syncedResourceVersion": "1-9d1c2f0a7be34e15",
                        "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                                        "message": "Secret was synced", "lastTransitionTime": ts(rotated)}]}})
    inc.configmap("orders", "orders-api-env", {"PGHOST": "orders-postgres", "PGDATABASE": "orders",
                                               "NODE_ENV": "production",
                                               "LEGACY_DATABASE_URL": f"postgres://orders:{old}@orders-postgres/orders"})

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str | None:
            if t < rotated + 2 * M or i % 2:
                return L.js(t, "info", "request completed", req={"method": "GET", "url": "/v1/orders"},
                            res={"statusCode": 200}, responseTime=14 + i % 9)
            return L.js(t, "error", "request failed", req={"method": "POST", "url": "/v1/orders"},
                        res={"statusCode": 500}, err={"type": "error", "code": "28P01",
                                                      "message": 'password authentication failed for user "orders"'})
        return L.lines(L.ticker(max(start, at - 40 * M), end, 20, line))

    env = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "password"}}}]
    inc.deployment("orders", "orders-api", [
        Rev(31, at - timedelta(days=9), "deploy 7.4.2", [c("orders-api", f"{REGISTRY}/orders/orders-api:7.4.2",
                                                          env=env)])],
        {31: [P(log=api_log) for _ in range(3)]})

    def pg_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str | None:
            if t < rotated:
                return L.postgres(t, "LOG", "checkpoint complete: wrote 812 buffers (5.0%); 0 WAL file(s) added",
                                  pid=64) if i % 30 == 0 else None
            if t < rotated + 2 * M:
                return None
            p = 4100 + i
            return (L.postgres(t, "FATAL", 'password authentication failed for user "orders"', pid=p) + "\n"
                    + L.postgres(t, "DETAIL", 'Connection matched file "/var/lib/postgresql/data/pg_hba.conf" line '
                                 '128: "host all all all scram-sha-256"', pid=p))
        return L.lines(L.ticker(max(start, at - 50 * M), end, 10, line))

    inc.statefulset("orders", "orders-postgres", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                     readiness_path=None, liveness_path=None)], [P(log=pg_log)],
                    at - timedelta(days=60), claims=[("data", "100Gi", "gp3")], service=5432)
    inc.statefulset("orders", "orders-mongo", [c("mongod", "docker.io/library/mongo:7.0.14", port=27017,
                                                  readiness_path=None, liveness_path=None)],
                    [P(log=lambda p, s, e: L.lines(L.ticker(s, e, 400, lambda i, t: (
                        '{"t":{"$date":"' + t.strftime("%Y-%m-%dT%H:%M:%S.000+00:00") + '"},"s":"I",  "c":"COMMAND",'
                        '  "id":51803,   "ctx":"conn' + str(200 + i) + '","msg":"Slow query","attr":{"type":"command",'
                        '"ns":"orders.audit","command":{"find":"audit"},"planSummary":"COLLSCAN","durationMillis":'
                        + str(900 + i * 37 % 400) + "}}"))))],
                    at - timedelta(days=60), claims=[("data", "50Gi", "gp3")], service=27017)
    inc.service("orders", "orders-api", {"app": "orders-api"})
    inc.slo_burn("orders-api", "orders", "orders-api-availability", "0.999", 21.4,
                 "orders-api is burning its 30d error budget 21.4x too fast over the last hour.")
    inc.answer_key(culprit=("Secret", "orders", "orders-db"), keywords=["password authentication failed", "rotated"],
                   root_cause="The orders-db Secret was rotated by External Secrets at 11:02 but orders-api pods "
                              "still hold the old password from their environment, so new Postgres connections fail "
                              "with password authentication failed for user orders; the pods need a restart.",
                   category="stale-rotated-credential", red_herrings=[("StatefulSet", "orders", "orders-mongo")])
    return inc


# ------------------------------------------------------------------------------------------------
def webhook_timeout_blocks_pods() -> Incident:
    """notifier's new pods are never created: a mutating webhook times out on every pod CREATE.

    The platform team installed a sidecar injector yesterday: its MutatingWebhookConfiguration
    has failurePolicy Fail, matches every namespace without an opt-out label, and points at a
    Service on targetPort 9443. The EKS control-plane security group only allows 443 and 10250 to
    the nodes, so the API server's call never connects and hits the 10s timeout ("context
    deadline exceeded"). Any pod creation fails; notifier's rollout is the first to notice. Red
    herring: the injector's own pods are healthy and log TLS handshake noise from kubelet probes.
    """
    at = datetime(2026, 11, 22, 15, 5, tzinfo=UTC)
    inc = Incident("notifier-rollout-no-pods", title="KubeDeploymentReplicasMismatch notifications/notifier",
                   story=webhook_timeout_blocks_pods.__doc__ or "", at=at, seed=206,
                   namespaces=("notifications", "platform"))
    inc.secret("notifications", "twilio", {"auth-token": inc.canary("token", "twilio")})
    mk = lambda tag: [c("notifier", f"{REGISTRY}/notifications/notifier:{tag}", env=[  # noqa: E731
        {"name": "TWILIO_AUTH_TOKEN", "valueFrom": {"secretKeyRef": {"name": "twilio", "key": "auth-token"}}}])]
    dotnet: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 240, lambda i, t: (  # noqa: E731
        "info: Notifier.Workers.SmsDispatcher[0]\n      Dispatched " + str(40 + i % 17) + " messages in batch "
        + str(9000 + i))))
    wl = inc.deployment("notifications", "notifier", [
        Rev(8, at - timedelta(days=4), "deploy 2.9.0", mk("2.9.0")),
        Rev(9, at, "deploy 2.10.0", mk("2.10.0"))],
        {8: [P(log=dotnet), P(log=dotnet)], 9: []}, progress="deadline", replicas=3)
    rs = inc.find("ReplicaSet", "notifications", wl.rs[9])
    inc.event(rs, "FailedCreate", 'Error creating: Internal error occurred: failed calling webhook '
              '"inject.sidecar.platform.example.com": failed to call webhook: Post "https://sidecar-injector.'
              'platform.svc:443/mutate?timeout=10s": context deadline exceeded', at + 10 * S, inc.captured - 30 * S,
              count=23, component="replicaset-controller")
    inc.add({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
             "metadata": {"name": "sidecar-injector", "namespace": "",
                          "creationTimestamp": ts(at - timedelta(hours=20)),
                          "labels": {"app.kubernetes.io/managed-by": "Helm"}},
             "webhooks": [{"name": "inject.sidecar.platform.example.com", "admissionReviewVersions": ["v1"],
                           "clientConfig": {"service": {"name": "sidecar-injector", "namespace": "platform",
                                                        "path": "/mutate", "port": 443},
                                            "caBundle": "LS0tLS1CRUdJTg=="},
                           "failurePolicy": "Fail", "matchPolicy": "Equivalent", "sideEffects": "None",
                           "timeoutSeconds": 10, "reinvocationPolicy": "Never",
                           "namespaceSelector": {"matchExpressions": [{"key": "sidecar-injection", "operator": "NotIn",
                                                                       "values": ["disabled"]}]},
                           "objectSelector": {},
                           "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                      "resources": ["pods"], "scope": "*"}]}]})
    inj: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 60, lambda i, t: L.go_std(  # noqa: E731
        t, f"http: TLS handshake error from 10.0.{1 + i % 4}.{11 + i % 4}:{50000 + i * 7}: EOF")))
    inc.deployment("platform", "sidecar-injector", [
        Rev(1, at - timedelta(hours=20), "helm install sidecar-injector 0.3.0",
            [c("sidecar-injector", f"{REGISTRY}/platform/sidecar-injector:0.3.0", port=9443, readiness_path=None,
               liveness_path=None)])], {1: [P(log=inj), P(log=inj)]})
    inc.service("platform", "sidecar-injector", {"app": "sidecar-injector"}, port=443, target=9443)
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "notifications", "deployment": "notifier",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment notifications/notifier has not matched the expected number of replicas for "
                     "longer than 15 minutes.",
                     '(kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_'
                     'available{job="kube-state-metrics"}) and (changes(kube_deployment_status_replicas_updated'
                     '{job="kube-state-metrics"}[10m]) == 0)', starts=at + 16 * M)
    inc.answer_key(culprit=("MutatingWebhookConfiguration", "", "sidecar-injector"),
                   keywords=["webhook", "context deadline exceeded", "failurePolicy"],
                   root_cause="The sidecar-injector MutatingWebhookConfiguration (failurePolicy Fail, all "
                              "namespaces) cannot be reached by the API server on targetPort 9443, so every pod "
                              "CREATE fails with failed calling webhook: context deadline exceeded and notifier's "
                              "new ReplicaSet creates no pods.",
                   category="admission-webhook-timeout", red_herrings=[("Deployment", "platform", "sidecar-injector")])
    return inc


# ------------------------------------------------------------------------------------------------
def hostpath_disk_pressure() -> Incident:
    """One node reports DiskPressure and evicts pods; report-builder fills its disk through a hostPath.

    report-builder (Python) caches rendered PDFs under a hostPath, /var/lib/report-cache, added in
    revision 3. hostPath usage is not charged to the pod's ephemeral storage, so when the root
    volume crosses the eviction threshold the kubelet evicts other pods (image-resizer) instead, and
    the disk keeps filling. Red herring: image-resizer, the evicted one, looks like the victim and
    the cause at once.
    """
    at = datetime(2026, 11, 23, 3, 40, tzinfo=UTC)
    inc = Incident("pods-evicted-on-one-node", title="NodeFilesystemAlmostOutOfSpace 10.0.2.12:9100",
                   story=hostpath_disk_pressure.__doc__ or "", at=at, seed=207, namespaces=("reports", "media"))
    node = _node(inc, 1)
    name = node["metadata"]["name"]
    _set_condition(node, "DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure", at)
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": ts(at)}]
    nobj = dict(node, kind="Node", apiVersion="v1")
    inc.event(nobj, "NodeHasDiskPressure", f"Node {name} status is now: NodeHasDiskPressure", at, warning=False,
              host=name)
    inc.event(nobj, "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", at + 10 * S,
              inc.captured - 2 * M, count=14, host=name)
    inc.event(nobj, "FreeDiskSpaceFailed", "Failed to garbage collect required amount of images. Attempted to free "
              "8470337126 bytes, but only found 0 bytes eligible to free.", at + 40 * S, inc.captured - 5 * M,
              count=6, host=name)
    key = inc.canary("aws", "reports-bucket")
    inc.secret("reports", "reports-s3", {"AWS_ACCESS_KEY_ID": key,
                                         "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "reports-bucket")})
    cache = {"volumes": [{"name": "cache", "hostPath": {"path": "/var/lib/report-cache",
                                                           "type": "DirectoryOrCreate"}}]}
    mount = {"volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}
    rb: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 45, lambda i, t: L.pylog(  # noqa: E731
        t, "INFO", "reports.render", f"rendered statement batch={7000 + i} pages={300 + i * 7 % 90} "
                                     f"cached=/cache/statements/2026-11/{7000 + i}.pdf")))
    inc.deployment("reports", "report-builder", [
        Rev(2, at - timedelta(days=10), "deploy 1.6.0", [c("report-builder", f"{REGISTRY}/reports/report-builder:1.6.0",
                                                          port=None)]),
        Rev(3, at - timedelta(hours=30), "deploy 1.7.0: cache rendered PDFs on the node",
            [c("report-builder", f"{REGISTRY}/reports/report-builder:1.7.0", port=None)], pod_spec=cache,
            container=mount)],
        {3: [P(log=rb, node=name)]})
    resizer = inc.deployment("media", "image-resizer", [
        Rev(5, at - timedelta(days=3), "deploy 3.0.4", [c("image-resizer", f"{REGISTRY}/media/image-resizer:3.0.4")])],
        {5: [P(node=name), P(node=_node(inc, 2)["metadata"]["name"])]})
    victim = resizer.pods[0]
    msg = ("The node was low on resource: ephemeral-storage. Threshold quantity: 8387377152, available: 6913548Ki. "
           "Container image-resizer was using 412Mi, request is 0, has larger consumption of ephemeral-storage. ")

    def evicted(pod: dict[str, Any]) -> None:
        pod["status"].update({"phase": "Failed", "reason": "Evicted", "message": msg})
        for cs in pod["status"]["containerStatuses"]:
            cs.update({"ready": False, "started": False, "state": {"terminated": {
                "exitCode": 137, "reason": "ContainerStatusUnknown", "message": "The container could not be located "
                "when the pod was terminated", "startedAt": ts(victim.created), "finishedAt": ts(at + 3 * M)}}})
    inc.cluster.patch("media", victim.name, evicted)
    victim.ready = lambda t: t < at + 3 * M
    inc.event(inc.cluster.pod_object(victim), "Evicted", msg, at + 3 * M, host=name)
    inc.replacement(victim, at + 3 * M + 2 * S, away_from=name)
    fs = {"device": "/dev/nvme0n1p1", "fstype": "xfs", "mountpoint": "/", "instance": "10.0.2.12:9100",
          "job": "node-exporter"}
    size = 85886742528.0
    inc.series("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.", {**fs},
               lambda t: size * max(0.0412, 0.42 - 0.39 * (t - (at - 2 * timedelta(hours=1))).total_seconds() / 8000))
    inc.series("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.", {**fs}, lambda t: size)
    inc.alertmanager("NodeFilesystemAlmostOutOfSpace", {"instance": "10.0.2.12:9100", "device": "/dev/nvme0n1p1",
                                                        "fstype": "xfs", "mountpoint": "/", "job": "node-exporter",
                                                        "namespace": "monitoring"},
                     "Filesystem has less than 5% space left.",
                     "Filesystem on /dev/nvme0n1p1, mounted on /, at 10.0.2.12:9100 has only 4.12% available space "
                     "left.", '(node_filesystem_avail_bytes{job="node-exporter",fstype!=""} / node_filesystem_size_'
                     'bytes{job="node-exporter",fstype!=""} * 100 < 5 and node_filesystem_readonly{job="node-'
                     'exporter",fstype!=""} == 0)', starts=at,
                     runbook="https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemalmostoutofspace")
    inc.answer_key(culprit=("Deployment", "reports", "report-builder"), keywords=["hostPath", "DiskPressure"],
                   root_cause="report-builder revision 3 caches PDFs in a hostPath (/var/lib/report-cache) on the "
                              "node; hostPath usage is not counted as pod ephemeral storage, so the node hits "
                              "DiskPressure and the kubelet evicts other pods (image-resizer) while the cache grows.",
                   category="node-disk-pressure", red_herrings=[("Deployment", "media", "image-resizer")])
    return inc


# ------------------------------------------------------------------------------------------------
def service_selector_mismatch() -> Incident:
    """Checkout-facing pricing calls return 503: the pricing Service selects a label nobody has.

    Chart 3.0 renamed the Deployment pricing-api to pricing, so its pods are labelled app=pricing.
    The Service pricing-api was kept for clients but its selector still says app=pricing-api: it has
    no endpoints, and the frontend's Envoy sidecar answers 503 UH (no healthy upstream). The pods
    themselves are healthy. Red herring: the Redis used by pricing logs a background-save fork
    warning.
    """
    at = datetime(2026, 11, 24, 12, 10, tzinfo=UTC)
    inc = Incident("pricing-503s", title="PagerDuty: frontend price lookups failing", story=service_selector_mismatch
                   .__doc__ or "", at=at, seed=208, namespaces=("pricing",))
    inc.secret("pricing", "pricing-redis", {"password": inc.canary("password", "pricing-redis")})
    go: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 120, lambda i, t: L.logfmt(  # noqa: E731
        t, "info", "price table refreshed", skus=48211 + i, took=f"{310 + i % 50}ms")))
    inc.deployment("pricing", "pricing", [
        Rev(1, at - 14 * M, "helm upgrade pricing ./charts/pricing --version 3.0.0 (renamed from pricing-api)",
            [c("pricing", f"{REGISTRY}/pricing/pricing:3.0.0")])], {1: [P(log=go), P(log=go)]},
        labels={"app.kubernetes.io/version": "3.0.0", "helm.sh/chart": "pricing-3.0.0"})
    inc.service("pricing", "pricing-api", {"app": "pricing-api"})

    inc.statefulset("pricing", "pricing-redis", [c("redis", "docker.io/library/redis:7.2.5", port=6379,
                                                    readiness_path=None, liveness_path=None)],
                    [P(log=lambda p, s, e: L.lines(L.ticker(s, e, 300, lambda i, t: (
                        f"1:M {t.strftime('%d %b %Y %H:%M:%S')}.{i * 7 % 1000:03d} # WARNING Memory overcommit must be"
                        " enabled! Without it, a background save or replication may fail under low memory condition. "
                        "To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf"))))],
                    at - timedelta(days=50), service=6379)
    front = inc.pods_of("web", "frontend")
    for k, h in enumerate(front):
        h.logs[h.containers[0].name] = L.lines(L.ticker(at - 12 * M, inc.captured, 9, lambda i, t, k=k, h=h: L.envoy(
            t, "GET", f"/v1/prices?sku={100200 + i * 7 + k}", 503, "UH", "-", 0, "pricing-api.pricing:80",
            L.uuidish(h.name, i), details="no_healthy_upstream") if i % 4 else L.envoy(
            t, "GET", "/v1/catalog/featured", 200, "-", "10.244.3.22:8080", 41, "catalog.shop:80",
            L.uuidish(h.name, i))))
    inc.pagerduty("[FIRING] frontend: price lookups 503 for 10m", "web-frontend")
    inc.answer_key(culprit=("Service", "pricing", "pricing-api"), keywords=["selector", "endpoints"],
                   root_cause="The pricing-api Service selector is still app=pricing-api but chart 3.0 renamed the "
                              "Deployment and its pods are labelled app=pricing, so the Service has no endpoints and "
                              "the frontend's Envoy returns 503 no healthy upstream.",
                   category="service-selector-mismatch", red_herrings=[("StatefulSet", "pricing", "pricing-redis")])
    return inc


# ------------------------------------------------------------------------------------------------
def cpu_limit_throttling() -> Incident:
    """geocoder's p99 latency goes from 80ms to 2s+: a new CPU limit throttles it at peak.

    A cost clean-up (revision 14) set resources.limits.cpu to 250m on geocoder (Go), which was
    unlimited. At the morning peak its request handling needs ~0.8 core per pod; CFS throttles
    it most of every period, requests queue and time out in the web frontend. No restarts, no
    errors in geocoder's own log, memory flat. Red herring: the Elasticsearch-like search service
    logs slow queries.
    """
    at = datetime(2026, 11, 25, 8, 45, tzinfo=UTC)
    inc = Incident("geocoder-slow", title="geocoder p99 latency above 2s", story=cpu_limit_throttling.__doc__ or "",
                   at=at, seed=209, namespaces=("geo",))
    inc.secret("geo", "maps-provider", {"api-key": inc.canary("token", "maps-provider")})
    change = at - 50 * M
    gl: LogFn = lambda p, s, e: L.lines(L.ticker(max(s, at - 30 * M), e, 60, lambda i, t: L.js(  # noqa: E731
        t, "info", "stats", rps=410 + i * 13 % 60, cache_hit=0.87, goroutines=380 + i * 31 % 900)))
    wl = inc.deployment("geo", "geocoder", [
        Rev(13, at - timedelta(days=21), "deploy 2.3.1", [c("geocoder", f"{REGISTRY}/geo/geocoder:2.3.1",
                                                           cpu_request="250m")]),
        Rev(14, change, "chore(resources): set CPU limits for cost review (FINOPS-212)",
            [c("geocoder", f"{REGISTRY}/geo/geocoder:2.3.1", cpu_request="250m", cpu_limit="250m")])],
        {14: [P(log=gl) for _ in range(3)]})
    inc.service("geo", "geocoder", {"app": "geocoder"})

    def load(t: datetime) -> float:
        """Cores one pod would use unthrottled: 0.25 overnight, 0.8 at the morning peak."""
        return 0.25 + 0.55 * min(1.0, max(0.0, (t - (at - 40 * M)).total_seconds() / 1800))

    for h in wl.pods:
        base = {"namespace": "geo", "pod": h.name, "container": "geocoder", "job": "kubelet"}
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.", {**base},
                   lambda t, h=h: None if t < h.created else round((t - h.created).total_seconds() * min(0.25, load(t))
                                                                   , 3))
        inc.series("container_cpu_cfs_periods", "counter", "Number of elapsed enforcement period intervals.",
                   {**base}, lambda t, h=h: None if t < h.created else float(int((t - h.created).total_seconds() * 10)))
        inc.series("container_cpu_cfs_throttled_periods", "counter", "Number of throttled period intervals.",
                   {**base}, lambda t, h=h: None if t < h.created else float(int(
                       (t - h.created).total_seconds() * 10 * min(0.92, max(0.0, load(t) - 0.25) / 0.6))))
    inc.series("http_request_duration_seconds:p99", "gauge", "p99 latency recorded by the mesh (recording rule).",
               {"namespace": "geo", "service": "geocoder"},
               lambda t: 0.08 if t < change else round(0.08 + 2.3 * min(1.0, (t - change).total_seconds() / 3000), 3))
    _herring_log(inc, "shop", "search", L.lines(L.ticker(at - 30 * M, inc.captured, 120, lambda i, t: (
        f"[{t.strftime('%Y-%m-%dT%H:%M:%S')},{i:03d}][WARN ][i.s.s.query              ] [search-0] [products][2] "
        f"took[{1100 + i * 91 % 700}ms], took_millis[{1100 + i * 91 % 700}], total_hits[{2300 + i} hits], "
        'search_type[QUERY_THEN_FETCH], source[{"query":{"match":{"title":"winter"}}}]'))))
    inc.pagerduty("geocoder p99 latency above 2s for 15m (SLO geocoder-latency)", "geo-geocoder")
    inc.answer_key(culprit=("Deployment", "geo", "geocoder"), keywords=["throttl", "cpu limit"],
                   root_cause="Revision 14 set a CPU limit of 250m on geocoder; at the morning peak each pod needs "
                              "~0.8 core, so CFS throttling stalls it most of every period and p99 latency climbs "
                              "past 2s. Raise or remove the cpu limit.",
                   category="cpu-throttling", red_herrings=[("Deployment", "shop", "search")])
    return inc


# ------------------------------------------------------------------------------------------------
def postgres_max_connections() -> Incident:
    """inventory-api times out getting DB connections: a scaled-up reconciler took every Postgres slot.

    stock-reconciler (Java, HikariCP maximumPoolSize 30) was scaled from 1 to 3 replicas at 16:00
    for the stock-take. With inventory-api's 3 x 10 and 3 reserved superuser slots, Postgres's
    max_connections of 100 is reached; new connections fail with "sorry, too many clients already"
    and inventory-api's pool waits 30s for a connection. Red herring: an nginx in front of a
    static assets bucket logs upstream timeouts.
    """
    at = datetime(2026, 11, 26, 16, 12, tzinfo=UTC)
    inc = Incident("inventory-api-timeouts", title="inventory-api availability burning error budget",
                   story=postgres_max_connections.__doc__ or "", at=at, seed=210, namespaces=("inventory",))
    pw = inc.canary("password", "inventory-db")
    inc.secret("inventory", "inventory-db", {"username": "inventory", "password": pw})
    scaled = at - 12 * M
    env = [{"name": "SPRING_DATASOURCE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "inventory-db",
                                                                                  "key": "password"}}}]

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < scaled + M or i % 3 == 0:
                return L.spring(t, "INFO", "c.a.inventory.web.StockController", f"GET /v1/stock/{5500 + i} 200",
                                thread=f"http-nio-8080-exec-{1 + i % 10}")
            return L.spring(t, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                            "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=4, "
                            "active=4, idle=0, waiting=37)", thread=f"http-nio-8080-exec-{1 + i % 10}")
        return L.lines(L.ticker(max(start, at - 30 * M), end, 15, line))

    inc.deployment("inventory", "inventory-api", [
        Rev(22, at - timedelta(days=5), "deploy 5.1.3", [c("inventory-api", f"{REGISTRY}/inventory/inventory-api:5.1.3",
                                                          env=env)])], {22: [P(log=api_log) for _ in range(3)]})
    rec: LogFn = lambda p, s, e: L.lines([(s, L.spring(s, "INFO", "com.zaxxer.hikari.HikariDataSource",  # noqa: E731
                                                       "HikariPool-1 - Start completed.")), *L.ticker(
        s + 30 * S, e, 60, lambda i, t: L.spring(t, "INFO", "c.a.reconciler.StockTakeJob",
                                                 f"reconciled warehouse=WH-{3 + i % 4} skus={1200 + i * 17} "
                                                 f"threads=30", thread=f"task-{1 + i % 8}"))])
    rec_spec = {"env": [*env, {"name": "SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE", "value": "30"}]}
    wl = inc.deployment("inventory", "stock-reconciler", [
        Rev(4, at - timedelta(days=8), "deploy 1.4.0", [c("stock-reconciler",
                                                         f"{REGISTRY}/inventory/stock-reconciler:1.4.0", env=env)],
            container=rec_spec)],
        {4: [P(log=rec), P(log=rec, created=scaled + 5 * S), P(log=rec, created=scaled + 6 * S)]})
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[4]} to 3 from 1", scaled, warning=False,
              component="deployment-controller")

    def pg_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str | None:
            if t < scaled + 40 * S:
                return None
            return L.postgres(t, "FATAL", "sorry, too many clients already", pid=7000 + i) if i % 5 else \
                L.postgres(t, "FATAL", "remaining connection slots are reserved for roles with the SUPERUSER "
                           "attribute", pid=7000 + i)
        ready = (start, L.postgres(start, "LOG", "database system is ready to accept connections"))
        return L.lines([ready, *L.ticker(max(start, at - 30 * M), end, 6, line)])

    inc.statefulset("inventory", "inventory-postgres", [c("postgres", "docker.io/library/postgres:15.8", port=5432,
                                                           readiness_path=None, liveness_path=None)],
                    [P(log=pg_log)], at - timedelta(days=90), claims=[("data", "200Gi", "gp3")], service=5432)
    inc.configmap("inventory", "inventory-postgres-conf", {
        "postgresql.conf": "max_connections = 100\nsuperuser_reserved_connections = 3\nshared_buffers = 2GB\n"})
    db = {"namespace": "inventory", "service": "inventory-postgres", "job": "postgres-exporter"}
    inc.series("pg_stat_database_numbackends", "gauge", "Number of backends currently connected to this database.",
               {**db, "datname": "inventory"}, lambda t: 97.0 if t > scaled + 30 * S else 51.0 + (t.minute % 4))
    inc.series("pg_settings_max_connections", "gauge", "Sets the maximum number of concurrent connections.", {**db},
               lambda t: 100.0)
    nginx: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 500, lambda i, t: L.nginx_error(  # noqa: E731
        t, "upstream timed out (110: Connection timed out) while reading response header from upstream, client: "
           f"10.244.1.{9 + i % 5}, server: assets.example.com, request: \"GET /img/p/{7781 + i}.webp HTTP/1.1\", "
           'upstream: "https://52.218.24.11:443/img/p/' + str(7781 + i) + '.webp", host: "assets.example.com"')))
    inc.deployment("inventory", "assets-proxy", [
        Rev(2, at - timedelta(days=40), "helm upgrade", [c("nginx", "docker.io/library/nginx:1.27.2")])],
        {2: [P(log=nginx)]})
    inc.slo_burn("inventory-api", "inventory", "inventory-api-availability", "0.995", 16.2,
                 "inventory-api is burning its 30d error budget 16.2x too fast over the last hour.")
    inc.answer_key(culprit=("Deployment", "inventory", "stock-reconciler"),
                   keywords=["too many clients", "max_connections"],
                   root_cause="stock-reconciler was scaled to 3 replicas with a HikariCP pool of 30 each; with "
                              "inventory-api's pools that exceeds Postgres max_connections (100), so new connections "
                              "fail with too many clients already and inventory-api times out waiting for one.",
                   category="db-connections-exhausted", red_herrings=[("Deployment", "inventory", "assets-proxy")])
    return inc


# ------------------------------------------------------------------------------------------------
def wrong_architecture_image() -> Incident:
    """feature-store 2.0.0 crashes instantly: the image was built for arm64 on a laptop.

    The release was pushed by hand from an Apple-silicon laptop (`docker build` without
    --platform), so the binary is arm64 while every node is amd64. The container dies at once with
    "exec format error" (exit 255) and goes into CrashLoopBackOff; the old ReplicaSet still
    serves. Red herring: the Kafka client of recommendations keeps warning about a slow broker.
    """
    at = datetime(2026, 11, 27, 17, 20, tzinfo=UTC)
    inc = Incident("feature-store-crashloop", title="KubeContainerWaiting ml/feature-store",
                   story=wrong_architecture_image.__doc__ or "", at=at, seed=211, namespaces=("ml",))
    inc.secret("ml", "feature-store-redis", {"REDIS_PASSWORD": inc.canary("password", "fs-redis")})
    env = [{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "feature-store-redis",
                                                                      "key": "REDIS_PASSWORD"}}}]
    crash: LogFn = lambda p, s, e: L.lines([(s, "exec /usr/local/bin/feature-store: exec format error")])  # noqa: E731
    ok: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 200, lambda i, t: L.logfmt(  # noqa: E731
        t, "info", "served features", entity="customer", keys=2000 + i * 11 % 300, p99_ms=7)))
    inc.deployment("ml", "feature-store", [
        Rev(9, at - timedelta(days=11), "ci: release 1.9.4", [c("feature-store", f"{REGISTRY}/ml/feature-store:1.9.4",
                                                               env=env)]),
        Rev(10, at, "manual: kubectl set image deployment/feature-store feature-store=registry.example.com/ml/"
                    "feature-store:2.0.0 (pushed from laptop)",
            [c("feature-store", f"{REGISTRY}/ml/feature-store:2.0.0", env=env)])],
        {9: [P(log=ok), P(log=ok)], 10: [P("crashloop", log=crash, exit_code=255, run_s=lambda n: 0.4)]},
        progress="deadline", replicas=2, max_surge="1", max_unavailable="0")
    _herring_log(inc, "web", "recommendations", L.lines(L.ticker(at - 30 * M, inc.captured, 75, lambda i, t: (
        f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{i * 3 % 1000:03d}] WARN [Producer clientId=recs-producer] Got error "
        f"produce response with correlation id {88000 + i} on topic-partition recs.events-{i % 6}, retrying "
        "(2147483646 attempts left). Error: REQUEST_TIMED_OUT (org.apache.kafka.clients.producer.internals.Sender)"))))
    pod = inc.pods_of("ml", "feature-store")[-1].name
    inc.alertmanager("KubeContainerWaiting", {"namespace": "ml", "pod": pod, "container": "feature-store",
                                              "reason": "CrashLoopBackOff", "job": "kube-state-metrics"},
                     "Pod container waiting longer than 1 hour",
                     f"pod/{pod} in namespace ml on container feature-store has been in waiting state for longer "
                     "than 1 hour. (reason: \"CrashLoopBackOff\")",
                     'sum by (namespace, pod, container, job) (kube_pod_container_status_waiting_reason'
                     '{job="kube-state-metrics"}) > 0', starts=at + 2 * M)
    inc.pod_series(inc.pods_of("ml", "feature-store"))
    inc.answer_key(culprit=("Deployment", "ml", "feature-store"), keywords=["exec format error", "arm64"],
                   root_cause="Image feature-store:2.0.0 was built and pushed from an Apple-silicon laptop, so its "
                              "binary is arm64 on amd64 nodes; the container dies with exec format error and "
                              "crash-loops. Rebuild for linux/amd64 or roll back to 1.9.4.",
                   category="wrong-image-architecture", red_herrings=[("Deployment", "web", "recommendations")])
    return inc


# ------------------------------------------------------------------------------------------------
def ingress_wrong_service_port() -> Incident:
    """docs.example.com returns 503 after an Ingress edit pointed the backend at a port the Service lacks.

    A PR moved docs-site's Ingress from `port.name: http` to `port.number: 8080` (the container
    port). The Service only exposes port 80 (targetPort 8080), so ingress-nginx finds no matching
    service port, has no upstream endpoints, and serves 503 for every request. The pods and the
    Service are healthy. Red herring: the docs search indexer CronJob-like Deployment logs .NET
    retries against an external API.
    """
    at = datetime(2026, 11, 28, 10, 5, tzinfo=UTC)
    inc = Incident("docs-site-503", title="docs.example.com is down", story=ingress_wrong_service_port.__doc__ or "",
                   at=at, seed=212, namespaces=("docs",))
    inc.secret("docs", "algolia", {"admin-key": inc.canary("token", "algolia-admin")})
    edited = at - 3 * M
    site: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 600, lambda i, t: L.js(  # noqa: E731
        t, "info", "cache warmed", pages=1840 + i, ms=220 + i % 30)))
    inc.deployment("docs", "docs-site", [
        Rev(3, at - timedelta(days=16), "deploy 2026.11.12",
            [c("docs-site", f"{REGISTRY}/docs/docs-site:2026.11.12")])],
        {3: [P(log=site), P(log=site)]})
    inc.service("docs", "docs-site", {"app": "docs-site"}, port=80, target=8080)
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "docs-site", "namespace": "docs", "generation": 4,
                          "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m",
                                          "argocd.argoproj.io/tracking-id": "docs:networking.k8s.io/Ingress:docs/"
                                                                            "docs-site",
                                          "kubernetes.io/change-cause": "PR #418: use explicit backend port"},
                          "managedFields": [{"manager": "argocd-controller", "operation": "Apply",
                                             "time": ts(edited)}]},
             "spec": {"ingressClassName": "nginx",
                      "tls": [{"hosts": ["docs.example.com"], "secretName": "docs-example-com-tls"}],
                      "rules": [{"host": "docs.example.com", "http": {"paths": [{
                          "path": "/", "pathType": "Prefix",
                          "backend": {"service": {"name": "docs-site", "port": {"number": 8080}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-3f2a.elb.eu-west-1."
                                                                  "amazonaws.com"}]}}})
    inc.event(inc.find("Ingress", "docs", "docs-site"), "Sync", "Scheduled for sync", edited, warning=False,
              component="nginx-ingress-controller")
    ctrl = inc.pods_of("ingress-nginx", "ingress-nginx-controller")
    for k, h in enumerate(ctrl):
        out = [(edited + 2 * S, L.klog(edited + 2 * S, "I", "store.go:440",
                                       'Found valid IngressClass ingress="docs/docs-site" ingressclass="nginx"',
                                       pid=7)),
               (edited + 3 * S, L.klog(edited + 3 * S, "W", "controller.go:1216",
                                       'Service "docs/docs-site" does not have any active Endpoint.',
                                       pid=7))]
        out += L.ticker(edited + 5 * S, inc.captured, 7, lambda i, t, k=k: L.nginx_access(
            t, f"81.2.{60 + i % 40}.{k + 3}", f"GET /guides/{['install', 'upgrade', 'api', 'faq'][i % 4]}", 503, 190,
            "docs-docs-site-8080", "", 0.000))
        h.logs[h.containers[0].name] = L.lines(out)
    idx: LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 300, lambda i, t: (  # noqa: E731
        "warn: Docs.Indexer.AlgoliaSync[0]\n      Retrying batch " + str(300 + i) + " after 429 Too Many Requests "
        "from https://acme-dsn.algolia.net/1/indexes/docs/batch (attempt " + str(1 + i % 3) + ")")))
    inc.deployment("docs", "docs-indexer", [
        Rev(1, at - timedelta(days=30), "deploy 1.0.2", [c("docs-indexer", f"{REGISTRY}/docs/docs-indexer:1.0.2",
                                                          port=None)])], {1: [P(log=idx)]})
    inc.ask("docs.example.com has been returning 503 for a few minutes, but the docs pods look fine. What broke?")
    inc.answer_key(culprit=("Ingress", "docs", "docs-site"), keywords=["port", "8080"],
                   root_cause="The docs-site Ingress backend now references service port number 8080, but the "
                              "docs-site Service only exposes port 80 (targetPort 8080); ingress-nginx has no active "
                              "endpoint for that port and serves 503. Point the Ingress at port 80 or port name http.",
                   category="ingress-backend-port", red_herrings=[("Deployment", "docs", "docs-indexer")])
    return inc


ALL = [dns_search_path_timeouts, jvm_liveness_kill, quota_blocks_rollout, pdb_blocks_drain, rotated_db_password,
       webhook_timeout_blocks_pods, hostpath_disk_pressure, service_selector_mismatch, cpu_limit_throttling,
       postgres_max_connections, wrong_architecture_image, ingress_wrong_service_port]
