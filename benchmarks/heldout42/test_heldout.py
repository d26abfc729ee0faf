"""What round 42 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the capacity change and what it did to the hurt application.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout42`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout42/test_heldout.py
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
    return heldout_built("heldout42")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _pods(root: Path, prefix: str) -> list[dict[str, Any]]:
    return [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith(prefix)]


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


def _revision_templates(root: Path, owner: str) -> list[dict[str, Any]]:
    """The pod templates an owner's ControllerRevisions keep, oldest first."""
    revisions = sorted((r for r in _all(root, "ControllerRevision")
                        if r["metadata"]["ownerReferences"][0]["name"] == owner), key=lambda r: r["revision"])
    return [r["data"]["spec"]["template"] for r in revisions]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout42").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only basket-service, one only a node), two PagerDuty events, an SLO burn
    and one grouped notification of three alerts; the rest are single Alertmanager alerts."""
    bundles, _ = built
    questions = [yaml.safe_load((b / "manifest.yaml").read_text()).get("question", "") for b in bundles]
    questions = [q for q in questions if q]
    assert len(questions) == 2
    assert any(q.startswith("basket-service ") and "karpenter" not in q.lower() for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 2
    burn = json.loads((_bundle(built, "checkin-web-errors-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "pending-pods-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3
    assert not [a for a in grouped["alerts"] if "order-pricing" in json.dumps(a)]


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The cluster-scoped NodePool whose cpu filter no instance fits, the ScaledObject whose cron runs in UTC,
    and the VPA whose default controlled values scaled the pods' CPU limit down."""
    root = _bundle(built, "transcoder-pods-not-ready")
    pool = _one(root, "NodePool", "compute-large")
    assert "namespace" not in pool["metadata"]
    reqs = pool["spec"]["template"]["spec"]["requirements"]
    assert {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Lt", "values": ["9"]} in reqs
    assert _last_change(pool) < _incident(root)
    pending = [p for p in _pods(root, "video-transcoder-") if p["status"]["phase"] == "Pending"]
    assert len(pending) == 4
    assert all(p["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "12" for p in pending)
    assert "no instance type satisfied resources" in _logs(root, "kube-system", "karpenter")

    root = _bundle(built, "checkin-web-errors-burn")
    so = _one(root, "ScaledObject", "boarding-pass-renderer")
    cron = next(t for t in so["spec"]["triggers"] if t["type"] == "cron")
    assert cron["metadata"]["timezone"] == "Etc/UTC" and cron["metadata"]["start"] == "30 7 * * 1-5"
    assert _metric(root, "keda_scaler_active", scaler="cronScaler") and not any(
        _metric(root, "keda_scaler_active", scaler="cronScaler"))
    assert "TimeoutError" in _logs(root, "checkin", "checkin-web")

    root = _bundle(built, "geo-router-throttled")
    vpa = _one(root, "VerticalPodAutoscaler", "geo-router")
    assert all("controlledValues" not in p for p in vpa["spec"]["resourcePolicy"]["containerPolicies"])
    deploy = _one(root, "Deployment", "geo-router")
    assert deploy["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "2"
    pods = _pods(root, "geo-router-")
    assert pods and all(p["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "240m" for p in pods)
    assert all("vpaUpdates" in p["metadata"]["annotations"] for p in pods)


def test_capacity_changes_and_their_effects(built: Built) -> None:
    """The anti-affinity on zones, the LimitRange meeting the quota, the memory-scaled HPA, the expander's
    spot preference, the database's affinity against its volume, the lost interruption queue, the
    non-preempting PriorityClass and the overcommitted backfill."""
    root = _bundle(built, "catalog-search-replicas-short")
    spec = _one(root, "Deployment", "catalog-search")["spec"]["template"]["spec"]
    term = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert term["topologyKey"] == "topology.kubernetes.io/zone"
    assert len([p for p in _pods(root, "catalog-search-") if p["status"]["phase"] == "Pending"]) == 3

    root = _bundle(built, "statements-export-late")
    lr = _one(root, "LimitRange", "finance-defaults")
    assert lr["spec"]["limits"][0]["defaultRequest"]["cpu"] == "1"
    quota = _one(root, "ResourceQuota", "finance-compute")
    assert quota["status"]["used"]["requests.cpu"] == quota["spec"]["hard"]["requests.cpu"]
    assert any("exceeded quota: finance-compute" in e["message"] for e in _events(root, "FailedCreate"))
    assert all("kubernetes.io/limit-ranger" in p["metadata"]["annotations"] for p in _pods(root, "statement-export-"))

    root = _bundle(built, "pending-pods-grouped")
    hpa = _one(root, "HorizontalPodAutoscaler", "order-pricing")
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "memory"
    assert hpa["status"]["currentReplicas"] == hpa["spec"]["maxReplicas"] == 12
    assert [m["manager"] for m in hpa["metadata"]["managedFields"]][-1] == "kubectl-edit"
    assert "max size reached" in _logs(root, "kube-system", "cluster-autoscaler")

    root = _bundle(built, "shipment-labels-delayed")
    prio = _one(root, "ConfigMap", "cluster-autoscaler-priority-expander")["data"]["priorities"]
    assert prio.startswith("50:\n  - .*eks-spot-c7i-2xlarge.*")
    args = _one(root, "Deployment", "cluster-autoscaler")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "--expander=priority,least-waste" in args
    assert "InsufficientInstanceCapacity" in _logs(root, "kube-system", "cluster-autoscaler")

    root = _bundle(built, "points-api-errors-page")
    templates = _revision_templates(root, "points-db")
    assert "affinity" not in templates[0]["spec"] and "nodeAffinity" in templates[-1]["spec"]["affinity"]
    pv = _all(root, "PersistentVolume")[0]
    zone = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    in_zone = [n for n in nodes if n["metadata"]["labels"]["topology.kubernetes.io/zone"] == zone]
    assert in_zone and all(n["metadata"]["labels"]["eks.amazonaws.com/capacityType"] == "SPOT" for n in in_zone)
    assert "Connection refused" in _logs(root, "loyalty", "points-api")

    root = _bundle(built, "basket-pods-lost-question")
    envs = [{e["name"] for e in rs["spec"]["template"]["spec"]["containers"][0]["env"]}
            for rs in sorted(_all(root, "ReplicaSet"), key=lambda r: r["metadata"]["creationTimestamp"])
            if rs["metadata"]["name"].startswith("karpenter-")]
    assert "INTERRUPTION_QUEUE" in envs[0] and "INTERRUPTION_QUEUE" not in envs[-1]
    age = _metric(root, "aws_sqs_approximate_age_of_oldest_message_maximum")
    assert age[0] > 3600 and age[-1] > age[0]
    assert len(_events(root, "TaintManagerEviction")) == 2

    root = _bundle(built, "card-auth-replicas-missing")
    assert _one(root, "PriorityClass", "business-critical")["preemptionPolicy"] == "Never"
    pending = [p for p in _pods(root, "card-auth-") if p["status"]["phase"] == "Pending"]
    assert len(pending) == 3 and all(p["spec"]["preemptionPolicy"] == "Never" for p in pending)
    assert any("preemptionPolicy=Never" in e["message"] for e in _events(root, "FailedScheduling"))

    root = _bundle(built, "session-logins-failing-page")
    job = _one(root, "Job", "backfill-sessions-2026-11")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"]["memory"] == "512Mi"
    assert job["spec"]["template"]["spec"]["priorityClassName"] == "data-pipelines"
    evicted = [p for p in _pods(root, "session-gateway-") if p["status"].get("reason") == "Evicted"]
    assert len(evicted) == 2 and {p["spec"]["nodeName"] for p in evicted} == {
        _pods(root, "backfill-sessions-2026-11-")[0]["spec"]["nodeName"]}


def test_only_the_questions_node_misses_its_log_agent(built: Built) -> None:
    """The node named in the question is the one whose fluent-bit pod is Pending; the agent's revisions differ in
    the priority class, and the pod still on revision 1 keeps the node-critical priority."""
    root = _bundle(built, "node-logs-missing-question")
    question = yaml.safe_load((root / "manifest.yaml").read_text())["question"]
    pods = _pods(root, "fluent-bit-")
    pending = [p for p in pods if p["status"]["phase"] == "Pending"]
    assert len(pending) == 1
    target = pending[0]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    node = target["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]
    assert node in question
    assert pending[0]["spec"]["priority"] == 0
    templates = _revision_templates(root, "fluent-bit")
    assert templates[0]["spec"]["priorityClassName"] == "system-node-critical"
    assert "priorityClassName" not in templates[-1]["spec"]
    assert sorted(p["spec"]["priority"] for p in pods) == [0, 0, 0, 2000001000]
