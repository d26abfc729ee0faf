"""group_users: the managed resources that use a written parameter group, found by evidence.

Shapes: an ACK RDS `DBClusterParameterGroup` used by a `DBCluster` (`dbClusterParameterGroupName`) listed beside a
cluster of another group; an Upbound ElastiCache `ParameterGroup` (cluster-scoped) used by a `ReplicationGroup`
through `parameterGroupNameRef: {name: ...}`. Twins: a kind that is not a parameter group reads nothing, a user
naming the group under an unrelated key (a tag) is not a user, and kinds of another API group are never listed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent.triage import group_users as gu
from tests.triage.doubles import RecordingHub

RDS = "rds.services.k8s.aws"
UPBOUND = "elasticache.aws.upbound.io"


def _obj(group: str, kind: str, name: str, namespace: str, spec: dict[str, Any],
         status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": f"{group}/v1alpha1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": spec, "status": status or {}}


CRDS = [{"name": n} for n in (f"dbclusters.{RDS}", f"dbclusterparametergroups.{RDS}", f"dbsubnetgroups.{RDS}",
                              f"replicationgroups.{UPBOUND}", f"parametergroups.{UPBOUND}",
                              "certificates.cert-manager.io")]


def _run(group: dict[str, Any], objects: dict[Any, Any], lists: dict[Any, Any]) -> tuple[list[gu.User], RecordingHub]:
    hub = RecordingHub(objects=objects, lists={"CustomResourceDefinition": CRDS, **lists})
    return asyncio.run(gu.users(hub, group, "t")), hub


def test_an_rds_cluster_parameter_group_is_used_by_the_cluster_naming_it() -> None:
    group = _obj(RDS, "DBClusterParameterGroup", "ledger-aurora16", "data", {"name": "ledger-aurora16"})
    ledger = _obj(RDS, "DBCluster", "ledger", "data", {"dbClusterParameterGroupName": "ledger-aurora16"},
                  {"endpoint": "ledger.cluster-cq1z.us-east-2.rds.amazonaws.com"})
    other = _obj(RDS, "DBCluster", "audit", "data", {"dbClusterParameterGroupName": "default.aurora16",
                                                     "tags": [{"key": "peer", "value": "ledger-aurora16"}]})
    users, hub = _run(group, {("dbclusters." + RDS, "data", "ledger"): ledger,
                              ("dbclusters." + RDS, "data", "audit"): other},
                      {"dbclusters." + RDS: [{"name": "audit", "namespace": "data"},
                                             {"name": "ledger", "namespace": "data"}]})
    assert [(str(u.ref), u.hosts) for u in users] == [
        ("DBCluster data/ledger", ["ledger.cluster-cq1z.us-east-2.rds.amazonaws.com"])]
    listed = [a["kind"] for t, a in hub.calls if t == "k8s_list"]
    assert listed == ["CustomResourceDefinition", "dbclusters." + RDS]  # subnet and other groups' kinds unread


def test_a_cluster_scoped_crossplane_group_is_used_through_a_name_reference() -> None:
    group = {"apiVersion": f"{UPBOUND}/v1beta1", "kind": "ParameterGroup", "metadata": {"name": "carts-valkey8"},
             "spec": {"forProvider": {"family": "valkey8"}}}
    carts = {"apiVersion": f"{UPBOUND}/v1beta1", "kind": "ReplicationGroup", "metadata": {"name": "carts"},
             "spec": {"forProvider": {"parameterGroupNameRef": {"name": "carts-valkey8"}}},
             "status": {"atProvider": {"primaryEndpointAddress": "master.carts.ab12cd.use1.cache.amazonaws.com"}}}
    users, _ = _run(group, {("replicationgroups." + UPBOUND, "", "carts"): carts},
                    {"replicationgroups." + UPBOUND: [{"name": "carts", "namespace": ""}]})
    assert [str(u.ref) for u in users] == ["ReplicationGroup carts"]
    assert users[0].hosts == ["master.carts.ab12cd.use1.cache.amazonaws.com"]


def test_a_kind_that_is_not_a_parameter_group_reads_nothing() -> None:
    group = _obj(RDS, "DBSubnetGroup", "private", "data", {"name": "private"})
    users, hub = _run(group, {}, {})
    assert users == [] and hub.calls == []
    assert not gu.names_group({"spec": {"tags": {"group": "x"}}}, "x")
    assert gu.names_group({"status": {"dbParameterGroups": [{"dbParameterGroupName": "x"}]}}, "x")
