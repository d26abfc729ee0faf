"""agent.triage.shuffle_release: a Spark setting written to let executors go while they hold shuffle output.

Shapes: a SparkApplication whose sparkConf turned shuffle tracking off, its driver failing to fetch shuffle blocks
from a removed executor (FetchFailedException, Failed to connect); a ConfigMap's spark-defaults.conf written with the
external shuffle service off (read through the hub), its driver missing an output location for a shuffle. Twins: the
same failures after an image-only write, a write that turns the shuffle service on, a releasing write with no fetch
failure, a releasing write in another namespace.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import shuffle_release as sr
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
CONNECT = ("26/11/27 03:12:44 WARN TaskSetManager: Lost task 12.0 in stage 9.1: FetchFailed(BlockManagerId(31, "
           "10.2.4.7, 38211, None), shuffleId=4) org.apache.spark.shuffle.FetchFailedException: Failed to connect "
           "to /10.2.4.7:38211")
MISSING = ("26/11/27 03:20:01 WARN TaskSetManager: org.apache.spark.shuffle.MetadataFetchFailedException: Missing an "
           "output location for shuffle 3 partition 17")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, namespace: str, name: str, diff: str, ago: timedelta = timedelta(hours=9)) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by kubectl-edit: {diff}", "diff": [diff]}


def facts_for(changes: list[dict[str, Any]], line: str | None, objects: dict[Any, str] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    if line is not None:
        facts.logs.append(LogEvidence(pod="orders-rollup-driver", namespace="batch", evidence_id="E6",
                                      top={"example": line}, hosts=[], error_classes=set(), previous=False))
    asyncio.run(sr.read(Subject(namespace="batch"), facts, RecordingHub(objects=objects or {}), iso(AT)))
    return facts


def spark_defaults(service: str) -> str:
    conf = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "spark-conf", "namespace": "batch"},
            "data": {"spark-defaults.conf": "spark.dynamicAllocation.enabled true\n"
                                            f"spark.shuffle.service.enabled {service}\n"
                                            "spark.executor.memory 8g\n"}}
    return yaml.safe_dump(conf)


def test_spark_application_shuffle_tracking_turned_off_and_blocks_unreachable() -> None:
    change = write("SparkApplication", "batch", "orders-rollup",
                   "spec.sparkConf.spark.dynamicAllocation.shuffleTracking.enabled = 'false'")
    hits = sr.suspects(facts_for([change], CONNECT))
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("SparkApplication", "orders-rollup") and "E6" in evidence
    assert "shuffleTracking.enabled set to false" in finding["message"] and "FetchFailed" in finding["message"]
    assert any(r.name == "orders-rollup-driver" for r in explains)


def test_spark_defaults_configmap_with_the_shuffle_service_off() -> None:
    change = write("ConfigMap", "batch", "spark-conf", "data key spark-defaults.conf set by kubectl-edit")
    facts = facts_for([change], MISSING, {("ConfigMap", "batch", "spark-conf"): spark_defaults("false")})
    hits = sr.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "spark-conf"
    assert "spark.shuffle.service.enabled set to false" in hits[0][1]["message"]


def test_fetch_failures_after_an_image_only_write() -> None:
    change = write("SparkApplication", "batch", "orders-rollup", "spec.image = 'registry.example.com/rollup:2.1.0'")
    assert sr.suspects(facts_for([change], MISSING)) == []


def test_shuffle_service_turned_on() -> None:
    change = write("ConfigMap", "batch", "spark-conf", "data key spark-defaults.conf set by kubectl-edit")
    facts = facts_for([change], MISSING, {("ConfigMap", "batch", "spark-conf"): spark_defaults("true")})
    assert sr.suspects(facts) == []


def test_releasing_write_without_a_fetch_failure() -> None:
    change = write("SparkApplication", "batch", "orders-rollup",
                   "spec.sparkConf.spark.dynamicAllocation.shuffleTracking.timeout = '30s'")
    assert sr.suspects(facts_for([change], "26/11/27 03:20:01 INFO DAGScheduler: Job 4 finished")) == []


def test_releasing_write_in_another_namespace() -> None:
    change = write("SparkApplication", "reporting", "weekly-kpis",
                   "spec.sparkConf.spark.dynamicAllocation.shuffleTracking.timeout = '30s'")
    assert sr.suspects(facts_for([change], MISSING)) == []
