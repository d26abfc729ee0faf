"""A node under MemoryPressure: which pod on it grew, and which config write of its owner removed its bound.

When a node runs short of memory the kubelet evicts the pods most over their requests, which are rarely the
ones that grew: a node agent (a log shipper, a telemetry collector) with a small request can take gigabytes
when its buffer is unbounded, and the evicted application pods are only the victims. The node's condition says
"MemoryPressure"; the cause is the container whose working set climbed before it, and what let it climb.

Log and telemetry agents bound their in-memory buffers in their own config file, and documented defaults
leave them unbounded when the setting is gone:

* Fluent Bit: an `[INPUT]` (classic) or `inputs:` entry (YAML) without `Mem_Buf_Limit` and without
  `storage.type filesystem` buffers every record in memory while its output cannot flush (an Elasticsearch
  or Loki that refuses or is slow), without limit;
* the OpenTelemetry Collector: a pipeline without the `memory_limiter` processor accepts data whatever its
  memory, so a stuck exporter's queue grows until the node runs out.

The survey, for each node whose MemoryPressure the timeline or the scan shows, reads the working set of the
containers of the pods on it over the hours before, keeps the one that grew most (and stands out), and reads
the ConfigMaps its owner uses that were written in the day before its growth began. A write is the suspect
when the file it wrote is such an agent's and leaves the buffer unbounded; failing that, a rollout of the
owner in that day that removed its container's memory limit (`memory limit 256Mi -> none`) is.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.node_exhaustion import workload_ref
from agent.triage.subject import Subject

CHECK = "change.buffer_unbounded"
WEIGHT = 0.94
"""The write that let a node agent's memory grow without bound outranks the node's pressure and its evictions."""
STORE = "node_memory_growth"
LOOK_BACK = timedelta(hours=3)
"""How long before the pressure the pods' working sets are read."""
LEAD = timedelta(hours=24)
"""How long before the growth began a config write of the grower's owner still counts."""
SLACK = timedelta(minutes=5)
MIN_RATIO = 2.0
"""The grower's working set at least doubled."""
STANDS_OUT = 2.0
"""...and grew at least this many times more than any other container of the node."""
MAX_PODS = 60
MAX_CONFIGS = 2

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Agent:
    """One agent's config file: how to recognise it, and whether its buffer is bounded."""

    software: str
    file: re.Pattern[str]
    bounded: Callable[[str], bool]
    bound: str
    """The setting that bounds it, as its documentation names it."""
    effect: str


def _fluent_bit_bounded(text: str) -> bool:
    """Every input of a Fluent Bit config is bounded: a Mem_Buf_Limit, or filesystem buffering."""
    inputs: list[str] = []
    if re.search(r"(?im)^\s*\[INPUT\]", text):  # classic: one section per input
        inputs = [s for s in re.split(r"(?m)^\s*\[", text) if s.upper().startswith("INPUT]")]
    elif re.search(r"(?im)^\s*inputs:\s*$", text):  # YAML: the list under pipeline.inputs
        after = re.split(r"(?im)^\s*inputs:\s*$", text, maxsplit=1)[1]
        block = re.split(r"(?im)^\s*(?:filters|outputs):\s*$", after)[0]
        inputs = [s for s in re.split(r"(?m)^\s*-\s+", block) if s.strip()]
    return bool(inputs) and all(re.search(r"(?i)\bmem_buf_limit\b|\bstorage\.type\s*[:=]?\s*filesystem", s)
                                for s in inputs)


def _otel_bounded(text: str) -> bool:
    """An OpenTelemetry Collector config names the memory_limiter processor in its pipelines."""
    service = re.split(r"(?m)^service:\s*$", text, maxsplit=1)
    pipelines = service[1] if len(service) > 1 else ""
    return bool(re.search(r"\bmemory_limiter\b", pipelines))


AGENTS = (
    Agent("fluent-bit", re.compile(r"(?im)^\s*\[(?:INPUT|OUTPUT|SERVICE)\]|^\s*pipeline:\s*$"), _fluent_bit_bounded,
          "Mem_Buf_Limit",
          "without Mem_Buf_Limit (and with memory buffering) each input keeps every record in memory while its output "
          "cannot flush, with no limit"),
    Agent("opentelemetry-collector", re.compile(r"(?m)^receivers:\s*$[\s\S]*^exporters:\s*$"), _otel_bounded,
          "memory_limiter",
          "without the memory_limiter processor the collector accepts data whatever its memory, so a stuck "
          "exporter's queue grows until the node runs out"),
)


def agent_of(text: str) -> Agent | None:
    """The agent whose config file `text` is, or None."""
    return next((a for a in AGENTS if a.file.search(text)), None)


def _pressured(facts: Facts) -> dict[str, tuple[datetime, list[Ref]]]:
    """Nodes under MemoryPressure: when it was set, and the pods on them the timeline names."""
    out: dict[str, tuple[datetime, list[Ref]]] = {}
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        text = " ".join(str(d) for d in change.get("diff") or [])
        if target is None or at is None or target.kind != "Node" or "MemoryPressure -> True" not in text:
            continue
        pods = [r for r in (Ref.of(x) for x in change.get("related") or []) if r and r.kind == "Pod"]
        out.setdefault(target.name, (at, pods))
    for f in facts.findings():
        details = f.get("details") or {}
        if f.get("check") == "node.pressure" and details.get("condition") == "MemoryPressure" and details.get("node"):
            out.setdefault(str(details["node"]), (parse_time(f.get("since")) or facts.at, []))
    return out


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: per pressured node, its pods' working sets over LOOK_BACK, and the config files written
    within LEAD that the biggest grower's owner uses (facts.reads[STORE])."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for node, (when, pods) in list(_pressured(facts).items())[:2]:
        if not pods:
            listed = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                                f"survey-memory-pods-{node}")
            rows = listed.data.get("rows") or [] if listed is not None and listed.ok and \
                isinstance(listed.data, dict) else []
            pods = [Ref("Pod", str(r.get("namespace") or ""), str(r.get("name"))) for r in rows
                    if isinstance(r, dict) and r.get("name")]
        if not pods:
            continue
        names = "|".join(p.name for p in pods[:MAX_PODS] if re.fullmatch(r"[a-z0-9-]+", p.name))  # no regex chars
        query = f'max by (namespace, pod) (container_memory_working_set_bytes{{container!="", container!="POD", ' \
                f'pod=~"{names}"}})'
        outcome = await call("prom_query_range", {"query": query, "start": _iso(when - LOOK_BACK),
                                                  "end": _iso(when + SLACK), "step": "60s", "baseline": "none",
                                                  "top_k": 20}, f"survey-memory-growth-{node}")
        if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
            continue
        entry: dict[str, Any] = {"node": node, "pressure": when, "series": outcome.data.get("series") or [],
                                 "evidence": [outcome.evidence_id], "configs": []}
        store.append(entry)
        grew = grower(entry["series"])
        if grew is None:
            continue
        owner = workload_ref(grew.namespace, grew.pod)
        for change, target in _config_writes(facts, owner, grew.onset or when)[:MAX_CONFIGS]:
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-memory-cm-{target.name}")
            if got is not None:
                entry["configs"].append({"change": change, "configmap": target, "data": got[0].get("data") or {}})
                entry["evidence"].append(got[1])


@dataclass
class Growth:
    """The container whose working set climbed most on the node, and when it began."""

    namespace: str
    pod: str
    first: float
    peak: float
    onset: datetime | None


def grower(series: list[dict[str, Any]]) -> Growth | None:
    """The series that grew most (peak over first), at least MIN_RATIO-fold and STANDS_OUT times more than any
    other; None when none stands out (the whole node grew, or nothing did)."""
    grown = []
    for s in series:
        labels = s.get("labels") or {}
        first, peak = s.get("first"), s.get("max")
        if not isinstance(first, int | float) or not isinstance(peak, int | float) or not labels.get("pod"):
            continue
        change = s.get("change") or {}
        grown.append((peak - first, Growth(str(labels.get("namespace") or ""), str(labels["pod"]), float(first),
                                           float(peak), parse_time(change.get("at")))))
    grown.sort(key=lambda g: -g[0])
    if not grown or grown[0][0] <= 0:
        return None
    top, rest = grown[0], grown[1:]
    if top[1].first > 0 and top[1].peak / top[1].first < MIN_RATIO:
        return None
    if rest and rest[0][0] > 0 and top[0] < STANDS_OUT * rest[0][0]:
        return None
    return top[1]


def _config_writes(facts: Facts, owner: Ref, onset: datetime) -> list[tuple[dict[str, Any], Ref]]:
    """ConfigMap writes the timeline says `owner` uses, within LEAD before the growth began, newest first."""
    out = []
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind != "ConfigMap" or not onset - LEAD <= at <= onset + SLACK:
            continue
        users = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
        if any(u.name == owner.name and u.namespace == owner.namespace for u in users):
            out.append((change, target))
    return sorted(out, key=lambda c: str(c[0].get("at")), reverse=True)


@dataclass
class Unbounded:
    """A config write that left the node's growing agent without its buffer bound."""

    configmap: Ref
    key: str
    agent: Agent
    written: datetime
    node: str
    pressure: datetime
    growth: Growth
    owner: Ref
    evicted: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _evicted(facts: Facts, node: str) -> list[Ref]:
    out: list[Ref] = []
    for f in facts.findings():
        details = f.get("details") or {}
        if f.get("check") == "pod.evicted" and details.get("node") == node:
            ref = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
            if ref is not None and ref not in out:
                out.append(ref)
    return out


def found(facts: Facts) -> list[Unbounded]:
    """Each pressured node whose standing-out grower's owner had a config file written that leaves its buffer
    unbounded, the write before the growth began."""
    out: list[Unbounded] = []
    for entry in facts.reads.get(STORE) or []:
        grew = grower(entry.get("series") or [])
        if grew is None:
            continue
        owner = workload_ref(grew.namespace, grew.pod)
        for cfg in entry.get("configs") or []:
            change, target = cfg.get("change") or {}, cfg.get("configmap")
            written = parse_time(change.get("at"))
            if target is None or written is None or (grew.onset is not None and written > grew.onset + SLACK):
                continue
            hit = next(((str(k), a) for k, v in (cfg.get("data") or {}).items() for a in [agent_of(str(v))]
                        if a is not None and not a.bounded(str(v))), None)
            if hit is None:
                continue  # not an agent's file, or its buffer is still bounded: the write did not do this
            out.append(Unbounded(target, hit[0], hit[1], written, str(entry.get("node")), entry["pressure"], grew,
                                 owner, _evicted(facts, str(entry.get("node"))),
                                 [e for e in entry.get("evidence") or [] if e]))
            break
    return out


def _size(value: float) -> str:
    for unit, scale in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


def finding(u: Unbounded, at: datetime) -> dict[str, Any]:
    """The ConfigMap's finding: the missing bound, the agent's growth on the node, the pressure and evictions."""
    ago = minutes_text(int((at - u.written).total_seconds() // 60))
    g = u.growth
    ratio = f" (x{g.peak / g.first:.0f})" if g.first > 0 else ""
    since = f" from {_iso(g.onset)[11:16]}" if g.onset else ""
    evicted = f"; the kubelet evicted pods of {', '.join(str(e) for e in u.evicted[:3])}" if u.evicted else ""
    message = (f"{u.configmap} ({u.key}, written {_iso(u.written)}, {ago} before the alert) leaves {u.agent.software} "
               f"without {u.agent.bound}: its buffer memory is unbounded. Pod {g.namespace}/{g.pod} ({u.owner}) on "
               f"node {u.node} grew {_size(g.first)} -> {_size(g.peak)}{ratio}{since}, and the node went into "
               f"MemoryPressure at {_iso(u.pressure)[11:16]}{evicted}. Meaning: {u.agent.effect}. Restore "
               f"{u.agent.bound} in {u.key}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "ConfigMap", "namespace": u.configmap.namespace, "name": u.configmap.name},
            "reason": "AgentBufferUnbounded", "message": message,
            "evidence": [f"{u.key}: no {u.agent.bound}", f"{g.pod} {_size(g.first)} -> {_size(g.peak)}"],
            "details": {"node": u.node, "pod": g.pod, "bound": u.agent.bound, "software": u.agent.software}}


_LIMIT_REMOVED = re.compile(r"^(\S+) memory limit (\S+) -> none$")
"""A rollout's diff line (mcp_servers.kubernetes.reads._resources_diff) that removed a container's memory limit."""


@dataclass
class LimitRemoved:
    """A rollout of the grower's owner that removed its container's memory limit before the growth began."""

    owner: Ref
    container: str
    old: str
    written: datetime
    node: str
    pressure: datetime
    growth: Growth
    evicted: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def limits_removed(facts: Facts) -> list[LimitRemoved]:
    """Each pressured node whose standing-out grower's owner rolled out, within LEAD before the growth began,
    a revision without the memory limit its container had: nothing stops it short of the node's memory."""
    out: list[LimitRemoved] = []
    for entry in facts.reads.get(STORE) or []:
        grew = grower(entry.get("series") or [])
        if grew is None:
            continue
        owner, onset = workload_ref(grew.namespace, grew.pod), grew.onset or entry["pressure"]
        for change, evidence in facts.every_change():
            target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
            if target is None or at is None or change.get("type") != "rollout" or \
                    (target.name, target.namespace) != (owner.name, owner.namespace) or \
                    not onset - LEAD <= at <= onset + SLACK:
                continue
            hit = next((m for d in change.get("diff") or [] for m in [_LIMIT_REMOVED.match(str(d))] if m), None)
            if hit is not None:
                out.append(LimitRemoved(target, hit.group(1), hit.group(2), at, str(entry.get("node")),
                                        entry["pressure"], grew, _evicted(facts, str(entry.get("node"))),
                                        [e for e in [evidence, *(entry.get("evidence") or [])] if e]))
                break
    return out


def limit_finding(x: LimitRemoved, at: datetime) -> dict[str, Any]:
    """The workload's finding: the limit its rollout removed, its pod's growth, the pressure and evictions."""
    g = x.growth
    ago = minutes_text(int((at - x.written).total_seconds() // 60))
    evicted = f"; the kubelet evicted pods of {', '.join(str(e) for e in x.evicted[:3])}" if x.evicted else ""
    message = (f"{x.owner} rolled out without its memory limit at {_iso(x.written)} ({ago} before the alert; "
               f"container {x.container} memory limit {x.old} -> none): pod {g.namespace}/{g.pod} on node {x.node} "
               f"grew {_size(g.first)} -> {_size(g.peak)} with nothing to stop it short of the node's memory, and the "
               f"node went into MemoryPressure at {_iso(x.pressure)[11:16]}{evicted}. Restore the memory limit")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": x.owner.kind, "namespace": x.owner.namespace, "name": x.owner.name},
            "reason": "MemoryLimitRemoved", "message": message,
            "evidence": [f"{x.container} memory limit {x.old} -> none", f"{g.pod} {_size(g.first)} -> {_size(g.peak)}"],
            "details": {"node": x.node, "pod": g.pod, "container": x.container, "old_limit": x.old}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written ConfigMap (it explains the agent, the node and the evicted workloads), or else the workload
    whose rollout removed the grower's memory limit (it explains the node and the evicted workloads)."""
    unbounded = [(u.configmap, finding(u, facts.at), u.evidence, [u.owner, Ref("Node", "", u.node), *u.evicted])
                 for u in found(facts)]
    nodes = {u.node for u in found(facts)}
    removed = [(x.owner, limit_finding(x, facts.at), x.evidence, [Ref("Node", "", x.node), *x.evicted])
               for x in limits_removed(facts) if x.node not in nodes]
    return unbounded + removed
