"""The classes the recorded outputs exposed, held on other software of the same shape and on negative twins.

The recorded fixtures (test_recorded.py) are one program each; these lines are the same failure as
other runtimes and proxies print it (their documented formats and messages), and look-alikes that
must keep their old reading.
"""

from __future__ import annotations

import json

import pytest

from mcp_servers.common.logfacts import LogError, extract


def top(*lines: str) -> LogError:
    facts = extract(list(lines))
    assert facts.errors, lines
    return facts.errors[0]


# ---- names that do not resolve, and resolvers that fail ---------------------------------------------

@pytest.mark.parametrize(("line", "name"), [
    ('2026/03/01 10:00:00 [error] 7#7: *3 payments.billing.svc could not be resolved (3: Host not found), '
     'client: 10.0.0.1, server: _, request: "GET / HTTP/1.1"', "payments.billing.svc"),
    ('2026/03/01 10:00:00 [error] 7#7: *3 ledger could not be resolved (2: Server failure), client: 10.0.0.1',
     "ledger"),
    ("dial tcp: lookup orders on 10.96.0.10:53: read udp 10.1.2.3:5555->10.96.0.10:53: i/o timeout", "orders"),
])
def test_a_name_that_does_not_resolve_is_dns_whatever_the_errno(line: str, name: str) -> None:
    err = top(line)
    assert err.error_class == "dns_failure" and err.fields["dns_name"] == name
    assert err.fields.get("upstream_host") != "10.96.0.10"


@pytest.mark.parametrize("line", [
    "2026/03/01 10:00:00 [error] 7#7: recv() failed (111: Connection refused) while resolving, resolver: "
    "10.96.0.10:53",
    "2026/03/01 10:00:00 [error] 7#7: send() failed (113: No route to host) while resolving, resolver: 10.96.0.10:53",
])
def test_a_failing_resolver_is_dns_and_is_never_the_upstream(line: str) -> None:
    err = top(line)
    assert err.error_class == "dns_failure" and err.fields["resolver"] == "10.96.0.10:53"
    assert "upstream_host" not in err.fields and "address" not in err.fields


def test_haproxy_server_down_for_a_dns_status_is_dns() -> None:
    err = top("[WARNING]  (8) : Server be_orders/srv1 is going DOWN for maintenance (DNS NX status). "
              "0 active and 0 backup servers left.")
    assert err.error_class == "dns_failure"


@pytest.mark.parametrize(("line", "cls"), [
    ("2026/03/01 10:00:00 [error] 7#7: *5 upstream timed out (110: Connection timed out) while connecting to "
     'upstream, client: 10.0.0.1, upstream: "http://10.0.3.4:8080/"', "connection_timeout"),
    ("[ERROR] Failed to execute goal on project shop: The following artifacts could not be resolved: "
     "com.acme:lib:jar:1.2 -> [Help 1]", None),
    ("Could not resolve placeholder 'DB_URL' in value \"${DB_URL}\"", "missing_config"),
])
def test_look_alikes_of_dns_keep_their_reading(line: str, cls: str | None) -> None:
    facts = extract([line])
    assert (facts.errors[0].error_class if facts.errors else None) == cls


# ---- JSON access logs ----------------------------------------------------------------------------------

ENVOY = {"start_time": "2026-03-01T10:00:00.000Z", "method": "POST", "path": "/v1/charge", "protocol": "HTTP/1.1",
         "response_code": 503, "response_flags": "UH", "upstream_host": None, "upstream_cluster":
         "outbound|8080||payments.billing.svc.cluster.local", "duration": 0, "authority": "payments:8080"}
TRAEFIK = {"ClientAddr": "10.0.0.1:5555", "DownstreamStatus": 502, "Duration": 1201337, "OriginStatus": 0,
           "RequestMethod": "GET", "RequestPath": "/api/orders?id=7", "RequestProtocol": "HTTP/1.1",
           "RouterName": "orders@kubernetes", "ServiceAddr": "10.42.0.17:8080",
           "ServiceName": "shop-orders-8080@kubernetes",
           "ServiceURL": "http://10.42.0.17:8080", "level": "info", "msg": "", "time": "2026-03-01T10:00:00Z"}
CADDY = {"level": "error", "ts": 1772359200.1, "logger": "http.log.access", "msg": "handled request",
         "request": {"remote_ip": "10.0.0.1", "proto": "HTTP/2.0", "method": "GET", "host": "shop.example.com",
                     "uri": "/cart"}, "duration": 0.0012, "size": 0, "status": 502}
CADDY_ERROR = {"level": "error", "ts": 1772359200.1, "logger": "http.log.error",
               "msg": "dial tcp 10.42.0.9:3000: connect: connection refused",
               "request": {"method": "GET", "host": "shop.example.com", "uri": "/cart"}, "status": 502,
               "err_id": "x1", "err_trace": "reverseproxy.statusError (reverseproxy.go:1269)"}
INGRESS = {"time": "2026-03-01T10:00:00+00:00", "request": "GET /search?q=1 HTTP/2.0", "status": "504",
           "upstream_addr": "10.42.0.5:80, 10.42.0.6:80", "proxy_upstream_name": "shop-search-80",
           "request_time": "10.002"}


@pytest.mark.parametrize(("record", "template", "cls", "upstream"), [
    (ENVOY, "POST /v1/charge <num> UH", "unavailable", None),
    (TRAEFIK, "GET /api/orders?id=<num> <num>", "http_5xx", "10.42.0.17:8080"),
    (CADDY, "GET /cart <num>", "http_5xx", None),
    (CADDY_ERROR, "GET /cart <num>: dial tcp <ip>: connect: connection refused", "connection_refused", "10.42.0.9"),
    (INGRESS, "GET /search?q=<num> <num>", "http_5xx", "10.42.0.6:80"),
])
def test_json_access_records_read_as_access_lines(record: dict[str, object], template: str, cls: str,
                                                  upstream: str | None) -> None:
    facts = extract([json.dumps(record)] * 3)
    [err] = facts.errors
    assert (err.format, err.template, err.error_class, err.severity, err.count) == (
        "json_access", template, cls, "error", 3)
    assert err.fields.get("upstream_host") == upstream
    assert sum(facts.status_codes.values()) == 3 and err.fields["status"] in facts.status_codes


def test_a_successful_json_access_record_is_counted_not_an_error() -> None:
    facts = extract([json.dumps({**TRAEFIK, "DownstreamStatus": 200, "OriginStatus": 200})])
    assert facts.errors == [] and facts.status_codes == {"200": 1} and facts.formats == {"json_access": 1}


@pytest.mark.parametrize("record", [
    {"status": "error", "message": "payment failed: connection refused", "service": "checkout"},  # Datadog's status
    {"level": "error", "msg": "upstream call failed", "status": 503, "target": "orders"},  # no request: app log
    {"level": "info", "msg": "GET /healthz", "code": 200},
])
def test_application_json_logs_stay_json(record: dict[str, object]) -> None:
    facts = extract([json.dumps(record)])
    assert facts.formats == {"json": 1}


# ---- Node's error causes -------------------------------------------------------------------------------

def node_fetch(cause: str, props: str) -> list[str]:
    return ["TypeError: fetch failed", "    at node:internal/deps/undici/undici:13502:13",
            "    at async main (file:///app/index.mjs:4:3) {", f"  [cause]: {cause}",
            "      at Timeout.onConnectTimeout (node:internal/deps/undici/undici:2602:28) {", props, "  }", "}"]


@pytest.mark.parametrize(("cause", "props", "cls"), [
    ("ConnectTimeoutError: Connect Timeout Error (attempted address: orders.shop.svc:443, timeout: 10000ms)",
     "    code: 'UND_ERR_CONNECT_TIMEOUT'", "connection_timeout"),
    ("HeadersTimeoutError: Headers Timeout Error", "    code: 'UND_ERR_HEADERS_TIMEOUT'", "connection_timeout"),
    ("BodyTimeoutError: Body Timeout Error", "    code: 'UND_ERR_BODY_TIMEOUT'", "connection_timeout"),
    ("Error: getaddrinfo EAI_AGAIN ledger.finance.svc", "    code: 'EAI_AGAIN',\n    hostname: 'ledger.finance.svc'",
     "dns_failure"),
    ("Error: read ECONNRESET", "    errno: -104,\n    code: 'ECONNRESET',\n    syscall: 'read'", "upstream_reset"),
])
def test_node_fetch_causes_decide(cause: str, props: str, cls: str) -> None:
    lines = [ln for block in node_fetch(cause, props) for ln in block.split("\n")]
    err = top(*lines)
    assert err.error_class == cls and "fetch failed" not in err.template


def test_a_node_error_without_a_cause_keeps_its_own_reading() -> None:
    err = top("TypeError: Cannot read properties of undefined (reading 'id')",
              "    at handler (file:///app/routes/orders.mjs:12:30)",
              "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)")
    assert (err.exception, err.error_class) == ("TypeError", "exception")


# ---- Java -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("trace", "cls", "name"), [
    (["java.net.UnknownHostException: inventory.stock.svc", "\tat java.base/java.net.InetAddress.getAllByName0"
      "(InetAddress.java:1671)", "\tat J.main(J.java:5)"], "dns_failure", "inventory.stock.svc"),
    (["java.net.ConnectException", "\tat java.net.http/jdk.internal.net.http.HttpClientImpl.send(HttpClientImpl.java"
      ":574)", "Caused by: java.nio.channels.UnresolvedAddressException", "\tat java.base/sun.nio.ch.Net.checkAddress"
      "(Net.java:149)"], "dns_failure", None),
    (["java.net.ConnectException", "\tat java.net.http/jdk.internal.net.http.HttpClientImpl.send(HttpClientImpl.java"
      ":574)", "Caused by: java.nio.channels.ClosedChannelException", "\tat java.base/sun.nio.ch.SocketChannelImpl"
      ".ensureOpen(SocketChannelImpl.java:195)"], "connection_refused", None),
])
def test_java_network_causes(trace: list[str], cls: str, name: str | None) -> None:
    err = top(*trace)
    assert err.error_class == cls and err.fields.get("dns_name") == name


# ---- Python tracebacks --------------------------------------------------------------------------------------

def traceback(exc_line: str, *more: str) -> list[str]:
    return ["Traceback (most recent call last):", '  File "/app/main.py", line 9, in <module>', "    load()",
            exc_line, *more]


def test_during_handling_joint_is_no_error_and_each_exception_is_kept() -> None:
    lines = [*traceback("KeyError: 'orders'"), "",
             "During handling of the above exception, another exception occurred:", "",
             *traceback("ConnectionRefusedError: [Errno 111] Connection refused")]
    facts = extract(lines)
    assert sorted(str(e.exception) for e in facts.errors) == ["ConnectionRefusedError", "KeyError"]
    assert facts.lines == len([ln for ln in lines if ln.strip()])


def test_pydantic_multi_line_message_joins_its_exception() -> None:
    lines = traceback("pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
                      "database_url", "  Field required [type=missing, input_value={}, input_type=dict]",
                      "    For further information visit https://errors.pydantic.dev/2.5/v/missing")
    facts = extract(lines)
    [err] = facts.errors
    assert err.exception == "pydantic_core._pydantic_core.ValidationError"
    assert err.message and "database_url" in err.message and facts.hosts == []


@pytest.mark.parametrize("after", ["Killed", "2026-03-01 10:00:02,001 ERROR worker retry failed: connection reset",
                                   "Traceback (most recent call last):"])
def test_a_line_that_says_something_of_its_own_does_not_join_the_message(after: str) -> None:
    facts = extract([*traceback("ValueError: bad row"), after])
    assert facts.errors[0].message == "bad row" or any(e.message == "bad row" for e in facts.errors)
    if after != "Traceback (most recent call last):":
        assert len(facts.errors) == 2


# ---- links for the reader -----------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "error[E0277]: connection failed, see https://doc.rust-lang.org/error_codes/E0277.html for details",
    "ERROR Failed to bind properties: for more information see https://docs.spring.io/spring-boot/reference/503",
    "panic: sql: unknown driver \"postgres\" (forgotten import?); see https://go.dev/s/sqldrivers",
    "WARNING Memory overcommit must be enabled! see https://github.com/jemalloc/jemalloc/issues/1328.",
    "ERROR request failed with status 502, For more information check: https://developer.mozilla.org/en-US/docs/"
    "Web/HTTP/Status/502",
])
def test_docs_links_are_not_upstreams(line: str) -> None:
    facts = extract([line])
    assert facts.hosts == [], facts.hosts
    assert all("upstream_host" not in e.fields for e in facts.errors)


@pytest.mark.parametrize(("line", "host"), [
    ("ERROR GET http://docs.shop.svc:8080/render failed: connection refused", "docs.shop.svc"),
    ("ERROR health check http://orders:8080/healthz failed: connection refused", "orders"),
    ("ERROR request to https://api.github.com/repos/acme/shop failed: status 503", "api.github.com"),
    ("ERROR see-saw upstream http://ledger.finance.svc:9000/x returned status 500", "ledger.finance.svc"),
])
def test_called_urls_stay_upstreams(line: str, host: str) -> None:
    assert extract([line]).hosts == [host]


def test_a_docs_path_is_never_an_http_status() -> None:
    facts = extract(["ERROR payload rejected, see https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/500"])
    assert facts.errors[0].error_class != "http_5xx"


# ---- database logins --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "fields"), [
    ("ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.5' (using password: YES)", {"db_user": "app"}),
    ("ERROR 1049 (42000): Unknown database 'shop'", {"database": "shop"}),
    ("ERROR 1044 (42000): Access denied for user 'app'@'%' to database 'billing'",
     {"db_user": "app", "database": "billing"}),
    ('failed to connect to `host=db.shop.svc user=app database=shop`: server error (FATAL: password authentication '
     'failed for user "app" (SQLSTATE 28P01))', {"db_user": "app"}),
    ("Login failed for user 'sa'. ClientConnectionId:6b1f", {"db_user": "sa"}),
    ('org.postgresql.util.PSQLException: FATAL: database "orders" does not exist', {"database": "orders"}),
])
def test_refused_logins_are_auth_failures_naming_user_and_database(line: str, fields: dict[str, str]) -> None:
    err = top(line)
    assert err.error_class == "auth_failure"
    assert {k: err.fields.get(k) for k in fields} == fields


@pytest.mark.parametrize(("line", "cls"), [
    ('ERROR:  relation "orders" does not exist at character 15', "db_error"),
    ('ERROR:  column "tenant_id" does not exist', "db_error"),
    ("psql: error: connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused",
     "connection_refused"),
    ("FATAL:  sorry, too many clients already", "connection_limit"),
])
def test_database_look_alikes_keep_their_class(line: str, cls: str) -> None:
    assert top(line).error_class == cls


# ---- a store at its own limit ----------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "redis.exceptions.ResponseError: OOM command not allowed when used memory > 'maxmemory'.",
    "ReplyError: OOM command not allowed when used memory > 'maxmemory'.",
    "SERVER_ERROR out of memory storing object",
    "ERROR memory resource limit alarm set on node rabbit@mq-0. Publishers will be blocked until this alarm clears",
    "etcdserver: mvcc: database space exceeded",
    "co.elastic.clients.elasticsearch._types.ElasticsearchException: [es/bulk] failed: [circuit_breaking_exception] "
    "CircuitBreakingException[[parent] Data too large, data for [<http_request>] would be larger than limit]",
])
def test_a_store_refusing_at_its_limit_is_store_full(line: str) -> None:
    assert top(line).error_class == "store_full"


@pytest.mark.parametrize("line", [
    "java.lang.OutOfMemoryError: Java heap space",
    "Memory cgroup out of memory: Killed process 4242 (java) total-vm:4194304kB",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
])
def test_the_process_own_oom_stays_oom(line: str) -> None:
    assert top(line).error_class == "oom"


# ---- shapes record_more.sh exposed ----------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "cls"), [
    ('2026/03/01 10:00:00 ERROR call failed: Post "http://orders:8080/v1": EOF', "upstream_reset"),
    ("2026/03/01 10:00:00 read tcp 10.1.2.3:41234->10.4.5.6:5432: EOF", "upstream_reset"),
    ("2026/03/01 10:00:00 ERROR failed to parse config: EOF", "invalid_config"),  # a reader's EOF, no peer
    ("2026/03/01 10:00:00 ERROR decode body: EOF", None),
])
def test_go_eof_is_a_reset_only_on_a_connection(line: str, cls: str | None) -> None:
    facts = extract([line])
    assert facts.errors[0].error_class == cls


@pytest.mark.parametrize("line", [
    "2026/03/01 10:00:00 http: TLS handshake error from 10.0.0.9:51234: EOF",
    "2026/03/01 10:00:00 http: panic serving 10.0.0.9:51234: runtime error: index out of range [3] with length 3",
])
def test_go_server_lines_name_their_client_not_an_upstream(line: str) -> None:
    facts = extract([line])
    assert facts.hosts == [] and "upstream_host" not in facts.errors[0].fields


@pytest.mark.parametrize(("line", "status"), [
    ('INFO:     10.0.0.9:51234 - "POST /v1/pay HTTP/1.1" 503 Service Unavailable', "503"),  # uvicorn
    ('[2026-03-01 10:00:00 +0000] [7] [INFO] 10.0.0.9:51234 - - [01/Mar/2026:10:00:00 +0000] "GET /cart 1.1" 502 0 '
     '"-" "curl/8.0"', "502"),  # hypercorn
])
def test_access_entries_a_logger_writes_at_info_are_counted(line: str, status: str) -> None:
    facts = extract([line])
    assert facts.status_codes == {status: 1}
    assert facts.errors[0].severity == "error" and facts.errors[0].error_class == "http_5xx"


def test_a_leveled_line_quoting_a_client_response_is_no_access_entry() -> None:
    facts = extract(['2026-03-01 10:00:00,001 INFO httpx HTTP Request: GET http://orders:8080/x "HTTP/1.1 500 '
                     'Internal Server Error"'])
    assert facts.status_codes == {} and facts.errors == []


@pytest.mark.parametrize(("line", "cls", "field", "value"), [
    ("ERROR 2003 (HY000): Can't connect to MySQL server on 'orders-db' (111)", "connection_refused",
     "upstream_host", "orders-db"),
    ("ERROR 2005 (HY000): Unknown MySQL server host 'orders-db' (-2)", "dns_failure", "dns_name", "orders-db"),
])
def test_older_mysql_client_wording(line: str, cls: str, field: str, value: str) -> None:
    err = top(line)
    assert err.error_class == cls and err.fields[field] == value
