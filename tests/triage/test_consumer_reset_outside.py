"""A consumer identity renamed with the start at the beginning: clients beyond KafkaJS, Spring Kafka and NATS
(issue #12 audit of agent.triage.consumer_reset).

Shapes: a Kinesis KCL worker whose `applicationName` (its lease table, where the checkpoints live) is renamed while
`initialPositionInStream: TRIM_HORIZON` is in the spec read back; a Kafka Streams app whose `application.id` is
renamed with no `auto.offset.reset` anywhere (Kafka Streams' own default is earliest); a Redpanda Connect pipeline
whose `consumer_group` is renamed with `start_from_oldest: true`; a Flink job whose group id is renamed with
`scan.startup.mode: earliest-offset`. Twins: the KCL rename at LATEST, the Kafka Streams rename with latest set, a
plain Kafka consumer renamed with no start setting (its default is latest).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import consumer_reset as cr
from agent.triage.facts import Facts

AT = datetime(2026, 5, 3, 8, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(ns: str, name: str, lines: list[str], kind: str = "Deployment") -> dict[str, Any]:
    return {"at": _stamp(40), "type": "config" if kind == "ConfigMap" else "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name}: {lines[0]}",
            "diff": lines, "related": []}


def _worker(ns: str, name: str, env: dict[str, str]) -> tuple[dict[str, Any], str]:
    return ({"kind": "Deployment", "metadata": {"name": name, "namespace": ns},
             "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [
                 {"name": k, "value": v} for k, v in env.items()]}]}}}}, "E12")


def _facts(changes: list[dict[str, Any]], objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", objects=objects or [])


KCL = _change("orders", "order-projector",
              ["app env KCL_APPLICATION_NAME='order-projector' -> KCL_APPLICATION_NAME='order-projector-v2'"])


def test_kcl_application_renamed_with_trim_horizon_read_back_and_its_latest_twin() -> None:
    spec = _worker("orders", "order-projector", {"KCL_APPLICATION_NAME": "order-projector-v2",
                                                 "KCL_INITIAL_POSITION_IN_STREAM": "TRIM_HORIZON"})
    [hit] = cr.found(_facts([KCL], [spec]))
    head = cr.finding(hit)["message"][:500]
    assert hit.start.new == "TRIM_HORIZON" and "KCL" in head and "replays" in head
    latest = _worker("orders", "order-projector", {"KCL_APPLICATION_NAME": "order-projector-v2",
                                                   "KCL_INITIAL_POSITION_IN_STREAM": "LATEST"})
    assert cr.found(_facts([KCL], [latest])) == []


def test_kafka_streams_application_id_renamed_starts_at_its_default_earliest_and_the_latest_twin() -> None:
    renamed = _change("fraud", "scoring-streams", [
        "data key streams.properties 'application.id=fraud-scoring\\nnum.stream.threads=4' -> "
        "'application.id=fraud-scoring-2\\nnum.stream.threads=4'"], kind="ConfigMap")
    [hit] = cr.found(_facts([renamed]))
    assert "Kafka Streams" in hit.start_from
    latest = _change("fraud", "scoring-streams", [
        "data key streams.properties 'application.id=fraud-scoring\\nauto.offset.reset=latest' -> "
        "'application.id=fraud-scoring-2\\nauto.offset.reset=latest'"], kind="ConfigMap")
    assert cr.found(_facts([latest])) == []


def test_redpanda_connect_consumer_group_renamed_with_start_from_oldest() -> None:
    change = _change("audit", "audit-sink", [
        "data key connect.yaml 'input:\\n  kafka:\\n    consumer_group: audit-sink\\n    start_from_oldest: true' -> "
        "'input:\\n  kafka:\\n    consumer_group: audit-sink-eu\\n    start_from_oldest: true'"], kind="ConfigMap")
    [hit] = cr.found(_facts([change]))
    assert hit.identity.new and "audit-sink-eu" in hit.identity.new and hit.start.new == "true"


def test_flink_group_renamed_with_earliest_offset_startup_mode() -> None:
    change = _change("pipelines", "clicks-job", [
        "data key table.sql 'properties.group.id = clicks\\nscan.startup.mode = earliest-offset' -> "
        "'properties.group.id = clicks-2\\nscan.startup.mode = earliest-offset'"], kind="ConfigMap")
    [hit] = cr.found(_facts([change]))
    assert hit.start.new == "earliest-offset"


def test_plain_kafka_consumer_renamed_without_a_start_setting_keeps_its_latest_default() -> None:
    change = _change("mail", "notifier", ["app env KAFKA_GROUP_ID='notifier' -> KAFKA_GROUP_ID='notifier-2'"])
    assert cr.found(_facts([change])) == []
