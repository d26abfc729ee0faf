"""Texts the injection scanner reads a second time, re-shaped: escapes decoded, scrambled words unscrambled.

Why: a model reads through what a pattern cannot. It decodes a JSON string's `\\u0049\\u0067...` escapes
and HTML entities as it reads, and it reads "ignroe all pervious instrcutions" as "ignore all previous
instructions" (typoglycemia: the first and last letters of each word kept, the inner ones scrambled). A
scanner that matches the written characters sees neither. Each function here returns candidates,
`(start, end, how, text)`, in the shape of injection.py's other decoders: the span of the original
text, how it was re-shaped, and the text to scan again (one level deep). injection.py scores a
candidate only when it reads as more hostile than the same span as written.

Cost: both run on every text at the top level, so each starts with a cheap test (a backslash or an
ampersand for escapes; a set lookup per long word for scrambles) and does the real work only on the
lines that pass it.
"""

from __future__ import annotations

import html
import re

Candidate = tuple[int, int, str, str]

_ESCAPE = re.compile(r"\\+(?:u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|U[0-9a-fA-F]{8})")
"""An escape, with any number of backslashes (a JSON string encoded twice writes `\\\\u0069`); JavaScript and
Rust also write `\\u{69}`."""
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
MAX_LINES = 50
"""Lines read decoded per text at most: bounds the rescans of a JSON log full of escaped non-ASCII text."""


def _lines(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _unescape(line: str) -> str:
    """JSON / Python escapes decoded, surrogate pairs (`\\ud83d\\ude00`) joined into one character."""

    def one(m: re.Match[str]) -> str:
        code = int(m.group().lstrip("\\")[1:].strip("{}"), 16)
        return chr(code) if code <= 0x10FFFF else m.group()

    decoded = _ESCAPE.sub(one, line)
    try:
        return decoded.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return decoded


def escaped_candidates(text: str) -> list[Candidate]:
    """Lines holding several `\\uXXXX` / `\\xXX` escapes or HTML entities, read decoded.

    The escapes may be mixed with plain characters (a JSON encoder escapes letters but leaves spaces;
    `&#105;gnore previous instructions` encodes one letter per word), which the contiguous-run decoders
    of injection.py do not take.
    """
    out: list[Candidate] = []
    has_escape = "\\u" in text or "\\x" in text or "\\U" in text
    has_entity = "&" in text and ";" in text
    if not (has_escape or has_entity):
        return out
    for start, end in _lines(text):
        line = text[start:end]
        decoded = line
        # One escape is enough: `\u0069gnore previous instructions` hides the word with a single letter.
        # An accented name decodes to a line that reads no worse than before, and injection.py drops those.
        if has_escape and _ESCAPE.search(line):
            decoded = _unescape(decoded)
        if has_entity and _ENTITY.search(decoded):
            decoded = html.unescape(decoded)
        if decoded != line:
            out.append((start, end, "unescaped", decoded))
            if len(out) >= MAX_LINES:
                break
    return out


# Typoglycemia ---------------------------------------------------------------------------------------

TRIGGER_WORDS = (
    # cancelling what the reader was told
    "ignore", "disregard", "forget", "override", "bypass", "previous", "prior", "above", "earlier", "instructions",
    "instruction", "directions", "guidelines", "rules", "prompt", "system",
    # whom it addresses
    "assistant", "agent", "model",
    # what it asks for
    "approve", "merge", "deploy", "delete", "execute", "print", "reveal", "output", "contents", "secret", "secrets",
    "password", "passwords", "token", "tokens", "credentials", "kubeconfig", "send", "upload", "namespace",
    "production", "database", "directives", "commands", "approval", "review",
)  # fmt: skip
"""Words an injection is built from (the roles of injection_concepts: cancel, standing instructions, the
reader, the action and the secret); scrambling any other word does not hide an instruction."""


def _signature(word: str) -> tuple[int, str, str, str]:
    return len(word), word[0], word[-1], "".join(sorted(word[1:-1]))


_BY_SIGNATURE: dict[tuple[int, str, str, str], str] = {_signature(w): w for w in TRIGGER_WORDS if len(w) >= 5}


_SHAPES = frozenset((n, first, last) for n, first, last, _ in _BY_SIGNATURE)
_WORD = re.compile(r"[a-z]{5,}")
MIN_SCRAMBLED = 2
"""Scrambled trigger words a line needs: one (a typo, "pervious") is an accident; two are a method."""


def _scrambled(word: str) -> bool:
    """`word` is a trigger word with its inner letters in another order (not the word itself)."""
    real = _BY_SIGNATURE.get(_signature(word))
    return real is not None and real != word


def scrambled_candidates(text: str) -> list[Candidate]:
    """Lines whose trigger words are written with their inner letters scrambled, read unscrambled.

    A word counts as scrambled when it is not the trigger word itself but has its length, its first
    and last letters, and the same inner letters in another order ("instrcutions", "pervious").
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return []  # a letter whose lowercase is longer (U+0130) would shift positions; such text is not English
    # A first pass without positions (findall and a set lookup per word: a third of the cost of finditer on a
    # 2,000-token log) answers most texts: fewer than two scrambled trigger words anywhere, nothing to read.
    if sum(1 for w in _WORD.findall(lowered) if (len(w), w[0], w[-1]) in _SHAPES and _scrambled(w)) < MIN_SCRAMBLED:
        return []
    found: dict[int, list[tuple[int, int, str]]] = {}
    line_starts: list[int] = []
    for m in _WORD.finditer(lowered):
        word = m.group()
        if (len(word), word[0], word[-1]) not in _SHAPES or not _scrambled(word):
            continue
        real = _BY_SIGNATURE[_signature(word)]
        line = text.rfind("\n", 0, m.start()) + 1
        if line not in found:
            line_starts.append(line)
        found.setdefault(line, []).append((m.start(), m.end(), real))
    out: list[Candidate] = []
    for line in line_starts:
        words = found[line]
        if len(words) < MIN_SCRAMBLED:
            continue
        end = text.find("\n", line)
        end = len(text) if end < 0 else end
        parts: list[str] = []
        pos = line
        for s, e, real in words:
            parts.append(text[pos:s])
            parts.append(real)
            pos = e
        parts.append(text[pos:end])
        out.append((line, end, "typoglycemia", "".join(parts)))
    return out


__all__ = ["escaped_candidates", "scrambled_candidates"]
