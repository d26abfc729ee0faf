"""A CronJob that kills or skips its own runs: the schedule period came below one run's duration (round 8).

Facts in the CronJob controller's own event wording (pkg/controller/cronjob: "Created job X", "Deleted job X",
"Saw completed job: X, status: Complete", JobAlreadyActive "Not starting job because prior execution is running
and concurrency policy is Forbid"), written here in two shapes with negative twins:

- Replace, hourly, every run deleted by the next one before completing, after a write to schedule and policy;
- Forbid, every 10 minutes, starts skipped while a run stays active;
- twins: a healthy hourly CronJob whose controller trims its Job history (deletes an old, completed run while
  newer runs were created since), and a Replace CronJob whose runs complete before the next schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import cron_overlap
from agent.triage.cron_overlap import kills, period_minutes
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 10, 6, 15, 30, tzinfo=UTC)


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(reason: str, message: str, at: datetime, ns: str = "etl", name: str = "ledger-rollup") -> dict[str, Any]:
    return {"type": "Normal", "reason": reason, "kind": "CronJob", "name": name, "namespace": ns,
            "message": message, "count": 1, "first_seen": _ts(at), "last_seen": _ts(at)}


def _cronjob(schedule: str, policy: str, ns: str = "etl", name: str = "ledger-rollup") -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": schedule, "concurrencyPolicy": policy}}


def _facts(cj: dict[str, Any], events: list[dict[str, Any]], changes: list[dict[str, Any]] | None = None) -> Facts:
    facts = Facts(at=AT)
    facts.objects.append(({"kind": cron_overlap.RECORD_KIND, "cronjob": cj, "events": events,
                           "changes": changes or [], "evidence": ["E7", "E8"]}, "E8"))
    return facts


def test_the_period_of_a_cron_line() -> None:
    assert period_minutes("15 * * * *") == 60
    assert period_minutes("*/10 * * * *") == 10
    assert period_minutes("0 2 * * *") == 1440
    assert period_minutes("0 6,18 * * *") == 720
    assert period_minutes("@hourly") == 60
    assert period_minutes("0 2 * * MON") == 1440 and period_minutes("@reboot") is None


def _replace_runs(first: datetime, n: int, every: timedelta) -> list[dict[str, Any]]:
    rows = []
    for k in range(n):
        run = first + k * every
        rows.append(_event("SuccessfulCreate", f"Created job ledger-rollup-{k}", run))
        if k:
            rows.append(_event("SuccessfulDelete", f"Deleted job ledger-rollup-{k - 1}", run))
    return rows


WRITE = {"at": _ts(AT - timedelta(hours=6)), "type": "config", "by": "kubectl-edit",
         "object": {"kind": "CronJob", "namespace": "etl", "name": "ledger-rollup"},
         "summary": "CronJob etl/ledger-rollup updated", "diff": ["spec.schedule written by kubectl-edit",
                                                                 "spec.concurrencyPolicy written by kubectl-edit"]}


def test_replace_hourly_kills_every_run_and_names_schedule_policy_and_the_write() -> None:
    events = _replace_runs(AT - timedelta(hours=5), 6, timedelta(hours=1))
    write = WRITE
    assert len(kills(events)) == 5
    facts = _facts(_cronjob("0 * * * *", "Replace"), events, [write])
    [(ref, f, evidence, explains)] = cron_overlap.suspects(facts)
    assert ref == Ref("CronJob", "etl", "ledger-rollup") and evidence == ["E7", "E8"]
    for words in ("'0 * * * *'", "every 1 h", "concurrencyPolicy Replace", "deleted 5 of its 6 runs",
                  "0 completed", "schedule and concurrencyPolicy were written", "kubectl-edit"):
        assert words in f["message"], (words, f["message"])
    assert Ref("Job", "etl", "ledger-rollup-0") in explains


def test_forbid_every_ten_minutes_skips_starts() -> None:
    events = [_event("SuccessfulCreate", "Created job ledger-rollup-1", AT - timedelta(minutes=50)),
              *[_event("JobAlreadyActive", "Not starting job because prior execution is running and concurrency "
                                           "policy is Forbid", AT - timedelta(minutes=m)) for m in (40, 30, 20, 10)]]
    [(_, f, _, _)] = cron_overlap.suspects(_facts(_cronjob("*/10 * * * *", "Forbid"), events, [WRITE]))
    assert "4 starts skipped" in f["message"] and "every 10 min" in f["message"], f["message"]


def test_skipped_starts_without_a_write_to_the_spec_are_a_symptom_not_a_suspect() -> None:
    """One run hung (an upload without a timeout) under an unchanged Forbid policy: the hang is the cause."""
    events = [_event("SuccessfulCreate", "Created job ledger-rollup-1", AT - timedelta(hours=2)),
              *[_event("JobAlreadyActive", "Not starting job because prior execution is running and concurrency "
                                           "policy is Forbid", AT - timedelta(hours=h)) for h in (1, 0)]]
    assert cron_overlap.suspects(_facts(_cronjob("15 * * * *", "Forbid"), events)) == []
    old = {**WRITE, "at": _ts(AT - timedelta(days=20))}
    assert cron_overlap.suspects(_facts(_cronjob("15 * * * *", "Forbid"), events, [old])) == []


def test_trimming_the_job_history_of_a_healthy_cronjob_is_no_kill() -> None:
    events = []
    for k in range(5):
        run = AT - timedelta(hours=5 - k)
        events.append(_event("SuccessfulCreate", f"Created job ledger-rollup-{k}", run))
        events.append(_event("SawCompletedJob", f"Saw completed job: ledger-rollup-{k}, status: Complete",
                             run + timedelta(minutes=7)))
        if k >= 3:  # successfulJobsHistoryLimit 3: the oldest finished Job goes (its completion event expired)
            events.append(_event("SuccessfulDelete", f"Deleted job ledger-rollup-old-{k}", run + timedelta(minutes=7)))
    events.append(_event("SuccessfulCreate", "Created job ledger-rollup-old-4", AT - timedelta(hours=9)))
    events.append(_event("SuccessfulDelete", "Deleted job ledger-rollup-old-4", AT - timedelta(hours=1)))
    assert kills(events) == []
    assert cron_overlap.suspects(_facts(_cronjob("0 * * * *", "Replace"), events)) == []


def test_replace_whose_runs_finish_before_the_next_schedule_is_no_suspect() -> None:
    events = []
    for k in range(4):
        run = AT - timedelta(hours=4 - k)
        events.append(_event("SuccessfulCreate", f"Created job ledger-rollup-{k}", run))
        events.append(_event("SawCompletedJob", f"Saw completed job: ledger-rollup-{k}, status: Complete",
                             run + timedelta(minutes=20)))
    assert cron_overlap.suspects(_facts(_cronjob("0 * * * *", "Replace"), events)) == []
