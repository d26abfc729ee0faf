"""A StorageClass whose key the CSI driver may not use, end to end: bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode as `vigil eval` does. A GKE shape unlike the round's EBS one: the
class `ssd-cmek` (pd.csi.storage.gke.io, `disk-encryption-kms-key`) was created by Terraform 3 h before a
StatefulSet's new ordinal asked for a claim, and the external-provisioner reports Cloud KMS refusing the key; a
rollout of another Deployment is a red herring. The twin: the same refusal from a class created two months ago
(the class did not just change: something else did), which must not be named.
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
KEY = "projects/shop-prod/locations/europe-west1/keyRings/disks/cryptoKeys/pd-2026"


def _quiet(pod: str, start: datetime, end: datetime) -> str:
    return L.lines(L.ticker(start, end, 300, lambda i, t: L.logfmt(t, "info", "compaction done", took_ms=40 + i % 9)))


def _incident(name: str, seed: int, class_age: timedelta, culprit: bool) -> Incident:
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    scaled = at - 30 * M
    inc = Incident(name, title="chronicle-store replicas missing", story="a StorageClass with a CMEK key", at=at,
                   seed=seed, namespaces=("metrics",))
    inc.add({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "ssd-cmek", "creationTimestamp": ts(at - class_age),
                          "labels": {"app.kubernetes.io/managed-by": "terraform"}},
             "provisioner": "pd.csi.storage.gke.io", "reclaimPolicy": "Delete",
             "volumeBindingMode": "WaitForFirstConsumer",
             "parameters": {"type": "pd-ssd", "disk-encryption-kms-key": KEY}})
    pending = ("running PreBind plugin \"VolumeBinding\": binding volumes: provisioning failed for PVC "
               "\"data-chronicle-2\"")
    inc.statefulset("metrics", "chronicle", [c("chronicle", f"{REGISTRY}/metrics/chronicle:3.1.0", port=8482)],
                    [P(log=_quiet), P(log=_quiet), P(state="pending", message=pending)], at - timedelta(days=80),
                    service=8482)
    for i in range(2):
        inc.pvc("metrics", f"data-chronicle-{i}", "200Gi", "ssd-cmek", labels={"app": "chronicle"})
    claim = inc.pvc("metrics", "data-chronicle-2", "200Gi", "ssd-cmek", labels={"app": "chronicle"},
                    phase="Pending")
    refusal = ("failed to provision volume with StorageClass \"ssd-cmek\": rpc error: code = Internal desc = "
               "CreateVolume failed to create single zonal disk \"pvc-5d1c\": googleapi: Error 400: Cloud KMS error "
               f"when using key {KEY}: Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource")
    inc.event(claim, "ProvisioningFailed", refusal, scaled + M, at, count=14,
              component="pd.csi.storage.gke.io_csi-gce-pd-controller-6c9f_0b1e")
    inc.deployment("metrics", "chronicle-query", [
        Rev(5, at - timedelta(days=12), "deploy 2.8.0", [c("query", f"{REGISTRY}/metrics/chronicle-query:2.8.0")]),
        Rev(6, at - 50 * M, "deploy 2.9.0", [c("query", f"{REGISTRY}/metrics/chronicle-query:2.9.0")])],
        {6: [P(log=_quiet)]})
    inc.alertmanager("KubeStatefulSetReplicasMismatch", {"namespace": "metrics", "statefulset": "chronicle"},
                     "StatefulSet has not matched the expected number of replicas.",
                     "StatefulSet metrics/chronicle has not matched the expected number of replicas for longer than "
                     "15 minutes.", "kube_statefulset_status_replicas_ready != kube_statefulset_replicas",
                     severity="warning", starts=at - 10 * M)
    if culprit:
        inc.answer_key(culprit=("StorageClass", "", "ssd-cmek"), keywords=["StorageClass", "KMS key", "provision"],
                       root_cause="ssd-cmek was created with a CMEK key the PD CSI driver may not use.",
                       category="storageclass-kms-key-volume-provisioning-fails",
                       red_herrings=[("Deployment", "metrics", "chronicle-query")])
    else:
        inc.answer_key(culprit=("StatefulSet", "metrics", "chronicle"), keywords=["provision"],
                       root_cause="the key's permission was revoked outside the cluster; the class is old.",
                       category="unexplained", red_herrings=[("StorageClass", "", "ssd-cmek")])
    return inc


def recreated() -> Incident:
    """ssd-cmek created 3 h before the new claim's provisioning began failing."""
    return _incident("chronicle-cmek-class", 4401, timedelta(hours=3), True)


def old_class() -> Incident:
    """The twin: the class is two months old."""
    return _incident("chronicle-cmek-old-class", 4402, timedelta(days=60), False)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((recreated, old_class), tmp_path_factory.mktemp("storage-layer"))


def test_the_class_whose_key_the_driver_cannot_use_is_named(results: dict[str, object]) -> None:
    row = results["chronicle-cmek-class"]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert top.startswith("StorageClass ssd-cmek") and "KMS key" in top and "disk-encryption-kms-key" in top, top


def test_a_class_two_months_old_is_not_named(results: dict[str, object]) -> None:
    top = str(getattr(results["chronicle-cmek-old-class"], "top", "") or "")
    assert not top.startswith("StorageClass ssd-cmek"), top
