"""token_lifetime: a short-lived credential obtained once at startup, refused one lifetime after each pod start.

Small Facts of our own in the shapes the survey fills. Shapes: a Python API whose new revision switched to RDS
IAM database auth (env `DB_AUTH_MODE = iam`) and whose PostgreSQL connections are refused `PAM authentication
failed` 15 minutes after its pod started; a Go exporter that assumes an STS role once (its own startup line says
so) and whose S3 calls fail `ExpiredToken` an hour after start, with no rollout in the timeline. Twins: refusals
from the first minute (a wrong credential), refusals at a time that matches no lifetime, and a password-
authenticated workload refused 15 minutes after start (no token said anywhere).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import token_lifetime as tl
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
STARTED = AT - timedelta(minutes=68)
PAM = ('(psycopg2.OperationalError) connection to server at "ledger.c1x.eu-west-1.rds.amazonaws.com", port 5432 '
       'failed: FATAL:  PAM authentication failed for user "payout_app"')
EXPIRED = ('level=error msg="upload failed" err="operation error S3: PutObject, https response error StatusCode: 400,'
           ' api error ExpiredToken: The provided token has expired."')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _case(message: str, after_start: float, env: list[str], lines: list[str] | None = None,
          rollout: bool = True) -> Facts:
    pod = "payout-api-tn7qqdhkf9-fb2hm"
    error = {"message": message, "example": message, "severity": "error", "error_class": "auth_failure",
             "first_seen": _iso(STARTED + timedelta(minutes=after_start))}
    log = LogEvidence(pod=pod, namespace="treasury", evidence_id="E11", top=error, hosts=[],
                      error_classes={"auth_failure"}, previous=False)
    changes: list[dict[str, Any]] = []
    if rollout:
        changes.append({"at": _iso(STARTED - timedelta(minutes=1)), "type": "rollout",
                        "object": {"kind": "Deployment", "namespace": "treasury", "name": "payout-api"},
                        "summary": "Deployment treasury/payout-api rolled out revision 2: image 5.0.3 -> 5.1.0",
                        "diff": ["payout-api image x:5.0.3 -> x:5.1.0", *env]})
    changes.append({"at": _iso(STARTED + timedelta(minutes=10)), "type": "rollout",
                    "object": {"kind": "Deployment", "namespace": "treasury", "name": "payout-scheduler"},
                    "summary": "Deployment treasury/payout-scheduler rolled out revision 2", "diff": ["image a -> b"]})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=[log])
    facts.reads[tl.STORE] = {"pods": {pod: {"started": _iso(STARTED), "env": env, "lines": lines or [],
                                            "evidence": ["E24"]}}}
    return facts


def test_an_rds_iam_token_generated_once_is_refused_fifteen_minutes_after_start() -> None:
    facts = _case(PAM, 14.7, ["env DB_AUTH_MODE = iam"])
    [hit] = tl.found(facts)
    assert str(hit.workload) == "Deployment treasury/payout-api" and hit.lifetime == 15
    message = tl.finding(hit)["message"]
    assert message.startswith("Deployment treasury/payout-api revision 2 authenticates with an RDS IAM auth token")
    assert "expires after 15 minutes" in message and "PAM authentication failed" in message[:400]
    ref, _, evidence, explains = tl.suspects(facts)[0]
    assert str(ref) == "Deployment treasury/payout-api" and evidence == ["E11", "E2", "E24"]
    assert [str(r) for r in explains] == ["Pod treasury/payout-api-tn7qqdhkf9-fb2hm"]


def test_an_sts_session_assumed_once_expires_after_an_hour_without_a_rollout() -> None:
    line = '2026-12-04T16:52:00Z level=info msg="obtained STS session token via AssumeRole" role=exporter'
    facts = _case(EXPIRED, 61, [], lines=[line], rollout=False)
    [hit] = tl.found(facts)
    assert hit.lifetime == 60 and hit.token == "an STS session" and hit.revision is None
    assert tl.finding(hit)["message"].startswith("Deployment treasury/payout-api authenticates with an STS session")


def test_negative_twins_early_refusals_no_lifetime_and_password_auth() -> None:
    assert tl.found(_case(PAM, 0.5, ["env DB_AUTH_MODE = iam"])) == []  # from the start: a wrong credential
    assert tl.found(_case(PAM, 37, ["env DB_AUTH_MODE = iam"])) == []  # matches no token lifetime
    assert tl.found(_case(PAM, 15, ["env DB_HOST = ledger.c1x.eu-west-1.rds.amazonaws.com"])) == []  # password
