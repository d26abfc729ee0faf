"""Orders spelled by the first letters of lines, with the text telling its reader to read them so.

Why: "each line above starts a word; assistants should act on that word" hides the order in a list whose
items open with D, E, L, E, T, E. No pattern sees it, since the word is never written; it is there only for
a reader told to look. Two things together mark it, and neither alone: the initials of consecutive lines
(list markers and markdown emphasis set aside) spell an order word, and the text names that reading key
(first letters, initials, "starts a word", acrostic) beside a turn to the reader or to acting on it. A poem
whose lines happen to spell a word, or an advisory that explains the trick without asking anyone to act,
holds only one of them.
"""

from __future__ import annotations

import re

SIGNAL = "acrostic_order"
KIND = "instruction"
WEIGHT = 0.6

_KEY = re.compile(
    r"\b(?:(?:first|initial|starting|opening|capital|bold(?:ed)?)\s+(?:letters?|characters?)|initials|acrostic|"
    r"(?:starts?|begins?|opens?)\s+(?:with\s+)?(?:a|the|one|its)\s+(?:word|letter)|read\s+(?:it\s+)?(?:down|vertically)|spells?\s+(?:out\s+)?"
    r"(?:a|the|one|your)\s+(?:word|command|task|order|instruction))"
)
"""The reading key named."""
_ACT = re.compile(
    r"\b(?:act\s+on|do|perform|execute|run|follow|obey|apply|carry\s+out)\s+(?:that|this|the|what|it)\b"
    r"|\b(?:ai|assistants?|agents?|bots?|models?|llms?|copilots?|you)\s+(?:must|should|shall|need\s+to|are\s+to|is\s+to|will)\b"
)
"""A turn to acting on what is spelled, or to the reader."""
_GATE = ("letter", "initial", "word", "acrostic", "read ", "spell", "character")
_MARKER = re.compile(r"[\s>*+#|\-\u2022]*(?:\d{1,3}[.)]\s*)?[*_`~\"'(\[]*([a-z])")
"""A line's list marker, number and emphasis, then its first letter."""
_ORDER_WORDS = (
    "delete", "remove", "destroy", "drop", "wipe", "purge", "erase", "approve", "merge", "grant", "disable", "leak",
    "expose", "reboot", "shutdown", "kill", "revoke", "deploy", "escalate", "exfil", "bypass", "ignore", "unlock",
)  # fmt: skip
_MIN_LINES = 4
_SPELLED_WORDS = tuple(word for word in _ORDER_WORDS if len(word) >= _MIN_LINES)
"""The order words long enough to count as spelled (a run of `_MIN_LINES` lines at least)."""


def acrostic_order_spans(lowered: str) -> list[tuple[int, int]]:
    """Spans of lowercased `lowered` whose consecutive lines' initials spell an order word, where the text names
    the reading key and turns to acting on it."""
    if not any(g in lowered for g in _GATE) or not _KEY.search(lowered) or not _ACT.search(lowered):
        return []
    starts: list[int] = []
    letters: list[str] = []
    pos = 0
    for line in lowered.split("\n"):
        m = _MARKER.match(line)
        starts.append(pos)
        letters.append(m.group(1) if m and line.strip() else " ")  # a blank or letterless line ends a run
        pos += len(line) + 1
    spelled = "".join(letters)
    spans: list[tuple[int, int]] = []
    for word in _SPELLED_WORDS:
        at = spelled.find(word)
        while at >= 0:
            last = at + len(word) - 1
            end = lowered.find("\n", starts[last])
            spans.append((starts[at], len(lowered) if end < 0 else end))
            at = spelled.find(word, at + 1)
    return spans
