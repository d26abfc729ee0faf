"""A log rotation switched from copying to renaming with no one telling the writer: disk fills with deleted files.

logrotate's `copytruncate` copies a live log and truncates it in place, so a process that never reopens its file
keeps writing into the same (now empty) file. Rotating by rename (`create`, the default when `copytruncate` goes)
works only when something tells the writer to reopen: a `postrotate` script that signals it (`kill -HUP`,
`kill -USR1`, `nginx -s reopen`, `systemctl reload`). Drop `copytruncate` (or the signalling `postrotate`) for a
writer that is not told, and it keeps writing into the renamed file; once the rotation deletes that file (`rotate
N`, compression), the space stays held by the open handle: `du` sees small logs, `df` and the node's available bytes
fall, `lsof` lists the file as `(deleted)`. Nothing errors until the disk is full.

The evidence is the write itself, read from the change timelines (a DaemonSet's env, a ConfigMap's data, a CronJob's
args: any object's before -> after text) within LEAD before an incident about disk or storage: the old text rotated
with `copytruncate` (or signalled in `postrotate`) and the new text rotates without it. Twins, not named: the same
edit adding `copytruncate`, a rotation that keeps a signalling `postrotate`, an edit that changes only the rotation
count or size, and any such edit when the incident is not about disk. Pure over the facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by

CHECK = "change.rotation_without_reopen"
WEIGHT = 0.9
"""Outranks the disk's symptoms (a full filesystem, pressure on the node): the rotation's edit is what changed."""
LEAD = timedelta(days=3)
"""A writer holding deleted files fills a disk over hours to days."""
DISK_PROBLEM = "pvc"
"""The kind of problem (agent.triage.subject.PROBLEM_WORDS) whose words say disk, volume, filesystem, storage."""
_COPY = re.compile(r"(?<![\w-])copytruncate\b")
_ROTATES = re.compile(r"(?<![\w-])(?:rotate\s+\d+|create\b|daily|weekly|hourly|size\s+\S+|maxsize\s+\S+)")
"""Words of a logrotate stanza: the text still rotates."""
_SIGNAL = re.compile(r"postrotate\b(?:(?!endscript).)*?(?:kill\s+-(?:s\s+)?(?:HUP|USR1|USR2|SIGHUP|SIGUSR1|1|10)\b|"
                     r"-s\s+reopen|\breopen\b|systemctl\s+(?:reload|kill)|invoke-rc\.d\s+\S+\s+(?:reload|rotate))",
                     re.I | re.S)
"""A postrotate script that tells the writer to reopen its log."""


@dataclass
class Rotation:
    """A write that took a rotation off copying (or off signalling) with no reopen left for the writer."""

    target: Ref
    at: datetime
    by: str
    dropped: str
    line: str
    evidence: list[str]


def _sides(line: str) -> tuple[str, str] | None:
    """The before and after texts of a timeline diff line (`x='old' -> x='new'`), None when it has no arrow."""
    if " -> " not in line:
        return None
    old, new = line.split(" -> ", 1)
    return old.replace("\\n", "\n"), new.replace("\\n", "\n")


def dropped(old: str, new: str) -> str:
    """What the edit took away from a rotation that still rotates: "copytruncate", "the postrotate signal", ""."""
    if not _ROTATES.search(new) or _COPY.search(new) or _SIGNAL.search(new):
        return ""
    if _COPY.search(old):
        return "copytruncate"
    return "the postrotate signal" if _SIGNAL.search(old) else ""


def found(facts: Facts, problems: set[str]) -> list[Rotation]:
    """Each write in LEAD that took copytruncate (or the reopen signal) off a rotation, in a disk incident."""
    if DISK_PROBLEM not in problems:
        return []
    out: list[Rotation] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if at is None or any(r.target.same_object(target) for r in out):
            continue
        for line in [str(x) for x in change.get("diff") or []] or [str(change.get("summary") or "")]:
            sides = _sides(line)
            what = dropped(*sides) if sides else ""
            if what:
                out.append(Rotation(target, at, written_by(change) or "a rollout", what, line, [evidence]))
                break
    return out


def finding(hit: Rotation, at: datetime) -> dict[str, Any]:
    """The edit, what it dropped, and what a writer that is not told does to the disk."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    message = (f"{hit.target} was changed {ago} before the incident ({hit.by}): its log rotation no longer uses "
               f"{hit.dropped} and now rotates by rename and create. A process that is not told to reopen its log "
               f"keeps writing into the renamed file, and once rotation deletes it the space stays held by the open "
               f"handle: du shows small logs while df and the node's available bytes keep falling, and lsof (or "
               f"/proc/<pid>/fd) lists the file as deleted. Restore copytruncate, or signal the writer in "
               f"postrotate, then restart the writer to free the space")
    return {"check": CHECK, "severity": "critical", "reason": "RotationWithoutReopen",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [hit.line[:300]],
            "details": {"dropped": hit.dropped, "written": hit.at.isoformat().replace("+00:00", "Z")}}
