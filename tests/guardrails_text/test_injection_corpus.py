"""Recall and false-positive rate of the injection scanner on the bundled corpora.

The corpora are data (corpus/*.jsonl): hostile samples, most of them indirect (inside log lines,
alert and pod annotations, ConfigMap values, code comments, commit messages, events), some
obfuscated; and benign texts an SRE sees every day. The *_holdout, *_holdout2 and *_holdout3
files were each written after the scanner's patterns had been frozen; their first-contact numbers (before the
general fixes they prompted) are recorded in docs/guardrails-text.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from guardrails.injection import THRESHOLD, scan

from .conftest import load_jsonl

MIN_RECALL = 0.9
MAX_FPR = 0.02


def _rates(hostile: list[dict[str, Any]], benign: list[dict[str, Any]]) -> tuple[float, float, list[str], list[str]]:
    missed = [h["id"] for h in hostile if not scan(h["text"]).suspicious]
    flagged = [b["id"] for b in benign if scan(b["text"]).suspicious]
    return 1 - len(missed) / len(hostile), len(flagged) / len(benign), missed, flagged


def test_corpus_shape(hostile: list[dict[str, Any]], benign: list[dict[str, Any]]) -> None:
    """The corpora are as large and as varied as the issue asks."""
    assert len(hostile) >= 150
    assert len(benign) >= 300
    carriers = Counter(h["carrier"] for h in hostile)
    indirect = sum(n for c, n in carriers.items() if c != "direct")
    assert indirect / len(hostile) > 0.8, carriers
    for carrier in ("log_line", "alert_annotation", "pod_annotation", "configmap", "code_comment", "commit_message"):
        assert carriers[carrier] >= 8, f"too few hostile samples carried in {carrier}: {carriers}"
    techniques = {h["technique"] for h in hostile}
    for t in (
        "zero_width",
        "unicode_tags",
        "base64",
        "hex",
        "homoglyph",
        "special_token",
        "tool_call",
        "markdown_exfil",
    ):
        assert t in techniques
    sources = Counter(b["source"] for b in benign)
    assert len(sources) >= 20, sources
    assert sources["runbook"] >= 40  # prose that says ignore / restart / you should / delete
    assert len({b["text"] for b in benign}) == len(benign), "duplicate benign texts"
    assert len({h["text"] for h in hostile}) == len(hostile), "duplicate hostile texts"


def test_recall_and_false_positive_rate(hostile: list[dict[str, Any]], benign: list[dict[str, Any]]) -> None:
    recall, fpr, missed, flagged = _rates(hostile, benign)
    print(f"\ninjection corpus: recall={recall:.3f} ({len(hostile)} hostile) fpr={fpr:.3f} ({len(benign)} benign)")
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed {missed}"
    assert fpr <= MAX_FPR, f"false-positive rate {fpr:.3f}; flagged {flagged}"


def test_held_out_sets_pooled() -> None:
    """The three held-out sets together; each set's own numbers are printed.

    Pooled because each set is small: one false alarm in the 30-text third set alone is 3.3%.
    The one known false alarm there is test code quoting an injection phrase verbatim.
    """
    hostile: list[dict[str, Any]] = []
    benign: list[dict[str, Any]] = []
    for suffix in ("holdout", "holdout2", "holdout3"):
        h = load_jsonl(f"injection_hostile_{suffix}.jsonl")
        b = load_jsonl(f"injection_benign_{suffix}.jsonl")
        recall, fpr, _, _ = _rates(h, b)
        print(f"\n{suffix}: recall={recall:.3f} ({len(h)}) fpr={fpr:.3f} ({len(b)})")
        hostile += h
        benign += b
    recall, fpr, missed, flagged = _rates(hostile, benign)
    print(f"held-out pooled: recall={recall:.3f} ({len(hostile)}) fpr={fpr:.3f} ({len(benign)})")
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed {missed}"
    assert fpr <= MAX_FPR, f"false-positive rate {fpr:.3f}; flagged {flagged}"


def test_every_hostile_sample_has_a_span_over_the_threshold(hostile: list[dict[str, Any]]) -> None:
    """A verdict must point at the text that earned it, not just carry a number."""
    for h in hostile:
        report = scan(h["text"])
        assert report.spans, h["id"]
        assert max(s.score for s in report.spans) > 0.0
        assert report.score >= THRESHOLD
        for span in report.spans:
            assert 0 <= span.start < span.end <= len(h["text"]), (h["id"], span)
