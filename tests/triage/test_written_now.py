"""agent.triage.written_now: the recent writes of a few kinds, each object read back now, with its write's time.

Shapes: a ConfigMap written 70 minutes before the incident is read (its step named after the caller's), with the
timeline's and the read's evidence ids and the old sides of its diff; twins left out: a write older than the lead,
a write without a time, a write whose text the caller's pattern does not match, an object that cannot be read, and
writes past the caller's limit.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage.facts import Facts
from agent.triage.written_now import written_now
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def _write(name: str, minutes: int | None, diff: list[str]) -> dict[str, Any]:
    at = (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ") if minutes is not None else None
    return {"at": at, "type": "config", "object": {"kind": "ConfigMap", "namespace": "obs", "name": name},
            "summary": f"ConfigMap obs/{name} updated by argocd", "diff": diff}


def _read(changes: list[dict[str, Any]], limit: int = 5,
          touched: re.Pattern[str] | None = None) -> tuple[list[Any], list[str]]:
    steps: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        steps.append(step)
        if args["name"] == "gone":
            return outcome(False, {}, "not found", "E0")
        obj = {"kind": "ConfigMap", "metadata": {"name": args["name"], "namespace": "obs"}, "data": {"k": "v"}}
        return outcome(True, {}, yaml.safe_dump(obj), f"E-{args['name']}")

    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    got = asyncio.run(written_now(facts, call, ("ConfigMap",), timedelta(hours=2), limit, "survey-x", touched))
    return got, steps


def test_a_recent_write_is_read_back_with_its_time_evidence_and_old_text() -> None:
    [w], steps = _read([_write("pipeline", 70, ["data.zone 'UTC' -> 'Europe/Berlin'", "data key zone set by argocd"])])
    assert steps == ["survey-x-configmap-pipeline"]
    assert (w.target.name, w.minutes_before, w.evidence) == ("pipeline", 70, ["C1", "E-pipeline"])
    assert w.obj["data"] == {"k": "v"} and w.old_text() == "data.zone 'UTC'"


def test_old_undated_unmatched_unreadable_and_surplus_writes_are_left_out() -> None:
    got, steps = _read([_write("old", 180, []), _write("undated", None, []), _write("gone", 10, ["relabel"]),
                        _write("other", 20, ["data key other set by argocd"]), _write("a", 30, ["relabel"]),
                        _write("b", 40, ["relabel"])], limit=2, touched=re.compile("relabel"))
    assert steps == ["survey-x-configmap-gone", "survey-x-configmap-a"] and [w.target.name for w in got] == ["a"]
