"""What round 7 of the held-out set alone is held to: a cluster-scoped custom-resource culprit comes with a
cluster-scoped CRD, every culprit carries the recent change that made it the cause, and one question
names only a host.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource culprits
shipped with their CRD, pages that name only a victim, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout7`), on the same build (benchmarks/conftest.py).
No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout7/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout7")


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


def test_cluster_scoped_culprits_have_a_cluster_scoped_crd(built: Built) -> None:
    """A custom resource without a namespace is served only if its CRD says scope Cluster."""
    bundles, answers = built
    seen = 0
    for name, key in rc.keys(bundles, answers).items():
        culprit = key["culprit"]
        if culprit["namespace"] or culprit["kind"] in rc.BUILTIN_KINDS:
            continue
        seen += 1
        crds = json.loads((answers.parent / "bundles" / name / "extra" / "customresourcedefinitions.json").read_text())
        scopes = {i["spec"]["names"]["kind"]: i["spec"]["scope"] for i in crds["items"]}
        assert scopes[culprit["kind"]] == "Cluster", name
    assert seen >= 1


def test_every_culprit_carries_the_change_that_made_it_the_cause(built: Built) -> None:
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


def test_one_question_names_only_a_host(built: Built) -> None:
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
