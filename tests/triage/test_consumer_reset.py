"""A consumer identity renamed with the start at the beginning: the broker's whole retention replayed
(agent.triage.consumer_reset).

Shapes: a KafkaJS service whose release renames `KAFKA_GROUP_ID` and flips `KAFKA_FROM_BEGINNING` in one rollout;
a Spring Kafka `application.properties` in a ConfigMap whose group-id changes while `auto-offset-reset=earliest`
stays; a NATS JetStream worker whose durable name changes and whose `deliver_policy: all` is only in the spec read
back. Twins: a rename that starts at the end (skips, not replays), earliest set with the identity unchanged
(committed offsets still stand), a rename with no start setting anywhere (the broker's default, the end).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import consumer_reset as cr
from agent.triage.facts import Facts

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rollout(ns: str, name: str, lines: list[str], minutes: int = 30, kind: str = "Deployment",
             type_: str = "rollout") -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name}: {lines[0]}", "diff": lines, "related": []}


def _facts(changes: list[dict[str, Any]], objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", objects=objects or [])


KAFKAJS = _rollout("mail", "receipt-mailer", [
    "receipt-mailer image reg/receipt-mailer:1.4.0 -> reg/receipt-mailer:2.0.0",
    "receipt-mailer env KAFKA_FROM_BEGINNING='false' -> KAFKA_FROM_BEGINNING='true'",
    "receipt-mailer env KAFKA_GROUP_ID='receipt-mailer' -> KAFKA_GROUP_ID='receipt-mailer-2'"])


def test_kafkajs_group_renamed_with_from_beginning_in_the_same_release() -> None:
    [hit] = cr.found(_facts([KAFKAJS]))
    assert hit.target.name == "receipt-mailer" and "receipt-mailer-2" in str(hit.identity.new)
    head = cr.finding(hit)["message"][:400]
    for word in ("group.id", "earliest", "offsets", "replays", "KAFKA_GROUP_ID"):
        assert word in head


def test_spring_properties_group_id_changed_while_earliest_stays() -> None:
    change = _rollout("billing", "billing-props", [
        "data key application.properties 'spring.kafka.consumer.group-id=invoicer\\n"
        "spring.kafka.consumer.auto-offset-reset=earliest' -> 'spring.kafka.consumer.group-id=invoicer-eu\\n"
        "spring.kafka.consumer.auto-offset-reset=earliest'"], kind="ConfigMap", type_="config")
    [hit] = cr.found(_facts([change]))
    assert hit.target.kind == "ConfigMap" and hit.start.new == "earliest"
    assert hit.identity.key.endswith("group-id")


def _nats_worker(policy: str) -> tuple[dict[str, Any], str]:
    env = [{"name": "NATS_DURABLE", "value": "indexer-v3"}, {"name": "NATS_DELIVER_POLICY", "value": policy}]
    return ({"kind": "Deployment", "metadata": {"name": "search-indexer", "namespace": "search"},
             "spec": {"template": {"spec": {"containers": [{"name": "indexer", "env": env}]}}}}, "E12")


NATS = _rollout("search", "search-indexer", ["indexer env NATS_DURABLE='indexer-v2' -> NATS_DURABLE='indexer-v3'"])


def test_jetstream_durable_renamed_with_deliver_all_read_back_and_its_deliver_new_twin() -> None:
    [hit] = cr.found(_facts([NATS], [_nats_worker("all")]))
    assert hit.start_from.startswith("the workload's spec") and "JetStream" in cr.finding(hit)["message"]
    assert cr.found(_facts([NATS], [_nats_worker("new")])) == []


def test_rename_that_starts_at_the_end_is_no_replay() -> None:
    change = _rollout("mail", "receipt-mailer", [
        "receipt-mailer env KAFKA_GROUP_ID='receipt-mailer' -> KAFKA_GROUP_ID='receipt-mailer-2'",
        "receipt-mailer env KAFKA_AUTO_OFFSET_RESET='earliest' -> KAFKA_AUTO_OFFSET_RESET='latest'"])
    assert cr.found(_facts([change])) == []


def test_earliest_without_a_new_identity_keeps_the_committed_offsets() -> None:
    change = _rollout("mail", "receipt-mailer", [
        "receipt-mailer env KAFKA_AUTO_OFFSET_RESET='latest' -> KAFKA_AUTO_OFFSET_RESET='earliest'"])
    assert cr.found(_facts([change])) == []


def test_rename_with_no_start_setting_anywhere_is_not_blamed() -> None:
    change = _rollout("mail", "receipt-mailer", [
        "receipt-mailer env KAFKA_GROUP_ID='receipt-mailer' -> KAFKA_GROUP_ID='receipt-mailer-2'"])
    assert cr.found(_facts([change], [_nats_worker("all")])) == []  # another workload's spec says nothing here


def test_read_takes_the_spec_and_one_pods_logs_and_quotes_the_replay() -> None:
    logs = ("2026-06-01T11:40:02Z consumer indexer-v3 subscribed, deliver policy all\n"
            '2026-06-01T11:40:05Z {"msg":"indexed","doc":"p-1","event_time":"2026-05-20T08:00:00Z"}\n')
    asked: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(tool)
        if tool == "k8s_get":
            text = yaml.safe_dump(_nats_worker("all")[0])
            return ToolOutcome("E20", tool, arguments, True, text, full_text=text)
        if tool == "k8s_list":
            rows = [{"name": "search-indexer-7c9d8f6b5-x2k4p"}, {"name": "other-6d5c4b3a2-zzzzz"}]
            return ToolOutcome("E21", tool, arguments, True, "", data={"rows": rows})
        return ToolOutcome("E22", tool, arguments, True, "logs", full_text="logs\n" + logs)

    quiet = _facts([_rollout("search", "search-indexer", ["indexer image a:1 -> a:2"])])
    asyncio.run(cr.read(quiet, call))
    assert asked == []
    facts = _facts([NATS])
    asyncio.run(cr.read(facts, call))
    assert asked == ["k8s_get", "k8s_list", "k8s_logs"]
    [hit] = cr.found(facts)
    assert "event_time" in hit.replay and "indexer-v3 subscribed" in hit.joined and "E22" in hit.evidence


def _caller(objects: dict[str, dict[str, Any]], logs: str) -> tuple[list[tuple[str, str]], Any]:
    asked: list[tuple[str, str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(arguments.get("name") or arguments.get("kind"))))
        if tool == "k8s_list":
            rows = [{"name": "ledger-sync-7c9d8f6b5-x2k4p"}]
            return ToolOutcome("E21", tool, arguments, True, "", data={"rows": rows})
        if tool == "k8s_logs":
            return ToolOutcome("E22", tool, arguments, True, "logs", full_text="logs\n" + logs)
        text = yaml.safe_dump(objects[str(arguments.get("name"))])
        return ToolOutcome("E20", tool, arguments, True, text, full_text=text)

    return asked, call


SYNC = _rollout("ledger", "ledger-sync", ["sync env CONSUMER_GROUP='ledger-sync' -> CONSUMER_GROUP='ledger-sync-eu'"])
SYNC_WORKLOAD = {"kind": "Deployment", "metadata": {"name": "ledger-sync", "namespace": "ledger"},
                 "spec": {"template": {"spec": {"containers": [{"name": "sync", "envFrom": [
                     {"configMapRef": {"name": "ledger-sync-env"}}]}]}}}}


def test_start_setting_in_an_env_from_configmap_is_read_back() -> None:
    env = {"kind": "ConfigMap", "metadata": {"name": "ledger-sync-env", "namespace": "ledger"},
           "data": {"KAFKA_AUTO_OFFSET_RESET": "earliest", "LOG_LEVEL": "info"}}
    asked, call = _caller({"ledger-sync": SYNC_WORKLOAD, "ledger-sync-env": env}, "started\n")
    facts = _facts([SYNC])
    asyncio.run(cr.read(facts, call))
    assert ("k8s_get", "ledger-sync-env") in asked
    [hit] = cr.found(facts)
    assert hit.start.key == "KAFKA_AUTO_OFFSET_RESET" and "config" in hit.start_from


def test_start_set_in_code_is_proven_by_records_days_old_after_the_rename_and_not_by_fresh_ones() -> None:
    old = ('2026-06-01T11:45:00Z {"msg":"entry applied","entry":"L-77","created_at":"2026-05-25T09:00:00Z"}\n')
    _, call = _caller({"ledger-sync": {**SYNC_WORKLOAD, "spec": {"template": {"spec": {"containers": []}}}}}, old)
    facts = _facts([SYNC])
    asyncio.run(cr.read(facts, call))
    [hit] = cr.found(facts)
    assert "logs" in hit.start_from and "created_at" in hit.replay
    fresh = ('2026-06-01T11:45:00Z {"msg":"entry applied","entry":"L-77","created_at":"2026-06-01T11:44:58Z"}\n')
    _, call = _caller({"ledger-sync": {**SYNC_WORKLOAD, "spec": {"template": {"spec": {"containers": []}}}}}, fresh)
    facts = _facts([SYNC])
    asyncio.run(cr.read(facts, call))
    assert cr.found(facts) == []
