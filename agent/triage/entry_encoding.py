"""A writer's rollout changed how it encodes what it stores, and another service that reads the same store cannot
decode it.

Two services often share data through a store neither owns alone: a cache (Redis, Memcached), a queue or topic, a
bucket prefix, a key-value table. One writes entries, the other reads them, and the only contract between them is
the entries' encoding (JSON, MessagePack, Protobuf, Avro, pickle, gzip or snappy framing). When the writer's new
revision switches that encoding by a setting (`CACHE_CODEC=msgpack`, `--serializer=protobuf`,
`VALUE_FORMAT: avro`, `COMPRESSION=zstd`), the writer is healthy and the reader fails on every refreshed entry in
its decoder's words: Go's `invalid character '\\x86' looking for beginning of value`, Python's `JSONDecodeError` or
`UnpicklingError`, Jackson's `Unexpected character`, Node's `Unexpected token in JSON`, Protobuf's `invalid wire
type`, gzip's `not in gzip format`. Its own errors are what a triage sees first; the writer is elsewhere (another
namespace, another team).

This module reads the change timeline for a recent write that changed an encoding-named setting of a workload (env,
args) from one value to another, and the logs of failing pods for such decode errors. The write is named when the
failing reader and the writer name the same store in their own specs (a host-shaped identifier both carry, as
shared_identifier reads them): the reader's pod spec and the writer's template are read for that. Twins: a writer
of another store, a write to a non-encoding setting, a reader failing in other words. Reading only; Secrets are
named, never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, workloads_touched, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.shared_identifier import identifiers
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.entry_encoding"
WEIGHT = 0.93
"""Above the reader's own decode errors: the writer's encoding write explains them and is what to roll back."""
STORE = "entry_encoding"
LEAD = timedelta(hours=24)
MAX_READERS = 3
MAX_WRITERS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")

DECODE = re.compile(
    r"invalid character '[^']{1,8}' (?:looking for beginning of value|after top-level value|in string literal)|"
    r"cannot unmarshal|unexpected end of JSON input|JSONDecodeError|Expecting value: line \d+ column \d+|"
    r"Unexpected token [^\n]{0,20}\bin JSON|is not valid JSON|JsonParseException|Unexpected character \(|"
    r"UnpicklingError|invalid load key|msgpack[^\n]{0,40}(?:ExtraData|unpack|decode)|"
    r"invalid wire[- ]type|InvalidProtocolBufferException|proto: cannot parse|"
    r"not in gzip format|invalid gzip header|gzip: invalid header|snappy: corrupt input|invalid magic (?:number|byte)|"
    r"(?:decod|deserializ|unmarshal|unpack)\w*\s+(?:of\s+)?(?:cached\s+|stored\s+)?\w*\s*(?:failed|error)|"
    r"(?:failed|unable|could not|cannot) to (?:decode|deserialize|unmarshal|unpack|parse cached)|"
    r"\bdecode \w+(?: \w+)?: |"
    r"codec can't decode byte|UnicodeDecodeError|Unknown magic byte|is an invalid start of a value|"
    r"expected value at line \d+ column \d+|\berror deserializing\b|RecordDeserializationException|"
    r"invalid stream header|incorrect header check", re.I)
"""A reader's words for bytes it fetched that are not in the encoding it expects (Go, Python, Jackson, Node,
Protobuf, MessagePack, compression framings), or its own `decode/deserialize ... failed`; and in other runtimes'
words: Python's text decoding (`'utf-8' codec can't decode byte`), Confluent's Avro/Protobuf deserializers
(`Unknown magic byte`), the Kafka consumer (`Error deserializing key/value`), .NET System.Text.Json (`is an invalid
start of a value`), Rust serde_json (`expected value at line 1 column 1`), Java serialization (`invalid stream
header`), zlib (`incorrect header check`). Encoding or serializing the reader's OWN output is not among them."""
ENCODING_KEY = re.compile(r"codec|encod|serializ|marshal|format|compress|content[-_]?type|wire", re.I)
"""The name of a setting that chooses how entries are written (`CACHE_CODEC`, `--serializer`, `VALUE_FORMAT`)."""
NOT_ENTRIES = re.compile(r"log|date|time|metric|trac|print|display|console", re.I)
"""A format setting of the process's own output (`LOG_FORMAT`, `--log.format`, `DATE_FORMAT`), not of stored entries."""
PAIR = re.compile(r"(?<![\w.-])-{0,2}(?P<key>[A-Za-z_][\w.-]*)\s*[=:]\s*'?(?P<value>[^'\s,\]\[]+)'?")
"""A `KEY='value'` (env), `--key=value` (args) or `key: value` (config) on one side of a diff line's `->`."""
LEAF = re.compile(r"(?<![\w./-])(?P<key>[A-Za-z_][\w./-]*)\s+'(?P<old>[^']*)'\s+->\s+'(?P<new>[^']*)'")
"""A leaf diff, the key once and both values quoted: `data key VALUE_CODEC 'json' -> 'msgpack'` (a ConfigMap's key
as the timeline writes it), `annotations.cache/serializer 'json' -> 'protobuf'`."""


@dataclass
class EncodingChange:
    """A write that switched an encoding setting, the reader that cannot decode since, and the store both name."""

    writer: Ref
    at: datetime
    by: str
    setting: str
    old: str
    new: str
    reader: LogEvidence
    said: str
    store: str
    evidence: list[str] = field(default_factory=list)


def decode_error(log: LogEvidence) -> str | None:
    """The reader's line that says it could not decode what it fetched, as printed; None without one."""
    texts = [str(e.get(k) or "") for e in log.entries() for k in ("example", "message", "exception", "template")]
    for text in [*texts, *log.last_lines]:
        if DECODE.search(text):
            return text
    return None


def encoding_switch(change: dict[str, Any]) -> tuple[str, str, str] | None:
    """The encoding-named setting a write changed, its old and new value; None when it changed none. A diff line
    reads `env KEY='old' -> KEY='new'` or `args [... '--key=old' ...] -> [... '--key=new' ...]`."""
    for line in change.get("diff") or []:
        if re.search(r"\bimage\b", str(line)) or " -> " not in str(line):  # an image tag is not a setting
            continue
        before, _, after = str(line).partition(" -> ")
        old = {m["key"]: m["value"] for m in PAIR.finditer(before)}
        new = {m["key"]: m["value"] for m in PAIR.finditer(after)}
        for key, value in new.items():
            if _entry_setting(key) and key in old and old[key] != value:
                return key, old[key], value
        leaf = LEAF.search(str(line))
        if leaf and _entry_setting(leaf["key"]) and leaf["old"] != leaf["new"]:
            return leaf["key"], leaf["old"], leaf["new"]
    return None


def _entry_setting(key: str) -> bool:
    """Whether a setting's name says it chooses how entries are encoded (not the process's own output format)."""
    return bool(ENCODING_KEY.search(key)) and not NOT_ENTRIES.search(key)


def _switches(facts: Facts) -> list[tuple[dict[str, Any], str, Ref, tuple[str, str, str]]]:
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        switch = encoding_switch(change)
        if switch is not None and workloads_touched(change, target, WORKLOADS):
            out.append((change, evidence, target, switch))
    return out


def _readers(facts: Facts) -> list[tuple[LogEvidence, str]]:
    return [(log, said) for log in facts.logs if log.pod and (said := decode_error(log))]


def _spec_ids(spec: dict[str, Any]) -> list[str]:
    """The identifiers a pod spec names in its env values and args (Secrets by name only)."""
    words = pod_spec_words.words(pod_spec_words.walk(spec), secret_names=False)
    return sorted({i for _, text in words for i in identifiers(text)})


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a reader fails to decode and a write switched an encoding: the readers' pod specs
    and the writers' templates."""
    del subject, at
    if STORE in facts.reads:
        return
    readers, switches = _readers(facts), _switches(facts)
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"pods": {}, "writers": {}})
    if not readers or not switches:
        return
    for log, _ in readers[:MAX_READERS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-entry-encoding-pod-{log.pod}")
        if got is not None:
            store["pods"][log.pod] = {"ids": _spec_ids(got[0].get("spec") or {}), "evidence": got[1]}
    for change, _, target, _ in switches[:MAX_WRITERS]:
        for ref in workloads_touched(change, target, WORKLOADS)[:1]:
            got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-entry-encoding-writer-{ref.name}")
            if got is not None:
                spec = pod_spec_words.pod_template(got[0]).get("spec") or {}
                store["writers"][str(ref)] = {"ids": _spec_ids(spec), "evidence": got[1]}


def found(facts: Facts) -> list[EncodingChange]:
    """Each recent encoding switch of a writer whose store a failing reader (not its own workload) also names."""
    seen = facts.reads.get(STORE) or {}
    pods, writers = seen.get("pods") or {}, seen.get("writers") or {}
    out: list[EncodingChange] = []
    for change, evidence, target, (key, old, new) in _switches(facts):
        when = parse_time(change.get("at"))
        ref = next(iter(workloads_touched(change, target, WORKLOADS)), None)
        written = writers.get(str(ref)) if ref is not None else None
        if when is None or ref is None or written is None:
            continue
        for log, said in _readers(facts):
            reader = pods.get(log.pod)
            if reader is None or (log.namespace, workload_of_pod(log.pod)) == (ref.namespace, ref.name):
                continue
            shared = sorted(set(reader["ids"]) & set(written["ids"]), key=len, reverse=True)
            if shared:
                out.append(EncodingChange(ref, when, written_by(change), key, old, new, log, said, shared[0],
                                          [e for e in (evidence, written["evidence"], reader["evidence"],
                                                       log.evidence_id) if e]))
                break
    return out[:1]


def finding(hit: EncodingChange, at: datetime) -> dict[str, Any]:
    """The switch first (what the writer now writes), then the store both name and the reader's decode error."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    by = f" by {hit.by}" if hit.by else ""
    message = (f"{hit.writer} switched {hit.setting} '{hit.old}' -> '{hit.new}'{by} {ago} before the incident: it "
               f"now writes its entries in another encoding to {hit.store}, which "
               f"{hit.reader.namespace}/{workload_of_pod(hit.reader.pod)} also reads (both name it in their specs), "
               f"and that reader cannot decode them since: '{hit.said[:200]}'. The reader's errors are the symptom; "
               f"restore {hit.setting}={hit.old} on the writer (or ship a reader that accepts both encodings first)")
    return {"check": CHECK, "severity": "critical", "reason": "WriterChangedEntryEncoding",
            "object": {"kind": hit.writer.kind, "namespace": hit.writer.namespace, "name": hit.writer.name},
            "message": message, "evidence": [f"{hit.setting} {hit.old} -> {hit.new}", hit.said[:200]],
            "details": {"setting": hit.setting, "old": hit.old, "new": hit.new, "store": hit.store,
                        "reader": hit.reader.pod}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The writer whose encoding switch a reader of the same store cannot decode."""
    return [(h.writer, finding(h, facts.at), h.evidence, [h.writer]) for h in found(facts)]
