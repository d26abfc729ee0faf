"""The log reader on what real software printed in failure conditions (tests/logfacts/recorded/README.md).

Each fixture is the unedited output of the program named in the README, run by `record.sh`. The
assertions are the facts a reader of that output must get: the class the failure belongs to and the
values it names, and no fact that the output does not hold (a docs link taken for a dependency, a
traceback's joint taken for an error).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.common.logfacts import LogError, LogFacts, extract

RECORDED = Path(__file__).parent / "recorded"


def facts_of(name: str) -> LogFacts:
    return extract((RECORDED / name).read_text().splitlines())


def error_with(facts: LogFacts, words: str) -> LogError:
    found = [e for e in facts.errors if words in e.template]
    assert len(found) == 1, [e.template for e in facts.errors]
    return found[0]


def test_nginx_names_the_unresolved_upstream_and_its_resolver_not_a_refused_or_slow_upstream() -> None:
    facts = facts_of("nginx_error.log")
    unresolved = error_with(facts, "could not be resolved")
    assert unresolved.error_class == "dns_failure"
    assert unresolved.fields["dns_name"] == "orders.shop.svc.cluster.local"
    resolver = error_with(facts, "while resolving")
    assert resolver.error_class == "dns_failure"
    assert resolver.fields["resolver"] == "127.0.0.1:1" and "upstream_host" not in resolver.fields
    assert error_with(facts, "while connecting to upstream").error_class == "connection_refused"
    assert error_with(facts, "upstream timed out").error_class == "connection_timeout"
    assert "orders.shop.svc.cluster.local" in facts.hosts


def test_nginx_json_access_log_reads_like_its_combined_twin() -> None:
    as_json, as_text = facts_of("nginx_access_json.log"), facts_of("nginx_access.log")
    assert as_json.formats == {"json_access": 5}
    assert as_json.status_codes == as_text.status_codes == {"502": 3, "504": 1, "500": 1}
    assert sorted(e.template for e in as_json.errors) == sorted(e.template for e in as_text.errors)
    refused = error_with(as_json, "/refused")
    assert (refused.count, refused.fields["method"], refused.fields["upstream_host"]) == (2, "GET", "127.0.0.1:18999")
    assert "upstream_host" not in error_with(as_json, "/dns").fields  # nginx never reached one: `""`
    assert as_json.hosts == ["127.0.0.1"]


def test_node_fetch_failed_is_decided_by_its_cause() -> None:
    facts = facts_of("node.log")
    refused = error_with(facts, "ECONNREFUSED")
    assert refused.error_class == "connection_refused" and refused.count == 2  # fetch's cause and net.connect
    assert refused.fields["address"] == "127.0.0.1:18999"
    unresolved = error_with(facts, "ENOTFOUND")
    assert unresolved.error_class == "dns_failure"
    assert unresolved.fields["dns_name"] == "payments.billing.svc.cluster.local.invalid"
    assert not [e for e in facts.errors if "fetch failed" in e.template]
    assert error_with(facts, "aborted due to timeout").error_class == "connection_timeout"


def test_node_undici_socket_and_tls_causes_name_the_peer() -> None:
    facts = facts_of("node_undici.log")
    closed = error_with(facts, "other side closed")
    assert (closed.error_class, closed.exception) == ("upstream_reset", "SocketError [UND_ERR_SOCKET]")
    assert closed.fields["address"] == "127.0.0.1:18998"
    tls = error_with(facts, "secure TLS connection")
    assert tls.error_class == "upstream_reset" and tls.fields["address"] == "127.0.0.1:18998"
    assert error_with(facts, "ECONNREFUSED").fields["address"] == "127.0.0.1:18999"


def test_node_happy_eyeballs_aggregate_error_takes_its_attempts_message() -> None:
    [err] = facts_of("node_multi.log").errors
    assert err.error_class == "connection_refused" and err.exception == "AggregateError [ECONNREFUSED]"
    assert err.message and "connect ECONNREFUSED" in err.message


def test_java_httpclient_unresolved_address_is_dns_and_refusals_stay_refusals() -> None:
    facts = facts_of("java.log")
    by_exception = {e.exception: e.error_class for e in facts.errors}
    assert by_exception == {
        "java.nio.channels.UnresolvedAddressException": "dns_failure",  # HttpClient, unknown host
        "java.nio.channels.ClosedChannelException": "connection_refused",  # HttpClient, ConnectException w/o message
        "java.net.ConnectException": "connection_refused",  # java.net.Socket
        "java.net.http.HttpTimeoutException": "connection_timeout",
        "java.lang.OutOfMemoryError": "oom",
    }


def test_python_chained_tracebacks_have_no_joint_entries_and_no_docs_host() -> None:
    facts = facts_of("py.log")
    assert not [e for e in facts.errors if "above exception" in e.template]
    assert set(facts.hosts) == {"127.0.0.1", "ledger.finance.svc.cluster.local.invalid"}
    status = error_with(facts, "HTTPStatusError")
    assert status.error_class == "http_5xx" and status.fields["upstream_host"] == "127.0.0.1"
    assert status.message and "For more information check" in status.message  # the message's second line
    assert status.fields["doc_url"].startswith("https://developer.mozilla.org/")
    assert facts.lines == len([ln for ln in (RECORDED / "py.log").read_text().splitlines() if ln.strip()])
    classes = {e.exception: e.error_class for e in facts.errors if e.exception}
    assert classes["httpx.ConnectError"] in ("connection_refused", "dns_failure")
    assert classes["httpx.ReadTimeout"] == "connection_timeout"


@pytest.mark.parametrize("name", ["pg.log", "psql_client.log"])
def test_postgres_login_refusals_are_auth_failures_naming_role_and_database(name: str) -> None:
    facts = facts_of(name)
    assert error_with(facts, "role <quoted> does not exist").fields["db_user"] == "nosuch"
    assert error_with(facts, "database <quoted> does not exist").fields["database"] == "nosuchdb"
    assert error_with(facts, "password authentication failed").fields["db_user"] == "pwuser"
    rejected = error_with(facts, "rejects connection")
    assert (rejected.fields["db_user"], rejected.fields["database"]) == ("blocked", "postgres")
    no_entry = error_with(facts, "no pg_hba.conf entry")
    assert (no_entry.fields["db_user"], no_entry.fields["database"]) == ("postgres", "other")
    login = [e for e in facts.errors if ("does not exist" in e.template and "relation" not in e.template)
             or "pg_hba" in e.template or "password" in e.template]
    assert {e.error_class for e in login} == {"auth_failure"}
    assert error_with(facts, "too many clients").error_class == "connection_limit"
    assert error_with(facts, "duplicate key").error_class == "db_error"
    assert error_with(facts, "relation <quoted> does not exist").error_class == "db_error"


def test_psql_names_the_server_it_connected_to() -> None:
    err = error_with(facts_of("psql_client.log"), "role <quoted> does not exist")
    assert err.fields["address"] == "127.0.0.1:15432"


def test_redis_maxmemory_refusal_is_the_store_full_not_the_caller_oom() -> None:
    [err] = facts_of("redis_client.log").errors
    assert err.error_class == "store_full"
    server = facts_of("redis.log")
    assert server.hosts == [] and all(e.error_class is None for e in server.errors)  # the jemalloc issue link


def test_haproxy_reading_is_unchanged() -> None:
    facts = facts_of("haproxy.log")
    assert facts.status_codes == {"504": 2, "500": 1, "200": 1}
    assert error_with(facts, "sH--").error_class == "connection_timeout"
    assert error_with(facts, "is DOWN").error_class == "connection_refused"


# ---- record_more.sh: Go, gunicorn, uvicorn, MariaDB --------------------------------------------------------

def test_go_http_client_failures_each_get_their_class_and_peer() -> None:
    facts = facts_of("go_client.log")
    classes = {e.fields.get("url", e.template): e.error_class for e in facts.errors}
    assert classes == {
        "http://127.0.0.1:18999/x": "connection_refused",
        "http://ledger.finance.svc.cluster.local.invalid:8080/x": "dns_failure",
        "http://127.0.0.1:18081/slow": "connection_timeout",
        "http://127.0.0.1:18998/x": "upstream_reset",  # `Get "...": EOF`: the peer closed
        "https://127.0.0.1:18081/x": "tls_error",
        "panic: assignment to entry in nil map": "panic",
    }
    dns = error_with(facts, "lookup")
    assert dns.fields["dns_name"] == "ledger.finance.svc.cluster.local.invalid"
    assert dns.fields["resolver"].endswith(":53") and dns.fields["upstream_port"] == "8080"


def test_go_server_recovered_panic_is_one_entry_and_its_client_is_no_upstream() -> None:
    facts = facts_of("go_server.log")
    panic = error_with(facts, "nil pointer dereference")
    assert (panic.error_class, panic.count, panic.exception) == ("panic", 2, "panic")
    assert "upstream_host" not in panic.fields  # `panic serving 127.0.0.1:52662` names the client
    assert len(facts.errors) == 2  # the goroutine dumps are no entries of their own
    assert error_with(facts, "proxy error").fields["address"] == "127.0.0.1:18999"


def test_gunicorn_worker_timeout_and_request_errors() -> None:
    facts = facts_of("gunicorn.log")
    assert error_with(facts, "WORKER TIMEOUT").error_class == "connection_timeout"
    assert error_with(facts, "ConnectionRefusedError").error_class == "connection_refused"
    assert error_with(facts, "RuntimeError").message == "order 42 has no customer"
    assert facts.hosts == []  # `(pid:14707)` is no address


def test_uvicorn_access_lines_are_counted_and_a_500_is_an_error() -> None:
    facts = facts_of("uvicorn.log")
    assert facts.status_codes == {"500": 2, "200": 1}
    boom = error_with(facts, "GET /boom")
    assert (boom.error_class, boom.severity, boom.fields["status"]) == ("http_5xx", "error", "500")
    assert error_with(facts, "KeyError").error_class == "exception"


def test_mariadb_client_errors() -> None:
    facts = facts_of("mariadb_client.log")
    assert error_with(facts, "(using password").fields["db_user"] == "app"
    assert error_with(facts, "Unknown database").fields["database"] == "nosuchdb"
    denied_db = error_with(facts, "to database")
    assert (denied_db.error_class, denied_db.fields["database"]) == ("auth_failure", "mysql")
    refused = error_with(facts, "(HY0<num>): Can")
    assert (refused.error_class, refused.fields["upstream_host"]) == ("connection_refused", "127.0.0.1")
    unknown = error_with(facts, "Unknown server host")
    assert unknown.error_class == "dns_failure"
    assert unknown.fields["dns_name"] == "orders-db.shop.svc.cluster.local.invalid"
    assert error_with(facts, "Too many connections").error_class == "connection_limit"
    assert {error_with(facts, w).error_class for w in ("doesn't exist", "already exists", "Duplicate entry")} == {
        "db_error"}


def test_mariadb_server_log_warns_of_refused_logins() -> None:
    facts = facts_of("mariadb.log")
    refused = [e for e in facts.errors if e.error_class == "auth_failure"]
    assert {e.fields.get("db_user") for e in refused} == {"app"} and all(e.severity == "warning" for e in refused)
