"""The delay that keeps old pods after a traffic switch cut to nothing: the old pods go before the proxies know.

A progressive-delivery controller moves traffic first and removes the old pods after. Argo Rollouts waits
`scaleDownDelaySeconds` (default 30) after the last traffic shift of a canary with `trafficRouting` (Istio, SMI,
ingress-nginx, ALB, Gateway API weights) or after a blue/green switch of the active Service's selector, then scales the
old ReplicaSet to zero. The wait exists because the new route or endpoint list reaches every sidecar, ingress
controller and kube-proxy seconds later, not at once: for those seconds callers still send to the old pods. Set to 0
(or a few seconds), the controller deletes them at once, and each caller whose proxy still routes there gets
connection failures in its own proxy's words: Envoy `503 UH` / `UF` / `no_healthy_upstream` / `upstream connect
error`, ingress-nginx `502` with `connect() failed (111: Connection refused) while connecting to upstream`, a client's
`Connection refused`. Nothing stays broken: the bursts come at the end of each release and stop.

Named: the rollout object whose delay was written to at most MAX_DELAY within LEAD, with traffic routing (or
blue/green), when a caller's proxy logged connection failures within BURST of the controller's own "Scaled down
ReplicaSet ... to 0" event after the write and fewer in the same span before it. Twins: a basic canary without
trafficRouting (its replica ratio moves traffic, the delay plays no part), a delay left at 30, failures unrelated in
time to any scale-down. Reading only: the object, its namespace's events, the callers' logs around the scale-down.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.scale_down_delay"
WEIGHT = 0.92
"""The write is what to revert: the callers' 503 bursts are the proxies' lag it no longer covers."""
STORE = "scale_down_delay"
LEAD = timedelta(hours=24)
MAX_DELAY = 10
"""Seconds: below this the old pods go before a mesh's or an ingress's routes have caught up."""
BURST = timedelta(minutes=3)
"""How soon after the scale-down the callers' failures come, and the span before it they are compared with."""
MAX_CALLERS = 2
LOG_TAIL = 3000
Call = Callable[..., Awaitable[Any]]

_FIELD = re.compile(r"\b(?:abortS|s)caleDownDelaySeconds\b(.*)$")
"""A diff line of the delay: `spec.strategy.canary.scaleDownDelaySeconds = 0`, `... written by kubectl-edit (now
'0')`, `... 30 -> 0`; the value is the last number on the line."""
_SCALED_TO_ZERO = re.compile(r"Scaled down (?:ReplicaSet|replica set) (\S+).* to 0\b", re.I)
FAILED = re.compile(
    r"\"\s50[23]\s+(?:UH|UF|URX|UC|UO)\b|no_healthy_upstream|no healthy upstream|upstream connect error|"
    r"\"\s50[23]\s.*(?:connection refused|connection failure)|connect\(\) failed \(111: Connection refused\)|"
    r"\bstatus[=:]\s*\"?50[23]\b.*(?:refused|reset|unavailable)|ECONNREFUSED", re.I)
"""A caller's proxy or client failing to reach a backend pod that is gone: Envoy/Istio access-log flags, ingress-nginx's
error log, a client's refusal."""
GONE = frozenset({"connection_refused", "unavailable", "upstream_reset", "no_route"})
"""The log facts' classes for a backend that is not there (refused, no healthy upstream, reset, no route)."""


def _delay(change: dict[str, Any]) -> int | None:
    for line in change.get("diff") or []:
        m = _FIELD.search(str(line))
        numbers = re.findall(r"\d+", m.group(1)) if m else []
        if numbers:
            return int(numbers[-1])
    return None


def written(facts: Facts) -> list[tuple[dict[str, Any], Ref, int]]:
    """(change, object, delay) for each write within LEAD that set a scale-down delay to MAX_DELAY or less."""
    out: list[tuple[dict[str, Any], Ref, int]] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        delay = _delay(change)
        if target is None or at is None or delay is None or delay > MAX_DELAY or not facts.at - LEAD <= at <= facts.at:
            continue
        if not any(t.same_object(target) for _, t, _ in out):
            out.append((change, target, delay))
    return out


def routes_traffic(obj: dict[str, Any]) -> str | None:
    """How the object moves traffic when the delay matters: `trafficRouting <provider>` or `blueGreen`; None for a
    basic canary (the replica ratio is the traffic split, so pods are only removed as others take over)."""
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    if isinstance(strategy.get("blueGreen"), dict):
        return "blueGreen"
    routing = (strategy.get("canary") or {}).get("trafficRouting") if isinstance(strategy.get("canary"), dict) else None
    if isinstance(routing, dict) and routing:
        return "trafficRouting " + ", ".join(sorted(str(k) for k in routing))
    return None


def began_at(data: Any, down: datetime) -> list[dict[str, Any]]:
    """The caller's failures (the log tool's error groups: its connection classes, or a line in FAILED's words) whose
    first occurrence falls within BURST of the scale-down (from a few seconds before it): failures that began with
    it, not ones that were there already."""
    errors = ((data or {}).get("facts") or {}).get("errors") if isinstance(data, dict) else None
    out = []
    for e in errors or []:
        first = parse_time(e.get("first_seen")) if isinstance(e, dict) else None
        if first is None or not down - timedelta(seconds=5) <= first <= down + BURST:
            continue
        if str(e.get("error_class") or "") in GONE or FAILED.search(str(e.get("example") or "")):
            out.append(e)
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, for each delay written to near nothing: the object, its namespace's events (the scale-downs),
    and the logs of the callers the survey read, around each scale-down to zero."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = store = {}
    for change, target, _ in written(facts)[:1]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-scale-down-{target.name}")
        how = routes_traffic(got[0]) if got else None
        if got is None or how is None:
            continue
        events = await call("k8s_events", {"namespace": target.namespace}, f"survey-scale-down-events-{target.name}")
        rows = [e for e in ((events.data or {}).get("events") or []) if isinstance(e, dict)] \
            if events is not None and events.ok and isinstance(events.data, dict) else []
        written_at = parse_time(change.get("at"))
        downs = sorted(t for e in rows if e.get("name") == target.name and _SCALED_TO_ZERO.search(str(e.get("message")))
                       and (t := parse_time(e.get("last_seen") or e.get("first_seen"))) is not None
                       and written_at is not None and written_at < t <= facts.at)
        if not downs:
            continue
        kept: dict[str, Any] = {"how": how, "object_evidence": got[1], "events_evidence": events.evidence_id,
                                "down": downs[-1].isoformat(), "callers": []}
        callers = sorted((x for x in facts.logs if workload_of_pod(x.pod) != target.name),
                         key=lambda x: not subject.mentions(workload_of_pod(x.pod)))
        for log in callers[:MAX_CALLERS]:
            since = (downs[-1] - BURST).isoformat().replace("+00:00", "Z")
            got_log = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "tail": LOG_TAIL,
                                              "since_time": since}, f"survey-scale-down-logs-{log.pod}")
            burst = began_at(got_log.data if got_log is not None and got_log.ok else None, downs[-1])
            if burst:
                kept["callers"].append({"pod": log.pod, "namespace": log.namespace,
                                        "count": sum(int(e.get("count") or 1) for e in burst),
                                        "line": str(burst[0].get("example") or burst[0].get("message") or ""),
                                        "evidence": got_log.evidence_id if got_log is not None else ""})
        store[str(target)] = kept


@dataclass
class Cut:
    """A delay written to near nothing, the controller's scale-down after it, and the callers' burst at that moment."""

    target: Ref
    delay: int
    at: datetime
    how: str
    down: datetime
    callers: list[dict[str, Any]]
    by: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Cut]:
    seen = facts.reads.get(STORE) or {}
    out = []
    for change, target, delay in written(facts):
        kept, at = seen.get(str(target)), parse_time(change.get("at"))
        down = parse_time((kept or {}).get("down"))
        if not kept or not kept.get("callers") or at is None or down is None:
            continue
        summary = str(change.get("summary") or "")
        by = summary.split(" by ", 1)[1].split(":")[0] if " by " in summary else ""
        evidence = [facts.changes_id, kept["object_evidence"], kept["events_evidence"],
                    *(c["evidence"] for c in kept["callers"])]
        out.append(Cut(target, delay, at, kept["how"], down, kept["callers"], by, [e for e in evidence if e]))
    return out


def _quote(line: str) -> str:
    """The caller's line without a leading bracketed timestamp, cut short."""
    return " ".join(re.sub(r"^\[[^\]]*\]\s*", "", line.strip()).split())[:110]


def finding(cut: Cut, at: datetime) -> dict[str, Any]:
    """The write, the routing that needs the delay, and the callers' burst at the scale-down, first 400 characters."""
    first = cut.callers[0]
    by = f" by {cut.by}" if cut.by else ""
    message = (f"{cut.target}'s scaleDownDelaySeconds was set to {cut.delay}{by} "
               f"{minutes_text(int((at - cut.at).total_seconds() // 60))} before the alert ({cut.how}): the old "
               f"ReplicaSet is scaled to 0 at once after the traffic switch, before every proxy has the new route, so "
               f"callers still send to gone pods; {first['pod']} logged {first['count']} failures within "
               f"{int(BURST.total_seconds() // 60)} min of the scale-down at {cut.down.strftime('%H:%M:%S')} "
               f"('{_quote(first['line'])}'). Restore the delay (30 s or more)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": cut.target.kind, "namespace": cut.target.namespace, "name": cut.target.name},
            "reason": "OldPodsRemovedBeforeRouteUpdate", "message": message,
            "evidence": [str(c["line"])[:200] for c in cut.callers],
            "details": {"delay": cut.delay, "routing": cut.how, "scaled_down_at": cut.down.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the rollout object, its finding, evidence ids, the callers' workloads) for agent.triage.behind."""
    return [(c.target, finding(c, facts.at), c.evidence,
             [Ref("Pod", str(x["namespace"]), str(x["pod"])) for x in c.callers]) for c in found(facts)]
