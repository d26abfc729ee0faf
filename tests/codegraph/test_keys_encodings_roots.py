"""Defects a user found (issue 17): keys that collided across languages, PEP 263 source encodings,
and answers that depended on which directory was indexed. Each test failed before the fix."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mcp_servers.codegraph import answers
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import index_repository
from mcp_servers.codegraph.lang.base import as_utf8


def _write(root: Path, files: dict[str, bytes | str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def _index(root: Path, db: Path) -> CodeGraph:
    report = index_repository(root, db, workers=1)
    assert not report.errors, report.errors
    return CodeGraph(db)


def _callers(g: CodeGraph, key: str) -> set[str]:
    return {c for c, _ in g.callers(key)}


# ---- keys never collide across languages ---------------------------------------------------------
def test_same_module_and_name_in_python_and_go_stay_two_symbols(tmp_path: Path) -> None:
    _write(tmp_path / "repo", {
        "go.mod": "module example.com/m\n",
        "util.py": "def Helper():\n    return 1\n",
        "main.py": "from util import Helper\n\n\ndef run():\n    return Helper()\n",
        "util/util.go": "package util\n\nfunc Helper() int { return 1 }\n",
        "cmd/app/main.go": 'package main\n\nimport "example.com/m/util"\n\nfunc main() { util.Helper() }\n',
        "web/util.ts": "export function Helper(): number { return 1 }\n",
        "web/app.ts": "import { Helper } from './util'\nexport function start() { return Helper() }\n",
    })
    g = _index(tmp_path / "repo", tmp_path / "idx.db")
    assert _callers(g, "py:util:Helper") == {"py:main:run"}
    assert _callers(g, "go:util:Helper") == {"go:cmd/app:main"}
    assert _callers(g, "js:web/util:Helper") == {"js:web/app:start"}
    # A bare or module-qualified name written without the language is ambiguous, and says so.
    assert g.find("util:Helper") == ["go:util:Helper", "py:util:Helper"]
    with pytest.raises(LookupError, match="ambiguous"):
        answers.callers_answer(g, "Helper")


# ---- source encodings ------------------------------------------------------------------------------
LATIN1_BODY = "def café_ok():\n    return 1\n\n\ndef use():\n    return café_ok()\n"


@pytest.mark.parametrize("header", [
    "# -*- coding: latin-1 -*-\n",
    "#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\n",
    "# coding=cp1252\n",
])
def test_pep263_declaration_is_honoured(tmp_path: Path, header: str) -> None:
    _write(tmp_path / "repo", {"legacy.py": (header + LATIN1_BODY).encode("latin-1")})
    g = _index(tmp_path / "repo", tmp_path / "idx.db")
    assert "py:legacy:café_ok" in g.symbols
    assert _callers(g, "py:legacy:café_ok") == {"py:legacy:use"}
    assert g.symbols["py:legacy:use"].start == header.count("\n") + 5  # lines are kept


def test_a_declaration_on_line_three_is_not_one(tmp_path: Path) -> None:
    """Python reads the cookie on the first two lines only; the fallback still keeps the name whole."""
    src = ("x = 1\ny = 2\n# -*- coding: cp1251 -*-\n" + LATIN1_BODY).encode("latin-1")
    assert "def café_ok" in as_utf8("python", src).decode("utf-8")


def test_bom_and_other_languages(tmp_path: Path) -> None:
    _write(tmp_path / "repo", {
        "bom.py": codecs.BOM_UTF8 + "def naïve():\n    return 1\n".encode(),
        "legacy.js": "function café() { return 1 }\nfunction use() { return café() }\n".encode("latin-1"),
        "wide.ts": codecs.BOM_UTF16_LE + "export function größe(): number { return 1 }\n".encode("utf-16-le"),
    })
    g = _index(tmp_path / "repo", tmp_path / "idx.db")
    assert "py:bom:naïve" in g.symbols
    assert _callers(g, "js:legacy:café") == {"js:legacy:use"}
    assert "js:wide:größe" in g.symbols
    # The stored hash is of the bytes on disk: an unchanged file is not parsed again.
    again = index_repository(tmp_path / "repo", tmp_path / "idx.db", workers=1)
    assert again.mode == "none" and again.parsed == 0


# ---- the index root does not change the answers ------------------------------------------------------
PACKAGE = {
    "src/requests/__init__.py": "from . import sessions\nfrom .models import Request\n",
    "src/requests/models.py": "class Request:\n    def prepare(self):\n        return self\n",
    "src/requests/sessions.py": "from .models import Request\n\n\ndef session():\n    return Request().prepare()\n",
    "src/requests/api.py": "from . import sessions\n\n\ndef get():\n    return sessions.session()\n",
    "src/requests/adapters/__init__.py": "",
    "src/requests/adapters/http.py": "from ..models import Request\n\n\ndef send():\n    return Request()\n",
}


@pytest.mark.parametrize("sub", ["src", "src/requests", "src/requests/adapters"])
def test_relative_imports_resolve_from_any_index_root(tmp_path: Path, sub: str) -> None:
    _write(tmp_path / "repo", PACKAGE)
    whole = _index(tmp_path / "repo" / "src", tmp_path / "whole.db")
    part = _index(tmp_path / "repo" / sub, tmp_path / "part.db")
    assert _callers(whole, "py:requests.sessions:session") == {"py:requests.api:get"}
    assert _callers(whole, "py:requests.models:Request") == {"py:requests.sessions:session",
                                                             "py:requests.adapters.http:send"}
    # Every edge among the files the smaller index holds is the same edge, under the same keys.
    held = {r[0] for r in part.db.execute("SELECT path FROM files")}
    offset = sub.removeprefix("src").strip("/")
    edges = {(s, d) for s, d, p in whole.db.execute("SELECT src, dst, path FROM edges WHERE kind='calls'")
             if p.removeprefix(offset).lstrip("/") in held and d in part.symbols}
    assert edges == {(s, d) for s, d in part.db.execute("SELECT src, dst FROM edges WHERE kind='calls'")}
    assert part.symbols.keys() <= whole.symbols.keys()


# ---- files over the size limit are reported, and the limit is a setting -------------------------------
def test_files_over_the_limit_are_listed_not_silently_dropped(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tests.codegraph.test_cli_and_self import cli

    big = "def generated():\n    return 1\n" + "X = 1\n" * 360_000  # about 2.2 MB
    medium = "def medium():\n    return 1\n" + "Y = 1\n" * 200  # about 1.2 kB
    _write(tmp_path / "repo", {"small.py": "def f():\n    return 1\n", "gen/parser_tables.py": big,
                               "gen/medium.py": medium})
    report = index_repository(tmp_path / "repo", tmp_path / "idx.db", workers=1)
    assert report.too_large == [("gen/parser_tables.py", len(big))]
    assert "py:gen.parser_tables:generated" not in CodeGraph(tmp_path / "idx.db").symbols

    result = CliRunner().invoke(cli(), ["index", str(tmp_path / "repo"), "--db", str(tmp_path / "b.db"),
                                        "--max-file-bytes", "1000"])
    assert result.exit_code == 0, result.output
    assert "skipped 2 files over 1,000 bytes: gen/parser_tables.py (2.2 MB), gen/medium.py" in result.output
    assert "py:gen.medium:medium" not in CodeGraph(tmp_path / "b.db").symbols
    # A limit above a file's size indexes it.
    report = index_repository(tmp_path / "repo", tmp_path / "c.db", workers=1, max_file_bytes=len(medium))
    assert [p for p, _ in report.too_large] == ["gen/parser_tables.py"]
    assert "py:gen.medium:medium" in CodeGraph(tmp_path / "c.db").symbols


def test_max_file_bytes_in_the_config_is_checked() -> None:
    from pydantic import ValidationError

    from agent.config import Config

    cfg = Config.model_validate({"codegraph": {"repo": ".", "max_file_bytes": 5_000_000}})
    assert cfg.codegraph is not None and cfg.codegraph.max_file_bytes == 5_000_000
    with pytest.raises(ValidationError, match="max_file_bytes must be a positive number"):
        Config.model_validate({"codegraph": {"repo": ".", "max_file_bytes": 0}})
