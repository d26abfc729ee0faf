"""timing_tight against software it was not built from, and its one-owner split with store_mode (issue #12).

timing_tight was built from one blind etcd incident. These shapes come from other software's documented settings
and real log wording:

- Elasticsearch/OpenSearch master fault detection: `cluster.fault_detection.leader_check.timeout` and
  `follower_check.timeout` (default 10s, elastic.co "Cluster fault detection" and discovery settings), set as a
  dotted env var, as ES 8's `ES_SETTING_*` env (`_` for `.`, `__` for `_`) or as `-E` flags; the members log
  `master node changed {previous [...], current []}, ... reason: becoming candidate: onLeaderFailure` and the master
  removes nodes with `followers check retry count exceeded`;
- ZooKeeper's `tickTime` (default 2000 ms; the official image's ZOO_TICK_TIME), whose FastLeaderElection logs
  `New election. My id = 2, proposed zxid=0x...` and whose followers log `Exception when following the leader`;
- ingress-nginx's own leader lease flag `--election-ttl` (default 30s), whose controllers log client-go's
  `failed to renew lease`.

Negative twins: the same software at its defaults under the same words, a tight timing whose members say nothing
of churn, and the words of another family (etcd's) in an Elasticsearch pod.

The overlap with agent.triage.store_mode (a data store's failover timing read through its clients' demoted-primary
errors): one owner per software. A case of each kind carries BOTH modules' evidence (the timeline's diff line of
the cut, a client's demoted/leader-changed error, the members' churn) and exactly one module claims it: etcd and
Elasticsearch are timing_tight's, Redis Sentinel and Kafka KRaft store_mode's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.triage import store_mode
from agent.triage import timing_tight as tt
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.test_timing_tight import Hub, _workload

AT = datetime(2026, 9, 9, 3, 20, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _log(ns: str, pod: str, line: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top={"example": line, "severity": "error"},
                       hosts=[], error_classes=set(), previous=False)


def _facts(logs: list[LogEvidence], changes: list[dict[str, Any]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes or []}, changes_id="E2", logs=logs)


def _timing(hub: Hub, pod: str, facts: Facts) -> list[tt.Tight]:
    ns = hub.workload["metadata"]["namespace"]
    asyncio.run(tt.read(Subject(namespace=ns, pods=[pod]), facts, hub, _iso(AT)))
    return tt.found(facts)


ES_SAID = ("[2026-09-09T03:11:02,114][INFO ][o.e.c.s.ClusterApplierService] [search-master-1] master node changed "
           "{previous [{search-master-0}{Xk2}], current []}, term: 41, version: 9120, reason: becoming candidate: "
           "onLeaderFailure")


def _es(env: dict[str, str] | None = None, args: list[str] | None = None) -> Hub:
    image = "docker.elastic.co/elasticsearch/elasticsearch:8.15.0"
    return Hub(_workload("StatefulSet", "search", "search-master", image, env, args), None)


@pytest.mark.parametrize("env,args", [
    ({"cluster.fault_detection.leader_check.timeout": "500ms"}, None),
    ({"ES_SETTING_CLUSTER_FAULT__DETECTION_LEADER__CHECK_TIMEOUT": "1s"}, None),
    (None, ["eswrapper", "-Ecluster.fault_detection.follower_check.timeout=1s"]),
])
def test_elasticsearch_fault_detection_cut_with_master_changes_is_named(env: dict[str, str] | None,
                                                                         args: list[str] | None) -> None:
    found = _timing(_es(env, args), "search-master-1", _facts([_log("search", "search-master-1", ES_SAID)]))
    assert [t.family.software for t in found] == ["Elasticsearch"]
    head = tt.finding(found[0])["message"][:400]
    assert head.startswith("StatefulSet search/search-master sets its Elasticsearch")
    assert "master node changed" in head and "default 10000 ms" in head


def test_elasticsearch_at_its_default_under_the_same_words_is_not_named() -> None:
    hub = _es({"cluster.fault_detection.leader_check.timeout": "10s"})
    assert _timing(hub, "search-master-1", _facts([_log("search", "search-master-1", ES_SAID)])) == []


def test_elasticsearch_cut_without_churn_words_or_with_etcds_words_is_not_named() -> None:
    quiet = _log("search", "search-master-1", "[WARN ][o.e.c.r.a.DiskThresholdMonitor] high disk watermark [90%] "
                                              "exceeded on [search-data-2]")
    hub = _es({"cluster.fault_detection.leader_check.timeout": "500ms"})
    assert _timing(hub, "search-master-1", _facts([quiet])) == []
    other = _log("search", "search-master-1", "raft.node: 8e9e05c52164694d elected leader at term 5")
    assert _timing(_es({"cluster.fault_detection.leader_check.timeout": "500ms"}), "search-master-1",
                   _facts([other])) == []


def test_zookeeper_tick_time_cut_with_new_elections_is_named() -> None:
    hub = Hub(_workload("StatefulSet", "coord", "zk", "zookeeper:3.9.2", {"ZOO_TICK_TIME": "200"}), None)
    said = ("2026-09-09 03:14:07,552 [myid:2] - INFO  [QuorumPeer[myid=2](plain=0.0.0.0:2181)(secure=disabled):"
            "o.a.z.s.q.FastLeaderElection@919] - New election. My id = 2, proposed zxid=0x30000012a")
    found = _timing(hub, "zk-2", _facts([_log("coord", "zk-2", said)]))
    assert [x[0].name for t in found for x in t.found] == ["tick time"]
    assert "ZOO_TICK_TIME=200 (default 2000 ms)" in tt.finding(found[0])["message"][:400]


def test_zookeeper_tick_time_at_its_default_is_not_named() -> None:
    hub = Hub(_workload("StatefulSet", "coord", "zk", "zookeeper:3.9.2", {"ZOO_TICK_TIME": "2000"}), None)
    said = "New election. My id = 2, proposed zxid=0x30000012a"
    assert _timing(hub, "zk-2", _facts([_log("coord", "zk-2", said)])) == []


def test_ingress_nginx_election_ttl_cut_with_lease_renewal_failures_is_named() -> None:
    hub = Hub(_workload("Deployment", "ingress", "edge-controller",
                        "registry.k8s.io/ingress-nginx/controller:v1.11.2",
                        args=["/nginx-ingress-controller", "--election-id=edge-leader", "--election-ttl=3s"]), None)
    said = ("E0909 03:10:11.402913       7 leaderelection.go:340] Failed to update lock optimistically: "
            "failed to renew lease ingress/edge-leader: timed out waiting for the condition")
    found = _timing(hub, "edge-controller-5d8f7c9b6-k2x7q",
                    _facts([_log("ingress", "edge-controller-5d8f7c9b6-k2x7q", said)]))
    assert [t.family.software for t in found] == ["ingress-nginx leader election"]


# One owner per case: both modules see the full evidence of each kind.

def _cut(kind: str, ns: str, name: str, line: str) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=40)), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written: {line}", "diff": [line]}


def _claims(hub: Hub, pod: str, change: dict[str, Any], logs: list[LogEvidence]) -> tuple[int, int]:
    facts = _facts(logs, [change])
    return len(_timing(hub, pod, facts)), len(store_mode.suspects(facts))


def test_etcd_cut_with_clients_hearing_leader_changed_is_timing_tights_alone() -> None:
    hub = Hub(_workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15",
                        {"ETCD_HEARTBEAT_INTERVAL": "10", "ETCD_ELECTION_TIMEOUT": "50"}), 41.0, 0.0)
    change = _cut("StatefulSet", "infra", "meta-etcd", "env ETCD_ELECTION_TIMEOUT='1000' -> ETCD_ELECTION_TIMEOUT='50'")
    client = _log("apps", "locker-1", "etcdserver: leader changed")
    assert _claims(hub, "meta-etcd-1", change, [client]) == (1, 0)


def test_etcd_stays_timing_tights_even_if_store_mode_learns_a_generic_election_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ownership is a rule, not a coincidence of the two key tables: a store_mode table entry that would match
    etcd's key still leaves etcd to timing_tight."""
    monkeypatch.setitem(store_mode.TIMING, "electiontimeout", ("a raft store", "election-timeout", 1000.0))
    hub = Hub(_workload("StatefulSet", "infra", "meta-etcd", "quay.io/coreos/etcd:v3.5.15",
                        {"ETCD_ELECTION_TIMEOUT": "50"}), 41.0, 0.0)
    change = _cut("StatefulSet", "infra", "meta-etcd", "env ETCD_ELECTION_TIMEOUT='1000' -> ETCD_ELECTION_TIMEOUT='50'")
    assert _claims(hub, "meta-etcd-1", change, [_log("apps", "locker-1", "etcdserver: leader changed")]) == (1, 0)


def test_elasticsearch_cut_with_clients_failing_is_timing_tights_alone() -> None:
    hub = _es({"cluster.fault_detection.leader_check.timeout": "500ms"})
    change = _cut("StatefulSet", "search", "search-master",
                  "env cluster.fault_detection.leader_check.timeout='10s' -> "
                  "cluster.fault_detection.leader_check.timeout='500ms'")
    logs = [_log("search", "search-master-1", ES_SAID),
            _log("web", "catalog-1", "ClusterBlockException: blocked by: [SERVICE_UNAVAILABLE/2/no master];")]
    assert _claims(hub, "search-master-1", change, logs) == (1, 0)


def test_sentinel_cut_with_readonly_writes_and_failovers_is_store_modes_alone() -> None:
    hub = Hub(_workload("StatefulSet", "cache", "redis-sentinel", "bitnami/redis-sentinel:7.2",
                        {"REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS": "1000"}), None)
    change = _cut("StatefulSet", "cache", "redis-sentinel",
                  "env REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS='60000' -> REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS='1000'")
    logs = [_log("cache", "redis-sentinel-0", "1:X 09 Sep 2026 03:12:40.118 # +switch-master mymaster 10.1.4.7 6379 "
                                              "10.1.4.9 6379"),
            _log("shop", "cart-1", "READONLY You can't write against a read only replica.")]
    assert _claims(hub, "redis-sentinel-0", change, logs) == (0, 1)


def test_kraft_quorum_timeout_cut_is_store_modes_alone() -> None:
    hub = Hub(_workload("StatefulSet", "stream", "kafka", "apache/kafka:3.8.0",
                        {"KAFKA_CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS": "100"}), None)
    change = _cut("StatefulSet", "stream", "kafka", "env KAFKA_CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS='1000' -> "
                                                   "KAFKA_CONTROLLER_QUORUM_ELECTION_TIMEOUT_MS='100'")
    logs = [_log("stream", "kafka-0", "[RaftManager id=0] Completed transition to CandidateState(localId=0, epoch=57)"),
            _log("orders", "producer-1", "org.apache.kafka.common.errors.NotLeaderOrFollowerException: For requests "
                                         "intended only for the leader, this error indicates that the broker is not "
                                         "the current leader.")]
    assert _claims(hub, "kafka-0", change, logs) == (0, 1)


def test_the_two_key_tables_are_disjoint() -> None:
    for family in tt.FAMILIES:
        for timing in family.timings:
            for key in timing.keys:
                assert tt.owns(key)
                assert store_mode._match(key, store_mode.TIMING) is None, (family.software, key)
    for _, name, _ in store_mode.TIMING.values():
        assert not tt.owns(name), name
