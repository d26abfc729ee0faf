"""agent.triage.run_lock: a shared template that gained a lock, and the runs of everyone who uses it waiting on it.

Shapes: a cluster-scoped Argo ClusterWorkflowTemplate whose `load` template gained `synchronization.mutex`, two
teams' Workflows (created in the timeline with workflowTemplateRef.name) reading `Waiting for .../Mutex/... lock`
in their node status; a namespaced WorkflowTemplate given a `synchronization.semaphores` ConfigMap key, the wait
seen only in the workflow controller's log (`Lock acquisition failed`). Twins: a template write with no lock (an
image bump), a lock nobody waits on, runs waiting on another lock, a write that touched only the labels.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import run_lock as rl
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 27, 7, 45, tzinfo=UTC)
MUTEX = {"mutex": {"name": "warehouse-load"}}
WAIT = "Waiting for analytics/Mutex/warehouse-load lock. Lock status: 0/1"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def template(kind: str, ns: str, sync: dict[str, Any] | None) -> dict[str, Any]:
    step: dict[str, Any] = {"name": "load", "container": {"image": "loader:6.2.0"}}
    if sync:
        step["synchronization"] = sync
    return {"kind": kind, "metadata": {"name": "warehouse-load", "namespace": ns}, "spec": {"templates": [step]}}


def run(name: str, message: str | None) -> dict[str, Any]:
    node: dict[str, Any] = {"phase": "Pending", "templateName": "load"}
    if message:
        node["message"] = message
    return {"kind": "Workflow", "metadata": {"name": name, "namespace": "analytics"},
            "status": {"phase": "Running", "nodes": {f"{name}-1": node}}}


def created(name: str, at: datetime) -> dict[str, Any]:
    return {"at": iso(at), "type": "created", "object": {"kind": "Workflow", "namespace": "analytics", "name": name},
            "summary": f"Workflow analytics/{name} created", "diff": [
                "spec.workflowTemplateRef.clusterScope = true", "spec.workflowTemplateRef.name = 'warehouse-load'"]}


def written(kind: str, ns: str, diff: list[str]) -> dict[str, Any]:
    where = f"{ns}/warehouse-load" if ns else "warehouse-load"
    return {"at": iso(AT - timedelta(hours=9)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": "warehouse-load"},
            "summary": f"{kind} {where} written by argocd-controller (generation 7): {'; '.join(diff)}", "diff": diff}


def facts_for(tpl: dict[str, Any], diff: list[str], messages: tuple[str | None, str | None],
              logs: list[LogEvidence] | None = None) -> Facts:
    kind, ns = tpl["kind"], tpl["metadata"]["namespace"]
    start = AT - timedelta(hours=5)
    runs = {("Workflow", "analytics", f"{team}-daily-1"): run(f"{team}-daily-1", msg)
            for team, msg in zip(("marketing", "product"), messages, strict=True)}
    hub = RecordingHub(objects={(kind, ns, "warehouse-load"): tpl, **runs}, answers={"k8s_changes": None})
    changes = [created("product-daily-1", start + timedelta(minutes=10)),
               created("marketing-daily-1", start + timedelta(minutes=5)), written(kind, ns, diff)]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", logs=logs or [])
    asyncio.run(rl.read(Subject(namespace="analytics", names=["marketing-daily-1"]), facts, hub, iso(AT)))
    return facts


def test_cluster_template_mutex_and_runs_waiting_in_their_status() -> None:
    facts = facts_for(template("ClusterWorkflowTemplate", "", MUTEX), ['spec.templates = [{"container": ...'],
                      (WAIT, WAIT))
    hits = rl.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("ClusterWorkflowTemplate", "warehouse-load")
    head = finding["message"][:400]
    assert "synchronization mutex" in head and "lock" in head and "argocd-controller" in head
    assert WAIT[:40] in head
    assert {r.name for r in explained} >= {"marketing-daily-1", "product-daily-1"}


def test_namespaced_template_semaphore_wait_seen_in_controller_log() -> None:
    sem = {"semaphores": [{"configMapKeyRef": {"name": "loader-limits", "key": "warehouse"}}]}
    line = ('level=info msg="Lock acquisition failed: analytics/ConfigMap/loader-limits/warehouse is held by '
            'analytics/finance-daily-1" namespace=analytics workflow=marketing-daily-1')
    log = LogEvidence(pod="workflow-controller-7d9f8c6b5-x2x9k", namespace="argo", evidence_id="L1",
                      top={"message": line, "severity": "info"}, hosts=[], error_classes=set(), previous=False)
    facts = facts_for(template("WorkflowTemplate", "analytics", sem), ["spec.templates[0].synchronization = {...}"],
                      (None, None), logs=[log])
    hits = rl.suspects(facts)
    assert len(hits) == 1 and hits[0][0].kind == "WorkflowTemplate"
    assert "synchronization semaphore" in hits[0][1]["message"] and "Lock acquisition failed" in hits[0][1]["message"]


def test_template_write_without_a_lock() -> None:
    facts = facts_for(template("ClusterWorkflowTemplate", "", None), ['spec.templates = [{"container": ...'],
                      (WAIT, WAIT))
    assert rl.suspects(facts) == []


def test_lock_nobody_waits_on() -> None:
    facts = facts_for(template("ClusterWorkflowTemplate", "", MUTEX), ['spec.templates = [{"container": ...'],
                      (None, None))
    assert rl.suspects(facts) == []


def test_runs_waiting_on_another_lock() -> None:
    other = "Waiting for analytics/Mutex/finance-only lock. Lock status: 0/1"
    facts = facts_for(template("ClusterWorkflowTemplate", "", MUTEX), ['spec.templates = [{"container": ...'],
                      (other, other))
    assert rl.suspects(facts) == []


def test_write_that_touched_only_the_labels() -> None:
    facts = facts_for(template("ClusterWorkflowTemplate", "", MUTEX),
                      ['metadata.labels = {"app.kubernetes.io/instance": "templates"}'], (WAIT, WAIT))
    assert rl.suspects(facts) == []
