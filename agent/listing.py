"""How listing commands (`vigil jobs list`, `vigil usage`) print: one choice of format, shared.

A rich table fits itself to the terminal, which is right for a person and wrong for a pipe: piped,
rich assumes 80 columns and cuts cells to "Co…". So the default follows where output goes: a table
on a terminal, plain tab-separated rows (never cut, one record per line, easy for `cut`/`awk`)
otherwise, and `--format json` for programs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from rich.console import Console


class ListFormat(StrEnum):
    table = "table"
    plain = "plain"
    json = "json"


def choose(requested: ListFormat | None, console: Console) -> ListFormat:
    """The format asked for, else a table on a terminal and plain rows anywhere else."""
    if requested is not None:
        return requested
    return ListFormat.table if console.is_terminal else ListFormat.plain


def plain_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Tab-separated lines, header first; tabs and line breaks inside a cell become spaces."""

    def cell(value: object) -> str:
        return " ".join(str(value).split()) if value is not None else ""

    return "\n".join("\t".join(cell(v) for v in row) for row in [header, *rows])
