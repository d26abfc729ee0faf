"""A network policy written shortly before that cuts the members of a clustered data store from each other.

A replicated store's members talk to each other on the port they serve clients on (MongoDB replica-set
heartbeats and replication on 27017, etcd peers, Redis Cluster's bus, Elasticsearch transport, Kafka/ZooKeeper
quorum, RabbitMQ clustering) or on a peer port beside it. An ingress allow-list written to "restrict the database
to its clients" that lists the client namespaces but not the store's own pods drops that peer traffic: every
pod stays Ready, but heartbeats fail, the primary cannot see a majority and steps down, no leader is elected,
and every client write fails with `not primary` / server selection timeouts / CLUSTERDOWN. The clients' errors
read like a failover or a client setting; the cause is the policy in the store's namespace.

`read` runs only when the timeline shows a policy written within `RECENT`: for each such policy it reads the
policies of its namespace, the StatefulSets there with two members or more, and that namespace's labels, and asks
the shared policy engine (`policy_path.decide`) whether a member may reach another member on each port the
members serve. When the written policy (or one it joined) denies it, one member's log is read for its peer
failure words (heartbeat, majority, election, quorum, unreachable peers); without such words nothing is named (a
policy that admits the members, or a cut nobody suffers, is no cause). `suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.policy_cut import KINDS
from agent.triage.policy_path import Endpoint, Port, decide
from agent.triage.subject import Subject

CHECK = "netpol.cuts_peers"
WEIGHT = 0.95
RECORD_KIND = "vigil.dev/PeerCut"
RECENT = timedelta(hours=6)
MAX_POLICIES = 4
MAX_STORES = 6

Call = Callable[..., Awaitable[Any]]

PEER_LOST = re.compile(
    # MongoDB ("Heartbeat failed", "can't see a majority of the set, relinquishing primary")
    r"heartbeat[^\n]{0,80}(?:fail|timed? ?out|error)|can'?t see a majority|relinquishing primary|stepping down|"
    # etcd/raft, NATS JetStream ("lost leader", "no quorum"), Consul/raft ("heartbeat timeout reached")
    r"(?:lost|no) (?:majority|quorum|leader)|election (?:timeout|failed|timed out)|"
    r"failed to reach (?:the )?(?:peer|member)|lost (?:the )?TCP streaming connection with (?:remote )?peer|"
    r"(?:peer|member|node)[^\n]{0,60}(?:unreachable|not reachable)|failed to (?:connect|send) to (?:peer|member)|"
    # Redis Cluster
    r"cluster state changed: fail|marking node [^\n]{0,40} as failing|"
    # Elasticsearch 7+/OpenSearch (ClusterFormationFailureHelper) and 6.x (ZenDiscovery)
    r"master not discovered (?:or elected )?yet|not enough master nodes discovered|"
    # ZooKeeper quorum (QuorumCnxManager), also under Kafka/ClickHouse/Solr ensembles
    r"cannot open channel to \S+ at election address|"
    # RabbitMQ / Erlang distribution ("** Node rabbit@x not responding **", Mnesia partitions)
    r"node \S+ not responding|partial partition detected|running_partitioned_network|"
    # Cassandra/Scylla gossip ("InetAddress /10.0.0.2 is now DOWN", "Unable to gossip with any peers")
    r"InetAddress \S+ is now DOWN|unable to gossip with|"
    # Galera (MariaDB/Percona XtraDB Cluster) leaving the primary component
    r"non-primary (?:component|view)|received non-primary|suspecting node|"
    # streaming replication: a PostgreSQL standby's walreceiver, a MySQL/MariaDB replica's I/O thread, a Redis
    # replica's link to its master
    r"could not connect to the primary server|could not receive data from WAL stream|"
    r"error (?:connecting|reconnecting) to (?:source|master)|"
    r"(?:timeout|error) connecting to the MASTER|MASTER aborted replication", re.I)
STREAMING_LOST = re.compile(r"could not connect to the primary server|could not receive data from WAL stream|"
                            r"error (?:connecting|reconnecting) to (?:source|master)|"
                            r"(?:timeout|error) connecting to the MASTER|MASTER aborted replication", re.I)
"""How a clustered store's member says it cannot hear its peers, each software's own words (see the comments):
MongoDB, etcd/raft, Redis Cluster, Elasticsearch/OpenSearch, ZooKeeper, RabbitMQ, Cassandra, Galera, and a
replica that cannot reach its primary to stream changes (PostgreSQL, MySQL/MariaDB, Redis): replicas go stale."""


@dataclass
class PeerCut:
    """A recent policy that denies member-to-member traffic of a clustered store, and what a member says."""

    policy: Ref
    store: Ref
    port: int
    why: str
    minutes: int
    member: str
    said: str
    admits: str
    evidence: list[str] = field(default_factory=list)
    streaming: bool = False
    """The member's words are a replica's that cannot reach its primary (replication), not a lost quorum."""


def _plurals(kind: str) -> list[str]:
    """The resource names a policy kind may be served under, Kubernetes' own first (the timeline gives no group:
    a NetworkPolicy is Kubernetes' or Calico's)."""
    return [plural for plural, k, _ in reversed(KINDS) if k == kind]


def _recent_policies(facts: Facts) -> list[tuple[Ref, int, str]]:
    """(policy, minutes before the incident, evidence) for each policy the timeline shows written recently."""
    out: list[tuple[Ref, int, str]] = []
    kinds = {k for _, k, _ in KINDS}
    for change, evidence, ref in facts.writes_to(kinds, within=RECENT):
        at = parse_time(change.get("at"))
        if at is not None and all(r != ref for r, _, _ in out):
            out.append((ref, int((facts.at - at).total_seconds() // 60), evidence))
    return out[:MAX_POLICIES]


def _rows(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]


def _admits(policy: dict[str, Any]) -> str:
    """Whom the policy's ingress admits, as it reads (`namespaces labelled a=b`, `pods c=d`)."""
    out = []
    for rule in (policy.get("spec") or {}).get("ingress") or []:
        for peer in rule.get("from") or []:
            parts = []
            for key, word in (("namespaceSelector", "namespaces"), ("podSelector", "pods")):
                sel = peer.get(key)
                if isinstance(sel, dict):
                    labels = ",".join(f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()) or "any"
                    parts.append(f"{word} labelled {labels}")
            if peer.get("ipBlock"):
                parts.append(f"ipBlock {(peer.get('ipBlock') or {}).get('cidr')}")
            out.append(" and ".join(parts))
    return "; ".join(dict.fromkeys(o for o in out if o)) or "nobody"


def _ports(sts: dict[str, Any]) -> list[int]:
    spec = ((sts.get("spec") or {}).get("template") or {}).get("spec") or {}
    ports = [int(p["containerPort"]) for c in spec.get("containers") or [] for p in c.get("ports") or []
             if isinstance(p, dict) and isinstance(p.get("containerPort"), int)
             and str(p.get("protocol") or "TCP") == "TCP"]
    return list(dict.fromkeys(ports))[:4]


_CLOCK = re.compile(r"\d{1,2}:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?")
"""A time of day in a log line, removed before reading `:port` from it."""
_PORT_SAID = re.compile(r"(?:\bport[ =]|(?<=[\w.\]]):)([1-9]\d{1,4})\b")
"""A port a line names: `port 5432`, `port=3306`, `host:6379`, `10.0.0.5:7000` (not a JSON key's `"id":42`)."""


def _named_port(line: str, denied: list[int]) -> int:
    """The denied port the member's own line names (`port 5432`, `:3306`), else the first denied one (a server
    often declares only its metrics or API port in its pod template: the port the replica dials is in its line)."""
    return next((p for p in denied if re.search(rf"(?:port |:){p}\b", line)), denied[0])


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the recent policies' namespaces, their clustered StatefulSets, and one member's log."""
    for ref, minutes, change_id in _recent_policies(facts):
        if not ref.namespace:
            continue
        written, plural = None, ""
        for plural in _plurals(ref.kind):
            written = await get_yaml(call, plural, ref.name, ref.namespace, f"survey-peercut-{ref.name}")
            if written is not None:
                break
        if written is None:
            continue
        policies: list[dict[str, Any]] = []
        for row in _rows(await call("k8s_list", {"kind": plural, "namespace": ref.namespace},
                                    f"survey-peercut-list-{ref.namespace}"))[:10]:
            got = written if str(row["name"]) == ref.name else await get_yaml(
                call, plural, str(row["name"]), ref.namespace, f"survey-peercut-{row['name']}")
            if got is not None:
                policies.append({"kind": ref.kind, **got[0]})
        mine = next((p for p in policies if (p.get("metadata") or {}).get("name") == ref.name), None)
        if mine is None:
            continue
        ns = await get_yaml(call, "Namespace", ref.namespace, "", f"survey-peercut-ns-{ref.namespace}")
        ns_labels = {**(((ns[0].get("metadata") or {}).get("labels") or {}) if ns else {}),
                     "kubernetes.io/metadata.name": ref.namespace}
        rows = _rows(await call("k8s_list", {"kind": "statefulsets", "namespace": ref.namespace},
                                f"survey-peercut-sts-{ref.namespace}"))
        for row in rows[:MAX_STORES]:
            got = await get_yaml(call, "StatefulSet", str(row["name"]), ref.namespace,
                                 f"survey-peercut-sts-{row['name']}")
            if got is None or int((got[0].get("spec") or {}).get("replicas") or 1) < 2:
                continue
            labels = (((got[0].get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            member = Endpoint(namespace=ref.namespace, labels=labels, ns_labels=ns_labels)
            denied: dict[int, str] = {}
            for port in _ports(got[0]):
                decision = decide(policies, member, member, Port(port))
                if not decision.allowed and (decision.policy is mine or any(p is mine for p in decision.selecting)):
                    denied[port] = decision.why
            if not denied:
                continue
            store = Ref("StatefulSet", ref.namespace, str(row["name"]))
            pod = await pod_of(call, store, f"survey-peercut-pods-{store.name}")
            logs = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "tail": 2000,
                                           "budget_tokens": 2000}, f"survey-peercut-logs-{pod}") if pod else None
            text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
            said = ([None, *PEER_LOST.finditer(text)])[-1]  # the newest line as printed (the answer opens with
            if said is None:                                # masked "repeated Nx" shapes)
                continue
            start = text.rfind("\n", 0, said.start()) + 1
            line = text[start:text.find("\n", said.end()) if "\n" in text[said.end():] else None]
            for named in (int(n) for n in _PORT_SAID.findall(_CLOCK.sub(" ", line))):
                decision = decide(policies, member, member, Port(named))  # a port the log names, declared or not
                if named not in denied and not decision.allowed and (
                        decision.policy is mine or any(p is mine for p in decision.selecting)):
                    denied[named] = decision.why
            port = _named_port(line, list(denied))
            facts.objects.append(({"kind": RECORD_KIND, "cut": PeerCut(
                ref, store, port, denied[port], minutes, pod, line[:240], _admits(mine),
                [change_id, written[1], got[1], getattr(logs, "evidence_id", "")],
                streaming=bool(STREAMING_LOST.search(line)))}, ""))


def message(cut: PeerCut) -> str:
    """What the policy means for the store first: its members cut from each other, then the evidence."""
    if cut.streaming:
        return (f"{cut.policy.kind} {cut.policy.namespace}/{cut.policy.name} cuts the replicas of {cut.store.kind} "
                f"{cut.store.namespace}/{cut.store.name} off their primary: streaming replication on TCP {cut.port} "
                f"is dropped, as its ingress (written {minutes_text(cut.minutes)} before) admits only "
                f"{cut.admits[:90]}, not the store's own pods; replication stops, the replicas fall behind and reads "
                f"served by them go stale (a failover now would lose writes); {cut.member}'s logs say "
                f"'{cut.said[:200]}'. Admit the members themselves (a podSelector peer for the store's pods) in "
                "the policy")
    return (f"{cut.policy.kind} {cut.policy.namespace}/{cut.policy.name} cuts the members of {cut.store.kind} "
            f"{cut.store.namespace}/{cut.store.name} from each other: the replica set / cluster peer traffic on TCP "
            f"{cut.port} (heartbeats, replication, elections) is dropped, as its ingress (written "
            f"{minutes_text(cut.minutes)} before) admits only {cut.admits[:90]}, not the store's own pods; the "
            f"members lose their majority (quorum), the primary steps down and none is elected, so client writes "
            f"fail (not primary, no leader); {cut.member}'s logs say '{cut.said[:200]}'. Admit the members "
            f"themselves (a podSelector peer for the store's pods) in the policy")


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The policy that cut the store's members apart, explaining the store and its clients' failures."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for obj, _ in facts.objects:
        cut = obj.get("cut") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(cut, PeerCut):
            continue
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": cut.policy.kind, "namespace": cut.policy.namespace, "name": cut.policy.name},
                   "reason": "PeerTrafficCut", "message": message(cut),
                   "evidence": [f"{cut.member}: {cut.said[:160]}", f"admits {cut.admits[:120]}"],
                   "details": {"store": str(cut.store), "port": cut.port, "why": cut.why}}
        out.append((cut.policy, finding, list(dict.fromkeys(e for e in cut.evidence if e)), [cut.store]))
    return out

