"""A change made by a one-shot Job: a statement that set the very setting the subject's server error names.

Not every change goes through a rollout. A Job (a Helm hook, a CronJob run, a one-off `kubectl create
job`) runs `ALTER ROLE reporting SET statement_timeout = '30s'`, `ALTER SYSTEM SET max_connections`,
`redis-cli CONFIG SET maxmemory`, and completes: its pod is Completed, nothing in the cluster looks
broken, and the change timeline shows at most "a Job ran". Hours later a client fails with the server's
own error, whose meaning is a server setting (server_error_codes: 57014 -> statement_timeout). This
module reads the Jobs that completed in the hours before the incident (their command and args, the
ConfigMap scripts they mount, their logs), finds the statements that change state outside Kubernetes,
and keeps a Job only when one of its statements sets a setting the subject's error names. The role or
user it targets and the database host it talks to are said when they match the subject's. Secret
values are never read: env vars from Secrets are named, not resolved.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import server_error_codes
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.by_job"
WEIGHT = 0.92
"""A Job that set the setting the subject's server error names is the change to undo; the client is its victim."""
WINDOW = timedelta(hours=24)
"""How long before the incident a Job's completion still counts (a nightly hook, a morning batch)."""
MAX_JOBS = 8
MAX_SCRIPTS = 3
STORE = "job_changes"

_STATEMENT = re.compile(
    r"\bALTER\s+(?:ROLE|USER|SYSTEM|DATABASE)\b[^;\n]*|\bSET\s+(?:GLOBAL|PERSIST|PERSIST_ONLY)\s+[^;\n]*|"
    r"\bCONFIG\s+SET\s+[^;\n]*|\bcurl\b[^\n]*-X\s*(?:PUT|POST|PATCH|DELETE)\b[^\n]*|"
    r"\bvault\s+write\b[^\n]*|\bkubectl\s+(?:apply|patch|set|scale|edit|annotate|label)\b[^\n]*|"
    r"\bhelm\s+(?:upgrade|install|rollback)\b[^\n]*",
    re.I)
"""Statements that change state outside Kubernetes (SQL, Redis, admin APIs, Vault) or through another tool."""
_SETTING = re.compile(r"\bSET\s+(?:GLOBAL\s+|PERSIST\s+|PERSIST_ONLY\s+|SESSION\s+)?@{0,2}([A-Za-z_][\w.-]*)\s*"
                      r"(?:=|\bTO\b|\s)\s*('[^']*'|\"[^\"]*\"|[^\s;'\"]+)", re.I)
_TARGET = re.compile(r"\bALTER\s+(ROLE|USER|DATABASE)\s+\"?([\w.-]+)\"?", re.I)
_ECHO = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s+")
"""The timestamp `kubectl logs --timestamps` puts before each line."""


@dataclass
class JobChange:
    """A completed Job whose statement set a setting the subject's server error names."""

    job: Ref
    statement: str
    setting: str
    value: str
    target: str
    """`role reporting`, `user app`, or empty (ALTER SYSTEM, a global)."""
    where: str
    """Where the statement was read: args, the mounted ConfigMap's key, the logs."""
    completed: str
    said: str
    log: LogEvidence | None
    host: str = ""
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


# ---- reading (survey) -------------------------------------------------------------------------


def _errors(facts: Facts) -> list[tuple[LogEvidence, str, list[str]]]:
    """Logs quoting a server error whose meaning is a server setting: (log, quote, settings)."""
    return server_error_codes.logs_quoting(facts.logs)


def _completed(job: dict[str, Any]) -> datetime | None:
    status = job.get("status") or {}
    for c in status.get("conditions") or []:
        if (c or {}).get("type") == "Complete" and (c or {}).get("status") == "True":
            return parse_time(status.get("completionTime") or c.get("lastTransitionTime"))
    return None


def _mounted_configmaps(job: dict[str, Any]) -> list[str]:
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    names = []
    for v in spec.get("volumes") or []:
        sources = [v] + [s for s in ((v or {}).get("projected") or {}).get("sources") or []]
        for s in sources:
            name = ((s or {}).get("configMap") or {}).get("name")
            if name and name not in names:
                names.append(str(name))
    return names


async def read(facts: Facts, call: Call) -> None:
    """Reading only, and only when a log quotes a server error that means a setting: the Jobs completed within
    WINDOW before the incident, the ConfigMaps they mount, and their pods' logs (facts.reads[STORE])."""
    if not _errors(facts):
        return
    listed = await call("k8s_list", {"kind": "Job"}, "survey-jobs")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]
    oldest = facts.at - WINDOW - timedelta(hours=6)  # created before that, a Job ran long or is older than WINDOW
    rows = [r for r in rows if (parse_time(r.get("created")) or facts.at) >= oldest]
    rows.sort(key=lambda r: str(r.get("created") or ""), reverse=True)  # the newest first
    for row in rows[:MAX_JOBS * 4]:
        if len(store) >= MAX_JOBS:
            break
        name, ns = str(row.get("name")), str(row.get("namespace") or "")
        got = await get_yaml(call, "Job", name, ns, f"survey-job-{name}")
        if got is None:
            continue
        job, evidence = got
        done = _completed(job)
        if done is None or not facts.at - WINDOW <= done <= facts.at:
            continue
        entry: dict[str, Any] = {"job": job, "evidence": [listed.evidence_id, evidence], "scripts": {}, "logs": ""}
        for cm in _mounted_configmaps(job)[:MAX_SCRIPTS]:
            obj = await get_yaml(call, "ConfigMap", cm, ns, f"survey-job-script-{cm}")
            if obj is not None:
                entry["scripts"].update({f"ConfigMap {ns}/{cm} key {k}": str(v)
                                         for k, v in (obj[0].get("data") or {}).items()})
                entry["evidence"].append(obj[1])
        pods = await call("k8s_list", {"kind": "Pod", "namespace": ns, "label_selector": f"job-name={name}"},
                          f"survey-job-pods-{name}")
        pod_rows = pods.data.get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        for pod in pod_rows[:1]:
            logs = await call("k8s_logs", {"name": str(pod.get("name")), "namespace": ns, "tail": 200},
                              f"survey-job-logs-{name}")
            if logs is not None and logs.ok:
                entry["logs"] = str(logs.full_text or "")[:20000]
                entry["evidence"].append(logs.evidence_id)
        store.append(entry)


# ---- judging (rank) ---------------------------------------------------------------------------


def statements(text: str) -> list[str]:
    """The state-changing statements in a command, script or log, one each (log timestamps dropped)."""
    out: list[str] = []
    for line in text.splitlines():
        for m in _STATEMENT.finditer(_ECHO.sub("", line.strip())):
            s = m.group(0).strip().rstrip(";")
            for q in "'\"":  # a statement shell-quoted in a command (`-e 'SET ... = 60'`): its closing quote
                if s.count(q) % 2 and s.endswith(q):
                    s = s[:-1].rstrip().rstrip(";")
            if s and s not in out:
                out.append(s)
    return out


_SECRET_SETTING = re.compile(r"pass|secret|token|key|auth|credential", re.I)


def _redacted(statement: str) -> str:
    """The statement with the value of any secret-looking setting (`CONFIG SET requirepass ...`) masked."""
    out = statement
    for m in _SETTING.finditer(statement):
        if _SECRET_SETTING.search(m.group(1)):
            out = out.replace(m.group(2), "<redacted>")
    return out


def settings_set(statement: str) -> list[tuple[str, str]]:
    """(setting, value) pairs a statement sets: `ALTER ROLE r SET statement_timeout = '30s'` ->
    [("statement_timeout", "'30s'")]; `CONFIG SET maxmemory 2gb` -> [("maxmemory", "2gb")]."""
    return [(m.group(1), m.group(2)) for m in _SETTING.finditer(statement)]


def _norm(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("-", "_").lower()


def _sources(entry: dict[str, Any]) -> list[tuple[str, str]]:
    spec = (((entry.get("job") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    out = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        words = [str(w) for w in [*((c or {}).get("command") or []), *((c or {}).get("args") or [])]]
        out.append((f"container {c.get('name')} command", "\n".join(words)))
    out += list((entry.get("scripts") or {}).items())
    if entry.get("logs"):
        out.append(("its logs", str(entry["logs"])))
    return out


def _host(entry: dict[str, Any]) -> str:
    spec = (((entry.get("job") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    for c in spec.get("containers") or []:
        for e in (c or {}).get("env") or []:
            if re.search(r"host", str((e or {}).get("name") or ""), re.I) and (e or {}).get("value"):
                return str(e["value"])
    return ""


def found(facts: Facts) -> list[JobChange]:
    """Each Job read whose statement sets a setting a logged server error names; the statement whose role or
    user the subject's words name comes first."""
    errors = _errors(facts)
    out: list[JobChange] = []
    for entry in facts.reads.get(STORE) or []:
        job = entry.get("job") or {}
        meta = job.get("metadata") or {}
        ref = Ref("Job", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        best: tuple[int, JobChange] | None = None
        for where, text in _sources(entry):
            for stmt in statements(text):
                for setting, value in settings_set(stmt):
                    for log, quote, names in errors:
                        if _norm(setting) not in {_norm(n) for n in names}:
                            continue
                        tm = _TARGET.search(stmt)
                        target = f"{tm.group(1).lower()} {tm.group(2)}" if tm else ""
                        victim = workload_of_pod(log.pod)
                        hay = " ".join([victim, log.namespace, quote, *log.hosts]).lower()
                        score = 2 if tm and tm.group(2).lower() in hay else 0
                        score += 1 if where != "its logs" else 0  # the command says what was meant
                        if _SECRET_SETTING.search(setting):
                            continue  # a credential's value is never quoted, nor is it a tuning the error names
                        change = JobChange(ref, _redacted(stmt), setting, value, target, where, str(
                            (job.get("status") or {}).get("completionTime") or ""), quote, log, _host(entry),
                            [Ref("", log.namespace, victim)], [e for e in entry.get("evidence") or [] if e])
                        if best is None or score > best[0]:
                            best = (score, change)
        if best is not None:
            out.append(best[1])
    return out


def finding(x: JobChange, at: datetime) -> dict[str, Any]:
    """The suspect's finding: the Job, its statement, when it completed, and the error the setting explains."""
    done = parse_time(x.completed)
    ago = f"{int((at - done).total_seconds() // 60)} min before the incident" if done else "before the incident"
    host = f" against {x.host}" if x.host else ""
    whom = f" for {x.target}" if x.target else ""
    message = (f"{x.job} ran `{x.statement[:160]}` ({x.where}){host}, completed at {x.completed} ({ago}): it set "
               f"{x.setting} = {x.value}{whom}, the setting behind the error its clients now get: '{x.said}'. "
               f"The Job's statement, not the clients, changed behaviour: set {x.setting} back (and fix the Job "
               f"or the hook that runs it so it does not reapply it)")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "Job", "namespace": x.job.namespace, "name": x.job.name},
            "reason": "SettingChangedByJob", "message": message, "evidence": [x.statement[:160], x.said],
            "details": {"statement": x.statement[:300], "setting": x.setting, "value": x.value, "target": x.target,
                        "where": x.where, "completed": x.completed, "host": x.host}}
