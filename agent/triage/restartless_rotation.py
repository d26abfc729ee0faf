"""A sync operator rotated a credential Secret and nothing restarted its readers: the delivery object lacks a restart.

Vault Secrets Operator turns a VaultDynamicSecret (database or cloud credentials leased from Vault), a
VaultStaticSecret or a VaultPKISecret into a Secret, and rewrites that Secret whenever Vault issues new material: a
dynamic lease that reached its max TTL gets a brand-new username and password, a static role's password is rotated
on its period, a certificate is re-issued. Most applications read credentials once, at start-up (env from the
Secret, a connection pool built at boot), so the operator is told which workloads to restart after each rotation:
the object's `spec.rolloutRestartTargets`. Re-apply the object without that list (a GitOps manifest that never had
it, a chart upgrade) and nothing fails at the write; at the next rotation the Secret changes, the running pods keep
the old credentials, Vault revokes the old lease, and every new connection is refused (PostgreSQL 28P01 `password
authentication failed`, MySQL 1045 `Access denied for user`, a `role ... does not exist`, an x509 handshake with an
expired leaf). The refusals are the symptom, the Secret's write by the operator is the rotation working as designed;
the delivery object that no longer restarts the readers is the cause.

Told apart from its twins: the Secret's newest write must precede the first refusal (a rotation after the errors
began is not theirs); the refused pods must have started before that write (a pod started after it loaded the new
credentials: a refusal there is another class, credential_rotation's or credential_write's); and the delivery object
must name no restart target that owns the refused workload (a configured restart that did not run is the operator's
failure, not this object's). The refused workload must be in the Secret's namespace and read that Secret, or, when
no workload there references it by name (credentials read through a file or the API), be refused within minutes of
the write.

`read` (reading only, and only when a surveyed log shows a refused credential): the delivery objects of the
restart-capable kinds in the namespaces of Secrets written in WINDOW, the refused workloads (Secret references and
name) and one refused pod each (its start time). No Secret is read. `found` is pure over what was read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.credential_write import is_refusal
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.secret_delivery import referenced_secrets, secret_names
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.restartless_rotation"
WEIGHT = 0.95
"""Above secret_delivery (0.94), credential_write (0.93) and setting_words (0.85): the operator's write to the
Secret is the rotation working; the object that no longer restarts the readers explains the refusals."""
STORE = "restartless_rotation"
WINDOW = timedelta(hours=6)
QUICK = timedelta(minutes=15)
"""When no workload references the Secret by name, the refusals must begin this soon after its write."""
SLACK = timedelta(seconds=30)
MAX_NAMESPACES = 2
MAX_OBJECTS = 4
RESTART_KINDS = ("VaultDynamicSecret", "VaultStaticSecret", "VaultPKISecret")
"""Delivery kinds whose spec says which workloads to restart after each rotation (`spec.rolloutRestartTargets`)."""
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Unrestarted:
    """A rotation the readers never loaded: the delivery object, its Secret's write, and the refused reader."""

    source: Ref
    secret: str
    rotated: datetime
    rotated_by: str
    reader: Ref
    started: datetime
    refused_at: datetime
    refusal: str
    by_reference: bool
    removed: str
    """The timeline's words when the restart list was removed by a write ("" when it was never seen set)."""
    evidence: list[str] = field(default_factory=list)


def refused_logs(facts: Facts) -> list[LogEvidence]:
    """The surveyed logs that show a refused credential."""
    return [log for log in facts.logs if any(is_refusal(e) for e in log.entries())]


def secret_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Writes (not deletions) to Secrets within WINDOW, newest first."""
    writes = facts.writes_to(("Secret",), within=WINDOW, deletions=False)
    return sorted(writes, key=lambda w: str(w[0].get("at")), reverse=True)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the restart-capable delivery objects of the written Secrets' namespaces, and the refused pods
    and their workloads there."""
    refused = refused_logs(facts)
    writes = secret_writes(facts)
    if not refused or not writes:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"objects": [], "pods": {}, "workloads": {}})
    namespaces = list(dict.fromkeys(t.namespace for _, _, t in writes
                                    if any(log.namespace == t.namespace for log in refused)))[:MAX_NAMESPACES]
    for ns in namespaces:
        secrets = {t.name for _, _, t in writes if t.namespace == ns}
        kept = 0
        for kind in RESTART_KINDS:
            listed = await call("k8s_list", {"kind": kind, "namespace": ns}, f"survey-rotation-{kind.lower()}-{ns}")
            for row in rows_of(listed):
                name = str(row.get("name") or "")
                if not name or kept >= MAX_OBJECTS:
                    continue
                got = await get_yaml(call, kind, name, ns, f"survey-rotation-{kind.lower()}-{name}")
                if got is not None and set(secret_names(got[0])) & secrets:
                    store["objects"].append(got)
                    kept += 1
        if not kept:
            continue
        for log in refused:
            if log.namespace != ns or log.pod in store["pods"]:
                continue
            pod = await get_yaml(call, "Pod", log.pod, ns, f"survey-rotation-pod-{log.pod}")
            store["pods"][log.pod] = pod
            workload = workload_of_pod(log.pod)
            key = f"{ns}/{workload}"
            if key in store["workloads"]:
                continue
            store["workloads"][key] = None
            for kind in _WORKLOADS:
                got = await get_yaml(call, kind, workload, ns, f"survey-rotation-{kind.lower()}-{workload}")
                if got is not None:
                    store["workloads"][key] = got
                    break


# ---- judging (pure) -----------------------------------------------------------------------------


def restart_targets(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of each workload the object restarts after a rotation."""
    targets = (obj.get("spec") or {}).get("rolloutRestartTargets") or []
    return [(str(t.get("kind") or ""), str(t.get("name") or "")) for t in targets if isinstance(t, dict)]


def started_at(pod: dict[str, Any]) -> datetime | None:
    """When the pod's containers last (re)started: the newest container start, else the pod's own start."""
    status = pod.get("status") or {}
    starts = [parse_time(((s.get("state") or {}).get("running") or {}).get("startedAt"))
              for s in status.get("containerStatuses") or [] if isinstance(s, dict)]
    known = [t for t in starts if t is not None]
    if known:
        return max(known)
    return parse_time(status.get("startTime") or (pod.get("metadata") or {}).get("creationTimestamp"))


def first_refusal(log: LogEvidence) -> tuple[datetime | None, str]:
    """When the log first printed a refused credential, and its words."""
    refusals = [e for e in log.entries() if is_refusal(e)]
    times = [(parse_time(e.get("first_seen")), str(e.get("message") or said_by(e))) for e in refusals]
    dated = [(t, s) for t, s in times if t is not None]
    return min(dated, key=lambda x: x[0]) if dated else (None, "")


def _removal(facts: Facts, ref: Ref) -> str:
    """The timeline's summary of a write that removed the object's restart list, '' when none is shown."""
    for change, _, target in facts.writes_to((ref.kind,), deletions=False):
        summary = str(change.get("summary") or "")
        if target.same_object(ref) and "rolloutRestartTargets" in summary and "removed" in summary:
            return f"{written_by(change) or 'a write'} at {change.get('at')}"
    return ""


def found(facts: Facts) -> list[Unrestarted]:
    """Each restart-capable delivery object whose Secret was rotated before the readers' refusals began, while the
    refused pods kept running from before the rotation and the object names no restart target owning them."""
    store = facts.reads.get(STORE) or {}
    writes = secret_writes(facts)
    out: list[Unrestarted] = []
    for obj, obj_evidence in store.get("objects") or []:
        meta = obj.get("metadata") or {}
        ref = Ref(str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        secrets = secret_names(obj)
        write = next(((c, e) for c, e, t in writes if t.namespace == ref.namespace and t.name in secrets), None)
        rotated = parse_time(write[0].get("at")) if write else None
        if write is None or rotated is None:
            continue
        targets = restart_targets(obj)
        for log in refused_logs(facts):
            if log.namespace != ref.namespace:
                continue
            got = (store.get("workloads") or {}).get(f"{log.namespace}/{workload_of_pod(log.pod)}")
            pod = (store.get("pods") or {}).get(log.pod)
            if got is None or pod is None:
                continue
            workload, workload_evidence = got
            reader = Ref(str(workload.get("kind") or ""), log.namespace,
                         str((workload.get("metadata") or {}).get("name") or ""))
            if any(name == reader.name and kind in ("", reader.kind) for kind, name in targets):
                continue  # the object restarts this reader: a restart that did not run is another failure
            started = started_at(pod[0])
            refused_at, refusal = first_refusal(log)
            if started is None or refused_at is None or started >= rotated or refused_at < rotated - SLACK:
                continue
            by_reference = bool(referenced_secrets(workload) & set(secrets))
            if not by_reference and refused_at - rotated > QUICK:
                continue
            who = str(write[0].get("summary") or "").split(" by ", 1)
            out.append(Unrestarted(ref, secrets[0], rotated, who[1].split(":")[0] if len(who) > 1 else "",
                                   reader, started, refused_at, refusal[:220], by_reference, _removal(facts, ref),
                                   list(dict.fromkeys(i for i in (write[1], obj_evidence, workload_evidence,
                                                                  pod[1], log.evidence_id) if i))))
            break
    return out


def finding(u: Unrestarted, at: datetime) -> dict[str, Any]:
    """The rotation, the readers still on the old credentials, and the missing restart list."""
    ago = minutes_text(int((at - u.rotated).total_seconds() // 60))
    by = f" by {u.rotated_by}" if u.rotated_by else ""
    how = "which reads it" if u.by_reference else "refused right after it"
    removed = f" (removed by {u.removed})" if u.removed else ""
    message = (f"{u.source} has no spec.rolloutRestartTargets{removed}: when Secret {u.secret} was rotated{by} "
               f"{ago} before the alert, nothing restarted {u.reader} ({how}); its pods, running since "
               f"{u.started.isoformat()}, keep the old, revoked credentials and are refused: '{u.refusal}'. "
               f"Add the workload to rolloutRestartTargets (or restart it) so each rotation reaches it")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": u.source.kind, "namespace": u.source.namespace, "name": u.source.name},
            "reason": "RotationNotRestarted", "message": message, "evidence": [u.refusal] if u.refusal else [],
            "details": {"secret": u.secret, "rotated": u.rotated.isoformat(), "reader": str(u.reader),
                        "reader_started": u.started.isoformat(), "first_refused": u.refused_at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the delivery object, its finding, evidence ids, the refused reader) for the ranking."""
    return [(u.source, finding(u, facts.at), u.evidence, [u.reader]) for u in found(facts)]
