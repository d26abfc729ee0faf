"""A schema registry's compatibility check relaxed, and the consumers that cannot read what producers now write.

A schema registry (Confluent Schema Registry, Karapace, Apicurio, Redpanda's) refuses a new schema version that
the subject's compatibility level forbids. Old consumers keep working only while producers' new versions stay
readable by the old schema: FORWARD / FULL (and their _TRANSITIVE forms) guarantee that. A level of NONE (or
BACKWARD, which protects only upgraded readers) lets a producer register a version that drops a required field
or changes its type; the registry accepts it, producers write with the new schema id, and every consumer still on
the old reader schema fails to deserialize those records (Avro's `missing required field currency`,
`AvroTypeException`, a `SerializationException: Error deserializing Avro message for id 412`, Protobuf's
`InvalidProtocolBufferException`), so its lag grows while the registry and producers look healthy.

The level is written in the registry's own objects: a Confluent for Kubernetes `Schema` / Aiven `KafkaSchema` /
Redpanda `Schema` custom resource (`compatibilityLevel`), or the registry's default in its env
(`SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL`, Apicurio's `REGISTRY_RULES_GLOBAL_COMPATIBILITY`, Karapace's
`KARAPACE_COMPATIBILITY`). This module reads the change timeline for a recent write that set such a key to a level
that does not protect old readers, and the consumers' logs for deserialization failures; the write is named when
the failures are tied to it: the schema id the errors name is the object's registered id, or the subject's topic
(`<topic>-value`) is in the failing lines, or it is the registry's default (every subject). `read` reads only
the written object (for its registered id and format); `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.schema_compat"
WEIGHT = 0.93
"""A relaxed compatibility write tied to the consumers' deserialization failures: stronger than the consumers'
own exception and the lag they show."""
READS = "schema_compat"
LEAD = timedelta(hours=24)
Call = Callable[..., Awaitable[Any]]

LEVEL = re.compile(r"(?P<key>[\w.]*compatibility(?:[_.-]?level)?)\W{0,4}\s*(?:=|:|->|set to)\s*['\"]?"
                   r"(?:[A-Z_]+['\"]?\s*->\s*['\"]?)?"
                   r"(?P<level>NONE|DISABLED|BACKWARD_TRANSITIVE|BACKWARD_ALL|BACKWARD|FORWARD_TRANSITIVE|FORWARD_ALL|"
                   r"FORWARD|FULL_TRANSITIVE|FULL_ALL|FULL)"
                   r"\b(?!['\"]?\s*->)", re.I)
"""A written compatibility key and the level it is set to (the last of an `old -> new` pair); AWS Glue's
`_ALL` forms and `DISABLED` (no new versions at all) included."""
UNPROTECTED = frozenset({"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "BACKWARD_ALL"})
"""Levels under which a new version may drop a field old readers require (FORWARD and FULL, in their transitive or
Glue `_ALL` forms, forbid it; Glue's DISABLED refuses every new version)."""
FAILURE = re.compile(r"missing required field|AvroTypeException|Error deserializing (?:Avro|Protobuf|JSON|key/value)"
                     r"|SerializationException|InvalidProtocolBufferException|Could not find class .* specified "
                     r"in writer's schema|AvroRuntimeException|Unknown magic byte|"
                     r"de-?serializ\w* (?:Avro|Protobuf|JSON)|AWSSchemaRegistryException|"
                     r"(?:Value|Key)DeserializationError|_(?:VALUE|KEY)_DESERIALIZATION|"
                     r"no value and no default for|required key \[[\w.]+\] not found", re.I)
"""How a consumer says it cannot read a record with the schema it was built against (Confluent's and Apicurio's
Java serdes, AWS Glue's `AWSSchemaRegistryException ... while de-serializing`, confluent-kafka-python's
`ValueDeserializationError`, fastavro's `no value and no default for`, everit JSON Schema's `required key [..] not
found`)."""
_FIELD = re.compile(r"missing required field ['\"]?([\w.]+)|[Ff]ield ['\"]?([\w.]+)['\"]? (?:is )?(?:required|missing)|"
                    r"no value and no default for ['\"]?([\w.]+)|required key \[([\w.]+)\] not found")
_ID = re.compile(r"(?:schema )?\bid[ =:]+(\d+)\b", re.I)
_FORMAT = re.compile(r"\b(Avro|Protobuf|JSON ?Schema)\b", re.I)
_FORMATS = {"avro": "Avro", "protobuf": "Protobuf", "jsonschema": "JSON Schema", "json": "JSON Schema"}
REGISTRY_KINDS = ("Deployment", "StatefulSet", "ConfigMap", "ApicurioRegistry", "ApicurioRegistry3")
"""Objects that run or configure the registry itself (its default level covers every subject), not one subject."""
_BY = re.compile(r"\b(?:written|updated|applied|rolled out)(?: by ([\w.@/-]+))?")


@dataclass
class Relaxed:
    """A compatibility write that let an incompatible version in, and the consumer that cannot read it."""

    target: Ref
    key: str
    level: str
    change: dict[str, Any]
    minutes_before: int
    consumer: str
    consumer_namespace: str
    said: str
    tie: str
    field_name: str = ""
    schema_id: str = ""
    data_format: str = ""
    evidence: list[str] = field(default_factory=list)


def level_set(change: dict[str, Any]) -> tuple[str, str] | None:
    """(key, level) of the compatibility level a write set, or None when it set none."""
    said = "\n".join([*(str(d) for d in change.get("diff") or []), str(change.get("summary") or "")])
    found = [(m.group("key"), m.group("level").upper()) for m in LEVEL.finditer(said)]
    return found[0] if found else None


def _writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, str, str]]:
    """Recent writes that set a compatibility level which does not protect old readers."""
    out: list[tuple[dict[str, Any], Ref, str, str]] = []
    for change, _, target in facts.writes_to(None, within=LEAD):
        got = level_set(change)
        if got is not None and got[1] in UNPROTECTED and not any(t.same_object(target) for _, t, _, _ in out):
            out.append((change, target, got[0], got[1]))
    return out


def failures(facts: Facts) -> list[tuple[str, str, str, str]]:
    """(namespace, pod, the failing lines joined, evidence id) of each consumer whose logs say it cannot
    deserialize what it reads (with the lines `read` grepped from its logs: the schema id and topic)."""
    out: list[tuple[str, str, str, str]] = []
    for log in facts.logs:
        lines = [said_by(e) for e in log.entries() if e] + list(log.last_lines)
        bad = [ln for ln in lines if FAILURE.search(ln)]
        grepped = ((facts.reads.get(READS) or {}).get("lines") or {}).get(f"{log.namespace}/{log.pod}") or []
        if bad:
            out.append((log.namespace, log.pod, "\n".join([*bad, *grepped]), log.evidence_id))
    return out


def _telling(text: str) -> str:
    """The line that says most: the one naming the missing field, else the one naming a schema id, else the first."""
    lines = text.splitlines()
    return next((ln for ln in lines if _FIELD.search(ln)), next((ln for ln in lines if _ID.search(ln)),
                                                               lines[0] if lines else ""))[:200]


def _subject_topic(name: str) -> str:
    """The topic a subject names under the default TopicNameStrategy (`payment-events-value` -> `payment-events`)."""
    return re.sub(r"[-_.](?:value|key)$", "", name)


def tie(target: Ref, key: str, registered_id: str, text: str) -> str:
    """Why the consumer's failures belong to this write ("" when they need not): the schema id they name is the
    object's, the subject's topic is in them, or the write is a registry-wide default."""
    ids = set(_ID.findall(text))
    if registered_id and registered_id in ids:
        return f"the failing records carry schema id {registered_id}, the version registered under it"
    topic = _subject_topic(target.name)
    if target.kind not in REGISTRY_KINDS and topic and len(topic) > 3 \
            and re.search(rf"(?<![\w-]){re.escape(topic)}(?![\w])", text):
        return f"the failing records are read from {topic}, the subject's topic"
    if target.kind in REGISTRY_KINDS and key.upper().replace(".", "_").endswith(
            ("COMPATIBILITY_LEVEL", "GLOBAL_COMPATIBILITY", "KARAPACE_COMPATIBILITY", "COMPATIBILITY")):
        return "it is the registry's default level, for every subject"
    return ""


def found(facts: Facts) -> list[Relaxed]:
    """Each relaxing write whose consumers' deserialization failures are tied to it."""
    store = facts.reads.get(READS) or {}
    out: list[Relaxed] = []
    failing = failures(facts)
    for change, target, key, level in _writes(facts):
        got = store.get(str(target)) or {}
        for namespace, pod, text, evidence in failing:
            why = tie(target, key, str(got.get("id") or ""), text)
            if not why:
                continue
            at = parse_time(change.get("at"))
            fld = next((g for groups in _FIELD.findall(text) for g in groups if g), "")
            fmt = _FORMAT.search(text) or _FORMAT.search(str(got.get("format") or ""))
            ids = _ID.findall(text)
            out.append(Relaxed(target, key, level, change, int((facts.at - at).total_seconds() // 60) if at else 0,
                               workload_of_pod(pod), namespace, _telling(text), why, fld,
                               ids[0] if ids else "", _FORMATS.get(fmt.group(1).lower().replace(" ", ""), "")
                               if fmt else "",
                               [e for e in (facts.changes_id or "", evidence, str(got.get("evidence") or "")) if e]))
            break
    return out


def finding(r: Relaxed) -> dict[str, Any]:
    """What the level allows, what the registry let in, and the consumer's failure, meaning first."""
    by = _BY.search(str(r.change.get("summary") or ""))
    who = f" by {by.group(1)}" if by and by.group(1) else ""
    fmt = f"{r.data_format} " if r.data_format else ""
    what = (f"a new {fmt}schema version dropping the required field {r.field_name}" if r.field_name
            else f"a new {fmt}schema version its old readers cannot read")
    version = f" (schema id {r.schema_id})" if r.schema_id else ""
    message = (f"{r.target} set the schema registry's compatibility to {r.level} ({r.key}, written{who} "
               f"{minutes_text(r.minutes_before)} before the incident): that level no longer makes the registry "
               f"refuse incompatible versions, so it accepted {what}{version}; the {fmt}consumer "
               f"{r.consumer_namespace}/{r.consumer}, still on the old reader schema, fails to deserialize every "
               f"such record and falls behind ('{r.said[:160]}'); {r.tie}. Restore FORWARD/FULL compatibility and "
               f"re-register a compatible version (give the field a default) before the consumers move")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "reason": "SchemaCompatibilityRelaxed", "message": message,
            "evidence": [f"{r.key} = {r.level}", r.said[:200]],
            "details": {"level": r.level, "key": r.key, "field": r.field_name, "schema_id": r.schema_id,
                        "consumer": r.consumer, "change_at": r.change.get("at")}}


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a consumer fails to deserialize: each relaxing write's object, for the id and
    format it registered (`status.id`, `status.format`, `spec.data.format`)."""
    failing = failures(facts)
    if not failing:
        return
    store = facts.reads.setdefault(READS, {})
    lines: dict[str, list[str]] = store.setdefault("lines", {})
    for namespace, pod, _, _ in failing[:2]:
        got_logs = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 2000, "grep": "serializ"},
                              f"survey-schema-logs-{pod}")
        if got_logs is not None and got_logs.ok:
            lines[f"{namespace}/{pod}"] = [ln for ln in str(got_logs.full_text).splitlines()[1:]
                                           if FAILURE.search(ln) and not ln.startswith("repeated ")][-20:]
    for _, target, _, _ in _writes(facts)[:3]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-schema-{target.name}")
        if got is None:
            continue
        status = got[0].get("status") or {}
        data = (got[0].get("spec") or {}).get("data") or {}
        store[str(target)] = {"id": status.get("id") or "", "format": status.get("format") or data.get("format")
                              or "", "evidence": got[1]}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The relaxing write, explaining its consumer's failures."""
    return [(r.target, finding(r), list(dict.fromkeys(r.evidence)),
             [Ref("Deployment", r.consumer_namespace, r.consumer)]) for r in found(facts)]
