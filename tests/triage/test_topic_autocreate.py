"""agent.triage.topic_autocreate: a broker that no longer creates topics on first use, named by its clients.

Shapes: Kafka's setting as a Bitnami env var, as a `--override` argument, and Pulsar's allowAutoTopicCreation in a
mounted broker.conf; twins: the setting on (true), an unrelated `false`, and client errors that are not about a
missing topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.topic_autocreate import (
    RECORD_KIND,
    UNKNOWN_TOPIC,
    AutoCreateOff,
    canonical,
    setting_off,
    settings_of,
    suspects,
)


def workload(env: dict[str, str], args: list[str] | None = None) -> dict[str, Any]:
    """A StatefulSet whose one container sets `env` and `args`."""
    return {"kind": "StatefulSet", "spec": {"template": {"spec": {"containers": [
        {"name": "broker", "env": [{"name": k, "value": v} for k, v in env.items()], "args": args or []}]}}}}


def test_kafka_env_var_off_is_found() -> None:
    found = setting_off(settings_of(workload({"KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE": "false",
                                              "KAFKA_CFG_LOG_RETENTION_HOURS": "24"}), {}))
    assert found == ("KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE", "false", "env of container broker")
    assert canonical(found[0]) == "auto.create.topics.enable"


def test_kafka_override_argument_off_is_found() -> None:
    found = setting_off(settings_of(workload({}, ["--override", "--auto.create.topics.enable=false"]), {}))
    assert found is not None and found[0] == "auto.create.topics.enable"


def test_pulsar_broker_conf_off_is_found() -> None:
    sts = workload({})
    conf = {"data": {"broker.conf": "clusterName=prod\nallowAutoTopicCreation=false\n"
                                     "brokerDeleteInactiveTopicsEnabled=true\n"}}
    found = setting_off(settings_of(sts, {"pulsar-broker": conf}))
    assert found == ("allowAutoTopicCreation", "false", "ConfigMap pulsar-broker broker.conf")
    assert canonical(found[0]) == "allowAutoTopicCreation"


def test_setting_on_or_unrelated_false_is_no_cause() -> None:
    assert setting_off(settings_of(workload({"KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true"}), {})) is None
    assert setting_off(settings_of(workload({"KAFKA_CFG_DELETE_TOPIC_ENABLE": "false"}), {})) is None
    conf = {"data": {"broker.conf": "allowAutoTopicCreation=true\nallowAutoSubscriptionCreation=false\n"}}
    assert setting_off(settings_of(workload({}), {"pulsar": conf})) is None


def test_unknown_topic_wordings() -> None:
    for line in ("Error while fetching metadata with correlation id 7 : {clicks-1=UNKNOWN_TOPIC_OR_PARTITION}",
                 "org.apache.kafka.common.errors.TimeoutException: Topic clicks not present in metadata after 60000 ms",
                 "%3|1700000000.000|ERROR|rdkafka#producer-1| Broker: Unknown topic or partition",
                 "org.apache.pulsar.client.api.PulsarClientException$TopicDoesNotExistException: TopicNotFound"):
        assert UNKNOWN_TOPIC.search(line), line
    for line in ("NOT_LEADER_OR_FOLLOWER for partition clicks-0", "Connection to node -1 could not be established",
                 "TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics: [clicks]"):
        assert not UNKNOWN_TOPIC.search(line), line


def test_suspect_names_the_broker_and_the_documented_setting_early() -> None:
    cut = AutoCreateOff(Ref("StatefulSet", "mq", "kafka"), "KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE", "false",
                        "env of container kafka", "ingest", "Topic clicks not present in metadata", ["E1", "E2"])
    facts = Facts(at=datetime(2026, 1, 2, tzinfo=UTC), objects=[({"kind": RECORD_KIND, "cut": cut}, "")])
    [(ref, finding, evidence, _)] = suspects(facts)
    assert ref == Ref("StatefulSet", "mq", "kafka")
    assert "auto.create.topics.enable=false" in finding["message"][:200]
    assert "topic" in finding["message"][:250]
    assert evidence == ["E1", "E2"]
