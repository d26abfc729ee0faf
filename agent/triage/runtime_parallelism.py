"""A runtime's parallelism no longer sized to its container's CPU limit: the write that unsized it, and the CFS
throttling that followed.

A language runtime decides how many threads run code at once from the CPUs it sees, and inside a container the
CPUs it sees are the node's unless it is told the CPU limit: Go's scheduler runs `GOMAXPROCS` threads (default:
every node CPU; Go before 1.25 ignores the cgroup quota, hence `GOMAXPROCS` from `resourceFieldRef: limits.cpu`
or automaxprocs), the JVM sizes GC and ForkJoin threads from `-XX:ActiveProcessorCount` (or from the node when
`-XX:-UseContainerSupport` turns cgroup detection off), libuv from `UV_THREADPOOL_SIZE`. Unsize it (drop the
env, raise the count above the limit, switch container support off) and the process runs node-CPU threads
under a small CFS quota: it burns the quota early in every 100 ms period and sleeps for the rest, so the
container is throttled in most periods, tail latency jumps tenfold and CPU usage looks modest. Nothing errors.

So: a write to a workload within `LEAD` whose diff takes such a setting away or raises it (the rollout's env,
args or a JVM options variable), followed, on the workload's pods, by the share of CFS periods throttled
(cAdvisor's `container_cpu_cfs_throttled_periods_total` over `container_cpu_cfs_periods_total`) rising to
`THROTTLED` or more within `AFTER`, from under half that before. The finding says what the write means for the
runtime (threads per node CPU under the CPU limit, quota spent early in each period) and the throttled share.
A setting written while throttling was already high, a rise that came long after the write, a write that LOWERS
the count (sizing it down to the limit) or a workload never throttled are not named. `read` queries the series
and the workload (for its CPU limit); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.prom_reads import range_steps
from agent.triage.subject import Subject

CHECK = "change.runtime_parallelism"
WEIGHT = 0.93
"""A write whose meaning the workload's own throttling confirms, from the write on: above a bare rollout (the
generic 'recent change' line) and level with the other measured-cause modules."""
READS = "runtime_parallelism"
LEAD = timedelta(hours=24)
"""How long before the incident the write may be (the quota bites at the next busy hour)."""
AFTER = timedelta(hours=2)
"""How long after the write the throttling may rise (pods roll one by one, load builds)."""
THROTTLED = 0.25
"""The share of CFS periods throttled that makes a pinned container (a healthy one is throttled in a few %)."""
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
MAX_READS = 3
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Setting:
    """One runtime's parallelism setting: how a diff line shows it unsized, and what that means."""

    runtime: str
    pattern: re.Pattern[str]
    """Matches a diff line that unsizes it (group `old` / `new` when the line has them)."""
    means: str


_NUM = r"(?P<old>[^\s;]+)\s*->\s*(?P<new>[^\s;]+)"
SETTINGS: tuple[Setting, ...] = (
    Setting("Go", re.compile(r"\benv GOMAXPROCS=" + _NUM),
            "the Go runtime now runs one thread per node CPU (GOMAXPROCS no longer follows the CPU limit)"),
    Setting("JVM", re.compile(r"-XX:ActiveProcessorCount=(?P<old>\d+)?[^>]*->.*-XX:ActiveProcessorCount=(?P<new>\d+)"),
            "the JVM now sizes its GC and worker threads for more CPUs than the CPU limit gives it "
            "(-XX:ActiveProcessorCount raised)"),
    Setting("JVM", re.compile(r"->.*-XX:-UseContainerSupport"),
            "the JVM no longer reads the cgroup CPU limit (-XX:-UseContainerSupport) and sizes its GC and worker "
            "threads for every node CPU"),
    Setting("libuv", re.compile(r"\benv UV_THREADPOOL_SIZE=" + _NUM),
            "libuv now runs more pool threads (UV_THREADPOOL_SIZE raised) than the CPU limit gives it"),
    # .NET sizes its thread pool and server GC heaps from DOTNET_PROCESSOR_COUNT when set
    Setting(".NET", re.compile(r"\benv (?:DOTNET|COMPlus)_PROCESSOR_COUNT=" + _NUM),
            "the .NET runtime now sizes its thread pool and GC heaps for more CPUs than the CPU limit gives it "
            "(DOTNET_PROCESSOR_COUNT raised or taken away)"),
    # tokio's multi-thread runtime reads TOKIO_WORKER_THREADS (default: every CPU the process sees)
    Setting("tokio", re.compile(r"\benv TOKIO_WORKER_THREADS=" + _NUM),
            "the tokio runtime now runs more worker threads (TOKIO_WORKER_THREADS) than the CPU limit gives it"),
    # OpenMP / BLAS libraries (numpy, PyTorch, scikit-learn) start one thread per node CPU when unset
    Setting("OpenMP/BLAS", re.compile(r"\benv (?:OMP|MKL|OPENBLAS)_NUM_THREADS=" + _NUM),
            "the OpenMP/BLAS libraries now start a thread per node CPU (OMP/MKL/OPENBLAS_NUM_THREADS no longer "
            "follows the CPU limit)"),
)


UNSET = ("unset", "<unset>", "none", "removed", "''", '""')
"""How the timeline writes an env var or flag that is not there."""


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def unsizing(line: str) -> Setting | None:
    """The setting a diff line unsizes (taken away, or raised), or None (lowered, unchanged, not one)."""
    for setting in SETTINGS:
        m = setting.pattern.search(line)
        if m is None:
            continue
        groups = m.groupdict()
        old, new = groups.get("old"), groups.get("new")
        if new is None:  # a flag on the new side only: it was added by this write
            flags = re.findall(r"-XX:[-+]?\w+", m.group(0))
            return None if flags and flags[-1] in line.split("->", 1)[0] else setting
        if new.lower() in UNSET:
            return setting
        if (old or "").lower() in UNSET:
            continue  # set where the runtime guessed: a count sized down to the limit, not away from it
        o, n = _number(old), _number(new)
        if n is not None and (o is None or n > o):
            return setting  # set where it was derived (resourceFieldRef, unset), or raised
    return None


@dataclass
class Unsized:
    """A write that unsized a runtime's parallelism, and the throttling that followed it."""

    target: Ref
    change: dict[str, Any]
    setting: Setting
    line: str
    before: float
    after: float
    rose_at: datetime
    minutes_before: int
    limit: str = ""
    evidence: list[str] = field(default_factory=list)


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, Setting, str, str]]:
    """(write, workload, setting, diff line, evidence id) of writes within LEAD that unsize a runtime setting."""
    out = []
    for change, evidence, target in facts.writes_to(WORKLOADS, within=LEAD):
        for line in [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]:
            setting = unsizing(line)
            if setting is not None:
                out.append((change, target, setting, line, evidence))
                break
    return out


def _limit(workload: dict[str, Any]) -> str:
    pod = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in pod.get("containers") or []:
        cpu = ((container.get("resources") or {}).get("limits") or {}).get("cpu") if isinstance(container, dict) \
            else None
        if cpu is not None:
            return str(cpu)
    return ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, per unsized workload: its CPU limit and its pods' throttled share of CFS periods over the
    window (the range tool finds the step, its time and the levels around it)."""
    found = candidates(facts)
    end = parse_time(at)
    if not found or end is None:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for _, target, _, _, _ in found[:MAX_READS]:
        if str(target) in store or not re.fullmatch(r"[a-z0-9.-]+", target.name) \
                or not re.fullmatch(r"[a-z0-9-]+", target.namespace):
            continue
        entry: dict[str, Any] = {"series": [], "evidence": []}
        store[str(target)] = entry
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-runtime-par-{target.name}")
        if got is not None:
            entry["limit"] = _limit(got[0])
            entry["evidence"].append(got[1])
        pods = target.name.replace(".", "[.]")
        sel = f'namespace="{target.namespace}",pod=~"{pods}-.*",container!="",container!="POD"'
        query = (f"sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{{{sel}}}[5m])) / "
                 f"sum by (pod) (rate(container_cpu_cfs_periods_total{{{sel}}}[5m]))")
        got_steps = await range_steps(call, query, end - LEAD, at, f"survey-runtime-par-throttled-{target.name}")
        if got_steps is not None:
            entry["series"] += got_steps[0]
            entry["evidence"].append(got_steps[1])


def found(facts: Facts) -> list[Unsized]:
    """Unsizing writes after which the workload's throttled share rose to THROTTLED from under half of it."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Unsized] = []
    for change, target, setting, line, evidence in candidates(facts):
        written = parse_time(change.get("at"))
        entry = store.get(str(target)) or {}
        if written is None or any(u.target == target for u in out):
            continue
        rises = []
        for s in entry.get("series") or []:
            rose = parse_time(s.get("at"))
            if rose is None or s["after"] < THROTTLED or s["before"] >= s["after"] / 2:
                continue
            if written - timedelta(minutes=5) <= rose <= written + AFTER:
                rises.append((rose, s["before"], s["after"]))
        if not rises:
            continue
        rose, before, after = max(rises, key=lambda r: r[2])
        out.append(Unsized(target, change, setting, line, before, after, rose,
                           int((facts.at - written).total_seconds() // 60), str(entry.get("limit") or ""),
                           [e for e in (evidence, *(entry.get("evidence") or [])) if e]))
    return out


def finding(u: Unsized) -> dict[str, Any]:
    """What the write means for the runtime first, then the throttling it caused and the write itself."""
    limit = f"a CPU limit of {u.limit} core(s)" if u.limit else "its CPU limit"
    revision = f" revision {u.change.get('revision')}" if u.change.get("revision") else ""
    message = (f"{u.target}{revision} unsized its {u.setting.runtime} runtime's parallelism "
               f"({u.line[:120]}), {minutes_text(u.minutes_before)} before the incident: {u.setting.means} under "
               f"{limit}, so it spends its CFS quota early in each period and is throttled in "
               f"{100 * u.after:.0f}% of CFS periods (was {100 * u.before:.0f}%); latency rises while CPU use looks "
               f"modest. Size it to the CPU limit again (GOMAXPROCS from limits.cpu or automaxprocs, "
               f"-XX:ActiveProcessorCount, container support on) or revert the write")
    return {"check": CHECK, "severity": "critical", "object": u.change.get("object"), "reason": "RuntimeUnsized",
            "message": message, "evidence": [u.line[:200]],
            "details": {"runtime": u.setting.runtime, "throttled_before": round(u.before, 3),
                        "throttled_after": round(u.after, 3), "cpu_limit": u.limit,
                        "rose_at": u.rose_at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the workload, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(u.target, finding(u), u.evidence, []) for u in found(facts)]
