"""agent.triage.produced_format: a producer's new version writes shared data in a format its consumer rejects.

Shapes: a Python consumer (`ValueError: time data ... does not match format`) reading `gs://ledger-exports/...`
written by an exporter Deployment whose env names that bucket and whose image changed; a Java consumer
(`DateTimeParseException ... could not be parsed`) reading `s3a://pricing-feeds/...` written by a CronJob whose
args name it. Twins: a written workload whose spec names another bucket; the producer written after the consumer's
first rejection; a single rejection; no rejection naming a location (nothing is read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import produced_format as pf
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed

AT = datetime(2026, 5, 11, 18, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def exporter(bucket: str) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": "ledger-exporter", "namespace": "books"},
            "spec": {"template": {"spec": {"containers": [{"name": "exporter", "image": "r.example/exporter:4.0",
                                                           "env": [{"name": "EXPORT_BUCKET", "value": bucket}]}]}}}}


def publisher(bucket: str) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "price-snapshot", "namespace": "pricing"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "snap", "image": "r.example/snap:2.0", "args": ["--output", f"s3://{bucket}/snapshots"]}]}}}}}}


def change(kind: str, ns: str, name: str, at: datetime) -> dict[str, Any]:
    return {"at": iso(at), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-application-controller: image bumped", "diff": []}


PY_LINES = [f"2026-05-11 16:{10 + i}:00,001 ERROR loader: skipping gs://ledger-exports/daily-{i}.csv: ValueError: "
            f"time data '2026-05-11T16:{10 + i}:00Z' does not match format '%Y-%m-%d %H:%M:%S'" for i in range(4)]
JAVA_LINES = [f"2026-05-11T17:0{i}:00.000Z ERROR c.e.quotes.Loader - cannot load s3a://pricing-feeds/snapshots/{i}: "
              f"java.time.format.DateTimeParseException: Text '11/05/2026 17:0{i}' could not be parsed at index 0"
              for i in range(3)]


def run(objs: list[dict[str, Any]], pod: str, ns: str, lines: list[str],
        changes: list[dict[str, Any]]) -> tuple[Facts, RecordingHub]:
    hub = RecordingHub(objects=keyed(objs), logs={pod: lines})
    top = {"template": lines[0], "example": lines[0], "severity": "error"}
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1",
                  logs=[LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[], error_classes=set(),
                                    previous=False)])
    asyncio.run(pf.read(Subject(namespace=ns), facts, hub, iso(AT)))
    return facts, hub


def test_python_consumer_of_an_exporter_deployment_names_the_exporter() -> None:
    facts, _ = run([exporter("ledger-exports")], "ledger-loader-5d8f7-abcde", "books", PY_LINES,
                   [change("Deployment", "books", "ledger-exporter", AT - timedelta(hours=2))])
    [hit] = pf.found(facts)
    assert (hit.producer.kind, hit.producer.name, hit.bucket) == ("Deployment", "ledger-exporter", "ledger-exports")
    assert "does not match format" in pf.finding(hit, AT)["message"]


def test_java_consumer_of_a_cronjob_names_the_cronjob() -> None:
    facts, _ = run([publisher("pricing-feeds")], "quotes-7c9d8-fghij", "pricing", JAVA_LINES,
                   [change("CronJob", "pricing", "price-snapshot", AT - timedelta(hours=1, minutes=30))])
    [hit] = pf.found(facts)
    assert (hit.producer.kind, hit.producer.name) == ("CronJob", "price-snapshot")


def test_twin_written_workload_naming_another_bucket_is_not_named() -> None:
    facts, _ = run([publisher("pricing-archive")], "quotes-7c9d8-fghij", "pricing", JAVA_LINES,
                   [change("CronJob", "pricing", "price-snapshot", AT - timedelta(hours=2))])
    assert pf.found(facts) == []


def test_twin_producer_written_after_the_first_rejection_is_not_named() -> None:
    facts, _ = run([exporter("ledger-exports")], "ledger-loader-5d8f7-abcde", "books", PY_LINES,
                   [change("Deployment", "books", "ledger-exporter", AT - timedelta(minutes=90))])
    assert pf.found(facts) == []


def test_twin_single_rejection_is_not_enough() -> None:
    facts, _ = run([publisher("pricing-feeds")], "quotes-7c9d8-fghij", "pricing", JAVA_LINES[:1],
                   [change("CronJob", "pricing", "price-snapshot", AT - timedelta(hours=2))])
    assert pf.found(facts) == []


def test_no_rejection_naming_a_location_reads_nothing() -> None:
    lines = ["2026-05-11 16:10:00 ERROR api: upstream timed out after 30s"] * 3
    facts, hub = run([exporter("ledger-exports")], "ledger-loader-5d8f7-abcde", "books", lines,
                     [change("Deployment", "books", "ledger-exporter", AT - timedelta(hours=2))])
    assert pf.found(facts) == [] and hub.calls == []


# ---- other parsers' words and a structured log's bucket field (issue #12 audit) ----

RUST_LINES = [f'2026-05-11T16:{20 + i}:00Z ERROR rates_loader: decode failed bucket=fx-daily key=rates/{i}.json '
              f'error="invalid type: string \\"1.0{i}\\", expected f64 at line 1 column 18"' for i in range(3)]
GO_LINES = [f'2026-05-11T16:{30 + i}:00Z level=error msg="load row" src=gs://stock-levels/part-{i}.csv '
            f'err="strconv.ParseFloat: parsing \\"1,5{i}\\": invalid syntax"' for i in range(3)]


def feeder(bucket: str) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": "rates-feeder", "namespace": "fx"},
            "spec": {"template": {"spec": {"containers": [{"name": "feeder", "image": "r.example/feeder:7.1",
                                                           "env": [{"name": "TARGET_BUCKET", "value": bucket}]}]}}}}


def stocker(bucket: str) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "stock-export", "namespace": "inventory"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "export", "image": "r.example/export:3.2", "args": [f"--dest=gs://{bucket}/"]}]}}}}}}


def test_serde_rejection_with_a_bucket_field_names_the_feeder() -> None:
    facts, _ = run([feeder("fx-daily")], "rates-api-6d7f8-klmno", "fx", RUST_LINES,
                   [change("Deployment", "fx", "rates-feeder", AT - timedelta(hours=2))])
    [hit] = pf.found(facts)
    assert (hit.producer.name, hit.bucket) == ("rates-feeder", "fx-daily")


def test_twin_serde_rejection_but_the_feeder_writes_another_bucket() -> None:
    facts, _ = run([feeder("fx-archive")], "rates-api-6d7f8-klmno", "fx", RUST_LINES,
                   [change("Deployment", "fx", "rates-feeder", AT - timedelta(hours=2))])
    assert pf.found(facts) == []


def test_go_strconv_rejection_names_the_export_cronjob() -> None:
    facts, _ = run([stocker("stock-levels")], "shelf-sync-5c6d7-pqrst", "inventory", GO_LINES,
                   [change("CronJob", "inventory", "stock-export", AT - timedelta(hours=3))])
    [hit] = pf.found(facts)
    assert (hit.producer.kind, hit.producer.name) == ("CronJob", "stock-export")


def test_twin_go_strconv_rejections_before_the_export_was_written() -> None:
    facts, _ = run([stocker("stock-levels")], "shelf-sync-5c6d7-pqrst", "inventory", GO_LINES,
                   [change("CronJob", "inventory", "stock-export", AT - timedelta(minutes=20))])
    assert pf.found(facts) == []
