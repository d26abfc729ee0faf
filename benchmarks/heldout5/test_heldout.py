"""Round 5 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once); these tests only check
that every bundle validates, every key's culprit and red herrings exist in its own bundle, the
keys do not leak into what the on-call sees, the failure types are new, generation is
deterministic, the benchmark keeps the refuse-to-overwrite rule, and rounds loaded in one process
do not shadow each other's `scenarios` (the reason the harness loads each under its own name).

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout5/test_heldout.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout5 import bench_heldout as bench
from benchmarks.heldout5 import generate as gen

HERE = Path(__file__).resolve().parent
BENCHMARKS = HERE.parent



@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout5")
    return gen.generate(root / "bundles", root / "answers"), root / "answers"


def _keys(bundles: list[Path], answers: Path) -> dict[str, dict[str, Any]]:
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


def _api_group(bundle: Path, kind: str) -> str:
    """The API group of the custom resources of `kind` in the bundle's extra/ files."""
    for path in bundle.glob("extra/*.json"):
        doc = json.loads(path.read_text())
        for item in doc.get("items", []):
            if isinstance(item, dict) and (item.get("kind") or str(doc.get("kind", "")).removesuffix("List")) == kind:
                return str(item.get("apiVersion") or doc.get("apiVersion", "")).split("/")[0]
    return ""


def test_every_bundle_is_valid_and_every_key_is_sane(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    assert len(bundles) == 12
    assert bench.preflight(bundles, answers) == []


def test_culprits_and_red_herrings_exist_in_their_bundles(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    for name, key in _keys(bundles, answers).items():
        objects = _objects(answers.parent / "bundles" / name)
        culprit = key["culprit"]
        assert (culprit["kind"], culprit["namespace"], culprit["name"]) in objects, name
        assert len(key["red_herrings"]) == 1, name  # one plausible, unrelated suspect per story
        for herring in key["red_herrings"]:
            assert (herring["kind"], herring["namespace"], herring["name"]) in objects, name
            assert herring != culprit, name


def test_keys_are_varied_and_names_say_only_the_symptom(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    keys = _keys(bundles, answers)
    assert len({k["category"] for k in keys.values()}) == len(keys)
    assert len({k["culprit"]["kind"] for k in keys.values()}) >= 6
    sources: set[str] = set()
    grouped = 0
    for name, key in keys.items():
        assert 2 <= len(key["keywords"]) <= 4, name
        assert len(key["secret_canaries"]) > 3, name  # its own secret besides the background's three
        manifest = yaml.safe_load((answers.parent / "bundles" / name / "manifest.yaml").read_text())
        assert manifest["description"] == ""
        sources.update(Path(a).name for a in manifest["alerts"])
        for alert_file in manifest["alerts"]:
            payload = json.loads((answers.parent / "bundles" / name / alert_file).read_text())
            grouped += len(payload.get("alerts", [])) > 1
        if manifest.get("question"):
            sources.add("question")
        said = f"{name} {manifest['title']} {manifest.get('question', '')}".lower()
        assert not [k for k in key["keywords"] if k.lower() in said], name  # the cause is found, not told
    assert sources == {"alertmanager.json", "pagerduty.json", "question"}
    assert grouped >= 1  # at least one grouped Alertmanager notification


def test_custom_resource_culprits_ship_with_their_crd(built: tuple[list[Path], Path]) -> None:
    """A culprit of a kind Kubernetes does not define is only findable if its CRD is in extra/ too."""
    bundles, answers = built
    builtin = {"ConfigMap", "Node", "Deployment", "ServiceAccount", "CronJob", "DaemonSet", "Service"}
    custom = 0
    for name, key in _keys(bundles, answers).items():
        kind = key["culprit"]["kind"]
        if kind in builtin:
            continue
        custom += 1
        crds = json.loads((answers.parent / "bundles" / name / "extra" / "customresourcedefinitions.json").read_text())
        defined = {(i["spec"]["names"]["kind"], i["spec"]["group"]) for i in crds["items"]}
        group = _api_group(answers.parent / "bundles" / name, kind)
        assert (kind, group) in defined, name
    assert custom >= 3


def test_round_five_shares_no_failure_type_or_name_with_earlier_sets(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    earlier = [(BENCHMARKS / d / "scenarios.py").read_text()
               for d in ("heldout", "heldout2", "heldout3", "heldout4", "peercases")]
    corpus = BENCHMARKS.parent / "examples" / "corpus" / "scenarios"
    earlier += [p.read_text() for p in sorted(corpus.glob("*.py"))]
    for name, key in _keys(bundles, answers).items():
        for text in earlier:
            assert f'category="{key["category"]}"' not in text, name
            assert f'"{name}"' not in text, name


def test_rounds_loaded_together_keep_their_own_scenarios() -> None:
    """Round 4 and round 5 in one process: each round's builders come from its own file."""
    harness = gen.harness
    round4 = harness.Round("heldout4", BENCHMARKS / "heldout4")
    names5 = set(harness.scenario_names(gen.ROUND))
    names4 = set(harness.scenario_names(round4))
    assert len(names5) == len(names4) == 12
    assert not names5 & names4
    assert sys.modules["heldout5_scenarios"].__file__ == str(HERE / "scenarios.py")
    assert sys.modules["heldout4_scenarios"].__file__ == str(BENCHMARKS / "heldout4" / "scenarios.py")


def test_generation_is_deterministic(built: tuple[list[Path], Path], tmp_path: Path) -> None:
    bundles, _ = built
    again = gen.generate(tmp_path / "bundles", tmp_path / "answers")
    for first, second in zip(bundles, again, strict=True):
        files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
        assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_answers_inside_the_bundles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside --out"):
        gen.generate(tmp_path / "b", tmp_path / "b" / "answers")


def test_unknown_only_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        gen.generate(tmp_path / "b", tmp_path / "a", ["no-such-incident"])


def test_a_result_for_the_same_scenarios_is_not_overwritten(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "heldout5.json"
    first = {"benchmark": "heldout5", "scenarios_fingerprint": bench.fingerprint(), "accuracy": 0.5}
    out.write_text(json.dumps(first))
    assert bench.main(["--out", str(out)]) == 2
    assert json.loads(out.read_text()) == first
    assert "measured once per round" in capsys.readouterr().err
    assert bench.RESULTS.name == "heldout5.json"
    assert re.fullmatch(r"[0-9a-f]{16}", bench.fingerprint())
