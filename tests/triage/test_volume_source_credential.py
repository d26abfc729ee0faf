"""agent.triage.volume_source: a PersistentVolume's mount Secret rewritten with a credential the server refuses.

Shapes: an in-tree CephFS PV whose `secretRef` Secret an external-secrets sync rewrote, the kubelet's SetUp naming
the pod's volume with `mount error 13 = Permission denied`; an iSCSI CSI PV whose `nodeStageSecretRef` CHAP Secret
was re-applied, MountDevice naming the PV with iscsiadm's `Login failed to authenticate`. Twins: the same write but
the server is unreachable (`Connection timed out`: not the credential); the write came after the mounts were
already failing (an attempted fix); a write to a Secret the PV does not name. `read` follows claim -> PV by
reference and never reads the Secret.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import storage_layer
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from agent.triage.volume_source import RECORD, pv_credentials, read, suspects
from tests.triage.doubles import outcome

AT = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
POD = "ledger-sync-6c5d7b8f9-qq2wz"
CEPH_PV: dict[str, Any] = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "ledger-share"},
                           "spec": {"cephfs": {"monitors": ["10.1.2.3:6789"], "path": "/ledger", "user": "ledger",
                                               "secretRef": {"name": "ceph-ledger-key", "namespace": "ceph"}}}}
ISCSI_PV: dict[str, Any] = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-ledger-lun"},
                            "spec": {"csi": {"driver": "iscsi.csi.k8s.io", "volumeHandle": "lun-7",
                                             "nodeStageSecretRef": {"name": "chap-ledger"}}}}
CEPH_DENIED = ('MountVolume.SetUp failed for volume "books" : CephFS: mount failed: mount failed: exit status 13\n'
               'Mounting command: mount\nMounting arguments: -t ceph 10.1.2.3:6789:/ledger /var/lib/kubelet/pods/'
               'x/volumes/kubernetes.io~cephfs/books -o name=ledger,secret=<masked>\n'
               'Output: mount error 13 = Permission denied')
CEPH_TIMEOUT = CEPH_DENIED.replace("exit status 13", "exit status 110").replace(
    "mount error 13 = Permission denied", "mount error 110 = Connection timed out")
ISCSI_DENIED = ('MountVolume.MountDevice failed for volume "pv-ledger-lun" : rpc error: code = Internal desc = '
                'iscsiadm: Could not login to [iface: default, target: iqn.2001-04.com.example:ledger]\n'
                'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n'
                'iscsiadm: Login failed to authenticate with target')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def secret_write(namespace: str, name: str, at: datetime) -> dict[str, Any]:
    return {"at": iso(at), "type": "secret", "object": {"kind": "Secret", "namespace": namespace, "name": name},
            "summary": f"Secret {namespace}/{name} updated by external-secrets", "diff": ["data key key set"],
            "related": []}


def facts_with(pv: dict[str, Any], message: str, first: datetime, changes: list[dict[str, Any]]) -> Facts:
    """The failing pod's spec and its claim's PV credentials as `read` keeps them; the failure in the events."""
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": changes}
    facts.reads[storage_layer.RECORD] = {"events": [{"kind": "Pod", "namespace": "ledger", "name": POD,
                                                     "reason": "FailedMount", "message": message,
                                                     "first_seen": iso(first)}], "objects": {}, "evidence": []}
    rows = [{"namespace": s.target.namespace, "name": s.target.name, "via": s.via,
             "pv": pv["metadata"]["name"], "evidence": "PV1"} for s in pv_credentials(pv, "ledger")]
    facts.reads[RECORD] = {"pods": [{"pod": POD, "namespace": "ledger", "evidence": "P1",
                                     "volumes": {"books": [("PersistentVolumeClaim", "books", "claim")]},
                                     "credentials": {"books": rows}}]}
    return facts


def test_pv_credentials_reads_csi_and_in_tree_secret_references() -> None:
    assert [(s.target.namespace, s.target.name, s.via) for s in pv_credentials(CEPH_PV, "ledger")] == [
        ("ceph", "ceph-ledger-key", "PersistentVolume ledger-share cephfs secretRef")]
    assert [(s.target.namespace, s.target.name) for s in pv_credentials(ISCSI_PV, "ledger")] == [
        ("ledger", "chap-ledger")]  # no namespace in the reference: the claim's


def test_cephfs_secret_rewritten_before_permission_denied_is_the_cause() -> None:
    first = AT - timedelta(minutes=20)
    facts = facts_with(CEPH_PV, CEPH_DENIED, first, [secret_write("ceph", "ceph-ledger-key",
                                                                  first - timedelta(minutes=40))])
    got = suspects(facts)
    assert [str(ref) for ref, *_ in got] == ["Secret ceph/ceph-ledger-key"]
    assert "refuses the credential" in got[0][1]["message"]
    assert "Permission denied" in got[0][1]["message"]


def test_iscsi_chap_secret_rewritten_before_login_failure_named_by_pv() -> None:
    first = AT - timedelta(minutes=10)
    facts = facts_with(ISCSI_PV, ISCSI_DENIED, first, [secret_write("ledger", "chap-ledger",
                                                                    first - timedelta(hours=2))])
    assert [str(ref) for ref, *_ in suspects(facts)] == ["Secret ledger/chap-ledger"]


def test_server_unreachable_is_not_the_credential() -> None:
    first = AT - timedelta(minutes=20)
    facts = facts_with(CEPH_PV, CEPH_TIMEOUT, first, [secret_write("ceph", "ceph-ledger-key",
                                                                   first - timedelta(minutes=40))])
    assert suspects(facts) == []


def test_a_secret_write_after_the_refusals_began_is_an_attempted_fix() -> None:
    first = AT - timedelta(minutes=30)
    facts = facts_with(ISCSI_PV, ISCSI_DENIED, first, [secret_write("ledger", "chap-ledger",
                                                                    first + timedelta(minutes=15))])
    assert suspects(facts) == []


def test_a_write_to_a_secret_the_pv_does_not_name_is_not_the_cause() -> None:
    first = AT - timedelta(minutes=20)
    facts = facts_with(CEPH_PV, CEPH_DENIED, first, [secret_write("ceph", "ceph-admin-key",
                                                                  first - timedelta(minutes=40))])
    assert suspects(facts) == []


def test_read_follows_claim_to_pv_and_never_reads_the_secret() -> None:
    facts = facts_with(CEPH_PV, CEPH_DENIED, AT - timedelta(minutes=20), [])
    del facts.reads[RECORD]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": POD, "namespace": "ledger"},
           "spec": {"containers": [{"name": "sync", "image": "sync:1"}],
                    "volumes": [{"name": "books", "persistentVolumeClaim": {"claimName": "books"}}]}}
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "books", "namespace": "ledger"},
             "spec": {"volumeName": "ledger-share"}}
    objects = {"Pod": pod, "PersistentVolumeClaim": claim, "PersistentVolume": CEPH_PV}
    kinds: list[str] = []

    async def call(tool: str, args: dict[str, Any], step: str) -> ToolOutcome:
        kinds.append(str(args.get("kind")))
        return outcome(True, full_text=yaml.safe_dump(objects[str(args["kind"])]), evidence_id="E1")

    facts.scan = {"findings": [{"check": "pod.mount_failed", "reason": "FailedMount", "since": iso(AT),
                                "owner": {"kind": "Deployment", "namespace": "ledger", "name": "ledger-sync"},
                                "message": f"1/1 pods FailedMount: {CEPH_DENIED}", "pods": [POD]}]}
    asyncio.run(read(Subject(), facts, call, iso(AT)))
    assert kinds == ["Pod", "PersistentVolumeClaim", "PersistentVolume"]
    rows = facts.reads[RECORD]["pods"][0]["credentials"]["books"]
    assert [(r["namespace"], r["name"], r["pv"]) for r in rows] == [("ceph", "ceph-ledger-key", "ledger-share")]
