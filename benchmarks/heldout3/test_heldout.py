"""Round 3 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once). The checks every round
shares are in benchmarks/heldout/round_checks.py; this file names the round.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout3/test_heldout.py
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout3 import bench_heldout as bench
from benchmarks.heldout3 import generate as gen

EARLIER = ("heldout", "heldout2")
"""The sets written before this one, whose failure types and names it must not repeat."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout3")
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
    rc.rounds_kept_apart(gen, "heldout2")


def test_generation_is_deterministic(built: tuple[list[Path], Path], tmp_path: Path) -> None:
    rc.deterministic(gen, built[0], tmp_path)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    rc.bad_arguments_refused(gen, tmp_path)


def test_a_result_for_the_same_scenarios_is_not_overwritten(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc.measured_once(gen, bench, tmp_path, capsys)
