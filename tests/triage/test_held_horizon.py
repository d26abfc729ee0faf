"""held_horizon: the oldest open transaction's age tied to the Job run that opened it (vacuum held back).

Shapes: a CronJob's run exporting inside one REPEATABLE READ snapshot (owner named, its write quoted); a one-off
Job running pg_dump (no owner: the Job is named). Negative twins: a young oldest transaction, no Job started near
the transaction's start, a run that already completed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import held_horizon as hh
from agent.triage.facts import Facts

AT = datetime(2026, 5, 6, 11, 0, tzinfo=UTC)


def _stamp(minutes: float) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call(age_s: float, jobs: list[tuple[str, str, float]], owner: str | None = None,
          completed_minutes: float | None = None, log: str = "") -> Any:
    """A hub answering the exporter's gauge, the Job list, one Job's YAML, the pod list and the pod's logs."""
    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "prom_query":
            return ToolOutcome("E40", tool, arguments, True, "", data={"samples": [{"labels": {}, "value": age_s}]})
        if tool == "k8s_list" and arguments.get("kind") == "Job":
            rows = [{"name": n, "namespace": ns, "created": _stamp(m)} for ns, n, m in jobs]
            return ToolOutcome("E41", tool, arguments, True, "", data={"rows": rows})
        if tool == "k8s_get":
            meta: dict[str, Any] = {"name": arguments["name"], "namespace": arguments["namespace"]}
            if owner:
                meta["ownerReferences"] = [{"kind": "CronJob", "name": owner, "controller": True}]
            status = {"completionTime": _stamp(completed_minutes)} if completed_minutes is not None else {"active": 1}
            obj = {"kind": "Job", "metadata": meta, "status": status}
            return ToolOutcome("E42", tool, arguments, True, yaml.safe_dump(obj), full_text=yaml.safe_dump(obj))
        if tool == "k8s_list":
            return ToolOutcome("E43", tool, arguments, True, "",
                               data={"rows": [{"name": f"{jobs[0][1]}-x7k2p"}] if jobs else []})
        return ToolOutcome("E44", tool, arguments, True, "logs", full_text=f"logs of pod\n{log}")
    return call


def _run(call: Any, changes: list[dict[str, Any]] | None = None) -> list[hh.Holder]:
    facts = Facts(at=AT, changes={"changes": changes or []}, changes_id="E2")
    asyncio.run(hh.read(facts, call))
    return hh.found(facts)


EXPORT = "2026-05-06 05:15:04 INFO sync: export mode=snapshot: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


def test_cronjob_run_opened_the_oldest_transaction_and_its_write_is_quoted() -> None:
    write = {"at": _stamp(60 * 18), "type": "config", "object": {"kind": "CronJob", "namespace": "etl",
                                                                  "name": "nightly-export"},
             "summary": "CronJob etl/nightly-export written", "diff": ["sync env EXPORT_MODE now 'snapshot'"]}
    call = _call(5.75 * 3600, [("etl", "nightly-export-2941", 5.75 * 60 + 3), ("etl", "other-1", 30)],
                 owner="nightly-export", log=EXPORT)
    [h] = _run(call, [write])
    assert h.target.kind == "CronJob" and h.target.name == "nightly-export" and h.job.name == "nightly-export-2941"
    head = hh.finding(h)["message"][:400]
    assert "long-running transaction" in head and "xmin" in head and "autovacuum" in head and "5 h 45 min" in head
    assert "REPEATABLE READ" in hh.finding(h)["message"] and "EXPORT_MODE" in hh.finding(h)["message"]


def test_one_off_pg_dump_job_is_named_itself() -> None:
    call = _call(3 * 3600, [("ops", "backfill-orders", 181)],
                 log="pg_dump: dumping contents of table \"public.orders\"")
    [h] = _run(call)
    assert h.target == h.job and h.job.name == "backfill-orders" and "pg_dump" in h.said


def test_a_young_oldest_transaction_names_nothing() -> None:
    assert _run(_call(600, [("etl", "nightly-export-2941", 10)], owner="nightly-export")) == []


def test_no_job_started_near_the_transaction_start_names_nothing() -> None:
    assert _run(_call(5 * 3600, [("etl", "nightly-export-2941", 90)], owner="nightly-export")) == []


def test_a_run_that_already_completed_holds_nothing() -> None:
    call = _call(4 * 3600, [("etl", "nightly-export-2941", 240)], owner="nightly-export", completed_minutes=120)
    assert _run(call) == []
