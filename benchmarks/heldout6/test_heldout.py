"""Round 6 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once). The checks every round
shares are in benchmarks/heldout/round_checks.py; this file names the round and what is particular
to it (custom-resource culprits ship with their CRD; several alerts fire on a victim and never name
the object at fault).

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout6/test_heldout.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout6 import bench_heldout as bench
from benchmarks.heldout6 import generate as gen

EARLIER = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "peercases")
"""The sets written before this one, whose failure types and names it must not repeat."""

BUILTIN = {"ConfigMap", "Node", "Deployment", "ServiceAccount", "StatefulSet", "Service", "Ingress", "Job"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout6")
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
    rc.rounds_kept_apart(gen, "heldout5")


def test_generation_is_deterministic(built: tuple[list[Path], Path], tmp_path: Path) -> None:
    rc.deterministic(gen, built[0], tmp_path)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    rc.bad_arguments_refused(gen, tmp_path)


def test_a_result_for_the_same_scenarios_is_not_overwritten(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc.measured_once(gen, bench, tmp_path, capsys)


def test_custom_resource_culprits_ship_with_their_crd(built: tuple[list[Path], Path]) -> None:
    """A culprit of a kind Kubernetes does not define is only findable if its CRD is in extra/ too."""
    bundles, answers = built
    custom = 0
    for name, key in rc.keys(bundles, answers).items():
        kind = key["culprit"]["kind"]
        if kind in BUILTIN:
            continue
        custom += 1
        crds = json.loads((answers.parent / "bundles" / name / "extra" / "customresourcedefinitions.json").read_text())
        defined = {(i["spec"]["names"]["kind"], i["spec"]["group"]) for i in crds["items"]}
        group = rc.api_group(answers.parent / "bundles" / name, kind)
        assert (kind, group) in defined, name
    assert custom >= 1


def test_several_pages_name_only_a_victim(built: tuple[list[Path], Path]) -> None:
    """At least four incidents page on (or ask about) a victim: the culprit's name is nowhere in the
    alert payloads or the question, so it must be found in another object or namespace."""
    bundles, answers = built
    victims = []
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        if key["culprit"]["name"].lower() not in said.lower():
            victims.append(name)
    assert len(victims) >= 4, victims
