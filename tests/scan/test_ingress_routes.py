"""Ingress routes that collide (`ingress.route_overlap`) or churn the controller (`ingress.controller_churn`).

Objects are shaped as the API server returns them (networking.k8s.io/v1 Ingress with managedFields,
gateway.networking.k8s.io/v1 HTTPRoute, ingress-nginx's RELOAD events and OOMKilled controller pods). Each
positive has a negative twin that differs in the one fact the precedence rules turn on: another
IngressClass, disjoint paths, a catch-all that a longer path beats, a later ALB group.order, a rollout's
few writes, a controller that never restarted.
"""

from __future__ import annotations

import copy
from typing import Any

from mcp_servers.kubernetes.scan import Snapshot, scan
from tests.scan.objects import NOW, deployment, event, pod, replicaset, set_container, ts


def ingress(name: str, ns: str, host: str, paths: list[tuple[str, str, str]], cls: str = "nginx",
            created: float = 60 * 24 * 30, annotations: dict[str, str] | None = None,
            manager: str = "helm", written: float | None = None) -> dict[str, Any]:
    """An Ingress with one host and (path, pathType, service) rules, created `created` minutes ago."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{ns}-{name}", "creationTimestamp": ts(created),
                         "annotations": annotations or {},
                         "managedFields": [
                             {"manager": manager, "operation": "Update", "apiVersion": "networking.k8s.io/v1",
                              "time": ts(created if written is None else written), "fieldsType": "FieldsV1",
                              "fieldsV1": {"f:spec": {"f:rules": {}}}},
                             {"manager": "nginx-ingress-controller", "operation": "Update", "subresource": "status",
                              "apiVersion": "networking.k8s.io/v1", "time": ts(1), "fieldsType": "FieldsV1",
                              "fieldsV1": {"f:status": {"f:loadBalancer": {}}}}]},
            "spec": {"ingressClassName": cls, "rules": [{"host": host, "http": {"paths": [
                {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                for p, t, s in paths]}}]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "lb-1.elb.eu-west-1.amazonaws.com"}]}}}


def httproute(name: str, ns: str, hosts: list[str], paths: list[tuple[str, str, str]], created: float,
              gateway: str = "public") -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(created)},
            "spec": {"parentRefs": [{"name": gateway, "namespace": "gateway-system"}], "hostnames": hosts,
                     "rules": [{"matches": [{"path": {"type": t, "value": p}}], "backendRefs": [{"name": s,
                                                                                                  "port": 80}]}
                               for p, t, s in paths]}}


def _found(objects: list[dict[str, Any]], check: str) -> list[Any]:
    snap = Snapshot.from_objects(copy.deepcopy(objects))
    return [f for f in scan(snap, NOW, ["routes"]).findings if f.check == check]


PROD = ingress("frontend", "web", "shop.example.com", [("/", "Prefix", "frontend")])


def test_a_newer_staging_ingress_with_the_production_host_takes_the_longer_path() -> None:
    staging = ingress("storefront-preview", "web-staging", "shop.example.com",
                      [("/products", "Prefix", "storefront-next")], created=24, manager="kubectl-create")
    found = _found([PROD, staging], "ingress.route_overlap")
    assert [str(f.object) for f in found] == ["Ingress web-staging/storefront-preview"]
    f = found[0]
    assert f.severity == "critical" and f.details["displaced"] == "Ingress web/frontend"
    assert f.details["hosts"] == ["shop.example.com"] and f.since == ts(24)
    assert "Service web-staging/storefront-next" in f.details["explains"]
    assert "Ingress web/frontend" in f.details["explains"] and "most specific path wins" in f.message


def test_an_exact_path_and_a_legacy_class_annotation_collide_the_same_way() -> None:
    legacy = copy.deepcopy(PROD)
    del legacy["spec"]["ingressClassName"]
    legacy["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "nginx"
    exact = ingress("healthz-probe", "tools", "shop.example.com", [("/healthz", "Exact", "probe-echo")], created=10)
    found = _found([legacy, exact], "ingress.route_overlap")
    assert [str(f.object) for f in found] == ["Ingress tools/healthz-probe"]
    assert "(Exact)" in found[0].message


def test_same_host_on_another_ingress_class_never_collides() -> None:
    staging = ingress("storefront-preview", "web-staging", "shop.example.com",
                      [("/products", "Prefix", "storefront-next")], cls="nginx-internal", created=24)
    assert _found([PROD, staging], "ingress.route_overlap") == []


def test_disjoint_paths_and_a_shorter_catch_all_take_nothing() -> None:
    api = ingress("api", "web", "shop.example.com", [("/api", "Prefix", "api")])
    docs = ingress("docs", "docs", "shop.example.com", [("/docs", "Prefix", "docs")], created=5)
    assert _found([api, docs], "ingress.route_overlap") == []
    # a newer catch-all `/` never beats an older, longer `/api` on a most-specific controller
    landing = ingress("landing", "marketing", "shop.example.com", [("/", "Prefix", "landing")], created=5)
    assert _found([api, landing], "ingress.route_overlap") == []
    # `/products` does not cover `/productsearch`: Prefix matches whole path elements
    search = ingress("search", "web", "shop.example.com", [("/productsearch", "Prefix", "search")])
    products = ingress("products", "web2", "shop.example.com", [("/products", "Prefix", "products")], created=5)
    assert _found([search, products], "ingress.route_overlap") == []


def test_the_same_path_twice_goes_to_the_oldest_ingress() -> None:
    dup = ingress("frontend-v2", "web-next", "shop.example.com", [("/", "Prefix", "frontend-v2")], created=15)
    found = _found([PROD, dup], "ingress.route_overlap")
    assert [str(f.object) for f in found] == ["Ingress web/frontend"]
    assert found[0].severity == "warning"  # the old one keeps serving; the new one never got traffic


def test_a_canary_or_an_acme_solver_shares_the_host_by_design() -> None:
    canary = ingress("frontend-canary", "web", "shop.example.com", [("/", "Prefix", "frontend-v2")], created=10,
                     annotations={"nginx.ingress.kubernetes.io/canary": "true",
                                  "nginx.ingress.kubernetes.io/canary-weight": "10"})
    assert _found([PROD, canary], "ingress.route_overlap") == []
    solver = ingress("cm-acme-http-solver-x7k2p", "web", "shop.example.com",
                     [("/.well-known/acme-challenge/Zk3q", "ImplementationSpecific", "cm-acme-http-solver-x7k2p")],
                     created=2)
    solver["metadata"]["labels"] = {"acme.cert-manager.io/http01-solver": "true"}
    assert _found([PROD, solver], "ingress.route_overlap") == []
    solver["metadata"]["labels"] = {}
    assert len(_found([PROD, solver], "ingress.route_overlap")) == 1  # the twin: the same path, not cert-manager's


ALB = {"alb.ingress.kubernetes.io/group.name": "public", "alb.ingress.kubernetes.io/scheme": "internet-facing"}


def test_an_alb_group_member_ordered_first_with_a_catch_all_shadows_the_others() -> None:
    accounts = ingress("accounts-web", "accounts", "www.example.com",
                       [("/account", "Prefix", "accounts-web"), ("/account/api", "Prefix", "accounts-web")],
                       cls="alb", annotations={**ALB, "alb.ingress.kubernetes.io/group.order": "0"})
    landing = ingress("black-friday-landing", "marketing", "www.example.com", [("/", "Prefix", "landing")],
                      cls="alb", created=90, annotations={**ALB, "alb.ingress.kubernetes.io/group.order": "-10"})
    found = _found([accounts, landing], "ingress.route_overlap")
    assert [str(f.object) for f in found] == ["Ingress marketing/black-friday-landing"]
    assert found[0].details["order"] == -10 and "catch-all" in found[0].message
    assert "group.order" in found[0].message


def test_an_alb_rule_without_a_host_and_no_order_sorts_by_name() -> None:
    shop = ingress("shop", "shop", "www.example.com", [("/cart", "Prefix", "cart")], cls="alb", annotations=ALB)
    anyhost = ingress("a-maintenance", "ops", "", [("/", "Prefix", "maintenance")], cls="alb", created=3,
                      annotations=ALB)
    found = _found([shop, anyhost], "ingress.route_overlap")
    assert [str(f.object) for f in found] == ["Ingress ops/a-maintenance"]  # 'ops/a…' sorts before 'shop/shop'


def test_an_alb_catch_all_ordered_last_or_in_another_group_shadows_nothing() -> None:
    accounts = ingress("accounts-web", "accounts", "www.example.com", [("/account", "Prefix", "accounts-web")],
                       cls="alb", annotations={**ALB, "alb.ingress.kubernetes.io/group.order": "0"})
    last = ingress("landing", "marketing", "www.example.com", [("/", "Prefix", "landing")], cls="alb", created=90,
                   annotations={**ALB, "alb.ingress.kubernetes.io/group.order": "100"})
    assert _found([accounts, last], "ingress.route_overlap") == []
    other = ingress("landing", "marketing", "www.example.com", [("/", "Prefix", "landing")], cls="alb", created=90,
                    annotations={"alb.ingress.kubernetes.io/group.name": "campaigns",
                                 "alb.ingress.kubernetes.io/group.order": "-10"})
    assert _found([accounts, other], "ingress.route_overlap") == []


def test_httproutes_on_one_gateway_follow_the_gateway_api_precedence() -> None:
    old = httproute("store", "shop", ["shop.example.com"], [("/", "PathPrefix", "store")], created=60 * 24 * 7)
    new = httproute("checkout-canary", "canary", ["shop.example.com"], [("/checkout", "PathPrefix", "checkout-v2")],
                    created=12)
    found = _found([old, new], "ingress.route_overlap")
    assert [str(f.object) for f in found] == ["HTTPRoute canary/checkout-canary"]
    elsewhere = httproute("checkout-canary", "canary", ["shop.example.com"],
                          [("/checkout", "PathPrefix", "checkout-v2")], created=12, gateway="internal")
    assert _found([old, elsewhere], "ingress.route_overlap") == []


# --- churn ---------------------------------------------------------------------------------------------------

def _controller(restarted: bool, reloads: int) -> list[dict[str, Any]]:
    """ingress-nginx's controller Deployment, one pod (OOMKilled 20 min ago when `restarted`) and its RELOAD
    events as ingress-nginx records them (one aggregated event with a count)."""
    objs = [deployment("ingress-nginx-controller", "ingress-nginx"),
            replicaset("ingress-nginx-controller-7d9f", "ingress-nginx-controller", "ingress-nginx")]
    p = pod("ingress-nginx-controller-7d9f-abcde", "ingress-nginx",
            owner=("ReplicaSet", "ingress-nginx-controller-7d9f"))
    p = set_container(p, ready=True, state={"running": {"startedAt": ts(20)}},
                      last={"reason": "OOMKilled", "exitCode": 137, "startedAt": ts(50), "finishedAt": ts(20)}
                      if restarted else None, restarts=3 if restarted else 0)
    objs.append(p)
    objs.append(event("Pod", p["metadata"]["name"], "RELOAD", "NGINX reload triggered due to a change in configuration",
                      ns="ingress-nginx", type_="Normal", count=reloads, first=55, last=1))
    return objs


def _operator(name: str = "preview-operator") -> dict[str, Any]:
    return deployment(name, "platform")


def _written(n: int, manager: str, minutes: float) -> list[dict[str, Any]]:
    return [ingress(f"pr-{i}", "preview", f"pr-{i}.preview.example.com", [("/", "Prefix", f"pr-{i}-web")],
                    created=minutes, manager=manager) for i in range(n)]


def test_an_operator_recreating_its_ingresses_while_the_controller_reloads_and_restarts_is_named() -> None:
    objs = [*_controller(True, 474), _operator(), *_written(6, "preview-operator", 0.5)]
    found = _found(objs, "ingress.controller_churn")
    assert [str(f.object) for f in found] == ["Deployment platform/preview-operator"]
    f = found[0]
    assert f.details["reloads"] == 474 and f.details["count"] == 6
    assert "Deployment ingress-nginx/ingress-nginx-controller" in f.details["explains"]
    assert "OOMKilled" in f.message and "reload" in f.message


def test_updates_recorded_only_in_managed_fields_count_as_writes_too() -> None:
    """The second shape: objects created long ago, rewritten (managedFields time) by a GitOps-style manager."""
    objs = [*_controller(True, 300), deployment("sync-agent", "gitops"),
            *[ingress(f"site-{i}", "sites", f"site-{i}.example.com", [("/", "Prefix", f"site-{i}")],
                      created=60 * 24 * 40, manager="sync-agent", written=2) for i in range(5)]]
    found = _found(objs, "ingress.controller_churn")
    assert [str(f.object) for f in found] == ["Deployment gitops/sync-agent"]


def test_a_rollouts_few_writes_or_a_controller_that_never_restarted_is_no_churn() -> None:
    rollout = [*_controller(True, 4), _operator(), *_written(3, "preview-operator", 5)]
    assert _found(rollout, "ingress.controller_churn") == []  # about one reload per object written
    calm = [*_controller(False, 474), _operator(), *_written(6, "preview-operator", 0.5)]
    assert _found(calm, "ingress.controller_churn") == []  # reloads, but no restart: nothing fell over
    old = [*_controller(True, 474), _operator(), *_written(6, "preview-operator", 60 * 5)]
    assert _found(old, "ingress.controller_churn") == []  # the writes are hours old: not this window
    nobody = [*_controller(True, 474), *_written(6, "kubectl-edit", 0.5)]
    assert _found(nobody, "ingress.controller_churn") == []  # no workload by that manager's name

