"""Strings attested clean by the redactor under the current rule set, so that redacting them again is a lookup.

Why: the structured copy of a code-graph answer (and the arguments of its decision record) is made of
strings that come from the index: symbol keys, file paths, names. `redaction.redact_data` runs
`redact_text` on each (12-40 us for a 40-character path: every detector), and the process-wide memo
(`redaction._LEAVES`) only helps with strings this process met before: a first-time answer paid for
every one of its keys again. The index holds every such string, so the indexer screens each once
(guardrails/attested.py `clean_of`, called by mcp_servers/codegraph/verdicts.py) and stores the clean
ones with the rule set's fingerprint; a server loading the index attests them here, and `_walk`
returns an attested string as it is.

Why this is exact: `redact_text` is a pure function of its string and of the code and data of the
redactor (a fixed table of formats; no configuration, no environment). A string is attested only when
`redact_text(s)` returned `s` unchanged with no finding, and only together with the `fingerprint()`
of that code and data: a SHA-256 over every source and data file of `guardrails/` and the Python
version (the regex engine). A server whose fingerprint differs (any change to any guardrail file,
another Python) attests nothing from that index and redacts every string afresh until the index is
screened again. Key-dependent judgements (`password: <value>`, Kubernetes Secret objects, env
values) are made by `_walk` before it looks at a leaf, exactly as before; only the leaf's own
`redact_text` is skipped.

Trust: a verdict is as trustworthy as the index file, which the server already trusts for every
answer it gives. Only redaction reads it (injection screening of the answer text is unchanged), so
forging a verdict needs write access to the index and only lets a string the writer put there
through unredacted. Nothing here holds a secret: only strings in which nothing was found are kept.

Bounded: at most `MAX_ATTESTED` strings of at most `MAX_CHARS` characters (about 100 MB at the very
worst; a 17,000-symbol index attests some 27,000 strings, 2-3 MB). Past the bound, strings are simply
not attested and take the memo's path.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

MAX_ATTESTED = 1_000_000
MAX_CHARS = 256
"""Longer strings are not attested (the leaf memo does not keep them either): rare in an answer."""

_GUARDRAILS = Path(__file__).resolve().parent
_RULE_FILES = ("*.py", "*.json", "*.yaml")

_clean: set[str] = set()
_lock = threading.Lock()


@functools.cache
def fingerprint() -> str:
    """SHA-256 over the Python version and every rule file of the guardrails package (name and bytes).

    Deliberately wider than the redactor's own modules: a change to any guardrail file, or another
    interpreter, invalidates every stored verdict rather than risk one that a changed rule would
    judge differently."""
    h = hashlib.sha256(b"vigil-attested-v1\0" + sys.version.encode() + b"\0")
    for pattern in _RULE_FILES:
        for path in sorted(_GUARDRAILS.rglob(pattern)):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(_GUARDRAILS)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def clean_of(strings: Iterable[str]) -> list[str]:
    """The distinct strings of `strings` that `redact_text` leaves unchanged with no finding (and
    that are short enough to attest): what an indexer stores with `fingerprint()`."""
    from guardrails.redaction import redact_text

    out = []
    for s in dict.fromkeys(strings):
        if type(s) is not str or len(s) > MAX_CHARS:
            continue
        red = redact_text(s)
        if not red.findings and red.text == s:
            out.append(s)
    return out


def attest(stored_fingerprint: str, strings: Iterable[str]) -> int:
    """Attest `strings` as clean when `stored_fingerprint` is this process's `fingerprint()`;
    returns how many were added (0 for another fingerprint, or past `MAX_ATTESTED`)."""
    if stored_fingerprint != fingerprint():
        return 0
    added = 0
    with _lock:
        for s in strings:
            if len(_clean) >= MAX_ATTESTED:
                break
            if type(s) is str and len(s) <= MAX_CHARS and s not in _clean:
                _clean.add(s)
                added += 1
    return added


def is_clean(text: str) -> bool:
    """`text` was attested: `redact_text(text)` is `text` with no finding under this rule set."""
    return text in _clean


def count() -> int:
    return len(_clean)


def clear() -> None:
    with _lock:
        _clean.clear()


CLEAN = _clean
"""The attested set itself, for `redaction._leaf`'s one membership test per string (read only)."""
