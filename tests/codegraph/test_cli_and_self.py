"""The CLI commands end to end, and this repository indexed by its own indexer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mcp_servers.codegraph.cli import code_app, index_cmd
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import index_repository
from tests.codegraph.conftest import FIXTURES, REPO_ROOT
from tests.codegraph.test_stacktrace import GO_TRACE

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("index")(index_cmd)
    app.add_typer(code_app, name="code")
    return app


def test_index_then_callers_impact_stacktrace(tmp_path: Path) -> None:
    repo = tmp_path / "go_shop"
    shutil.copytree(FIXTURES / "go_shop", repo)
    app = cli()
    result = runner.invoke(app, ["index", str(repo)])
    assert result.exit_code == 0, result.output
    assert "16 symbols" in result.output and (repo / ".vigil" / "codegraph.db").is_file()
    result = runner.invoke(app, ["code", "callers", "DB.Save", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert "go:internal/cart:Cart.Add" in result.output
    result = runner.invoke(app, ["code", "impact", "DB.flush", "--depth", "4", "--repo", str(repo)])
    assert result.exit_code == 0
    assert "| 4 | go:cmd/shop:handle | cmd/shop/main.go:10 | HTTP handler |" in result.output
    trace = tmp_path / "panic.txt"
    trace.write_text(GO_TRACE)
    result = runner.invoke(app, ["code", "stacktrace", str(trace), "--repo", str(repo)])
    assert result.exit_code == 0
    assert "raised in: go:internal/db:DB.Save" in result.output


def test_cli_errors_are_plain(tmp_path: Path) -> None:
    """Output that is not a terminal is never wrapped, however long the path in the message."""
    repo = tmp_path / ("a-long-directory-name-" * 6)
    repo.mkdir()
    result = runner.invoke(cli(), ["code", "callers", "x", "--repo", str(repo)])
    assert result.exit_code == 2
    assert f"run `vigil index {repo}` first" in result.output


@pytest.mark.slow
def test_own_repository_indexed(tmp_path: Path) -> None:
    """Vigil's own code: the indexer's callers are known by reading cli.py, server.py and the tests."""
    report = index_repository(REPO_ROOT, tmp_path / "self.db", workers=2)
    assert not report.errors
    g = CodeGraph(tmp_path / "self.db")
    callers = {c for c, _ in g.callers("py:mcp_servers.codegraph.indexer:index_repository")}
    assert {"py:mcp_servers.codegraph.cli:index_cmd", "py:mcp_servers.codegraph.server:load_graph",
            "py:mcp_servers.codegraph.indexer:index_commit"} <= callers
    # A method call through a typed local: `g = CodeGraph(...)` then `g.callers(...)`.
    assert "py:tests.codegraph.test_cli_and_self:test_own_repository_indexed" in {
        c for c, _ in g.callers("py:mcp_servers.codegraph.graph:CodeGraph.callers")}


def test_entry_points_in_own_code(tmp_path: Path) -> None:
    """Typer commands and MCP tools of this repository are marked as entry points."""
    report = index_repository(REPO_ROOT / "mcp_servers" / "codegraph", tmp_path / "cg.db", workers=1)
    assert not report.errors
    g = CodeGraph(tmp_path / "cg.db")
    # Indexed from inside the package, the keys are the ones a whole-repository index gives.
    assert g.symbols["py:mcp_servers.codegraph.cli:callers_cmd"].entry == "cli"
    assert g.symbols["py:mcp_servers.codegraph.server:build_server.get_callers"].entry == "mcp"
