"""agent.triage.lag_writer: a job's one huge statement, and the read replicas lagging behind it.

Facts are shaped as `read` keeps them (the lag series' peak and rise, each CronJob's newest run with its row count
and start); `big_write` is tested on run logs in several clients' wordings. Each shape has a twin that must name
nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import lag_writer
from agent.triage.facts import Facts, Ref

_AT = datetime(2026, 8, 11, 6, 0, tzinfo=UTC)


def _iso(minutes: int) -> str:
    return (_AT - timedelta(minutes=minutes)).isoformat()


def _facts(rose_minutes: int, *jobs: dict[str, Any], lag: float = 1800.0) -> Facts:
    facts = Facts(at=_AT)
    facts.reads[lag_writer.READS] = {"lag": [lag, _iso(rose_minutes), "E4"], "jobs": list(jobs)}
    return facts


def _job(name: str, said: str, started_minutes: int, statement: str = "") -> dict[str, Any]:
    wrote = lag_writer.big_write([said])
    assert wrote is not None
    return {"name": name, "namespace": "ledger", "said": wrote[0], "rows": wrote[1], "started": _iso(started_minutes),
            "statement": statement, "evidence": ["E8"]}


def test_a_psql_run_that_deleted_millions_in_one_statement_is_the_suspect() -> None:
    job = _job("audit-trim", "DELETE 12500000", 50, "DELETE FROM audit_log WHERE ts < now() - interval '1 year'")
    [(ref, finding, evidence, _)] = lag_writer.suspects(_facts(45, job))
    assert ref == Ref("CronJob", "ledger", "audit-trim") and evidence == ["E8", "E4"]
    assert finding["message"].startswith("CronJob ledger/audit-trim ran one statement (DELETE FROM audit_log")
    assert "12,500,000 rows" in finding["message"] and "1800 s" in finding["message"]


def test_a_runner_summary_of_rows_updated_is_the_suspect() -> None:
    job = _job("balance-backfill", 'level=info msg="backfill done" result="4,200,000 rows updated"', 30)
    [(ref, _, _, _)] = lag_writer.suspects(_facts(28, job))
    assert ref.name == "balance-backfill"


def test_twin_a_batched_run_is_no_big_write() -> None:
    batched = ["Query OK, 5000 rows affected (0.21 sec)" for _ in range(40)]
    assert lag_writer.big_write(batched) is None
    assert lag_writer.big_write(["Query OK, 38214907 rows affected (18 min 52.31 sec)"]) == (
        "Query OK, 38214907 rows affected (18 min 52.31 sec)", 38214907)


def test_twin_a_run_that_started_after_the_lag_rose_names_nothing() -> None:
    job = _job("audit-trim", "DELETE 12500000", 20)
    assert lag_writer.suspects(_facts(90, job)) == []


def test_twin_no_lag_kept_names_nothing() -> None:
    facts = Facts(at=_AT)
    facts.reads[lag_writer.READS] = {"lag": None, "jobs": [_job("audit-trim", "DELETE 12500000", 50)]}
    assert lag_writer.suspects(facts) == []


def test_the_start_comes_from_the_cronjob_status_else_a_plausible_job_name() -> None:
    cron = {"status": {"lastScheduleTime": "2026-08-11T04:50:00Z"}}
    assert lag_writer._started(cron, "audit-trim-12345-abcde", _AT) == datetime(2026, 8, 11, 4, 50, tzinfo=UTC)
    minutes = int((_AT - timedelta(hours=1)).timestamp() // 60)
    assert lag_writer._started({}, f"audit-trim-{minutes}-abcde", _AT) == _AT - timedelta(hours=1)
    assert lag_writer._started({}, "audit-trim-12345-abcde", _AT) is None


def test_it_is_registered_in_behind_with_its_weight() -> None:
    from agent.triage import behind

    assert lag_writer in behind.MODULES and behind.WEIGHTS[lag_writer.CHECK] == lag_writer.WEIGHT
