"""What round 9 of the held-out set alone is held to: its causes are in the platform, and the host asked about
really is the one the platform left out.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource culprits
shipped with their CRD, pages that name only a victim, culprits carrying their change, a cluster-scoped
CRD, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout9`), on the same build (benchmarks/conftest.py).
No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout9/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built

PLATFORM_NAMESPACES = {"", "kube-system"}
"""Cluster-scoped objects and the system namespace: where a platform round's causes mostly live."""


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout9")


def test_most_causes_are_in_the_platform_not_the_paged_namespace(built: Built) -> None:
    """A platform round: at least seven culprits are cluster-scoped or in kube-system, and no culprit sits in
    the namespace its alert or question names (the page is always on a victim or a host)."""
    bundles, answers = built
    platform = 0
    for name, key in rc.keys(bundles, answers).items():
        culprit = key["culprit"]
        platform += culprit["namespace"] in PLATFORM_NAMESPACES
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        paged = set()
        for alert_file in manifest["alerts"]:
            payload = json.loads((root / alert_file).read_text())
            paged |= {a["labels"].get("namespace") for a in payload.get("alerts", [])}
        assert culprit["namespace"] not in paged - {None}, name
    assert platform >= 7


def test_the_host_asked_about_lacks_only_the_culprit_daemonset(built: Built) -> None:
    """The question's node is tainted and runs the other node agents but no pod of the culprit DaemonSet,
    while every untainted node runs one: the gap is in the bundle, not only in the key."""
    bundles, answers = built
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        question = yaml.safe_load((root / "manifest.yaml").read_text()).get("question", "")
        nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
        asked = [n for n in nodes if n["metadata"]["name"] in question]
        if not asked:
            continue
        assert key["culprit"]["kind"] == "DaemonSet", name
        pods = [i for i in rc.bundle_items(root) if i["kind"] == "Pod"]

        def agents_on(node: str, pods: list[dict[str, Any]] = pods) -> set[str]:
            return {p["metadata"]["ownerReferences"][0]["name"] for p in pods
                    if p["spec"].get("nodeName") == node and p["metadata"].get("ownerReferences")
                    and p["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"}

        for node in nodes:
            tainted = bool(node.get("spec", {}).get("taints"))
            running = agents_on(node["metadata"]["name"])
            assert (key["culprit"]["name"] in running) is not tainted, (name, node["metadata"]["name"])
            assert "aws-node" in running, (name, node["metadata"]["name"])
        assert all(n.get("spec", {}).get("taints") for n in asked), name
        return
    pytest.fail("no question names a host")
