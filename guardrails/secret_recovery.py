"""Account recovery material: backup codes, TOTP seeds and wallet seed phrases, found by what names them.

Why a module of its own: each of these is a full credential (a recovery code logs in past MFA once, a
TOTP seed makes every future code, a BIP39 phrase *is* the wallet) yet none has a shape of its own: a
GitHub code `4f2a1-9c3e0` is two short groups, a Google Authenticator scratch code is eight digits, a
seed phrase is twelve to twenty-four English words. Taken by shape they would take every 8-digit
number and every word list, so this module takes them only where the text says what they are:
- a list of codes under a heading (or a file name) that names recovery, backup, scratch or emergency
  codes or keys: each item one code of the same shape as its neighbours (at least three items, or one
  key of four groups or more such as BitLocker's; each with a digit or all in capitals: a list of words
  under such a heading is instructions, not codes);
- the `~/.google_authenticator` file's own layout: a base32 seed on the first line, then its `" TOTP_AUTH`,
  `" RATE_LIMIT`, `" WINDOW_SIZE` option lines, then the 8-digit scratch codes. The option lines are
  written by google-authenticator-libpam only, so the seed and codes beside them are certain;
- a seed phrase under a heading that names one (recovery/seed/secret/backup phrase, mnemonic): exactly
  12, 15, 18, 21 or 24 lowercase words, numbered one per line or written on one line, the counts BIP39
  allows. A phrase of another length, or words with capitals and punctuation, is prose.
A code list in documentation (`xxxxx-xxxxx`) or a count (`10 recovery codes remaining`) has no items of
code shape and stays.
"""

from __future__ import annotations

import re

Span = tuple[int, int, str]

_CODE_HEADING = re.compile(
    r"(?i)(?:recovery|backup|scratch|emergency|break[- ]glass|one[- ]time)[ _\-]"
    # a qualifier between (`BACKUP VERIFICATION CODES`, Google's printable sheet; `recovery login codes`)
    r"(?:(?:verification|login|sign[- ]in|security|authentication|2fa|mfa|access)[ _\-])?(?:codes?|keys?)\b|"
    r"\b(?:codes?[ _\-]de[ _\-](?:secours|recuperaci[oó]n|recupera[cç][aã]o)|wiederherstellungscodes?|"
    r"backup-?codes?|recovery-?codes?)|"
    # the emergency account itself named where its codes are pasted (`store these for the break-glass account:`)
    r"\bbreak[- ]glass[ _\-](?:account|admin|user|login|access)s?\b"
)
_PHRASE_HEADING = re.compile(
    r"(?i)(?:recovery|seed|secret|backup|mnemonic|wallet)[ _\-](?:phrase|words)\b|\bmnemonic\b|\bseed[ _\-]?phrase\b"
)
_BULLET = r"[ \t]*(?:[-*•·][ \t]+|\d{1,2}[.)][ \t]+|\[[ x]\][ \t]+)?"
_CODE = r"[A-Za-z0-9]{3,10}(?:[ \-][A-Za-z0-9]{3,10}){0,7}"
_CODE_LINE = re.compile(_BULLET + r"(?P<c>" + _CODE + r")[ \t]*\r?")
_GRID_LINE = re.compile(_BULLET + _CODE + r"(?:(?:[ \t]{2,}|\t)" + _CODE + r"){1,3}[ \t]*\r?")
"""Codes side by side, two to four a line with a wide gap between: how a provider's page shows them (two columns)
and how a copy of that page pastes them."""
_GRID_CODE = re.compile(_CODE)
_WORD_LINE = re.compile(r"[ \t]*(?:\d{1,2}[.):][ \t]*|[-*•][ \t]+)?(?P<w>[a-z]{3,8})[ \t]*\r?")
_PHRASE_LINE = re.compile(r"[ \t]*(?P<p>[a-z]{3,8}(?:[ \t]+[a-z]{3,8}){11,23})[ \t]*\r?")
_PHRASE_LENGTHS = frozenset({12, 15, 18, 21, 24})
_GA_FILE = re.compile(
    r"(?m)^(?P<seed>[A-Z2-7]{16,128})[ \t]*\r?\n(?P<opts>(?:\"[ \t]+[A-Z_]{3,32}[^\n]{0,64}\r?\n){1,12})"
    r"(?P<codes>(?:[ \t]*\d{8}[ \t]*(?:\r?\n|$)){0,32})"
)
_GA_OPTIONS = ("TOTP_AUTH", "HOTP_COUNTER", "RATE_LIMIT", "WINDOW_SIZE", "DISALLOW_REUSE", "STEP_SIZE")
_CODE_WORDS = ("recovery", "backup", "scratch", "emergency", "glass", "one-time", "one time", "one_time", "secours",
               "recupera", "wiederherstellung")
"""A cheap first look: a code heading holds `code`/`key` and one of these (substring tests of the lowered text)."""
_PHRASE_WORDS = ("seed", "recovery", "secret", "backup", "wallet")
_PREAMBLE_LINES = 2
"""Lines that are no code between a heading and its list (Google's sheet names the account there)."""
_SCAN_LINES = 40
"""How many lines after a heading are read for its list."""


def _lines_after(text: str, pos: int) -> list[tuple[int, str]]:
    """(offset, line) of the lines that start after `pos`'s line, at most `_SCAN_LINES`."""
    out: list[tuple[int, str]] = []
    nl = text.find("\n", pos)
    while nl >= 0 and len(out) < _SCAN_LINES:
        start = nl + 1
        nl = text.find("\n", start)
        out.append((start, text[start : len(text) if nl < 0 else nl]))
    return out


def _code_shape(code: str) -> str:
    """The shape of a code: its group lengths (`4f2a1-9c3e0` -> `5-5`), the same for every code of a list."""
    return re.sub(r"[A-Za-z0-9]+", lambda m: str(len(m.group())), code)


def _code_list(text: str, pos: int) -> list[Span]:
    """The codes of the list that follows the heading line at `pos` (one blank line may come between)."""
    items: list[tuple[int, int, str]] = []
    shape: str | None = None
    blanks = 0
    preamble = 0
    for start, line in _lines_after(text, pos):
        if not line.strip():
            if items or blanks > 1:
                break
            blanks += 1
            continue
        m = _CODE_LINE.fullmatch(line)
        if m is None and _GRID_LINE.fullmatch(line):
            row = list(_GRID_CODE.finditer(line))
            shapes = {_code_shape(c.group()) for c in row}
            if len(shapes) == 1 and (shape is None or shape in shapes) \
                    and all(any(ch.isdigit() for ch in c.group()) or c.group().isupper() for c in row):
                shape = shapes.pop()
                items.extend((start + c.start(), start + c.end(), "recovery_code") for c in row)
                continue
        if m is None and not items and preamble < _PREAMBLE_LINES:
            preamble += 1  # the account the codes are for (`ops@acme.example`), or a line of advice
            continue
        if m is None or (shape is not None and _code_shape(m.group("c")) != shape):
            break
        code = m.group("c")
        if not (any(c.isdigit() for c in code) or code.isupper()):
            break  # words under the heading: an instruction, not a code
        shape = _code_shape(code)
        items.append((start + m.start("c"), start + m.end("c"), "recovery_code"))
    # three codes make a list; one or two make it only when each is a long grouped key (a BitLocker recovery
    # key is eight groups of six digits), never one short number
    long_key = shape is not None and shape.count("-") + shape.count(" ") >= 3
    return items if len(items) >= 3 or (items and long_key) else []


def _phrase(text: str, pos: int) -> list[Span]:
    """The seed phrase after the heading line at `pos`: numbered words one per line, or one line of words."""
    words: list[tuple[int, int]] = []
    for start, line in _lines_after(text, pos):
        if not line.strip():
            if words:
                break
            continue
        if not words:
            whole = _PHRASE_LINE.fullmatch(line)
            if whole is not None:
                count = len(whole.group("p").split())
                return [(start + whole.start("p"), start + whole.end("p"), "seed_phrase")] \
                    if count in _PHRASE_LENGTHS else []
        m = _WORD_LINE.fullmatch(line)
        if m is None:
            break
        words.append((start + m.start("w"), start + m.end("w")))
    if len(words) not in _PHRASE_LENGTHS:
        return []
    return [(words[0][0], words[-1][1], "seed_phrase")]


def recovery_spans(text: str, lowered: str) -> list[Span]:
    """(start, end, kind) of recovery codes, TOTP seeds and seed phrases that the text names as such."""
    out: list[Span] = []
    if "\n" not in text:
        return out
    if '" ' in text and ("TOTP_AUTH" in text or "HOTP_COUNTER" in text):  # every such file names its mode
        for m in _GA_FILE.finditer(text):
            if any(opt in m.group("opts") for opt in _GA_OPTIONS):
                out.append((m.start("seed"), m.end("seed"), "totp_seed"))
                for c in re.finditer(r"\d{8}", m.group("codes")):
                    out.append((m.start("codes") + c.start(), m.start("codes") + c.end(), "recovery_code"))
    if ("code" in lowered or "key" in lowered or "glass" in lowered) and any(w in lowered for w in _CODE_WORDS):
        for h in _CODE_HEADING.finditer(text):
            out.extend(_code_list(text, h.end()))
    if "phrase" in lowered or "mnemonic" in lowered \
            or ("words" in lowered and any(w in lowered for w in _PHRASE_WORDS)):
        for h in _PHRASE_HEADING.finditer(text):
            out.extend(_phrase(text, h.end()))
    return out


__all__ = ["recovery_spans"]
