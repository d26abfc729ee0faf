"""Jobs that failed and CronJobs whose recent runs failed or that are suspended.

A Job fails when its Failed condition is True (reason BackoffLimitExceeded, DeadlineExceeded,
PodFailurePolicy...). A CronJob is reported when the newest Job it owns failed, and (info) when it
is suspended. A Job owned by a CronJob is reported once, under the CronJob, with the failed runs
counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, condition, name_of, ns_of, ref
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("job.failed", "cronjob.failing", "cronjob.suspended")


def _failed(job: dict[str, Any]) -> dict[str, Any] | None:
    cond = condition(job, "Failed")
    return cond if cond and cond.get("status") == "True" else None


def _job_details(snap: Snapshot, job: dict[str, Any], cond: dict[str, Any]) -> dict[str, Any]:
    status, spec = job.get("status") or {}, job.get("spec") or {}
    details: dict[str, Any] = {"failed_pods": status.get("failed", 0), "backoff_limit": spec.get("backoffLimit"),
                               "active_deadline_seconds": spec.get("activeDeadlineSeconds"),
                               "error": clip(cond.get("message"), 200)}
    pods = [p for p in snap.pods_in(ns_of(job))
            if any(r.get("kind") == "Job" and r.get("name") == name_of(job)
                   for r in (p.get("metadata") or {}).get("ownerReferences") or [])]
    for pod in pods:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            term = (cs.get("state") or {}).get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
            if term.get("exitCode") not in (0, None):
                details.update(container=cs.get("name"), exit_code=term.get("exitCode"),
                               last_reason=term.get("reason"))
                if term.get("message"):
                    details["termination_message"] = clip(term["message"], 160)
                break
    details["pods"] = sorted(name_of(p) for p in pods)[:5]
    return details


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    by_cron: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for job in snap.items("Job"):
        owner = snap.owner_of(job)
        if owner is not None and owner.kind == "CronJob":
            by_cron.setdefault((owner.namespace, owner.name), []).append(job)
            continue
        cond = _failed(job)
        if cond is None:
            continue
        subject = ref(job, "Job")
        details = _job_details(snap, job, cond)
        exit_text = f", exit code {details['exit_code']}" if details.get("exit_code") is not None else ""
        out.append(ScanFinding(
            check="job.failed", severity="warning", object=subject, owner=subject,
            reason=str(cond.get("reason") or "Failed"),
            message=f"{subject}: failed ({cond.get('reason')}: {clip(cond.get('message'), 100)}){exit_text}",
            details=details, evidence=[clip(f"Failed=True {cond.get('reason')}: {cond.get('message')}")],
            since=cond.get("lastTransitionTime"), pods=details.get("pods", []),
            count=max(1, int(details.get("failed_pods") or 1))))
    for cron in snap.items("CronJob"):
        subject = ref(cron, "CronJob")
        jobs = sorted(by_cron.get((subject.namespace, subject.name), []),
                      key=lambda j: str((j.get("metadata") or {}).get("creationTimestamp") or ""))
        if (cron.get("spec") or {}).get("suspend"):
            out.append(ScanFinding(
                check="cronjob.suspended", severity="info", object=subject, owner=subject, reason="Suspended",
                message=f"{subject}: suspended, schedule {(cron.get('spec') or {}).get('schedule')} does not run",
                details={"schedule": (cron.get("spec") or {}).get("schedule"),
                         "last_schedule": (cron.get("status") or {}).get("lastScheduleTime")},
                evidence=["spec.suspend=true"], since=None))
        if not jobs:
            continue
        newest = jobs[-1]
        cond = _failed(newest)
        if cond is None:
            continue
        failed_runs = [j for j in jobs if _failed(j)]
        details = _job_details(snap, newest, cond)
        details.update(schedule=(cron.get("spec") or {}).get("schedule"), job=name_of(newest),
                       failed_runs=len(failed_runs), runs=len(jobs))
        out.append(ScanFinding(
            check="cronjob.failing", severity="warning", object=subject, owner=subject,
            reason=str(cond.get("reason") or "Failed"),
            message=f"{subject}: last run {name_of(newest)} failed ({cond.get('reason')}); "
                    f"{len(failed_runs)}/{len(jobs)} kept runs failed",
            details=details, evidence=[clip(f"Job {name_of(newest)} Failed=True {cond.get('reason')}: "
                                            f"{cond.get('message')}")],
            since=min((str((_failed(j) or {}).get("lastTransitionTime") or "") for j in failed_runs), default=None)
            or None, pods=sorted(name_of(j) for j in failed_runs)[:5], count=len(failed_runs)))
    return out



