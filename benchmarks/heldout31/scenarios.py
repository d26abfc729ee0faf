"""Round 31 of the held-out incident set: scheduled, asynchronous and serverless work.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem or everyday production failure it re-creates (our own names and text, nothing copied).
CronJobs and Jobs, workflow engines (Argo Workflows, Temporal), task queues (Celery, BullMQ, SQS),
Knative Serving and Eventing, stream and batch processors (Flink, Kafka Streams, Spark). Bundle names,
titles and questions say only the symptom. Log lines follow the real software's formats (Python logging,
Celery, Node.js and pino, Go zap, Argo's logfmt, Spark and Flink log4j, logback, Envoy access logs).
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
from corpus.podstate import steady  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import changed, node, step  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""

    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)

    return value


def ramp(before: float, per_min: float, at: datetime) -> Series:
    """A gauge flat at `before` until `at`, then growing `per_min` each minute (a backlog, a disk filling)."""
    return lambda t: before if t < at else round(before + per_min * (t - at).total_seconds() / 60, 3)


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


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
        "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}",
    }
    return am.alert(full, ann, inc.at, expr)


def metric(
    inc: Incident,
    family: str,
    type_: str,
    help_: str,
    labels: dict[str, str],
    fn: Callable[[datetime], float | None],
    step_s: int = 60,
) -> None:
    """One series; the labels are copied because the writer marks the dict it was given with the family name.

    A counter's family is named without `_total`: the writer appends it, as OpenMetrics does.
    """
    inc.series(family, type_, help_, dict(labels), fn, step_s)


def crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str = "Namespaced") -> None:
    """A CustomResourceDefinition, so the replay serves its resources (and a cluster-scoped one at all)."""
    inc.add(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {
                "group": group,
                "scope": scope,
                "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower()},
                "versions": [
                    {
                        "name": version,
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                ],
            },
            "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]},
        }
    )


def job_name(cronjob: str, scheduled: datetime) -> str:
    """The Job a CronJob creates for one scheduled time: its name carries the minutes since the epoch."""
    return f"{cronjob}-{int(scheduled.timestamp() // 60)}"


def cronjob(
    inc: Incident,
    ns: str,
    name: str,
    schedule: str,
    container: dict[str, Any],
    *,
    policy: str = "Allow",
    job_spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A batch/v1 CronJob with its job template (the schedule, the concurrency policy and the history)."""
    return inc.add(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": {"app": name},
                "generation": 4,
                "creationTimestamp": ts(inc.born + timedelta(days=6)),
            },
            "spec": {
                "schedule": schedule,
                "timeZone": "Etc/UTC",
                "concurrencyPolicy": policy,
                "suspend": False,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 1,
                "jobTemplate": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        **(job_spec or {}),
                        "template": {
                            "metadata": {"labels": {"app": name}},
                            "spec": {"restartPolicy": "Never", "containers": [container]},
                        },
                    },
                },
            },
            "status": status or {},
        }
    )


def job(
    inc: Incident,
    ns: str,
    name: str,
    container: o.Container,
    start: datetime,
    end: datetime | None,
    log: str,
    *,
    owner: dict[str, Any] | None = None,
    exit_code: int = 0,
    spec: dict[str, Any] | None = None,
    managed: tuple[str, datetime] | None = None,
) -> dict[str, Any]:
    """A Job and its one pod: finished (Complete or Failed at `end`) or still running when `end` is None."""
    uid = o.uid("job", ns, name)
    status: dict[str, Any] = {
        "startTime": ts(start),
        "ready": 0 if end else 1,
        "active": 0 if end else 1,
        "uncountedTerminatedPods": {},
    }
    if end and exit_code == 0:
        status.update(
            {
                "succeeded": 1,
                "completionTime": ts(end),
                "conditions": [
                    {
                        "type": "SuccessCriteriaMet",
                        "status": "True",
                        "lastProbeTime": ts(end),
                        "lastTransitionTime": ts(end),
                    },
                    {"type": "Complete", "status": "True", "lastProbeTime": ts(end), "lastTransitionTime": ts(end)},
                ],
            }
        )
    elif end:
        status.update(
            {
                "failed": 1,
                "conditions": [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(end),
                        "lastTransitionTime": ts(end),
                    }
                ],
            }
        )
    obj = inc.add(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": ns,
                "uid": uid,
                "creationTimestamp": ts(start),
                "labels": {
                    "batch.kubernetes.io/job-name": name,
                    "job-name": name,
                    "batch.kubernetes.io/controller-uid": uid,
                },
                **({"ownerReferences": [owner]} if owner else {}),
            },
            "spec": {
                "parallelism": 1,
                "completions": 1,
                "backoffLimit": 0,
                "completionMode": "NonIndexed",
                "suspend": False,
                **(spec or {}),
                "template": {"spec": {"restartPolicy": "Never", "containers": [container.spec()]}},
            },
            "status": status,
        }
    )
    if managed:
        changed(obj, (managed[0], "Update", managed[1], {"f:spec": {"f:template": {}}}))
    pod_name = f"{name}-{o.suffix(name + '/pod', 5)}"
    h = inc.cluster.add_pod(
        PodHistory(
            name=pod_name,
            namespace=ns,
            workload=name,
            containers=[container],
            node=inc.cluster.pick_node(pod_name),
            created=start,
            states=[o.ContainerState(started_at=start + timedelta(seconds=4))],
            memory=steady(120),
            labels={"batch.kubernetes.io/job-name": name, "job-name": name, "batch.kubernetes.io/controller-uid": uid},
            owner=o.owner_ref("Job", name, ns, "batch/v1"),
            logs={container.name: log},
        )
    )
    if end:
        h.ready = lambda t: False
        inc.cluster.patch(
            ns,
            pod_name,
            terminated(
                exit_code,
                "Completed" if exit_code == 0 else "Error",
                start + timedelta(seconds=4),
                end,
                "Succeeded" if exit_code == 0 else "Failed",
            ),
        )
    inc.cluster.add_event(obj, "SuccessfulCreate", f"Created pod: {pod_name}", start, start, component="job-controller")
    if end and exit_code == 0:
        inc.cluster.add_event(obj, "Completed", "Job completed", end, end, component="job-controller")
    return obj


def cj_owner(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": name,
        "uid": o.uid("cronjob", ns, name),
        "controller": True,
        "blockOwnerDeletion": True,
    }


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 23, 7, 20, tzinfo=UTC)


def reconciliation_report_missing() -> Incident:
    """cronjob-forbid-concurrency-hung-run-skips-schedules: a CronJob set to Forbid lost its run deadline.

    after: the everyday batch failure where a CronJob's concurrencyPolicy is switched to Forbid (to stop
    overlapping exports) and, in the same edit, the job template's activeDeadlineSeconds is dropped; one run
    hangs on a stalled SFTP transfer and the controller skips every later schedule while it is active.

    Yesterday afternoon kubectl edit on CronJob finance/ledger-export set concurrencyPolicy Allow -> Forbid
    and removed activeDeadlineSeconds: 1800. The 01:15 run hung after opening the bank's SFTP session; the
    02:15 ... 07:15 schedules were skipped (JobAlreadyActive events). The page names the CronJob's stale
    last success. Red herring: the statement-api rollout.
    """
    inc = Incident(
        "reconciliation-report-missing",
        title="Bank reconciliation report not delivered since 01:00",
        story=reconciliation_report_missing.__doc__ or "",
        at=AT1,
        seed=3101,
        namespaces=("finance",),
    )
    ns, name = "finance", "ledger-export"
    edit = AT1 - timedelta(hours=15, minutes=10)
    hung = AT1.replace(hour=1, minute=15)
    image = f"{REGISTRY}/finance/ledger-export:2.7.1"
    ctr = c("export", image, port=None, memory_limit="512Mi")
    done = [hung - timedelta(hours=h) for h in (3, 2, 1)]
    jobs = [job_name(name, t) for t in (*done, hung)]
    cj = cronjob(
        inc,
        ns,
        name,
        "15 * * * *",
        ctr.spec(),
        policy="Forbid",
        job_spec={"backoffLimit": 1},
        status={
            "active": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": jobs[-1],
                    "namespace": ns,
                    "uid": o.uid("job", ns, jobs[-1]),
                }
            ],
            "lastScheduleTime": ts(hung),
            "lastSuccessfulTime": ts(done[-1] + timedelta(minutes=6)),
        },
    )
    changed(
        cj,
        (
            "helm",
            "Update",
            inc.born + timedelta(days=6),
            {"f:spec": {"f:schedule": {}, "f:jobTemplate": {"f:spec": {"f:template": {}}}}},
        ),
        (
            "kubectl-edit",
            "Update",
            edit,
            {"f:spec": {"f:concurrencyPolicy": {}, "f:jobTemplate": {"f:spec": {"f:activeDeadlineSeconds": {}}}}},
        ),
    )
    cj["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
            {"spec": {"concurrencyPolicy": "Allow", "jobTemplate": {"spec": {"activeDeadlineSeconds": 1800}}}}
        )
    }
    for t in done:
        log = L.lines(
            [
                (t + timedelta(seconds=5), L.pylog(t, "INFO", "ledger_export", "export window opened")),
                (
                    t + timedelta(minutes=4),
                    L.pylog(
                        t,
                        "INFO",
                        "ledger_export.sftp",
                        "uploaded recon_20261122.csv (18233 rows) to sftp.bank-partner.example:/inbound",
                    ),
                ),
                (t + timedelta(minutes=6), L.pylog(t, "INFO", "ledger_export", "done in 361.2s")),
            ]
        )
        job(inc, ns, job_name(name, t), ctr, t, t + timedelta(minutes=6), log, owner=cj_owner(name, ns))
    hung_log = [
        (
            hung + timedelta(seconds=5),
            L.pylog(hung + timedelta(seconds=5), "INFO", "ledger_export", "export window opened"),
        ),
        (
            hung + timedelta(minutes=3),
            L.pylog(
                hung + timedelta(minutes=3), "INFO", "ledger_export.sftp", "Connected (version 2.0, client OpenSSH_8.9)"
            ),
        ),
        (
            hung + timedelta(minutes=3, seconds=1),
            L.pylog(
                hung + timedelta(minutes=3, seconds=1),
                "INFO",
                "paramiko.transport",
                "Authentication (publickey) successful!",
            ),
        ),
        (
            hung + timedelta(minutes=3, seconds=2),
            L.pylog(
                hung + timedelta(minutes=3, seconds=2),
                "INFO",
                "ledger_export.sftp",
                "uploading recon_20261123.csv (18871 rows)",
            ),
        ),
    ]
    job(inc, ns, jobs[-1], ctr, hung, None, L.lines(hung_log), owner=cj_owner(name, ns))
    skipped = AT1.replace(hour=2, minute=15)
    inc.event(
        cj,
        "JobAlreadyActive",
        "Not starting job because prior execution is running and concurrency policy is Forbid",
        skipped,
        AT1.replace(hour=7, minute=15),
        count=6,
        warning=False,
        component="cronjob-controller",
    )
    plant(inc, ns, "bank-sftp-key", "token", "sftp", "passphrase")
    herring(inc, ns, "statement-api", f"{REGISTRY}/finance/statement-api", "3.2.0", AT1 - timedelta(hours=2))
    labels = {"namespace": ns, "cronjob": name}
    metric(
        inc,
        "kube_cronjob_status_last_successful_time",
        "gauge",
        "LastSuccessfulTime keeps information of when was the last time the job was successfully completed.",
        {**labels, "job": "kube-state-metrics"},
        lambda t: (
            (done[-1] + timedelta(minutes=6)).timestamp()
            if t > done[-1] + timedelta(minutes=6)
            else (done[-2] + timedelta(minutes=6)).timestamp()
        ),
    )
    metric(
        inc,
        "kube_cronjob_status_active",
        "gauge",
        "Active holds pointers to currently running jobs.",
        {**labels, "job": "kube-state-metrics"},
        step(0, 1, hung),
    )
    inc.alertmanager(
        "CronJobLastSuccessTooOld",
        labels,
        "CronJob finance/ledger-export has not succeeded for over 2 hours",
        "The hourly ledger export feeding the bank reconciliation last succeeded at 00:21 UTC.",
        'time() - kube_cronjob_status_last_successful_time{namespace="finance"} > 7200',
        severity="critical",
    )
    inc.answer_key(
        culprit=("CronJob", ns, name),
        keywords=["concurrencyPolicy", "Forbid", "activeDeadlineSeconds", "hung"],
        root_cause="A kubectl edit of CronJob finance/ledger-export set concurrencyPolicy to Forbid and removed the "
        "job template's activeDeadlineSeconds; the 01:15 Job hung on an SFTP upload and, with no deadline "
        "to kill it, the controller skipped every later schedule (JobAlreadyActive).",
        category="cronjob-forbid-concurrency-hung-run-skips-schedules",
        red_herrings=[("Deployment", ns, "statement-api")],
    )
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 24, 10, 40, tzinfo=UTC)


def fulfilment_task_wait_high() -> Incident:
    """celery-prefetch-multiplier-hoards-long-tasks: workers reserve dozens of long tasks each and sit on them.

    after: the Celery tuning mistake where worker_prefetch_multiplier is raised (for throughput of tiny
    tasks) on a queue that also carries long tasks with acks_late: each worker process reserves many
    messages, short tasks queue behind long ones held unacknowledged, and new workers find nothing to take.

    A chart values change re-rendered ConfigMap warehouse/celery-worker-config with worker_prefetch_multiplier
    32 (was 1); the workers restarted on it. RabbitMQ shows almost every message unacked and few ready; the
    page is on task wait time. Red herring: the inventory-api rollout.
    """
    inc = Incident(
        "fulfilment-task-wait-high",
        title="Fulfilment tasks waiting 20 minutes before they start",
        story=fulfilment_task_wait_high.__doc__ or "",
        at=AT2,
        seed=3102,
        namespaces=("warehouse",),
    )
    ns = "warehouse"
    edit = AT2 - timedelta(hours=2, minutes=5)
    cm = inc.configmap(
        ns,
        "celery-worker-config",
        {
            "celeryconfig.py": "broker_url = 'amqp://fulfilment@rabbitmq.warehouse.svc:5672/fulfilment'\n"
            "task_acks_late = True\nworker_prefetch_multiplier = 32\nworker_concurrency = 4\n"
            "task_default_queue = 'fulfilment'\nresult_backend = None\n"
        },
        at=inc.born + timedelta(days=5),
    )
    changed(cm, ("helm", "Update", edit, {"f:data": {"f:celeryconfig.py": {}}}))
    cm["metadata"]["annotations"] = {"meta.helm.sh/release-name": "fulfilment-worker"}

    def worker_log(pod: str, start: datetime, end: datetime) -> Lines:
        up, ready = start + timedelta(seconds=2), start + timedelta(seconds=3)
        out: Lines = [
            (
                up,
                f"[{up:%Y-%m-%d %H:%M:%S},101: INFO/MainProcess] "
                "Connected to amqp://fulfilment:**@rabbitmq.warehouse.svc:5672/fulfilment",
            ),
            (ready, f"[{ready:%Y-%m-%d %H:%M:%S},230: INFO/MainProcess] celery@{pod} ready."),
        ]
        if start > edit:  # prefetch 32 x concurrency 4: the new worker reserves a burst of messages at once
            for k in range(128):
                t = ready + timedelta(milliseconds=40 * k + 300)
                task = "fulfilment.tasks.print_carrier_manifest" if k % 2 else "fulfilment.tasks.reserve_stock"
                out.append(
                    (
                        t,
                        f"[{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d}: INFO/MainProcess] "
                        f"Task {task}[{L.uuidish(pod + '/burst', k)}] received",
                    )
                )
        seed = sum(pod.encode())
        for i, t in enumerate(L.every(start + timedelta(seconds=10), end, 47 + seed % 9)):
            tid = L.uuidish(pod, i)
            task = "fulfilment.tasks.print_carrier_manifest" if i % 3 == 0 else "fulfilment.tasks.reserve_stock"
            out.append((t, f"[{t:%Y-%m-%d %H:%M:%S},{i % 1000:03d}: INFO/MainProcess] Task {task}[{tid}] received"))
            if i % 3 == 0:
                out.append(
                    (
                        t + timedelta(seconds=44),
                        f"[{t + timedelta(seconds=44):%Y-%m-%d %H:%M:%S},"
                        f"{i % 1000:03d}: INFO/ForkPoolWorker-{1 + i % 4}] Task {task}[{tid}] succeeded in "
                        f"{40 + i % 9}.{i % 97:02d}s: None",
                    )
                )
            else:
                out.append(
                    (
                        t + timedelta(seconds=1),
                        f"[{t + timedelta(seconds=1):%Y-%m-%d %H:%M:%S},"
                        f"{i % 1000:03d}: INFO/ForkPoolWorker-{1 + i % 4}] Task {task}[{tid}] succeeded in "
                        f"0.{210 + i % 300}s: None",
                    )
                )
        return out

    revs = [
        Rev(
            1,
            inc.born + timedelta(days=10),
            "helm upgrade",
            [c("worker", f"{REGISTRY}/warehouse/fulfilment:4.1.0", port=None)],
        ),
        Rev(
            2,
            edit + timedelta(minutes=1),
            "helm upgrade",
            [c("worker", f"{REGISTRY}/warehouse/fulfilment:4.1.0", port=None)],
        ),
    ]
    wl = inc.deployment(
        ns, "fulfilment-worker", revs, {2: [P(log=within(worker_log)) for _ in range(4)]}, annotations={}
    )
    for spec in (wl.obj["spec"]["template"],):
        spec["metadata"].setdefault("annotations", {})["checksum/config"] = "9d1f6c0e2b"
    inc.statefulset(
        ns,
        "rabbitmq",
        [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management", port=5672)],
        [P(), P(), P()],
        inc.born + timedelta(days=3),
        service=5672,
    )
    plant(inc, ns, "rabbitmq-fulfilment", "password", "amqp", "password")
    herring(inc, ns, "inventory-api", f"{REGISTRY}/warehouse/inventory-api", "2.9.3", AT2 - timedelta(minutes=50))
    q = {"namespace": ns, "queue": "fulfilment", "vhost": "fulfilment", "job": "rabbitmq"}
    metric(
        inc,
        "rabbitmq_queue_messages_unacked",
        "gauge",
        "Messages delivered to consumers but not yet acked",
        q,
        step(6, 512, edit + timedelta(minutes=2)),
    )
    metric(
        inc,
        "rabbitmq_queue_messages_ready",
        "gauge",
        "Messages ready to be delivered to consumers",
        q,
        ramp(3, 4.0, edit + timedelta(minutes=2)),
    )
    metric(inc, "rabbitmq_queue_consumers", "gauge", "Consumers on a queue", q, step(16, 16, edit))
    metric(
        inc,
        "celery_task_wait_seconds",
        "gauge",
        "p95 seconds between a task's publish and its start",
        {"namespace": ns, "queue": "fulfilment", "job": "celery-exporter"},
        ramp(0.8, 9.5, edit + timedelta(minutes=5)),
    )
    inc.alertmanager(
        "CeleryTaskWaitHigh",
        {"namespace": ns, "queue": "fulfilment", "service": "celery-exporter"},
        "Tasks on queue fulfilment wait more than 10 minutes before a worker starts them",
        "p95 publish-to-start time of fulfilment tasks is 20m; pick lists are printed late.",
        'celery_task_wait_seconds{queue="fulfilment"} > 600',
    )
    inc.answer_key(
        culprit=("ConfigMap", ns, "celery-worker-config"),
        keywords=["worker_prefetch_multiplier", "prefetch", "acks_late", "unacked"],
        root_cause="A chart change to ConfigMap warehouse/celery-worker-config raised worker_prefetch_multiplier from "
        "1 to 32 with task_acks_late on: each worker process reserves 32 messages, short tasks wait behind "
        "long manifest tasks held unacked, so RabbitMQ shows ~512 unacked and tasks wait 20 minutes.",
        category="celery-prefetch-multiplier-hoards-long-tasks",
        red_herrings=[("Deployment", ns, "inventory-api")],
    )
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 25, 14, 5, tzinfo=UTC)


def shipping_labels_stalled_page() -> Incident:
    """dead-letter-redrive-reinjects-poison-messages: a manual redrive Job moves a DLQ back onto the live queue.

    after: the queue-operations mistake where a dead-letter queue is redriven wholesale to "retry everything":
    the poison messages that were dead-lettered for a reason go back to the main queue, crash the consumer
    that cannot parse them, reappear after the visibility timeout and crash it again.

    A Job ops/sqs-redrive-labels, run by hand 25 minutes before the page, moved 4,812 messages from
    shipping-labels-dlq to shipping-labels. The Node.js label-worker dies on a message without an address
    (TypeError in its handler) and loops in CrashLoopBackOff; the queue grows. Red herring: tracking-api.
    """
    inc = Incident(
        "shipping-labels-stalled-page",
        title="Shipping labels are not being generated",
        story=shipping_labels_stalled_page.__doc__ or "",
        at=AT3,
        seed=3103,
        namespaces=("shipping", "ops"),
    )
    ns = "shipping"
    start, end = AT3 - timedelta(minutes=26), AT3 - timedelta(minutes=21)
    redrive = job(
        inc,
        "ops",
        "sqs-redrive-labels",
        c("redrive", f"{REGISTRY}/ops/queue-tools:1.4.0", port=None),
        start,
        end,
        L.lines(
            [
                (
                    start + timedelta(seconds=5),
                    L.pylog(
                        start + timedelta(seconds=5),
                        "INFO",
                        "redrive",
                        "source=https://sqs.eu-west-1.amazonaws.com/481516234200/shipping-labels-dlq "
                        "target=https://sqs.eu-west-1.amazonaws.com/481516234200/shipping-labels",
                    ),
                ),
                (
                    start + timedelta(minutes=2),
                    L.pylog(start + timedelta(minutes=2), "INFO", "redrive", "moved 2500 messages"),
                ),
                (
                    end - timedelta(seconds=3),
                    L.pylog(
                        end - timedelta(seconds=3),
                        "INFO",
                        "redrive",
                        "StartMessageMoveTask finished: ApproximateNumberOfMessagesMoved=4812 status=COMPLETED",
                    ),
                ),
            ]
        ),
        managed=("kubectl-create", start),
    )
    redrive["metadata"]["annotations"] = {"ops.acme.io/requested-by": "j.doe", "ops.acme.io/ticket": "OPS-2291"}
    crash_from = end + timedelta(minutes=1)

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        t = s + timedelta(seconds=1)
        return [
            (
                t,
                json.dumps(
                    {
                        "level": 30,
                        "time": int(t.timestamp() * 1000),
                        "pid": 1,
                        "hostname": pod,
                        "msg": "polling https://sqs.eu-west-1.amazonaws.com/481516234200/shipping-labels",
                    }
                ),
            ),
            (
                t + timedelta(seconds=2),
                "/app/dist/handlers/label.js:58\n"
                "    const zip = msg.shipTo.address.postcode.trim();\n"
                "                                   ^\n\n"
                "TypeError: Cannot read properties of undefined (reading 'postcode')\n"
                "    at buildLabel (/app/dist/handlers/label.js:58:36)\n"
                "    at handleMessage (/app/dist/consumer.js:41:22)\n"
                "    at async Consumer.processMessage (/app/node_modules/sqs-consumer/dist/consumer.js:302:13)\n\n"
                "Node.js v20.17.0",
            ),
        ]

    rev = Rev(
        1,
        inc.born + timedelta(days=14),
        "helm upgrade",
        [c("label-worker", f"{REGISTRY}/shipping/label-worker:3.3.2", port=None)],
    )
    inc.deployment(
        ns,
        "label-worker",
        [rev],
        {1: [P(state="crashloop", log=within(worker), crash_from=crash_from, run_s=lambda n: 4.0) for _ in range(3)]},
    )
    plant(inc, ns, "carrier-api", "token", "carrier", "DHL_API_KEY")
    herring(inc, ns, "tracking-api", f"{REGISTRY}/shipping/tracking-api", "1.8.0", AT3 - timedelta(minutes=70))
    q = {"queue_name": "shipping-labels", "job": "yace", "namespace": ns}
    metric(
        inc,
        "aws_sqs_approximate_number_of_messages_visible_average",
        "gauge",
        "CloudWatch SQS metric",
        q,
        lambda t: 40.0 if t < end else 4812.0 + 12 * (t - end).total_seconds() / 60,
    )
    metric(
        inc,
        "aws_sqs_approximate_number_of_messages_visible_average",
        "gauge",
        "CloudWatch SQS metric",
        {**q, "queue_name": "shipping-labels-dlq"},
        lambda t: 4812.0 if t < start else 0.0,
    )
    inc.pod_series(inc.pods_of(ns, "label-worker"), memory=False)
    inc.pagerduty("Shipping labels are not being generated: 0 labels in 15 min", "Shipping")
    inc.answer_key(
        culprit=("Job", "ops", "sqs-redrive-labels"),
        keywords=["redrive", "dead-letter", "poison"],
        root_cause="A hand-run Job ops/sqs-redrive-labels moved all 4,812 dead-letter messages from "
        "shipping-labels-dlq back to shipping-labels; the poison messages among them (no shipTo address) "
        "crash the label-worker with a TypeError and keep coming back, so no labels are produced.",
        category="dead-letter-redrive-reinjects-poison-messages",
        red_herrings=[("Deployment", ns, "tracking-api")],
    )
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)


def invoices_not_created_alert() -> Incident:
    """eventing-trigger-filter-type-renamed-drops-events: a Knative Trigger now filters on a type nobody sends.

    after: the event-driven failure where a subscription's filter is edited ahead of a producer's rename:
    the broker accepts every event, the trigger matches none, and the consumer simply goes quiet.

    Trigger billing/invoice-on-payment was applied with filter type com.acme.payment.settled.v2 (was
    com.acme.payment.settled); payment-events still emits the old type. invoice-service gets nothing.
    Red herring: the tax-calculator rollout.
    """
    inc = Incident(
        "invoices-not-created-alert",
        title="No invoices created in the last 45 minutes",
        story=invoices_not_created_alert.__doc__ or "",
        at=AT4,
        seed=3104,
        namespaces=("billing", "knative-eventing"),
    )
    ns = "billing"
    edit = AT4 - timedelta(minutes=48)
    crd(inc, "eventing.knative.dev", "Broker", "brokers", "v1")
    crd(inc, "eventing.knative.dev", "Trigger", "triggers", "v1")
    inc.add(
        {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Broker",
            "metadata": {
                "name": "default",
                "namespace": ns,
                "annotations": {"eventing.knative.dev/broker.class": "MTChannelBasedBroker"},
            },
            "spec": {
                "config": {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": "config-br-default-channel",
                    "namespace": "knative-eventing",
                }
            },
            "status": {
                "address": {"url": "http://broker-ingress.knative-eventing.svc.cluster.local/billing/default"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    )
    trig = inc.add(
        {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Trigger",
            "metadata": {"name": "invoice-on-payment", "namespace": ns, "generation": 3},
            "spec": {
                "broker": "default",
                "filter": {"attributes": {"type": "com.acme.payment.settled.v2", "source": "payment-events"}},
                "subscriber": {"ref": {"apiVersion": "v1", "kind": "Service", "name": "invoice-service"}},
            },
            "status": {
                "observedGeneration": 3,
                "conditions": [{"type": "Ready", "status": "True"}],
                "subscriberUri": "http://invoice-service.billing.svc.cluster.local",
            },
        }
    )
    changed(
        trig, ("kubectl-client-side-apply", "Update", edit, {"f:spec": {"f:filter": {"f:attributes": {"f:type": {}}}}})
    )
    inc.add(
        {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Trigger",
            "metadata": {"name": "ledger-on-payment", "namespace": ns, "generation": 1},
            "spec": {
                "broker": "default",
                "filter": {"attributes": {"type": "com.acme.payment.settled"}},
                "subscriber": {"ref": {"apiVersion": "v1", "kind": "Service", "name": "ledger-sync"}},
            },
            "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True"}]},
        }
    )

    def producer(pod: str, s: datetime, e: datetime) -> Lines:
        return [
            (
                t,
                L.js(
                    t,
                    "info",
                    "event published",
                    type="com.acme.payment.settled",
                    source="payment-events",
                    id=L.uuidish(pod, i),
                    sink="http://broker-ingress.knative-eventing.svc.cluster.local/billing/default",
                    status=202,
                ),
            )
            for i, t in enumerate(L.every(s + timedelta(seconds=5), e, 20))
        ]

    def invoice(pod: str, s: datetime, e: datetime) -> Lines:
        return [
            (
                t,
                L.js(
                    t,
                    "info",
                    "invoice created",
                    invoice=f"INV-{2611000 + i}",
                    trigger="invoice-on-payment",
                    ce_type="com.acme.payment.settled",
                ),
            )
            for i, t in enumerate(L.every(s + timedelta(seconds=9), e, 40))
            if t < edit + timedelta(seconds=30)
        ]

    app(inc, ns, "payment-events", f"{REGISTRY}/billing/payment-events:1.12.0", 2, within(producer))
    app(inc, ns, "invoice-service", f"{REGISTRY}/billing/invoice-service:5.0.4", 2, within(invoice))
    app(inc, ns, "ledger-sync", f"{REGISTRY}/billing/ledger-sync:0.9.1", 1)
    app(
        inc,
        "knative-eventing",
        "mt-broker-filter",
        "gcr.io/knative-releases/knative.dev/eventing/cmd/broker/filter:v1.15.1",
        1,
    )
    plant(inc, ns, "invoice-smtp", "password", "smtp", "SMTP_PASSWORD")
    herring(inc, ns, "tax-calculator", f"{REGISTRY}/billing/tax-calculator", "2.1.0", AT4 - timedelta(minutes=30))
    base = {"namespace_name": ns, "broker_name": "default", "job": "mt-broker-filter"}
    metric(
        inc,
        "kn_trigger_dispatch_count",
        "counter",
        "Number of events dispatched to the subscriber",
        {**base, "trigger_name": "invoice-on-payment", "response_code": "202"},
        counter(AT4 - timedelta(hours=3), 0.05, 0.0, edit),
    )
    metric(
        inc,
        "kn_trigger_dispatch_count",
        "counter",
        "Number of events dispatched to the subscriber",
        {**base, "trigger_name": "ledger-on-payment", "response_code": "202"},
        counter(AT4 - timedelta(hours=3), 0.05, 0.05, edit),
    )
    metric(
        inc,
        "kn_broker_ingress_event_count",
        "counter",
        "Number of events received by the broker",
        {
            "namespace_name": ns,
            "broker_name": "default",
            "event_type": "com.acme.payment.settled",
            "response_code": "202",
            "job": "broker-ingress",
        },
        counter(AT4 - timedelta(hours=3), 0.05, 0.05, edit),
    )
    metric(
        inc,
        "invoices_created",
        "counter",
        "Invoices created",
        {"namespace": ns, "service": "invoice-service", "job": "invoice-service"},
        counter(AT4 - timedelta(hours=3), 0.05, 0.0, edit),
    )
    inc.alertmanager(
        "InvoicesNotCreated",
        {"namespace": ns, "service": "invoice-service"},
        "invoice-service created no invoices in 45 minutes",
        "rate(invoices_created_total[30m]) is 0 while payments keep settling.",
        'sum(rate(invoices_created_total{namespace="billing"}[30m])) == 0',
        severity="critical",
    )
    inc.answer_key(
        culprit=("Trigger", ns, "invoice-on-payment"),
        keywords=["Trigger", "filter", "event type"],
        root_cause="Trigger billing/invoice-on-payment was re-applied with filter attribute type "
        "com.acme.payment.settled.v2 while payment-events still publishes com.acme.payment.settled: the "
        "broker accepts every event but the Trigger's filter matches no event type, so invoice-service "
        "receives nothing.",
        category="eventing-trigger-filter-type-renamed-drops-events",
        red_herrings=[("Deployment", ns, "tax-calculator")],
    )
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 27, 7, 45, tzinfo=UTC)


def daily_reports_late_grouped() -> Incident:
    """shared-workflow-template-mutex-serializes-pipelines: a cluster-wide step template gains a mutex.

    after: the workflow-engine failure where a lock meant for one team's warehouse load is added to a
    template every team shares: the nightly pipelines, which ran side by side, now run one at a time
    behind the longest, and the morning reports arrive hours late.

    An Argo CD sync of ClusterWorkflowTemplate warehouse-load (cluster-scoped) added
    synchronization.mutex warehouse-load to its `load` template. Finance's two-hour load holds the lock;
    marketing's and product's daily Workflows wait ("Waiting for ... lock"). The grouped page lists the
    late Workflows. Red herring: the superset rollout.
    """
    inc = Incident(
        "daily-reports-late-grouped",
        title="Daily analytics reports late",
        story=daily_reports_late_grouped.__doc__ or "",
        at=AT5,
        seed=3105,
        namespaces=("analytics", "argo"),
    )
    ns = "analytics"
    sync = AT5 - timedelta(hours=9, minutes=20)
    crd(inc, "argoproj.io", "Workflow", "workflows", "v1alpha1")
    crd(inc, "argoproj.io", "ClusterWorkflowTemplate", "clusterworkflowtemplates", "v1alpha1", scope="Cluster")
    crd(inc, "argoproj.io", "CronWorkflow", "cronworkflows", "v1alpha1")
    cwt = inc.add(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ClusterWorkflowTemplate",
            "metadata": {
                "name": "warehouse-load",
                "generation": 7,
                "labels": {"app.kubernetes.io/instance": "data-platform-templates"},
            },
            "spec": {
                "templates": [
                    {
                        "name": "load",
                        "inputs": {"parameters": [{"name": "dataset"}, {"name": "partition"}]},
                        "synchronization": {"mutex": {"name": "warehouse-load"}},
                        "container": {
                            "image": f"{REGISTRY}/data/warehouse-loader:6.2.0",
                            "args": [
                                "load",
                                "--dataset={{inputs.parameters.dataset}}",
                                "--partition={{inputs.parameters.partition}}",
                            ],
                        },
                    }
                ]
            },
        }
    )
    changed(cwt, ("argocd-controller", "Apply", sync, {"f:spec": {"f:templates": {}}, "f:metadata": {"f:labels": {}}}))
    start = AT5.replace(hour=2, minute=0)
    flows = [
        ("finance-daily", "Running", start, "load holding warehouse-load"),
        (
            "marketing-daily",
            "Running",
            start + timedelta(minutes=5),
            "Waiting for analytics/Mutex/warehouse-load lock. Lock status: 0/1",
        ),
        (
            "product-daily",
            "Running",
            start + timedelta(minutes=10),
            "Waiting for analytics/Mutex/warehouse-load lock. Lock status: 0/1",
        ),
    ]
    for cron, phase, t, message in flows:
        inc.add(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "CronWorkflow",
                "metadata": {"name": cron, "namespace": ns},
                "spec": {
                    "schedules": [f"{t.minute} 2 * * *"],
                    "timezone": "UTC",
                    "concurrencyPolicy": "Replace",
                    "workflowSpec": {
                        "entrypoint": "main",
                        "workflowTemplateRef": {"name": "warehouse-load", "clusterScope": True},
                    },
                },
                "status": {"lastScheduledTime": ts(t)},
            }
        )
        wf = f"{cron}-{int(t.timestamp())}"
        nodes = {
            f"{wf}-{o.suffix(wf + 'load', 10)}": {
                "id": f"{wf}-{o.suffix(wf + 'load', 10)}",
                "name": f"{wf}.load",
                "displayName": "load",
                "type": "Pod",
                "templateName": "load",
                "templateScope": "cluster/warehouse-load",
                "phase": "Running" if cron == "finance-daily" else "Pending",
                "startedAt": ts(t),
                "finishedAt": None,
                **({"message": message} if cron != "finance-daily" else {}),
            }
        }
        inc.add(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {
                    "name": wf,
                    "namespace": ns,
                    "creationTimestamp": ts(t),
                    "labels": {"workflows.argoproj.io/cron-workflow": cron, "workflows.argoproj.io/phase": phase},
                },
                "spec": {
                    "workflowTemplateRef": {"name": "warehouse-load", "clusterScope": True},
                    "arguments": {"parameters": [{"name": "dataset", "value": cron.split("-")[0]}]},
                },
                "status": {
                    "phase": phase,
                    "startedAt": ts(t),
                    "finishedAt": None,
                    "progress": "0/1",
                    "nodes": nodes,
                    **(
                        {
                            "synchronization": {
                                "mutex": {"holding": [{"holder": wf, "mutex": "analytics/Mutex/warehouse-load"}]}
                            }
                        }
                        if cron == "finance-daily"
                        else {
                            "synchronization": {
                                "mutex": {
                                    "waiting": [
                                        {
                                            "holder": "analytics/" + flows[0][0] + f"-{int(start.timestamp())}",
                                            "mutex": "analytics/Mutex/warehouse-load",
                                        }
                                    ]
                                }
                            }
                        }
                    ),
                },
            }
        )

    def controller(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(max(s, start), e, 60)):
            for cron, _, ft, _ in flows[1:]:
                if t < ft:
                    continue
                wf = f"{cron}-{int(ft.timestamp())}"
                out.append(
                    (
                        t,
                        f'time="{t:%Y-%m-%dT%H:%M:%S}.{i % 1000:03d}Z" level=info msg="Lock acquisition '
                        f"failed: analytics/Mutex/warehouse-load is held by analytics/finance-daily-"
                        f'{int(start.timestamp())}" namespace={ns} workflow={wf}',
                    )
                )
            out.append(
                (
                    t,
                    f'time="{t:%Y-%m-%dT%H:%M:%S}.{i % 1000:03d}Z" level=info msg="Processing workflow" '
                    f"Phase=Running ResourceVersion={8812000 + i} namespace={ns} "
                    f"workflow=finance-daily-{int(start.timestamp())}",
                )
            )
        return out

    app(
        inc,
        "argo",
        "workflow-controller",
        "quay.io/argoproj/workflow-controller:v3.5.11",
        1,
        within(controller),
        port=9090,
    )
    plant(inc, ns, "warehouse-credentials", "password", "snowflake", "SNOWFLAKE_PASSWORD")
    herring(inc, ns, "superset", f"{REGISTRY}/analytics/superset", "4.0.2", AT5 - timedelta(hours=1))
    metric(
        inc,
        "argo_workflows_count",
        "gauge",
        "Number of Workflows currently accessible by the controller by status",
        {"status": "Pending", "job": "workflow-controller", "namespace": "argo"},
        lambda t: 0.0 if t < start + timedelta(minutes=5) else (1.0 if t < start + timedelta(minutes=10) else 2.0),
    )
    metric(
        inc,
        "argo_workflows_count",
        "gauge",
        "Number of Workflows currently accessible by the controller by status",
        {"status": "Running", "job": "workflow-controller", "namespace": "argo"},
        lambda t: 0.0 if t < start else 3.0,
    )
    alerts = []
    for cron, _, t, _ in flows[1:]:
        wf = f"{cron}-{int(t.timestamp())}"
        alerts.append(
            alert(
                inc,
                "DailyReportLate",
                {"namespace": ns, "workflow": wf, "team": cron.split("-")[0]},
                f"{cron} has not finished by 07:30 UTC",
                f"Workflow {ns}/{wf} started at 02:{t.minute:02d} and is still running; its report "
                "feeds the 08:00 dashboards.",
                f'argo_workflow_status_phase{{namespace="{ns}",phase="Running"}} and on() hour() >= 7',
            )
        )
    alerts.append(
        alert(
            inc,
            "ArgoWorkflowPendingTooLong",
            {"namespace": ns, "team": "data"},
            "Two Workflows in analytics have had Pending nodes for over 5 hours",
            "Pods of these Workflows were never created.",
            'argo_workflows_count{status="Pending"} > 0',
        )
    )
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["namespace"])
    inc.answer_key(
        culprit=("ClusterWorkflowTemplate", "", "warehouse-load"),
        keywords=["mutex", "synchronization", "lock"],
        root_cause="An Argo CD sync added synchronization.mutex warehouse-load to the `load` template of the shared "
        "ClusterWorkflowTemplate warehouse-load; every team's nightly Workflow now takes one lock, so "
        "marketing's and product's loads wait behind finance's two-hour load and the reports are late.",
        category="shared-workflow-template-mutex-serializes-pipelines",
        red_herrings=[("Deployment", ns, "superset")],
    )
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 28, 12, 10, tzinfo=UTC)


def order_api_errors_burn() -> Incident:
    """temporal-worker-task-queue-renamed-no-pollers: workers poll a new task queue; workflows wait on the old.

    after: the workflow-engine failure where a worker release renames the task queue it polls (an
    environment variable for a planned versioning scheme) while the starters still schedule onto the old
    one: Temporal accepts the workflows, nothing polls that queue, and the callers time out.

    Deployment orders/payment-worker revision 6 sets TEMPORAL_TASK_QUEUE=payments-v2 (was payments).
    order-api starts ChargeOrder on `payments` and waits 10 s: 504s and an SLO burn; Temporal's backlog on
    `payments` grows with no pollers. Red herring: the cart-sync rollout.
    """
    inc = Incident(
        "checkout-charges-timeout-burn",
        title="order-api error budget burning",
        story=order_api_errors_burn.__doc__ or "",
        at=AT6,
        seed=3106,
        namespaces=("orders", "temporal"),
    )
    ns = "orders"
    roll = AT6 - timedelta(minutes=24)
    env_old = [
        {"name": "TEMPORAL_ADDRESS", "value": "temporal-frontend.temporal.svc:7233"},
        {"name": "TEMPORAL_NAMESPACE", "value": "orders"},
        {"name": "TEMPORAL_TASK_QUEUE", "value": "payments"},
    ]
    env_new = [*env_old[:2], {"name": "TEMPORAL_TASK_QUEUE", "value": "payments-v2"}]

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        return [
            (
                s + timedelta(seconds=2),
                L.js(s, "info", "Started Worker", Namespace="orders", TaskQueue="payments-v2", WorkerID=f"1@{pod}@"),
            ),
            *[
                (t, L.js(t, "debug", "poll", TaskQueue="payments-v2", result="empty"))
                for t in L.every(s + timedelta(seconds=60), e, 60)
            ],
        ]

    revs = [
        Rev(
            5,
            inc.born + timedelta(days=20),
            "helm upgrade",
            [c("worker", f"{REGISTRY}/orders/payment-worker:2.14.0", port=None, env=env_old)],
        ),
        Rev(6, roll, "helm upgrade", [c("worker", f"{REGISTRY}/orders/payment-worker:2.15.0", port=None, env=env_new)]),
    ]
    inc.deployment(ns, "payment-worker", revs, {6: [P(log=within(worker)) for _ in range(3)]})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s + timedelta(seconds=3), e, 9)):
            wid = f"charge-order-{7740000 + i}"
            if t < roll + timedelta(minutes=1):
                out.append((t, L.js(t, "info", "order charged", workflow_id=wid, duration_ms=640 + i % 200)))
            else:
                out.append(
                    (
                        t,
                        L.js(
                            t,
                            "error",
                            "charge workflow did not complete",
                            workflow_id=wid,
                            task_queue="payments",
                            workflow_type="ChargeOrder",
                            error="context deadline exceeded",
                            duration_ms=10001,
                            status=504,
                        ),
                    )
                )
        return out

    app(
        inc,
        ns,
        "order-api",
        f"{REGISTRY}/orders/order-api:7.3.1",
        3,
        within(api),
        env=[
            {"name": "TEMPORAL_ADDRESS", "value": "temporal-frontend.temporal.svc:7233"},
            {"name": "PAYMENTS_TASK_QUEUE", "value": "payments"},
        ],
    )
    inc.statefulset(
        "temporal",
        "temporal-history",
        [c("history", "temporalio/server:1.24.2", port=7234)],
        [P(), P()],
        inc.born + timedelta(days=2),
    )
    app(inc, "temporal", "temporal-frontend", "temporalio/server:1.24.2", 2, port=7233)
    plant(inc, ns, "psp-credentials", "stripe", "orders", "STRIPE_SECRET_KEY")
    herring(inc, ns, "cart-sync", f"{REGISTRY}/orders/cart-sync", "1.6.0", AT6 - timedelta(minutes=40))
    tq = {"namespace": "orders", "taskqueue": "payments", "task_type": "Workflow", "job": "temporal-history"}
    metric(
        inc,
        "approximate_backlog_count",
        "gauge",
        "Approximate number of tasks in a task queue backlog",
        tq,
        ramp(0, 6.5, roll + timedelta(minutes=1)),
    )
    metric(
        inc,
        "approximate_backlog_count",
        "gauge",
        "Approximate number of tasks in a task queue backlog",
        {**tq, "taskqueue": "payments-v2"},
        step(0, 0, roll),
    )
    metric(
        inc,
        "poll_success",
        "counter",
        "Polls that returned a task",
        {"namespace": "orders", "taskqueue": "payments", "job": "temporal-matching"},
        counter(AT6 - timedelta(hours=3), 6.5, 0.0, roll),
    )
    for code, before, after in (("200", 6.5, 0.3), ("504", 0.0, 6.2)):
        metric(
            inc,
            "http_requests_total",
            "counter",
            "HTTP requests",
            {
                "namespace": ns,
                "service": "order-api",
                "route": "/v1/orders/{id}/checkout",
                "code": code,
                "job": "order-api",
            },
            counter(AT6 - timedelta(hours=3), before, after, roll + timedelta(minutes=1)),
        )
    inc.slo_burn(
        "order-api",
        ns,
        "order-api-availability",
        "0.995",
        38.6,
        "order-api checkout requests failing with 504 since 11:47; 95% of the 1h error budget window spent.",
    )
    inc.answer_key(
        culprit=("Deployment", ns, "payment-worker"),
        keywords=["TEMPORAL_TASK_QUEUE", "task queue", "pollers"],
        root_cause="payment-worker revision 6 changed TEMPORAL_TASK_QUEUE from payments to payments-v2; order-api "
        "still starts ChargeOrder workflows on the payments task queue, which now has no pollers, so the "
        "backlog grows and order-api's 10 s wait ends in 504s.",
        category="temporal-worker-task-queue-renamed-no-pollers",
        red_herrings=[("Deployment", ns, "cart-sync")],
    )
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)


def churn_features_failed() -> Incident:
    """spark-executor-memory-overhead-cut-container-killed: executors die at the container limit, not the heap.

    after: the Spark-on-Kubernetes failure where an executor's memoryOverhead is lowered (to fit more
    executors per node) below what PySpark workers and shuffle buffers use off-heap: the kubelet kills the
    executors with exit 137, tasks fail four times and the nightly application fails.

    SparkApplication data/churn-features was edited yesterday: executor.memoryOverhead 2g -> 384m. The
    driver logs lost executors with exit code 137 and the job aborts; the application is FAILED and the
    page names it. Red herring: the feature-store-api rollout.
    """
    inc = Incident(
        "churn-features-failed",
        title="Nightly churn features job failed",
        story=churn_features_failed.__doc__ or "",
        at=AT7,
        seed=3107,
        namespaces=("data",),
    )
    ns, name = "data", "churn-features"
    edit = AT7 - timedelta(hours=17)
    run = AT7.replace(hour=2, minute=0)
    end = AT7.replace(hour=2, minute=41)
    crd(inc, "sparkoperator.k8s.io", "SparkApplication", "sparkapplications", "v1beta2")
    crd(inc, "sparkoperator.k8s.io", "ScheduledSparkApplication", "scheduledsparkapplications", "v1beta2")
    sa = inc.add(
        {
            "apiVersion": "sparkoperator.k8s.io/v1beta2",
            "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": ns, "generation": 12},
            "spec": {
                "type": "Python",
                "mode": "cluster",
                "image": f"{REGISTRY}/data/churn-features:3.1.0",
                "mainApplicationFile": "local:///opt/app/churn_features.py",
                "sparkVersion": "3.5.1",
                "restartPolicy": {"type": "Never"},
                "driver": {"cores": 1, "memory": "4g", "serviceAccount": "spark"},
                "executor": {"cores": 4, "instances": 6, "memory": "12g", "memoryOverhead": "384m"},
            },
            "status": {
                "applicationState": {
                    "state": "FAILED",
                    "errorMessage": "driver container failed with ExitCode: 1, Reason: Error",
                },
                "driverInfo": {"podName": f"{name}-driver"},
                "executionAttempts": 1,
                "lastSubmissionAttemptTime": ts(run),
                "terminationTime": ts(end),
                "executorState": {f"{name}-9e1b7a93c4f2d601-exec-{i}": "FAILED" for i in range(1, 7)},
            },
        }
    )
    changed(
        sa,
        ("spark-operator", "Update", end, {"f:status": {}}),
        ("kubectl-edit", "Update", edit, {"f:spec": {"f:executor": {"f:memoryOverhead": {}}}}),
    )
    sa["metadata"]["managedFields"][0]["subresource"] = "status"

    def slog(t: datetime, level: str, cls: str, msg: str) -> tuple[datetime, str]:
        return t, f"{t:%y/%m/%d %H:%M:%S} {level} {cls}: {msg}"

    lines: Lines = [
        slog(run + timedelta(seconds=20), "INFO", "SparkContext", "Running Spark version 3.5.1"),
        slog(
            run + timedelta(seconds=40),
            "INFO",
            "ExecutorPodsAllocator",
            "Going to request 6 executors from Kubernetes for ResourceProfile Id: 0, target: 6, "
            "known: 0, sharedSlotFromPendingPods: 2147483647.",
        ),
    ]
    for i in range(1, 7):
        t = run + timedelta(minutes=9 + 4 * i)
        lines.append(
            slog(
                t,
                "ERROR",
                "TaskSchedulerImpl",
                f"Lost executor {i} on 10.244.{i % 3 + 1}.{40 + i}: The "
                f"executor with id {i} exited with exit code 137(SIGKILL, possible container OOM).",
            )
        )
        lines.append(
            slog(
                t + timedelta(seconds=1),
                "WARN",
                "TaskSetManager",
                f"Lost task {12 + i}.{i % 4} in stage "
                f"7.0 (TID {300 + i}) (10.244.{i % 3 + 1}.{40 + i} executor {i}): "
                f"ExecutorLostFailure (executor {i} exited caused by one of the running tasks) Reason: "
                f"The executor with id {i} exited with exit code 137(SIGKILL, possible container OOM).",
            )
        )
    lines.append(
        slog(
            end - timedelta(seconds=5),
            "ERROR",
            "SparkContext",
            "Job aborted due to stage failure: "
            "Task 17 in stage 7.0 failed 4 times, most recent failure: Lost task 17.3 in stage 7.0 (TID 341)"
            " (10.244.2.46 executor 6): ExecutorLostFailure (executor 6 exited caused by one of the "
            "running tasks) Reason: The executor with id 6 exited with exit code 137(SIGKILL, possible "
            "container OOM).",
        )
    )
    lines.append(
        (
            end - timedelta(seconds=4),
            "Traceback (most recent call last):\n"
            '  File "/opt/app/churn_features.py", line 212, in <module>\n'
            '    features.write.mode("overwrite").parquet(OUTPUT)\n'
            "py4j.protocol.Py4JJavaError: An error occurred while calling o412.parquet.\n"
            ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 17 in stage 7.0 failed 4 "
            "times",
        )
    )
    driver = c("spark-kubernetes-driver", f"{REGISTRY}/data/churn-features:3.1.0", port=None, memory_limit="4505Mi")
    h = inc.cluster.add_pod(
        PodHistory(
            name=f"{name}-driver",
            namespace=ns,
            workload=name,
            containers=[driver],
            node=node(inc, 2),
            created=run,
            states=[o.ContainerState(started_at=run + timedelta(seconds=8))],
            memory=steady(900),
            labels={"spark-role": "driver", "spark-app-name": name, "sparkoperator.k8s.io/app-name": name},
            owner={
                "apiVersion": "sparkoperator.k8s.io/v1beta2",
                "kind": "SparkApplication",
                "name": name,
                "uid": o.uid("sparkapplication", ns, name),
                "controller": True,
            },
            logs={"spark-kubernetes-driver": L.lines(sorted(lines))},
        )
    )
    h.ready = lambda t: False
    inc.cluster.patch(ns, h.name, terminated(1, "Error", run + timedelta(seconds=8), end))
    execu = c(
        "spark-kubernetes-executor",
        f"{REGISTRY}/data/churn-features:3.1.0",
        port=None,
        memory_limit="12672Mi",
        memory_request="12672Mi",
        cpu_request="4",
    )
    ex = inc.cluster.add_pod(
        PodHistory(
            name=f"{name}-9e1b7a93c4f2d601-exec-6",
            namespace=ns,
            workload=name,
            containers=[execu],
            node=node(inc, 1),
            created=run + timedelta(minutes=30),
            states=[o.ContainerState(started_at=run + timedelta(minutes=30))],
            memory=steady(12500),
            labels={"spark-role": "executor", "spark-app-name": name, "spark-exec-id": "6"},
            owner=o.owner_ref("Pod", f"{name}-driver", ns, "v1"),
        )
    )
    ex.ready = lambda t: False
    inc.cluster.patch(
        ns, ex.name, terminated(137, "OOMKilled", run + timedelta(minutes=30), run + timedelta(minutes=33))
    )
    inc.event(
        sa,
        "SparkApplicationFailed",
        f"SparkApplication {name} failed: driver container failed with ExitCode: 1, Reason: Error",
        end,
        component="spark-operator",
    )
    for i in range(1, 7):
        inc.event(
            sa,
            "SparkExecutorFailed",
            f"Executor {name}-9e1b7a93c4f2d601-exec-{i} failed with ExitCode: 137, Reason: OOMKilled",
            run + timedelta(minutes=9 + 4 * i),
            component="spark-operator",
        )
    plant(inc, ns, "lakehouse-s3", "aws-secret", "lake", "AWS_SECRET_ACCESS_KEY")
    herring(inc, ns, "feature-store-api", f"{REGISTRY}/data/feature-store-api", "1.21.0", AT7 - timedelta(hours=3))
    metric(
        inc,
        "spark_app_failure_count",
        "counter",
        "Spark applications that failed",
        {"namespace": ns, "app_type": "Python", "job": "spark-operator"},
        step(0, 1, end),
    )
    metric(
        inc,
        "table_freshness_seconds",
        "gauge",
        "Age of the newest partition of a warehouse table",
        {"namespace": ns, "table": "ml.churn_features", "job": "freshness-exporter"},
        lambda t: 3600 * 4 + (t - AT7.replace(hour=2)).total_seconds(),
    )
    inc.alertmanager(
        "SparkApplicationFailed",
        {"namespace": ns, "sparkapplication": name},
        "SparkApplication data/churn-features failed",
        "The nightly churn features application ended FAILED at 02:41; ml.churn_features is stale.",
        'spark_app_failure_count{namespace="data"} > 0',
    )
    inc.answer_key(
        culprit=("SparkApplication", ns, name),
        keywords=["memoryOverhead", "exit code 137", "executor"],
        root_cause="A kubectl edit of SparkApplication data/churn-features cut executor memoryOverhead from 2g to "
        "384m; "
        "the executors' off-heap (PySpark workers, shuffle) use exceeds the container limit, every "
        "executor is killed with exit code 137 (OOMKilled), tasks fail 4 times and the job aborts.",
        category="spark-executor-memory-overhead-cut-container-killed",
        red_herrings=[("Deployment", ns, "feature-store-api")],
    )
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 30, 9, 50, tzinfo=UTC)


def fraud_features_missing_page() -> Incident:
    """flink-upgrade-mode-stateless-drops-window-state: an operator upgrade restarts a stream job from nothing.

    after: the stream-processing failure where a Flink job managed by the Kubernetes operator is upgraded
    with upgradeMode stateless instead of savepoint (or last-state): the new job starts with empty keyed
    state, its windows restart from zero, and the readers of its output see missing or wrong features.

    A chart change to FlinkDeployment risk/card-velocity bumped the image and set upgradeMode stateless.
    The JobManager restored no savepoint; the Kafka source starts at the latest offsets; fraud-decision-api
    finds no velocity features for most cards and falls back to defaults. Red herring: rules-admin.
    """
    inc = Incident(
        "fraud-features-missing-page",
        title="Fraud decisions missing velocity features",
        story=fraud_features_missing_page.__doc__ or "",
        at=AT8,
        seed=3108,
        namespaces=("risk",),
    )
    ns, name = "risk", "card-velocity"
    up = AT8 - timedelta(minutes=35)
    crd(inc, "flink.apache.org", "FlinkDeployment", "flinkdeployments", "v1beta1")
    crd(inc, "flink.apache.org", "FlinkSessionJob", "flinksessionjobs", "v1beta1")
    fd = inc.add(
        {
            "apiVersion": "flink.apache.org/v1beta1",
            "kind": "FlinkDeployment",
            "metadata": {"name": name, "namespace": ns, "generation": 9},
            "spec": {
                "image": f"{REGISTRY}/risk/card-velocity:5.4.0",
                "flinkVersion": "v1_18",
                "flinkConfiguration": {
                    "state.checkpoints.dir": "s3://acme-flink/checkpoints/card-velocity",
                    "state.savepoints.dir": "s3://acme-flink/savepoints/card-velocity",
                    "execution.checkpointing.interval": "60s",
                    "taskmanager.numberOfTaskSlots": "4",
                },
                "serviceAccount": "flink",
                "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
                "taskManager": {"resource": {"memory": "8192m", "cpu": 4}},
                "job": {
                    "jarURI": "local:///opt/flink/usrlib/card-velocity.jar",
                    "parallelism": 8,
                    "upgradeMode": "stateless",
                    "state": "running",
                },
            },
            "status": {
                "jobStatus": {
                    "jobName": "card-velocity",
                    "state": "RUNNING",
                    "jobId": "6f1e0c2a9b7d4e3f8a1b2c3d4e5f6a7b",
                    "startTime": str(int(up.timestamp() * 1000)),
                    "savepointInfo": {"lastSavepoint": None},
                },
                "lifecycleState": "STABLE",
                "jobManagerDeploymentStatus": "READY",
                "reconciliationStatus": {"state": "DEPLOYED", "lastReconciledSpec": "{...}"},
            },
        }
    )
    changed(
        fd,
        ("helm", "Update", up - timedelta(minutes=1), {"f:spec": {"f:image": {}, "f:job": {"f:upgradeMode": {}}}}),
        ("flink-kubernetes-operator", "Update", up, {"f:status": {}}),
    )
    fd["metadata"]["managedFields"][1]["subresource"] = "status"
    fd["metadata"]["annotations"] = {"meta.helm.sh/release-name": "card-velocity"}

    def jm(pod: str, s: datetime, e: datetime) -> Lines:
        def f(t: datetime, level: str, logger: str, msg: str) -> tuple[datetime, str]:
            return t, f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} {level:<5} {logger} [] - {msg}"

        out = [
            f(
                s + timedelta(seconds=3),
                "INFO",
                "org.apache.flink.runtime.entrypoint.ClusterEntrypoint",
                "Starting StandaloneApplicationClusterEntryPoint.",
            ),
            f(
                s + timedelta(seconds=9),
                "INFO",
                "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
                "No checkpoint found during restore.",
            ),
            f(
                s + timedelta(seconds=9),
                "INFO",
                "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
                "Starting job 6f1e0c2a9b7d4e3f8a1b2c3d4e5f6a7b from savepoint  ()",
            ),
            f(
                s + timedelta(seconds=12),
                "INFO",
                "org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumerator",
                "Partition card-authorizations-0 is assigned with starting offset LATEST",
            ),
        ]
        for i, t in enumerate(L.every(s + timedelta(seconds=70), e, 60)):
            out.append(
                f(
                    t,
                    "INFO",
                    "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
                    f"Completed checkpoint {i + 1} for job 6f1e0c2a9b7d4e3f8a1b2c3d4e5f6a7b ({31000 + 900 * i} "
                    "bytes, checkpointDuration=412 ms, finalizationTime=3 ms).",
                )
            )
        return out

    revs = [
        Rev(
            4,
            inc.born + timedelta(days=15),
            "flink-kubernetes-operator",
            [c("flink-main-container", f"{REGISTRY}/risk/card-velocity:5.3.2", port=8081)],
        ),
        Rev(
            5,
            up,
            "flink-kubernetes-operator",
            [c("flink-main-container", f"{REGISTRY}/risk/card-velocity:5.4.0", port=8081)],
        ),
    ]
    inc.deployment(ns, name, revs, {5: [P(log=within(jm))]})

    def decision(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s + timedelta(seconds=4), e, 11)):
            if t > up + timedelta(minutes=1) and i % 5 != 0:
                out.append(
                    (
                        t,
                        L.js(
                            t,
                            "warn",
                            "velocity features missing, using defaults",
                            card_hash=L.uuidish(pod, i)[:16],
                            store="redis://velocity-cache:6379",
                            key_prefix="vel:v5:",
                            decision="approve",
                        ),
                    )
                )
            else:
                out.append(
                    (t, L.js(t, "info", "decision", decision="approve" if i % 7 else "review", latency_ms=18 + i % 11))
                )
        return out

    app(inc, ns, "fraud-decision-api", f"{REGISTRY}/risk/fraud-decision-api:8.0.3", 3, within(decision))
    plant(inc, ns, "flink-s3", "aws", "flink", "AWS_ACCESS_KEY_ID")
    herring(inc, ns, "rules-admin", f"{REGISTRY}/risk/rules-admin", "2.2.0", AT8 - timedelta(minutes=55))
    metric(
        inc,
        "fraud_features_missing",
        "counter",
        "Decisions made without velocity features",
        {"namespace": ns, "service": "fraud-decision-api", "job": "fraud-decision-api"},
        counter(AT8 - timedelta(hours=3), 0.02, 7.4, up + timedelta(minutes=1)),
    )
    metric(
        inc,
        "flink_jobmanager_job_lastCheckpointSize",
        "gauge",
        "Size of the last checkpoint",
        {"namespace": ns, "job_name": "card-velocity", "job": "flink"},
        lambda t: 4.6e9 if t < up else 31000 + 900 * max(0, (t - up).total_seconds() / 60),
    )
    metric(
        inc,
        "flink_jobmanager_job_numRestarts",
        "gauge",
        "Restarts of the job",
        {"namespace": ns, "job_name": "card-velocity", "job": "flink"},
        step(0, 0, up),
    )
    inc.pagerduty("Fraud decisions missing velocity features for 80% of card checks", "Risk")
    inc.answer_key(
        culprit=("FlinkDeployment", ns, name),
        keywords=["upgradeMode", "stateless", "savepoint"],
        root_cause="A chart change upgraded FlinkDeployment risk/card-velocity with upgradeMode stateless instead of "
        "savepoint: the new job restored no savepoint or checkpoint, its keyed window state started empty "
        "and the Kafka source began at the latest offset, so fraud-decision-api finds no velocity features "
        "for most cards.",
        category="flink-upgrade-mode-stateless-drops-window-state",
        red_herrings=[("Deployment", ns, "rules-admin")],
    )
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 1, 12, 20, tzinfo=UTC)


def hourly_invoice_run_question() -> Incident:
    """job-count-quota-refuses-cronjob-runs: a namespace quota on Job objects is already used up by old Jobs.

    after: the batch-platform failure where an object-count quota (count/jobs.batch) is introduced at the
    current number of Jobs, finished Jobs without ttlSecondsAfterFinished are never cleaned up, and the
    CronJob controller's next create is refused: scheduled runs silently stop.

    A ResourceQuota invoicing/batch-objects with count/jobs.batch: 20 was applied at 09:40; twenty finished
    Jobs (a migration's leftovers and CronJob history) already exist. invoice-hourly's 10:00, 11:00 and 12:00
    runs failed with FailedCreate "exceeded quota". Someone asks in chat. Red herring: a template ConfigMap edit.
    """
    inc = Incident(
        "hourly-invoice-run-question",
        title="invoice-hourly has not run since 09:00",
        story=hourly_invoice_run_question.__doc__ or "",
        at=AT9,
        seed=3109,
        namespaces=("invoicing",),
    )
    ns = "invoicing"
    applied = AT9.replace(hour=9, minute=40)
    quota = inc.add(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "batch-objects", "namespace": ns, "creationTimestamp": ts(applied)},
            "spec": {"hard": {"count/jobs.batch": "20", "count/cronjobs.batch": "10", "pods": "60"}},
            "status": {
                "hard": {"count/jobs.batch": "20", "count/cronjobs.batch": "10", "pods": "60"},
                "used": {"count/jobs.batch": "20", "count/cronjobs.batch": "3", "pods": "9"},
            },
        }
    )
    changed(quota, ("kubectl-client-side-apply", "Update", applied, {"f:spec": {"f:hard": {}}}))
    ctr = c("run", f"{REGISTRY}/invoicing/invoice-runner:4.0.2", port=None)
    cj = cronjob(
        inc,
        ns,
        "invoice-hourly",
        "0 * * * *",
        ctr.spec(),
        policy="Forbid",
        status={
            "lastScheduleTime": ts(AT9.replace(hour=9, minute=0)),
            "lastSuccessfulTime": ts(AT9.replace(hour=9, minute=7)),
        },
    )
    changed(cj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}))
    cronjob(
        inc, ns, "dunning-daily", "30 5 * * *", c("dunning", f"{REGISTRY}/invoicing/dunning:1.9.0", port=None).spec()
    )
    cronjob(
        inc,
        ns,
        "tax-export-daily",
        "0 4 * * *",
        c("export", f"{REGISTRY}/invoicing/tax-export:0.7.1", port=None).spec(),
    )
    hist = [("invoice-hourly", AT9.replace(hour=h, minute=0)) for h in (7, 8, 9)]
    hist += [("dunning-daily", (AT9 - timedelta(days=d)).replace(hour=5, minute=30)) for d in (0, 1, 2)]
    hist += [("tax-export-daily", (AT9 - timedelta(days=d)).replace(hour=4, minute=0)) for d in (0, 1)]
    for cron, t in hist:
        name = job_name(cron, t)
        inc.add(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "creationTimestamp": ts(t),
                    "ownerReferences": [cj_owner(cron, ns)],
                    "labels": {"app": cron},
                },
                "spec": {
                    "backoffLimit": 6,
                    "completions": 1,
                    "parallelism": 1,
                    "template": {"spec": {"restartPolicy": "Never", "containers": [ctr.spec()]}},
                },
                "status": {
                    "startTime": ts(t),
                    "completionTime": ts(t + timedelta(minutes=7)),
                    "succeeded": 1,
                    "conditions": [
                        {"type": "Complete", "status": "True", "lastTransitionTime": ts(t + timedelta(minutes=7))}
                    ],
                },
            }
        )
    for i in range(12):
        t = AT9 - timedelta(days=9, hours=i)
        name = f"backfill-invoice-pdf-{i:02d}"
        inc.add(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "creationTimestamp": ts(t),
                    "labels": {"app": "backfill-invoice-pdf"},
                },
                "spec": {
                    "backoffLimit": 2,
                    "completions": 1,
                    "parallelism": 1,
                    "template": {"spec": {"restartPolicy": "Never", "containers": [ctr.spec()]}},
                },
                "status": {
                    "startTime": ts(t),
                    "completionTime": ts(t + timedelta(minutes=40)),
                    "succeeded": 1,
                    "conditions": [
                        {"type": "Complete", "status": "True", "lastTransitionTime": ts(t + timedelta(minutes=40))}
                    ],
                },
            }
        )
    for h in (10, 11, 12):
        t = AT9.replace(hour=h, minute=0)
        inc.event(
            cj,
            "FailedCreate",
            f'Error creating job: jobs.batch "{job_name("invoice-hourly", t)}" is forbidden: '
            "exceeded quota: batch-objects, requested: count/jobs.batch=1, used: count/jobs.batch=20, "
            "limited: count/jobs.batch=20",
            t,
            component="cronjob-controller",
        )
    tmpl = inc.configmap(ns, "invoice-templates", {"footer.html": "<p>Acme GmbH, Berlin. VAT DE123456789</p>\n"})
    changed(tmpl, ("kubectl-edit", "Update", AT9 - timedelta(minutes=55), {"f:data": {"f:footer.html": {}}}))
    app(inc, ns, "invoice-api", f"{REGISTRY}/invoicing/invoice-api:6.1.0", 2)
    plant(inc, ns, "invoice-runner-db", "password", "invoicing-db", "PGPASSWORD")
    labels = {"namespace": ns, "job": "kube-state-metrics"}
    metric(
        inc,
        "kube_resourcequota",
        "gauge",
        "Information about resource quota.",
        {**labels, "resourcequota": "batch-objects", "resource": "count/jobs.batch", "type": "used"},
        lambda t: 20.0 if t >= applied else None,
    )
    metric(
        inc,
        "kube_resourcequota",
        "gauge",
        "Information about resource quota.",
        {**labels, "resourcequota": "batch-objects", "resource": "count/jobs.batch", "type": "hard"},
        lambda t: 20.0 if t >= applied else None,
    )
    metric(
        inc,
        "kube_cronjob_status_last_schedule_time",
        "gauge",
        "LastScheduleTime keeps information of when was the last time the job was successfully scheduled.",
        {**labels, "cronjob": "invoice-hourly"},
        lambda t: (
            float(int(t.timestamp()) // 3600 * 3600) if t < AT9.replace(hour=10) else AT9.replace(hour=9).timestamp()
        ),
    )
    inc.ask("why hasn't invoice-hourly run since 09:00? customers are missing their hourly invoices")
    inc.answer_key(
        culprit=("ResourceQuota", ns, "batch-objects"),
        keywords=["ResourceQuota", "count/jobs.batch", "exceeded quota"],
        root_cause="ResourceQuota invoicing/batch-objects, applied at 09:40, limits count/jobs.batch to 20 while 20 "
        "finished Jobs (backfill leftovers without ttlSecondsAfterFinished and CronJob history) already "
        "exist; the CronJob controller's creates for invoice-hourly fail with FailedCreate exceeded quota.",
        category="job-count-quota-refuses-cronjob-runs",
        red_herrings=[("ConfigMap", ns, "invoice-templates")],
    )
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 2, 4, 15, tzinfo=UTC)


def node_evictions_question() -> Incident:
    """stream-state-store-retention-raised-fills-node-disk: a Kafka Streams window store kept seven days on emptyDir.

    after: the stream-processing failure where a windowed state store's retention is raised (hours to days)
    while its RocksDB state directory lives on an emptyDir with no sizeLimit: the store grows on the node's
    root disk until the kubelet reports DiskPressure and evicts pods from that node.

    StatefulSet clickstream/sessionizer revision 4 (rolled out yesterday) set SESSION_STORE_RETENTION_MS to
    604800000 (was 3600000). sessionizer-1's state dir on node N grows ~40 GiB; N has DiskPressure, the
    kubelet evicts the collector pod there and nothing new is scheduled on it. The question names only N.
    Red herring: the collector rollout.
    """
    inc = Incident(
        "node-pods-keep-evicted-question",
        title="Pods evicted from one node",
        story=node_evictions_question.__doc__ or "",
        at=AT10,
        seed=3110,
        namespaces=("clickstream",),
    )
    ns, name = "clickstream", "sessionizer"
    host = node(inc, 1)
    roll = AT10 - timedelta(hours=19)
    env = [
        {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": "kafka-bootstrap.kafka.svc:9092"},
        {"name": "STATE_DIR", "value": "/var/lib/kafka-streams"},
        {"name": "SESSION_STORE_RETENTION_MS", "value": "604800000"},
    ]

    def streams(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [
            (
                s + timedelta(seconds=4),
                L.spring(
                    s,
                    "INFO",
                    "o.a.k.s.StreamsConfig",
                    "StreamsConfig values: "
                    "application.id = sessionizer, num.stream.threads = 4, state.dir = /var/lib/kafka-streams, "
                    "num.standby.replicas = 0",
                ),
            ),
            (
                s + timedelta(seconds=5),
                L.spring(
                    s,
                    "INFO",
                    "c.a.c.s.SessionTopology",
                    "session window inactivity gap 30m, store retention 604800000 ms",
                ),
            ),
        ]
        for i, t in enumerate(L.every(s + timedelta(minutes=5), e, 600)):
            out.append(
                (
                    t,
                    L.spring(
                        t,
                        "INFO",
                        "o.a.k.s.p.internals.StreamThread",
                        f"stream-thread "
                        f"[sessionizer-{o.suffix(pod, 8)}-StreamThread-{1 + i % 4}] Processed {41000 + 37 * i} "
                        "total records, ran 0 punctuators, and committed 12 total tasks since the last update",
                        thread=f"-StreamThread-{1 + i % 4}",
                    ),
                )
            )
        return out

    at = inc.born + timedelta(days=3)
    wl = inc.statefulset(
        ns,
        name,
        [
            c(
                name,
                f"{REGISTRY}/clickstream/sessionizer:2.8.0",
                port=8080,
                env=env,
                memory_limit="6Gi",
                memory_request="4Gi",
            )
        ],
        [P(log=within(streams), node=n) for n in (node(inc, 0), host, node(inc, 2))],
        roll,
    )
    spec = wl.obj["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "state", "emptyDir": {}}]
    spec["priorityClassName"] = "stream-critical"

    def critical(pod: dict[str, Any]) -> None:
        pod["spec"].update({"priorityClassName": "stream-critical", "priority": 100000})

    for h in wl.pods:
        inc.cluster.patch(ns, h.name, critical)
    inc.add(
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "stream-critical"},
            "value": 100000,
            "globalDefault": False,
            "preemptionPolicy": "PreemptLowerPriority",
            "description": "Stateful stream processors: evicted after ordinary pods under node pressure.",
        }
    )
    spec["containers"][0]["volumeMounts"] = [{"name": "state", "mountPath": "/var/lib/kafka-streams"}]
    current = wl.obj["status"]["currentRevision"]
    old_env = [*env[:2], {"name": "SESSION_STORE_RETENTION_MS", "value": "3600000"}]
    for number, rev_name, created, e in (
        (3, f"{name}-{o.suffix(ns + name + ts(at), 10)}", at, old_env),
        (4, current, roll, env),
    ):
        inc.add(
            {
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": rev_name,
                    "namespace": ns,
                    "creationTimestamp": ts(created),
                    "labels": {"app": name, "controller.kubernetes.io/hash": rev_name.rsplit("-", 1)[1]},
                    "ownerReferences": [{**o.owner_ref("StatefulSet", name, ns), "controller": True}],
                },
                "revision": number,
                "data": {"spec": {"template": {"spec": {"containers": [{"name": name, "env": e}]}}}},
            }
        )
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] != host:
            continue
        for cond in n["status"]["conditions"]:
            if cond["type"] == "DiskPressure":
                cond.update(
                    {
                        "status": "True",
                        "reason": "KubeletHasDiskPressure",
                        "message": "kubelet has disk pressure",
                        "lastTransitionTime": ts(AT10 - timedelta(minutes=22)),
                    }
                )
        n["spec"]["taints"] = [
            *n["spec"].get("taints", []),
            {
                "key": "node.kubernetes.io/disk-pressure",
                "effect": "NoSchedule",
                "timeAdded": ts(AT10 - timedelta(minutes=22)),
            },
        ]
        nobj = n
    revs = [
        Rev(
            1,
            inc.born + timedelta(days=11),
            "helm upgrade",
            [c("collector", f"{REGISTRY}/clickstream/collector:1.4.0")],
        ),
        Rev(2, AT10 - timedelta(hours=2), "helm upgrade", [c("collector", f"{REGISTRY}/clickstream/collector:1.4.1")]),
    ]
    col = inc.deployment(ns, "collector", revs, {2: [P(node=node(inc, 0)), P(node=host), P(node=node(inc, 2))]})
    evicted = col.pods[1]
    msg = (
        "The node was low on resource: ephemeral-storage. Threshold quantity: 10%, available: 4718592Ki. "
        "Container collector was using 48Ki, request is 0, has larger consumption of ephemeral storage. "
    )

    def evict(pod: dict[str, Any]) -> None:
        pod["status"].update({"phase": "Failed", "reason": "Evicted", "message": msg})
        for cs in pod["status"]["containerStatuses"]:
            cs.update(
                {
                    "ready": False,
                    "started": False,
                    "state": {
                        "terminated": {
                            "exitCode": 137,
                            "reason": "ContainerStatusUnknown",
                            "message": "The container could not be located when the pod was terminated",
                            "startedAt": ts(evicted.created),
                            "finishedAt": ts(AT10 - timedelta(minutes=20)),
                        }
                    },
                }
            )

    evicted.ready = lambda t: t < AT10 - timedelta(minutes=20)
    inc.cluster.patch(ns, evicted.name, evict)
    inc.event(inc.cluster.pod_object(evicted), "Evicted", msg, AT10 - timedelta(minutes=20), host=host)
    inc.replacement(evicted, AT10 - timedelta(minutes=20), host)
    inc.event(
        nobj,
        "EvictionThresholdMet",
        "Attempting to reclaim ephemeral-storage",
        AT10 - timedelta(minutes=22),
        AT10 + timedelta(minutes=20),
        count=9,
        host=host,
    )
    inc.event(
        nobj,
        "FreeDiskSpaceFailed",
        "Failed to garbage collect required amount of images. Attempted to free "
        "14223514009 bytes, but only found 1933057024 bytes eligible to free.",
        AT10 - timedelta(minutes=21),
        AT10 + timedelta(minutes=15),
        count=7,
        host=host,
    )
    plant(inc, ns, "kafka-sasl", "password", "sessionizer", "sasl.jaas.password")

    def usage(grow: float) -> Series:
        """Bytes a pod's state directory holds: 1.2 GiB, plus `grow` GiB every five minutes."""
        return lambda t: (1.2 + grow * max(0.0, (t - (AT10 - timedelta(hours=3))).total_seconds() / 300)) * 2**30

    for pod, grow in ((f"{name}-0", 0.02), (f"{name}-1", 0.9), (f"{name}-2", 0.02)):
        where = host if pod.endswith("-1") else node(inc, 0 if pod.endswith("-0") else 2)
        metric(
            inc,
            "ephemeral_storage_pod_usage",
            "gauge",
            "Current ephemeral byte usage of pod",
            {"pod_namespace": ns, "pod_name": pod, "node_name": where, "job": "k8s-ephemeral-storage-metrics"},
            usage(grow),
        )
    metric(
        inc,
        "node_filesystem_avail_bytes",
        "gauge",
        "Filesystem space available to non-root users in bytes.",
        {"instance": host, "mountpoint": "/", "fstype": "xfs", "device": "/dev/nvme0n1p1", "job": "node-exporter"},
        lambda t: max(4.5, 48 - 0.9 * (t - (AT10 - timedelta(hours=3))).total_seconds() / 300) * 2**30,
    )
    inc.ask(f"what's going on with {host}? pods on it keep getting evicted and nothing new schedules there")
    inc.answer_key(
        culprit=("StatefulSet", ns, name),
        keywords=["retention", "emptyDir", "ephemeral-storage", "DiskPressure"],
        root_cause="StatefulSet clickstream/sessionizer's revision 4 raised SESSION_STORE_RETENTION_MS from one "
        "hour to "
        "seven days; its RocksDB state store lives on an emptyDir without sizeLimit, so sessionizer-1 fills "
        "the node's root disk with ephemeral-storage until the kubelet reports DiskPressure, taints the "
        "node and evicts pods.",
        category="stream-state-store-retention-raised-fills-node-disk",
        red_herrings=[("Deployment", ns, "collector")],
    )
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 3, 15, 35, tzinfo=UTC)


def thumbnail_backlog_alert() -> Incident:
    """job-queue-workers-moved-to-another-redis-db: workers read a different Redis database than producers write.

    after: the task-queue failure where a connection string shared by a queue's producers and workers is
    edited for one side only (a database index "to separate cache from queues"): both sides stay healthy,
    the workers poll an empty queue in db 1 and the producers' jobs pile up in db 0.

    Secret media/thumbnail-worker-redis was edited 40 minutes before the page: REDIS_URL now ends in /1.
    Reloader restarted thumbnail-worker on it; upload-api still enqueues into db 0. The BullMQ exporter
    (db 0) shows waiting jobs climbing and none completed. Red herring: the transcoder rollout.
    """
    inc = Incident(
        "thumbnail-backlog-alert",
        title="Thumbnail jobs piling up",
        story=thumbnail_backlog_alert.__doc__ or "",
        at=AT11,
        seed=3111,
        namespaces=("media",),
    )
    ns = "media"
    edit = AT11 - timedelta(minutes=40)
    pw = inc.canary("password", "media-redis")
    inc.secret(
        ns,
        "thumbnail-worker-redis",
        {"REDIS_URL": "redis://media-redis.media.svc.cluster.local:6379/1", "REDIS_PASSWORD": pw},
    )
    sec = inc.find("Secret", ns, "thumbnail-worker-redis")
    changed(sec, ("kubectl-edit", "Update", edit, {"f:data": {"f:REDIS_URL": {}}}))
    inc.secret(
        ns,
        "upload-api-redis",
        {"REDIS_URL": "redis://media-redis.media.svc.cluster.local:6379/0", "REDIS_PASSWORD": pw},
    )

    def pino(t: datetime, level: int, pod: str, msg: str, **kw: object) -> str:
        return json.dumps(
            {"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod, **kw, "msg": msg},
            separators=(",", ":"),
        )

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        return [
            (
                s + timedelta(seconds=2),
                pino(s, 30, pod, "connected to redis", host="media-redis.media.svc.cluster.local", port=6379, db=1),
            ),
            (
                s + timedelta(seconds=3),
                pino(s, 30, pod, "worker ready", queue="thumbnails", concurrency=8, prefix="bull"),
            ),
        ]

    env = [{"name": "REDIS_URL", "valueFrom": {"secretKeyRef": {"name": "thumbnail-worker-redis", "key": "REDIS_URL"}}}]
    revs = [
        Rev(
            1,
            inc.born + timedelta(days=16),
            "helm upgrade",
            [c("worker", f"{REGISTRY}/media/thumbnail-worker:3.0.7", port=None, env=env)],
        ),
        Rev(
            2,
            edit + timedelta(seconds=20),
            "reloader.stakater.com: secret thumbnail-worker-redis changed",
            [c("worker", f"{REGISTRY}/media/thumbnail-worker:3.0.7", port=None, env=env)],
        ),
    ]
    inc.deployment(
        ns,
        "thumbnail-worker",
        revs,
        {2: [P(log=within(worker)) for _ in range(3)]},
        annotations={"secret.reloader.stakater.com/reload": "thumbnail-worker-redis"},
    )

    def producer(pod: str, s: datetime, e: datetime) -> Lines:
        return [
            (
                t,
                pino(
                    t,
                    30,
                    pod,
                    "job added",
                    queue="thumbnails",
                    jobId=str(880000 + i),
                    name="render",
                    asset=f"img_{L.uuidish(pod, i)[:12]}.jpg",
                ),
            )
            for i, t in enumerate(L.every(s + timedelta(seconds=6), e, 13))
        ]

    app(
        inc,
        ns,
        "upload-api",
        f"{REGISTRY}/media/upload-api:9.2.1",
        2,
        within(producer),
        env=[{"name": "REDIS_URL", "valueFrom": {"secretKeyRef": {"name": "upload-api-redis", "key": "REDIS_URL"}}}],
    )
    inc.statefulset(
        ns,
        "media-redis",
        [c("redis", "docker.io/library/redis:7.2.5", port=6379)],
        [P()],
        inc.born + timedelta(days=2),
        service=6379,
    )
    herring(inc, ns, "transcoder", f"{REGISTRY}/media/transcoder", "6.0.0", AT11 - timedelta(minutes=75))
    q = {"namespace": ns, "queue": "thumbnails", "prefix": "bull", "job": "bullmq-exporter"}
    metric(inc, "bullmq_waiting", "gauge", "Number of jobs waiting", q, ramp(4, 9.2, edit + timedelta(seconds=30)))
    metric(inc, "bullmq_active", "gauge", "Number of jobs active", q, step(7, 0, edit + timedelta(seconds=30)))
    metric(
        inc,
        "bullmq_completed",
        "counter",
        "Number of completed jobs",
        q,
        counter(AT11 - timedelta(hours=3), 0.15, 0.0, edit + timedelta(seconds=30)),
    )
    inc.alertmanager(
        "BullQueueBacklogGrowing",
        {"namespace": ns, "queue": "thumbnails", "service": "bullmq-exporter"},
        "Queue thumbnails has 370 waiting jobs and completes none",
        "Waiting jobs on media's thumbnails queue have grown for 40 minutes; uploads show no previews.",
        'bullmq_waiting{queue="thumbnails"} > 200 and rate(bullmq_completed_total[10m]) == 0',
    )
    inc.answer_key(
        culprit=("Secret", ns, "thumbnail-worker-redis"),
        keywords=["REDIS_URL", "database index", "Secret"],
        root_cause="A kubectl edit of Secret media/thumbnail-worker-redis changed REDIS_URL's database index from 0 to "
        "1; Reloader restarted thumbnail-worker, which now polls the thumbnails queue in db 1 while "
        "upload-api still adds jobs in db 0, so jobs wait and none complete.",
        category="job-queue-workers-moved-to-another-redis-db",
        red_herrings=[("Deployment", ns, "transcoder")],
    )
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 8, 25, tzinfo=UTC)


def quote_api_errors_burn() -> Incident:
    """serverless-scale-to-zero-enabled-cold-start-timeouts: a cluster default lets a slow starter scale to zero.

    after: the serverless failure where scale-to-zero is switched on cluster-wide (for cost) under a service
    whose container takes longer to start than its callers wait: after each idle spell, requests queue in
    the activator while a pod cold-starts, and the gateway gives up first.

    Knative's ConfigMap knative-serving/config-autoscaler was re-applied with enable-scale-to-zero "true" (was
    "false") and a 30 s grace period. quote-api (a JVM that starts in ~25 s) drops to zero between bursts;
    Kourier logs 504s upstream of the activator and the SLO burns. Red herring: the rate-cards rollout.
    """
    inc = Incident(
        "quote-api-errors-burn",
        title="quote-api error budget burning",
        story=quote_api_errors_burn.__doc__ or "",
        at=AT12,
        seed=3112,
        namespaces=("pricing", "knative-serving", "kourier-system"),
    )
    ns = "pricing"
    edit = AT12 - timedelta(hours=2, minutes=50)
    cm = inc.configmap(
        "knative-serving",
        "config-autoscaler",
        {
            "enable-scale-to-zero": "true",
            "scale-to-zero-grace-period": "30s",
            "stable-window": "60s",
            "container-concurrency-target-default": "100",
            "max-scale-up-rate": "1000.0",
        },
    )
    changed(
        cm,
        (
            "kubectl-client-side-apply",
            "Update",
            edit,
            {"f:data": {"f:enable-scale-to-zero": {}, "f:scale-to-zero-grace-period": {}}},
        ),
    )
    cm["metadata"]["labels"] = {"app.kubernetes.io/name": "knative-serving", "app.kubernetes.io/version": "1.15.2"}
    idle = [edit + timedelta(minutes=m) for m in range(7, 200, 19)]

    def quote(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for t in [s, *[x for x in idle if s < x < e]]:
            out.append(
                (
                    t + timedelta(seconds=2),
                    L.spring(
                        t + timedelta(seconds=2),
                        "INFO",
                        "com.acme.pricing.QuoteApplication",
                        "Starting QuoteApplication v4.2.0 using Java 21.0.4",
                    ),
                )
            )
            out.append(
                (
                    t + timedelta(seconds=26),
                    L.spring(
                        t + timedelta(seconds=26),
                        "INFO",
                        "com.acme.pricing.QuoteApplication",
                        "Started QuoteApplication in 24.118 seconds (process running for 25.3)",
                    ),
                )
            )
        return out

    knative_rev = Rev(
        1,
        AT12 - timedelta(days=6),
        "knative-serving: revision quote-api-00012",
        [
            c(
                "user-container",
                f"{REGISTRY}/pricing/quote-api:4.2.0",
                memory_limit="1Gi",
                readiness_path=None,
                liveness_path=None,
            ),
            c(
                "queue-proxy",
                "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1.15.2",
                port=8012,
                readiness_path=None,
                liveness_path=None,
            ),
        ],
    )
    inc.deployment(
        ns,
        "quote-api-00012-deployment",
        [knative_rev],
        {1: [P(log=within(quote), created=max(x for x in idle if x < inc.captured))]},
        labels={"serving.knative.dev/service": "quote-api", "serving.knative.dev/revision": "quote-api-00012"},
    )

    def kourier(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s + timedelta(seconds=5), e, 15)):
            cold = any(x <= t < x + timedelta(seconds=40) for x in idle) and t > edit
            out.append(
                (
                    t,
                    L.envoy(
                        t,
                        "POST",
                        "/v2/quotes",
                        504 if cold else 200,
                        "UT" if cold else "-",
                        "10.244.1.31:8012" if cold else "10.244.2.19:8012",
                        15000 if cold else 84,
                        "quote-api.pricing.svc.cluster.local",
                        L.uuidish(pod, i),
                        "response_timeout" if cold else "via_upstream",
                    ),
                )
            )
        return out

    app(
        inc,
        "kourier-system",
        "3scale-kourier-gateway",
        "gcr.io/knative-releases/knative.dev/net-kourier/cmd/kourier:v1.15.1",
        2,
        within(kourier),
        port=8080,
    )

    def activator(pod: str, s: datetime, e: datetime) -> Lines:
        return [
            (
                x + timedelta(seconds=15),
                json.dumps(
                    {
                        "severity": "ERROR",
                        "timestamp": ts(x + timedelta(seconds=15)),
                        "logger": "activator",
                        "caller": "handler/handler.go:141",
                        "message": "error while proxying request: context canceled",
                        "knative.dev/key": "pricing/quote-api-00012",
                        "knative.dev/pod": pod,
                    },
                    separators=(",", ":"),
                ),
            )
            for x in idle
            if s < x < e
        ]

    app(
        inc,
        "knative-serving",
        "activator",
        "gcr.io/knative-releases/knative.dev/serving/cmd/activator:v1.15.2",
        2,
        within(activator),
        port=8012,
    )
    plant(inc, ns, "quote-api-partner-key", "token", "fx-rates", "FX_API_KEY")
    herring(inc, ns, "rate-cards", f"{REGISTRY}/pricing/rate-cards", "1.3.0", AT12 - timedelta(minutes=45))
    rev = {
        "namespace_name": "pricing",
        "configuration_name": "quote-api",
        "revision_name": "quote-api-00012",
        "job": "autoscaler",
    }
    metric(
        inc,
        "autoscaler_actual_pods",
        "gauge",
        "Number of pods that are allocated currently",
        rev,
        lambda t: 1.0 if t < edit or not any(x - timedelta(minutes=3) <= t < x for x in idle) else 0.0,
        30,
    )
    metric(
        inc,
        "activator_request_count",
        "counter",
        "The number of requests that are routed to Activator",
        {"namespace_name": "pricing", "revision_name": "quote-api-00012", "response_code": "504", "job": "activator"},
        counter(AT12 - timedelta(hours=3), 0.0, 0.02, edit),
    )
    for code, before, after in (("200", 4.0, 3.4), ("504", 0.0, 0.6)):
        metric(
            inc,
            "http_requests_total",
            "counter",
            "HTTP requests through the gateway",
            {"namespace": ns, "service": "quote-api", "code": code, "job": "kourier"},
            counter(AT12 - timedelta(hours=3), before, after, edit),
        )
    inc.slo_burn(
        "quote-api",
        ns,
        "quote-api-availability",
        "0.999",
        15.2,
        "quote-api returns 504 in bursts every ~20 minutes since 05:40; partners' quote calls time out.",
    )
    inc.answer_key(
        culprit=("ConfigMap", "knative-serving", "config-autoscaler"),
        keywords=["scale-to-zero", "cold start", "activator"],
        root_cause="ConfigMap knative-serving/config-autoscaler was re-applied with enable-scale-to-zero true and "
        "a 30s "
        "grace period; quote-api, whose JVM takes ~25 s to start, scales to zero between bursts, requests "
        "wait in the activator during each cold start and Kourier's 15 s timeout returns 504.",
        category="serverless-scale-to-zero-enabled-cold-start-timeouts",
        red_herrings=[("Deployment", ns, "rate-cards")],
    )
    return inc


ALL = [
    reconciliation_report_missing,
    fulfilment_task_wait_high,
    shipping_labels_stalled_page,
    invoices_not_created_alert,
    daily_reports_late_grouped,
    order_api_errors_burn,
    churn_features_failed,
    fraud_features_missing_page,
    hourly_invoice_run_question,
    node_evictions_question,
    thumbnail_backlog_alert,
    quote_api_errors_burn,
]
