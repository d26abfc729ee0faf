"""Jobs and CronJobs that fail: what the pods said, and which object to fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from corpus import logs as L
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts


def _job(inc: Incident, ns: str, name: str, container: o.Container, started: datetime, attempts: list[float],
         log: Any, owner: dict[str, Any] | None = None, annotations: dict[str, str] | None = None,
         backoff_limit: int = 3, env: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Job whose pods all failed: one pod per attempt, exit 1, then BackoffLimitExceeded.

    `attempts` are the seconds each attempt ran; the Job controller waits 10 s, 20 s, 40 s between them.
    """
    labels = {"batch.kubernetes.io/job-name": name, "job-name": name,
              "batch.kubernetes.io/controller-uid": o.uid("job", ns, name),
              "controller-uid": o.uid("job", ns, name)}
    t = started
    ends = []
    for k, run in enumerate(attempts):
        pod_name = f"{name}-{o.suffix(f'{name}/{k}', 5)}"
        end = t + timedelta(seconds=run)
        h = inc._pod(ns, name, pod_name, Rev(1, t, "job", [container]), P(log=log, created=t), k, dict(labels),
                     o.owner_ref("Job", name, ns, "batch/v1"))
        h.memory = None
        h.logs[container.name] = log(pod_name, t + timedelta(seconds=2), end)
        inc.cluster.patch(ns, pod_name, terminated(1, "Error", t + timedelta(seconds=2), end))
        ends.append(end)
        t = end + timedelta(seconds=10 * 2 ** k)
    finished = ends[-1] + timedelta(seconds=1)
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": dict(labels), "generation": 1,
                            "creationTimestamp": ts(started)}
    if owner:
        meta["ownerReferences"] = [owner]
    if annotations:
        meta["annotations"] = annotations
    job = inc.add({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
        "spec": {"backoffLimit": backoff_limit, "completions": 1, "parallelism": 1, "completionMode": "NonIndexed",
                 "suspend": False, "podReplacementPolicy": "TerminatingOrFailed",
                 "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": o.uid("job", ns, name)}},
                 "template": {"metadata": {"labels": dict(labels)},
                              "spec": {"containers": [container.spec()], "restartPolicy": "Never"}}},
        "status": {"failed": len(attempts), "startTime": ts(started), "terminating": 0, "ready": 0,
                   "uncountedTerminatedPods": {},
                   "conditions": [
                       {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(finished), "lastTransitionTime": ts(finished)},
                       {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastProbeTime": ts(finished), "lastTransitionTime": ts(finished)}]}})
    for k in range(len(attempts)):
        inc.event(job, "SuccessfulCreate", f"Created pod: {name}-{o.suffix(f'{name}/{k}', 5)}",
                  started if k == 0 else ends[k - 1] + timedelta(seconds=10 * 2 ** (k - 1)), warning=False,
                  component="job-controller")
    inc.event(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit", finished,
              component="job-controller")
    return job


def orders_job_failed() -> Incident:
    """The Helm pre-upgrade migration Job for orders-api 4.3.0 connects to Postgres on port 5433 (pgbouncer in staging).

    On-call sees: KubeJobFailed. The migration's Python traceback says 'Connection refused' on
    5433; orders-postgres is healthy on 5432 and looks like the suspect. The release is blocked.
    """
    at = datetime(2026, 3, 17, 22, 30, tzinfo=UTC)
    inc = Incident("orders-job-failed", title="KubeJobFailed: orders/orders-api-migrate-43",
                   story="A migration Job's database URL has the wrong port; the Job exhausts its retries.",
                   at=at, seed=328, namespaces=("orders",))
    pw = inc.canary("password", "orders-migrate")
    pg = inc.statefulset("orders", "orders-postgres", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                         memory_limit="4Gi", memory_request="2Gi",
                                                         readiness_path=None, liveness_path=None)],
                         [P(log=lambda p, s, e: L.lines([(e - timedelta(minutes=30), L.postgres(
                             e - timedelta(minutes=30), "LOG", "checkpoint starting: time", pid=27)),
                             (e - timedelta(minutes=29), L.postgres(e - timedelta(minutes=29), "LOG",
                              "checkpoint complete: wrote 1811 buffers (11.1%); 0 WAL file(s) added, 0 removed, "
                              "1 recycled; write=179.812 s, sync=0.012 s, total=179.840 s", pid=27))]))],
                         at - timedelta(days=30), claims=[("data", "100Gi", "gp3")], service=5432)
    del pg
    url = f"postgresql://orders_owner:{pw}@orders-postgres.orders.svc.cluster.local:5433/orders"
    ip = inc.find("Service", "orders", "orders-postgres")["spec"]["clusterIP"]

    def log(pod: str, start: datetime, end: datetime) -> str:
        trace = "\n".join([
            "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/engine/base.py", line 146, in __init__',
            "    self._dbapi_connection = engine.raw_connection()",
            '  File "/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py", line 122, in connect',
            "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)",
            'psycopg2.OperationalError: connection to server at "orders-postgres.orders.svc.cluster.local" '
            f"({ip}), port 5433 failed: Connection refused",
            "\tIs the server running on that host and accepting TCP/IP connections?", "",
            "The above exception was the direct cause of the following exception:", "",
            "Traceback (most recent call last):",
            '  File "/usr/local/bin/alembic", line 8, in <module>',
            "    sys.exit(main())",
            '  File "/app/migrations/env.py", line 71, in run_migrations_online',
            "    with connectable.connect() as connection:",
            'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at '
            f'"orders-postgres.orders.svc.cluster.local" ({ip}), port 5433 failed: Connection refused',
            "\tIs the server running on that host and accepting TCP/IP connections?", "",
            "(Background on this error at: https://sqlalche.me/e/20/e3q8)"])
        return L.lines([(start, "+ alembic upgrade head"), (end - timedelta(milliseconds=300), trace)])

    container = c("migrate", f"{REGISTRY}/orders/orders-api:4.3.0", port=None,
                  env=[{"name": "DATABASE_URL", "value": url}])
    _job(inc, "orders", "orders-api-migrate-43", container, at - timedelta(minutes=9), [3.1, 3.0, 3.2, 3.1], log,
         annotations={"helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "-5",
                      "helm.sh/hook-delete-policy": "before-hook-creation"})

    def api(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=15), end, 40, lambda i, t: L.js(
            t, "info", "request completed", url="/v1/orders", statusCode=201, responseTime=21 + i % 9)))

    inc.deployment("orders", "orders-api", [Rev(12, at - timedelta(days=6), "helm upgrade orders-api 4.2.1",
                                                 [c("orders-api", f"{REGISTRY}/orders/orders-api:4.2.1")])],
                   {12: [P(log=api)] * 2})
    inc.alertmanager("KubeJobFailed", {"namespace": "orders", "job_name": "orders-api-migrate-43",
                                       "job": "kube-state-metrics"},
                     "Job failed to complete.",
                     "Job orders/orders-api-migrate-43 failed to complete. Removing failed job after "
                     "investigation should clear this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')
    inc.answer_key(culprit=("Job", "orders", "orders-api-migrate-43"), keywords=["5433", "Connection refused"],
                   root_cause="The pre-upgrade migration Job orders/orders-api-migrate-43 connects to orders-postgres "
                              "on port 5433, where nothing listens (Postgres is on 5432), so every attempt fails with "
                              "Connection refused until BackoffLimitExceeded.",
                   category="job-backofflimit", red_herrings=[("StatefulSet", "orders", "orders-postgres")])
    return inc


def warehouse_backup_failed() -> Incident:
    """The warehouse database moved to Postgres 16.4 yesterday; the backup CronJob still runs pg_dump 15.8.

    On-call sees: KubeJobFailed for the latest backup Job. The warehouse StatefulSet changed
    recently and looks guilty; it is healthy. pg_dump refuses a newer server.
    """
    at = datetime(2026, 9, 2, 6, 12, tzinfo=UTC)
    inc = Incident("warehouse-backup-failed", title="KubeJobFailed: data warehouse backup job",
                   story="A CronJob's client tool is older than the server it backs up.", at=at, seed=329,
                   namespaces=("data",))
    upgraded = at - timedelta(hours=27)

    def pg(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start, L.postgres(start, "LOG", "starting PostgreSQL 16.4 (Debian 16.4-1.pgdg120+2) on "
                                                         "x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) "
                                                         "12.2.0, 64-bit")),
                        (start + timedelta(seconds=2), L.postgres(start, "LOG",
                                                                  "database system is ready to accept connections")),
                        *L.ticker(end - timedelta(minutes=20), end, 300, lambda i, t: L.postgres(
                            t, "LOG", "checkpoint starting: time", pid=29))])

    wh = inc.statefulset("data", "warehouse", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                 memory_limit="8Gi", memory_request="6Gi", readiness_path=None,
                                                 liveness_path=None)],
                         [P(log=pg, created=upgraded)], upgraded, claims=[("data", "500Gi", "gp3")], service=5432)
    wh.obj["metadata"]["annotations"] = {"kubernetes.io/change-cause": "upgrade warehouse to PostgreSQL 16.4 "
                                                                       "(pg_upgrade)"}
    pw = inc.canary("password", "warehouse-backup")
    inc.secret("data", "warehouse-backup", {"PGPASSWORD": pw, "AWS_ACCESS_KEY_ID": inc.canary("aws", "backup")})
    container = c("backup", f"{REGISTRY}/data/pg-backup:15.8-3", port=None,
                  env=[{"name": "PGHOST", "value": "warehouse.data.svc"},
                       {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "warehouse-backup",
                                                                             "key": "PGPASSWORD"}}}])
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "warehouse-backup", "namespace": "data"},
                    "spec": {"schedule": "0 */6 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
                             "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                                 "containers": [container.spec()], "restartPolicy": "Never"}}}}},
                    "status": {"lastScheduleTime": ts(at - timedelta(minutes=12)),
                               "lastSuccessfulTime": ts(at - timedelta(hours=30, minutes=7))}})

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start, "+ pg_dump --format=custom --file=/backup/warehouse.dump warehouse"),
                        (end, "pg_dump: error: aborting because of server version mismatch"),
                        (end, "pg_dump: detail: server version: 16.4 (Debian 16.4-1.pgdg120+2); pg_dump version: "
                              "15.8 (Debian 15.8-1.pgdg120+1)")])

    owner = o.owner_ref("CronJob", "warehouse-backup", "data", "batch/v1")
    for k, hours in enumerate((12, 6, 0)):
        when = at - timedelta(minutes=12) - timedelta(hours=hours)
        stamp = int(when.timestamp() // 60)
        _job(inc, "data", f"warehouse-backup-{stamp}", container, when, [1.2, 1.1], log, owner=owner,
             backoff_limit=1)
        inc.event(cron, "SuccessfulCreate", f"Created job warehouse-backup-{stamp}", when, warning=False,
                  component="cronjob-controller")
        del k
    last = f"warehouse-backup-{int((at - timedelta(minutes=12)).timestamp() // 60)}"
    inc.event(cron, "SawCompletedJob", f"Saw completed job: {last}, status: Failed", at - timedelta(minutes=11),
              warning=False, component="cronjob-controller")
    inc.alertmanager("KubeJobFailed", {"namespace": "data", "job_name": last, "job": "kube-state-metrics"},
                     "Job failed to complete.",
                     f"Job data/{last} failed to complete. Removing failed job after investigation should clear "
                     "this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')
    inc.answer_key(culprit=("CronJob", "data", "warehouse-backup"), keywords=["version mismatch", "16.4", "15.8"],
                   root_cause="CronJob data/warehouse-backup runs pg_dump 15.8, which aborts on the warehouse's new "
                              "PostgreSQL 16.4 server (server version mismatch); every backup since the upgrade "
                              "failed.",
                   category="cronjob-failing", red_herrings=[("StatefulSet", "data", "warehouse")])
    return inc


SCENARIOS = [orders_job_failed, warehouse_backup_failed]
