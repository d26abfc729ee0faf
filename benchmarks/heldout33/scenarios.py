"""Round 33 of the held-out incident set: data and storage seen from the applications.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit in stateful operators' custom resources (CloudNativePG, Zalando, Strimzi, MongoDB,
Velero), object-storage encryption, StorageClasses, schema migrations run as Jobs, consumers of Kafka and
a cache shared by two services. Most pages are on the applications they hurt; about a third are simple.
Log lines follow the real software's formats (PgBouncer, node-postgres, WAL-G and PostgreSQL, Strimzi and
Kafka authorizer, Alembic and Npgsql, ClickHouse and Rust tracing, mongod JSON, Patroni and psycopg,
Velero logrus, zerolog JSON, golang-migrate, logback).
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

from benchmarks.heldout.scene import changed, crd, every, node, send, start, step  # noqa: E402

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


def victim(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
           replicas: int = 3, **kw: Any) -> Any:
    """The paged workload: running pods whose logs say what they suffer."""
    return app(inc, ns, name, f"{REGISTRY}/{ns}/{name}:3.{len(name)}.1", replicas, log=within(make), **kw)


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
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, group: str, version: str, plural: str, ns: str, name: str,
           spec: dict[str, Any], status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago and last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 9}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec,
                   "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str) -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


def job_pod(inc: Incident, ns: str, job: str, container: str, image: str, started: datetime, done: datetime,
            node_name: str, log: str) -> PodHistory:
    """The kept pod of a Job run that completed (exit 0), with its log, as `kubectl get pods` still lists it."""
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=job, containers=[c(container, image, port=None)], node=node_name,
        created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=2), ready=False)],
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"), logs={container: log}))
    h.ended = None
    h.memory = None
    h.ready = lambda t: False
    inc.cluster.patch(ns, name, terminated(0, "Completed", started + timedelta(seconds=2), done, phase="Succeeded"))
    return h


# ---- scenarios ---------------------------------------------------------------------------------------------


def env(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def job(inc: Incident, ns: str, name: str, image: str, started: datetime, done: datetime, ok: bool,
        node_name: str, log: str | list[str], annotations: dict[str, str] | None = None,
        attempts: int = 1) -> dict[str, Any]:
    """A Job (as Helm or a person created it) and its kept pods: one that completed, or `attempts` that failed."""
    ctr = {"name": "migrate", "image": image, "imagePullPolicy": "IfNotPresent"}
    status: dict[str, Any] = {"startTime": ts(started)}
    if ok:
        status.update({"completionTime": ts(done), "succeeded": 1, "conditions": [
            {"type": "Complete", "status": "True", "lastProbeTime": ts(done), "lastTransitionTime": ts(done)}]})
    else:
        status.update({"failed": attempts, "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit", "lastProbeTime": ts(done),
             "lastTransitionTime": ts(done)}]})
    obj = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(started),
                                "labels": {"app.kubernetes.io/managed-by": "Helm"}, "annotations": annotations or {}},
                   "spec": {"backoffLimit": max(0, attempts - 1), "completions": 1, "parallelism": 1,
                            "template": {"spec": {"restartPolicy": "Never", "containers": [ctr]}}},
                   "status": status})
    span = (done - started) / max(1, attempts)
    for i in range(attempts):
        s0 = started + span * i
        text = log[i] if isinstance(log, list) else log
        h = job_pod(inc, ns, name, "migrate", image, s0, s0 + span - timedelta(seconds=2), node_name, text)
        if i:  # each retry is its own pod
            moved = inc.cluster.patches[(ns, h.name)].pop()  # job_pod names every run alike
            h.name = f"{name}-{o.suffix(f'{name}/pod/{i}', 5)}"
            inc.cluster.patches[(ns, h.name)] = [moved]
        if not ok:
            inc.cluster.patches[(ns, h.name)] = [terminated(1, "Error", s0 + timedelta(seconds=2),
                                                            s0 + span - timedelta(seconds=2))]
            inc.event(obj, "SuccessfulCreate", f"Created pod: {h.name}", s0, warning=False,
                      component="job-controller")
    if not ok:
        inc.event(obj, "BackoffLimitExceeded", "Job has reached the specified backoff limit", done,
                  component="job-controller")
    return obj


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 30, 10, 14, tzinfo=UTC)


def refund_api_connection_errors_page() -> Incident:
    """CloudNativePG Pooler's max_client_conn cut from 1000 to 200, below the clients' summed pools.

    after: connection-pooler postmortems where a PgBouncer limit edited for "safety" sits under the
    application pools' total: the pooler refuses new client connections once the busiest service scales out.

    The Pooler in payments-db was edited 24 minutes before the page; PgBouncer re-read its config and
    since then refuses clients beyond 200 ("no more connections allowed (max_client_conn)"). refund-api
    (12 replicas x pool 20) gets the error through node-postgres; the red herring is a fraud-rules rollout.
    """
    at, chg = AT1, AT1 - timedelta(minutes=24)
    inc = start(refund_api_connection_errors_page, "Refund API: requests failing", at, 3301, ("payments-db",))
    pooler = custom(inc, "Pooler", "postgresql.cnpg.io", "v1", "poolers", "payments-db", "payments-db-pooler-rw",
                    {"cluster": {"name": "payments-db"}, "instances": 2, "type": "rw",
                     "pgbouncer": {"poolMode": "transaction",
                                   "parameters": {"max_client_conn": "200", "default_pool_size": "40",
                                                  "server_idle_timeout": "600"}}},
                    {"instances": 2, "secrets": {"serverCA": {"name": "payments-db-ca", "version": "81734"}}},
                    "kubectl-edit", chg,
                    {"f:spec": {"f:pgbouncer": {"f:parameters": {"f:max_client_conn": {}}}}})
    pooler["metadata"]["generation"] = 10
    plant(inc, "payments-db", "payments-db-app", "password", "payments-db-app", "password")

    def bouncer(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 60, lambda i, t: L.postgres(t, "LOG", f"stats: {80 + i % 17} xacts/s, {95 + i % 23} "
                                                      "queries/s, in 48211 B/s, out 210334 B/s, xact 1804 us, "
                                                      "query 1422 us, wait 88 us", 1).replace(" UTC [1] LOG:  ",
                                                                                            " UTC [1] LOG "))
        out.append((chg + timedelta(seconds=4), L.postgres(chg + timedelta(seconds=4), "LOG", "got SIGHUP, "
                                                           "re-reading config").replace(":  ", " ")))
        out += every(chg + timedelta(minutes=15), e, 7, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d} UTC [1] WARNING C-0x55d{i % 97:04x}: "
            f"(nodb)/(nouser)@10.244.{1 + i % 3}.{20 + i % 40}:{40000 + i * 37 % 20000} pooler error: no more "
            "connections allowed (max_client_conn)"))
        return out
    inc.deployment("payments-db", "payments-db-pooler-rw",
                   [Rev(1, inc.born + timedelta(days=6), "cnpg", [c("pgbouncer",
                        "ghcr.io/cloudnative-pg/pgbouncer:1.23.1", port=5432)])],
                   {1: [P(log=within(bouncer)), P(log=within(bouncer))]})

    def refunds(pod: str, s: datetime, e: datetime) -> Lines:
        ok = every(s, e, 20, lambda i, t: L.js(t, "info", "request completed", req={"method": "POST",
                                                   "url": "/v1/refunds"}, res={"statusCode": 201},
                                                   responseTime=38 + i % 30))
        bad = every(chg + timedelta(minutes=15), e, 11, lambda i, t: L.js(
            t, "error", "refund failed", err={"type": "DatabaseError", "message":
                                              "no more connections allowed (max_client_conn)",
                                              "code": "08P01", "severity": "FATAL"},
            req={"method": "POST", "url": "/v1/refunds"}, res={"statusCode": 503}))
        return ok + bad
    victim(inc, "payments", "refund-api", refunds, replicas=12,
           env=env(PGHOST="payments-db-pooler-rw.payments-db.svc", PGPORT="5432", PG_POOL_MAX="20"))
    http_codes(inc, "payments", "refund-api", (9.0, 6.1), (0.0, 2.9), chg + timedelta(minutes=15), "503")
    for pod in ("payments-db-pooler-rw-0", "payments-db-pooler-rw-1"):
        inc.series("cnpg_pgbouncer_pools_cl_active", "gauge", "Client connections linked to a server connection.",
                   {"namespace": "payments-db", "pod": pod, "database": "app", "user": "app"},
                   lambda t: 100.0 if t >= chg + timedelta(minutes=15) else 318.0)
        inc.series("cnpg_pgbouncer_pools_cl_waiting", "gauge", "Client connections waiting on a server connection.",
                   {"namespace": "payments-db", "pod": pod, "database": "app", "user": "app"}, step(0.0, 0.0, at))
    herring(inc, "payments", "fraud-rules-engine", f"{REGISTRY}/payments/fraud-rules-engine", "2.14.0",
            at - timedelta(minutes=41))
    inc.pagerduty("Refund API: 5xx above 20% for 5 minutes", "refund-api")
    inc.answer_key(culprit=("Pooler", "payments-db", "payments-db-pooler-rw"),
                   keywords=["max_client_conn", "pooler", "200"],
                   root_cause="The CloudNativePG Pooler payments-db-pooler-rw was edited to max_client_conn 200 "
                              "(was 1000); PgBouncer reloaded and refuses client connections beyond 200, below "
                              "refund-api's 12 replicas x pool of 20, so new requests fail with 'no more "
                              "connections allowed (max_client_conn)'.",
                   category="cnpg-pooler-max-client-conn-below-client-pools",
                   red_herrings=[("Deployment", "payments", "fraud-rules-engine")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 14, 32, tzinfo=UTC)
KMS_KEY = "arn:aws:kms:eu-west-1:481516234200:key/6f1d2c7e-2b44-4d0a-9a51-3e0c8c11f9a2"


def inventory_db_wal_archive_failing() -> Incident:
    """The WAL bucket's default encryption switched to a customer KMS key WAL-G's role cannot use.

    after: cloud-storage incidents where a bucket's default encryption moves from SSE-S3 to SSE-KMS
    and every writer whose role lacks kms:GenerateDataKey starts getting AccessDenied on PutObject.

    The cluster-scoped Crossplane BucketServerSideEncryptionConfiguration for the WAL archive bucket was
    re-applied 50 minutes before the page with aws:kms and a new key; Spilo's WAL-G archive_command fails
    with AccessDenied on kms:GenerateDataKey, PostgreSQL retries and WAL piles up on the volume. The red
    herring is the postgres-operator rollout.
    """
    at, chg = AT2, AT2 - timedelta(minutes=50)
    inc = start(inventory_db_wal_archive_failing, "inventory-db: WAL archiving failing", at, 3302,
                ("inventory-db", "postgres-operator"))
    custom(inc, "BucketServerSideEncryptionConfiguration", "s3.aws.upbound.io", "v1beta1",
           "bucketserversideencryptionconfigurations", "", "inventory-wal-archive-sse",
           {"forProvider": {"region": "eu-west-1", "bucket": "acme-pg-wal-eu-west-1",
                            "rule": [{"bucketKeyEnabled": True, "applyServerSideEncryptionByDefault": [
                                {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_KEY}]}]},
            "providerConfigRef": {"name": "default"}, "deletionPolicy": "Orphan"},
           {"atProvider": {"id": "acme-pg-wal-eu-west-1"}, "conditions": [
               {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": ts(chg)},
               {"type": "Synced", "status": "True", "reason": "ReconcileSuccess",
                "lastTransitionTime": ts(chg + timedelta(seconds=20))}]},
           "argocd-controller", chg,
           {"f:spec": {"f:forProvider": {"f:rule": {}}}}, scope="Cluster")
    plant(inc, "inventory-db", "inventory-db-walg-credentials", "aws-secret", "walg", "AWS_SECRET_ACCESS_KEY")
    role = "arn:aws:sts::481516234200:assumed-role/inventory-db-walg/botocore-session-1764599"

    def spilo(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 30, lambda i, t: f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} INFO: "
                    "no action. I am (inventory-db-0), the leader with the lock")
        seg = 0xC3

        def fail(i: int, t: datetime) -> str:
            name = f"000000010000004A000000{seg + i // 3:02X}"
            return (f"ERROR: {t.strftime('%Y/%m/%d %H:%M:%S')}.{t.microsecond:06d} failed to upload "
                    f"'spilo/inventory-db/wal/15/wal_005/{name}.br' to bucket 'acme-pg-wal-eu-west-1': "
                    f"AccessDenied: User: {role} is not authorized to perform: kms:GenerateDataKey on resource: "
                    f"{KMS_KEY} because no identity-based policy allows the kms:GenerateDataKey action\n"
                    f"\tstatus code: 403, request id: 7Q{i:04d}K3NDA1ZW4X\n"
                    + L.postgres(t, "LOG", "archive command failed with exit code 1", 71) + "\n"
                    + L.postgres(t, "DETAIL", "The failed archive command was: envdir /run/etc/wal-e.d/env "
                                 f"wal-g wal-push pg_wal/{name}", 71))
        out += every(chg + timedelta(minutes=2), e, 20, fail)
        out += every(chg + timedelta(minutes=4), e, 180, lambda i, t: L.postgres(
            t, "WARNING", f"archiving write-ahead log file \"000000010000004A000000{seg + i:02X}\" failed too many "
                          "times, will try again later", 71))
        return out
    sts = inc.statefulset("inventory-db", "inventory-db",
                          [c("postgres", "ghcr.io/zalando/spilo-16:3.3-p1", port=5432, memory_limit="8Gi")],
                          [P(log=within(spilo)), P()], inc.born + timedelta(days=10),
                          claims=[("pgdata", "200Gi", "gp3")], service=5432)
    sts.obj["metadata"]["labels"]["application"] = "spilo"
    for pod in ("inventory-db-0",):
        lab = {"namespace": "inventory-db", "pod": pod, "job": "postgres-exporter"}
        inc.series("pg_stat_archiver_failed_count", "counter", "Number of failed attempts for archiving WAL files",
                   dict(lab), counter(at - timedelta(hours=2), 0.0, 0.05, chg + timedelta(minutes=2)))
        inc.series("pg_stat_archiver_archived_count", "counter", "Number of WAL files successfully archived",
                   dict(lab), counter(at - timedelta(hours=2), 0.011, 0.0, chg + timedelta(minutes=2)))
        inc.series("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume",
                   {"namespace": "inventory-db", "persistentvolumeclaim": "pgdata-inventory-db-0"},
                   lambda t: 9.1e10 + max(0.0, (t - chg).total_seconds()) * 2.2e6)
    inc.deployment("inventory", "stock-api",
                   [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                        [c("stock-api", f"{REGISTRY}/inventory/stock-api:5.2.0",
                           env=env(DB_HOST="inventory-db.inventory-db.svc"))])], {1: [P(), P()]})
    herring(inc, "postgres-operator", "postgres-operator", "registry.opensource.zalan.do/acid/postgres-operator",
            "v1.13.0", at - timedelta(minutes=80))
    alert_ = alert(inc, "PostgresWALArchivingFailing",
                   {"namespace": "inventory-db", "pod": "inventory-db-0", "job": "postgres-exporter",
                    "team": "inventory"},
                   "inventory-db-0 failed to archive WAL for 30 minutes",
                   "pg_stat_archiver_failed_count is rising on inventory-db-0 and nothing was archived for "
                   "30m; point-in-time recovery is at risk and pg_wal grows.",
                   'increase(pg_stat_archiver_failed_count[10m]) > 0 and increase(pg_stat_archiver_archived_count'
                   '[30m]) == 0', "critical")
    send(inc, [alert_], ["alertname", "namespace"])
    inc.answer_key(culprit=("BucketServerSideEncryptionConfiguration", "", "inventory-wal-archive-sse"),
                   keywords=["kms:GenerateDataKey", "aws:kms", "AccessDenied"],
                   root_cause="The Crossplane BucketServerSideEncryptionConfiguration of the WAL archive bucket "
                              "was re-applied with SSE-KMS (aws:kms) and a customer key; the inventory-db-walg "
                              "role may not "
                              "use that key, so WAL-G's wal-push gets AccessDenied (kms:GenerateDataKey) and "
                              "PostgreSQL's archive_command fails while WAL accumulates.",
                   category="wal-bucket-default-encryption-kms-key-archiver-denied",
                   red_herrings=[("Deployment", "postgres-operator", "postgres-operator")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 11, 6, tzinfo=UTC)


def shipping_labels_stalled_grouped() -> Incident:
    """Strimzi KafkaUser's ACLs re-applied with a prefixed group pattern that no longer covers the consumer's group.

    after: Kafka ACL incidents where an access refactor (literal to prefixed resource patterns) leaves a
    consumer group uncovered: topic reads are allowed, JoinGroup is denied, the consumer stops and lag grows.

    Flux re-applied the KafkaUser shipping-svc 38 minutes before the page; its group ACL is now the prefix
    `shipping-` while label-dispatcher's group is `label-dispatcher`. The broker logs Denied JoinGroup, Spring
    Kafka stops the container on GroupAuthorizationException, lag and pending labels grow. Three alerts are
    grouped; the red herring is a rate-shopper rollout in the same namespace.
    """
    at, chg = AT3, AT3 - timedelta(minutes=38)
    inc = start(shipping_labels_stalled_grouped, "Shipping: labels not being printed", at, 3303,
                ("shipping", "kafka"))
    acls = [{"resource": {"type": "topic", "name": "shipment-created", "patternType": "literal"},
             "operations": ["Read", "Describe"]},
            {"resource": {"type": "topic", "name": "label-printed", "patternType": "literal"},
             "operations": ["Write", "Describe"]},
            {"resource": {"type": "group", "name": "shipping-", "patternType": "prefix"}, "operations": ["Read"]}]
    user = custom(inc, "KafkaUser", "kafka.strimzi.io", "v1beta2", "kafkausers", "kafka", "shipping-svc",
                  {"authentication": {"type": "scram-sha-512"}, "authorization": {"type": "simple", "acls": acls}},
                  {"username": "shipping-svc", "secret": "shipping-svc", "observedGeneration": 9, "conditions": [
                      {"type": "Ready", "status": "True", "lastTransitionTime": ts(chg + timedelta(seconds=9))}]},
                  "kustomize-controller", chg, {"f:spec": {"f:authorization": {"f:acls": {}}}})
    user["metadata"]["labels"] = {"strimzi.io/cluster": "events", "kustomize.toolkit.fluxcd.io/name": "kafka-users",
                                  "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    user["metadata"]["managedFields"][-1]["operation"] = "Apply"
    plant(inc, "shipping", "shipping-svc", "password", "shipping-svc-scram", "password")

    def dispatcher(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, min(e, chg), 30, lambda i, t: L.spring(
            t, "INFO", "c.a.shipping.labels.LabelDispatcher", f"printed label for shipment SH-{81220 + i}",
            "ntainer#0-0-C-1"))
        t0 = chg + timedelta(seconds=47)
        if s <= t0 <= e:
            out.append((t0, L.spring(t0, "INFO", "o.a.k.c.c.internals.ConsumerCoordinator",
                                     "[Consumer clientId=consumer-label-dispatcher-1, groupId=label-dispatcher] "
                                     "Request joining group due to: need to re-join with the given member-id",
                                     "ntainer#0-0-C-1")))
            out.append((t0 + timedelta(milliseconds=40), L.spring(
                t0, "ERROR", "o.s.k.l.KafkaMessageListenerContainer",
                "Authentication/Authorization Exception and no authExceptionRetryInterval set\n"
                "org.apache.kafka.common.errors.GroupAuthorizationException: Not authorized to access group: "
                "label-dispatcher", "ntainer#0-0-C-1")))
            out.append((t0 + timedelta(milliseconds=90), L.spring(
                t0, "ERROR", "o.s.k.l.KafkaMessageListenerContainer",
                "Fatal consumer exception; stopping container", "ntainer#0-0-C-1")))
            out.append((t0 + timedelta(milliseconds=120), L.spring(
                t0, "INFO", "o.s.k.l.KafkaMessageListenerContainer", "label-dispatcher: Consumer stopped",
                "ntainer#0-0-C-1")))
        return out
    victim(inc, "shipping", "label-dispatcher", dispatcher, replicas=2,
           env=env(KAFKA_BOOTSTRAP="events-kafka-bootstrap.kafka.svc:9093", KAFKA_USER="shipping-svc",
                   SPRING_KAFKA_CONSUMER_GROUP_ID="label-dispatcher"))

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} INFO "
                    "[ProducerStateManager partition=__consumer_offsets-12] Wrote producer snapshot at offset "
                    f"{880211 + i * 40} with 0 producer ids (kafka.log.ProducerStateManager)")
        out += every(chg + timedelta(seconds=47), chg + timedelta(minutes=2), 9, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} INFO Principal = User:shipping-svc is "
            f"Denied Operation = Read from host = 10.244.{2 + i % 2}.31 on resource = Group:LITERAL:"
            "label-dispatcher for request = JoinGroup with resourceRefCount = 1 (kafka.authorizer.logger)"))
        return out
    inc.statefulset("kafka", "events-kafka", [c("kafka", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", port=9092,
                                                memory_limit="6Gi")],
                    [P(log=within(broker)), P(log=within(broker)), P(log=within(broker))],
                    inc.born + timedelta(days=5), claims=[("data-0", "500Gi", "gp3")])
    inc.deployment("kafka", "events-entity-operator",
                   [Rev(1, inc.born + timedelta(days=5), "strimzi", [c("user-operator",
                        "quay.io/strimzi/operator:0.43.0", port=8081)])],
                   {1: [P(log=within(lambda pod, s, e: [(chg + timedelta(seconds=8), (
                       f"{(chg + timedelta(seconds=8)).strftime('%Y-%m-%d %H:%M:%S')} INFO  "
                       "AbstractOperator:510 - Reconciliation #412(watch) KafkaUser(kafka/shipping-svc): "
                       "KafkaUser shipping-svc in namespace kafka was MODIFIED"))]))]})
    inc.series("kafka_consumergroup_lag", "gauge", "Current approximate lag of a ConsumerGroup at Topic/Partition",
               {"namespace": "kafka", "consumergroup": "label-dispatcher", "topic": "shipment-created",
                "partition": "0"}, lambda t: 3.0 + max(0.0, (t - chg).total_seconds()) * 0.8)
    inc.series("labels_printed", "counter", "Shipping labels printed.",
               {"namespace": "shipping", "service": "label-dispatcher"},
               counter(at - timedelta(hours=2), 1.6, 0.0, chg + timedelta(seconds=47)))
    herring(inc, "shipping", "rate-shopper", f"{REGISTRY}/shipping/rate-shopper", "4.3.2", at - timedelta(minutes=52))
    common = {"team": "shipping"}
    send(inc, [alert(inc, "KafkaConsumerGroupLagHigh", {**common, "namespace": "kafka",
                                                       "consumergroup": "label-dispatcher",
                                                       "topic": "shipment-created"},
                     "Consumer group label-dispatcher lags on shipment-created",
                     "Lag above 1000 messages for 15 minutes.",
                     'sum by (consumergroup, topic) (kafka_consumergroup_lag) > 1000'),
               alert(inc, "LabelsNotPrinted", {**common, "namespace": "shipping", "service": "label-dispatcher"},
                     "No shipping labels printed for 20 minutes",
                     "rate(labels_printed_total[20m]) is zero during business hours.",
                     'rate(labels_printed_total{service="label-dispatcher"}[20m]) == 0', "critical"),
               alert(inc, "ShipmentsAwaitingLabel", {**common, "namespace": "shipping", "service": "shipments-api"},
                     "Shipments waiting for a label over SLA", "More than 400 shipments have waited over 15 min.",
                     'shipments_awaiting_label{age=">15m"} > 400')], ["team"])
    inc.answer_key(culprit=("KafkaUser", "kafka", "shipping-svc"),
                   keywords=["GroupAuthorizationException", "acl", "prefix"],
                   root_cause="Flux re-applied the Strimzi KafkaUser shipping-svc with a prefixed group ACL "
                              "(`shipping-`) instead of the literal group label-dispatcher; the broker denies "
                              "JoinGroup, Spring Kafka stops the consumer on GroupAuthorizationException, and "
                              "lag and unprinted labels grow.",
                   category="kafkauser-group-acl-pattern-misses-consumer-group",
                   red_herrings=[("Deployment", "shipping", "rate-shopper")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 16, 48, tzinfo=UTC)


def statement_downloads_burn() -> Incident:
    """A pre-upgrade Alembic migration Job renames a column another service still reads.

    after: schema-migration postmortems where one team's release renames a column in a shared database
    in a single step (no expand/contract), and a second service's queries fail at once with "column does
    not exist".

    accounts' Helm pre-upgrade hook Job ran 22 minutes before the page and renamed customers.email to
    email_address; accounts-api was released with it, but statements-api in finance reads the same table
    and every statement request fails with Npgsql 42703. The red herring is a ledger-exporter rollout.
    """
    at, chg = AT4, AT4 - timedelta(minutes=22)
    inc = start(statement_downloads_burn, "Statements: downloads failing", at, 3304, ("accounts", "finance"))
    plant(inc, "accounts", "accounts-db-owner", "password", "accounts-owner", "password")
    log = "\n".join(L.lines([
        (chg + timedelta(seconds=3), "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl."),
        (chg + timedelta(seconds=3), "INFO  [alembic.runtime.migration] Will assume transactional DDL."),
        (chg + timedelta(seconds=4), "INFO  [alembic.runtime.migration] Running upgrade 7c1e2f9a0b3d -> "
                                     "9a4d6b2c8e1f, rename customers.email to email_address"),
        (chg + timedelta(seconds=5), "INFO  [alembic.runtime.migration] Running upgrade 9a4d6b2c8e1f -> "
                                     "b2f0c4d7a913, add customers.marketing_opt_in")]).splitlines()) + "\n"
    job(inc, "accounts", "accounts-api-migrate-57", f"{REGISTRY}/accounts/accounts-api:8.4.0", chg,
        chg + timedelta(seconds=31), True, node(inc, 1), log,
        {"helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "-5",
         "helm.sh/hook-delete-policy": "before-hook-creation"})
    inc.deployment("accounts", "accounts-api",
                   [Rev(14, inc.born + timedelta(days=20), "helm upgrade",
                        [c("accounts-api", f"{REGISTRY}/accounts/accounts-api:8.3.2")]),
                    Rev(15, chg + timedelta(minutes=1), "helm upgrade",
                        [c("accounts-api", f"{REGISTRY}/accounts/accounts-api:8.4.0")])], {15: [P(), P()]})

    def statements(pod: str, s: datetime, e: datetime) -> Lines:
        ok = every(s, chg, 25, lambda i, t: (
            "info: Microsoft.AspNetCore.Hosting.Diagnostics[2]\n      Request finished HTTP/1.1 GET "
            f"http://statements-api.finance.svc/v2/statements/{40210 + i}/pdf - 200 18211 application/pdf "
            f"{210 + i % 90}.4112ms"))
        bad = every(chg + timedelta(seconds=40), e, 9, lambda i, t: (
            "fail: Finance.Statements.Api.StatementsController[0]\n"
            f"      Building statement {40990 + i} failed\n"
            "      Npgsql.PostgresException (0x80004005): 42703: column c.email does not exist\n"
            "         at Npgsql.Internal.NpgsqlConnector.ReadMessageLong(Boolean async, DataRowLoadingMode "
            "dataRowLoadingMode, Boolean readingNotifications, Boolean isReadingPrependedMessage)\n"
            "         at Npgsql.NpgsqlDataReader.NextResult(Boolean async, Boolean isConsuming, "
            "CancellationToken cancellationToken)\n"
            "         at Finance.Statements.Data.CustomerRepository.GetBillingContactAsync(Int64 accountId)\n"
            "        Exception data:\n          Severity: ERROR\n          SqlState: 42703\n"
            "          MessageText: column c.email does not exist\n          Position: 38"))
        return ok + bad
    victim(inc, "finance", "statements-api", statements, replicas=3,
           env=env(ConnectionStrings__Accounts="Host=accounts-db-ro.accounts.svc;Database=accounts;"
                                               "Username=statements_ro"))
    http_codes(inc, "finance", "statements-api", (4.0, 0.6), (0.0, 3.4), chg + timedelta(seconds=40), "500")
    herring(inc, "finance", "ledger-exporter", f"{REGISTRY}/finance/ledger-exporter", "1.9.3",
            at - timedelta(minutes=35))
    inc.slo_burn("statements-api", "finance", "statements-availability", "0.995", 28.3,
                 "statements-api is burning its 30-day error budget; most requests since 16:26 return 500.")
    inc.answer_key(culprit=("Job", "accounts", "accounts-api-migrate-57"),
                   keywords=["email_address", "rename", "42703"],
                   root_cause="accounts' pre-upgrade migration Job renamed customers.email to email_address in one "
                              "step; statements-api (finance) still selects c.email from the shared accounts "
                              "database and fails with 42703 'column does not exist'.",
                   category="migration-renames-column-another-service-reads",
                   red_herrings=[("Deployment", "finance", "ledger-exporter")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 9, 44, tzinfo=UTC)


def clickstream_ingest_rejected() -> Incident:
    """StorageClass re-created by Terraform without its gp3 iops/throughput: a rebuilt ClickHouse replica's volume
    runs at the 125 MiB/s baseline and its merges fall behind (TOO_MANY_PARTS).

    after: analytics-database incidents where a replica rebuilt on a volume of the storage class's new,
    lower provisioned performance cannot merge as fast as inserts arrive, and inserts are rejected.

    gp3-clickhouse was re-created yesterday evening (its parameters are immutable) without `iops: 6000` and
    `throughput: 750`; replica 0-1 lost its node overnight and its new volume was provisioned from it. Its
    disk sits at 125 MiB/s, part counts climb past parts_to_throw_insert and clickstream-ingest's batches are
    refused. The red herring is the ClickHouse operator's rollout.
    """
    at = AT5
    chg, rebuilt = at - timedelta(hours=20), at - timedelta(hours=17, minutes=40)
    inc = start(clickstream_ingest_rejected, "Clickstream ingest: inserts failing", at, 3305,
                ("analytics", "clickhouse-operator"))
    sc = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                  "metadata": {"name": "gp3-clickhouse", "creationTimestamp": ts(chg),
                               "labels": {"managed-by": "terraform"}},
                  "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "fsType": "ext4",
                                                                   "encrypted": "true"},
                  "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer",
                  "allowVolumeExpansion": True})
    changed(sc, ("Terraform", "Update", chg, {"f:parameters": {".": {}, "f:encrypted": {}, "f:fsType": {},
                                                               "f:type": {}}, "f:provisioner": {}}))
    sibling = inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                       "metadata": {"name": "gp3-kafka", "labels": {"managed-by": "terraform"}},
                       "provisioner": "ebs.csi.aws.com",
                       "parameters": {"type": "gp3", "fsType": "ext4", "encrypted": "true", "iops": "6000",
                                      "throughput": "750"},
                       "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer",
                       "allowVolumeExpansion": True})
    changed(sibling, ("Terraform", "Update", inc.born + timedelta(days=4), {"f:parameters": {}}))
    plant(inc, "analytics", "clickhouse-ingest-user", "password", "ingest", "password")
    host = node(inc, 3)

    def clickhouse(lagging: bool) -> LogFn:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            stamp = lambda t: f"{t.strftime('%Y.%m.%d %H:%M:%S')}.{t.microsecond:06d}"  # noqa: E731
            out = every(s, e, 120, lambda i, t: f"{stamp(t)} [ 611 ] {{}} <Information> events.clicks_local "
                        f"(ReplicatedMergeTreeQueue): Selected {5 + i % 4} parts to merge")
            if lagging:
                out += every(at - timedelta(minutes=70), at - timedelta(minutes=12), 30, lambda i, t: (
                    f"{stamp(t)} [ 812 ] {{}} <Information> events.clicks_local (3c1e9a40-77d1-4c1b-b2f4-"
                    f"0d95ab61c2f1): Delaying inserting block by {200 + i * 9} ms. because there are "
                    f"{150 + i} parts and their average size is 1.21 MiB"))
                out += every(at - timedelta(minutes=12), e, 6, lambda i, t: (
                    f"{stamp(t)} [ 812 ] {{{L.uuidish('ins', i)}}} <Error> executeQuery: Code: 252. "
                    f"DB::Exception: Too many parts ({300 + i // 5} with average size of 1.19 MiB) in table "
                    "'events.clicks_local (3c1e9a40-77d1-4c1b-b2f4-0d95ab61c2f1)'. Merges are processing "
                    "significantly slower than inserts. (TOO_MANY_PARTS) (version 24.8.4.13 (official build)) "
                    f"(from 10.244.2.{40 + i % 3}:51122) (in query: INSERT INTO events.clicks_local FORMAT "
                    "RowBinary)"))
            return out
        return within(make)
    for idx, lagging in ((0, False), (1, True)):
        name = f"chi-events-events-0-{idx}"
        created = rebuilt if lagging else None
        wl = inc.statefulset("analytics", name, [c("clickhouse", "clickhouse/clickhouse-server:24.8.4.13",
                                                   port=9000, memory_limit="32Gi")],
                             [P(log=clickhouse(lagging), node=host if lagging else node(inc, 0), created=created)],
                             inc.born + timedelta(days=7), claims=[("data", "2Ti", "gp3-clickhouse")])
        wl.obj["metadata"]["labels"]["clickhouse.altinity.com/chi"] = "events"
        if lagging:
            pvc = inc.find("PersistentVolumeClaim", "analytics", f"data-{name}-0")
            pvc["metadata"]["creationTimestamp"] = ts(rebuilt)
            volume_name = pvc["spec"]["volumeName"]
            inc.event(pvc, "ProvisioningSucceeded", f"Successfully provisioned volume {volume_name}",
                      rebuilt + timedelta(seconds=9), warning=False,
                      component="ebs.csi.aws.com_ebs-csi-controller-6c9f7d8b5-x2lqp_0c1d")
        dev = {"instance": host if lagging else node(inc, 0), "device": "nvme1n1", "job": "node-exporter"}
        inc.series("node_disk_written_bytes", "counter", "The total number of bytes written successfully.",
                   dict(dev), counter(at - timedelta(hours=2), 1.31e8 if lagging else 2.2e8,
                                1.31e8 if lagging else 2.2e8, at))
        inc.series("node_disk_io_time_seconds", "counter", "Total seconds spent doing I/Os.",
                   dict(dev), counter(at - timedelta(hours=2), 0.99 if lagging else 0.34,
                                      0.99 if lagging else 0.34, at))
        inc.series("chi_clickhouse_table_parts", "gauge", "Number of active parts of the table",
                   {"namespace": "analytics", "chi": "events", "hostname": f"{name}-0", "database": "events",
                    "table": "clicks_local", "active": "1"},
                   (lambda t: 120.0 + max(0.0, (t - (at - timedelta(hours=2))).total_seconds()) / 40) if lagging
                   else step(44.0, 44.0, at))

    def ingest(pod: str, s: datetime, e: datetime) -> Lines:
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z"  # noqa: E731
        ok = every(s, e, 15, lambda i, t: f"{stamp(t)}  INFO clickstream_ingest::sink: batch inserted "
                   f"rows={5000 + i % 700} elapsed_ms={180 + i % 60}")
        bad = every(at - timedelta(minutes=12), e, 8, lambda i, t: (
            f"{stamp(t)} ERROR clickstream_ingest::sink: insert failed, batch requeued attempt={1 + i % 5} "
            "error=bad response: Code: 252. DB::Exception: Too many parts (301 with average size of 1.19 MiB) in "
            "table 'events.clicks_local (3c1e9a40-77d1-4c1b-b2f4-0d95ab61c2f1)'. Merges are processing "
            "significantly slower than inserts. (TOO_MANY_PARTS)"))
        return ok + bad
    victim(inc, "analytics", "clickstream-ingest", ingest, replicas=3,
           env=env(CLICKHOUSE_URL="http://clickhouse-events.analytics.svc:8123", RUST_LOG="info"))
    inc.series("clickstream_ingest_failed_batches", "counter", "Batches whose insert failed.",
               {"namespace": "analytics", "service": "clickstream-ingest"},
               counter(at - timedelta(hours=2), 0.0, 0.4, at - timedelta(minutes=12)))
    herring(inc, "clickhouse-operator", "clickhouse-operator", "altinity/clickhouse-operator", "0.24.0",
            at - timedelta(minutes=90))
    alert_ = alert(inc, "ClickstreamIngestFailing", {"namespace": "analytics", "service": "clickstream-ingest",
                                                     "team": "data-platform"},
                   "clickstream-ingest: inserts failing",
                   "More than 10% of clickstream batches failed to insert over 10 minutes.",
                   'rate(clickstream_ingest_failed_batches_total[10m]) / rate(clickstream_ingest_batches_total'
                   '[10m]) > 0.1', "critical")
    send(inc, [alert_], ["alertname", "namespace"])
    inc.answer_key(culprit=("StorageClass", "", "gp3-clickhouse"),
                   keywords=["throughput", "iops", "TOO_MANY_PARTS"],
                   root_cause="Terraform re-created the StorageClass gp3-clickhouse without its iops/throughput "
                              "parameters; the volume of the rebuilt replica chi-events-events-0-1 was provisioned "
                              "at the gp3 baseline (125 MiB/s), its merges fall behind and ClickHouse rejects "
                              "inserts with TOO_MANY_PARTS.",
                   category="storageclass-recreated-without-provisioned-throughput",
                   red_herrings=[("Deployment", "clickhouse-operator", "clickhouse-operator")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 8, 52, tzinfo=UTC)


def profile_api_errors_question() -> Incident:
    """MongoDBCommunity additionalMongodConfig caps net.maxIncomingConnections at 300; the morning scale-out of
    the clients' pools goes past it.

    after: document-database incidents where a connection cap set through the operator looks generous until the
    clients autoscale: mongod refuses connections beyond the cap and drivers see their sockets closed.

    profiles-mongo got `net.maxIncomingConnections: 300` three hours before (the operator rolled the members);
    at the 08:30 peak profile-api's HPA went 3 -> 6 replicas x maxPoolSize 100, mongod logs "Connection refused
    because there are too many open connections" and the Node driver clears its pools. The red herring is an
    avatar-resizer rollout.
    """
    at, chg = AT6, AT6 - timedelta(hours=3, minutes=10)
    peak = at - timedelta(minutes=22)
    inc = start(profile_api_errors_question, "profile-api errors", at, 3306, ("profiles", "profiles-db"))
    custom(inc, "MongoDBCommunity", "mongodbcommunity.mongodb.com", "v1", "mongodbcommunity", "profiles-db",
           "profiles-mongo",
           {"members": 3, "type": "ReplicaSet", "version": "7.0.14",
            "additionalMongodConfig": {"net.maxIncomingConnections": 300, "storage.wiredTiger.engineConfig."
                                       "journalCompressor": "zlib"},
            "security": {"authentication": {"modes": ["SCRAM"]}},
            "users": [{"name": "profile-api", "db": "admin", "passwordSecretRef": {"name": "profile-api-password"},
                       "roles": [{"name": "readWrite", "db": "profiles"}],
                       "scramCredentialsSecretName": "profile-api"}]},
           {"phase": "Running", "currentMongoDBMembers": 3, "currentStatefulSetReplicas": 3, "version": "7.0.14",
            "mongoUri": "mongodb://profiles-mongo-0.profiles-mongo-svc.profiles-db.svc.cluster.local:27017,"
                        "profiles-mongo-1.profiles-mongo-svc.profiles-db.svc.cluster.local:27017,"
                        "profiles-mongo-2.profiles-mongo-svc.profiles-db.svc.cluster.local:27017/?replicaSet="
                        "profiles-mongo"},
           "kubectl-patch", chg, {"f:spec": {"f:additionalMongodConfig": {"f:net.maxIncomingConnections": {}}}})
    plant(inc, "profiles-db", "profile-api-password", "password", "profile-api", "password")

    def mongod(pod: str, s: datetime, e: datetime) -> Lines:
        def j(t: datetime, c_: str, id_: int, ctx: str, msg: str, attr: dict[str, Any]) -> str:
            import json
            return json.dumps({"t": {"$date": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}"
                                     "+00:00"}, "s": "I", "c": c_, "id": id_, "ctx": ctx, "msg": msg,
                               "attr": attr}, separators=(",", ":"))
        out = every(s, e, 60, lambda i, t: j(t, "WTCHKPT", 22430, "Checkpointer", "WiredTiger message",
                                             {"message": {"ts_sec": int(t.timestamp()), "category":
                                                          "WT_VERB_CHECKPOINT_PROGRESS",
                                                          "msg": f"saving checkpoint snapshot min: {4410 + i}"}}))
        out += every(max(s, peak), e, 3, lambda i, t: j(
            t, "NETWORK", 22942, "listener", "Connection refused because there are too many open connections",
            {"remote": f"10.244.{1 + i % 3}.{57 + i % 9}:{40122 + i}", "isLoadBalanced": False,
             "connectionCount": 301}))
        return out
    inc.statefulset("profiles-db", "profiles-mongo",
                    [c("mongod", "quay.io/mongodb/mongodb-community-server:7.0.14-ubi8", port=27017,
                       memory_limit="8Gi")],
                    [P(log=within(mongod), created=chg + timedelta(minutes=2 + 3 * i)) for i in range(3)],
                    chg, claims=[("data-volume", "100Gi", "gp3")])

    def profiles(pod: str, s: datetime, e: datetime) -> Lines:
        ok = every(s, e, 20, lambda i, t: L.js(t, "info", "request completed", req={"method": "GET",
                                                   "url": f"/v1/profiles/{77120 + i}"}, res={"statusCode": 200},
                                                   responseTime=12 + i % 20))
        bad = every(max(s, peak + timedelta(minutes=1)), e, 5, lambda i, t: L.js(
            t, "error", "request errored", err={
                "type": "MongoPoolClearedError", "message": "Connection pool for profiles-mongo-0.profiles-mongo-svc"
                ".profiles-db.svc.cluster.local:27017 was cleared because another operation failed with: "
                f"\"connection {200 + i} to 10.244.3.9:27017 closed\"", "errorLabels": ["PoolRequestedRetry"]},
            req={"method": "GET", "url": "/v1/profiles/me"}, res={"statusCode": 500}))
        return ok + bad
    victim(inc, "profiles", "profile-api", profiles, replicas=6,
           env=env(MONGODB_MAX_POOL_SIZE="100", MONGODB_DB="profiles"))
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "profile-api", "namespace": "profiles"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "profile-api"},
                      "minReplicas": 3, "maxReplicas": 10,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 60}}}]},
             "status": {"currentReplicas": 6, "desiredReplicas": 6, "lastScaleTime": ts(peak)}})
    inc.event(inc.find("HorizontalPodAutoscaler", "profiles", "profile-api"), "SuccessfulRescale",
              "New size: 6; reason: cpu resource utilization (percentage of request) above target", peak,
              warning=False, component="horizontal-pod-autoscaler")
    for i in range(3):
        inc.series("mongodb_ss_connections", "gauge", "serverStatus.connections",
                   {"namespace": "profiles-db", "pod": f"profiles-mongo-{i}", "conn_type": "current"},
                   lambda t: 300.0 if t >= peak else 240.0)
        inc.series("mongodb_ss_connections", "gauge", "serverStatus.connections",
                   {"namespace": "profiles-db", "pod": f"profiles-mongo-{i}", "conn_type": "available"},
                   lambda t: 0.0 if t >= peak else 60.0)
    http_codes(inc, "profiles", "profile-api", (30.0, 22.0), (0.0, 8.0), peak + timedelta(minutes=1), "500")
    herring(inc, "profiles", "avatar-resizer", f"{REGISTRY}/profiles/avatar-resizer", "2.2.0",
            at - timedelta(minutes=33))
    inc.ask("profile-api has been throwing 500s for the last twenty minutes or so, can someone take a look?")
    inc.answer_key(culprit=("MongoDBCommunity", "profiles-db", "profiles-mongo"),
                   keywords=["maxIncomingConnections", "300", "too many open connections"],
                   root_cause="The MongoDBCommunity profiles-mongo was patched with net.maxIncomingConnections 300; "
                              "after profile-api's HPA went to 6 replicas (pool 100 each) at the morning peak, "
                              "mongod refuses connections past 300 (too many open connections) and the Node "
                              "driver's pools are cleared, so "
                              "requests fail with 500.",
                   category="mongodb-max-incoming-connections-below-client-pools",
                   red_herrings=[("Deployment", "profiles", "avatar-resizer")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 15, 20, tzinfo=UTC)


def order_exports_failing_page() -> Incident:
    """Zalando postgresql manifest re-synced without hot_standby_feedback and max_standby_streaming_delay: long
    reads on the standby are cancelled by replay conflicts.

    after: replica-read postmortems where a configuration refactor drops the standby settings that protected
    long-running reports, and every export longer than 30 seconds fails with "canceling statement due to
    conflict with recovery".

    Argo CD synced the postgresql orders-cluster two hours before the page from a new template whose
    parameters lost both settings; Patroni reloaded, the standby logs both parameters reset to default and
    cancels export queries; export-builder (reporting) reads from the replica Service and fails with
    psycopg's SerializationFailure. The red herring is a report-scheduler rollout.
    """
    at, chg = AT7, AT7 - timedelta(hours=2, minutes=4)
    inc = start(order_exports_failing_page, "Order exports failing", at, 3307, ("orders-db", "reporting"))
    pg = custom(inc, "postgresql", "acid.zalan.do", "v1", "postgresqls", "orders-db", "orders-cluster",
                {"teamId": "orders", "numberOfInstances": 2, "volume": {"size": "500Gi", "storageClass": "gp3"},
                 "postgresql": {"version": "16", "parameters": {"max_connections": "400", "shared_buffers": "4GB",
                                                                "work_mem": "32MB", "log_min_duration_statement":
                                                                "2000"}},
                 "patroni": {"synchronous_mode": False, "ttl": 30, "loop_wait": 10},
                 "users": {"orders_app": ["createdb"], "reporting_ro": []},
                 "resources": {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"memory": "12Gi"}}},
                {"PostgresClusterStatus": "Running"}, "argocd-controller", chg,
                {"f:spec": {"f:postgresql": {"f:parameters": {".": {}, "f:log_min_duration_statement": {},
                                                              "f:max_connections": {}, "f:shared_buffers": {},
                                                              "f:work_mem": {}}}}})
    pg["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id":
                                     "orders-db:acid.zalan.do/postgresql:orders-db/orders-cluster"}
    plant(inc, "reporting", "reporting-ro-credentials", "password", "reporting_ro", "password")
    query = ("SELECT o.id, o.placed_at, l.sku, l.qty, l.price FROM orders o JOIN order_lines l ON l.order_id = o.id "
             "WHERE o.merchant_id = $1 AND o.placed_at >= $2 ORDER BY o.placed_at")

    def standby(pod: str, s: datetime, e: datetime) -> Lines:
        pat = lambda t, msg: f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} INFO: {msg}"  # noqa: E731
        out = every(s, e, 10, lambda i, t: pat(t, "no action. I am (orders-cluster-1), a secondary, and following "
                                                  "a leader (orders-cluster-0)") if i % 6 == 0 else None)
        r = chg + timedelta(seconds=40)
        if s <= r <= e:
            out += [(r, pat(r, "Reloading PostgreSQL configuration.")),
                    (r, L.postgres(r, "LOG", "received SIGHUP, reloading configuration files", 88)),
                    (r, L.postgres(r, "LOG", 'parameter "hot_standby_feedback" removed from configuration file, '
                                             "reset to default", 88)),
                    (r, L.postgres(r, "LOG", 'parameter "max_standby_streaming_delay" removed from configuration '
                                             "file, reset to default", 88))]
        out += every(chg + timedelta(minutes=9), e, 95, lambda i, t: (
            L.postgres(t, "ERROR", "canceling statement due to conflict with recovery", 4100 + i) + "\n"
            + L.postgres(t, "DETAIL", "User query might have needed to see row versions that must be removed.",
                         4100 + i) + "\n" + L.postgres(t, "STATEMENT", query, 4100 + i)))
        return out
    inc.statefulset("orders-db", "orders-cluster",
                    [c("postgres", "ghcr.io/zalando/spilo-16:3.3-p1", port=5432, memory_limit="12Gi")],
                    [P(), P(log=within(standby))], inc.born + timedelta(days=9),
                    claims=[("pgdata", "500Gi", "gp3")], service=5432)
    inc.service("orders-db", "orders-cluster-repl", {"application": "spilo", "cluster-name": "orders-cluster",
                                                     "spilo-role": "replica"}, port=5432, target=5432)

    def exports(pod: str, s: datetime, e: datetime) -> Lines:
        ok = every(s, chg, 240, lambda i, t: L.pylog(t, "INFO", "exports.builder",
                                                     f"export EXP-{90311 + i} done rows=412877 seconds=74.2"))
        bad = every(chg + timedelta(minutes=9), e, 190, lambda i, t: (
            L.pylog(t, "ERROR", "exports.builder", f"export EXP-{90420 + i} failed after 31.4s") + "\n"
            "Traceback (most recent call last):\n"
            '  File "/app/exports/builder.py", line 141, in run\n'
            "    for batch in cur.stream(ORDER_LINES_SQL, (merchant_id, since)):\n"
            '  File "/usr/local/lib/python3.12/site-packages/psycopg/cursor.py", line 214, in stream\n'
            "    raise ex.with_traceback(None)\n"
            "psycopg.errors.SerializationFailure: canceling statement due to conflict with recovery\n"
            "DETAIL:  User query might have needed to see row versions that must be removed."))
        return ok + bad
    victim(inc, "reporting", "export-builder", exports, replicas=2,
           env=env(PGHOST="orders-cluster-repl.orders-db.svc", PGUSER="reporting_ro", PGDATABASE="orders"))
    inc.series("pg_stat_database_conflicts_confl_snapshot", "counter",
               "Number of queries in this database that have been canceled due to old snapshots",
               {"namespace": "orders-db", "pod": "orders-cluster-1", "datname": "orders"},
               counter(at - timedelta(hours=2), 0.0, 0.011, chg + timedelta(minutes=9)))
    inc.series("exports_failed", "counter", "Exports that failed.", {"namespace": "reporting",
                                                                          "service": "export-builder"},
               counter(at - timedelta(hours=2), 0.0, 0.005, chg + timedelta(minutes=9)))
    herring(inc, "reporting", "report-scheduler", f"{REGISTRY}/reporting/report-scheduler", "3.0.4",
            at - timedelta(minutes=47))
    inc.pagerduty("Order exports: more than 50% of customer exports failing", "export-builder")
    inc.answer_key(culprit=("postgresql", "orders-db", "orders-cluster"),
                   keywords=["hot_standby_feedback", "conflict with recovery", "max_standby_streaming_delay"],
                   root_cause="Argo CD re-synced the Zalando postgresql orders-cluster from a template without "
                              "hot_standby_feedback and max_standby_streaming_delay; after Patroni's reload the "
                              "standby cancels long export queries on replay conflicts, so export-builder fails "
                              "with 'canceling statement due to conflict with recovery'.",
                   category="postgres-standby-settings-dropped-replica-queries-cancelled",
                   red_herrings=[("Deployment", "reporting", "report-scheduler")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 12, 31, tzinfo=UTC)


def node_iowait_high_question() -> Incident:
    """A Velero Schedule edited to back volumes up by file system: node-agent reads the 800 GiB ledger database
    volume through kopia and saturates the node's EBS throughput.

    after: backup-tool incidents where switching to file-system backups (restic/kopia through node-agent)
    turns the backup window into a full read of every volume, starving the database on the same node.

    daily-apps gained `defaultVolumesToFsBackup: true` and the ledger namespace four hours before its 12:00
    run; the PodVolumeBackup for ledger-db-0's volume runs on the asked-about node, whose disk is busy 100%
    since, and PostgreSQL's checkpoints and statements slow down there. The red herring is a
    statement-renderer rollout in ledger.
    """
    at, chg, run = AT8, AT8 - timedelta(hours=4, minutes=12), AT8 - timedelta(minutes=31)
    inc = start(node_iowait_high_question, "iowait on a node", at, 3308, ("ledger", "velero"))
    host = node(inc, 2)
    backup = "daily-apps-20261204120005"
    custom(inc, "Schedule", "velero.io", "v1", "schedules", "velero", "daily-apps",
           {"schedule": "0 12 * * *", "useOwnerReferencesInBackup": False,
            "template": {"includedNamespaces": ["shop", "web", "ledger"], "defaultVolumesToFsBackup": True,
                         "snapshotVolumes": False, "storageLocation": "default", "ttl": "720h0m0s"}},
           {"phase": "Enabled", "lastBackup": ts(run)}, "kubectl-edit", chg,
           {"f:spec": {"f:template": {"f:defaultVolumesToFsBackup": {}, "f:includedNamespaces": {}}}})
    crd(inc, "Backup", "velero.io", "backups")
    inc.add({"apiVersion": "velero.io/v1", "kind": "Backup",
             "metadata": {"name": backup, "namespace": "velero", "creationTimestamp": ts(run),
                          "labels": {"velero.io/schedule-name": "daily-apps",
                                     "velero.io/storage-location": "default"}},
             "spec": {"includedNamespaces": ["shop", "web", "ledger"], "defaultVolumesToFsBackup": True,
                      "snapshotVolumes": False, "storageLocation": "default", "ttl": "720h0m0s"},
             "status": {"phase": "InProgress", "startTimestamp": ts(run), "version": 1,
                        "progress": {"itemsBackedUp": 311, "totalItems": 318}}})
    crd(inc, "PodVolumeBackup", "velero.io", "podvolumebackups")
    inc.add({"apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
             "metadata": {"name": f"{backup}-k8x2p", "namespace": "velero", "creationTimestamp":
                          ts(run + timedelta(seconds=38)), "labels": {"velero.io/backup-name": backup}},
             "spec": {"backupStorageLocation": "default", "node": host, "pod": {"kind": "Pod", "namespace": "ledger",
                                                                                 "name": "ledger-db-0"},
                      "volume": "pgdata", "uploaderType": "kopia", "repoIdentifier": ""},
             "status": {"phase": "InProgress", "startTimestamp": ts(run + timedelta(seconds=41)),
                        "progress": {"totalBytes": 858993459200, "bytesDone": 412316860416}}})
    plant(inc, "velero", "cloud-credentials", "aws-secret", "velero", "cloud")

    def agent(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = run + timedelta(seconds=41)
        src = 'logSource="pkg/controller/pod_volume_backup_controller.go:{}"'
        out = [(t0, f'time="{t0.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="PodVolumeBackup starting" '
                    f'backup=velero/{backup} controller=podvolumebackup {src.format(117)} '
                    f'podvolumebackup=velero/{backup}-k8x2p')]
        out += every(t0 + timedelta(seconds=10), e, 60, lambda i, t: (
            f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="Sending event to channel" '
            f'bytesDone={int(1.3e10 * (i + 1))} controller=podvolumebackup {src.format(202)} '
            f'podvolumebackup=velero/{backup}-k8x2p totalBytes=858993459200'))
        return out
    def server(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = run + timedelta(seconds=5)
        return [(t0, f'time="{t0.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="Setting up backup log" '
                     f'backup=velero/{backup} controller=backup logSource="pkg/controller/backup_controller.go:668"'),
                (t0, f'time="{t0.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="Backup starting" '
                     f'backup=velero/{backup} controller=backup logSource="pkg/controller/backup_controller.go:694"'),
                (t0 + timedelta(seconds=33), f'time="{(t0 + timedelta(seconds=33)).strftime("%Y-%m-%dT%H:%M:%SZ")}" '
                 f'level=info msg="Waiting for all PodVolumeBackups to complete" backup=velero/{backup} '
                 'logSource="pkg/backup/backup.go:722"')]
    inc.deployment("velero", "velero", [Rev(1, inc.born + timedelta(days=3), "helm upgrade",
                                            [c("velero", "velero/velero:v1.15.0", port=8085)])],
                   {1: [P(log=within(server))]})
    pods = inc.cluster.daemonset("velero", "node-agent", "velero/velero:v1.15.0", inc.born + timedelta(days=3))
    for h in pods:
        if h.node == host:
            h.logs["node-agent"] = within(agent)(h.name, h.created, inc.captured)

    def db(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: L.postgres(t, "LOG", (
            "checkpoint complete: wrote 9211 buffers (3.5%); 0 WAL file(s) added, 0 removed, 6 recycled; "
            "write=269.9 s, sync=0.912 s, total=271.1 s") if t < run else (
            f"checkpoint complete: wrote 12011 buffers (4.6%); 0 WAL file(s) added, 0 removed, 9 recycled; "
            f"write=270.2 s, sync={38 + i % 9}.114 s, total={318 + i % 9}.020 s"), 61))
        out += every(run + timedelta(minutes=2), e, 14, lambda i, t: L.postgres(
            t, "LOG", f"duration: {2100 + (i * 397) % 3900}.{i % 1000:03d} ms  execute <unnamed>: UPDATE accounts SET "
                      "balance = balance + $1, updated_at = now() WHERE id = $2", 900 + i % 40))
        return out
    inc.statefulset("ledger", "ledger-db", [c("postgres", "postgres:16.4", port=5432, memory_limit="16Gi")],
                    [P(log=within(db), node=host)], inc.born + timedelta(days=6),
                    claims=[("pgdata", "800Gi", "gp3")], service=5432)
    inc.deployment("ledger", "ledger-api",
                   [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                        [c("ledger-api", f"{REGISTRY}/ledger/ledger-api:6.1.0",
                           env=env(DB_HOST="ledger-db.ledger.svc"))])],
                   {1: [P(log=within(lambda pod, s, e: every(max(s, run + timedelta(minutes=3)), e, 30,
                                                             lambda i, t: L.logfmt(t, "warn", "slow query",
                                                                                   op="PostTransfer",
                                                                                   elapsed=f"{2 + i % 4}.{i % 9}s"))))
                        for _ in range(2)]})
    for n in inc.node_names():
        busy = n == host
        dev = {"instance": n, "device": "nvme1n1", "job": "node-exporter"}
        inc.series("node_disk_io_time_seconds", "counter", "Total seconds spent doing I/Os.", dict(dev),
                   counter(at - timedelta(hours=2), 0.12, 0.99 if busy else 0.12, run))
        inc.series("node_disk_read_bytes", "counter", "The total number of bytes read successfully.", dict(dev),
                   counter(at - timedelta(hours=2), 1.1e7, 2.4e8 if busy else 1.1e7, run))
        inc.series("node_cpu_seconds", "counter", "Seconds the CPUs spent in each mode.",
                   {"instance": n, "cpu": "0", "mode": "iowait", "job": "node-exporter"},
                   counter(at - timedelta(hours=2), 0.02, 0.61 if busy else 0.02, run))
    herring(inc, "ledger", "statement-renderer", f"{REGISTRY}/ledger/statement-renderer", "1.4.1",
            at - timedelta(minutes=58))
    inc.ask(f"{host} has shown iowait near 100% since about noon and everything on it feels sluggish. "
            "What is going on there?")
    inc.answer_key(culprit=("Schedule", "velero", "daily-apps"),
                   keywords=["defaultVolumesToFsBackup", "kopia", "PodVolumeBackup"],
                   root_cause="The Velero Schedule daily-apps was edited to back volumes up by file system "
                              "(defaultVolumesToFsBackup) and to include ledger; each run creates a "
                              "PodVolumeBackup per volume; its 12:00 run has node-agent read ledger-db-0's 800 GiB "
                              "volume "
                              "through kopia on that node, saturating its disk, so PostgreSQL and everything else "
                              "there slow down.",
                   category="velero-fs-backup-saturates-database-node-disk",
                   red_herrings=[("Deployment", "ledger", "statement-renderer")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 17, 5, tzinfo=UTC)


def product_search_errors() -> Incident:
    """catalog-sync's release writes the shared product cache in MessagePack under the same keys product-search
    reads as JSON.

    after: cache postmortems where one service changes the encoding of entries in a cache it shares with
    another (same key names, no version in the key) and the readers fail on every refreshed entry.

    catalog-sync's revision 8 (28 minutes before the page) sets CACHE_CODEC=msgpack; as it refreshes
    `product:<id>` entries in catalog-cache, product-search's JSON decoding fails on them ("invalid character
    '\\x86'") and it answers 500. The red herring is a search-indexer rollout beside the victim.
    """
    at, chg = AT9, AT9 - timedelta(minutes=28)
    inc = start(product_search_errors, "product-search error rate", at, 3309, ("catalog", "search"))
    plant(inc, "catalog", "catalog-cache-auth", "password", "catalog-cache", "REDIS_PASSWORD")

    def sync(pod: str, s: datetime, e: datetime) -> Lines:
        codec = "msgpack" if s >= chg else "json"
        first = [(s + timedelta(seconds=1), L.logfmt(s, "info", "starting catalog-sync", version="2.8.0" if
                                                     codec == "msgpack" else "2.7.4", cache_codec=codec,
                                                     cache_addr="catalog-cache.catalog.svc:6379"))]
        return first + every(s + timedelta(seconds=20), e, 30, lambda i, t: L.logfmt(
            t, "info", "refreshed product cache", products=400 + i % 37, codec=codec, took=f"{310 + i % 80}ms"))
    inc.deployment("catalog", "catalog-sync",
                   [Rev(7, inc.born + timedelta(days=15), "helm upgrade",
                        [c("catalog-sync", f"{REGISTRY}/catalog/catalog-sync:2.7.4",
                           env=env(CACHE_ADDR="catalog-cache.catalog.svc:6379", CACHE_CODEC="json",
                                   CACHE_KEY_PREFIX="product:"))]),
                    Rev(8, chg, "helm upgrade",
                        [c("catalog-sync", f"{REGISTRY}/catalog/catalog-sync:2.8.0",
                           env=env(CACHE_ADDR="catalog-cache.catalog.svc:6379", CACHE_CODEC="msgpack",
                                   CACHE_KEY_PREFIX="product:"))])],
                   {8: [P(log=within(sync)), P(log=within(sync))]})
    inc.statefulset("catalog", "catalog-cache", [c("redis", "redis:7.2.5", port=6379, memory_limit="4Gi")], [P()],
                    inc.born + timedelta(days=4), service=6379)

    def search(pod: str, s: datetime, e: datetime) -> Lines:
        def zl(t: datetime, level: str, msg: str, **kv: Any) -> str:
            import json
            return json.dumps({"level": level, **kv, "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "message": msg},
                              separators=(",", ":"))
        ok = every(s, e, 12, lambda i, t: zl(t, "info", "request", method="GET", path="/search", status=200,
                                             dur_ms=21 + i % 30))
        bad = every(chg + timedelta(seconds=50), e, 4, lambda i, t: zl(
            t, "error", "cache read failed", key=f"product:{84100 + (i * 37) % 900}",
            error="decode cached product: invalid character '\\x86' looking for beginning of value") + "\n" + zl(
            t, "info", "request", method="GET", path="/search", status=500, dur_ms=4))
        return ok + bad
    victim(inc, "search", "product-search", search, replicas=4,
           env=env(PRODUCT_CACHE_ADDR="catalog-cache.catalog.svc:6379"))
    http_codes(inc, "search", "product-search", (55.0, 33.0), (0.0, 22.0), chg + timedelta(seconds=50), "500")
    inc.series("redis_keyspace_hits", "counter", "Redis keyspace hits.",
               {"namespace": "catalog", "pod": "catalog-cache-0", "job": "redis-exporter"},
               counter(at - timedelta(hours=2), 140.0, 141.0, chg))
    herring(inc, "search", "search-indexer", f"{REGISTRY}/search/search-indexer", "5.0.2",
            at - timedelta(minutes=44))
    send(inc, [alert(inc, "ProductSearchHighErrorRate", {"namespace": "search", "service": "product-search",
                                                         "team": "search"},
                     "product-search: 5xx ratio above 10%",
                     "More than 10% of product-search requests returned 5xx over the last 5 minutes.",
                     'sum(rate(http_requests_total{service="product-search",code=~"5.."}[5m])) / '
                     'sum(rate(http_requests_total{service="product-search"}[5m])) > 0.1', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "catalog", "catalog-sync"),
                   keywords=["msgpack", "CACHE_CODEC", "invalid character"],
                   root_cause="catalog-sync's new revision writes the shared catalog-cache entries product:<id> in "
                              "MessagePack (CACHE_CODEC=msgpack) under the same keys product-search decodes as "
                              "JSON; every refreshed entry fails to decode (invalid character) and product-search "
                              "answers 500.",
                   category="shared-cache-entry-encoding-changed-by-writer",
                   red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 21, 40, tzinfo=UTC)


def events_mongo_crashlooping() -> Incident:
    """mongod's --wiredTigerCacheSizeGB raised to 6 in a container limited to 4Gi: the updated member is
    OOMKilled as its cache fills (simple).

    after: database-on-Kubernetes incidents where a storage-engine cache is sized from the node's memory
    instead of the container's limit and the kernel kills the process as the cache warms up.

    The StatefulSet's new revision (helm, 35 minutes before) passes `--wiredTigerCacheSizeGB=6` with a 4Gi
    limit; the rolling update began with events-mongo-2, which is OOMKilled every few minutes while the others
    still run the old revision. The red herring is an audit-api rollout.
    """
    at, chg = AT10, AT10 - timedelta(minutes=35)
    inc = start(events_mongo_crashlooping, "events-mongo-2 crash looping", at, 3310, ("audit",))
    plant(inc, "audit", "events-mongo-keyfile", "token", "keyfile", "keyfile")
    old_args = ["--replSet=rs0", "--bind_ip_all", "--wiredTigerCacheSizeGB=1.5", "--keyFile=/etc/mongo/keyfile"]
    new_args = ["--replSet=rs0", "--bind_ip_all", "--wiredTigerCacheSizeGB=6", "--keyFile=/etc/mongo/keyfile"]

    def mongod(pod: str, s: datetime, e: datetime) -> Lines:
        import json

        def j(t: datetime, comp: str, id_: int, ctx: str, msg: str, attr: dict[str, Any] | None = None) -> str:
            rec: dict[str, Any] = {"t": {"$date": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}"
                                         "+00:00"}, "s": "I", "c": comp, "id": id_, "ctx": ctx, "msg": msg}
            if attr:
                rec["attr"] = attr
            return json.dumps(rec, separators=(",", ":"))
        s1, s6, s9 = (s + timedelta(seconds=k) for k in (1, 6, 9))
        heartbeats = every(s + timedelta(seconds=30), e, 40, lambda i, t: j(
            t, "REPL", 21401, "conn81", "Scheduling heartbeat to fetch a new config", {"target": "events-mongo-0"})
            if i % 3 == 0 else None)
        return [(s, j(s, "CONTROL", 4615611, "initandlisten", "MongoDB starting",
                      {"pid": 1, "port": 27017, "dbPath": "/data/db", "architecture": "64-bit", "host": pod})),
                (s1, j(s1, "STORAGE", 22315, "initandlisten", "Opening WiredTiger",
                       {"config": "create,cache_size=6144M,session_max=33000,eviction=(threads_min=4,threads_max=4),"
                                  "config_base=false,statistics=(fast),log=(enabled=true,remove=true,path=journal,"
                                  "compressor=snappy)"})),
                (s6, j(s6, "REPL", 21393, "ReplCoord-0", "Found self in config",
                       {"hostAndPort": f"{pod}.events-mongo.audit.svc.cluster.local:27017"})),
                (s9, j(s9, "REPL", 21358, "ReplCoord-0", "Replica set state transition",
                       {"newState": "SECONDARY", "oldState": "RECOVERING"})), *heartbeats]
    ctr = c("mongod", "mongo:7.0.14", port=27017, memory_limit="4Gi", memory_request="4Gi")
    plans = [P(), P(), P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(mongod),
                         run_s=lambda n: 260.0, created=chg + timedelta(seconds=30))]
    wl = inc.statefulset("audit", "events-mongo", [ctr], plans, inc.born + timedelta(days=6),
                         claims=[("data", "300Gi", "gp3")], service=27017)
    sts = wl.obj
    sts["spec"]["template"]["spec"]["containers"][0]["args"] = new_args
    sts["metadata"]["generation"] = 4
    old_rev, new_rev = sts["status"]["currentRevision"], f"events-mongo-{o.suffix('events-mongo/new', 10)}"
    sts["status"].update({"updateRevision": new_rev, "updatedReplicas": 1, "currentReplicas": 2,
                          "readyReplicas": 2, "availableReplicas": 2, "observedGeneration": 4})
    changed(sts, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    for number, name, args, when in ((3, old_rev, old_args, inc.born + timedelta(days=6)),
                                     (4, new_rev, new_args, chg)):
        tmpl = json_copy(sts["spec"]["template"])
        tmpl["spec"]["containers"][0]["args"] = args
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": name, "namespace": "audit", "creationTimestamp": ts(when),
                              "labels": {"app": "events-mongo", "controller-revision-hash": name},
                              "ownerReferences": [o.owner_ref("StatefulSet", "events-mongo", "audit")]},
                 "data": {"spec": {"template": tmpl}}, "revision": number})
    for h in wl.pods:
        args = new_args if h.name == "events-mongo-2" else old_args
        hash_ = new_rev if h.name == "events-mongo-2" else old_rev

        def fix(pod: dict[str, Any], args: list[str] = args, hash_: str = hash_) -> None:
            pod["spec"]["containers"][0]["args"] = args
            pod["metadata"]["labels"]["controller-revision-hash"] = hash_
        inc.cluster.patch("audit", h.name, fix)
    inc.pod_series(wl.pods)
    herring(inc, "audit", "audit-api", f"{REGISTRY}/audit/audit-api", "7.3.0", at - timedelta(minutes=62))
    crashing = wl.pods[2].name
    send(inc, [alert(inc, "KubePodCrashLooping", {"namespace": "audit", "pod": crashing, "container": "mongod",
                                                  "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod audit/{crashing} (mongod) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("StatefulSet", "audit", "events-mongo"),
                   keywords=["wiredTigerCacheSizeGB", "OOMKilled", "4Gi"],
                   root_cause="The StatefulSet events-mongo's new revision runs mongod with --wiredTigerCacheSizeGB=6 "
                              "inside a 4Gi memory limit; the first updated member, events-mongo-2, is OOMKilled "
                              "as its WiredTiger cache fills and crash-loops.",
                   category="wiredtiger-cache-larger-than-container-limit",
                   red_herrings=[("Deployment", "audit", "audit-api")])
    return inc


def json_copy(obj: dict[str, Any]) -> dict[str, Any]:
    import json
    return dict(json.loads(json.dumps(obj)))


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 9, 42, tzinfo=UTC)


def billing_schema_migrate_failed() -> Incident:
    """A golang-migrate migration wraps CREATE INDEX CONCURRENTLY in BEGIN/COMMIT: the migration Job fails and
    leaves the schema version dirty (simple).

    after: everyday migration failures where a non-transactional statement is written into a migration file
    that the tool runs as one transaction, and the retries then stop on the dirty version flag.

    The pre-upgrade hook Job billing-schema-migrate-0412 started 14 minutes before the page; its first attempt
    logs "CREATE INDEX CONCURRENTLY cannot run inside a transaction block", the two retries "Dirty database
    version", and the Job reached its backoff limit. The red herring is an invoice-mailer rollout.
    """
    at, begun = AT11, AT11 - timedelta(minutes=14)
    inc = start(billing_schema_migrate_failed, "billing-schema-migrate-0412 failed", at, 3311, ("billing",))
    plant(inc, "billing", "billing-db-migrator", "password", "billing-migrator", "DATABASE_PASSWORD")
    version = "20261204093000"
    first = L.lines([
        (begun + timedelta(seconds=3), "2026/12/05 09:28:03 20261204090000/u add_invoice_due_date (41.8ms)"),
        (begun + timedelta(seconds=4), "error: migration failed: CREATE INDEX CONCURRENTLY cannot run inside a "
                                       "transaction block in line 0: BEGIN;\nCREATE INDEX CONCURRENTLY "
                                       "idx_invoices_customer_due ON invoices (customer_id, due_date);\nCOMMIT;\n "
                                       "(details: pq: CREATE INDEX CONCURRENTLY cannot run inside a transaction "
                                       "block)")])
    span = (at - timedelta(seconds=30) - begun) / 3
    retry = [L.lines([(begun + span * m + timedelta(seconds=3),
                       f"error: Dirty database version {version}. Fix and force version.")]) for m in (1, 2)]
    job(inc, "billing", "billing-schema-migrate-0412", f"{REGISTRY}/billing/billing-migrations:2026.12.05.1", begun,
        at - timedelta(seconds=30), False, node(inc, 0), [first, *retry],
        {"helm.sh/hook": "pre-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation"}, attempts=3)
    app(inc, "billing", "billing-api", f"{REGISTRY}/billing/billing-api:11.2.0", 3,
        env=env(DATABASE_HOST="billing-db.billing.svc"))
    herring(inc, "billing", "invoice-mailer", f"{REGISTRY}/billing/invoice-mailer", "3.3.0",
            at - timedelta(minutes=25))
    send(inc, [alert(inc, "KubeJobFailed", {"namespace": "billing", "job_name": "billing-schema-migrate-0412",
                                            "job": "kube-state-metrics"},
                     "Job failed to complete.",
                     "Job billing/billing-schema-migrate-0412 failed to complete. Removing failed job after "
                     "investigation should clear this alert.",
                     'kube_job_failed{job="kube-state-metrics"} > 0')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Job", "billing", "billing-schema-migrate-0412"),
                   keywords=["CONCURRENTLY", "transaction block", "dirty"],
                   root_cause="The migration Job's new migration runs CREATE INDEX CONCURRENTLY inside BEGIN/COMMIT; "
                              "PostgreSQL refuses it in a transaction block, golang-migrate marks version "
                              "20261204093000 dirty, and the retries stop on 'Dirty database version' until the "
                              "Job hits its backoff limit.",
                   category="concurrent-index-inside-migration-transaction",
                   red_herrings=[("Deployment", "billing", "invoice-mailer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 8, 58, tzinfo=UTC)


def fraud_feature_builder_crashloop() -> Incident:
    """A consumer release moves to a new Kafka group.id with auto.offset.reset=none: no committed offsets, so
    the consumer throws NoOffsetForPartitionException at start (simple).

    after: stream-processing incidents where a "safe" reset policy of none meets a brand-new consumer group and
    every new pod dies on start, the rollout stalling with the old pods still consuming.

    fraud-feature-builder's revision 23 (18 minutes before) sets KAFKA_GROUP_ID to fraud-feature-builder-v2
    and KAFKA_AUTO_OFFSET_RESET=none; the new pod crash-loops with NoOffsetForPartitionException. The red
    herring is a risk-rules rollout.
    """
    at, chg = AT12, AT12 - timedelta(minutes=18)
    inc = start(fraud_feature_builder_crashloop, "fraud-feature-builder pod crash looping", at, 3312, ("risk",))
    plant(inc, "risk", "fraud-feature-builder-kafka", "password", "ffb-scram", "sasl.jaas.password")

    def builder(pod: str, s: datetime, e: datetime) -> Lines:
        stamp = lambda t: f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d}"  # noqa: E731
        return [
            (s, f"{stamp(s)} INFO  [main] o.a.k.c.c.KafkaConsumer - [Consumer clientId=fraud-feature-builder-v2-0, "
                "groupId=fraud-feature-builder-v2] Subscribed to topic(s): card-authorizations"),
            (s + timedelta(seconds=2), f"{stamp(s)} INFO  [main] o.a.k.c.c.i.ConsumerCoordinator - [Consumer "
                "clientId=fraud-feature-builder-v2-0, groupId=fraud-feature-builder-v2] Found no committed offset "
                "for partition card-authorizations-0"),
            (s + timedelta(seconds=2, milliseconds=40), (
                f"{stamp(s)} ERROR [main] c.acme.risk.features.Main - consumer loop failed, exiting\n"
                "org.apache.kafka.clients.consumer.NoOffsetForPartitionException: Undefined offset with no reset "
                "policy for partitions: [card-authorizations-0, card-authorizations-1, card-authorizations-2, "
                "card-authorizations-3]\n"
                "\tat org.apache.kafka.clients.consumer.internals.SubscriptionState.resetInitializingPositions("
                "SubscriptionState.java:775)\n"
                "\tat org.apache.kafka.clients.consumer.internals.OffsetFetcher.resetPositionsIfNeeded("
                "OffsetFetcher.java:100)\n"
                "\tat org.apache.kafka.clients.consumer.KafkaConsumer.poll(KafkaConsumer.java:1237)\n"
                "\tat com.acme.risk.features.FeatureLoop.run(FeatureLoop.kt:58)"))]
    old = env(KAFKA_BOOTSTRAP="risk-kafka-bootstrap.risk.svc:9093", KAFKA_GROUP_ID="fraud-feature-builder",
              KAFKA_AUTO_OFFSET_RESET="latest")
    new = env(KAFKA_BOOTSTRAP="risk-kafka-bootstrap.risk.svc:9093", KAFKA_GROUP_ID="fraud-feature-builder-v2",
              KAFKA_AUTO_OFFSET_RESET="none")
    wl = inc.deployment("risk", "fraud-feature-builder",
                        [Rev(22, inc.born + timedelta(days=18), "helm upgrade",
                             [c("builder", f"{REGISTRY}/risk/fraud-feature-builder:4.6.1", env=old)]),
                         Rev(23, chg, "helm upgrade",
                             [c("builder", f"{REGISTRY}/risk/fraud-feature-builder:4.7.0", env=new)])],
                        {22: [P(), P(), P()], 23: [P(state="crashloop", log=within(builder), run_s=lambda n: 9.0)]},
                        progress="progressing", replicas=4)
    inc.pod_series(wl.pods)
    crashing = next(h.name for h in wl.pods if h.restart_times)
    herring(inc, "risk", "risk-rules", f"{REGISTRY}/risk/risk-rules", "9.1.0", at - timedelta(minutes=31))
    send(inc, [alert(inc, "KubePodCrashLooping", {"namespace": "risk", "pod": crashing, "container": "builder",
                                                  "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod risk/{crashing} (builder) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "risk", "fraud-feature-builder"),
                   keywords=["auto.offset.reset", "NoOffsetForPartitionException", "group"],
                   root_cause="fraud-feature-builder's revision 23 switched to a new consumer group "
                              "(fraud-feature-builder-v2) with KAFKA_AUTO_OFFSET_RESET=none (auto.offset.reset); "
                              "the group has no "
                              "committed offsets, so the consumer throws NoOffsetForPartitionException at start and "
                              "the new pod crash-loops.",
                   category="new-consumer-group-with-offset-reset-none",
                   red_herrings=[("Deployment", "risk", "risk-rules")])
    return inc


ALL = [refund_api_connection_errors_page, inventory_db_wal_archive_failing, shipping_labels_stalled_grouped,
       statement_downloads_burn, clickstream_ingest_rejected, profile_api_errors_question, order_exports_failing_page,
       node_iowait_high_question, product_search_errors, events_mongo_crashlooping, billing_schema_migrate_failed,
       fraud_feature_builder_crashloop]
