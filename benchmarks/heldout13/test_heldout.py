"""What round 13 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause sits outside the paged object, the bundle really spreads the evidence.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout13`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout13/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout13")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout13").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_most_pages_are_on_a_victim_in_another_namespace(built: Built) -> None:
    """The round's theme: in at least eight incidents the culprit lives in a namespace (or cluster scope) that
    the alert payload never mentions."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        ns = key["culprit"]["namespace"]
        if not ns or (f'"{ns}"' not in said and f"{ns}/" not in said):
            elsewhere += 1
    assert elsewhere >= 8


def test_swapped_limits_show_in_the_new_revision_only(built: Built) -> None:
    """The deploy mistake is in the template: the new ReplicaSet gives the worker 256Mi and the sidecar 4Gi, the
    previous one the other way round, and the worker's pods die OOMKilled."""
    root = _bundle(built, "export-worker-crashloop")
    sets = sorted(_items(root, "etl", "replicasets.json"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    limits = [[ct["resources"]["limits"]["memory"] for ct in r["spec"]["template"]["spec"]["containers"]]
              for r in sets]
    assert limits == [["4Gi", "256Mi"], ["256Mi", "4Gi"]]
    pods = _items(root, "etl", "pods.json")
    assert pods
    for pod in pods:
        assert pod["spec"]["containers"][0]["resources"]["limits"]["memory"] == "256Mi"
        assert pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"] == "OOMKilled"


def test_host_question_node_alone_is_under_memory_pressure(built: Built) -> None:
    """The question names one node: that node (and only it) reports MemoryPressure, and the evicted pod ran
    there; the fluent-bit pod on it is the one whose memory grows."""
    root = _bundle(built, "node-pods-evicted-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    pressured = [n["metadata"]["name"] for n in nodes
                 if any(c["type"] == "MemoryPressure" and c["status"] == "True" for c in n["status"]["conditions"])]
    assert len(pressured) == 1 and pressured[0] in question
    evicted = [p for p in _items(root, "media", "pods.json") if p["status"].get("reason") == "Evicted"]
    assert [p["spec"]["nodeName"] for p in evicted] == pressured


def test_admission_incidents_show_their_cause_only_in_events(built: Built) -> None:
    """The refused pods never exist: the ReplicaSet controller's FailedCreate events are the only trace besides
    the changed object, and they name it."""
    for name, ns, needle in (("billing-rollout-replicas-missing", "billing", 'violates PodSecurity "restricted'),
                             ("orders-rollout-stuck-page", "orders", "x509: certificate signed by unknown authority")):
        root = _bundle(built, name)
        failed = [e for e in _items(root, ns, "events.json") if e["reason"] == "FailedCreate"]
        assert failed and all(needle in e["message"] for e in failed), name
        assert all(e["involvedObject"]["kind"] == "ReplicaSet" for e in failed), name
