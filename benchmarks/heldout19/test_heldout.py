"""What round 19 of the held-out set alone is held to: the everyday on-call queue, half simple incidents whose
cause sits in the paged object, half cross-service ones where the page names only a victim, and front doors
that name a workload with no namespace, a host, a grouped notification and a PagerDuty event.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout19`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout19/test_heldout.py
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
    return heldout_built("heldout19")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _extra(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _said(root: Path) -> str:
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    return " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published or everyday failure it re-creates."""
    builders = by_name("heldout19").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_half_simple_half_cross_service(built: Built) -> None:
    """The round's theme: five pages name the failing object that is also the culprit (the cause is in its own
    spec or events); the other seven page on a victim and the culprit is another object."""
    bundles, answers = built
    named = [name for name, key in rc.keys(bundles, answers).items()
             if key["culprit"]["name"].lower() in _said(answers.parent / "bundles" / name).lower()]
    assert len(named) == 5, named


def test_front_doors(built: Built) -> None:
    """Two questions name only a workload (no namespace), one only a node; one grouped notification, one
    PagerDuty v3 event."""
    bundles, _ = built
    workload_only = grouped = pagerduty = 0
    for root in bundles:
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        question = manifest.get("question", "")
        namespaces = {p.name for p in (root / "cluster").iterdir() if p.is_dir()}
        deployments = {i["metadata"]["name"] for i in rc.bundle_items(root) if i["kind"] == "Deployment"}
        if question and any(d in question for d in deployments) and not any(
                f" {ns} " in f" {question} " or f"{ns}/" in question for ns in namespaces):
            workload_only += 1
        for alert_file in manifest["alerts"]:
            payload = json.loads((root / alert_file).read_text())
            grouped += len(payload.get("alerts", [])) > 1
            pagerduty += payload.get("event", {}).get("event_type") == "incident.triggered"
    assert workload_only >= 2 and grouped >= 1 and pagerduty >= 1


def test_arm_node_alone_runs_the_crashing_pods(built: Built) -> None:
    """The host question names the one arm64 node; the pods that crash with exec format error run there, the
    same image's pods on amd64 nodes run, and the NodePool's requirements allow arm64."""
    root = _bundle(built, "node-pods-crashing-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    arm = [n["metadata"]["name"] for n in nodes if n["metadata"]["labels"]["kubernetes.io/arch"] == "arm64"]
    assert len(arm) == 1 and arm[0] in question
    pods = _items(root, "ocr", "pods.json")
    crashing = [p for p in pods if p["metadata"]["name"].startswith("ocr-worker")
                and p["status"]["containerStatuses"][0]["restartCount"] > 0]
    assert crashing and {p["spec"]["nodeName"] for p in crashing} == set(arm)
    logs = (root / "cluster" / "ocr" / crashing[0]["metadata"]["name"] / "logs.txt").read_text()
    assert "exec format error" in logs
    pool = _extra(root, "NodePool")[0]
    arch = next(r for r in pool["spec"]["template"]["spec"]["requirements"] if r["key"] == "kubernetes.io/arch")
    assert "arm64" in arch["values"]


def test_renamed_secret_keys_show_only_in_mount_events(built: Built) -> None:
    """The re-created Secret lacks tls.crt; only the new pods' FailedMount events name the missing key."""
    root = _bundle(built, "edi-gateway-replicas-mismatch")
    secret = next(s for s in _extra(root, "Secret") if s["metadata"]["name"] == "as2-signing")
    assert set(secret["data"]) == {"cert.pem", "key.pem"}
    failed = [e for e in _items(root, "partners", "events.json") if e["reason"] == "FailedMount"]
    assert len(failed) == 2 and all("non-existent secret key: tls.crt" in e["message"] for e in failed)
    creating = [p for p in _items(root, "partners", "pods.json")
                if p["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("reason") == "ContainerCreating"]
    assert {p["metadata"]["name"] for p in creating} == {e["involvedObject"]["name"] for e in failed}


def test_immediate_binding_put_the_volume_where_no_node_fits(built: Built) -> None:
    """gp3 binds Immediately; the pending broker's volume sits in the zone whose only node runs another broker."""
    root = _bundle(built, "kafka-replicas-mismatch")
    gp3 = next(s for s in _extra(root, "StorageClass") if s["metadata"]["name"] == "gp3")
    assert gp3["volumeBindingMode"] == "Immediate"
    pv = next(v for v in _extra(root, "PersistentVolume") if v["spec"]["claimRef"]["name"] == "data-kafka-3")
    zone = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    in_zone = [n["metadata"]["name"] for n in nodes if n["metadata"]["labels"]["topology.kubernetes.io/zone"] == zone]
    pods = {p["metadata"]["name"]: p for p in _items(root, "streaming", "pods.json")}
    assert len(in_zone) == 1 and pods["kafka-3"]["status"]["phase"] == "Pending"
    assert any(p["spec"].get("nodeName") == in_zone[0] for n, p in pods.items() if n.startswith("kafka-"))


def test_kube_proxy_revisions_differ_only_in_conntrack_args(built: Built) -> None:
    """The DaemonSet's two ControllerRevisions: the new one adds the conntrack flags; the limit metric drops."""
    root = _bundle(built, "mobile-timeouts-grouped")
    revs = sorted((r for r in _extra(root, "ControllerRevision")
                   if r["metadata"]["ownerReferences"][0]["name"] == "kube-proxy"), key=lambda r: r["revision"])
    args = [r["data"]["spec"]["template"]["spec"]["containers"][0]["args"] for r in revs]
    assert len(args) == 2 and set(args[1]) - set(args[0]) == {"--conntrack-max-per-core=2048",
                                                              "--conntrack-min=8192"}
    metrics = (root / "metrics" / "metrics.om.txt").read_text()
    limits = {line.rsplit(" ", 2)[1] for line in metrics.splitlines()
              if line.startswith("node_nf_conntrack_entries_limit{")}
    assert limits == {"131072", "8192"}
