"""Reading Prometheus for the triage classes: the steps of a range query, and a workload's OOM-kill count.

Several classes ask the metrics store the same two questions through the tool hub. "Did this series step over the
window, when, and from what level to what" (the range tool finds the step; the class then judges its time against
a write), and "were this workload's containers OOM-killed since a write" (the kubelet's `container_oom_events_total`).
Each class had its own copy of the call and of reading the answer back; here they are one, so the tool's answer
shape is read in one place and every class keeps the same arguments, step names and evidence ids it had.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

Call = Callable[..., Awaitable[Any]]

RANGE_STEP = "120s"
"""The range read's resolution: fine enough to time a step against a write within minutes."""
MIN_OOM_WINDOW = 5
"""Minutes: the shortest `increase()` window of the OOM count (a write a minute old still gets a real window)."""


async def range_steps(call: Call, query: str, start: datetime, end: str,
                      step: str) -> tuple[list[dict[str, Any]], str] | None:
    """The step the range tool found in each series of `query` between `start` and `end`, as
    `{"at", "before", "after"}` (a series without a readable step is left out), with the read's evidence id; None
    when the read failed or its answer is not a series list, so a class keeps no evidence of a read it could not
    use."""
    got = await call("prom_query_range", {"query": query, "start": start.isoformat().replace("+00:00", "Z"),
                                          "end": end, "step": RANGE_STEP, "baseline": "none"}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None
    steps: list[dict[str, Any]] = []
    for s in got.data.get("series") or []:
        change = s.get("change") if isinstance(s, dict) and isinstance(s.get("change"), dict) else None
        try:
            steps.append({"at": str((change or {})["at"]), "before": float((change or {})["before"]),
                          "after": float((change or {})["after"])})
        except (KeyError, TypeError, ValueError):
            continue
    return steps, got.evidence_id


async def oom_events(call: Call, namespace: str, workload: str, since: datetime, at: datetime,
                     step: str) -> tuple[float, str] | None:
    """How many times the kubelet counted an OOM kill in the workload's pods (`<workload>-*`) from `since` to `at`,
    with the read's evidence id; None when the read failed or counted none (a kill is a whole event: under 1 is
    none)."""
    window = max(int((at - since).total_seconds() // 60), MIN_OOM_WINDOW)
    query = f'sum(increase(container_oom_events_total{{namespace="{namespace}",pod=~"{workload}-.*"}}[{window}m]))'
    got = await call("prom_query", {"query": query, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}, step)
    if got is None or not got.ok or not isinstance(got.data, dict):
        return None
    values = [float(s["value"]) for s in got.data.get("samples") or [] if isinstance(s, dict)
              and isinstance(s.get("value"), (int, float))]
    return (max(values), got.evidence_id) if values and max(values) >= 1 else None


__all__ = ["oom_events", "range_steps"]
