"""The .NET console format: an inner cause printed with a hex HRESULT (data providers) is kept, and a wrapper
whose text only points inward gives its room to the cause."""

from mcp_servers.common.logfacts.dotnet_console import body

SQLSERVER = [
    "fail: Payroll.Runs.Store[3]",
    "      Saving run 88 failed",
    "      System.Data.DataException: See the inner exception for details.",
    "       ---> Microsoft.Data.SqlClient.SqlException (0x80131904): Failed to update database because the database "
    "is read-only.",
    "         at Microsoft.Data.SqlClient.SqlCommand.ExecuteNonQuery()",
]

NPGSQL = [
    "fail: Fleet.Trips.Writer[1]",
    "      Trip 4411 not stored",
    "      Microsoft.EntityFrameworkCore.DbUpdateException: An error occurred while saving the entity changes. "
    "See the inner exception for details.",
    "       ---> Npgsql.PostgresException (0x80004005): 25006: cannot execute UPDATE in a read-only transaction",
]

OWN_TEXT = [
    "fail: Fleet.Trips.Writer[1]",
    "      Trip 4411 not stored",
    "      System.InvalidOperationException: The trip was already closed by dispatcher 7",
    "       ---> System.Data.DBConcurrencyException (0x80131904): stale row version",
]


def test_sql_server_inner_cause_with_hresult_is_kept() -> None:
    text = body(SQLSERVER)
    assert text is not None and "(inner: Microsoft.Data.SqlClient.SqlException (0x80131904): Failed to update" in text
    assert "See the inner exception" not in text and "System.Data.DataException" in text


def test_npgsql_inner_refusal_survives_a_long_wrapper() -> None:
    text = body(NPGSQL)
    assert text is not None and text.endswith("cannot execute UPDATE in a read-only transaction)")


def test_a_wrapper_with_its_own_words_keeps_them() -> None:
    text = body(OWN_TEXT)
    assert text is not None and "already closed by dispatcher 7" in text
    assert "(inner: System.Data.DBConcurrencyException" in text
