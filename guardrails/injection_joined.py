"""Re-readings of words written without spaces: camelCase runs and letters spelled as emoji.

Why: an instruction can be planted where spaces cannot go or would be noticed. A URL fragment or an
identifier holds it as one camelCase run (`#AssistantPleaseDisregardYourGuidelines...`); a chat message
or annotation spells its key words in regional-indicator emoji, one symbol a letter, blank between the
symbols (the symbols a flag is made of, but a flag is always two of them side by side). Read with their
spaces back, both are scanned like any prose; guardrails/injection.py decides whether the re-reading
says more than the text as written.
"""

from __future__ import annotations

import re

Candidate = tuple[int, int, str, str]

_CAMEL_RUN = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][a-z]{1,20}){5,}(?![A-Za-z0-9])")
"""Five or more capitalised words joined: shorter runs are class and type names (`HttpRequestHandler`)."""
_CAMEL_WORD = re.compile(r"[A-Z][a-z]*")
MAX_RUNS = 20
"""camelCase runs re-read per text at most: bounds the work on a file of identifiers."""


def camel_case_candidates(text: str) -> list[Candidate]:
    """Runs of five or more capitalised words joined, read as a sentence ("Assistant please disregard ...")."""
    out: list[Candidate] = []
    for m in _CAMEL_RUN.finditer(text):
        words = _CAMEL_WORD.findall(m.group())
        out.append((m.start(), m.end(), "camel_case", " ".join(w.lower() for w in words)))
        if len(out) >= MAX_RUNS:
            break
    return out


_RI_FIRST = 0x1F1E6
_RI = "[\U0001f1e6-\U0001f1ff]"
_RI_ANY = re.compile(_RI)
_SPELLED_RUN = re.compile(
    r"(?<![\U0001f1e6-\U0001f1ff])" + _RI + r"(?:[ \t]{1,3}" + _RI + r")+(?![\U0001f1e6-\U0001f1ff])"
)
"""Regional-indicator letters each standing alone (blank on both sides), two or more in a run."""


def _letter(symbol: str) -> str:
    return chr(ord("a") + ord(symbol) - _RI_FIRST)


def emoji_letter_candidates(text: str) -> list[Candidate]:
    """Lines holding words spelled in regional-indicator letters, read with those words as plain letters.

    One blank between symbols joins letters into a word, two or more end the word. Adjacent symbols
    (a flag, "🇩🇪") are not a spelling and are left as they are. The whole line is returned, so the
    spelled words are read with the prose around them ("RUN kubectl delete ns x NOW").
    """
    if text.isascii() or not _RI_ANY.search(text):
        return []
    runs = list(_SPELLED_RUN.finditer(text))
    if not runs:
        return []
    out: list[Candidate] = []
    lines: dict[int, list[re.Match[str]]] = {}
    for m in runs:
        lines.setdefault(text.rfind("\n", 0, m.start()) + 1, []).append(m)
    for start, found in lines.items():
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        parts: list[str] = []
        pos = start
        for m in found:
            parts.append(text[pos : m.start()])
            words = re.split(r"[ \t]{2,}", m.group())
            parts.append(" ".join("".join(_letter(c) for c in w if not c.isspace()) for w in words).upper())
            pos = m.end()
        parts.append(text[pos:end])
        out.append((start, end, "emoji_letters", "".join(parts)))
    return out


__all__ = ["camel_case_candidates", "emoji_letter_candidates"]
