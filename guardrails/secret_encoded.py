"""Credentials written in an encoding: hex, `\\xNN` escapes or base64 whose decoding is a made password or token.

Why a module of its own: the formats and the keyed detectors read a credential as the characters it is
made of. Debug output often prints it encoded instead: strace's and tcpdump's hex of a request that carried
`X-Token: ...`, a byte string's `\\x6d\\x67...` escapes in a protocol frame dump, a CI step that defeats its
log mask with `echo $PASS | base64`. The encoded form is as good as the plain one to whoever reads it.

What makes it certain without a key in front: the decoding. Hex and escapes of binary data (a digest, a
nonce, a key's raw bytes) decode to bytes outside printable ASCII almost always (20 random bytes are all
printable once in 500 million); base64 of binary data likewise. So a run is taken only when it decodes to
12-64 printable characters without blanks, quotes or brackets (not text, not JSON, not a path) that look
*made*: three character classes or a high-entropy run, and not a name, a UUID, a digest or a number. Hex
and escapes need 12 encoded characters at least; base64 is read only for runs of 16-88 characters (a
password's size; certificates and keys are longer and are other formats' business).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

Span = tuple[int, int, str]

_ESCAPE_RUN = re.compile(r"(?:\\x[0-9a-fA-F]{2}){12,256}")
_RUN = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/=_\-]{16,}")
"""The look-behind makes a position inside a run fail at once: without it the engine re-reads up to 15
characters from every position of every shorter word."""
"""A run that may be hex (even length, 24+ hex digits) or base64 (16-88 characters, a multiple of four)."""
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_TEXTUAL = frozenset(" \t\r\n\"'{}[]<>()`\\,;")
"""Characters of text, markup and data structures: a decoding holding one is not a bare credential."""


def _printable_word(raw: bytes) -> str | None:
    """The decoding as text when it is 12-64 printable ASCII characters with none of `_TEXTUAL`."""
    if not 12 <= len(raw) <= 64 or any(b < 0x21 or b > 0x7E for b in raw):
        return None
    word = raw.decode("ascii")
    return None if any(c in _TEXTUAL for c in word) else word


_PRINTABLE_PIECE = re.compile(rb"[\x21-\x7e]{12,64}")


def _printable_pieces(raw: bytes, start: int, width: int, made: Callable[[str], bool]) -> list[Span]:
    """Spans of the printable pieces of decoded bytes (a frame dump puts length and NUL bytes around a
    field: `\\x00\\x05admin\\x00<password>`), each `width` encoded characters a byte."""
    out: list[Span] = []
    for p in _PRINTABLE_PIECE.finditer(raw):
        word = _printable_word(p.group())
        if word is not None and made(word):
            out.append((start + p.start() * width, start + p.end() * width, "encoded_secret"))
    return out


_PRINTER = re.compile(r"(?:echo|printf|print|puts|write-host|write-output)(?:[ \t]+-[neE]{1,3})?"
                      r"(?:[ \t]+(?:'%[^'\n]{0,8}'|\"%[^\"\n]{0,8}\"))?[ \t]+[\"']?$", re.I)


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A base64 run printed bare: alone on its line, or the argument of `echo`/`printf`/`print` (how a CI step
    shows an encoded secret past its log mask). A run inside a sentence, a header or a key's value is some
    other format's business, and decoding every such run would cost every text."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    line_end = text.find("\n", end)
    after = text[end : len(text) if line_end < 0 else line_end]
    if after.strip(" \t\r\"'") and not after.lstrip("\"' \t").startswith(("|", ";", ">", "&")):
        return False
    return not before.strip(" \t+>$#") or _PRINTER.search(before) is not None


def encoded_spans(text: str, made: Callable[[str], bool], run_from: int = 0) -> list[Span]:
    """(start, end, kind) of encoded runs whose decoding `made(decoded)` judges a password or token.
    `run_from`: where the caller saw the text's first run of 16 token characters (none before it)."""
    out: list[Span] = []
    if "\\x" in text:
        for m in _ESCAPE_RUN.finditer(text):
            out.extend(_printable_pieces(bytes.fromhex(m.group().replace("\\x", "")), m.start(), 4, made))
    for m in _RUN.finditer(text, run_from):
        run = m.group()
        if len(run) > 512 or "_" in run or "-" in run:
            continue  # base64url or a name with separators: not one hex or base64 run
        if (run.islower() or run.isupper() or run.isdigit()) and len(run) % 2 == 0 and len(run) >= 24 \
                and set(run) <= _HEX_DIGITS:  # one case: `3578...`, not a mixed-case word
            out.extend(_printable_pieces(bytes.fromhex(run), m.start(), 2, made))
            continue
        if len(run) > 88 or len(run) % 4 or not _stands_alone(text, m.start(), m.end()):
            continue
        if "=" in run.rstrip("=") or (run.isalnum() and (run.isdigit() or run.isalpha())):
            continue  # padding inside, or letters or digits only (a word, a number)
        try:
            raw = base64.b64decode(run, validate=True)
        except (binascii.Error, ValueError):
            continue
        word = _printable_word(raw)
        if word is not None and made(word):
            out.append((m.start(), m.end(), "encoded_secret"))
    return out


__all__ = ["encoded_spans"]
