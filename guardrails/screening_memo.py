"""The screening of a tool answer seen before, answered from memory: its injection scan (a bounded
LRU) and its redaction when nothing was found in it.

Why: `injection.scan` is the guard's costliest stage on a code-graph answer (0.25-0.35 ms for a
few hundred characters: every detector, the decoders and the classifier), and an agent asks the
same question more than once (the callers of a symbol, then again after reading its impact); the
answer text is then the same string, and so is its screening. `scan` is a pure function of the
text (fixed patterns and a fixed model), so a remembered report is the report.

Bounded both ways: texts up to `max_chars` are remembered, at most `max_entries` of them, the least
recently used dropped first (4 MiB of text at most with the defaults). What is remembered is the
screened text, which the screening layer redacts before it scans, so no credential is held here.
Each caller gets its own copy of the report (the span list is a list), never the remembered one.

The answer's redaction is remembered the same way (`TEXTS`, guardrails/pure_memo.py), but only
for texts in which nothing was found, as the leaf memo of structured data does: a credential is
never held past the call that carried it.
"""

from __future__ import annotations

from collections.abc import Callable

from guardrails import injection, redaction
from guardrails.decision_memo import BoundedLRU
from guardrails.pure_memo import PureMemo


class ScanMemo:
    """`memo(text)` equals `injection.scan(text)`; texts up to `max_chars` are remembered."""

    def __init__(self, *, max_entries: int = 512, max_chars: int = 8192,
                 scan: Callable[[str], injection.InjectionReport] | None = None) -> None:
        if max_chars < 0:
            raise ValueError("max_chars must not be negative")
        self.max_chars = max_chars
        self.reports: BoundedLRU[injection.InjectionReport] = BoundedLRU(max_entries)
        self._scan = scan

    def __call__(self, text: str) -> injection.InjectionReport:
        scan = self._scan or injection.scan  # looked up per call: a test may stand in for the scanner
        if len(text) > self.max_chars:
            return scan(text)
        known = self.reports.get(text)
        if known is None:
            known = scan(text)
            self.reports.put(text, known)
        return injection.InjectionReport(score=known.score, spans=list(known.spans))

    def __len__(self) -> int:
        return len(self.reports)

    def clear(self) -> None:
        self.reports.clear()


SCANS = ScanMemo()
"""The process's memo, used by the screening layer (guardrails/layers/records.py)."""


TEXTS: PureMemo[redaction.Redacted] = PureMemo(lambda text: redaction.redact_text(text), max_entries=512,
                                               max_chars=8192, keep=lambda red: not red.findings)
"""`redaction.redact_text` of whole answers, remembered only when nothing was found (first in, first out)."""
