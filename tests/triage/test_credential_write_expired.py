"""agent.triage.credential_write: temporary credentials (a session token) written into a Secret by hand, refused
as expired once their session runs out.

Written here, not taken from a held-out bundle. Shapes: AWS STS session keys put into a Secret read by envFrom and
refused an hour later with boto's `ExpiredTokenException` / `security token included in the request is expired`;
an Azure SAS token set by Helm in a Secret whose reader Reloader restarted right after the write (the rollout
names no object), refused with Azure Storage's `Signature not valid in the specified time frame`. Twins: the same
expiry after a write of a long-lived key pair only (no temporary credential written); a Reloader restart after two
Secrets of the namespace were written (which one it reads is unknown); a session token written after the expiry
errors began (an attempted fix). No Secret value is read: key names and times only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.credential_write import STORE, finding, found
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
BOTO = ("ERROR backup.push: botocore.exceptions.ClientError: An error occurred (ExpiredTokenException) when "
        "calling the PutObject operation: The security token included in the request is expired")
AZURE = ("azure.core.exceptions.ClientAuthenticationError: Server failed to authenticate the request. "
         "Signature not valid in the specified time frame: Start [Sat, 14 Mar 2026 06:00:00 GMT] - Expiry "
         "[Sat, 14 Mar 2026 08:00:00 GMT] - Current [Sat, 14 Mar 2026 08:10:00 GMT] ErrorCode:AuthenticationFailed")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def failing(pod: str, ns: str, message: str, first: datetime) -> LogEvidence:
    top = {"message": message, "example": message, "first_seen": iso(first), "severity": "error",
           "error_class": "client_error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"client_error"}, previous=False)


def created(ns: str, name: str, at: datetime, keys: list[str]) -> dict[str, Any]:
    return {"at": iso(at), "type": "secret", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} created with keys: {', '.join(keys)}", "diff": [], "related": []}


def rollout(ns: str, name: str, at: datetime, summary: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": summary, "diff": [], "revision": 3, "related": []}


def sts(keys: list[str], written: datetime = AT - timedelta(minutes=80),
        first: datetime = AT - timedelta(minutes=20)) -> Facts:
    """backups/pusher reads Secret s3-push by envFrom (topology); the Secret was re-created, then a restart."""
    pod = "pusher-7c9d8f6b5-m4k2x"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        created("backups", "s3-push", written, keys),
        rollout("backups", "pusher", written + timedelta(minutes=2),
                "Deployment backups/pusher rolled out revision 3: pod template annotation "
                "kubectl.kubernetes.io/restartedAt changed")]}
    facts.topologies = [({"subject": {"kind": "Deployment", "namespace": "backups", "name": "pusher"},
                          "pods": [{"name": pod}],
                          "secrets": [{"secret": {"kind": "Secret", "namespace": "backups", "name": "s3-push"},
                                       "via": "envFrom"}]}, "T1")]
    facts.logs = [failing(pod, "backups", BOTO, first)]
    facts.reads[STORE] = {"pods": [{"pod": pod, "namespace": "backups", "reads": [], "evidence": ["P1"],
                                    "lengths": []}]}
    return facts


def sas(other_secret: bool = False) -> Facts:
    """media/thumbnailer: Reloader restarted it a minute after Helm wrote the SAS token; its spec was not read."""
    pod = "thumbnailer-5d8c7b9f6-q2w8x"
    written = AT - timedelta(hours=3)
    changes = [{"at": iso(written), "type": "secret",
                "object": {"kind": "Secret", "namespace": "media", "name": "blob-access"},
                "summary": "Secret media/blob-access updated by helm: data key AZURE_STORAGE_SAS_TOKEN set by helm",
                "diff": ["data key AZURE_STORAGE_SAS_TOKEN set by helm"], "related": []},
               rollout("media", "thumbnailer", written + timedelta(minutes=1),
                       "Deployment media/thumbnailer rolled out revision 3: pod template unchanged "
                       "(change-cause: reloader)")]
    if other_secret:
        changes.append(created("media", "cdn-signing", written + timedelta(seconds=30), ["SIGNING_KEY"]))
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.logs = [failing(pod, "media", AZURE, AT - timedelta(minutes=50))]
    facts.reads[STORE] = {"pods": [{"pod": pod, "namespace": "media", "reads": [], "evidence": ["P2"],
                                    "lengths": []}]}
    return facts


def test_sts_session_keys_put_in_a_secret_are_named_when_they_expire() -> None:
    facts = sts(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
    [hit] = found(facts)
    assert (hit.secret.name, hit.workload.name) == ("s3-push", "pusher")
    body = finding(hit, AT)
    assert body["reason"] == "TemporaryCredentialWritten"
    assert "AWS_SESSION_TOKEN is a session token" in body["message"]
    assert "60 min later" in body["message"] and "expired" in body["message"]


def test_a_sas_token_loaded_through_an_unnamed_reloader_restart_is_named() -> None:
    [hit] = found(sas())
    assert (hit.secret.name, hit.via) == ("blob-access", "restarted by Reloader right after its write")
    message = finding(hit, AT)["message"]
    assert message.startswith("Secret media/blob-access was written by helm at 06:00")
    assert "AZURE_STORAGE_SAS_TOKEN is a session token" in message and "Signature not valid" in message


def test_the_same_expiry_after_a_long_lived_key_pair_was_written_is_not_named() -> None:
    assert found(sts(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])) == []


def test_an_unnamed_reloader_restart_after_two_secret_writes_links_neither() -> None:
    assert found(sas(other_secret=True)) == []


def test_a_session_token_written_after_the_expiry_errors_began_is_not_named() -> None:
    facts = sts(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
                written=AT - timedelta(minutes=10), first=AT - timedelta(minutes=40))
    assert found(facts) == []
