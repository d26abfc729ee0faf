"""A TLS policy raised on a server or gateway, and old clients failing the handshake (issue #12, round 18 class).

Written here, not taken from the held-out bundles: an Envoy Gateway ClientTrafficPolicy raising `tls.minVersion` to
1.3 with a Java 8 Job whose failure finding quotes `protocol_version`; an ingress-nginx ConfigMap `ssl-protocols`
set to TLSv1.3 with a Python client's OpenSSL alert in its logs; a Traefik TLSOption narrowing `cipherSuites` with a
Go client's `tls: handshake failure`; an Istio PeerAuthentication made STRICT with `certificate required`. Negative
twins: a minimum version lowered, refusals already there before the write, certificate-trust errors (x509) beside a
version change, a cipher change beside a version alert, mTLS relaxed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import tls_policy
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 7, 9, 2, 16, tzinfo=UTC)
WRITE = AT - timedelta(hours=2, minutes=36)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(kind: str, ns: str, name: str, diff: str, at: datetime = WRITE) -> dict[str, Any]:
    return {"at": _iso(at), "type": "config" if kind == "ConfigMap" else "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-edit: {diff}", "diff": [diff]}


def _log(ns: str, pod: str, line: str) -> LogEvidence:
    top = {"template": line, "example": line, "count": 4, "severity": "error", "error_class": "tls_error",
           "message": line, "fields": {}}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=top, hosts=[], error_classes={"tls_error"},
                       previous=False)


def _job_finding(line: str, since: datetime) -> dict[str, Any]:
    return {"check": "cronjob.failing", "severity": "critical",
            "object": {"kind": "CronJob", "namespace": "billing", "name": "ledger-export"},
            "owner": None, "reason": "BackoffLimitExceeded",
            "message": f"CronJob billing/ledger-export: last run failed (BackoffLimitExceeded); its logs say '{line}'",
            "details": {}, "evidence": [], "since": _iso(since), "pods": [], "count": 1}


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence] | None = None,
           findings: list[dict[str, Any]] | None = None) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", scan={"findings": findings or []},
                 scan_id="E1", logs=logs or [])


JAVA = "javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version"
PYTHON = "ssl.SSLError: [SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:1129)"
GO = 'Post "https://pay.internal/v1/charge": remote error: tls: handshake failure'
CTP = _change("ClientTrafficPolicy", "edge", "internal-tls", "spec.tls.minVersion = '1.3'")


def test_gateway_min_version_raised_java_job_fails_with_protocol_version() -> None:
    facts = _facts([CTP], findings=[_job_finding(JAVA, AT - timedelta(minutes=10))])
    [hit] = tls_policy.found(facts)
    assert str(hit.policy) == "ClientTrafficPolicy edge/internal-tls" and hit.governs == "version"
    message = tls_policy.finding(hit)["message"]
    assert message.startswith("ClientTrafficPolicy edge/internal-tls raised the minimum TLS version to 1.3")
    assert "TLS 1.3" in message[:300] and "protocol_version" in message[:400] and "handshake" in message[:400]
    assert [str(c) for c in hit.clients] == ["CronJob billing/ledger-export"]


def test_ingress_controller_ssl_protocols_python_client_openssl_alert() -> None:
    change = _change("ConfigMap", "ingress-nginx", "controller", "data.ssl-protocols 'TLSv1.2 TLSv1.3' -> 'TLSv1.3'")
    facts = _facts([change], logs=[_log("reports", "report-sync-5d8f-abcde", PYTHON)])
    [hit] = tls_policy.found(facts)
    assert hit.policy.name == "controller" and hit.new_value == "TLSv1.3"
    assert "tlsv1 alert protocol version" in tls_policy.finding(hit)["message"]


def test_cipher_suites_narrowed_go_client_handshake_failure() -> None:
    change = _change("TLSOption", "traefik", "modern", "spec.cipherSuites = '[TLS_AES_256_GCM_SHA384]'")
    [hit] = tls_policy.found(_facts([change], logs=[_log("shop", "checkout-7f9c-xyz12", GO)]))
    assert hit.governs == "cipher" and "narrowed the TLS cipher suites" in tls_policy.finding(hit)["message"]


def test_mesh_mtls_strict_client_without_certificate() -> None:
    strict = _change("PeerAuthentication", "payments", "default", "spec.mtls.mode 'PERMISSIVE' -> 'STRICT'")
    line = "read tcp 10.1.2.3:51234->10.1.4.5:8443: remote error: tls: certificate required"
    [hit] = tls_policy.found(_facts([strict], logs=[_log("batch", "sync-1-abcde", line)]))
    assert hit.governs == "client_cert"
    relaxed = _change("PeerAuthentication", "payments", "default", "spec.mtls.mode 'STRICT' -> 'PERMISSIVE'")
    assert tls_policy.found(_facts([relaxed], logs=[_log("batch", "sync-1-abcde", line)])) == []


def test_twins_name_nothing() -> None:
    lowered = _change("ClientTrafficPolicy", "edge", "internal-tls", "spec.tls.minVersion '1.3' -> '1.2'")
    assert tls_policy.found(_facts([lowered], findings=[_job_finding(JAVA, AT)])) == []
    before = _facts([CTP], findings=[_job_finding(JAVA, WRITE - timedelta(hours=3))])  # refusals predate the write
    assert tls_policy.found(before) == []
    x509 = "x509: certificate signed by unknown authority"
    assert tls_policy.found(_facts([CTP], logs=[_log("reports", "report-sync-5d8f-abcde", x509)])) == []
    ciphers = _change("TLSOption", "traefik", "modern", "spec.cipherSuites = '[TLS_AES_256_GCM_SHA384]'")
    assert tls_policy.found(_facts([ciphers], logs=[_log("reports", "r-1", PYTHON)])) == []  # a version alert
    old = _change("ClientTrafficPolicy", "edge", "internal-tls", "spec.tls.minVersion = '1.3'", AT - timedelta(days=3))
    assert tls_policy.found(_facts([old], findings=[_job_finding(JAVA, AT)])) == []  # too long before
    unrelated = _change("ConfigMap", "edge", "gw-settings", "data.timeout '30s' -> '10s'")
    assert tls_policy.found(_facts([unrelated], findings=[_job_finding(JAVA, AT)])) == []


def test_version_reading() -> None:
    assert tls_policy.widened("version", "1.2", "1.3") is False
    assert tls_policy.widened("version", "VersionTLS13", "VersionTLS12") is True
    assert tls_policy.widened("version", "", "TLSV1_3") is False
    assert tls_policy.refusal("SSL routines::unsupported protocol") == "version"
    assert tls_policy.refusal("error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher") == "cipher"
    assert tls_policy.refusal("connection refused") == ""
