"""The schema changes a migration's log names, in each tool's own words; queries and chatter are not changes."""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts.schema import changes_schema, statements

TOOLS = [
    (["INFO  [alembic.runtime.migration] Running upgrade 3f2a -> 8b1e, consolidate indexes"],
     "Running upgrade 3f2a -> 8b1e, consolidate indexes"),
    (["INFO: ChangeSet db/changelog/042-drop-sku-index.yaml::42::dba ran successfully in 31ms"],
     "ChangeSet db/changelog/042-drop-sku-index.yaml::42::dba ran successfully"),
    (["  Applying catalog.0042_remove_variant_sku_index... OK"], "Applying catalog.0042_remove_variant_sku_index"),
    (["42/u drop_sku_index (18.2ms)"], "42/u drop_sku_index (18.2ms)"),
    (["[info] drop index(:variants, [:sku])"], "drop index(:variants, [:sku])"),
    (["Applying migration `20260501_drop_sku_index`"], "Applying migration `20260501_drop_sku_index`"),
    (["ALTER TABLE `orders` DROP INDEX `idx_sku`, ADD INDEX `idx_wh_sku` (`warehouse_id`, `sku`);"],
     "ALTER TABLE `orders` DROP INDEX `idx_sku`, ADD INDEX `idx_wh_sku` (`warehouse_id`, `sku`)"),
    (["CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_users_email ON users USING btree (lower(email)"],
     "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_users_email"),
]


@pytest.mark.parametrize(("lines", "expected"), TOOLS)
def test_each_tool_names_its_migration(lines: list[str], expected: str) -> None:
    found = statements(lines)
    assert any(expected in s for s in found), found


def test_queries_and_chatter_are_not_schema_changes() -> None:
    lines = ["SELECT id FROM product_variants WHERE sku = $1", "INFO  [sqlalchemy.engine.Engine] COMMIT",
             "INSERT INTO alembic_version (version_num) VALUES ('8b1e')", "processed 120000 rows in 81s",
             "UPDATE orders SET status = 'shipped' WHERE id = 7"]
    assert not changes_schema(lines)


def test_ddl_comes_after_the_tools_line_and_each_once() -> None:
    lines = ["Running upgrade a1 -> b2, merge", "DROP INDEX ix_a", "DROP INDEX ix_a", "CREATE INDEX ix_b ON t (x, y)"]
    assert statements(lines) == ["Running upgrade a1 -> b2, merge", "DROP INDEX ix_a", "CREATE INDEX ix_b ON t (x, y)"]
