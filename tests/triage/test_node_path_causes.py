"""Causes below the workloads: a data-path agent's change, a load balancer's annotations, a node's PIDs taken.

Fixtures are written here in Kubernetes' own shapes (the change timeline's `ChangesResult`, a Service as the API
server stores it, Prometheus samples as `prom_query` answers them, `k8s_rollout_history`'s revisions) and each
class comes in at least two wordings: different CNIs and settings (Calico's FELIX_IPINIPMTU, kube-proxy's mode in
its ConfigMap), different clouds (AWS NLB instance targets, Azure's probe path), different leakers (a Deployment
that dropped tini, a StatefulSet leaking threads, seen without a node label). None is the held-out bundle.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.triage import datapath, lb_healthcheck, pid_pressure, rank, subject_of
from agent.triage.facts import Facts, LogEvidence
from tests.triage.test_rank import AT, alert, finding


def _at(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _change(minutes: int, kind: str, ns: str, name: str, diff: list[str], type_: str = "rollout",
            related: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"at": _at(minutes), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} changed: " + "; ".join(diff), "diff": diff, "related": related or []}


def _log(pod: str, ns: str, message: str, error_class: str) -> LogEvidence:
    top = {"template": message, "example": message, "message": message, "count": 12, "severity": "error",
           "error_class": error_class, "fields": {}}
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E4", top=top, hosts=[], error_classes={error_class},
                       previous=False)


# ---- a data-path agent's change -----------------------------------------------------------------------------

def _path_facts(changes: list[dict[str, Any]], log: LogEvidence) -> Facts:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", changes={"changes": changes}, changes_id="E2")
    facts.logs.append(log)
    return facts


JAVA_TIMEOUT = "java.net.SocketTimeoutException: Read timed out"
GO_DEADLINE = 'Post "http://ledger.finance:8080/v1/entries": context deadline exceeded (Client.Timeout exceeded)'


def test_a_cni_daemonset_setting_change_outranks_the_apps_own_image_rollout() -> None:
    changes = [
        _change(20, "Deployment", "shop", "checkout", ["checkout image reg/checkout:7.1.0 -> reg/checkout:7.2.0"]),
        _change(45, "DaemonSet", "calico-system", "calico-node",
                ["calico-node image quay.io/calico/node:v3.27.2 -> quay.io/calico/node:v3.28.0",
                 "calico-node env FELIX_IPINIPMTU='1380' -> '1480'"])]
    facts = _path_facts(changes, _log("checkout-6d9f7c8b5-q7wzm", "shop", JAVA_TIMEOUT, "connection_timeout"))
    [top, *_] = rank(subject_of(alert(alertname="SLOBurn", namespace="shop", service="checkout")), facts)
    assert top.check == datapath.CHECK and top.ref is not None and top.ref.name == "calico-node"
    assert "FELIX_IPINIPMTU='1380' -> '1480'" in top.cause and "MTU" in top.cause and "45 min" in top.cause


def test_kube_proxys_mode_in_its_configmap_is_the_suspect_when_calls_hit_deadlines() -> None:
    changes = [_change(30, "ConfigMap", "kube-system", "kube-proxy", ["config.conf mode: 'iptables' -> 'ipvs'"],
                       type_="config", related=[{"kind": "DaemonSet", "namespace": "kube-system",
                                                 "name": "kube-proxy"}])]
    facts = _path_facts(changes, _log("payouts-7c9d8f6b5d-bbbbb", "finance", GO_DEADLINE, "connection_timeout"))
    [found] = datapath.changes(facts)
    assert found.target.kind == "ConfigMap" and found.settings == ["config.conf mode: 'iptables' -> 'ipvs'"]
    [top, *_] = rank(subject_of(alert(alertname="SLOBurn", namespace="finance", service="payouts")), facts)
    assert top.ref is not None and top.ref.name == "kube-proxy" and "kube-proxy's mode" in top.cause


def test_image_bumps_refusals_and_app_daemonsets_are_not_data_path_causes() -> None:
    image_only = [_change(40, "DaemonSet", "kube-system", "aws-node",
                          ["aws-node image amazon-k8s-cni:v1.18.5 -> amazon-k8s-cni:v1.19.0"])]
    hung = _log("api-6d9f7c8b5-q7wzm", "shop", JAVA_TIMEOUT, "connection_timeout")
    assert datapath.changes(_path_facts(image_only, hung)) == []
    mtu = [_change(40, "DaemonSet", "kube-system", "aws-node", ["aws-node env POD_MTU='1380' -> unset"])]
    refused = _log("api-6d9f7c8b5-q7wzm", "shop", "connect ECONNREFUSED 10.0.3.4:5432", "connection_refused")
    assert datapath.changes(_path_facts(mtu, refused)) == []
    app_agent = [_change(40, "DaemonSet", "logging", "fluent-bit", ["fluent-bit env FLUSH='1' -> '5'"])]
    assert datapath.changes(_path_facts(app_agent, hung)) == []
    stale = [_change(60 * 9, "DaemonSet", "kube-system", "aws-node", ["aws-node env POD_MTU='1380' -> unset"])]
    assert datapath.changes(_path_facts(stale, hung)) == []
    assert len(datapath.changes(_path_facts(mtu, hung))) == 1


# ---- a load balancer's annotations ----------------------------------------------------------------------

def _service(annotations: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "edge", "namespace": "gateway", "annotations": annotations},
            "spec": {"type": "LoadBalancer", **spec}}


def _lb_facts(keys: list[str], minutes: int = 12, service: dict[str, Any] | None = None) -> Facts:
    diff = [f"metadata.annotations.{k} written by kubectl-edit" for k in keys]
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1",
                  changes={"changes": [_change(minutes, "Service", "gateway", "edge", diff, type_="other")]},
                  changes_id="E2")
    if service is not None:
        facts.objects.append((service, "E7"))
    return facts


AWS_PORT = "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"


def test_a_health_check_port_no_node_serves_marks_every_target_unhealthy() -> None:
    svc = _service({AWS_PORT: "8081", "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance"},
                   {"externalTrafficPolicy": "Cluster",
                    "ports": [{"name": "https", "port": 443, "targetPort": 8443, "nodePort": 30443}]})
    facts = _lb_facts([AWS_PORT], service=svc)
    [top, *_] = rank(subject_of(alert(alertname="BlackboxProbeFailed", namespace="gateway", service="edge")), facts)
    assert top.check == lb_healthcheck.CHECK and top.ref is not None and top.ref.name == "edge"
    assert "aws-load-balancer-healthcheck-port='8081'" in top.cause and "unhealthy" in top.cause
    assert "30443" in top.cause and "E7" in top.evidence


def test_ip_targets_or_an_unread_service_claim_no_contradiction() -> None:
    svc = _service({AWS_PORT: "8081", "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip"},
                   {"ports": [{"port": 443, "targetPort": 8443, "nodePort": 30443}]})
    [found] = lb_healthcheck.changes(_lb_facts([AWS_PORT], service=svc))
    assert found.values == {AWS_PORT: "8081"} and found.problems == []
    azure = "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path"
    [unread] = lb_healthcheck.changes(_lb_facts([azure]))
    assert unread.values == {} and unread.keys == [azure]
    assert "azure-load-balancer-health-probe-request-path" in lb_healthcheck.finding(unread)["message"]


def test_old_edits_and_other_annotations_are_not_load_balancer_changes() -> None:
    assert lb_healthcheck.changes(_lb_facts([AWS_PORT], minutes=60 * 3)) == []
    assert lb_healthcheck.changes(_lb_facts(["prometheus.io/scrape", "app.example.com/owner"])) == []
    internal = {**_service({AWS_PORT: "8081"}, {"ports": [{"port": 443}]}), "spec": {"type": "ClusterIP"}}
    assert lb_healthcheck.changes(_lb_facts([AWS_PORT], service=internal)) == []


# ---- the workload holding a node's PIDs ---------------------------------------------------------------------

def _sample(name: str, value: float, **labels: str) -> dict[str, Any]:
    return {"labels": {"__name__": name, **labels}, "value": value}


def _pid_facts(samples: list[dict[str, Any]], related: list[str] | None = None) -> Facts:
    pressure = finding("node.pressure", "Node", "", "node-c", "Node node-c: PIDPressure", reason="PIDPressure",
                       details={"node": "node-c", "condition": "PIDPressure", "reclaiming": ["pids"]})
    victim = finding("pod.restarting", "Deployment", "shop", "cart", "Deployment shop/cart: 1/2 pods Error",
                     owner={"kind": "Deployment", "namespace": "shop", "name": "cart"},
                     pods=["cart-6d9f7c8b5-aaaaa"], details={"node": "node-c"})
    node_change = {"at": _at(3), "type": "node", "object": {"kind": "Node", "namespace": "", "name": "node-c"},
                   "summary": "Node node-c PIDPressure set", "diff": ["condition PIDPressure -> True"],
                   "related": [{"kind": "Pod", "namespace": "x", "name": p} for p in related or []]}
    facts = Facts(at=AT, scan={"findings": [pressure, victim]}, scan_id="E1", changes={"changes": [node_change]},
                  changes_id="E2")
    facts.metrics.append(({"samples": samples}, "E6"))
    return facts


def test_the_deployment_whose_rollout_dropped_tini_holds_the_nodes_pids() -> None:
    samples = [_sample("container_processes", 9100, namespace="media", pod="thumbnailer-5c8d7f9b6d-kkkkk",
                       container="app", node="node-c"),
               _sample("container_threads", 9400, namespace="media", pod="thumbnailer-5c8d7f9b6d-kkkkk",
                       container="app", node="node-c"),
               _sample("container_processes", 3, namespace="shop", pod="cart-6d9f7c8b5-aaaaa", container="cart",
                       node="node-c"),
               _sample("container_threads", 40, namespace="shop", pod="cart-6d9f7c8b5-aaaaa", container="cart",
                       node="node-c"),
               _sample("node_processes_state", 8800, node="node-c", state="Z"),
               _sample("container_processes", 20000, namespace="media", pod="thumbnailer-5c8d7f9b6d-zzzzz",
                       container="app", node="node-a")]
    facts = _pid_facts(samples)
    history = {"kind": "Deployment", "namespace": "media", "name": "thumbnailer", "revisions": [
        {"revision": 4, "created": "2026-04-20T10:00:00Z", "change_cause": "", "changes": []},
        {"revision": 5, "created": "2026-05-01T07:00:00Z", "change_cause": "alpine base",
         "changes": ["app image reg/thumbnailer:1.4 -> reg/thumbnailer:2.0",
                     "app command ['/sbin/tini', '--', 'python', 'worker.py'] -> ['python', 'worker.py']"]}]}
    facts.objects.append(({"kind": "RolloutHistory", "history": history}, "E8"))
    [top, *_] = rank(subject_of(alert(alertname="KubeNodePressure", node="node-c", condition="PIDPressure")),
                        facts)
    assert top.check == pid_pressure.CHECK and top.ref is not None and top.ref.name == "thumbnailer"
    assert "Deployment media/thumbnailer" in top.cause and "9100 processes" in top.cause
    assert "8800 zombie" in top.cause and "dropped tini" in top.cause and "revision 5" in top.cause
    assert "node-c" in str(top.victims) and {"E6", "E8"} <= set(top.evidence)


def test_a_statefulset_leaking_threads_is_found_without_a_node_label() -> None:
    samples = [_sample("container_threads", 31000, namespace="crawl", pod="crawler-0", container="crawler"),
               _sample("container_processes", 1, namespace="crawl", pod="crawler-0", container="crawler"),
               _sample("container_threads", 200, namespace="shop", pod="cart-6d9f7c8b5-aaaaa", container="cart"),
               _sample("container_threads", 90000, namespace="other", pod="elsewhere-0", container="x")]
    [hog] = pid_pressure.hogs(_pid_facts(samples, related=["crawler-0", "cart-6d9f7c8b5-aaaaa"]))
    assert hog.workload.kind == "StatefulSet" and hog.workload.name == "crawler" and hog.zombies is None
    message = pid_pressure.finding(hog)["message"]
    assert "31000 threads" in message and "faster than they exit" in message and "tini" not in message


def test_no_workload_standing_out_blames_none() -> None:
    samples = [_sample("container_processes", 900, namespace="a", pod=f"w{i}-6d9f7c8b5-aaaaa", container="c",
                       node="node-c") for i in range(4)]
    assert pid_pressure.hogs(_pid_facts(samples)) == []
    assert pid_pressure.hogs(_pid_facts([])) == []


def test_a_switch_to_external_traffic_policy_cluster_says_the_client_source_ip_is_lost() -> None:
    """Local -> Cluster: kube-proxy SNATs, so IP allowlists behind the load balancer see node addresses (403s);
    the same write to Local says nothing of source IPs."""
    diff = ["spec.externalTrafficPolicy written by kubectl-client-side-apply"]

    def facts(policy: str) -> Facts:
        f = Facts(at=AT, scan={"findings": []}, scan_id="E1",
                  changes={"changes": [_change(40, "Service", "gateway", "edge", diff, type_="other")]},
                  changes_id="E2")
        f.objects.append((_service({}, {"externalTrafficPolicy": policy, "ports": [
            {"name": "https", "port": 443, "targetPort": 8443, "nodePort": 30443}]}), "E7"))
        return f

    [cluster] = lb_healthcheck.changes(facts("Cluster"))
    message = lb_healthcheck.finding(cluster)["message"]
    assert "externalTrafficPolicy='Cluster'" in message and "source IP" in message and "403" in message
    [local] = lb_healthcheck.changes(facts("Local"))
    assert "source IP" not in lb_healthcheck.finding(local)["message"]
