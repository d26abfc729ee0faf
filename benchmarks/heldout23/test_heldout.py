"""What round 23 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the admission refusals show only where the real controllers put them, and the host question's
node is the one that was drained and rebooted.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout23`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout23/test_heldout.py
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
    return heldout_built("heldout23")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout23").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_the_round_promises(built: Built) -> None:
    """Chat questions (one naming a workload only, one a node only), a grouped notification, PagerDuty, SLO burn."""
    bundles, answers = built
    questions, grouped, pagerduty, burn = [], 0, 0, 0
    for root in bundles:
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        for alert_file in manifest["alerts"]:
            payload = json.loads((root / alert_file).read_text())
            pagerduty += "event" in payload
            alerts = payload.get("alerts", [])
            grouped += len(alerts) > 1
            burn += any(a["labels"]["alertname"] == "ErrorBudgetBurn" for a in alerts)
    assert len(questions) >= 3 and grouped >= 1 and pagerduty >= 2 and burn >= 1
    assert rc.questions_naming_only_a_host(bundles, answers) == 1
    assert any(" namespace" not in q and "-" in q.split("?")[0] for q in questions)


def test_admission_refusals_show_only_as_controller_events(built: Built) -> None:
    """Refused pods never exist: the ReplicaSet controller's FailedCreate events quote the policy that refused
    them, and the new ReplicaSet owns no pod."""
    for name, ns, workload, needle in (
            ("payouts-replicas-mismatch", "payouts", "payouts-api", "no matching signatures"),
            ("checkout-web-not-scaling-page", "storefront", "checkout-web", "validation.gatekeeper.sh"),
            ("report-api-rollout-page", "reporting", "report-api", "max limit to request ratio")):
        root = _bundle(built, name)
        failed = [e for e in _items(root, ns, "events.json") if e["reason"] == "FailedCreate"]
        assert failed and all(needle in e["message"] for e in failed), name
        assert {e["involvedObject"]["kind"] for e in failed} == {"ReplicaSet"}, name
        refusing = {e["involvedObject"]["name"] for e in failed}
        owners = {r["name"] for p in _items(root, ns, "pods.json") for r in p["metadata"].get("ownerReferences", [])}
        assert (refusing and not refusing & owners) or name == "checkout-web-not-scaling-page", name
        assert any(p["metadata"]["labels"].get("app") == workload for p in _items(root, ns, "pods.json")), name


def test_quota_refusal_leaves_the_ordinal_pod_uncreated(built: Built) -> None:
    """The StatefulSet wants four pods; the fourth's claim is refused by the quota, so pod and claim are absent."""
    root = _bundle(built, "opensearch-replicas-mismatch")
    pods = {p["metadata"]["name"] for p in _items(root, "search", "pods.json")}
    assert {"opensearch-data-0", "opensearch-data-1", "opensearch-data-2"} <= pods
    assert "opensearch-data-3" not in pods
    events = [e for e in _items(root, "search", "events.json") if e["reason"] == "FailedCreate"]
    assert events and all("exceeded quota: tenant-storage" in e["message"] for e in events)


def test_host_question_node_is_the_one_rebooted(built: Built) -> None:
    """The node the question names has a Rebooted event; the evicted pods' replacements run elsewhere."""
    root = _bundle(built, "node-disruption-midmorning-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    nodes = [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]
    named = [n for n in nodes if n in question]
    assert len(named) == 1
    events = [e for p in root.glob("cluster/*/events.json") for e in json.loads(p.read_text())["items"]]
    rebooted = [e for e in events if e["reason"] == "Rebooted"]
    assert [e["involvedObject"]["name"] for e in rebooted] == named
