"""The recent writes in which a module's reader finds what it suspects: one per object, the first listed.

A module that suspects a write by what the write SET (ephemeral_growth: a growth setting raised; state_dropped: a
stream job's state dropped) reads every recent write with its own reader and keeps, per object, the first write in
which the reader finds something. Its `read` and its `found` both start from that list, so it is one function over
the facts rather than a copy in each module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any, TypeVar

from agent.triage.facts import Facts, Ref

T = TypeVar("T")


def first_matching(facts: Facts, kinds: Collection[str] | None, lead: timedelta,
                   reader: Callable[[dict[str, Any]], list[T]]) -> list[tuple[dict[str, Any], str, Ref, list[T]]]:
    """(change, evidence id, target, what `reader` found in it) for the writes to `kinds` (None: any kind) made
    within `lead` before the incident, deletions left out, in `Facts.writes_to`'s order: only writes in which the
    reader finds something, and of those only the first per object (a later write of the same object is skipped)."""
    out: list[tuple[dict[str, Any], str, Ref, list[T]]] = []
    for change, evidence, target in facts.writes_to(kinds, within=lead, deletions=False):
        found = reader(change)
        if found and not any(t.same_object(target) for _, _, t, _ in out):
            out.append((change, evidence, target, found))
    return out
