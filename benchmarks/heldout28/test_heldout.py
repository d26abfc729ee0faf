"""What round 28 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and the capacity evidence (node resources, eviction and admission events, autoscaler status) is
really where the stories say it is.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout28`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout28/test_heldout.py
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
    return heldout_built("heldout28")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _nodes(root: Path) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / "nodes.json").read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout28").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_at_least_four_culprits_sit_outside_the_paged_namespace(built: Built) -> None:
    """The round's brief: four or more culprits are cluster-scoped or in a namespace the page never names."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        ns = key["culprit"]["namespace"]
        if not ns or (f'"{ns}"' not in said and f"{ns}/" not in said and f" {ns}" not in said):
            elsewhere += 1
    assert elsewhere >= 4


def test_hugepages_nodes_offer_none_and_the_pods_ask_for_them(built: Built) -> None:
    """The drifted dataplane nodes report hugepages-2Mi 0 while every packet-gateway pod requests 2Gi and is
    Pending with the scheduler saying so."""
    root = _bundle(built, "packet-gateway-pending-grouped")
    pool = [n for n in _nodes(root) if n["metadata"]["labels"].get("karpenter.sh/nodepool") == "dataplane"]
    assert pool and all(n["status"]["allocatable"]["hugepages-2Mi"] == "0" for n in pool)
    pods = _items(root, "net", "pods.json")
    gateway = [p for p in pods if p["metadata"]["name"].startswith("packet-gateway-")]
    assert len(gateway) == 3
    for pod in gateway:
        assert pod["spec"]["containers"][0]["resources"]["requests"]["hugepages-2Mi"] == "2Gi"
        assert pod["status"]["phase"] == "Pending"
    failed = [e for e in _items(root, "net", "events.json") if e["reason"] == "FailedScheduling"]
    assert failed and all("Insufficient hugepages-2Mi" in e["message"] for e in failed)


def test_crashing_renderer_pods_run_only_on_arm64_nodes(built: Built) -> None:
    """exec format error happens exactly where the architecture differs: crash-looping pods sit on arm64 nodes,
    the running one on amd64."""
    root = _bundle(built, "invoice-renderer-crashloop-page")
    arch = {n["metadata"]["name"]: n["metadata"]["labels"]["kubernetes.io/arch"] for n in _nodes(root)}
    pods = [p for p in _items(root, "billing", "pods.json") if p["metadata"]["name"].startswith("invoice-renderer-")]
    crashing = [p for p in pods if p["status"]["containerStatuses"][0]["restartCount"] > 0]
    healthy = [p for p in pods if p["status"]["containerStatuses"][0]["restartCount"] == 0]
    assert crashing and healthy
    assert {arch[p["spec"]["nodeName"]] for p in crashing} == {"arm64"}
    assert {arch[p["spec"]["nodeName"]] for p in healthy} == {"amd64"}


def test_es_data_request_exceeds_every_node(built: Built) -> None:
    """The new revision's memory request is larger than the allocatable memory of every node of its pool."""
    root = _bundle(built, "es-data-replicas-mismatch")
    pool = [n for n in _nodes(root) if n["metadata"]["labels"].get("pool") == "search-data"]
    allocatable_ki = [int(n["status"]["allocatable"]["memory"].removesuffix("Ki")) for n in pool]
    assert pool and max(allocatable_ki) < 32 * 1024 * 1024
    pending = [p for p in _items(root, "search", "pods.json") if p["status"]["phase"] == "Pending"]
    assert [p["metadata"]["name"] for p in pending] == ["es-data-2"]
    assert pending[0]["spec"]["containers"][0]["resources"]["requests"]["memory"] == "32Gi"


def test_host_question_node_is_cordoned_and_its_pod_doubly_protected(built: Built) -> None:
    """The node in the question is unschedulable, a ledger-writer pod is still on it, and exactly two PDBs
    select that pod's labels."""
    root = _bundle(built, "node-stuck-cordoned-question")
    question = (root / "alerts" / "question.txt").read_text()
    cordoned = [n["metadata"]["name"] for n in _nodes(root) if n["spec"].get("unschedulable")]
    assert len(cordoned) == 1 and cordoned[0] in question
    on_node = [p for p in _items(root, "ledger", "pods.json")
               if p["spec"]["nodeName"] == cordoned[0] and p["metadata"]["labels"].get("app") == "ledger-writer"]
    assert len(on_node) == 1
    pdbs = [i for i in rc.bundle_items(root) if i["kind"] == "PodDisruptionBudget"
            and i["spec"]["selector"]["matchLabels"].items() <= on_node[0]["metadata"]["labels"].items()]
    assert len(pdbs) == 2


def test_quota_refusal_shows_only_as_job_events(built: Built) -> None:
    """The refused Job never got a pod: its FailedCreate events name the BestEffort quota, and the Job's
    template sets no requests."""
    root = _bundle(built, "reconciliation-overdue")
    jobs = [i for i in rc.bundle_items(root) if i["kind"] == "Job" and i["metadata"]["namespace"] == "finance"]
    assert len(jobs) == 1
    assert jobs[0]["spec"]["template"]["spec"]["containers"][0]["resources"] == {}
    failed = [e for e in _items(root, "finance", "events.json") if e["reason"] == "FailedCreate"]
    assert failed and all("exceeded quota: no-besteffort" in e["message"] for e in failed)
    assert not [p for p in _items(root, "finance", "pods.json") if p["metadata"]["name"].startswith("ledger-")]
