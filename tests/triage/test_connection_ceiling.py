"""A replica ceiling raised on an autoscaler, and the scale-out to it that filled a database's connections.

Every pod of a scaled client opens its own pool, so an autoscaler whose ceiling went up (an HPA's `maxReplicas`, a
KEDA ScaledObject's `maxReplicaCount`) multiplies the connections the client can hold: at the next backlog the
client scales out to the new ceiling and the server refuses everyone else ("too many clients"). The write to the
autoscaler is the cause, not the client workload nor the database. Fixtures reuse the connection-limit cluster
(orders-api the victim, batch-export the client with a pool of 40, PostgreSQL at max_connections 100).
"""

from __future__ import annotations

from typing import Any

from agent.triage import rank
from tests.triage.test_connection_limits import NS, cluster, facts_for, subject


def _scale(size: int, summary_tail: str = "", related: str = "") -> dict[str, Any]:
    return {"at": "2026-05-01T11:50:00Z", "type": "scale",
            "object": {"kind": "Deployment", "namespace": NS, "name": "batch-export"},
            "summary": f"Deployment {NS}/batch-export rescaled by HPA {related or 'batch-export'}: New size: {size}; "
                       f"reason: {summary_tail or 'cpu resource utilization above target'}",
            "diff": [], "related": [{"kind": "HorizontalPodAutoscaler", "namespace": NS,
                                     "name": related or "batch-export"}]}


def _write(kind: str, name: str, line: str, at: str = "2026-05-01T09:30:00Z") -> dict[str, Any]:
    return {"at": at, "type": "other", "object": {"kind": kind, "namespace": NS, "name": name},
            "summary": f"{kind} {NS}/{name} written by argocd-controller: {line}", "diff": [line]}


def test_an_hpa_whose_max_replicas_was_raised_and_reached_is_the_cause() -> None:
    changes = [_scale(12), _write("HorizontalPodAutoscaler", "batch-export", "spec.maxReplicas: 3 -> 12")]
    [top, *_] = rank(subject(), facts_for(cluster(), changes))
    assert top.check == "connections.exhausted", top.cause
    assert str(top.ref) == f"HorizontalPodAutoscaler {NS}/batch-export", top.cause
    for words in ("spec.maxReplicas 3 -> 12", "Deployment orders/batch-export", "too many clients",
                  "max_connections=100"):
        assert words in top.cause, (words, top.cause)


def test_a_keda_scaled_object_named_in_the_scale_reason_is_the_cause() -> None:
    reason = ("external metric s0-rabbitmq-exports(&LabelSelector{MatchLabels:map[string]string{"
              "scaledobject.keda.sh/name: export-scaler,},}) above target")
    changes = [_scale(12, reason, "keda-hpa-export-scaler"),
               _write("ScaledObject", "export-scaler", "spec.maxReplicaCount = 12")]
    [top, *_] = rank(subject(), facts_for(cluster(), changes))
    assert str(top.ref) == f"ScaledObject {NS}/export-scaler", top.cause
    assert "spec.maxReplicaCount set to 12" in top.cause and "too many clients" in top.cause


def test_a_ceiling_the_scale_out_stopped_short_of_leaves_the_client_as_the_suspect() -> None:
    changes = [_scale(12), _write("HorizontalPodAutoscaler", "batch-export", "spec.maxReplicas: 3 -> 40")]
    [top, *_] = rank(subject(), facts_for(cluster(), changes))
    assert str(top.ref) == f"Deployment {NS}/batch-export", top.cause
    assert "raised its replica ceiling" not in top.cause


def test_a_lowered_ceiling_or_an_unrelated_autoscaler_is_not_named() -> None:
    lowered = [_scale(12), _write("HorizontalPodAutoscaler", "batch-export", "spec.maxReplicas: 20 -> 12")]
    other = [_scale(12), _write("ScaledObject", "report-scaler", "spec.maxReplicaCount = 12")]
    for changes in (lowered, other):
        [top, *_] = rank(subject(), facts_for(cluster(), changes))
        assert str(top.ref) == f"Deployment {NS}/batch-export", top.cause
