"""What round 8 of the held-out set alone is held to: every culprit that is an object someone edits carries the
recent change that made it the cause, a Node culprit shows its cause in a node condition, a cluster-scoped
custom-resource culprit comes with a Cluster-scoped CRD, and exactly one question names only a host.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource culprits
shipped with their CRD, pages that name only a victim, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout8`), on the same build (benchmarks/conftest.py).
No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout8/test_heldout.py
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
    return heldout_built("heldout8")


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


def _culprit(root: Path, key: dict[str, Any]) -> dict[str, Any]:
    c = key["culprit"]
    return next(i for i in _items(root) if i["kind"] == c["kind"] and i["metadata"]["name"] == c["name"]
                and i["metadata"].get("namespace", "") == c["namespace"])


def test_edited_culprits_carry_the_change_that_made_them_the_cause(built: Built) -> None:
    """Several causes are visible only as a change: the bundle must record it on the culprit (a managedFields
    entry of a person or tool, or a new ReplicaSet) within a day before the incident, or it has no evidence."""
    bundles, answers = built
    checked = 0
    for name, key in rc.keys(bundles, answers).items():
        if key["culprit"]["kind"] == "Node":
            continue
        root = answers.parent / "bundles" / name
        incident = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
        obj = _culprit(root, key)
        times = [_when(m["time"]) for m in obj["metadata"].get("managedFields", [])
                 if not m.get("subresource") and m["manager"] != "kube-controller-manager"]
        times += [_when(i["metadata"]["creationTimestamp"]) for i in _items(root) if i["kind"] == "ReplicaSet"
                  and any(r["name"] == obj["metadata"]["name"] for r in i["metadata"].get("ownerReferences", []))]
        assert [t for t in times if incident - timedelta(days=1) <= t <= incident], name
        checked += 1
    assert checked >= 10


def test_a_node_culprit_shows_its_cause_in_a_condition(built: Built) -> None:
    """A Node is the culprit only through a condition that is True while the node still reports Ready."""
    bundles, answers = built
    nodes = 0
    for name, key in rc.keys(bundles, answers).items():
        if key["culprit"]["kind"] != "Node":
            continue
        nodes += 1
        conditions = {c["type"]: c["status"] for c in _culprit(answers.parent / "bundles" / name, key)["status"]
                      ["conditions"]}
        assert conditions["Ready"] == "True", name
        assert [t for t, s in conditions.items() if t != "Ready" and s == "True"], name
    assert nodes == 1


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
