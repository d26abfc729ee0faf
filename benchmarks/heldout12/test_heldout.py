"""What round 12 of the held-out set alone is held to: half platform, half application incidents, each
citing the kind of public story it re-creates, and where the cause hides outside the object people read
first, the bundle really shows it.

The checks every round shares run for this round from benchmarks/heldout/test_rounds.py (`-k heldout12`),
on the same build (benchmarks/conftest.py). No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout12/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout12")


def test_every_story_cites_the_public_story_it_was_drawn_from() -> None:
    """Each docstring's second paragraph says which published mechanism the incident re-creates."""
    builders = by_name("heldout12").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_the_round_is_half_platform_half_application() -> None:
    """The brief asked for equal parts: the scenario module marks each section platform or application."""
    text = (by_name("heldout12").generator().ROUND.directory / "scenarios.py").read_text()
    assert text.count("(platform") == 6
    assert text.count("(application") == 6


def test_the_host_question_shows_the_fault_only_on_the_new_node(built: Built) -> None:
    """The question names one node: it is the only node created after the EC2NodeClass change, and only pods
    on it log database connection timeouts."""
    bundles, answers = built
    root = next(b for b in bundles if b.name == "node-db-unreachable-question")
    key = rc.keys(bundles, answers)[root.name]
    question = (root / "alerts" / "question.txt").read_text()
    host = next(w for w in question.split() if w.endswith(".compute.internal"))
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    newest = max(nodes, key=lambda n: n["metadata"]["creationTimestamp"])
    assert newest["metadata"]["name"] == host
    changed = max(m["time"] for m in rc.culprit_object(root, key)["metadata"]["managedFields"])
    assert changed < newest["metadata"]["creationTimestamp"]
    timing_out = set()
    for pods_file in root.glob("cluster/*/pods.json"):
        for pod in json.loads(pods_file.read_text())["items"]:
            logs = pods_file.parent / pod["metadata"]["name"] / "logs.txt"
            if logs.exists() and "connect: connection timed out" in logs.read_text():
                timing_out.add(pod["spec"]["nodeName"])
    assert timing_out == {host}


def test_redelivered_payouts_show_the_same_task_on_two_workers(built: Built) -> None:
    """Each settlement task id is received by both workers, the second about 300 s (the visibility timeout)
    after the first: the duplicate is in the logs, the cause in the ConfigMap."""
    bundles, _ = built
    root = next(b for b in bundles if b.name == "payouts-sent-twice")
    received: dict[str, list[str]] = {}
    for logs in root.glob("cluster/payments/payouts-worker-*/logs.txt"):
        for line in logs.read_text().splitlines():
            if line.endswith("] received"):
                task = line.rsplit("[", 1)[1].split("]")[0]
                received.setdefault(task, []).append(logs.parent.name)
    assert len(received) == 3
    assert all(len(set(pods)) == 2 for pods in received.values())
    cms = json.loads((root / "extra" / "configmaps.json").read_text())["items"]
    config = next(c for c in cms if c["metadata"]["name"] == "payouts-worker-config")
    assert config["data"]["BROKER_VISIBILITY_TIMEOUT"] == "300"
