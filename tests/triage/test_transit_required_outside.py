"""transit_required, outside wording: other managed stores, other clients, other places the address lives.

transit_required claims the class "a managed datastore's resource written to REQUIRE encryption in transit,
after which its plaintext clients are reset or refused". Shapes from software the round did not use: an Azure
Service Operator `Redis` whose `enableNonSslPort` is turned off under a Java client on port 6379 (Jedis `Unexpected
end of stream`), a Config Connector `SQLInstance` whose `settings.ipConfiguration.requireSsl` turns true under a JDBC
client refused `pg_hba.conf rejects connection ... no encryption`, an ACK MSK `Cluster` whose client-broker
encryption becomes `TLS` under a Kafka consumer on :9092 (`could not be established. Broker may not be
available`), and a MySQL parameter group turning `require_secure_transport` on (error 3159). Twins: the same
resets after a node-type change (another class: a scale's failover), MSK set to `TLS_PLAINTEXT` (plaintext still
served), Azure's non-TLS port opened rather than closed, a StackExchange.Redis client already on `ssl=True` and a
Kafka client on `security.protocol=SSL`.
"""

from __future__ import annotations

from agent.triage import transit_required as tr
from agent.triage.facts import Facts
from tests.triage.test_transit_required import AT, _log, _write

JEDIS = ("redis.clients.jedis.exceptions.JedisConnectionException: Unexpected end of stream. at "
         "redis.clients.jedis.util.RedisInputStream.ensureFill(RedisInputStream.java:202)")
CLOUDSQL = ('org.postgresql.util.PSQLException: FATAL: pg_hba.conf rejects connection for host "10.8.0.14", user '
            '"ledger", database "ledger", no encryption')
KAFKA = ("[Consumer clientId=consumer-fulfil-1, groupId=fulfil] Connection to node -1 (b-1.events-msk.k3x9a1.c4."
         "kafka.eu-central-1.amazonaws.com/10.0.3.18:9092) could not be established. Broker may not be available.")
MYSQL = ("pymysql.err.OperationalError: (3159, 'Connections using insecure transport are prohibited while "
         "--require_secure_transport=ON.')")
LETTUCE = "io.lettuce.core.RedisConnectionException: Connection reset by peer"


def _facts(kind: str, ns: str, name: str, diff: list[str], pod: str, said: str,
           words: list[tuple[str, str]]) -> Facts:
    facts = Facts(at=AT, changes={"changes": [_write(kind, ns, name, 20, diff)]}, changes_id="E2",
                  logs=[_log(pod, ns, said, 12)])
    facts.reads[tr.STORE] = {"pods": {pod: {"words": words, "evidence": "E30"}}, "objects": {}}
    return facts


def _azure(diff: str = "spec.enableNonSslPort: true -> false",
           url: str = "orders-cache.redis.cache.windows.net:6379") -> Facts:
    return _facts("Redis", "shop", "orders-cache", [diff], "basket-svc-5d8f9c7b6-q8wzt", JEDIS,
                  [("env SPRING_DATA_REDIS_URL", f"redis://{url}")])


def _msk(mode: str = "TLS", flag: str = "PLAINTEXT") -> Facts:
    return _facts("Cluster", "events", "events-msk",
                  [f"spec.encryptionInfo.encryptionInTransit.clientBroker: TLS_PLAINTEXT -> {mode}"],
                  "fulfil-consumer-7b5c9d6f8-2kdlm", KAFKA,
                  [("env KAFKA_BOOTSTRAP_SERVERS", "b-1.events-msk.k3x9a1.c4.kafka.eu-central-1.amazonaws.com:9092"),
                   ("env KAFKA_SECURITY_PROTOCOL", flag)])


def test_azure_cache_closing_its_non_tls_port_names_the_cache_for_a_jedis_client() -> None:
    [hit] = tr.found(_azure())
    assert str(hit.resource) == "Redis shop/orders-cache" and hit.client.name == "basket-svc"
    message = tr.finding(hit, AT)["message"]
    assert message.startswith("Redis shop/orders-cache was written 20 min before the alert to REQUIRE encryption")
    assert "enableNonSslPort" in message[:200] and "Unexpected end of stream" in message[:520]


def test_cloud_sql_require_ssl_and_a_mysql_parameter_group_name_the_instance() -> None:
    sql = _facts("SQLInstance", "finance", "ledger-db", ["spec.settings.ipConfiguration.requireSsl: false -> true"],
                 "ledger-api-6f7d8c9b5-m2x4p", CLOUDSQL,
                 [("env SPRING_DATASOURCE_URL", "jdbc:postgresql://ledger-db.finance.example.internal:5432/ledger")])
    assert [str(r.resource) for r in tr.found(sql)] == ["SQLInstance finance/ledger-db"]
    my = _facts("DBParameterGroup", "crm", "crm-mysql",
                ['spec.parameterOverrides = {"require_secure_transport": "ON", "max_connections": "400"}'],
                "crm-sync-5c6d7e8f9-z9y8x", MYSQL, [("env DB_HOST", "crm-mysql.cx1.eu-west-1.rds.amazonaws.com")])
    assert [str(r.resource) for r in tr.found(my)] == ["DBParameterGroup crm/crm-mysql"]


def test_msk_requiring_tls_names_the_cluster_for_a_plaintext_kafka_consumer() -> None:
    [hit] = tr.found(_msk())
    assert str(hit.resource) == "Cluster events/events-msk" and hit.client.name == "fulfil-consumer"
    assert "clientBroker" in tr.finding(hit, AT)["message"][:220]


def test_twins_another_class_plaintext_still_served_and_clients_already_on_tls() -> None:
    scale = _facts("ReplicationGroup", "shop", "orders-cache", ["spec.cacheNodeType: cache.r6g.large -> "
                                                                "cache.r6g.xlarge"], "basket-svc-5d8f9c7b6-q8wzt",
                   LETTUCE, [("env REDIS_URL", "redis://master.orders-cache.q7x.euw1.cache.amazonaws.com:6379")])
    assert tr.found(scale) == []  # a node-type change's failover resets clients: not a TLS requirement
    assert tr.found(_msk(mode="TLS_PLAINTEXT")) == []
    assert tr.found(_azure(diff="spec.enableNonSslPort: false -> true")) == []
    assert tr.found(_azure(url="orders-cache.redis.cache.windows.net:6380,password=***,ssl=True")) == []
    assert tr.found(_msk(flag="SSL")) == []


def test_a_tls_flag_is_read_from_the_address_variables_siblings_only() -> None:
    spring = [("env SPRING_DATA_REDIS_URL", "redis://orders-cache.redis.cache.windows.net:6379")]
    assert tr._tls_flag(spring[0][0], [*spring, ("env SPRING_DATA_REDIS_SSL_ENABLED", "true")])
    assert not tr._tls_flag(spring[0][0], [*spring, ("env DB_SSL", "true")])  # another store's flag
    assert not tr._tls_flag(spring[0][0], [*spring, ("env SPRING_DATA_REDIS_SSL_ENABLED", "false")])
