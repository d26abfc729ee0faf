"""Round 2 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once); these tests only check
that every bundle validates, every key's culprit and red herrings exist in its own bundle, the
keys do not leak into what the on-call sees, generation is deterministic, and the benchmark keeps
round 1's refuse-to-overwrite rule.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout2/test_heldout.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout2 import bench_heldout as bench
from benchmarks.heldout2 import generate as gen


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout2")
    return gen.generate(root / "bundles", root / "answers"), root / "answers"


def test_every_bundle_is_valid_and_every_key_is_sane(built: tuple[list[Path], Path]) -> None:
    rc.valid(*built)


def test_culprits_and_red_herrings_exist_in_their_bundles(built: tuple[list[Path], Path]) -> None:
    rc.culprits_and_herrings_exist(*built)


def test_keys_are_varied_and_names_say_only_the_symptom(built: tuple[list[Path], Path]) -> None:
    """Round 2 predates grouped notifications in the sets: its alerts come one per notification."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    assert len({k["category"] for k in keys.values()}) == len(keys)
    assert len({k["culprit"]["kind"] for k in keys.values()}) >= 5
    sources: set[str] = set()
    for name, key in keys.items():
        assert len(key["secret_canaries"]) > 3, name  # its own secret besides the background's three
        manifest = yaml.safe_load((answers.parent / "bundles" / name / "manifest.yaml").read_text())
        assert manifest["description"] == ""
        sources.update(Path(a).name for a in manifest["alerts"])
        if manifest.get("question"):
            sources.add("question")
        said = f"{name} {manifest['title']} {manifest.get('question', '')}".lower()
        assert not [k for k in key["keywords"] if k.lower() in said], name  # the cause is found, not told
    assert sources == {"alertmanager.json", "pagerduty.json", "question"}


def test_no_failure_type_or_name_of_an_earlier_set(built: tuple[list[Path], Path]) -> None:
    """Round 2 was written to differ from round 1; one of its categories (a PDB holding a node drain) is also
    a corpus scenario's, so the corpus is not part of its check."""
    rc.new_to_earlier_sets(*built, ("heldout",), corpus=False)


def test_generation_is_deterministic(built: tuple[list[Path], Path], tmp_path: Path) -> None:
    rc.deterministic(gen, built[0], tmp_path)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    rc.bad_arguments_refused(gen, tmp_path)


def test_a_result_for_the_same_scenarios_is_not_overwritten(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc.measured_once(gen, bench, tmp_path, capsys)
