"""Settings inside configuration files that bound a resource: the limit an error says was reached.

A Redis at `maxmemory` with `maxmemory-policy noeviction`, a PostgreSQL at `max_connections`, an
nginx whose `client_max_body_size` refuses uploads, a Hikari pool of 10: the pods are Running and
Ready, nothing in the cluster's state is wrong, and the error in the logs names a limit. The limit
is a line inside a ConfigMap value (redis.conf, postgresql.conf, my.cnf, nginx.conf, pgbouncer.ini,
application.yaml/properties, JSON). This module reads those files and keeps only the settings that
bound a resource, each typed by the resource it bounds and the phrases its software prints when
the limit bites, so triage can match an error to the setting and cite key, value and ConfigMap.

Only settings in the tables below leave this module; any other line (a `requirepass`, a DSN) is
never returned, so a credential kept in a ConfigMap cannot travel with a setting.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MEMORY, CONNECTIONS, TIMEOUT, SIZE, RATE = "memory", "connections", "timeout", "size", "rate"


@dataclass(frozen=True)
class Limit:
    """One kind of setting: which keys, what resource, and the words its software says at the limit."""

    software: str
    key: re.Pattern[str]
    resource: str
    says: re.Pattern[str]


def _k(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:[\w.\-\[\]]*[.\-_])?(?:{pattern})$", re.I)


def _s(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


KNOWN: tuple[Limit, ...] = (
    # Redis (redis.conf: `directive value`)
    Limit("redis", _k(r"maxmemory"), MEMORY, _s(r"OOM command not allowed|used memory > 'maxmemory'|maxmemory")),
    Limit("redis", _k(r"maxmemory-policy"), MEMORY,
          _s(r"OOM command not allowed|used memory > 'maxmemory'|noeviction")),
    Limit("redis", _k(r"maxclients"), CONNECTIONS, _s(r"max number of clients reached|maxclients")),
    Limit("redis", _k(r"proto-max-bulk-len|client-query-buffer-limit"), SIZE, _s(r"invalid bulk length|query buffer")),
    # PostgreSQL (postgresql.conf: `name = value`)
    Limit("postgresql", _k(r"max_connections|superuser_reserved_connections"), CONNECTIONS,
          _s(r"too many clients already|remaining connection slots are reserved|max_connections")),
    Limit("postgresql", _k(r"statement_timeout"), TIMEOUT, _s(r"canceling statement due to statement timeout")),
    Limit("postgresql", _k(r"idle_in_transaction_session_timeout"), TIMEOUT,
          _s(r"idle-in-transaction timeout|idle_in_transaction_session_timeout")),
    Limit("postgresql", _k(r"lock_timeout"), TIMEOUT, _s(r"canceling statement due to lock timeout")),
    Limit("postgresql", _k(r"work_mem|shared_buffers|maintenance_work_mem"), MEMORY,
          _s(r"out of memory|could not resize shared memory|out of shared memory")),
    Limit("postgresql", _k(r"max_locks_per_transaction"), MEMORY,
          _s(r"out of shared memory|max_locks_per_transaction")),
    # MySQL / MariaDB (my.cnf: `name = value` under [mysqld])
    Limit("mysql", _k(r"max_connections|max_user_connections"), CONNECTIONS,
          _s(r"Too many connections|max_user_connections|ER_CON_COUNT_ERROR|\b1040\b")),
    Limit("mysql", _k(r"max_allowed_packet"), SIZE, _s(r"max_allowed_packet|Packet too large|packet bigger than")),
    Limit("mysql", _k(r"wait_timeout|interactive_timeout"), TIMEOUT,
          _s(r"server has gone away|Lost connection to MySQL server|wait_timeout")),
    Limit("mysql", _k(r"innodb_lock_wait_timeout"), TIMEOUT, _s(r"Lock wait timeout exceeded")),
    Limit("mysql", _k(r"innodb_buffer_pool_size|tmp_table_size|max_heap_table_size"), MEMORY,
          _s(r"table '.*' is full|out of memory")),
    # nginx (nginx.conf: `directive value;`)
    Limit("nginx", _k(r"client_max_body_size"), SIZE,
          _s(r"client intended to send too large body|Request Entity Too Large|\b413\b")),
    Limit("nginx", _k(r"proxy_read_timeout|proxy_send_timeout|fastcgi_read_timeout|uwsgi_read_timeout"), TIMEOUT,
          _s(r"upstream timed out|\b504\b|Gateway Time-?out")),
    Limit("nginx", _k(r"proxy_connect_timeout"), TIMEOUT, _s(r"upstream timed out \(110: Connection timed out\) while "
                                                              r"connecting")),
    Limit("nginx", _k(r"worker_connections"), CONNECTIONS, _s(r"worker_connections are not enough")),
    Limit("nginx", _k(r"limit_req(?:_zone)?|limit_conn(?:_zone)?"), RATE,
          _s(r"limiting requests|limiting connections|\b429\b|\b503\b")),
    # PgBouncer (pgbouncer.ini)
    Limit("pgbouncer", _k(r"max_client_conn"), CONNECTIONS, _s(r"no more connections allowed|max_client_conn")),
    Limit("pgbouncer", _k(r"default_pool_size|pool_size|max_db_connections"), CONNECTIONS,
          _s(r"query_wait_timeout|pool_size|max_db_connections")),
    Limit("pgbouncer", _k(r"query_wait_timeout|query_timeout"), TIMEOUT, _s(r"query_wait_timeout|query_timeout")),
    # Java pools and servers (Spring application.yaml/properties, Hikari, Tomcat)
    Limit("hikari", _k(r"maximum-pool-size|maximumPoolSize|max-pool-size"), CONNECTIONS,
          _s(r"Connection is not available, request timed out|HikariPool.*(?:timeout|exhausted)|pool exhausted")),
    Limit("hikari", _k(r"connection-timeout|connectionTimeout"), TIMEOUT,
          _s(r"Connection is not available, request timed out")),
    Limit("tomcat", _k(r"max-threads|maxThreads|max-connections|maxConnections|accept-count"), CONNECTIONS,
          _s(r"thread pool exhausted|All threads .* are currently busy|maxThreads")),
    Limit("spring", _k(r"max-file-size|max-request-size"), SIZE,
          _s(r"MaxUploadSizeExceeded|SizeLimitExceeded|exceeds its maximum permitted size")),
    # Kafka clients and brokers
    Limit("kafka", _k(r"max\.request\.size|message\.max\.bytes|max\.message\.bytes"), SIZE,
          _s(r"RecordTooLargeException|MESSAGE_TOO_LARGE|message is \d+ bytes when serialized which is larger")),
    Limit("kafka", _k(r"request\.timeout\.ms|delivery\.timeout\.ms|max\.block\.ms"), TIMEOUT,
          _s(r"Expiring \d+ record|TimeoutException|not present in metadata after")),
    Limit("kafka", _k(r"max\.poll\.interval\.ms"), TIMEOUT,
          _s(r"CommitFailedException|max\.poll\.interval\.ms|exceeded the max poll interval")),
    # MongoDB (mongod.conf)
    Limit("mongodb", _k(r"maxIncomingConnections"), CONNECTIONS, _s(r"connection refused because too many open")),
    # Elasticsearch / JVM heap in a jvm.options file
    Limit("jvm", _k(r"-Xmx\S*|Xmx|max-heap|heap-size|heapsize"), MEMORY,
          _s(r"OutOfMemoryError|Java heap space|GC overhead limit|circuit_breaking_exception|CircuitBreaking")),
)
"""Well-known settings per software: the key (any prefix, e.g. `spring.datasource.hikari.`), the
resource it bounds, and what that software prints when the limit is reached (its documented
messages)."""

GENERIC: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"max.?(?:conn|client|connection)s?|(?:conn|connection)s?.?(?:limit|max)|pool.?(?:size|max)|"
                r"max.?pool", re.I), CONNECTIONS),
    (re.compile(r"timeout|time.?out", re.I), TIMEOUT),
    (re.compile(r"max.?(?:mem|memory|heap)|(?:mem|memory|heap).?(?:limit|max|size)", re.I), MEMORY),
    (re.compile(r"max.?(?:body|request|upload|payload|message|file|packet).?(?:size|bytes|length)|"
                r"(?:body|upload|payload|packet).?(?:limit|max)", re.I), SIZE),
    (re.compile(r"rate.?limit|(?:requests|req).?per.?(?:second|minute)|\brps\b|\bqps\b|throttle", re.I), RATE),
)
"""Key names that bound a resource whatever the software (`maxConnections`, `db.pool.size`,
`upstream_timeout`, `max_body_bytes`): matched to errors by their resource class only."""

_INI_LINE = re.compile(r"^\s*([A-Za-z_][\w.\-\[\]]*)\s*(?:=|:|\s)\s*(.*?)\s*;?\s*$")
_CFG_SECTION = re.compile(r"^\s*\[[^\]]+\]\s*$")


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(obj, dict):
        out: list[tuple[str, str]] = []
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, list):
        return []
    return [(prefix, str(obj))] if prefix else []


def parse_settings(text: str) -> list[tuple[str, str]]:
    """(key, value) pairs of a configuration file in any of the common shapes.

    JSON objects are flattened to dotted keys; otherwise each line is `key value`, `key = value`,
    `key: value` or `directive value;`, with YAML indentation turned into dotted keys. Comments
    (`#`, `;`, `//`) and section headers are skipped. A one-line value (an env literal) is one pair
    when it looks like `key=value`, else none.
    """
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            return _flatten(json.loads(stripped))
        except ValueError:
            pass
    out: list[tuple[str, str]] = []
    parents: list[tuple[int, str]] = []
    lines = text.splitlines()[:2000]
    if "{" in text and re.search(r";\s*$", text, re.M):  # nginx-style blocks: one directive per `;`
        lines = [part.strip() for line in lines for part in re.split(r"[{};]", line) if part.strip()]
    for raw in lines:
        line = raw.split(" #", 1)[0].rstrip()
        body = line.strip()
        if not body or body.startswith(("#", ";", "//", "---")) or _CFG_SECTION.match(body) or body in ("{", "}"):
            continue
        indent = len(line) - len(line.lstrip())
        while parents and parents[-1][0] >= indent:
            parents.pop()
        if body.endswith(":") and " " not in body.rstrip(":"):  # a YAML mapping key: its children follow
            parents.append((indent, body.rstrip(":")))
            continue
        m = _INI_LINE.match(body.rstrip("{").strip())
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip().strip("\"'")
        if not value:
            continue
        prefix = ".".join(p for _, p in parents)
        out.append((f"{prefix}.{key}" if prefix else key, value))
    return out


@dataclass(frozen=True)
class Bound:
    """A setting that bounds a resource, with what its software says when the bound is reached."""

    key: str
    value: str
    resource: str
    software: str
    says: str
    """The software's limit phrases as a regular expression ("" for a generic key-name match)."""


def bounding(text: str) -> list[Bound]:
    """The settings of one configuration file that bound a resource (table first, then key patterns)."""
    out: list[Bound] = []
    for key, value in parse_settings(text):
        if len(value) > 120:
            continue
        leaf = key.rsplit(".", 1)[-1] if not re.search(r"\.(?:ms|bytes|size)$", key) else key
        known = [lim for lim in KNOWN if lim.key.match(key) or lim.key.match(leaf)]
        if known:  # one key name, several programs (max_connections): each one's words count
            out.append(Bound(key, value, known[0].resource, "/".join(dict.fromkeys(k.software for k in known)),
                             "|".join(k.says.pattern for k in known)))
            continue
        tail = ".".join(key.split(".")[-2:])
        generic = next((res for pattern, res in GENERIC if pattern.search(tail)), None)
        if generic is not None and _looks_like_a_limit(value):
            out.append(Bound(key, value, generic, "", ""))
    return out


def _looks_like_a_limit(value: str) -> bool:
    """A number, a size or a duration (`100`, `1gb`, `512Mi`, `30s`, `1500ms`): not a name or a path."""
    return re.fullmatch(r"-?\d+(?:\.\d+)?\s*(?:[kmgt]i?b?|bytes?|ms|s|sec|seconds?|m|min|h)?", value.strip(),
                        re.I) is not None

