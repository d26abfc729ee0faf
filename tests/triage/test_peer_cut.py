"""peer_cut: a recent network policy that cuts a clustered store's members from each other.

The reads are answered by a small in-memory cluster (the same answer shapes the hub gives: YAML text for a get,
rows for a list, log text for logs). Shapes: a MongoDB replica set whose allow-list admits client namespaces on
27017 but not the members (heartbeats fail, "can't see a majority"), and an etcd cluster whose policy admits
clients on 2379 and nothing on the peer port 2380 (raft "lost leader"). Twins: the policy also admits the
members' own pods, the members' logs say nothing of their peers, a one-member store, and a policy written
before the window.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import peer_cut
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _policy(ns: str, name: str, selector: dict[str, str], ingress: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress"], "ingress": ingress}}


def _sts(ns: str, name: str, labels: dict[str, str], ports: list[int], replicas: int = 3) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": labels}, "spec": {"containers": [
                {"name": "main", "ports": [{"containerPort": p} for p in ports]}]}}}}


class Cluster:
    """The objects and logs the reads see, answered as the hub answers them."""

    def __init__(self, objects: list[dict[str, Any]], logs: dict[str, str]) -> None:
        self.objects, self.logs, self.calls = objects, logs, 0

    def _find(self, kind: str, ns: str) -> list[dict[str, Any]]:
        plural = {"networkpolicies": "NetworkPolicy", "statefulsets": "StatefulSet", "Pod": "Pod"}.get(kind, kind)
        return [o for o in self.objects if o["kind"] == plural and o["metadata"].get("namespace", "") == ns]

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        self.calls += 1
        ns = str(args.get("namespace") or "")
        if tool == "k8s_list":
            rows = [{"name": o["metadata"]["name"]} for o in self._find(str(args["kind"]), ns)]
            if args["kind"] == "Pod":
                rows = [{"name": f"{o['metadata']['name']}-{i}"} for o in self._find("StatefulSet", ns)
                        for i in range(3)]
            return outcome(True, {"rows": rows}, "", f"list-{step}")
        if tool == "k8s_get":
            kind = {"networkpolicies": "NetworkPolicy"}.get(str(args["kind"]), str(args["kind"]))
            got = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == args["name"]
                   and o["metadata"].get("namespace", "") == ns]
            return outcome(bool(got), {}, yaml.safe_dump(got[0]) if got else "", f"get-{step}")
        if tool == "k8s_logs":
            return outcome(True, {}, self.logs.get(str(args["name"]), ""), f"logs-{step}")
        return outcome(False, None, "", "")


def _namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def _facts(ns: str, name: str, minutes: int = 20) -> Facts:
    at = (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return Facts(at=AT, changes={"changes": [{"at": at, "type": "created", "object": {
        "kind": "NetworkPolicy", "namespace": ns, "name": name}, "summary": "created", "diff": []}]},
        changes_id="changes-1")


def _run(facts: Facts, cluster: Cluster) -> list[dict[str, Any]]:
    asyncio.run(peer_cut.read(Subject(), facts, cluster, AT.isoformat()))
    return [finding for _, finding, _, _ in peer_cut.suspects(facts)]


CLIENTS_ONLY = [{"from": [{"namespaceSelector": {"matchLabels": {"db-access": "true"}}}],
                 "ports": [{"protocol": "TCP", "port": 27017}]}]
MONGO_LOG = ('{"t":{"$date":"2026-12-02T08:50:00.000+00:00"},"s":"I","c":"REPL","id":21809,"msg":"Can\'t see a '
             'majority of the set, relinquishing primary","attr":{}}\n')


def _mongo(ingress: list[dict[str, Any]], log: str = MONGO_LOG, replicas: int = 3) -> Cluster:
    return Cluster([_namespace("data"), _policy("data", "mongo-lockdown", {"app": "mongo"}, ingress),
                    _sts("data", "mongo", {"app": "mongo"}, [27017], replicas)], {"mongo-0": log})


def test_mongodb_members_cut_names_the_policy_with_what_it_means() -> None:
    found = _run(_facts("data", "mongo-lockdown"), _mongo(CLIENTS_ONLY))
    assert len(found) == 1
    finding = found[0]
    assert finding["object"] == {"kind": "NetworkPolicy", "namespace": "data", "name": "mongo-lockdown"}
    head = finding["message"][:400]
    for word in ("cuts the members of StatefulSet data/mongo", "replica set", "heartbeats", "27017"):
        assert word in head
    assert "majority" in finding["message"]


def test_etcd_peer_port_closed_names_the_policy() -> None:
    ingress = [{"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 2379}]}]
    log = '{"level":"warn","msg":"lost leader; no leader elected","raft":"a1b2"}\n'
    cluster = Cluster([_namespace("kv"), _policy("kv", "etcd-clients", {"app": "etcd"}, ingress),
                       _sts("kv", "etcd", {"app": "etcd"}, [2379, 2380])], {"etcd-0": log})
    found = _run(_facts("kv", "etcd-clients"), cluster)
    assert [f["details"]["port"] for f in found] == [2380]


def test_policy_admitting_the_members_is_not_named() -> None:
    ingress = [*CLIENTS_ONLY, {"from": [{"podSelector": {"matchLabels": {"app": "mongo"}}}],
                               "ports": [{"protocol": "TCP", "port": 27017}]}]
    assert _run(_facts("data", "mongo-lockdown"), _mongo(ingress)) == []


def test_members_that_do_not_complain_or_a_single_member_are_not_named() -> None:
    quiet = "Connection accepted\n"
    assert _run(_facts("data", "mongo-lockdown"), _mongo(CLIENTS_ONLY, log=quiet)) == []
    assert _run(_facts("data", "mongo-lockdown"), _mongo(CLIENTS_ONLY, replicas=1)) == []


def test_policy_written_long_before_reads_nothing() -> None:
    cluster = _mongo(CLIENTS_ONLY)
    assert _run(_facts("data", "mongo-lockdown", minutes=60 * 9), cluster) == []
    assert cluster.calls == 0


# Other software's own words for a member that cannot hear its peers, each with its client port admitted to
# every namespace and its peer port left to the members (real log lines' shapes, names of our own).
PEER_SHAPES = [
    # ZooKeeper ensemble (QuorumCnxManager): quorum 2888 and election 3888 beside the client port 2181; the line
    # names the election port it failed to open
    ("zk", [2181, 2888, 3888], 3888,
     "2026-12-02 08:51:02,101 [myid:2] - WARN  [QuorumConnectionThread-[myid=2]-7:QuorumCnxManager@401] - "
     "Cannot open channel to 1 at election address zk-0.zk-hs.svc.cluster.local/10.1.2.3:3888\n"),
    # Elasticsearch 7+/OpenSearch (ClusterFormationFailureHelper): transport 9300 beside HTTP 9200
    ("search", [9200, 9300], 9300,
     '{"type": "server", "level": "WARN", "component": "o.e.c.c.ClusterFormationFailureHelper", "message": '
     '"master not discovered or elected yet, an election requires at least 2 nodes with ids from [a, b, c]"}\n'),
    # RabbitMQ (Erlang distribution): inter-node 25672 beside AMQP 5672
    ("broker", [5672, 25672], 25672,
     "2026-12-02 08:52:33.240761+00:00 [error] <0.244.0> ** Node rabbit@broker-1 not responding **\n"
     "2026-12-02 08:52:33.240761+00:00 [error] <0.244.0> ** Removing (timedout) connection **\n"),
    # Cassandra gossip: storage port 7000 beside CQL 9042
    ("ring", [9042, 7000], 7000,
     "INFO  [GossipTasks:1] 2026-12-02 08:53:10,001 Gossiper.java:1100 - InetAddress /10.1.2.4:7000 is now DOWN\n"),
]


def _clustered(app: str, ports: list[int], log: str) -> Cluster:
    """A three-member store whose new policy admits every namespace on its client port only."""
    ingress = [{"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": ports[0]}]}]
    return Cluster([_namespace("store"), _policy("store", f"{app}-clients", {"app": app}, ingress),
                    _sts("store", app, {"app": app}, ports)], {f"{app}-0": log})


def test_other_software_peer_words_name_the_policy_on_the_peer_port() -> None:
    for app, ports, peer_port, log in PEER_SHAPES:
        found = _run(_facts("store", f"{app}-clients"), _clustered(app, ports, log))
        assert [f["details"]["port"] for f in found] == [peer_port], app
        assert f"cuts the members of StatefulSet store/{app}" in found[0]["message"][:200]
        assert log.splitlines()[0][:60] in found[0]["message"]


def test_healthy_cluster_formation_words_are_no_peer_loss() -> None:
    healthy = {
        "zk": "INFO  [QuorumPeer[myid=2]:Follower@75] - FOLLOWING - LEADER ELECTION TOOK - 12 MS\n",
        "search": '{"component": "o.e.c.s.ClusterApplierService", "message": "master node changed '
                  '{previous [], current [{search-0}]}, term: 3, reason: ApplyCommitRequest"}\n',
        "broker": "[info] <0.405.0> node 'rabbit@broker-1' up\n",
        "ring": "INFO  [GossipStage:1] Gossiper.java:1139 - InetAddress /10.1.2.4:7000 is now UP\n",
    }
    for app, ports, _, _ in PEER_SHAPES:
        assert _run(_facts("store", f"{app}-clients"), _clustered(app, ports, healthy[app])) == [], app
