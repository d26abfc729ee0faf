"""What round 34 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, and where the cause sits in the build and delivery machinery, the bundle really carries the
changed setting, its trace in the controller's own log or the cluster's events, and the victim's symptom.

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout34`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout34/test_heldout.py
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
    return heldout_built("heldout34")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def _one(root: Path, kind: str, name: str) -> dict[str, Any]:
    return next(i for i in rc.bundle_items(root) if i["kind"] == kind and i["metadata"]["name"] == name)


def _logs(root: Path, ns: str, prefix: str) -> str:
    """The current and previous logs of the pods of `ns` whose name starts with `prefix`, joined."""
    return "".join(p.read_text() for d in sorted((root / "cluster" / ns).iterdir())
                   if d.is_dir() and d.name.startswith(prefix) for p in sorted(d.glob("*.txt")))


def _events(root: Path, ns: str) -> list[dict[str, Any]]:
    return _items(root, ns, "events.json")


def _incident(root: Path) -> str:
    return str(yaml.safe_load((root / "manifest.yaml").read_text())["incident_time"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout34").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_front_doors_and_simple_share(built: Built) -> None:
    """Two chat questions (one naming only a workload, one only a node), two PagerDuty events, an SLO burn, a
    grouped notification of three alerts; three incidents are simple (the page names the culprit)."""
    bundles, answers = built
    keys = rc.keys(bundles, answers)
    questions, simple, pagers = [], 0, 0
    for name, key in keys.items():
        root = answers.parent / "bundles" / name
        manifest = yaml.safe_load((root / "manifest.yaml").read_text())
        if manifest.get("question"):
            questions.append(manifest["question"])
        pagers += "alerts/pagerduty.json" in manifest["alerts"]
        said = " ".join((root / a).read_text() for a in manifest["alerts"]) + manifest.get("question", "")
        simple += key["culprit"]["name"] in said
    assert len(questions) == 2 and pagers == 2 and simple == 3
    assert any("invoice-renderer" in q and "docs" not in q for q in questions)
    burn = json.loads((_bundle(built, "storefront-bff-burn") / "alerts" / "alertmanager.json").read_text())
    assert burn["alerts"][0]["labels"]["alertname"] == "ErrorBudgetBurn"
    grouped = json.loads((_bundle(built, "thumbnail-backlog-grouped") / "alerts" / "alertmanager.json").read_text())
    assert len(grouped["alerts"]) == 3 and "image-signatures" not in json.dumps(grouped)


def test_signature_policy_covers_every_image_and_denies_the_vendor_image(built: Built) -> None:
    """The cluster-scoped policy's glob is `**`, changed before the HPA's scale-up, and the thumbnailer's
    ReplicaSet records the webhook's denial while only the old three pods run."""
    root = _bundle(built, "thumbnail-backlog-grouped")
    policy = _one(root, "ClusterImagePolicy", "image-signatures")
    assert policy["spec"]["images"] == [{"glob": "**"}] and "namespace" not in policy["metadata"]
    denied = [e for e in _events(root, "media") if e["reason"] == "FailedCreate"]
    assert denied and all("policy.sigstore.dev" in e["message"] and "no signatures found" in e["message"]
                          for e in denied)
    assert len([p for p in _items(root, "media", "pods.json") if p["metadata"]["name"].startswith("thumbnailer-")]) == 3
    assert "no signatures found" in _logs(root, "cosign-system", "policy-controller-webhook")


def test_external_secret_template_left_only_the_new_key(built: Built) -> None:
    """The ExternalSecret's template writes only PGPASSWORD, the Secret holds only that key, and the reloaded
    pod cannot find DB_PASSWORD; Reloader's log names the Secret and the Deployment."""
    root = _bundle(built, "invoice-api-pods-not-starting-page")
    es = _one(root, "ExternalSecret", "invoice-db-credentials")
    assert list(es["spec"]["target"]["template"]["data"]) == ["PGPASSWORD"]
    secret = _one(root, "Secret", "invoice-db-credentials")
    assert list(secret["data"]) == ["PGPASSWORD"]
    waiting = [p for p in _items(root, "billing", "pods.json")
               if p["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("reason")
               == "CreateContainerConfigError"]
    assert len(waiting) == 1
    assert "Updated 'invoice-api'" in _logs(root, "external-secrets", "reloader")


def test_host_question_node_has_disk_pressure_and_the_runners(built: Built) -> None:
    """The node the question names reports DiskPressure; every runner pod of the scale set runs on it, and the
    scale set's template has no nodeSelector (changed within the hour before)."""
    root = _bundle(built, "app-node-evicting-pods-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    pressured = [n["metadata"]["name"] for n in nodes
                 if any(c["type"] == "DiskPressure" and c["status"] == "True" for c in n["status"]["conditions"])]
    assert len(pressured) == 1 and pressured[0] in question
    runners = [p for p in _items(root, "arc-runners", "pods.json")]
    assert runners and {p["spec"]["nodeName"] for p in runners} == set(pressured)
    ars = _one(root, "AutoscalingRunnerSet", "build-x64")
    assert "nodeSelector" not in ars["spec"]["template"]["spec"]
    assert "no space left on device" in _logs(root, "arc-runners", "build-x64")


def test_mirror_daemonset_revisions_differ_in_the_mirror_host(built: Built) -> None:
    """The DaemonSet's two ControllerRevisions differ: the newer writes a cluster DNS mirror name; the moved
    vector pod's pull falls back to Docker Hub and times out."""
    root = _bundle(built, "vector-pod-not-ready")
    revisions = sorted((i for i in rc.bundle_items(root) if i["kind"] == "ControllerRevision"
                        and i["metadata"]["name"].startswith("containerd-registry-hosts-")),
                       key=lambda r: r["revision"])
    scripts = [r["data"]["spec"]["template"]["spec"]["containers"][0]["command"][2] for r in revisions]
    assert len(scripts) == 2 and "svc.cluster.local" not in scripts[0] and "svc.cluster.local" in scripts[1]
    pulls = [e for e in _events(root, "logging") if e["reason"] == "Failed" and "registry-1.docker.io" in e["message"]]
    assert pulls and all("i/o timeout" in e["message"] for e in pulls)


def test_flux_substitution_emptied_the_placeholder(built: Built) -> None:
    """The Kustomization substitutes from cluster-vars (which lacks ORDERS_DB_HOST), the ConfigMap it created
    (pruning the previous one) has an empty host, and the new pods log the localhost refusal."""
    root = _bundle(built, "order-sync-rollout-stuck")
    ks = _one(root, "Kustomization", "apps-orders")
    assert ks["spec"]["postBuild"]["substituteFrom"] == [{"kind": "ConfigMap", "name": "cluster-vars"}]
    assert "ORDERS_DB_HOST" not in _one(root, "ConfigMap", "cluster-vars")["data"]
    assert "postgresql://:5432" in _one(root, "ConfigMap", "order-sync-config-b76fd9gk2t")["data"]["application.yaml"]
    flux = _logs(root, "flux-system", "kustomize-controller")
    assert '"ConfigMap/orders/order-sync-config-b76fd9gk2t":"created"' in flux
    assert '"ConfigMap/orders/order-sync-config-5h8t2k9c4m":"deleted"' in flux
    assert "Connection to localhost:5432 refused" in _logs(root, "orders", "order-sync-")


def test_applicationset_deleted_the_app_and_its_workload(built: Built) -> None:
    """No Deployment or Service reservations remains in inventory, the controllers' logs record the deletion,
    and the storefront logs ENOTFOUND for the Service's name."""
    root = _bundle(built, "storefront-bff-burn")
    names = {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in rc.bundle_items(root)}
    assert ("Deployment", "inventory", "reservations") not in names
    assert ("Service", "inventory", "reservations") not in names
    assert ("Application", "argocd", "inventory-reservations") not in names
    assert "Deleted application" in _logs(root, "argocd", "argocd-applicationset-controller")
    assert "ENOTFOUND reservations.inventory.svc.cluster.local" in _logs(root, "storefront", "storefront-bff")


def test_only_pods_with_the_new_agent_are_oomkilled(built: Built) -> None:
    """The invoice-renderer pods whose injected agent is 2.10.0 were OOMKilled; the one still on 1.32.1 runs."""
    root = _bundle(built, "invoice-renderer-restarts-question")
    for pod in _items(root, "docs", "pods.json"):
        if not pod["metadata"]["name"].startswith("invoice-renderer-"):
            continue
        agent = pod["spec"]["initContainers"][0]["image"].rsplit(":", 1)[1]
        last = pod["status"]["containerStatuses"][0].get("lastState", {}).get("terminated", {})
        assert (last.get("reason") == "OOMKilled") == (agent == "2.10.0"), pod["metadata"]["name"]


def test_gc_job_deleted_the_pinned_manifest(built: Built) -> None:
    """The CronJob passes --delete-untagged, its Job ran before the page and deleted the digest fraud-scorer
    pins; the registry answers manifest unknown for it."""
    root = _bundle(built, "fraud-scoring-degraded-page")
    cron = _one(root, "CronJob", "registry-gc")
    assert "--delete-untagged" in cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    image = next(d for d in _items(root, "fraud", "deployments.json")
                 if d["metadata"]["name"] == "fraud-scorer")["spec"]["template"]["spec"]["containers"][0]["image"]
    pinned = image.split("@")[1]
    assert pinned[7:] in _logs(root, "registry", "registry-gc")
    assert f"manifests/{pinned}" in _logs(root, "registry", "registry-")
    job = next(i for i in rc.bundle_items(root) if i["kind"] == "Job")
    assert job["status"]["startTime"] < _incident(root)


def test_pull_secret_only_on_pods_created_before_the_apply(built: Built) -> None:
    """The ServiceAccount has no imagePullSecrets; the running pods kept theirs, the waiting ones have none."""
    root = _bundle(built, "event-consumer-lag-rising")
    assert "imagePullSecrets" not in _one(root, "ServiceAccount", "ingest-workers")
    for pod in _items(root, "ingest", "pods.json"):
        if pod["metadata"]["name"].startswith("event-consumer-"):
            assert ("imagePullSecrets" in pod["spec"]) == (pod["status"]["phase"] == "Running")


def test_simple_incidents_show_the_cause_in_the_paged_object(built: Built) -> None:
    """status-page's new image lacks library/, query-rewriter's new pods log exec format error, and the Canary's
    duration gate sits below the p99 that Flagger's own log reports."""
    root = _bundle(built, "status-page-rollout-stuck")
    sets = sorted((r for r in _items(root, "web", "replicasets.json")
                   if r["metadata"]["ownerReferences"][0]["name"] == "status-page"),
                  key=lambda r: int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]))
    old, new = (r["spec"]["template"]["spec"]["containers"][0]["image"] for r in sets[-2:])
    assert "/library/" in old and "/library/" not in new and new.startswith("harbor.example.com/dockerhub/")
    assert "exec format error" in _logs(_bundle(built, "query-rewriter-crashloop"), "search", "query-rewriter")
    root = _bundle(built, "quote-api-canary-failed")
    canary = _one(root, "Canary", "quote-api")
    gate = next(m for m in canary["spec"]["analysis"]["metrics"] if m["name"] == "request-duration")
    assert gate["thresholdRange"]["max"] == 250 and canary["status"]["phase"] == "Failed"
    assert "failed checks threshold reached 5" in _logs(root, "flagger-system", "flagger")
