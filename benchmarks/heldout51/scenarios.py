"""Round 51 of the held-out incident set: configuration delivery and feature flags as the cause of outages.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). Every cause is a
setting that reached an application by a delivery path: a flagd source list, a cluster-wide secret sync, a
config server's default label, a Helm chart's restructured values, an envFrom list, a `${VAR}` left literal,
a JVM locale, a subPath mount that freezes a file-watched config, a Consul KV import, a node-local flag relay,
a tenant-to-shard map and an unrendered template. Each is seen from the application it hurts.
"""

from __future__ import annotations

import hashlib
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from corpus.podstate import steady as flat  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    ms,
    node,
    plant,
    revision,
    send,
    series,
    start,
    within,
)

Lines = list[tuple[datetime, str]]
Make = Callable[[str, datetime, datetime], Lines]
Tick = Callable[[int, datetime], str | None]

PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------

def split(at: datetime, before: Tick, after: Tick, step_s: float = 20) -> Make:
    """Pod logs ticking with `before` until `at` and with `after` from then on; replicas start offset."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        off = int(hashlib.sha256(pod.encode()).hexdigest()[:6], 16) % max(1, int(step_s))
        return every(s + timedelta(seconds=off), e, step_s, lambda i, t: before(i, t) if t < at else after(i, t))
    return make


def runlog(lines: list[tuple[float, Callable[[datetime], str]]]) -> Make:
    """One short container run: each line a given number of seconds after the container starts."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s + timedelta(seconds=dt), fn(s + timedelta(seconds=dt))) for dt, fn in lines]
    return make


def page(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
         severity: str = "warning") -> dict[str, Any]:
    """One Prometheus rule alert as Alertmanager forwards it (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def resource(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
             status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
             scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource with its CRD: applied weeks ago by Argo CD, last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 4}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def zapj(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production JSON line (epoch seconds)."""
    return json.dumps({"level": level, "ts": round(t.timestamp(), 6), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def pino(t: datetime, level: int, msg: str, **fields: object) -> str:
    """A pino JSON line (numeric level, epoch milliseconds)."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "msg": msg, **fields},
                      separators=(",", ":"))


def pyts(t: datetime) -> str:
    """Python logging's default asctime."""
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def rust(t: datetime, level: str, target: str, msg: str) -> str:
    """tracing-subscriber's default fmt line (ANSI colours off)."""
    return f"{t.strftime('%Y-%m-%dT%H:%M:%S.')}{t.microsecond:06d}Z {level:>5} {target}: {msg}"


# ---- 1: a flagd source added to the checkout FeatureFlagSource ----------------------------------------------
AT1 = datetime(2026, 12, 5, 13, 20, tzinfo=UTC)


def checkout_orders_burn() -> Incident:
    """A FeatureFlagSource gains a second flag source: its duplicate flag key overrides checkout's own.

    after: OpenFeature operator / flagd multi-source setups where flags from a later source replace a flag of
    the same key from an earlier one, so an application quietly evaluates another team's variant; seen as a
    spike of failed checkouts after a routine restart.
    """
    inc = start(checkout_orders_burn, "Checkout error budget burning", AT1, 5101, ("checkout", "promotions"))
    chg = AT1 - timedelta(minutes=9)
    restart = AT1 - timedelta(minutes=4)
    resource(inc, "FeatureFlag", "core.openfeature.dev/v1beta1", "featureflags", "checkout", "checkout-flags",
             {"flagSpec": {"flags": {"use-cart-v2": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                                     "defaultVariant": "off"}}}},
             {}, "argocd-controller", inc.born + timedelta(days=20), {"f:spec": {"f:flagSpec": {}}})
    inc.add(changed({"apiVersion": "core.openfeature.dev/v1beta1", "kind": "FeatureFlag",
                     "metadata": {"name": "promo-flags", "namespace": "promotions", "generation": 9},
                     "spec": {"flagSpec": {"flags": {
                         "use-cart-v2": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                         "defaultVariant": "on"},
                         "banner-winter-sale": {"state": "ENABLED", "variants": {"on": True, "off": False},
                                                "defaultVariant": "on"}}}}},
                    ("argocd-controller", "Apply", inc.born + timedelta(days=30), {"f:spec": {}})))
    resource(inc, "FeatureFlagSource", "core.openfeature.dev/v1beta1", "featureflagsources", "checkout",
             "checkout",
             {"sources": [{"source": "checkout/checkout-flags", "provider": "kubernetes"},
                          {"source": "promotions/promo-flags", "provider": "kubernetes"}],
              "port": 8013, "evaluator": "json", "defaultSyncProvider": "kubernetes"},
             {}, "kubectl-edit", chg, {"f:spec": {"f:sources": {}}})
    ann = {"openfeature.dev/enabled": "true", "openfeature.dev/featureflagsource": "checkout"}
    sidecar = c("flagd", "ghcr.io/open-feature/flagd:v0.11.4", port=8013, readiness_path="/readyz",
                liveness_path="/healthz")
    old = c("checkout", f"{REGISTRY}/checkout/checkout:5.12.3")
    new = c("checkout", f"{REGISTRY}/checkout/checkout:5.12.3")

    def tick(i: int, t: datetime) -> str | None:
        if t < AT1 or i % 3:
            return pino(t, 30, "request completed", req={"method": "POST", "url": "/api/orders"},
                        res={"statusCode": 201}, responseTime=140 + i % 60)
        return pino(t, 50, "order submission failed", flag="use-cart-v2", variant="on",
                    err={"type": "Error", "message": "getaddrinfo ENOTFOUND cart-v2.checkout.svc.cluster.local",
                         "code": "ENOTFOUND"}, res={"statusCode": 503})

    def flagd(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s + timedelta(seconds=1), zapj(s + timedelta(seconds=1), "info", "cmd/start.go:180",
                                                     "flag sync started", source="checkout/checkout-flags")),
                      (s + timedelta(seconds=1.2), zapj(s + timedelta(seconds=1.2), "info", "cmd/start.go:180",
                                                       "flag sync started", source="promotions/promo-flags")),
                      (s + timedelta(seconds=2), zapj(s + timedelta(seconds=2), "warn", "store/flags.go:211",
                                                     "overwriting flag use-cart-v2: source promotions/promo-flags "
                                                     "replaces checkout/checkout-flags"))]
        return out

    wl = inc.deployment("checkout", "checkout",
                        [Rev(1, inc.born + timedelta(days=12), "helm upgrade", [old, sidecar]),
                         Rev(2, restart, "kubectl rollout restart", [new, sidecar])],
                        {2: [P(log=within(split(restart, tick, tick, 9))) for _ in range(3)]})
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {}).update(ann)
    for h in wl.pods:
        h.logs["flagd"] = within(flagd)(h.name, h.created, inc.captured)
    herring(inc, "promotions", "promo-banner", f"{REGISTRY}/promotions/promo-banner", "2.2.0", "2.3.0",
            AT1 - timedelta(minutes=26))
    plant(inc, "checkout", "checkout-psp", "stripe", "checkout", "STRIPE_SECRET_KEY")
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "checkout", "service": "checkout", "code": "503"}, counter(inc.at - timedelta(hours=2),
                                                                                     0.01, 2.4, AT1))
    inc.slo_burn("checkout", "checkout", "orders-availability", "99.9%", 31.5,
                 "checkout answers 503 to about a third of order submissions since 13:20 UTC.")
    inc.answer_key(culprit=("FeatureFlagSource", "checkout", "checkout"),
                   keywords=["promo-flags", "use-cart-v2", "FeatureFlagSource"],
                   root_cause="The checkout FeatureFlagSource gained promotions/promo-flags as a second source; "
                              "that FeatureFlag also defines use-cart-v2 (default on) and, as the later source, "
                              "overrides checkout's own off. After the restart flagd serves on and checkout calls "
                              "cart-v2, which does not exist: ENOTFOUND, 503 on order submission.",
                   category="flagd-second-source-overrides-flag-key",
                   red_herrings=[("Deployment", "promotions", "promo-banner")])
    return inc


# ---- 2: a cluster-wide secret sync pointed at the staging path -------------------------------------------
AT2 = datetime(2026, 12, 5, 10, 5, tzinfo=UTC)


def seller_payouts_failing_page() -> Incident:
    """A ClusterExternalSecret's remote key moved to the staging path: payouts run with a test-mode API key.

    after: secret-sync postmortems where a shared template edited for one environment fans out to every
    namespace it selects, and a payment provider rejects live objects seen through a test key.
    """
    inc = start(seller_payouts_failing_page, "Seller payouts failing", AT2, 5102, ("payouts", "external-secrets"))
    chg = AT2 - timedelta(minutes=14)
    synced = chg + timedelta(minutes=1)
    resource(inc, "ClusterExternalSecret", "external-secrets.io/v1beta1", "clusterexternalsecrets", "",
             "psp-credentials",
             {"namespaceSelector": {"matchLabels": {"psp-access": "true"}}, "refreshTime": "1m",
              "externalSecretName": "psp-credentials",
              "externalSecretSpec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault-backend"},
                                     "refreshInterval": "5m", "target": {"name": "psp-credentials"},
                                     "data": [{"secretKey": "PSP_API_KEY",
                                               "remoteRef": {"key": "staging/psp/payouts", "property": "api_key"}}]}},
             {"provisionedNamespaces": ["payouts", "refunds"], "conditions": [{"type": "Ready", "status": "True"}]},
             "kubectl-edit", chg, {"f:spec": {"f:externalSecretSpec": {"f:data": {}}}}, scope="Cluster")
    crd(inc, "ExternalSecret", "external-secrets.io", "externalsecrets", version="v1beta1")
    inc.add({"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
             "metadata": {"name": "psp-credentials", "namespace": "payouts", "generation": 3,
                          "ownerReferences": [{"apiVersion": "external-secrets.io/v1beta1",
                                               "kind": "ClusterExternalSecret", "name": "psp-credentials",
                                               "uid": o.uid("clusterexternalsecret", "", "psp-credentials"),
                                               "controller": True}]},
             "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault-backend"},
                      "refreshInterval": "5m", "target": {"name": "psp-credentials"},
                      "data": [{"secretKey": "PSP_API_KEY",
                                "remoteRef": {"key": "staging/psp/payouts", "property": "api_key"}}]},
             "status": {"refreshTime": ts(synced), "syncedResourceVersion": "3-9c1d0e",
                        "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                                        "message": "Secret was synced", "lastTransitionTime": ts(synced)}]}})
    plant(inc, "payouts", "psp-credentials", "token", "payouts", "PSP_API_KEY", "sk_test_{}")
    changed(inc.find("Secret", "payouts", "psp-credentials"),
            ("external-secrets", "Update", synced, {"f:data": {"f:PSP_API_KEY": {}}}))
    inc.event(inc.find("Secret", "payouts", "psp-credentials"), "Updated", "Updated Secret", synced,
              warning=False, component="external-secrets")
    img = f"{REGISTRY}/payouts/payouts-api:3.4.1"
    restart = synced + timedelta(minutes=1)

    def tick(i: int, t: datetime) -> str | None:
        if t < restart or i % 2:
            return f"{pyts(t)} INFO payouts.worker payout po_{i:06d} submitted amount=18200 currency=eur"
        return (f"{pyts(t)} ERROR payouts.worker payout po_{i:06d} failed: stripe.error.InvalidRequestError: "
                f"Request req_{hashlib.sha1(str(i).encode()).hexdigest()[:14]}: No such destination: "
                f"'acct_1Nd{i % 97:02d}Qx8LzT4mPa'")

    inc.deployment("payouts", "payouts-api",
                   [Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c("payouts-api", img)]),
                    Rev(2, restart, "reloader.stakater.com/auto", [c("payouts-api", img)])],
                   {2: [P(log=within(split(restart, tick, tick, 15))) for _ in range(2)]})
    herring(inc, "payouts", "payouts-ledger", f"{REGISTRY}/payouts/payouts-ledger", "1.8.0", "1.9.0",
            AT2 - timedelta(minutes=40))
    series(inc, "payouts_failed_total", "counter", "Payouts that the provider rejected.",
           {"namespace": "payouts", "service": "payouts-api", "reason": "invalid_request"},
           counter(inc.at - timedelta(hours=2), 0.0, 0.4, restart))
    inc.pagerduty("[payouts] payout failure rate above 20% for 5 minutes", "Payouts")
    inc.answer_key(culprit=("ClusterExternalSecret", "", "psp-credentials"),
                   keywords=["staging/psp", "ClusterExternalSecret", "test-mode"],
                   root_cause="The cluster-scoped ClusterExternalSecret psp-credentials was edited to read "
                              "staging/psp/payouts; every selected namespace's Secret now holds the test-mode key, "
                              "Reloader restarted payouts-api and the provider cannot see the live connected "
                              "accounts: 'No such destination'.",
                   category="cluster-secret-sync-serves-staging-key",
                   red_herrings=[("Deployment", "payouts", "payouts-ledger")])
    return inc


# ---- 3: Spring Cloud Config server's default label ------------------------------------------------------
AT3 = datetime(2026, 12, 5, 16, 45, tzinfo=UTC)


def accounts_service_crashloop() -> Incident:
    """The config server's default git label changed to a branch without the prod profile: clients boot bare.

    after: Spring Cloud Config outages where the server's `default-label` points at a branch that lacks a
    profile; clients without fail-fast start with no remote properties and die on a missing DataSource url.
    """
    inc = start(accounts_service_crashloop, "accounts-service pods restarting", AT3, 5103,
                ("platform-config", "accounts"))
    chg = AT3 - timedelta(minutes=25)
    env_old = [{"name": "SPRING_CLOUD_CONFIG_SERVER_GIT_URI", "value": "https://git.example.com/platform/config"},
               {"name": "SPRING_CLOUD_CONFIG_SERVER_GIT_DEFAULT_LABEL", "value": "main"}]
    env_new = [env_old[0], {"name": "SPRING_CLOUD_CONFIG_SERVER_GIT_DEFAULT_LABEL", "value": "release-2026.12"}]
    img = f"{REGISTRY}/platform/config-server:4.1.3"

    def server(i: int, t: datetime) -> str | None:
        if t < chg + timedelta(minutes=1) or i % 4:
            return None
        return L.spring(t, "WARN", "o.s.c.c.s.e.MultipleJGitEnvironmentRepository",
                        "Could not find profile 'prod' for application 'accounts-service' on label "
                        "'release-2026.12'; returning 0 property sources", thread="http-nio-8888-exec-3")

    inc.deployment("platform-config", "config-server",
                   [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [c("config-server", img, env=env_old,
                                                                               port=8888)]),
                    Rev(2, chg, "helm upgrade", [c("config-server", img, env=env_new, port=8888)])],
                   {2: [P(log=within(split(chg, server, server, 30))) for _ in range(2)]})
    born = AT3 - timedelta(minutes=6)
    app = f"{REGISTRY}/accounts/accounts-service:2.9.4"
    crash = runlog([
        (0.1, lambda t: L.spring(t, "INFO", "o.s.c.c.c.ConfigServerConfigDataLoader",
                                 "Fetching config from server at : http://config-server.platform-config:8888")),
        (0.4, lambda t: L.spring(t, "INFO", "o.s.c.c.c.ConfigServerConfigDataLoader",
                                 "Located environment: name=accounts-service, profiles=[prod], label=null, "
                                 "version=4c1e0b7, state=null")),
        (2.8, lambda t: L.spring(t, "WARN", "o.s.b.w.s.c.AnnotationConfigServletWebServerApplicationContext",
                                 "Exception encountered during context initialization - cancelling refresh "
                                 "attempt: org.springframework.beans.factory.BeanCreationException: Error creating "
                                 "bean with name 'dataSource'")),
        (2.9, lambda t: "\n***************************\nAPPLICATION FAILED TO START\n***************************\n\n"
                        "Description:\n\nFailed to configure a DataSource: 'url' attribute is not specified and no "
                        "embedded datasource could be configured.\n\nReason: Failed to determine a suitable "
                        "driver class\n"),
    ])
    ok = runlog([(0.1, lambda t: L.spring(t, "INFO", "o.s.c.c.c.ConfigServerConfigDataLoader",
                                          "Located environment: name=accounts-service, profiles=[prod], "
                                          "label=null, version=9a77d21, state=null")),
                 (4.0, lambda t: L.spring(t, "INFO", "o.s.b.w.e.tomcat.TomcatWebServer",
                                          "Tomcat started on port 8080 (http) with context path ''"))])
    inc.deployment("accounts", "accounts-service",
                   [Rev(1, inc.born + timedelta(days=11), "helm upgrade", [c("accounts-service", app)])],
                   {1: [P(log=within(ok)), P(log=within(ok)),
                        P(state="crashloop", log=within(crash), created=born, run_s=lambda n: 9.0),
                        P(state="crashloop", log=within(crash), created=born + timedelta(seconds=40),
                          run_s=lambda n: 9.0)]},
                   replicas=4)
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "accounts-service", "namespace": "accounts"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "accounts-service"},
                      "minReplicas": 2, "maxReplicas": 6,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 70}}}]},
             "status": {"currentReplicas": 4, "desiredReplicas": 4, "lastScaleTime": ts(born)}})
    herring(inc, "accounts", "accounts-notifier", f"{REGISTRY}/accounts/accounts-notifier", "1.4.0", "1.4.2",
            AT3 - timedelta(minutes=50))
    plant(inc, "accounts", "accounts-db", "password", "accounts", "SPRING_DATASOURCE_PASSWORD")
    send(inc, [page(inc, "KubePodCrashLooping", {"namespace": "accounts", "container": "accounts-service",
                                                 "pod": "accounts-service", "job": "kube-state-metrics"},
                    "Pod is crash looping.", "Pods of accounts-service (accounts) are restarting every few "
                    "minutes.",
                    'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",'
                    'job="kube-state-metrics",namespace="accounts"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "platform-config", "config-server"),
                   keywords=["release-2026.12", "DEFAULT_LABEL", "prod profile"],
                   root_cause="The config-server Deployment's new revision sets "
                              "SPRING_CLOUD_CONFIG_SERVER_GIT_DEFAULT_LABEL=release-2026.12, a branch without the "
                              "accounts-service prod profile; new accounts-service pods get no property sources and "
                              "fail with 'Failed to configure a DataSource'.",
                   category="config-server-default-label-lacks-profile",
                   red_herrings=[("Deployment", "accounts", "accounts-notifier")])
    return inc


# ---- 4: a NATS chart major upgrade restructures values: JetStream off -----------------------------------
AT4 = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)


def order_events_alerts_grouped() -> Incident:
    """A HelmRelease moves the NATS chart to 1.x: the old `nats.jetstream` values are ignored, JetStream is off.

    after: Helm chart major versions that restructure values so a setting under the old key silently falls
    back to the new chart's default; here the messaging server restarts without its persistence layer.
    """
    inc = start(order_events_alerts_grouped, "Order events publishing failing", AT4, 5104, ("messaging", "orders"))
    chg = AT4 - timedelta(minutes=8)
    resource(inc, "HelmRelease", "helm.toolkit.fluxcd.io/v2", "helmreleases", "messaging", "events-bus",
             {"interval": "10m", "chart": {"spec": {"chart": "nats", "version": "1.2.6",
                                                    "sourceRef": {"kind": "HelmRepository", "name": "nats"}}},
              "values": {"nats": {"jetstream": {"enabled": True, "fileStorage": {"size": "20Gi"}}},
                         "cluster": {"enabled": True, "replicas": 3}}},
             {"lastAppliedRevision": "1.2.6", "lastAttemptedRevision": "1.2.6",
              "conditions": [{"type": "Ready", "status": "True", "reason": "UpgradeSucceeded",
                              "message": "Helm upgrade succeeded for release messaging/events-bus.v14 with chart "
                                         "nats@1.2.6"}]},
             "kustomize-controller", chg, {"f:spec": {"f:chart": {"f:spec": {"f:version": {}}}}})
    inc.configmap("messaging", "events-bus-config",
                  {"nats.conf": "port: 4222\nhttp_port: 8222\nserver_name: $SERVER_NAME\n"
                                "cluster {\n  name: events-bus\n  port: 6222\n}\nlame_duck_duration: 30s\n"},
                  at=inc.born + timedelta(days=6))
    changed(inc.find("ConfigMap", "messaging", "events-bus-config"),
            ("helm-controller", "Update", chg + timedelta(minutes=1), {"f:data": {"f:nats.conf": {}}}))
    nats_img = "nats:2.10.22-alpine"

    def natslog(pod: str, s: datetime, e: datetime) -> Lines:
        def ln(t: datetime, msg: str) -> str:
            return f"[7] {t.strftime('%Y/%m/%d %H:%M:%S.')}{t.microsecond:06d} {msg}"
        steps = ["[INF] Starting nats-server", "[INF]   Version:  2.10.22", "[INF]   Git:      [240e9a4]",
                 "[INF] Using configuration file: /etc/nats-config/nats.conf",
                 "[INF] Starting http monitor on 0.0.0.0:8222", "[INF] Listening for client connections on "
                 "0.0.0.0:4222", "[INF] Server is ready", "[INF] Cluster name is events-bus",
                 "[INF] Listening for route connections on 0.0.0.0:6222"]
        return [(s + timedelta(milliseconds=40 * i), ln(s + timedelta(milliseconds=40 * i), m))
                for i, m in enumerate(steps)]

    pods = []
    for i in range(3):
        pods.append(P(log=within(natslog), created=chg + timedelta(minutes=1, seconds=40 * (2 - i))))
    inc.statefulset("messaging", "events-bus", [c("nats", nats_img, port=4222)], pods, chg, service=4222)
    for i in range(2):
        revision(inc, "StatefulSet", "messaging", "events-bus", i + 1,
                 inc.born + timedelta(days=6) if i == 0 else chg + timedelta(minutes=1),
                 {"spec": {"containers": [{"name": "nats", "image": "nats:2.9.25-alpine" if i == 0 else nats_img}]}})

    def pub(i: int, t: datetime) -> str | None:
        if t < AT4:
            return L.logfmt(t, "info", "outbox batch published", batch=i, events=12, stream="ORDERS")
        return L.logfmt(t, "error", "outbox publish failed", batch=i, stream="ORDERS",
                        error="nats: jetstream not enabled")
    inc.deployment("orders", "order-outbox",
                   [Rev(1, inc.born + timedelta(days=14), "helm upgrade",
                        [c("order-outbox", f"{REGISTRY}/orders/order-outbox:1.7.2")])],
                   {1: [P(log=within(split(AT4, pub, pub, 10))) for _ in range(2)]})
    herring(inc, "orders", "order-api", f"{REGISTRY}/orders/order-api", "6.1.0", "6.2.0", AT4 - timedelta(minutes=20))
    plant(inc, "orders", "order-outbox-nats", "token", "outbox", "NATS_TOKEN")
    series(inc, "outbox_pending_events", "gauge", "Events waiting in the outbox table.",
           {"namespace": "orders", "service": "order-outbox"}, lambda t: 40.0 if t < AT4
           else 40.0 + 35 * (t - AT4).total_seconds() / 60)
    labels = {"namespace": "orders", "team": "orders"}
    send(inc, [page(inc, "OutboxBacklogGrowing", {**labels, "service": "order-outbox"},
                    "Order outbox backlog growing", "More than 500 events pending in the order outbox.",
                    'outbox_pending_events{namespace="orders"} > 500'),
               page(inc, "OutboxPublishErrors", {**labels, "service": "order-outbox"},
                    "Order outbox publish errors", "order-outbox cannot publish batches to the ORDERS stream.",
                    'sum(rate(outbox_publish_errors_total{namespace="orders"}[5m])) > 0', "critical"),
               page(inc, "OrderConfirmationsDelayed", {**labels, "service": "order-api"},
                    "Order confirmation emails delayed", "No OrderPlaced event consumed for 10 minutes.",
                    'time() - max(order_events_last_consumed_timestamp_seconds{namespace="orders"}) > 600')],
         ["namespace"])
    inc.answer_key(culprit=("HelmRelease", "messaging", "events-bus"),
                   keywords=["jetstream", "1.2.6", "values"],
                   root_cause="The events-bus HelmRelease was moved to the nats chart 1.2.6, whose values moved "
                              "JetStream to config.jetstream; the old nats.jetstream block is ignored, the rendered "
                              "nats.conf has no jetstream section and order-outbox's publishes fail with "
                              "'nats: jetstream not enabled'.",
                   category="chart-major-values-restructure-drops-jetstream",
                   red_herrings=[("Deployment", "orders", "order-api")])
    return inc


# ---- 5: an envFrom collision on scale-up ------------------------------------------------------------
AT5 = datetime(2026, 12, 5, 14, 10, tzinfo=UTC)


def loyalty_scaleup_question() -> Incident:
    """A shared Secret gains DATABASE_URL; listed after the app's own ConfigMap in envFrom, it wins in new pods.

    after: envFrom precedence surprises (the last source defining a key wins), picked up only by pods created
    after the change: the old replicas work, the ones a scale-up adds cannot log in to the database.
    """
    inc = start(loyalty_scaleup_question, "loyalty-api new pods crash", AT5, 5105, ("loyalty",))
    chg = AT5 - timedelta(hours=3, minutes=20)
    inc.configmap("loyalty", "loyalty-api-env", {"DATABASE_URL_HOST": "loyalty-pg.loyalty.svc:5432",
                                                 "NODE_ENV": "production", "PORT": "8080"})
    pw = inc.canary("password", "platform-shared")
    inc.secret("loyalty", "platform-shared-env", {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
        "DATABASE_URL": f"postgresql://platform_reporting:{pw}@reporting-pg.platform.svc:5432/reporting"})
    changed(inc.find("Secret", "loyalty", "platform-shared-env"),
            ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-apply", "Update", chg, {"f:data": {"f:DATABASE_URL": {}}}))
    plant(inc, "loyalty", "loyalty-db", "password", "loyalty", "password")
    img = f"{REGISTRY}/loyalty/loyalty-api:3.3.0"
    spec = {"envFrom": [{"secretRef": {"name": "loyalty-db-url"}}, {"configMapRef": {"name": "loyalty-api-env"}},
                        {"secretRef": {"name": "platform-shared-env"}}]}
    inc.secret("loyalty", "loyalty-db-url", {"DATABASE_URL": "postgresql://loyalty@loyalty-pg.loyalty.svc:5432/"
                                                             "loyalty"})

    def good(i: int, t: datetime) -> str | None:
        return pino(t, 30, "request completed", req={"method": "GET", "url": "/v1/points"}, res={"statusCode": 200},
                    responseTime=20 + i % 30)
    crash = runlog([(0.3, lambda t: pino(t, 30, "starting loyalty-api", port=8080)),
                    (1.9, lambda t: pino(t, 60, "failed to connect to database", err={
                        "type": "PrismaClientInitializationError", "errorCode": "P1010",
                        "message": "User `platform_reporting` was denied access on the database "
                                   "`reporting.public`"}))])
    scale = AT5 - timedelta(minutes=2)
    inc.deployment("loyalty", "loyalty-api",
                   [Rev(1, inc.born + timedelta(days=13), "helm upgrade", [c("loyalty-api", img)], pod_spec={},
                        container=spec)],
                   {1: [P(log=within(split(AT5, good, good, 12))), P(log=within(split(AT5, good, good, 12))),
                        P(state="crashloop", log=within(crash), created=scale, exit_code=1),
                        P(state="crashloop", log=within(crash), created=scale + timedelta(seconds=3), exit_code=1)]})
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "loyalty-api", "namespace": "loyalty"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "loyalty-api"},
                      "minReplicas": 2, "maxReplicas": 8},
             "status": {"currentReplicas": 4, "desiredReplicas": 4, "lastScaleTime": ts(scale)}})
    herring(inc, "loyalty", "loyalty-rewards-worker", f"{REGISTRY}/loyalty/loyalty-rewards-worker", "0.9.1",
            "0.9.2", AT5 - timedelta(minutes=35))
    inc.ask("loyalty-api scaled up at 14:08 and the two new pods keep crashing while the two older ones are "
            "fine; nobody deployed it today. What is going on?")
    inc.answer_key(culprit=("Secret", "loyalty", "platform-shared-env"),
                   keywords=["DATABASE_URL", "envFrom", "platform_reporting"],
                   root_cause="The shared Secret platform-shared-env gained a DATABASE_URL for the reporting "
                              "database. It is the last envFrom source of loyalty-api, so its key wins over the "
                              "app's own; pods created by the scale-up connect as platform_reporting and Prisma "
                              "is denied access (P1010), while older pods keep their start-time environment.",
                   category="envfrom-later-source-overrides-database-url",
                   red_herrings=[("Deployment", "loyalty", "loyalty-rewards-worker")])
    return inc


# ---- 6: a ${VAR} left literal in a StatefulSet env -----------------------------------------------------
AT6 = datetime(2026, 12, 6, 7, 50, tzinfo=UTC)


def stock_sync_crashloop() -> Incident:
    """A StatefulSet env value written as `${INVENTORY_HOST}`: Kubernetes expands only `$(VAR)`, Go cannot parse it.

    after: manifests ported from docker-compose or shell where `${VAR}` is kept as literal text by the kubelet
    (only `$(VAR)` is expanded), so the application receives the braces and fails at start (simple).
    """
    inc = start(stock_sync_crashloop, "stock-sync crash looping", AT6, 5106, ("inventory",))
    chg = AT6 - timedelta(minutes=7)
    img = f"{REGISTRY}/inventory/stock-sync:2.6.0"
    env_old = [{"name": "INVENTORY_HOST", "value": "inventory-api.inventory.svc"},
               {"name": "INVENTORY_URL", "value": "http://$(INVENTORY_HOST):8080/v1/stock"}]
    env_new = [env_old[0], {"name": "INVENTORY_URL", "value": "http://${INVENTORY_HOST}:8080/v1/stock"},
               {"name": "SYNC_BATCH", "value": "500"}]
    crash = runlog([(0.05, lambda t: f'{t.strftime("%Y/%m/%d %H:%M:%S")} stock-sync 2.6.0 starting, batch=500'),
                    (0.06, lambda t: f'{t.strftime("%Y/%m/%d %H:%M:%S")} invalid INVENTORY_URL: parse '
                                     '"http://${INVENTORY_HOST}:8080/v1/stock": invalid character "{" in host name')])
    wl = inc.statefulset("inventory", "stock-sync", [c("stock-sync", img, env=env_new)],
                         [P(created=inc.born + timedelta(days=8)),
                          P(state="crashloop", log=within(crash), created=chg + timedelta(seconds=30),
                            run_s=lambda n: 0.2)], chg)
    changed(wl.obj, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    wl.obj["metadata"]["generation"] = 7
    names = [revision(inc, "StatefulSet", "inventory", "stock-sync", i + 1, when,
                      {"spec": {"containers": [{"name": "stock-sync", "image": img if i else
                                                f"{REGISTRY}/inventory/stock-sync:2.5.3", "env": env}]}})
             for i, (when, env) in enumerate([(inc.born + timedelta(days=8), env_old), (chg, env_new)])]
    wl.obj["status"].update({"currentRevision": names[0], "updateRevision": names[1], "currentReplicas": 1,
                             "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
                             "observedGeneration": 7})
    old_box = {"name": "stock-sync", "image": f"{REGISTRY}/inventory/stock-sync:2.5.3", "env": env_old}

    def as_old(pod: dict[str, Any]) -> None:
        pod["metadata"]["labels"]["controller-revision-hash"] = names[0]
        pod["spec"]["containers"][0].update(old_box)
        pod["status"]["containerStatuses"][0]["image"] = old_box["image"]

    def as_new(pod: dict[str, Any]) -> None:
        pod["metadata"]["labels"]["controller-revision-hash"] = names[1]
    inc.cluster.patch("inventory", "stock-sync-0", as_old)
    inc.cluster.patch("inventory", "stock-sync-1", as_new)
    herring(inc, "inventory", "inventory-api", f"{REGISTRY}/inventory/inventory-api", "4.0.1", "4.0.2",
            AT6 - timedelta(minutes=30))
    plant(inc, "inventory", "stock-sync-token", "jwt", "stock-sync", "INVENTORY_TOKEN")
    send(inc, [page(inc, "KubeStatefulSetReplicasMismatch", {"namespace": "inventory", "statefulset": "stock-sync",
                                                             "job": "kube-state-metrics"},
                    "StatefulSet has not matched the expected number of replicas.",
                    "StatefulSet inventory/stock-sync has not matched the expected number of replicas for "
                    "longer than 5 minutes.",
                    'kube_statefulset_status_replicas_ready{job="kube-state-metrics",namespace="inventory"} != '
                    'kube_statefulset_status_replicas{job="kube-state-metrics",namespace="inventory"}')],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("StatefulSet", "inventory", "stock-sync"),
                   keywords=["${INVENTORY_HOST}", "$(VAR)", "literal"],
                   root_cause="The stock-sync StatefulSet's new revision writes INVENTORY_URL with "
                              "${INVENTORY_HOST}; the kubelet expands only $(VAR), so the literal braces reach the "
                              "Go binary, url.Parse rejects the host and the updated pod exits at start.",
                   category="dollar-brace-env-left-unexpanded",
                   red_herrings=[("Deployment", "inventory", "inventory-api")])
    return inc


# ---- 7: a JVM locale flag changes the decimal separator -------------------------------------------------
AT7 = datetime(2026, 12, 5, 11, 15, tzinfo=UTC)


def ledger_import_errors_alert() -> Incident:
    """A CronJob's JAVA_TOOL_OPTIONS sets a German locale: the rates file now carries decimal commas.

    after: locale-dependent number formatting (String.format, NumberFormat) in a producer after a base image or
    JVM flag change, breaking a downstream parser that expects a dot separator.
    """
    inc = start(ledger_import_errors_alert, "Ledger import failing", AT7, 5107, ("treasury", "ledger"))
    chg = AT7 - timedelta(minutes=40)
    img = f"{REGISTRY}/treasury/fx-rates-publisher:1.12.0"
    tpl_env = [{"name": "JAVA_TOOL_OPTIONS",
                "value": "-XX:MaxRAMPercentage=75 -Duser.language=de -Duser.country=DE -Duser.timezone=Europe/Berlin"},
               {"name": "RATES_BUCKET", "value": "s3://acme-treasury-rates/prod"}]
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "fx-rates-publisher", "namespace": "treasury", "generation": 5},
                    "spec": {"schedule": "0 * * * *", "concurrencyPolicy": "Forbid",
                             "jobTemplate": {"spec": {"template": {"spec": {
                                 "restartPolicy": "OnFailure",
                                 "containers": [{"name": "publisher", "image": img, "env": tpl_env}]}}}}},
                    "status": {"lastScheduleTime": ts(AT7 - timedelta(minutes=15)),
                               "lastSuccessfulTime": ts(AT7 - timedelta(minutes=14))}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg,
             {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}}}))
    job_at = AT7 - timedelta(minutes=15)
    job = f"fx-rates-publisher-{int(job_at.timestamp()) // 60}"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": "treasury",
                          "ownerReferences": [o.owner_ref("CronJob", "fx-rates-publisher", "treasury")]},
             "spec": {"template": {"spec": {"containers": [{"name": "publisher", "image": img, "env": tpl_env}]}}},
             "status": {"startTime": ts(job_at), "completionTime": ts(job_at + timedelta(seconds=41)),
                        "succeeded": 1}})
    inc.event(inc.find("CronJob", "treasury", "fx-rates-publisher"), "SawCompletedJob",
              f"Saw completed job: {job}, status: Complete", job_at + timedelta(seconds=42), warning=False,
              component="cronjob-controller")

    def imp(i: int, t: datetime) -> str | None:
        if t < AT7:
            return f"{pyts(t)} INFO ledger.rates imported 164 rates from rates-{t:%Y%m%d%H}00.csv"
        if i % 3:
            return None
        return (f"{pyts(t)} ERROR ledger.rates import of rates-{t:%Y%m%d}1100.csv failed at line 2\n"
                "Traceback (most recent call last):\n"
                '  File "/app/ledger/rates.py", line 88, in parse_row\n'
                "    rate = Decimal(row[\"rate\"]) if STRICT else float(row[\"rate\"])\n"
                "ValueError: could not convert string to float: '1,0842'")
    inc.deployment("ledger", "ledger-importer",
                   [Rev(1, inc.born + timedelta(days=15), "helm upgrade",
                        [c("ledger-importer", f"{REGISTRY}/ledger/ledger-importer:5.0.4")])],
                   {1: [P(log=within(split(AT7, imp, imp, 40)))]})
    herring(inc, "ledger", "ledger-api", f"{REGISTRY}/ledger/ledger-api", "3.9.0", "3.10.0",
            AT7 - timedelta(minutes=50))
    plant(inc, "treasury", "fx-rates-s3", "aws-secret", "fx-rates", "AWS_SECRET_ACCESS_KEY")
    series(inc, "ledger_rate_import_failures_total", "counter", "Rate files that failed to import.",
           {"namespace": "ledger", "service": "ledger-importer"}, counter(inc.at - timedelta(hours=2), 0.0, 0.02, AT7))
    send(inc, [page(inc, "LedgerRateImportFailing", {"namespace": "ledger", "service": "ledger-importer"},
                    "Ledger rate import failing", "ledger-importer has failed to import the hourly FX rates file.",
                    'increase(ledger_rate_import_failures_total{namespace="ledger"}[15m]) > 0', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("CronJob", "treasury", "fx-rates-publisher"),
                   keywords=["user.language=de", "JAVA_TOOL_OPTIONS", "decimal comma"],
                   root_cause="The fx-rates-publisher CronJob was edited to add -Duser.language=de "
                              "-Duser.country=DE to JAVA_TOOL_OPTIONS; the 11:00 run formatted rates with a "
                              "decimal comma ('1,0842') and ledger-importer's float parsing fails.",
                   category="jvm-locale-flag-changes-decimal-separator",
                   red_herrings=[("Deployment", "ledger", "ledger-api")])
    return inc


# ---- 8: subPath mount freezes Envoy's file-based xDS ------------------------------------------------------
AT8 = datetime(2026, 12, 6, 9, 5, tzinfo=UTC)


def catalog_pages_503_alert() -> Incident:
    """An Envoy Deployment switched its cluster config mount to subPath: ConfigMap updates never reach it.

    after: the documented subPath limitation (a subPath mount never receives ConfigMap updates) meeting a proxy
    that reloads its config by watching for the atomic symlink swap; a backend migration later strands it.
    """
    inc = start(catalog_pages_503_alert, "Catalog pages answering 503", AT8, 5108, ("catalog", "search"))
    chg = AT8 - timedelta(hours=19)
    cm_change = AT8 - timedelta(minutes=35)
    retire = AT8 - timedelta(minutes=2)
    cds_new = ("resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: search\n"
               "  type: STRICT_DNS\n  load_assignment:\n    cluster_name: search\n    endpoints:\n"
               "    - lb_endpoints:\n      - endpoint: {address: {socket_address: {address: search-v2.search.svc,"
               " port_value: 9200}}}\n")
    cm = inc.configmap("catalog", "catalog-edge-xds", {"cds.yaml": cds_new, "lds.yaml": "resources: []\n"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", cm_change, {"f:data": {"f:cds.yaml": {}}}))
    img = "envoyproxy/envoy:v1.31.2"
    mounts_old = [{"name": "xds", "mountPath": "/etc/envoy/xds"}]
    mounts_new = [{"name": "xds", "mountPath": "/etc/envoy/xds/cds.yaml", "subPath": "cds.yaml"},
                  {"name": "xds", "mountPath": "/etc/envoy/xds/lds.yaml", "subPath": "lds.yaml"},
                  {"name": "tls", "mountPath": "/etc/envoy/tls"}]
    vols = {"volumes": [{"name": "xds", "configMap": {"name": "catalog-edge-xds"}},
                        {"name": "tls", "secret": {"secretName": "catalog-edge-tls"}}]}

    def edge(i: int, t: datetime) -> str | None:
        when = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        if t < retire:
            return (f'[{when}] "GET /api/products?q=boots HTTP/1.1" 200 - 0 {5400 + i % 900} {30 + i % 20} '
                    f'{28 + i % 20} "10.0.4.{i % 200}" "Mozilla/5.0" "{L.uuidish("c", i)}" "catalog.example.com" '
                    f'"10.12.7.{i % 50}:9200"')
        return (f'[{when}] "GET /api/products?q=boots HTTP/1.1" 503 UF,URX 0 91 {1000 + i % 9} - "10.0.4.{i % 200}" '
                f'"Mozilla/5.0" "{L.uuidish("c", i)}" "catalog.example.com" "10.12.3.{i % 50}:9200"')
    inc.deployment("catalog", "catalog-edge",
                   [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [c("envoy", img, port=10000)],
                        pod_spec=vols, container={"volumeMounts": mounts_old}),
                    Rev(2, chg, "helm upgrade", [c("envoy", img, port=10000)], pod_spec=vols,
                        container={"volumeMounts": mounts_new})],
                   {2: [P(log=within(split(retire, edge, edge, 6)), created=chg + timedelta(seconds=30 + 20 * i))
                        for i in range(2)]})
    inc.deployment("search", "search-v2",
                   [Rev(1, AT8 - timedelta(days=2), "helm upgrade",
                        [c("search", "opensearchproject/opensearch:2.17.1", port=9200)])],
                   {1: [P(), P()]})
    inc.deployment("search", "search-v1",
                   [Rev(1, inc.born + timedelta(days=3), "helm upgrade",
                        [c("search", "opensearchproject/opensearch:2.11.1", port=9200)])], {1: []}, replicas=0)
    changed(inc.find("Deployment", "search", "search-v1"),
            ("helm", "Update", inc.born + timedelta(days=3), {"f:spec": {}}),
            ("kubectl", "Update", retire, {"f:spec": {"f:replicas": {}}}))
    herring(inc, "catalog", "catalog-web", f"{REGISTRY}/catalog/catalog-web", "8.3.0", "8.4.0",
            AT8 - timedelta(minutes=45))
    plant(inc, "catalog", "catalog-edge-tls", "token", "catalog-edge", "tls.key")
    series(inc, "envoy_cluster_upstream_cx_connect_fail", "counter", "Upstream connection failures.",
           {"namespace": "catalog", "envoy_cluster_name": "search", "service": "catalog-edge",
},
           counter(inc.at - timedelta(hours=2), 0.0, 6.5, retire))
    series(inc, "envoy_cluster_upstream_cx_total", "counter", "Upstream connections.",
           {"namespace": "catalog", "envoy_cluster_name": "search", "service": "catalog-edge",
}, counter(inc.at - timedelta(hours=2), 4.0, 6.5, retire))
    send(inc, [page(inc, "CatalogApi5xxHigh", {"namespace": "catalog", "service": "catalog-api"},
                    "Catalog API 5xx ratio above 20%", "Product search and listing requests fail with 503.",
                    'sum(rate(envoy_http_downstream_rq_xx{namespace="catalog",envoy_response_code_class="5"}[5m]))'
                    ' / sum(rate(envoy_http_downstream_rq_total{namespace="catalog"}[5m])) > 0.2', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "catalog", "catalog-edge"),
                   keywords=["subPath", "cds.yaml", "search-v1"],
                   root_cause="catalog-edge's revision from the previous evening mounts cds.yaml with subPath, so "
                              "the ConfigMap edit moving the search cluster to search-v2 never reaches Envoy's "
                              "file-based CDS (no symlink swap to watch); when search-v1 was scaled to zero Envoy "
                              "still dials it: 503 UF,URX.",
                   category="subpath-mount-freezes-file-xds",
                   red_herrings=[("Deployment", "catalog", "catalog-web")])
    return inc


# ---- 9: a Consul KV import from the wrong folder --------------------------------------------------------
AT9 = datetime(2026, 12, 5, 19, 40, tzinfo=UTC)


def search_api_timeouts_page() -> Incident:
    """A KV import Job loads the staging folder into Consul: consul-template renders a 50 ms upstream timeout.

    after: dynamic configuration stores (Consul KV with consul-template or similar reload paths) where a bulk
    import writes another environment's values and every subscribed service reloads them within seconds.
    """
    inc = start(search_api_timeouts_page, "Search API timeouts", AT9, 5109, ("consul", "search"))
    ran = AT9 - timedelta(minutes=3)
    job = "consul-kv-import-29419300"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": "consul", "labels": {"app": "consul-kv-import"},
                          "annotations": {"cronjob.kubernetes.io/instantiate": "manual"}},
             "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{
                 "name": "import", "image": "hashicorp/consul:1.19.2",
                 "command": ["sh", "-c", "consul kv import @/kv/$(KV_ENV)/export.json"],
                 "env": [{"name": "KV_ENV", "value": "staging"},
                         {"name": "CONSUL_HTTP_ADDR", "value": "consul-server.consul:8500"}]}]}}},
             "status": {"startTime": ts(ran), "completionTime": ts(ran + timedelta(seconds=6)), "succeeded": 1}})
    inc.add(changed({"apiVersion": "batch/v1", "kind": "CronJob",
                     "metadata": {"name": "consul-kv-import", "namespace": "consul", "generation": 2},
                     "spec": {"schedule": "30 2 * * *", "suspend": True, "jobTemplate": {"spec": {"template": {
                         "spec": {"restartPolicy": "Never", "containers": [{
                             "name": "import", "image": "hashicorp/consul:1.19.2",
                             "command": ["sh", "-c", "consul kv import @/kv/$(KV_ENV)/export.json"],
                             "env": [{"name": "KV_ENV", "value": "prod"}]}]}}}}},
                     "status": {"lastScheduleTime": ts(inc.born + timedelta(days=30))}},
                    ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}})))
    pod = f"{job}-x7m2q"
    imported = "".join(f"Imported: config/search-api/{k}\n" for k in
                       ["upstream_timeout_ms", "max_results", "cache_ttl_s", "opensearch_index"])
    inc.cluster.add_pod(PodHistory(
        name=pod, namespace="consul", workload=job,
        containers=[c("import", "hashicorp/consul:1.19.2", port=None, readiness_path=None, liveness_path=None)],
        node=node(inc, 0), created=ran, states=[o.ContainerState(started_at=ran + timedelta(seconds=2))],
        memory=flat(20), labels={"job-name": job, "batch.kubernetes.io/job-name": job},
        owner=o.owner_ref("Job", job, "consul"), logs={"import": imported}))
    inc.cluster.patch("consul", pod, terminated(0, "Completed", ran + timedelta(seconds=2),
                                                ran + timedelta(seconds=5), phase="Succeeded"))
    plant(inc, "consul", "consul-kv-import-token", "token", "consul-import", "CONSUL_HTTP_TOKEN")
    render = ran + timedelta(seconds=9)

    def tick(i: int, t: datetime) -> str | None:
        if t < render:
            return rust(t, "INFO", "search_api::http", f"GET /v1/search status=200 latency_ms={18 + i % 25}")
        if i % 2:
            return rust(t, "INFO", "search_api::http", f"GET /v1/search status=200 latency_ms={31 + i % 12}")
        return rust(t, "ERROR", "search_api::backend",
                    "opensearch query failed: error sending request for url "
                    "(http://opensearch.search:9200/products/_search): operation timed out after 50ms")

    def ct(pod: str, s: datetime, e: datetime) -> Lines:
        lines = [(s + timedelta(seconds=1), f"{s + timedelta(seconds=1):%Y-%m-%dT%H:%M:%S}.000Z [INFO] "
                  "consul-template v0.39.1 (8f2d9ea)")]
        if render > s:
            lines.append((render, f"{render:%Y-%m-%dT%H:%M:%S}.412Z [INFO] (runner) rendered "
                          '"/etc/ct/search-api.env.ctmpl" => "/etc/search-api/search-api.env"'))
            lines.append((render, f"{render:%Y-%m-%dT%H:%M:%S}.413Z [INFO] (runner) executing command "
                          '"kill -HUP 1" from "/etc/ct/search-api.env.ctmpl" => "/etc/search-api/search-api.env"'))
        return lines
    wl = inc.deployment("search", "search-api",
                        [Rev(1, inc.born + timedelta(days=16), "helm upgrade",
                             [c("search-api", f"{REGISTRY}/search/search-api:0.31.2"),
                              c("consul-template", "hashicorp/consul-template:0.39.1", port=None,
                                readiness_path=None, liveness_path=None)])],
                        {1: [P(log=within(split(render, tick, tick, 5))) for _ in range(3)]})
    for h in wl.pods:
        h.logs["consul-template"] = within(ct)(h.name, h.created, inc.captured)
    herring(inc, "search", "search-indexer", f"{REGISTRY}/search/search-indexer", "2.0.3", "2.1.0",
            AT9 - timedelta(minutes=30))
    series(inc, "http_requests_total", "counter", "Requests handled.",
           {"namespace": "search", "service": "search-api", "code": "504"},
           counter(inc.at - timedelta(hours=2), 0.0, 9.0, render))
    inc.pagerduty("[search] search-api 5xx above 30% for 5m", "Search")
    inc.answer_key(culprit=("Job", "consul", job),
                   keywords=["KV_ENV", "staging", "upstream_timeout_ms"],
                   root_cause="The consul-kv-import Job ran with KV_ENV=staging and imported the staging folder "
                              "over config/search-api; consul-template re-rendered search-api's env with "
                              "upstream_timeout_ms=50 and sent SIGHUP, so half the OpenSearch queries time out.",
                   category="kv-import-writes-other-environment-values",
                   red_herrings=[("Deployment", "search", "search-indexer")])
    return inc


# ---- 10: a node-local flag relay on one node with a development token ------------------------------------
AT10 = datetime(2026, 12, 6, 6, 25, tzinfo=UTC)


def node_errors_question_host() -> Incident:
    """An OnDelete Unleash Edge DaemonSet revision carries a development token; only one node's relay runs it.

    after: feature-flag relays run per node (OnDelete DaemonSets, node-local endpoints) whose new revision only
    reaches nodes whose pod was replaced; SDKs there get 403, fall back to defaults and take a retired path.
    """
    inc = start(node_errors_question_host, "Errors on one node", AT10, 5110, ("flags", "storefront"))
    chg = AT10 - timedelta(hours=5)
    host = node(inc, 1)
    replaced = AT10 - timedelta(minutes=6)
    img = "unleashorg/unleash-edge:19.6.2"
    tok_prod = inc.canary("token", "edge-prod")
    tok_dev = inc.canary("token", "edge-dev")
    inc.secret("flags", "unleash-edge-tokens", {"prod": f"*:production.{tok_prod}", "dev": f"*:development.{tok_dev}"})

    def env(key: str) -> list[dict[str, Any]]:
        return [{"name": "UPSTREAM_URL", "value": "https://unleash.example.com/api"},
                {"name": "TOKENS", "valueFrom": {"secretKeyRef": {"name": "unleash-edge-tokens", "key": key}}}]
    count = len(inc.node_names())
    ds = inc.add({"apiVersion": "apps/v1", "kind": "DaemonSet",
                  "metadata": {"name": "unleash-edge", "namespace": "flags", "generation": 2,
                               "annotations": {"deprecated.daemonset.template.generation": "2"}},
                  "spec": {"selector": {"matchLabels": {"app": "unleash-edge"}}, "updateStrategy": {"type": "OnDelete"},
                           "template": {"metadata": {"labels": {"app": "unleash-edge"}}, "spec": {
                               "hostNetwork": False, "containers": [{"name": "edge", "image": img, "args": ["edge"],
                                                                     "env": env("dev"),
                                                                     "ports": [{"containerPort": 3063,
                                                                                "hostPort": 3063}]}]}}},
                  "status": {"desiredNumberScheduled": count, "currentNumberScheduled": count, "numberReady": count,
                             "updatedNumberScheduled": 1, "numberAvailable": count, "observedGeneration": 2}})
    changed(ds, ("helm", "Update", inc.born + timedelta(days=7), {"f:spec": {}}),
            ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    revs = [revision(inc, "DaemonSet", "flags", "unleash-edge", n + 1, when,
                     {"spec": {"containers": [{"name": "edge", "image": img, "env": env(key)}]}})
            for n, (when, key) in enumerate([(inc.born + timedelta(days=7), "prod"), (chg, "dev")])]
    def relay(key: str) -> Make:
        envname = "development" if key == "dev" else "production"

        def tick(i: int, t: datetime) -> str | None:
            if i % 4 == 0:
                return rust(t, "INFO", "unleash_edge::http::refresher::feature_refresher",
                            f"Successfully refreshed features for environment {envname}")
            if key == "dev" and i % 4 == 1:
                return rust(t, "WARN", "unleash_edge::middleware::validate_token",
                            "Rejected client token for environment production on /api/client/features: "
                            "not subsumed by any edge token (403 Forbidden)")
            return None
        return split(replaced, tick, tick, 15)

    for i, n in enumerate(inc.node_names()):
        created = replaced if n == host else inc.born + timedelta(days=7, minutes=i)
        rev, key = (revs[1], "dev") if n == host else (revs[0], "prod")
        name = f"unleash-edge-{o.suffix(f'edge/{n}', 5)}"
        inc.cluster.add_pod(PodHistory(
            name=name, namespace="flags", workload="unleash-edge",
            containers=[c("edge", img, port=3063, readiness_path="/internal-backstage/ready",
                          liveness_path="/internal-backstage/health", env=env(key))],
            node=n, created=created, states=[o.ContainerState(started_at=created + timedelta(seconds=3))],
            memory=flat(30 + 3 * i), labels={"app": "unleash-edge",
                                              "controller-revision-hash": rev.rsplit("-", 1)[1]},
            owner=o.owner_ref("DaemonSet", "unleash-edge", "flags"),
            logs={"edge": within(relay(key))(name, created + timedelta(seconds=3), inc.captured)}))

    def shop(on_host: bool) -> Make:
        def tick(i: int, t: datetime) -> str | None:
            if not on_host or t < replaced + timedelta(seconds=20):
                return L.js(t, "info", "request served", path="/product/42", status=200, duration_ms=48 + i % 20)
            if i % 6 == 0:
                return L.js(t, "warn", "unleash: fetch toggles failed", status=403,
                            url=f"http://{inc.cluster.node_ip(host)}:3063/api/client/features")
            if i % 2:
                return L.js(t, "info", "request served", path="/product/42", status=200, duration_ms=51)
            return L.js(t, "error", "recommendations call failed", flag="reco.use-v3", enabled=False,
                        upstream="recommendations-legacy.storefront:8080", error="connect ECONNREFUSED")
        return split(AT10, tick, tick, 8)
    nodes = inc.node_names()
    inc.deployment("storefront", "storefront-web",
                   [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                        [c("storefront-web", f"{REGISTRY}/storefront/storefront-web:9.2.0")])],
                   {1: [P(log=within(shop(n == host)), node=n) for n in nodes]})
    herring(inc, "storefront", "storefront-cdn-purger", f"{REGISTRY}/storefront/storefront-cdn-purger", "1.1.0",
            "1.2.0", AT10 - timedelta(minutes=40))
    inc.ask(f"Since about 06:20 requests handled on node {host} fail far more often than on the other "
            "nodes. What is wrong with that host?")
    inc.answer_key(culprit=("DaemonSet", "flags", "unleash-edge"),
                   keywords=["development", "OnDelete", "403"],
                   root_cause=f"The unleash-edge DaemonSet's revision 2 reads the development token; with "
                              f"updateStrategy OnDelete only the pod replaced on {host} runs it. SDKs on that node "
                              "get 403 from the relay, fall back to default flag values (reco.use-v3 off) and call "
                              "the retired recommendations-legacy backend: ECONNREFUSED.",
                   category="node-local-flag-relay-wrong-environment-token",
                   red_herrings=[("Deployment", "storefront", "storefront-cdn-purger")])
    return inc


# ---- 11: a tenant moved to a shard that is not live yet -------------------------------------------------
AT11 = datetime(2026, 12, 5, 15, 30, tzinfo=UTC)


def tenant_api_errors_page() -> Incident:
    """The tenant-to-shard map moves two tenants to pg-shard-5 before that shard exists: their requests fail.

    after: per-tenant configuration drift in multi-tenant SaaS (a routing map edited ahead of the migration it
    describes), where the errors are limited to a few tenants and the service looks healthy overall.
    """
    inc = start(tenant_api_errors_page, "Tenant API errors", AT11, 5111, ("tenancy",))
    chg = AT11 - timedelta(minutes=12)
    shards = {"tenants.json": json.dumps({"acme-retail": "pg-shard-2", "northwind": "pg-shard-3",
                                          "globex-bank": "pg-shard-5", "initech": "pg-shard-5",
                                          "umbrella-labs": "pg-shard-4"}, indent=2)}
    cm = inc.configmap("tenancy", "tenant-shards", shards)
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-client-side-apply", "Update", chg, {"f:data": {"f:tenants.json": {}}}))
    loaded = chg + timedelta(seconds=70)

    def net(i: int, t: datetime) -> str | None:
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        if t >= loaded and i == 0:
            return (f"{stamp} info: Tenancy.ShardMap[0] Reloaded tenant map from /etc/tenancy/tenants.json "
                    "(5 tenants)")
        if t < loaded or i % 3:
            return (f"{stamp} info: Microsoft.AspNetCore.Hosting.Diagnostics[2] Request finished HTTP/1.1 GET "
                    f"/api/v2/invoices - 200 - application/json {12 + i % 30}.4ms")
        tenant = "globex-bank" if i % 2 else "initech"
        return (f"{stamp} fail: Tenancy.TenantDbContextFactory[0] Cannot open connection for tenant {tenant}\n"
                "Npgsql.NpgsqlException (0x80004005): Failed to connect to pg-shard-5.tenancy.svc.cluster.local\n"
                " ---> System.Net.Sockets.SocketException (00000001, 0xFFFDFFFE): Name or service not known\n"
                "   at Npgsql.Internal.NpgsqlConnector.Connect(NpgsqlTimeout timeout)")
    inc.deployment("tenancy", "tenant-api",
                   [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                        [c("tenant-api", f"{REGISTRY}/tenancy/tenant-api:7.4.1")])],
                   {1: [P(log=within(split(loaded, net, net, 7))) for _ in range(3)]})
    for n in (2, 3, 4):
        inc.statefulset("tenancy", f"pg-shard-{n}", [c("postgres", "postgres:16.4", port=5432)], [P()],
                        inc.born + timedelta(days=4), service=5432)
    herring(inc, "tenancy", "tenant-billing", f"{REGISTRY}/tenancy/tenant-billing", "2.5.0", "2.6.0",
            AT11 - timedelta(minutes=25))
    plant(inc, "tenancy", "tenant-db-admin", "password", "tenancy", "PGPASSWORD")
    series(inc, "http_server_request_duration_seconds_count", "counter", "ASP.NET Core requests.",
           {"namespace": "tenancy", "service": "tenant-api", "http_response_status_code": "500",
},
           counter(inc.at - timedelta(hours=2), 0.0, 1.1, loaded))
    inc.pagerduty("[tenancy] tenant-api 500s for 2 enterprise tenants", "Tenant Platform")
    inc.answer_key(culprit=("ConfigMap", "tenancy", "tenant-shards"),
                   keywords=["pg-shard-5", "globex-bank", "tenants.json"],
                   root_cause="The tenant-shards ConfigMap's tenants.json was applied with globex-bank and "
                              "initech mapped to pg-shard-5, which has not been created yet; tenant-api's watcher "
                              "reloaded the map and every request of those tenants fails to connect.",
                   category="tenant-shard-map-ahead-of-migration",
                   red_herrings=[("Deployment", "tenancy", "tenant-billing")])
    return inc


# ---- 12: a chart value no longer passed through tpl ------------------------------------------------------
AT12 = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def notifications_crashloop_alert() -> Incident:
    """A chart upgrade stops passing a value through `tpl`: `{{ .Release.Namespace }}` reaches Kafka literally.

    after: Helm charts that render user values with `tpl` in one version and verbatim in the next, so a
    template expression in values lands unexpanded in the application's configuration.
    """
    inc = start(notifications_crashloop_alert, "Notifications pods crash looping", AT12, 5112, ("notify",))
    chg = AT12 - timedelta(minutes=10)
    props = ("bootstrap.servers=kafka-bootstrap.{{ .Release.Namespace }}.svc:9092\n"
             "group.id=notifier\nauto.offset.reset=earliest\nsecurity.protocol=PLAINTEXT\n")
    cm = inc.configmap("notify", "notifier-config", {"consumer.properties": props},
                       annotations={"meta.helm.sh/release-name": "notifier",
                                    "meta.helm.sh/release-namespace": "notify"})
    cm["metadata"]["labels"] = {"helm.sh/chart": "notifier-3.0.0", "app.kubernetes.io/managed-by": "Helm"}
    changed(cm, ("helm", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("helm", "Update", chg, {"f:data": {"f:consumer.properties": {}},
                                     "f:metadata": {"f:labels": {"f:helm.sh/chart": {}}}}))
    img = f"{REGISTRY}/notify/notifier:3.0.0"
    crash = runlog([
        (0.5, lambda t: f"{ms(t)} INFO  [main] o.a.k.c.c.ConsumerConfig - ConsumerConfig values: \n"
                        "\tbootstrap.servers = [kafka-bootstrap.{{ .Release.Namespace }}.svc:9092]\n"
                        "\tgroup.id = notifier"),
        (0.7, lambda t: f"{ms(t)} WARN  [main] o.a.k.c.ClientUtils - Couldn't resolve server "
                        "kafka-bootstrap.{{ .Release.Namespace }}.svc:9092 from bootstrap.servers as DNS "
                        "resolution failed for kafka-bootstrap.{{ .Release.Namespace }}.svc"),
        (0.8, lambda t: f"{ms(t)} ERROR [main] c.a.n.NotifierApplication - Application run failed\n"
                        "org.apache.kafka.common.KafkaException: Failed to construct kafka consumer\n"
                        "Caused by: org.apache.kafka.common.config.ConfigException: No resolvable bootstrap urls "
                        "given in bootstrap.servers"),
    ])
    inc.deployment("notify", "notifier",
                   [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                        [c("notifier", f"{REGISTRY}/notify/notifier:2.8.1")]),
                    Rev(2, chg, "helm upgrade", [c("notifier", img)])],
                   {1: [P(created=inc.born + timedelta(days=12))],
                    2: [P(state="crashloop", log=within(crash), created=chg + timedelta(seconds=20),
                          run_s=lambda n: 6.0)]},
                   progress="progressing", replicas=2)
    inc.configmap("notify", "notifier-templates", {"welcome.mjml": "<mjml><mj-body/></mjml>\n"})
    herring(inc, "notify", "notify-preferences", f"{REGISTRY}/notify/notify-preferences", "1.3.0", "1.4.0",
            AT12 - timedelta(minutes=25))
    plant(inc, "notify", "notifier-smtp", "password", "notifier", "SMTP_PASSWORD")
    send(inc, [page(inc, "KubePodCrashLooping", {"namespace": "notify", "container": "notifier",
                                                 "job": "kube-state-metrics"},
                    "Pod is crash looping.", "A pod of notify/notifier has been in CrashLoopBackOff for 5 minutes.",
                    'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",'
                    'job="kube-state-metrics",namespace="notify"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("ConfigMap", "notify", "notifier-config"),
                   keywords=["Release.Namespace", "tpl", "bootstrap.servers"],
                   root_cause="The notifier chart 3.0.0 no longer renders the kafka bootstrap value through tpl: "
                              "the notifier-config ConfigMap now holds the literal '{{ .Release.Namespace }}' in "
                              "bootstrap.servers, DNS resolution fails and the new pod's consumer cannot start.",
                   category="helm-value-no-longer-templated",
                   red_herrings=[("Deployment", "notify", "notify-preferences")])
    return inc


ALL = [checkout_orders_burn, seller_payouts_failing_page, accounts_service_crashloop, order_events_alerts_grouped,
       loyalty_scaleup_question, stock_sync_crashloop, ledger_import_errors_alert, catalog_pages_503_alert,
       search_api_timeouts_page, node_errors_question_host, tenant_api_errors_page, notifications_crashloop_alert]
