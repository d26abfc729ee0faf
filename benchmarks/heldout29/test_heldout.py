"""What round 29 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and the identity evidence sits where the real software would leave it.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout29`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout29/test_heldout.py
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
    return heldout_built("heldout29")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout29").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_the_round_promises(built: Built) -> None:
    """Two or more chat questions (one naming a workload without its namespace), a grouped Alertmanager
    notification, a PagerDuty v3 event and an SLO burn."""
    bundles, _ = built
    questions, grouped, pagerduty, burn = [], 0, 0, 0
    for root in bundles:
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        for name in manifest["alerts"]:
            payload = json.loads((root / name).read_text())
            if "event" in payload:
                pagerduty += payload["event"]["event_type"] == "incident.triggered"
                continue
            grouped += len(payload["alerts"]) > 1
            burn += any(a["labels"]["alertname"] == "ErrorBudgetBurn" for a in payload["alerts"])
    assert len(questions) >= 2 and grouped >= 1 and pagerduty >= 1 and burn >= 1
    assert any("storefront-web" in q and "storefront/" not in q and "namespace" not in q for q in questions)


def test_callers_page_while_the_identity_change_sits_elsewhere(built: Built) -> None:
    """At least four incidents page in a caller while the culprit is an identity provider, a gateway or a shared
    policy object in another namespace (or cluster scope) that the page never names."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        culprit = key["culprit"]
        if culprit["name"] not in said and (not culprit["namespace"] or f'"{culprit["namespace"]}"' not in said):
            elsewhere += 1
    assert elsewhere >= 4


def test_idp_replicas_each_publish_their_own_keys(built: Built) -> None:
    """The dex revision that the portal's 401s follow runs three replicas on memory storage, and the portal's
    log names the jose error for an unknown kid."""
    root = _bundle(built, "billing-portal-unauthorized-page")
    deploy = next(d for d in _items(root, "identity", "deployments.json") if d["metadata"]["name"] == "dex")
    env = deploy["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "DEX_STORAGE_TYPE", "value": "memory"} in env and deploy["spec"]["replicas"] == 3
    logs = "".join(p.read_text() for p in (root / "cluster" / "billing").glob("billing-portal-*/logs.txt"))
    assert "no applicable key found in the JSON Web Key Set" in logs


def test_host_question_node_alone_runs_the_upgraded_agent(built: Built) -> None:
    """The node in the question is the only one whose spire-agent runs the new image, and the crash-looping pods
    ran there."""
    root = _bundle(built, "node-crashloops-host-question")
    question = (root / "alerts" / "question.txt").read_text()
    agents = _items(root, "spire", "pods.json")
    upgraded = [p["spec"]["nodeName"] for p in agents if p["spec"]["containers"][0]["image"].endswith(":1.11.1")]
    assert len(upgraded) == 1 and upgraded[0] in question
    crashing = [p["spec"]["nodeName"] for ns in ("pricing", "treasury") for p in _items(root, ns, "pods.json")
                if p["status"]["containerStatuses"][0]["restartCount"] > 0]
    assert crashing and set(crashing) == set(upgraded)


def test_split_secret_key_shows_in_pod_start_times(built: Built) -> None:
    """Only the admin-portal pods created after helm rewrote the Secret carry the new key: two pods predate the
    Secret's change and two follow it."""
    root = _bundle(built, "admin-portal-forbidden-page")
    secret = next(s for s in json.loads((root / "extra" / "secrets.json").read_text())["items"]
                  if s["metadata"]["name"] == "admin-portal-django")
    rewritten = secret["metadata"]["managedFields"][0]["time"]
    pods = [p for p in _items(root, "backoffice", "pods.json") if p["metadata"]["name"].startswith("admin-portal-")]
    after = [p for p in pods if p["metadata"]["creationTimestamp"] > rewritten]
    assert len(pods) == 4 and len(after) == 2
