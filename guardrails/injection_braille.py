"""Braille cells read as letters, for the injection scanner's re-readings.

Why: an instruction written in Unicode braille (U+2800-U+28FF) looks like a decoration in a metric label
or a status line, and no word pattern sees it; a model reading the text can still spell it out. Runs of
cells are read with the English grade-1 letter table (a-z, one cell per letter, blank cell or space
between words); a run is offered to the scanner only when it reads as several words.
"""

from __future__ import annotations

import re

_LETTER_DOTS = {
    "a": (1,), "b": (1, 2), "c": (1, 4), "d": (1, 4, 5), "e": (1, 5), "f": (1, 2, 4), "g": (1, 2, 4, 5),
    "h": (1, 2, 5), "i": (2, 4), "j": (2, 4, 5), "k": (1, 3), "l": (1, 2, 3), "m": (1, 3, 4), "n": (1, 3, 4, 5),
    "o": (1, 3, 5), "p": (1, 2, 3, 4), "q": (1, 2, 3, 4, 5), "r": (1, 2, 3, 5), "s": (2, 3, 4), "t": (2, 3, 4, 5),
    "u": (1, 3, 6), "v": (1, 2, 3, 6), "w": (2, 4, 5, 6), "x": (1, 3, 4, 6), "y": (1, 3, 4, 5, 6), "z": (1, 3, 5, 6),
}  # fmt: skip
_CELL_TO_LETTER = {chr(0x2800 + sum(1 << (d - 1) for d in dots)): letter for letter, dots in _LETTER_DOTS.items()}
_CELL_TO_LETTER["\u2800"] = " "
_RUN = re.compile("[\u2800-\u28ff][\u2800-\u28ff \u00a0]{7,}")
_MIN_WORDS = 3

Candidate = tuple[int, int, str, str]


def braille_candidates(text: str) -> list[Candidate]:
    """(start, end, "braille", letters) for each run of braille cells that reads as words."""
    out: list[Candidate] = []
    for m in _RUN.finditer(text):
        letters = "".join(_CELL_TO_LETTER.get(c, " " if c in " \u00a0" else "?") for c in m.group())
        words = letters.split()
        if len(words) >= _MIN_WORDS and letters.count("?") <= len(letters) // 10:
            out.append((m.start(), m.end(), "braille", " ".join(words)))
    return out


__all__ = ["braille_candidates"]
