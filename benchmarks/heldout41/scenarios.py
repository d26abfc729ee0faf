"""Round 41 of the held-out incident set: operations by people gone wrong.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes are things operators did: cleanup scripts that delete too much, add-on upgrades that
change a default, maintenance settings never reverted, restores over live data, a re-index that swaps an
alias, a DNS cutover to the wrong endpoint, a scale-down that blocks a node drain, a label refactor in a
network policy, a shared cache's maintenance change, a feature-flag flip and a quota roll-out. Most pages
are on the applications they hurt; about a third are simple (the cause is in the paged object's own spec,
status or events). Log lines follow the real software's formats.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    begin,
    changed,
    counter,
    crd,
    every,
    herring,
    node,
    plant,
    pod_log,
    ramp,
    revision,
    rolled,
    send,
    series,
    since,
    within,
    workload,
)

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float | None]
PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning", source: dict[str, str] | None = None) -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent); `source` are the external labels of the rule evaluator."""
    full = {"alertname": name, **labels, "severity": severity, **(PROM if source is None else source)}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7, first: str = "argocd-controller") -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago by `first` and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, (first, "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 10, tzinfo=UTC)


def api_certificate_untrusted_page() -> Incident:
    """A cleanup CronJob's selector was broadened: it deleted the live TLS Secret, ingress serves its fake cert.

    after: the often-told cleanup-script postmortem: a nightly janitor that deletes "expired CI secrets"
    had its label selector shortened from `owner=ci,ci-expired=true` to `owner=ci` while someone tidied the
    job and ran it once by hand to try the edit (`kubectl create job --from=cronjob/...`); the production API
    certificate had been issued from a CI pipeline (label owner=ci) and went too.
    ingress-nginx falls back to its self-signed "Kubernetes Ingress Controller Fake Certificate".
    """
    inc = begin(api_certificate_untrusted_page, "api.shop.example.com: TLS probe failing", AT1, 4101,
                namespaces=("ops",))
    chg = AT1 - timedelta(minutes=26)
    nightly = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    run = AT1 - timedelta(minutes=4)
    job_name = "ci-secret-janitor-manual-q7x2k"
    script = ("kubectl get secrets -A -l \"$SELECTOR\" -o jsonpath='{range .items[*]}{.metadata.namespace}"
              "{\" \"}{.metadata.name}{\"\\n\"}{end}' | while read -r ns name; do "
              "kubectl delete secret -n \"$ns\" \"$name\"; done")
    cj = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "ci-secret-janitor", "namespace": "ops", "generation": 4},
        "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "serviceAccountName": "ci-secret-janitor", "restartPolicy": "Never",
                     "containers": [{"name": "janitor", "image": "bitnami/kubectl:1.31.3",
                                     "command": ["/bin/bash", "-c", script],
                                     "env": [{"name": "SELECTOR", "value": "owner=ci"}]}]}}}}},
        "status": {"lastScheduleTime": ts(nightly), "lastSuccessfulTime": ts(nightly + timedelta(seconds=12))}})
    changed(cj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-edit", "Update", chg,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}))
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job_name, "namespace": "ops", "creationTimestamp": ts(run),
                          "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                          "ownerReferences": [o.owner_ref("CronJob", "ci-secret-janitor", "ops")]},
             "spec": {"backoffLimit": 0},
             "status": {"startTime": ts(run), "completionTime": ts(run + timedelta(seconds=41)), "succeeded": 1}})
    job = inc.find("Job", "ops", job_name)
    inc.event(job, "SuccessfulCreate", f"Created pod: {job_name}-8wz4d", run, warning=False,
              component="job-controller")
    inc.event(job, "Completed", "Job completed", run + timedelta(seconds=41), warning=False,
              component="job-controller")
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "storefront-api", "namespace": "shop", "labels": {"app": "storefront-api"}},
           "spec": {"ingressClassName": "nginx",
                    "tls": [{"hosts": ["api.shop.example.com"], "secretName": "api-shop-example-com-tls"}],
                    "rules": [{"host": "api.shop.example.com", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "checkout", "port": {"number": 80}}}}]}}]}}
    inc.add(ing)
    deleted = run + timedelta(seconds=37)
    plant(inc, "ops", "janitor-slack-webhook", "slack", "janitor", "token")
    ctrl = [p for p in inc.pods_of("ingress-nginx", "ingress-nginx-controller")]

    def nginx(pod: str, s: datetime, e: datetime) -> Lines:
        out = [(deleted + timedelta(seconds=2), L.klog(deleted + timedelta(seconds=2), "W", "backend_ssl.go:47",
                'Error obtaining X.509 certificate: no object matching key "shop/api-shop-example-com-tls" '
                'in local store', pid=7)),
               (deleted + timedelta(seconds=3), L.klog(deleted + timedelta(seconds=3), "W", "controller.go:1372",
                'Error getting SSL certificate "shop/api-shop-example-com-tls": local SSL certificate '
                'shop/api-shop-example-com-tls was not found. Using default certificate', pid=7))]
        out += every(s, e, 300, lambda i, t: L.klog(t, "W", "controller.go:1372",
                     'Error getting SSL certificate "shop/api-shop-example-com-tls": local SSL certificate '
                     'shop/api-shop-example-com-tls was not found. Using default certificate', pid=7)
                     if t > deleted else None)
        return out
    for h in ctrl:
        pod_log(h, h.containers[0].name, nginx, inc.cluster.start, inc.captured)
    inc.event(ing, "Sync", "Scheduled for sync", deleted + timedelta(seconds=3), warning=False,
              component="nginx-ingress-controller")
    series(inc, "probe_success", "gauge", "Displays whether or not the probe was a success",
           {"instance": "https://api.shop.example.com/healthz", "job": "blackbox", "module": "http_2xx"},
           lambda t: 1.0 if t < AT1 - timedelta(minutes=3) else 0.0)
    series(inc, "probe_ssl_earliest_cert_expiry", "gauge", "Returns last SSL chain expiry in unixtime",
           {"instance": "https://api.shop.example.com/healthz", "job": "blackbox"},
           lambda t: 1791244800.0 if t < AT1 - timedelta(minutes=3) else 1796428800.0)
    herring(inc, "shop", "catalog", f"{REGISTRY}/shop/catalog", "4.2.0", "4.2.1", AT1 - timedelta(minutes=40))
    inc.alertmanager("BlackboxProbeFailed", {"instance": "https://api.shop.example.com/healthz", "job": "blackbox",
                                             "namespace": "monitoring"},
                     "Probe failed for https://api.shop.example.com/healthz",
                     "Probe https://api.shop.example.com/healthz fails: x509: certificate signed by unknown "
                     "authority (served certificate: CN=Kubernetes Ingress Controller Fake Certificate).",
                     "probe_success == 0", severity="critical")
    inc.answer_key(
        culprit=("CronJob", "ops", "ci-secret-janitor"),
        keywords=["owner=ci", "api-shop-example-com-tls", "deleted"],
        root_cause="The ci-secret-janitor CronJob was edited to delete every Secret labelled owner=ci (the "
                   "ci-expired=true condition was dropped); a manual run of it deleted shop/api-shop-example-com-tls, "
                   "so ingress-nginx serves its default fake certificate for api.shop.example.com.",
        category="cleanup-cronjob-selector-deletes-live-tls-secret",
        red_herrings=[("Deployment", "shop", "catalog")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)


def storefront_v2_orders_404() -> Incident:
    """ingress-nginx upgraded to 1.12, whose strict path validation now rejects a regex path under Prefix.

    after: the add-on upgrade that changes a default: ingress-nginx controller v1.12 turned
    `strict-validate-path-type` on by default, so an Ingress that used `use-regex` with a regex path and
    pathType Prefix is refused by the controller after the chart bump and its route disappears; everything
    under /api/v2 falls through to the default backend's 404 (simple: the controller's own log says it).
    """
    inc = begin(storefront_v2_orders_404, "storefront v2 orders API returning 404", AT2, 4102,
                namespaces=("storefront",), skip={("ingress-nginx", "ingress-nginx-controller")})
    up = AT2 - timedelta(minutes=6)
    img = "registry.k8s.io/ingress-nginx/controller"

    def ctrl(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = max(s, up + timedelta(seconds=25))
        out = [(t0, "-------------------------------------------------------------------------------\n"
                    "NGINX Ingress controller\n  Release:       v1.12.1\n  Build:         51724dd\n"
                    "  Repository:    https://github.com/kubernetes/ingress-nginx\n  nginx version: nginx/1.25.5\n"
                    "-------------------------------------------------------------------------------"),
               (t0 + timedelta(seconds=2), L.klog(t0 + timedelta(seconds=2), "I", "main.go:205",
                                                  "\"Creating API client\" host=\"https://172.20.0.1:443\"", 7)),
               (t0 + timedelta(seconds=4), L.klog(t0 + timedelta(seconds=4), "E", "main.go:90",
                'ingress storefront/storefront-v2-orders contains invalid paths: path /api/v[0-9]+/orders cannot '
                'be used with pathType Prefix', 7)),
               (t0 + timedelta(seconds=5), L.klog(t0 + timedelta(seconds=5), "I", "controller.go:210",
                '"Backend successfully reloaded"', 7))]
        out += every(t0 + timedelta(seconds=30), e, 20, lambda i, t: L.nginx_access(
            t, "10.0.1.15", f"GET /api/v2/orders/{88120 + i}", 404, 146, "upstream-default-backend", "", 0.001))
        return out
    rolled(inc, "ingress-nginx", "ingress-nginx-controller",
           c("controller", f"{img}:v1.11.3", port=80), c("controller", f"{img}:v1.12.1", port=80), up, ctrl,
           cause="helm upgrade ingress-nginx ingress-nginx/ingress-nginx --version 4.12.1")
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "storefront-v2-orders", "namespace": "storefront",
                          "annotations": {"nginx.ingress.kubernetes.io/use-regex": "true",
                                          "nginx.ingress.kubernetes.io/rewrite-target": "/$0"}},
             "spec": {"ingressClassName": "nginx", "rules": [{"host": "www.shop.example.com", "http": {"paths": [
                 {"path": "/api/v[0-9]+/orders", "pathType": "Prefix",
                  "backend": {"service": {"name": "orders-api", "port": {"number": 80}}}}]}}]}})
    workload(inc, "storefront", "orders-api", lambda p, s, e: every(s, e, 30, lambda i, t: L.spring(
        t, "INFO", "c.s.orders.web.OrderController", f"GET /api/v2/orders/{77100 + i} -> 200 (14 ms)",
        "http-nio-8080-exec-4") if t < up else None))
    plant(inc, "storefront", "orders-api-jwt", "jwt", "storefront", "JWT_SIGNING_KEY")
    herring(inc, "storefront", "web-assets", f"{REGISTRY}/storefront/web-assets", "2026.11.28", "2026.12.01",
            AT2 - timedelta(minutes=25))
    series(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
           {"namespace": "storefront", "ingress": "storefront-v2-orders", "status": "200", "service": "orders-api"},
           counter(AT2 - timedelta(hours=2), 41.0, 0.0, up + timedelta(seconds=30)))
    series(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
           {"namespace": "storefront", "ingress": "", "status": "404", "service": ""},
           counter(AT2 - timedelta(hours=2), 0.4, 41.0, up + timedelta(seconds=30)))
    inc.alertmanager("StorefrontOrders404Rate", {"namespace": "storefront", "host": "www.shop.example.com",
                                                 "path": "/api/v2/orders"},
                     "www.shop.example.com/api/v2/orders: 98% of requests answered 404",
                     "The storefront's v2 orders endpoints return 404 for nearly every request.",
                     'sum(rate(nginx_ingress_controller_requests{host="www.shop.example.com",status="404"}[5m]))'
                     ' / sum(rate(nginx_ingress_controller_requests{host="www.shop.example.com"}[5m])) > 0.2',
                     severity="critical")
    inc.answer_key(
        culprit=("Deployment", "ingress-nginx", "ingress-nginx-controller"),
        keywords=["strict-validate-path-type", "pathType", "v1.12"],
        root_cause="ingress-nginx-controller was upgraded from v1.11.3 to v1.12.1, which turns "
                   "strict-validate-path-type on by default; the storefront-v2-orders Ingress uses a regex path "
                   "with pathType Prefix and is rejected, so /api/v2/orders goes to the default backend (404).",
        category="ingress-upgrade-strict-path-type-drops-regex-route",
        red_herrings=[("Deployment", "storefront", "web-assets")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 2, 8, 40, tzinfo=UTC)


def product_api_maxed_out() -> Incident:
    """The HPA's maxReplicas was cut to 2 for a database maintenance window and never put back.

    after: the forgotten manual change: during a night-time database maintenance an engineer capped the
    autoscaler with `kubectl edit hpa` (maxReplicas 12 -> 2) to limit connections, then went home; the
    morning peak needs seven pods and gets two (simple: the HPA's own status says ScalingLimited).
    """
    inc = begin(product_api_maxed_out, "HPA catalog/product-api maxed out", AT3, 4103, namespaces=("catalog",))
    chg = AT3 - timedelta(hours=9, minutes=20)

    def dotnet(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = 180 if t < AT3 - timedelta(minutes=50) else 2400 + (i % 7) * 310
            lvl = "info" if slow < 1000 else "warn"
            return (f"{lvl}: Microsoft.AspNetCore.Hosting.Diagnostics[2]\n      Request finished HTTP/1.1 GET "
                    f"http://product-api.catalog/v1/products/{5100 + i} - 200 - application/json {slow}.{i % 9}412ms")
        return every(s, e, 20, line)
    workload(inc, "catalog", "product-api", dotnet, replicas=2)
    hpa = inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "product-api", "namespace": "catalog", "generation": 5},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "product-api"},
                 "minReplicas": 2, "maxReplicas": 2,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                               "target": {"type": "Utilization",
                                                                          "averageUtilization": 60}}}]},
        "status": {"currentReplicas": 2, "desiredReplicas": 2, "lastScaleTime": ts(chg + timedelta(minutes=2)),
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                       "averageUtilization": 187, "averageValue": "935m"}}}],
                   "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "message": "recommended size matches current size",
                        "lastTransitionTime": ts(chg)},
                       {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                        "message": "the HPA was able to successfully calculate a replica count from cpu resource "
                                   "utilization (percentage of request)", "lastTransitionTime": ts(inc.born)},
                       {"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas",
                        "message": "the desired replica count is more than the maximum replica count",
                        "lastTransitionTime": ts(AT3 - timedelta(minutes=52))}]}})
    changed(hpa, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {"f:metrics": {}}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:maxReplicas": {}}}))
    series(inc, "kube_horizontalpodautoscaler_spec_max_replicas", "gauge", "Upper limit for the number of pods "
           "that can be set by the autoscaler.", {"namespace": "catalog", "horizontalpodautoscaler": "product-api",
                                                  "job": "kube-state-metrics"}, lambda t: 2.0)
    series(inc, "kube_horizontalpodautoscaler_status_desired_replicas", "gauge", "Desired number of replicas of "
           "pods managed by this autoscaler.", {"namespace": "catalog", "horizontalpodautoscaler": "product-api",
                                                "job": "kube-state-metrics"}, lambda t: 2.0)
    series(inc, "http_server_request_duration_seconds_p99", "gauge", "p99 request duration (recording rule)",
           {"namespace": "catalog", "service": "product-api"},
           lambda t: 0.21 if t < AT3 - timedelta(minutes=50) else 2.9)
    plant(inc, "catalog", "product-api-db", "password", "catalog-db", "ConnectionStrings__Catalog",
          "Host=catalog-db;Username=product_api;Password={}")
    herring(inc, "catalog", "image-resizer", f"{REGISTRY}/catalog/image-resizer", "1.8.2", "1.9.0",
            AT3 - timedelta(minutes=35))
    inc.alertmanager("KubeHpaMaxedOut", {"namespace": "catalog", "horizontalpodautoscaler": "product-api",
                                         "job": "kube-state-metrics"},
                     "HPA is running at max replicas",
                     "HPA catalog/product-api has been running at max replicas for longer than 15 minutes.",
                     "kube_horizontalpodautoscaler_status_current_replicas == "
                     "kube_horizontalpodautoscaler_spec_max_replicas")
    inc.answer_key(
        culprit=("HorizontalPodAutoscaler", "catalog", "product-api"),
        keywords=["maxReplicas", "maintenance", "kubectl edit"],
        root_cause="During the night's database maintenance the product-api HPA's maxReplicas was edited from "
                   "12 to 2 (kubectl edit) and never restored; at the morning peak the HPA wants more pods but "
                   "is limited to 2 (ScalingLimited TooManyReplicas), CPU runs at 187% and latency climbs.",
        category="hpa-max-replicas-capped-for-maintenance-not-reverted",
        red_herrings=[("Deployment", "catalog", "image-resizer")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)


def order_tracking_freshness_burn() -> Incident:
    """A KEDA ScaledObject left with `paused-replicas: "1"` after a Kafka maintenance: the consumer never scales.

    after: the maintenance switch nobody turned back: before a broker rolling restart the on-call engineer
    pinned the consumer with KEDA's `autoscaling.keda.sh/paused-replicas` annotation; the maintenance ended,
    the annotation stayed, and the breakfast peak's lag grows on one consumer where twelve used to run.
    """
    inc = begin(order_tracking_freshness_burn, "order-tracking: freshness SLO burning", AT4, 4104,
                namespaces=("fulfilment",))
    chg = AT4 - timedelta(hours=8, minutes=5)

    def rust(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 15, lambda i, t: (
            f"{t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}  INFO shipment_consumer::worker: committed batch "
            f"partition={i % 24} offset={9120400 + i * 37} records=500 elapsed_ms={812 + i % 40}"))
    workload(inc, "fulfilment", "shipment-consumer", rust, replicas=1)
    so = custom(inc, "ScaledObject", "keda.sh/v1alpha1", "scaledobjects", "fulfilment", "shipment-consumer",
                {"scaleTargetRef": {"name": "shipment-consumer"}, "minReplicaCount": 2, "maxReplicaCount": 24,
                 "pollingInterval": 15, "triggers": [{"type": "kafka", "metadata": {
                     "bootstrapServers": "kafka-bootstrap.kafka:9092", "consumerGroup": "shipment-consumer",
                     "topic": "shipment-events", "lagThreshold": "5000"}}]},
                {"conditions": [{"type": "Ready", "status": "True", "reason": "ScaledObjectReady",
                                 "message": "ScaledObject is defined correctly and is ready for scaling"},
                                {"type": "Active", "status": "True", "reason": "ScalerActive",
                                 "message": "Scaling is performed because triggers are active"},
                                {"type": "Paused", "status": "True", "reason": "ScaledObjectPaused",
                                 "message": "ScaledObject is paused"}],
                 "pausedReplicaCount": 1, "originalReplicaCount": 2,
                 "hpaName": "keda-hpa-shipment-consumer"},
                "kubectl-annotate", chg,
                {"f:metadata": {"f:annotations": {"f:autoscaling.keda.sh/paused-replicas": {}}}})
    so["metadata"]["annotations"] = {"autoscaling.keda.sh/paused-replicas": "1"}
    series(inc, "kafka_consumergroup_lag_sum", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic",
           {"consumergroup": "shipment-consumer", "topic": "shipment-events", "job": "kafka-exporter"},
           ramp(1800, 9400, AT4 - timedelta(minutes=45)))
    series(inc, "keda_scaler_metrics_value", "gauge", "The current value for each scaler's metric",
           {"namespace": "fulfilment", "scaledObject": "shipment-consumer", "scaler": "kafkaScaler",
            "metric": "s0-kafka-shipment-events", "job": "keda-operator"},
           ramp(1800, 9400, AT4 - timedelta(minutes=45)))
    series(inc, "kube_deployment_status_replicas", "gauge", "The number of replicas per deployment.",
           {"namespace": "fulfilment", "deployment": "shipment-consumer", "job": "kube-state-metrics"},
           lambda t: 1.0)
    plant(inc, "fulfilment", "kafka-client", "password", "kafka-sasl", "sasl.password")
    herring(inc, "fulfilment", "label-printer", f"{REGISTRY}/fulfilment/label-printer", "3.1.0", "3.1.1",
            AT4 - timedelta(minutes=30))
    inc.slo_burn("order-tracking-api", "fulfilment", "shipment-status-freshness", "0.99", 21.3,
                 "Shipment status older than 5 minutes on 31% of tracking lookups in the last hour.")
    inc.answer_key(
        culprit=("ScaledObject", "fulfilment", "shipment-consumer"),
        keywords=["paused-replicas", "paused", "lag"],
        root_cause="The shipment-consumer ScaledObject was annotated autoscaling.keda.sh/paused-replicas=1 for "
                   "the overnight Kafka maintenance and never un-paused; KEDA holds the consumer at one replica, "
                   "lag on shipment-events grows with the morning peak and order tracking goes stale.",
        category="keda-paused-replicas-left-after-maintenance",
        red_herrings=[("Deployment", "fulfilment", "label-printer")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 3, 11, 15, tzinfo=UTC)


def order_placement_failing_page() -> Incident:
    """A Velero restore with `existingResourcePolicy: update` wrote a two-week-old DB Secret over the live one.

    after: the restore-over-live-data postmortem: to recover one deleted ConfigMap an engineer restored the
    whole namespace's secrets and config maps from a backup taken before the last password rotation, with
    the policy that updates objects that already exist; the app's database password went back to the
    rotated-out value and every new connection is refused.
    """
    inc = begin(order_placement_failing_page, "orders-api: order placement failing", AT5, 4105,
                namespaces=("orders", "velero", "databases"))
    rst = AT5 - timedelta(minutes=12)
    name = "orders-config-20261203"
    backup = "daily-orders-20261119020012"
    plant(inc, "orders", "orders-db", "password", "orders-db-restored", "password")
    sec = inc.find("Secret", "orders", "orders-db")
    sec["metadata"]["labels"] = {"app": "orders-api", "velero.io/backup-name": backup,
                                 "velero.io/restore-name": name}
    changed(sec, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("external-secrets", "Update", AT5 - timedelta(days=12), {"f:data": {"f:password": {}}}),
            ("velero-server", "Update", rst + timedelta(seconds=9),
             {"f:data": {"f:password": {}}, "f:metadata": {"f:labels": {"f:velero.io/backup-name": {},
                                                                        "f:velero.io/restore-name": {}}}}))
    custom(inc, "Restore", "velero.io/v1", "restores", "velero", name,
           {"backupName": backup, "includedNamespaces": ["orders"], "includedResources": ["secrets", "configmaps"],
            "existingResourcePolicy": "update", "restorePVs": False},
           {"phase": "Completed", "startTimestamp": ts(rst), "completionTimestamp": ts(rst + timedelta(seconds=14)),
            "progress": {"itemsRestored": 23, "totalItems": 23}, "warnings": 2},
           "velero", rst, {"f:spec": {}}, generation=1, first="velero")
    restore = inc.find("Restore", "velero", name)
    restore["metadata"]["managedFields"] = restore["metadata"]["managedFields"][1:]
    restore["metadata"]["creationTimestamp"] = ts(rst)

    def velero(pod: str, s: datetime, e: datetime) -> Lines:
        base = f'logSource="pkg/restore/restore.go:1523" restore=velero/{name}'
        return [(rst, f'time="{rst.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="starting restore" '
                      f'logSource="pkg/controller/restore_controller.go:571" restore=velero/{name}'),
                (rst + timedelta(seconds=9), f'time="{(rst + timedelta(seconds=9)).strftime("%Y-%m-%dT%H:%M:%SZ")}" '
                 f'level=info msg="Attempting to update resource due to existing resource policy update" '
                 f'{base} resource=secrets name=orders-db namespace=orders'),
                (rst + timedelta(seconds=14), f'time="{(rst + timedelta(seconds=14)).strftime("%Y-%m-%dT%H:%M:%SZ")}"'
                 f' level=info msg="restore completed" logSource="pkg/controller/restore_controller.go:605" '
                 f'restore=velero/{name}')]
    workload(inc, "velero", "velero", velero, replicas=1)

    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 7, lambda i, t: L.postgres(t, "FATAL", 'password authentication failed for user '
                     '"orders_app"\n' + f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d} UTC "
                     f"[{40100 + i}] DETAIL:  Connection matched file \"/var/lib/postgresql/data/pg_hba.conf\" "
                     "line 101: \"host all all 10.0.0.0/8 scram-sha-256\"", 40100 + i) if t > rst + timedelta(
                         seconds=40) else None)
    inc.statefulset("databases", "orders-pg", [c("postgres", "postgres:16.4", port=5432)],
                    [P(log=within(pg))], inc.born + timedelta(days=2))

    def node_app(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < rst + timedelta(seconds=40):
                return L.js(t, "info", "order placed", orderId=f"o_{71200 + i}", latencyMs=48)
            return json.dumps({"level": 50, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod,
                               "err": {"type": "error", "message": 'password authentication failed for user '
                                       '"orders_app"', "code": "28P01", "severity": "FATAL"},
                               "msg": "POST /v1/orders failed: could not acquire database connection"})
        return every(s, e, 10, line)
    workload(inc, "orders", "orders-api", node_app, replicas=3)
    herring(inc, "orders", "orders-web", f"{REGISTRY}/orders/orders-web", "5.3.0", "5.4.0",
            AT5 - timedelta(minutes=25))
    series(inc, "pg_stat_database_numbackends", "gauge", "Number of backends currently connected to this database",
           {"datname": "orders", "namespace": "databases", "job": "postgres-exporter"},
           lambda t: 38.0 if t < rst else 6.0)
    inc.pagerduty("orders-api: order placement failing (HTTP 500 rate 94%)", "Orders API")
    inc.answer_key(
        culprit=("Restore", "velero", name),
        keywords=["existingResourcePolicy", "restore", "password authentication"],
        root_cause="A Velero Restore of the orders namespace's secrets from an old backup used "
                   "existingResourcePolicy update, overwriting the live orders-db Secret with the password from "
                   "before the last rotation; orders-api's new connections fail password authentication (28P01).",
        category="backup-restore-overwrites-rotated-db-secret",
        red_herrings=[("Deployment", "orders", "orders-web")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 3, 15, 50, tzinfo=UTC)


def product_search_errors_grouped() -> Incident:
    """A re-index Job swapped the `products` alias to a new index whose mapping made `brand` a text field.

    after: the data migration that passes its own checks: a re-index into products-v7 copied every document
    and then moved the read alias, but the new index template lost the `keyword` type of `brand`; the facet
    aggregation on brand fails with Elasticsearch's fielddata error on every search page.
    """
    inc = begin(product_search_errors_grouped, "search alerts", AT6, 4106, namespaces=("search",))
    t0 = AT6 - timedelta(minutes=58)
    swap = AT6 - timedelta(minutes=4)
    job = inc.add({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "reindex-products-v7", "namespace": "search", "creationTimestamp": ts(t0),
                     "labels": {"app": "search-tools"}},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [{
            "name": "reindex", "image": f"{REGISTRY}/search/search-tools:2.14.0",
            "args": ["reindex", "--source=products-v6", "--dest=products-v7",
                     "--template=/templates/products.json", "--swap-alias=products"]}]}}},
        "status": {"startTime": ts(t0), "completionTime": ts(swap + timedelta(seconds=3)), "succeeded": 1}})
    inc.event(job, "Completed", "Job completed", swap + timedelta(seconds=3), warning=False,
              component="job-controller")

    def es(pod: str, s: datetime, e: datetime) -> Lines:
        def j(t: datetime, level: str, logger: str, msg: str) -> str:
            return json.dumps({"@timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                               "log.level": level, "message": msg, "ecs.version": "1.2.0",
                               "service.name": "ES_ECS", "event.dataset": "elasticsearch.server",
                               "process.thread.name": "elasticsearch[es-0][masterService#updateTask][T#1]",
                               "log.logger": logger, "elasticsearch.node.name": pod,
                               "elasticsearch.cluster.name": "search"}, separators=(",", ":"))
        out = [(t0 + timedelta(seconds=5), j(t0 + timedelta(seconds=5), "INFO",
                "org.elasticsearch.cluster.metadata.MetadataCreateIndexService",
                "[products-v7] creating index, cause [api], templates [], shards [3]/[1]")),
               (swap, j(swap, "INFO", "org.elasticsearch.cluster.metadata.MetadataIndexAliasesService",
                        "updating aliases: remove [products] from [products-v6], add [products] to [products-v7]"))]
        out += every(swap + timedelta(seconds=20), e, 30, lambda i, t: j(
            t, "WARN", "org.elasticsearch.action.search.TransportSearchAction",
            "[products-v7][0] failed to execute query phase: [illegal_argument_exception] Fielddata is disabled "
            "on [brand] in [products-v7]. Text fields are not optimised for operations that require per-document "
            "field data like aggregations and sorting, so these operations are disabled by default."))
        return out
    inc.statefulset("search", "es", [c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
                                       port=9200)], [P(log=within(es))], inc.born + timedelta(days=3))

    def py(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < swap:
                return L.pylog(t, "INFO", "search_api.views", f"q='{['boots', 'lamp', 'desk'][i % 3]}' hits=412 "
                               "took_ms=38")
            return L.pylog(t, "ERROR", "search_api.views", "search failed\nTraceback (most recent call last):\n"
                           '  File "/app/search_api/views.py", line 88, in search\n'
                           "    resp = es.search(index=\"products\", query=q, aggs=FACETS)\n"
                           "elasticsearch.BadRequestError: BadRequestError(400, 'search_phase_execution_exception',"
                           " 'Fielddata is disabled on [brand] in [products-v7]. Text fields are not optimised for "
                           "operations that require per-document field data like aggregations and sorting, so "
                           "these operations are disabled by default.')")
        return every(s, e, 12, line)
    workload(inc, "search", "search-api", py, replicas=3)
    plant(inc, "search", "es-credentials", "password", "es-elastic", "ELASTIC_PASSWORD")
    herring(inc, "search", "suggest-api", f"{REGISTRY}/search/suggest-api", "1.4.0", "1.5.0",
            AT6 - timedelta(minutes=20))
    series(inc, "http_requests_total", "counter", "Total HTTP requests",
           {"namespace": "search", "service": "search-api", "code": "500"},
           counter(AT6 - timedelta(hours=2), 0.01, 22.0, swap))
    series(inc, "elasticsearch_indices_docs_primary", "gauge", "Count of documents with only primary shards",
           {"index": "products-v7", "cluster": "search", "job": "elasticsearch-exporter"},
           since(t0, lambda t: min(1832040.0, (t - t0).total_seconds() * 560)))
    labels = {"namespace": "search", "service": "search-api"}
    send(inc, [alert(inc, "SearchApiErrorRate", labels, "search-api: 96% of requests fail",
                     "search-api answers HTTP 500 to nearly every search.",
                     'sum(rate(http_requests_total{service="search-api",code="500"}[5m])) / '
                     'sum(rate(http_requests_total{service="search-api"}[5m])) > 0.05', "critical"),
               alert(inc, "StorefrontSearchZeroResults", {**labels, "page": "search"},
                     "Storefront search pages render without results",
                     "Zero-result search pages above 90% for 5 minutes.", "storefront_search_zero_results_ratio > 0.9"),
               alert(inc, "ElasticsearchQueryFailures", {"namespace": "search", "cluster": "search"},
                     "Elasticsearch cluster search: query phase failures",
                     "Query failures on the search cluster above 10/s.",
                     "rate(elasticsearch_indices_search_query_failed_total[5m]) > 10")], ["namespace"])
    inc.answer_key(
        culprit=("Job", "search", "reindex-products-v7"),
        keywords=["alias", "products-v7", "fielddata"],
        root_cause="The reindex-products-v7 Job re-indexed products into products-v7 with a template that maps "
                   "brand as text and then swapped the products alias to it; search-api's brand aggregation now "
                   "fails with Fielddata is disabled on [brand], so every search returns 500.",
        category="reindex-alias-swap-loses-keyword-mapping",
        red_herrings=[("Deployment", "search", "suggest-api")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 4, 9, 20, tzinfo=UTC)


def invoice_creation_failing_page() -> Incident:
    """A DNS cutover re-pointed the ExternalName Service at the Aurora reader endpoint: every write fails.

    after: the database-migration cutover step done by hand: the runbook said to move the in-cluster name
    to the new Aurora cluster's endpoint, and the `cluster-ro-` (reader) address was pasted instead of the
    writer one; reads keep working, every INSERT fails with read-only transaction errors.
    """
    inc = begin(invoice_creation_failing_page, "billing-api: invoice creation failing", AT7, 4107,
                namespaces=("billing", "db-endpoints"))
    cut = AT7 - timedelta(minutes=9)
    svc = inc.add({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "billing-db", "namespace": "db-endpoints", "labels": {"app": "billing"}},
                   "spec": {"type": "ExternalName", "ports": [{"name": "postgres", "port": 5432,
                                                               "protocol": "TCP", "targetPort": 5432}],
                            "externalName": "billing-aurora.cluster-ro-c8xk2p1vq0ab.eu-west-1.rds.amazonaws.com",
                            "sessionAffinity": "None"}, "status": {"loadBalancer": {}}})
    changed(svc, ("terraform-provider-kubernetes", "Update", inc.born + timedelta(days=4),
                  {"f:spec": {"f:type": {}, "f:externalName": {}}}),
            ("kubectl-patch", "Update", cut, {"f:spec": {"f:externalName": {}}}))

    def dotnet(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < cut + timedelta(seconds=30):
                return (f"info: Billing.Api.Invoices.InvoiceService[0]\n      Invoice INV-{88200 + i} created for "
                        f"account {4100 + i % 90}")
            if i % 3:
                return (f"info: Billing.Api.Invoices.InvoiceQueries[0]\n      Listed 25 invoices for account "
                        f"{4100 + i % 90}")
            return ("fail: Microsoft.EntityFrameworkCore.Update[10000]\n      An exception occurred in the database "
                    "while saving changes for context type 'Billing.Api.Data.BillingContext'.\n      "
                    "Microsoft.EntityFrameworkCore.DbUpdateException: An error occurred while saving the entity "
                    "changes. See the inner exception for details.\n       ---> Npgsql.PostgresException "
                    "(0x80004005): 25006: cannot execute INSERT in a read-only transaction")
        return every(s, e, 8, line)
    workload(inc, "billing", "billing-api", dotnet, replicas=3)
    plant(inc, "billing", "billing-db-credentials", "password", "billing-aurora", "ConnectionStrings__Billing",
          "Host=billing-db.db-endpoints.svc.cluster.local;Database=billing;Username=billing_api;Password={}")
    herring(inc, "billing", "billing-web", f"{REGISTRY}/billing/billing-web", "2.20.1", "2.21.0",
            AT7 - timedelta(minutes=45))
    series(inc, "aws_rds_write_iops_average", "gauge", "WriteIOPS (CloudWatch, yace)",
           {"dbinstance_identifier": "billing-aurora-instance-1", "job": "yace"},
           lambda t: 410.0 if t < cut else 12.0)
    series(inc, "http_requests_total", "counter", "Total HTTP requests",
           {"namespace": "billing", "service": "billing-api", "route": "POST /v1/invoices", "code": "500"},
           counter(AT7 - timedelta(hours=2), 0.0, 3.1, cut + timedelta(seconds=30)))
    inc.pagerduty("billing-api: POST /v1/invoices 100% errors", "Billing")
    inc.answer_key(
        culprit=("Service", "db-endpoints", "billing-db"),
        keywords=["cluster-ro", "read-only", "ExternalName"],
        root_cause="During the database cutover the billing-db ExternalName Service was patched to the Aurora "
                   "reader endpoint (cluster-ro-...) instead of the writer; billing-api's reads work but every "
                   "INSERT fails with 25006 cannot execute INSERT in a read-only transaction.",
        category="dns-cutover-externalname-to-reader-endpoint",
        red_herrings=[("Deployment", "billing", "billing-web")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 13, 40, tzinfo=UTC)


def node_upgrade_stuck_question() -> Incident:
    """geo-ip was scaled from 3 to 1 by hand; its PDB (minAvailable 1) now allows no eviction and a drain hangs.

    after: the forgotten scale-down: a Deployment scaled to one replica "temporarily" to save cost, whose
    long-standing PodDisruptionBudget of minAvailable 1 was harmless at three replicas; the next node-pool
    upgrade cannot evict the single pod and the node stays cordoned and half-drained for hours.
    """
    inc = begin(node_upgrade_stuck_question, "question", AT8, 4108, namespaces=("edge",))
    host = node(inc, 2)
    chg = AT8 - timedelta(hours=19)
    drain = AT8 - timedelta(hours=2, minutes=10)

    def go(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 60, lambda i, t: L.logfmt(t, "info", "lookup stats", served=4210 + i * 7,
                                                     db="GeoLite2-City-20261201.mmdb"))
    wl = workload(inc, "edge", "geo-ip", go, replicas=1, nodes=[host])
    wl.obj["spec"]["replicas"] = 1
    changed(wl.obj, ("helm", "Update", inc.born + timedelta(days=12), {"f:spec": {"f:template": {}}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:replicas": {}}}))
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "geo-ip", "namespace": "edge", "generation": 1,
                          "creationTimestamp": ts(inc.born + timedelta(days=4))},
             "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "geo-ip"}}},
             "status": {"currentHealthy": 1, "desiredHealthy": 1, "disruptionsAllowed": 0, "expectedPods": 1,
                        "observedGeneration": 1,
                        "conditions": [{"type": "DisruptionAllowed", "status": "False",
                                        "reason": "InsufficientPods", "message": "",
                                        "lastTransitionTime": ts(chg + timedelta(seconds=30))}]}})
    n = next(x for x in inc.cluster.nodes if x["metadata"]["name"] == host)
    n["spec"]["unschedulable"] = True
    n["spec"]["taints"] = [{"key": "karpenter.sh/disrupted", "effect": "NoSchedule", "timeAdded": ts(drain)},
                           {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                            "timeAdded": ts(drain)}]
    geo = inc.pods_of("edge", "geo-ip")[0]
    inc.event(n, "FailedDraining", "Failed to drain node, 1 pods are waiting to be evicted",
              drain + timedelta(seconds=20), AT8 + timedelta(minutes=30), count=148, component="karpenter",
              host=host)
    inc.event(inc.cluster.pod_object(geo), "FailedDraining",
              'Cannot evict pod as it would violate the pod\'s disruption budget: PDB "edge/geo-ip"',
              drain + timedelta(seconds=20), AT8 + timedelta(minutes=30), count=148, component="karpenter",
              host=host)
    series(inc, "kube_poddisruptionbudget_status_pod_disruptions_allowed", "gauge",
           "Number of pod disruptions that are currently allowed.",
           {"namespace": "edge", "poddisruptionbudget": "geo-ip", "job": "kube-state-metrics"},
           lambda t: 0.0)
    series(inc, "kube_node_spec_unschedulable", "gauge", "Whether a node can schedule new pods.",
           {"node": host, "job": "kube-state-metrics"}, lambda t: 0.0 if t < drain else 1.0)
    plant(inc, "edge", "maxmind-license", "token", "maxmind", "license_key")
    herring(inc, "edge", "edge-router", f"{REGISTRY}/edge/edge-router", "0.31.0", "0.32.0",
            AT8 - timedelta(minutes=50))
    inc.ask(f"{host} has been cordoned for over two hours and still hasn't been replaced after the AMI "
            "update. What's holding it up?")
    inc.answer_key(
        culprit=("Deployment", "edge", "geo-ip"),
        keywords=["replicas", "disruption budget", "minAvailable"],
        root_cause="geo-ip was scaled from 3 replicas to 1 with kubectl edit the day before; its PDB (minAvailable "
                   "1) therefore allows no disruptions (disruption budget), so Karpenter's drift replacement "
                   "cannot evict the only geo-ip pod on the node and it stays cordoned.",
        category="manual-scale-down-leaves-pdb-blocking-drain",
        red_herrings=[("Deployment", "edge", "edge-router")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 16, 35, tzinfo=UTC)


def invoice_mailer_question() -> Incident:
    """A label refactor rewrote a Calico GlobalNetworkPolicy's selector to labels the mailer pods do not carry yet.

    after: the label-migration postmortem: the platform team moved policies to `app.kubernetes.io/name`
    ahead of the workloads; the allow-SMTP egress policy stopped selecting the mailer (still labelled `app`),
    the cluster-wide default-deny-egress applies and every SMTP connection times out.
    """
    inc = begin(invoice_mailer_question, "question", AT9, 4109, namespaces=("mailing",))
    chg = AT9 - timedelta(minutes=38)
    crd(inc, "GlobalNetworkPolicy", "crd.projectcalico.org", "globalnetworkpolicies", "Cluster", "v1")
    inc.add({"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
             "metadata": {"name": "default-deny-egress", "generation": 1},
             "spec": {"order": 2000, "selector": "projectcalico.org/namespace not in {'kube-system'}",
                      "types": ["Egress"], "egress": [{"action": "Allow", "protocol": "UDP",
                                                        "destination": {"ports": [53]}}]}})
    pol = inc.add({"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
                   "metadata": {"name": "allow-smtp-egress", "generation": 3},
                   "spec": {"order": 500, "selector": "app.kubernetes.io/name in {'invoice-mailer', 'notifier'}",
                            "types": ["Egress"],
                            "egress": [{"action": "Allow", "protocol": "TCP",
                                        "destination": {"nets": ["0.0.0.0/0"], "ports": [587]}}]}})
    changed(pol, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:selector": {}}}))

    def py(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg + timedelta(seconds=20):
                return L.pylog(t, "INFO", "mailer.send", f"sent invoice INV-{60400 + i} to customer {9100 + i}")
            return L.pylog(t, "ERROR", "mailer.send", f"delivery of INV-{60400 + i} failed, will retry\nTraceback "
                           "(most recent call last):\n  File \"/app/mailer/send.py\", line 52, in deliver\n"
                           "    with smtplib.SMTP(SMTP_HOST, 587, timeout=30) as smtp:\n"
                           "  File \"/usr/local/lib/python3.12/smtplib.py\", line 255, in __init__\n"
                           "    (code, msg) = self.connect(host, port)\n"
                           "  File \"/usr/local/lib/python3.12/socket.py\", line 852, in create_connection\n"
                           "    raise exceptions[0]\nTimeoutError: timed out")
        return every(s, e, 35, line)
    workload(inc, "mailing", "invoice-mailer", py, replicas=2,
             env=[{"name": "SMTP_HOST", "value": "email-smtp.eu-west-1.amazonaws.com"}])
    plant(inc, "mailing", "ses-smtp", "aws", "ses-user", "SMTP_USERNAME")
    herring(inc, "mailing", "template-renderer", f"{REGISTRY}/mailing/template-renderer", "7.0.3", "7.1.0",
            AT9 - timedelta(minutes=55))
    series(inc, "calico_denied_packets", "gauge", "Total number of packets denied by calico policies.",
           {"policy": "default|default-deny-egress|0|deny", "srcIP": "10.244.2.37", "instance": node(inc, 1),
            "job": "felix"}, ramp(0.0, 2.0, chg))
    series(inc, "mailer_sent_total", "counter", "Invoices mailed", {"namespace": "mailing",
                                                                    "service": "invoice-mailer"},
           counter(AT9 - timedelta(hours=2), 0.7, 0.0, chg))
    inc.ask("invoice-mailer hasn't sent a single invoice in the last half hour. What's wrong with it?")
    inc.answer_key(
        culprit=("GlobalNetworkPolicy", "", "allow-smtp-egress"),
        keywords=["selector", "app.kubernetes.io/name", "egress"],
        root_cause="The cluster-scoped Calico GlobalNetworkPolicy allow-smtp-egress was re-applied with its "
                   "selector moved to app.kubernetes.io/name, a label invoice-mailer's pods do not have (they "
                   "carry app=invoice-mailer); default-deny-egress now drops their SMTP traffic and every "
                   "connection to port 587 times out.",
        category="label-refactor-policy-selector-misses-pods",
        red_herrings=[("Deployment", "mailing", "template-renderer")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 5, 8, 55, tzinfo=UTC)


def login_latency_high() -> Incident:
    """The shared session Redis restarted in a maintenance window with `appendfsync always`: every write waits on disk.

    after: the maintenance window on a shared dependency: the cache team enabled AOF persistence for
    durability during planned maintenance and chose `appendfsync always`; on network storage each write
    now waits for an fsync and the login service that writes a session per request slows to seconds.
    """
    inc = begin(login_latency_high, "account-web login latency high", AT10, 4110, namespaces=("cache", "accounts"))
    mw = AT10 - timedelta(hours=6, minutes=30)
    args1 = ["--maxmemory", "6gb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "no"]
    args2 = ["--maxmemory", "6gb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "yes",
             "--appendfsync", "always"]

    def redis(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = max(s, mw + timedelta(seconds=30))
        out = [(t0, f"1:C {t0.strftime('%d %b %Y %H:%M:%S')}.102 # Redis version=7.2.6, bits=64, commit=00000000, "
                    "modified=0, pid=1, just started"),
               (t0, f"1:M {t0.strftime('%d %b %Y %H:%M:%S')}.111 * Creating AOF base file "
                    "appendonly.aof.1.base.rdb on server start"),
               (t0, f"1:M {t0.strftime('%d %b %Y %H:%M:%S')}.112 * Creating AOF incr file "
                    "appendonly.aof.1.incr.aof on server start"),
               (t0, f"1:M {t0.strftime('%d %b %Y %H:%M:%S')}.118 * Ready to accept connections tcp")]
        out += every(t0 + timedelta(minutes=3), e, 600, lambda i, t: (
            f"1:M {t.strftime('%d %b %Y %H:%M:%S')}.401 * Background AOF rewrite terminated with success"))
        return out
    wl = inc.statefulset("cache", "sessions-redis", [c("redis", "redis:7.2.6", port=6379)],
                         [P(log=within(redis), created=mw + timedelta(seconds=20))], inc.born + timedelta(days=2),
                         claims=[("data", "50Gi", "gp3")])
    wl.obj["spec"]["template"]["spec"]["containers"][0]["args"] = args2
    changed(wl.obj, ("helm", "Update", inc.born + timedelta(days=2), {"f:spec": {}}),
            ("helm", "Update", mw, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    tmpl = wl.obj["spec"]["template"]
    old = json.loads(json.dumps(tmpl))
    old["spec"]["containers"][0]["args"] = args1
    revision(inc, "StatefulSet", "cache", "sessions-redis", 1, inc.born + timedelta(days=2), old)
    rev2 = revision(inc, "StatefulSet", "cache", "sessions-redis", 2, mw, tmpl)
    wl.obj["status"]["currentRevision"] = wl.obj["status"]["updateRevision"] = rev2

    def as_rev2(pod: dict[str, Any]) -> None:
        pod["spec"]["containers"][0]["args"] = args2
        pod["metadata"]["labels"]["controller-revision-hash"] = rev2
    inc.cluster.patch("cache", "sessions-redis-0", as_rev2)

    def node_app(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            slow = 31 + i % 9 if t < AT10 - timedelta(minutes=40) else 2200 + (i % 11) * 170
            return json.dumps({"level": 30 if slow < 1000 else 40, "time": int(t.timestamp() * 1000), "pid": 1,
                               "hostname": pod, "req": {"method": "POST", "url": "/login"},
                               "res": {"statusCode": 200}, "responseTime": slow,
                               "msg": "request completed"})
        return every(s, e, 9, line)
    workload(inc, "accounts", "account-web", node_app, replicas=3)
    plant(inc, "cache", "sessions-redis-auth", "password", "redis", "REDIS_PASSWORD")
    herring(inc, "accounts", "profile-api", f"{REGISTRY}/accounts/profile-api", "3.3.0", "3.4.0",
            AT10 - timedelta(minutes=30))
    series(inc, "redis_aof_enabled", "gauge", "aof_enabled metric", {"instance": "sessions-redis-0",
                                                                     "job": "redis-exporter"}, lambda t: 1.0)
    series(inc, "redis_commands_processed_total", "counter", "Total number of commands processed",
           {"instance": "sessions-redis-0", "job": "redis-exporter"},
           counter(AT10 - timedelta(hours=2), 700.0, 3100.0, AT10 - timedelta(minutes=45)))
    series(inc, "redis_latency_percentiles_usec", "gauge", "Latency percentiles for SET",
           {"cmd": "set", "quantile": "99", "instance": "sessions-redis-0", "job": "redis-exporter"},
           lambda t: 2100.0 if t < AT10 - timedelta(minutes=40) else 1650000.0)
    inc.alertmanager("LoginLatencyHigh", {"namespace": "accounts", "service": "account-web", "route": "/login"},
                     "account-web /login p99 above 2s",
                     "p99 latency of POST /login is 3.1s (threshold 2s) for 10 minutes.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{'
                     'service="account-web",route="/login"}[5m]))) > 2')
    inc.answer_key(
        culprit=("StatefulSet", "cache", "sessions-redis"),
        keywords=["appendfsync", "always", "AOF"],
        root_cause="In the morning maintenance window sessions-redis was rolled with --appendonly yes "
                   "--appendfsync always; every session write now waits for an fsync of the AOF, Redis SET p99 "
                   "rises to over a second at peak and account-web's logins slow to seconds.",
        category="shared-cache-maintenance-fsync-every-write",
        red_herrings=[("Deployment", "accounts", "profile-api")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 12, 10, tzinfo=UTC)


def card_captures_pending() -> Incident:
    """A feature flag flipped on routes card captures to a queue whose worker was never launched (replicas 0).

    after: the feature-flag flip ahead of its dependency: `async_capture` was switched on in the flags
    ConfigMap during a release-prep session; payment-api now enqueues captures for a capture-worker that is
    still scaled to zero for its own launch next week, so authorised payments are never captured.
    """
    inc = begin(card_captures_pending, "card captures pending", AT11, 4111, namespaces=("checkout-pay",))
    flip = AT11 - timedelta(minutes=48)
    cm = inc.configmap("checkout-pay", "payment-flags", {
        "flags.yaml": "async_capture: true\nthree_ds_v2: true\nsplit_tender: false\nretry_soft_declines: true\n"},
        annotations={"reloader.stakater.com/match": "true"})
    changed(cm, ("argocd-controller", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", flip, {"f:data": {"f:flags.yaml": {}}}))

    def spring(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < flip + timedelta(seconds=15):
                return L.spring(t, "INFO", "c.a.pay.capture.CaptureService",
                                f"Captured pi_{3401000 + i} amount=EUR {20 + i % 90}.00 (psp 212 ms)",
                                "http-nio-8080-exec-7")
            if i == 0 or t < flip + timedelta(seconds=16):
                return L.spring(t, "INFO", "c.a.pay.flags.FlagRefresher",
                                "Feature flags reloaded from /etc/flags/flags.yaml (async_capture=true)", "flags-1")
            return L.spring(t, "INFO", "c.a.pay.capture.CaptureService",
                            f"Capture for pi_{3401000 + i} enqueued to payments.capture-requests",
                            "http-nio-8080-exec-3")
        return every(s, e, 12, line)
    workload(inc, "checkout-pay", "payment-api", spring, replicas=3)
    inc.deployment("checkout-pay", "capture-worker",
                   [Rev(1, inc.born + timedelta(days=30), "helm upgrade",
                        [c("capture-worker", f"{REGISTRY}/checkout-pay/capture-worker:0.9.0")])], {1: []},
                   replicas=0)
    plant(inc, "checkout-pay", "psp-keys", "stripe", "psp", "PSP_SECRET_KEY")
    herring(inc, "checkout-pay", "fraud-scorer", f"{REGISTRY}/checkout-pay/fraud-scorer", "2.2.0", "2.3.0",
            AT11 - timedelta(minutes=22))
    series(inc, "rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
           {"queue": "payments.capture-requests", "vhost": "/", "job": "rabbitmq"}, ramp(0.0, 5.0, flip))
    series(inc, "rabbitmq_queue_consumers", "gauge", "Consumers on a queue",
           {"queue": "payments.capture-requests", "vhost": "/", "job": "rabbitmq"}, lambda t: 0.0)
    series(inc, "payments_captures_total", "counter", "Card captures completed",
           {"namespace": "checkout-pay", "service": "payment-api"},
           counter(AT11 - timedelta(hours=2), 0.08, 0.0, flip))
    inc.alertmanager("PaymentsAuthorisedNotCaptured", {"namespace": "checkout-pay", "service": "payment-api"},
                     "240 authorised payments older than 30 minutes are not captured",
                     "Authorised-but-uncaptured payments are piling up; authorisations expire after 7 days.",
                     "payments_authorised_uncaptured{age_bucket=\"30m+\"} > 50", severity="critical")
    inc.answer_key(
        culprit=("ConfigMap", "checkout-pay", "payment-flags"),
        keywords=["async_capture", "capture-worker", "flag"],
        root_cause="async_capture was switched on in the payment-flags ConfigMap (kubectl edit); payment-api "
                   "reloads it and enqueues captures to payments.capture-requests, whose consumer capture-worker "
                   "is scaled to 0, so no authorised payment is captured.",
        category="feature-flag-routes-to-unlaunched-consumer",
        red_herrings=[("Deployment", "checkout-pay", "fraud-scorer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 17, 25, tzinfo=UTC)


def event_collector_replicas_short() -> Incident:
    """A quota roll-out set `pods: 16` in a namespace that already runs 16 pods: the HPA's new pods are refused.

    after: the platform team's quota roll-out: per-namespace quotas computed from last month's average
    usage were applied to every tenant; the evening peak makes the HPA ask for more event-collector pods and
    the ReplicaSet cannot create them (simple: the ReplicaSet's FailedCreate events say which quota).
    """
    inc = begin(event_collector_replicas_short, "KubeDeploymentReplicasMismatch analytics/event-collector", AT12,
                4112, namespaces=("analytics",))
    chg = AT12 - timedelta(hours=3, minutes=10)
    rev = Rev(1, inc.born + timedelta(days=14), "helm upgrade",
              [c("event-collector", f"{REGISTRY}/analytics/event-collector:4.7.2")])

    def go(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.js(t, "warn" if t > AT12 - timedelta(minutes=20) else "info",
                                                 "ingest batch flushed", events=5000,
                                                 queue_depth=120 if t < AT12 - timedelta(minutes=20) else 48000))
    wl = inc.deployment("analytics", "event-collector", [rev], {1: [P(log=within(go)) for _ in range(10)]},
                        replicas=14)
    for other, count in (("sessionizer", 4), ("funnel-api", 2)):
        inc.deployment("analytics", other, [Rev(1, inc.born + timedelta(days=14), "helm upgrade",
                                                [c(other, f"{REGISTRY}/analytics/{other}:1.2.0")])],
                       {1: [P() for _ in range(count)]})
    rq = inc.add({"apiVersion": "v1", "kind": "ResourceQuota",
                  "metadata": {"name": "tenant-quota", "namespace": "analytics"},
                  "spec": {"hard": {"pods": "16", "requests.cpu": "24", "requests.memory": "48Gi"}},
                  "status": {"hard": {"pods": "16", "requests.cpu": "24", "requests.memory": "48Gi"},
                             "used": {"pods": "16", "requests.cpu": "1600m", "requests.memory": "2Gi"}}})
    changed(rq, ("terraform-provider-kubernetes", "Update", chg, {"f:spec": {"f:hard": {}}}))
    rq["metadata"]["creationTimestamp"] = ts(chg)
    rs = inc.find("ReplicaSet", "analytics", wl.rs[1]) if wl.rs else next(
        x for x in inc.cluster.objects if x["kind"] == "ReplicaSet" and x["metadata"]["name"].startswith(
            "event-collector-"))
    inc.event(rs, "FailedCreate", f"Error creating: pods \"{rs['metadata']['name']}-x7k2p\" is forbidden: exceeded "
              "quota: tenant-quota, requested: pods=1, used: pods=16, limited: pods=16",
              AT12 - timedelta(minutes=22), inc.captured, count=57, component="replicaset-controller")
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "event-collector", "namespace": "analytics"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "name": "event-collector"}, "minReplicas": 4, "maxReplicas": 30,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 65}}}]},
                   "status": {"currentReplicas": 10, "desiredReplicas": 14}})
    inc.event(hpa, "SuccessfulRescale", "New size: 14; reason: cpu resource utilization (percentage of request) "
              "above target", AT12 - timedelta(minutes=22), warning=False, component="horizontal-pod-autoscaler")
    plant(inc, "analytics", "collector-ingest-token", "token", "collector", "INGEST_TOKEN")
    herring(inc, "analytics", "dashboards", f"{REGISTRY}/analytics/dashboards", "11.3.0", "11.3.1",
            AT12 - timedelta(minutes=35))
    series(inc, "kube_resourcequota", "gauge", "Information about resource quota.",
           {"namespace": "analytics", "resourcequota": "tenant-quota", "resource": "pods", "type": "used",
            "job": "kube-state-metrics"}, since(chg, lambda t: 16.0))
    series(inc, "kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
           {"namespace": "analytics", "deployment": "event-collector", "job": "kube-state-metrics"},
           lambda t: 10.0 if t < AT12 - timedelta(minutes=22) else 14.0)
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "analytics", "deployment": "event-collector",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment analytics/event-collector has not matched the expected number of replicas for "
                     "longer than 15 minutes.",
                     "kube_deployment_spec_replicas != kube_deployment_status_replicas_available")
    inc.answer_key(
        culprit=("ResourceQuota", "analytics", "tenant-quota"),
        keywords=["quota", "pods=16", "exceeded"],
        root_cause="The platform quota roll-out created ResourceQuota tenant-quota with pods: 16 in analytics, "
                   "exactly the pods already running; when the HPA scaled event-collector to 14 the ReplicaSet's "
                   "new pods were forbidden (exceeded quota: tenant-quota, pods=16).",
        category="tenant-quota-pod-count-blocks-hpa-scale-up",
        red_herrings=[("Deployment", "analytics", "dashboards")])
    return inc


ALL = [api_certificate_untrusted_page, storefront_v2_orders_404, product_api_maxed_out, order_tracking_freshness_burn,
       order_placement_failing_page, product_search_errors_grouped, invoice_creation_failing_page,
       node_upgrade_stuck_question, invoice_mailer_question, login_latency_high, card_captures_pending,
       event_collector_replicas_short]
