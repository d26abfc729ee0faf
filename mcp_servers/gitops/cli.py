"""`vigil mcp gitops`: serve the `propose_change` tool over stdio (Claude Code) or streamable HTTP."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

app = typer.Typer(help="GitOps MCP server (propose_change: a fix as a pull request, after a human approves).",
                  no_args_is_help=False, invoke_without_command=True)

err = Console(stderr=True, soft_wrap=True)


@app.callback()
def serve(
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8769,
    token_file: Annotated[Path | None, typer.Option(help="HTTP callers: lines of `TOKEN ACTOR [TEAM]`.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    state_dir: Annotated[Path, typer.Option(help="Audit log, approvals, rollback plans and the clone.")] = Path(
        ".vigil"),
) -> None:
    """Run the server until interrupted. The repository and provider come from VIGIL_GITOPS_* (docs/gitops.md);
    the provider's token from the variable VIGIL_GITOPS_TOKEN_ENV names (never from flags)."""
    from pydantic import ValidationError

    from agent.gitops.settings import GitOpsSettings
    from mcp_servers.common.serving import prepare
    from mcp_servers.gitops.server import serve as serve_tools

    settings: GitOpsSettings | None = None
    problem = ""
    try:
        settings = GitOpsSettings.from_env()
    except ValidationError as exc:  # nothing configured yet: serve, and let each call say what to set
        problem = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
    try:
        guard, tokens = prepare("gitops", http, token_file, policy, state_dir)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    where = f"http://{host}:{port}/mcp" if http else "stdio"
    target = (f"for {settings.provider} {settings.repository or settings.remote}" if settings
              else f"NOT CONFIGURED ({problem}; see docs/gitops.md)")
    err.print(f"vigil-gitops serving on {where} {target}", highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: serve_tools(settings, guard, state_dir, "http" if http else "stdio", host=host, port=port,
                                      tokens=tokens, problem=problem))


def main() -> None:  # pragma: no cover - `python -m mcp_servers.gitops.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
