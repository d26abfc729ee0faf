"""The held-out set builds into valid bundles with sane answer keys, the same bytes every time.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout/test_heldout.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.heldout import bench_heldout
from benchmarks.heldout.generate import ROUND, generate
from benchmarks.heldout.harness import preflight

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout")
    return generate(root / "bundles", root / "answers"), root / "answers"


def test_every_bundle_is_valid_and_every_key_is_sane(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    assert 10 <= len(bundles) <= 12
    assert preflight(bundles, answers) == []


def test_keys_are_varied_and_names_say_only_the_symptom(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    keys = {b.name: yaml.safe_load((answers / f"{b.name}.yaml").read_text()) for b in bundles}
    assert len({k["category"] for k in keys.values()}) == len(keys)
    assert len({k["culprit"]["kind"] for k in keys.values()}) >= 5
    for name, key in keys.items():
        assert key["red_herrings"], name
        manifest = yaml.safe_load((answers.parent / "bundles" / name / "manifest.yaml").read_text())
        assert manifest["description"] == ""
        said = f"{name} {manifest['title']} {manifest.get('question', '')}".lower()
        assert not [k for k in key["keywords"] if k.lower() in said], name  # the cause is found, not told


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


def test_the_wrapper_keeps_round_ones_fingerprint_and_refuses_to_overwrite(tmp_path: Path) -> None:
    """Round 1 fingerprints scenarios.py then _kit.py (its result files carry that hash); a result for the same
    scenarios is measured once, so a second run without --remeasure stops before generating anything."""
    import hashlib
    import json

    digest = hashlib.sha256((HERE / "scenarios.py").read_bytes() + (HERE / "_kit.py").read_bytes())
    assert ROUND.fingerprint() == digest.hexdigest()[:16]
    assert ROUND.results.name == "heldout.json"
    out = tmp_path / "heldout.json"
    out.write_text(json.dumps({"benchmark": "heldout", "scenarios_fingerprint": ROUND.fingerprint()}))
    assert bench_heldout.main(["--out", str(out)]) == 2
    assert json.loads(out.read_text())["benchmark"] == "heldout"
