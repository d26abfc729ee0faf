"""agent.triage.field_stripped: a pipeline configuration that now removes the field a consumer rejects records for.

Facts are shaped as the survey keeps them: a ConfigMap write in the change timeline (its diff says only that a key
was written), the ConfigMap's text as `read` stores it, and the consumer's log evidence. Each shape uses another
shipper and another consumer's wording; each has a twin that looks the same and must name nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import field_stripped
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def _log(message: str, first_minutes: int | None = None) -> LogEvidence:
    top: dict[str, Any] = {"message": message}
    if first_minutes is not None:
        top["first_seen"] = (_AT - timedelta(minutes=first_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return LogEvidence(pod="fraud-model-6f8d9c7b5-w2k4p", namespace="risk", evidence_id="E6", top=top, hosts=[],
                       error_classes=set(), previous=False)


def _facts(log: LogEvidence, name: str, data: dict[str, str], minutes: int = 50) -> Facts:
    change = {"at": (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
              "object": {"kind": "ConfigMap", "namespace": "observability", "name": name},
              "summary": "written", "diff": [f"data key {next(iter(data))} set by helm"]}
    facts = Facts(at=_AT, logs=[log], changes={"changes": [change]}, changes_id="E2")
    facts.reads[field_stripped.READS] = {"texts": {f"ConfigMap observability/{name}": json.dumps(data)},
                                         "evidence": {f"ConfigMap observability/{name}": "E4"}}
    return facts


_FLUENTD = {"fluent.conf": "<filter app.checkout.**>\n  @type record_transformer\n  remove_keys card_bin,device_id\n"
                           "</filter>\n<match app.**>\n  @type kafka2\n</match>\n"}
_PY = "Traceback (most recent call last): ... KeyError: 'device_id'"
_OTEL = {"collector.yaml": "processors:\n  attributes/scrub:\n    actions:\n      - key: tenant_id\n"
                           "        action: delete\nexporters:\n  kafka: {}\n"}
_SCHEMA = "jsonschema.exceptions.ValidationError: 'tenant_id' is a required property"


def test_a_fluentd_transformer_that_removes_the_key_a_python_consumer_needs_is_the_suspect() -> None:
    [hit] = field_stripped.found(_facts(_log(_PY, 45), "shipper-config", _FLUENTD))
    assert hit.target == Ref("ConfigMap", "observability", "shipper-config") and hit.field == "device_id"
    message = field_stripped.finding(hit)["message"]
    assert "removes the field device_id" in message and "remove_keys card_bin,device_id" in message
    assert "KeyError" in message and hit.evidence == ["E2", "E4", "E6"]


def test_twin_the_transformer_removing_another_key_names_nothing() -> None:
    other = {"fluent.conf": "<filter app.**>\n  @type record_transformer\n  remove_keys card_bin\n</filter>\n"
                            "# device_id is kept for fraud scoring\n"}
    assert field_stripped.found(_facts(_log(_PY, 45), "shipper-config", other)) == []


def test_a_collector_processor_deleting_the_attribute_a_schema_requires_is_the_suspect() -> None:
    [hit] = field_stripped.found(_facts(_log(_SCHEMA, 40), "otel-collector", _OTEL))
    assert hit.field == "tenant_id" and "key: tenant_id" in hit.block


def test_twin_a_collector_that_only_inserts_the_attribute_names_nothing() -> None:
    insert = {"collector.yaml": "processors:\n  attributes/tag:\n    actions:\n      - key: tenant_id\n"
                                "        action: insert\n        value: default\n"}
    assert field_stripped.found(_facts(_log(_SCHEMA, 40), "otel-collector", insert)) == []


def test_twin_rejections_older_than_the_write_name_nothing() -> None:
    assert field_stripped.found(_facts(_log(_SCHEMA, 400), "otel-collector", _OTEL)) == []


def test_consumer_wordings_name_the_missing_field() -> None:
    assert field_stripped.missing_field("dropping record: missing field `client_ip` at line 1") == "client_ip"
    assert field_stripped.missing_field("Missing required creator property 'sessionId' (index 3)") == "sessionId"
    assert field_stripped.missing_field("upstream connect error: connection refused") is None
