"""agent.triage.settings_reset: a write dropped a server's settings and its reload reset them to defaults.

Shapes: a RedisFailover CR re-applied by Flux without `maxmemory-policy`, its replica saying the setting was unset
and reverted to the default while a cart service fails with OOM command errors; a Kafka CR whose broker says a
removed config key falls back to its default while a consumer fails. Twins: the same reset line with no write to its
object before it, a write whose server logged only a changed value, a reset while no client fails, a reset line in
another workload's pods.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import settings_reset as sr
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 14, 18, 0, tzinfo=UTC)
REDIS_RESET = ("2026-11-14T17:05:02Z 1:S 14 Nov 2026 17:05:02.113 * config rewrite: setting 'maxmemory-policy' "
               "unset by the operator, reverted to default (noeviction)")
KAFKA_RESET = ("[2026-11-14 17:10:44,020] INFO [DynamicConfigPublisher broker id=2] config key "
               "[log.cleaner.min.compaction.lag.ms] removed from broker overrides, falling back to default")
REDIS_CHANGED = "2026-11-14T17:05:02Z 1:S 14 Nov 2026 17:05:02.113 * CONFIG SET maxmemory 2gb -> 3gb applied"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, ns: str, name: str, minutes: int = 60) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by flux-kustomize (generation 4): spec.config.maxmemory = '3gb'",
            "diff": ["spec.config.maxmemory = '3gb'"]}


def failing(pod: str, ns: str, message: str) -> LogEvidence:
    top = {"template": message, "example": message, "severity": "error", "count": 12}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[], error_classes=set(),
                       previous=False)


def facts_for(changes: list[dict[str, Any]], ns: str, pods: dict[str, list[str]],
              victims: list[LogEvidence]) -> Facts:
    hub = RecordingHub(lists={("Pod", ns): [{"name": p} for p in pods]}, logs=pods)
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", logs=victims)
    asyncio.run(sr.read(Subject(namespace="shop"), facts, hub, iso(AT)))
    return facts


def test_redis_cr_rewritten_without_eviction_policy() -> None:
    facts = facts_for([write("RedisFailover", "cache", "cart-redis")], "cache",
                      {"rfr-cart-redis-0": ["ready to accept connections"], "cart-redis-1": [REDIS_RESET]},
                      [failing("cart-api-7d9c6b5f4d-x2x9q", "shop",
                               "OOM command not allowed when used memory > 'maxmemory'")])
    hits = sr.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("RedisFailover", "cart-redis")
    head = finding["message"][:600]
    assert "maxmemory-policy" in head and "flux-kustomize" in head and "OOM command not allowed" in head


def test_kafka_broker_config_key_removed_falls_back_to_default() -> None:
    facts = facts_for([write("Kafka", "streams", "events", minutes=90)], "streams",
                      {"events-kafka-2": [KAFKA_RESET]},
                      [failing("ledger-consumer-5f6d7c8b9a-abcde", "ledger", "record for offset 1882 was compacted")])
    hits = sr.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "events"
    assert "log.cleaner.min.compaction.lag.ms" in hits[0][1]["message"]


def test_reset_line_older_than_any_write_is_not_named() -> None:
    # the write came after the reset (the reload happened before it): the write cannot have dropped the key
    facts = facts_for([write("RedisFailover", "cache", "cart-redis", minutes=30)], "cache",
                      {"cart-redis-1": [REDIS_RESET]},
                      [failing("cart-api-7d9c6b5f4d-x2x9q", "shop", "OOM command not allowed")])
    assert sr.suspects(facts) == []


def test_reset_line_without_any_write_to_its_object() -> None:
    facts = facts_for([write("Deployment", "cache", "cart-sweeper")], "cache", {"cart-redis-1": [REDIS_RESET]},
                      [failing("cart-api-7d9c6b5f4d-x2x9q", "shop", "OOM command not allowed")])
    assert sr.suspects(facts) == []


def test_changed_value_is_not_a_reset() -> None:
    facts = facts_for([write("RedisFailover", "cache", "cart-redis")], "cache", {"cart-redis-1": [REDIS_CHANGED]},
                      [failing("cart-api-7d9c6b5f4d-x2x9q", "shop", "OOM command not allowed")])
    assert sr.suspects(facts) == []


def test_reset_while_no_client_fails() -> None:
    facts = facts_for([write("Kafka", "streams", "events", minutes=90)], "streams",
                      {"events-kafka-2": [KAFKA_RESET]}, [])
    assert sr.suspects(facts) == []


def test_reset_words_without_a_removed_setting() -> None:
    assert sr.reset_key("INFO stats: counters reset to default after window rollover") is None
    assert sr.reset_key('LOG:  parameter "work_mem" changed to "64MB"') is None
    assert sr.reset_key('LOG:  parameter "hot_standby_feedback" removed from configuration file, reset to '
                        'default') == "hot_standby_feedback"


def test_pods_that_never_started_are_not_asked_for_logs() -> None:
    """A pod waiting for its image or its init containers has no log: asking is a failed call, not evidence."""
    rows = [{"name": "cache-0", "status": "Running", "restarts": 0},
            {"name": "cache-1", "status": "ImagePullBackOff", "restarts": 0},
            {"name": "cache-2", "status": "Init:0/1", "restarts": 0},
            {"name": "cache-3", "status": "CrashLoopBackOff", "restarts": 5}]
    logs = {str(r["name"]): [REDIS_RESET] for r in rows}
    hub = RecordingHub(lists={("Pod", "shop"): rows}, logs=logs)
    facts = Facts(at=AT, changes={"changes": [write("RedisFailover", "shop", "cache")]}, changes_id="C1",
                  logs=[failing("api-7d9-x", "shop", "OOM command not allowed when used memory > 'maxmemory'")])
    asyncio.run(sr.read(Subject(namespace="shop"), facts, hub, iso(AT)))
    asked = [args["name"] for tool, args in hub.calls if tool == "k8s_logs"]
    assert asked == ["cache-0", "cache-3"]
    assert [found.keys for found in sr.found(facts)] == [["maxmemory-policy"]]


def test_nothing_is_read_while_no_client_outside_the_written_object_fails() -> None:
    """A recent write alone is no symptom: without a failing client (or with only the written object's own pods
    failing) no pod is listed and no log is read."""
    for victims in ([], [failing("cache-0", "shop", "Background saving error")]):
        hub = RecordingHub(lists={("Pod", "shop"): [{"name": "cache-0"}]}, logs={"cache-0": [REDIS_RESET]})
        facts = Facts(at=AT, changes={"changes": [write("RedisFailover", "shop", "cache")]}, changes_id="C1",
                      logs=victims)
        asyncio.run(sr.read(Subject(namespace="shop"), facts, hub, iso(AT)))
        assert hub.calls == [] and sr.found(facts) == []


# Issue #12: servers that say "using default" / "defaulting to" and name the key in backticks or bare with dashes.
SEARCH_RESET = ("[2026-11-14T17:20:11,402][WARN ][o.e.c.s.ClusterSettings] setting "
                "`cluster.routing.allocation.disk.watermark.high` deleted from the persistent settings, "
                "using default value [90%]")
RABBIT_RESET = ("2026-11-14 17:12:09.551 [warning] <0.230.0> option vm_memory_high_watermark.relative removed "
                "from rabbitmq.conf, defaulting to 0.4")
NEVER_SET = ("[2026-11-14T17:20:11,402][INFO ][o.e.n.Node] setting `cluster.routing.allocation.disk.watermark.high` "
             "not set, using default value [90%]")
NOT_IN_FILE = "2026-11-14 17:12:09.551 [info] <0.230.0> option heartbeat not in rabbitmq.conf, defaulting to 60"


def test_other_servers_reset_lines_name_the_write() -> None:
    facts = facts_for([write("Elasticsearch", "search", "logs-es", minutes=90)], "search",
                      {"logs-es-es-default-0": [SEARCH_RESET]},
                      [failing("ingest-7c9d8f6b5-q2w3e", "obs", "cluster_block_exception: index read-only")])
    [(ref, finding, _, _)] = sr.suspects(facts)
    assert ref.name == "logs-es" and finding["details"]["keys"] == ["cluster.routing.allocation.disk.watermark.high"]
    facts = facts_for([write("RabbitmqCluster", "mq", "orders-mq", minutes=90)], "mq",
                      {"orders-mq-server-0": [RABBIT_RESET]},
                      [failing("checkout-6b8d9c7f5-r2t4k", "shop", "connection blocked: memory alarm")])
    [(ref, finding, _, _)] = sr.suspects(facts)
    assert ref.name == "orders-mq" and finding["details"]["keys"] == ["vm_memory_high_watermark.relative"]
    assert sr.reset_key("WARN option max-connections deleted from server.conf, defaulting to 100") \
        == "max-connections"


def test_the_key_is_the_one_dropped_not_the_log_formats_brackets() -> None:
    assert sr.reset_key(KAFKA_RESET) == "log.cleaner.min.compaction.lag.ms"
    assert sr.reset_key("[WARN ][o.e.c.s.ClusterSettings] removed [indices.breaker.total.limit], using default") \
        == "indices.breaker.total.limit"


def test_defaults_for_keys_never_set_are_not_resets() -> None:
    facts = facts_for([write("Elasticsearch", "search", "logs-es", minutes=90)], "search",
                      {"logs-es-es-default-0": [NEVER_SET]},
                      [failing("ingest-7c9d8f6b5-q2w3e", "obs", "cluster_block_exception: index read-only")])
    assert sr.suspects(facts) == []
    facts = facts_for([write("RabbitmqCluster", "mq", "orders-mq", minutes=90)], "mq",
                      {"orders-mq-server-0": [NOT_IN_FILE]},
                      [failing("checkout-6b8d9c7f5-r2t4k", "shop", "connection blocked: memory alarm")])
    assert sr.suspects(facts) == []
