"""The cheap shape test that gates HAProxy's log pattern: it must pass every HAProxy line and no other
bracketed format, so other formats never pay for the pattern and HAProxy lines still parse.

Lines are written from each software's documented format: HAProxy's `option httplog` (IPv4 and IPv6
clients, with a syslog header, with an earlier bracket in the prefix), Envoy's default access log,
nginx's combined access and error logs, klog, and Spring Boot's logback layout.
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts.lines import has_haproxy_accept_date, parse_haproxy, parse_line

TAIL = ('fe_http be_api/api-1 0/0/1/-1/30002 504 194 - - sH-- 10/10/2/1/0 0/0 "GET /api/export HTTP/1.1"')

HAPROXY_LINES = [
    f"10.0.0.1:5123 [03/Nov/2026:11:00:01.000] {TAIL}",
    f"[2001:db8::7]:40112 [03/Nov/2026:11:00:01.000] {TAIL}",
    f"<134>Nov  3 11:00:01 lb-1 haproxy[12]: 10.0.0.1:5123 [03/Nov/2026:11:00:01.000] {TAIL}",
    f"lb-1 [ALERT] (12) : 10.0.0.1:5123 [03/Nov/2026:11:00:01.000] {TAIL}",
]

OTHER_BRACKETED = [
    '[2026-03-01T10:00:00.000Z] "POST /pay HTTP/1.1" 503 UF 10 91 3 - "-" "okhttp" "7f" "payments" "10.0.3.4:8080"',
    '10.0.1.9 - - [01/Mar/2026:10:00:00 +0000] "GET /static/1.js HTTP/1.1" 200 512 "-" "Mozilla/5.0"',
    '10.0.1.9 - alice7 [01/Mar/2026:10:00:00 +0000] "GET /static/1.js HTTP/1.1" 200 512 "-" "Mozilla/5.0"',
    "2026/03/01 10:00:00 [error] 31#31: *7 upstream timed out (110: Connection timed out), client: 10.0.0.9",
    "E0301 10:00:00.000001       1 reflector.go:138] failed to list *v1.Pod: Unauthorized",
    "2026-03-01 10:00:00.000 ERROR 1 --- [nio-8080-exec-1] c.e.Client : java.net.UnknownHostException: ledger",
    "worker 12 [01/Mar] queue drained",
]


@pytest.mark.parametrize("line", HAPROXY_LINES)
def test_haproxy_lines_pass_the_gate_and_parse(line: str) -> None:
    assert has_haproxy_accept_date(line)
    parsed = parse_line(line)
    assert parsed.format == "haproxy"
    assert parsed.fields["termination_state"] == "sH--"
    assert parsed.fields["server"] == "api-1"


@pytest.mark.parametrize("line", OTHER_BRACKETED)
def test_other_bracketed_formats_fail_the_gate(line: str) -> None:
    assert not has_haproxy_accept_date(line)
    assert parse_line(line).format != "haproxy"


@pytest.mark.parametrize("line", HAPROXY_LINES + OTHER_BRACKETED)
def test_the_gate_never_refuses_a_line_the_pattern_matches(line: str) -> None:
    """The gate is only a shortcut: wherever the full pattern matches, the gate must have said yes."""
    if parse_haproxy(line) is not None:
        assert has_haproxy_accept_date(line)


def test_a_bracket_at_the_very_start_is_not_mistaken_for_the_accept_date() -> None:
    assert not has_haproxy_accept_date(" [03/Nov/2026:11:00:01.000] fe be/s")
    assert has_haproxy_accept_date("[x] 10.0.0.1:1 [03/Nov/2026:11:00:01.000] fe be/s")
