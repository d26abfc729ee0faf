"""Round 43 of the held-out incident set: cloud and third-party dependencies seen from inside the cluster.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit where a cluster meets the cloud and its vendors: managed database and cache
parameter groups, a bucket's payment setting, a WAF attached through a shared load balancer, an egress
allow-list of a SaaS provider's ranges, an S3 endpoint in the wrong region, an instance's network
allowance, a registry token refresher, a managed database's connection limit, an identity provider's
secret rotation, a load balancer's TLS policy and an EC2 service quota. Most pages are on the applications
they hurt; about a third are simple (the cause is in the paged object's own spec, events or logs). Log
lines follow the real software's formats.
"""

from __future__ import annotations

import base64
import hashlib
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

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    gomillis,
    herring,
    node,
    plant,
    pod_log,
    ramp,
    rolled,
    send,
    series,
    start,
    step,
    within,
    workload,
)

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning", source: dict[str, str] | None = None) -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent); `source` are the external labels of the rule evaluator."""
    full = {"alertname": name, **labels, "severity": severity, **(PROM if source is None else source)}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7, first: str = "argocd-controller") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by `first` and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, (first, "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 10, tzinfo=UTC)
def ack(arn: str, account: str, synced: datetime) -> dict[str, Any]:
    """An AWS Controllers for Kubernetes resource's status: its ARN, owner account and sync condition."""
    return {"ackResourceMetadata": {"arn": arn, "ownerAccountID": account, "region": "eu-west-1"},
            "conditions": [{"type": "ACK.ResourceSynced", "status": "True", "lastTransitionTime": ts(synced),
                            "message": "Resource synced successfully", "reason": ""}]}


def crossplane(synced: datetime) -> dict[str, Any]:
    """A Crossplane managed resource's status: Ready and Synced, as the provider leaves them."""
    return {"conditions": [{"type": "Ready", "status": "True", "reason": "Available",
                            "lastTransitionTime": ts(synced - timedelta(days=30))},
                           {"type": "Synced", "status": "True", "reason": "ReconcileSuccess",
                            "lastTransitionTime": ts(synced)}]}


def job(inc: Incident, ns: str, name: str, container: dict[str, Any], started: datetime,
        finished: datetime | None, failed: bool = False, owner: str | None = None) -> dict[str, Any]:
    """A Job and its run: active, completed, or failed at its backoff limit."""
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": ts(started),
                            "labels": {"batch.kubernetes.io/job-name": name, "job-name": name}}
    if owner:
        meta["ownerReferences"] = [o.owner_ref("CronJob", owner, ns, "batch/v1")]
    status: dict[str, Any] = {"startTime": ts(started)}
    if finished is None:
        status.update({"active": 1, "ready": 1})
    elif failed:
        status.update({"failed": 1, "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit", "lastTransitionTime": ts(finished)}]})
    else:
        status.update({"succeeded": 1, "completionTime": ts(finished), "conditions": [
            {"type": "Complete", "status": "True", "lastTransitionTime": ts(finished)}]})
    return inc.add({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                    "spec": {"backoffLimit": 0 if failed else 6, "completions": 1, "parallelism": 1,
                             "template": {"metadata": {"labels": {"job-name": name}},
                                          "spec": {"restartPolicy": "Never", "containers": [container]}}},
                    "status": status})


def cronjob(inc: Incident, ns: str, name: str, schedule: str, container: dict[str, Any],
            last: datetime, *changes: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """A CronJob last scheduled at `last`, with the managedFields of whoever changed it."""
    obj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                   "metadata": {"name": name, "namespace": ns, "generation": 4, "labels": {"app": name}},
                   "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "suspend": False,
                            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                            "jobTemplate": {"spec": {"backoffLimit": 2, "template": {
                                "metadata": {"labels": {"app": name}},
                                "spec": {"restartPolicy": "OnFailure", "containers": [container]}}}}},
                   "status": {"lastScheduleTime": ts(last)}})
    return changed(obj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}), *changes)


def lb_status(hostname: str) -> dict[str, Any]:
    return {"loadBalancer": {"ingress": [{"hostname": hostname}]}}


def job_pod(inc: Incident, ns: str, job_name: str, container: o.Container, started: datetime,
            make: Callable[[str, datetime, datetime], Lines], node_name: str,
            failed_at: datetime | None = None) -> PodHistory:
    """The pod of a Job on `node_name`: running, or failed at `failed_at` (restartPolicy Never)."""
    name = f"{job_name}-{o.suffix(job_name + '/pod', 5)}"
    h = PodHistory(name=name, namespace=ns, workload=job_name, containers=[container], node=node_name,
                   created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=4))],
                   labels={"job-name": job_name, "batch.kubernetes.io/job-name": job_name},
                   owner=o.owner_ref("Job", job_name, ns, "batch/v1"))
    h.logs[container.name] = within(make)(name, started, failed_at or inc.captured)
    if failed_at:
        h.memory = None
        inc.cluster.patch(ns, name, terminated(1, "Error", started + timedelta(seconds=4), failed_at))
    inc.cluster.add_pod(h)
    return h


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 40, tzinfo=UTC)
PG_HOST = "shipping-db.c7kq2mxe9abd.eu-west-1.rds.amazonaws.com"


def shipping_quotes_failing_page() -> Incident:
    """RDS parameter group sets `rds.force_ssl=1`; the quoter connects with `sslmode=disable`: new connections refused.

    after: the managed-PostgreSQL hardening change many teams make from a security finding: forcing TLS in
    the instance's parameter group is dynamic on PostgreSQL 15, so nothing reboots and pooled connections
    keep working; only as the pool recycles do new connections fail with the server's "no pg_hba.conf entry
    ... no encryption" from a client that still disables TLS.
    """
    inc = start(shipping_quotes_failing_page, "Shipping quotes failing at checkout", AT1, 4301,
                namespaces=("shipping", "platform-aws"))
    chg = AT1 - timedelta(minutes=31)
    plant(inc, "shipping", "rate-quoter-db", "password", "quoter-db", "password")
    db_ip = "10.40.12.87"

    def quoter_at(ip: str) -> Callable[[str, datetime, datetime], Lines]:
        return lambda pod, s, e: quoter(pod, ip, s, e)

    def quoter(pod: str, ip: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, L.pylog(s, "INFO", "gunicorn.error", "Booting worker with pid: 8"))]

        def line(i: int, t: datetime) -> str | None:
            failing = t > chg + timedelta(minutes=4) and (i % 3 != 0 or t > AT1)
            if failing and i % 2 == 0:
                return (L.pylog(t, "ERROR", "rate_quoter.api", f"quote {L.uuidish(pod, i)[:8]} failed") + "\n"
                        "Traceback (most recent call last):\n"
                        '  File "/usr/local/lib/python3.12/site-packages/sqlalchemy/engine/base.py", line 146, in '
                        "__init__\n    self._dbapi_connection = engine.raw_connection()\n"
                        '  File "/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py", line 122, in connect'
                        "\n    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)\n"
                        f'sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "'
                        f'{PG_HOST}" ({db_ip}), port 5432 failed: FATAL:  no pg_hba.conf entry for host "{ip}", '
                        'user "quoter", database "shipping", no encryption\n\n'
                        "(Background on this error at: https://sqlalche.me/e/20/e3q8)")
            code = 500 if failing and i % 2 == 0 else 200
            return (f'10.244.{1 + i % 4}.{30 + i % 7} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] '
                    f'"POST /v1/quotes HTTP/1.1" {code} '
                    f'{88 if code == 500 else 412} "-" "checkout/4.2 python-requests/2.32.3"')
        return out + every(s, e, 7, line)

    env = [{"name": "PGHOST", "value": PG_HOST}, {"name": "PGDATABASE", "value": "shipping"},
           {"name": "PGUSER", "value": "quoter"}, {"name": "PGSSLMODE", "value": "disable"},
           {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "rate-quoter-db", "key": "password"}}},
           {"name": "SQLALCHEMY_POOL_RECYCLE", "value": "900"}]
    wl = workload(inc, "shipping", "rate-quoter", quoter_at("10.244.0.1"), replicas=3, env=env)
    for h in wl.pods:  # the server names each client by its own pod address
        pod_log(h, "rate-quoter", quoter_at(inc.cluster.pod_ip(h)), h.created, inc.captured)
    herring(inc, "shipping", "label-printer", f"{REGISTRY}/shipping/label-printer", "1.8.0", "1.9.0",
            AT1 - timedelta(minutes=18))
    group = custom(inc, "DBParameterGroup", "rds.services.k8s.aws/v1alpha1", "dbparametergroups", "platform-aws",
                   "shipping-pg15",
                   {"name": "shipping-pg15", "family": "postgres15",
                    "description": "shipping database parameters (managed by platform-aws)",
                    "parameterOverrides": {"log_min_duration_statement": "500",
                                           "shared_preload_libraries": "pg_stat_statements",
                                           "rds.force_ssl": "1"},
                    "tags": [{"key": "team", "value": "shipping"}]},
                   ack("arn:aws:rds:eu-west-1:111122223333:pg:shipping-pg15", "111122223333", chg),
                   "kubectl-client-side-apply", chg,
                   {"f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}},
                    "f:spec": {"f:parameterOverrides": {"f:rds.force_ssl": {}}}})
    group["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
        {"apiVersion": "rds.services.k8s.aws/v1alpha1", "kind": "DBParameterGroup",
         "metadata": {"name": "shipping-pg15", "namespace": "platform-aws"}, "spec": group["spec"]},
        separators=(",", ":"))}
    custom(inc, "DBInstance", "rds.services.k8s.aws/v1alpha1", "dbinstances", "platform-aws", "shipping-db",
           {"dbInstanceIdentifier": "shipping-db", "dbInstanceClass": "db.r6g.large", "engine": "postgres",
            "engineVersion": "15.8", "dbParameterGroupName": "shipping-pg15", "allocatedStorage": 200,
            "multiAZ": True, "storageEncrypted": True, "autoMinorVersionUpgrade": False},
           {**ack("arn:aws:rds:eu-west-1:111122223333:db:shipping-db", "111122223333", inc.born),
            "dbInstanceStatus": "available", "endpoint": {"address": PG_HOST, "port": 5432},
            "dbParameterGroups": [{"dbParameterGroupName": "shipping-pg15", "parameterApplyStatus": "in-sync"}]},
           "ack-rds-controller", inc.born + timedelta(days=20), {"f:status": {}}, generation=3)
    series(inc, "http_requests_total", "counter", "Requests served.",
           {"namespace": "shipping", "service": "rate-quoter", "code": "500"},
           counter(AT1 - timedelta(hours=2), 0.0, 1.9, chg + timedelta(minutes=4)))
    series(inc, "http_requests_total", "counter", "Requests served.",
           {"namespace": "shipping", "service": "rate-quoter", "code": "200"},
           counter(AT1 - timedelta(hours=2), 6.4, 3.1, chg + timedelta(minutes=4)))
    series(inc, "aws_rds_database_connections_average", "gauge", "CloudWatch metric AWS/RDS DatabaseConnections",
           {"job": "yace", "dimension_DBInstanceIdentifier": "shipping-db"},
           lambda t: 42.0 if t < chg else max(6.0, 42.0 - (t - chg).total_seconds() / 60))
    inc.pagerduty("Shipping quotes failing: rate-quoter 5xx above 20% (checkout falls back to flat rate)",
                  "Shipping")
    inc.answer_key(culprit=("DBParameterGroup", "platform-aws", "shipping-pg15"),
                   keywords=["force_ssl", "sslmode", "no encryption"],
                   root_cause="The ACK DBParameterGroup shipping-pg15 was applied with rds.force_ssl=1; the change is "
                              "dynamic, so the shipping-db instance began refusing connections without TLS. "
                              "rate-quoter connects with PGSSLMODE=disable (sslmode disable): as its pool recycles, "
                              "every new connection fails with 'no pg_hba.conf entry ... no encryption' and quotes "
                              "return 500.",
                   category="rds-parameter-group-forces-tls",
                   red_herrings=[("Deployment", "shipping", "label-printer")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 19, 5, tzinfo=UTC)
REDIS_HOST = "master.sessions.x3k9pq.euw1.cache.amazonaws.com"


def login_errors_burn() -> Incident:
    """Shared ElastiCache parameter group set to `maxmemory-policy noeviction` for a queue: session writes get OOM.

    after: the recurring clash between a cache and a queue on one managed Redis: BullMQ (like Sidekiq) warns
    that the eviction policy should be noeviction, someone changes the shared parameter group to silence it,
    and the session cache that lived on evictions now refuses every write once memory is full.
    """
    inc = start(login_errors_burn, "Login error budget burning", AT2, 4302, namespaces=("identity", "jobs"))
    chg = AT2 - timedelta(minutes=14)
    plant(inc, "identity", "session-signing", "token", "session-signing", "SESSION_SECRET")

    def sessions(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            rid = L.uuidish(pod, i)
            if t > chg + timedelta(seconds=40) and i % 3 != 2:
                return json.dumps({"level": 50, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                                   "reqId": rid, "err": {"type": "ReplyError",
                                                         "message": "OOM command not allowed when used memory > "
                                                                    "'maxmemory'.",
                                                         "stack": "ReplyError: OOM command not allowed when used "
                                                                  "memory > 'maxmemory'.\n    at parseError "
                                                                  "(/app/node_modules/redis-parser/lib/parser.js:179:12)",
                                                         "command": {"name": "set",
                                                                     "args": [f"sess:{rid[:12]}", "[object]", "EX",
                                                                              "86400"]}},
                                   "msg": "failed to persist session"}, separators=(",", ":"))
            return json.dumps({"level": 30, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                               "reqId": rid, "req": {"method": "POST", "url": "/login"},
                               "res": {"statusCode": 302}, "responseTime": 38 + i % 17, "msg": "request completed"},
                              separators=(",", ":"))
        return every(s, e, 5, line)

    def queue(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, "IMPORTANT! Eviction policy is volatile-lru. It should be \"noeviction\"")]
        out += every(s, e, 600, lambda i, t: (
            "IMPORTANT! Eviction policy is volatile-lru. It should be \"noeviction\"" if t < chg else
            L.js(t, "info", "worker drained", queue="email", completed=40 + i)))
        return out

    workload(inc, "identity", "session-api", sessions, replicas=3,
             env=[{"name": "REDIS_URL", "value": f"rediss://{REDIS_HOST}:6379"},
                  {"name": "SESSION_SECRET", "valueFrom": {"secretKeyRef": {"name": "session-signing",
                                                                            "key": "SESSION_SECRET"}}}])
    workload(inc, "jobs", "email-jobs", queue, replicas=2,
             env=[{"name": "REDIS_URL", "value": f"rediss://{REDIS_HOST}:6379/2"}])
    herring(inc, "identity", "login-web", f"{REGISTRY}/identity/login-web", "7.3.0", "7.4.0",
            AT2 - timedelta(minutes=26))
    params = custom(inc, "ParameterGroup", "elasticache.aws.upbound.io/v1beta1", "parametergroups", "",
                    "sessions-redis7",
                    {"forProvider": {"region": "eu-west-1", "family": "redis7",
                                     "description": "shared sessions and queues",
                                     "parameter": [{"name": "maxmemory-policy", "value": "noeviction"},
                                                   {"name": "timeout", "value": "300"}]},
                     "providerConfigRef": {"name": "default"}, "deletionPolicy": "Delete"},
                    {**crossplane(chg + timedelta(seconds=20)),
                     "atProvider": {"arn": "arn:aws:elasticache:eu-west-1:111122223333:parametergroup:sessions-redis7",
                                    "id": "sessions-redis7"}},
                    "kubectl-edit", chg, {"f:spec": {"f:forProvider": {"f:parameter": {}}}},
                    scope="Cluster", generation=5)
    params["metadata"]["annotations"] = {"crossplane.io/external-name": "sessions-redis7"}
    custom(inc, "ReplicationGroup", "elasticache.aws.upbound.io/v1beta1", "replicationgroups", "", "sessions",
           {"forProvider": {"region": "eu-west-1", "engine": "redis", "engineVersion": "7.1",
                            "nodeType": "cache.r7g.large", "numCacheClusters": 2,
                            "parameterGroupName": "sessions-redis7", "transitEncryptionEnabled": True,
                            "automaticFailoverEnabled": True},
            "providerConfigRef": {"name": "default"}},
           {**crossplane(inc.born + timedelta(days=9)), "atProvider": {"primaryEndpointAddress": REDIS_HOST}},
           "argocd-controller", inc.born + timedelta(days=9), {"f:spec": {}}, scope="Cluster", generation=2)
    series(inc, "aws_elasticache_evictions_sum", "gauge", "CloudWatch metric AWS/ElastiCache Evictions",
           {"job": "yace", "dimension_CacheClusterId": "sessions-001"},
           lambda t: 310.0 + (t.minute % 7) * 9 if t < chg else 0.0)
    series(inc, "aws_elasticache_database_memory_usage_percentage_average", "gauge",
           "CloudWatch metric AWS/ElastiCache DatabaseMemoryUsagePercentage",
           {"job": "yace", "dimension_CacheClusterId": "sessions-001"}, lambda t: 99.0 if t < chg else 100.0)
    series(inc, "http_requests_total", "counter", "Requests served.",
           {"namespace": "identity", "service": "session-api", "code": "500"},
           counter(AT2 - timedelta(hours=2), 0.01, 5.2, chg))
    inc.slo_burn("session-api", "identity", "login-availability", "0.999", 41.0,
                 "More than 60% of POST /login requests return 5xx over the last 5m and 1h windows.")
    inc.answer_key(culprit=("ParameterGroup", "", "sessions-redis7"),
                   keywords=["noeviction", "parameter group", "maxmemory"],
                   root_cause="The cluster-scoped Crossplane ElastiCache ParameterGroup (parameter group) "
                              "sessions-redis7, shared by the "
                              "sessions ReplicationGroup and the BullMQ email queue, was edited to maxmemory-policy "
                              "noeviction to silence BullMQ's warning. The cache runs at maxmemory and relied on "
                              "evictions; now every session SET fails with 'OOM command not allowed when used memory "
                              "> maxmemory' and logins return 500.",
                   category="cache-parameter-group-stops-eviction",
                   red_herrings=[("Deployment", "identity", "login-web")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 7, 20, tzinfo=UTC)


def partner_feed_import_stale() -> Incident:
    """An S3 bucket switched to Requester Pays: a reader in another account gets 403 without the request-payer header.

    after: the data-sharing cost change that breaks consumers quietly: the bucket owner turns on Requester
    Pays to stop paying for partners' transfer, and every cross-account GET or LIST that does not send
    x-amz-request-payer is denied, while the owner's own account keeps reading fine.
    """
    inc = start(partner_feed_import_stale, "Partner feed import stale", AT3, 4303,
                namespaces=("catalog-ingest", "data-platform"))
    chg = AT3 - timedelta(minutes=52)
    plant(inc, "catalog-ingest", "feed-importer-api", "aws-secret", "feed-importer", "sftp-fallback-key")
    ns_obj = inc.find("Namespace", "", "data-platform")
    ns_obj["metadata"]["annotations"] = {"services.k8s.aws/owner-account-id": "444455556666"}

    def importer(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg:
                return L.spring(t, "INFO", "c.a.c.ingest.FeedPoller",
                                f"Imported s3://acme-partner-feeds/daily/{t:%Y%m%d}/offers-{t:%H%M}.csv.gz "
                                f"({1800 + i % 90} rows)", thread="scheduling-1")
            rid = L.uuidish(pod, i).replace("-", "")[:16].upper()
            return L.spring(t, "ERROR", "c.a.c.ingest.FeedPoller", "Feed poll failed\n"
                            "software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, "
                            f"Status Code: 403, Request ID: {rid}, Extended Request ID: "
                            f"{L.uuidish(pod, i + 7).replace('-', '')}=)\n"
                            "\tat software.amazon.awssdk.services.s3.DefaultS3Client.listObjectsV2("
                            "DefaultS3Client.java:7541)\n"
                            "\tat com.acme.catalog.ingest.FeedPoller.poll(FeedPoller.java:88)",
                            thread="scheduling-1")
        return every(s, e, 120, line)

    importer_wl = workload(inc, "catalog-ingest", "feed-importer", importer, replicas=1,
             env=[{"name": "FEED_BUCKET", "value": "acme-partner-feeds"},
                  {"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/catalog-feed-importer"}])
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "feed-importer", "namespace": "catalog-ingest", "annotations": {
                 "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/catalog-feed-importer"}}})
    importer_wl.obj["spec"]["template"]["spec"]["serviceAccountName"] = "feed-importer"
    for h in importer_wl.pods:
        inc.cluster.patch("catalog-ingest", h.name, lambda pod: pod["spec"].update(
            {"serviceAccountName": "feed-importer", "serviceAccount": "feed-importer"}))
    herring(inc, "catalog-ingest", "catalog-indexer", f"{REGISTRY}/catalog-ingest/catalog-indexer", "2.2.1", "2.3.0",
            AT3 - timedelta(minutes=35))
    custom(inc, "Bucket", "s3.services.k8s.aws/v1alpha1", "buckets", "data-platform", "acme-partner-feeds",
           {"name": "acme-partner-feeds", "versioning": {"status": "Enabled"},
            "requestPayment": {"payer": "Requester"},
            "publicAccessBlock": {"blockPublicACLs": True, "blockPublicPolicy": True,
                                  "ignorePublicACLs": True, "restrictPublicBuckets": True},
            "tagging": {"tagSet": [{"key": "cost-center", "value": "data-platform"}]}},
           {**ack("arn:aws:s3:::acme-partner-feeds", "444455556666", chg + timedelta(seconds=9)),
            "location": "http://acme-partner-feeds.s3.amazonaws.com/"},
           "kubectl-edit", chg, {"f:spec": {"f:requestPayment": {".": {}, "f:payer": {}}}})
    series(inc, "feed_import_last_success_timestamp_seconds", "gauge", "Unix time of the last imported feed file.",
           {"namespace": "catalog-ingest", "job": "feed-importer", "feed": "offers"},
           lambda t: float(int(min(t, chg).timestamp()) // 120 * 120))
    series(inc, "feed_import_failures_total", "counter", "Failed polls.",
           {"namespace": "catalog-ingest", "job": "feed-importer", "feed": "offers"},
           counter(AT3 - timedelta(hours=2), 0.0, 1 / 120, chg))
    send(inc, [alert(inc, "PartnerFeedImportStale", {"namespace": "catalog-ingest", "job": "feed-importer",
                                                      "feed": "offers", "team": "catalog"},
                     "Partner offers feed not imported for 45 minutes",
                     "feed-importer has not imported an offers file since 06:28; prices shown may be stale.",
                     "time() - feed_import_last_success_timestamp_seconds{feed=\"offers\"} > 2700",
                     severity="critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Bucket", "data-platform", "acme-partner-feeds"),
                   keywords=["requester pays", "requestpayment", "request-payer"],
                   root_cause="The ACK Bucket acme-partner-feeds (owned by account 444455556666 through the "
                              "data-platform namespace) was edited to requestPayment payer Requester (Requester Pays). "
                              "feed-importer reads it cross-account with role 111122223333 and does not send the "
                              "x-amz-request-payer header, so every ListObjectsV2/GetObject is denied with 403 and the "
                              "feed import stops.",
                   category="bucket-requester-pays-cross-account",
                   red_herrings=[("Deployment", "catalog-ingest", "catalog-indexer")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 13, 55, tzinfo=UTC)
ALB = "k8s-public-5e1c93a0d7"
WEB_ACL = "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/marketing-baseline/7d1f0c2e-4b8a-4e0f-9a51-2c6d8e3f1a90"


def _ingress(inc: Incident, ns: str, name: str, host: str, service: str, annotations: dict[str, str],
             created: datetime) -> dict[str, Any]:
    """An Ingress of the shared `public` ALB group (aws-load-balancer-controller)."""
    return inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(created), "generation": 3,
                                 "annotations": {"alb.ingress.kubernetes.io/group.name": "public",
                                                 "alb.ingress.kubernetes.io/scheme": "internet-facing",
                                                 "alb.ingress.kubernetes.io/target-type": "ip",
                                                 **annotations}},
                    "spec": {"ingressClassName": "alb",
                             "rules": [{"host": host, "http": {"paths": [
                                 {"path": "/", "pathType": "Prefix",
                                  "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]},
                    "status": lb_status(f"{ALB}-1093847562.eu-west-1.elb.amazonaws.com")})


def photo_uploads_failing_grouped() -> Incident:
    """A WAF web ACL annotated on one Ingress of a shared ALB group covers the whole ALB: its size rule blocks uploads.

    after: the AWS Load Balancer Controller behaviour that surprises teams sharing an IngressGroup: the
    wafv2-acl-arn annotation is a load-balancer attribute, so one team attaching the managed core rule set
    to its site puts every host of the group behind it, and request bodies over 8 KB are answered 403 by
    the WAF before they ever reach the upload service.
    """
    inc = start(photo_uploads_failing_grouped, "Photo uploads failing", AT4, 4304,
                namespaces=("media", "marketing"))
    chg = AT4 - timedelta(minutes=24)
    plant(inc, "media", "upload-signing", "aws", "media-uploads", "AWS_ACCESS_KEY_ID")

    def uploads(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            big = i % 2 == 0
            if big and t > chg + timedelta(seconds=30):
                return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z info: Microsoft.AspNetCore.Hosting."
                        f"Diagnostics[2] Request finished HTTP/1.1 GET http://media.shop.example.com/v1/uploads/"
                        f"{L.uuidish(pod, i)[:8]}/status - 200 64 application/json {3 + i % 5}.1022ms")
            if big:
                return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z info: Microsoft.AspNetCore.Hosting."
                        f"Diagnostics[2] Request finished HTTP/1.1 POST http://media.shop.example.com/v1/uploads "
                        f"- 201 212 application/json {180 + i % 60}.4410ms")
            return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z info: Microsoft.AspNetCore.Hosting."
                    f"Diagnostics[2] Request finished HTTP/1.1 GET http://media.shop.example.com/v1/albums - 200 "
                    f"1873 application/json {9 + i % 7}.2301ms")
        return every(s, e, 9, line)

    workload(inc, "media", "upload-api", uploads, replicas=2)
    inc.service("media", "upload-api", {"app": "upload-api"})
    herring(inc, "media", "thumbnailer", f"{REGISTRY}/media/thumbnailer", "3.0.4", "3.1.0",
            AT4 - timedelta(minutes=40))
    _ingress(inc, "media", "upload-api", "media.shop.example.com", "upload-api",
             {"alb.ingress.kubernetes.io/group.order": "20"}, inc.born + timedelta(days=8))
    site = _ingress(inc, "marketing", "marketing-site", "www.shop.example.com", "marketing-site",
                    {"alb.ingress.kubernetes.io/group.order": "10",
                     "alb.ingress.kubernetes.io/wafv2-acl-arn": WEB_ACL}, inc.born + timedelta(days=3))
    changed(site, ("argocd-controller", "Apply", inc.born + timedelta(days=3), {"f:spec": {}}),
            ("kubectl-annotate", "Update", chg,
             {"f:metadata": {"f:annotations": {"f:alb.ingress.kubernetes.io/wafv2-acl-arn": {}}}}))

    def controller(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            return json.dumps({"level": "info", "ts": gomillis(t), "logger": "controllers.ingress",
                               "msg": "successfully deployed model", "ingressGroup": "public"},
                              separators=(",", ":")) if i % 10 == 0 else None
        out = every(s, e, 60, line)
        out += [(chg + timedelta(seconds=3), json.dumps(
                    {"level": "info", "ts": gomillis(chg + timedelta(seconds=3)), "logger": "controllers.ingress",
                     "msg": "creating WAFv2 WebACL association", "resourceARN":
                     f"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/{ALB}/9c1e4a7b2d3f6e80",
                     "webACLARN": WEB_ACL}, separators=(",", ":"))),
                (chg + timedelta(seconds=4), json.dumps(
                    {"level": "info", "ts": gomillis(chg + timedelta(seconds=4)), "logger": "controllers.ingress",
                     "msg": "successfully deployed model", "ingressGroup": "public"}, separators=(",", ":")))]
        return out

    workload(inc, "kube-system", "aws-load-balancer-controller", controller, replicas=1)

    def site_log(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: f'10.0.{1 + i % 3}.{20 + i % 3} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] '
                     f'"GET /{["", "pricing", "about"][i % 3]} HTTP/1.1" 200 {18231 + i % 40} "-" '
                     '"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"')

    workload(inc, "marketing", "marketing-site", site_log, replicas=2)
    inc.service("marketing", "marketing-site", {"app": "marketing-site"})
    for ing in (site, inc.find("Ingress", "media", "upload-api")):
        inc.event(ing, "SuccessfullyReconciled", "Successfully reconciled", chg + timedelta(seconds=4),
                  warning=False, component="ingress")
    series(inc, "aws_wafv2_blocked_requests_sum", "gauge", "CloudWatch metric AWS/WAFV2 BlockedRequests",
           {"job": "yace", "dimension_WebACL": "marketing-baseline", "dimension_Region": "eu-west-1",
            "dimension_Rule": "AWS-AWSManagedRulesCommonRuleSet"},
           lambda t: None if t < chg else 46.0 + t.minute % 4)
    series(inc, "aws_applicationelb_httpcode_elb_4_xx_count_sum", "gauge",
           "CloudWatch metric AWS/ApplicationELB HTTPCode_ELB_4XX_Count",
           {"job": "yace", "dimension_LoadBalancer": f"app/{ALB}/9c1e4a7b2d3f6e80"},
           step(3.0, 49.0, chg))
    for code, before, after in (("201", 0.55, 0.0), ("200", 1.1, 1.15)):
        series(inc, "http_server_request_duration_seconds_count", "counter", "Duration of HTTP server requests.",
               {"namespace": "media", "service": "upload-api", "http_response_status_code": code},
               counter(AT4 - timedelta(hours=2), before, after, chg))
    media = {"namespace": "media", "team": "media"}
    send(inc, [alert(inc, "UploadsCompletedLow", {**media, "service": "upload-api"},
                     "Completed uploads dropped to zero",
                     "No POST /v1/uploads completed with 201 in the last 15 minutes (normally ~30/min).",
                     'sum(rate(http_server_request_duration_seconds_count{service="upload-api",'
                     'http_response_status_code="201"}[15m])) == 0', severity="critical"),
               alert(inc, "MobileUploadErrorRate", {**media, "client": "ios"},
                     "iOS app reports upload failures for 71% of attempts",
                     "Client telemetry: upload attempts ending in HTTP 403.",
                     'sum(rate(app_upload_attempts_total{result="http_403"}[10m])) / '
                     'sum(rate(app_upload_attempts_total[10m])) > 0.1'),
               alert(inc, "ALBHigh4xxRate", {**media, "load_balancer": ALB},
                     f"Load balancer {ALB} returns many 4xx of its own",
                     "HTTPCode_ELB_4XX_Count is above 20/min.",
                     f'aws_applicationelb_httpcode_elb_4_xx_count_sum{{dimension_LoadBalancer=~"app/{ALB}/.*"}} > 20')],
         ["namespace"])
    inc.answer_key(culprit=("Ingress", "marketing", "marketing-site"),
                   keywords=["wafv2-acl-arn", "web acl", "ingressgroup"],
                   root_cause="The marketing-site Ingress was annotated with alb.ingress.kubernetes.io/wafv2-acl-arn "
                              "(web ACL marketing-baseline with the AWS managed core rule set). It belongs to the "
                              "shared "
                              "ALB IngressGroup 'public' with media's upload-api Ingress, and a WAF association is per "
                              "load balancer: the rule set's 8 KB body-size rule now blocks every photo upload with "
                              "403 at the ALB, before upload-api sees it.",
                   category="shared-alb-waf-blocks-uploads",
                   red_herrings=[("Deployment", "media", "thumbnailer")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 10, 45, tzinfo=UTC)


def reset_emails_question() -> Incident:
    """An egress NetworkPolicy regenerated from a stale list of the email provider's ranges: sends time out.

    after: the allow-listing of a SaaS API by IP that breaks when the vendor's published ranges move on:
    a security team regenerates the egress policy from an old copy of the list, the API's addresses are no
    longer in it, and the mail sender's HTTPS calls hang until their dial timeout while the outbox grows.
    """
    inc = start(reset_emails_question, "", AT5, 4305, namespaces=("notify",))
    chg = AT5 - timedelta(minutes=47)
    plant(inc, "notify", "sendgrid-api", "token", "sendgrid", "SENDGRID_API_KEY", "SG.{}")
    api_ips = ["149.72.123.24", "149.72.154.232", "149.72.134.64"]

    def sender(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg:
                return json.dumps({"time": gomillis(t), "level": "INFO", "msg": "mail sent", "provider": "sendgrid",
                                   "template": ["password-reset", "order-confirmation"][i % 2], "status": 202,
                                   "duration_ms": 140 + i % 60}, separators=(",", ":"))
            ip = api_ips[i % 3]
            return json.dumps({"time": gomillis(t), "level": "ERROR", "msg": "send failed", "provider": "sendgrid",
                               "template": ["password-reset", "order-confirmation"][i % 2], "attempt": 1 + i % 3,
                               "err": f'Post "https://api.sendgrid.com/v3/mail/send": dial tcp {ip}:443: i/o timeout'},
                              separators=(",", ":"))
        return every(s, e, 20, line)

    workload(inc, "notify", "mail-sender", sender, replicas=2,
             env=[{"name": "SENDGRID_API_KEY", "valueFrom": {"secretKeyRef": {"name": "sendgrid-api",
                                                                              "key": "SENDGRID_API_KEY"}}}])
    ranges = ["167.89.0.0/17", "168.245.0.0/17", "198.21.0.0/21", "50.31.32.0/19"]
    policy: dict[str, Any] = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "egress-saas", "namespace": "notify", "generation": 6},
              "spec": {"podSelector": {"matchLabels": {"app": "mail-sender"}}, "policyTypes": ["Egress"],
                       "egress": [
                           {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name":
                                                                          "kube-system"}},
                                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                           {"to": [{"ipBlock": {"cidr": r}} for r in ranges],
                            "ports": [{"protocol": "TCP", "port": 443}]}]}}
    policy["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(policy, separators=(",", ":")),
        "security.example.com/generated-by": "egress-gen 0.4 (vendor-ranges/sendgrid.txt)"}
    changed(inc.add(policy), ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=7), {"f:spec": {}}),
            ("kubectl-client-side-apply", "Update", chg,
             {"f:metadata": {"f:annotations": {}}, "f:spec": {"f:egress": {}}}))
    templates = inc.configmap("notify", "mail-templates",
                              {"password-reset.subject": "Reset your password",
                               "password-reset.html": "<p>Hi {{name}}, use the link below within 30 minutes.</p>"},
                              at=inc.born + timedelta(days=2))
    changed(templates, ("kubectl-edit", "Update", AT5 - timedelta(minutes=70), {"f:data": {}}))
    series(inc, "mail_outbox_pending", "gauge", "Messages waiting to be sent.",
           {"namespace": "notify", "job": "mail-sender"}, ramp(4.0, 11.0, chg))
    series(inc, "mail_send_total", "counter", "Send attempts by result.",
           {"namespace": "notify", "job": "mail-sender", "result": "error"},
           counter(AT5 - timedelta(hours=2), 0.0, 0.1, chg))
    series(inc, "mail_send_total", "counter", "Send attempts by result.",
           {"namespace": "notify", "job": "mail-sender", "result": "sent"},
           counter(AT5 - timedelta(hours=2), 0.1, 0.0, chg))
    inc.ask("mail-sender: customers say password reset emails have not arrived since about 10:00. What is going on?")
    inc.answer_key(culprit=("NetworkPolicy", "notify", "egress-saas"),
                   keywords=["ipblock", "egress", "i/o timeout"],
                   root_cause="The NetworkPolicy egress-saas was re-applied (kubectl client-side apply) with egress "
                              "ipBlock CIDRs regenerated from an old copy of SendGrid's ranges; api.sendgrid.com "
                              "now resolves to 149.72.x.x, outside every allowed block, so mail-sender's HTTPS calls "
                              "are dropped and end in 'dial tcp ...:443: i/o timeout' while the outbox grows.",
                   category="egress-allowlist-stale-saas-ranges",
                   red_herrings=[("ConfigMap", "notify", "mail-templates")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)


def monthly_statements_page() -> Incident:
    """A shared `AWS_ENDPOINT_URL_S3` set to another region's endpoint: every PutObject answered 301 PermanentRedirect.

    after: the region-endpoint mix-up behind many S3 outages of a single service: an endpoint override
    meant for a new bucket in another region lands in a ConfigMap other deployments read too; the SDK now
    signs for the wrong region's endpoint, and S3 refuses with PermanentRedirect instead of following it.
    """
    inc = start(monthly_statements_page, "Monthly statements not generated", AT6, 4306, namespaces=("billing",))
    chg = AT6 - timedelta(minutes=33)
    plant(inc, "billing", "statement-signing", "password", "statement-pdf", "PDF_OWNER_PASSWORD")
    endpoints = inc.configmap("billing", "aws-endpoints",
                              {"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_S3": "https://s3.eu-central-1.amazonaws.com",
                               "AWS_ENDPOINT_URL_SQS": "https://sqs.eu-west-1.amazonaws.com"},
                              annotations={"reloader.stakater.com/match": "true"})
    changed(endpoints, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:AWS_ENDPOINT_URL_S3": {}}}))

    def renderer(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            acct = 40_000 + i * 7
            if t < chg + timedelta(minutes=2):
                return json.dumps({"level": "info", "ts": gomillis(t), "caller": "render/upload.go:61",
                                   "msg": "statement stored", "account": acct,
                                   "key": f"statements/2026-11/{acct}.pdf", "bucket": "acme-statements-prod"},
                                  separators=(",", ":"))
            rid = L.uuidish(pod, i).replace("-", "")[:16].upper()
            return json.dumps({"level": "error", "ts": gomillis(t), "caller": "render/upload.go:58",
                               "msg": "store statement", "account": acct, "bucket": "acme-statements-prod",
                               "error": "operation error S3: PutObject, https response error StatusCode: 301, "
                                        f"RequestID: {rid}, HostID: {L.uuidish(pod, i + 3)}, api error "
                                        "PermanentRedirect: The bucket you are attempting to access must be "
                                        "addressed using the specified endpoint. Please send all future requests "
                                        "to this endpoint."}, separators=(",", ":"))
        return every(s, e, 15, line)

    old = c("statement-renderer", f"{REGISTRY}/billing/statement-renderer:5.2.0",
            env=[{"name": "STATEMENT_BUCKET", "value": "acme-statements-prod"}])
    wl = rolled(inc, "billing", "statement-renderer", old, old, chg + timedelta(minutes=1), renderer,
                cause="reloader")
    wl.obj["metadata"]["annotations"]["reloader.stakater.com/auto"] = "true"
    for spec in (wl.obj["spec"]["template"]["spec"],
                 inc.find("ReplicaSet", "billing", wl.rs[2])["spec"]["template"]["spec"],
                 inc.find("ReplicaSet", "billing", wl.rs[1])["spec"]["template"]["spec"]):
        spec["containers"][0]["envFrom"] = [{"configMapRef": {"name": "aws-endpoints"}}]
    reloaded = json.dumps(
        {"type": "CONFIGMAP", "name": "aws-endpoints", "namespace": "billing", "hash": "9f1c2a7e",
         "containerRefs": ["statement-renderer"], "observedAt": int(chg.timestamp()) + 20}, separators=(",", ":"))
    for template in (wl.obj["spec"]["template"], inc.find("ReplicaSet", "billing", wl.rs[2])["spec"]["template"]):
        template["metadata"].setdefault("annotations", {})["reloader.stakater.com/last-reloaded-from"] = reloaded
    herring(inc, "billing", "invoice-api", f"{REGISTRY}/billing/invoice-api", "8.1.2", "8.2.0",
            AT6 - timedelta(minutes=22))
    series(inc, "statements_stored_total", "counter", "Statement PDFs stored.",
           {"namespace": "billing", "job": "statement-renderer"},
           counter(AT6 - timedelta(hours=2), 0.13, 0.0, chg + timedelta(minutes=2)))
    series(inc, "statements_failed_total", "counter", "Statement PDFs that could not be stored.",
           {"namespace": "billing", "job": "statement-renderer"},
           counter(AT6 - timedelta(hours=2), 0.0, 0.13, chg + timedelta(minutes=2)))
    inc.pagerduty("Monthly statement run failing: 0 statements stored in 30 minutes", "Billing statements")
    inc.answer_key(culprit=("ConfigMap", "billing", "aws-endpoints"),
                   keywords=["aws_endpoint_url_s3", "eu-central-1", "permanentredirect"],
                   root_cause="The shared ConfigMap aws-endpoints was edited to AWS_ENDPOINT_URL_S3="
                              "https://s3.eu-central-1.amazonaws.com (meant for a new bucket in another region); "
                              "Reloader restarted statement-renderer with it, and its bucket acme-statements-prod is "
                              "in "
                              "eu-west-1, so every PutObject is answered 301 PermanentRedirect and no statement is "
                              "stored.",
                   category="s3-endpoint-wrong-region",
                   red_herrings=[("Deployment", "billing", "invoice-api")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 4, 2, 12, tzinfo=UTC)


def node_timeouts_question() -> Incident:
    """A nightly S3 sync CronJob raised to 256 workers saturates its node's EC2 network allowance: neighbours time out.

    after: the noisy-neighbour failure EC2's ENA counters exist for: a bulk transfer with a high worker count
    exceeds the instance's outbound bandwidth allowance, the hypervisor queues and drops packets, and every
    other pod on that one node sees timeouts while the same services elsewhere are fine.
    """
    inc = start(node_timeouts_question, "", AT7, 4307, namespaces=("backup", "pricing"))
    chg = AT7 - timedelta(hours=9, minutes=6)
    run = AT7 - timedelta(minutes=12)
    busy = node(inc, 2)
    plant(inc, "backup", "archive-writer", "aws", "media-archive", "AWS_ACCESS_KEY_ID")
    args = ["--numworkers", "256", "sync", "--size-only", "/data/media/", "s3://acme-media-archive/media/"]
    image = "docker.io/peakcom/s5cmd:v2.2.2"
    spec = {"name": "s5cmd", "image": image, "args": args,
            "envFrom": [{"secretRef": {"name": "archive-writer"}}],
            "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}}
    cronjob(inc, "backup", "media-archive-sync", "0 2 * * *", spec, run,
            ("kubectl-edit", "Update", chg,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}))
    job_name = f"media-archive-sync-{int(run.timestamp()) // 60}"
    job(inc, "backup", job_name, spec, run, None, owner="media-archive-sync")

    def s5cmd(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            path = f"2026/12/{3 - i % 2:02d}/{L.uuidish(pod, i)[:13]}.mp4"
            if i % 97 == 50:
                return (f'ERROR "cp /data/media/{path} s3://acme-media-archive/media/{path}": RequestTimeout: Your '
                        "socket connection to the server was not read from or written to within the timeout period.")
            return f"cp /data/media/{path} s3://acme-media-archive/media/{path}"
        return every(s, e, 0.9, line)

    job_pod(inc, "backup", job_name, c("s5cmd", image, cpu_request="500m", memory_request="512Mi",
                                       memory_limit="2Gi", port=None), run, s5cmd, busy)

    def price(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z  INFO price_api::http: "
                     f"request completed method=GET path=/v2/prices/{1000 + i} status=200 latency_ms={4 + i % 6}")

    def price_slow(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < run + timedelta(seconds=40) or i % 3 == 0:
                return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z  INFO price_api::http: request completed "
                        f"method=GET path=/v2/prices/{1000 + i} status=200 latency_ms={5 + i % 5}")
            if i % 3 == 1:
                return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z  WARN price_api::store: redis GET timed out "
                        f'after 250ms key="px:{1000 + i}" '
                        'endpoint="pricing-cache.x3k9pq.euw1.cache.amazonaws.com:6379"')
            return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z ERROR price_api::http: request failed "
                    f"method=GET path=/v2/prices/{1000 + i} status=504 latency_ms=2003 "
                    "error=\"upstream fx-rates: operation timed out\"")
        return every(s, e, 6, line)

    wl = workload(inc, "pricing", "price-api", price, replicas=2, nodes=[busy, node(inc, 0)])
    slow = next(h for h in wl.pods if h.node == busy)
    pod_log(slow, "price-api", price_slow, slow.created, inc.captured)
    herring(inc, "kube-system", "ebs-csi-controller", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver",
            "v1.35.0", "v1.36.0", AT7 - timedelta(minutes=41))
    for i, name in enumerate(inc.node_names()):
        ip = inc.cluster.node_ip(name)
        labels = {"job": "node-exporter", "instance": f"{ip}:9100", "node": name, "device": "eth0"}
        hot = name == busy
        series(inc, "node_ethtool_bw_out_allowance_exceeded", "counter",
               "Network interface bw_out_allowance_exceeded", dict(labels),
               counter(AT7 - timedelta(hours=2), 0.0, 410.0 if hot else 0.0, run + timedelta(seconds=30)))
        series(inc, "node_ethtool_pps_allowance_exceeded", "counter", "Network interface pps_allowance_exceeded",
               dict(labels), counter(AT7 - timedelta(hours=2), 0.0, 37.0 if hot else 0.0, run + timedelta(seconds=30)))
        series(inc, "node_network_transmit_bytes_total", "counter", "Network device statistic transmit_bytes.",
               dict(labels), counter(AT7 - timedelta(hours=2), 2.1e6 + i * 3e5, 1.56e9 if hot else 2.2e6 + i * 3e5,
                                     run + timedelta(seconds=30)))
    inc.ask(f"Since about 02:00 things running on {busy} keep timing out. Is something wrong with that node?")
    inc.answer_key(culprit=("CronJob", "backup", "media-archive-sync"),
                   keywords=["s5cmd", "numworkers", "allowance"],
                   root_cause="The media-archive-sync CronJob was edited the evening before to run s5cmd with "
                              "--numworkers 256; tonight's 02:00 Job landed on this node and its S3 sync saturates the "
                              "instance's network: ENA bw_out_allowance_exceeded and pps_allowance_exceeded climb only "
                              "there, packets are queued and dropped, and the other pods on the node (price-api's "
                              "Redis and upstream calls) time out while the same service on other nodes is fine.",
                   category="ec2-network-allowance-noisy-neighbour",
                   red_herrings=[("Deployment", "kube-system", "ebs-csi-controller")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 19, 35, tzinfo=UTC)
VENDOR_ECR = "210987654321.dkr.ecr.eu-west-1.amazonaws.com"


def reviews_widget_pods_not_ready() -> Incident:
    """The ECR token refresher's schedule cut to once a day: the 12-hour token lapses, new pods cannot pull (simple).

    after: the credential-helper gap every cluster pulling from another account's ECR outside the node role
    meets: an ECR authorization token lives 12 hours, a CronJob rewrites the pull Secret more often than
    that, and when its schedule is relaxed the Secret keeps an expired token until the next run: running
    pods are fine, every new pod gets 403 on its manifest.
    """
    inc = start(reviews_widget_pods_not_ready, "reviews-widget replicas not ready", AT8, 4308,
                namespaces=("reviews",))
    chg = AT8 - timedelta(hours=20, minutes=3)
    refreshed = AT8.replace(hour=6, minute=0)
    scaled = AT8 - timedelta(minutes=13)
    image = f"{VENDOR_ECR}/vendor/reviews-widget:3.2.0"
    plant(inc, "reviews", "ecr-refresh-aws", "aws-secret", "ecr-refresh", "AWS_SECRET_ACCESS_KEY")
    token = base64.b64encode(hashlib.sha256(b"vendor-ecr-session").digest() * 6).decode()
    auth = base64.b64encode(f"AWS:{token}".encode()).decode()
    inc.secret("reviews", "vendor-ecr", {".dockerconfigjson": json.dumps({"auths": {VENDOR_ECR: {"auth": auth}}})})
    secret = inc.find("Secret", "reviews", "vendor-ecr")
    secret["type"] = "kubernetes.io/dockerconfigjson"
    changed(secret, ("kubectl-client-side-apply", "Update", refreshed + timedelta(seconds=11), {"f:data": {}}))
    spec = {"name": "refresh", "image": "public.ecr.aws/aws-cli/aws-cli:2.22.4",
            "command": ["/bin/sh", "-c"], "envFrom": [{"secretRef": {"name": "ecr-refresh-aws"}}],
            "args": ["kubectl create secret docker-registry vendor-ecr --docker-server=" + VENDOR_ECR +
                     " --docker-username=AWS --docker-password=\"$(aws ecr get-login-password --region eu-west-1)\" "
                     "--dry-run=client -o yaml | kubectl apply -f -"]}
    cronjob(inc, "reviews", "ecr-token-refresh", "0 6 * * *", spec, refreshed,
            ("kubectl-patch", "Update", chg, {"f:spec": {"f:schedule": {}}}))
    job(inc, "reviews", f"ecr-token-refresh-{int(refreshed.timestamp()) // 60}", spec, refreshed,
        refreshed + timedelta(seconds=14), owner="ecr-token-refresh")

    def widget(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 25, lambda i, t: L.js(t, "info", "request completed", method="GET",
                                                  url=f"/widget/product/{7700 + i}", statusCode=200,
                                                  responseTime=12 + i % 9))

    pull = (f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve reference '
            f'"{image}": unexpected status from HEAD request to https://{VENDOR_ECR}/v2/vendor/reviews-widget/'
            "manifests/3.2.0: 403 Forbidden")
    rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade", [c("reviews-widget", image)],
              pod_spec={"imagePullSecrets": [{"name": "vendor-ecr"}]})
    plans = [P(log=within(widget)), P(log=within(widget)),
             P(state="waiting", waiting_reason="ImagePullBackOff", message=pull, created=scaled),
             P(state="waiting", waiting_reason="ImagePullBackOff", message=pull,
               created=scaled + timedelta(seconds=1))]
    inc.deployment("reviews", "reviews-widget", [rev], {1: plans}, replicas=4)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "reviews-widget", "namespace": "reviews"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "reviews-widget"},
                      "minReplicas": 2, "maxReplicas": 8,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 70}}}]},
             "status": {"currentReplicas": 4, "desiredReplicas": 4, "lastScaleTime": ts(scaled)}})
    inc.event(inc.find("HorizontalPodAutoscaler", "reviews", "reviews-widget"), "SuccessfulRescale",
              "New size: 4; reason: cpu resource utilization (percentage of request) above target", scaled,
              warning=False, component="horizontal-pod-autoscaler")
    herring(inc, "reviews", "reviews-api", f"{REGISTRY}/reviews/reviews-api", "4.0.1", "4.1.0",
            AT8 - timedelta(minutes=28))
    series(inc, "kube_deployment_status_replicas_available", "gauge", "The number of available replicas.",
           {"namespace": "reviews", "deployment": "reviews-widget", "job": "kube-state-metrics"}, lambda t: 2.0)
    series(inc, "kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
           {"namespace": "reviews", "deployment": "reviews-widget", "job": "kube-state-metrics"},
           step(2.0, 4.0, scaled))
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "reviews", "deployment": "reviews-widget",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment reviews/reviews-widget has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("CronJob", "reviews", "ecr-token-refresh"),
                   keywords=["ecr-token-refresh", "expired", "schedule"],
                   root_cause="The ecr-token-refresh CronJob's schedule was patched from every six hours to once a day "
                              "(0 6 * * *). The vendor-ecr pull Secret was last rewritten at 06:00 and ECR tokens last "
                              "12 hours, so it has held an expired token since 18:00; the HPA's two new reviews-widget "
                              "pods get 403 Forbidden on the manifest and stay in ImagePullBackOff.",
                   category="registry-token-refresh-lapsed",
                   red_herrings=[("Deployment", "reviews", "reviews-api")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 5, 11, 5, tzinfo=UTC)
MYSQL_HOST = "commerce-mysql.c7kq2mxe9abd.eu-west-1.rds.amazonaws.com"


def order_service_errors_high() -> Incident:
    """A neighbour's new release pre-opens 60 connections per pod: the shared RDS MySQL hits max_connections.

    after: the managed-database connection ceiling that many services share without knowing: the instance
    class fixes max_connections, one team raises its pool minimum, its pods hold hundreds of idle
    connections, and a different service's new connections are refused with "Too many connections".
    """
    inc = start(order_service_errors_high, "order-service error rate high", AT9, 4309,
                namespaces=("orders", "promotions"))
    chg = AT9 - timedelta(minutes=16)
    plant(inc, "promotions", "promo-db", "password", "promo-db", "DB_PASSWORD")
    plant(inc, "orders", "order-db", "password", "order-db", "ConnectionStrings__Orders",
          "Server=" + MYSQL_HOST + ";Database=orders;User ID=orders;Password={}")

    def orders(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            stamp = f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z"
            if t > chg + timedelta(minutes=1) and i % 4 == 0:
                return (f"{stamp} fail: Microsoft.EntityFrameworkCore.Database.Connection[20004]\n"
                        f"      An error occurred using the connection to database 'orders' on server '{MYSQL_HOST}'.\n"
                        f"{stamp} fail: Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware[1]\n"
                        "      An unhandled exception has occurred while executing the request.\n"
                        "      MySqlConnector.MySqlException (0x80004005): Too many connections\n"
                        "         at MySqlConnector.Core.ServerSession.ConnectAsync(ConnectionSettings cs, "
                        "MySqlConnection connection, Int64 startingTimestamp, ILoadBalancer loadBalancer, Activity "
                        "activity, IOBehavior ioBehavior, CancellationToken cancellationToken) in "
                        "/_/src/MySqlConnector/Core/ServerSession.cs:line 433\n"
                        "         at MySqlConnector.MySqlConnection.CreateSessionAsync(ConnectionPool pool, Int64 "
                        "startingTimestamp, Activity activity, Nullable`1 ioBehavior, CancellationToken "
                        "cancellationToken) in /_/src/MySqlConnector/MySqlConnection.cs:line 1117")
            return (f"{stamp} info: Microsoft.AspNetCore.Hosting.Diagnostics[2]\n"
                    f"      Request finished HTTP/1.1 POST http://order-service.orders/api/orders - 201 - "
                    f"application/json {31 + i % 20}.4120ms")
        return every(s, e, 4, line)

    workload(inc, "orders", "order-service", orders, replicas=3,
             env=[{"name": "ConnectionStrings__Orders", "valueFrom": {"secretKeyRef": {
                 "name": "order-db", "key": "ConnectionStrings__Orders"}}}])

    def promo(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, json.dumps({"level": 30, "time": int(s.timestamp() * 1000), "pid": 1, "hostname": pod,
                                      "msg": "mysql pool ready", "pool": {"min": 60, "max": 80},
                                      "host": MYSQL_HOST}, separators=(",", ":")))]
        return out + every(s + timedelta(seconds=2), e, 30, lambda i, t: json.dumps(
            {"level": 30, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod, "msg": "request completed",
             "req": {"method": "GET", "url": f"/promotions/active?sku={5000 + i}"}, "res": {"statusCode": 200},
             "responseTime": 6 + i % 5}, separators=(",", ":")))

    env = [{"name": "DB_HOST", "value": MYSQL_HOST}, {"name": "DB_POOL_MAX", "value": "80"},
           {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "promo-db", "key": "DB_PASSWORD"}}}]
    old = c("promo-engine", f"{REGISTRY}/promotions/promo-engine:6.3.0",
            env=[*env[:1], {"name": "DB_POOL_MIN", "value": "5"}, *env[1:]])
    new = c("promo-engine", f"{REGISTRY}/promotions/promo-engine:6.4.0",
            env=[*env[:1], {"name": "DB_POOL_MIN", "value": "60"}, *env[1:]])
    rolled(inc, "promotions", "promo-engine", old, new, chg, promo, replicas=6)
    herring(inc, "orders", "order-events-relay", f"{REGISTRY}/orders/order-events-relay", "1.12.0", "1.13.0",
            AT9 - timedelta(minutes=30))
    series(inc, "aws_rds_database_connections_average", "gauge", "CloudWatch metric AWS/RDS DatabaseConnections",
           {"job": "yace", "dimension_DBInstanceIdentifier": "commerce-mysql"},
           lambda t: 471.0 + t.minute % 5 if t < chg else min(683.0, 471.0 + (t - chg).total_seconds() / 0.6))
    for code, before, after in (("201", 4.1, 3.0), ("500", 0.0, 1.1)):
        series(inc, "http_server_request_duration_seconds_count", "counter", "Duration of HTTP server requests.",
               {"namespace": "orders", "service": "order-service", "http_response_status_code": code},
               counter(AT9 - timedelta(hours=2), before, after, chg + timedelta(minutes=1)))
    send(inc, [alert(inc, "OrderServiceErrorRate", {"namespace": "orders", "service": "order-service",
                                                     "team": "orders"},
                     "order-service: 27% of requests fail",
                     "More than 5% of order-service requests returned 5xx over 10 minutes.",
                     'sum(rate(http_server_request_duration_seconds_count{service="order-service",'
                     'http_response_status_code=~"5.."}[10m])) / sum(rate(http_server_request_duration_seconds_count'
                     '{service="order-service"}[10m])) > 0.05', severity="critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "promotions", "promo-engine"),
                   keywords=["db_pool_min", "max_connections", "too many connections"],
                   root_cause="promo-engine 6.4.0 raised DB_POOL_MIN from 5 to 60: its six pods now hold 360 idle "
                              "connections to the shared RDS MySQL commerce-mysql, whose instance class caps "
                              "max_connections at 683. DatabaseConnections sits at the ceiling and order-service's new "
                              "connections fail with MySqlConnector 'Too many connections' (500s).",
                   category="managed-db-connection-ceiling",
                   red_herrings=[("Deployment", "orders", "order-events-relay")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 5, 11, 50, tzinfo=UTC)
OKTA = "https://acme.okta.com"


def storefront_sign_in_failing() -> Incident:
    """A client-secret rotation Job deactivates the old Okta secret, then cannot write the new one: invalid_client.

    after: the half-finished credential rotation common to identity-provider automation: the script creates
    a new client secret and deactivates the old one at the provider before storing the new value where the
    application reads it, the store step fails on permissions, and every token exchange is rejected.
    """
    inc = start(storefront_sign_in_failing, "Storefront sign-in callback errors", AT10, 4310,
                namespaces=("storefront", "identity-ops"))
    run = AT10 - timedelta(minutes=21)
    plant(inc, "storefront", "storefront-oidc", "token", "okta-client", "client-secret")
    plant(inc, "identity-ops", "okta-api-token", "token", "okta-ssws", "token", "00{}")
    app_id = "0oa9x2k7qlTZc3Hb8417"
    name = "rotate-okta-storefront-20261205"
    spec = {"name": "rotate", "image": f"{REGISTRY}/identity-ops/okta-rotator:1.4.0",
            "args": ["--app", app_id, "--secret", "storefront/storefront-oidc", "--deactivate-old"],
            "env": [{"name": "OKTA_ORG_URL", "value": OKTA},
                    {"name": "OKTA_API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "okta-api-token",
                                                                              "key": "token"}}}]}
    done = run + timedelta(seconds=9)
    jb = job(inc, "identity-ops", name, spec, run, done, failed=True)
    jb["metadata"]["annotations"] = {"cronjob.kubernetes.io/instantiate": "manual"}

    def rotator(pod: str, s: datetime, e: datetime) -> Lines:
        t = run + timedelta(seconds=5)
        return [(t, L.pylog(t, "INFO", "rotator", f"rotating client secret of app {app_id} (storefront-web)")),
                (t + timedelta(milliseconds=830), L.pylog(
                    t + timedelta(milliseconds=830), "INFO", "rotator",
                    f"POST {OKTA}/api/v1/apps/{app_id}/credentials/secrets -> 201 (new secret ocs4n7wq2ZxVb81d5417)")),
                (t + timedelta(milliseconds=1190), L.pylog(
                    t + timedelta(milliseconds=1190), "INFO", "rotator",
                    f"POST {OKTA}/api/v1/apps/{app_id}/credentials/secrets/ocs1k3pd8YtRe29a0417/lifecycle/deactivate"
                    " -> 200 (old secret deactivated)")),
                (t + timedelta(milliseconds=1420), L.pylog(
                    t + timedelta(milliseconds=1420), "ERROR", "rotator",
                    "failed to store the new secret in storefront/storefront-oidc: (403)\nReason: Forbidden\n"
                    'HTTP response body: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                    '"message":"secrets \\"storefront-oidc\\" is forbidden: User \\"system:serviceaccount:'
                    'identity-ops:okta-rotator\\" cannot patch resource \\"secrets\\" in API group \\"\\" in the '
                    'namespace \\"storefront\\"","reason":"Forbidden","details":{"name":"storefront-oidc",'
                    '"kind":"secrets"},"code":403}'))]

    job_pod(inc, "identity-ops", name, c("rotate", spec["image"], port=None), run, rotator, node(inc, 1),
            failed_at=done)
    inc.event(jb, "BackoffLimitExceeded", "Job has reached the specified backoff limit", done,
              component="job-controller")

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t > run + timedelta(seconds=7) and i % 2 == 0:
                return json.dumps({"level": 50, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                                   "err": {"type": "OPError", "message": "invalid_client (The client secret supplied "
                                           "for a confidential client is invalid.)",
                                           "stack": "OPError: invalid_client (The client secret supplied for a "
                                                    "confidential client is invalid.)\n    at processResponse "
                                                    "(/app/node_modules/openid-client/lib/helpers/"
                                                    "process_response.js:38:13)"},
                                   "msg": "oidc callback failed", "req": {"url": "/auth/callback"}},
                                  separators=(",", ":"))
            return json.dumps({"level": 30, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                               "msg": "request completed", "req": {"method": "GET", "url": "/products"},
                               "res": {"statusCode": 200}, "responseTime": 21 + i % 13}, separators=(",", ":"))
        return every(s, e, 6, line)

    workload(inc, "storefront", "storefront-web", web, replicas=3,
             env=[{"name": "OIDC_ISSUER", "value": f"{OKTA}/oauth2/default"},
                  {"name": "OIDC_CLIENT_ID", "value": app_id},
                  {"name": "OIDC_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "storefront-oidc",
                                                                                "key": "client-secret"}}}])
    herring(inc, "storefront", "storefront-cms", f"{REGISTRY}/storefront/storefront-cms", "2.9.0", "2.10.0",
            AT10 - timedelta(minutes=45))
    series(inc, "http_requests_total", "counter", "Requests served.",
           {"namespace": "storefront", "service": "storefront-web", "route": "/auth/callback", "code": "500"},
           counter(AT10 - timedelta(hours=2), 0.0, 1.4, run + timedelta(seconds=7)))
    series(inc, "http_requests_total", "counter", "Requests served.",
           {"namespace": "storefront", "service": "storefront-web", "route": "/auth/callback", "code": "302"},
           counter(AT10 - timedelta(hours=2), 1.3, 0.0, run + timedelta(seconds=7)))
    send(inc, [alert(inc, "SignInCallbackErrors", {"namespace": "storefront", "service": "storefront-web",
                                                    "route": "/auth/callback", "team": "storefront"},
                     "Sign-in callbacks failing",
                     "More than 50% of /auth/callback requests return 5xx for 10 minutes: customers cannot sign in.",
                     'sum(rate(http_requests_total{service="storefront-web",route="/auth/callback",code=~"5.."}[5m])) '
                     '/ sum(rate(http_requests_total{service="storefront-web",route="/auth/callback"}[5m])) > 0.5',
                     severity="critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Job", "identity-ops", name),
                   keywords=["deactivate", "forbidden", "invalid_client"],
                   root_cause=f"The manually started Job {name} rotated storefront-web's Okta client secret: it "
                              "created a new secret and deactivated the old one at Okta, then failed to patch the "
                              "Kubernetes Secret storefront/storefront-oidc (403 Forbidden: its service account may "
                              "not "
                              "patch secrets there). storefront-web still sends the deactivated secret, so every "
                              "token exchange fails with invalid_client.",
                   category="idp-secret-rotation-half-done",
                   red_herrings=[("Deployment", "storefront", "storefront-cms")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 15, 20, tzinfo=UTC)
NLB = "k8s-pos-terminal-6b0e27c4a1"


def terminal_authorizations_dropped() -> Incident:
    """The terminals' NLB moved to a TLS 1.3-only security policy: older card terminals can no longer handshake.

    after: the load-balancer TLS hardening that strands old clients: a security policy without TLS 1.2 is
    applied through the Service annotation, modern clients are unaffected, and a fleet of older embedded
    devices fails at the handshake, so the backend simply sees fewer requests and logs nothing wrong.
    """
    inc = start(terminal_authorizations_dropped, "Card authorizations from stores dropped", AT11, 4311,
                namespaces=("pos",))
    chg = AT11 - timedelta(minutes=27)
    plant(inc, "pos", "acquirer-keys", "token", "acquirer", "ZMK")

    def auth(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            fw = ["5.2.1", "4.8.3", "5.1.0", "4.9.0", "5.2.1"][i % 5]
            if fw.startswith("4") and t > chg + timedelta(seconds=20):
                return None
            return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z  INFO authorize{{terminal_id=T{48000 + i * 13} "
                    f'fw="{fw}"}}: terminal_auth::acquirer: authorization approved rc="00" amount_minor={900 + i % 700}'
                    f" latency_ms={180 + i % 90}")
        return every(s, e, 3, line)

    workload(inc, "pos", "terminal-auth", auth, replicas=3)
    inc.service("pos", "terminal-edge", {"app": "terminal-auth"}, port=443, target=8443)
    svc = inc.find("Service", "pos", "terminal-edge")
    svc["spec"]["type"] = "LoadBalancer"
    svc["spec"]["ports"][0]["name"] = "https"
    svc["metadata"]["annotations"] = {
        "meta.helm.sh/release-name": "terminal-auth", "meta.helm.sh/release-namespace": "pos",
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert":
            "arn:aws:acm:eu-west-1:111122223333:certificate/5f0b8d21-7c3e-4a9b-b1e6-0d2c4f8a9e37",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}
    svc["status"] = lb_status(f"{NLB}-8d41c2e9f3b7a5d0.elb.eu-west-1.amazonaws.com")
    changed(svc, ("helm", "Update", inc.born + timedelta(days=3), {"f:metadata": {}, "f:spec": {}}),
            ("helm", "Update", chg, {"f:metadata": {"f:annotations": {
                "f:service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": {}}}}),
            ("aws-load-balancer-controller", "Update", chg + timedelta(seconds=6),
             {"f:status": {"f:loadBalancer": {}}}))
    inc.event(svc, "SuccessfullyReconciled", "Successfully reconciled", chg + timedelta(seconds=6), warning=False,
              component="service")
    herring(inc, "pos", "terminal-config-api", f"{REGISTRY}/pos/terminal-config-api", "3.3.0", "3.4.0",
            AT11 - timedelta(minutes=50))
    series(inc, "aws_networkelb_client_tlsnegotiation_error_count_sum", "gauge",
           "CloudWatch metric AWS/NetworkELB ClientTLSNegotiationErrorCount",
           {"job": "yace", "dimension_LoadBalancer": f"net/{NLB}/8d41c2e9f3b7a5d0"},
           step(2.0, 512.0, chg + timedelta(minutes=1)))
    for fw, before, after in (("4", 4.1, 0.0), ("5", 6.3, 6.4)):
        series(inc, "terminal_auth_requests_total", "counter", "Authorization requests by firmware major.",
               {"namespace": "pos", "service": "terminal-auth", "fw_major": fw},
               counter(AT11 - timedelta(hours=2), before, after, chg + timedelta(seconds=20)))
    send(inc, [alert(inc, "CardAuthorizationsDropped", {"namespace": "pos", "service": "terminal-auth",
                                                         "team": "in-store"},
                     "Store card authorizations 39% below last week",
                     "Authorization requests from in-store terminals are 39% below the same time last week.",
                     'sum(rate(terminal_auth_requests_total[15m])) < 0.75 * '
                     'sum(rate(terminal_auth_requests_total[15m] offset 1w))', severity="critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Service", "pos", "terminal-edge"),
                   keywords=["ssl-negotiation-policy", "tls 1.3", "handshake"],
                   root_cause="A Helm upgrade set the terminal-edge LoadBalancer Service's "
                              "aws-load-balancer-ssl-negotiation-policy to ELBSecurityPolicy-TLS13-1-3-2021-06 "
                              "(TLS 1.3 "
                              "only). Terminals on firmware 4.x speak at most TLS 1.2 and now fail the NLB handshake "
                              "(ClientTLSNegotiationErrorCount jumps), so their authorizations never reach "
                              "terminal-auth, which only sees firmware 5.x traffic.",
                   category="nlb-tls-policy-strands-old-clients",
                   red_herrings=[("Deployment", "pos", "terminal-config-api")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 17, 40, tzinfo=UTC)


def search_api_rollout_stuck() -> Incident:
    """An HPA's minReplicas raised for a sale needs more vCPUs than the account's EC2 quota: nothing new can launch.

    after: the cloud service quota that the autoscaler cannot see: a flash-sale pre-scale asks Karpenter for
    dozens of large nodes, EC2 answers VcpuLimitExceeded for the account's On-Demand vCPU limit, and every
    other pending pod in the cluster, here an unrelated rollout, waits with it.
    """
    inc = start(search_api_rollout_stuck, "search-api rollout not progressing", AT12, 4312,
                namespaces=("catalog", "sale", "karpenter"))
    chg = AT12 - timedelta(minutes=34)
    roll = AT12 - timedelta(minutes=14)
    plant(inc, "sale", "sale-pricing", "stripe", "flash-sale", "STRIPE_KEY")
    cpu = "0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption " \
          "victims found for incoming pod."

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.js(t, "info", "request completed", method="GET",
                                                  url=f"/sale/items/{i}", statusCode=200, responseTime=14 + i % 8))

    rev = Rev(1, inc.born + timedelta(days=20), "helm upgrade",
              [c("flash-sale-web", f"{REGISTRY}/sale/flash-sale-web:1.6.0", cpu_request="2",
                 memory_request="2Gi", memory_limit="2Gi")])
    plans = [P(log=within(web), node=inc.node_names()[i % 4]) for i in range(4)]
    plans += [P(state="pending", message=cpu, created=chg + timedelta(seconds=20 + i)) for i in range(36)]
    inc.deployment("sale", "flash-sale-web", [rev], {1: plans}, replicas=40)
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "flash-sale-web", "namespace": "sale", "generation": 6},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "flash-sale-web"},
                            "minReplicas": 40, "maxReplicas": 60,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 60}}}]},
                   "status": {"currentReplicas": 40, "desiredReplicas": 40, "lastScaleTime": ts(chg),
                              "conditions": [{"type": "ScalingLimited", "status": "True", "reason": "TooFewReplicas",
                                              "message": "the desired replica count is less than the minimum "
                                                         "replica count", "lastTransitionTime": ts(chg)}]}})
    changed(hpa, ("helm", "Update", inc.born + timedelta(days=20), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:minReplicas": {}}}))
    inc.event(hpa, "SuccessfulRescale", "New size: 40; reason: Current number of replicas below Spec.MinReplicas",
              chg + timedelta(seconds=15), warning=False, component="horizontal-pod-autoscaler")

    def search(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 10, lambda i, t: L.spring(t, "INFO", "c.a.s.api.SearchController",
                                                      f"q='{['boots', 'lamp', 'desk'][i % 3]}' hits={40 + i % 30} "
                                                      f"took={12 + i % 9}ms", thread=f"http-nio-8080-exec-{i % 8}"))

    revs = [Rev(1, inc.born + timedelta(days=11), "helm upgrade",
                [c("search-api", f"{REGISTRY}/catalog/search-api:9.4.0", cpu_request="1")]),
            Rev(2, roll, "helm upgrade", [c("search-api", f"{REGISTRY}/catalog/search-api:9.5.0", cpu_request="1")])]
    inc.deployment("catalog", "search-api", revs,
                   {1: [P(log=within(search)) for _ in range(3)],
                    2: [P(state="pending", message=cpu, created=roll + timedelta(seconds=3 + i)) for i in range(2)]},
                   progress="progressing", replicas=4)

    waiting = [h.name for h in inc.pods_of("sale", "flash-sale-web")][4:]
    stuck = [h.name for h in inc.pods_of("catalog", "search-api")][3:]
    others = len(waiting) + len(stuck) - 2

    def karpenter(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg + timedelta(seconds=25):
                return None
            claim = f"default-{L.uuidish('claim', i)[:5]}"
            base = {"time": gomillis(t), "logger": "controller", "commit": "3f1a0c2",
                    "controller": "nodeclaim.lifecycle", "controllerGroup": "karpenter.sh",
                    "controllerKind": "NodeClaim", "NodeClaim": {"name": claim}, "namespace": "", "name": claim,
                    "reconcileID": L.uuidish("rec", i)}
            if i % 3 == 0:
                return json.dumps({"level": "INFO", "time": gomillis(t), "logger": "controller",
                                   "message": "found provisionable pod(s)", "commit": "3f1a0c2",
                                   "controller": "provisioner", "namespace": "", "name": "",
                                   "reconcileID": L.uuidish("prov", i),
                                   "Pods": f"sale/{waiting[0]}, catalog/{stuck[0]} and {others} other(s)"
                                           if t > roll + timedelta(seconds=5) else
                                           f"sale/{waiting[0]}, sale/{waiting[1]} and {len(waiting) - 2} other(s)",
                                   "duration": "61.2ms"}, separators=(",", ":"))
            return json.dumps({"level": "ERROR", **base, "message": "failed launching nodeclaim",
                               "error": "creating instance, insufficient capacity, with fleet error(s), "
                                        "VcpuLimitExceeded: You have requested more vCPU capacity than your current "
                                        "vCPU limit of 384 allows for the instance bucket that the specified instance "
                                        "type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to "
                                        "request an adjustment to this limit."}, separators=(",", ":"))
        return every(s, e, 20, line)

    workload(inc, "karpenter", "karpenter", karpenter, replicas=1)
    series(inc, "aws_usage_resource_count_maximum", "gauge", "CloudWatch metric AWS/Usage ResourceCount",
           {"job": "yace", "dimension_Service": "EC2", "dimension_Resource": "vCPU",
            "dimension_Class": "Standard/OnDemand", "dimension_Type": "Resource"},
           lambda t: 372.0 + (t.minute // 10) % 3 * 4)
    series(inc, "kube_deployment_status_replicas_updated", "gauge", "The number of updated replicas per deployment.",
           {"namespace": "catalog", "deployment": "search-api", "job": "kube-state-metrics"},
           lambda t: 0.0)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "catalog", "deployment": "search-api",
                                                    "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment catalog/search-api is not progressing for longer than 10 minutes.",
                     'kube_deployment_status_condition{condition="Progressing",status="false"} != 0 or '
                     'kube_deployment_status_replicas_updated != kube_deployment_spec_replicas')
    inc.answer_key(culprit=("HorizontalPodAutoscaler", "sale", "flash-sale-web"),
                   keywords=["minreplicas", "vcpulimitexceeded", "quota"],
                   root_cause="The flash-sale-web HPA was edited to minReplicas 40 (2 vCPU each) for a sale. Karpenter "
                              "tries to launch nodes for the 36 pending pods and EC2 refuses with VcpuLimitExceeded: "
                              "the account's On-Demand vCPU service quota of 384, shared with other workloads, has "
                              "no room for them (about 372-380 in use). No node can be added, so "
                              "search-api's unrelated rollout waits Pending with them (Insufficient cpu).",
                   category="ec2-vcpu-quota-blocks-scale-out",
                   red_herrings=[("Deployment", "catalog", "search-api")])
    return inc


ALL = [shipping_quotes_failing_page, login_errors_burn, partner_feed_import_stale, photo_uploads_failing_grouped,
       reset_emails_question, monthly_statements_page, node_timeouts_question, reviews_widget_pods_not_ready,
       order_service_errors_high, storefront_sign_in_failing, terminal_authorizations_dropped,
       search_api_rollout_stuck]
