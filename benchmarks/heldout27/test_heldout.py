"""What round 27 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where a delivery change hides behind a healthy-looking object, the bundle really carries the
trace that gives it away.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout27`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout27/test_heldout.py
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
    return heldout_built("heldout27")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _of_kind(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout27").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_log_formats_are_mixed(built: Built) -> None:
    """Two chat questions (one naming a workload without its namespace, one a node), one grouped notification,
    one SLO burn and PagerDuty pages; the culprits span delivery objects: three custom resources."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    questions = {n: k["question"] for n, k in keys.items() if k.get("question")}
    assert len(questions) == 2
    assert "checkout-api" in questions["checkout-releases-aborted-question"]
    assert "checkout " not in questions["checkout-releases-aborted-question"].replace("checkout-api", "")
    burns = [b for b in bundles if (b / "alerts" / "alertmanager.json").exists()
             and "ErrorBudgetBurn" in (b / "alerts" / "alertmanager.json").read_text()]
    assert [b.name for b in burns] == ["storefront-basket-errors-burn"]
    assert len([b for b in bundles if (b / "alerts" / "pagerduty.json").exists()]) >= 2
    custom = {k["culprit"]["kind"] for k in keys.values()} - rc.BUILTIN_KINDS
    assert custom == {"ClusterAnalysisTemplate", "ImagePolicy", "HelmRelease"}


def test_analysis_errors_come_from_the_changed_cluster_template(built: Built) -> None:
    """Every aborted canary's AnalysisRun errors on an empty result, the template now queries a metric name
    that checkout-api does not export, and it was changed after the last release that still passed."""
    root = _bundle(built, "checkout-releases-aborted-question")
    template = _of_kind(root, "ClusterAnalysisTemplate")[0]
    query = template["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
    assert "http_server_requests_seconds_count" in query
    runs = _of_kind(root, "AnalysisRun")
    assert runs and all(r["status"]["phase"] == "Error" and "slice index out of range" in r["status"]["message"]
                        for r in runs)
    metrics = (root / "metrics" / "metrics.om.txt").read_text()
    checkout_families = {line.split("{")[0] for line in metrics.splitlines()
                         if 'service="checkout-api"' in line and not line.startswith("#")}
    assert checkout_families == {"http_requests_total"}


def test_only_the_updated_statefulset_pod_runs_the_new_image(built: Built) -> None:
    """A StatefulSet rolls from the highest ordinal: ledger-store-2 runs 3.0.0 and crash-loops, 0 and 1 keep the
    old image and serve."""
    root = _bundle(built, "ledger-store-replicas-mismatch")
    pods = {p["metadata"]["name"]: p for p in _items(root, "ledger", "pods.json")
            if p["metadata"]["name"].startswith("ledger-store-")}
    images = {n: p["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for n, p in pods.items()}
    assert images == {"ledger-store-0": "2.9.3", "ledger-store-1": "2.9.3", "ledger-store-2": "3.0.0"}
    logs = (root / "cluster" / "ledger" / "ledger-store-2" / "logs.txt").read_text()
    assert "permission denied" in logs


def test_only_the_new_revision_renders_the_empty_flag(built: Built) -> None:
    """--reuse-values leaves the chart's new value empty: the new ReplicaSet's args carry `-max-db-conns=`, the
    previous one's a number, and the crashing pod prints Go's flag usage."""
    root = _bundle(built, "stock-service-crashloop")
    sets = sorted(_items(root, "inventory", "replicasets.json"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    sets = [r for r in sets if r["metadata"]["name"].startswith("stock-service-")]
    flags = [[a for a in r["spec"]["template"]["spec"]["containers"][0]["args"] if a.startswith("-max-db-conns")]
             for r in sets]
    assert flags == [["-max-db-conns=20"], ["-max-db-conns="]]


def test_worker_pods_run_but_consume_nothing(built: Built) -> None:
    """The ENTRYPOINT change shows only in what the pods print: a web server listening, no consumer; the queue's
    consumers fall to zero when the rollout finishes."""
    root = _bundle(built, "invoice-queue-backlog")
    pods = [p for p in _items(root, "billing", "pods.json") if p["metadata"]["name"].startswith("invoice-renderer-")]
    assert pods and all(p["status"]["phase"] == "Running" for p in pods)
    for pod in pods:
        logs = (root / "cluster" / "billing" / pod["metadata"]["name"] / "logs.txt").read_text()
        assert "Server listening" in logs and "consum" not in logs


def test_host_question_node_alone_carries_the_agent_overhead(built: Built) -> None:
    """The question names one node: only the falco pod there logs dropped events, and the DaemonSet's newest
    ControllerRevision is the one that added -A."""
    root = _bundle(built, "node-slow-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    falco = [p for p in _items(root, "security", "pods.json") if p["metadata"]["name"].startswith("falco-")]
    dropping = [p["spec"]["nodeName"] for p in falco
                if "syscall event drop" in (root / "cluster" / "security" / p["metadata"]["name"] /
                                            "logs.txt").read_text()]
    assert len(dropping) == 1 and dropping[0] in question
    revisions = sorted(_of_kind(root, "ControllerRevision"), key=lambda r: int(r["revision"]))
    falco_revs = [r for r in revisions if r["metadata"]["ownerReferences"][0]["name"] == "falco"]
    assert "-A" in falco_revs[-1]["data"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "-A" not in falco_revs[-2]["data"]["spec"]["template"]["spec"]["containers"][0]["args"]
