"""Round 8 of the held-out incident set: twelve incidents of types no earlier set has, written blind.

Each function builds one `Incident` on the corpus background and its docstring is the story (the
answer); the first line names the failure type so later rounds can avoid repeating it. Bundle
names, titles and questions say only the symptom. Log lines follow the real software's formats
(Go logfmt, Spring Boot, PgBouncer, grpc-go, nginx, klog); metric names are the exporters' own.
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


# ---- helpers ---------------------------------------------------------------------------------------
def logfn(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function from a (pod, start, end) -> lines maker; only lines inside the run are kept."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def managed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> None:
    """managedFields as the API server records them: the recent change is the only trace of some causes."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": fields} for m, op, t, fields in entries]


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


def step(before: float, after: float, change: datetime) -> Callable[[datetime], float]:
    return lambda t: before if t < change else after


def counter(start: datetime, before: float, after: float, change: datetime) -> Callable[[datetime], float]:
    """A counter growing at `before` per second until `change`, then at `after`."""
    def value(t: datetime) -> float:
        upto = min(t, change)
        return round(before * max(0.0, (upto - start).total_seconds())
                     + after * max(0.0, (t - change).total_seconds()), 3)
    return value


def healthy(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
            at: datetime | None = None, container: dict[str, Any] | None = None,
            annotations: dict[str, str] | None = None) -> Any:
    """A Deployment whose pods all run: victims whose trouble is in their logs and metrics, not their state."""
    rev = Rev(1, at or inc.born + timedelta(days=12), "helm upgrade", [c(name, image)], container=container or {})
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]}, annotations=annotations)


def ticks(start: datetime, end: datetime, every_s: float, fn: Callable[[datetime], str | None]) -> Lines:
    """One line per tick where `fn` says something."""
    out: Lines = []
    for t in L.every(start, end, every_s):
        line = fn(t)
        if line:
            out.append((t, line))
    return out


AT = datetime(2026, 11, 18, 14, 12, tzinfo=UTC)


# ---- 1 ---------------------------------------------------------------------------------------------
def storefront_checkout_errors_burn() -> Incident:
    """A Gateway API HTTPRoute's backend weights shifted 90/10 to a canary that returns 503 on checkout.

    A platform engineer's kubectl apply moved the storefront HTTPRoute's weights from 100/0 to 10/90
    (stable/canary) instead of 90/10; the canary build fails on POST /checkout with 503. The alert is an
    SLO burn on the web tier (the victim); the evidence is the HTTPRoute's spec and managedFields and
    the canary's logs. Red herring: the recommendations Deployment's old restart.
    """
    at = AT
    inc = Incident("storefront-checkout-errors-burn", title="Storefront error budget burning on checkout",
                   story="", at=at, seed=801, namespaces=("storefront",))
    change = at - timedelta(minutes=9)

    def canary_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(max(start, change), end, 2.0, lambda t: L.logfmt(
            t, "error", "checkout failed", path="/checkout", status=503, err="inventory client: feature "
            "reservationsV2 requires schema v14, have v13"))

    def stable_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(start, end, 30.0, lambda t: L.logfmt(t, "info", "request served", path="/checkout",
                                                          status=200, dur_ms=84))
    healthy(inc, "storefront", "storefront-stable", f"{REGISTRY}/storefront/web:7.1.0", 3, logfn(stable_log))
    healthy(inc, "storefront", "storefront-canary", f"{REGISTRY}/storefront/web:7.2.0-rc.1", 1, logfn(canary_log),
            at=at - timedelta(hours=20))
    inc.service("storefront", "storefront-stable", {"app": "storefront-stable"})
    inc.service("storefront", "storefront-canary", {"app": "storefront-canary"})
    crd(inc, "gateway.networking.k8s.io", "HTTPRoute", "httproutes", "v1")
    route = inc.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                     "metadata": {"name": "storefront", "namespace": "storefront", "generation": 9},
                     "spec": {"parentRefs": [{"name": "public", "namespace": "gateway-system"}],
                              "hostnames": ["shop.example.com"],
                              "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                         "backendRefs": [{"name": "storefront-stable", "port": 80, "weight": 10},
                                                         {"name": "storefront-canary", "port": 80,
                                                          "weight": 90}]}]},
                     "status": {"parents": [{"parentRef": {"name": "public", "namespace": "gateway-system"},
                                             "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                                             "conditions": [{"type": "Accepted", "status": "True",
                                                             "reason": "Accepted", "lastTransitionTime":
                                                             ts(change)}]}]}})
    managed(route, ("helm", "Update", inc.born + timedelta(days=9), {"f:spec": {"f:hostnames": {}}}),
            ("kubectl-client-side-apply", "Update", change,
             {"f:spec": {"f:rules": {}}}))
    inc.secret("storefront", "storefront-env", {"STRIPE_KEY": inc.canary("stripe", "storefront")})
    for backend, before, after in (("storefront-stable", 40.0, 4.0), ("storefront-canary", 0.0, 36.0)):
        inc.series("envoy_cluster_upstream_rq_total", "counter", "Upstream requests.",
                   {"envoy_cluster_name": f"httproute/storefront/storefront/rule/0/backend/{backend}"},
                   counter(at - timedelta(hours=2), before, after, change))
    inc.series("envoy_cluster_upstream_rq_xx", "counter", "Upstream 5xx.",
               {"envoy_cluster_name": "httproute/storefront/storefront/rule/0/backend/storefront-canary",
                "envoy_response_code_class": "5"}, counter(at - timedelta(hours=2), 0.0, 9.0, change))
    inc.slo_burn("storefront", "storefront", "checkout-availability", "0.999", 31.0,
                 "Checkout availability is burning the 30d error budget; 5xx ratio is 0.23 over the last hour.")
    inc.answer_key(culprit=("HTTPRoute", "storefront", "storefront"), keywords=["weight", "canary"],
                   root_cause="The storefront HTTPRoute's backend weight was flipped to send 90% to the canary, "
                              "whose build fails checkout with 503.",
                   category="gateway-route-weight-shifted-to-failing-canary",
                   red_herrings=[("Deployment", "web", "recommendations")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
def partner_webhooks_failing_page() -> Incident:
    """A cert-manager ClusterIssuer switched to Let's Encrypt's staging ACME server: the renewed cert is untrusted.

    Someone testing rate limits repointed the cluster-scoped ClusterIssuer letsencrypt-prod at
    acme-staging-v02; the hooks.example.com Certificate renewed that night from the staging CA
    ("(STAGING) Pseudo Plum E5"), so partners' TLS clients reject it. The page (PagerDuty, victim) names
    the partner-hooks API; the evidence is the ClusterIssuer's server and managedFields, the Certificate's
    issuer and cert-manager's log in another namespace. Red herring: the ingress-nginx controller.
    """
    at = AT + timedelta(days=1, hours=-6)
    inc = Incident("partner-webhooks-failing-page", title="Partner webhook deliveries failing",
                   story="", at=at, seed=802, namespaces=("partners", "cert-manager"))
    change = at - timedelta(hours=14)
    renewed = at - timedelta(hours=3)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(start, end, 120.0, lambda t: L.logfmt(t, "info", "inbound hook volume",
                                                           per_min=3 if t > renewed else 140))

    def cm_log(pod: str, start: datetime, end: datetime) -> Lines:
        out = [(renewed, L.klog(renewed, "I", "conditions.go:203", 'Setting lastTransitionTime for Certificate '
                                '"hooks-example-com" condition "Issuing" to ' + ts(renewed))),
               (renewed + timedelta(seconds=40), L.klog(renewed + timedelta(seconds=40), "I", "acme.go:233",
                'cert-manager/orders "msg"="Order has already been completed" resource_name="hooks-example-com-1-'
                '2218842650" server="https://acme-staging-v02.api.letsencrypt.org/directory"'))]
        return out
    healthy(inc, "partners", "partner-hooks", f"{REGISTRY}/partners/hooks:2.9.4", 2, logfn(api_log))
    healthy(inc, "cert-manager", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.15.3", 1,
            logfn(cm_log))
    crd(inc, "cert-manager.io", "ClusterIssuer", "clusterissuers", "v1", scope="Cluster")
    crd(inc, "cert-manager.io", "Certificate", "certificates", "v1")
    issuer = inc.add({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                      "metadata": {"name": "letsencrypt-prod", "generation": 4},
                      "spec": {"acme": {"server": "https://acme-staging-v02.api.letsencrypt.org/directory",
                                        "email": "platform@example.com",
                                        "privateKeySecretRef": {"name": "letsencrypt-prod-account"},
                                        "solvers": [{"http01": {"ingress": {"ingressClassName": "nginx"}}}]}},
                      "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ACMEAccountRegistered",
                                                 "message": "The ACME account was registered with the ACME server",
                                                 "lastTransitionTime": ts(change)}]}})
    managed(issuer, ("kubectl-edit", "Update", change, {"f:spec": {"f:acme": {"f:server": {}}}}))
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
             "metadata": {"name": "hooks-example-com", "namespace": "partners"},
             "spec": {"secretName": "hooks-example-com-tls", "dnsNames": ["hooks.example.com"],
                      "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"}},
             "status": {"notBefore": ts(renewed - timedelta(hours=1)), "notAfter": ts(renewed + timedelta(days=89)),
                        "renewalTime": ts(renewed + timedelta(days=59)), "revision": 7,
                        "conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                                        "message": "Certificate is up to date and has not expired"}]}})
    inc.secret("partners", "partner-hooks-signing", {"HMAC_SECRET": inc.canary("token", "hooks-hmac")})
    inc.series("probe_success", "gauge", "Displays whether or not the probe was a success",
               {"job": "blackbox", "instance": "https://hooks.example.com/healthz"}, step(1.0, 0.0, renewed))
    inc.series("probe_ssl_last_chain_info", "gauge", "Contains SSL leaf certificate information",
               {"job": "blackbox", "instance": "https://hooks.example.com/healthz",
                "issuer": "CN=(STAGING) Pseudo Plum E5,O=(STAGING) Let's Encrypt,C=US"}, lambda t: 1.0)
    inc.pagerduty("Partner webhook deliveries to hooks.example.com failing for 3 partners", "partner-hooks")
    inc.answer_key(culprit=("ClusterIssuer", "", "letsencrypt-prod"), keywords=["staging", "acme", "untrusted"],
                   root_cause="The letsencrypt-prod ClusterIssuer was repointed at the ACME staging server, so "
                              "the renewed hooks certificate chains to an untrusted staging CA.",
                   category="cluster-issuer-staging-acme-untrusted-chain",
                   red_herrings=[("Deployment", "ingress-nginx", "ingress-nginx-controller")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
def invoice_api_5xx_grouped() -> Incident:
    """PgBouncer's pool_mode changed from session to transaction: server-side prepared statements break.

    The pgbouncer ConfigMap in the db namespace was edited to pool_mode = transaction to fit more clients;
    the invoice API (JDBC, prepareThreshold default) now gets 'prepared statement "S_3" does not exist' and
    'already exists'. The grouped Alertmanager notification fires on the victim's 5xx and the PgBouncer
    exporter; the cause is the ConfigMap in another namespace (data and managedFields). Red herring: the
    payments ledger Deployment.
    """
    at = AT + timedelta(days=2)
    inc = Incident("invoice-api-5xx-grouped", title="Invoice API 5xx and database proxy alerts",
                   story="", at=at, seed=803, namespaces=("invoicing", "db"))
    change = at - timedelta(minutes=22)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(t: datetime) -> str | None:
            if t < change:
                return None
            stmt = "S_" + str(t.second % 7 + 1)
            return L.spring(t, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                            f'ERROR: prepared statement "{stmt}" does not exist', thread="http-nio-8080-exec-4")
        return ticks(start, end, 3.0, line)

    def bouncer_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(start, end, 60.0, lambda t: t.strftime("%Y-%m-%d %H:%M:%S.000 UTC") + " [1] LOG stats: "
                     f"{'412' if t > change else '388'} xacts/s, 1840 queries/s, in 221040 B/s, out 803112 B/s, "
                     "xact 1204 us, query 402 us, wait 9 us")
    healthy(inc, "invoicing", "invoice-api", f"{REGISTRY}/invoicing/invoice-api:4.2.1", 3, logfn(api_log))
    healthy(inc, "db", "pgbouncer", "docker.io/bitnami/pgbouncer:1.23.1", 2, logfn(bouncer_log))
    cm = inc.configmap("db", "pgbouncer", {"pgbouncer.ini": (
        "[databases]\ninvoices = host=invoices-postgres.db.svc port=5432 dbname=invoices\n\n[pgbouncer]\n"
        "listen_port = 6432\nauth_type = scram-sha-256\npool_mode = transaction\nmax_client_conn = 2000\n"
        "default_pool_size = 40\nmax_prepared_statements = 0\n")})
    managed(cm, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", change, {"f:data": {"f:pgbouncer.ini": {}}}))
    inc.secret("db", "pgbouncer-userlist", {"userlist.txt": f'"invoice" "{inc.canary("password", "pgb")}"'})
    labels = {"namespace": "invoicing", "service": "invoice-api"}
    a1 = am.alert({"alertname": "HTTP5xxRateHigh", **labels, "severity": "critical", "cluster": "prod-eu-west-1"},
                  {"summary": "invoice-api 5xx above 5%", "description": "invoice-api is returning 18% 5xx."},
                  at, 'sum(rate(http_server_requests_seconds_count{namespace="invoicing",status=~"5.."}[5m])) / '
                  'sum(rate(http_server_requests_seconds_count{namespace="invoicing"}[5m])) > 0.05')
    a2 = am.alert({"alertname": "HTTP5xxRateHigh", "namespace": "invoicing", "service": "invoice-admin",
                   "severity": "critical", "cluster": "prod-eu-west-1"},
                  {"summary": "invoice-admin 5xx above 5%", "description": "invoice-admin is returning 7% 5xx."},
                  at + timedelta(minutes=2), 'sum(rate(http_server_requests_seconds_count{namespace="invoicing",'
                  'status=~"5.."}[5m])) > 0.05')
    inc.alerts["alertmanager.json"] = am.alertmanager([a1, a2], group=["alertname", "namespace"])
    inc.series("pgbouncer_pools_client_active_connections", "gauge", "Client connections linked to server",
               {"database": "invoices", "user": "invoice"}, step(120.0, 31.0, change))
    inc.answer_key(culprit=("ConfigMap", "db", "pgbouncer"), keywords=["pool_mode", "transaction", "prepared"],
                   root_cause="The pgbouncer ConfigMap switched pool_mode to transaction, which breaks the invoice "
                              "API's server-side prepared statements.",
                   category="pgbouncer-transaction-pooling-breaks-prepared-statements",
                   red_herrings=[("Deployment", "payments", "ledger")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
def pricing_grpc_unavailable_question() -> Incident:
    """A gRPC client's keepalive time cut to 10s while the server enforces a 5-minute minimum: GOAWAY too_many_pings.

    quote-engine's new revision sets GRPC_KEEPALIVE_TIME_MS=10000 (was unset); pricing-grpc (grpc-go, default
    EnforcementPolicy MinTime 5m) answers with GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and drops the
    connections, so calls fail UNAVAILABLE. A chat question names only the server (victim); the cause is
    the client Deployment's revision in another namespace. Red herring: the shop catalog Deployment.
    """
    at = AT + timedelta(days=3, hours=2)
    inc = Incident("pricing-grpc-unavailable-question", title="Pricing gRPC calls failing",
                   story="", at=at, seed=804, namespaces=("pricing", "quotes"))
    change = at - timedelta(minutes=30)

    def server_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(max(start, change), end, 20.0, lambda t: L.go_std(
            t, "ERROR: [transport] transport: Got too many pings from the client, closing the connection."))

    def client_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(max(start, change), end, 7.0, lambda t: L.js(
            t, "error", "quote pricing call failed", code="Unavailable",
            error='rpc error: code = Unavailable desc = closing transport due to: connection error: desc = '
                  '"error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM, '
                  'debug data: "too_many_pings"'))
    healthy(inc, "pricing", "pricing-grpc", f"{REGISTRY}/pricing/pricing-grpc:3.0.2", 2, logfn(server_log))
    img = f"{REGISTRY}/quotes/quote-engine:"
    inc.deployment("quotes", "quote-engine", [
        Rev(4, inc.born + timedelta(days=20), "helm upgrade", [c("quote-engine", img + "5.3.0")]),
        Rev(5, change, "helm upgrade", [c("quote-engine", img + "5.3.1")],
            container={"env": [{"name": "GRPC_KEEPALIVE_TIME_MS", "value": "10000"},
                               {"name": "GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS", "value": "true"},
                               {"name": "PRICING_ADDR", "value": "pricing-grpc.pricing.svc:9090"}]})],
        {5: [P(log=logfn(client_log)) for _ in range(3)]})
    inc.secret("quotes", "quote-engine-secrets", {"FX_API_TOKEN": inc.canary("token", "fx")})
    inc.series("grpc_server_handled_total", "counter", "Total RPCs completed on the server.",
               {"namespace": "pricing", "grpc_service": "pricing.v1.Pricing", "grpc_code": "OK"},
               counter(at - timedelta(hours=2), 80.0, 11.0, change))
    inc.ask("Why is pricing-grpc dropping so many calls since this afternoon?")
    inc.answer_key(culprit=("Deployment", "quotes", "quote-engine"), keywords=["keepalive", "too_many_pings"],
                   root_cause="quote-engine's new revision set a 10s gRPC keepalive, below the server's enforced "
                              "minimum, so pricing-grpc sends GOAWAY too_many_pings and drops connections.",
                   category="grpc-client-keepalive-below-server-enforcement",
                   red_herrings=[("Deployment", "shop", "catalog")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
def settlement_batch_failures() -> Incident:
    """A shared JVM truststore ConfigMap replaced by a bundle without the internal CA: PKIX path building fails.

    The platform-truststore ConfigMap in payments (mounted as cacerts by settlement-worker) was re-created
    from the public Mozilla bundle only; the internal root "Example Corp Root CA G2" is gone, so calls to
    bank-gateway.internal fail with SunCertPathBuilderException. Kube-prometheus alert on the worker's
    job failures; evidence: the ConfigMap's keys/annotation and managedFields, Spring logs. Red herring:
    the payments Deployment.
    """
    at = AT + timedelta(days=4, hours=-3)
    inc = Incident("settlement-batch-failures", title="Settlement batches failing",
                   story="", at=at, seed=805)
    change = at - timedelta(minutes=40)

    def worker_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(max(start, change), end, 15.0, lambda t: L.spring(
            t, "ERROR", "c.e.settlement.BankGatewayClient",
            "I/O error on POST request for \"https://bank-gateway.internal/v2/settlements\": PKIX path building "
            "failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
            "certification path to requested target", thread="batch-2"))
    healthy(inc, "payments", "settlement-worker", f"{REGISTRY}/payments/settlement-worker:2.2.0", 2,
            logfn(worker_log), container={"volumeMounts": [{"name": "truststore", "mountPath":
                                                            "/opt/java/openjdk/lib/security/cacerts",
                                                            "subPath": "cacerts"}]})
    cm = inc.configmap("payments", "platform-truststore",
                       {"README": "Generated from ca-certificates 20240203 (Mozilla). 146 certificates."},
                       annotations={"example.com/source": "mozilla-ca-bundle"})
    cm["binaryData"] = {"cacerts": "/u3+7QAAAAIAAACSAAAAAgAGYWNjdmFp"}
    managed(cm, ("kubectl-create", "Update", change, {"f:binaryData": {"f:cacerts": {}}, "f:data": {}}))
    inc.secret("payments", "bank-gateway-client", {"CLIENT_SECRET": inc.canary("aws-secret", "bank")})
    inc.series("spring_batch_job_seconds_count", "counter", "Batch job runs",
               {"namespace": "payments", "job": "settlement-worker", "status": "FAILED"},
               counter(at - timedelta(hours=2), 0.0, 0.05, change))
    inc.alertmanager("SettlementJobFailures", {"namespace": "payments", "job": "settlement-worker"},
                     "Settlement batch jobs failing", "12 settlement batch runs failed in the last 30 minutes.",
                     'increase(spring_batch_job_seconds_count{job="settlement-worker",status="FAILED"}[30m]) > 3',
                     severity="critical")
    inc.answer_key(culprit=("ConfigMap", "payments", "platform-truststore"), keywords=["truststore", "PKIX", "CA"],
                   root_cause="The platform-truststore ConfigMap was replaced by the public CA bundle without the "
                              "internal root CA, so the JVM's PKIX check of bank-gateway fails.",
                   category="jvm-truststore-configmap-replaced-missing-internal-ca",
                   red_herrings=[("Deployment", "payments", "payments")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
def node_502_question() -> Incident:
    """ingress-nginx upstream keepalive turned off: every request opens a new upstream connection, ports run out.

    The ingress-nginx-controller ConfigMap got upstream-keepalive-connections: "0"; at peak the controller
    nodes' ephemeral ports are all in TIME_WAIT and nginx logs connect() failed (99: Cannot assign requested
    address). The chat question names only a node; the evidence is the ConfigMap change and the node's
    TIME_WAIT socket metrics. Red herring: the web frontend Deployment.
    """
    at = AT + timedelta(days=5)
    inc = Incident("node-502-question", title="502s from one node",
                   story="", at=at, seed=806)
    change = at - timedelta(hours=2, minutes=-10)
    node = inc.pods_of("ingress-nginx", "ingress-nginx-controller")[0].node
    cm = inc.configmap("ingress-nginx", "ingress-nginx-controller", {
        "allow-snippet-annotations": "false", "use-forwarded-headers": "true",
        "upstream-keepalive-connections": "0", "upstream-keepalive-timeout": "60"})
    managed(cm, ("helm", "Update", inc.born + timedelta(days=3), {"f:data": {}}),
            ("kubectl-patch", "Update", change, {"f:data": {"f:upstream-keepalive-connections": {}}}))
    upstream = inc.cluster.pod_ip(inc.pods_of("shop", "catalog")[0])

    def refused(t: datetime) -> str:
        return L.nginx_error(t, f"*{int(t.timestamp()) % 90000} connect() to {upstream}:8080 failed (99: Cannot "
                                "assign requested address) while connecting to upstream, client: 10.0.1.5, server: "
                                'shop.example.com, request: "GET /api/products HTTP/1.1", upstream: '
                                f'"http://{upstream}:8080/api/products"')
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        if h.node == node:
            h.logs[h.containers[0].name] = L.lines(ticks(at, inc.captured, 4.0, refused))
    inc.secret("web", "frontend-session", {"SESSION_KEY": inc.canary("token", "session")})
    inc.series("node_sockstat_TCP_tw", "gauge", "Number of TCP sockets in state tw.",
               {"instance": node, "job": "node-exporter"}, step(1800.0, 27500.0, change + timedelta(minutes=30)))
    inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
               {"status": "502", "ingress": "shop", "namespace": "shop"},
               counter(at - timedelta(hours=2), 0.0, 3.0, at))
    inc.ask(f"We keep getting 502s and the on-call says it's {node}, can you check it?")
    inc.answer_key(culprit=("ConfigMap", "ingress-nginx", "ingress-nginx-controller"),
                   keywords=["keepalive", "ephemeral", "TIME_WAIT"],
                   root_cause="upstream-keepalive-connections was set to 0 in the ingress-nginx-controller "
                              "ConfigMap, so every request opens a new upstream connection and ephemeral ports "
                              "pile up in TIME_WAIT until connect() fails.",
                   category="ingress-upstream-keepalive-disabled-port-exhaustion",
                   red_herrings=[("Deployment", "web", "frontend")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
def profile_stale_data_page() -> Incident:
    """A MongoDB connection string changed to readPreference=secondary: users read their own writes stale.

    accounts-api's new revision (a connection-pool tuning PR) also set readPreference=secondary in
    MONGODB_URI; replication lag on the secondaries is 20-40s during the nightly index build, so profile
    edits "disappear". Only the change (the revision's env, new ReplicaSet) and metrics (mongodb_mongod_
    replset_member_replication_lag) show it; PagerDuty pages on a support escalation (victim: the web
    profile page). Red herring: the auth-api Deployment.
    """
    at = AT + timedelta(days=6, hours=1)
    inc = Incident("profile-stale-data-page", title="Users see old profile data after saving",
                   story="", at=at, seed=807, namespaces=("accounts", "mongo"))
    change = at - timedelta(hours=5)
    img = f"{REGISTRY}/accounts/accounts-api:"
    uri = "mongodb://accounts:$(MONGO_PASSWORD)@accounts-mongo-0.accounts-mongo.mongo.svc:27017,accounts-mongo-1" \
          ".accounts-mongo.mongo.svc:27017/accounts?replicaSet=rs0&maxPoolSize=200"

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(start, end, 45.0, lambda t: L.js(t, "info", "PUT /v1/profile 200", latency_ms=18))
    inc.deployment("accounts", "accounts-api", [
        Rev(11, inc.born + timedelta(days=25), "helm upgrade", [c("accounts-api", img + "8.4.0")],
            container={"env": [{"name": "MONGODB_URI", "value": uri.replace("200", "50")}]}),
        Rev(12, change, "helm upgrade", [c("accounts-api", img + "8.4.1")],
            container={"env": [{"name": "MONGODB_URI", "value": uri + "&readPreference=secondary"}]})],
        {12: [P(log=logfn(api_log)) for _ in range(3)]})
    inc.statefulset("mongo", "accounts-mongo", [c("mongod", "docker.io/library/mongo:7.0.14", port=27017)],
                    [P(), P(), P()], inc.born + timedelta(days=2), service=27017)
    inc.secret("accounts", "accounts-mongo", {"MONGO_PASSWORD": inc.canary("password", "mongo")})
    for member, lag in (("accounts-mongo-1", 31.0), ("accounts-mongo-2", 24.0)):
        inc.series("mongodb_mongod_replset_member_replication_lag", "gauge", "replication lag in seconds",
                   {"set": "rs0", "name": f"{member}.accounts-mongo.mongo.svc:27017"},
                   step(0.4, lag, at - timedelta(hours=1)))
    inc.series("mongodb_op_counters_total", "counter", "The total number of operations",
               {"type": "query", "instance": "accounts-mongo-0"}, counter(at - timedelta(hours=2), 40.0, 40.0, at))
    inc.pagerduty("Support escalation: customers report profile changes reverting after save", "web-profile")
    inc.answer_key(culprit=("Deployment", "accounts", "accounts-api"),
                   keywords=["readPreference", "secondary", "replication lag"],
                   root_cause="accounts-api's new revision set readPreference=secondary, so reads go to "
                              "secondaries with 20-40s replication lag and users read stale profiles.",
                   category="mongodb-read-preference-secondary-stale-reads",
                   red_herrings=[("Deployment", "auth", "auth-api")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
def search_latency_burn() -> Incident:
    """An Istio sidecar CPU limit annotation cut to 100m: the envoy proxy is throttled and adds latency.

    A cost-cutting change put sidecar.istio.io/proxyCPULimit: "100m" on the search-api pod template; the
    istio-proxy container is CFS-throttled 70% of periods and p99 latency jumps from 80ms to 1.9s. The
    application container is idle. Evidence is only metrics (throttling of istio-proxy, latency) and the
    revision's annotation. SLO burn on search (victim). Red herring: the shop search Deployment.
    """
    at = AT + timedelta(days=7)
    inc = Incident("search-latency-burn", title="Search latency SLO burning",
                   story="", at=at, seed=808, namespaces=("discovery",))
    change = at - timedelta(minutes=50)
    img = f"{REGISTRY}/discovery/search-api:"
    ann = {"sidecar.istio.io/proxyCPU": "50m", "sidecar.istio.io/proxyCPULimit": "100m"}
    wl = inc.deployment("discovery", "search-api", [
        Rev(6, inc.born + timedelta(days=22), "helm upgrade", [c("search-api", img + "1.19.0"),
                                                               c("istio-proxy", "docker.io/istio/proxyv2:1.23.2",
                                                                 cpu_request="100m", cpu_limit="2000m", port=15090,
                                                                 readiness_path=None, liveness_path=None)]),
        Rev(7, change, "helm upgrade", [c("search-api", img + "1.19.0"),
                                        c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", cpu_request="50m",
                                          cpu_limit="100m", port=15090, readiness_path=None, liveness_path=None)])],
        {7: [P() for _ in range(4)]})
    for rs_obj in (wl.obj, inc.find("ReplicaSet", "discovery", wl.rs[7])):
        rs_obj["spec"]["template"]["metadata"].setdefault("annotations", {}).update(ann)
    inc.secret("discovery", "search-api", {"OPENSEARCH_PASSWORD": inc.canary("password", "os")})
    for h in wl.pods:
        base = {"namespace": "discovery", "pod": h.name}
        inc.series("container_cpu_cfs_throttled_periods_total", "counter", "Throttled periods",
                   {**base, "container": "istio-proxy"}, counter(at - timedelta(hours=2), 0.1, 7.0, change))
        inc.series("container_cpu_cfs_periods_total", "counter", "Elapsed periods",
                   {**base, "container": "istio-proxy"}, counter(at - timedelta(hours=2), 10.0, 10.0, change))
        inc.series("container_cpu_usage_seconds_total", "counter", "CPU time", {**base, "container": "search-api"},
                   counter(at - timedelta(hours=2), 0.12, 0.08, change))
    inc.series("istio_request_duration_milliseconds_p99", "gauge", "p99 of request duration (recording rule)",
               {"destination_workload": "search-api", "destination_workload_namespace": "discovery"},
               step(80.0, 1900.0, change))
    inc.slo_burn("search-api", "discovery", "search-latency", "0.99", 16.0,
                 "More than 1% of search requests are slower than 500ms.")
    inc.answer_key(culprit=("Deployment", "discovery", "search-api"),
                   keywords=["proxyCPULimit", "throttl", "sidecar"],
                   root_cause="The search-api revision set the sidecar proxyCPULimit to 100m, so the istio-proxy "
                              "sidecar is CPU throttled and adds latency to every request.",
                   category="mesh-sidecar-cpu-limit-throttles-proxy",
                   red_herrings=[("Deployment", "shop", "search")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
def inventory_overload_zone() -> Incident:
    """A Service annotated topology-mode Auto with clients all in one zone: one zone's backends take everything.

    The inventory Service got service.kubernetes.io/topology-mode: Auto; its EndpointSlice hints send each
    zone's clients to that zone's endpoints, and nearly all callers (the shop checkout pods) run in
    eu-west-1a, where only one of three inventory pods lives; it saturates while the others idle.
    Kube-prometheus alert on latency of checkout (victim); evidence: the Service annotation and
    managedFields, the EndpointSlice hints and per-pod request metrics. Red herring: the cart Deployment.
    """
    at = AT + timedelta(days=8, hours=3)
    inc = Incident("checkout-slow-requests", title="Checkout requests slow",
                   story="", at=at, seed=809, namespaces=("inventory",))
    change = at - timedelta(hours=1)
    nodes = inc.node_names()  # one inventory pod per zone: eu-west-1a, -1b, -1c
    wl = inc.deployment("inventory", "inventory", [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                                                       [c("inventory", f"{REGISTRY}/inventory/inventory:6.0.3")])],
                        {1: [P(node=nodes[i]) for i in range(3)]})
    inc.service("inventory", "inventory", {"app": "inventory"})
    svc = inc.find("Service", "inventory", "inventory")
    svc["metadata"].setdefault("annotations", {})["service.kubernetes.io/topology-mode"] = "Auto"
    managed(svc, ("helm", "Update", inc.born, {"f:spec": {}}),
            ("kubectl-annotate", "Update", change, {"f:metadata": {"f:annotations": {
                "f:service.kubernetes.io/topology-mode": {}}}}))
    zone_of = {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
               for n in inc.cluster.nodes}
    inc.add({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": "inventory-x8k2p", "namespace": "inventory",
                          "labels": {"kubernetes.io/service-name": "inventory",
                                     "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
             "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
             "endpoints": [{"addresses": [inc.cluster.pod_ip(h)], "conditions": {"ready": True},
                            "targetRef": {"kind": "Pod", "namespace": "inventory", "name": h.name},
                            "nodeName": h.node, "zone": zone_of[h.node],
                            "hints": {"forZones": [{"name": zone_of[h.node]}]}}
                           for h in wl.pods]})
    inc.secret("inventory", "inventory-db", {"DATABASE_URL": "postgres://inventory:" + inc.canary("password", "inv")
                                             + "@inventory-postgres:5432/inventory"})
    for i, h in enumerate(wl.pods):
        share = 0.94 if i == 0 else 0.03
        inc.series("http_server_requests_seconds_count", "counter", "Requests",
                   {"namespace": "inventory", "pod": h.name}, counter(at - timedelta(hours=2), 60.0, 180 * share,
                                                                      change))
        inc.series("container_cpu_usage_seconds_total", "counter", "CPU time",
                   {"namespace": "inventory", "pod": h.name, "container": "inventory"},
                   counter(at - timedelta(hours=2), 0.3, 1.0 if i == 0 else 0.03, change))
    inc.alertmanager("CheckoutLatencyHigh", {"namespace": "shop", "service": "checkout"},
                     "checkout p99 latency above 2s", "checkout p99 latency is 4.2s for 15 minutes.",
                     'histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket{namespace='
                     '"shop",service="checkout"}[5m]))) > 2')
    inc.answer_key(culprit=("Service", "inventory", "inventory"), keywords=["topology", "zone", "hints"],
                   root_cause="The inventory Service's topology-mode Auto annotation makes EndpointSlice hints route "
                              "each zone to its own endpoints; all callers are in one zone, so one pod takes "
                              "almost all traffic.",
                   category="topology-aware-routing-concentrates-load-in-one-zone",
                   red_herrings=[("Deployment", "shop", "cart")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
def order_events_publish_errors() -> Incident:
    """A Strimzi KafkaTopic raised to min.insync.replicas=3 with replicas 3: one broker restarting stops all writes.

    The order-events KafkaTopic was changed (GitOps) to min.insync.replicas: 3; with the usual rolling
    restart of broker 2 the ISR is 2 and acks=all producers get NOT_ENOUGH_REPLICAS. The alert fires on
    the orders API (victim); evidence: the custom resource's config and managedFields, producer logs in
    another namespace. Red herring: the kafka-exporter Deployment.
    """
    at = AT + timedelta(days=9)
    inc = Incident("order-events-publish-errors", title="Orders API failing to publish order events",
                   story="", at=at, seed=810, namespaces=("orders", "kafka"))
    change = at - timedelta(hours=6)

    def api_log(pod: str, start: datetime, end: datetime) -> Lines:
        return ticks(max(start, at - timedelta(minutes=4)), end, 5.0, lambda t: L.spring(
            t, "WARN", "o.a.k.c.p.i.Sender", "[Producer clientId=orders-api-1] Got error produce response with "
            "correlation id 88412 on topic-partition order-events-3, retrying (2147483646 attempts left). Error: "
            "NOT_ENOUGH_REPLICAS", thread="kafka-producer-network-thread | orders-api-1"))
    healthy(inc, "orders", "orders-api", f"{REGISTRY}/orders/orders-api:9.1.0", 2, logfn(api_log))
    healthy(inc, "kafka", "kafka-exporter", "docker.io/danielqsj/kafka-exporter:v1.8.0", 1)
    crd(inc, "kafka.strimzi.io", "KafkaTopic", "kafkatopics", "v1beta2")
    topic = inc.add({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
                     "metadata": {"name": "order-events", "namespace": "kafka",
                                  "labels": {"strimzi.io/cluster": "events"}, "generation": 5},
                     "spec": {"partitions": 12, "replicas": 3,
                              "config": {"min.insync.replicas": "3", "retention.ms": "604800000"}},
                     "status": {"conditions": [{"type": "Ready", "status": "True",
                                                "lastTransitionTime": ts(change)}], "observedGeneration": 5}})
    managed(topic, ("kustomize-controller", "Apply", change, {"f:spec": {"f:config": {
        "f:min.insync.replicas": {}}}}))
    inc.secret("orders", "orders-kafka", {"sasl.jaas.config": "password=\"" + inc.canary("password", "kafka")
                                          + "\""})
    inc.series("kafka_topic_partition_in_sync_replica", "gauge", "Number of In-Sync Replicas for this Topic/Partition",
               {"topic": "order-events", "partition": "3"}, step(3.0, 2.0, at - timedelta(minutes=5)))
    inc.series("kafka_broker_info", "gauge", "Information about the Kafka Broker",
               {"id": "2", "address": "events-kafka-2.events-kafka-brokers.kafka.svc:9092"},
               lambda t: None if t > at - timedelta(minutes=5) else 1.0)
    inc.alertmanager("OrdersPublishFailures", {"namespace": "orders", "service": "orders-api"},
                     "orders-api cannot publish order events",
                     "orders-api producer record error rate is 41/s.",
                     'sum(rate(kafka_producer_record_error_total{namespace="orders"}[5m])) > 1', severity="critical")
    inc.answer_key(culprit=("KafkaTopic", "kafka", "order-events"), keywords=["min.insync.replicas", "ISR"],
                   root_cause="The order-events KafkaTopic set min.insync.replicas to 3 with 3 replicas, so when "
                              "one broker restarts the ISR drops to 2 and acks=all writes are refused.",
                   category="kafka-min-insync-equals-replication-factor",
                   red_herrings=[("Deployment", "kafka", "kafka-exporter")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
def nightly_export_never_finishes() -> Incident:
    """A CronJob's concurrencyPolicy switched to Replace: each run kills the previous, still-running export.

    The warehouse-export CronJob's schedule went from daily to hourly with concurrencyPolicy Replace; the
    export takes ~80 minutes, so every hour the controller deletes the running Job and starts a new one.
    Evidence is only events (SuccessfulDelete / SuccessfulCreate by cronjob-controller) and the CronJob's
    managedFields. PagerDuty pages the data team (victim: the report freshness). Red herring: the
    recommendations Deployment.
    """
    at = AT + timedelta(days=10)
    inc = Incident("nightly-export-never-finishes", title="Warehouse export never completes",
                   story="", at=at, seed=811, namespaces=("data",))
    change = at - timedelta(hours=7)
    cj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "warehouse-export", "namespace": "data", "generation": 6},
                  "spec": {"schedule": "15 * * * *", "concurrencyPolicy": "Replace", "suspend": False,
                           "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                           "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                               "restartPolicy": "Never",
                               "containers": [{"name": "export", "image": f"{REGISTRY}/data/exporter:3.4.0",
                                               "args": ["--full", "--target=s3://dwh-exports/"]}]}}}}},
                  "status": {"lastScheduleTime": ts(at - timedelta(minutes=57))}})
    managed(cj, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:schedule": {}, "f:concurrencyPolicy": {}}}))
    for k in range(6):
        run = change + timedelta(minutes=15 + 60 * k)
        if run > inc.captured:
            break
        name = f"warehouse-export-{int(run.timestamp()) // 60}"
        inc.event(cj, "SuccessfulCreate", f"Created job {name}", run, warning=False, component="cronjob-controller")
        if run + timedelta(hours=1) <= inc.captured:
            inc.event(cj, "SuccessfulDelete", f"Deleted job {name}", run + timedelta(hours=1), warning=False,
                      component="cronjob-controller")
    inc.secret("data", "dwh-export", {"AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "dwh"),
                                      "AWS_ACCESS_KEY_ID": inc.canary("aws", "dwh")})
    inc.series("kube_cronjob_status_last_successful_time", "gauge", "LastSuccessfulTime",
               {"namespace": "data", "cronjob": "warehouse-export"},
               lambda t: float(int((change - timedelta(hours=20)).timestamp())))
    inc.pagerduty("Daily revenue dashboard stale: warehouse data older than 26h", "data-platform")
    inc.answer_key(culprit=("CronJob", "data", "warehouse-export"), keywords=["concurrencyPolicy", "Replace"],
                   root_cause="warehouse-export was made hourly with concurrencyPolicy Replace, so each run "
                              "deletes the previous export Job before it can finish.",
                   category="cronjob-replace-policy-kills-long-run",
                   red_herrings=[("Deployment", "web", "recommendations")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
def ledger_writes_failing_grouped() -> Incident:
    """A node's root filesystem remounted read-only (node-problem-detector ReadonlyFilesystem): its pods cannot write.

    The EBS volume of one node hit an I/O error and ext4 remounted it read-only; node-problem-detector set the
    condition ReadonlyFilesystem=True and kernel events, but the node stays Ready, so pods on it keep
    receiving traffic and fail on writes to emptyDir ("Read-only file system"). Evidence: node conditions
    and events only. Grouped Alertmanager notification on the ledger (victim). Red herring: the payments
    Deployment.
    """
    at = AT + timedelta(days=11)
    inc = Incident("ledger-writes-failing-grouped", title="Ledger write errors on some pods",
                   story="", at=at, seed=812)
    node = inc.pods_of("payments", "ledger")[0].node
    broke = at - timedelta(minutes=25)
    nobj = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == node)
    nobj["status"]["conditions"].append({"type": "ReadonlyFilesystem", "status": "True",
                                         "reason": "FilesystemIsReadOnly",
                                         "message": "Node condition ReadonlyFilesystem is now: True, reason: "
                                                    "FilesystemIsReadOnly, message: \"EXT4-fs (nvme0n1p1): "
                                                    "Remounting filesystem read-only\"",
                                         "lastHeartbeatTime": ts(inc.captured), "lastTransitionTime": ts(broke)})
    inc.event(nobj, "FilesystemIsReadOnly", "Node condition ReadonlyFilesystem is now: True, reason: "
              "FilesystemIsReadOnly", broke, component="kernel-monitor", host=node)
    inc.event(nobj, "KernelOops", "kernel: EXT4-fs error (device nvme0n1p1): ext4_journal_check_start:83: "
              "Detected aborted journal", broke - timedelta(seconds=2), component="kernel-monitor", host=node)
    on_node = [h for h in inc.pods_of("payments", "ledger") if h.node == node]
    for h in on_node:
        h.logs[h.containers[0].name] = L.lines(ticks(broke, inc.captured, 6.0, lambda t: L.js(
            t, "error", "journal append failed",
            error="open /var/spool/ledger/journal-000412.wal: read-only file system")))
    inc.secret("payments", "ledger-hsm", {"HSM_PIN": inc.canary("password", "hsm")})
    inc.series("node_filesystem_readonly", "gauge", "Filesystem read-only status.",
               {"instance": node, "mountpoint": "/", "device": "/dev/nvme0n1p1"}, step(0.0, 1.0, broke))
    alerts = [am.alert({"alertname": "LedgerWriteErrors", "namespace": "payments", "pod": h.name,
                        "severity": "critical", "cluster": "prod-eu-west-1"},
                       {"summary": f"{h.name} failing writes", "description": "Ledger journal append errors > 1/s."},
                       at + timedelta(seconds=30 * i), 'rate(ledger_journal_append_errors_total[5m]) > 1')
              for i, h in enumerate(inc.pods_of("payments", "ledger"))]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["alertname", "namespace"])
    inc.answer_key(culprit=("Node", "", node), keywords=["read-only", "ReadonlyFilesystem", "filesystem"],
                   root_cause=f"Node {node}'s root filesystem was remounted read-only after an EXT4 error "
                              "(ReadonlyFilesystem condition); ledger pods on it fail to write their filesystem "
                              "journal while the node stays Ready.",
                   category="node-root-filesystem-remounted-read-only",
                   red_herrings=[("Deployment", "payments", "payments")])
    return inc


ALL = [storefront_checkout_errors_burn, partner_webhooks_failing_page, invoice_api_5xx_grouped,
       pricing_grpc_unavailable_question, settlement_batch_failures, node_502_question, profile_stale_data_page,
       search_latency_burn, inventory_overload_zone, order_events_publish_errors, nightly_export_never_finishes,
       ledger_writes_failing_grouped]
