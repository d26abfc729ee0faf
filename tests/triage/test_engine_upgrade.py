"""agent.triage.engine_upgrade: a server's version upgrade brought a limit its clients now hit, no setting written.

Shapes: a RabbitMQ Deployment named `event-bus` (engine known by its image) moved 3.9 -> 3.13 while a Go consumer
StatefulSet logs amqp091's `Exception (406) Reason: "PRECONDITION_FAILED - delivery acknowledgement ... timed
out"`; an Elasticsearch StatefulSet moved 6.8 -> 7.17 while a Python search API logs `too_many_buckets_exception`.
Twins: the same errors after a patch release only; the upgrade while the clients fail with connection errors; the
client's own release after the upgrade; errors first seen before the upgrade; a Kafka broker upgrade while
consumers exceed their own max.poll.interval.ms. And `read` reads a day of changes only with such an error in view.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import engine_upgrade as eu
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 9, 3, 22, 0, tzinfo=UTC)
GO_ACK = ('Exception (406) Reason: "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout '
          'value used: 900000 ms"')
ES_BUCKETS = ("elasticsearch.BadRequestError: BadRequestError(400, 'search_phase_execution_exception', "
              "'too_many_buckets_exception: Trying to create too many buckets. Must be less than or equal to: "
              "[10000]')")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(kind: str, ns: str, name: str, diff: list[str], minutes: int) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 7: {diff[0]}", "diff": diff}


def client(pod: str, ns: str, line: str, first: datetime | None = None) -> LogEvidence:
    top = {"template": line, "example": line, "message": line, "severity": "error", "count": 12}
    if first is not None:
        top["first_seen"] = iso(first)
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[], error_classes=set(),
                       previous=True)


def facts_for(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="C1", logs=logs)


BUS = rollout("Deployment", "queues", "event-bus",
              ["bus image mirror.example.org/library/rabbitmq:3.9.29 -> mirror.example.org/library/rabbitmq:3.13.2"],
              minutes=9 * 60)
SEARCH = rollout("StatefulSet", "search", "search-data",
                 ["es image docker.elastic.co/elasticsearch/elasticsearch:6.8.23 -> "
                  "docker.elastic.co/elasticsearch/elasticsearch:7.17.9"], minutes=180)


def test_rabbitmq_upgrade_known_by_its_image_is_named_for_a_go_consumer() -> None:
    facts = facts_for([BUS], [client("ledger-sync-0", "ledger", GO_ACK)])
    [(ref, finding, evidence, explains)] = eu.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("Deployment", "queues", "event-bus")
    assert "3.9.29 -> " in finding["message"] and "consumer_timeout" in finding["message"]
    assert "delivery acknowledgement" in finding["message"] and "9 h 0 min before" in finding["message"]
    assert evidence == ["C1", "L-ledger-sync-0"] and explains[1].name == "ledger-sync"


def test_elasticsearch_major_upgrade_is_named_for_bucket_errors() -> None:
    facts = facts_for([SEARCH], [client("search-api-7d8f9c6b5-m2n4p", "catalog", ES_BUCKETS, AT - timedelta(hours=2))])
    [(ref, finding, _, _)] = eu.suspects(facts)
    assert ref.name == "search-data" and "too_many_buckets" in finding["message"]


def test_patch_release_of_the_server_names_nothing() -> None:
    patch = rollout("Deployment", "queues", "event-bus",
                    ["bus image reg/rabbitmq:3.13.1 -> reg/rabbitmq:3.13.2"], minutes=300)
    assert eu.suspects(facts_for([patch], [client("ledger-sync-0", "ledger", GO_ACK)])) == []


def test_upgrade_while_clients_fail_in_other_words_names_nothing() -> None:
    refused = "dial tcp 10.0.4.7:5672: connect: connection refused"
    assert eu.suspects(facts_for([BUS], [client("ledger-sync-0", "ledger", refused)])) == []


def test_client_release_after_the_upgrade_names_nothing() -> None:
    own = rollout("StatefulSet", "ledger", "ledger-sync", ["sync image reg/ledger-sync:2.0 -> reg/ledger-sync:2.1"],
                  minutes=60)
    assert eu.suspects(facts_for([BUS, own], [client("ledger-sync-0", "ledger", GO_ACK)])) == []


def test_errors_seen_before_the_upgrade_name_nothing() -> None:
    early = client("search-api-7d8f9c6b5-m2n4p", "catalog", ES_BUCKETS, AT - timedelta(hours=5))
    assert eu.suspects(facts_for([SEARCH], [early])) == []


def test_kafka_broker_upgrade_and_consumer_poll_timeouts_name_nothing() -> None:
    kafka = rollout("StatefulSet", "streams", "kafka", ["kafka image reg/kafka:3.4.0 -> reg/kafka:3.7.0"], 120)
    poll = ("Member consumer-1 sending LeaveGroup request: consumer poll timeout has expired. This means the time "
            "between subsequent calls to poll() was longer than the configured max.poll.interval.ms")
    assert eu.suspects(facts_for([kafka], [client("enricher-5c6d7f8b9-k2l3m", "etl", poll)])) == []


def test_read_takes_a_day_of_changes_only_with_a_limit_error_in_view() -> None:
    history = {"window_start": iso(AT - timedelta(hours=24)), "changes": [BUS]}
    hub = RecordingHub(answers={"k8s_changes": outcome(True, history, evidence_id="H1")})
    facts = facts_for([], [client("ledger-sync-0", "ledger", GO_ACK)])
    asyncio.run(eu.read(Subject(namespace="ledger"), facts, hub, iso(AT)))
    assert [c[0] for c in hub.calls] == ["k8s_changes"] and [s[0].name for s in eu.suspects(facts)] == ["event-bus"]
    quiet = RecordingHub(answers={"k8s_changes": outcome(True, history, evidence_id="H1")})
    asyncio.run(eu.read(Subject(namespace="ledger"), facts_for([], [client("a-0", "x", "timeout")]), quiet, iso(AT)))
    assert quiet.calls == []


# ---- an operator's resource carries the upgrade (issue #12 audit: only Deployment/StatefulSet/DaemonSet images) ---


def operator_write(kind: str, ns: str, name: str, line: str, minutes: int) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-controller (generation 4): {line}", "diff": [line]}


def test_a_rabbitmq_cluster_resources_image_move_is_named() -> None:
    cr = operator_write("RabbitmqCluster", "messaging", "orders",
                        "spec.image: rabbitmq:3.9.29-management -> rabbitmq:3.13.7-management", minutes=300)
    [(ref, finding, _, _)] = eu.suspects(facts_for([cr], [client("invoicer-6c8d9f7b5-q2w3e", "billing", GO_ACK)]))
    assert (ref.kind, ref.name) == ("RabbitmqCluster", "orders") and "consumer_timeout" in finding["message"]


def test_an_elasticsearch_resources_version_field_is_named_by_its_kind() -> None:
    cr = operator_write("Elasticsearch", "search", "catalog", "spec.version: 6.8.23 -> 7.17.9", minutes=150)
    [(ref, finding, _, _)] = eu.suspects(facts_for([cr], [client("search-api-7d8f9c6b5-m2n4p", "shop", ES_BUCKETS)]))
    assert (ref.kind, ref.name) == ("Elasticsearch", "catalog") and "6.8.23 -> 7.17.9" in finding["message"]


def test_an_operator_resources_patch_version_names_nothing() -> None:
    cr = operator_write("Elasticsearch", "search", "catalog", "spec.version: 7.17.8 -> 7.17.9", minutes=150)
    assert eu.suspects(facts_for([cr], [client("search-api-7d8f9c6b5-m2n4p", "shop", ES_BUCKETS)])) == []


def test_a_chart_version_is_not_the_servers() -> None:
    helm = operator_write("HelmRelease", "search", "elasticsearch", "spec.chart.spec.version: 7.17.3 -> 8.5.1", 150)
    crd = operator_write("ElasticsearchIndexTemplate", "search", "es-logs", "spec.chart.version: 1.4.0 -> 2.0.0", 150)
    assert eu.suspects(facts_for([helm, crd], [client("search-api-7d8f9c6b5-m2n4p", "shop", ES_BUCKETS)])) == []


def test_a_version_label_on_an_operator_resource_is_not_the_servers() -> None:
    label = operator_write("RabbitmqCluster", "messaging", "orders",
                           "metadata.labels.app.kubernetes.io/version: 3.9.29 -> 3.13.7", minutes=300)
    assert eu.suspects(facts_for([label], [client("invoicer-6c8d9f7b5-q2w3e", "billing", GO_ACK)])) == []
