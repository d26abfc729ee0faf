"""A cleanup job whose pods left no log: its template deletes the missing object's kind and a Job of it ran after
the template's write and before the incident (issue #12, round 41 class: a janitor CronJob's selector widened to
live TLS Secrets).

Written here, not taken from the held-out bundles. Shapes: a Python-client janitor CronJob deleting ConfigMaps a
Deployment mounts (`delete_namespaced_config_map`), an `oc delete pvc -l` Job, a kubectl loop over a label
selector deleting Secrets an Ingress names. Twins: a template that only reads, one deleting another kind, one
deleting a literally named other object, a run before the template's write, a run after the incident, a run after
the victims had already failed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import deleted_dependency, deleter_run
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 5, 20, 16, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=50)
M = timedelta(minutes=1)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_deletes_reads_the_kind_and_reach_of_a_delete_command() -> None:
    secret, cm, pvc = Ref("Secret", "web", "site-tls"), Ref("ConfigMap", "pay", "limits"), Ref(
        "PersistentVolumeClaim", "db", "data-0")
    loop = 'kubectl get secrets -A -l "$SEL" -o name | while read s; do kubectl delete secret -n "$ns" "$s"; done'
    assert "kubectl delete secret" in deleter_run.deletes(loop, secret)
    assert deleter_run.deletes("oc delete pvc -l tier=scratch -n db", pvc)
    assert deleter_run.deletes("for c in items: v1.delete_namespaced_config_map(c.metadata.name, ns)", cm)
    assert deleter_run.deletes("kubectl delete $(kubectl get secrets -l stale=true -o name)", secret)
    assert deleter_run.deletes("kubectl delete secret site-tls -n web", secret)  # named: the missing one
    # twins
    assert deleter_run.deletes('kubectl get secrets -A -l "$SEL" -o name', secret) == ""  # reads only
    assert deleter_run.deletes("kubectl delete configmap -l team=ci", secret) == ""  # another kind
    assert deleter_run.deletes("kubectl delete secret old-token -n web", secret) == ""  # another, named
    assert deleter_run.deletes("v1.delete_namespaced_secret(name, ns)", cm) == ""


def _cronjob(ns: str, name: str, command: list[str], env: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "clean", "image": "python:3.12", "command": command,
                 "env": [{"name": k, "value": v} for k, v in env.items()]}]}}}}}}


def _job(ns: str, cronjob: str, name: str, start: datetime) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": _iso(start),
                         "ownerReferences": [{"kind": "CronJob", "name": cronjob}]},
            "status": {"startTime": _iso(start), "completionTime": _iso(start + M), "succeeded": 1}}


def _mount_error(ns: str, deploy: str, configmap: str, since: datetime) -> dict[str, Any]:
    owner = {"kind": "Deployment", "namespace": ns, "name": deploy}
    return {"check": "pod.config_error", "object": owner, "owner": owner, "reason": "CreateContainerConfigError",
            "message": f"missing ConfigMap {configmap}", "details": {"configmap": configmap}, "since": _iso(since)}


def _tls_gap(ns: str, ingress: str, secret: str) -> dict[str, Any]:
    return {"check": "ingress.missing_tls_secret", "object": {"kind": "Ingress", "namespace": ns, "name": ingress},
            "reason": "SecretNotCollected", "message": "not collected", "since": "2025-01-01T00:00:00Z",
            "details": {"secret": secret, "absence_known": False}}


def _run(findings: list[dict[str, Any]], cronjob: dict[str, Any], jobs: list[dict[str, Any]],
         write_at: datetime = WRITE) -> list[deleted_dependency.Deleted]:
    ns, name = cronjob["metadata"]["namespace"], cronjob["metadata"]["name"]
    write = {"at": _iso(write_at), "type": "other", "object": {"kind": "CronJob", "namespace": ns, "name": name},
             "summary": f"CronJob {ns}/{name} pod template written by helm", "diff": ["clean env MATCH now 'x'"]}
    facts = Facts(at=AT, scan={"findings": findings}, changes={"changes": [write]}, changes_id="E2")
    objects: dict[Any, Any] = {("CronJob", ns, name): cronjob}
    objects |= {("Job", ns, j["metadata"]["name"]): j for j in jobs}
    hub = RecordingHub(objects=objects, lists={("Job", ns): [{"name": j["metadata"]["name"]} for j in jobs],
                                              ("Pod", ns): []},
                       otherwise=None)
    facts.history.append(({"window_start": _iso(AT - timedelta(hours=48)), "changes": []}, "E3"))
    asyncio.run(deleted_dependency.read(Subject(), facts, hub, _iso(AT)))
    return deleted_dependency.found(facts)


PY_JANITOR = _cronjob("ops", "cm-reaper", ["python", "-c", "for c in v1.list_namespaced_config_map(ns, "
                                           "label_selector=os.environ['MATCH']).items: "
                                           "v1.delete_namespaced_config_map(c.metadata.name, ns)"], {"MATCH": "tmp"})


def test_a_python_janitor_whose_run_precedes_the_mount_errors_is_named() -> None:
    found = _run([_mount_error("ops", "billing", "billing-limits", AT - 10 * M)], PY_JANITOR,
                 [_job("ops", "cm-reaper", "cm-reaper-manual-4kq9z", AT - 20 * M)])
    [hit] = found
    assert hit.actor == Ref("CronJob", "ops", "cm-reaper") and hit.gone.ref == Ref("ConfigMap", "ops", "billing-limits")
    message = deleted_dependency.finding(hit, AT)["message"]
    assert "its Job cm-reaper-manual-4kq9z ran at 15:40" in message and "delete_namespaced_config_map" in message


def test_a_kubectl_loop_over_a_selector_deleting_an_ingress_tls_secret_is_named() -> None:
    loop = _cronjob("platform", "tls-sweeper", ["sh", "-c", 'kubectl get secret -A -l "$MATCH" -o name | '
                                                 'xargs -n1 kubectl delete secret -n "$NS"'], {"MATCH": "ci=true"})
    [hit] = _run([_tls_gap("web", "site", "site-tls")], loop,
                 [_job("platform", "tls-sweeper", "tls-sweeper-29380000", AT - 5 * M)])
    assert hit.gone.ref == Ref("Secret", "web", "site-tls") and hit.pod == "tls-sweeper-29380000"


def test_runs_outside_the_window_or_after_the_failure_are_not_named() -> None:
    error = [_mount_error("ops", "billing", "billing-limits", AT - 10 * M)]
    assert _run(error, PY_JANITOR, [_job("ops", "cm-reaper", "cm-reaper-1", WRITE - 30 * M)]) == []  # before write
    assert _run(error, PY_JANITOR, [_job("ops", "cm-reaper", "cm-reaper-2", AT + 5 * M)]) == []  # after incident
    assert _run(error, PY_JANITOR, [_job("ops", "cm-reaper", "cm-reaper-3", AT - 5 * M)]) == []  # after failing


def test_a_template_deleting_another_kind_or_only_reading_is_not_named() -> None:
    tls = [_tls_gap("web", "site", "site-tls")]
    jobs = [_job("ops", "cm-reaper", "cm-reaper-manual-4kq9z", AT - 20 * M)]
    assert _run(tls, PY_JANITOR, jobs) == []  # deletes ConfigMaps, a Secret is missing
    reader = _cronjob("ops", "cm-reaper", ["sh", "-c", "kubectl get secrets -A -l ci=true -o yaml > /backup/s"], {})
    assert _run(tls, reader, jobs) == []
