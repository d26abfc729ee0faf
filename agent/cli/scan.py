"""`vigil scan`: the cluster-wide problem scan from a terminal, against a cluster or a bundle.

The same code path as the `k8s_scan` tool (collect a snapshot over the Kubernetes API, run the
checks, render), so what a person sees here is what a model sees. `--bundle` serves an incident
bundle with the replay API server in this process and scans it over real HTTP. The scan is a
report: it exits 0 whatever it finds; 2 means the command was used wrongly, 1 that the cluster
could not be read. Heavy modules are imported inside the command, so `vigil --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from mcp_servers.kubernetes.scan.model import ScanResult

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def scan(
    context: Annotated[str | None, typer.Option("--context", help="kubeconfig context (default the current one).")]
    = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Only this namespace (default all).")] = "",
    fmt: Annotated[str, typer.Option("--format", help="table (default) or json.")] = "table",
    bundle: Annotated[Path | None, typer.Option("--bundle", help="Scan an incident bundle directory, served by "
                                                                 "the replay API server.")] = None,
    checks: Annotated[list[str] | None, typer.Option("--check", help="Only this area or check id (repeatable), "
                                                                     "e.g. pods, service.no_endpoints.")] = None,
    kubeconfig: Annotated[Path | None, typer.Option("--kubeconfig", help="kubeconfig file (default $KUBECONFIG "
                                                                         "or ~/.kube/config).")] = None,
) -> None:
    """Scan the cluster (or a bundle) for known problems, without a model; most severe first."""
    import tempfile

    from mcp_servers.kubernetes.scan import UnknownCheck, resolve_checks

    if fmt not in ("table", "json"):
        err.print(f"[red]error[/red] --format must be table or json, not {fmt!r}", highlight=False)
        raise typer.Exit(2)
    try:
        resolve_checks(checks)
    except UnknownCheck as exc:
        err.print(f"[red]error[/red] --check: {exc}", highlight=False)
        raise typer.Exit(2) from None
    if bundle is not None and (context or kubeconfig):
        err.print("[red]error[/red] --bundle serves its own cluster: drop --context/--kubeconfig", highlight=False)
        raise typer.Exit(2)
    if bundle is None:
        _scan_cluster(kubeconfig, context, namespace, checks, fmt)
        return
    from mcp_servers.common.bundle import Bundle, BundleError
    from mcp_servers.kubernetes.replay import replay_server

    try:
        loaded = Bundle.load(bundle)
    except (BundleError, OSError) as exc:
        err.print(f"[red]error[/red] --bundle: {exc}", highlight=False)
        raise typer.Exit(2) from None
    with tempfile.TemporaryDirectory(prefix="vigil-scan-") as work, \
            replay_server(loaded, Path(work) / "kubeconfig") as replay:
        _scan_cluster(replay.kubeconfig, replay.context, namespace, checks, fmt)


def _scan_cluster(kubeconfig: Path | None, context: str | None, namespace: str, checks: list[str] | None,
                  fmt: str) -> None:
    from mcp_servers.kubernetes.client import KubeClient, KubeError, KubeSettings
    from mcp_servers.kubernetes.scan.snapshot import collect
    from mcp_servers.kubernetes.scan.tool import run_scan

    settings = KubeSettings.from_env()
    if kubeconfig is not None:
        settings.kubeconfig = str(kubeconfig)
    client = KubeClient(settings)
    try:
        ctx_name = client.resolve_context(context)
        snap = collect(client, ctx_name, namespace)
    except KubeError as exc:
        err.print(f"[red]error[/red] cannot read the cluster: {exc.message}", highlight=False)
        raise typer.Exit(1 if exc.status == 0 and exc.reason == "Unreachable" else 2) from None
    finally:
        client.close()
    result, _ = run_scan(snap, None, checks, budget_tokens=20000)
    if fmt == "json":
        out.print_json(result.model_dump_json())
        return
    _print_table(result)


def _print_table(result: ScanResult) -> None:
    """A rich table; cluster text goes in as plain Text so brackets in it are never read as markup."""
    from rich.table import Table
    from rich.text import Text

    from mcp_servers.kubernetes.scan.render import header

    out.print(Text(header(result)))
    if not result.findings:
        out.print("no problems found by the checks that ran")
        return
    table = Table(show_lines=False)
    for column in ("SEVERITY", "CHECK", "FINDING"):
        table.add_column(column, overflow="fold")
    colour = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for f in result.findings:
        since = f" (since {f.since})" if f.since else ""
        table.add_row(Text(f.severity, style=colour[f.severity]), Text(f.check), Text(f.message + since))
    out.print(table)
