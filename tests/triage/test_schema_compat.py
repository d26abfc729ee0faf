"""agent.triage.schema_compat: a schema registry's compatibility relaxed before its consumers failed to deserialize.

Shapes: a Confluent for Kubernetes `Schema` set to NONE, tied by the schema id the consumer's grepped lines name
(Avro, Java consumer); a schema registry Deployment's default level moved to BACKWARD in its env (Protobuf consumer,
registry-wide). Twins: a level that protects old readers (FORWARD/FULL); a consumer failing for another reason
(connection refused); a Schema of another subject whose id and topic the failures do not name.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, schema_compat
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.schema_compat import level_set
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WROTE = AT - timedelta(minutes=50)
POD = "billing-sink-7c9d8b6f5-x2k4p"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(kind: str, namespace: str, name: str, diff: list[str]) -> dict[str, Any]:
    return {"at": _iso(WROTE), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by argocd-controller: " + "; ".join(diff), "diff": diff}


def _facts(change: dict[str, Any], error: str) -> Facts:
    log = LogEvidence(pod=POD, namespace="finance", evidence_id="E9", top={"message": error}, hosts=[],
                      error_classes=set(), previous=False)
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])


def _run(facts: Facts, objects: dict[tuple[str, str, str], dict[str, Any]], lines: list[str]) -> list[
        tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    hub = RecordingHub(objects=objects, logs={POD: lines})
    asyncio.run(schema_compat.read(Subject(), facts, hub, _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == schema_compat.CHECK]


AVRO_TOP = ("Caused by: org.apache.avro.AvroTypeException: Found com.acme.Invoice, expecting com.acme.Invoice, "
            "missing required field tax_code")
GREPPED = ["Caused by: org.apache.kafka.common.errors.SerializationException: Error deserializing Avro message "
           "for id 88"]


def _schema(name: str, registered: int) -> dict[str, Any]:
    return {"kind": "Schema", "metadata": {"name": name, "namespace": "billing"},
            "spec": {"compatibilityLevel": "NONE", "data": {"format": "avro"}},
            "status": {"id": registered, "version": 3}}


def test_a_schema_set_to_none_is_tied_by_the_registered_id_the_consumer_names() -> None:
    change = _change("Schema", "billing", "invoices-v2-value", ["spec.compatibilityLevel = 'NONE'"])
    facts = _facts(change, AVRO_TOP)
    [(ref, found, evidence, explains)] = _run(
        facts, {("Schema", "billing", "invoices-v2-value"): _schema("invoices-v2-value", 88)}, GREPPED)
    assert ref == Ref("Schema", "billing", "invoices-v2-value")
    head = found["message"][:400]
    assert "compatibility to NONE" in head and "Avro" in head and "tax_code" in head and "schema id 88" in head
    assert "schema id 88" in found["message"] and Ref("Deployment", "finance", "billing-sink") in explains
    assert "E2" in evidence and "E9" in evidence


def test_a_registry_default_moved_to_backward_in_env_is_registry_wide() -> None:
    change = _change("Deployment", "kafka", "schema-registry", [
        "schema-registry env SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL='full' -> "
        "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL='backward'"])
    facts = _facts(change, "org.apache.kafka.common.errors.SerializationException: Error deserializing Protobuf "
                           "message for id 17: com.google.protobuf.InvalidProtocolBufferException: Protocol "
                           "message contained an invalid tag (zero)")
    [(ref, found, _, _)] = _run(facts, {}, [])
    assert ref == Ref("Deployment", "kafka", "schema-registry")
    assert "compatibility to BACKWARD" in found["message"][:200] and "Protobuf" in found["message"][:400]
    assert "every subject" in found["message"]


def test_twin_a_level_that_protects_old_readers() -> None:
    assert level_set(_change("Schema", "billing", "x-value", ["spec.compatibilityLevel = 'FORWARD'"])) == (
        "spec.compatibilityLevel", "FORWARD")
    change = _change("Schema", "billing", "invoices-v2-value", ["spec.compatibilityLevel = 'FULL_TRANSITIVE'"])
    assert _run(_facts(change, AVRO_TOP), {}, GREPPED) == []


def test_twin_a_consumer_failing_for_another_reason() -> None:
    change = _change("Schema", "billing", "invoices-v2-value", ["spec.compatibilityLevel = 'NONE'"])
    facts = _facts(change, "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node "
                           "assignment; Connection to node 1 (kafka-1/10.0.0.3:9092) could not be established")
    assert _run(facts, {("Schema", "billing", "invoices-v2-value"): _schema("invoices-v2-value", 88)}, []) == []


def test_twin_a_schema_of_another_subject() -> None:
    change = _change("Schema", "billing", "refunds-value", ["spec.compatibilityLevel = 'NONE'"])
    facts = _facts(change, AVRO_TOP)
    assert _run(facts, {("Schema", "billing", "refunds-value"): _schema("refunds-value", 91)}, GREPPED) == []
