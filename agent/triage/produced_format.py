"""A producer's new version writes shared data in a format its consumers' parsers reject.

Two workloads that share data through a store rather than a call (an object-store key, a bucket, a file share) have
a contract nobody deploys: the producer's serialiser. A new producer image (a batch CronJob, a publisher Deployment)
that changes how it writes a field, a time as `...Z` instead of `...+00:00`, a number as a string, a renamed key,
leaves the producer healthy and every run green, while each consumer that reads the new object rejects it with its
parser's words (Go's `parsing time ... cannot parse "Z" as "-07:00"`, Python's `time data '...' does not match
format`, Java's `DateTimeParseException: Text '...' could not be parsed`, `json: cannot unmarshal string into Go
struct field`, `invalid format`, `unexpected token`) naming the object it read (`s3://bucket/key`, `gs://...`, a
structured log's `bucket=...` field). It then keeps serving stale data, so the alert is about staleness.

The link is the location: the consumer's rejection names it, and a workload written in the LEAD (its image or
version) names the same bucket in its own spec (args, env): that producer is named when every rejection its
consumer logged for the location came after the write. Not named: a workload whose spec does not name the
location, a write after the first rejection, a rejection that names no location, the consumer's own workload.

`read` (reading only, only when a rejection naming a location is in the survey's logs) reads the workloads
written lately and the consumer's log lines for that location; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.produced_format"
WEIGHT = 0.9
"""The producer's write tied by location and time to its consumer's parse rejections: above the consumer's own
error, which is where the symptom shows, not where it was caused."""
STORE = "produced_format"
LEAD = timedelta(hours=24)
KINDS = ("CronJob", "Deployment", "StatefulSet", "Job", "DaemonSet")
MAX_WRITES = 4
MIN_LINES = 2
_REJECT = re.compile(r"cannot parse|could not be parsed|unable to parse|failed to parse|parse error|parsing time|"
                     r"does not match format|invalid format|cannot unmarshal|unexpected token|malformed|"
                     r"DateTimeParseException|JsonParseException|deserializ|MismatchedInputException|"
                     r"InvalidFormatException|invalid character '|invalid type: |missing field `|"
                     r"could not convert string|invalid literal for|strconv\.Parse\w+: parsing|ParserError|"
                     r"AvroTypeException|SchemaParseException", re.I)
"""Parsers' words for data they refuse: Go (time, encoding/json, strconv), Python (datetime, float/int, pandas),
Java (java.time, Jackson), Rust's serde, Avro."""
_LOCATION = re.compile(r"\b(?:s3a?|gs|az|abfss?|wasbs?|oss|cos|r2|swift|hdfs)://([a-z0-9][a-z0-9._-]{2,62})|"
                       r"\bbucket[\"']?\s*[=:]\s*[\"']?([a-z0-9][a-z0-9._-]{2,62})", re.I)
"""A store location: a URL with a store scheme, or a structured log's bucket field (`bucket=x`, `"bucket": "x"`)."""
_STAMP = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_SUMMARY = re.compile(r"\s*(?:repeated \d+x:|\[\d+ earlier lines)")
Call = Callable[..., Awaitable[Any]]


def _rejections(facts: Facts) -> list[tuple[str, str, str]]:
    """(namespace, pod, bucket) of the survey's log lines that reject data read from a store location."""
    out: list[tuple[str, str, str]] = []
    for log in facts.logs:
        for line in [said_by(e) for e in log.entries()] + log.last_lines:
            m = _LOCATION.search(line)
            bucket = (m.group(1) or m.group(2)).lower() if m else ""
            if bucket and _REJECT.search(line) and (log.namespace, log.pod, bucket) not in out:
                out.append((log.namespace, log.pod, bucket))
    return out[:3]


def _time_of(line: str) -> datetime | None:
    """The line's own time: the first timestamp it prints (the logger's, before any quoted value)."""
    m = _STAMP.search(line)
    if m is None:
        return None
    text = m.group(0).replace("/", "-").replace(" ", "T")
    return parse_time(text if re.search(r"Z|[+-]\d{2}:?\d{2}$", text) else text + "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when the survey's logs reject data from a store location, the workloads written in the LEAD
    (their spec's words) and the consumer's log lines for that location (when each rejection was)."""
    rejections = _rejections(facts)
    if STORE in facts.reads or not rejections:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"producers": [], "consumers": []})
    consumers = {(ns, workload_of_pod(pod)) for ns, pod, _ in rejections}
    seen: set[str] = set()
    for change, evidence, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        if str(target) in seen or (target.namespace, target.name) in consumers or len(seen) >= MAX_WRITES:
            continue
        seen.add(str(target))
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-produced-{target.name}")
        if got is None:
            continue
        spec = pod_spec_words.pod_template(got[0]).get("spec") or {}
        text = " ".join(t for _, t in pod_spec_words.words(pod_spec_words.walk(spec)))
        store["producers"].append({"ref": [target.kind, target.namespace, target.name], "text": text[:4000],
                                   "at": change.get("at"), "by": written_by(change),
                                   "summary": str(change.get("summary") or "")[:300],
                                   "evidence": [evidence, got[1]]})
    if not store["producers"]:
        return
    for ns, pod, bucket in rejections:
        got_log = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 2000, "grep": bucket},
                             f"survey-produced-log-{pod}")
        text = str(getattr(got_log, "full_text", "") or "") if got_log is not None and got_log.ok else ""
        lines = [" ".join(ln.split())[:400] for ln in text.splitlines()[1:] if _REJECT.search(ln)
                 and not _SUMMARY.match(ln)]  # the tool's `repeated Nx: <template>` lines carry no time
        first = _time_of(lines[0]) if lines else None
        store["consumers"].append({"pod": [ns, pod], "bucket": bucket, "lines": lines[:1] + lines[-2:],
                                   "count": len(lines), "first": first.isoformat() if first else None,
                                   "evidence": getattr(got_log, "evidence_id", "") if lines else ""})


@dataclass
class Produced:
    """A producer written before its consumer began rejecting what it reads from the location both name."""

    producer: Ref
    consumer: Ref
    bucket: str
    written: datetime
    by: str
    summary: str
    said: str
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Produced]:
    """Producers whose spec names the location a consumer rejects data from, written before its first rejection."""
    kept = facts.reads.get(STORE) or {}
    out: list[Produced] = []
    for consumer in kept.get("consumers") or []:
        first = parse_time(consumer.get("first"))
        if first is None or int(consumer.get("count") or 0) < MIN_LINES:
            continue
        bucket = str(consumer.get("bucket"))
        for producer in kept.get("producers") or []:
            written = parse_time(producer.get("at"))
            names = re.search(r"(?<![\w.-])" + re.escape(bucket) + r"(?![\w-])", str(producer.get("text")), re.I)
            if written is None or names is None or written > first:
                continue
            out.append(Produced(Ref(*producer["ref"]), Ref("Pod", *consumer["pod"]), bucket, written,
                                str(producer.get("by") or ""), str(producer.get("summary") or ""),
                                str((consumer.get("lines") or [""])[-1]),
                                [e for e in [*producer.get("evidence", []), consumer.get("evidence")] if e]))
    return out[:1]


def finding(hit: Produced, at: datetime) -> dict[str, Any]:
    """What the producer's write did (the data it writes is no longer what its consumer parses), then the proof."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    message = (f"{hit.producer} was written{' by ' + hit.by if hit.by else ''} {ago} before the alert "
               f"({hit.summary[:160]}) and writes the data in {hit.bucket} that {hit.consumer.name} reads; since "
               f"then {hit.consumer.name} rejects what it reads there with a parse error (a changed format: a "
               f"time layout, a field's type or name): '{hit.said[:240]}'. Roll the producer back or make the "
               f"consumer's parser accept the new format")
    return {"check": CHECK, "severity": "critical", "reason": "ProducedFormatRejected",
            "object": {"kind": hit.producer.kind, "namespace": hit.producer.namespace, "name": hit.producer.name},
            "message": message, "evidence": [hit.said[:300]],
            "details": {"bucket": hit.bucket, "consumer": str(hit.consumer),
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The producer, explaining the consumer pod that rejects its data."""
    return [(h.producer, finding(h, facts.at), h.evidence, [h.consumer]) for h in found(facts)]
