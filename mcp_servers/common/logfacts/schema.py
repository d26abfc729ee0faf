"""The schema changes a migration's log says it made: DDL statements and migration tools' own lines.

A migration Job that completes leaves no failure behind: its pod is `Completed`, its Job
`Complete`. What it did is only in its log, in the words of the ORM or migration tool that ran it:
SQLAlchemy echoing `DROP INDEX ...`, Alembic's `Running upgrade a -> b, message`, Flyway's
`Migrating schema "public" to version "42 - add index"`, Liquibase's `ChangeSet ... ran
successfully`, Rails' `-- remove_index(:orders, :sku)`, Django's `Applying shop.0042_... OK`,
golang-migrate's `42/u add_index (12ms)`, Ecto's `drop index(:orders, [:sku])`, Prisma's
`Applying migration ...`. These lines say which tables, indexes and columns changed: what a query
that turned slow right after depends on.
"""

from __future__ import annotations

import re

_DDL = re.compile(
    r"\b(?:(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX(?:\s+CONCURRENTLY)?(?:\s+IF\s+(?:NOT\s+)?EXISTS)?\s+[\w.\"`]+"
    r"(?:\s+ON\s+[\w.\"`]+\s*(?:USING\s+\w+\s*)?\([^)]*\))?"
    r"|ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?[\w.\"`]+\s+(?:ADD|DROP|ALTER|RENAME|MODIFY|CHANGE|"
    r"SET|VALIDATE)\b[^;\n]{0,160}"
    r"|(?:CREATE|DROP|TRUNCATE|RENAME)\s+TABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?\s+[\w.\"`]+"
    r"|(?:CREATE|DROP)\s+(?:MATERIALIZED\s+)?VIEW\s+[\w.\"`]+|REINDEX\s+\w+\s+[\w.\"`]+"
    r"|ALTER\s+INDEX\s+[\w.\"`]+\s+\w+[^;\n]{0,80}|VACUUM\s+FULL\b[^;\n]{0,60})", re.I)
"""SQL that changes a schema (PostgreSQL, MySQL, SQLite, SQL Server spellings): what is kept of a line."""

_TOOLS = re.compile(
    r"Running upgrade [^\s,]+ -> [^\s,]+(?:, [^\n]{0,120})?"                     # Alembic
    r"|Migrating schema [^\n]{0,40} to version [^\n]{0,120}"               # Flyway
    r"|Successfully applied \d+ migrations?[^\n]{0,80}"                    # Flyway
    r"|ChangeSet \S+ ran successfully[^\n]{0,40}"                          # Liquibase
    r"|==\s+\d+\s+\w+: (?:migrating|migrated)[^\n]{0,40}"                  # Rails
    r"|--\s+(?:add_index|remove_index|rename_index|add_column|remove_column|change_column|rename_column|"
    r"create_table|drop_table|rename_table|add_reference|remove_reference|add_foreign_key)\([^\n]{0,120}"
    r"|Applying \w+\.\d{4}_\w+[^\n]{0,20}"                                 # Django
    r"|\b\d+/[ud] \w+ \([\d.]+\s*\w*s\)"                                   # golang-migrate
    r"|(?:create|drop|alter|rename)(?:_if_not_exists|_if_exists)? (?:index|table|unique_index)\([^\n]{0,120}"  # Ecto
    r"|Applying migration `?[\w-]+`?"                                      # Prisma
    r"|==\s+[\w-]+: migrat(?:ing|ed)[^\n]{0,40}",                          # Sequelize, Knex
    re.I)
"""A migration tool's line naming the migration it applied."""

MAX_STATEMENTS = 8


def statements(lines: list[str]) -> list[str]:
    """The schema changes a log names, in order, each once: DDL first-hand, else the tools' lines."""
    out: list[str] = []
    for line in lines:
        for pattern in (_DDL, _TOOLS):
            for m in pattern.finditer(line):
                said = " ".join(m.group(0).split()).rstrip(",;")
                if said not in out:
                    out.append(said)
    ddl = [s for s in out if _DDL.fullmatch(s)]
    tools = [s for s in out if s not in ddl]
    return (tools[:2] + ddl)[:MAX_STATEMENTS] if ddl else tools[:MAX_STATEMENTS]


def changes_schema(lines: list[str]) -> bool:
    """Whether a log shows a schema migration at all."""
    return bool(statements(lines))
