"""Count and size limits that software names in its own errors, the settings that are the limit, and the
settings that drive a workload into it.

A limit error is self-explaining once read with the software's documented semantics: Redis answers
"ERR max number of clients reached" when `maxclients` connections are open; PostgreSQL "sorry, too many
clients already" past `max_connections`; a Kafka consumer warns that "the time between subsequent calls
to poll() was longer than the configured max.poll.interval.ms" when one batch of up to `max.poll.records`
records takes longer than the interval; RabbitMQ closes a channel whose delivery was not acknowledged
within `consumer_timeout`, which a larger prefetch makes likelier; Elasticsearch rejects a document that
would add a field past `index.mapping.total_fields.limit`. Each row keeps:

* `error`: the wording the software (or its common clients) prints;
* `limit`: the settings that ARE the limit (a LOWER value explains the error);
* `driver`: settings documented to drive the workload into that limit (a HIGHER value explains it):
  records per poll against the poll interval, prefetch against the ack timeout, a client pool size
  against the server's connection cap;
* `sends`: whether a client revision that changes what it sends (more fields, bigger messages, more
  clauses) can by itself exceed the limit, without any limit setting changing.

Setting keys are compared in one normal form (`changed_keys.normal` joined by `_`), so `--maxclients`,
`maxclients 128` in redis.conf, `spring.kafka.consumer.max-poll-records` and
`SPRING_KAFKA_CONSUMER_MAX_POLL_RECORDS` all match. Keyed on each software's wording, never on an
incident's names or numbers. Sources: the Redis configuration docs (maxclients), PostgreSQL's runtime
config docs (max_connections), Apache Kafka consumer configs (max.poll.records, max.poll.interval.ms),
RabbitMQ's consumer docs (delivery acknowledgement timeout, prefetch), Elasticsearch's mapping limit
settings and search settings (search.max_buckets, index.max_result_window), grpc-go/grpc-java message size
options, nginx's client_max_body_size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.triage.changed_keys import normal


@dataclass(frozen=True)
class Limit:
    """One family of limit errors: the wording, the meaning, the limit's settings and what drives into it."""

    name: str
    error: re.Pattern[str]
    short: str
    """The limit and its effect in one clause: what a headline says first."""
    meaning: str
    limit: re.Pattern[str]
    """Normal-form keys (`max_poll_interval_ms`) of the settings that are the limit: lowering explains the error."""
    driver: re.Pattern[str] | None = None
    """Normal-form keys of settings that drive into the limit: raising explains the error."""
    engine: re.Pattern[str] | None = None
    """The enforcing software as object names spell it (a server whose own object sets the limit)."""
    sends: bool = False
    """A client's revision that changes what it sends can exceed the limit with no setting changed."""


_POOLS = re.compile(r"(?:^|_)(?:maximum_pool_size|max_pool_size|pool_size|pool_max|max_open_conns|max_connections|"
                    r"db_pool(?:_size)?|default_pool_size|max_db_connections|max_total|max_active|connection_limit)$")
"""A client's (or pooler's) connection pool size: more connections per pod toward the same server."""

LIMITS: tuple[Limit, ...] = (
    Limit("redis_maxclients", re.compile(r"max number of clients reached", re.I),
          "Redis refuses new connections past maxclients ('max number of clients reached')",
          "Redis refuses new connections once maxclients connections are open ('ERR max number of clients "
          "reached'): a lowered maxclients (a --maxclients flag, a redis.conf line) or callers opening more "
          "connections (bigger pools, more replicas) hit it at peak",
          re.compile(r"(?:^|_)maxclients$"), _POOLS, re.compile(r"redis|valkey|keydb|dragonfly", re.I)),
    Limit("db_max_connections", re.compile(
        r"sorry, too many clients already|remaining connection slots are reserved|too many connections for "
        r"(?:role|database)|\bToo many connections\b|ER_CON_COUNT_ERROR|no more connections allowed|"
        r"too many open connections", re.I),
          "the database (or its pooler) refuses new connections past its connection limit (max_connections, "
          "PgBouncer max_client_conn, MongoDB maxIncomingConnections)",
          "the database refuses new connections past max_connections (PostgreSQL 'sorry, too many clients "
          "already', MySQL 'Too many connections'): a lowered max_connections or clients opening more "
          "connections (a raised pool size times the replicas) exhaust the slots",
          re.compile(r"(?:^|_)(?:max_connections|max_user_connections|max_client_conn|max_incoming_connections)$"),
          _POOLS, re.compile(r"postgres|(?:^|-)pg(?:-|$)|pgbouncer|pgcat|mysql|maria|cockroach|timescale|percona|"
                             r"mongo", re.I)),
    Limit("client_pool_exhausted", re.compile(
        r"Connection is not available, request timed out after|QueuePool limit of size [\d#]+ overflow [\d#]+ "
        r"reached|Timeout waiting for idle object|pool (?:is )?exhausted|Cannot get a connection, pool error|"
        r"could not obtain a (?:database )?connection from the pool within|ConnectionTimeoutError", re.I),
          "the client's own connection pool is exhausted (HikariCP 'Connection is not available', SQLAlchemy "
          "'QueuePool limit of size N overflow M reached', ActiveRecord::ConnectionTimeoutError): more concurrent "
          "workers than pooled connections, so they wait for one and time out",
          "every connection of the pool is in use, so each request waits for one and times out: a lowered pool "
          "size (maximumPoolSize, pool_size, max_overflow, maxTotal, RAILS_MAX_THREADS) makes the pool too small "
          "for the load, and a raised worker concurrency (Sidekiq concurrency, Celery --concurrency, gunicorn "
          "threads, a worker count) above the pool the workers share leaves the extra workers waiting for a "
          "connection: concurrency must not exceed the connection pool",
          re.compile(r"(?:^|_)(?:maximum_pool_size|max_pool_size|pool_size|pool_max|max_open_conns|max_overflow|"
                     r"max_total|max_active|db_pool(?:_size)?|rails_max_threads)$"),
          re.compile(r"(?:^|_)(?:concurrency|worker_threads|num_threads|workers|num_workers|max_workers|"
                     r"worker_count|parallelism)$|(?:^|(?<!max)_)threads$")),
    Limit("kafka_poll_interval", re.compile(
        r"max\.poll\.interval\.ms|consumer poll timeout|poll timeout has expired", re.I),
          "one batch of max.poll.records records now outlasts max.poll.interval.ms, so the consumer is dropped "
          "from its group and the group rebalances in a loop",
          "each poll() returns up to max.poll.records records and the consumer must poll again within "
          "max.poll.interval.ms, so records per poll x time per record must stay under the interval: a raised "
          "max.poll.records (or a lowered max.poll.interval.ms) makes one batch outlast it, the member is "
          "dropped from the group, the group rebalances and the batch is redone in a loop while lag grows",
          re.compile(r"(?:^|_)max_poll_interval(?:_ms)?$"),
          re.compile(r"(?:^|_)max_poll_records$"),
          re.compile(r"kafka|strimzi|redpanda", re.I)),
    Limit("rabbitmq_ack_timeout", re.compile(
        r"delivery acknowledgement on channel \S+ timed out|consumer ack timed out|"
        r"timed out waiting for a consumer acknowledgement of a delivery|"
        r"PRECONDITION_FAILED.{0,40}(?:acknowledg\w*|ack) timed out", re.I),
          "deliveries now stay unacknowledged past consumer_timeout, so RabbitMQ closes the channel and redelivers",
          "RabbitMQ closes a channel whose delivery was not acknowledged within consumer_timeout: a lowered "
          "consumer_timeout, or a raised prefetch (each consumer holds more unacknowledged messages, the last "
          "of a batch waits longer) makes deliveries outlast it, and they are redelivered",
          re.compile(r"(?:^|_)consumer_timeout$"),
          re.compile(r"(?:^|_)(?:prefetch|prefetch_count|prefetch_multiplier|qos|basic_qos)$"),
          re.compile(r"rabbit", re.I)),
    Limit("elasticsearch_mapping_limit", re.compile(
        r"Limit of (?:total fields|mapping depth|nested fields|nested objects) \[[\d#]+\]|"
        r"maxClauseCount is set to|too_many_(?:nested_)?clauses", re.I),
          "the index mapping hit a mapping limit (total fields, depth, nested fields; dynamic mapping turns every "
          "new key sent into a field), so Elasticsearch rejects the documents",
          "Elasticsearch/OpenSearch rejects documents past the index mapping's limit of total fields "
          "(index.mapping.total_fields.limit, 1000 by default), depth or nested fields: with dynamic mapping "
          "every new key a client sends becomes a new field (a mapping explosion), so a client that now sends "
          "free-form keys fills the mapping and every document adding one is refused (queries past "
          "max_clause_count likewise)",
          re.compile(r"(?:^|_)mapping_(?:total_fields|depth|nested_fields|nested_objects)_limit$|"
                     r"(?:^|_)max_clause_count$"),
          None, re.compile(r"elastic|opensearch|\bes\b", re.I), sends=True),
    Limit("search_request_limit", re.compile(
        r"too_many_buckets_exception|Trying to create too many buckets|Result window is too large|"
        r"max_result_window|Trying to create too many scroll contexts|too_many_scroll_contexts", re.I),
          "the search engine now rejects searches past a lowered search limit (search.max_buckets: an aggregation "
          "that creates more buckets fails with too_many_buckets_exception; index.max_result_window: deep pages)",
          "Elasticsearch/OpenSearch refuse a whole search whose aggregation would create more buckets than the "
          "cluster setting search.max_buckets (65536 by default since 7.x), or whose from + size passes the index "
          "setting index.max_result_window (10000 by default), or past search.max_open_scroll_context: a lowered "
          "limit (an operator resource's node config, a cluster settings call, an env setting) makes the same "
          "histogram or page that worked before fail (a 400/500 to the client), while a client that now asks for "
          "finer or longer date histograms exceeds the old limit likewise",
          re.compile(r"(?:^|_)(?:max_buckets|max_result_window|max_open_scroll_context)$"),
          None, re.compile(r"elastic|opensearch|\bes\b", re.I), sends=True),
    Limit("open_shards_limit", re.compile(
        r"would add \[[\d#]+\] (?:total )?shards, but this cluster currently has \[[\d#]+\]/\[[\d#]+\] "
        r"maximum (?:normal |frozen )?shards open|maximum (?:normal |frozen )?shards open", re.I),
          "the cluster is at its cap of open shards (cluster.max_shards_per_node times the data nodes), so "
          "every new index (a daily or rollover index) is refused and writes to it fail",
          "Elasticsearch/OpenSearch refuse to create an index (or open one, or add replicas) whose shards would "
          "pass cluster.max_shards_per_node times the number of data nodes (1000 per node by default): a lowered "
          "per-node cap, or fewer data nodes, lets the running indices fill it, and the next rollover or daily "
          "index fails with a validation_exception while the existing indices stay green",
          re.compile(r"(?:^|_)max_shards_per_node(?:_frozen)?$"),
          None, re.compile(r"elastic|opensearch|\bes\b", re.I)),
    Limit("message_size_limit", re.compile(
        r"(?:received|trying to send) message larger than max|message larger than max \([\d#]+ vs\.? [\d#]+\)|"
        r"client intended to send too large body|Request Entity Too Large|PayloadTooLargeError|"
        r"RecordTooLargeException|when serialized which is larger than", re.I),
          "the message size now exceeds the maximum the producer or receiver allows (max.request.size, "
          "message.max.bytes, a max receive message length, client_max_body_size)",
          "a message or request body is larger than the receiver's maximum size (grpc max receive message "
          "length, nginx client_max_body_size, Kafka message.max.bytes / max.request.size): a lowered limit, or "
          "a client that now sends bigger payloads, exceeds it",
          re.compile(r"(?:^|_)(?:max_(?:recv|receive|send)_msg_size|max_(?:receive|send|inbound)_message_(?:length|"
                     r"size)|max_message_size|client_max_body_size|proxy_body_size|max_body_size|max_request_size|"
                     r"message_max_bytes|max_message_bytes)$"),
          None, re.compile(r"nginx|envoy|haproxy|traefik|ingress|gateway|kafka|strimzi|broker|rabbit|grpc", re.I),
          sends=True),
)


def key_form(key: str) -> str:
    """A setting key in the form the patterns read: `--maxclients` -> `maxclients`,
    `spring.kafka.consumer.max-poll-records` -> `spring_kafka_consumer_max_poll_records`."""
    return "_".join(normal(key))


def recognise(text: str) -> list[Limit]:
    """Every family whose wording `text` carries."""
    return [f for f in LIMITS if f.error.search(text)]
