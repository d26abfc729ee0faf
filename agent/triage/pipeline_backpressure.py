"""A log pipeline set to push back when full: the applications that ship to it synchronously stall with it.

A log or telemetry aggregator (Fluentd, Fluent Bit, Vector, the OpenTelemetry Collector) buffers what it receives
before its sink. What it does when that buffer is full is a setting: drop (Fluentd `overflow_action
drop_oldest_chunk`, Vector `when_full: drop_newest`), or push back on its senders (Fluentd `overflow_action block` or
`throw_exception`, Fluent Bit `storage.pause_on_chunks_overlimit on` or a `Mem_Buf_Limit` on its forward/http
input, Vector `when_full: block`, the Collector's `sending_queue` `block_on_overflow: true`). Pushing back is safe
for agents that tail files; it is not for applications whose log appender sends synchronously (fluency's
`FluencyLogbackAppender`, fluent-logger-golang, fluent-logger-python, a log4j/logback appender with a bounded queue,
an OpenTelemetry SDK exporter): when the sink slows, the aggregator's buffer fills, it stops accepting, the client's
own buffer fills (`BufferFullException: Buffer is full`, `fluent#appendBuffer: Buffer full`, `queue is full`) and
every request thread that logs waits. The page is the application's latency; the cause is the pipeline config write
that chose to block, not the application and not the slow sink.

The survey (`read`, reading only) acts only when a workload's logs say its log client's buffer is full, and reads
the ConfigMaps (and workloads) written in the LEAD before that hold a log pipeline's config, and one pod of the
aggregator reading it (its own words: `buffer overflow action=:block`, `paused`). `found` names the write whose
config blocks when full; a pipeline that drops when full, or no client buffer-full words, names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.pipeline_backpressure"
WEIGHT = 0.93
"""The write that made the pipeline push back explains the stalled sender: above its own log errors (0.4)."""
STORE = "pipeline_backpressure"
LEAD = timedelta(hours=24)
MAX_WRITES = 4
WORKLOADS = ("DaemonSet", "Deployment", "StatefulSet")

CLIENT_FULL = re.compile(
    r"BufferFullException|Buffer is full|appendBuffer: Buffer full|fluent#\w+: Buffer full|BufferOverflowError|"
    r"(?:log|logging|appender|emit|span|record|event)s?\b[^\n]{0,60}\b(?:buffer|queue) (?:is )?full|"
    r"(?:buffer|queue) (?:is )?full[^\n]{0,60}\b(?:log|logs|logging|appender|spans?|records?)\b|"
    r"Failed to emit a log event|ring ?buffer (?:is )?full", re.I)
"""A log/telemetry client library's own words for its buffer being full: fluency (`BufferFullException: Buffer is
full`), fluent-logger-golang (`fluent#appendBuffer: Buffer full, limit`), fluent-logger-python
(`BufferOverflowError`), logback/log4j async appenders and OpenTelemetry SDK exporters (`queue is full`, `ring
buffer full`), the logback-more-appenders' `Failed to emit a log event`."""


@dataclass(frozen=True)
class Setting:
    """One push-back setting a pipeline config holds, in its software's words."""

    software: str
    said: str


_BLOCKING: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Fluentd", re.compile(r"overflow_action\s+(?:block|throw_exception)\b", re.I)),
    ("Fluent Bit", re.compile(r"storage\.pause_on_chunks_overlimit\s*:?\s*(?:on|true)\b", re.I)),
    ("Vector", re.compile(r"when_full\s*[:=]\s*[\"']?block\b[\"']?", re.I)),
    ("OpenTelemetry Collector", re.compile(r"block_on_overflow\s*:\s*true|\bblocking\s*:\s*true", re.I)),
)
"""Each pipeline's setting that makes it stop accepting (or refuse) its senders when its buffer is full."""

_FB_INPUT_LIMIT = re.compile(r"(?ims)^\s*\[INPUT\]\s*$(?:(?!^\s*\[).)*?^\s*name\s+(?:forward|http|tcp|opentelemetry)\b"
                             r"(?:(?!^\s*\[).)*?^\s*mem_buf_limit\s+\S+")
"""Fluent Bit as an aggregator: a receiving input (forward, http, tcp, opentelemetry) with `Mem_Buf_Limit`, which
pauses that input (its senders refused) when the limit is reached."""

_FB_YAML_INPUT_LIMIT = re.compile(r"(?ims)^(\s*)-\s*name\s*:\s*[\"']?(?:forward|http|tcp|opentelemetry)\b"
                                  r"(?:(?!^\1-\s).)*?^\s*mem_buf_limit\s*:\s*\S+")
"""The same receiving input in Fluent Bit's YAML config (`pipeline: inputs: - name: forward` ... `mem_buf_limit:`),
within one list item (the next `- name:` at the same indent ends it)."""

_SIZE = re.compile(r"(total_limit_size|max_size|queue_size|mem_buf_limit|storage\.total_limit_size)\s*[:=]?\s*"
                   r"([\"']?[\d.]+\s*[kmgtKMGT]?i?[bB]?)", re.I)

PIPELINE_OUTPUT = re.compile(r"buffer overflow|BufferOverflowError|failed to write data into buffer|"
                             r"\bpaused\b.*(?:mem buf|overlimit|chunks)|buffer (?:is )?full|sending queue is full|"
                             r"dropping data because sending_queue is full", re.I)
"""The aggregator's own words for its full buffer pushing back (Fluentd, Fluent Bit, Vector, the Collector)."""

Call = Callable[..., Awaitable[Any]]


def client_full(log: LogEvidence) -> str:
    """The line of a workload's log that says its log client's buffer is full, or ""."""
    for entry in log.entries():
        for text in (said_by(entry), str(entry.get("template") or "")):
            if CLIENT_FULL.search(text):
                return " ".join(text.split())[:240]
    return next((ln for ln in log.last_lines if CLIENT_FULL.search(ln)), "")


def blocking(text: str) -> Setting | None:
    """The push-back setting a pipeline config holds (None when it drops when full, or is no pipeline's)."""
    for software, pattern in _BLOCKING:
        m = pattern.search(text)
        if m is not None:
            return Setting(software, _with_size(text, " ".join(m.group(0).split())))
    m = _FB_INPUT_LIMIT.search(text) or _FB_YAML_INPUT_LIMIT.search(text)
    if m is not None:
        limit = re.search(r"(?im)mem_buf_limit\s*:?\s+\S+", m.group(0))
        return Setting("Fluent Bit", f"forward input {' '.join(limit.group(0).split()) if limit else ''}".strip())
    return None


def _with_size(text: str, said: str) -> str:
    sizes = [f"{m.group(1)} {m.group(2).strip(chr(34) + chr(39))}" for m in _SIZE.finditer(text)]
    return f"{said} ({sizes[0]})" if sizes else said


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a workload's log client says its buffer is full: the pipeline configs written before."""
    if STORE in facts.reads or not any(client_full(log) for log in facts.logs):
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for change, evidence, target in facts.writes_to(("ConfigMap", *WORKLOADS), within=LEAD, deletions=False):
        if len(store) >= MAX_WRITES or any(e["ref"] == [target.kind, target.namespace, target.name] for e in store):
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-backpressure-{target.name}")
        if got is None:
            continue
        obj, got_id = got
        text = "\n".join(str(v) for v in (obj.get("data") or {}).values()) if target.kind == "ConfigMap" else \
            " ".join(str(a) for c in ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get(
                "containers") or [] for a in [*(c.get("args") or []), *(c.get("command") or [])])
        setting = blocking(text)
        if setting is None:
            continue
        entry: dict[str, Any] = {"ref": [target.kind, target.namespace, target.name], "change": change,
                                 "software": setting.software, "said": setting.said, "line": "",
                                 "evidence": [e for e in (evidence, got_id) if e]}
        readers = [target] if target.kind in WORKLOADS else \
            [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None and r.kind in WORKLOADS]
        for reader in readers[:1]:
            pod = await pod_of(call, reader, f"survey-backpressure-pods-{reader.name}")
            if pod:
                logs = await call("k8s_logs", {"name": pod, "namespace": reader.namespace, "tail": 300},
                                  f"survey-backpressure-log-{pod}")
                lines = str(getattr(logs, "full_text", "") or "").splitlines() if logs is not None and logs.ok else []
                said = [ln for ln in lines if PIPELINE_OUTPUT.search(ln)]
                if said and logs is not None:
                    entry["line"] = " ".join(said[-1].split())[:240]
                    entry["evidence"].append(logs.evidence_id)
            entry["reader"] = [reader.kind, reader.namespace, reader.name]
        store.append(entry)


@dataclass
class PushBack:
    """A pipeline config written to block when full, before a sender's log client found its buffer full."""

    config: Ref
    written: datetime
    by: str
    software: str
    said: str
    client: str
    sender: str
    pipeline_said: str
    reader: Ref | None
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[PushBack]:
    """The written pipeline config that blocks when full, ahead of the senders' buffer-full errors."""
    senders = [(log, line) for log in facts.logs for line in [client_full(log)] if line]
    if not senders:
        return []
    out: list[PushBack] = []
    for entry in facts.reads.get(STORE) or []:
        when = parse_time(entry["change"].get("at"))
        if when is None:
            continue
        first = [parse_time((log.top or {}).get("first_seen")) for log, _ in senders]
        if first and all(f is not None and f < when for f in first):
            continue  # every sender was already full before the write: not what the write did
        log, line = senders[0]
        reader = Ref(*entry["reader"]) if entry.get("reader") else None
        out.append(PushBack(Ref(*entry["ref"]), when, written_by(entry["change"]), entry["software"], entry["said"],
                            line, log.pod, str(entry.get("line") or ""), reader,
                            [Ref("Deployment", lg.namespace, workload_of_pod(lg.pod)) for lg, _ in senders],
                            [*entry["evidence"], *(lg.evidence_id for lg, _ in senders)]))
    return out[:1]


def finding(hit: PushBack, at: datetime) -> dict[str, Any]:
    """The write's meaning first (the buffer blocks its senders when full), then the sender's words."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    who = f" ({hit.reader})" if hit.reader is not None else ""
    pipeline = f"; the aggregator says: {hit.pipeline_said[:120]}" if hit.pipeline_said else ""
    message = (f"{hit.config} was written{' by ' + hit.by if hit.by else ''} {ago} before the alert and sets the "
               f"{hit.software} buffer to push back when full: {hit.said}. When the sink slows the buffer fills, the "
               f"log aggregator{who} stops accepting and applications that ship logs synchronously block: "
               f"{hit.sender}'s log client says '{hit.client[:140]}'{pipeline}. Set the buffer to drop (or raise "
               f"its limit) or revert the write; the application's latency and errors are the symptom")
    return {"check": CHECK, "severity": "critical", "reason": "PipelineBackPressure",
            "object": {"kind": hit.config.kind, "namespace": hit.config.namespace, "name": hit.config.name},
            "message": message, "evidence": [hit.said, hit.client[:160]],
            "details": {"software": hit.software, "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The pipeline config that blocks its senders; it explains the senders' stalls."""
    return [(h.config, finding(h, facts.at), h.evidence, h.victims) for h in found(facts)]
