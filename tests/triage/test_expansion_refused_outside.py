"""agent.triage.expansion_refused against operators' and events' wordings its round never showed (issue #12).

The class: a StorageClass re-written without `allowVolumeExpansion: true`, so whoever grows a full claim is refused
and the volume fills. Shapes: Strimzi's cluster operator ("Storage Class X does not support resizing of volumes.
PVC Y cannot be resized", in the operator's own namespace), an operator's Warning event in the claim's namespace
(reason StorageClassNotExpandable, "StorageClass for PVC Y does not support volume expansion"), "storage class X
does not allow volume expansion to resize claim Y", pvc-autoresizer's bare "storage class does not support
expansion" with the claim in a JSON field. Twins: the same Strimzi refusal naming another PVC; the
external-resizer's ExternalExpanding ("waiting for an external controller to expand this PVC": the resize was
accepted); a driver's VolumeResizeFailed; kubectl refusing a shrink ("can not be less than previous value").
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.triage import expansion_refused
from tests.triage.doubles import RecordingHub, keyed, outcome
from tests.triage.test_expansion_refused import AT, _facts, _found, _objects

CLAIM = "data-0-events-kafka-1"
STRIMZI = ("2026-12-06 19:41:07 WARN  PvcReconciler:112 - Reconciliation #88(timer) Kafka(shop/events): Storage "
           "Class standard-rwo does not support resizing of volumes. PVC %s cannot be resized. Reconciliation will "
           "proceed without reconciling this PVC.")
EVENT = ("Warning  StorageClassNotExpandable  persistentvolumeclaim/%s  StorageClass for PVC %s does not support "
         "volume expansion")
ALLOW = "2026-12-06T19:41:07Z ERROR storage class standard-rwo does not allow volume expansion to resize claim %s"
AUTORESIZER = ('{"level":"error","ts":"2026-12-06T19:41:07Z","msg":"storage class does not support expansion",'
               '"namespace":"shop","name":"%s"}')
EXTERNAL = ("Normal  ExternalExpanding  persistentvolumeclaim/%s  waiting for an external controller to expand this "
            "PVC")
DRIVER = ('Warning  VolumeResizeFailed  persistentvolumeclaim/%s  resize volume "pvc-1" by resizer "pd.csi.storage.'
          'gke.io" failed: rpc error: code = Internal desc = disk is being modified')
SHRINK = ('The PersistentVolumeClaim "%s" is invalid: spec.resources.requests.storage: Forbidden: field can not be '
          'less than previous value')
OPERATOR = [{"name": "strimzi-cluster-operator-5d-x1", "namespace": "kafka-operators",
             "images": ["quay.io/strimzi/operator:0.43.0"]}]


def _hub(logs: list[str], events: list[str]) -> RecordingHub:
    hub = RecordingHub(objects=keyed(_objects(CLAIM, "standard-rwo", False)), lists={"Pod": OPERATOR},
                       logs={"strimzi-cluster-operator-5d-x1": logs},
                       otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
    hub.answers["k8s_events"] = lambda call, eid: outcome(True, {}, "\n".join(events), eid)
    return hub


@pytest.mark.parametrize(("logs", "events"), [
    ([STRIMZI % CLAIM], []),
    ([], [EVENT % (CLAIM, CLAIM)]),
    ([ALLOW % CLAIM], []),
    ([AUTORESIZER % CLAIM], []),
])
def test_operators_and_events_refusing_the_resize_name_the_class(logs: list[str], events: list[str]) -> None:
    found = _found(_hub(logs, events), _facts(CLAIM, "standard-rwo", AT - timedelta(hours=20)))
    assert [(str(r.klass), r.claim.name) for r in found] == [("StorageClass standard-rwo", CLAIM)]
    message = expansion_refused.finding(found[0], AT)["message"][:400]
    assert message.startswith("StorageClass standard-rwo no longer sets allowVolumeExpansion: true")


@pytest.mark.parametrize(("logs", "events"), [
    ([STRIMZI % "data-0-audit-kafka-0"], []),
    ([], [EXTERNAL % CLAIM]),
    ([], [DRIVER % CLAIM]),
    ([SHRINK % CLAIM], []),
])
def test_other_claims_accepted_resizes_driver_failures_and_shrinks_are_not_the_class(
        logs: list[str], events: list[str]) -> None:
    assert _found(_hub(logs, events), _facts(CLAIM, "standard-rwo", AT - timedelta(hours=20))) == []


def test_the_strimzi_wording_reads_as_a_refusal_that_names_its_pvc_and_a_bare_pvc_names_none() -> None:
    named = expansion_refused.NAMED_CLAIM.search(STRIMZI % CLAIM)
    assert expansion_refused.REFUSED.search(STRIMZI % CLAIM) and named is not None and CLAIM in named.group()
    assert expansion_refused.NAMED_CLAIM.search("storage class does not support expansion: PVC cannot be resized") \
        is None
