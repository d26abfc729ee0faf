"""Round 30 of the held-out incident set: the platform's own machinery and its side effects, written blind.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes are changes to log and telemetry pipelines (Fluentd, Vector, Promtail and Loki, the
OpenTelemetry Collector), to monitoring itself (Probe, PrometheusRule and ServiceMonitor objects, remote
write into Mimir), to operators and controllers (leader election, a CronJob's history limit and owner
references) and to cluster add-ons (Reloader, a Kyverno mutate policy); most pages are on the
applications they hurt, about a third are simple (the cause sits in the failing object's own spec,
events or logs). Log lines follow the real software's formats (Spring Boot, Fluentd, Prometheus and
Mimir logfmt, blackbox exporter, nginx access log, pino JSON, squid access log, Vector, klog, logrus,
OpenTelemetry Collector console, Promtail, Loki, Python logging).
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import changed, crd, every, send, start  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted; a long run
    keeps its last three hours, as a capture with `--since 3h` would."""

    def log(pod: str, start: datetime, end: datetime) -> str:
        begin = max(start, end - timedelta(hours=3))
        return L.lines(sorted(x for x in make(pod, begin, end) if begin <= x[0] <= end))

    return log


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


def victim(
    inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines], replicas: int = 3
) -> Any:
    """The paged workload: running pods whose logs say what they suffer."""
    return app(inc, ns, name, f"{REGISTRY}/{ns}/{name}:3.{len(name)}.1", replicas, log=within(make))


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [
        Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
        Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")]),
    ]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def alert(
    inc: Incident,
    name: str,
    labels: dict[str, str],
    summary: str,
    description: str,
    expr: str,
    severity: str = "warning",
) -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {
        "alertname": name,
        **labels,
        "severity": severity,
        "prometheus": "monitoring/kube-prometheus-stack-prometheus",
        "cluster": "prod-eu-west-1",
    }
    ann = {
        "summary": summary,
        "description": description,
        "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}",
    }
    return am.alert(full, ann, inc.at, expr)


def custom(
    inc: Incident,
    kind: str,
    group: str,
    version: str,
    plural: str,
    ns: str,
    name: str,
    spec: dict[str, Any],
    manager: str,
    chg: datetime,
    fields: dict[str, Any],
    scope: str = "Namespaced",
) -> dict[str, Any]:
    """A custom resource (with its CRD) last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 7}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec})
    return changed(obj, (manager, "Update", chg, fields))


def http_codes(
    inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float], at: datetime, code: str
) -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series(
            "http_requests",
            "counter",
            "Total HTTP requests.",
            {"namespace": ns, "service": service, "job": service, "code": c_},
            counter(begin, before, after, at),
        )


def job_pod(
    inc: Incident,
    ns: str,
    job: str,
    container: str,
    image: str,
    started: datetime,
    done: datetime,
    node_name: str,
    log: str,
) -> PodHistory:
    """The kept pod of a Job run that completed (exit 0), with its log, as `kubectl get pods` still lists it."""
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(
        PodHistory(
            name=name,
            namespace=ns,
            workload=job,
            containers=[c(container, image, port=None)],
            node=node_name,
            created=started,
            states=[o.ContainerState(started_at=started + timedelta(seconds=2), ready=False)],
            labels={"batch.kubernetes.io/job-name": job, "job-name": job},
            owner=o.owner_ref("Job", job, ns, api_version="batch/v1"),
            logs={container: log},
        )
    )
    h.ended = None
    h.memory = None
    h.ready = lambda t: False
    inc.cluster.patch(ns, name, terminated(0, "Completed", started + timedelta(seconds=2), done, phase="Succeeded"))
    return h


def node_named(inc: Incident, index: int) -> str:
    """The name of the background's `index`-th node."""
    return inc.node_names()[index]


def rs_of(inc: Incident, ns: str, deploy: str) -> list[str]:
    """The ReplicaSet names a Deployment owns, oldest revision first."""
    return [
        str(obj["metadata"]["name"])
        for obj in inc.cluster.objects
        if obj["kind"] == "ReplicaSet"
        and obj["metadata"].get("namespace") == ns
        and any(r["name"] == deploy for r in obj["metadata"].get("ownerReferences", []))
    ]


def relog(inc: Incident, ns: str, workload: str, make: Callable[[str, datetime, datetime], Lines]) -> None:
    """Replace the generic logs of a background workload's pods with what this incident made them print."""
    for h in inc.pods_of(ns, workload):
        h.logs[h.containers[0].name] = within(make)(h.name, inc.at - timedelta(hours=3), inc.captured)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 10, 40, tzinfo=UTC)
CHG1 = AT1 - timedelta(hours=1, minutes=45)
SLOW1 = AT1 - timedelta(minutes=22)


def orders_api_latency_page() -> Incident:
    """log-aggregator-buffer-overflow-blocks-app-logging: a Fluentd aggregator's buffer is set to block when full.

    after: the log-pipeline postmortems in which a slow log backend stalled the applications that ship to it:
    a Fluentd buffer with overflow_action block stops reading its forward input, and clients that send
    synchronously over the forward protocol block their request threads on a log call.

    The logging team edits ConfigMap logging/fluentd-aggregator-config at 08:55 ("never drop audit logs"):
    the OpenSearch output's buffer goes from overflow_action drop_oldest_chunk with total_limit_size 8g to
    overflow_action block with total_limit_size 512m. From 10:18 OpenSearch bulk requests time out during an
    index rollover; the 512m buffer fills in minutes and the aggregator stops accepting forward traffic.
    orders-api's logback appender (fluency, synchronous emit) ships to the aggregator, so every request that
    logs waits for buffer space: p99 latency above 9 s and 504s at the ingress. The page names orders-api;
    the red herring is an opensearch-dashboards rollout in the logging namespace half an hour earlier.
    """
    inc = start(orders_api_latency_page, "orders-api p99 latency above 5s", AT1, 3001, namespaces=("orders", "logging"))
    conf_old = (
        "<buffer>\n  @type file\n  path /var/log/fluentd/buffer/opensearch\n  flush_interval 5s\n"
        "  chunk_limit_size 8m\n  total_limit_size 8g\n  overflow_action drop_oldest_chunk\n</buffer>"
    )
    conf_new = conf_old.replace("total_limit_size 8g", "total_limit_size 512m").replace(
        "overflow_action drop_oldest_chunk", "overflow_action block"
    )
    fluent_conf = (
        "<source>\n  @type forward\n  port 24224\n  bind 0.0.0.0\n</source>\n"
        "<match app.**>\n  @type opensearch\n  host opensearch.logging.svc\n  port 9200\n"
        "  logstash_format true\n  request_timeout 15s\n  " + conf_new.replace("\n", "\n  ") + "\n</match>\n"
    )
    cm = inc.configmap(
        "logging",
        "fluentd-aggregator-config",
        {"fluent.conf": fluent_conf},
        annotations={"kubectl.kubernetes.io/last-applied-configuration": ""},
    )
    changed(
        cm,
        ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
        ("kubectl-edit", "Update", CHG1, {"f:data": {"f:fluent.conf": {}}}),
    )
    inc.configmap(
        "orders",
        "orders-api-logback",
        {
            "logback-spring.xml": (
                '<appender name="FLUENCY" class="ch.qos.logback.more.appenders.FluencyLogbackAppender">\n'
                "  <tag>app.orders-api</tag>\n  <remoteServer><host>fluentd-aggregator.logging.svc</host>"
                "<port>24224</port></remoteServer>\n  <ackResponseMode>true</ackResponseMode>\n"
                "  <maxBufferSize>33554432</maxBufferSize>\n"
                "  <bufferChunkInitialSize>2097152</bufferChunkInitialSize>\n"
                '</appender>\n<root level="INFO"><appender-ref ref="FLUENCY"/><appender-ref ref="CONSOLE"/></root>'
            )
        },
    )

    def fluentd_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%d %H:%M:%S +0000")
            if t < SLOW1:
                return f"{stamp} [info]: #0 [out_opensearch] flushed chunks=12 bytes=8912377" if i % 6 == 0 else None
            nxt = (t + timedelta(seconds=8 * (1 + i % 4))).strftime("%Y-%m-%d %H:%M:%S +0000")
            if i % 3 == 0:
                return (
                    f"{stamp} [warn]: #0 failed to flush the buffer. retry_times={i % 9} next_retry_time={nxt} "
                    f'chunk="60d1f{i:05x}a7c2e9b" '
                    f"error_class=Fluent::Plugin::OpenSearchOutput::RecoverableRequestFailure "
                    'error="could not push logs to OpenSearch cluster ({:host=>\\"opensearch.logging.svc\\", '
                    ':port=>9200, :scheme=>\\"http\\"}): read timeout reached"'
                )
            return f"{stamp} [warn]: #0 failed to write data into buffer by buffer overflow action=:block"

        return every(s, e, 20, make)

    inc.statefulset(
        "logging",
        "fluentd-aggregator",
        [c("fluentd-aggregator", "docker.io/fluent/fluentd:v1.17.1-debian-1.0", port=24224)],
        [P(log=within(fluentd_log)), P(log=within(fluentd_log))],
        inc.born + timedelta(days=9),
    )

    def orders_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            th = f"nio-8080-exec-{1 + i % 40}"
            if t < SLOW1:
                return (
                    L.spring(
                        t,
                        "INFO",
                        "c.a.orders.web.OrderController",
                        f"GET /v1/orders/{40000 + i} 200 in {30 + i % 25} ms",
                        thread=th,
                    )
                    if i % 4 == 0
                    else None
                )
            if i % 5 == 0:
                return (
                    L.spring(t, "ERROR", "c.q.l.m.a.FluencyLogbackAppender", "Failed to emit a log event", thread=th)
                    + "\norg.komamitsu.fluency.BufferFullException: Buffer is full. "
                    "config=org.komamitsu.fluency.buffer.Buffer$Config@5d1e09bc, bufferUsage=1.0\n"
                    "\tat org.komamitsu.fluency.buffer.Buffer.append(Buffer.java:237)\n"
                    "\tat org.komamitsu.fluency.Fluency.emit(Fluency.java:95)\n"
                    "\tat ch.qos.logback.more.appenders.FluencyLogbackAppender.append(FluencyLogbackAppender.java:71)"
                )
            if i % 5 == 1:
                return (
                    L.spring(t, "ERROR", "o.k.fluency.flusher.Flusher", "Failed to flush", thread="fluency-flusher")
                    + "\njava.net.SocketTimeoutException: Read timed out\n"
                    "\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)\n"
                    "\tat org.komamitsu.fluency.fluentd.ingester.FluentdIngester.ingest(FluentdIngester.java:98)"
                )
            if i % 5 == 2:
                return L.spring(
                    t,
                    "WARN",
                    "c.a.orders.web.SlowRequestFilter",
                    f"GET /v1/orders/{40000 + i} took {8200 + 37 * (i % 50)} ms",
                    thread=th,
                )
            return None

        return every(s, e, 12, make)

    victim(inc, "orders", "orders-api", orders_log)
    http_codes(inc, "orders", "orders-api", (42.0, 18.0), (0.0, 6.5), SLOW1, "504")
    begin = inc.at - timedelta(hours=2)
    for pod in inc.pods_of("logging", "fluentd-aggregator"):
        inc.series(
            "fluentd_output_status_buffer_total_bytes",
            "gauge",
            "Current total size of stage and queue buffers.",
            {"namespace": "logging", "pod": pod.name, "plugin_id": "out_opensearch", "type": "opensearch"},
            lambda t: 4.0e6 if t < SLOW1 else min(5.36870912e8, 4.0e6 + (t - SLOW1).total_seconds() * 2.1e6),
            step_s=30,
        )
        inc.series(
            "fluentd_output_status_retry_count",
            "gauge",
            "Current retry counts.",
            {"namespace": "logging", "pod": pod.name, "plugin_id": "out_opensearch", "type": "opensearch"},
            counter(begin, 0.0, 0.05, SLOW1),
            step_s=30,
        )
    herring(
        inc,
        "logging",
        "opensearch-dashboards",
        "docker.io/opensearchproject/opensearch-dashboards",
        "2.17",
        AT1 - timedelta(minutes=36),
    )
    plant(inc, "orders", "orders-api-db", "password", "orders-db", "password")
    inc.pagerduty("orders-api: p99 latency above 5s for 10 minutes", "orders-api")
    inc.answer_key(
        culprit=("ConfigMap", "logging", "fluentd-aggregator-config"),
        keywords=["overflow_action", "buffer", "fluentd"],
        root_cause="ConfigMap logging/fluentd-aggregator-config was edited at 08:55 to set the OpenSearch "
        "output's buffer to overflow_action block with total_limit_size 512m; when OpenSearch "
        "slowed the buffer filled, the aggregator stopped accepting forward traffic and "
        "orders-api's synchronous fluency log appender blocked its request threads "
        "(BufferFullException), so latency rose and the ingress returned 504.",
        category="log-aggregator-buffer-overflow-blocks-app-logging",
        red_herrings=[("Deployment", "logging", "opensearch-dashboards")],
    )
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 2, 9, 40, tzinfo=UTC)
RUN2 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CHG2 = AT2 - timedelta(hours=19, minutes=10)


def event_pods_not_ready_grouped() -> Incident:
    """cronjob-history-limit-zero-garbage-collects-owned-secret: a Secret owned by a Job vanishes with it.

    after: the garbage-collection surprises platform teams write up: an object given an ownerReference for
    tidy clean-up is deleted by the garbage collector as soon as its owner goes, here because a CronJob's
    successfulJobsHistoryLimit was set to 0 and each finished Job is deleted at once.

    CronJob events/kafka-client-cert-renewer renews the Kafka client certificate each morning and, so that old
    certificates are tidied up, makes each run's Job the owner of Secret events-kafka-client-tls. Yesterday at
    14:30 a "less clutter" change (Argo CD) set successfulJobsHistoryLimit from 3 to 0. Today's 09:00 run
    succeeds, the CronJob controller deletes its Job at once, and the garbage collector deletes the Secret the
    Job owned. Running pods keep the values they started with; every pod started since (a node was replaced at
    09:22) sits in CreateContainerConfigError: secret "events-kafka-client-tls" not found. Two KubePodNotReady
    alerts for event-consumer and event-publisher arrive grouped; the red herring is event-archiver's rollout.
    """
    inc = start(event_pods_not_ready_grouped, "event pods not ready", AT2, 3002, namespaces=("events",))
    script = (
        "set -euo pipefail\n"
        "vault write -format=json pki_int/issue/kafka-client common_name=events.kafka.internal ttl=72h > /tmp/c.json\n"
        "jq -r .data.certificate /tmp/c.json > /tmp/tls.crt; jq -r .data.private_key /tmp/c.json > /tmp/tls.key\n"
        "kubectl create secret tls events-kafka-client-tls --cert=/tmp/tls.crt --key=/tmp/tls.key "
        "--dry-run=client -o yaml | kubectl apply -f -\n"
        "# owned by this run's Job so that old certificates are cleaned up with their Job\n"
        "JOB_UID=$(kubectl get job \"$JOB_NAME\" -o jsonpath='{.metadata.uid}')\n"
        'kubectl patch secret events-kafka-client-tls --type merge -p "{\\"metadata\\":{\\"ownerReferences\\":'
        '[{\\"apiVersion\\":\\"batch/v1\\",\\"kind\\":\\"Job\\",\\"name\\":\\"$JOB_NAME\\",'
        '\\"uid\\":\\"$JOB_UID\\"}]}}"\n'
    )
    cj = inc.add(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                "name": "kafka-client-cert-renewer",
                "namespace": "events",
                "generation": 6,
                "labels": {
                    "app.kubernetes.io/name": "kafka-client-cert-renewer",
                    "argocd.argoproj.io/instance": "events-platform",
                },
            },
            "spec": {
                "schedule": "0 9 * * *",
                "timeZone": "Etc/UTC",
                "concurrencyPolicy": "Forbid",
                "suspend": False,
                "successfulJobsHistoryLimit": 0,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 2,
                        "template": {
                            "spec": {
                                "serviceAccountName": "cert-renewer",
                                "restartPolicy": "Never",
                                "containers": [
                                    {
                                        "name": "renew",
                                        "image": "registry.example.com/platform/vault-kubectl:1.17.6",
                                        "command": ["/bin/bash", "-c", script],
                                        "env": [
                                            {
                                                "name": "JOB_NAME",
                                                "valueFrom": {
                                                    "fieldRef": {
                                                        "fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"
                                                    }
                                                },
                                            },
                                            {"name": "VAULT_ADDR", "value": "https://vault.vault.svc:8200"},
                                        ],
                                    }
                                ],
                            }
                        },
                    }
                },
            },
            "status": {"lastScheduleTime": ts(RUN2), "lastSuccessfulTime": ts(RUN2 + timedelta(seconds=41))},
        }
    )
    changed(cj, ("argocd-controller", "Apply", CHG2, {"f:spec": {"f:successfulJobsHistoryLimit": {}}}))
    job = f"kafka-client-cert-renewer-{int(RUN2.timestamp() // 60)}"
    for reason, msg, when in (
        ("SuccessfulCreate", f"Created job {job}", RUN2),
        ("SawCompletedJob", f"Saw completed job: {job}, status: Complete", RUN2 + timedelta(seconds=43)),
        ("SuccessfulDelete", f"Deleted job {job}", RUN2 + timedelta(seconds=43)),
    ):
        inc.event(cj, reason, msg, when, warning=False, component="cronjob-controller")
    env = [
        {"name": "KAFKA_BOOTSTRAP", "value": "events-kafka-bootstrap.kafka.svc:9093"},
        {
            "name": "KAFKA_SSL_CERTIFICATE",
            "valueFrom": {"secretKeyRef": {"name": "events-kafka-client-tls", "key": "tls.crt"}},
        },
        {"name": "KAFKA_SSL_KEY", "valueFrom": {"secretKeyRef": {"name": "events-kafka-client-tls", "key": "tls.key"}}},
    ]
    replaced = AT2 - timedelta(minutes=18)
    alerts = []
    for name, n in (("event-consumer", 3), ("event-publisher", 2)):

        def log(pod: str, s: datetime, e: datetime, name: str = name) -> Lines:
            return every(
                s,
                e,
                45,
                lambda i, t: L.js(
                    t,
                    "info",
                    "kafka batch committed" if name == "event-consumer" else "events published",
                    topic="domain-events",
                    count=40 + i % 30,
                ),
            )

        rev = Rev(
            1, inc.born + timedelta(days=14), "helm upgrade", [c(name, f"{REGISTRY}/events/{name}:2.{n}.0", env=env)]
        )
        plans = [P(log=within(log)) for _ in range(n - 1)]
        plans.append(
            P(
                state="waiting",
                waiting_reason="CreateContainerConfigError",
                message='secret "events-kafka-client-tls" not found',
                created=replaced,
            )
        )
        wl = inc.deployment("events", name, [rev], {1: plans}, replicas=n)
        pod = wl.pods[-1].name
        alerts.append(
            alert(
                inc,
                "KubePodNotReady",
                {"namespace": "events", "pod": pod},
                f"Pod events/{pod} has been in a non-ready state for more than 15 minutes.",
                "Pod has been in a non-ready state for more than 15 minutes.",
                'sum by (namespace, pod) (max by(namespace, pod) (kube_pod_status_phase{job="kube-state-metrics", '
                'phase=~"Pending|Unknown|Failed"}) * on(namespace, pod) group_left(owner_kind) topk by(namespace, pod) '
                '(1, max by(namespace, pod, owner_kind) (kube_pod_owner{owner_kind!="Job"}))) > 0',
            )
        )
        inc.series(
            "kube_pod_container_status_waiting_reason",
            "gauge",
            "Describes the reason the container is currently in waiting state.",
            {
                "namespace": "events",
                "pod": pod,
                "container": name,
                "reason": "CreateContainerConfigError",
                "job": "kube-state-metrics",
            },
            lambda t: 1.0 if t >= replaced else None,
            step_s=30,
        )
    send(inc, alerts, ["alertname", "namespace"])
    herring(inc, "events", "event-archiver", f"{REGISTRY}/events/event-archiver", "1.8", AT2 - timedelta(minutes=50))
    plant(inc, "events", "kafka-admin", "password", "kafka-admin", "password")
    inc.answer_key(
        culprit=("CronJob", "events", "kafka-client-cert-renewer"),
        keywords=["ownerReference", "successfulJobsHistoryLimit", "garbage"],
        root_cause="CronJob events/kafka-client-cert-renewer makes each run's Job the owner (ownerReference) of "
        "Secret events-kafka-client-tls; yesterday its successfulJobsHistoryLimit was set to 0, so after "
        "today's 09:00 run the controller deleted the Job and the garbage collector deleted the "
        "Secret; new event-consumer and event-publisher pods fail with "
        "CreateContainerConfigError (secret not found).",
        category="cronjob-history-limit-zero-garbage-collects-owned-secret",
        red_herrings=[("Deployment", "events", "event-archiver")],
    )
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 3, 13, 10, tzinfo=UTC)
CHG3 = AT3 - timedelta(hours=2, minutes=35)
FULL3 = AT3 - timedelta(hours=1, minutes=50)
ROLL3 = AT3 - timedelta(minutes=17)


def basket_metrics_absent() -> Incident:
    """remote-write-tenant-series-limit-hit-by-new-high-cardinality-label: one release fills the tenant's series budget.

    after: the metrics-platform postmortems in which a service started labelling a metric with a user or query
    id: the long-term store (Mimir, Cortex) refuses new series once the tenant's series limit is reached, and
    what breaks is whoever creates new series next, often a team that changed nothing relevant.

    search/ranker 2.6.0 (rollout at 10:35) labels its request histogram with the normalised query text, each
    scrape adds tens of thousands of series, and by 11:20 the shared tenant `prod` reaches Mimir's per-user
    series limit (1.5M). Mimir rejects samples of new series with err-mimir-max-series-per-user; Prometheus logs
    non-recoverable remote-write errors. basket-api rolled out at 12:53; its new pods' series are all new, so
    its request metrics vanish from Mimir and the ruler's absent() alert pages the basket team. The red herring
    is a mimir-store-gateway rollout the same morning.
    """
    inc = start(
        basket_metrics_absent, "basket-api request metrics absent", AT3, 3003, namespaces=("basket", "search", "mimir")
    )
    revs = [
        Rev(1, inc.born + timedelta(days=20), "helm upgrade", [c("ranker", f"{REGISTRY}/search/ranker:2.5.3")]),
        Rev(2, CHG3, "helm upgrade", [c("ranker", f"{REGISTRY}/search/ranker:2.6.0")]),
    ]

    def ranker_log(pod: str, s: datetime, e: datetime) -> Lines:
        return every(
            s,
            e,
            60,
            lambda i, t: L.logfmt(
                t, "info", "served", path="/v2/rank", p50_ms=14 + i % 5, metrics_label="query" if t >= CHG3 else "route"
            ),
        )

    inc.deployment("search", "ranker", revs, {2: [P(log=within(ranker_log)) for _ in range(3)]})
    err = (
        "server returned HTTP status 400 Bad Request: send data to ingesters: failed pushing to ingester "
        "mimir-ingester-1: user=prod: per-user series limit of 1500000 exceeded (err-mimir-max-series-per-user). "
        "To adjust the related per-tenant limit, configure -ingester.max-global-series-per-user, or contact your "
        "service administrator."
    )

    def prom_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if t < FULL3:
                return (
                    f"ts={t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z caller=compact.go:580 level=info "
                    'component=tsdb msg="write block" duration=1.9s'
                    if i % 40 == 0
                    else None
                )
            return (
                (
                    f"ts={t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z caller=dedupe.go:112 level=error component=remote "
                    f"remote_name=mimir url=http://mimir-distributor.mimir.svc:8080/api/v1/push "
                    f'msg="non-recoverable error" count=2000 exemplarCount=0 err="{err}"'
                )
                if i % 2 == 0
                else None
            )

        return every(s, e, 30, make)

    relog(inc, "monitoring", "prometheus", prom_log)

    def dist_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if t < FULL3 or i % 3:
                return None
            return (
                f"ts={t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z caller=push.go:130 level=warn user=prod "
                f'msg="push refused" err="user=prod: per-user series limit of 1500000 exceeded '
                '(err-mimir-max-series-per-user)" insight=true'
            )

        return every(s, e, 20, make)

    app(inc, "mimir", "mimir-distributor", "docker.io/grafana/mimir:2.14.1", 2, log=within(dist_log), port=8080)

    def basket_log(pod: str, s: datetime, e: datetime) -> Lines:
        return every(
            s,
            e,
            30,
            lambda i, t: L.js(
                t, "info", "request", method="GET", path="/v1/basket", status=200, duration_ms=21 + i % 9
            ),
        )

    inc.deployment(
        "basket",
        "basket-api",
        [
            Rev(
                4,
                inc.born + timedelta(days=30),
                "helm upgrade",
                [c("basket-api", f"{REGISTRY}/basket/basket-api:4.2.0")],
            ),
            Rev(5, ROLL3, "helm upgrade", [c("basket-api", f"{REGISTRY}/basket/basket-api:4.2.1")]),
        ],
        {5: [P(log=within(basket_log)) for _ in range(3)]},
    )
    begin = inc.at - timedelta(hours=2)
    inc.series(
        "scrape_samples_scraped",
        "gauge",
        "The number of samples the target exposed.",
        {"namespace": "search", "job": "ranker", "instance": "ranker:8080"},
        lambda t: 2100.0 if t < CHG3 else min(412000.0, 2100.0 + (t - CHG3).total_seconds() * 140),
        step_s=30,
    )
    inc.series(
        "cortex_discarded_samples_total",
        "counter",
        "The total number of samples that were discarded.",
        {"namespace": "mimir", "job": "mimir/distributor", "reason": "per_user_series_limit", "user": "prod"},
        counter(begin, 0.0, 3100.0, FULL3),
        step_s=30,
    )
    inc.series(
        "prometheus_remote_storage_samples_failed_total",
        "counter",
        "Total number of samples which failed on send to remote storage, non-recoverable errors.",
        {
            "namespace": "monitoring",
            "job": "prometheus",
            "remote_name": "mimir",
            "url": "http://mimir-distributor.mimir.svc:8080/api/v1/push",
        },
        counter(begin, 0.0, 3100.0, FULL3),
        step_s=30,
    )
    inc.series(
        "http_requests",
        "counter",
        "Total HTTP requests.",
        {"namespace": "basket", "service": "basket-api", "job": "basket-api", "code": "200"},
        lambda t: None if t >= ROLL3 + timedelta(minutes=1) else (t - begin).total_seconds() * 55,
        step_s=30,
    )
    herring(inc, "mimir", "mimir-store-gateway", "docker.io/grafana/mimir", "2.14", AT3 - timedelta(hours=1, minutes=5))
    plant(inc, "mimir", "mimir-s3", "aws-secret", "mimir-blocks", "secret_access_key")
    inc.alertmanager(
        "BasketApiRequestMetricsAbsent",
        {"namespace": "basket", "service": "basket-api"},
        "basket-api request metrics are absent",
        "No http_requests_total series for basket/basket-api in the last 10 minutes.",
        'absent(sum(rate(http_requests_total{namespace="basket",service="basket-api"}[5m])))',
        runbook="https://runbooks.example.com/alerts/metricsabsent",
    )
    inc.answer_key(
        culprit=("Deployment", "search", "ranker"),
        keywords=["cardinality", "series limit", "err-mimir-max-series-per-user"],
        root_cause="search/ranker 2.6.0 (revision 2) labels its request metrics with query text; the "
        "cardinality explosion filled the shared Mimir tenant's per-user series limit, so Mimir "
        "now refuses every new series (err-mimir-max-series-per-user) and basket-api's series "
        "from its new pods never reach the store: the absent() alert fires.",
        category="remote-write-tenant-series-limit-hit-by-new-high-cardinality-label",
        red_herrings=[("Deployment", "mimir", "mimir-store-gateway")],
    )
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 3, 16, 5, tzinfo=UTC)
CHG4 = AT4 - timedelta(minutes=14)
SITE4 = "https://www.example-shop.com/"


def homepage_down_page() -> Incident:
    """synthetic-check-module-swapped-pages-healthy-site: a blackbox Probe now sends the wrong request.

    after: the monitoring write-ups in which a synthetic check pages for a site that is up: a blackbox probe's
    module copied from another check (POST instead of GET) gets 405 from a page that only serves GET.

    At 15:51 someone tidies the prometheus-operator Probe monitoring/storefront-homepage with kubectl apply and
    copies the module from the payments webhook check: http_post_2xx instead of http_2xx. The homepage answers
    POST / with 405 Method Not Allowed; the blackbox exporter logs "Invalid HTTP response status code, wanted
    2xx" and probe_success drops to 0, paging BlackboxProbeFailed. Real traffic is fine: the ingress access log
    shows GET / 200 for customers and POST / 405 only from the Blackbox Exporter user agent. Simple: the cause
    is in the probe's own spec and the exporter's log. The red herring is a promo-banners rollout in web.
    """
    inc = start(
        homepage_down_page, "www.example-shop.com reported down by synthetic check", AT4, 3004, namespaces=("web",)
    )
    inc.configmap(
        "monitoring",
        "blackbox-exporter-config",
        {
            "blackbox.yaml": (
                "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      method: GET\n"
                "      preferred_ip_protocol: ip4\n  http_post_2xx:\n    prober: http\n    timeout: 5s\n    http:\n"
                "      method: POST\n      headers:\n        Content-Type: application/json\n"
                "      body: '{\"ping\":true}'\n"
                "  tcp_connect:\n    prober: tcp\n    timeout: 5s\n"
            )
        },
    )
    probe = custom(
        inc,
        "Probe",
        "monitoring.coreos.com",
        "v1",
        "probes",
        "monitoring",
        "storefront-homepage",
        {
            "jobName": "storefront-homepage",
            "interval": "30s",
            "module": "http_post_2xx",
            "prober": {"url": "blackbox-exporter.monitoring.svc:9115", "path": "/probe"},
            "targets": {"staticConfig": {"static": [SITE4], "labels": {"team": "web"}}},
        },
        "kubectl-client-side-apply",
        CHG4,
        {"f:spec": {"f:module": {}}},
    )
    probe["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": ""}
    inc.add(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "Probe",
            "metadata": {"name": "payments-webhook", "namespace": "monitoring", "generation": 2},
            "spec": {
                "jobName": "payments-webhook",
                "interval": "60s",
                "module": "http_post_2xx",
                "prober": {"url": "blackbox-exporter.monitoring.svc:9115", "path": "/probe"},
                "targets": {"staticConfig": {"static": ["https://hooks.example-shop.com/psp/ping"]}},
            },
        }
    )

    def bb_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            if t < CHG4:
                return None
            head = f"ts={stamp} caller=main.go:190 module=http_post_2xx target={SITE4} level=debug"
            return "\n".join(
                [
                    f'{head} msg="Making HTTP request" url={SITE4} host=www.example-shop.com',
                    f'{head} msg="Received HTTP response" status_code=405',
                    f'{head} msg="Invalid HTTP response status code, wanted 2xx" status_code=405',
                    f'{head} msg="Probe failed" duration_seconds=0.061240',
                ]
            )

        return every(s, e, 30, make)

    app(
        inc,
        "monitoring",
        "blackbox-exporter",
        "quay.io/prometheus/blackbox-exporter:v0.25.0",
        1,
        log=within(bb_log),
        port=9115,
    )

    def nginx_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if i % 3 == 0 and t >= CHG4:
                return L.nginx_access(
                    t,
                    "10.244.1.37",
                    "POST /",
                    405,
                    157,
                    "web-frontend-80",
                    "10.244.2.19:8080",
                    0.004,
                    ua="Blackbox Exporter/0.25.0",
                )
            return L.nginx_access(
                t, f"81.2.{i % 200}.{i % 97}", "GET /", 200, 48211, "web-frontend-80", "10.244.2.19:8080", 0.041
            )

        return every(s, e, 10, make)

    relog(inc, "ingress-nginx", "ingress-nginx-controller", nginx_log)
    inc.series(
        "probe_success",
        "gauge",
        "Displays whether or not the probe was a success",
        {"job": "probe/monitoring/storefront-homepage", "instance": SITE4, "namespace": "monitoring"},
        lambda t: 1.0 if t < CHG4 else 0.0,
        step_s=30,
    )
    inc.series(
        "probe_http_status_code",
        "gauge",
        "Response HTTP status code",
        {"job": "probe/monitoring/storefront-homepage", "instance": SITE4, "namespace": "monitoring"},
        lambda t: 200.0 if t < CHG4 else 405.0,
        step_s=30,
    )
    inc.series(
        "nginx_ingress_controller_requests",
        "counter",
        "The total number of client requests",
        {"namespace": "web", "ingress": "storefront", "service": "frontend", "status": "200", "method": "GET"},
        counter(inc.at - timedelta(hours=2), 95.0, 97.0, CHG4),
        step_s=30,
    )
    herring(inc, "web", "promo-banners", f"{REGISTRY}/web/promo-banners", "3.2", AT4 - timedelta(minutes=25))
    plant(inc, "web", "storefront-cdn", "token", "cdn-purge", "api-token")
    a = alert(
        inc,
        "BlackboxProbeFailed",
        {"job": "probe/monitoring/storefront-homepage", "instance": SITE4, "namespace": "monitoring"},
        f"Probe failed for {SITE4}",
        f"The blackbox probe of {SITE4} has failed for 5 minutes.",
        'probe_success{job="probe/monitoring/storefront-homepage"} == 0',
        severity="critical",
    )
    send(inc, [a], ["alertname", "instance"])
    inc.answer_key(
        culprit=("Probe", "monitoring", "storefront-homepage"),
        keywords=["http_post_2xx", "module", "405"],
        root_cause="The Probe monitoring/storefront-homepage was re-applied at 15:51 with module "
        "http_post_2xx (copied from the payments webhook check): the blackbox exporter now sends "
        "POST / and the homepage answers 405 Method Not Allowed, so probe_success is 0 while "
        "customers' GET requests succeed; the page is a false alarm from the probe's module.",
        category="synthetic-check-module-swapped-pages-healthy-site",
        red_herrings=[("Deployment", "web", "promo-banners")],
    )
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 4, 11, 25, tzinfo=UTC)
CHG5 = AT5 - timedelta(hours=2, minutes=5)
MOVED5 = AT5 - timedelta(minutes=48)
PROXY5 = "http://squid.egress.svc.cluster.local:3128"


def quotes_api_availability_burn() -> Incident:
    """mutating-policy-proxy-env-drops-no-proxy-cluster-traffic-denied: injected proxy settings catch in-cluster calls.

    after: the egress-proxy rollouts people describe on forums and in postmortems: a platform webhook injects
    HTTP_PROXY into every pod, NO_PROXY misses the cluster's own domains, and service-to-service calls are sent
    to the forward proxy, which refuses them (403 TCP_DENIED).

    Kyverno ClusterPolicy add-egress-proxy-env injects HTTP_PROXY, HTTPS_PROXY and NO_PROXY into pods of
    namespaces labelled for the egress proxy. At 09:20 a GitOps sync of the policy repo rewrites its NO_PROXY to
    "localhost,127.0.0.1,169.254.169.254" (the .svc, .cluster.local and pod/service CIDR entries were dropped
    in a merge). Pods already running are untouched; two quotes-api pods re-created by a node consolidation at
    10:37 get the new env, and axios there sends calls to pricing.pricing.svc.cluster.local through squid,
    whose ACL allows only external domains: 403 ERR_ACCESS_DENIED, quotes-api answers 502. The SLO burn
    pages quotes-api; the red herring is pricing-feeds' rollout an hour earlier.
    """
    inc = start(
        quotes_api_availability_burn,
        "quotes-api availability burn",
        AT5,
        3005,
        namespaces=("quotes", "pricing", "egress"),
    )
    env = [
        {"name": "HTTP_PROXY", "value": PROXY5},
        {"name": "HTTPS_PROXY", "value": PROXY5},
        {"name": "NO_PROXY", "value": "localhost,127.0.0.1,169.254.169.254"},
    ]
    policy = custom(
        inc,
        "ClusterPolicy",
        "kyverno.io",
        "v1",
        "clusterpolicies",
        "",
        "add-egress-proxy-env",
        {
            "background": False,
            "rules": [
                {
                    "name": "inject-proxy-env",
                    "match": {
                        "any": [
                            {
                                "resources": {
                                    "kinds": ["Pod"],
                                    "namespaceSelector": {"matchLabels": {"egress.example.com/proxy": "true"}},
                                }
                            }
                        ]
                    },
                    "mutate": {"patchStrategicMerge": {"spec": {"containers": [{"(name)": "*", "env": env}]}}},
                }
            ],
        },
        "argocd-controller",
        CHG5,
        {"f:spec": {"f:rules": {}}},
        scope="Cluster",
    )
    policy["metadata"]["annotations"] = {
        "policies.kyverno.io/title": "Add egress proxy environment",
        "policies.kyverno.io/description": "Route outbound HTTP through squid.",
    }
    for ns in ("quotes", "pricing"):
        for obj in inc.cluster.objects:
            if obj["kind"] == "Namespace" and obj["metadata"]["name"] == ns:
                obj["metadata"].setdefault("labels", {})["egress.example.com/proxy"] = "true"

    def quotes_log(pod: str, s: datetime, e: datetime) -> Lines:
        proxied = pod in moved

        def make(i: int, t: datetime) -> str | None:
            ms = int(t.timestamp() * 1000)
            if not proxied:
                return json.dumps(
                    {
                        "level": 30,
                        "time": ms,
                        "pid": 1,
                        "hostname": pod,
                        "reqId": f"req-{i:x}",
                        "res": {"statusCode": 200},
                        "responseTime": 38 + i % 20,
                        "msg": "request completed",
                    },
                    separators=(",", ":"),
                )
            return json.dumps(
                {
                    "level": 50,
                    "time": ms,
                    "pid": 1,
                    "hostname": pod,
                    "reqId": f"req-{i:x}",
                    "upstream": "http://pricing.pricing.svc.cluster.local:8080/v1/price",
                    "err": {
                        "type": "AxiosError",
                        "message": "Request failed with status code 403",
                        "code": "ERR_BAD_REQUEST",
                        "status": 403,
                        "responseHeaders": {"server": "squid/6.10", "x-squid-error": "ERR_ACCESS_DENIED 0"},
                        "stack": "AxiosError: Request failed with status code 403\n    at settle "
                        "(/app/node_modules/axios/dist/node/axios.cjs:2019:12)",
                    },
                    "msg": "pricing lookup failed",
                },
                separators=(",", ":"),
            )

        return every(s, e, 15, make)

    rev = Rev(
        1,
        inc.born + timedelta(days=18),
        "helm upgrade",
        [
            c(
                "quotes-api",
                f"{REGISTRY}/quotes/quotes-api:5.3.2",
                env=[{"name": "PRICING_URL", "value": "http://pricing.pricing.svc.cluster.local:8080"}],
            )
        ],
    )
    moved: list[str] = []
    wl = inc.deployment(
        "quotes",
        "quotes-api",
        [rev],
        {
            1: [
                P(log=within(quotes_log)),
                P(log=within(quotes_log), created=MOVED5),
                P(log=within(quotes_log), created=MOVED5 + timedelta(seconds=20)),
            ]
        },
    )
    for h in wl.pods[1:]:
        moved.append(h.name)

        def inject(pod: dict[str, Any]) -> None:
            pod["spec"]["containers"][0]["env"] = [*pod["spec"]["containers"][0].get("env", []), *env]
            pod["metadata"].setdefault("annotations", {})["policies.kyverno.io/last-applied-patches"] = (
                "add-egress-proxy-env.inject-proxy-env.kyverno.io: added /spec/containers/0/env/1\n"
            )

        inc.cluster.patch("quotes", h.name, inject)
        h.logs["quotes-api"] = within(quotes_log)(h.name, h.created + timedelta(seconds=6), inc.captured)

    def squid_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if t >= MOVED5 and i % 2 == 0:
                return (
                    f"{t.timestamp():.3f}      0 10.244.3.{41 + i % 2} TCP_DENIED/403 3912 GET "
                    "http://pricing.pricing.svc.cluster.local:8080/v1/price - HIER_NONE/- text/html"
                )
            return (
                f"{t.timestamp():.3f}    {120 + i % 90} 10.244.1.{20 + i % 30} TCP_TUNNEL/200 6120 CONNECT "
                "api.fx-provider.example.net:443 - HIER_DIRECT/203.0.113.40 -"
            )

        return every(s, e, 20, make)

    app(inc, "egress", "squid", "docker.io/ubuntu/squid:6.10-24.10_beta", 2, log=within(squid_log), port=3128)
    inc.configmap(
        "egress",
        "squid-config",
        {
            "squid.conf": (
                "acl allowed_domains dstdomain .fx-provider.example.net .psp.example.com .amazonaws.com\n"
                "http_access allow CONNECT allowed_domains\nhttp_access allow allowed_domains\nhttp_access deny all\n"
                "http_port 3128\n"
            )
        },
    )
    app(inc, "pricing", "pricing", f"{REGISTRY}/pricing/pricing:1.9.0", 2, port=8080)
    inc.deployment(
        "pricing",
        "pricing-feeds",
        [
            Rev(
                1,
                inc.born + timedelta(days=10),
                "helm upgrade",
                [c("pricing-feeds", f"{REGISTRY}/pricing/pricing-feeds:1.3.0")],
            ),
            Rev(
                2,
                AT5 - timedelta(hours=1, minutes=10),
                "helm upgrade",
                [c("pricing-feeds", f"{REGISTRY}/pricing/pricing-feeds:1.4.0")],
            ),
        ],
        {2: [P(), P()]},
    )
    http_codes(inc, "quotes", "quotes-api", (36.0, 13.0), (0.0, 23.0), MOVED5, "502")
    plant(inc, "quotes", "quotes-api-partner", "token", "quotes-partner", "api-key")
    inc.slo_burn(
        "quotes-api",
        "quotes",
        "quotes-api-availability",
        "0.995",
        18.4,
        "quotes-api is burning its 30-day error budget 18.4x too fast over 1h and 5m.",
    )
    inc.answer_key(
        culprit=("ClusterPolicy", "", "add-egress-proxy-env"),
        keywords=["NO_PROXY", "squid", "403"],
        root_cause="Kyverno ClusterPolicy add-egress-proxy-env was re-synced at 09:20 with a NO_PROXY that "
        "lacks .svc/.cluster.local; quotes-api pods created since then get HTTP_PROXY injected and "
        "send their calls to pricing.pricing.svc through squid, which denies them (403 "
        "ERR_ACCESS_DENIED), so quotes-api returns 502 and burns its SLO.",
        category="mutating-policy-proxy-env-drops-no-proxy-cluster-traffic-denied",
        red_herrings=[("Deployment", "pricing", "pricing-feeds")],
    )
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 4, 8, 50, tzinfo=UTC)
CHG6 = AT6 - timedelta(hours=6, minutes=30)
RESTART6 = AT6 - timedelta(hours=5, minutes=10)
FULL6 = AT6 - timedelta(minutes=40)


def node_evictions_host_question() -> Incident:
    """log-agent-disk-buffer-fills-node-root-volume: a log agent's new disk buffer fills the node's disk.

    after: the log-pipeline incidents in which a node agent was given a large on-disk buffer on the host's root
    volume: when the sink slows, the buffer grows into the kubelet's eviction threshold and pods on that node
    are evicted for ephemeral storage.

    The logging team ships DaemonSet logging/vector revision 4 at 02:20: a hostPath /var/lib/vector and args
    pointing at agent-disk-buffer.yaml (a 40 GiB disk buffer, when_full block) on nodes whose root volume is
    80 GiB. The DaemonSet uses updateStrategy OnDelete, so only the agent that restarted since (on one node, at
    03:40) runs it. Elasticsearch bulk requests have been timing out since the morning; that agent's buffer
    grows, the node reports DiskPressure at 08:10 and the kubelet evicts pods. The question names the node
    only; the red herring is an elasticsearch-exporter rollout in the logging namespace.
    """
    inc = start(node_evictions_host_question, "pods evicted on one node", AT6, 3006, namespaces=("logging", "media"))
    host = node_named(inc, 2)
    agents = inc.cluster.daemonset(
        "logging",
        "vector",
        "docker.io/timberio/vector:0.41.1-distroless-libc",
        inc.born + timedelta(days=6),
        memory_mi=80,
    )
    ds = inc.find("DaemonSet", "logging", "vector")
    new_image = "docker.io/timberio/vector:0.42.0-distroless-libc"
    spec = ds["spec"]["template"]["spec"]
    spec["containers"][0]["image"] = new_image
    spec["containers"][0]["args"] = ["--config", "/etc/vector/agent-disk-buffer.yaml"]
    spec["containers"][0]["volumeMounts"] = [
        {"name": "config", "mountPath": "/etc/vector"},
        {"name": "data", "mountPath": "/var/lib/vector"},
        {"name": "var-log", "mountPath": "/var/log", "readOnly": True},
    ]
    spec["volumes"] = [
        {"name": "config", "configMap": {"name": "vector-agent"}},
        {"name": "data", "hostPath": {"path": "/var/lib/vector", "type": "DirectoryOrCreate"}},
        {"name": "var-log", "hostPath": {"path": "/var/log"}},
    ]
    ds["spec"]["updateStrategy"] = {"type": "OnDelete"}
    ds["metadata"]["generation"] = 4
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "4"
    ds["status"].update({"observedGeneration": 4, "updatedNumberScheduled": 1})
    changed(
        ds,
        (
            "helm",
            "Update",
            CHG6,
            {"f:spec": {"f:template": {"f:spec": {"f:containers": {}, "f:volumes": {}}}, "f:updateStrategy": {}}},
        ),
    )
    for number, when, image in ((3, inc.born + timedelta(days=6), "0.41.1"), (4, CHG6, "0.42.0")):
        inc.add(
            {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": f"vector-{o.suffix(f'vector-{number}', 10)}",
                    "namespace": "logging",
                    "creationTimestamp": ts(when),
                    "labels": {"app": "vector"},
                    "ownerReferences": [o.owner_ref("DaemonSet", "vector", "logging")],
                },
                "revision": number,
                "data": {
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [
                                    {"name": "vector", "image": f"docker.io/timberio/vector:{image}-distroless-libc"}
                                ]
                            }
                        }
                    }
                },
            }
        )
    inc.configmap(
        "logging",
        "vector-agent",
        {
            "agent.yaml": (
                "sinks:\n  es:\n    type: elasticsearch\n    inputs: [k8s]\n    endpoints: "
                "[http://elasticsearch.logging.svc:9200]\n    buffer:\n      type: memory\n      max_events: "
                "10000\n      when_full: drop_newest\n"
            ),
            "agent-disk-buffer.yaml": (
                "data_dir: /var/lib/vector\nsinks:\n  es:\n    type: elasticsearch\n    inputs: "
                "[k8s]\n    endpoints: [http://elasticsearch.logging.svc:9200]\n    buffer:\n"
                "      type: disk\n      max_size: 42949672960\n      when_full: block\n"
            ),
        },
        at=CHG6,
    )
    moved = next(h for h in agents if h.node == host)
    moved.containers = [c("vector", new_image, port=None)]
    moved.created = RESTART6
    moved.states = [o.ContainerState(started_at=RESTART6 + timedelta(seconds=4))]
    moved.labels = {"app": "vector", "controller-revision-hash": o.suffix("vector-4", 10)}

    def vector_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            if i % 4 == 0:
                return (
                    f'{stamp}  WARN sink{{component_kind="sink" component_id=es component_type=elasticsearch}}:'
                    f"request{{request_id={5000 + i}}}: vector::sinks::util::retries: Retrying after error. "
                    "error=Failed to make HTTP(S) request: operation timed out internal_log_rate_limit=true"
                )
            return None

        return every(s, e, 30, make)

    for h in agents:
        h.logs["vector"] = within(vector_log)(h.name, max(h.created, inc.at - timedelta(hours=3)), inc.captured)
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == host)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "DiskPressure":
            cond.update(
                {
                    "status": "True",
                    "reason": "KubeletHasDiskPressure",
                    "message": "kubelet has disk pressure",
                    "lastTransitionTime": ts(FULL6),
                }
            )
    node["spec"]["taints"] = [
        {"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule", "timeAdded": ts(FULL6)}
    ]
    inc.event(
        node, "NodeHasDiskPressure", f"Node {host} status is now: NodeHasDiskPressure", FULL6, warning=False, host=host
    )
    inc.event(
        node,
        "EvictionThresholdMet",
        "Attempting to reclaim ephemeral-storage",
        FULL6,
        AT6 + timedelta(minutes=20),
        count=9,
        host=host,
    )
    evicted = []
    for ns, name in (("media", "thumbnailer"), ("media", "transcoder")):
        rev = Rev(
            1, inc.born + timedelta(days=16), "helm upgrade", [c(name, f"{REGISTRY}/{ns}/{name}:2.{len(name)}.0")]
        )
        wl = inc.deployment(ns, name, [rev], {1: [P(node=host), P()]})
        h = wl.pods[0]
        h.ready = lambda t: t < FULL6
        evicted.append(h)

        def evict(pod: dict[str, Any], name: str = name) -> None:
            pod["status"] = {
                "phase": "Failed",
                "reason": "Evicted",
                "message": "The node was low on resource: ephemeral-storage. Threshold quantity: "
                "8387377Ki, available: 6012044Ki. ",
                "startTime": pod["status"].get("startTime"),
                "conditions": pod["status"].get("conditions", []),
            }

        inc.cluster.patch(ns, h.name, evict)
        inc.event(
            inc.cluster.pod_object(h),
            "Evicted",
            "The node was low on resource: ephemeral-storage. Threshold quantity: 8387377Ki, available: 6012044Ki. ",
            FULL6 + timedelta(minutes=3),
            host=host,
        )
    inc.series(
        "node_filesystem_avail_bytes",
        "gauge",
        "Filesystem space available to non-root users in bytes.",
        {"instance": host, "job": "node-exporter", "mountpoint": "/", "device": "/dev/nvme0n1p1", "fstype": "xfs"},
        lambda t: 5.2e10 - max(0.0, (t - RESTART6).total_seconds()) * 2.4e6 if t < FULL6 else 6.1e9,
        step_s=60,
    )
    inc.series(
        "vector_buffer_byte_size",
        "gauge",
        "The number of bytes currently in the buffer.",
        {"namespace": "logging", "pod": moved.name, "component_id": "es", "buffer_type": "disk"},
        lambda t: None if t < RESTART6 else min(4.1e10, (t - RESTART6).total_seconds() * 2.4e6),
        step_s=60,
    )
    herring(
        inc,
        "logging",
        "elasticsearch-exporter",
        "quay.io/prometheuscommunity/elasticsearch-exporter",
        "1.8",
        AT6 - timedelta(hours=1, minutes=20),
    )
    plant(inc, "logging", "elasticsearch-credentials", "password", "es-writer", "password")
    inc.ask(f"Pods on {host} keep getting evicted since this morning, what is wrong with that machine?")
    inc.answer_key(
        culprit=("DaemonSet", "logging", "vector"),
        keywords=["disk buffer", "DiskPressure", "ephemeral-storage"],
        root_cause=f"DaemonSet logging/vector revision 4 (OnDelete, running only on {host} so far) uses a "
        "40 GiB disk buffer on a hostPath of the node's root volume; with the Elasticsearch sink "
        "timing out the buffer filled the disk, the node reports DiskPressure and the kubelet "
        "evicts pods for ephemeral-storage.",
        category="log-agent-disk-buffer-fills-node-root-volume",
        red_herrings=[("Deployment", "logging", "elasticsearch-exporter")],
    )
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 4, 10, 15, tzinfo=UTC)
CHG7 = AT7 - timedelta(hours=2, minutes=40)


def sentinel_redeploying_question() -> Incident:
    """operator-release-renamed-second-leader-lease-dueling-reconcilers: two operator releases both lead.

    after: the operator-upgrade postmortems in which a chart rename installed a second copy of a controller
    next to the first: the leader-election lock name derives from the release name, so each copy holds its
    own lease, both reconcile the same custom resources, and each rewrites the other's objects.

    The platform team moves redis-operator to the new upstream chart through Argo CD at 07:35; the new
    release is called redisoperator, the old redis-operator release was never removed. The new Deployment
    takes lease redis-operator/redisoperator-lock, the old one still holds redis-failover-lease, so both lead.
    v1.3 renders the sentinel Deployment of RedisFailover sessions/sessions with redis 7.2, v1.2 with 6.2:
    rfs-sessions rolls out every few minutes, sentinels restart and session-api's go-redis client fails to find
    a master. The question names only the workload; the red herring is session-api's own rollout.
    """
    inc = start(
        sentinel_redeploying_question, "sentinel pods redeploying", AT7, 3007, namespaces=("redis-operator", "sessions")
    )
    crd(inc, "RedisFailover", "databases.spotahome.com", "redisfailovers", version="v1")
    inc.add(
        {
            "apiVersion": "databases.spotahome.com/v1",
            "kind": "RedisFailover",
            "metadata": {"name": "sessions", "namespace": "sessions", "generation": 3},
            "spec": {"sentinel": {"replicas": 3}, "redis": {"replicas": 3, "storage": {"keepAfterDeletion": True}}},
        }
    )

    def op_log(version: str, lock: str, since: datetime) -> LogFn:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            out: Lines = []
            if s <= since + timedelta(seconds=20) <= e:
                out.append(
                    (
                        since + timedelta(seconds=3),
                        L.klog(
                            since + timedelta(seconds=3),
                            "I",
                            "leaderelection.go:254",
                            f"attempting to acquire leader lease {lock}...",
                        ),
                    )
                )
                out.append(
                    (
                        since + timedelta(seconds=4),
                        L.klog(
                            since + timedelta(seconds=4),
                            "I",
                            "leaderelection.go:268",
                            f"successfully acquired lease {lock}",
                        ),
                    )
                )
            for t in L.every(max(s, CHG7), e, 150):
                tt = t + timedelta(seconds=40 if version == "v1.2.4" else 0)
                out.append(
                    (
                        tt,
                        f'time="{tt.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="deployment updated" '
                        f"deployment=rfs-sessions namespace=sessions operator={version} "
                        'service=k8s.deployment src="deployment.go:102"',
                    )
                )
            return out

        return within(make)

    inc.deployment(
        "redis-operator",
        "redis-operator",
        [
            Rev(
                1,
                inc.born + timedelta(days=25),
                "helm upgrade",
                [c("redis-operator", "quay.io/spotahome/redis-operator:v1.2.4", port=9710)],
            )
        ],
        {1: [P(log=op_log("v1.2.4", "redis-operator/redis-failover-lease", inc.born + timedelta(days=25)))]},
    )
    inc.deployment(
        "redis-operator",
        "redisoperator",
        [Rev(1, CHG7, "argocd sync", [c("redisoperator", "quay.io/spotahome/redis-operator:v1.3.0", port=9710)])],
        {1: [P(log=op_log("v1.3.0", "redis-operator/redisoperator-lock", CHG7))]},
    )
    for name, holder, renewed in (
        ("redis-failover-lease", "redis-operator", AT7 + timedelta(minutes=34)),
        ("redisoperator-lock", "redisoperator", AT7 + timedelta(minutes=34)),
    ):
        pod = inc.pods_of("redis-operator", holder)[0].name
        inc.add(
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": name, "namespace": "redis-operator"},
                "spec": {
                    "holderIdentity": pod,
                    "leaseDurationSeconds": 15,
                    "leaseTransitions": 0,
                    "acquireTime": ts(CHG7 if holder == "redisoperator" else inc.born + timedelta(days=25)),
                    "renewTime": ts(renewed),
                },
            }
        )
    revs = [
        Rev(
            1,
            inc.born + timedelta(days=25),
            "redis-operator",
            [c("sentinel", "docker.io/library/redis:6.2.14-alpine", port=26379)],
        )
    ]
    for n in range(2, 12):
        image = "7.2.5" if n % 2 == 0 else "6.2.14"
        revs.append(
            Rev(
                n,
                AT7 - timedelta(minutes=3 * (12 - n)),
                "redis-operator",
                [c("sentinel", f"docker.io/library/redis:{image}-alpine", port=26379)],
            )
        )
    inc.deployment("sessions", "rfs-sessions", revs, {11: [P(), P(), P()]}, progress="progressing")

    def session_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if t < CHG7 + timedelta(minutes=5) or i % 3:
                return None
            return json.dumps(
                {
                    "level": "error",
                    "ts": round(t.timestamp(), 3),
                    "caller": "store/redis.go:88",
                    "msg": "session lookup failed",
                    "error": "redis: all sentinels specified in configuration are unreachable",
                },
                separators=(",", ":"),
            )

        return every(s, e, 20, make)

    inc.deployment(
        "sessions",
        "session-api",
        [
            Rev(
                6,
                inc.born + timedelta(days=22),
                "helm upgrade",
                [c("session-api", f"{REGISTRY}/sessions/session-api:3.1.0")],
            ),
            Rev(
                7,
                AT7 - timedelta(minutes=45),
                "helm upgrade",
                [c("session-api", f"{REGISTRY}/sessions/session-api:3.1.1")],
            ),
        ],
        {7: [P(log=within(session_log)), P(log=within(session_log))]},
    )
    inc.series(
        "kube_deployment_status_observed_generation",
        "gauge",
        "The generation observed by the deployment controller.",
        {"namespace": "sessions", "deployment": "rfs-sessions", "job": "kube-state-metrics"},
        lambda t: 3.0 if t < CHG7 else 3.0 + (t - CHG7).total_seconds() // 150,
        step_s=30,
    )
    plant(inc, "sessions", "sessions-redis-auth", "password", "sessions-redis", "password")
    inc.ask("why is rfs-sessions redeploying every few minutes?")
    inc.answer_key(
        culprit=("Deployment", "redis-operator", "redisoperator"),
        keywords=["leader election", "two operators", "lease"],
        root_cause="A chart rename installed a second redis-operator release (Deployment "
        "redis-operator/redisoperator, v1.3.0) next to the old one; each holds its own lease "
        "(redisoperator-lock vs redis-failover-lease) because leader election is keyed on the release name, "
        "so two operators reconcile RedisFailover sessions and "
        "each rewrites rfs-sessions with its own redis image, so the sentinels roll every few "
        "minutes and session-api cannot reach a sentinel.",
        category="operator-release-renamed-second-leader-lease-dueling-reconcilers",
        red_herrings=[("Deployment", "sessions", "session-api")],
    )
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)
CHG8 = AT8 - timedelta(hours=4, minutes=10)


def checkout_traces_fragmented_question() -> Incident:
    """tail-sampling-gateway-scaled-out-without-trace-aware-routing: spans of one trace land on different replicas.

    after: the OpenTelemetry Collector deployment notes and incident write-ups on tail sampling: every span of a
    trace must reach the same collector, so scaling the sampling tier out behind a plain Service (round-robin
    OTLP) without a loadbalancing exporter keyed on the trace ID splits traces and samples them in pieces.

    observability/otel-gateway runs the tail_sampling processor (errors, latency, 5% probabilistic) as a
    single replica behind a ClusterIP Service that the otel-agent DaemonSet exports to with a plain otlp
    exporter. A FinOps/capacity change adds HorizontalPodAutoscaler otel-gateway at 10:20 (min 2, max 6 on CPU);
    it scales to 4. Each replica sees part of each trace and decides alone, so Tempo keeps fragments: traces
    of checkout-web show one or two spans. The question names the workload only; the red herring is a
    tempo-query-frontend rollout.
    """
    inc = start(
        checkout_traces_fragmented_question, "checkout traces incomplete", AT8, 3008, namespaces=("observability",)
    )
    hpa = inc.add(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {
                "name": "otel-gateway",
                "namespace": "observability",
                "creationTimestamp": ts(CHG8),
                "labels": {"argocd.argoproj.io/instance": "observability"},
            },
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "otel-gateway"},
                "minReplicas": 2,
                "maxReplicas": 6,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
                    }
                ],
            },
            "status": {
                "currentReplicas": 4,
                "desiredReplicas": 4,
                "lastScaleTime": ts(CHG8 + timedelta(minutes=9)),
                "currentMetrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "current": {"averageUtilization": 41, "averageValue": "246m"}},
                    }
                ],
                "conditions": [
                    {
                        "type": "AbleToScale",
                        "status": "True",
                        "reason": "ReadyForNewScale",
                        "message": "recommended size matches current size",
                        "lastTransitionTime": ts(CHG8),
                    }
                ],
            },
        }
    )
    changed(
        hpa,
        ("argocd-controller", "Apply", CHG8, {"f:spec": {"f:minReplicas": {}, "f:maxReplicas": {}, "f:metrics": {}}}),
    )
    inc.event(
        hpa,
        "SuccessfulRescale",
        "New size: 2; reason: Current number of replicas below Spec.MinReplicas",
        CHG8 + timedelta(seconds=15),
        warning=False,
        component="horizontal-pod-autoscaler",
    )
    inc.event(
        hpa,
        "SuccessfulRescale",
        "New size: 4; reason: cpu resource utilization (percentage of request) above target",
        CHG8 + timedelta(minutes=9),
        warning=False,
        component="horizontal-pod-autoscaler",
    )
    inc.configmap(
        "observability",
        "otel-gateway-config",
        {
            "relay": (
                "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:4317\n"
                "processors:\n  tail_sampling:\n    decision_wait: 10s\n    num_traces: 100000\n    policies:\n"
                "      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}\n"
                "      - {name: slow, type: latency, latency: {threshold_ms: 500}}\n"
                "      - {name: rest, type: probabilistic, probabilistic: {sampling_percentage: 5}}\n"
                "exporters:\n  otlp/tempo:\n    endpoint: tempo-distributor.observability.svc:4317\n"
                "service:\n  pipelines:\n"
                "    traces: {receivers: [otlp], processors: [tail_sampling], exporters: [otlp/tempo]}\n"
            )
        },
    )
    inc.configmap(
        "observability",
        "otel-agent-config",
        {
            "relay": (
                "receivers:\n  otlp:\n    protocols: {grpc: {endpoint: 0.0.0.0:4317}}\n"
                "processors:\n  k8sattributes: {}\n"
                "  batch: {}\n"
                "exporters:\n  otlp:\n    endpoint: otel-gateway.observability.svc:4317\n    tls: {insecure: true}\n"
                "service:\n  pipelines:\n"
                "    traces: {receivers: [otlp], processors: [k8sattributes, batch], exporters: [otlp]}\n"
            )
        },
    )
    inc.cluster.daemonset(
        "observability",
        "otel-agent",
        "otel/opentelemetry-collector-contrib:0.110.0",
        inc.born + timedelta(days=8),
        memory_mi=90,
        port=4317,
    )

    def gw_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            if i % 10 == 0:
                return (
                    f'{stamp}\tinfo\tMetrics\t{{"kind": "exporter", "data_type": "traces", "name": '
                    f'"otlp/tempo", "resource spans": {12 + i % 7}, "spans": {40 + i % 30}}}'
                )
            return None

        return every(s, e, 30, make)

    gw = Rev(
        1,
        inc.born + timedelta(days=8),
        "helm upgrade",
        [c("otel-gateway", "otel/opentelemetry-collector-contrib:0.110.0", port=4317, memory_limit="2Gi")],
    )
    inc.deployment(
        "observability",
        "otel-gateway",
        [gw],
        {
            1: [
                P(
                    log=within(gw_log),
                    created=inc.born + timedelta(days=8)
                    if i == 0
                    else CHG8 + timedelta(seconds=15 if i == 1 else 540 + 20 * i),
                )
                for i in range(4)
            ]
        },
    )
    app(inc, "web", "checkout-web", f"{REGISTRY}/web/checkout-web:7.4.2", 3)
    inc.deployment(
        "observability",
        "tempo-query-frontend",
        [
            Rev(
                1,
                inc.born + timedelta(days=11),
                "helm upgrade",
                [c("tempo-query-frontend", "docker.io/grafana/tempo:2.5.0")],
            ),
            Rev(
                2,
                AT8 - timedelta(hours=1, minutes=15),
                "helm upgrade",
                [c("tempo-query-frontend", "docker.io/grafana/tempo:2.6.0")],
            ),
        ],
        {2: [P()]},
    )
    begin = inc.at - timedelta(hours=2)
    inc.series(
        "kube_horizontalpodautoscaler_status_current_replicas",
        "gauge",
        "Current number of replicas of pods.",
        {"namespace": "observability", "horizontalpodautoscaler": "otel-gateway", "job": "kube-state-metrics"},
        lambda t: None if t < CHG8 else (2.0 if t < CHG8 + timedelta(minutes=9) else 4.0),
        step_s=30,
    )
    inc.series(
        "otelcol_processor_tail_sampling_new_trace_id_received",
        "counter",
        "Counts the arrival of new traces",
        {"namespace": "observability", "service_name": "otel-gateway"},
        counter(begin, 310.0, 1150.0, CHG8),
        step_s=30,
    )
    inc.series(
        "otelcol_processor_tail_sampling_count_traces_sampled",
        "counter",
        "Count of traces that were sampled or not per sampling policy",
        {"namespace": "observability", "service_name": "otel-gateway", "policy": "errors", "sampled": "true"},
        counter(begin, 2.1, 6.4, CHG8),
        step_s=30,
    )
    inc.series(
        "tempo_distributor_spans_received",
        "counter",
        "The total number of spans received per tenant",
        {"namespace": "observability", "tenant": "single-tenant"},
        counter(begin, 2400.0, 610.0, CHG8),
        step_s=30,
    )
    plant(inc, "observability", "tempo-s3", "aws", "tempo-traces", "access_key_id")
    inc.ask("Since this morning checkout-web traces in Grafana only show one or two spans each - why?")
    inc.answer_key(
        culprit=("HorizontalPodAutoscaler", "observability", "otel-gateway"),
        keywords=["tail_sampling", "loadbalancing exporter", "trace ID"],
        root_cause="HorizontalPodAutoscaler observability/otel-gateway (added 10:20) scaled the tail-sampling "
        "collector from 1 to 4 replicas behind a plain ClusterIP Service; agents export with a "
        "plain otlp exporter (no loadbalancing exporter routing by trace ID), so each replica sees "
        "part of every trace and the tail_sampling processor keeps fragments.",
        category="tail-sampling-gateway-scaled-out-without-trace-aware-routing",
        red_herrings=[("Deployment", "observability", "tempo-query-frontend")],
    )
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 5, 10, 5, tzinfo=UTC)
CHG9 = AT9 - timedelta(hours=2, minutes=50)


def catalog_api_error_bursts_page() -> Incident:
    """config-reloader-watch-all-restarts-on-periodic-configmap-rewrite: Reloader now restarts every consumer.

    after: the write-ups on Reloader-style controllers: switched to reload every workload on any change of a
    ConfigMap it mounts, a ConfigMap that a job rewrites on a schedule turns into a rolling restart on that
    schedule, with cold caches and errors after each one.

    A platform chart upgrade of Deployment reloader/reloader at 07:15 adds --auto-reload-all=true (before, only
    workloads annotated reloader.stakater.com/auto reloaded). catalog-api mounts ConfigMap
    catalog-feature-snapshot, which the CronJob feature-snapshot-sync has rewritten every ten minutes for
    months (its generatedAt key changes each run). From 07:20 Reloader patches catalog-api's pod template after
    every run: a rolling restart every ten minutes, each new pod loading its SKU cache cold and answering 503
    until it is warm. PagerDuty pages on catalog-api's error bursts; the red herring is a rollout of
    catalog-search-indexer the same morning.
    """
    inc = start(
        catalog_api_error_bursts_page, "catalog-api error bursts", AT9, 3009, namespaces=("catalog", "reloader")
    )
    runs = L.every(CHG9 + timedelta(minutes=5), inc.captured, 600)
    reloads: Lines = []
    for t in runs:
        reloads.append(
            (
                t + timedelta(seconds=4),
                (
                    f'time="{(t + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info '
                    f'msg="Changes detected in '
                    "'catalog-feature-snapshot' of type 'CONFIGMAP' in namespace 'catalog', "
                    "Updated 'catalog-api' of type "
                    "'Deployment' in namespace 'catalog'\""
                ),
            )
        )
    old = ["--namespaces-to-ignore=kube-system", "--log-format=logfmt"]
    inc.deployment(
        "reloader",
        "reloader",
        [
            Rev(
                3,
                inc.born + timedelta(days=12),
                "helm upgrade",
                [c("reloader", "ghcr.io/stakater/reloader:v1.1.0", port=9090)],
                container={"args": old},
            ),
            Rev(
                4,
                CHG9,
                "helm upgrade",
                [c("reloader", "ghcr.io/stakater/reloader:v1.2.0", port=9090)],
                container={"args": [*old, "--auto-reload-all=true"]},
            ),
        ],
        {4: [P(log=within(lambda pod, s, e: reloads))]},
    )
    cm = inc.configmap(
        "catalog",
        "catalog-feature-snapshot",
        {"features.json": '{"flags": 412}', "generatedAt": ts(AT9 + timedelta(minutes=25))},
    )
    changed(cm, ("kubectl-client-side-apply", "Update", AT9 + timedelta(minutes=25), {"f:data": {"f:generatedAt": {}}}))
    inc.add(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                "name": "feature-snapshot-sync",
                "namespace": "catalog",
                "generation": 1,
                "creationTimestamp": ts(inc.born + timedelta(days=6)),
            },
            "spec": {
                "schedule": "*/10 * * * *",
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3,
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "OnFailure",
                                "containers": [
                                    {
                                        "name": "sync",
                                        "image": f"{REGISTRY}/catalog/feature-snapshot-sync:1.0.4",
                                        "args": ["--configmap=catalog-feature-snapshot", "--stamp-generated-at"],
                                    }
                                ],
                            }
                        }
                    }
                },
            },
            "status": {"lastScheduleTime": ts(AT9 + timedelta(minutes=25))},
        }
    )
    revs = [
        Rev(
            1,
            inc.born + timedelta(days=15),
            "helm upgrade",
            [c("catalog-api", f"{REGISTRY}/catalog/catalog-api:6.8.1")],
        )
    ]
    for n, t in enumerate(runs[-9:], start=2):
        digest = o.suffix(f"snapshot-{ts(t)}", 40)
        revs.append(
            Rev(
                n,
                t + timedelta(seconds=4),
                "reloader",
                [
                    c(
                        "catalog-api",
                        f"{REGISTRY}/catalog/catalog-api:6.8.1",
                        env=[{"name": "STAKATER_CATALOG_FEATURE_SNAPSHOT_CONFIGMAP", "value": digest}],
                    )
                ],
            )
        )
    last = revs[-1].at

    def catalog_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            age = (t - s).total_seconds()
            if age < 150:
                return (
                    L.pylog(
                        t,
                        "WARNING",
                        "catalog.cache",
                        f"SKU cache cold ({int(age * 8000)} of 1200000 loaded); answering 503 for /v2/products",
                    )
                    if i % 2 == 0
                    else None
                )
            return L.pylog(t, "INFO", "catalog.api", "GET /v2/products 200") if i % 8 == 0 else None

        return every(s, e, 10, make)

    inc.deployment(
        "catalog",
        "catalog-api",
        revs,
        {len(revs): [P(log=within(catalog_log), created=last + timedelta(seconds=30 * i)) for i in range(3)]},
    )
    inc.deployment(
        "catalog",
        "catalog-search-indexer",
        [
            Rev(
                2,
                inc.born + timedelta(days=15),
                "helm upgrade",
                [c("catalog-search-indexer", f"{REGISTRY}/catalog/catalog-search-indexer:2.2.0")],
            ),
            Rev(
                3,
                AT9 - timedelta(hours=1, minutes=30),
                "helm upgrade",
                [c("catalog-search-indexer", f"{REGISTRY}/catalog/catalog-search-indexer:2.3.0")],
            ),
        ],
        {3: [P()]},
    )
    begin = inc.at - timedelta(hours=2)

    def bursts(t: datetime) -> float:
        total = 0.0
        for r in runs:
            if r <= t:
                total += min(150.0, (t - r).total_seconds()) * 14.0
        return round(total, 1)

    inc.series(
        "http_requests",
        "counter",
        "Total HTTP requests.",
        {"namespace": "catalog", "service": "catalog-api", "job": "catalog-api", "code": "200"},
        counter(begin, 60.0, 58.0, CHG9),
        step_s=30,
    )
    inc.series(
        "http_requests",
        "counter",
        "Total HTTP requests.",
        {"namespace": "catalog", "service": "catalog-api", "job": "catalog-api", "code": "503"},
        bursts,
        step_s=30,
    )
    plant(inc, "catalog", "catalog-db", "password", "catalog-db", "password")
    inc.pagerduty("catalog-api: 5xx bursts every few minutes", "catalog-api")
    inc.answer_key(
        culprit=("Deployment", "reloader", "reloader"),
        keywords=["auto-reload-all", "Reloader", "rolling restart"],
        root_cause="Deployment reloader/reloader revision 4 added --auto-reload-all=true; catalog-api mounts "
        "ConfigMap catalog-feature-snapshot, which the feature-snapshot-sync CronJob rewrites every "
        "ten minutes, so Reloader now does a rolling restart of catalog-api every ten minutes and each cold pod "
        "answers 503 while its cache loads.",
        category="config-reloader-watch-all-restarts-on-periodic-configmap-rewrite",
        red_herrings=[("Deployment", "catalog", "catalog-search-indexer")],
    )
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 5, 15, 40, tzinfo=UTC)
CHG10 = AT10 - timedelta(hours=5, minutes=20)
RULE10 = (
    'sum(rate(http_requests_total{namespace="fulfilment",service="shipping-api",code=~"5.."}[1m])) / '
    'sum(rate(http_requests_total{namespace="fulfilment",service="shipping-api"}[1m])) > 0.01'
)


def shipping_alert_keeps_paging() -> Incident:
    """alert-rule-pending-duration-removed-pages-on-blips: an alert rule loses its `for` and its window.

    after: the alert-fatigue write-ups in which a rule edited for "faster detection" (a one-minute rate window
    and no pending duration) fires on every short blip that the old rule smoothed away, paging for a service
    that is healthy by its SLO.

    At 10:20 the fulfilment team edits PrometheusRule fulfilment/shipping-api-alerts by hand: the error-ratio
    rule's window goes from [5m] to [1m] and its `for: 10m` is deleted. shipping-api has always had one-minute
    blips of a few 502s when carrier APIs hiccup; each now fires ShippingApiErrorRatioHigh, which resolves a
    minute later. The on-call is paged again with nothing broken. Simple: the rule's own spec. The red herring
    is the label-printer rollout the same day.
    """
    inc = start(shipping_alert_keeps_paging, "shipping error ratio alert", AT10, 3010, namespaces=("fulfilment",))
    rule = custom(
        inc,
        "PrometheusRule",
        "monitoring.coreos.com",
        "v1",
        "prometheusrules",
        "fulfilment",
        "shipping-api-alerts",
        {
            "groups": [
                {
                    "name": "shipping-api.rules",
                    "rules": [
                        {
                            "alert": "ShippingApiErrorRatioHigh",
                            "expr": RULE10,
                            "labels": {"severity": "critical", "team": "fulfilment"},
                            "annotations": {"summary": "shipping-api 5xx ratio above 1%"},
                        },
                        {
                            "alert": "ShippingApiLatencyHigh",
                            "expr": "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket"
                            '{namespace="fulfilment",service="shipping-api"}[5m]))) > 2',
                            "for": "15m",
                            "labels": {"severity": "warning", "team": "fulfilment"},
                        },
                    ],
                }
            ]
        },
        "kubectl-edit",
        CHG10,
        {"f:spec": {"f:groups": {}}},
    )
    rule["metadata"]["labels"] = {"release": "kube-prometheus-stack"}
    blips = [AT10 - timedelta(minutes=m) for m in (170, 131, 97, 64, 38, 12, 0)]

    def bad_rate(t: datetime) -> float:
        return 2.4 if any(b <= t < b + timedelta(seconds=70) for b in blips) else 0.02

    def ship_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if bad_rate(t) > 1 and i % 2 == 0:
                return L.js(
                    t,
                    "warn",
                    "carrier call failed",
                    carrier="dpd",
                    status=502,
                    attempt=1 + i % 3,
                    path="/v1/labels/rate",
                )
            return L.js(t, "info", "request", path="/v1/shipments", status=200, ms=44 + i % 30) if i % 6 == 0 else None

        return every(s, e, 10, make)

    victim(inc, "fulfilment", "shipping-api", ship_log)
    begin = inc.at - timedelta(hours=2)

    def cum(rate_fn: Callable[[datetime], float]) -> Series:
        def value(t: datetime) -> float:
            total, x = 0.0, begin
            while x < t:
                total += rate_fn(x) * 10
                x += timedelta(seconds=10)
            return round(total, 1)

        return value

    inc.series(
        "http_requests",
        "counter",
        "Total HTTP requests.",
        {"namespace": "fulfilment", "service": "shipping-api", "job": "shipping-api", "code": "200"},
        counter(begin, 31.0, 31.0, CHG10),
        step_s=30,
    )
    inc.series(
        "http_requests",
        "counter",
        "Total HTTP requests.",
        {"namespace": "fulfilment", "service": "shipping-api", "job": "shipping-api", "code": "502"},
        cum(bad_rate),
        step_s=30,
    )
    inc.series(
        "ALERTS",
        "gauge",
        "Alerts state.",
        {
            "alertname": "ShippingApiErrorRatioHigh",
            "alertstate": "firing",
            "namespace": "fulfilment",
            "service": "shipping-api",
            "severity": "critical",
        },
        lambda t: 1.0 if any(b + timedelta(seconds=30) <= t < b + timedelta(seconds=100) for b in blips) else None,
        step_s=30,
    )
    herring(
        inc,
        "fulfilment",
        "label-printer",
        f"{REGISTRY}/fulfilment/label-printer",
        "2.0",
        AT10 - timedelta(hours=2, minutes=10),
    )
    plant(inc, "fulfilment", "carrier-api-keys", "token", "dpd", "dpd-api-key")
    inc.alertmanager(
        "ShippingApiErrorRatioHigh",
        {"namespace": "fulfilment", "service": "shipping-api", "team": "fulfilment"},
        "shipping-api 5xx ratio above 1%",
        "shipping-api is returning more than 1% errors.",
        RULE10,
        severity="critical",
        runbook="https://runbooks.example.com/fulfilment/shipping-api-errors",
    )
    inc.answer_key(
        culprit=("PrometheusRule", "fulfilment", "shipping-api-alerts"),
        keywords=["for: 10m", "rate window", "flapping"],
        root_cause="PrometheusRule fulfilment/shipping-api-alerts was edited at 10:20: the error-ratio rule's "
        "rate window went from 5m to 1m and its for: 10m was removed, so every one-minute blip of "
        "carrier 502s fires ShippingApiErrorRatioHigh and resolves a minute later (flapping); "
        "shipping-api itself is healthy.",
        category="alert-rule-pending-duration-removed-pages-on-blips",
        red_herrings=[("Deployment", "fulfilment", "label-printer")],
    )
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
CHG11 = AT11 - timedelta(hours=3, minutes=40)
PEAK11 = AT11 - timedelta(hours=1, minutes=5)


def payments_logs_missing_question() -> Incident:
    """log-store-ingestion-rate-limit-cut-agents-drop-batches: Loki refuses pushes over a lowered tenant rate.

    after: the logging-platform incidents in which a per-tenant ingestion limit was lowered (to protect the
    store, or copied from a smaller environment): at the morning peak the store answers 429, the agents retry
    and then drop whole batches, and teams find gaps in their logs.

    At 05:50 StatefulSet logging/loki is re-applied with -distributor.ingestion-rate-limit-mb=4 and
    -distributor.ingestion-burst-size-mb=6 (copied from the staging values; production ran with 24/32). At the
    08:25 traffic peak the single tenant pushes more than 4 MB/s: Loki answers 429 "Ingestion rate limit
    exceeded", promtail retries and logs "final error sending batch", and the dropped lines include most of
    the payments namespace's. The question names the namespace's workload and Grafana only; the red herring is
    a payout-scheduler rollout in payments.
    """
    inc = start(payments_logs_missing_question, "payments logs missing", AT11, 3011, namespaces=("logging",))
    err = (
        "Ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest "
        "'{n}' lines totaling '{b}' bytes, reduce log volume or contact your Loki administrator to see if the "
        "limit can be increased"
    )

    def loki_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            if t < PEAK11:
                return (
                    f"level=info ts={stamp} caller=table_manager.go:136 index-store=tsdb-2024-04-01 "
                    'msg="uploading tables"'
                    if i % 20 == 0
                    else None
                )
            return (
                (
                    f"level=warn ts={stamp} caller=grpc_logging.go:76 method=/logproto.Pusher/Push duration=151us "
                    'msg="gRPC" err="rpc error: code = Code(429) desc = '
                    + err.format(n=1800 + i % 900, b=1048000 + i * 13)
                    + '"'
                )
                if i % 2 == 0
                else None
            )

        return every(s, e, 20, make)

    args = [
        "-config.file=/etc/loki/config.yaml",
        "-target=all",
        "-distributor.ingestion-rate-limit-mb=4",
        "-distributor.ingestion-burst-size-mb=6",
    ]
    loki = inc.statefulset(
        "logging",
        "loki",
        [c("loki", "docker.io/grafana/loki:3.2.1", port=3100, memory_limit="4Gi")],
        [P(log=within(loki_log))],
        inc.born + timedelta(days=9),
        claims=[("storage", "100Gi", "gp3")],
        service=3100,
    )
    loki.obj["spec"]["template"]["spec"]["containers"][0]["args"] = args
    loki.obj["metadata"]["generation"] = 9
    changed(loki.obj, ("helm", "Update", CHG11, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))

    def patch_args(pod: dict[str, Any]) -> None:
        pod["spec"]["containers"][0]["args"] = args

    inc.cluster.patch("logging", "loki-0", patch_args)
    inc.add(
        {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": f"loki-{o.suffix('loki-9', 10)}",
                "namespace": "logging",
                "creationTimestamp": ts(CHG11),
                "labels": {"app": "loki"},
                "ownerReferences": [o.owner_ref("StatefulSet", "loki", "logging")],
            },
            "revision": 9,
            "data": {"spec": {"template": {"spec": {"containers": [{"name": "loki", "args": args}]}}}},
        }
    )
    agents = inc.cluster.daemonset(
        "logging", "promtail", "docker.io/grafana/promtail:3.2.1", inc.born + timedelta(days=9), memory_mi=70, port=9080
    )

    def promtail_log(pod: str, s: datetime, e: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            if t < PEAK11:
                return None
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            text = "error sending batch, will retry" if i % 3 else "final error sending batch"
            level = "warn" if i % 3 else "error"
            return (
                f"level={level} ts={stamp} caller=client.go:430 component=client "
                f'host=loki.logging.svc:3100 msg="{text}" status=429 tenant= '
                'error="server returned HTTP status 429 Too Many Requests (429): '
                + err.format(n=2100 + i % 700, b=1048100 + i * 7)
                + '"'
            )

        return every(s, e, 15, make)

    for h in agents:
        h.logs["promtail"] = within(promtail_log)(h.name, inc.at - timedelta(hours=3), inc.captured)
    begin = inc.at - timedelta(hours=2)
    inc.series(
        "loki_discarded_samples_total",
        "counter",
        "The total number of samples that were discarded.",
        {"namespace": "logging", "job": "logging/loki", "reason": "rate_limited", "tenant": "fake"},
        counter(begin, 0.0, 2600.0, PEAK11),
        step_s=30,
    )
    inc.series(
        "loki_distributor_bytes_received_total",
        "counter",
        "The total number of uncompressed bytes received.",
        {"namespace": "logging", "job": "logging/loki", "tenant": "fake"},
        counter(begin, 3.1e6, 4.0e6, PEAK11),
        step_s=30,
    )
    for h in agents:
        inc.series(
            "promtail_dropped_entries_total",
            "counter",
            "Number of log entries dropped because failed to be sent to the ingester after all retries.",
            {"namespace": "logging", "pod": h.name, "host": "loki.logging.svc:3100", "reason": "rate_limited"},
            counter(begin, 0.0, 160.0, PEAK11),
            step_s=30,
        )
    herring(
        inc,
        "payments",
        "payout-scheduler",
        f"{REGISTRY}/payments/payout-scheduler",
        "1.4",
        AT11 - timedelta(minutes=55),
    )
    plant(inc, "logging", "loki-s3", "aws-secret", "loki-chunks", "secret_access_key")
    inc.ask("payments logs stop showing up in Grafana Explore after about 08:30 - where did they go?")
    inc.answer_key(
        culprit=("StatefulSet", "logging", "loki"),
        keywords=["ingestion rate limit", "429", "Loki"],
        root_cause="StatefulSet logging/loki was re-applied at 05:50 with -distributor.ingestion-rate-limit-mb=4 "
        "(burst 6, copied from staging); at the morning peak Loki answers 429 Ingestion rate limit "
        "exceeded, promtail gives up after its retries (final error sending batch) and drops the "
        "batches, so the payments logs are missing.",
        category="log-store-ingestion-rate-limit-cut-agents-drop-batches",
        red_herrings=[("Deployment", "payments", "payout-scheduler")],
    )
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 13, 20, tzinfo=UTC)
CHG12 = AT12 - timedelta(hours=3, minutes=5)


def invoices_piling_up() -> Incident:
    """scrape-interval-raised-above-rate-window-custom-metric-empty: the autoscaler's metric stops existing.

    after: the prometheus-adapter and KEDA notes on rate() windows: a rate over [2m] needs two samples, so a
    scrape interval raised to 2m (to cut monitoring load) leaves the query empty, the custom metrics API has no
    value, and the HPA stops scaling while the work piles up.

    A "reduce scrape load" change in the billing GitOps repo sets ServiceMonitor billing/invoice-worker-metrics'
    interval from 30s to 2m at 10:15. prometheus-adapter serves worker_jobs_processed_per_second as
    sum(rate(worker_jobs_processed_total[2m])); with one sample per window it is empty, so the HPA
    invoice-worker reports FailedGetPodsMetric and stays at its minimum of 2 replicas. At the month-end
    invoicing peak the RabbitMQ queue grows past 5000 and pages. The red herring is an invoice-api rollout.
    """
    inc = start(invoices_piling_up, "invoice queue backlog growing", AT12, 3012, namespaces=("billing",))
    sm = custom(
        inc,
        "ServiceMonitor",
        "monitoring.coreos.com",
        "v1",
        "servicemonitors",
        "billing",
        "invoice-worker-metrics",
        {
            "selector": {"matchLabels": {"app": "invoice-worker"}},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "2m", "scrapeTimeout": "10s"}],
        },
        "argocd-controller",
        CHG12,
        {"f:spec": {"f:endpoints": {}}},
    )
    sm["metadata"]["labels"] = {"release": "kube-prometheus-stack"}
    inc.configmap(
        "monitoring",
        "prometheus-adapter",
        {
            "config.yaml": (
                'rules:\n- seriesQuery: \'worker_jobs_processed_total{namespace!="",pod!=""}\'\n'
                "  resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}\n"
                '  name: {matches: "^(.*)_total$", as: "${1}_per_second"}\n'
                "  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)'\n"
            )
        },
    )
    msg = (
        "failed to get pods metric value: unable to get metric worker_jobs_processed_per_second: unable to fetch "
        "metrics from custom metrics API: the server could not find the metric worker_jobs_processed_per_second "
        "for pods"
    )
    hpa = inc.add(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "invoice-worker", "namespace": "billing"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "invoice-worker"},
                "minReplicas": 2,
                "maxReplicas": 12,
                "metrics": [
                    {
                        "type": "Pods",
                        "pods": {
                            "metric": {"name": "worker_jobs_processed_per_second"},
                            "target": {"type": "AverageValue", "averageValue": "20"},
                        },
                    }
                ],
            },
            "status": {
                "currentReplicas": 2,
                "desiredReplicas": 2,
                "currentMetrics": [{"type": ""}],
                "conditions": [
                    {
                        "type": "AbleToScale",
                        "status": "True",
                        "reason": "SucceededGetScale",
                        "message": "the HPA controller was able to get the target's current scale",
                        "lastTransitionTime": ts(inc.born + timedelta(days=9)),
                    },
                    {
                        "type": "ScalingActive",
                        "status": "False",
                        "reason": "FailedGetPodsMetric",
                        "message": "the HPA was unable to compute the replica count: " + msg,
                        "lastTransitionTime": ts(CHG12 + timedelta(minutes=3)),
                    },
                ],
            },
        }
    )
    inc.event(
        hpa,
        "FailedGetPodsMetric",
        msg,
        CHG12 + timedelta(minutes=3),
        inc.captured - timedelta(seconds=20),
        count=74,
        component="horizontal-pod-autoscaler",
    )
    inc.event(
        hpa,
        "FailedComputeMetricsReplicas",
        "invalid metrics (1 invalid out of 1), first error is: " + msg,
        CHG12 + timedelta(minutes=3),
        inc.captured - timedelta(seconds=20),
        count=74,
        component="horizontal-pod-autoscaler",
    )

    def worker_log(pod: str, s: datetime, e: datetime) -> Lines:
        return every(
            s,
            e,
            20,
            lambda i, t: L.pylog(
                t, "INFO", "invoices.worker", f"rendered invoice INV-2026-{118000 + i} in {0.8 + (i % 5) / 10:.1f}s"
            ),
        )

    w = inc.deployment(
        "billing",
        "invoice-worker",
        [
            Rev(
                1,
                inc.born + timedelta(days=9),
                "helm upgrade",
                [c("invoice-worker", f"{REGISTRY}/billing/invoice-worker:4.1.0", port=9102)],
            )
        ],
        {1: [P(log=within(worker_log)), P(log=within(worker_log))]},
    )
    begin = inc.at - timedelta(hours=2)
    for h in w.pods:
        processed = counter(begin, 20.0, 20.0, CHG12)

        def sampled(t: datetime, processed: Series = processed) -> float | None:
            if t >= CHG12 and int((t - begin).total_seconds()) % 120:
                return None
            return processed(t)

        inc.series(
            "worker_jobs_processed_total",
            "counter",
            "Invoice jobs processed.",
            {"namespace": "billing", "pod": h.name, "job": "invoice-worker"},
            sampled,
            step_s=30,
        )
    peak = AT12 - timedelta(hours=1, minutes=10)
    inc.series(
        "rabbitmq_queue_messages_ready",
        "gauge",
        "Messages ready to be delivered to consumers.",
        {"namespace": "billing", "queue": "invoices", "vhost": "/", "job": "rabbitmq"},
        lambda t: 40.0 if t < peak else 40.0 + (t - peak).total_seconds() * 1.6,
        step_s=30,
    )
    inc.series(
        "kube_horizontalpodautoscaler_status_current_replicas",
        "gauge",
        "Current number of replicas of pods.",
        {"namespace": "billing", "horizontalpodautoscaler": "invoice-worker", "job": "kube-state-metrics"},
        lambda t: 2.0,
        step_s=60,
    )
    herring(inc, "billing", "invoice-api", f"{REGISTRY}/billing/invoice-api", "5.5", AT12 - timedelta(minutes=70))
    plant(inc, "billing", "rabbitmq-invoices", "password", "rabbitmq", "password")
    inc.alertmanager(
        "InvoiceQueueBacklogHigh",
        {"namespace": "billing", "queue": "invoices"},
        "invoices queue has more than 5000 ready messages",
        "RabbitMQ queue invoices in billing has had more than 5000 ready messages for 10 minutes.",
        'rabbitmq_queue_messages_ready{namespace="billing",queue="invoices"} > 5000',
        runbook="https://runbooks.example.com/billing/invoice-backlog",
    )
    inc.answer_key(
        culprit=("ServiceMonitor", "billing", "invoice-worker-metrics"),
        keywords=["scrape interval", "FailedGetPodsMetric", "rate"],
        root_cause="ServiceMonitor billing/invoice-worker-metrics' scrape interval was raised from 30s to 2m at 10:15; "
        "prometheus-adapter's rate(...[2m]) over one sample per window is empty, the custom "
        "metric worker_jobs_processed_per_second disappears, the HPA invoice-worker fails with "
        "FailedGetPodsMetric and stays at 2 replicas while the invoices queue grows.",
        category="scrape-interval-raised-above-rate-window-custom-metric-empty",
        red_herrings=[("Deployment", "billing", "invoice-api")],
    )
    return inc


ALL = [
    orders_api_latency_page,
    event_pods_not_ready_grouped,
    basket_metrics_absent,
    homepage_down_page,
    quotes_api_availability_burn,
    node_evictions_host_question,
    sentinel_redeploying_question,
    checkout_traces_fragmented_question,
    catalog_api_error_bursts_page,
    shipping_alert_keeps_paging,
    payments_logs_missing_question,
    invoices_piling_up,
]
