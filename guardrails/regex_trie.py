"""One regular expression for a set of words, shaped as a prefix tree.

Why: Python's `re` tries every branch of an alternation (`a|b|c|...`) at every text position; a scan
for a hundred words costs a hundred comparisons per character. As a prefix tree the engine follows one
branch per character, so the scan costs about one step per character whatever the number of words.
Used by the redactor's hint index, its key-word scan and the tool-output command scan.
"""

from __future__ import annotations

import re
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


__all__ = ["trie_pattern"]
