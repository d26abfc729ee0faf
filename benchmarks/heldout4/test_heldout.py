"""Round 4 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once). The checks every round
shares are in benchmarks/heldout/round_checks.py; this file names the round and what is particular
to it (custom-resource culprits ship with their CRD).

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout4/test_heldout.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout4 import bench_heldout as bench
from benchmarks.heldout4 import generate as gen

EARLIER = ("heldout", "heldout2", "heldout3")
"""The sets written before this one, whose failure types and names it must not repeat."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout4")
    return gen.generate(root / "bundles", root / "answers"), root / "answers"


def test_every_bundle_is_valid_and_every_key_is_sane(built: tuple[list[Path], Path]) -> None:
    rc.valid(*built)


def test_culprits_and_red_herrings_exist_in_their_bundles(built: tuple[list[Path], Path]) -> None:
    rc.culprits_and_herrings_exist(*built)


def test_keys_are_varied_and_names_say_only_the_symptom(built: tuple[list[Path], Path]) -> None:
    rc.keys_sane_and_varied(*built)


def test_no_failure_type_or_name_of_an_earlier_set(built: tuple[list[Path], Path]) -> None:
    rc.new_to_earlier_sets(*built, EARLIER)


def test_rounds_loaded_together_keep_their_own_scenarios() -> None:
    rc.rounds_kept_apart(gen, "heldout3")


def test_generation_is_deterministic(built: tuple[list[Path], Path], tmp_path: Path) -> None:
    rc.deterministic(gen, built[0], tmp_path)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    rc.bad_arguments_refused(gen, tmp_path)


def test_a_result_for_the_same_scenarios_is_not_overwritten(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc.measured_once(gen, bench, tmp_path, capsys)


def test_evidence_lives_in_different_places(built: tuple[list[Path], Path]) -> None:
    """The culprits are of several kinds and the custom-resource ones are served from extra/ with their CRD."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    kinds = {k["culprit"]["kind"] for k in keys.values()}
    assert {"Certificate", "VerticalPodAutoscaler", "LimitRange", "ConfigMap", "DaemonSet", "Service"} <= kinds
    for name, key in keys.items():
        if key["culprit"]["kind"] in ("Certificate", "VerticalPodAutoscaler"):
            crds = json.loads((answers.parent / "bundles" / name / "extra" / "customresourcedefinitions.json")
                              .read_text())
            assert any(item["spec"]["names"]["kind"] == key["culprit"]["kind"] for item in crds["items"]), name
