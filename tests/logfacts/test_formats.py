"""Format detection and field extraction, one line per format, written in each program's own layout.

The lines are written for these tests in the documented default formats (Envoy's default and
Istio's access log, nginx combined and error logs, ingress-nginx's upstream fields, klog, logfmt,
JSON from zap/pino/structlog/ECS, Docker's json-file wrapper, logback, Python logging, Go's log).
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts import extract
from mcp_servers.common.logfacts.lines import parse_line

ENVOY_DEFAULT = ('[2026-03-01T10:00:00.310Z] "POST /api/v1/charge HTTP/1.1" 503 UF 154 91 3 - "10.0.35.28" '
                 '"okhttp/4.9" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "payments" "10.0.3.4:8080"')
ISTIO = ('[2026-03-01T10:00:01.000Z] "GET /stock/12 HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" '
         '"Go-http-client/1.1" "6a0c6f5e-1b0e-4d51-b0c6-5d1c1c1c1c1c" "inventory:8080" "-" '
         "outbound|8080||inventory.shop.svc.cluster.local - 10.96.4.4:8080 10.0.1.2:50000 - default")
NGINX_ACCESS = ('10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET /api/cart/123 HTTP/1.1" 504 160 "-" "Mozilla/5.0" '
                '412 60.001 [shop-cart-8080] [] 10.0.3.9:8080 0 60.000 504 5f1c2a')
NGINX_ERROR = ('2026/03/01 10:00:00 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting '
               'to upstream, client: 10.0.0.9, server: shop, request: "GET /api/cart HTTP/1.1", '
               'upstream: "http://10.0.3.9:8080/api/cart", host: "shop.example.com"')


@pytest.mark.parametrize(("line", "fmt", "severity"), [
    ('{"level":"error","ts":1709287200.1,"caller":"db/pool.go:88","msg":"ping failed","error":"dial tcp '
     '10.0.3.4:5432: connect: connection refused"}', "json", "error"),
    ('{"level":50,"time":1709287200000,"pid":1,"msg":"upstream failed","err":{"type":"Error","message":"boom"}}',
     "json", "error"),
    ('{"@timestamp":"2026-03-01T10:00:00Z","log.level":"WARN","message":"slow query","ecs.version":"1.6"}',
     "json", "warning"),
    ('{"log":"level=error msg=\\"write failed\\" err=\\"broken pipe\\"\\n","stream":"stderr",'
     '"time":"2026-03-01T10:00:00Z"}', "logfmt", "error"),
    ('ts=2026-03-01T10:00:00Z level=warn caller=main.go:12 msg="retrying" attempt=3', "logfmt", "warning"),
    (ENVOY_DEFAULT, "envoy_access", "error"),
    (ISTIO, "envoy_access", "error"),
    (NGINX_ACCESS, "nginx_access", "error"),
    (NGINX_ERROR, "nginx_error", "error"),
    ("E0301 10:00:00.123456       1 leaderelection.go:330] error retrieving resource lock: Unauthorized", "klog",
     "error"),
    ("W0301 10:00:00.123456       1 reflector.go:424] watch of *v1.Pod ended", "klog", "warning"),
    ("2026/03/01 10:00:00 http: Accept error: too many open files; retrying", "go_log", "error"),
    ("2026-03-01 10:00:00.123 ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed",
     "spring_boot", "error"),
    ("ERROR:root:could not reach the ledger", "leveled", "error"),
    ("[2026-03-01 10:00:00,001] WARNING in app: slow request", "leveled", "warning"),
    ("Mar  1 10:00:00 web1 CRITICAL disk array degraded", "leveled", "fatal"),
    ("<11>1 2026-03-01T10:00:00Z web1 shop 123 - - connection refused by ledger", "syslog", "error"),
    ("<14>Mar  1 10:00:00 web1 shop[12]: started", "syslog", "info"),
    ("fail: Microsoft.AspNetCore.Server.Kestrel[13] An unhandled exception was thrown by the application.",
     "leveled", "error"),
    ("2026-03-01 10:00:00.123 UTC [55] LOG:  checkpoint starting: time", "leveled", "info"),
    ("E, [2026-03-01T10:00:00.123456 #1] ERROR -- : PG::ConnectionBad: could not connect to server", "leveled",
     "error"),
    ("2026-03-01 10:00:00,123 level=error msg=\"flush failed\" err=\"broken pipe\"", "logfmt", "error"),
    ('{"status":"error","message":"job failed","http":{"status_code":"200"}}', "json", "error"),
    ('{"message":"served","status":"500","path":"/x"}', "json", "error"),
    ("just some words from a program", "plain", "unknown"),
])
def test_format_and_severity(line: str, fmt: str, severity: str) -> None:
    parsed = parse_line(line)
    assert (parsed.format, parsed.severity) == (fmt, severity), parsed


def test_runtime_timestamp_prefix_is_read_and_removed() -> None:
    parsed = parse_line("2026-03-01T10:00:00.123456789Z level=error msg=boom")
    assert parsed.format == "logfmt" and parsed.timestamp == "2026-03-01T10:00:00.123456789Z"
    assert parsed.message == "boom"


def test_envoy_default_and_istio_fields() -> None:
    default = extract([ENVOY_DEFAULT]).errors[0]
    assert default.error_class == "connection_refused"  # UF: upstream connection failure
    assert default.fields["upstream_host"] == "10.0.3.4:8080" and default.fields["response_flags"] == "UF"
    assert default.fields["status"] == "503" and default.fields["method"] == "POST"
    istio = extract([ISTIO])
    assert istio.errors[0].error_class == "unavailable"
    assert istio.errors[0].fields["upstream_cluster"] == "outbound|8080||inventory.shop.svc.cluster.local"
    assert istio.hosts == ["inventory.shop.svc.cluster.local"]
    assert istio.status_codes == {"503": 1}


def test_nginx_access_and_error_fields() -> None:
    facts = extract([NGINX_ACCESS, NGINX_ERROR])
    by_format = {e.format: e for e in facts.errors}
    access, error = by_format["nginx_access"], by_format["nginx_error"]
    assert access.fields["upstream_host"] == "10.0.3.9:8080" and access.fields["status"] == "504"
    assert access.fields["upstream_cluster"] == "shop-cart-8080"
    assert error.error_class == "connection_refused"
    assert error.fields["upstream_url"] == "http://10.0.3.9:8080/api/cart"
    assert error.message == "connect() failed (111: Connection refused) while connecting to upstream"
    assert facts.hosts == ["10.0.3.9"]
    assert facts.status_codes == {"504": 1}


def test_json_error_object_and_message_joined() -> None:
    facts = extract(['{"severity":"ERROR","message":"charge failed","error":{"type":"GatewayError",'
                     '"message":"rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error '
                     'while dialing dial tcp 10.0.3.4:9090: connect: connection refused\\""}}'])
    err = facts.errors[0]
    assert err.error_class == "connection_refused"
    assert err.fields["grpc_code"] == "Unavailable"
    assert err.fields["upstream_host"] == "10.0.3.4" and err.fields["upstream_port"] == "9090"
    assert err.exception == "GatewayError"
    assert facts.hosts == ["10.0.3.4"]


@pytest.mark.parametrize(("line", "host"), [
    ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp '
     'ipv4:10.244.1.57:9090: connect: connection refused"', "10.244.1.57"),
    ("failed to connect to all addresses; last error: UNAVAILABLE: dns:///inventory.shop:50051: connection refused",
     "inventory.shop"),
    ("subchannel ipv6:[2001:db8::7]:443 connection refused", None),
])
def test_grpc_target_schemes_are_not_hosts(line: str, host: str | None) -> None:
    """gRPC names targets as ipv4:ADDR, dns:///NAME: the scheme is no host a dependency could be named after."""
    facts = extract([line])
    assert "ipv4" not in facts.hosts and "ipv6" not in facts.hosts and "dns" not in facts.hosts
    if host:
        assert facts.hosts[0] == host


@pytest.mark.parametrize(("line", "name"), [
    ("KeyError: 'DB_URL'", "DB_URL"),
    ("DB_URL is not set", "DB_URL"),
    ("missing required environment variable DB_URL", "DB_URL"),
    ("Environment variable DEPLOY_ENV is undefined", "DEPLOY_ENV"),
    ("env: DB_URL required", "DB_URL"),
    ("undefined: process.env.API_KEY", "API_KEY"),
    ("missing required env DEPLOY_ENV", "DEPLOY_ENV"),
    ('required environment variable "STRIPE_KEY" is not set', "STRIPE_KEY"),
    ("Could not resolve placeholder 'PAYMENT_GATEWAY_URL' in value \"${PAYMENT_GATEWAY_URL}\"",
     "PAYMENT_GATEWAY_URL"),
    ("required key REDIS_ADDR missing value", "REDIS_ADDR"),
    ('KeyError: key not found: "DATABASE_URL"', "DATABASE_URL"),
    ("fatal: $KAFKA_BROKERS must be set", "KAFKA_BROKERS"),
])
def test_env_var_in_each_phrasing(line: str, name: str) -> None:
    err = extract([line]).errors[0]
    assert err.fields.get("env_var") == name, err
    assert err.error_class == "missing_config"


@pytest.mark.parametrize(("line", "field", "value"), [
    ("dial tcp: lookup ledger.payments.svc.cluster.local on 10.96.0.10:53: no such host", "dns_name",
     "ledger.payments.svc.cluster.local"),
    ("java.net.UnknownHostException: payments", "dns_name", "payments"),
    ("Error: getaddrinfo ENOTFOUND inventory-api", "dns_name", "inventory-api"),
    ("curl: (6) Could not resolve host: auth.internal", "dns_name", "auth.internal"),
    ("open /etc/app/config.yaml: no such file or directory", "file", "/etc/app/config.yaml"),
    ("Error: ENOENT: no such file or directory, open '/app/config/prod.json'", "file", "/app/config/prod.json"),
    ('ERROR: duplicate key value violates unique constraint "k" (SQLSTATE 23505)', "sql_state", "23505"),
    ("worker exited with exit code 137", "exit_code", "137"),
    ("error: request to https://user:hunter2@api.example.com:8443/v1/pay failed: connection refused", "url",
     "https://api.example.com:8443/v1/pay"),
])
def test_fields_named_in_messages(line: str, field: str, value: str) -> None:
    err = extract([line]).errors[0]
    assert err.fields.get(field) == value, err
    assert "hunter2" not in err.model_dump_json()


def test_envoy_json_access_log_uses_the_same_flags() -> None:
    line = ('{"start_time":"2026-03-01T10:00:00.000Z","method":"GET","path":"/v1/quote","response_code":503,'
            '"response_flags":"UF","upstream_host":"10.0.3.4:8080","upstream_cluster":"outbound|8080||quotes",'
            '"upstream_transport_failure_reason":"delayed connect error: 111"}')
    facts = extract([line])
    err = facts.errors[0]
    assert (err.format, err.severity, err.error_class) == ("json_access", "error", "connection_refused")
    assert err.template == "GET /v1/quote <num> UF"
    assert facts.hosts == ["10.0.3.4"] and facts.status_codes == {"503": 1}


@pytest.mark.parametrize("line", [
    "ERROR c.e.Worker - NullPointerException at Worker.java:142",
    "level=error msg=\"handler failed\" caller=api/server.go:88 err=\"nil map\"",
    "E0301 10:00:00.000000 1 controller.go:120] sync failed after 10:30 minutes",
])
def test_source_positions_and_times_are_not_hosts(line: str) -> None:
    facts = extract([line])
    assert facts.errors and "upstream_host" not in facts.errors[0].fields and facts.hosts == []


def test_logfmt_with_an_unescaped_quote_inside_a_value_keeps_the_whole_error() -> None:
    """A hand-rolled logfmt logger that prints an error's own quotes unescaped: the value ends at the quote followed
    by a space or the end, so the x509 cause after `Post "URL":` is kept; escaped quotes and empty values as before."""
    from mcp_servers.common.logfacts.lines import parse_logfmt

    line = parse_logfmt('time=2026-12-01T11:12:31Z level=error msg="submit failed" batch=b-1 '
                        'err="Post "https://psp.example.com/v4": tls: failed to verify certificate: x509: '
                        'certificate signed by unknown authority"')
    assert line is not None and line.message.endswith("x509: certificate signed by unknown authority")
    escaped = parse_logfmt('level=error msg="say \\"hi\\" now" n=1')
    assert escaped is not None and escaped.message == 'say "hi" now'
    empty = parse_logfmt('level=info msg="started" err="" port=8080')
    assert empty is not None and empty.message == "started"


def test_spring_boot_console_lines_are_records_of_their_own_with_logger_and_thread() -> None:
    """Spring Boot 3's default pattern, ISO-8601 time then a level padded to five columns: the time must not be taken
    for a runtime prefix that leaves an indented (continuation) line, so each WARN is its own error kind; the 2.x
    layout (no `[app]`, a space in the time) and a Java trace after an ERROR read as before."""
    from mcp_servers.common.logfacts.extract import extract

    lines = [
        "2026-12-05T07:41:00.123Z  INFO 1 --- [claims] [nio-8080-exec-1] c.e.claims.web.SessionFilter     : served",
        "2026-12-05T07:41:01.456Z  WARN 1 --- [claims] [nio-8080-exec-2] o.a.c.c.C.[Tomcat].[localhost]   : "
        "Invalid session id 9F2C1A, redirecting to /login",
        "2026-12-05 07:41:02.789 ERROR 1 --- [nio-8080-exec-3] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : "
        "Servlet.service() threw exception",
        "java.net.ConnectException: Connection refused",
        "\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
    ]
    facts = extract(lines)
    assert facts.formats.get("spring_boot") == 3 and facts.lines == 5
    warned = next(e for e in facts.errors if e.template.startswith("Invalid session id"))
    assert warned.severity == "warning" and warned.fields["logger"] == "o.a.c.c.C.[Tomcat].[localhost]"
    assert warned.fields["thread"] == "nio-8080-exec-2"
    assert [t.exception for t in facts.traces] == ["java.net.ConnectException"]
    kubectl = extract(["2026-12-05T07:41:03.000000000Z \tat com.example.Store.get(Store.java:42)"])
    assert kubectl.formats.get("spring_boot") is None
