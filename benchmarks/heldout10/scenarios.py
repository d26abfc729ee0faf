"""Round 10 of the held-out incident set: twelve application, data-layer and dependency incidents, written blind.

Each function builds one `Incident` on the corpus background and its docstring is the story (the
answer); the first line names the failure type so later rounds can avoid repeating it. Bundle
names, titles and questions say only the symptom. Log lines follow the real software's formats
(Envoy, Spring Security, Kong/nginx, PostgreSQL, Debezium/Kafka Connect, Confluent Schema Registry,
Celery, clickhouse-driver, the OpenTelemetry Collector, the DataStax Java driver, pgx, Adyen's API);
metric names are the exporters' own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Fn = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def story(fn: Callable[[], Incident]) -> str:
    """A scenario's story is its docstring: written once, read by people and by the answer key's author."""
    return str(fn.__doc__).strip()


def logfn(make: Callable[[str, datetime, datetime], Lines], window_h: float = 3.0) -> LogFn:
    """A pod log function from a (pod, start, end) -> lines maker, as a capture taken with `kubectl logs
    --since` keeps it: only the run's last `window_h` hours (a chatty pod up for weeks would otherwise fill
    hundreds of megabytes with lines nobody reads)."""
    def text(pod: str, start: datetime, end: datetime) -> str:
        since = max(start, end - timedelta(hours=window_h))
        return L.lines(sorted(x for x in make(pod, since, end) if since <= x[0] <= end))
    return text


def every(start: datetime, end: datetime, step_s: float, fn: Callable[[int, datetime], str | None]) -> Lines:
    """One line per tick where `fn` has something to say (the tick's index lets lines vary)."""
    return L.ticker(start, end, step_s, fn)


def managed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server records them: for a change-only cause the one trace of the edit."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": fields} for m, op, t, fields in entries]
    return obj


def crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str = "Namespaced") -> None:
    """The CustomResourceDefinition a custom resource needs to be served (and found) at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def step(before: float, after: float, change: datetime) -> Fn:
    return lambda t: before if t < change else after


def ramp(start_value: float, per_s: float, since: datetime) -> Fn:
    """A gauge flat until `since`, then growing `per_s` each second (a disk filling, a queue backing up)."""
    return lambda t: start_value + per_s * max(0.0, (t - since).total_seconds())


def counter(start: datetime, before: float, after: float, change: datetime) -> Fn:
    """A counter growing at `before` per second until `change`, then at `after`."""
    def value(t: datetime) -> float:
        upto = min(t, change)
        return round(before * max(0.0, (upto - start).total_seconds())
                     + after * max(0.0, (t - change).total_seconds()), 3)
    return value


def healthy(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
            at: datetime | None = None, env: list[dict[str, Any]] | None = None,
            container: dict[str, Any] | None = None) -> Any:
    """A Deployment whose pods all run: victims whose trouble is in their logs and metrics, not their state."""
    rev = Rev(1, at or inc.born + timedelta(days=12), "helm upgrade", [c(name, image, env=env or [])],
              container=container or {})
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def env(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def hpa(inc: Incident, ns: str, target: str, lo: int, hi: int, current: int, cpu: int) -> dict[str, Any]:
    """An autoscaler with its live status: a common, usually innocent, thing to suspect."""
    return inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": target, "namespace": ns},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                 "minReplicas": lo, "maxReplicas": hi,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 70}}}]},
        "status": {"currentReplicas": current, "desiredReplicas": current, "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu}}}],
            "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                            "message": "recommended size matches current size"},
                           {"type": "ScalingLimited", "status": "True" if current == hi else "False",
                            "reason": "TooManyReplicas" if current == hi else "DesiredWithinRange",
                            "message": "the desired replica count is more than the maximum replica count"
                            if current == hi else "the desired count is within the acceptable range"}]}})


def cronjob(inc: Incident, ns: str, name: str, schedule: str, image: str, last: datetime) -> dict[str, Any]:
    """A CronJob that last ran at `last` and succeeded: nearby in time, unrelated in cause."""
    return inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
        "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "suspend": False,
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                     "restartPolicy": "OnFailure", "containers": [{"name": name, "image": image}]}}}}},
        "status": {"lastScheduleTime": ts(last), "lastSuccessfulTime": ts(last + timedelta(minutes=4))}})


def alert(labels: dict[str, str], summary: str, description: str, expr: str, starts: datetime,
          severity: str = "warning", runbook: str = "") -> dict[str, Any]:
    """One alert of a kube-prometheus-stack Prometheus, as Alertmanager's v4 webhook carries it."""
    full = {**labels, "severity": severity, "prometheus": "monitoring/kube-prometheus-stack-prometheus",
            "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description}
    if runbook:
        ann["runbook_url"] = runbook
    return am.alert(full, ann, starts, expr)


def pod_on(inc: Incident, ns: str, workload: str) -> str:
    return inc.pods_of(ns, workload)[0].name


# ---- 1 ---------------------------------------------------------------------------------------------
def product_detail_errors_burn() -> Incident:
    """An Istio DestinationRule cuts http1MaxPendingRequests to 1: Envoy's circuit breaker overflows (503 UO).

    The mesh team's Argo CD sync at 09:58 replaced shop/inventory's DestinationRule with "defaults"
    from a shared base: connectionPool.http.http1MaxPendingRequests 1 and maxRequestsPerConnection 1
    (was 1024 / unset). At the 10:05 morning peak the frontend's sidecars queue more than one request
    to inventory, and Envoy's circuit breaker rejects the overflow at once: 503 with response flag UO
    (upstream_reset_before_response_started{overflow}), "reset reason: overflow" in the frontend's
    logs, envoy_cluster_upstream_rq_pending_overflow climbing. inventory itself is healthy and fast.
    The page is an SLO burn on the frontend (web). Red herring: frontend-config's TIMEOUT_MS raised
    800 -> 1200 the same morning (harmless).
    """
    at = datetime(2026, 11, 23, 10, 6, tzinfo=UTC)
    inc = Incident("product-detail-errors-burn", title="web frontend error budget burning on product pages",
                   story=story(product_detail_errors_burn), at=at, seed=101, skip={("web", "frontend")})
    change = at - timedelta(minutes=8)
    crd(inc, "networking.istio.io", "DestinationRule", "destinationrules", "v1beta1")
    dr = inc.add({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
        "metadata": {"name": "inventory", "namespace": "shop", "generation": 4,
                     "labels": {"app.kubernetes.io/managed-by": "argocd", "mesh.example.com/base": "defaults-v2"},
                     "annotations": {"argocd.argoproj.io/tracking-id": "mesh-policies:networking.istio.io/"
                                                                       "DestinationRule:shop/inventory"}},
        "spec": {"host": "inventory.shop.svc.cluster.local",
                 "trafficPolicy": {"connectionPool": {
                     "tcp": {"maxConnections": 100, "connectTimeout": "2s"},
                     "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 1,
                              "http2MaxRequests": 100}},
                     "loadBalancer": {"simple": "LEAST_REQUEST"}}}})
    managed(dr, ("argocd-controller", "Apply", change,
                 {"f:spec": {"f:trafficPolicy": {"f:connectionPool": {"f:http": {
                     "f:http1MaxPendingRequests": {}, "f:maxRequestsPerConnection": {}}}}}}))
    cfg = inc.find("ConfigMap", "web", "frontend-config")
    cfg["data"]["TIMEOUT_MS"] = "1200"
    managed(cfg, ("kubectl-edit", "Update", at - timedelta(minutes=50), {"f:data": {"f:TIMEOUT_MS": {}}}))
    healthy(inc, "shop", "inventory", f"{REGISTRY}/shop/inventory:3.2.0", 3, log=logfn(lambda pod, s, e: every(
        s, e, 20, lambda i, t: L.js(t, "info", "request completed", route="/v1/stock/{sku}", status=200,
                                   duration_ms=11 + i % 9))))
    inc.service("shop", "inventory", {"app": "inventory"})

    def frontend(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 30, lambda i, t: L.js(t, "info", "GET /product/:slug 200", duration_ms=80 + i % 40))
        out += every(max(s, at - timedelta(minutes=1)), e, 6, lambda i, t: L.js(
            t, "error", "inventory lookup failed", sku=f"SKU-{4410 + i % 37}", status=503,
            body="upstream connect error or disconnect/reset before headers. reset reason: overflow",
            upstream="http://inventory.shop.svc.cluster.local/v1/stock"))
        return out

    token = inc.canary("token", "frontend-session")
    inc.secret("web", "frontend-session", {"SESSION_SECRET": token})
    wl = inc.deployment("web", "frontend", [Rev(7, inc.born + timedelta(days=30), "helm upgrade", [
        c("frontend", f"{REGISTRY}/web/frontend:5.7.3",
          env=[{"name": "SESSION_SECRET", "valueFrom": {"secretKeyRef": {"name": "frontend-session",
                                                                         "key": "SESSION_SECRET"}}}]),
        c("istio-proxy", "docker.io/istio/proxyv2:1.22.3", port=15090, readiness_path=None, liveness_path=None)])],
        {7: [P(log=logfn(frontend)) for _ in range(3)]})
    def sidecar(pod: str) -> str:
        """The frontend's istio-proxy access log: 200s to inventory until the peak, then 503 UO overflows."""
        lines = every(at - timedelta(minutes=1), inc.captured, 9, lambda n, t: L.envoy(
            t, "GET", f"/v1/stock/SKU-{4410 + n % 37}", 503, "UO", "-", 0, "inventory.shop.svc.cluster.local",
            L.uuidish(pod, n), "upstream_reset_before_response_started{overflow}"))
        lines += every(at - timedelta(minutes=30), at, 15, lambda n, t: L.envoy(
            t, "GET", f"/v1/stock/SKU-{4410 + n % 37}", 200, "-", f"10.244.{2 + n % 3}.{31 + n % 5}:8080", 12,
            "inventory.shop.svc.cluster.local", L.uuidish(pod + "/ok", n)))
        return L.lines(sorted(lines))

    for h in wl.pods:
        inc.log_block("web", h.name, "istio-proxy", sidecar(h.name))
        labels = {"namespace": "web", "pod": h.name,
                  "cluster_name": "outbound|80||inventory.shop.svc.cluster.local"}
        inc.series("envoy_cluster_upstream_rq_pending_overflow", "counter",
                   "envoy_cluster_upstream_rq_pending_overflow", dict(labels),
                   counter(at - timedelta(hours=2), 0.0, 3.1, at - timedelta(minutes=1)))
        inc.series("envoy_cluster_upstream_rq_pending_active", "gauge", "envoy_cluster_upstream_rq_pending_active",
                   dict(labels), step(0.0, 1.0, at - timedelta(minutes=1)))
    inc.series("istio_requests_total", "counter", "Total requests.",
               {"namespace": "web", "source_workload": "frontend", "destination_service": "inventory.shop.svc."
                "cluster.local", "response_code": "503", "response_flags": "UO", "reporter": "source"},
               counter(at - timedelta(hours=2), 0.0, 9.4, at - timedelta(minutes=1)))
    inc.series("istio_requests_total", "counter", "Total requests.",
               {"namespace": "web", "source_workload": "frontend", "destination_service": "inventory.shop.svc."
                "cluster.local", "response_code": "200", "response_flags": "-", "reporter": "source"},
               counter(at - timedelta(hours=2), 24.0, 15.2, at - timedelta(minutes=1)))
    inc.slo_burn("frontend", "web", "frontend-availability", "99.9%", 31.6,
                 "The frontend's 5xx ratio on /product pages is 6.3% over the last 1h (budget 0.1%).")
    inc.answer_key(
        culprit=("DestinationRule", "shop", "inventory"),
        keywords=["http1MaxPendingRequests", "overflow", "circuit breaker"],
        root_cause="The Istio DestinationRule shop/inventory synced at 09:58 sets connectionPool "
                   "http1MaxPendingRequests 1 (and maxRequestsPerConnection 1): at peak Envoy's circuit breaker "
                   "rejects queued requests to inventory with 503 UO (pending overflow); inventory itself is healthy.",
        category="mesh-connection-pool-pending-requests-overflow",
        red_herrings=[("ConfigMap", "web", "frontend-config")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
def order_history_401s_page() -> Incident:
    """A JWT signing key rotated without overlap while a verifier pins the old public key: "Invalid signature".

    At 07:40 the key-rotation Job in auth re-created Secret auth/jwt-signing-key with a new RSA key
    (kid jwt-2026-11-24) and dropped the previous one instead of publishing both; auth-api reloaded it
    and signs every new access token with the new key. order-history (orders namespace) verifies
    tokens against the public key in its own ConfigMap (no JWKS fetch), so each token issued after
    07:40 fails: Spring Security's "Signed JWT rejected: Invalid signature", HTTP 401. Sessions with
    older tokens keep working until they refresh, so the 401 ratio climbs over the morning. The page
    is PagerDuty on order-history (a victim). Red herring: auth-api's HPA sitting at its maximum.
    """
    at = datetime(2026, 11, 24, 8, 22, tzinfo=UTC)
    inc = Incident("order-history-401s-page", title="order-history rejecting signed-in customers",
                   story=story(order_history_401s_page), at=at, seed=102, namespaces=("orders",),
                   skip={("auth", "auth-api")})
    rotated = at - timedelta(minutes=42)
    key = inc.canary("token", "jwt-signing-key")
    inc.secret("auth", "jwt-signing-key", {"kid": "jwt-2026-11-24", "private.pem": key})
    sec = inc.find("Secret", "auth", "jwt-signing-key")
    sec["metadata"]["creationTimestamp"] = ts(rotated)
    sec["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "key-rotation"}
    managed(sec, ("rotate-signing-key", "Update", rotated, {"f:data": {"f:kid": {}, "f:private.pem": {}}}))
    inc.add({"apiVersion": "batch/v1", "kind": "Job", "metadata": {
        "name": "rotate-signing-key-29391300", "namespace": "auth",
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "rotate-signing-key",
                             "uid": "5e0f6a1e-1a77-4c5e-9d0b-0c3d1f0b7a11", "controller": True}]},
        "spec": {"backoffLimit": 1, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "rotate", "image": f"{REGISTRY}/platform/key-rotator:0.4.1",
             "args": ["--secret=jwt-signing-key", "--algorithm=RS256", "--keep-previous=false"]}]}}},
        "status": {"startTime": ts(rotated - timedelta(seconds=20)), "completionTime": ts(rotated),
                   "succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}})

    def auth(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 40, lambda i, t: L.js(t, "info", "token issued", client_id="web", kid=(
            "jwt-2026-11-24" if t >= rotated else "jwt-2026-10-25"), ttl_s=3600))
        out.append((rotated + timedelta(seconds=3), L.js(rotated + timedelta(seconds=3), "info",
                                                          "signing key reloaded from /var/run/keys",
                                                          kid="jwt-2026-11-24", keys_loaded=1)))
        return out

    inc.deployment("auth", "auth-api", [Rev(4, inc.born + timedelta(days=20), "helm upgrade", [
        c("auth-api", f"{REGISTRY}/auth/auth-api:1.0.9", env=env(JWT_KEY_PATH="/var/run/keys/private.pem"))])],
        {4: [P(log=logfn(auth)), P(log=logfn(auth))]})
    hpa(inc, "auth", "auth-api", 2, 2, 2, 64)
    inc.configmap("orders", "order-history-config", {
        "application.yaml": "spring:\n  security:\n    oauth2:\n      resourceserver:\n        jwt:\n"
                            "          public-key-location: file:/config/jwt-public.pem\n",
        "jwt-public.pem": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAs1oP4b9Vq0\n"
                          "-----END PUBLIC KEY-----\n"})

    def history(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 25, lambda i, t: L.spring(t, "INFO", "c.a.o.history.OrderHistoryController",
                                                     f"GET /v2/orders?page={i % 4} 200 in {40 + i % 30} ms",
                                                     thread=f"http-nio-8080-exec-{1 + i % 9}"))
        share = 4
        out += every(max(s, rotated), e, 7, lambda i, t: None if i % share == 3 else L.spring(
            t, "WARN", "o.s.s.o.s.r.a.JwtAuthenticationProvider",
            "Failed to authenticate since the JWT was invalid: An error occurred while attempting to decode the "
            "Jwt: Signed JWT rejected: Invalid signature", thread=f"http-nio-8080-exec-{1 + i % 9}"))
        return out

    wl = healthy(inc, "orders", "order-history", f"{REGISTRY}/orders/order-history:2.11.0", 2,
                 log=logfn(history))
    for h in wl.pods:
        inc.series("http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
                   {"namespace": "orders", "pod": h.name, "uri": "/v2/orders", "status": "401"},
                   counter(at - timedelta(hours=2), 0.01, 2.6, rotated))
        inc.series("http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
                   {"namespace": "orders", "pod": h.name, "uri": "/v2/orders", "status": "200"},
                   counter(at - timedelta(hours=2), 6.0, 3.2, rotated))
    inc.pagerduty("[FIRING:1] OrderHistoryUnauthorizedRatio orders: 41% of order-history requests answered 401",
                  "Orders")
    inc.answer_key(
        culprit=("Secret", "auth", "jwt-signing-key"),
        keywords=["signing key", "rotated", "invalid signature"],
        root_cause="The key-rotation Job rotated the signing key in Secret auth/jwt-signing-key at 07:40 and "
                   "dropped the previous key; auth-api signs new tokens with the new kid while order-history still "
                   "verifies with the old public key from its ConfigMap, so every new token fails with Invalid "
                   "signature (401).",
        category="jwt-signing-key-rotated-without-overlap",
        red_herrings=[("HorizontalPodAutoscaler", "auth", "auth-api")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
def mobile_checkout_errors_grouped() -> Incident:
    """A global KongClusterPlugin rate-limits by ip behind a SNAT'ing load balancer: all customers share one quota.

    At 12:31 Argo CD created the cluster-scoped KongClusterPlugin global-rate-limiting (label
    global: "true", so Kong applies it to every route): rate-limiting, minute 600, limit_by ip,
    policy local. The kong-proxy Service is a LoadBalancer with externalTrafficPolicy Cluster, so
    Kong sees the nodes' SNAT addresses (10.0.x.x), not the customers': all mobile traffic shares a
    handful of buckets and is answered 429 "API rate limit exceeded" within seconds of each minute.
    The grouped notification is on the victims (mobile namespace). Red herring: mobile-bff's new
    revision 2.14.1 rolled out at 12:05 (a copy change; its own logs are clean).
    """
    at = datetime(2026, 11, 25, 12, 40, tzinfo=UTC)
    inc = Incident("mobile-checkout-errors-grouped", title="mobile app checkout and cart errors",
                   story=story(mobile_checkout_errors_grouped), at=at, seed=103, namespaces=("kong", "mobile"))
    created = at - timedelta(minutes=9)
    crd(inc, "configuration.konghq.com", "KongClusterPlugin", "kongclusterplugins", "v1", scope="Cluster")
    plugin = inc.add({
        "apiVersion": "configuration.konghq.com/v1", "kind": "KongClusterPlugin",
        "metadata": {"name": "global-rate-limiting", "creationTimestamp": ts(created), "generation": 1,
                     "labels": {"global": "true", "app.kubernetes.io/instance": "edge-policies"},
                     "annotations": {"kubernetes.io/ingress.class": "kong"}},
        "plugin": "rate-limiting",
        "config": {"minute": 600, "limit_by": "ip", "policy": "local", "fault_tolerant": True,
                   "hide_client_headers": False}})
    managed(plugin, ("argocd-controller", "Apply", created,
                     {"f:config": {"f:minute": {}, "f:limit_by": {}, "f:policy": {}}, "f:plugin": {}}))
    nodes = inc.cluster.nodes
    snat = [str(n["status"]["addresses"][0]["address"]) for n in nodes]
    inc.add({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "kong-proxy", "namespace": "kong", "annotations": {
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}},
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Cluster", "selector": {"app": "kong-gateway"},
                 "ports": [{"name": "proxy-tls", "port": 443, "targetPort": 8443, "protocol": "TCP"}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "a1f0c2-edge-1d2e3f.elb.eu-west-1.amazonaws.com"}]}}})

    def kong(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            limited = t >= created and t.second % 60 > 9
            status = 429 if limited else 200
            path = ["/v2/cart", "/v2/checkout", "/v2/catalog/home", "/v2/cart/items"][i % 4]
            return (f'{snat[i % len(snat)]} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "POST {path} HTTP/1.1" '
                    f'{status} {41 if limited else 1310} "-" "okhttp/4.12.0" kong_request_id: '
                    f'"{L.uuidish(pod, i)[:32]}"')
        return every(s, e, 3, line)

    healthy(inc, "kong", "kong-gateway", "docker.io/kong/kong-gateway:3.7.1.2", 2, log=logfn(kong),
            env=env(KONG_DATABASE="off", KONG_PROXY_LISTEN="0.0.0.0:8443 ssl http2"))
    key = inc.canary("stripe", "mobile-bff-psp")
    inc.secret("mobile", "mobile-bff-secrets", {"PSP_API_KEY": key})

    def bff(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: L.js(t, "info", "request served", route=["/cart", "/checkout"][i % 2],
                                                 status=200, duration_ms=60 + i % 50))
    rel = at - timedelta(minutes=35)
    inc.deployment("mobile", "mobile-bff", [
        Rev(13, inc.born + timedelta(days=25), "helm upgrade", [c("mobile-bff", f"{REGISTRY}/mobile/bff:2.14.0")]),
        Rev(14, rel, "helm upgrade mobile-bff-2.14.1", [c("mobile-bff", f"{REGISTRY}/mobile/bff:2.14.1")])],
        {14: [P(log=logfn(bff)) for _ in range(3)]})
    inc.series("kong_http_requests_total", "counter", "HTTP status codes per consumer/service/route in Kong",
               {"namespace": "kong", "service": "mobile.mobile-bff.80", "route": "mobile.mobile-api.00", "code": "429",
                "source": "kong"}, counter(at - timedelta(hours=2), 0.0, 41.0, created))
    inc.series("kong_http_requests_total", "counter", "HTTP status codes per consumer/service/route in Kong",
               {"namespace": "kong", "service": "mobile.mobile-bff.80", "route": "mobile.mobile-api.00", "code": "200",
                "source": "service"}, counter(at - timedelta(hours=2), 52.0, 11.0, created))
    desc = "Mobile clients receive {v} on {r} (last 10m)."
    alerts = [
        alert({"alertname": "MobileApiHighClientErrorRate", "namespace": "mobile", "route": "/v2/checkout"},
              "Mobile API 4xx ratio above 20%", desc.format(v="78% 4xx", r="/v2/checkout"),
              'sum(rate(kong_http_requests_total{service="mobile.mobile-bff.80",code=~"4.."}[5m])) / '
              'sum(rate(kong_http_requests_total{service="mobile.mobile-bff.80"}[5m])) > 0.2', created
              + timedelta(minutes=4), "critical"),
        alert({"alertname": "MobileApiHighClientErrorRate", "namespace": "mobile", "route": "/v2/cart"},
              "Mobile API 4xx ratio above 20%", desc.format(v="74% 4xx", r="/v2/cart"),
              'sum(rate(kong_http_requests_total{service="mobile.mobile-bff.80",code=~"4.."}[5m])) / '
              'sum(rate(kong_http_requests_total{service="mobile.mobile-bff.80"}[5m])) > 0.2', created
              + timedelta(minutes=4), "critical"),
        alert({"alertname": "MobileCheckoutConversionDrop", "namespace": "mobile"},
              "Completed mobile checkouts down 81% against last week",
              "orders_completed_total{channel=\"ios|android\"} per minute is 19% of the same time last week.",
              'sum(rate(orders_completed_total{channel=~"ios|android"}[10m])) / sum(rate(orders_completed_total'
              '{channel=~"ios|android"}[10m] offset 1w)) < 0.5', created + timedelta(minutes=6))]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["namespace"])
    inc.answer_key(
        culprit=("KongClusterPlugin", "", "global-rate-limiting"),
        keywords=["rate limit", "limit_by", "source ip"],
        root_cause="The new global KongClusterPlugin global-rate-limiting (rate-limiting, 600/minute, limit_by ip) "
                   "counts by source ip, and behind the NLB with externalTrafficPolicy Cluster Kong sees only the "
                   "nodes' SNAT addresses: every customer shares a few buckets, so the rate limit answers 429.",
        category="gateway-rate-limit-keyed-by-snat-ip",
        red_herrings=[("Deployment", "mobile", "mobile-bff")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
def orders_db_volume_filling() -> Incident:
    """A paused Debezium KafkaConnector leaves its replication slot inactive: Postgres keeps WAL until the disk fills.

    Yesterday at 15:10 someone paused the Strimzi KafkaConnector kafka/orders-cdc (spec.state
    paused) to stop a noisy topic during a consumer migration, and never resumed it. Its logical
    replication slot debezium_orders on orders-db stays, inactive, and Postgres keeps every WAL
    segment since its restart_lsn: pg_wal grows ~1.9 GB/h, checkpoints remove nothing ("0 removed"),
    and the 100 GiB volume data-orders-db-0 is 93% full and rising. Evidence: the connector's state
    and managedFields, postgres_exporter's pg_replication_slots metrics, kubelet volume stats; the
    alert is KubePersistentVolumeFillingUp on the database's volume (a victim). Red herring: the
    nightly pg_dump CronJob orders-db-backup (it streams to S3, not to this volume).
    """
    at = datetime(2026, 11, 26, 6, 50, tzinfo=UTC)
    inc = Incident("orders-db-volume-filling", title="orders database volume filling up",
                   story=story(orders_db_volume_filling), at=at, seed=104, namespaces=("db", "kafka"))
    paused = at - timedelta(hours=15, minutes=40)
    crd(inc, "kafka.strimzi.io", "KafkaConnector", "kafkaconnectors", "v1beta2")
    conn = inc.add({
        "apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaConnector",
        "metadata": {"name": "orders-cdc", "namespace": "kafka", "generation": 9,
                     "labels": {"strimzi.io/cluster": "connect"}},
        "spec": {"class": "io.debezium.connector.postgresql.PostgresConnector", "tasksMax": 1, "state": "paused",
                 "config": {"database.hostname": "orders-db.db.svc", "database.dbname": "orders",
                            "database.user": "debezium", "database.password": "${secrets:kafka/orders-cdc:password}",
                            "plugin.name": "pgoutput", "slot.name": "debezium_orders",
                            "publication.name": "dbz_orders", "topic.prefix": "orders"}},
        "status": {"observedGeneration": 9, "tasksMax": 1, "topics": ["orders.public.orders",
                                                                      "orders.public.order_lines"],
                   "connectorStatus": {"name": "orders-cdc", "connector": {"state": "PAUSED",
                                                                           "worker_id": "connect-connect-0:8083"},
                                       "tasks": [{"id": 0, "state": "PAUSED", "worker_id": "connect-connect-0:8083"}],
                                       "type": "source"},
                   "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ts(paused)}]}})
    managed(conn, ("kubectl-patch", "Update", paused, {"f:spec": {"f:state": {}}}),
            ("strimzi-cluster-operator", "Update", paused + timedelta(seconds=4),
             {"f:status": {"f:connectorStatus": {}}}))
    pw = inc.canary("password", "debezium")
    inc.secret("kafka", "orders-cdc", {"password": pw})

    def connect(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')},{i % 1000:03d} INFO [Worker clientId=connect-1, "
            "groupId=connect-cluster] Session key updated (org.apache.kafka.connect.runtime.distributed."
            "DistributedHerder) [DistributedHerder-"
            "connect-1-1]"))
        t = paused + timedelta(seconds=2)
        out.append((t, f"{t.strftime('%Y-%m-%d %H:%M:%S')},118 INFO [orders-cdc|worker] Setting connector orders-cdc "
                       "state to PAUSED (org.apache.kafka.connect.runtime.Worker) [DistributedHerder-connect-1-1]"))
        return out

    inc.statefulset("kafka", "connect-connect", [c("connect", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", port=8083)],
                    [P(log=logfn(connect, window_h=24), created=inc.born + timedelta(days=9))],
                    inc.born + timedelta(days=9))

    def postgres(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: L.postgres(
            t, "LOG", f"checkpoint complete: wrote {1800 + i * 37 % 900} buffers (11.{i % 9}%); 0 WAL file(s) added, "
                      f"0 removed, 0 recycled; write=269.{i % 10}12 s, sync=0.00{i % 7} s, total=269.9{i % 10}1 s; "
                      f"sync files=44, longest=0.002 s, average=0.001 s; distance={640000 + i * 311} kB, "
                      f"estimate={640000 + i * 300} kB", pid=62))
        out += every(s, e, 45, lambda i, t: L.postgres(
            t, "LOG", f"duration: {1100 + i * 13 % 700}.{i % 10}41 ms  statement: SELECT o.id, o.status FROM orders o "
                      "WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT 50", pid=3100 + i % 40))
        return out

    inc.statefulset("db", "orders-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                          memory_limit="8Gi", readiness_path=None, liveness_path=None)],
                    [P(log=logfn(postgres), created=inc.born + timedelta(days=6))], inc.born + timedelta(days=6),
                    claims=[("data", "100Gi", "gp3")], service=5432)
    cronjob(inc, "db", "orders-db-backup", "0 2 * * *", f"{REGISTRY}/platform/pg-dump-s3:1.6.0",
            at.replace(hour=2, minute=0))
    start = at - timedelta(hours=2)
    rate = 1.9e9 / 3600
    size = 100 * 1024 ** 3
    inc.series("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume",
               {"namespace": "db", "persistentvolumeclaim": "data-orders-db-0", "job": "kubelet"},
               ramp(0.84 * size, rate, start))
    inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume",
               {"namespace": "db", "persistentvolumeclaim": "data-orders-db-0", "job": "kubelet"}, lambda t: size)
    inc.series("pg_replication_slots_active", "gauge", "Flag indicating if the slot is active",
               {"namespace": "db", "pod": "orders-db-0", "slot_name": "debezium_orders", "plugin": "pgoutput",
                "slot_type": "logical", "database": "orders"}, lambda t: 0.0)
    inc.series("pg_replication_slots_pg_wal_lsn_diff", "gauge",
               "Replication lag in bytes between the current WAL position and the slot's restart_lsn",
               {"namespace": "db", "pod": "orders-db-0", "slot_name": "debezium_orders", "plugin": "pgoutput",
                "slot_type": "logical", "database": "orders"}, ramp(29.6e9, rate, start))
    inc.series("pg_database_size_bytes", "gauge", "Disk space used by the database",
               {"namespace": "db", "pod": "orders-db-0", "datname": "orders"}, lambda t: 52.3e9)
    inc.alertmanager("KubePersistentVolumeFillingUp",
                     {"namespace": "db", "persistentvolumeclaim": "data-orders-db-0", "job": "kubelet",
                      "service": "kube-prometheus-stack-kubelet"},
                     "PersistentVolume is filling up.",
                     "Based on recent sampling, the PersistentVolume claimed by data-orders-db-0 in Namespace db is "
                     "expected to fill up within four days. Currently 6.9% is available.",
                     'kubelet_volume_stats_available_bytes{job="kubelet",namespace="db",persistentvolumeclaim='
                     '"data-orders-db-0"} / kubelet_volume_stats_capacity_bytes < 0.15 and predict_linear('
                     'kubelet_volume_stats_available_bytes[6h], 4 * 24 * 3600) < 0', severity="warning")
    inc.answer_key(
        culprit=("KafkaConnector", "kafka", "orders-cdc"),
        keywords=["replication slot", "wal", "paused"],
        root_cause="The Debezium KafkaConnector kafka/orders-cdc was paused yesterday and left paused, so its "
                   "logical replication slot debezium_orders is inactive and Postgres retains all WAL since its "
                   "restart_lsn; pg_wal grows until the orders-db volume fills.",
        category="paused-cdc-connector-slot-retains-wal",
        red_herrings=[("CronJob", "db", "orders-db-backup")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
def payment_events_not_published() -> Incident:
    """A Schema Registry upgrade changes its KAFKASTORE_TOPIC: the registry starts empty, producers get 40401.

    At 09:12 a chart upgrade of kafka/schema-registry (revision 6) set
    SCHEMA_REGISTRY_KAFKASTORE_TOPIC=_schemas_v2 (the chart's new default) where the release had always
    used _schemas. The registry reads its store from the new, empty topic: it serves no subjects.
    payment-events (payments namespace) produces with auto.register.schemas=false and
    use.latest.version=true, so each send asks for the latest schema of payment-events-value and gets
    "Subject 'payment-events-value' not found.; error code: 40401"; events are not published. The alert
    is an exporter rule on the producer's error counter (a victim). Red herring: broker kafka-1
    restarted two days ago during the node patching (the cluster is healthy).
    """
    at = datetime(2026, 11, 27, 9, 31, tzinfo=UTC)
    inc = Incident("payment-events-not-published", title="payment events not reaching Kafka",
                   story=story(payment_events_not_published), at=at, seed=105, namespaces=("kafka",))
    rolled = at - timedelta(minutes=19)
    base = dict(SCHEMA_REGISTRY_HOST_NAME="schema-registry", SCHEMA_REGISTRY_LISTENERS="http://0.0.0.0:8081",
                SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS="PLAINTEXT://kafka-bootstrap.kafka:9092")

    def registry(pod: str, s: datetime, e: datetime) -> Lines:
        out = [(s + timedelta(seconds=2), f"[{(s + timedelta(seconds=2)).strftime('%Y-%m-%d %H:%M:%S')},114] INFO "
                "Initializing KafkaStore with broker endpoints: PLAINTEXT://kafka-bootstrap.kafka:9092 "
                "(io.confluent.kafka.schemaregistry.storage.KafkaStore)"),
               (s + timedelta(seconds=3), f"[{(s + timedelta(seconds=3)).strftime('%Y-%m-%d %H:%M:%S')},502] INFO "
                "Creating schemas topic _schemas_v2 (io.confluent.kafka.schemaregistry.storage.KafkaStore)"),
               (s + timedelta(seconds=5), f"[{(s + timedelta(seconds=5)).strftime('%Y-%m-%d %H:%M:%S')},871] INFO "
                "Reached offset at the start of the topic _schemas_v2: -1 "
                "(io.confluent.kafka.schemaregistry.storage.KafkaStoreReaderThread)")]
        out += every(s + timedelta(seconds=30), e, 4, lambda i, t: (
            f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{i % 1000:03d}] INFO 10.244.{1 + i % 3}.{40 + i % 9} - - "
            f"[{t.strftime('%d/%b/%Y:%H:%M:%S')} +0000] \"GET /subjects/payment-events-value/versions/latest "
            f"HTTP/1.1\" 404 81 \"-\" \"Java/17.0.12\" {2 + i % 3} (io.confluent.rest-utils.requests)"))
        return out

    inc.deployment("kafka", "schema-registry", [
        Rev(5, inc.born + timedelta(days=14), "helm upgrade", [c(
            "schema-registry", "docker.io/confluentinc/cp-schema-registry:7.6.1", port=8081,
            env=env(**base, SCHEMA_REGISTRY_KAFKASTORE_TOPIC="_schemas"))]),
        Rev(6, rolled, "helm upgrade schema-registry-0.9.0", [c(
            "schema-registry", "docker.io/confluentinc/cp-schema-registry:7.7.1", port=8081,
            env=env(**base, SCHEMA_REGISTRY_KAFKASTORE_TOPIC="_schemas_v2"))])],
        {6: [P(log=logfn(registry))]})
    inc.service("kafka", "schema-registry", {"app": "schema-registry"}, port=8081, target=8081)

    def broker(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 120, lambda i, t: (
            f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{i % 1000:03d}] INFO [GroupCoordinator 1]: Stabilized group "
            f"ledger-consumer generation {812 + i} (__consumer_offsets-{i % 50}) with 3 members "
            "(kafka.coordinator.group.GroupCoordinator)"))
    inc.statefulset("kafka", "kafka", [c("kafka", "quay.io/strimzi/kafka:0.43.0-kafka-3.8.0", port=9092)],
                    [P(log=logfn(broker)), P(log=logfn(broker), created=at - timedelta(days=2, hours=3)),
                     P(log=logfn(broker))], inc.born + timedelta(days=3))

    sasl = inc.canary("password", "payment-events-sasl")
    jaas = f'org.apache.kafka.common.security.scram.ScramLoginModule required username="payments" password="{sasl}";'
    inc.secret("payments", "payment-events-kafka", {"sasl.jaas.config": jaas})

    def producer(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, min(e, rolled + timedelta(seconds=50)), 20, lambda i, t: L.spring(
            t, "INFO", "c.a.p.events.PaymentEventPublisher", f"published PaymentCaptured id=pay_{91000 + i} partition="
            f"{i % 12} offset={771200 + i}", thread="kafka-producer-network-thread | payments"))
        out += every(max(s, rolled + timedelta(seconds=55)), e, 9, lambda i, t: L.spring(
            t, "ERROR", "c.a.p.events.PaymentEventPublisher",
            f"failed to publish PaymentCaptured id=pay_{93000 + i}: org.apache.kafka.common.errors."
            "SerializationException: Error retrieving latest version of Avro schema"
            "{\"type\":\"record\",\"name\":\"PaymentEvent\",...}\n"
            "Caused by: io.confluent.kafka.schemaregistry.client.rest.exceptions.RestClientException: Subject "
            "'payment-events-value' not found.; error code: 40401\n\tat io.confluent.kafka.schemaregistry.client.rest."
            "RestService.sendHttpRequest(RestService.java:336)", thread="http-nio-8080-exec-4"))
        return out

    wl = healthy(inc, "payments", "payment-events", f"{REGISTRY}/payments/payment-events:1.9.3", 2,
                 log=logfn(producer), env=env(SPRING_KAFKA_PRODUCER_PROPERTIES_AUTO_REGISTER_SCHEMAS="false",
                                              SPRING_KAFKA_PRODUCER_PROPERTIES_USE_LATEST_VERSION="true",
                                              SCHEMA_REGISTRY_URL="http://schema-registry.kafka:8081"))
    for h in wl.pods:
        inc.series("payment_events_publish_failures_total", "counter", "Payment events that could not be published",
                   {"namespace": "payments", "pod": h.name, "event": "PaymentCaptured"},
                   counter(at - timedelta(hours=2), 0.0, 1.4, rolled + timedelta(seconds=55)))
    inc.alertmanager("PaymentEventsPublishFailing", {"namespace": "payments", "job": "payment-events"},
                     "Payment events are failing to publish",
                     "payment-events failed to publish 98% of events over the last 10 minutes; downstream ledger "
                     "and notifications receive nothing.",
                     'sum(rate(payment_events_publish_failures_total[10m])) / sum(rate('
                     'payment_events_publish_attempts_total[10m])) > 0.05', severity="critical",
                     runbook="https://wiki.example.com/runbooks/payments/payment-events")
    inc.answer_key(
        culprit=("Deployment", "kafka", "schema-registry"),
        keywords=["kafkastore", "subject not found", "_schemas"],
        root_cause="The schema-registry chart upgrade (revision 6) set SCHEMA_REGISTRY_KAFKASTORE_TOPIC to "
                   "_schemas_v2, a new empty topic instead of _schemas: the registry has no subjects and the "
                   "producers, which do not auto-register, fail every lookup with Subject not found (40401).",
        category="schema-registry-store-topic-changed-empty-registry",
        red_herrings=[("StatefulSet", "kafka", "kafka")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
def node_cpu_pegged_question() -> Incident:
    """A catalog cache TTL edited from 3600 to 5 seconds: a thundering herd of cache misses pegs the database node.

    At 09:02 a kubectl edit of ConfigMap shop/catalog-config set CATALOG_CACHE_TTL_SECONDS "5" (the
    engineer meant the five-minute value for staging, in this context and unit it is seconds) and the
    checksum annotation rolled catalog. Every product entry now expires within seconds: the Redis
    keyspace hit ratio falls from 97% to 12%, catalog sends ~20x the queries to catalog-db, and the
    node running catalog-db-0 sits at 100% CPU. Nothing logs an error; the evidence is the ConfigMap
    change and metrics (redis_exporter hits/misses, Postgres transactions, node CPU). Someone asks
    about the node only. Red herring: the sitemap-generator CronJob that ran on the same node at 09:00.
    """
    at = datetime(2026, 11, 28, 9, 20, tzinfo=UTC)
    inc = Incident("node-cpu-pegged-question", title="one node at 100% CPU",
                   story=story(node_cpu_pegged_question), at=at, seed=106, skip={("shop", "catalog")})
    node = inc.node_names()[2]
    edited = at - timedelta(minutes=18)
    cfg = inc.configmap("shop", "catalog-config", {"CATALOG_CACHE_TTL_SECONDS": "5", "CATALOG_PAGE_SIZE": "48",
                                                   "REDIS_URL": "redis://redis.shop:6379/2"})
    managed(cfg, ("helm", "Update", inc.born + timedelta(days=5),
                  {"f:data": {"f:CATALOG_PAGE_SIZE": {}, "f:REDIS_URL": {}}}),
            ("kubectl-edit", "Update", edited, {"f:data": {"f:CATALOG_CACHE_TTL_SECONDS": {}}}))
    pw = inc.canary("password", "catalog-db")
    inc.secret("shop", "catalog-db", {"username": "catalog", "password": pw})
    img = f"{REGISTRY}/shop/catalog:2.4.0"
    envs = [{"name": "CATALOG_CACHE_TTL_SECONDS", "valueFrom": {"configMapKeyRef": {
        "name": "catalog-config", "key": "CATALOG_CACHE_TTL_SECONDS"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "catalog-db", "key": "password"}}}]

    def catalog(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 15, lambda i, t: L.js(t, "info", "GET /v1/products", status=200,
                                                 duration_ms=(35 if t < edited else 190) + i % 30))
    inc.deployment("shop", "catalog", [
        Rev(8, inc.born + timedelta(days=22), "helm upgrade", [c("catalog", img, env=envs)]),
        Rev(9, edited + timedelta(seconds=40), "kubectl rollout restart", [c("catalog", img, env=envs)])],
        {9: [P(log=logfn(catalog)) for _ in range(3)]})

    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 300, lambda i, t: L.postgres(
            t, "LOG", f"checkpoint complete: wrote {300 + i % 90} buffers (1.{i % 9}%); 0 WAL file(s) added, "
                      f"0 removed, 2 recycled; write=29.{i % 10}01 s, sync=0.004 s, total=29.9{i % 10}0 s", pid=58))
    inc.statefulset("shop", "catalog-db", [c("postgres", "docker.io/library/postgres:15.8", port=5432,
                                             cpu_limit=None, memory_limit="6Gi")],
                    [P(log=logfn(pg), node=node, created=inc.born + timedelta(days=4))], inc.born + timedelta(days=4),
                    service=5432)
    cronjob(inc, "shop", "sitemap-generator", "0 * * * *", f"{REGISTRY}/shop/sitemap:1.1.0",
            at.replace(minute=0))
    start = at - timedelta(hours=2)
    inc.series("redis_keyspace_hits_total", "counter", "Number of successful lookup of keys in the main dictionary",
               {"namespace": "shop", "pod": "redis-0", "instance": "redis.shop:9121"},
               counter(start, 1940.0, 160.0, edited + timedelta(seconds=40)))
    inc.series("redis_keyspace_misses_total", "counter", "Number of failed lookup of keys in the main dictionary",
               {"namespace": "shop", "pod": "redis-0", "instance": "redis.shop:9121"},
               counter(start, 60.0, 1180.0, edited + timedelta(seconds=40)))
    inc.series("redis_expired_keys_total", "counter", "Total number of key expiration events",
               {"namespace": "shop", "pod": "redis-0", "instance": "redis.shop:9121"},
               counter(start, 0.4, 610.0, edited + timedelta(seconds=40)))
    inc.series("pg_stat_database_xact_commit", "counter", "Number of transactions in this database that have been "
               "committed", {"namespace": "shop", "pod": "catalog-db-0", "datname": "catalog"},
               counter(start, 70.0, 1390.0, edited + timedelta(seconds=40)))
    ip = inc.cluster.node_ip(node)
    for cpu in range(4):
        inc.series("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.",
                   {"instance": f"{ip}:9100", "node": node, "cpu": str(cpu), "mode": "idle", "job": "node-exporter"},
                   counter(start, 0.71, 0.01, edited + timedelta(seconds=40)))
        inc.series("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.",
                   {"instance": f"{ip}:9100", "node": node, "cpu": str(cpu), "mode": "user", "job": "node-exporter"},
                   counter(start, 0.25, 0.93, edited + timedelta(seconds=40)))
    inc.ask(f"{node} has been at 100% CPU since about 09:03. What is going on with it?")
    inc.answer_key(
        culprit=("ConfigMap", "shop", "catalog-config"),
        keywords=["ttl", "cache", "thundering herd"],
        root_cause="A kubectl edit of ConfigMap shop/catalog-config set CATALOG_CACHE_TTL_SECONDS to 5 (was 3600) and "
                   "catalog restarted with it: cache entries expire in seconds, Redis misses jump and a thundering "
                   "herd of queries hits catalog-db, whose node runs at 100% CPU.",
        category="cache-ttl-cut-to-seconds-stampedes-database",
        red_herrings=[("CronJob", "shop", "sitemap-generator")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
def billing_queue_growing() -> Incident:
    """A worker chart renames its concurrency value: Celery falls back to --concurrency=2 (was 16), the queue backs up.

    billing/pdf-worker's chart 3.0 moved `worker.concurrency` to `celery.concurrency`; the values file
    kept the old key, so the rendered args at 08:15 (revision 22) carry --concurrency=2 where revision 21
    had --concurrency=16. Each pod now renders two invoices at a time: throughput falls ~8x, and the
    RabbitMQ queue billing.render_pdf grows by ~30 messages a second from the 09:00 invoicing batch.
    Nothing errors; the workers' banner says "concurrency: 2 (prefork)". The evidence is the revision's
    args and metrics; the alert is an exporter rule on the queue (it does not name the workers). Red
    herring: the invoice-api HPA scaled to its maximum for the 09:00 batch, as it does every month.
    """
    at = datetime(2026, 11, 30, 9, 25, tzinfo=UTC)
    inc = Incident("billing-queue-growing", title="billing RabbitMQ queue growing",
                   story=story(billing_queue_growing), at=at, seed=107, namespaces=("billing", "rabbitmq"))
    rolled = at - timedelta(minutes=70)
    batch = at.replace(minute=0)
    amqp = inc.canary("password", "billing-amqp")
    inc.secret("billing", "pdf-worker-amqp", {"CELERY_BROKER_URL": f"amqp://billing:{amqp}@rabbitmq.rabbitmq:5672/"
                                                                     "billing"})
    img = f"{REGISTRY}/billing/pdf-worker:4.2.0"

    def worker(pod: str, s: datetime, e: datetime) -> Lines:
        up = s + timedelta(seconds=2)
        banner = (f"[{up.strftime('%Y-%m-%d %H:%M:%S')},{up.microsecond // 1000:03d}: WARNING/MainProcess] "
                  f" -------------- celery@{pod} v5.4.0 (opalescent)\n"
                  "--- ***** ----- \n-- ******* ---- Linux-6.1.109-118.189.amzn2023.x86_64-x86_64-with-glibc2.36\n"
                  "- *** --- * --- \n- ** ---------- [config]\n- ** ---------- .> app:         billing:0x7f3c1b2e5d10\n"
                  "- ** ---------- .> transport:   amqp://billing:**@rabbitmq.rabbitmq:5672/billing\n"
                  "- ** ---------- .> results:     disabled://\n"
                  "- *** --- * --- .> concurrency: 2 (prefork)\n"
                  "-- ******* ---- .> task events: OFF\n--- ***** ----- \n -------------- [queues]\n"
                  "                .> billing.render_pdf exchange=billing(direct) key=render_pdf")
        out = [(up, banner)]
        out += every(s + timedelta(seconds=10), e, 4, lambda i, t: (
            f"[{t.strftime('%Y-%m-%d %H:%M:%S')},{i * 7 % 1000:03d}: INFO/ForkPoolWorker-{1 + i % 2}] Task "
            f"billing.tasks.render_invoice_pdf[{L.uuidish(pod, i)}] succeeded in {7.1 + (i % 9) / 10:.1f}s: None"))
        return out

    args = ["celery", "-A", "billing", "worker", "-Q", "billing.render_pdf", "--loglevel=INFO"]
    inc.deployment("billing", "pdf-worker", [
        Rev(21, inc.born + timedelta(days=26), "helm upgrade pdf-worker-2.8.3", [c("pdf-worker", img, port=None,
            readiness_path=None, liveness_path=None, memory_limit="1Gi")],
            container={"args": [*args, "--concurrency=16"]}),
        Rev(22, rolled, "helm upgrade pdf-worker-3.0.0", [c("pdf-worker", img, port=None, readiness_path=None,
                                                            liveness_path=None, memory_limit="1Gi")],
            container={"args": [*args, "--concurrency=2"]})],
        {22: [P(log=logfn(worker)) for _ in range(4)]})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 10, lambda i, t: L.pylog(t, "INFO", "billing.api", f"invoice INV-2611-{40000 + i} "
                                                    "queued for rendering"))
    healthy(inc, "billing", "invoice-api", f"{REGISTRY}/billing/invoice-api:6.0.4", 6, log=logfn(api))
    hpa(inc, "billing", "invoice-api", 2, 6, 6, 88)
    inc.statefulset("rabbitmq", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                               port=5672, memory_limit="4Gi")],
                    [P(), P(), P()], inc.born + timedelta(days=2), service=5672)
    start = at - timedelta(hours=2)
    inc.series("rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers",
               {"namespace": "rabbitmq", "vhost": "billing", "queue": "billing.render_pdf", "job": "rabbitmq"},
               lambda t: 3.0 if t < batch else 3.0 + 30.5 * (t - batch).total_seconds())
    inc.series("rabbitmq_queue_consumers", "gauge", "Consumers on a queue",
               {"namespace": "rabbitmq", "vhost": "billing", "queue": "billing.render_pdf", "job": "rabbitmq"},
               lambda t: 4.0)
    inc.series("rabbitmq_queue_messages_delivered_total", "counter", "Messages delivered to consumers",
               {"namespace": "rabbitmq", "vhost": "billing", "queue": "billing.render_pdf", "job": "rabbitmq"},
               counter(start, 8.6, 1.1, rolled))
    inc.series("rabbitmq_queue_messages_published_total", "counter", "Messages published into a queue",
               {"namespace": "rabbitmq", "vhost": "billing", "queue": "billing.render_pdf", "job": "rabbitmq"},
               lambda t: 1.1 * (t - start).total_seconds() + (31.6 * (t - batch).total_seconds() if t > batch else 0))
    inc.alertmanager("RabbitmqQueueBacklog", {"namespace": "rabbitmq", "vhost": "billing",
                                              "queue": "billing.render_pdf", "job": "rabbitmq"},
                     "Queue billing.render_pdf has 45k ready messages",
                     "Queue billing.render_pdf in vhost billing has had more than 10000 ready messages for 10 minutes "
                     "and is still growing (45,000 now).",
                     'rabbitmq_queue_messages_ready{vhost="billing",queue="billing.render_pdf"} > 10000',
                     severity="warning", runbook="https://wiki.example.com/runbooks/rabbitmq/queue-backlog")
    inc.answer_key(
        culprit=("Deployment", "billing", "pdf-worker"),
        keywords=["concurrency", "prefork"],
        root_cause="pdf-worker's chart 3.0 rollout (revision 22) runs Celery with --concurrency=2 (prefork) instead "
                   "of 16 because the renamed values key fell back to the default: throughput dropped ~8x and the "
                   "billing.render_pdf queue backs up under the monthly batch.",
        category="celery-worker-concurrency-default-after-values-rename",
        red_herrings=[("HorizontalPodAutoscaler", "billing", "invoice-api")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
def revenue_report_question() -> Incident:
    """A ClickHouseInstallation's profile max_memory_usage cut from 20 GB to 2 GB: big report queries die (Code 241).

    At 07:55 a platform engineer applied the ClickHouseInstallation analytics/warehouse with
    profiles default/max_memory_usage 2000000000 (copied from the dev cluster; production had
    20000000000). The Altinity operator reconfigured the pods. Since then the monthly revenue report's
    GROUP BY over 90 days fails: "Code: 241. DB::Exception: Memory limit (for query) exceeded: would
    use 1.86 GiB ... maximum: 1.86 GiB (MEMORY_LIMIT_EXCEEDED)", which reporting-api (reporting
    namespace) turns into HTTP 500. Small dashboards still work. Someone asks about reporting-api only.
    Red herring: clickhouse-keeper-1 restarted three hours ago (the ensemble has quorum).
    """
    at = datetime(2026, 12, 1, 8, 40, tzinfo=UTC)
    inc = Incident("revenue-report-question", title="revenue report failing",
                   story=story(revenue_report_question), at=at, seed=108, namespaces=("analytics", "reporting"))
    applied = at - timedelta(minutes=45)
    crd(inc, "clickhouse.altinity.com", "ClickHouseInstallation", "clickhouseinstallations", "v1")
    chi = inc.add({
        "apiVersion": "clickhouse.altinity.com/v1", "kind": "ClickHouseInstallation",
        "metadata": {"name": "warehouse", "namespace": "analytics", "generation": 14},
        "spec": {"configuration": {
            "zookeeper": {"nodes": [{"host": f"clickhouse-keeper-{i}.clickhouse-keeper", "port": 2181}
                                    for i in range(3)]},
            "profiles": {"default/max_memory_usage": "2000000000", "default/max_execution_time": "300",
                         "readonly/readonly": "1"},
            "users": {"reporting/profile": "default", "reporting/networks/ip": ["10.244.0.0/16"],
                      "reporting/k8s_secret_password": "analytics/clickhouse-reporting/password"},
            "clusters": [{"name": "main", "layout": {"shardsCount": 1, "replicasCount": 2}}]}},
        "status": {"status": "Completed", "taskID": "auto-3b2c1f0e", "hosts": 2, "hostsCompleted": 2,
                   "endpoint": "clickhouse-warehouse.analytics.svc.cluster.local"}})
    managed(chi, ("kubectl-client-side-apply", "Update", applied,
                  {"f:spec": {"f:configuration": {"f:profiles": {"f:default/max_memory_usage": {}}}}}),
            ("clickhouse-operator", "Update", applied + timedelta(minutes=2), {"f:status": {"f:status": {}}}))
    pw = inc.canary("password", "clickhouse-reporting")
    inc.secret("analytics", "clickhouse-reporting", {"password": pw})

    def ch(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(max(s, applied + timedelta(minutes=5)), e, 240, lambda i, t: (
            f"{t.strftime('%Y.%m.%d %H:%M:%S')}.{i * 7919 % 1000000:06d} [ {700 + i} ] {{{L.uuidish(pod, i)}}} "
            "<Error> executeQuery: Code: 241. DB::Exception: Memory limit (for query) exceeded: would use 1.86 GiB "
            "(attempt to allocate chunk of 4194304 bytes), maximum: 1.86 GiB.: While executing AggregatingTransform. "
            "(MEMORY_LIMIT_EXCEEDED) (version 24.3.12.75 (official build)) (from 10.244.3.17:51422) (in query: "
            "SELECT toStartOfDay(ts) AS day, region, sum(amount) FROM revenue_events WHERE ts >= now() - INTERVAL 90 "
            "DAY GROUP BY day, region, customer_id ORDER BY day)"))
        out += every(s, e, 60, lambda i, t: (
            f"{t.strftime('%Y.%m.%d %H:%M:%S')}.{i * 104729 % 1000000:06d} [ {300 + i} ] {{}} <Information> "
            "MergeTreeBackgroundExecutor: Merged 6 parts into all_88231_88236_1"))
        return out

    inc.statefulset("analytics", "chi-warehouse-main-0-0", [c("clickhouse", "docker.io/clickhouse/clickhouse-server:"
                                                           "24.3.12.75", port=8123, memory_limit="32Gi")],
                    [P(log=logfn(ch), created=applied + timedelta(minutes=1))], applied + timedelta(minutes=1))
    inc.statefulset("analytics", "clickhouse-keeper", [c("clickhouse-keeper", "docker.io/clickhouse/clickhouse-keeper:"
                                                        "24.3.12.75", port=2181)],
                    [P(), P(created=at - timedelta(hours=3)), P()], inc.born + timedelta(days=3))

    def reporting(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 30, lambda i, t: L.pylog(t, "INFO", "uvicorn.access",
                                                   f'10.244.1.9:0 - "GET /api/dashboards/{i % 7} HTTP/1.1" 200'))
        out += every(max(s, applied + timedelta(minutes=5)), e, 480, lambda i, t: L.pylog(
            t, "ERROR", "reporting.reports.revenue", "revenue report failed\nTraceback (most recent call last):\n"
            '  File "/app/reporting/reports/revenue.py", line 88, in build\n    rows = client.execute(QUERY, params)\n'
            "clickhouse_driver.errors.ServerException: Code: 241.\nDB::Exception: Memory limit (for query) exceeded: "
            "would use 1.86 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 1.86 GiB.: While executing "
            "AggregatingTransform. Stack trace:\n\n0. DB::Exception::Exception(DB::Exception::MessageMasked&&, int, "
            "bool) @ 0x000000000c7a1b7b"))
        return out
    healthy(inc, "reporting", "reporting-api", f"{REGISTRY}/reporting/reporting-api:3.3.0", 2, log=logfn(reporting))
    inc.ask("reporting-api has been giving 500s on the monthly revenue report since this morning, can you look?")
    inc.answer_key(
        culprit=("ClickHouseInstallation", "analytics", "warehouse"),
        keywords=["max_memory_usage", "memory limit"],
        root_cause="The ClickHouseInstallation analytics/warehouse applied at 07:55 sets the default profile's "
                   "max_memory_usage to 2000000000 (was 20 GB): the revenue report's aggregation exceeds the "
                   "per-query memory limit (Code 241, MEMORY_LIMIT_EXCEEDED) and reporting-api returns 500.",
        category="clickhouse-profile-query-memory-limit-cut",
        red_herrings=[("StatefulSet", "analytics", "clickhouse-keeper")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
def checkout_traces_missing_question() -> Incident:
    """The OpenTelemetry Collector's memory_limiter limit cut below its working set: it refuses spans (telemetry).

    At 10:02 Argo CD synced ConfigMap observability/otel-collector with processors.memory_limiter
    limit_mib 400 / spike_limit_mib 100 (was 1800 / 400) after a "right-size the collector" PR; the
    collector's steady heap is ~450 MiB. It is always above the soft limit: "Memory usage is above soft
    limit. Refusing data." and the SDKs get "data refused due to high memory usage"; most checkout
    traces never reach Tempo. The application is fine. A developer asks about checkout's traces. Red
    herring: tempo-ingester-1 restarted at 09:40 (a routine rollout; it has been ingesting since).
    """
    at = datetime(2026, 12, 2, 10, 25, tzinfo=UTC)
    inc = Incident("checkout-traces-missing-question", title="traces missing in Tempo",
                   story=story(checkout_traces_missing_question), at=at, seed=109, namespaces=("observability",),
                   skip={("shop", "checkout")})
    synced = at - timedelta(minutes=23)
    cfg = inc.configmap("observability", "otel-collector", {"relay": (
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ${env:MY_POD_IP}:4317\n"
        "      http:\n        endpoint: ${env:MY_POD_IP}:4318\nprocessors:\n  memory_limiter:\n"
        "    check_interval: 1s\n    limit_mib: 400\n    spike_limit_mib: 100\n  batch:\n"
        "    send_batch_size: 8192\n    timeout: 5s\nexporters:\n  otlp/tempo:\n"
        "    endpoint: tempo-distributor.observability:4317\n    tls:\n      insecure: true\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [memory_limiter, batch]\n"
        "      exporters: [otlp/tempo]\n")}, annotations={"argocd.argoproj.io/tracking-id":
                                                       "otel:/ConfigMap:observability/otel-collector"})
    managed(cfg, ("argocd-controller", "Apply", synced, {"f:data": {"f:relay": {}}}))

    def collector(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{i * 37 % 1000:03d}Z"
            if i % 3 == 0:
                return (f"{stamp}\twarn\tmemorylimiter@v0.108.0/memorylimiter.go:205\tMemory usage is above soft "
                        f"limit. Refusing data.\t{{\"kind\": \"processor\", \"name\": \"memory_limiter\", "
                        f"\"pipeline\": \"traces\", \"cur_mem_mib\": {440 + i % 30}}}")
            return (f"{stamp}\tinfo\tmemorylimiter@v0.108.0/memorylimiter.go:222\tMemory usage after GC.\t"
                    f"{{\"kind\": \"processor\", \"name\": \"memory_limiter\", \"pipeline\": \"traces\", "
                    f"\"cur_mem_mib\": {418 + i % 25}}}")
        return every(s, e, 5, line)
    wl = inc.deployment("observability", "otel-collector", [
        Rev(11, inc.born + timedelta(days=18), "argocd sync", [c("otel-collector", "docker.io/otel/opentelemetry-"
                                                                 "collector-contrib:0.108.0", port=4317)]),
        Rev(12, synced + timedelta(seconds=30), "argocd sync", [c("otel-collector", "docker.io/otel/opentelemetry-"
                                                                  "collector-contrib:0.108.0", port=4317)])],
        {12: [P(log=logfn(collector)) for _ in range(2)]})
    for h in wl.pods:
        for name, before, after in (("otelcol_processor_refused_spans", 0.0, 610.0),
                                    ("otelcol_processor_accepted_spans", 700.0, 95.0)):
            inc.series(name, "counter", "Number of spans the processor refused or accepted.",
                       {"namespace": "observability", "pod": h.name, "processor": "memory_limiter",
                        "service_name": "otelcol-contrib"},
                       counter(at - timedelta(hours=2), before, after, synced + timedelta(seconds=40)))

    def tempo(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 60, lambda i, t: L.logfmt(t, "info", "head block cut. enqueueing flush op",
                                                     caller="instance.go:300", tenant="single-tenant",
                                                     block=L.uuidish(pod, i)))
    inc.statefulset("observability", "tempo-ingester", [c("ingester", "docker.io/grafana/tempo:2.6.0", port=3200)],
                    [P(log=logfn(tempo)), P(log=logfn(tempo), created=at - timedelta(minutes=45))],
                    inc.born + timedelta(days=3))
    key = inc.canary("stripe", "checkout-psp")
    inc.secret("shop", "checkout-psp", {"PSP_SECRET_KEY": key})

    def checkout(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 12, lambda i, t: L.spring(t, "INFO", "c.a.shop.checkout.CheckoutController",
                                                    f"order ORD-{771000 + i} placed in {120 + i % 60} ms",
                                                    thread=f"http-nio-8080-exec-{1 + i % 8}"))
        out += every(max(s, synced + timedelta(seconds=45)), e, 30, lambda i, t: (
            f"[otel.javaagent {t.strftime('%Y-%m-%d %H:%M:%S')}:{i * 13 % 1000:03d} +0000] [OkHttp http://otel-"
            "collector.observability:4317/...] WARN io.opentelemetry.exporter.internal.grpc.GrpcExporter - Failed "
            "to export spans. Server responded with gRPC status code 14. Error message: data refused due to high "
            "memory usage"))
        return out
    inc.deployment("shop", "checkout", [Rev(6, inc.born + timedelta(days=15), "helm upgrade", [
        c("checkout", f"{REGISTRY}/shop/checkout:1.8.2",
          env=env(OTEL_EXPORTER_OTLP_ENDPOINT="http://otel-collector.observability:4317",
                  OTEL_SERVICE_NAME="checkout"))])], {6: [P(log=logfn(checkout)) for _ in range(3)]})
    inc.ask("Traces for checkout stopped showing up in Tempo around 10:00 - only a few come through. Why?")
    inc.answer_key(
        culprit=("ConfigMap", "observability", "otel-collector"),
        keywords=["memory_limiter", "limit_mib", "refusing data"],
        root_cause="Argo CD synced ConfigMap observability/otel-collector with memory_limiter limit_mib 400 "
                   "(spike 100), below the collector's working set: it stays above the soft limit, keeps refusing "
                   "data, and the SDKs' spans are rejected, so checkout's traces never reach Tempo.",
        category="otel-collector-memory-limiter-below-working-set",
        red_herrings=[("StatefulSet", "observability", "tempo-ingester")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
def feed_api_error_spike() -> Incident:
    """A Cassandra consistency level raised to ALL: harmless until one replica restarts, then every query fails.

    Yesterday at 16:20 a helm upgrade of feed-api changed ConfigMap social/feed-api-config
    CASSANDRA_CONSISTENCY from LOCAL_QUORUM to ALL ("read-your-writes for the new timeline"); with all
    three replicas up nothing changed. This morning's planned node rotation restarted cassandra-2 at
    10:58; while it rejoins, a query at consistency ALL cannot be served: the DataStax driver's
    "Not enough replicas available for query at consistency ALL (3 required but only 2 alive)"
    (UnavailableException) on every read and write, 5xx from feed-api. The alert is on feed-api.
    Red herring: the cassandra StatefulSet's restarting replica (at LOCAL_QUORUM two of three suffice).
    """
    at = datetime(2026, 12, 3, 11, 1, tzinfo=UTC)
    inc = Incident("feed-api-error-spike", title="feed-api 5xx spike",
                   story=story(feed_api_error_spike), at=at, seed=110, namespaces=("social", "data"))
    changed = at - timedelta(hours=18, minutes=41)
    restart = at - timedelta(minutes=3)
    cfg = inc.configmap("social", "feed-api-config", {"CASSANDRA_CONSISTENCY": "ALL",
                                                      "CASSANDRA_CONTACT_POINTS": "cassandra.data:9042",
                                                      "CASSANDRA_LOCAL_DC": "eu-west-1", "FEED_PAGE_SIZE": "30"},
                        annotations={"meta.helm.sh/release-name": "feed-api"})
    managed(cfg, ("helm", "Update", changed, {"f:data": {"f:CASSANDRA_CONSISTENCY": {}}}))
    pw = inc.canary("password", "feed-cassandra")
    inc.secret("social", "feed-api-cassandra", {"username": "feed", "password": pw})
    img = f"{REGISTRY}/social/feed-api:5.0.2"
    envs = [{"name": "CASSANDRA_CONSISTENCY", "valueFrom": {"configMapKeyRef": {"name": "feed-api-config",
                                                                                "key": "CASSANDRA_CONSISTENCY"}}}]

    def feed(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, min(e, restart), 20, lambda i, t: L.spring(t, "INFO", "c.a.social.feed.FeedController",
                                                                  f"GET /v1/feed/{81000 + i} 200 in {18 + i % 12} ms",
                                                                  thread=f"http-nio-8080-exec-{1 + i % 9}"))
        out += every(max(s, restart + timedelta(seconds=4)), e, 5, lambda i, t: L.spring(
            t, "ERROR", "c.a.social.feed.FeedRepository",
            f"read timeline user={81000 + i} failed\ncom.datastax.oss.driver.api.core.servererrors."
            "UnavailableException: Not enough replicas available for query at consistency ALL (3 required but only "
            "2 alive)\n\tat com.datastax.oss.driver.api.core.servererrors.UnavailableException.copy(Unavailable"
            "Exception.java:114)", thread=f"http-nio-8080-exec-{1 + i % 9}"))
        return out
    inc.deployment("social", "feed-api", [
        Rev(30, inc.born + timedelta(days=20), "helm upgrade", [c("feed-api", f"{REGISTRY}/social/feed-api:4.9.7",
                                                                  env=envs)]),
        Rev(31, changed + timedelta(seconds=30), "helm upgrade feed-api-5.0.2", [c("feed-api", img, env=envs)])],
        {31: [P(log=logfn(feed)) for _ in range(3)]})

    def cassandra(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 120, lambda i, t: (
            f"INFO  [CompactionExecutor:{1 + i % 4}] {t.strftime('%Y-%m-%d %H:%M:%S')},{i * 31 % 1000:03d} "
            f"CompactionTask.java:253 - Compacted (a1b{i % 10}c) 4 sstables to [/var/lib/cassandra/data/feed/"
            f"timeline-9f2c/nb-{4100 + i}-big,] to level=0."))

    def rejoining(pod: str, s: datetime, e: datetime) -> Lines:
        t = s + timedelta(seconds=20)
        return [(t, f"INFO  [main] {t.strftime('%Y-%m-%d %H:%M:%S')},204 CommitLog.java:200 - Replaying "
                    "/var/lib/cassandra/commitlog/CommitLog-7-1764759902113.log"),
                (t + timedelta(seconds=70), f"INFO  [main] {(t + timedelta(seconds=70)).strftime('%Y-%m-%d %H:%M:%S')}"
                 ",881 CommitLog.java:205 - Log replay complete, 418211 replayed mutations")]
    inc.statefulset("data", "cassandra", [c("cassandra", "docker.io/library/cassandra:4.1.6", port=9042,
                                            memory_limit="16Gi", readiness_path=None, liveness_path=None)],
                    [P(log=logfn(cassandra)), P(log=logfn(cassandra)),
                     P(state="notready", log=logfn(rejoining), created=restart,
                       message="Readiness probe failed: nodetool: Failed to connect to '127.0.0.1:7199' - "
                               "ConnectException: 'Connection refused (Connection refused)'.")],
                    inc.born + timedelta(days=2), service=9042)
    inc.series("http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
               {"namespace": "social", "service": "feed-api", "status": "500", "uri": "/v1/feed/{user}"},
               counter(at - timedelta(hours=2), 0.02, 58.0, restart))
    inc.series("http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
               {"namespace": "social", "service": "feed-api", "status": "200", "uri": "/v1/feed/{user}"},
               counter(at - timedelta(hours=2), 61.0, 0.4, restart))
    inc.alertmanager("FeedApiHighErrorRate", {"namespace": "social", "service": "feed-api", "job": "feed-api"},
                     "feed-api is returning 5xx for 99% of requests",
                     "feed-api 5xx ratio is 99.3% over the last 5 minutes (threshold 5%).",
                     'sum(rate(http_server_requests_seconds_count{service="feed-api",status=~"5.."}[5m])) / sum(rate('
                     'http_server_requests_seconds_count{service="feed-api"}[5m])) > 0.05', severity="critical",
                     runbook="https://wiki.example.com/runbooks/social/feed-api")
    inc.answer_key(
        culprit=("ConfigMap", "social", "feed-api-config"),
        keywords=["consistency", "local_quorum", "unavailable"],
        root_cause="Yesterday's helm upgrade set CASSANDRA_CONSISTENCY to ALL (was LOCAL_QUORUM) in ConfigMap "
                   "social/feed-api-config; when cassandra-2 restarted for the node rotation only 2 of 3 replicas "
                   "were alive, so every query fails with UnavailableException at consistency ALL.",
        category="cassandra-consistency-all-fails-on-one-replica-restart",
        red_herrings=[("StatefulSet", "data", "cassandra")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
def order_placement_errors_page() -> Incident:
    """A chart upgrade drops role=primary from the database's write Service selector: writes reach read replicas.

    At 13:10 the orders-pg chart upgrade rendered Service db/orders-pg-rw with selector
    {app: orders-pg} instead of {app: orders-pg, role: primary}. Its endpoints now hold all three pods
    (orders-pg-0 primary, -1 and -2 hot standbys), so about two of three new connections from
    orders-api land on a replica: "ERROR: cannot execute INSERT in a read-only transaction (SQLSTATE
    25006)". Reads succeed; order placement fails intermittently. The evidence is the Service's
    change (managedFields) and its endpoints; PagerDuty pages on orders-api (a victim). Red herring:
    the orders-pg-vacuum CronJob that ran at 13:00.
    """
    at = datetime(2026, 12, 3, 13, 24, tzinfo=UTC)
    inc = Incident("order-placement-errors-page", title="order placement failing intermittently",
                   story=story(order_placement_errors_page), at=at, seed=111, namespaces=("db", "orders"))
    changed = at - timedelta(minutes=14)
    svc = inc.add({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "orders-pg-rw", "namespace": "db", "labels": {"app": "orders-pg", "helm.sh/chart": "orders-pg-4.0.0"},
        "annotations": {"meta.helm.sh/release-name": "orders-pg"}},
        "spec": {"type": "ClusterIP", "clusterIP": "172.20.41.17", "selector": {"app": "orders-pg"},
                 "ports": [{"name": "postgres", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]}})
    managed(svc, ("helm", "Update", changed, {"f:spec": {"f:selector": {"f:app": {}}},
                                              "f:metadata": {"f:labels": {"f:helm.sh/chart": {}}}}))

    def primary(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 300, lambda i, t: L.postgres(t, "LOG", "checkpoint starting: time", pid=61))

    def standby(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 600, lambda i, t: L.postgres(t, "LOG", f"restartpoint complete: wrote {200 + i} buffers",
                                                       pid=60))
        out += every(max(s, changed + timedelta(seconds=20)), e, 5, lambda i, t: L.postgres(
            t, "ERROR", "cannot execute INSERT in a read-only transaction\n"
            f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i % 1000:03d} UTC [{4100 + i % 50}] STATEMENT:  INSERT INTO orders "
            "(id, customer_id, status, total_cents) VALUES ($1, $2, $3, $4)", pid=4100 + i % 50))
        return out
    wl = inc.statefulset("db", "orders-pg", [c("postgres", "docker.io/bitnami/postgresql-repmgr:16.4.0", port=5432,
                                               memory_limit="8Gi")],
                         [P(log=logfn(primary)), P(log=logfn(standby)), P(log=logfn(standby))],
                         inc.born + timedelta(days=2))
    for i, h in enumerate(wl.pods):
        h.labels["role"] = "primary" if i == 0 else "replica"
    ro = inc.add({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "orders-pg-ro", "namespace": "db", "labels": {"app": "orders-pg", "helm.sh/chart": "orders-pg-4.0.0"},
        "annotations": {"meta.helm.sh/release-name": "orders-pg"}},
        "spec": {"type": "ClusterIP", "clusterIP": "172.20.41.18", "selector": {"app": "orders-pg", "role": "replica"},
                 "ports": [{"name": "postgres", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]}})
    managed(ro, ("helm", "Update", changed, {"f:metadata": {"f:labels": {"f:helm.sh/chart": {}}}}))
    cronjob(inc, "db", "orders-pg-vacuum", "0 * * * *", "docker.io/bitnami/postgresql:16.4.0", at.replace(minute=0))
    pw = inc.canary("password", "orders-pg-app")
    inc.secret("orders", "orders-api-db", {"DATABASE_URL": f"postgres://orders:{pw}@orders-pg-rw.db:5432/orders"})

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 15, lambda i, t: L.logfmt(t, "info", "request", method="GET", path="/v1/orders",
                                                    status=200, dur_ms=9 + i % 14))
        out += every(max(s, changed + timedelta(seconds=20)), e, 8, lambda i, t: None if i % 3 == 0 else L.logfmt(
            t, "error", "create order failed", path="/v1/orders", status=500,
            err="ERROR: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)"))
        return out
    healthy(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:7.1.0", 3, log=logfn(api),
            env=[{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "orders-api-db",
                                                                         "key": "DATABASE_URL"}}}])
    inc.pagerduty("orders-api: POST /v1/orders error rate 64% (threshold 5%)", "Orders API")
    inc.answer_key(
        culprit=("Service", "db", "orders-pg-rw"),
        keywords=["read-only transaction", "selector", "replica"],
        root_cause="The orders-pg chart upgrade changed Service db/orders-pg-rw's selector to app=orders-pg without "
                   "role=primary, so its endpoints include the two standbys: connections landing on a replica fail "
                   "INSERTs with cannot execute INSERT in a read-only transaction.",
        category="write-service-selector-includes-standbys",
        red_herrings=[("CronJob", "db", "orders-pg-vacuum")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
def card_payment_failures_burn() -> Incident:
    """A hand edit points payments-config's GATEWAY_URL at the PSP's test endpoint: live credentials get 401.

    At 15:47 an engineer who believed his kubectl context was staging edited ConfigMap
    payments/payments-config: GATEWAY_URL https://checkout-test.adyen.com/v71 (was the live
    endpoint https://a1b2c3d4e5-checkout-live.adyenpayments.com/checkout/v71); Reloader restarted
    payments. The live API key is unknown to the test platform, so every authorisation gets HTTP 401
    {"errorCode":"000","message":"HTTP Status Response - Unauthorized","errorType":"security"} and
    payments answers checkout 502. The page is an SLO burn on checkout (a victim). Red herring:
    checkout's HPA at its maximum (the evening peak).
    """
    at = datetime(2026, 12, 4, 15, 58, tzinfo=UTC)
    inc = Incident("card-payment-failures-burn", title="checkout error budget burning on card payments",
                   story=story(card_payment_failures_burn), at=at, seed=112,
                   skip={("payments", "payments"), ("shop", "checkout")})
    edited = at - timedelta(minutes=11)
    cfg = inc.find("ConfigMap", "payments", "payments-config")
    cfg["data"]["GATEWAY_URL"] = "https://checkout-test.adyen.com/v71"
    managed(cfg, ("kubectl-edit", "Update", edited, {"f:data": {"f:GATEWAY_URL": {}}}))
    key = inc.canary("token", "adyen-api-key")
    inc.secret("payments", "psp-credentials", {"ADYEN_API_KEY": "AQE" + key, "ADYEN_MERCHANT": "AcmeShopEU"})
    envs = [{"name": "GATEWAY_URL", "valueFrom": {"configMapKeyRef": {"name": "payments-config",
                                                                      "key": "GATEWAY_URL"}}},
            {"name": "ADYEN_API_KEY", "valueFrom": {"secretKeyRef": {"name": "psp-credentials",
                                                                     "key": "ADYEN_API_KEY"}}}]

    def payments(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s + timedelta(seconds=8), e, 4, lambda i, t: L.js(
            t, "error", "authorisation failed", psp="adyen", url="https://checkout-test.adyen.com/v71/payments",
            status=401, response='{"status":401,"errorCode":"000","message":"HTTP Status Response - Unauthorized",'
                                 '"errorType":"security"}', reference=f"ORD-{902100 + i}"))
    inc.deployment("payments", "payments", [
        Rev(16, inc.born + timedelta(days=21), "helm upgrade", [c("payments", f"{REGISTRY}/payments/payments:3.14.0",
                                                                  env=envs)]),
        Rev(17, edited + timedelta(seconds=25), "stakater/reloader: payments-config changed", [
            c("payments", f"{REGISTRY}/payments/payments:3.14.0", env=envs)])],
        {17: [P(log=logfn(payments)) for _ in range(3)]},
        annotations={"configmap.reloader.stakater.com/reload": "payments-config"})

    def checkout(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, min(e, edited + timedelta(seconds=40)), 10, lambda i, t: L.spring(
            t, "INFO", "c.a.shop.checkout.CheckoutController", f"order ORD-{901000 + i} paid",
            thread=f"http-nio-8080-exec-{1 + i % 8}"))
        out += every(max(s, edited + timedelta(seconds=40)), e, 6, lambda i, t: L.spring(
            t, "ERROR", "c.a.shop.checkout.PaymentClient", f"payment for ORD-{902100 + i} failed: 502 Bad Gateway "
            'from POST http://payments.payments/v1/authorise: {"error":"psp_error","psp_status":401}',
            thread=f"http-nio-8080-exec-{1 + i % 8}"))
        return out
    healthy(inc, "shop", "checkout", f"{REGISTRY}/shop/checkout:1.8.2", 6, log=logfn(checkout))
    hpa(inc, "shop", "checkout", 3, 6, 6, 83)
    inc.series("payments_psp_requests_total", "counter", "Requests to the payment service provider",
               {"namespace": "payments", "service": "payments", "psp": "adyen", "status": "401"},
               counter(at - timedelta(hours=2), 0.0, 4.2, edited + timedelta(seconds=30)))
    inc.series("payments_psp_requests_total", "counter", "Requests to the payment service provider",
               {"namespace": "payments", "service": "payments", "psp": "adyen", "status": "200"},
               counter(at - timedelta(hours=2), 4.4, 0.0, edited + timedelta(seconds=30)))
    inc.slo_burn("checkout", "shop", "checkout-availability", "99.5%", 44.0,
                 "checkout's 5xx ratio on POST /checkout/pay is 22% over the last 1h (budget 0.5%).")
    inc.answer_key(
        culprit=("ConfigMap", "payments", "payments-config"),
        keywords=["gateway_url", "test endpoint", "401"],
        root_cause="A kubectl edit set GATEWAY_URL in ConfigMap payments/payments-config to Adyen's test endpoint "
                   "(checkout-test.adyen.com) instead of the live one; with the live API key every authorisation is "
                   "answered 401 Unauthorized, so payments returns 502 to checkout.",
        category="psp-endpoint-switched-to-test-platform",
        red_herrings=[("HorizontalPodAutoscaler", "shop", "checkout")])
    return inc


ALL = [product_detail_errors_burn, order_history_401s_page, mobile_checkout_errors_grouped, orders_db_volume_filling,
       payment_events_not_published, node_cpu_pegged_question, billing_queue_growing, revenue_report_question,
       checkout_traces_missing_question, feed_api_error_spike, order_placement_errors_page,
       card_payment_failures_burn]
"""The round's scenarios in the order they are built and measured."""
