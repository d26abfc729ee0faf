"""`vigil usage`: what each team spent on models, by day and model, read from the usage ledger.

The ledger (guardrails/usage.py, `<state_dir>/usage.db`) gets one row per model call from every
investigation; the scoping layer reads the same rows to enforce each team's daily budget, so the
"today" column here is exactly what the next budget check will see.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from agent.listing import ListFormat, choose, plain_rows

if TYPE_CHECKING:  # loaded inside the functions, so `vigil usage --help` needs none of them
    from rich.table import Table

    from guardrails.usage import SpendRow, UsageLedger


@dataclass(frozen=True)
class TeamToday:
    """One team's spend today next to its daily budget in the policy (None: no budget of that kind)."""

    team: str
    tokens_today: int
    usd_today: float
    tokens_per_day: int | None
    usd_per_day: float | None


def now() -> datetime:
    """The clock every date in this command comes from (one reading per run; tests replace it)."""
    return datetime.now(UTC)


app = typer.Typer(help="Model spend by team, model and day, from the usage ledger.")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback(invoke_without_command=True)
def usage(
    days: Annotated[int, typer.Option(min=1, help="How many days back, today included.")] = 7,
    team: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    fmt: Annotated[ListFormat | None, typer.Option("--format", help="table (default on a terminal), plain "
                                                   "(tab-separated, default when piped) or json")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    config_file: Annotated[Path | None, typer.Option("--config", help="Vigil config file (for state_dir, policy).")]
    = None,
    ledger_path: Annotated[Path | None, typer.Option("--ledger", help="A usage.db to read instead of the config's.")]
    = None,
) -> None:
    """Print spend by team, model and day, and each team's use of today's budget."""
    from agent.config import ConfigError, load_config
    from guardrails.usage import UsageLedger

    fmt = choose(ListFormat.json if as_json else fmt, console)
    as_json = fmt is ListFormat.json
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]config error[/red] {problem}", highlight=False)
        raise typer.Exit(2) from exc
    path = ledger_path or config.state_dir / "usage.db"
    if not path.exists():
        err.print(f"No usage ledger at {path} yet: nothing has called a model with this state directory.")
        if as_json:
            console.print_json(json.dumps({"ledger": str(path), "days": days, "team": team, "rows": [], "teams": []}))
        return
    ledger = UsageLedger(path)
    at = now()
    rows = ledger.spend(days=days, team=team, now=at)
    budgets = _budgets(config.policy, sorted({r.team for r in rows} | ({team} if team else set())), ledger, at)
    if as_json:
        console.print_json(json.dumps({"ledger": str(path), "days": days, "team": team,
                                       "rows": [asdict(r) for r in rows],
                                       "teams": [asdict(b) for b in budgets]}))
        return
    if not rows:
        console.print(f"No model usage recorded in the last {days} day(s){f' for team {team}' if team else ''}.")
        return
    if fmt is ListFormat.plain:
        typer.echo(plain_rows(["day", "team", "model", "calls", "runs", "input_tokens", "output_tokens", "usd"],
                              [[r.day, r.team, f"{r.provider}:{r.model}", r.calls, r.runs, r.input_tokens,
                                r.output_tokens, f"{r.usd:.4f}"] for r in rows]))
        typer.echo("")
        typer.echo(plain_rows(["team", "tokens_today", "tokens_per_day", "usd_today", "usd_per_day"],
                              [[b.team, b.tokens_today, b.tokens_per_day, f"{b.usd_today:.4f}", b.usd_per_day]
                               for b in budgets]))
        return
    console.print(_spend_table(rows, days))
    console.print(_budget_table(budgets, at))


def _budgets(policy_path: Path | None, teams: list[str], ledger: UsageLedger, at: datetime) -> list[TeamToday]:
    """Today's spend of each team next to its daily budget from the policy."""
    from guardrails.action import Actor
    from guardrails.pipeline import default_policy_path
    from guardrails.policy import PolicyError, load_policy

    try:
        policy = load_policy(policy_path or default_policy_path())
    except (PolicyError, OSError):
        policy = None
    result: list[TeamToday] = []
    for name in teams:
        spent = ledger.spent_today(name, now=at)
        limits = policy.limits_for(Actor(name=name, team=name)) if policy else None
        result.append(TeamToday(name, spent.tokens, round(spent.usd, 6),
                                limits.budget.tokens_per_day if limits else None,
                                limits.budget.usd_per_day if limits else None))
    return result


def _spend_table(rows: list[SpendRow], days: int) -> Table:
    from rich.table import Table

    table = Table(title=f"Model spend, last {days} day(s)", title_justify="left")
    for column in ("Day", "Team", "Model", "Calls", "Runs", "Input tokens", "Output tokens", "USD"):
        table.add_column(column, justify="right" if column not in ("Day", "Team", "Model") else "left")
    for r in rows:
        table.add_row(r.day, r.team, f"{r.provider}:{r.model}", f"{r.calls:,}", f"{r.runs:,}",
                      f"{r.input_tokens:,}", f"{r.output_tokens:,}", f"{r.usd:,.4f}")
    table.add_section()
    table.add_row("total", "", "", f"{sum(r.calls for r in rows):,}", "",
                  f"{sum(r.input_tokens for r in rows):,}", f"{sum(r.output_tokens for r in rows):,}",
                  f"{sum(r.usd for r in rows):,.4f}", style="bold")
    return table


def _budget_table(budgets: list[TeamToday], at: datetime) -> Table:
    from rich.table import Table

    today = at.date().isoformat()
    table = Table(title=f"Today ({today}, UTC) against the daily budget", title_justify="left")
    for column in ("Team", "Tokens", "Token budget", "USD", "USD budget"):
        table.add_column(column, justify="left" if column == "Team" else "right")
    for b in budgets:
        table.add_row(b.team, f"{b.tokens_today:,}", _share(b.tokens_today, b.tokens_per_day, "{:,}"),
                      f"{b.usd_today:,.4f}", _share(b.usd_today, b.usd_per_day, "{:,.2f}"))
    return table


def _share(spent: float, cap: float | None, fmt: str) -> str:
    if cap is None or cap <= 0:
        return "none"
    return f"{fmt.format(cap)} ({100 * spent / cap:.0f}% used)"
