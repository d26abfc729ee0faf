"""A StorageClass re-created without a binding mode stranding a StatefulSet's new volume, end to end: bundles of our
own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does. A GKE shape unlike the round's EBS one: the
class `standard-rwo` (pd.csi.storage.gke.io) was re-created by Terraform 6 h before with `volumeBindingMode` left
out (the API's default, Immediate), the OpenSearch StatefulSet's third ordinal got a disk in europe-west1-d where
its topology spread leaves no node, and the scheduler says `volume node affinity conflict`; a Deployment's rollout
in the same namespace is a red herring. The twin: the same stranded volume under a class created two months ago
(the class did not just change), which must not be named.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)
AT = datetime(2026, 12, 9, 14, 0, tzinfo=UTC)
CONFLICT = ("0/6 nodes are available: 3 node(s) didn't match pod topology spread constraints, 3 node(s) had volume "
            "node affinity conflict. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.")


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(max(start, end - timedelta(hours=2)), end, 300,
                            lambda i, t: L.logfmt(t, "info", "merge done", segments=3 + i % 5)))


def _volume(name: str, created: datetime, zone: str, claim: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "creationTimestamp": ts(created),
                         "annotations": {"pv.kubernetes.io/provisioned-by": "pd.csi.storage.gke.io"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "100Gi"},
                     "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "search", "name": claim},
                     "csi": {"driver": "pd.csi.storage.gke.io",
                             "volumeHandle": f"projects/p/zones/{zone}/disks/{name}"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "topology.gke.io/zone", "operator": "In", "values": [zone]}]}]}},
                     "storageClassName": "standard-rwo"}, "status": {"phase": "Bound"}}


def _incident(name: str, seed: int, class_age: timedelta, culprit: bool) -> Incident:
    inc = Incident(name, title="opensearch replicas missing", story="a class re-created without a binding mode",
                   at=AT, seed=seed, namespaces=("search",))
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "standard-rwo", "creationTimestamp": ts(AT - class_age),
                          "managedFields": [{"manager": "Terraform", "operation": "Update",
                                             "time": ts(AT - class_age)}]},
             "provisioner": "pd.csi.storage.gke.io", "reclaimPolicy": "Delete", "allowVolumeExpansion": True,
             "parameters": {"type": "pd-balanced"}})
    inc.statefulset("search", "opensearch", [c("opensearch", f"{REGISTRY}/search/opensearch:2.17.1", port=9200)],
                    [P(log=_quiet), P(log=_quiet), P(state="pending", message=CONFLICT)], AT - timedelta(days=70),
                    claims=[("data", "100Gi", "standard-rwo")], service=9200)
    for i, (zone, made) in enumerate([("europe-west1-b", AT - timedelta(days=69)),
                                      ("europe-west1-c", AT - timedelta(days=69)), ("europe-west1-d", AT - 40 * M)]):
        claim = inc.find("PersistentVolumeClaim", "search", f"data-opensearch-{i}")
        inc.add(_volume(str(claim["spec"]["volumeName"]), made, zone, f"data-opensearch-{i}"))
    inc.deployment("search", "search-gateway", [
        Rev(4, AT - timedelta(days=8), "deploy 1.9.0", [c("gateway", f"{REGISTRY}/search/gateway:1.9.0")]),
        Rev(5, AT - 25 * M, "deploy 1.9.1", [c("gateway", f"{REGISTRY}/search/gateway:1.9.1")])],
        {5: [P(log=_quiet)]})
    inc.alertmanager("KubeStatefulSetReplicasMismatch", {"namespace": "search", "statefulset": "opensearch"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet search/opensearch has not matched the expected number of replicas for longer than "
                     "15 minutes.", "kube_statefulset_status_replicas_ready != kube_statefulset_replicas",
                     severity="warning", starts=AT - 10 * M)
    if culprit:
        inc.answer_key(culprit=("StorageClass", "", "standard-rwo"),
                       keywords=["Immediate", "WaitForFirstConsumer", "volume node affinity conflict"],
                       root_cause="standard-rwo was re-created without volumeBindingMode (Immediate).",
                       category="storageclass-immediate-binding-zone-conflict",
                       red_herrings=[("Deployment", "search", "search-gateway")])
    else:
        inc.answer_key(culprit=("StatefulSet", "search", "opensearch"), keywords=["volume node affinity"],
                       root_cause="the class is old; the zone's nodes were drained.", category="unexplained",
                       red_herrings=[("StorageClass", "", "standard-rwo")])
    return inc


def recreated() -> Incident:
    """standard-rwo re-created 6 h before the new ordinal's volume was provisioned."""
    return _incident("opensearch-class-immediate", 4901, timedelta(hours=6), True)


def old_class() -> Incident:
    """The twin: the class is two months old."""
    return _incident("opensearch-class-old", 4902, timedelta(days=60), False)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((recreated, old_class), tmp_path_factory.mktemp("volume-binding"))


def test_the_class_that_binds_immediately_is_named(results: dict[str, object]) -> None:
    row = results["opensearch-class-immediate"]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert top.startswith("StorageClass standard-rwo binds with volumeBindingMode: Immediate"), top
    assert "europe-west1-d" in top, top


def test_a_class_two_months_old_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["opensearch-class-old"], "top", "") or "")
    assert not top.startswith("StorageClass standard-rwo"), top
