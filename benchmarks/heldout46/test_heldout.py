"""What round 46 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and each bundle really carries the lifecycle setting that changed and what it did to the victim.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout46`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout46/test_heldout.py
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
    return heldout_built("heldout46")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _all(root: Path, kind: str) -> list[dict[str, Any]]:
    return [i for i in rc.bundle_items(root) if i["kind"] == kind]


def _logs(root: Path, ns: str, prefix: str, previous: bool = False) -> str:
    """The logs of every container of every pod of `ns` whose name starts with `prefix`, joined."""
    pattern = "*.previous.txt" if previous else "*.txt"
    return "".join(f.read_text() for p in sorted((root / "cluster" / ns).iterdir())
                   if p.is_dir() and p.name.startswith(prefix) for f in sorted(p.glob(pattern))
                   if previous or not f.name.endswith(".previous.txt"))


def _events(root: Path) -> list[dict[str, Any]]:
    return _all(root, "Event")


def _manifest(root: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((root / "manifest.yaml").read_text()))


def _last_change(obj: dict[str, Any]) -> str:
    return max(m["time"] for m in obj["metadata"]["managedFields"])


def rc_metric(root: Path, name: str) -> list[float]:
    """Every sample of the metric family `name` in the bundle's OpenMetrics file."""
    return [float(line.rsplit(" ", 2)[1]) for line in (root / "metrics" / "metrics.om.txt").read_text().splitlines()
            if line.startswith(name + "{")]


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout46").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 2, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors(built: Built) -> None:
    """Two chat questions (one naming only a workload, one only a node), three PagerDuty events, one SLO burn
    and one grouped notification of three alerts."""
    bundles, _ = built
    questions = [q for q in (_manifest(b).get("question", "") for b in bundles) if q]
    assert len(questions) == 2
    assert any(q.startswith("notifications-worker ") and "kyverno" not in q.lower() for q in questions)
    assert sum((b / "alerts" / "pagerduty.json").exists() for b in bundles) == 3
    burn = json.loads((_bundle(built, "storefront-deploy-errors-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "gateway-latency-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3


def test_custom_culprits_hold_the_changed_setting(built: Built) -> None:
    """The HelmRelease's inline value beside its valuesFrom, the Rollout's zero scale-down delay and the
    cluster-scoped ClusterPolicy's grace period, each written before the incident."""
    root = _bundle(built, "billing-api-db-errors")
    release = _one(root, "HelmRelease", "pgbouncer")
    assert release["spec"]["values"]["maxClientConn"] == 100
    assert release["spec"]["valuesFrom"][0]["name"] == "pgbouncer-values"
    assert "maxClientConn: 2000" in _one(root, "ConfigMap", "pgbouncer-values")["data"]["values.yaml"]
    assert "no more connections allowed (max_client_conn)" in _logs(root, "db", "pgbouncer")
    assert _last_change(release) < str(_manifest(root)["incident_time"])

    root = _bundle(built, "checkout-web-503-page")
    rollout = _one(root, "Rollout", "cart-service")
    assert rollout["spec"]["strategy"]["canary"]["scaleDownDelaySeconds"] == 0
    assert " 503 UH " in _logs(root, "checkout", "checkout-web")

    root = _bundle(built, "notifications-duplicate-emails-question")
    policy = _one(root, "ClusterPolicy", "cap-termination-grace")
    assert "namespace" not in policy["metadata"]
    grace = policy["spec"]["rules"][0]["mutate"]["patchStrategicMerge"]["spec"]["terminationGracePeriodSeconds"]
    deploy = _one(root, "Deployment", "notifications-worker")
    assert deploy["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 180
    pods = [p for p in _all(root, "Pod") if p["metadata"]["name"].startswith("notifications-worker-")]
    assert pods and all(p["spec"]["terminationGracePeriodSeconds"] == grace == 15 for p in pods)
    assert all("cap-termination-grace" in p["metadata"]["annotations"]["policies.kyverno.io/last-applied-patches"]
               for p in pods)


def test_builtin_culprits_carry_the_lifecycle_setting(built: Built) -> None:
    """Ingress draining, Service traffic policy, PDB budget, StatefulSet grace, DaemonSet probe, ConfigMap
    preload, and the Deployments' sidecar, strategy and probe changes are in the objects themselves."""
    root = _bundle(built, "storefront-deploy-errors-burn")
    ing = _one(root, "Ingress", "shop-public")
    assert "deregistration_delay.timeout_seconds=0" in ing["metadata"]["annotations"][
        "alb.ingress.kubernetes.io/target-group-attributes"]

    root = _bundle(built, "mobile-connection-resets-page")
    assert _one(root, "Service", "public-ingress")["spec"]["externalTrafficPolicy"] == "Local"

    root = _bundle(built, "nodegroup-drain-stuck")
    pdb = _one(root, "PodDisruptionBudget", "payments-api")
    assert pdb["spec"]["maxUnavailable"] == 0 and pdb["status"]["disruptionsAllowed"] == 0
    assert "Cannot evict pod as it would violate the pod's disruption budget." in _logs(root, "kube-system", "kured-")

    root = _bundle(built, "account-logins-dropped-page")
    sts = _one(root, "StatefulSet", "session-redis")
    assert sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 10
    graces = sorted(r["data"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
                    for r in _all(root, "ControllerRevision") if r["metadata"]["name"].startswith("session-redis-"))
    assert graces == [10, 120]
    assert max(rc_metric(root, "redis_rdb_last_bgsave_duration_sec")) > 10
    assert "RDB age 20870 seconds" in _logs(root, "identity", "session-redis-0")

    root = _bundle(built, "node-lookups-failing-question")
    ds = _one(root, "DaemonSet", "node-local-dns")
    assert ds["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["timeoutSeconds"] == 1
    question = str(_manifest(root)["question"])
    hurt = [e for e in _events(root) if e["reason"] == "Unhealthy" and "169.254.20.10" in e["message"]]
    assert hurt and all(e["source"].get("host", "") in question for e in hurt)

    root = _bundle(built, "gateway-latency-grouped")
    assert "preload: false" in _one(root, "ConfigMap", "recs-api-config")["data"]["application.yaml"]

    root = _bundle(built, "invoices-api-crashlooping")
    sets = sorted(_all(root, "ReplicaSet"), key=lambda r: r["metadata"]["creationTimestamp"])
    sets = [r for r in sets if r["metadata"]["name"].startswith("invoices-api-")]
    assert sets[0]["spec"]["template"]["spec"]["initContainers"][0]["restartPolicy"] == "Always"
    assert not sets[-1]["spec"]["template"]["spec"].get("initContainers")

    root = _bundle(built, "search-timeouts-page")
    strategy = _one(root, "Deployment", "query-api")["spec"]["strategy"]["rollingUpdate"]
    assert strategy == {"maxSurge": 0, "maxUnavailable": "50%"}

    root = _bundle(built, "product-pages-outage")
    probe = _one(root, "Deployment", "catalog-api")["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert probe["httpGet"]["path"] == "/actuator/health"
    assert "no live upstreams" in _logs(root, "shop", "product-pages")
