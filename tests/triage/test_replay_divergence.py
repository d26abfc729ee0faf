"""agent.triage.replay_divergence: a worker release whose workflow code no longer replays recorded histories.

Shapes: a Java order-saga worker (StatefulSet) whose image moved and whose pods log the Java SDK's
`NonDeterministicException`; a Durable Functions host (Deployment) whose env changed and whose pods log
`NonDeterministicOrchestrationException`; a TypeScript worker's `DeterminismViolationError` in its last lines.
Twins: the same words with no recent write of that workload; a release of that workload whose workers fail with
activity timeouts; a release of the engine's UI while another worker diverges; a `non-deterministic` line that
speaks of no workflow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import replay_divergence as rd
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 10, 14, 16, 0, tzinfo=UTC)
JAVA = ("io.temporal.worker.NonDeterministicException: Failure handling event 11 of type 'EVENT_TYPE_TIMER_STARTED' "
        "during replay. Command COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK doesn't match event EVENT_TYPE_TIMER_STARTED")
DURABLE = ("Orchestration 'ShipBatch' failed: DurableTask.Core.Exceptions.NonDeterministicOrchestrationException: "
           "Non-Deterministic workflow detected: TaskScheduledEvent: 3 TaskScheduled LabelPrinter")
TS = "DeterminismViolationError: Replay failed with a nondeterminism error for workflow invoiceRun"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(kind: str, ns: str, name: str, diff: list[str], minutes: int = 50) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 4: {diff[0] if diff else ''}", "diff": diff}


def warned(pod: str, ns: str, line: str, last: bool = False) -> LogEvidence:
    entry = {"template": line, "example": line, "message": line, "severity": "warning", "count": 30}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=None, hosts=[], error_classes=set(),
                       previous=False, warnings=[] if last else [entry], last_lines=[line] if last else [])


def facts_for(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="C1", logs=logs)


def test_java_saga_worker_release_is_named_with_the_replay_failure() -> None:
    facts = facts_for([rollout("StatefulSet", "sagas", "order-saga", ["saga image reg/saga:5.1 -> reg/saga:5.2"])],
                      [warned("order-saga-1", "sagas", JAVA)])
    [(ref, finding, evidence, _)] = rd.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("StatefulSet", "sagas", "order-saga")
    assert "nondeterministic" in finding["message"] and "NonDeterministicException" in finding["message"]
    assert "50 min before" in finding["message"] and evidence == ["C1", "L-order-saga-1"]


def test_durable_functions_host_env_change_is_named() -> None:
    facts = facts_for([rollout("Deployment", "logistics", "ship-orchestrator",
                               ["host env FEATURE_LABELS='off' -> FEATURE_LABELS='on'"], minutes=300)],
                      [warned("ship-orchestrator-7c9d8f6b5-x2k4p", "logistics", DURABLE)])
    [(ref, finding, _, _)] = rd.suspects(facts)
    assert ref.name == "ship-orchestrator" and "NonDeterministicOrchestrationException" in finding["message"]


def test_typescript_worker_last_lines_are_read() -> None:
    facts = facts_for([rollout("Deployment", "billing", "invoice-worker", ["w image a:1 -> a:2"])],
                      [warned("invoice-worker-5f6d7c8b9-q8w7z", "billing", TS, last=True)])
    assert [s[0].name for s in rd.suspects(facts)] == ["invoice-worker"]


def test_no_recent_write_of_the_diverging_worker_names_nothing() -> None:
    old = rollout("StatefulSet", "sagas", "order-saga", ["saga image reg/saga:5.1 -> reg/saga:5.2"], minutes=60 * 30)
    assert rd.suspects(facts_for([old], [warned("order-saga-1", "sagas", JAVA)])) == []
    assert rd.suspects(facts_for([], [warned("order-saga-1", "sagas", JAVA)])) == []


def test_release_whose_workers_fail_in_other_words_names_nothing() -> None:
    timeout = ("Activity task timed out: activityType=ReserveStock workflowType=FulfilOrder "
               "timeoutType=START_TO_CLOSE")
    facts = facts_for([rollout("StatefulSet", "sagas", "order-saga", ["saga image reg/saga:5.1 -> reg/saga:5.2"])],
                      [warned("order-saga-1", "sagas", timeout)])
    assert rd.suspects(facts) == []


def test_release_of_another_workload_names_nothing() -> None:
    facts = facts_for([rollout("Deployment", "temporal", "temporal-ui", ["ui image ui:2.1 -> ui:2.2"])],
                      [warned("order-saga-1", "sagas", JAVA)])
    assert rd.suspects(facts) == []


def test_nondeterministic_words_about_no_workflow_name_nothing() -> None:
    line = "WARN hash iteration order is non-deterministic; sorting keys before writing the report"
    facts = facts_for([rollout("Deployment", "reports", "exporter", ["e image e:1 -> e:2"])],
                      [warned("exporter-6b7c8d9f5-a1b2c", "reports", line)])
    assert rd.suspects(facts) == []


# ---- an Argo Rollout releases the workers (issue #12 audit: Deployment/StatefulSet/DaemonSet only) ---------------

PY = ("temporalio.worker._workflow_instance: Failed activation on workflow RefundFlow with ID refund-7731: "
      "Nondeterminism error: Activity function issue_credit scheduled at sequence 2 does not match history")
CADENCE = ("go.uber.org/cadence/internal: nondeterministic workflow: history event is ActivityTaskScheduled, "
           "replay decision is StartTimer (workflow PayoutRun)")


def cr_write(ns: str, name: str, line: str, minutes: int = 40) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": "Rollout", "namespace": ns, "name": name},
            "summary": f"Rollout {ns}/{name} written by argocd-controller: {line}", "diff": [line]}


def test_a_rollout_canary_of_a_python_worker_is_named() -> None:
    facts = facts_for([cr_write("refunds", "refund-worker", "spec.template.spec.containers[0].image written by "
                                "argocd-controller (now reg/refunds:2.8)")],
                      [warned("refund-worker-5d6f7c8b9-q2w4z", "refunds", PY)])
    [(ref, finding, _, _)] = rd.suspects(facts)
    assert (ref.kind, ref.name) == ("Rollout", "refund-worker") and "Nondeterminism error" in finding["message"]


def test_a_rollout_release_of_a_cadence_worker_is_named() -> None:
    facts = facts_for([rollout("Rollout", "payouts", "payout-worker", ["worker image reg/pay:7.0 -> reg/pay:7.1"])],
                      [warned("payout-worker-6c7d8f9b5-z9x8c", "payouts", CADENCE)])
    [(ref, _, _, _)] = rd.suspects(facts)
    assert (ref.kind, ref.name) == ("Rollout", "payout-worker")


def test_a_rollout_of_another_worker_names_nothing() -> None:
    facts = facts_for([cr_write("refunds", "refund-api", "spec.template.spec.containers[0].image written by x")],
                      [warned("refund-worker-5d6f7c8b9-q2w4z", "refunds", PY)])
    assert rd.suspects(facts) == []


def test_a_rollout_release_older_than_the_lead_names_nothing() -> None:
    old = rollout("Rollout", "payouts", "payout-worker", ["worker image reg/pay:7.0 -> reg/pay:7.1"], minutes=30 * 60)
    assert rd.suspects(facts_for([old], [warned("payout-worker-6c7d8f9b5-z9x8c", "payouts", CADENCE)])) == []
