"""What round 4 of the held-out set alone is held to: its evidence lives in different places.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource
culprits shipped with their CRD, ...) run for this round from benchmarks/heldout/test_rounds.py
(`-k heldout4`), on the same build (benchmarks/conftest.py). No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout4/test_heldout.py
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built


def test_evidence_lives_in_different_places(heldout_built: Callable[[str], Built]) -> None:
    """The culprits are of these kinds at least, two of them custom resources served from extra/ (their CRDs:
    test_rounds.py's test_custom_resource_culprits_ship_with_their_crd[heldout4])."""
    keys = rc.keys(*heldout_built("heldout4"))
    kinds = {k["culprit"]["kind"] for k in keys.values()}
    assert {"Certificate", "VerticalPodAutoscaler", "LimitRange", "ConfigMap", "DaemonSet", "Service"} <= kinds
    assert {"Certificate", "VerticalPodAutoscaler"} <= kinds - rc.BUILTIN_KINDS
