"""The redaction hint pre-check (one prefix-tree scan that proves no format's hint occurs) never
skips a secret the full pass finds.

The full pass is the reference written out here the plain way: every hint of every format looked
up with `str.find` at every occurrence. Both run over the secret corpora the redaction tests use
(tests/guardrails_text/corpus/secrets*.jsonl), over code-graph answers, and over texts Hypothesis
builds from hints in any case, corpus secrets and noise; the redacted text and the findings must be
identical, not merely the count.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import redaction

CORPUS = Path(__file__).parents[1] / "guardrails_text" / "corpus"
CORPUS_FILES = ("secrets.jsonl", "secrets_benign.jsonl", "secrets_unseen.jsonl", "secrets_unseen_benign.jsonl")
HINTS = sorted({hint for fmt in redaction.FORMATS for hint in fmt.hints} | redaction.PROSE_NOUNS
               | redaction.STATEMENT_GATE_WORDS)


def _corpus_texts() -> list[str]:
    texts = []
    for name in CORPUS_FILES:
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


CORPUS_TEXTS = _corpus_texts()


class _EveryHint:
    """The reference: every occurrence of every hint, found one hint at a time, no early exit."""

    def positions(self, text: str, lowered: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for hint in HINTS:
            hay = text if hint != hint.lower() else lowered
            i = hay.find(hint)
            while i >= 0:
                found.setdefault(hint, []).append(i)
                i = hay.find(hint, i + 1)
        return found


def _full_pass(text: str, monkeypatch: pytest.MonkeyPatch) -> redaction.Redacted:
    with monkeypatch.context() as m:
        m.setattr(redaction, "_hint_index", _EveryHint)
        return redaction.redact_text(text)


def _codegraph_like() -> Iterator[str]:
    """What get_callers / get_impact_radius answer: markdown tables of symbols, paths and lines."""
    yield ("3 callers of py:json.decoder:JSONDecoder.raw_decode (json/decoder.py:343):\n"
           "| caller | defined at | call lines | entry point |\n|---|---|---|---|\n"
           "| py:json.decoder:JSONDecoder.decode | json/decoder.py:332 | 337 |  |\n"
           "| py:secrets:token_hex | secrets.py:48 | 55 |  |\n"
           "| py:http.cookies:BaseCookie.load | http/cookies.py:525 | 531 | main entry |\n")
    yield ("impact of py:ssl:SSLContext.load_cert_chain (ssl.py:0): 2 transitive callers within depth 3\n"
           "| 1 | py:urllib.request:HTTPSHandler.__init__ | urllib/request.py:1370 |  |\n"
           "| 2 | py:test.test_ssl:ThreadedTests.test_password_callback | test/test_ssl.py:1102 |  |\n")


@pytest.mark.parametrize("text", CORPUS_TEXTS + list(_codegraph_like()))
def test_corpus_and_codegraph_answers_redact_exactly_as_the_full_pass(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert redaction.redact_text(text) == _full_pass(text, monkeypatch)


def test_hint_positions_match_the_reference_on_the_corpus() -> None:
    """Positions, not just the verdict: a missed occurrence would shrink a window silently."""
    index = redaction._hint_index()
    reference = _EveryHint()
    for text in CORPUS_TEXTS:
        lowered = text.lower()
        got = index.positions(text, lowered)
        want = reference.positions(text, lowered)
        assert got.keys() == want.keys(), text
        for hint, where in want.items():
            # The index stops a hint's list past _DENSE occurrences (the format scans everything then).
            assert got[hint] == where[: redaction._DENSE + 1], (hint, text)


def test_the_precheck_is_what_makes_benign_text_cheap() -> None:
    """A code-graph answer holds no hint, so the index reports none and no hinted format runs;
    a text holding one hint reports exactly it (the pre-check is not a constant)."""
    index = redaction._hint_index()
    plain = ("1 callers of py:trace:_find_strings (trace.py:351):\n| caller | defined at | call lines | entry point |\n"
             "|---|---|---|---|\n| py:trace:_find_executable_linenos | trace.py:374 | 385 |  |\n")
    assert index.positions(plain, plain.lower()) == {}
    assert index.positions("x ghp_ y", "x ghp_ y") == {"ghp_": [2]}
    assert index.positions("SK0123", "sk0123") == {"SK": [0]}


@pytest.mark.parametrize("hint", HINTS)
def test_every_hint_alone_passes_the_precheck(hint: str) -> None:
    """The pre-check gates everything: a hint it misses in a text holding no other hint would turn
    off every format that needs it. Each hint alone, at the start, inside and at the end of text."""
    index = redaction._hint_index()
    for text in (hint, f"| py:m:f | a.py:1 | {hint}", f"{hint} |"):
        lowered = text.lower()
        assert hint in index.positions(text, lowered), text
        assert index.positions(text, lowered) == _EveryHint().positions(text, lowered)


_FRAGMENTS: list[Any] = [
    st.sampled_from(HINTS),
    st.sampled_from(HINTS).map(str.upper),
    st.sampled_from(HINTS).map(str.title),
    st.sampled_from(CORPUS_TEXTS),
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]), max_size=40),
    st.sampled_from(["=", ": ", "\n", " ", '"', "://", "-----BEGIN ", "İ", "ß"]),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.one_of(*_FRAGMENTS), max_size=12).map("".join))
def test_mixed_texts_redact_exactly_as_the_full_pass(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert redaction.redact_text(text) == _full_pass(text, monkeypatch)
