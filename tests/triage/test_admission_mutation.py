"""A pod changed at admission by a mutating actor written shortly before: a Kyverno ClusterPolicy rewriting a
Deployment's image to a mirror (its last-applied-patches annotation), a Gatekeeper Assign setting a StatefulSet's
env (its mutations annotation, the write only in managedFields), a webhook leaving no trace whose written spec
carries the new registry; and the twins (a policy that only labelled the pod, a policy written after the pod
was admitted, a policy unchanged for months, a webhook whose write carries nothing of the new value)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import admission_mutation, behind
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, keyed, outcome

AT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
M = timedelta(minutes=1)
TEMPLATE_IMAGE = "quay.io/acme/router:4.0.1"
MIRROR_IMAGE = "registry.internal.example/quay-cache/acme/router:4.0.1"


def _cluster(objects: list[dict[str, Any]]) -> RecordingHub:
    """Answers `k8s_get -o yaml` from the objects given; the history read answers an empty timeline."""
    return RecordingHub(objects=keyed(objects), first_id=11,
                        otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _container(image: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "router", "image": image}
    if env:
        out["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return out


def _pod(owner_kind: str, owner: str, container: dict[str, Any], admitted: datetime,
         notes: dict[str, str] | None = None, namespace: str = "edge") -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": f"{owner}-x1", "namespace": namespace,
                                        "creationTimestamp": _iso(admitted), "annotations": notes or {},
                                        "ownerReferences": [{"kind": owner_kind, "name": owner, "controller": True}]},
            "spec": {"containers": [container]}}


def _controller(kind: str, name: str, container: dict[str, Any], namespace: str = "edge") -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"containers": [container]}}}}


def _policy(kind: str, name: str, written: datetime, namespace: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "managedFields": [{"manager": "argocd-controller", "operation": "Apply",
                                                             "time": _iso(written)}]}
    if namespace:
        meta["namespace"] = namespace
    return {"kind": kind, "metadata": meta, "spec": {}}


def _failing(workload: str, kind: str, message: str, namespace: str = "edge") -> dict[str, Any]:
    owner = {"kind": kind, "namespace": namespace, "name": workload}
    return {"check": "pod.image_pull", "severity": "critical", "object": owner, "owner": owner,
            "reason": "ImagePullBackOff", "message": f"{kind} {namespace}/{workload}: {message}",
            "details": {"container": "router"}, "pods": [f"{workload}-x1"]}


def _write(kind: str, name: str, at: datetime, diff: str) -> dict[str, Any]:
    return {"at": _iso(at), "type": "other", "object": {"kind": kind, "namespace": "", "name": name},
            "summary": f"{kind} {name} written by argocd-controller", "diff": [diff]}


def _run(facts: Facts, objects: list[dict[str, Any]]) -> list[admission_mutation.Mutated]:
    asyncio.run(admission_mutation.read(Subject(namespace="edge"), facts, _cluster(objects), _iso(AT)))
    return admission_mutation.found(facts)


KYVERNO_NOTE = {admission_mutation.KYVERNO_PATCHES: "to-cache.mirror-quay.kyverno.io: replaced /spec/containers/0/"
                                                    "image\n"}
PULL = f"1/3 pods ImagePullBackOff: cannot pull image {MIRROR_IMAGE} (manifest unknown)"


def _kyverno_case(policy_written: datetime, admitted: datetime, notes: dict[str, str] | None = None,
                  image: str = MIRROR_IMAGE) -> tuple[Facts, list[dict[str, Any]]]:
    objects = [_pod("ReplicaSet", "router-7f9c", _container(image), admitted, notes or KYVERNO_NOTE),
               _controller("ReplicaSet", "router-7f9c", _container(TEMPLATE_IMAGE)),
               _policy("ClusterPolicy", "mirror-quay", policy_written)]
    failing = _failing("router", "Deployment", PULL)
    failing["pods"] = ["router-7f9c-x1"]
    facts = Facts(at=AT, scan={"findings": [failing]},
                  changes={"changes": [_write("ClusterPolicy", "mirror-quay", policy_written,
                                              "spec.rules[1] = rewrite quay.io/ to registry.internal.example/")]},
                  changes_id="E2")
    return facts, objects


def test_a_kyverno_policy_that_rewrote_the_image_to_a_mirror_is_named() -> None:
    facts, objects = _kyverno_case(AT - 60 * M, AT - 20 * M)
    [m] = _run(facts, objects)
    assert (str(m.actor), str(m.workload), m.diffs) == ("ClusterPolicy mirror-quay", "Deployment edge/router",
                                                        [("image", TEMPLATE_IMAGE, MIRROR_IMAGE)])
    message = admission_mutation.finding(m, AT)["message"]
    assert message.startswith("ClusterPolicy mirror-quay (Kyverno ClusterPolicy) rewrites Deployment edge/router's "
                              "pods at admission and they fail: 1/3 pods ImagePullBackOff: cannot pull image (the "
                              "rewritten image) (manifest unknown)")
    assert "It rewrote the registry quay.io to registry.internal.example (a mirror or proxy)" in message
    [(ref, _, evidence, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == admission_mutation.CHECK]
    assert str(ref) == "ClusterPolicy mirror-quay" and "E2" in evidence
    assert [str(e) for e in explains] == ["Deployment edge/router", "Pod edge/router-7f9c-x1"]


def test_a_namespaced_kyverno_policy_is_named_as_such() -> None:
    facts, objects = _kyverno_case(AT - 60 * M, AT - 20 * M)
    objects[2] = _policy("Policy", "mirror-quay", AT - 60 * M, namespace="edge")
    facts.changes = {"changes": []}
    [m] = _run(facts, objects)
    assert str(m.actor) == "Policy edge/mirror-quay" and m.write is not None


def test_a_gatekeeper_assign_that_set_a_statefulset_env_is_named_from_its_managed_fields() -> None:
    notes = {admission_mutation.GATEKEEPER_MUTATIONS: "Assign//jvm-heap-cap:3"}
    objects = [_pod("StatefulSet", "ledger", _container("ghcr.io/acme/ledger:2", {"JAVA_OPTS": "-Xmx64m"}),
                    AT - 15 * M, notes, namespace="bank"),
               _controller("StatefulSet", "ledger", _container("ghcr.io/acme/ledger:2", {"JAVA_OPTS": "-Xmx2g"}),
                           namespace="bank"),
               _policy("Assign", "jvm-heap-cap", AT - 3 * 60 * M)]
    finding = _failing("ledger", "StatefulSet", "1/3 pods CrashLoopBackOff: java.lang.OutOfMemoryError",
                       namespace="bank")
    finding["pods"] = ["ledger-x1"]
    facts = Facts(at=AT, scan={"findings": [finding]}, changes={"changes": []}, changes_id="E2")
    [m] = _run(facts, objects)
    assert (str(m.actor), m.what, m.diffs[0][0]) == ("Assign jvm-heap-cap", "Gatekeeper mutator", "env")
    assert "-Xmx64m" in admission_mutation.finding(m, AT)["message"]


def test_a_webhook_without_a_trace_is_named_when_its_write_carries_the_new_registry() -> None:
    facts, objects = _kyverno_case(AT - 60 * M, AT - 20 * M, notes={"team": "edge"})
    facts.changes = {"changes": [_write("MutatingWebhookConfiguration", "image-cache-injector", AT - 90 * M,
                                        "webhooks[0].clientConfig.service: cache-injector; args --mirror="
                                        "registry.internal.example/quay-cache/acme")]}
    [m] = _run(facts, objects)
    assert (str(m.actor), m.what) == ("MutatingWebhookConfiguration image-cache-injector",
                                      "mutating admission webhook")


def test_a_policy_that_only_labelled_the_pod_is_not_named() -> None:
    notes = {admission_mutation.KYVERNO_PATCHES: "add-team.mirror-quay.kyverno.io: added /metadata/labels/team\n"}
    facts, objects = _kyverno_case(AT - 60 * M, AT - 20 * M, notes=notes, image=TEMPLATE_IMAGE)
    assert _run(facts, objects) == []


def test_a_policy_written_after_the_pod_was_admitted_is_not_named() -> None:
    facts, objects = _kyverno_case(AT - 10 * M, AT - 20 * M)
    assert _run(facts, objects) == []


def test_a_policy_unchanged_for_months_is_not_named() -> None:
    facts, objects = _kyverno_case(AT - timedelta(days=90), AT - 20 * M)
    assert _run(facts, objects) == []


def test_a_webhook_whose_write_carries_nothing_of_the_new_value_is_not_named() -> None:
    facts, objects = _kyverno_case(AT - 60 * M, AT - 20 * M, notes={"team": "edge"})
    facts.changes = {"changes": [_write("MutatingWebhookConfiguration", "istio-sidecar-injector", AT - 90 * M,
                                        "webhooks[0].namespaceSelector: istio-injection=enabled")]}
    assert _run(facts, objects) == []


def test_a_policy_that_set_the_pod_security_context_is_named_for_a_config_error() -> None:
    notes = {admission_mutation.KYVERNO_PATCHES: "run-as-non-root.harden-pods.kyverno.io: added "
                                                 "/spec/securityContext/runAsNonRoot\n"}
    pod = _pod("ReplicaSet", "router-7f9c", _container(TEMPLATE_IMAGE), AT - 20 * M, notes)
    pod["spec"]["securityContext"] = {"runAsNonRoot": True}
    objects = [pod, _controller("ReplicaSet", "router-7f9c", _container(TEMPLATE_IMAGE)),
               _policy("ClusterPolicy", "harden-pods", AT - 45 * M)]
    failing = _failing("router", "Deployment", "1/3 pods CreateContainerConfigError: container has runAsNonRoot "
                                               "and image will run as root")
    failing["pods"] = ["router-7f9c-x1"]
    facts = Facts(at=AT, scan={"findings": [failing]}, changes={"changes": []}, changes_id="E2")
    [m] = _run(facts, objects)
    assert (str(m.actor), m.container, m.diffs) == ("ClusterPolicy harden-pods", "", [
        ("securityContext", "", '{"runAsNonRoot": true}')])
    assert "Pod router-7f9c-x1 spec runs securityContext (unset) -> {\"runAsNonRoot\": true}" in \
        admission_mutation.finding(m, AT)["message"]


def _autogen_case(policy_written: datetime) -> tuple[Facts, list[dict[str, Any]]]:
    notes = {admission_mutation.KYVERNO_PATCHES: "autogen-to-cache.mirror-quay.kyverno.io: replaced "
                                                 "/spec/template/spec/containers/0/image\n"}
    deployment = _controller("Deployment", "router", _container(MIRROR_IMAGE))
    deployment["metadata"]["annotations"] = notes
    objects = [_pod("ReplicaSet", "router-7f9c", _container(MIRROR_IMAGE), AT - 20 * M),
               _controller("ReplicaSet", "router-7f9c", _container(MIRROR_IMAGE)), deployment,
               _policy("ClusterPolicy", "mirror-quay", policy_written)]
    failing = _failing("router", "Deployment", PULL)
    failing["pods"] = ["router-7f9c-x1"]
    return Facts(at=AT, scan={"findings": [failing]}, changes={"changes": []}, changes_id="E2"), objects


def test_a_kyverno_autogen_rule_that_rewrote_the_workload_template_is_named() -> None:
    facts, objects = _autogen_case(AT - 60 * M)
    [m] = _run(facts, objects)
    assert (str(m.actor), m.diffs) == ("ClusterPolicy mirror-quay", [("image", "?", MIRROR_IMAGE)])
    assert "a value its workload's template was given at admission" in admission_mutation.finding(m, AT)["message"]


def test_an_autogen_annotation_of_a_policy_unchanged_for_months_is_not_named() -> None:
    facts, objects = _autogen_case(AT - timedelta(days=120))
    assert _run(facts, objects) == []
