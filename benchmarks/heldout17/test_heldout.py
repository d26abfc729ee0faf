"""What round 17 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the loudest evidence sits downstream of the cause, and every bundle carries more than one
recent change near the victim.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout17`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout17/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout17")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout17").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_several_recent_changes_near_every_victim(built: Built) -> None:
    """The round's noise: besides the culprit's change, the red herring also changed in the day before the
    incident (a new ReplicaSet or a managedFields entry), so "what changed last" alone does not answer."""
    bundles, answers = built
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        incident = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
        herring = key["red_herrings"][0]
        items = rc.bundle_items(root)
        times = [_when(i["metadata"]["creationTimestamp"]) for i in items if i["kind"] == "ReplicaSet"
                 and any(r["name"] == herring["name"] for r in i["metadata"].get("ownerReferences", []))]
        obj = next(i for i in items if i["kind"] == herring["kind"] and i["metadata"]["name"] == herring["name"]
                   and i["metadata"].get("namespace", "") == herring["namespace"])
        times += [_when(m["time"]) for m in obj["metadata"].get("managedFields", [])]
        assert [t for t in times if incident - timedelta(days=1) <= t <= incident], name


def test_the_loud_errors_are_downstream_of_the_culprit(built: Built) -> None:
    """Where the page is a victim's error, that error is logged by a pod that is not the culprit's: the pool
    timeout in order-api for a backup, knex timeouts for a cache flood, Envoy 504s for a logging change."""
    for name, ns, workload, needle in (
            ("order-api-latency-page", "orders", "order-api", "HikariPool-1 - Connection is not available"),
            ("profile-errors-burn", "accounts", "profile-api", "KnexTimeoutError"),
            ("search-gateway-timeouts", "edge", "api-gateway", "response_timeout"),
            ("payouts-errors-burn", "treasury", "payouts", "169.254.20.10:53: i/o timeout"),
            ("mobile-product-pages-page", "mobile", "mobile-bff", "ESOCKETTIMEDOUT")):
        root = _bundle(built, name)
        logs = [p.read_text() for p in (root / "cluster" / ns).glob(f"{workload}-*/logs.txt")]
        assert logs and all(needle in text for text in logs), name


def test_host_question_node_alone_runs_the_best_effort_pod(built: Built) -> None:
    """The question names one node: the culprit pod (no resources, BestEffort) runs there, and the probe
    failures the question describes are all on that node."""
    root = _bundle(built, "node-probes-flapping-question")
    question = (root / "alerts" / "question.txt").read_text()
    pod = next(p for p in _items(root, "analytics", "pods.json") if p["metadata"]["name"] == "adhoc-reindex")
    assert pod["spec"]["nodeName"] in question
    assert pod["status"]["qosClass"] == "BestEffort" and pod["spec"]["containers"][0]["resources"] == {}
    probes = [e for p in root.glob("cluster/*/events.json") for e in json.loads(p.read_text())["items"]
              if e["reason"] == "Unhealthy" and "probe failed" in e["message"]
              and e["source"].get("host") == pod["spec"]["nodeName"]]
    assert len(probes) >= 4


def test_the_restarted_deployment_is_the_messenger(built: Built) -> None:
    """subscription-api's new ReplicaSet came from a restart after the Secret edit: same image as before, so
    the rollout carries no change of its own, and the replica's log shows the refused writes."""
    root = _bundle(built, "renewals-failing-page")
    sets = _items(root, "subscriptions", "replicasets.json")
    images = {r["spec"]["template"]["spec"]["containers"][0]["image"]
              for r in sets if r["metadata"]["name"].startswith("subscription-api-")}
    assert len(images) == 1
    replica = (root / "cluster" / "subscriptions" / "subscription-pg-1" / "logs.txt").read_text()
    assert "cannot execute INSERT in a read-only transaction" in replica
