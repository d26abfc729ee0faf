"""agent.triage.value_shape: a Secret/ConfigMap rewritten with a value its reader calls MALFORMED (not wrong).

Shapes: a Node client refusing a header (Secret read by env, found through the topology), a Go service crashing on
`illegal base64 data` (Secret mounted as a volume, found through its pod spec, written by client-side apply), a
Python worker on an unparsable DSN (ConfigMap by envFrom, found through the timeline's `used by`), OkHttp's
`Unexpected char 0x0a`. Twins: a 401 `invalid api key` after the same Secret change (the credential is wrong:
another class), a malformed header with no write, a write after the errors began, a write to a Secret the workload
does not read, a write long before. No Secret value is ever read; the values errors quote are masked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.value_shape import (
    ADDRESS,
    BASE64,
    HEADER,
    PEM,
    STORE,
    TOKEN,
    errors,
    found,
    malformed,
    masked,
    suspects,
    uses_of,
)

AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def log(pod: str, ns: str, message: str, first: datetime, last_lines: list[str] | None = None) -> LogEvidence:
    """One pod's logs whose top error is `message`, first printed at `first`."""
    top = {"message": message, "example": message, "first_seen": iso(first), "severity": "error",
           "error_class": "exception"} if message else None
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"exception"} if message else set(), previous=False,
                       last_lines=last_lines or [])


def change(kind: str, ns: str, name: str, at: datetime, summary: str, related: list[tuple[str, str]] | None = None,
           type_: str | None = None) -> dict[str, Any]:
    return {"at": iso(at), "type": type_ or ("secret" if kind == "Secret" else "config"),
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": summary, "diff": [],
            "related": [{"kind": k, "namespace": ns, "name": n} for k, n in related or []]}


def topology(ns: str, workload: str, pods: list[str], secrets: list[tuple[str, str]]) -> dict[str, Any]:
    return {"subject": {"kind": "Deployment", "namespace": ns, "name": workload},
            "pods": [{"name": p} for p in pods],
            "secrets": [{"secret": {"kind": "Secret", "namespace": ns, "name": s}, "via": via} for s, via in secrets]}


NODE_HEADER = 'Invalid character in header content ["x-api-key"]'


def node_facts(message: str = NODE_HEADER, written: datetime = AT - timedelta(minutes=25),
               first: datetime = AT - timedelta(minutes=22), secret: str = "vendor-token") -> Facts:
    """A Node client (Deployment quotes/fares) reading Secret `secret` by env, re-created at `written`, then
    restarted by Reloader; its error first printed at `first`."""
    pod = "fares-7d9c8b6f5d-x2k4q"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        change("Deployment", "quotes", "fares", written + timedelta(minutes=2),
               "Deployment quotes/fares rolled out revision 7: pod template unchanged (change-cause: "
               "reloader.stakater.com: secret vendor-token changed)", type_="rollout"),
        change("Secret", "quotes", secret, written,
               f"Secret quotes/{secret} created with keys: api-key", [("Deployment", "fares")]),
    ]}
    facts.topologies = [(topology("quotes", "fares", [pod], [("vendor-token", "env VENDOR_API_KEY")]), "T1")]
    facts.logs = [log(pod, "quotes", message, first)]
    return facts


# ---- the error's wording ----------------------------------------------------------------------


def test_malformed_wordings_of_several_clients() -> None:
    cases = {
        NODE_HEADER: (HEADER, "x-api-key"),
        'TypeError [ERR_HTTP_INVALID_HEADER_VALUE]: Invalid value "Bearer x" for header "Authorization"':
            (HEADER, "Authorization"),
        'Get "https://api.vendor.example/v1": net/http: invalid header field value for "Authorization"':
            (HEADER, "Authorization"),
        "requests.exceptions.InvalidHeader: Invalid leading whitespace, reserved character(s), or return "
        "character(s) in header value: 'abc\\n'": (HEADER, ""),
        "java.lang.IllegalArgumentException: Unexpected char 0x0a at 32 in X-Api-Key value: abcdef":
            (HEADER, "X-Api-Key"),
        "System.FormatException: New-line characters are not allowed in header values.": (HEADER, ""),
        "ArgumentError: header X-Api-Key has field value \"abc\\n\", this cannot include CR/LF":
            (HEADER, "X-Api-Key"),
        "ValueError: Newline or carriage return character detected in HTTP status message or header": (HEADER, ""),
        "h11._util.LocalProtocolError: Illegal header value b'abc\\n'": (HEADER, ""),
        "InvalidArgumentException: Header values must be RFC 7230 compatible strings": (HEADER, ""),
        "error: builder error: failed to parse header value": (HEADER, ""),
        "panic: illegal base64 data at input byte 44": (BASE64, ""),
        "java.lang.IllegalArgumentException: Illegal base64 character a": (BASE64, ""),
        "[mysql] invalid DSN: missing the slash separating the database name": (ADDRESS, ""),
        'parse "postgres://app@db:5432/app\\n": net/url: invalid control character in URL': (ADDRESS, ""),
        "http.client.InvalidURL: URL can't contain control characters": (ADDRESS, ""),
        "JsonWebTokenError: jwt malformed": (TOKEN, ""),
        "tls: failed to find any PEM data in certificate input": (PEM, ""),
    }
    for text, (kind, named) in cases.items():
        got = malformed(text)
        assert got is not None and got[:2] == (kind, named), (text, got)


def test_errors_that_say_wrong_not_malformed_are_not_this_class() -> None:
    for text in ('{"status":401,"error":"invalid api key"}', "401 Unauthorized: invalid_token",
                 'FATAL: password authentication failed for user "app"', "TokenExpiredError: jwt expired",
                 "401 invalid token: jwt malformed", "connect ECONNREFUSED 10.0.0.7:443",
                 "upstream returned 400: invalid header"):
        assert malformed(text) is None, text


def test_line_end_is_read_from_the_error_itself() -> None:
    okhttp = malformed("IllegalArgumentException: Unexpected char 0x0a at 32 in X-Api-Key value: abc")
    go_b64 = malformed("illegal base64 data at input byte 44")
    assert okhttp is not None and okhttp[2]
    assert go_b64 is not None and not go_b64[2]


def test_values_the_errors_quote_are_masked() -> None:
    assert "sk_live" not in masked("ValueError: Invalid header value b'sk_live_abc\\n'")
    go = masked('net/http: invalid header field value "tok123\\n" for key Authorization')
    assert "tok123" not in go and "Authorization" in go
    assert "abcdef" not in masked("Unexpected char 0x0a at 32 in X-Api-Key value: abcdef")
    assert "abc" not in masked('ArgumentError: header X-Api-Key has field value "abc\\n", this cannot include CR/LF')
    assert "tok9" not in masked("System.FormatException: The format of value 'Bearer tok9' is invalid.")
    assert "app@db" not in masked('parse "postgres://app@db:5432/app\\n": net/url: invalid control character in URL')
    assert masked(NODE_HEADER) == NODE_HEADER  # a header's NAME stays: it says which value


# ---- the reference chain ----------------------------------------------------------------------


def test_pod_spec_references_by_env_envfrom_and_volumes() -> None:
    pod = {"spec": {"containers": [{
        "name": "app",
        "env": [{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "vendor", "key": "token"}}},
                {"name": "MODE", "value": "prod"}],
        "envFrom": [{"configMapRef": {"name": "app-settings"}}],
        "volumeMounts": [{"name": "signing", "mountPath": "/etc/signing"}, {"name": "all", "mountPath": "/etc/all"}]}],
        "volumes": [{"name": "signing", "secret": {"secretName": "jwt-signing"}},
                    {"name": "all", "projected": {"sources": [{"configMap": {"name": "ca-bundle"}}]}}]}}
    uses = {(u.target.kind, u.target.name): u.via for u in uses_of(pod, "auth")}
    assert uses == {("Secret", "vendor"): "env API_TOKEN (key token)", ("ConfigMap", "app-settings"): "envFrom",
                    ("Secret", "jwt-signing"): "volume at /etc/signing",
                    ("ConfigMap", "ca-bundle"): "volume at /etc/all"}


# ---- judging ----------------------------------------------------------------------------------


def test_node_header_refused_after_secret_recreated_names_the_secret() -> None:
    [(ref, finding, evidence, explains)] = suspects(node_facts())
    assert ref == Ref("Secret", "quotes", "vendor-token")
    head = finding["message"][:400]
    assert "malformed" in head and "trailing newline" in head and "header" in head
    assert "API key" in head  # from the header the error names (x-api-key)
    assert "Invalid character in header content" in head
    assert "restarted" in finding["message"]  # the Reloader rollout that loaded it
    assert explains == [Ref("", "quotes", "fares")]
    assert "C1" in evidence and "L-fares-7d9c8b6f5d-x2k4q" in evidence


def test_go_service_crashing_on_base64_from_a_mounted_secret_read_through_its_pod() -> None:
    pod = "signer-6f7d8c9b4-k2l4m"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [change("Secret", "auth", "jwt-signing", AT - timedelta(minutes=40),
                                        "Secret auth/jwt-signing updated by kubectl-client-side-apply: data key "
                                        "signing-key set by kubectl-client-side-apply")]}
    facts.logs = [log(pod, "auth", "", AT, last_lines=[
        '{"level":"fatal","msg":"load signing key","error":"illegal base64 data at input byte 88"}'])]
    facts.reads[STORE] = [{"pod": pod, "namespace": "auth", "evidence": "P1", "uses": [
        {"kind": "Secret", "name": "jwt-signing", "via": "volume at /etc/signing"},
        {"kind": "ConfigMap", "name": "signer-config", "via": "envFrom"}]}]
    [bad] = found(facts)
    assert bad.target == Ref("Secret", "auth", "jwt-signing")
    message = suspects(facts)[0][1]["message"]
    assert "by kubectl-client-side-apply" in message[:200]
    assert "not valid base64" in message and "volume at /etc/signing" in message
    assert "P1" in bad.evidence


def test_python_worker_on_a_dsn_from_a_configmap_named_by_the_timeline() -> None:
    pod = "ingest-worker-5c6d7f8b9-kx2zq"
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [
        change("ConfigMap", "etl", "ingest-settings", AT - timedelta(minutes=15),
               "ConfigMap etl/ingest-settings updated by kubectl-edit: data key DATABASE_URL set by kubectl-edit",
               [("Deployment", "ingest-worker")]),
        change("ConfigMap", "etl", "other-settings", AT - timedelta(minutes=10), "ConfigMap etl/other-settings "
               "updated by helm", [("Deployment", "reporter")])]}
    facts.logs = [log(pod, "etl", "sqlalchemy.exc.ArgumentError: Could not parse SQLAlchemy URL from string "
                      "'postgresql://etl:pw@db:5432/etl\\n'", AT - timedelta(minutes=14))]
    [(ref, finding, _, _)] = suspects(facts)
    assert ref == Ref("ConfigMap", "etl", "ingest-settings")
    assert "does not parse" in finding["message"] and "by kubectl-edit" in finding["message"]
    assert "etl:pw" not in finding["message"]  # the URL the error quotes is masked


def test_of_two_written_secrets_the_one_the_header_names_wins() -> None:
    facts = node_facts()
    facts.changes = {"changes": [*facts.change_list(), change(
        "Secret", "quotes", "db-creds", AT - timedelta(minutes=5), "Secret quotes/db-creds updated by vault-agent",
        [("Deployment", "fares")])]}
    facts.topologies = [(topology("quotes", "fares", ["fares-7d9c8b6f5d-x2k4q"],
                                  [("vendor-token", "env VENDOR_API_KEY"), ("db-creds", "env DB_PASSWORD")]), "T1")]
    facts.logs = [log("fares-7d9c8b6f5d-x2k4q", "quotes", NODE_HEADER, AT)]
    [bad] = found(facts)
    assert bad.target.name == "vendor-token"


# ---- twins ------------------------------------------------------------------------------------


def test_wrong_key_refused_after_the_same_change_is_left_to_the_credential_classes() -> None:
    assert found(node_facts(message='partner answered 401: {"error":"invalid api key"}')) == []


def test_malformed_header_without_any_write_is_no_suspect() -> None:
    facts = node_facts()
    facts.changes = {"changes": [c for c in facts.change_list() if c["type"] == "rollout"]}
    assert found(facts) == []


def test_write_after_the_errors_began_is_no_cause() -> None:
    assert found(node_facts(written=AT - timedelta(minutes=10), first=AT - timedelta(minutes=30))) == []


def test_write_long_before_is_no_cause() -> None:
    assert found(node_facts(written=AT - timedelta(hours=9), first=AT - timedelta(minutes=30))) == []


def test_write_to_a_secret_the_workload_does_not_read_is_no_cause() -> None:
    facts = node_facts(secret="billing-token")
    facts.changes = {"changes": [{**c, "related": []} for c in facts.change_list()]}
    assert found(facts) == []


def test_errors_read_from_the_last_lines_of_a_crashed_container() -> None:
    facts = Facts(at=AT)
    facts.logs = [log("x-1", "ns", "", AT, last_lines=["Error: failed to find any PEM data in key input"])]
    [e] = errors(facts)
    assert e.kind == PEM and e.first is None


def test_a_configmap_diff_whose_new_value_ends_in_a_newline_says_so() -> None:
    pod = "reports-7b8c9d6f4-q2w4z"
    facts = Facts(at=AT, changes_id="C1")
    edited = change("ConfigMap", "bi", "reports-env", AT - timedelta(minutes=20),
                    "ConfigMap bi/reports-env updated by kubectl-edit", [("Deployment", "reports")])
    edited["diff"] = ["data key WAREHOUSE_URL 'postgres://wh:5432/bi' -> 'postgres://wh:5432/bi\\n' "
                      "(outside kubectl apply)"]
    facts.changes = {"changes": [edited]}
    facts.logs = [log(pod, "bi", 'parse "postgres://wh:5432/bi\\n": net/url: invalid control character in URL',
                      AT - timedelta(minutes=18))]
    [(ref, finding, _, _)] = suspects(facts)
    assert ref == Ref("ConfigMap", "bi", "reports-env")
    assert "the write's new value ends in one" in finding["message"]
    assert "the warehouse URL value" in finding["message"]


def test_a_write_to_another_secret_than_the_one_feeding_the_named_header_is_no_cause() -> None:
    facts = node_facts(secret="db-creds")
    facts.topologies = [(topology("quotes", "fares", ["fares-7d9c8b6f5d-x2k4q"],
                                  [("vendor-token", "env VENDOR_API_KEY"), ("db-creds", "env DB_PASSWORD")]), "T1")]
    assert found(facts) == []  # x-api-key comes from vendor-token, unwritten; db-creds' write is not this
