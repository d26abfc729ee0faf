"""A CronJob's schedule or time zone written: it runs at another hour (agent.triage.cron_schedule).
CronJobs are in the API server's shape (batch/v1, status times); changes in `k8s_changes`' shape as its
managedFields rule writes them; UTC hours come from the IANA zone database (zoneinfo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.triage import cron_schedule, related_changes
from agent.triage.facts import Facts

AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)  # winter: Europe/Berlin is UTC+1, America/Chicago UTC-6


def _cron(name: str, schedule: str, zone: str = "") -> dict:
    spec = {"schedule": schedule, **({"timeZone": zone} if zone else {})}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": "ops"},
            "spec": spec, "status": {"lastScheduleTime": "2026-01-14T13:15:00Z",
                                     "lastSuccessfulTime": "2026-01-14T13:20:00Z"}}


def _write(name: str, hours: int, line: str) -> dict:
    return {"at": (AT - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "other",
            "object": {"kind": "CronJob", "namespace": "ops", "name": name}, "summary": f"CronJob ops/{name} written",
            "diff": [line]}


def test_time_zone_written_says_the_utc_hour_the_line_now_fires_at() -> None:
    facts = Facts(at=AT, objects=[(_cron("nightly-export", "15 7 * * *", "America/Chicago"), "ev-cj")],
                  history=[({"changes": [_write("nightly-export", 30,
                                                "spec.timeZone written by helm (now 'America/Chicago')")]}, "ev-h")])
    found = related_changes.related(facts)
    assert [str(s.target) for s in found] == ["CronJob ops/nightly-export"]
    f = related_changes.finding(found[0])
    assert "13:15 UTC (07:15 America/Chicago)" in f["message"] and "timeZone" in f["message"]
    assert "last succeeded 2026-01-14T13:20:00Z" in f["message"]


def test_schedule_rewritten_with_two_hours_in_the_timeline() -> None:
    facts = Facts(at=AT, objects=[(_cron("report", "0 6,18 * * *", "Europe/Berlin"), "ev-cj")],
                  changes={"changes": [_write("report", 2, "spec.schedule written by argocd-controller (now "
                                                           "'0 6,18 * * *')")]})
    [shift] = cron_schedule.shifts(facts)
    assert shift.fields == ["spec.schedule"] and shift.fires_utc == "05:00 UTC (06:00 Europe/Berlin), 17:00 UTC " \
                                                                   "(18:00 Europe/Berlin)"


def test_no_schedule_write_or_an_old_one_is_no_suspect_and_steps_are_not_computed() -> None:
    cj = (_cron("nightly-export", "*/5 * * * *"), "ev")
    other = _write("nightly-export", 3, "spec.suspend written by kubectl-patch (now False)")
    assert cron_schedule.shifts(Facts(at=AT, objects=[cj], changes={"changes": [other]})) == []
    old = _write("nightly-export", 24 * 9, "spec.schedule written by helm")
    assert cron_schedule.shifts(Facts(at=AT, objects=[cj], changes={"changes": [old]})) == []
    assert cron_schedule.fires_at("*/5 * * * *", "", AT) == ""
    assert cron_schedule.fires_at("30 5 * * *", "Not/AZone", AT) == ""
