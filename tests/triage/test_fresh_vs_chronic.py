"""A problem that began in the incident window outranks one that has been failing for days, and a change that
made a workload write more is blamed for the storage evictions that followed it.

Eviction messages are the kubelet's own (eviction manager: 'Usage of EmptyDir volume "spool" exceeds the limit
"256Mi".', 'Container worker exceeded its local ephemeral storage limit "1Gi".'); changes are k8s_changes'
ChangeRecord shape (a ConfigMap edit related to the workload that uses it, a rollout with its template diff);
findings carry the scan's `since` (when the problem first showed).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import rank, subject_of
from agent.triage.chronic import is_chronic
from agent.triage.facts import Facts
from agent.triage.storage_change import CHECK
from tests.triage.test_rank import AT, alert, finding

REPORTS = {"kind": "Deployment", "namespace": "docs", "name": "pdf-renderer"}
SYNC = {"kind": "Deployment", "namespace": "docs", "name": "search-sync"}


def ago(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def chronic_crashloop() -> dict[str, Any]:
    loud = finding("pod.crashloop", "Deployment", "docs", "search-sync", "Deployment docs/search-sync: 1/1 pods "
                   "CrashLoopBackOff (container search-sync last exit Error code 1, 412 restarts)", owner=SYNC,
                   pods=["search-sync-7f8d9c6b4-k2m9x"], details={"restarts": 412, "container": "search-sync"})
    loud["since"] = ago(60 * 30)
    return loud


def evictions(message: str, since_minutes: float, count: int = 9) -> dict[str, Any]:
    evicted = finding("pod.evicted", "Deployment", "docs", "pdf-renderer", f"Deployment docs/pdf-renderer: {count}/12 "
                      "pods Evicted", owner=REPORTS, evidence=[message], pods=["pdf-renderer-5c7d9f8b6-q8w2e"])
    evicted["since"], evicted["severity"], evicted["count"] = ago(since_minutes), "warning", count
    return evicted


def test_a_crash_loop_of_days_is_older_than_the_window_and_a_fresh_one_is_not() -> None:
    assert is_chronic([chronic_crashloop()], AT, changed=False)
    assert not is_chronic([chronic_crashloop()], AT, changed=True)
    assert not is_chronic([evictions("x", 40)], AT, changed=False)
    assert not is_chronic([{"check": "pod.crashloop"}], AT, changed=False)  # undated: no verdict


def test_a_config_edit_before_emptydir_evictions_outranks_a_chronic_crash_loop() -> None:
    facts = Facts(at=AT, scan_id="E1", changes_id="E2", scan={"findings": [
        chronic_crashloop(),
        evictions('Usage of EmptyDir volume "spool" exceeds the limit "256Mi".', since_minutes=40)]},
        changes={"changes": [
            {"at": ago(55), "type": "config", "object": {"kind": "ConfigMap", "namespace": "docs", "name": "pdf-env"},
             "summary": "ConfigMap docs/pdf-env updated by kubectl-edit (used by Deployment docs/pdf-renderer)",
             "diff": ["data.RENDER_TRACE: false -> true"], "related": [REPORTS]}]})
    incident = subject_of(alert(alertname="DocsQueueBacklog", namespace="docs", queue="render"))
    [top, *_] = rank(incident, facts)
    assert top.check == CHECK and top.ref is not None and top.ref.name == "pdf-env"
    assert "256Mi" in top.cause and "RENDER_TRACE" in top.cause and "15 min before" in top.cause
    facts.changes = None  # without the change: the fresh evictions still come before the days-old crash loop
    [top, *_] = rank(incident, facts)
    assert top.ref is not None and top.ref.name == "pdf-renderer"


def test_a_rollout_that_changed_what_the_pods_write_is_blamed_but_a_plain_restart_is_not() -> None:
    said = 'Container renderer exceeded its local ephemeral storage limit "1Gi".'
    rollout = {"at": ago(70), "type": "rollout", "object": REPORTS, "related": [],
               "summary": "Deployment docs/pdf-renderer rolled out revision 14",
               "diff": ["env CACHE_DIR: (unset) -> /scratch/cache"]}
    facts = Facts(at=AT, scan_id="E1", changes_id="E2", scan={"findings": [evictions(said, since_minutes=50)]},
                  changes={"changes": [rollout]})
    incident = subject_of(alert(alertname="KubePodNotReady", namespace="docs", deployment="pdf-renderer"))
    [top, *_] = rank(incident, facts)
    assert top.check == CHECK and "1Gi" in top.cause and "CACHE_DIR" in top.cause
    restart = {**rollout, "summary": "Deployment docs/pdf-renderer rolled out revision 14: pod template unchanged",
               "diff": []}
    facts.changes = {"changes": [restart]}
    assert all(c.check != CHECK for c in rank(incident, facts))


def test_memory_evictions_or_a_change_long_before_them_blame_no_change() -> None:
    incident = subject_of(alert(alertname="KubePodNotReady", namespace="docs", deployment="pdf-renderer"))
    edit = {"at": ago(55), "type": "config", "object": {"kind": "ConfigMap", "namespace": "docs", "name": "pdf-env"},
            "summary": "ConfigMap docs/pdf-env updated", "diff": [], "related": [REPORTS]}
    memory = Facts(at=AT, scan_id="E1", changes_id="E2", changes={"changes": [edit]}, scan={"findings": [
        evictions("The node was low on resource: memory. Container renderer was using 3Gi, request is 1Gi.", 40)]})
    assert all(c.check != CHECK for c in rank(incident, memory))
    late = Facts(at=AT, scan_id="E1", changes_id="E2", changes={"changes": [edit]}, scan={"findings": [
        evictions('Usage of EmptyDir volume "spool" exceeds the limit "256Mi".', since_minutes=300)]})
    assert all(c.check != CHECK for c in rank(incident, late))


def test_a_chronic_problem_the_incident_is_about_keeps_its_rank() -> None:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [chronic_crashloop()]})
    [top, *_] = rank(subject_of(alert(alertname="KubePodCrashLooping", namespace="docs", deployment="search-sync")),
                     facts)
    assert top.ref is not None and top.ref.name == "search-sync" and top.confidence > 0.7
