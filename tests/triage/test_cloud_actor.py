"""agent.triage.cloud_actor: a CronJob acting on cloud resources stopped the datastore its callers connect to.

Shapes: an aws-cli CronJob whose tag-selected `aws rds stop-db-cluster` run printed the production cluster, the
callers naming its endpoint in their env (another namespace); an `az postgres flexible-server stop` CronJob whose
run named a server the callers name only in their connection errors (the survey's logs). Twins: a run that stopped
only the staging cluster, a command that only reads (`describe-db-clusters`), a run after the incident.

The read is gated on the incident's symptom (`unreached_symptom`): each case carries what the survey saw, a caller's
log failing to reach its datastore (by address only, where the env names the endpoint). Twins: an incident whose logs
fail in their own words, with no job write and no words for a job: nothing is listed or read; a CronJob write in the
timeline opens the read without any failing log.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import cloud_actor as ca
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 12, 19, 20, tzinfo=UTC)
AWS_STOP = ("for c in $(aws rds describe-db-clusters --query \"DBClusters[?TagList[?Key=='team' && "
            "Value=='billing']].DBClusterIdentifier\" --output text); do aws rds stop-db-cluster "
            "--db-cluster-identifier $c --query DBCluster.[DBClusterIdentifier,Status] --output text; done")
AWS_READ = "aws rds describe-db-clusters --query 'DBClusters[].[DBClusterIdentifier,Status]' --output text"
AZ_STOP = "for s in $(az postgres flexible-server list --query \"[?tags.tier=='nonprod'].name\" -o tsv); do " \
          "echo \"stopping $s\"; az postgres flexible-server stop --name $s --resource-group data; done"


def cronjob(name: str, ns: str, script: str) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": name, "namespace": ns, "managedFields": [
        {"manager": "kubectl-edit", "operation": "Update", "time": "2026-11-12T10:05:00Z",
         "fieldsV1": {"f:spec": {"f:jobTemplate": {"f:spec": {}}}}}]},
            "spec": {"schedule": "0 19 * * 1-5", "jobTemplate": {"spec": {"template": {"spec": {"containers": [
                {"name": "run", "image": "aws-cli:2", "command": ["/bin/sh", "-c"], "args": [script]}]}}}}}}


def job_name(cj: str, when: datetime) -> str:
    return f"{cj}-{int(when.timestamp() // 60)}"


DEPLOYMENT = {"kind": "Deployment", "metadata": {"name": "invoice-api", "namespace": "billing"},
              "spec": {"template": {"spec": {"containers": [{"name": "api", "env": [
                  {"name": "PGHOST", "value": "billing-prod-aurora.cluster-abc123.us-east-1.rds.amazonaws.com"},
                  {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "pg", "key": "password"}}}]}]}}}}


REFUSED = LogEvidence(pod="invoice-api-6d8f7c9b5-k2x4z", namespace="billing", evidence_id="E3", top={
    "template": "dial failed", "example": "failed to connect to `host=10.0.21.77 user=billing database=invoices`: "
    "dial error (dial tcp 10.0.21.77:5432: connect: connection refused)"}, hosts=["10.0.21.77"],
    error_classes={"connection_refused"}, previous=False)
"""The survey's log of a caller: refused by an address, which names no resource (the holder's env does)."""


def case(script: str, log: list[str], ran: datetime, logs: list[LogEvidence] | None = None,
         cj: str = "db-night-stop", changes: list[dict[str, Any]] | None = None,
         problems: set[str] | None = None) -> tuple[Facts, RecordingHub]:
    job = job_name(cj, ran)
    lists: dict[str | tuple[str, str], list[dict[str, Any]]] = {
        "CronJob": [{"name": cj, "namespace": "costs"}],
        ("Pod", "costs"): [{"name": f"{job}-x7k2p", "namespace": "costs", "status": "Succeeded"}],
        ("Deployment", "billing"): [{"name": "invoice-api", "namespace": "billing"}]}
    hub = RecordingHub(
        objects={("CronJob", "costs", cj): cronjob(cj, "costs", script),
                 ("Deployment", "billing", "invoice-api"): DEPLOYMENT},
        lists=lists, logs={f"{job}-x7k2p": log})
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": changes or []}, changes_id="C1",
                  logs=[REFUSED] if logs is None else logs)
    asyncio.run(ca.read(Subject(namespace="billing", problems=problems or set()), facts, hub, AT.isoformat()))
    return facts, hub


def test_aws_stop_db_cluster_naming_the_callers_endpoint_names_the_cronjob() -> None:
    facts, _ = case(AWS_STOP, ["billing-staging-aurora\tstopping", "billing-prod-aurora\tstopping"],
                    AT - timedelta(minutes=20))
    [(ref, finding, _, explains)] = ca.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("CronJob", "costs", "db-night-stop")
    assert explains[0].name == "invoice-api"
    head = finding["message"][:400]
    assert "stop-db-cluster" in head and "billing-prod-aurora" in head and "stopped" in head
    assert "env PGHOST" in head and "TagList" in finding["message"]


def test_azure_stop_named_only_in_the_callers_errors() -> None:
    victim = LogEvidence(pod="ledger-7c9d8f7b5d-x2k4q", namespace="ledger", evidence_id="E4", top={
        "template": "connection failed", "example": "could not connect to server: Connection refused Is the server "
        "running on host \"ledger-pg-prod.postgres.database.azure.com\" and accepting TCP/IP connections?"},
        hosts=["ledger-pg-prod.postgres.database.azure.com"], error_classes={"connection_refused"}, previous=False)
    facts, _ = case(AZ_STOP, ["stopping reports-pg-dev", "stopping ledger-pg-prod"], AT - timedelta(hours=2),
                    logs=[victim], cj="pg-weekend-stop")
    [hit] = ca.found(facts)
    assert hit.verb == "stop" and hit.resource == "ledger-pg-prod" and hit.cronjob.name == "pg-weekend-stop"
    assert hit.victims[0].name == "ledger-7c9d8f7b5d-x2k4q"


def test_run_that_stopped_only_staging_is_not_named() -> None:
    facts, _ = case(AWS_STOP, ["billing-staging-aurora\tstopping"], AT - timedelta(minutes=20))
    assert ca.found(facts) == []


def test_read_only_command_is_not_an_actor() -> None:
    facts, hub = case(AWS_READ, ["billing-prod-aurora\tavailable"], AT - timedelta(minutes=20))
    assert ca.found(facts) == [] and "k8s_logs" not in hub.tools


def test_run_after_the_incident_is_not_read() -> None:
    facts, hub = case(AWS_STOP, ["billing-prod-aurora\tstopping"], AT + timedelta(minutes=40))
    assert ca.found(facts) == [] and "k8s_logs" not in hub.tools


def test_mutating_calls_of_clis_and_sdks() -> None:
    assert ca.mutating_call(AWS_STOP) == "stop-db-cluster"
    assert ca.mutating_call("ec2.stop_instances(InstanceIds=ids)") == "stop_instances"
    assert ca.mutating_call("gcloud sql instances patch prod-db --activation-policy=NEVER").startswith("patch")
    assert ca.mutating_call(AWS_READ) == ""
    assert ca.run_time("db-night-stop-29938740", "db-night-stop") == datetime(2026, 12, 3, 19, 0, tzinfo=UTC)


def test_no_unreached_symptom_lists_nothing() -> None:
    """Callers that fail in their own words (a heap exhausted), no job written, no words for a job: the stopping run
    that would be found is not looked for, and not a call is made."""
    own = LogEvidence(pod="invoice-api-6d8f7c9b5-k2x4z", namespace="billing", evidence_id="E3",
                      top={"example": "java.lang.OutOfMemoryError: Java heap space"}, hosts=[],
                      error_classes={"oom"}, previous=False)
    facts, hub = case(AWS_STOP, ["billing-prod-aurora\tstopping"], AT - timedelta(minutes=20), logs=[own])
    assert ca.found(facts) == [] and hub.calls == []
    written = {"at": (AT - timedelta(hours=3)).isoformat(), "type": "update", "diff": ["spec.jobTemplate changed"],
               "object": {"kind": "CronJob", "namespace": "costs", "name": "db-night-stop"}}
    ran = ["billing-prod-aurora\tstopping"], AT - timedelta(minutes=20)
    for facts, _ in (case(AWS_STOP, *ran, logs=[own], changes=[written]),  # the job's write in the timeline
                     case(AWS_STOP, *ran, logs=[own], problems={"job"}),  # the incident's words for a job
                     case(AWS_STOP, *ran, logs=[own, REFUSED])):  # a caller refused
        assert [a.resource for a in ca.found(facts)] == ["billing-prod-aurora"]


def test_unreached_symptom_words() -> None:
    bare = Facts(at=AT, changes={"changes": []})
    assert not ca.unreached_symptom(Subject(), bare)
    timeout = LogEvidence(pod="p", namespace="n", evidence_id="E", top={"example": "query timed out after 30s"},
                          hosts=[], error_classes=set(), previous=False)
    assert ca.unreached_symptom(Subject(), Facts(at=AT, logs=[timeout]))
    dns = LogEvidence(pod="p", namespace="n", evidence_id="E", top=None, hosts=[], error_classes={"dns_failure"},
                      previous=False)
    assert ca.unreached_symptom(Subject(), Facts(at=AT, logs=[dns]))
