"""TLS policy raised: shapes from other software than the ones the mechanism was built from (issue #12 audit).

Wordings are the ones the libraries print (JSSE on a Kafka broker, BoringSSL inside Envoy, .NET's SslStream,
rustls): the server's own log can carry the refusal as well as the client's. Policy fields from Kafka
(`ssl.enabled.protocols`, `ssl.client.auth`), Spring Boot (`server.ssl.enabled-protocols`), Istio Gateway
`cipherSuites` and a JVM's `jdk.tls.client.protocols`. Twins: mTLS relaxed to optional, refusals that predate the
write, a certificate-trust error beside a version change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import tls_policy
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)
WRITE = AT - timedelta(minutes=50)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(kind: str, ns: str, name: str, diff: str, at: datetime = WRITE) -> dict[str, Any]:
    return {"at": _iso(at), "type": "config" if kind == "ConfigMap" else "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by helm: {diff}", "diff": [diff]}


def _log(ns: str, pod: str, line: str, first: datetime | None = None) -> LogEvidence:
    top = {"template": line, "example": line, "count": 9, "severity": "error", "message": line, "fields": {},
           "first_seen": _iso(first or AT - timedelta(minutes=20))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E9", top=top, hosts=[], error_classes=set(),
                       previous=False)


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence]) -> Facts:
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", scan={"findings": []}, scan_id="E1",
                 logs=logs)


KAFKA_SERVER = ("[SocketServer listenerType=ZK_BROKER, nodeId=1] Failed authentication with /10.4.1.9 "
                "(channelId=10.4.0.12:9093-10.4.1.9:51812-3) (SSL handshake failed) "
                "javax.net.ssl.SSLHandshakeException: Client requested protocol TLSv1.2 is not enabled or supported "
                "in server context")
ENVOY = ("[C4021] TLS error: 268435640:SSL routines:OPENSSL_internal:NO_SHARED_CIPHER "
         "downstream_transport_failure_reason=TLS_error:|268435640:SSL_routines:OPENSSL_internal:NO_SHARED_CIPHER")
DOTNET = ("System.Security.Authentication.AuthenticationException: Authentication failed because the remote party "
          "sent a TLS alert: 'ProtocolVersion'.")
EMPTY_CHAIN = "javax.net.ssl.SSLHandshakeException: Empty client certificate chain"


def test_kafka_broker_enabled_protocols_refusal_in_the_broker_own_log() -> None:
    change = _change("ConfigMap", "streaming", "kafka-config",
                     "data.server.properties 'ssl.enabled.protocols=TLSv1.2,TLSv1.3' -> "
                     "'ssl.enabled.protocols=TLSv1.3'")
    [hit] = tls_policy.found(_facts([change], [_log("streaming", "kafka-0", KAFKA_SERVER)]))
    assert hit.governs == "version" and str(hit.policy) == "ConfigMap streaming/kafka-config"
    assert "TLS 1.3" in tls_policy.finding(hit)["message"][:400]


def test_istio_gateway_cipher_suites_envoy_boringssl_no_shared_cipher() -> None:
    change = _change("Gateway", "istio-ingress", "public",
                     "spec.servers[0].tls.cipherSuites = '[ECDHE-ECDSA-AES256-GCM-SHA384]'")
    [hit] = tls_policy.found(_facts([change], [_log("istio-ingress", "istio-ingressgateway-6d9f-x2k4p", ENVOY)]))
    assert hit.governs == "cipher" and "NO_SHARED_CIPHER" in hit.refusal


def test_spring_enabled_protocols_dotnet_client_alert() -> None:
    change = _change("ConfigMap", "pay", "gateway-app",
                     "data.application.yaml 'server.ssl.enabled-protocols: TLSv1.2,TLSv1.3' -> "
                     "'server.ssl.enabled-protocols: TLSv1.3'")
    [hit] = tls_policy.found(_facts([change], [_log("pos", "till-sync-7c9d-4kq2z", DOTNET)]))
    assert hit.governs == "version"


def test_client_side_jvm_protocols_raised_old_server() -> None:
    """The policy can sit on the client: a JVM told to speak only TLS 1.3 to a server that tops out at 1.2."""
    change = _change("Deployment", "reports", "exporter",
                     "spec.template.spec.containers[0].env.JAVA_TOOL_OPTIONS '-Djdk.tls.client.protocols=TLSv1.2' "
                     "-> '-Djdk.tls.client.protocols=TLSv1.3'")
    line = ("javax.net.ssl.SSLHandshakeException: The server selected protocol version TLS12 is not accepted by "
            "client preferences [TLS13]")
    [hit] = tls_policy.found(_facts([change], [_log("reports", "exporter-5f6b-9xw2d", line)]))
    assert str(hit.policy) == "Deployment reports/exporter"


def test_kafka_client_auth_required_broker_says_empty_chain_and_relaxed_twin() -> None:
    log = _log("streaming", "kafka-1", EMPTY_CHAIN)
    required = _change("ConfigMap", "streaming", "kafka-config", "data.ssl.client.auth 'none' -> 'required'")
    [hit] = tls_policy.found(_facts([required], [log]))
    assert hit.governs == "client_cert"
    relaxed = _change("ConfigMap", "streaming", "kafka-config", "data.ssl.client.auth 'required' -> 'requested'")
    assert tls_policy.found(_facts([relaxed], [log])) == []


def test_outside_twins() -> None:
    change = _change("Gateway", "istio-ingress", "public",
                     "spec.servers[0].tls.cipherSuites = '[ECDHE-ECDSA-AES256-GCM-SHA384]'")
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", scan_id="E1", logs=[], scan={"findings": [
        {"check": "logs.errors", "object": {"kind": "Deployment", "namespace": "istio-ingress",
                                            "name": "istio-ingressgateway"},
         "message": f"istio-ingressgateway logs '{ENVOY}'", "since": _iso(WRITE - timedelta(hours=2))}]})
    assert tls_policy.found(facts) == []  # the same refusals were there before the write
    spring = _change("ConfigMap", "pay", "gateway-app", "data.server.ssl.enabled-protocols 'TLSv1.2' -> 'TLSv1.3'")
    x509 = "PKIX path building failed: unable to find valid certification path to requested target"
    assert tls_policy.found(_facts([spring], [_log("pos", "till-sync-7c9d-4kq2z", x509)])) == []


def test_disabled_algorithms_list_reads_the_other_way() -> None:
    assert tls_policy.widened("version", "SSLv3, TLSv1, TLSv1.1", "SSLv3, TLSv1, TLSv1.1, TLSv1.2", True) is False
    assert tls_policy.widened("version", "SSLv3, TLSv1.1, TLSv1.2", "SSLv3, TLSv1.1", True) is True
    assert tls_policy.refusal("received fatal alert: HandshakeFailure") == "cipher"
    assert tls_policy.refusal("Error: write EPROTO ERR_SSL_NO_PROTOCOLS_AVAILABLE") == "version"
    assert tls_policy.refusal("TLS error: 268436502:SSL routines:OPENSSL_internal:TLSV1_CERTIFICATE_REQUIRED") \
        == "client_cert"
