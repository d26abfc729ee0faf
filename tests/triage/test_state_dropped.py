"""agent.triage.state_dropped: a stateful stream job restarted without its state by a config write.

Shapes: a FlinkDeployment whose `spec.job.upgradeMode` a helm write set to `stateless`, its JobManager saying `No
checkpoint found during restore` and `starting offset LATEST`; a Kafka Streams Deployment whose APPLICATION_ID env
was renamed, its consumer saying `Found no committed offset for partition`. Twins: `upgradeMode: savepoint`, a
stateless write whose job still restored from a savepoint, a renamed id whose own pods say nothing of the kind
(another workload's pods do).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import state_dropped as sd
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 30, 9, 50, tzinfo=UTC)
JM_EMPTY = ["2026-11-30 09:15:20,000 INFO  o.a.f.r.c.CheckpointCoordinator [] - No checkpoint found during restore.",
            "2026-11-30 09:15:23,000 INFO  o.a.f.c.k.s.e.KafkaSourceEnumerator [] - Partition card-auth-0 is assigned "
            "with starting offset LATEST"]
JM_RESTORED = ["2026-11-30 09:15:20,000 INFO  o.a.f.r.c.CheckpointCoordinator [] - Restoring job 6f1e from Savepoint "
               "12 @ 0 for 6f1e located at s3://acme-flink/savepoints/card-velocity/savepoint-6f1e-1."]


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, name: str, diff: str, by: str = "helm") -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=36)), "type": "rollout" if kind == "Deployment" else "other",
            "object": {"kind": kind, "namespace": "risk", "name": name},
            "summary": f"{kind} risk/{name} written by {by}: {diff}", "diff": [diff]}


def facts_for(change: dict[str, Any], pods: dict[str, list[str]]) -> Facts:
    hub = RecordingHub(lists={("Pod", "risk"): [{"name": p} for p in pods]}, logs=pods)
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(sd.read(Subject(namespace="risk"), facts, hub, iso(AT)))
    return facts


def test_flink_upgrade_mode_stateless_and_no_checkpoint_restored() -> None:
    facts = facts_for(write("FlinkDeployment", "card-velocity", "spec.job.upgradeMode = 'stateless'"),
                      {"card-velocity-6d9f7b9c5-bcdfg": JM_EMPTY, "fraud-decision-api-7c4k6rsfjf-b25ds": []})
    hits = sd.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("FlinkDeployment", "card-velocity")
    head = finding["message"][:400]
    assert "upgradeMode" in head and "stateless" in head and "savepoint" in head and "helm" in head
    assert "No checkpoint found during restore" in finding["message"]


def test_kafka_streams_application_id_renamed_and_no_committed_offset() -> None:
    change = write("Deployment", "sessionizer", "sessionizer env APPLICATION_ID='sessionizer' -> "
                                                "APPLICATION_ID='sessionizer-v2'")
    line = ("INFO [Consumer clientId=sessionizer-v2-StreamThread-1-consumer, groupId=sessionizer-v2] Found no "
            "committed offset for partition clicks-0")
    facts = facts_for(change, {"sessionizer-6d9f7b9c5-bcdfg": [line]})
    hits = sd.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "sessionizer"
    assert "APPLICATION_ID sessionizer -> sessionizer-v2" in hits[0][1]["message"]


def test_upgrade_mode_savepoint_is_stateful() -> None:
    facts = facts_for(write("FlinkDeployment", "card-velocity", "spec.job.upgradeMode = 'savepoint'"),
                      {"card-velocity-6d9f7b9c5-bcdfg": JM_EMPTY})
    assert sd.suspects(facts) == []


def test_stateless_write_whose_job_restored_from_a_savepoint() -> None:
    facts = facts_for(write("FlinkDeployment", "card-velocity", "spec.job.upgradeMode = 'stateless'"),
                      {"card-velocity-6d9f7b9c5-bcdfg": JM_RESTORED})
    assert sd.suspects(facts) == []


def test_renamed_id_whose_own_pods_say_nothing() -> None:
    change = write("Deployment", "sessionizer", "sessionizer env APPLICATION_ID='sessionizer' -> "
                                                "APPLICATION_ID='sessionizer-v2'")
    facts = facts_for(change, {"sessionizer-6d9f7b9c5-bcdfg": ["INFO State transition from REBALANCING to RUNNING"],
                               "enricher-6d9f7b9c5-bcdfg": ["Found no committed offset for partition views-0"]})
    assert sd.suspects(facts) == []


SKIPPED = ("2026-11-30 09:15:21,000 INFO  org.apache.flink.runtime.checkpoint.Checkpoints [] - Skipping savepoint "
           "state for operator 9b2c7e41d0aa3f5e6c8d1b2a3f4e5d6c.")
SKIPPED_EMPTY = ("2026-11-30 09:15:21,000 INFO  org.apache.flink.runtime.checkpoint.Checkpoints [] - Skipping empty "
                 "savepoint state for operator 9b2c7e41d0aa3f5e6c8d1b2a3f4e5d6c.")


def test_allow_non_restored_state_whose_savepoint_state_was_skipped() -> None:
    facts = facts_for(write("FlinkDeployment", "order-enricher", "spec.job.allowNonRestoredState = true",
                            by="argocd-controller"),
                      {"order-enricher-5c7d9f8b6-qwxyz": [SKIPPED, JM_RESTORED[0]]})
    hits = sd.suspects(facts)
    assert len(hits) == 1 and hits[0][0].name == "order-enricher"
    message = hits[0][1]["message"]
    assert "allowNonRestoredState" in message[:300] and "uid" in message[:400]
    assert "Skipping savepoint state for operator" in message


def test_ignore_unclaimed_state_config_key_and_skipped_operator() -> None:
    change = write("FlinkDeployment", "click-dedup",
                   "spec.flinkConfiguration.execution.savepoint.ignore-unclaimed-state = 'true'")
    facts = facts_for(change, {"click-dedup-7f8e9d6c5-abcde": [SKIPPED]})
    hits = sd.suspects(facts)
    assert len(hits) == 1 and hits[0][1]["details"]["new"] == "true"


def test_allow_non_restored_state_whose_skipped_operators_were_empty() -> None:
    facts = facts_for(write("FlinkDeployment", "order-enricher", "spec.job.allowNonRestoredState = true"),
                      {"order-enricher-5c7d9f8b6-qwxyz": [SKIPPED_EMPTY, JM_RESTORED[0]]})
    assert sd.suspects(facts) == []


def test_ignore_unclaimed_state_turned_off() -> None:
    change = write("FlinkDeployment", "click-dedup",
                   "spec.flinkConfiguration.execution.savepoint.ignore-unclaimed-state = 'false'")
    facts = facts_for(change, {"click-dedup-7f8e9d6c5-abcde": [SKIPPED]})
    assert sd.suspects(facts) == []
