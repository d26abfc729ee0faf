"""A credentials rotator changed a password at the server before the clients' copy was updated.

Rotation is done by a Job (a CronJob's run, a Vault or operator hook): it sets a new password on the
server (`ALTER ROLE app WITH PASSWORD`, MySQL `ALTER USER 'app'@'%' IDENTIFIED BY`, `SET PASSWORD FOR`,
Redis `ACL SETUSER app >...` or `CONFIG SET requirepass`, MongoDB `changeUserPassword("app")`) and writes
the new value to a store the clients read through a sync (External Secrets' refreshInterval, a Vault agent,
a sealed-secrets PR). Between the two, every new connection the clients open presents the old password and
the server refuses it (PostgreSQL 28P01 `password authentication failed for user "app"`, MySQL `Access
denied for user 'app'`, Redis WRONGPASS). The clients are the victims; the Secret they read is only stale;
the Job is the act that broke them, and undoing it (or forcing the sync) is the fix.

The survey reads, only when a log shows an authentication refusal, the Jobs that completed in the day before
the incident: their commands, and the logs of one pod each. A Job is the suspect when its text rotates a
credential for the very user the refusals name (or, naming no user, for the victim by name), it completed
before the refusals were first printed, and no Secret of the victims' namespace (or that they read) was
written since the rotation: the clients' copy is older than the server's. Names and times only; no Secret
value and no password is ever read or quoted.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "credential.rotated_ahead"
WEIGHT = 0.94
"""The act that made the clients' password wrong outranks the refusals themselves and the stale Secret."""
STORE = "credential_rotation"
WINDOW = timedelta(hours=24)
"""How long before the incident a rotation's completion still counts (a weekly run, a sync hourly or daily)."""
SLACK = timedelta(minutes=2)
"""Log and API clocks differ a little: a refusal first printed this much before the rotation still follows it."""
MAX_JOBS = 6

Call = Callable[..., Awaitable[Any]]

_ECHO = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+")
"""The timestamp `kubectl logs --timestamps` puts before each line."""
_ROTATIONS = (
    re.compile(r"\bALTER\s+(?:ROLE|USER)\s+[\"'`]?([\w.-]+)[\"'`]?(?:@\S+)?\s[^;\n]*?"
               r"(?:\bPASSWORD\b|\bIDENTIFIED\s+BY\b)", re.I),
    re.compile(r"\bSET\s+PASSWORD\s+FOR\s+[\"'`]?([\w.-]+)", re.I),
    re.compile(r"\bACL\s+SETUSER\s+([\w.-]+)\s[^\n]*(?:>|\bresetpass\b)", re.I),
    re.compile(r"\bchangeUserPassword\(\s*[\"']([\w.-]+)", re.I),
    re.compile(r"\bCONFIG\s+SET\s+(?:requirepass|masterauth)\b()", re.I),
)
"""Statements that set a new password on the server; group 1 is the user (empty: the server's only password)."""
_ROTATE_WORDS = re.compile(r"\brotat\w*\b[^\n]*\b(?:credential|password|passwd|secret)s?\b|"
                           r"\b(?:credential|password|passwd|secret)s?\b[^\n]*\brotat\w*\b", re.I)
_USER_FIELD = re.compile(r"\b(?:role|user|username|db_user)[=:]\s*[\"']?([\w.-]+)", re.I)
"""`role=notify`, `user: app` in a rotator's structured log line: whom it rotated."""
_REFUSED_USER = re.compile(r"for user\s+[\"'`]?([\w.-]+)|user\s+[\"'`]([\w.-]+)[\"'`]|"
                           r"access denied for user\s+[\"'`]?([\w.-]+)", re.I)
"""The user a server's refusal names (PostgreSQL, MySQL and their client libraries' wordings)."""


@dataclass
class Rotation:
    """A Job that set a new password for a user whose logins are now refused, while the clients' copy is older."""

    job: Ref
    user: str
    said: str
    """The rotator's own words (its statement with values masked, or its log line)."""
    completed: datetime
    refused: LogEvidence
    quote: str
    first_refused: datetime | None
    secrets: list[str]
    """What the clients' copy looks like: `Secret notify/notify-db: no write since the rotation`."""
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


# ---- reading (survey) -------------------------------------------------------------------------


def _refusals(facts: Facts) -> list[LogEvidence]:
    return [log for log in facts.logs if "auth_failure" in log.error_classes]


def completed_at(job: dict[str, Any]) -> datetime | None:
    """When a Job finished successfully: its Complete condition, or `status.completionTime` (which the API sets
    only on success) with a succeeded pod."""
    status = job.get("status") or {}
    for c in status.get("conditions") or []:
        if (c or {}).get("type") == "Complete" and (c or {}).get("status") == "True":
            return parse_time(status.get("completionTime") or c.get("lastTransitionTime"))
    if int(status.get("succeeded") or 0) > 0:
        return parse_time(status.get("completionTime"))
    return None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a log shows an authentication refusal: the Jobs completed within WINDOW
    before the incident (newest first), each with one pod's logs (facts.reads[STORE])."""
    if not _refusals(facts) or STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    listed = await call("k8s_list", {"kind": "Job"}, "survey-rotation-jobs")
    if listed is None or not listed.ok or not isinstance(listed.data, dict):
        return
    oldest = facts.at - WINDOW - timedelta(hours=1)
    rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict) and r.get("name")
            and oldest <= (parse_time(r.get("created")) or facts.at) <= facts.at]
    rows.sort(key=lambda r: str(r.get("created") or ""), reverse=True)
    for row in rows[:MAX_JOBS * 2]:
        if len(store) >= MAX_JOBS:
            break
        name, ns = str(row.get("name")), str(row.get("namespace") or "")
        got = await get_yaml(call, "Job", name, ns, f"survey-rotation-job-{name}")
        if got is None:
            continue
        done = completed_at(got[0])
        if done is None or not facts.at - WINDOW <= done <= facts.at:
            continue
        entry: dict[str, Any] = {"job": got[0], "evidence": [listed.evidence_id, got[1]], "logs": ""}
        pods = await call("k8s_list", {"kind": "Pod", "namespace": ns, "label_selector": f"job-name={name}"},
                          f"survey-rotation-pods-{name}")
        rows_ = pods.data.get("rows") or [] if pods is not None and pods.ok and isinstance(pods.data, dict) else []
        for pod in rows_[:1]:
            logs = await call("k8s_logs", {"name": str(pod.get("name")), "namespace": ns, "tail": 200},
                              f"survey-rotation-logs-{name}")
            if logs is not None and logs.ok:
                entry["logs"] = str(logs.full_text or "")[:20000]
                entry["evidence"].append(logs.evidence_id)
        store.append(entry)


# ---- judging (rank) ---------------------------------------------------------------------------


def _texts(job: dict[str, Any], logs: str) -> list[str]:
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    out = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        out.append(" ".join(str(w) for w in [*((c or {}).get("command") or []), *((c or {}).get("args") or [])]))
    return out + [_ECHO.sub("", ln.strip()) for ln in logs.splitlines()]


def _masked(text: str) -> str:
    """A rotator's statement or line with anything after PASSWORD / IDENTIFIED BY / > / requirepass masked."""
    text = re.sub(r"(\bPASSWORD\b|\bIDENTIFIED\s+BY\b|\brequirepass\b|\bmasterauth\b)\s+\S+", r"\1 ***", text,
                  flags=re.I)
    text = re.sub(r"(\bACL\s+SETUSER\s+\S+\s[^>\n]*)>\S+", r"\1>***", text, flags=re.I)
    return re.sub(r"(\b(?:pass(?:word|wd)?|pwd|secret|token)\s*[=:]\s*)[^\s,;]+", r"\1***", text, flags=re.I)[:200]


def rotations(job: dict[str, Any], logs: str) -> list[tuple[str, str]]:
    """(user, the words that say so) for each credential the Job's command or logs say it set anew; the user is
    empty when the statement names none (Redis `requirepass`) and the rotator's words name none either."""
    texts = _texts(job, logs)
    named = next((m.group(1) for t in texts if _ROTATE_WORDS.search(t) for m in [_USER_FIELD.search(t)] if m), "")
    out: list[tuple[str, str]] = []
    for text in texts:
        for pattern in _ROTATIONS:
            for m in pattern.finditer(text):
                user = m.group(1) or named
                if (user, text) not in out:
                    out.append((user, _masked(text)))
    if not out:
        out += [(named, _masked(t)) for t in texts if _ROTATE_WORDS.search(t)][:1]
    return out


def _quote(log: LogEvidence) -> tuple[str, datetime | None]:
    for error in [log.top or {}, *log.more]:
        if error.get("error_class") == "auth_failure":
            text = str(error.get("message") or error.get("example") or error.get("template") or "")
            return text[:200], parse_time(error.get("first_seen"))
    return "", None


def _refused_users(quote: str) -> set[str]:
    return {(m.group(1) or m.group(2) or m.group(3)).lower() for m in _REFUSED_USER.finditer(quote)}


def _secret_written(facts: Facts, namespaces: set[str], read: set[str], since: datetime) -> bool:
    """Whether a change timeline shows a write to the clients' Secrets (of their namespaces, or that they read)
    since the rotation: then their copy was synced."""
    for change, _ in facts.every_change():
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or when is None or target.kind != "Secret" or when < since - SLACK:
            continue
        if target.namespace in namespaces or target.name in read:
            return True
    return False


def _read_secrets(facts: Facts, victims: set[str]) -> set[str]:
    return {str((u.get("secret") or {}).get("name")) for data, _ in facts.topologies
            if str((data.get("subject") or {}).get("name")) in victims
            for u in data.get("secrets") or [] if isinstance(u, dict)}


def found(facts: Facts) -> list[Rotation]:
    """Each Job read that rotated the refused user's credential before the refusals began, with no write to the
    clients' Secrets since."""
    refused = _refusals(facts)
    out: list[Rotation] = []
    for entry in facts.reads.get(STORE) or []:
        job = entry.get("job") or {}
        meta = job.get("metadata") or {}
        done = completed_at(job)
        if done is None:
            continue
        ref = Ref("Job", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        for user, said in rotations(job, str(entry.get("logs") or "")):
            hits = []
            for log in refused:
                quote, first = _quote(log)
                victim = workload_of_pod(log.pod)
                users = _refused_users(quote)
                names_user = bool(user) and (user.lower() in users or (not users and user.lower() in
                                                                         {victim.lower(), log.namespace.lower()}))
                if not names_user or (first is not None and first < done - SLACK):
                    continue  # another user's password, or refusals that predate the rotation
                hits.append((log, quote, first))
            if not hits:
                continue
            victims = list(dict.fromkeys(Ref("", log.namespace, workload_of_pod(log.pod)) for log, _, _ in hits))
            namespaces = {v.namespace for v in victims}
            if _secret_written(facts, namespaces, _read_secrets(facts, {v.name for v in victims}), done):
                continue  # the clients' copy was updated after the rotation: a reload problem, not this one
            log, quote, first = hits[0]
            secrets = sorted(_read_secrets(facts, {v.name for v in victims}))
            words = [f"no write to a Secret of namespace {', '.join(sorted(namespaces))}"
                     + (f" (they read {', '.join(secrets)})" if secrets else "") + " since the rotation"]
            out.append(Rotation(ref, user, said, done, log, quote, first, words, victims,
                                [e for e in [*(entry.get("evidence") or []), log.evidence_id] if e]))
            break
    return out


def finding(r: Rotation, at: datetime) -> dict[str, Any]:
    """The Job's finding: the rotation, when, whose password, the refusals it explains and the stale copy."""
    done = r.completed.isoformat().replace("+00:00", "Z")
    ago = minutes_text(int((at - r.completed).total_seconds() // 60))
    first = f", first printed {r.first_refused.isoformat().replace('+00:00', 'Z')}" if r.first_refused else ""
    whom = f"user {r.user}'s password" if r.user else "the server's password"
    victims = ", ".join(str(v).lstrip("/") for v in r.victims[:3])
    message = (f"{r.job} rotated {whom} at {done} ({ago} before the alert) ahead of the clients' copy "
               f"({'; '.join(r.secrets)}): {victims} still present the old password and fail password "
               f"authentication, '{r.quote[:120]}'{first}. The rotation said: '{r.said[:100]}'. Force the Secret's "
               "sync (or roll the password back), then restart the clients; make the rotator update the Secret "
               "before it changes the server")
    return {"check": CHECK, "severity": "critical", "object": {"kind": "Job", "namespace": r.job.namespace,
                                                                "name": r.job.name},
            "reason": "CredentialRotatedAheadOfSecret", "message": message, "evidence": [r.said[:160], r.quote],
            "details": {"user": r.user, "completed": done, "secrets": r.secrets}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The rotating Job; it explains the refused clients."""
    return [(r.job, finding(r, facts.at), r.evidence, [v for v in r.victims]) for r in found(facts)]
