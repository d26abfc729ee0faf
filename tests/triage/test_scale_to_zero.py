"""agent.triage.scale_to_zero: a scaling default written to allow zero replicas, workloads going cold since.

Shapes: Knative's cluster-wide ConfigMap config-autoscaler re-applied with enable-scale-to-zero true, a revision's
`autoscaler_actual_pods` at 0 and back; a KEDA ScaledObject's minReplicaCount written 1 -> 0, its Deployment's
kube-state-metrics replicas at 0 and back. Twins: scale-to-zero written off, a revision that never reached zero,
and a ScaledObject kept at a minimum of one.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import scale_to_zero as sz
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 12, 4, 8, 25, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def run(obj: dict[str, Any], diff: str, series: list[dict[str, Any]]) -> Facts:
    meta = obj["metadata"]

    def answer(call: Call, evidence: str) -> Any:
        return outcome(True, {"series": series}, "", evidence)

    hub = RecordingHub(objects={(obj["kind"], meta["namespace"], meta["name"]): obj},
                       answers={"prom_query_range": answer})
    change = {"at": iso(AT - timedelta(hours=2)), "type": "updated",
              "object": {"kind": obj["kind"], "namespace": meta["namespace"], "name": meta["name"]},
              "summary": f"{obj['kind']} {meta['namespace']}/{meta['name']} updated: {diff}", "diff": [diff]}
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    asyncio.run(sz.read(Subject(names=["quote-api"]), facts, hub, iso(AT)))
    return facts


def knative(enabled: str) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": "config-autoscaler", "namespace": "knative-serving"},
            "data": {"enable-scale-to-zero": enabled, "scale-to-zero-grace-period": "30s"}}


REVISION = {"labels": {"namespace_name": "pricing", "revision_name": "quote-api-00012"}, "min": 0, "max": 1}


def test_knative_scale_to_zero_enabled_names_the_configmap() -> None:
    facts = run(knative("true"), "data key enable-scale-to-zero set by kubectl-client-side-apply", [REVISION])
    hits = sz.found(facts)
    assert [str(h.target) for h in hits] == ["ConfigMap knative-serving/config-autoscaler"]
    message = sz.finding(hits[0], AT)["message"]
    assert message.startswith("ConfigMap knative-serving/config-autoscaler was written 2 h 0 min before the incident "
                              "to allow scale-to-zero (enable-scale-to-zero = true")
    assert "pricing/quote-api-00012" in message and "cold start" in message and "activator" in message


def test_scale_to_zero_written_off_names_nothing() -> None:
    assert sz.found(run(knative("false"), "data key enable-scale-to-zero set by kubectl", [REVISION])) == []


def test_a_revision_that_never_reached_zero_names_nothing() -> None:
    steady = {**REVISION, "min": 1, "max": 3}
    assert sz.found(run(knative("true"), "data key enable-scale-to-zero set by kubectl", [steady])) == []


def keda(minimum: int) -> dict[str, Any]:
    return {"kind": "ScaledObject", "metadata": {"name": "reports-worker", "namespace": "batch"},
            "spec": {"scaleTargetRef": {"name": "reports-worker"}, "minReplicaCount": minimum, "maxReplicaCount": 8}}


def test_keda_min_replicas_zero_names_the_scaledobject() -> None:
    series = [{"labels": {"namespace": "batch", "deployment": "reports-worker"}, "min": 0, "max": 2}]
    hits = sz.found(run(keda(0), "spec.minReplicaCount: 1 -> 0", series))
    assert [str(h.target) for h in hits] == ["ScaledObject batch/reports-worker"]
    assert "minReplicaCount = 0" in sz.finding(hits[0], AT)["message"]
    assert "batch/reports-worker now drop to zero pods" in sz.finding(hits[0], AT)["message"]


def test_keda_kept_at_one_names_nothing() -> None:
    series = [{"labels": {"namespace": "batch", "deployment": "reports-worker"}, "min": 1, "max": 2}]
    assert sz.found(run(keda(1), "spec.minReplicaCount: 0 -> 1", series)) == []
