"""The .NET console logger's simple format: the message and exception sit on the lines after the head line."""

from mcp_servers.common.logfacts.dotnet_console import body
from mcp_servers.common.logfacts.extract import extract

REFUSED = """2025-03-01T08:00:00Z fail: Orders.Billing.InvoiceClient[42]
2025-03-01T08:00:00Z       Could not post invoice 7781 to ledger
2025-03-01T08:00:00Z       System.Net.Http.HttpRequestException: Connection refused (ledger.billing.svc:8443)
2025-03-01T08:00:00Z        ---> System.Net.Sockets.SocketException (111): Connection refused
2025-03-01T08:00:00Z          at System.Net.Http.HttpConnectionPool.ConnectToTcpHostAsync(String host, Int32 port)
2025-03-01T08:00:00Z          at Orders.Billing.InvoiceClient.PostAsync(Invoice invoice)
"""

NOT_RESOLVED = """crit: Warehouse.Sync.Worker[7]
      Stock sync aborted
      System.Net.Http.HttpRequestException: Name or service not known (inventory.internal:443)
         at System.Net.Http.HttpConnectionPool.ConnectAsync(HttpRequestMessage request)
"""

HEALTHY = """info: Orders.Billing.InvoiceClient[42]
      Posted invoice 7781 to ledger in 120 ms
info: Orders.Billing.InvoiceClient[42]
      Posted invoice 7782 to ledger in 118 ms
"""


def test_message_and_exception_are_read_from_the_continuation_lines() -> None:
    facts = extract(REFUSED.splitlines())
    (err,) = facts.errors
    assert err.error_class == "connection_refused"
    assert "Could not post invoice" in err.message and "SocketException (111)" in err.message
    assert err.exception == "System.Net.Http.HttpRequestException"


def test_a_critical_record_without_timestamps_names_the_failed_lookup() -> None:
    facts = extract(NOT_RESOLVED.splitlines())
    (err,) = facts.errors
    assert err.severity == "fatal"
    assert "Name or service not known" in err.message
    assert err.error_class is not None and "dns" in err.error_class


def test_twin_info_records_with_messages_are_no_errors() -> None:
    assert extract(HEALTHY.splitlines()).errors == []


def test_twin_a_leveled_line_with_its_own_message_is_left_alone() -> None:
    assert body(["fail: request to /x took too long", "   extra"]) is None
    assert body(["warn: Some.Category[3]"]) is None


def test_systemd_format_stays_one_line() -> None:
    (err,) = extract(["<3>Orders.Billing.InvoiceClient[42] Could not post invoice 9 "
                      "System.Net.Http.HttpRequestException: Connection refused (ledger:8443)"]).errors
    assert err.error_class == "connection_refused"
