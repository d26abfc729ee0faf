"""A node's own table or limit full, and the workload on it whose change drives it.

A question or alert may name only a host (`ip-10-0-2-21...`, `10.0.2.12:9100`): "the pods on it keep timing
out". Nothing of Kubernetes is wrong (pods Running, node Ready, no pressure condition) because the limit
that ran out is the kernel's, read only by node-exporter:

- conntrack: `node_nf_conntrack_entries` reaching `node_nf_conntrack_entries_limit` (nf_conntrack_max); the
  kernel logs "nf_conntrack: table full, dropping packet" and every pod on the node loses new connections
  (`node_nf_conntrack_stat_drop`), which their clients see as timeouts. Short-lived connections fill it:
  a client with keep-alive turned off opens one per request, each entry lingering in TIME_WAIT;
- file descriptors: `node_filefd_allocated` reaching `node_filefd_maximum` ("VFS: file-max limit reached",
  "Too many open files");
- sockets in TIME_WAIT (`node_sockstat_TCP_tw`) near the ephemeral port range: "Cannot assign requested
  address" on connect.

(PIDs are agent.triage.pid_pressure's, memory the kubelet's MemoryPressure.) The node is only where it shows;
the cause is the workload on it whose rollout changed how it connects (keep-alive off, more workers) shortly
before the table filled. Pods on the node are ranked by their per-pod gauges when there are any (sockets,
file descriptors) and by how close their workload's change came before the onset.

The survey reads (`read`): the nodes, the node gauges, the onset (a range of the fill ratio), the pods on the
node and the rollout history of the likeliest workload. `exhausted` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.subject import Subject, workload_of_pod

CHECK = "node.table_full"
WEIGHT = 0.9
RECORD_KIND = "vigil.dev/NodeExhaustion"
"""The pseudo-kind kept in `Facts.objects`: one node's exhausted table, its onset and the pods on it."""


@dataclass(frozen=True)
class Table:
    """One kernel table or limit of a node, as node-exporter exports it."""

    name: str
    used: str
    limit: str
    words: str
    """What the kernel and the victims say when it is full."""
    drops: str = ""


TABLES = (
    Table("conntrack table", "node_nf_conntrack_entries", "node_nf_conntrack_entries_limit",
          "nf_conntrack: table full, dropping packet: new connections of every pod on the node are dropped and "
          "time out", "node_nf_conntrack_stat_drop_total"),
    Table("file descriptor table", "node_filefd_allocated", "node_filefd_maximum",
          "VFS: file-max limit reached: opening a file or socket fails with 'Too many open files'"),
)
FULL_RATIO = 0.9
POD_GAUGES = ("container_sockets", "container_file_descriptors")
CHANGE_BEFORE = timedelta(hours=3)
"""How long before the onset a workload's change still counts as what started it."""

_KEEPALIVE_OFF = re.compile(r"keep[-_ ]?alive\w*\W{0,3}\s*\S*?(?:true|on|1|yes|enabled)\S*\s*->\s*\S*?"
                            r"(?:false|off|0|no|disabled)|disable[-_]?keep[-_]?alive\w*\W{0,3}\S*?(?:false)?\S*\s*->"
                            r"\s*\S*?true|Connection:\s*close", re.I)
_MORE = re.compile(r"(\w*concurren\w*|workers?|threads?|parallel\w*|max[-_]?conn\w*)\W{0,3}(\d+)", re.I)


def _more(line: str) -> bool:
    """A concurrency setting raised (`CRAWL_CONCURRENCY='32' -> ...='512'`, `['--workers=16', ...] -> [...]`)."""
    before, arrow, after = line.partition("->")
    if not arrow:
        return False
    old = {k.lower(): int(v) for k, v in _MORE.findall(before)}
    return any(int(v) > old[k.lower()] for k, v in _MORE.findall(after) if k.lower() in old)


CHURN: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda line: _KEEPALIVE_OFF.search(line) is not None,
     "keep-alive turned off: every request opens a new connection, and a conntrack entry that lingers in "
     "TIME_WAIT"),
    (_more, "more concurrent connections at once"),
)
"""Diff lines of a rollout that make a workload open more, shorter connections, and what that does."""


@dataclass
class Exhausted:
    """A node whose kernel table is (nearly) full, and the workload on it that drives it."""

    node: str
    table: Table
    used: float
    limit: float
    drops: float | None = None
    onset: str = ""
    pods: list[tuple[str, str]] = field(default_factory=list)
    """(namespace, pod) on the node."""
    culprit: Ref | None = None
    change: str = ""
    change_at: str = ""
    meanings: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _tokens(subject: Subject) -> list[str]:
    """What may name a node: node labels, hosts, addresses, and names with a digit or a dot (node names carry one:
    `ip-10-0-2-21...`, `worker-7`, `gke-pool-1-ab12`), so that a workload's name costs no node listing."""
    names = [n for n in subject.names if re.search(r"[\d.]", n)]
    return list(dict.fromkeys(t.lower() for t in [*subject.nodes, *names, *subject.hosts, *subject.addresses] if t))


def _node_of(token: str, nodes: list[str]) -> str:
    """The node a token names: its name, its first label (`ip-10-0-2-21`), or one of its full names."""
    for node in nodes:
        low = node.lower()
        if token == low or low.startswith(token + ".") or token.startswith(low + "."):
            return node
    return ""


def _samples(data: dict[str, Any]) -> list[tuple[dict[str, Any], float]]:
    return [(s.get("labels") or {}, float(s["value"])) for s in data.get("samples") or []
            if isinstance(s, dict) and isinstance(s.get("value"), (int, float))]


def _on(labels: dict[str, Any], node: str, addresses: set[str]) -> bool:
    instance = str(labels.get("instance") or "").split(":")[0]
    return str(labels.get("node") or labels.get("nodename") or "") == node or (bool(instance) and
                                                                              instance in addresses)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when the incident names a node (by name or by an address): its kernel tables' gauges, when
    one filled, the pods placed there and the rollout history of the workload whose change came just before."""
    tokens = _tokens(subject)
    if not tokens:
        return
    listed = await call("k8s_nodes", {}, "survey-node-tables-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    addresses = {t.split(":")[0] for t in tokens if re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?", t)}
    nodes = list(dict.fromkeys(n for n in (_node_of(t, names) for t in tokens) if n))
    if not nodes and not addresses:
        return
    metrics = "|".join(n for t in TABLES for n in (t.used, t.limit, t.drops) if n)
    gauges = await call("prom_query", {"query": f'{{__name__=~"{metrics}"}}', "time": at}, "survey-node-tables")
    if gauges is None or not gauges.ok or not isinstance(gauges.data, dict):
        return
    samples = _samples(gauges.data)
    for labels, _ in samples:  # an address names the node its exporter reports
        if str(labels.get("instance") or "").split(":")[0] in addresses and labels.get("node"):
            nodes.append(str(labels["node"]))
    for node in list(dict.fromkeys(nodes))[:2]:
        found = _full(node, samples, addresses)
        if found is None:
            continue
        found.evidence.append(gauges.evidence_id)
        await _onset(call, found, at)
        pods = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                          f"survey-node-tables-pods-{node}")
        prow = (pods.data or {}).get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) \
            else []
        found.pods = [(str(r.get("namespace") or ""), str(r.get("name"))) for r in prow
                      if isinstance(r, dict) and r.get("name")]
        if pods is not None and pods.ok:
            found.evidence.append(pods.evidence_id)
        _blame(found, facts)
        if found.culprit is not None and found.culprit.kind in ("Deployment", "StatefulSet", "DaemonSet"):
            history = await call("k8s_rollout_history", {"name": found.culprit.name, "namespace":
                                                         found.culprit.namespace, "kind": found.culprit.kind},
                                 f"survey-node-tables-history-{found.culprit.name}")
            if history is not None and history.ok and isinstance(history.data, dict):
                _from_history(found, history.data, history.evidence_id)
        facts.objects.append(({"kind": RECORD_KIND, "found": found}, ""))
        return


def _full(node: str, samples: list[tuple[dict[str, Any], float]], addresses: set[str]) -> Exhausted | None:
    """The node's fullest table at or above FULL_RATIO (or dropping), or None."""
    best: Exhausted | None = None
    for table in TABLES:
        values: dict[str, float] = {}
        for labels, value in samples:
            name = str(labels.get("__name__") or "")
            if name in (table.used, table.limit, table.drops) and _on(labels, node, addresses):
                values[name] = max(value, values.get(name, value))
        used, limit = values.get(table.used), values.get(table.limit)
        if used is None or not limit:
            continue
        drops = values.get(table.drops) if table.drops else None
        full = used / limit >= FULL_RATIO  # a drop counter counts since boot: the ratio decides
        if full and (best is None or used / limit > best.used / best.limit):
            best = Exhausted(node, table, used, limit, drops)
    return best


async def _onset(call: Callable[..., Awaitable[Any]], found: Exhausted, at: str) -> None:
    """When the table filled: the biggest level shift of its fill ratio over the six hours before."""
    end = parse_time(at)
    if end is None:
        return
    start = (end - timedelta(hours=6)).isoformat().replace("+00:00", "Z")
    t = found.table
    query = f'max({t.used}{{node="{found.node}"}}) / max({t.limit}{{node="{found.node}"}})'
    outcome = await call("prom_query_range", {"query": query, "start": start, "end": at, "step": "60s",
                                              "baseline": "none"}, f"survey-node-tables-onset-{found.node}")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return
    for series in outcome.data.get("series") or []:
        change = series.get("change") if isinstance(series, dict) else None
        if isinstance(change, dict) and change.get("at"):
            found.onset = str(change["at"])
            found.evidence.append(outcome.evidence_id)
            return


def _workload(namespace: str, pod: str) -> Ref:
    kind = "StatefulSet" if re.fullmatch(r".+-\d{1,4}", pod) else \
        "Deployment" if re.fullmatch(r".+-[a-z0-9]{6,10}-[a-z0-9]{5}", pod) else "DaemonSet"
    return Ref(kind, namespace, workload_of_pod(pod))


def _blame(found: Exhausted, facts: Facts) -> None:
    """The workload on the node whose change came closest before the onset (churn-making changes first)."""
    onset = parse_time(found.onset) or facts.at
    on_node = {(ns, workload_of_pod(p)): _workload(ns, p) for ns, p in found.pods}
    best: tuple[tuple[int, float], Ref, dict[str, Any]] | None = None
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        when = parse_time(change.get("at"))
        if target is None or when is None or (target.namespace, target.name) not in on_node:
            continue
        gap = (onset - when).total_seconds()
        if gap < -300 or gap > CHANGE_BEFORE.total_seconds():
            continue
        lines = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
        churn = sum(1 for test, _ in CHURN if any(test(ln) for ln in lines))
        key = (churn, -abs(gap))
        if best is None or key > best[0]:
            best = (key, Ref(target.kind or on_node[(target.namespace, target.name)].kind, target.namespace,
                             target.name), change)
    if best is None:
        return
    _, found.culprit, change = best
    found.change_at = str(change.get("at") or "")
    lines = [str(d) for d in change.get("diff") or []]
    found.change = f"{change.get('type') or 'change'} at {found.change_at}: " + "; ".join(lines[:3] or [
        str(change.get("summary") or "")[:160]])
    _meanings(found, lines or [str(change.get("summary") or "")])


def _meanings(found: Exhausted, lines: list[str]) -> None:
    found.meanings = [m for test, m in CHURN if any(test(ln) for ln in lines)]


def _from_history(found: Exhausted, history: dict[str, Any], evidence_id: str) -> None:
    """The revision of the culprit at the change, with its diff, when the timeline's line was short."""
    found.evidence.append(evidence_id)
    for rev in reversed([r for r in history.get("revisions") or [] if isinstance(r, dict)]):
        lines = [str(c) for c in rev.get("changes") or []]
        if lines and any(test(ln) for test, _ in CHURN for ln in lines):
            found.change = f"revision {rev.get('revision')} at {rev.get('created') or found.change_at}: " + \
                "; ".join(ln[:90] for ln in lines[:3])
            _meanings(found, lines)
            return


def exhausted(facts: Facts) -> list[Exhausted]:
    """The nodes found with a full table (by `read`)."""
    return [o["found"] for o, _ in facts.objects if o.get("kind") == RECORD_KIND and isinstance(o.get("found"),
                                                                                                 Exhausted)]


def _minutes(a: str, b: datetime | None) -> str:
    start = parse_time(a)
    if start is None or b is None:
        return ""
    return f" ({int((b - start).total_seconds() // 60)} min before it filled)"


def _short(line: str) -> str:
    """A diff line without its container prefix and repeated key: `HTTP_KEEPALIVE 'true' -> 'false'`."""
    line = re.sub(r"^[\w.-]+ env ", "", line.strip())
    return re.sub(r"^(\w+)=(.*?) -> \1=", r"\1 \2 -> ", line)[:110]


def finding(found: Exhausted) -> tuple[Ref, dict[str, Any]]:
    """The workload driving the node's table full (or the node itself when none stands out): the table, the
    change and what it does first, then what the full table does to the node's pods (about 400 characters)."""
    table = found.table
    share = f"{found.used:,.0f} of {found.limit:,.0f} entries ({100 * found.used / found.limit:.0f}%)"
    drops = f", {found.drops:,.0f} packets dropped" if found.drops else ""
    onset = f" since {found.onset[11:16] or found.onset}" if found.onset else ""
    ref = found.culprit or Ref("Node", "", found.node)
    others = len({workload_of_pod(p) for _, p in found.pods}) - (1 if found.culprit else 0)
    if found.culprit is not None:
        head, _, rest = found.change.partition(": ")
        lines = "; ".join(_short(ln) for ln in rest.split("; ") if ln)
        why = f": {'; '.join(found.meanings)}" if found.meanings else ""
        message = (f"{found.culprit} fills node {found.node}'s {table.name} (table full{onset}: {share}{drops}). "
                   f"Its {head}{_minutes(found.change_at, parse_time(found.onset))}: {lines}{why}. "
                   f"{table.words} ({others} other workloads there)")
    else:
        message = f"Node {found.node}'s {table.name} is full ({share}{drops}{onset}): {table.words}"
    return ref, {"check": CHECK, "severity": "critical",
                 "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                 "reason": "NodeTableFull", "message": message,
                 "evidence": [f"{table.used} {found.used:,.0f} / {table.limit} {found.limit:,.0f} on {found.node}"],
                 "details": {"node": found.node, "table": table.name, "used": found.used, "limit": found.limit,
                             "onset": found.onset, "pods": [p for _, p in found.pods][:20]}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload (or node) behind each full node table; it explains the node and the other pods there."""
    out = []
    for found in exhausted(facts):
        ref, f = finding(found)
        explains = [Ref("Node", "", found.node)] if found.culprit is not None else []
        out.append((ref, f, list(dict.fromkeys(e for e in found.evidence if e)), explains))
    return out
