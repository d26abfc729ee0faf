"""agent.triage.owner_gone: a retention write made a Job go, and the Secret/ConfigMap it owned was collected.

Shapes: a CronJob whose run creates a TLS Secret and patches its ownerReferences to the Job, with
successfulJobsHistoryLimit set to 0 in the timeline and the controller's `Deleted job` seen after it; a standalone
Job (a migration bootstrap) owning a ConfigMap it creates through a client's `owner_references`, given
`ttlSecondsAfterFinished: 300` by a managedFields write, no deletion in the timeline. Twins: a creator that does
not own what it creates; a history limit of 1; a retention written a week ago; a template naming another object.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import owner_gone as og
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
SCRIPT = ("kubectl create secret tls mq-client-tls --cert=c --key=k --dry-run=client -o yaml | kubectl apply -f -\n"
          "kubectl patch secret mq-client-tls -p '{\"metadata\":{\"ownerReferences\":[{\"kind\":\"Job\","
          "\"name\":\"'$JOB'\",\"uid\":\"'$UID'\"}]}}'")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def cronjob(script: str = SCRIPT, limit: int = 0) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": "mq-cert-rotator", "namespace": "queue"},
            "spec": {"schedule": "0 6 * * *", "successfulJobsHistoryLimit": limit, "jobTemplate": {"spec": {
                "template": {"spec": {"containers": [{"name": "rotate", "command": ["sh", "-c", script]}]}}}}}}


def scan(kind: str, name: str) -> dict[str, Any]:
    return {"findings": [{"check": "pod.config_error", "severity": "critical",
                          "object": {"kind": "Deployment", "namespace": "queue", "name": "consumer"},
                          "message": f"Deployment queue/consumer: CreateContainerConfigError: missing {kind} {name}",
                          "details": {kind.lower(): name}, "since": iso(AT - timedelta(minutes=30))}]}


def run(obj: dict[str, Any], changes: list[dict[str, Any]], missing: tuple[str, str] = ("Secret", "mq-client-tls")
        ) -> Facts:
    kind = obj["kind"]
    hub = RecordingHub(objects={(kind, "queue", obj["metadata"]["name"]): obj},
                       lists={(kind, "queue"): [{"name": obj["metadata"]["name"]}]})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1", scan=scan(*missing))
    asyncio.run(og.read(Subject(namespace="queue", names=["consumer"]), facts, hub, iso(AT)))
    return facts


def limit_write(ago: timedelta) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": "CronJob", "namespace": "queue",
                                                            "name": "mq-cert-rotator"},
            "summary": "CronJob queue/mq-cert-rotator written by argocd-controller: spec.successfulJobsHistoryLimit "
                       "3 -> 0", "diff": ["spec.successfulJobsHistoryLimit: 3 -> 0"]}


def deleted_job() -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=50)), "type": "deleted",
            "object": {"kind": "CronJob", "namespace": "queue", "name": "mq-cert-rotator"},
            "summary": "CronJob queue/mq-cert-rotator: SuccessfulDelete x1, last: Deleted job mq-cert-rotator-2993"}


def test_cronjob_history_limit_zero_collects_the_owned_secret() -> None:
    facts = run(cronjob(), [deleted_job(), limit_write(timedelta(hours=20))])
    hits = og.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("CronJob", "mq-cert-rotator")
    head = finding["message"][:400]
    assert "successfulJobsHistoryLimit" in head and "ownerReference" in head and "garbage" in head
    assert "Deleted job" in finding["message"] and "argocd-controller" in head
    assert explained[0].name == "mq-client-tls"


def test_job_ttl_collects_an_owned_configmap() -> None:
    job = {"kind": "Job", "metadata": {"name": "schema-bootstrap", "namespace": "queue", "managedFields": [
        {"manager": "helm", "operation": "Update", "time": iso(AT - timedelta(hours=5)),
         "fieldsV1": {"f:spec": {"f:ttlSecondsAfterFinished": {}}}}]},
        "spec": {"ttlSecondsAfterFinished": 300, "template": {"spec": {"containers": [{
            "name": "boot", "args": ["--write-configmap=schema-version", "--set-owner-references=job"]}]}}}}
    hits = og.found(run(job, [], ("ConfigMap", "schema-version")))
    assert len(hits) == 1 and hits[0].path == "ttlSecondsAfterFinished" and hits[0].by == "helm"
    assert "300s after it finishes" in og.finding(hits[0], AT)["message"]


def test_creator_that_does_not_own_its_secret_is_not_blamed() -> None:
    plain = SCRIPT.split("\n")[0]
    assert og.found(run(cronjob(plain), [deleted_job(), limit_write(timedelta(hours=20))])) == []


def test_history_kept_or_written_long_ago_is_not_blamed() -> None:
    assert og.found(run(cronjob(limit=1), [limit_write(timedelta(hours=20))])) == []
    assert og.found(run(cronjob(), [limit_write(timedelta(days=7))])) == []


def test_template_naming_another_object_is_not_blamed() -> None:
    facts = run(cronjob(), [limit_write(timedelta(hours=20))], ("Secret", "other-tls"))
    assert og.found(facts) == []
