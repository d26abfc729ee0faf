"""A ServiceAccount written without the imagePullSecrets its workload's older pods still carry, named for the
refused pulls of the pods admitted since (agent.triage.pull_secret_source).

Findings in the scan's own shape (pod.image_pull with an empty `pull_secrets`), pods and ServiceAccounts in
Kubernetes' shape. Two shapes: a StatefulSet whose default ServiceAccount Pulumi re-created (Quay "denied"),
and a DaemonSet whose ServiceAccount a chart upgrade re-applied (Artifact Registry 403). Twins: siblings that
never carried a secret, a secret carried only by another owner's pods (a template change), a ServiceAccount
that still lists it, and a write made after the refused pods were admitted.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.triage import pull_secret_source as pss
from agent.triage.facts import Facts
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 10, 3, 14, 0, tzinfo=UTC)


def _pod(name: str, ns: str, owner: tuple[str, str], account: str, created: str, secrets: list[str],
         failing: bool) -> dict[str, Any]:
    state = ({"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}} if failing
             else {"running": {"startedAt": created}})
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "img"}]}
    if account:
        spec["serviceAccountName"] = account
    if secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "creationTimestamp": created,
                                        "ownerReferences": [{"kind": owner[0], "name": owner[1], "controller": True}]},
            "spec": spec, "status": {"containerStatuses": [{"name": "main", "state": state}]}}


def _account(name: str, ns: str, created: str, secrets: list[str], writes: list[tuple[str, str]]) -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": "ServiceAccount", "metadata": {
        "name": name, "namespace": ns, "creationTimestamp": created,
        "managedFields": [{"manager": m, "operation": "Update", "time": t} for m, t in writes]}}
    if secrets:
        obj["imagePullSecrets"] = [{"name": s} for s in secrets]
    return obj


def _facts(workload: tuple[str, str, str], error: str, pods: list[dict[str, Any]],
           accounts: list[dict[str, Any]]) -> Facts:
    facts = Facts(at=AT)
    kind, ns, name = workload
    facts.scan = {"findings": [{"check": "pod.image_pull", "severity": "critical",
                                "object": {"kind": kind, "namespace": ns, "name": name},
                                "message": f"ImagePullBackOff: cannot pull image ({error})",
                                "details": {"pull_secrets": [], "error": error}}]}
    facts.reads[pss.STORE] = {"pods": [(p, f"E{i}") for i, p in enumerate(pods)],
                              "accounts": [(a, f"S{i}") for i, a in enumerate(accounts)]}
    return facts


def _statefulset(old_secrets: list[str], account_secrets: list[str], write: str = "2026-10-03T11:40:00Z",
                 new_owner: str = "ledger") -> Facts:
    """Quay pulls for a StatefulSet under the namespace's `default` ServiceAccount (no serviceAccountName)."""
    pods = [_pod("ledger-0", "accounts", ("StatefulSet", "ledger"), "", "2026-09-20T08:00:00Z", old_secrets, False),
            _pod("ledger-2", "accounts", ("StatefulSet", new_owner), "", "2026-10-03T13:10:00Z", [], True)]
    sa = _account("default", "accounts", write, account_secrets, [("pulumi-kubernetes", write)])
    return _facts(("StatefulSet", "accounts", "ledger"), "denied: requested access to the resource is denied",
                  pods, [sa])


def test_a_default_account_recreated_by_pulumi_without_the_quay_secret_is_named() -> None:
    facts = _statefulset(["quay-robot"], [])
    [lost] = pss.found(facts)
    message = pss.finding(lost, AT)["message"]
    assert str(lost.account) == "ServiceAccount accounts/default" and lost.secrets == ["quay-robot"]
    assert lost.manager == "pulumi-kubernetes" and "written by pulumi-kubernetes 2 h 20 min" in message
    assert "imagePullSecrets quay-robot" in message and "requested access to the resource is denied" in message


def test_a_daemonset_account_reapplied_by_a_chart_named_through_the_timeline_writer() -> None:
    # the object's managedFields were left out of the read; the timeline's summary says who wrote it
    pods = [_pod("shipper-4kq9z", "observability", ("DaemonSet", "shipper"), "shipper", "2026-08-01T00:00:00Z",
                 ["gar-reader", "mirror-cred"], False),
            _pod("shipper-x7b2m", "observability", ("DaemonSet", "shipper"), "shipper", "2026-10-03T13:30:00Z",
                 [], True)]
    sa = _account("shipper", "observability", "2026-05-01T00:00:00Z", ["mirror-cred"], [])
    facts = _facts(("DaemonSet", "observability", "shipper"), "403 Forbidden", pods, [sa])
    facts.changes = {"changes": [{"at": "2026-10-03T12:55:00Z", "type": "update",
                                  "object": {"kind": "ServiceAccount", "namespace": "observability",
                                             "name": "shipper"},
                                  "summary": "ServiceAccount observability/shipper written by helm: imagePullSecrets"}]}
    [lost] = pss.found(facts)
    assert lost.secrets == ["gar-reader"] and lost.manager == "helm"  # mirror-cred is still listed
    assert "403 Forbidden" in pss.finding(lost, AT)["message"]


def test_siblings_without_secrets_or_a_secret_of_another_owner_blame_no_account() -> None:
    assert pss.found(_statefulset([], [])) == []  # no pod ever carried one: nothing was lost
    # the carrying pod belongs to another controller (a template that dropped the secret): not the account
    assert pss.found(_statefulset(["quay-robot"], [], new_owner="ledger-v2")) == []


def test_an_account_that_still_lists_the_secret_or_a_late_or_early_write_is_not_named() -> None:
    assert pss.found(_statefulset(["quay-robot"], ["quay-robot"])) == []  # the secret's contents are refused
    assert pss.found(_statefulset(["quay-robot"], [], write="2026-10-03T13:20:00Z")) == []  # after the refusal
    assert pss.found(_statefulset(["quay-robot"], [], write="2026-09-10T00:00:00Z")) == []  # before the carrier


def test_a_refusal_with_a_pull_secret_on_the_pod_reads_nothing() -> None:
    facts = _statefulset(["quay-robot"], [])
    facts.scan["findings"][0]["details"]["pull_secrets"] = ["quay-robot"]  # type: ignore[index]
    assert pss.refused_without_secret(facts) == [] and pss.found(facts) == []


def test_read_keeps_the_workloads_oldest_and_newest_pods_and_their_account() -> None:
    """The read path, through a recorded hub: a ReplicaSet's pods listed, the oldest and newest read, their account
    read; another workload's pods in the namespace are left alone."""
    old = _pod("mailer-7c9d8f6b5-x7b2m", "notify", ("ReplicaSet", "mailer-7c9d8f6b5"), "mailer",
               "2026-09-01T00:00:00Z", ["ghcr-pull"], False)
    new = _pod("mailer-7c9d8f6b5-zzq4k", "notify", ("ReplicaSet", "mailer-7c9d8f6b5"), "mailer",
               "2026-10-03T13:40:00Z", [], True)
    sa = _account("mailer", "notify", "2026-10-03T12:00:00Z", [], [("terraform-provider-kubernetes",
                                                                    "2026-10-03T12:00:00Z")])
    rows = [{"name": "mailer-7c9d8f6b5-x7b2m", "namespace": "notify", "created": "2026-09-01T00:00:00Z"},
            {"name": "mailer-7c9d8f6b5-zzq4k", "namespace": "notify", "created": "2026-10-03T13:40:00Z"},
            {"name": "digest-6b8d7c9f5-q2w4r", "namespace": "notify", "created": "2026-10-03T13:41:00Z"}]
    hub = RecordingHub(objects={("Pod", "notify", old["metadata"]["name"]): old,
                                ("Pod", "notify", new["metadata"]["name"]): new,
                                ("ServiceAccount", "notify", "mailer"): sa}, lists={"Pod": rows})
    facts = _facts(("Deployment", "notify", "mailer"), "401 Unauthorized", [], [])
    del facts.reads[pss.STORE]
    asyncio.run(pss.read(facts, hub))
    assert not any("digest-" in str(args) for _, args in hub.calls)
    [lost] = pss.found(facts)
    assert str(lost.account) == "ServiceAccount notify/mailer" and lost.secrets == ["ghcr-pull"]
    assert lost.manager == "terraform-provider-kubernetes"


def test_read_takes_each_pod_and_account_once_when_the_workload_has_few_pods() -> None:
    """Two pods are both the oldest two and the newest two: each is read once and the refused pod counts once;
    a second refused workload under the same account does not read or keep that account again."""
    old = _pod("mailer-7c9d8f6b5-x7b2m", "notify", ("ReplicaSet", "mailer-7c9d8f6b5"), "mailer",
               "2026-09-01T00:00:00Z", ["ghcr-pull"], False)
    new = _pod("mailer-7c9d8f6b5-zzq4k", "notify", ("ReplicaSet", "mailer-7c9d8f6b5"), "mailer",
               "2026-10-03T13:40:00Z", [], True)
    other = _pod("digest-6b8d7c9f5-q2w4r", "notify", ("ReplicaSet", "digest-6b8d7c9f5"), "mailer",
                 "2026-10-03T13:41:00Z", [], True)
    sa = _account("mailer", "notify", "2026-10-03T12:00:00Z", [], [("terraform-provider-kubernetes",
                                                                    "2026-10-03T12:00:00Z")])
    rows = [{"name": p["metadata"]["name"], "namespace": "notify", "created": p["metadata"]["creationTimestamp"]}
            for p in (old, new, other)]
    hub = RecordingHub(objects={("Pod", "notify", p["metadata"]["name"]): p for p in (old, new, other)}
                       | {("ServiceAccount", "notify", "mailer"): sa}, lists={"Pod": rows})
    facts = _facts(("Deployment", "notify", "mailer"), "401 Unauthorized", [], [])
    facts.scan["findings"].append({"check": "pod.image_pull", "severity": "critical",  # type: ignore[index]
                                   "object": {"kind": "Deployment", "namespace": "notify", "name": "digest"},
                                   "details": {"pull_secrets": [], "error": "401 Unauthorized"}})
    del facts.reads[pss.STORE]
    asyncio.run(pss.read(facts, hub))
    pod_reads = [args["name"] for tool, args in hub.calls if tool == "k8s_get" and args["kind"] == "Pod"]
    assert sorted(pod_reads) == sorted(p["metadata"]["name"] for p in (old, new, other))
    assert len(facts.reads[pss.STORE]["accounts"]) == 1
    [lost] = pss.found(facts)
    assert lost.failing == 1 and str(lost.workload) == "Deployment notify/mailer"
