"""The prefix-tree pattern matches exactly the words it was built from, longest first.

The redactor's key-word and command scans rely on it being equivalent to a plain alternation of the
words sorted longest first (`password|pass`), only cheaper: checked on random word sets with shared
prefixes, words that are prefixes of others, and regex metacharacters.
"""

from __future__ import annotations

import random
import re

import pytest

from guardrails.regex_trie import trie_pattern

_RNG = random.Random(7)
_ALPHABET = "abcp.-_*"


def _words(n: int) -> set[str]:
    stems = ["".join(_RNG.choice(_ALPHABET) for _ in range(_RNG.randint(1, 4))) for _ in range(n)]
    return {s + "".join(_RNG.choice(_ALPHABET) for _ in range(_RNG.randint(0, 3))) for s in stems} | set(stems)


@pytest.mark.parametrize("seed", range(20))
def test_same_matches_as_a_longest_first_alternation(seed: int) -> None:
    words = _words(12 + seed)
    trie = re.compile(trie_pattern(words))
    plain = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    text = "".join(_RNG.choice(_ALPHABET + " x") for _ in range(400))
    assert [m.span() for m in trie.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert all(trie.fullmatch(w) for w in words)


def test_a_word_that_is_a_prefix_of_another_matches_both_and_prefers_the_longer() -> None:
    pattern = re.compile(trie_pattern({"pass", "password", "passwd"}))
    assert pattern.fullmatch("pass") and pattern.fullmatch("passwd") and not pattern.fullmatch("passw")
    assert pattern.match("password=x").group(0) == "password"
