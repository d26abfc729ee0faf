"""Fencing untrusted text as data (owned by the text-guardrails work; contract only).

CONTRACT:
    quarantine(text: str, source: str) -> str
"""

from __future__ import annotations


def quarantine(text: str, source: str) -> str:
    raise NotImplementedError("implemented by the text-guardrails work")
