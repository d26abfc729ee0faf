"""`vigil mcp loki`: serve the Loki tools over stdio (Claude Code) or streamable HTTP."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

app = typer.Typer(help="Loki MCP server (read-only LogQL tools answering with mined log templates).",
                  no_args_is_help=False, invoke_without_command=True)

err = Console(stderr=True, soft_wrap=True)



@app.callback()
def serve(
    url: Annotated[str | None, typer.Option(help="Loki base URL (env VIGIL_LOKI_URL).")] = None,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8767,
    token_file: Annotated[Path | None, typer.Option(help="HTTP callers: lines of `TOKEN ACTOR [TEAM]`.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    state_dir: Annotated[Path, typer.Option(help="Where the server's audit log lives.")] = Path(".vigil"),
    header: Annotated[list[str] | None, typer.Option(
        help="Extra request header `Name: value` (repeatable), e.g. 'X-Scope-OrgID: team-a'.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per Loki request.")] = None,
) -> None:
    """Run the server until interrupted. Credentials come from VIGIL_LOKI_BEARER_TOKEN,
    _USERNAME/_PASSWORD, _CA_FILE, _CERT_FILE, _KEY_FILE (never from flags)."""
    from mcp_servers.common.serving import prepare
    from mcp_servers.loki.client import LokiSettings
    from mcp_servers.loki.server import serve as serve_tools

    try:
        settings = LokiSettings.from_env().with_flags(url, header or [], timeout)
        guard, tokens = prepare("loki", http, token_file, policy, state_dir)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    where = f"http://{host}:{port}/mcp" if http else "stdio"
    err.print(f"vigil-loki serving on {where} for {settings.url} ({settings.auth.describe()})")
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: serve_tools(settings, guard, "http" if http else "stdio", host=host, port=port,
                                      tokens=tokens))


def main() -> None:  # pragma: no cover - `python -m mcp_servers.loki.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
