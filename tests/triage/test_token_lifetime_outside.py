"""token_lifetime, outside wording: tokens from other issuers, refused in other servers' words.

token_lifetime claims the class "a short-lived credential obtained once at startup is refused one lifetime after
each pod start". Shapes here come from software the round did not use: a .NET service reading Azure SQL with a
managed identity (Azure AD tokens live a random 60-90 minutes; SqlClient's `Login failed for user
'<token-identified principal>'` 82 minutes after start), a Go exporter whose startup line logs the metadata
server's OAuth answer (`"expires_in": 3599`) and whose Google API calls fail `Error 401: Request had invalid
authentication credentials` an hour later, and a Node worker whose own identity provider issues 30-minute tokens
(`expires_in=1800`) refused `jwt expired` half an hour after start: a lifetime no table holds, read from the
token line itself. Epoch stamps (zap's fractional seconds, OpenTelemetry's nanoseconds) are read as times.
Twins: an Azure-token workload refused 30 minutes after start (no Azure lifetime is that short), a password
rotated under a workload (credential_rotation's class: refused an hour after start with no token said
anywhere), and a refusal from the first minute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage import token_lifetime as tl
from agent.triage.facts import Facts, LogEvidence, parse_time

AT = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
STARTED = AT - timedelta(minutes=95)
SQLCLIENT = ("Microsoft.Data.SqlClient.SqlException (0x80131904): Login failed for user '<token-identified "
             "principal>'. at Microsoft.Data.SqlClient.SqlInternalConnection.OnError")
GOOGLE = ('{"level":"error","ts":%s,"msg":"bigquery insert failed","error":"googleapi: Error 401: Request had '
          'invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid '
          'authentication credential., unauthorized"}')
JWT = 'JsonWebTokenError [TokenExpiredError]: jwt expired at /app/node_modules/jsonwebtoken/verify.js:190'
PASSWORD = 'FATAL:  password authentication failed for user "inventory"'


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _facts(app: str, message: str, first: str, env: list[str], lines: list[str]) -> Facts:
    pod = f"{app}-6c9f7d8b5-x2kqp"
    error = {"message": message, "example": message, "severity": "error", "error_class": "auth_failure",
             "first_seen": first}
    log = LogEvidence(pod=pod, namespace="analytics", evidence_id="E31", top=error, hosts=[],
                      error_classes={"auth_failure"}, previous=False)
    other = {"at": _iso(STARTED + timedelta(minutes=20)), "type": "rollout",
             "object": {"kind": "Deployment", "namespace": "analytics", "name": "dashboard"},
             "summary": "Deployment analytics/dashboard rolled out revision 7", "diff": ["image d:7 -> d:8"]}
    facts = Facts(at=AT, changes={"changes": [other]}, changes_id="E2", logs=[log])
    facts.reads[tl.STORE] = {"pods": {pod: {"started": _iso(STARTED), "env": env, "lines": lines,
                                            "evidence": ["E40"]}}}
    return facts


def test_an_azure_managed_identity_token_is_refused_within_its_sixty_to_ninety_minutes() -> None:
    facts = _facts("ledger-reader", SQLCLIENT, _iso(STARTED + timedelta(minutes=82)),
                   ["env AZURE_CLIENT_ID = 3f1c0b7e-8d2a-4c55-9e61-0c7a2d9b1e44"],
                   ["info: Acquired access token for https://database.windows.net/ via ManagedIdentityCredential"])
    [hit] = tl.found(facts)
    assert str(hit.workload) == "Deployment analytics/ledger-reader" and (hit.lifetime, hit.longest) == (60, 90)
    message = tl.finding(hit)["message"]
    assert message.startswith("Deployment analytics/ledger-reader authenticates with an Azure AD (Entra ID) access "
                              "token") and "expires after 60-90 minutes" in message
    assert "Login failed for user" in message[:420]


def test_a_google_token_whose_line_states_its_lifetime_with_zap_epoch_stamps() -> None:
    first = STARTED + timedelta(minutes=61)
    zap = f"{first.timestamp():.6f}"  # zap's production encoder: seconds with a fraction
    line = 'metadata: fetched access token {"token_type":"Bearer","expires_in":3599}'
    facts = _facts("usage-exporter", GOOGLE % zap, zap, [], [line])
    [hit] = tl.found(facts)
    assert hit.first == parse_time(zap) and hit.lifetime == 60 and hit.token == "a token issued for a stated lifetime"
    assert "invalid authentication credentials" in tl.finding(hit)["message"][:430]


def test_a_thirty_minute_token_from_its_own_issuer_is_read_from_the_token_line() -> None:
    nanos = str(int((STARTED + timedelta(minutes=31)).timestamp()) * 1_000_000_000)  # OTel timeUnixNano
    facts = _facts("billing-worker", JWT, nanos, ["env AUTH_URL = https://idp.internal/oauth2/token"],
                   ["auth: issued service token expires_in=1800 scope=billing.write"])
    [hit] = tl.found(facts)
    assert hit.lifetime == 30 and str(hit.workload) == "Deployment analytics/billing-worker"
    assert tl.stated_minutes('"expires_in": 3599') == 3599 / 60 and tl.stated_minutes("ttl=2h") == 120
    assert tl.stated_minutes("lease_duration=30") is None  # 30 seconds: no token lifetime this module can time


def test_twins_an_azure_token_refused_too_early_a_rotated_password_and_a_wrong_credential() -> None:
    azure = ["env AZURE_CLIENT_ID = 3f1c0b7e-8d2a-4c55-9e61-0c7a2d9b1e44"]
    assert tl.found(_facts("ledger-reader", SQLCLIENT, _iso(STARTED + timedelta(minutes=30)), azure, [])) == []
    assert tl.found(_facts("inventory-api", PASSWORD, _iso(STARTED + timedelta(minutes=60)),
                           ["env PGHOST = inventory-db.analytics.svc", "env PGUSER = inventory"], [])) == []
    assert tl.found(_facts("ledger-reader", SQLCLIENT, _iso(STARTED + timedelta(minutes=1)), azure, [])) == []
