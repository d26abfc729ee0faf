"""credential_write, narrowed keys: a credential Secret replaced by a VALID key with fewer permissions.

Shapes: a payment API's restricted key (Stripe `StripePermissionError` 403, `The provided key 'rk_live_***' does
not have the required permissions`) in a JSON log whose time is an epoch in milliseconds (pino), loaded by a
`kubectl rollout restart`; a Google API token without the scope (`Request had insufficient authentication
scopes`, ACCESS_TOKEN_SCOPE_INSUFFICIENT); a GitHub fine-grained token (`Resource not accessible by personal access
token`). Twins: Kubernetes RBAC's own 403 (another class), a permission refusal that began before the write (an
attempted fix), a 403 that names no credential (a WAF block), and a 401 (a bad key, said as a bad key, not as a
narrowed one).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.triage.credential_write import finding, found, narrowed
from agent.triage.facts import Facts, LogEvidence, parse_time
from tests.triage.test_credential_write import AT, iso, rollout, secret_write, topology

STRIPE_SCOPE = ('{"level":50,"msg":"stripe request failed","err":{"type":"StripePermissionError","statusCode":403,'
                '"raw":{"message":"The provided key \'rk_live_*********************h7pn\' does not have the required '
                'permissions for this endpoint on account \'acct_1N\'."}}}')
GOOGLE_SCOPE = ("googleapiclient.errors.HttpError: <HttpError 403 when requesting https://sheets.googleapis.com/v4/"
                "spreadsheets returned \"Request had insufficient authentication scopes.\". Details: "
                "ACCESS_TOKEN_SCOPE_INSUFFICIENT>")
GITHUB_SCOPE = ('level=error msg="create check run failed" err="POST https://api.github.com/repos/acme/web/check-runs:'
                ' 403 Resource not accessible by personal access token []"')
RBAC = ('E1203 leaderelection.go:332] error retrieving resource lock: leases.coordination.k8s.io "x" is forbidden: '
        'User "system:serviceaccount:pay:gw" cannot get resource "leases"')
WAF = '{"level":"error","msg":"upstream answered 403 Forbidden","host":"api.partner.example"}'


def _log(pod: str, ns: str, message: str, first: str) -> LogEvidence:
    top = {"message": message, "example": message, "first_seen": first, "severity": "error",
           "error_class": "permission_denied"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"permission_denied"}, previous=False)


def _case(message: str, first: datetime | str, key: str = "API_KEY", written: datetime = AT - timedelta(minutes=30),
          ns: str = "pay", app: str = "gateway") -> Facts:
    pod = f"{app}-5b7d9c6f4-k2m8n"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        secret_write(ns, "provider-keys", written, key, "kubectl-edit"),
        rollout(ns, app, written + timedelta(minutes=1), f"Deployment {ns}/{app} rolled out revision 3: pod template "
                "annotation kubectl.kubernetes.io/restartedAt changed", ["annotation restartedAt changed"]),
        rollout(ns, "fraud-scoring", written + timedelta(minutes=5), f"Deployment {ns}/fraud-scoring rolled out "
                "revision 2: image 1.0 -> 1.1", ["fraud-scoring image x:1.0 -> x:1.1"]),
    ]}
    facts.topologies = [(topology(ns, app, [pod], [("provider-keys", "envFrom")]), "T1")]
    stamp = first if isinstance(first, str) else iso(first)
    facts.logs = [_log(pod, ns, message, stamp)]
    return facts


def test_epoch_millisecond_stamps_are_read_as_times() -> None:
    assert parse_time("1796287331000") == parse_time("2026-12-03T08:42:11Z")
    assert parse_time("1796287331") == parse_time("2026-12-03T08:42:11Z")
    assert parse_time("123") is None


def test_a_restricted_payment_key_is_named_as_a_narrowed_credential() -> None:
    first = AT - timedelta(minutes=28)
    millis = str(int(first.timestamp() * 1000))
    hits = found(_case(STRIPE_SCOPE, millis, key="STRIPE_SECRET_KEY"))
    assert [str(h.secret) for h in hits] == ["Secret pay/provider-keys"]
    message = finding(hits[0], AT)["message"]
    assert message.startswith("Secret pay/provider-keys was written by kubectl-edit")
    assert "a Stripe restricted key (rk_) that lacks a permission" in message[:300]
    assert "403" in message[:400] and finding(hits[0], AT)["reason"] == "CredentialNarrowed"


def test_a_google_token_without_the_scope_and_a_github_fine_grained_token() -> None:
    for message in (GOOGLE_SCOPE, GITHUB_SCOPE):
        hits = found(_case(message, AT - timedelta(minutes=25), ns="reports", app="sheet-sync"))
        assert [str(h.secret) for h in hits] == ["Secret reports/provider-keys"], message
        assert "restricted" in finding(hits[0], AT)["message"] or "fine-grained" in finding(hits[0], AT)["message"]
    assert narrowed(GITHUB_SCOPE) == "a restricted (scoped) key"
    assert narrowed("token github_pat_11AB**** : 403 Resource not accessible by personal access token") == \
        "a GitHub fine-grained token (github_pat_)"


def test_rbac_a_waf_block_and_refusals_before_the_write_are_not_a_narrowed_key() -> None:
    assert found(_case(RBAC, AT - timedelta(minutes=25))) == []
    assert found(_case(WAF, AT - timedelta(minutes=25))) == []
    assert found(_case(STRIPE_SCOPE, AT - timedelta(minutes=50))) == []  # refused before the write: not its cause
    assert narrowed("HTTP 401 error: Unable to create record: Authenticate") == ""
