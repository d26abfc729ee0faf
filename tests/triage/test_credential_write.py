"""agent.triage.credential_write: a credential Secret written shortly before its reader began to be refused (401/403).

Shapes: an SMS provider's 401 (Twilio 20003) for a workload that references its Secret only through Reloader's env
hash variable and reports loading a 44-character token (encoded twice); a payment API's 401 `Invalid API Key`
for a Secret read by envFrom (topology) after a `kubectl rollout restart`; an SMTP relay's 535 for a Secret mounted
as a volume (kubelet-refreshed, no restart needed), written by a Helm upgrade. Twins: the provider says the key was
revoked; the refusals began before the write (an attempted fix); an env-read Secret never loaded since the write;
a write to a Secret the workload does not read; a write long before; a plain 32-character length (no doubling
said). No Secret value is read: the judgement uses the timeline's metadata, references and the workload's logs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.credential_write import STORE, found, normalised, pod_reads, reloader_names, suspects
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 7, 9, 14, 0, tzinfo=UTC)
TWILIO = ("ERROR notify.sms: send failed to +4915550100: twilio.base.exceptions.TwilioRestException: HTTP 401 error: "
          "Unable to create record: Authenticate (code 20003, https://www.twilio.com/docs/errors/20003)")
STRIPE = ('{"level":"error","msg":"charge failed","error":"Invalid API Key provided: sk_live_****","status":401,'
          '"type":"invalid_request_error"}')
SMTP = "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted')"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def refused_log(pod: str, ns: str, message: str, first: datetime) -> LogEvidence:
    top = {"message": message, "example": message, "first_seen": iso(first), "severity": "error",
           "error_class": "auth_failure"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"auth_failure"}, previous=False)


def secret_write(ns: str, name: str, at: datetime, key: str, manager: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "secret", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} updated by {manager}: data key {key} set by {manager}",
            "diff": [f"data key {key} set by {manager}"], "related": []}


def rollout(ns: str, name: str, at: datetime, summary: str, diff: list[str]) -> dict[str, Any]:
    return {"at": iso(at), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": summary, "diff": diff, "revision": 4, "related": []}


def topology(ns: str, workload: str, pods: list[str], secrets: list[tuple[str, str]]) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": ns, "name": workload}, "pods": [{"name": p} for p in pods],
            "secrets": [{"secret": {"kind": "Secret", "namespace": ns, "name": s}, "via": v} for s, v in secrets]}


def sms(message: str = TWILIO, written: datetime = AT - timedelta(minutes=50),
        first: datetime = AT - timedelta(minutes=47), restart: bool = True, length: int = 44) -> Facts:
    """notify/sms-sender reads Secret sms-provider only through Reloader's env hash; it was re-applied by hand."""
    pod = "sms-sender-6c8f9d7b5-q4wzt"
    facts = Facts(at=AT, changes_id="C1")
    changes = [secret_write("notify", "sms-provider", written, "AUTH_TOKEN", "kubectl-client-side-apply")]
    if restart:
        changes.append(rollout("notify", "sms-sender", written + timedelta(minutes=1),
                               "Deployment notify/sms-sender rolled out revision 4: sms-sender env "
                               "STAKATER_SMS_PROVIDER_SECRET changed", ["sms-sender env STAKATER_SMS_PROVIDER_SECRET "
                                                                        "changed"]))
    facts.changes = {"changes": changes}
    facts.logs = [refused_log(pod, "notify", message, first)]
    facts.reads[STORE] = {"pods": [{"pod": pod, "namespace": "notify", "reads": [], "evidence": ["P1"],
                                    "lengths": [("auth_token_len", length)]}]}
    return facts


def payments(written: datetime = AT - timedelta(minutes=30), secret: str = "psp-keys") -> Facts:
    """billing/charger reads psp-keys by envFrom (topology); the Secret was edited, then `kubectl rollout restart`."""
    pod = "charger-5b7d9c6f4-k2m8n"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        secret_write("billing", secret, written, "STRIPE_SECRET_KEY", "kubectl-edit"),
        rollout("billing", "charger", written + timedelta(minutes=3),
                "Deployment billing/charger rolled out revision 12: pod template annotation "
                "kubectl.kubernetes.io/restartedAt changed", ["annotation kubectl.kubernetes.io/restartedAt changed"]),
    ]}
    facts.topologies = [(topology("billing", "charger", [pod], [("psp-keys", "envFrom")]), "T1")]
    facts.logs = [refused_log(pod, "billing", STRIPE, written + timedelta(minutes=4))]
    return facts


def mailer() -> Facts:
    """mail/digest mounts smtp-auth as a volume; helm rewrote it; SMTP 535 from then on, without a restart."""
    pod = "digest-7f6d5c4b3-z9x8w"
    facts = Facts(at=AT, changes_id="C1")
    written = AT - timedelta(minutes=40)
    facts.changes = {"changes": [secret_write("mail", "smtp-auth", written, "password", "helm")]}
    facts.logs = [refused_log(pod, "mail", SMTP, written + timedelta(minutes=2))]
    facts.reads[STORE] = {"pods": [{"pod": pod, "namespace": "mail", "evidence": ["P2"], "lengths": [],
                                    "reads": [{"name": "smtp-auth", "via": "volume at /etc/smtp"}]}]}
    return facts


def test_reloader_env_names_the_secret_and_a_base64_length_says_encoded_twice() -> None:
    hits = found(sms())
    assert len(hits) == 1 and hits[0].secret.name == "sms-provider", hits
    ref, finding, evidence, explains = suspects(sms())[0]
    head = finding["message"][:400]
    assert str(ref) == "Secret notify/sms-provider" and finding["check"] == "credential.written_refused"
    for words in ("Secret notify/sms-provider was written by kubectl-client-side-apply", "auth token",
                  "base64-encoded twice", "auth_token_len=44", "refused for authentication", "401"):
        assert words in head, (words, head)
    assert [str(r) for r in explains] == ["notify/sms-sender"] and "P1" in evidence


def test_envfrom_secret_edited_then_restarted_is_named_without_a_doubling_claim() -> None:
    (hit,) = found(payments())
    assert hit.secret.name == "psp-keys" and hit.via == "envFrom" and "restarted at" in hit.reload
    message = suspects(payments())[0][1]["message"]
    assert "Invalid API Key" in message[:400] and "twice" not in message


def test_a_mounted_secret_needs_no_restart() -> None:
    (hit,) = found(mailer())
    assert hit.secret.name == "smtp-auth" and hit.via.startswith("volume")
    assert "535" in suspects(mailer())[0][1]["message"]


def test_a_403_that_blames_the_key_is_a_refusal_and_rbac_is_not() -> None:
    google = "HTTP 403: API key not valid. Please pass a valid API key. (reason: API_KEY_INVALID)"
    facts = sms(message=google)
    facts.logs[0].top["error_class"] = "permission_denied"  # type: ignore[index]
    facts.logs[0].error_classes = {"permission_denied"}
    (hit,) = found(facts)
    assert "API key not valid" in hit.said
    rbac = ('pods is forbidden: User "system:serviceaccount:notify:sms-sender" cannot list resource "pods": 403 '
            "invalid token scope")
    facts = sms(message=rbac)
    facts.logs[0].top["error_class"] = "permission_denied"  # type: ignore[index]
    facts.logs[0].error_classes = {"permission_denied"}
    assert found(facts) == []


def test_a_credential_revoked_upstream_is_not_the_write() -> None:
    assert found(sms(message="HTTP 401 error: Authenticate: the API key used has been revoked")) == []


def test_refusals_that_began_before_the_write_are_not_its_doing() -> None:
    assert found(sms(written=AT - timedelta(minutes=30), first=AT - timedelta(minutes=45))) == []


def test_an_env_read_secret_never_loaded_since_the_write_is_not_the_cause() -> None:
    assert found(sms(restart=False)) == []


def test_a_write_to_a_secret_the_workload_does_not_read_is_not_named() -> None:
    assert found(payments(secret="fraud-keys")) == []


def test_a_write_long_before_the_refusals_is_not_named() -> None:
    assert found(sms(written=AT - timedelta(hours=9), first=AT - timedelta(minutes=20))) == []


def test_a_plain_token_length_says_nothing_of_encoding() -> None:
    message = suspects(sms(length=32))[0][1]["message"]
    assert "twice" not in message and "base64" not in message


def test_reloader_env_names_and_pod_references() -> None:
    assert reloader_names("env STAKATER_SMS_PROVIDER_SECRET changed; STAKATER_APP_CONFIG_CONFIGMAP") == {
        "SMS_PROVIDER"}
    assert normalised("sms-provider.v2") == "SMS_PROVIDER_V2"
    pod = {"spec": {"containers": [{"name": "app", "env": [
        {"name": "STAKATER_SMS_PROVIDER_SECRET", "value": "5b0f47"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}]}}
    assert {(r.target.name, r.via) for r in pod_reads(pod, "notify")} == {
        ("SMS_PROVIDER", "Reloader env STAKATER_SMS_PROVIDER_SECRET"), ("db", "env DB_PASSWORD (key password)")}
