"""The runbook catalog: every runbook found in the configured directories, ready to match.

Runbooks are data a user adds without touching code: drop a Markdown file into a directory named
in `VIGIL_RUNBOOKS` (several, separated by the OS path separator) or in the config, next to the
shipped `runbooks/`. A runbook with a lint error is left out of the catalog and its issues kept in
`Catalog.issues`, so one broken file never stops an investigation.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.incident import Incident
from agent.runbooks.issues import Issue
from agent.runbooks.lint import errors, lint_result, runbook_files
from agent.runbooks.matching import match
from agent.runbooks.model import Runbook, RunbookMatch
from agent.runbooks.parser import ParseResult, parse_file
from agent.runbooks.tools import KNOWN_TOOLS, WRITE_TOOLS


def _shipped_dir() -> Path:
    """The repository's runbooks/ in a checkout (or editable install), else the copy a wheel installs."""
    checkout = Path(__file__).resolve().parents[2] / "runbooks"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "vigil" / "runbooks"


SHIPPED_DIR = _shipped_dir()
"""The catalog shipped with Vigil."""


def default_dirs() -> list[Path]:
    """Directories in `VIGIL_RUNBOOKS`, then the shipped catalog."""
    extra = [Path(p) for p in os.environ.get("VIGIL_RUNBOOKS", "").split(os.pathsep) if p.strip()]
    return [*extra, SHIPPED_DIR]


_PARSED: dict[tuple[str, frozenset[str], frozenset[str]], tuple[tuple[int, int], ParseResult, list[Issue]]] = {}
"""Parsed and linted runbooks by path, with the file's (mtime, size) when read: a process parses each
runbook once (an investigation loads the catalog every time) and again only after it changed."""


def _parsed(file: Path, tools: frozenset[str], writes: frozenset[str]) -> tuple[ParseResult, list[Issue]]:
    try:
        stat = file.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (-1, -1)
    key = (str(file.resolve()), tools, writes)
    cached = _PARSED.get(key)
    if cached is not None and cached[0] == stamp and stamp != (-1, -1):
        return cached[1], list(cached[2])
    result = parse_file(file)
    found = lint_result(result, tools, writes)
    _PARSED[key] = (stamp, result, found)
    return result, list(found)


@dataclass
class Catalog:
    runbooks: list[Runbook] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @classmethod
    def load(cls, dirs: Sequence[str | Path] | None = None, known_tools: Iterable[str] = KNOWN_TOOLS,
             write_tools: Iterable[str] = WRITE_TOOLS) -> Catalog:
        """Load every runbook; the first directory wins when two define the same id.

        A runbook naming a tool outside `known_tools` (or calling one of `write_tools`) is left out
        with its lint issue: offline that is the built-in catalogue, in an investigation the tools
        of the servers actually connected (an Argo CD server's `argocd_app_get` included)."""
        catalog = cls()
        tools, writes = frozenset(known_tools), frozenset(write_tools)
        for file in runbook_files([d for d in (dirs or default_dirs()) if Path(d).exists()]):
            result, found = _parsed(file, tools, writes)
            catalog.issues.extend(found)
            if result.runbook is None or errors(found):
                continue
            if catalog.get(result.runbook.id) is not None:
                catalog.issues.append(Issue(str(file), 2, "warning", "shadowed",
                                            f"runbook {result.runbook.id!r} is already defined earlier; skipped"))
                continue
            catalog.runbooks.append(result.runbook)
        return catalog

    def get(self, runbook_id: str) -> Runbook | None:
        return next((r for r in self.runbooks if r.id == runbook_id), None)

    def match(self, incident: Incident, limit: int | None = None) -> list[RunbookMatch]:
        """Runbooks for `incident`, best first, the fallback last."""
        return match(self.runbooks, incident, limit)

    def best(self, incident: Incident) -> RunbookMatch | None:
        """The best runbook for the incident, or for any one alert of a grouped notification.

        A group mixes alerts with different summaries (and often different names); their shared
        labels and joined words can match nothing while one alert alone names its runbook clearly,
        so each alert is also matched on its own, with the group's shared labels.
        """
        views = [incident] + [incident.model_copy(update={"labels": {**incident.labels, **alert.labels},
                                                          "annotations": {**incident.annotations,
                                                                          **alert.annotations},
                                                          "alerts": [alert]})
                              for alert in incident.alerts if len(incident.alerts) > 1]
        found = [m for view in views for m in self.match(view, limit=1)]
        return max(found, key=lambda m: m.score) if found else None
