"""What round 21 of the held-out set alone is held to: gray failures (one node, one tenant, a fraction of
requests) whose page names a victim while a shared piece changed, plus three simple cases, and each story
says which kind of public failure it re-creates.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout21`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout21/test_heldout.py
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
    return heldout_built("heldout21")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _said(root: Path) -> str:
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    return " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout21").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_three_simple_cases_page_on_the_culprit_itself(built: Built) -> None:
    """The round's simple cases: exactly three pages name the culprit, whose own spec carries the cause;
    the other nine name only a victim."""
    bundles, answers = built
    named = sorted(name for name, key in rc.keys(bundles, answers).items()
                   if key["culprit"]["name"] in _said(answers.parent / "bundles" / name))
    assert named == ["config-etcd-leader-changes", "ledger-api-throttled", "quote-api-latency-spikes"]


def test_host_question_node_alone_runs_the_new_agent_revision(built: Built) -> None:
    """The host question's node is the only one whose agent pod carries the new ControllerRevision's hash,
    and the only node whose CPU utilisation series goes near 100%."""
    root = _bundle(built, "node-everything-slow-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    agents = _items(root, "observability", "pods.json")
    revisions = [r for r in json.loads((root / "extra" / "controllerrevisions.json").read_text())["items"]
                 if any(o["kind"] == "DaemonSet" and o["name"] == "parca-agent"
                        for o in r["metadata"].get("ownerReferences", []))]
    newest = max(revisions, key=lambda r: r["revision"])["metadata"]["labels"]["controller-revision-hash"]
    on_new = [p["spec"]["nodeName"] for p in agents if p["metadata"]["labels"]["controller-revision-hash"] == newest]
    assert len(on_new) == 1 and on_new[0] in question
    hot = {line.split('instance="')[1].split('"')[0]
           for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines()
           if line.startswith("instance:node_cpu_utilisation:rate5m{") and float(line.split()[1]) > 0.9}
    assert hot == set(on_new)


def test_the_not_ready_pod_stays_behind_the_service(built: Built) -> None:
    """The Service publishes not-ready addresses and exactly one of its pods fails readiness."""
    root = _bundle(built, "product-pages-errors")
    svc = next(s for s in _items(root, "catalog", "services.json") if s["metadata"]["name"] == "catalog-api")
    assert svc["spec"]["publishNotReadyAddresses"] is True
    unready = [p for p in _items(root, "catalog", "pods.json") if p["metadata"]["labels"].get("app") == "catalog-api"
               and not all(cs["ready"] for cs in p["status"]["containerStatuses"])]
    assert len(unready) == 1


def test_cluster_scoped_node_pool_labels_every_node(built: Built) -> None:
    """The NodePool culprit has no namespace, and every node says it belongs to it (so the page's victims lead
    to it through their nodes); Karpenter's disruptions show as Node events."""
    root = _bundle(built, "replicas-short-grouped")
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    assert {n["metadata"]["labels"]["karpenter.sh/nodepool"] for n in nodes} == {"general-purpose"}
    events = [e for path in (root / "cluster").glob("*/events.json") for e in json.loads(path.read_text())["items"]]
    assert any(e["reason"] == "DisruptionTerminating" and e["involvedObject"]["kind"] == "Node" for e in events)
