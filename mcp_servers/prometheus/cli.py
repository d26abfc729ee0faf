"""`vigil mcp prometheus`: serve the Prometheus tools over stdio (Claude Code) or streamable HTTP.

Also `vigil mcp prometheus --local FILE.om`: start a throwaway real Prometheus loaded with an
incident's OpenMetrics file and serve the tools against it (the demo path).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

app = typer.Typer(help="Prometheus MCP server (read-only PromQL tools with anomaly-first answers).",
                  no_args_is_help=False, invoke_without_command=True)

err = Console(stderr=True, soft_wrap=True)



@app.callback()
def serve(
    url: Annotated[str | None, typer.Option(help="Prometheus base URL (env VIGIL_PROMETHEUS_URL).")] = None,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8766,
    token_file: Annotated[Path | None, typer.Option(help="HTTP callers: lines of `TOKEN ACTOR [TEAM]`.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    state_dir: Annotated[Path, typer.Option(help="Where the server's audit log lives.")] = Path(".vigil"),
    header: Annotated[list[str] | None, typer.Option(help="Extra request header `Name: value` (repeatable).")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per Prometheus request.")] = None,
    local: Annotated[Path | None, typer.Option(
        help="Start a local Prometheus loaded with this OpenMetrics file and serve against it.")] = None,
) -> None:
    """Run the server until interrupted. Credentials come from VIGIL_PROMETHEUS_BEARER_TOKEN,
    _USERNAME/_PASSWORD, _CA_FILE, _CERT_FILE, _KEY_FILE (never from flags)."""
    from mcp_servers.common.serving import prepare
    from mcp_servers.prometheus.client import PromSettings
    from mcp_servers.prometheus.server import serve as serve_tools

    try:
        settings = PromSettings.from_env().with_flags(url, header or [], timeout)
        guard, tokens = prepare("prometheus", http, token_file, policy, state_dir)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    with contextlib.ExitStack() as stack:
        if local is not None:
            from mcp_servers.prometheus.local import LocalPrometheus, LocalPrometheusError

            try:
                prom = stack.enter_context(LocalPrometheus(local))
            except LocalPrometheusError as exc:
                err.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(1) from None
            settings = settings.model_copy(update={"url": prom.url})
            err.print(f"local Prometheus with {local} at {prom.url}")
        where = f"http://{host}:{port}/mcp" if http else "stdio"
        err.print(f"vigil-prometheus serving on {where} for {settings.url} ({settings.auth.describe()})")
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(lambda: serve_tools(settings, guard, "http" if http else "stdio", host=host, port=port,
                                          tokens=tokens))


def main() -> None:  # pragma: no cover - `python -m mcp_servers.prometheus.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
