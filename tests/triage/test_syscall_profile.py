"""A syscall-filtering profile rewritten under a workload that now fails at start (agent.triage.syscall_profile).

Shapes in other software's words than any benchmark round: a Go worker under a Localhost seccomp profile whose
runtime cannot make a thread, a Python API under an SELinux profile named by its template's type, a JVM service the
profile's status lists as its user. Twins: the same write while the workload fails for another reason, refusal words
in a workload that runs under another profile, refusal words with no profile written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import syscall_profile as sp
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
GO = "runtime: failed to create new OS thread (have 2 already; errno=1)"
PY = "RuntimeError: can't start new thread"
JVM = "java.lang.OutOfMemoryError: unable to create native thread: possibly out of memory or process limits reached"


def _write(kind: str, name: str, hours: int = 3) -> dict[str, Any]:
    return {"at": (AT - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": kind, "namespace": "jobs", "name": name},
            "summary": f"{kind} jobs/{name} written by kubectl (generation 4): spec.syscalls changed", "diff": []}


def _log(pod: str, message: str) -> LogEvidence:
    return LogEvidence(pod=pod, namespace="jobs", evidence_id="E7", top={"message": message, "count": 12},
                       hosts=[], error_classes=set(), previous=True)


def _workload(kind: str, name: str, pod_spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": "jobs"},
            "spec": {"template": {"metadata": {}, "spec": pod_spec}}}


def _seccomp(path: str) -> dict[str, Any]:
    return {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": path}},
            "containers": [{"name": "app"}]}


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence], objects: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)
    facts.objects.extend((o, "E9") for o in objects)
    return facts


def test_a_go_worker_under_a_rewritten_seccomp_profile_is_explained_by_it() -> None:
    facts = _facts([_write("SeccompProfile", "go-batch")], [_log("ledger-worker-1", GO)],
                   [_workload("StatefulSet", "ledger-worker", _seccomp("operator/jobs/go-batch.json"))])
    [hit] = sp.found(facts)
    found = sp.finding(hit)
    assert found["object"] == {"kind": "SeccompProfile", "namespace": "jobs", "name": "go-batch"}
    assert (hit.workload.kind, hit.workload.name) == ("StatefulSet", "ledger-worker")
    assert "failed to create new OS thread" in found["message"] and "seccomp" in found["message"]
    [(suspect, _, _, explains)] = sp.suspects(facts)
    assert suspect.kind == "SeccompProfile" and explains[0].name == "ledger-worker"


def test_a_python_api_under_an_selinux_profile_named_by_its_type_is_explained() -> None:
    spec = {"containers": [{"name": "api", "securityContext": {"seLinuxOptions": {"type": "py-api_jobs.process"}}}]}
    facts = _facts([_write("SelinuxProfile", "py-api")], [_log("billing-api-6c5d7f8b9-x8k2p", PY)],
                   [_workload("Deployment", "billing-api", spec)])
    [hit] = sp.found(facts)
    assert hit.profile.kind == "SelinuxProfile" and hit.workload.name == "billing-api"


def test_a_jvm_service_the_profiles_status_lists_is_explained() -> None:
    profile = {"kind": "SeccompProfile", "metadata": {"name": "jvm-default", "namespace": "jobs"},
               "status": {"activeWorkloads": ["jobs/pricing"]}}
    facts = _facts([_write("SeccompProfile", "jvm-default")], [_log("pricing-7d9c8b6f5-q4w2x", JVM)], [profile])
    [hit] = sp.found(facts)
    assert "status lists" in hit.tie


def test_a_profile_write_while_the_workload_fails_otherwise_is_not_blamed() -> None:
    other = "Error: connect ECONNREFUSED 10.0.4.12:5432"
    facts = _facts([_write("SeccompProfile", "go-batch")], [_log("ledger-worker-1", other)],
                   [_workload("StatefulSet", "ledger-worker", _seccomp("operator/jobs/go-batch.json"))])
    assert sp.found(facts) == []


def test_refusal_words_in_a_workload_under_another_profile_do_not_blame_the_write() -> None:
    profile = {"kind": "SeccompProfile", "metadata": {"name": "go-batch", "namespace": "jobs"},
               "status": {"activeWorkloads": ["jobs/report-cron"]}}
    facts = _facts([_write("SeccompProfile", "go-batch")], [_log("ledger-worker-1", GO)],
                   [profile, _workload("StatefulSet", "ledger-worker", _seccomp("operator/jobs/go-batch-v2.json"))])
    assert sp.found(facts) == []


def test_refusal_words_without_a_profile_write_are_no_fit() -> None:
    old = _write("SeccompProfile", "go-batch", hours=40)
    facts = _facts([old], [_log("ledger-worker-1", GO)],
                   [_workload("StatefulSet", "ledger-worker", _seccomp("operator/jobs/go-batch.json"))])
    assert sp.found(facts) == []
