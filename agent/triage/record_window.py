"""A store's acceptance window for record timestamps narrowed: writers' late records are refused since.

Stores that keep time-series or event data check each record's OWN timestamp (the producer's CreateTime, a log
line's time, a sample's time) against their clock, and refuse what falls outside a configured window: Kafka's
topic/broker `message.timestamp.before.max.ms` / `after.max.ms` (and the older `message.timestamp.difference.max.
ms`) with CreateTime, Loki's `reject_old_samples_max_age`, Mimir/Cortex `out_of_order_time_window` and
`creation_grace_period`, Prometheus remote-write `out_of_order_time_window`. Writers that send late data (mobile
SDKs replaying an offline buffer, a backfill, an agent catching up after an outage) work until the window is
written shorter than their lateness; then every late batch is refused in the store's words: Kafka
`InvalidTimestampException: Timestamp ... of message with offset 0 is out of range`, sarama/franz-go
`INVALID_TIMESTAMP` / `The timestamp of the message is out of acceptable range`, Loki `entry ... has timestamp too
old`, an Elasticsearch time-series data stream's `index.look_back_time`/`look_ahead_time` (`the document
timestamp ... is outside of ranges of currently writable indices`), Mimir `err-mimir-sample-timestamp-too-old` /
`out of bounds`, Prometheus `too old sample`.

So: a write within LEAD before the writers' first such refusal whose diff names a record-time window (timestamp
before/after/difference max, max sample/entry age, reject_old_samples, out-of-order or creation grace window).
When several qualify, the one whose object the refusal names (its topic or stream, separators aside) wins. Not named:
a write of another setting (retention, partitions), a window write while the writers fail otherwise (record too
large, authorization), a write made after the refusals began. Pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.record_window"
WEIGHT = 0.92
"""The write that narrowed the window, above the refusing writer (the symptom) and a neighbour's rollout."""
LEAD = timedelta(hours=48)
SLACK = timedelta(minutes=2)

REFUSED = re.compile(
    r"InvalidTimestampException|INVALID_TIMESTAMP|timestamp of (?:the )?message is out of (?:acceptable )?range|"
    r"Timestamp \d+ of message .{0,40}out of range|timestamp too old|too old sample|sample[- ]timestamp[- ]too[- ]old|"
    r"entry too far behind|greater_than_max_sample_age|timestamp[^.;]{0,40}\b(?:too far in the past|out of bounds)|"
    r"older than (?:the )?(?:max(?:imum)? )?(?:accepted|acceptable|allowed) (?:age|timestamp)|"
    r"outside of ranges of currently writable indices", re.I)
"""A store's words for refusing a record because its own timestamp lies outside the accepted window."""

WINDOW = re.compile(
    r"timestamp[._-]?(?:before|after|difference)[._-]?max|max[._-]?(?:sample|entry|record|message|event)[._-]?age|"
    r"reject[._-]?old[._-]?samples|out[._-]?of[._-]?order[._-]?time[._-]?window|creation[._-]?grace[._-]?period|"
    r"(?:allowed|max)[._-]?lateness|late[._-]?(?:record|data|arrival)s?[._-]?(?:window|max|limit)|"
    r"look[._-]?(?:back|ahead)[._-]?time", re.I)
"""A written setting that bounds how old (or how far ahead) a record's own timestamp may be (not an HTTP cache's
`max-age`: the record's kind is named)."""


@dataclass
class Narrowed:
    """A window write, and the writers refused for their records' timestamps since."""

    target: Ref
    change: dict[str, Any]
    written: datetime
    setting: str
    victims: list[tuple[LogEvidence, str]]
    named: bool
    """Whether a refusal names the written object (its topic or stream)."""
    evidence: list[str]


def _refusal(log: LogEvidence) -> tuple[str, datetime | None]:
    for entry in log.entries():
        text = " ".join(str(entry.get(k) or "") for k in ("message", "example"))
        if REFUSED.search(text):
            return said_by(entry) if REFUSED.search(said_by(entry)) else text, parse_time(entry.get("first_seen"))
    return next((ln for ln in log.last_lines if REFUSED.search(ln)), ""), None


def _flat(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _names(target: Ref, logs: list[LogEvidence]) -> bool:
    """Whether a refused writer's words name the written object (separators aside: app.events vs app-events); the
    topic is often on the line before the refusal (`... to topic app.events:`)."""
    name = _flat(target.name)
    texts = [*(said_by(e) for log in logs for e in log.entries()), *(ln for log in logs for ln in log.last_lines)]
    return len(name) >= 6 and any(name in _flat(text) for text in texts)


def found(facts: Facts) -> list[Narrowed]:
    """The window write made within LEAD before writers began to be refused for their records' timestamps."""
    refused = [(log, line, first) for log in facts.logs for line, first in [_refusal(log)] if line]
    if not refused:
        return []
    firsts = [first for _, _, first in refused if first is not None]
    began = min(firsts) if firsts else facts.at
    out: list[Narrowed] = []
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not (began - LEAD <= at <= began + SLACK) or at > facts.at:
            continue
        setting = next((str(d) for d in [*(change.get("diff") or []), change.get("summary") or ""]
                        if WINDOW.search(str(d))), "")
        if not setting or any(n.target.same_object(ref) for n in out):
            continue
        out.append(Narrowed(ref, change, at, setting, [(log, line) for log, line, _ in refused],
                            _names(ref, [log for log, _, _ in refused]),
                            [e for e in (evidence, *(log.evidence_id for log, _, _ in refused)) if e]))
    return sorted(out, key=lambda n: (not n.named, -n.written.timestamp()))[:1]


def finding(n: Narrowed, at: datetime) -> dict[str, Any]:
    """The window's meaning first (the headline is cut), then the setting and a refusal."""
    log, line = n.victims[0]
    hit = REFUSED.search(line)
    start = max(0, hit.start() - 40) if hit else 0
    said = ("..." if start else "") + line.strip()[start:start + 200]
    ago = minutes_text(int((at - n.written).total_seconds() // 60))
    message = (f"{n.target} was written {ago} before the alert to narrow the window of record timestamps it accepts "
               f"({n.setting[:160]}): records whose own timestamp (CreateTime, event time) is older than that are "
               f"refused, so writers sending late or buffered records fail: {log.pod}: '{said}'. Widen the window "
               f"again (or let the store stamp arrival time) and replay the refused records")
    return {"check": CHECK, "severity": "critical", "reason": "RecordWindowNarrowed",
            "object": {"kind": n.target.kind, "namespace": n.target.namespace, "name": n.target.name},
            "message": message, "evidence": [n.setting[:200], line[:200]],
            "details": {"written": n.written.isoformat(), "setting": n.setting[:200], "named": n.named}}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the survey's timeline and the writers' logs carry the evidence."""
    return None


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The write; it explains the refused writers."""
    out = []
    for n in found(facts):
        victims = list({(log.namespace, workload_of_pod(log.pod)): Ref("", log.namespace, workload_of_pod(log.pod))
                        for log, _ in n.victims}.values())
        out.append((n.target, finding(n, facts.at), n.evidence, victims))
    return out
