"""agent.triage.backfill_flood: a definition applied with catch-up on from a start date long past fills the slots.

Shapes: an Airflow DAG file in a ConfigMap with an hourly cron `schedule_interval`, `start_date=datetime(2026, 1,
5)` and `catchup=True`, its scheduler logging `0 open slots in pool etl_pool`; a YAML flow definition (`schedule:
"@daily"`, `start_date: 2025-09-01`, `catchup: true`) whose worker logs that runs are waiting for concurrency
slots. Twins: catch-up on from three days back; an old start date with catch-up off; a back-fill while the pool
has open slots; full slots with no definition written (nothing is read then).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from agent.triage import backfill_flood as bf
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
DAG = '''from datetime import datetime
from airflow import DAG
with DAG("ads_rollup", schedule_interval="0 * * * *", start_date=datetime({start}), catchup={catchup}) as dag:
    pass
'''
FLOW = 'name: churn-scores\nschedule: "@daily"\nstart_date: {start}\ncatchup: {catchup}\nwork_pool: shared\n'
FULL = "[2026-03-10T05:50:00.000+0000] {scheduler_job_runner.py:451} INFO - Not scheduling since there are 0 open " \
       "slots in pool etl_pool"
WAITING = "05:52:10.114 | INFO | prefect.flow_runs.worker - Flow run 'mauve-otter' is waiting for concurrency slots"
FREE = "INFO - Figuring out tasks to run in Pool(name=etl_pool) with 118 open slots and 3 task instances ready"


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def run(ns: str, name: str, data: dict[str, str], pods: dict[str, list[str]], written: bool = True) -> tuple[
        Facts, RecordingHub]:
    changes = [{"at": iso(AT - timedelta(minutes=90)), "type": "config",
                "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
                "summary": f"ConfigMap {ns}/{name} updated by argocd: data key x set by argocd"}] if written else []
    hub = RecordingHub(objects={("ConfigMap", ns, name): {"kind": "ConfigMap", "data": data}},
                       lists={("Pod", ns): [{"name": p} for p in pods]}, logs=pods)
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    asyncio.run(bf.read(Subject(namespace=""), facts, hub, iso(AT)))
    return facts, hub


def test_airflow_dag_with_hourly_catchup_from_january_is_named() -> None:
    facts, _ = run("etl", "dags-ads", {"ads_rollup.py": DAG.format(start="2026, 1, 5", catchup="True")},
                   {"web-5f6d7c8b9-q2w4z": ["serving"], "scheduler-0": [FULL]})
    [(ref, finding, evidence, _)] = bf.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("ConfigMap", "etl", "dags-ads") and evidence[0] == "C1"
    assert "catchup" in finding["message"] and "start_date of 2026-01-05" in finding["message"]
    assert "0 open slots in pool etl_pool" in finding["message"] and finding["details"]["runs"] > 1500


def test_yaml_flow_daily_catchup_waiting_for_concurrency_slots_is_named() -> None:
    facts, _ = run("ml", "flows", {"churn.yaml": FLOW.format(start="2025-09-01", catchup="true")},
                   {"prefect-worker-7c8d9f6b5-x2k4p": [WAITING]})
    [(ref, finding, _, _)] = bf.suspects(facts)
    assert ref.name == "flows" and "(@daily)" in finding["message"] and "concurrency slots" in finding["message"]


def test_catchup_from_three_days_back_names_nothing() -> None:
    facts, _ = run("ml", "flows", {"churn.yaml": FLOW.format(start="2026-03-07", catchup="true")},
                   {"prefect-worker-7c8d9f6b5-x2k4p": [WAITING]})
    assert bf.suspects(facts) == []


def test_old_start_date_with_catchup_off_names_nothing() -> None:
    facts, hub = run("etl", "dags-ads", {"ads_rollup.py": DAG.format(start="2024, 1, 5", catchup="False")},
                     {"scheduler-0": [FULL]})
    assert bf.suspects(facts) == [] and not any(c[0] == "k8s_logs" for c in hub.calls)


def test_backfill_with_open_slots_names_nothing() -> None:
    facts, _ = run("etl", "dags-ads", {"ads_rollup.py": DAG.format(start="2026, 1, 5", catchup="True")},
                   {"scheduler-0": [FREE]})
    assert bf.suspects(facts) == []


def test_full_slots_without_a_written_definition_read_nothing() -> None:
    facts, hub = run("etl", "dags-ads", {"ads_rollup.py": DAG.format(start="2026, 1, 5", catchup="True")},
                     {"scheduler-0": [FULL]}, written=False)
    assert bf.suspects(facts) == [] and hub.calls == []


# ---- relative start dates and other schedulers' full-slot wording (issue #12 audit) ---------------------------------

RELATIVE = '''from airflow import DAG
from airflow.utils.dates import days_ago
with DAG("ledger_close", schedule="@daily", start_date={start}, catchup=True) as dag:
    pass
'''
POOL_FULL = "06:01:12.404 | WARNING | worker - Flow run 'amber-lynx' delayed: work pool 'shared' reached its " \
            "concurrency limit (10/10)"


def test_a_days_ago_start_with_catchup_is_named() -> None:
    facts, _ = run("finance", "dags-ledger", {"ledger_close.py": RELATIVE.format(start="days_ago(400)")},
                   {"airflow-scheduler-0": [FULL]})
    [hit] = bf.found(facts)
    assert hit.runs == 400 and hit.interval == "@daily"


def test_a_pendulum_subtract_start_with_a_work_pool_at_its_limit_is_named() -> None:
    start = 'pendulum.today("UTC").subtract(days=120)'
    facts, _ = run("finance", "dags-ledger", {"ledger_close.py": RELATIVE.format(start=start)},
                   {"flow-worker-7c9d8-abcde": [POOL_FULL]})
    [hit] = bf.found(facts)
    assert hit.runs == 120 and "reached its concurrency limit" in bf.finding(hit, AT)["message"]


def test_a_days_ago_start_a_few_days_back_names_nothing() -> None:
    facts, _ = run("finance", "dags-ledger", {"ledger_close.py": RELATIVE.format(start="days_ago(3)")},
                   {"airflow-scheduler-0": [FULL]})
    assert bf.found(facts) == []


def test_a_work_pool_whose_limit_was_only_raised_names_nothing() -> None:
    raised = "06:01:12.404 | INFO | worker - work pool 'shared' concurrency limit raised to 20"
    facts, _ = run("finance", "dags-ledger", {"ledger_close.py": RELATIVE.format(start="days_ago(400)")},
                   {"flow-worker-7c9d8-abcde": [raised]})
    assert bf.found(facts) == []
