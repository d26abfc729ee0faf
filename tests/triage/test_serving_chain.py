"""agent.triage.serving_chain: a served certificate rewritten without its CA, then authority refusals tied to it.

Facts are shaped as the survey keeps them: the change timeline (Secret writes with their key-only diff lines) and
the log evidence of a refusing pod. Each shape uses another server, another client library and another key name;
each has a twin that looks the same and must name nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import serving_chain
from agent.triage.facts import Facts, LogEvidence, Ref

_AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _log(pod: str, message: str, first_minutes: int | None = None) -> LogEvidence:
    top: dict[str, Any] = {"message": message}
    if first_minutes is not None:
        top["first_seen"] = (_AT - timedelta(minutes=first_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return LogEvidence(pod=pod, namespace="apps", evidence_id="E7", top=top, hosts=[], error_classes=set(),
                       previous=False)


def _secret(name: str, minutes: int, *diff: str) -> dict[str, Any]:
    return {"at": (_AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "config",
            "object": {"kind": "Secret", "namespace": "streams", "name": name},
            "summary": f"Secret streams/{name} written", "diff": list(diff)}


def _facts(log: LogEvidence, *changes: dict[str, Any]) -> Facts:
    return Facts(at=_AT, logs=[log], changes={"changes": list(changes)}, changes_id="E2")


_JAVA = ("org.apache.kafka.common.errors.SslAuthenticationException: SSL handshake failed to "
         "events-broker.streams.svc:9093: PKIX path building failed: unable to find valid certification path")
_OPENSSL_SERVER = "1:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca, client 10.4.2.9"


def test_a_broker_pem_rewritten_alone_with_java_pkix_refusals_is_the_suspect() -> None:
    write = _secret("events-broker-tls", 70, "data key server.pem changed outside kubectl apply",
                    "data key server-key.pem changed outside kubectl apply")
    [found] = serving_chain.found(_facts(_log("billing-consumer-7d9f-x2k", _JAVA, 65), write))
    assert found.target == Ref("Secret", "streams", "events-broker-tls") and found.key == "server.pem"
    message = serving_chain.finding(found)["message"]
    assert message.startswith("Secret streams/events-broker-tls had its served certificate (server.pem)")
    assert "intermediate" in message and "unknown authority" in message and "PKIX" in message
    assert found.evidence == ["E2", "E7"]


def test_twin_the_same_write_that_also_replaced_the_ca_names_nothing() -> None:
    write = _secret("events-broker-tls", 70, "data key server.pem changed outside kubectl apply",
                    "data key ca.crt changed outside kubectl apply")
    assert serving_chain.found(_facts(_log("billing-consumer-7d9f-x2k", _JAVA, 65), write)) == []


def test_a_cache_cert_whose_own_server_logs_the_clients_unknown_ca_alert_is_the_suspect() -> None:
    write = _secret("ledger-cache-certs", 30, "data key cert.pem set by helm", "data key key.pem set by helm")
    [found] = serving_chain.found(_facts(_log("ledger-cache-0", _OPENSSL_SERVER, 29), write))
    assert found.target.name == "ledger-cache-certs" and found.key == "cert.pem"


def test_twin_refusals_older_than_the_write_name_nothing() -> None:
    write = _secret("ledger-cache-certs", 30, "data key cert.pem set by helm")
    assert serving_chain.found(_facts(_log("ledger-cache-0", _OPENSSL_SERVER, 300), write)) == []


def test_twin_a_certificate_secret_of_another_server_names_nothing() -> None:
    write = _secret("search-gateway-tls", 70, "data key tls.crt set by kubectl-client-side-apply")
    assert serving_chain.found(_facts(_log("billing-consumer-7d9f-x2k", _JAVA, 65), write)) == []


def test_twin_a_name_mismatch_after_the_write_names_nothing() -> None:
    mismatch = ("x509: certificate is valid for other.streams.svc, not events-broker.streams.svc "
                "(signed by unknown authority check skipped)")
    write = _secret("events-broker-tls", 70, "data key tls.crt set by kubectl-client-side-apply")
    assert serving_chain.found(_facts(_log("billing-consumer-7d9f-x2k", mismatch, 65), write)) == []


def test_keys_that_hold_trust_are_not_served_certificates() -> None:
    assert serving_chain.served_certificate(["tls.crt", "tls.key"]) == "tls.crt"
    assert serving_chain.served_certificate(["ca-bundle.crt"]) is None
    assert serving_chain.served_certificate(["tls.key"]) is None
    assert serving_chain.stem("orders-db-tls") == "orders-db"


def test_twin_a_short_name_inside_another_word_is_not_a_tie() -> None:
    write = _secret("web-tls", 70, "data key tls.crt set by kubectl-client-side-apply")
    line = "x509: certificate signed by unknown authority (webhook-gateway.streams.svc)"
    assert serving_chain.found(_facts(_log("webhooks-5d8f7c9b6-x2k4p", line, 65), write)) == []
