"""A runtime's worker pool cut to a fraction, and the latency that followed (agent.triage.pool_shrunk).

Written here, not taken from the held-out bundles. Shapes: a Node service's rollout cutting `UV_THREADPOOL_SIZE`
(env line), a Python service's gunicorn `--threads` cut in its args, a Spring Boot service's
`SERVER_TOMCAT_THREADS_MAX` cut, and a libuv pool set to 1 where it was unset (default 4). Negative twins:
latency flat after the cut, a rise before the write or hours after it, the count RAISED, a small trim (not to
half), and, with no latency histogram at all, a cut to a workload the incident does not name. `read` is driven
through a recorded fake of the tool hub in the range tool's shape (each series' step, its time and the levels).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import concurrency_cap as cc
from agent.triage import pool_shrunk as ps
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

AT = datetime(2026, 8, 19, 10, 40, tzinfo=UTC)
WRITE = AT - timedelta(minutes=90)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _rollout(ns: str, name: str, line: str) -> dict[str, Any]:
    return {"at": _iso(WRITE), "type": "rollout", "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 4: {line}", "diff": [line], "revision": 4}


UV = _rollout("images", "resizer", "resizer env UV_THREADPOOL_SIZE='32' -> UV_THREADPOOL_SIZE='2'")
GUNICORN = _rollout("quotes", "quote-api", "quote-api args ['--workers', '4', '--threads', '8'] -> "
                                           "['--workers', '4', '--threads', '1']")
TOMCAT = _rollout("orders", "order-svc", "order-svc env SERVER_TOMCAT_THREADS_MAX='200' -> "
                                         "SERVER_TOMCAT_THREADS_MAX='10'")
UV_UNSET = _rollout("images", "resizer", "resizer env UV_THREADPOOL_SIZE (unset) -> UV_THREADPOOL_SIZE='1'")


@dataclass
class Hub:
    """The tool hub's latency range: one p99 step (or no series at all)."""

    before: float | None
    after: float | None
    rose: datetime = WRITE + timedelta(minutes=3)

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool != "prom_query_range":
            return None
        if self.before is None:
            return outcome(True, {"series": []}, "", "E5")
        return outcome(True, {"series": [{"labels": {}, "change": {
            "at": _iso(self.rose), "shape": "step", "before": self.before, "after": self.after}}]}, "", "E5")


def _found(change: dict[str, Any], hub: Hub, named: list[str] | None = None) -> list[ps.Shrunk]:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    subject = Subject(namespace=change["object"]["namespace"], names=named or [])
    asyncio.run(ps.read(subject, facts, hub, _iso(AT)))
    return ps.found(facts)


def test_a_libuv_pool_cut_with_latency_rising_is_named_with_what_it_means() -> None:
    [s] = _found(UV, Hub(0.25, 7.5))
    message = ps.finding(s)["message"]
    head = message[:400]
    assert message.startswith("Deployment images/resizer revision 4 shrank its libuv thread pool from 32 to 2")
    assert "UV_THREADPOOL_SIZE" in head and "concurrency of 2" in head and "crypto" in head
    assert "250 ms to 7.5 s" in message


def test_a_gunicorn_threads_cut_in_args_is_named() -> None:
    [s] = _found(GUNICORN, Hub(0.1, 1.2))
    assert (s.cut.pool.runtime, s.cut.old, s.cut.new) == ("gunicorn", 8, 1)


def test_a_tomcat_max_threads_cut_is_named() -> None:
    [s] = _found(TOMCAT, Hub(0.08, 3.0, WRITE + timedelta(minutes=40)))
    assert s.cut.pool.runtime == "Tomcat" and "200 to 10" in ps.finding(s)["message"]


def test_a_pool_set_to_one_where_the_runtime_default_was_larger_is_a_cut() -> None:
    [s] = _found(UV_UNSET, Hub(0.2, 2.0))
    assert (s.cut.old, s.cut.new) == (4, 1)


def test_latency_flat_early_or_late_names_nothing() -> None:
    assert _found(UV, Hub(0.25, 0.3)) == []
    assert _found(UV, Hub(0.25, 7.5, WRITE - timedelta(minutes=30))) == []
    assert _found(UV, Hub(0.25, 7.5, WRITE + timedelta(hours=5))) == []


def test_a_raised_or_slightly_trimmed_pool_is_not_a_cut() -> None:
    raised = _rollout("images", "resizer", "resizer env UV_THREADPOOL_SIZE='4' -> UV_THREADPOOL_SIZE='64'")
    trimmed = _rollout("orders", "order-svc", "order-svc env SERVER_TOMCAT_THREADS_MAX='200' -> "
                                              "SERVER_TOMCAT_THREADS_MAX='150'")
    assert _found(raised, Hub(0.25, 7.5)) == [] and _found(trimmed, Hub(0.25, 7.5)) == []
    assert ps.cut_in("app env GOMAXPROCS='8' -> GOMAXPROCS='8'") is None


def test_without_a_latency_histogram_only_the_workload_the_incident_names_is_named() -> None:
    assert [s.target.name for s in _found(UV, Hub(None, None), named=["resizer"])] == ["resizer"]
    assert _found(UV, Hub(None, None), named=["gallery"]) == []


def _with_saturation(change: dict[str, Any], hub: Hub, before: bool) -> list[ps.Shrunk]:
    """The same cut, with concurrency_cap's reading of the holder's saturation gauges kept in the facts."""
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    [cut] = cc.candidates(facts)
    facts.reads[cc.READS] = {"saturation": {f"{cut.target}|{cut.key}": {
        "signs": ["tomcat_threads_busy_threads at 10 = tomcat_threads_config_max_threads for 30 min"],
        "evidence": ["E7"], "before": before, "spare": "", "echo": False}}, "names": [], "namespaces": []}
    asyncio.run(ps.read(Subject(namespace=change["object"]["namespace"], names=[]), facts, hub, _iso(AT)))
    return ps.found(facts)


def test_a_cut_concurrency_cap_found_saturated_is_left_to_that_module() -> None:
    """One owner per case: the saturation gauges say more than the latency step, so concurrency_cap names it."""
    assert _with_saturation(TOMCAT, Hub(0.08, 3.0), before=False) == []
    # twin: saturation that already held before the write is not concurrency_cap's case, so the latency one stays
    [s] = _with_saturation(TOMCAT, Hub(0.08, 3.0), before=True)
    assert s.target.name == "order-svc"
