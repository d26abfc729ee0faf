"""A batch job's run-time ceiling set below how long its runs take: the run is killed and its output never lands.

A Job's `activeDeadlineSeconds` (copied from its CronJob's `jobTemplate` into every run) bounds a whole run: past it
the Job controller kills the pods and marks the Job `Failed` with reason `DeadlineExceeded` ("Job was active longer
than specified deadline"). Set as a guard against hung runs without looking at how long the runs really take, it
kills the next healthy run part-way. Nothing in the killed run errors (its log just stops mid-copy); the page is
usually somewhere else: the job downstream that reads what it writes (a dbt source-freshness check, a report, an
ML training step) fails on stale or missing data, or a data-freshness alert fires.

The runs themselves prove it, with no need of the write's date: a Job of the same owner (its CronJob, else the same
name stem) that completed and took LONGER than the deadline the killed run carried must have run under another
ceiling (none, or a higher one). So: a run that failed with `DeadlineExceeded` within `LEAD` before the incident,
in the incident's namespace, whose sibling completed in more than the killed run's deadline. The suspect is the
owner that holds the template (the CronJob), else the killed Job. Twins: a killed run whose siblings all finished
well inside the same deadline (that run hung or got slow: something else made it so, found by other modules), a
run that failed for another reason (BackoffLimitExceeded), no sibling that completed.

`read` lists the namespace's Jobs (one call) and reads the newest of them (bounded: the list's rows do not say a
Job's outcome); `judge` is pure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "job.deadline_below_run"
WEIGHT = 0.93
"""Above the downstream job's own failure (its stale-data error is the symptom) and a bare failing-CronJob note."""
STORE = "job_deadline"
LEAD = timedelta(hours=48)
"""How long before the incident the killed run may have ended (a nightly run is killed hours before the page)."""
MAX_JOBS = 8
"""The namespace's newest Jobs read (a killed nightly run and the one before it are among them)."""


@dataclass
class Killed:
    """A run killed at a deadline that a completed sibling's duration exceeds."""

    owner: Ref
    """The CronJob that holds the template, else the killed Job itself."""
    job: Ref
    deadline: int
    killed_at: datetime
    sibling: str
    sibling_seconds: float
    sibling_deadline: int | None
    message: str = ""
    write: str = ""
    evidence: list[str] = field(default_factory=list)


def _deadline(job: dict[str, Any]) -> int | None:
    value = (job.get("spec") or {}).get("activeDeadlineSeconds")
    return int(value) if isinstance(value, (int, float)) and value > 0 else None


def _owner(job: dict[str, Any]) -> Ref | None:
    meta = job.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") == "CronJob" and ref.get("name"):
            return Ref("CronJob", str(meta.get("namespace") or ""), str(ref["name"]))
    return None


def _stem(name: str) -> str:
    """A run's name without its generated suffix (`orders-extract-29940510` -> `orders-extract`)."""
    head, _, tail = name.rpartition("-")
    return head if head and (tail.isdigit() or len(tail) == 5) else name


def _killed_at(job: dict[str, Any]) -> tuple[datetime, str] | None:
    """When and why the Job failed at its deadline (its Failed condition with reason DeadlineExceeded)."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Failed" and cond.get("status") == "True" \
                and cond.get("reason") == "DeadlineExceeded":
            at = parse_time(cond.get("lastTransitionTime") or cond.get("lastProbeTime"))
            if at is not None:
                return at, str(cond.get("message") or "Job was active longer than specified deadline")
    return None


def _ran_for(job: dict[str, Any]) -> float | None:
    """How long a completed run took (startTime to completionTime), or None for a run that did not complete."""
    status = job.get("status") or {}
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    return (end - start).total_seconds() if start is not None and end is not None and end > start else None


def judge(killed: dict[str, Any], siblings: list[dict[str, Any]], now: datetime) -> Killed | None:
    """The killed run and the completed sibling that took longer than its deadline, when there is one."""
    meta = killed.get("metadata") or {}
    deadline, when = _deadline(killed), _killed_at(killed)
    if deadline is None or when is None or not timedelta(0) <= now - when[0] <= LEAD:
        return None
    job = Ref("Job", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    owner = _owner(killed)
    for sib in siblings:
        sib_meta = sib.get("metadata") or {}
        if sib_meta.get("name") == job.name:
            continue
        sib_owner = _owner(sib)
        if owner is not None and sib_owner is not None and not owner.same_object(sib_owner):
            continue
        took = _ran_for(sib)
        if took is None or took <= deadline:
            continue
        return Killed(owner or job, job, deadline, when[0], str(sib_meta.get("name") or ""), took, _deadline(sib),
                      when[1])
    return None


def _write(facts: Facts, owner: Ref) -> str:
    """' (written by M N min before the incident)' when a timeline holds a write of the owner's deadline."""
    for change, _ in facts.every_change():
        target = Ref.of(change.get("object"))
        if target is not None and target.same_object(owner) and \
                "activedeadlineseconds" in " ".join(str(d) for d in change.get("diff") or []).lower():
            at = parse_time(change.get("at"))
            ago = f" {minutes_text(int((facts.at - at).total_seconds() // 60))} before the incident" if at else ""
            return f" (written by {written_by(change) or 'a write'}{ago})"
    return ""


def deadline_failures(facts: Facts, namespace: str) -> bool:
    """Whether the scan saw a Job, or a CronJob's last run, in `namespace` fail at its deadline (DeadlineExceeded).

    The Job list says no Job's outcome, so judging runs means reading each Job: that cost is only worth paying
    when a run was killed at its deadline at all, which the scan's failed-Job checks already say.
    """
    return any(f.get("check") in ("job.failed", "cronjob.failing") and f.get("reason") == "DeadlineExceeded"
               and (f.get("object") or {}).get("namespace") == namespace for f in facts.findings())


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the scan saw a run killed at its deadline there: the namespace's newest Jobs, each
    killed run judged against its siblings."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = []
    if not subject.namespace or not deadline_failures(facts, subject.namespace):
        return
    listed = await call("k8s_list", {"kind": "Job", "namespace": subject.namespace}, "survey-job-deadline-list")
    names = [str(r.get("name")) for r in sorted(rows_of(listed), key=lambda r: str(r.get("created") or ""),
                                                 reverse=True) if r.get("name")][:MAX_JOBS]
    jobs: list[tuple[dict[str, Any], str]] = []
    for name in names:  # the list's rows say no Job's outcome: each is read (the newest, bounded)
        got = await get_yaml(call, "Job", name, subject.namespace, f"survey-job-deadline-{name}")
        if got is not None:
            jobs.append(got)
    out: list[Killed] = []
    for job, evidence in jobs:
        if _killed_at(job) is None or _deadline(job) is None:
            continue
        stem = _stem(str((job.get("metadata") or {}).get("name") or ""))
        siblings = [(s, e) for s, e in jobs if _stem(str((s.get("metadata") or {}).get("name") or "")) == stem]
        hit = judge(job, [s for s, _ in siblings], facts.at)
        if hit is not None:
            hit.write = _write(facts, hit.owner)
            hit.evidence = [e for e in (evidence, *(e for s, e in siblings
                                                    if (s.get("metadata") or {}).get("name") == hit.sibling)) if e]
            out.append(hit)
    facts.reads[STORE] = out


def found(facts: Facts) -> list[Killed]:
    got = facts.reads.get(STORE)
    return [k for k in got if isinstance(k, Killed)] if isinstance(got, list) else []


def _said(seconds: float) -> str:
    return minutes_text(int(seconds // 60)) if seconds >= 120 else f"{seconds:.0f} s"


def finding(k: Killed, at: datetime) -> dict[str, Any]:
    """The deadline against the sibling's run time first, then the killed run, then what it leaves downstream."""
    before = (f"it ran with activeDeadlineSeconds {k.sibling_deadline}" if k.sibling_deadline is not None
              else "it ran with no activeDeadlineSeconds")
    where = "its job template's" if k.owner.kind == "CronJob" else "its"
    ago = minutes_text(int((at - k.killed_at).total_seconds() // 60))
    message = (f"{k.owner}: {where} activeDeadlineSeconds {k.deadline} ({_said(k.deadline)}){k.write} is below how "
               f"long its runs take: run {k.sibling} completed in {_said(k.sibling_seconds)} ({before}), and run "
               f"{k.job.name} was killed at the deadline {ago} before the incident (DeadlineExceeded: {k.message}). "
               f"What the run loads or writes never landed, so what reads it downstream finds it stale or missing "
               f"(a source freshness check, a report, a training step). Raise or remove the deadline, then rerun it")
    return {"check": CHECK, "severity": "critical", "reason": "DeadlineBelowRun",
            "object": {"kind": k.owner.kind, "namespace": k.owner.namespace, "name": k.owner.name},
            "message": message,
            "evidence": [f"activeDeadlineSeconds {k.deadline}", f"{k.sibling} ran {_said(k.sibling_seconds)}",
                         f"{k.job.name} DeadlineExceeded"],
            "details": {"deadline_seconds": k.deadline, "sibling": k.sibling, "sibling_seconds": k.sibling_seconds,
                        "killed": k.job.name, "killed_at": k.killed_at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the owner of the deadline, its finding, evidence ids, the killed run) for `agent.triage.behind`."""
    return [(k.owner, finding(k, facts.at), k.evidence, [k.job]) for k in found(facts)]
