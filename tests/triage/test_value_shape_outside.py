"""value_shape: malformed-value wordings of other clients (issue #12 audit of agent.triage.value_shape).

Shapes: a Go gRPC client whose API key (a Secret read by env) carries a line end, in grpc-go's own words (`header
key "x-api-key" contains value with non-printable ASCII characters`); a .NET service whose signing key is not
base64 (`not a valid Base-64 string`); Python cryptography refusing a PEM key; PyJWT, urllib3, MongoDB and Node 17
wordings. Twins: the same gRPC error first printed before the Secret was written, and a gRPC refusal that says the
key is WRONG (Unauthenticated, invalid api key).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence
from agent.triage.value_shape import ADDRESS, BASE64, HEADER, PEM, TOKEN, found, malformed

AT = datetime(2026, 6, 20, 14, 0, tzinfo=UTC)
GRPC = ('rpc error: code = Internal desc = header key "x-api-key" contains value with non-printable ASCII '
        'characters')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _facts(message: str, first: datetime) -> Facts:
    pod = "ranker-6d8f9c7b5-x2k4p"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        {"at": _iso(AT - timedelta(minutes=30)), "type": "secret",
         "object": {"kind": "Secret", "namespace": "search", "name": "vendor-key"},
         "summary": "Secret search/vendor-key created with keys: api-key", "diff": [],
         "related": [{"kind": "Deployment", "namespace": "search", "name": "ranker"}]}]}
    facts.topologies = [({"subject": {"kind": "Deployment", "namespace": "search", "name": "ranker"},
                          "pods": [{"name": pod}],
                          "secrets": [{"secret": {"kind": "Secret", "namespace": "search", "name": "vendor-key"},
                                       "via": "env VENDOR_API_KEY"}]}, "T1")]
    top: dict[str, Any] = {"message": message, "example": message, "first_seen": _iso(first), "severity": "error"}
    facts.logs = [LogEvidence(pod=pod, namespace="search", evidence_id="L1", top=top, hosts=[],
                              error_classes=set(), previous=False)]
    return facts


def test_grpc_go_refuses_a_metadata_value_from_a_secret_written_before() -> None:
    [hit] = found(_facts(GRPC, AT - timedelta(minutes=26)))
    assert str(hit.target) == "Secret search/vendor-key" and hit.error.kind == HEADER
    assert found(_facts(GRPC, AT - timedelta(minutes=50))) == []  # printed before the write


def test_a_grpc_refusal_that_says_the_key_is_wrong_is_not_this() -> None:
    assert found(_facts("rpc error: code = Unauthenticated desc = invalid api key", AT - timedelta(minutes=26))) == []


def test_other_clients_wordings() -> None:
    cases = {
        GRPC: (HEADER, "x-api-key"),
        "System.FormatException: The input is not a valid Base-64 string as it contains a non-base 64 character, "
        "more than two padding characters, or an illegal character among the padding characters.": (BASE64, ""),
        "ValueError: Could not deserialize key data. The data may be in an incorrect format, it may be encrypted "
        "with an unsupported algorithm, or it may be an unsupported key type": (PEM, ""),
        "Error: error:1E08010C:DECODER routines::unsupported": (PEM, ""),
        "jwt.exceptions.DecodeError: Not enough segments": (TOKEN, ""),
        "urllib3.exceptions.LocationParseError: Failed to parse: http://vendor.example\n/v1": (ADDRESS, ""),
        "MongoParseError: Invalid scheme, expected connection string to start with \"mongodb://\"": (ADDRESS, ""),
    }
    for text, (kind, named) in cases.items():
        got = malformed(text)
        assert got is not None and got[:2] == (kind, named), (text, got)
