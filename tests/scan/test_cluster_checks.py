"""Checks beyond pods, over objects built in the test: each problem once, its healthy twin silent.

Status fields, conditions and event messages follow what the controllers write (deployment
controller, scheduler, HPA controller, cert-manager, kube-controller-manager's quota admission).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from mcp_servers.kubernetes.scan import ScanResult, Snapshot, UnknownCheck, resolve_checks, scan
from tests.scan.objects import (
    NOW,
    deployment,
    endpoints,
    event,
    meta,
    node,
    pod,
    replicaset,
    secret,
    service,
    set_container,
    ts,
)

ALL_LISTED = {"Pod", "Event", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Service", "Endpoints",
              "Ingress", "IngressClass", "Secret", "ConfigMap", "PersistentVolumeClaim", "StorageClass", "Node",
              "HorizontalPodAutoscaler", "Job", "CronJob", "PodDisruptionBudget", "NetworkPolicy", "Certificate",
              "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ResourceQuota"}


def run(objects: list[dict[str, Any]], area: str) -> ScanResult:
    return scan(Snapshot.from_objects(objects, listed=ALL_LISTED), NOW, [area])


def checks_of(result: ScanResult) -> list[str]:
    return [f.check for f in result.findings]


# ---- workloads ----------------------------------------------------------------------------------


def test_stuck_rollout_and_unavailable_replicas() -> None:
    d = deployment("catalog", replicas=3, ready=2, image="registry.example.com/catalog:v2.4.1")
    d["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "12"}
    d["status"]["conditions"][1] = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                    "message": 'ReplicaSet "catalog-5c8" has timed out progressing.',
                                    "lastTransitionTime": ts(10)}
    result = run([d], "workloads")
    assert checks_of(result) == ["workload.rollout_stuck", "workload.unavailable"]
    stuck, short = result.findings
    assert stuck.reason == "ProgressDeadlineExceeded" and stuck.details["revision"] == "12"
    assert short.details == {"desired": 3, "ready": 2, "images": ["registry.example.com/catalog:v2.4.1"]}
    assert run([deployment("catalog", replicas=3)], "workloads").findings == []


def test_failed_create_names_the_quota_and_the_webhook() -> None:
    objs = [deployment("api"), replicaset("api-7d9f", "api"),
            event("ReplicaSet", "api-7d9f", "FailedCreate",
                  'pods "api-7d9f-x" is forbidden: exceeded quota: compute, requested: limits.memory=512Mi, '
                  "used: limits.memory=2Gi, limited: limits.memory=2Gi", count=14),
            deployment("web"), replicaset("web-1a", "web"),
            event("ReplicaSet", "web-1a", "FailedCreate",
                  'Internal error occurred: failed calling webhook "validate.kyverno.svc": failed to call webhook: '
                  'admission webhook "validate.kyverno.svc" denied the request: image tag latest not allowed')]
    found = {f.owner.name: f for f in run(objs, "workloads").findings if f.owner}
    assert found["api"].details["cause"] == "quota exceeded" and found["api"].details["quota"] == "compute"
    assert found["api"].count == 14 and str(found["api"].object) == "ReplicaSet shop/api-7d9f"
    assert found["web"].details["cause"] == "admission webhook denied"
    assert found["web"].details["webhook"] == "validate.kyverno.svc"
    healthy = [deployment("api"), replicaset("api-7d9f", "api"),
               event("ReplicaSet", "api-7d9f", "SuccessfulCreate", "Created pod: api-7d9f-x", type_="Normal")]
    assert run(healthy, "workloads").findings == []


def test_a_long_admission_denial_keeps_its_reason() -> None:
    image = "ghcr.io/acme/worker@sha256:" + "ab12" * 16
    long_denial = ('Error creating: admission webhook "verify.images.example" denied the request: policy '
                   f"signed-only rejected spec.containers[0].image {image} for authority release-pipeline "
                   f"(checked {image} against 3 attestors, rekor lookups 2): image not signed by any trusted key")
    objs = [deployment("worker"), replicaset("worker-5c", "worker"),
            event("ReplicaSet", "worker-5c", "FailedCreate", long_denial)]
    [found] = run(objs, "workloads").findings
    assert "image not signed by any trusted key" in found.message and "Error creating" not in found.message
    assert "image not signed by any trusted key" in found.evidence[-1] and "ab12" * 16 not in found.evidence[-1]
    short = [deployment("api"), replicaset("api-7d9f", "api"),
             event("ReplicaSet", "api-7d9f", "FailedCreate", 'pods "api-7d9f-x" is forbidden: exceeded quota: '
                   "compute, requested: cpu=2")]
    [quota] = run(short, "workloads").findings
    assert len(quota.evidence) == 1  # only an admission denial gets its full text kept


# ---- services -----------------------------------------------------------------------------------


def test_service_without_ready_endpoints_and_one_selecting_nothing() -> None:
    bad = set_container(pod("web-1", labels={"app": "web"}), state={"running": {"startedAt": ts(5)}})
    objs = [bad, service("web"), endpoints("web", ready=0), service("ghost", selector={"app": "gone"}),
            endpoints("ghost", ready=0)]
    found = {f.object.name: f for f in run(objs, "services").findings}
    assert found["web"].check == "service.no_endpoints" and found["web"].details["pods_selected"] == 1
    assert found["ghost"].check == "service.selector_mismatch" and "app=gone matches no pod" in found["ghost"].message
    assert run([pod("web-1"), service("web"), endpoints("web")], "services").findings == []


def test_service_target_port_no_container_exposes() -> None:
    p = pod("web-1", ports=[{"name": "http", "containerPort": 8080}])
    [f] = run([p, service("web", target_port="metrics"), endpoints("web")], "services").findings
    assert (f.check, f.details["target"], f.details["container_port_names"]) == ("service.target_port", "metrics",
                                                                                  ["http"])
    assert run([p, service("web", target_port="http"), endpoints("web")], "services").findings == []
    assert run([p, service("web", target_port=8080), endpoints("web")], "services").findings == []


def test_an_undeclared_numeric_target_port_is_a_lead_not_a_fault() -> None:
    """containerPort is informational (Pod API reference): a number reaches whatever listens there.

    So a numeric targetPort the containers do not declare is reported as `info` with its own reason and
    weighs below every fault in triage, while a named targetPort nobody declares stays critical (the
    endpoints then carry no such port at all).
    """
    from agent.triage.rank import cause_weight
    p = pod("web-1", ports=[{"name": "http", "containerPort": 8080}])
    [numeric] = run([p, service("web", target_port=9090), endpoints("web")], "services").findings
    assert (numeric.severity, numeric.reason) == ("info", "TargetPortUndeclared")
    assert "works without a declaration" in numeric.message
    [named] = run([p, service("web", target_port="grpc"), endpoints("web")], "services").findings
    assert (named.severity, named.reason) == ("critical", "TargetPortNotExposed")
    weights = {f.reason: cause_weight(f.model_dump() if hasattr(f, "model_dump") else vars(f))
               for f in (numeric, named)}
    assert weights["TargetPortUndeclared"] < 0.5 < weights["TargetPortNotExposed"]


def test_endpoint_slices_are_read_when_listed() -> None:
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": meta("web-abc", labels={"kubernetes.io/service-name": "web"}),
              "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": False}}]}
    snap = Snapshot.from_objects([pod("web-1"), service("web"), slice_], listed=ALL_LISTED | {"EndpointSlice"})
    assert [f.check for f in scan(snap, NOW, ["services"]).findings] == ["service.no_endpoints"]


# ---- ingress ------------------------------------------------------------------------------------


def ingress(backend: str = "web", port: int = 80, tls_secret: str | None = None,
            cls: str | None = "nginx") -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend, "port": {"number": port}}}}]}}]}
    if cls:
        spec["ingressClassName"] = cls
    if tls_secret:
        spec["tls"] = [{"hosts": ["shop.example.com"], "secretName": tls_secret}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("shop"), "spec": spec}


NGINX = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}}


def test_ingress_to_missing_service_port_tls_secret_and_class() -> None:
    objs = [service("web"), NGINX]
    assert checks_of(run([*objs, ingress(backend="webb")], "ingress")) == ["ingress.missing_backend"]
    [port] = run([*objs, ingress(port=8443)], "ingress").findings
    assert port.reason == "ServicePortNotFound" and port.details["port"] == 8443
    [tls] = run([*objs, ingress(tls_secret="shop-tls")], "ingress").findings
    assert tls.check == "ingress.missing_tls_secret" and tls.details["secret"] == "shop-tls"
    [cls] = run([*objs, ingress(cls="traefik")], "ingress").findings
    assert cls.check == "ingress.missing_class" and cls.details["known"] == ["nginx"]
    assert run([*objs, secret("shop-tls"), ingress(tls_secret="shop-tls")], "ingress").findings == []


# ---- storage ------------------------------------------------------------------------------------


def pvc(name: str = "data", phase: str = "Pending", storage_class: str | None = "gp3",
        age_min: float = 30) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {**meta(name), "creationTimestamp": ts(age_min)},
            "spec": {"storageClassName": storage_class, "resources": {"requests": {"storage": "10Gi"}}},
            "status": {"phase": phase}}


GP3 = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp3"},
       "provisioner": "ebs.csi.aws.com"}


def test_pvc_pending_with_provisioning_failure_and_missing_storage_class() -> None:
    failing = [GP3, pvc(), event("PersistentVolumeClaim", "data", "ProvisioningFailed",
                                 "failed to provision volume with StorageClass \"gp3\": rpc error: code = "
                                 "ResourceExhausted desc = volume limit exceeded", count=6)]
    [f] = run(failing, "storage").findings
    assert (f.check, f.reason) == ("pvc.pending", "ProvisioningFailed") and "volume limit exceeded" in f.message
    [missing] = run([GP3, pvc(storage_class="fast-ssd")], "storage").findings
    assert missing.check == "pvc.missing_storage_class" and missing.details["known_storage_classes"] == ["gp3"]
    assert run([GP3, pvc(phase="Bound")], "storage").findings == []
    assert run([GP3, pvc(age_min=1)], "storage").findings == []  # just created: give the provisioner a moment


# ---- nodes --------------------------------------------------------------------------------------


def test_node_not_ready_pressure_and_cordoned() -> None:
    result = run([node("n1", ready=False), node("n2", pressure="DiskPressure"), node("n3", cordoned=True)], "nodes")
    assert sorted((f.check, f.object.name, f.reason) for f in result.findings) == [
        ("node.cordoned", "n3", "SchedulingDisabled"), ("node.not_ready", "n1", "NotReady"),
        ("node.pressure", "n2", "DiskPressure")]
    assert result.findings[0].check == "node.not_ready"  # critical first
    assert run([node("n1")], "nodes").findings == []


# ---- autoscaling --------------------------------------------------------------------------------


def hpa(current: int = 3, maximum: int = 10, conditions: list[dict[str, Any]] | None = None,
        target: str = "api") -> dict[str, Any]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("api"),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "minReplicas": 2, "maxReplicas": maximum},
            "status": {"currentReplicas": current, "desiredReplicas": current, "conditions": conditions or [
                {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"},
                {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]}}


def test_hpa_at_max_missing_target_and_no_metrics() -> None:
    d = deployment("api")
    [at_max] = run([d, hpa(current=10)], "autoscaling").findings
    assert at_max.check == "hpa.at_max" and at_max.details["max"] == 10
    [missing] = run([d, hpa(target="apii")], "autoscaling").findings
    assert missing.check == "hpa.missing_target" and missing.owner is not None and missing.owner.name == "apii"
    no_metrics = hpa(conditions=[{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                                  "message": "the HPA was unable to compute the replica count: unable to get metrics "
                                             "for resource cpu: no metrics returned from resource metrics API"}])
    [m] = run([d, no_metrics], "autoscaling").findings
    assert m.check == "hpa.metrics_unavailable" and m.reason == "FailedGetResourceMetric"
    assert run([d, hpa()], "autoscaling").findings == []


# ---- jobs ---------------------------------------------------------------------------------------


def job(name: str, failed: bool, cron: str | None = None, created: float = 60) -> dict[str, Any]:
    m = {**meta(name), "creationTimestamp": ts(created)}
    if cron:
        m["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cron, "controller": True}]
    cond = ({"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit", "lastTransitionTime": ts(created - 5)}
            if failed else {"type": "Complete", "status": "True"})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": m, "spec": {"backoffLimit": 6},
            "status": {"failed": 7 if failed else 0, "conditions": [cond]}}


def cronjob(name: str, suspend: bool = False) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta(name),
            "spec": {"schedule": "0 * * * *", "suspend": suspend}, "status": {}}


def test_failed_job_with_its_pods_exit_code_and_failing_cronjob() -> None:
    failed_pod = pod("migrate-x", owner=("Job", "migrate"))
    failed_pod["status"]["phase"] = "Failed"
    failed_pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 3, "reason": "Error"}}
    [f] = run([job("migrate", True), failed_pod], "jobs").findings
    assert (f.check, f.reason, f.details["exit_code"]) == ("job.failed", "BackoffLimitExceeded", 3)
    cron = run([cronjob("report"), job("report-1", False, "report", 120), job("report-2", True, "report", 60)],
               "jobs")
    [c] = cron.findings
    assert c.check == "cronjob.failing" and c.details["failed_runs"] == 1 and c.details["job"] == "report-2"
    assert checks_of(run([cronjob("report", suspend=True)], "jobs")) == ["cronjob.suspended"]
    assert run([job("migrate", False), cronjob("report"), job("report-1", True, "report", 120),
                job("report-2", False, "report", 60)], "jobs").findings == []


# ---- policy -------------------------------------------------------------------------------------


def test_pdb_allowing_no_disruption() -> None:
    pdb: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("api"),
           "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "api"}}},
           "status": {"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 3, "expectedPods": 3}}
    [f] = run([pdb], "policy").findings
    assert f.check == "pdb.no_disruptions" and f.severity == "critical" and not f.details["by_configuration"]
    ok = copy.deepcopy(pdb)
    ok["status"].update(disruptionsAllowed=1, currentHealthy=3)
    ok["spec"]["minAvailable"] = 2
    assert run([ok], "policy").findings == []


def netpol(name: str, selector: dict[str, Any], egress: list[dict[str, Any]] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector, "policyTypes": ["Ingress"]}
    if egress is not None:
        spec["policyTypes"] = ["Ingress", "Egress"]
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(name), "spec": spec}


def test_egress_policy_without_dns_and_policy_selecting_nothing() -> None:
    pods = [pod("web-1", owner=("ReplicaSet", "web-1a")), pod("web-2", owner=("ReplicaSet", "web-1a"))]
    only_db = netpol("web-egress", {"matchLabels": {"app": "web"}}, [{"ports": [{"protocol": "TCP", "port": 5432}]}])
    [f] = run([*pods, only_db], "policy").findings
    assert (f.check, f.count, f.object.name) == ("netpol.blocks_dns", 2, "web-egress")
    dns_too = netpol("allow-dns", {}, [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}])
    assert run([*pods, only_db, dns_too], "policy").findings == []  # policies add up
    ranged = netpol("web-egress", {"matchLabels": {"app": "web"}}, [{"ports": [{"port": 1, "endPort": 1024}]}])
    assert run([*pods, ranged], "policy").findings == []
    [nothing] = run([*pods, netpol("db-only", {"matchLabels": {"app": "db"}}, None)], "policy").findings
    assert nothing.check == "netpol.selects_nothing"


# ---- certificates -------------------------------------------------------------------------------


def cert(not_after_days: float, ready: bool = True) -> dict[str, Any]:
    not_after = NOW.timestamp() + not_after_days * 86400
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": meta("shop-tls"),
            "spec": {"secretName": "shop-tls", "dnsNames": ["shop.example.com"],
                     "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt"}},
            "status": {"notAfter": datetime.fromtimestamp(not_after, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "reason": "Ready" if ready else "Failed",
                                       "message": "ok" if ready else "ACME challenge failed: 403"}]}}


def test_certificates_expired_expiring_and_not_ready() -> None:
    assert checks_of(run([cert(-1, ready=False)], "certificates")) == ["certificate.expired", "certificate.not_ready"]
    [soon] = run([cert(3)], "certificates").findings
    assert soon.check == "certificate.expiring" and soon.details["days_left"] == 3.0
    assert run([cert(60)], "certificates").findings == []


def challenge(state: str, ingress_class: str) -> dict[str, Any]:
    return {"apiVersion": "acme.cert-manager.io/v1", "kind": "Challenge", "metadata": meta("shop-tls-1-2-3"),
            "spec": {"type": "HTTP-01", "dnsName": "shop.example.com",
                     "solver": {"http01": {"ingress": {"ingressClassName": ingress_class}}}},
            "status": {"state": state, "reason": "Waiting for HTTP-01 challenge propagation: wrong status code "
                                                 "'404', expected '200'"}}


def test_an_expired_certificate_says_why_renewal_is_stuck() -> None:
    nginx = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"}}
    [expired] = run([cert(-1), challenge("pending", "nginx-public"), nginx], "certificates").findings
    assert "wrong status code '404'" in expired.message and "nginx-public" in expired.message
    assert "no IngressClass defines" in " ".join(expired.evidence)
    assert expired.details["challenge_type"] == "HTTP-01"
    [fine] = run([cert(-1), challenge("valid", "nginx"), nginx], "certificates").findings
    assert "renewal is stuck" not in fine.message, "a finished challenge is not the reason"


# ---- webhooks -----------------------------------------------------------------------------------


def webhook(svc_name: str, policy: str = "Fail") -> dict[str, Any]:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "policy-engine"},
            "webhooks": [{"name": "validate.policy.example.com", "failurePolicy": policy,
                          "clientConfig": {"service": {"namespace": "shop", "name": svc_name, "port": 443}}}]}


def test_webhook_to_missing_service_or_empty_service() -> None:
    [missing] = run([webhook("policy-svc")], "webhooks").findings
    assert missing.check == "webhook.missing_service" and missing.severity == "critical"
    down = set_container(pod("policy-1"), state={"running": {"startedAt": ts(5)}})
    [empty] = run([webhook("web", "Ignore"), service("web"), endpoints("web", ready=0), down], "webhooks").findings
    assert empty.check == "webhook.no_endpoints" and empty.severity == "warning"
    assert run([webhook("web"), service("web"), endpoints("web"), pod("policy-1")], "webhooks").findings == []


# ---- quota --------------------------------------------------------------------------------------


def test_quota_exhausted() -> None:
    quota: dict[str, Any] = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta("compute"),
             "status": {"hard": {"limits.memory": "2Gi", "pods": "20"}, "used": {"limits.memory": "2048Mi",
                                                                                  "pods": "7"}}}
    [f] = run([quota], "quota").findings
    assert f.check == "quota.exhausted" and f.details["resources"] == ["limits.memory"]
    quota["status"]["used"]["limits.memory"] = "1Gi"
    assert run([quota], "quota").findings == []


# ---- rbac ---------------------------------------------------------------------------------------


def test_rbac_denial_in_events_and_a_quota_forbidden_is_not_rbac() -> None:
    objs = [event("Pod", "api-1", "Failed", 'secrets "db" is forbidden: User "system:serviceaccount:shop:api" '
                                            'cannot get resource "secrets" in API group "" in the namespace "shop"'),
            event("ReplicaSet", "api-1a", "FailedCreate", 'pods "x" is forbidden: exceeded quota: compute')]
    [f] = run(objs, "rbac").findings
    assert f.details["subject"] == "system:serviceaccount:shop:api" and f.details["verb"] == "get"
    assert f.details["resource"] == "secrets"
    assert run(objs[1:], "rbac").findings == []


# ---- dns ----------------------------------------------------------------------------------------


def dns_pods(ready: int, total: int = 2) -> list[dict[str, Any]]:
    out = []
    for i in range(total):
        p = pod(f"coredns-abc-{i}", ns="kube-system", labels={"k8s-app": "kube-dns"},
                owner=("ReplicaSet", "coredns-abc"))
        if i >= ready:
            p = set_container(p, state={"waiting": {"reason": "CrashLoopBackOff"}}, restarts=9,
                              last={"exitCode": 1, "reason": "Error"})
        out.append(p)
    return out


def test_cluster_dns_unhealthy() -> None:
    kube_dns = service("kube-dns", ns="kube-system", selector={"k8s-app": "kube-dns"})
    [f] = run([*dns_pods(0), kube_dns, endpoints("kube-dns", ns="kube-system", ready=0)], "dns").findings
    assert f.check == "dns.unhealthy" and f.severity == "critical" and f.details["states"] == ["CrashLoopBackOff"]
    [half] = run([*dns_pods(1), kube_dns, endpoints("kube-dns", ns="kube-system", ready=1)], "dns").findings
    assert half.severity == "warning"
    assert run([*dns_pods(2), kube_dns, endpoints("kube-dns", ns="kube-system", ready=2)], "dns").findings == []


# ---- selection ----------------------------------------------------------------------------------


def test_checks_are_chosen_by_area_id_or_prefix_and_unknown_names_are_refused() -> None:
    assert resolve_checks(["nodes"]) == {"node.not_ready", "node.pressure", "node.cordoned"}
    assert resolve_checks(["pod.oomkilled"]) == {"pod.oomkilled"}
    assert "hpa.at_max" in resolve_checks(["hpa"])
    with pytest.raises(UnknownCheck, match=r"unknown check 'pods\.oom'.*pod\.oomkilled"):
        resolve_checks(["pods.oom"])


def test_a_namespace_hidden_by_policy_is_unknown_not_missing() -> None:
    p = pod("api-1")
    p["spec"]["containers"][0]["env"] = [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db",
                                                                                          "key": "password"}}}]
    p = set_container(p, state={"waiting": {"reason": "CreateContainerConfigError", "message": "error"}})
    hook_svc = service("policy-svc", ns="gatekeeper")
    snap = Snapshot.from_objects([p, secret("db"), webhook("policy-svc"), hook_svc, endpoints("policy-svc")],
                                 listed=ALL_LISTED)
    snap.objects["ValidatingWebhookConfiguration"][0]["webhooks"][0]["clientConfig"]["service"]["namespace"] = \
        "gatekeeper"
    visible, hidden = snap.visible_only(lambda ns: ns != "gatekeeper")
    assert hidden == ["gatekeeper"] and visible.items("Secret")[0]["keys"] == ["password"]
    result = scan(visible, NOW, ["pods", "webhooks"])
    assert [f.check for f in result.findings] == ["pod.config_error"]
    assert "missing" not in result.findings[0].details  # the Secret and its key exist
    assert all(f.object.namespace != "gatekeeper" for f in result.findings)


def test_daemonset_and_statefulset_short_of_ready_pods() -> None:
    ds: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("node-exporter", "monitoring"),
          "spec": {"template": {"spec": {"containers": [{"name": "e", "image": "node-exporter:1.8"}]}}},
          "status": {"desiredNumberScheduled": 5, "numberReady": 4}}
    sts: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("db"),
           "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}}},
           "status": {"readyReplicas": 0}}
    found = {f.object.kind: f for f in run([ds, sts], "workloads").findings}
    assert found["DaemonSet"].severity == "warning" and found["DaemonSet"].details["ready"] == 4
    assert found["StatefulSet"].severity == "critical" and "0/3 replicas ready" in found["StatefulSet"].message
    ds["status"]["numberReady"] = 5
    sts["status"]["readyReplicas"] = 3
    assert run([ds, sts], "workloads").findings == []
