"""A Python traceback whose exception message continues over lines keeps the exception's own line as its example.

SQLAlchemy prints `[SQL: ...]`, `[parameters: ...]` and `(Background on this error at: ...)` under the exception
line; the reader joins them to the message, so `exception: message` is on no single line. The example (what
triage modules quote and match: a MySQL 1364, a PostgreSQL constraint) must still be the exception's line, never the
`Traceback (most recent call last):` header. Twin: a one-line message keeps its line as before.
"""

from __future__ import annotations

from mcp_servers.common.logfacts.extract import extract

SQLALCHEMY = [
    "Traceback (most recent call last):",
    '  File "/app/crm/leads.py", line 41, in create',
    "    session.commit()",
    "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1364, \"Field 'region' doesn't have a default "
    "value\")",
    "[SQL: INSERT INTO leads (id, company) VALUES (%(id)s, %(company)s)]",
    "[parameters: {'id': 7, 'company': 'Acme'}]",
    "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
]


def test_a_continued_message_keeps_the_exception_line_as_example() -> None:
    facts = extract(SQLALCHEMY * 3)
    top = facts.errors[0]
    assert top.error_class == "db_error"
    assert top.example.startswith("sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1364")


def test_a_one_line_message_keeps_its_line() -> None:
    lines = ["Traceback (most recent call last):", '  File "/app/x.py", line 3, in <module>',
             "    connect()", "ConnectionRefusedError: [Errno 111] Connection refused"]
    top = extract(lines * 2).errors[0]
    assert top.example == "ConnectionRefusedError: [Errno 111] Connection refused"
