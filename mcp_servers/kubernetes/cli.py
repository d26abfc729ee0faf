"""Command-line entry points: `vigil mcp kubernetes`, `vigil replay serve`, `vigil bundle validate`.

Three typer sub-apps the main `vigil` CLI mounts:
- `app` serves the MCP tools over stdio (Claude Code) or streamable HTTP, against a kubeconfig
  context, the pod's service account, or (`--replay BUNDLE`) a bundle replayed on loopback;
- `replay_app` serves a bundle over the Kubernetes REST paths for kubectl and other clients;
- `bundle_app` checks a bundle and says what is wrong with it.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

# Each command imports what it uses inside its function: `vigil bundle validate` needs no MCP SDK,
# and `vigil mcp kubernetes` loads the replay server only with --replay.
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

app = typer.Typer(help="Kubernetes MCP server (read-only tools with health-first answers).",
                  no_args_is_help=False, invoke_without_command=True)
replay_app = typer.Typer(help="Serve an incident bundle over the Kubernetes API (read-only).", no_args_is_help=True)
bundle_app = typer.Typer(help="Incident bundles: check them.", no_args_is_help=True)


@replay_app.callback()
def _replay_group() -> None:
    """Serve an incident bundle over the Kubernetes API (read-only)."""


@bundle_app.callback()
def _bundle_group() -> None:
    """Incident bundles: check them."""


@app.callback()
def mcp_kubernetes(
    kubeconfig: Annotated[Path | None, typer.Option(help="kubeconfig file (env VIGIL_K8S_KUBECONFIG; "
                                                         "default $KUBECONFIG or ~/.kube/config).")] = None,
    context: Annotated[str | None, typer.Option(help="Default context (env VIGIL_K8S_CONTEXT).")] = None,
    in_cluster: Annotated[bool, typer.Option("--in-cluster", help="Use the pod's service account.")] = False,
    replay: Annotated[Path | None, typer.Option(help="Serve against this incident bundle, replayed locally.")] = None,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8767,
    token_file: Annotated[Path | None, typer.Option(help="HTTP callers: lines of `TOKEN ACTOR [TEAM]`.")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: the shipped policy).")] = None,
    state_dir: Annotated[Path, typer.Option(help="Where the server's audit log lives.")] = Path(".vigil"),
    timeout: Annotated[float | None, typer.Option(help="Seconds per API request.")] = None,
) -> None:
    """Run the Kubernetes MCP server until interrupted."""
    from mcp_servers.common.serving import prepare
    from mcp_servers.kubernetes.client import KubeSettings
    from mcp_servers.kubernetes.server import serve as serve_tools

    try:
        settings = KubeSettings.from_env()
        if kubeconfig:
            settings.kubeconfig = str(kubeconfig)
        if context:
            settings.context = context
        if in_cluster:
            settings.in_cluster = True
        if timeout:
            settings.timeout_seconds = timeout
        guard, tokens = prepare("kubernetes", http, token_file, policy, state_dir)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    with contextlib.ExitStack() as stack:
        if replay is not None:
            from mcp_servers.common.bundle import BundleError
            from mcp_servers.kubernetes.replay import replay_server

            try:
                scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vigil-replay-")))
                handle = stack.enter_context(replay_server(replay, scratch / "kubeconfig"))
            except BundleError as exc:
                err.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(1) from None
            settings.kubeconfig, settings.context, settings.in_cluster = str(handle.kubeconfig), handle.context, False
            err.print(f"replaying {replay} at {handle.url}")
        where = f"http://{host}:{port}/mcp" if http else "stdio"
        err.print(f"vigil-kubernetes serving on {where}")
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(lambda: serve_tools(settings, guard, "http" if http else "stdio", host=host, port=port,
                                          tokens=tokens))


@replay_app.command("serve")
def replay_serve(
    bundle: Annotated[Path, typer.Argument(help="The bundle directory (it holds manifest.yaml).")],
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 6443,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    kubeconfig_out: Annotated[Path | None, typer.Option(
        help="Write a kubeconfig for the server here (default .vigil/replay/NAME.kubeconfig).")] = None,
) -> None:
    """Serve BUNDLE read-only over the Kubernetes REST API until interrupted."""
    from mcp_servers.common.bundle import Bundle, BundleError
    from mcp_servers.kubernetes.replay import serve_forever

    try:
        loaded = Bundle.load(bundle)
    except BundleError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    target = kubeconfig_out or Path(".vigil") / "replay" / f"{loaded.name}.kubeconfig"
    err.print(f"serving {loaded.name} ({len(loaded.objects)} objects) on http://{host}:{port}")
    err.print(f"kubeconfig: {target}  (export KUBECONFIG={target}; kubectl get pods -A)")
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(loaded, host, port, target)


@bundle_app.command("validate")
def bundle_validate(
    bundle: Annotated[Path, typer.Argument(help="The bundle directory.")],
) -> None:
    """Check BUNDLE and list every problem; exit 1 when any is an error."""
    from rich.table import Table

    from mcp_servers.common.bundle import Bundle, validate_bundle

    problems = validate_bundle(bundle)
    errors = [p for p in problems if p.severity == "error"]
    if not problems:
        loaded = Bundle.load(bundle)
        out.print(f"[green]ok[/green] {bundle}: {loaded.name}, {len(loaded.objects)} objects, "
                  f"{len(loaded.objects_of('Pod'))} pods, {len(loaded.logs)} logs, {len(loaded.manifest.alerts)} "
                  f"alert payload(s), incident at {loaded.incident_time:%Y-%m-%dT%H:%M:%SZ}")
        return
    table = Table("severity", "where", "problem", title=f"{bundle}: {len(errors)} error(s), "
                                                          f"{len(problems) - len(errors)} warning(s)")
    for p in problems:
        table.add_row("[red]error[/red]" if p.severity == "error" else "[yellow]warning[/yellow]", p.where, p.message)
    out.print(table)
    if errors:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - `python -m mcp_servers.kubernetes.cli`
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
