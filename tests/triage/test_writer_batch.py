"""One writer's batches shrank and a shared store refuses every writer for the request count (issue #12, round 22
class: a shared store's writers, one writer's batch shape hurting all).

Written here, not taken from the held-out bundles. Shapes: a ClickHouse writer whose rollout set its batch to one
row and its flush interval to 0, seen from another writer's log ("Too many parts", Code 252); an indexer whose bulk
size fell from 5000 to 1, seen from a log shipper's `es_rejected_execution_exception` (the store named by host only).
Negative twins: a batch that grew, a shrink on a writer of another store, refusals that began before the write.
The tool hub is a recorded fake answering with Kubernetes' shapes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, writer_batch
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, get_only

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=35)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _deployment(name: str, namespace: str, env: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [{
                "name": name, "image": f"reg/{name}:2", "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}


def _facts(namespace: str, name: str, diff: list[str], logs: list[LogEvidence], write: datetime = WRITE) -> Facts:
    change = {"at": _iso(write), "type": "rollout", "object": {"kind": "Deployment", "namespace": namespace,
                                                               "name": name},
              "summary": f"Deployment {namespace}/{name} rolled out revision 4: " + "; ".join(diff), "diff": diff}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=logs)


def _log(pod: str, namespace: str, line: str, when: datetime, hosts: list[str] | None = None) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=namespace, evidence_id=f"E-{pod}", hosts=hosts or [], error_classes=set(),
                       previous=False, top={"example": line, "first_seen": _iso(when)})


CH_LINE = ("Code: 252. DB::Exception: Too many parts (3004 with average size of 980.00 B) in table 'clicks.raw'. "
           "Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)")
CH_DIFF = ["clicks-ingest env INGEST_BATCH_ROWS='100000' -> INGEST_BATCH_ROWS='1'",
           "clicks-ingest env INGEST_FLUSH_INTERVAL_MS='2000' -> INGEST_FLUSH_INTERVAL_MS='0'"]


def _run(facts: Facts, hub: RecordingHub) -> list[writer_batch.Shrunk]:
    asyncio.run(writer_batch.read(Subject(), facts, hub, _iso(AT)))
    return writer_batch.found(facts)


def test_a_clickhouse_writer_batching_one_row_is_blamed_for_another_writers_too_many_parts() -> None:
    victim = _log("reports-loader-7d9f6c5b4-bcdfg", "reporting", CH_LINE, WRITE + timedelta(minutes=12))
    facts = _facts("tracking", "clicks-ingest", CH_DIFF, [victim])
    hub = get_only({"clicks-ingest": _deployment("clicks-ingest", "tracking", {
        "CH_DSN": "clickhouse://ch-main.warehouse.svc:9000/clicks", "INGEST_BATCH_ROWS": "1"})})
    [hit] = _run(facts, hub)
    assert hit.store.name == "ClickHouse" and hit.target == Ref("Deployment", "tracking", "clicks-ingest")
    assert ("INGEST_BATCH_ROWS", "100000", "1") in hit.settings and ("INGEST_FLUSH_INTERVAL_MS", "2000", "0") \
        in hit.settings
    message = writer_batch.finding(hit)["message"][:400]
    assert message.startswith("Deployment tracking/clicks-ingest now writes to the shared ClickHouse in tiny batches")
    assert "merges cannot keep up" in message and "Too many parts" in message
    [(ref, _, _, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == writer_batch.CHECK]
    assert ref == hit.target and Ref("Deployment", "reporting", "reports-loader") in explains


ES_LINE = ('[2026-09-02T13:50:11.004Z][WARN ][logstash.outputs.opensearch] Retrying failed action '
           '{:status=>429, :error=>{"type"=>"es_rejected_execution_exception", "reason"=>"rejected execution of '
           'coordinating operation [shard_detail=[logs-2026.09.02][0][P], shard_coordinating_and_primary_bytes=0, '
           'shard_operation_bytes=98] OR [node_coordinating_and_primary_bytes=0] on write thread pool"}}')


def test_an_indexer_sending_one_document_per_bulk_is_blamed_by_host_alone() -> None:
    victim = _log("log-shipper-x2k4p", "logging", ES_LINE, WRITE + timedelta(minutes=6),
                  hosts=["search-cluster.data.svc:9200"])
    diff = ["indexer env BULK_ACTIONS='5000' -> BULK_ACTIONS='1'"]
    facts = _facts("catalog", "indexer", diff, [victim])
    hub = get_only({"indexer": _deployment("indexer", "catalog", {"SEARCH_URL": "http://search-cluster.data.svc:9200"})})
    [hit] = _run(facts, hub)
    assert hit.store.name == "Elasticsearch" and hit.settings == [("BULK_ACTIONS", "5000", "1")]
    assert "es_rejected_execution_exception" in writer_batch.finding(hit)["message"][:400]


def test_a_batch_that_grew_is_not_blamed() -> None:
    diff = ["clicks-ingest env INGEST_BATCH_ROWS='1000' -> INGEST_BATCH_ROWS='100000'"]
    facts = _facts("tracking", "clicks-ingest", diff,
                   [_log("reports-loader-7d9f6c5b4-bcdfg", "reporting", CH_LINE, WRITE + timedelta(minutes=12))])
    hub = get_only({})
    assert _run(facts, hub) == [] and not hub.calls


def test_a_shrink_on_a_writer_of_another_store_is_not_blamed() -> None:
    facts = _facts("tracking", "clicks-ingest", ["clicks-ingest env PG_BATCH_SIZE='500' -> PG_BATCH_SIZE='1'"],
                   [_log("reports-loader-7d9f6c5b4-bcdfg", "reporting", CH_LINE, WRITE + timedelta(minutes=12),
                         hosts=["ch-main.warehouse.svc:8123"])])
    hub = get_only({"clicks-ingest": _deployment("clicks-ingest", "tracking", {
        "DATABASE_URL": "postgres://orders-pg.db.svc:5432/orders", "PG_BATCH_SIZE": "1"})})
    assert _run(facts, hub) == []


def test_refusals_that_began_before_the_write_are_not_its_doing() -> None:
    facts = _facts("tracking", "clicks-ingest", CH_DIFF,
                   [_log("reports-loader-7d9f6c5b4-bcdfg", "reporting", CH_LINE, WRITE - timedelta(minutes=20))])
    hub = get_only({"clicks-ingest": _deployment("clicks-ingest", "tracking", {"CH_DSN": "clickhouse://ch-main:9000"})})
    assert _run(facts, hub) == []


def test_shrinks_reads_only_batch_shape_settings() -> None:
    assert writer_batch.shrinks({"diff": ["w env WORKER_THREADS='64' -> WORKER_THREADS='1'"]}) == []
    assert writer_batch.shrinks({"diff": ["w env CH_ASYNC_INSERT='1' -> CH_ASYNC_INSERT='0'"]}) == [
        ("CH_ASYNC_INSERT", "1", "0")]
    assert writer_batch.shrinks({"diff": ["w env BATCH_SIZE='500' -> BATCH_SIZE='250'"]}) == []


# The same refusals in other clients' words: OpenSearch's indexing pressure as a Ruby client prints it (type
# rejected_execution_exception, no es_ prefix, no thread pool named), and ClickHouse's max_concurrent_queries hit
# by a flood of tiny INSERTs (code 202) as clickhouse-go prints it. Twin: a search thread pool's rejection.
OS_RUBY = ('OpenSearch::Transport::Transport::Errors::TooManyRequests: [429] {"error":{"root_cause":[{"type":'
           '"rejected_execution_exception","reason":"rejected execution of coordinating operation [shard_detail='
           '[products][2][C], shard_coordinating_and_primary_bytes=29490684]"}],"status":429}')
CH_GO = "clickhouse [execute]:: 500 code: 202, message: Too many simultaneous queries. Maximum: 100"


def test_an_opensearch_writer_shrunk_is_blamed_for_indexing_pressure_in_a_ruby_clients_words() -> None:
    victim = _log("catalog-web-6b7c8d9f5-qwert", "shop", OS_RUBY, WRITE + timedelta(minutes=7),
                  hosts=["opensearch.search.svc:9200"])
    facts = _facts("sync", "search-sync", ["search-sync env OPENSEARCH_BULK_SIZE='1000' -> OPENSEARCH_BULK_SIZE='1'"],
                   [victim])
    hub = get_only({"search-sync": _deployment("search-sync", "sync", {"OPENSEARCH_URL": "https://opensearch.search.svc:9200"})})
    [hit] = _run(facts, hub)
    assert hit.store.name == "Elasticsearch" and hit.settings == [("OPENSEARCH_BULK_SIZE", "1000", "1")]
    assert "rejected execution of coordinating operation" in writer_batch.finding(hit)["message"]


def test_a_clickhouse_sink_buffer_shrunk_is_blamed_for_too_many_simultaneous_queries() -> None:
    victim = _log("metrics-writer-5f6d7c8b9-asdfg", "metrics", CH_GO, WRITE + timedelta(minutes=9))
    facts = _facts("events", "events-sink", ["events-sink env SINK_BUFFER_SIZE='50000' -> SINK_BUFFER_SIZE='10'"],
                   [victim])
    hub = get_only({"events-sink": _deployment("events-sink", "events", {"CLICKHOUSE_HOST": "ch-main.warehouse.svc"})})
    [hit] = _run(facts, hub)
    assert hit.store.name == "ClickHouse" and "Too many simultaneous queries" in writer_batch.finding(hit)["message"]


def test_a_search_pool_rejection_is_no_write_refusal() -> None:
    search = ('{"type":"rejected_execution_exception","reason":"rejected execution of org.opensearch.action.search'
              '.SearchTask on OpenSearchThreadPoolExecutor[name = node-1/search, queue capacity = 1000]"}')
    victim = _log("catalog-web-6b7c8d9f5-qwert", "shop", search, WRITE + timedelta(minutes=7),
                  hosts=["opensearch.search.svc:9200"])
    facts = _facts("sync", "search-sync", ["search-sync env OPENSEARCH_BULK_SIZE='1000' -> OPENSEARCH_BULK_SIZE='1'"],
                   [victim])
    hub = get_only({"search-sync": _deployment("search-sync", "sync", {"OPENSEARCH_URL": "https://opensearch.search.svc:9200"})})
    assert _run(facts, hub) == []
