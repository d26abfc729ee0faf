"""A rate limiter written to fail closed, whose counter store then failed: requests refused at the gateway.

A request limiter that counts in a shared store (Redis behind Kong's `rate-limiting` plugin with `policy: redis`,
Envoy's global rate-limit service, APISIX `limit-count` with `policy: redis`, a library limiter in the service
itself) has to decide what to do when it cannot read the counter: let the request through (fail open) or refuse it
(fail closed: Kong `fault_tolerant: false`, Envoy `failure_mode_deny: true`, APISIX `allow_degradation: false`).
A write that switches the limiter to fail closed (often together with a move from local counters to the shared
store, or a short store timeout) is harmless while the store answers; at the next peak its lookups time out and
every request the limiter guards ends in an error that the gateway itself produces (Kong answers 500, Envoy 500
with the RLSE flag) while the upstream service is healthy and idle. The service's alert names the service; the
cause is the limiter's setting.

So: a write within `LEAD` whose diff sets a fail-closed switch (`CLOSED`) on an object that is a request limiter
(its kind, name or written fields say rate limit / limit count), and the limiter's own words that it could not
reach its counter store (`STORE_FAILED`: Kong "[rate-limiting] failed to get usage: timeout", APISIX "failed to
limit count", Envoy's ratelimit filter errors) in a log the survey holds or in the gateway pods `read` greps. A
fail-closed write with no store failure, store failures under a fail-open setting, or a switch on something that
is no limiter are not named.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import rows_of
from agent.triage.subject import Subject

CHECK = "change.limiter_fail_closed"
WEIGHT = 0.93
"""The write whose effect the limiter's own errors show: above the healthy upstream's symptom and the generic
'recent change' line."""
READS = "limiter_fail_closed"
LEAD = timedelta(hours=24)
MAX_NAMESPACES = 3
MAX_PODS = 2
Call = Callable[..., Awaitable[Any]]

LIMITER = re.compile(r"rate.?limit|ratelimit|limit.?count|limit.?req|request.?limit|throttl", re.I)
_OPEN_KEYS = r"fault_?tolerant|fail_?open|failOpen|allow_?degradation|failure_?mode_?allow|failureModeAllow"
_CLOSED_KEYS = r"failure_?mode_?deny|failureModeDeny|fail_?closed|failClosed|deny_?on_?fail\w*"
CLOSED = re.compile(rf"(?P<key>(?:[\w.\[\]-]*\.)?(?:{_OPEN_KEYS}|{_CLOSED_KEYS}))['\"]?\s*(?:=|:)\s*"
                    rf"(?:\S+\s*->\s*)?['\"]?(?P<value>true|false)\b", re.I)
"""A fail-open/fail-closed switch as a diff line writes it (`config.fault_tolerant = false`, `failure_mode_deny:
false -> true`)."""
STORE_FAILED = re.compile(r"(?:rate.?limit\w*|ratelimit\w*|limit.?count|limiter)\W[^\n]{0,80}?"
                          r"(?:\bfailed\b|could not (?:get|read|connect|reach)|timed? ?out|timeout|unavailable|"
                          r"connection refused|\berror\b)|\bRLSE\b", re.I)
OVER_LIMIT = re.compile(r"exceeded|too many requests|\b429\b|over (?:the )?limit", re.I)
"""A limiter refusing a client for going over its limit is the limiter working, not its store failing."""
GATEWAY_POD = re.compile(r"gateway|proxy|kong|envoy|apisix|traefik|ingress|edge|gw\b|router", re.I)


@dataclass
class Closed:
    """A limiter write that made it fail closed, and the limiter's words that its store then failed."""

    target: Ref
    change: dict[str, Any]
    switch: str
    said: str
    where: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def switches(change: dict[str, Any]) -> list[str]:
    """The diff lines of a write that set a limiter to fail closed ("" none); the write must be a limiter's."""
    lines = [str(d) for d in change.get("diff") or []]
    text = " ".join([str(change.get("summary") or ""), *lines])
    if not LIMITER.search(text):
        return []
    out = []
    for line in lines:
        for m in CLOSED.finditer(line):
            opens = re.search(_OPEN_KEYS, m["key"], re.I) is not None
            if (m["value"].lower() == "false") == opens:
                out.append(line)
                break
    return out


def candidates(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, list[str]]]:
    return [(c, e, t, s) for c, e, t in facts.writes_to(None, within=LEAD, deletions=False) if (s := switches(c))]


def _store_failed(line: str) -> bool:
    return bool(STORE_FAILED.search(line)) and not OVER_LIMIT.search(line)


def _failure_in_facts(facts: Facts) -> tuple[str, str, str]:
    """(the line, the pod, the evidence id) of a limiter store failure in the logs the survey read."""
    for log in facts.logs:
        for error in [log.top or {}, *log.more]:
            text = str(error.get("message") or error.get("example") or error.get("template") or "")
            if _store_failed(text):
                return text[:240], f"{log.namespace}/{log.pod}", log.evidence_id
        for line in log.last_lines:
            if _store_failed(line):
                return line[:240], f"{log.namespace}/{log.pod}", log.evidence_id
    return "", "", ""


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a recent write made a limiter fail closed and no log read yet shows its store failing:
    the gateway-like pods of the write's namespace, of the namespace of a Service its diff names (the counter store
    usually runs beside the gateway) and of the namespaces whose logs the survey read, grepped for the limiter's
    words."""
    found = candidates(facts)
    if not found or _failure_in_facts(facts)[0]:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"lines": []})
    named = [m for c, _, _, _ in found for d in c.get("diff") or []
             for m in re.findall(r"\b[a-z0-9-]+\.([a-z0-9-]+)\.svc\b", str(d))]  # the counter store's namespace
    spaces = [t.namespace for _, _, t, _ in found if t.namespace] + named + [log.namespace for log in facts.logs]
    for ns in list(dict.fromkeys(n for n in spaces if re.fullmatch(r"[a-z0-9-]+", n)))[:MAX_NAMESPACES]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-limiter-pods-{ns}")
        pods = [str(r.get("name")) for r in rows_of(listed) if GATEWAY_POD.search(str(r.get("name")))
                and not re.search(r"controller|redis|exporter", str(r.get("name")))][:MAX_PODS]
        for pod in pods:
            got = await call("k8s_logs", {"name": pod, "namespace": ns, "grep": "limit", "tail": 2000},
                             f"survey-limiter-log-{pod}")
            if got is None or not got.ok:
                continue
            lines = [ln for ln in str(got.full_text or "").splitlines() if _store_failed(ln)]
            if lines:
                store["lines"].append({"pod": f"{ns}/{pod}", "line": lines[-1][:240], "count": len(lines),
                                       "evidence": got.evidence_id})
                return


def found(facts: Facts) -> list[Closed]:
    """Each fail-closed limiter write followed by the limiter's store failing."""
    said, where, evidence = _failure_in_facts(facts)
    count = 0
    if not said:
        lines = (facts.reads.get(READS) or {}).get("lines") or []
        if not lines:
            return []
        said, where, evidence, count = lines[0]["line"], lines[0]["pod"], lines[0]["evidence"], lines[0]["count"]
    out: list[Closed] = []
    for change, change_id, target, lines in candidates(facts):
        at = parse_time(change.get("at"))
        if at is None or any(c.target.same_object(target) for c in out):
            continue
        out.append(Closed(target, change, "; ".join(lines), said + (f" ({count} such lines)" if count > 1 else ""),
                          where, int((facts.at - at).total_seconds() // 60),
                          [e for e in (change_id, evidence) if e]))
    return out


def finding(c: Closed) -> dict[str, Any]:
    """The write and its switch, what fail closed does, and the limiter's words that its store failed."""
    diff = "; ".join(str(d) for d in (c.change.get("diff") or [])[:4])
    who = written_by(c.change)
    message = (f"{c.target} made its rate limiter fail closed {minutes_text(c.minutes_before)} before the incident "
               f"({diff}" + (f", by {who}" if who else "") + "): when the limiter cannot read its counter store it "
               "now refuses the request instead of letting it through, so every slow or failed store lookup becomes "
               f"an error the gateway returns while the upstream stays healthy. {c.where} says so: '{c.said}'. Make "
               "the limiter fail open again (or revert the write), then size the store's timeout for its load")
    return {"check": CHECK, "severity": "critical", "object": c.change.get("object"), "reason": "LimiterFailsClosed",
            "message": message, "evidence": [c.said[:200], c.switch[:200]],
            "details": {"switch": c.switch, "where": c.where}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the limiter object, its finding, evidence ids, nothing else) for `agent.triage.behind`."""
    return [(c.target, finding(c), c.evidence, []) for c in found(facts)]
