"""A cache tier's rules rewritten, and its hit rate standing low from the write on: the origin takes every request.

A cache in front of an origin (Varnish, nginx `proxy_cache`, Apache Traffic Server, an app's Redis or memcached
read-through cache) hides most of the origin's load only while its rules let it store and serve responses: a VCL
that strips the session cookie (Varnish's built-in `vcl_recv` passes every request that carries one), a TTL above
zero, no `pass`/bypass rule for the hot paths, `Cache-Control` the cache honours. A write of those rules (a VCL or
nginx config in a ConfigMap, a `CACHE_TTL` env of the app) that drops one sends every request to the origin, whose
pools saturate (php-fpm `max_children`, a connection pool, CPU): the origin is the symptom, the rules are the cause.
Unlike a flush (`agent.triage.cache_flush`), the hit rate does not recover between runs: it stays low from the write.

The write alone is no cause; this module confirms it with the cache's own hit rate: its mean in the hour before
the write against its mean in the minutes before the incident, and (where the cache counts them) its passes per
second at both times. Named when the rate falls to `DROP` of a working level (at least `MIN_LEVEL`); a rate already
low before the write, or one that holds, names nothing. Reading only: `read` gets the written ConfigMap (its data
says whether it holds cache rules) and the ratios; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.cache_flush import RATIOS
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject
from agent.triage.write_author import written_by

CHECK = "change.cache_rules"
WEIGHT = 0.9
"""A rules write confirmed by the cache's own hit rate falling from it on: stronger than the origin's saturation."""
READS = "cache_config"
LEAD = timedelta(hours=6)
SETTLE = timedelta(minutes=10)
"""The hit rate's mean over these minutes before the incident is what the rules now give."""
DROP = 0.5
"""The rate now at most this share of its level before the write."""
MIN_LEVEL = 0.3
"""A cache that answered at least this share before the write (30% as a percentage gauge)."""
MAX_WRITES = 3
_B, _E = r"(?<![a-z0-9])", r"(?![a-z0-9])"
SETTINGS = re.compile(rf"{_B}cache[-_.]?(?:ttl|control|key|policy|bypass|rules?|enabled?){_E}|{_B}s-maxage{_E}|"
                      rf"{_B}max-age{_E}|{_B}ttl(?:[-_.]?(?:seconds|secs|ms))?{_E}", re.I)
"""Cache settings a workload's env or flags carry (an app's `CACHE_TTL_SECONDS`, `CACHE_ENABLED`)."""
RULES = re.compile(rf"{SETTINGS.pattern}|{_B}vcl{_E}|{_B}vcl_(?:recv|hash|backend_response|deliver){_E}|"
                   rf"{_B}beresp\.(?:ttl|uncacheable){_E}|{_B}(?:proxy|fastcgi|uwsgi|scgi)_cache(?:_[a-z]+)?{_E}|"
                   rf"{_B}cache-(?:use|store){_E}|{_B}refresh_pattern{_E}|"
                   rf"{_B}Cache(?:Enable|Disable|IgnoreCacheControl|IgnoreNoLastMod|DefaultExpire|MaxExpire){_E}|"
                   rf"envoy\.filters\.http\.cache{_E}|{_B}proxy\.config\.http\.cache\.[a-z_.]+", re.I)
"""...and the words of cache rules in a config's key names or text: Varnish VCL, nginx `proxy_cache*`, HAProxy
`http-request cache-use`/`http-response cache-store`, Squid `refresh_pattern`, Apache mod_cache `CacheEnable`...,
Envoy's HTTP cache filter, Apache Traffic Server `proxy.config.http.cache.*`."""
VARNISH = ("Varnish hit rate (hits / all lookups and passes)",
           "sum(rate(varnish_main_cache_hit[5m])) / (sum(rate(varnish_main_cache_hit[5m])) + "
           "sum(rate(varnish_main_cache_miss[5m])) + (sum(rate(varnish_main_s_pass[5m])) or vector(0)))")
"""Varnish counts a passed request in neither hits nor misses: the hit rate over all requests counts passes too."""
PASSES = ("passes", "sum(rate({__name__=~\"varnish_main_s_pass|.*cache.*_(?:pass|bypass)(?:es)?_total\"}[5m]))")
Call = Callable[..., Awaitable[Any]]


@dataclass
class Rewritten:
    """A cache-rules write and the hit rate that fell from it on."""

    target: Ref
    change: dict[str, Any]
    keys: list[str]
    ratio: str
    level: float
    now: float
    passes: tuple[float, float] | None
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def written_keys(change: dict[str, Any]) -> list[str]:
    """The data keys a ConfigMap write names (`data key default.vcl set by ...`), or the diff lines of a workload."""
    keys = []
    for line in change.get("diff") or []:
        m = re.match(r"data key (\S+)", str(line))
        keys.append(m[1] if m else str(line))
    return keys


def holds_rules(change: dict[str, Any], obj: dict[str, Any] | None) -> list[str]:
    """The written keys (or diff lines) that hold cache rules: by their name, or by the ConfigMap's text of them."""
    if Ref.of(change.get("object")) is not None and str((change.get("object") or {}).get("kind")) != "ConfigMap":
        return [line for line in written_keys(change) if SETTINGS.search(line)]
    data = (obj or {}).get("data") or {}
    out = []
    for key in written_keys(change):
        if RULES.search(key) or RULES.search(str(data.get(key) or "")):
            out.append(key)
    return out


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Recent writes to a ConfigMap, or a workload rollout whose diff names a cache setting."""
    out: list[tuple[dict[str, Any], Ref]] = []
    for change, target in facts.recent_writes(("ConfigMap", "Deployment", "StatefulSet", "DaemonSet"), LEAD):
        if target.kind == "ConfigMap" or any(SETTINGS.search(str(line)) for line in change.get("diff") or []):
            out.append((change, target))
    return out[:MAX_WRITES]


def _fraction(value: float) -> float:
    return value / 100 if value > 1.5 else value  # a percentage or a fraction, as the exporter wrote it


def found(facts: Facts) -> list[Rewritten]:
    """Each cache-rules write after which the cache's hit rate stood at `DROP` of a working level or less."""
    out: list[Rewritten] = []
    store = facts.reads.get(READS) or {}
    for change, target in candidates(facts):
        got = store.get(str(target))
        if not got or not got.get("keys"):
            continue
        for name, series in (got.get("ratios") or {}).items():
            hit = next(((level, now) for level, now in series.values()
                        if _fraction(level) >= MIN_LEVEL and _fraction(now) <= DROP * _fraction(level)), None)
            if hit is None:
                continue
            at = parse_time(change.get("at"))
            passes = got.get("passes")
            out.append(Rewritten(target, change, list(got["keys"]), name, _fraction(hit[0]), _fraction(hit[1]),
                                 (float(passes[0]), float(passes[1])) if passes else None,
                                 int((facts.at - at).total_seconds() // 60) if at else 0,
                                 [e for e in [facts.changes_id or "", *got.get("evidence", [])] if e]))
            break
    return out


def finding(r: Rewritten) -> dict[str, Any]:
    """The write, the keys holding cache rules, the hit rate before and now, and the passes."""
    who = written_by(r.change)
    by = f" by {who}" if who else ""
    passes = ""
    if r.passes and r.passes[1] > max(2 * r.passes[0], 0.5):
        passes = f"; passes to the origin rose from {r.passes[0]:.3g}/s to {r.passes[1]:.3g}/s"
    message = (f"{r.target} rewrote cache rules ({', '.join(r.keys[:3])}){by} {minutes_text(r.minutes_before)} "
               f"before the incident, and the cache's hit rate fell from {100 * r.level:.0f}% before the write to "
               f"{100 * r.now:.0f}% ({r.ratio}){passes}: requests the cache used to answer now pass to the origin, "
               "which saturates (its pool limits and timeouts are the symptom). Restore the previous rules (what "
               "they stripped, hashed or kept cacheable) rather than growing the origin")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "CacheRulesRewritten",
            "message": message, "evidence": [f"hit rate {100 * r.level:.0f}% -> {100 * r.now:.0f}%",
                                             str(r.change.get("summary") or "")[:200]],
            "details": {"keys": r.keys, "level": r.level, "now": r.now, "change_at": r.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The rules write; what it explains (the origin) is the cache's backend, not named here."""
    return [(r.target, finding(r), r.evidence, []) for r in found(facts)]


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def _values(call: Call, query: str, at: datetime, step: str, evidence: list[str]) -> dict[str, float]:
    outcome = await call("prom_query", {"query": query, "time": _iso(at)}, step)
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return {}
    got = {",".join(f"{k}={v}" for k, v in sorted((s.get("labels") or {}).items()) if k != "__name__"):
           float(s["value"]) for s in outcome.data.get("samples") or []
           if isinstance(s, dict) and isinstance(s.get("value"), (int, float)) and s["value"] == s["value"]}
    if got:
        evidence.append(outcome.evidence_id)
    return got


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each candidate's object (a ConfigMap's data), and when it holds cache rules, the cache's hit
    rates in the hour before the write and the minutes before the incident, and its passes at both."""
    if READS in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for change, target in candidates(facts):
        written = parse_time(change.get("at"))
        if written is None:
            continue
        obj = None
        if target.kind == "ConfigMap":
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-cache-rules-{target.name}")
            obj = got[0] if got else None
        keys = holds_rules(change, obj)
        if not keys:
            continue
        entry: dict[str, Any] = {"keys": keys, "ratios": {}, "evidence": []}
        store[str(target)] = entry
        for name, query in [VARNISH, *((n, q) for n, q, _ in RATIOS)]:
            level = await _values(call, f"avg_over_time(({query})[1h:1m])", written,
                                  f"survey-cache-rules-level-{target.name}", entry["evidence"])
            if not level:
                continue
            now = await _values(call, f"avg_over_time(({query})[{int(SETTLE.total_seconds())}s:1m])", facts.at,
                                f"survey-cache-rules-now-{target.name}", entry["evidence"])
            pairs = {k: (level[k], now[k]) for k in set(level) & set(now)}
            if pairs:
                entry["ratios"][name] = pairs
        if entry["ratios"]:
            before = await _values(call, PASSES[1], written, f"survey-cache-rules-passes-{target.name}", [])
            after = await _values(call, PASSES[1], facts.at, f"survey-cache-rules-passes-{target.name}", [])
            if before and after:
                entry["passes"] = (sum(before.values()), sum(after.values()))
