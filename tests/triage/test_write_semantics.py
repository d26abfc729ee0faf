"""A writer's value the datastore's own semantics turn into harm (agent.triage.write_semantics).

Each row of the table gets two shapes (different software or a different place the value is written: a CronJob's
env JSON, a ConfigMap key, a writer's startup line, a rollout's env diff) and negative twins: the same setting with a
harmless value, or the harmful value with no sign of its harm. The store entries are what `read` keeps: the change's
text plus the spec's written values, and the lines of one pod of the writer (or of a ConfigMap's consumer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import co_tenant
from agent.triage import write_semantics as ws
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 7, 9, 10, 0, tzinfo=UTC)


def _t(hours_before: float) -> str:
    return (AT - timedelta(hours=hours_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, hours: float, summary: str, diff: list[str] | None = None) -> dict[str, Any]:
    return {"at": _t(hours), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": summary, "diff": diff or []}


def _log(pod: str, ns: str, message: str, severity: str = "error") -> LogEvidence:
    entry = {"message": message, "example": message, "severity": severity}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def _facts(change: dict[str, Any], spec: str = "", lines: str = "", logs: list[LogEvidence] | None = None,
           series: list[tuple[str, dict[str, str], float]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=logs or [])
    ref = change["object"]
    facts.reads[ws.READS] = {
        "writers": [{"ref": [ref["kind"], ref["namespace"], ref["name"]], "at": change["at"],
                     "text": ws._change_text(change) + "\n" + spec, "lines": lines, "evidence": ["E2", "E20"]}],
        "series": ([{"labels": {"__name__": n, **labels}, "value": v} for n, labels, v in series or []], "E21")}
    return facts


ES_RED = _log("search-es-0", "search", '{"log.level":"WARN","message":"Cluster health status changed from [GREEN] '
              'to [RED] (reason: [{search-es-2} reason: disconnected])."}', "warning")


def _reindex(settings: str) -> dict[str, Any]:
    return _change("CronJob", "search", "nightly-reindex", 17, "CronJob search/nightly-reindex pod template written "
                   "by kubectl-edit (no revision in view; previous values not recorded)",
                   [f"indexer env INDEX_SETTINGS now '{settings}'"])


def test_index_created_without_replicas_by_a_cronjob_is_named_when_the_cluster_is_red() -> None:
    facts = _facts(_reindex('{"number_of_shards":3,"number_of_replicas":0}'), logs=[ES_RED])
    [harm] = ws.found(facts)
    message = ws.finding(harm, AT)["message"]
    assert message.startswith("CronJob search/nightly-reindex writes number_of_replicas=0")
    assert "no replica" in message and "unassigned" in message and "primary shard" in message
    assert "[RED]" in message and "17 h 0 min before the alert" in message


def test_opensearch_template_in_a_configmap_with_unassigned_shards_is_named() -> None:
    change = _change("ConfigMap", "logs", "index-template", 30, "ConfigMap logs/index-template updated by helm: "
                     "data key template.json set by helm")
    facts = _facts(change, spec='template.json: {"index.number_of_replicas": 0, "index.refresh_interval": "5s"}',
                   series=[("opensearch_cluster_health_unassigned_shards", {}, 4.0)])
    [harm] = ws.found(facts)
    assert (harm.key, harm.new, harm.row.name) == ("index.number_of_replicas", "0", "index-without-replicas")
    assert "opensearch_cluster_health_unassigned_shards 4" in harm.seen


def test_replicas_kept_or_cluster_green_names_nobody() -> None:
    assert ws.found(_facts(_reindex('{"number_of_shards":3,"number_of_replicas":1}'), logs=[ES_RED])) == []
    restored = _change("Deployment", "search", "indexer", 2, "Deployment search/indexer rolled out revision 4",
                       ["indexer env INDEX_REPLICAS='0' -> INDEX_NUMBER_OF_REPLICAS='1'"])
    assert ws.found(_facts(restored, logs=[ES_RED])) == []
    green = _facts(_reindex('{"number_of_replicas":0}'),
                   series=[("elasticsearch_cluster_health_unassigned_shards", {}, 0.0),
                           ("elasticsearch_cluster_health_status", {"color": "red"}, 0.0)])
    assert ws.found(green) == []


READ_FAILURE = _log("feed-api-7d9-x2", "feed", "com.datastax.oss.driver.api.core.servererrors.ReadFailureException: "
                    "Cassandra failure during read query at consistency LOCAL_QUORUM (2 responses were required but "
                    "only 0 replica responded, 2 failed)")
WRITER = _change("Deployment", "profiles", "attr-writer", 9, "Deployment profiles/attr-writer rolled out revision 7: "
                 "attr-writer image reg/attr-writer:4.2.0 -> reg/attr-writer:5.0.0")


def test_a_writer_release_whose_mapper_saves_nulls_is_named_from_its_startup_line() -> None:
    lines = ("2026-07-09T01:00:14Z INFO c.a.Config : Object mapper initialised: entity=Attributes "
             "nullSavingStrategy=SET_TO_NULL")
    [harm] = ws.found(_facts(WRITER, lines=lines, logs=[READ_FAILURE]))
    message = ws.finding(harm, AT)["message"]
    assert message.startswith("Deployment profiles/attr-writer writes nullSavingStrategy=SET_TO_NULL (Cassandra)")
    assert "tombstone" in message and "tombstone_failure_threshold" in message and "ReadFailure" in message


def test_spring_data_insert_nulls_with_tombstones_scanned_is_named() -> None:
    change = _change("StatefulSet", "orders", "order-sink", 20, "StatefulSet orders/order-sink rolled out revision 3",
                     ["sink env SPRING_DATA_CASSANDRA_INSERT_NULLS (unset) -> "
                      "SPRING_DATA_CASSANDRA_INSERT_NULLS='true'"])
    facts = _facts(change, series=[("cassandra_table_tombstones_scanned", {"quantile": "0.99"}, 120000.0)])
    [harm] = ws.found(facts)
    assert harm.new == "true" and harm.row.name == "nulls-written-as-tombstones"


def test_unset_strategy_or_no_tombstones_names_nobody() -> None:
    assert ws.found(_facts(WRITER, lines="nullSavingStrategy=DO_NOT_SET", logs=[READ_FAILURE])) == []
    assert ws.found(_facts(WRITER, lines="nullSavingStrategy=SET_TO_NULL",
                           series=[("cassandra_table_tombstones_scanned", {}, 12.0)])) == []


FIFO = "https://sqs.eu-west-1.amazonaws.com/123456789012/refunds.fifo"


def _publisher(group: str, queue: str = FIFO) -> dict[str, Any]:
    return _change("Deployment", "payments", "refund-publisher", 4, "Deployment payments/refund-publisher rolled "
                   "out revision 9", ["publisher env MESSAGE_GROUP_KEY='customer_id' -> unset",
                                      f"publisher env MESSAGE_GROUP_ID (unset) -> MESSAGE_GROUP_ID='{group}'",
                                      f"publisher env QUEUE_URL='{queue}'"])


EMPTY = [("aws_sqs_number_of_empty_receives_sum", {"dimension_QueueName": "refunds.fifo"}, 7100.0)]


def test_a_constant_message_group_on_a_fifo_queue_is_named() -> None:
    [harm] = ws.found(_facts(_publisher("refunds"), series=EMPTY))
    message = ws.finding(harm, AT)["message"]
    assert message.startswith("Deployment payments/refund-publisher writes MESSAGE_GROUP_ID=refunds")
    assert "MessageGroupId" in message and "FIFO" in message and "one at a time" in message


def test_a_constant_group_set_in_code_shows_in_the_producer_lines_and_the_workers_empty_receives() -> None:
    change = _change("Deployment", "ledger", "ledger-producer", 3, "Deployment ledger/ledger-producer rolled out "
                     "revision 4: producer image reg/ledger-producer:2.0.0 -> reg/ledger-producer:2.1.0")
    lines = f'{{"level":"info","msg":"sent","queue":"{FIFO}","messageGroupId":"ledger"}}'
    worker = _log("ledger-worker-1", "ledger", "receive returned no messages wait_time_seconds=20", "warning")
    [harm] = ws.found(_facts(change, lines=lines, logs=[worker]))
    assert (harm.key, harm.new) == ("messageGroupId", "ledger")


def test_a_per_entity_group_or_a_standard_queue_names_nobody() -> None:
    assert ws.found(_facts(_publisher("${customerId}"), series=EMPTY)) == []
    standard = "https://sqs.eu-west-1.amazonaws.com/123456789012/refunds"
    assert ws.found(_facts(_publisher("refunds", standard), series=EMPTY)) == []


def _policy(diff: list[str]) -> dict[str, Any]:
    return _change("ConfigMap", "identity", "password-policy", 2, "ConfigMap identity/password-policy updated by "
                   "kubectl-edit: data key BCRYPT_COST set by kubectl-edit", diff)


LAG = [("nodejs_eventloop_lag_p99_seconds", {"pod": "auth-0"}, 1.3)]


def test_a_bcrypt_cost_raised_with_the_event_loop_lagging_is_named_old_to_new() -> None:
    lines = ('{"level":30,"msg":"password hash upgraded","fromCost":10,"toCost":14,"ms":1180}\n'
             '{"level":40,"msg":"event loop blocked","lagMs":1200}')
    facts = _facts(_policy([]), spec="BCRYPT_COST: 14\nREHASH_ON_LOGIN: true", lines=lines, series=LAG)
    [harm] = ws.found(facts)
    message = ws.finding(harm, AT)["message"]
    assert message.startswith("ConfigMap identity/password-policy writes BCRYPT_COST 10 -> 14")
    assert "bcrypt" in message and "rehash" in message and "event loop" in message


def test_pbkdf2_iterations_raised_in_a_diff_with_gunicorn_worker_timeouts_is_named() -> None:
    change = _change("Deployment", "accounts", "accounts-web", 1, "Deployment accounts/accounts-web rolled out "
                     "revision 12", ["web env PBKDF2_ITERATIONS='260000' -> PBKDF2_ITERATIONS='2600000'"])
    worker = _log("accounts-web-1", "accounts", "[CRITICAL] WORKER TIMEOUT (pid:18)")
    [harm] = ws.found(_facts(change, logs=[worker]))
    assert (harm.old, harm.new) == ("260000", "2600000")


def test_a_cost_lowered_or_raised_without_cpu_harm_names_nobody() -> None:
    lowered = _policy(["BCRYPT_COST='12' -> BCRYPT_COST='10'"])
    assert ws.found(_facts(lowered, series=LAG)) == []
    assert ws.found(_facts(_policy(["BCRYPT_COST='10' -> BCRYPT_COST='12'"]),
                           series=[("nodejs_eventloop_lag_p99_seconds", {}, 0.01)])) == []


def test_rows_are_only_read_when_their_symptom_shows() -> None:
    facts = _facts(WRITER, logs=[READ_FAILURE])
    assert [r.name for r in ws.active(facts)] == ["nulls-written-as-tombstones"]
    assert ws.active(_facts(WRITER)) == []


def test_a_message_group_id_is_no_consumer_identity_for_co_tenant() -> None:
    sqs = _change("Deployment", "payments", "refund-publisher", 3, "rolled out",
                  ["publisher env MESSAGE_GROUP_ID (unset) -> MESSAGE_GROUP_ID='refunds'"])
    kafka = _change("Deployment", "billing", "invoice-stats", 3, "rolled out",
                    ["stats env KAFKA_GROUP_ID (unset) -> KAFKA_GROUP_ID='refunds'"])
    assert co_tenant._identity_writes(sqs) == []
    assert co_tenant._identity_writes(kafka) == [("KAFKA_GROUP_ID", "refunds", "")]


def test_a_cronjob_job_template_env_write_is_a_change_with_its_current_values() -> None:
    from mcp_servers.kubernetes import template_writes

    written = AT - timedelta(hours=17)
    env = [{"name": "INDEX_SETTINGS", "value": '{"number_of_replicas":0}'}, {"name": "ES_PASSWORD", "value": "pw1"}]
    fields: dict[str, Any] = {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"indexer"}': {"f:env": {}}}}}}}}}
    cron = {"kind": "CronJob", "metadata": {
        "name": "nightly-reindex", "namespace": "search", "creationTimestamp": _t(24 * 30),
        "managedFields": [{"manager": "kubectl-edit", "operation": "Update",
                           "time": written.strftime("%Y-%m-%dT%H:%M:%SZ"), "fieldsV1": fields}]},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "indexer", "image": "reg/indexer:2", "env": env}]}}}}}}

    def has(t: datetime | None) -> bool:
        return t is not None and AT - timedelta(hours=48) <= t <= AT

    [wr] = template_writes.writes({"CronJob": [cron]}, ["CronJob"], has, lambda text: "PASSWORD" in text)
    assert wr["diff"] == ["indexer env INDEX_SETTINGS now '{\"number_of_replicas\":0}'",
                          "indexer env ES_PASSWORD written"]
    assert template_writes.writes({"CronJob": [cron]}, ["CronJob"], lambda t: False, lambda text: False) == []
