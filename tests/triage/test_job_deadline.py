"""agent.triage.job_deadline: a batch run killed at an activeDeadlineSeconds below what its runs take.

Shapes: a database-backup CronJob whose template deadline went from 2 h to 30 min while last night's dump took
40 min, tonight's run killed with DeadlineExceeded (read through the hub: the namespace's Jobs listed, then read);
two standalone re-index Jobs (no owner, a numbered name) where the older ran 25 min with no deadline and the newer
was killed at 10 min. Twins: a killed run whose sibling finished well inside the same deadline (that run hung), a
run that failed on its backoff limit, a killed run days old.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.triage import job_deadline as jd
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 18, 3, 40, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def run(name: str, start: datetime, *, deadline: int | None = None, took: timedelta | None = None,
        failed: str | None = None, owner: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "billing"}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": owner, "controller": True}]
    spec: dict[str, Any] = {"backoffLimit": 0}
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    status: dict[str, Any] = {"startTime": iso(start)}
    if took is not None:
        status |= {"completionTime": iso(start + took), "succeeded": 1,
                   "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": iso(start + took)}]}
    if failed is not None:
        end = start + timedelta(seconds=deadline or 60)
        message = "Job was active longer than specified deadline" if failed == "DeadlineExceeded" else \
            "Job has reached the specified backoff limit"
        status |= {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": failed,
                                                "message": message, "lastTransitionTime": iso(end)}]}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec, "status": status}


KILLED_FINDING = {"check": "cronjob.failing", "reason": "DeadlineExceeded", "severity": "warning",
                  "object": {"kind": "CronJob", "namespace": "billing", "name": "pg-backup"}}
"""What the scan's CronJob check says of a last run killed at its deadline: the gate on reading Jobs one by one."""


def test_backup_cronjob_deadline_below_last_nights_dump_read_through_the_hub() -> None:
    last = run("pg-backup-29388120", AT - 27 * H, deadline=7200, took=40 * M, owner="pg-backup")
    tonight = run("pg-backup-29389560", AT - 3 * H, deadline=1800, failed="DeadlineExceeded", owner="pg-backup")
    other = run("invoice-mailer-29389600", AT - 2 * H, took=2 * M, owner="invoice-mailer")
    jobs = [last, tonight, other]
    hub = RecordingHub(lists={("Job", "billing"): [{"name": j["metadata"]["name"], "created": j["status"]["startTime"]}
                                                   for j in jobs]},
                       objects={("Job", "billing", j["metadata"]["name"]): yaml.safe_dump(j) for j in jobs})
    facts = Facts(at=AT, scan={"findings": [KILLED_FINDING]})
    asyncio.run(jd.read(Subject(namespace="billing"), facts, hub, iso(AT)))
    hits = jd.suspects(facts)
    assert len(hits) == 1
    ref, finding, evidence, explains = hits[0]
    assert (ref.kind, ref.name) == ("CronJob", "pg-backup") and explains[0].name == "pg-backup-29389560"
    message = finding["message"]
    assert "activeDeadlineSeconds 1800 (30 min)" in message and "completed in 40 min" in message
    assert "activeDeadlineSeconds 7200" in message and "DeadlineExceeded" in message
    assert evidence


def test_standalone_reindex_jobs_the_newer_killed_below_the_older_run() -> None:
    older = run("catalog-reindex-0412", AT - 30 * H, took=25 * M)
    newer = run("catalog-reindex-0413", AT - 2 * H, deadline=600, failed="DeadlineExceeded")
    hit = jd.judge(newer, [older, newer], AT)
    assert hit is not None and (hit.owner.kind, hit.owner.name) == ("Job", "catalog-reindex-0413")
    assert "no activeDeadlineSeconds" in jd.finding(hit, AT)["message"]


def test_killed_run_whose_sibling_finished_well_inside_the_same_deadline() -> None:
    last = run("pg-backup-29388120", AT - 27 * H, deadline=1800, took=12 * M, owner="pg-backup")
    tonight = run("pg-backup-29389560", AT - 3 * H, deadline=1800, failed="DeadlineExceeded", owner="pg-backup")
    assert jd.judge(tonight, [last, tonight], AT) is None


def test_run_failed_on_its_backoff_limit_is_not_a_deadline() -> None:
    last = run("pg-backup-29388120", AT - 27 * H, took=40 * M, owner="pg-backup")
    tonight = run("pg-backup-29389560", AT - 3 * H, deadline=1800, failed="BackoffLimitExceeded", owner="pg-backup")
    assert jd.judge(tonight, [last, tonight], AT) is None


def test_killed_run_days_before_the_incident() -> None:
    last = run("pg-backup-29380000", AT - 100 * H, took=40 * M, owner="pg-backup")
    old = run("pg-backup-29381440", AT - 76 * H, deadline=1800, failed="DeadlineExceeded", owner="pg-backup")
    assert jd.judge(old, [last, old], AT) is None


def test_a_longer_run_of_another_cronjob_is_no_sibling() -> None:
    theirs = run("pg-backup-29388120", AT - 27 * H, took=40 * M, owner="pg-backup-eu")
    tonight = run("pg-backup-29389560", AT - 3 * H, deadline=1800, failed="DeadlineExceeded", owner="pg-backup")
    assert jd.judge(tonight, [theirs, tonight], AT) is None


def test_no_job_is_read_unless_the_scan_saw_a_run_killed_at_its_deadline() -> None:
    """Reading each Job costs a call per Job: without a DeadlineExceeded finding in the namespace (here only a run
    failed on its backoff limit, and a deadline kill in another namespace) nothing is listed or read."""
    jobs = [run("pg-backup-29389560", AT - 3 * H, deadline=1800, failed="DeadlineExceeded", owner="pg-backup")]
    hub = RecordingHub(lists={("Job", "billing"): [{"name": j["metadata"]["name"], "created": j["status"]["startTime"]}
                                                   for j in jobs]},
                       objects={("Job", "billing", j["metadata"]["name"]): yaml.safe_dump(j) for j in jobs})
    backoff = {**KILLED_FINDING, "reason": "BackoffLimitExceeded"}
    elsewhere = {**KILLED_FINDING, "object": {"kind": "CronJob", "namespace": "warehouse", "name": "extract"}}
    facts = Facts(at=AT, scan={"findings": [backoff, elsewhere]})
    asyncio.run(jd.read(Subject(namespace="billing"), facts, hub, iso(AT)))
    assert hub.calls == [] and jd.suspects(facts) == []
