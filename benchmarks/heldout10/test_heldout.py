"""What round 10 of the held-out set alone is held to: its alerts page on victims in other namespaces.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource culprits
shipped with their CRD, pages that name only a victim, culprits carrying their change, a cluster-scoped
CRD, a question naming only a host, ...) run for this round from benchmarks/heldout/test_rounds.py
(`-k heldout10`), on the same build (benchmarks/conftest.py). No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout10/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout10")


def test_alertmanager_pages_point_at_another_namespace(built: Built) -> None:
    """A dependency round: at least five Alertmanager pages fire only in namespaces other than the culprit's,
    so the cause has to be followed from the victim across a namespace (or to a cluster-scoped object)."""
    bundles, answers = built
    elsewhere = []
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        paged = {a["labels"].get("namespace", "")
                 for f in manifest["alerts"] if f.endswith("alertmanager.json")
                 for a in json.loads((root / f).read_text())["alerts"]}
        if paged and key["culprit"]["namespace"] not in paged:
            elsewhere.append(name)
    assert len(elsewhere) >= 5, elsewhere


def test_each_culprit_kind_is_the_data_or_dependency_layer(built: Built) -> None:
    """The round's focus is applications and their dependencies: no culprit is a Node or a kube-system object."""
    bundles, answers = built
    for name, key in rc.keys(bundles, answers).items():
        assert key["culprit"]["kind"] != "Node", name
        assert key["culprit"]["namespace"] != "kube-system", name
