"""What round 20 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the mix is about a third simple and two thirds victim pages, and the particular evidence the
stories rely on really is in the bundles.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout20`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout20/test_heldout.py
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
    return heldout_built("heldout20")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _said(root: Path) -> str:
    """Everything the on-call was told: the alert payloads and the question."""
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    return " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout20").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_a_third_simple_two_thirds_victim_pages_three_elsewhere(built: Built) -> None:
    """Four incidents page on the culprit itself (simple); eight page only on a victim, and in at least
    three of those the culprit's namespace (or cluster scope) is never mentioned."""
    bundles, answers = built
    simple = victim = elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        said = _said(answers.parent / "bundles" / name).lower()
        culprit = key["culprit"]
        if culprit["name"].lower() in said:
            simple += 1
            continue
        victim += 1
        ns = culprit["namespace"]
        if not ns or (f'"{ns}"' not in said and f"{ns}/" not in said):
            elsewhere += 1
    assert (simple, victim) == (4, 8)
    assert elsewhere >= 3


def test_noexecute_taint_on_the_asked_node_alone_and_its_pods_evicted(built: Built) -> None:
    """The question names one node: only it carries the NoExecute taint (set by kubectl taint), and every
    TaintManagerEviction event is for a pod that ran there."""
    root = _bundle(built, "node-pods-killed-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    tainted = [n for n in nodes if any(t["effect"] == "NoExecute" for t in n["spec"].get("taints", []))]
    assert [n["metadata"]["name"] for n in tainted] == [n["metadata"]["name"] for n in nodes
                                                        if n["metadata"]["name"] in question]
    assert any(m["manager"] == "kubectl-taint" for m in tainted[0]["metadata"]["managedFields"])
    evictions = [e for p in root.glob("cluster/*/events.json") for e in json.loads(p.read_text())["items"]
                 if e["reason"] == "TaintManagerEviction"]
    assert evictions
    killed = {e["involvedObject"]["name"] for e in evictions}
    ran_there = {e["involvedObject"]["name"] for p in root.glob("cluster/*/events.json")
                 for e in json.loads(p.read_text())["items"]
                 if e["reason"] == "Killing" and e["source"].get("host") == tainted[0]["metadata"]["name"]}
    assert killed == ran_there


def test_multi_attach_names_the_old_pod_holding_the_volume(built: Built) -> None:
    """The surge pod waits in ContainerCreating; the attach/detach controller names the running old pod."""
    root = _bundle(built, "wiki-rollout-stuck")
    pods = {p["metadata"]["name"]: p for p in _items(root, "knowledge", "pods.json")
            if p["metadata"]["name"].startswith("wiki-")}
    running = [n for n, p in pods.items() if p["status"]["phase"] == "Running"]
    events = [e for e in _items(root, "knowledge", "events.json") if e["reason"] == "FailedAttachVolume"]
    assert len(running) == 1 and len(events) == 1
    assert "Multi-Attach error" in events[0]["message"] and running[0] in events[0]["message"]
    assert events[0]["involvedObject"]["name"] in pods and events[0]["involvedObject"]["name"] != running[0]


def test_cluster_scoped_issuer_change_shows_on_the_challenge(built: Built) -> None:
    """The ClusterIssuer's solver class and the pending Challenge agree, and the Challenge says 404."""
    root = _bundle(built, "go-site-certificate-page")
    issuers = json.loads((root / "extra" / "clusterissuers.json").read_text())["items"]
    challenges = json.loads((root / "extra" / "challenges.json").read_text())["items"]
    solver = issuers[0]["spec"]["acme"]["solvers"][0]
    assert challenges[0]["spec"]["solver"] == solver
    assert "wrong status code '404'" in challenges[0]["status"]["reason"]
