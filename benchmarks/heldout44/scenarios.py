"""Round 44 of the held-out incident set: batch, streaming and data-processing workloads.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes live where data platforms break: Spark dynamic allocation and driver RBAC, Flink
job upgrades and its blob server, Kueue admission quota, Job failure policies and deadlines, Kafka
Connect sink flushing, Argo Workflows' artifact repository, Kafka Streams commit cadence, a bandwidth-
hungry backfill and a producer batch over the broker's limit. Most pages are on what these hurt; about a
third are simple (the cause is in the paged object's own spec, status or logs). Log lines follow the real
software's formats.
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
from corpus.podstate import steady, terminated  # noqa: E402
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
    ramp,
    revision,
    rolled,
    send,
    series,
    since,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def const(value: float) -> Series:
    """A flat gauge."""
    return lambda t: value


def wobble(base: float) -> Series:
    """A gauge wandering a little above `base` (a healthy consumer's lag)."""
    return lambda t: base + (t.minute % 10) * 80


def hourly(at: datetime) -> Series:
    """A count growing by one every hour from `at` (one more failed run each hour)."""
    return lambda t: max(0.0, (t - at).total_seconds() // 3600)


def workload(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
             replicas: int = 2, nodes: list[str] | None = None, version: str = "", **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble (if any) shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade",
              [c(name, f"{REGISTRY}/{ns}/{name}:{version or f'2.{len(name)}.0'}", **kw)])
    plans = [P(log=within(make), node=nodes[i] if nodes else None) for i in range(replicas)]
    return inc.deployment(ns, name, [rev], {1: plans})


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7, first: str = "argocd-controller",
           with_crd: bool = True) -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by `first` and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    if with_crd:
        crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, (first, "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def comma(t: datetime) -> str:
    """log4j's and Python's `2026-12-05 02:14:03,123`."""
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def spark(t: datetime, level: str, logger: str, msg: str) -> str:
    """Spark 3's default log4j2 console pattern on Kubernetes: `yy/MM/dd HH:mm:ss LEVEL Class: msg`."""
    return f"{t.strftime('%y/%m/%d %H:%M:%S')} {level} {logger}: {msg}"


def spark_at(t: datetime, offset_s: float, level: str, logger: str, msg: str) -> tuple[datetime, str]:
    """A Spark log entry `offset_s` after `t`, stamped with its own time."""
    when = t + timedelta(seconds=offset_s)
    return when, spark(when, level, logger, msg)


def bursts(s: datetime, e: datetime, step_s: float, make: Callable[[int, datetime], Lines]) -> Lines:
    """Several stamped entries every `step_s` seconds (one cycle of a retry loop each time)."""
    out: Lines = []
    for i, t in enumerate(L.every(s, e, step_s)):
        out.extend(make(i, t))
    return out


def flink(t: datetime, level: str, logger: str, msg: str) -> str:
    """Flink's log4j console pattern: `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`."""
    return f"{comma(t)} {level:<5} {logger:<60} [] - {msg}"


def zapjson(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """zap's production JSON encoder (`ts` as epoch seconds)."""
    import json
    return json.dumps({"level": level, "ts": round(t.timestamp(), 3), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def cron_suffix(t: datetime) -> str:
    """The CronJob controller names each Job after its scheduled time in minutes since the epoch."""
    return str(int(t.timestamp() // 60))


def job(inc: Incident, ns: str, name: str, container: o.Container, started: datetime, *,
        completions: int = 1, parallelism: int = 1, status: dict[str, Any], spec: dict[str, Any] | None = None,
        owner: str | None = None, manager: str = "kube-controller-manager",
        labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A batch/v1 Job as the API server returns it (created by a CronJob when `owner` is given)."""
    uid = o.uid("job", ns, name)
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": uid, "generation": 1,
                            "creationTimestamp": ts(started), "resourceVersion": "91220",
                            "labels": {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                                       "controller-uid": uid, "job-name": name, **(labels or {})}}
    if owner:
        meta["ownerReferences"] = [{**o.owner_ref("CronJob", owner, ns, "batch/v1"), "controller": True,
                                    "blockOwnerDeletion": True}]
        meta["annotations"] = {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(started)}
    body: dict[str, Any] = {
        "completions": completions, "parallelism": parallelism, "backoffLimit": 6, "completionMode": "NonIndexed",
        "suspend": False, "manualSelector": False, "podReplacementPolicy": "TerminatingOrFailed",
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
        "template": {"metadata": {"labels": {"batch.kubernetes.io/job-name": name, "job-name": name}},
                     "spec": {"containers": [container.spec()], "restartPolicy": "Never",
                              "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}}}
    body.update(spec or {})
    obj = inc.add({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": body,
                   "status": {"uncountedTerminatedPods": {}, **status}})
    return changed(obj, (manager, "Update", started, {"f:spec": {}}))


def job_pod(inc: Incident, ns: str, job_name: str, container: o.Container, pod: str, at: datetime, *,
            log: Callable[[str, datetime, datetime], Lines], end: datetime | None = None, exit_code: int = 0,
            reason: str = "Completed", node_name: str | None = None, index: int | None = None,
            owner: dict[str, Any] | None = None, labels: dict[str, str] | None = None,
            restart: str = "Never") -> PodHistory:
    """A Job's (or driver's) pod: running at capture, or terminated at `end` with `exit_code`."""
    cl = inc.cluster
    where = node_name or cl.pick_node(pod)
    own = labels or {"batch.kubernetes.io/job-name": job_name, "job-name": job_name,
                     "batch.kubernetes.io/controller-uid": o.uid("job", ns, job_name)}
    if index is not None:
        own = {**own, "batch.kubernetes.io/job-completion-index": str(index)}
    started = at + timedelta(seconds=4)
    h = PodHistory(name=pod, namespace=ns, workload=job_name, containers=[container], node=where, created=at,
                   states=[o.ContainerState(started_at=started, ready=end is None)], memory=steady(300),
                   labels=own, owner=owner or {**o.owner_ref("Job", job_name, ns, "batch/v1"), "controller": True})
    h.logs[container.name] = within(log)(pod, started, end or inc.captured)
    cl.patch(ns, pod, lambda obj: obj["spec"].update({"restartPolicy": restart}))  # a Job's pods never use Always
    if end is not None:
        h.ready = lambda t: False
        cl.patch(ns, pod, terminated(exit_code, reason, started, end,
                                     phase="Succeeded" if exit_code == 0 else "Failed"))
    cl.add_pod(h)
    return h


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 5, 6, 30, tzinfo=UTC)


def sessions_table_stale() -> Incident:
    """A Spark job's dynamic allocation releases executors that still hold shuffle output: endless stage retries.

    after: Spark-on-Kubernetes cost tuning gone wrong, as Spark's own docs and many user reports describe it:
    with shuffle tracking, `spark.dynamicAllocation.shuffleTracking.timeout` lets executors holding shuffle
    files be removed once idle; a later stage then finds no map output (MetadataFetchFailedException), the
    DAGScheduler resubmits the parent stage, new executors are requested and removed again, and a 50-minute
    nightly job is still running at breakfast. Someone added `shuffleTracking.timeout: 60s` with kubectl edit
    the afternoon before to release idle executors faster. The page is the warehouse freshness rule on the
    `analytics.sessions` table that the job writes.
    """
    inc = start(sessions_table_stale, "analytics.sessions table is stale", AT1, 4401, ("etl", "spark-operator"))
    run = AT1.replace(hour=2, minute=0)
    chg = AT1 - timedelta(hours=15, minutes=20)
    plant(inc, "etl", "warehouse-s3", "aws-secret", "etl-warehouse", "AWS_SECRET_ACCESS_KEY")
    conf = {"spark.dynamicAllocation.enabled": "true", "spark.dynamicAllocation.shuffleTracking.enabled": "true",
            "spark.dynamicAllocation.shuffleTracking.timeout": "60s",
            "spark.dynamicAllocation.executorIdleTimeout": "60s", "spark.dynamicAllocation.minExecutors": "2",
            "spark.dynamicAllocation.maxExecutors": "24", "spark.sql.shuffle.partitions": "400",
            "spark.hadoop.fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider"}
    custom(inc, "SparkApplication", "sparkoperator.k8s.io/v1beta2", "sparkapplications", "etl", "sessionize-daily",
           {"type": "Scala", "mode": "cluster", "image": f"{REGISTRY}/etl/sessionize:4.2.0",
            "mainClass": "com.acme.etl.SessionizeJob", "mainApplicationFile": "local:///opt/app/sessionize.jar",
            "sparkVersion": "3.5.3", "sparkConf": conf, "restartPolicy": {"type": "Never"},
            "driver": {"cores": 2, "memory": "4g", "serviceAccount": "spark"},
            "executor": {"cores": 4, "memory": "12g", "instances": 4}},
           {"applicationState": {"state": "RUNNING"}, "driverInfo": {"podName": "sessionize-daily-driver"},
            "lastSubmissionAttemptTime": ts(run), "submissionAttempts": 1, "sparkApplicationId":
            "spark-7d1c0a5e2b9f4e8c9a31f0d2c4b6e8a1", "executionAttempts": 1,
            "executorState": {f"sessionize-daily-3f9c6e1b2a7d4c05-exec-{i}": "COMPLETED" if i < 72 else "RUNNING"
                              for i in range(60, 76)}},
           "kubectl-edit", chg,
           {"f:spec": {"f:sparkConf": {"f:spark.dynamicAllocation.executorIdleTimeout": {},
                                       "f:spark.dynamicAllocation.shuffleTracking.timeout": {}}}},
           generation=12)

    def driver(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [spark_at(run, 9, "INFO", "SparkContext", "Running Spark version 3.5.3")]

        def cycle(i: int, t: datetime) -> Lines:
            stage, shuffle = 14, 6
            lost = 60 + i % 16
            return [
                spark_at(t, 0, "INFO", "ExecutorAllocationManager",
                      "Requesting 6 new executors because tasks are backlogged (new desired total will be 12 "
                      "for resource profile id: 0)"),
                spark_at(t, 95, "INFO", "ExecutorAllocationManager",
                      f"Request to remove executorIds: ({lost}, 0), ({lost + 1}, 0)"),
                spark_at(t, 95, "INFO", "KubernetesClusterSchedulerBackend",
                      f"Actual list of executor(s) to be killed is {lost}, {lost + 1}"),
                spark_at(t, 96, "INFO", "ExecutorMonitor",
                      f"Executor {lost} is removed. Remove reason statistics: (gracefully decommissioned: 0, "
                      f"decommision unfinished: 0, driver killed: {2 * i + 2}, unexpectedly exited: 0)."),
                spark_at(t, 140, "WARN", "TaskSetManager",
                      f"Lost task {57 + i % 9}.0 in stage {stage}.{i + 3} (TID {9121 + 37 * i}) (10.0.3.{41 + i % 9} "
                      f"executor {lost + 2}): FetchFailed(null, shuffleId={shuffle}, mapIndex=-1, mapId=-1, "
                      f"reduceId={57 + i % 9}, message=\norg.apache.spark.shuffle.MetadataFetchFailedException: "
                      f"Missing an output location for shuffle {shuffle} partition {57 + i % 9}\n"
                      "\tat org.apache.spark.MapOutputTracker$.validateStatus(MapOutputTracker.scala:1732)\n"
                      "\tat org.apache.spark.MapOutputTracker$.$anonfun$convertMapStatuses$11"
                      "(MapOutputTracker.scala:1679)\n"
                      "\tat org.apache.spark.shuffle.BlockStoreShuffleReader.read(BlockStoreShuffleReader.scala:68)\n"
                      ")"),
                spark_at(t, 141, "INFO", "DAGScheduler",
                      f"Marking ResultStage {stage} (save at SessionizeJob.scala:88) as failed due to a fetch "
                      "failure from ShuffleMapStage 12 (groupBy at SessionizeJob.scala:61)"),
                spark_at(t, 141, "INFO", "DAGScheduler",
                      "Resubmitting ShuffleMapStage 12 (groupBy at SessionizeJob.scala:61) and ResultStage "
                      f"{stage} (save at SessionizeJob.scala:88) due to fetch failure"),
            ]
        out += bursts(run + timedelta(minutes=24), e, 330, cycle)
        return out

    drv = c("spark-kubernetes-driver", f"{REGISTRY}/etl/sessionize:4.2.0", memory_limit="4505Mi", port=7078)
    job_pod(inc, "etl", "sessionize-daily", drv, "sessionize-daily-driver", run, log=driver,
            owner=o.owner_ref("SparkApplication", "sessionize-daily", "etl", "sparkoperator.k8s.io/v1beta2"),
            labels={"spark-role": "driver", "spark-app-name": "sessionize-daily",
                    "sparkoperator.k8s.io/app-name": "sessionize-daily",
                    "sparkoperator.k8s.io/launched-by-spark-operator": "true"})
    exe = c("spark-kubernetes-executor", f"{REGISTRY}/etl/sessionize:4.2.0", memory_limit="13516Mi", port=7079)
    for i in range(72, 76):
        born = inc.captured - timedelta(minutes=3 + 2 * (i - 72))
        job_pod(inc, "etl", "sessionize-daily", exe, f"sessionize-daily-3f9c6e1b2a7d4c05-exec-{i}", born,
                log=lambda p, s, e: [spark_at(s, 6, "INFO", "CoarseGrainedExecutorBackend",
                                              "Successfully registered with driver")],
                owner={"apiVersion": "v1", "kind": "Pod", "name": "sessionize-daily-driver",
                       "uid": o.uid("pod", "etl", "sessionize-daily-driver"), "controller": True},
                labels={"spark-role": "executor", "spark-app-name": "sessionize-daily", "spark-exec-id": str(i)})
    workload(inc, "spark-operator", "spark-operator-controller", lambda p, s, e: every(s, e, 600, lambda i, t: L.klog(
        t, "I", "sparkapp/controller.go:214", 'Reconciling SparkApplication "etl/sessionize-daily" state=RUNNING')),
        replicas=1, version="2.0.2")
    herring(inc, "etl", "spark-history-server", f"{REGISTRY}/etl/spark-history-server", "3.5.1", "3.5.3",
            AT1 - timedelta(hours=1, minutes=25))
    yesterday = (AT1 - timedelta(days=1)).replace(hour=2, minute=53).timestamp()
    series(inc, "warehouse_table_last_success_timestamp_seconds", "gauge",
           "Unix time of the last successful load of a warehouse table.",
           {"table": "analytics.sessions", "job": "warehouse-freshness-exporter", "namespace": "etl"},
           lambda t: yesterday)
    series(inc, "warehouse_table_last_success_timestamp_seconds", "gauge",
           "Unix time of the last successful load of a warehouse table.",
           {"table": "analytics.orders_daily", "job": "warehouse-freshness-exporter", "namespace": "etl"},
           lambda t: run.timestamp() + 1900)
    send(inc, [alert(inc, "WarehouseTableStale", {"namespace": "etl", "table": "analytics.sessions",
                                                  "job": "warehouse-freshness-exporter"},
                     "analytics.sessions has not been loaded for 27h",
                     "The last successful load of analytics.sessions finished 27.6 hours ago; the dashboards "
                     "that read it are showing yesterday's data.",
                     'time() - warehouse_table_last_success_timestamp_seconds{table="analytics.sessions"} > 27 * 3600',
                     severity="critical")], ["alertname", "table"])
    inc.answer_key(
        culprit=("SparkApplication", "etl", "sessionize-daily"),
        keywords=["shuffleTracking.timeout", "FetchFailed", "dynamic allocation"],
        root_cause="The SparkApplication etl/sessionize-daily was edited the afternoon before (kubectl edit, "
                   "managedFields) to set spark.dynamicAllocation.shuffleTracking.timeout to 60s: dynamic allocation "
                   "now removes idle executors that still hold shuffle output, so the result stage hits "
                   "FetchFailed / MetadataFetchFailedException (missing an output location for shuffle 6), the "
                   "DAGScheduler resubmits the shuffle map stage again and again, and the nightly job that loads "
                   "analytics.sessions never finishes.",
        category="shuffle-output-lost-to-scale-down",
        red_herrings=[("Deployment", "etl", "spark-history-server")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 4, 14, 12, tzinfo=UTC)


def ledger_duplicate_inserts_page() -> Incident:
    """A Flink job upgrade with a changed operator uid restores with allowNonRestoredState: dedup state dropped.

    after: Flink savepoint upgrades as the Flink docs and operator issue trackers warn about them: operator
    state is matched by uid; version 2.0 of the dedup job renamed the keyed-dedup operator, the savepoint's
    state for the old uid could not be mapped, and `allowNonRestoredState: true` (set in the same change)
    made Flink skip it silently instead of refusing to start. The job started with an empty seen-ids store and
    replayed the retained window of payment events, so the ledger writer downstream meets thousands of
    events it already booked and Postgres rejects them as duplicates. The page is on the ledger writer.
    """
    inc = start(ledger_duplicate_inserts_page, "ledger-writer rejecting inserts", AT2, 4402,
                ("streaming", "ledger", "flink-operator"))
    chg = AT2 - timedelta(minutes=48)
    plant(inc, "ledger", "ledger-db", "password", "ledger-db", "PGPASSWORD")
    sp = "s3://acme-flink-state/savepoints/payment-dedup/savepoint-4c1e2a-7f0b3d9e21aa"
    custom(inc, "FlinkDeployment", "flink.apache.org/v1beta1", "flinkdeployments", "streaming", "payment-dedup",
           {"image": f"{REGISTRY}/streaming/payment-dedup:2.0.0", "flinkVersion": "v1_18",
            "flinkConfiguration": {"state.backend.type": "rocksdb", "execution.checkpointing.interval": "60s",
                                   "state.savepoints.dir": "s3://acme-flink-state/savepoints/payment-dedup",
                                   "state.checkpoints.dir": "s3://acme-flink-state/checkpoints/payment-dedup"},
            "serviceAccount": "flink", "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
            "job": {"jarURI": "local:///opt/flink/usrlib/payment-dedup.jar", "parallelism": 4,
                    "upgradeMode": "savepoint", "state": "running", "allowNonRestoredState": True}},
           {"jobStatus": {"jobName": "payment-dedup", "jobId": "a3f07c1e9d2b4e5f8a6c0b1d2e3f4a5b", "state": "RUNNING",
                          "startTime": str(int((chg + timedelta(minutes=2)).timestamp() * 1000)),
                          "savepointInfo": {"lastSavepoint": {"location": sp, "triggerType": "UPGRADE"}}},
            "lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY",
            "reconciliationStatus": {"state": "DEPLOYED", "reconciliationTimestamp":
                                     int((chg + timedelta(minutes=1)).timestamp() * 1000)}},
           "argocd-controller", chg,
           {"f:spec": {"f:image": {}, "f:job": {"f:allowNonRestoredState": {}}}}, generation=19)
    jm_at = chg + timedelta(minutes=1)

    def jobmanager(pod: str, s: datetime, e: datetime) -> Lines:
        boot = s + timedelta(seconds=8)
        out = [(boot, flink(boot, "INFO", "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
                             f"Starting job a3f07c1e9d2b4e5f8a6c0b1d2e3f4a5b from savepoint {sp} (allowing non "
                             "restored state)")),
               (boot + timedelta(seconds=2), flink(boot + timedelta(seconds=2), "INFO",
                                                    "org.apache.flink.runtime.checkpoint.Checkpoints",
                "Skipping savepoint state for operator 6cdc5bb954874d922eaee11a8e7ca5e2.")),
               (boot + timedelta(seconds=3), flink(boot + timedelta(seconds=3), "INFO",
                "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
                "Restoring job a3f07c1e9d2b4e5f8a6c0b1d2e3f4a5b from Savepoint 41 @ 0 for "
                f"a3f07c1e9d2b4e5f8a6c0b1d2e3f4a5b located at {sp}.")),
               (boot + timedelta(seconds=5), flink(boot + timedelta(seconds=5), "INFO",
                "org.apache.flink.runtime.executiongraph.ExecutionGraph",
                "Job payment-dedup (a3f07c1e9d2b4e5f8a6c0b1d2e3f4a5b) switched from state CREATED to RUNNING."))]
        out += every(boot + timedelta(minutes=1), e, 60, lambda i, t: flink(
            t, "INFO", "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
            f"Completed checkpoint {i + 1} for job a3f07c1e9d2b4e5f8a6c0b1d2e3f4a5b ({1830000 + 91000 * i} bytes, "
            f"checkpointDuration={410 + i % 7 * 13} ms, finalizationTime=4 ms)."))
        return out

    rolled(inc, "streaming", "payment-dedup", c("flink-main-container", f"{REGISTRY}/streaming/payment-dedup:1.9.2"),
           c("flink-main-container", f"{REGISTRY}/streaming/payment-dedup:2.0.0", port=8081), jm_at, jobmanager,
           replicas=1, cause="flink-kubernetes-operator")

    def writer(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg + timedelta(minutes=3):
                return zapjson(t, "info", "ledger/writer.go:142", "batch committed", entries=40 + i % 9,
                               partition=i % 8) if i % 5 == 0 else None
            evt = f"pay_{(0x5f1a20 + i * 7919) % 0xffffff:06x}{i % 97:02d}"
            return zapjson(t, "error", "ledger/writer.go:171", "insert ledger entry",
                           event_id=evt, error='ERROR: duplicate key value violates unique constraint '
                           '"ledger_entries_event_id_key" (SQLSTATE 23505)', partition=i % 8)
        return every(s, e, 3, line)

    workload(inc, "ledger", "ledger-writer", writer, replicas=2, version="3.4.1")
    herring(inc, "flink-operator", "flink-kubernetes-operator", "ghcr.io/apache/flink-kubernetes-operator",
            "1.9.0", "1.10.0", AT2 - timedelta(hours=2, minutes=40))
    series(inc, "ledger_writer_inserts_total", "counter", "Ledger inserts by result.",
           {"namespace": "ledger", "job": "ledger-writer", "result": "duplicate"},
           counter(AT2 - timedelta(hours=2), 0.0, 21.0, chg + timedelta(minutes=3)))
    series(inc, "ledger_writer_inserts_total", "counter", "Ledger inserts by result.",
           {"namespace": "ledger", "job": "ledger-writer", "result": "ok"},
           counter(AT2 - timedelta(hours=2), 14.0, 13.0, chg + timedelta(minutes=3)))
    series(inc, "flink_jobmanager_job_lastCheckpointSize", "gauge", "lastCheckpointSize",
           {"namespace": "streaming", "job_name": "payment-dedup"},
           lambda t: 412000000.0 if t < chg else 1830000.0 + 91000 * (t - chg).total_seconds() / 60)
    inc.pagerduty("[ledger] ledger-writer: 23505 unique violations on ledger_entries above threshold",
                  "Ledger platform")
    inc.answer_key(
        culprit=("FlinkDeployment", "streaming", "payment-dedup"),
        keywords=["allowNonRestoredState", "savepoint", "uid"],
        root_cause="The FlinkDeployment streaming/payment-dedup was upgraded to 2.0.0 with allowNonRestoredState: "
                   "true (Argo CD, managedFields): the dedup operator's uid changed, so the savepoint state for the "
                   "old operator was skipped ('Skipping savepoint state for operator'), the job started with an "
                   "empty seen-ids store and re-emitted already booked payment events; ledger-writer's inserts fail "
                   "with unique violations (23505). The checkpoint size dropped from 412 MB to 2 MB at the upgrade.",
        category="dedup-state-skipped-on-upgrade",
        red_herrings=[("Deployment", "flink-operator", "flink-kubernetes-operator")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 3, 8, 40, tzinfo=UTC)


def feature_backfill_question() -> Incident:
    """Kueue ClusterQueue nominal quota cut below one nightly Job's request: the Job stays suspended.

    after: batch admission with Kueue, as its docs and user issues describe it: a Job labelled with a
    LocalQueue is created suspended and only starts once its Workload is admitted against the ClusterQueue's
    nominal quota. In a cost review someone edited the cluster-scoped ClusterQueue `batch-cluster-queue`
    from 96 to 24 CPUs; the nightly feature backfill asks for 40, can never fit, and sits suspended with no
    pod, no failure and no alert. A data scientist asks in chat why it has not run.
    """
    inc = start(feature_backfill_question, "feature-backfill has not run", AT3, 4403, ("features", "kueue-system"))
    chg = AT3 - timedelta(hours=17, minutes=5)
    sched = AT3.replace(hour=1, minute=0)
    plant(inc, "features", "feature-store-redis", "password", "features-redis", "REDIS_PASSWORD")
    crd(inc, "ResourceFlavor", "kueue.x-k8s.io", "resourceflavors", "Cluster", "v1beta1")
    crd(inc, "LocalQueue", "kueue.x-k8s.io", "localqueues", "Namespaced", "v1beta1")
    crd(inc, "Workload", "kueue.x-k8s.io", "workloads", "Namespaced", "v1beta1")
    inc.add({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor", "metadata": {"name": "default-flavor"},
             "spec": {}})
    custom(inc, "ClusterQueue", "kueue.x-k8s.io/v1beta1", "clusterqueues", "", "batch-cluster-queue",
           {"namespaceSelector": {}, "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [{"coveredResources": ["cpu", "memory"], "flavors": [{
                "name": "default-flavor", "resources": [{"name": "cpu", "nominalQuota": "24"},
                                                        {"name": "memory", "nominalQuota": "96Gi"}]}]}]},
           {"admittedWorkloads": 1, "pendingWorkloads": 1, "reservingWorkloads": 1,
            "flavorsReservation": [{"name": "default-flavor", "resources": [
                {"name": "cpu", "total": "6", "borrowed": "0"}, {"name": "memory", "total": "24Gi", "borrowed": "0"}]}],
            "conditions": [{"type": "Active", "status": "True", "reason": "Ready", "message": "Can admit new workloads",
                            "lastTransitionTime": ts(inc.born + timedelta(days=4))}]},
           "kubectl-edit", chg,
           {"f:spec": {"f:resourceGroups": {}}}, scope="Cluster", generation=5, first="kubectl-client-side-apply")
    inc.add({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
             "metadata": {"name": "batch", "namespace": "features"},
             "spec": {"clusterQueue": "batch-cluster-queue"},
             "status": {"admittedWorkloads": 0, "pendingWorkloads": 1, "reservingWorkloads": 0}})
    name = f"feature-backfill-{cron_suffix(sched)}"
    ctr = c("backfill", f"{REGISTRY}/features/feature-backfill:1.14.0", cpu_request="10", memory_request="24Gi",
            memory_limit="24Gi", port=None)
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "feature-backfill",
                                                                        "namespace": "features", "generation": 3},
             "spec": {"schedule": "0 1 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                      "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                      "jobTemplate": {"metadata": {"labels": {"kueue.x-k8s.io/queue-name": "batch"}},
                                      "spec": {"parallelism": 4, "completions": 4, "backoffLimit": 2,
                                               "template": {"spec": {"containers": [ctr.spec()],
                                                                     "restartPolicy": "Never"}}}}},
             "status": {"active": [{"kind": "Job", "namespace": "features", "name": name, "apiVersion": "batch/v1"}],
                        "lastScheduleTime": ts(sched),
                        "lastSuccessfulTime": ts(sched - timedelta(days=1, minutes=-52))}})
    job(inc, "features", name, ctr, sched, completions=4, parallelism=4, owner="feature-backfill",
        labels={"kueue.x-k8s.io/queue-name": "batch"},
        spec={"suspend": True},
        status={"ready": 0, "active": 0, "conditions": [{
            "type": "Suspended", "status": "True", "reason": "JobSuspended", "message": "Job suspended",
            "lastProbeTime": ts(sched), "lastTransitionTime": ts(sched)}]})
    wl = f"job-{name}-{o.suffix(name, 5)}"
    reason = ("couldn't assign flavors to pod set main: insufficient quota for cpu in flavor default-flavor, "
              "request > maximum capacity (40 > 24)")
    inc.add({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
             "metadata": {"name": wl, "namespace": "features", "creationTimestamp": ts(sched),
                          "labels": {"kueue.x-k8s.io/job-uid": o.uid("job", "features", name)},
                          "ownerReferences": [o.owner_ref("Job", name, "features", "batch/v1")]},
             "spec": {"queueName": "batch", "active": True, "podSets": [{"name": "main", "count": 4}]},
             "status": {"conditions": [{"type": "QuotaReserved", "status": "False", "reason": "Pending",
                                        "message": reason, "lastTransitionTime": ts(sched)}]}})
    inc.event(inc.find("Workload", "features", wl), "Pending", reason, sched, inc.captured - timedelta(minutes=2),
              count=60, component="kueue-admission")
    inc.event(inc.find("Job", "features", name), "Suspended", "Job suspended", sched, warning=False,
              component="job-controller")
    inc.event(inc.find("CronJob", "features", "feature-backfill"), "SuccessfulCreate", f"Created job {name}", sched,
              warning=False, component="cronjob-controller")

    def kueue(pod: str, s: datetime, e: datetime) -> Lines:
        import json

        def line(i: int, t: datetime) -> str:
            return json.dumps({"level": "Level(-2)", "ts": L.js(t, "", "")[7:31], "logger": "scheduler",
                               "caller": "scheduler/scheduler.go:634", "msg": "Workload evaluated for admission",
                               "workload": {"name": wl, "namespace": "features"},
                               "clusterQueue": {"name": "batch-cluster-queue"}, "status": "pending",
                               "reason": reason}, separators=(",", ":"))
        return every(s, e, 60, line)

    workload(inc, "kueue-system", "kueue-controller-manager", kueue, replicas=1, version="0.9.1")
    herring(inc, "features", "feature-store-api", f"{REGISTRY}/features/feature-store-api", "5.2.0", "5.3.0",
            AT3 - timedelta(hours=3))
    series(inc, "kueue_pending_workloads", "gauge", "Number of pending workloads, per cluster_queue and status.",
           {"cluster_queue": "batch-cluster-queue", "status": "inadmissible", "namespace": "kueue-system"},
           step(0.0, 1.0, sched))
    series(inc, "kueue_cluster_queue_nominal_quota", "gauge", "Reports the cluster_queue's resource nominal quota.",
           {"cluster_queue": "batch-cluster-queue", "flavor": "default-flavor", "resource": "cpu",
            "namespace": "kueue-system"}, step(96.0, 24.0, chg))
    inc.ask("feature-backfill didn't produce anything last night and nothing failed that I can see - is it "
            "stuck?")
    inc.answer_key(
        culprit=("ClusterQueue", "", "batch-cluster-queue"),
        keywords=["nominalQuota", "Kueue", "suspended"],
        root_cause="The cluster-scoped Kueue ClusterQueue batch-cluster-queue was edited yesterday (kubectl edit, "
                   "managedFields) from a cpu nominalQuota of 96 to 24; the nightly feature-backfill Job asks for 40 "
                   "CPUs (4 pods x 10), so its Workload can never be admitted ('insufficient quota for cpu in flavor "
                   "default-flavor, request > maximum capacity') and the Job stays suspended with no pods.",
        category="admission-quota-below-request",
        red_herrings=[("Deployment", "features", "feature-store-api")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 3, 55, tzinfo=UTC)


def embeddings_backfill_failed() -> Incident:
    """An Indexed Job's podFailurePolicy fails the whole Job on exit code 1, which a throttled S3 write returns.

    after: Kubernetes Job failure policies as the docs and on-call reports show them: `podFailurePolicy`
    with `action: FailJob` on exit code 1 was meant to stop a backfill fast on a configuration error, but
    the Python worker also exits 1 when boto3 gives up on S3 `SlowDown`; one index out of 64 hit throttling
    and the whole Job was marked Failed (reason PodFailurePolicy), its other pods terminated. The page is
    kube-state-metrics' KubeJobFailed on the Job itself (simple).
    """
    inc = start(embeddings_backfill_failed, "embeddings-backfill job failed", AT4, 4404, ("ml",))
    began = AT4 - timedelta(hours=1, minutes=40)
    failed_at = AT4 - timedelta(minutes=6)
    plant(inc, "ml", "embeddings-s3", "aws", "ml-embeddings", "AWS_ACCESS_KEY_ID")
    ctr = c("embed", f"{REGISTRY}/ml/embed-worker:0.8.3", cpu_request="2", memory_request="6Gi",
            memory_limit="6Gi", port=None)
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"containerName": "embed", "operator": "In",
                                                              "values": [1]}},
                        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    message = ("Container embed for pod ml/embeddings-backfill-41-x7k2p failed with exit code 1 matching FailJob "
               "rule at index 0")
    job(inc, "ml", "embeddings-backfill", ctr, began, completions=64, parallelism=8, manager="kubectl-create",
        spec={"completionMode": "Indexed", "backoffLimit": 6, "podFailurePolicy": policy},
        status={"startTime": ts(began), "failed": 6, "succeeded": 41, "ready": 0, "active": 0,
                "completedIndexes": "0-40", "terminating": 0,
                "conditions": [{"type": "FailureTarget", "status": "True", "reason": "PodFailurePolicy",
                                "message": message, "lastProbeTime": ts(failed_at),
                                "lastTransitionTime": ts(failed_at)},
                               {"type": "Failed", "status": "True", "reason": "PodFailurePolicy", "message": message,
                                "lastProbeTime": ts(failed_at + timedelta(seconds=31)),
                                "lastTransitionTime": ts(failed_at + timedelta(seconds=31))}]})

    def worker(index: int, throttled: bool) -> Callable[[str, datetime, datetime], Lines]:
        def log(pod: str, s: datetime, e: datetime) -> Lines:
            out = [(s, L.pylog(s, "INFO", "embed.worker", f"index {index}: embedding shard "
                                                         f"s3://acme-ml-corpus/docs/part-{index:05d}.parquet"))]
            out += every(s + timedelta(seconds=20), e - timedelta(seconds=25), 45, lambda i, t: L.pylog(
                t, "INFO", "embed.worker", f"index {index}: {2048 * (i + 1)} documents embedded"))
            if throttled:
                t = e - timedelta(seconds=3)
                out.append((t, L.pylog(t, "ERROR", "embed.writer", "upload failed, giving up") + "\n"
                            "Traceback (most recent call last):\n"
                            '  File "/app/embed/writer.py", line 58, in flush\n'
                            "    self.s3.put_object(Bucket=self.bucket, Key=key, Body=buf.getvalue())\n"
                            '  File "/usr/local/lib/python3.11/site-packages/botocore/client.py", line 1023, in '
                            "_make_api_call\n"
                            "    raise error_class(parsed_response, operation_name)\n"
                            "botocore.exceptions.ClientError: An error occurred (SlowDown) when calling the "
                            "PutObject operation (reached max retries: 4): Please reduce your request rate."))
            return out
        return log

    for index in range(38, 47):  # 38-40 finished; 41 hits the rule; 42-46 were running and are terminated
        run_start = began + timedelta(minutes=5 * (index - 38) + 52)
        done = index <= 40
        throttled = index == 41
        pod = "embeddings-backfill-41-x7k2p" if throttled else f"embeddings-backfill-{index}-{o.suffix(str(index), 5)}"
        end = (run_start + timedelta(minutes=11) if done else failed_at if throttled
               else failed_at + timedelta(seconds=31))
        job_pod(inc, "ml", "embeddings-backfill", ctr, pod, run_start, log=worker(index, throttled), end=end,
                exit_code=0 if done else 1 if throttled else 143, reason="Completed" if done else "Error",
                index=index)
    inc.event(inc.find("Job", "ml", "embeddings-backfill"), "PodFailurePolicy", message, failed_at,
              component="job-controller")
    herring(inc, "ml", "model-registry", f"{REGISTRY}/ml/model-registry", "2.11.0", "2.12.0",
            AT4 - timedelta(hours=2, minutes=10))
    series(inc, "kube_job_status_failed", "gauge", "The number of pods which reached Phase Failed.",
           {"namespace": "ml", "job_name": "embeddings-backfill", "job": "kube-state-metrics"},
           step(0.0, 6.0, failed_at))
    series(inc, "kube_job_status_succeeded", "gauge", "The number of pods which reached Phase Succeeded.",
           {"namespace": "ml", "job_name": "embeddings-backfill", "job": "kube-state-metrics"},
           lambda t: None if t < began else float(min(41, max(0, int((t - began).total_seconds() // 140)))))
    series(inc, "kube_job_failed", "gauge", "The job has failed its execution.",
           {"namespace": "ml", "job_name": "embeddings-backfill", "condition": "true", "job": "kube-state-metrics"},
           step(0.0, 1.0, failed_at))
    send(inc, [alert(inc, "KubeJobFailed", {"namespace": "ml", "job_name": "embeddings-backfill",
                                            "job": "kube-state-metrics", "condition": "true"},
                     "Job failed to complete.",
                     "Job ml/embeddings-backfill failed to complete. Removing failed job after investigation should "
                     "clear this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Job", "ml", "embeddings-backfill"),
        keywords=["podFailurePolicy", "FailJob", "SlowDown"],
        root_cause="The Indexed Job ml/embeddings-backfill has a podFailurePolicy rule with action FailJob on exit "
                   "code 1 (meant for configuration errors): index 41's worker exited 1 after boto3 gave up on an "
                   "S3 SlowDown (throttled PutObject), which matched the rule, so the whole Job failed (reason "
                   "PodFailurePolicy) and its other pods were terminated with 23 indexes left.",
        category="transient-exit-matched-failjob-rule",
        red_herrings=[("Deployment", "ml", "model-registry")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 5, 2, 7, tzinfo=UTC)


def dbt_nightly_build_failed() -> Incident:
    """An extract CronJob's activeDeadlineSeconds cut below its run time: the load dies, dbt finds stale data.

    after: ELT pipelines on Kubernetes CronJobs, as data teams' incident write-ups tell it: a platform clean-up
    set `activeDeadlineSeconds: 2700` on the orders extract (a guard against hung runs) without checking how
    long it runs; the extract takes over an hour, so tonight's Job was killed with DeadlineExceeded and raw
    orders were never loaded. At 02:00 the dbt build runs `dbt source freshness` first, raw.orders is past its
    error_after, dbt exits 1 and the dbt Job fails. The page is KubeJobFailed on the dbt Job.
    """
    inc = start(dbt_nightly_build_failed, "dbt nightly build job failed", AT5, 4405, ("warehouse",))
    chg = AT5 - timedelta(hours=9, minutes=47)
    plant(inc, "warehouse", "snowflake-loader", "password", "warehouse-snowflake", "SNOWFLAKE_PASSWORD")
    ex_ctr = c("extract", f"{REGISTRY}/warehouse/orders-extract:3.2.0", cpu_request="1", memory_request="2Gi",
               memory_limit="2Gi", port=None)
    tonight = AT5.replace(hour=0, minute=30)
    last = tonight - timedelta(days=1)
    cj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "orders-extract", "namespace": "warehouse", "generation": 6,
                               "annotations": {"meta.helm.sh/release-name": "warehouse-jobs"}},
                  "spec": {"schedule": "30 0 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                           "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                           "jobTemplate": {"spec": {"backoffLimit": 0, "activeDeadlineSeconds": 2700,
                                                    "template": {"spec": {"containers": [ex_ctr.spec()],
                                                                          "restartPolicy": "Never"}}}}},
                  "status": {"lastScheduleTime": ts(tonight), "lastSuccessfulTime": ts(last + timedelta(minutes=71))}})
    changed(cj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("kubectl-patch", "Update", chg,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:activeDeadlineSeconds": {}}}}}))
    inc.event(cj, "SuccessfulCreate", f"Created job orders-extract-{cron_suffix(tonight)}", tonight, warning=False,
              component="cronjob-controller")
    inc.event(cj, "SawCompletedJob", f"Saw completed job: orders-extract-{cron_suffix(tonight)}, status: Failed",
              tonight + timedelta(seconds=2701), warning=False, component="cronjob-controller")

    def extract(total_s: float) -> Callable[[str, datetime, datetime], Lines]:
        def log(pod: str, s: datetime, e: datetime) -> Lines:
            out = [(s, L.pylog(s, "INFO", "orders_extract", "extracting public.orders updated since "
                                                            f"{(s - timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%S')}"
                                                            " from orders-db-replica"))]
            out += every(s + timedelta(seconds=60), e, 300, lambda i, t: L.pylog(
                t, "INFO", "orders_extract", f"copied {(i + 1) * 1_310_000:,} rows to "
                                             "@raw.orders_stage (batch {0})".format(i + 1)))
            if total_s:
                out.append((e - timedelta(seconds=2), L.pylog(e - timedelta(seconds=2), "INFO", "orders_extract",
                            f"COPY INTO raw.orders done: 18,402,117 rows in {total_s:.0f}s")))
            return out
        return log

    prev = f"orders-extract-{cron_suffix(last)}"
    job(inc, "warehouse", prev, ex_ctr, last, owner="orders-extract",
        status={"startTime": ts(last), "completionTime": ts(last + timedelta(minutes=71)), "succeeded": 1,
                "ready": 0, "conditions": [{"type": "Complete", "status": "True",
                                            "lastProbeTime": ts(last + timedelta(minutes=71)),
                                            "lastTransitionTime": ts(last + timedelta(minutes=71))}]})
    job_pod(inc, "warehouse", prev, ex_ctr, f"{prev}-{o.suffix(prev, 5)}", last, log=extract(4251),
            end=last + timedelta(minutes=71))
    now = f"orders-extract-{cron_suffix(tonight)}"
    dead = tonight + timedelta(seconds=2700)
    job(inc, "warehouse", now, ex_ctr, tonight, owner="orders-extract",
        spec={"backoffLimit": 0, "activeDeadlineSeconds": 2700},
        status={"startTime": ts(tonight), "failed": 1, "ready": 0, "terminating": 0, "conditions": [
            {"type": "FailureTarget", "status": "True", "reason": "DeadlineExceeded",
             "message": "Job was active longer than specified deadline", "lastProbeTime": ts(dead),
             "lastTransitionTime": ts(dead)},
            {"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
             "message": "Job was active longer than specified deadline", "lastProbeTime": ts(dead),
             "lastTransitionTime": ts(dead)}]})
    pod = f"{now}-{o.suffix(now, 5)}"
    inc.event(inc.find("Job", "warehouse", now), "SuccessfulCreate", f"Created pod: {pod}", tonight, warning=False,
              component="job-controller")
    inc.event(inc.find("Job", "warehouse", now), "SuccessfulDelete", f"Deleted pod: {pod}", dead, warning=False,
              component="job-controller")
    inc.event(inc.find("Job", "warehouse", now), "DeadlineExceeded", "Job was active longer than specified deadline",
              dead, component="job-controller")

    dbt_ctr = c("dbt", f"{REGISTRY}/warehouse/dbt-project:2026.12.1", cpu_request="500m", memory_request="1Gi",
                memory_limit="1Gi", port=None)
    run = AT5.replace(hour=2, minute=0)
    name = f"dbt-nightly-{cron_suffix(run)}"
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": "dbt-nightly", "namespace": "warehouse", "generation": 2},
             "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                      "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                          "containers": [{**dbt_ctr.spec(), "command": ["/bin/sh", "-c"],
                                          "args": ["dbt source freshness --target prod && dbt build --target prod"]}],
                          "restartPolicy": "Never"}}}}},
             "status": {"lastScheduleTime": ts(run), "lastSuccessfulTime": ts(run - timedelta(days=1, minutes=-38))}})
    done = run + timedelta(seconds=29)
    job(inc, "warehouse", name, dbt_ctr, run, owner="dbt-nightly", spec={"backoffLimit": 0},
        status={"startTime": ts(run), "failed": 1, "ready": 0, "conditions": [
            {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit", "lastProbeTime": ts(done),
             "lastTransitionTime": ts(done)},
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit", "lastProbeTime": ts(done),
             "lastTransitionTime": ts(done)}]})

    def dbt(pod: str, s: datetime, e: datetime) -> Lines:
        def d(t: datetime, msg: str) -> tuple[datetime, str]:
            return t, f"{t.strftime('%H:%M:%S')}  {msg}"
        t = s + timedelta(seconds=3)
        return [d(t, "Running with dbt=1.8.7"), d(t + timedelta(seconds=1), "Registered adapter: snowflake=1.8.4"),
                d(t + timedelta(seconds=4), "Found 214 models, 612 data tests, 38 sources, 981 macros"),
                d(t + timedelta(seconds=6), "Concurrency: 8 threads (target='prod')"),
                d(t + timedelta(seconds=7), "1 of 3 START freshness of raw.customers " + "." * 40 + " [RUN]"),
                d(t + timedelta(seconds=7), "2 of 3 START freshness of raw.orders " + "." * 43 + " [RUN]"),
                d(t + timedelta(seconds=7), "3 of 3 START freshness of raw.payments " + "." * 41 + " [RUN]"),
                d(t + timedelta(seconds=9), "1 of 3 PASS freshness of raw.customers " + "." * 41 + " [PASS in 1.62s]"),
                d(t + timedelta(seconds=9), "3 of 3 PASS freshness of raw.payments " + "." * 42 + " [PASS in 1.71s]"),
                d(t + timedelta(seconds=10), "2 of 3 ERROR STALE freshness of raw.orders " + "." * 37 +
                  " [ERROR STALE in 1.94s]"),
                d(t + timedelta(seconds=11), "Finished running 3 sources in 0 hours 0 minutes and 6.12 seconds "
                                             "(6.12s)."),
                d(t + timedelta(seconds=11), "Done.")]

    job_pod(inc, "warehouse", name, dbt_ctr, f"{name}-{o.suffix(name, 5)}", run, log=dbt, end=done, exit_code=1,
            reason="Error")
    herring(inc, "warehouse", "metabase", "metabase/metabase", "v0.50.31", "v0.51.4", AT5 - timedelta(minutes=50))
    for jn, began, end, ok in ((prev, last, last + timedelta(minutes=71), True), (now, tonight, dead, False),
                               (name, run, done, False)):
        series(inc, "kube_job_status_start_time", "gauge", "StartTime represents time when the job was acknowledged "
               "by the Job Manager.", {"namespace": "warehouse", "job_name": jn, "job": "kube-state-metrics"},
               since(began, const(began.timestamp())))
        series(inc, "kube_job_failed", "gauge", "The job has failed its execution.",
               {"namespace": "warehouse", "job_name": jn, "condition": "true", "job": "kube-state-metrics"},
               since(began, const(0.0) if ok else step(0.0, 1.0, end)))
    send(inc, [alert(inc, "KubeJobFailed", {"namespace": "warehouse", "job_name": name, "job": "kube-state-metrics",
                                            "condition": "true"}, "Job failed to complete.",
                     f"Job warehouse/{name} failed to complete. Removing failed job after investigation should "
                     "clear this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("CronJob", "warehouse", "orders-extract"),
        keywords=["activeDeadlineSeconds", "DeadlineExceeded", "freshness"],
        root_cause="The CronJob warehouse/orders-extract was patched the evening before (kubectl patch, "
                   "managedFields) to activeDeadlineSeconds 2700, but the extract runs about 71 minutes (the "
                   "previous night's Job); tonight's Job was killed with DeadlineExceeded at 01:15, raw.orders was "
                   "never loaded, and the 02:00 dbt-nightly Job failed its source freshness check "
                   "(ERROR STALE freshness of raw.orders) and exited 1.",
        category="extract-killed-by-job-deadline",
        red_herrings=[("Deployment", "warehouse", "metabase")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 4, 10, 45, tzinfo=UTC)


def lake_orders_partitions_late() -> Incident:
    """A Kafka Connect S3 sink's flush.size raised 500-fold with its time-based rotation removed: files stop.

    after: the Confluent S3 sink as its docs and user threads explain it: records are buffered per partition
    and a file is written (and the consumer offset committed) only when `flush.size` records arrive or a
    rotation interval passes. A change meant to cut small files set `flush.size` from 1000 to 500000 and
    dropped `rotate.schedule.interval.ms`; at this topic's rate (about 8 records a second per partition) a
    file now takes some 17 hours, so no orders file has landed since the change, and the consumer group's lag
    climbs steadily though the connector reports RUNNING. The page is the lake freshness rule on the orders table.
    """
    inc = start(lake_orders_partitions_late, "lake orders table partitions late", AT6, 4406, ("lake",))
    chg = AT6 - timedelta(hours=16, minutes=15)
    plant(inc, "lake", "connect-s3-credentials", "aws-secret", "lake-connect", "aws_secret_access_key")
    common = {"connector.class": "io.confluent.connect.s3.S3SinkConnector", "s3.region": "eu-west-1",
              "storage.class": "io.confluent.connect.s3.storage.S3Storage",
              "format.class": "io.confluent.connect.s3.format.parquet.ParquetFormat",
              "partitioner.class": "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
              "path.format": "'dt'=YYYY-MM-dd/'hr'=HH", "partition.duration.ms": "3600000", "locale": "en-GB",
              "timezone": "UTC", "timestamp.extractor": "Record"}
    custom(inc, "KafkaConnector", "kafka.strimzi.io/v1beta2", "kafkaconnectors", "lake", "orders-s3-sink",
           {"class": "io.confluent.connect.s3.S3SinkConnector", "tasksMax": 4, "state": "running",
            "config": {**common, "topics": "orders", "s3.bucket.name": "acme-lake-raw", "flush.size": "500000"}},
           {"connectorStatus": {"name": "orders-s3-sink", "connector": {"state": "RUNNING", "worker_id":
                                "lake-connect-connect-0.lake-connect-connect.lake.svc:8083"},
                                "tasks": [{"id": i, "state": "RUNNING", "worker_id":
                                           f"lake-connect-connect-{i % 2}.lake-connect-connect.lake.svc:8083"}
                                          for i in range(4)], "type": "sink"},
            "tasksMax": 4, "topics": ["orders"], "observedGeneration": 9,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(chg + timedelta(seconds=40))}]},
           "argocd-controller", chg,
           {"f:spec": {"f:config": {"f:flush.size": {}, "f:rotate.schedule.interval.ms": {}}}}, generation=9)
    custom(inc, "KafkaConnector", "kafka.strimzi.io/v1beta2", "kafkaconnectors", "lake", "payments-s3-sink",
           {"class": "io.confluent.connect.s3.S3SinkConnector", "tasksMax": 2, "state": "running",
            "config": {**common, "topics": "payments", "s3.bucket.name": "acme-lake-raw", "flush.size": "1000",
                       "rotate.schedule.interval.ms": "600000"}},
           {"connectorStatus": {"name": "payments-s3-sink", "connector": {"state": "RUNNING"}, "type": "sink"},
            "tasksMax": 2, "observedGeneration": 4},
           "argocd-controller", inc.born + timedelta(days=20), {"f:spec": {"f:config": {}}}, generation=4,
           with_crd=False)

    def connect(pod: str, s: datetime, e: datetime) -> Lines:
        def strimzi(t: datetime, ctx: str, msg: str, cls: str, thread: str) -> str:
            return f"{comma(t)} INFO {ctx}{msg} ({cls}) [{thread}]"

        def pay(i: int, t: datetime) -> str:
            p = i % 6
            return strimzi(t, "[payments-s3-sink|task-0] ", f"Files committed to S3. Target commit offset for "
                           f"payments-{p} is {4_410_230 + 1000 * i}", "io.confluent.connect.s3.TopicPartitionWriter",
                           "task-thread-payments-s3-sink-0")

        def orders(i: int, t: datetime) -> str:
            task = i % 4
            return strimzi(t, f"[orders-s3-sink|task-{task}] ", f"WorkerSinkTask{{id=orders-s3-sink-{task}}} "
                           "Committing offsets asynchronously using sequence number "
                           f"{2210 + i}: {{}}", "org.apache.kafka.connect.runtime.WorkerSinkTask",
                           f"task-thread-orders-s3-sink-{task}")
        return every(s, e, 41, pay) + every(s + timedelta(seconds=7), e, 60, orders)

    inc.statefulset("lake", "lake-connect-connect",
                    [c("lake-connect-connect", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", memory_limit="4Gi",
                       port=8083)], [P(log=within(connect)), P(log=within(connect))],
                    inc.born + timedelta(days=14))
    herring(inc, "lake", "trino-coordinator", "trinodb/trino", "453", "457", AT6 - timedelta(hours=1, minutes=50))

    def lag(p: int) -> Series:
        rate = 7.5 + 0.5 * p  # records per second per partition: 500000 of them take about 17 hours
        return lambda t: round(rate * (t - chg).total_seconds() if t > chg else 600.0 + 90 * (p % 3), 0)

    for p in range(4):
        series(inc, "kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
               {"consumergroup": "connect-orders-s3-sink", "topic": "orders", "partition": str(p),
                "job": "kafka-exporter", "namespace": "kafka"}, lag(p))
        series(inc, "kafka_consumergroup_lag", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
               {"consumergroup": "connect-payments-s3-sink", "topic": "payments", "partition": str(p),
                "job": "kafka-exporter", "namespace": "kafka"}, wobble(400.0 + p))
    latest = (chg - timedelta(minutes=15)).replace(minute=0, second=0)
    series(inc, "lake_table_latest_partition_timestamp_seconds", "gauge",
           "Start of the newest partition with data files, per lake table.",
           {"table": "raw.orders", "job": "lake-freshness-exporter", "namespace": "lake"}, lambda t: latest.timestamp())
    series(inc, "lake_table_latest_partition_timestamp_seconds", "gauge",
           "Start of the newest partition with data files, per lake table.",
           {"table": "raw.payments", "job": "lake-freshness-exporter", "namespace": "lake"},
           lambda t: t.replace(minute=0, second=0, microsecond=0).timestamp())
    send(inc, [alert(inc, "LakeTablePartitionLate", {"namespace": "lake", "table": "raw.orders",
                                                     "job": "lake-freshness-exporter"},
                     "raw.orders: newest partition is 17h old",
                     "No data files have landed for raw.orders since dt=2026-12-03/hr=18; downstream Trino "
                     "queries on today's orders return nothing.",
                     'time() - lake_table_latest_partition_timestamp_seconds{table="raw.orders"} > 3 * 3600',
                     severity="critical")], ["alertname", "table"])
    inc.answer_key(
        culprit=("KafkaConnector", "lake", "orders-s3-sink"),
        keywords=["flush.size", "rotate.schedule.interval.ms", "consumer lag"],
        root_cause="The Strimzi KafkaConnector lake/orders-s3-sink was changed the afternoon before (Argo CD, "
                   "managedFields) to flush.size 500000 with rotate.schedule.interval.ms removed: the S3 sink now "
                   "writes a file (and commits offsets) only after 500000 records per partition, hours at this "
                   "topic's rate, so no new raw.orders partitions land and the consumer lag of "
                   "connect-orders-s3-sink climbs steadily while the connector reports RUNNING.",
        category="sink-file-rotation-starved",
        red_herrings=[("Deployment", "lake", "trino-coordinator")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 6, 20, tzinfo=UTC)


def churn_pipeline_failing() -> Incident:
    """Argo Workflows' default artifact repository moved to a bucket in another region, signing region kept.

    after: Argo Workflows artifact storage as its docs and issue tracker show it: the `artifact-repositories`
    ConfigMap names the S3 bucket, endpoint and region every workflow's wait container uploads outputs to. A
    migration to a new bucket in eu-west-1 changed the bucket but kept `region: us-east-1`; every step that
    saves an output artifact now fails in the wait sidecar with S3's AuthorizationHeaderMalformed ("the region
    'us-east-1' is wrong; expecting 'eu-west-1'"), although the step's own code succeeded. The page is the
    exporter rule on failed workflows in the ML pipelines namespace.
    """
    inc = start(churn_pipeline_failing, "ML pipeline workflows failing", AT7, 4407, ("argo", "ml-pipelines"))
    chg = AT7 - timedelta(hours=10, minutes=35)
    plant(inc, "argo", "argo-artifacts-s3", "aws-secret", "argo-artifacts", "secretkey")
    repo = ("s3:\n  bucket: acme-ml-artifacts-euw1\n  endpoint: s3.amazonaws.com\n  region: us-east-1\n"
            "  insecure: false\n  keyFormat: \"{{workflow.name}}/{{pod.name}}\"\n"
            "  accessKeySecret:\n    name: argo-artifacts-s3\n    key: accesskey\n"
            "  secretKeySecret:\n    name: argo-artifacts-s3\n    key: secretkey\n")
    cm = inc.configmap("argo", "artifact-repositories", {"default-v1": repo},
                       annotations={"workflows.argoproj.io/default-artifact-repository": "default-v1"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:default-v1": {}}}))
    crd(inc, "Workflow", "argoproj.io", "workflows", "Namespaced", "v1alpha1")
    msg = ("failed to put file: The authorization header is malformed; the region 'us-east-1' is wrong; "
           "expecting 'eu-west-1'")
    cl = inc.cluster
    for k, (wf, began) in enumerate((("churn-training-x8q2m", AT7 - timedelta(minutes=22)),
                                     ("churn-training-r4t7n", AT7 - timedelta(hours=1, minutes=22)),
                                     ("ltv-scoring-m2p9c", AT7 - timedelta(minutes=51)))):
        step_name = "preprocess" if wf.startswith("churn") else "score"
        pod = f"{wf}-{step_name}-{3901293411 + 7 * k}"
        end = began + timedelta(minutes=6, seconds=12)
        inc.add({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                 "metadata": {"name": wf, "namespace": "ml-pipelines", "creationTimestamp": ts(began),
                              "labels": {"workflows.argoproj.io/phase": "Failed",
                                         "workflows.argoproj.io/completed": "true",
                                         "workflows.argoproj.io/cron-workflow": wf.rsplit("-", 1)[0]}},
                 "spec": {"workflowTemplateRef": {"name": wf.rsplit("-", 1)[0]}, "serviceAccountName": "pipeline"},
                 "status": {"phase": "Failed", "startedAt": ts(began), "finishedAt": ts(end), "message": msg,
                            "progress": "0/3", "nodes": {pod: {"id": pod, "name": f"{wf}.{step_name}",
                                                               "type": "Pod", "phase": "Failed",
                                                               "message": msg, "startedAt": ts(began),
                                                               "finishedAt": ts(end)}}}})
        main = c("main", f"{REGISTRY}/ml/{wf.rsplit('-', 1)[0]}:1.6.0", port=None, cpu_request="2",
                 memory_request="8Gi", memory_limit="8Gi")
        wait = c("wait", "quay.io/argoproj/argoexec:v3.5.11", port=None)

        def main_log(p: str, s: datetime, e: datetime) -> Lines:
            return [(s + timedelta(seconds=3), L.pylog(s + timedelta(seconds=3), "INFO", "pipeline",
                                                       "loading customers snapshot")),
                    (e - timedelta(seconds=40), L.pylog(e - timedelta(seconds=40), "INFO", "pipeline",
                                                        "wrote /tmp/outputs/features.parquet (1.9 GB)"))]

        def wait_log(p: str, s: datetime, e: datetime, wf: str = wf) -> Lines:
            key = f"{wf}/{p}/features.tgz"

            def argo(t: datetime, level: str, msg: str, extra: str = "") -> tuple[datetime, str]:
                return t, f'time="{t.strftime("%Y-%m-%dT%H:%M:%S")}.{t.microsecond // 1000:03d}Z" level={level} ' \
                          f'msg="{msg}"{extra}'
            t = e - timedelta(seconds=30)
            return [argo(s + timedelta(seconds=1), "info", "Starting Workflow Executor", " version=v3.5.11"),
                    argo(t, "info", "Main container completed", " error=\"<nil>\""),
                    argo(t + timedelta(seconds=1), "info", "Saving output artifacts"),
                    argo(t + timedelta(seconds=4), "info", "S3 Save path: /tmp/argo/outputs/artifacts/features.tgz, "
                         f"key: {key}"),
                    argo(t + timedelta(seconds=4), "info", "Creating minio client using static credentials",
                         " endpoint=s3.amazonaws.com"),
                    argo(t + timedelta(seconds=4), "info", "Saving file to s3", " bucket=acme-ml-artifacts-euw1 "
                         f"endpoint=s3.amazonaws.com key={key} path=/tmp/argo/outputs/artifacts/features.tgz"),
                    argo(t + timedelta(seconds=5, milliseconds=212), "warning", "Non-transient error: The "
                         "authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"),
                    argo(t + timedelta(seconds=5, milliseconds=240), "error", f"executor error: {msg}"),
                    argo(t + timedelta(seconds=6), "info", "Alloc=10142 TotalAlloc=31873 Sys=36965 NumGC=6 "
                         "Goroutines=12")]

        h = PodHistory(name=pod, namespace="ml-pipelines", workload=wf, containers=[main, wait],
                       node=cl.pick_node(pod), created=began,
                       states=[o.ContainerState(started_at=began + timedelta(seconds=5), ready=False),
                               o.ContainerState(started_at=began + timedelta(seconds=5), ready=False)],
                       memory=steady(900), labels={"workflows.argoproj.io/workflow": wf,
                                                   "workflows.argoproj.io/completed": "true"},
                       owner={"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": wf,
                              "uid": o.uid("workflow", "ml-pipelines", wf), "controller": True})
        h.ready = lambda t: False
        h.logs["main"] = within(main_log)(pod, began, end)
        h.logs["wait"] = within(wait_log)(pod, began, end)
        cl.patch("ml-pipelines", pod, terminated(0, "Completed", began + timedelta(seconds=5), end, phase="Failed"))
        cl.patch("ml-pipelines", pod, lambda obj: obj["status"]["containerStatuses"][1]["state"]["terminated"].update(
            {"exitCode": 1, "reason": "Error"}))
        cl.add_pod(h)
        inc.event(inc.find("Workflow", "ml-pipelines", wf), "WorkflowFailed", msg, end,
                  component="workflow-controller")

    def controller(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 120, lambda i, t: L.logfmt(t, "info", "Processing workflow",
                                                      namespace="ml-pipelines", workflow="churn-training-x8q2m",
                                                      phase="Failed"))
    workload(inc, "argo", "workflow-controller", controller, replicas=1, version="v3.5.11")
    herring(inc, "argo", "argo-server", "quay.io/argoproj/argocli", "v3.5.10", "v3.5.11", AT7 - timedelta(hours=2))
    for status, base in (("Failed", 0.0), ("Succeeded", 14.0), ("Running", 1.0)):
        series(inc, "argo_workflows_count", "gauge", "Number of Workflows currently accessible by the controller "
               "by status (refreshed every 15s)", {"namespace": "argo", "status": status,
                                                   "job": "workflow-controller-metrics"},
               hourly(chg) if status == "Failed" else const(base))
    send(inc, [alert(inc, "ArgoWorkflowsFailing", {"namespace": "ml-pipelines", "job": "workflow-controller-metrics"},
                     "Argo workflows are failing in ml-pipelines",
                     "Every churn-training and ltv-scoring workflow since 20:00 has ended Failed.",
                     'increase(argo_workflows_count{status="Failed"}[2h]) > 2', severity="critical")],
         ["alertname", "namespace"])
    inc.answer_key(
        culprit=("ConfigMap", "argo", "artifact-repositories"),
        keywords=["us-east-1", "eu-west-1", "artifact"],
        root_cause="The ConfigMap argo/artifact-repositories was edited the evening before (kubectl edit, "
                   "managedFields) to a new bucket acme-ml-artifacts-euw1, which lives in eu-west-1, but kept "
                   "region us-east-1; every workflow step's wait container fails to save its output artifact "
                   "(S3: the region 'us-east-1' is wrong; expecting 'eu-west-1'), so the step and workflow fail "
                   "though the main container succeeded.",
        category="artifact-store-signing-region-mismatch",
        red_herrings=[("Deployment", "argo", "argo-server")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 23, 3, tzinfo=UTC)


def compaction_job_failed_page() -> Incident:
    """A namespace Role trimmed in an RBAC hardening pass: Spark drivers may no longer create executor objects.

    after: Spark on Kubernetes RBAC as Spark's docs and many user threads show it: the driver runs as a
    ServiceAccount that must create pods, services and configmaps for its executors. A least-privilege
    sweep rewrote the `spark-driver` Role in lakehouse to read-only verbs plus delete; the nightly Iceberg
    compaction's driver now dies at SparkContext start with a fabric8 KubernetesClientException (403,
    configmaps is forbidden), and the SparkApplication fails. The page, from PagerDuty, is on the compaction.
    """
    inc = start(compaction_job_failed_page, "nightly compaction failed", AT8, 4408, ("lakehouse", "spark-operator"))
    chg = AT8 - timedelta(hours=11, minutes=30)
    plant(inc, "lakehouse", "iceberg-catalog", "password", "lakehouse-catalog", "CATALOG_DB_PASSWORD")
    role = inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": "spark-driver", "namespace": "lakehouse",
                                 "labels": {"app.kubernetes.io/managed-by": "kubectl"},
                                 "annotations": {"security.acme.io/review": "SEC-2291 least privilege"}},
                    "rules": [{"apiGroups": [""], "resources": ["pods", "services", "configmaps",
                                                                "persistentvolumeclaims"],
                               "verbs": ["get", "list", "watch", "delete"]}]})
    changed(role, ("helm", "Update", inc.born + timedelta(days=5), {"f:rules": {}}),
            ("kubectl-client-side-apply", "Update", chg, {"f:metadata": {"f:annotations": {}}, "f:rules": {}}))
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "spark-driver", "namespace": "lakehouse"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "spark-driver"},
             "subjects": [{"kind": "ServiceAccount", "name": "spark", "namespace": "lakehouse"}]})
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "spark", "namespace": "lakehouse"}})
    run = AT8.replace(minute=0)
    end = run + timedelta(seconds=24)
    err = ("driver container failed with ExitCode: 1, Reason: Error")
    app = custom(inc, "SparkApplication", "sparkoperator.k8s.io/v1beta2", "sparkapplications", "lakehouse",
                 "iceberg-compaction",
                 {"type": "Scala", "mode": "cluster", "image": f"{REGISTRY}/lakehouse/iceberg-maintenance:1.3.0",
                  "mainClass": "com.acme.lake.CompactTables", "sparkVersion": "3.5.3",
                  "mainApplicationFile": "local:///opt/app/iceberg-maintenance.jar",
                  "driver": {"cores": 1, "memory": "2g", "serviceAccount": "spark"},
                  "executor": {"cores": 4, "memory": "8g", "instances": 6}, "restartPolicy": {"type": "Never"}},
                 {"applicationState": {"state": "FAILED", "errorMessage": err},
                  "driverInfo": {"podName": "iceberg-compaction-driver"}, "lastSubmissionAttemptTime": ts(run),
                  "terminationTime": ts(end), "submissionAttempts": 1, "executionAttempts": 1},
                 "spark-operator", run, {"f:status": {}}, generation=1, first="argo")
    inc.event(app, "SparkApplicationFailed", f"SparkApplication iceberg-compaction failed: {err}", end,
              component="spark-operator")
    inc.event(app, "SparkDriverFailed", "Driver iceberg-compaction-driver failed", end, component="spark-operator")

    def driver(pod: str, s: datetime, e: datetime) -> Lines:
        url = "https://kubernetes.default.svc/api/v1/namespaces/lakehouse/configmaps"
        forbidden = ('configmaps is forbidden: User "system:serviceaccount:lakehouse:spark" cannot create resource '
                     '"configmaps" in API group "" in the namespace "lakehouse"')
        t = s + timedelta(seconds=9)
        return [spark_at(s, 6, "INFO", "SparkContext", "Running Spark version 3.5.3"),
                spark_at(s, 7, "INFO", "SparkContext", "Submitted application: iceberg-compaction"),
                (t, spark(t, "ERROR", "SparkContext", "Error initializing SparkContext.") + "\n"
                 f"io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: POST at: {url}. "
                 "Message: Forbidden!Configured service account doesn't have access. Service account may have been "
                 f"revoked. {forbidden}.\n"
                 "\tat io.fabric8.kubernetes.client.dsl.internal.OperationSupport.requestFailure"
                 "(OperationSupport.java:671)\n"
                 "\tat io.fabric8.kubernetes.client.dsl.internal.BaseOperation.create(BaseOperation.java:1102)\n"
                 "\tat org.apache.spark.scheduler.cluster.k8s.KubernetesClusterSchedulerBackend.setUpExecutorConfigMap"
                 "(KubernetesClusterSchedulerBackend.scala:95)\n"
                 "\tat org.apache.spark.scheduler.cluster.k8s.KubernetesClusterSchedulerBackend.start"
                 "(KubernetesClusterSchedulerBackend.scala:122)\n"
                 "\tat org.apache.spark.SparkContext.<init>(SparkContext.scala:604)"),
                spark_at(t, 1, "INFO", "SparkContext", "Successfully stopped SparkContext"),
                spark_at(t, 1, "INFO", "ShutdownHookManager", "Shutdown hook called")]

    drv = c("spark-kubernetes-driver", f"{REGISTRY}/lakehouse/iceberg-maintenance:1.3.0", port=7078)
    job_pod(inc, "lakehouse", "iceberg-compaction", drv, "iceberg-compaction-driver", run, log=driver, end=end,
            exit_code=1, reason="Error",
            owner=o.owner_ref("SparkApplication", "iceberg-compaction", "lakehouse", "sparkoperator.k8s.io/v1beta2"),
            labels={"spark-role": "driver", "spark-app-name": "iceberg-compaction",
                    "sparkoperator.k8s.io/app-name": "iceberg-compaction"})

    def operator(pod: str, s: datetime, e: datetime) -> Lines:
        return [(run + timedelta(seconds=2), L.klog(run + timedelta(seconds=2), "I", "sparkapp/submission.go:71",
                 'Submitting SparkApplication "lakehouse/iceberg-compaction" via spark-submit')),
                (end + timedelta(seconds=3), L.klog(end + timedelta(seconds=3), "I", "sparkapp/event_handler.go:112",
                 'SparkApplication "lakehouse/iceberg-compaction" state changed from RUNNING to FAILED'))]
    workload(inc, "spark-operator", "spark-operator-controller", operator, replicas=1, version="2.0.2")
    herring(inc, "lakehouse", "iceberg-rest-catalog", f"{REGISTRY}/lakehouse/iceberg-rest-catalog", "1.6.0", "1.6.1",
            AT8 - timedelta(hours=3, minutes=10))
    series(inc, "spark_application_failure_count", "counter", "Total number of failed SparkApplication",
           {"namespace": "spark-operator", "app_namespace": "lakehouse", "job": "spark-operator"},
           lambda t: 0.0 if t < end else 1.0)
    inc.pagerduty("Nightly Iceberg compaction failed (lakehouse) - small files will pile up", "Lakehouse")
    inc.answer_key(
        culprit=("Role", "lakehouse", "spark-driver"),
        keywords=["forbidden", "configmaps", "RBAC"],
        root_cause="The Role lakehouse/spark-driver was rewritten that morning in an RBAC least-privilege pass "
                   "(kubectl apply, managedFields) to get/list/watch/delete only: the Spark driver's ServiceAccount "
                   "lakehouse:spark can no longer create the configmaps (and pods, services) for its executors, so "
                   "the driver fails at SparkContext start with a 403 (configmaps is forbidden) and the "
                   "iceberg-compaction SparkApplication fails.",
        category="driver-create-verbs-removed",
        red_herrings=[("Deployment", "lakehouse", "iceberg-rest-catalog")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 3, 2, 40, tzinfo=UTC)


def node_timeouts_question() -> Incident:
    """A parallel archive backfill pinned to one node exceeds the instance's network allowance: neighbours time out.

    after: AWS ENA bandwidth allowances as AWS's docs and many postmortems describe them: an instance has a
    baseline and burst network bandwidth, and past it the ENA driver queues and drops packets
    (`bw_out_allowance_exceeded` in ethtool); every pod on that node suffers, not only the one sending. An
    engineer started a six-way Indexed Job copying the media archive to S3 with rclone, pinned by a
    nodeSelector to the one node carrying the local-NVMe label; from then on the other services' pods on that
    node see connect and request timeouts. Someone asks in chat about the node only.
    """
    inc = start(node_timeouts_question, "timeouts on one node", AT9, 4409, ("media", "orders"))
    host = node(inc, 2)
    others = [n for n in inc.node_names() if n != host]
    began = AT9 - timedelta(minutes=45)
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] == host:
            n["metadata"]["labels"]["acme.io/local-nvme"] = "true"
    plant(inc, "media", "archive-rclone", "aws-secret", "media-archive", "RCLONE_CONFIG_S3_SECRET_ACCESS_KEY")
    ctr = c("rclone", "rclone/rclone:1.68.2", cpu_request="1", memory_request="1Gi", memory_limit="2Gi", port=None)
    job(inc, "media", "s3-archive-backfill", ctr, began, completions=6, parallelism=6, manager="kubectl-create",
        spec={"completionMode": "Indexed", "template": {"metadata": {"labels": {"job-name": "s3-archive-backfill"}},
                                                         "spec": {"containers": [{**ctr.spec(), "args": [
                                                             "copy", "nfs:/archive/shard-$(JOB_COMPLETION_INDEX)",
                                                             "s3:acme-media-archive/", "--transfers=32",
                                                             "--s3-upload-concurrency=8", "--stats=1m",
                                                             "--stats-one-line"]}],
                                                               "nodeSelector": {"acme.io/local-nvme": "true"},
                                                               "restartPolicy": "OnFailure"}}},
        status={"startTime": ts(began), "active": 6, "ready": 6, "succeeded": 0, "failed": 0})

    def rclone(pod: str, s: datetime, e: datetime) -> Lines:
        def stat(i: int, t: datetime) -> str:
            done = 0.19 * (i + 1)
            return (f"{t.strftime('%Y/%m/%d %H:%M:%S')} INFO  : {done:10.3f} GiB / 214.882 GiB, "
                    f"{int(100 * done / 214.882)}%, {186.2 + i % 7 * 3.1:.3f} MiB/s, ETA 19h{40 - i % 40}m")
        return every(s + timedelta(seconds=60), e, 60, stat)

    for i in range(6):
        job_pod(inc, "media", "s3-archive-backfill", ctr, f"s3-archive-backfill-{i}-{o.suffix(f'arch{i}', 5)}",
                began + timedelta(seconds=2 + i), log=rclone, node_name=host, index=i, restart="OnFailure")
    herring(inc, "media", "thumbnailer", f"{REGISTRY}/media/thumbnailer", "4.1.0", "4.2.0",
            began - timedelta(minutes=25))

    seen: list[str] = []

    def dotnet(pod: str, s: datetime, e: datetime) -> Lines:
        if pod not in seen:
            seen.append(pod)
        on_host = seen.index(pod) == 0  # the first replica is placed on `host` (nodes=[host, ...] below)

        def line(i: int, t: datetime) -> str | None:
            if t < began + timedelta(minutes=1) or i % 2:
                return ("info: Microsoft.AspNetCore.Hosting.Diagnostics[2]\n"
                        f"      Request finished HTTP/1.1 GET http://orders-api/api/orders/{40211 + i} - 200 - "
                        f"application/json;+charset=utf-8 {18.2 + i % 9:.4f}ms") if i % 6 == 0 else None
            return ("fail: Acme.Orders.Clients.InventoryClient[0]\n"
                    f"      Inventory lookup failed for SKU {4400 + i % 90}-{i % 17:02d}\n"
                    "      System.Threading.Tasks.TaskCanceledException: The request was canceled due to the "
                    "configured HttpClient.Timeout of 5 seconds elapsing.\n"
                    "       ---> System.TimeoutException: A task was canceled.\n"
                    "         at System.Net.Http.HttpClient.HandleFailure(Exception e, Boolean telemetryStarted, "
                    "HttpResponseMessage response, CancellationTokenSource cts, CancellationToken cancellationToken, "
                    "CancellationTokenSource pendingRequestsCts)")
        return every(s, e, 7 if on_host else 400, line)

    workload(inc, "orders", "orders-api", dotnet, replicas=3, nodes=[host, others[0], others[1]], version="7.3.2")

    def gozap(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < began + timedelta(minutes=1):
                return None
            return zapjson(t, "error", "cache/warm.go:88", "fetch product batch failed", attempt=1 + i % 3,
                           error=f'Get "http://catalog.shop.svc.cluster.local/v2/products?page={i % 40}": context '
                                 'deadline exceeded (Client.Timeout exceeded while awaiting headers)')
        return every(s, e, 11, line)

    workload(inc, "media", "media-cache", gozap, replicas=1, nodes=[host], version="1.9.0")
    for n in inc.node_names():
        hot = n == host
        inst = f"{inc.cluster.node_ip(n)}:9100"
        series(inc, "node_ethtool_bw_out_allowance_exceeded", "counter", "Network interface bw_out_allowance_exceeded",
               {"instance": inst, "device": "eth0", "job": "node-exporter", "node": n},
               counter(AT9 - timedelta(hours=2), 0.0, 1850.0 if hot else 0.0, began))
        series(inc, "node_network_transmit_bytes_total", "counter", "Network device statistic transmit_bytes.",
               {"instance": inst, "device": "eth0", "job": "node-exporter", "node": n},
               counter(AT9 - timedelta(hours=2), 6.1e6, 1.17e9 if hot else 6.4e6, began))
        series(inc, "node_netstat_Tcp_RetransSegs", "counter", "Statistic TcpRetransSegs.",
               {"instance": inst, "job": "node-exporter", "node": n},
               counter(AT9 - timedelta(hours=2), 0.4, 310.0 if hot else 0.5, began))
    inc.ask(f"lots of timeouts from pods running on {host} since about 02:00, other nodes look fine - what is "
            "wrong with that node?")
    inc.answer_key(
        culprit=("Job", "media", "s3-archive-backfill"),
        keywords=["bandwidth", "bw_out_allowance_exceeded", "rclone"],
        root_cause="The Indexed Job media/s3-archive-backfill, started at 01:55 with kubectl create, runs six rclone "
                   "copies to S3, all pinned by its nodeSelector (acme.io/local-nvme) to that node: together they "
                   "push about 1.1 GB/s out of eth0, past the instance's network bandwidth allowance, so the ENA "
                   "driver drops packets (bw_out_allowance_exceeded climbing, TCP retransmits up) and every other pod "
                   "on the node (orders-api, media-cache) sees request timeouts.",
        category="instance-network-allowance-exceeded",
        red_herrings=[("Deployment", "media", "thumbnailer")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 9, 25, tzinfo=UTC)


def quote_prices_stale_burn() -> Incident:
    """A Kafka Streams exactly-once aggregator's commit interval raised to 30 s: read_committed readers lag.

    after: Kafka Streams exactly-once semantics as its docs and user reports explain them: with
    `processing.guarantee=exactly_once_v2` output becomes visible to `read_committed` consumers only when the
    task's transaction commits, every `commit.interval.ms` (100 ms by default under EOS). A tuning change to
    cut broker transaction load set it to 30000 in the price aggregator's StatefulSet; prices now reach the
    quote service up to 30 s late, past its 5 s staleness guard, and quotes are refused. The page is an SLO
    burn on the quote service.
    """
    inc = start(quote_prices_stale_burn, "quote-api error budget burn", AT10, 4410, ("pricing",))
    chg = AT10 - timedelta(minutes=52)
    plant(inc, "pricing", "kafka-client", "password", "pricing-kafka", "sasl.jaas.password")

    def env(interval: str) -> list[dict[str, str]]:
        return [{"name": "STREAMS_PROCESSING_GUARANTEE", "value": "exactly_once_v2"},
                {"name": "STREAMS_COMMIT_INTERVAL_MS", "value": interval},
                {"name": "KAFKA_BOOTSTRAP", "value": "kafka-kafka-bootstrap.kafka:9093"}]
    img = f"{REGISTRY}/pricing/price-aggregator:5.8.1"

    def streams(pod: str, s: datetime, e: datetime) -> Lines:
        thread = f"price-aggregator-{o.suffix(pod, 8)}-StreamThread-1"

        def lb(t: datetime, level: str, logger: str, msg: str, on: str = thread) -> str:
            return f"{ms(t)} {level:<5} [{on}] {logger} - {msg}"
        boot = chg + timedelta(seconds=30)
        out = [(boot, lb(boot, "INFO", "o.a.k.streams.StreamsConfig", "StreamsConfig values: \n"
                         "\tapplication.id = price-aggregator\n\tbootstrap.servers = [kafka-kafka-bootstrap.kafka:9093]"
                         "\n\tcommit.interval.ms = 30000\n\tnum.stream.threads = 1\n"
                         "\tprocessing.guarantee = exactly_once_v2\n\tstate.dir = /var/lib/kafka-streams", on="main")),
               (boot + timedelta(seconds=20), lb(boot, "INFO", "o.a.k.s.p.internals.StreamThread",
                f"stream-thread [{thread}] State transition from PARTITIONS_ASSIGNED to RUNNING"))]
        out += every(boot + timedelta(minutes=2), e, 120, lambda i, t: lb(
            t, "INFO", "o.a.k.s.p.internals.StreamThread", f"stream-thread [{thread}] Processed {48211 + 97 * i} "
            "total records, ran 0 punctuators, and committed 16 total tasks since the last update"))
        return out

    sts = inc.statefulset("pricing", "price-aggregator", [c("price-aggregator", img, env=env("30000"),
                                                           memory_limit="2Gi")],
                          [P(log=within(streams), created=chg + timedelta(seconds=5 + 40 * i)) for i in range(2)],
                          chg)
    tpl = sts.obj["spec"]["template"]
    old_tpl = {**tpl, "spec": {**tpl["spec"], "containers": [{**tpl["spec"]["containers"][0], "env": env("100")}]}}
    revision(inc, "StatefulSet", "pricing", "price-aggregator", 3, inc.born + timedelta(days=15), old_tpl)
    new = revision(inc, "StatefulSet", "pricing", "price-aggregator", 4, chg, tpl)
    sts.obj["status"].update({"currentRevision": new, "updateRevision": new})
    sts.obj["metadata"]["generation"] = 4
    sts.obj["status"]["observedGeneration"] = 4
    for h in sts.pods:
        h.labels["controller-revision-hash"] = new
    changed(sts.obj, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))

    def quotes(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg + timedelta(minutes=2):
                return zapjson(t, "info", "quote/handler.go:77", "quote served", symbol="EURUSD",
                               price_age_ms=140 + i % 90) if i % 20 == 0 else None
            age = 5200 + (i * 1733) % 25000
            return zapjson(t, "warn", "quote/handler.go:64", "price older than max age, refusing quote",
                           symbol=["EURUSD", "GBPUSD", "USDJPY", "EURGBP"][i % 4], price_age_ms=age, max_age_ms=5000)
        return every(s, e, 4, line)

    workload(inc, "pricing", "quote-api", quotes, replicas=3, version="3.12.0")
    herring(inc, "pricing", "fx-rates-feed", f"{REGISTRY}/pricing/fx-rates-feed", "2.2.4", "2.3.0",
            AT10 - timedelta(hours=1, minutes=40))
    series(inc, "http_requests_total", "counter", "Total HTTP requests.",
           {"namespace": "pricing", "service": "quote-api", "code": "200", "job": "quote-api"},
           counter(AT10 - timedelta(hours=2), 140.0, 92.0, chg + timedelta(minutes=2)))
    series(inc, "http_requests_total", "counter", "Total HTTP requests.",
           {"namespace": "pricing", "service": "quote-api", "code": "503", "job": "quote-api"},
           counter(AT10 - timedelta(hours=2), 0.02, 48.0, chg + timedelta(minutes=2)))
    for task in ("0_0", "0_1"):
        series(inc, "kafka_streams_stream_thread_metrics_commit_rate", "gauge",
               "The average per-second number of commits",
               {"namespace": "pricing", "pod": f"price-aggregator-{task[-1]}", "job": "price-aggregator"},
               step(9.6, 0.033, chg + timedelta(seconds=50)))
    series(inc, "quote_price_age_seconds", "gauge", "Age of the newest price the quote service holds.",
           {"namespace": "pricing", "job": "quote-api", "symbol": "EURUSD"},
           lambda t: 0.14 if t < chg + timedelta(minutes=1) else 0.2 + (t.timestamp() % 30))
    inc.slo_burn("quote-api", "pricing", "quote-availability", "0.999", 28.4,
                 "quote-api is answering 503 to about a third of quote requests; the 1h and 5m burn rates are both "
                 "above 14.4x.")
    inc.answer_key(
        culprit=("StatefulSet", "pricing", "price-aggregator"),
        keywords=["commit.interval.ms", "exactly_once_v2", "read_committed"],
        root_cause="The StatefulSet pricing/price-aggregator rolled a new revision (ControllerRevision 4, helm) "
                   "raising STREAMS_COMMIT_INTERVAL_MS / commit.interval.ms from 100 to 30000 under "
                   "processing.guarantee exactly_once_v2: its output transactions now commit every 30 s, so the "
                   "read_committed quote-api sees prices up to 30 s old, past its 5 s staleness guard, and refuses "
                   "quotes with 503.",
        category="eos-transaction-commit-too-slow",
        red_herrings=[("Deployment", "pricing", "fx-rates-feed")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 3, 11, 20, tzinfo=UTC)


def clickstream_enricher_restarting_grouped() -> Incident:
    """A new NetworkPolicy admits Flink's RPC and UI ports but not the blob server: new TaskManagers cannot deploy.

    after: Flink on Kubernetes behind network policies, as Flink's docs and user threads show it: TaskManagers
    register with the JobManager over RPC (6123) but download the job's jars from the blob server (6124)
    before any task can run. A namespace hardening change the day before added an ingress policy for the
    JobManager allowing 6123 and 8081 only; nothing broke until a spot TaskManager was replaced this morning:
    the new pod registers, every task deployed to it fails with "Could not connect to BlobServer", and the job
    loops through restarts while its Kafka lag grows. The page is a grouped notification of three alerts.
    """
    inc = start(clickstream_enricher_restarting_grouped, "clickstream-enricher alerts", AT11, 4411,
                ("streaming-jobs",))
    chg = AT11 - timedelta(hours=19, minutes=10)
    replaced = AT11 - timedelta(minutes=39)
    plant(inc, "streaming-jobs", "clickstream-kafka", "password", "clickstream-kafka", "sasl-password")
    pol = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "jobmanager-ingress", "namespace": "streaming-jobs", "generation": 1,
                                "creationTimestamp": ts(chg),
                                "annotations": {"acme.io/ticket": "NETSEC-812"}},
                   "spec": {"podSelector": {"matchLabels": {"component": "jobmanager"}},
                            "policyTypes": ["Ingress"],
                            "ingress": [{"from": [{"podSelector": {}}],
                                         "ports": [{"protocol": "TCP", "port": 6123},
                                                   {"protocol": "TCP", "port": 8081}]}]}})
    changed(pol, ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:ingress": {}, "f:podSelector": {},
                                                                           "f:policyTypes": {}}}))
    crd(inc, "FlinkDeployment", "flink.apache.org", "flinkdeployments", "Namespaced", "v1beta1")
    inc.add({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
             "metadata": {"name": "clickstream-enricher", "namespace": "streaming-jobs", "generation": 6},
             "spec": {"image": f"{REGISTRY}/streaming/clickstream-enricher:3.1.0", "flinkVersion": "v1_18",
                      "flinkConfiguration": {"blob.server.port": "6124", "taskmanager.numberOfTaskSlots": "2",
                                             "restart-strategy.type": "exponential-delay"},
                      "job": {"jarURI": "local:///opt/flink/usrlib/enricher.jar", "parallelism": 4,
                              "upgradeMode": "last-state", "state": "running"}},
             "status": {"jobStatus": {"jobName": "clickstream-enricher", "state": "RESTARTING",
                                      "jobId": "5e0b7a21c4d94f6e8b3a9c2d1f0e7b64"},
                        "lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY"}})
    job_id = "5e0b7a21c4d94f6e8b3a9c2d1f0e7b64"
    cl = inc.cluster
    ips: dict[str, str] = {}

    def jobmanager(pod: str, s: datetime, e: datetime) -> Lines:
        graph = "org.apache.flink.runtime.executiongraph.ExecutionGraph"

        def cycle(i: int, t: datetime) -> Lines:
            later, back = t + timedelta(milliseconds=31), t + timedelta(seconds=9)
            return [(t, flink(t, "INFO", graph, f"Source: clicks (3/4) (b1e{i:05x}a0c2_{i:06d}) switched from "
                              f"DEPLOYING to FAILED on clickstream-enricher-taskmanager-1-7 @ {ips['tm']} "
                              "(dataPort=6121).")),
                    (later, flink(later, "INFO", graph,
                                  f"Job clickstream-enricher ({job_id}) switched from state RUNNING to RESTARTING.")),
                    (back, flink(back, "INFO", graph,
                                 f"Job clickstream-enricher ({job_id}) switched from state RESTARTING to RUNNING."))]
        checkpoints = every(s, replaced, 60, lambda i, t: flink(
            t, "INFO", "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
            f"Completed checkpoint {30211 + i} for job {job_id} ({88_120_331 + 4099 * i} bytes, "
            f"checkpointDuration={612 + i % 9 * 17} ms, finalizationTime=3 ms)."))
        return checkpoints + bursts(replaced + timedelta(minutes=1), e, 45, cycle)

    def taskmanager(fresh: bool) -> Callable[[str, datetime, datetime], Lines]:
        def log(pod: str, s: datetime, e: datetime) -> Lines:
            if not fresh:  # its blob cache already holds the job's jars: its own tasks deploy, then get cancelled
                task = "org.apache.flink.runtime.taskmanager.Task"

                def ok(i: int, t: datetime) -> Lines:
                    up, down = t + timedelta(seconds=2), t + timedelta(seconds=40)
                    return [(up, flink(up, "INFO", task, f"Source: clicks (1/4)#{12 + i} switched from INITIALIZING "
                                                         "to RUNNING.")),
                            (down, flink(down, "INFO", task, f"Source: clicks (1/4)#{12 + i} switched from RUNNING "
                                                             "to CANCELING."))]
                return bursts(replaced + timedelta(minutes=1), e, 45, ok)

            def line(i: int, t: datetime) -> str:
                return flink(t, "WARN", "org.apache.flink.runtime.taskmanager.Task",
                             f"Source: clicks (3/4)#{41 + i} (b1e{i:05x}a0c2_{i:06d}) switched from DEPLOYING to "
                             "FAILED with failure cause:") + "\n" + (
                    "java.io.IOException: Failed to fetch BLOB 8a1c0f5be2d94c0ba7e1f63d2c59e0aa/p-3f5e91c2d0b8a7e6f4c3"
                    f"b2a1d0e9f8c7b6a5d4e3-2b9f6c1e8d7a4b3c2d1e0f9a8b7c6d5e from clickstream-enricher.streaming-jobs/"
                    f"{ips['jm']}:6124 and store it under /tmp/blobStore-6f1d3c2a-9e8b-4c7d-a6f5-e4d3c2b1a0f9/incoming/"
                    f"temp-{i:08d}\n"
                    "\tat org.apache.flink.runtime.blob.BlobClient.downloadFromBlobServer(BlobClient.java:168)\n"
                    "\tat org.apache.flink.runtime.blob.AbstractBlobCache.getFileInternal(AbstractBlobCache.java:166)\n"
                    "\tat org.apache.flink.runtime.execution.librarycache.BlobLibraryCacheManager"
                    "$LibraryCacheEntry.createUserCodeClassLoader(BlobLibraryCacheManager.java:365)\n"
                    "Caused by: java.io.IOException: Could not connect to BlobServer at address "
                    f"clickstream-enricher.streaming-jobs/{ips['jm']}:6124\n"
                    "\tat org.apache.flink.runtime.blob.BlobClient.<init>(BlobClient.java:103)\n"
                    "Caused by: java.net.SocketTimeoutException: Connect timed out\n"
                    "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(Unknown Source)")
            boot = s + timedelta(seconds=12)
            first = (boot, flink(boot, "INFO", "org.apache.flink.runtime.taskexecutor.TaskExecutor",
                                 "Successful registration at resource manager akka.tcp://flink@clickstream-enricher."
                                 "streaming-jobs:6123/user/rpc/resourcemanager_0 under registration id "
                                 "0c7f2e9a1b3d4c5e6f708192a3b4c5d6."))
            return [first, *every(boot + timedelta(seconds=30), e, 45, line)]
        return log

    jm_rev = Rev(1, inc.born + timedelta(days=12), "flink-kubernetes-operator",
                 [c("flink-main-container", f"{REGISTRY}/streaming/clickstream-enricher:3.1.0", port=8081)])
    jm = inc.deployment("streaming-jobs", "clickstream-enricher", [jm_rev], {1: [P()]})
    jm.obj["spec"]["template"]["metadata"]["labels"]["component"] = "jobmanager"
    jm.pods[0].labels["component"] = "jobmanager"
    ips["jm"] = cl.pod_ip(jm.pods[0])
    tm_ctr = c("flink-main-container", f"{REGISTRY}/streaming/clickstream-enricher:3.1.0", port=6122,
               memory_limit="4Gi")
    owner = o.owner_ref("Deployment", "clickstream-enricher", "streaming-jobs")
    for k, (born, fresh) in enumerate(((inc.born + timedelta(days=12, minutes=1), False), (replaced, True))):
        name = f"clickstream-enricher-taskmanager-1-{3 + 4 * k}"
        h = PodHistory(name=name, namespace="streaming-jobs", workload="clickstream-enricher", containers=[tm_ctr],
                       node=node(inc, k + 1), created=born, states=[o.ContainerState(started_at=born +
                                                                                     timedelta(seconds=6))],
                       memory=steady(2900), labels={"app": "clickstream-enricher", "component": "taskmanager",
                                                    "type": "flink-native-kubernetes"}, owner=owner)
        h.logs["flink-main-container"] = within(taskmanager(fresh))(name, born + timedelta(seconds=6), inc.captured)
        cl.add_pod(h)
        ips["tm"] = cl.pod_ip(h)
        if fresh:
            inc.event(cl.pod_object(h), "Scheduled", f"Successfully assigned streaming-jobs/{name} to {h.node}", born,
                      warning=False, component="default-scheduler")
    jm.pods[0].logs["flink-main-container"] = within(jobmanager)(jm.pods[0].name, jm.pods[0].created, inc.captured)
    herring(inc, "streaming-jobs", "session-writer", f"{REGISTRY}/streaming/session-writer", "1.7.2", "1.8.0",
            AT11 - timedelta(hours=1, minutes=15))
    series(inc, "flink_jobmanager_job_numRestarts", "gauge", "numRestarts",
           {"namespace": "streaming-jobs", "job_name": "clickstream-enricher", "job": "flink-jobmanager"},
           lambda t: 2.0 if t < replaced else 2.0 + (t - replaced).total_seconds() // 45)
    series(inc, "flink_jobmanager_job_uptime", "gauge", "uptime",
           {"namespace": "streaming-jobs", "job_name": "clickstream-enricher", "job": "flink-jobmanager"},
           lambda t: (t - inc.born).total_seconds() * 1000 if t < replaced else 9000.0 + (t.timestamp() % 45) * 1000)
    series(inc, "kafka_consumergroup_lag_sum", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic for "
           "all partitions", {"consumergroup": "clickstream-enricher", "topic": "clicks", "job": "kafka-exporter",
                              "namespace": "kafka"}, ramp(1200.0, 52000.0, replaced))
    labels = {"namespace": "streaming-jobs", "job_name": "clickstream-enricher"}
    send(inc, [alert(inc, "FlinkJobRestarting", {**labels, "job": "flink-jobmanager"},
                     "Flink job clickstream-enricher keeps restarting",
                     "clickstream-enricher restarted 50 times in the last 40 minutes.",
                     "increase(flink_jobmanager_job_numRestarts[15m]) > 3"),
               alert(inc, "FlinkJobNotRunning", {**labels, "job": "flink-jobmanager"},
                     "Flink job clickstream-enricher has not been up for more than a minute",
                     "Job uptime has stayed under 60 s for 30 minutes.", "flink_jobmanager_job_uptime < 60000"),
               alert(inc, "KafkaConsumerGroupLagHigh", {"namespace": "streaming-jobs", "consumergroup":
                                                        "clickstream-enricher", "topic": "clicks",
                                                        "job": "kafka-exporter"},
                     "Consumer group clickstream-enricher lag above 1M on clicks",
                     "Lag on clicks has grown for 40 minutes.",
                     'kafka_consumergroup_lag_sum{consumergroup="clickstream-enricher"} > 1e6', severity="critical")],
         ["namespace"])
    inc.answer_key(
        culprit=("NetworkPolicy", "streaming-jobs", "jobmanager-ingress"),
        keywords=["6124", "BlobServer", "NetworkPolicy"],
        root_cause="The NetworkPolicy streaming-jobs/jobmanager-ingress, applied the day before (kubectl apply, "
                   "managedFields), selects the Flink JobManager pods and allows ingress only on 6123 (RPC) and "
                   "8081: the blob server port 6124 is blocked. When a TaskManager was replaced this morning the "
                   "new pod could register but not download the job jars ('Could not connect to BlobServer at "
                   "address ...:6124'), so every task deployed to it fails and the job loops through restarts "
                   "while the consumer lag grows.",
        category="flink-blob-port-not-allowed",
        red_herrings=[("Deployment", "streaming-jobs", "session-writer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 2, 14, 18, tzinfo=UTC)


def events_gateway_errors() -> Incident:
    """A producer's compression turned off: large events exceed the topic's max.message.bytes and are rejected.

    after: Kafka producers and broker size limits, as Kafka's docs and many user threads show them: the
    broker checks a record batch's size after compression against the topic's `max.message.bytes`; release
    3.0 of the events gateway set `compression.type=none` to save CPU, and its session-replay events (1 to 3
    MB raw, a few hundred KB with lz4) are now refused with RecordTooLargeException ("The request included a
    message larger than the max message size the server will accept"). The page is the gateway's own error
    rate rule (simple).
    """
    inc = start(events_gateway_errors, "events-gateway returning 500s", AT12, 4412, ("ingest",))
    chg = AT12 - timedelta(minutes=31)
    plant(inc, "ingest", "events-gateway-kafka", "password", "ingest-kafka", "KAFKA_SASL_PASSWORD")

    def env(comp: str) -> list[dict[str, str]]:
        return [{"name": "SPRING_KAFKA_PRODUCER_COMPRESSION_TYPE", "value": comp},
                {"name": "SPRING_KAFKA_BOOTSTRAP_SERVERS", "value": "kafka-kafka-bootstrap.kafka:9093"}]

    def gateway(pod: str, s: datetime, e: datetime) -> Lines:
        boot = s + timedelta(seconds=9)
        out = [(boot, L.spring(boot, "INFO", "o.a.k.clients.producer.ProducerConfig", "ProducerConfig values: \n"
                               "\tacks = -1\n\tbatch.size = 16384\n\tbootstrap.servers = [kafka-kafka-bootstrap.kafka"
                               ":9093]\n\tcompression.type = none\n\tlinger.ms = 5\n\tmax.request.size = 5242880"))]

        def line(i: int, t: datetime) -> str | None:
            if i % 3:
                return None
            return L.spring(t, "ERROR", "c.a.ingest.publish.EventPublisher",
                            f"publish failed topic=session-replay key=sess-{o.suffix(str(i), 10)} "
                            f"bytes={1_180_000 + (i * 7717) % 1_900_000}\n"
                            "org.apache.kafka.common.errors.RecordTooLargeException: The request included a message "
                            "larger than the max message size the server will accept.",
                            thread="ad | producer-1")
        return out + every(boot + timedelta(seconds=20), e, 2, line)

    rolled(inc, "ingest", "events-gateway",
           c("events-gateway", f"{REGISTRY}/ingest/events-gateway:2.9.4", env=env("lz4"), memory_limit="1Gi"),
           c("events-gateway", f"{REGISTRY}/ingest/events-gateway:3.0.0", env=env("none"), memory_limit="1Gi"),
           chg, gateway, replicas=3)
    inc.configmap("ingest", "topic-config", {"session-replay": "max.message.bytes=1048588\nretention.ms=604800000\n"})
    herring(inc, "ingest", "schema-registry", "confluentinc/cp-schema-registry", "7.6.1", "7.7.1",
            AT12 - timedelta(hours=1, minutes=5))
    for code, before, after in (("202", 310.0, 228.0), ("500", 0.05, 81.0)):
        series(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
               {"namespace": "ingest", "job": "events-gateway", "uri": "/v1/events", "status": code,
                "method": "POST"}, counter(AT12 - timedelta(hours=2), before, after, chg + timedelta(minutes=1)))
    series(inc, "kafka_producer_record_error_total", "counter", "The total number of record sends that resulted in "
           "errors", {"namespace": "ingest", "job": "events-gateway", "topic": "session-replay"},
           counter(AT12 - timedelta(hours=2), 0.0, 80.0, chg + timedelta(minutes=1)))
    send(inc, [alert(inc, "EventsGatewayErrorRate", {"namespace": "ingest", "job": "events-gateway",
                                                     "service": "events-gateway"},
                     "events-gateway: 26% of POST /v1/events failing",
                     "More than 5% of event submissions answer 500 for 10 minutes.",
                     'sum(rate(http_server_requests_seconds_count{job="events-gateway",status=~"5.."}[5m])) / '
                     'sum(rate(http_server_requests_seconds_count{job="events-gateway"}[5m])) > 0.05',
                     severity="critical")], ["alertname", "namespace"])
    inc.answer_key(
        culprit=("Deployment", "ingest", "events-gateway"),
        keywords=["compression.type", "RecordTooLargeException", "max.message.bytes"],
        root_cause="Deployment ingest/events-gateway revision 2 (3.0.0, helm upgrade) sets "
                   "SPRING_KAFKA_PRODUCER_COMPRESSION_TYPE / compression.type from lz4 to none: session-replay "
                   "events of 1-3 MB are no longer compressed below the topic's max.message.bytes (1 MB), the "
                   "broker rejects them (RecordTooLargeException: the request included a message larger than the "
                   "max message size the server will accept) and the gateway answers 500.",
        category="uncompressed-records-over-topic-limit",
        red_herrings=[("Deployment", "ingest", "schema-registry")])
    return inc


ALL = [sessions_table_stale, ledger_duplicate_inserts_page, feature_backfill_question, embeddings_backfill_failed,
       dbt_nightly_build_failed, lake_orders_partitions_late, churn_pipeline_failing, compaction_job_failed_page,
       node_timeouts_question, quote_prices_stale_burn, clickstream_enricher_restarting_grouped,
       events_gateway_errors]
