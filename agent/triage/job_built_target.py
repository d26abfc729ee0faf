"""A one-shot Job that built the versioned data object the failing queries now hit: the Job is the act.

Re-index, backfill and copy Jobs build a new version of a data object (an Elasticsearch/OpenSearch index
`products-v7`, a table `orders_2026_12`, a Mongo collection `events_v3`) and switch readers to it (an alias swap,
a view or synonym repointed, a config flip in the same run). When the new version was built wrong (a field
mapped as text instead of keyword, a column typed differently), every query that worked on the old version now
fails, and the error names the new version: `Fielddata is disabled on [brand] in [products-v7]`,
`column "total" is of type text` in `orders_2026_12`, `Unknown column ... in 'events_v3'`. The Job has completed
and its pod is gone, so nothing in the cluster looks broken; the readers look guilty.

Evidence read generically: a Job run (the change timeline's job entry) within WINDOW before the alert whose
name carries a versioned identifier (letters and a digit) that a failing log's errors quote (in brackets or
quotes), the errors not seen before the Job ran. Twins: a Job whose name the errors do not quote, an error that
began before the Job, an unversioned word (a Job `cleanup-products` and an error naming `[products]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time

CHECK = "change.job_built_target"
WEIGHT = 0.9
"""As strong as a schema migration's finding (migrations): the same kind of act on the data the queries read."""

WINDOW = timedelta(hours=6)
SLACK = timedelta(minutes=2)
_QUOTED = re.compile(r"[\[\"'`]([A-Za-z][\w.-]{2,}?)[\]\"'`]")
_VERSIONED = re.compile(r"^(?=.*[A-Za-z]{3})(?=.*\d)[\w.-]{4,}$")
"""An identifier with a word and a number in it (`products-v7`, `orders_2026_12`): one that a build made."""


@dataclass(frozen=True)
class BuiltTarget:
    """A Job, the versioned object its name carries, and the failing log that quotes it."""

    job: Ref
    ran: datetime
    target: str
    log: LogEvidence
    said: str
    evidence: list[str]


def _quoted(log: LogEvidence) -> list[tuple[str, str, datetime | None]]:
    """(identifier, error as printed, first seen) for the versioned identifiers a log's errors quote."""
    out = []
    for error in [log.top or {}, *log.more]:
        text = " ".join(str(error.get(k) or "") for k in ("message", "example", "template"))
        for ident in dict.fromkeys(_QUOTED.findall(text)):
            if _VERSIONED.match(ident):
                said = str(error.get("message") or error.get("example") or error.get("template") or "")
                out.append((ident, said, parse_time(error.get("first_seen"))))
    return out


def _carries(job: str, ident: str) -> bool:
    """Whether a Job's name carries the identifier as whole segments (`reindex-products-v7` carries `products-v7`);
    underscores and dots, which a Job's name cannot hold, may be dashes there; a qualified name (`shop.events_v3`,
    Snowflake's `ANALYTICS.PUBLIC.ORDERS_V9`, BigQuery's `project.dataset.table_v2`) is carried by its last part."""
    name = job.lower()
    last = ident.rsplit(".", 1)[-1]
    forms = {ident} | ({last} if last != ident and _VERSIONED.match(last) else set())
    for form in forms:
        wanted = re.sub(r"[_.]", "-", form.lower())
        if re.search(rf"(?:^|-){re.escape(wanted)}(?:-|$)", name) is not None:
            return True
    return False


def found(facts: Facts) -> list[BuiltTarget]:
    """Jobs run before the alert whose name carries a versioned identifier a failing log's errors quote."""
    quoted = [(log, q) for log in facts.logs for q in _quoted(log)]
    if not quoted:
        return []
    out: list[BuiltTarget] = []
    for change in facts.change_list():
        job, ran = Ref.of(change.get("object")), parse_time(change.get("at"))
        if job is None or ran is None or change.get("type") != "job":
            continue
        if not timedelta(0) <= facts.at - ran <= WINDOW:
            continue
        for log, (ident, said, first) in quoted:
            if not _carries(job.name, ident) or (first is not None and first + SLACK < ran):
                continue
            out.append(BuiltTarget(job, ran, ident, log, said[:200],
                                   [e for e in (facts.changes_id, log.evidence_id) if e]))
            break
    return sorted(out, key=lambda b: b.ran, reverse=True)[:1]


def finding(hit: BuiltTarget, at: datetime) -> dict[str, Any]:
    """The Job's finding: what it built, when, and the errors that name it."""
    ago = minutes_text(int((at - hit.ran).total_seconds() // 60))
    return {
        "check": CHECK, "severity": "critical", "reason": "JobBuiltFailingTarget",
        "object": {"kind": hit.job.kind, "namespace": hit.job.namespace, "name": hit.job.name},
        "message": (f"{hit.job} ran {ago} before the alert and built {hit.target}, the versioned data object (index, "
                    f"table or collection, switched to by alias or config) that the failing queries now hit: "
                    f"{hit.log.pod}'s errors name it: '{hit.said}'. The new version's schema or mapping differs from "
                    f"the old one's; switch readers back to the previous version and rebuild {hit.target}"),
        "evidence": [hit.said],
        "details": {"target": hit.target},
    }
