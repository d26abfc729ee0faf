"""Whether a change can explain a problem at all, by what each part of Kubernetes reads.

A change in the timeline shortly before a symptom is a strong hint, but only when the failing
component reads what changed. The scheduler places pods from the pod spec (requests, affinity,
topology spread, tolerations, node selectors, volumes) and the nodes; it never reads a
ConfigMap's or a Secret's content. So a `kubectl edit` of a ConfigMap cannot make pods
unschedulable unless the pod template changed with it (a rollout, which is its own change), and
saying "it started after a change" there sends the on-call to the wrong object.
"""

from __future__ import annotations

from typing import Any

SCHEDULING_WORDS = ("failedscheduling", "unschedulable", "nodes are available", "didn't match", "didn't satisfy",
                    "didn't find available persistent volumes", "insufficient cpu", "insufficient memory",
                    "untolerated taint", "had taint", "preemption:")
"""The scheduler's own words (kube-scheduler's FailedScheduling message and the PodScheduled reason)."""

CONTENT_CHANGES = frozenset({"config", "secret"})
"""Change types that only touch data the pods read at run time, never the pod spec."""


def scheduling_failure(finding: dict[str, Any]) -> bool:
    """Whether a finding is pods the scheduler cannot place (not pods that run and fail)."""
    text = " ".join(str(finding.get(k) or "") for k in ("check", "reason", "message")).lower()
    text += " " + " ".join(str(e) for e in finding.get("evidence") or []).lower()
    return any(w in text for w in SCHEDULING_WORDS)


def can_explain(change: dict[str, Any], primary: dict[str, Any]) -> bool:
    """Whether `change` can be the trigger of a case whose strongest finding is `primary`: a ConfigMap or
    Secret content change cannot explain a scheduling failure (the scheduler never reads it)."""
    return str(change.get("type") or "") not in CONTENT_CHANGES or not scheduling_failure(primary)
