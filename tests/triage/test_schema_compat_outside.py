"""agent.triage.schema_compat against registries and consumers other than the round it was built from.

Shapes: an AWS Glue schema (a Crossplane `Schema`, `compatibility: BACKWARD_ALL`) read by a confluent-kafka-python
consumer (fastavro's `no value and no default for`), tied by the topic; an Apicurio registry's global rule set to
NONE in its `ApicurioRegistry` resource, read by a JSON Schema consumer (everit `required key [..] not found`),
registry-wide; Karapace's REST wording of a level. Twins: Glue's protective levels (FULL_ALL, FORWARD_ALL,
DISABLED); a consumer whose failure is no deserialization (`KafkaException: Broker transport failure`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, schema_compat
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.schema_compat import FAILURE, level_set
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 3, 16, 0, tzinfo=UTC)
WROTE = AT - timedelta(minutes=70)
POD = "ledger-writer-6b7f9c5d4-p8v2m"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(kind: str, namespace: str, name: str, diff: list[str]) -> dict[str, Any]:
    return {"at": _iso(WROTE), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by flux: " + "; ".join(diff), "diff": diff}


def _run(change: dict[str, Any], error: str, grepped: list[str]) -> list[
        tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    log = LogEvidence(pod=POD, namespace="accounts", evidence_id="E7", top={"message": error}, hosts=[],
                      error_classes=set(), previous=False)
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[log])
    asyncio.run(schema_compat.read(Subject(), facts, RecordingHub(objects={}, logs={POD: grepped}), _iso(AT)))
    return [s for s in behind.suspects(facts) if s[1]["check"] == schema_compat.CHECK]


GLUE_ERROR = ("Consumer error on topic ledger-entries [2] @ 88121: confluent_kafka.error.ValueDeserializationError: "
              "KafkaError{code=_VALUE_DESERIALIZATION,val=-159,str=\"no value and no default for currency\"}")


def test_a_glue_schema_moved_to_backward_all_is_tied_by_its_topic() -> None:
    change = _change("Schema", "data", "ledger-entries", ["spec.forProvider.compatibility: FULL_ALL -> BACKWARD_ALL"])
    [(ref, found, _, explains)] = _run(change, GLUE_ERROR, [])
    assert ref == Ref("Schema", "data", "ledger-entries")
    head = found["message"][:400]
    assert "compatibility to BACKWARD_ALL" in head and "currency" in head
    assert "ledger-entries, the subject's topic" in found["message"]
    assert Ref("Deployment", "accounts", "ledger-writer") in explains


def test_an_apicurio_global_rule_set_to_none_is_registry_wide_for_a_json_schema_consumer() -> None:
    change = _change("ApicurioRegistry", "registry", "apicurio", [
        "spec.configuration.env REGISTRY_RULES_GLOBAL_COMPATIBILITY: FULL -> NONE"])
    error = ("io.apicurio.registry.serde.jsonschema.JsonSchemaDeserializer: Error deserializing JSON message: "
             "org.everit.json.schema.ValidationException: #: required key [account_ref] not found")
    [(ref, found, _, _)] = _run(change, error, [])
    assert ref == Ref("ApicurioRegistry", "registry", "apicurio")
    head = found["message"][:400]
    assert "compatibility to NONE" in head and "account_ref" in head and "JSON Schema" in head
    assert "every subject" in found["message"]


def test_other_wordings_of_levels_and_failures() -> None:
    karapace = _change("Deployment", "kafka", "karapace", ['PUT /config/payments-value {"compatibility": "NONE"}'])
    assert level_set(karapace) == ("compatibility", "NONE")
    assert FAILURE.search("com.amazonaws.services.schemaregistry.exception.AWSSchemaRegistryException: Exception "
                          "occurred while de-serializing Avro message")


def test_twin_glue_levels_that_protect_old_readers() -> None:
    for level in ("FULL_ALL", "FORWARD_ALL", "DISABLED"):
        change = _change("Schema", "data", "ledger-entries", [f"spec.forProvider.compatibility: NONE -> {level}"])
        assert level_set(change) == ("spec.forProvider.compatibility", level)
        assert _run(change, GLUE_ERROR, []) == []


def test_twin_a_consumer_failing_on_the_broker_not_the_schema() -> None:
    change = _change("Schema", "data", "ledger-entries", ["spec.forProvider.compatibility: FULL_ALL -> NONE"])
    error = ("Consumer error on topic ledger-entries: KafkaError{code=_TRANSPORT,val=-195,str=\"Broker transport "
             "failure\"}")
    assert _run(change, error, []) == []
