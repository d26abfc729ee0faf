"""The change timeline's rules over object dicts built here, in the shapes the API serves them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.changes import Change, ObjectRef, changes_result, rank_changes, render, timeline
from mcp_servers.kubernetes.reads import template_diff

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
START = AT - timedelta(hours=2)


def ts(minutes_before: float) -> str:
    return (AT - timedelta(minutes=minutes_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def container(image: str, env: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": "app", "image": image, "env": [{"name": k, "value": v} for k, v in (env or {}).items()], **extra}


def deployment(ns: str, name: str, uid: str, created: str = "2026-01-01T00:00:00Z", **spec: Any) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": created},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": spec.get("template", {})}}


def replicaset(ns: str, name: str, owner: str, owner_uid: str, revision: int, created: str,
               containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": created,
                         "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                         "ownerReferences": [{"kind": "Deployment", "name": owner, "uid": owner_uid,
                                              "controller": True}]},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": owner}},
                                                  "spec": {"containers": containers}}},
            "status": {"readyReplicas": 2}}


def event(ns: str, kind: str, name: str, reason: str, message: str, when: str, count: int = 1) -> dict[str, Any]:
    return {"kind": "Event", "metadata": {"name": f"{name}.1", "namespace": ns}, "reason": reason,
            "message": message, "lastTimestamp": when, "count": count, "type": "Normal",
            "involvedObject": {"kind": kind, "name": name, "namespace": ns}}


def test_rollout_in_the_window_carries_the_template_diff_and_older_revisions_do_not_count() -> None:
    objects = {
        "Deployment": [deployment("shop", "payments", "u1")],
        "ReplicaSet": [
            replicaset("shop", "payments-a", "payments", "u1", 5, "2026-04-01T00:00:00Z",
                       [container("payments:2.0.0", {"DB_PORT": "5432"})]),
            replicaset("shop", "payments-b", "payments", "u1", 6, ts(600),
                       [container("payments:2.1.0", {"DB_PORT": "5432"})]),
            replicaset("shop", "payments-c", "payments", "u1", 7, ts(25),
                       [container("payments:2.2.0", {"DB_PORT": "5433"},
                                  resources={"limits": {"memory": "256Mi"}})]),
            replicaset("shop", "other-x", "other", "u2", 9, ts(10), [container("other:1")]),
        ],
    }
    found = timeline(objects, START, AT)
    assert [c.revision for c in found] == [7]
    change = found[0]
    assert change.type == "rollout" and change.at == ts(25)
    assert change.object == ObjectRef(kind="Deployment", namespace="shop", name="payments")
    assert "app image payments:2.1.0 -> payments:2.2.0" in change.diff
    assert "app env DB_PORT='5432' -> DB_PORT='5433'" in change.diff
    assert "app memory limit none -> 256Mi" in change.diff
    assert "rolled out revision 7" in change.summary and "payments:2.2.0" in change.summary


def test_a_rollback_reusing_an_old_replicaset_is_dated_by_its_scale_up_event() -> None:
    objects = {
        "Deployment": [deployment("shop", "cart", "u1")],
        "ReplicaSet": [replicaset("shop", "cart-new", "cart", "u1", 3, "2026-04-20T00:00:00Z", [container("cart:2")]),
                       replicaset("shop", "cart-old", "cart", "u1", 4, "2026-04-01T00:00:00Z", [container("cart:1")])],
        "Event": [event("shop", "Deployment", "cart", "ScalingReplicaSet", "Scaled up replica set cart-old to 3",
                        ts(15))],
    }
    found = timeline(objects, START, AT)
    assert [(c.type, c.revision, c.at) for c in found] == [("rollout", 4, ts(15))]
    assert found[0].diff == ["app image cart:2 -> cart:1"]


def test_configmap_written_in_the_window_names_keys_old_values_and_the_workloads_using_it() -> None:
    cm = {"kind": "ConfigMap",
          "metadata": {"name": "app-config", "namespace": "shop", "creationTimestamp": "2026-01-01T00:00:00Z",
                       "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                           {"apiVersion": "v1", "kind": "ConfigMap", "data": {"PORT": "5432", "MODE": "a"}})},
                       "managedFields": [
                           {"manager": "kubectl-client-side-apply", "operation": "Update",
                            "time": "2026-01-01T00:00:00Z", "fieldsV1": {"f:data": {"f:MODE": {}, "f:PORT": {}}}},
                           {"manager": "kubectl-edit", "operation": "Update", "time": ts(40),
                            "fieldsV1": {"f:data": {"f:PORT": {}}}}]},
          "data": {"PORT": "5433", "MODE": "a"}}
    uses_env = deployment("shop", "api", "d1", template={"spec": {"containers": [
        {"name": "api", "image": "api:1", "envFrom": [{"configMapRef": {"name": "app-config"}}]}]}})
    uses_volume = {"kind": "StatefulSet", "metadata": {"name": "worker", "namespace": "shop", "uid": "s1"},
                   "spec": {"template": {"spec": {"containers": [{"name": "w", "image": "w"}],
                                                  "volumes": [{"name": "c", "configMap": {"name": "app-config"}}]}}}}
    other_ns = deployment("web", "site", "d2", template={"spec": {"containers": [
        {"name": "s", "image": "s", "envFrom": [{"configMapRef": {"name": "app-config"}}]}]}})
    unrelated = deployment("shop", "cron", "d3", template={"spec": {"containers": [{"name": "c", "image": "c"}]}})
    found = timeline({"ConfigMap": [cm], "Deployment": [uses_env, other_ns, unrelated], "StatefulSet": [uses_volume]},
                     START, AT)
    assert len(found) == 1
    change = found[0]
    assert change.type == "config" and change.at == ts(40)
    assert "data key PORT set by kubectl-edit" in change.diff
    assert "data key PORT '5432' -> '5433' (outside kubectl apply)" in change.diff
    assert not any("MODE" in d for d in change.diff)
    assert {str(r) for r in change.related} == {"Deployment shop/api", "StatefulSet shop/worker"}


def test_secret_changes_name_keys_and_never_values() -> None:
    old, new = "VIGIL-CANARY-old-pw-1234", "VIGIL-CANARY-new-pw-5678"
    secret = {"kind": "Secret", "type": "Opaque",
              "metadata": {"name": "db", "namespace": "shop", "creationTimestamp": "2026-01-01T00:00:00Z",
                           "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                               {"kind": "Secret", "stringData": {"password": old, "user": "app"}})},
                           "managedFields": [{"manager": "vault-sync", "time": ts(5),
                                              "fieldsV1": {"f:data": {"f:password": {}}}}]},
              "data": {"password": base64.b64encode(new.encode()).decode(),
                       "user": base64.b64encode(b"app").decode()}}
    result = changes_result({"Secret": [secret]}, AT, timedelta(hours=2), [], [])
    change = result.changes[0]
    assert change.type == "secret"
    assert "data key password changed outside kubectl apply" in change.diff
    assert not any("user" in d for d in change.diff)
    dumped = result.model_dump_json() + render(result, 2000, "more")
    for value in (old, new, base64.b64encode(new.encode()).decode()):
        assert value not in dumped


def test_node_going_not_ready_lists_the_pods_on_it() -> None:
    node = {"kind": "Node", "metadata": {"name": "n1", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"conditions": [
                {"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "PLEG is not healthy",
                 "lastTransitionTime": ts(12)},
                {"type": "MemoryPressure", "status": "False", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    pods = [{"kind": "Pod", "metadata": {"name": "a", "namespace": "shop"}, "spec": {"nodeName": "n1"}},
            {"kind": "Pod", "metadata": {"name": "b", "namespace": "web"}, "spec": {"nodeName": "n2"}}]
    found = timeline({"Node": [node], "Pod": pods}, START, AT)
    assert len(found) == 1 and found[0].type == "node" and found[0].at == ts(12)
    assert "NotReady" in found[0].summary and "PLEG" in found[0].summary
    assert [str(r) for r in found[0].related] == ["Pod shop/a"]


def test_helm_release_reads_labels_only_and_names_what_it_manages() -> None:
    epoch = int((AT - timedelta(minutes=30)).timestamp())
    release = {"kind": "Secret", "type": "helm.sh/release.v1",
               "metadata": {"name": "sh.helm.release.v1.shop.v7", "namespace": "shop",
                            "creationTimestamp": ts(31),
                            "labels": {"name": "shop", "owner": "helm", "status": "deployed", "version": "7",
                                       "modifiedAt": str(epoch)}},
               "data": {"release": "H4sIAAAAAAAA/payload-that-must-not-leak"}}
    managed = deployment("shop", "storefront", "d1")
    managed["metadata"]["labels"] = {"app.kubernetes.io/instance": "shop"}
    found = timeline({"Secret": [release], "Deployment": [managed, deployment("shop", "misc", "d2")]}, START, AT)
    assert [(c.type, c.revision) for c in found] == [("helm", 7)]
    change = found[0]
    assert change.object == ObjectRef(kind="HelmRelease", namespace="shop", name="shop")
    assert change.at == ts(30) and "deployed" in change.summary
    assert [r.name for r in change.related] == ["storefront"]
    assert "payload-that-must-not-leak" not in change.model_dump_json()


def test_hpa_rescale_targets_the_workload_and_deletions_group_by_owner() -> None:
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "api", "namespace": "shop"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}},
           "status": {"lastScaleTime": ts(50), "currentReplicas": 2, "desiredReplicas": 6}}
    events = [
        event("shop", "ReplicaSet", "api-7d9f", "SuccessfulDelete", "Deleted pod: api-7d9f-aaaa", ts(20)),
        event("shop", "ReplicaSet", "api-7d9f", "SuccessfulDelete", "Deleted pod: api-7d9f-bbbb", ts(19)),
        event("shop", "Pod", "web-5c-x1", "Killing", "Container web failed liveness probe, will be restarted", ts(3)),
        event("shop", "Pod", "old-event", "SuccessfulDelete", "Deleted pod: x", ts(500)),
    ]
    found = timeline({"HorizontalPodAutoscaler": [hpa], "Event": events}, START, AT)
    kinds = [(c.type, str(c.object)) for c in found]
    assert kinds == [("deleted", "ReplicaSet shop/api-7d9f"), ("scale", "Deployment shop/api")]
    assert "x2" in found[0].summary
    assert found[1].related == [ObjectRef(kind="HorizontalPodAutoscaler", namespace="shop", name="api")]


def test_certificate_renewal_and_objects_created_in_the_window() -> None:
    cert = {"kind": "Certificate", "metadata": {"name": "shop-tls", "namespace": "shop"},
            "spec": {"secretName": "shop-tls"},
            "status": {"notBefore": ts(70), "notAfter": "2026-07-30T11:00:00Z", "renewalTime": "2026-06-30T11:00:00Z"}}
    ingress_user = deployment("shop", "edge", "d1", created=ts(5), template={"spec": {
        "containers": [{"name": "e", "image": "e"}], "volumes": [{"name": "t", "secret": {"secretName": "shop-tls"}}]}})
    found = timeline({"Certificate": [cert], "Deployment": [ingress_user]}, START, AT)
    assert [c.type for c in found] == ["created", "certificate"]  # newest first
    assert found[1].related == [ObjectRef(kind="Deployment", namespace="shop", name="edge")]
    assert "2026-07-30" in found[1].summary


def test_rank_puts_the_subject_first_then_its_namespace_then_cluster_and_after_the_symptom_last() -> None:
    def change(name: str, ns: str, minutes_before: float, kind: str = "Deployment",
               related: list[ObjectRef] | None = None) -> Change:
        return Change(at=ts(minutes_before), type="other", object=ObjectRef(kind=kind, namespace=ns, name=name),
                      summary=name, related=related or [])

    subject = [ObjectRef(kind="Deployment", namespace="shop", name="checkout"),
               ObjectRef(kind="Service", namespace="shop", name="checkout")]
    changes = [
        change("far-away", "other", 1),
        change("node", "", 3, kind="Node"),
        change("same-ns", "shop", 2),
        change("config", "shop", 90, kind="ConfigMap",
               related=[ObjectRef(kind="Deployment", namespace="shop", name="checkout")]),
        change("checkout", "shop", 60),
        change("checkout", "shop", -5),
    ]
    ranked = [(c.summary, c.at) for c in rank_changes(changes, subject, AT)]
    assert ranked == [("checkout", ts(60)), ("config", ts(90)), ("checkout", ts(-5)), ("same-ns", ts(2)),
                      ("node", ts(3)), ("far-away", ts(1))]


def test_template_diff_withholds_secret_looking_values_and_names_sources_and_probes() -> None:
    old = {"spec": {"containers": [{"name": "app", "image": "a", "env": [
        {"name": "DB_URL", "value": "postgres://app:Sup3rS3cretPassw0rd@db:5432/app"}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}]}}
    new = {"spec": {"containers": [{"name": "app", "image": "a", "env": [
        {"name": "DB_URL", "value": "postgres://app:An0therS3cretPassw0rd@db:5433/app"}],
        "envFrom": [{"secretRef": {"name": "db-creds"}}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 9090}}}],
        "volumes": [{"name": "cfg", "configMap": {"name": "app-config"}}]}}
    diff = template_diff(old, new)
    assert diff == ["app env DB_URL changed", "app secretRef db-creds added", "app readinessProbe port 8080 -> 9090",
                    "volume cfg added (configMap app-config)"]


def test_render_fits_the_budget_and_says_what_was_cut() -> None:
    many = {"Deployment": [deployment("ns", f"d{i}", f"u{i}", created=ts(i)) for i in range(80)]}
    result = changes_result(many, AT, timedelta(hours=2), ["kube-system"], [])
    text = render(result, 300, "narrow with k8s_changes(namespace=...)")
    assert len(text) <= 300 * 4
    assert text.startswith("80 changes between") and "hidden by policy: kube-system" in text
    assert "left out" in text and "k8s_changes(namespace=...)" in text
    assert result.changes[0].at >= result.changes[-1].at


def test_template_diff_sees_restarts_config_checksums_init_containers_and_pod_fields() -> None:
    old = {"metadata": {"labels": {"app": "x", "pod-template-hash": "1"}, "annotations": {"checksum/config": "aa"}},
           "spec": {"serviceAccountName": "x", "containers": [{"name": "app", "image": "a", "ports": [
               {"containerPort": 80}]}]}}
    new = {"metadata": {"labels": {"app": "x", "pod-template-hash": "2"}, "annotations": {
        "checksum/config": "bb", "kubectl.kubernetes.io/restartedAt": "2026-05-01T11:00:00Z"}},
           "spec": {"serviceAccountName": "y", "tolerations": [{"key": "spot"}],
                    "initContainers": [{"name": "migrate", "image": "m:2"}],
                    "containers": [{"name": "app", "image": "a", "ports": [{"containerPort": 8080}]}]}}
    assert template_diff(old, new) == [
        "app ports[0].containerPort '80' -> '8080'", "init container migrate image none -> m:2",
        "pod serviceAccountName 'x' -> 'y'", "pod tolerations[key=spot] unset -> 'present'",
        "pod annotation checksum/config 'aa' -> 'bb'",
        "pod annotation kubectl.kubernetes.io/restartedAt unset -> '2026-05-01T11:00:00Z'"]


def test_a_node_whose_kubelet_stopped_is_one_change_with_every_condition_unknown() -> None:
    unknown = {"status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status.",
               "lastTransitionTime": ts(8)}
    node = {"kind": "Node", "metadata": {"name": "n1"}, "status": {"conditions": [
        {"type": "MemoryPressure", **unknown}, {"type": "Ready", **unknown}, {"type": "DiskPressure", **unknown}]}}
    found = timeline({"Node": [node]}, START, AT)
    assert len(found) == 1
    assert found[0].summary.startswith("Node n1 became NotReady (Ready=Unknown); MemoryPressure Unknown; "
                                       "DiskPressure Unknown: NodeStatusUnknown")
    assert found[0].diff == ["condition Ready -> Unknown", "condition MemoryPressure -> Unknown",
                             "condition DiskPressure -> Unknown"]


def test_managed_fields_show_spec_writes_but_not_status_template_or_creation() -> None:
    svc = {"kind": "Service", "metadata": {"name": "cart", "namespace": "shop", "creationTimestamp": ts(9000),
                                           "managedFields": [
        {"manager": "helm", "operation": "Update", "time": ts(9000), "fieldsV1": {"f:spec": {"f:ports": {}}}},
        {"manager": "helm", "operation": "Update", "time": ts(45),
         "fieldsV1": {"f:spec": {"f:selector": {".": {}, "f:app": {}}}}},
        {"manager": "kube-controller", "operation": "Update", "subresource": "status", "time": ts(44),
         "fieldsV1": {"f:status": {"f:loadBalancer": {}}}}]}}
    deploy = deployment("shop", "api", "d1", created=ts(9000))
    deploy["metadata"]["managedFields"] = [
        {"manager": "kubectl", "operation": "Update", "subresource": "scale", "time": ts(20),
         "fieldsV1": {"f:spec": {"f:replicas": {}}}},
        {"manager": "argocd", "operation": "Apply", "time": ts(15),
         "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"api\"}": {
             "f:image": {}}}}}}}}]
    found = timeline({"Service": [svc], "Deployment": [deploy]}, START, AT)
    assert [(c.type, str(c.object), c.diff) for c in found] == [
        ("scale", "Deployment shop/api", ["spec.replicas written by kubectl"]),
        ("other", "Service shop/cart", ["spec.selector.app written by helm"])]


def test_a_configmap_named_after_a_workload_relates_to_it_after_the_referencing_ones() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "auth-api-config", "namespace": "auth", "creationTimestamp": ts(3)},
          "data": {"LISTEN_ADDR": ":9090"}}
    reader = deployment("auth", "sidecar", "d1", template={"spec": {"containers": [
        {"name": "s", "image": "s", "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {
            "name": "auth-api-config", "key": "LISTEN_ADDR"}}}]}]}})
    owner = deployment("auth", "auth-api", "d2")
    stranger = deployment("auth", "auth", "d3")
    found = timeline({"ConfigMap": [cm], "Deployment": [owner, reader, stranger]}, START, AT)
    assert [str(r) for r in found[0].related] == ["Deployment auth/sidecar", "Deployment auth/auth-api"]
    assert "created with keys: LISTEN_ADDR" in found[0].summary


def test_a_statefulset_whose_pods_were_all_recreated_is_a_change_with_what_they_now_run() -> None:
    """No ControllerRevision in sight (a restart, or history the dump lacks): the pods' ages still tell."""
    template = {"spec": {"containers": [container("elasticsearch:8.15.1", {"ES_JAVA_OPTS": "-Xms512m -Xmx512m",
                                                                             "CLUSTER_NAME": "catalog"},
                                                  resources={"limits": {"memory": "6Gi"}})]}}
    sts = {"kind": "StatefulSet", "metadata": {"name": "elasticsearch", "namespace": "search", "uid": "s1",
                                               "creationTimestamp": "2026-01-01T00:00:00Z"},
           "spec": {"template": template}}

    def pod(name: str, created: str) -> dict[str, Any]:
        return {"kind": "Pod", "metadata": {"name": name, "namespace": "search", "creationTimestamp": created,
                                            "ownerReferences": [{"kind": "StatefulSet", "name": "elasticsearch",
                                                                 "uid": "s1", "controller": True}]}}

    found = timeline({"StatefulSet": [sts], "Pod": [pod("elasticsearch-0", ts(40)), pod("elasticsearch-1", ts(38))]},
                     START, AT)
    [restart] = found
    assert restart.type == "rollout" and restart.object.name == "elasticsearch" and restart.at == ts(40)
    assert "ES_JAVA_OPTS='-Xms512m -Xmx512m'" in restart.summary and "6Gi" in restart.summary
    assert "CLUSTER_NAME" not in restart.summary, "only settings that size the process"
    one_old = timeline({"StatefulSet": [sts], "Pod": [pod("elasticsearch-0", ts(40)), pod("elasticsearch-1", ts(600))]},
                       START, AT)
    assert one_old == [], "one pod replaced is not a restart of the workload"
