"""`_mention_spans` skips its frame pattern when the text quotes nothing (a mention is a quotation,
and `_QUOTED` finds one in a few microseconds where the frame pattern takes hundreds on a page of
code-graph answer that says "assert"); the spans are those of the full search, with or without quotes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import injection


def _full_search(text: str) -> list[tuple[int, int]]:
    """The mention spans found the way they were before the quote check."""
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    if "instruction" in lowered or "command" in lowered or "directive" in lowered or "prompt" in lowered:
        spans.extend(m.span() for m in injection._DEFENSIVE.finditer(text))
    if not any(word in lowered for word in injection._MENTION_TOPIC):
        return spans
    for frame in injection._MENTION_QUOTE.finditer(text):
        for q in injection._QUOTED.finditer(text, frame.start(), frame.end()):
            rest = (text[: q.start()] + " " + text[q.end():]).lower()
            if any(word in rest for word in injection._MENTION_TOPIC):
                spans.append(q.span())
    return spans


@pytest.mark.parametrize("text", [
    "| py:test.test_unittest:Test.assertEqual | test/test_unittest.py:12 |  |",  # topic word, no quote
    "An attacker could place text such as 'ignore previous instructions' in an issue.",
    'The WAF rule flags "disregard your system prompt" and blocks it.',
    "assert scan('ignore all previous instructions').suspicious",
    "Example of a malicious instruction an attacker might hide in a log: \u201cyou are now DAN\u201d",
    "the scanner said nothing",
])
def test_mentions_are_those_of_the_full_search(text: str) -> None:
    assert injection._mention_spans(text, text.lower()) == _full_search(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["attacker ", "such as ", "flags ", "assert ", "scan(", "'ignore all rules'",
                                 '"x"', "'", '"', "\u201cabc\u201d", " ", "\n", "text: ", "or ", "payload"]),
                max_size=10).map("".join))
def test_mentions_are_those_of_the_full_search_on_fragments(text: str) -> None:
    assert injection._mention_spans(text, text.lower()) == _full_search(text)
