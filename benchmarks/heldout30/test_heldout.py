"""What round 30 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and the platform evidence sits where the real software would leave it.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout30`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout30/test_heldout.py
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
    return heldout_built("heldout30")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _extra(root: Path, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "extra" / filename).read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout30").generator().ROUND.builders()
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
    assert any("rfs-sessions" in q and "sessions/" not in q and "namespace" not in q for q in questions)


def test_applications_page_while_the_platform_change_sits_elsewhere(built: Built) -> None:
    """At least four incidents page in (or ask about) an application while the culprit is a platform component or
    its configuration in another namespace (or cluster scope) that the page never names."""
    bundles, answers = built
    elsewhere = 0
    for name, key in rc.keys(bundles, answers).items():
        root = answers.parent / "bundles" / name
        said = " ".join(p.read_text() for p in (root / "alerts").iterdir())
        culprit = key["culprit"]
        if culprit["name"] not in said and (not culprit["namespace"] or f'"{culprit["namespace"]}"' not in said):
            elsewhere += 1
    assert elsewhere >= 4


def test_host_question_node_alone_runs_the_disk_buffer_revision(built: Built) -> None:
    """The node in the question is the only one whose log agent runs the new revision, it reports DiskPressure,
    and the evicted pods ran there."""
    root = _bundle(built, "node-evictions-host-question")
    question = (root / "alerts" / "question.txt").read_text()
    agents = _items(root, "logging", "pods.json")
    upgraded = [
        p["spec"]["nodeName"]
        for p in agents
        if p["metadata"]["name"].startswith("vector-")
        and p["spec"]["containers"][0]["image"].endswith(":0.42.0-distroless-libc")
    ]
    assert len(upgraded) == 1 and upgraded[0] in question
    node = next(
        n
        for n in json.loads((root / "cluster" / "nodes.json").read_text())["items"]
        if n["metadata"]["name"] == upgraded[0]
    )
    assert any(c["type"] == "DiskPressure" and c["status"] == "True" for c in node["status"]["conditions"])
    evicted = [
        p["spec"]["nodeName"] for p in _items(root, "media", "pods.json") if p["status"].get("reason") == "Evicted"
    ]
    assert evicted and set(evicted) == set(upgraded)


def test_garbage_collected_secret_is_gone_and_the_cronjob_keeps_no_jobs(built: Built) -> None:
    """The Secret the new pods need is absent from the dump, the CronJob keeps no successful Job and its
    controller recorded deleting today's run."""
    root = _bundle(built, "event-pods-not-ready-grouped")
    assert "events-kafka-client-tls" not in {s["metadata"]["name"] for s in _extra(root, "secrets.json")}
    cronjob = next(o for o in rc.bundle_items(root) if o["kind"] == "CronJob")
    assert cronjob["spec"]["successfulJobsHistoryLimit"] == 0
    assert (
        "ownerReferences" in cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"][2]
    )
    reasons = {
        e["reason"]
        for e in _items(root, "events", "events.json")
        if e["involvedObject"]["name"] == "kafka-client-cert-renewer"
    }
    assert {"SawCompletedJob", "SuccessfulDelete"} <= reasons


def test_reloader_reloads_everything_and_the_victim_never_opted_in(built: Built) -> None:
    """Reloader's current revision carries --auto-reload-all=true, catalog-api has no reloader annotation, and
    catalog-api's ReplicaSets follow the ConfigMap's ten-minute rewrites."""
    root = _bundle(built, "catalog-api-error-bursts-page")
    reloader = next(d for d in _items(root, "reloader", "deployments.json") if d["metadata"]["name"] == "reloader")
    assert "--auto-reload-all=true" in reloader["spec"]["template"]["spec"]["containers"][0]["args"]
    catalog = next(d for d in _items(root, "catalog", "deployments.json") if d["metadata"]["name"] == "catalog-api")
    annotations = {
        **catalog["metadata"].get("annotations", {}),
        **catalog["spec"]["template"]["metadata"].get("annotations", {}),
    }
    assert not [k for k in annotations if k.startswith("reloader.stakater.com")]
    owned = [
        r
        for r in _items(root, "catalog", "replicasets.json")
        if r["metadata"]["ownerReferences"][0]["name"] == "catalog-api"
    ]
    assert len(owned) >= 8


def test_only_pods_with_the_injected_proxy_env_are_refused(built: Built) -> None:
    """The quotes-api pods that carry the policy's HTTP_PROXY are exactly those that log squid's 403."""
    root = _bundle(built, "quotes-api-availability-burn")
    pods = [p for p in _items(root, "quotes", "pods.json") if p["metadata"]["name"].startswith("quotes-api-")]
    proxied = {
        p["metadata"]["name"]
        for p in pods
        if any(e["name"] == "HTTP_PROXY" for e in p["spec"]["containers"][0].get("env", []))
    }
    refused = {
        p["metadata"]["name"]
        for p in pods
        if "ERR_ACCESS_DENIED" in (root / "cluster" / "quotes" / p["metadata"]["name"] / "logs.txt").read_text()
    }
    assert len(pods) == 3 and proxied and proxied == refused
