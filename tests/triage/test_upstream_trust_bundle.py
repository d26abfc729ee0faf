"""A distributed trust bundle (trust-manager Bundle, Kubernetes ClusterTrustBundle) written, and its clients fail x509
(agent.triage.upstream_trust, its TRUST_KINDS).

Shapes: a ClusterTrustBundle's `spec.trustBundle` replaced, Go clients in two namespaces logging `x509: certificate
signed by unknown authority`; a trust-manager Bundle whose `spec.sources` lost an inline root, a Python client logging
`[SSL: CERTIFICATE_VERIFY_FAILED] ... unable to get local issuer certificate`. Twins: the same errors already there
before the write; only an expired server certificate after it; a Bundle write that touched nothing but its labels.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import upstream_trust as ut
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 7, 21, 11, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=25)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def change(kind: str, name: str, diff: list[str]) -> dict[str, Any]:
    return {"at": iso(WRITE), "type": "other", "object": {"kind": kind, "namespace": "", "name": name},
            "summary": f"{kind} {name} written by kubectl-client-side-apply: {'; '.join(diff)}", "diff": diff}


def log(ns: str, pod: str, said: str, first: datetime | None) -> LogEvidence:
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}",
                       top={"error_class": "tls", "severity": "error", "example": said, "message": said,
                            "first_seen": iso(first) if first else None, "count": 30},
                       hosts=[], error_classes={"tls"}, previous=False)


GO_X509 = ('level=error msg="fetch quotes" err="Get \\"https://quotes.pricing.svc:8443/v2\\": tls: failed to verify '
           'certificate: x509: certificate signed by unknown authority"')
PY_SSL = ("urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
          "local issuer certificate (_ssl.c:1006)")


def facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    got = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    got.logs += logs
    return got


CTB = change("ClusterTrustBundle", "corp-roots", ["spec.trustBundle = -----BEGIN CERTIFICATE----- (1 certificate)"])
BUNDLE = change("Bundle", "platform-roots", ['spec.sources = [{"inLine": "-----BEGIN CERTIFICATE-----..."}]'])


def test_cluster_trust_bundle_replaced_then_go_clients_fail() -> None:
    logs = [log("pricing-ui", "quote-web-6d8f9c7b5-k2m4p", GO_X509, WRITE + timedelta(minutes=1)),
            log("billing", "invoice-gen-5f7d8c9b6-r8t2w", GO_X509, WRITE + timedelta(minutes=2))]
    [got] = ut.found(facts([CTB], logs))
    assert got.target.name == "corp-roots"
    found = ut.finding(got)
    assert found["reason"] == "TrustBundleChanged"
    assert "trust bundle" in found["message"] and "root CA" in found["message"]
    assert "unknown authority" in found["message"] and "proxy" not in found["message"]


def test_trust_manager_bundle_lost_a_root_then_python_client_fails() -> None:
    logs = [log("reports", "exporter-7c9d8f6b5-q4w7e", PY_SSL, WRITE + timedelta(minutes=3))]
    [got] = ut.found(facts([BUNDLE], logs))
    assert got.target.kind == "Bundle"
    assert "CERTIFICATE_VERIFY_FAILED" in ut.finding(got)["message"]


def test_errors_already_there_before_the_bundle_write_rule_it_out() -> None:
    logs = [log("pricing-ui", "quote-web-6d8f9c7b5-k2m4p", GO_X509, WRITE - timedelta(hours=2))]
    assert ut.found(facts([CTB], logs)) == []


def test_an_expired_server_certificate_is_not_the_bundle() -> None:
    expired = "x509: certificate has expired or is not yet valid: current time 2026-07-21T10:40:00Z is after ..."
    logs = [log("reports", "exporter-7c9d8f6b5-q4w7e", expired, WRITE + timedelta(minutes=3))]
    assert ut.found(facts([BUNDLE], logs)) == []


def test_a_bundle_write_of_labels_only_changes_no_trust() -> None:
    labels = change("Bundle", "platform-roots", ["metadata.labels.team = platform"])
    logs = [log("reports", "exporter-7c9d8f6b5-q4w7e", PY_SSL, WRITE + timedelta(minutes=3))]
    assert ut.found(facts([labels], logs)) == []
