"""agent.triage.entry_encoding: a writer switched the encoding of entries a reader of the same store decodes.

Shapes: a StatefulSet quote feeder whose args switch `--value-format` from json to protobuf on a Memcached both it
and a Python quote API name, the API failing with `JSONDecodeError`; a Deployment session writer whose env switches
`PAYLOAD_COMPRESSION` from none to gzip on a Redis a Node service also names, that service failing with
`Unexpected token in JSON`. Twins: the same switch while the reader names another store, a write to a non-encoding
setting (a TTL, the writer's own log format) on the shared store, a reader of the shared store failing with
timeouts (nothing is read then).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import entry_encoding as ee
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
KV = "quotes-kv.pricing.svc:11211"
REDIS = "redis://sessions-redis.edge.svc:6379/2"

FEEDER_ARGS = "feeder args ['--listen=:8080', '--value-format={fmt}', '--kv=" + KV + "']"
PYTHON_DECODE = "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
NODE_DECODE = "SyntaxError: Unexpected token \x1f in JSON at position 0 (while reading session from cache)"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(kind: str, ns: str, name: str, diff: list[str], minutes: int = 40) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} rolled out",
            "diff": diff}


def pod_spec(env: dict[str, str] | None = None, args: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": "registry.example.com/app:1"}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if args:
        container["args"] = args
    return {"containers": [container]}


def workload(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "spec": {"template": {"spec": spec}}}


def reader(pod: str, ns: str, message: str) -> LogEvidence:
    top = {"template": message, "example": message, "message": message, "severity": "error", "count": 40}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[], error_classes=set(),
                       previous=False)


def facts_for(changes: list[dict[str, Any]], objects: dict[Any, Any], logs: list[LogEvidence]) -> tuple[Facts,
                                                                                                         RecordingHub]:
    hub = RecordingHub(objects=objects)
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", logs=logs)
    asyncio.run(ee.read(Subject(namespace="web"), facts, hub, iso(AT)))
    return facts, hub


def feeder_case(reader_kv: str, diff: list[str], message: str = PYTHON_DECODE) -> tuple[Facts, RecordingHub]:
    objects = {("StatefulSet", "pricing", "feeder"): workload("StatefulSet", pod_spec(
                   args=["--listen=:8080", "--value-format=protobuf", f"--kv={KV}"])),
               ("Pod", "web", "quote-api-6b8d9c7f5-r2t4k"): {"kind": "Pod", "spec": pod_spec(
                   env={"QUOTES_CACHE": reader_kv, "LOG_LEVEL": "info"})}}
    return facts_for([rollout("StatefulSet", "pricing", "feeder", diff)], objects,
                     [reader("quote-api-6b8d9c7f5-r2t4k", "web", message)])


SWITCH = [FEEDER_ARGS.format(fmt="json") + " -> " + FEEDER_ARGS.format(fmt="protobuf")[len("feeder args "):]]


def test_args_switch_to_protobuf_names_the_feeder() -> None:
    facts, _ = feeder_case(KV, SWITCH)
    [(ref, finding, evidence, _)] = ee.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("StatefulSet", "pricing", "feeder")
    assert finding["details"]["setting"] == "value-format" and finding["details"]["new"] == "protobuf"
    assert "quotes-kv.pricing.svc" in finding["details"]["store"]
    assert "JSONDecodeError" in finding["message"] and "C1" in evidence


def test_env_compression_switch_names_the_session_writer() -> None:
    diff = ["writer env PAYLOAD_COMPRESSION='none' -> PAYLOAD_COMPRESSION='gzip'"]
    objects = {("Deployment", "edge", "session-writer"): workload("Deployment", pod_spec(
                   env={"SESSION_STORE_URL": REDIS, "PAYLOAD_COMPRESSION": "gzip"})),
               ("Pod", "web", "storefront-5c7d8f9b6-k8m2n"): {"kind": "Pod", "spec": pod_spec(
                   env={"REDIS_URL": REDIS})}}
    facts, _ = facts_for([rollout("Deployment", "edge", "session-writer", diff)], objects,
                         [reader("storefront-5c7d8f9b6-k8m2n", "web", NODE_DECODE)])
    [(ref, finding, _, _)] = ee.suspects(facts)
    assert (ref.kind, ref.name) == ("Deployment", "session-writer")
    assert finding["details"]["old"] == "none" and finding["details"]["new"] == "gzip"


def test_a_reader_of_another_store_is_not_linked() -> None:
    facts, _ = feeder_case("rates-kv.fx.svc:11211", SWITCH)
    assert not ee.suspects(facts)


def test_a_non_encoding_setting_on_the_shared_store_is_not_named() -> None:
    diff = ["feeder env KV_TTL_SECONDS='60' -> KV_TTL_SECONDS='5'"]
    facts, hub = feeder_case(KV, diff)
    assert not ee.suspects(facts)
    assert not hub.calls, "no switch: nothing is read"


def test_a_log_format_switch_on_the_shared_store_is_not_named() -> None:
    diff = ["feeder env LOG_FORMAT='json' -> LOG_FORMAT='logfmt'"]
    facts, _ = feeder_case(KV, diff)
    assert not ee.suspects(facts)


def test_a_reader_failing_with_timeouts_reads_nothing() -> None:
    facts, hub = feeder_case(KV, SWITCH, message="pymemcache.exceptions.MemcacheUnexpectedCloseError: timed out")
    assert not ee.suspects(facts)
    assert not hub.calls


# Readers in other decoders' words (issue #12: the decode words were the bundle's Go/Python/Node set only).
OTHER_DECODERS = [
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0x8b in position 1: invalid start byte",
    "org.apache.kafka.common.errors.SerializationException: Unknown magic byte!",
    "System.Text.Json.JsonException: '0x82' is an invalid start of a value. Path: $ | LineNumber: 0",
    "quote cache: serde_json error: expected value at line 1 column 1",
    "RecordDeserializationException: Error deserializing key/value for partition quotes-3 at offset 118",
]
"""Python's text decoding of gzip bytes, Confluent's Avro deserializer, .NET System.Text.Json, Rust serde_json,
the Kafka consumer's record deserializer."""
OWN_OUTPUT = [
    "UnicodeEncodeError: 'ascii' codec can't encode character '\\xe9' in position 4: ordinal not in range(128)",
    "org.apache.kafka.common.errors.SerializationException: Error serializing Avro message",
    "expected 3 replicas at line 12 of the rollout plan, found 2",
]
"""The same looks about the reader's own output (encoding, serializing) or not about data at all."""


def test_readers_failing_in_other_decoders_words_name_the_feeder() -> None:
    for message in OTHER_DECODERS:
        facts, _ = feeder_case(KV, SWITCH, message=message)
        [(ref, finding, _, _)] = ee.suspects(facts)
        assert ref.name == "feeder", message
        assert finding["details"]["new"] == "protobuf", message


def test_a_reader_failing_on_its_own_output_is_not_a_decode_of_stored_entries() -> None:
    for message in OWN_OUTPUT:
        facts, hub = feeder_case(KV, SWITCH, message=message)
        assert not ee.suspects(facts), message
        assert not hub.calls, message


# Issue #12: the switch written as a leaf diff (`data key K 'old' -> 'new'`), the shape the timeline gives a
# ConfigMap's keys and some templates' fields, not only `K='old' -> K='new'`.
def configmap_write(diff: str) -> dict[str, Any]:
    change = rollout("ConfigMap", "pricing", "feeder-config", [diff])
    change["type"] = "other"
    change["related"] = [{"kind": "StatefulSet", "namespace": "pricing", "name": "feeder"}]
    return change


def leaf_case(change: dict[str, Any]) -> tuple[Facts, RecordingHub]:
    objects = {("StatefulSet", "pricing", "feeder"): workload("StatefulSet", pod_spec(
                   args=["--listen=:8080", f"--kv={KV}"])),
               ("Pod", "web", "quote-api-6b8d9c7f5-r2t4k"): {"kind": "Pod", "spec": pod_spec(
                   env={"QUOTES_CACHE": KV})}}
    return facts_for([change], objects, [reader("quote-api-6b8d9c7f5-r2t4k", "web", PYTHON_DECODE)])


def test_leaf_diffs_of_an_encoding_key_name_the_writer() -> None:
    facts, _ = leaf_case(configmap_write("data key VALUE_CODEC 'json' -> 'msgpack'"))
    [(ref, finding, _, _)] = ee.suspects(facts)
    assert ref.name == "feeder" and (finding["details"]["old"], finding["details"]["new"]) == ("json", "msgpack")
    facts, _ = leaf_case(rollout("StatefulSet", "pricing", "feeder",
                                 ["pod template annotations.cache/serializer 'json' -> 'protobuf'"]))
    [(ref, finding, _, _)] = ee.suspects(facts)
    assert (finding["details"]["setting"], finding["details"]["new"]) == ("annotations.cache/serializer", "protobuf")


def test_leaf_diffs_of_other_keys_are_not_encoding_switches() -> None:
    for diff in ("data key LOG_FORMAT 'json' -> 'text'", "data key CACHE_TTL '60' -> '5'"):
        facts, hub = leaf_case(configmap_write(diff))
        assert not ee.suspects(facts), diff
        assert not hub.calls, diff
