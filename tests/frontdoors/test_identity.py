"""Identity strings of the approval rules (agent/server/identity.py), found by hostile catalogue 3:
`alice\\u0000bob` and `alice\\u200b` were recorded as approvers, and the zero-width spelling of the
requester passed the self-approval rule as another person."""

from __future__ import annotations

import pytest

from agent.server.identity import MAX_IDENTITY_CHARS, IdentityError, clean_identity, identity_key, same_identity


@pytest.mark.parametrize(("raw", "why"), [
    ("alice\u0000bob", "control character"),
    ("alice\u200b", "invisible format character"),
    ("\u202eecila", "invisible format character"),
    ("ali\u00adce", "invisible format character"),
    ("alice\ufeff", "invisible format character"),
    ("alice\ue000", "private-use character"),
    ("alice\U000e0041", "invisible format character"),
    ("alice\u0378", "unassigned code point"),
    ("alice\ud800", "lone surrogate"),
    ("alice bob", "space"),
    ("alice\u3000", "space"),
    ("alice\u2028", "line separator"),
    ("alice\t", "control character"),
    ("", "empty"),
    ("a" * (MAX_IDENTITY_CHARS + 1), "at most"),
])
def test_a_name_that_prints_as_another_or_as_nothing_is_refused(raw: str, why: str) -> None:
    with pytest.raises(IdentityError, match=why):
        clean_identity(raw)


@pytest.mark.parametrize(("raw", "recorded"), [
    ("alice", "alice"), ("slack:U024BE7LH", "slack:U024BE7LH"), ("mcp:claude", "mcp:claude"),
    ("josé@example.com", "josé@example.com"), ("\uff41\uff4c\uff49\uff43\uff45", "alice"), ("ﬁona", "fiona"),
    ("a" * MAX_IDENTITY_CHARS, "a" * MAX_IDENTITY_CHARS),
])
def test_a_real_name_is_recorded_in_its_nfkc_form(raw: str, recorded: str) -> None:
    assert clean_identity(raw) == recorded


@pytest.mark.parametrize("spelling", ["ALICE", "\uff41\uff4c\uff49\uff43\uff45", "al\u0131ce", "\u0430lice",
                                      "alic\u0435", "ali\u0107e", "alice\u200b", "\u1d00lice"])
def test_look_alike_spellings_are_one_person(spelling: str) -> None:
    """Dotless i, Cyrillic а and е, an accent, a zero-width space, a small capital: one person to the
    self-approval rule, whichever side (requester or approver) holds the odd spelling."""
    assert same_identity(spelling, "alice") and same_identity("alice", spelling)


@pytest.mark.parametrize(("a", "b"), [("alice", "bob"), ("alice", "alice2"), ("alice", "alicia"),
                                      ("slack:UALICE", "slack:UBOB")])
def test_different_people_stay_different(a: str, b: str) -> None:
    assert identity_key(a) != identity_key(b)
