"""A cache warm-up switched off in a config write: the next restart brings up replicas with a cold cache.

Services that sit in front of a slow store often fill their cache before they report ready: a preload of hot keys or
item vectors, a warm-up pass, a primed connection pool or query cache (a Spring `cache.preload`, a `warmup.enabled`,
a `CACHE_PREWARM` env, a `prime-cache-on-start`). Turned off, nothing changes while the running pods keep their full
caches; the next restart (a `rollout restart`, a release, a node drain) brings every replica up empty at once, each
miss goes to the store, the store's latency climbs under the burst and the service's callers time out. The service
often says so as it starts (`Cache preload disabled; cache will fill on demand`, `skipping warm-up`).

Named: the ConfigMap (or workload env) write within LEAD that set such a key off, when a workload it feeds was
restarted after the write and before the alert, and that workload's pod since the restart logs a cold start or
timeouts. Twins: a warm-up switched on, a warm-up switched off with no restart since (the running caches are still
full), another key written before the same restart. Reading only: the written ConfigMap, the restarted workload's
pod logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "config.warmup_off"
WEIGHT = 0.9
"""The write is what to revert: the store's latency and the callers' timeouts follow the cold restart it set up."""
STORE = "warmup_off"
LEAD = timedelta(hours=12)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")
LOG_TAIL = 400
Call = Callable[..., Awaitable[Any]]

WARM_OFF = re.compile(
    r"(?im)^[ \t\"'-]*(?P<key>[\w.\"'-]*?(?:pre-?load|warm[-_]?up|pre-?warm|warm[-_]?cache|cache[-_]?warm(?:ing|up)?|"
    r"prime[-_]?cache|cache[-_]?prim(?:e|ing)|pre-?heat|eager[-_]?load)[\w.\"'-]*)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?P<value>false|off|no|0|disabled|none)\b")
"""A warm-up key set off, in YAML, properties, env or JSON form: `preload: false`, `cache.warmup.enabled=false`,
`CACHE_PREWARM=0`, `"warmUp": false`."""
COLD = re.compile(
    r"(?:pre-?load|warm[-_ ]?up|pre-?warm)\w*\s+(?:is\s+)?(?:disabled|skipped|off)|skipp(?:ed|ing) (?:cache )?"
    r"(?:warm[-_ ]?up|pre-?load)|fill(?:s|ed)? on demand|cold cache|cache (?:is )?empty", re.I)
"""A service's own words for starting with its cache empty."""
_DATA_KEY = re.compile(r"\bdata key (\S+)")
"""The timeline's words for which ConfigMap key a write set: the warm-up must be in a key the write touched."""
SLOW = re.compile(r"timed? ?out|timeout|deadline exceeded|\bslow (?:query|request)", re.I)


NOT_WARMUP = re.compile(r"hsts|http2|link[-_]?preload|font", re.I)
"""Keys with these words are no cache warm-up: ingress-nginx's `hsts-preload`, HTTP/2 push and link preloads."""


def _off_in(text: str) -> str | None:
    m = next((m for m in WARM_OFF.finditer(text) if not NOT_WARMUP.search(m.group("key"))), None)
    return " ".join(re.sub(r"[\"']", "", m.group(0)).strip(" \t-").split()) if m else None


def _fed(change: dict[str, Any]) -> list[Ref]:
    """The workloads a ConfigMap write feeds, as the timeline says (`used by`)."""
    return [r for x in change.get("related") or [] if (r := Ref.of(x)) is not None and r.kind in WORKLOADS]


def _restart_after(facts: Facts, target: Ref, fed: list[Ref], at: datetime) -> tuple[Ref, datetime] | None:
    """The workload restarted by or after the write at `at`, before the alert: a workload written itself (its env
    write is its rollout); else the first rollout after `at` of a workload the ConfigMap feeds, or, with none
    known, of a workload in its namespace whose name the ConfigMap's name starts with (`api` for `api-config`)."""
    if target.kind in WORKLOADS:
        return target, at
    for change in facts.change_list():
        ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or when is None or ref.kind not in WORKLOADS or not at < when <= facts.at:
            continue
        stem = not fed and ref.namespace == target.namespace and target.name.startswith(ref.name + "-")
        if stem or any(ref.same_object(w) for w in fed):
            return ref, when
    return None


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[Ref]]]:
    """(write, written object, workloads it feeds) of ConfigMap writes, and workload env writes, within LEAD."""
    out = []
    for change, _, target in facts.writes_to(("ConfigMap", *WORKLOADS), within=LEAD, deletions=False):
        if target.kind == "ConfigMap":
            out.append((change, target, _fed(change)))
        elif any(_off_in(str(d).split(" -> ")[-1]) for d in change.get("diff") or []):
            out.append((change, target, [target]))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each written ConfigMap that now sets a warm-up off, and the restarted workload's pod logs."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = store = {}
    for change, target, fed in candidates(facts)[:3]:
        when = parse_time(change.get("at"))
        restarted = _restart_after(facts, target, fed, when) if when is not None else None
        if restarted is None:
            continue
        if target.kind == "ConfigMap":
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-warmup-{target.name}")
            keys = {m.group(1) for d in change.get("diff") or [] if (m := _DATA_KEY.search(str(d)))}
            setting = next((s for k, v in ((got[0].get("data") or {}).items() if got else [])
                            if (not keys or k in keys) and (s := _off_in(str(v)) or _off_in(f"{k}: {v}"))), None)
            evidence = got[1] if got else ""
        else:
            setting = next((s for d in change.get("diff") or [] if (s := _off_in(str(d).split(" -> ")[-1]))), None)
            evidence = ""
        if setting is None:
            continue
        workload, since = restarted
        listed = await call("k8s_list", {"kind": "Pod", "namespace": workload.namespace},
                            f"survey-warmup-pods-{workload.name}")
        pods = [str(r.get("name")) for r in rows_of(listed)
                if workload_of_pod(str(r.get("name"))) == workload.name and has_run(r)]
        for pod in pods[:1]:
            got_log = await call("k8s_logs", {"name": pod, "namespace": workload.namespace, "tail": LOG_TAIL},
                                 f"survey-warmup-logs-{pod}")
            if got_log is None or not got_log.ok:
                continue
            text = str(got_log.full_text or got_log.text or "")
            cold = next((ln.strip() for ln in text.splitlines() if COLD.search(ln)), "")
            slow = next((ln.strip() for ln in text.splitlines() if SLOW.search(ln)), "")
            if cold or slow:
                store[str(target)] = {"setting": setting, "workload": [workload.kind, workload.namespace,
                                                                       workload.name],
                                      "restarted": since.isoformat(), "pod": pod, "cold": cold, "slow": slow,
                                      "evidence": [e for e in (evidence, got_log.evidence_id) if e]}


@dataclass
class WarmupOff:
    """A warm-up switched off, the restart after it, and the restarted pod's cold start or timeouts."""

    target: Ref
    setting: str
    at: datetime
    by: str
    workload: Ref
    restarted: datetime
    pod: str
    cold: str
    slow: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[WarmupOff]:
    seen = facts.reads.get(STORE) or {}
    out = []
    for change, target, _ in candidates(facts):
        kept, at = seen.get(str(target)), parse_time(change.get("at"))
        restarted = parse_time((kept or {}).get("restarted"))
        if not kept or at is None or restarted is None:
            continue
        summary = str(change.get("summary") or "")
        by = summary.split(" by ", 1)[1].split(":")[0] if " by " in summary else ""
        out.append(WarmupOff(target, kept["setting"], at, by, Ref(*kept["workload"]), restarted, kept["pod"],
                             kept["cold"], kept["slow"], [e for e in (facts.changes_id, *kept["evidence"]) if e]))
    return out


def _quote(line: str, pattern: re.Pattern[str]) -> str:
    m = pattern.search(line)
    start = max(0, line.rfind(":", 0, m.start()) + 1 if m else 0)
    return " ".join(line[start:].split())[:110]


def finding(w: WarmupOff, at: datetime) -> dict[str, Any]:
    """The setting, the restart that made it bite, and the pod's own words, within the first 400 characters."""
    by = f" by {w.by}" if w.by else ""
    said = f"'{_quote(w.cold, COLD)}'" if w.cold else ""
    slow = f"'{_quote(w.slow, SLOW)}'" if w.slow else ""
    message = (f"{w.target} was written{by} {minutes_text(int((at - w.at).total_seconds() // 60))} before the alert "
               f"to set {w.setting}: no warm-up at start, so the restart of {w.workload} "
               f"{minutes_text(int((at - w.restarted).total_seconds() // 60))} before the alert brought every replica "
               f"up with a cold cache and each miss goes to the backing store, whose latency climbs under the burst; "
               f"{w.pod} says {' and '.join(x for x in (said, slow) if x)}. Turn the preload back on")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.target.kind, "namespace": w.target.namespace, "name": w.target.name},
            "reason": "WarmupSwitchedOff", "message": message, "evidence": [x for x in (w.cold, w.slow) if x],
            "details": {"setting": w.setting, "restarted": w.restarted.isoformat(), "workload": str(w.workload)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written object, its finding, evidence ids, the restarted workload) for agent.triage.behind."""
    return [(w.target, finding(w, facts.at), w.evidence, [w.workload] if w.workload != w.target else [])
            for w in found(facts)]
