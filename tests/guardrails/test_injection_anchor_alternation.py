"""The anchor regex written as literal-first groups (`_word_start_alternation`) finds exactly what the
plain form `(?<![a-z0-9])(?:longest|...|shortest)` finds: same spans, same anchor text, on the
injection corpora, on code-graph answers and on generated texts, for the strong and weak indexes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import injection

CORPUS = Path(__file__).parents[1] / "guardrails_text" / "corpus"
INDEXES = {"strong": injection._STRONG_ANCHORS, "weak": injection._WEAK_ANCHORS}
_DETECTORS = {
    "strong": [d for d in injection._DETECTORS if d.weight >= injection.STRONG and d.hints],
    "weak": [d for d in injection._DETECTORS if d.weight < injection.STRONG and d.hints],
}


def _words(name: str) -> list[str]:
    """The anchor words of an index's detectors, as `_build_anchor_index` collects them."""
    return sorted({w for det in _DETECTORS[name] for w in injection._anchor_words(det)[0]}, key=len, reverse=True)


def _plain(words: list[str]) -> re.Pattern[str]:
    return re.compile("(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in words) + ")")


def _texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("injection*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"].lower())
    texts.append("| py:test.test_types:coroutinetests.test_duck_coro | test/test_types.py:1884 | call lines |")
    return texts


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_the_grouped_alternation_matches_the_plain_one(name: str) -> None:
    index = INDEXES[name]
    plain = _plain(_words(name))
    texts = _texts()
    assert len(texts) > 50
    for text in texts:
        assert [(m.span(), m.group()) for m in index.words.finditer(text)] == \
            [(m.span(), m.group()) for m in plain.finditer(text)], text[:120]


_STRONG_WORDS = _words("strong")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*_STRONG_WORDS[:40], *_STRONG_WORDS[-20:], " ", "x", "1", "_", "-", "é", "\n"]),
                max_size=12).map("".join))
def test_the_grouped_alternation_matches_on_anchor_soup(text: str) -> None:
    plain = _plain(_STRONG_WORDS)
    assert [(m.span(), m.group()) for m in injection._STRONG_ANCHORS.words.finditer(text)] == \
        [(m.span(), m.group()) for m in plain.finditer(text)]
