"""Verdicts of the screening computed ahead of a call, under a rule-set fingerprint and a key: the strings
`redact_text` leaves alone, and whole answer texts that redaction and the injection scan both pass.

Why: a first-time code-graph answer paid the guard's full screening (about 0.9 ms of CPU for a
300-character get_callers answer: `redact_text` and `injection.scan` of its text, `redact_text` of each
string of its structured copy), although the index it is computed from holds every string, and every
default answer, before any call is made. The code-graph server screens them once when it indexes
(mcp_servers/codegraph/verdicts.py) and attests the clean ones here; a call then pays a keyed hash.

Why this is exact, not an approximation:
- A verdict is about one exact string, judged by the very functions the guard runs on it:
  `redact_text(s)` returned `s` unchanged with no finding (a leaf), or additionally `injection.scan(t)`
  returned score 0 with no span (an answer text). Both are pure functions of their string and of the
  guard's code and data (fixed tables and weights; no configuration, no environment), so the stored
  verdict is what a fresh screening returns, and the guard takes the same path as on a fresh clean
  result: text unchanged, nothing redacted, injection score 0, no warning, the same audit record.
- Whole answers, not leaves, are attested for the injection scan: the scan is not compositional (its
  classifier pairs concepts across table cells within a 480-character passage, hits within 400 characters
  cluster into one score, decoders such as spaced letters and leetspeak read across cell separators),
  so the screening of an answer is not a function of the screenings of its strings. No such claim is made.
- Leaves are used only by `redaction.redact_data`, after its key-dependent judgements (a value under a
  `password` key, a Kubernetes Secret's data, an env value) which still run on every string.
- Every verdict is an HMAC-SHA256 (cut to 16 bytes) of `fingerprint()` and the string under a key
  derived from the audit key. The fingerprint covers every source and data file of `guardrails/` and the
  Python version, so any rule change invalidates every verdict; the key means a verdict cannot be forged
  by whoever can write the index (a repository shipping its own `.vigil/codegraph.db`, say), only by
  whoever holds the audit key, who can already rewrite the audit chain.
- Nothing secret is held: only digests, and strings in which nothing was found.

Bounded: at most `MAX_LEAVES` strings of at most `MAX_CHARS` characters, and `MAX_ANSWERS` digests
(16 bytes each); past the bounds nothing more is attested and calls take the full screening.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

MAX_LEAVES = 1_000_000
MAX_ANSWERS = 1_000_000
MAX_CHARS = 256
"""Longer strings are not attested as leaves (the leaf memo does not keep them either): rare in an answer."""
MAC_BYTES = 16

_GUARDRAILS = Path(__file__).resolve().parent
_RULE_FILES = ("*.py", "*.json", "*.yaml")
_KEY_DOMAIN = b"vigil-attested-verdicts-v1"

_clean: set[str] = set()
_answers: set[bytes] = set()
_answer_key: list[bytes] = []
"""The key the attested answer digests were made with (empty: none attested)."""
_lock = threading.Lock()


@functools.cache
def fingerprint() -> str:
    """SHA-256 over the Python version and every rule file of the guardrails package (name and bytes).

    Deliberately wider than the screening modules themselves: a change to any guardrail file, or another
    interpreter, invalidates every stored verdict rather than risk one that a changed rule would judge
    differently."""
    h = hashlib.sha256(b"vigil-attested-v1\0" + sys.version.encode() + b"\0")
    for pattern in _RULE_FILES:
        for path in sorted(_GUARDRAILS.rglob(pattern)):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(_GUARDRAILS)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def verdict_key(audit_secret: bytes) -> bytes:
    """The key verdicts are made with, derived from the audit key (never the audit key itself)."""
    return hmac.new(audit_secret, _KEY_DOMAIN, hashlib.sha256).digest()


def mac(key: bytes, kind: bytes, text: str) -> bytes:
    """The stored form of a verdict on `text`: bound to the rule set, the kind of verdict and the key."""
    data = kind + b"\0" + _fingerprint_bytes() + b"\0" + text.encode("utf-8", "surrogatepass")
    return hmac.digest(key, data, "sha256")[:MAC_BYTES]  # one-shot C HMAC: `hmac.new(...).digest()`


@functools.cache
def _fingerprint_bytes() -> bytes:
    return fingerprint().encode()


LEAF = b"leaf"
ANSWER = b"answer"


def leaf_clean(s: str) -> bool:
    """`redact_text(s)` is `s` with no finding (what a leaf verdict says)."""
    from guardrails.redaction import redact_text

    red = redact_text(s)
    return not red.findings and red.text == s


def answer_clean(text: str) -> bool:
    """`redact_text(text)` is `text` with no finding and `injection.scan(text)` found nothing: the guard's
    screening leaves the answer as it is (what an answer verdict says)."""
    from guardrails import injection

    if not leaf_clean(text):
        return False
    report = injection.scan(text)
    return report.score == 0.0 and not report.spans


def attest_leaves(key: bytes, candidates: Iterable[str], stored: set[bytes]) -> int:
    """Attest each of `candidates` whose leaf verdict under `key` is in `stored`; returns how many were added."""
    added = 0
    with _lock:
        for s in candidates:
            if len(_clean) >= MAX_LEAVES:
                break
            if type(s) is str and len(s) <= MAX_CHARS and s not in _clean and mac(key, LEAF, s) in stored:
                _clean.add(s)
                added += 1
    return added


def attest_answers(key: bytes, stored: Iterable[bytes]) -> int:
    """Attest answer verdicts made under `key` (a later key replaces an earlier one's verdicts)."""
    with _lock:
        if _answer_key and _answer_key[0] != key:
            _answers.clear()
        _answer_key[:] = [key]
        before = len(_answers)
        for digest in stored:
            if len(_answers) >= MAX_ANSWERS:
                break
            if type(digest) is bytes and len(digest) == MAC_BYTES:
                _answers.add(digest)
        return len(_answers) - before


def is_clean(text: str) -> bool:
    """`text` was attested as a leaf: `redact_text(text)` is `text` with no finding under this rule set."""
    return text in _clean


def is_clean_answer(text: str) -> bool:
    """`text` was attested as a whole answer: its screening finds nothing under this rule set."""
    if not _answers:
        return False
    key = _answer_key[0] if _answer_key else None
    return key is not None and mac(key, ANSWER, text) in _answers


def count() -> tuple[int, int]:
    """(attested leaves, attested answers)."""
    return len(_clean), len(_answers)


def clear() -> None:
    with _lock:
        _clean.clear()
        _answers.clear()
        _answer_key.clear()


CLEAN = _clean
"""The attested leaves, for `redaction._leaf`'s one membership test per string (read only)."""
