"""Fitting tool answers into a token budget: the habit that keeps a model's context useful.

Every Vigil tool answers with a compact table or summary, stops at its budget, and says what it
left out and the exact call that gets more. A raw dump that floods the context window is a bug.

Token counts are estimated, not exact: about four characters per token for English and tables,
which is close enough for the Anthropic and OpenAI tokenisers to budget with, and needs no
tokenizer download (Vigil must run air-gapped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DEFAULT_BUDGET_TOKENS = 2000
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A cheap, tokenizer-free estimate; rounds up so budgets err on the safe side."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _cell(value: Any, width: int = 80) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ").replace("|", "/")
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
    title: str = "",
    more_hint: str | None = None,
    total: int | None = None,
    max_cell: int = 80,
) -> str:
    """Rows as a pipe table, in the order given (put unhealthy rows first), cut at the budget.

    `total` is the number of rows that exist when the caller already dropped some (for example an
    API page); the footer then counts those too. The footer always says how many rows were left out
    and, when given, the call that shows them.
    """
    total = len(rows) if total is None else total
    header = "| " + " | ".join(columns) + " |"
    lines = [title] if title else []
    lines += [header, "|" + "|".join("---" for _ in columns) + "|"]
    footer_reserve = 40 + estimate_tokens(more_hint or "")
    used = estimate_tokens("\n".join(lines)) + footer_reserve
    shown = 0
    for row in rows:
        line = "| " + " | ".join(_cell(v, max_cell) for v in row) + " |"
        cost = estimate_tokens(line) + 1
        if used + cost > budget_tokens and shown > 0:
            break
        lines.append(line)
        used += cost
        shown += 1
    left_out = total - shown
    if left_out > 0:
        lines.append(f"{left_out} more rows left out (showing {shown} of {total})"
                     + (f"; {more_hint}" if more_hint else ""))
    elif total == 0:
        lines.append("(no rows)")
    return "\n".join(lines)


def fit_text(text: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS, more_hint: str | None = None) -> str:
    """Cut `text` at a line boundary so it fits, and say how much was cut and how to see it."""
    if estimate_tokens(text) <= budget_tokens:
        return text
    limit = max(0, budget_tokens * CHARS_PER_TOKEN - 120 - len(more_hint or ""))
    cut = text[:limit]
    if "\n" in cut:
        cut = cut[: cut.rfind("\n")]
    dropped_lines = text[len(cut):].count("\n") + 1
    note = f"\n[… {dropped_lines} more lines ({len(text) - len(cut)} characters) left out"
    note += f"; {more_hint}]" if more_hint else "]"
    return cut + note


def collapse_repeats(lines: Sequence[str]) -> list[str]:
    """Runs of identical lines become one line with a count, so a crash loop is one line, not 500."""
    out: list[str] = []
    previous: str | None = None
    count = 0
    for line in lines:
        if line == previous:
            count += 1
            continue
        if previous is not None:
            out.append(previous if count == 1 else f"{previous}  (x{count})")
        previous, count = line, 1
    if previous is not None:
        out.append(previous if count == 1 else f"{previous}  (x{count})")
    return out
