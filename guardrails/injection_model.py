"""The injection scanner's second signal: a small linear classifier shipped as data.

The pattern scanner (injection.py) knows phrasings; this model weighs concepts in a dozen
languages and the structure of a text (see injection_features.py), so a translated, rephrased or
wrapped instruction still scores. It is model-free in the sense that matters here: no download, no
GPU, no external service; a dot product over a few hundred features per passage, with weights
trained offline by guardrails/training/train_injection.py and committed as
guardrails/injection_weights.json.

A passage scores only if something in it aims it at a model (`_AIMED`: an AI word, a structural
mark, or a pair of concept classes such as cancel + standing instructions): the same principle as
the pattern scanner's weak signals. A long text is cut into passages (lines grouped to about `PASSAGE`
characters) so that one hostile line in a 2,000-token log is judged on its own words, not diluted
by the rest; a passage with fewer than two concepts and no structural mark is not scored at all,
which keeps ordinary logs cheap.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from guardrails.injection_features import Passage, concepts_in

WEIGHTS = Path(__file__).with_name("injection_weights.json")
PASSAGE = 480
"""Characters per passage at most (a passage is whole lines, or a slice of one very long line)."""
_MARK = re.compile(r"(?i)<!--|/\*|#{2,}|\[[a-z ]{3,30}\]|<\|?[a-z_/]{3,12}\|?>|%[0-9a-f]{2}|\bend\s+of\b|[-=]{3,}")


@dataclass(frozen=True)
class ClassifierVerdict:
    """The most hostile passage of a text, as the classifier sees it."""

    probability: float
    """0..1: the classifier's probability that the passage is an injection."""
    start: int
    end: int
    threshold: float
    """The probability from which the classifier calls a passage hostile (chosen when training)."""

    @property
    def hostile(self) -> bool:
        return self.probability >= self.threshold


@dataclass(frozen=True)
class _Model:
    bias: float
    threshold: float
    weights: dict[str, float]


@lru_cache(maxsize=1)
def _model() -> _Model:
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return _Model(bias=float(data["bias"]), threshold=float(data["threshold"]), weights=dict(data["weights"]))


_AIM_PAIRS = (
    # cancelling what the reader was told
    ("ignore", "instructions"), ("ignore", "previous"), ("skip", "instructions"),
    # someone with power over the reader hands it an action
    ("authority", "tool_action"), ("authority", "approve"), ("authority", "command"), ("authority", "skip"),
    ("authority", "exfil"),
    # a secret placed in the reader's answer or sent away
    ("reveal", "secret"), ("exfil", "secret"), ("reader_output", "secret"),
    # an agent action handed over with urgency, or addressed to the reader
    ("tool_action", "urgent"), ("tool_action", "you"), ("approve", "tool_action"),
)
_AIMED = (
    "c:ai", "s:role_marker", "s:identity", "s:delimiter_then_instruction", "s:comment_to_ai",
    "s:decoded_instruction",
    *(f"p:{min(a, b)}&{max(a, b)}" for a, b in _AIM_PAIRS),
)
"""Marks that a passage is aimed at a model: an AI word or a structural mark, or two concept classes
that together make an instruction to the reader (a cancel verb beside standing instructions, an
authority beside an agent action, a disclosure beside a secret). The classes are the lexicon's
(injection_features.CONCEPTS: synonyms, phrasal verbs and a dozen languages), not a list of literal
words, so a paraphrase in words the patterns lack still reaches the weights. Like the pattern
scanner's weak signals, a runbook that says "pre-approved, skip the review" is not scored without one."""


def probability(text: str) -> float:
    """The classifier's probability for one passage, scored whole; 0 when nothing aims it at a model."""
    return _probability(Passage(text))


def _probability(passage: Passage) -> float:
    # The aim check needs only concepts and a few structural patterns (Passage.has): a passage
    # nothing aims at a model is answered 0 before its words are hashed, the same answer as
    # checking the full feature set.
    if not any(passage.has(mark) for mark in _AIMED):
        return 0.0
    model = _model()
    found = passage.features()
    z = model.bias + sum(model.weights.get(name, 0.0) * value for name, value in found.items())
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def _passages(text: str) -> list[tuple[int, int]]:
    """Whole lines grouped up to PASSAGE characters; a longer line is cut with some overlap."""
    out: list[tuple[int, int]] = []
    start = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        end = pos + len(line)
        if len(line) > PASSAGE:
            if pos > start:
                out.append((start, pos))
            step = PASSAGE * 3 // 4
            out.extend((i, min(end, i + PASSAGE)) for i in range(pos, end, step))
            start = end
        elif end - start > PASSAGE:
            out.append((start, pos))
            start = pos
        pos = end
    if pos > start:
        out.append((start, pos))
    return out


def classify(text: str) -> ClassifierVerdict:
    """Score each passage of `text`; the verdict names the highest one."""
    model = _model()
    best = ClassifierVerdict(0.0, 0, 0, model.threshold)
    for start, end in _passages(text):
        passage = text[start:end]
        lowered = passage.lower()
        concepts = concepts_in(lowered)
        if len(concepts) < 2 and not _MARK.search(passage):
            continue
        p = _probability(Passage(passage, (lowered, concepts)))  # the concepts are not looked up twice
        if p > best.probability:
            best = ClassifierVerdict(p, start, end, model.threshold)
    return best


__all__ = ["ClassifierVerdict", "classify", "probability"]
