"""A Job or CronJob written to flush a cache tier, and the cache hit ratio falling at each of its runs.

A cache in front of an origin (a CDN before a web tier, Redis or memcached before a database, Varnish before an
API) hides most of the origin's load. A job that empties it (a CloudFront invalidation of `/*`, Cloud CDN's
`invalidate-cdn-cache`, an Azure CDN / Front Door purge, Fastly `purge_all`, Cloudflare `purge_everything`,
`redis-cli FLUSHALL`, memcached `flush_all`, a Varnish `ban`, an HTTP PURGE/BAN) sends every request of the next
minutes to the origin, whose latency and errors then rise: the origin is the symptom, the flush is the cause,
and made on a schedule (a CronJob edited to run every few minutes, or to invalidate everything instead of one
path) the surge repeats at each run. The write alone is no cause; this module confirms it with the cache's own
hit ratio: its level in the hour before the write, and its lowest value in the minutes after each run against
the minutes just before it. Named when the ratio falls to `DROP` of its level right after the runs and not in
the minutes before them. Reading only.

A daily maintenance job edited in the evening first runs the next morning: its write is older than the survey's
6 h timeline. When the timeline shows no flushing job, the CronJobs of the failing workloads' namespaces are read;
one whose command flushes a cache has its write looked up in the shared 48 h timeline (`managed_writes.reach`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import managed_writes
from agent.triage.cron_overlap import period_minutes
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names, rows_of

CHECK = "change.cache_flush"
WEIGHT = 0.92
"""A write whose runs the cache's own hit ratio answers, run by run: stronger than the origin's symptom."""
LEAD = timedelta(hours=26)
"""A daily job's first run after its write comes up to a day later, and the incident follows that run."""
READS = "cache_flush"
MAX_JOBS = 2
MAX_RUNS = 4
MAX_LISTED = 4
"""CronJobs read per namespace when the timeline shows no flushing job."""
DROP = 0.6
"""The hit ratio right after a run at most this share of its level before the write: the cache was emptied."""
STEP = 0.8
"""...and below this share of the minutes just before the run: the fall belongs to the run, not a standing low."""
AFTER = timedelta(minutes=5)
BEFORE = timedelta(minutes=5)


@dataclass(frozen=True)
class Tier:
    """One way of flushing a cache: how the command reads, what it is called, and its scope's flag."""

    pattern: re.Pattern[str]
    what: str
    tier: str
    scope: str = ""
    """A regex whose group 1 is the paths/keys the flush covers (`--paths /*`)."""


TIERS = (
    Tier(re.compile(r"\bcloudfront\s+create-invalidation\b", re.I), "CloudFront invalidation", "CDN",
         r"--paths(?:=|\s+)(\S+(?:\s+(?!-)\S+)*)"),
    Tier(re.compile(r"\binvalidate-cdn-cache\b", re.I), "Cloud CDN cache invalidation", "CDN", r"--path(?:=|\s+)(\S+)"),
    Tier(re.compile(r"\baz\s+(?:cdn|afd)\s+endpoint\s+purge\b", re.I), "Azure CDN purge", "CDN",
         r"--content-paths(?:=|\s+)(\S+)"),
    Tier(re.compile(r"fastly\S*/purge_all|\bfastly\b.*\bpurge\b", re.I), "Fastly purge", "CDN"),
    Tier(re.compile(r"\bpurge_cache\b|\bpurge_everything\b", re.I), "Cloudflare cache purge", "CDN"),
    Tier(re.compile(r"\bakamai\s+purge\b", re.I), "Akamai purge", "CDN"),
    Tier(re.compile(r"\bredis-cli\b.*\bflush(?:all|db)\b|\bflush(?:all|db)\b.*\bredis\b", re.I), "Redis FLUSHALL",
         "Redis"),
    Tier(re.compile(r"\b(?:valkey|keydb)-cli\b.*\bflush(?:all|db)\b", re.I), "Valkey/KeyDB FLUSHALL", "Redis"),
    # Redis-compatible stores: redis_exporter publishes their keyspace hits/misses under the same names
    Tier(re.compile(r"\bflush_all\b|\bmemcflush\b", re.I), "memcached flush_all", "memcached"),
    # libmemcached's memcflush sends flush_all to every server it is given
    Tier(re.compile(r"\bartisan\s+cache:clear\b|\bcache:pool:clear\b|\bRails\.cache\.clear\b|"
                    r"\bcache\.clear\(\)|\bclear_cache\b", re.I), "framework cache clear", "app cache"),
    # Laravel `php artisan cache:clear`, Symfony `bin/console cache:pool:clear`, Rails `Rails.cache.clear`, Django
    # `cache.clear()` / django-clear-cache's `manage.py clear_cache`: the whole store the app caches in (its Redis
    # or memcached) is emptied, not its compiled config or views (`config:cache`, `view:clear` are no flush)
    Tier(re.compile(r"\bvarnishadm\b.*\bban\b", re.I), "Varnish ban", "Varnish"),
    Tier(re.compile(r"-X\s*(?:PURGE|BAN)\b|--request\s+(?:PURGE|BAN)\b"), "HTTP PURGE/BAN", "HTTP cache"),
)
_WHOLE = re.compile(r"^['\"]?/?\*['\"]?$|purge_everything|flushall|flush_all|purge_all|memcflush|cache:clear|"
                    r"cache\.clear\(\)|clear_cache", re.I)

RATIOS = (
    ("cache hit rate", 'max by (distribution_id, DistributionId, cache, instance, service) ({__name__=~'
                 '"(?i).*cache_?hit_?(rate|ratio|percent|pct).*"})', ("CDN", "Varnish", "HTTP cache", "memcached",
                                                                       "Redis", "app cache")),
    ("Redis hit ratio", "sum by (instance) (rate(redis_keyspace_hits_total[2m])) / (sum by (instance) "
                        "(rate(redis_keyspace_hits_total[2m])) + sum by (instance) "
                        "(rate(redis_keyspace_misses_total[2m])))", ("Redis", "app cache")),
    ("Varnish hit ratio", "sum by (instance) (rate(varnish_main_cache_hit[2m])) / (sum by (instance) "
                          "(rate(varnish_main_cache_hit[2m])) + sum by (instance) (rate(varnish_main_cache_miss[2m])))",
     ("Varnish", "HTTP cache")),
    ("memcached hit ratio", 'sum by (instance) (rate(memcached_commands_total{command="get",status="hit"}[2m])) / '
                            'sum by (instance) (rate(memcached_commands_total{command="get"}[2m]))',
     ("memcached", "app cache")),
    ("HAProxy cache hit ratio", "sum by (instance) (rate(haproxy_frontend_http_cache_hits_total[2m])) / sum by "
                                "(instance) (rate(haproxy_frontend_http_cache_lookups_total[2m]))", ("HTTP cache",)),
    ("Squid hit ratio", "sum by (instance) (rate(squid_client_http_hits_total[2m])) / sum by (instance) "
                        "(rate(squid_client_http_requests_total[2m]))", ("HTTP cache",)),
)
"""Each cache's hit ratio as its exporter publishes it (CloudWatch's CacheHitRate through cloudwatch-exporter or
YACE, an exporter's *_cache_hit_ratio), or computed from its hit and miss counters, with the tiers it measures."""
Call = Callable[..., Awaitable[Any]]


@dataclass
class Flush:
    """What a job's command does to a cache: the flush, its tier and the scope it covers (never the command line
    itself, which may carry a key or a password)."""

    what: str
    tier: str
    scope: str
    whole: bool


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    pod = (spec.get("template") or {}).get("spec") or {}
    return [c for c in (pod.get("containers") or []) + (pod.get("initContainers") or []) if isinstance(c, dict)]


def flush_of(obj: dict[str, Any]) -> Flush | None:
    """The cache flush a Job's or CronJob's containers run (command, args, env values), None when none does."""
    for c in _containers(obj):
        words = [str(w) for w in (c.get("command") or []) + (c.get("args") or [])]
        words += [str(e.get("value")) for e in c.get("env") or [] if isinstance(e, dict) and e.get("value")]
        text = " ".join(words)
        for tier in TIERS:
            if tier.pattern.search(text):
                scope = ""
                if tier.scope:
                    m = re.search(tier.scope, text)
                    scope = m.group(1).strip() if m else ""
                whole = bool(_WHOLE.search(scope) or (_WHOLE.search(text) and not tier.scope))
                return Flush(tier.what, tier.tier, scope, whole)
    return None


@dataclass
class Flushed:
    """A flush job written before the incident whose runs the cache's hit ratio falls at."""

    job: Ref
    change: dict[str, Any]
    flush: Flush
    schedule: str
    ratio: str
    proof: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    """The runs (HH:MM UTC) the ratio fell at."""


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Writes to a CronJob or Job in the `LEAD` before the incident (the first listed per object), from the survey's
    timeline and then any longer history read: a daily job's write is often older than the timeline."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change, _, target in facts.writes_to(("CronJob", "Job"), within=LEAD, deletions=False):
        if not any(t.same_object(target) for _, t in out):
            out.append((change, target))
    return out


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _key(labels: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__")


def in_step(level: float, runs: list[tuple[float, float]]) -> bool:
    """True when the ratio fell to `DROP` of its level right after most runs (each (after, before) pair) and
    below `STEP` of the minutes before each such run: the fall comes with the runs."""
    if level <= 0 or not runs:
        return False
    hits = sum(1 for after, before in runs if after <= DROP * level and after <= STEP * before)
    return hits >= max(1, (len(runs) + 1) // 2)


def found(facts: Facts) -> list[Flushed]:
    """Each flush job whose runs the cache's hit ratio falls at, from what `read` stored."""
    out: list[Flushed] = []
    store = facts.reads.get(READS) or {}
    for change, job in candidates(facts):
        got = store.get(str(job))
        if not got or not got.get("flush"):
            continue
        for name, series in (got.get("ratios") or {}).items():
            best = None
            for key, s in series.items():
                runs = [(a, b) for a, b in s.get("runs") or []]
                if in_step(float(s.get("level") or 0), runs):
                    low = min(a for a, _ in runs)
                    if best is None or low < best[1]:
                        best = (key, low, s)
            if best is None:
                continue
            key, low, s = best
            level = float(s["level"])
            pct = 100 if level > 1.5 else 1  # a percentage or a fraction, as the exporter wrote it
            ratio = (f"the {name}{f' ({key})' if key else ''} drops from {level * 100 / pct:.0f}% to "
                     f"{low * 100 / pct:.0f}% right after {'its runs' if len(s['runs']) > 1 else 'the run'}")
            at = parse_time(change.get("at"))
            out.append(Flushed(job, change, Flush(**got["flush"]), str(got.get("schedule") or ""), ratio,
                               str(got.get("proof") or ""), int((facts.at - at).total_seconds() // 60) if at else 0,
                               [e for e in [facts.changes_id or "", *got.get("evidence", [])] if e],
                               [str(r)[11:16] for r in got.get("runs") or []]))
            break
    return out


def finding(f: Flushed) -> dict[str, Any]:
    """The job, what its command does to the cache and how often, the hit ratio at its runs, and the fix."""
    scope = f"of {f.flush.scope} " if f.flush.scope else ""
    whole = "the whole cache" if f.flush.whole else "cached objects"
    period = period_minutes(f.schedule) if f.schedule else None
    often = (f"every {period} min (schedule {f.schedule})" if period and period < 1440 else
             f"on schedule {f.schedule}" if f.schedule else "once")
    ran = f" (ran at {', '.join(f.runs)} UTC)" if f.runs else ""
    message = (f"{f.job} runs a {f.flush.what} {scope}{often}{ran}, written {minutes_text(f.minutes_before)} before "
               f"the incident: each run empties {whole} of the {f.flush.tier} tier and {f.ratio}, so a herd of "
               "misses goes to the origin at once, whose latency and errors rise in step with the runs. "
               + ("Restore the job's old command or schedule and narrow its paths/keys (the origin is the victim)"
                  if f.schedule else "Do not rerun it over the whole cache; warm the cache (the origin is the victim)"))
    return {"check": CHECK, "severity": "critical", "object": f.change.get("object"), "reason": "CacheFlushed",
            "message": message, "evidence": [f.ratio[:200], f"{f.flush.what} {f.flush.scope}".strip()[:200]],
            "details": {"flush": f.flush.what, "tier": f.flush.tier, "scope": f.flush.scope,
                        "schedule": f.schedule, "change_at": f.change.get("at")}}


async def _runs(call: Call, job: Ref, obj: dict[str, Any], since: datetime, at: datetime) -> tuple[list[datetime], str]:
    """When the job ran after the write: a CronJob's Jobs (named `<cronjob>-<n>`) by creation, or the Job itself."""
    if job.kind == "Job":
        start = parse_time((obj.get("status") or {}).get("startTime")) or parse_time(
            (obj.get("metadata") or {}).get("creationTimestamp"))
        return ([start] if start and since <= start <= at else []), ""
    listed = await call("k8s_list", {"kind": "Job", "namespace": job.namespace}, f"survey-cache-flush-runs-{job.name}")
    mine = re.compile(re.escape(job.name) + r"-\d+$")
    runs = sorted(t for r in rows_of(listed) if mine.match(str(r.get("name") or ""))
                  for t in [parse_time(r.get("created"))] if t and since <= t <= at - AFTER)
    return runs[-MAX_RUNS:], listed.evidence_id if listed is not None else ""


async def _series(call: Call, query: str, at: datetime, step: str) -> tuple[dict[str, float], str]:
    outcome = await call("prom_query", {"query": query, "time": _iso(at)}, step)
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return {}, ""
    return ({_key(s.get("labels") or {}): float(s["value"]) for s in outcome.data.get("samples") or []
             if isinstance(s, dict) and isinstance(s.get("value"), (int, float))}, outcome.evidence_id)


def _namespaces(facts: Facts) -> list[str]:
    """The namespaces of the failing workloads (logs with an error, the incident's subjects): where a maintenance
    job that flushes their cache usually lives."""
    out = [log.namespace for log in facts.logs if log.top and log.namespace]
    out += [str((data.get("subject") or {}).get("namespace") or "") for data, _ in facts.topologies]
    return [n for n in dict.fromkeys(out) if n][:2]


async def _untimed_flusher(facts: Facts, call: Call, known: set[str]) -> bool:
    """Whether a CronJob of the failing workloads' namespaces that the timeline does not show written flushes a
    cache: then its write is worth looking up in a longer timeline."""
    for namespace in _namespaces(facts):
        names = await list_names(call, "CronJob", namespace, f"survey-cache-flush-cronjobs-{namespace}")
        for name in sorted(names[0] if names else set())[:MAX_LISTED]:
            if str(Ref("CronJob", namespace, name)) in known:
                continue
            got = await get_yaml(call, "CronJob", name, namespace, f"survey-cache-flush-{name}")
            if got is not None and flush_of(got[0]) is not None:
                return True
    return False


async def read(facts: Facts, call: Call) -> None:
    """Reading only: each recent Job/CronJob; when its command flushes a cache, its runs since the write and the
    cache's hit ratio in the hour before the write, and just after and just before each run. When none of the
    timeline's jobs flushes, a flushing CronJob of the failing namespaces sends the read to the 48 h timeline."""
    store = facts.reads.setdefault(READS, {})
    done: set[str] = set()
    await _read_jobs(facts, call, store, done)
    if store or not await _untimed_flusher(facts, call, done):
        return
    await managed_writes.reach(facts, call, _iso(facts.at), "survey-shared-history")
    await _read_jobs(facts, call, store, done)


async def _read_jobs(facts: Facts, call: Call, store: dict[str, Any], done: set[str]) -> None:
    """The candidates not read yet (`done` records each read): flush, schedule, runs and hit ratios."""
    for change, job in candidates(facts):
        if len(store) >= MAX_JOBS:
            break
        if str(job) in done:
            continue
        done.add(str(job))
        got = await get_yaml(call, job.kind, job.name, job.namespace, f"survey-cache-flush-{job.name}")
        flush = flush_of(got[0]) if got else None
        written = parse_time(change.get("at"))
        if got is None or flush is None or written is None:
            continue
        entry: dict[str, Any] = {"flush": flush.__dict__, "evidence": [got[1]], "ratios": {},
                                 "schedule": str((got[0].get("spec") or {}).get("schedule") or "")}
        store[str(job)] = entry
        runs, seen = await _runs(call, job, got[0], written, facts.at)
        if seen:
            entry["evidence"].append(seen)
        if not runs:
            continue
        entry["runs"] = [_iso(r) for r in runs]
        for name, query, tiers in RATIOS:
            if flush.tier not in tiers:
                continue
            series: dict[str, dict[str, Any]] = {}
            for run in runs:
                after, seen = await _series(call, f"min_over_time(({query})[{int(AFTER.total_seconds())}s:1m])",
                                            run + AFTER, f"survey-cache-flush-after-{job.name}")
                before, _ = await _series(call, f"min_over_time(({query})[{int(BEFORE.total_seconds())}s:1m])",
                                          run - timedelta(minutes=1), f"survey-cache-flush-before-{job.name}")
                for k in set(after) & set(before):
                    series.setdefault(k, {"runs": []})["runs"].append((after[k], before[k]))
                if seen and seen not in entry["evidence"]:
                    entry["evidence"].append(seen)
            if not series:
                continue
            level, seen = await _series(call, f"avg_over_time(({query})[1h:1m])", written,
                                        f"survey-cache-flush-level-{job.name}")
            for k, s in series.items():
                # the hour before the write when the metrics reach back that far, else the cache's level
                # between runs (its best minutes before one)
                s["level"] = level.get(k) or max(b for _, b in s["runs"])
            entry["ratios"][name] = series
