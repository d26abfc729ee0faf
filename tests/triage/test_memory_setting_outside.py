"""A per-connection database memory setting past the server's memory: operator-run servers and the server's own
out-of-memory wording (issue #12 audit of agent.triage.memory_setting).

Shapes: a CloudNativePG `Cluster` whose `spec.postgresql.parameters.work_mem` is raised, the limit and
max_connections read from the Cluster itself, and PostgreSQL refusing allocations (`ERROR: out of memory`, `Failed
on request of size`) rather than being killed (memory overcommit off); a mariadb-operator `MariaDB` whose `myCnf`
raises max_heap_table_size / tmp_table_size, with mariadbd's own `Out of memory (Needed N bytes)`. Twins: a raise
that still fits the limit, a value lowered, out-of-memory errors that predate the write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import memory_setting as ms
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, name: str, line: str) -> dict[str, Any]:
    return {"at": _stamp(120), "type": "other", "object": {"kind": kind, "namespace": "db", "name": name},
            "summary": f"{kind} db/{name} written", "diff": [line], "related": []}


def _log(pod: str, line: str, first_minutes: int = 25) -> LogEvidence:
    entry = {"template": line, "example": line, "severity": "error", "first_seen": _stamp(first_minutes)}
    return LogEvidence(pod=pod, namespace="db", evidence_id="E40", top=entry, hosts=[], error_classes=set(),
                       previous=False)


def _cnpg(work_mem: str) -> tuple[dict[str, Any], str]:
    return ({"kind": "Cluster", "metadata": {"name": "pg-main", "namespace": "db"},
             "spec": {"instances": 3, "postgresql": {"parameters": {"max_connections": "300", "work_mem": work_mem}},
                      "resources": {"limits": {"memory": "8Gi"}}}}, "E30")


PG_OOM = ('ERROR:  out of memory  DETAIL:  Failed on request of size 536870912 in memory context "ExecutorState".')


def _pg_facts(old: str, new: str, first_minutes: int = 25) -> Facts:
    change = _change("Cluster", "pg-main", f"spec.postgresql.parameters.work_mem '{old}' -> '{new}'")
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2", objects=[_cnpg(new)],
                 logs=[_log("pg-main-1", PG_OOM, first_minutes)])


def test_cloudnativepg_work_mem_raised_and_postgres_refusing_allocations() -> None:
    [hit] = ms.found(_pg_facts("16MB", "512MB"))
    c = hit.carried
    assert (c.target.kind, c.target.name, c.connections, c.old) == ("Cluster", "pg-main", 300, "16MB")
    assert c.limit == 8 * 1024 ** 3 and hit.how == "refused"
    head = ms.finding(hit)["message"][:400]
    assert "work_mem=512MB" in head and "8 GiB memory limit" in head and "out of memory" in head


def test_cloudnativepg_twins_fit_and_earlier_errors() -> None:
    assert ms.found(_pg_facts("16MB", "24MB")) == []  # 24 MiB x 300 fits 8 GiB
    assert ms.found(_pg_facts("16MB", "512MB", first_minutes=600)) == []  # out of memory before the write


def _mariadb(old: str, new: str) -> Facts:
    line = (f"spec.myCnf '[mariadb]\\nmax_heap_table_size={old}\\ntmp_table_size={old}' -> "
            f"'[mariadb]\\nmax_heap_table_size={new}\\ntmp_table_size={new}'")
    obj = {"kind": "MariaDB", "metadata": {"name": "shop-db", "namespace": "db"},
           "spec": {"myCnf": f"[mariadb]\nmax_heap_table_size={new}\ntmp_table_size={new}\n",
                    "resources": {"limits": {"memory": "4Gi"}}}}
    said = "2026-03-09 15:40:12 0 [ERROR] mariadbd: Out of memory (Needed 1073741824 bytes)"
    return Facts(at=AT, changes={"changes": [_change("MariaDB", "shop-db", line)]}, changes_id="E2",
                 objects=[(obj, "E31")], logs=[_log("shop-db-0", said)])


def test_mariadb_operator_heap_table_size_raised_and_mariadbd_out_of_memory() -> None:
    hits = ms.found(_mariadb("16M", "1G"))
    assert {h.carried.knob.key for h in hits} == {"max_heap_table_size", "tmp_table_size"}
    hit = hits[0]
    assert hit.carried.connections == 151 and hit.carried.target.kind == "MariaDB"
    assert "Out of memory (Needed" in ms.finding(hit)["message"]
    assert ms.found(_mariadb("1G", "16M")) == []  # lowered


def test_kubelet_and_mariadb_kill_wordings() -> None:
    assert ms.KILLED.search("System OOM encountered, victim process: postgres, pid: 4121")
    assert ms.KILLED.search("mariadbd got signal 9 ;")
