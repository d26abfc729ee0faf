"""A bounded, process-wide memo of a pure function of one short string.

Why: `redaction.redact_data` screens every string of a structured tool answer, and those strings
recur from call to call: the code graph's file paths, symbol keys and entry-point labels (a caller
in one answer is the symbol or a caller in the next: an impact radius repeats most of the callers
answer before it), Kubernetes namespaces, kinds and label values. Each costs a full `redact_text`
pass (about 12 us for a 40-character path, every detector run), so most of the structured copy's
redaction was the same work done again. The function must be pure (its answer depends on the
string alone; `redact_text` is, its formats are a fixed table), so a remembered answer is the answer.

Bounded in both directions: only strings up to `max_chars` are kept (long text rarely repeats and
would cost memory), and at most `max_entries` of them, the oldest dropped first. `keep` decides which
answers are remembered at all: redaction keeps only strings in which nothing was found, so the memo
never holds a credential longer than the call that carried it. Nothing is written anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PureMemo(Generic[T]):
    """`memo(text)` is `fn(text)`, remembered for short strings (first in, first out past `max_entries`)."""

    def __init__(self, fn: Callable[[str], T], *, max_entries: int = 8192, max_chars: int = 256,
                 keep: Callable[[T], bool] | None = None) -> None:
        if max_entries < 1 or max_chars < 0:
            raise ValueError("max_entries must be at least 1 and max_chars not negative")
        self.fn = fn
        self.keep = keep
        """Remember an answer only when this says so (None: every answer of a short enough string)."""
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._answers: dict[str, T] = {}
        self._lock = threading.Lock()
        """Held to add and drop entries (a read is one dict lookup, atomic without it)."""
        self.hits = 0
        self.misses = 0
        """Counted without the lock (approximate under threads): for benchmarks and tests."""

    def __call__(self, text: str) -> T:
        found = self._answers.get(text)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        answer = self.fn(text)
        if len(text) <= self.max_chars and (self.keep is None or self.keep(answer)):
            with self._lock:
                while len(self._answers) >= self.max_entries:
                    del self._answers[next(iter(self._answers))]  # dicts keep insertion order: the oldest
                self._answers[text] = answer
        return answer

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
        self.hits = self.misses = 0
