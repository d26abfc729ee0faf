"""Lint and parse findings, each pinned to a file and line so an author can jump to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem in a runbook. Errors make `vigil runbooks lint` fail; warnings do not."""

    path: str
    line: int
    level: Level
    code: str
    """A stable short name (`unknown-tool`, `bad-template`, ...) for docs and tests."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message} [{self.code}]"
