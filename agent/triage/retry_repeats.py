"""A batch Job retried after a partial failure repeats the work its failed attempts already did.

A Job's `backoffLimit` (or a CronJob's `jobTemplate.spec.backoffLimit`) is how many times Kubernetes starts a new
pod after one fails. Retrying is safe only for an idempotent run: one that resumes from what it finished, or
whose effects are keyed so a second pass changes nothing. A run that sends mail, charges cards, posts webhooks or
appends rows from the first item each time turns every retry into duplicates: the 8000 statements mailed before
an SMTP error are mailed again by the next attempt, and again by the one after. Raising the limit (often from 0,
to ride out a flaky dependency) is a harmless-looking edit; the symptom is a count that exceeds what exists (more
sends than accounts, duplicate charges) and every pod of the Job looks like an ordinary failure.

What any instance leaves: one Job (a CronJob's run, or a Job the incident names) with two or more pods, each an
attempt, whose logs repeat the same progress lines, not only the same banner: lines that carry a count or an id
(`sent 1000/24117`, `charged invoice 5512`, `batch 3 of 90 done`) printed identically by several attempts, so the
later attempts did the same work over. A `backoffLimit` above zero lets it happen; a write of that field (the
change timeline, else the owner's managedFields: manager and time) within `LEAD` is named when present. Twins: an
attempt that resumes (its progress lines differ from the first attempt's), a single attempt, repeated banner lines
without counts, a Job the incident does not name. Reading only: the named CronJob/Job, its pods' list and up to
`MAX_ATTEMPTS` attempts' logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.retry_repeats"
WEIGHT = 0.93
"""Above the attempts' own errors (the SMTP refusal that made one fail): the retries are what duplicate the work."""
STORE = "retry_repeats"
LEAD = timedelta(days=7)
MAX_NAMES = 3
MAX_ATTEMPTS = 4
MIN_REPEATED = 3
STAMP = re.compile(r"\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?")
DIGITS = re.compile(r"\d+")
TROUBLE = re.compile(r"fail|error|retr(?:y|ies|ying)|attempt|timed? ?out|refused|exception|unavailable|warn", re.I)
"""A line about the failure or the retry loop itself (`attempt 2 failed`, `retrying in 5s`): every failing retry
prints the same ones, so they are no sign of work done twice."""


@dataclass
class Repeats:
    """The Job (and its owner) whose attempts repeated the same work, with the retry setting and its write."""

    owner: Ref
    job: str
    attempts: int
    backoff: int | None
    repeated: list[str]
    write: str
    evidence: list[str] = field(default_factory=list)


def _names(subject: Subject) -> list[str]:
    return list(dict.fromkeys(n for n in [*subject.names, *subject.labelled_values] if n))[:MAX_NAMES]


def _attempt_pods(rows: list[dict[str, Any]], name: str) -> dict[str, list[str]]:
    """The pods of each Job of `name` (a CronJob's `<name>-<n>-<xxxxx>`, a Job's `<name>-<xxxxx>`), by Job."""
    run = re.compile(rf"(?P<job>{re.escape(name)}(?:-\d+)?)-[a-z0-9]{{5}}")
    out: dict[str, list[str]] = {}
    for row in rows:
        found = run.fullmatch(str(row.get("name") or ""))
        if found:
            out.setdefault(found["job"], []).append(str(row["name"]))
    return out


async def _named_runs(call: Call, ns: str, names: list[str]) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(name, kind) of the CronJobs, then Jobs, of the namespace that the incident names and whose pods show two or
    more attempts of one run, with the namespace's pod rows. The CronJob and pod lists are reads other modules make
    too; the Jobs are listed only when such a retried run is in view, so an incident without one reads no more."""
    cronjobs = await list_names(call, "CronJob", ns, "survey-retry-cronjobs")
    pods = rows_of(await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-retry-pods-{ns}"))
    retried = [n for n in names if any(len(p) >= 2 for p in _attempt_pods(pods, n).values())]
    out = [(n, "CronJob") for n in retried if cronjobs is not None and n in cronjobs[0]]
    if retried and not out:
        jobs = await list_names(call, "Job", ns, "survey-retry-jobs")
        out = [(n, "Job") for n in retried if jobs is not None and n in jobs[0]]
    return out, pods


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: for a CronJob or Job the incident names whose run was retried (two or more attempt pods) and
    may retry (backoffLimit not 0), the logs of its Job's attempts."""
    del at
    if STORE in facts.reads or not subject.namespace:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {})
    ns, names = subject.namespace, _names(subject)
    if not names:
        return
    runs, rows = await _named_runs(call, ns, names)
    for name, kind in runs:
        owner = await get_yaml(call, kind, name, ns, f"survey-retry-{kind.lower()}-{name}")
        if owner is None or _backoff(owner[0], kind) == 0:
            continue
        job, pods = max(_attempt_pods(rows, name).items(), key=lambda j: len(j[1]))
        logs: dict[str, str] = {}
        for pod in sorted(pods)[:MAX_ATTEMPTS]:
            got_log = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 400}, f"survey-retry-log-{pod}")
            if got_log is not None and got_log.ok:
                logs[pod] = str(got_log.full_text or "")
        store["hit"] = {"kind": kind, "name": name, "namespace": ns, "object": owner[0],
                        "evidence": owner[1], "job": job, "pods": len(pods), "logs": logs}
        return


def _work_lines(text: str) -> list[str]:
    """An attempt's progress lines, timestamps removed: lines of a template (digits aside) the attempt printed with
    two or more different numbers (`sent 1000/24117`, `sent 2000/24117`), and not about failing or retrying."""
    bare = [" ".join(STAMP.sub("", line).split()) for line in text.splitlines()]
    bare = [b for b in bare if b and DIGITS.search(b) and not TROUBLE.search(b) and not b.startswith("====")]
    variants: dict[str, set[str]] = {}
    for line in bare:
        variants.setdefault(DIGITS.sub("#", line), set()).add(line)
    return [line for line in bare if len(variants[DIGITS.sub("#", line)]) >= 2]


def repeated_work(logs: dict[str, str]) -> list[str]:
    """Progress lines printed identically by two or more attempts (each line once, in the first attempt's order)."""
    seen: dict[str, int] = {}
    per_attempt = [_work_lines(text) for text in logs.values()]
    for lines in per_attempt:
        for line in set(lines):
            seen[line] = seen.get(line, 0) + 1
    ordered = dict.fromkeys(line for lines in per_attempt for line in lines)
    return [line for line in ordered if seen.get(line, 0) >= 2]


def _backoff(obj: dict[str, Any], kind: str) -> int | None:
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    value = spec.get("backoffLimit")
    return int(value) if isinstance(value, int) else None


def _backoff_write(obj: dict[str, Any], at: datetime) -> str:
    """`written by M N min before` for the newest managedFields entry that set backoffLimit within LEAD, else ""."""
    best: tuple[datetime, str] | None = None
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        when = parse_time((entry or {}).get("time"))
        if when is None or not timedelta(0) <= at - when <= LEAD or "f:backoffLimit" not in str(entry.get("fieldsV1")):
            continue
        if best is None or when > best[0]:
            best = (when, str(entry.get("manager") or "a manager"))
    if best is None:
        return ""
    return f"written by {best[1]} {minutes_text(int((at - best[0]).total_seconds() // 60))} before the incident"


def found(facts: Facts) -> list[Repeats]:
    """The named Job whose attempts repeated the same progress lines, with its retry setting."""
    hit = (facts.reads.get(STORE) or {}).get("hit")
    if not hit or len(hit.get("logs") or {}) < 2:
        return []
    repeated = repeated_work(hit["logs"])
    backoff = _backoff(hit["object"], hit["kind"])
    if len(repeated) < MIN_REPEATED or backoff == 0:
        return []
    return [Repeats(Ref(hit["kind"], hit["namespace"], hit["name"]), hit["job"], int(hit["pods"]), backoff,
                    repeated, _backoff_write(hit["object"], facts.at), [hit["evidence"]])]


def finding(hit: Repeats) -> dict[str, Any]:
    """The retry setting and its write first, then the repeated work and what it means."""
    limit = f"backoffLimit {hit.backoff}" if hit.backoff is not None else "its backoffLimit"
    write = f" ({hit.write})" if hit.write else ""
    message = (f"{hit.owner}'s Job {hit.job} was retried ({hit.attempts} attempts, {limit}{write}) and each attempt "
               f"starts the run over: the attempts repeat the same work ('{hit.repeated[-1][:90]}' "
               f"again), so the run is not idempotent and every retry repeats side effects the "
               f"failed attempts already made. Set backoffLimit to 0 or make the run resume from what it finished")
    return {"check": CHECK, "severity": "critical", "reason": "RetriedJobRepeatsWork",
            "object": {"kind": hit.owner.kind, "namespace": hit.owner.namespace, "name": hit.owner.name},
            "message": message, "evidence": hit.repeated[:2],
            "details": {"job": hit.job, "attempts": hit.attempts, "backoffLimit": hit.backoff, "write": hit.write}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The CronJob or Job whose retried attempts repeat the work."""
    return [(h.owner, finding(h), h.evidence, [h.owner]) for h in found(facts)]
