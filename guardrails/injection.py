"""Prompt-injection scanner for untrusted text (owned by the text-guardrails work; contract only).

CONTRACT (do not change the signatures without updating guardrails/pipeline.py):
    scan(text: str) -> InjectionReport
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InjectionSpan:
    """One suspicious stretch of text."""

    start: int
    end: int
    kind: str
    """e.g. instruction, role_marker, tool_call_syntax, hidden_unicode, encoded_payload"""
    score: float
    """0..1, how sure the scanner is that this span is aimed at the assistant."""
    excerpt: str


@dataclass(frozen=True)
class InjectionReport:
    score: float
    """The overall score, 0..1."""
    spans: list[InjectionSpan] = field(default_factory=list)

    @property
    def suspicious(self) -> bool:
        return self.score >= THRESHOLD


THRESHOLD = 0.5


def scan(text: str) -> InjectionReport:
    raise NotImplementedError("implemented by the text-guardrails work")
