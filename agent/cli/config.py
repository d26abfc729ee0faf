"""`vigil config`: check the configuration (vigil.yaml plus VIGIL__* overrides)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="vigil.yaml to use (default: $VIGIL_CONFIG, ./vigil.yaml)")
]

config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate vigil.yaml plus VIGIL__* overrides; explain every error with its field path and a fix."""
    from agent.config import ConfigError, config_path, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", highlight=False)
        raise typer.Exit(1) from exc
    source = config_path(config) or "built-in defaults"
    console.print(f"[green]ok[/green] {source}: provider={cfg.llm.provider} state_dir={cfg.state_dir} "
                  f"policy={cfg.policy or 'shipped default'}", highlight=False)
