"""transit_required: a managed datastore written to REQUIRE encryption in transit, its plaintext clients reset.

Small Facts of our own in the shapes the survey fills. Shapes: an ACK ElastiCache ReplicationGroup
(`transitEncryptionMode: required`) and a Node ioredis client on `redis://` whose connections are reset
(ECONNRESET, `Connection is closed`), named through a host label of its env URL; an RDS parameter group setting
`rds.force_ssl` to 1 and a PostgreSQL client refused `no pg_hba.conf entry ... no encryption`, naming the host in
its own error; a Config Connector Memorystore instance (`SERVER_AUTHENTICATION`) whose go-redis client gets `EOF`,
related through an endpoint host of the resource's status. Twins: the mode set to `preferred` (plaintext still
served), a client already on `rediss://`, resets that began before the write, and a client of another cache.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import transit_required as tr
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import get_only

AT = datetime(2026, 12, 2, 10, 41, tzinfo=UTC)
IOREDIS = "[ioredis] Unhandled error event: Error: read ECONNRESET at TCP.onStreamRead (node:internal/stream_base)"
PG = ('psycopg2.OperationalError: connection to server at "orders-pg.c1x.eu-west-1.rds.amazonaws.com" (10.0.4.2), '
      'port 5432 failed: FATAL: no pg_hba.conf entry for host "10.0.9.7", user "orders", database "orders", no '
      'encryption')
GOREDIS = 'level=error msg="cart read failed" err="redis: get cart:8812: EOF"'


def _t(minutes_before: int) -> str:
    return (AT - timedelta(minutes=minutes_before)).isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, message: str, first_before: int) -> LogEvidence:
    error = {"message": message, "example": message, "severity": "error", "error_class": "upstream_reset",
             "first_seen": _t(first_before)}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E11", top=error, hosts=[],
                       error_classes={"upstream_reset"}, previous=False)


def _write(kind: str, namespace: str, name: str, minutes_before: int, diff: list[str]) -> dict[str, Any]:
    return {"at": _t(minutes_before), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} written by kubectl-edit (generation 9): {'; '.join(diff)}",
            "diff": diff}


HERRING = {"at": _t(16), "type": "rollout", "object": {"kind": "Deployment", "namespace": "accounts",
                                                       "name": "profile-api"},
           "summary": "Deployment accounts/profile-api rolled out revision 2", "diff": ["image a:1 -> a:2"]}


def _cache(mode: str = "'required'", url: str = "redis://master.sessions-cache.q7xkbe.euw1.cache.amazonaws.com:6379",
           first_before: int = 10) -> Facts:
    write = _write("ReplicationGroup", "accounts", "sessions-cache", 23,
                   ["spec.transitEncryptionEnabled = true", f"spec.transitEncryptionMode = {mode}"])
    pod = "session-api-fq4jdszxpk-5m9pk"
    facts = Facts(at=AT, changes={"changes": [write, HERRING]}, changes_id="E2",
                  logs=[_log(pod, "accounts", IOREDIS, first_before)])
    facts.reads[tr.STORE] = {"pods": {pod: {"words": [("env REDIS_URL", url)], "evidence": "E24"}}, "objects": {}}
    return facts


def test_a_cache_requiring_transit_encryption_names_the_cache_for_its_plaintext_client() -> None:
    found = tr.found(_cache())
    assert [(str(r.resource), r.client.name) for r in found] == [("ReplicationGroup accounts/sessions-cache",
                                                                  "session-api")]
    message = tr.finding(found[0], AT)["message"]
    assert message.startswith("ReplicationGroup accounts/sessions-cache was written 23 min before the alert to "
                              "REQUIRE encryption in transit (TLS): spec.transitEncryptionEnabled = true")
    assert "ECONNRESET" in message[:500] and "env REDIS_URL = redis://" in message
    ref, _, evidence, explains = tr.suspects(_cache())[0]
    assert str(ref) == "ReplicationGroup accounts/sessions-cache" and evidence == ["E2", "E11", "E24"]
    assert [str(r) for r in explains] == ["Pod accounts/session-api-fq4jdszxpk-5m9pk", "accounts/session-api"]


def test_a_parameter_group_forcing_ssl_and_a_postgres_client_refused_without_encryption() -> None:
    write = _write("DBParameterGroup", "orders", "orders-pg", 40,
                   ['spec.parameterOverrides = {"rds.force_ssl": "1", "log_min_duration_statement": "500"}'])
    facts = Facts(at=AT, changes={"changes": [write]}, changes_id="E2",
                  logs=[_log("order-writer-7c9d8-x2x", "orders", PG, 30)])
    assert [str(r.resource) for r in tr.found(facts)] == ["DBParameterGroup orders/orders-pg"]
    assert tr.found(facts)[0].where.startswith("its error = psycopg2.OperationalError")


def test_a_memorystore_instance_named_through_its_status_endpoint() -> None:
    write = _write("RedisInstance", "shop", "carts", 30, ["spec.transitEncryptionMode: DISABLED -> "
                                                          "SERVER_AUTHENTICATION"])
    pod = "cart-svc-6d5f7-abcde"
    facts = Facts(at=AT, changes={"changes": [write]}, changes_id="E2", logs=[_log(pod, "shop", GOREDIS, 25)])
    facts.reads[tr.STORE] = {
        "pods": {pod: {"words": [("env REDIS_ADDR", "redis-7f3k.memorystore.internal:6379")], "evidence": "E5"}},
        "objects": {"RedisInstance shop/carts": {"hosts": ["redis-7f3k.memorystore.internal"], "names": [],
                                                 "evidence": "E6"}}}
    found = tr.found(facts)
    assert [str(r.resource) for r in found] == ["RedisInstance shop/carts"]
    assert "SERVER_AUTHENTICATION" in tr.finding(found[0], AT)["message"]


def test_preferred_mode_a_tls_client_earlier_resets_and_another_caches_client_are_not_named() -> None:
    assert tr.found(_cache(mode="'preferred'")) == []
    assert tr.found(_cache(url="rediss://master.sessions-cache.q7xkbe.euw1.cache.amazonaws.com:6379")) == []
    assert tr.found(_cache(first_before=40)) == []  # reset before the write: not its cause
    assert tr.found(_cache(url="redis://master.profile-cache.q7xkbe.euw1.cache.amazonaws.com:6379")) == []
    assert tr.requiring({"diff": ["spec.transitEncryptionEnabled = false"]}) == []
    assert tr.requiring({"diff": ["spec.enableNonSslPort = false"]}) == ["spec.enableNonSslPort = false"]


def test_a_resource_whose_current_spec_still_serves_plaintext_is_not_named() -> None:
    facts = _cache()
    facts.reads[tr.STORE]["objects"] = {"ReplicationGroup accounts/sessions-cache": {
        "hosts": [], "names": [], "evidence": "E10", "plaintext": True}}
    assert tr.found(facts) == []
    assert tr._SERVED.search(str({"transitEncryptionMode": "preferred"}))


def test_read_follows_the_clients_configmap_and_the_resources_endpoint() -> None:
    """The client's address lives in a ConfigMap its env reads; the resource's endpoint host is in its status."""
    write = _write("ReplicationGroup", "accounts", "sessions-cache", 23, ["spec.transitEncryptionMode = 'required'"])
    pod = "session-api-fq4jdszxpk-5m9pk"
    facts = Facts(at=AT, changes={"changes": [write]}, changes_id="E2", logs=[_log(pod, "accounts", IOREDIS, 10)])
    pod_obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": "accounts"},
               "spec": {"containers": [{"name": "app", "envFrom": [{"configMapRef": {"name": "session-env"}}],
                                        "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s",
                                                                                                 "key": "k"}}}]}]}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "session-env", "namespace": "accounts"},
          "data": {"CACHE_ADDR": "clustercfg.sc-0001.q7xkbe.euw1.cache.amazonaws.com:6379"}}
    group = {"apiVersion": "elasticache.services.k8s.aws/v1alpha1", "kind": "ReplicationGroup",
             "metadata": {"name": "sessions-cache", "namespace": "accounts"},
             "spec": {"transitEncryptionMode": "required"},
             "status": {"configurationEndpoint": {"address": "clustercfg.sc-0001.q7xkbe.euw1.cache.amazonaws.com"}}}
    hub = get_only({pod: pod_obj, "session-env": cm, "sessions-cache": group})
    asyncio.run(tr.read(Subject(), facts, hub, "2026-12-02T10:41:00Z"))
    [hit] = tr.found(facts)
    assert hit.where.startswith("ConfigMap session-env CACHE_ADDR = clustercfg.sc-0001")
    assert "s" not in [a.get("name") for _, a in hub.calls if a.get("kind") == "Secret"]


def _grouped(url_env: list[tuple[str, str]], host: str = "ledger-db.cq1z.us-east-2.rds.amazonaws.com") -> Facts:
    """A MySQL parameter group (no endpoint of its own) used by an instance whose endpoint the client names."""
    write = _write("DBParameterGroup", "data", "ledger-mysql8", 35, ["spec.parameterOverrides.require_secure_transport"
                                                                      " = 'ON'"])
    pod = "ledger-api-5c6d7-qwert"
    said = "dial tcp: Error 3159 (HY000): Connections using insecure transport are prohibited while " \
           "--require_secure_transport=ON."
    facts = Facts(at=AT, changes={"changes": [write]}, changes_id="E2", logs=[_log(pod, "data", said, 20)])
    facts.reads[tr.STORE] = {"pods": {pod: {"words": url_env, "evidence": "E5"}},
                             "objects": {"DBParameterGroup data/ledger-mysql8": {
                                 "hosts": [host], "names": ["ledger-db"], "evidence": "E6",
                                 "users": ["DBInstance ledger-db"]}}}
    return facts


def test_a_parameter_group_is_named_through_the_instance_using_it_and_the_clients_tls_off_flag() -> None:
    found = tr.found(_grouped([("env DB_HOST", "ledger-db.cq1z.us-east-2.rds.amazonaws.com"),
                               ("env DB_TLS_MODE", "disabled"), ("env CACHE_TLS", "true")]))
    assert [str(r.resource) for r in found] == ["DBParameterGroup data/ledger-mysql8"]
    message = tr.finding(found[0], AT)["message"]
    assert message.startswith("DBParameterGroup data/ledger-mysql8 (used by DBInstance ledger-db) was written")
    assert "(env DB_TLS_MODE = disabled)" in message[:400] and "insecure transport" in message[:400]


def test_a_parameter_group_whose_instance_the_client_does_not_name_is_not_named() -> None:
    assert tr.found(_grouped([("env DB_HOST", "audit-db.cq1z.us-east-2.rds.amazonaws.com")])) == []
    # a client with TLS on through its family's flag meets the rule
    assert tr.found(_grouped([("env DB_HOST", "ledger-db.cq1z.us-east-2.rds.amazonaws.com"),
                              ("env DB_SSL", "true")])) == []


def test_the_tls_off_flag_is_the_clients_own_or_the_only_one() -> None:
    words = [("env PGHOST", "h"), ("env PGSSLMODE", "disable")]
    assert tr._tls_off("env PGHOST", words) == "env PGSSLMODE = disable"
    two = [("env PGHOST", "h"), ("env KAFKA_TLS", "false"), ("env MQ_SSL", "off")]
    assert tr._tls_off("env PGHOST", two) == ""  # two unrelated flags: neither is said to be this client's
    assert tr._tls_off("env REDIS_URL", [("env REDIS_URL", "x"), ("env REDIS_TLS", "true")]) == ""
