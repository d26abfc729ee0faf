"""Traffic that goes nowhere: selectors, ports, ingress backends, certificates, DNS, egress policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from corpus import logs as L
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts

NAMES = ["checkout-db.shop.svc.cluster.local.", "redis.shop.svc.cluster.local.", "gateway.psp.example.com."]


def _managed(obj: dict[str, Any], manager: str, when: datetime, fields: dict[str, Any]) -> None:
    """The managedFields entry an edit leaves behind: the only trace of who changed what, when."""
    obj["metadata"].setdefault("managedFields", []).append(
        {"manager": manager, "operation": "Update", "apiVersion": obj["apiVersion"], "time": ts(when),
         "fieldsType": "FieldsV1", "fieldsV1": fields})


def _ingress(inc: Incident, ns: str, name: str, host: str, paths: list[tuple[str, str]]) -> dict[str, Any]:
    return inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": name, "namespace": ns, "generation": 4,
                                 "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
                    "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                             "rules": [{"host": host, "http": {"paths": [
                                 {"path": p, "pathType": "Prefix",
                                  "backend": {"service": {"name": svc, "port": {"number": 80}}}}
                                 for p, svc in paths]}}]},
                    "status": {"loadBalancer": {"ingress": [{
                        "hostname": "k8s-ingressn-ingressn-5c1a2b3d4e-9f8e7d6c5b4a3210.elb.eu-west-1"
                                    ".amazonaws.com"}]}}})


def cart_error_budget() -> Incident:
    """A chart refactor renames the cart Service's selector to app=cart-api; the pods are labelled app=cart.

    On-call sees: an error-budget burn on cart. The cart pods are perfectly healthy (and look
    guilty because the alert names cart); the Service has no endpoints, ingress-nginx logs
    'does not have any active Endpoint' and answers 503.
    """
    at = datetime(2026, 3, 30, 12, 10, tzinfo=UTC)
    inc = Incident("cart-error-budget", title="Error budget burn: cart availability",
                   story="A Service selector no longer matches the pod labels, so it has no endpoints.",
                   at=at, seed=312)
    changed = at - timedelta(minutes=14)
    svc = inc.find("Service", "shop", "cart")
    svc["spec"]["selector"] = {"app": "cart-api"}
    svc["metadata"]["labels"]["helm.sh/chart"] = "cart-3.0.0"
    _managed(svc, "helm", changed, {"f:spec": {"f:selector": {"f:app": {}}}})
    _ingress(inc, "shop", "storefront-api", "api.shop.example.com",
             [("/api/cart", "cart"), ("/api/catalog", "catalog"), ("/api/checkout", "checkout")])

    def controller(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 7 == 3:
                return L.klog(t, "W", "controller.go:1216", 'Service "shop/cart" does not have any active Endpoint.',
                              pid=7)
            cart = i % 2 == 0
            return L.nginx_access(t, f"10.0.{1 + i % 3}.{100 + i % 50}",
                                  "POST /api/cart/items" if cart else "GET /api/catalog/items?page=2",
                                  503 if cart else 200, 190 if cart else 5120,
                                  "shop-cart-80" if cart else "shop-catalog-80", "" if cart else "200",
                                  0.0 if cart else 0.031)
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 9, line))

    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs["ingress-nginx-controller"] = controller(h.name, at, inc.captured)
    inc.slo_burn("cart", "shop", "cart-availability", "0.999", 48.0,
                 "cart availability measured at the ingress: 48x budget burn over 5m and 1h.")
    inc.answer_key(culprit=("Service", "shop", "cart"), keywords=["selector", "cart-api"],
                   root_cause="Service shop/cart's selector is app=cart-api after a chart change, but the cart pods "
                              "are "
                              "labelled app=cart, so the Service has no endpoints and ingress-nginx returns 503.",
                   category="service-selector-mismatch", red_herrings=[("Deployment", "shop", "cart")])
    return inc


def payment_captures_failing() -> Incident:
    """Someone points the ledger Service's targetPort at 9090 (the metrics port, they thought); ledger listens on 8080.

    On-call gets a PagerDuty page: payment captures failing. The payments pods log gRPC Unavailable
    (connection refused) dialing ledger; ledger's pods are Ready and the Endpoints list them, on
    the wrong port.
    """
    at = datetime(2026, 4, 28, 16, 45, tzinfo=UTC)
    inc = Incident("payment-captures-failing", title="Payment capture failure rate (PagerDuty)",
                   story="A Service's targetPort points at a port the pods do not listen on.",
                   at=at, seed=313, skip={("payments", "payments")})
    svc = inc.find("Service", "payments", "ledger")
    svc["spec"]["ports"][0]["targetPort"] = 9090
    _managed(svc, "kubectl-edit", at - timedelta(minutes=18), {"f:spec": {"f:ports": {
        'k:{"port":80,"protocol":"TCP"}': {"f:targetPort": {}}}}})
    ip = svc["spec"]["clusterIP"]

    def pay(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < at - timedelta(minutes=18) or i % 4 == 3:
                return L.go_std(t, f"capture ok payment_id=pay_{77000 + i} amount=4999 ledger_ms={6 + i % 8}")
            return L.go_std(t, f"capture failed payment_id=pay_{77000 + i}: post ledger entry: rpc error: code = "
                               'Unavailable desc = connection error: desc = "transport: Error while dialing: dial '
                               f'tcp {ip}:80: connect: connection refused"')
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 14, line))

    img = f"{REGISTRY}/payments/payments:3.14.0"
    inc.deployment("payments", "payments", [
        Rev(7, at - timedelta(days=3), "deploy payments 3.14.0",
            [c("payments", img, env=[{"name": "LEDGER_ADDR", "value": "ledger.payments.svc:80"}])])],
        {7: [P(log=pay)] * 3})
    inc.pagerduty("Payment capture failure rate > 20% (checkout conversions dropping)", "Payments API")
    inc.answer_key(culprit=("Service", "payments", "ledger"), keywords=["targetPort", "9090", "8080"],
                   root_cause="Service payments/ledger was edited to targetPort 9090 while the ledger pods listen on "
                              "8080, so every connection to ledger through the Service is refused.",
                   category="service-target-port", red_herrings=[("Deployment", "payments", "payments")])
    return inc


def shop_site_503() -> Incident:
    """The storefront Ingress is re-pointed at storefront-v2, a Service that was never created.

    Somebody asks in chat. ingress-nginx logs that it cannot find the Service and serves 503 from
    its default backend; the frontend pods are healthy (and look like the suspect).
    """
    at = datetime(2026, 5, 12, 14, 20, tzinfo=UTC)
    inc = Incident("shop-site-503", title="Question: shop.example.com answers 503",
                   story="An Ingress routes to a Service that does not exist.", at=at, seed=314)
    ing = _ingress(inc, "web", "storefront", "shop.example.com", [("/", "storefront-v2")])
    _managed(ing, "argocd-controller", at - timedelta(minutes=9), {"f:spec": {"f:rules": {}}})
    inc.event(ing, "Sync", "Scheduled for sync", at - timedelta(minutes=9), warning=False,
              component="nginx-ingress-controller")

    def controller(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 6 == 2:
                return L.klog(t, "W", "controller.go:1110", 'Error obtaining Endpoints for Service '
                              '"web/storefront-v2": no object matching key "web/storefront-v2" in local store', pid=7)
            return L.nginx_access(t, f"81.2.{i % 200}.{17 + i % 80}",
                                  ["GET /", "GET /product/1042", "GET /cart"][i % 3],
                                  503, 190, "upstream-default-backend", "", 0.0)
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 11, line))

    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs["ingress-nginx-controller"] = controller(h.name, at, inc.captured)
    inc.ask("shop.example.com answers 503 for everyone since about twenty minutes. What happened?")
    inc.answer_key(culprit=("Ingress", "web", "storefront"), keywords=["storefront-v2", "Service"],
                   root_cause="Ingress web/storefront routes shop.example.com to Service storefront-v2, which does "
                              "not exist (the frontend Service is frontend), so ingress-nginx serves 503.",
                   category="ingress-missing-service", red_herrings=[("Deployment", "web", "frontend")])
    return inc


def api_tls_alert() -> Incident:
    """api.example.com's certificate expired: renewals failed for weeks because HTTP-01 challenges 404.

    On-call sees: a blackbox TLS alert. Partner clients log x509 'certificate has expired'. The
    cert-manager Certificate is not Ready; its challenges fail because the ClusterIssuer's solver
    uses ingress class nginx-public, which no controller serves since the ingress consolidation.
    """
    at = datetime(2026, 6, 22, 7, 5, tzinfo=UTC)
    inc = Incident("api-tls-alert", title="BlackboxSslCertificateExpired: https://api.example.com",
                   story="cert-manager could not renew a certificate; clients now reject it.",
                   at=at, seed=315, namespaces=("cert-manager", "partners"))
    expired = at - timedelta(minutes=25)
    for kind, plural, scope in (("Certificate", "certificates", "Namespaced"),
                                ("ClusterIssuer", "clusterissuers", "Cluster"),
                                ("Challenge", "challenges", "Namespaced")):
        group = "acme.cert-manager.io" if kind == "Challenge" else "cert-manager.io"
        inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                 "metadata": {"name": f"{plural}.{group}"},
                 "spec": {"group": group, "scope": scope,
                          "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                    "singular": kind.lower()},
                          "versions": [{"name": "v1", "served": True, "storage": True}]}})
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "letsencrypt-prod"},
             "spec": {"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory",
                               "privateKeySecretRef": {"name": "letsencrypt-prod-account"},
                               "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx-public"}}}]}},
             "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ACMEAccountRegistered",
                                        "message": "The ACME account was registered with the ACME server"}]}})
    cert = inc.add({
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": "api-example-com", "namespace": "web"},
        "spec": {"secretName": "api-example-com-tls", "dnsNames": ["api.example.com"],
                 "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"}, "renewBefore": "720h"},
        "status": {"notBefore": ts(expired - timedelta(days=90)), "notAfter": ts(expired),
                   "renewalTime": ts(expired - timedelta(days=30)), "failedIssuanceAttempts": 9,
                   "lastFailureTime": ts(at - timedelta(hours=5)),
                   "conditions": [
                       {"type": "Ready", "status": "False", "reason": "Expired",
                        "message": f"Certificate expired on {expired.strftime('%a, %d %b %Y %H:%M:%S UTC')}",
                        "lastTransitionTime": ts(expired), "observedGeneration": 1},
                       {"type": "Issuing", "status": "False", "reason": "Failed",
                        "message": 'The certificate request has failed to complete and will be retried: Failed to '
                                   'wait for order resource "api-example-com-1-3317422951" to become ready: order is '
                                   'in "invalid" state: ',
                        "lastTransitionTime": ts(at - timedelta(hours=5)), "observedGeneration": 1}]}})
    inc.add({"apiVersion": "acme.cert-manager.io/v1", "kind": "Challenge",
             "metadata": {"name": "api-example-com-1-3317422951-2215907401", "namespace": "web"},
             "spec": {"type": "HTTP-01", "dnsName": "api.example.com",
                      "solver": {"http01": {"ingress": {"ingressClassName": "nginx-public"}}}},
             "status": {"processing": True, "presented": True, "state": "pending",
                        "reason": "Waiting for HTTP-01 challenge propagation: wrong status code '404', "
                                  "expected '200'"}})
    inc.event(cert, "Failed", 'The certificate request has failed to complete and will be retried: order is in '
              '"invalid" state', at - timedelta(minutes=55), at - timedelta(minutes=50), component="cert-manager")

    def cm_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 37, lambda i, t: L.klog(
            t, "E", "sync.go:190", 'cert-manager/challenges "msg"="propagation check failed" "error"="wrong status '
            'code \'404\', expected \'200\'" "dnsName"="api.example.com" "resource_kind"="Challenge" '
            '"resource_name"="api-example-com-1-3317422951-2215907401" "resource_namespace"="web" "type"="HTTP-01"')
            if i % 2 else L.klog(t, "I", "controller.go:162", 'cert-manager/certificates-trigger "msg"="Certificate '
                                 'must be re-issued" "reason"="Expired" "resource_name"="api-example-com"')))

    inc.deployment("cert-manager", "cert-manager", [
        Rev(2, at - timedelta(days=60), "helm upgrade cert-manager v1.15.3",
            [c("cert-manager-controller", "quay.io/jetstack/cert-manager-controller:v1.15.3", port=9402,
               readiness_path=None, liveness_path=None)])], {2: [P(log=cm_log)]})
    hook = inc.canary("token", "partner-hook")

    def partner(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < expired:
                return L.go_std(t, f"delivered order webhook to https://api.example.com/partner/orders?token={hook}")
            return L.go_std(t, f'post order webhook: Post "https://api.example.com/partner/orders?token={hook}": '
                               "tls: failed to verify certificate: x509: certificate has expired or is not yet "
                               "valid: current time "
                               f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')} is after {expired.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 31, line))

    inc.deployment("partners", "partner-sync", [
        Rev(4, at - timedelta(days=12), "partner-sync 2.0.1",
            [c("partner-sync", f"{REGISTRY}/partners/partner-sync:2.0.1", port=None)])], {4: [P(log=partner)]})
    inc.alertmanager("BlackboxSslCertificateExpired", {"instance": "https://api.example.com", "job": "blackbox-https",
                                                       "namespace": "monitoring"},
                     "SSL certificate expired (instance https://api.example.com)",
                     "The TLS certificate served for api.example.com has expired.",
                     'round((last_over_time(probe_ssl_earliest_cert_expiry[10m]) - time()) / 86400, 0.1) < 0',
                     severity="critical", runbook="https://wiki.example.com/runbooks/tls-certificates")
    inc.answer_key(culprit=("Certificate", "web", "api-example-com"), keywords=["expired", "HTTP-01", "nginx-public"],
                   root_cause="Certificate web/api-example-com expired because renewals kept failing: its HTTP-01 "
                              "challenges get 404 since the ClusterIssuer's solver uses ingress class nginx-public, "
                              "which no controller serves.",
                   category="tls-certificate-expired",
                   red_herrings=[("Deployment", "partners", "partner-sync"),
                                 ("Deployment", "ingress-nginx", "ingress-nginx-controller")])
    return inc


def checkout_error_budget() -> Incident:
    """A 'resource hygiene' change sets CoreDNS's memory limit to 70Mi; under the morning load both replicas OOM.

    On-call sees: an error-budget burn on checkout, whose logs fill with 'Temporary failure in name
    resolution'. checkout is a victim; so is everything else. The cause sits in kube-system.
    """
    at = datetime(2026, 7, 6, 8, 35, tzinfo=UTC)
    inc = Incident("checkout-error-budget", title="Error budget burn: checkout availability",
                   story="CoreDNS is OOMKilled after its memory limit was lowered; every lookup times out.",
                   at=at, seed=316, skip={("kube-system", "coredns"), ("shop", "checkout")})
    change = at - timedelta(minutes=50)
    img = "registry.k8s.io/coredns/coredns:v1.11.3"

    def dns(pod: str, start: datetime, end: datetime) -> str:
        head = [(start, ".:53"), (start, "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481"
                                         "273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d18"
                                         "0f52594972691cd6ff41be96639138a43908"),
                (start, "CoreDNS-1.11.3"), (start, "linux/amd64, go1.21.11, a6338e9")]
        body = L.ticker(start + timedelta(seconds=1), end, 2, lambda i, t: (
            f'[INFO] 10.244.{1 + i % 4}.{20 + i % 60}:{40000 + i * 37 % 20000} - {1000 + i * 13 % 60000} "A IN '
            f'{NAMES[i % 3]}'
            f' udp 52 false 512" NOERROR qr,aa,rd 106 0.000{200 + i % 700}s'))
        return L.lines([*head, *body])

    w = inc.deployment("kube-system", "coredns", [
        Rev(3, at - timedelta(days=30), "eks addon coredns v1.11.3-eksbuild.1",
            [c("coredns", img, memory_limit="170Mi", memory_request="70Mi", port=53, readiness_path=None,
               liveness_path=None)]),
        Rev(4, change, "kube-system: align resource limits with requests (PLAT-412)",
            [c("coredns", img, memory_limit="70Mi", memory_request="70Mi", port=53, readiness_path=None,
               liveness_path=None)]),
    ], {4: [P("crashloop", log=dns, reason="OOMKilled", exit_code=137, memory_mi=30,
              run_s=lambda n: 240 + 20 * (n % 4))] * 2})
    inc.pod_series(w.pods)

    def checkout(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 3:
                return L.pylog(t, "INFO", "checkout.api", f"order o-{66100 + i} placed in {40 + i % 30}ms")
            return "\n".join([
                L.pylog(t, "ERROR", "checkout.db", "database connection failed"),
                "Traceback (most recent call last):",
                '  File "/app/checkout/db.py", line 48, in connect',
                "    return psycopg2.connect(dsn, connect_timeout=3)",
                '  File "/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py", line 122, in connect',
                "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)",
                'psycopg2.OperationalError: could not translate host name "checkout-db.shop.svc.cluster.local" to '
                "address: Temporary failure in name resolution"])
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 20, line))

    inc.deployment("shop", "checkout", [
        Rev(5, at - timedelta(days=6), "deploy checkout 1.8.2",
            [c("checkout", f"{REGISTRY}/shop/checkout:1.8.2", memory_limit="512Mi")])], {5: [P(log=checkout)] * 3})
    inc.slo_burn("checkout", "shop", "checkout-availability", "0.999", 22.5,
                 "checkout 5xx ratio is 2.2% over 1h against a 0.1% budget.")
    inc.answer_key(culprit=("Deployment", "kube-system", "coredns"), keywords=["OOMKilled", "70Mi"],
                   root_cause="CoreDNS (Deployment kube-system/coredns revision 4) got a 70Mi memory limit and is "
                              "OOMKilled under load, so lookups from every namespace time out; checkout's database "
                              "host no longer resolves.",
                   category="dns-coredns-oom", red_herrings=[("Deployment", "shop", "checkout")])
    return inc


def payments_error_budget() -> Incident:
    """A default-deny egress NetworkPolicy in payments allows Postgres and HTTPS but not DNS.

    On-call sees: an error-budget burn on payments. Its pods log lookup timeouts against the
    cluster DNS at 172.20.0.10:53; CoreDNS itself is healthy (it looks guilty) and other
    namespaces resolve fine.
    """
    at = datetime(2026, 7, 21, 10, 50, tzinfo=UTC)
    inc = Incident("payments-error-budget", title="Error budget burn: payments availability",
                   story="An egress NetworkPolicy forgets to allow DNS.", at=at, seed=317,
                   skip={("payments", "payments")})
    applied = at - timedelta(minutes=12)
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "default-deny-egress", "namespace": "payments", "generation": 1,
                          "creationTimestamp": ts(applied),
                          "annotations": {"security.example.com/ticket": "SEC-1187 PCI egress lockdown"}},
             "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                      "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "payments-postgres"}}}],
                                  "ports": [{"protocol": "TCP", "port": 5432}]},
                                 {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                                  "ports": [{"protocol": "TCP", "port": 443}]}]}})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "allow-ingress-from-gateway", "namespace": "payments"},
             "spec": {"podSelector": {"matchLabels": {"app": "payments"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                          "kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}})

    def pay(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < applied:
                return L.js(t, "info", "capture ok", payment_id=f"pay_{5100 + i}", psp_ms=180 + i % 90)
            return L.js(t, "error", "capture failed", payment_id=f"pay_{5100 + i}",
                        error='Post "https://gateway.psp.example.com/v2/captures": dial tcp: lookup '
                              f"gateway.psp.example.com on 172.20.0.10:53: read udp 10.244.2.{30 + i % 9}:"
                              f"{41000 + i % 999}->172.20.0.10:53: i/o timeout")
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 16, line))

    inc.deployment("payments", "payments", [
        Rev(7, at - timedelta(days=3), "deploy payments 3.14.0",
            [c("payments", f"{REGISTRY}/payments/payments:3.14.0")])], {7: [P(log=pay)] * 3})
    inc.slo_burn("payments", "payments", "payments-availability", "0.9995", 120.0,
                 "Nearly every capture fails; budget for the month gone in under 6 hours at this rate.")
    inc.answer_key(culprit=("NetworkPolicy", "payments", "default-deny-egress"), keywords=["egress", "DNS", "53"],
                   root_cause="NetworkPolicy payments/default-deny-egress, applied 12 minutes before the alert, "
                              "allows egress only to Postgres (5432) and HTTPS (443), not DNS (UDP/TCP 53 to "
                              "kube-dns), so every lookup from the payments namespace times out.",
                   category="networkpolicy-blocks-dns", red_herrings=[("Deployment", "kube-system", "coredns")])
    return inc


def catalog_search_errors() -> Incident:
    """A config change sets catalog's SEARCH_URL host to search.shop.svc.cluster.locl (typo).

    On-call gets a PagerDuty page from the catalog team's error alert. catalog logs Spring
    ResourceAccessException with Caused by: java.net.UnknownHostException. The search service is
    healthy.
    """
    at = datetime(2026, 8, 11, 15, 15, tzinfo=UTC)
    inc = Incident("catalog-search-errors", title="catalog search error rate (PagerDuty)",
                   story="A ConfigMap carries a mistyped host name; the client cannot resolve it.",
                   at=at, seed=318, skip={("shop", "catalog")})
    change = at - timedelta(minutes=17)
    pw = inc.canary("password", "catalog-db")
    cm = inc.configmap("shop", "catalog-config", {
        "SEARCH_URL": "http://search.shop.svc.cluster.locl/api/search",
        "SPRING_DATASOURCE_URL": "jdbc:postgresql://catalog-db.shop.svc:5432/catalog",
        "SPRING_DATASOURCE_PASSWORD": pw, "CACHE_TTL_SECONDS": "120"}, at=at - timedelta(days=40))
    _managed(cm, "kubectl-client-side-apply", change, {"f:data": {"f:SEARCH_URL": {}}})
    img = f"{REGISTRY}/shop/catalog:2.4.0"
    env_from = {"envFrom": [{"configMapRef": {"name": "catalog-config"}}]}

    def log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if i % 3:
                return L.spring(t, "INFO", "c.e.catalog.web.ItemController", f"GET /api/catalog/items/{3300 + i} 200",
                                thread=f"http-nio-8080-exec-{1 + i % 9}")
            return "\n".join([
                L.spring(t, "ERROR", "c.e.catalog.search.SearchClient", "search call failed for q='rain jacket'",
                         thread=f"http-nio-8080-exec-{1 + i % 9}"),
                'org.springframework.web.client.ResourceAccessException: I/O error on GET request for '
                '"http://search.shop.svc.cluster.locl/api/search": search.shop.svc.cluster.locl',
                "\tat org.springframework.web.client.RestTemplate.createResourceAccessException(RestTemplate.java:915)",
                "\tat org.springframework.web.client.RestTemplate.doExecute(RestTemplate.java:895)",
                "\tat org.springframework.web.client.RestTemplate.exchange(RestTemplate.java:790)",
                "\tat com.example.catalog.search.SearchClient.query(SearchClient.java:58)",
                "\tat com.example.catalog.web.SearchController.search(SearchController.java:41)",
                "Caused by: java.net.UnknownHostException: search.shop.svc.cluster.locl",
                "\tat java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:567)",
                "\tat java.base/java.net.Socket.connect(Socket.java:751)",
                "\tat java.base/sun.net.NetworkClient.doConnect(NetworkClient.java:178)",
                "\t... 48 common frames omitted"])
        return L.lines(L.ticker(max(start, end - timedelta(minutes=15)), end, 12, line))

    inc.deployment("shop", "catalog", [
        Rev(11, at - timedelta(days=9), "deploy catalog 2.4.0", [c("catalog", img)], pod_spec=env_from),
        Rev(12, change + timedelta(seconds=40), "kubectl rollout restart (pick up catalog-config)",
            [c("catalog", img)], pod_spec=env_from),
    ], {12: [P(log=log)] * 3})
    inc.pagerduty("[catalog] search error rate 34% (threshold 5%)", "Catalog")
    inc.answer_key(culprit=("ConfigMap", "shop", "catalog-config"),
                   keywords=["UnknownHostException", "cluster.locl", "SEARCH_URL"],
                   root_cause="ConfigMap shop/catalog-config sets SEARCH_URL to host search.shop.svc.cluster.locl "
                              "(typo for cluster.local); after the restart catalog cannot resolve it "
                              "(java.net.UnknownHostException) and search requests fail.",
                   category="dns-name-wrong-in-config", red_herrings=[("Deployment", "shop", "search")])
    return inc


SCENARIOS = [cart_error_budget, payment_captures_failing, shop_site_503, api_tls_alert,
             checkout_error_budget, payments_error_budget, catalog_search_errors]
