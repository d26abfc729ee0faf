"""Incremental re-indexing must give exactly the graph a full index gives.

Each scenario edits a copy of a fixture repository, re-indexes incrementally into the database
that indexed the original, indexes the edited copy from scratch into a second database, and
compares every symbol, edge and unresolved call.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from mcp_servers.codegraph.indexer import index_repository
from tests.codegraph.conftest import FIXTURES


def snapshot(db: Path) -> tuple[set[tuple[object, ...]], ...]:
    con = sqlite3.connect(db)
    try:
        return (
            set(con.execute("SELECT key, path, kind, start, end, signature, doc, parent FROM symbols")),
            set(con.execute("SELECT src, dst, kind, line, path FROM edges")),
            set(con.execute("SELECT src, callee, line, path FROM unresolved")),
            set(con.execute("SELECT path, module, sha FROM files")),
            set(con.execute("SELECT key, name FROM symbols_fts")),
        )
    finally:
        con.close()


def check_same_as_full(repo: Path, db: Path, tmp_path: Path) -> str:
    report = index_repository(repo, db, workers=1)
    full_db = tmp_path / "full.db"
    full_db.unlink(missing_ok=True)
    index_repository(repo, full_db, workers=1, full=True)
    assert snapshot(db) == snapshot(full_db)
    return report.mode


def setup(tmp_path: Path, name: str = "py_shop") -> tuple[Path, Path]:
    repo = tmp_path / name
    shutil.copytree(FIXTURES / name, repo)
    db = tmp_path / "inc.db"
    index_repository(repo, db, workers=1)
    return repo, db


def test_nothing_changed_is_a_no_op(tmp_path: Path) -> None:
    repo, db = setup(tmp_path)
    report = index_repository(repo, db, workers=1)
    assert (report.mode, report.parsed) == ("none", 0)


def test_body_edit_reresolves_only_that_file(tmp_path: Path) -> None:
    repo, db = setup(tmp_path)
    path = repo / "shop" / "db.py"
    path.write_text(path.read_text().replace("        self._write(rows)\n",
                                             "        self._write(rows)\n        self._write(rows[:1])\n"))
    assert check_same_as_full(repo, db, tmp_path) == "file"


def test_interface_edit_reresolves_dependents(tmp_path: Path) -> None:
    repo, db = setup(tmp_path)
    path = repo / "shop" / "db.py"
    # Renaming a method changes what other files' calls resolve to.
    path.write_text(path.read_text().replace("def save(self, rows):\n        self._write",
                                             "def store(self, rows):\n        self._write"))
    assert check_same_as_full(repo, db, tmp_path) == "dependents"
    con = sqlite3.connect(db)
    assert ("py:shop.cart:Cart.save", "self.db.save") in set(con.execute("SELECT src, callee FROM unresolved"))


def test_file_rename_and_deletion(tmp_path: Path) -> None:
    repo, db = setup(tmp_path)
    (repo / "shop" / "pricing.py").rename(repo / "shop" / "prices.py")
    for f in ("cart.py",):
        p = repo / "shop" / f
        p.write_text(p.read_text().replace("from shop import pricing", "from shop import prices as pricing")
                     .replace("from shop.pricing import", "from shop.prices import"))
    assert check_same_as_full(repo, db, tmp_path) == "full"
    (repo / "shop" / "service.py").unlink()
    assert check_same_as_full(repo, db, tmp_path) == "full"
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM symbols WHERE path='shop/service.py'").fetchone()[0] == 0
    callers = {r[0] for r in con.execute("SELECT src FROM edges WHERE dst='py:shop.prices:total'")}
    assert callers == {"py:shop.cart:Cart.total"}


def test_go_edit_in_one_file_of_a_package(tmp_path: Path) -> None:
    repo, db = setup(tmp_path, "go_shop")
    p = repo / "internal" / "cart" / "checkout.go"
    p.write_text(p.read_text().replace("\tc.Add(item)\n", "\tc.Add(item)\n\tc.Add(item + \"!\")\n"))
    check_same_as_full(repo, db, tmp_path)


def test_touched_but_unchanged_file_is_not_reparsed(tmp_path: Path) -> None:
    repo, db = setup(tmp_path)
    path = repo / "shop" / "db.py"
    path.write_text(path.read_text())  # new mtime, same bytes
    report = index_repository(repo, db, workers=1)
    assert (report.mode, report.parsed) == ("none", 0)
    con = sqlite3.connect(db)
    stamp = con.execute("SELECT stamp FROM files WHERE path='shop/db.py'").fetchone()[0]
    st = path.stat()
    assert stamp == f"{st.st_size}:{st.st_mtime_ns}"
