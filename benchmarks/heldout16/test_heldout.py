"""What round 16 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the on-call week's mix holds (culprits in another namespace than the victim, grouped pages), and
where a cause shows only in one place the bundle really carries it there.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout16`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout16/test_heldout.py
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

VICTIMS = {
    "pods-not-ready-grouped": ("invoicing", "invoice-api"), "basket-errors-burn": ("basket", "basket-api"),
    "click-events-not-arriving": ("analytics", "click-collector"),
    "log-pushes-rejected-grouped": ("loki", "loki-write"),
}
"""Where the page points (namespace, workload), for the incidents whose culprit lives in another namespace."""


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout16")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout16").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_culprits_in_another_namespace_than_the_victim(built: Built) -> None:
    """At least three culprits sit in another namespace than the paged victim, and the page names the victim
    but never the culprit's namespace."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    for name, (victim_ns, victim) in VICTIMS.items():
        culprit_ns = keys[name]["culprit"]["namespace"]
        assert culprit_ns and culprit_ns != victim_ns, name
        root = _bundle(built, name)
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        assert f'"{victim_ns}"' in said and victim in said, name
        assert f'"{culprit_ns}"' not in said and f"{culprit_ns}/" not in said, name
    assert len(VICTIMS) >= 3


def test_two_pages_are_grouped_notifications(built: Built) -> None:
    """Two incidents arrive as one Alertmanager notification carrying several alerts."""
    bundles, _ = built
    grouped = []
    for root in bundles:
        path = root / "alerts" / "alertmanager.json"
        if path.exists() and len(json.loads(path.read_text())["alerts"]) > 1:
            grouped.append(root.name)
    assert sorted(grouped) == ["log-pushes-rejected-grouped", "pods-not-ready-grouped"]


def test_prestop_hook_fails_only_since_the_distroless_revision(built: Built) -> None:
    """The new ReplicaSet runs the distroless build with the same `sleep` preStop hook; the kubelet reports
    FailedPreStopHook with "executable file not found"."""
    root = _bundle(built, "rate-calculator-errors-burn")
    sets = sorted([r for r in _items(root, "tariffs", "replicasets.json")
                   if r["metadata"]["name"].startswith("rate-calculator-")],
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    images = [r["spec"]["template"]["spec"]["containers"][0]["image"] for r in sets]
    assert [i.rsplit(":", 1)[1] for i in images] == ["4.1.3", "4.2.0"]
    for r in sets:
        hook = r["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
        assert hook == ["sleep", "15"]
    failed = [e for e in _items(root, "tariffs", "events.json") if e["reason"] == "FailedPreStopHook"]
    assert failed and all('exec: "sleep": executable file not found in $PATH' in e["message"] for e in failed)


def test_host_question_node_runs_every_new_replica(built: Built) -> None:
    """The question names one node; the new revision's required podAffinity put all its pods there, next to the
    single cache pod, and the previous revision had no affinity."""
    root = _bundle(built, "node-load-high-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]
    named = [n for n in nodes if n in question]
    assert len(named) == 1
    pods = [p for p in _items(root, "media", "pods.json")
            if p["metadata"]["labels"].get("app") in ("thumbnail-render", "media-cache")]
    assert len(pods) == 9 and {p["spec"]["nodeName"] for p in pods} == set(named)
    sets = sorted([r for r in _items(root, "media", "replicasets.json")
                   if r["metadata"]["name"].startswith("thumbnail-render-")],
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    assert "affinity" not in sets[0]["spec"]["template"]["spec"]
    terms = sets[1]["spec"]["template"]["spec"]["affinity"]["podAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms[0]["labelSelector"]["matchLabels"] == {"app": "media-cache"}


def test_pull_secrets_expired_because_the_refresher_fails(built: Built) -> None:
    """The refresher's last success is more than 12 h (an ECR token's life) before the page, its recent Jobs
    failed, and the paged pods wait on a 403 from the registry."""
    root = _bundle(built, "pods-not-ready-grouped")
    at = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
    items = rc.bundle_items(root)
    cron = next(i for i in items if i["kind"] == "CronJob")
    assert at - _when(cron["status"]["lastSuccessfulTime"]) > timedelta(hours=12)
    jobs = [i for i in items if i["kind"] == "Job" and i["metadata"]["namespace"] == "platform-ops"]
    assert len(jobs) == 3 and all(j["status"].get("failed") == 1 for j in jobs)
    for ns in ("invoicing", "notify"):
        waiting = [p for p in _items(root, ns, "pods.json")
                   if p["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("reason")
                   == "ImagePullBackOff"]
        assert len(waiting) == 1, ns
        assert "403 Forbidden" in waiting[0]["status"]["containerStatuses"][0]["state"]["waiting"]["message"]


def test_relabelled_namespace_no_longer_matches_the_policy(built: Built) -> None:
    """The NetworkPolicy admits callers by a namespace label that the relabelled Namespace no longer carries."""
    root = _bundle(built, "storefront-checkout-timeouts-page")
    items = rc.bundle_items(root)
    ns = next(i for i in items if i["kind"] == "Namespace" and i["metadata"]["name"] == "webshop")
    policy = next(i for i in items if i["kind"] == "NetworkPolicy")
    wanted = policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert wanted == {"team": "webshop"}
    assert any(ns["metadata"]["labels"].get(k) != v for k, v in wanted.items())
    assert any(m["manager"] == "argocd-controller" for m in ns["metadata"]["managedFields"])
