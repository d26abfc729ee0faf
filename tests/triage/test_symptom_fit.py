"""Symptom fit (agent.triage.symptom_fit): a finding whose class cannot explain the incident's symptom never
outranks, nor heads the case of, one that can.

A missing TLS Secret makes ingress-nginx serve its default certificate: clients see certificate errors and
nothing else, so it cannot explain HTTP 413/502 bursts. Facts are written in the shape of the scan's and the
log tools' outputs (as in tests/triage/test_rank.py); each case has a twin where the incident does show
certificate errors, in the alert's words or in a client's logs, and the TLS finding leads again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from agent.triage.symptom_fit import TLS, declared, fits, shown

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
INGRESS = {"kind": "Ingress", "namespace": "shop", "name": "storefront"}


def _finding(check: str, obj: dict[str, str], message: str, owner: dict[str, str] | None = None) -> dict[str, Any]:
    return {"check": check, "severity": "critical" if check != "ingress.missing_tls_secret" else "warning",
            "object": obj, "owner": owner, "reason": check, "message": message, "details": {}, "evidence": [],
            "since": "2026-05-01T11:50:00Z", "pods": [], "count": 1}


TLS_FINDING = _finding("ingress.missing_tls_secret", INGRESS,
                       "Ingress shop/storefront: TLS for shop.example.com uses Secret storefront-tls, which does not "
                       "exist")
CRASH = _finding("pod.crashloop", {"kind": "Pod", "namespace": "shop", "name": "storefront-7d9c-abcde"},
                 "Deployment shop/storefront: 2/3 pods CrashLoopBackOff (exit 1)",
                 owner={"kind": "Deployment", "namespace": "shop", "name": "storefront"})


def _log(message: str, error_class: str) -> LogEvidence:
    top = {"template": message, "example": message, "count": 12, "severity": "error", "error_class": error_class,
           "message": message, "fields": {}}
    return LogEvidence(pod="checkout-5f6d-xyzab", namespace="shop", evidence_id="E7", top=top, hosts=[],
                       error_classes={error_class}, previous=False)


def test_declared_symptoms_of_narrow_classes_and_any_for_the_rest() -> None:
    assert declared(TLS_FINDING) == {TLS} and declared({"check": "certificate.expired"}) == {TLS}
    assert declared(CRASH) is None and fits(CRASH, frozenset())
    assert not fits(TLS_FINDING, frozenset()) and fits(TLS_FINDING, frozenset({TLS}))
    assert shown({"certificate"}, []) == {TLS} and shown(set(), [{"tls_error"}]) == {TLS}
    assert shown({"ingress"}, [{"http_5xx"}]) == frozenset()


def test_a_missing_tls_secret_never_outranks_a_crash_for_5xx_bursts_but_leads_for_certificate_errors() -> None:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [TLS_FINDING, CRASH]})
    bursts = rank(subject_of(from_text("storefront in namespace shop returns bursts of 502 errors")), facts)
    assert [c.check for c in bursts[:2]] == ["pod.crashloop", "ingress.missing_tls_secret"]
    assert bursts[0].confidence > bursts[1].confidence  # later steps order by confidence: it must agree
    # the twin: the same cluster, but people report certificate warnings
    cert = rank(subject_of(from_text("browsers say the certificate of storefront in namespace shop is invalid")),
                facts)
    assert cert[0].check == "ingress.missing_tls_secret"


def test_certificate_errors_in_a_clients_logs_make_the_tls_finding_fit_again() -> None:
    question = subject_of(from_text("checkout in namespace shop fails to call storefront"))
    x509 = _log('Get "https://shop.example.com/api": x509: certificate signed by unknown authority', "tls_error")
    refused = _log('Get "https://shop.example.com/api": dial tcp 10.0.0.7:443: connect: connection refused',
                   "connection_refused")
    facts_tls = Facts(at=AT, scan_id="E1", scan={"findings": [TLS_FINDING, CRASH]}, logs=[x509])
    facts_refused = Facts(at=AT, scan_id="E1", scan={"findings": [TLS_FINDING, CRASH]}, logs=[refused])
    assert rank(question, facts_tls)[0].check == "ingress.missing_tls_secret"
    assert rank(question, facts_refused)[0].check == "pod.crashloop"


def test_a_case_is_headed_by_its_finding_that_fits() -> None:
    """One Ingress with a missing TLS Secret and a missing backend: for 503s the backend is the headline,
    for handshake failures the certificate is."""
    backend = _finding("ingress.missing_backend", INGRESS, "Ingress shop/storefront: shop.example.com/ routes to "
                       "storefront-web:80, but Service storefront-web does not exist")
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [TLS_FINDING, backend]})
    [top, *_] = rank(subject_of(from_text("shop.example.com answers 503 for storefront in namespace shop")), facts)
    assert top.check == "ingress.missing_backend" and "TLS for" not in top.cause
    [cert, *_] = rank(subject_of(from_text("TLS handshake errors on storefront in namespace shop")), facts)
    assert cert.check == "ingress.missing_tls_secret"
