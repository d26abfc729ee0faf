"""Data moved between nodes without a throttle: a node the incident names saturates its network.

Operations that copy a store's data from node to node are meant to be throttled; without it they copy as fast as
the network allows and the receiving (or sending) node's NIC fills, so everything else on it times out:

- Kafka `kafka-reassign-partitions.sh --execute` without `--throttle`: the new replicas fetch whole partitions at
  line rate; followers fall out of the ISR (under-replicated partitions) and producers with acks=all time out.
- `rsync`/`rclone` without `--bwlimit`, `mc mirror` without `--limit-upload`/`--limit-download`.
- Cassandra `nodetool setstreamthroughput 0` / `setinterdcstreamthroughput 0` (0 = unthrottled), `nodetool rebuild`.
- Elasticsearch/OpenSearch `indices.recovery.max_bytes_per_sec` raised to -1 or several gigabytes.
- Bulk object-store copies: `s5cmd cp/sync` (many workers), `aws s3 cp/sync` without `max_bandwidth`, `gsutil -m`,
  `gcloud storage cp/rsync`, `azcopy copy/sync` without `--cap-mbps`, `restic backup` without `--limit-upload`. On
  a cloud VM the node also has a network allowance (AWS ENA `bw_out_allowance_exceeded`/`pps_allowance_exceeded`):
  past it packets are queued and dropped for every pod on the node, not only the copy's.

The mover is found two ways: a write or run of a Job/CronJob in the timeline, or a Job whose pods run on the named
node now (a CronJob's scheduled run is no write: its template may have been edited the day before). A container
with no `command` runs its image's entrypoint, so `rclone/rclone` with args `copy ...` is read as `rclone copy ...`.

`read` (reading only, when the incident names a node): the Jobs and CronJobs written or started in the hours before
whose command is such a mover, the node's network receive/transmit rates now and before the start, its allowance
counters, and the pods on the node (does the mover's target run there?). `found` is pure: a mover linked to the
node whose start the node's rate jumped after.
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
from agent.triage.node_exhaustion import _node_of, _on, _tokens
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
    resource: str = "network"
    """What the mover saturates on the node: `network` (a copy between nodes) or `disk` (a copy inside a database
    whose volume is on the node)."""


MOVERS: tuple[Mover, ...] = (
    Mover("Kafka partition reassignment", re.compile(r"kafka-reassign-partitions(?:\.sh)?\b.*--execute", re.S),
          re.compile(r"--throttle\b|--replica-alter-log-dirs-throttle\b"), "--throttle",
          "the new replicas copy whole partitions at line rate (replication with no throttle), followers fall out of "
          "the ISR (under-replicated partitions) and producers time out"),
    Mover("rclone copy", re.compile(r"\brclone\s+(?:copy|sync|move)\b"), re.compile(r"--bwlimit\b"), "--bwlimit",
          "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("MinIO mirror", re.compile(r"\bmc\s+mirror\b"), re.compile(r"--limit-(?:upload|download)\b"),
          "--limit-upload", "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("s5cmd copy", re.compile(r"\bs5cmd\b.*?\s(?:cp|sync|mv)\s"), re.compile(r"(?!)"),
          "bandwidth cap", "its workers upload at line rate, so the node's other traffic queues behind it"),
    Mover("AWS CLI S3 copy", re.compile(r"\baws(?:-cli)?\s+s3\s+(?:cp|sync|mv)\b"), re.compile(r"max_bandwidth"),
          "s3.max_bandwidth bandwidth cap", "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("gsutil copy", re.compile(r"\bgsutil\b.*?\s(?:cp|rsync|mv)\s"), re.compile(r"(?!)"),
          "bandwidth cap", "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("gcloud storage copy", re.compile(r"\bgcloud\s+storage\s+(?:cp|rsync|mv)\b"), re.compile(r"(?!)"),
          "bandwidth cap", "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("AzCopy copy", re.compile(r"\bazcopy\s+(?:copy|cp|sync)\b", re.I), re.compile(r"--cap-mbps\b"),
          "--cap-mbps bandwidth cap", "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("restic backup", re.compile(r"\brestic\b.*?\sbackup\s"), re.compile(r"--limit-upload\b"),
          "--limit-upload bandwidth cap", "it uploads at line rate, so the node's other traffic queues behind it"),
    Mover("rsync copy", re.compile(r"\brsync\b(?!://)"), re.compile(r"--bwlimit\b"), "--bwlimit",
          "it copies at line rate, so the node's other traffic queues behind it"),
    Mover("Cassandra streaming", re.compile(r"nodetool\s+(?:set(?:interdc)?streamthroughput\s+0\b|rebuild\b)"),
          re.compile(r"set(?:interdc)?streamthroughput\s+[1-9]"), "a stream throughput",
          "streaming with no throughput cap copies SSTables at line rate, so reads and writes on the node time out"),
    Mover("gh-ost online schema change", re.compile(r"\bgh-ost\b.*--execute\b", re.S),
          re.compile(r"--max-load[= ]+['\"]?[A-Za-z]|--nice-ratio[= ]+['\"]?0*\.?0*[1-9]"),
          "--max-load (or --nice-ratio) throttle",
          "its row copy writes chunk after chunk into the ghost table as fast as the server takes them (no load "
          "threshold to pause at), so the database's volume is saturated and every query on that server and every "
          "pod on its node waits on the disk", "disk"),
    Mover("pt-archiver bulk copy", re.compile(r"\bpt-archiver\b"), re.compile(r"--sleep[= ]+['\"]?0*\.?0*[1-9]"),
          "--sleep throttle",
          "it copies and deletes batch after batch with no pause, so the database's volume is saturated and every "
          "query on that server and every pod on its node waits on the disk", "disk"),
)


def unthrottled(text: str) -> Mover | None:
    """The data mover a command runs without its throttle, or None."""
    return next((m for m in MOVERS if m.command.search(text) and not m.throttle.search(text)), None)


_WORD = re.compile(r"kafka-reassign-partitions|\brsync\b|\brclone\b|\bmc\s+mirror\b|\bnodetool\b|\bs5cmd\b|"
                   r"\baws(?:-cli)?\s+s3\b|\bgsutil\b|\bgcloud\s+storage\b|\bazcopy\b|\brestic\b|\bgh-ost\b|"
                   r"\bpt-archiver\b", re.I)
"""A mover's name in a change line (the timeline cuts long commands; the object is read for the whole of it)."""


_FANOUT = re.compile(r"(?:--(?:numworkers|transfers|checkers|concurrency|parallel[\w-]*|[\w-]*-concurrency)[= ]+\d+"
                     r"|(?<=gsutil )-m\b)")
"""A copy's own fan-out (s5cmd `--numworkers 256`, rclone `--transfers=32`, `gsutil -m`): quoted, never required."""

_ALLOWANCE = '{__name__=~".+_allowance_exceeded(_total)?"}'
"""Cloud NIC counters of packets queued or dropped past the instance's allowance (node-exporter's ethtool collector
on AWS ENA: bw_in/bw_out/pps/conntrack/linklocal_allowance_exceeded): quoted when they rose, never required."""


def command_lines(spec: dict[str, Any]) -> list[str]:
    """Each container's command line in a Job's or CronJob's spec; with no `command`, the image's name stands for its
    entrypoint (`rclone/rclone:1.68` with args `copy a b` runs `rclone copy a b`)."""
    pod = ((spec.get("jobTemplate") or {}).get("spec") or spec).get("template") or {}
    out = []
    for c in ((pod.get("spec") or {}).get("containers") or []):
        if not isinstance(c, dict):
            continue
        words = [str(w) for w in (c.get("command") or []) + (c.get("args") or [])]
        if not c.get("command"):
            words.insert(0, str(c.get("image") or "").split("@")[0].rsplit("/", 1)[-1].split(":")[0])
        out.append(" ".join(words) + " ")
    return out


def _hosts(text: str) -> list[str]:
    """First labels of the hosts a command names (`events-kafka-bootstrap` of `events-kafka-bootstrap:9092`)."""
    return list(dict.fromkeys(m.group(1).lower() for m in re.finditer(
        r"(?:--bootstrap-server[= ]|--host[= ]|://|@|\bh=)\"?([a-z][\w-]*)(?:[.:,]|\s|$)", text, re.I)))


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
    allowance: list[str] = field(default_factory=list)
    """The node's NIC allowance counters that rose (names), if the bundle has them."""
    fanout: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    """The mover's command lines."""


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


async def _rate(call: Call, node: str, direction: str, at: str, offset_min: int,
                addresses: set[str] | None = None) -> tuple[float | None, str]:
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
        if isinstance(s.get("value"), (int, float)) and _on(labels, node, addresses or set()):
            total = (total or 0.0) + float(s["value"])
    return total, got.evidence_id


DISK_BUSY = 0.7
DISK_JUMP = 3.0
"""A disk mover: the node's busiest disk at least 70% busy, three times its share before the start."""


async def _disk_busy(call: Call, node: str, at: str, offset_min: int,
                     addresses: set[str] | None = None) -> tuple[float | None, str]:
    """The busy share (0..1) of the node's busiest disk over 5 min, `offset_min` minutes ago (node-exporter's
    `node_disk_io_time_seconds_total`: seconds spent doing I/O per second)."""
    offset = f" offset {offset_min}m" if offset_min else ""
    query = f"rate(node_disk_io_time_seconds_total[5m]{offset})"
    got = await call("prom_query", {"query": query, "time": at}, f"survey-data-movement-disk-{offset_min}")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None, ""
    values = [float(s["value"]) for s in got.data.get("samples") or [] if isinstance(s, dict)
              and isinstance(s.get("value"), (int, float)) and _on(s.get("labels") or {}, node, addresses or set())]
    return (max(values) if values else None), got.evidence_id


async def _allowance(call: Call, node: str, at: str, addresses: set[str]) -> tuple[list[str], str]:
    """The node's NIC allowance counters that rose over the last 30 min (names), and the read's evidence id. Two
    instant reads, not increase(), which drops the names that say which allowance was passed."""
    seen: list[dict[tuple[str, str], float]] = []
    evidence = ""
    for offset in ("", " offset 30m"):
        got = await call("prom_query", {"query": _ALLOWANCE + offset, "time": at},
                         f"survey-data-movement-allowance{offset.replace(' ', '-')}")
        if got is None or not got.ok or not isinstance(got.data, dict):
            return [], ""
        evidence = evidence or got.evidence_id
        seen.append({(str(labels.get("__name__") or ""), str(labels.get("device") or "")): float(value)
                     for labels, value in ((x.get("labels") or {}, x.get("value"))
                                           for x in got.data.get("samples") or [] if isinstance(x, dict))
                     if isinstance(value, (int, float)) and _on(labels, node, addresses)})
    now, then = seen
    names = {name.removeprefix("node_ethtool_") for (name, device), value in now.items()
             if name and value > then.get((name, device), 0.0)}
    return sorted(names), evidence


def _rows(got: Any) -> list[dict[str, Any]]:
    return [r for r in ((got.data or {}).get("rows") or []) if isinstance(r, dict)] \
        if got is not None and got.ok and isinstance(got.data, dict) else []


def _run_of(pod: str, job: str) -> bool:
    """Whether a pod is a run of the Job `job` (`job-xxxxx`, an Indexed Job's `job-<index>-xxxxx`)."""
    return re.fullmatch(rf"{re.escape(job)}-(?:\d+-)?[a-z0-9]{{5}}", pod) is not None


async def _runs_on_node(call: Call, facts: Facts, pods: list[dict[str, Any]], known: set[Ref]) \
        -> list[tuple[dict[str, Any], str, dict[str, Any] | None]]:
    """Jobs whose pods run on the node and started within WINDOW, as made-up changes: (change, evidence, spec). A
    CronJob's run stands for its CronJob (the template the schedule keeps running), so a run started by the
    schedule, which no one wrote, is still found."""
    jobs = await call("k8s_list", {"kind": "Job"}, "survey-data-movement-jobs")
    out: list[tuple[dict[str, Any], str, dict[str, Any] | None]] = []
    for row in _rows(jobs)[:200]:
        name, namespace = str(row.get("name") or ""), str(row.get("namespace") or "")
        if not name or not any(_run_of(str(p.get("name")), name) and
                               str(p.get("namespace") or namespace) == namespace for p in pods):
            continue
        got = await get_yaml(call, "Job", name, namespace, f"survey-data-movement-job-{name}")
        if got is None:
            continue
        meta, status = got[0].get("metadata") or {}, got[0].get("status") or {}
        when = parse_time(status.get("startTime") or meta.get("creationTimestamp"))
        if when is None or not timedelta(0) <= facts.at - when <= WINDOW:
            continue
        owner = next((o for o in meta.get("ownerReferences") or [] if isinstance(o, dict)
                      and o.get("kind") == "CronJob" and o.get("name")), None)
        ref = Ref("CronJob", namespace, str(owner["name"])) if owner else Ref("Job", namespace, name)
        if ref in known:
            continue
        known.add(ref)
        summary = f"Job {namespace}/{name} started" + (f" by CronJob {namespace}/{ref.name}" if owner else "") + \
            f", running on the node ({' '.join(command_lines(got[0].get('spec') or {}))[:160].strip()})"
        change = {"at": when.isoformat().replace("+00:00", "Z"), "type": "job", "summary": summary, "diff": [],
                  "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}}
        out.append((change, got[1], got[0].get("spec") or {}))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident names a node: the movers started before (written, or Jobs running on the
    node), the node's rates now and before each start, its allowance counters, and the node's pods."""
    tokens = _tokens(subject)
    if not tokens:
        return
    movers: list[tuple[dict[str, Any], str, dict[str, Any] | None]] = [
        (c, e, None) for c, e, _ in facts.writes_to(KINDS, within=WINDOW)
        if _WORD.search(f"{c.get('summary') or ''} {' '.join(str(d) for d in c.get('diff') or [])}")]
    listed = await call("k8s_nodes", {}, "survey-data-movement-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    nodes = list(dict.fromkeys(n for n in (_node_of(t, names) for t in tokens) if n))
    addresses = {t.split(":")[0] for t in tokens if re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?", t)}
    store = _store(facts)
    for node in nodes[:1]:
        pods = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                          "survey-data-movement-pods")
        pod_rows = _rows(pods)
        on_node = [str(r.get("name")) for r in pod_rows]
        known = {r for r in (Ref.of(c.get("object")) for c, _, _ in movers) if r is not None}
        movers += await _runs_on_node(call, facts, pod_rows, known)
        if not movers:
            return
        allowance, allowance_id = await _allowance(call, node, at, addresses)
        for change, evidence, spec in movers:
            ref = Ref.of(change.get("object"))
            got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-data-movement-{ref.name}") \
                if ref is not None and spec is None else None
            spec = spec if spec is not None else (got[0].get("spec") or {}) if got is not None else {}
            text = f"{change.get('summary') or ''} {' '.join(str(d) for d in change.get('diff') or [])} " + \
                json.dumps(spec, default=str) + "\n" + "\n".join(command_lines(spec))
            mover = unthrottled(text)
            if mover is None:
                continue
            when = parse_time(change.get("at"))
            back = int((facts.at - when).total_seconds() // 60) + 6 if when else 0
            rates: dict[str, tuple[float | None, float | None]] = {}
            ids = [e for e in (evidence, getattr(pods, "evidence_id", ""), allowance_id if allowance else "") if e]
            for direction in ("disk",) if mover.resource == "disk" else ("receive", "transmit"):
                read_rate = _disk_busy if direction == "disk" else None
                now, e1 = await (read_rate(call, node, at, 0, addresses) if read_rate
                                 else _rate(call, node, direction, at, 0, addresses))
                then, e2 = await (read_rate(call, node, at, back, addresses) if read_rate
                                  else _rate(call, node, direction, at, back, addresses))
                rates[direction] = (then, now)
                ids += [e for e in (e1, e2) if e]
            store.setdefault("moves", []).append({"change": change, "node": node, "pods": on_node, "rates": rates,
                                                  "text": text[:20000], "allowance": allowance,
                                                  "lines": command_lines(spec),
                                                  "evidence": ids + ([got[1]] if got else [])})


def found(facts: Facts) -> list[Moved]:
    """Movers linked to the named node (their target's pod or their own runs there) whose start its rate jumped."""
    out: list[Moved] = []
    for entry in _store(facts).get("moves") or []:
        change, text = entry["change"], str(entry.get("text") or "")
        mover, ref = unthrottled(text), Ref.of(change.get("object"))
        if mover is None or ref is None:
            continue
        hosts = _hosts(text)
        served = [p for p in entry["pods"] if any(h.startswith(workload_of_pod(p).lower()) for h in hosts)]
        own = [p for p in entry["pods"] if _own(p, ref.name)]
        # a disk mover loads the database it writes into: its server's pod is what ties it to the node
        via = next(iter(served if mover.resource == "disk" else [*own, *served]), "")
        if not via:
            continue
        busy, jump, floor = (DISK_BUSY, DISK_JUMP, 0.01) if mover.resource == "disk" else (BUSY, JUMP, 1.0)
        best: tuple[str, float, float] | None = None
        for direction, (then, now) in entry["rates"].items():
            if then is not None and now is not None and now >= busy and now >= jump * max(then, floor) and \
                    (best is None or now / max(then, floor) > best[2] / max(best[1], floor)):
                best = (direction, then, now)
        if best is None:
            continue
        fanout = list(dict.fromkeys(m.group(0) for m in _FANOUT.finditer(" ".join(entry.get("lines") or []))))
        out.append(Moved(ref, change, mover, entry["node"], best[1], best[2], best[0], via, list(entry["evidence"]),
                         list(entry.get("allowance") or []), fanout[:3], list(entry.get("lines") or [])))
    return out


def _own(pod: str, name: str) -> bool:
    """Whether a pod is the mover's own: its Job's, or a run of its CronJob (`name-<minutes>-xxxxx`), an Indexed
    Job's pods carrying their index (`name-<index>-xxxxx`)."""
    owner = workload_of_pod(pod)
    return owner == name or re.fullmatch(rf"{re.escape(name)}(?:-\d{{6,}})?(?:-\d{{1,5}})?", owner) is not None


def _rate_text(value: float) -> str:
    return f"{value / 1e9:.1f} GB/s" if value >= 1e9 else f"{value / 1e6:.0f} MB/s"


_BATCH = re.compile(r"--(?:chunk-size|limit|txn-size|batch-size)[= ]+\d+|--max-load[= ]+(?=\s|$)")


def _said_settings(m: Moved) -> str:
    """The command's own batch size and empty throttle, as written (`--chunk-size=20000`, `--max-load=`)."""
    said = list(dict.fromkeys(x.group(0).strip() for x in _BATCH.finditer(" ".join(m.lines))))
    return "it runs with " + " ".join(said) if said else "none is set"


def finding(m: Moved, at: datetime) -> dict[str, Any]:
    """The mover and what running it unthrottled means first (about 400 characters are quoted), then the node."""
    when = parse_time(m.change.get("at"))
    ago = minutes_text(int((at - when).total_seconds() // 60)) if when else "?"
    fanout = f" and {', '.join(m.fanout)} in parallel" if m.fanout else ""
    allowance = (f"; its NIC allowance counters rose ({', '.join(m.allowance)}): past the instance's network "
                 f"allowance packets are queued and dropped for every pod on the node") if m.allowance else ""
    cap = f"a {m.mover.missing}" if "cap" in m.mover.missing else f"{m.mover.missing} (a bandwidth cap in bytes/s)"
    if m.mover.resource == "disk":
        message = (f"{m.target} runs a {m.mover.tool} with no {m.mover.missing}{fanout} (unthrottled): "
                   f"{m.mover.does}. Node {m.node.split('.')[0]}'s busiest disk went from {m.before:.0%} to "
                   f"{m.after:.0%} busy since it started {ago} ago; the node runs {m.via}, the database it copies "
                   f"into. Re-run it with a {m.mover.missing} ({_said_settings(m)}), or pause it")
    else:
        message = (f"{m.target} runs a {m.mover.tool} with no {m.mover.missing}{fanout} (unthrottled): "
                   f"{m.mover.does}. Node {m.node.split('.')[0]}'s network {m.direction} rate went from "
                   f"{_rate_text(m.before)} to {_rate_text(m.after)} since it started {ago} ago{allowance}; the node "
                   f"runs {m.via}, which the move {'is' if _own(m.via, m.target.name) else 'copies data to or from'}. "
                   f"Re-run it with {cap}, or stop it")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": m.target.kind, "namespace": m.target.namespace, "name": m.target.name},
            "reason": "UnthrottledDataMovement", "message": message,
            "evidence": [str(m.change.get("summary") or "")[:300]],
            "details": {"node": m.node, "before": m.before, "after": m.after, "direction": m.direction,
                        "allowance": m.allowance}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the mover, finding, evidence ids, the node and the pod linking it)."""
    return [(m.target, finding(m, facts.at), m.evidence, [Ref("Node", "", m.node)]) for m in found(facts)]
