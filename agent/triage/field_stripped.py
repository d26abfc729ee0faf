"""A pipeline's configuration now removes a field from the records it forwards, and a consumer rejects them for it.

Log and event shippers (Fluent Bit, Fluentd, Vector, Logstash, the OpenTelemetry Collector) reshape records on
their way to a topic or an index, and a change made for privacy or cost (redact a client address, drop a user
agent) is one line in their configuration: Fluent Bit's `modify` filter `Remove client_ip`, Fluentd's
`remove_keys`, Vector's `del(.client_ip)`, Logstash's `remove_field => ["client_ip"]`, the Collector's attributes
processor `key: client_ip` / `action: delete`. The shipper reloads and keeps delivering, so nothing on its side
errors; the consumer downstream that needs the field rejects every record in its own words (Rust serde `missing
field `client_ip``, Python `KeyError: 'client_ip'`, JSON Schema `'client_ip' is a required property`, Jackson
`Missing required creator property 'clientIp'`, `required field client_ip is missing`) and its output stalls.

The change timeline shows only that a ConfigMap key was written, not what it says, so `read` (only when a
consumer's missing-field rejection is in the survey's logs) reads the ConfigMaps written in the lead. `found`
names the one whose text removes exactly the field the rejections name (the field on a line with a removing
verb, or beside an `action: delete` line), when the rejections began after the write. A text that names the
field without removing it, another field removed, or rejections older than the write name nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import limit_hit
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]

CHECK = "change.field_stripped"
WEIGHT = 0.9
"""The configuration write that removes the very field a consumer rejects records for explains its stalled output:
above the consumer's own warnings, which are where the symptom shows."""
READS = "field_stripped"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_CONFIGS = 4
_F = r"(?P<f>[A-Za-z_][\w.-]{1,63})"
MISSING = re.compile(
    rf"missing (?:required )?(?:field|key|property|attribute|column)s?\W{{0,3}}{_F}|"
    rf"KeyError: ['\"]{_F.replace('?P<f>', '?P<k>')}['\"]|"
    rf"['\"]{_F.replace('?P<f>', '?P<s>')}['\"] is a required property|"
    rf"Missing required creator property ['\"]{_F.replace('?P<f>', '?P<j>')}|"
    rf"(?:field|key|property) [`'\"]?{_F.replace('?P<f>', '?P<g>')}[`'\"]? "
    r"(?:is )?(?:missing|required|not found|not set)", re.I)
"""A consumer's rejection of a record that lacks a field, in several libraries' words, naming the field."""
REMOVES = re.compile(r"\b(?:remove\w*|delete\w*|del|drop\w*|exclude\w*|prune\w*|strip\w*|rename\w*)\b", re.I)
"""Verbs of a pipeline configuration that take a field away (a rename takes it away under its old name)."""


@dataclass(frozen=True)
class Stripped:
    """A configuration that removes a field and the consumer's rejections for lacking it."""

    target: Ref
    field: str
    block: str
    minutes_before: int
    log: LogEvidence
    rejection: str
    evidence: list[str]


def missing_field(text: str) -> str | None:
    """The field a rejection says a record lacks, else None."""
    match = MISSING.search(text)
    if match is None:
        return None
    return next(v for v in match.groupdict().values() if v).strip("`'\".")


def removal(text: str, name: str) -> str | None:
    """The block of a configuration text that removes the field `name` (its lines up to the removing line, from
    the block's start, at most four), else None."""
    lines = text.replace("\\n", "\n").splitlines()
    word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for i, line in enumerate(lines):
        if not word.search(line):
            continue
        near = [line, *lines[max(i - 1, 0):i], *lines[i + 1:i + 2]]
        if REMOVES.search(line) or any(re.search(r"action\W{1,3}(?:delete|drop)", n, re.I) for n in near):
            start = i
            while start > 0 and lines[start - 1].strip() and i - start < 3:
                start -= 1
            return "; ".join(x.strip() for x in lines[start:i + 1] if x.strip())
    return None


def _rejections(facts: Facts) -> list[tuple[LogEvidence, str, str, datetime | None]]:
    """(log, field, line, first seen) of each missing-field rejection in the logs read."""
    out: list[tuple[LogEvidence, str, str, datetime | None]] = []
    for log in limit_hit.all_logs(facts):
        for e in log.entries():
            text = f"{said_by(e)} {e.get('exception') or ''}".strip()
            name = missing_field(text)
            if name is not None:
                out.append((log, name, text, parse_time(e.get("first_seen"))))
    return out


async def read(facts: Facts, call: Call) -> None:
    """When a consumer rejects records for a missing field: the text of the ConfigMaps written in the lead."""
    if not _rejections(facts):
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"texts": {}, "evidence": {}})
    for _, _, target in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False):
        if str(target) in store["texts"] or len(store["texts"]) >= MAX_CONFIGS:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"survey-field-stripped-{target.name}")
        if got is not None:
            store["texts"][str(target)] = json.dumps(got[0].get("data") or {})
            store["evidence"][str(target)] = got[1]


def found(facts: Facts) -> list[Stripped]:
    """The newest ConfigMap written before the rejections whose text removes the field they name."""
    store = facts.reads.get(READS) or {}
    texts: dict[str, str] = store.get("texts") or {}
    rejections = _rejections(facts)
    out: list[Stripped] = []
    for change, evidence_id, target in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False):
        at, text = parse_time(change.get("at")), texts.get(str(target))
        if at is None or text is None or any(o.target.same_object(target) for o in out):
            continue
        for log, name, line, first in rejections:
            block = removal(text, name)
            if block is None or (first is not None and first < at - SLACK):
                continue
            if any(n == name and f is not None and f < at - SLACK for _, n, _, f in rejections):
                continue  # the same rejections before the write: not its doing
            out.append(Stripped(target, name, block[:200], int((facts.at - at).total_seconds() // 60), log,
                                line[:200], [e for e in (evidence_id, store.get("evidence", {}).get(str(target)),
                                                         log.evidence_id) if e]))
            break
    return sorted(out, key=lambda s: s.minutes_before)[:1]


def finding(s: Stripped) -> dict[str, Any]:
    """The write and the field it strips first, then the consumer's rejections."""
    return {
        "check": CHECK, "severity": "critical", "reason": "FieldStripped",
        "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
        "message": (f"{s.target}, written {minutes_text(s.minutes_before)} before the alert, now removes the field "
                    f"{s.field} from the records it forwards ('{s.block}'): a filter that strips (redacts) it, "
                    f"so the consumer downstream that needs {s.field} rejects every record; {s.log.pod}'s logs say "
                    f"'{s.rejection}'. Keep {s.field} for that consumer (or hash it) in this pipeline"),
        "evidence": [s.block],
        "details": {"field": s.field, "minutes_before": s.minutes_before},
    }


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], LogEvidence, list[str]]]:
    """(written ConfigMap, finding, the consumer's log, evidence ids) for rank."""
    return [(s.target, finding(s), s.log, s.evidence) for s in found(facts)]
