"""Command-line entry points: `vigil index`, `vigil code ...`, `vigil mcp codegraph`.

What the main `vigil` CLI mounts:
- the command function `index_cmd` as `index` (`app.command("index")(index_cmd)`):
  `vigil index PATH [--db FILE] [--full] [--commit REV]`;
- `code_app` as `code`: `vigil code callers|callees|impact|symbol|search|stacktrace|changed`;
- `mcp_app` as `mcp codegraph`: serve the tools over stdio or streamable HTTP.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.table import Table

from mcp_servers.codegraph import answers
from mcp_servers.codegraph.graph import CodeGraph
from mcp_servers.codegraph.indexer import (
    MAX_FILE_BYTES,
    default_db_path,
    index_commit,
    index_repository,
    too_large_notice,
)

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

code_app = typer.Typer(help="Ask the code knowledge graph: callers, impact, stack traces.", no_args_is_help=True)
mcp_app = typer.Typer(help="Code knowledge graph MCP server.", invoke_without_command=True)

RepoOpt = Annotated[Path, typer.Option("--repo", "-r", help="Repository root (its index: ROOT/.vigil/codegraph.db).")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="Index database (overrides --repo's default).")]


def index_cmd(
    path: Annotated[Path, typer.Argument(help="Repository root to index.")] = Path("."),
    db: DbOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Rebuild from scratch instead of incrementally.")] = False,
    commit: Annotated[str | None, typer.Option(help="Index this git commit's tree instead of the work tree.")] = None,
    workers: Annotated[int, typer.Option(help="Parser processes.")] = 2,
    max_file_bytes: Annotated[int, typer.Option(
        "--max-file-bytes", min=1, help="Skip (and list) source files larger than this.")] = MAX_FILE_BYTES,
) -> None:
    """Index PATH (incremental by content hash; `--commit REV` indexes a commit from git's objects)."""
    if not path.is_dir():
        err.print(f"[red]error:[/red] {path} is not a directory")
        raise typer.Exit(2)
    target = db or default_db_path(path)
    try:
        if commit:
            report = index_commit(path, commit, target, workers=workers, max_file_bytes=max_file_bytes)
        else:
            report = index_repository(path, target, workers=workers, full=full, max_file_bytes=max_file_bytes)
    except Exception as exc:  # git or filesystem trouble: say it plainly
        err.print(f"[red]error:[/red] indexing failed: {exc}")
        raise typer.Exit(1) from None
    c = report.counts
    out.print(f"indexed {report.root} -> {report.db}: {report.parsed} files parsed ({report.mode}), "
              f"{c.get('files', 0)} files, {c.get('symbols', 0)} symbols, {c.get('calls', 0)} resolved calls, "
              f"{c.get('unresolved', 0)} unresolved, in {report.seconds:.2f}s")
    if report.too_large:
        err.print(f"[yellow]{too_large_notice(report)}[/yellow]", markup=True, highlight=False)
    for e in report.errors[:10]:
        err.print(f"[yellow]skipped[/yellow] {e}")


def _graph(repo: Path, db: Path | None) -> CodeGraph:
    target = db or default_db_path(repo)
    if not target.is_file():
        err.print(f"[red]error:[/red] no index at {target}; run `vigil index {repo}` first")
        raise typer.Exit(2)
    return CodeGraph(target)


def _run(fn: Callable[[], str]) -> None:
    try:
        out.print(fn(), markup=False, highlight=False, soft_wrap=True)
    except LookupError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


@code_app.command("callers")
def callers_cmd(symbol: str, repo: RepoOpt = Path("."), db: DbOpt = None) -> None:
    """Who calls SYMBOL ('Class.method', 'module:Class.method', a name, or 'file:line')."""
    g = _graph(repo, db)
    _run(lambda: answers.callers_answer(g, symbol, budget_tokens=100_000))


@code_app.command("callees")
def callees_cmd(symbol: str, repo: RepoOpt = Path("."), db: DbOpt = None) -> None:
    """What SYMBOL calls, resolved and unresolved."""
    g = _graph(repo, db)
    _run(lambda: answers.callees_answer(g, symbol, budget_tokens=100_000))


@code_app.command("impact")
def impact_cmd(symbol: str, depth: Annotated[int, typer.Option("--depth", "-d", help="Caller depth (1-10).")] = 3,
               repo: RepoOpt = Path("."), db: DbOpt = None) -> None:
    """Transitive callers of SYMBOL by depth, with entry points (HTTP, CLI, tests) marked."""
    g = _graph(repo, db)
    _run(lambda: answers.impact_answer(g, symbol, depth, budget_tokens=100_000))


@code_app.command("symbol")
def symbol_cmd(symbol: str, repo: RepoOpt = Path("."), db: DbOpt = None) -> None:
    """Describe SYMBOL: location, signature, docstring, members."""
    g = _graph(repo, db)
    _run(lambda: answers.symbol_answer(g, symbol, budget_tokens=100_000))


@code_app.command("search")
def search_cmd(query: str, repo: RepoOpt = Path("."), db: DbOpt = None,
               limit: Annotated[int, typer.Option(help="Rows.")] = 20) -> None:
    """Full-text search over names and docstrings."""
    g = _graph(repo, db)
    _run(lambda: answers.search_answer(g, query, "", limit, budget_tokens=100_000))


@code_app.command("stacktrace")
def stacktrace_cmd(
    file: Annotated[Path, typer.Argument(help="A file holding the trace as logged; '-' reads stdin.")],
    repo: RepoOpt = Path("."), db: DbOpt = None,
    commits: Annotated[int, typer.Option(help="Recent commits to show for the raising function.")] = 3,
) -> None:
    """Map the stack trace in FILE to symbols, their callers and the commits that touched them."""
    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8", errors="replace")
    g = _graph(repo, db)
    _run(lambda: answers.stacktrace_answer(g, text, commits, budget_tokens=100_000))


@code_app.command("changed")
def changed_cmd(rev_range: str, repo: RepoOpt = Path("."), db: DbOpt = None,
                depth: Annotated[int, typer.Option(help="Caller depth for the impact count.")] = 2) -> None:
    """Symbols a commit or range (e.g. HEAD~1..HEAD) touched, with how far their callers reach."""
    g = _graph(repo, db)
    _run(lambda: answers.changed_answer(g, rev_range, "", depth, budget_tokens=100_000))


@code_app.command("stats")
def stats_cmd(repo: RepoOpt = Path("."), db: DbOpt = None) -> None:
    """Counts of the index: files per language, symbols, resolved and unresolved calls."""
    g = _graph(repo, db)
    table = Table("language", "files", title=f"index {g.db_path}")
    for lang, n in g.db.execute("SELECT lang, count(*) FROM files GROUP BY lang ORDER BY 2 DESC"):
        table.add_row(lang, str(n))
    out.print(table)
    calls = g.db.execute("SELECT count(*) FROM edges WHERE kind='calls'").fetchone()[0]
    unresolved = g.db.execute("SELECT count(*) FROM unresolved").fetchone()[0]
    out.print(f"{len(g.symbols)} symbols, {calls} resolved call sites, {unresolved} unresolved")


@mcp_app.callback()
def mcp_codegraph(
    repo: Annotated[Path | None, typer.Option("--repo", "-r", help="Repository to serve (indexed at start).")] = None,
    db: DbOpt = None,
    no_reindex: Annotated[bool, typer.Option("--no-reindex", help="Serve the index as it is.")] = False,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8768,
    token_file: Annotated[Path | None, typer.Option(help="HTTP callers: lines of `TOKEN ACTOR [TEAM]`.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    state_dir: Annotated[Path, typer.Option(help="Where the server's audit log lives.")] = Path(".vigil"),
    max_file_bytes: Annotated[int, typer.Option(
        "--max-file-bytes", min=1, help="Skip (and list) source files larger than this.")] = MAX_FILE_BYTES,
) -> None:
    """Run the codegraph MCP server until interrupted."""
    from mcp_servers.codegraph.server import serve
    from mcp_servers.codegraph.settings import CodegraphSettings
    from mcp_servers.common.serving import prepare

    if repo is None and db is None:
        repo = Path(".")
    settings = CodegraphSettings(repo=repo, db=db, reindex=not no_reindex, max_file_bytes=max_file_bytes)
    try:
        guard, tokens = prepare("codegraph", http, token_file, policy, state_dir)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    where = f"http://{host}:{port}/mcp" if http else "stdio"
    err.print(f"vigil-codegraph serving {repo or db} on {where}")
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: serve(settings, guard, "http" if http else "stdio", host=host, port=port, tokens=tokens))


def main() -> None:  # pragma: no cover - `python -m mcp_servers.codegraph.cli`
    root = typer.Typer()
    root.command("index")(index_cmd)
    root.add_typer(code_app, name="code")
    root.add_typer(mcp_app, name="mcp-codegraph")
    root()


if __name__ == "__main__":  # pragma: no cover
    main()
