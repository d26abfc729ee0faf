"""shared_identifier: a write elsewhere sharing a specific identifier with a victim's outward errors or its spec.

Small Facts of our own in the shapes the survey fills (the change timeline, the victim's log errors, the pod spec
`read` keeps). Shapes from different software: a Kafka principal in a Strimzi KafkaUser's quota and the
producer's env (a throttled client whose errors never name it), an egress proxy's allow-list host and a Go
client's connect error naming the host, an S3 bucket in a bucket policy and boto's AccessDenied naming the bucket.
Negative twins: a red-herring change sharing only a common word, a change sharing the identifier made after the
errors began, a victim whose own rollout broke it, and a victim whose error is its own (not outward).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import shared_identifier as si
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, message: str, error_class: str, first_before: int) -> LogEvidence:
    error = {"message": message, "example": message, "severity": "error", "error_class": error_class,
             "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E7", top=error, hosts=[],
                       error_classes={error_class}, previous=False)


def _write(kind: str, namespace: str, name: str, minutes_before: int, diff: list[str],
           type_: str = "other") -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": type_, "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {name} written by argocd-controller: {diff[0]}", "diff": diff}


def _facts(changes: list[dict[str, Any]], logs: list[LogEvidence],
           pods: dict[str, list[tuple[str, str]]] | None = None) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2", logs=logs)
    facts.reads[si.STORE] = {"pods": {p: {"words": w, "evidence": "E9"} for p, w in (pods or {}).items()},
                             "objects": {}}
    return facts


THROTTLED = ("org.apache.kafka.common.errors.TimeoutException: Expiring 14 record(s) for telemetry-raw-3:120000 ms "
             "has passed since batch creation")
NOISE = [_write("Deployment", "web", "storefront", 200, ["storefront image shop/storefront:1.2 -> shop/storefront:1.3"],
                "rollout"),
         _write("ConfigMap", "monitoring", "prometheus-rules", 150, ["data key alerts.yaml set"], "config")]


def _kafka_case(quota_minutes: int = 50, first_before: int = 40) -> Facts:
    quota = _write("KafkaUser", "kafka", "ingest-producer", quota_minutes,
                   ['spec.quotas = {"producerByteRate": 102400, "consumerByteRate": 10485760}'])
    log = _log("telemetry-gw-6c7b9d8f5-x2kqz", "iot", THROTTLED, "connection_timeout", first_before)
    return _facts([quota, *NOISE], [log], {log.pod: [("env KAFKA_BOOTSTRAP", "events-kafka-bootstrap.kafka:9093"),
                                                     ("env KAFKA_SASL_JAAS", "ingest-producer-jaas")]})


def test_a_kafka_principal_in_a_quota_and_the_producers_env_links_the_quota_to_the_throttled_client() -> None:
    found = si.found(_kafka_case())
    assert [str(s.target) for s in found] == ["KafkaUser kafka/ingest-producer"]
    assert found[0].identifier == "ingest-producer" and found[0].in_spec
    message = si.finding(found[0], AT)["message"]
    assert message.startswith("KafkaUser kafka/ingest-producer changed spec.quotas = {\"producerByteRate\": 102400")
    assert "50 min before telemetry-gw's errors" in message and "env KAFKA_SASL_JAAS" in message
    ref, _, evidence, explains = si.suspects(_kafka_case())[0]
    assert str(ref) == "KafkaUser kafka/ingest-producer" and "E9" in evidence
    assert [str(r) for r in explains] == ["Pod iot/telemetry-gw-6c7b9d8f5-x2kqz", "iot/telemetry-gw"]


def test_a_quota_written_after_the_throttling_began_is_not_linked() -> None:
    assert si.found(_kafka_case(quota_minutes=20, first_before=40)) == []


def test_a_victim_whose_own_rollout_came_first_keeps_its_blame() -> None:
    facts = _kafka_case()
    own = _write("Deployment", "iot", "telemetry-gw", 45, ["telemetry-gw image iot/gw:4.1 -> iot/gw:4.2"], "rollout")
    facts.changes = {"changes": [*facts.change_list(), own]}
    assert si.found(facts) == []


PROXY_ERR = ('ERROR payout failed: Post "https://api.payouts-bank.example.io/v2/transfers": proxyconnect tcp: '
             'dial tcp 10.0.3.4:3128: connect: connection refused')


def _proxy_case(diff: list[str]) -> Facts:
    proxy = _write("ConfigMap", "egress", "squid-allowlist", 30, diff, "config")
    log = _log("payouts-5c7d9f8b6-xk2lp", "payments", PROXY_ERR, "connection_refused", 25)
    return _facts([proxy, *NOISE], [log], {log.pod: [("env HTTPS_PROXY", "http://squid.egress.svc:3128")]})


def test_an_egress_proxy_allow_list_naming_the_clients_host_is_linked_by_that_host() -> None:
    found = si.found(_proxy_case(["data key allowlist.txt: '.payouts-bank.example.io\\n.stripe.com' -> '.stripe.com'"]))
    assert [str(s.target) for s in found] == ["ConfigMap egress/squid-allowlist"]
    assert found[0].identifier in ("api.payouts-bank.example.io", "payouts-bank.example.io") and not found[0].in_spec
    message = si.finding(found[0], AT)["message"]
    assert message.startswith("ConfigMap egress/squid-allowlist changed data key allowlist.txt")
    assert "30 min before payouts's errors" in message and "proxyconnect" in message


def test_a_red_herring_sharing_only_common_words_is_not_linked() -> None:
    # The write shares "https", "connection", "transfers" and the port: generic words and numbers, never names.
    assert si.found(_proxy_case(["data key squid.conf: 'connect_timeout 30 seconds' -> 'connect_timeout 60 seconds'",
                                 "https connection transfers 3128 default service"])) == []


S3_ERR = ("botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the PutObject operation: "
          "Access Denied (bucket=acme-invoices-archive, key=2026/12/inv-88121.pdf)")


def _bucket_case(error: str, error_class: str) -> Facts:
    policy = _write("BucketPolicy", "", "invoices-archive-policy", 70,
                    ['spec.statement[0].resource: "arn:aws:s3:::acme-invoices-archive/*" -> '
                     '"arn:aws:s3:::acme-invoices-archive/public/*"'])
    log = _log("invoice-writer-66f5d9c7b-q8wz2", "billing", error, error_class, 60)
    return _facts([policy, *NOISE], [log], {log.pod: [("env BUCKET", "acme-invoices-archive")]})


def test_a_bucket_policy_naming_the_bucket_in_a_403_is_linked() -> None:
    found = si.found(_bucket_case(S3_ERR, "permission_denied"))
    assert [str(s.target) for s in found] == ["BucketPolicy invoices-archive-policy"]
    assert found[0].identifier == "acme-invoices-archive" and not found[0].in_spec  # the error line beats the spec
    assert "which name acme-invoices-archive: 'botocore" in si.finding(found[0], AT)["message"]


def test_a_victim_failing_on_its_own_is_not_linked_even_when_an_identifier_is_shared() -> None:
    own = ("panic: runtime error: invalid memory address or nil pointer dereference while loading "
           "acme-invoices-archive index")
    assert si.found(_bucket_case(own, "panic")) == []


def test_specific_shapes_leave_out_numbers_versions_and_generic_words() -> None:
    assert si.identifiers("GET https://api.payouts-bank.example.io:443/v2 500ms 2.3.0 prod default") == {
        "api.payouts-bank.example.io", "payouts-bank.example.io"}
    assert "ingest-producer" in si.identifiers('User:ingest-producer principal="ingest-producer"')
    assert {"ingest-producer", "events-raw"} <= si.identifiers("secret ingest-producer-jaas, partition events-raw-3")


def _callee_case(callee_error: str, callee_class: str, write: dict[str, Any], caller_line: str,
                 caller_class: str = "unavailable", hosts: list[str] | None = None) -> Facts:
    """A caller failing on a callee (its line names the callee), the callee's own logs, and one write naming it."""
    caller = _log("gateway-bff-7f9c6d5b4-k2x8p", "web", caller_line, caller_class, 15)
    callee = _log("search-api-5d8f7c9b6-q4w2z", "search", callee_error, callee_class, 14)
    callee.hosts = hosts or []
    return _facts([write, *NOISE], [caller, callee])


MESH_POLICY = _write("DestinationRule", "search", "search-api-pool", 20,
                     ['spec.trafficPolicy.connectionPool = {"tcp": {"maxConnections": 2}}',
                      "spec.host = 'search-api.search.svc.cluster.local'"])
GATEWAY_ROUTE = _write("HTTPRoute", "edge", "catalog-route", 25,
                       ["spec.rules[0].backendRefs[0].name: 'catalog-v1' -> 'catalog-svc'"])
CALLER_503 = "search-api call failed: 503 Service Unavailable"


def test_a_callee_failing_itself_keeps_a_write_naming_it_unlinked() -> None:
    """The caller's 503 relays the callee's own failure: neither a mesh policy for its host nor a route is linked."""
    assert si.found(_callee_case("query failed: index products is read-only (flood stage disk watermark) status=503",
                                 "http_5xx", MESH_POLICY, CALLER_503)) == []
    route = _callee_case("Traceback (most recent call last): KeyError: 'sku' while rendering product page", "exception",
                         GATEWAY_ROUTE, "GET http://catalog-svc.shop/items failed: 500 Internal Server Error",
                         "http_5xx")
    route.logs[1].pod = "catalog-svc-6b7c8d9f5-z2x4c"
    assert si.found(route) == []


def test_a_callee_that_is_healthy_or_fails_onward_or_refuses_leaves_the_link() -> None:
    """Twins: the callee logs nothing (the proxy fails the calls), it fails on its own calls (a host named), or it
    refuses its callers (a throttle, a denial: what a write elsewhere does): the write stays linked."""
    healthy = _callee_case("", "", MESH_POLICY, CALLER_503)
    healthy.logs[1].top = {}
    onward = _callee_case("dial tcp 10.0.4.7:9200: i/o timeout", "connection_timeout", MESH_POLICY, CALLER_503,
                          hosts=["es-data.search"])
    refusing = _callee_case("rate limit exceeded for client gateway-bff", "rate_limited", MESH_POLICY, CALLER_503)
    for facts in (healthy, onward, refusing):
        assert [str(s.target) for s in si.found(facts)] == ["DestinationRule search/search-api-pool"]


def test_a_write_to_the_failing_callee_itself_stays_linked() -> None:
    """The callee's own errors may come from a write to what it runs with: its ConfigMap, related to it."""
    own = _write("ConfigMap", "search", "search-api-settings", 20, ["data key index.yaml set"], "config")
    own["related"] = [{"kind": "Deployment", "namespace": "search", "name": "search-api"}]
    facts = _callee_case("query failed: index products is read-only status=503", "http_5xx", own, CALLER_503)
    assert [str(s.target) for s in si.found(facts)] == ["ConfigMap search/search-api-settings"]
