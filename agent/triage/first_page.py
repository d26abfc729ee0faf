"""A batch run after its workload's write handled only the first page of a listing, and exited as a success.

A job that walks a paginated API (a payment provider's balances, a CRM's contacts, S3's ListObjects, a database
cursor) relies on its client to fetch every page. A new version (an SDK major that stopped auto-paginating, a
changed page size, an iterator replaced by a single call) can silently stop after the first page: the run logs a
count equal to one page (100, 1000), the listing says more remain (`has_more=True`, `next_page_token=...`,
`IsTruncated: true`, `nextCursor`, `truncated=true`), and the job exits 0. Nothing fails; downstream a reconciler
or a report notices what is missing (unpaid, unsynced, stale), and the generic pieces look at that reporter.

This module pairs, reading only:

1. a write within LEAD to a batch workload (CronJob, Job) or a worker (Deployment, StatefulSet);
2. the workload's newest pod that ran after the write, whose log says once that the listing had more pages (a run
   that iterates says it on every page but the last);
3. an older pod of the same workload (before the write) whose largest count is at least RATIO times the newest
   run's largest count (the work did not simply shrink), and whose log never said more pages remained unread.

Twins stay out: a newest run without a more-pages word (the work shrank), one that walked several pages, an older
run that also stopped with more pages (it always did: not the write), counts of the same size, a run from before the
write."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.first_page"
WEIGHT = 0.93
READS = "first_page"
LEAD = timedelta(hours=48)
RATIO = 3
MAX_WORKLOADS = 2
KINDS = ("CronJob", "Job", "Deployment", "StatefulSet")
Call = Callable[..., Awaitable[Any]]

MORE = re.compile(r"has_?more[\"']?\s*[=:]\s*[\"']?true|next_?page_?token[\"']?\s*[=:]\s*[\"']?[\w-]{4,}|"
                  r"next_?cursor[\"']?\s*[=:]\s*[\"']?[\w-]{4,}|is_?truncated[\"']?\s*[=:]\s*[\"']?true|"
                  r"\btruncated[\"']?\s*[=:]\s*[\"']?true|next_?token[\"']?\s*[=:]\s*[\"']?[\w-]{4,}|"
                  r"more (?:results|pages|items) (?:are )?available", re.I)
"""How a listing says pages remain: Stripe-style `has_more`, Google's `next_page_token`, cursors, S3's
`IsTruncated`, AWS `NextToken`, plain words."""
_COUNT = re.compile(r"\b(?:paid|processed|payable|synced|imported|exported|sent|handled|migrated|indexed|charged|"
                    r"notified|fetched|loaded|listed|found|updated)\b[^\d\n]{0,24}?(\d[\d,]{0,12})\b(?![.,]\d)", re.I)
"""A run's count of the work it did: `paid 2318 merchants`, `payable merchants: 2318`, `processed=450`; not an
amount (`total EUR 9,412.40`)."""


@dataclass
class Hit:
    """The written workload, its newest run's first-page words and count, and an older run's count."""

    target: Ref
    what: str
    newest: str
    older: str
    said: str
    count: int
    before: int
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def largest(text: str) -> int:
    """The largest work count a run's log states (0 when none)."""
    counts = [int(m.group(1).replace(",", "")) for m in _COUNT.finditer(text)]
    return max(counts, default=0)


def _runs_of(rows: list[dict[str, Any]], target: Ref) -> list[dict[str, Any]]:
    """The workload's pods that have a log (kube_reads.has_run), oldest first (a CronJob's pods are
    `<name>-<schedule minute>-<5>`)."""
    run = re.compile(rf"{re.escape(target.name)}-\d+-[a-z0-9]{{5}}")
    mine = [r for r in rows if (workload_of_pod(str(r.get("name") or "")) == target.name
            or (target.kind in ("CronJob", "Job") and run.fullmatch(str(r.get("name") or ""))))
            and has_run(r)]
    return sorted(mine, key=lambda r: (str(r.get("created") or ""), str(r.get("name") or "")))


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, bounded: for each recently written workload, its newest and oldest pods' logs."""
    store = _store(facts).setdefault("runs", {})
    seen: list[Ref] = []
    for change, evidence, target in facts.writes_to(KINDS, within=LEAD, deletions=False):
        if any(t.same_object(target) for t in seen) or len(seen) >= MAX_WORKLOADS:
            continue
        seen.append(target)
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-first-page-pods-{target.name}")
        runs = _runs_of(rows_of(listed), target)
        if len(runs) < 2:
            continue
        texts = []
        for row in (runs[-1], runs[0]):
            got = await call("k8s_logs", {"name": row.get("name"), "namespace": target.namespace, "tail": 2000},
                             f"survey-first-page-log-{row.get('name')}")
            texts.append((str(row.get("name")), str(got.full_text) if got is not None and got.ok else "",
                          got.evidence_id if got is not None else "", str(row.get("created") or "")))
        store[str(target)] = (change, evidence, target, texts)


def found(facts: Facts) -> list[Hit]:
    """Each written workload whose newest run stopped at a first page its older runs walked past."""
    out: list[Hit] = []
    for change, evidence, target, texts in (_store(facts).get("runs") or {}).values():
        (newest, new_text, new_id, new_created), (older, old_text, old_id, _) = texts
        at = parse_time(change.get("at"))
        created = parse_time(new_created)
        if at is None or (created is not None and created < at):
            continue  # the newest run started before the write: not the write's run
        more = MORE.search(new_text)
        if more is None or MORE.search(old_text):
            continue  # no more-pages word now, or the older run stopped with pages left too
        if len(MORE.findall(new_text)) > 1:
            continue  # several pages each saying more remain: a run that iterates, not one that stopped
        count, before = largest(new_text), largest(old_text)
        if count <= 0 or before < RATIO * count:
            continue  # the work did not shrink by much: not a first page
        said = next((" ".join(ln.split())[:200] for ln in new_text.splitlines() if MORE.search(ln)), more.group(0))
        what = str(change.get("summary") or "")[:160]
        out.append(Hit(target, what, newest, older, said, count, before, int((facts.at - at).total_seconds() // 60),
                       [e for e in (evidence, new_id, old_id) if e]))
    return out


def finding(h: Hit) -> dict[str, Any]:
    """The write, the run that stopped at the first page, the older run's count; meaning first."""
    message = (f"{h.target}'s run since its write {minutes_text(h.minutes_before)} before the incident "
               f"({h.newest}) handled only the first page of a paginated listing: {h.count} items, stopping while the "
               f"listing said more pages remained ('{h.said[:160]}'), where a run before the write ({h.older}) "
               f"handled {h.before}, and it exited as a success. The write ({h.what}) brought a version that no "
               f"longer iterates pages (an SDK major, a changed page size); restore paging (follow has_more / the "
               f"next token) or roll it back, and rerun for the items it skipped")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "FirstPageOnly", "message": message, "evidence": [h.said[:200]],
            "details": {"count": h.count, "before": h.before, "newest": h.newest, "older": h.older}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written workload whose run stopped at the first page."""
    return [(h.target, finding(h), list(dict.fromkeys(h.evidence)), [h.target]) for h in found(facts)]


__all__ = ["CHECK", "MORE", "WEIGHT", "Hit", "finding", "found", "largest", "read", "suspects"]
