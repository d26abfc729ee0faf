"""agent.triage.claim_spec against other provisioners' own wording (not the round's incident).

Shapes: GCE PD and Azure Disk quota refusals (`QUOTA_EXCEEDED: Quota 'SSD_TOTAL_GB' exceeded`, `exceeding quota
limits of PremiumDiskCount`), an Azure Disk size above the maximum, Ceph RBD refusing a multi-node access mode on a
filesystem volume, Longhorn refusing MULTI_NODE_MULTI_WRITER, a PD restore smaller than its snapshot in the
driver's own words, a WaitForFirstConsumer claim whose selected node's zone is outside the class's
allowedTopologies. Twins: a CSINode with no topology key (the node's driver registration, not the claim), a
driver socket that is not there, a claim already Bound under the same quota refusal.
"""

from __future__ import annotations

import pytest

from agent.triage import claim_spec
from tests.triage.test_claim_spec import claim, facts_with, run

GCE_QUOTA = ('failed to provision volume with StorageClass "standard-rwo": rpc error: code = ResourceExhausted desc = '
             'CreateVolume failed to create single zonal disk pvc-2: failed to insert zonal disk: googleapi: Error '
             "403: QUOTA_EXCEEDED: Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0 in region us-central1.")
AZURE_QUOTA = ('failed to provision volume with StorageClass "managed-csi": rpc error: code = Internal desc = '
               'Retriable: false, RetryAfter: 0s, HTTPStatusCode: 409, RawError: {"error":{"code":'
               '"OperationNotAllowed","message":"Operation results in exceeding quota limits of PremiumDiskCount. '
               'Maximum allowed: 100, Current in use: 100, Additional requested: 1."}}')
AZURE_SIZE = ('failed to provision volume with StorageClass "managed-csi": rpc error: code = InvalidArgument desc = '
              'HTTPStatusCode: 400, RawError: {"error":{"code":"InvalidParameter","message":"The specified disk size '
              '70000 GB is larger than the maximum allowed disk size 32767 GB."}}')
CEPH_RWX = ('failed to provision volume with StorageClass "ceph-rbd": rpc error: code = InvalidArgument desc = multi '
            'node access modes are only supported on rbd `block` type volumes')
LONGHORN_RWX = ('failed to provision volume with StorageClass "longhorn-strict": rpc error: code = InvalidArgument '
                'desc = access mode MULTI_NODE_MULTI_WRITER requires volume mode Block')
PD_RESTORE = ('failed to provision volume with StorageClass "standard-rwo": rpc error: code = InvalidArgument desc = '
              'CreateVolume source snapshot size 100Gi is larger than requested size 50Gi')
WFFC = ('failed to provision volume with StorageClass "gp3-us-east-1a": error generating accessibility '
        'requirements: selected node "ip-10-0-3-7" topology "map[topology.ebs.csi.aws.com/zone:us-east-1b]" is not '
        'in allowed topologies: [map[topology.ebs.csi.aws.com/zone:us-east-1a]]')
CSINODE = ('failed to provision volume with StorageClass "gp3": error generating accessibility requirements: no '
           'topology key found on CSINode ip-10-0-3-7.ec2.internal')
NO_SOCKET = ('failed to provision volume with StorageClass "gp3": rpc error: code = Unavailable desc = connection '
             'error: desc = "transport: Error while dialing dial unix /csi/csi.sock: connect: no such file or '
             'directory"')


@pytest.mark.parametrize(("said", "field", "words"), [
    (GCE_QUOTA, "spec.resources.requests.storage", "quota"),
    (AZURE_QUOTA, "spec.resources.requests.storage", "quota"),
    (AZURE_SIZE, "spec.resources.requests.storage", "requested size"),
    (CEPH_RWX, "spec.accessModes", "access mode"),
    (LONGHORN_RWX, "spec.accessModes", "access mode"),
    (PD_RESTORE, "spec.resources.requests.storage", "smaller than its source"),
    (WFFC, "metadata.annotations.volume.kubernetes.io/selected-node", "outside where its class may provision"),
])
def test_other_provisioners_refusals_name_the_claim_and_the_field(said: str, field: str, words: str) -> None:
    facts = facts_with(said)
    run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi", modes=["ReadWriteMany"])})
    [(ref, finding, _, explains)] = claim_spec.suspects(facts)
    assert ref.name == "data-ledger-0"
    head = finding["message"][:400]
    assert "ProvisioningFailed" in head and words in head
    assert finding["details"]["fields"][0] == field
    assert [r.name for r in explains] == ["ledger"]


@pytest.mark.parametrize("said", [CSINODE, NO_SOCKET])
def test_a_node_or_driver_refusal_is_not_the_claims_spec(said: str) -> None:
    facts = facts_with(said)
    run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi")})
    assert claim_spec.meaning_of(said) is None
    assert claim_spec.suspects(facts) == []


def test_a_bound_claim_under_a_quota_refusal_is_not_named() -> None:
    facts = facts_with(GCE_QUOTA)
    run(facts, {"data-ledger-0": claim("data-ledger-0", "50Gi", phase="Bound")})
    assert claim_spec.suspects(facts) == []
