"""Objects written shortly before the incident, read back as they are now, each with its write.

Some modules judge a write by the text the written object holds now, not by its diff: a relabel rule that drops
the alert's series (series_dropped), a sampler ahead of a span counter (sampled_metrics), a time zone given to a
log parser (log_timezone). The timeline often says only which keys a write set (`data key x set by M`), so each
takes the survey timeline's recent writes of its kinds, reads every written object back and times the write
against the incident. This module is that one loop; each caller keeps what it looks for in the object.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

Call = Callable[..., Awaitable[Any]]


@dataclass
class Written:
    """A timeline write and the object it wrote, as read now."""

    change: dict[str, Any]
    target: Ref
    at: datetime
    minutes_before: int
    obj: dict[str, Any]
    evidence: list[str]
    """The timeline's evidence id and the read's: what a finding on this write cites."""

    def old_text(self) -> str:
        """The old sides of the write's `old -> new` diff lines: a rule found there was not brought by this write."""
        lines = [str(x) for x in self.change.get("diff") or []]
        return "\n".join(line.split(" -> ", 1)[0] for line in lines if " -> " in line)


async def written_now(facts: Facts, call: Call, kinds: tuple[str, ...], lead: timedelta, limit: int, step: str,
                      touched: re.Pattern[str] | None = None) -> list[Written]:
    """The first `limit` objects of `kinds` the survey timeline shows written within `lead` before the incident
    (with `touched`, only writes whose summary or diff it matches), each read as YAML now (step
    `<step>-<kind>-<name>`); a write without a time or an object that cannot be read is left out."""
    writes = [(c, t) for c, t in facts.recent_writes(kinds, lead)
              if touched is None
              or touched.search(f"{c.get('summary')} {' '.join(str(x) for x in c.get('diff') or [])}")]
    out: list[Written] = []
    for change, target in writes[:limit]:
        when = parse_time(change.get("at"))
        if when is None:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"{step}-{target.kind.lower()}-{target.name}")
        if got is not None:
            out.append(Written(change, target, when, int((facts.at - when).total_seconds() // 60), got[0],
                               [e for e in (facts.changes_id or "", got[1]) if e]))
    return out
