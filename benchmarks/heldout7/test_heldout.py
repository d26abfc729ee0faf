"""Round 7 of the held-out set builds into valid bundles with sane, consistent answer keys.

No investigation runs here (the set is blind until it is measured once). The checks every round
shares are in benchmarks/heldout/round_checks.py; this file names the round and what is particular
to it (custom-resource culprits ship with their CRD, a cluster-scoped one with a cluster-scoped CRD;
several alerts fire on a victim and never name the object at fault; every culprit carries the
recent change that made it the cause).

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout7/test_heldout.py
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout7 import bench_heldout as bench
from benchmarks.heldout7 import generate as gen

EARLIER = ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "peercases")
"""The sets written before this one, whose failure types and names it must not repeat."""

BUILTIN = {"ConfigMap", "Node", "Namespace", "Deployment", "DaemonSet", "ServiceAccount", "StatefulSet", "Service",
           "Ingress", "Job", "HorizontalPodAutoscaler"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("heldout7")
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
    rc.rounds_kept_apart(gen, "heldout6")


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
    assert custom >= 4


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


def _items(bundle: Path) -> list[dict[str, Any]]:
    """Every object of the bundle's cluster dump and extra/, with its kind filled in from its List."""
    found = []
    for path in [*bundle.glob("cluster/**/*.json"), *bundle.glob("extra/*.json")]:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict):
            continue
        for item in doc.get("items", []):
            if isinstance(item, dict) and "metadata" in item:
                found.append({**item, "kind": item.get("kind") or str(doc.get("kind", "")).removesuffix("List")})
    return found


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_cluster_scoped_culprits_have_a_cluster_scoped_crd(built: tuple[list[Path], Path]) -> None:
    """A custom resource without a namespace is served only if its CRD says scope Cluster."""
    bundles, answers = built
    seen = 0
    for name, key in rc.keys(bundles, answers).items():
        culprit = key["culprit"]
        if culprit["namespace"] or culprit["kind"] in BUILTIN:
            continue
        seen += 1
        crds = json.loads((answers.parent / "bundles" / name / "extra" / "customresourcedefinitions.json").read_text())
        scopes = {i["spec"]["names"]["kind"]: i["spec"]["scope"] for i in crds["items"]}
        assert scopes[culprit["kind"]] == "Cluster", name
    assert seen >= 1


def test_every_culprit_carries_the_change_that_made_it_the_cause(built: tuple[list[Path], Path]) -> None:
    """The cause is a recent change, and the bundle records it on the culprit: a managedFields entry, a new
    ReplicaSet or ControllerRevision, or (a Job) its run, within a day before the incident. Without it a
    change-only incident would have no evidence at all."""
    bundles, answers = built
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        incident = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
        culprit = key["culprit"]
        items = _items(root)
        obj = next(i for i in items if i["kind"] == culprit["kind"] and i["metadata"]["name"] == culprit["name"]
                   and i["metadata"].get("namespace", "") == culprit["namespace"])
        times = [_when(m["time"]) for m in obj["metadata"].get("managedFields", [])
                 if not m.get("subresource") and m["manager"] not in ("kube-controller-manager",)]
        owned = [i for i in items if i["kind"] in ("ReplicaSet", "ControllerRevision")
                 and any(r["name"] == culprit["name"] for r in i["metadata"].get("ownerReferences", []))]
        times += [_when(i["metadata"]["creationTimestamp"]) for i in owned]
        if culprit["kind"] == "Job":
            times.append(_when(obj["status"]["startTime"]))
        recent = [t for t in times if incident - timedelta(days=1) <= t <= incident]
        assert recent, f"{name}: no change on {culprit['kind']} {culprit['name']} in the day before the incident"


def test_one_question_names_only_a_host(built: tuple[list[Path], Path]) -> None:
    """One chat question names a node and nothing else: the workload and the culprit must be found from it."""
    bundles, answers = built
    hosts = 0
    for name in rc.keys(bundles, answers):
        root = answers.parent / "bundles" / name
        question = yaml.safe_load((root / "manifest.yaml").read_text()).get("question", "")
        nodes = {n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]}
        workloads = {i["metadata"]["name"] for i in _items(root) if i["kind"] in ("Deployment", "DaemonSet",
                                                                                  "StatefulSet")}
        if any(n in question for n in nodes) and not any(w in question for w in workloads):
            hosts += 1
    assert hosts == 1
