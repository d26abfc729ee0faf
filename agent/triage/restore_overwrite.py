"""A backup restore that overwrote a live credential: the restore request is the act, not the Secret or its reader.

Backup tools restore into a running cluster by creating a request object (Velero `Restore`, Stash
`RestoreSession`, Kasten `RestoreAction`, K8up `Restore`); their server then writes every object the backup holds.
By default they skip objects that already exist, but an "update/overwrite existing" policy makes them write the
backup's old data over live ones. A Secret rotated since the backup gets its old password back, and the workload
reading it is refused for authentication from then on (`password authentication failed`, `Access denied`, 401).
The refusals point at the client, the Secret write at the backup tool's service account: the request that
asked for the overwrite, created minutes before, is what to undo and what not to repeat.

Evidence read generically from the change timeline: a write to an object whose kind names a restore, then (within
FOLLOW) a write to a Secret by a manager that is no person's client (not kubectl, not helm), in a namespace the
restore covers when its spec names namespaces; a workload the timeline relates to that Secret is refused for its
credential, first seen after the restore. Twins: a restore whose refusals began before it (an attempted fix), a
Secret written by a person after a restore (the person's write), a restore that wrote nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.credential_write import is_refusal, refused
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, written_by
from agent.triage.subject import workload_of_pod

CHECK = "restore.overwrote_credential"
WEIGHT = 0.94
"""Above credential_write (0.93): the same refused reader and Secret write, one step further back."""

WINDOW = timedelta(hours=6)
FOLLOW = timedelta(minutes=30)
"""How long after its request a restore's server may still be writing what the backup holds."""
SLACK = timedelta(minutes=2)

_RESTORE_KIND = re.compile(r"restore", re.I)
_PERSON = re.compile(r"^(?:kubectl|helm|k9s|lens|terraform|argocd|flux|kustomize)", re.I)
"""Managers that are a person's or a deploy pipeline's client: their write is their own, not a restore's."""
_NAMESPACES = re.compile(r"namespace", re.I)
_QUOTED = re.compile(r"[\"']([a-z0-9][a-z0-9-]*)[\"']")


@dataclass(frozen=True)
class Overwrite:
    """A restore request, the Secret its server wrote over, and the reader refused since."""

    restore: Ref
    requested: datetime
    settings: list[str]
    secret: Ref
    writer: str
    workload: Ref
    said: str
    first_refused: datetime
    log: LogEvidence
    evidence: list[str]


def _first_refusal(log: LogEvidence) -> tuple[str, datetime | None]:
    errors = [e for e in [log.top or {}, *log.more] if is_refusal(e)]
    first = min((t for t in (parse_time(e.get("first_seen")) for e in errors) if t is not None), default=None)
    said = str(errors[0].get("message") or errors[0].get("example") or "") if errors else ""
    return said[:200], first


def _covers(settings: list[str], namespace: str) -> bool:
    """Whether a restore's written spec covers `namespace`: it names it, or it names no namespaces at all."""
    lists = [s for s in settings if _NAMESPACES.search(s.split("=", 1)[0])]
    return not lists or any(namespace in _QUOTED.findall(s) for s in lists)


def _writer(change: dict[str, Any]) -> str:
    said = written_by(change)
    if said:
        return said
    m = re.search(r"\bset by ([\w.-]+)", " ".join(map(str, change.get("diff") or [])))
    return m.group(1) if m else ""


def found(facts: Facts) -> list[Overwrite]:
    """Restores followed by a non-person's write to a Secret whose reader is refused for its credential since."""
    logs: list[tuple[LogEvidence, str, datetime]] = []
    for log in refused(facts):
        said, first = _first_refusal(log)
        if first is not None:
            logs.append((log, said, first))
    if not logs:
        return []
    out: list[Overwrite] = []
    restores = [(c, e, r) for c, e, r in facts.writes_to(None, within=WINDOW, deletions=False)
                if _RESTORE_KIND.search(r.kind)]
    secrets = facts.writes_to(("Secret",), within=WINDOW, deletions=False)
    for change, restore_evidence, restore in restores:
        requested = parse_time(change.get("at"))
        if requested is None:
            continue
        settings = [str(d) for d in change.get("diff") or []]
        for write, write_evidence, secret in secrets:
            at = parse_time(write.get("at"))
            writer = _writer(write)
            if at is None or not requested <= at <= requested + FOLLOW or not writer or _PERSON.search(writer):
                continue
            if not _covers(settings, secret.namespace):
                continue
            readers = {r.name for r in (Ref.of(x) for x in write.get("related") or []) if r is not None}
            for log, said, first in logs:
                name = workload_of_pod(log.pod)
                if log.namespace != secret.namespace or name not in readers or first + SLACK < at:
                    continue
                out.append(Overwrite(restore, requested, settings, secret, writer,
                                     Ref("Deployment", log.namespace, name), said, first, log,
                                     [e for e in (restore_evidence, write_evidence, log.evidence_id) if e]))
                break
    return out[:1]


def finding(hit: Overwrite, at: datetime) -> dict[str, Any]:
    """The restore's finding: what it was asked to do, what its server wrote over, and the refusals since."""
    ago = minutes_text(int((at - hit.requested).total_seconds() // 60))
    spec = "; ".join(hit.settings[:5])
    return {
        "check": CHECK, "severity": "critical", "reason": "RestoreOverwroteCredential",
        "object": {"kind": hit.restore.kind, "namespace": hit.restore.namespace, "name": hit.restore.name},
        "message": (f"{hit.restore} was requested {ago} before the alert ({spec}); its server ({hit.writer}) then "
                    f"wrote {hit.secret} over the live one with the backup's old data, and since "
                    f"{hit.first_refused.strftime('%H:%M')} {hit.workload.name}, which reads it, is refused for its "
                    f"credential (password authentication): '{hit.said}'. The restore put back a credential from "
                    "before its last rotation; restore the current value and do not restore existing objects with "
                    "an update/overwrite policy"),
        "evidence": [hit.said],
        "details": {"secret": str(hit.secret), "writer": hit.writer, "workload": str(hit.workload)},
    }
