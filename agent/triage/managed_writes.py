"""Writes that only `metadata.managedFields` records, for modules that read objects through `k8s_get`.

`k8s_get` serves an object without its managedFields (they are noise to a reader, and most of an object's bulk),
so a module that dates a write by the object's own managedFields (a Secret's data keys, a CronJob's job template)
sees none through it. The change timeline (`k8s_changes`) reads the same managedFields on the server side and
reports each dated write: a Secret's `data key K set by MANAGER` with the newest write's time, a CronJob's job
template `pod template written by MANAGER` with the args/env it now carries, a schedule as `spec.schedule written
by MANAGER`. The survey's timeline covers 6 h; a write older than that is in a longer timeline only. `reach` asks
for the shared 48 h timeline (the same arguments as the other modules' longer reads, so the survey answers it from
one read), only when a module's decision needs a write it has not seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts

HISTORY_WINDOW = "48h"
SPAN = timedelta(hours=48)
Call = Callable[..., Awaitable[Any]]


async def reach(facts: Facts, call: Call, at: str, step: str) -> None:
    """Read the 48 h change timeline into `facts.history` unless a timeline read already reaches that far."""
    if facts.history_reaches(SPAN):
        return
    got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, step)
    if got is not None and got.ok and isinstance(got.data, dict):
        facts.history.append((got.data, got.evidence_id))
