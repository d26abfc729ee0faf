"""A write to a token's time-claim setting, after which validators refuse fresh tokens as not valid yet.

A signed token carries its own time window: `nbf` (not before), `iat` (issued at), `exp`. A validator compares
them with its clock, usually with a small leeway (golang-jwt none unless set, PyJWT `leeway`, jsonwebtoken
`clockTolerance`, Microsoft.IdentityModel `ClockSkew` 5 min, Spring `clockSkew` 60 s). Two writes break that
window without any clock being wrong: an issuer's release that stamps `nbf` (or `iat`) ahead of now (a
`TOKEN_NOT_BEFORE=30s`, a `notBeforeOffset`, a backdating switch reversed), or a validator's own setting that
removed the leeway the issuer relied on (`JWT_LEEWAY 60 -> 0`, `clock-skew-seconds: 0`). Either way clients use
the token at once and every validator refuses it in its library's words for an early token: golang-jwt `token is
not valid yet` / `token used before issued`, PyJWT `ImmatureSignatureError: The token is not yet valid (iat)`,
jsonwebtoken `NotBeforeError: jwt not active`, jjwt `PrematureJwtException ... must not be accepted before`,
.NET `IDX10222` (not yet valid), Nimbus `JWT before use time`.

A wrong clock on one node (agent.triage.clock) or a time daemon's write (agent.triage.time_source) reads the same
from the validator's side; those are told apart by where the refusals show (one node) and by the daemon. This link
needs none of that: a write within LEAD before the first refusal whose diff names a time-claim setting (not before,
issued at, leeway, clock skew/tolerance, backdate). It is not named when the refusals are confined to a node whose
clock the gauges show off (clock.py explains them), when no such setting was written, or when the write came after
the refusals began. Pure over the facts: the survey's timeline and the validators' logs are enough.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import clock
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.claim_time"
WEIGHT = 0.92
"""A written time-claim setting followed by every validator refusing fresh tokens as early: above the refusing
workload (the symptom) and a neighbour's rollout in the same window, below a node clock the gauges show off."""
LEAD = timedelta(hours=48)
SLACK = timedelta(minutes=2)
"""Log and change clocks differ a little: a refusal first seen more than this before the write predates it."""

EARLY = re.compile(
    r"not valid yet|not yet valid|used before issued|issued in the future|\biat\b[^.;]{0,40}\bfuture|"
    r"jwt not active|NotBeforeError|ImmatureSignatureError|PrematureJwtException|must not be accepted before|"
    r"can't be used before|before use time|IDX1022[23]|\bnbf\b[^.;]{0,40}(?:future|not (?:yet )?(?:reached|valid))|"
    r"\b(?:nbf|iat)\b\"?\s+(?:claim timestamp check failed|not satisfied)|\bjwt used before\b",
    re.I)
"""Token libraries' words for a token refused because its nbf/iat lies ahead of the validator's clock (also panva
jose's `"nbf" claim timestamp check failed`, lestrrat jwx's `"nbf" not satisfied`, Spring Security's `Jwt used
before ...`; their `"exp"` forms are expiry, not this)."""
TOKEN = re.compile(r"token|jwt|claim|assertion|bearer|IDX\d+", re.I)
"""The refusal must be about a token (an x509 `not yet valid` certificate is clock.py's and the CA's story)."""

SETTING = re.compile(
    r"not[_.\s-]?before|notbefore|(?<![a-z])nbf(?![a-z])|issued[_.\s-]?at|(?<![a-z])iat(?![a-z])|leeway|"
    r"clock[_.\s-]?(?:skew|tolerance|drift)|(?:allowed|max)[_.\s-]?(?:clock[_.\s-]?)?skew|backdat", re.I)
"""A written setting about a token's time window: not-before, issued-at, the validator's leeway or clock skew."""


@dataclass
class Early:
    """A time-claim write, and the validators refusing fresh tokens as early since."""

    target: Ref
    change: dict[str, Any]
    written: datetime
    setting: str
    """The diff line (or summary) naming the setting."""
    victims: list[tuple[LogEvidence, str]]
    """(log, the refusal line) of each validator pod refusing early tokens."""
    evidence: list[str]


def _refusal(log: LogEvidence) -> tuple[str, datetime | None]:
    """The log's early-token refusal, and when it was first seen ("" when it has none)."""
    for entry in log.entries():
        line = said_by(entry)
        if EARLY.search(line) and TOKEN.search(line):
            return line, parse_time(entry.get("first_seen"))
    line = next((ln for ln in log.last_lines if EARLY.search(ln) and TOKEN.search(ln)), "")
    return line, None


def _setting(change: dict[str, Any]) -> str:
    """The diff line naming a time-claim setting, else the summary when it names one, else ""."""
    lines = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
    return next((ln for ln in lines if SETTING.search(ln)), "")


def _node_clock_explains(facts: Facts) -> bool:
    """Whether one node's clock is where the time checks fail (its gauges off, or the same workload clean on other
    nodes): clock.py names that node then."""
    return any(s.affected for s in clock.skews(facts))


def found(facts: Facts) -> list[Early]:
    """Each time-claim write made within LEAD before validators began refusing fresh tokens as early."""
    refusing = [(log, line, first) for log in facts.logs for line, first in [_refusal(log)] if line]
    if not refusing or _node_clock_explains(facts):
        return []
    firsts = [first for _, _, first in refusing if first is not None]
    began = min(firsts) if firsts else facts.at
    out: list[Early] = []
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not (began - LEAD <= at <= began + SLACK) or at > facts.at:
            continue
        setting = _setting(change)
        if not setting or any(e.target.same_object(ref) for e in out):
            continue
        out.append(Early(ref, change, at, setting, [(log, line) for log, line, _ in refusing],
                         [e for e in (evidence, *(log.evidence_id for log, _, _ in refusing)) if e]))
    return sorted(out, key=lambda e: e.written, reverse=True)[:1]


def finding(early: Early, at: datetime) -> dict[str, Any]:
    """The write's meaning first (the headline is cut): a token time-claim setting written, fresh tokens refused as
    early by the validators, then the setting and the refusal."""
    log, line = early.victims[0]
    hit = EARLY.search(line)
    start = max(0, hit.start() - 60) if hit else 0
    said = ("..." if start else "") + line.strip()[start:start + 160]
    pods = sorted({log.pod for log, _ in early.victims})
    ago = minutes_text(int((at - early.written).total_seconds() // 60))
    message = (f"{early.target} was written with a token time-claim setting {ago} before the alert "
               f"({early.setting[:160]}): "
               f"tokens now carry a not-before/issued-at the validators do not accept yet (or lost the leeway they "
               f"relied on), so fresh tokens are refused as not valid yet: {log.pod}: '{said}' "
               f"({len(pods)} pod(s) refusing, not one node's clock). Revert the setting, or give the validators "
               f"a leeway above the offset")
    return {"check": CHECK, "severity": "critical", "reason": "TokenTimeClaim",
            "object": {"kind": early.target.kind, "namespace": early.target.namespace, "name": early.target.name},
            "message": message, "evidence": [early.setting[:200], line[:200]],
            "details": {"written": early.written.isoformat(), "setting": early.setting[:200], "refusing_pods": pods}}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the survey's timeline and logs carry the evidence."""
    return None


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write; it explains the workloads whose pods refuse the tokens."""
    out = []
    for early in found(facts):
        victims = list({(log.namespace, workload_of_pod(log.pod)): Ref("", log.namespace, workload_of_pod(log.pod))
                        for log, _ in early.victims}.values())
        out.append((early.target, finding(early, facts.at), early.evidence,
                    [v for v in victims if not early.target.same_object(Ref(early.target.kind, v.namespace, v.name))]))
    return out
