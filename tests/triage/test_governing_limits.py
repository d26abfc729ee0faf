"""Errors naming a server/proxy/gateway/issuer limit lead to the write that set it (agent.triage.governing_limits).

Error texts are the real wording of each software: ClickHouse's `Code: 241. DB::Exception: Memory limit (for
query) exceeded ... (MEMORY_LIMIT_EXCEEDED)` as clickhouse-driver (Python) and clickhouse-go print it; the
DataStax Java driver's `UnavailableException: Not enough replicas available for query at consistency ALL (3
required but only 2 alive)` and the Python driver's `code=1000 [Unavailable exception] message="Cannot achieve
consistency level QUORUM"`; Envoy's `upstream connect error or disconnect/reset before headers. reset reason:
overflow` and its access-log flag `503 UO`; Kong's `{"message":"API rate limit exceeded"}` and NGINX's
`limiting requests, excess: 5.120 by zone`; Spring Security's `Signed JWT rejected: Invalid signature` and
golang-jwt's `token signature is invalid: crypto/rsa: verification error`; PostgreSQL's `cannot execute INSERT
in a read-only transaction` and Redis's `READONLY You can't write against a read only replica.`. Changes use the
timeline's own line shapes (`key: old -> new`, `key = value`, `data key K 'old' -> 'new'`, `F written by M (now
'v')`, `Secret ... created with keys: a, b`). No API server runs for these unit shapes; the held-out round 10
bundles run the same code end to end against the replayed cluster. Each family: two shapes, negative twins
(a raised limit, an unrelated namespace's object, an error that began before the write).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import governing_change as gc
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, lines: list[str], minutes: int = 30,
            summary: str = "") -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": summary or f"{kind} {ns}/{name} written: {lines[0] if lines else ''}", "diff": lines,
            "related": []}


def _log(pod: str, ns: str, message: str, first_min: int | None = None, hosts: list[str] | None = None,
         ) -> LogEvidence:
    top: dict[str, Any] = {"template": message, "example": message}
    if first_min is not None:
        top["first_seen"] = _stamp(first_min)
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=top, hosts=hosts or [], error_classes=set(),
                       previous=False)


def _facts(changes: list[dict[str, Any]], subject: tuple[str, str], logs: list[LogEvidence],
           pod_words: list[str] | None = None) -> Facts:
    topology = {"subject": {"kind": "Deployment", "namespace": subject[1], "name": subject[0]},
                "workloads": [{"kind": "Deployment", "namespace": subject[1], "name": subject[0]}],
                "services": [], "dependencies": []}
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", topologies=[(topology, "E3")], logs=logs,
                 reads={gc.READS: {"pod_words": pod_words or []}})


def _one(facts: Facts) -> gc.GoverningChange:
    [g] = gc.found(facts)
    return g


# ---- server limits: ClickHouse ------------------------------------------------------------------------

CH_PY = ("clickhouse_driver.errors.ServerException: Code: 241. DB::Exception: Memory limit (for query) exceeded: "
         "would use 1.86 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 1.86 GiB. (MEMORY_LIMIT_EXCEEDED)")
CH_GO = ("code: 241, message: Memory limit (for user) exceeded: would use 9.31 GiB (attempt to allocate chunk of "
         "1048576 bytes), maximum: 9.31 GiB: While executing AggregatingTransform")


def test_a_clickhouse_installation_profile_limit_lowered_explains_code_241() -> None:
    chi = _change("ClickHouseInstallation", "olap", "events", [
        "spec.configuration.profiles.default/max_memory_usage: 20000000000 -> 2000000000"], 40)
    client = _log("dash-api-5f6d-x1", "bi", CH_PY)
    g = _one(_facts([chi], ("dash-api", "bi"), [client]))
    message = gc.finding(g)["message"]
    assert g.target.kind == "ClickHouseInstallation" and g.family.name == "clickhouse_memory_limit"
    assert "20000000000 -> 2000000000" in message and "max_memory_usage" in message
    raised = _change("ClickHouseInstallation", "olap", "events", [
        "spec.configuration.profiles.default/max_memory_usage: 2000000000 -> 20000000000"], 40)
    assert gc.found(_facts([raised], ("dash-api", "bi"), [client])) == []  # a raised limit is not the cause


def test_a_users_xml_configmap_in_the_called_namespace_explains_memory_limit_for_user() -> None:
    old = "<profiles><default><max_memory_usage_for_user>40000000000</max_memory_usage_for_user></default></profiles>"
    new = old.replace("40000000000", "10000000000")
    cm = _change("ConfigMap", "warehouse", "server-users", [f"data key users.xml '{old}' -> '{new}'"], 30)
    client = _log("ingest-7c8d-q2", "etl", CH_GO, hosts=["olap-0.warehouse.svc:9000"])
    g = _one(_facts([cm], ("ingest", "etl"), [client]))
    assert g.setting.key == "max_memory_usage_for_user" and "warehouse" in g.how
    unrelated = _change("ConfigMap", "sandbox", "batch-tuning", [f"data key users.xml '{old}' -> '{new}'"], 30)
    assert gc.found(_facts([unrelated], ("ingest", "etl"), [client])) == []  # nobody on the path calls sandbox
    earlier = _log("ingest-7c8d-q2", "etl", CH_GO, first_min=90, hosts=["olap-0.warehouse.svc:9000"])
    assert gc.found(_facts([cm], ("ingest", "etl"), [earlier])) == []  # the error predates the write


# ---- client settings: Cassandra consistency -------------------------------------------------------------

CASS_JAVA = ("com.datastax.oss.driver.api.core.servererrors.UnavailableException: Not enough replicas available "
             "for query at consistency ALL (3 required but only 2 alive)")
CASS_PY = ("cassandra.Unavailable: Error from server: code=1000 [Unavailable exception] message=\"Cannot achieve "
           "consistency level QUORUM\" info={'consistency': 'QUORUM', 'required_replicas': 2, 'alive_replicas': 1}")


def test_a_client_configmap_raising_consistency_hours_ago_explains_unavailable_during_a_restart() -> None:
    cm = _change("ConfigMap", "social", "timeline-config",
                 ["data key CASSANDRA_CONSISTENCY 'LOCAL_QUORUM' -> 'ALL'"], 18 * 60)
    restart = _change("StatefulSet", "data", "cassandra", ["spec.template.metadata.annotations.restartedAt = x"], 5)
    client = _log("timeline-6d9f-k1", "social", CASS_JAVA, first_min=4)
    g = _one(_facts([cm, restart], ("timeline", "social"), [client], ["timeline-config"]))
    assert g.target.name == "timeline-config" and "LOCAL_QUORUM -> ALL" in gc.finding(g)["message"]
    lowered = _change("ConfigMap", "social", "timeline-config",
                      ["data key CASSANDRA_CONSISTENCY 'ALL' -> 'LOCAL_QUORUM'"], 18 * 60)
    assert gc.found(_facts([lowered], ("timeline", "social"), [client], ["timeline-config"])) == []


def test_a_rollout_setting_the_drivers_consistency_env_explains_cannot_achieve_quorum() -> None:
    rollout = _change("Deployment", "feeds", "ranker", [
        "ranker env CASSANDRA_CL=LOCAL_ONE -> CASSANDRA_CL=QUORUM"], 120)
    client = _log("ranker-5b7c-z9", "feeds", CASS_PY)
    g = _one(_facts([rollout], ("ranker", "feeds"), [client]))
    assert g.setting.key == "CASSANDRA_CL" and "own workload" in g.how
    other = _change("ConfigMap", "reports", "reports-config", ["data key CONSISTENCY 'ONE' -> 'ALL'"], 120)
    assert gc.found(_facts([other], ("ranker", "feeds"), [client])) == []  # not the client's config


# ---- proxy limits: Envoy's circuit breaker --------------------------------------------------------------

ENVOY_APP = ("inventory lookup failed: 503 upstream connect error or disconnect/reset before headers. reset reason: "
             "overflow")
ENVOY_ACCESS = ('[2026-06-01T11:50:00.000Z] "GET /v1/stock HTTP/1.1" 503 UO upstream_reset_before_response_started'
                '{overflow} - "-" 0 81 0 - "-" "curl" "-" "stock.store.svc.cluster.local:8080" "-"')


def test_a_destination_rule_pending_requests_cut_explains_reset_reason_overflow() -> None:
    dr = _change("DestinationRule", "store", "stock", [
        "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1024 -> 1"], 8)
    web = _log("web-7d8f-a1", "front", ENVOY_APP, hosts=["stock.store.svc.cluster.local"])
    g = _one(_facts([dr], ("web", "front"), [web]))
    message = gc.finding(g)["message"]
    assert "circuit breaker" in message and "overflow" in message and "1024 -> 1" in message
    raised = _change("DestinationRule", "store", "stock", [
        "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: 1 -> 1024"], 8)
    assert gc.found(_facts([raised], ("web", "front"), [web])) == []


def test_an_envoy_uo_access_log_leads_to_the_max_connections_set_on_the_upstream() -> None:
    dr = _change("DestinationRule", "store", "stock-pool", [
        "spec.trafficPolicy.connectionPool.tcp.maxConnections = 2 (current)"], 15)
    web = _log("checkout-6c5d-b2", "front", ENVOY_ACCESS)
    g = _one(_facts([dr], ("checkout", "front"), [web]))
    assert g.setting.key.endswith("maxConnections")
    elsewhere = _change("ConfigMap", "lab", "bench-settings", ["data key max_connections 'x' -> '2'"], 15)
    assert gc.found(_facts([elsewhere], ("checkout", "front"), [web])) == []


# ---- gateway limits: rate limiting -----------------------------------------------------------------------

KONG = 'HTTP/1.1 429 Too Many Requests RateLimit-Remaining: 0 {"message":"API rate limit exceeded"}'
NGINX = ('2026/06/01 11:55:00 [error] 31#31: *9 limiting requests, excess: 5.120 by zone "shop-rps", client: '
         '10.0.3.7, server: shop.example.com, request: "POST /cart HTTP/1.1"')


def test_a_kong_plugin_limit_lowered_explains_api_rate_limit_exceeded() -> None:
    plugin = _change("KongPlugin", "edge", "rate-limit", ["config.minute: 6000 -> 600"], 9)
    app = _log("cart-5d6f-c3", "mobile", KONG)
    g = _one(_facts([plugin], ("cart", "mobile"), [app]))
    assert g.target.kind == "KongPlugin" and "600" in g.setting.text()
    raised = _change("KongPlugin", "edge", "rate-limit", ["config.minute: 600 -> 6000"], 9)
    assert gc.found(_facts([raised], ("cart", "mobile"), [app])) == []


def test_an_ingress_limit_rps_annotation_explains_nginx_limiting_requests() -> None:
    ing = _change("Ingress", "shop", "storefront", [
        "metadata.annotations.nginx.ingress.kubernetes.io/limit-rps: 100 -> 5"], 12)
    controller = _log("ingress-nginx-controller-7f-d4", "ingress-nginx", NGINX)
    g = _one(_facts([ing], ("storefront", "shop"), [controller]))
    assert g.setting.key.endswith("limit-rps")
    later = _log("ingress-nginx-controller-7f-d4", "ingress-nginx", NGINX, first_min=60)
    assert gc.found(_facts([ing], ("storefront", "shop"), [later])) == []  # throttling began before the edit


# ---- issuer keys: JWT signatures -------------------------------------------------------------------------

SPRING = ("Failed to authenticate since the JWT was invalid: An error occurred while attempting to decode the Jwt: "
          "Signed JWT rejected: Invalid signature")
GO_JWT = "auth middleware: token signature is invalid: crypto/rsa: verification error"


def test_a_signing_key_secret_rotated_explains_invalid_signature() -> None:
    secret = _change("Secret", "identity", "token-signing-key", [], 30,
                     summary="Secret identity/token-signing-key created with keys: kid, private.pem")
    verifier = _log("orders-7b8c-e5", "orders", SPRING, first_min=29)
    g = _one(_facts([secret], ("orders", "orders"), [verifier]))
    assert g.target.kind == "Secret" and "signing keys" in g.how and g.setting.key in ("kid", "private.pem")
    before = _log("orders-7b8c-e5", "orders", SPRING, first_min=120)
    assert gc.found(_facts([secret], ("orders", "orders"), [before])) == []  # 401s began before the rotation
    smtp = _change("Secret", "identity", "smtp-credentials", [], 30,
                   summary="Secret identity/smtp-credentials created with keys: username, password")
    assert gc.found(_facts([smtp], ("orders", "orders"), [verifier])) == []


def test_a_verifiers_jwks_configmap_rewritten_explains_crypto_rsa_verification_error() -> None:
    cm = _change("ConfigMap", "billing", "auth-keys", ["data key jwks.json set by kubectl-apply"], 20)
    verifier = _log("billing-api-6f-f6", "billing", GO_JWT)
    g = _one(_facts([cm], ("billing-api", "billing"), [verifier], ["auth-keys"]))
    assert g.setting.key == "jwks.json"
    flags = _change("ConfigMap", "billing", "feature-flags", ["data key flags.yaml set by kubectl-apply"], 20)
    assert gc.found(_facts([flags], ("billing-api", "billing"), [verifier], ["auth-keys"])) == []


# ---- the wrong server: read-only replies behind a write endpoint ----------------------------------------

PG_RO = 'create order failed err="ERROR: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)"'
REDIS_RO = "redis.exceptions.ReadOnlyError: READONLY You can't write against a read only replica."


def test_a_write_service_selector_rewritten_explains_read_only_transaction() -> None:
    rw = _change("Service", "db", "billing-pg-rw", ["spec.selector.app written by helm (now 'billing-pg')"], 14)
    ro = _change("Service", "db", "billing-pg-ro", ["metadata.labels.helm.sh/chart written by helm (now 'x')"], 14)
    app = _log("billing-5c-g7", "billing", PG_RO)
    g = _one(_facts([rw, ro], ("billing", "billing"), [app]))
    assert g.target.name == "billing-pg-rw" and "write" in g.how
    web = _change("Service", "billing", "web-frontend", ["spec.selector.app written by helm (now 'web')"], 14)
    assert gc.found(_facts([web, ro], ("billing", "billing"), [app])) == []  # not a database endpoint


def test_a_redis_service_the_client_names_explains_readonly_replica() -> None:
    svc = _change("Service", "cache", "sessions", ["spec.selector.role: master -> replica"], 25)
    app = _log("session-api-4d-h8", "web", REDIS_RO)
    g = _one(_facts([svc], ("session-api", "web"), [app], ["redis://sessions.cache.svc:6379/0"]))
    assert "configured with" in g.how
    assert gc.found(_facts([svc], ("session-api", "web"), [app], ["redis://other.cache.svc:6379/0"])) == []


# ---- reading: a latent client setting is older than the default 6 h timeline -----------------------------


def test_read_fetches_the_24h_history_where_the_latent_consistency_change_is() -> None:
    """The 6 h timeline is empty; `read` asks the hub for 24 h (answered here in the timeline tool's JSON shape)."""
    old = _change("ConfigMap", "social", "timeline-config",
                  ["data key CASSANDRA_CONSISTENCY 'LOCAL_QUORUM' -> 'ALL'"], 20 * 60)
    steps: list[str] = []

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        steps.append(step)
        if tool == "k8s_changes" and arguments.get("window") == "24h":
            return ToolOutcome("E30", tool, arguments, True, "1 change", full_text="1 change",
                               data={"changes": [old]})
        return ToolOutcome("E31", tool, arguments, False, "not found", full_text="not found")

    facts = _facts([], ("timeline", "social"), [_log("timeline-6d9f-k1", "social", CASS_JAVA)], ["timeline-config"])
    asyncio.run(gc.read(Subject(names=["timeline"]), facts, call))
    assert "survey-governing-history" in steps
    assert [g.target.name for g in gc.found(facts)] == ["timeline-config"]
    quiet = _facts([], ("timeline", "social"), [_log("timeline-6d9f-k1", "social", "GET /feed 200")])
    steps.clear()
    asyncio.run(gc.read(Subject(names=["timeline"]), quiet, call))
    assert steps == []  # no governed error: nothing more is read


# ---- broker and search-cluster limits --------------------------------------------------------------------

ES = ('{"type":"too_many_buckets_exception","reason":"Trying to create too many buckets. Must be less than or '
      'equal to: [10000] but was [10001]. This limit can be set by changing the [search.max_buckets] cluster level '
      'setting."}')
RABBIT = ("amqp.exceptions.PreconditionFailed: Basic.publish: (406) PRECONDITION_FAILED - message size 20971520 is "
          "larger than configured max size 16777216")


def test_an_elasticsearch_custom_resource_lowering_max_buckets_explains_too_many_buckets() -> None:
    es = _change("Elasticsearch", "search", "logs", ["spec.nodeSets[0].config.search.max_buckets: 65535 -> 10000"], 20)
    app = _log("reports-6b-j1", "analytics", ES)
    g = _one(_facts([es], ("reports", "analytics"), [app]))
    assert g.family.name == "elasticsearch_limit" and "65535 -> 10000" in g.setting.text()
    raised = _change("Elasticsearch", "search", "logs", ["spec.nodeSets[0].config.search.max_buckets: 10000 -> 65535"])
    assert gc.found(_facts([raised], ("reports", "analytics"), [app])) == []


def test_a_rabbitmq_conf_lowering_max_message_size_explains_precondition_failed() -> None:
    conf = _change("ConfigMap", "mq", "rabbitmq-config", [
        "data key rabbitmq.conf 'max_message_size = 134217728' -> 'max_message_size = 16777216'"], 35)
    app = _log("exporter-5c-k2", "jobs", RABBIT, hosts=["rabbitmq.mq.svc:5672"])
    g = _one(_facts([conf], ("exporter", "jobs"), [app]))
    assert g.setting.key == "max_message_size" and "16777216" in g.setting.text()
    far = _change("ConfigMap", "lab", "mq-lab", [
        "data key settings.conf 'max_message_size = 134217728' -> 'max_message_size = 16777216'"], 35)
    assert gc.found(_facts([far], ("exporter", "jobs"), [app])) == []  # a lab broker nobody here calls
