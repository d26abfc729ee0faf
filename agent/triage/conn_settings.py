"""A recent write that changed a consistency or availability parameter inside a connection string.

A revision whose env `MONGODB_URI` gained `readPreference=secondary`, a ConfigMap whose
`DATABASE_URL` lost `target_session_attrs=read-write`: the timeline prints the whole variable, and
nothing errors when reads merely go stale. `agent.triage.conn_string` reads both versions at
parameter level; this module keeps the writes (rollout env lines, ConfigMap data keys, within
`LEAD`) whose changed parameter has a meaning, and confirms each with its own symptom: for stale
reads a replication-lag series of the datastore above `LAG_SECONDS` (MongoDB exporter, postgres
exporter, mysqld exporter names), for the others the clients' errors in the words the table quotes.
The finding names the object, the parameter old -> new, what the driver then does and the proof;
the password of the URL is never shown.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import conn_string
from agent.triage.facts import Facts, Ref, parse_time

CHECK = "change.conn_settings"
WEIGHT = 0.9
LEAD = timedelta(hours=12)
"""Stale reads are noticed by users late: a write up to half a day before the page is read."""
LAG_SECONDS = 5.0
"""Replication lag above this makes a read from a secondary visibly stale to the user who just wrote."""
READS = "conn_settings"
LAG_METRICS = (r".*(replication_lag|replica_lag|replication_delay|seconds_behind_(master|source)|"
               r"replication_lag_seconds|repl_lag|lag_seconds).*")
Call = Callable[..., Awaitable[Any]]

_ENV = re.compile(r"^(?P<c>\S+) env (?P<key>[A-Za-z_][\w.]*)=(?P<old>'.*'|\S+) -> (?P=key)=(?P<new>'.*'|\S+)$")
_DATA = re.compile(r"^data key (?P<key>\S+) (?P<old>'.*') -> (?P<new>'.*')")
_ERRORS = {
    conn_string.WRITES: re.compile(r"read-only transaction|not ?primary|NotWritablePrimary|not master", re.I),
    conn_string.TLS: re.compile(r"ssl|tls|certificate|no encryption", re.I),
    conn_string.CONNECT: re.compile(r"timed? ?out|timeout", re.I),
}


def _unquote(value: str) -> str:
    try:
        return str(ast.literal_eval(value)) if value[:1] in "'\"" else value
    except (ValueError, SyntaxError):
        return value


@dataclass
class ConnSetting:
    """A write that changed a connection-string parameter with a meaning, and what confirms its effect."""

    target: Ref
    change: dict[str, Any]
    key: str
    readings: list[conn_string.Reading]
    proof: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _changes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    out = [(c, facts.changes_id or "") for c in facts.change_list()]
    out += [(c, e) for h, e in facts.history for c in h.get("changes") or [] if isinstance(c, dict)]
    return out


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, str, list[conn_string.Reading], str]]:
    """Every recent write with a connection-string parameter the table explains: (change, object, key, readings,
    evidence id)."""
    out = []
    seen: set[tuple[str, str]] = set()
    for change, evidence in _changes(facts):
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        for line in (str(d) for d in change.get("diff") or []):
            m = _ENV.match(line) or _DATA.match(line)
            if m is None or (str(target), m["key"]) in seen:
                continue
            found = conn_string.readings(_unquote(m["old"]), _unquote(m["new"]))
            if found:
                seen.add((str(target), m["key"]))
                out.append((change, target, m["key"], found, evidence))
    return out


def _lag(facts: Facts) -> tuple[str, str]:
    """The largest replication lag the survey read (`31s on accounts-mongo-1...`) and its evidence, or ("", "")."""
    best: tuple[float, str, str] = (0.0, "", "")
    for data, evidence in facts.metrics:
        for s in data.get("samples") or []:
            labels = (s.get("labels") or {}) if isinstance(s, dict) else {}
            value = s.get("value") if isinstance(s, dict) else None
            name = str(labels.get("__name__") or "")
            if isinstance(value, (int, float)) and re.fullmatch(LAG_METRICS, name) and value > best[0]:
                where = labels.get("name") or labels.get("instance") or labels.get("pod") or labels.get("service") or ""
                best = (float(value), f"{name} {value:g}s on {where}".strip(), evidence)
    return (best[1], best[2]) if best[0] >= LAG_SECONDS else ("", "")


def _log_proof(facts: Facts, pattern: re.Pattern[str]) -> tuple[str, str]:
    for log in facts.logs:
        tops = [log.top, *log.more] if log.top else list(log.more)
        texts = [str(e.get("message") or e.get("line") or "") for e in tops if isinstance(e, dict)] + list(
            log.last_lines)
        hit = next((t for t in texts if pattern.search(t)), None)
        if hit:
            return f"{log.namespace}/{log.pod}: {hit[:200]}", log.evidence_id
    return "", ""


def found(facts: Facts) -> list[ConnSetting]:
    """The candidates whose symptom is confirmed (lag for stale reads, the clients' own errors otherwise)."""
    out: list[ConnSetting] = []
    for change, target, key, readings, evidence in candidates(facts):
        proof, seen = "", ""
        for r in readings:
            if r.meaning.effect == conn_string.STALE:
                proof, seen = _lag(facts)
            else:
                proof, seen = _log_proof(facts, _ERRORS[r.meaning.effect])
            if proof:
                readings = [r, *[x for x in readings if x is not r]]
                break
        if not proof:
            continue
        at = parse_time(change.get("at"))
        minutes = int((facts.at - at).total_seconds() // 60) if at else 0
        out.append(ConnSetting(target, change, key, readings, proof, minutes, [e for e in (evidence, seen) if e]))
    return out


def finding(c: ConnSetting) -> dict[str, Any]:
    """The object, the parameter old -> new inside which variable, what the driver does, and the proof."""
    first = c.readings[0]
    message = (f"{c.target} changed a connection-string parameter of {c.key} {c.minutes_before} min before the "
               f"incident: {first.text()}. Confirmed: {c.proof}. Restore the parameter's old value")
    return {"check": CHECK, "severity": "critical", "object": c.change.get("object"), "reason": "ConnectionSetting",
            "message": message, "evidence": [c.proof, first.text()[:200]],
            "details": {"key": c.key, "parameter": first.change.path.removeprefix("params."),
                        "old": first.change.old, "new": first.change.new, "change_at": c.change.get("at")}}


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: when a recent write changed a stale-read parameter, the replication-lag gauges at `at`."""
    wanted = [r for *_, rs, _ in candidates(facts) for r in rs if r.meaning.effect == conn_string.STALE]
    if not wanted or _lag(facts)[0]:
        return
    outcome = await call("prom_query", {"query": f'{{__name__=~"{LAG_METRICS}"}}', "time": at}, "survey-conn-lag")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict) and outcome.data.get("samples"):
        facts.metrics.append((outcome.data, outcome.evidence_id))
