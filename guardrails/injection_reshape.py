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


# Quoted-printable -------------------------------------------------------------------------------------

_QP_ESCAPE = re.compile(r"=[0-9A-Fa-f]{2}(?=[A-Za-z]|=[0-9A-Fa-f]{2})")
"""A quoted-printable escape inside a word: followed by a letter or by another escape ("r=65v=69=65w",
"caf=C3=A9"). A logfmt value ("count=42 ") is followed by a space and does not count."""
MIN_QP_ESCAPES = 4
"""Escapes inside words a block needs: a hex id in one key=value field is not an encoding."""


def _qp_decode(block: str) -> str:
    """`=XX` escapes as bytes, soft line breaks (a line ending in `=`) joined, read as UTF-8."""
    joined = re.sub(r"=\r?\n", "", block)
    if joined.endswith("="):
        joined = joined[:-1]
    raw = re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), joined.encode("utf-8"))
    return raw.decode("utf-8", errors="replace")


def quoted_printable_candidates(text: str) -> list[Candidate]:
    """Blocks of lines written in quoted-printable (MIME's `=XX` soft encoding), read decoded.

    A mail client decodes `=69gn=6Fr=65` to "ignore" before anyone reads it, and so does a model; a
    pattern matches the written characters. A block is a run of lines joined by soft line breaks (a line
    ending in `=`), as a MIME body wraps them.
    """
    if "=" not in text or _QP_ESCAPE.search(text) is None:
        return []
    out: list[Candidate] = []
    block_start: int | None = None
    for start, end in _lines(text):
        line = text[start:end].rstrip("\r")
        if block_start is None:
            block_start = start
        if line.endswith("=") and end < len(text):
            continue  # a soft line break: the next line continues this one
        block = text[block_start:end]
        if len(_QP_ESCAPE.findall(block)) >= MIN_QP_ESCAPES:
            decoded = _qp_decode(block)
            if sum(c.isalpha() for c in decoded) >= len(decoded) // 2:
                out.append((block_start, end, "quoted_printable", decoded))
                if len(out) >= MAX_LINES:
                    break
        block_start = None
    return out


# Words split into pieces -------------------------------------------------------------------------------

_SPLIT_SEPARATORS = " .-_\u00b7"
"""What an attacker puts inside a word to split it into pieces a tokenizer or a pattern reads apart
("ig nore prev ious in struc tions", "re.veal the sys-tem pro_mpt"); a model reads the word whole."""
SPLIT_WORDS = tuple(w for w in TRIGGER_WORDS if len(w) >= 5)
_SPLIT_SET = frozenset(SPLIT_WORDS)
_SPLIT_GATE = ("ignore", "disregard", "forget", "override", "instruction", "previous", "prompt", "reveal", "secret",
               "password", "credential", "assistant", "token")
"""The trigger words the first pass counts (one substring count each, written and collapsed): an instruction
split to hide it splits at least two of these."""
_PIECE = re.compile(r"[A-Za-z]+")
MIN_SPLIT = 2
"""Split trigger words a line needs: one ("pass word") is an accident; two are a method."""
_MAX_PIECES = 4


def _rejoined(line: str) -> tuple[str, int]:
    """`line` with each trigger word written in 2..4 pieces joined back, and how many were joined."""
    pieces = [(m.start(), m.end()) for m in _PIECE.finditer(line)]
    parts: list[str] = []
    pos = 0
    joined = 0
    i = 0
    while i < len(pieces):
        for j in range(min(len(pieces), i + _MAX_PIECES) - 1, i, -1):
            gaps = [line[pieces[k][1] : pieces[k + 1][0]] for k in range(i, j)]
            if any(len(g) != 1 or g not in _SPLIT_SEPARATORS for g in gaps):
                continue
            word = "".join(line[s:e] for s, e in pieces[i : j + 1])
            if word.lower() in _SPLIT_SET:
                parts.append(line[pos : pieces[i][0]])
                parts.append(word)
                pos = pieces[j][1]
                joined += 1
                i = j
                break
        i += 1
    parts.append(line[pos:])
    return "".join(parts), joined


def _split_gate_words(lowered: str) -> int:
    """How many gate words occur more often with every separator removed than as written (split ones)."""
    # A chain of `replace` calls: `str.translate` takes a slow path on any non-ASCII text (twice the cost here).
    collapsed = lowered.replace(" ", "").replace(".", "").replace("-", "").replace("_", "").replace("\u00b7", "")
    split = 0
    for w in _SPLIT_GATE:
        # `in` first: most texts hold none of the gate words even collapsed, and counting is dearer than finding.
        if w in collapsed and collapsed.count(w) > lowered.count(w):
            split += 1
    return split


def split_word_candidates(text: str) -> list[Candidate]:
    """Lines whose trigger words are written in pieces ("ig nore prev ious in struc tions"), read joined.

    A first pass without positions answers most texts: the text with every separator removed holds no
    more trigger words than the text as written, so no word was split.
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return []
    if _split_gate_words(lowered) < MIN_SPLIT:
        return []
    out: list[Candidate] = []
    for start, end in _lines(text):
        line = text[start:end]
        if _split_gate_words(lowered[start:end]) < MIN_SPLIT:
            continue
        rejoined, joined = _rejoined(line)
        if joined >= MIN_SPLIT:
            out.append((start, end, "split_words", rejoined))
            if len(out) >= MAX_LINES:
                break
    return out


__all__ = ["escaped_candidates", "quoted_printable_candidates", "scrambled_candidates", "split_word_candidates"]
