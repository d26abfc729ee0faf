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


def _read(kind: str, name: str, spec: dict[str, Any], copies: list[dict[str, Any]]) -> dict[str, Any]:
    """What `read` stores for a distributed bundle: whether it includes the default CAs, and its copies."""
    owner = ut.Ref(kind, "", name)
    return {"ref": {"kind": kind, "namespace": "", "name": name},
            "default_cas": ut.default_cas(spec), "generated": ut._generated(Facts(at=AT), owner, copies)}


def _copy(ns: str, name: str, owner_kind: str, owner: str, controller: bool = True) -> dict[str, Any]:
    refs = [{"apiVersion": "trust.cert-manager.io/v1alpha1", "kind": owner_kind, "name": owner,
             "controller": controller}]
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "ownerReferences": refs}}


CORP_ONLY = {"sources": [{"secret": {"name": "corp-root", "key": "ca.crt"}}, {"configMap": {"name": "corp-int",
                                                                                           "key": "ca.pem"}}]}
WITH_DEFAULTS = {"sources": [{"useDefaultCAs": True}, {"secret": {"name": "corp-root", "key": "ca.crt"}}]}


def test_a_bundle_without_the_default_cas_leaves_clients_no_public_root() -> None:
    logs = [log("mailer", "smtp-relay-7c9d8f6b5-q2w3e", GO_X509, WRITE + timedelta(minutes=2))]
    got_facts = facts([BUNDLE], logs)
    got_facts.reads[ut.READS] = {"objects": [_read("Bundle", "platform-roots", CORP_ONLY,
                                                   [_copy("mailer", "platform-roots", "Bundle", "platform-roots")])]}
    [got] = ut.found(got_facts)
    found = ut.finding(got)
    assert got.public_roots_dropped and found["reason"] == "TrustBundlePublicRootsDropped"
    assert "no public root" in found["message"] and "useDefaultCAs" in found["message"]
    assert [str(g) for g in got.generated] == ["ConfigMap mailer/platform-roots"]


def test_a_cluster_bundle_without_default_cas_is_read_the_same_way() -> None:
    java = ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification "
            "path to requested target")
    change_ = change("ClusterBundle", "edge-trust", ['spec.sources = [{"secret": {"name": "corp-root"}}]'])
    got_facts = facts([change_], [log("payouts", "payout-api-6b7c8d9f-x1y2z", java, WRITE + timedelta(minutes=3))])
    got_facts.reads[ut.READS] = {"objects": [_read("ClusterBundle", "edge-trust", CORP_ONLY, [])]}
    [got] = ut.found(got_facts)
    assert got.public_roots_dropped and "no public root" in ut.finding(got)["message"]


def test_a_bundle_that_keeps_the_default_cas_or_a_copy_not_owned_by_it_says_neither() -> None:
    logs = [log("mailer", "smtp-relay-7c9d8f6b5-q2w3e", PY_SSL, WRITE + timedelta(minutes=2))]
    got_facts = facts([BUNDLE], logs)
    lookalike = _copy("mailer", "platform-roots", "Bundle", "platform-roots", controller=False)
    got_facts.reads[ut.READS] = {"objects": [_read("Bundle", "platform-roots", WITH_DEFAULTS, [lookalike])]}
    [got] = ut.found(got_facts)
    assert not got.public_roots_dropped and got.generated == []
    assert ut.finding(got)["reason"] == "TrustBundleChanged"
    assert ut.default_cas({"sources": CORP_ONLY["sources"], "defaultCAs": {"provider": "System"}})
