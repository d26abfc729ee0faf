"""A datastore brought back from an old snapshot or backup: recent rows are gone and new keys collide.

When an operator re-bootstraps a database from a snapshot or backup (CloudNativePG `bootstrap.recovery`, Zalando's
`clone`, Percona/MySQL operators' restores, a Velero restore, a claim whose `dataSource` is a VolumeSnapshot), the
store starts from that point in time. Picked from the wrong day, it starts days or weeks behind: the store's own
start log says where it came back to (PostgreSQL `database system was interrupted; last known up at <date>`,
`last completed transaction was at log time <date>`, a restore tool's `backup ... taken at <date>`), clients find
recent rows missing, and their inserts collide with ids the sequences hand out again (PostgreSQL 23505 `duplicate
key value violates unique constraint`, MySQL `Duplicate entry ... for key`, MongoDB `E11000 duplicate key`,
Oracle `ORA-00001`).

Named: the controller owning the datastore's pod (the operator's resource when there is one), when a pod created
within LEAD says it came back to a point more than STALE before it started, and a client's logs say a duplicate
key. The finding quotes what the owner recovers from (its spec's recovery/restore/snapshot/backup names).
Twins: a store whose last known up is minutes before its start (a crash, not a restore), an old restore point with
no duplicate keys, duplicate keys with no stale start. Reading only: listed pods, a few store pods' logs and owners.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, all_said, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject

CHECK = "datastore.stale_restore"
WEIGHT = 0.93
"""The restore is what to redo: the missing rows and every duplicate key follow from it."""
STORE = "stale_restore"
LEAD = timedelta(hours=24)
"""How recently the store's pod started: the restore is the start of the incident."""
STALE = timedelta(days=1)
"""How far behind its start a restored point must be: a crash restart comes back to seconds before it."""
MAX_PODS = 4
LOG_TAIL = 400
Call = Callable[..., Awaitable[Any]]

DUPLICATE = re.compile(r"duplicate key value violates unique constraint|\b23505\b|Duplicate entry .{0,80}for key|"
                       r"E11000 duplicate key|ORA-00001|unique constraint \S+ violated|UniqueViolation", re.I)
"""Clients' and stores' words for an insert whose key exists: PostgreSQL, MySQL/MariaDB, MongoDB, Oracle."""
STORE_IMAGE = re.compile(r"postgres|postgis|timescale|spilo|cloudnative-pg|crunchy|mysql|mariadb|percona|mongo|"
                         r"oracle|yugabyte", re.I)
_TS = r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)"
RESTORED_TO = re.compile(r"(?:last known up at|last completed transaction was at log time|recovery stopping "
                         r"(?:before|after) .{0,60}? time|backup (?:was )?(?:taken|created|started) (?:at|on)|"
                         r"restor\w* (?:to|from) (?:point in time|backup|snapshot)[^\n]{0,60}? (?:at|of|from)) "
                         + _TS, re.I)
"""A store's words for the point in time its data comes back to: PostgreSQL after a crash or a restore, a
restore tool (pgBackRest, xtrabackup, mongorestore wrappers) naming its backup's time."""
GREP_WORDS = ("known up", "log time", "taken", "restor")
"""What to ask the store's log for (the tool keeps lines containing a text): each RESTORED_TO wording's word."""
SOURCE_KEY = re.compile(r"recovery|restore|clone|snapshot|backup|datasource|source", re.I)


def duplicate_said(facts: Facts) -> str:
    """A client's or store's duplicate-key line from the logs the survey read, or ""."""
    for log in facts.logs:
        for entry in [log.top, *log.more]:
            text = all_said(entry) if entry else ""
            if DUPLICATE.search(text):
                return " ".join(text.split())[:160]
        for line in log.last_lines:
            if DUPLICATE.search(line):
                return " ".join(line.split())[:160]
    return ""


def restored_point(text: str) -> tuple[datetime, str] | None:
    """The oldest point the store says it came back to, with its words."""
    out = []
    for m in RESTORED_TO.finditer(text):
        when = parse_time(m.group(1).replace(" ", "T") + "Z")
        if when is not None:
            out.append((when, " ".join(m.group(0).split())))
    return min(out) if out else None


def sources(spec: Any, path: str = "", depth: int = 0) -> list[str]:
    """`path=value` for the names an owner's spec gives under recovery/restore/snapshot/backup keys."""
    out: list[str] = []
    if depth > 6:
        return out
    if isinstance(spec, dict):
        for key, value in spec.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(value, (dict, list)):
                out += sources(value, sub, depth + 1)
            elif key in ("name", "backupName", "snapshotName", "source", "clusterName", "backupSource") and \
                    SOURCE_KEY.search(path) and isinstance(value, str):
                out.append(f"{sub}={value}")
    elif isinstance(spec, list):
        for item in spec:
            out += sources(item, path, depth + 1)
    return out


def _controller(obj: dict[str, Any]) -> dict[str, Any] | None:
    refs = [r for r in (obj.get("metadata") or {}).get("ownerReferences") or [] if isinstance(r, dict)]
    return next((r for r in refs if r.get("controller")), refs[0] if refs else None)


async def _owner(call: Call, namespace: str, pod: str) -> tuple[Ref, list[str], list[str]] | None:
    """The pod's top controller (through a StatefulSet to the operator's resource), what it recovers from, ids."""
    got = await get_yaml(call, "Pod", pod, namespace, f"survey-stale-restore-pod-{pod}")
    ref = _controller(got[0]) if got else None
    ids = [got[1]] if got else []
    obj: dict[str, Any] | None = None
    for _ in range(2):
        if ref is None:
            break
        read = await get_yaml(call, str(ref.get("kind")), str(ref.get("name")), namespace,
                              f"survey-stale-restore-owner-{ref.get('name')}")
        if read is None:
            break
        obj, ids = read[0], [*ids, read[1]]
        upper = _controller(obj)
        if upper is None:
            break
        ref = upper
    if ref is None:
        return None
    found = sources((obj or {}).get("spec") or {}) if obj else []
    pvc_sources = [s for s in sources(obj or {}) if "dataSource" in s] if obj else []
    return Ref(str(ref.get("kind")), namespace, str(ref.get("name"))), (found or pvc_sources)[:3], ids


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a duplicate key is in view: datastore pods started within LEAD, their start logs, and
    the owner of one that came back to a stale point."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = store = {}
    said = duplicate_said(facts)
    if not said:
        return
    listed = await call("k8s_list", {"kind": "Pod", "namespace": ""}, "survey-stale-restore-pods")
    fresh = []
    for row in rows_of(listed):
        created = parse_time(row.get("created"))
        images = " ".join(str(i) for i in row.get("images") or [])
        if created is not None and timedelta(0) <= facts.at - created <= LEAD and STORE_IMAGE.search(images):
            fresh.append((row, created))
    for row, created in fresh[:MAX_PODS]:
        pod, namespace = str(row.get("name")), str(row.get("namespace") or "")
        point, evidence = None, ""
        for word in GREP_WORDS:
            got = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": LOG_TAIL, "grep": word},
                             f"survey-stale-restore-logs-{pod}-{word.replace(' ', '-')}")
            point = restored_point(str(got.full_text or got.text or "")) if got is not None and got.ok else None
            if point is not None:
                evidence = got.evidence_id
                break
        if point is None or created - point[0] < STALE:
            continue
        owner = await _owner(call, namespace, pod)
        if owner is None:
            continue
        store["hit"] = {"owner": owner[0], "sources": owner[1], "pod": Ref("Pod", namespace, pod),
                        "point": point[0].astimezone(UTC).isoformat(), "words": point[1], "started": created,
                        "duplicate": said, "evidence": [evidence, *owner[2]]}
        return


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the store's owner, its finding, evidence ids, the store pod) for agent.triage.behind."""
    hit = (facts.reads.get(STORE) or {}).get("hit")
    if not hit:
        return []
    owner, started = hit["owner"], hit["started"]
    behind = int((started - parse_time(hit["point"])).total_seconds() // 60)
    source = f" It recovers from {', '.join(hit['sources'])}." if hit["sources"] else ""
    ago = minutes_text(int((facts.at - started).total_seconds() // 60))
    message = (f"{owner}'s datastore was restored from a stale snapshot or backup: {hit['pod'].name}, started "
               f"{ago} before the alert, says '{hit['words']}' ({minutes_text(behind)} behind its start).{source} "
               f"Rows written since that point are missing and sequences hand out ids again, so inserts fail with "
               f"duplicate key: '{hit['duplicate'][:120]}'. Recover again from the newest snapshot or backup "
               f"(bootstrap recovery, restore source, dataSource) and replay what was written since")
    finding = {"check": CHECK, "severity": "critical",
               "object": {"kind": owner.kind, "namespace": owner.namespace, "name": owner.name},
               "reason": "RestoredFromStaleSnapshot", "message": message, "evidence": [hit["words"]],
               "details": {"sources": hit["sources"], "pod": hit["pod"].name}}
    return [(owner, finding, [e for e in hit["evidence"] if e], [hit["pod"]])]
