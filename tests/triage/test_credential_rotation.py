"""A rotation Job that changed a password before the clients' Secret was synced (agent.triage.credential_rotation).

Two shapes: a PostgreSQL rotator that says what it did only in its logs (logfmt, `ALTER ROLE ... WITH PASSWORD
***`), and a MySQL rotator whose statement is in its command (`ALTER USER 'billing'@'%' IDENTIFIED BY ...`),
its clients refused with MySQL's `Access denied for user`. Negative twins: the Job rotated another user; the
clients' Secret was written after the rotation (the sync ran); the refusals were printed before the rotation.
The Job objects are batch/v1 as the API server stores them (a CronJob's Job: no conditions kept, only
`succeeded` and `completionTime`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import credential_rotation as cr
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PG_REFUSED = 'send failed: error: password authentication failed for user "mailer"'
MYSQL_REFUSED = "java.sql.SQLException: Access denied for user 'billing'@'10.244.3.9' (using password: YES)"


def _job(name: str, namespace: str, done: str, args: list[str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": done[:-3] + "00Z",
                         "ownerReferences": [{"kind": "CronJob", "name": name.rsplit("-", 1)[0]}]},
            "spec": {"template": {"spec": {"containers": [{"name": "rotate", "image": "rotator:1",
                                                           "command": ["sh", "-c"], "args": args or []}]}}},
            "status": {"startTime": done, "completionTime": done, "succeeded": 1}}


def _refused(pod: str, namespace: str, message: str, first: str) -> LogEvidence:
    top = {"template": message, "example": message, "count": 120, "severity": "error", "error_class": "auth_failure",
           "message": message, "first_seen": first, "fields": {}}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E9", top=top, hosts=[],
                       error_classes={"auth_failure"}, previous=False)


PG_LOGS = ('2026-05-01T11:40:03Z level=info msg="rotating credentials" role=mailer db=mail\n'
           '2026-05-01T11:40:06Z level=info msg="ALTER ROLE mailer WITH PASSWORD ***" rows=0\n'
           '2026-05-01T11:40:09Z level=info msg="wrote secret" path=kv/data/prod/mailer version=12\n')


def _pg_facts(job_user: str = "mailer", first: str = "2026-05-01T11:42:00Z",
              secret_write: str | None = None) -> Facts:
    facts = Facts(at=AT, changes_id="E2", changes={"changes": []},
                  logs=[_refused("mailer-api-6d9f7c8b5d-x2k4p", "mail", PG_REFUSED, first)])
    facts.reads[cr.STORE] = [{"job": _job("rotate-db-29401800", "platform-ops", "2026-05-01T11:40:10Z"),
                              "evidence": ["E30", "E31"], "logs": PG_LOGS.replace("mailer", job_user)}]
    if secret_write:
        facts.changes = {"changes": [{"at": secret_write, "type": "config", "summary": "Secret mail/mailer-db updated",
                                      "object": {"kind": "Secret", "namespace": "mail", "name": "mailer-db"}}]}
    return facts


def test_a_rotation_logged_by_the_job_is_named_over_the_refused_clients() -> None:
    facts = _pg_facts()
    [top, *_] = rank(subject_of(from_text("mailer-api returns 500s in namespace mail")), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Job", "rotate-db-29401800")
    assert "rotated user mailer's password" in top.cause and "password authentication failed" in top.cause
    assert "no write to a Secret of namespace mail" in top.cause
    assert "E31" in top.evidence


def test_a_rotation_in_the_jobs_command_with_mysql_refusals() -> None:
    args = ["mysql -h mysql.db -e \"ALTER USER 'billing'@'%' IDENTIFIED BY '$NEW_PASSWORD'\" && "
            "vault kv put secret/billing password=$NEW_PASSWORD"]
    facts = Facts(at=AT, logs=[_refused("billing-7c9d8f6b5c-q8w2e", "billing", MYSQL_REFUSED,
                                        "2026-05-01T11:31:00Z")])
    facts.reads[cr.STORE] = [{"job": _job("rotate-mysql-29401790", "db-admin", "2026-05-01T11:30:05Z", args),
                              "evidence": ["E40"], "logs": ""}]
    [rotation] = cr.found(facts)
    assert rotation.user == "billing" and "IDENTIFIED BY ***" in rotation.said and "NEW_PASSWORD" not in rotation.said
    [top, *_] = rank(subject_of(from_text("billing returns 500s in namespace billing")), facts)
    assert top.ref is not None and top.ref.name == "rotate-mysql-29401790"


def test_another_users_rotation_is_not_blamed() -> None:
    assert cr.found(_pg_facts(job_user="reports")) == []


def test_a_secret_written_after_the_rotation_clears_the_job() -> None:
    assert cr.found(_pg_facts(secret_write="2026-05-01T11:41:00Z")) == []
    assert len(cr.found(_pg_facts(secret_write="2026-05-01T09:00:00Z"))) == 1  # an older write: still stale


def test_refusals_printed_before_the_rotation_are_not_its_doing() -> None:
    assert cr.found(_pg_facts(first="2026-05-01T10:15:00Z")) == []


def test_a_failed_job_did_not_rotate() -> None:
    facts = _pg_facts()
    facts.reads[cr.STORE][0]["job"]["status"] = {"failed": 1}
    assert cr.found(facts) == []
