"""A ServiceAccount written without the imagePullSecrets its workload's older pods still carry, named for the
refused pulls of the pods admitted since (agent.triage.pull_secret_source).

Findings in the scan's own shape (pod.image_pull with an empty `pull_secrets`), pods and ServiceAccounts in
Kubernetes' shape. Two shapes: a StatefulSet whose default ServiceAccount Pulumi re-created (Quay "denied"),
and a DaemonSet whose ServiceAccount a chart upgrade re-applied (Artifact Registry 403). Twins: siblings that
never carried a secret, a secret carried only by another owner's pods (a template change), a ServiceAccount
that still lists it, and a write made after the refused pods were admitted.

Whatever the owner (revisions read): an account that lost its secret across a rollout to a new ReplicaSet, one
re-created between two StatefulSet ControllerRevisions, a template that dropped the secret (named, not the account
written in another field), a Kyverno injecting policy removed, a Gatekeeper Assign rewritten; twins: a registry
that refuses with nothing in the cluster changed, a mutation that speaks of labels only, an account still listing it.
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


# ---- whatever the owner: revisions read, template and injector sources ----------------------------------------


def _revision(kind: str, ns: str, name: str, created: str, secrets: list[str]) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "main", "image": "img"}]}
    if secrets:
        pod_spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    template = {"spec": pod_spec}
    meta = {"name": name, "namespace": ns, "creationTimestamp": created}
    if kind == "ControllerRevision":
        return {"kind": kind, "metadata": meta, "data": {"spec": {"template": template}}, "revision": 2}
    return {"kind": kind, "metadata": meta, "spec": {"template": template}}


def _rollout(old_template: list[str], new_template: list[str], account_write: str,
             account_secrets: list[str] | None = None) -> Facts:
    """A Deployment rolled to a new ReplicaSet; its account `billing` and both ReplicaSets' templates as given."""
    old = _pod("invoicer-5f6b7c8d9-bcdfg", "billing", ("ReplicaSet", "invoicer-5f6b7c8d9"), "billing",
               "2026-09-12T10:00:00Z", ["acr-pull"], False)
    new = _pod("invoicer-6c7d8f9b4-vwxz2", "billing", ("ReplicaSet", "invoicer-6c7d8f9b4"), "billing",
               "2026-10-03T13:05:00Z", [], True)
    sa = _account("billing", "billing", "2026-03-01T00:00:00Z", account_secrets or [],
                  [("argocd-application-controller", account_write)])
    facts = _facts(("Deployment", "billing", "invoicer"), "unauthorized: authentication required", [old, new], [sa])
    facts.reads[pss.STORE]["revisions"] = {
        "ReplicaSet/invoicer-5f6b7c8d9": (_revision("ReplicaSet", "billing", "invoicer-5f6b7c8d9",
                                                    "2026-09-12T09:59:00Z", old_template), "R1"),
        "ReplicaSet/invoicer-6c7d8f9b4": (_revision("ReplicaSet", "billing", "invoicer-6c7d8f9b4",
                                                    "2026-10-03T13:04:00Z", new_template), "R2")}
    return facts


def test_an_account_that_lost_its_secret_across_a_rollout_to_a_new_replicaset_is_named() -> None:
    # neither template ever listed acr-pull: the old pods got it from the account, written between the two
    [lost] = pss.found(_rollout([], [], "2026-10-03T12:30:00Z"))
    assert (str(lost.account), lost.source, lost.secrets) == ("ServiceAccount billing/billing", "account",
                                                                ["acr-pull"])
    assert pss.finding(lost, AT)["reason"] == "PullSecretsDropped"


def test_an_account_recreated_between_two_statefulset_revisions_is_named_through_controller_revisions() -> None:
    old = _pod("vault-agent-0", "secrets", ("StatefulSet", "vault-agent"), "agent", "2026-09-01T00:00:00Z",
               ["ecr-creds"], False)
    new = _pod("vault-agent-1", "secrets", ("StatefulSet", "vault-agent"), "agent", "2026-10-03T13:50:00Z", [], True)
    old["metadata"]["labels"] = {"controller-revision-hash": "vault-agent-7d9f8c6b5"}
    new["metadata"]["labels"] = {"controller-revision-hash": "vault-agent-84c5b7d6f"}
    sa = _account("agent", "secrets", "2026-10-03T13:10:00Z", [], [("kustomize-controller", "2026-10-03T13:10:00Z")])
    facts = _facts(("StatefulSet", "secrets", "vault-agent"), "403 Forbidden", [old, new], [sa])
    facts.reads[pss.STORE]["revisions"] = {
        f"ControllerRevision/{n}": (_revision("ControllerRevision", "secrets", n, t, []), "C")
        for n, t in (("vault-agent-7d9f8c6b5", "2026-08-01T00:00:00Z"),
                     ("vault-agent-84c5b7d6f", "2026-10-03T13:45:00Z"))}
    [lost] = pss.found(facts)
    assert str(lost.account) == "ServiceAccount secrets/agent" and lost.manager == "kustomize-controller"
    # the same pods, the older revision's template listing the secret: the account is not what changed
    facts.reads[pss.STORE]["revisions"]["ControllerRevision/vault-agent-7d9f8c6b5"] = (
        _revision("ControllerRevision", "secrets", "vault-agent-7d9f8c6b5", "2026-08-01T00:00:00Z", ["ecr-creds"]),
        "C")
    [lost] = pss.found(facts)
    assert (lost.source, str(lost.account)) == ("template", "StatefulSet secrets/vault-agent")


def test_a_template_that_dropped_the_secret_is_named_not_an_account_changed_in_another_field() -> None:
    facts = _rollout(["acr-pull"], [], "2026-10-03T12:30:00Z")  # the account was written too (another field)
    facts.changes = {"changes": [{"at": "2026-10-03T13:03:00Z", "type": "update",
                                  "object": {"kind": "Deployment", "namespace": "billing", "name": "invoicer"},
                                  "summary": "Deployment billing/invoicer written by flux: spec.template"}]}
    [lost] = pss.found(facts)
    assert (lost.source, str(lost.account), lost.manager) == ("template", "Deployment billing/invoicer", "flux")
    finding = pss.finding(lost, AT)
    assert finding["reason"] == "PullSecretsDroppedFromTemplate" and "pod template" in finding["message"]


def test_an_injecting_policy_removed_between_the_admissions_is_named() -> None:
    # Kyverno put the secret into pods (its patch annotation says so); the account and templates never listed it
    facts = _rollout([], [], "2026-03-01T00:00:00Z")
    old = facts.reads[pss.STORE]["pods"][0][0]
    old["metadata"]["annotations"] = {
        "policies.kyverno.io/last-applied-patches": "add-registry-auth.inject.kyverno.io: added /spec/imagePullSecrets"}
    facts.changes = {"changes": [{"at": "2026-10-03T11:00:00Z", "type": "deleted",
                                  "object": {"kind": "ClusterPolicy", "namespace": "", "name": "add-registry-auth"},
                                  "summary": "ClusterPolicy add-registry-auth deleted by kubectl-client-side-apply"}]}
    [lost] = pss.found(facts)
    assert (lost.source, str(lost.account)) == ("injector", "ClusterPolicy add-registry-auth")
    assert pss.finding(lost, AT)["reason"] == "PullSecretInjectionStopped"


def test_a_gatekeeper_mutation_whose_change_speaks_of_pull_secrets_is_named() -> None:
    facts = _rollout([], [], "2026-03-01T00:00:00Z")
    facts.changes = {"changes": [{"at": "2026-10-03T12:10:00Z", "type": "update",
                                  "object": {"kind": "Assign", "namespace": "", "name": "registry-credentials"},
                                  "summary": "Assign registry-credentials written by gatekeeper-admin",
                                  "diff": ["spec.match.namespaces = [payments]",
                                           "spec.location = spec.imagePullSecrets"]}]}
    [lost] = pss.found(facts)
    assert (lost.source, lost.manager) == ("injector", "gatekeeper-admin")


def test_a_registry_that_really_refuses_or_an_unrelated_policy_names_nothing() -> None:
    # templates read and silent, the account unchanged since long before: nothing in the cluster took the secret
    assert pss.found(_rollout([], [], "2026-03-01T00:00:00Z")) == []
    facts = _rollout([], [], "2026-03-01T00:00:00Z")
    facts.changes = {"changes": [{"at": "2026-10-03T12:10:00Z", "type": "update",
                                  "object": {"kind": "ClusterPolicy", "namespace": "", "name": "add-team-label"},
                                  "summary": "ClusterPolicy add-team-label written by kyverno",
                                  "diff": ["spec.rules[0].mutate.patchStrategicMerge.metadata.labels.team"]}]}
    assert pss.found(facts) == []  # a mutation that speaks of labels only
    # the account still lists the secret: the registry refuses the credential itself
    assert pss.found(_rollout([], [], "2026-10-03T12:30:00Z", account_secrets=["acr-pull"])) == []


def test_read_takes_the_replicasets_the_pods_came_from() -> None:
    old = _pod("mailer-7c9d8f6b5-x7b2m", "notify", ("ReplicaSet", "mailer-7c9d8f6b5"), "mailer",
               "2026-09-01T00:00:00Z", ["ghcr-pull"], False)
    new = _pod("mailer-8d4f9b7c6-zzq4k", "notify", ("ReplicaSet", "mailer-8d4f9b7c6"), "mailer",
               "2026-10-03T13:40:00Z", [], True)
    sa = _account("mailer", "notify", "2026-10-03T12:00:00Z", [], [("pulumi-kubernetes", "2026-10-03T12:00:00Z")])
    rows = [{"name": p["metadata"]["name"], "namespace": "notify", "created": p["metadata"]["creationTimestamp"]}
            for p in (old, new)]
    hub = RecordingHub(objects={("Pod", "notify", old["metadata"]["name"]): old,
                                ("Pod", "notify", new["metadata"]["name"]): new,
                                ("ServiceAccount", "notify", "mailer"): sa,
                                ("ReplicaSet", "notify", "mailer-7c9d8f6b5"): _revision(
                                    "ReplicaSet", "notify", "mailer-7c9d8f6b5", "2026-09-01T00:00:00Z", []),
                                ("ReplicaSet", "notify", "mailer-8d4f9b7c6"): _revision(
                                    "ReplicaSet", "notify", "mailer-8d4f9b7c6", "2026-10-03T13:39:00Z", [])},
                       lists={"Pod": rows})
    facts = _facts(("Deployment", "notify", "mailer"), "401 Unauthorized", [], [])
    del facts.reads[pss.STORE]
    asyncio.run(pss.read(facts, hub))
    assert sorted(facts.reads[pss.STORE]["revisions"]) == ["ReplicaSet/mailer-7c9d8f6b5",
                                                           "ReplicaSet/mailer-8d4f9b7c6"]
    [lost] = pss.found(facts)
    assert str(lost.account) == "ServiceAccount notify/mailer" and lost.manager == "pulumi-kubernetes"


def test_a_template_change_dated_outside_the_admissions_names_no_template() -> None:
    # the new revision exists since before the carrying pod was admitted and no workload write falls between
    facts = _rollout(["acr-pull"], [], "2026-03-01T00:00:00Z")
    facts.reads[pss.STORE]["revisions"]["ReplicaSet/invoicer-6c7d8f9b4"][0]["metadata"]["creationTimestamp"] = (
        "2026-09-01T00:00:00Z")
    assert pss.found(facts) == []
    facts.reads[pss.STORE]["revisions"]["ReplicaSet/invoicer-6c7d8f9b4"][0]["metadata"]["creationTimestamp"] = (
        "2026-10-03T13:04:00Z")
    assert [ls.source for ls in pss.found(facts)] == ["template"]
