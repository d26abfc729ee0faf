"""Ordinary SRE text goes through redaction unchanged.

Commit SHAs, pod names, UUIDs, trace ids, image digests, base64 ConfigMap values, secret
*references*, auth failures in logs and prose about credentials must not be mistaken for secrets:
a redactor that cries wolf destroys the evidence an investigation needs.
"""

from __future__ import annotations

from typing import Any

from guardrails.redaction import redact_text


def test_benign_secret_corpus_is_untouched(benign_secrets: list[dict[str, Any]]) -> None:
    assert len(benign_secrets) >= 50
    changed = {}
    for sample in benign_secrets:
        out = redact_text(sample["text"])
        if out.text != sample["text"]:
            changed[sample["id"]] = [(f.kind, sample["text"][f.start : f.end]) for f in out.findings]
    assert not changed, changed


def test_injection_benign_corpus_is_untouched_too(benign: list[dict[str, Any]]) -> None:
    """The 300+ realistic texts of the injection corpus double as a false-positive check here."""
    changed = [b["id"] for b in benign if redact_text(b["text"]).findings]
    assert not changed, changed
