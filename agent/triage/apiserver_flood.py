"""Who floods the Kubernetes API server: a 429 from the API server names the client that crowds its priority level.

When a controller's or operator's calls to the Kubernetes API fail with HTTP 429, the API server is
not broken and the failing client is rarely at fault: API Priority and Fairness (APF) put the
request in a priority level (through a FlowSchema matching its user or service account) whose
seats and queues are full, and rejected it. client-go reports that as "the server has received too
many requests and has asked us to try again later" (StatusReasonTooManyRequests); the API server's
own body is "Too many requests, please try again later.". An application's 429 (a rate-limited
HTTP API, "429 Too Many Requests" from a gateway) says neither and is not this class.

What fills a priority level is another client in it asking much more than before: a controller
whose resync or poll interval was cut (LIST every pod every 5 s instead of 10 min), whose QPS,
burst or worker count was raised, or that was scaled out. So this module reads:

- the API server's APF series: `apiserver_flowcontrol_rejected_requests_total` by priority level
  and flow schema (which level rejects, and why: queue-full, time-out, concurrency-limit) and
  `apiserver_flowcontrol_current_inqueue_requests` (how full its queues are);
- the change timeline of the last two days for a workload other than the rejected client whose
  change raised its request rate (an interval-like setting made shorter, a rate/worker setting made
  larger, replicas raised);

and names that workload, with the priority level it starves. Without such a change it names
nothing: a 429 alone does not say who asked too much.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import workload_of_pod

CHECK = "apiserver.flooded_by_client"
WEIGHT = 0.9
STORE = "apiserver_flood"
HISTORY_WINDOW = "48h"
"""How far back a client's change may lie: its load grows with the cluster until the level overflows."""

REJECTED = "apiserver_flowcontrol_rejected_requests_total(_total)?"
INQUEUE = "apiserver_flowcontrol_current_inqueue_requests"

THROTTLED = re.compile(r"the server has received too many requests and has asked us to try again later|"
                       r"too many requests, please try again later", re.I)
"""The API server's 429 as client-go and the API server word it (k8s.io/apimachinery StatusReasonTooManyRequests,
the APF handler's body)."""

_OFTEN = frozenset({"interval", "period", "resync", "poll", "refresh", "sync", "frequency", "every", "backoff",
                    "requeue"})
"""Settings whose smaller value means more requests (how long between rounds)."""
_MANY = frozenset({"qps", "burst", "workers", "concurrency", "concurrent", "parallelism", "threads", "replicas"})
"""Settings whose larger value means more requests at once."""

_PAIR = re.compile(r"(?P<key>[A-Za-z_][\w.\-]*)(?:=|: |\s)'?(?P<old>[\w.]+)'? -> (?:(?P=key)=)?'?(?P<new>[\w.]+)'?")
_FLAG = re.compile(r"--([A-Za-z][\w.-]*)[= ]([\w.]+)")
_TIME = {"ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Flood:
    """A client whose change raised its calls to the API server, and the priority level that rejects."""

    client: Ref
    at: str
    setting: str
    old: str
    new: str
    factor: float
    victims: list[Ref]
    level: str = ""
    schema: str = ""
    reason: str = ""
    rejected_per_s: float = 0.0
    inqueue: float = 0.0
    quote: str = ""
    evidence: list[str] = field(default_factory=list)


def _seconds(value: str) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?", value.strip().lower())
    if m is None:
        return None
    return float(m[1]) * _TIME[m[2] or "s"]


def load_factor(key: str, old: str, new: str) -> float:
    """How many times more requests a setting's change makes (>1), or 0 when it does not raise them."""
    words = _key_words(key)
    if words & _MANY:
        try:
            a, b = float(old), float(new)
        except ValueError:
            return 0.0
        return b / a if a > 0 and b > a else 0.0
    if words & _OFTEN:
        before, after = _seconds(old), _seconds(new)
        return before / after if before and after and after < before else 0.0
    return 0.0


def _key_words(key: str) -> set[str]:
    """A setting's words (`RESYNC_INTERVAL`, `kube-api-qps`, `syncPeriod`), so `ASYNC_WORKERS` is no `sync`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}


def throttled(log: LogEvidence) -> str:
    """The line where this log says the Kubernetes API server answered 429, or ""."""
    for error in [log.top or {}, *log.more, *log.warnings]:
        for key in ("message", "example", "template"):
            text = str(error.get(key) or "")
            if THROTTLED.search(text):
                return text[:240]
    return next((line[:240] for line in log.last_lines if THROTTLED.search(line)), "")


def _victims(facts: Facts) -> list[tuple[Ref, str, str]]:
    """(workload, quoted line, evidence id) of each client whose logs show the API server's 429."""
    out: list[tuple[Ref, str, str]] = []
    for log in facts.logs:
        line = throttled(log)
        if line:
            out.append((Ref("", log.namespace, workload_of_pod(log.pod)), line, log.evidence_id))
    return out


def _raised(change: dict[str, Any]) -> tuple[str, str, str, float] | None:
    """(setting, old, new, factor) of the change's diff line that raises its request rate most, or None."""
    best: tuple[str, str, str, float] | None = None
    for line in [str(d) for d in change.get("diff") or []]:
        pairs = [(m["key"], m["old"], m["new"]) for m in _PAIR.finditer(line)]
        if " -> " in line:  # a command line changed: the flags on both sides (`--kube-api-qps=5` -> `=50`)
            before, after = (dict(_FLAG.findall(side)) for side in line.split(" -> ", 1))
            pairs += [(k, before[k], after[k]) for k in before.keys() & after.keys() if before[k] != after[k]]
        for key, old, new in pairs:
            factor = load_factor(key, old, new)
            if factor > 1 and (best is None or factor > best[3]):
                best = (key, old, new, factor)
    return best


def _changes(facts: Facts) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, Any]] = []
    for data, _ in [(facts.changes or {}, ""), *facts.history]:
        for c in data.get("changes") or []:
            key = (str(c.get("at")), str(c.get("object")), str(c.get("summary")))
            if isinstance(c, dict) and key not in seen:
                seen.add(key)
                out.append(c)
    return out


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a client's logs show the API server's 429: the APF series around the incident and the
    last two days of changes."""
    victims = _victims(facts)
    if not victims:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {})
    history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-apiserver-flood-changes")
    if history is not None and history.ok and isinstance(history.data, dict):
        facts.history.append((history.data, history.evidence_id))
    moment = parse_time(at)
    if moment is None:
        return
    start = (moment - timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    end = (moment + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    for name, query in (("rejected", f'sum by (priority_level, flow_schema, reason) (rate({{__name__=~"{REJECTED}"}}'
                                     f'[5m]))'),
                        ("inqueue", f"sum by (priority_level, flow_schema) ({INQUEUE})")):
        outcome = await call("prom_query_range", {"query": query, "start": start, "end": end, "step": "60s",
                                                  "baseline": "none", "top_k": 5}, f"survey-apiserver-flood-{name}")
        if outcome is not None and outcome.ok and isinstance(outcome.data, dict):
            store[name] = ([s for s in outcome.data.get("series") or [] if isinstance(s, dict)], outcome.evidence_id)


def _top(facts: Facts, name: str) -> tuple[dict[str, Any], str] | None:
    series, evidence_id = (facts.reads.get(STORE) or {}).get(name) or ([], "")
    ranked = sorted((s for s in series if (s.get("max") or 0) > 0), key=lambda s: -(s.get("max") or 0))
    return (ranked[0], evidence_id) if ranked else None


def floods(facts: Facts) -> list[Flood]:
    """The client whose change raised its API calls most, when another client's logs show the API server's 429."""
    victims = _victims(facts)
    if not victims:
        return []
    victim_names = {(v.namespace, v.name) for v, _, _ in victims}
    best: Flood | None = None
    for change in _changes(facts):
        ref = Ref.of(change.get("object"))
        if ref is None or ref.kind not in _WORKLOADS or (ref.namespace, ref.name) in victim_names:
            continue
        raised = _raised(change)
        if raised is None:
            continue
        setting, old, new, factor = raised
        if best is None or factor > best.factor:
            best = Flood(ref, str(change.get("at") or ""), setting, old, new, factor, [v for v, _, _ in victims],
                         quote=victims[0][1], evidence=[e for _, _, e in victims[:2]])
    if best is None:
        return []
    rejected, inqueue = _top(facts, "rejected"), _top(facts, "inqueue")
    if rejected is not None:
        labels = rejected[0].get("labels") or {}
        best.level, best.schema = str(labels.get("priority_level") or ""), str(labels.get("flow_schema") or "")
        best.reason, best.rejected_per_s = str(labels.get("reason") or ""), float(rejected[0].get("max") or 0)
        best.evidence.append(rejected[1])
    if inqueue is not None:
        best.inqueue = float(inqueue[0].get("max") or 0)
        best.evidence.append(inqueue[1])
    best.evidence += [e for _, e in facts.history[-1:]]
    return [best]


def _said(quote: str) -> str:
    """The API server's own words within a quoted log line."""
    m = THROTTLED.search(quote)
    return m.group(0) if m else quote[:100]


def finding(flood: Flood) -> dict[str, Any]:
    """The scan-shaped finding for the flooding client: its change, the priority level, the rejected client."""
    c = flood.client
    level = (f" at priority level {flood.level} (flow schema {flood.schema}"
             + (f", {flood.reason}" if flood.reason else "")
             + (f", up to {flood.rejected_per_s:.1f} rejected/s" if flood.rejected_per_s else "")
             + (f", {flood.inqueue:.0f} queued" if flood.inqueue else "") + ")") if flood.level else ""
    victims = ", ".join(sorted({v.name for v in flood.victims}))
    return {
        "check": CHECK, "severity": "critical", "reason": "APIServerPriorityLevelFlooded",
        "object": {"kind": c.kind, "namespace": c.namespace, "name": c.name},
        "message": (f"{c} floods the Kubernetes API server: its change at {flood.at} set {flood.setting} "
                    f"{flood.old} -> {flood.new} (about {flood.factor:.0f}x the requests). The API server's API "
                    f"Priority and Fairness (APF) rejects requests with 429{level}, and {victims} sharing that "
                    f"level fail ('{_said(flood.quote)}'). Restore {flood.setting} on {c.name} or give it its own "
                    "FlowSchema/priority level"),
        "evidence": [f"{c} {flood.setting} {flood.old} -> {flood.new} at {flood.at}", flood.quote[:200]],
        "details": {"priority_level": flood.level, "flow_schema": flood.schema, "setting": flood.setting},
        "since": flood.at or None,
    }
