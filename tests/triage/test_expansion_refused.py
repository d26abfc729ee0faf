"""A StorageClass re-applied without allowVolumeExpansion while something grows its claims: an autoresizer in its
own namespace logs the API server's refusal for a PostgreSQL claim, a database operator beside its cluster
paraphrases it for a Kafka claim; and the twins (the class still allows expansion, the refusal names another
claim, nobody tried to resize, the class was last written weeks ago)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, expansion_refused
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
REFUSAL = ('{"level":"error","msg":"failed to resize PVC","namespace":"shop","name":"%s","error":'
           '"persistentvolumeclaims \\"%s\\" is forbidden: only dynamically provisioned pvc can be resized and the '
           'storageclass that provisions the pvc must support resize"}')
PARAPHRASE = ("2026-12-06 19:41:07 WARN  PvcReconciler: cannot grow %s to 600Gi: Storage class standard-rwo does not "
              "support volume expansion")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _objects(claim: str, klass: str, expandable: bool | None) -> list[dict[str, Any]]:
    sc: dict[str, Any] = {"kind": "StorageClass", "metadata": {"name": klass}, "provisioner": "ebs.csi.aws.com"}
    if expandable is not None:
        sc["allowVolumeExpansion"] = expandable
    return [sc, {"kind": "PersistentVolumeClaim", "metadata": {"name": claim, "namespace": "shop"},
                 "spec": {"storageClassName": klass, "volumeName": "pv-1"}, "status": {"phase": "Bound"}}]


def _hub(claim: str, klass: str, expandable: bool | None, pods: list[dict[str, Any]],
         logs: dict[str, list[str]]) -> RecordingHub:
    return RecordingHub(objects=keyed(_objects(claim, klass, expandable)), lists={"Pod": pods}, logs=logs,
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


def _facts(claim: str, klass: str, written: datetime) -> Facts:
    ref = {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": claim}
    owner = {"kind": "StatefulSet", "namespace": "shop", "name": claim.split("-", 1)[1].rsplit("-", 1)[0]}
    return Facts(at=AT, scan={"findings": [
        {"check": "pvc.filling", "object": ref, "owner": owner, "reason": "VolumeFull",
         "message": f"PersistentVolumeClaim shop/{claim} is full: 0.2Gi of 100Gi available, 100% used",
         "evidence": ["No space left on device"]}]},
        changes={"changes": [{"at": _iso(written), "type": "other", "summary": f"StorageClass {klass} written by "
                              "kubectl-client-side-apply: parameters.type = 'gp3'",
                              "object": {"kind": "StorageClass", "namespace": "", "name": klass}}]},
        changes_id="E2")


RESIZER = [{"name": "pvc-autoresizer-7d9-x2", "namespace": "kube-storage",
            "images": ["ghcr.io/topolvm/pvc-autoresizer"]},
           {"name": "web-5c-aa", "namespace": "shop", "images": ["shop/web:1"]},
           {"name": "coredns-1", "namespace": "kube-system", "images": ["coredns"]}]


def _found(hub: RecordingHub, facts: Facts) -> list[expansion_refused.Refused]:
    asyncio.run(expansion_refused.read(Subject(namespace="shop"), facts, hub, _iso(AT)))
    return expansion_refused.found(facts)


def test_autoresizer_refused_after_the_class_lost_expansion() -> None:
    hub = _hub("data-orders-db-0", "gp3", None, RESIZER,
               {"pvc-autoresizer-7d9-x2": ["checked PVCs", REFUSAL % ("data-orders-db-0", "data-orders-db-0")]})
    found = _found(hub, _facts("data-orders-db-0", "gp3", AT - timedelta(hours=10)))
    assert [(str(r.klass), str(r.claim)) for r in found] == [("StorageClass gp3",
                                                             "PersistentVolumeClaim shop/data-orders-db-0")]
    assert found[0].refused_by == "kube-storage/pvc-autoresizer-7d9-x2"
    assert "StatefulSet shop/orders-db" in [str(r) for r in found[0].explains]
    message = expansion_refused.finding(found[0], AT)["message"][:400]
    assert message.startswith("StorageClass gp3 no longer sets allowVolumeExpansion: true")
    assert "forbidden" in message and "must support resize" in message
    assert not any("coredns" in str(a) for _, a in hub.calls if _ == "k8s_logs")
    assert expansion_refused.CHECK in behind.WEIGHTS


def test_operator_paraphrase_in_the_claims_namespace() -> None:
    pods = [{"name": "kafka-operator-6f-zz", "namespace": "shop", "images": ["strimzi/operator:0.43"]}]
    hub = _hub("data-events-kafka-2", "standard-rwo", False, pods,
               {"kafka-operator-6f-zz": ["reconciling", PARAPHRASE % "data-events-kafka-2"]})
    found = _found(hub, _facts("data-events-kafka-2", "standard-rwo", AT - timedelta(hours=30)))
    assert [str(r.klass) for r in found] == ["StorageClass standard-rwo"]
    assert "does not support volume expansion" in expansion_refused.finding(found[0], AT)["message"]


def test_class_that_still_allows_expansion_is_not_named() -> None:
    hub = _hub("data-orders-db-0", "gp3", True, RESIZER,
               {"pvc-autoresizer-7d9-x2": [REFUSAL % ("data-orders-db-0", "data-orders-db-0")]})
    assert _found(hub, _facts("data-orders-db-0", "gp3", AT - timedelta(hours=10))) == []


def test_refusal_of_another_claim_or_none_is_not_named() -> None:
    other = _hub("data-orders-db-0", "gp3", None, RESIZER,
                 {"pvc-autoresizer-7d9-x2": [REFUSAL % ("data-search-0", "data-search-0")]})
    assert _found(other, _facts("data-orders-db-0", "gp3", AT - timedelta(hours=10))) == []
    quiet = _hub("data-orders-db-0", "gp3", None, RESIZER, {"pvc-autoresizer-7d9-x2": ["checked PVCs"]})
    assert _found(quiet, _facts("data-orders-db-0", "gp3", AT - timedelta(hours=10))) == []


def test_class_written_long_ago_is_not_named() -> None:
    hub = _hub("data-orders-db-0", "gp3", None, RESIZER,
               {"pvc-autoresizer-7d9-x2": [REFUSAL % ("data-orders-db-0", "data-orders-db-0")]})
    assert _found(hub, _facts("data-orders-db-0", "gp3", AT - timedelta(days=20))) == []
