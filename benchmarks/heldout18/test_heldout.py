"""What round 18 of the held-out set alone is held to: each story names the public write-up it restages, most
culprits sit outside the paged namespace, and where the cause is indirect the bundle really carries the trace.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout18`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout18/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout18")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the public postmortem or vendor document it restages."""
    builders = by_name("heldout18").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_most_culprits_live_outside_the_paged_namespace(built: Built) -> None:
    """The round's brief: at least four (here six) culprits live in a namespace, or at cluster scope, that the
    alert payload or question never mentions."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        ns = key["culprit"]["namespace"]
        if not ns or (f'"{ns}"' not in said and f"{ns}/" not in said):
            elsewhere += 1
    assert elsewhere >= 6


def test_mutated_pod_image_differs_from_its_template(built: Built) -> None:
    """The admission policy's rewrite shows only on the pod: the Deployment asks for ghcr.io, the stuck pod runs the
    mirror's reference, carries Kyverno's patch annotation, and its pull events name the mirror."""
    root = _bundle(built, "label-printer-rollout-page")
    deploy = next(d for d in _items(root, "fulfilment", "deployments.json") if d["metadata"]["name"] == "label-printer")
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"].startswith("ghcr.io/")
    stuck = [p for p in _items(root, "fulfilment", "pods.json") if p["status"]["phase"] == "Pending"]
    assert len(stuck) == 1
    assert stuck[0]["spec"]["containers"][0]["image"].startswith("harbor.example.com/")
    assert "rewrite-image-registry" in stuck[0]["metadata"]["annotations"]["policies.kyverno.io/last-applied-patches"]
    failed = [e for e in _items(root, "fulfilment", "events.json")
              if e["involvedObject"]["name"] == stuck[0]["metadata"]["name"] and e["reason"] == "Failed"]
    assert failed and all("ghcr.io" not in e["message"] for e in failed)


def test_only_pods_started_after_the_sysctl_change_crash(built: Built) -> None:
    """Strict overcommit bites at JVM start: the crash-looping quote-service pods were created after the
    DaemonSet's newest ControllerRevision, the running ones before it."""
    root = _bundle(built, "quote-service-crashloop-question")
    revisions = json.loads((root / "extra" / "controllerrevisions.json").read_text())["items"]
    change = max(_when(r["metadata"]["creationTimestamp"]) for r in revisions
                 if r["metadata"]["ownerReferences"][0]["name"] == "sysctl-tuner")
    pods = [p for p in _items(root, "pricing", "pods.json") if p["metadata"]["name"].startswith("quote-service-")]
    crashing = [p for p in pods if p["status"]["containerStatuses"][0]["restartCount"] > 0]
    running = [p for p in pods if p not in crashing]
    assert len(crashing) == 2 and len(running) == 3
    assert all(_when(p["metadata"]["creationTimestamp"]) > change for p in crashing)
    assert all(_when(p["metadata"]["creationTimestamp"]) < change for p in running)


def test_host_question_names_the_one_node_launched_from_the_changed_class(built: Built) -> None:
    """The question names a node: it alone was launched from EC2NodeClass search-nodes, after its change, and the
    crash-looping OpenSearch pod runs there."""
    root = _bundle(built, "node-restarts-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    from_class = [n for n in nodes if n["metadata"]["labels"].get("karpenter.k8s.aws/ec2nodeclass") == "search-nodes"]
    assert len(from_class) == 1 and from_class[0]["metadata"]["name"] in question
    crashing = [p for p in _items(root, "search", "pods.json")
                if p["status"]["containerStatuses"][0]["restartCount"] > 0]
    assert [p["spec"]["nodeName"] for p in crashing] == [from_class[0]["metadata"]["name"]]
