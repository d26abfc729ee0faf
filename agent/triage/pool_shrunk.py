"""A runtime's worker pool cut to a fraction of its size, and the latency that followed: work queues, nothing errors.

Many runtimes do their blocking or CPU-heavy work on a fixed pool whose size is a setting, not the CPU count:
Node's libuv thread pool (`UV_THREADPOOL_SIZE`, default 4) runs fs, `dns.lookup`, crypto, zlib and native
add-ons (sharp/libvips, bcrypt); Tomcat serves requests on `server.tomcat.threads.max` / `maxThreads` (default
200) workers; gunicorn on `--workers` x `--threads`, Puma on `RAILS_MAX_THREADS`, uvicorn on `--workers`; the
JVM's common ForkJoinPool (`java.util.concurrent.ForkJoinPool.common.parallelism`) runs parallel streams and
CompletableFuture's async stages; Go runs goroutines on `GOMAXPROCS` OS threads. A "match threads to CPUs" or
right-sizing edit that cuts such a count leaves the process healthy and idle-looking (event loop lag near zero,
CPU low) while every request waits its turn in the pool's queue: latency multiplies, errors come only as
timeouts. (Raising a count past the CPU limit is agent.triage.runtime_parallelism's class.)

So: a workload write within `LEAD` whose diff cuts one of these counts to half or less (or to 1 where the
runtime's default is larger), followed by the workload's request latency (p99 of its HTTP duration histogram)
rising `RISE` times or more within `AFTER` of the write. When the workload has no latency histogram at all, the
incident naming the workload stands in for it. A cut with latency flat, a latency rise before the write, or a
count raised are not named. `read` queries the latency; `found` is pure.

One owner per case: a cut whose holder agent.triage.concurrency_cap measured saturated at the new cap (busy slots
at the cap, a backlog, the software's own wording) is that module's finding, which quotes the saturation itself;
this one names the cuts that only the latency (or the incident's naming) confirms.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import concurrency_cap
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "change.pool_shrunk"
WEIGHT = 0.93
"""A cut whose effect the workload's own latency confirms from the write on: above the generic 'recent change'
line, level with the other measured-cause modules (runtime_parallelism)."""
READS = "pool_shrunk"
LEAD = timedelta(hours=24)
AFTER = timedelta(hours=2)
"""How long after the write latency may rise (pods roll one by one, load builds)."""
RISE = 3.0
"""How many times the p99 must grow: queueing behind a pool a fraction of its size multiplies latency."""
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
MAX_READS = 3
Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Pool:
    """One runtime pool-size setting: how it is spelt, its default, and what it sizes."""

    runtime: str
    key: re.Pattern[str]
    default: int
    """The runtime's own size when the setting is absent (0: depends on the node, unknown)."""
    means: str


POOLS: tuple[Pool, ...] = (
    Pool("libuv", re.compile(r"\bUV_THREADPOOL_SIZE"), 4,
         "libuv's thread pool, where Node runs fs, dns.lookup, crypto, zlib and native add-ons (sharp/libvips, "
         "bcrypt)"),
    Pool("Tomcat", re.compile(r"server\.tomcat\.threads\.max|SERVER_TOMCAT_THREADS_MAX|\bmaxThreads"), 200,
         "Tomcat's request worker threads (each request holds one until it answers)"),
    Pool("ForkJoinPool", re.compile(r"java\.util\.concurrent\.ForkJoinPool\.common\.parallelism"), 0,
         "the JVM's common ForkJoinPool, which runs parallel streams and CompletableFuture's async stages"),
    Pool("gunicorn", re.compile(r"(?<![\w-])--threads|\bGUNICORN_THREADS|(?<![\w-])--workers|(?<![\w-])-w(?=[\s=',])|"
                                r"\bGUNICORN_WORKERS|\bUVICORN_WORKERS|\bWEB_CONCURRENCY"), 0,
         "the server's worker processes/threads (gunicorn, uvicorn: one request per worker thread at a time)"),
    Pool("Puma", re.compile(r"\b(?:RAILS|PUMA)_MAX_THREADS"), 5,
         "Puma's request threads per worker (and the Rails connection pool sized from them)"),
    Pool("Go", re.compile(r"\bGOMAXPROCS"), 0,
         "the OS threads the Go scheduler runs goroutines on"),
    Pool("Netty", re.compile(r"io\.netty\.eventLoopThreads"), 0, "Netty's event loop threads"),
)

_VALUE = r"""['"]?(?:\s*[=:,]\s*|\s+)['"]?(?P<n>\d+)\b"""


def _count(text: str, pool: Pool) -> int | None:
    """The last count given to `pool` in `text` (`KEY=16`, `KEY='16'`, `'--threads', '8'`, `maxThreads: 200`)."""
    found = None
    for m in pool.key.finditer(text):
        if v := re.match(_VALUE, text[m.end():]):
            found = int(v["n"])
    return found


@dataclass(frozen=True)
class Cut:
    """A pool setting a diff line cut: old and new sizes."""

    pool: Pool
    old: int
    new: int
    line: str


def cut_in(line: str) -> Cut | None:
    """The pool a diff line (`old -> new`) cuts to half or less (or to 1 from an absent setting), or None."""
    if " -> " not in line:
        return None
    before, after = line.split(" -> ", 1)
    for pool in POOLS:
        new = _count(after, pool)
        if new is None or new <= 0:
            continue
        old = _count(before, pool)
        if old is None:
            unset = not pool.key.search(before) or re.search(r"\(unset\)|\bunset\b|<unset>", before)
            old = pool.default if unset else None  # (unset) -> N: the runtime's own default
        if old and new * 2 <= old:
            return Cut(pool, old, new, line)
    return None


@dataclass
class Shrunk:
    """A write that cut a workload's pool, and the latency rise that followed it."""

    target: Ref
    change: dict[str, Any]
    cut: Cut
    minutes_before: int
    before: float | None = None
    after: float | None = None
    rose_at: datetime | None = None
    evidence: list[str] = field(default_factory=list)


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, Cut, str]]:
    """(write, workload, cut, evidence id) of workload writes within LEAD that cut a pool's size."""
    out = []
    for change, evidence, target in facts.writes_to(WORKLOADS, within=LEAD):
        for line in [str(d) for d in change.get("diff") or []] or [str(change.get("summary") or "")]:
            if (cut := cut_in(line)) is not None:
                out.append((change, target, cut, evidence))
                break
    return out


LATENCY = r'__name__=~".*(?:request|server|response|http)[a-z_]*_duration_seconds_bucket"'


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, per cut workload: the p99 of its HTTP duration histogram over the window, by service, job,
    app or pod label (the range tool finds the step, its time and the levels around it)."""
    found = candidates(facts)
    end = parse_time(at)
    if not found or end is None:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    store["named"] = sorted({n for n in subject.names if n})
    for _, target, _, _ in found[:MAX_READS]:
        if str(target) in store or not re.fullmatch(r"[a-z0-9.-]+", target.name) \
                or not re.fullmatch(r"[a-z0-9-]+", target.namespace):
            continue
        entry: dict[str, Any] = {"series": [], "evidence": [], "answered": False}
        store[str(target)] = entry
        ns, name = target.namespace, target.name
        pods = name.replace(".", "[.]")
        parts = [f'sum by (le) (rate({{{LATENCY},namespace="{ns}",{label}}}[5m]))'
                 for label in (f'service="{name}"', f'job="{name}"', f'app="{name}"', f'pod=~"{pods}-.*"')]
        query = f"histogram_quantile(0.99, {' or '.join(parts)})"
        start = (end - LEAD).isoformat().replace("+00:00", "Z")
        series = await call("prom_query_range", {"query": query, "start": start, "end": at, "step": "120s",
                                                 "baseline": "none"}, f"survey-pool-latency-{name}")
        if series is None or not series.ok or not isinstance(series.data, dict):
            continue
        entry["evidence"].append(series.evidence_id)
        for s in series.data.get("series") or []:
            entry["answered"] = True
            change = s.get("change") if isinstance(s, dict) and isinstance(s.get("change"), dict) else None
            try:
                entry["series"].append({"at": str((change or {})["at"]), "before": float((change or {})["before"]),
                                        "after": float((change or {})["after"])})
            except (KeyError, TypeError, ValueError):
                continue


def found(facts: Facts) -> list[Shrunk]:
    """Cuts after which the workload's p99 rose RISE times within AFTER; with no latency series at all, cuts to the
    workload the incident names."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Shrunk] = []
    saturated = _saturated(facts)
    for change, target, cut, evidence in candidates(facts):
        written = parse_time(change.get("at"))
        entry = store.get(str(target))
        if written is None or entry is None or any(s.target == target for s in out) \
                or any(target.same_object(r) for r in saturated):
            continue
        minutes = int((facts.at - written).total_seconds() // 60)
        evidence_ids = [e for e in (evidence, *(entry.get("evidence") or [])) if e]
        if not entry.get("answered"):
            if target.name in (store.get("named") or []):
                out.append(Shrunk(target, change, cut, minutes, evidence=evidence_ids))
            continue
        rises = []
        for s in entry.get("series") or []:
            rose = parse_time(s.get("at"))
            if rose is None or s["before"] <= 0 or s["after"] < RISE * s["before"]:
                continue
            if written - timedelta(minutes=5) <= rose <= written + AFTER:
                rises.append((rose, s["before"], s["after"]))
        if rises:
            rose, before, after = max(rises, key=lambda r: r[2] / r[1])
            out.append(Shrunk(target, change, cut, minutes, before, after, rose, evidence_ids))
    return out


def _saturated(facts: Facts) -> list[Ref]:
    """The workloads whose cut cap concurrency_cap found saturated (the write and its holder): that module owns
    them, since its saturation evidence says more than a latency step."""
    return [r for c in concurrency_cap.found(facts) for r in (c.cut.target, c.holder)]


def _seconds(v: float) -> str:
    return f"{v:.1f} s" if v >= 1 else f"{v * 1000:.0f} ms"


def finding(s: Shrunk) -> dict[str, Any]:
    """What the cut means first (the pool, its concurrency, the queue), then the latency and the write."""
    revision = f" revision {s.change.get('revision')}" if s.change.get("revision") else ""
    rose = (f"; p99 latency rose from {_seconds(s.before)} to {_seconds(s.after)} at {s.rose_at:%H:%M} UTC"
            if s.before is not None and s.after is not None and s.rose_at is not None else
            "; the incident is this workload's")
    message = (f"{s.target}{revision} shrank its {s.cut.pool.runtime} thread pool from {s.cut.old} to {s.cut.new} "
               f"({s.cut.line[:120]}), {minutes_text(s.minutes_before)} before the incident: {s.cut.pool.means} now "
               f"runs at a concurrency of {s.cut.new}, so work queues behind {s.cut.new} thread(s) while the process "
               f"looks idle (low CPU, no event-loop lag, no errors){rose}. Restore the pool size or revert the write")
    return {"check": CHECK, "severity": "critical", "object": s.change.get("object"), "reason": "PoolShrunk",
            "message": message, "evidence": [s.cut.line[:200]],
            "details": {"runtime": s.cut.pool.runtime, "old": s.cut.old, "new": s.cut.new,
                        "p99_before": s.before, "p99_after": s.after}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the workload, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(s.target, finding(s), s.evidence, []) for s in found(facts)]
