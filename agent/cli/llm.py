"""`vigil llm ...`: check the configured model (optionally with one real call) and show prices.

Nothing here prints a key: the check says only whether the named environment variable is set.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.table import Table

from agent.config import Config, ConfigError, load_config
from agent.llm.base import Message, Model, ModelError, close_model
from agent.llm.budget import LOCAL_PROVIDERS, PriceTable
from agent.llm.settings import DEFAULT_KEY_ENV, DEFAULT_MODELS, LLMSettings, ModelConfigError, build_model

app = typer.Typer(help="LLM providers: check the configured model and show the price table.", no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="vigil.yaml to read (default: ./vigil.yaml).")
]


def _load(config: Path | None) -> Config:
    try:
        return load_config(config)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", highlight=False)
        raise typer.Exit(1) from exc


def _describe(settings: LLMSettings, prices: PriceTable, label: str, table: Table) -> None:
    model = settings.model or DEFAULT_MODELS.get(settings.provider, "(unset)")
    table.add_row(f"{label} provider", settings.provider)
    if settings.provider == "none":
        return
    table.add_row(f"{label} model", model)
    table.add_row(f"{label} base_url", settings.base_url or "(provider default)")
    env = settings.api_key_env or DEFAULT_KEY_ENV.get(settings.provider)
    if env:
        table.add_row(f"{label} key", f"{env} is {'set' if os.environ.get(env, '').strip() else 'NOT set'}")
    if settings.wire_provider in LOCAL_PROVIDERS:
        price = "local: costs nothing"
    else:
        found = prices.lookup(model)
        price = (
            f"${found.input:g} in / ${found.output:g} out per million tokens" if found else "unpriced (counted as $0)"
        )
    table.add_row(f"{label} price", price)
    table.add_row(f"{label} limits", f"timeout {settings.timeout_s:g}s, {settings.max_retries} retries")


async def _ping(model: Model, prices: PriceTable) -> None:
    started = time.monotonic()
    try:
        response = await model.complete(
            "Answer with the single word OK.", [Message(role="user", content="ping")], [], max_tokens=16
        )
    finally:
        await close_model(model)
    elapsed = time.monotonic() - started
    usd = prices.cost(response)
    spent = f"${usd:.6f}" if usd is not None else "unpriced"
    console.print(
        f"[green]ok[/green] {response.provider}:{response.model} answered {response.text.strip()[:40]!r} "
        f"in {elapsed:.2f}s, {response.usage.input_tokens} tokens in, {response.usage.output_tokens} out, {spent}",
        highlight=False,
    )


@app.command("check")
def check(
    config: ConfigOption = None,
    ping: Annotated[bool, typer.Option("--ping", help="Make one tiny real call to the model.")] = False,
) -> None:
    """Show the configured reasoning and summarizer models, whether their keys are set, and their prices."""
    cfg = _load(config)
    prices = PriceTable.load(overrides=cfg.llm.prices)
    table = Table(show_header=False, box=None)
    _describe(cfg.llm, prices, "llm", table)
    if cfg.llm.summarizer is not None:
        _describe(cfg.llm.summarizer, prices, "summarizer", table)
    console.print(table)
    if cfg.llm.provider == "none":
        console.print("runbook-only mode: investigations use the runbooks' conclusion rules and call no model")
        return
    try:
        model = build_model(cfg.llm)
    except ModelConfigError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    if ping and model is not None:
        try:
            anyio.run(_ping, model, prices)
        except ModelError as exc:
            err.print(f"[red]error[/red] {exc}", highlight=False)
            raise typer.Exit(1) from exc


@app.command("prices")
def prices(
    model: Annotated[str | None, typer.Argument(help="Show the price of this model only.")] = None,
    config: ConfigOption = None,
) -> None:
    """The price table (USD per million tokens), with the config's llm.prices applied."""
    cfg = _load(config)
    table_data = PriceTable.load(overrides=cfg.llm.prices)
    if model is not None:
        found = table_data.lookup(model)
        if found is None:
            err.print(f"{model}: no price; add it under llm.prices in the config (it counts as $0 until then)")
            raise typer.Exit(1)
        console.print(f"{model}: ${found.input:g} input, ${found.output:g} output per million tokens", highlight=False)
        return
    table = Table("model", "input $/M", "output $/M")
    for name, price in sorted(table_data.items()):
        table.add_row(name, f"{price.input:g}", f"{price.output:g}")
    console.print(table)
