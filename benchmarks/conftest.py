"""Fixtures the benchmarks' tests share.

`heldout_built` builds a held-out round's bundles at most once per test session: the shared checks
(benchmarks/heldout/test_rounds.py) and a round's own checks (its test_heldout.py) read the same
build, and a round can take a minute to generate on a busy machine.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture(scope="session")
def heldout_built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """A function: round name -> that round's bundles and answers, generated on first use, then reused."""
    cache: dict[str, Built] = {}

    def build(name: str) -> Built:
        if name not in cache:
            root = tmp_path_factory.mktemp(name)
            bundles = by_name(name).generator().generate(root / "bundles", root / "answers")
            cache[name] = (bundles, root / "answers")
        return cache[name]

    return build
