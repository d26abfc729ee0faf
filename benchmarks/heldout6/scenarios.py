"""Round 6 of the held-out incident set: twelve incidents written blind to Vigil's reasoning code.

Each function builds one incident on the corpus kit. Its docstring is the story (the answer); the
bundle's name, title and alert say only what the on-call saw. Every bundle has the shared
background, noise, exactly one red herring (a plausible, unrelated problem named in the key) and
secret canaries of its own. Log lines follow the formats the real software writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

DAY = datetime(2026, 12, 1, tzinfo=UTC)
"""Round 6's incidents happen at different hours of one week, so their timelines never overlap
with each other or with round 5's week."""


# ---- helpers -----------------------------------------------------------------------------------
def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


def _managed(obj: dict[str, Any], manager: str, at: datetime, fields: dict[str, Any],
             operation: str = "Update") -> None:
    """The managedFields entry an edit leaves: often the only record of who changed what, and when."""
    obj["metadata"].setdefault("managedFields", []).append({
        "manager": manager, "operation": operation, "apiVersion": obj.get("apiVersion", "v1"),
        "time": ts(at), "fieldsType": "FieldsV1", "fieldsV1": fields})


def _crd(inc: Incident, group: str, kind: str, version: str, plural: str) -> None:
    """The CustomResourceDefinition a custom resource needs to exist in a real cluster."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": "Namespaced",
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]}})


def _app(inc: Incident, ns: str, name: str, image: str, plans: list[P], at: datetime,
         env: list[dict[str, Any]] | None = None, cause: str = "helm upgrade", **rev: Any) -> Any:
    """A one-revision Deployment that has run for a while (the incident is elsewhere, or in its config)."""
    return inc.deployment(ns, name, [Rev(1, at, cause, [c(name, image, env=env or [])], **rev)], {1: plans})


def _log(make: Callable[[str, datetime, datetime], list[tuple[datetime, str]]]) -> Callable[..., str]:
    return lambda pod, start, end: L.lines(make(pod, start, end))


def _set_log(h: PodHistory, entries: list[tuple[datetime, str]]) -> None:
    h.logs[h.containers[0].name] = L.lines(entries)


def _herring(inc: Incident, ns: str, workload: str, reason: str, msg: str, minutes: int, count: int = 4) -> None:
    """An unrelated warning event on a workload: a plausible suspect that did nothing."""
    pods = inc.pods_of(ns, workload)
    obj = inc.cluster.pod_object(pods[0])
    t = inc.at - timedelta(minutes=minutes)
    msg = msg.replace("{pod}", f"{pods[0].name}_{ns}({obj['metadata']['uid']})").replace(
        "{ip}", inc.cluster.pod_ip(pods[0]))
    inc.event(obj, reason, msg, t, t + timedelta(minutes=3), count=count, host=pods[0].node)


def _env(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def _ramp(start: datetime, end: datetime, before: float, after: float) -> Callable[[datetime], float]:
    """A value flat at `before` until `start`, moving linearly to `after` by `end`, flat after."""
    def value(t: datetime) -> float:
        if t <= start:
            return before
        if t >= end:
            return after
        share = (t - start).total_seconds() / (end - start).total_seconds()
        return before + (after - before) * share
    return value


def _counter(rate: Callable[[datetime], float], origin: datetime, step_s: int = 30) -> Callable[[datetime], float]:
    """A counter whose per-second rate at each time is `rate(t)`: the sum of the steps since `origin`."""
    cache: dict[datetime, float] = {}

    def value(t: datetime) -> float:
        if t <= origin:
            return 0.0
        if t in cache:
            return cache[t]
        total, s = 0.0, origin
        while s < t:
            total += rate(s) * step_s
            s += timedelta(seconds=step_s)
        cache[t] = round(total)
        return cache[t]
    return value


def _ingress(inc: Incident, ns: str, name: str, host: str, service: str,
             annotations: dict[str, str]) -> dict[str, Any]:
    return inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, "generation": 4, "labels": {"app": name},
                     "annotations": annotations},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
                 "rules": [{"host": host, "http": {"paths": [{
                     "path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [{
            "hostname": "k8s-ingressn-ingressn-5c1e0b8e2d-0a8f6d3c1b7e4f92.elb.eu-west-1.amazonaws.com"}]}}})


def _nginx_pods(inc: Incident) -> list[PodHistory]:
    return inc.pods_of("ingress-nginx", "ingress-nginx-controller")


# ---- 1. ingress-nginx: a chart default shrinks the request body limit -----------------------------
def claims_attachments_question() -> Incident:
    """claims-portal's chart 5.0 moves Ingress annotations under `ingress.annotations`; the release's
    old `nginx.ingress.kubernetes.io/proxy-body-size: 25m` override is dropped and the chart's own
    default `1m` is applied (Helm, 13:05). From then on ingress-nginx answers every attachment upload
    over 1 MiB with 413 Request Entity Too Large ("client intended to send too large body") before
    the request reaches claims-portal, whose own logs show only small requests succeeding. A claims-ocr
    worker that was OOMKilled in the morning is unrelated (it reads uploads that already exist)."""
    at = _at(0, 14, 10)
    inc = Incident("claims-attachments-question", title="claims-portal: customers cannot attach files to claims",
                   story=claims_attachments_question.__doc__ or "", at=at, seed=601, namespaces=("claims",))
    helm_at = at - timedelta(minutes=65)
    portal_img = f"{REGISTRY}/claims/claims-portal:5.0.0"

    def portal_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        def line(i: int, t: datetime) -> str:
            path = ["/api/claims/88213", "/api/claims/88213/attachments/4411", "/api/claims?status=open",
                    "/api/claims/90122/notes"][i % 4]
            method = "POST" if path.endswith("/notes") else "GET"
            return L.js(t, "info", "request completed", pid=1, hostname=pod, reqId=f"req-{i:x}",
                        req={"method": method, "url": path}, res={"statusCode": 200},
                        responseTime=18 + (i * 7) % 40)
        return L.ticker(start + timedelta(seconds=8), end, 47, line)

    _app(inc, "claims", "claims-portal", portal_img,
                  [P(log=_log(portal_log)), P(log=_log(portal_log))], helm_at - timedelta(days=6),
                  env=_env(UPLOAD_MAX_MB="25", S3_BUCKET="acme-claims-attachments"))
    inc.service("claims", "claims-portal", {"app": "claims-portal"})
    ing = _ingress(inc, "claims", "claims-portal", "claims.example.com", "claims-portal", {
        "meta.helm.sh/release-name": "claims-portal", "meta.helm.sh/release-namespace": "claims",
        "nginx.ingress.kubernetes.io/proxy-body-size": "1m",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "60",
        "cert-manager.io/cluster-issuer": "letsencrypt-prod"})
    _managed(ing, "helm", helm_at, {"f:metadata": {"f:annotations": {
        "f:nginx.ingress.kubernetes.io/proxy-body-size": {}, "f:nginx.ingress.kubernetes.io/proxy-read-timeout": {}}},
        "f:spec": {"f:rules": {}}})

    # The red herring: the OCR worker was OOMKilled this morning and restarted; it is fine since.
    ocr = _app(inc, "claims", "claims-ocr", f"{REGISTRY}/claims/claims-ocr:1.7.2",
               [P(memory_mi=610)], at - timedelta(days=9))
    st = ocr.pods[0].states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "OOMKilled", 137
    st.last_finished = at - timedelta(hours=4, minutes=12)
    st.last_started = st.last_finished - timedelta(days=3)
    st.started_at = st.last_finished + timedelta(seconds=12)
    ocr.pods[0].logs["claims-ocr"] = L.lines([
        (at - timedelta(minutes=m), L.pylog(at - timedelta(minutes=m), "INFO", "ocr.worker",
                                            f"processed attachment id={4300 + m} pages={1 + m % 9} "
                                            f"in {2 + m % 5}.{m % 10}s"))
        for m in range(60, 0, -6)])

    # ingress-nginx: 413s for bodies over 1 MiB since the Helm upgrade, in the controller's own logs.
    for n, h in enumerate(_nginx_pods(inc)):
        entries: list[tuple[datetime, str]] = []
        for i, t in enumerate(L.every(helm_at - timedelta(minutes=20), inc.captured, 23 + n * 4)):
            client = f"81.2.{69 + i % 7}.{10 + (i * 13) % 200}"
            if i % 3 == 0 and t > helm_at:
                size = 1_300_000 + (i * 411_233) % 6_000_000
                req = f"POST /api/claims/{88000 + i}/attachments"
                entries.append((t, L.nginx_error(t, f"client intended to send too large body: {size} bytes, client: "
                                                 f"{client}, server: claims.example.com, request: \"{req} HTTP/1.1\", "
                                                 'host: "claims.example.com"', conn=2000 + i)))
                entries.append((t, L.nginx_access(t, client, req, 413, 176, "", "", 0.0)))
            elif i % 3 == 0:
                req = f"POST /api/claims/{88000 + i}/attachments"
                entries.append((t, L.nginx_access(t, client, req, 201, 312, "claims-claims-portal-80",
                                                  "201", 0.412)))
            else:
                req = ["GET /api/claims?status=open", "GET /web/recommendations/home", "GET /api/claims/88213"][i % 3]
                up = "claims-claims-portal-80" if "claims" in req else "web-recommendations-80"
                entries.append((t, L.nginx_access(t, client, req, 200, 1834, up, "200", 0.031)))
        _set_log(h, entries)
    for code, before, after in (("413", 0.0, 0.21), ("201", 0.2, 0.0), ("200", 3.1, 3.1)):
        inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {"namespace": "claims", "ingress": "claims-portal", "service": "claims-portal",
                    "status": code, "method": "POST" if code != "200" else "GET",
                    "controller_class": "k8s.io/ingress-nginx", "job": "ingress-nginx-controller-metrics"},
                   _counter(_ramp(helm_at, helm_at + timedelta(minutes=1), before, after), at - timedelta(hours=2)),
                   step_s=30)
    inc.secret("claims", "claims-portal-s3", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "claims-s3"),
                                              "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "claims-s3")})
    inc.ask("Customers say adding files to a claim in claims-portal has failed since lunch, but browsing claims "
            "works. What is going on?")
    inc.answer_key(
        culprit=("Ingress", "claims", "claims-portal"),
        keywords=["proxy-body-size", "413", "too large"],
        root_cause="Helm upgrade of claims-portal chart 5.0 dropped the Ingress's proxy-body-size 25m override; the "
                   "chart default 1m makes ingress-nginx reject attachment uploads over 1 MiB with 413 Request "
                   "Entity Too Large (client intended to send too large body) before they reach claims-portal.",
        category="ingress-body-size-limit-shrunk",
        red_herrings=[("Deployment", "claims", "claims-ocr")])
    return inc


# ---- 2. a library-chart migration drops the preStop drain: errors on every rollout -----------------
def storefront_error_bursts_page() -> Incident:
    """storefront-web's chart moves to the platform library chart (revision 15, yesterday); the new
    template no longer carries the container's `lifecycle.preStop: sleep 15` and keeps the default
    30 s grace period instead of 45. Since then every pod that is stopped gets SIGTERM while
    ingress-nginx still routes to it (endpoints are removed asynchronously), and Node's server closes
    its keep-alive sockets at once: ingress-nginx logs 502s ("upstream prematurely closed connection",
    "connect() failed (111: Connection refused)") for the seconds of each termination. Today's
    routine image bump 6.0.1 (revision 16) is the rollout that paged, but it only replaced pods that
    lacked the drain; the change that broke graceful termination is revision 15. A readiness blip on
    storefront-api (its Redis reconnect) an hour earlier is unrelated."""
    at = _at(1, 10, 20)
    inc = Incident("storefront-error-bursts-page", title="storefront-web: bursts of errors on the shop front",
                   story=storefront_error_bursts_page.__doc__ or "", at=at, seed=602, namespaces=("storefront",))
    rev16 = at - timedelta(minutes=3)
    env = _env(NODE_ENV="production", PORT="8080", API_URL="http://storefront-api.storefront.svc:80")
    drain = {"lifecycle": {"preStop": {"exec": {"command": ["sleep", "15"]}}}}
    revs = [Rev(14, at - timedelta(days=8), "helm upgrade storefront-web 5.9.3",
                [c("storefront-web", f"{REGISTRY}/storefront/storefront-web:5.9.3", env=env)],
                pod_spec={"terminationGracePeriodSeconds": 45}, container=drain),
            Rev(15, at - timedelta(hours=22), "helm upgrade storefront-web 6.0.0 (platform-lib chart 2.1)",
                [c("storefront-web", f"{REGISTRY}/storefront/storefront-web:6.0.0", env=env)]),
            Rev(16, rev16, "helm upgrade storefront-web 6.0.1",
                [c("storefront-web", f"{REGISTRY}/storefront/storefront-web:6.0.1", env=env)])]

    def web_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = [(start, L.js(start, "info", "storefront-web 6.0.1 listening", pid=1, hostname=pod, port=8080))]
        out += L.ticker(start + timedelta(seconds=5), end, 9, lambda i, t: L.js(
            t, "info", "request completed", pid=1, hostname=pod, req={"method": "GET", "url": ["/", "/c/shoes",
                                                                                           "/p/88412"][i % 3]},
            res={"statusCode": 200}, responseTime=41 + (i * 11) % 70))
        return out

    wl = inc.deployment("storefront", "storefront-web", revs,
                        {16: [P(log=_log(web_log), created=rev16 + timedelta(seconds=20 * i)) for i in range(3)]},
                        annotations={"meta.helm.sh/release-name": "storefront-web"})
    inc.service("storefront", "storefront-web", {"app": "storefront-web"})
    _ingress(inc, "storefront", "storefront-web", "shop.example.com", "storefront-web",
             {"nginx.ingress.kubernetes.io/proxy-read-timeout": "30"})
    old_rs = wl.rs[15]
    old_pods = [f"{old_rs}-{o.suffix(old_rs + str(i), 5)}" for i in range(3)]
    for i, name in enumerate(old_pods):
        t = rev16 + timedelta(seconds=25 + 20 * i)
        rs = inc.find("ReplicaSet", "storefront", old_rs)
        inc.event(rs, "SuccessfulDelete", f"Deleted pod: {name}", t, warning=False, component="replicaset-controller")
    api = _app(inc, "storefront", "storefront-api", f"{REGISTRY}/storefront/storefront-api:3.2.0",
               [P(), P()], at - timedelta(days=12))
    _herring(inc, "storefront", "storefront-api", "Unhealthy",
             'Readiness probe failed: HTTP probe failed with statuscode: 503', 64, count=3)
    api.pods[0].logs["storefront-api"] = L.lines([
        (at - timedelta(minutes=65), L.js(at - timedelta(minutes=65), "warn", "redis connection lost, reconnecting",
                                          pid=1, attempt=1)),
        (at - timedelta(minutes=64), L.js(at - timedelta(minutes=64), "info", "redis reconnected", pid=1))])

    # ingress-nginx: 502s only in the seconds after each old pod is told to stop.
    pod_ips = [f"10.244.{1 + i}.{170 + i}" for i in range(3)]
    for n, h in enumerate(_nginx_pods(inc)):
        entries: list[tuple[datetime, str]] = []
        for i, t in enumerate(L.every(at - timedelta(minutes=25), inc.captured, 1.7 + n * 0.4)):
            client = f"92.40.{10 + i % 50}.{(i * 7) % 250}"
            req = ["GET /", "GET /c/shoes", "GET /p/88412", "GET /cart"][i % 4]
            dying = [k for k in range(3) if timedelta(0) <= t - (rev16 + timedelta(seconds=25 + 20 * k))
                     <= timedelta(seconds=6)]
            if dying and i % 2 == 0:
                ip = pod_ips[dying[0]]
                msg = ("upstream prematurely closed connection while reading response header from upstream"
                       if i % 4 == 0 else "connect() failed (111: Connection refused) while connecting to upstream")
                entries.append((t, L.nginx_error(t, f"{msg}, client: {client}, server: shop.example.com, request: "
                                                 f"\"{req} HTTP/1.1\", upstream: \"http://{ip}:8080{req[4:]}\", "
                                                 'host: "shop.example.com"', conn=5000 + i)))
                entries.append((t, L.nginx_access(t, client, req, 502, 150, "storefront-storefront-web-80",
                                                  "502", 0.004)))
            else:
                entries.append((t, L.nginx_access(t, client, req, 200, 18344, "storefront-storefront-web-80",
                                                  "200", 0.052)))
        _set_log(h, entries[-400:])

    def bursts(t: datetime) -> float:
        stops = [rev16 + timedelta(seconds=25 + 20 * k) for k in range(3)]
        stops += [at - timedelta(hours=h, minutes=10) for h in (1, 2)]  # HPA scale-downs this morning
        return 9.0 if any(timedelta(0) <= t - s < timedelta(seconds=30) for s in stops) else 0.0
    for code, rate in (("502", bursts), ("200", lambda t: 140.0)):
        inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests",
                   {"namespace": "storefront", "ingress": "storefront-web", "service": "storefront-web",
                    "status": code, "method": "GET", "controller_class": "k8s.io/ingress-nginx",
                    "job": "ingress-nginx-controller-metrics"}, _counter(rate, at - timedelta(hours=2)), step_s=30)
    inc.secret("storefront", "storefront-web-session", {"SESSION_SECRET": inc.canary("token", "storefront-session")})
    inc.pagerduty("[FIRING:1] StorefrontHigh5xxRate storefront (shop.example.com, 5xx ratio 6.2% over 2m)",
                  "Storefront")
    inc.answer_key(
        culprit=("Deployment", "storefront", "storefront-web"),
        keywords=["preStop", "502", "SIGTERM"],
        root_cause="storefront-web revision 15 (chart 6.0.0 on the platform library chart) dropped the container's "
                   "preStop sleep and the 45 s grace period; pods now get SIGTERM and close connections while "
                   "ingress-nginx still routes to them, so every rollout or scale-down (today's 6.0.1) gives "
                   "bursts of 502s (upstream prematurely closed / connection refused).",
        category="prestop-drain-removed-rollout-errors",
        red_herrings=[("Deployment", "storefront", "storefront-api")])
    return inc


# ---- 3. Spring Boot: the JDBC pool is cut to four connections ------------------------------------
POLICY_YAML = """spring:
  datasource:
    url: jdbc:postgresql://policy-db.policy.svc:5432/policy
    username: policy_app
    hikari:
      maximum-pool-size: {pool}
      minimum-idle: {idle}
      connection-timeout: 30000
      max-lifetime: 1800000
server:
  tomcat:
    threads:
      max: 200
management:
  endpoints.web.exposure.include: health,prometheus
"""


def policy_api_error_burn() -> Incident:
    """A "DB connection budget" ticket edits ConfigMap policy-api-config by hand (kubectl edit, 09:02)
    and cuts `spring.datasource.hikari.maximum-pool-size` from 30 to 4 (meant for the staging
    overlay); a `kubectl rollout restart` at 09:05 picks it up. At the morning peak the Tomcat
    threads queue for four connections: HikariCP's `Connection is not available, request timed out
    after 30000ms (total=4, active=4, idle=0, waiting=..)`, CannotGetJdbcConnectionException and
    HTTP 500s; hikaricp_connections_pending climbs while Postgres sits mostly idle. Postgres's own
    "checkpoints are occurring too frequently" warning from the nightly batch is unrelated."""
    at = _at(2, 9, 40)
    inc = Incident("policy-api-error-burn", title="policy-api error budget burning",
                   story=policy_api_error_burn.__doc__ or "", at=at, seed=603, namespaces=("policy",))
    edit, restart = at - timedelta(minutes=38), at - timedelta(minutes=35)
    cm = inc.configmap("policy", "policy-api-config", {"application.yaml": POLICY_YAML.format(pool=4, idle=2)},
                       at=at - timedelta(days=30),
                       annotations={"kubectl.kubernetes.io/last-applied-configuration":
                                    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"policy-api-config",'
                                    '"namespace":"policy"},"data":{"application.yaml":"'
                                    + POLICY_YAML.format(pool=30, idle=10).replace("\n", "\\n") + '"}}'})
    _managed(cm, "kubectl-client-side-apply", at - timedelta(days=30), {"f:data": {}}, operation="Update")
    _managed(cm, "kubectl-edit", edit, {"f:data": {"f:application.yaml": {}}})
    image = f"{REGISTRY}/policy/policy-api:2.14.3"
    mount = {"volumes": [{"name": "config", "configMap": {"name": "policy-api-config"}}]}
    cont = {"volumeMounts": [{"name": "config", "mountPath": "/config"}]}
    env = _env(SPRING_CONFIG_ADDITIONAL_LOCATION="/config/application.yaml",
               JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75")

    def api_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        s = start
        hikari, pool = "com.zaxxer.hikari.HikariDataSource", "com.zaxxer.hikari.pool.HikariPool"
        out = [(s, L.spring(s, "INFO", "c.a.policy.PolicyApiApplication", "Starting PolicyApiApplication v2.14.3 "
                            "using Java 21.0.4 with PID 1")),
               (s + timedelta(seconds=6), L.spring(s + timedelta(seconds=6), "INFO", hikari,
                                                   "HikariPool-1 - Starting...")),
               (s + timedelta(seconds=7), L.spring(s + timedelta(seconds=7), "INFO", pool,
                                                   "HikariPool-1 - Added connection "
                                                   "org.postgresql.jdbc.PgConnection@5b8dfcc1")),
               (s + timedelta(seconds=7), L.spring(s + timedelta(seconds=7), "INFO", hikari,
                                                   "HikariPool-1 - Start completed.")),
               (s + timedelta(seconds=11), L.spring(s + timedelta(seconds=11), "INFO",
                                                    "o.s.b.w.embedded.tomcat.TomcatWebServer",
                                                    "Tomcat started on port 8080 (http) with context path '/'"))]

        def line(i: int, t: datetime) -> str | None:
            if t < at - timedelta(minutes=12):
                return None
            waiting = 18 + (i * 7) % 40
            return (L.spring(t, "ERROR", "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                             "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw "
                             "exception [Request processing failed: org.springframework.jdbc.CannotGetJdbcConnection"
                             "Exception: Failed to obtain JDBC Connection] with root cause",
                             thread=f"nio-8080-exec-{i % 200}")
                    + "\njava.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request "
                    f"timed out after 30000ms (total=4, active=4, idle=0, waiting={waiting})"
                    "\n\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)"
                    "\n\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)"
                    "\n\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:128)"
                    "\n\tat c.a.policy.quote.QuoteRepository.findActive(QuoteRepository.java:58)")
        return out + L.ticker(s + timedelta(seconds=20), end, 13, line)

    revs = [Rev(8, at - timedelta(days=5), "helm upgrade policy-api 2.14.3", [c("policy-api", image, env=env,
                                                                                 memory_limit="1Gi")],
                pod_spec=mount, container=cont),
            Rev(9, restart, "kubectl rollout restart deployment/policy-api",
                [c("policy-api", image, env=env, memory_limit="1Gi")], pod_spec=mount, container=cont)]
    wl = inc.deployment("policy", "policy-api", revs, {9: [P(log=_log(api_log), memory_mi=640) for _ in range(3)]})
    wl.obj["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = ts(restart)
    inc.service("policy", "policy-api", {"app": "policy-api"})
    db = inc.statefulset("policy", "policy-db", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                     memory_limit="4Gi")], [P(memory_mi=1900)],
                         at - timedelta(days=40), claims=[("data", "200Gi", "gp3")], service=5432)
    db.pods[0].logs["postgres"] = L.lines([
        (at - timedelta(hours=6, minutes=m), L.postgres(at - timedelta(hours=6, minutes=m), "LOG",
                                                        "checkpoints are occurring too frequently (24 seconds apart)"
                                                        "\nHINT:  Consider increasing the configuration parameter "
                                                        "\"max_wal_size\".", pid=61)) for m in (30, 20, 10)]
        + [(at - timedelta(minutes=m), L.postgres(at - timedelta(minutes=m), "LOG",
                                                  "checkpoint complete: wrote 412 buffers (0.3%); 0 WAL file(s) added, "
                                                  "1 removed, 0 recycled; write=40.9 s, sync=0.004 s, total=41.0 s",
                                                  pid=61)) for m in (50, 25, 5)])
    pods = [p.name for p in wl.pods]
    origin = at - timedelta(hours=2)
    for pod in pods:
        base = {"namespace": "policy", "pod": pod, "pool": "HikariPool-1", "job": "policy-api"}
        inc.series("hikaricp_connections_max", "gauge", "Max connections", dict(base),
                   lambda t: 4.0 if t >= restart else 30.0)
        inc.series("hikaricp_connections_active", "gauge", "Active connections", dict(base),
                   lambda t: 4.0 if t >= at - timedelta(minutes=15) else (3.0 if t >= restart else 6.0))
        inc.series("hikaricp_connections_pending", "gauge", "Pending threads", dict(base),
                   _ramp(at - timedelta(minutes=15), at, 0, 52))
    inc.series("pg_stat_activity_count", "gauge", "number of connections in this state",
               {"namespace": "policy", "datname": "policy", "state": "active", "job": "postgres-exporter"},
               lambda t: 3.0 if t >= restart else 7.0)
    for code, rate in (("500", _ramp(at - timedelta(minutes=15), at - timedelta(minutes=5), 0.0, 6.5)),
                       ("200", _ramp(at - timedelta(minutes=15), at - timedelta(minutes=5), 38.0, 21.0))):
        inc.series("http_server_requests_seconds_count", "counter", "Duration of HTTP server request handling",
                   {"namespace": "policy", "service": "policy-api", "uri": "/api/v1/quotes/{id}", "status": code,
                    "job": "policy-api"}, _counter(rate, origin))
    inc.secret("policy", "policy-db-credentials", {"password": inc.canary("password", "policy-db")})
    inc.slo_burn("policy-api", "policy", "policy-api-availability", "99.9%", 31.4,
                 "policy-api is returning HTTP 500 for 22% of requests over the last 5m (budget: 0.1%).")
    inc.answer_key(
        culprit=("ConfigMap", "policy", "policy-api-config"),
        keywords=["maximum-pool-size", "HikariCP", "Connection is not available"],
        root_cause="A hand edit (kubectl edit) of ConfigMap policy-api-config cut the HikariCP "
                   "spring.datasource.hikari.maximum-pool-size from 30 to 4, applied by the rollout restart; at the "
                   "morning peak requests wait for the 4 connections and fail with 'Connection is not available, "
                   "request timed out after 30000ms' (HTTP 500), while Postgres is mostly idle.",
        category="jdbc-pool-size-cut",
        red_herrings=[("StatefulSet", "policy", "policy-db")])
    return inc


# ---- 4. one node's conntrack table full: a crawler stops reusing connections ----------------------
def node_outbound_timeouts_question() -> Incident:
    """link-checker revision 7 (13:50) raises CRAWL_CONCURRENCY from 32 to 512 and sets
    HTTP_KEEPALIVE=false (to "avoid stale sockets"): its single pod on ip-10-0-2-21 now opens a new
    TCP connection for every request, ~2,400 a second, and each leaves a conntrack entry for minutes
    (TIME_WAIT). From 14:05 that node's nf_conntrack table sits at its limit of 131072 and the kernel
    drops new flows ("nf_conntrack: table full, dropping packet"): every pod on that node times out
    on new outbound connections, on other nodes nothing is wrong. The evidence is in node-exporter's
    conntrack metrics for that one node and link-checker's revision change. An aws-node (VPC CNI)
    restart on the same node yesterday is unrelated."""
    at = _at(2, 14, 25)
    inc = Incident("node-outbound-timeouts-question", title="services on one node time out",
                   story=node_outbound_timeouts_question.__doc__ or "", at=at, seed=604, namespaces=("seo",))
    node = "ip-10-0-2-21.eu-west-1.compute.internal"
    node_ip = inc.cluster.node_ip(node)
    change, full = at - timedelta(minutes=35), at - timedelta(minutes=20)
    image = f"{REGISTRY}/seo/link-checker:1.9.0"

    def crawler_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return L.ticker(start, end, 30, lambda i, t: L.logfmt(
            t, "info", "crawl progress", component="crawler", fetched=48000 * (i + 1) + (i * 977) % 4000,
            errors=(0 if t < full else 300 + i * 41), workers=512, keepalive=False))

    revs = [Rev(6, at - timedelta(days=20), "deploy link-checker 1.9.0",
                [c("link-checker", image, env=_env(CRAWL_CONCURRENCY="32", HTTP_KEEPALIVE="true"))]),
            Rev(7, change, "kubectl set env deployment/link-checker CRAWL_CONCURRENCY=512 HTTP_KEEPALIVE=false",
                [c("link-checker", image, env=_env(CRAWL_CONCURRENCY="512", HTTP_KEEPALIVE="false"))])]
    inc.deployment("seo", "link-checker", revs, {7: [P(node=node, log=_log(crawler_log), memory_mi=240)]})

    # Victims: whatever runs on that node fails to open new connections; the same apps elsewhere are fine.
    victims = [h for h in inc.cluster.pods if h.node == node and h.namespace in ("shop", "web", "payments")][:3]
    for n, h in enumerate(victims):
        entries = [(t, L.logfmt(t, "error", "upstream call failed", component=h.workload,
                                err=f'Get "http://{["search.shop", "ledger.payments", "recommendations.web"][n % 3]}'
                                    f'.svc.cluster.local/v1/q": dial tcp 172.20.0.{14 + n}:80: i/o timeout'))
                   for t in L.every(full, inc.captured, 19 + n * 5)]
        _set_log(h, [(t, L.logfmt(t, "info", "request served", component=h.workload, status=200, duration_ms=12))
                     for t in L.every(at - timedelta(minutes=40), full, 61)] + entries)

    # The herring: aws-node on the same node restarted yesterday evening.
    aws = next(h for h in inc.cluster.pods if h.workload == "aws-node" and h.node == node)
    st = aws.states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 1
    st.last_finished = at - timedelta(hours=19)
    st.last_started, st.started_at = st.last_finished - timedelta(days=20), st.last_finished + timedelta(seconds=9)
    inc.event(inc.cluster.pod_object(aws), "Unhealthy",
              'Readiness probe failed: {"level":"info","ts":"2026-12-02T19:24:51.112Z","caller":"/root/sdk/go1.22.5/'
              'src/runtime/proc.go:271","msg":"timeout: failed to connect service \\":50051\\" within 5s"}',
              at - timedelta(hours=19, minutes=1), at - timedelta(hours=19), count=3, host=node)

    origin = at - timedelta(hours=2)
    for i, n in enumerate(inc.cluster.nodes):
        name = n["metadata"]["name"]
        ip = inc.cluster.node_ip(name)
        labels = {"instance": f"{ip}:9100", "job": "node-exporter", "node": name}
        base = 7400 + 900 * i
        level = _ramp(change, full, base, 131072) if name == node else (lambda t, b=base: b + (t.minute % 7) * 40.0)
        inc.series("node_nf_conntrack_entries", "gauge", "Number of currently allocated flow entries for "
                   "connection tracking.", dict(labels), level)
        inc.series("node_nf_conntrack_entries_limit", "gauge", "Maximum size of connection tracking table.",
                   dict(labels), lambda t: 131072.0)
        drops = _ramp(full, full + timedelta(minutes=1), 0, 310) if name == node else (lambda t: 0.0)
        inc.series("node_nf_conntrack_stat_drop", "counter", "Number of packets dropped due to conntrack failure.",
                   dict(labels), _counter(drops, origin))
    inc.series("node_netstat_Tcp_ActiveOpens", "counter", "Statistic TcpActiveOpens.",
               {"instance": f"{node_ip}:9100", "job": "node-exporter", "node": node},
               _counter(_ramp(change, change + timedelta(minutes=2), 35, 2400), origin))
    inc.secret("seo", "link-checker-search-console", {"GOOGLE_API_KEY": inc.canary("token", "search-console")})
    inc.ask(f"Is something wrong with node {node}? Since about 14:00 the pods on it keep timing out calling "
            "other services.")
    inc.answer_key(
        culprit=("Deployment", "seo", "link-checker"),
        keywords=["conntrack", "keep-alive", "table full"],
        root_cause="link-checker revision 7 set HTTP_KEEPALIVE=false (no keep-alive) and 512 workers; its pod on "
                   "ip-10-0-2-21 opens ~2,400 new connections a second and fills that node's conntrack table "
                   "(nf_conntrack table full at 131072, dropping packets), so new connections of every pod on the "
                   "node time out.",
        category="node-conntrack-table-exhausted",
        red_herrings=[("DaemonSet", "kube-system", "aws-node")])
    return inc


# ---- 5. the custom-metrics adapter loses its rule: the HPA cannot scale at the peak -------------
ADAPTER_RULES = """rules:
- seriesQuery: '{__name__=~"^container_.*",container!="POD",namespace!="",pod!=""}'
  seriesFilters: []
  resources:
    overrides:
      namespace: {resource: namespace}
      pod: {resource: pod}
  name:
    matches: ^container_(.*)_seconds_total$
    as: ""
  metricsQuery: sum(rate(<<.Series>>{<<.LabelMatchers>>,container!="POD"}[5m])) by (<<.GroupBy>>)
- seriesQuery: '{namespace!="",__name__!~"^container_.*"}'
  seriesFilters:
  - isNot: .*_total$
  resources:
    template: <<.Resource>>
  name:
    matches: ""
    as: ""
  metricsQuery: sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)
"""


def quote_api_latency_page() -> Incident:
    """A Renovate PR bumps the prometheus-adapter chart to 4.11 (Helm, 08:10). The team's values
    file still uses the old key for its custom rules, so the ConfigMap monitoring/prometheus-adapter
    is rendered with the chart's default rules only: the rule that turned `http_requests_total` into
    the per-pod metric `http_requests_per_second` is gone, and the default rules skip `_total`
    series. quote-api's HPA scales on that metric: since 08:11 it reports FailedGetPodsMetric
    ("unable to get metric http_requests_per_second ... the server could not find the metric
    http_requests_per_second for pods") and ScalingActive False, so at the evening peak it stays at
    its 3 minimum replicas while the load wants 9; CPU saturates and p99 latency climbs. quote-api
    itself is unchanged. A quote-worker crash an hour before is unrelated (a poison message)."""
    at = _at(2, 18, 5)
    inc = Incident("quote-api-latency-page", title="quote-api slow at the evening peak",
                   story=quote_api_latency_page.__doc__ or "", at=at, seed=605, namespaces=("quotes",))
    bump = at - timedelta(hours=9, minutes=55)
    cm = inc.configmap("monitoring", "prometheus-adapter", {"config.yaml": ADAPTER_RULES},
                       at=at - timedelta(days=120),
                       annotations={"meta.helm.sh/release-name": "prometheus-adapter",
                                    "meta.helm.sh/release-namespace": "monitoring"})
    cm["metadata"]["labels"] = {"app.kubernetes.io/name": "prometheus-adapter", "helm.sh/chart":
                                "prometheus-adapter-4.11.0", "app.kubernetes.io/managed-by": "Helm"}
    _managed(cm, "helm", bump, {"f:data": {"f:config.yaml": {}}, "f:metadata": {"f:labels": {"f:helm.sh/chart": {}}}})

    def adapter_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return [(start, L.klog(start, "I", "adapter.go:93", "successfully using in-cluster auth")),
                (start, L.klog(start, "I", "secure_serving.go:213", "Serving securely on [::]:6443")),
                (start, L.klog(start, "I", "tlsconfig.go:240", '"Starting DynamicServingCertificateController"'))]
    adapter = inc.deployment("monitoring", "prometheus-adapter", [
        Rev(3, at - timedelta(days=60), "helm upgrade prometheus-adapter 4.9.1",
            [c("prometheus-adapter", "registry.k8s.io/prometheus-adapter/prometheus-adapter:v0.11.2", port=6443)]),
        Rev(4, bump, "helm upgrade prometheus-adapter 4.11.0",
            [c("prometheus-adapter", "registry.k8s.io/prometheus-adapter/prometheus-adapter:v0.12.0", port=6443)])],
        {4: [P(log=_log(adapter_log), memory_mi=70)]})
    adapter.obj["metadata"]["annotations"]["meta.helm.sh/release-name"] = "prometheus-adapter"

    def quote_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        def line(i: int, t: datetime) -> str:
            ms = 90 + i % 60 if t < at - timedelta(minutes=25) else 900 + (i * 137) % 1800
            return L.logfmt(t, "info", "quote priced", route="/v2/quotes", status=200, duration_ms=ms,
                            product=["motor", "home", "travel"][i % 3])
        return L.ticker(end - timedelta(minutes=50), end, 20, line)
    wl = _app(inc, "quotes", "quote-api", f"{REGISTRY}/quotes/quote-api:7.3.0",
              [P(log=_log(quote_log), memory_mi=380) for _ in range(3)], at - timedelta(days=16))
    inc.service("quotes", "quote-api", {"app": "quote-api"})
    hpa = inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "quote-api", "namespace": "quotes", "creationTimestamp": ts(at - timedelta(days=200))},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quote-api"},
                 "minReplicas": 3, "maxReplicas": 20,
                 "metrics": [{"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                                       "target": {"type": "AverageValue", "averageValue": "40"}}}]},
        "status": {"currentReplicas": 3, "desiredReplicas": 3, "lastScaleTime": ts(at - timedelta(hours=11)),
                   "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
                        "message": "the HPA controller was able to get the target's current scale",
                        "lastTransitionTime": ts(at - timedelta(days=200))},
                       {"type": "ScalingActive", "status": "False", "reason": "FailedGetPodsMetric",
                        "message": "the HPA was unable to compute the replica count: unable to get metric "
                                   "http_requests_per_second: unable to fetch metrics from custom metrics API: the "
                                   "server could not find the metric http_requests_per_second for pods",
                        "lastTransitionTime": ts(bump + timedelta(minutes=1))},
                       {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                        "message": "the desired count is within the acceptable range",
                        "lastTransitionTime": ts(at - timedelta(days=3))}]}})
    first, last = bump + timedelta(minutes=1), inc.captured - timedelta(seconds=15)
    n = int((last - first).total_seconds() // 15)
    inc.event(hpa, "FailedGetPodsMetric", "unable to get metric http_requests_per_second: unable to fetch metrics "
              "from custom metrics API: the server could not find the metric http_requests_per_second for pods",
              first, last, count=n, component="horizontal-pod-autoscaler")
    inc.event(hpa, "FailedComputeMetricsReplicas", "invalid metrics (1 invalid out of 1), first error is: failed to "
              "get pods metric value: unable to get metric http_requests_per_second: unable to fetch metrics from "
              "custom metrics API: the server could not find the metric http_requests_per_second for pods",
              first, last, count=n, component="horizontal-pod-autoscaler")

    worker = _app(inc, "quotes", "quote-worker", f"{REGISTRY}/quotes/quote-worker:7.3.0", [P()],
                  at - timedelta(days=16))
    st = worker.pods[0].states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 1
    st.last_finished = at - timedelta(minutes=58)
    st.last_started, st.started_at = st.last_finished - timedelta(days=2), st.last_finished + timedelta(seconds=10)
    worker.pods[0].previous_logs["quote-worker"] = L.lines([(st.last_finished, L.logfmt(
        st.last_finished, "fatal", "cannot decode message", queue="quote-requests",
        err="json: cannot unmarshal string into Go struct field Quote.sum_insured of type int64"))])

    origin = at - timedelta(hours=2)
    load = _ramp(at - timedelta(minutes=40), at - timedelta(minutes=5), 45, 120)
    for h in wl.pods:
        inc.series("http_requests_total", "counter", "Requests served.",
                   {"namespace": "quotes", "pod": h.name, "service": "quote-api", "job": "quote-api"},
                   _counter(load, origin))
        inc.series("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
                   {"namespace": "quotes", "pod": h.name, "container": "quote-api", "job": "kubelet"},
                   _counter(_ramp(at - timedelta(minutes=40), at - timedelta(minutes=20), 0.35, 1.0), origin))
    inc.series("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of pods "
               "managed by this autoscaler.", {"namespace": "quotes", "horizontalpodautoscaler": "quote-api",
                                               "job": "kube-state-metrics"}, lambda t: 3.0)
    inc.series("kube_horizontalpodautoscaler_status_condition", "gauge", "The condition of this autoscaler.",
               {"namespace": "quotes", "horizontalpodautoscaler": "quote-api", "condition": "ScalingActive",
                "status": "false", "job": "kube-state-metrics"}, lambda t: 1.0 if t > bump else 0.0)
    inc.series("job:http_request_duration_seconds:p99", "gauge", "Recorded p99 latency (recording rule).",
               {"namespace": "quotes", "service": "quote-api"},
               _ramp(at - timedelta(minutes=30), at, 0.18, 2.6))
    inc.secret("quotes", "quote-api-rating-engine", {"RATING_API_KEY": inc.canary("token", "rating-engine")})
    inc.pagerduty("quote-api p99 latency above 1.5s for 10 minutes (quotes.example.com)", "Quotes API")
    inc.answer_key(
        culprit=("ConfigMap", "monitoring", "prometheus-adapter"),
        keywords=["http_requests_per_second", "FailedGetPodsMetric", "custom metrics"],
        root_cause="The prometheus-adapter chart upgrade (4.11) rendered ConfigMap monitoring/prometheus-adapter with "
                   "only the default rules, dropping the rule that served http_requests_per_second on the custom "
                   "metrics API; quote-api's HPA fails with FailedGetPodsMetric (ScalingActive False), stays at 3 "
                   "replicas at the evening peak, and latency climbs.",
        category="custom-metrics-adapter-rule-lost",
        red_herrings=[("Deployment", "quotes", "quote-worker")])
    return inc


# ---- 6. cluster-autoscaler scale-down evicts a single-replica service with a long warm-up -------------
def checkout_pricing_errors() -> Incident:
    """pricing-engine runs a single replica with no PodDisruptionBudget (and no
    `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`). After the lunchtime dip the
    cluster-autoscaler finds ip-10-0-5-24 under-used and scales it down (ScaleDown: "marked the node
    as toBeDeleted/unschedulable", "deleting pod for node scale down"): it evicts the only
    pricing-engine pod, and the replacement spends ~12 minutes loading 2.3M price rules before it
    turns ready. For that time the Service has no endpoints and checkout's calls are refused, so
    checkout cannot price baskets. checkout itself is healthy; a cart container restart 40 minutes
    earlier is unrelated."""
    at = _at(3, 13, 50)
    inc = Incident("checkout-pricing-errors", title="checkout cannot price baskets",
                   story=checkout_pricing_errors.__doc__ or "", at=at, seed=606, namespaces=("pricing",),
                   minutes_after=6)
    gone = at - timedelta(minutes=5)
    target = "ip-10-0-5-24.eu-west-1.compute.internal"
    image = f"{REGISTRY}/pricing/pricing-engine:11.2.0"
    live_node = "ip-10-0-3-22.eu-west-1.compute.internal"

    def warm_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        out = [(start, L.spring(start, "INFO", "c.a.pricing.PricingEngineApplication",
                                "Starting PricingEngineApplication v11.2.0 using Java 21.0.4 with PID 1"))]
        out += L.ticker(start + timedelta(seconds=20), end, 45, lambda i, t: L.spring(
            t, "INFO", "c.a.pricing.rules.RuleLoader", f"loading price rules from s3://acme-pricing-rules/2026-12-04/: "
            f"{min(2_310_442, 190_000 * (i + 1)):,} / 2,310,442", thread="rule-loader"))
        return out
    wl = inc.deployment("pricing", "pricing-engine", [Rev(1, at - timedelta(days=9), "helm upgrade pricing-engine",
                                                           [c("pricing-engine", image, memory_limit="6Gi")])],
                        {1: [P(state="notready", created=gone + timedelta(seconds=4), node=live_node,
                               log=_log(warm_log), memory_mi=3100,
                               message="Readiness probe failed: HTTP probe failed with statuscode: 503")]},
                        replicas=1)
    inc.service("pricing", "pricing-engine", {"app": "pricing-engine"})
    rs_name = wl.rs[1]
    rs = inc.find("ReplicaSet", "pricing", rs_name)
    new = wl.pods[0]
    inc.event(rs, "SuccessfulCreate", f"Created pod: {new.name}", new.created, warning=False,
              component="replicaset-controller")
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "checkout", "namespace": "shop", "generation": 1},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "checkout"}}},
             "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3,
                        "observedGeneration": 1}})

    ca_log: list[tuple[datetime, str]] = []
    for m in range(30, 5, -5):
        t = at - timedelta(minutes=m)
        ca_log.append((t, L.klog(t, "I", "static_autoscaler.go:598", "No unschedulable pods")))
        ca_log.append((t, L.klog(t, "I", "eligibility.go:162", f"Node {target} unremovable: cpu requested "
                                 f"({40 + m}% of allocatable) is above the scale-down utilization threshold")
                       if m > 15 else L.klog(t, "I", "eligibility.go:104", f"Node {target} - cpu requested is 21% of "
                                             "allocatable")))
    t = gone - timedelta(seconds=10)
    ca_log += [(t, L.klog(t, "I", "nodes.go:126", f"{target} was unneeded for 10m2.411s")),
               (t, L.klog(t, "I", "actuator.go:161", f"Scale-down: removing node {target}, utilization: {{0.21 0.18 0 "
                          f"cpu 0.21}}, pods to reschedule: pricing/{rs_name}-q7x2m")),
               (gone, L.klog(gone, "I", "taints.go:167", f"Successfully added ToBeDeletedTaint on node {target}")),
               (gone + timedelta(seconds=40), L.klog(gone + timedelta(seconds=40), "I", "drain.go:151",
                                                     f"All pods removed from {target}")),
               (gone + timedelta(seconds=55), L.klog(gone + timedelta(seconds=55), "I", "delete.go:104",
                                                     f"Successfully deleted node {target} from cloud provider "
                                                     "(i-0c7f1e2d9a4b3c5d6)"))]
    _app(inc, "kube-system", "cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.2",
         [P(log=lambda pod, s, e: L.lines(ca_log), node="ip-10-0-1-20.eu-west-1.compute.internal")],
         at - timedelta(days=30))

    for h in inc.pods_of("shop", "checkout"):
        _set_log(h, [(t, L.logfmt(t, "info", "order priced", component="checkout", status=200, duration_ms=34))
                     for t in L.every(at - timedelta(minutes=25), gone, 37)]
                 + [(t, L.logfmt(t, "error", "pricing call failed", component="checkout",
                                 basket=f"b-{int(t.timestamp()) % 9973}",
                                 err='Post "http://pricing-engine.pricing.svc.cluster.local/v1/price": dial tcp '
                                     '172.20.0.41:80: connect: connection refused'))
                    for t in L.every(gone + timedelta(seconds=30), inc.captured, 11)])
    _herring(inc, "shop", "cart", "BackOff", "Back-off restarting failed container cart in pod {pod}", 40, count=2)

    # The scaled-down node, still in the API while the cloud instance terminates.
    node = o.node(target, 5, at - timedelta(days=3), "eu-west-1b", now=inc.captured)
    node["kind"], node["apiVersion"] = "Node", "v1"
    node["spec"]["unschedulable"] = True
    node["spec"]["taints"] = [{"key": "ToBeDeletedByClusterAutoscaler", "value": str(int(gone.timestamp())),
                               "effect": "NoSchedule"},
                              {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                               "timeAdded": ts(gone)}]
    inc.cluster.nodes.append(node)
    old = inc.cluster.add_pod(PodHistory(
        name=f"{rs_name}-q7x2m", namespace="pricing", workload="pricing-engine", containers=new.containers,
        node=target, created=at - timedelta(days=2, hours=3), ended=gone + timedelta(seconds=31),
        labels=dict(new.labels), owner=new.owner,
        states=[o.ContainerState(started_at=at - timedelta(days=2, hours=3) + timedelta(seconds=9))]))
    old_obj = inc.cluster.pod_object(old)
    inc.event(old_obj, "ScaleDown", "deleting pod for node scale down", gone, warning=False,
              component="cluster-autoscaler")
    inc.event(old_obj, "Killing", "Stopping container pricing-engine", gone + timedelta(seconds=1), warning=False,
              host=target)
    inc.event(node, "ScaleDown", "marked the node as toBeDeleted/unschedulable", gone, warning=False,
              component="cluster-autoscaler")
    inc.event(node, "NodeNotSchedulable", f"Node {target} status is now: NodeNotSchedulable", gone, warning=False,
              host=target)

    origin = at - timedelta(hours=2)
    inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
               "deployment.", {"namespace": "pricing", "deployment": "pricing-engine", "job": "kube-state-metrics"},
               lambda t: 0.0 if t >= gone else 1.0)
    inc.series("kube_node_spec_unschedulable", "gauge", "Whether a node can schedule new pods.",
               {"node": target, "job": "kube-state-metrics"}, lambda t: 1.0 if t >= gone else 0.0)
    inc.series("checkout_pricing_requests_total", "counter", "Calls to the pricing engine.",
               {"namespace": "shop", "service": "checkout", "outcome": "error", "job": "checkout"},
               _counter(lambda t: 6.0 if t >= gone else 0.0, origin))
    inc.secret("pricing", "pricing-engine-s3", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "pricing-rules"),
                                                "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "pricing-rules")})
    inc.alertmanager("CheckoutPricingErrors", {"namespace": "shop", "service": "checkout", "team": "checkout"},
                     "checkout cannot price baskets",
                     "More than 20% of checkout's calls to price a basket failed over the last 3 minutes.",
                     'sum(rate(checkout_pricing_requests_total{outcome="error"}[3m])) / '
                     'sum(rate(checkout_pricing_requests_total[3m])) > 0.2', severity="critical",
                     runbook="https://wiki.example.com/runbooks/checkout/pricing-errors")
    inc.answer_key(
        culprit=("Deployment", "pricing", "pricing-engine"),
        keywords=["scale-down", "single replica", "PodDisruptionBudget"],
        root_cause="pricing-engine runs a single replica with no PodDisruptionBudget, so the cluster-autoscaler's "
                   "scale-down of node ip-10-0-5-24 evicted its only pod; the replacement needs ~12 minutes to load "
                   "its price rules, and until it is ready the Service has no endpoints and checkout's pricing "
                   "calls are refused.",
        category="autoscaler-scale-down-evicts-singleton",
        red_herrings=[("Deployment", "shop", "cart")])
    return inc


# ---- 7. a hardening sync turns off the ServiceAccount token a controller needs ----------------------
def report_scheduler_crashloop() -> Incident:
    """The platform's CIS hardening repo (Argo CD, 11:25) sets `automountServiceAccountToken: false`
    on ServiceAccount reporting-jobs, which report-scheduler runs as and which its chart does not
    own. Pods that were running keep their token; the first new pods come with today's routine image
    bump to 4.2.1 (revision 12, 11:40): they have no kube-api-access volume, and the Kubernetes
    Python client's load_incluster_config() raises `ConfigException: Service token file does not
    exist.` at start-up, so the new pod crash-loops and the rollout stalls while the two old pods
    carry on. The image bump looks guilty but changed nothing about the API access."""
    at = _at(3, 11, 58)
    inc = Incident("report-scheduler-crashloop", title="report-scheduler pod crash looping",
                   story=report_scheduler_crashloop.__doc__ or "", at=at, seed=607, namespaces=("reporting",))
    sync, rev12 = at - timedelta(minutes=33), at - timedelta(minutes=18)
    sa = inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "reporting-jobs", "namespace": "reporting",
                               "labels": {"app.kubernetes.io/part-of": "reporting",
                                          "security.acme.io/baseline": "cis-1.8"},
                               "annotations": {"argocd.argoproj.io/tracking-id":
                                               "platform-hardening:/ServiceAccount:reporting/reporting-jobs"}},
                  "automountServiceAccountToken": False})
    _managed(sa, "kubectl-create", at - timedelta(days=90), {"f:metadata": {"f:labels": {}}}, operation="Update")
    _managed(sa, "argocd-controller", sync, {"f:automountServiceAccountToken": {}, "f:metadata": {
        "f:annotations": {"f:argocd.argoproj.io/tracking-id": {}}, "f:labels": {"f:security.acme.io/baseline": {}}}},
        operation="Apply")
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": {"name": "report-scheduler", "namespace": "reporting"},
             "rules": [{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "create",
                                                                                 "delete"]}]})
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "report-scheduler", "namespace": "reporting"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "report-scheduler"},
             "subjects": [{"kind": "ServiceAccount", "name": "reporting-jobs", "namespace": "reporting"}]})
    site = "/usr/local/lib/python3.12/site-packages/kubernetes/config/incluster_config.py"

    def crash(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start, L.pylog(start, "INFO", "scheduler", "report-scheduler 4.2.1 starting")),
                        (start + timedelta(seconds=1), "Traceback (most recent call last):\n"
                         '  File "/app/scheduler/main.py", line 41, in <module>\n    main()\n'
                         '  File "/app/scheduler/main.py", line 22, in main\n    config.load_incluster_config()\n'
                         f'  File "{site}", line 121, in load_incluster_config\n'
                         "    try_refresh_token=try_refresh_token).load_and_set(client_configuration)\n"
                         f'  File "{site}", line 54, in load_and_set\n    self._load_config()\n'
                         f'  File "{site}", line 73, in _load_config\n'
                         '    raise ConfigException("Service token file does not exist.")\n'
                         "kubernetes.config.config_exception.ConfigException: Service token file does not exist.")])

    def ok(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(end - timedelta(minutes=40), end, 60, lambda i, t: L.pylog(
            t, "INFO", "scheduler", f"tick: {i % 4} report jobs due, created Job monthly-statement-{9100 + i}"
            if i % 5 == 0 else "tick: no report jobs due")))
    spec = {"serviceAccountName": "reporting-jobs"}
    img = f"{REGISTRY}/reporting/report-scheduler"
    wl = inc.deployment("reporting", "report-scheduler", [
        Rev(11, at - timedelta(days=6), "helm upgrade report-scheduler 4.2.0", [c("report-scheduler", f"{img}:4.2.0")],
            pod_spec=spec),
        Rev(12, rev12, "helm upgrade report-scheduler 4.2.1", [c("report-scheduler", f"{img}:4.2.1")], pod_spec=spec)],
        {11: [P(log=ok, created=at - timedelta(days=6) + timedelta(minutes=i)) for i in range(2)],
         12: [P(state="crashloop", log=crash, run_s=lambda n: 2.0, exit_code=1, created=rev12 + timedelta(seconds=5))]},
        replicas=2, progress="deadline", max_surge="1", max_unavailable="0")

    def token_volume(pod: dict[str, Any]) -> None:
        name = "kube-api-access-" + o.suffix(pod["metadata"]["name"], 5)
        pod["spec"]["volumes"] = [{"name": name, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                          "fieldPath": "metadata.namespace"}}]}}]}}]
        pod["spec"]["containers"][0]["volumeMounts"] = [{"name": name, "readOnly": True,
                                                         "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    for h in wl.pods[:2]:
        inc.cluster.patch("reporting", h.name, token_volume)
    inc.secret("reporting", "report-scheduler-smtp", {"SMTP_PASSWORD": inc.canary("password", "reporting-smtp")})
    pod = wl.pods[2].name
    inc.alertmanager("KubePodCrashLooping", {"namespace": "reporting", "pod": pod, "container": "report-scheduler",
                                             "job": "kube-state-metrics", "reason": "CrashLoopBackOff"},
                     "Pod is crash looping.",
                     f'Pod reporting/{pod} (report-scheduler) is in waiting state (reason: "CrashLoopBackOff").',
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.pod_series(wl.pods, memory=False)
    inc.answer_key(
        culprit=("ServiceAccount", "reporting", "reporting-jobs"),
        keywords=["automountServiceAccountToken", "token", "in-cluster"],
        root_cause="A hardening sync set automountServiceAccountToken: false on ServiceAccount reporting-jobs; the "
                   "new report-scheduler pods get no service account token, so the Kubernetes client's in-cluster "
                   "config fails ('Service token file does not exist') and they crash-loop, stalling the rollout.",
        category="serviceaccount-token-automount-disabled",
        red_herrings=[("Deployment", "reporting", "report-scheduler")])
    return inc


# ---- 8. etcd without auto-compaction reaches its quota: the gateway's config store goes read-only ---
def gateway_config_alerts_group() -> Incident:
    """The Bitnami etcd chart behind APISIX (StatefulSet gateway/apisix-etcd) was bumped nine days ago;
    the new values dropped `autoCompactionMode: periodic` / `autoCompactionRetention: 1h`, so the
    pods run without ETCD_AUTO_COMPACTION_RETENTION and etcd keeps every revision. The
    ingress controller rewrites upstream node lists on every endpoint change, so the keyspace history
    grows ~200 MB a day until the backend reaches its 2 GiB quota: etcd raises the NOSPACE alarm
    ("mvcc: database space exceeded") and refuses every write. APISIX keeps serving its cached
    routes, but the controller can no longer push changes (new pods of any backend are never added).
    The ControllerRevisions show the env that disappeared. A crash-looping apisix-dashboard (its
    session secret) is unrelated."""
    at = _at(4, 10, 15)
    inc = Incident("gateway-config-alerts-group", title="gateway: three alerts firing together",
                   story=gateway_config_alerts_group.__doc__ or "", at=at, seed=608, namespaces=("gateway",))
    alarm = at - timedelta(minutes=14)
    bump = at - timedelta(days=9)
    base_env = dict(ETCD_ON_K8S="yes", ETCD_INITIAL_CLUSTER_STATE="new", ETCD_QUOTA_BACKEND_BYTES="2147483648",
                    ETCD_LISTEN_CLIENT_URLS="http://0.0.0.0:2379", ETCD_LISTEN_PEER_URLS="http://0.0.0.0:2380")
    image = "docker.io/bitnami/etcd:3.5.16-debian-12-r2"
    members = ["8e9e05c52164694d", "91bc3c398fb3c146", "fd422379fda50e48"]

    def etcd_log(i: int) -> list[tuple[datetime, str]]:
        out = [(t, L.js(t, "info", "saved snapshot", caller="etcdserver/server.go:2413",
                        **{"snapshot-index": 9_140_000 + k * 10001}))
               for k, t in enumerate(L.every(at - timedelta(minutes=50), alarm, 600))]
        out.append((alarm, L.js(alarm, "warn", "alarm raised", caller="etcdserver/server.go:2085", alarm="NOSPACE",
                                **{"from": members[0]})))
        out += [(t, L.js(t, "warn", "failed to apply request", caller="etcdserver/util.go:170",
                         took="112.3µs", request="header:<ID:7587882311 > put:<key:\"/apisix/upstreams/00000000000000"
                                                 "0412\" value_size:1841 >", response="size:0",
                         error="etcdserver: mvcc: database space exceeded"))
                for t in L.every(alarm + timedelta(seconds=20), inc.captured, 40 + 7 * i)]
        return out
    def etcd_member(i: int) -> Callable[[str, datetime, datetime], str]:
        return lambda pod, s, e: L.lines(etcd_log(i))
    pods = [P(log=etcd_member(i), memory_mi=420) for i in range(3)]
    sts = inc.statefulset("gateway", "apisix-etcd", [c("etcd", image, port=2379, memory_limit="1Gi",
                                                        env=_env(**base_env))], pods, bump,
                          claims=[("data", "8Gi", "gp3")], service=2379)
    current = sts.obj["status"]["currentRevision"]
    for n, (name, env, when) in enumerate([
            (f"apisix-etcd-{o.suffix('apisix-etcd-old', 10)}",
             {**base_env, "ETCD_AUTO_COMPACTION_MODE": "periodic", "ETCD_AUTO_COMPACTION_RETENTION": "1h"},
             at - timedelta(days=140)),
            (current, base_env, bump)]):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": n + 1,
                 "metadata": {"name": name, "namespace": "gateway", "creationTimestamp": ts(when),
                              "labels": {"app": "apisix-etcd", "controller.kubernetes.io/hash": name.rsplit("-", 1)[1]},
                              "ownerReferences": [o.owner_ref("StatefulSet", "apisix-etcd", "gateway")]},
                 "data": {"spec": {"template": {"spec": {"containers": [
                     {"name": "etcd", "image": image if n else "docker.io/bitnami/etcd:3.5.12-debian-12-r5",
                      "env": _env(**env)}]}}}}})

    def ctl_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return [(t, L.js(t, "error", "failed to sync ApisixUpstream", caller="apisix/upstream.go:211",
                         upstream=["partner-api_8080", "orders_80", "search_80"][i % 3],
                         error="unexpected status code 500; error message: {\"error_msg\":\"etcdserver: mvcc: "
                               "database space exceeded\"}"))
                for i, t in enumerate(L.every(alarm + timedelta(seconds=30), end, 23))]
    _app(inc, "gateway", "apisix-ingress-controller", "docker.io/apache/apisix-ingress-controller:1.8.2",
         [P(log=_log(ctl_log))], at - timedelta(days=60))
    _app(inc, "gateway", "apisix", "docker.io/apache/apisix:3.10.0-debian", [P(), P()], at - timedelta(days=60))
    dash = _app(inc, "gateway", "apisix-dashboard", "docker.io/apache/apisix-dashboard:3.0.1",
                [P(state="crashloop", reason="Error", exit_code=1, crash_from=at - timedelta(hours=5),
                   run_s=lambda n: 2.0,
                   log=lambda pod, s, e: L.lines([(s, "panic: session secret is empty: set "
                                                      "conf.authentication.secret")]))],
                at - timedelta(days=60))
    del dash

    origin = at - timedelta(hours=2)
    for i in range(3):
        labels = {"namespace": "gateway", "job": "apisix-etcd", "instance": f"apisix-etcd-{i}:2379",
                  "pod": f"apisix-etcd-{i}"}
        inc.series("etcd_mvcc_db_total_size_in_bytes", "gauge", "Total size of the underlying database physically "
                   "allocated in bytes.", dict(labels), _ramp(origin, alarm, 2_131_000_000 - i * 1e6, 2_147_483_648))
        inc.series("etcd_mvcc_db_total_size_in_use_in_bytes", "gauge", "Total size of the underlying database "
                   "logically in use in bytes.", dict(labels), _ramp(origin, alarm, 2_129_000_000, 2_146_900_000))
        inc.series("etcd_server_quota_backend_bytes", "gauge", "Current backend storage quota size in bytes.",
                   dict(labels), lambda t: 2_147_483_648.0)
        inc.series("etcd_mvcc_db_compaction_total_duration_milliseconds_count", "counter", "Bucketed histogram of "
                   "db compaction total duration.", dict(labels), lambda t: 0.0)
        inc.series("grpc_server_handled", "counter", "Total number of RPCs completed on the server.",
                   {**labels, "grpc_service": "etcdserverpb.KV", "grpc_method": "Put",
                    "grpc_code": "ResourceExhausted", "grpc_type": "unary"},
                   _counter(lambda t: 1.6 if t >= alarm else 0.0, origin))
    inc.secret("gateway", "apisix-admin", {"admin-key": inc.canary("token", "apisix-admin")})
    common = {"namespace": "gateway", "prometheus": "monitoring/kube-prometheus-stack-prometheus",
              "cluster": "prod-eu-west-1"}
    alerts = [
        am.alert({"alertname": "etcdDatabaseQuotaLowSpace", **common, "job": "apisix-etcd",
                  "instance": "apisix-etcd-0:2379", "severity": "critical"},
                 {"summary": "etcd cluster database is running full.",
                  "description": 'etcd cluster "apisix-etcd": database size exceeds the defined quota on etcd instance '
                                 "apisix-etcd-0:2379, please defrag or increase the quota as the writes to etcd will "
                                 "be disabled when it is full.",
                  "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/etcd/etcddatabasequotalowspace"},
                 alarm + timedelta(minutes=1),
                 "(last_over_time(etcd_mvcc_db_total_size_in_bytes[5m]) / "
                 "last_over_time(etcd_server_quota_backend_bytes[5m]))*100 > 95"),
        am.alert({"alertname": "etcdHighNumberOfFailedGRPCRequests", **common, "job": "apisix-etcd",
                  "instance": "apisix-etcd-0:2379", "grpc_method": "Put", "grpc_service": "etcdserverpb.KV",
                  "severity": "critical"},
                 {"summary": "etcd cluster has high number of failed grpc requests.",
                  "description": 'etcd cluster "apisix-etcd": 100% of requests for Put failed on etcd instance '
                                 "apisix-etcd-0:2379."},
                 alarm + timedelta(minutes=10),
                 '(sum(rate(grpc_server_handled_total{job=~".*etcd.*", grpc_code=~"Unknown|FailedPrecondition|'
                 'ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded"}[5m])) without (grpc_type, '
                 'grpc_code) / sum(rate(grpc_server_handled_total{job=~".*etcd.*"}[5m])) without (grpc_type, '
                 "grpc_code) > 5)"),
        am.alert({"alertname": "ApisixIngressSyncFailing", **common, "service": "apisix-ingress-controller",
                  "severity": "warning"},
                 {"summary": "APISIX ingress controller cannot sync resources.",
                  "description": "apisix-ingress-controller failed to sync 61 resources in the last 10 minutes."},
                 at, 'sum(increase(apisix_ingress_controller_sync_failure_total[10m])) > 10')]
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["namespace"])
    inc.answer_key(
        culprit=("StatefulSet", "gateway", "apisix-etcd"),
        keywords=["NOSPACE", "compaction", "quota"],
        root_cause="The apisix-etcd chart bump dropped etcd's auto compaction (ETCD_AUTO_COMPACTION_RETENTION is gone "
                   "from the StatefulSet), so history grew until the 2 GiB backend quota: etcd raised the NOSPACE "
                   "alarm (mvcc: database space exceeded) and rejects every write, so the APISIX ingress controller "
                   "can no longer push route and upstream changes.",
        category="etcd-quota-without-compaction",
        red_herrings=[("Deployment", "gateway", "apisix-dashboard")])
    return inc


# ---- 9. a migration's backfill holds an exclusive lock: every query on the table waits -------------
def billing_api_errors_page() -> Incident:
    """The Helm pre-upgrade hook Job billing-migrate-0057 for billing-api 9.4.0 runs Django migration
    invoices.0057, which adds a column and then backfills 38M rows in the same (atomic) migration:
    the ALTER TABLE takes an AccessExclusiveLock on invoices_invoice and holds it for the whole
    backfill. Every billing-api query on that table waits behind it ("still waiting for
    AccessShareLock on relation 16421 ... Process holding the lock: 8812") and is cancelled by the
    app's 5 s lock_timeout ("canceling statement due to lock timeout"): HTTP 500s. billing-api's
    pods and the database server are healthy; the lock holder is the migration Job. Postgres's
    autovacuum warning about a large table is unrelated."""
    at = _at(4, 16, 30)
    inc = Incident("billing-api-errors-page", title="billing-api returning errors",
                   story=billing_api_errors_page.__doc__ or "", at=at, seed=609, namespaces=("billing", "billing-db"))
    began = at - timedelta(minutes=19)
    job_name = "billing-migrate-0057"
    migrate_pid, relation = 8812, 16421

    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": job_name, "namespace": "billing", "creationTimestamp": ts(began),
                                "labels": {"app.kubernetes.io/name": "billing-api", "app.kubernetes.io/component":
                                           "migrate", "helm.sh/chart": "billing-api-9.4.0"},
                                "annotations": {"helm.sh/hook": "pre-upgrade", "helm.sh/hook-weight": "-5",
                                                "helm.sh/hook-delete-policy": "before-hook-creation"}},
                   "spec": {"backoffLimit": 0, "activeDeadlineSeconds": 7200, "completions": 1, "parallelism": 1,
                            "template": {"spec": {"restartPolicy": "Never", "containers": [{
                                "name": "migrate", "image": f"{REGISTRY}/billing/billing-api:9.4.0",
                                "command": ["python", "manage.py", "migrate", "--noinput"]}]}}},
                   "status": {"active": 1, "ready": 1, "startTime": ts(began), "uncountedTerminatedPods": {}}})
    pod_name = f"{job_name}-{o.suffix(job_name, 5)}"
    rows = 38_412_220
    job_log = [(began + timedelta(seconds=3), "Operations to perform:\n  Apply all migrations: admin, auth, "
                "contenttypes, invoices, sessions\nRunning migrations:"),
               (began + timedelta(seconds=4), "  Applying invoices.0056_invoice_tax_breakdown... OK"),
               (began + timedelta(seconds=5), "  Applying invoices.0057_backfill_tax_breakdown...")]
    job_log += [(t, L.pylog(t, "INFO", "invoices.migrations",
                            f"backfill tax_breakdown: {min(rows, (k + 1) * 180_000):,} / {rows:,} rows"))
                for k, t in enumerate(L.every(began + timedelta(seconds=65), inc.captured, 60))]
    h = inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace="billing", workload=job_name,
        containers=[c("migrate", f"{REGISTRY}/billing/billing-api:9.4.0", port=None)],
        node="ip-10-0-4-23.eu-west-1.compute.internal", created=began,
        states=[o.ContainerState(started_at=began + timedelta(seconds=2))],
        labels={"batch.kubernetes.io/job-name": job_name, "job-name": job_name},
        owner=o.owner_ref("Job", job_name, "billing", "batch/v1"), logs={"migrate": L.lines(job_log)}))
    inc.event(job, "SuccessfulCreate", f"Created pod: {pod_name}", began, warning=False, component="job-controller")
    del h

    def api_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        def line(i: int, t: datetime) -> str:
            if t < began + timedelta(seconds=10) or i % 3 == 2:
                return (f'10.244.1.{20 + i % 9} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "GET /api/v1/customers/'
                        f'{4100 + i} HTTP/1.1" 200 812 "-" "okhttp/4.12.0"')
            return (L.pylog(t, "ERROR", "django.request", "Internal Server Error: /api/v1/invoices/")
                    + "\nTraceback (most recent call last):\n  File \"/usr/local/lib/python3.12/site-packages/"
                    "django/db/backends/utils.py\", line 105, in _execute\n"
                    "    return self.cursor.execute(sql, params)\n"
                    "psycopg.errors.LockNotAvailable: canceling statement due to lock timeout\n\nThe above exception "
                    "was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File "
                    "\"/app/billing/invoices/views.py\", line 88, in list\n    return Response(self.serialize(page))\n"
                    "django.db.utils.OperationalError: canceling statement due to lock timeout")
        return L.ticker(end - timedelta(minutes=35), end, 6, line)
    _app(inc, "billing", "billing-api", f"{REGISTRY}/billing/billing-api:9.3.2",
         [P(log=_log(api_log), memory_mi=310) for _ in range(3)], at - timedelta(days=11),
         env=_env(DB_HOST="billing-postgres.billing-db.svc", DB_OPTIONS="-c lock_timeout=5s",
                  GUNICORN_CMD_ARGS="--workers 4 --timeout 30"))
    inc.service("billing", "billing-api", {"app": "billing-api"})

    def pg_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        vac = at - timedelta(minutes=47)
        out = [(vac, L.postgres(vac, "LOG", 'automatic vacuum of table '
                                                       '"billing.public.audit_event": index scans: 1\n\tpages: 0 '
                                                       "removed, 1843302 remain, 412330 scanned (22.37% of total)"
                                                       "\n\ttuples: "
                                                       "2210411 removed, 61204113 remain, 0 are dead but not yet "
                                                       "removable", pid=7311)),
               (began, L.postgres(began, "LOG", "duration: 41.212 ms  statement: ALTER TABLE \"invoices_invoice\" ADD "
                                  "COLUMN \"tax_breakdown\" jsonb NULL", pid=migrate_pid))]
        for i, t in enumerate(L.every(began + timedelta(seconds=30), end, 9)):
            pid = 9001 + i % 40
            out.append((t, L.postgres(t, "LOG", f"process {pid} still waiting for AccessShareLock on relation "
                                      f"{relation} of database 16384 after 1000.{100 + i % 800:03d} ms\n"
                                      f"DETAIL:  Process holding the lock: {migrate_pid}. Wait queue: {pid}, "
                                      f"{pid + 2}, {pid + 5}.\nSTATEMENT:  SELECT \"invoices_invoice\".\"id\", "
                                      "\"invoices_invoice\".\"number\" FROM \"invoices_invoice\" WHERE "
                                      "\"invoices_invoice\".\"customer_id\" = $1 ORDER BY "
                                      "\"invoices_invoice\".\"issued_at\" DESC LIMIT 21", pid=pid)))
            out.append((t + timedelta(seconds=4), L.postgres(t + timedelta(seconds=4), "ERROR",
                                                             "canceling statement due to lock timeout", pid=pid)))
        return out
    inc.statefulset("billing-db", "billing-postgres", [c("postgres", "docker.io/library/postgres:16.4", port=5432,
                                                           memory_limit="8Gi")],
                    [P(log=_log(pg_log), memory_mi=5200)], at - timedelta(days=40),
                    claims=[("data", "500Gi", "gp3")], service=5432)
    origin = at - timedelta(hours=2)
    pg = {"namespace": "billing-db", "datname": "billing", "job": "postgres-exporter",
          "instance": "billing-postgres-0:9187"}
    inc.series("pg_locks_count", "gauge", "Number of locks", {**pg, "mode": "accessexclusivelock"},
               lambda t: 1.0 if t >= began else 0.0)
    inc.series("pg_locks_count", "gauge", "Number of locks", {**pg, "mode": "accesssharelock"},
               lambda t: 34.0 if t >= began else 3.0)
    inc.series("pg_stat_activity_max_tx_duration", "gauge", "max duration in seconds any active transaction has been "
               "running", {**pg, "state": "active"},
               lambda t: (t - began).total_seconds() if t >= began else 0.4)
    for code, rate in (("500", lambda t: 11.0 if t >= began else 0.0), ("200", lambda t: 14.0 if t >= began else 30.0)):
        inc.series("django_http_responses_total_by_status", "counter", "Count of responses by status.",
                   {"namespace": "billing", "service": "billing-api", "status": code, "job": "billing-api"},
                   _counter(rate, origin))
    inc.secret("billing-db", "billing-postgres", {"POSTGRES_PASSWORD": inc.canary("password", "billing-pg")})
    inc.secret("billing", "billing-api-stripe", {"STRIPE_KEY": inc.canary("stripe", "billing-stripe")})
    inc.pagerduty("billing-api: HTTP 5xx above 10% for 5 minutes", "Billing API")
    inc.answer_key(
        culprit=("Job", "billing", job_name),
        keywords=["AccessExclusiveLock", "lock timeout", "backfill"],
        root_cause=f"The Helm pre-upgrade migration Job {job_name} runs invoices.0057, which alters invoices_invoice "
                   "and backfills 38M rows in one transaction, holding an AccessExclusiveLock on the table; every "
                   "billing-api query on it waits and is cancelled by its lock timeout (HTTP 500).",
        category="migration-holds-exclusive-lock",
        red_herrings=[("StatefulSet", "billing-db", "billing-postgres")])
    return inc


# ---- 10. a KEDA trigger threshold raised a hundredfold: the queue grows, the workers do not ----------
def email_queue_backlog() -> Incident:
    """A "reduce pod churn" PR in the notifications GitOps repo edits KEDA ScaledObject
    email-sender-sqs and sets the aws-sqs-queue trigger's `queueLength` from "5" to "500" (messages
    per replica; the author read it as the queue length at which to scale). Since the sync at 06:40
    KEDA's HPA (keda-hpa-email-sender-sqs) computes 9000/500 and keeps email-sender at its 2
    minimum replicas while the morning batch of statement e-mails arrives: the SQS backlog climbs
    from ~40 to 9,000 and the oldest message is over half an hour old. The senders are healthy,
    each working at its usual rate; the evidence is the ScaledObject's edit and the HPA's external
    metric target. sms-sender's Twilio 429 warnings are unrelated."""
    at = _at(5, 7, 45)
    inc = Incident("email-queue-backlog", title="outbound e-mail queue backing up",
                   story=email_queue_backlog.__doc__ or "", at=at, seed=610, namespaces=("notifications",))
    sync = at - timedelta(minutes=65)
    _crd(inc, "keda.sh", "ScaledObject", "v1alpha1", "scaledobjects")
    so = inc.add({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "email-sender-sqs", "namespace": "notifications", "generation": 7,
                     "creationTimestamp": ts(at - timedelta(days=150)),
                     "labels": {"app.kubernetes.io/instance": "notifications",
                                "scaledobject.keda.sh/name": "email-sender-sqs"},
                     "annotations": {"argocd.argoproj.io/tracking-id":
                                     "notifications:keda.sh/ScaledObject:notifications/email-sender-sqs"},
                     "finalizers": ["finalizer.keda.sh"]},
        "spec": {"scaleTargetRef": {"name": "email-sender"}, "minReplicaCount": 2, "maxReplicaCount": 40,
                 "pollingInterval": 15, "cooldownPeriod": 300,
                 "triggers": [{"type": "aws-sqs-queue", "authenticationRef": {"name": "keda-aws-irsa"},
                               "metadata": {"queueURL": "https://sqs.eu-west-1.amazonaws.com/412775023154/email-"
                                                        "outbound", "queueLength": "500", "awsRegion": "eu-west-1",
                                            "identityOwner": "operator"}}]},
        "status": {"scaleTargetKind": "apps/v1.Deployment", "scaleTargetGVKR": {
            "group": "apps", "kind": "Deployment", "resource": "deployments", "version": "v1"},
            "originalReplicaCount": 2, "hpaName": "keda-hpa-email-sender-sqs",
            "externalMetricNames": ["s0-aws-sqs-queue-email-outbound"],
            "lastActiveTime": ts(inc.captured - timedelta(seconds=10)),
            "conditions": [{"type": "Ready", "status": "True", "reason": "ScaledObjectReady",
                            "message": "ScaledObject is defined correctly and is ready for scaling"},
                           {"type": "Active", "status": "True", "reason": "ScalerActive",
                            "message": "Scaling is performed because triggers are active"},
                           {"type": "Fallback", "status": "False", "reason": "NoFallbackFound",
                            "message": "No fallbacks are active on this scaled object"}]}})
    _managed(so, "argocd-controller", sync, {"f:spec": {"f:triggers": {}}}, operation="Apply")
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "keda-hpa-email-sender-sqs", "namespace": "notifications",
                          "labels": {"app.kubernetes.io/managed-by": "keda-operator",
                                     "scaledobject.keda.sh/name": "email-sender-sqs"},
                          "ownerReferences": [{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
                                               "name": "email-sender-sqs", "uid": so["metadata"]["uid"],
                                               "controller": True, "blockOwnerDeletion": True}]},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "email-sender"},
                      "minReplicas": 2, "maxReplicas": 40,
                      "metrics": [{"type": "External", "external": {
                          "metric": {"name": "s0-aws-sqs-queue-email-outbound", "selector": {"matchLabels": {
                              "scaledobject.keda.sh/name": "email-sender-sqs"}}},
                          "target": {"type": "AverageValue", "averageValue": "500"}}}]},
             "status": {"currentReplicas": 2, "desiredReplicas": 2,
                        "currentMetrics": [{"type": "External", "external": {
                            "metric": {"name": "s0-aws-sqs-queue-email-outbound"},
                            "current": {"averageValue": "4500"}}}],
                        "conditions": [{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                                        "message": "the HPA was able to successfully calculate a replica count from "
                                                   "external metric s0-aws-sqs-queue-email-outbound"}]}})

    def sender_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return L.ticker(end - timedelta(minutes=40), end, 4, lambda i, t: L.js(
            t, "info", "email sent", pid=1, hostname=pod, template=["statement-ready", "password-reset",
                                                                    "order-shipped"][i % 3],
            provider="ses", latencyMs=180 + (i * 37) % 200, messageId=L.uuidish(pod, i)))
    _app(inc, "notifications", "email-sender", f"{REGISTRY}/notifications/email-sender:3.8.1",
         [P(log=_log(sender_log)), P(log=_log(sender_log))], at - timedelta(days=21))

    def sms_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return L.ticker(end - timedelta(minutes=40), end, 90, lambda i, t: L.js(
            t, "warn", "twilio rate limited, retrying", pid=1, hostname=pod, status=429, code=20429,
            retryAfterMs=1000))
    _app(inc, "notifications", "sms-sender", f"{REGISTRY}/notifications/sms-sender:1.4.0", [P(log=_log(sms_log))],
         at - timedelta(days=40))

    def keda_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        t1, t2 = sync + timedelta(seconds=2), sync + timedelta(seconds=3)
        return [(t1, f"{t1.strftime('%Y-%m-%dT%H:%M:%SZ')}\tINFO\tReconciling ScaledObject\t"
                 "{\"controller\": \"scaledobject\", \"ScaledObject\": "
                 "{\"name\":\"email-sender-sqs\",\"namespace\":\"notifications\"}}"),
                (t2, f"{t2.strftime('%Y-%m-%dT%H:%M:%SZ')}\tINFO\tUpdated HPA according to ScaledObject\t"
                 "{\"controller\": \"scaledobject\", \"HPA.Namespace\": \"notifications\", \"HPA.Name\": "
                 "\"keda-hpa-email-sender-sqs\"}")]
    inc.cluster.add_namespace("keda", inc.born)
    _app(inc, "keda", "keda-operator", "ghcr.io/kedacore/keda:2.15.1", [P(log=_log(keda_log))], at - timedelta(days=90))

    batch = at - timedelta(minutes=50)
    labels = {"queue_name": "email-outbound", "job": "yace", "region": "eu-west-1",
              "dimension_QueueName": "email-outbound", "namespace": "notifications"}
    inc.series("aws_sqs_approximate_number_of_messages_visible_average", "gauge",
               "Help is not implemented yet.", dict(labels), _ramp(batch, at + timedelta(minutes=20), 40, 12_500))
    inc.series("aws_sqs_approximate_age_of_oldest_message_maximum", "gauge", "Help is not implemented yet.",
               dict(labels), lambda t: max(30.0, (t - batch).total_seconds() * 0.9) if t > batch else 30.0)
    inc.series("keda_scaler_metrics_value", "gauge", "The current value for each scaler's metric that would be used "
               "by the HPA in computing the target average.",
               {"namespace": "notifications", "scaledObject": "email-sender-sqs", "scaler": "awsSqsQueueScaler",
                "metric": "s0-aws-sqs-queue-email-outbound", "job": "keda-operator"},
               _ramp(batch, at + timedelta(minutes=20), 40, 12_500))
    inc.series("kube_horizontalpodautoscaler_spec_target_metric", "gauge", "The metric specifications used by this "
               "autoscaler when calculating the desired replica count.",
               {"namespace": "notifications", "horizontalpodautoscaler": "keda-hpa-email-sender-sqs",
                "metric_name": "s0-aws-sqs-queue-email-outbound", "metric_target_type": "average",
                "job": "kube-state-metrics"}, lambda t: 500.0 if t >= sync else 5.0)
    inc.series("kube_horizontalpodautoscaler_status_current_replicas", "gauge", "Current number of replicas of pods "
               "managed by this autoscaler.", {"namespace": "notifications",
                                               "horizontalpodautoscaler": "keda-hpa-email-sender-sqs",
                                               "job": "kube-state-metrics"}, lambda t: 2.0)
    inc.secret("notifications", "ses-smtp", {"SMTP_PASSWORD": inc.canary("password", "ses-smtp")})
    inc.secret("notifications", "twilio", {"AUTH_TOKEN": inc.canary("token", "twilio")})
    inc.alertmanager("SQSQueueMessagesTooOld", {"namespace": "notifications", "queue_name": "email-outbound",
                                                "team": "notifications"},
                     "SQS queue email-outbound: oldest message older than 15 minutes",
                     "The oldest message in email-outbound has waited 31m (threshold 15m); e-mails are delayed.",
                     'max(aws_sqs_approximate_age_of_oldest_message_maximum{queue_name="email-outbound"}) > 900',
                     severity="critical", runbook="https://wiki.example.com/runbooks/notifications/sqs-backlog")
    inc.answer_key(
        culprit=("ScaledObject", "notifications", "email-sender-sqs"),
        keywords=["queueLength", "minimum replicas", "per replica"],
        root_cause="A GitOps edit of KEDA ScaledObject email-sender-sqs raised the aws-sqs-queue trigger's queueLength "
                   "from 5 to 500 messages per replica, so the HPA keeps email-sender at its 2 minimum replicas "
                   "while the morning batch arrives and the SQS backlog grows to thousands of messages.",
        category="keda-trigger-target-raised",
        red_herrings=[("Deployment", "notifications", "sms-sender")])
    return inc


# ---- 11. a Service switched to node-local routing: half the callers lose their dependency --------
def order_router_availability_burn() -> Incident:
    """A FinOps change to cut cross-AZ data transfer patches Service inventory/stock-api with
    `internalTrafficPolicy: Local` (kubectl patch, 15:10). stock-api has two pods, on ip-10-0-1-20
    and ip-10-0-3-22; with the policy Local, kube-proxy only routes a caller to a stock-api pod on
    the caller's own node and drops the traffic when there is none. order-router's pods on
    ip-10-0-2-21 and ip-10-0-4-23 now time out on every stock check, those on the other two nodes
    are fine: half of order-router's requests fail. Nothing was deployed; the evidence is the
    Service's edit and which order-router pods fail. The NetworkPolicy allowing orders to reach
    inventory (created two days ago) is not the problem: it admits order-router."""
    at = _at(5, 15, 30)
    inc = Incident("order-router-availability-burn", title="order-router availability SLO burning",
                   story=order_router_availability_burn.__doc__ or "", at=at, seed=611,
                   namespaces=("inventory", "orders"))
    patch_at = at - timedelta(minutes=20)
    nodes = inc.node_names()
    local = {nodes[0], nodes[2]}
    _app(inc, "inventory", "stock-api", f"{REGISTRY}/inventory/stock-api:5.1.4",
         [P(node=nodes[0], memory_mi=160), P(node=nodes[2], memory_mi=170)], at - timedelta(days=14))
    inc.service("inventory", "stock-api", {"app": "stock-api"})
    svc = inc.find("Service", "inventory", "stock-api")
    svc["spec"]["internalTrafficPolicy"] = "Local"
    svc["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration":
                                      '{"apiVersion":"v1","kind":"Service","metadata":{"name":"stock-api",'
                                      '"namespace":"inventory"},"spec":{"ports":[{"name":"http","port":80,'
                                      '"targetPort":8080}],"selector":{"app":"stock-api"}}}'}
    _managed(svc, "kubectl-client-side-apply", at - timedelta(days=41), {"f:spec": {"f:ports": {}, "f:selector": {}}})
    _managed(svc, "kubectl-patch", patch_at, {"f:spec": {"f:internalTrafficPolicy": {}}})
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "allow-orders", "namespace": "inventory", "generation": 1,
                          "creationTimestamp": ts(at - timedelta(days=2))},
             "spec": {"podSelector": {"matchLabels": {"app": "stock-api"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                          "kubernetes.io/metadata.name": "orders"}}}],
                          "ports": [{"port": 8080, "protocol": "TCP"}]}]}})

    def router_log(node: str) -> Callable[[str, datetime, datetime], str]:
        def make(pod: str, start: datetime, end: datetime) -> str:
            def line(i: int, t: datetime) -> str:
                if node in local or t < patch_at:
                    return L.js(t, "info", "order routed", order=f"o-{880000 + i}", warehouse=["dub1", "ams2"][i % 2],
                                stock_ms=6 + i % 9)
                return L.js(t, "error", "stock check failed", order=f"o-{880000 + i}",
                            error='Get "http://stock-api.inventory.svc.cluster.local/v1/stock?sku=SKU-'
                                  f'{4100 + i % 700}": context deadline exceeded (Client.Timeout exceeded while '
                                  "awaiting headers)")
            return L.lines(L.ticker(end - timedelta(minutes=45), end, 8, line))
        return make
    router = _app(inc, "orders", "order-router", f"{REGISTRY}/orders/order-router:2.7.0",
                  [P(node=n, log=router_log(n)) for n in nodes], at - timedelta(days=6))
    inc.service("orders", "order-router", {"app": "order-router"})
    origin = at - timedelta(hours=2)
    for h in router.pods:
        bad = h.node not in local
        for code, rate in (("503", (lambda t: 9.0 if t >= patch_at else 0.0) if bad else (lambda t: 0.0)),
                           ("200", (lambda t: 0.4 if t >= patch_at else 9.4) if bad else (lambda t: 9.4))):
            inc.series("http_requests_total", "counter", "Requests served.",
                       {"namespace": "orders", "service": "order-router", "pod": h.name, "code": code,
                        "job": "order-router"}, _counter(rate, origin))
    inc.secret("orders", "order-router-db", {"DATABASE_URL": "postgres://router:" + inc.canary("password", "router-db")
                                             + "@orders-db.orders.svc:5432/orders"})
    inc.slo_burn("order-router", "orders", "order-router-availability", "99.5%", 19.6,
                 "order-router has answered 48% of requests with 503 over the last 15m.")
    inc.answer_key(
        culprit=("Service", "inventory", "stock-api"),
        keywords=["internalTrafficPolicy", "local endpoint", "node"],
        root_cause="Service inventory/stock-api was patched to internalTrafficPolicy: Local; kube-proxy then routes "
                   "callers only to a stock-api pod on their own node, so order-router pods on the two nodes without "
                   "a local endpoint time out on every stock check and half of order-router's requests fail.",
        category="service-internal-traffic-policy-local",
        red_herrings=[("NetworkPolicy", "inventory", "allow-orders")])
    return inc


# ---- 12. MySQL's sql_mode made strict in its config: inserts that relied on implicit defaults fail ---
MY_CNF = """[mysqld]
default-authentication-plugin=caching_sha2_password
max_connections=400
innodb_buffer_pool_size=6G
slow_query_log=1
long_query_time=2
sql_mode={mode}
"""


def crm_leads_question() -> Incident:
    """A DBA "aligns the CRM database with MySQL 8 defaults": ConfigMap crm-db/mysql-config's my.cnf
    goes from `sql_mode=NO_ENGINE_SUBSTITUTION` to `sql_mode=ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,
    NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION` (kubectl apply,
    12:20) and the MySQL StatefulSet is restarted to pick it up. crm-api's lead INSERT never sets
    the legacy NOT NULL column `legacy_region`, which has no default: non-strict mode used to store ''
    with a warning, strict mode rejects it ("(1364, "Field 'legacy_region' doesn't have a default
    value")"). New leads fail with HTTP 500 while reads and updates work. crm-api did not change;
    lead-enricher's timeouts to a third-party API are unrelated."""
    at = _at(6, 13, 5)
    inc = Incident("crm-leads-question", title="crm-api: new leads cannot be saved",
                   story=crm_leads_question.__doc__ or "", at=at, seed=612, namespaces=("crm", "crm-db"))
    edit, restart = at - timedelta(minutes=45), at - timedelta(minutes=42)
    strict = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
              "NO_ENGINE_SUBSTITUTION")
    cm = inc.configmap("crm-db", "mysql-config", {"my.cnf": MY_CNF.format(mode=strict)}, at=at - timedelta(days=300),
                       annotations={"kubectl.kubernetes.io/last-applied-configuration":
                                    '{"apiVersion":"v1","data":{"my.cnf":"' + MY_CNF.format(mode=strict)
                                    .replace("\n", "\\n") + '"},"kind":"ConfigMap","metadata":{"name":"mysql-config",'
                                    '"namespace":"crm-db"}}'})
    _managed(cm, "kubectl-client-side-apply", edit, {"f:data": {"f:my.cnf": {}}, "f:metadata": {"f:annotations": {
        "f:kubectl.kubernetes.io/last-applied-configuration": {}}}})

    def mysql_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        def my(t: datetime, kind: str, code: str, msg: str) -> str:
            return f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond:06d}Z 0 [{kind}] [{code}] [Server] {msg}"
        s = restart + timedelta(seconds=4)
        return [(s, my(s, "System", "MY-010116", "/usr/sbin/mysqld (mysqld 8.0.39) starting as process 1")),
                (s, my(s, "System", "MY-013576", "InnoDB initialization has started.")),
                (s + timedelta(seconds=3), my(s + timedelta(seconds=3), "System", "MY-013577",
                                              "InnoDB initialization has ended.")),
                (s + timedelta(seconds=5), my(s + timedelta(seconds=5), "System", "MY-010931",
                                              "/usr/sbin/mysqld: ready for connections. Version: '8.0.39'  socket: "
                                              "'/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - "
                                              "GPL."))]
    sts = inc.statefulset("crm-db", "mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306,
                                                memory_limit="8Gi")], [P(log=_log(mysql_log), memory_mi=6400,
                                                                         created=restart)],
                          at - timedelta(days=300), claims=[("data", "300Gi", "gp3")], service=3306)
    sts.obj["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = ts(restart)
    sts.obj["spec"]["template"]["spec"]["volumes"] = [{"name": "config", "configMap": {"name": "mysql-config"}}]

    def api_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        def line(i: int, t: datetime) -> str:
            if i % 4 == 0 and t > restart + timedelta(seconds=20):
                return (L.pylog(t, "ERROR", "crm.api.leads", f"POST /v1/leads failed (request_id={L.uuidish(pod, i)})")
                        + "\nTraceback (most recent call last):\n  File \"/app/crm/api/leads.py\", line 142, in "
                        "create_lead\n    session.commit()\n  File \"/usr/local/lib/python3.12/site-packages/pymysql/"
                        "err.py\", line 150, in raise_mysql_exception\n    raise errorclass(errno, errval)\n"
                        "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (1364, \"Field "
                        "'legacy_region' doesn't have a default value\")\n[SQL: INSERT INTO leads (id, company, "
                        "contact_email, source, owner_id, created_at) VALUES (%(id)s, %(company)s, %(contact_email)s, "
                        "%(source)s, %(owner_id)s, %(created_at)s)]\n(Background on this error at: "
                        "https://sqlalche.me/e/20/e3q8)")
            method = ["GET", "PATCH", "GET"][i % 3]
            return (f'[{t.strftime("%Y-%m-%d %H:%M:%S")} +0000] 10.244.2.{30 + i % 9} "{method} /v1/leads/'
                    f'{771000 + i} HTTP/1.1" 200 {640 + i % 300}')
        return L.ticker(end - timedelta(minutes=60), end, 11, line)
    _app(inc, "crm", "crm-api", f"{REGISTRY}/crm/crm-api:4.12.0", [P(log=_log(api_log)), P(log=_log(api_log))],
         at - timedelta(days=19), env=_env(DB_HOST="mysql.crm-db.svc", DB_NAME="crm"))
    inc.service("crm", "crm-api", {"app": "crm-api"})

    def enrich_log(pod: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
        return L.ticker(end - timedelta(minutes=50), end, 120, lambda i, t: L.pylog(
            t, "WARNING", "enricher.clearbit", "company lookup timed out after 10s; will retry "
            f"(domain=example-{i}.com)"))
    _app(inc, "crm", "lead-enricher", f"{REGISTRY}/crm/lead-enricher:1.3.2", [P(log=_log(enrich_log))],
         at - timedelta(days=33))
    origin = at - timedelta(hours=2)
    for code, route, rate in (("500", "/v1/leads POST", lambda t: 0.7 if t >= restart else 0.0),
                              ("201", "/v1/leads POST", lambda t: 0.0 if t >= restart else 0.7),
                              ("200", "/v1/leads/{id}", lambda t: 6.0)):
        inc.series("http_requests_total", "counter", "Requests served.",
                   {"namespace": "crm", "service": "crm-api", "code": code, "route": route, "job": "crm-api"},
                   _counter(rate, origin))
    inc.secret("crm-db", "mysql-root", {"MYSQL_ROOT_PASSWORD": inc.canary("password", "mysql-root")})
    inc.secret("crm", "crm-api-db", {"DB_PASSWORD": inc.canary("password", "crm-api-db")})
    inc.ask("Sales say new leads can't be saved in crm-api since about an hour ago, but editing existing ones works. "
            "Why?")
    inc.answer_key(
        culprit=("ConfigMap", "crm-db", "mysql-config"),
        keywords=["sql_mode", "STRICT_TRANS_TABLES", "default value"],
        root_cause="ConfigMap crm-db/mysql-config's my.cnf was changed to a strict sql_mode (STRICT_TRANS_TABLES) and "
                   "MySQL restarted; crm-api's lead INSERT omits the NOT NULL column legacy_region, which has no "
                   "default value, so MySQL now rejects it with error 1364 and new leads fail.",
        category="mysql-strict-sql-mode",
        red_herrings=[("Deployment", "crm", "lead-enricher")])
    return inc


ALL = [claims_attachments_question, storefront_error_bursts_page, policy_api_error_burn,
       node_outbound_timeouts_question, quote_api_latency_page, checkout_pricing_errors, report_scheduler_crashloop,
       gateway_config_alerts_group, billing_api_errors_page, email_queue_backlog, order_router_availability_burn,
       crm_leads_question]
