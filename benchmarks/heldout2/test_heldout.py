"""Round 2 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once); these tests only check
that every bundle validates, every key's culprit and red herrings exist in its own bundle, the
keys do not leak into what the on-call sees, generation is deterministic, and the benchmark keeps
round 1's refuse-to-overwrite rule.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout2/test_heldout.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks.heldout2 import bench_heldout
from benchmarks.heldout2.bench_heldout import preflight
from benchmarks.heldout2.generate import generate

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout2")
    return generate(root / "bundles", root / "answers"), root / "answers"


def _keys(bundles: list[Path], answers: Path) -> dict[str, dict]:
    return {b.name: yaml.safe_load((answers / f"{b.name}.yaml").read_text()) for b in bundles}


def _objects(bundle: Path) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every object the bundle's cluster dump holds."""
    found: set[tuple[str, str, str]] = set()
    for path in [*bundle.glob("cluster/**/*.json"), *bundle.glob("extra/*.json")]:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or "items" not in doc:
            continue
        list_kind = str(doc.get("kind", ""))
        for item in doc["items"]:
            if not isinstance(item, dict) or "metadata" not in item:
                continue
            kind = item.get("kind") or list_kind.removesuffix("List")
            meta = item["metadata"]
            found.add((kind, meta.get("namespace", "") or "", meta.get("name", "")))
    return found


def test_every_bundle_is_valid_and_every_key_is_sane(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    assert len(bundles) == 12
    assert preflight(bundles, answers) == []


def test_culprits_and_red_herrings_exist_in_their_bundles(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    for name, key in _keys(bundles, answers).items():
        objects = _objects(answers.parent / "bundles" / name)
        culprit = key["culprit"]
        assert (culprit["kind"], culprit["namespace"], culprit["name"]) in objects, name
        for herring in key["red_herrings"]:
            assert (herring["kind"], herring["namespace"], herring["name"]) in objects, name
            assert herring != culprit, name


def test_keys_are_varied_and_names_say_only_the_symptom(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    keys = _keys(bundles, answers)
    assert len({k["category"] for k in keys.values()}) == len(keys)
    assert len({k["culprit"]["kind"] for k in keys.values()}) >= 5
    sources: set[str] = set()
    for name, key in keys.items():
        assert key["red_herrings"], name
        assert len(key["secret_canaries"]) > 3, name  # its own secret besides the background's three
        manifest = yaml.safe_load((answers.parent / "bundles" / name / "manifest.yaml").read_text())
        assert manifest["description"] == ""
        sources.update(Path(a).name for a in manifest["alerts"])
        if manifest.get("question"):
            sources.add("question")
        said = f"{name} {manifest['title']} {manifest.get('question', '')}".lower()
        assert not [k for k in key["keywords"] if k.lower() in said], name  # the cause is found, not told
    assert sources == {"alertmanager.json", "pagerduty.json", "question"}


def test_round_two_shares_no_category_with_round_one(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    round1 = (HERE.parent / "heldout" / "scenarios.py").read_text()
    for name, key in _keys(bundles, answers).items():
        assert f'category="{key["category"]}"' not in round1, name
        assert f'"{name}"' not in round1, name


def test_generation_is_deterministic(built: tuple[list[Path], Path], tmp_path: Path) -> None:
    bundles, _ = built
    again = generate(tmp_path / "bundles", tmp_path / "answers")
    for first, second in zip(bundles, again, strict=True):
        files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
        assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_answers_inside_the_bundles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside --out"):
        generate(tmp_path / "b", tmp_path / "b" / "answers")


def test_a_result_for_the_same_scenarios_is_not_overwritten(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "heldout2.json"
    first = {"benchmark": "heldout2", "scenarios_fingerprint": bench_heldout.fingerprint(), "accuracy": 0.5}
    out.write_text(json.dumps(first))
    assert bench_heldout.main(["--out", str(out)]) == 2
    assert json.loads(out.read_text()) == first
    assert "measured once per round" in capsys.readouterr().err
    assert bench_heldout.RESULTS.name == "heldout2.json"
