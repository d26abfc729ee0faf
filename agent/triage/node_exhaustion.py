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
- the listen (accept) queue: `node_netstat_TcpExt_ListenOverflows` and `ListenDrops` rising (the kernel's
  "times the listen queue of a socket overflowed"): a listener's backlog, capped by `net.core.somaxconn`, is
  full, the SYNs of new connections are dropped and clients time out while the server looks idle;
- sockets in TIME_WAIT (`node_sockstat_TCP_tw`) near the ephemeral port range: "Cannot assign requested
  address" on connect.

(PIDs are agent.triage.pid_pressure's, memory the kubelet's MemoryPressure.) The node is only where it shows;
the cause is the workload on it whose rollout changed how it connects (keep-alive off, more workers) shortly
before the table filled, or whatever on the node lowered the kernel setting that bounds the table (a DaemonSet's
revision or the ConfigMap it mounts writing `net.core.somaxconn=1024`; agent.triage.kernel_settings reads the
key and both values from the diff; a node agent's own flag that sizes the table, kube-proxy's
`--conntrack-min`, counts as the key it sets, agent.triage.agent_flags): "what changed on that node" is the
workloads whose pods run there. An exporter address the series do not tie to a node is matched against the Nodes'
own `status.addresses` (a Node's name need not spell its IP).
Pods on the node are ranked by their per-pod gauges when there are any (sockets,
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

import yaml

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kernel_settings import Setting, moved
from agent.triage.kube_reads import object_of
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
    counter: str = ""
    """A counter whose increase means the table overflowed (a queue has no gauge of its fill)."""
    settings: tuple[str, ...] = ()
    """The kernel settings (sysctl keys) that bound the table: lowering one is what fills it."""
    default_limit: float = 0.0
    """The limit when no exporter series carries it: the kernel's documented default (node-exporter exports no
    `net.ipv4.ip_local_port_range`, whose Linux default 32768-60999 leaves 28232 ports to a destination)."""


TABLES = (
    Table("conntrack table", "node_nf_conntrack_entries", "node_nf_conntrack_entries_limit",
          "nf_conntrack: table full, dropping packet: new connections of every pod on the node are dropped and "
          "time out", "node_nf_conntrack_stat_drop_total",
          settings=("net.netfilter.nf_conntrack_max", "net.nf_conntrack_max")),
    Table("file descriptor table", "node_filefd_allocated", "node_filefd_maximum",
          "VFS: file-max limit reached: opening a file or socket fails with 'Too many open files'",
          settings=("fs.file-max", "fs.nr_open")),
    Table("listen queue", "", "",
          "the listen queue of a socket overflowed: SYNs beyond the accept backlog (capped by net.core.somaxconn) are "
          "dropped, so new connections to listeners on the node time out while their servers look idle",
          "node_netstat_TcpExt_ListenDrops", "node_netstat_TcpExt_ListenOverflows",
          ("net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog")),
    Table("ephemeral port range", "node_sockstat_TCP_tw", "",
          "sockets in TIME_WAIT hold the ephemeral ports (net.ipv4.ip_local_port_range): connect() fails with "
          "'Cannot assign requested address' (errno 99, EADDRNOTAVAIL) and a proxy answers 502",
          settings=("net.ipv4.ip_local_port_range", "net.ipv4.tcp_max_tw_buckets"),
          default_limit=float(60999 - 32768 + 1)),
)
OVERFLOWS = 100
"""Overflows of a counter table over OVERFLOW_WINDOW that count as the table full (a trickle is normal)."""
OVERFLOW_WINDOW = "30m"
SETTING_BEFORE = timedelta(hours=12)
"""A lowered kernel limit bites at the next traffic peak: how long before the onset its write still counts."""
FULL_RATIO = 0.9
POD_GAUGES = ("container_sockets", "container_file_descriptors")
CHANGE_BEFORE = timedelta(hours=3)
"""How long before the onset a workload's change still counts as what started it."""

_KEEPALIVE_OFF = re.compile(r"keep[-_ ]?alive\w*\W{0,3}\s*\S*?(?:true|on|1|yes|enabled)\S*\s*->\s*\S*?"
                            r"(?:false|off|0|no|disabled)|disable[-_]?keep[-_]?alive\w*\W{0,3}\S*?(?:false)?\S*\s*->"
                            r"\s*\S*?true|Connection:\s*close", re.I)
_REUSE = re.compile(r"(keep[-_ ]?alive[\w-]*|max[-_]requests[-_]per[-_]connection|http[-_]reuse|reuse[\w-]*)"
                    r"[\"']?\s*[=:]?\s*[\"']?([\w.]+)", re.I)
"""A connection-reuse setting and its value: ingress-nginx `upstream-keepalive-connections: "0"`, Envoy
`max_requests_per_connection: 1`, HAProxy `http-reuse never`, an app's `HTTP_KEEPALIVE=false`."""
_OFF = {"0", "false", "off", "no", "never", "disabled", "none"}


def _off(key: str, value: str) -> bool:
    """Whether a reuse setting's value means no reuse (one request per connection for a per-connection cap)."""
    return value == "1" if "per" in key else value in _OFF


def _reuse_off(line: str) -> bool:
    """A diff line (`old -> new`) that turned connection reuse off: a reuse setting set to 0/false/never (or an
    Envoy max_requests_per_connection set to 1, one request per connection) from a value that reused."""
    before, arrow, after = line.partition("->")
    if not arrow:
        return False
    found = _REUSE.findall(before)
    old = {k.lower(): v.lower() for k, v in found}
    pairs = _REUSE.findall(after)
    bare = re.match(r"\s*[\"']?([\w.]+)", after)
    if not pairs and found and bare:  # `key 'old' -> 'new'`: the key is written once, on the left
        pairs = [(found[-1][0], bare.group(1))]
    for key, value in pairs:
        k, v = key.lower(), value.lower()
        if k in old and _off(k, v) and not _off(k, old[k]):
            return True
    return False


_MORE = re.compile(r"(\w*concurren\w*|workers?|threads?|parallel\w*|max[-_]?conn\w*)\W{0,3}(\d+)", re.I)


def _more(line: str) -> bool:
    """A concurrency setting raised (`CRAWL_CONCURRENCY='32' -> ...='512'`, `['--workers=16', ...] -> [...]`)."""
    before, arrow, after = line.partition("->")
    if not arrow:
        return False
    old = {k.lower(): int(v) for k, v in _MORE.findall(before)}
    return any(int(v) > old[k.lower()] for k, v in _MORE.findall(after) if k.lower() in old)


CHURN: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda line: _KEEPALIVE_OFF.search(line) is not None or _reuse_off(line),
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
    selector: str = ""
    """The PromQL label matcher of the node's exporter series (`node="x"` or `instance=~"x(:[0-9]+)?"`)."""
    settings: list[Setting] = field(default_factory=list)
    """The table's kernel settings the culprit's change lowered (`net.core.somaxconn 4096 -> 1024`)."""
    via: str = ""
    """The workload on the node that applies the culprit when the culprit is a ConfigMap it mounts."""


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
    """A series is the node's when its node label names it, or its instance is the node's address or host name
    (a scrape config that relabels instance to the node name, with or without the domain)."""
    instance = str(labels.get("instance") or "").split(":")[0]
    if str(labels.get("node") or labels.get("nodename") or "") == node:
        return True
    return bool(instance) and (instance in addresses or _node_of(instance.lower(), [node]) == node)


def _selector(node: str, samples: list[tuple[dict[str, Any], float]], addresses: set[str]) -> str:
    """The label matcher that picks the node's series in a range query, as its samples are labelled."""
    for labels, _ in samples:
        if _on(labels, node, addresses):
            if labels.get("node"):
                return f'node="{labels["node"]}"'
            if labels.get("instance"):
                return f'instance="{labels["instance"]}"'
    return f'node="{node}"'


async def _increases(call: Callable[..., Awaitable[Any]], at: str) -> tuple[list[tuple[dict[str, Any], float]],
                                                                            list[str]]:
    """How much each counter table's overflow and drop counters rose over OVERFLOW_WINDOW, named as the gauges
    are (increase() drops the metric name)."""
    out: list[tuple[dict[str, Any], float]] = []
    evidence: list[str] = []
    for table in TABLES:
        for name in (table.counter, table.drops if table.counter else ""):
            if not name:
                continue
            got = await call("prom_query", {"query": f"increase({name}[{OVERFLOW_WINDOW}])", "time": at},
                             f"survey-node-tables-{name}")
            if got is None or not got.ok or not isinstance(got.data, dict):
                continue
            rows = [({**labels, "__name__": name}, value) for labels, value in _samples(got.data)]
            if rows:
                evidence.append(got.evidence_id)
                out.extend(rows)
    return out, evidence


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
    metrics = "|".join(n for t in TABLES if t.used for n in (t.used, t.limit, t.drops) if n)
    gauges = await call("prom_query", {"query": f'{{__name__=~"{metrics}"}}', "time": at}, "survey-node-tables")
    if gauges is None or not gauges.ok or not isinstance(gauges.data, dict):
        return
    samples = _samples(gauges.data)
    counted, counted_ids = await _increases(call, at)
    samples += counted
    for labels, _ in samples:  # an address names the node its exporter reports
        if str(labels.get("instance") or "").split(":")[0] in addresses and labels.get("node"):
            nodes.append(str(labels["node"]))
    if not nodes and addresses:  # no node label: the node whose own addresses (InternalIP...) hold it
        nodes += await _nodes_at(call, names, addresses)
    for node in list(dict.fromkeys(nodes))[:2]:
        found = _full(node, samples, addresses)
        if found is None:
            continue
        found.evidence.append(gauges.evidence_id)
        if found.table.counter:
            found.evidence.extend(counted_ids)
        found.selector = _selector(node, [s for s in samples if s[0].get("__name__") in (found.table.used,
                                                                                         found.table.counter)],
                                   addresses)
        await _onset(call, found, at)
        pods = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                          f"survey-node-tables-pods-{node}")
        prow = (pods.data or {}).get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) \
            else []
        found.pods = [(str(r.get("namespace") or ""), str(r.get("name"))) for r in prow
                      if isinstance(r, dict) and r.get("name")]
        if pods is not None and pods.ok:
            found.evidence.append(pods.evidence_id)
        mounts = await _mounts(call, found, facts)
        _blame(found, facts, mounts)
        if found.culprit is not None and found.culprit.kind in ("Deployment", "StatefulSet", "DaemonSet"):
            history = await call("k8s_rollout_history", {"name": found.culprit.name, "namespace":
                                                         found.culprit.namespace, "kind": found.culprit.kind},
                                 f"survey-node-tables-history-{found.culprit.name}")
            if history is not None and history.ok and isinstance(history.data, dict):
                _from_history(found, history.data, history.evidence_id)
        facts.objects.append(({"kind": RECORD_KIND, "found": found}, ""))
        return


MAX_NODE_READS = 12
"""Nodes read one by one to find the one an exporter address belongs to (a Node's name need not say its IP)."""


async def _nodes_at(call: Callable[..., Awaitable[Any]], names: list[str], addresses: set[str]) -> list[str]:
    """The nodes whose `status.addresses` hold one of `addresses` (read only when no series names the node)."""
    out = []
    for name in names[:MAX_NODE_READS]:
        obj = object_of(await call("k8s_get", {"kind": "Node", "name": name, "output": "yaml"},
                                   f"survey-node-tables-node-{name}"))
        held = {str(a.get("address")) for a in ((obj or {}).get("status") or {}).get("addresses") or []
                if isinstance(a, dict)}
        if held & addresses:
            out.append(name)
    return out


def _full(node: str, samples: list[tuple[dict[str, Any], float]], addresses: set[str]) -> Exhausted | None:
    """The node's fullest table at or above FULL_RATIO (or dropping), or None."""
    best: Exhausted | None = None
    for table in TABLES:
        values: dict[str, float] = {}
        for labels, value in samples:
            name = str(labels.get("__name__") or "")
            if name in (table.used, table.limit, table.drops, table.counter) and name and _on(labels, node,
                                                                                                 addresses):
                values[name] = max(value, values.get(name, value))
        if table.counter:  # a queue: full when its overflow counter rose, and only when no gauge table is full
            rose = values.get(table.counter, 0.0)
            if rose >= OVERFLOWS and best is None:
                best = Exhausted(node, table, rose, 0.0, values.get(table.drops))
            continue
        used, limit = values.get(table.used), values.get(table.limit) or table.default_limit
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
    t, sel = found.table, found.selector or f'node="{found.node}"'
    query = f"sum(rate({t.counter}{{{sel}}}[5m]))" if t.counter else \
        f"max({t.used}{{{sel}}}) / max({t.limit}{{{sel}}})" if t.limit else f"max({t.used}{{{sel}}})"
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


def workload_ref(namespace: str, pod: str) -> Ref:
    """The workload a pod's name says it belongs to (`x-0` a StatefulSet, `x-<hash>-<id>` a Deployment)."""
    kind = "StatefulSet" if re.fullmatch(r".+-\d{1,4}", pod) else \
        "Deployment" if re.fullmatch(r".+-[a-z0-9]{6,10}-[a-z0-9]{5}", pod) else "DaemonSet"
    return Ref(kind, namespace, workload_of_pod(pod))


def _lines(change: dict[str, Any]) -> list[str]:
    return [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]


def _setting_changes(found: Exhausted, facts: Facts) -> list[dict[str, Any]]:
    """The timeline's writes that lowered (or moved) one of the table's kernel settings shortly enough before."""
    onset = parse_time(found.onset) or facts.at
    out = []
    for change in facts.change_list():
        when = parse_time(change.get("at"))
        if when is None or not -300 <= (onset - when).total_seconds() <= SETTING_BEFORE.total_seconds():
            continue
        if found.table.settings and moved(_lines(change), found.table.settings):
            out.append(change)
    return out


def _mounted(spec: dict[str, Any]) -> set[str]:
    """ConfigMaps a pod template mounts as a volume (directly or projected) or reads whole as env."""
    pod = ((spec.get("template") or {}).get("spec") or {})
    names = {str((v.get("configMap") or {}).get("name") or "") for v in pod.get("volumes") or [] if isinstance(v, dict)}
    for v in pod.get("volumes") or []:
        for source in ((v.get("projected") or {}).get("sources") or []) if isinstance(v, dict) else []:
            names.add(str((source.get("configMap") or {}).get("name") or "") if isinstance(source, dict) else "")
    for c in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        for e in (c.get("envFrom") or []) if isinstance(c, dict) else []:
            names.add(str((e.get("configMapRef") or {}).get("name") or "") if isinstance(e, dict) else "")
    return names - {""}


async def _mounts(call: Callable[..., Awaitable[Any]], found: Exhausted, facts: Facts) -> dict[tuple[str, str], Ref]:
    """For each ConfigMap whose write moved the table's kernel setting, the workload on the node that mounts it
    (read from the workloads' specs, only when such a write exists)."""
    on_node = {(ns, workload_of_pod(p)) for ns, p in found.pods}
    wanted: set[tuple[str, str]] = set()
    out: dict[tuple[str, str], Ref] = {}
    for change in _setting_changes(found, facts):
        ref = Ref.of(change.get("object"))
        if ref is None or ref.kind != "ConfigMap":
            continue
        wanted.add((ref.namespace, ref.name))
        for user in (Ref.of(r) for r in change.get("related") or []):  # the timeline's own "used by"
            if user is not None and (user.namespace, user.name) in on_node:
                out.setdefault((ref.namespace, ref.name), user)
    wanted -= set(out)
    if not wanted:
        return out
    for ref in dict.fromkeys(workload_ref(ns, p) for ns, p in found.pods):
        if ref.namespace not in {ns for ns, _ in wanted}:
            continue
        got = await call("k8s_get", {"kind": ref.kind, "name": ref.name, "namespace": ref.namespace,
                                     "output": "yaml"}, f"survey-node-tables-spec-{ref.name}")
        try:
            obj = yaml.safe_load(got.full_text) if got is not None and got.ok else None
        except yaml.YAMLError:
            obj = None
        if not isinstance(obj, dict):
            continue
        for name in _mounted(obj.get("spec") or {}):
            if (ref.namespace, name) in wanted:
                out.setdefault((ref.namespace, name), ref)
                found.evidence.append(got.evidence_id)
    return out


def _blame(found: Exhausted, facts: Facts, mounts: dict[tuple[str, str], Ref] | None = None) -> None:
    """The workload on the node (or the ConfigMap one mounts) whose change came before the onset: a change that
    lowered the table's own kernel setting first, then churn-making changes, then the closest in time."""
    onset = parse_time(found.onset) or facts.at
    on_node = {(ns, workload_of_pod(p)): workload_ref(ns, p) for ns, p in found.pods}
    mounts = mounts or {}
    best: tuple[tuple[int, int, float], Ref, dict[str, Any]] | None = None
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        when = parse_time(change.get("at"))
        if target is None or when is None:
            continue
        key = (target.namespace, target.name)
        if key not in on_node and not (target.kind == "ConfigMap" and key in mounts):
            continue
        lines = _lines(change)
        setting = 1 if found.table.settings and moved(lines, found.table.settings) else 0
        gap = (onset - when).total_seconds()
        if gap < -300 or gap > (SETTING_BEFORE if setting else CHANGE_BEFORE).total_seconds():
            continue
        churn = sum(1 for test, _ in CHURN if any(test(ln) for ln in lines))
        rank = (setting, churn, -abs(gap))
        if best is None or rank > best[0]:
            kind = target.kind or on_node[key].kind
            best = (rank, Ref(kind, target.namespace, target.name), change)
    if best is None:
        return
    _, found.culprit, change = best
    if found.culprit.kind == "ConfigMap":
        found.via = str(mounts.get((found.culprit.namespace, found.culprit.name)) or "")
    found.change_at = str(change.get("at") or "")
    lines = [str(d) for d in change.get("diff") or []]
    found.settings = moved(_lines(change), found.table.settings) if found.table.settings else []
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
        settings = moved(lines, found.table.settings) if found.table.settings else []
        if settings:
            found.settings = settings
            found.change = f"revision {rev.get('revision')} at {rev.get('created') or found.change_at}: " + \
                "; ".join(str(x) for x in settings)
            return
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
    if table.counter:
        share = f"{found.used:,.0f} overflows in {OVERFLOW_WINDOW} ({table.counter})"
        drops = f", {found.drops:,.0f} SYNs dropped" if found.drops else ""
    else:
        share = f"{found.used:,.0f} of {found.limit:,.0f} entries ({100 * found.used / found.limit:.0f}%)"
        drops = f", {found.drops:,.0f} packets dropped" if found.drops else ""
    onset = f" since {found.onset[11:16] or found.onset}" if found.onset else ""
    ref = found.culprit or Ref("Node", "", found.node)
    others = len({workload_of_pod(p) for _, p in found.pods}) - (1 if found.culprit else 0)
    if found.culprit is not None and found.settings:
        head, _, _ = found.change.partition(": ")
        via = f" (mounted by {found.via}, which applies it on the node)" if found.via else ""
        message = (f"{found.culprit}{via} lowered a kernel limit of node {found.node}: its {head}"
                   f"{_minutes(found.change_at, parse_time(found.onset))} set "
                   f"{'; '.join(str(x) for x in found.settings)}, and the node's {table.name} is full "
                   f"({share}{drops}{onset}): {table.words} ({others} other workloads there)")
    elif found.culprit is not None:
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
                 "evidence": [f"increase({table.counter}[{OVERFLOW_WINDOW}]) {found.used:,.0f} on {found.node}"
                              if table.counter else
                              f"{table.used} {found.used:,.0f} / {table.limit} {found.limit:,.0f} on {found.node}"],
                 "details": {"node": found.node, "table": table.name, "used": found.used, "limit": found.limit,
                             "onset": found.onset, "pods": [p for _, p in found.pods][:20],
                             "settings": [str(x) for x in found.settings], "via": found.via}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The workload (or node) behind each full node table; it explains the node and the other pods there."""
    out = []
    for found in exhausted(facts):
        ref, f = finding(found)
        explains = [Ref("Node", "", found.node)] if found.culprit is not None else []
        out.append((ref, f, list(dict.fromkeys(e for e in found.evidence if e)), explains))
    return out
