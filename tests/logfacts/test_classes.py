"""Error classes from the message's words, across ecosystems and phrasings.

Each class is checked with at least four wordings written the way different runtimes, drivers and
proxies phrase that failure (Go, Java, Node, Python, Rust, .NET, nginx, Envoy, databases...), each
inside a different line format, so a rule that fits only one program's line shape fails here.
The lines are written for these tests, in the formats those programs use.
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts import extract

CASES: dict[str, list[str]] = {
    "connection_refused": [
        "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"db.internal\" "
        "(10.2.0.5), port 5432 failed: Connection refused",
        "Caused by: org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the hostname "
        "and port are correct",
        'level=error msg="query failed" err="dial tcp 10.0.3.4:5432: connect: connection refused"',
        "Error: connect ECONNREFUSED 127.0.0.1:6379",
        "2026-03-01 10:00:00.123 ERROR 1 --- [main] o.h.e.j.s.SqlExceptionHelper : "
        "java.net.ConnectException: Connection refused (Connection refused)",
        '{"level":"error","msg":"payment call failed","error":"HTTPConnectionPool(host=\'orders\', port=8080): '
        "Max retries exceeded (Caused by NewConnectionError('Failed to establish a new connection: "
        "[Errno 111] Connection refused'))\"}",
        "fail: Orders.Client[0] No connection could be made because the target machine actively refused it. "
        "(localhost:5000)",
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
        "[2026-03-01T10:00:00Z ERROR worker] Connection refused (os error 111)",
    ],
    "connection_timeout": [
        'ts=2026-03-01T10:00:00Z level=error msg="fetch failed" err="dial tcp 10.0.3.4:443: i/o timeout"',
        "java.net.SocketTimeoutException: Read timed out",
        "2026/03/01 10:00:00 [error] 31#31: *7 upstream timed out (110: Connection timed out) while reading "
        'response header from upstream, client: 10.0.0.9, server: _, request: "GET /api HTTP/1.1", '
        'upstream: "http://10.0.3.4:8080/api", host: "shop.example.com"',
        "Error: connect ETIMEDOUT 10.0.0.12:443",
        "E0301 10:00:00.000000       1 reflector.go:138] failed to list *v1.Pod: context deadline exceeded",
        "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.payments.example', port=443): "
        "Read timed out. (read timeout=10)",
    ],
    "dns_failure": [
        "Unhandled exception. System.Net.Http.HttpRequestException: No such host is known. (payments:80)",
        'level=error msg="cannot reach ledger" err="dial tcp: lookup ledger.payments.svc.cluster.local on '
        '10.96.0.10:53: no such host"',
        "Caused by: java.net.UnknownHostException: payments",
        "Error: getaddrinfo ENOTFOUND inventory-api",
        "socket.gaierror: [Errno -2] Name or service not known",
        "curl: (6) Could not resolve host: auth.internal",
        'psql: error: could not translate host name "postgres-primary" to address: Temporary failure in name '
        "resolution",
    ],
    "tls_error": [
        'level=error msg="webhook call failed" err="Post \\"https://hooks.example:443\\": x509: certificate '
        'signed by unknown authority"',
        "javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path",
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has "
        "expired (_ssl.c:1129)",
        '{"level":50,"msg":"request to billing failed","err":"unable to get local issuer certificate"}',
        "http: TLS handshake error from 10.0.0.7:51234: remote error: tls: bad certificate",
    ],
    "upstream_reset": [
        'level=warn msg="stream broke" err="read tcp 10.0.1.5:43210->10.0.3.4:8080: read: connection reset by peer"',
        "Error: socket hang up",
        "2026/03/01 10:00:00 [error] 31#31: *9 upstream prematurely closed connection while reading response "
        'header from upstream, client: 10.0.0.9, server: _, upstream: "http://10.0.3.4:8080/"',
        "java.io.IOException: Broken pipe",
        "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
    ],
    "oom": [
        'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        "fatal error: runtime: out of memory",
        "MemoryError: Unable to allocate 2.00 GiB for an array with shape (268435456,) and data type float64",
        "Memory cgroup out of memory: Killed process 4123 (java) total-vm:8123456kB",
    ],
    "missing_config": [
        "Exception: Missing SENTRY_DSN",
        "ValueError: SECRET_KEY environment variable not provided",
        "RuntimeError: please set OPENAI_API_KEY",
        "Unhandled exception. System.InvalidOperationException: The ConnectionString property has not been "
        "initialized.",
        'config error: the "database.url" setting is required',
        "KeyError: 'DB_URL'",
        'level=fatal msg="DB_URL is not set"',
        "ERROR missing required environment variable DB_URL",
        "Error: Environment variable DEPLOY_ENV is undefined",
        "env: DB_URL required",
        "TypeError [ERR_INVALID_ARG_TYPE]: undefined: process.env.API_KEY",
        '{"level":"error","msg":"startup failed","error":"missing required env DEPLOY_ENV"}',
        "java.lang.IllegalArgumentException: Could not resolve placeholder 'PAYMENT_GATEWAY_URL' in value "
        '"${PAYMENT_GATEWAY_URL}"',
        "2026/03/01 10:00:00 required key REDIS_ADDR missing value",
        'KeyError: key not found: "DATABASE_URL"',
    ],
    "permission_denied": [
        'level=error msg="cannot write lock" err="open /var/lib/data/lock: permission denied"',
        "PermissionError: [Errno 13] Permission denied: '/data/cache'",
        "Error: EACCES: permission denied, mkdir '/app/logs'",
        'E0301 10:00:00.000000 1 reflector.go:138] pods is forbidden: User "system:serviceaccount:shop:default" '
        'cannot list resource "pods" in API group "" in the namespace "shop"',
        "java.nio.file.AccessDeniedException: /opt/app/config",
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: "
        "Access Denied",
    ],
    "auth_failure": [
        '2026-03-01 10:00:00.000 UTC [88] FATAL:  password authentication failed for user "app"',
        "ERROR 1045 (28000): Access denied for user 'root'@'10.0.0.5' (using password: YES)",
        '{"level":"error","msg":"call to crm failed","status":401,"error":"401 Unauthorized"}',
        "redis.exceptions.AuthenticationError: NOAUTH Authentication required.",
        "level=error msg=\"token refresh failed\" err=\"invalid_grant: Token has been expired or revoked.\"",
        "JsonWebTokenError: jwt expired",
    ],
    "file_not_found": [
        "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'",
        'level=fatal msg="cannot load config" err="open /etc/app/config.yaml: no such file or directory"',
        "Error: ENOENT: no such file or directory, open '/app/config/prod.json'",
        "java.io.FileNotFoundException: /opt/app/application.yml (No such file or directory)",
        "Error: Cannot find module 'express'",
    ],
    "disk_full": [
        'level=error msg="flush failed" err="write /var/lib/data/000123.log: no space left on device"',
        '2026-03-01 10:00:00.000 UTC [1] PANIC:  could not write to file "pg_wal/xlogtemp.123": '
        "No space left on device",
        "OSError: [Errno 28] No space left on device",
        "Error: ENOSPC: no space left on device, write",
        "WARN  [main] c.e.Uploader - disk quota exceeded for /data",
    ],
    "crash_exit": [
        "Killed",
        "npm ERR! code ELIFECYCLE",
        "Back-off restarting failed container",
        "2026/03/01 10:00:00 [alert] 1#1: worker process 123 exited on signal 11",
        "Segmentation fault (core dumped)",
        "ERROR worker exited with code 3",
        "payments.service: Main process exited, code=exited, status=1/FAILURE",
    ],
    "rate_limited": [
        '{"level":"warn","msg":"github api","status":429,"error":"429 Too Many Requests"}',
        "WARNING:root:Rate limit exceeded. Retry after 30 seconds",
        'level=error msg="send failed" err="rpc error: code = ResourceExhausted desc = quota exceeded for '
        'project"',
        "botocore.exceptions.ClientError: An error occurred (ThrottlingException): Rate exceeded",
        "SlowDown: Please reduce your request rate.",
    ],
    "db_error": [
        'ERROR:  relation "orders" does not exist at character 15',
        'pq: duplicate key value violates unique constraint "users_email_key"',
        "ERROR 1213 (40001): Deadlock found when trying to get lock; try restarting transaction",
        "org.postgresql.util.PSQLException: ERROR: deadlock detected",
        "ORA-00942: table or view does not exist",
    ],
    "connection_limit": [
        "2026-03-01 10:00:00.000 UTC [1] FATAL:  sorry, too many clients already",
        "ERROR 1040 (08004): Too many connections",
        "ReplyError: ERR max number of clients reached",
        "connection refused because too many open connections: 819",
        "pooler error: no more connections allowed (max_client_conn)",
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
    ],
    "unavailable": [
        "no healthy upstream",
        "HTTP/1.1 503 Service Unavailable",
        'level=error msg="checkout call" err="rpc error: code = Unavailable desc = the server is shutting down"',
        "ERROR c.e.Gateway - circuit breaker is OPEN for inventory",
    ],
    "panic": [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "thread 'main' panicked at 'called `Option::unwrap()` on a `None` value', src/main.rs:10:5",
        "panic: runtime error: index out of range [5] with length 3",
        "fatal error: all goroutines are asleep - deadlock!",
    ],
    "invalid_config": [
        'time="2026-03-01T10:00:00Z" level=fatal msg="failed to load config" error="yaml: line 3: mapping values '
        'are not allowed in this context"',
        'ERROR invalid value "abc" for environment variable PORT: strconv.Atoi: parsing "abc": invalid syntax',
        'Error: Invalid configuration: "timeout" must be a number',
        'panic: settings: time: invalid duration "5 s" for GATEWAY_TIMEOUT',
    ],
    "http_5xx": [
        '10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET /api/cart HTTP/1.1" 502 157 "-" "curl/8.0"',
        '[2026-03-01T10:00:00.000Z] "POST /pay HTTP/1.1" 500 - via_upstream - "-" 12 34 5 5 "-" "go-http" '
        '"8c1f2c0e-1d2a-4c1b-9a55-1e1e1e1e1e1e" "payments:8080" "10.0.3.4:8080" '
        "outbound|8080||payments.shop.svc.cluster.local 10.0.1.2:41234 10.0.3.4:8080 10.0.1.2:50000 - default",
        '{"level":"error","msg":"request failed","method":"POST","path":"/pay","status":500}',
        "ERROR c.e.Client - HTTP 500 Internal Server Error from payments",
    ],
}


# A second round of wordings, written after the rules above and run against them unchanged first
# (26 of 32 were right; the misses led to the Ruby/Node/Django/AMQP/Envoy phrasings in classify.py).
SECOND_ROUND: list[tuple[str, str]] = [
    ("connection_refused", "redis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused."),
    ("connection_refused",
        "MongoNetworkError: failed to connect to server [mongo:27017] on first connect"
        " [Error: connect ECONNREFUSED 10.0.0.7:27017]"),
    ("connection_refused",
        "dial tcp [::1]:8080: connectex: No connection could be made because the target"
        " machine actively refused it."),
    ("connection_timeout",
        "org.apache.http.conn.ConnectTimeoutException: Connect to api.example.com:443 failed:"
        " connect timed out"),
    ("connection_timeout", "Net::ReadTimeout with #<TCPSocket:(closed)>"),
    ("connection_timeout", "httpx.ConnectTimeout: timed out"),
    ("dns_failure", "Error: queryA ETIMEOUT db.internal"),
    ("dns_failure", "java.net.UnknownHostException: kafka-0.kafka-headless: Name or service not known"),
    ("dns_failure", "SocketError: getaddrinfo: Name or service not known (payments:443)"),
    ("tls_error",
        "OpenSSL::SSL::SSLError: SSL_connect returned=1 errno=0 state=error: certificate"
        " verify failed (unable to get local issuer certificate)"),
    ("tls_error",
        "Get \"https://vault:8200/v1/sys/health\": tls: failed to verify certificate: x509:"
        " certificate is valid for vault.internal, not vault"),
    ("oom", "java.lang.OutOfMemoryError: GC overhead limit exceeded"),
    ("oom",
        "<--- Last few GCs ---> FATAL ERROR: Ineffective mark-compacts near heap limit"
        " Allocation failed - JavaScript heap out of memory"),
    ("missing_config", "Error: The \"STRIPE_SECRET\" environment variable is required"),
    ("missing_config", "config: required field \"database.dsn\" is missing"),
    ("missing_config", "raise ImproperlyConfigured(\"Set the SECRET_KEY environment variable\")"),
    ("missing_config", "ERROR: Missing required configuration key: api.token"),
    ("permission_denied", "mkdir /var/run/app: read-only file system"),
    ("permission_denied",
        "Error from server (Forbidden): secrets is forbidden: User"
        " \"system:serviceaccount:default:app\" cannot get resource \"secrets\""),
    ("auth_failure",
        "pika.exceptions.ProbableAuthenticationError: ConnectionClosedByBroker: (403)"
        " 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN'"),
    ("auth_failure", "Error: Request failed with status code 401"),
    ("disk_full", "kafka.common.KafkaStorageException: Error while writing to checkpoint file: "
                  "No space left on device"),
    ("rate_limited", "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached'}}"),
    ("db_error", "django.db.utils.ProgrammingError: column orders.tenant_id does not exist"),
    ("db_error", "ERROR 1146 (42S02): Table 'shop.orders' doesn't exist"),
    ("upstream_reset", "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected"),
    ("upstream_reset", "curl: (56) Recv failure: Connection reset by peer"),
    ("file_not_found", "Error: Cannot find module '/app/server.js'"),
    ("file_not_found", "OSError: [Errno 2] No such file or directory: '/secrets/token'"),
    ("crash_exit", "Container app terminated with exit code 139"),
    ("unavailable", "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
    ("panic", "goroutine 1 [running]: panic: assignment to entry in nil map"),
]


@pytest.mark.parametrize(("expected", "line"),
                         [(cls, line) for cls, lines in CASES.items() for line in lines] + SECOND_ROUND)
def test_each_wording_gets_its_class(expected: str, line: str) -> None:
    facts = extract([line])
    assert facts.errors, f"no error found in {line!r}"
    assert facts.errors[0].error_class == expected, (line, facts.errors[0])


def test_every_class_has_at_least_four_wordings() -> None:
    assert all(len(lines) >= 4 for lines in CASES.values())


@pytest.mark.parametrize("line", [
    'level=info msg="cache hit" key=user:42 ttl=30s',
    '{"level":"info","msg":"request served","status":200,"duration_ms":12}',
    "I0301 10:00:00.000000       1 controller.go:120] Starting workers",
    '10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "kube-probe/1.32"',
    "2026-03-01 10:00:00,123 INFO [main] c.e.App - timeout=30s retries=3 configured",
])
def test_healthy_lines_are_not_errors(line: str) -> None:
    assert extract([line]).errors == []


def test_the_anchor_words_never_hide_a_match() -> None:
    """The cheap substring gate in front of each class pattern must not change any answer."""
    from mcp_servers.common.logfacts.classify import CLASS_PATTERNS, _match

    def ungated(text: str) -> str | None:
        return next((name for name, pattern in CLASS_PATTERNS if pattern.search(text)), None)

    texts = [line for lines in CASES.values() for line in lines]
    texts += [t.upper() for t in texts] + [t.lower() for t in texts]
    assert [_match(t) for t in texts] == [ungated(t) for t in texts]
