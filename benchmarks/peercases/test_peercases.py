"""The peer-shaped cases build into valid bundles with sane keys, in the alert shapes the issue asks for.

No investigation runs here (bench.py measures); these tests check that every bundle validates as
`vigil bundle validate` does and every key's keywords occur in its own root cause (the held-out
preflight), every culprit exists in its own bundle, no title or question gives a keyword away,
questions name no namespace, the alerts include the shapes issue #12 names (a chat question, a
KubePodCrashLooping alert, a KubeDeploymentReplicasMismatch without a pod label), generation is
deterministic, and the first-contact result is never overwritten.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/peercases/test_peercases.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.peercases import bench
from benchmarks.peercases.generate import generate

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("peercases")
    return generate(root / "bundles", root / "answers"), root / "answers"


def _keys(bundles: list[Path], answers: Path) -> dict[str, dict[str, Any]]:
    return {b.name: yaml.safe_load((answers / f"{b.name}.yaml").read_text()) for b in bundles}


def _objects(bundle: Path) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for path in [*bundle.glob("cluster/**/*.json"), *bundle.glob("extra/*.json")]:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or "items" not in doc:
            continue
        for item in doc["items"]:
            if isinstance(item, dict) and "metadata" in item:
                kind = item.get("kind") or str(doc.get("kind", "")).removesuffix("List")
                found.add((kind, item["metadata"].get("namespace", "") or "", item["metadata"].get("name", "")))
    return found


def test_at_least_thirty_valid_bundles_with_sane_keys(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    assert len(bundles) >= 30
    assert bench.preflight(bundles, answers) == []


def test_culprits_exist_and_the_words_of_the_case_do_not_give_the_answer_away(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    keys = _keys(bundles, answers)
    assert len({k["category"] for k in keys.values()}) == len(keys)
    assert len({k["culprit"]["kind"] for k in keys.values()}) >= 10
    for name, key in keys.items():
        c = key["culprit"]
        assert (c["kind"], c["namespace"], c["name"]) in _objects(answers.parent / "bundles" / name), name
        manifest = yaml.safe_load((answers.parent / "bundles" / name / "manifest.yaml").read_text())
        said = f"{manifest['title']} {manifest.get('question', '')}".lower()
        assert not [k for k in key["keywords"] if k.lower() in said], name


def test_the_alert_shapes_the_issue_names_are_all_there(built: tuple[list[Path], Path]) -> None:
    bundles, answers = built
    shapes: dict[str, int] = {}
    for bundle in bundles:
        manifest = yaml.safe_load((bundle / "manifest.yaml").read_text())
        question = manifest.get("question")
        if question:
            # The workload is named; its namespace is never given as one ("in NS", "namespace NS", "NS/name",
            # "-n NS"). A word may still equal it by chance ("the price alerts service" in namespace alerts).
            ns = yaml.safe_load((answers / f"{bundle.name}.yaml").read_text())["culprit"]["namespace"]
            low = question.lower()
            if ns and bundle.name != "asked-namespace-only":  # that one gives the namespace and nothing else
                assert not re.search(rf"(?:\bin |namespace |-n ){re.escape(ns)}\b|\b{re.escape(ns)}/", low), bundle.name
            shapes["question"] = shapes.get("question", 0) + 1
            continue
        payload = json.loads((bundle / "alerts" / "alertmanager.json").read_text())
        labels = payload["alerts"][0]["labels"]
        shapes[labels["alertname"]] = shapes.get(labels["alertname"], 0) + 1
        if labels["alertname"] == "KubeDeploymentReplicasMismatch":
            assert "pod" not in labels, bundle.name
    assert shapes.get("question", 0) >= 15
    assert shapes.get("KubePodCrashLooping", 0) >= 3 and shapes.get("KubeDeploymentReplicasMismatch", 0) >= 3


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


def test_the_first_contact_result_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "peercases.json"
    first = {"benchmark": "peercases", "first_contact": {"accuracy": 0.5}}
    out.write_text(json.dumps(first))
    assert bench.main(["--out", str(out)]) == 2
    assert json.loads(out.read_text()) == first
    assert "measured once" in capsys.readouterr().err
