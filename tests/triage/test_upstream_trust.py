"""A proxy's upstream CA bundle (or verified name) changed, and it now fails x509 toward its backend
(agent.triage.upstream_trust).

Error wording is each proxy's own: Traefik (Go) at debug level, `'500 Internal Server Error' caused by: tls: failed
to verify certificate: x509: certificate signed by unknown authority`, read raw from its lines; Envoy's upstream
reset reason `TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED`, as the log classifier
keeps it (first/last seen); Go's `x509: certificate is valid for a.svc, not b.svc` for a verified-name change.

Shapes: a Traefik ServersTransport `spec.rootCAs` write, the errors in the proxy's raw lines; an Istio
DestinationRule `caCertificates` write, the errors in a sidecar's classified log entry. Twins: the same errors
before the write, an expired backend certificate after it, a trust write with no errors after, a write of no
trust field (an image bump) before x509 errors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import upstream_trust as ut
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 12, 3, 15, 10, tzinfo=UTC)
WRITE = AT - timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, name: str, diff: list[str], at: datetime = WRITE) -> dict[str, Any]:
    return {"at": _iso(at), "type": "other", "object": {"kind": kind, "namespace": "partners", "name": name},
            "summary": f"{kind} partners/{name} written by kubectl-edit: {'; '.join(diff)}", "diff": diff}


def _traefik(t: datetime, error: str = "x509: certificate signed by unknown authority") -> str:
    return (f'time="{_iso(t)}" level=debug msg="\'500 Internal Server Error\' caused by: tls: failed to verify '
            f'certificate: {error}"')


def _facts(changes: list[dict[str, Any]], lines: list[str] | None = None,
           logs: list[LogEvidence] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    if lines is not None:
        facts.reads[ut.READS] = {"lines": [("traefik/traefik-6c9f7-abcde", lines, "E30")]}
    facts.logs += logs or []
    return facts


ROOTCAS = _change("ServersTransport", "portal-backend-tls", ['spec.rootCAs = [{"secret": "internal-ca-2026"}]'])


def test_a_traefik_serverstransport_rootcas_write_then_x509_in_the_proxy() -> None:
    lines = [_traefik(WRITE + timedelta(minutes=m)) for m in (2, 5, 9)]
    [got] = ut.found(_facts([ROOTCAS], lines))
    assert got.target.name == "portal-backend-tls" and got.where == ["traefik/traefik-6c9f7-abcde"]
    head = ut.finding(got)["message"][:400]
    assert head.startswith("ServersTransport partners/portal-backend-tls changed the proxy's upstream TLS trust")
    assert "rootCAs" in head and "x509" in head and "intermediate" in head


def test_an_istio_destinationrule_ca_write_then_envoy_verify_failures_in_a_sidecar() -> None:
    rule = _change("DestinationRule", "ledger-mtls",
                   ["spec.trafficPolicy.tls.caCertificates: '/etc/certs/root.pem' -> '/etc/ca-2026/root.pem'"])
    text = ("upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport "
            "failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED")
    entry = {"template": text, "example": text, "message": text, "error_class": "tls_error", "count": 40,
             "first_seen": _iso(WRITE + timedelta(minutes=1)), "last_seen": _iso(AT)}
    log = LogEvidence(pod="payments-api-7d9c-aaaaa", namespace="partners", evidence_id="E12", top=entry, hosts=[],
                      error_classes={"tls_error"}, previous=False)
    [got] = ut.found(_facts([rule], logs=[log]))
    message = ut.finding(got)["message"]
    assert got.target.kind == "DestinationRule" and "caCertificates" in message and "CERTIFICATE_VERIFY" in message


def test_a_verified_name_change_says_the_name_is_not_in_the_certificate() -> None:
    sni = _change("ServersTransport", "portal-backend-tls", ["spec.serverName: 'portal.partners.svc' -> 'portal'"])
    lines = [_traefik(WRITE + timedelta(minutes=3),
                      "x509: certificate is valid for portal.partners.svc, not portal")]
    [got] = ut.found(_facts([sni], lines))
    assert got.mismatch and "name the proxy now verifies" in ut.finding(got)["message"]


def test_negative_twins_errors_before_expiry_after_no_errors_no_trust_field() -> None:
    already = [_traefik(WRITE - timedelta(minutes=20)), _traefik(WRITE + timedelta(minutes=5))]
    assert ut.found(_facts([ROOTCAS], already)) == []
    expired = [_traefik(WRITE + timedelta(minutes=5), "x509: certificate has expired or is not yet valid")]
    assert ut.found(_facts([ROOTCAS], expired)) == []
    assert ut.found(_facts([ROOTCAS], [])) == []
    bump = _change("Deployment", "partner-docs", ["partner-docs image docs:5.0.3 -> docs:5.0.3.1"])
    assert ut.found(_facts([bump], [_traefik(WRITE + timedelta(minutes=5))])) == []
    stale = _change("ServersTransport", "portal-backend-tls", ['spec.rootCAs = [{"secret": "ca"}]'],
                    at=AT - timedelta(days=2))
    assert ut.found(_facts([stale], [_traefik(AT - timedelta(minutes=5))])) == []
