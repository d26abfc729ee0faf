"""store_mode: a store's topology, failover timing or durability write named by what its clients' errors mean.

Shapes: a Redis cluster CR grown to three shards (ioredis MOVED) and a ConfigMap turning `cluster-enabled` off
(a cluster client told `cluster support disabled`); Sentinel's down-after-milliseconds cut (Lettuce READONLY) and
MongoDB's electionTimeoutMillis cut with the old value unrecorded (`not primary`); Patroni synchronous_mode_strict
with its standby Pending (commits time out) and Kafka min.insync.replicas with a broker down (NOT_ENOUGH_REPLICAS).
Twins: the same writes with errors of another class, a timing raised, a durability setting with every replica
present, a non-topology field of the same object, and a write after the incident.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import store_mode
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CUT = "sentinel env REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS='60000' -> REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS='1000'"


def _change(kind: str, ns: str, name: str, minutes: int, diff: list[str]) -> dict[str, Any]:
    at = (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return {"at": at, "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written: " + "; ".join(diff), "diff": diff}


def _log(ns: str, pod: str, error: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"log-{pod}", top={"example": error}, hosts=[],
                       error_classes=set(), previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence], findings: list[dict[str, Any]] | None = None
           ) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="changes-1", logs=logs,
                 scan={"findings": findings or []})


def _one(facts: Facts) -> dict[str, Any]:
    found = store_mode.suspects(facts)
    assert len(found) == 1, found
    return found[0][1]


def test_cluster_scaled_out_names_the_cluster_for_moved_redirects() -> None:
    facts = _facts([_change("RedisCluster", "kv", "sessions", 20, ["spec.clusterSize = 3",
                                                                  "spec.redisLeader.replicas = 3"])],
                   [_log("web", "api-1", "ReplyError: MOVED 4211 10.1.2.3:6379\n    at parseError")])
    finding = _one(facts)
    assert finding["object"] == {"kind": "RedisCluster", "namespace": "kv", "name": "sessions"}
    head = finding["message"][:400]
    for word in ("sharded cluster mode", "standalone", "MOVED", "rebalanced", "clusterSize", "cluster-aware"):
        assert word in head


def test_cluster_mode_turned_off_names_the_configmap_for_a_cluster_client() -> None:
    facts = _facts([_change("ConfigMap", "cache", "valkey-config", 30, ["cluster-enabled: 'yes' -> 'no'"])],
                   [_log("shop", "cart-1", "redis.exceptions.ResponseError: ERR This instance has cluster support "
                                           "disabled")])
    assert _one(facts)["object"]["name"] == "valkey-config"


def test_topology_write_without_redirects_or_other_field_is_not_named() -> None:
    refused = _facts([_change("RedisCluster", "kv", "sessions", 20, ["spec.clusterSize = 3"])],
                     [_log("web", "api-1", "Error: connect ECONNREFUSED 10.1.2.3:6379")])
    assert store_mode.suspects(refused) == []
    memory = _facts([_change("RedisCluster", "kv", "sessions", 20, ["spec.resources.limits.memory = 2Gi"])],
                    [_log("web", "api-1", "ReplyError: MOVED 4211 10.1.2.3:6379")])
    assert store_mode.suspects(memory) == []


def test_sentinel_down_after_cut_names_the_statefulset_for_readonly_writes() -> None:
    facts = _facts([_change("StatefulSet", "cache", "redis-ha", 40, [
        CUT])],
        [_log("accounts", "profile-1", "io.lettuce.core.RedisReadOnlyException: READONLY You can't write against "
                                       "a read only replica.")])
    head = _one(facts)["message"][:400]
    for word in ("down-after-milliseconds", "Sentinel", "failover", "READONLY", "60000 -> 1000"):
        assert word in head


def test_mongodb_election_timeout_cut_below_default_names_the_resource() -> None:
    facts = _facts([_change("MongoDBCommunity", "db", "users-rs", 15, [
        "spec.replicaSetHorizons.settings.electionTimeoutMillis = 500"])],
        [_log("users", "prefs-1", "MongoServerError: not primary")])
    assert _one(facts)["object"]["kind"] == "MongoDBCommunity"


def test_timing_raised_or_errors_of_another_kind_are_not_named() -> None:
    raised = _facts([_change("StatefulSet", "cache", "redis-ha", 40, [
        "sentinel env REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS='5000' -> "
        "REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS='30000'"])],
        [_log("accounts", "profile-1", "READONLY You can't write against a read only replica.")])
    assert store_mode.suspects(raised) == []
    other = _facts([_change("StatefulSet", "cache", "redis-ha", 40, [
        CUT])],
        [_log("accounts", "profile-1", "NOAUTH Authentication required.")])
    assert store_mode.suspects(other) == []


_PENDING = {"check": "pod.pending", "object": {"kind": "StatefulSet", "namespace": "databases",
                                                 "name": "ledger-pg-instance1-abcd"},
            "message": "StatefulSet databases/ledger-pg-instance1-abcd: 1/1 pods Pending"}


def test_strict_synchronous_mode_with_its_standby_pending_names_the_cluster() -> None:
    facts = _facts([_change("PostgresCluster", "databases", "ledger-pg", 170, [
        "spec.patroni.dynamicConfiguration.synchronous_mode = true",
        "spec.patroni.dynamicConfiguration.synchronous_mode_strict = true"])],
        [_log("pay", "payouts-1", "timeout: context deadline exceeded (after 30s, waiting on COMMIT)")], [_PENDING])
    finding = _one(facts)
    head = finding["message"][:400]
    assert finding["object"]["name"] == "ledger-pg"
    for word in ("synchronous_mode_strict", "standby", "replica", "Pending"):
        assert word in head


def test_kafka_min_insync_replicas_with_a_broker_down_names_the_cluster() -> None:
    down = {"check": "workload.unavailable", "object": {"kind": "StatefulSet", "namespace": "kafka",
                                                          "name": "events-kafka"},
            "message": "StatefulSet kafka/events-kafka: 1/3 replicas ready"}
    facts = _facts([_change("Kafka", "kafka", "events", 90, ["spec.kafka.config.min.insync.replicas = 3"])],
                   [_log("orders", "orders-1", "org.apache.kafka.common.errors.NotEnoughReplicasException: "
                                               "Messages are rejected since there are fewer in-sync replicas")],
                   [down])
    assert _one(facts)["object"] == {"kind": "Kafka", "namespace": "kafka", "name": "events"}


def test_durability_with_every_replica_present_or_after_the_incident_is_not_named() -> None:
    present = _facts([_change("PostgresCluster", "databases", "ledger-pg", 170, [
        "spec.patroni.dynamicConfiguration.synchronous_mode_strict = true"])],
        [_log("pay", "payouts-1", "timeout waiting on COMMIT")], [])
    assert store_mode.suspects(present) == []
    later = _facts([_change("PostgresCluster", "databases", "ledger-pg", -10, [
        "spec.patroni.dynamicConfiguration.synchronous_mode_strict = true"])],
        [_log("pay", "payouts-1", "timeout waiting on COMMIT")], [_PENDING])
    assert store_mode.suspects(later) == []
    off = _facts([_change("PostgresCluster", "databases", "ledger-pg", 170, [
        "spec.patroni.dynamicConfiguration.synchronous_mode_strict = false"])],
        [_log("pay", "payouts-1", "timeout waiting on COMMIT")], [_PENDING])
    assert store_mode.suspects(off) == []


# Failover timing in another store's own names, and its clients' own words for a write that met a demoted
# leader: a KRaft controller quorum timeout (a Java producer's NotLeaderOrFollowerException), MySQL's 1290. Twins:
# the same timing raised, and the cut with the clients failing in words of no failover.
def test_kraft_quorum_timeout_cut_names_the_kafka_for_not_leader_errors() -> None:
    facts = _facts([_change("Kafka", "streaming", "events", 30, [
        "spec.kafka.config.controller.quorum.election.timeout.ms: 1000 -> 100"])],
        [_log("orders", "orders-1", "org.apache.kafka.common.errors.NotLeaderOrFollowerException: For requests "
                                    "intended only for the leader, this error indicates that the broker is not the "
                                    "current leader.")])
    finding = _one(facts)
    assert finding["object"] == {"kind": "Kafka", "namespace": "streaming", "name": "events"}
    assert "Kafka KRaft failure detection" in finding["message"][:200]


def test_group_replication_expel_timeout_cut_names_the_cluster_for_super_read_only() -> None:
    facts = _facts([_change("InnoDBCluster", "db", "orders-mysql", 25, [
        "spec.mycnf: group_replication_member_expel_timeout='5' -> group_replication_member_expel_timeout='0'"])],
        [_log("shop", "checkout-1", "pymysql.err.OperationalError: (1290, 'The MySQL server is running with the "
                                    "--super-read-only option so it cannot execute this statement')")])
    finding = _one(facts)
    assert finding["object"] == {"kind": "InnoDBCluster", "namespace": "db", "name": "orders-mysql"}
    assert "MySQL Group Replication failure detection" in finding["message"][:200]


def test_other_stores_timing_raised_or_without_failover_words_is_not_named() -> None:
    raised = _facts([_change("Kafka", "streaming", "events", 30, [
        "spec.kafka.config.controller.quorum.election.timeout.ms: 100 -> 1000"])],
        [_log("orders", "orders-1", "NotLeaderOrFollowerException: the broker is not the current leader")])
    assert store_mode.suspects(raised) == []
    quiet = _facts([_change("Kafka", "streaming", "events", 30, [
        "spec.kafka.config.controller.quorum.election.timeout.ms: 1000 -> 100"])],
        [_log("orders", "orders-1", "org.apache.kafka.common.errors.TopicAuthorizationException: Not authorized")])
    assert store_mode.suspects(quiet) == []
