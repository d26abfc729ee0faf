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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import peer_cut
from agent.triage.facts import Facts
from agent.triage.subject import Subject

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@dataclass
class Outcome:
    ok: bool
    data: Any
    full_text: str
    evidence_id: str


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

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> Outcome:
        self.calls += 1
        ns = str(args.get("namespace") or "")
        if tool == "k8s_list":
            rows = [{"name": o["metadata"]["name"]} for o in self._find(str(args["kind"]), ns)]
            if args["kind"] == "Pod":
                rows = [{"name": f"{o['metadata']['name']}-{i}"} for o in self._find("StatefulSet", ns)
                        for i in range(3)]
            return Outcome(True, {"rows": rows}, "", f"list-{step}")
        if tool == "k8s_get":
            kind = {"networkpolicies": "NetworkPolicy"}.get(str(args["kind"]), str(args["kind"]))
            got = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == args["name"]
                   and o["metadata"].get("namespace", "") == ns]
            return Outcome(bool(got), {}, yaml.safe_dump(got[0]) if got else "", f"get-{step}")
        if tool == "k8s_logs":
            return Outcome(True, {}, self.logs.get(str(args["name"]), ""), f"logs-{step}")
        return Outcome(False, None, "", "")


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
