"""Data gone because an expiry/retention/lifecycle rule written shortly before said so (agent.triage.expiry_rule).

Each shape is a different store and a different place the rule was written, with the software's own wording
of "gone": an S3 lifecycle rule (a Crossplane managed resource) whose filter lost its prefix, with boto3's
NoSuchKey; a RabbitMQ operator Policy that gained message-ttl, with the broker's dead-lettered-expired counter;
a MongoDB TTL index created by a migration Job (its log line), with the client's "cart not found"; a
ConfigMap's session TTL cut, with "session not found". Negative twins: a TTL written on data the victim does
not use, a TTL lengthened, not-found errors printed before the write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import expiry_rule as er
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import outcome

AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def _stamp(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _log(pod: str, ns: str, message: str, first_minutes: float = 20) -> LogEvidence:
    entry = {"template": message, "message": message, "first_seen": _stamp(first_minutes), "severity": "error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E5", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def _write(kind: str, ns: str, name: str, minutes: float, diff: list[str], obj: dict[str, Any] | None = None,
           text: str = "", related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    change = {"at": _stamp(minutes), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
              "summary": f"{kind} {name} written", "diff": diff, "related": related or [], "managers": ["argocd"]}
    return {"change": change, "evidence": ["E2", "E9"], "object": obj, "text": text}


def _facts(writes: list[dict[str, Any]], logs: list[LogEvidence] | None = None,
           series: list[dict[str, Any]] | None = None, subject: list[str] | None = None) -> Facts:
    facts = Facts(at=AT, logs=logs or [])
    facts.reads[er.STORE] = {"writes": writes, "series": (series or [], "E4"), "subject": subject or []}
    return facts


NO_SUCH_KEY = ("botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject "
               "operation: The specified key does not exist.")


def _lifecycle(prefix: str | None) -> dict[str, Any]:
    flt: dict[str, Any] = {"prefix": prefix} if prefix is not None else {}
    return {"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketLifecycleConfiguration",
            "metadata": {"name": "media-lifecycle"},
            "spec": {"providerConfigRef": {"name": "default"},
                     "forProvider": {"bucketRef": {"name": "corp-media-assets"}, "region": "eu-central-1",
                                     "rule": [{"id": "purge-scratch", "status": "Enabled", "filter": [flt],
                                               "expiration": [{"days": 2}]}]}}}


def test_lifecycle_rule_without_prefix_names_the_managed_resource_with_its_widened_reach() -> None:
    write = _write("BucketLifecycleConfiguration", "", "media-lifecycle", 600,
                   ['spec.forProvider.rule = [{"expiration": [{"days": 2}], "filter": [{}]'], _lifecycle(None))
    facts = _facts([write], [_log("assets-api-6c9f7d8b5-k2x9q", "media", NO_SUCH_KEY)])
    [x] = er.found(facts)
    assert x.target.name == "media-lifecycle" and x.victim is not None and x.victim.name == "assets-api"
    message = er.finding(x)["message"]
    assert "expiration.days 2" in message[:200] and "no prefix filter" in message[:300]
    assert "corp-media-assets" in message[:120] and "NoSuchKey" in message


def test_lifecycle_rule_that_keeps_its_prefix_is_still_named_but_not_said_widened() -> None:
    write = _write("BucketLifecycleConfiguration", "", "media-lifecycle", 600, ["spec.forProvider.rule = [..."],
                   _lifecycle("scratch/"))
    [x] = er.found(_facts([write], [_log("assets-api-6c9f7d8b5-k2x9q", "media", NO_SUCH_KEY)]))
    assert x.rule.widened == ""


def _policy(name: str, pattern: str) -> dict[str, Any]:
    return {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Policy", "metadata": {"name": name, "namespace": "mq"},
            "spec": {"name": name, "vhost": "/", "pattern": pattern, "applyTo": "queues",
                     "definition": {"message-ttl": 30000, "dead-letter-exchange": f"{name}.dlx"},
                     "rabbitmqClusterReference": {"name": "broker"}}}


DEAD_LETTERED = [{"labels": {"__name__": "rabbitmq_global_messages_dead_lettered_expired_total", "namespace": "mq",
                             "vhost": "/", "queue_type": "rabbit_quorum_queue"},
                  "first": 0.0, "last": 5120.0, "max": 5120.0, "change": {"at": _stamp(40)}}]


def test_queue_policy_message_ttl_with_expired_dead_letters_names_the_policy() -> None:
    write = _write("Policy", "mq", "invoices-queues", 90, ['spec.definition = {"message-ttl": 30000'],
                   _policy("invoices-queues", r"^invoices\."))
    [x] = er.found(_facts([write], series=DEAD_LETTERED, subject=["invoices", "invoice", "billing"]))
    message = er.finding(x)["message"]
    assert x.target.name == "invoices-queues"
    assert "message-ttl 30000 (30 s)" in message[:250] and "dead-letter-exchange" in message[:300]
    assert "dead_lettered_expired" in message


def test_twin_queue_policy_on_queues_the_incident_does_not_name_is_not_named() -> None:
    write = _write("Policy", "mq", "notifications-queues", 90, ['spec.definition = {"message-ttl": 30000'],
                   _policy("notifications-queues", r"^notifications\."))
    assert er.found(_facts([write], series=DEAD_LETTERED, subject=["invoices", "invoice", "billing"])) == []


MIGRATION_LOG = """==== START logs for container migrate of pod shop/basket-svc-migrate-17-abcde ====
2026-12-05T03:10:01Z Applying migration 0017_guest_sessions.py
2026-12-05T03:10:02Z db.baskets.create_index([('touched', 1)], expireAfterSeconds=7200) -> touched_1
==== END logs ===="""


def test_migration_job_that_made_a_ttl_index_names_the_job_with_the_collection() -> None:
    write = _write("Job", "shop", "basket-svc-migrate-17", 350, [], text=MIGRATION_LOG,
                   related=[{"kind": "Deployment", "namespace": "shop", "name": "basket-svc"}])
    log = _log("basket-svc-5f6d7c8b9-q7w2e", "shop", "basket not found for customer c-1182, creating an empty one",
               first_minutes=200)
    [x] = er.found(_facts([write], [log]))
    message = er.finding(x)["message"]
    assert x.target.name == "basket-svc-migrate-17" and "db.baskets" in message[:120]
    assert "expireAfterSeconds=7200" in message[:300] and "0017_guest_sessions.py" not in x.rule.scope


def test_twin_not_found_errors_before_the_write_do_not_name_it() -> None:
    write = _write("Job", "shop", "basket-svc-migrate-17", 350, [], text=MIGRATION_LOG,
                   related=[{"kind": "Deployment", "namespace": "shop", "name": "basket-svc"}])
    log = _log("basket-svc-5f6d7c8b9-q7w2e", "shop", "basket not found for customer c-1182", first_minutes=900)
    assert er.found(_facts([write], [log])) == []


def _session_cm(ttl: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "session-gateway-config", "namespace": "auth"},
            "data": {"SESSION_TTL_SECONDS": ttl, "LOG_LEVEL": "info"}}


def test_configmap_session_ttl_cut_names_the_configmap_with_old_and_new() -> None:
    write = _write("ConfigMap", "auth", "session-gateway-config", 45,
                   ["data key SESSION_TTL_SECONDS '86400' -> '300'"], _session_cm("300"))
    log = _log("session-gateway-7b8c9d6f5-zz8k1", "auth", "session sid=8f2c not found in store: redirecting to login")
    [x] = er.found(_facts([write], [log]))
    message = er.finding(x)["message"]
    assert x.target.name == "session-gateway-config" and "86400 -> 300" in message[:300]


def test_twin_configmap_session_ttl_lengthened_is_not_named() -> None:
    write = _write("ConfigMap", "auth", "session-gateway-config", 45,
                   ["data key SESSION_TTL_SECONDS '300' -> '86400'"], _session_cm("86400"))
    log = _log("session-gateway-7b8c9d6f5-zz8k1", "auth", "session sid=8f2c not found in store: redirecting to login")
    assert er.found(_facts([write], [log])) == []


def test_twin_cache_ttl_of_another_service_is_not_named() -> None:
    write = _write("ConfigMap", "shop", "checkout-config", 45, ["data key CACHE_TTL '600' -> '300'"],
                   {"kind": "ConfigMap", "metadata": {"name": "checkout-config"}, "data": {"CACHE_TTL": "300"}})
    log = _log("session-gateway-7b8c9d6f5-zz8k1", "auth", "session sid=8f2c not found in store: redirecting to login")
    assert er.found(_facts([write], [log])) == []


def test_object_count_that_fell_is_a_gone_sign_tied_to_the_bucket_it_counts() -> None:
    series = [{"labels": {"__name__": "aws_s3_number_of_objects_average", "dimension_BucketName": "corp-media-assets"},
               "first": 90000.0, "last": 1200.0, "max": 90000.0}]
    write = _write("BucketLifecycleConfiguration", "", "media-lifecycle", 600, ["spec.forProvider.rule = [..."],
                   _lifecycle(None))
    [x] = er.found(_facts([write], series=series))
    assert "fell from 90000 to 1200" in er.finding(x)["message"]


def test_read_asks_nothing_more_than_the_series_when_nothing_is_gone() -> None:
    asked: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        asked.append(tool)
        return outcome(True, {"series": []})

    from agent.triage.subject import Subject

    topology = ({"subject": {"namespace": "shop"}, "pods": [{"name": "checkout-7c9d8f6b5-a1b2c", "namespace": "shop"}]},
                "E3")
    facts = Facts(at=AT, topologies=[topology])
    asyncio.run(er.read(Subject(names=["checkout", "latency"]), facts, call, _stamp(0)))
    assert asked == ["prom_query_range"] and er.found(facts) == []
    asked.clear()
    asyncio.run(er.read(Subject(names=["checkout", "baskets", "disappearing"]), Facts(at=AT, topologies=[topology]),
                        call, _stamp(0)))
    assert asked == ["prom_query_range", "k8s_logs"]  # the incident says data went: its own pods' logs are read


def test_read_gathers_the_rule_object_when_a_client_says_the_key_is_gone() -> None:
    asked: list[tuple[str, str]] = []
    obj = _lifecycle(None)

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        asked.append((tool, str(args.get("kind") or "")))
        if tool == "k8s_changes":
            return outcome(True, {"window_start": _stamp(48 * 60), "changes": [_write(
                "BucketLifecycleConfiguration", "", "media-lifecycle", 600,
                ['spec.forProvider.rule = [{"expiration": [{"days": 2}]'])["change"]]})
        if tool == "k8s_get":
            import yaml
            return outcome(True, full_text=yaml.safe_dump(obj))
        return outcome(True, {"series": []})

    from agent.triage.subject import Subject

    facts = Facts(at=AT, logs=[_log("assets-api-6c9f7d8b5-k2x9q", "media", NO_SUCH_KEY)])
    asyncio.run(er.read(Subject(names=["assets-api"]), facts, call, _stamp(0)))
    assert ("k8s_get", "BucketLifecycleConfiguration") in asked
    [x] = er.found(facts)
    assert x.target.name == "media-lifecycle" and x.rule.widened


def _gcs_bucket(prefixes: list[str]) -> dict[str, Any]:
    return {"apiVersion": "storage.gcp.upbound.io/v1beta1", "kind": "Bucket", "metadata": {"name": "scans-archive"},
            "spec": {"forProvider": {"location": "EU", "lifecycleRule": [
                {"action": [{"type": "Delete"}], "condition": [{"age": 3, "matchesPrefix": prefixes}]}]}}}


GCS_404 = ("google.api_core.exceptions.NotFound: 404 GET https://storage.googleapis.com/download/storage/v1/b/"
           "scans-archive/o/2026%2F11%2Fscan-88.tiff: No such object: scans-archive/2026/11/scan-88.tiff")


def test_gcs_lifecycle_delete_rule_that_matches_every_prefix_names_the_bucket() -> None:
    write = _write("Bucket", "", "scans-archive", 900, ["spec.forProvider.lifecycleRule = [..."], _gcs_bucket([]))
    [x] = er.found(_facts([write], [_log("scan-viewer-5d7c9b8f6-p2m4n", "records", GCS_404)]))
    message = er.finding(x)["message"]
    assert "condition.age 3 (3 day(s))" in message[:200] and "every object" in message[:320]


def test_gcs_lifecycle_rule_kept_to_its_prefix_is_not_said_to_reach_every_object() -> None:
    write = _write("Bucket", "", "scans-archive", 900, ["spec.forProvider.lifecycleRule = [..."],
                   _gcs_bucket(["tmp/"]))
    [x] = er.found(_facts([write], [_log("scan-viewer-5d7c9b8f6-p2m4n", "records", GCS_404)]))
    assert x.rule.widened == ""


def _topic(retention: str) -> dict[str, Any]:
    return {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
            "metadata": {"name": "payments-settled", "namespace": "kafka"},
            "spec": {"topicName": "payments.settled", "partitions": 12,
                     "config": {"retention.ms": retention, "cleanup.policy": "delete"}}}


OUT_OF_RANGE = ("[Consumer clientId=consumer-ledger-1, groupId=ledger] Fetch position FetchPosition{offset=18220, "
                "offsetEpoch=Optional[4]} is out of range for partition payments.settled-3, resetting offset")


def test_kafka_topic_retention_cut_under_the_consumers_lag_names_the_topic() -> None:
    write = _write("KafkaTopic", "kafka", "payments-settled", 120,
                   ["spec.config.retention.ms: '604800000' -> '600000'"], _topic("600000"))
    [x] = er.found(_facts([write], [_log("ledger-writer-7f8d9c6b5-w4k2j", "finance", OUT_OF_RANGE)]))
    message = er.finding(x)["message"]
    assert x.target.name == "payments-settled" and "604800000 -> 600000" in message[:300]


def test_twin_kafka_topic_retention_raised_is_not_named() -> None:
    write = _write("KafkaTopic", "kafka", "payments-settled", 120,
                   ["spec.config.retention.ms: '600000' -> '604800000'"], _topic("604800000"))
    assert er.found(_facts([write], [_log("ledger-writer-7f8d9c6b5-w4k2j", "finance", OUT_OF_RANGE)])) == []
