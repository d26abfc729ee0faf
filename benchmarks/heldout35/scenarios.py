"""Round 35 of the held-out incident set: edges, name resolution and traffic between clusters.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit where names are resolved and traffic crosses an edge: pod DNS policy and
resolver options mutated by policy, ClusterMesh service affinity, external-dns endpoints shared by two
clusters, Gateway API gRPC routes, WebSocket timeouts at the ingress, browser rules (CORS, CSP, SameSite
cookies), dual-stack egress policy, arm64 and Windows node pools. Most pages are on the applications
they hurt; about a third are simple (the cause sits in the failing object's own spec, events or logs).
Log lines follow the real software's formats (Go logfmt, Python logging with Authlib tracebacks, .NET
console logging, Rust tracing, grpc-go, Envoy Gateway JSON, Traefik JSON, ingress-nginx, CoreDNS, pino
JSON, containerd pull errors, external-dns).
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

from benchmarks.heldout.scene import changed, crd, every, send, start, step  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function keeping only lines inside the container run (its last three hours), sorted."""
    def log(pod: str, start: datetime, end: datetime) -> str:
        begin = max(start, end - timedelta(hours=3))
        return L.lines(sorted(x for x in make(pod, begin, end) if begin <= x[0] <= end))
    return log


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def victim(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
           replicas: int = 3, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, f"{REGISTRY}/{ns}/{name}:2.{len(name)}.0",
                                                                    **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=within(make)) for _ in range(replicas)]})


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, group: str, version: str, plural: str, ns: str, name: str,
           spec: dict[str, Any], status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 7) -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago and last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec,
                   "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def pino(t: datetime, level: int, pod: str, msg: str, **fields: object) -> str:
    """A pino JSON line (numeric level, epoch milliseconds)."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod, **fields,
                       "msg": msg}, separators=(",", ":"))


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str) -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


# ---- 1: simple -------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 1, 9, 42, tzinfo=UTC)


def stock_sync_runs_failing() -> Incident:
    """A Deployment revision sets dnsPolicy Default: pods use the node's VPC resolver, cluster names fail.

    after: everyday on-call tickets and Kubernetes docs warnings about `dnsPolicy: Default` (copied from a
    host-network agent's manifest): the pod inherits the node's resolv.conf, so `*.svc.cluster.local` names
    go to the cloud resolver and come back NXDOMAIN while public names keep working.

    inventory/stock-sync revision 2 (25 minutes before the page, `kubectl apply`) adds `dnsPolicy: Default`
    to the pod template. Its Go workers log `lookup warehouse-api.inventory.svc.cluster.local on
    10.0.0.2:53: no such host` (the VPC resolver, not the cluster DNS 172.20.0.10) while supplier calls to
    a public host succeed. The page is on stock-sync itself (simple). Red herring: warehouse-api, the
    service it cannot reach, rolled out 40 minutes earlier and is healthy.
    """
    inc = start(stock_sync_runs_failing, "StockSyncRunsFailing: inventory/stock-sync", AT1, 3501,
                namespaces=("inventory",))
    chg = AT1 - timedelta(minutes=25)
    plant(inc, "inventory", "supplier-api", "token", "supplier", "token")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return L.logfmt(t, "info", "supplier feed fetched", host="feeds.supplier.example.net",
                                items=410 + i % 37, took_ms=180 + i % 90)
            return L.logfmt(t, "error", "sync batch failed", batch=8800 + i, attempt=1 + i % 3,
                            err='Put "http://warehouse-api.inventory.svc.cluster.local:8080/v1/stock": dial tcp: '
                                "lookup warehouse-api.inventory.svc.cluster.local on 10.0.0.2:53: no such host")
        return every(s + timedelta(seconds=4), e, 20, line)

    base = [c("stock-sync", f"{REGISTRY}/inventory/stock-sync:4.2.0",
              env=[{"name": "WAREHOUSE_URL", "value": "http://warehouse-api.inventory.svc.cluster.local:8080"}])]
    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade", base),
            Rev(2, chg, "kubectl apply --filename=deploy/stock-sync.yaml", base,
                pod_spec={"dnsPolicy": "Default"})]
    inc.deployment("inventory", "stock-sync", revs, {2: [P(log=within(log)) for _ in range(2)]})
    herring(inc, "inventory", "warehouse-api", f"{REGISTRY}/inventory/warehouse-api", "3.8",
            AT1 - timedelta(minutes=40))
    inc.service("inventory", "warehouse-api", {"app": "warehouse-api"})
    begin = AT1 - timedelta(hours=2)
    for result, (before, after) in (("ok", (0.05, 0.0)), ("error", (0.0, 0.05))):
        inc.series("stock_sync_batches_total", "counter", "Stock sync batches by result.",
                   {"namespace": "inventory", "job": "stock-sync", "result": result},
                   counter(begin, before, after, chg + timedelta(seconds=40)))
    send(inc, [alert(inc, "StockSyncRunsFailing", {"namespace": "inventory", "job": "stock-sync"},
                     "stock-sync batches failing in inventory",
                     "More than 90% of stock-sync batches failed over the last 15 minutes.",
                     'sum(rate(stock_sync_batches_total{job="stock-sync",result="error"}[15m])) / '
                     'sum(rate(stock_sync_batches_total{job="stock-sync"}[15m])) > 0.9')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "inventory", "stock-sync"),
                   keywords=["dnsPolicy", "Default", "no such host"],
                   root_cause="stock-sync's revision 2 set dnsPolicy: Default, so its pods resolve through the "
                              "node's VPC resolver, which does not know cluster.local names: every call to "
                              "warehouse-api fails with no such host.",
                   category="pod-dns-policy-default-skips-cluster-dns",
                   red_herrings=[("Deployment", "inventory", "warehouse-api")])
    return inc


# ---- 2: simple -------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 1, 14, 18, tzinfo=UTC)


def account_login_callback_errors() -> Incident:
    """The BFF's session cookie set to SameSite=Strict: the IdP's redirect back arrives without it.

    after: public write-ups and framework issue threads about "state mismatch" / CSRF warnings after a
    session cookie was hardened to SameSite=Strict: a cross-site top-level redirect from the identity
    provider does not carry Strict cookies, so the OAuth state stored in the session is missing.

    identity/account-bff revision 5 (50 minutes before the page) changes SESSION_COOKIE_SAMESITE from Lax to
    Strict. Gunicorn access lines show `GET /auth/callback` answered 400 and Authlib raises
    MismatchingStateException on every login; logins already in progress elsewhere still work. The page
    names account-bff (simple). Red herring: Keycloak rolled out a patch release 80 minutes earlier.
    """
    inc = start(account_login_callback_errors, "AccountBffCallbackErrors: identity/account-bff", AT2, 3502,
                namespaces=("identity",))
    chg = AT2 - timedelta(minutes=50)
    plant(inc, "identity", "account-bff-oidc", "token", "oidc-client", "client-secret")
    plant(inc, "identity", "account-bff-session", "password", "flask-secret", "SECRET_KEY")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for i, t in enumerate(L.every(s + timedelta(seconds=7), e, 41)):
            ip = f"10.244.{1 + i % 3}.{30 + i % 50}"
            if i % 4 == 3:
                out.append((t, f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET /account/orders HTTP/1.1"'
                               ' 200 5120 "https://www.example.com/" "Mozilla/5.0"'))
                continue
            out.append((t, L.pylog(t, "ERROR", "account_bff.auth", "OIDC callback failed") + "\n"
                        "Traceback (most recent call last):\n"
                        '  File "/app/account_bff/auth.py", line 91, in callback\n'
                        "    token = oauth.idp.authorize_access_token()\n"
                        '  File "/usr/local/lib/python3.12/site-packages/authlib/integrations/flask_client/'
                        'apps.py", line 100, in authorize_access_token\n'
                        "    params = self._format_state_params(state_data, params)\n"
                        '  File "/usr/local/lib/python3.12/site-packages/authlib/integrations/base_client/'
                        'sync_app.py", line 234, in _format_state_params\n'
                        "    raise MismatchingStateException()\n"
                        "authlib.integrations.base_client.errors.MismatchingStateException: mismatching_state: "
                        "CSRF Warning! State not equal in request and response."))
            out.append((t + timedelta(milliseconds=4),
                        f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET /auth/callback?code=Zk{i:04d}'
                        f'&state=st{i:05d} HTTP/1.1" 400 167 "https://login.example.com/" "Mozilla/5.0"'))
        return out

    def env(samesite: str) -> list[dict[str, Any]]:
        return [{"name": "OIDC_ISSUER", "value": "https://login.example.com/realms/customers"},
                {"name": "SESSION_COOKIE_SECURE", "value": "true"},
                {"name": "SESSION_COOKIE_SAMESITE", "value": samesite},
                {"name": "SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "account-bff-session",
                                                                      "key": "SECRET_KEY"}}}]

    image = f"{REGISTRY}/identity/account-bff:1.19.2"
    revs = [Rev(4, inc.born + timedelta(days=20), "helm upgrade", [c("account-bff", image, env=env("Lax"))]),
            Rev(5, chg, "helm upgrade account-bff --set session.sameSite=Strict",
                [c("account-bff", image, env=env("Strict"))])]
    inc.deployment("identity", "account-bff", revs, {5: [P(log=within(log)) for _ in range(3)]})
    herring(inc, "identity", "keycloak", "quay.io/keycloak/keycloak", "26.0.6", AT2 - timedelta(minutes=80))
    http_codes(inc, "identity", "account-bff", (4.0, 1.1), (0.01, 2.9), chg + timedelta(minutes=1), "400")
    send(inc, [alert(inc, "AccountBffCallbackErrors", {"namespace": "identity", "service": "account-bff"},
                     "account-bff: login callbacks failing",
                     "Over 60% of /auth/callback requests on account-bff answer 4xx for 10 minutes.",
                     'sum(rate(http_requests_total{service="account-bff",handler="/auth/callback",code=~"4.."}'
                     '[10m])) / sum(rate(http_requests_total{service="account-bff",handler="/auth/callback"}'
                     "[10m])) > 0.6", "critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "identity", "account-bff"),
                   keywords=["SameSite", "Strict", "mismatching_state"],
                   root_cause="account-bff's revision 5 set the session cookie to SameSite=Strict; the browser "
                              "does not send it on the identity provider's cross-site redirect to "
                              "/auth/callback, so the OAuth state is missing and Authlib refuses every login "
                              "(mismatching_state).",
                   category="session-cookie-samesite-strict-drops-oidc-state",
                   red_herrings=[("Deployment", "identity", "keycloak")])
    return inc


# ---- 3: simple -------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 1, 16, 55, tzinfo=UTC)


def thumbnailer_replicas_pending() -> Incident:
    """A Deployment pinned to arm64 nodes in a cluster whose pools are all amd64: new pods never schedule.

    after: cost-saving moves to Graviton described in vendor migration guides and on-call tickets, where
    the `kubernetes.io/arch: arm64` selector reaches a cluster that has no arm64 node group yet (it exists
    only in the other region's cluster), so the rollout stalls with FailedScheduling.

    media/thumbnailer revision 8 (30 minutes before the page) adds nodeSelector `kubernetes.io/arch:
    arm64` together with a multi-arch image; its two new pods are Pending with `4 node(s) didn't match Pod's
    node affinity/selector`, every node is labelled amd64, and the old ReplicaSet keeps two of four replicas.
    The page names thumbnailer (simple). Red herring: upload-api rolled out 20 minutes earlier.
    """
    inc = start(thumbnailer_replicas_pending, "KubeDeploymentReplicasMismatch: media/thumbnailer", AT3, 3503,
                namespaces=("media",))
    chg = AT3 - timedelta(minutes=30)
    plant(inc, "media", "thumbnailer-s3", "aws", "thumbs", "AWS_ACCESS_KEY_ID")
    msg = ("0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes "
           "are available: 4 Preemption is not helpful for scheduling.")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s + timedelta(seconds=3), e, 37, lambda i, t: L.pylog(
            t, "INFO", "thumbnailer.worker", f"rendered {3 + i % 5} sizes for upload {77000 + i} in "
                                             f"{0.4 + (i % 9) / 10:.1f}s"))

    revs = [Rev(7, inc.born + timedelta(days=16), "helm upgrade",
                [c("thumbnailer", f"{REGISTRY}/media/thumbnailer:2.3.0", memory_limit="1Gi")]),
            Rev(8, chg, "helm upgrade thumbnailer --values values-graviton.yaml",
                [c("thumbnailer", f"{REGISTRY}/media/thumbnailer:2.4.0-multiarch", memory_limit="1Gi")],
                pod_spec={"nodeSelector": {"kubernetes.io/arch": "arm64"}})]
    inc.deployment("media", "thumbnailer", revs,
                   {7: [P(log=within(log)), P(log=within(log))],
                    8: [P(state="pending", message=msg), P(state="pending", message=msg)]},
                   progress="deadline", replicas=4)
    herring(inc, "media", "upload-api", f"{REGISTRY}/media/upload-api", "5.1", AT3 - timedelta(minutes=20))
    inc.series("thumbnailer_queue_depth", "gauge", "Uploads waiting for thumbnails.",
               {"namespace": "media", "job": "thumbnailer"},
               lambda t: 40.0 if t < chg else 40.0 + (t - chg).total_seconds() / 6)
    send(inc, [alert(inc, "KubeDeploymentReplicasMismatch",
                     {"namespace": "media", "deployment": "thumbnailer", "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment media/thumbnailer has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "media", "thumbnailer"),
                   keywords=["nodeSelector", "arm64", "affinity/selector"],
                   root_cause="thumbnailer's revision 8 added nodeSelector kubernetes.io/arch: arm64, but every "
                              "node in this cluster is amd64: the new pods stay Pending (didn't match node "
                              "affinity/selector) and the rollout stalls at half capacity.",
                   category="arch-node-selector-without-matching-pool",
                   red_herrings=[("Deployment", "media", "upload-api")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 2, 11, 6, tzinfo=UTC)


def storefront_pages_failing_burn() -> Incident:
    """A ClusterMesh global Service annotated `service.cilium.io/affinity: remote`: calls cross regions.

    after: Cilium ClusterMesh docs and postmortems about global services whose affinity sends every
    request to the peer cluster: each call gains a cross-region round trip, fan-out pages blow their
    budgets, and the local backends go idle.

    shop/inventory is a global service (`service.cilium.io/global: "true"`) shared with the us-east-1
    cluster; 45 minutes before the page `kubectl annotate` added `service.cilium.io/affinity: remote` (a
    failover drill left in place). storefront's pino logs show TimeoutErrors to 10.32.x.x backends (the peer
    cluster's pod CIDR), local inventory pods' request rate falls to almost zero while they stay healthy.
    The SLO burn is on storefront. Red herring: shop/pricing rolled out 30 minutes earlier.
    """
    inc = start(storefront_pages_failing_burn, "storefront availability SLO burn", AT4, 3504)
    chg = AT4 - timedelta(minutes=45)
    plant(inc, "web", "storefront-session", "token", "storefront", "SESSION_SECRET")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg:
                return pino(t, 30, pod, "request completed", req={"method": "GET", "url": f"/p/{1200 + i}"},
                            res={"statusCode": 200}, responseTime=140 + i % 60)
            if i % 3 == 0:
                return pino(t, 30, pod, "request completed", req={"method": "GET", "url": f"/p/{1200 + i}"},
                            res={"statusCode": 200}, responseTime=1320 + i % 170)
            return pino(t, 50, pod, "inventory lookup failed",
                        upstream=f"10.32.{4 + i % 3}.{17 + i % 40}:8080", sku=f"SKU-{48000 + i}",
                        err={"type": "TimeoutError", "message": "The operation was aborted due to timeout",
                             "code": 23})
        return every(s + timedelta(seconds=2), e, 15, line)

    victim(inc, "web", "storefront", log, env=[{"name": "INVENTORY_URL", "value": "http://inventory.shop:80"},
                                               {"name": "INVENTORY_TIMEOUT_MS", "value": "900"}])
    inv = victim(inc, "shop", "inventory", lambda p, s, e: every(s, e, 60, lambda i, t: L.logfmt(
        t, "info", "served", path="/v1/availability", requests=(140 if t < chg else 2) + i % 9)), replicas=3)
    del inv
    inc.service("shop", "inventory", {"app": "inventory"})
    svc = inc.find("Service", "shop", "inventory")
    svc["metadata"]["annotations"] = {"service.cilium.io/global": "true", "service.cilium.io/shared": "true",
                                      "service.cilium.io/affinity": "remote"}
    changed(svc, ("helm", "Update", inc.born + timedelta(days=3),
                  {"f:metadata": {"f:annotations": {"f:service.cilium.io/global": {},
                                                    "f:service.cilium.io/shared": {}}}}),
            ("kubectl-annotate", "Update", chg,
             {"f:metadata": {"f:annotations": {"f:service.cilium.io/affinity": {}}}}))
    herring(inc, "shop", "pricing", f"{REGISTRY}/shop/pricing", "7.2", AT4 - timedelta(minutes=30))
    begin = AT4 - timedelta(hours=2)
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": "shop", "service": "inventory", "job": "inventory", "code": "200"},
               counter(begin, 140.0, 2.0, chg))
    inc.series("cilium_clustermesh_remote_cluster_readiness_status", "gauge",
               "The readiness status of remote clusters.",
               {"namespace": "kube-system", "job": "cilium-agent", "target_cluster": "prod-us-east-1"}, lambda t: 1.0)
    http_codes(inc, "web", "storefront", (60.0, 25.0), (0.02, 31.0), chg + timedelta(minutes=1), "504")
    inc.slo_burn("storefront", "web", "storefront-availability", "0.995", 19.4,
                 "storefront has answered 5xx to more than half of page requests for 40 minutes.")
    inc.answer_key(culprit=("Service", "shop", "inventory"),
                   keywords=["affinity", "remote", "ClusterMesh"],
                   root_cause="the global Service shop/inventory was annotated service.cilium.io/affinity: remote, "
                              "so Cilium ClusterMesh sends every call to the peer cluster's backends across regions; "
                              "storefront's inventory calls exceed their timeout and pages fail.",
                   category="clustermesh-service-affinity-remote",
                   red_herrings=[("Deployment", "shop", "pricing")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 2, 15, 31, tzinfo=UTC)


def partner_uploads_failing_page() -> Incident:
    """A clusterwide egress policy rewritten to `toCIDRSet 0.0.0.0/0`: IPv6 egress dropped on a dual-stack cluster.

    after: dual-stack migrations written up by platform teams where an allow rule for "the internet" was
    expressed as an IPv4 CIDR: clients that try AAAA addresses first and do not fall back quickly (.NET's
    sequential connect under HttpClient.Timeout) stall on dropped SYNs.

    The cluster-scoped CiliumClusterwideNetworkPolicy baseline-egress was re-applied by Argo CD 50 minutes
    before the page: `toEntities: [world]` became `toCIDRSet: 0.0.0.0/0` on 443. partners/partner-sync
    (.NET 8) logs HttpClient.Timeout cancellations connecting to the bank's IPv6 address; Cilium's
    Policy denied egress drops jump at the change. The page is on partner-sync. Red herring: a namespaced
    CiliumNetworkPolicy on partner-sync's ingress, edited two hours earlier.
    """
    inc = start(partner_uploads_failing_page, "partner-sync: settlement uploads failing", AT5, 3505,
                namespaces=("partners",))
    chg = AT5 - timedelta(minutes=50)
    plant(inc, "partners", "partner-bank-api", "token", "bank", "apiKey")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        first = 51000 + sum(pod.encode()) % 400 * 10

        def line(i: int, t: datetime) -> str:
            if t < chg:
                return ("info: PartnerSync.Upload.SettlementUploader[0]\n"
                        f"      Uploaded settlement batch {first + i} to api.partner-bank.example in {310 + i % 90} ms")
            if i % 2:
                return ("info: PartnerSync.Upload.SettlementUploader[0]\n"
                        f"      Connecting to api.partner-bank.example (2001:db8:4a1:20::15, 203.0.113.40) "
                        f"for batch {first + i}")
            return ("fail: PartnerSync.Upload.SettlementUploader[0]\n"
                    f"      Settlement upload failed for batch {first + i - 1}\n"
                    "      System.Threading.Tasks.TaskCanceledException: The request was canceled due to the "
                    "configured HttpClient.Timeout of 30 seconds elapsing.\n"
                    "       ---> System.TimeoutException: A task was canceled.\n"
                    "       ---> System.Threading.Tasks.TaskCanceledException: A task was canceled.\n"
                    "         at System.Net.Http.HttpConnectionPool.ConnectToTcpHostAsync(String host, Int32 port, "
                    "HttpRequestMessage initialRequest, Boolean async, CancellationToken cancellationToken)\n"
                    "         at System.Net.Http.HttpConnectionPool.ConnectAsync(HttpRequestMessage request, "
                    "Boolean async, CancellationToken cancellationToken)\n"
                    "         at PartnerSync.Upload.SettlementUploader.UploadAsync(SettlementBatch batch) in "
                    "/src/PartnerSync/Upload/SettlementUploader.cs:line 74")
        return every(s + timedelta(seconds=5), e, 31, line)

    victim(inc, "partners", "partner-sync", log, replicas=2,
           env=[{"name": "PARTNER_BANK_URL", "value": "https://api.partner-bank.example/v3/settlements"},
                {"name": "ASPNETCORE_ENVIRONMENT", "value": "Production"}])
    custom(inc, "CiliumClusterwideNetworkPolicy", "cilium.io", "v2", "ciliumclusterwidenetworkpolicies", "",
           "baseline-egress",
           {"description": "Baseline egress for application namespaces",
            "endpointSelector": {"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "NotIn",
                                                       "values": ["kube-system"]}]},
            "egress": [{"toEndpoints": [{}]},
                       {"toEntities": ["kube-apiserver"]},
                       {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                         "k8s-app": "kube-dns"}}],
                        "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}]}]},
                       {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}],
                        "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]},
           {"conditions": [{"type": "Valid", "status": "True", "lastTransitionTime": ts(chg),
                            "message": "Policy validation succeeded"}]},
           "argocd-controller", chg,
           {"f:spec": {"f:egress": {}}, "f:metadata": {"f:annotations": {"f:argocd.argoproj.io/tracking-id": {}}}},
           scope="Cluster", generation=12)
    custom(inc, "CiliumNetworkPolicy", "cilium.io", "v2", "ciliumnetworkpolicies", "partners",
           "allow-partner-sync-ingress",
           {"endpointSelector": {"matchLabels": {"app": "partner-sync"}},
            "ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "monitoring"}}],
                         "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}]},
           {"conditions": [{"type": "Valid", "status": "True", "lastTransitionTime": ts(AT5 - timedelta(hours=2))}]},
           "kubectl-edit", AT5 - timedelta(hours=2), {"f:spec": {"f:ingress": {}}})
    inc.configmap("kube-system", "cilium-config", {"enable-ipv4": "true", "enable-ipv6": "true",
                                                   "cluster-name": "prod-eu-west-1", "ipam": "eni"})
    begin = AT5 - timedelta(hours=2)
    inc.series("cilium_drop_count_total", "counter", "Total dropped packets, tagged by drop reason and direction",
               {"namespace": "kube-system", "job": "cilium-agent", "reason": "Policy denied", "direction": "EGRESS"},
               counter(begin, 0.02, 3.4, chg + timedelta(seconds=30)))
    inc.series("partner_sync_uploads_total", "counter", "Settlement uploads by outcome.",
               {"namespace": "partners", "job": "partner-sync", "outcome": "failed"},
               counter(begin, 0.0, 0.03, chg + timedelta(minutes=1)))
    inc.pagerduty("[partners] partner-sync: settlement uploads failing for 30 minutes", "partner-sync")
    inc.answer_key(culprit=("CiliumClusterwideNetworkPolicy", "", "baseline-egress"),
                   keywords=["IPv6", "0.0.0.0/0", "world"],
                   root_cause="baseline-egress replaced toEntities world with toCIDRSet 0.0.0.0/0, so IPv6 egress "
                              "is denied on the dual-stack cluster; partner-sync connects to the bank's AAAA "
                              "address first and its uploads time out.",
                   category="clusterwide-egress-policy-ipv4-only-drops-ipv6",
                   red_herrings=[("CiliumNetworkPolicy", "partners", "allow-partner-sync-ingress")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 2, 19, 12, tzinfo=UTC)


def checkout_quotes_unimplemented() -> Incident:
    """A GRPCRoute's method match moved to the next API version: the gateway has no route for v1 calls.

    after: Gateway API migration notes and issue threads where a GRPCRoute match on `service` was switched
    to a new proto package before its clients moved: Envoy answers the old service with a local 404,
    which gRPC clients see as `Unimplemented`.

    shipping/shipping-quotes (gateway.networking.k8s.io/v1 GRPCRoute) was edited 35 minutes before the
    page: its match `service: shipping.v1.QuoteService` became `shipping.v2.QuoteService`, while
    orders/checkout-orchestrator still calls v1. Envoy Gateway's JSON access log answers 404 `NR`
    `route_not_found`; grpc-go in the orchestrator logs `code = Unimplemented`; the quotes server's own
    request rate drops to zero. The page is an exporter rule on the orchestrator. Red herring:
    shipping/carrier-adapter rolled out an hour earlier.
    """
    inc = start(checkout_quotes_unimplemented, "GRPCClientErrorsHigh: orders/checkout-orchestrator", AT6, 3506,
                namespaces=("orders", "shipping", "envoy-gateway-system"))
    chg = AT6 - timedelta(minutes=35)
    plant(inc, "orders", "orchestrator-db", "password", "orch-db", "password")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg or i % 4 == 0:
                return L.logfmt(t, "info", "checkout step done", step="reserve", order=f"O-{611000 + i}",
                                took_ms=35 + i % 20)
            return L.logfmt(t, "error", "shipping quote failed", order=f"O-{611000 + i}",
                            target="gateway.internal.example.com:443",
                            err="rpc error: code = Unimplemented desc = ")
        return every(s + timedelta(seconds=3), e, 12, line)

    victim(inc, "orders", "checkout-orchestrator", log,
           env=[{"name": "SHIPPING_QUOTES_ADDR", "value": "gateway.internal.example.com:443"}])
    victim(inc, "shipping", "quote-server", lambda p, s, e: every(s, e, 120, lambda i, t: L.spring(
        t, "INFO", "i.g.s.ServerImpl", f"Served {(800 if t < chg else 0) + i % 13} calls in the last 120s",
        "grpc-default-executor-0")), replicas=2)
    custom(inc, "GRPCRoute", "gateway.networking.k8s.io", "v1", "grpcroutes", "shipping", "shipping-quotes",
           {"parentRefs": [{"name": "internal", "namespace": "envoy-gateway-system", "sectionName": "grpc"}],
            "hostnames": ["gateway.internal.example.com"],
            "rules": [{"matches": [{"method": {"type": "Exact", "service": "shipping.v2.QuoteService"}}],
                       "backendRefs": [{"name": "quote-server", "port": 9090}]}]},
           {"parents": [{"parentRef": {"name": "internal", "namespace": "envoy-gateway-system",
                                       "sectionName": "grpc"},
                         "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                         "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                                         "observedGeneration": 6, "lastTransitionTime": ts(chg)},
                                        {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs",
                                         "observedGeneration": 6, "lastTransitionTime": ts(chg)}]}]},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:rules": {}}}, generation=6)
    inc.service("shipping", "quote-server", {"app": "quote-server"}, port=9090, target=9090)

    def gw(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            late = t >= chg
            rec = {"start_time": ts(t), "method": "POST",
                   "x-envoy-origin-path": "/shipping.v1.QuoteService/GetQuote", "protocol": "HTTP/2",
                   "response_code": 404 if late else 200, "response_flags": "NR" if late else "-",
                   "response_code_details": "route_not_found" if late else "via_upstream",
                   "bytes_received": 61, "bytes_sent": 0 if late else 118, "duration": 0 if late else 14,
                   "x-request-id": L.uuidish(pod, i), ":authority": "gateway.internal.example.com",
                   "upstream_host": None if late else f"10.244.3.{40 + i % 2}:9090",
                   "upstream_cluster": None if late else "grpcroute/shipping/shipping-quotes/rule/0",
                   "route_name": None if late else "grpcroute/shipping/shipping-quotes/rule/0/match/0/"
                                                   "gateway_internal_example_com"}
            return json.dumps(rec, separators=(",", ":"))
        return every(s + timedelta(seconds=1), e, 9, line)

    victim(inc, "envoy-gateway-system", "envoy-internal-gw", gw, replicas=2)
    herring(inc, "shipping", "carrier-adapter", f"{REGISTRY}/shipping/carrier-adapter", "2.9",
            AT6 - timedelta(minutes=60))
    begin = AT6 - timedelta(hours=2)
    for code, (before, after) in (("OK", (12.0, 0.0)), ("Unimplemented", (0.0, 11.0))):
        inc.series("grpc_client_handled_total", "counter", "Total number of RPCs completed by the client.",
                   {"namespace": "orders", "job": "checkout-orchestrator", "grpc_service": "shipping.v1.QuoteService",
                    "grpc_method": "GetQuote", "grpc_type": "unary", "grpc_code": code},
                   counter(begin, before, after, chg + timedelta(seconds=20)))
    send(inc, [alert(inc, "GRPCClientErrorsHigh",
                     {"namespace": "orders", "job": "checkout-orchestrator",
                      "grpc_service": "shipping.v1.QuoteService"},
                     "checkout-orchestrator: gRPC calls failing",
                     "More than 50% of checkout-orchestrator's calls to shipping.v1.QuoteService fail.",
                     'sum by (grpc_service) (rate(grpc_client_handled_total{job="checkout-orchestrator",'
                     'grpc_code!="OK"}[5m])) / sum by (grpc_service) (rate(grpc_client_handled_total'
                     '{job="checkout-orchestrator"}[5m])) > 0.5', "critical")], ["alertname", "namespace"])
    inc.answer_key(culprit=("GRPCRoute", "shipping", "shipping-quotes"),
                   keywords=["GRPCRoute", "v2", "route_not_found"],
                   root_cause="the GRPCRoute shipping-quotes now matches only shipping.v2.QuoteService; the "
                              "orchestrator still calls v1, which no route matches: Envoy answers 404 NR and the "
                              "client sees Unimplemented (route_not_found).",
                   category="grpcroute-method-match-renamed-service",
                   red_herrings=[("Deployment", "shipping", "carrier-adapter")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 3, 10, 27, tzinfo=UTC)


def live_chat_disconnects_grouped() -> Incident:
    """An Ingress's proxy-read-timeout cut below the WebSocket heartbeat: ingress-nginx closes idle sockets.

    after: long-lived WebSocket connections through a reverse proxy whose read timeout is shorter than the
    application's ping interval, a common on-call finding after a chart re-render resets annotations:
    every quiet socket is cut at the timeout and clients reconnect in waves.

    support/support-realtime (Ingress for chat-gateway's /ws) was re-rendered by Helm 55 minutes before the
    page: `nginx.ingress.kubernetes.io/proxy-read-timeout` went from "3600" to "60" while chat-gateway
    pings every 90 s. ingress-nginx logs 101 responses with request_time 60.0 and `upstream timed out`;
    the Rust gateway logs sockets reset without a closing handshake after 60 s. Three alerts in one
    notification. Red herring: support/chat-history rolled out 70 minutes earlier.
    """
    inc = start(live_chat_disconnects_grouped, "support: chat alerts", AT7, 3507, namespaces=("support",))
    chg = AT7 - timedelta(minutes=55)
    plant(inc, "support", "chat-gateway-jwt", "jwt", "chat", "signing-key")

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}Z"
            sid = L.uuidish(pod, i)[:18]
            if t < chg:
                return f"{stamp}  INFO chat_gateway::session: heartbeat ok session_id={sid} rtt_ms={20 + i % 30}"
            if i % 2:
                return (f"{stamp}  WARN chat_gateway::session: websocket closed abnormally session_id={sid} "
                        f'lifetime_s=60.0 error="WebSocket protocol error: Connection reset without closing '
                        f'handshake"')
            return f"{stamp}  INFO chat_gateway::session: websocket upgraded session_id={sid} resumed=true"
        return every(s + timedelta(seconds=2), e, 6, line)

    victim(inc, "support", "chat-gateway", log, replicas=3,
           env=[{"name": "WS_PING_INTERVAL_SECS", "value": "90"}])
    victim(inc, "support", "chat-fanout", lambda p, s, e: every(s, e, 60, lambda i, t: L.logfmt(
        t, "warn" if t >= chg else "info", "delivery lag", p99_ms=(120 if t < chg else 8400 + i % 900))), replicas=2)
    inc.service("support", "chat-gateway", {"app": "chat-gateway"})
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "chat-gateway", "namespace": "support"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "chat-gateway"},
                      "minReplicas": 2, "maxReplicas": 3,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 65}}}]},
             "status": {"currentReplicas": 3, "desiredReplicas": 3, "lastScaleTime": ts(chg + timedelta(minutes=6)),
                        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                            "averageUtilization": 118, "averageValue": "354m"}}}]}})
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "support-realtime", "namespace": "support", "generation": 9,
                                "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "60",
                                                "nginx.ingress.kubernetes.io/proxy-send-timeout": "60",
                                                "meta.helm.sh/release-name": "support-realtime",
                                                "meta.helm.sh/release-namespace": "support"}},
                   "spec": {"ingressClassName": "nginx",
                            "rules": [{"host": "chat.example.com", "http": {"paths": [
                                {"path": "/ws", "pathType": "Prefix",
                                 "backend": {"service": {"name": "chat-gateway", "port": {"number": 80}}}}]}}],
                            "tls": [{"hosts": ["chat.example.com"], "secretName": "chat-example-com-tls"}]},
                   "status": {"loadBalancer": {"ingress": [{"hostname": "a1b2c3-nlb.elb.eu-west-1.amazonaws.com"}]}}})
    changed(ing, ("helm", "Update", chg,
                  {"f:metadata": {"f:annotations": {"f:nginx.ingress.kubernetes.io/proxy-read-timeout": {},
                                                    "f:nginx.ingress.kubernetes.io/proxy-send-timeout": {}}}}))
    ctl = inc.pods_of("ingress-nginx", "ingress-nginx-controller")
    for n, h in enumerate(ctl):
        def nginx(i: int, t: datetime, n: int = n) -> str:
            ip = f"198.51.100.{10 + (i * 7 + n * 3) % 200}"
            if t < chg:
                return L.nginx_access(t, ip, "GET /ws", 101, 1834, "support-chat-gateway-80", "101",
                                      300.0 + (i * 37 + n * 11) % 3300)
            if i % 3 == 2:
                return L.nginx_error(t, f"upstream timed out (110: Connection timed out) while reading upstream, "
                                        f'client: {ip}, server: chat.example.com, request: "GET /ws HTTP/1.1", '
                                        f'upstream: "http://10.244.{1 + i % 3}.{60 + n}:8080/ws", host: '
                                        '"chat.example.com"', conn=4000 + i)
            return L.nginx_access(t, ip, "GET /ws", 101, 1834, "support-chat-gateway-80", "101", 60.001)
        h.logs["ingress-nginx-controller"] = L.lines(every(AT7 - timedelta(hours=2), inc.captured, 10, nginx))
    herring(inc, "support", "chat-history", f"{REGISTRY}/support/chat-history", "3.3", AT7 - timedelta(minutes=70))
    begin = AT7 - timedelta(hours=2)
    inc.series("chat_ws_connections_opened_total", "counter", "WebSocket connections accepted.",
               {"namespace": "support", "job": "chat-gateway"}, counter(begin, 2.0, 95.0, chg + timedelta(minutes=1)))
    labels = {"namespace": "support"}
    send(inc, [alert(inc, "ChatReconnectStorm", {**labels, "job": "chat-gateway"},
                     "chat-gateway: clients reconnecting in waves",
                     "WebSocket connection rate is 40x its 1-day average.",
                     'rate(chat_ws_connections_opened_total{job="chat-gateway"}[5m]) > 40 * '
                     'avg_over_time(rate(chat_ws_connections_opened_total{job="chat-gateway"}[5m])[1d:5m])',
                     "critical"),
               alert(inc, "ChatDeliveryLagHigh", {**labels, "job": "chat-fanout"},
                     "chat-fanout: message delivery p99 above 5s",
                     "Messages wait for their recipient's socket to come back.",
                     'histogram_quantile(0.99, sum by (le) (rate(chat_delivery_seconds_bucket[5m]))) > 5'),
               alert(inc, "KubeHpaMaxedOut", {**labels, "horizontalpodautoscaler": "chat-gateway",
                                              "job": "kube-state-metrics"},
                     "HPA is running at max replicas",
                     "HPA support/chat-gateway has been running at max replicas for longer than 15 minutes.",
                     'kube_horizontalpodautoscaler_status_current_replicas == '
                     'kube_horizontalpodautoscaler_spec_max_replicas')], ["namespace"])
    inc.answer_key(culprit=("Ingress", "support", "support-realtime"),
                   keywords=["proxy-read-timeout", "heartbeat", "idle"],
                   root_cause="the Ingress support-realtime's proxy-read-timeout was re-rendered from 3600 to 60 s, "
                              "below chat-gateway's 90 s heartbeat: ingress-nginx closes every idle "
                              "WebSocket at 60 s and clients reconnect in waves.",
                   category="ingress-proxy-read-timeout-below-websocket-heartbeat",
                   red_herrings=[("Deployment", "support", "chat-history")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 3, 13, 48, tzinfo=UTC)


def basket_adds_dropped_page() -> Incident:
    """A Traefik headers Middleware's CORS origin list gains a trailing slash: browsers block the API.

    after: CORS outages described in frontend postmortems and proxy issue threads where the allowed origin
    was written as a URL (`https://www.example.com/`) instead of an origin: nothing matches, the preflight
    answer carries no Access-Control-Allow-Origin and the browser refuses the real request.

    web/api-cors (traefik.io/v1alpha1 Middleware) was edited 40 minutes before the page: its
    accessControlAllowOriginList became `https://www.example.com/` and `https://m.example.com/`. Traefik's
    JSON access log shows OPTIONS preflights answered without the header and POSTs from browsers vanish;
    the browser-error sink (pino) records Chrome's "blocked by CORS policy" messages; storefront-bff's own
    logs only show fewer requests. PagerDuty on the basket funnel. Red herring: storefront-bff itself
    rolled out 30 minutes before the page.
    """
    inc = start(basket_adds_dropped_page, "storefront: add-to-basket rate dropped", AT8, 3508,
                namespaces=("traefik",))
    chg = AT8 - timedelta(minutes=40)
    plant(inc, "web", "storefront-bff-jwt", "jwt", "bff", "JWT_SECRET")
    custom(inc, "Middleware", "traefik.io", "v1alpha1", "middlewares", "web", "api-cors",
           {"headers": {"accessControlAllowMethods": ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                        "accessControlAllowHeaders": ["content-type", "authorization", "x-request-id"],
                        "accessControlAllowOriginList": ["https://www.example.com/", "https://m.example.com/"],
                        "accessControlAllowCredentials": True, "accessControlMaxAge": 600,
                        "addVaryHeader": True}},
           {}, "kubectl-edit", chg, {"f:spec": {"f:headers": {"f:accessControlAllowOriginList": {}}}},
           generation=4)

    def sink(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg:
                return None if i % 5 else pino(t, 30, pod, "browser error", page="/p/sku",
                                               message="ResizeObserver loop completed with undelivered "
                                                       "notifications.")
            origin = "https://www.example.com" if i % 3 else "https://m.example.com"
            return pino(t, 40, pod, "browser error", page="/basket", origin=origin, ua="Chrome/131.0.0.0",
                        message=f"Access to fetch at 'https://api.example.com/v2/basket/items' from origin "
                                f"'{origin}' has been blocked by CORS policy: Response to preflight request "
                                "doesn't pass access control check: No 'Access-Control-Allow-Origin' header is "
                                "present on the requested resource.")
        return every(s + timedelta(seconds=3), e, 8, line)

    victim(inc, "web", "browser-error-sink", sink, replicas=2)
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade",
                [c("storefront-bff", f"{REGISTRY}/web/storefront-bff:6.3.0")]),
            Rev(2, AT8 - timedelta(minutes=30), "helm upgrade",
                [c("storefront-bff", f"{REGISTRY}/web/storefront-bff:6.3.1")])]

    def bff(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s + timedelta(seconds=4), e, 30, lambda i, t: pino(
            t, 30, pod, "request completed", req={"method": "GET" if i % 4 else "POST", "url": "/v2/basket"},
            res={"statusCode": 200}, responseTime=30 + i % 25))

    inc.deployment("web", "storefront-bff", revs, {2: [P(log=within(bff)) for _ in range(3)]})

    def traefik(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            late = t >= chg
            method = "OPTIONS" if late or i % 2 else "POST"
            rec: dict[str, Any] = {
                "ClientHost": f"203.0.113.{20 + i % 200}", "DownstreamContentSize": 0 if method == "OPTIONS" else 412,
                "DownstreamStatus": 200, "Duration": 1200000 if method == "OPTIONS" else 38000000,
                "RequestHost": "api.example.com", "RequestMethod": method, "RequestPath": "/v2/basket/items",
                "RequestProtocol": "HTTP/2.0", "RouterName": "web-storefront-api-2c1d@kubernetescrd",
                "ServiceName": "web-storefront-bff-80@kubernetescrd", "entryPointName": "websecure",
                "level": "info", "msg": "", "time": ts(t),
                "request_Origin": "https://www.example.com"}
            if not late:
                rec["downstream_Access-Control-Allow-Origin"] = "https://www.example.com"
            return json.dumps(rec, separators=(",", ":"))
        return every(s + timedelta(seconds=1), e, 7, line)

    victim(inc, "traefik", "traefik", traefik, replicas=2)
    inc.service("web", "storefront-bff", {"app": "storefront-bff"})
    begin = AT8 - timedelta(hours=2)
    inc.series("basket_items_added_total", "counter", "Items added to baskets.",
               {"namespace": "web", "job": "storefront-bff"}, counter(begin, 6.0, 0.4, chg + timedelta(seconds=30)))
    inc.pagerduty("storefront: add-to-basket rate down 90% vs last week", "storefront")
    inc.answer_key(culprit=("Middleware", "web", "api-cors"),
                   keywords=["CORS", "Access-Control-Allow-Origin", "trailing slash"],
                   root_cause="the Traefik Middleware api-cors lists origins with a trailing slash, which no "
                              "browser Origin matches: preflights get no Access-Control-Allow-Origin and browsers "
                              "block basket calls to api.example.com.",
                   category="cors-allowed-origin-trailing-slash",
                   red_herrings=[("Deployment", "web", "storefront-bff")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 3, 17, 3, tzinfo=UTC)


def checkout_starts_dropped() -> Incident:
    """A security-headers ConfigMap adds `connect-src 'self'`: the checkout page may not call its API origin.

    after: Content-Security-Policy roll-outs described in engineering blogs that went straight to enforce
    mode: the page loads, but fetches to a separate API origin are blocked and only CSP violation reports
    show why.

    web/storefront-headers (the nginx snippet storefront-web includes) was edited 45 minutes before the page
    and Reloader rolled storefront-web: the new Content-Security-Policy has `connect-src 'self'`, and the
    checkout page calls https://api.example.com. The CSP report collector logs connect-src violations for
    that URI; checkout-api's session starts fall to a trickle (old tabs only). The exporter rule is on
    checkout-api. Red herring: payments/stripe-webhooks rolled out an hour before.
    """
    inc = start(checkout_starts_dropped, "CheckoutStartsDropped: shop/checkout-api", AT9, 3509)
    chg = AT9 - timedelta(minutes=45)
    plant(inc, "shop", "checkout-api-stripe", "stripe", "checkout", "STRIPE_SECRET_KEY")
    csp = ("default-src 'self'; script-src 'self' https://js.stripe.com; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: https://img.example.com; connect-src 'self'; frame-src https://js.stripe.com; "
           "report-uri https://csp.example.com/report")
    cm = inc.configmap("web", "storefront-headers", {
        "security-headers.conf": "add_header Strict-Transport-Security \"max-age=31536000\" always;\n"
                                 "add_header X-Content-Type-Options nosniff always;\n"
                                 f"add_header Content-Security-Policy \"{csp}\" always;\n"},
        annotations={"reloader.stakater.com/match": "true"})  # opted in; the Deployment searches
    changed(cm, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:security-headers.conf": {}}}))
    nginx = [c("storefront-web", "docker.io/library/nginx:1.27.3", port=8080)]
    mount: dict[str, Any] = {"volumes": [{"name": "headers", "configMap": {"name": "storefront-headers"}}]}
    mounted: dict[str, Any] = {"volumeMounts": [{"name": "headers", "mountPath": "/etc/nginx/snippets",
                                                 "readOnly": True}]}
    revs = [Rev(11, inc.born + timedelta(days=15), "helm upgrade", nginx, pod_spec=mount, container=mounted),
            Rev(12, chg + timedelta(seconds=20), "reloader: configmap storefront-headers changed", nginx,
                pod_spec=mount, container=mounted)]
    def served(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 15, lambda i, t: f'203.0.113.{i % 250} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] '
                                            '"GET /checkout HTTP/1.1" 200 18422 "-" "Mozilla/5.0"')

    inc.deployment("web", "storefront-web", revs,
                   {12: [P(created=chg + timedelta(seconds=25 + 20 * n), log=within(served)) for n in range(3)]},
                   annotations={"reloader.stakater.com/search": "true"})

    def reports(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg:
                return None
            body = {"csp-report": {"document-uri": "https://www.example.com/checkout",
                                   "violated-directive": "connect-src", "effective-directive": "connect-src",
                                   "blocked-uri": "https://api.example.com/v1/checkout/sessions",
                                   "disposition": "enforce", "status-code": 200}}
            return L.pylog(t, "INFO", "csp_collector", "report " + json.dumps(body, separators=(",", ":")))
        return every(s + timedelta(seconds=5), e, 11, line)

    victim(inc, "web", "csp-collector", reports, replicas=1)
    victim(inc, "shop", "checkout-api", lambda p, s, e: every(s, e, 45, lambda i, t: L.spring(
        t, "INFO", "c.e.checkout.SessionController", f"created checkout session cs_{i:05d}", "http-nio-8080-exec-3")
        if t < chg or i % 6 == 0 else None), replicas=2)
    herring(inc, "payments", "stripe-webhooks", f"{REGISTRY}/payments/stripe-webhooks", "2.0",
            AT9 - timedelta(minutes=60))
    begin = AT9 - timedelta(hours=2)
    inc.series("checkout_sessions_started_total", "counter", "Checkout sessions created.",
               {"namespace": "shop", "job": "checkout-api"}, counter(begin, 1.8, 0.1, chg + timedelta(minutes=1)))
    send(inc, [alert(inc, "CheckoutStartsDropped", {"namespace": "shop", "job": "checkout-api"},
                     "checkout-api: checkout sessions down 90%",
                     "Checkout session creation is below 10% of the same hour last week.",
                     'sum(rate(checkout_sessions_started_total[15m])) < 0.1 * '
                     'sum(rate(checkout_sessions_started_total[15m] offset 1w))', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("ConfigMap", "web", "storefront-headers"),
                   keywords=["Content-Security-Policy", "connect-src", "CSP"],
                   root_cause="storefront-headers now sends a CSP (Content-Security-Policy) with connect-src 'self'; "
                              "the checkout page's calls to https://api.example.com are blocked by the browser, "
                              "so checkout sessions are never created.",
                   category="csp-connect-src-self-blocks-api-origin",
                   red_herrings=[("Deployment", "payments", "stripe-webhooks")])
    return inc


# ---- 10: question naming only a host ---------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 8, 37, tzinfo=UTC)
WIN_NODE = "ip-10-0-5-15.eu-west-1.compute.internal"


def win_node_pods_failing_question() -> Incident:
    """A log-shipper DaemonSet upgraded to tolerate every taint and lost its Linux selector: it lands on Windows.

    after: mixed Linux/Windows clusters in vendor docs and chart issue threads, where a DaemonSet rendered
    with `tolerations: [{operator: Exists}]` and no `kubernetes.io/os: linux` selector schedules onto the
    tainted Windows node and never starts there (no Windows image in the manifest list).

    logging/fluent-bit's ControllerRevision 2 (40 minutes before the question) drops the nodeSelector and
    tolerates everything. Its pod on the Windows node (label kubernetes.io/os=windows, taint os=windows)
    is in ImagePullBackOff: containerd reports `no match for platform in manifest`. The question names only
    that node. Red herring: reports/legacy-reports, the Windows workload on that node, rolled out three
    hours earlier and is healthy.
    """
    inc = start(win_node_pods_failing_question, "pods failing on a node", AT10, 3510,
                namespaces=("logging", "reports"))
    chg = AT10 - timedelta(minutes=40)
    plant(inc, "logging", "fluent-bit-es", "password", "es-writer", "HTTP_Passwd")
    linux_nodes = inc.node_names()
    win = o.node(WIN_NODE, 5, inc.born + timedelta(days=20), "eu-west-1c", cpu=4, memory_gi=16, now=inc.captured)
    win["kind"], win["apiVersion"] = "Node", "v1"
    win["metadata"]["labels"].update({"kubernetes.io/os": "windows", "beta.kubernetes.io/os": "windows",
                                      "node.kubernetes.io/windows-build": "10.0.20348",
                                      "eks.amazonaws.com/nodegroup": "windows-2022",
                                      "node.kubernetes.io/instance-type": "m6i.xlarge"})
    win["spec"]["taints"] = [{"key": "os", "value": "windows", "effect": "NoSchedule"}]
    win["status"]["nodeInfo"] = {**win["status"].get("nodeInfo", {}), "operatingSystem": "windows",
                                 "osImage": "Windows Server 2022 Datacenter", "kernelVersion": "10.0.20348.2849",
                                 "containerRuntimeVersion": "containerd://1.7.20"}
    inc.cluster.nodes.append(win)
    image = "cr.fluentbit.io/fluent/fluent-bit:3.2.2"
    old_image = "cr.fluentbit.io/fluent/fluent-bit:3.1.9"
    linux_sel: dict[str, Any] = {"nodeSelector": {"kubernetes.io/os": "linux"}}
    new_spec: dict[str, Any] = {"tolerations": [{"operator": "Exists"}]}
    owner = o.owner_ref("DaemonSet", "fluent-bit", "logging")

    def template(img: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {"metadata": {"labels": {"app": "fluent-bit"}},
                "spec": {"containers": [c("fluent-bit", img, port=2020).spec()], "serviceAccountName": "fluent-bit",
                         **extra}}

    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "fluent-bit", "namespace": "logging", "generation": 2, "labels": {
                      "app": "fluent-bit", "helm.sh/chart": "fluent-bit-0.48.3"},
                      "annotations": {"deprecated.daemonset.template.generation": "2",
                                      "meta.helm.sh/release-name": "fluent-bit"}},
                  "spec": {"selector": {"matchLabels": {"app": "fluent-bit"}}, "template": template(image, new_spec),
                           "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}},
                  "status": {"currentNumberScheduled": 5, "desiredNumberScheduled": 5, "numberAvailable": 4,
                             "numberReady": 4, "numberUnavailable": 1, "numberMisscheduled": 0,
                             "observedGeneration": 2, "updatedNumberScheduled": 5}})
    changed(ds, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:tolerations": {},
                                                                               "f:nodeSelector": {}}}}}))
    hashes = {}
    for n, (img, extra, at) in enumerate(((old_image, linux_sel, inc.born + timedelta(days=2)), (image, new_spec, chg)),
                                         start=1):
        hashes[n] = o.suffix(f"fluent-bit/{n}", 10)
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"fluent-bit-{hashes[n]}", "namespace": "logging",
                              "labels": {"app": "fluent-bit", "controller-revision-hash": hashes[n]},
                              "ownerReferences": [owner], "creationTimestamp": ts(at)},
                 "data": {"spec": {"template": template(img, extra)}}, "revision": n})
    rev = Rev(2, chg, "helm upgrade fluent-bit", [c("fluent-bit", image, port=2020)], pod_spec=new_spec)

    def shipped(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s + timedelta(seconds=2), e, 60, lambda i, t: (
            f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [ info] [output:es:es.0] flushed {180 + i % 40} records"))

    labels = {"app": "fluent-bit", "controller-revision-hash": hashes[2]}
    for i, name in enumerate(linux_nodes):
        inc._pod("logging", "fluent-bit", f"fluent-bit-{o.suffix(name, 5)}", rev,
                 P(node=name, created=chg + timedelta(seconds=30 * i), log=within(shipped)), i, labels, owner)
    msg = (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
           f'"{image}": no match for platform in manifest: not found')
    inc._pod("logging", "fluent-bit", f"fluent-bit-{o.suffix(WIN_NODE, 5)}", rev,
             P(state="waiting", waiting_reason="ImagePullBackOff", message=msg, node=WIN_NODE,
               created=chg + timedelta(seconds=150)), 4, labels, owner)
    win_spec = {"nodeSelector": {"kubernetes.io/os": "windows"},
                "tolerations": [{"key": "os", "value": "windows", "operator": "Equal", "effect": "NoSchedule"}]}
    base = f"{REGISTRY}/reports/legacy-reports"
    revs = [Rev(3, inc.born + timedelta(days=21), "helm upgrade", [c("legacy-reports", f"{base}:4.7-ltsc2022")],
                pod_spec=win_spec),
            Rev(4, AT10 - timedelta(hours=3), "helm upgrade", [c("legacy-reports", f"{base}:4.8-ltsc2022")],
                pod_spec=win_spec)]
    inc.deployment("reports", "legacy-reports", revs, {4: [P(node=WIN_NODE)]})
    inc.ask(f"Something's wrong on {WIN_NODE} - a pod there has been failing for half an hour and the "
            "reports team is asking if their node is broken. What's going on?")
    inc.answer_key(culprit=("DaemonSet", "logging", "fluent-bit"),
                   keywords=["toleration", "windows", "no match for platform"],
                   root_cause="fluent-bit's new revision has a toleration for every taint and no longer selects "
                              "Linux nodes, "
                              "so the DaemonSet schedules a pod onto the Windows node, where its Linux-only image "
                              "cannot be pulled (no match for platform in manifest).",
                   category="daemonset-tolerate-all-lands-on-windows-node",
                   red_herrings=[("Deployment", "reports", "legacy-reports")])
    return inc


# ---- 11: question naming only a workload -----------------------------------------------------------
AT11 = datetime(2026, 12, 4, 12, 52, tzinfo=UTC)


def order_router_errors_question() -> Incident:
    """A Kyverno ClusterPolicy mutates every new pod to ndots 1: musl clients stop expanding `svc.ns` names.

    after: DNS-tuning advice ("lower ndots to cut lookups") applied cluster-wide through an admission
    policy, as platform postmortems describe: glibc resolvers still fall back to the search list, but
    musl (Alpine) does not, so two-label names such as `ledger.payments` resolve only on old pods.

    ClusterPolicy dns-ndots-tuning (kyverno.io/v1, cluster-scoped) was applied 70 minutes before the
    question. order-router's two pods created after it (an HPA scale-up) carry dnsConfig ndots 1 and
    Kyverno's last-applied-patches annotation; they log `[Errno -2] Name does not resolve` for
    ledger.payments, the two older pods work. CoreDNS (log plugin on) answers `ledger.payments.` NXDOMAIN.
    The question names only order-router. Red herring: the CoreDNS Corefile edit that enabled query logging
    three hours earlier.
    """
    inc = start(order_router_errors_question, "order-router errors", AT11, 3511, namespaces=("orders",))
    chg = AT11 - timedelta(minutes=70)
    plant(inc, "orders", "order-router-db", "password", "router-db", "DATABASE_PASSWORD")
    custom(inc, "ClusterPolicy", "kyverno.io", "v1", "clusterpolicies", "", "dns-ndots-tuning",
           {"background": False, "validationFailureAction": "Audit",
            "rules": [{"name": "set-ndots",
                       "match": {"any": [{"resources": {"kinds": ["Pod"], "operations": ["CREATE"]}}]},
                       "exclude": {"any": [{"resources": {"namespaces": ["kube-system"]}}]},
                       "mutate": {"patchStrategicMerge": {"spec": {"dnsConfig": {"options": [
                           {"name": "ndots", "value": "1"}]}}}}}]},
           {"ready": True, "conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                           "message": "Ready", "lastTransitionTime": ts(chg)}],
            "rulecount": {"generate": 0, "mutate": 1, "validate": 0, "verifyimages": 0}},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:rules": {}}}, scope="Cluster", generation=1)
    pol = inc.find("ClusterPolicy", "", "dns-ndots-tuning")
    pol["metadata"]["creationTimestamp"] = ts(chg)
    pol["metadata"]["managedFields"] = pol["metadata"]["managedFields"][1:]
    pol["metadata"]["managedFields"][0]["operation"] = "Update"

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        broken = s >= chg

        def line(i: int, t: datetime) -> str:
            if broken and i % 3:
                return (L.pylog(t, "ERROR", "order_router.ledger", f"posting order O-{720000 + i} to ledger failed")
                        + "\nTraceback (most recent call last):\n"
                          '  File "/usr/local/lib/python3.12/site-packages/aiohttp/connector.py", line 1302, in '
                          "_create_direct_connection\n"
                          "    hosts = await self._resolve_host(host, port, traces=traces)\n"
                          "socket.gaierror: [Errno -2] Name does not resolve\n\n"
                          "The above exception was the direct cause of the following exception:\n\n"
                          "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
                          "ledger.payments:80 ssl:default [Name does not resolve]")
            return L.pylog(t, "INFO", "order_router.api", f"routed order O-{720000 + i} to ledger in {12 + i % 9} ms")
        return every(s + timedelta(seconds=3), e, 19, line)

    rev = Rev(6, inc.born + timedelta(days=18), "helm upgrade",
              [c("order-router", f"{REGISTRY}/orders/order-router:3.5.1-alpine",
                 env=[{"name": "LEDGER_URL", "value": "http://ledger.payments"}])])
    plans = [P(log=within(log)), P(log=within(log)),
             P(log=within(log), created=AT11 - timedelta(minutes=38)),
             P(log=within(log), created=AT11 - timedelta(minutes=37))]
    wl = inc.deployment("orders", "order-router", [rev], {6: plans})
    for h in wl.pods[2:]:
        def mutate(pod: dict[str, Any]) -> None:
            pod["spec"]["dnsConfig"] = {"options": [{"name": "ndots", "value": "1"}]}
            pod["metadata"].setdefault("annotations", {})["policies.kyverno.io/last-applied-patches"] = (
                "dns-ndots-tuning.set-ndots.kyverno.io: added /spec/dnsConfig\n")
        inc.cluster.patch("orders", h.name, mutate)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "order-router", "namespace": "orders"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "order-router"},
                      "minReplicas": 2, "maxReplicas": 8,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 70}}}]},
             "status": {"currentReplicas": 4, "desiredReplicas": 4,
                        "lastScaleTime": ts(AT11 - timedelta(minutes=38))}})
    core = inc.find("ConfigMap", "kube-system", "coredns")
    core["data"]["Corefile"] = core["data"]["Corefile"].replace("errors", "errors\n    log", 1)
    changed(core, ("kubectl-edit", "Update", AT11 - timedelta(hours=3), {"f:data": {"f:Corefile": {}}}))
    for n, h in enumerate(inc.pods_of("kube-system", "coredns")):
        def dns(i: int, t: datetime, n: int = n) -> str:
            if t >= chg and i % 2:
                return (f'[INFO] 10.244.{2 + n}.{41 + i % 2}:{40000 + i % 20000} - {i % 65535} "A IN ledger.payments. '
                        f'udp 33 false 512" NXDOMAIN qr,rd,ra 108 0.0{11 + i % 9}s')
            return (f'[INFO] 10.244.{1 + n}.{30 + i % 20}:{41000 + i % 20000} - {i % 65535} "A IN '
                    f'ledger.payments.svc.cluster.local. udp 51 false 512" NOERROR qr,aa,rd 100 0.000{200 + i % 90}s')
        h.logs["coredns"] = L.lines(every(AT11 - timedelta(hours=3), inc.captured, 13, dns))
    inc.ask("order-router has been throwing errors for about an hour, but only some of its pods. What changed?")
    inc.answer_key(culprit=("ClusterPolicy", "", "dns-ndots-tuning"),
                   keywords=["ndots", "ClusterPolicy", "Name does not resolve"],
                   root_cause="the Kyverno ClusterPolicy dns-ndots-tuning sets ndots 1 on every new pod; "
                              "order-router's Alpine (musl) pods created since then try ledger.payments only as "
                              "an absolute name, get NXDOMAIN and never try the search list (Name does not resolve).",
                   category="kyverno-mutate-ndots-one-breaks-musl-short-names",
                   red_herrings=[("ConfigMap", "kube-system", "coredns")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 18, 9, tzinfo=UTC)


def psp_callbacks_absent() -> Incident:
    """An external-dns DNSEndpoint re-pointed to the other region's load balancer before that cluster serves the host.

    after: multi-cluster cut-overs described in postmortems where the DNS record was moved first: the
    partner's webhooks reach a cluster with no route for the host (404 at its ingress), and the cluster that
    should receive them simply sees traffic stop.

    payments/psp-callbacks (externaldns.k8s.io/v1alpha1 DNSEndpoint) was edited 30 minutes before the page:
    the CNAME for callbacks.pay.example.com now targets the eu-central-1 NLB. external-dns logs the UPSERT;
    ingress-nginx here stops seeing callback requests; the blackbox probe gets 404 for the host;
    callback-receiver's rate falls to zero and payments wait in pending. The exporter rule is on
    callback-receiver. Red herring: payments/payments-reconciler rolled out 50 minutes earlier.
    """
    inc = start(psp_callbacks_absent, "PSPCallbacksAbsent: payments/callback-receiver", AT12, 3512,
                namespaces=("external-dns",))
    chg = AT12 - timedelta(minutes=30)
    plant(inc, "payments", "psp-callback-hmac", "token", "psp-hmac", "hmac-key")
    plant(inc, "external-dns", "route53-credentials", "aws-secret", "r53", "aws_secret_access_key")
    central = "k8s-ingress-nginx-7f3e9a1c2b-0d4e5f.elb.eu-central-1.amazonaws.com"
    local = "k8s-ingress-nginx-a1b2c3d4e5-9f8e7d.elb.eu-west-1.amazonaws.com"
    custom(inc, "DNSEndpoint", "externaldns.k8s.io", "v1alpha1", "dnsendpoints", "payments", "psp-callbacks",
           {"endpoints": [{"dnsName": "callbacks.pay.example.com", "recordType": "CNAME", "recordTTL": 60,
                           "targets": [central]}]},
           {"observedGeneration": 5}, "kubectl-edit", chg, {"f:spec": {"f:endpoints": {}}}, generation=5)

    def edns(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%SZ")
            if chg <= t < chg + timedelta(minutes=1):
                return (f'time="{stamp}" level=info msg="Desired change: UPSERT callbacks.pay.example.com CNAME" '
                        'profile=default zoneID=/hostedzone/Z08123452QW7EXAMPLE zoneName=pay.example.com.')
            return f'time="{stamp}" level=info msg="All records are already up to date"'
        return [*every(s + timedelta(seconds=9), e, 60, line), (chg + timedelta(seconds=50), (
            f'time="{(chg + timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M:%SZ")}" level=info msg="2 record(s) were '
            'successfully updated" profile=default zoneID=/hostedzone/Z08123452QW7EXAMPLE zoneName=pay.example.com.'))]

    revs = [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                [c("external-dns", "registry.k8s.io/external-dns/external-dns:v0.15.0", port=7979)],
                container={"args": ["--source=service", "--source=ingress", "--source=crd", "--provider=aws",
                                    "--policy=upsert-only", "--registry=txt", "--txt-owner-id=prod-eu-west-1",
                                    "--domain-filter=pay.example.com"]})]
    inc.deployment("external-dns", "external-dns", revs, {1: [P(log=within(edns))]})

    def receiver(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg:
                return L.spring(t, "INFO", "c.e.p.callbacks.CallbackController",
                                f"accepted PSP event evt_{900000 + i} type=charge.succeeded", "http-nio-8080-exec-7")
            if i % 6:
                return None
            return L.spring(t, "WARN", "c.e.p.callbacks.PendingWatch",
                            f"{40 + i} payments pending for more than 5 minutes", "scheduling-1")
        return every(s + timedelta(seconds=4), e, 20, line)

    victim(inc, "payments", "callback-receiver", receiver, replicas=2)
    herring(inc, "payments", "payments-reconciler", f"{REGISTRY}/payments/payments-reconciler", "1.11",
            AT12 - timedelta(minutes=50))
    begin = AT12 - timedelta(hours=2)
    inc.series("psp_callbacks_received_total", "counter", "PSP webhook callbacks accepted.",
               {"namespace": "payments", "job": "callback-receiver"},
               counter(begin, 3.2, 0.0, chg + timedelta(minutes=2)))
    inc.series("probe_http_status_code", "gauge", "Response HTTP status code",
               {"namespace": "monitoring", "job": "blackbox", "instance": "https://callbacks.pay.example.com/health"},
               step(200.0, 404.0, chg + timedelta(minutes=2)))
    inc.configmap("payments", "callback-receiver-config", {"PUBLIC_HOST": "callbacks.pay.example.com",
                                                           "LB_HOSTNAME": local})
    send(inc, [alert(inc, "PSPCallbacksAbsent", {"namespace": "payments", "job": "callback-receiver"},
                     "No PSP callbacks received for 20 minutes",
                     "callback-receiver has accepted no payment-provider webhooks for 20 minutes; payments stay "
                     "pending.",
                     'sum(rate(psp_callbacks_received_total{job="callback-receiver"}[10m])) == 0', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("DNSEndpoint", "payments", "psp-callbacks"),
                   keywords=["DNSEndpoint", "eu-central-1", "CNAME"],
                   root_cause="the DNSEndpoint psp-callbacks was re-pointed to the eu-central-1 cluster's load "
                              "balancer, which has no route for callbacks.pay.example.com; external-dns upserted "
                              "the CNAME and the provider's webhooks no longer reach this cluster.",
                   category="dnsendpoint-cutover-to-cluster-without-route",
                   red_herrings=[("Deployment", "payments", "payments-reconciler")])
    return inc


ALL = [stock_sync_runs_failing, account_login_callback_errors, thumbnailer_replicas_pending,
       storefront_pages_failing_burn, partner_uploads_failing_page, checkout_quotes_unimplemented,
       live_chat_disconnects_grouped, basket_adds_dropped_page, checkout_starts_dropped,
       win_node_pods_failing_question, order_router_errors_question, psp_callbacks_absent]
