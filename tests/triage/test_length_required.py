"""agent.triage.length_required: a gateway written to require a Content-Length, streaming clients answered 411.

Written here, not taken from the held-out bundles. Shapes: an nginx ConfigMap switching `chunked_transfer_encoding`
off under a Java uploader logging `411 Length Required`; an Envoy listener's `allow_chunked_length` written false,
seen only through a request counter's 411 series (the clients' logs unread). Twins: a payload-size-only write
under the same refusals; the requirement written off; the clients refused for size (413); a write after the
refusals began.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, length_required
from agent.triage.facts import Facts, LogEvidence, Ref

AT = datetime(2026, 5, 12, 20, 0, tzinfo=UTC)
JAVA = ("o.s.w.c.HttpClientErrorException$LengthRequired: 411 Length Required: [no body] while streaming "
        "invoice-2231.pdf")


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write(kind: str, ns: str, name: str, minutes_before: int, diff: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes_before)), "type": "config",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": [diff], "related": []}


NGINX = write("ConfigMap", "edge", "edge-nginx", 50,
              "data key nginx.conf: chunked_transfer_encoding on -> chunked_transfer_encoding off")
ENVOY = write("EnvoyProxy", "gateway", "public-edge", 40,
              "spec.http_protocol_options.allow_chunked_length: true -> false")


def client(pod: str, ns: str, line: str, first_minutes_before: int = 45) -> LogEvidence:
    entry = {"message": line, "example": line, "severity": "error",
             "first_seen": iso(AT - timedelta(minutes=first_minutes_before))}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def facts_of(changes: list[dict[str, Any]], logs: list[LogEvidence], counted: list[dict[str, Any]] | None = None
             ) -> Facts:
    facts = Facts(at=AT, changes_id="C1", changes={"changes": changes}, logs=logs)
    if counted:
        facts.reads[length_required.CHECK] = counted
    return facts


def test_an_nginx_chunked_switch_off_is_named_over_the_java_uploader() -> None:
    [(ref, finding, evidence, explains)] = length_required.suspects(
        facts_of([NGINX], [client("invoice-uploader-7d8f9b6c5-x2k4q", "billing", JAVA)]))
    assert ref == Ref("ConfigMap", "edge", "edge-nginx")
    assert "chunked_transfer_encoding" in finding["message"] and "411 Length Required" in finding["message"]
    assert explains == [Ref("", "billing", "invoice-uploader")] and "C1" in evidence


def test_an_envoy_chunked_length_refusal_seen_only_in_a_counter_is_named() -> None:
    counted = [{"series": "envoy_http_downstream_rq_xx", "label": "response_code", "before": 0.0, "after": 480.0,
                "evidence": "M1"}]
    [(ref, finding, evidence, _)] = length_required.suspects(facts_of([ENVOY], [], counted))
    assert ref == Ref("EnvoyProxy", "gateway", "public-edge")
    assert "allow_chunked_length" in finding["message"] and "0 -> 480" in finding["message"] and "M1" in evidence


def test_a_payload_size_write_under_the_same_refusals_is_not_named() -> None:
    size = write("KongPlugin", "edge", "upload-size", 50, "config.allowed_payload_size = 64")
    assert length_required.suspects(facts_of([size], [client("invoice-uploader-7d8f9b6c5-x2k4q", "billing",
                                                              JAVA)])) == []


def test_the_requirement_written_off_is_not_named() -> None:
    off = write("KongPlugin", "edge", "upload-size", 50, "config.require_content_length = false")
    assert length_required.suspects(facts_of([off], [client("invoice-uploader-7d8f9b6c5-x2k4q", "billing",
                                                            JAVA)])) == []


def test_clients_refused_for_size_are_not_this_write() -> None:
    big = client("invoice-uploader-7d8f9b6c5-x2k4q", "billing", "HttpClientErrorException$PayloadTooLarge: 413 "
                 "Request Entity Too Large")
    assert length_required.suspects(facts_of([NGINX], [big])) == []


def test_a_write_after_the_refusals_began_is_not_named() -> None:
    late = client("invoice-uploader-7d8f9b6c5-x2k4q", "billing", JAVA, first_minutes_before=120)
    assert length_required.suspects(facts_of([NGINX], [late])) == []


def test_registered_behind_the_survey() -> None:
    assert length_required in behind.MODULES and behind.WEIGHTS[length_required.CHECK] == length_required.WEIGHT
