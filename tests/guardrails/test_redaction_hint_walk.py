"""The redaction speed-ups of the code-graph latency work find exactly what the plain way finds.

- Hint positions: `_walk_hints` (one prefix-tree search per occurrence) against `_collect` (one
  `str.find` per hint), on texts with nested and overlapping hints, and on a text so dense in hints
  that the walk gives up and `_collect` answers.
- Format selection: only formats with a found hint (or none at all) run; a text holding one
  format's hint still gets that format's redaction.
- The Telegram bot token pattern, rewritten to start at a digit, and the entropy detector's context
  words, with the bare `key`'s look-behinds moved after its `k`, against their former spellings.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import redaction

HINTS = redaction._hint_index().lowercase_hints


def _plain_positions(text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    redaction._collect(HINTS, text.lower(), found)
    redaction._collect(redaction._hint_index().cased, text, found)
    return found


@pytest.mark.parametrize("text", [
    "password passwd pass secret_key secretkey api_key apikey token tokens",  # nested prefixes
    "xpasswordx|pwd=|PASSWORD=hunter2-not-really|--password ://",  # inside words, upper case
    "| py:secrets:token_hex | secrets.py:48 | 55 |  |",  # a code-graph row with hints
    "no hint at all in this row | a | b |",
])
def test_walk_finds_every_hint_position_collect_finds(text: str) -> None:
    assert redaction._hint_index().positions(text, text.lower()) == _plain_positions(text)


def test_a_text_dense_in_hints_falls_back_and_agrees() -> None:
    """Past `_WALK_STEPS` positions the walk stops and `_collect` answers (lists capped past _DENSE)."""
    text = "token=abc " * (redaction._WALK_STEPS + 10)
    found: dict[str, list[int]] = {}
    trie = redaction._hint_index().lowercase
    assert not redaction._walk_hints(trie, HINTS, text, trie.search(text), found)
    got = redaction._hint_index().positions(text, text.lower())
    assert got == _plain_positions(text)
    assert len(got["token"]) == redaction._DENSE + 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*HINTS[:60], " ", "x", "_", "=", "://", "\n"]), max_size=30).map("".join))
def test_walk_agrees_with_collect_on_hint_soup(text: str) -> None:
    assert redaction._hint_index().positions(text, text.lower()) == _plain_positions(text)


def test_only_formats_with_a_found_hint_run_and_they_still_redact() -> None:
    runs = redaction._formats_to_run(())
    assert all(not redaction.FORMATS[p - 1].hints for p in runs)
    github = next(p for p, f in enumerate(redaction.FORMATS, 1) if "ghp_" in f.hints)
    assert github in redaction._formats_to_run(("ghp_",))
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    assert token not in redaction.redact_text(f"| py:m:f | a.py:1 | {token} |").text


_TELEGRAM_BEFORE = re.compile(r"(?:(?<=/bot)|(?<![A-Za-z0-9_]))\d{8,10}:[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])")
_TELEGRAM = next(f for f in redaction.FORMATS if f.name == "telegram_bot_token").patterns[0]
_SECRET35 = "AAH5kq2Wm9xZr7Lp3Nv8Bc6Dt1Fg4Hj0Ks_"


@pytest.mark.parametrize("text", [
    f"123456789:{_SECRET35}", f"https://api.telegram.org/bot123456789:{_SECRET35}/getMe",
    f"x123456789:{_SECRET35}", f"_123456789:{_SECRET35}", f"a/bot12345678:{_SECRET35}",
    f"12345678901:{_SECRET35}", f"id ١٢٣٤٥٦٧٨٩:{_SECRET35} end", f"9/bot1234567890:{_SECRET35}-",
    "1234567890123456789012345 plain digits", "",
])
def test_telegram_pattern_matches_as_before(text: str) -> None:
    assert [m.span() for m in _TELEGRAM.finditer(text)] == [m.span() for m in _TELEGRAM_BEFORE.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["/bot", "bot", "1234", "56789", "0", ":", _SECRET35, "a", "_", "-", " "]),
                max_size=14).map("".join))
def test_telegram_pattern_matches_as_before_on_fragments(text: str) -> None:
    assert [m.span() for m in _TELEGRAM.finditer(text)] == [m.span() for m in _TELEGRAM_BEFORE.finditer(text)]


_CONTEXT_BEFORE = re.compile(
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\- ]?key|access[_\- ]?key|private[_\- ]?key|"
    r"secret[_\- ]?(?:key|id)|credential|creds?|auth|bearer|signature|license[_\- ]?key|"
    r"(?<![\w\-])(?<!public )(?<!pub )(?<!verification )(?<!verify )(?<!host )key(?=[ \t]*(?:#?\d{1,2}[ \t]*)?[:=]))"
    r"(?![a-z])"
)
"""The entropy detector's context words as first written: a look-behind before the bare `key`, which
kept the engine from skipping to the alternatives' first letters."""


@pytest.mark.parametrize("text", [
    "key: x", "public key: x", "pub key=1", "verify key:", "verification key: v", "host key :", "a-key: v",
    "_key=1", "key #1: v", "unseal key 12 = v", "xkey: v", "monkey: v", "ke", "key", " key:", "é key:", "ékey:",
    "api key: abc", "secret_id=1", "password is hunter2", "| py:secrets:token_hex | secrets.py:48 |",
])
def test_context_words_match_as_before(text: str) -> None:
    assert [m.span() for m in redaction._CONTEXT_WORD.finditer(text)] == \
        [m.span() for m in _CONTEXT_BEFORE.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["key", "public ", "pub ", "host ", "verify ", "verification ", "-", "_", "x", "é",
                                 " ", ":", "=", "#1", "12", "token", "pass", "word", "\t"]), max_size=12).map("".join))
def test_context_words_match_as_before_on_fragments(text: str) -> None:
    assert [m.span() for m in redaction._CONTEXT_WORD.finditer(text)] == \
        [m.span() for m in _CONTEXT_BEFORE.finditer(text)]
