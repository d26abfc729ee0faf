"""`vigil serve`: run the front doors (webhooks, Slack, health) with durable job workers.

The main CLI mounts `serve_app` as `serve` (`vigil jobs` lives in agent/cli/jobs.py); this module
also runs on its own with both (`python -m agent.cli.serve serve`), which the tests use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agent.config import Config, ConfigError, load_config
from agent.queue import QueueError
from agent.server.settings import ServeSettings, load_serve_settings

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c",
                                                  help="vigil.yaml (default: $VIGIL_CONFIG, ./vigil.yaml)")]
SettingsOption = Annotated[Path | None, typer.Option("--settings", help="serve settings YAML (default: the `serve:` "
                                                     "section of vigil.yaml, then VIGIL_SERVE__* variables)")]
QueueOption = Annotated[str | None, typer.Option("--queue-url", help="sqlite:///path/jobs.db or postgresql://... "
                                                 "(default: from the settings, else <state_dir>/jobs.db)")]

serve_app = typer.Typer(help="Run the webhook, Slack and health endpoints with durable job workers.",
                        rich_markup_mode=None)


def load_settings(config: Path | None, settings: Path | None) -> tuple[Config, ServeSettings]:
    """The config and the serve settings, or exit 2 explaining the problem (shared with `vigil jobs`)."""
    try:
        cfg = load_config(config)
        return cfg, load_serve_settings(settings, cfg)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", highlight=False)
        raise typer.Exit(2) from exc
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc


@serve_app.callback(invoke_without_command=True)
def serve(
    config: ConfigOption = None,
    settings: SettingsOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default 8080).")] = None,
    workers: Annotated[int | None, typer.Option(help="Investigations at once here (0: intake only).")] = None,
    queue_url: QueueOption = None,
) -> None:
    """Serve /webhooks/alertmanager, /webhooks/pagerduty, /slack/events, /healthz, /readyz and /metrics."""
    import uvicorn

    from agent.server.app import create_app
    from agent.server.half_close import AnswerHalfClosed

    cfg, serve_settings = load_settings(config, settings)
    updates = {k: v for k, v in {"host": host, "port": port, "workers": workers, "queue_url": queue_url}.items()
               if v is not None}
    serve_settings = serve_settings.model_copy(update=updates)
    try:
        app = create_app(serve_settings, cfg)
    except QueueError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    queue_where = serve_settings.queue_url_for(cfg.state_dir).split("@")[-1]
    err.print(f"vigil serve on http://{serve_settings.host}:{serve_settings.port} · queue {queue_where} · "
              f"{serve_settings.workers} workers", highlight=False)
    uvicorn.run(app, host=serve_settings.host, port=serve_settings.port, log_level="warning", lifespan="on",
                http=AnswerHalfClosed)  # a half-closed client still gets its answer


def _standalone() -> typer.Typer:
    from agent.cli.jobs import jobs_app  # here, not at the top: jobs imports this module's options

    app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(serve_app, name="serve")
    app.add_typer(jobs_app, name="jobs")
    return app


if __name__ == "__main__":
    _standalone()()
