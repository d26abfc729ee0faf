"""The three renderings of an evaluation: a terminal table, Markdown (for a PR comment), JSON."""

from __future__ import annotations

from typing import Any

from agent.eval.runner import CaseResult, EvalResult, ModelTotals

VERDICT_ORDER = ["right", "wrong", "red_herring", "unknown", "leak", "error"]
_STYLE = {"right": "green", "wrong": "red", "red_herring": "yellow", "unknown": "dim", "leak": "bold red",
          "error": "red"}


def shorten(text: str, width: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _row(r: CaseResult) -> list[str]:
    top = r.error or shorten(r.top) or "(no hypothesis)"
    if r.score and r.score.leaks:
        top = f"LEAK in {', '.join(r.score.leaks[:3])}; " + top
    return [r.bundle, r.model, r.verdict, r.runbook or "-", top, str(r.model_turns), str(r.tool_calls),
            str(r.tokens), f"${r.cost_usd:.4f}", f"{r.seconds:.1f}"]


_HEADERS = ["bundle", "model", "verdict", "runbook", "top hypothesis", "turns", "tool calls", "tokens", "cost",
            "seconds"]


def _total_rows(totals: list[ModelTotals]) -> list[list[str]]:
    rows = [["accuracy", *(f"{t.accuracy:.0%} ({t.verdicts.get('right', 0)}/{t.cases})" for t in totals)]]
    for verdict in VERDICT_ORDER[1:]:
        rows.append([verdict, *(str(t.verdicts.get(verdict, 0)) for t in totals)])
    rows += [["model turns", *(str(t.model_turns) for t in totals)],
             ["tool calls", *(str(t.tool_calls) for t in totals)],
             ["tokens", *(str(t.tokens) for t in totals)],
             ["cost", *(f"${t.cost_usd:.4f}" for t in totals)],
             ["seconds (sum)", *(f"{t.seconds:.1f}" for t in totals)]]
    return rows


def rich_tables(result: EvalResult) -> list[Any]:
    """Per case (models side by side under each bundle), then totals with one column per model."""
    from rich.table import Column, Table

    # Narrow terminals squeeze the hypothesis first; the verdict and the bundle stay readable.
    short = {"tool calls": "calls", "seconds": "s", "model turns": "turns"}
    columns = [Column(short.get(h, h), no_wrap=True, overflow="ellipsis",
                      ratio=1 if h == "top hypothesis" else None,
                      min_width={"bundle": 12, "verdict": 11, "top hypothesis": 8}.get(h)) for h in _HEADERS]
    cases = Table(*columns, title="vigil eval", expand=True, padding=(0, 1), box=None)
    for r in _ordered(result):
        row = _row(r)
        row[2] = f"[{_STYLE.get(r.verdict, '')}]{r.verdict}[/]"
        cases.add_row(*row)
    total = Table("total", *(t.model for t in result.totals), title=f"totals ({result.wall_seconds:.1f}s wall)")
    for row in _total_rows(result.totals):
        total.add_row(*row)
    return [cases, total]


def markdown(result: EvalResult) -> str:
    def table(headers: list[str], rows: list[list[str]]) -> list[str]:
        esc = [[c.replace("|", "\\|") for c in row] for row in rows]
        return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers), *("| " + " | ".join(r) + " |"
                                                                                 for r in esc)]

    lines = ["## vigil eval", ""]
    lines += table(_HEADERS, [_row(r) for r in _ordered(result)])
    lines += ["", f"### Totals ({result.wall_seconds:.1f}s wall)", ""]
    lines += table(["total", *(t.model for t in result.totals)], _total_rows(result.totals))
    return "\n".join(lines)


def _ordered(result: EvalResult) -> list[CaseResult]:
    models = [t.model for t in result.totals]
    return sorted(result.results, key=lambda r: (r.path, models.index(r.model) if r.model in models else 0))
