"""agent.triage.facts.shortest_saying and all_said: which of a pod's log entries a check quotes, and since when.

Several links (a connection ceiling refused, a bucket denying a payer, a parameter group's limit hit) ask the same
of a pod's classified errors: the clearest entry that says their words, and when such entries began. A framework's
header line may be an entry's example while its message holds the words, so both wordings are read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import LogEvidence, all_said, shortest_saying

REFUSED = re.compile(r"too many (?:connections|clients)", re.I)


def _log(top: dict[str, Any] | None, *more: dict[str, Any]) -> LogEvidence:
    return LogEvidence(pod="billing-api-7f9c-x2", namespace="billing", evidence_id="E3", top=top, hosts=[],
                       error_classes=set(), previous=False, more=list(more))


def test_the_shortest_matching_entry_is_quoted_and_the_earliest_first_seen_is_kept() -> None:
    long = {"message": "pq: sorry, too many clients already (SQLSTATE 53300) while acquiring a pool connection",
            "first_seen": "2026-11-20T10:04:00Z"}
    short = {"message": "FATAL: too many connections", "first_seen": "2026-11-20T10:09:00Z"}
    other = {"message": "context deadline exceeded", "first_seen": "2026-11-20T09:00:00Z"}
    said, first = shortest_saying(_log(long, short, other), REFUSED)
    assert said == "FATAL: too many connections"
    assert first == datetime(2026, 11, 20, 10, 4, tzinfo=UTC)


def test_words_held_only_by_the_message_behind_a_header_example_are_found() -> None:
    entry = {"example": "2026-11-20 10:04:00.123 ERROR 1 --- [pool-3] c.e.Billing : request failed",
             "message": "SQLException: Too many connections"}
    said, _ = shortest_saying(_log(entry), REFUSED)
    assert "Too many connections" in said and "request failed" in said
    assert all_said({"template": "<*> refused"}) == "<*> refused"


def test_no_entry_saying_the_words_gives_nothing() -> None:
    assert shortest_saying(_log({"message": "connection reset by peer"}), REFUSED) == ("", None)
    assert shortest_saying(_log(None), REFUSED) == ("", None)
