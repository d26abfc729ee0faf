"""CronJobs whose runs stop because an earlier run never ends.

The cronjob controller lists a CronJob's running Jobs in `status.active`. Under
`concurrencyPolicy: Forbid` it will not start a run while one is active: each skipped schedule
records a `JobAlreadyActive` event ("Not starting job because prior execution is running and
concurrency policy is Forbid"), so one run that hangs (no `activeDeadlineSeconds`, a call without
a timeout) silently stops every later run. The finding's object is that Job, the thing to end or
fix, with its age against the schedule's interval, the runs skipped, the last success and whether
a deadline would have stopped it.

Under `Allow` runs overlap instead: Jobs older than the interval pile up in `status.active`, each
competing with the next (`cronjob.runs_overlap`). Under `Replace` the controller deletes the
running Job at each schedule and starts a new one, so a slow run is killed rather than blocking;
that is not reported here (the killed runs never complete and the `cronjob.failing` check or the
alert on the missing output says so).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.health import human_duration, parse_ts
from mcp_servers.kubernetes.scan.checks import cronspec
from mcp_servers.kubernetes.scan.checks.base import (
    clip,
    condition,
    events_matching,
    iso,
    last_seen,
    name_of,
    ns_of,
    quote,
    ref,
)
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("job.blocks_cronjob", "cronjob.runs_overlap")

SKIP_WORDS = ("prior execution is running", "concurrency policy is forbid")
"""The controller's words for a skipped run (event reason JobAlreadyActive)."""


def _finished(job: dict[str, Any]) -> bool:
    return any((condition(job, kind) or {}).get("status") == "True"
               for kind in ("Complete", "Failed", "SuccessCriteriaMet", "FailureTarget"))


def _active_jobs(snap: Snapshot, cron: dict[str, Any]) -> list[dict[str, Any]]:
    """The CronJob's running Jobs: those `status.active` names, else its Jobs that have not finished."""
    ns, name = ns_of(cron), name_of(cron)
    listed = [snap.get("Job", ns, str(a.get("name"))) for a in (cron.get("status") or {}).get("active") or []
              if a.get("name")]
    jobs = [j for j in listed if j is not None]
    if not jobs:
        jobs = [j for j in snap.items("Job") if ns_of(j) == ns and snap.owner_of(j) == ObjectRef(
            kind="CronJob", namespace=ns, name=name) and not _finished(j)
            and int((j.get("status") or {}).get("active") or 0) > 0]
    return sorted((j for j in jobs if not _finished(j)), key=_started)


def _started(job: dict[str, Any]) -> str:
    return str((job.get("status") or {}).get("startTime") or (job.get("metadata") or {}).get("creationTimestamp")
               or "")


def _job_pods(snap: Snapshot, job: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in snap.pods_in(ns_of(job))
            if any(r.get("kind") == "Job" and r.get("name") == name_of(job)
                   for r in (p.get("metadata") or {}).get("ownerReferences") or [])]


def _pod_state(pods: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """Where the run's pod is and what it does: details and a few words."""
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    if not pods:
        return {}, "no pod of it is left"
    pod = (running or pods)[0]
    phase = (pod.get("status") or {}).get("phase") or "Unknown"
    details = {"pod": name_of(pod), "pod_phase": phase, "node": (pod.get("spec") or {}).get("nodeName")}
    return details, f"its pod {name_of(pod)} is {phase}"


def _deadline(job: dict[str, Any], cron: dict[str, Any]) -> int | None:
    spec = job.get("spec") or {}
    template = (((cron.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {})
    value = spec.get("activeDeadlineSeconds", template.get("activeDeadlineSeconds"))
    return int(value) if isinstance(value, int | float) else None


def _blocked(snap: Snapshot, cron: dict[str, Any], job: dict[str, Any], now: datetime,
             schedule: cronspec.Schedule, interval: timedelta) -> ScanFinding | None:
    spec, status = cron.get("spec") or {}, cron.get("status") or {}
    started = parse_ts(_started(job))
    if started is None or now - started <= interval:
        return None
    skipped_events = events_matching(snap, "CronJob", ns_of(cron), name_of(cron), ("JobAlreadyActive",),
                                     SKIP_WORDS)
    skipped_events = [e for e in skipped_events if e.last is None or e.last >= started]
    skipped = len(schedule.fires(started, now))
    counted = sum(e.count for e in skipped_events)
    skipped = max(skipped, counted)
    if skipped < 1:
        return None
    subject, owner = ref(job, "Job"), ref(cron, "CronJob")
    age = now - started
    deadline = _deadline(job, cron)
    last_ok = parse_ts(status.get("lastSuccessfulTime"))
    pod_details, pod_words = _pod_state(_job_pods(snap, job))
    details: dict[str, Any] = {
        "cronjob": name_of(cron), "schedule": spec.get("schedule"), "concurrency_policy": "Forbid",
        "interval_seconds": int(interval.total_seconds()), "started": iso(started),
        "age_seconds": int(age.total_seconds()), "runs_skipped": skipped, "active_deadline_seconds": deadline,
        "last_successful": iso(last_ok), **pod_details}
    if last_ok is not None:
        details["intervals_without_success"] = int((now - last_ok) / interval)
    limit = (f"activeDeadlineSeconds {deadline}s has not stopped it" if deadline is not None
             else "no activeDeadlineSeconds to stop it")
    since_ok = "; no successful run recorded"
    if last_ok is not None:
        since_ok = f"; last successful run {iso(last_ok)}, {details['intervals_without_success']} interval(s) ago"
    message = (f"{subject}: run of CronJob {owner.name} (schedule {spec.get('schedule')}) still active after "
               f"{human_duration(age.total_seconds())}, {age / interval:.1f}x the "
               f"{human_duration(interval.total_seconds())} interval: likely hung, {limit}; "
               f"concurrencyPolicy Forbid, so the controller skipped {skipped} scheduled run(s) (JobAlreadyActive)"
               f"{since_ok}; {pod_words}")
    evidence = [quote(e) for e in skipped_events[-1:]]
    evidence.append(clip(f"CronJob {owner.name} status.active: {name_of(job)} (started {iso(started)})"))
    if last_ok:
        evidence.append(f"status.lastSuccessfulTime={iso(last_ok)}")
    return ScanFinding(check="job.blocks_cronjob", severity="critical", object=subject, owner=subject,
                       reason="JobAlreadyActive", message=message, details=details, evidence=evidence,
                       since=iso(started), last_seen=iso(last_seen(skipped_events) or now),
                       pods=[pod_details["pod"]] if pod_details.get("pod") else [], count=skipped)


def _overlap(cron: dict[str, Any], jobs: list[dict[str, Any]], now: datetime,
             interval: timedelta) -> ScanFinding | None:
    old = [j for j in jobs if (t := parse_ts(_started(j))) is not None and now - t > interval]
    if len(jobs) < 2 or not old:
        return None
    spec = cron.get("spec") or {}
    subject = ref(cron, "CronJob")
    oldest = old[0]
    started = parse_ts(_started(oldest))
    age = now - started if started else timedelta(0)
    return ScanFinding(
        check="cronjob.runs_overlap", severity="warning", object=subject, owner=subject, reason="RunsOverlap",
        message=(f"{subject}: {len(jobs)} runs active at once (concurrencyPolicy "
                 f"{spec.get('concurrencyPolicy') or 'Allow'}, schedule {spec.get('schedule')}); the oldest, "
                 f"{name_of(oldest)}, has run {human_duration(age.total_seconds())}, longer than the "
                 f"{human_duration(interval.total_seconds())} interval, so runs pile up and compete"),
        details={"schedule": spec.get("schedule"), "concurrency_policy": spec.get("concurrencyPolicy") or "Allow",
                 "active_jobs": [name_of(j) for j in jobs][:5], "oldest": name_of(oldest),
                 "interval_seconds": int(interval.total_seconds()), "age_seconds": int(age.total_seconds())},
        evidence=[clip(f"status.active: {', '.join(name_of(j) for j in jobs)}")], since=iso(started),
        pods=[name_of(j) for j in jobs][:5], count=len(jobs))


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for cron in snap.items("CronJob"):
        spec = cron.get("spec") or {}
        if spec.get("suspend"):
            continue  # cronjob.suspended says why nothing runs
        jobs = _active_jobs(snap, cron)
        if not jobs:
            continue
        schedule = cronspec.parse(str(spec.get("schedule") or ""), spec.get("timeZone"))
        started = parse_ts(_started(jobs[0]))
        interval = schedule.interval(started) if schedule and started else None
        if schedule is None or interval is None:
            continue
        policy = str(spec.get("concurrencyPolicy") or "Allow")
        if policy == "Forbid":
            finding = _blocked(snap, cron, jobs[0], now, schedule, interval)
        elif policy == "Allow":
            finding = _overlap(cron, jobs, now, interval)
        else:
            finding = None
        if finding is not None:
            out.append(finding)
    return out

