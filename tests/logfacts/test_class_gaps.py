"""Log-fact gaps closed as classes: exceptions named mid-line, SQL Server's comma port, HAProxy's
termination state.

Lines are written from each software's documented format, several wordings per class:
java.util.logging's `SEVERE` level (and Kafka clients' exception names), Microsoft.Data.SqlClient /
Entity Framework messages and connection strings (`host,port`, `tcp:` prefix, named instance), and
HAProxy's HTTP log format (`option httplog`: timers Tq/Tw/Tc/Tr/Ta, status, termination state,
connection counts, queues, request), with and without a syslog header.
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts import extract
from mcp_servers.common.logfacts.classify import haproxy_state_class


def top(line: str) -> dict[str, object]:
    facts = extract([line, line])
    assert facts.errors, line
    return facts.errors[0].model_dump()


@pytest.mark.parametrize(("line", "exception", "cls"), [
    ("[2026-11-03 11:00:01,000] [SEVERE] org.apache.kafka.clients.producer.internals.Sender - Failed to send batch: "
     "org.apache.kafka.common.errors.TimeoutException: Expiring 12 record(s) for orders-0: 30005 ms has passed",
     "org.apache.kafka.common.errors.TimeoutException", "connection_timeout"),
    ("[SEVERE] 2026-11-03T11:00:01Z org.apache.kafka.common.errors.TimeoutException: Topic orders not present in "
     "metadata after 60000 ms.", "org.apache.kafka.common.errors.TimeoutException", "connection_timeout"),
    ("Nov 03, 2026 11:00:01 AM com.example.Consumer poll SEVERE: commit failed with "
     "org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since the group has "
     "already rebalanced", "org.apache.kafka.clients.consumer.CommitFailedException", None),
    ("2026-11-03 11:00:01.000 ERROR [db] query aborted: Microsoft.Data.SqlClient.SqlException (0x80131904): "
     "Execution Timeout Expired.", "Microsoft.Data.SqlClient.SqlException", None),
])
def test_an_exception_named_after_the_message_words_is_extracted(line: str, exception: str, cls: str | None) -> None:
    error = top(line)
    assert error["exception"] == exception
    if cls:
        assert error["error_class"] == cls


def test_prose_with_a_capitalised_word_is_not_an_exception() -> None:
    error = top("2026-11-03 11:00:01 ERROR worker: batch Error while flushing, will retry")
    assert error["exception"] is None


@pytest.mark.parametrize(("line", "host", "port"), [
    ("2026-11-03 11:00:01.000 fail: Microsoft.EntityFrameworkCore.Database.Connection[20004] An error occurred "
     "using the connection to database 'orders' on server 'sqlserver.data.svc,1433'.", "sqlserver.data.svc", "1433"),
    ("ERROR Login failed: Data Source=tcp:mssql-0.mssql.data.svc.cluster.local,14330;Initial Catalog=orders "
     "connection failed", "mssql-0.mssql.data.svc.cluster.local", "14330"),
    ("error: A network-related or instance-specific error occurred while establishing a connection to SQL Server "
     "(Server=10.0.4.7,1433): Could not open a connection to SQL Server", "10.0.4.7", "1433"),
])
def test_sql_server_comma_port_is_a_host_and_port(line: str, host: str, port: str) -> None:
    fields = top(line)["fields"]
    assert fields["upstream_host"] == host and fields["upstream_port"] == port  # type: ignore[index]


HAPROXY = ('10.0.0.1:5123 [03/Nov/2026:11:00:01.000] fe_http be_api/{server} 0/0/{tc}/{tr}/{ta} {status} 217 - - '
           '{state} 10/10/2/0/0 0/0 "GET /api/orders HTTP/1.1"')


@pytest.mark.parametrize(("server", "tc", "tr", "ta", "status", "state", "cls"), [
    ("<NOSRV>", "-1", "-1", "0", "503", "SC--", "unavailable"),         # no server left to try
    ("api-1", "-1", "-1", "3", "503", "SC--", "connection_refused"),     # the server refused the connect
    ("api-1", "-1", "-1", "3001", "503", "sC--", "connection_timeout"),  # connect timeout
    ("api-1", "1", "-1", "30002", "504", "sH--", "connection_timeout"),  # no response headers in time
    ("api-1", "1", "-1", "12", "502", "SH--", "upstream_reset"),         # the server aborted before headers
    ("api-1", "1", "4", "900", "200", "SD--", "upstream_reset"),         # aborted mid-body
    ("<NOSRV>", "-1", "-1", "5000", "503", "sQ--", "unavailable"),       # queued too long: servers saturated
    ("<NOSRV>", "-1", "-1", "0", "403", "PR--", "permission_denied"),    # a deny rule
    ("api-1", "-1", "-1", "0", "503", "RC--", "rate_limited"),           # proxy out of sockets/ports
])
def test_haproxy_termination_states_classify_by_what_the_flags_mean(server: str, tc: str, tr: str, ta: str,
                                                                    status: str, state: str, cls: str) -> None:
    line = HAPROXY.format(server=server, tc=tc, tr=tr, ta=ta, status=status, state=state)
    error = top(line)
    assert error["error_class"] == cls
    assert error["fields"]["termination_state"] == state  # type: ignore[index]


def test_haproxy_behind_a_syslog_header_and_a_client_abort_is_not_a_backend_fault() -> None:
    line = ('<134>Nov  3 11:00:01 lb-1 haproxy[12]: 10.0.0.1:5123 [03/Nov/2026:11:00:01.000] fe_http be_api/api-1 '
            '0/0/1/-1/30002 504 194 - - sH-- 10/10/2/1/0 0/0 "GET /api/export HTTP/1.1"')
    assert top(line)["error_class"] == "connection_timeout"
    assert haproxy_state_class("CD--", "200", "api-1") is None  # the client went away
    assert haproxy_state_class("cR--", "408", "<NOSRV>") is None  # the client was too slow to send
    ok = ('10.0.0.1:5123 [03/Nov/2026:11:00:01.000] fe_http be_api/api-1 0/0/1/2/3 200 17 - - ---- 1/1/0/0/0 0/0 '
          '"GET / HTTP/1.1"')
    assert extract([ok]).errors == []
