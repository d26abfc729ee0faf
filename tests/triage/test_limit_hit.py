"""A count/size limit the errors name, and the change that made it reachable (agent.triage.limit_hit).

Error texts are each software's real wording: Redis ("ERR max number of clients reached", through redis-py
and through ioredis), PostgreSQL ("FATAL: sorry, too many clients already"), the Kafka Java consumer's
poll-timeout warning, RabbitMQ's delivery acknowledgement timeout, Elasticsearch's mapping limit
("Limit of total fields [1000] has been exceeded", through the Python bulk helper and through the Java
client). Changes are the timeline's own line shapes (rollout args/env lines, `data key K 'old' -> 'new'`,
`data key K set by M` with the ConfigMap read back, the template-write lines of
mcp_servers.kubernetes.template_writes). Each shape has a negative twin: the limit raised, the driver
lowered, the error printed before the write, a write on an unrelated object.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import limit_hit as lh
from agent.triage.facts import Facts, LogEvidence
from mcp_servers.kubernetes import template_writes

AT = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, lines: list[str], minutes: int = 60, type_: str = "config",
            related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name}: {lines[0]}", "diff": lines, "related": related or []}


def _log(pod: str, ns: str, message: str, first_minutes: int = 10, warning: bool = False) -> LogEvidence:
    entry = {"template": message, "message": message, "first_seen": _stamp(first_minutes),
             "severity": "warning" if warning else "error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=None if warning else entry, hosts=[],
                       error_classes=set(), previous=False, warnings=[entry] if warning else [])


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence],
           objects: list[tuple[dict[str, Any], str]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs, objects=objects or [])


REDIS_PY = "redis.exceptions.ConnectionError: max number of clients reached"
IOREDIS = "[ioredis] Unhandled error event: ReplyError: ERR max number of clients reached"
PG = 'FATAL:  sorry, too many clients already'
KAFKA = ("[Consumer clientId=consumer-orders-1, groupId=orders] consumer poll timeout has expired. This means the "
         "time between subsequent calls to poll() was longer than the configured max.poll.interval.ms, which "
         "typically implies that the poll loop is spending too much time processing messages.")
RABBIT = ("amqp channel closed: PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout "
          "value used: 1800000 ms.")
ES_PY = ("elasticsearch.helpers.BulkIndexError: 500 document(s) failed to index. first error: {'type': "
         "'illegal_argument_exception', 'reason': 'Limit of total fields [1000] has been exceeded while adding "
         "new fields [3]'}")
ES_JAVA = ("co.elastic.clients.elasticsearch._types.ElasticsearchException: [es/bulk] failed: "
           "[illegal_argument_exception] Limit of total fields [2000] in index [listings] has been exceeded")


# ---- limit lowered on the server (args written with no revision; a redis.conf line) -------------------------


def test_redis_maxclients_in_args_written_by_a_chart_names_the_statefulset() -> None:
    change = _change("StatefulSet", "cache", "redis-sessions",
                     ["redis args now ['--maxmemory', '2gb', '--maxclients', '128']"], minutes=400, type_="other")
    facts = _facts([change], [_log("session-api-7d9f8c6b5-x2k4p", "web", REDIS_PY)])
    [hit] = lh.found(facts)
    assert hit.target.name == "redis-sessions" and hit.how == "limit"
    assert hit.setting is not None and hit.setting.key == "--maxclients" and hit.setting.new == "128"
    message = lh.finding(hit)["message"]
    assert message.index("maxclients") < 200 and "max number of clients reached" in message[:400]


def test_valkey_config_file_line_lowered_is_found_through_its_diff() -> None:
    change = _change("ConfigMap", "kv", "valkey-config",
                     ["data key valkey.conf 'maxclients 10000\\nmaxmemory 1gb' -> 'maxclients 64\\nmaxmemory 1gb'"])
    facts = _facts([change], [_log("checkout-5c8d7f9b4-q8w2e", "shop", IOREDIS)])
    [hit] = lh.found(facts)
    assert hit.target.name == "valkey-config" and hit.setting is not None
    assert (hit.setting.old, hit.setting.new) == ("10000", "64")


def test_maxclients_raised_is_more_room_not_a_cause() -> None:
    change = _change("ConfigMap", "kv", "valkey-config",
                     ["data key valkey.conf 'maxclients 64\\nmaxmemory 1gb' -> 'maxclients 10000\\nmaxmemory 1gb'"])
    assert lh.found(_facts([change], [_log("checkout-5c8d7f9b4-q8w2e", "shop", IOREDIS)])) == []


def test_error_printed_before_the_write_is_not_caused_by_it() -> None:
    change = _change("StatefulSet", "cache", "redis-sessions", ["redis args now ['--maxclients', '128']"],
                     minutes=30, type_="other")
    facts = _facts([change], [_log("session-api-7d9f8c6b5-x2k4p", "web", REDIS_PY, first_minutes=90)])
    assert lh.found(facts) == []


def test_a_limit_write_on_an_unrelated_object_is_not_blamed() -> None:
    change = _change("Deployment", "batch", "report-builder", ["report-builder args ['--maxclients', '500'] -> "
                                                                "['--maxclients', '50']"], type_="rollout")
    assert lh.found(_facts([change], [_log("session-api-7d9f8c6b5-x2k4p", "web", REDIS_PY)])) == []


# ---- a driver raised on the client (documented pairs) ----------------------------------------------------


def test_kafka_max_poll_records_raised_in_an_embedded_file_read_back() -> None:
    change = _change("ConfigMap", "fulfilment", "consumer-config", ["data key application.yaml set by argocd"],
                     related=[{"kind": "Deployment", "namespace": "fulfilment", "name": "label-consumer"}])
    cm = {"kind": "ConfigMap", "metadata": {"name": "consumer-config", "namespace": "fulfilment"},
          "data": {"application.yaml": "spring:\n  kafka:\n    consumer:\n      max-poll-records: 4000\n"
                                       "      properties:\n        max.poll.interval.ms: 300000\n"}}
    facts = _facts([change], [_log("label-consumer-6f7d8c9b5-bcdfg", "fulfilment", KAFKA, warning=True)],
                   [(cm, "E9")])
    [hit] = lh.found(facts)
    assert hit.how == "driver" and hit.setting is not None and hit.setting.key.endswith("max-poll-records")
    message = lh.finding(hit)["message"][:400]
    assert "max.poll.records" in message and "max.poll.interval.ms" in message and "rebalance" in message


def test_kafka_max_poll_records_env_raised_and_its_lowered_twin() -> None:
    raised = _change("Deployment", "orders", "order-sink", ["order-sink env KAFKA_MAX_POLL_RECORDS='200' -> "
                                                            "KAFKA_MAX_POLL_RECORDS='2000'"], type_="rollout")
    log = _log("order-sink-7b8c9d6f5-zz9k2", "orders", KAFKA, warning=True)
    [hit] = lh.found(_facts([raised], [log]))
    assert hit.target.name == "order-sink" and hit.setting is not None and hit.setting.old == "200"
    lowered = _change("Deployment", "orders", "order-sink", ["order-sink env KAFKA_MAX_POLL_RECORDS='2000' -> "
                                                             "KAFKA_MAX_POLL_RECORDS='200'"], type_="rollout")
    assert lh.found(_facts([lowered], [log])) == []


def test_rabbitmq_prefetch_raised_against_the_ack_timeout() -> None:
    change = _change("ConfigMap", "billing", "worker-settings",
                     ["data key celery.json '{\"worker_prefetch_multiplier\": 1, \"acks_late\": true}' -> "
                      "'{\"worker_prefetch_multiplier\": 64, \"acks_late\": true}'"],
                     related=[{"kind": "Deployment", "namespace": "billing", "name": "invoice-worker"}])
    [hit] = lh.found(_facts([change], [_log("invoice-worker-5d6f7c8b9-k2j4h", "billing", RABBIT)]))
    assert hit.how == "driver" and hit.setting is not None and hit.setting.new == "64"


def test_postgres_pool_size_raised_on_the_client_but_not_on_a_bystander() -> None:
    mine = _change("Deployment", "shop", "orders", ["orders env DB_POOL_SIZE='10' -> DB_POOL_SIZE='80'"],
                   type_="rollout")
    other = _change("Deployment", "shop", "catalog", ["catalog env DB_POOL_SIZE='10' -> DB_POOL_SIZE='80'"],
                    type_="rollout")
    log = _log("orders-6c7d8f9b5-p9z2x", "shop", PG)
    assert [h.target.name for h in lh.found(_facts([mine], [log]))] == ["orders"]
    assert lh.found(_facts([other], [log])) == []


# ---- a client revision that changes what it sends --------------------------------------------------------


def test_indexer_revision_that_now_sends_dynamic_fields_is_the_cause() -> None:
    change = _change("Deployment", "shop", "catalog-indexer", ["catalog-indexer env INDEX_ATTRS='curated' -> "
                                                               "INDEX_ATTRS='all'"], minutes=290, type_="rollout")
    [hit] = lh.found(_facts([change], [_log("catalog-indexer-5f6d7c8b9-wxz2q", "shop", ES_PY, first_minutes=260)]))
    assert hit.how == "sends" and hit.target.name == "catalog-indexer"
    message = lh.finding(hit)["message"][:400]
    assert "total fields" in message and "mapping" in message and "dynamic" in message


def test_java_client_image_revision_and_its_twin_where_the_error_came_first() -> None:
    change = _change("Deployment", "market", "listing-sync", ["listing-sync image sync:4.1 -> sync:4.2"],
                     minutes=120, type_="rollout")
    after = _log("listing-sync-7c8d9f6b5-bbmnx", "market", ES_JAVA, first_minutes=100)
    assert [h.how for h in lh.found(_facts([change], [after]))] == ["sends"]
    before = _log("listing-sync-7c8d9f6b5-bbmnx", "market", ES_JAVA, first_minutes=300)
    assert lh.found(_facts([change], [before])) == []


def test_a_revision_of_another_workload_does_not_explain_the_rejections() -> None:
    change = _change("Deployment", "market", "price-feed", ["price-feed image feed:1 -> feed:2"], type_="rollout")
    assert lh.found(_facts([change], [_log("listing-sync-7c8d9f6b5-bbmnx", "market", ES_JAVA)])) == []


# ---- reading -----------------------------------------------------------------------------------------------


def test_read_fetches_the_logs_of_a_changed_workload_nobody_named() -> None:
    change = _change("Deployment", "shop", "catalog-indexer", ["catalog-indexer env INDEX_ATTRS='curated' -> "
                                                               "INDEX_ATTRS='all'"], minutes=290, type_="rollout")
    facts = _facts([change], [])
    pod = "catalog-indexer-5f6d7c8b9-wxz2q"

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_list":
            return ToolOutcome("E30", tool, arguments, True, "", data={"rows": [{"name": pod}]})
        facts_data = {"errors": [{"template": ES_PY, "example": ES_PY, "severity": "error",
                                  "first_seen": _stamp(260)}], "hosts": []}
        return ToolOutcome("E31", tool, arguments, True, "logs", full_text=f"logs\n{ES_PY}",
                           data={"pod": pod, "namespace": "shop", "facts": facts_data})

    asyncio.run(lh.read(facts, call))
    [hit] = lh.found(facts)
    assert hit.how == "sends" and "E31" in hit.evidence


# ---- the timeline's template writes ------------------------------------------------------------------------


def test_template_write_without_revision_says_current_args_and_hides_secret_env() -> None:
    container: dict[str, Any] = {'k:{"name":"redis"}': {"f:args": {}, "f:env": {}}}
    written = {"f:spec": {"f:template": {"f:spec": {"f:containers": container}}}}
    sts = {"kind": "StatefulSet", "metadata": {"name": "redis", "namespace": "cache", "uid": "u1",
                                               "creationTimestamp": "2026-05-01T00:00:00Z",
                                               "managedFields": [{"manager": "helm", "time": _stamp(60),
                                                                  "fieldsV1": written}]},
           "spec": {"template": {"spec": {"containers": [{"name": "redis", "args": ["--maxclients", "128"],
                                                          "env": [{"name": "REDIS_PASSWORD",
                                                                   "value": "hunter2-VIGIL-CANARY-x"}]}]}}}}
    revision = {"kind": "ControllerRevision", "metadata": {"name": "redis-abc", "namespace": "cache",
                                                           "creationTimestamp": _stamp(60),
                                                           "ownerReferences": [{"uid": "u1", "name": "redis"}]}}

    def secret(text: str) -> bool:
        return "PASSWORD" in text

    def has(t: datetime | None) -> bool:
        return t is not None and AT - timedelta(hours=6) <= t <= AT

    [wr] = template_writes.writes({"StatefulSet": [sts]}, ["StatefulSet"], has, secret)
    assert wr["diff"][0] == "redis args now ['--maxclients', '128']"
    assert all("hunter2" not in line for line in wr["diff"]) and "redis env REDIS_PASSWORD written" in wr["diff"]
    assert template_writes.writes({"StatefulSet": [sts], "ControllerRevision": [revision]}, ["StatefulSet"], has,
                                  secret) == []  # the revision reports it, with an exact diff


def test_the_servers_own_rollout_is_not_a_client_that_sends_more() -> None:
    server_line = ("[2026-06-01T19:40:00,000][DEBUG][o.e.a.b.TransportShardBulkAction] [search-es-0] [products][0] "
                   "failed to execute bulk item (index) java.lang.IllegalArgumentException: Limit of total fields "
                   "[1000] has been exceeded while adding new fields [2]")
    change = _change("StatefulSet", "shop", "search-es", ["elasticsearch image elasticsearch:8.15.2 -> "
                                                          "elasticsearch:8.15.3"], minutes=120, type_="rollout")
    assert lh.found(_facts([change], [_log("search-es-0", "shop", server_line, first_minutes=100)])) == []


PGBOUNCER = ("psycopg2.OperationalError: connection to server failed: FATAL:  no more connections allowed "
             "(max_client_conn)")
SQLALCHEMY = ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 0 reached, connection timed out, "
              "timeout 30.00")


def test_pgbouncer_max_client_conn_lowered_in_its_ini() -> None:
    change = _change("ConfigMap", "db", "pgbouncer-config",
                     ["data key pgbouncer.ini '[pgbouncer]\\npool_mode = session\\nmax_client_conn = 1000' -> "
                      "'[pgbouncer]\\npool_mode = session\\nmax_client_conn = 100'"])
    [hit] = lh.found(_facts([change], [_log("ledger-6c7d8f9b5-q2w4x", "finance", PGBOUNCER)]))
    assert hit.how == "limit" and hit.setting is not None and (hit.setting.old, hit.setting.new) == ("1000", "100")


def test_client_pool_size_lowered_and_its_raised_twin() -> None:
    log = _log("reports-7b8c9d6f5-zz9k2", "bi", SQLALCHEMY)
    lowered = _change("Deployment", "bi", "reports", ["reports env DB_POOL_SIZE='20' -> DB_POOL_SIZE='5'"],
                      type_="rollout")
    [hit] = lh.found(_facts([lowered], [log]))
    assert hit.family.name == "client_pool_exhausted" and hit.setting is not None and hit.setting.new == "5"
    raised = _change("Deployment", "bi", "reports", ["reports env DB_POOL_SIZE='5' -> DB_POOL_SIZE='20'"],
                     type_="rollout")
    assert lh.found(_facts([raised], [log])) == []


# ---- search limits: an operator resource read back, a server flag in args -------------------------------------

ES_NODE_BUCKETS = ('ResponseError: search_phase_execution_exception\n\tCaused by:\n\t\ttoo_many_buckets_exception: '
                   'Trying to create too many buckets. Must be less than or equal to: [10000] but this number of '
                   'buckets was exceeded. This limit can be set by changing the [search.max_buckets] cluster level '
                   'setting.')
OS_JAVA_WINDOW = ("org.opensearch.OpenSearchStatusException: OpenSearch exception [type=illegal_argument_exception, "
                  "reason=Result window is too large, from + size must be less than or equal to: [2000] but was "
                  "[2020]. See the scroll api for a more efficient way to request large data sets.]")


def _search_resource(buckets: int, minutes: int = 55) -> tuple[dict[str, Any], tuple[dict[str, Any], str]]:
    """An ECK-style Elasticsearch resource written `minutes` ago (the timeline's one truncated line), and the
    object as read back now."""
    change = _change("Elasticsearch", "search", "logs-cluster",
                     ['spec.nodeSets = [{"config": {"node.roles": ["master'], minutes=minutes, type_="other")
    obj = {"kind": "Elasticsearch", "metadata": {"name": "logs-cluster", "namespace": "search"},
           "spec": {"version": "8.15.0", "nodeSets": [{"name": "hot", "count": 3,
                                                       "config": {"node.roles": ["data"],
                                                                  "search.max_buckets": buckets}}]}}
    return change, (obj, "E40")


def test_operator_resource_read_back_holds_the_bucket_limit_the_error_prints() -> None:
    change, obj = _search_resource(10000)
    facts = _facts([change], [_log("reports-api-5d9c7b8f6-abcde", "reporting", ES_NODE_BUCKETS)], [obj])
    [hit] = lh.found(facts)
    assert hit.target.kind == "Elasticsearch" and hit.how == "limit" and hit.family.name == "search_request_limit"
    assert hit.setting is not None and hit.setting.key.endswith("search.max_buckets") and hit.setting.new == "10000"
    head = lh.finding(hit)["message"][:400]
    assert "search.max_buckets now 10000" in head and "too_many_buckets_exception" in head and "aggregation" in head


def test_resource_read_back_with_another_value_than_the_error_prints_is_not_blamed() -> None:
    change, obj = _search_resource(65536)
    facts = _facts([change], [_log("reports-api-5d9c7b8f6-abcde", "reporting", ES_NODE_BUCKETS)], [obj])
    assert lh.found(facts) == []


def test_resource_written_after_the_errors_began_is_not_blamed() -> None:
    change, obj = _search_resource(10000, minutes=30)
    facts = _facts([change], [_log("reports-api-5d9c7b8f6-abcde", "reporting", ES_NODE_BUCKETS, first_minutes=50)],
                   [obj])
    assert lh.found(facts) == []


def test_opensearch_result_window_lowered_in_server_args_and_its_raised_twin() -> None:
    lowered = _change("StatefulSet", "search", "opensearch-data",
                      ["opensearch args ['-Eindex.max_result_window=10000'] -> ['-Eindex.max_result_window=2000']"],
                      type_="rollout")
    facts = _facts([lowered], [_log("catalog-api-7f6d5c4b3-xyz12", "catalog", OS_JAVA_WINDOW)])
    [hit] = lh.found(facts)
    assert hit.target.name == "opensearch-data" and hit.setting is not None and hit.setting.new == "2000"
    assert "max_result_window" in lh.finding(hit)["message"][:200]
    raised = _change("StatefulSet", "search", "opensearch-data",
                     ["opensearch args ['-Eindex.max_result_window=1000'] -> ['-Eindex.max_result_window=2000']"],
                     type_="rollout")
    assert lh.found(_facts([raised], [_log("catalog-api-7f6d5c4b3-xyz12", "catalog", OS_JAVA_WINDOW)])) == []


def test_read_fetches_a_recently_written_search_resource_when_its_error_is_in_view() -> None:
    change, (obj, _) = _search_resource(10000)
    other = _change("Certificate", "search", "logs-cluster-tls", ["spec.duration = 2160h"], minutes=50,
                    type_="other")
    facts = _facts([change, other], [_log("reports-api-5d9c7b8f6-abcde", "reporting", ES_NODE_BUCKETS)])
    asked: list[tuple[str, str]] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(arguments.get("kind"))))
        text = yaml.safe_dump(obj)
        return ToolOutcome("E41", tool, arguments, True, text, full_text=text, data={"yaml": text})

    asyncio.run(lh.read(facts, call))
    assert ("k8s_get", "Elasticsearch") in asked and ("k8s_get", "Certificate") not in asked
    [hit] = lh.found(facts)
    assert hit.target.name == "logs-cluster"


def test_resource_leaf_diff_from_last_applied_and_its_raised_twin() -> None:
    lowered = _change("OpenSearchCluster", "search", "events",
                      ["spec.general.additionalConfig.search.max_buckets: '65536' -> '5000'"], type_="other")
    error = ES_NODE_BUCKETS.replace("[10000]", "[5000]")
    [hit] = lh.found(_facts([lowered], [_log("reports-api-5d9c7b8f6-abcde", "reporting", error)]))
    assert hit.target.kind == "OpenSearchCluster" and hit.setting is not None and hit.setting.old == "65536"
    raised = _change("OpenSearchCluster", "search", "events",
                     ["spec.general.additionalConfig.search.max_buckets: '5000' -> '65536'"], type_="other")
    assert lh.found(_facts([raised], [_log("reports-api-5d9c7b8f6-abcde", "reporting", error)])) == []
    untouched = _change("OpenSearchCluster", "search", "events", ["spec.general.version = '2.15.0'",
                                                                  "spec.general.max_buckets = 5000 (current)"],
                        type_="other")
    assert lh.found(_facts([untouched], [_log("reports-api-5d9c7b8f6-abcde", "reporting", error)])) == []


# ---- a server's config file embedded in an operator resource as one string ------------------------------------


def _broker_resource(kind: str, path: list[str], config: str, minutes: int = 300) -> tuple[
        dict[str, Any], tuple[dict[str, Any], str]]:
    """An operator resource whose write the timeline shows as one truncated line, holding the server's own config
    file as a string under `path` (a RabbitmqCluster's `spec.rabbitmq.additionalConfig`)."""
    change = _change(kind, "broker", "events", [f"spec.{'.'.join(path)} = '{config[:60]}"], minutes=minutes,
                     type_="other")
    spec: dict[str, Any] = {"replicas": 3}
    node = spec
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = config
    return change, ({"kind": kind, "metadata": {"name": "events", "namespace": "broker"}, "spec": spec}, "E41")


RABBIT_SERVER = ("operation none caused a channel exception precondition_failed: delivery acknowledgement on "
                 "channel 1 timed out. Timeout value used: 300000 ms. This timeout value can be configured")
RABBIT_GO = ('Exception (406) Reason: "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. '
             'Timeout value used: 300000 ms. This timeout value can be configured, see consumers doc guide"')


def test_rabbitmq_consumer_timeout_inside_additional_config_read_back() -> None:
    change, obj = _broker_resource("RabbitmqCluster", ["rabbitmq", "additionalConfig"],
                                   "cluster_partition_handling = pause_minority\nconsumer_timeout = 300000\n")
    facts = _facts([change], [_log("rabbitmq-server-0", "broker", RABBIT_SERVER, first_minutes=280)], [obj])
    [hit] = lh.found(facts)
    assert hit.target.kind == "RabbitmqCluster" and hit.how == "limit" and hit.family.name == "rabbitmq_ack_timeout"
    assert hit.setting is not None and hit.setting.key.endswith("consumer_timeout") and hit.setting.new == "300000"
    head = lh.finding(hit)["message"][:400]
    assert "consumer_timeout now 300000" in head and "unacknowledged" in head


def test_consumer_timeout_in_a_yaml_style_embedded_file_seen_by_a_go_client() -> None:
    change, obj = _broker_resource("BrokerCluster", ["server", "config"],
                                   "log.level: info\nconsumer_timeout: 300000\n")
    facts = _facts([change], [_log("exporter-7c9d8b6f5-q2w3e", "jobs", RABBIT_GO, first_minutes=200)], [obj])
    assert lh.found(facts) == []  # a resource whose name says no broker, and no topology tie: no relation
    facts.topologies = [({"dependencies": [{"target": {"kind": "BrokerCluster", "namespace": "broker",
                                                       "name": "events"}}]}, "E9")]
    [hit] = lh.found(facts)
    assert hit.target.name == "events" and hit.setting is not None and hit.setting.new == "300000"
    assert "is a dependency of the subject" in lh.finding(hit)["message"]


def test_embedded_consumer_timeout_other_than_the_printed_value_is_not_blamed() -> None:
    change, obj = _broker_resource("RabbitmqCluster", ["rabbitmq", "additionalConfig"],
                                   "cluster_partition_handling = pause_minority\nconsumer_timeout = 3600000\n")
    facts = _facts([change], [_log("rabbitmq-server-0", "broker", RABBIT_SERVER, first_minutes=280)], [obj])
    assert lh.found(facts) == []


def test_embedded_consumer_timeout_written_after_the_timeouts_began_is_not_blamed() -> None:
    change, obj = _broker_resource("RabbitmqCluster", ["rabbitmq", "additionalConfig"],
                                   "consumer_timeout = 300000\n", minutes=60)
    facts = _facts([change], [_log("rabbitmq-server-0", "broker", RABBIT_SERVER, first_minutes=280)], [obj])
    assert lh.found(facts) == []


# ---- worker concurrency raised above the client pool the workers share ------------------------------------------

ACTIVERECORD = ("ActiveRecord::ConnectionTimeoutError: could not obtain a connection from the pool within 5.000 "
                "seconds (waited 5.004 seconds); all pooled connections were in use")


def test_sidekiq_concurrency_raised_over_the_activerecord_pool_and_its_lowered_twin() -> None:
    log = _log("mail-jobs-6c7d8f9b5-q2w4x", "notify", ACTIVERECORD, first_minutes=30)
    raised = _change("Deployment", "notify", "mail-jobs",
                     ["mail-jobs env SIDEKIQ_CONCURRENCY='5' -> SIDEKIQ_CONCURRENCY='25'"], minutes=35,
                     type_="rollout")
    [hit] = lh.found(_facts([raised], [log]))
    assert hit.family.name == "client_pool_exhausted" and hit.how == "driver"
    head = lh.finding(hit)["message"][:400]
    assert "SIDEKIQ_CONCURRENCY: 5 -> 25" in head and "connection pool" in head and "ConnectionTimeoutError" in head
    lowered = _change("Deployment", "notify", "mail-jobs",
                      ["mail-jobs env SIDEKIQ_CONCURRENCY='25' -> SIDEKIQ_CONCURRENCY='5'"], minutes=35,
                      type_="rollout")
    assert lh.found(_facts([lowered], [log])) == []


def test_celery_concurrency_flag_raised_over_the_sqlalchemy_pool() -> None:
    change = _change("Deployment", "bi", "etl-worker",
                     ["etl-worker args ['worker', '--concurrency=4'] -> ['worker', '--concurrency=32']"],
                     type_="rollout")
    [hit] = lh.found(_facts([change], [_log("etl-worker-7b8c9d6f5-zz9k2", "bi", SQLALCHEMY)]))
    assert hit.how == "driver" and hit.setting is not None and (hit.setting.old, hit.setting.new) == ("4", "32")


def test_raising_the_rails_pool_itself_is_more_room_not_a_cause() -> None:
    log = _log("mail-jobs-6c7d8f9b5-q2w4x", "notify", ACTIVERECORD, first_minutes=30)
    raised = _change("Deployment", "notify", "mail-jobs",
                     ["mail-jobs env RAILS_MAX_THREADS='5' -> RAILS_MAX_THREADS='25'"], minutes=35, type_="rollout")
    assert lh.found(_facts([raised], [log])) == []
    lowered = _change("Deployment", "notify", "mail-jobs",
                      ["mail-jobs env RAILS_MAX_THREADS='25' -> RAILS_MAX_THREADS='5'"], minutes=35, type_="rollout")
    [hit] = lh.found(_facts([lowered], [log]))
    assert hit.how == "limit"


def test_concurrency_raised_on_a_bystander_is_not_blamed() -> None:
    log = _log("mail-jobs-6c7d8f9b5-q2w4x", "notify", ACTIVERECORD, first_minutes=30)
    other = _change("Deployment", "notify", "sms-gateway",
                    ["sms-gateway env WORKER_CONCURRENCY='5' -> WORKER_CONCURRENCY='50'"], minutes=35, type_="rollout")
    assert lh.found(_facts([other], [log])) == []


def test_the_brokers_own_consumer_timeout_warning_is_the_ack_limit_and_a_lookalike_is_not() -> None:
    """RabbitMQ 3.12+ logs the timeout on the broker side in its own words ("Consumer ... has timed out waiting for
    a consumer acknowledgement of a delivery with delivery tag = N"), not only as the client's 406; a consumer that
    timed out waiting for something else is not that limit."""
    from agent.triage import limit_table

    broker = ("2024-05-14 09:12:44.120183+00:00 [warning] <0.1532.0> Consumer None on channel 1 has timed out "
              "waiting for a consumer acknowledgement of a delivery with delivery tag = 1. Timeout used: 1800000 ms.")
    other = "consumer timed out waiting for a connection from the pool after 30000 ms"
    assert [x.name for x in limit_table.recognise(broker)] == ["rabbitmq_ack_timeout"]
    assert "rabbitmq_ack_timeout" not in [x.name for x in limit_table.recognise(other)]
