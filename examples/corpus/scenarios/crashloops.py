"""Pods that cannot start: a missing variable, a bad value, a missing key, a missing Secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from corpus import logs as L
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts


def orders_api_crashloop() -> Incident:
    """orders-api 4.2.0 requires PAYMENT_PROVIDER_URL at start-up; the prod values never set it.

    On-call sees: KubePodCrashLooping on one orders-api pod; the three old pods still serve.
    Real cause: the 4.2.0 rollout (Deployment revision 12) lacks the new required variable.
    """
    at = datetime(2026, 5, 4, 10, 12, tzinfo=UTC)
    inc = Incident("orders-api-crashloop", title="KubePodCrashLooping: orders/orders-api",
                   story="A release adds a required environment variable that the deployment does not set.",
                   at=at, seed=301, namespaces=("orders",))
    deploy_at = at - timedelta(minutes=16)
    db_pw = inc.canary("password", "orders-db")
    env = [{"name": "NODE_ENV", "value": "production"},
           {"name": "ORDERS_DB_URL", "value": "postgres://orders@orders-postgres.orders.svc:5432/orders"},
           {"name": "ORDERS_DB_PASSWORD", "value": db_pw}]
    old_img, new_img = f"{REGISTRY}/orders/orders-api:4.1.3", f"{REGISTRY}/orders/orders-api:4.2.0"

    def ok_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start, L.js(start, "info", "server listening", port=8080, version="4.1.3")),
                        *L.ticker(end - timedelta(minutes=20), end, 47, lambda i, t: L.js(
                            t, "info", "request completed", method="POST" if i % 3 else "GET",
                            url="/v1/orders" if i % 3 else "/v1/orders/ord_8812", statusCode=201 if i % 3 else 200,
                            responseTime=18 + i % 23, pid=1, hostname=pod))])

    def crash(pod: str, start: datetime, end: datetime) -> str:
        trace = "\n".join([
            "/app/dist/config.js:41",
            "    throw new Error(`Missing required environment variable: ${name}`);",
            "    ^", "",
            "Error: Missing required environment variable: PAYMENT_PROVIDER_URL",
            "    at required (/app/dist/config.js:41:11)",
            "    at Object.<anonymous> (/app/dist/config.js:63:24)",
            "    at Module._compile (node:internal/modules/cjs/loader:1469:14)",
            "    at Module._extensions..js (node:internal/modules/cjs/loader:1548:10)",
            "    at Module.load (node:internal/modules/cjs/loader:1288:32)",
            "    at Module._load (node:internal/modules/cjs/loader:1104:12)",
            "    at Module.require (node:internal/modules/cjs/loader:1311:19)",
            "    at require (node:internal/modules/helpers:179:18)",
            "    at Object.<anonymous> (/app/dist/server.js:9:16)", "", "Node.js v20.17.0"])
        return L.lines([(start, L.js(start, "info", "loading configuration", version="4.2.0", pid=1,
                                      hostname=pod)),
                        (start + timedelta(milliseconds=140), trace)])

    inc.deployment("orders", "orders-api", [
        Rev(11, at - timedelta(days=9), "helm upgrade orders-api 4.1.3", [c("orders-api", old_img, env=env)]),
        Rev(12, deploy_at, "helm upgrade orders-api 4.2.0 (payments via provider gateway)",
            [c("orders-api", new_img, env=env)]),
    ], {11: [P(log=ok_log)] * 3, 12: [P("crashloop", log=crash, run_s=lambda n: 1.4)]},
        progress="progressing", replicas=3)
    worker_img = f"{REGISTRY}/orders/orders-worker:4.1.3"

    def worker_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=25), end, 61, lambda i, t: L.js(
            t, "warn" if i % 4 == 0 else "info",
            "queue empty, backing off" if i % 4 == 0 else "batch processed", batch=i, size=0 if i % 4 == 0 else 12)))

    w = inc.deployment("orders", "orders-worker", [
        Rev(7, at - timedelta(days=9), "helm upgrade orders-worker 4.1.3",
            [c("orders-worker", worker_img, port=None)])],
        {7: [P(log=worker_log)] * 2})
    st = w.pods[0].states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 143
    st.last_started, st.last_finished = at - timedelta(days=2), at - timedelta(hours=4)
    st.started_at = at - timedelta(hours=4) + timedelta(seconds=9)
    inc.service("orders", "orders-api", {"app": "orders-api"})
    pod = inc.pods_of("orders", "orders-api")[-1].name
    inc.alertmanager("KubePodCrashLooping", {"namespace": "orders", "pod": pod, "container": "orders-api",
                                             "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f'Pod orders/{pod} (orders-api) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics", namespace=~".*"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "orders", "orders-api"), keywords=["PAYMENT_PROVIDER_URL", "4.2.0"],
                   root_cause="orders-api 4.2.0 (revision 12) exits at start-up because the required environment "
                              "variable PAYMENT_PROVIDER_URL is not set in the Deployment.",
                   category="crashloop-missing-env",
                   red_herrings=[("Deployment", "orders", "orders-worker")])
    return inc


def edge_gateway_errors() -> Incident:
    """Someone edits the quota service's ConfigMap by hand: RATE_LIMIT_WINDOW "90" has no unit.

    On-call sees: an error-budget burn on the edge gateway (Envoy answers 500 with RLSE: the rate
    limit service errors). The gateway is the victim; the quota pods crash-loop because the app
    re-reads its mounted config, fails to parse the duration and exits. No deploy happened: the
    only change is the ConfigMap (managedFields shows a kubectl-edit 22 minutes before the alert).
    """
    at = datetime(2026, 5, 19, 17, 3, tzinfo=UTC)
    inc = Incident("edge-gateway-errors", title="Error budget burn: edge gateway availability",
                   story="A hand edit to a ConfigMap puts a duration without unit; the service exits on reload.",
                   at=at, seed=302, namespaces=("edge",))
    edit = at - timedelta(minutes=22)
    redis_pw = inc.canary("password", "quota-redis")
    cm = inc.configmap("edge", "quota-config", {
        "RATE_LIMIT_WINDOW": "90", "RATE_LIMIT_BURST": "200", "REDIS_ADDR": "redis-quota.edge.svc:6379",
        "REDIS_URL": f"redis://:{redis_pw}@redis-quota.edge.svc:6379/0"},
        at=at - timedelta(days=30))
    cm["metadata"]["managedFields"] = [
        {"manager": "helm", "operation": "Update", "apiVersion": "v1", "time": ts(at - timedelta(days=30)),
         "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {".": {}, "f:RATE_LIMIT_BURST": {}, "f:REDIS_ADDR": {},
                                                            "f:REDIS_URL": {}}}},
        {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1", "time": ts(edit),
         "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:RATE_LIMIT_WINDOW": {}}}}]
    img = f"{REGISTRY}/edge/quota:2.7.1"

    def crash(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([
            (start, L.js(start, "info", "starting quota service", version="2.7.1", caller="quota/main.go:41")),
            (start + timedelta(milliseconds=30), L.js(start, "info", "loading config", path="/etc/quota/config",
                                                       caller="config/load.go:77")),
            (start + timedelta(milliseconds=31), L.js(
                start, "fatal", "invalid configuration", caller="quota/main.go:58",
                error='RATE_LIMIT_WINDOW: time: missing unit in duration "90"',
                stacktrace="main.main\n\t/src/cmd/quota/main.go:58\nruntime.main\n\t/usr/local/go/src/runtime/proc.go:272"))])

    first_crash = edit + timedelta(seconds=75)
    inc.deployment("edge", "quota", [
        Rev(4, at - timedelta(days=11), "helm upgrade quota 2.7.1",
            [c("quota", img, port=8081, env=[{"name": "CONFIG_DIR", "value": "/etc/quota/config"}])],
            pod_spec={"volumes": [{"name": "config", "configMap": {"name": "quota-config"}}]})],
        {4: [P("crashloop", log=crash, reason="Error", exit_code=1, crash_from=first_crash,
               run_s=lambda n: 0.4)] * 2})
    inc.service("edge", "quota", {"app": "quota"}, port=8081, target=8081)

    def gw_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            bad = t > edit + timedelta(seconds=80)
            return L.envoy(t, "GET", ["/api/v1/products", "/api/v1/cart", "/api/v1/search?q=shoes"][i % 3],
                           500 if bad and i % 5 else 200, "RLSE" if bad and i % 5 else "-",
                           "-" if bad and i % 5 else f"10.244.{1 + i % 3}.{30 + i % 9}:8080",
                           1 if bad else 12 + i % 30, "api.example.com", L.uuidish(pod, i),
                           "rate_limiter_error" if bad and i % 5 else "via_upstream")
        return L.lines(L.ticker(end - timedelta(minutes=30), end, 13, line))

    inc.deployment("edge", "gateway", [
        Rev(9, at - timedelta(days=20), "helm upgrade gateway envoy v1.31.2",
            [c("gateway", "docker.io/envoyproxy/envoy:v1.31.2", port=10000, readiness_path="/ready",
               liveness_path=None)])], {9: [P(log=gw_log)] * 2})
    inc.service("edge", "gateway", {"app": "gateway"}, port=443, target=10000)
    inc.slo_burn("gateway", "edge", "gateway-availability", "0.999", 31.4,
                 "api.example.com availability SLO: 2h error budget burn rate 31.4 (5m) / 18.2 (1h).")
    inc.answer_key(culprit=("ConfigMap", "edge", "quota-config"), keywords=["RATE_LIMIT_WINDOW", "unit"],
                   root_cause='A hand edit of ConfigMap edge/quota-config set RATE_LIMIT_WINDOW to "90" (no unit); '
                              "the quota service fails to parse it and exits, so Envoy's rate-limit filter errors "
                              "(RLSE) and the gateway answers 500.",
                   category="crashloop-bad-config-value",
                   red_herrings=[("Deployment", "edge", "gateway")])
    return inc


def checkout_rollout_stuck() -> Incident:
    """checkout revision 6 reads PROMO_SERVICE_URL from ConfigMap checkout-config, which never got the key.

    On-call sees: KubeDeploymentRolloutStuck on shop/checkout; the new pod never starts
    (CreateContainerConfigError), the old ReplicaSet keeps serving. The catalog restarted two hours
    ago after a node drain: unrelated.
    """
    at = datetime(2026, 6, 2, 8, 40, tzinfo=UTC)
    inc = Incident("checkout-rollout-stuck", title="KubeDeploymentRolloutStuck: shop/checkout",
                   story="The deployment references a ConfigMap key that the ConfigMap does not have.",
                   at=at, seed=303, skip={("shop", "checkout")})
    deploy_at = at - timedelta(minutes=24)
    base_env = [{"name": "LOG_FORMAT", "value": "json"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "checkout-db", "key": "password"}}},
                {"name": "CACHE_TTL", "valueFrom": {"configMapKeyRef": {"name": "checkout-config",
                                                                          "key": "CACHE_TTL"}}}]
    new_env = [*base_env, {"name": "PROMO_SERVICE_URL", "valueFrom": {"configMapKeyRef": {
        "name": "checkout-config", "key": "PROMO_SERVICE_URL"}}}]

    def ok_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 33, lambda i, t: L.js(
            t, "info", "order placed" if i % 2 else "cart priced", order_id=f"o-{88120 + i}", status=200,
            duration_ms=31 + i % 40, logger="checkout.api")))

    inc.deployment("shop", "checkout", [
        Rev(5, at - timedelta(days=6), "deploy checkout 1.8.2",
            [c("checkout", f"{REGISTRY}/shop/checkout:1.8.2", memory_limit="512Mi", env=base_env)]),
        Rev(6, deploy_at, "deploy checkout 1.9.0: promo codes at checkout",
            [c("checkout", f"{REGISTRY}/shop/checkout:1.9.0", memory_limit="512Mi", env=new_env)]),
    ], {5: [P(log=ok_log)] * 3, 6: [P("waiting", waiting_reason="CreateContainerConfigError",
                                      message="couldn't find key PROMO_SERVICE_URL in ConfigMap "
                                              "shop/checkout-config")]},
        progress="deadline", replicas=3, max_surge="1", max_unavailable="0")
    catalog = inc.pods_of("shop", "catalog")[1]
    st = catalog.states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 137
    st.last_started, st.last_finished = at - timedelta(days=3), at - timedelta(hours=2, minutes=8)
    st.started_at = st.last_finished + timedelta(seconds=12)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "shop", "deployment": "checkout",
                                                    "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment shop/checkout is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false",'
                     'job="kube-state-metrics"} != 0')
    inc.answer_key(culprit=("Deployment", "shop", "checkout"),
                   keywords=["PROMO_SERVICE_URL", "checkout-config", "CreateContainerConfigError"],
                   root_cause="checkout 1.9.0 (revision 6) takes PROMO_SERVICE_URL from ConfigMap "
                              "shop/checkout-config, which has no such key, so its pod stays in "
                              "CreateContainerConfigError and the rollout passed its progress deadline.",
                   category="missing-configmap-key",
                   red_herrings=[("Deployment", "shop", "catalog")])
    return inc


def ledger_deploy_hung() -> Incident:
    """The ledger's DB credentials move to External Secrets; the ExternalSecret cannot read AWS.

    On-call gets a PagerDuty page typed by a payments engineer. The new ledger pod waits in
    CreateContainerConfigError (secret "ledger-db-credentials" not found); the ExternalSecret that
    should create that Secret reports SecretSyncedError: its IAM role may not read the AWS secret.
    """
    at = datetime(2026, 6, 9, 13, 25, tzinfo=UTC)
    inc = Incident("ledger-deploy-hung", title="ledger deploy hung (PagerDuty)",
                   story="An ExternalSecret fails to sync, so the Secret the new pods need does not exist.",
                   at=at, seed=304, skip={("payments", "ledger")})
    deploy_at = at - timedelta(minutes=31)
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "externalsecrets.external-secrets.io"},
             "spec": {"group": "external-secrets.io", "scope": "Namespaced",
                      "names": {"kind": "ExternalSecret", "listKind": "ExternalSecretList",
                                "plural": "externalsecrets", "singular": "externalsecret", "shortNames": ["es"]},
                      "versions": [{"name": "v1beta1", "served": True, "storage": True}]}})
    inc.add({"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
             "metadata": {"name": "ledger-db", "namespace": "payments",
                          "creationTimestamp": ts(deploy_at - timedelta(minutes=3))},
             "spec": {"refreshInterval": "1h", "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws-sm"},
                      "target": {"name": "ledger-db-credentials", "creationPolicy": "Owner"},
                      "dataFrom": [{"extract": {"key": "prod/payments/ledger-db"}}]},
             "status": {"conditions": [{
                 "type": "Ready", "status": "False", "reason": "SecretSyncedError",
                 "message": "could not get secret data from provider",
                 "lastTransitionTime": ts(deploy_at - timedelta(minutes=3))}], "refreshTime": None}})
    es = inc.find("ExternalSecret", "payments", "ledger-db")
    inc.event(es, "UpdateFailed", "AccessDeniedException: User: arn:aws:sts::418272790013:assumed-role/"
              "eso-payments/external-secrets is not authorized to perform: secretsmanager:GetSecretValue on "
              "resource: prod/payments/ledger-db because no identity-based policy allows the "
              "secretsmanager:GetSecretValue action", at - timedelta(minutes=50), at + timedelta(minutes=30),
              count=19, component="external-secrets")
    old_pw = inc.canary("password", "ledger-old")
    inc.secret("payments", "ledger-db", {"username": "ledger", "password": old_pw})
    old_env = [{"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "ledger-db", "key": "username"}}},
               {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "ledger-db", "key": "password"}}}]
    new_env = [{"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "ledger-db-credentials",
                                                                  "key": "username"}}},
               {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "ledger-db-credentials",
                                                                      "key": "password"}}}]
    img = f"{REGISTRY}/payments/ledger:1.2.7"

    def ok_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=20), end, 40, lambda i, t: L.logfmt(
            t, "info", "entry posted", account=f"acct_{4410 + i % 7}", amount_minor=1200 + 37 * i, took_ms=4 + i % 9)))

    inc.deployment("payments", "ledger", [
        Rev(3, at - timedelta(days=15), "deploy ledger 1.2.7", [c("ledger", img, env=old_env)]),
        Rev(4, deploy_at, "ledger: read DB credentials from External Secrets (PAY-2291)",
            [c("ledger", img, env=new_env)]),
    ], {3: [P(log=ok_log)] * 2, 4: [P("waiting", waiting_reason="CreateContainerConfigError",
                                      message='secret "ledger-db-credentials" not found')]},
        progress="deadline", replicas=2, max_surge="1", max_unavailable="0")
    inc.pagerduty("payments ledger deploy hung for 30 min, new pods never come up - pls check. "
                  "payments API latency also looks a bit higher than usual", "Payments Platform")
    inc.answer_key(culprit=("ExternalSecret", "payments", "ledger-db"),
                   keywords=["ledger-db-credentials", "GetSecretValue"],
                   root_cause="ExternalSecret payments/ledger-db cannot read prod/payments/ledger-db from AWS "
                              "Secrets Manager (the eso-payments role lacks secretsmanager:GetSecretValue), so Secret "
                              "ledger-db-credentials is never created and ledger revision 4 pods stay in "
                              "CreateContainerConfigError.",
                   category="missing-secret",
                   red_herrings=[("Deployment", "payments", "payments")])
    return inc


SCENARIOS = [orders_api_crashloop, edge_gateway_errors, checkout_rollout_stuck, ledger_deploy_hung]
