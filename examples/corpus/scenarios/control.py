"""Control-plane objects in the way: autoscalers, quotas, admission webhooks, RBAC."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from corpus import logs as L
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts


def _hpa(inc: Incident, ns: str, name: str, target: str, lo: int, hi: int, current: int, desired: int,
         cpu: int | None, conditions: list[dict[str, Any]]) -> dict[str, Any]:
    status: dict[str, Any] = {"currentReplicas": current, "desiredReplicas": desired, "conditions": conditions}
    if cpu is not None:
        status["currentMetrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": cpu, "averageValue": f"{cpu * 2}m"}}}]
        status["lastScaleTime"] = ts(inc.at - timedelta(minutes=31))
    return inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                             "minReplicas": lo, "maxReplicas": hi,
                             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                 "type": "Utilization", "averageUtilization": 70}}}]},
                    "status": status})


def _cond(type_: str, status: str, reason: str, message: str, when: datetime) -> dict[str, Any]:
    return {"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": ts(when)}


def search_hpa_maxed_out() -> Incident:
    """A TV campaign triples search traffic; the HPA scales search to its maxReplicas of 4 and stops there.

    On-call sees: KubeHpaMaxedOut on shop/search, and catalog timing out on search (a victim).
    CPU is at 182% of the request-based target; every pod is busy and nothing is broken.
    """
    at = datetime(2026, 4, 11, 20, 10, tzinfo=UTC)
    inc = Incident("search-hpa-maxed-out", title="KubeHpaMaxedOut: shop/search",
                   story="An autoscaler capped too low for a traffic spike.", at=at, seed=323,
                   skip={("shop", "search")})
    img = f"{REGISTRY}/shop/search:4.0.2"

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=12), end, 4, lambda i, t: L.logfmt(
            t, "warn" if i % 5 == 0 else "info", "slow query" if i % 5 == 0 else "query served",
            q=["tv advert shoes", "boots", "rain jacket"][i % 3],
            took_ms=1900 + 37 * i if i % 5 == 0 else 240 + i % 200,
            inflight=48 + i % 9)))

    w = inc.deployment("shop", "search", [
        Rev(8, at - timedelta(days=12), "deploy search 4.0.2",
            [c("search", img, cpu_request="200m", cpu_limit="400m", memory_limit="1Gi")])],
        {8: [P(log=log)] * 2 + [P(log=log, created=at - timedelta(minutes=40 - 6 * k)) for k in range(2)]})
    hpa = _hpa(inc, "shop", "search", "search", 2, 4, 4, 4, 182, [
        _cond("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size",
              at - timedelta(minutes=31)),
        _cond("ScalingActive", "True", "ValidMetricFound", "the HPA was able to successfully calculate a replica "
              "count from cpu resource utilization (percentage of request)", at - timedelta(days=30)),
        _cond("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum "
              "replica count", at - timedelta(minutes=31))])
    inc.event(hpa, "SuccessfulRescale", "New size: 4; reason: cpu resource utilization (percentage of request) "
              "above target", at - timedelta(minutes=31), warning=False, component="horizontal-pod-autoscaler")
    for h in w.pods:
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "shop", "pod": h.name, "container": "search", "job": "kubelet"},
                   _cpu(h.created, at - timedelta(minutes=50)))
    for fam, value in (("kube_horizontalpodautoscaler_spec_max_replicas", lambda t: 4.0),
                       ("kube_horizontalpodautoscaler_status_current_replicas",
                        lambda t: 2.0 if t < at - timedelta(minutes=40) else 4.0)):
        inc.series(fam, "gauge", "HPA replica counts.", {"namespace": "shop", "horizontalpodautoscaler": "search",
                                                         "job": "kube-state-metrics"}, value)
    inc.alertmanager("KubeHpaMaxedOut", {"namespace": "shop", "horizontalpodautoscaler": "search",
                                         "job": "kube-state-metrics"},
                     "HPA is running at max replicas",
                     "HPA shop/search has been running at max replicas for longer than 15 minutes.",
                     'kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics"} == '
                     'kube_horizontalpodautoscaler_spec_max_replicas{job="kube-state-metrics"}')
    inc.answer_key(culprit=("HorizontalPodAutoscaler", "shop", "search"), keywords=["maxReplicas", "182"],
                   root_cause="HPA shop/search is pinned at maxReplicas 4 while CPU runs at 182% of the 70% target "
                              "under a traffic spike; search is saturated and slow. Raise maxReplicas.",
                   category="hpa-at-max", red_herrings=[("Deployment", "shop", "catalog")])
    return inc


def _cpu(created: datetime, spike: datetime) -> Any:
    def value(t: datetime) -> float | None:
        if t < created:
            return None
        base = (t - created).total_seconds() * 0.12
        extra = max(0.0, (t - spike).total_seconds()) * 0.26
        return round(base + extra, 1)
    return value


def frontend_cpu_throttling() -> Incident:
    """A kustomize refactor renames the HPA's target to web-frontend; the Deployment is still called frontend.

    On-call sees: CPUThrottlingHigh on frontend. frontend sits at 3 replicas under evening load;
    its HPA reports FailedGetScale because its scaleTargetRef names a Deployment that does not exist.
    """
    at = datetime(2026, 5, 29, 19, 40, tzinfo=UTC)
    inc = Incident("frontend-cpu-throttling", title="CPUThrottlingHigh: web/frontend",
                   story="An autoscaler points at a Deployment name that does not exist.", at=at, seed=324)
    renamed = at - timedelta(days=2)
    hpa = _hpa(inc, "web", "frontend", "web-frontend", 3, 12, 0, 0, None, [
        _cond("AbleToScale", "False", "FailedGetScale", "the HPA controller was unable to get the target's current "
              'scale: deployments/scale.apps "web-frontend" not found', renamed)])
    hpa["metadata"]["labels"] = {"app.kubernetes.io/name": "frontend", "kustomize.toolkit.fluxcd.io/name": "web"}
    inc.event(hpa, "FailedGetScale", 'deployments/scale.apps "web-frontend" not found', at - timedelta(minutes=58),
              at + timedelta(minutes=34), count=236, component="horizontal-pod-autoscaler")
    pods = inc.pods_of("web", "frontend")
    for h in pods:
        h.logs["frontend"] = L.lines(L.ticker(at - timedelta(minutes=10), inc.captured, 6, lambda i, t: L.js(
            t, "warn" if i % 4 == 0 else "info", "slow render" if i % 4 == 0 else "page rendered",
            route="/product/:id", duration_ms=2400 + i * 11 if i % 4 == 0 else 310 + i % 150, event_loop_lag_ms=180)))
    pod = pods[0].name
    inc.alertmanager("CPUThrottlingHigh", {"namespace": "web", "pod": pod, "container": "frontend",
                                           "job": "kubelet"}, "Processes experience elevated CPU throttling.",
                     f"71.4% throttling of CPU in namespace web for container frontend in pod {pod}.",
                     "sum(increase(container_cpu_cfs_throttled_periods_total{container!=\"\"}[5m])) by (container, "
                     "pod, namespace) / sum(increase(container_cpu_cfs_periods_total[5m])) by (container, pod, "
                     "namespace) > (25 / 100)", severity="info")
    inc.answer_key(culprit=("HorizontalPodAutoscaler", "web", "frontend"),
                   keywords=["web-frontend", "FailedGetScale"],
                   root_cause="HPA web/frontend's scaleTargetRef names Deployment web-frontend, which does not exist "
                              "(the Deployment "
                              "is frontend), so it never scales (FailedGetScale) and frontend stays at 3 replicas "
                              "under load.",
                   category="hpa-missing-target", red_herrings=[("Deployment", "web", "frontend")])
    return inc


def catalog_rollout_stuck() -> Incident:
    """shop's ResourceQuota is nearly used up by a new indexer; catalog's rollout cannot add its surge pod.

    On-call sees: KubeDeploymentRolloutStuck on catalog. No new pod exists at all: the ReplicaSet's
    events say 'exceeded quota: compute-resources'.
    """
    at = datetime(2026, 6, 18, 11, 30, tzinfo=UTC)
    inc = Incident("catalog-rollout-stuck", title="KubeDeploymentRolloutStuck: shop/catalog",
                   story="A ResourceQuota leaves no room for a rollout's surge pod.", at=at, seed=325,
                   skip={("shop", "catalog")})
    deploy_at = at - timedelta(minutes=26)
    img_old, img_new = f"{REGISTRY}/shop/catalog:2.4.0", f"{REGISTRY}/shop/catalog:2.5.0"

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=10), end, 25, lambda i, t: L.logfmt(
            t, "info", "request served", path=f"/api/catalog/items/{200 + i}", status=200, duration_ms=15 + i % 30)))

    wl = inc.deployment("shop", "catalog", [
        Rev(11, at - timedelta(days=9), "deploy catalog 2.4.0", [c("catalog", img_old, memory_limit="512Mi")]),
        Rev(12, deploy_at, "deploy catalog 2.5.0", [c("catalog", img_new, memory_limit="512Mi")]),
    ], {11: [P(log=log)] * 3, 12: []}, replicas=3, max_surge="1", max_unavailable="0", progress="deadline")
    deploy = wl.obj
    deploy["status"]["conditions"].append(_cond("ReplicaFailure", "True", "FailedCreate",
                                                 f'pods "{wl.rs[12]}-{o.suffix("q", 5)}" is forbidden: exceeded quota: '
                                                 "compute-resources, requested: limits.memory=512Mi, used: "
                                                 "limits.memory=11776Mi, limited: limits.memory=12Gi", deploy_at))
    rs = inc.find("ReplicaSet", "shop", wl.rs[12])
    rs["spec"]["replicas"] = 1
    inc.event(rs, "FailedCreate", f'Error creating: pods "{wl.rs[12]}-{o.suffix("q", 5)}" is forbidden: exceeded '
              "quota: compute-resources, requested: limits.memory=512Mi, used: limits.memory=11776Mi, limited: "
              "limits.memory=12Gi", deploy_at, inc.captured - timedelta(minutes=1), count=17,
              component="replicaset-controller")
    idx = inc.deployment("shop", "search-indexer", [
        Rev(1, at - timedelta(hours=20), "search-indexer 0.3.0",
            [c("search-indexer", f"{REGISTRY}/shop/search-indexer:0.3.0", memory_limit="2Gi", memory_request="1Gi",
               port=None)])], {1: [P()] * 3})
    del idx
    inc.add({"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "compute-resources", "namespace": "shop"},
             "spec": {"hard": {"limits.memory": "12Gi", "requests.cpu": "8", "requests.memory": "8Gi",
                               "pods": "40"}},
             "status": {"hard": {"limits.memory": "12Gi", "requests.cpu": "8", "requests.memory": "8Gi", "pods": "40"},
                        "used": {"limits.memory": "11776Mi", "requests.cpu": "2500m", "requests.memory": "5632Mi",
                                 "pods": "17"}}})
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "shop", "deployment": "catalog",
                                                    "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment shop/catalog is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false",'
                     'job="kube-state-metrics"} != 0')
    inc.answer_key(culprit=("ResourceQuota", "shop", "compute-resources"),
                   keywords=["exceeded quota", "limits.memory"],
                   root_cause="ResourceQuota shop/compute-resources is nearly used up (limits.memory 11776Mi of "
                              "12Gi, mostly the new search-indexer), so catalog 2.5.0's surge pod is forbidden "
                              "(exceeded quota) and the "
                              "rollout is stuck.",
                   category="resourcequota-exhausted", red_herrings=[("Deployment", "shop", "catalog")])
    return inc


def cart_replicas_mismatch() -> Incident:
    """policy-guard was uninstalled but its ValidatingWebhookConfiguration (failurePolicy Fail) stayed.

    On-call sees: KubeDeploymentReplicasMismatch on shop/cart after a node scale-down removed one
    of its pods. The ReplicaSet cannot create the replacement: the API server fails calling a
    webhook whose Service no longer exists. Every pod creation outside kube-system fails the same way.
    """
    at = datetime(2026, 7, 9, 4, 15, tzinfo=UTC)
    inc = Incident("cart-replicas-mismatch", title="KubeDeploymentReplicasMismatch: shop/cart",
                   story="An admission webhook's Service is gone and its failure policy rejects every pod.",
                   at=at, seed=326, skip={("shop", "cart")}, namespaces=("policy-system",))
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIpolicyguard\n"
                          b"-----END CERTIFICATE-----\n").decode()
    inc.add({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
             "metadata": {"name": "policy-guard", "generation": 2,
                          "labels": {"app.kubernetes.io/managed-by": "Helm",
                                     "app.kubernetes.io/instance": "policy-guard"}},
             "webhooks": [{"name": "pods.policy-guard.example.com", "admissionReviewVersions": ["v1"],
                           "clientConfig": {"service": {"namespace": "policy-system", "name": "policy-guard-webhook",
                                                        "path": "/validate-pods", "port": 443},
                                            "caBundle": ca},
                           "failurePolicy": "Fail", "matchPolicy": "Equivalent", "sideEffects": "None",
                           "timeoutSeconds": 10,
                           "namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name",
                                                                       "operator": "NotIn",
                                                                       "values": ["kube-system", "policy-system"]}]},
                           "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                                      "resources": ["pods"], "scope": "Namespaced"}]}]})
    removed = at - timedelta(hours=3)
    inc.event(inc.find("Namespace", "", "policy-system"), "HelmUninstall", "release policy-guard uninstalled",
              removed, warning=False, component="helm-controller")

    def log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 30, lambda i, t: L.js(
            t, "info", "cart updated", cart_id=f"c_{4100 + i}", items=1 + i % 6, duration_ms=9 + i % 14)))

    wl = inc.deployment("shop", "cart", [Rev(9, at - timedelta(days=8), "deploy cart 2.3.1",
                                              [c("cart", f"{REGISTRY}/shop/cart:2.3.1")])],
                        {9: [P(log=log)]}, replicas=2)
    msg = ('Internal error occurred: failed calling webhook "pods.policy-guard.example.com": failed to call webhook: '
           'Post "https://policy-guard-webhook.policy-system.svc:443/validate-pods?timeout=10s": service '
           '"policy-guard-webhook" not found')
    rs = inc.find("ReplicaSet", "shop", wl.rs[9])
    rs["spec"]["replicas"] = 2
    inc.event(rs, "FailedCreate", f"Error creating: {msg}", at - timedelta(minutes=22),
              inc.captured - timedelta(seconds=50), count=19, component="replicaset-controller")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[9]} to 2", at - timedelta(days=8),
              warning=False, component="deployment-controller")
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "shop", "deployment": "cart",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment shop/cart has not matched the expected number of replicas for longer than "
                     "15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("ValidatingWebhookConfiguration", "", "policy-guard"),
                   keywords=["policy-guard-webhook", "failurePolicy"],
                   root_cause="ValidatingWebhookConfiguration policy-guard (failurePolicy Fail) still sends every pod "
                              "creation to Service policy-system/policy-guard-webhook, which was uninstalled (service "
                              "not found), so the API server rejects new pods and cart cannot replace its lost "
                              "replica.",
                   category="admission-webhook-unavailable", red_herrings=[("Deployment", "shop", "cart")])
    return inc


def feature_flags_deploy_stuck() -> Incident:
    """A chart refactor drops feature-flags' own ServiceAccount: the pods run as web's default one and get 403s.

    On-call gets a PagerDuty page. The new pods are Running but never Ready (the flag cache never
    syncs); client-go logs 'configmaps is forbidden: User "system:serviceaccount:web:default"'.
    The Role and RoleBinding are intact and bind the feature-flags ServiceAccount.
    """
    at = datetime(2026, 8, 6, 13, 0, tzinfo=UTC)
    inc = Incident("feature-flags-deploy-stuck", title="feature-flags deploy stuck (PagerDuty)",
                   story="A Deployment switches to a ServiceAccount that has no permissions.", at=at, seed=327)
    deploy_at = at - timedelta(minutes=21)
    for sa in ("default", "feature-flags"):
        inc.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": "web"}})
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": {"name": "feature-flags-reader", "namespace": "web"},
             "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]})
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "feature-flags-reader", "namespace": "web"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "feature-flags-reader"},
             "subjects": [{"kind": "ServiceAccount", "name": "feature-flags", "namespace": "web"}]})
    img = f"{REGISTRY}/web/feature-flags:1.6.0"
    forbidden = ('configmaps is forbidden: User \\"system:serviceaccount:web:default\\" cannot list resource '
                 '\\"configmaps\\" in API group \\"\\" in the namespace \\"web\\"')

    def bad(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 2:
                return L.klog(t, "W", "reflector.go:561", "k8s.io/client-go@v0.30.3/tools/cache/reflector.go:232: "
                              "failed to list *v1.ConfigMap: " + forbidden.replace('\\"', '"'))
            return L.klog(t, "E", "reflector.go:158", '"Unhandled Error" err="k8s.io/client-go@v0.30.3/tools/cache/'
                          'reflector.go:232: Failed to watch *v1.ConfigMap: failed to list *v1.ConfigMap: '
                          f'{forbidden}" logger="UnhandledError"')
        return L.lines([(start, L.klog(start, "I", "main.go:64", "feature-flags 1.6.0 starting, watching configmaps "
                                       "labelled flags.example.com/set")),
                        *L.ticker(max(start, end - timedelta(minutes=15)), end, 28, line)])

    def good(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=15), end, 60, lambda i, t: L.klog(
            t, "I", "cache.go:88", f"flag set synced sets=14 flags=212 resourceVersion={88120 + i}")))

    inc.deployment("web", "feature-flags", [
        Rev(8, at - timedelta(days=16), "feature-flags 1.5.2",
            [c("feature-flags", f"{REGISTRY}/web/feature-flags:1.5.2")],
            pod_spec={"serviceAccountName": "feature-flags"}),
        Rev(9, deploy_at, "feature-flags 1.6.0 (chart 2.0: serviceAccount.create=false)",
            [c("feature-flags", img)], pod_spec={"serviceAccountName": "default"}),
    ], {8: [P(log=good)] * 2, 9: [P("notready", log=bad, message="Readiness probe failed: HTTP probe failed with "
                                     "statuscode: 503")]},
        replicas=2, max_surge="1", max_unavailable="0", progress="deadline")
    inc.pagerduty("feature-flags deploy stuck; new pod never ready, flags for web may be stale", "Web Platform")
    inc.answer_key(culprit=("Deployment", "web", "feature-flags"), keywords=["forbidden", "default", "ServiceAccount"],
                   root_cause="Revision 9 of web/feature-flags runs as ServiceAccount default instead of "
                              "feature-flags, which has no Role binding, so listing ConfigMaps is forbidden (403) and "
                              "the pod never becomes Ready.",
                   category="rbac-forbidden-serviceaccount", red_herrings=[("Deployment", "web", "frontend")])
    return inc


SCENARIOS = [search_hpa_maxed_out, frontend_cpu_throttling, catalog_rollout_stuck, cart_replicas_mismatch,
             feature_flags_deploy_stuck]
