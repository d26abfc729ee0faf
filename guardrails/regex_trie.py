"""One regular expression for a set of words, shaped as a prefix tree.

Why: Python's `re` tries every branch of an alternation (`a|b|c|...`) at every text position; a scan
for a hundred words costs a hundred comparisons per character. As a prefix tree the engine follows one
branch per character, so the scan costs about one step per character whatever the number of words.
Used by the redactor's hint index, its key-word scan and the tool-output command scan. For alternatives that are
regular expressions themselves, `first_char_alternation` groups them by their first (literal) character instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def trie_pattern(words: set[str]) -> str:
    """One regular expression matching any of `words`, as a prefix tree: at each text position it
    follows one branch per character instead of trying every word, so a scan costs about one step
    per character whatever the number of words."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alternatives = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not alternatives:
            return ""
        body = "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def first_char_alternation(words: Iterable[str], *, fragments: bool = False) -> re.Pattern[str]:
    """One regex for `words`, grouped by first character: every alternative starts with a literal the engine can
    skip to, instead of trying each word at each position. With `fragments`, what follows each first character is
    a regular expression of its own (`s[aá]lt`, `no\\s+hace`) and is kept as written; otherwise it is escaped.
    Alternatives keep their order within a group (put longer words first where a shorter one is their prefix)."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return re.compile("|".join(
        re.escape(first) + "(?:" + "|".join(rests if fragments else (re.escape(rest) for rest in rests)) + ")"
        for first, rests in groups.items()))


__all__ = ["first_char_alternation", "trie_pattern"]
