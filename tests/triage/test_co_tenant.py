"""Another client of the victim's dependency (agent.triage.co_tenant): load on a shared store, a copied identity.

The victims' lines are the real shapes of their clients' logs: go-redis' `i/o timeout` and a slow-call warning
with the key (logfmt), a Python client's OpenSearch read timeout (JSON). The other clients speak their software's
own terms: a sweeper logging `match=sess:*` (redis-py `scan_iter`/`keys` pattern), a reindex CronJob's
`--reindex --bulk-size` args. The exporters' series are redis_exporter's and elasticsearch_exporter's. The change
lines are the timeline's (`created`, a rollout's env diff, a CronJob's `spec.schedule` write). Negative twins:
the same sweeper not written within the lead, a write after the onset, a changed workload that does nothing heavy,
a victim whose slow line names no software; a copied group.id whose value differs, a write to the victim itself.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_alertmanager
from agent.toolhub import ToolOutcome
from agent.triage import co_tenant as ct
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject, subject_of
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)


class _Cluster(RecordingHub):
    """What the hub answers: the workloads' YAML by name, their topology and one pod's log text; the exporter's
    samples."""

    def __init__(self, yaml: dict[str, str], logs: dict[str, str], samples: list[dict[str, Any]] | None = None) -> None:
        super().__init__(objects=yaml, ids={"k8s_get": "E30"},
                         answers={"prom_query": outcome(True, {"samples": samples or []}, evidence_id="E40")})
        self.log_text = logs

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_topology":
            pod = {"name": f"{call.args['name']}-5f6d7c8b9a-x2kq4", "namespace": call.args["namespace"]}
            return outcome(True, {"pods": [pod]}, evidence_id="E30")
        if call.tool == "k8s_logs":
            name = call.args["name"].rsplit("-", 2)[0]
            return outcome(name in self.log_text, {}, self.log_text.get(name, ""), "E30")
        return super().answer(call, eid)


def _t(minutes_before: float) -> str:
    return (AT - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _subject(labels: dict[str, str], summary: str) -> Subject:
    notes = {"summary": summary, "description": summary}
    payload = {"version": "4", "status": "firing", "receiver": "vigil", "groupKey": "{}", "groupLabels": {},
               "commonLabels": labels, "commonAnnotations": notes, "externalURL": "",
               "alerts": [{"status": "firing", "labels": labels, "annotations": notes,
                           "startsAt": _t(0), "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "abc",
                           "generatorURL": ""}]}
    [incident] = from_alertmanager(payload)
    return subject_of(incident)


def _log(pod: str, namespace: str, entries: list[dict[str, Any]]) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E5", top=entries[0], hosts=[],
                       error_classes={str(e.get("error_class")) for e in entries if e.get("error_class")},
                       previous=False, more=[e for e in entries[1:] if e.get("severity") == "error"],
                       warnings=[e for e in entries if e.get("severity") == "warning"])


def _change(kind: str, ns: str, name: str, minutes_before: float, type_: str, diff: list[str]) -> dict[str, Any]:
    what = "created" if type_ == "created" else f"written: {'; '.join(diff)}"
    return {"at": _t(minutes_before), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} {what}", "diff": diff}


SWEEPER_YAML = """apiVersion: apps/v1
kind: Deployment
metadata: {name: session-sweeper, namespace: accounts}
spec:
  template:
    spec:
      containers:
      - name: sweeper
        image: registry.example.com/accounts/sweeper:1.0.0
        env: [{name: SWEEP_EVERY, value: "30"}]
"""
SWEEPER_LOG = ("==== START logs ====\n"
               "2026-06-03 09:31:02,114 INFO sweeper: sweeping match=sess:* examined=4100000 removed=31 in 2.1s\n"
               "2026-06-03 09:31:32,090 INFO sweeper: sweeping match=sess:* examined=4100020 removed=12 in 2.2s\n")
QUIET_YAML = SWEEPER_YAML.replace("session-sweeper", "profile-api").replace("sweeper:1.0.0", "profile:4.2.0")
QUIET_LOG = "==== START logs ====\n2026-06-03 09:40:00 INFO profile: listening on :8080\n"
REDIS_SAMPLES = [
    {"labels": {"__name__": "redis_commands_total", "cmd": "keys", "namespace": "accounts"}, "value": 240},
    {"labels": {"__name__": "redis_commands_duration_seconds_total", "cmd": "keys"}, "value": 504.0},
    {"labels": {"__name__": "redis_commands_total", "cmd": "get"}, "value": 9_000_000},
    {"labels": {"__name__": "redis_slowlog_length"}, "value": 128},
]

SESSION_SLOW = [
    {"template": "redis call failed", "example": 'level=error msg="redis call failed" cmd=GET err="redis: i/o timeout"',
     "count": 40, "first_seen": _t(200), "severity": "error", "error_class": "connection_timeout"},
    {"template": "slow redis call", "example": 'level=warn msg="slow redis call" cmd=GET key=sess:88213 '
     "duration_ms=2140", "count": 90, "first_seen": _t(210), "severity": "warning", "error_class": None},
]


def _session_subject() -> Subject:
    return _subject({"alertname": "SessionLatencyHigh", "namespace": "accounts", "service": "session-api",
                     "severity": "critical"}, "session-api p99 latency above 300ms")


def _redis_facts(changes: list[dict[str, Any]], entries: list[dict[str, Any]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2",
                 logs=[_log("session-api-7d9f8c6b5d-qx2lm", "accounts", entries or SESSION_SLOW)])


def _read(subject: Subject, facts: Facts, cluster: _Cluster) -> Facts:
    asyncio.run(ct.read(subject, facts, cluster, _t(0)))
    return facts


def _redis_cluster() -> _Cluster:
    return _Cluster({"session-sweeper": SWEEPER_YAML, "profile-api": QUIET_YAML},
                    {"session-sweeper": SWEEPER_LOG, "profile-api": QUIET_LOG}, REDIS_SAMPLES)


def test_a_new_sweeper_scanning_the_victims_keys_blocks_the_shared_redis() -> None:
    subject = _session_subject()
    changes = [_change("Deployment", "accounts", "session-sweeper", 260, "created", []),
               _change("Deployment", "accounts", "profile-api", 230, "rollout",
                       ["profile image registry.example.com/accounts/profile:4.1.0 -> "
                        "registry.example.com/accounts/profile:4.2.0"])]
    facts = _read(subject, _redis_facts(changes), _redis_cluster())
    [load] = ct.loads(facts)
    assert load.target.name == "session-sweeper" and load.victim.name == "session-api"
    message = ct.load_finding(load)["message"]
    assert message.startswith("Deployment accounts/session-sweeper matches keys by pattern sess:*")
    assert "KEYS" in message[:200] and "blocks" in message[:200] and "slowlog holds 128" in message
    assert "reads the same keys (sess:*) as session-api" in message and "was created at" in message
    assert "KEYS 240 times, 2.1 s each" in message and "E40" in load.evidence


def test_a_sweeper_that_was_not_written_within_the_lead_is_not_blamed() -> None:
    """The negative twin: the same sweeper has run for days; the slowness has another cause."""
    subject = _session_subject()
    changes = [_change("Deployment", "accounts", "session-sweeper", 60 * 30, "created", [])]
    cluster = _redis_cluster()
    facts = _read(subject, _redis_facts(changes), cluster)
    assert ct.loads(facts) == [] and not any(tool == "k8s_get" for tool, _ in cluster.calls)


def test_a_client_written_after_the_onset_or_doing_nothing_heavy_is_not_blamed() -> None:
    subject = _session_subject()
    changes = [_change("Deployment", "accounts", "session-sweeper", 30, "created", []),  # after the first slow call
               _change("Deployment", "accounts", "profile-api", 230, "rollout", ["profile image a -> b"])]
    assert ct.loads(_read(subject, _redis_facts(changes), _redis_cluster())) == []


def test_slow_lines_that_name_no_software_read_nothing() -> None:
    subject = _session_subject()
    vague = [{"template": "request slow", "example": 'level=warn msg="request slow" duration_ms=2140', "count": 9,
              "first_seen": _t(200), "severity": "warning", "error_class": None}]
    changes = [_change("Deployment", "accounts", "session-sweeper", 260, "created", [])]
    cluster = _redis_cluster()
    facts = _read(subject, _redis_facts(changes, vague), cluster)
    assert ct.loads(facts) == [] and cluster.calls == []


REINDEX_YAML = """apiVersion: batch/v1
kind: CronJob
metadata: {name: listing-rebuild, namespace: batch}
spec:
  schedule: "*/10 * * * *"
  concurrencyPolicy: Allow
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: rebuild
            image: registry.example.com/listings/rebuild:2.0.1
            args: ["--reindex", "--target=listings-v3", "--bulk-size=2000"]
"""


def test_a_reindex_cronjob_rescheduled_before_search_timeouts_loads_the_shared_cluster() -> None:
    """Another shape: OpenSearch, a CronJob whose schedule write made full reindexes run every 10 minutes."""
    subject = _subject({"alertname": "ListingSearchSlow", "namespace": "storefront", "deployment": "listing-api",
                        "severity": "warning"}, "listing-api search latency high")
    entries = [{"template": "opensearch query timed out", "example": '{"level":"error","logger":"opensearchpy",'
                '"msg":"ConnectionTimeout caused by - ReadTimeoutError(HTTPConnectionPool(host=\'search\', '
                'port=9200): Read timed out. (read timeout=10))"}', "count": 12, "first_seen": _t(50),
                "severity": "error", "error_class": "connection_timeout"}]
    facts = Facts(at=AT, changes={"changes": [_change(
        "CronJob", "batch", "listing-rebuild", 58, "other",
        ["spec.schedule written by kubectl-client-side-apply (now '*/10 * * * *')"])]}, changes_id="E2",
        logs=[_log("listing-api-6b7c9d8f4c-p2xwz", "storefront", entries)])
    samples = [{"labels": {"__name__": "elasticsearch_thread_pool_rejected_count", "type": "write"}, "value": 812},
               {"labels": {"__name__": "elasticsearch_thread_pool_queue_count", "type": "search"}, "value": 640}]
    facts = _read(subject, facts, _Cluster({"listing-rebuild": REINDEX_YAML}, {}, samples))
    [load] = ct.loads(facts)
    finding = ct.load_finding(load)
    assert load.target.kind == "CronJob" and load.schedule == "*/10 * * * *"
    assert "runs a reindex (--reindex --bulk-size=2000)" in finding["message"]
    assert "schedule '*/10 * * * *' now starts a full run every 10 min" in finding["message"]
    assert "812 write rejected" in finding["message"] and "thread pools" in finding["message"]


def _lag_subject(group: str) -> Subject:
    return _subject({"alertname": "KafkaConsumerGroupLagHigh", "namespace": "billing", "consumergroup": group,
                     "topic": "invoices", "severity": "critical"},
                    f"Consumer group {group} lag on invoices is above 1000")


def _identity_facts(subject: Subject, changes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    asyncio.run(ct.read(subject, facts, _Cluster({}, {}), _t(0)))
    return facts


def test_a_service_that_copied_the_victims_group_id_splits_its_partitions() -> None:
    subject = _lag_subject("invoice-writers")
    changes = [_change("Deployment", "reporting", "invoice-stats", 45, "rollout",
                       ["invoice-stats env KAFKA_GROUP_ID (unset) -> KAFKA_GROUP_ID='invoice-writers'"]),
               _change("Deployment", "web", "storefront", 20, "rollout", ["storefront image a:1 -> a:2"])]
    [hit] = ct.collisions(_identity_facts(subject, changes))
    message = ct.identity_finding(hit, AT)["message"]
    assert hit.target.name == "invoice-stats" and hit.value == "invoice-writers" and hit.old == ""
    assert "group.id" in message and "consumer group" in message and "rebalance" in message
    assert "partitions" in message and "45 min before the alert" in message


def test_a_spring_group_id_edited_to_the_victims_group_is_found_with_its_old_value() -> None:
    subject = _lag_subject("invoice-writers")
    changes = [_change("StatefulSet", "audit", "ledger-audit", 90, "rollout",
                       ["ledger-audit env SPRING_KAFKA_CONSUMER_GROUP_ID: 'ledger-audit' -> 'invoice-writers'"])]
    [hit] = ct.collisions(_identity_facts(subject, changes))
    assert hit.key == "SPRING_KAFKA_CONSUMER_GROUP_ID" and hit.old == "ledger-audit"
    assert "(was 'ledger-audit')" in ct.identity_finding(hit, AT)["message"]


def test_a_group_id_that_differs_or_belongs_to_the_victim_is_no_collision() -> None:
    """Negative twins: a copied-looking group.id with its own suffix; the group's own consumer rolled out."""
    subject = _subject({"alertname": "KafkaConsumerGroupLagHigh", "namespace": "billing",
                        "consumergroup": "invoice-writers", "deployment": "invoice-writer",
                        "severity": "critical"}, "Consumer group invoice-writers lag is above 1000")
    changes = [_change("Deployment", "reporting", "invoice-stats", 45, "rollout",
                       ["invoice-stats env KAFKA_GROUP_ID (unset) -> KAFKA_GROUP_ID='invoice-writers-stats'"]),
               _change("Deployment", "billing", "invoice-writer", 30, "rollout",
                       ["invoice-writer env KAFKA_GROUP_ID: 'invoice-writer' -> 'invoice-writers'"])]
    assert ct.collisions(_identity_facts(subject, changes)) == []


def test_a_copied_group_id_collides_with_the_victims_own_configured_group() -> None:
    """The alert carries no group label: the victim's own env holds the identity another workload was given."""
    subject = _subject({"alertname": "LedgerEntriesDelayed", "namespace": "ledger", "deployment": "ledger-writer",
                        "severity": "critical"}, "ledger-writer is behind on ledger entries")
    victim = """apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger-writer, namespace: ledger}
spec:
  template:
    spec:
      containers:
      - name: writer
        image: registry.example.com/ledger/writer:3.0.0
        env: [{name: KAFKA_CONSUMER_GROUP, value: ledger-entries}, {name: KAFKA_TOPIC, value: entries}]
"""
    def facts_with(value: str) -> Facts:
        facts = Facts(at=AT, changes={"changes": [_change(
            "Deployment", "risk", "fraud-scorer", 70, "rollout",
            [f"fraud-scorer env KAFKA_CONSUMER_GROUP (unset) -> KAFKA_CONSUMER_GROUP='{value}'"])]}, changes_id="E2",
            topologies=[({"subject": {"kind": "Deployment", "namespace": "ledger", "name": "ledger-writer"}}, "E3")])
        asyncio.run(ct.read(subject, facts, _Cluster({"ledger-writer": victim}, {}), _t(0)))
        return facts

    [hit] = ct.collisions(facts_with("ledger-entries"))
    assert hit.target.name == "fraud-scorer" and hit.key == "KAFKA_CONSUMER_GROUP"
    assert ct.collisions(facts_with("fraud-scores")) == []


def test_a_dump_job_locking_the_shared_postgres_before_statement_timeouts_is_named() -> None:
    """A third software: a nightly dump moved into business hours, the victim's statements cancelled by timeout."""
    subject = _subject({"alertname": "OrdersApiLatency", "namespace": "orders", "deployment": "orders-api",
                        "severity": "critical"}, "orders-api p99 latency high")
    dump = """apiVersion: batch/v1
kind: CronJob
metadata: {name: db-export, namespace: data}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: export
            image: postgres:16
            command: ["sh", "-c", "pg_dump -h orders-db.orders.svc -Fc orders > /backup/orders.dump"]
"""
    entries = [{"template": "query failed", "example": 'level=error msg="query failed" err="pq: canceling statement '
                'due to statement timeout"', "count": 30, "first_seen": _t(40), "severity": "error",
                "error_class": "connection_timeout"}]
    facts = Facts(at=AT, changes={"changes": [
        _change("CronJob", "data", "db-export", 45, "other", ["spec.schedule: '0 3 * * *' -> '0 * * * *'"])]},
        changes_id="E2", logs=[_log("orders-api-6f7d8c9b5x-k2p4q", "orders", entries)])
    facts.logs[0].hosts.append("orders-db.orders.svc:5432")
    facts = _read(subject, facts, _Cluster({"db-export": dump}, {}))
    [load] = ct.loads(facts)
    message = ct.load_finding(load)["message"]
    assert message.startswith("CronJob data/db-export runs pg_dump on the shared PostgreSQL")
    assert "talks to the same orders-db as orders-api" in message  # its command names the victim's database host
    assert "REINDEX CONCURRENTLY" in message and "5 min before the first slow call" in message


def test_without_the_exporter_the_pattern_sweep_is_named_but_keys_is_not_claimed() -> None:
    subject = _session_subject()
    cluster = _Cluster({"session-sweeper": SWEEPER_YAML}, {"session-sweeper": SWEEPER_LOG})
    facts = _read(subject, _redis_facts([_change("Deployment", "accounts", "session-sweeper", 260, "created", [])]),
                  cluster)
    [load] = ct.loads(facts)
    message = ct.load_finding(load)["message"]
    assert "with KEYS" not in message and "as KEYS it blocks" in message and load.metrics == ""
