"""Server and proxy errors that name a limit or setting enforced elsewhere, and the object that sets it.

A client that prints ClickHouse's `Code: 241 ... Memory limit (for query) exceeded`, Cassandra's `Cannot
achieve consistency level ALL`, Envoy's `reset reason: overflow`, Kong's `API rate limit exceeded` or
Spring Security's `Signed JWT rejected: Invalid signature` is quoting a decision made by a setting it does not
hold in its own code: the server profile's max_memory_usage, the client config's consistency level, the mesh's
connectionPool, the gateway plugin's limit, the issuer's signing key. Each family below keeps the real wording
of the software (its documented messages, in the spellings of its common clients), what it means, the names
of the settings that decide it (as they appear in config maps, custom resources, annotations, env and flags),
the side they live on (see governing_settings.SIDES) and the software's own names (`engine`: how a server-side
object that carries them is spelt). `governing_change` then looks for the recent write to such a setting.

The table is keyed on each software's wording and setting names, never on an incident's names or numbers.
"""

from __future__ import annotations

import re

from agent.triage.governing_settings import Governed


def _written(_key: str, _value: str | None) -> bool:
    """Any write to a setting of the family may explain it: the direction is judged by `tighter` where numeric."""
    return True


CONSISTENCY_RANK = {"ANY": 0, "ONE": 1, "LOCAL_ONE": 1, "LOCAL_QUORUM": 2, "TWO": 2, "LOCAL_SERIAL": 2,
                    "QUORUM": 3, "THREE": 3, "SERIAL": 3, "EACH_QUORUM": 4, "ALL": 5}
"""Cassandra/Scylla consistency levels by how many replicas they need: from QUORUM up, a replica restart or a
down data centre can leave too few alive (ALL: any one replica down fails every query)."""


def _strict_consistency(_key: str, value: str | None) -> bool:
    """A consistency level that one or more down replicas can make unservable (QUORUM and stricter)."""
    if value is None:
        return True
    level = re.sub(r"[^A-Z_]", "", value.upper().replace("-", "_"))
    return CONSISTENCY_RANK.get(level, -1) >= CONSISTENCY_RANK["QUORUM"]


def _endpoint(key: str, _value: str | None) -> bool:
    """A Service's selector or the client's configured host rewritten: writes may now land on another server."""
    return True


LIMITS: tuple[Governed, ...] = (
    Governed("clickhouse_memory_limit", re.compile(
        r"Memory limit \((?:for query|for user|total)\) exceeded|MEMORY_LIMIT_EXCEEDED|\bCode: 241\b", re.I),
        "ClickHouse refused the query at a memory limit (Code 241 MEMORY_LIMIT_EXCEEDED): 'for query' is the "
        "profile's max_memory_usage, 'for user' max_memory_usage_for_user, 'total' the server's "
        "max_server_memory_usage; a lowered limit in the server's profile (users.xml, a ClickHouseInstallation's "
        "spec.configuration.profiles) makes queries that used to fit fail; check who lowered it",
        re.compile(r"(?:^|[./_])max_(?:memory_usage(?:_for_user|_for_all_queries)?|server_memory_usage"
                   r"(?:_to_ram_ratio)?|bytes_before_external_(?:group_by|sort))$", re.I),
        ("server",), _written, re.compile(r"clickhouse|\bchi\b", re.I), tighter=True),
    Governed("clickhouse_query_limit", re.compile(
        r"Timeout exceeded: elapsed [\d.]+ (?:seconds|ms), maximum|TOO_MANY_SIMULTANEOUS_QUERIES|"
        r"Too many simultaneous queries|Limit for (?:rows|\(uncompressed\) bytes) (?:or bytes )?to read exceeded|"
        r"\bCode: (?:159|202|158|307)\b", re.I),
        "ClickHouse refused the query at a profile or server limit (TIMEOUT_EXCEEDED: max_execution_time; "
        "TOO_MANY_SIMULTANEOUS_QUERIES: max_concurrent_queries; TOO_MANY_ROWS/BYTES: max_rows_to_read, "
        "max_bytes_to_read); check who lowered it in the server's profile",
        re.compile(r"(?:^|[./_])(?:max_execution_time|max_concurrent_queries|max_rows_to_read|max_bytes_to_read)$",
                   re.I), ("server",), _written, re.compile(r"clickhouse|\bchi\b", re.I), tighter=True),
    Governed("elasticsearch_limit", re.compile(
        r"Trying to create too many buckets|too_many_buckets_exception|Result window is too large|"
        r"circuit_breaking_exception|\[(?:parent|request|fielddata|in_flight_requests)\] Data too large", re.I),
        "Elasticsearch/OpenSearch refused the request at a cluster or index limit: too many aggregation buckets "
        "(search.max_buckets), a result window past index.max_result_window, or a circuit breaker "
        "(indices.breaker.total/request/fielddata.limit); these are the cluster's or index's settings, so "
        "check who lowered them (cluster settings, the index template, the operator's custom resource)",
        re.compile(r"(?:^|[./_])(?:search\.)?max_buckets$|max_result_window$|"
                   r"breaker\.(?:total|request|fielddata|inflight_requests)\.limit$", re.I),
        ("server",), _written, re.compile(r"elastic|opensearch|\bes\b", re.I), tighter=True),
    Governed("message_size_limit", re.compile(
        r"message size \d+ is larger than configured max size|RecordTooLargeException|MESSAGE_TOO_LARGE|"
        r"bytes when serialized which is larger than", re.I),
        "the broker refused a message larger than its configured maximum (RabbitMQ max_message_size, a Kafka "
        "broker's message.max.bytes or the topic's max.message.bytes; the producer's own max.request.size); "
        "a lowered limit on the broker or topic makes messages that used to pass fail; check who lowered it",
        re.compile(r"(?:^|[./_])(?:max_message_size|message\.max\.bytes|max\.message\.bytes|"
                   r"max\.request\.size|replica\.fetch\.max\.bytes)$", re.I),
        ("server", "self"), _written, re.compile(r"rabbit|kafka|strimzi|broker|topic", re.I), tighter=True),
    Governed("cassandra_consistency", re.compile(
        r"Cannot achieve consistency level \w+|Not enough replicas available for query at consistency \w+|"
        r"Cassandra timeout during (?:read|write) query at consisten(?:cy|t) \w+|"
        r"\[Unavailable exception\]|UnavailableException", re.I),
        "Cassandra (or Scylla) could not find enough live replicas for the consistency level the CLIENT asked "
        "for: the level is the client's setting (the driver's basic.request.consistency, a CONSISTENCY env or "
        "config key), so a level raised to QUORUM/ALL turns one restarting replica into failed queries; restore "
        "the client's level (LOCAL_QUORUM) rather than blaming the restarting node",
        re.compile(r"consisten(?:cy|t)(?:[-_.]?level)?$|(?:^|[./_])(?:CL|consistency_level)$", re.I),
        ("self", "peer"), _strict_consistency, re.compile(r"cassandra|scylla", re.I)),
    Governed("mongodb_write_concern", re.compile(
        r"waiting for replication timed out|Not enough data-bearing nodes|UnsatisfiableWriteConcern|"
        r"WriteConcernFailed|WriteConcernTimeout", re.I),
        "MongoDB could not satisfy the write concern the CLIENT asked for (w: majority/all or a number larger "
        "than the members that can acknowledge): check the client's writeConcern (the URI's w=, wtimeoutMS) and "
        "when it changed",
        re.compile(r"write[-_.]?concern|(?:^|[._])w$|wtimeout(?:ms)?$", re.I), ("self", "peer"), _written,
        re.compile(r"mongo", re.I)),
    Governed("envoy_circuit_breaker", re.compile(
        r"\b503 UO\b|upstream_overflow|reset reason: overflow|upstream_reset_before_response_started\{overflow\}|"
        r"upstream_rq_pending_overflow|\bUO\b.{0,40}\boverflow|circuit.?breaker.{0,20}(?:overflow|tripped)",
        re.I),
        "Envoy's circuit breaker overflowed (response flag UO, upstream overflow): more requests were pending "
        "or active toward the upstream than its connection-pool thresholds allow, so the sidecar or proxy "
        "answers 503 at once without calling the healthy upstream; the thresholds are the mesh's traffic policy "
        "(an Istio DestinationRule's connectionPool: http1MaxPendingRequests, http2MaxRequests, "
        "maxRequestsPerConnection, tcp.maxConnections; Envoy's circuit_breakers thresholds); check who lowered them",
        re.compile(r"(?:^|[./_])(?:http1MaxPendingRequests|http2MaxRequests|maxRequestsPerConnection|"
                   r"maxConnections|maxPendingRequests|maxRequests|maxConcurrentStreams|maxRetries|"
                   r"max_pending_requests|max_requests|max_connections|max_retries)$", re.I),
        ("server",), _written, re.compile(r"destinationrule|istio|envoy|contour|httpproxy|gloo|upstream", re.I),
        tighter=True),
    Governed("gateway_rate_limit", re.compile(
        r"API rate limit exceeded|limiting requests, excess:|local_rate_limited|\b429 RL\b|"
        r"RateLimit-Remaining: 0\b|X-RateLimit-Remaining[-\w]*: 0\b|rate limit(?:ed| exceeded).{0,40}\b429\b|"
        r"\b429\b.{0,60}(?:Too Many Requests|rate limit)|"
        r"HTTP/[\d.]+\" 429 \d+", re.I),  # an access log's own line for a request answered 429 (combined format)
        "the gateway's rate limiter refused the requests (HTTP 429; Kong's rate-limiting plugin says 'API rate "
        "limit exceeded', NGINX 'limiting requests', Envoy flag RL): the quota and what it counts by are the "
        "gateway's settings (Kong config.minute/second/limit_by, NGINX limit-rps/limit-rpm annotations, Traefik "
        "rateLimit average/burst, Envoy's ratelimit service descriptors: requests_per_unit per unit); a unit "
        "widened (minute to hour) at the same count cuts the rate; a limit keyed by ip behind a load balancer "
        "that SNATs the clients' addresses puts every client in one bucket; check the plugin, annotation or "
        "descriptor written just before",
        re.compile(r"(?:^|[./_])(?:limit_by|minute|second|hour|day|policy|limit-r[pm][sm]|limit-connections|unit|"
                   r"window_size|"
                   r"limit-burst-multiplier|limit_req|average|burst|period|requests_per_unit|tokens_per_fill|"
                   r"max_tokens|fill_interval)$", re.I),
        ("server",), _written, re.compile(r"kong|nginx|traefik|envoy|rate.?limit|ratelimit|middleware|plugin",
                                          re.I), tighter=True),
    Governed("jwt_signature", re.compile(
        r"Signed JWT rejected|JWT signature does not match|token signature is invalid|JWS signature is invalid|"
        r"Signature verification failed|SignatureVerificationException|invalid (?:token )?signature|"
        r"crypto/rsa: verification error|Jwt verification fails|Jwks doesn't have key to match kid|"
        r"no matching key\(s\) found|Unable to find a signing key that matches", re.I),
        "the verifier rejects the token's signature: the token was signed with a key the verifier does not hold "
        "(a signing key rotated without publishing the old and new keys side by side, or a verifier pinned to a "
        "copied public key instead of fetching the JWKS); check the signing-key Secret rotated just before the "
        "401s and the key set the verifier loads",
        re.compile(r"(?:^|[./_-])(?:kid|jwks?(?:\.json)?|private(?:[-_]key)?\.pem|public(?:[-_]key)?\.pem|"
                   r"signing[-_.]?keys?|jwt[-_.]?(?:key|secret|signing[-_.]?key|public[-_.]?key)|\w+\.jwk)$"
                   r"|jwt|jwks|signing[-_]?key", re.I),
        ("keys", "self"), _written, re.compile(r"jwt|jwks|signing|oidc|auth", re.I)),
    Governed("wrong_server_read_only", re.compile(
        r"cannot execute \w+ in a read-only transaction|READONLY You can't write against a read only|"
        r"running with the --read-only option|super[_-]read[_-]only|NotWritablePrimary", re.I),
        "writes reach a read-only replica: the endpoint the client is configured with now leads to standbys "
        "(a write Service whose selector lost its primary-only label, a host pointed at a replica); check the "
        "Service's spec.selector and its endpoints, and the client's host setting",
        re.compile(r"^spec\.selector(?:\.|$)|^spec\.externalName$|(?:HOST|URL|DSN|ADDR(?:ESS)?|ENDPOINT|SERVER)S?$",
                   re.I), ("endpoint",), _endpoint,
        re.compile(r"(?:^|-)(?:pg|postgres(?:ql)?|mysql|maria(?:db)?|redis|valkey|mongo(?:db)?)(?:-|$)", re.I)),
)
"""Families whose governing setting lives in a server's, proxy's, gateway's or issuer's object, or the client's."""
