"""Where each area's typer sub-app joins the `vigil` command (kept apart from cli.py's own commands)."""

from __future__ import annotations

import typer


def mount(app: typer.Typer) -> None:
    """Add every area's commands to `app`."""
