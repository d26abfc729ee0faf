"""A mutating policy that gives running pods less time to stop than their workload asks, with stops since: the
policy is named (agent.triage.admission_mutation, the grace shape); a raised grace, a cut no stop followed, or
stops before the policy's write are not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import admission_mutation
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 10, 3, 21, 0, tzinfo=UTC)
M = timedelta(minutes=1)
POD = "billing-jobs-6b8d7f9c5-p4q7r"


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _objects(template_grace: int, pod_grace: int, notes: dict[str, str],
             actor: dict[str, Any]) -> list[dict[str, Any]]:
    worker = {"name": "sidekiq", "image": "registry.example/billing/jobs:8.1.0"}
    pod = {"kind": "Pod", "metadata": {"name": POD, "namespace": "billing", "annotations": notes,
                                       "creationTimestamp": _iso(AT - 40 * M),
                                       "ownerReferences": [{"kind": "ReplicaSet", "name": "billing-jobs-6b8d7f9c5",
                                                            "controller": True}]},
           "spec": {"terminationGracePeriodSeconds": pod_grace, "containers": [dict(worker)]}}
    rs = {"kind": "ReplicaSet", "metadata": {"name": "billing-jobs-6b8d7f9c5", "namespace": "billing",
                                             "ownerReferences": [{"kind": "Deployment", "name": "billing-jobs",
                                                                  "controller": True}]},
          "spec": {"template": {"spec": {"terminationGracePeriodSeconds": template_grace,
                                         "containers": [dict(worker)]}}}}
    return [pod, rs, actor]


def _policy(written: datetime) -> dict[str, Any]:
    return {"kind": "ClusterPolicy", "metadata": {"name": "fast-drain", "managedFields": [
        {"manager": "argocd-controller", "operation": "Apply", "time": _iso(written)}]},
        "spec": {"rules": [{"name": "grace", "mutate": {"patchStrategicMerge": {
            "spec": {"terminationGracePeriodSeconds": 10}}}}]}}


KYVERNO = {"policies.kyverno.io/last-applied-patches": "grace.fast-drain.kyverno.io: replaced "
                                                       "/spec/terminationGracePeriodSeconds\n"}


def _assign(written: datetime) -> dict[str, Any]:
    return {"kind": "Assign", "metadata": {"name": "cap-grace", "managedFields": [
        {"manager": "helm", "operation": "Update", "time": _iso(written)}]},
        "spec": {"location": "spec.terminationGracePeriodSeconds", "parameters": {"assign": {"value": 5}}}}


GATEKEEPER = {"gatekeeper.sh/mutations": "Assign//cap-grace:1"}


def _facts(stops: list[dict[str, Any]]) -> Facts:
    log = LogEvidence(pod=POD, namespace="billing", evidence_id="E4", top=None, hosts=[], error_classes=set(),
                      previous=False)
    return Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": stops}, changes_id="E2",
                 logs=[log])


def _killed(minutes: int) -> dict[str, Any]:
    return {"at": _iso(AT - minutes * M), "type": "deleted",
            "object": {"kind": "Pod", "namespace": "billing", "name": "billing-jobs-6b8d7f9c5-*"},
            "summary": "Pod billing/billing-jobs-6b8d7f9c5-*: Killing x2, last: Stopping container sidekiq"}


def _rolled(minutes: int) -> dict[str, Any]:
    return {"at": _iso(AT - minutes * M), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": "billing", "name": "billing-jobs"},
            "summary": "Deployment billing/billing-jobs rolled out revision 12", "diff": []}


def _run(facts: Facts, objects: list[dict[str, Any]]) -> list[admission_mutation.Mutated]:
    hub = RecordingHub(objects=keyed(objects), first_id=11,
                       otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    asyncio.run(admission_mutation.read(Subject(namespace="billing"), facts, hub, _iso(AT)))
    return admission_mutation.found(facts)


def test_a_kyverno_policy_that_cut_the_grace_with_pods_killed_since_is_named() -> None:
    [m] = _run(_facts([_killed(35)]), _objects(120, 10, KYVERNO, _policy(AT - timedelta(hours=9))))
    assert m.actor == Ref("ClusterPolicy", "", "fast-drain") and m.diffs == [("terminationGracePeriodSeconds", "120",
                                                                              "10")]
    message = admission_mutation.finding(m, AT)["message"]
    assert "redeliver" in message and "warm shutdown" in message and "Deployment billing/billing-jobs" in message


def test_a_gatekeeper_assign_that_cut_the_grace_with_a_rollout_since_is_named() -> None:
    [m] = _run(_facts([_rolled(20)]), _objects(90, 5, GATEKEEPER, _assign(AT - timedelta(hours=3))))
    assert m.actor == Ref("Assign", "", "cap-grace") and m.running


def test_a_raised_grace_no_stop_or_stops_before_the_write_are_not_named() -> None:
    policy = _policy(AT - timedelta(hours=9))
    assert _run(_facts([_killed(35)]), _objects(30, 60, KYVERNO, policy)) == []  # more time, not less
    assert _run(_facts([]), _objects(120, 10, KYVERNO, policy)) == []  # nothing stopped: nothing cut yet
    late = _policy(AT - 50 * M)  # written after the only stop, before the pod was admitted
    assert _run(_facts([_killed(60)]), _objects(120, 10, KYVERNO, late)) == []
    assert len(_run(_facts([_killed(60), _killed(20)]), _objects(120, 10, KYVERNO, late))) == 1
    other = [{**_killed(35), "object": {"kind": "Pod", "namespace": "billing", "name": "billing-api-7c9d8f6b5-*"}}]
    assert _run(_facts(other), _objects(120, 10, KYVERNO, policy)) == []  # another workload's pods stopped
