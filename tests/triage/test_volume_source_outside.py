"""volume_source against evidence it was not built from (issue #12: build for the class).

Shapes: the kubelet's summary event, the only FailedMount left once the per-volume SetUp events aged out
(`Unable to attach or mount volumes: unmounted volumes=[settings], unattached volumes=[...]: timed out waiting for
the condition`), naming the ConfigMap-built volume; cert-manager's csi-driver, whose volume is built from the
ClusterIssuer its `csi.cert-manager.io/issuer-name`/`issuer-kind` attributes name (a different CSI driver, a
cluster-scoped source). Twins: the summary names only another volume than the written source's; the ClusterIssuer
written after the mounts were already failing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import storage_layer
from agent.triage.facts import Facts, Ref
from agent.triage.volume_source import RECORD, suspects, volume_sources
from tests.triage.test_volume_source import AT, POD, facts_with, iso, write

SUMMARY = ("Unable to attach or mount volumes: unmounted volumes=[settings], unattached volumes=[settings "
           "vault-certs data tmp kube-api-access-9xk2p]: timed out waiting for the condition")
OTHER_SUMMARY = SUMMARY.replace("unmounted volumes=[settings]", "unmounted volumes=[data]")


def test_the_kubelets_unmounted_volumes_summary_names_the_volume_whose_configmap_was_written() -> None:
    facts = facts_with([write("ConfigMap", "quotes-routing", AT - timedelta(minutes=30), "data key routing.yaml "
                              "removed")], SUMMARY, AT - timedelta(minutes=28), via_scan=False)
    [(ref, finding, _, explains)] = suspects(facts)
    assert ref == Ref("ConfigMap", "pricing", "quotes-routing")
    assert "volume settings" in finding["message"] and explains == [Ref("", "pricing", "quotes")]


def test_a_summary_naming_only_another_volume_does_not_blame_the_configmap() -> None:
    facts = facts_with([write("ConfigMap", "quotes-routing", AT - timedelta(minutes=30), "data key routing.yaml "
                              "removed")], OTHER_SUMMARY, AT - timedelta(minutes=28), via_scan=False)
    assert suspects(facts) == []


CERT_POD: dict[str, Any] = {"kind": "Pod", "metadata": {"name": POD, "namespace": "pricing"}, "spec": {"volumes": [
    {"name": "mtls", "csi": {"driver": "csi.cert-manager.io", "readOnly": True, "volumeAttributes": {
        "csi.cert-manager.io/issuer-name": "mesh-ca", "csi.cert-manager.io/issuer-kind": "ClusterIssuer",
        "csi.cert-manager.io/dns-names": "${POD_NAME}.${POD_NAMESPACE}.svc.cluster.local"}}}]}}
CERT_FAIL = ('MountVolume.SetUp failed for volume "mtls" : rpc error: code = Unknown desc = waiting for request: '
             'certificaterequest.cert-manager.io "3f2c1a" has failed: Failed to sign certificate: referenced '
             'secret pki/mesh-ca-key not found')


def _cert_facts(written: timedelta, first: timedelta) -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": iso(AT - written), "type": "update",
                                  "object": {"kind": "ClusterIssuer", "name": "mesh-ca"},
                                  "summary": "ClusterIssuer mesh-ca written by kubectl-edit",
                                  "diff": ["spec.ca.secretName: 'mesh-ca-root' -> 'mesh-ca-key'"], "related": []}]}
    facts.reads[storage_layer.RECORD] = {"events": [{"kind": "Pod", "namespace": "pricing", "name": POD,
                                                     "reason": "FailedMount", "message": CERT_FAIL,
                                                     "first_seen": iso(AT - first)}], "objects": {}, "evidence": []}
    facts.reads[RECORD] = {"pods": [{"pod": POD, "namespace": "pricing", "evidence": "P1", "volumes": {
        name: [(s.target.kind, s.target.name, s.via) for s in sources]
        for name, sources in volume_sources(CERT_POD, "pricing").items()}}]}
    return facts


def test_cert_manager_csi_volume_is_built_from_the_cluster_issuer_it_names() -> None:
    [source] = volume_sources(CERT_POD, "pricing")["mtls"]
    assert source.target == Ref("ClusterIssuer", "", "mesh-ca") and "issuer" in source.via
    [(ref, finding, _, _)] = suspects(_cert_facts(timedelta(minutes=40), timedelta(minutes=38)))
    assert ref.kind == "ClusterIssuer" and ref.name == "mesh-ca"
    assert "volume mtls" in finding["message"] and "Failed to sign certificate" in finding["message"]


def test_a_cluster_issuer_written_after_the_mounts_failed_is_an_attempted_fix() -> None:
    assert suspects(_cert_facts(timedelta(minutes=10), timedelta(minutes=38))) == []
