"""memory_setting: a per-connection database memory setting raised past the container's memory limit, and the
server OOM-killed since.

Shapes: PostgreSQL `-c work_mem=1GB` in a StatefulSet's args (a chart write with no previous values) with the
postmaster's own `terminated by signal 9: Killed`; MySQL `sort_buffer_size` raised in a my.cnf ConfigMap a
Deployment reads, with the kubelet's OOM counter. Negative twins: a raise that still fits the limit, no kills,
kills that began before the write, a lowered setting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import memory_setting as ms
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, diff: list[str], minutes: int = 180,
            related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "config", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written", "diff": diff, "related": related or []}


def _workload(kind: str, ns: str, name: str, args: list[str], memory: str) -> tuple[dict[str, Any], str]:
    container = {"name": "db", "args": args, "resources": {"limits": {"memory": memory}}}
    return ({"kind": kind, "metadata": {"name": name, "namespace": ns},
             "spec": {"template": {"spec": {"containers": [container]}}}}, "E30")


def _pg_log(first_minutes: int) -> LogEvidence:
    kill = {"template": "server process (PID #) was terminated by signal #: Killed",
            "first_seen": _stamp(first_minutes), "severity": "error",
            "example": "server process (PID 4120) was terminated by signal 9: Killed"}
    after = {"template": "terminating any other active server processes", "first_seen": _stamp(first_minutes)}
    return LogEvidence(pod="ledger-db-0", namespace="data", evidence_id="E31", top=kill, hosts=[],
                       error_classes=set(), previous=False, more=[after])


PG_ARGS = ["-c", "max_connections=200", "-c", "work_mem=1GB", "-c", "shared_buffers=2GB"]


def _pg(work_mem: str = "1GB", first_minutes: int = 30, logs: bool = True) -> Facts:
    args = [a.replace("work_mem=1GB", f"work_mem={work_mem}") for a in PG_ARGS]
    change = _change("StatefulSet", "data", "ledger-db", [f"db args now {args}"])
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[_pg_log(first_minutes)] if logs else [],
                 objects=[_workload("StatefulSet", "data", "ledger-db", args, "8Gi")])


def test_postgres_work_mem_in_args_past_the_limit_with_backends_killed() -> None:
    [hit] = ms.found(_pg())
    assert hit.carried.target.name == "ledger-db" and hit.carried.knob.key == "work_mem"
    assert hit.carried.connections == 200
    head = ms.finding(hit)["message"][:400]
    assert "work_mem=1GB" in head and "signal 9" in head and "8 GiB memory limit" in head and "OOM" in head


def test_postgres_work_mem_that_fits_the_limit_is_not_blamed() -> None:
    assert ms.found(_pg(work_mem="16MB")) == []  # 16 MiB x 200 connections fits 8 GiB


def test_postgres_setting_without_kills_is_not_blamed() -> None:
    assert ms.found(_pg(logs=False)) == []


def test_kills_that_began_before_the_write_are_not_caused_by_it() -> None:
    assert ms.found(_pg(first_minutes=400)) == []


def _mysql(old: str, new: str, oom: bool = True) -> Facts:
    change = _change("ConfigMap", "shop", "mysql-config",
                     [f"data key my.cnf '[mysqld]\\nsort_buffer_size = {old}\\n' -> '[mysqld]\\nsort_buffer_size = "
                      f"{new}\\n'"], minutes=90, related=[{"kind": "Deployment", "namespace": "shop", "name": "mysql"}])
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2", logs=[],
                  objects=[_workload("Deployment", "shop", "mysql", ["--defaults-file=/etc/mysql/my.cnf"], "4Gi")])
    if oom:
        facts.reads.setdefault(ms.READS, {})["oom"] = {"shop/mysql": (2.0, "E44")}
    return facts


def test_mysql_sort_buffer_raised_in_my_cnf_with_the_oom_counter_rising() -> None:
    [hit] = ms.found(_mysql("2M", "512M"))
    assert hit.carried.target.kind == "Deployment" and hit.carried.knob.key == "sort_buffer_size"
    assert hit.carried.old == "2M" and hit.carried.connections == 151
    assert "container_oom_events_total" in ms.finding(hit)["message"]


def test_mysql_sort_buffer_lowered_is_not_blamed() -> None:
    assert ms.found(_mysql("512M", "2M")) == []


def test_mysql_sort_buffer_raised_without_oom_is_not_blamed() -> None:
    assert ms.found(_mysql("2M", "512M", oom=False)) == []


def test_said_prefers_a_printed_line_over_a_template_and_cuts_the_prefix() -> None:
    text = ("logs of data/ledger-db-0 container db: 93 lines\n"
            "repeated 10x: #-#-# #:#:# UTC [#] LOG:  server process (PID #) was terminated by signal #: Killed\n"
            "2026-03-04 11:40:02.100 UTC [1] LOG:  server process (PID 4120) was terminated by signal 9: Killed\n"
            "2026-03-04 11:40:02.100 UTC [1] LOG:  terminating any other active server processes\n")
    said = ms._said(text)
    assert said is not None
    assert said[0] == "server process (PID 4120) was terminated by signal 9: Killed"
    assert said[1] == "terminating any other active server processes"
    assert ms._said("2026-03-04 11:40:02 UTC [1] LOG:  checkpoint complete\n") is None


def _read_mysql(last_restart_minutes: int) -> list[ms.Hit]:
    """The survey's read against a hub: the Deployment's pod restarted OOMKilled `last_restart_minutes` ago."""
    facts = _mysql("2M", "512M", oom=False)

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_list":
            row = {"name": "mysql-7d9f8c6b5-k2j4h", "status": "Running", "problem": "restarted 3x (last: OOMKilled)",
                   "last_restart": _stamp(last_restart_minutes)}
            return ToolOutcome("E50", tool, arguments, True, "", data={"rows": [row]})
        if tool == "k8s_logs":
            return ToolOutcome("E51", tool, arguments, True, "logs", full_text="logs\n[Note] ready for connections")
        return ToolOutcome("E52", tool, arguments, True, "", data={"samples": []})

    asyncio.run(ms.read(facts, call))
    return ms.found(facts)


def test_mysql_container_restarted_oomkilled_after_the_write_is_read_from_the_pod_list() -> None:
    [hit] = _read_mysql(20)
    assert "OOMKilled" in hit.said and "E50" in hit.evidence


def test_mysql_oomkilled_before_the_write_is_not_tied_to_it() -> None:
    assert _read_mysql(300) == []
