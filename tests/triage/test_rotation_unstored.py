"""rotation_unstored: a rotator run issued a new credential at its provider, failed to store it, consumers refused.

Shapes of our own: an Auth0-style client-secret rotation whose kubectl write is Forbidden (`Error from server
(Forbidden): secrets "web-auth" is forbidden`), read through the hub double end to end; a SaaS API-key rotation
whose own words say it could not write `notify/mail-api-key`. Twins: a run that stored the value, a run that failed
before issuing anything, a consumer reading another Secret, refusals older than the run, and a Secret written since.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import rotation_unstored as ru
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 3, 16, 0, tzinfo=UTC)
AUTH0_LOG = [
    "2026-09-03T15:20:01Z rotate: rotating client secret for application web-portal",
    "2026-09-03T15:20:02Z rotate: client secret rotated, new secret issued (status 200)",
    "2026-09-03T15:20:02Z rotate: previous client secret revoked",
    "2026-09-03T15:20:03Z Error from server (Forbidden): secrets \"web-auth\" is forbidden: User "
    "\"system:serviceaccount:sec-tools:rotator\" cannot update resource \"secrets\" in API group \"\" in the "
    "namespace \"portal\"",
]
MAIL_LOG = [
    "level=info msg=\"created new API key\" key_id=k-7731 scopes=mail.send",
    "level=info msg=\"deactivated old API key\" key_id=k-5120",
    "level=error msg=\"unable to write secret notify/mail-api-key\" err=\"etcdserver: request timed out\"",
]


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _job(namespace: str, name: str, started_before: int, args: list[str]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": namespace,
                                                                   "creationTimestamp": _t(started_before)},
            "spec": {"template": {"spec": {"containers": [{"name": "rotate", "args": args}]}}},
            "status": {"startTime": _t(started_before), "failed": 1}}


def _refusal(pod: str, namespace: str, said: str, first_before: int) -> LogEvidence:
    error = {"message": said, "example": said, "severity": "error", "error_class": "auth_failure",
             "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E9", top=error, hosts=[],
                       error_classes={"auth_failure"}, previous=False)


def _mail(logs: list[str] = MAIL_LOG, secrets: tuple[str, ...] = ("mail-api-key",), first_before: int = 30,
          changes: list[dict[str, Any]] | None = None) -> Facts:
    pod = "mailer-6d5f7c9b8-x2k4q"
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="E2",
                  logs=[_refusal(pod, "notify", "HTTP 401 Unauthorized: The provided API key is invalid",
                                 first_before)])
    facts.reads[ru.STORE] = {"jobs": [{"job": _job("ops", "rotate-mail-key-manual", 40, ["--key", "mail"]),
                                       "logs": "\n".join(logs), "evidence": ["E3", "E4"]}],
                             "pods": {pod: {"secrets": list(secrets), "evidence": "E5"}}}
    return facts


def test_an_api_key_rotation_that_could_not_write_the_secret_is_named() -> None:
    found = ru.found(_mail())
    assert [(str(u.job), u.secret, u.consumer.name, u.retired) for u in found] == [
        ("Job ops/rotate-mail-key-manual", "notify/mail-api-key", "mailer", True)]
    message = ru.finding(found[0], AT)["message"]
    assert message.startswith("Job ops/rotate-mail-key-manual (40 min before the alert) issued a new credential at "
                              "the provider and retired the old one, then failed to store it in Secret "
                              "notify/mail-api-key")
    assert "401 Unauthorized" in message[:400]


def test_twins_stored_failed_before_issuing_another_secret_earlier_refusals_and_a_later_write() -> None:
    stored = [MAIL_LOG[0], MAIL_LOG[1], "level=info msg=\"wrote secret notify/mail-api-key\""]
    assert ru.found(_mail(logs=stored)) == []
    assert ru.found(_mail(logs=[MAIL_LOG[2], MAIL_LOG[0]])) == []  # failed to store before anything was issued
    assert ru.found(_mail(secrets=("mail-smtp",))) == []
    assert ru.found(_mail(first_before=50)) == []  # refused before the run started
    synced = {"at": _t(20), "type": "other", "object": {"kind": "Secret", "namespace": "notify",
                                                        "name": "mail-api-key"}, "summary": "Secret written"}
    assert ru.found(_mail(changes=[synced])) == []


def test_read_and_name_a_client_secret_rotation_whose_write_was_forbidden() -> None:
    pod = "portal-web-7c9d8b6f5-qwrtz"
    job_pod = "rotate-web-auth-3-zxcvb"
    facts = Facts(at=AT, changes={"changes": []}, changes_id="E2",
                  logs=[_refusal(pod, "portal", "ResponseError: invalid_client: Unauthorized", 35)])
    job = _job("sec-tools", "rotate-web-auth-3", 41, ["rotate", "--client", "web-portal"])
    pod_obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": "portal"},
               "spec": {"containers": [{"name": "web", "env": [
                   {"name": "AUTH_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "web-auth", "key": "s"}}}]}]}}
    hub = RecordingHub(objects={("Job", "sec-tools", "rotate-web-auth-3"): job, ("Pod", "portal", pod): pod_obj},
                       lists={"Job": [{"name": "rotate-web-auth-3", "namespace": "sec-tools", "created": _t(41)}],
                              ("Pod", "sec-tools"): [{"name": job_pod, "namespace": "sec-tools"}]},
                       logs={job_pod: AUTH0_LOG})
    asyncio.run(ru.read(Subject(), facts, hub, ""))
    found = ru.found(facts)
    assert [(str(u.job), u.secret, u.consumer.name) for u in found] == [
        ("Job sec-tools/rotate-web-auth-3", "portal/web-auth", "portal-web")]
    assert "(Forbidden)" in found[0].failed and "revoked" in found[0].issued
    assert ru.suspects(facts)[0][3][1].name == "web-auth"


def test_registered_with_its_weight() -> None:
    from agent.triage import behind
    assert ru in behind.MODULES and behind.WEIGHTS[ru.CHECK] == ru.WEIGHT
