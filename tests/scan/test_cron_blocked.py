"""job.blocks_cronjob and cronjob.runs_overlap: a run that never ends, read through the CronJob's policy.

Objects are shaped as the API server returns them (batch/v1 CronJob and Job, the cronjob
controller's JobAlreadyActive event in both event APIs); the schedule parser is checked against
the cron semantics the controller uses (robfig/cron's standard parser).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, scan
from mcp_servers.kubernetes.scan.checks import cronspec
from tests.scan.objects import NOW, event, meta, new_event, pod, ts

SKIP = "Not starting job because prior execution is running and concurrency policy is Forbid"


def cronjob(name: str = "report", schedule: str = "*/30 * * * *", policy: str | None = "Forbid",
            active: list[str] | None = None, last_ok: float | None = 200, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": name, "image": f"registry.example.com/{name}:1"}]}}}},
        **spec}
    if policy:
        body["concurrencyPolicy"] = policy
    status: dict[str, Any] = {"lastScheduleTime": ts(150)}
    if active:
        status["active"] = [{"kind": "Job", "namespace": "shop", "name": j, "apiVersion": "batch/v1"} for j in active]
    if last_ok is not None:
        status["lastSuccessfulTime"] = ts(last_ok)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(name), "spec": body, "status": status}


def job(name: str, cron: str = "report", started: float = 150, done: bool = False,
        deadline: int | None = None) -> dict[str, Any]:
    m = meta(name, creationTimestamp=ts(started), ownerReferences=[
        {"apiVersion": "batch/v1", "kind": "CronJob", "name": cron, "controller": True}])
    spec: dict[str, Any] = {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never"}}}
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    status: dict[str, Any] = {"startTime": ts(started)}
    if done:
        status.update(succeeded=1, completionTime=ts(started - 4),
                      conditions=[{"type": "Complete", "status": "True", "lastTransitionTime": ts(started - 4)}])
    else:
        status.update(active=1, ready=1)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": m, "spec": spec, "status": status}


def job_pod(job_name: str) -> dict[str, Any]:
    p = pod(f"{job_name}-x7k2p", owner=("Job", job_name))
    p["metadata"]["ownerReferences"][0]["apiVersion"] = "batch/v1"
    return p


def run(objects: list[dict[str, Any]]) -> ScanResult:
    return scan(Snapshot.from_objects(objects), NOW, ["cronblock"])


def test_a_hung_run_under_forbid_is_the_culprit_with_its_age_against_the_schedule() -> None:
    objs = [cronjob(active=["report-100"]), job("report-90", done=True, started=200), job("report-100"),
            job_pod("report-100"), event("CronJob", "report", "JobAlreadyActive", SKIP, type_="Normal", count=4,
                                         first=120, last=0)]
    [f] = run(objs).findings
    assert (f.check, f.severity, str(f.object), str(f.owner)) == (
        "job.blocks_cronjob", "critical", "Job shop/report-100", "Job shop/report-100")
    d = f.details
    assert d["cronjob"] == "report" and d["interval_seconds"] == 1800 and d["concurrency_policy"] == "Forbid"
    assert d["runs_skipped"] == 5  # every half hour in 150 min, more than the 4 events counted
    assert d["active_deadline_seconds"] is None and d["pod"] == "report-100-x7k2p" and d["pod_phase"] == "Running"
    assert "no activeDeadlineSeconds" in f.message and "Forbid" in f.message and "5.0x the 30m interval" in f.message
    assert f.since == ts(150) and any("JobAlreadyActive" in e for e in f.evidence)
    assert d["last_successful"] == ts(200) and d["intervals_without_success"] == 6
    assert "6 interval(s) ago" in f.message


def test_found_without_status_active_and_with_the_new_event_api_and_a_deadline_that_did_not_fire() -> None:
    """Older controllers leave status.active empty: the CronJob's unfinished Jobs are read instead; the
    @hourly macro and spec.timeZone are understood; a deadline that exists is named, not reported missing."""
    objs = [cronjob(schedule="@hourly", timeZone="Europe/Berlin", last_ok=None),
            job("report-7", started=190, deadline=86400),
            new_event("CronJob", "report", "JobAlreadyActive", SKIP, count=3)]
    [f] = run(objs).findings
    assert str(f.object) == "Job shop/report-7" and f.details["interval_seconds"] == 3600
    assert f.details["active_deadline_seconds"] == 86400 and "activeDeadlineSeconds 86400s has not stopped it" in \
        f.message
    assert "no successful run recorded" in f.message and "no pod of it is left" in f.message


def test_a_run_younger_than_the_interval_or_a_suspended_cronjob_says_nothing() -> None:
    assert run([cronjob(active=["report-100"]), job("report-100", started=20)]).findings == []
    assert run([cronjob(active=["report-100"], suspend=True), job("report-100")]).findings == []


def test_replace_does_not_block_and_allow_reports_overlapping_runs() -> None:
    assert run([cronjob(policy="Replace", active=["report-100"]), job("report-100")]).findings == []
    objs = [cronjob(policy=None, active=["report-100", "report-101"]), job("report-100", started=100),
            job("report-101", started=10)]
    [f] = run(objs).findings
    assert (f.check, str(f.object)) == ("cronjob.runs_overlap", "CronJob shop/report")
    assert f.details["concurrency_policy"] == "Allow" and f.details["oldest"] == "report-100"
    assert "2 runs active at once" in f.message


def test_an_unreadable_schedule_says_nothing_rather_than_guess() -> None:
    assert run([cronjob(schedule="every day at noon", active=["report-100"]), job("report-100")]).findings == []


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_cron_fields_ranges_steps_names_and_day_semantics() -> None:
    weekdays = cronspec.parse("0 9 * * MON-FRI")
    assert weekdays is not None
    fires = weekdays.fires(at("2026-05-01T00:00"), at("2026-05-05T00:00"))  # Fri 1 May .. Tue 5 May
    assert [t.day for t in fires] == [1, 4]
    assert weekdays.interval(at("2026-05-01T00:00")) == timedelta(days=1)
    either = cronspec.parse("0 0 13 * 5")  # the 13th OR a Friday, as cron reads two restricted day fields
    assert either is not None and either.matches(at("2026-05-13T00:00")) and either.matches(at("2026-05-08T00:00"))
    assert not either.matches(at("2026-05-09T00:00"))
    quarter = cronspec.parse("*/15 2-3 * * 7")  # Sunday written 7
    assert quarter is not None and len(quarter.fires(at("2026-05-02T00:00"), at("2026-05-04T00:00"))) == 8


def test_cron_macros_time_zones_every_and_refusals() -> None:
    every = cronspec.parse("@every 1h30m")
    assert every is not None and every.interval(NOW) == timedelta(minutes=90)
    paris = cronspec.parse("CRON_TZ=Europe/Paris 0 2 * * *")
    assert paris is not None and [t.hour for t in paris.fires(at("2026-05-01T00:00"), at("2026-05-02T00:00"))] == [0]
    weekly, monthly = cronspec.parse("@weekly"), cronspec.parse("@monthly")
    assert weekly is not None and weekly.interval(NOW) == timedelta(days=7)
    assert monthly is not None and monthly.interval(NOW) == timedelta(days=28)  # the shortest gap: February
    for bad in ("61 * * * *", "* * * *", "0 0 31 13 *", "*/0 * * * *", "TZ=Mars/Olympus 0 * * * *", "@every 1d"):
        assert cronspec.parse(bad) is None, bad
