"""The classes the third recorded set exposed (test_recorded_more.py), held on other software's wording and on
negative twins: the same-looking line that must keep its old reading.

The lines are the documented messages of other clients, SDKs and servers (gRPC in .NET and Java, the AWS SDKs for
Java, JavaScript and Go, MySQL, psql, Apache httpd 2.2, PHP relayed by PHP-FPM), written here by hand.
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts import LogError, extract


def top(*lines: str) -> LogError:
    facts = extract(list(lines))
    assert facts.errors, lines
    return facts.errors[0]


# ---- gRPC status outside Go's `rpc error: code = X` ---------------------------------------------------------

@pytest.mark.parametrize(("line", "error_class", "code"), [
    ('fail: Grpc.Net.Client.Internal.GrpcCall[6] Grpc.Core.RpcException: Status(StatusCode="Unavailable", '
     'Detail="Error connecting to subchannel.")', "unavailable", "Unavailable"),
    ("io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: deadline exceeded after 0.999s. [closed=[], "
     "open=[[remote_addr=pricing/10.0.4.7:50051]]]", "connection_timeout", "DeadlineExceeded"),
    ("Error: 8 RESOURCE_EXHAUSTED: Received message larger than max (5242880 vs. 4194304)", "rate_limited",
     "ResourceExhausted"),
    ("Error: 16 UNAUTHENTICATED: Request had invalid authentication credentials.", "auth_failure", "Unauthenticated"),
])
def test_grpc_status_in_other_runtimes(line: str, error_class: str, code: str) -> None:
    err = top(line)
    assert (err.error_class, err.fields["grpc_code"]) == (error_class, code)


def test_grpcio_details_line_decides_over_the_bare_code() -> None:
    err = top("2026-12-05 10:00:00,001 ERROR checkout.client charge failed: <_InactiveRpcError of RPC that "
              "terminated with:",
              "\tstatus = StatusCode.UNAVAILABLE",
              '\tdetails = "DNS resolution failed for payments.billing.svc:50051: C-ares status is not ARES_SUCCESS '
              'qtype=A name=payments.billing.svc is_balancer=0: Domain name not found"',
              "\tdebug_error_string = \"UNKNOWN:Error received from peer\"",
              ">")
    assert (err.error_class, err.fields["dns_name"], err.count) == ("dns_failure", "payments.billing.svc", 1)


@pytest.mark.parametrize(("continued", "error_class"), [
    ("  reason: disk quota exceeded", "disk_full"),  # a printed error object's reason says what failed
    ("  owner: connection-refused-team", None),  # any other key is not read as the failure
    ("  at the very end of a long prose message the connection was refused", None),  # prose, not key: value
])
def test_continued_values_are_read_only_from_failure_keys(continued: str, error_class: str | None) -> None:
    facts = extract(["2026-12-05 10:00:00 ERROR batch job 42 failed:", continued])
    assert [e.error_class for e in facts.errors] == [error_class]


def test_grpc_js_call_site_joins_its_error() -> None:
    facts = extract(["Error: 4 DEADLINE_EXCEEDED: Deadline exceeded after 0.700s",
                     "    at callErrorFromStatus (/app/node_modules/@grpc/grpc-js/build/src/call.js:31:19)",
                     "for call at",
                     "    at ServiceClientImpl.makeUnaryRequest (/app/node_modules/@grpc/grpc-js/client.js:1:2)"])
    [err] = facts.errors
    assert (err.error_class, err.fields["grpc_code"]) == ("connection_timeout", "DeadlineExceeded")


# ---- Python chains: a wrapper that says nothing takes its cause's class ----------------------------------------

_CAUSE = ["Traceback (most recent call last):",
          '  File "/app/clients/ledger.py", line 40, in post',
          "    sock.connect(addr)",
          "ConnectionRefusedError: [Errno 111] Connection refused"]


@pytest.mark.parametrize(("joint", "wrapper", "error_class"), [
    ("The above exception was the direct cause of the following exception:",
     "app.errors.LedgerError: posting entry 7 failed", "connection_refused"),  # raise ... from e
    ("During handling of the above exception, another exception occurred:",
     "httpx.ConnectError: All connection attempts failed", "connection_refused"),  # a transport wrapper
    ("During handling of the above exception, another exception occurred:",
     "NameError: name 'retry_count' is not defined", "exception"),  # a bug in the handler: its own error
    ("The above exception was the direct cause of the following exception:",
     "app.errors.LedgerError: ledger rejected entry 7: permission denied", "permission_denied"),  # says its own
])
def test_a_chained_wrapper_inherits_only_what_it_does_not_say(joint: str, wrapper: str, error_class: str) -> None:
    lines = [*_CAUSE, "", joint, "", "Traceback (most recent call last):",
             '  File "/app/handlers.py", line 12, in handle', "    ledger.post(entry)", wrapper]
    facts = extract(lines)
    [outer] = [e for e in facts.errors if e.exception == wrapper.split(":")[0]]
    assert outer.error_class == error_class


# ---- the peer named the Python way --------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "address"), [
    ("requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.stripe.com', port=443): Read timed out. "
     "(read timeout=10)", "api.stripe.com:443"),
    ("OSError: Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432, 0, 0), [Errno 111] Connect call "
     "failed ('127.0.0.1', 5432)", "[::1]:5432"),
    ("ERROR kombu.connection connection to broker failed: <socket.socket fd=9, family=2, type=1, proto=6, "
     "laddr=('10.1.0.5', 40112), raddr=('10.1.0.9', 5672)> reset", "10.1.0.9:5672"),
])
def test_python_addresses_name_the_peer(line: str, address: str) -> None:
    assert top(line).fields["address"] == address


def test_a_socketserver_client_tuple_is_no_upstream() -> None:
    facts = extract(["Exception occurred during processing of request from ('10.0.0.9', 51234)",
                     "BrokenPipeError: [Errno 32] Broken pipe"])
    assert all(e.fields.get("upstream_host") != "10.0.0.9" for e in facts.errors)


# ---- aiohttp's `ssl:` setting ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "error_class"), [
    ("aiohttp.client_exceptions.ClientOSError: Cannot connect to host orders:8080 ssl:default [Connection reset by "
     "peer]", "upstream_reset"),
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host 10.0.0.7:8080 ssl:None [Connect call "
     "failed ('10.0.0.7', 8080)]", "connection_refused"),
    ("aiohttp.client_exceptions.ClientConnectorCertificateError: Cannot connect to host api.partner.com:443 "
     "ssl:True [SSLCertVerificationError: (1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
     "unable to get local issuer certificate (_ssl.c:1006)')]", "tls_error"),
])
def test_aiohttp_ssl_setting_is_not_a_tls_failure_but_a_certificate_error_is(line: str, error_class: str) -> None:
    assert top(line).error_class == error_class


# ---- ceilings, credentials, throughput, TLS required ------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "[Sat Dec 05 10:00:00.000001 2026] [mpm_event:error] [pid 1:tid 2] AH00484: server reached MaxRequestWorkers "
    "setting, consider raising the MaxRequestWorkers setting",
    "[05-Dec-2026 10:00:00] WARNING: [pool api] server reached max_children setting (50), consider raising it",
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
    "2026/12/05 10:00:00 [alert] 7#7: 1024 worker_connections are not enough",
])
def test_pool_and_worker_ceilings_are_connection_limits(line: str) -> None:
    assert top(line).error_class == "connection_limit"


def test_php_fpm_children_starting_are_no_errors() -> None:
    assert extract(["[05-Dec-2026 10:00:00] NOTICE: [pool www] child 12 started"]).errors == []


@pytest.mark.parametrize("line", [
    "software.amazon.awssdk.core.exception.SdkClientException: Unable to load credentials from any of the providers "
    "in the chain AwsCredentialsProviderChain",
    "CredentialsProviderError: Could not load credentials from any providers",
    "NoCredentialProviders: no valid providers in chain. Deprecated.",
    "An error occurred (ExpiredToken) when calling the GetObject operation: The provided token has expired.",
    "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token "
    "included in the request is invalid.",
])
def test_cloud_credentials_missing_or_refused_are_auth_failures(line: str) -> None:
    assert top(line).error_class == "auth_failure"


def test_credentials_loaded_is_no_error() -> None:
    assert extract(["INFO botocore.credentials Found credentials in environment variables."]).errors == []


@pytest.mark.parametrize(("line", "error_class"), [
    ("com.amazonaws.services.kinesis.model.ProvisionedThroughputExceededException: Rate exceeded for shard "
     "shardId-000000000001 in stream orders", "rate_limited"),
    ("WARN consumer throughput exceeded the dashboard's target of 500 msg/s", "rate_limited"),
    ("Max retries exceeded with url: /v1/charges (Caused by ResponseError('too many 429 error responses'))",
     "rate_limited"),
    ("WARN consumer throughput 1200 msg/s", None),
])
def test_throughput_exceeded(line: str, error_class: str | None) -> None:
    errors = extract([line]).errors
    assert (errors[0].error_class if errors else None) == error_class


@pytest.mark.parametrize("line", [
    'psql: error: connection to server at "db.shop.svc" (10.0.0.5), port 5432 failed: server does not support SSL, '
    "but SSL was required",
    "ERROR 2026 (HY000): SSL connection error: SSL is required but the server doesn't support it",
    "java.sql.SQLException: Connections using insecure transport are prohibited while --require_secure_transport=ON.",
])
def test_a_tls_mismatch_between_client_and_server(line: str) -> None:
    err = top(line)
    assert err.error_class in ("tls_error", "db_error") and "env_var" not in err.fields
    if "SSL" in line:
        assert err.error_class == "tls_error"


def test_a_real_unset_variable_in_capitals_is_still_read() -> None:
    err = top("ERROR settings: DATABASE_URL is not set")
    assert (err.error_class, err.fields["env_var"]) == ("missing_config", "DATABASE_URL")


# ---- Apache httpd 2.2 and PHP relayed by PHP-FPM ----------------------------------------------------------------

def test_apache_22_layout_and_a_proxy_timeout_name_the_backend_not_the_client() -> None:
    facts = extract([
        "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: "
        "/export/home/live/ap/htdocs/test",
        "[Sat Dec 05 10:00:00.000001 2026] [proxy_http:error] [pid 9:tid 10] (110)Connection timed out: "
        "[client 10.0.0.9:51234] AH01102: error reading status line from remote server orders.shop.svc:8080, "
        "referer: https://shop.example/cart",
    ])
    assert facts.formats == {"apache_error": 2}
    slow, denied = sorted(facts.errors, key=lambda e: e.template)  # `AH01102: ...` before `client denied ...`
    assert (denied.error_class, denied.fields["client"]) == ("permission_denied", "127.0.0.1")
    assert (slow.error_class, slow.fields["address"], slow.fields["client"]) == (
        "connection_timeout", "orders.shop.svc:8080", "10.0.0.9:51234")
    assert "referer" not in slow.template


def test_php_fatal_relayed_by_php_fpm() -> None:
    err = top('[05-Dec-2026 10:00:00] WARNING: [pool www] child 31 said into stderr: "NOTICE: PHP message: PHP Fatal '
              'error:  Uncaught PDOException: SQLSTATE[HY000] [2002] Connection refused in /var/www/db.php:4"')
    assert (err.format, err.severity, err.error_class, err.exception) == (
        "php", "error", "connection_refused", "PDOException")
    assert err.fields["source"] == "/var/www/db.php:4"


@pytest.mark.parametrize(("line", "severity"), [
    ("PHP Deprecated:  Creation of dynamic property Cart::$id is deprecated in /var/www/Cart.php on line 9", None),
    ("PHP Warning:  Undefined array key \"user\" in /var/www/index.php on line 3", "warning"),
    ("PHP Parse error:  syntax error, unexpected token \"}\" in /var/www/a.php on line 7", "error"),
])
def test_php_levels(line: str, severity: str | None) -> None:
    errors = extract([line]).errors
    assert (errors[0].severity if errors else None) == severity


@pytest.mark.parametrize(("line", "severity"), [
    ("[2026-12-05 10:00:00,001: WARNING/ForkPoolWorker-3] Task shop.tasks.sync[1] retry: Retry in 10s", "warning"),
    ("[ERROR/MainProcess] Process 'Worker-1' exited with exitcode 1", "error"),  # multiprocessing.log_to_stderr()
    ("[2026-12-05 10:00:00,001: INFO/MainProcess] Connected to redis://redis:6379/0", None),
])
def test_level_with_its_process_after_a_slash(line: str, severity: str | None) -> None:
    errors = extract([line]).errors
    assert (errors[0].severity if errors else None) == severity
    assert all("MainProcess" not in e.template for e in errors)


@pytest.mark.parametrize(("line", "error_class"), [
    ("1733400000.123   2001 10.0.0.9 TCP_MISS/503 4102 GET http://ledger.finance.svc:8080/v1/post - HIER_NONE/- "
     "text/html ERR_DNS_FAIL/-", "dns_failure"),
    ("1733400000.123  30001 10.0.0.9 TCP_MISS/504 4102 CONNECT api.partner.com:443 - HIER_DIRECT/203.0.113.7 - "
     "ERR_LIFETIME_EXP/-", "connection_timeout"),
    ("1733400000.123      3 10.0.0.9 TCP_MISS/200 902 GET http://ledger.finance.svc:8080/v1/post - "
     "HIER_DIRECT/10.0.3.4 application/json -/-", None),  # a good request: no error
])
def test_squid_error_codes_of_other_failures(line: str, error_class: str | None) -> None:
    errors = extract([line]).errors
    assert (errors[0].error_class if errors else None) == error_class


@pytest.mark.parametrize(("line", "not_class"), [
    ("ERROR Error resolving dependencies for project shop:checkout:1.0", "dns_failure"),  # a build tool, no DNS
    ("ERROR volume data-0 disk capacity exceeded, 100% used", "rate_limited"),  # a disk, not a throughput quota
    ("ERROR ssl:True is not a valid option for this listener", "tls_error"),
])
def test_look_alikes_of_the_new_wordings_keep_their_reading(line: str, not_class: str) -> None:
    assert all(e.error_class != not_class for e in extract([line]).errors)


@pytest.mark.parametrize(("line", "error_class", "address"), [
    ("2026-12-05 10:00:00: (gw_backend.c.274) establishing connection failed: socket: tcp:10.0.3.4:9000: "
     "Connection timed out", "connection_timeout", "10.0.3.4:9000"),  # a PHP-FastCGI backend that never answers
    ("2026-12-05 10:00:00: (gw_backend.c.274) establishing connection failed: socket: unix:/run/php/fpm.sock: "
     "No such file or directory", "file_not_found", None),  # its socket file is gone
    ("dial tcp: lookup orders on 10.96.0.10:53: no such host", "dns_failure", None),  # `tcp:` before no address
])
def test_a_transport_prefix_before_an_address(line: str, error_class: str, address: str | None) -> None:
    err = top(line)
    assert (err.error_class, err.fields.get("address")) == (error_class, address)
