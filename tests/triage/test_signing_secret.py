"""agent.triage.signing_secret: a signing Secret written shortly before its reader began rejecting signatures.

Shapes: a Stripe webhook receiver that reads its Secret only through Reloader's env hash and answers 400 with
`No signatures found matching the expected signature`; a GitHub webhook receiver (X-Hub-Signature-256) that mounts
its Secret as a volume (kubelet-refreshed) and logs `Signatures didn't match!`. Twins: the rejections blame the
timestamp's tolerance (clock skew, not the key); the rejections began before the write (an attempted fix); a
write to a Secret the receiver does not read; an env-read Secret never loaded since the write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.signing_secret import STORE, found, rejects, suspects

AT = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
STRIPE = ('{"level":"error","msg":"webhook signature verification failed","type":"StripeSignatureVerificationError",'
          '"statusCode":400,"err":"No signatures found matching the expected signature for payload"}')
GITHUB = "time=2026-08-03T08:31:00Z level=error msg=\"Signatures didn't match!\" event=push delivery=7f1c status=401"
SKEW = ('{"level":"error","msg":"webhook signature verification failed","err":"Timestamp outside the tolerance '
        'zone"}')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rejecting_log(pod: str, ns: str, message: str, first: datetime) -> LogEvidence:
    top = {"message": message, "example": message, "first_seen": iso(first), "severity": "error",
           "error_class": "client_error"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"client_error"}, previous=False)


def secret_write(ns: str, name: str, at: datetime, key: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "secret", "object": {"kind": "Secret", "namespace": ns, "name": name},
            "summary": f"Secret {ns}/{name} updated by kubectl-client-side-apply: data key {key} set",
            "diff": [f"data key {key} set by kubectl-client-side-apply"], "related": []}


def stripe(message: str = STRIPE, written: datetime = AT - timedelta(minutes=40),
           first: datetime = AT - timedelta(minutes=37), restart: bool = True) -> Facts:
    """checkout/hooks reads Secret psp-signing only through Reloader's env hash variable."""
    facts = Facts(at=AT, changes_id="C1")
    changes = [secret_write("checkout", "psp-signing", written, "WEBHOOK_SIGNING_SECRET")]
    if restart:
        changes.append({"at": iso(written + timedelta(minutes=1)), "type": "rollout",
                        "object": {"kind": "Deployment", "namespace": "checkout", "name": "hooks"},
                        "summary": "Deployment checkout/hooks rolled out revision 9: hooks env "
                                   "STAKATER_PSP_SIGNING_SECRET changed",
                        "diff": ["hooks env STAKATER_PSP_SIGNING_SECRET changed"], "revision": 9, "related": []})
    facts.changes = {"changes": changes}
    facts.logs = [rejecting_log("hooks-7d9f8c6b5-x2k4q", "checkout", message, first)]
    return facts


def github(secret: str = "gh-hook", written: datetime = AT - timedelta(minutes=30)) -> Facts:
    """ci/hook-relay mounts Secret gh-hook as a volume (read from its pod spec): no restart is needed."""
    pod = "hook-relay-5c4b7d8f9-m3n8p"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [secret_write("ci", secret, written, "secret")]}
    facts.logs = [rejecting_log(pod, "ci", GITHUB, AT - timedelta(minutes=29))]
    facts.reads[STORE] = {"pods": [{"pod": pod, "namespace": "ci", "evidence": ["P1"],
                                    "reads": [{"name": "gh-hook", "via": "volume webhook-secret"}]}]}
    return facts


def test_library_wordings_of_a_mismatch_and_not_of_a_clock_or_missing_header() -> None:
    for text in (STRIPE, GITHUB, "slack: Invalid request signature", "svix.WebhookVerificationError: No matching "
                 "signature found", "jwt: token signature is invalid"):
        assert rejects({"message": text}), text
    for text in (SKEW, "missing the signature header X-Hub-Signature-256", "charge failed: card declined"):
        assert not rejects({"message": text}), text


def test_stripe_receiver_reloaded_by_reloader_names_the_signing_secret() -> None:
    hits = suspects(stripe())
    assert len(hits) == 1
    ref, finding, _, explains = hits[0]
    assert (ref.kind, ref.namespace, ref.name) == ("Secret", "checkout", "psp-signing")
    assert explains[0].name == "hooks"
    head = finding["message"][:400]
    assert "signing secret" in head and "signature verification" in head and "No signatures found" in head


def test_github_receiver_with_a_mounted_secret_needs_no_restart() -> None:
    hits = found(github())
    assert [h.secret.name for h in hits] == ["gh-hook"] and hits[0].via.startswith("volume")


def test_twins_clock_skew_fix_after_unread_secret_and_never_reloaded_are_not_named() -> None:
    assert found(stripe(message=SKEW)) == []
    assert found(stripe(written=AT - timedelta(minutes=20), first=AT - timedelta(minutes=37))) == []
    assert found(stripe(restart=False)) == []
    assert found(github(secret="gh-deploy-key")) == []
