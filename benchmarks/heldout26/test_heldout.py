"""What round 26 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the round's mix (cluster-scoped culprits, culprits in another namespace than the page, simple
incidents) holds, and where the cause is a node template or a snapshot class the bundle really carries it.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout26`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout26/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout26")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _extra(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout26").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_the_round_mix_of_culprits(built: Built) -> None:
    """At least three culprits are cluster-scoped, at least three live in a namespace the page never names, and
    about a third of the incidents are simple: the culprit is the paged (or asked-about) workload's own object."""
    bundles, answers = built
    cluster_scoped = elsewhere = simple = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        culprit = key["culprit"]
        if not culprit["namespace"]:
            cluster_scoped += 1
        elif f'"{culprit["namespace"]}"' not in said and f'{culprit["namespace"]}/' not in said:
            elsewhere += 1
        if culprit["name"] in said:
            simple += 1
    assert cluster_scoped >= 3
    assert elsewhere >= 3
    assert 3 <= simple <= 5


def test_host_question_node_alone_has_disk_pressure_from_the_new_template(built: Built) -> None:
    """The question names one node: it alone reports DiskPressure, it was launched after the node class edit
    that raised containerLogMaxSize, and the pods evicted for ephemeral-storage ran there."""
    root = _bundle(built, "node-evictions-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    pressured = [n for n in nodes
                 if any(c["type"] == "DiskPressure" and c["status"] == "True" for c in n["status"]["conditions"])]
    assert len(pressured) == 1 and pressured[0]["metadata"]["name"] in question
    (ncls,) = _extra(root, "EC2NodeClass")
    edit = next(m for m in ncls["metadata"]["managedFields"] if m["manager"] == "kubectl-edit")
    assert "containerLogMaxSize: 4Gi" in ncls["spec"]["userData"]
    assert pressured[0]["metadata"]["creationTimestamp"] > edit["time"]
    assert pressured[0]["metadata"]["labels"]["karpenter.k8s.aws/ec2nodeclass"] == ncls["metadata"]["name"]
    evicted = [p for p in _items(root, "analytics", "pods.json") if p["status"].get("reason") == "Evicted"]
    assert len(evicted) == 2
    assert all(p["spec"]["nodeName"] == pressured[0]["metadata"]["name"] for p in evicted)
    assert all("ephemeral-storage" in p["status"]["message"] for p in evicted)


def test_the_stuck_snapshot_is_bound_to_a_driver_nobody_serves(built: Built) -> None:
    """Tonight's snapshot is not ready and its content names the class's (wrong) driver; the earlier ones, made
    before the class was re-created, name the installed driver and are ready."""
    root = _bundle(built, "orders-backup-failed")
    (cls,) = _extra(root, "VolumeSnapshotClass")
    contents = {c["metadata"]["name"]: c for c in _extra(root, "VolumeSnapshotContent")}
    snaps = sorted(_extra(root, "VolumeSnapshot"), key=lambda s: s["metadata"]["name"])
    assert [s["status"]["readyToUse"] for s in snaps] == [True, True, False]
    drivers = [contents[s["status"]["boundVolumeSnapshotContentName"]]["spec"]["driver"] for s in snaps]
    assert drivers == ["ebs.csi.aws.com", "ebs.csi.aws.com", cls["driver"]]
    assert cls["driver"] != "ebs.csi.aws.com"


def test_sandbox_failures_only_on_pods_created_after_the_node_config_change(built: Built) -> None:
    """The new storefront-web pods never get a sandbox (FailedCreatePodSandBox naming runc's cgroup error); the
    pods that ran before the containerd-config rollout keep running."""
    root = _bundle(built, "storefront-replicas-grouped")
    pods = _items(root, "storefront", "pods.json")
    web = [p for p in pods if p["metadata"]["name"].startswith("storefront-web-")]
    waiting = [p for p in web if "waiting" in p["status"]["containerStatuses"][0]["state"]]
    assert len(web) == 5 and len(waiting) == 2
    failed = [e for e in _items(root, "storefront", "events.json") if e["reason"] == "FailedCreatePodSandBox"]
    assert {e["involvedObject"]["name"] for e in failed} == {p["metadata"]["name"] for p in waiting}
    assert all("systemd cgroups" in e["message"] for e in failed)
    revisions = [r for r in rc.bundle_items(root) if r["kind"] == "ControllerRevision"
                 and r["metadata"]["ownerReferences"][0]["name"] == "containerd-config"]
    newest = max(revisions, key=lambda r: r["revision"])
    assert all(p["metadata"]["creationTimestamp"] > newest["metadata"]["creationTimestamp"] for p in waiting)
