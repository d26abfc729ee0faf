"""A datastore that cannot write because its volume is full: the claim (or the node) is blamed, not the clients.

The log lines are the servers' and drivers' own wordings (PostgreSQL's ERROR/PANIC lines and psycopg2's
DiskFull, mysqld's "Disk is full writing ... (OS errno 28 ...)" and Connector/J's "The table ... is full",
Elasticsearch 8's JSON log and the Python client's ApiError for the flood-stage block, Redis's server log and
ioredis's ReplyError, a Kafka broker's LogDirFailureChannel); they go through the real log-facts extractor
as `k8s_logs` does. Pods and claims are core/v1 objects as `k8s_get -o yaml` returns them; the gauges are the
kubelet's `kubelet_volume_stats_*` samples as `prom_query` answers them.
"""

from __future__ import annotations

from typing import Any

from agent.triage import rank, runbook_for, subject_of
from agent.triage.facts import Facts, LogEvidence, log_evidence
from agent.triage.full_volume import sign_of
from mcp_servers.common.logfacts import extract
from tests.triage.test_rank import AT, alert

GI = 1024 ** 3


def log(pod: str, namespace: str, lines: list[str], evidence_id: str) -> LogEvidence:
    facts = extract(lines).model_dump()
    found = log_evidence({"pod": pod, "namespace": namespace, "facts": facts}, evidence_id)
    assert found is not None
    return found


def pod(name: str, namespace: str, volumes: list[dict[str, Any]], mounts: list[dict[str, Any]],
        owner: tuple[str, str], image: str, node: str = "node-a") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace,
                         "ownerReferences": [{"kind": owner[0], "name": owner[1], "controller": True}]},
            "spec": {"nodeName": node, "volumes": volumes,
                     "containers": [{"name": "main", "image": image, "volumeMounts": mounts}]}}


def claim_volume(volume: str, claim: str) -> dict[str, Any]:
    return {"name": volume, "persistentVolumeClaim": {"claimName": claim}}


def pvc(name: str, namespace: str, size: str, storage_class: str = "gp3") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": namespace},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                     "resources": {"requests": {"storage": size}}},
            "status": {"phase": "Bound", "capacity": {"storage": size}}}


def stats(namespace: str, claim: str, capacity: float, available: float) -> dict[str, Any]:
    labels = {"namespace": namespace, "persistentvolumeclaim": claim, "job": "kubelet"}
    return {"samples": [{"labels": {"__name__": "kubelet_volume_stats_capacity_bytes", **labels}, "value": capacity},
                        {"labels": {"__name__": "kubelet_volume_stats_available_bytes", **labels},
                         "value": available}]}


def top_of(facts: Facts, **labels: str) -> Any:
    return rank(subject_of(alert(**labels)), facts)[0]


def test_postgres_wal_full_blames_the_claim_with_its_size_and_usage_and_lists_the_client() -> None:
    server = log("orders-db-0", "orders", [
        "2026-05-01 11:57:40.101 UTC [4711] ERROR:  could not extend file \"base/16384/16412\": No space left on "
        "device",
        "2026-05-01 11:57:40.101 UTC [4711] HINT:  Check free disk space.",
        "2026-05-01 11:58:02.554 UTC [29] PANIC:  could not write to file \"pg_wal/xlogtemp.29\": No space left on "
        "device"], "E5")
    client = log("orders-api-6d9f8b7c5d-x2k4q", "orders", [
        "ERROR:orders.api:insert failed",
        "psycopg2.errors.DiskFull: could not extend file \"base/16384/16412\": No space left on device"], "E6")
    facts = Facts(at=AT, logs=[client, server], objects=[
        (pod("orders-db-0", "orders", [claim_volume("data", "data-orders-db-0")],
             [{"name": "data", "mountPath": "/var/lib/postgresql/data"}], ("StatefulSet", "orders-db"),
             "docker.io/library/postgres:16.3"), "E7"),
        (pvc("data-orders-db-0", "orders", "20Gi"), "E8")],
        metrics=[(stats("orders", "data-orders-db-0", 20 * GI, 12 * 1024 ** 2), "E9")])
    top = top_of(facts, alertname="KubePodNotReady", namespace="orders", deployment="orders-api")
    assert top.check == "pvc.full" and str(top.ref) == "PersistentVolumeClaim orders/data-orders-db-0"
    assert "20Gi" in top.cause and "12Mi of 20Gi available" in top.cause and "No space left on device" in top.cause
    assert "orders-api" in top.cause and {"E5", "E6", "E7", "E8", "E9"} <= set(top.evidence)
    assert runbook_for(top) == "pvc-full"


def test_a_claim_exporting_the_used_gauge_too_keeps_its_available_and_percent_text() -> None:
    """kubelet exports `_used_bytes` beside `_available_bytes`: the usage text stays "X of Y available, N% used"
    (the inode check once sat between the two branches and the used-only text overwrote it)."""
    server = log("orders-db-0", "orders", [
        "2026-05-01 11:58:02.554 UTC [29] PANIC:  could not write to file \"pg_wal/xlogtemp.29\": No space left on "
        "device"], "E5")
    gauges = stats("orders", "data-orders-db-0", 20 * GI, 12 * 1024 ** 2)
    gauges["samples"].append({"labels": {"__name__": "kubelet_volume_stats_used_bytes", "namespace": "orders",
                                         "persistentvolumeclaim": "data-orders-db-0", "job": "kubelet"},
                              "value": 20 * GI - 12 * 1024 ** 2})
    facts = Facts(at=AT, logs=[server], objects=[
        (pod("orders-db-0", "orders", [claim_volume("data", "data-orders-db-0")],
             [{"name": "data", "mountPath": "/var/lib/postgresql/data"}], ("StatefulSet", "orders-db"),
             "docker.io/library/postgres:16.3"), "E7"),
        (pvc("data-orders-db-0", "orders", "20Gi"), "E8")], metrics=[(gauges, "E9")])
    top = top_of(facts, alertname="KubePodNotReady", namespace="orders", statefulset="orders-db")
    assert "12Mi of 20Gi available, 100% used" in top.cause


def test_mysql_binlog_disk_full_on_a_deployment_claim_without_gauges() -> None:
    server = log("billing-mysql-7c5d8f9b6d-qwzrt", "billing", [
        "2026-05-01T11:58:03.412345Z 12 [ERROR] [MY-000035] [Server] Disk is full writing './binlog.000042' "
        "(OS errno 28 - No space left on device). Waiting for someone to free space... Retry in 60 secs. Message "
        "reprinted in 600 secs."], "E5")
    client = log("invoicer-5f7d9c8b6d-zxcvb", "billing", [
        "2026-05-01 11:58:10.201 ERROR 1 --- [nio-8080-exec-3] o.h.engine.jdbc.spi.SqlExceptionHelper   : "
        "The table 'invoices' is full"], "E6")
    facts = Facts(at=AT, logs=[client, server], objects=[
        (pod("billing-mysql-7c5d8f9b6d-qwzrt", "billing", [claim_volume("mysql", "billing-mysql")],
             [{"name": "mysql", "mountPath": "/var/lib/mysql"}], ("ReplicaSet", "billing-mysql-7c5d8f9b6d"),
             "docker.io/library/mysql:8.4"), "E7"),
        (pvc("billing-mysql", "billing", "50Gi", "standard-rwo"), "E8")])
    top = top_of(facts, alertname="InvoicerErrors", namespace="billing", deployment="invoicer")
    assert top.check == "pvc.full" and str(top.ref) == "PersistentVolumeClaim billing/billing-mysql"
    assert "50Gi, storageClass standard-rwo" in top.cause and "OS errno 28" in top.cause
    assert "Deployment billing/billing-mysql" in top.cause and "invoicer" in top.cause


def test_elasticsearch_flood_stage_picks_the_claim_mounted_where_the_log_points() -> None:
    server = log("logs-es-data-1", "logging", [
        '{"@timestamp":"2026-05-01T11:58:00.000Z", "log.level": "WARN", "message":"flood stage disk watermark [95%] '
        'exceeded on [Xq1][logs-es-data-1][/usr/share/elasticsearch/data] free: 1.2gb[2.4%], all indices on this '
        'node will be marked read-only", "ecs.version": "1.2.0","service.name":"ES_ECS","event.dataset":'
        '"elasticsearch.server","process.thread.name":"elasticsearch[logs-es-data-1][management][T#2]",'
        '"log.logger":"org.elasticsearch.cluster.routing.allocation.DiskThresholdMonitor"}'], "E5")
    client = log("log-shipper-8f6d7c9b5d-plmzk", "logging", [
        "ERROR bulk index failed: elasticsearch.ApiError: ApiError(429, 'cluster_block_exception', 'index "
        "[app-logs-2026.05.01] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index "
        "has read-only-allow-delete block];')"], "E6")
    facts = Facts(at=AT, logs=[client, server], objects=[
        (pod("logs-es-data-1", "logging", [claim_volume("snapshots", "snapshots-logs-es-data-1"),
                                           claim_volume("data", "data-logs-es-data-1")],
             [{"name": "snapshots", "mountPath": "/snapshots"},
              {"name": "data", "mountPath": "/usr/share/elasticsearch/data"}], ("StatefulSet", "logs-es-data"),
             "docker.elastic.co/elasticsearch/elasticsearch:8.14.1"), "E7")],
        metrics=[(stats("logging", "data-logs-es-data-1", 50 * GI, 1.2 * GI), "E9")])
    top = top_of(facts, alertname="LogShipperBacklog", namespace="logging", deployment="log-shipper")
    assert str(top.ref) == "PersistentVolumeClaim logging/data-logs-es-data-1"
    assert "flood stage disk watermark [95%] exceeded" in top.cause and "log-shipper" in top.cause
    assert "50Gi" in top.cause


def test_redis_refusals_with_a_full_claim_shown_by_the_gauges_blame_the_claim() -> None:
    client = log("session-api-7d9c5b6f8-x2k4q", "sessions", [
        "ReplyError: MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
        "disk. Commands that may modify the data set are disabled, because this instance is configured to report "
        "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the "
        "Redis logs for details about the RDB error."], "E6")
    redis_pod = pod("cache-0", "sessions", [claim_volume("data", "data-cache-0")],
                    [{"name": "data", "mountPath": "/data"}], ("StatefulSet", "cache"), "docker.io/library/redis:7.2")
    full = Facts(at=AT, logs=[client], objects=[(redis_pod, "E7")],
                 metrics=[(stats("sessions", "data-cache-0", 2 * GI, 0.0), "E9")])
    top = top_of(full, alertname="SessionErrors", namespace="sessions", deployment="session-api")
    assert str(top.ref) == "PersistentVolumeClaim sessions/data-cache-0" and "MISCONF" in top.cause
    assert "0B of 2Gi available" in top.cause
    roomy = Facts(at=AT, logs=[client], objects=[(redis_pod, "E7")],
                  metrics=[(stats("sessions", "data-cache-0", 2 * GI, 1.5 * GI), "E9")])
    assert all(c.check != "pvc.full" for c in rank(subject_of(alert(alertname="SessionErrors", namespace="sessions",
                                                                     deployment="session-api")), roomy))


def test_a_snapshot_fork_out_of_memory_is_not_a_full_volume() -> None:
    server = log("cache-0", "sessions", [
        "1:M 01 May 2026 11:58:00.012 # Can't save in background: fork: Cannot allocate memory",
        "1:M 01 May 2026 11:58:06.020 * 10000 changes in 60 seconds. Saving..."], "E5")
    client = log("session-api-7d9c5b6f8-x2k4q", "sessions", [
        "ReplyError: MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
        "disk."], "E6")
    redis_pod = pod("cache-0", "sessions", [claim_volume("data", "data-cache-0")],
                    [{"name": "data", "mountPath": "/data"}], ("StatefulSet", "cache"), "docker.io/library/redis:7.2")
    facts = Facts(at=AT, logs=[client, server], objects=[(redis_pod, "E7")],
                  metrics=[(stats("sessions", "data-cache-0", 2 * GI, 0.0), "E9")])
    assert all(c.check != "pvc.full" for c in rank(subject_of(alert(alertname="SessionErrors", namespace="sessions",
                                                                    deployment="session-api")), facts))


def test_kafka_data_on_an_emptydir_blames_the_nodes_disk() -> None:
    broker = log("events-kafka-2", "streaming", [
        "[2026-05-01 11:58:01,114] ERROR Error while writing to checkpoint file "
        "/var/lib/kafka/data/recovery-point-offset-checkpoint (kafka.server.LogDirFailureChannel)",
        "java.io.IOException: No space left on device"], "E5")
    facts = Facts(at=AT, logs=[broker], objects=[
        (pod("events-kafka-2", "streaming", [{"name": "data", "emptyDir": {}}],
             [{"name": "data", "mountPath": "/var/lib/kafka/data"}], ("StatefulSet", "events-kafka"),
             "docker.io/bitnami/kafka:3.7", node="ip-10-0-3-17"), "E7")])
    top = top_of(facts, alertname="KafkaBrokerDown", namespace="streaming", statefulset="events-kafka")
    assert top.check == "pvc.full" and str(top.ref) == "Node ip-10-0-3-17"
    assert "emptyDir data at /var/lib/kafka/data" in top.cause


def test_signs_in_other_wordings_and_what_is_no_sign() -> None:
    def said(line: str) -> tuple[str, bool] | None:
        found = sign_of(log("x-0", "ns", [line], "E1"))
        return (found.engine, found.full) if found else None

    assert said("{\"level\":\"warn\",\"msg\":\"retrying of unary invoker failed\",\"error\":\"rpc error: code = "
                "ResourceExhausted desc = etcdserver: mvcc: database space exceeded\"}") == ("etcd", True)
    assert said("org.apache.kafka.common.errors.KafkaStorageException: Disk error when trying to access log file "
                "on the disk.") == ("Kafka", False)
    assert said("ERROR: could not extend file \"base/16384/2619\": wrote only 4096 of 8192 bytes at block 12 "
                "(SQLSTATE 53100)") == ("PostgreSQL", True)
    assert said("level=error msg=\"request failed\" err=\"connect: connection refused\"") is None
