"""The topology's rules over object dicts built here, in the shapes the API serves them."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.kubernetes.objectref import ObjectRef
from mcp_servers.kubernetes.topology import build_topology, canonical_kind, hosts_in, render


def pod(ns: str, name: str, node: str, labels: dict[str, str], *, owner: tuple[str, str] | None = None,
        status: str = "running", memory_limit: str | None = "256Mi", restarts: int = 0) -> dict[str, Any]:
    resources = {"limits": {"memory": memory_limit}} if memory_limit else {}
    state: dict[str, Any]
    if status == "running":
        state, ready = {"running": {}}, True
    elif status == "notready":
        state, ready = {"running": {}}, False
    else:
        state, ready = {"waiting": {"reason": status}}, False
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {"kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i", "resources": resources}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "c", "ready": ready, "restartCount": restarts, "state": state}]}}


def deployment(ns: str, name: str, env: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    containers = [{"name": name, "image": f"{name}:1", "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
                   **spec.pop("container", {})}]
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": containers, **spec}}}}


def replicaset(ns: str, name: str, deploy: str) -> dict[str, Any]:
    return {"kind": "ReplicaSet", "metadata": {"name": name, "namespace": ns, "ownerReferences": [
        {"kind": "Deployment", "name": deploy, "controller": True}]}}


def service(ns: str, name: str, app: str | None = None, ip: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"app": app or name}}
    if ip:
        spec["clusterIP"] = ip
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def endpoint_slice(ns: str, svc: str, ready: list[bool]) -> dict[str, Any]:
    return {"kind": "EndpointSlice", "metadata": {"name": f"{svc}-x", "namespace": ns,
                                                  "labels": {"kubernetes.io/service-name": svc}},
            "endpoints": [{"addresses": [f"10.0.0.{i}"], "conditions": {"ready": r}} for i, r in enumerate(ready)]}


def node(name: str, ready: bool = True) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"},
                                      {"type": "MemoryPressure", "status": "False"}]}}


def world() -> dict[str, list[dict[str, Any]]]:
    """web/frontend calling shop/payments (env URL), web/postgres (ConfigMap host) and, per its
    logs, web/inventory; payments has no ready endpoint; a neighbour on node n1 has no memory limit;
    CoreDNS crash-loops."""
    config = {"kind": "ConfigMap", "metadata": {"name": "frontend-db", "namespace": "web"},
              "data": {"DB_HOST": "postgres", "DB_PORT": "5432", "GREETING": "hello world"}}
    frontend = deployment("web", "frontend", {"PAYMENTS_URL": "http://payments.shop.svc.cluster.local:8080/api",
                                              "SELF_URL": "http://frontend:80", "LOG_LEVEL": "info"},
                          container={"envFrom": [{"configMapRef": {"name": "frontend-db"}}]})
    checkout = deployment("shop", "checkout", {"PAYMENTS": "payments:8080"})
    return {
        "Deployment": [frontend, checkout, deployment("shop", "payments"), deployment("web", "postgres"),
                       deployment("web", "inventory")],
        "ReplicaSet": [replicaset("web", "frontend-abc", "frontend"), replicaset("shop", "payments-abc", "payments")],
        "Pod": [
            pod("web", "frontend-abc-1", "n1", {"app": "frontend"}, owner=("ReplicaSet", "frontend-abc")),
            pod("web", "frontend-abc-2", "n2", {"app": "frontend"}, owner=("ReplicaSet", "frontend-abc")),
            pod("shop", "payments-abc-1", "n3", {"app": "payments"}, owner=("ReplicaSet", "payments-abc"),
                status="CrashLoopBackOff", restarts=9),
            pod("web", "postgres-0", "n3", {"app": "postgres"}),
            pod("web", "inventory-1", "n3", {"app": "inventory"}),
            pod("batch", "hog-1", "n1", {"app": "hog"}, memory_limit=None),
            pod("batch", "fine-1", "n1", {"app": "fine"}),
            pod("batch", "broken-1", "n2", {"app": "broken"}, status="ImagePullBackOff"),
            pod("batch", "elsewhere-1", "n3", {"app": "elsewhere"}, memory_limit=None),
            pod("kube-system", "coredns-1", "n3", {"k8s-app": "kube-dns"}, status="CrashLoopBackOff", restarts=14),
            pod("kube-system", "coredns-2", "n3", {"k8s-app": "kube-dns"}),
        ],
        "Service": [service("web", "frontend"), service("shop", "payments"), service("web", "postgres", ip="10.96.0.7"),
                    service("web", "inventory"), service("kube-system", "kube-dns", app="x")],
        "EndpointSlice": [endpoint_slice("shop", "payments", []), endpoint_slice("web", "postgres", [True]),
                          endpoint_slice("web", "inventory", [True, True]),
                          endpoint_slice("kube-system", "kube-dns", [True, False])],
        "ConfigMap": [config],
        "Node": [node("n1"), node("n2"), node("n3")],
    }


def _deps(t: Any) -> dict[str, Any]:
    return {str(d.target): d for d in t.dependencies}


def test_dependencies_from_env_url_configmap_host_and_log_hosts_with_health() -> None:
    objects = world()
    objects["Service"].append(service("web", "info"))  # LOG_LEVEL=info must not make it a dependency
    t = build_topology(objects, "frontend", log_hosts=["inventory:9000", "api.stripe.com"])
    assert t.subject == ObjectRef(kind="Deployment", namespace="web", name="frontend")
    deps = _deps(t)
    assert set(deps) == {"Service shop/payments", "Service web/postgres", "Service web/inventory",
                         "ExternalHost api.stripe.com"}
    payments = deps["Service shop/payments"]
    assert payments.via == "env PAYMENTS_URL" and payments.healthy is False
    assert "0 of 0 endpoints ready" in payments.detail and "CrashLoopBackOff" in payments.detail
    assert deps["Service web/postgres"].via == "configmap web/frontend-db key DB_HOST"
    assert deps["Service web/postgres"].healthy is True
    assert deps["Service web/inventory"].via == "logs: upstream host inventory:9000"
    assert deps["ExternalHost api.stripe.com"].healthy is None
    assert t.dependencies[0].target.name == "payments"  # unhealthy first
    assert "Service web/frontend" not in deps  # its own URL is not a dependency


def test_pods_nodes_and_neighbours_without_memory_limit_or_unhealthy() -> None:
    t = build_topology(world(), "frontend", namespace="web")
    assert [p.name for p in t.pods] == ["frontend-abc-1", "frontend-abc-2"]
    assert t.services == [ObjectRef(kind="Service", namespace="web", name="frontend")]
    assert [n["name"] for n in t.nodes] == ["n1", "n2"] and all(n["ready"] for n in t.nodes)
    reasons = {p.name: p.reason for p in t.neighbours}
    assert reasons == {"hog-1": "no memory limit: c", "broken-1": "ImagePullBackOff"}
    assert t.neighbours[0].name == "broken-1"  # unhealthy before merely unlimited


def test_dns_health_reports_crash_looping_coredns() -> None:
    t = build_topology(world(), "frontend")
    assert t.dns["visible"] is True and t.dns["healthy"] is False
    assert t.dns["pods_ready"] == "1/2" and t.dns["restarts"] == 14
    assert t.dns["service"] == "kube-system/kube-dns" and "1 of 2 endpoints ready" in t.dns["service_detail"]
    assert "cluster DNS: UNHEALTHY" in render(t, 2000, "more")


def test_dependents_are_found_cluster_wide_and_a_service_subject_resolves_its_pods() -> None:
    t = build_topology(world(), "payments", kind="svc")
    assert t.subject == ObjectRef(kind="Service", namespace="shop", name="payments")
    assert t.workloads == [ObjectRef(kind="Deployment", namespace="shop", name="payments")]
    assert [p.reason for p in t.pods] == ["CrashLoopBackOff"]
    assert {str(r) for r in t.dependents} == {"Deployment web/frontend", "Deployment shop/checkout"}


def test_policy_hidden_namespaces_hide_neighbours_dependency_health_and_dns() -> None:
    t = build_topology(world(), "frontend", visible=lambda ns: ns not in ("batch", "shop", "kube-system"))
    assert t.neighbours == []
    payments = _deps(t)["Service shop/payments"]
    assert payments.healthy is None and "hidden by policy" in payments.detail
    assert t.dns == {"visible": False, "note": "kube-system is hidden by policy: DNS health unknown"}
    assert t.hidden_namespaces == ["batch", "shop"]


def test_ambiguous_names_list_candidates_and_a_namespace_hint_picks_one() -> None:
    objects = world()
    objects["Deployment"].append(deployment("staging", "frontend"))
    t = build_topology(objects, "frontend")
    assert t.subject.kind == "" and not t.pods
    assert "ambiguous" in t.notes[0] and "Deployment staging/frontend" in t.notes[0]
    assert build_topology(objects, "frontend", namespace="staging").subject.namespace == "staging"
    missing = build_topology(objects, "frontnd")
    assert "no Deployment or StatefulSet" in missing.notes[0]
    with pytest.raises(ValueError, match="Ingress"):
        canonical_kind("Ingress")


def test_a_pod_subject_reaches_its_deployment_and_a_cluster_ip_is_a_service() -> None:
    objects = world()
    objects["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "DB_ADDR", "value": "10.96.0.7:5432"})
    t = build_topology(objects, "frontend-abc-2")
    assert t.subject.kind == "Pod" and t.workloads == [ObjectRef(kind="Deployment", namespace="web", name="frontend")]
    assert "env DB_ADDR" in _deps(t)["Service web/postgres"].via


@pytest.mark.parametrize(("value", "expected"), [
    ("postgresql://app:pw@db.data.svc:5432/app?sslmode=require", [("db.data.svc", True)]),
    ("jdbc:mysql://mysql-primary.db.svc.cluster.local:3306/shop", [("mysql-primary.db.svc.cluster.local", True)]),
    ("host=pg port=5432 dbname=app user=app", [("pg", True)]),
    ("Server=sql.internal;Database=app;User Id=sa", [("sql.internal", True)]),
    ("kafka-0.kafka:9092,kafka-1.kafka:9092", [("kafka-0.kafka", True), ("kafka-1.kafka", True)]),
    ("mongodb://a.mongo:27017,b.mongo:27017/db", [("a.mongo", True), ("b.mongo", True)]),
    ("redis", [("redis", False)]),
    ("10.96.0.7", [("10.96.0.7", False)]),
    ("hello world", []),
    ("1.25", []),
    ("[::1]:8080", []),
])
def test_hosts_in_reads_urls_dsns_host_ports_and_bare_names(value: str, expected: list[tuple[str, bool]]) -> None:
    assert hosts_in(value) == expected


def test_a_statefulset_pod_dns_name_resolves_to_its_headless_service() -> None:
    objects = world()
    objects["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "PRIMARY", "value": "postgres://postgres-0.postgres.web.svc.cluster.local:5432/app"})
    assert "env PRIMARY" in _deps(build_topology(objects, "frontend"))["Service web/postgres"].via


def _with_env(objects: dict[str, list[dict[str, Any]]], **env: str) -> dict[str, list[dict[str, Any]]]:
    objects["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]["env"] += [
        {"name": k, "value": v} for k, v in env.items()]
    return objects


def test_a_missing_service_or_a_misspelt_cluster_domain_is_an_unhealthy_dependency() -> None:
    objects = _with_env(world(), AAA_DB_HOST="postgres",  # a good reference first: the bad one still counts
                        SEARCH_URL="http://postgres.web.svc.cluster.locl:5432",
                        PROMO_URL="http://promo:8080", QUOTES="quotes.shop:9000")
    deps = _deps(build_topology(objects, "frontend"))
    typo = deps["Service web/postgres"]
    assert typo.healthy is False and ".svc.cluster.locl, not the cluster domain .svc.cluster.local" in typo.detail
    assert typo.via.startswith("env SEARCH_URL") and "env AAA_DB_HOST" in typo.via
    promo = deps["Service web/promo"]
    assert promo.healthy is False and "no Service web/promo exists" in promo.detail
    assert deps["Service shop/quotes"].healthy is False  # name.namespace of a known namespace


def test_the_cluster_domain_comes_from_the_corefile() -> None:
    objects = _with_env(world(), DB="postgres://postgres.web.svc.corp.internal:5432/app")
    objects["ConfigMap"].append({"kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
                                 "data": {"Corefile": ".:53 {\n    errors\n    kubernetes corp.internal in-addr.arpa "
                                                      "ip6.arpa {\n      pods insecure\n    }\n}\n"}})
    postgres = _deps(build_topology(objects, "frontend"))["Service web/postgres"]
    assert postgres.healthy is True and "env DB" in postgres.via


def _dns_world(finished_at: str) -> dict[str, list[dict[str, Any]]]:
    objects = world()
    objects["Pod"] = [p for p in objects["Pod"] if p["metadata"]["namespace"] != "kube-system"]
    for i in (1, 2):
        p = pod("kube-system", f"coredns-{i}", "n3", {"k8s-app": "kube-dns"}, restarts=11)
        p["status"]["containerStatuses"][0]["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                                                            "finishedAt": finished_at}}
        objects["Pod"].append(p)
    objects["Node"][0]["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-07-06T09:10:00Z"
    objects["EndpointSlice"][-1]["endpoints"] = [{"addresses": ["10.0.0.9"], "conditions": {"ready": True}}]
    return objects


def test_dns_pods_ready_now_but_restarting_within_the_hour_are_unhealthy() -> None:
    dns = build_topology(_dns_world("2026-07-06T09:02:00Z"), "frontend").dns
    assert dns["pods_ready"] == "2/2" and dns["restarting_pods"] == 2 and dns["healthy"] is False
    assert "last restart 8m before the snapshot" in dns["pods"][0]["problem"]
    old = build_topology(_dns_world("2026-06-01T09:02:00Z"), "frontend").dns
    assert old["restarting_pods"] == 0 and old["healthy"] is True


def test_a_dependency_whose_pods_restarted_within_the_hour_is_unhealthy() -> None:
    objects = world()
    inventory = next(p for p in objects["Pod"] if p["metadata"]["name"] == "inventory-1")
    inventory["status"]["containerStatuses"][0].update(restartCount=4, lastState={"terminated": {
        "reason": "OOMKilled", "finishedAt": "2026-07-06T09:00:00Z"}})
    objects["Node"][0]["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-07-06T09:10:00Z"
    dep = _deps(build_topology(objects, "frontend", log_hosts=["inventory"]))["Service web/inventory"]
    assert dep.healthy is False and "1 restarted within the hour" in dep.detail


def test_subject_refs_feed_the_change_ranking_and_a_rollout_relates_to_its_services() -> None:
    from datetime import UTC, datetime, timedelta

    from mcp_servers.kubernetes.changes import rank_changes, timeline
    from mcp_servers.kubernetes.topology import subject_refs

    objects = world()
    objects["ReplicaSet"] += [
        {"kind": "ReplicaSet", "metadata": {"name": f"payments-r{r}", "namespace": "shop", "creationTimestamp": when,
                                            "annotations": {"deployment.kubernetes.io/revision": str(r)},
                                            "ownerReferences": [{"kind": "Deployment", "name": "payments",
                                                                 "uid": "uid-shop-payments"}]},
         "spec": {"template": {"metadata": {"labels": {"app": "payments"}},
                               "spec": {"containers": [{"name": "payments", "image": f"payments:{r}"}]}}}}
        for r, when in ((1, "2026-01-01T00:00:00Z"), (2, "2026-05-01T11:30:00Z"))]
    objects["Deployment"][4]["metadata"]["creationTimestamp"] = "2026-05-01T11:50:00Z"  # inventory, unrelated
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    changes = timeline(objects, at - timedelta(hours=2), at)
    rollout = next(c for c in changes if c.type == "rollout")
    assert rollout.related == [ObjectRef(kind="Service", namespace="shop", name="payments")]
    topo = build_topology(objects, "frontend")
    plain = subject_refs(topo)
    assert ObjectRef(kind="Node", name="n1") in plain and ObjectRef(kind="Service", namespace="shop",
                                                                   name="payments") not in plain
    ranked = rank_changes(changes, subject_refs(topo, dependencies=True), at)
    assert ranked[0] is rollout  # the upstream rollout outranks a newer, unrelated creation
    assert str(rank_changes(changes, plain, at)[0].object) == "Deployment web/inventory"


def test_a_pod_ip_in_the_logs_means_the_service_that_selects_the_pod() -> None:
    """gRPC clients dial pod IPs (`ipv4:10.244.1.57:9090`), not the ClusterIP."""
    objects = world()
    inventory = next(p for p in objects["Pod"] if p["metadata"]["name"] == "inventory-1")
    inventory["status"]["podIP"] = "10.244.9.41"
    deps = _deps(build_topology(objects, "frontend", log_hosts=["10.244.9.41:9000"]))
    assert deps["Service web/inventory"].via.startswith("logs: upstream host 10.244.9.41")
    assert not any(name.startswith("ExternalHost") for name in deps if "10.244" in name)
