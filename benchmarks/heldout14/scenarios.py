"""Round 14 of the held-out incident set: twelve application and data-layer incidents, evidence spread out.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday production failure it re-creates (our own names and text,
nothing copied). The stacks are those earlier rounds used little: RabbitMQ, MySQL behind HikariCP,
Node.js behind ingress-nginx, Go gRPC clients, S3 through Crossplane, OpenFeature flags, MongoDB,
Elasticsearch, Cassandra, SQS FIFO queues, bcrypt in Node.js and a Traefik gateway. The change sits
in one object or namespace, the errors in another, the metrics in a third. Bundle names, titles and
questions say only the symptom. Log lines follow the real software's formats.
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers -----------------------------------------------------------------------------------
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


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
        at: datetime | None = None, **kw: Any) -> Any:
    """A settled Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, at or inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def metric(inc: Incident, family: str, type_: str, help_: str, labels: dict[str, str],
           fn: Callable[[datetime], float | None], step_s: int = 60) -> None:
    """One series as its exporter names it: a counter is declared without `_total` (the writer appends it), and
    the labels are copied (the writer keeps each series' dict)."""
    inc.series(family.removesuffix("_total") if type_ == "counter" else family, type_, help_, dict(labels), fn,
               step_s)


def observe(inc: Incident, *workloads: tuple[str, str]) -> None:
    """cAdvisor's working set and kube-state-metrics' restarts for the pods of the workloads involved: the
    series any Prometheus scraping the cluster has, whether or not they show the cause."""
    for ns, name in workloads:
        inc.pod_series(inc.pods_of(ns, name))


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
          severity: str = "warning", runbook: str | None = None) -> dict[str, Any]:
    """One Prometheus alert as Alertmanager sends it (not yet wrapped in a notification)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": runbook or f"https://wiki.example.com/runbooks/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def notify(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """The Alertmanager v4 webhook notification carrying `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, group: str, kind: str, plural: str, scope: str = "Namespaced", version: str = "v1beta1",
        columns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The CustomResourceDefinition a custom resource needs to be listed and served."""
    return inc.add({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "scope": scope,
                 "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                 "versions": [{"name": version, "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}},
                               "additionalPrinterColumns": columns or []}]},
        "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def ingress(inc: Incident, ns: str, name: str, host: str, service: str, path: str = "/",
            annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """An ingress-nginx Ingress routing `host` + `path` to port 80 of `service`."""
    return inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}},
        "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                 "rules": [{"host": host, "http": {"paths": [{"path": path, "pathType": "Prefix", "backend": {
                     "service": {"name": service, "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [
            {"hostname": "k8s-ingressn-ingressn-5d1c2b3a4f-6e7d8c9b0a1f2e3d.elb.eu-west-1.amazonaws.com"}]}}})


def job_run(inc: Incident, ns: str, name: str, image: str, start: datetime, end: datetime, log: str,
            owner: dict[str, Any] | None = None, annotations: dict[str, str] | None = None,
            env: list[dict[str, Any]] | None = None, command: list[str] | None = None,
            container_name: str = "job") -> dict[str, Any]:
    """A Job that ran to completion, its (kept) pod with its log, and the job controller's events."""
    container = c(container_name, image, port=None, readiness_path=None,
                  liveness_path=None, env=env or [])
    spec = container.spec()
    if command:
        spec["command"] = command
    job: dict[str, Any] = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(start),
                     "labels": {"job-name": name}, "annotations": annotations or {}},
        "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1, "completionMode": "NonIndexed",
                 "template": {"metadata": {"labels": {"job-name": name}},
                              "spec": {"restartPolicy": "Never", "containers": [spec]}}},
        "status": {"startTime": ts(start), "completionTime": ts(end), "succeeded": 1, "ready": 0,
                   "terminating": 0, "uncountedTerminatedPods": {},
                   "conditions": [{"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": ts(end),
                                   "lastTransitionTime": ts(end)},
                                  {"type": "Complete", "status": "True", "lastProbeTime": ts(end),
                                   "lastTransitionTime": ts(end)}]}}
    if owner:
        job["metadata"]["ownerReferences"] = [owner]
    inc.add(job)
    pod = f"{name}-{o.suffix(name + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=pod, namespace=ns, workload=name, containers=[container], node=inc.cluster.pick_node(pod),
        created=start, states=[o.ContainerState(started_at=start + timedelta(seconds=3), ready=False)],
        labels={"job-name": name, "batch.kubernetes.io/job-name": name},
        owner=o.owner_ref("Job", name, ns, "batch/v1"), logs={container.name: log}))
    h.ready = lambda t: False
    inc.cluster.patch(ns, pod, terminated(0, "Completed", start + timedelta(seconds=3), end, phase="Succeeded"))
    if command:
        inc.cluster.patch(ns, pod, lambda p: p["spec"]["containers"][0].update({"command": command}))
    inc.cluster.add_event(job, "SuccessfulCreate", f"Created pod: {pod}", start, start, component="job-controller")
    inc.cluster.add_event(job, "Completed", "Job completed", end, end, component="job-controller")
    return job


def access(t: datetime, client: str, host: str, path: str, status: int, size: int, upstream: str, rt: float,
           i: int) -> str:
    """ingress-nginx's default log-format-upstream line for a request proxied to `upstream`:8080."""
    return (f'{client} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET {path} HTTP/1.1" {status} {size} "-" '
            f'"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)" 431 {rt:.3f} [web-storefront-bff-80] [] '
            f'{upstream}:8080 {0 if status == 502 else size} {rt:.3f} {status} {L.uuidish(host, i)[:32]}')


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def rmq(t: datetime, level: str, msg: str, pid: str = "<0.812.0>") -> str:
    """RabbitMQ 3.13's default log line."""
    return f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond:06d}+00:00 [{level}] {pid} {msg}"


def mysqld(t: datetime, thread: int, level: str, code: str, msg: str) -> str:
    """MySQL 8's error log line."""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}Z {thread} [{level}] [{code}] [Server] {msg}"


def pino(t: datetime, level: int, msg: str, **fields: object) -> str:
    """A pino (Node.js) JSON line: numeric level, epoch milliseconds."""
    import json
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": fields.pop(
        "hostname", "app"), **fields, "msg": msg}, separators=(",", ":"))


def cassandra(t: datetime, level: str, thread: str, source: str, msg: str) -> str:
    """Cassandra's system.log pattern (%-5level [%thread] %date{ISO8601} %F:%L - %msg)."""
    return f"{level:<5} [{thread}] {t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} {source} - {msg}"


def mongod(t: datetime, component: str, ident: int, ctx: str, msg: str, attr: dict[str, Any]) -> str:
    """mongod 6's structured JSON log line."""
    import json
    stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"
    return json.dumps({"t": {"$date": stamp}, "s": "I", "c": component, "id": ident, "ctx": ctx, "msg": msg,
                       "attr": attr}, separators=(",", ":"))


# ---- 1. RabbitMQ policy -------------------------------------------------------------------------
AT1 = datetime(2026, 11, 16, 15, 10, tzinfo=UTC)


def orders_not_shipping_page() -> Incident:
    """rabbitmq-policy-message-ttl-expires-backlog: a queue policy copied with message-ttl 60 s expires queued orders.

    after: public RabbitMQ war stories and the RabbitMQ docs' warning that a policy applies to every queue
    its pattern matches: a TTL meant for one family of queues lands on another, and messages waiting in a
    backlog longer than the TTL are dead-lettered (or dropped) without any consumer ever seeing them.

    A platform engineer edits the messaging-topology-operator Policy messaging/orders-queues (pattern
    `^orders\\.`, previously only `max-length`) at 14:00, copying `message-ttl: 60000` and a dead-letter
    exchange from the notifications policy. fulfilment-worker drains orders.created at about 20 msg/s;
    at the afternoon peak 32 msg/s arrive, the backlog waits more than a minute and RabbitMQ expires the
    oldest messages into dlq.orders.created. Paid orders never reach fulfilment; a sweeper in fulfilment
    counts them and pages. The evidence: the Policy's managedFields and the operator's log (another
    namespace), RabbitMQ's "Successfully set policy" line, the DLQ depth and the dead-lettered-expired
    counter. Red herring: fulfilment/label-printer rolled out 40 minutes before.
    """
    inc = Incident("orders-not-shipping-page", title="Paid orders are not being shipped",
                   story=orders_not_shipping_page.__doc__ or "", at=AT1, seed=1401,
                   namespaces=("messaging", "fulfilment", "rabbitmq-system"))
    edit = AT1 - timedelta(minutes=70)
    peak = AT1 - timedelta(minutes=55)
    crd(inc, "rabbitmq.com", "Policy", "policies")
    crd(inc, "rabbitmq.com", "RabbitmqCluster", "rabbitmqclusters", version="v1beta1")
    inc.add({"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
             "metadata": {"name": "rabbitmq", "namespace": "messaging"},
             "spec": {"replicas": 3, "image": "docker.io/library/rabbitmq:3.13.7-management"},
             "status": {"conditions": [{"type": "AllReplicasReady", "status": "True"}]}})
    policy = inc.add({
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "Policy",
        "metadata": {"name": "orders-queues", "namespace": "messaging", "generation": 4},
        "spec": {"name": "orders-queues", "vhost": "/", "pattern": "^orders\\.", "applyTo": "queues", "priority": 1,
                 "definition": {"max-length": 500000, "message-ttl": 60000, "dead-letter-exchange": "orders.dlx"},
                 "rabbitmqClusterReference": {"name": "rabbitmq"}},
        "status": {"observedGeneration": 4, "conditions": [
            {"type": "Ready", "status": "True", "reason": "SuccessfulCreateOrUpdate",
             "lastTransitionTime": ts(edit + timedelta(seconds=2))}]}})
    changed(policy,
            ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=6),
             {"f:spec": {"f:name": {}, "f:pattern": {}, "f:applyTo": {}, "f:vhost": {}, "f:definition": {}}}),
            ("kubectl-edit", "Update", edit, {"f:spec": {"f:definition": {}}}))
    inc.add({"apiVersion": "rabbitmq.com/v1beta1", "kind": "Policy",
             "metadata": {"name": "notifications-queues", "namespace": "messaging"},
             "spec": {"name": "notifications-queues", "vhost": "/", "pattern": "^notifications\\.",
                      "applyTo": "queues", "definition": {"message-ttl": 60000,
                                                          "dead-letter-exchange": "notifications.dlx"},
                      "rabbitmqClusterReference": {"name": "rabbitmq"}}})

    def broker(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=9), rmq(start, "info", "Server startup complete; 6 plugins "
                                                         "started.", "<0.254.0>"))]
        out += L.ticker(end - timedelta(hours=2), end, 97, lambda i, t: rmq(
            t, "info", f"accepting AMQP connection <0.{9000 + i}.0> (10.244.{1 + i % 4}.{30 + i % 40}:{41000 + i} "
            "-> 10.244.2.15:5672)", f"<0.{9000 + i}.0>"))
        if pod.endswith("-0"):
            out.append((edit + timedelta(seconds=1), rmq(
                edit + timedelta(seconds=1), "info", "Successfully set policy 'orders-queues' matching queues names "
                "in virtual host '/' using pattern '^orders\\.'", "<0.31877.0>")))
        return out

    inc.statefulset("messaging", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                                memory_limit="4Gi", memory_request="2Gi", port=5672)],
                    [P(log=within(broker)) for _ in range(3)], inc.born + timedelta(days=2), service=5672)

    def operator(pod: str, start: datetime, end: datetime) -> Lines:
        return [(edit + timedelta(seconds=1), L.js(edit, "info", "successfully set policy", logger="policy-controller",
                                                   Policy={"name": "orders-queues", "namespace": "messaging"})),
                (end - timedelta(minutes=40), L.js(end, "info", "successfully set policy", logger="policy-controller",
                                                   Policy={"name": "notifications-queues",
                                                           "namespace": "messaging"}))]

    app(inc, "rabbitmq-system", "messaging-topology-operator",
        "docker.io/rabbitmqoperator/messaging-topology-operator:1.14.2", 1, within(operator), port=9782)

    def worker(pod: str, start: datetime, end: datetime) -> Lines:
        first = sum(pod.encode()) % 3
        out = L.ticker(end - timedelta(hours=2) + timedelta(seconds=7 * first), end, 23, lambda i, t: L.spring(
            t, "INFO", "c.a.fulfilment.ShipmentListener",
            f"Shipment requested for order {8810000 + i * 9 + first} (carrier=dhl, items={1 + (i + first) % 4})",
            thread=f"ntContainer#0-{1 + i % 4}"))
        return out

    def sweeper(pod: str, start: datetime, end: datetime) -> Lines:  # the leader-elected pod also runs the sweeper
        return worker(pod, start, end) + L.ticker(peak, end, 300, lambda i, t: L.spring(
            t, "WARN", "c.a.fulfilment.OrderSweeper",
            f"{60 + 70 * i} orders PAID for more than 30 min with no shipment request received "
            "(oldest: order 8807311)", thread="scheduling-1"))

    workers = app(inc, "fulfilment", "fulfilment-worker", f"{REGISTRY}/fulfilment/fulfilment-worker:7.4.1", 3,
                  within(worker), memory_limit="1Gi")
    leader = workers.pods[0]
    leader.logs["fulfilment-worker"] = within(sweeper)(leader.name, leader.states[0].started_at or leader.created,
                                                        inc.captured)
    herring(inc, "fulfilment", "label-printer", f"{REGISTRY}/fulfilment/label-printer", "2.2.0",
            AT1 - timedelta(minutes=40))
    plant(inc, "messaging", "rabbitmq-default-user", "password", "rabbitmq", "password")
    plant(inc, "fulfilment", "fulfilment-amqp", "password", "fulfilment-amqp", "AMQP_PASSWORD")

    def inflow(t: datetime) -> float:
        return 32.0 if peak <= t else 18.0

    def ready(t: datetime) -> float:
        if t < peak:
            return 40.0
        waited = (t - peak).total_seconds()
        grown = 12.0 * waited
        return round(min(grown, 1150.0) if t >= edit else grown, 0)

    rq = {"job": "rabbitmq", "namespace": "messaging", "vhost": "/"}
    metric(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
               {**rq, "queue": "orders.created"}, ready)
    metric(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
               {**rq, "queue": "dlq.orders.created"},
               lambda t: 0.0 if t < peak else round(12.0 * max(0.0, (t - peak).total_seconds() - 96), 0))
    metric(inc, "rabbitmq_global_messages_dead_lettered_expired_total", "counter",
               "Total number of messages dead-lettered due to message TTL exceeded",
               {**rq, "queue_type": "rabbit_classic_queue", "dead_letter_strategy": "at_most_once"},
               lambda t: 0.0 if t < peak else round(12.0 * max(0.0, (t - peak).total_seconds() - 96), 0))
    metric(inc, "rabbitmq_queue_messages_published_total", "counter", "Total number of messages published to queues",
               {**rq, "queue": "orders.created"}, lambda t: round(sum(
                   inflow(inc.at - timedelta(hours=2) + timedelta(minutes=m)) * 60 for m in range(
                       max(0, int((t - inc.at + timedelta(hours=2)).total_seconds() // 60)))), 0))
    metric(inc, "fulfilment_orders_unshipped", "gauge", "Orders paid more than 30 minutes ago without a shipment",
               {"namespace": "fulfilment", "job": "fulfilment-worker"},
               lambda t: 0.0 if t < peak + timedelta(minutes=5) else round((t - peak).total_seconds() / 4.4, 0))
    inc.pagerduty("OrdersStuckInPaid: 412 orders paid > 30 min without a shipment request (fulfilment)",
                  "Fulfilment")
    observe(inc, ("fulfilment", "fulfilment-worker"), ("messaging", "rabbitmq"))
    inc.answer_key(
        culprit=("Policy", "messaging", "orders-queues"),
        keywords=["message-ttl", "expire", "dead-letter", "backlog"],
        root_cause="The RabbitMQ Policy messaging/orders-queues was edited at 14:00 to add message-ttl 60000 "
                   "and a dead-letter exchange copied from the notifications policy; at peak the orders.created "
                   "backlog waits longer than 60 s, so RabbitMQ makes queued orders expire into "
                   "dlq.orders.created (dead-letter) before fulfilment-worker consumes them.",
        category="rabbitmq-policy-message-ttl-expires-backlog",
        red_herrings=[("Deployment", "fulfilment", "label-printer")])
    return inc


# ---- 2. MySQL wait_timeout ----------------------------------------------------------------------
AT2 = datetime(2026, 11, 17, 3, 25, tzinfo=UTC)


def accounts_api_errors_burn() -> Incident:
    """mysql-wait-timeout-below-pool-max-lifetime: MySQL's wait_timeout cut to 60 s under HikariCP's 30 min pool.

    after: the HikariCP wiki's "maxLifetime must be shorter than the database's wait_timeout" and the many
    "Communications link failure ... last packet successfully received from the server was N ms ago"
    incidents: a server that closes idle connections before the client pool retires them hands the
    application dead connections, worst at night when connections sit idle.

    A "tuning" values change rolls StatefulSet mysql/accounts-mysql at 22:40 with `--wait-timeout=60
    --interactive-timeout=60` (was the default 28800). accounts-api (Spring Boot, HikariCP maxLifetime
    30 min, minimumIdle 10) runs quiet at night; every connection idle for a minute is closed by mysqld
    ("Got timeout reading communication packets"), Hikari's validation fails and requests wait 30 s
    for a connection or fail with a communications link failure. Evidence: the StatefulSet args and
    managedFields, mysqld's aborted-connection notes, mysqld_exporter's wait_timeout variable and
    aborted clients, Hikari's warnings in another namespace. Red herring: accounts/avatar-service rollout.
    """
    inc = Incident("accounts-api-errors-burn", title="accounts-api error budget burning overnight",
                   story=accounts_api_errors_burn.__doc__ or "", at=AT2, seed=1402, namespaces=("mysql", "accounts"))
    edit = AT2 - timedelta(hours=4, minutes=45)
    bad = AT2 - timedelta(hours=1, minutes=30)
    args = ["--character-set-server=utf8mb4", "--max-connections=600", "--innodb-buffer-pool-size=6G",
            "--wait-timeout=60", "--interactive-timeout=60"]

    clients = ["10.244.1.40"]  # accounts-api's pod IPs, filled in once its pods exist

    def server(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=2), mysqld(start, 0, "System", "MY-010116",
                                                            "/usr/sbin/mysqld (mysqld 8.0.39) starting as process 1"))]
        out.append((start + timedelta(seconds=9), mysqld(start + timedelta(seconds=9), 0, "System", "MY-010931",
                                                         "/usr/sbin/mysqld: ready for connections. Version: '8.0.39'"
                                                         "  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  "
                                                         "MySQL Community Server - GPL.")))
        out += L.ticker(bad, end, 11, lambda i, t: mysqld(
            t, 61000 + i * 3, "Note", "MY-010914",
            f"Aborted connection {61000 + i * 3} to db: 'accounts' user: 'accounts' host: "
            f"'{clients[i % len(clients)]}' (Got timeout reading communication packets)."))
        return out

    db = inc.statefulset("mysql", "accounts-mysql", [c("mysql", "docker.io/library/mysql:8.0.39", memory_limit="8Gi",
                                                       memory_request="8Gi", port=3306, readiness_path=None,
                                                       liveness_path=None)],
                         [P(log=within(server), created=edit + timedelta(minutes=1))], edit,
                         claims=[("data", "200Gi", "gp3")], service=3306)
    db.obj["spec"]["template"]["spec"]["containers"][0]["args"] = args
    db.obj["status"]["updateRevision"] = db.obj["status"]["currentRevision"]
    changed(db.obj,
            ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {"f:replicas": {}, "f:template": {}}}),
            ("helm", "Update", edit, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                'k:{"name":"mysql"}': {"f:args": {}}}}}}}))
    inc.cluster.patch("mysql", "accounts-mysql-0", lambda p: p["spec"]["containers"][0].update({"args": args}))

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(end - timedelta(hours=3), end, 120, lambda i, t: L.spring(
            t, "INFO", "c.a.accounts.web.RequestLog", f"GET /v2/accounts/{40000 + i * 13}/limits 200 {12 + i % 9}ms",
            thread=f"http-nio-8080-exec-{1 + i % 9}"))
        out += L.ticker(bad, end, 47, lambda i, t: L.spring(
            t, "WARN", "com.zaxxer.hikari.pool.PoolBase",
            f"HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@{0x5b1f29 + i:x} "
            "(No operations allowed after connection closed.). Possibly consider using a shorter maxLifetime value.",
            thread=f"http-nio-8080-exec-{1 + i % 9}"))
        out += L.ticker(bad + timedelta(seconds=20), end, 95, lambda i, t: L.spring(
            t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
            "Servlet.service() for servlet [dispatcherServlet] threw exception\n"
            "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\n"
            f"The last packet successfully received from the server was {61000 + i * 37 % 900:,} milliseconds ago. "
            "The last packet sent successfully to the server was 0 milliseconds ago.\n"
            "\tat com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:175)\n"
            "\tat com.mysql.cj.jdbc.ConnectionImpl.setAutoCommit(ConnectionImpl.java:2067)\n"
            "\tat com.zaxxer.hikari.pool.ProxyConnection.setAutoCommit(ProxyConnection.java:401)\n"
            "\tat com.acme.accounts.repo.LimitsRepository.find(LimitsRepository.java:58)",
            thread=f"http-nio-8080-exec-{1 + i % 9}"))
        return out

    api_wl = app(inc, "accounts", "accounts-api", f"{REGISTRY}/accounts/accounts-api:12.3.0", 3, within(api),
        memory_limit="1536Mi", env=[{"name": "SPRING_DATASOURCE_URL",
                                     "value": "jdbc:mysql://accounts-mysql.mysql:3306/accounts"},
                                    {"name": "SPRING_DATASOURCE_HIKARI_MAX_LIFETIME", "value": "1800000"},
                                    {"name": "SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE", "value": "10"}])
    clients[:] = [inc.cluster.pod_ip(h) for h in api_wl.pods]
    mysql_pod = db.pods[0]
    mysql_pod.logs["mysql"] = within(server)(mysql_pod.name, mysql_pod.states[0].started_at or mysql_pod.created,
                                             inc.captured)
    herring(inc, "accounts", "avatar-service", f"{REGISTRY}/accounts/avatar-service", "1.9.0",
            AT2 - timedelta(minutes=50))
    plant(inc, "accounts", "accounts-db", "password", "accounts-db", "SPRING_DATASOURCE_PASSWORD")
    plant(inc, "mysql", "accounts-mysql-root", "password", "mysql-root", "MYSQL_ROOT_PASSWORD")
    me = {"job": "mysqld-exporter", "namespace": "mysql", "instance": "accounts-mysql-0"}
    metric(inc, "mysql_global_variables_wait_timeout", "gauge", "Generic gauge metric from SHOW GLOBAL VARIABLES.",
               me, step(28800, 60, edit))
    metric(inc, "mysql_global_status_aborted_clients", "counter", "Generic metric from SHOW GLOBAL STATUS.", me,
               counter(inc.at - timedelta(hours=2), 0.0, 0.09, bad))
    for i, code in enumerate(("200", "500")):
        metric(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
                   {"namespace": "accounts", "job": "accounts-api", "uri": "/v2/accounts/{id}/limits",
                    "status": code, "outcome": "SUCCESS" if i == 0 else "SERVER_ERROR"},
                   counter(inc.at - timedelta(hours=2), 4.0 if i == 0 else 0.0, 3.3 if i == 0 else 0.7, bad))
    metric(inc, "hikaricp_connections_timeout_total", "counter", "Connection timeout total count",
               {"namespace": "accounts", "job": "accounts-api", "pool": "HikariPool-1"},
               counter(inc.at - timedelta(hours=2), 0.0, 0.2, bad))
    inc.slo_burn("accounts-api", "accounts", "accounts-api-availability", "99.9%", 21.4,
                 "5xx ratio of accounts-api is 17% over the last hour (objective 99.9%).")
    observe(inc, ("accounts", "accounts-api"), ("mysql", "accounts-mysql"))
    inc.answer_key(
        culprit=("StatefulSet", "mysql", "accounts-mysql"),
        keywords=["wait_timeout", "idle", "maxLifetime", "closed"],
        root_cause="A values change rolled StatefulSet mysql/accounts-mysql with --wait-timeout=60 (wait_timeout was "
                   "28800), "
                   "below HikariCP's maxLifetime of 30 minutes in accounts-api: mysqld closed idle connections after "
                   "60 s and the pool handed out closed connections (communications link failure, timeouts).",
        category="mysql-wait-timeout-below-pool-max-lifetime",
        red_herrings=[("Deployment", "accounts", "avatar-service")])
    return inc


# ---- 3. Node.js keepAliveTimeout ----------------------------------------------------------------
AT3 = datetime(2026, 11, 18, 12, 40, tzinfo=UTC)


def storefront_502s_grouped() -> Incident:
    """node-keepalive-timeout-below-proxy-idle-timeout: a Node.js release falls back to the 5 s keepAliveTimeout.

    after: the well-known Node.js-behind-a-proxy failure (AWS ALB and nginx write-ups): Node's HTTP server
    closes idle keep-alive sockets after 5 s by default, the proxy keeps them for 60 s, and a request sent
    on a socket Node is closing gets "upstream prematurely closed connection" and a 502.

    Deployment web/storefront-bff revision 14 (10:15, a move to Node 20 and a new server bootstrap) drops
    the SERVER_KEEPALIVE_TIMEOUT_MS=75000 setting the old bootstrap read; the server now logs
    keepAliveTimeout 5000. ingress-nginx keeps upstream connections idle up to 60 s, so a few percent of
    requests to the BFF die with 502s, only those arriving on a reused connection. The 502s and the
    "prematurely closed" errors are in ingress-nginx's logs (another namespace); the BFF's own logs show
    no errors. Red herring: web/image-resizer rolled out at 11:55.
    """
    inc = Incident("storefront-502s-grouped", title="Intermittent 502s on the shop's web and mobile hosts",
                   story=storefront_502s_grouped.__doc__ or "", at=AT3, seed=1403)
    deploy = AT3 - timedelta(hours=2, minutes=25)
    hosts = ("www.example-shop.com", "m.example-shop.com")

    def bff_log(keepalive: int) -> LogFn:
        def make(pod: str, start: datetime, end: datetime) -> Lines:
            out: Lines = [(start + timedelta(seconds=1), pino(start, 30, "server listening", hostname=pod,
                                                              port=8080, keepAliveTimeout=keepalive,
                                                              headersTimeout=keepalive + 1000 if keepalive > 5000
                                                              else 60000))]
            out += L.ticker(end - timedelta(hours=2), end, 41, lambda i, t: pino(
                t, 30, "request completed", hostname=pod, req={"method": "GET", "url": f"/api/products/{9000 + i}"},
                res={"statusCode": 200}, responseTime=18 + i % 30))
            return out
        return within(make)

    old = Rev(13, inc.born + timedelta(days=20), "helm upgrade", [c(
        "storefront-bff", f"{REGISTRY}/web/storefront-bff:2.31.4", memory_limit="768Mi",
        env=[{"name": "NODE_ENV", "value": "production"}, {"name": "SERVER_KEEPALIVE_TIMEOUT_MS", "value": "75000"},
             {"name": "SERVER_HEADERS_TIMEOUT_MS", "value": "76000"}])])
    new = Rev(14, deploy, "helm upgrade", [c(
        "storefront-bff", f"{REGISTRY}/web/storefront-bff:3.0.0", memory_limit="768Mi",
        env=[{"name": "NODE_ENV", "value": "production"}])])
    bff = inc.deployment("web", "storefront-bff", [old, new], {14: [P(log=bff_log(5000)) for _ in range(3)]})
    inc.service("web", "storefront-bff", {"app": "storefront-bff"})
    ingress(inc, "web", "shop-web", hosts[0], "storefront-bff", "/api",
            {"nginx.ingress.kubernetes.io/proxy-read-timeout": "30"})
    ingress(inc, "web", "shop-web-mobile", hosts[1], "storefront-bff", "/api")
    inc.configmap("ingress-nginx", "ingress-nginx-controller", {
        "upstream-keepalive-timeout": "60", "upstream-keepalive-requests": "1000", "use-forwarded-headers": "true"})
    bff_ips = [inc.cluster.pod_ip(h) for h in bff.pods]
    for n, h in enumerate(inc.pods_of("ingress-nginx", "ingress-nginx-controller")):
        def nginx(i: int, t: datetime, n: int = n) -> str | None:
            host = hosts[i % 2]
            ip = bff_ips[i % 3]
            path = f"/api/products/{9100 + i}"
            if t >= deploy and i % 9 == 4:
                return "\n".join([
                    L.nginx_error(t, f'upstream prematurely closed connection while reading response header from '
                                     f'upstream, client: 10.0.{1 + i % 3}.{11 + n}, server: {host}, request: '
                                     f'"GET {path} HTTP/1.1", upstream: "http://{ip}:8080{path}", host: "{host}"',
                                  conn=40000 + i),
                    access(t, f"10.0.{1 + i % 3}.{11 + n}", host, path, 502, 150, ip, 0.004, i)])
            return access(t, f"10.0.{1 + i % 3}.{11 + n}", host, path, 200, 2311, ip, 0.021, i)
        h.logs["ingress-nginx-controller"] = L.lines(L.ticker(inc.captured - timedelta(hours=3), inc.captured, 17,
                                                              nginx))
    herring(inc, "web", "image-resizer", f"{REGISTRY}/web/image-resizer", "4.0.2", AT3 - timedelta(minutes=45))
    plant(inc, "web", "storefront-bff-session", "token", "bff-session", "SESSION_SECRET")
    for host, ing in zip(hosts, ("shop-web", "shop-web-mobile"), strict=True):
        base = {"namespace": "web", "ingress": ing, "host": host, "controller_class": "k8s.io/ingress-nginx",
                "controller_namespace": "ingress-nginx", "job": "ingress-nginx-controller-metrics",
                "method": "GET", "path": "/api"}
        metric(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {**base, "status": "200"}, counter(inc.at - timedelta(hours=2), 55.0, 53.3, deploy))
        metric(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {**base, "status": "502"}, counter(inc.at - timedelta(hours=2), 0.0, 1.7, deploy))
    alerts = [alert(inc, "NginxIngressHigh5xxRate", {"namespace": "web", "ingress": ing, "host": host},
                    f"{host}: 3.1% of requests answered 5xx", f"Ingress web/{ing} returns 502 for 3.1% of "
                    "requests over 15 minutes.", f'sum(rate(nginx_ingress_controller_requests{{ingress="{ing}",'
                    'status=~"5.."}[5m])) / sum(rate(nginx_ingress_controller_requests{ingress="' + ing +
                    '"}[5m])) > 0.02') for host, ing in zip(hosts, ("shop-web", "shop-web-mobile"), strict=True)]
    alerts.append(alert(inc, "SyntheticCheckFailing", {"namespace": "web", "check": "checkout-journey"},
                        "Synthetic checkout journey failed 3 of the last 20 runs",
                        "The browser check got HTTP 502 from https://www.example-shop.com/api/cart.",
                        'probe_success{check="checkout-journey"} == 0'))
    notify(inc, alerts, ["namespace"])
    observe(inc, ("web", "storefront-bff"), ("ingress-nginx", "ingress-nginx-controller"))
    inc.answer_key(
        culprit=("Deployment", "web", "storefront-bff"),
        keywords=["keepAliveTimeout", "idle", "prematurely closed", "upstream keepalive"],
        root_cause="storefront-bff revision 14 (Node 20 bootstrap) dropped SERVER_KEEPALIVE_TIMEOUT_MS=75000, so "
                   "Node's server closes idle keep-alive sockets after its default keepAliveTimeout of 5 s, shorter "
                   "than ingress-nginx's upstream keepalive timeout of 60 s; requests sent on a socket Node is "
                   "closing get 'upstream prematurely closed connection' and a 502.",
        category="node-keepalive-timeout-below-proxy-idle-timeout",
        red_herrings=[("Deployment", "web", "image-resizer")])
    return inc


# ---- 4. gRPC behind a ClusterIP -----------------------------------------------------------------
AT4 = datetime(2026, 11, 19, 10, 20, tzinfo=UTC)


def node_cpu_hot_question() -> Incident:
    """grpc-headless-service-replaced-connection-pinning: a chart turns a headless gRPC Service into a ClusterIP.

    after: the Kubernetes blog's "gRPC load balancing on Kubernetes without tears" and many postmortems of
    long-lived HTTP/2 connections: kube-proxy balances connections, not requests, so a gRPC client
    resolving one virtual IP holds one connection to one backend pod and the others sit idle.

    The inventory chart 5.0 (06:05) re-creates Service inventory/inventory-grpc without `clusterIP: None`.
    order-router (Go, grpc-go with `dns:///` and round_robin) now resolves a single address and keeps one
    HTTP/2 connection per client pod; two of its three connections land on inventory pods scheduled on
    ip-10-0-2-21, which runs at 95% CPU while the other inventory pods idle. Someone asks about the node.
    Evidence: the Service's creation and managedFields, grpc-go's resolver lines in another namespace
    (a single address), per-pod request and CPU metrics. Red herring: inventory/stock-sync.
    """
    inc = Incident("node-cpu-hot-question", title="One node's CPU pegged since the morning",
                   story=node_cpu_hot_question.__doc__ or "", at=AT4, seed=1404, namespaces=("inventory", "orders"))
    bump = AT4 - timedelta(hours=4, minutes=15)
    hot = node(inc, 1)
    others = [n for n in inc.node_names() if n != hot]
    placement = [hot, hot, others[0], others[1], others[2], others[0]]

    rev = Rev(1, bump + timedelta(minutes=1), "helm upgrade inventory 5.0.0",
              [c("inventory", f"{REGISTRY}/inventory/inventory:5.0.0", cpu_request="1", cpu_limit="2",
                 memory_limit="512Mi", port=9090, readiness_path=None, liveness_path=None)])
    wl = inc.deployment("inventory", "inventory", [rev], {1: [P(node=n) for n in placement]})
    busy = (0, 1, 5)  # the three pods order-router's three connections landed on; 0 and 1 run on the hot node
    for i, h in enumerate(wl.pods):
        h.logs["inventory"] = L.lines(L.ticker(inc.captured - timedelta(hours=2), inc.captured, 60,
                                               lambda k, t, b=i in busy: L.js(
                                                   t, "info", "grpc stats", **{
                                                       "grpc.service": "inventory.v1.Stock",
                                                       "rps": 410 + k % 30 if b else 0,
                                                       "p99_ms": 180 + k % 40 if b else 0})))
    svc = inc.add({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "inventory-grpc", "namespace": "inventory", "creationTimestamp": ts(bump),
                     "labels": {"app": "inventory", "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart":
                                "inventory-5.0.0"},
                     "annotations": {"meta.helm.sh/release-name": "inventory",
                                     "meta.helm.sh/release-namespace": "inventory"}},
        "spec": {"type": "ClusterIP", "clusterIP": "172.20.14.87", "clusterIPs": ["172.20.14.87"],
                 "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                 "internalTrafficPolicy": "Cluster",
                 "ports": [{"name": "grpc", "port": 9090, "protocol": "TCP", "targetPort": 9090,
                            "appProtocol": "kubernetes.io/h2c"}],
                 "selector": {"app": "inventory"}},
        "status": {"loadBalancer": {}}})
    changed(svc, ("helm", "Update", bump, {"f:metadata": {"f:labels": {}, "f:annotations": {}},
                                           "f:spec": {"f:ports": {}, "f:selector": {}, "f:type": {}}}))

    def router(pod: str, start: datetime, end: datetime) -> Lines:
        target = "dns:///inventory-grpc.inventory.svc.cluster.local:9090"
        out: Lines = [(start + timedelta(seconds=2), L.go_std(start, f'INFO: [core] [Channel #1] Channel created for '
                                                                     f'target "{target}"')),
                      (start + timedelta(seconds=2), L.go_std(start, 'INFO: [core] [Channel #1] Channel switches to '
                                                                     'new LB policy "round_robin"')),
                      (start + timedelta(seconds=2), L.go_std(start, 'INFO: [core] [Channel #1] Resolver state '
                                                                     'updated: {"Addresses":[{"Addr":'
                                                                     '"172.20.14.87:9090","ServerName":"",'
                                                                     '"Attributes":null}]} (resolver returned new '
                                                                     'addresses)')),
                      (start + timedelta(seconds=3), L.go_std(start, "INFO: [core] [Channel #1 SubChannel #2] "
                                                                     "Subchannel Connectivity change to READY"))]
        out += L.ticker(end - timedelta(hours=2), end, 120, lambda i, t: L.logfmt(
            t, "info", "stock check batch", target="inventory-grpc", lookups=2400 + i % 90,
            p99_ms=160 + i % 40))
        return out

    order_rev = Rev(1, bump + timedelta(minutes=3), "restart after inventory 5.0",
                    [c("order-router", f"{REGISTRY}/orders/order-router:2.8.1", memory_limit="256Mi")])
    inc.deployment("orders", "order-router", [order_rev], {1: [P(log=within(router)) for _ in range(3)]})
    herring(inc, "inventory", "stock-sync", f"{REGISTRY}/inventory/stock-sync", "1.4.0", AT4 - timedelta(minutes=35))
    plant(inc, "inventory", "inventory-db", "password", "inventory-db", "DB_PASSWORD")
    for i, n in enumerate(inc.node_names()):
        ip = inc.cluster.node_ip(n)
        metric(inc, "instance:node_cpu_utilisation:rate5m", "gauge", "Recording rule: node CPU utilisation",
                   {"instance": f"{ip}:9100", "job": "node-exporter", "node": n},
                   step(0.24 + 0.03 * i, 0.95 if n == hot else 0.21 + 0.03 * i, bump + timedelta(minutes=4)))
    for i, h in enumerate(wl.pods):
        labels = {"namespace": "inventory", "pod": h.name, "job": "inventory",
                  "grpc_service": "inventory.v1.Stock", "grpc_method": "CheckAvailability", "grpc_code": "OK"}
        metric(inc, "grpc_server_handled_total", "counter", "Total number of RPCs completed on the server.", labels,
                   counter(inc.at - timedelta(hours=2), 68.0, 410.0 if i in busy else 0.0, bump))
        metric(inc, "container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "inventory", "pod": h.name, "container": "inventory", "job": "kubelet",
                    "node": placement[i]},
                   counter(inc.at - timedelta(hours=2), 0.33, 1.93 if i in busy else 0.02, bump))
    inc.ask(f"Node {hot} has been at ~95% CPU since this morning while the other nodes are quiet. What is eating it?")
    observe(inc, ("inventory", "inventory"), ("orders", "order-router"))
    inc.answer_key(
        culprit=("Service", "inventory", "inventory-grpc"),
        keywords=["headless", "ClusterIP", "round_robin", "HTTP/2"],
        root_cause="The inventory chart 5.0 re-created Service inventory/inventory-grpc as a ClusterIP instead of "
                   "headless (clusterIP: None): order-router's grpc-go round_robin resolves one virtual IP and keeps "
                   "one long-lived HTTP/2 connection per client, kube-proxy pins each to a single inventory pod, and "
                   "the busy pods on the node take all the load.",
        category="grpc-headless-service-replaced-connection-pinning",
        red_herrings=[("Deployment", "inventory", "stock-sync")])
    return inc


# ---- 5. S3 lifecycle rule -----------------------------------------------------------------------
AT5 = datetime(2026, 11, 20, 8, 50, tzinfo=UTC)


def document_downloads_404_page() -> Incident:
    """s3-lifecycle-rule-filter-widened-expires-objects: a bucket lifecycle rule loses its prefix filter.

    after: published S3 data-loss postmortems and AWS's own lifecycle documentation: an expiration rule
    whose filter is emptied applies to the whole bucket, and the next lifecycle run (asynchronous,
    usually within a day) deletes every object older than the rule's age.

    A "tidy the Crossplane manifests" PR synced by Argo CD at 13:05 yesterday rewrites the cluster-scoped
    BucketLifecycleConfiguration acme-prod-documents-lifecycle: the rule expire-tmp keeps
    `expiration.days: 1` but its `filter.prefix: tmp/` becomes an empty filter. S3's lifecycle run after
    midnight removes about 4 million invoices and contracts; this morning documents-api answers 404 for
    most downloads (boto3 NoSuchKey). Evidence: the custom resource's managedFields and the provider's
    event, the bucket's object count from CloudWatch, the application's errors in another namespace.
    Red herring: documents/pdf-renderer rolled out at 08:20.
    """
    inc = Incident("document-downloads-404-page", title="Customers cannot download their invoices",
                   story=document_downloads_404_page.__doc__ or "", at=AT5, seed=1405,
                   namespaces=("documents", "crossplane-system"))
    sync = AT5 - timedelta(hours=19, minutes=45)
    purge = datetime(2026, 11, 20, 0, 40, tzinfo=UTC)
    crd(inc, "s3.aws.upbound.io", "BucketLifecycleConfiguration", "bucketlifecycleconfigurations", scope="Cluster",
        columns=[{"name": "READY", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                 {"name": "SYNCED", "type": "string",
                  "jsonPath": '.status.conditions[?(@.type=="Synced")].status'}])
    crd(inc, "s3.aws.upbound.io", "Bucket", "buckets", scope="Cluster")
    inc.add({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
             "metadata": {"name": "acme-prod-documents", "annotations": {
                 "crossplane.io/external-name": "acme-prod-documents"}},
             "spec": {"forProvider": {"region": "eu-west-1"}, "providerConfigRef": {"name": "default"}},
             "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Synced", "status": "True"}]}})
    cr = inc.add({
        "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketLifecycleConfiguration",
        "metadata": {"name": "acme-prod-documents-lifecycle", "generation": 3,
                     "labels": {"argocd.argoproj.io/instance": "storage-prod"},
                     "annotations": {"crossplane.io/external-name": "acme-prod-documents"}},
        "spec": {"deletionPolicy": "Delete", "providerConfigRef": {"name": "default"},
                 "forProvider": {"region": "eu-west-1", "bucketRef": {"name": "acme-prod-documents"},
                                 "rule": [{"id": "expire-tmp", "status": "Enabled", "filter": [{}],
                                           "expiration": [{"days": 1}]},
                                          {"id": "abort-multipart", "status": "Enabled", "filter": [{"prefix": ""}],
                                           "abortIncompleteMultipartUpload": [{"daysAfterInitiation": 7}]}]}},
        "status": {"atProvider": {"id": "acme-prod-documents"}, "conditions": [
            {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": ts(inc.born)},
            {"type": "Synced", "status": "True", "reason": "ReconcileSuccess",
             "lastTransitionTime": ts(sync + timedelta(seconds=20))}]}})
    changed(cr, ("argocd-controller", "Apply", inc.born + timedelta(days=4),
                 {"f:spec": {"f:forProvider": {"f:rule": {}, "f:region": {}, "f:bucketRef": {}}}}),
            ("argocd-controller", "Apply", sync, {"f:spec": {"f:forProvider": {"f:rule": {}}}}))
    inc.event(cr, "UpdatedExternalResource", "Successfully requested update of external resource",
              sync + timedelta(seconds=18), warning=False,
              component="managed/s3.aws.upbound.io/v1beta1, kind=bucketlifecycleconfiguration")

    def provider(pod: str, start: datetime, end: datetime) -> Lines:
        updated = L.js(sync + timedelta(seconds=17), "debug", "Successfully requested update of external resource",
                       logger="provider-aws",
                       controller="managed/s3.aws.upbound.io/v1beta1, kind=bucketlifecycleconfiguration",
                       request="acme-prod-documents-lifecycle", uid=cr["metadata"]["uid"], version="482113",
                       **{"external-name": "acme-prod-documents"})
        steady = L.ticker(end - timedelta(hours=2), end, 600, lambda i, t: L.js(
            t, "debug", "External resource is up to date", logger="provider-aws",
            controller="managed/s3.aws.upbound.io/v1beta1, kind=bucket", request="acme-prod-documents"))
        return [(sync + timedelta(seconds=17), updated), *steady]

    app(inc, "crossplane-system", "provider-aws-s3", "xpkg.upbound.io/upbound/provider-aws-s3:v1.14.0", 1,
        within(provider), port=8080)

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(end - timedelta(hours=3), end, 29, lambda i, t: L.pylog(
            t, "INFO", "uvicorn.access", f'10.244.1.{20 + i % 9}:0 - "GET /v1/documents/inv-2026-{10000 + i * 17}'
            f'/download HTTP/1.1" {404 if t > purge and i % 10 < 7 else 200}'))
        out += L.ticker(purge + timedelta(minutes=3), end, 38, lambda i, t: L.pylog(
            t, "ERROR", "documents.storage",
            f"download failed for key invoices/2026/{10 + i % 2}/inv-2026-{10000 + i * 17}.pdf\n"
            "Traceback (most recent call last):\n"
            '  File "/app/documents/storage.py", line 41, in fetch\n'
            "    obj = self.s3.get_object(Bucket=self.bucket, Key=key)\n"
            "botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject operation: "
            "The specified key does not exist."))
        return out

    app(inc, "documents", "documents-api", f"{REGISTRY}/documents/documents-api:3.7.2", 3, within(api),
        env=[{"name": "DOCUMENTS_BUCKET", "value": "acme-prod-documents"}, {"name": "AWS_REGION",
                                                                              "value": "eu-west-1"}])
    herring(inc, "documents", "pdf-renderer", f"{REGISTRY}/documents/pdf-renderer", "6.1.0",
            AT5 - timedelta(minutes=30))
    inc.secret("documents", "documents-s3", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "documents-s3"),
                                             "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "documents-s3")})
    yace = {"job": "yace", "namespace": "monitoring", "dimension_BucketName": "acme-prod-documents",
            "dimension_StorageType": "AllStorageTypes", "region": "eu-west-1"}
    metric(inc, "aws_s3_number_of_objects_average", "gauge", "Help is not implemented yet.", yace,
               step(4_123_877, 118_402, purge + timedelta(minutes=50)), step_s=300)
    metric(inc, "aws_s3_bucket_size_bytes_average", "gauge", "Help is not implemented yet.",
               {**yace, "dimension_StorageType": "StandardStorage"},
               step(1.91e12, 4.7e10, purge + timedelta(minutes=50)), step_s=300)
    for code, before, after in (("200", 6.0, 1.9), ("404", 0.02, 4.1)):
        metric(inc, "http_requests_total", "counter", "Total HTTP requests",
                   {"namespace": "documents", "service": "documents-api", "handler": "/v1/documents/{id}/download",
                    "method": "GET", "code": code, "job": "documents-api"},
                   counter(inc.at - timedelta(hours=2), before, after, inc.at - timedelta(hours=2)))
    inc.pagerduty("Invoice downloads failing: 68% of /download requests answer 404 (documents-api)", "Documents")
    observe(inc, ("documents", "documents-api"))
    inc.answer_key(
        culprit=("BucketLifecycleConfiguration", "", "acme-prod-documents-lifecycle"),
        keywords=["lifecycle", "expiration", "prefix", "NoSuchKey"],
        root_cause="An Argo CD sync rewrote the Crossplane BucketLifecycleConfiguration acme-prod-documents-lifecycle: "
                   "rule expire-tmp kept its expiration of 1 day but lost its prefix filter (tmp/), so S3's lifecycle "
                   "run after midnight deleted every object older than a day in acme-prod-documents; downloads fail "
                   "with NoSuchKey and 404.",
        category="s3-lifecycle-rule-filter-widened-expires-objects",
        red_herrings=[("Deployment", "documents", "pdf-renderer")])
    return inc


# ---- 6. Feature flag renamed --------------------------------------------------------------------
AT6 = datetime(2026, 11, 21, 18, 5, tzinfo=UTC)


def klarna_checkouts_dropped() -> Incident:
    """feature-flag-key-renamed-sdk-serves-default: a flag renamed in the flag source; clients ask for the old key.

    after: feature-flag outage reports (LaunchDarkly, OpenFeature and flagd docs on FLAG_NOT_FOUND): when a
    flag key a client evaluates no longer exists, the SDK does not fail, it returns the code default, and
    a feature silently switches off for every user.

    A "naming convention" change edits the OpenFeature FeatureFlag flags/checkout-flags at 17:10: the key
    `checkout-klarna-enabled` becomes `checkout.klarna.enabled` (and two others likewise). checkout-web
    (Node.js, OpenFeature SDK with the flagd provider) still evaluates the old key, gets FLAG_NOT_FOUND and
    falls back to `false`: Klarna disappears from the payment step. Nothing errors loudly; the business
    metric and flagd's evaluation-reason metrics show it, and the checkout-web warnings name the flag.
    Red herring: checkout-web/address-lookup rolled out at 17:30.
    """
    inc = Incident("klarna-checkouts-dropped", title="Klarna share of checkouts fell to zero",
                   story=klarna_checkouts_dropped.__doc__ or "", at=AT6, seed=1406,
                   namespaces=("flags", "checkout-web"))
    edit = AT6 - timedelta(minutes=55)
    crd(inc, "core.openfeature.dev", "FeatureFlag", "featureflags")
    crd(inc, "core.openfeature.dev", "FeatureFlagSource", "featureflagsources")
    flags: dict[str, Any] = {
        "checkout.klarna.enabled": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                    "defaultVariant": "on"},
        "checkout.express-shipping": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                      "defaultVariant": "on"},
        "checkout.address-autocomplete": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                          "defaultVariant": "off",
                                          "targeting": {"fractional": [{"var": "targetingKey"}, ["on", 20],
                                                                       ["off", 80]]}}}
    ff = inc.add({"apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlag",
                  "metadata": {"name": "checkout-flags", "namespace": "flags", "generation": 9},
                  "spec": {"flagSpec": {"flags": flags}}})
    changed(ff, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=8), {"f:spec": {"f:flagSpec": {}}}),
            ("kubectl-client-side-apply", "Update", edit, {"f:spec": {"f:flagSpec": {"f:flags": {}}}}))
    inc.add({"apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlagSource",
             "metadata": {"name": "checkout-flag-source", "namespace": "flags"},
             "spec": {"sources": [{"source": "flags/checkout-flags", "provider": "kubernetes"}], "port": 8013}})

    def flagd(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(edit + timedelta(seconds=2), L.js(edit, "info", "configuration change (update) for "
                                                         "flagSource flags/checkout-flags", component="runtime",
                                                         source="core.openfeature.dev/flags/checkout-flags"))]
        out += L.ticker(edit + timedelta(seconds=30), end, 53, lambda i, t: L.js(
            t, "warn", "flag evaluation failed", component="service", flagKey=[
                "checkout-klarna-enabled", "checkout-express-shipping", "checkout-address-autocomplete"][i % 3],
            errorCode="FLAG_NOT_FOUND", reason="ERROR"))
        return out

    app(inc, "flags", "flagd", "ghcr.io/open-feature/flagd:v0.11.4", 2, within(flagd), port=8013)

    def web(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(end - timedelta(hours=2), end, 37, lambda i, t: pino(
            t, 30, "payment methods offered", hostname=pod, cartId=f"c_{70000 + i * 11}",
            methods=["card", "paypal"] + ([] if t > edit else ["klarna"])))
        out += L.ticker(edit + timedelta(seconds=40), end, 61, lambda i, t: pino(
            t, 40, "flag evaluation failed, using default value", hostname=pod,
            flagKey="checkout-klarna-enabled" if i % 2 == 0 else "checkout-express-shipping",
            errorCode="FLAG_NOT_FOUND", defaultValue=False, provider="flagd"))
        return out

    app(inc, "checkout-web", "checkout-web", f"{REGISTRY}/checkout-web/checkout-web:8.14.0", 3, within(web),
        env=[{"name": "FLAGD_HOST", "value": "flagd.flags.svc.cluster.local"},
             {"name": "FLAGD_PORT", "value": "8013"}])
    herring(inc, "checkout-web", "address-lookup", f"{REGISTRY}/checkout-web/address-lookup", "2.0.3",
            AT6 - timedelta(minutes=35))
    inc.secret("checkout-web", "klarna-api", {"KLARNA_API_KEY": inc.canary("token", "klarna"),
                                               "KLARNA_USERNAME": "PK_48213_prod"})
    metric(inc, "checkout_payment_method_selected_total", "counter", "Checkouts by payment method chosen",
               {"namespace": "checkout-web", "job": "checkout-web", "method": "klarna"},
               counter(inc.at - timedelta(hours=2), 0.41, 0.0, edit + timedelta(seconds=40)))
    metric(inc, "checkout_payment_method_selected_total", "counter", "Checkouts by payment method chosen",
               {"namespace": "checkout-web", "job": "checkout-web", "method": "card"},
               counter(inc.at - timedelta(hours=2), 1.6, 1.78, edit + timedelta(seconds=40)))
    for reason, before, after in (("STATIC", 14.0, 4.6), ("ERROR", 0.0, 9.4)):
        metric(inc, "feature_flag_flagd_evaluation_reason_total", "counter",
                   "Measures the number of evaluations for a given reason",
                   {"namespace": "flags", "job": "flagd", "feature_flag_reason": reason,
                    **({"exception": "FLAG_NOT_FOUND"} if reason == "ERROR" else {})},
                   counter(inc.at - timedelta(hours=2), before, after, edit))
    inc.alertmanager("PaymentMethodShareDropped", {"namespace": "checkout-web", "method": "klarna"},
                     "Klarna checkouts dropped to 0% (7-day baseline 19%)",
                     "No checkout chose Klarna in the last 50 minutes; the payment method share is 0 against a "
                     "baseline of 19%.",
                     'sum(rate(checkout_payment_method_selected_total{method="klarna"}[30m])) == 0 and on() '
                     'sum(rate(checkout_payment_method_selected_total[30m])) > 1',
                     runbook="https://wiki.example.com/runbooks/paymentmethodsharedropped")
    observe(inc, ("checkout-web", "checkout-web"), ("flags", "flagd"))
    inc.answer_key(
        culprit=("FeatureFlag", "flags", "checkout-flags"),
        keywords=["FLAG_NOT_FOUND", "renamed", "default", "flag key"],
        root_cause="A naming-convention edit of FeatureFlag flags/checkout-flags renamed the flag key "
                   "checkout-klarna-enabled to checkout.klarna.enabled; checkout-web still evaluates the old key, "
                   "flagd answers FLAG_NOT_FOUND and the OpenFeature SDK returns the code default (false), so "
                   "Klarna is no longer offered.",
        category="feature-flag-key-renamed-sdk-serves-default",
        red_herrings=[("Deployment", "checkout-web", "address-lookup")])
    return inc


# ---- 7. MongoDB TTL index -----------------------------------------------------------------------
AT7 = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)


def carts_emptying_question() -> Incident:
    """mongodb-ttl-index-on-wrong-collection: a migration creates a one-hour TTL index on the carts collection.

    after: MongoDB TTL-index data-loss reports (a TTL index added to the wrong collection or field, and the
    TTL monitor quietly deleting documents every 60 s) and the MongoDB manual's note that deletion by a
    TTL index cannot be told from a normal delete by the application.

    Helm's pre-upgrade hook Job carts/cart-api-migrate-0042 (09:12) runs migration
    20261122-session-expiry, meant to expire abandoned sessions: it creates
    `{updatedAt: 1}, {expireAfterSeconds: 3600}` on `shop.carts` instead of `shop.sessions`. From then on
    mongod's TTLMonitor deletes every cart not touched for an hour; customers returning after lunch find
    empty carts. The question names only cart-api. Evidence: the Job's log, mongod's index build and
    TTLMonitor lines in another namespace, the exporter's TTL deleted-documents counter. Red herring:
    carts/promo-engine rolled out at 13:55.
    """
    inc = Incident("carts-emptying-question", title="Returning customers find their baskets empty",
                   story=carts_emptying_question.__doc__ or "", at=AT7, seed=1407, namespaces=("carts", "carts-db"))
    run = AT7 - timedelta(hours=5, minutes=18)
    done = run + timedelta(seconds=41)
    job_log = L.lines([
        (run + timedelta(seconds=4), "> cart-api@5.12.0 migrate"),
        (run + timedelta(seconds=4), "> migrate-mongo up"),
        (run + timedelta(seconds=9), "MIGRATED UP: 20261115-add-cart-currency.js"),
        (run + timedelta(seconds=38), "MIGRATED UP: 20261122-session-expiry.js"),
        (run + timedelta(seconds=39), "createIndexes shop.carts: { updatedAt: 1 } "
                                      "{ name: 'updatedAt_1', expireAfterSeconds: 3600 } -> ok")])
    job_run(inc, "carts", "cart-api-migrate-0042", f"{REGISTRY}/carts/cart-api:5.12.0", run, done, job_log,
            annotations={"helm.sh/hook": "pre-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation",
                         "helm.sh/hook-weight": "-5"},
            env=[{"name": "MONGO_URL", "value": "mongodb://carts-mongo-0.carts-mongo.carts-db:27017/shop"}],
            command=["npm", "run", "migrate"], container_name="migrate")
    build = run + timedelta(seconds=38)

    def server(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(build, mongod(build, "INDEX", 20438, "IndexBuildsCoordinatorMongod-3",
                                     "Index build: registering", {"buildUUID": {"uuid": {"$uuid": "5a0f2e6c-91d4-4c0e"
                                                                                         "-b1a7-3d8e6f2c4b19"}},
                                                                  "namespace": "shop.carts",
                                                                  "collectionUUID": {"uuid": {"$uuid": "0d7c9b3e-"
                                                                                              "2a41-4f6e-9c58-"
                                                                                              "7e1b2d3f4a50"}},
                                                                  "indexes": 1, "firstIndex": {"name": "updatedAt_1"},
                                                                  "command": {"createIndexes": "carts", "indexes": [{
                                                                      "key": {"updatedAt": 1},
                                                                      "name": "updatedAt_1",
                                                                      "expireAfterSeconds": 3600}]}})),
                      (build + timedelta(seconds=1), mongod(build, "INDEX", 20663, "IndexBuildsCoordinatorMongod-3",
                                                            "Index build: completed successfully",
                                                            {"namespace": "shop.carts", "indexesBuilt":
                                                             ["updatedAt_1"], "numIndexesBefore": 3,
                                                             "numIndexesAfter": 4}))]
        first = build + timedelta(minutes=61)
        out += L.ticker(first, end, 60, lambda i, t: mongod(
            t, "INDEX", 5479200, "TTLMonitor", "Deleted expired documents using index",
            {"namespace": "shop.carts", "index": "updatedAt_1",
             "numDeleted": 1_184_223 if i == 0 else 900 + (i * 37) % 700,
             "durationMillis": 180 + i % 90}))
        out += L.ticker(end - timedelta(hours=3), end, 600, lambda i, t: mongod(
            t, "NETWORK", 22943, "listener", "Connection accepted",
            {"remote": f"10.244.{1 + i % 4}.{50 + i % 20}:{50000 + i}", "connectionCount": 41 + i % 6}))
        return out

    inc.statefulset("carts-db", "carts-mongo", [c("mongod", "docker.io/library/mongo:6.0.18", memory_limit="6Gi",
                                                  memory_request="4Gi", port=27017, readiness_path=None,
                                                  liveness_path=None)],
                    [P(log=within(server))], inc.born + timedelta(days=2), claims=[("data", "100Gi", "gp3")],
                    service=27017)

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(end - timedelta(hours=3), end, 31, lambda i, t: pino(
            t, 30 if t < run + timedelta(minutes=62) or i % 3 else 40,
            "cart loaded" if t < run + timedelta(minutes=62) or i % 3 else "cart not found, starting a new one",
            hostname=pod, customerId=f"cus_{31000 + i * 7}", items=2 + i % 5 if t < run or i % 3 else 0))

    cart_revs = [Rev(7, inc.born + timedelta(days=15), "helm upgrade cart-api 5.11.3",
                     [c("cart-api", f"{REGISTRY}/carts/cart-api:5.11.3")]),
                 Rev(8, done + timedelta(seconds=20), "helm upgrade cart-api 5.12.0",
                     [c("cart-api", f"{REGISTRY}/carts/cart-api:5.12.0")])]
    inc.deployment("carts", "cart-api", cart_revs, {8: [P(log=within(api)) for _ in range(3)]})
    herring(inc, "carts", "promo-engine", f"{REGISTRY}/carts/promo-engine", "3.3.0", AT7 - timedelta(minutes=35))
    plant(inc, "carts-db", "carts-mongo-admin", "password", "mongo-admin", "MONGO_INITDB_ROOT_PASSWORD")
    plant(inc, "carts", "cart-api-mongo", "password", "cart-api-mongo", "MONGO_PASSWORD")
    me = {"job": "mongodb-exporter", "namespace": "carts-db", "instance": "carts-mongo-0"}
    metric(inc, "mongodb_ss_metrics_ttl_deletedDocuments", "counter", "serverStatus.metrics.ttl.deletedDocuments",
               {**me, "rs_nm": "rs0"}, counter(inc.at - timedelta(hours=2), 0.2, 19.5, build + timedelta(minutes=61)))
    metric(inc, "mongodb_ss_metrics_ttl_passes", "counter", "serverStatus.metrics.ttl.passes", {**me, "rs_nm": "rs0"},
               counter(inc.at - timedelta(hours=2), 1 / 60, 1 / 60, build))
    metric(inc, "cart_api_cart_lookups_total", "counter", "Cart lookups by result",
               {"namespace": "carts", "job": "cart-api", "result": "not_found"},
               counter(inc.at - timedelta(hours=2), 0.05, 2.4, build + timedelta(minutes=61)))
    inc.ask("Support says customers who come back to the shop after an hour or so find cart-api has given them an "
            "empty basket. Why are baskets disappearing?")
    observe(inc, ("carts", "cart-api"), ("carts-db", "carts-mongo"))
    inc.answer_key(
        culprit=("Job", "carts", "cart-api-migrate-0042"),
        keywords=["TTL", "expireAfterSeconds", "migration", "index"],
        root_cause="Helm hook Job carts/cart-api-migrate-0042 ran migration 20261122-session-expiry, which created a "
                   "TTL index {updatedAt: 1} with expireAfterSeconds 3600 on shop.carts instead of shop.sessions; "
                   "mongod's TTLMonitor now deletes every cart not updated for an hour.",
        category="mongodb-ttl-index-on-wrong-collection",
        red_herrings=[("Deployment", "carts", "promo-engine")])
    return inc


# ---- 8. Elasticsearch index without replicas ----------------------------------------------------
AT8 = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)


def search_cluster_red_page() -> Incident:
    """search-index-created-without-replicas-shard-loss: a reindex CronJob builds the live index with 0 replicas.

    after: Elasticsearch incident write-ups on bulk-load tuning (set `number_of_replicas: 0` for the load,
    forget to restore it) and Elastic's guidance that an index with no replicas goes red, and loses data,
    when the node holding a primary is lost; local-NVMe search nodes lose their data with the node.

    Yesterday at 16:20 someone edits CronJob search/catalog-reindex's INDEX_SETTINGS to
    `{"number_of_shards":3,"number_of_replicas":0,"refresh_interval":"30s"}` to speed the nightly bulk
    load (was 3 shards, 1 replica). The 01:00 run builds catalog-20261123 that way and swaps the
    `catalog` alias to it. At 09:31 a routine node replacement takes catalog-es-2 and its local volume:
    the primary shard it held is gone, the cluster turns red and product search fails with
    search_phase_execution_exception in another namespace. Evidence: the CronJob's managedFields and
    template, the last Job's log, Elasticsearch's health and unassigned-shard metrics and logs.
    Red herring: search/catalog-suggest rolled out at 09:10.
    """
    inc = Incident("search-cluster-red-page", title="Elasticsearch cluster catalog-es is red",
                   story=search_cluster_red_page.__doc__ or "", at=AT8, seed=1408,
                   namespaces=("search", "storefront"))
    edit = AT8 - timedelta(hours=17, minutes=25)
    nightly = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    lost = AT8 - timedelta(minutes=14)
    bad = '{"number_of_shards":3,"number_of_replicas":0,"refresh_interval":"30s"}'
    env = [{"name": "ES_URL", "value": "https://catalog-es-http.search:9200"},
           {"name": "INDEX_ALIAS", "value": "catalog"}, {"name": "INDEX_SETTINGS", "value": bad}]
    image = f"{REGISTRY}/search/catalog-indexer:2.9.0"
    container = c("catalog-reindex", image, port=None, readiness_path=None, liveness_path=None, env=env,
                  memory_limit="1Gi").spec()
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "catalog-reindex", "namespace": "search", "generation": 6},
        "spec": {"schedule": "0 1 * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1, "suspend": False,
                 "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                     "restartPolicy": "Never", "containers": [container]}}}}},
        "status": {"lastScheduleTime": ts(nightly), "lastSuccessfulTime": ts(nightly + timedelta(minutes=23))}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=10),
                   {"f:spec": {"f:schedule": {}, "f:jobTemplate": {}}}),
            ("kubectl-edit", "Update", edit, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {
                "f:containers": {'k:{"name":"catalog-reindex"}': {"f:env": {}}}}}}}}}))
    job_name = f"catalog-reindex-{int(nightly.timestamp() // 60)}"
    job_log = L.lines([
        (nightly + timedelta(seconds=5), L.pylog(nightly, "INFO", "indexer", "creating index catalog-20261123 with "
                                                 f"settings {bad}")),
        (nightly + timedelta(minutes=21), L.pylog(nightly + timedelta(minutes=21), "INFO", "indexer",
                                                  "bulk load done: 2,914,377 documents in 1262 s")),
        (nightly + timedelta(minutes=22), L.pylog(nightly + timedelta(minutes=22), "INFO", "indexer",
                                                  "alias catalog -> catalog-20261123 (removed from "
                                                  "catalog-20261122)")),
        (nightly + timedelta(minutes=23), L.pylog(nightly + timedelta(minutes=23), "INFO", "indexer",
                                                  "deleted index catalog-20261121"))])
    job_run(inc, "search", job_name, image, nightly, nightly + timedelta(minutes=23), job_log,
            owner=o.owner_ref("CronJob", "catalog-reindex", "search", "batch/v1"), env=env,
            container_name="catalog-reindex")

    def es(pod: str, start: datetime, end: datetime) -> Lines:
        def line(t: datetime, level: str, logger: str, msg: str) -> str:
            import json
            return json.dumps({"@timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                               "log.level": level, "message": msg, "ecs.version": "1.2.0", "service.name": "ES_ECS",
                               "event.dataset": "elasticsearch.server", "process.thread.name":
                               "elasticsearch[" + pod + "][masterService#updateTask][T#1]", "log.logger": logger,
                               "elasticsearch.cluster.name": "catalog-es", "elasticsearch.node.name": pod},
                              separators=(",", ":"))
        if not pod.endswith("-0"):
            return L.ticker(end - timedelta(hours=2), end, 900, lambda i, t: line(
                t, "INFO", "org.elasticsearch.monitor.jvm.JvmGcMonitorService",
                f"[gc][{8000 + i}] overhead, spent [312ms] collecting in the last [1s]"))
        return [
            (lost, line(lost, "INFO", "org.elasticsearch.cluster.service.MasterService",
                        "node-left[{catalog-es-2}{q1Zx9cTnRmW4kV8b2LrP0g}{10.244.3.77}{10.244.3.77:9300}{dim} "
                        "reason: disconnected], term: 7, version: 91822, delta: removed {{catalog-es-2}}")),
            (lost + timedelta(seconds=1), line(lost, "WARN", "org.elasticsearch.cluster.routing.allocation."
                                               "AllocationService", "Cluster health status changed from [GREEN] to "
                                               "[RED] (reason: [{catalog-es-2} reason: disconnected]).")),
            (lost + timedelta(minutes=3), line(lost, "INFO", "org.elasticsearch.cluster.service.MasterService",
                                               "node-join[{catalog-es-2}{Hc4pQ2mYSz6v0b1aXnE7tw}{10.244.2.91}"
                                               "{10.244.2.91:9300}{dim} joining], term: 7, version: 91840")),
            (lost + timedelta(minutes=3, seconds=20), line(
                lost + timedelta(minutes=3, seconds=20), "INFO", "org.elasticsearch.cluster.routing.allocation."
                "AllocationService", "Cluster health status changed from [RED] to [RED] (reason: [shards started "
                "[[catalog-20261122][0], [catalog-20261123][0], [catalog-20261123][2]]]).")),
        ]

    inc.statefulset("search", "catalog-es", [c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
                                               memory_limit="16Gi", memory_request="16Gi", cpu_request="4",
                                               port=9200, readiness_path=None, liveness_path=None)],
                    [P(log=within(es)), P(log=within(es)), P(log=within(es), created=lost + timedelta(minutes=2))],
                    inc.born + timedelta(days=1), service=9200)

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(lost, end, 19, lambda i, t: L.pylog(
            t, "ERROR", "search_api.routes", f'GET /v1/search?q={["sofa", "lamp", "desk", "rug"][i % 4]} failed: '
            "ApiError(503, 'search_phase_execution_exception', 'all shards failed') "
            "[catalog-20261123][1] NoShardAvailableActionException"))

    app(inc, "storefront", "search-api", f"{REGISTRY}/storefront/search-api:4.2.0", 3, within(api),
        env=[{"name": "ES_URL", "value": "https://catalog-es-http.search:9200"}])
    herring(inc, "search", "catalog-suggest", f"{REGISTRY}/search/catalog-suggest", "1.8.0",
            AT8 - timedelta(minutes=35))
    plant(inc, "search", "catalog-es-elastic-user", "password", "elastic", "elastic")
    ee = {"job": "elasticsearch-exporter", "namespace": "search", "cluster": "catalog-es"}
    for color in ("green", "red"):
        metric(inc, "elasticsearch_cluster_health_status", "gauge",
                   "Whether all primary and replica shards are allocated.", {**ee, "color": color},
                   step(1.0 if color == "green" else 0.0, 0.0 if color == "green" else 1.0, lost))
    metric(inc, "elasticsearch_cluster_health_unassigned_shards", "gauge",
               "The number of shards that are not allocated.", ee, step(0, 1, lost))
    metric(inc, "elasticsearch_cluster_health_active_primary_shards", "gauge",
               "The number of primary shards in your cluster.", ee, step(41, 40, lost))
    metric(inc, "elasticsearch_cluster_health_number_of_nodes", "gauge", "Number of nodes in the cluster.", ee,
               lambda t: 2.0 if lost <= t < lost + timedelta(minutes=3) else 3.0)
    inc.alertmanager("ElasticsearchClusterRed", {"namespace": "search", "cluster": "catalog-es"},
                     "Elasticsearch cluster catalog-es is red",
                     "Elastic cluster health is red: at least one primary shard is not allocated.",
                     'elasticsearch_cluster_health_status{color="red"} == 1', severity="critical",
                     runbook="https://runbooks.prometheus-operator.dev/runbooks/elasticsearch/elasticsearchclusterred")
    observe(inc, ("search", "catalog-es"), ("storefront", "search-api"))
    inc.answer_key(
        culprit=("CronJob", "search", "catalog-reindex"),
        keywords=["number_of_replicas", "no replica", "unassigned", "primary shard"],
        root_cause="An edit of CronJob search/catalog-reindex set INDEX_SETTINGS number_of_replicas to 0; the nightly "
                   "run built catalog-20261123 with no replica and moved the alias to it, so when a node replacement "
                   "took catalog-es-2 and its local data, a primary shard was lost and stays unassigned: the cluster "
                   "is red and searches fail.",
        category="search-index-created-without-replicas-shard-loss",
        red_herrings=[("Deployment", "search", "catalog-suggest")])
    return inc


# ---- 9. Cassandra tombstones --------------------------------------------------------------------
AT9 = datetime(2026, 11, 24, 13, 15, tzinfo=UTC)


def feed_timeouts_page() -> Incident:
    """cassandra-null-writes-tombstone-overload: a writer release binds nulls for unset columns; reads hit tombstones.

    after: Cassandra tombstone postmortems (The Last Pickle, DataStax support notes): inserting or binding
    null writes a tombstone, and once reads scan more than tombstone_failure_threshold (100000) of them
    the replica aborts the query and the coordinator reports a read failure.

    Deployment profiles/profile-writer revision 23 (04:10, 5.0.0, migrated to the DataStax 4 object
    mapper) saves whole UserAttributes entities with NullSavingStrategy SET_TO_NULL: every profile save
    writes a tombstone for each attribute the user does not have. By the afternoon the hot partitions of
    profiles.user_attributes carry hundreds of thousands of tombstones; feed-api (another namespace)
    reads them for every feed and gets ReadFailureException. Evidence: the writer's revision and its
    startup log, Cassandra's tombstone warnings and aborted queries (namespace cassandra), the table's
    tombstone histogram. Red herring: feed/feed-ranker rolled out at 12:40.
    """
    inc = Incident("feed-timeouts-page", title="Home feed failing for many users",
                   story=feed_timeouts_page.__doc__ or "", at=AT9, seed=1409,
                   namespaces=("profiles", "feed", "cassandra"))
    deploy = AT9 - timedelta(hours=9, minutes=5)
    failing = AT9 - timedelta(minutes=50)

    def writer(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=14), L.spring(
            start, "INFO", "c.a.profiles.CassandraConfig", "Object mapper initialised: entity=UserAttributes "
            "keyspace=profiles table=user_attributes nullSavingStrategy=SET_TO_NULL"))]
        out += L.ticker(end - timedelta(hours=2), end, 30, lambda i, t: L.spring(
            t, "INFO", "c.a.profiles.ProfileService", f"saved profile user={5_120_000 + i * 97} attributes=41",
            thread=f"http-nio-8080-exec-{1 + i % 8}"))
        return out

    revs = [Rev(22, inc.born + timedelta(days=18), "helm upgrade profile-writer 4.9.2",
                [c("profile-writer", f"{REGISTRY}/profiles/profile-writer:4.9.2", memory_limit="1Gi")]),
            Rev(23, deploy, "helm upgrade profile-writer 5.0.0",
                [c("profile-writer", f"{REGISTRY}/profiles/profile-writer:5.0.0", memory_limit="1Gi")])]
    inc.deployment("profiles", "profile-writer", revs, {23: [P(log=within(writer)) for _ in range(2)]})

    def node_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = L.ticker(deploy + timedelta(hours=3), end, 240, lambda i, t: cassandra(
            t, "WARN", f"ReadStage-{1 + i % 4}", "ReadCommand.java:651",
            f"Read 12 live rows and {min(99_000, 4_000 + i * 1_400)} tombstone cells for query SELECT * FROM "
            f"profiles.user_attributes WHERE user_id = {5_120_000 + i * 31} LIMIT 5000; token {-4213 + i}"
            "8812044 (see tombstone_warn_threshold)"))
        out += L.ticker(failing, end, 45, lambda i, t: cassandra(
            t, "ERROR", f"ReadStage-{1 + i % 4}", "ReadCommand.java:641",
            f"Scanned over 100001 tombstones during query 'SELECT * FROM profiles.user_attributes WHERE user_id = "
            f"{5_120_000 + i * 53} LIMIT 5000' (last scanned row token was {-7_211_093_442_190 + i * 1009} and partion "
            f"key was ({5_120_000 + i * 53})); query aborted"))
        return out

    inc.statefulset("cassandra", "cassandra", [c("cassandra", "docker.io/library/cassandra:4.1.7", memory_limit="12Gi",
                                                 memory_request="12Gi", cpu_request="2", port=9042,
                                                 readiness_path=None, liveness_path=None)],
                    [P(log=within(node_log)) for _ in range(3)], inc.born + timedelta(days=1),
                    claims=[("data", "500Gi", "gp3")], service=9042)

    def feed(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(failing, end, 33, lambda i, t: L.spring(
            t, "ERROR", "c.a.feed.FeedController", f"feed build failed for user {5_120_000 + i * 53}\n"
            "com.datastax.oss.driver.api.core.servererrors.ReadFailureException: Cassandra failure during read "
            "query at consistency LOCAL_QUORUM (2 responses were required but only 0 replica responded, 2 failed)\n"
            "\tat com.datastax.oss.driver.api.core.servererrors.ReadFailureException.copy("
            "ReadFailureException.java:114)\n"
            "\tat com.acme.feed.repo.AttributesRepository.load(AttributesRepository.java:77)",
            thread=f"http-nio-8080-exec-{1 + i % 12}"))

    app(inc, "feed", "feed-api", f"{REGISTRY}/feed/feed-api:11.0.4", 4, within(feed), memory_limit="2Gi")
    herring(inc, "feed", "feed-ranker", f"{REGISTRY}/feed/feed-ranker", "3.1.0", AT9 - timedelta(minutes=35))
    plant(inc, "cassandra", "cassandra-superuser", "password", "cassandra", "password")
    plant(inc, "feed", "feed-cassandra", "password", "feed-cassandra", "CASSANDRA_PASSWORD")
    tbl = {"job": "cassandra-exporter", "namespace": "cassandra", "keyspace": "profiles", "table": "user_attributes"}

    def scanned(t: datetime) -> float:
        return 40.0 if t < deploy else round(min(160_000.0, 40 + 18.0 * (t - deploy).total_seconds() / 60), 0)

    metric(inc, "cassandra_table_tombstones_scanned", "gauge", "Tombstones scanned per read (quantile)",
               {**tbl, "quantile": "0.99"}, scanned)
    metric(inc, "cassandra_client_request_failures_total", "counter", "Client request failures",
               {"job": "cassandra-exporter", "namespace": "cassandra", "operation": "read", "consistency":
                "LOCAL_QUORUM"}, counter(inc.at - timedelta(hours=2), 0.0, 6.2, failing))
    for code, before, after in (("200", 90.0, 62.0), ("500", 0.1, 28.0)):
        metric(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
                   {"namespace": "feed", "job": "feed-api", "uri": "/v3/feed", "status": code},
                   counter(inc.at - timedelta(hours=2), before, after, failing))
    inc.pagerduty("feed-api: 5xx ratio 31% on /v3/feed for 15 minutes", "Home Feed")
    observe(inc, ("feed", "feed-api"), ("cassandra", "cassandra"), ("profiles", "profile-writer"))
    inc.answer_key(
        culprit=("Deployment", "profiles", "profile-writer"),
        keywords=["tombstone", "null", "ReadFailure", "failure_threshold"],
        root_cause="profile-writer revision 23 (5.0.0, DataStax object mapper with SET_TO_NULL) writes a null, i.e. a "
                   "tombstone, for every unset attribute on each save; reads of profiles.user_attributes now scan more "
                   "than tombstone_failure_threshold (100000) tombstones, Cassandra aborts them and feed-api gets "
                   "ReadFailureException.",
        category="cassandra-null-writes-tombstone-overload",
        red_herrings=[("Deployment", "feed", "feed-ranker")])
    return inc


# ---- 10. SQS FIFO message group -----------------------------------------------------------------
AT10 = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def refund_queue_age_high() -> Incident:
    """sqs-fifo-single-message-group-serializes-consumers: a producer starts sending every message in one group.

    after: AWS's SQS FIFO documentation ("messages that belong to the same message group are processed one
    by one") and the incidents it explains: a producer that sets a constant MessageGroupId turns a queue
    with many consumers into a single-file line, and most receives come back empty while the backlog grows.

    Deployment payments/refund-publisher revision 9 (07:20) replaces MESSAGE_GROUP_KEY=customer_id with
    MESSAGE_GROUP_ID=refunds (a "keep refunds strictly ordered" request). Every message on refunds.fifo
    now shares one group: SQS hands one batch at a time to one of the eight refund-worker pods (another
    namespace), the other seven poll empty, throughput falls from ~40/s to ~3/s and the oldest message
    ages past the alert's threshold. Evidence: the publisher's revision and log, the workers' empty
    receives, CloudWatch metrics via YACE. Red herring: payments/payout-scheduler rolled out at 10:25.
    """
    inc = Incident("refund-queue-age-high", title="Refund queue oldest message age above 30 minutes",
                   story=refund_queue_age_high.__doc__ or "", at=AT10, seed=1410, namespaces=("refunds",))
    deploy = AT10 - timedelta(hours=3, minutes=40)
    queue = "https://sqs.eu-west-1.amazonaws.com/418273645012/refunds.fifo"

    def publisher(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(end - timedelta(hours=2), end, 7, lambda i, t: L.js(
            t, "info", "published refund event", queue=queue, refund_id=f"re_{880000 + i}",
            message_group_id="refunds", message_deduplication_id=L.uuidish("dedup", i)))

    revs = [Rev(8, inc.born + timedelta(days=14), "helm upgrade refund-publisher 1.6.0", [c(
        "refund-publisher", f"{REGISTRY}/payments/refund-publisher:1.6.0", memory_limit="256Mi",
        env=[{"name": "REFUNDS_QUEUE_URL", "value": queue}, {"name": "MESSAGE_GROUP_KEY", "value": "customer_id"}])]),
        Rev(9, deploy, "helm upgrade refund-publisher 1.6.1", [c(
            "refund-publisher", f"{REGISTRY}/payments/refund-publisher:1.6.1", memory_limit="256Mi",
            env=[{"name": "REFUNDS_QUEUE_URL", "value": queue}, {"name": "MESSAGE_GROUP_ID", "value": "refunds"}])])]
    inc.deployment("payments", "refund-publisher", revs, {9: [P(log=within(publisher)) for _ in range(2)]})

    def processed(i: int, t: datetime) -> str:
        return L.js(t, "info", "refund processed", refund_id=f"re_{870000 + i}", message_group_id="refunds",
                    psp_ms=240 + i % 60)

    def empty(i: int, t: datetime) -> str:
        return L.js(t, "debug", "receive returned no messages", queue=queue, wait_time_seconds=20, max_messages=10)

    workers = inc.deployment("refunds", "refund-worker", [Rev(4, inc.born + timedelta(days=11), "helm upgrade", [c(
        "refund-worker", f"{REGISTRY}/refunds/refund-worker:2.3.0", memory_limit="256Mi",
        env=[{"name": "REFUNDS_QUEUE_URL", "value": queue}])])], {4: [P() for _ in range(8)]})
    for n, h in enumerate(workers.pods):  # one pod holds the group's in-flight batch at a time; here it is pod 0
        h.logs["refund-worker"] = L.lines(L.ticker(inc.captured - timedelta(hours=2), inc.captured, 3 if n == 0 else 20,
                                                   processed if n == 0 else empty))
    herring(inc, "payments", "payout-scheduler", f"{REGISTRY}/payments/payout-scheduler", "2.7.0",
            AT10 - timedelta(minutes=35))
    inc.secret("refunds", "refund-worker-aws", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "refund-worker"),
                                                "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "refund-worker")})
    yace = {"job": "yace", "namespace": "monitoring", "dimension_QueueName": "refunds.fifo", "region": "eu-west-1"}

    def backlog(t: datetime) -> float:
        return 20.0 if t < deploy else round(20 + 2.2 * (t - deploy).total_seconds(), 0)

    metric(inc, "aws_sqs_approximate_number_of_messages_visible_average", "gauge", "Help is not implemented yet.",
               yace, backlog, step_s=300)
    metric(inc, "aws_sqs_approximate_age_of_oldest_message_maximum", "gauge", "Help is not implemented yet.", yace,
               lambda t: 4.0 if t < deploy else round(min(13_200.0, 0.9 * (t - deploy).total_seconds()), 0),
               step_s=300)
    metric(inc, "aws_sqs_number_of_empty_receives_sum", "gauge", "Help is not implemented yet.", yace,
               step(60.0, 7_100.0, deploy), step_s=300)
    metric(inc, "aws_sqs_number_of_messages_deleted_sum", "gauge", "Help is not implemented yet.", yace,
               step(11_800.0, 930.0, deploy), step_s=300)
    inc.alertmanager("SQSOldestMessageAgeHigh", {"namespace": "refunds", "queue_name": "refunds.fifo"},
                     "refunds.fifo: oldest message is 3.4 hours old",
                     "ApproximateAgeOfOldestMessage of refunds.fifo is above 30 minutes; refunds are delayed.",
                     'aws_sqs_approximate_age_of_oldest_message_maximum{dimension_QueueName="refunds.fifo"} > 1800')
    observe(inc, ("refunds", "refund-worker"), ("payments", "refund-publisher"))
    inc.answer_key(
        culprit=("Deployment", "payments", "refund-publisher"),
        keywords=["MessageGroupId", "FIFO", "message group", "one at a time"],
        root_cause="refund-publisher revision 9 sets a constant MessageGroupId (MESSAGE_GROUP_ID=refunds) instead of "
                   "one per customer; on the FIFO queue refunds.fifo every message is in one message group, which SQS "
                   "delivers one at a time in order, so seven of eight refund-worker pods receive nothing and the "
                   "backlog grows.",
        category="sqs-fifo-single-message-group-serializes-consumers",
        red_herrings=[("Deployment", "payments", "payout-scheduler")])
    return inc


# ---- 11. bcrypt cost ----------------------------------------------------------------------------
AT11 = datetime(2026, 11, 26, 19, 30, tzinfo=UTC)


def login_latency_burn() -> Incident:
    """bcrypt-cost-raised-rehash-on-login-blocks-event-loop: a password-hash cost raised from 10 to 14.

    after: "raise the bcrypt work factor" security findings gone wrong (public Node.js and Django incident
    notes): each step doubles the hash time, code that upgrades a user's hash at login pays the new cost on
    every login, and in Node.js a synchronous hash blocks the event loop for every other request.

    An audit ticket edits ConfigMap identity/password-policy at 17:35 (BCRYPT_COST 10 -> 14); Reloader
    restarts auth-service. auth-service (Node.js, bcryptjs hashSync) re-hashes a user's password at login
    whenever its stored cost is lower than the configured one: evening logins each block the event loop
    for about 1.2 s, event-loop lag and CPU climb, and the edge gateway (another namespace) times out
    /v1/login and other auth calls. Evidence: the ConfigMap's managedFields, auth-service's "password
    hash upgraded" lines with the costs, nodejs_eventloop_lag_seconds, gateway 504s. Red herring:
    identity/mfa-sender rolled out at 19:05.
    """
    inc = Incident("login-latency-burn", title="Sign-in error budget burning", story=login_latency_burn.__doc__ or "",
                   at=AT11, seed=1411, namespaces=("identity", "edge"))
    edit = AT11 - timedelta(hours=1, minutes=55)
    evening = AT11 - timedelta(minutes=45)
    cm = inc.configmap("identity", "password-policy", {"BCRYPT_COST": "14", "PASSWORD_MIN_LENGTH": "12",
                                                      "REHASH_ON_LOGIN": "true"},
                       annotations={"reloader.stakater.com/match": "true"})
    changed(cm, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", edit, {"f:data": {"f:BCRYPT_COST": {}}}))

    def auth(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), pino(start, 30, "auth-service listening", hostname=pod,
                                                          port=8080, bcryptCost=14))]
        out += L.ticker(edit + timedelta(minutes=3), end, 29, lambda i, t: pino(
            t, 30, "password hash upgraded", hostname=pod, userId=f"u_{260000 + i * 13}", fromCost=10, toCost=14,
            ms=1150 + (i * 37) % 200))
        out += L.ticker(evening, end, 47, lambda i, t: pino(
            t, 40, "event loop blocked", hostname=pod, lagMs=900 + (i * 53) % 1400))
        return out

    env = [{"name": "BCRYPT_COST", "valueFrom": {"configMapKeyRef": {"name": "password-policy", "key": "BCRYPT_COST"}}},
           {"name": "REHASH_ON_LOGIN", "valueFrom": {"configMapKeyRef": {"name": "password-policy",
                                                                          "key": "REHASH_ON_LOGIN"}}}]
    revs = [Rev(30, inc.born + timedelta(days=16), "helm upgrade auth-service 9.2.0",
                [c("auth-service", f"{REGISTRY}/identity/auth-service:9.2.0", cpu_limit="1", env=env)]),
            Rev(31, edit + timedelta(seconds=40), "helm upgrade auth-service 9.2.0",
                [c("auth-service", f"{REGISTRY}/identity/auth-service:9.2.0", cpu_limit="1", env=env)],
                pod_spec={})]
    wl = inc.deployment("identity", "auth-service", revs, {31: [P(log=within(auth)) for _ in range(3)]})
    for rs in (inc.find("ReplicaSet", "identity", wl.rs[31]), wl.obj):
        rs["spec"]["template"]["metadata"]["annotations"]["reloader.stakater.com/last-reloaded-from"] = (
            '{"type":"CONFIGMAP","namespace":"identity","name":"password-policy","hash":"9f1c2e7d04"}')

    auth_ips = [inc.cluster.pod_ip(h) for h in wl.pods]

    def gateway(i: int, t: datetime) -> str:
        slow = t >= evening and i % 4 != 0
        path = ["/v1/login", "/v1/token/refresh", "/v1/me"][i % 3]
        return L.envoy(t, "POST" if path != "/v1/me" else "GET", path, 504 if slow else 200, "UT" if slow else "-",
                       f"{auth_ips[i % len(auth_ips)]}:8080", 5000 if slow else 35 + i % 40, "auth.example.com",
                       L.uuidish("edge", i), "response_timeout" if slow else "via_upstream")

    edge = app(inc, "edge", "edge-gateway", "docker.io/envoyproxy/envoy:v1.31.3", 2, port=8080)
    for h in edge.pods:
        h.logs["edge-gateway"] = L.lines(L.ticker(inc.captured - timedelta(hours=2), inc.captured, 13, gateway))
    herring(inc, "identity", "mfa-sender", f"{REGISTRY}/identity/mfa-sender", "1.12.0", AT11 - timedelta(minutes=25))
    inc.secret("identity", "auth-service-keys", {"JWT_SIGNING_KEY": inc.canary("token", "jwt-signing"),
                                                 "PEPPER": inc.canary("password", "pepper")})
    for h in wl.pods:
        base = {"namespace": "identity", "pod": h.name, "job": "auth-service"}
        metric(inc, "nodejs_eventloop_lag_p99_seconds", "gauge", "The 99th percentile of the recorded event loop "
                   "delays.", base, lambda t: 0.012 if t < evening else 1.31)
        metric(inc, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", base,
                   counter(inc.at - timedelta(hours=2), 0.21, 0.98, evening))
    for code, before, after in (("200", 48.0, 14.0), ("504", 0.0, 34.0)):
        metric(inc, "envoy_cluster_upstream_rq", "counter", "Upstream requests by response code",
                   {"namespace": "edge", "job": "edge-gateway", "envoy_cluster_name": "auth_service",
                    "envoy_response_code": code}, counter(inc.at - timedelta(hours=2), before, after, evening))
    inc.slo_burn("login", "identity", "login-availability", "99.5%", 48.0,
                 "Sign-in requests through the edge gateway fail or time out 71% of the time over the last hour.")
    observe(inc, ("identity", "auth-service"), ("edge", "edge-gateway"))
    inc.answer_key(
        culprit=("ConfigMap", "identity", "password-policy"),
        keywords=["bcrypt", "cost", "rehash", "event loop"],
        root_cause="ConfigMap identity/password-policy was edited to BCRYPT_COST 14 (was 10); auth-service rehashes "
                   "each password at login with the new bcrypt cost, ~1.2 s of synchronous hashing that blocks the "
                   "Node.js event loop, so logins and other auth calls time out at the edge gateway.",
        category="bcrypt-cost-raised-rehash-on-login-blocks-event-loop",
        red_herrings=[("Deployment", "identity", "mfa-sender")])
    return inc


# ---- 12. Traefik StripPrefix --------------------------------------------------------------------
AT12 = datetime(2026, 11, 27, 10, 10, tzinfo=UTC)


def partner_api_not_found_page() -> Incident:
    """gateway-middleware-strips-versioned-path: a Traefik Middleware's prefix widened; the API loses its version.

    after: API-gateway routing incidents (Traefik, Kong and nginx path-rewrite changes): a strip-prefix
    rule edited for one service also matches another route's paths, the backend receives paths it has
    no handler for, and every call answers 404 while the gateway and the pods stay healthy.

    Middleware partners/api-prefix (Traefik, used by the IngressRoute partner-api) is changed at 09:35
    from `stripPrefix: {prefixes: ["/api"]}` to `stripPrefixRegex: {regex: ["^/api/v[0-9]+"]}`, meant
    for a new v2 service. partner-api (Node.js, Express) mounts its routes under /v1, so
    /api/v1/orders now reaches it as /orders and Express answers "Cannot GET /orders". Traefik's access
    log (namespace gateway) shows OriginStatus 404 for nearly everything on partners.example.com; a
    partner manager asks in chat, naming only partner-api.
    Red herring: partners/partner-webhooks rolled out at 09:50.
    """
    inc = Incident("partner-api-not-found-page", title="Partner integrations report Not Found on every call",
                   story=partner_api_not_found_page.__doc__ or "", at=AT12, seed=1412,
                   namespaces=("gateway", "partners"))
    edit = AT12 - timedelta(minutes=35)
    crd(inc, "traefik.io", "Middleware", "middlewares", version="v1alpha1")
    crd(inc, "traefik.io", "IngressRoute", "ingressroutes", version="v1alpha1")
    mw = inc.add({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
                  "metadata": {"name": "api-prefix", "namespace": "partners", "generation": 3},
                  "spec": {"stripPrefixRegex": {"regex": ["^/api/v[0-9]+"]}}})
    changed(mw, ("argocd-controller", "Apply", inc.born + timedelta(days=7), {"f:spec": {"f:stripPrefix": {}}}),
            ("argocd-controller", "Apply", edit, {"f:spec": {"f:stripPrefixRegex": {"f:regex": {}}}}))
    inc.add({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
             "metadata": {"name": "partner-api", "namespace": "partners"},
             "spec": {"entryPoints": ["websecure"], "routes": [{
                 "match": "Host(`partners.example.com`) && PathPrefix(`/api`)", "kind": "Rule",
                 "middlewares": [{"name": "api-prefix"}, {"name": "partner-ratelimit"}],
                 "services": [{"name": "partner-api", "port": 80}]}], "tls": {"secretName": "partners-tls"}}})
    inc.add({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
             "metadata": {"name": "partner-ratelimit", "namespace": "partners"},
             "spec": {"rateLimit": {"average": 200, "burst": 400}}})

    proxies = ["10.244.0.12"]  # Traefik's pod IPs, filled in once its pods exist

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            path = ["/orders?since=2026-11-27", "/shipments/SH-88121", "/inventory/levels"][i % 3]
            stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
            if t < edit:
                return f'{proxies[i % len(proxies)]} - - [{stamp}] "GET /v1{path} HTTP/1.1" 200 {800 + i % 700} "-" ' \
                       '"partner-sdk-go/1.4.2"'
            return f'{proxies[i % len(proxies)]} - - [{stamp}] "GET {path} HTTP/1.1" 404 {146 + len(path)} "-" ' \
                   '"partner-sdk-go/1.4.2"'
        return L.ticker(end - timedelta(hours=2), end, 9, line)

    partner = app(inc, "partners", "partner-api", f"{REGISTRY}/partners/partner-api:6.3.1", 3)
    inc.service("partners", "partner-api", {"app": "partner-api"})

    def traefik(i: int, t: datetime) -> str:
        import json
        path = ["/api/v1/orders", "/api/v1/shipments/SH-88121", "/api/v1/inventory/levels"][i % 3]
        code = 404 if t >= edit else 200
        return json.dumps({"ClientHost": f"203.0.113.{10 + i % 40}", "DownstreamStatus": code,
                           "Duration": 3_100_000 + i % 900_000, "OriginStatus": code, "RequestHost":
                           "partners.example.com", "RequestMethod": "GET", "RequestPath": path,
                           "RequestProtocol": "HTTP/2.0", "RouterName": "partners-partner-api-1f0c2d7e8a9b3c4d5e6f"
                           "@kubernetescrd", "ServiceName": "partners-partner-api-80@kubernetescrd",
                           "entryPointName": "websecure", "level": "info", "msg": "",
                           "time": t.strftime("%Y-%m-%dT%H:%M:%SZ")}, separators=(",", ":"))

    gw = app(inc, "gateway", "traefik", "docker.io/library/traefik:v3.2.1", 2, port=8000)
    for h in gw.pods:
        h.logs["traefik"] = L.lines(L.ticker(inc.captured - timedelta(hours=2), inc.captured, 11, traefik))
    proxies[:] = [inc.cluster.pod_ip(h) for h in gw.pods]
    for h in partner.pods:
        h.logs["partner-api"] = within(api)(h.name, h.states[0].started_at or h.created, inc.captured)
    herring(inc, "partners", "partner-webhooks", f"{REGISTRY}/partners/partner-webhooks", "2.4.0",
            AT12 - timedelta(minutes=20))
    plant(inc, "partners", "partner-api-keys", "token", "partner-hmac", "HMAC_SECRET")
    svc = "partners-partner-api-80@kubernetescrd"
    for code, before, after in (("200", 38.0, 0.6), ("404", 0.1, 37.5)):
        metric(inc, "traefik_service_requests_total", "counter", "How many HTTP requests processed on a service, "
                   "partitioned by status code, protocol, and method.",
                   {"namespace": "gateway", "job": "traefik", "service": svc, "code": code, "method": "GET",
                    "protocol": "http"}, counter(inc.at - timedelta(hours=2), before, after, edit))
    inc.ask("Partners say every call to partner-api has answered Not Found since about 09:40, but its pods look "
            "healthy. Why?")
    observe(inc, ("partners", "partner-api"), ("gateway", "traefik"))
    inc.answer_key(
        culprit=("Middleware", "partners", "api-prefix"),
        keywords=["stripPrefix", "Middleware", "/v1", "path"],
        root_cause="Traefik Middleware partners/api-prefix was changed from stripPrefix /api to stripPrefixRegex "
                   "^/api/v[0-9]+, so the version segment is stripped too: partner-api receives /orders instead of "
                   "/v1/orders, has no route for that path, and answers 404.",
        category="gateway-middleware-strips-versioned-path",
        red_herrings=[("Deployment", "partners", "partner-webhooks")])
    return inc


ALL = [orders_not_shipping_page, accounts_api_errors_burn, storefront_502s_grouped, node_cpu_hot_question,
       document_downloads_404_page, klarna_checkouts_dropped, carts_emptying_question, search_cluster_red_page,
       feed_timeouts_page, refund_queue_age_high, login_latency_burn, partner_api_not_found_page]
