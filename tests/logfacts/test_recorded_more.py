"""The log reader on the third recorded set (tests/logfacts/recorded/README.md, `record_log2.sh`): Python clients
(requests/urllib3, aiohttp, grpcio, botocore, SQLAlchemy+psycopg, asyncpg, redis-py, pika, kafka-python), Node
clients (pg, ioredis, the MongoDB driver, @grpc/grpc-js), Apache httpd with mod_proxy and PHP-FPM.

Each fixture is what the program printed, unedited. The assertions are the class each failure belongs to and the
values it names, and no fact the output does not hold: a client's or a local socket's address taken for the
upstream, an `ssl:default` setting taken for a TLS failure, a docs line or a call-site heading taken for an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.common.logfacts import LogError, LogFacts, extract

RECORDED = Path(__file__).parent / "recorded"


def facts_of(name: str) -> LogFacts:
    return extract((RECORDED / name).read_text().splitlines(), max_errors=100)


def errors_with(facts: LogFacts, words: str) -> list[LogError]:
    return [e for e in facts.errors if words in e.template or words in (e.exception or "")]


def one(facts: LogFacts, words: str) -> LogError:
    found = errors_with(facts, words)
    assert len(found) == 1, [e.template for e in found]
    return found[0]


def by_class(facts: LogFacts, words: str) -> dict[str | None, LogError]:
    return {e.error_class: e for e in errors_with(facts, words)}


def test_requests_and_urllib3_name_the_peer_of_every_wrapper() -> None:
    facts = facts_of("py_requests.log")
    wrappers = by_class(facts, "requests.exceptions.ConnectionError")
    assert set(wrappers) == {"connection_refused", "dns_failure", "connection_timeout"}
    assert wrappers["connection_refused"].fields["address"] == "127.0.0.1:18999"  # HTTPConnectionPool(host=, port=)
    assert wrappers["dns_failure"].fields["dns_name"] == "payments.billing.svc.cluster.local.invalid"
    assert wrappers["connection_timeout"].fields["address"] == "127.0.0.1:18082"
    tls = one(facts, "requests.exceptions.SSLError")
    assert tls.error_class == "tls_error" and tls.fields["address"] == "127.0.0.1:18082"


def test_urllib3_retries_given_up_on_a_status_read_as_that_status() -> None:
    facts = facts_of("py_requests.log")
    busy = one(facts, "requests.exceptions.RetryError")
    assert (busy.error_class, busy.fields["status"]) == ("unavailable", "503")  # too many 503 error responses
    limited = by_class(facts, "requests.exceptions.HTTPError")
    assert limited["rate_limited"].fields["status"] == "429"
    assert limited["http_5xx"].fields["status"] == "500"


def test_aiohttp_ssl_setting_is_no_tls_failure_and_the_tuple_names_the_peer() -> None:
    facts = facts_of("py_aiohttp.log")
    refused = one(facts, "ClientConnectorError")
    assert refused.error_class == "connection_refused" and refused.fields["address"] == "127.0.0.1:18999"
    asyncio_refused = one(facts, "ConnectionRefusedError")  # `Connect call failed ('127.0.0.1', 18999)`
    assert asyncio_refused.fields["address"] == "127.0.0.1:18999"
    unresolved = one(facts, "ClientConnectorDNSError")
    assert (unresolved.error_class, unresolved.fields["dns_name"]) == (
        "dns_failure", "stock.warehouse.svc.cluster.local.invalid")
    assert one(facts, "ClientConnectorSSLError").error_class == "tls_error"
    responses = by_class(facts, "ClientResponseError")
    assert responses["unavailable"].fields["status"] == "503"
    assert responses["permission_denied"].fields["status"] == "403"


@pytest.mark.parametrize(("what", "error_class", "grpc_code"), [
    ("Quote(x) on <ip>", "connection_refused", "Unavailable"),
    ("dns:///quote.pricing", "dns_failure", "Unavailable"),
    ("Quote(slow)", "connection_timeout", "DeadlineExceeded"),
    ("Quote(quota)", "rate_limited", "ResourceExhausted"),
    ("Quote(auth)", "auth_failure", "Unauthenticated"),
    ("Quote(forbidden)", "permission_denied", "PermissionDenied"),
    ("Missing failed", None, "Unimplemented"),
])
def test_grpcio_rpc_error_is_read_from_its_status_and_details_lines(
        what: str, error_class: str | None, grpc_code: str) -> None:
    err = one(facts_of("py_grpc.log"), what)
    assert (err.error_class, err.fields["grpc_code"]) == (error_class, grpc_code)


def test_grpcio_unresolved_target_names_the_host() -> None:
    err = one(facts_of("py_grpc.log"), "dns:///quote.pricing")
    assert err.fields["dns_name"] == "quote.pricing.svc.cluster.local.invalid"
    assert "plain" not in facts_of("py_grpc.log").formats  # the closing `>` ends the record it belongs to


def test_botocore_endpoint_error_takes_the_class_of_the_transport_error_it_was_raised_for() -> None:
    endpoint = by_class(facts_of("py_botocore.log"), "EndpointConnectionError")
    assert set(endpoint) == {"connection_refused", "dns_failure"}
    assert endpoint["connection_refused"].fields["address"] == "127.0.0.1:18999"
    assert endpoint["dns_failure"].fields["dns_name"] == "sqs.eu-west-1.amazonaws.com.invalid"


@pytest.mark.parametrize(("exception", "error_class"), [
    ("botocore.errorfactory.AccessDenied", "permission_denied"),
    ("botocore.exceptions.NoCredentialsError", "auth_failure"),
    ("botocore.errorfactory.ThrottlingException", "rate_limited"),
    ("botocore.errorfactory.ProvisionedThroughputExceededException", "rate_limited"),
    ("botocore.errorfactory.NoSuchBucket", "exception"),  # a missing resource: no class claims it
])
def test_botocore_client_errors(exception: str, error_class: str) -> None:
    assert one(facts_of("py_botocore.log"), exception).error_class == error_class


def test_botocore_invalid_security_token_and_retried_slowdown() -> None:
    errors = by_class(facts_of("py_botocore.log"), "botocore.exceptions.ClientError")
    assert "UnrecognizedClientException" in errors["auth_failure"].template
    assert "SlowDown" in errors["rate_limited"].template


def test_sqlalchemy_pool_limit_tls_mismatch_and_its_trailer_lines() -> None:
    facts = facts_of("py_sqlalchemy.log")
    assert one(facts, "QueuePool limit").error_class == "connection_limit"
    tls = by_class(facts, "SSL was required")
    assert set(tls) == {"tls_error"} and "env_var" not in tls["tls_error"].fields
    assert not [e for e in facts.errors if e.template.startswith(("(Background", "[SQL"))]
    assert set(facts.formats) == {"stacktrace", "leveled"}
    assert {e.error_class for e in errors_with(facts, "too many clients")} == {"connection_limit"}
    assert {e.error_class for e in errors_with(facts, "statement timeout")} == {"connection_timeout"}


def test_asyncpg_refusal_names_the_tuple_address() -> None:
    err = one(facts_of("py_sqlalchemy.log"), "Connect call failed")
    assert (err.error_class, err.fields["address"]) == ("connection_refused", "127.0.0.1:15499")


def test_pika_names_the_broker_never_its_own_socket() -> None:
    facts = facts_of("py_brokers.log")
    local = one(facts, "Socket failed to connect")  # `laddr=('127.0.0.1', 44858)` is this process's socket
    assert local.error_class == "connection_refused" and "upstream_port" not in local.fields
    dest = one(facts, "TCP Connection attempt failed")
    assert dest.fields["address"] == "127.0.0.1:15699"
    assert one(facts, "redis.exceptions.OutOfMemoryError").error_class == "store_full"
    assert one(facts, "redis.exceptions.ConnectionError").fields["address"] == "127.0.0.1:16399"


def test_node_clients_grpc_call_site_is_no_error_of_its_own() -> None:
    facts = facts_of("node_libs.log")
    assert not [e for e in facts.errors if e.template.strip() in ("Error:", "for call at")]
    unavailable = errors_with(facts, "UNAVAILABLE")
    assert {e.error_class for e in unavailable} == {"connection_refused", "dns_failure"}
    assert {e.fields["grpc_code"] for e in unavailable} == {"Unavailable"}
    assert one(facts, "too many clients").error_class == "connection_limit"
    assert one(facts, "password authentication failed").fields["db_user"] == "app"
    [refused] = [e for e in facts.errors if e.template == "Error: connect ECONNREFUSED <ip>"]
    assert refused.count == 4  # ioredis twice, the MongoDB driver's innermost [cause], Express's final handler


def test_apache_error_log_reads_the_os_reason_and_never_takes_the_client_for_the_upstream() -> None:
    facts = facts_of("apache_error.log")
    assert facts.formats == {"apache_error": 13}
    for err in facts.errors:
        assert not err.fields.get("upstream_port", "").startswith(("3", "4", "5", "6"))  # ephemeral client ports
    refused = one(facts, "attempt to connect to")
    assert (refused.error_class, refused.fields["address"]) == ("connection_refused", "127.0.0.1:18999")
    backend = one(facts, "failed to make connection to backend")
    assert (backend.error_class, backend.fields["upstream_host"]) == ("connection_refused", "127.0.0.1")
    assert backend.fields["client"].startswith("127.0.0.1:")
    slow = one(facts, "error reading status line")
    assert (slow.error_class, slow.fields["address"]) == ("connection_timeout", "127.0.0.1:18082")
    dns = one(facts, "DNS lookup failure")
    assert (dns.error_class, dns.fields["dns_name"]) == ("dns_failure", "orders.shop.svc.cluster.local.invalid")
    assert one(facts, "client denied by server configuration").error_class == "permission_denied"
    assert one(facts, "Error dispatching request").error_class == "upstream_reset"
    assert all(e.severity == "error" for e in facts.errors)  # notices (start, SIGTERM) are no errors


def test_apache_combined_access_log_counts_statuses() -> None:
    facts = facts_of("apache_access.log")
    assert facts.status_codes == {"503": 4, "500": 3, "502": 1, "403": 1}


def test_php_error_log_levels_memory_limit_and_uncaught_exception() -> None:
    facts = facts_of("php_errors.log")
    assert facts.formats == {"php": 9}  # the stack trace's lines join their fatal error
    memory = one(facts, "Allowed memory size")
    assert (memory.error_class, memory.severity) == ("oom", "error")
    uncaught = one(facts, "RuntimeException")
    assert uncaught.message == "stock service unreachable" and uncaught.fields["source"].endswith("fetch.php:3")
    refused = one(facts, "file_get_contents")
    assert (refused.error_class, refused.severity, refused.fields["address"] if "address" in refused.fields
            else refused.fields["upstream_host"]) == ("connection_refused", "warning", "127.0.0.1")
    names = {e.fields.get("dns_name") for e in facts.errors if e.error_class == "dns_failure"}
    assert names == {"cache.shop.svc.cluster.local.invalid"}  # never `failed` from `... failed: Name or service`
    assert "failed" not in facts.hosts


def test_php_fpm_worker_ceiling_is_a_connection_limit() -> None:
    facts = facts_of("php_fpm.log")
    ceiling = one(facts, "pm.max_children")
    assert (ceiling.error_class, ceiling.severity, ceiling.fields["pool"]) == ("connection_limit", "warning", "www")
    assert one(facts, "execution timed out").error_class == "connection_timeout"
    assert not [e for e in facts.errors if "ready to handle connections" in e.template]


def test_celery_worker_levels_broker_refusal_and_lost_worker() -> None:
    facts = facts_of("celery_worker.log")
    consumer = one(facts, "consumer: Cannot connect to")  # `[time: ERROR/MainProcess] consumer: ...`
    assert (consumer.format, consumer.error_class, consumer.count) == ("leveled", "connection_refused", 2)
    assert consumer.fields["address"] == "127.0.0.1:16399" and consumer.fields["url"] == "redis://127.0.0.1:16399/0"
    assert one(facts, "Unrecoverable error").severity == "fatal"
    assert one(facts, "kombu.exceptions.OperationalError").error_class == "connection_refused"
    assert one(facts, "billiard.exceptions.WorkerLostError").error_class == "crash_exit"
    assert not [e for e in facts.errors if "<time>" in e.template]  # Celery's prefix is read, not templated


def test_squid_access_logs_status_result_and_error_code() -> None:
    native, coded = facts_of("squid_access.log"), facts_of("squid_access_errcodes.log")
    assert native.formats == coded.formats == {"squid_access": 6}
    assert native.status_codes == coded.status_codes == {"503": 1, "502": 1, "403": 1, "504": 1, "500": 1, "200": 1}
    denied = one(native, "TCP_DENIED")
    assert (denied.error_class, denied.severity) == ("permission_denied", "warning")
    assert one(native, "/stock").error_class == "http_5xx"  # the status alone: the proxy answered 503
    assert one(coded, "/stock").error_class == "connection_refused"  # ERR_CONNECT_FAIL says why
    assert one(coded, "/slow").error_class == "connection_timeout"  # ERR_READ_TIMEOUT
    assert one(coded, "/stock").fields["upstream_host"] == "127.0.0.1"  # HIER_DIRECT/127.0.0.1


def test_lighttpd_error_log_names_the_refused_backend_and_the_handlers_down() -> None:
    facts = facts_of("lighttpd_error.log")
    assert facts.formats == {"lighttpd_error": 5}
    refused = one(facts, "establishing connection failed")
    assert (refused.error_class, refused.fields["address"]) == ("connection_refused", "127.0.0.1:18999")
    assert one(facts, "all handlers for").error_class == "unavailable"
    assert not [e for e in facts.errors if "server started" in e.template or "re-enabled" in e.template]
    assert facts_of("lighttpd_access.log").status_codes == {"503": 2, "200": 1}
