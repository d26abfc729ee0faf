"""A rotation run changed a credential at its provider but failed to store the new value where its consumers read it.

Rotating an API client secret, key or token is two acts: issue the new credential at the provider (an IdP's
client secret, a SaaS API key, a cloud access key) and retire the old one, then write the new value into the
Kubernetes Secret (or secret store) the consumers read. A rotator run (a Job, a CronJob's run, started by hand)
that does the first and fails the second leaves the consumers presenting a credential the provider has retired:
every call is refused (`invalid_client`, `401 Unauthorized`, `invalid api key`), while the Secret looks untouched
and the consumers unchanged. The run's own log says both: the provider-side success (`new secret`, `created`,
`deactivated`, `revoked`) and the failed store (`failed to store/patch/update the secret`, the API's
`secrets "x" is forbidden: User "system:serviceaccount:..." cannot patch`, Vault's `permission denied` on a write,
AWS `AccessDeniedException ... PutSecretValue`).

Named: the run (its Job) when, within WINDOW, its log shows a rotation at the provider and then a failed store of
a Secret, a workload reading that Secret (env secretKeyRef, envFrom, volume; by name only, never a value) is
refused for authentication since the run started, and the timeline shows no write to that Secret since. credential_
rotation covers a COMPLETED database password rotation whose Secret sync lags; this is the half-done run. `read`
(reading only, when a log shows an authentication refusal) lists recent Jobs, reads each with one pod's log, and
the refused pods' specs; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "credential.rotation_unstored"
WEIGHT = 0.95
"""The half-done rotation is what made the consumers' credential wrong: above their refusals and the stale Secret
(secret readers, 0.9x) and a completed rotation's lag (0.94)."""
STORE = "rotation_unstored"
WINDOW = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_JOBS = 6
MAX_PODS = 3
Call = Callable[..., Awaitable[Any]]

_ECHO = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+")
ISSUED = re.compile(r"\b(?:new (?:client )?(?:secret|key|token|credential|password)\b|"
                    r"(?:created|issued|generated|added)\b[^\n]{0,60}\b(?:secret|key|token|credential)s?\b|"
                    r"\b(?:secret|key|token|credential)s?\b[^\n]{0,60}(?:->|returned|status)\s*20[01]\b|"
                    r"(?:deactivat|revok|disabl|delet|retir|expir)\w*\b[^\n]{0,40}\b(?:old|previous|prior)\b|"
                    r"\b(?:old|previous|prior) (?:client )?(?:api )?(?:secret|key|token|credential)\b[^\n]{0,40}"
                    r"(?:deactivat|revok|disabl|delet|retir)\w*)", re.I)
"""A rotator's words that the provider side happened: a new credential issued, the old one retired."""
RETIRED = re.compile(r"(?:deactivat|revok|disabl|delet|retir)\w*", re.I)
STORE_FAILED = re.compile(
    r"(?:fail|error|unable|cannot|could not|couldn't)\w*\b[^\n]{0,60}\b(?:store|write|patch|update|save|put|"
    r"persist|sync)\w*\b[^\n]{0,80}\b(?:secret|credential)|"
    r"secrets? \\?\"?([\w.-]+)\\?\"? is forbidden|cannot (?:patch|update|create) resource \"secrets\"|"
    r"permission denied[^\n]{0,60}(?:secret|kv)/|AccessDenied\w*[^\n]{0,120}(?:PutSecretValue|UpdateSecret)", re.I)
"""A rotator's words that storing the new value failed (its own message, the Kubernetes API's Forbidden, Vault's
or Secrets Manager's refusal)."""
_STAMP = re.compile(r"^\[?\d{4}-\d\d-\d\d[ T][\d:.,]+Z?\]?\s+")
"""A log line's own leading timestamp, dropped from a quote so the words fit the headline."""
_SECRET_REF = re.compile(r"\b([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9.-]*[a-z0-9])\b")
"""`namespace/name` of the Secret a rotator's args or log line name."""


@dataclass
class Unstored:
    """A run that rotated a credential at its provider and failed to store it; a consumer refused since."""

    job: Ref
    started: datetime
    issued: str
    retired: bool
    failed: str
    secret: str
    consumer: Ref
    quote: str
    first: datetime
    evidence: list[str]


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _refused(facts: Facts) -> list[LogEvidence]:
    return [log for log in facts.logs if log.pod and "auth_failure" in log.error_classes]


def started_at(job: dict[str, Any]) -> datetime | None:
    status, meta = job.get("status") or {}, job.get("metadata") or {}
    return parse_time(status.get("startTime") or meta.get("creationTimestamp"))


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a log shows an authentication refusal: recent Jobs with one pod's log each, and the
    refused pods' specs (Secret names only)."""
    del subject, at
    refused = _refused(facts)
    store = _store(facts)
    if not refused or "jobs" in store:
        return
    store["jobs"], store["pods"] = [], {}
    listed = await call("k8s_list", {"kind": "Job"}, "survey-rotation-unstored-jobs")
    oldest = facts.at - WINDOW
    rows = [r for r in rows_of(listed) if r.get("name") and oldest <= (parse_time(r.get("created")) or facts.at)
            <= facts.at]
    rows.sort(key=lambda r: str(r.get("created") or ""), reverse=True)
    for row in rows[:MAX_JOBS]:
        name, ns = str(row.get("name")), str(row.get("namespace") or "")
        got = await get_yaml(call, "Job", name, ns, f"survey-rotation-unstored-job-{name}")
        if got is None:
            continue
        pods = await call("k8s_list", {"kind": "Pod", "namespace": ns, "label_selector": f"job-name={name}"},
                          f"survey-rotation-unstored-pods-{name}")
        logs, evidence = "", [got[1]]
        for pod in rows_of(pods)[:1]:
            out = await call("k8s_logs", {"name": str(pod.get("name")), "namespace": ns, "tail": 200},
                             f"survey-rotation-unstored-logs-{name}")
            if out is not None and out.ok:
                logs = str(out.full_text or "")[:20000]
                evidence.append(out.evidence_id)
        store["jobs"].append({"job": got[0], "logs": logs, "evidence": evidence})
    for log in refused[:MAX_PODS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-rotation-unstored-pod-{log.pod}")
        if got is not None:
            walked = pod_spec_words.walk(got[0].get("spec") or {})
            store["pods"][log.pod] = {"secrets": sorted({w.text for w in walked if w.kind == "secret"}),
                                      "evidence": got[1]}


def run_words(job: dict[str, Any], logs: str) -> tuple[str, bool, str, str]:
    """(the issue line, whether the old credential was retired, the failed-store line, the Secret it names as
    `namespace/name` or name) of a rotator run; empty strings when it shows no rotation followed by a failed store."""
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    args = " ".join(str(w) for c in spec.get("containers") or [] for w in [*(c.get("command") or []),
                                                                            *(c.get("args") or [])])
    lines = [_ECHO.sub("", ln.strip()) for ln in logs.splitlines() if ln.strip()]
    issued_at = next((i for i, ln in enumerate(lines) if ISSUED.search(ln) and not STORE_FAILED.search(ln)), None)
    if issued_at is None:
        return "", False, "", ""
    failed_at = next((i for i, ln in enumerate(lines) if i > issued_at and STORE_FAILED.search(ln)), None)
    if failed_at is None:
        return "", False, "", ""
    retired = any(RETIRED.search(ln) and ISSUED.search(ln) for ln in lines[:failed_at + 1])
    tail = " ".join(lines[failed_at:failed_at + 4])
    forbidden = re.search(r"secrets? \\?\"?([\w.-]+)\\?\"? is forbidden", tail, re.I)
    named = _SECRET_REF.search(lines[failed_at]) or _SECRET_REF.search(args)
    if named and (forbidden is None or named.group(2) == forbidden.group(1)):
        secret = f"{named.group(1)}/{named.group(2)}"
    else:
        secret = forbidden.group(1) if forbidden else ""
    failed = _STAMP.sub("", lines[failed_at])
    if re.search(r"forbidden", tail, re.I) and "forbidden" not in failed.lower():
        failed += " (Forbidden)"
    said = _STAMP.sub("", next((ln for ln in lines[:failed_at] if RETIRED.search(ln) and ISSUED.search(ln)),
                               lines[issued_at]))
    return _masked(said), retired, _masked(failed), secret


def _masked(text: str) -> str:
    """A rotator's line with any value after a secret/token/password/key word masked (ids and names stay)."""
    return re.sub(r"(\b(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key)\s*[=:]\s*)[^\s,;]+", r"\1***", text,
                  flags=re.I)


def _secret_written(facts: Facts, name: str, since: datetime) -> bool:
    for change, _ in facts.every_change():
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is not None and when is not None and target.kind == "Secret" and target.name == name \
                and when >= since - SLACK:
            return True
    return False


def found(facts: Facts) -> list[Unstored]:
    """Each recent run that rotated at the provider and failed to store the Secret a refused consumer reads."""
    store = _store(facts)
    out: list[Unstored] = []
    for entry in store.get("jobs") or []:
        job = entry.get("job") or {}
        meta = job.get("metadata") or {}
        started = started_at(job)
        if started is None or not facts.at - WINDOW <= started <= facts.at:
            continue
        issued, retired, failed, secret = run_words(job, str(entry.get("logs") or ""))
        if not failed or not secret:
            continue
        name = secret.split("/")[-1]
        namespace = secret.split("/")[0] if "/" in secret else ""
        for log in _refused(facts):
            pod = (store.get("pods") or {}).get(log.pod) or {}
            if name not in (pod.get("secrets") or []) or (namespace and namespace != log.namespace):
                continue
            hits = [e for e in log.entries() if e.get("error_class") == "auth_failure"] or [log.top or {}]
            first = min((t for t in (parse_time(e.get("first_seen")) for e in hits) if t is not None),
                        default=facts.at)
            if first < started - SLACK or _secret_written(facts, name, started):
                continue  # refused before the run, or the Secret was written since: not this run's
            evidence = [e for e in [*(entry.get("evidence") or []), log.evidence_id, pod.get("evidence")] if e]
            out.append(Unstored(Ref("Job", str(meta.get("namespace") or ""), str(meta.get("name") or "")), started,
                                issued, retired, failed, f"{log.namespace}/{name}",
                                Ref("", log.namespace, workload_of_pod(log.pod)),
                                str(hits[0].get("message") or said_by(hits[0])), first,
                                [str(e) for e in evidence]))
            break
    return out


def finding(u: Unstored, at: datetime) -> dict[str, Any]:
    """The run's finding: rotated (and retired the old) at the provider, failed to store, the consumer refused."""
    ago = minutes_text(int((at - u.started).total_seconds() // 60))
    retired = " and retired the old one" if u.retired else ""
    message = (f"{u.job} ({ago} before the alert) issued a new credential at the provider{retired}, then failed to "
               f"store it in Secret {u.secret}: '{u.failed[:130]}'. {u.consumer.namespace}/{u.consumer.name} still "
               f"sends the old one and is refused: '{u.quote[:90]}'. Store the new value in the Secret (fix the "
               f"rotator's permission) and restart the consumer. The rotator said: '{u.issued[:120]}'")
    return {"check": CHECK, "severity": "critical", "reason": "RotationNotStored",
            "object": {"kind": "Job", "namespace": u.job.namespace, "name": u.job.name},
            "message": message, "evidence": [u.failed[:200], u.issued[:200], u.quote[:200]],
            "details": {"secret": u.secret, "consumer": f"{u.consumer.namespace}/{u.consumer.name}",
                        "started": u.started.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The half-done rotation run; it explains the refused consumer and the stale Secret."""
    return [(u.job, finding(u, facts.at), u.evidence,
             [u.consumer, Ref("Secret", u.secret.split("/")[0], u.secret.split("/")[-1])]) for u in found(facts)]
