"""What round 14 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, the cause sits away from the paged object, and the few facts each story rests on are really in
the bundle (the changed template, the Job that ran after the edit, the node the question names).

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, custom-resource culprits with their CRD, questions naming only a host, ...)
run for this round from benchmarks/heldout/test_rounds.py (`-k heldout14`), on the same build
(benchmarks/conftest.py). No investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout14/test_heldout.py
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
    return heldout_built("heldout14")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _env(template: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in template["spec"]["containers"][0].get("env", [])}


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout14").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_most_pages_are_on_a_victim_in_another_namespace(built: Built) -> None:
    """The round's theme: in at least eight incidents the culprit lives in a namespace (or cluster scope) that
    the alert payload or question never mentions."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        ns = key["culprit"]["namespace"]
        if not ns or (f'"{ns}"' not in said and f"{ns}/" not in said):
            elsewhere += 1
    assert elsewhere >= 8


def test_every_red_herring_changed_shortly_before_the_page(built: Built) -> None:
    """A red herring is a nearby change: its newest ReplicaSet was created in the hour before the incident."""
    bundles, answers = built
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        at = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
        herring = key["red_herrings"][0]
        sets = [r for r in _items(root, herring["namespace"], "replicasets.json")
                if r["metadata"]["ownerReferences"][0]["name"] == herring["name"]]
        newest = max(_when(r["metadata"]["creationTimestamp"]) for r in sets)
        assert at - timedelta(hours=1) <= newest <= at, name


def test_dropped_or_changed_settings_show_only_between_revisions(built: Built) -> None:
    """Two incidents rest on a revision's environment: the keep-alive override exists in the previous
    ReplicaSet and not in the new one; the constant message group exists only in the new one."""
    for name, ns, app, before, after in (
            ("storefront-502s-grouped", "web", "storefront-bff", "SERVER_KEEPALIVE_TIMEOUT_MS", None),
            ("refund-queue-age-high", "payments", "refund-publisher", "MESSAGE_GROUP_KEY", "MESSAGE_GROUP_ID")):
        root = _bundle(built, name)
        sets = sorted((r for r in _items(root, ns, "replicasets.json") if r["metadata"]["labels"]["app"] == app),
                      key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
        old, new = (_env(r["spec"]["template"]) for r in sets[-2:])
        assert before in old and before not in new, name
        if after:
            assert after in new and after not in old, name


def test_reindex_job_ran_after_the_edit_with_no_replicas(built: Built) -> None:
    """The CronJob was edited before its last run, and that Job (owned by it) carried number_of_replicas 0."""
    root = _bundle(built, "search-cluster-red-page")
    extra = json.loads((root / "extra" / "cronjobs.json").read_text())["items"]
    cron = next(i for i in extra if i["metadata"]["name"] == "catalog-reindex")
    edit = max(_when(m["time"]) for m in cron["metadata"]["managedFields"])
    jobs = json.loads((root / "extra" / "jobs.json").read_text())["items"]
    runs = [j for j in jobs if j["metadata"]["ownerReferences"][0]["name"] == "catalog-reindex"]
    assert runs and all(_when(j["status"]["startTime"]) > edit for j in runs)
    for job in runs:
        settings = json.loads(_env(job["spec"]["template"])["INDEX_SETTINGS"])
        assert settings["number_of_replicas"] == 0


def test_host_question_node_runs_the_busy_backends(built: Built) -> None:
    """The question names one node: the inventory pods there are among the busy ones, and the Service they sit
    behind is a ClusterIP created (re-created) on the incident's day."""
    root = _bundle(built, "node-cpu-hot-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = [n["metadata"]["name"] for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]]
    named = [n for n in nodes if n in question]
    assert len(named) == 1
    pods = [p for p in _items(root, "inventory", "pods.json") if p["metadata"]["labels"].get("app") == "inventory"]
    on_node = [p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == named[0]]
    assert len(on_node) == 2
    for pod in on_node:
        assert '"rps":4' in (root / "cluster" / "inventory" / pod / "logs.txt").read_text()
    service = next(s for s in _items(root, "inventory", "services.json")
                   if s["metadata"]["name"] == "inventory-grpc")
    assert service["spec"]["clusterIP"] != "None"
    at = _when(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])
    assert at - timedelta(hours=12) <= _when(service["metadata"]["creationTimestamp"]) <= at
