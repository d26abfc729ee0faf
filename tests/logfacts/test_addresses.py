"""key:value pairs (`pid:33`, `line:12`, `attempt:3`) are never addresses; real addresses stay.

Lines are written the way real software prints them (gunicorn, uWSGI, Go's net package, redis-py,
libpq, the Kafka Java client, Node's net module); no server is needed to parse a line.
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts.addresses import plausible
from mcp_servers.common.logfacts.extract import extract as extract_facts
from mcp_servers.common.logfacts.fields import extract

NOT_ADDRESSES = [
    "[2026-12-03 14:56:48 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:33)",
    "[2026-12-03 14:56:48 +0000] [1] [ERROR] Worker (pid:41) was sent SIGKILL! Perhaps out of memory?",
    "Traceback: handler raised ValueError at line:12",
    "request failed attempt:3 of 5, giving up",
    "[tid:7] job took 31s, over budget",
    "retry:2 backoff 400ms",
    "DAMN ! worker 3 (pid: 1942) died, killed by signal 9 :( trying respawn ...",
    "consumer generation:4182 offset:991 commit failed",
]

ADDRESSES = [
    ("dial tcp 10.0.3.4:5432: connect: connection refused", "10.0.3.4", "5432"),
    ("Error 111 connecting to redis:6379. Connection refused.", "redis", "6379"),
    ("could not connect to server: postgres:5432", "postgres", "5432"),
    ("upstream timed out while reading response header from upstream, upstream: payments:8080", "payments", "8080"),
    ("Error: connect ECONNREFUSED orders-api:3000", "orders-api", "3000"),
    ("Get payments-db.shop.svc.cluster.local:5432 failed after 3 tries", "payments-db.shop.svc.cluster.local",
     "5432"),
    ("pid:33 lost its connection: dial tcp inventory:9090: i/o timeout", "inventory", "9090"),
    ("attempt:3 failed: connection refused by checkout.shop.svc:8443", "checkout.shop.svc", "8443"),
]


@pytest.mark.parametrize("line", NOT_ADDRESSES)
def test_key_value_pairs_are_not_addresses(line: str) -> None:
    fields = extract(line)
    assert "upstream_host" not in fields and "address" not in fields, fields


@pytest.mark.parametrize(("line", "host", "port"), ADDRESSES)
def test_real_addresses_stay(line: str, host: str, port: str) -> None:
    fields = extract(line)
    assert (fields.get("upstream_host"), fields.get("upstream_port")) == (host, port), fields


def test_one_label_names_need_a_network_context() -> None:
    assert not plausible("billing", "job billing:42 finished")
    assert plausible("billing", "connect to billing:8080 refused")
    assert plausible("billing.shop.svc", "billing.shop.svc:8080")
    assert not plausible("pid", "dial tcp pid:33")  # a counter key never, whatever the line says


def test_worker_timeout_names_no_host_in_the_log_facts() -> None:
    lines = [f"[2026-12-03 14:5{i}:48 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:{30 + i})" for i in range(5)]
    lines += ["2026-12-03 14:56:48,000 ERROR product_api.db: query failed: psycopg.errors.QueryCanceled: "
              "canceling statement due to statement timeout"]
    facts = extract_facts(lines)
    assert facts.errors, "the errors are still found"
    assert not facts.hosts, facts.hosts
