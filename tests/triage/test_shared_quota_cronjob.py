"""agent.triage.shared_quota: a CronJob made to run again (un-suspended) or more often (rescheduled) on the victim's
API credential is a newcomer, and the provider's own words name the budget spent.

Shapes: a Zendesk export CronJob un-suspended on the support token, the victim's log quoting the provider's body
(`You have exceeded the account's rate limit quota`) beside its own words; a Google Sheets sync CronJob rescheduled from
nightly to every five minutes on a same-named copy of the victim's key (`googleapi: Error 429: Quota exceeded for
quota metric`). Twins: a CronJob write that only bumps its image; a CronJob suspended (paused) by the write; a
resumed CronJob that reads another credential.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.shared_quota import STORE, found, refusal, suspects

AT = datetime(2026, 9, 9, 16, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=50)
FIRST = AT - timedelta(minutes=35)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def cron_write(ns: str, name: str, diff: list[str]) -> dict[str, Any]:
    return {"at": iso(WRITE), "type": "other", "object": {"kind": "CronJob", "namespace": ns, "name": name},
            "summary": f"CronJob {ns}/{name} written by kubectl-patch: {', '.join(d.split(' ')[0] for d in diff)}",
            "diff": diff}


def cred(ns: str, name: str, key: str, env: str) -> dict[str, str]:
    return {"namespace": ns, "name": name, "key": key, "env": env, "via": f"env {env} (key {key})"}


def facts_for(victim_ns: str, victim: str, top: dict[str, Any], change: dict[str, Any],
              victim_creds: list[dict[str, str]], cron: tuple[str, str], their_creds: list[dict[str, str]]) -> Facts:
    pod = f"{victim}-6c7d8f9b5d-q2w4z"
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1")
    facts.logs = [LogEvidence(pod=pod, namespace=victim_ns, evidence_id="L1", top=top, hosts=[],
                              error_classes={"rate_limited"}, previous=False)]
    facts.reads[STORE] = {
        "victims": [{"pod": pod, "namespace": victim_ns, "evidence": "P1", "creds": victim_creds}],
        "workloads": [{"kind": "CronJob", "namespace": cron[0], "name": cron[1], "evidence": ["W1"], "log": "",
                       "creds": their_creds}]}
    return facts


ZENDESK_TOP = {"message": "zendesk call postponed", "severity": "warning", "first_seen": iso(FIRST),
               "example": '{"level":"warn","msg":"zendesk call postponed","status":429,"body":{"error":'
                          '"APIRateLimitExceeded","description":"You have exceeded the account\'s rate limit quota"}}',
               "fields": {"status": "429"}}
SUPPORT_TOKEN = [cred("support", "zendesk-api", "token", "ZENDESK_TOKEN")]


def zendesk(diff: list[str], theirs: list[dict[str, str]] = SUPPORT_TOKEN) -> Facts:
    return facts_for("support", "ticket-sync", ZENDESK_TOP, cron_write("support", "ticket-export", diff),
                     SUPPORT_TOKEN, ("support", "ticket-export"), theirs)


def sheets(diff: list[str]) -> Facts:
    top = {"message": "googleapi: Error 429: Quota exceeded for quota metric 'Read requests' and limit 'Read "
                      "requests per minute per user'", "severity": "error", "first_seen": iso(FIRST), "fields": {}}
    return facts_for("finance", "ledger-export", top, cron_write("reporting", "sheet-sync", diff),
                     [cred("finance", "google-sa", "key.json", "GOOGLE_APPLICATION_CREDENTIALS")],
                     ("reporting", "sheet-sync"),
                     [cred("reporting", "google-sa", "key.json", "GOOGLE_APPLICATION_CREDENTIALS")])


def test_an_unsuspended_export_cronjob_on_the_same_token_is_named() -> None:
    facts = zendesk(["spec.suspend written by kubectl-patch (now False)"])
    [(ref, finding, _, explains)] = suspects(facts)
    assert (ref.kind, ref.name) == ("CronJob", "ticket-export")
    assert "resumed" in finding["message"] and "(429)" in finding["message"]
    assert "exceeded the account's rate limit quota" in finding["message"]
    assert [r.name for r in explains] == ["ticket-sync"]


def test_a_cronjob_rescheduled_to_every_five_minutes_on_a_copy_of_the_key_is_named() -> None:
    [n] = found(sheets(["spec.schedule written by kubectl-edit (now '*/5 * * * *')"]))
    assert n.workload.name == "sheet-sync" and n.what == "rescheduled" and n.status == "429"


def test_an_image_bump_of_the_cronjob_is_no_start() -> None:
    assert found(zendesk(["spec.jobTemplate.spec.template.spec.containers[0].image written by argocd (now x:2)"])) == []
    assert found(sheets(["spec.jobTemplate.spec.template.spec.containers[0].resources written by argocd"])) == []


def test_a_cronjob_suspended_by_the_write_is_no_start() -> None:
    assert found(zendesk(["spec.suspend written by kubectl-patch (now True)"])) == []


def test_a_resumed_cronjob_on_another_credential_is_not_named() -> None:
    other = [cred("support", "zendesk-readonly", "token", "ZD_READONLY")]
    assert found(zendesk(["spec.suspend written by kubectl-patch (now False)"], other)) == []


def test_the_provider_words_are_added_only_when_the_message_lacks_them() -> None:
    log = LogEvidence(pod="p", namespace="n", evidence_id="L", top=ZENDESK_TOP, hosts=[], error_classes=set(),
                      previous=False)
    said = refusal(log)
    assert said is not None and said[0].startswith("zendesk call postponed: exceeded the account's rate limit quota")
    plain = dict(ZENDESK_TOP, example='{"msg":"zendesk call postponed","status":429}')
    said = refusal(LogEvidence(pod="p", namespace="n", evidence_id="L", top=plain, hosts=[], error_classes=set(),
                               previous=False))
    assert said is not None and said[0] == "zendesk call postponed"
