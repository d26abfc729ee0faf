"""Round 52 of the held-out incident set: storage and files as the application sees them.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). Every cause is a
change to how bytes reach a disk or come back from one: a node root volume, a database restored from a
snapshot, a broker's disk alarm, NFS attribute caching, S3 addressing, a log appender writing into the
container layer, an fsync policy, a logrotate mode, SMB credentials, a cleanup job, a tmpfs emptyDir and a
cache that runs out of inodes. Each is seen from the application that pages.
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

from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

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
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
Make = Callable[[str, datetime, datetime], Lines]
Tick = Callable[[int, datetime], str | None]

PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------

def phased(at: datetime, healthy: Tick, hurt: Tick, step_s: float = 15) -> Make:
    """Pod logs: `healthy` lines before `at`, `hurt` lines after it."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        offset = sum(pod.encode()) % max(1, int(step_s))
        return every(s + timedelta(seconds=offset), e, step_s, lambda i, t: healthy(i, t) if t < at else hurt(i, t))
    return make


def once(lines: list[tuple[float, Callable[[datetime], str]]]) -> Make:
    """Lines written a fixed number of seconds into the container run (start-up, then a crash)."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s + timedelta(seconds=d), f(s + timedelta(seconds=d))) for d, f in lines]
    return make


def rule(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
         severity: str = "warning") -> dict[str, Any]:
    """One exporter or recording-rule alert as Alertmanager forwards it."""
    return am.alert({"alertname": name, **labels, "severity": severity, **PROM},
                    {"summary": summary, "description": description,
                     "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], chg: datetime, manager: str, fields: dict[str, Any],
           scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource with its CRD, created by Argo CD weeks ago and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 7}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=6), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def ref(kind: str, ns: str, name: str) -> dict[str, Any]:
    """An object an event can point at (a pod that no longer exists, such as an evicted one)."""
    return {"apiVersion": "v1", "kind": kind,
            "metadata": {"name": name, "namespace": ns, "uid": o.uid(kind.lower(), ns, name)}}


def iso_ms(t: datetime) -> str:
    """ISO 8601 with milliseconds and Z (Node.js `toISOString`, logstash-style JSON)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def pyts(t: datetime) -> str:
    """Python logging's asctime."""
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def rmq(t: datetime) -> str:
    """RabbitMQ 3.x's console log time (microseconds and offset)."""
    return t.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00:00"


def jl(**fields: object) -> str:
    """One compact JSON log line."""
    return json.dumps(fields, separators=(",", ":"))


def drift(base: float, spread: float) -> Callable[[datetime], float]:
    """A gauge wandering a little around `base`."""
    return lambda t: round(base + spread * ((t.minute * 7 + t.hour) % 11) / 10, 2)


# ---- 1: Karpenter EC2NodeClass root volume shrunk --------------------------------------------------------
AT1 = datetime(2026, 12, 5, 9, 40, tzinfo=UTC)


def inference_evictions_question() -> Incident:
    """An EC2NodeClass's root volume shrinks from 120Gi to 20Gi: model pods on new nodes are evicted for disk.

    after: Karpenter and managed-node-group write-ups where a blockDeviceMappings edit (or a default root
    volume) leaves new nodes with little ephemeral storage, so image-heavy pods that cache models in an emptyDir
    are evicted with `The node was low on resource: ephemeral-storage` only on freshly launched nodes.
    """
    inc = start(inference_evictions_question, "ml-inference pods keep getting evicted", AT1, 5201, ("ml",))
    chg = AT1 - timedelta(hours=3)
    fresh = node(inc, 2)
    custom(inc, "EC2NodeClass", "karpenter.k8s.aws/v1", "ec2nodeclasses", "", "default",
           {"amiFamily": "AL2023", "role": "KarpenterNodeRole-prod-eu-west-1",
            "amiSelectorTerms": [{"alias": "al2023@v20261118"}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
            "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
            "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                     "ebs": {"volumeSize": "20Gi", "volumeType": "gp3", "encrypted": True,
                                             "deleteOnTermination": True}}]},
           {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                            "lastTransitionTime": ts(chg + timedelta(seconds=4))}],
            "amis": [{"id": "ami-0c1f3e5a7b9d2e4f6", "name": "amazon-eks-node-al2023-x86_64-standard-1.31"}]},
           chg, "kubectl-edit", {"f:spec": {"f:blockDeviceMappings": {}}}, scope="Cluster")
    nodeobj = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == fresh)
    nodeobj["metadata"]["creationTimestamp"] = ts(AT1 - timedelta(minutes=50))
    nodeobj["metadata"]["labels"].update({"karpenter.sh/nodepool": "general", "karpenter.k8s.aws/ec2nodeclass":
                                          "default"})
    nodeobj["status"]["capacity"]["ephemeral-storage"] = "20893676Ki"
    nodeobj["status"]["allocatable"]["ephemeral-storage"] = "18181869946"
    for other in inc.cluster.nodes:
        if other is not nodeobj:
            other["status"]["capacity"]["ephemeral-storage"] = "125751276Ki"
            other["status"]["allocatable"]["ephemeral-storage"] = "114821237887"

    def log(i: int, t: datetime) -> str | None:
        if i == 0:
            return pyts(t) + " INFO [model_loader] downloading s3://ml-models-prod/ranker/v14/ (11.8 GiB) to /models"
        if i == 1:
            return pyts(t) + " INFO [model_loader] model ranker-v14 ready in 412.3s"
        return pyts(t) + f" INFO [uvicorn.access] 10.2.4.{i % 200} - \"POST /v1/rank HTTP/1.1\" 200"
    rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade",
              [c("ml-inference", f"{REGISTRY}/ml/ranker-serving:3.4.1", memory_limit="6Gi",
                 memory_request="4Gi")],
              pod_spec={"volumes": [{"name": "models", "emptyDir": {}}]},
              container={"volumeMounts": [{"name": "models", "mountPath": "/models"}]})
    wl = inc.deployment("ml", "ml-inference", [rev], {1: [
        P(log=within(phased(AT1, log, log, 30)), node=node(inc, 0)),
        P(log=within(phased(AT1, log, log, 30)), node=node(inc, 1)),
        P(log=within(phased(AT1, log, log, 30)), node=fresh, created=AT1 + timedelta(minutes=2))]})
    inc.event(ref("Pod", "ml", f"{wl.rs[1]}-x7kq2"), "Evicted",
              "The node was low on resource: ephemeral-storage. Threshold quantity: 2089367Ki, available: "
              "1811204Ki. Container ml-inference was using 12612356Ki, request is 0, has larger consumption of "
              "ephemeral storage.", AT1, host=fresh)
    inc.event(nodeobj, "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", AT1 - timedelta(minutes=1),
              AT1 + timedelta(minutes=20), count=3, host=fresh)
    inc.event(nodeobj, "FreeDiskSpaceFailed", "Failed to garbage collect required amount of images. Attempted to "
              "free 4236112896 bytes, but only found 0 bytes eligible to free.", AT1 - timedelta(minutes=2),
              host=fresh)
    series(inc, "node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.",
           {"instance": fresh, "mountpoint": "/", "device": "/dev/nvme0n1p1", "fstype": "xfs",
            "job": "node-exporter"}, step(14.1e9, 1.6e9, AT1 - timedelta(minutes=8)))
    herring(inc, "ml", "feature-store-api", f"{REGISTRY}/ml/feature-store-api", "1.19.2", "1.20.0",
            AT1 - timedelta(minutes=70))
    plant(inc, "ml", "model-bucket-reader", "aws-secret", "ml-models", "AWS_SECRET_ACCESS_KEY")
    inc.ask("ml-inference pods keep getting evicted since this morning and the ranker is down to one replica, "
            "can someone look?")
    inc.answer_key(culprit=("EC2NodeClass", "", "default"),
                   keywords=["ephemeral-storage", "volumeSize", "20Gi", "blockDeviceMappings"],
                   root_cause="The EC2NodeClass `default` blockDeviceMappings root volumeSize was cut to 20Gi; nodes "
                              "launched since have "
                              "~18 GB of ephemeral storage, and ml-inference's 12 GB model emptyDir gets the pod "
                              "evicted for ephemeral-storage.",
                   category="nodeclass-root-volume-shrunk-ephemeral-evictions",
                   red_herrings=[("Deployment", "ml", "feature-store-api")])
    return inc


# ---- 2: CloudNativePG cluster restored from a month-old snapshot -----------------------------------------
AT2 = datetime(2026, 12, 4, 7, 15, tzinfo=UTC)


def orders_duplicate_keys_page() -> Incident:
    """A CloudNativePG Cluster is rebuilt from a month-old VolumeSnapshot: orders vanish, sequences collide.

    after: recovery drills and real restores where a database is bootstrapped from the wrong CSI snapshot (the
    first match of a name pattern, an older backup), so recent rows are missing and sequences lag behind
    values the application already handed out, and inserts fail on the primary key.
    """
    inc = start(orders_duplicate_keys_page, "orders-api 5xx", AT2, 5202, ("orders", "orders-data"))
    chg = AT2 - timedelta(hours=2, minutes=10)
    custom(inc, "Cluster", "postgresql.cnpg.io/v1", "clusters", "orders-data", "orders-db",
           {"instances": 2, "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
            "storage": {"size": "200Gi", "storageClass": "gp3"},
            "bootstrap": {"recovery": {"volumeSnapshots": {"storage": {
                "name": "orders-db-1-20261104t0100", "kind": "VolumeSnapshot",
                "apiGroup": "snapshot.storage.k8s.io"}}}},
            "backup": {"volumeSnapshot": {"className": "ebs-csi-snapclass"}}},
           {"phase": "Cluster in healthy state", "readyInstances": 2, "currentPrimary": "orders-db-1",
            "latestGeneratedNode": 2},
           chg, "kubectl-client-side-apply", {"f:spec": {"f:bootstrap": {"f:recovery": {}}}})
    for day, when in (("20261104t0100", datetime(2026, 11, 4, 1, 0)), ("20261203t0100", datetime(2026, 12, 3, 1, 0)),
                      ("20261204t0100", datetime(2026, 12, 4, 1, 0))):
        inc.add({"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                 "metadata": {"name": f"orders-db-1-{day}", "namespace": "orders-data",
                              "creationTimestamp": ts(when.replace(tzinfo=UTC)),
                              "labels": {"cnpg.io/cluster": "orders-db"}},
                 "spec": {"volumeSnapshotClassName": "ebs-csi-snapclass",
                          "source": {"persistentVolumeClaimName": "orders-db-1"}},
                 "status": {"readyToUse": True, "restoreSize": "200Gi",
                            "creationTime": ts(when.replace(tzinfo=UTC))}})
    inc.pvc("orders-data", "orders-db-1", "200Gi", "gp3", labels={"cnpg.io/cluster": "orders-db"})["spec"][
        "dataSource"] = {"name": "orders-db-1-20261104t0100", "kind": "VolumeSnapshot",
                         "apiGroup": "snapshot.storage.k8s.io"}
    pods = inc.statefulset("orders-data", "orders-db", [c("postgres", "ghcr.io/cloudnative-pg/postgresql:16.4",
                                                          port=5432)], [P(), P()], chg + timedelta(minutes=6))
    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        def rec(t: datetime, severity: str, message: str, **extra: str) -> str:
            return jl(level="info", ts=iso_ms(t), logger="postgres", msg="record", logging_pod=pod,
                      record={"error_severity": severity, "message": message, **extra})
        boot = [(s + timedelta(seconds=3), rec(s + timedelta(seconds=3), "LOG", "database system was interrupted; "
                                               "last known up at 2026-11-04 01:00:12 UTC")),
                (s + timedelta(seconds=9), rec(s + timedelta(seconds=9), "LOG",
                                               "database system is ready to accept connections"))]
        return [*boot, *every(AT2, e, 40, lambda i, t: rec(
            t, "ERROR", "duplicate key value violates unique constraint \"orders_pkey\"", sql_state_code="23505",
            detail=f"Key (id)=({4410213 + i}) already exists."))]
    inc.cluster.objects.remove(pods.obj)  # CloudNativePG runs its instances as bare pods owned by the Cluster
    for h in pods.pods:
        h.owner = o.owner_ref("Cluster", "orders-db", "orders-data", "postgresql.cnpg.io/v1")
        h.labels = {"cnpg.io/cluster": "orders-db", "cnpg.io/instanceName": h.name,
                    "cnpg.io/instanceRole": "primary" if h.name.endswith("-0") else "replica"}
        h.logs["postgres"] = within(pg)(h.name, chg + timedelta(minutes=7), inc.captured)

    def api(i: int, t: datetime) -> str | None:
        if i % 2:
            return (ms(t) + " ERROR 1 --- [nio-8080-exec-" + str(i % 9 + 1) + "] o.h.engine.jdbc.spi.SqlExceptionHelper"
                    "   : ERROR: duplicate key value violates unique constraint \"orders_pkey\"\n"
                    f"  Detail: Key (id)=({4410213 + i}) already exists.")
        return (ms(t) + " WARN 1 --- [nio-8080-exec-" + str(i % 9 + 1) + "] c.s.orders.web.OrderController"
                f"      : order {4409877 - i * 13} not found for customer {88120 + i}")

    def ok(i: int, t: datetime) -> str | None:
        return ms(t) + " INFO 1 --- [nio-8080-exec-2] c.s.orders.web.OrderController      : order created"
    workload_pods = inc.deployment("orders", "orders-api", [Rev(
        1, inc.born + timedelta(days=18), "helm upgrade",
        [c("orders-api", f"{REGISTRY}/orders/orders-api:5.2.0",
           env=[{"name": "SPRING_DATASOURCE_URL", "value": "jdbc:postgresql://orders-db-rw.orders-data:5432/app"}])])],
        {1: [P(log=within(phased(chg + timedelta(minutes=8), ok, api, 20))) for _ in range(3)]})
    assert workload_pods
    series(inc, "http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
           {"namespace": "orders", "service": "orders-api", "uri": "/api/orders", "status": "500",
            "job": "orders-api"}, counter(AT2 - timedelta(hours=2), 0.001, 0.9, chg + timedelta(minutes=8)))
    herring(inc, "orders", "orders-search-sync", f"{REGISTRY}/orders/orders-search-sync", "2.3.0", "2.3.1",
            AT2 - timedelta(minutes=40))
    plant(inc, "orders-data", "orders-db-app", "password", "orders-app", "password")
    inc.pagerduty("orders-api: HTTP 5xx above 5% for 10 minutes", "orders-api")
    inc.answer_key(culprit=("Cluster", "orders-data", "orders-db"),
                   keywords=["snapshot", "20261104", "duplicate key", "recovery"],
                   root_cause="The CNPG Cluster orders-db was re-bootstrapped (recovery) from the 20261104 "
                              "VolumeSnapshot "
                              "instead of last night's: a month of orders is missing and the id sequence is "
                              "behind, so inserts fail with duplicate key on orders_pkey.",
                   category="database-restored-from-stale-volume-snapshot",
                   red_herrings=[("Deployment", "orders", "orders-search-sync")])
    return inc


# ---- 3: RabbitmqCluster disk_free_limit above the volume size ------------------------------------------
AT3 = datetime(2026, 12, 3, 15, 5, tzinfo=UTC)



def notification_publishes_blocked_grouped() -> Incident:
    """A RabbitmqCluster's disk_free_limit is raised to 60GB on a 50Gi volume: the disk alarm blocks publishers.

    after: RabbitMQ operator and broker incidents where an absolute `disk_free_limit` copied from a larger
    environment is higher than the free space the data volume can ever have, so the broker raises its disk
    alarm at once and every publishing connection is blocked while consumers keep working.
    """
    inc = start(notification_publishes_blocked_grouped, "Notification publish latency and outbox backlog", AT3,
                5203, ("notify", "messaging"))
    chg = AT3 - timedelta(minutes=14)
    custom(inc, "RabbitmqCluster", "rabbitmq.com/v1beta1", "rabbitmqclusters", "messaging", "events-broker",
           {"replicas": 3, "image": "rabbitmq:3.13.7-management",
            "persistence": {"storageClassName": "gp3", "storage": "50Gi"},
            "rabbitmq": {"additionalConfig": "cluster_partition_handling = pause_minority\n"
                                             "vm_memory_high_watermark.relative = 0.7\n"
                                             "disk_free_limit.absolute = 60GB\n"}},
           {"conditions": [{"type": "AllReplicasReady", "status": "True"},
                           {"type": "ReconcileSuccess", "status": "True"}], "observedGeneration": 7},
           chg, "kubectl-edit", {"f:spec": {"f:rabbitmq": {"f:additionalConfig": {}}}})
    inc.configmap("messaging", "events-broker-server-conf", {
        "userDefinedConfiguration.conf": "total_memory_available_override_value = 3435973837\n"
                                         "cluster_partition_handling = pause_minority\n"
                                         "vm_memory_high_watermark.relative = 0.7\n"
                                         "disk_free_limit.absolute = 60GB\n"}, at=chg + timedelta(seconds=3))
    restart = chg + timedelta(minutes=2)
    sts = inc.statefulset("messaging", "events-broker-server", [c("rabbitmq", "rabbitmq:3.13.7-management",
                                                                  port=5672)], [P(), P(), P()], restart,
                          claims=[("persistence", "50Gi", "gp3")])

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = max(s, restart + timedelta(seconds=40))
        out = [(t0, f"{rmq(t0)} [info] <0.254.0> Enabling free "
                    "disk space monitoring (disk free space: 52416618496, total memory: 4294967296)"),
               (t0 + timedelta(seconds=1), f"{rmq(t0 + timedelta(seconds=1))} [info] "
                                           "<0.254.0> Disk free limit set to 60000MB"),
               (t0 + timedelta(seconds=2), f"{rmq(t0 + timedelta(seconds=2))} [warning] "
                                           "<0.250.0> disk resource limit alarm set on node "
                                           f"'rabbit@{pod}.events-broker-nodes.messaging'."),
               (t0 + timedelta(seconds=3), f"{rmq(t0 + timedelta(seconds=3))} "
                                           "[warning] <0.250.0> \n\n**********************************************"
                                           "\n*** Publishers will be blocked until this alarm clears ***\n"
                                           "**********************************************\n")]
        return [x for x in out if s <= x[0] <= e]
    for h in sts.pods:
        h.logs["rabbitmq"] = within(broker)(h.name, restart, inc.captured)

    def publisher(i: int, t: datetime) -> str | None:
        return jl(**{"@timestamp": iso_ms(t), "level": "WARN", "logger_name": "o.s.a.r.c.CachingConnectionFactory",
                     "thread_name": f"outbox-relay-{i % 4}",
                     "message": "Connection blocked: low on disk; publish of notification.email pending "
                                f"{(i % 30) * 2 + 30}s"})

    def fine(i: int, t: datetime) -> str | None:
        return jl(**{"@timestamp": iso_ms(t), "level": "INFO", "logger_name": "c.s.notify.OutboxRelay",
                     "thread_name": "outbox-relay-0", "message": f"relayed {40 + i % 9} messages"})
    from benchmarks.heldout.scene import workload
    workload(inc, "notify", "notification-outbox", phased(restart + timedelta(minutes=1), fine, publisher, 20), 2)
    series(inc, "rabbitmq_alarms_free_disk_space_watermark", "gauge",
           "is 1 if free disk space alarm is in effect", {"namespace": "messaging",
                                                         "pod": "events-broker-server-0", "job": "rabbitmq"},
           step(0, 1, restart + timedelta(minutes=1)))
    series(inc, "outbox_pending_messages", "gauge", "Messages waiting in the outbox table",
           {"namespace": "notify", "service": "notification-outbox", "job": "notification-outbox"},
           ramp(12, 340, restart + timedelta(minutes=1)))
    herring(inc, "notify", "email-renderer", f"{REGISTRY}/notify/email-renderer", "4.1.0", "4.2.0",
            AT3 - timedelta(minutes=25))
    plant(inc, "messaging", "events-broker-default-user", "password", "rabbit-default", "password")
    labels = {"namespace": "notify", "service": "notification-outbox", "team": "notify"}
    send(inc, [rule(inc, "OutboxBacklogGrowing", labels, "notification outbox backlog above 5000",
                    "outbox_pending_messages has grown for 10m", "outbox_pending_messages > 5000"),
               rule(inc, "PublishLatencyHigh", labels, "notification publish p99 above 30s",
                    "p99 publish confirm latency is above 30s",
                    "histogram_quantile(0.99, rate(publish_confirm_seconds_bucket[5m])) > 30"),
               rule(inc, "EmailsNotSent", {**labels, "service": "email-sender"}, "no emails sent for 10m",
                    "emails_sent_total has not increased for 10 minutes",
                    "increase(emails_sent_total[10m]) == 0", severity="critical")],
         ["namespace", "team"])
    inc.answer_key(culprit=("RabbitmqCluster", "messaging", "events-broker"),
                   keywords=["disk_free_limit", "alarm", "60GB"],
                   root_cause="RabbitmqCluster events-broker set disk_free_limit.absolute = 60GB on 50Gi volumes; "
                              "after the restart every node raised the disk alarm and blocked publishers.",
                   category="broker-disk-free-limit-above-volume-size",
                   red_herrings=[("Deployment", "notify", "email-renderer")])
    return inc


# ---- 4: NFS PersistentVolume mounted with a long attribute cache ---------------------------------------
AT4 = datetime(2026, 12, 2, 11, 30, tzinfo=UTC)


def partner_feed_stale_alert() -> Incident:
    """An NFS PersistentVolume gains `actimeo=600`: the reader pod sees new drop files ten minutes late.

    after: NFS and EFS support threads where a mount option tuned for throughput (a long attribute or
    directory cache) makes files written by one client invisible or stale to another for minutes, so a
    consumer polling a shared directory falls behind and its freshness alert fires.
    """
    inc = start(partner_feed_stale_alert, "partner feed freshness", AT4, 5204, ("feeds",))
    chg = AT4 - timedelta(hours=1, minutes=20)
    pv = inc.add({"apiVersion": "v1", "kind": "PersistentVolume",
                  "metadata": {"name": "feeds-dropbox-nfs", "labels": {"share": "feeds-dropbox"},
                               "finalizers": ["kubernetes.io/pv-protection"]},
                  "spec": {"capacity": {"storage": "500Gi"}, "accessModes": ["ReadWriteMany"],
                           "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                           "mountOptions": ["nfsvers=4.1", "rsize=1048576", "wsize=1048576", "hard", "timeo=600",
                                            "retrans=2", "noresvport", "actimeo=600", "nocto"],
                           "nfs": {"server": "fs-0a1b2c3d.efs.eu-west-1.amazonaws.com", "path": "/dropbox"},
                           "claimRef": {"namespace": "feeds", "name": "dropbox"}},
                  "status": {"phase": "Bound"}})
    changed(pv, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=7), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:mountOptions": {}}}))
    claim = inc.pvc("feeds", "dropbox", "500Gi", "")
    claim["spec"]["accessModes"] = ["ReadWriteMany"]
    claim["spec"]["volumeName"] = "feeds-dropbox-nfs"
    roll = chg + timedelta(minutes=30)

    def reader(i: int, t: datetime) -> str | None:
        return (f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z INFO  feed_reader::scan: scanned /dropbox/incoming "
                f"entries=214 new=0 newest_mtime={(t - timedelta(minutes=9 + i % 2)).strftime('%H:%M:%S')}")

    def reader_ok(i: int, t: datetime) -> str | None:
        return (f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z INFO  feed_reader::scan: scanned /dropbox/incoming "
                f"entries=214 new={1 + i % 3} newest_mtime={(t - timedelta(seconds=20)).strftime('%H:%M:%S')}")
    mounts = {"volumeMounts": [{"name": "dropbox", "mountPath": "/dropbox"}]}
    vols = {"volumes": [{"name": "dropbox", "persistentVolumeClaim": {"claimName": "dropbox"}}]}
    inc.deployment("feeds", "feed-reader", [
        Rev(1, inc.born + timedelta(days=11), "helm upgrade", [c("feed-reader", f"{REGISTRY}/feeds/reader:0.9.3")],
            pod_spec=vols, container=mounts),
        Rev(2, roll, "kubectl rollout restart", [c("feed-reader", f"{REGISTRY}/feeds/reader:0.9.3")],
            pod_spec=vols, container=mounts)],
        {2: [P(log=within(phased(roll, reader_ok, reader, 30)), created=roll + timedelta(seconds=15))]})
    inc.deployment("feeds", "sftp-ingest", [Rev(1, inc.born + timedelta(days=11), "helm upgrade",
                                                [c("sftp-ingest", "atmoz/sftp:debian")], pod_spec=vols,
                                                container=mounts)],
                   {1: [P(log=within(phased(AT4, lambda i, t: f"session opened for local user partner{i % 4} "
                                                             "from [10.40.2.9]",
                                            lambda i, t: f"close \"/dropbox/incoming/orders-{i:05d}.csv\" bytes "
                                                         f"read 0 written {81234 + i}", 60)))]})
    series(inc, "feed_reader_newest_file_age_seconds", "gauge", "Age of the newest file seen in the drop dir",
           {"namespace": "feeds", "service": "feed-reader", "job": "feed-reader"},
           lambda t: 25 if t < roll else 540 + (t.minute % 10) * 6)
    herring(inc, "feeds", "feed-normaliser", f"{REGISTRY}/feeds/normaliser", "2.0.4", "2.1.0",
            AT4 - timedelta(minutes=35))
    plant(inc, "feeds", "sftp-partner-keys", "password", "partner-sftp", "partner1_password")
    inc.alertmanager("PartnerFeedStale", {"namespace": "feeds", "service": "feed-reader"},
                     "feed-reader has not seen a new partner file for 9 minutes",
                     "The newest file feed-reader saw in the drop directory is older than 8 minutes while the "
                     "partners upload every minute.", "feed_reader_newest_file_age_seconds > 480",
                     runbook="https://runbooks.example.com/alerts/partnerfeedstale")
    inc.answer_key(culprit=("PersistentVolume", "", "feeds-dropbox-nfs"),
                   keywords=["actimeo", "attribute cache", "mountOptions", "nocto"],
                   root_cause="The NFS PersistentVolume feeds-dropbox-nfs got mountOptions actimeo=600 and nocto; "
                              "after the reader restarted onto that mount the attribute cache hides directory "
                              "changes for ten minutes.",
                   category="nfs-attribute-cache-hides-new-files",
                   red_herrings=[("Deployment", "feeds", "feed-normaliser")])
    return inc


# ---- 5: S3 client switched to virtual-hosted addressing against MinIO ----------------------------------
AT5 = datetime(2026, 12, 1, 14, 10, tzinfo=UTC)


def uploads_api_crashloop() -> Incident:
    """uploads-api moves to AWS SDK v3 and drops the path-style flag: bucket names become MinIO hostnames.

    after: S3-compatible storage (MinIO, Ceph RGW) threads where an SDK upgrade or a lost `forcePathStyle`
    setting sends requests to `bucket.endpoint` hostnames that do not resolve inside the cluster.
    """
    inc = start(uploads_api_crashloop, "uploads-api crash looping", AT5, 5205, ("uploads", "storage"))
    roll = AT5 - timedelta(minutes=9)
    base = [{"name": "S3_ENDPOINT", "value": "http://minio.storage.svc.cluster.local:9000"},
            {"name": "S3_BUCKET", "value": "user-uploads"}]
    old = c("uploads-api", f"{REGISTRY}/uploads/uploads-api:3.8.2",
            env=[*base, {"name": "S3_FORCE_PATH_STYLE", "value": "true"}])
    new = c("uploads-api", f"{REGISTRY}/uploads/uploads-api:4.0.0", env=base)

    def crash(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, jl(level=30, time=int(s.timestamp() * 1000), pid=1, hostname=pod, msg="checking bucket")),
                (s + timedelta(seconds=1), jl(
                    level=60, time=int(s.timestamp() * 1000) + 900, pid=1, hostname=pod,
                    msg="startup check failed",
                    err={"type": "Error", "message": "getaddrinfo ENOTFOUND "
                         "user-uploads.minio.storage.svc.cluster.local", "code": "ENOTFOUND",
                         "stack": "Error: getaddrinfo ENOTFOUND user-uploads.minio.storage.svc.cluster.local\n"
                                  "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26)",
                         "$metadata": {"attempts": 3, "totalRetryDelay": 412}}))]
    inc.deployment("uploads", "uploads-api", [
        Rev(1, inc.born + timedelta(days=12), "helm upgrade", [old]),
        Rev(2, roll, "helm upgrade", [new])],
        {1: [P(), P()], 2: [P(state="crashloop", log=within(crash), created=roll + timedelta(seconds=10))]},
        progress="progressing")
    inc.statefulset("storage", "minio", [c("minio", "quay.io/minio/minio:RELEASE.2026-10-24T00-00-00Z",
                                           port=9000)], [P(), P()], inc.born + timedelta(days=2))
    herring(inc, "storage", "minio-console", "quay.io/minio/console", "v1.6.3", "v1.7.0", AT5 - timedelta(minutes=30))
    plant(inc, "uploads", "uploads-s3", "aws-secret", "minio-uploads", "AWS_SECRET_ACCESS_KEY")
    inc.alertmanager("KubePodCrashLooping", {"namespace": "uploads", "pod": "uploads-api", "container": "uploads-api"},
                     "Pod is crash looping.", "Pod uploads/uploads-api is in waiting state (reason: "
                     "\"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "uploads", "uploads-api"),
                   keywords=["path-style", "forcePathStyle", "ENOTFOUND", "virtual-host"],
                   root_cause="uploads-api 4.0.0 dropped S3_FORCE_PATH_STYLE (forcePathStyle): without path-style "
                              "the SDK uses virtual-host addressing, user-uploads.minio... does not resolve "
                              "(ENOTFOUND) and the start-up check fails.",
                   category="s3-virtual-host-addressing-against-minio",
                   red_herrings=[("Deployment", "storage", "minio-console")])
    return inc


# ---- 6: log4j2 file appender writing into the container layer -------------------------------------------
AT6 = datetime(2026, 11, 30, 16, 45, tzinfo=UTC)


def search_indexer_evicted_alert() -> Incident:
    """A logging ConfigMap adds a log4j2 RollingFile appender under /app/logs: the writable layer fills, pods evicted.

    after: on-call threads where a logging change writes files inside the container instead of to stdout, the
    container's ephemeral-storage limit (or the node's disk) is reached and the kubelet evicts the pod, which
    comes back and does it again.
    """
    inc = start(search_indexer_evicted_alert, "search-indexer pods evicted", AT6, 5206, ("search",))
    chg = AT6 - timedelta(hours=2, minutes=30)
    conf = inc.configmap("search", "search-indexer-log4j2", {"log4j2.xml": (
        "<Configuration status=\"WARN\">\n  <Appenders>\n"
        "    <Console name=\"stdout\" target=\"SYSTEM_OUT\"><JsonTemplateLayout/></Console>\n"
        "    <RollingFile name=\"file\" fileName=\"/app/logs/indexer.log\"\n"
        "                 filePattern=\"/app/logs/indexer-%d{yyyy-MM-dd}-%i.log\">\n"
        "      <PatternLayout pattern=\"%d %p %c{1.} [%t] %m%n\"/>\n"
        "      <Policies><SizeBasedTriggeringPolicy size=\"500 MB\"/></Policies>\n"
        "      <DefaultRolloverStrategy max=\"20\"/>\n    </RollingFile>\n  </Appenders>\n"
        "  <Loggers>\n    <Logger name=\"org.apache.lucene\" level=\"debug\"/>\n"
        "    <Root level=\"info\"><AppenderRef ref=\"stdout\"/><AppenderRef ref=\"file\"/></Root>\n"
        "  </Loggers>\n</Configuration>\n")}, at=inc.born + timedelta(days=6))
    changed(conf, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:log4j2.xml": {}}}))
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c("search-indexer", f"{REGISTRY}/search/indexer:7.3.0", memory_limit="3Gi")],
              pod_spec={"volumes": [{"name": "log4j2", "configMap": {"name": "search-indexer-log4j2"}}]},
              container={"volumeMounts": [{"name": "log4j2", "mountPath": "/app/config/log4j2.xml",
                                           "subPath": "log4j2.xml"}],
                         "resources": {"requests": {"cpu": "500m", "memory": "2Gi", "ephemeral-storage": "1Gi"},
                                       "limits": {"memory": "3Gi", "ephemeral-storage": "4Gi"}}})

    def json_line(i: int, t: datetime) -> str | None:
        return jl(**{"@timestamp": iso_ms(t), "log.level": "INFO" if i % 3 else "DEBUG",
                     "log.logger": "c.s.search.IndexWriterService" if i % 3 else "org.apache.lucene.index.IW",
                     "process.thread.name": "indexer-1",
                     "message": f"flushed segment _{i:x} docs=2048" if i % 3 else "startCommit(): start"})
    restarted = AT6 - timedelta(minutes=40)
    wl = inc.deployment("search", "search-indexer", [rev], {1: [
        P(log=within(phased(restarted, json_line, json_line, 5)), created=restarted),
        P(log=within(phased(restarted, json_line, json_line, 5)), created=AT6 + timedelta(minutes=2))]})
    for k, name in enumerate(("search-indexer-7d9f8-kq2lm", "search-indexer-7d9f8-xw8rt")):
        inc.event(ref("Pod", "search", f"{wl.rs[1]}-{name[-5:]}"),
                  "Evicted", "Pod ephemeral local storage usage exceeds the total limit of containers 4Gi.",
                  AT6 - timedelta(minutes=50 - 48 * k))
    series(inc, "container_fs_usage_bytes", "gauge", "Number of bytes that are consumed by the container on this "
           "filesystem.", {"namespace": "search", "pod": wl.pods[0].name, "container": "search-indexer",
                            "job": "kubelet"}, ramp(2.1e8, 9.0e7, restarted))
    herring(inc, "search", "search-api", f"{REGISTRY}/search/search-api", "3.2.1", "3.3.0", AT6 - timedelta(hours=1))
    plant(inc, "search", "search-indexer-es", "password", "es-indexer", "ELASTIC_PASSWORD")
    inc.alertmanager("KubePodEvicted", {"namespace": "search", "deployment": "search-indexer"},
                     "search-indexer pods are being evicted",
                     "2 pods of search/search-indexer were evicted in the last hour.",
                     'sum by (namespace) (increase(kube_pod_status_reason{reason="Evicted",namespace="search"}'
                     '[1h])) > 1')
    inc.answer_key(culprit=("ConfigMap", "search", "search-indexer-log4j2"),
                   keywords=["RollingFile", "ephemeral", "/app/logs"],
                   root_cause="The log4j2 ConfigMap now adds a RollingFile appender (with Lucene debug) under "
                              "/app/logs, inside the container's writable layer: it passes the 4Gi "
                              "ephemeral-storage limit and the kubelet evicts the pods.",
                   category="log-files-in-container-layer-ephemeral-eviction",
                   red_herrings=[("Deployment", "search", "search-api")])
    return inc


# ---- 7: Kafka segment size cut to 1 MiB: file handles and index mmaps run out ----------------------------
AT7 = datetime(2026, 11, 29, 19, 20, tzinfo=UTC)


def checkout_publish_burn() -> Incident:
    """The Kafka StatefulSet's log.segment.bytes drops to 1 MiB: brokers open and mmap too many files and die.

    after: Kafka operations threads where a tiny segment size (often copied from a test setup) multiplies the
    segment, index and time-index files per partition until the broker hits its open-file or memory-map limit
    (`Too many open files`, `Map failed`) while loading or rolling logs, and producers time out.
    """
    inc = start(checkout_publish_burn, "Checkout error budget burning", AT7, 5207, ("shop-api", "streaming"))
    chg = AT7 - timedelta(minutes=35)
    env_old = [{"name": "KAFKA_CFG_LOG_RETENTION_HOURS", "value": "168"},
               {"name": "KAFKA_CFG_NUM_PARTITIONS", "value": "24"}]
    env_new = [*env_old, {"name": "KAFKA_CFG_LOG_SEGMENT_BYTES", "value": "1048576"}]

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        def k(t: datetime) -> str:
            return f"[{t.strftime('%Y-%m-%d %H:%M:%S,')}{t.microsecond // 1000:03d}]"
        t1, t2 = s + timedelta(seconds=6), s + timedelta(seconds=48)
        return [(s, f"{k(s)} INFO Loading logs from log dirs ArraySeq(/bitnami/kafka/data) (kafka.log.LogManager)"),
                (t1, f"{k(t1)} INFO [LogLoader partition=orders-7, dir=/bitnami/kafka/data] Loading producer state "
                     "till offset 4412311 with message format version 2 (kafka.log.UnifiedLog$)"),
                (t2, f"{k(t2)} ERROR Error while loading log dir /bitnami/kafka/data (kafka.log.LogManager)\n"
                     "java.io.IOException: Map failed\n\tat java.base/sun.nio.ch.FileChannelImpl.map("
                     "FileChannelImpl.java:1127)\n\tat org.apache.kafka.storage.internals.log.AbstractIndex."
                     "<init>(AbstractIndex.java:125)\nCaused by: java.lang.OutOfMemoryError: Map failed"),
                (t2 + timedelta(seconds=1), f"{k(t2)} ERROR Shutdown broker because all log dirs in "
                                            "/bitnami/kafka/data have failed (kafka.log.LogManager)")]
    sts = inc.statefulset("streaming", "events-kafka", [c("kafka", "bitnami/kafka:3.8.1", port=9092,
                                                          memory_limit="6Gi", env=env_new)],
                          [P(state="crashloop", log=within(broker), run_s=lambda n: 50.0,
                             crash_from=chg + timedelta(minutes=1 + 3 * i)) for i in range(3)],
                          chg, claims=[("data", "500Gi", "gp3")])
    template = sts.obj["spec"]["template"]
    old = json.loads(json.dumps(template))
    old["spec"]["containers"][0]["env"] = env_old
    revision(inc, "StatefulSet", "streaming", "events-kafka", 1, inc.born + timedelta(days=8), old)
    r2 = revision(inc, "StatefulSet", "streaming", "events-kafka", 2, chg, template)
    sts.obj["status"].update({"currentRevision": r2, "updateRevision": r2, "readyReplicas": 0,
                              "availableReplicas": 0})
    changed(sts.obj, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    for h in sts.pods:
        h.labels["controller-revision-hash"] = r2

    def ok(i: int, t: datetime) -> str | None:
        return f"{pyts(t)} INFO checkout.api: order {771000 + i} placed, event published"

    def bad(i: int, t: datetime) -> str | None:
        return (f"{pyts(t)} ERROR checkout.api: publish of order {771000 + i} failed: KafkaError{{code=_MSG_TIMED_OUT,"
                "val=-192,str=\"Local: Message timed out\"}")
    from benchmarks.heldout.scene import workload
    workload(inc, "shop-api", "checkout-api", phased(chg + timedelta(minutes=6), ok, bad, 10), 3)
    series(inc, "process_open_fds", "gauge", "Number of open file descriptors.",
           {"namespace": "streaming", "pod": "events-kafka-0", "job": "kafka-jmx"},
           lambda t: 9200 if t < chg else 65100 + (t.minute % 3) * 120)
    series(inc, "http_requests_total", "counter", "HTTP requests",
           {"namespace": "shop-api", "service": "checkout-api", "code": "500", "job": "checkout-api"},
           counter(AT7 - timedelta(hours=2), 0.002, 2.2, chg + timedelta(minutes=6)))
    herring(inc, "shop-api", "payment-gateway", f"{REGISTRY}/shop/payment-gateway", "6.0.3", "6.1.0",
            AT7 - timedelta(minutes=45))
    plant(inc, "streaming", "events-kafka-jaas", "password", "kafka-client", "client-passwords")
    inc.slo_burn("checkout-api", "shop-api", "checkout-availability", "0.999", 24.9,
                 "checkout-api is failing 3.5% of orders over the last hour.")
    inc.answer_key(culprit=("StatefulSet", "streaming", "events-kafka"),
                   keywords=["segment", "Map failed", "open files"],
                   root_cause="events-kafka revision 2 sets KAFKA_CFG_LOG_SEGMENT_BYTES=1048576: 1 MiB segments "
                              "multiply index files, the brokers exhaust open files and index mmaps (Map failed) "
                              "loading their logs, and checkout-api's producers time out.",
                   category="kafka-tiny-segments-exhaust-file-handles",
                   red_herrings=[("Deployment", "shop-api", "payment-gateway")])
    return inc


# ---- 8: node logrotate DaemonSet switches from copytruncate to create ---------------------------------------
AT8 = datetime(2026, 11, 28, 3, 50, tzinfo=UTC)


def node_disk_filling_question() -> Incident:
    """A node logrotate DaemonSet drops `copytruncate`: a Java app keeps writing into rotated, deleted files.

    after: logrotate threads and disk-full postmortems where `create` rotation is used for a program that never
    reopens its log file, so it goes on writing into the renamed file, then into a deleted inode that `du` no
    longer shows, until the disk is full although the directory looks small.
    """
    inc = start(node_disk_filling_question, "node disk filling", AT8, 5208, ("batch", "node-tools"))
    chg = AT8 - timedelta(hours=7)
    host = node(inc, 3)
    pods = inc.cluster.daemonset("node-tools", "node-logrotate", f"{REGISTRY}/platform/logrotate:3.21.0",
                                 inc.born + timedelta(days=9))
    ds = inc.find("DaemonSet", "node-tools", "node-logrotate")
    conf_old = ("/host/var/log/apps/*.log {\n  daily\n  rotate 3\n  maxsize 500M\n  copytruncate\n  compress\n"
                "  missingok\n}\n")
    conf_new = ("/host/var/log/apps/*.log {\n  daily\n  rotate 3\n  maxsize 500M\n  create 0644 root root\n"
                "  compress\n  delaycompress\n  missingok\n}\n")
    template = ds["spec"]["template"]
    template["spec"]["containers"][0]["env"] = [{"name": "LOGROTATE_CONF", "value": conf_new},
                                                {"name": "SCHEDULE_SECONDS", "value": "900"}]
    template["spec"]["volumes"] = [{"name": "applogs", "hostPath": {"path": "/var/log/apps",
                                                                    "type": "DirectoryOrCreate"}}]
    template["spec"]["containers"][0]["volumeMounts"] = [{"name": "applogs", "mountPath": "/host/var/log/apps"}]
    old = json.loads(json.dumps(template))
    old["spec"]["containers"][0]["env"][0]["value"] = conf_old
    revision(inc, "DaemonSet", "node-tools", "node-logrotate", 1, inc.born + timedelta(days=9), old)
    r2 = revision(inc, "DaemonSet", "node-tools", "node-logrotate", 2, chg, template)
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    changed(ds, ("kubectl-client-side-apply", "Update", chg,
                 {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    def rotations(busy: bool) -> Make:
        return lambda pod, s, e: every(s, e, 900, lambda i, t: (
            f"{t.strftime('%Y/%m/%d %H:%M:%S')} rotating pattern: /host/var/log/apps/*.log  524288000 bytes "
            "(3 rotations)\nconsidering log /host/var/log/apps/settlement-batch.log\n  log needs rotating\n"
            "renaming /host/var/log/apps/settlement-batch.log.3.gz to /host/var/log/apps/settlement-batch.log.4.gz "
            "(rotatecount 3, logstart 1, i 3)\nrenaming /host/var/log/apps/settlement-batch.log to "
            "/host/var/log/apps/settlement-batch.log.1\ncreating new /host/var/log/apps/settlement-batch.log mode = "
            "0644 uid = 0 gid = 0\nremoving old log /host/var/log/apps/settlement-batch.log.4.gz")
            if busy else f"{t.strftime('%Y/%m/%d %H:%M:%S')} rotating pattern: /host/var/log/apps/*.log  "
            "524288000 bytes (3 rotations)\nconsidering log /host/var/log/apps/*.log\n  log does not exist -- "
            "skipping")
    for h in pods:
        h.labels["controller-revision-hash"] = r2.rsplit("-", 1)[1]
        h.created = chg + timedelta(minutes=1)
        h.logs["node-logrotate"] = within(rotations(h.node == host))(h.name, chg, inc.captured)

    def batch(i: int, t: datetime) -> str | None:
        return f"{ms(t)} INFO  [settle-{i % 6}] c.s.settle.BatchRunner - settled {1200 + i} trades for book {i % 17}"

    def full(i: int, t: datetime) -> str | None:
        return (f"{ms(t)} ERROR [settle-{i % 6}] c.s.settle.CheckpointStore - checkpoint write failed\n"
                "java.io.IOException: No space left on device\n\tat java.base/java.io.FileOutputStream.writeBytes"
                "(Native Method)\n\tat c.s.settle.CheckpointStore.flush(CheckpointStore.java:88)")
    rev = Rev(1, inc.born + timedelta(days=20), "helm upgrade",
              [c("settlement-batch", f"{REGISTRY}/batch/settlement-batch:11.2.0", memory_limit="2Gi")],
              pod_spec={"nodeSelector": {"kubernetes.io/hostname": host},
                        "volumes": [{"name": "applogs", "hostPath": {"path": "/var/log/apps"}}]},
              container={"volumeMounts": [{"name": "applogs", "mountPath": "/var/log/apps"}]})
    inc.deployment("batch", "settlement-batch", [rev],
                   {1: [P(log=within(phased(AT8, batch, full, 30)), node=host)]})
    series(inc, "node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.",
           {"instance": host, "mountpoint": "/", "device": "/dev/nvme0n1p1", "fstype": "xfs", "job": "node-exporter"},
           lambda t: max(0.0, 61e9 - max(0.0, (t - chg).total_seconds()) * 2.4e6))
    series(inc, "node_filefd_allocated", "gauge", "File descriptor statistics: allocated.",
           {"instance": host, "job": "node-exporter"}, drift(5100, 60))
    inc.event(next(n for n in inc.cluster.nodes if n["metadata"]["name"] == host), "EvictionThresholdMet",
              "Attempting to reclaim ephemeral-storage", AT8, AT8 + timedelta(minutes=25), count=4, host=host)
    herring(inc, "node-tools", "descheduler", "registry.k8s.io/descheduler/descheduler", "v0.31.0", "v0.32.0",
            AT8 - timedelta(hours=2))
    plant(inc, "batch", "settlement-db", "password", "settlement-db", "DB_PASSWORD")
    inc.ask(f"disk on {host} keeps filling up and du on /var/log/apps only shows a few hundred MB, "
            "what is eating it?")
    inc.answer_key(culprit=("DaemonSet", "node-tools", "node-logrotate"),
                   keywords=["copytruncate", "deleted", "create"],
                   root_cause="node-logrotate revision 2 rotates /var/log/apps with `create` instead of "
                              "copytruncate; settlement-batch never reopens its log, keeps writing into the "
                              "renamed then deleted file, and fills the node's disk.",
                   category="logrotate-create-mode-writes-to-deleted-file",
                   red_herrings=[("Deployment", "node-tools", "descheduler")])
    return inc


# ---- 9: SMB mount credentials rotated -------------------------------------------------------------------
AT9 = datetime(2026, 11, 27, 8, 25, tzinfo=UTC)


def invoice_archiver_rollout_stuck() -> Incident:
    """The Secret holding the SMB share's credentials is rotated to a new password the file server never got.

    after: csi-driver-smb and Azure Files issues where a changed node-stage Secret makes new mounts fail with
    `mount error(13): Permission denied` while pods that mounted earlier keep working, so only restarted or
    rescheduled pods hang in ContainerCreating.
    """
    inc = start(invoice_archiver_rollout_stuck, "invoice-archiver rollout stuck", AT9, 5209, ("finance", "storage"))
    chg = AT9 - timedelta(minutes=55)
    pw = inc.canary("password", "smb-finance")
    inc.secret("storage", "smb-finance-share", {"username": "svc-k8s-finance", "password": pw,
                                                "domain": "CORP"})
    sec = inc.find("Secret", "storage", "smb-finance-share")
    changed(sec, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("vault-secrets-operator", "Update", chg, {"f:data": {"f:password": {}}}))
    sec["metadata"]["annotations"] = {"secrets.hashicorp.com/vso-managed": "true"}
    pv = inc.add({"apiVersion": "v1", "kind": "PersistentVolume",
                  "metadata": {"name": "finance-archive-smb"},
                  "spec": {"capacity": {"storage": "2Ti"}, "accessModes": ["ReadWriteMany"],
                           "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                           "mountOptions": ["dir_mode=0777", "file_mode=0777", "vers=3.0"],
                           "csi": {"driver": "smb.csi.k8s.io", "volumeHandle": "fs01.corp/finance-archive",
                                   "volumeAttributes": {"source": "//fs01.corp.example.com/finance-archive"},
                                   "nodeStageSecretRef": {"name": "smb-finance-share", "namespace": "storage"}}},
                  "status": {"phase": "Bound"}})
    assert pv
    roll = AT9 - timedelta(minutes=12)
    vols = {"volumes": [{"name": "archive", "persistentVolumeClaim": {"claimName": "finance-archive"}}]}
    mounts = {"volumeMounts": [{"name": "archive", "mountPath": "/archive"}]}
    img = f"{REGISTRY}/finance/invoice-archiver"

    def ok(i: int, t: datetime) -> str | None:
        return f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} +00:00 [INF] Archived invoice INV-{771200 + i} to /archive"
    wl = inc.deployment("finance", "invoice-archiver", [
        Rev(1, inc.born + timedelta(days=16), "helm upgrade", [c("invoice-archiver", f"{img}:2.4.0")],
            pod_spec=vols, container=mounts),
        Rev(2, roll, "helm upgrade", [c("invoice-archiver", f"{img}:2.5.0")], pod_spec=vols, container=mounts)],
        {1: [P(log=within(phased(AT9, ok, ok, 40)))],
         2: [P(state="waiting", waiting_reason="ContainerCreating", created=roll + timedelta(seconds=5))]},
        progress="deadline", replicas=2)
    stuck = wl.pods[-1]
    inc.event(ref("Pod", "finance", stuck.name), "FailedMount",
              "MountVolume.MountDevice failed for volume \"finance-archive-smb\" : rpc error: code = Internal desc = "
              "volume(fs01.corp/finance-archive) mount \"//fs01.corp.example.com/finance-archive\" on "
              "\"/var/lib/kubelet/plugins/kubernetes.io/csi/smb.csi.k8s.io/3f1c/globalmount\" failed with mount "
              "failed: exit status 32\nMounting command: mount\nMounting arguments: -t cifs -o "
              "dir_mode=0777,file_mode=0777,vers=3.0,<masked> //fs01.corp.example.com/finance-archive "
              "/var/lib/kubelet/plugins/kubernetes.io/csi/smb.csi.k8s.io/3f1c/globalmount\nOutput: mount error(13): "
              "Permission denied\nRefer to the mount.cifs(8) manual page (e.g. man mount.cifs) and kernel log "
              "messages (dmesg)", roll + timedelta(seconds=20), inc.captured, count=14)
    claim = inc.pvc("finance", "finance-archive", "2Ti", "")
    claim["spec"]["accessModes"] = ["ReadWriteMany"]
    claim["spec"]["volumeName"] = "finance-archive-smb"
    herring(inc, "finance", "invoice-pdf", f"{REGISTRY}/finance/invoice-pdf", "1.12.0", "1.13.0",
            AT9 - timedelta(minutes=30))
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "finance", "deployment": "invoice-archiver"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment finance/invoice-archiver is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false"} != 0')
    inc.answer_key(culprit=("Secret", "storage", "smb-finance-share"),
                   keywords=["mount error(13)", "Permission denied", "nodeStageSecretRef"],
                   root_cause="The Secret smb-finance-share (nodeStageSecretRef of the SMB PV) was rewritten with a "
                              "new password the file server does not accept; new mounts fail with mount error(13): "
                              "Permission denied.",
                   category="smb-node-stage-secret-rotated-mount-denied",
                   red_herrings=[("Deployment", "finance", "invoice-pdf")])
    return inc


# ---- 10: cleanup CronJob deletes in-flight upload chunks -------------------------------------------------
AT10 = datetime(2026, 11, 26, 13, 35, tzinfo=UTC)


def media_uploads_failing_page() -> Incident:
    """A tmp-reaper CronJob's age threshold drops from a day to a minute: it deletes chunks of uploads in flight.

    after: shared-volume cleanup jobs (`find -mmin` / `-mtime` scripts, tmpreaper) whose threshold is edited
    down, so files still being assembled are removed under the application and resumable uploads fail with
    ENOENT.
    """
    inc = start(media_uploads_failing_page, "media uploads failing", AT10, 5210, ("media",))
    chg = AT10 - timedelta(hours=1, minutes=5)
    spec_old = ["/bin/sh", "-c", "find /data/uploads/.chunks -type f -mmin +1440 -print -delete | wc -l"]
    spec_new = ["/bin/sh", "-c", "find /data/uploads/.chunks -type f -mmin +1 -print -delete | wc -l"]
    assert spec_old
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "upload-tmp-reaper", "namespace": "media", "generation": 3},
                    "spec": {"schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid",
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                             "jobTemplate": {"spec": {"template": {"spec": {
                                 "restartPolicy": "Never",
                                 "containers": [{"name": "reaper", "image": "busybox:1.37", "command": spec_new,
                                                 "volumeMounts": [{"name": "uploads", "mountPath": "/data/uploads"}]}],
                                 "volumes": [{"name": "uploads",
                                              "persistentVolumeClaim": {"claimName": "media-uploads"}}]}}}}},
                    "status": {"lastScheduleTime": ts(AT10 - timedelta(minutes=5)),
                               "lastSuccessfulTime": ts(AT10 - timedelta(minutes=5, seconds=-4))}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=10), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {}}}}}))
    last = AT10 - timedelta(minutes=5)
    job_name = f"upload-tmp-reaper-{int(last.timestamp()) // 60}"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job_name, "namespace": "media", "creationTimestamp": ts(last),
                          "ownerReferences": [o.owner_ref("CronJob", "upload-tmp-reaper", "media")]},
             "spec": {"template": cron["spec"]["jobTemplate"]["spec"]["template"]},
             "status": {"startTime": ts(last), "completionTime": ts(last + timedelta(seconds=4)), "succeeded": 1}})
    inc.event(cron, "SawCompletedJob", f"Saw completed job: {job_name}, status: Complete",
              last + timedelta(seconds=5), warning=False, component="cronjob-controller")
    claim = inc.pvc("media", "media-uploads", "1Ti", "efs-sc")
    claim["spec"]["accessModes"] = ["ReadWriteMany"]

    def ok(i: int, t: datetime) -> str | None:
        return jl(level="info", time=iso_ms(t), msg="upload complete", uploadId=f"u{330000 + i}", parts=8 + i % 5)

    def bad(i: int, t: datetime) -> str | None:
        if i % 3 == 0:
            return ok(i, t)
        return jl(level="error", time=iso_ms(t), msg="assemble failed", uploadId=f"u{330000 + i}",
                  err={"type": "Error", "code": "ENOENT", "errno": -2, "syscall": "open",
                       "message": f"ENOENT: no such file or directory, open '/data/uploads/.chunks/u{330000 + i}/"
                                  f"part-{i % 6:04d}'"})
    rev = Rev(1, inc.born + timedelta(days=13), "helm upgrade", [c("media-upload", f"{REGISTRY}/media/upload:8.1.4")],
              pod_spec={"volumes": [{"name": "uploads", "persistentVolumeClaim": {"claimName": "media-uploads"}}]},
              container={"volumeMounts": [{"name": "uploads", "mountPath": "/data/uploads"}]})
    inc.deployment("media", "media-upload", [rev], {1: [P(log=within(phased(chg + timedelta(minutes=5), ok, bad, 12)))
                                                        for _ in range(3)]})
    series(inc, "upload_assemble_failures_total", "counter", "Uploads whose chunks could not be assembled",
           {"namespace": "media", "service": "media-upload", "reason": "ENOENT", "job": "media-upload"},
           counter(AT10 - timedelta(hours=2), 0.0, 0.14, chg + timedelta(minutes=5)))
    herring(inc, "media", "media-transcoder", f"{REGISTRY}/media/transcoder", "5.6.0", "5.7.1",
            AT10 - timedelta(minutes=50))
    plant(inc, "media", "media-cdn-signing", "token", "cdn-signing", "CDN_SIGNING_KEY")
    inc.pagerduty("Media uploads: assemble failure rate above 40%", "media-upload")
    inc.answer_key(culprit=("CronJob", "media", "upload-tmp-reaper"),
                   keywords=["-mmin", "ENOENT", "chunks"],
                   root_cause="upload-tmp-reaper now runs find -mmin +1 instead of +1440; it deletes the chunks "
                              "of uploads still in flight and media-upload fails with ENOENT.",
                   category="cleanup-job-deletes-inflight-upload-chunks",
                   red_herrings=[("Deployment", "media", "media-transcoder")])
    return inc


# ---- 11: emptyDir medium Memory counted against the memory limit -----------------------------------------
AT11 = datetime(2026, 11, 25, 10, 5, tzinfo=UTC)


def thumbnailer_crashloop() -> Incident:
    """thumbnailer's scratch emptyDir moves to `medium: Memory`: the files it writes count against its 1Gi limit.

    after: Kubernetes docs and issues about tmpfs emptyDirs, whose pages are charged to the container's memory
    cgroup, so a change meant to speed up scratch I/O turns large temporary files into OOM kills.
    """
    inc = start(thumbnailer_crashloop, "thumbnailer crash looping", AT11, 5211, ("media",))
    roll = AT11 - timedelta(minutes=16)
    img = f"{REGISTRY}/media/thumbnailer:2.9.0"
    mounts = {"volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
              "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}}

    def run(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, "INFO:     Started server process [1]"),
                (s + timedelta(seconds=1), "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"),
                (s + timedelta(seconds=20), f"{pyts(s + timedelta(seconds=20))} INFO thumbnailer.worker: "
                                            "extracting frames of v-88213.mp4 (1.4 GB) to /scratch/v-88213")]
    inc.deployment("media", "thumbnailer", [
        Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c("thumbnailer", img, memory_limit="1Gi")],
            pod_spec={"volumes": [{"name": "scratch", "emptyDir": {"sizeLimit": "8Gi"}}]}, container=mounts),
        Rev(2, roll, "helm upgrade", [c("thumbnailer", img, memory_limit="1Gi")],
            pod_spec={"volumes": [{"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}]},
            container=mounts)],
        {1: [P()], 2: [P(state="crashloop", reason="OOMKilled", exit_code=137, log=within(run),
                         run_s=lambda n: 40.0, memory_mi=1010, created=roll + timedelta(seconds=10))]},
        progress="progressing")
    herring(inc, "media", "image-proxy", f"{REGISTRY}/media/image-proxy", "1.4.0", "1.4.2",
            AT11 - timedelta(minutes=35))
    plant(inc, "media", "thumbnailer-s3", "aws", "thumbnails", "AWS_ACCESS_KEY_ID")
    inc.alertmanager("KubePodCrashLooping", {"namespace": "media", "pod": "thumbnailer", "container": "thumbnailer"},
                     "Pod is crash looping.",
                     "Pod media/thumbnailer is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "media", "thumbnailer"),
                   keywords=["medium: Memory", "tmpfs", "OOMKilled"],
                   root_cause="thumbnailer revision 2 makes its /scratch emptyDir a tmpfs (medium: Memory); the "
                              "extracted frames are charged to the 1Gi memory limit and the container is OOMKilled.",
                   category="tmpfs-emptydir-charged-to-memory-limit",
                   red_herrings=[("Deployment", "media", "image-proxy")])
    return inc


# ---- 12: nginx proxy cache keeps millions of small files: inodes run out -------------------------------------
AT12 = datetime(2026, 11, 24, 17, 40, tzinfo=UTC)


def avatar_errors_alert() -> Incident:
    """A cache ConfigMap raises nginx `inactive` from 10m to 30d: millions of tiny cache files use up the inodes.

    after: cache and mail-spool incidents where a volume reports `No space left on device` with plenty of free
    bytes because every inode is taken by small files kept far longer after a retention edit.
    """
    inc = start(avatar_errors_alert, "avatar image errors", AT12, 5212, ("edge", "profiles"))
    chg = AT12 - timedelta(hours=20)
    conf = inc.configmap("edge", "avatar-cache-conf", {"cache.conf": (
        "proxy_cache_path /var/cache/nginx/avatars levels=1:2 keys_zone=avatars:200m max_size=40g "
        "inactive=30d use_temp_path=off;\n"
        "server {\n  listen 8080;\n  location /avatars/ {\n    proxy_cache avatars;\n"
        "    proxy_cache_key $uri$arg_size;\n    proxy_cache_valid 200 30d;\n"
        "    proxy_pass http://avatar-origin.profiles.svc.cluster.local:8080;\n  }\n}\n")},
        at=inc.born + timedelta(days=5))
    changed(conf, ("argocd-controller", "Apply", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:cache.conf": {}}}))
    broke = AT12 - timedelta(minutes=12)

    def access(i: int, t: datetime) -> str:
        return (f"10.2.{i % 7}.{i % 250} - - [{t.strftime('%d/%b/%Y:%H:%M:%S +0000')}] \"GET /avatars/u{50000 + i}"
                f".webp?size=64 HTTP/1.1\" 200 {2100 + i % 900} \"-\" \"okhttp/4.12.0\"")

    def err(i: int, t: datetime) -> str | None:
        if i % 2:
            return access(i, t).replace("\" 200 ", "\" 500 ")
        return (f"{t.strftime('%Y/%m/%d %H:%M:%S')} [crit] 29#29: *{88100 + i} open() \"/var/cache/nginx/avatars/"
                f"{i % 10}/{i % 97:02x}/8a1f0c{i:06x}\" failed (28: No space left on device) while reading "
                f"upstream, client: 10.2.3.{i % 250}, server: , request: \"GET /avatars/u{50000 + i}.webp?size=64 "
                f"HTTP/1.1\", upstream: \"http://10.2.9.14:8080/avatars/u{50000 + i}.webp?size=64\"")
    rev = Rev(1, inc.born + timedelta(days=15), "helm upgrade", [c("nginx", "nginx:1.27.3")],
              pod_spec={"volumes": [{"name": "conf", "configMap": {"name": "avatar-cache-conf"}},
                                    {"name": "cache", "persistentVolumeClaim": {"claimName": "avatar-cache"}}]},
              container={"volumeMounts": [{"name": "conf", "mountPath": "/etc/nginx/conf.d"},
                                          {"name": "cache", "mountPath": "/var/cache/nginx"}]})
    inc.deployment("edge", "avatar-edge", [rev], {1: [P(log=within(phased(broke, access, err, 6)))]})
    inc.pvc("edge", "avatar-cache", "50Gi", "gp3")
    labels = {"namespace": "edge", "persistentvolumeclaim": "avatar-cache", "job": "kubelet"}
    series(inc, "kubelet_volume_stats_inodes_free", "gauge", "Number of free inodes in the volume",
           labels, lambda t: max(0.0, 3.27e6 - max(0.0, (t - chg).total_seconds()) * 45.5))
    series(inc, "kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume",
           labels, drift(3.1e10, 2e8))
    series(inc, "nginx_http_requests_total", "counter", "Total http requests",
           {"namespace": "edge", "service": "avatar-edge", "status": "500", "job": "nginx-exporter"},
           counter(AT12 - timedelta(hours=2), 0.01, 31.0, broke))
    inc.deployment("profiles", "avatar-origin", [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                                                     [c("avatar-origin", f"{REGISTRY}/profiles/avatar-origin:1.3.0")])],
                   {1: [P(), P()]})
    herring(inc, "profiles", "profile-api", f"{REGISTRY}/profiles/profile-api", "9.1.0", "9.2.0",
            AT12 - timedelta(minutes=40))
    plant(inc, "profiles", "avatar-origin-s3", "aws", "avatars", "AWS_ACCESS_KEY_ID")
    send(inc, [rule(inc, "NginxHighErrorRate", {"namespace": "edge", "service": "avatar-edge"},
                    "avatar-edge 5xx ratio above 5%", "More than 5% of avatar-edge responses are 5xx.",
                    'sum(rate(nginx_http_requests_total{service="avatar-edge",status=~"5.."}[5m])) / '
                    'sum(rate(nginx_http_requests_total{service="avatar-edge"}[5m])) > 0.05', severity="critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("ConfigMap", "edge", "avatar-cache-conf"),
                   keywords=["inode", "inactive=30d", "No space left on device"],
                   root_cause="avatar-cache-conf raised proxy_cache_path to inactive=30d (was 10m); nginx keeps "
                              "millions of small cache files, the volume runs out of inodes (bytes still free) and "
                              "cache writes fail with No space left on device, answered as 500.",
                   category="cache-retention-exhausts-volume-inodes",
                   red_herrings=[("Deployment", "profiles", "profile-api")])
    return inc


ALL = [inference_evictions_question, orders_duplicate_keys_page, notification_publishes_blocked_grouped,
       partner_feed_stale_alert, uploads_api_crashloop, search_indexer_evicted_alert, checkout_publish_burn,
       node_disk_filling_question, invoice_archiver_rollout_stuck, media_uploads_failing_page, thumbnailer_crashloop,
       avatar_errors_alert]
