"""agent.triage.telemetry_intake against stores, shippers and wording its round-30 incident did not use.

Shapes: VictoriaMetrics refusing new series at `-storage.maxHourlySeries` (vmstorage's `skipping the time series
because the limit on the number of unique series per hour is reached`, vmagent relaying) after another team's
rollout whose scrape job grew 40 times: that rollout; Elasticsearch rejecting bulk writes
(`es_rejected_execution_exception`, Filebeat relaying the 429) with no write in view: the store at its limit, named
Elasticsearch; Loki's per-stream rate limit after a write to its runtime config, Vector dropping on 429: the write.
Twins: missing metrics because a scrape target is down (`context deadline exceeded`; no store refuses anything),
a Datadog agent's `413 Request Entity Too Large` alone (a payload size, relayed by a shipper, no store refusing), and
the same Elasticsearch rejections in an incident about slow checkouts (not missing telemetry: nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import telemetry_intake as ti
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
VMSTORAGE = ("2026-12-02T07:51:10.000Z\twarn\tVictoriaMetrics/lib/storage/storage.go:1922\tskipping the time series "
             "because the limit on the number of unique series per hour is reached (-storage.maxHourlySeries=300000); "
             "sample series: {__name__=\"http_server_duration_bucket\",session_id=\"9f1c\"}")
VMAGENT = ("2026-12-02T07:51:12.000Z\twarn\tVictoriaMetrics/app/vmagent/remotewrite/client.go:411\tunexpected status "
           "code received after sending a block with size 81920 bytes to \"http://vminsert:8480/insert/0/prometheus\"")
ES = ('{"@timestamp":"2026-12-02T07:52:00.000Z","log.level":"WARN","message":"failed to execute bulk item (index) '
      'index {[logs-app][_doc]}","error.type":"es_rejected_execution_exception","error.message":"rejected execution '
      'of coordinating operation [coordinating_and_primary_bytes=52428800, max_coordinating_and_primary_bytes='
      '53687091]"}')
FILEBEAT = ('{"log.level":"warn","@timestamp":"2026-12-02T07:52:01.000Z","message":"Cannot index event: 429 Too Many '
            'Requests (status=429): es_rejected_execution_exception","service.name":"filebeat"}')
LOKI_STREAM = ('level=warn ts=2026-12-02T07:50:00Z caller=push.go:150 org_id=fake msg="push request failed" code=429 '
               'err="Per stream rate limit exceeded (limit: 3MB/sec) while attempting to ingest for stream '
               '\'{namespace=\\"payments\\"}\' totaling 524288B, consider splitting a stream via additional labels"')
VECTOR = ('2026-12-02T07:50:02.000Z ERROR sink{component_kind="sink" component_id=loki component_type=loki}: '
          'vector::sinks::util::retries: Not retriable; dropping the request. reason="Http status: 429 Too Many '
          'Requests"')
SCRAPE_DOWN = ('ts=2026-12-02T07:50:00Z caller=scrape.go:1400 level=debug component="scrape manager" '
               'scrape_pool=payments target=http://10.0.3.7:9090/metrics msg="Scrape failed" '
               'err="Get \\"http://10.0.3.7:9090/metrics\\": context deadline exceeded"')
DD_413 = ('2026-12-02 07:50:00 UTC | CORE | ERROR | (pkg/forwarder/worker.go:184 in process) | Error while processing '
          'transaction: error "413 Request Entity Too Large" while sending transaction to "https://7-57-0-app.agent.'
          'datadoghq.com/api/v2/series"')
METRICS_GONE = Subject(namespace="payments", labelled_values=["payments-api"], phrases=["metrics-absent"])
LOGS_GONE = Subject(labelled_values=["logs", "missing", "kibana"])


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def pod(name: str, ns: str, owner: str, args: list[str], cm: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "main", "args": args}]}
    if cm:
        spec["volumes"] = [{"name": "conf", "configMap": {"name": cm}}]
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "ownerReferences": [{"kind": owner}]},
            "spec": spec}


def run(subject: Subject, hub: RecordingHub, changes: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="C3")
    asyncio.run(ti.read(subject, facts, hub, iso(AT)))
    return facts


def rollout(ns: str, name: str, ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 7", "diff": []}


def test_victoriametrics_hourly_series_limit_names_the_growing_rollout() -> None:
    rows = [{"name": "vmstorage-0", "namespace": "vm", "images": ["victoriametrics/vmstorage:v1.102.1-cluster"]},
            {"name": "vmagent-5d8f9c7b6d-q2w8r", "namespace": "vm", "images": ["victoriametrics/vmagent:v1.102.1"]}]
    jobs = [{"labels": {"job": "sessions", "namespace": "web"}, "first": 3000.0, "max": 120000.0, "trend": "rising"},
            {"labels": {"job": "payments-api", "namespace": "payments"}, "first": 900.0, "max": 950.0}]
    hub = RecordingHub(objects={("Pod", "vm", "vmstorage-0"): pod("vmstorage-0", "vm", "StatefulSet",
                                                                  ["-storage.maxHourlySeries=300000"])},
                       lists={"Pod": rows}, logs={"vmstorage-0": [VMSTORAGE], "vmagent-5d8f9c7b6d-q2w8r": [VMAGENT]},
                       answers={"prom_query_range": outcome(True, {"series": jobs})})
    changes = [rollout("payments", "payments-api", timedelta(minutes=10)),
               rollout("web", "sessions", timedelta(hours=2))]
    [(ref, finding, _, explains)] = ti.suspects(run(METRICS_GONE, hub, changes))
    assert (ref.namespace, ref.name) == ("web", "sessions")
    head = finding["message"][:400]
    assert "cardinality" in head and "VictoriaMetrics" in head and "unique series per hour" in head
    assert "-storage.maxHourlySeries=300000" in head and [r.name for r in explains] == ["vmstorage"]


def es_hub(es_lines: list[str]) -> RecordingHub:
    rows = [{"name": "logs-es-data-0", "namespace": "elastic",
             "images": ["docker.elastic.co/elasticsearch/elasticsearch:8.15.3"]},
            {"name": "filebeat-x7k2p", "namespace": "elastic", "images": ["docker.elastic.co/beats/filebeat:8.15.3"]}]
    return RecordingHub(objects={("Pod", "elastic", "logs-es-data-0"): pod("logs-es-data-0", "elastic",
                                                                           "StatefulSet", [])},
                        lists={"Pod": rows}, logs={"logs-es-data-0": es_lines, "filebeat-x7k2p": [FILEBEAT]})


def test_elasticsearch_rejecting_bulk_writes_names_the_store_at_its_limit() -> None:
    [(ref, finding, _, _)] = ti.suspects(run(LOGS_GONE, es_hub(["started", ES])))
    assert (ref.kind, ref.name) == ("StatefulSet", "logs-es-data") and finding["check"] == ti.CHECK_AT_LIMIT
    head = finding["message"][:400]
    assert "Elasticsearch" in head and "es_rejected_execution_exception" in head and "429" in head
    assert "Cannot index event" in finding["message"]


def test_loki_per_stream_limit_after_its_runtime_config_write_names_the_write() -> None:
    rows = [{"name": "loki-write-1", "namespace": "logging", "images": ["grafana/loki:3.3.0"]},
            {"name": "vector-agent-9xk2p", "namespace": "logging", "images": ["timberio/vector:0.43.0-debian"]}]
    hub = RecordingHub(objects={("Pod", "logging", "loki-write-1"): pod("loki-write-1", "logging", "StatefulSet",
                                                                        ["-config.file=/etc/loki/config.yaml"],
                                                                        "loki-runtime")},
                       lists={"Pod": rows}, logs={"loki-write-1": [LOKI_STREAM], "vector-agent-9xk2p": [VECTOR]})
    write = {"at": iso(AT - timedelta(hours=2)), "type": "config",
             "object": {"kind": "ConfigMap", "namespace": "logging", "name": "loki-runtime"},
             "summary": "ConfigMap logging/loki-runtime written by flux: data key runtime.yaml set", "diff": []}
    [hit] = ti.found(run(LOGS_GONE, hub, [write]))
    assert hit.culprit.name == "loki-runtime" and hit.kind == "rate" and hit.check == ti.CHECK
    assert "Per stream rate limit" in hit.said and "429" in hit.shipper_said


def test_scrape_target_down_is_no_intake_limit() -> None:
    rows = [{"name": "vmstorage-0", "namespace": "vm", "images": ["victoriametrics/vmstorage:v1.102.1"]},
            {"name": "prometheus-k8s-0", "namespace": "monitoring", "images": ["quay.io/prometheus/prometheus:v3.0"]}]
    hub = RecordingHub(objects={("Pod", "vm", "vmstorage-0"): pod("vmstorage-0", "vm", "StatefulSet", [])},
                       lists={"Pod": rows}, logs={"vmstorage-0": ["started"], "prometheus-k8s-0": [SCRAPE_DOWN]})
    assert ti.found(run(METRICS_GONE, hub)) == []


def test_datadog_payload_too_large_alone_names_nothing() -> None:
    rows = [{"name": "datadog-agent-4kq8z", "namespace": "datadog", "images": ["gcr.io/datadoghq/agent:7.57.2"]}]
    hub = RecordingHub(lists={"Pod": rows}, logs={"datadog-agent-4kq8z": [DD_413]})
    assert ti.SHIPPER_IMAGE.search("gcr.io/datadoghq/agent:7.57.2")
    assert ti.found(run(METRICS_GONE, hub)) == []


def test_elasticsearch_rejections_in_a_slow_checkout_incident_read_nothing() -> None:
    hub = es_hub([ES])
    facts = run(Subject(namespace="shop", labelled_values=["checkout"], phrases=["p99-latency-high"]), hub)
    assert hub.calls == [] and ti.found(facts) == []
