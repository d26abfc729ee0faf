"""prom_reads: the range-query steps and the OOM-kill count that gc_thrash, runtime_parallelism, heap_ceiling and
memory_setting read through one helper each (issue #12, duplicate reads merged)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import prom_reads
from tests.triage.doubles import outcome

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _hub(answer: ToolOutcome | None) -> tuple[list[tuple[str, dict[str, Any], str]], Any]:
    asked: list[tuple[str, dict[str, Any], str]] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        asked.append((tool, args, step))
        return answer

    return asked, call


def test_range_steps_asks_the_window_and_keeps_each_series_step() -> None:
    series = [{"change": {"at": "2026-11-20T08:30:00Z", "before": 0.1, "after": "20"}},
              {"labels": {"pod": "a"}},  # no step found: left out
              {"change": {"at": "2026-11-20T08:40:00Z", "before": "n/a", "after": 3}},  # unreadable level: left out
              "not a series"]
    asked, call = _hub(outcome(True, data={"series": series}, evidence_id="E7"))
    got = asyncio.run(prom_reads.range_steps(call, "sum(rate(x[5m]))", AT - timedelta(hours=24),
                                             "2026-11-20T09:00:00Z", "survey-x"))
    assert got == ([{"at": "2026-11-20T08:30:00Z", "before": 0.1, "after": 20.0}], "E7")
    assert asked == [("prom_query_range", {"query": "sum(rate(x[5m]))", "start": "2026-11-19T09:00:00Z",
                                           "end": "2026-11-20T09:00:00Z", "step": "120s", "baseline": "none"},
                      "survey-x")]


def test_range_steps_of_a_failed_or_shapeless_read_is_none() -> None:
    for answer in (None, outcome(False, evidence_id="E7"), outcome(True, data=["x"], evidence_id="E7")):
        _, call = _hub(answer)
        assert asyncio.run(prom_reads.range_steps(call, "q", AT, "2026-11-20T09:00:00Z", "s")) is None


def test_oom_events_counts_kills_in_the_workload_pods_since_the_write() -> None:
    asked, call = _hub(outcome(True, data={"samples": [{"value": 2.0}, {"value": 3}, {"value": "x"}]},
                               evidence_id="E8"))
    got = asyncio.run(prom_reads.oom_events(call, "pay", "ledger", AT - timedelta(minutes=42), AT, "survey-oom"))
    assert got == (3.0, "E8")
    assert asked == [("prom_query", {"query": 'sum(increase(container_oom_events_total{namespace="pay",'
                                              'pod=~"ledger-.*"}[42m]))', "time": "2026-11-20T09:00:00Z"},
                      "survey-oom")]


def test_oom_events_window_is_never_under_five_minutes() -> None:
    asked, call = _hub(outcome(True, data={"samples": [{"value": 1}]}, evidence_id="E8"))
    assert asyncio.run(prom_reads.oom_events(call, "pay", "ledger", AT - timedelta(minutes=1), AT, "s")) == (1.0, "E8")
    assert asked[0][1]["query"].endswith("[5m]))")


def test_oom_events_under_one_kill_or_a_failed_read_is_none() -> None:
    for answer in (outcome(True, data={"samples": [{"value": 0.4}]}), outcome(True, data={"samples": []}),
                   outcome(False), None):
        _, call = _hub(answer)
        assert asyncio.run(prom_reads.oom_events(call, "pay", "ledger", AT - timedelta(hours=1), AT, "s")) is None
