"""Data moved between nodes without a throttle: a node the incident names saturates its network.

Operations that copy a store's data from node to node are meant to be throttled; without it they copy as fast as
the network allows and the receiving (or sending) node's NIC fills, so everything else on it times out:

- Kafka `kafka-reassign-partitions.sh --execute` without `--throttle`: the new replicas fetch whole partitions at
  line rate; followers fall out of the ISR (under-replicated partitions) and producers with acks=all time out.
- `rsync`/`rclone` without `--bwlimit`, `mc mirror` without `--limit-upload`/`--limit-download`.
- Cassandra `nodetool setstreamthroughput 0` / `setinterdcstreamthroughput 0` (0 = unthrottled), `nodetool rebuild`.
- Elasticsearch/OpenSearch `indices.recovery.max_bytes_per_sec` raised to -1 or several gigabytes.

`read` (reading only, when the incident names a node): the Jobs and CronJobs written or started in the hours before
whose command is such a mover, the node's network receive/transmit rates now and before the start, and the pods on
the node (does the mover's target run there?). `found` is pure: a mover linked to the node whose start the node's
rate jumped after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.node_exhaustion import _node_of, _tokens
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.unthrottled_data_movement"
WEIGHT = 0.94
"""The unthrottled copy outranks the node's symptoms and the pods timing out on it."""
READS = "data_movement"
WINDOW = timedelta(hours=3)
JUMP = 5.0
"""The node's rate must be this many times its rate before the mover started."""
BUSY = 50e6
"""...and at least this many bytes per second: a NIC-filling copy, not noise."""
KINDS = frozenset({"Job", "CronJob"})


@dataclass(frozen=True)
class Mover:
    """A data-moving command and the throttle it runs without."""

    tool: str
    command: re.Pattern[str]
    throttle: re.Pattern[str]
    missing: str
    does: str


MOVERS: tuple[Mover, ...] = (
    Mover("Kafka partition reassignment", re.compile(r"kafka-reassign-partitions(?:\.sh)?\b.*--execute", re.S),
          re.compile(r"--throttle\b|--replica-alter-log-dirs-throttle\b"), "--throttle",
          "the new replicas copy whole partitions at line rate (replication with no throttle), followers fall out of "
          "the ISR (under-replicated partitions) and producers time out"),
    Mover("rsync copy", re.compile(r"\brsync\b"), re.compile(r"--bwlimit\b"), "--bwlimit",
          "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("rclone copy", re.compile(r"\brclone\s+(?:copy|sync|move)\b"), re.compile(r"--bwlimit\b"), "--bwlimit",
          "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("MinIO mirror", re.compile(r"\bmc\s+mirror\b"), re.compile(r"--limit-(?:upload|download)\b"),
          "--limit-upload", "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("Cassandra streaming", re.compile(r"nodetool\s+(?:set(?:interdc)?streamthroughput\s+0\b|rebuild\b)"),
          re.compile(r"set(?:interdc)?streamthroughput\s+[1-9]"), "a stream throughput",
          "streaming with no throughput cap copies SSTables at line rate, so reads and writes on the node time out"),
)


def unthrottled(text: str) -> Mover | None:
    """The data mover a command runs without its throttle, or None."""
    return next((m for m in MOVERS if m.command.search(text) and not m.throttle.search(text)), None)


_WORD = re.compile(r"kafka-reassign-partitions|\brsync\b|\brclone\b|\bmc\s+mirror\b|\bnodetool\b")
"""A mover's name in a change line (the timeline cuts long commands; the object is read for the whole of it)."""


def _hosts(text: str) -> list[str]:
    """First labels of the hosts a command names (`events-kafka-bootstrap` of `events-kafka-bootstrap:9092`)."""
    return list(dict.fromkeys(m.group(1).lower() for m in re.finditer(
        r"(?:--bootstrap-server[= ]|--host[= ]|://|@)\"?([a-z][\w-]*)(?:[.:]|\s|$)", text, re.I)))


@dataclass
class Moved:
    """A mover started before a named node's network jumped, and what links it to the node."""

    target: Ref
    change: dict[str, Any]
    mover: Mover
    node: str
    before: float
    after: float
    direction: str
    via: str
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


async def _rate(call: Call, node: str, direction: str, at: str, offset_min: int) -> tuple[float | None, str]:
    """The node's summed network rate (bytes/s) over 5 min, `offset_min` minutes ago (0: now)."""
    offset = f" offset {offset_min}m" if offset_min else ""
    series = f"node_network_{direction}_bytes_total|node_network_{direction}_bytes"
    query = f'rate({{__name__=~"{series}", device!~"lo|veth.*|cali.*|cni.*|flannel.*|docker.*"}}[5m]{offset})'
    got = await call("prom_query", {"query": query, "time": at}, f"survey-data-movement-{direction}-{offset_min}")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, ""
    total = None
    for s in got.data.get("samples") or []:
        labels = (s.get("labels") or {}) if isinstance(s, dict) else {}
        instance = str(labels.get("instance") or labels.get("node") or "").split(":")[0].lower()
        if isinstance(s.get("value"), (int, float)) and instance and _node_of(instance, [node]) == node:
            total = (total or 0.0) + float(s["value"])
    return total, got.evidence_id


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident names a node and a data mover was started before: rates and the node's pods."""
    tokens = _tokens(subject)
    movers = [(c, e) for c, e, _ in facts.writes_to(KINDS, within=WINDOW)
              if _WORD.search(f"{c.get('summary') or ''} {' '.join(str(d) for d in c.get('diff') or [])}")]
    if not tokens or not movers:
        return
    listed = await call("k8s_nodes", {}, "survey-data-movement-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    nodes = list(dict.fromkeys(n for n in (_node_of(t, names) for t in tokens) if n))
    store = _store(facts)
    for node in nodes[:1]:
        pods = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                          "survey-data-movement-pods")
        on_node = [str(r.get("name")) for r in ((pods.data or {}).get("rows") or []) if isinstance(r, dict)] \
            if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        for change, evidence in movers:
            ref = Ref.of(change.get("object"))
            got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-data-movement-{ref.name}") \
                if ref is not None else None
            text = f"{change.get('summary') or ''} {' '.join(str(d) for d in change.get('diff') or [])} " + \
                (json.dumps(got[0].get("spec") or {}, default=str) if got is not None else "")
            if unthrottled(text) is None:
                continue
            when = parse_time(change.get("at"))
            back = int((facts.at - when).total_seconds() // 60) + 6 if when else 0
            rates: dict[str, tuple[float | None, float | None]] = {}
            ids = [e for e in (evidence, getattr(pods, "evidence_id", "")) if e]
            for direction in ("receive", "transmit"):
                now, e1 = await _rate(call, node, direction, at, 0)
                then, e2 = await _rate(call, node, direction, at, back)
                rates[direction] = (then, now)
                ids += [e for e in (e1, e2) if e]
            store.setdefault("moves", []).append({"change": change, "node": node, "pods": on_node, "rates": rates,
                                                  "text": text[:20000], "evidence": ids + ([got[1]] if got else [])})


def found(facts: Facts) -> list[Moved]:
    """Movers linked to the named node (their target's pod or their own runs there) whose start its rate jumped."""
    out: list[Moved] = []
    for entry in _store(facts).get("moves") or []:
        change, text = entry["change"], str(entry.get("text") or "")
        mover, ref = unthrottled(text), Ref.of(change.get("object"))
        if mover is None or ref is None:
            continue
        hosts = _hosts(text)
        via = next((p for p in entry["pods"] if _own(p, ref.name) or any(
            h.startswith(workload_of_pod(p).lower()) for h in hosts)), "")
        if not via:
            continue
        best: tuple[str, float, float] | None = None
        for direction, (then, now) in entry["rates"].items():
            if then is not None and now is not None and now >= BUSY and now >= JUMP * max(then, 1.0) and \
                    (best is None or now / max(then, 1.0) > best[2] / max(best[1], 1.0)):
                best = (direction, then, now)
        if best is None:
            continue
        out.append(Moved(ref, change, mover, entry["node"], best[1], best[2], best[0], via, list(entry["evidence"])))
    return out


def _own(pod: str, name: str) -> bool:
    """Whether a pod is the mover's own: its Job's, or a run of its CronJob (`name-<minutes>-xxxxx`)."""
    owner = workload_of_pod(pod)
    return owner == name or re.fullmatch(rf"{re.escape(name)}-\d{{6,}}", owner) is not None


def _rate_text(value: float) -> str:
    return f"{value / 1e9:.1f} GB/s" if value >= 1e9 else f"{value / 1e6:.0f} MB/s"


def finding(m: Moved, at: datetime) -> dict[str, Any]:
    """The mover and what running it unthrottled means first (about 400 characters are quoted), then the node."""
    when = parse_time(m.change.get("at"))
    ago = minutes_text(int((at - when).total_seconds() // 60)) if when else "?"
    message = (f"{m.target} runs a {m.mover.tool} with no {m.mover.missing} (unthrottled): {m.mover.does}. Node "
               f"{m.node.split('.')[0]}'s network {m.direction} rate went from {_rate_text(m.before)} to "
               f"{_rate_text(m.after)} since it started {ago} ago; the node runs {m.via}, which the move "
               f"{'is' if _own(m.via, m.target.name) else 'copies data to or from'}. Re-run it with "
               f"{m.mover.missing} (a bytes-per-second cap) or stop it")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": m.target.kind, "namespace": m.target.namespace, "name": m.target.name},
            "reason": "UnthrottledDataMovement", "message": message,
            "evidence": [str(m.change.get("summary") or "")[:300]],
            "details": {"node": m.node, "before": m.before, "after": m.after, "direction": m.direction}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the mover, finding, evidence ids, the node and the pod linking it)."""
    return [(m.target, finding(m, facts.at), m.evidence, [Ref("Node", "", m.node)]) for m in found(facts)]
