"""A scheduled cleanup job rewritten to delete more than it should, and the victims finding what it deleted gone.

A janitor CronJob keeps a store tidy: it deletes sessions idle for a day, carts older than a week, objects past
retention, keys matching a pattern AND a filter. A chart upgrade or a hand edit drops the filter (`--min-idle`,
`--older-than`, `--max-age`, a `--dry-run` that kept it harmless), widens the pattern, or zeroes the retention. The
job still completes successfully at every run, so nothing in the cluster looks broken; the users of the store find
their live records gone at each run (`session not found, redirecting to /login`, `invalid session id`, `cart not
found`) and are logged out every few minutes. The victim's errors are the symptom; the job's template write is the
cause.

Tied by evidence, never by names: the CronJob's job template was written (its managedFields, or the timeline) in
the hours before the victim's first error; its latest run's own log says it deleted many records (`deleted 49110
keys`, `removed 1200 rows`, `purged N objects`), and where that log prints a filter setting as unset
(`min_idle=None`, `older_than=null`) whose flag the CronJob's args no longer carry, that filter is named as the one
dropped. Twins: a janitor whose template was not written recently, a run that deleted nothing, victims whose
errors began before the write, a job that deletes but whose namespace's workloads report nothing missing.
`found` is pure; `read` lists the victims' namespaces' CronJobs and reads the newest run's log.

The write's time: the CronJob's managedFields when the answer carries them, else the timeline's write to it. The
`k8s_get` tool strips managedFields, so a write older than the survey's 6 h timeline is looked up in the shared
48 h timeline (`managed_writes.reach`, one read, only for a CronJob whose write was not seen): the server reads the
same managedFields and reports the job template's write with its time and manager (LEAD is 24 h, inside it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import managed_writes
from agent.triage.cron_overlap import period_minutes
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.purge_job_widened"
WEIGHT = 0.92
"""A written job whose own log says it deletes the very records the victims find missing: above the victims' own
errors and any unrelated rollout nearby."""
LEAD = timedelta(hours=24)
READS = "purge_job"
MAX_JOBS = 4
_MISSING = re.compile(
    r"\b(?P<noun>session|cart|token|basket|upload|object|record|entry|key|document|file)s?(?: id)?"
    r"(?: \S+)? (?:not found|missing|does not exist|doesn't exist|no longer exists|unknown|gone)|"
    r"\b(?:invalid|unknown|expired) (?P<noun2>session|cart|token)\b|redirect(?:ing|ed)? to /?login|"
    r"\blogged out\b", re.I)
"""A victim's words for a record it looked up and did not find (or the login redirect that follows)."""
_DELETED = re.compile(r"\b(?:deleted|removed|purged|evicted|expired|dropped|unlinked|cleaned(?: up)?|flushed)\s+"
                      r"(?P<count>\d[\d,]*)\s+(?P<what>[\w:*./-]+(?:\s+[\w:*./-]+){0,3})", re.I)
"""A cleanup run's own summary of what it deleted, with the count."""
_UNSET = re.compile(r"\b(?P<name>[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*)="
                    r"(?:None|null|nil|none|unset|<nil>|''|\"\")(?=\s|,|$)")
"""A setting the run printed as unset: a filter it no longer applies."""
_FILTER = re.compile(r"idle|age|older|newer|before|after|ttl|retention|expir|since|days|hours|keep|limit|dry|"
                     r"filter|where|min|max", re.I)
MIN_DELETED = 100
RUN_WINDOW = timedelta(minutes=5)
"""A victim's first complaint this soon after a run started is that run's doing (the runs line up)."""


def run_time(pod: str) -> datetime | None:
    """When a CronJob run was scheduled: the controller names each Job `<cronjob>-<scheduled minutes since the
    epoch>` and its pod adds a suffix."""
    parts = pod.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return datetime.fromtimestamp(int(parts[1]) * 60, tz=UTC)


def aligned(first: datetime, runs: list[datetime], period: int | None) -> bool:
    """Whether a victim's first complaint falls just after a run: a retained run, or one the schedule's period puts
    before it (run history keeps only the last few Jobs). No run known: nothing to line up, accepted."""
    if not runs:
        return True
    if any(timedelta(0) <= first - r <= RUN_WINDOW for r in runs):
        return True
    if period is None or timedelta(minutes=period) <= RUN_WINDOW:
        return period is not None
    offset = (first - min(runs)) % timedelta(minutes=period)
    return offset <= RUN_WINDOW


def timeline_write(facts: Facts, job: Ref) -> tuple[datetime, str] | None:
    """The newest timeline write to the CronJob (its job template or schedule), with who wrote it."""
    best: tuple[datetime, str] | None = None
    for change, _, target in facts.writes_to(("CronJob",), deletions=False):
        at = parse_time(change.get("at"))
        if target.name == job.name and target.namespace in ("", job.namespace) and at is not None \
                and (best is None or at > best[0]):
            best = (at, written_by(change))
    return best


@dataclass
class Purge:
    """A CronJob written before the victims' first error whose run says it deleted many records."""

    job: Ref
    written: datetime | None
    by: str
    schedule: str
    deleted: str
    count: int
    dropped: list[str]
    victim: Ref
    said: str
    noun: str
    first_missing: datetime
    evidence: list[str] = field(default_factory=list)


def missing(entry: dict[str, Any]) -> str:
    """The record noun a victim's log entry says it did not find ("session"), "record" for a bare login redirect,
    "" when the entry is no such complaint."""
    m = _MISSING.search(said_by(entry))
    if m is None:
        return ""
    return (m.group("noun") or m.group("noun2") or "session").lower()


def victims(facts: Facts) -> list[tuple[LogEvidence, str, str, datetime | None]]:
    """(log, noun, words, first seen) of each surveyed log complaining that a record it looked up is gone."""
    out = []
    for log in facts.logs:
        for e in log.entries():
            noun = missing(e)
            if noun:
                out.append((log, noun, said_by(e)[:200], parse_time(e.get("first_seen"))))
                break
    return out


def template_written(cronjob: dict[str, Any]) -> tuple[datetime, str] | None:
    """When and by whom the CronJob's job template was last written (managedFields): names and times only."""
    best: tuple[datetime, str] | None = None
    for entry in (cronjob.get("metadata") or {}).get("managedFields") or []:
        spec = ((entry or {}).get("fieldsV1") or {}).get("f:spec") or {}
        at = parse_time((entry or {}).get("time"))
        if at is not None and ("f:jobTemplate" in spec or "f:schedule" in spec) and (best is None or at > best[0]):
            best = (at, str(entry.get("manager") or ""))
    return best


def _args(cronjob: dict[str, Any]) -> str:
    spec = (((cronjob.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    out = []
    for c in (spec.get("spec") or {}).get("containers") or []:
        out += [str(x) for x in [*(c.get("command") or []), *(c.get("args") or [])]]
        out += [f"{e.get('name')}={e.get('value', '')}" for e in c.get("env") or [] if isinstance(e, dict)]
    return " ".join(out)


def deletion(lines: list[str]) -> tuple[str, int] | None:
    """The run log's largest deletion summary (its words, its count)."""
    best: tuple[str, int] | None = None
    for line in lines:
        for m in _DELETED.finditer(line):
            count = int(m.group("count").replace(",", ""))
            if best is None or count > best[1]:
                best = (line[m.start():].strip()[:140], count)
    return best


def dropped_filters(lines: list[str], args: str) -> list[str]:
    """The filter settings the run printed as unset whose flag (`--min-idle` for `min_idle`) the args lack."""
    out: list[str] = []
    for line in lines:
        for m in _UNSET.finditer(line):
            name = m.group("name")
            flag = "--" + name.replace("_", "-").lower()
            if _FILTER.search(name) and flag not in args.lower() and name.upper() not in args.upper() \
                    and flag not in out:
                out.append(flag)
    return out


def found(facts: Facts) -> list[Purge]:
    """Each written CronJob of a victim's namespace whose newest run deleted at least MIN_DELETED records, the
    template written before the victims' first complaint."""
    hurt = victims(facts)
    out: list[Purge] = []
    for entry in (facts.reads.get(READS) or {}).get("jobs") or []:
        written = parse_time(entry.get("written"))
        lines = [str(x) for x in entry.get("lines") or []]
        got = deletion(lines)
        if got is None or got[1] < MIN_DELETED or (written is not None and facts.at - written > LEAD):
            continue
        dropped = dropped_filters(lines, str(entry.get("args") or ""))
        if written is None and not dropped:
            continue  # neither a dated write nor the run's own word that a filter is gone: no change to blame
        runs = [t for t in (parse_time(x) for x in entry.get("runs") or []) if t is not None]
        mine = [(log, noun, said, first) for log, noun, said, first in hurt if log.namespace == entry["namespace"]
                and first is not None and (written is None or first >= written)
                and aligned(first, runs, period_minutes(str(entry.get("schedule") or "")))]
        if not mine:
            continue
        log, noun, said, first = min(mine, key=lambda v: v[3] or facts.at)
        out.append(Purge(Ref("CronJob", str(entry["namespace"]), str(entry["name"])), written, str(entry.get("by")),
                         str(entry.get("schedule") or ""), got[0], got[1], dropped,
                         Ref("", log.namespace, workload_of_pod(log.pod)), said, noun, first or facts.at,
                         [e for e in [*(entry.get("evidence") or []), log.evidence_id] if e]))
    return out


def finding(p: Purge, at: datetime) -> dict[str, Any]:
    """The CronJob's finding: what its runs now delete first, then the dropped filter, then the victims."""
    plural = p.noun + "s" if p.noun != "record" else "records"
    dropped = (f"; its run prints the filter as unset and its args no longer carry {', '.join(p.dropped[:2])}, "
               f"so it no longer limits what it deletes") if p.dropped else ""
    by = f" by {p.by}" if p.by else ""
    when = (f"was rewritten{by} {minutes_text(int((at - p.written).total_seconds() // 60))} before the alert and "
            if p.written is not None else "")
    message = (f"{p.job} {when}deletes live {plural} at every run: its latest run says "
               f"'{p.deleted}'{dropped}. Scheduled '{p.schedule}', each run deletes the {plural} that "
               f"{p.victim.name} still uses, which then reports them gone ('{p.said[:100]}', since "
               f"{p.first_missing.strftime('%H:%M')}). Restore the CronJob's filter (or suspend it) and check "
               f"what else its runs deleted; {p.victim.name}'s errors are the symptom")
    return {"check": CHECK, "severity": "critical", "reason": "PurgeJobWidened",
            "object": {"kind": "CronJob", "namespace": p.job.namespace, "name": p.job.name},
            "message": message, "evidence": [p.deleted],
            "details": {"written": p.written.isoformat().replace("+00:00", "Z") if p.written else None,
                        "by": p.by, "count": p.count,
                        "dropped": p.dropped, "victim": f"{p.victim.namespace}/{p.victim.name}"}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The CronJob whose widened runs delete what its namespace's workloads look up; it explains them."""
    return [(p.job, finding(p, facts.at), p.evidence, [p.victim]) for p in found(facts)]


Call = Callable[..., Awaitable[Any]]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a surveyed log says a record it looked up is gone: the CronJobs of that
    namespace whose template was written in LEAD, and the newest run pod's log of each."""
    if READS in facts.reads:
        return
    namespaces = sorted({log.namespace for log, _, _, _ in victims(facts)})
    if not namespaces:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"jobs": []})
    for namespace in namespaces[:2]:
        names = await list_names(call, "CronJob", namespace, f"survey-purge-cronjobs-{namespace}")
        if names is None or not names[0]:
            continue
        pods = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"survey-purge-pods-{namespace}")
        rows = (pods.data.get("rows") or []) if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        pod_names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
        for name in sorted(names[0])[:MAX_JOBS]:
            got = await get_yaml(call, "CronJob", name, namespace, f"survey-purge-cronjob-{name}")
            if got is None:
                continue
            written = template_written(got[0]) or timeline_write(facts, Ref("CronJob", namespace, name))
            if written is None:  # k8s_get strips managedFields: the write may be in a longer timeline only
                await managed_writes.reach(facts, call, at, "survey-shared-history")
                written = timeline_write(facts, Ref("CronJob", namespace, name))
            if written is not None and facts.at - written[0] > LEAD:
                continue
            runs = sorted((p for p in pod_names if re.fullmatch(rf"{re.escape(name)}-\d+-[a-z0-9]{{5}}", p)),
                          key=lambda p: int(p.rsplit("-", 2)[1]), reverse=True)
            entry: dict[str, Any] = {"name": name, "namespace": namespace,
                                     "written": written[0].isoformat() if written else None,
                                     "by": written[1] if written else "",
                                     "schedule": str((got[0].get("spec") or {}).get("schedule")),
                                     "runs": [t.isoformat() for p in runs if (t := run_time(p)) is not None],
                                     "args": _args(got[0]), "lines": [], "evidence": [got[1]]}
            for pod in runs[:1]:
                logs = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 200},
                                  f"survey-purge-run-{pod}")
                if logs is not None and logs.ok:
                    entry["lines"] = [ln for ln in str(logs.full_text or "").splitlines()
                                      if _DELETED.search(ln) or _UNSET.search(ln)][:20]
                    entry["evidence"].append(logs.evidence_id)
            store["jobs"].append(entry)
