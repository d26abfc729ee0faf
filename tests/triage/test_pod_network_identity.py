"""agent.triage.pod_network_identity: a per-pod network identity that only the pods created after it got.

Shapes: a SecurityGroupPolicy selecting by `podSelector`, the two pods an HPA added after it carrying the
`vpc.amazonaws.com/pod-eni` branch ENI annotation and timing out to PostgreSQL (Java), the older replicas fine;
a SecurityGroupPolicy selecting by `serviceAccountSelector` (no annotation read), the pods a rollout created after
it timing out to Redis (Go `i/o timeout`) while a replica from before still works. Twins: a failing pod created
before the write (the identity cannot explain it); a policy selecting other pods; no split to see (every replica
new, none annotated).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import pod_network_identity
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 9, 14, 0, tzinfo=UTC)
JAVA = ("Caused by: java.net.SocketTimeoutException: Connect timed out (ledger-db.cluster-abc.eu-west-1.rds."
        "amazonaws.com:5432)")
GO = "2026/11/09 13:50:02 cache: dial tcp 10.40.7.12:6379: i/o timeout"
ENI = '[{"eniId":"eni-0a1b2c3d","privateIp":"10.0.41.87","vlanId":1}]'


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def sgp(selector: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "vpcresources.k8s.aws/v1beta1", "kind": "SecurityGroupPolicy",
            "metadata": {"name": "ledger-sg", "namespace": "ledger"},
            "spec": {**selector, "securityGroups": {"groupIds": ["sg-0aa11bb22cc33dd44"]}}}


def pod(name: str, minutes_before: int, labels: dict[str, str], eni: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ledger", "labels": labels,
                            "creationTimestamp": iso(AT - timedelta(minutes=minutes_before))}
    if eni:
        meta["annotations"] = {"vpc.amazonaws.com/pod-eni": ENI}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"serviceAccountName": "ledger", "containers": [{"name": "ledger", "image": "ledger:5"}]}}


OLD, NEW1, NEW2 = "ledger-6c9d8f7b5-bbbbb", "ledger-6c9d8f7b5-q2w4x", "ledger-6c9d8f7b5-zz9kk"
ACCOUNT = {"apiVersion": "v1", "kind": "ServiceAccount",
           "metadata": {"name": "ledger", "namespace": "ledger", "labels": {"team": "ledger"}}}


def run(line: str, policy: dict[str, Any], pods: dict[str, dict[str, Any]], written_before: int = 120,
        old_logs: str = "order accepted") -> Facts:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": iso(AT - timedelta(minutes=written_before)), "type": "other",
                                  "object": {"kind": "SecurityGroupPolicy", "namespace": "ledger",
                                             "name": "ledger-sg"},
                                  "summary": "SecurityGroupPolicy ledger/ledger-sg written by kubectl",
                                  "diff": ["spec.securityGroups = {...}"], "related": []}]}
    facts.logs = [LogEvidence(pod=name, namespace="ledger", evidence_id=f"L{i}",
                              top={"example": line, "first_seen": iso(AT - timedelta(minutes=9)), "severity": "error"},
                              hosts=[], error_classes={"connection_timeout"}, previous=False)
                  for i, name in enumerate([NEW1, NEW2])]
    objects: dict[Any, Any] = {("SecurityGroupPolicy", "ledger", "ledger-sg"): policy,
                               ("ServiceAccount", "ledger", "ledger"): ACCOUNT}
    objects.update({("Pod", "ledger", n): p for n, p in pods.items()})
    hub = RecordingHub(objects=objects, lists={("Pod", "ledger"): [{"name": n, "namespace": "ledger"} for n in pods]},
                       logs={OLD: [old_logs]})
    asyncio.run(pod_network_identity.read(Subject(names=["ledger"]), facts, hub, iso(AT)))
    return facts


def test_a_pod_selector_policy_whose_new_pods_got_a_branch_eni_is_named() -> None:
    labels = {"app": "ledger"}
    pods = {OLD: pod(OLD, 3000, labels), NEW1: pod(NEW1, 10, labels, eni=True), NEW2: pod(NEW2, 10, labels, eni=True)}
    facts = run(JAVA, sgp({"podSelector": {"matchLabels": {"app": "ledger"}}}), pods)
    [(ref, finding, evidence, explains)] = pod_network_identity.suspects(facts)
    assert (ref.kind, ref.name) == ("SecurityGroupPolicy", "ledger-sg")
    head = finding["message"][:400]
    assert "branch ENI" in head and "security group sg-0aa11bb22cc33dd44" in head and OLD in head
    assert explains[0].name == "ledger" and "L0" in evidence


def test_a_service_account_selector_policy_is_named_by_the_age_split_alone() -> None:
    labels = {"app": "ledger"}
    pods = {OLD: pod(OLD, 3000, labels), NEW1: pod(NEW1, 15, labels), NEW2: pod(NEW2, 15, labels)}
    facts = run(GO, sgp({"serviceAccountSelector": {"matchLabels": {"team": "ledger"}}}), pods)
    [(ref, finding, _, _)] = pod_network_identity.suspects(facts)
    assert ref.name == "ledger-sg" and "branch ENI (their" not in finding["message"]


def test_a_failing_pod_older_than_the_policy_is_not_explained_by_it() -> None:
    labels = {"app": "ledger"}
    pods = {OLD: pod(OLD, 3000, labels), NEW1: pod(NEW1, 10, labels, eni=True), NEW2: pod(NEW2, 500, labels)}
    facts = run(JAVA, sgp({"podSelector": {"matchLabels": {"app": "ledger"}}}), pods)
    assert pod_network_identity.suspects(facts) == []


def test_a_policy_selecting_other_pods_is_not_named() -> None:
    labels = {"app": "ledger"}
    pods = {OLD: pod(OLD, 3000, labels), NEW1: pod(NEW1, 10, labels, eni=True), NEW2: pod(NEW2, 10, labels, eni=True)}
    facts = run(JAVA, sgp({"podSelector": {"matchLabels": {"app": "reports"}}}), pods)
    assert pod_network_identity.suspects(facts) == []


def test_every_replica_failing_alike_shows_no_split() -> None:
    labels = {"app": "ledger"}
    pods = {OLD: pod(OLD, 3000, labels), NEW1: pod(NEW1, 10, labels), NEW2: pod(NEW2, 10, labels)}
    facts = run(GO, sgp({"podSelector": {"matchLabels": {"app": "ledger"}}}), pods, old_logs=GO)
    assert pod_network_identity.suspects(facts) == []
