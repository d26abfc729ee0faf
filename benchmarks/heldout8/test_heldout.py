"""What round 8 of the held-out set alone is held to: a Node culprit shows its cause in a node condition.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource culprits
shipped with their CRD, pages that name only a victim, culprits carrying their change, a cluster-scoped
CRD, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout8`), on the same build (benchmarks/conftest.py).
No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout8/test_heldout.py
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout8")


def test_a_node_culprit_shows_its_cause_in_a_condition(built: Built) -> None:
    """A Node is the culprit only through a condition that is True while the node still reports Ready."""
    bundles, answers = built
    nodes = 0
    for name, key in rc.keys(bundles, answers).items():
        if key["culprit"]["kind"] != "Node":
            continue
        nodes += 1
        node = rc.culprit_object(answers.parent / "bundles" / name, key)
        conditions = {c["type"]: c["status"] for c in node["status"]["conditions"]}
        assert conditions["Ready"] == "True", name
        assert [t for t, s in conditions.items() if t != "Ready" and s == "True"], name
    assert nodes == 1
