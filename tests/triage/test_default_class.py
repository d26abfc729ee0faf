"""A claim created after the default StorageClass moved: the class that became the default is named.

Unit tests over the facts `default_class.read` keeps (the namespace's claims and their classes as `k8s_get -o
yaml` returns them). Two shapes: a StatefulSet scaled up whose new ordinal's claim landed on an EFS class (the
default moved from EBS gp3), and one whose claim landed on an HDD-backed EBS class (st1) of the same
provisioner. Negative twins: the new claim on its siblings' class, the new claim naming a class that is not the
default, the old class still the default.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import default_class
from agent.triage.facts import Facts, Ref

AT = datetime(2026, 11, 21, 11, 9, tzinfo=UTC)
DEFAULT = {"storageclass.kubernetes.io/is-default-class": "true"}


def _claim(name: str, cls: str, created: str) -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "ledger",
                                                          "creationTimestamp": created},
            "spec": {"storageClassName": cls, "accessModes": ["ReadWriteOnce"]}}


def _class(name: str, provisioner: str, default: bool) -> dict[str, Any]:
    return {"kind": "StorageClass", "metadata": {"name": name, "annotations": DEFAULT if default else {}},
            "provisioner": provisioner}


def _facts(claims: list[dict[str, Any]], classes: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": [
        {"at": "2026-11-21T08:29:00Z", "type": "scale", "object": {"kind": "StatefulSet", "namespace": "ledger",
                                                                   "name": "pg-ledger"},
         "summary": "StatefulSet ledger/pg-ledger written by kubectl-scale: spec.replicas"}]}, changes_id="E2")
    facts.reads[default_class.RECORD] = {"claims": claims, "classes": {c["metadata"]["name"]: c for c in classes},
                                         "evidence": ["E7"]}
    return facts


OLD = ("2026-10-13T11:44:00Z", "2026-10-13T11:45:00Z")


def _siblings(cls: str) -> list[dict[str, Any]]:
    return [_claim(f"data-pg-ledger-{i}", cls, OLD[i]) for i in range(2)]


def test_the_class_that_became_the_default_is_named_for_the_new_replicas_claim() -> None:
    shapes = ((_class("efs-sc", "efs.csi.aws.com", True), _class("gp3", "ebs.csi.aws.com", False), "EFS", "fsync"),
              (_class("throughput-hdd", "ebs.csi.aws.com", True), _class("fast", "ebs.csi.aws.com", False),
               "throughput-hdd", "performs unlike its siblings"))
    for new, old, word, effect in shapes:
        claims = [*_siblings(old["metadata"]["name"]),
                  _claim("data-pg-ledger-2", new["metadata"]["name"], "2026-11-21T08:29:00Z")]
        [(ref, found, evidence, explains)] = default_class.suspects(_facts(claims, [new, old]))
        assert ref == Ref("StorageClass", "", new["metadata"]["name"]) and "E7" in evidence
        assert Ref("PersistentVolumeClaim", "ledger", "data-pg-ledger-2") in explains
        assert Ref("StatefulSet", "ledger", "pg-ledger") in explains
        message = found["message"]
        assert "default StorageClass" in message and word in message and effect in message
        assert "data-pg-ledger-0" in message and old["metadata"]["name"] in message


def test_a_new_claim_on_its_siblings_class_or_on_a_class_not_the_default_is_not_named() -> None:
    efs, gp3 = _class("efs-sc", "efs.csi.aws.com", False), _class("gp3", "ebs.csi.aws.com", True)
    same = [*_siblings("gp3"), _claim("data-pg-ledger-2", "gp3", "2026-11-21T08:29:00Z")]
    assert default_class.suspects(_facts(same, [efs, gp3])) == []
    named = [*_siblings("gp3"), _claim("data-pg-ledger-2", "efs-sc", "2026-11-21T08:29:00Z")]
    assert default_class.suspects(_facts(named, [efs, gp3])) == []  # gp3 is still the default: efs-sc was asked for


def test_siblings_on_mixed_classes_say_nothing_about_a_moved_default() -> None:
    efs, gp3 = _class("efs-sc", "efs.csi.aws.com", True), _class("gp3", "ebs.csi.aws.com", False)
    io2 = _class("io2", "ebs.csi.aws.com", False)
    claims = [_claim("data-pg-ledger-0", "gp3", OLD[0]), _claim("data-pg-ledger-1", "io2", OLD[1]),
              _claim("data-pg-ledger-2", "efs-sc", "2026-11-21T08:29:00Z")]
    assert default_class.suspects(_facts(claims, [efs, gp3, io2])) == []
