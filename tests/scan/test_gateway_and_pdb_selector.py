"""Gateway API references that dangle, and PodDisruptionBudgets that select no pod.

Shapes as the Gateway API defines them (gateway.networking.k8s.io/v1: `gatewayClassName`,
`parentRefs`, `backendRefs`, route `status.parents[].conditions` with ResolvedRefs=False reason
BackendNotFound as Envoy Gateway writes it) and as the disruption controller reports a PDB whose
selector matches nothing (expectedPods 0). Each problem once, its healthy twin silent, and absence
claimed only for kinds the snapshot listed.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan import ALL_CHECK_IDS, ScanResult, Snapshot, resolve_checks, scan
from mcp_servers.kubernetes.scan.snapshot import WANTED
from tests.scan.objects import NOW, meta, pod, service, ts

G = "gateway.networking.k8s.io/v1"
LISTED = {"Pod", "Event", "Service", "Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "PodDisruptionBudget"}


def run(objects: list[dict[str, Any]], area: str, listed: set[str] = LISTED) -> ScanResult:
    return scan(Snapshot.from_objects(objects, listed=listed), NOW, [area])


def gateway_class(name: str = "envoy") -> dict[str, Any]:
    return {"apiVersion": G, "kind": "GatewayClass", "metadata": {"name": name},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}}


def gateway(name: str = "public", cls: str = "envoy", ns: str = "shop") -> dict[str, Any]:
    return {"apiVersion": G, "kind": "Gateway", "metadata": meta(name, ns),
            "spec": {"gatewayClassName": cls, "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}


def route(parent: str = "public", backend: str = "web", status: list[dict[str, Any]] | None = None,
          kind: str = "HTTPRoute") -> dict[str, Any]:
    return {"apiVersion": G, "kind": kind, "metadata": meta("web-route"),
            "spec": {"parentRefs": [{"name": parent}], "hostnames": ["shop.example.com"],
                     "rules": [{"backendRefs": [{"name": backend, "port": 80}]}]},
            "status": {"parents": status or []}}


def healthy() -> list[dict[str, Any]]:
    return [gateway_class(), gateway(), service("web"), pod("web-1")]


def test_the_gateway_kinds_are_read_and_their_checks_selectable() -> None:
    kinds = {(w.kind, w.group) for w in WANTED if w.optional}
    assert {("Gateway", "gateway.networking.k8s.io"), ("HTTPRoute", "gateway.networking.k8s.io"),
            ("GatewayClass", "gateway.networking.k8s.io"), ("GRPCRoute", "gateway.networking.k8s.io")} <= kinds
    assert resolve_checks(["gateway"]) == {"gateway.missing_class", "gateway.not_accepted", "route.missing_gateway",
                                           "route.missing_backend", "route.not_accepted"}
    assert "pdb.selects_nothing" in ALL_CHECK_IDS


def test_a_healthy_route_says_nothing() -> None:
    assert run([*healthy(), route()], "gateway").findings == []


def test_a_gateway_whose_class_does_not_exist() -> None:
    objs = [gateway_class(), gateway(cls="envoy-public"), service("web")]
    [f] = run(objs, "gateway").findings
    assert (f.check, f.severity, str(f.object)) == ("gateway.missing_class", "critical", "Gateway shop/public")
    assert f.details["gateway_class"] == "envoy-public" and f.details["known"] == ["envoy"]
    assert "GatewayClass envoy-public does not exist" in f.message
    # Not listed (RBAC, or no Gateway API installed): no claim of absence.
    assert run(objs, "gateway", LISTED - {"GatewayClass"}).findings == []


def test_a_route_to_a_missing_gateway_and_a_missing_backend() -> None:
    [f] = run([*healthy(), route(parent="internal")], "gateway").findings
    assert (f.check, str(f.object), f.reason) == ("route.missing_gateway", "HTTPRoute shop/web-route",
                                                  "GatewayNotFound")
    assert f.details["gateway"] == "internal" and f.details["hosts"] == ["shop.example.com"]
    resolved = [{"parentRef": {"name": "public"}, "conditions": [
        {"type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": ts(20)},
        {"type": "ResolvedRefs", "status": "False", "reason": "BackendNotFound",
         "message": "Failed to process route rule 0 backendRef 0: service shop/web-v2 not found.",
         "lastTransitionTime": ts(20)}]}]
    [g] = run([*healthy(), route(backend="web-v2", status=resolved, kind="GRPCRoute")], "gateway").findings
    assert (g.check, str(g.object)) == ("route.missing_backend", "GRPCRoute shop/web-route")
    assert g.details["service"] == "web-v2" and "Service shop/web-v2:80, which does not exist" in g.message
    assert any("BackendNotFound" in e for e in g.evidence)  # the controller's own words, quoted


def test_a_controller_condition_alone_is_reported_in_its_words() -> None:
    refused = [{"parentRef": {"name": "public"}, "conditions": [
        {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners",
         "message": "No listeners included by this parent ref allowed this attachment.",
         "lastTransitionTime": ts(5)}]}]
    [f] = run([*healthy(), route(status=refused)], "gateway").findings
    assert (f.check, f.reason) == ("route.not_accepted", "NotAllowedByListeners")
    assert "No listeners included by this parent ref allowed this attachment" in f.message


def pdb(selector: dict[str, str], expected: int = 0) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("web-pdb"),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": selector}},
            "status": {"expectedPods": expected, "currentHealthy": expected, "desiredHealthy": min(expected, 1),
                       "disruptionsAllowed": max(expected - 1, 0)}}


def test_a_pdb_selecting_no_pod_protects_nothing() -> None:
    pods = [pod("web-1", labels={"app": "web"}), pod("web-2", labels={"app": "web"})]
    [f] = run([*pods, pdb({"app": "web-v2"})], "policy").findings
    assert (f.check, str(f.object), f.reason) == ("pdb.selects_nothing", "PodDisruptionBudget shop/web-pdb",
                                                  "NoPodsSelected")
    assert f.details["selector"] == "app=web-v2" and f.details["labels_in_namespace"] == ["app=web"]
    assert "matches no pod" in f.message and "app=web" in f.message
    assert run([*pods, pdb({"app": "web"}, expected=2)], "policy").findings == []
    # An empty namespace has nothing to protect yet: no finding.
    assert run([pdb({"app": "web-v2"})], "policy").findings == []


# ---- StatefulSet serviceName, and what the kubelet does under node pressure ----------------------


def statefulset(service_name: str, ready: int = 3) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("zk"),
            "spec": {"replicas": 3, "serviceName": service_name, "selector": {"matchLabels": {"app": "zk"}}},
            "status": {"replicas": 3, "readyReplicas": ready}}


def test_a_statefulset_whose_governing_service_does_not_exist() -> None:
    listed = {"StatefulSet", "Service", "Pod"}
    [f] = [f for f in run([statefulset("zk-headless", ready=0), service("zk")], "workloads", listed).findings
           if f.check == "workload.missing_service"]
    assert (str(f.object), f.severity, f.details["service"]) == ("StatefulSet shop/zk", "critical", "zk-headless")
    assert "zk-0.zk-headless.shop.svc" in f.message
    # All replicas ready: still said, as information; present Service or unlisted kind: silent.
    [g] = [f for f in run([statefulset("zk-headless"), service("zk")], "workloads", listed).findings]
    assert g.severity == "info"
    assert run([statefulset("zk"), service("zk")], "workloads", listed).findings == []
    assert run([statefulset("zk-headless")], "workloads", {"StatefulSet"}).findings == []


def test_node_pressure_says_what_the_kubelet_reclaims_and_whom_it_evicted() -> None:
    from tests.scan.objects import event, node

    n = node("node-2", pressure="DiskPressure")
    evicted = pod("web-9")
    evicted["spec"]["nodeName"] = "node-2"
    evicted["status"].update(phase="Failed", reason="Evicted",
                             message="The node was low on resource: ephemeral-storage.")
    ev = event("Node", "node-2", "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", ns="", count=4)
    [f] = run([n, evicted, ev], "nodes", {"Node", "Pod", "Event"}).findings
    assert (f.check, f.reason) == ("node.pressure", "DiskPressure")
    assert f.details["reclaiming"] == ["ephemeral-storage"] and f.details["evicted_pods"] == ["web-9"]
    assert "reclaiming ephemeral-storage; 1 pod(s) evicted" in f.message
    assert any("EvictionThresholdMet" in e for e in f.evidence)


def test_ingress_findings_carry_the_hosts_they_break() -> None:
    """A question that names only the host ("cannot reach app.example.com") must find the Ingress."""
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("app-ingress"),
           "spec": {"ingressClassName": "example-ingress-class", "rules": [{"host": "app.example.com", "http": {
               "paths": [{"path": "/", "pathType": "Prefix",
                          "backend": {"service": {"name": "app-v2", "port": {"number": 80}}}}]}}]}}
    nginx = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"}}
    result = run([ing, nginx, service("app")], "ingress", {"Ingress", "IngressClass", "Service"})
    by_check = {f.check: f for f in result.findings}
    assert by_check["ingress.missing_class"].details["hosts"] == ["app.example.com"]
    assert "nothing serves app.example.com" in by_check["ingress.missing_class"].message
    assert by_check["ingress.missing_backend"].details["hosts"] == ["app.example.com"]


def test_a_pdb_for_a_workload_scaled_to_zero_is_not_mis_selected() -> None:
    from tests.scan.objects import deployment

    pods = [pod("web-1", labels={"app": "web"})]
    resting = deployment("batch", replicas=0, labels={"app": "batch"})
    assert run([*pods, resting, pdb({"app": "batch"})], "policy", LISTED | {"Deployment"}).findings == []
    [f] = run([*pods, resting, pdb({"app": "batch-v2"})], "policy", LISTED | {"Deployment"}).findings
    assert f.check == "pdb.selects_nothing"
