"""What round 11 of the held-out set alone is held to: each story cites the public postmortem it re-creates,
and where the cause hides outside the object people read first, the bundle really shows the gap.

The checks every round shares (valid bundles, sane keys, new failure types, custom-resource culprits
shipped with their CRD, pages that name only a victim, culprits carrying their change, questions naming
only a host, ...) run for this round from benchmarks/heldout/test_rounds.py (`-k heldout11`), on the
same build (benchmarks/conftest.py). No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout11/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout11")


def test_every_story_cites_the_public_story_it_was_drawn_from() -> None:
    """The round re-creates published failure mechanisms: each docstring's second paragraph says which."""
    builders = by_name("heldout11").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_vpa_culprit_shows_only_in_the_pods_not_the_template(built: Built) -> None:
    """The VPA rewrites pods at admission: the Deployment still asks for 2Gi while its pods run with less,
    and each pod carries the vpaUpdates annotation naming the VPA that did it."""
    bundles, answers = built
    for name, key in rc.keys(bundles, answers).items():
        if key["culprit"]["kind"] != "VerticalPodAutoscaler":
            continue
        root = answers.parent / "bundles" / name
        ns, vpa = key["culprit"]["namespace"], key["culprit"]["name"]
        deploys = json.loads((root / "cluster" / ns / "deployments.json").read_text())["items"]
        template = deploys[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
        pods = json.loads((root / "cluster" / ns / "pods.json").read_text())["items"]
        assert template == "2Gi" and pods
        for pod in pods:
            assert pod["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1Gi"
            assert vpa in pod["metadata"]["annotations"]["vpaUpdates"]
        return
    pytest.fail("no VerticalPodAutoscaler culprit in round 11")


def test_the_host_question_shows_the_cni_failure_on_that_node_only(built: Built) -> None:
    """The question names one node: pods there (and only there) wait in ContainerCreating, and the kubelet's
    FailedCreatePodSandBox events say the CNI could not assign an IP address."""
    bundles, _ = built
    root = next(b for b in bundles if b.name == "node-containercreating-question")
    question = (root / "alerts" / "question.txt").read_text()
    node = next(n for n in question.split() if n.endswith(".compute.internal"))
    stuck = []
    for pods_file in root.glob("cluster/*/pods.json"):
        for pod in json.loads(pods_file.read_text())["items"]:
            waiting = [s["state"].get("waiting", {}).get("reason") for s in pod["status"]["containerStatuses"]]
            if "ContainerCreating" in waiting:
                assert pod["spec"]["nodeName"] == node
                stuck.append(pod["metadata"]["name"])
    events = [e for f in root.glob("cluster/*/events.json") for e in json.loads(f.read_text())["items"]
              if e["reason"] == "FailedCreatePodSandBox"]
    assert stuck and {e["involvedObject"]["name"] for e in events} == set(stuck)
    assert all("failed to assign an IP address" in e["message"] for e in events)
