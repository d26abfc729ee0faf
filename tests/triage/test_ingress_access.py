"""What an access annotation written onto an Ingress means (issue #12): an allow-list copied onto a public host
refuses outside clients with 403, an auth gate with 401; a harmless annotation or a widening keeps the generic
"written" wording, and an unverifiable check is never presented as a finding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.incident import from_text
from agent.triage import ingress_access, rank, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.unverified import CHECK, promoted

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _ingress(name: str) -> dict[str, Any]:
    return {"kind": "Ingress", "namespace": "vendors", "name": name}


def _gap(name: str) -> dict[str, Any]:
    return {"check": "ingress.missing_tls_secret", "severity": "info", "object": _ingress(name), "owner": None,
            "reason": "SecretNotCollected", "message": f"Ingress vendors/{name}: TLS Secret not collected: cannot "
            "check whether it exists", "details": {"absence_known": False}, "evidence": [],
            "since": "2026-04-01T00:00:00Z", "pods": [], "count": 1}


def _write(name: str, *diff: str) -> dict[str, Any]:
    return {"at": "2026-05-01T11:40:00Z", "type": "other", "object": _ingress(name),
            "summary": f"Ingress vendors/{name} written by flux", "diff": list(diff)}


def test_internal_allow_list_on_nginx_means_outside_clients_get_403() -> None:
    said = ingress_access.meaning(["metadata.annotations.nginx.ingress.kubernetes.io/whitelist-source-range "
                                   "written by flux (now '172.16.0.0/12')"])
    assert said is not None and "internal CIDRs" in said and "403" in said and "access forbidden by rule" in said


def test_haproxy_public_allow_list_names_the_ranges_and_auth_gate_means_401() -> None:
    said = ingress_access.meaning(["metadata.annotations.haproxy.org/allow-list written by kubectl-edit "
                                   "(now '203.0.113.0/24')"])
    assert said is not None and "outside these ranges" in said and "HAProxy" in said and "internal" not in said
    gate = ingress_access.meaning(["metadata.annotations.nginx.ingress.kubernetes.io/auth-url written by helm "
                                   "(now 'http://oauth2-proxy.auth.svc/oauth2/auth')"])
    assert gate is not None and "401" in gate


def test_no_meaning_for_a_harmless_annotation_a_widening_or_a_removal() -> None:
    assert ingress_access.meaning(["metadata.annotations.nginx.ingress.kubernetes.io/proxy-body-size written "
                                   "by helm (now '20m')"]) is None
    assert ingress_access.meaning(["metadata.annotations.nginx.ingress.kubernetes.io/whitelist-source-range "
                                   "written by helm (now '0.0.0.0/0')"]) is None
    assert ingress_access.meaning(["metadata.annotations.nginx.ingress.kubernetes.io/whitelist-source-range "
                                   "removed by helm"]) is None


def test_promoted_write_says_the_meaning_and_the_generic_one_hides_the_gap() -> None:
    ref = Ref.of(_ingress("supplier-api")) or Ref("", "", "")
    meant = promoted(ref, [_gap("supplier-api")], _write(
        "supplier-api", "metadata.annotations.nginx.ingress.kubernetes.io/allowlist-source-range written by flux "
        "(now '10.0.0.0/8')"), AT)
    assert meant is not None and meant["check"] == ingress_access.CHECK and "403" in meant["message"][:400]
    plain = promoted(ref, [_gap("supplier-api")], _write(
        "supplier-api", "metadata.annotations.nginx.ingress.kubernetes.io/proxy-read-timeout written by flux "
        "(now '30')"), AT)
    assert plain is not None and plain["check"] == CHECK
    assert "SecretNotCollected" not in plain["message"] and "could not check" not in plain["message"]


def test_ranked_the_restricted_ingress_leads_and_its_harmless_twin_stays_a_plain_write() -> None:
    question = subject_of(from_text("supplier-api in namespace vendors answers 403 to partners"))
    restricted = _write("supplier-api", "metadata.annotations.nginx.ingress.kubernetes.io/whitelist-source-range "
                        "written by flux (now '10.0.0.0/8,192.168.0.0/16')")
    top = rank(question, Facts(at=AT, scan_id="E1", scan={"findings": [_gap("supplier-api")]},
                               changes={"changes": [restricted]}, changes_id="E2"))
    assert top[0].check == ingress_access.CHECK and "vendors/supplier-api" in top[0].cause[:120]
    harmless = _write("supplier-api", "metadata.annotations.nginx.ingress.kubernetes.io/proxy-body-size written "
                      "by flux (now '8m')")
    plain = rank(question, Facts(at=AT, scan_id="E1", scan={"findings": [_gap("supplier-api")]},
                                 changes={"changes": [harmless]}, changes_id="E2"))
    assert plain and plain[0].check == CHECK
