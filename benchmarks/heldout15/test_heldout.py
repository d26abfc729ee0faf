"""What round 15 of the held-out set alone is held to: each story says which kind of public failure it
re-creates, custom-resource culprits are findable, and where the cause hides behind a victim the bundle really
carries the split that points at it (one node, some nodes, only events, only one revision).

The checks every round shares (valid bundles, sane keys, new failure types, pages that name only a victim,
culprits carrying their change, questions naming only a host, ...) run for this round from
benchmarks/heldout/test_rounds.py (`-k heldout15`), on the same build (benchmarks/conftest.py). No
investigation runs here.

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout15/test_heldout.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import Built, by_name

KUBERNETES_OWN = {"ValidatingAdmissionPolicy"}
"""Kinds Kubernetes serves itself that the shared list of built-in kinds does not name."""


@pytest.fixture
def built(heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built("heldout15")


def _bundle(built: Built, name: str) -> Path:
    bundles, _ = built
    return next(b for b in bundles if b.name == name)


def _items(root: Path, ns: str, filename: str) -> list[dict[str, Any]]:
    return list(json.loads((root / "cluster" / ns / filename).read_text())["items"])


def test_every_story_says_what_it_was_drawn_from() -> None:
    """Each docstring's second paragraph names the kind of published failure it re-creates."""
    builders = by_name("heldout15").generator().ROUND.builders()
    assert len(builders) == 12
    for build in builders:
        paragraphs = [p.strip() for p in (build.__doc__ or "").split("\n\n")]
        assert len(paragraphs) >= 3, build.__name__
        assert paragraphs[1].startswith("after: "), build.__name__


def test_custom_resource_culprits_ship_with_their_crd(built: Built) -> None:
    """Operators' and controllers' custom resources are half the round: each such culprit has its CRD (same kind
    and group, the right scope) in extra/, so the replay serves it."""
    bundles, answers = built
    custom = 0
    for name, key in rc.keys(bundles, answers).items():
        kind = key["culprit"]["kind"]
        if kind in rc.BUILTIN_KINDS or kind in KUBERNETES_OWN:
            continue
        custom += 1
        root = answers.parent / "bundles" / name
        crds = json.loads((root / "extra" / "customresourcedefinitions.json").read_text())["items"]
        group = rc.api_group(root, kind)
        match = [c for c in crds if c["spec"]["names"]["kind"] == kind and c["spec"]["group"] == group]
        assert match, name
        assert match[0]["spec"]["scope"] == ("Namespaced" if key["culprit"]["namespace"] else "Cluster"), name
    assert custom >= 5


def test_host_question_node_is_the_only_one_launched_after_the_node_class_change(built: Built) -> None:
    """The question names one node: it alone joined after the EC2NodeClass's change, and the pods that fail their
    AWS calls are exactly the ones running there."""
    root = _bundle(built, "node-pods-aws-errors-question")
    question = (root / "alerts" / "question.txt").read_text()
    nodes = json.loads((root / "cluster" / "nodes.json").read_text())["items"]
    culprit = rc.culprit_object(root, {"culprit": {"kind": "EC2NodeClass", "namespace": "", "name": "al2023-general"}})
    changed_at = rc._when(culprit["metadata"]["managedFields"][0]["time"])
    newer = [n["metadata"]["name"] for n in nodes if rc._when(n["metadata"]["creationTimestamp"]) > changed_at]
    assert len(newer) == 1 and newer[0] in question
    failing = {p.parent.name for p in root.glob("cluster/*/*/logs.txt") if "IMDS" in p.read_text()}
    on_node = {p["metadata"]["name"] for ns in ("media", "logging") for p in _items(root, ns, "pods.json")
               if p["spec"]["nodeName"] == newer[0]}
    assert failing == on_node and len(failing) == 2


def test_node_local_policy_fails_exactly_the_callers_without_a_local_backend(built: Built) -> None:
    """internalTrafficPolicy Local: the fraud-check pods that time out are those on nodes with no geoip-server pod;
    the paged pods are those."""
    root = _bundle(built, "fraud-check-timeouts-grouped")
    backends = {p["spec"]["nodeName"] for p in _items(root, "geo", "pods.json")}
    svc = next(s for s in _items(root, "geo", "services.json") if s["metadata"]["name"] == "geoip")
    assert svc["spec"]["internalTrafficPolicy"] == "Local"
    failing: set[str] = set()
    working: set[str] = set()
    for pod in _items(root, "risk", "pods.json"):
        text = (root / "cluster" / "risk" / pod["metadata"]["name"] / "logs.txt").read_text()
        (failing if "i/o timeout" in text else working).add(pod["metadata"]["name"])
        assert ("i/o timeout" in text) == (pod["spec"]["nodeName"] not in backends)
    assert len(failing) == 2 and len(working) == 2
    paged = {a["labels"].get("pod") for a in json.loads((root / "alerts" / "alertmanager.json").read_text())["alerts"]}
    assert failing <= paged


def test_refused_creations_show_only_in_events(built: Built) -> None:
    """The admission denial and the failed provisioning leave no pod or volume behind: the ReplicaSet's
    FailedCreate events name the policy, the claims' ProvisioningFailed events name the StorageClass."""
    root = _bundle(built, "search-capacity-grouped")
    failed = [e for e in _items(root, "search", "events.json") if e["reason"] == "FailedCreate"]
    assert failed and all("ValidatingAdmissionPolicy 'pod-baseline'" in e["message"] for e in failed)
    assert len(_items(root, "search", "pods.json")) == 4 + 2  # search-api's four and the red herring's two
    root = _bundle(built, "metrics-store-replicas-missing")
    prov = [e for e in _items(root, "tsdb", "events.json") if e["reason"] == "ProvisioningFailed"]
    assert {e["involvedObject"]["name"] for e in prov} == {"data-victoria-storage-3", "data-victoria-storage-4"}
    assert all('StorageClass "gp3-encrypted"' in e["message"] for e in prov)


def test_injected_job_pod_keeps_its_proxy_running(built: Built) -> None:
    """Tonight's Job pod: the export exited 0 and istio-proxy still runs; last night's (before the label) had no
    sidecar and completed."""
    root = _bundle(built, "nightly-statements-job-overdue")
    pods = sorted((p for p in _items(root, "statements", "pods.json") if "job-name" in p["metadata"]["labels"]),
                  key=lambda p: p["metadata"]["creationTimestamp"])
    assert [[c["name"] for c in p["spec"]["containers"]] for p in pods] == [
        ["statement-export"], ["statement-export", "istio-proxy"]]
    assert pods[0]["status"]["phase"] == "Succeeded"
    main, proxy = pods[1]["status"]["containerStatuses"]
    assert main["state"]["terminated"]["reason"] == "Completed" and main["state"]["terminated"]["exitCode"] == 0
    assert "running" in proxy["state"] and pods[1]["status"]["phase"] == "Running"


def test_csi_node_pods_mount_the_wrong_kubelet_dir_only_since_the_new_revision(built: Built) -> None:
    """Every ebs-csi-node pod carries the k0s kubelet path; the previous ControllerRevision had the real one."""
    root = _bundle(built, "accounts-db-pod-not-ready")
    pods = [p for p in _items(root, "kube-system", "pods.json") if p["metadata"]["name"].startswith("ebs-csi-node-")]
    assert len(pods) == 4
    for pod in pods:
        paths = {v["hostPath"]["path"] for v in pod["spec"]["volumes"] if "hostPath" in v}
        assert "/var/lib/k0s/kubelet" in paths and "/var/lib/kubelet" not in paths
    revisions = json.loads((root / "extra" / "controllerrevisions.json").read_text())["items"]
    by_number = {r["revision"]: r["data"]["spec"]["template"]["spec"]["volumes"][0]["hostPath"]["path"]
                 for r in revisions if r["metadata"]["name"].startswith("ebs-csi-node-")}
    assert by_number == {3: "/var/lib/kubelet", 4: "/var/lib/k0s/kubelet"}
