"""A shared template or policy that gained a lock, semaphore or concurrency limit, and the runs of everyone who uses
it now waiting on it.

Workflow engines let a template say how many of its runs may go at once: Argo Workflows' `synchronization.mutex` /
`synchronization.semaphore(s)` on a (Cluster)WorkflowTemplate or one of its templates, Airflow's `pool` and
`max_active_runs`, a Tekton/Jenkins throttle, a CronJob's `concurrencyPolicy: Forbid`, a KEDA ScaledJob's
`maxReplicaCount`. Added to a template many teams share (a lock meant for one team's warehouse load), every run that
uses the template now queues behind the longest one: nothing errors, the runs sit Pending/Running and the reports
they feed arrive hours late. The runs' own status says why (Argo: `Waiting for analytics/Mutex/warehouse-load lock.
Lock status: 0/1`, `status.synchronization.mutex.waiting`; its controller: `Lock acquisition failed: ... is held
by ...`; Airflow: `Not executing ... since the pool ... has no open slots`), but the alert names the runs, and the
newest writes near them are the runs' own creations.

This module pairs:

1. the write: within LEAD, a write to an object several runs refer to by name (the timeline's created runs carry
   `...TemplateRef.name = '<it>'`, `pool = '<it>'`), read back: its spec holds a lock (a key naming a mutex,
   semaphore, synchronization, concurrency policy Forbid, a pool or a max-active limit) under a path the write
   touched;
2. the wait: the referring runs, read back, whose status says they wait for that lock (its name in a waiting
   message or a synchronization waiting entry), or the controller's logs saying so.

Negative twins stay out: a template write with no lock in it, a lock nobody waits on, runs waiting on another lock,
a write that touched another part of the spec. Reading only; Secrets are never read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.run_lock"
WEIGHT = 0.94
"""Above the runs' own creations (the alert names them) and a neighbour's rollout."""
STORE = "run_lock"
LEAD = timedelta(hours=24)
HISTORY_WINDOW = "24h"
MAX_TEMPLATES = 2
MAX_RUNS = 3

_REFERS = re.compile(r"(?:TemplateRef|templateRef|template_ref|\.pool|\.queue|\.template)\S*?(?:\.name)? = "
                     r"'(?P<name>[a-z0-9][a-z0-9.-]*)'")
"""A created run's diff line naming the shared object it uses (Argo workflowTemplateRef.name, a pool)."""
LOCK_KEY = re.compile(r"^(?:mutex|mutexes|semaphore|semaphores|synchronization|concurrencyPolicy|pool|"
                      r"max_active_runs|maxActiveRuns|max_active_tasks|concurrency|throttle)$", re.I)
WAIT = re.compile(r"Waiting for [^\n]{0,120}?(?:lock|semaphore)|Lock acquisition failed|lock status: \d+/\d+|"
                  r"has no open slots|no slots available|waiting for (?:the )?(?:mutex|semaphore|lock|pool)|"
                  r"concurrency (?:limit|policy)[^\n]{0,40}(?:reached|Forbid)|prior execution is (?:still )?running",
                  re.I)
"""The engines' own words for a run waiting on a lock, a semaphore, a pool or a concurrency limit."""


@dataclass(frozen=True)
class Lock:
    """A lock a template's spec holds: where, and its name (a mutex name, a semaphore's ConfigMap key, a pool)."""

    path: str
    name: str
    value: str


def locks_of(spec: Any, path: str = "spec") -> list[Lock]:
    """Every lock under a spec: a key that names one, with the lock's own name when it has one."""
    out: list[Lock] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            here = f"{path}.{key}"
            if LOCK_KEY.match(str(key)) and value not in (None, "", {}, [], "Allow", "Replace"):
                text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
                names = re.findall(r'"(?:name|key)": "([^"]+)"', text) if not isinstance(value, str) else [value]
                out.append(Lock(here, names[0] if names else str(key), text[:160]))
                if isinstance(value, dict) and any(LOCK_KEY.match(str(k)) for k in value):
                    continue
            else:
                out += locks_of(value, here)
    elif isinstance(spec, list):
        for i, item in enumerate(spec):
            out += locks_of(item, f"{path}[{i}]")
    return out


def _touched(change: dict[str, Any], lock: Lock) -> bool:
    """Whether the write's diff touched the part of the spec that holds the lock (a path that is its prefix)."""
    bare = re.sub(r"\[\d+\]", "", lock.path)
    for line in [str(d) for d in change.get("diff") or []]:
        written = re.split(r"[ :=]", line.strip(), maxsplit=1)[0]
        written = re.sub(r"\[\d+\]", "", written)
        if written and (bare.startswith(written) or written.startswith(bare)):
            return True
    return False


def _referrers(facts: Facts) -> dict[str, list[Ref]]:
    """Shared object name -> the runs whose creation in the timelines names it."""
    out: dict[str, list[Ref]] = {}
    for change, _ in facts.every_change():
        ref = Ref.of(change.get("object"))
        if ref is None:
            continue
        for line in [str(d) for d in change.get("diff") or []]:
            if (m := _REFERS.search(line)) and not any(r.same_object(ref) for r in out.get(m["name"], [])):
                out.setdefault(m["name"], []).append(ref)
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the 24 h timeline when none reaches it, then each recently written object that two or more runs
    refer to (does its spec hold a lock?) and a few of those runs (do they wait on it?)."""
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"templates": [], "runs": []})
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-run-lock-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))
    refs = _referrers(facts)
    done = 0
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        runs = refs.get(target.name) or []
        if done >= MAX_TEMPLATES or len(runs) < 2 or change.get("type") == "create" \
                or any(r.same_object(target) for r in runs):
            continue
        done += 1
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-run-lock-{target.name}")
        if got is None:
            continue
        locks = [lk for lk in locks_of(got[0].get("spec") or {}) if _touched(change, lk)]
        if not locks:
            continue
        store["templates"].append({"ref": [target.kind, target.namespace, target.name],
                                   "locks": [[lk.path, lk.name, lk.value] for lk in locks],
                                   "evidence": [evidence, got[1]]})
        for run in runs[:MAX_RUNS]:
            obj = await get_yaml(call, run.kind, run.name, run.namespace, f"survey-run-lock-run-{run.name}")
            if obj is None:
                continue
            status = json.dumps(obj[0].get("status") or {})
            waits = [m.group(0) for m in WAIT.finditer(status)]
            store["runs"].append({"template": target.name, "ref": [run.kind, run.namespace, run.name],
                                  "status": status[:4000], "waits": waits,
                                  "evidence": obj[1]})


@dataclass
class RunLock:
    """A shared template whose write added a lock, and the runs waiting on it."""

    target: Ref
    lock: Lock
    at: datetime
    by: str
    waiting: list[Ref]
    said: str
    evidence: list[str] = field(default_factory=list)


def _wait_text(status: str, lock: Lock) -> str:
    """The run's own waiting words that name the lock, "" when none do."""
    for m in WAIT.finditer(status):
        start = max(0, m.start() - 20)
        window = status[start:m.end() + 120]
        if lock.name in window:
            line = re.search(r'"message": "([^"]*' + re.escape(lock.name) + r'[^"]*)"', status)
            return line.group(1) if line else window
    return ""


def found(facts: Facts) -> list[RunLock]:
    """Each shared template whose written lock the runs that use it wait on (their status or the logs say so)."""
    store = facts.reads.get(STORE) or {}
    logs = [said_by(e) for log in facts.logs for e in log.entries()]
    out: list[RunLock] = []
    for entry in store.get("templates") or []:
        target = Ref(*entry["ref"])
        change = next(((c, e) for c, e, r in facts.writes_to(None, within=LEAD, deletions=False)
                       if r.same_object(target)), None)
        if change is None:
            continue
        when = parse_time(change[0].get("at"))
        if when is None:
            continue
        for path, name, value in entry.get("locks") or []:
            lock = Lock(path, name, value)
            waiting: list[Ref] = []
            said = ""
            evidence = [e for e in entry.get("evidence") or [] if e]
            for run in store.get("runs") or []:
                if run.get("template") != target.name:
                    continue
                text = _wait_text(str(run.get("status") or ""), lock)
                if text:
                    waiting.append(Ref(*run["ref"]))
                    said = said or text
                    evidence.append(str(run.get("evidence") or ""))
            if not said:
                said = next((t for t in logs if WAIT.search(t) and lock.name in t), "")
            if not said:
                continue
            out.append(RunLock(target, lock, when, written_by(change[0]), waiting, said,
                               [e for e in dict.fromkeys(evidence) if e]))
            break
    return out


def finding(hit: RunLock, at: datetime) -> dict[str, Any]:
    """What the lock means first (every run of the shared template takes one lock, so they go one at a time), then
    the runs' own waiting words and what to do."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    by = f" by {hit.by}" if hit.by else ""
    said = f"{hit.lock.path} {hit.lock.value}".lower()
    kind = next((k for k in ("mutex", "semaphore", "pool") if k in said), "concurrency limit")
    kind = f"synchronization {kind}" if "synchronization" in said else kind
    runs = ", ".join(str(r) for r in hit.waiting[:3])
    message = (f"{hit.target} gained a {kind} lock '{hit.lock.name}' ({hit.lock.path}) in a write{by} {ago} before "
               f"the incident: every run that uses this shared template now takes that one lock, so runs that went "
               f"side by side wait for the lock one at a time behind the longest: '{hit.said[:160]}'"
               + (f" ({runs})" if runs else "")
               + ". Remove the lock from the shared template (or scope it to the one run that needs it)")
    return {"check": CHECK, "severity": "critical", "reason": "SharedTemplateLock",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [f"{hit.lock.path}: {hit.lock.value}", hit.said[:200]],
            "details": {"lock": hit.lock.name, "path": hit.lock.path, "by": hit.by,
                        "written": hit.at.isoformat().replace("+00:00", "Z"),
                        "waiting": [str(r) for r in hit.waiting]}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The shared template whose lock explains the waiting runs."""
    return [(h.target, finding(h, facts.at), h.evidence, [h.target, *h.waiting]) for h in found(facts)]
