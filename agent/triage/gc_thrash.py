"""A runtime's heap ceiling or GC memory target written down to (or under) what the process keeps live, and the
collector running nonstop since: CPU pegged, nothing killed, nothing logged.

A garbage collector paces itself to the ceiling it is told: Go's to `GOMEMLIMIT` (a soft limit: under it the
runtime collects as often as it takes, up to about half the CPU), HotSpot's to `-Xmx` / `-XX:MaxRAMPercentage`,
V8's to `--max-old-space-size`, .NET's to `DOTNET_GCHeapHardLimit`. Set it at or just above the live heap (a
value sized on a quiet node, rolled out to every node by a DaemonSet; a heap cut to "save memory") and each
collection frees almost nothing, so the next starts at once: the collection rate jumps tenfold or more, the
process burns cores (no CPU limit on an agent: the whole node), and everything on the node slows. No OOM kill,
no error; the only mark is the runtime's own GC counter.

So: a write within LEAD to a workload (its env or args) or to a ConfigMap a workload reads, whose diff names such
a setting (set, or lowered; a raise is left out), followed, on that workload's pods, by their collection rate
(any runtime's GC counter: Go `go_gc_cycles_total_gc_cycles_total` / `go_gc_duration_seconds_count`, JVM
`jvm_gc_collection_seconds_count` / `jvm_gc_pause_seconds_count` / OpenTelemetry's `jvm_gc_duration_seconds_count`,
Node `nodejs_gc_duration_seconds_count` / `v8js_gc_duration_seconds_count`, .NET `dotnet_gc_collections_total` /
`dotnet_collection_count_total`) rising at least RISE-fold to MIN_RATE or more within AFTER of the write.
A rise without such a write, a write with no rise, a rise long after (or before) the write are not named.
`read` queries the series; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.heap_ceiling import KEYS, ceilings_in
from agent.triage.prom_reads import range_steps
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.gc_thrash"
WEIGHT = 0.93
"""A write whose meaning the workload's own GC counter confirms from the write on: above a bare rollout, level
with the other measured-cause modules (runtime_parallelism)."""
READS = "gc_thrash"
LEAD = timedelta(hours=24)
AFTER = timedelta(minutes=30)
RISE = 10.0
MIN_RATE = 1.0
"""Collections per second: a busy healthy service collects a few times a minute to once a second or so."""
MAX_READS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
GC_COUNTERS = ("go_gc_cycles_total_gc_cycles_total", "go_gc_duration_seconds_count", "jvm_gc_collection_seconds_count",
               "jvm_gc_pause_seconds_count", "nodejs_gc_duration_seconds_count", "dotnet_gc_collections_total",
               "process_runtime_dotnet_gc_collections_count_total", "jvm_gc_duration_seconds_count",
               "process_runtime_jvm_gc_duration_seconds_count", "v8js_gc_duration_seconds_count",
               "dotnet_collection_count_total")
"""Each runtime's collection counter as exporters name it: client_golang, the JMX exporter and Micrometer,
prom-client, OpenTelemetry's runtime instrumentations (jvm.gc.duration, v8js.gc.duration, the .NET collections
count, older process.runtime.* names), prometheus-net's DotNetStats."""


CEILING_NAMES = re.compile(r"GOMEMLIMIT|max[-_]old[-_]space|-Xmx|MaxRAMPercentage|MaxHeapSize|MaxRAMFraction|"
                           r"GCHeapHardLimit", re.I)
"""Names that are a ceiling themselves (an options variable such as JAVA_TOOL_OPTIONS may carry anything)."""
RELATIVE = re.compile(r"MaxRAMPercentage|MaxRAMFraction|HardLimitPercent", re.I)
"""Ceilings written as a share of the container's memory, comparable only with one another."""


@dataclass
class Thrash:
    """The ceiling write and the collection rate of its workload before and after."""

    target: Ref
    workload: Ref
    line: str
    before: float
    after: float
    rose: datetime
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _lowered_or_set(line: str) -> bool:
    """The diff line sets a ceiling (its new side holds one) or lowers it; a raise, or an options variable changed
    in what is not a ceiling (an agent flag), is no GC cause."""
    if " -> " not in line:
        return bool(CEILING_NAMES.search(line))  # a key set with its value withheld: only a ceiling's own name
    old, new = line.split(" -> ", 1)
    before = [(RELATIVE.search(k) is not None, v) for k, v in ceilings_in(old, 1.0) if v > 0]
    after = [(RELATIVE.search(k) is not None, v) for k, v in ceilings_in(new, 1.0) if v > 0]
    if not after:
        return False
    if not before or before[0][0] != after[0][0]:
        return True  # newly set, or a share of memory swapped for bytes (or back): no raise to tell without the limit
    return after[0][1] < before[0][1]


def candidates(facts: Facts) -> list[tuple[Ref, Ref, str, datetime, str]]:
    """(written object, workload, diff line, when, evidence) for each recent write naming a GC ceiling."""
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None or target.kind not in (*WORKLOADS, "ConfigMap"):
            continue
        lines = [str(d) for d in change.get("diff") or [] if KEYS.search(str(d)) and _lowered_or_set(str(d))]
        if not lines:
            continue
        workloads = [target] if target.kind in WORKLOADS else []
        workloads += [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None
                      and r.kind in WORKLOADS]
        out += [(target, w, lines[0], at, evidence) for w in workloads]
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, per candidate workload: its pods' collection rate over the window (the range tool finds the
    step, its time and the levels around it)."""
    end = parse_time(at)
    if end is None:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for _, workload, _, _, _ in candidates(facts)[:MAX_READS]:
        if str(workload) in store or not re.fullmatch(r"[a-z0-9.-]+", workload.name) \
                or not re.fullmatch(r"[a-z0-9-]+", workload.namespace):
            continue
        entry: dict[str, Any] = {"series": [], "evidence": []}
        store[str(workload)] = entry
        pods = workload.name.replace(".", "[.]")
        names = "|".join(GC_COUNTERS)
        query = (f'sum by (pod) (rate({{__name__=~"{names}",namespace="{workload.namespace}",'
                 f'pod=~"{pods}-.*"}}[5m]))')
        got = await range_steps(call, query, end - LEAD, at, f"survey-gc-thrash-{workload.name}")
        if got is not None:
            entry["series"] += got[0]
            entry["evidence"].append(got[1])


def found(facts: Facts) -> list[Thrash]:
    """Ceiling writes after which the workload's collection rate rose RISE-fold to MIN_RATE or more."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Thrash] = []
    for target, workload, line, written, evidence in candidates(facts):
        entry = store.get(str(workload)) or {}
        if any(t.target.same_object(target) for t in out):
            continue
        rises = []
        for s in entry.get("series") or []:
            rose = parse_time(s.get("at"))
            if rose is None or s["after"] < MIN_RATE or s["before"] * RISE > s["after"]:
                continue
            if written - timedelta(minutes=5) <= rose <= written + AFTER:
                rises.append((rose, s["before"], s["after"]))
        if not rises:
            continue
        rose, before, after = max(rises, key=lambda r: r[2])
        out.append(Thrash(target, workload, line, before, after, rose,
                          int((facts.at - written).total_seconds() // 60),
                          [e for e in (evidence, *(entry.get("evidence") or [])) if e]))
    return out


def finding(t: Thrash) -> dict[str, Any]:
    """The finding: the write, what the ceiling does to the collector, the measured rate; meaning first."""
    via = "" if t.target.same_object(t.workload) else f" (read by {t.workload})"
    message = (f"{t.target}{via} was written {minutes_text(t.minutes_before)} before the incident ({t.line[:160]}): "
               f"a heap ceiling / GC memory limit at or under the live heap makes the runtime garbage collect "
               f"nonstop; its pods' collections rose from {t.before:.2g}/s to {t.after:.2g}/s at "
               f"{t.rose.strftime('%H:%M')} and burn CPU (on their nodes, with no CPU limit). Raise or remove the "
               f"setting in {t.target.name}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": t.target.kind, "namespace": t.target.namespace, "name": t.target.name},
            "reason": "GarbageCollectionThrash", "message": message, "evidence": [t.line[:200]],
            "details": {"before": t.before, "after": t.after, "workload": str(t.workload)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, its finding, evidence ids, the workload it slows) for `agent.triage.behind`."""
    return [(t.target, finding(t), t.evidence, [] if t.workload.same_object(t.target) else [t.workload])
            for t in found(facts)]


__all__ = ["CHECK", "WEIGHT", "Thrash", "candidates", "finding", "found", "read", "suspects"]
