"""The sentence rule (guardrails/secret_prose.py) reads its nouns, and the simple statement rules their gate
words, from redaction.py's hint scan, and find exactly what their own scans find.

Why: the rule used to run one alternation of its credential nouns over every text; redaction.py already runs
one prefix-tree scan of the lowered text for the formats' hints, so the nouns joined that scan and the rule
rebuilds its noun list from the positions it reports (`occurrences_from`). The rebuilt list must equal the
own scan's list (same nouns, same positions, the same leftmost-longest non-overlapping choice) on every text:
the corpora, texts Hypothesis builds from the nouns (overlapping, nested, glued, in any case and script),
and a text so dense in one noun that the hint scan stops counting and the rule falls back to its own scan.
The simple rules' gates (secret_statements.GATE_WORDS) ride the same scan: only whether a word occurs counts.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import redaction, secret_prose, secret_statements
from guardrails.secret_statements import statement_spans

CORPUS = Path(__file__).parents[1] / "guardrails_text" / "corpus"
COMPLETE = redaction._DENSE + 1


def _lowered(text: str) -> str:
    lowered = text.lower()
    if len(lowered) != len(text):  # as redaction._candidates does: keep positions exact
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered


def _shared(text: str) -> list[tuple[str, int]] | None:
    lowered = _lowered(text)
    found = redaction._hint_index().positions(text, lowered)
    return secret_prose.occurrences_from(text, found, COMPLETE)


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("secrets*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def test_every_noun_and_gate_word_is_a_lowercase_hint_of_the_shared_scan() -> None:
    """The superset property the reuse rests on: the scan looks for every noun and every letter-led gate word
    of the simple rules, in the lowered text; the other gates are still tested one by one."""
    index = redaction._hint_index()
    assert set(index.lowercase_hints) >= secret_prose.NOUNS | secret_statements.GATE_WORDS
    assert all(word == word.lower() for word in secret_prose.NOUNS | secret_statements.GATE_WORDS)
    assert set(secret_statements._SIMPLE_GATES) == secret_statements.GATE_WORDS | set(
        secret_statements._PUNCTUATION_GATES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*secret_statements._SIMPLE_GATES, " ", "x", "\n", "PASS", "User ", "@", "]",
                                 "password", "Tq8#mZ4!wL", "admin", "01"]), min_size=1, max_size=12))
def test_the_simple_rules_gates_read_from_the_shared_scan_are_the_own_ones(pieces: list[str]) -> None:
    text = "".join(pieces)
    lowered = _lowered(text)
    found = redaction._hint_index().positions(text, lowered)
    assert secret_statements._simple_spans(text, lowered, redaction._is_placeholder, found) == \
        secret_statements._simple_spans(text, lowered, redaction._is_placeholder)


def test_the_shared_scan_gives_the_own_scans_nouns_on_the_corpora() -> None:
    texts = _corpus_texts()
    with_nouns = 0
    for text in texts:
        own = secret_prose._occurrences(text, _lowered(text))
        assert _shared(text) == own, text
        with_nouns += bool(own)
    assert with_nouns > 100  # the corpora do exercise the rule


def test_statement_spans_are_the_same_with_and_without_the_shared_positions() -> None:
    for text in _corpus_texts():
        lowered = _lowered(text)
        found = redaction._hint_index().positions(text, lowered)
        own = statement_spans(text, lowered, redaction._is_placeholder)
        assert statement_spans(text, lowered, redaction._is_placeholder, found, COMPLETE) == own, text


_PIECES = st.sampled_from([
    *sorted(secret_prose.NOUNS), " ", "\t", ":", "=", "：", " — ", "\n", "s", "x", "de", "api", "pass", "word",
    "key", "comunidade", "Xk9#vR2!pQ7z", "hunter2hunter2", "${DB_PASS}", "パスワード", "é", "İ", "ß",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, _PIECES.map(str.upper), _PIECES.map(str.title)), min_size=1, max_size=14))
def test_the_shared_scan_gives_the_own_scans_nouns_on_built_texts(pieces: list[str]) -> None:
    """Nouns that overlap (`comunidad`/`comunidade`), nest, glue to other words, in any case and script."""
    text = "".join(pieces)
    own = secret_prose._occurrences(text, _lowered(text))
    assert _shared(text) == own
    assert secret_prose.prose_spans(text, _lowered(text), redaction._is_placeholder, own) == \
        secret_prose.prose_spans(text, _lowered(text), redaction._is_placeholder)


def test_a_text_dense_in_one_noun_falls_back_to_the_own_scan() -> None:
    """Past `_DENSE` occurrences the hint scan stops counting a word: the rule must not trust the list."""
    text = "password reset; " * (COMPLETE + 5) + "mot de passe Xk9#vR2!pQ7z,"
    found = redaction._hint_index().positions(text, _lowered(text))
    assert len(found["password"]) >= COMPLETE
    assert secret_prose.occurrences_from(text, found, COMPLETE) is None
    red = redaction.redact_text(text)
    assert "Xk9#vR2!pQ7z" not in red.text


def test_a_noun_found_only_by_the_shared_scan_is_still_redacted() -> None:
    """The rule really reads the shared positions: a sentence credential in a text whose only hint is its
    noun is redacted through `redact_text`, and a look-alike word value is kept."""
    assert "Tq8#mZ4!wL" not in redaction.redact_text("le mot de passe Tq8#mZ4!wL — à changer").text
    assert "oublié" in redaction.redact_text("mot de passe oublié").text


def test_prefix_tables_answer_what_the_plain_filter_does() -> None:
    """`_prefix_hints` (remembered per hint tuple by identity since the tuple grew past 400 words) gives every
    hint's prefixes that are hints, shortest first, for the index's tuple and for another tuple alike."""
    hints = redaction._hint_index().lowercase_hints
    other = ("pass", "password", "passwd", "word")
    for tup in (hints, other):
        for longest in tup:
            want = tuple(sorted((h for h in tup if longest.startswith(h)), key=len))
            assert redaction._prefix_hints(tup, longest) == want
            assert redaction._prefix_hints(tup, longest) == want  # the remembered answer too
    assert redaction._prefix_hints(other, "password") == ("pass", "password")
