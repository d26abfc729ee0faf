"""`vigil eval`: investigate bundles offline and score each report against its answer key.

Heavy modules (the agent, the servers) load inside the command, so `vigil --help` stays fast.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def eval_command(
    bundles: Annotated[list[Path], typer.Argument(help="Bundle directories, or directories holding bundles.")],
    answers: Annotated[Path | None, typer.Option(
        "--answers", help="Directory of answer keys, DIR/<bundle-name>.yaml (default: each bundle's expected.yaml).")
    ] = None,
    model: Annotated[list[str], typer.Option(
        "--model", help="runbook-only (default), configured, or PROVIDER:MODEL; repeat to compare side by side.")
    ] = [],  # noqa: B006
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Cases run in parallel.")] = 2,
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    min_accuracy: Annotated[float | None, typer.Option(
        "--min-accuracy", min=0.0, max=1.0, help="Exit 1 when any model's accuracy (0..1) is below this.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="vigil.yaml (models, policy).")] = None,
) -> None:
    """Investigate each bundle with each model and score the reports: verdict, cost, time; exit 1 on a leak."""
    from agent.cli.investigate import load_or_exit
    from agent.eval.answers import AnswerKeyError
    from agent.eval.models import RUNBOOK_ONLY, ModelChoiceError
    from agent.eval.render import markdown, rich_tables
    from agent.eval.runner import CaseResult, EvalError, expand_bundles, run_eval
    from agent.llm.settings import ModelConfigError

    if fmt not in ("table", "json", "markdown"):
        err.print("[red]error[/red] --format is one of table, json, markdown")
        raise typer.Exit(2)
    cfg = load_or_exit(config)
    # The table is the output: not one line per Prometheus readiness poll or per tool error a server logs.
    for noisy in ("httpx", "mcp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    def progress(result: CaseResult) -> None:
        if fmt == "table":
            err.print(f"[dim]{result.bundle} ({result.model}): {result.verdict} in {result.seconds:.1f}s[/dim]",
                      highlight=False)

    try:
        found = expand_bundles(bundles)
        result = run_eval(found, list(dict.fromkeys(model)) or [RUNBOOK_ONLY], cfg, answers_dir=answers, jobs=jobs,
                          on_result=progress)
    except (EvalError, AnswerKeyError, ModelChoiceError, ModelConfigError) as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if fmt == "json":
        out.print_json(result.model_dump_json())
    elif fmt == "markdown":
        out.print(markdown(result), markup=False, highlight=False)
    else:
        for table in rich_tables(result):
            out.print(table)
    for failed in (r for r in result.results if r.verdict == "error"):
        err.print(f"[red]error[/red] {failed.bundle} ({failed.model}): {failed.error}", highlight=False)
    leaked = [r for r in result.results if r.verdict == "leak"]
    below = [t for t in result.totals if min_accuracy is not None and t.accuracy < min_accuracy]
    if leaked:
        err.print(f"[red]secret leak[/red] in {len(leaked)} case(s): "
                  + ", ".join(f"{r.bundle} ({r.model})" for r in leaked), highlight=False)
    for t in below:
        err.print(f"[red]below --min-accuracy {min_accuracy:.0%}[/red]: {t.model} scored {t.accuracy:.0%}",
                  highlight=False)
    if leaked or below:
        raise typer.Exit(1)
