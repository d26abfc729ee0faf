"""What round 41 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the operator's change and what it did to the hurt application.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout41`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout41/test_heldout.py
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
    return heldout_built("heldout41")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str) -> str:
    """The current logs of every pod of `ns` whose name starts with `prefix`, joined."""
    return "".join((p / "logs.txt").read_text() for p in sorted((root / "cluster" / ns).iterdir())
                   if p.is_dir() and p.name.startswith(prefix) and (p / "logs.txt").exists())


def _events(root: Path, reason: str) -> list[dict[str, Any]]:
    return [e for e in _all(root, "Event") if e.get("reason") == reason]


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"] if m["manager"] != "kube-controller-manager")


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def _metric(root: Path, name: str, **labels: str) -> list[float]:
    values = []
    for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value, _ = line.rsplit(" ", 2)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            values.append(float(value))
    return values


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout41").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only a workload, one only a node), two PagerDuty events, an SLO burn and
    one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("invoice-mailer ") and "mailing" not in q for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2
    burn = json.loads((_bundle(built, "order-tracking-freshness-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "product-search-errors-grouped") / "alerts" / "alertmanager.json")
                         .read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The paused ScaledObject, the Restore with the update policy, and the cluster-scoped Calico policy whose
    selector no longer matches the mailer's pods."""
    root = _bundle(built, "order-tracking-freshness-burn")
    so = _one(root, "ScaledObject", "shipment-consumer")
    assert so["metadata"]["annotations"]["autoscaling.keda.sh/paused-replicas"] == "1"
    assert _last_change(so) < _incident(root)
    assert _metric(root, "kafka_consumergroup_lag_sum")[-1] > 5 * _metric(root, "kafka_consumergroup_lag_sum")[0]

    root = _bundle(built, "order-placement-failing-page")
    restore = _one(root, "Restore", "orders-config-20261203")
    assert restore["spec"]["existingResourcePolicy"] == "update"
    secret = _one(root, "Secret", "orders-db")
    assert secret["metadata"]["labels"]["velero.io/restore-name"] == "orders-config-20261203"
    assert _last_change(secret) >= restore["status"]["startTimestamp"]
    assert "28P01" in _logs(root, "orders", "orders-api")

    root = _bundle(built, "invoice-mailer-question")
    policy = _one(root, "GlobalNetworkPolicy", "allow-smtp-egress")
    assert "namespace" not in policy["metadata"]
    assert "app.kubernetes.io/name" in policy["spec"]["selector"]
    pods = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("invoice-mailer-")]
    assert pods and all("app.kubernetes.io/name" not in p["metadata"]["labels"] for p in pods)
    assert all(p["metadata"]["labels"]["app"] == "invoice-mailer" for p in pods)
    assert "TimeoutError: timed out" in _logs(root, "mailing", "invoice-mailer")


def test_operator_changes_and_their_effects(built: Built) -> None:
    """The janitor's selector and the missing certificate; the ingress upgrade and its rejected path; the
    capped HPA; the alias swap; the reader endpoint; the fsync setting; the flag; the quota."""
    root = _bundle(built, "api-certificate-untrusted-page")
    cj = _one(root, "CronJob", "ci-secret-janitor")
    env = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "SELECTOR", "value": "owner=ci"} in env
    assert not [s for s in _all(root, "Secret") if s["metadata"]["name"] == "api-shop-example-com-tls"]
    assert "Using default certificate" in _logs(root, "ingress-nginx", "ingress-nginx-controller")

    root = _bundle(built, "storefront-v2-orders-404")
    images = {r["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]
              for r in _all(root, "ReplicaSet") if r["metadata"]["name"].startswith("ingress-nginx-controller-")}
    assert images == {"v1.11.3", "v1.12.1"}
    assert "cannot be used with pathType Prefix" in _logs(root, "ingress-nginx", "ingress-nginx-controller")

    root = _bundle(built, "product-api-maxed-out")
    hpa = _one(root, "HorizontalPodAutoscaler", "product-api")
    assert hpa["spec"]["maxReplicas"] == 2
    assert any(c["reason"] == "TooManyReplicas" for c in hpa["status"]["conditions"])

    root = _bundle(built, "product-search-errors-grouped")
    job = _one(root, "Job", "reindex-products-v7")
    assert "--swap-alias=products" in job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "add [products] to [products-v7]" in _logs(root, "search", "es-0")
    assert "Fielddata is disabled on [brand]" in _logs(root, "search", "search-api")

    root = _bundle(built, "invoice-creation-failing-page")
    svc = _one(root, "Service", "billing-db")
    assert ".cluster-ro-" in svc["spec"]["externalName"]
    assert "read-only transaction" in _logs(root, "billing", "billing-api")

    root = _bundle(built, "login-latency-high")
    revisions = sorted(_all(root, "ControllerRevision"), key=lambda r: r["revision"])
    args = [r["data"]["spec"]["template"]["spec"]["containers"][0]["args"] for r in revisions
            if r["metadata"]["ownerReferences"][0]["name"] == "sessions-redis"]
    assert "--appendfsync" not in args[0] and args[-1][-2:] == ["--appendfsync", "always"]

    root = _bundle(built, "card-captures-pending")
    assert "async_capture: true" in _one(root, "ConfigMap", "payment-flags")["data"]["flags.yaml"]
    assert _one(root, "Deployment", "capture-worker")["spec"]["replicas"] == 0
    assert _metric(root, "rabbitmq_queue_messages_ready")[-1] > 100

    root = _bundle(built, "event-collector-replicas-short")
    quota = _one(root, "ResourceQuota", "tenant-quota")
    assert quota["status"]["used"]["pods"] == quota["spec"]["hard"]["pods"] == "16"
    assert any("exceeded quota: tenant-quota" in e["message"] for e in _events(root, "FailedCreate"))


def test_the_drain_is_held_by_the_scaled_down_deployment(built: Built) -> None:
    """Only the question's node is cordoned; the single geo-ip pod on it is covered by a PDB allowing nothing,
    and geo-ip's replicas were edited the day before."""
    root = _bundle(built, "node-upgrade-stuck-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    cordoned = [n["metadata"]["name"] for n in nodes if n["spec"].get("unschedulable")]
    assert len(cordoned) == 1 and cordoned[0] in question
    pods = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("geo-ip-")]
    assert [p["spec"]["nodeName"] for p in pods] == cordoned
    assert _one(root, "PodDisruptionBudget", "geo-ip")["status"]["disruptionsAllowed"] == 0
    deploy = _one(root, "Deployment", "geo-ip")
    assert deploy["spec"]["replicas"] == 1
    assert [m["manager"] for m in deploy["metadata"]["managedFields"]][-1] == "kubectl-edit"
    assert _events(root, "FailedDraining")
