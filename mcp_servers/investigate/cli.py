"""`vigil mcp investigate`: the `investigate` tool over stdio (Claude Code) or streamable HTTP.

Over HTTP every caller needs a bearer token (`VIGIL_MCP_TOKEN`, or `--token-file` with lines of
`TOKEN ACTOR [TEAM]`); the token names the actor the policy judges. Tokens never come from flags.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

app = typer.Typer(help="The `investigate` MCP tool: a whole Vigil investigation in one call.",
                  no_args_is_help=False, invoke_without_command=True, rich_markup_mode=None)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def serve(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="vigil.yaml (default: $VIGIL_CONFIG, "
                                                "./vigil.yaml).")] = None,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8770,
    token_file: Annotated[Path | None, typer.Option(help="HTTP callers: lines of `TOKEN ACTOR [TEAM]`.")] = None,
) -> None:
    """Run the server until interrupted (stdio by default)."""
    from agent.config import ConfigError, load_config
    from mcp_servers.common.server import run_server
    from mcp_servers.common.serving import prepare
    from mcp_servers.investigate.server import build_server

    try:
        cfg = load_config(config)
        guard, tokens = prepare("investigate", http, token_file, cfg.policy, cfg.state_dir)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error:[/red] {problem}", highlight=False)
        raise typer.Exit(2) from None
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    server = build_server(cfg, guard)
    where = f"http://{host}:{port}/mcp" if http else "stdio"
    err.print(f"vigil-investigate serving on {where}", highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: run_server(server, "http" if http else "stdio", host=host, port=port, tokens=tokens))


def main() -> None:
    app(sys.argv[1:])


if __name__ == "__main__":
    main()
