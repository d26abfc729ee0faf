"""Round 29 of the held-out incident set: identity, sessions and tenancy in the request path, written blind.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes are changes to identity providers and their clients, gateway and mesh auth
policy, session stores and cookies, workload identity and per-tenant configuration; most pages are
on the callers they hurt, about a third are simple (the cause sits in the failing object's own spec,
events or logs). Log lines follow the real software's formats (Go logfmt, pino JSON, Python logging,
Django, Spring Boot, Envoy access log, klog, Keycloak/Quarkus, go-spiffe).
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted; a long run
    keeps its last three hours, as a capture with `--since 3h` would."""
    def log(pod: str, start: datetime, end: datetime) -> str:
        begin = max(start, end - timedelta(hours=3))
        return L.lines(sorted(x for x in make(pod, begin, end) if begin <= x[0] <= end))
    return log


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def start(build: Callable[[], Incident], title: str, at: datetime, seed: int,
          namespaces: tuple[str, ...] = ()) -> Incident:
    """An incident named after its builder; its story is the builder's docstring (kept out of the bundle)."""
    return Incident(build.__name__.replace("_", "-"), title=title, story=build.__doc__ or "", at=at, seed=seed,
                    namespaces=namespaces)


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def victim(inc: Incident, ns: str, name: str, make: Callable[[str, datetime, datetime], Lines],
           replicas: int = 3) -> Any:
    """The paged workload: running pods whose logs say what they suffer."""
    return app(inc, ns, name, f"{REGISTRY}/{ns}/{name}:3.{len(name)}.1", replicas, log=within(make))


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


def send(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """Alertmanager's webhook notification for `alerts`, grouped by `group`."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced", version: str = "v1") -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the bundle."""
    ver: dict[str, Any] = {"name": version, "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [ver]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def custom(inc: Incident, kind: str, group: str, version: str, plural: str, ns: str, name: str,
           spec: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource (with its CRD) last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 7}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec})
    return changed(obj, (manager, "Update", chg, fields))


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str) -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


def job_pod(inc: Incident, ns: str, job: str, container: str, image: str, started: datetime, done: datetime,
            node_name: str, log: str) -> PodHistory:
    """The kept pod of a Job run that completed (exit 0), with its log, as `kubectl get pods` still lists it."""
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=job, containers=[c(container, image, port=None)], node=node_name,
        created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=2), ready=False)],
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"), logs={container: log}))
    h.ended = None
    h.memory = None
    h.ready = lambda t: False
    inc.cluster.patch(ns, name, terminated(0, "Completed", started + timedelta(seconds=2), done, phase="Succeeded"))
    return h


def every(s: datetime, e: datetime, step_s: float, make: Callable[[int, datetime], str | None]) -> Lines:
    return L.ticker(s, e, step_s, make)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 3, 9, 20, tzinfo=UTC)


def orders_api_crashlooping() -> Incident:
    """oidc-issuer-trailing-slash-discovery-mismatch: the OIDC issuer URL edited with a trailing slash.

    after: the everyday failure of OIDC clients that compare the configured issuer byte for byte with the
    `issuer` in the provider's discovery document (go-oidc, Spring Security, oauth2-proxy all do): a config
    edit adds a trailing slash, discovery fails at startup and the new pods crash while the old ones, started
    with the old value, keep serving.

    ConfigMap orders/orders-api-oidc's OIDC_ISSUER_URL was changed at 09:02 by a person (kubectl edit) from
    https://login.example.com/realms/acme to https://login.example.com/realms/acme/; Reloader restarted the
    Deployment and every new pod exits with "oidc: issuer did not match the issuer returned by provider".
    Simple: the cause is in the failing pods' own logs and their ConfigMap. Red herring: a cart rollout.
    """
    chg = AT1 - timedelta(minutes=18)
    inc = start(orders_api_crashlooping, "orders-api pods crash-looping", AT1, 2901, ("orders",))
    cm = inc.configmap("orders", "orders-api-oidc", {
        "OIDC_ISSUER_URL": "https://login.example.com/realms/acme/", "OIDC_CLIENT_ID": "orders-api",
        "OIDC_AUDIENCE": "orders-api", "OIDC_JWKS_CACHE_TTL": "10m"})
    changed(cm, ("kubectl-edit", "Update", chg, {"f:data": {"f:OIDC_ISSUER_URL": {}}}))
    plant(inc, "orders", "orders-api-oidc-client", "token", "orders-oidc", "OIDC_CLIENT_SECRET")

    def crash(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, L.logfmt(s, "info", "starting orders-api", version="4.11.2", commit="9c1e77a")),
                (s + timedelta(milliseconds=40), L.logfmt(
                    s + timedelta(milliseconds=40), "info", "loading oidc provider",
                                                          issuer="https://login.example.com/realms/acme/")),
                (s + timedelta(milliseconds=310), L.logfmt(
                    s, "error", "oidc provider discovery failed",
                    err='oidc: issuer did not match the issuer returned by provider, expected '
                        '"https://login.example.com/realms/acme/" got "https://login.example.com/realms/acme"')),
                (s + timedelta(milliseconds=312), L.logfmt(
                    s + timedelta(milliseconds=312), "fatal", "cannot start without token verifier",
                                                           exit=1))]

    def ok(pod: str, s: datetime, e: datetime) -> Lines:
        ready = (s, L.logfmt(s, "info", "oidc provider ready", issuer="https://login.example.com/realms/acme"))
        return [ready, *every(s + timedelta(seconds=30), e, 45, lambda i, t: L.logfmt(
            t, "info", "request", method="GET", path="/v1/orders", status=200, dur_ms=18 + i % 9))]

    image = f"{REGISTRY}/orders/orders-api:4.11.2"
    revs = [Rev(6, inc.born + timedelta(days=20), "helm upgrade", [c("orders-api", image)]),
            Rev(7, chg + timedelta(seconds=20), "reloader.stakater.com: configmap orders-api-oidc changed",
                [c("orders-api", image)])]
    wl = inc.deployment("orders", "orders-api", revs, {
        6: [P(log=within(ok)), P(log=within(ok))],
        7: [P(state="crashloop", log=within(crash), exit_code=1, run_s=lambda n: 1.0),
            P(state="crashloop", log=within(crash), exit_code=1, run_s=lambda n: 1.0)]},
        progress="progressing", replicas=3)
    inc.pod_series(wl.pods)
    herring(inc, "shop", "cart-promotions", f"{REGISTRY}/shop/cart-promotions", "2.2.0", AT1 - timedelta(minutes=35))
    pod = wl.pods[-1].name
    send(inc, [alert(inc, "KubePodCrashLooping", {"namespace": "orders", "pod": pod, "container": "orders-api",
                                                  "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod orders/{pod} (orders-api) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",'
                     'job="kube-state-metrics"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("ConfigMap", "orders", "orders-api-oidc"),
                   keywords=["issuer", "trailing slash", "OIDC", "discovery"],
                   root_cause="ConfigMap orders/orders-api-oidc's OIDC_ISSUER_URL was edited to add a trailing "
                              "slash; OIDC discovery then fails because the issuer no longer matches the provider's, "
                              "and every new orders-api pod exits at startup",
                   category="oidc-issuer-trailing-slash-discovery-mismatch",
                   red_herrings=[("Deployment", "shop", "cart-promotions")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 12, 3, 11, 45, tzinfo=UTC)


def billing_portal_unauthorized_page() -> Incident:
    """idp-replicas-memory-storage-separate-signing-keys: dex scaled to three replicas on in-memory storage.

    after: the identity-provider change that looks like a pure capacity fix: an OIDC provider (dex, a
    home-grown token service) scaled out while its keys live in process memory, so every replica signs with
    its own key and publishes its own JWKS; relying parties verify about one token in three, depending on
    which replica answered the login and which the JWKS fetch.

    Deployment identity/dex revision 4 (10:58, Argo CD) set replicas 1 -> 3 and storage type memory (the
    kubernetes storage CRDs were being cleaned up). billing-portal, a Node service in another namespace,
    now answers 401 to most sessions: jose's "no applicable key found in the JSON Web Key Set". Red herring:
    a rollout of billing-pdf.
    """
    chg = AT2 - timedelta(minutes=47)
    inc = start(billing_portal_unauthorized_page, "billing-portal returning 401 to logged-in users", AT2, 2902,
                ("identity", "billing"))
    plant(inc, "identity", "dex-client-secrets", "token", "dex-billing", "billing-portal")
    image = "ghcr.io/dexidp/dex:v2.41.1"

    def dex(pod: str, s: datetime, e: datetime) -> Lines:
        first = [(s, L.logfmt(s, "info", "Dex Version: v2.41.1, Go Version: go1.23.2, Go OS/ARCH: linux amd64")),
                 (s, L.logfmt(s, "info", "config issuer: https://login.example.com/dex")),
                 (s, L.logfmt(s, "info", "config storage: memory")),
                 (s, L.logfmt(s, "info", "keys expired, rotating")),
                 (s, L.logfmt(s, "info", "keys rotated, next rotation: " + ts(s + timedelta(hours=6))))]
        return first + every(s + timedelta(seconds=20), e, 40, lambda i, t: L.logfmt(
            t, "info", "login successful", connector_id="okta", username=f"user{i % 17}@example.com"))

    revs = [Rev(3, inc.born + timedelta(days=15), "argocd sync", [c("dex", image, port=5556)]),
            Rev(4, chg, "argocd sync", [c("dex", image, port=5556, env=[
                {"name": "DEX_STORAGE_TYPE", "value": "memory"}])])]
    dx = inc.deployment("identity", "dex", revs, {4: [P(log=within(dex)) for _ in range(3)]})
    changed(dx.obj, ("argocd-controller", "Apply", chg, {"f:spec": {"f:replicas": {}, "f:template": {}}}))
    dx.obj["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "identity:apps/Deployment:identity/dex"

    def portal(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= chg + timedelta(minutes=3) and i % 3:
                return L.js(t, "error", "token verification failed", err="JWKSNoMatchingKey",
                            detail="no applicable key found in the JSON Web Key Set", status=401,
                            kid=f"{(i * 7919) % 65535:04x}c1e0", path="/api/invoices", pid=1)
            return L.js(t, "info", "request completed", status=200, path="/api/invoices", responseTime=31 + i % 20)
        return every(s, e, 20, line)

    victim(inc, "billing", "billing-portal", portal)
    http_codes(inc, "billing", "billing-portal", (40.0, 14.0), (0.3, 26.0), chg + timedelta(minutes=3), "401")
    herring(inc, "billing", "billing-pdf", f"{REGISTRY}/billing/billing-pdf", "1.8.0", AT2 - timedelta(minutes=30))
    inc.pagerduty("[FIRING:1] billing-portal HTTP 401 ratio 64% (threshold 5%) - billing", "billing-portal")
    inc.answer_key(culprit=("Deployment", "identity", "dex"),
                   keywords=["dex", "replicas", "memory storage", "signing keys"],
                   root_cause="Deployment identity/dex was scaled to three replicas with memory storage: each "
                              "replica generates its own signing keys and JWKS, so billing-portal cannot verify "
                              "most tokens (no matching kid) and answers 401",
                   category="idp-replicas-memory-storage-separate-signing-keys",
                   red_herrings=[("Deployment", "billing", "billing-pdf")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)


def storefront_logouts_question() -> Incident:
    """session-cleanup-cronjob-flushes-live-sessions: a session janitor CronJob loses its idle-time filter.

    after: the common self-inflicted logout storm: a housekeeping job meant to expire stale sessions in a
    shared Redis is edited (a flag renamed in a new image, an argument dropped in a refactor) and now
    deletes every key matching the session prefix on each run, logging users out every quarter hour.

    CronJob storefront/session-janitor's args were changed at 13:52 (helm upgrade) from
    `--pattern sess:* --min-idle 86400` to `--pattern sess:*`; every 15 minutes it deletes ~50k live
    sessions and storefront-web (pino JSON) logs "session not found" for everyone. The question names only
    the workload. Red herring: a new storefront-search rollout.
    """
    chg = AT3 - timedelta(minutes=98)
    inc = start(storefront_logouts_question, "users logged out of the storefront", AT3, 2903, ("storefront",))
    plant(inc, "storefront", "sessions-redis-auth", "password", "sessions-redis", "REDIS_PASSWORD")
    image = f"{REGISTRY}/storefront/session-janitor:1.4.0"
    cron = inc.add({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "session-janitor", "namespace": "storefront", "generation": 5,
                     "creationTimestamp": ts(inc.born + timedelta(days=6))},
        "spec": {"schedule": "*/15 * * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                 "suspend": False, "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                     "restartPolicy": "Never", "containers": [{
                         **c("session-janitor", image, port=None).spec(),
                         "args": ["--redis", "sessions-redis.storefront.svc:6379", "--pattern", "sess:*"]}]}}}}},
        "status": {"lastScheduleTime": ts(AT3 - timedelta(minutes=0)),
                   "lastSuccessfulTime": ts(AT3 + timedelta(seconds=41))}})
    changed(cron, ("helm", "Update", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {}}}}}))
    runs = [AT3 - timedelta(minutes=15 * k) for k in range(2, -1, -1)]
    for when in runs:
        job = f"session-janitor-{int(when.timestamp() // 60)}"
        inc.add({"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": job, "namespace": "storefront", "creationTimestamp": ts(when),
                              "labels": {"batch.kubernetes.io/job-name": job},
                              "ownerReferences": [o.owner_ref("CronJob", "session-janitor", "storefront",
                                                              api_version="batch/v1")]},
                 "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1},
                 "status": {"startTime": ts(when), "completionTime": ts(when + timedelta(seconds=41)),
                            "succeeded": 1, "conditions": [{"type": "Complete", "status": "True",
                                                            "lastTransitionTime": ts(when + timedelta(seconds=41))}]}})

    def janitor_log(when: datetime) -> str:
        return L.lines([
            (when + timedelta(seconds=2), L.pylog(when + timedelta(seconds=2), "INFO", "janitor", "connecting to "
                                                  "sessions-redis.storefront.svc:6379 db=0")),
            (when + timedelta(seconds=3), L.pylog(
                when + timedelta(seconds=3), "INFO", "janitor", "scanning pattern=sess:* "
                                                  "min_idle=None count=1000")),
            (when + timedelta(seconds=40), L.pylog(
                when + timedelta(seconds=40), "INFO", "janitor", f"deleted {48000 + when.minute * 37} "
                                                   "keys matching sess:* (scanned 48912) in 37.9s"))])

    job = f"session-janitor-{int(runs[-1].timestamp() // 60)}"
    job_pod(inc, "storefront", job, "session-janitor", image, runs[-1], runs[-1] + timedelta(seconds=41),
            inc.node_names()[1], janitor_log(runs[-1]))

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            since = (t.minute % 15) * 60 + t.second
            if t > chg + timedelta(minutes=8) and since < 90:
                return L.js(t, "warn", "session not found, redirecting to /login", sid=f"sess:{(i * 104729):x}",
                            path="/account/orders", status=302)
            return L.js(t, "info", "request completed", path="/products", status=200, responseTime=22 + i % 30)
        return every(s, e, 15, line)

    victim(inc, "storefront", "storefront-web", web)
    http_codes(inc, "storefront", "storefront-web", (60.0, 58.0), (0.5, 7.0), chg + timedelta(minutes=8), "302")
    inc.series("redis_db_keys", "gauge", "Total number of keys by DB",
               {"namespace": "storefront", "service": "sessions-redis", "db": "db0"},
               lambda t: 51000.0 if t < chg + timedelta(minutes=8) else float(400 + ((t.minute % 15) * 60) * 3))
    herring(inc, "storefront", "storefront-search", f"{REGISTRY}/storefront/storefront-search", "5.1.0",
            AT3 - timedelta(minutes=40))
    inc.ask("why do users keep getting logged out of storefront-web every few minutes?")
    inc.answer_key(culprit=("CronJob", "storefront", "session-janitor"),
                   keywords=["CronJob", "min-idle", "deletes", "sessions"],
                   root_cause="CronJob storefront/session-janitor lost its --min-idle filter in a helm upgrade and "
                              "now deletes every sess:* key, i.e. all live sessions in Redis, every 15 minutes, "
                              "so storefront-web sends users back to /login",
                   category="session-cleanup-cronjob-flushes-live-sessions",
                   red_herrings=[("Deployment", "storefront", "storefront-search")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 12, 3, 17, 10, tzinfo=UTC)


def admin_portal_forbidden_page() -> Incident:
    """helm-regenerated-secret-key-splits-replicas: a chart's randAlphaNum SECRET_KEY re-rolled on upgrade.

    after: the Helm pitfall written up again and again: a chart template generates a random secret with
    `randAlphaNum` instead of looking up the existing one, so each `helm upgrade` writes a new value; pods
    started afterwards sign sessions and CSRF tokens with the new key while older pods keep the old one,
    and users bounce between replicas that reject each other's cookies.

    Secret backoffice/admin-portal-django was rewritten by helm at 16:31 (a chart bump for an unrelated
    value); the HPA added two admin-portal pods at 16:52, which read the new DJANGO_SECRET_KEY. Django logs
    "Session data corrupted" and "Forbidden (CSRF token from POST incorrect.)" and 403s climb. Red herring:
    a rollout of the backoffice reports Deployment.
    """
    chg = AT4 - timedelta(minutes=39)
    scale = AT4 - timedelta(minutes=18)
    inc = start(admin_portal_forbidden_page, "admin-portal 403 responses", AT4, 2904, ("backoffice",))
    plant(inc, "backoffice", "admin-portal-django", "token", "django-secret-key", "DJANGO_SECRET_KEY")
    sec = inc.find("Secret", "backoffice", "admin-portal-django")
    sec["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "admin-portal-2.7.0"}
    sec["metadata"]["annotations"] = {"meta.helm.sh/release-name": "admin-portal",
                                      "meta.helm.sh/release-namespace": "backoffice"}
    changed(sec, ("helm", "Update", chg, {"f:data": {"f:DJANGO_SECRET_KEY": {}}, "f:metadata": {"f:labels": {}}}))
    plant(inc, "backoffice", "admin-portal-db", "password", "admin-db", "DATABASE_PASSWORD")

    def django(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= scale + timedelta(minutes=1) and i % 2:
                if i % 4 == 1:
                    return L.pylog(t, "WARNING", "django.security.SuspiciousSession", "Session data corrupted")
                return L.pylog(t, "WARNING", "django.security.csrf",
                               "Forbidden (CSRF token from POST incorrect.): /admin/orders/order/")
            return L.pylog(t, "INFO", "django.server", f'"GET /admin/orders/order/?page={i % 9} HTTP/1.1" 200 '
                                                        f"{18000 + i % 500}")
        return every(s, e, 20, line)

    image = f"{REGISTRY}/backoffice/admin-portal:2.7.0"
    rev = Rev(3, inc.born + timedelta(days=25), "helm upgrade", [c("admin-portal", image, env=[
        {"name": "DJANGO_SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "admin-portal-django",
                                                                     "key": "DJANGO_SECRET_KEY"}}}])])
    wl = inc.deployment("backoffice", "admin-portal", [rev], {3: [
        P(log=within(django)), P(log=within(django)),
        P(log=within(django), created=scale), P(log=within(django), created=scale + timedelta(seconds=4))]})
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled up replica set {wl.rs[3]} to 4 from 2", scale, warning=False,
              component="deployment-controller")
    http_codes(inc, "backoffice", "admin-portal", (9.0, 5.0), (0.05, 4.2), scale + timedelta(minutes=1), "403")
    herring(inc, "backoffice", "backoffice-reports", f"{REGISTRY}/backoffice/backoffice-reports", "3.3.0",
            AT4 - timedelta(minutes=25))
    inc.pagerduty("admin-portal: 403 Forbidden ratio above 30% for 10m (backoffice)", "admin-portal")
    inc.answer_key(culprit=("Secret", "backoffice", "admin-portal-django"),
                   keywords=["SECRET_KEY", "helm upgrade", "regenerated", "replicas"],
                   root_cause="helm upgrade regenerated the random DJANGO_SECRET_KEY in Secret "
                              "backoffice/admin-portal-django; the admin-portal replicas started after it use a "
                              "different key than the older ones, so sessions and CSRF tokens signed by one replica "
                              "are rejected by the others (403, session data corrupted)",
                   category="helm-regenerated-secret-key-splits-replicas",
                   red_herrings=[("Deployment", "backoffice", "backoffice-reports")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 12, 4, 8, 25, tzinfo=UTC)


def claims_web_login_redirects() -> Incident:
    """ingress-cookie-affinity-removed-in-memory-sessions: sticky-session annotations dropped from an Ingress.

    after: the classic lift-and-shift failure: a servlet application that keeps HttpSession in memory only
    works because the ingress pins each browser to one pod with a cookie; an annotation cleanup (a chart
    refactor, an ingress-class migration) drops the affinity and users are sent to the login page on
    almost every other request.

    Ingress legacy/claims-web lost `nginx.ingress.kubernetes.io/affinity: cookie` and its session-cookie
    annotations in an Argo CD sync at 07:58. claims-web (Spring Boot, Tomcat in-memory sessions, 3
    replicas) logs "Request requested invalid session id" and redirects to /login. Simple: the cause is in
    the paged service's own Ingress. Red herring: a claims-ocr rollout.
    """
    chg = AT5 - timedelta(minutes=27)
    inc = start(claims_web_login_redirects, "claims-web login redirects high", AT5, 2905, ("legacy",))
    plant(inc, "legacy", "claims-web-ldap", "password", "claims-ldap", "LDAP_BIND_PASSWORD")
    ing = inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "claims-web", "namespace": "legacy", "generation": 9,
                     "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "20m",
                                     "nginx.ingress.kubernetes.io/proxy-read-timeout": "120",
                                     "argocd.argoproj.io/tracking-id": "legacy:networking.k8s.io/Ingress:"
                                                                       "legacy/claims-web"}},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": ["claims.example.com"], "secretName": "claims-example-com-tls"}],
                 "rules": [{"host": "claims.example.com", "http": {"paths": [{
                     "path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "claims-web", "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "a1b2c3-nlb.elb.eu-west-1.amazonaws.com"}]}}})
    changed(ing, ("argocd-controller", "Apply", chg, {"f:metadata": {"f:annotations": {
        "f:nginx.ingress.kubernetes.io/proxy-body-size": {}, "f:nginx.ingress.kubernetes.io/proxy-read-timeout": {}}},
        "f:spec": {"f:rules": {}, "f:tls": {}}}))
    inc.event(ing, "Sync", "Scheduled for sync", chg + timedelta(seconds=3), warning=False,
              component="nginx-ingress-controller")

    def web(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= chg + timedelta(seconds=30) and i % 3 != 0:
                return L.spring(t, "WARN", "o.s.s.w.session.SessionManagementFilter",
                                f"Request requested invalid session id {(i * 2654435761) % (1 << 64):016X}",
                                thread=f"http-nio-8080-exec-{1 + i % 10}")
            return L.spring(t, "INFO", "c.e.claims.web.ClaimController", f"GET /claims/{70000 + i} rendered in "
                            f"{40 + i % 30} ms", thread=f"http-nio-8080-exec-{1 + i % 10}")
        return every(s, e, 15, line)

    victim(inc, "legacy", "claims-web", web)
    inc.series("tomcat_sessions_created_sessions", "counter", "Sessions created", {
        "namespace": "legacy", "service": "claims-web", "job": "claims-web"},
        counter(AT5 - timedelta(hours=2), 0.4, 11.0, chg + timedelta(seconds=30)))
    http_codes(inc, "legacy", "claims-web", (20.0, 8.0), (0.4, 12.0), chg + timedelta(seconds=30), "302")
    herring(inc, "legacy", "claims-ocr", f"{REGISTRY}/legacy/claims-ocr", "0.14.0", AT5 - timedelta(minutes=50))
    send(inc, [alert(inc, "LoginRedirectRatioHigh", {"namespace": "legacy", "service": "claims-web",
                                                     "job": "claims-web"},
                     "claims-web redirects most requests to /login",
                     "58% of claims-web responses are 302 to /login over the last 10m (normally under 3%).",
                     'sum(rate(http_requests_total{namespace="legacy",service="claims-web",code="302"}[5m])) / '
                     'sum(rate(http_requests_total{namespace="legacy",service="claims-web"}[5m])) > 0.2')],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("Ingress", "legacy", "claims-web"),
                   keywords=["affinity", "sticky", "annotation", "in-memory"],
                   root_cause="An Argo CD sync removed the cookie affinity (sticky session) annotation from Ingress "
                              "legacy/claims-web; claims-web keeps HttpSession in-memory per pod, so requests land "
                              "on pods that do not know the session and users are redirected to /login",
                   category="ingress-cookie-affinity-removed-in-memory-sessions",
                   red_herrings=[("Deployment", "legacy", "claims-ocr")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 12, 4, 10, 40, tzinfo=UTC)


def mobile_bff_unauthorized_page() -> Incident:
    """mesh-jwt-audiences-narrowed-rejects-mobile-tokens: a mesh-wide RequestAuthentication gains `audiences`.

    after: the shared-policy change behind many "all mobile users logged out" reports: a mesh-wide JWT rule
    (Istio RequestAuthentication in the root namespace, an Envoy jwt_authn filter) is tightened to accept
    only the web client's audience, and every token minted for the mobile client is refused by the
    sidecar before the application sees it.

    RequestAuthentication istio-system/edge-jwt (mesh-wide) got `audiences: [https://api.example.com]` at
    10:12 (Argo CD); tokens for the mobile app carry aud `mobile-app`, and mobile-bff's sidecar answers 401
    with `jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}`. mobile-bff's own pods and spec are
    unchanged. Red herring: a mobile-push rollout.
    """
    chg = AT6 - timedelta(minutes=28)
    inc = start(mobile_bff_unauthorized_page, "mobile-bff 401 responses", AT6, 2906, ("mobile", "istio-system"))
    plant(inc, "mobile", "mobile-bff-apns", "token", "apns-key", "APNS_AUTH_KEY")
    custom(inc, "RequestAuthentication", "security.istio.io", "v1", "requestauthentications", "istio-system",
           "edge-jwt", {"jwtRules": [{"issuer": "https://login.example.com/realms/acme",
                                      "jwksUri": "https://login.example.com/realms/acme/protocol/openid-connect/certs",
                                      "audiences": ["https://api.example.com"],
                                      "forwardOriginalToken": True}]},
           "argocd-controller", chg, {"f:spec": {"f:jwtRules": {}}})

    def bff(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            rid = L.uuidish(pod, i)
            if t >= chg + timedelta(seconds=20) and i % 5:
                return L.envoy(t, "GET", f"/v3/feed?page={i % 4}", 401, "-", "-", 0, "mobile-bff.mobile.svc", rid,
                               "jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}")
            return L.envoy(t, "GET", f"/v3/feed?page={i % 4}", 200, "-", "10.244.3.21:8080", 28 + i % 40,
                           "mobile-bff.mobile.svc", rid, "via_upstream")
        return every(s, e, 12, line)

    def own(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 90, lambda i, t: L.js(t, "info", "feed served", items=20, cache_hit=i % 3 > 0))

    image = f"{REGISTRY}/mobile/mobile-bff:7.3.0"
    rev = Rev(5, inc.born + timedelta(days=16), "helm upgrade",
              [c("mobile-bff", image), c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090,
                                         readiness_path=None, liveness_path=None)])
    wl = inc.deployment("mobile", "mobile-bff", [rev], {5: [P(log=within(bff)) for _ in range(3)]})
    for h in wl.pods:  # the access log is the sidecar's; the application logs its own lines
        h.logs["istio-proxy"] = h.logs.pop("mobile-bff")
        h.logs["mobile-bff"] = within(own)(h.name, h.created + timedelta(seconds=6), inc.captured)
    http_codes(inc, "mobile", "mobile-bff", (55.0, 11.0), (0.2, 44.0), chg + timedelta(seconds=20), "401")
    herring(inc, "mobile", "mobile-push", f"{REGISTRY}/mobile/mobile-push", "2.0.3", AT6 - timedelta(minutes=22))
    inc.pagerduty("mobile-bff: 80% of requests answered 401 for 10m (mobile)", "mobile-bff")
    inc.answer_key(culprit=("RequestAuthentication", "istio-system", "edge-jwt"),
                   keywords=["RequestAuthentication", "audiences", "aud", "jwt"],
                   root_cause="The mesh-wide RequestAuthentication istio-system/edge-jwt was changed to accept only "
                              "audiences [https://api.example.com]; mobile tokens carry aud mobile-app, so the jwt "
                              "filter in mobile-bff's sidecar rejects them with 401",
                   category="mesh-jwt-audiences-narrowed-rejects-mobile-tokens",
                   red_herrings=[("Deployment", "mobile", "mobile-push")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 12, 4, 13, 5, tzinfo=UTC)


def settlement_grpc_errors() -> Incident:
    """spiffe-id-template-changed-breaks-peer-allowlists: a ClusterSPIFFEID's spiffeIDTemplate gains a path segment.

    after: the workload-identity change that passes every SPIRE health check: the template that names
    workloads (SPIRE controller manager's ClusterSPIFFEID, a registration-entry script) is "normalised" to
    include the cluster, the SVIDs rotate to the new IDs within minutes, and every server that authorises
    peers by exact SPIFFE ID rejects its callers' handshakes.

    ClusterSPIFFEID default-workloads (cluster-scoped) had its spiffeIDTemplate changed at 12:31 (Argo CD)
    from spiffe://example.org/ns/{ns}/sa/{sa} to spiffe://example.org/cluster/prod-eu-west-1/ns/{ns}/sa/{sa}.
    fx-rates still allows spiffe://example.org/ns/settlement/sa/settlement-api and logs `unexpected ID`;
    settlement-api (the paged caller) sees handshake failures. Red herring: a settlement-batch rollout.
    """
    chg = AT7 - timedelta(minutes=34)
    inc = start(settlement_grpc_errors, "settlement-api gRPC errors", AT7, 2907, ("settlement", "treasury", "spire"))
    plant(inc, "treasury", "fx-rates-provider", "token", "fx-provider", "PROVIDER_API_KEY")
    custom(inc, "ClusterSPIFFEID", "spire.spiffe.io", "v1alpha1", "clusterspiffeids", "", "default-workloads",
           {"spiffeIDTemplate": "spiffe://example.org/cluster/prod-eu-west-1/ns/{{ .PodMeta.Namespace }}/sa/"
                                "{{ .PodSpec.ServiceAccountName }}",
            "podSelector": {}, "namespaceSelector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "spire"]}]},
            "ttl": "1h", "dnsNameTemplates": ["{{ .PodMeta.Name }}"]},
           "argocd-controller", chg, {"f:spec": {"f:spiffeIDTemplate": {}}}, scope="Cluster")
    rotated = chg + timedelta(minutes=6)
    new_id = "spiffe://example.org/cluster/prod-eu-west-1/ns/settlement/sa/settlement-api"

    def fx(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= rotated:
                return L.go_std(t, f"http: TLS handshake error from 10.244.2.{40 + i % 9}:{40000 + i}: "
                                   f'unexpected ID "{new_id}"')
            return L.go_std(t, f"rates served pair=EUR/USD caller=spiffe://example.org/ns/settlement/sa/"
                               f"settlement-api latency_ms={3 + i % 5}")
        return every(s, e, 20, line)

    def settle(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= rotated:
                return L.js(t, "error", "fx rate lookup failed", grpc_code="Unavailable",
                            error='rpc error: code = Unavailable desc = connection error: desc = "transport: '
                                  'authentication handshake failed: remote error: tls: bad certificate"',
                            target="fx-rates.treasury.svc:8443")
            return L.js(t, "info", "settlement batch posted", batch=9000 + i, items=120 + i % 40)
        return every(s, e, 20, line)

    victim(inc, "treasury", "fx-rates", fx, replicas=2)
    victim(inc, "settlement", "settlement-api", settle)
    for code, before, after in (("OK", 30.0, 0.4), ("Unavailable", 0.0, 29.0)):
        inc.series("grpc_client_handled", "counter", "Total number of RPCs completed by the client.",
                   {"namespace": "settlement", "job": "settlement-api", "grpc_service": "fx.v1.Rates",
                    "grpc_method": "GetRate", "grpc_code": code},
                   counter(AT7 - timedelta(hours=2), before, after, rotated))
    herring(inc, "settlement", "settlement-batch", f"{REGISTRY}/settlement/settlement-batch", "1.19.0",
            AT7 - timedelta(minutes=45))
    send(inc, [alert(inc, "GRPCClientErrorRateHigh", {"namespace": "settlement", "job": "settlement-api",
                                                      "grpc_service": "fx.v1.Rates"},
                     "settlement-api: most gRPC calls to fx.v1.Rates fail",
                     "98% of settlement-api's fx.v1.Rates/GetRate calls end Unavailable over 10m.",
                     'sum(rate(grpc_client_handled_total{job="settlement-api",grpc_code!="OK"}[5m])) / '
                     'sum(rate(grpc_client_handled_total{job="settlement-api"}[5m])) > 0.05', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("ClusterSPIFFEID", "", "default-workloads"),
                   keywords=["SPIFFE ID", "template", "unexpected ID", "ClusterSPIFFEID"],
                   root_cause="ClusterSPIFFEID default-workloads' spiffeIDTemplate was changed to add a cluster "
                              "segment; workloads' SVIDs rotated to the new SPIFFE ID, fx-rates still authorises the "
                              "old ID and rejects settlement-api's mTLS handshakes (unexpected ID, bad certificate)",
                   category="spiffe-id-template-changed-breaks-peer-allowlists",
                   red_herrings=[("Deployment", "settlement", "settlement-batch")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 4, 14, 50, tzinfo=UTC)


def tenant_throttled_question() -> Incident:
    """tenant-plan-downgraded-by-billing-sync-rate-limited: a billing sync rewrites one tenant's plan.

    after: the multi-tenant SaaS page where one customer alone is failing: per-tenant limits live in a
    tenant object that the API gateway reads, and an automated billing or CRM sync (a failed card, a
    contract renewal keyed on the wrong account) downgrades one tenant's plan, so the gateway throttles
    that tenant's traffic to the free tier while everyone else is fine.

    Tenant tenants/acme (platform.example.com) was rewritten at 13:58 by billing-sync: plan enterprise ->
    starter, rateLimit.requestsPerSecond 500 -> 20. public-api-gateway (Go, logfmt) answers 429 for
    tenant=acme only. Red herring: a rollout of the tenant-portal Deployment.
    """
    chg = AT8 - timedelta(minutes=52)
    inc = start(tenant_throttled_question, "one tenant throttled", AT8, 2908, ("tenants", "edge"))
    plant(inc, "edge", "gateway-signing", "token", "gateway-hmac", "UPSTREAM_HMAC_KEY")
    crd(inc, "Tenant", "platform.example.com", "tenants", version="v1beta1")
    for name, plan, rps in (("globex", "enterprise", 500), ("initech", "growth", 120), ("umbrella", "growth", 120)):
        inc.add({"apiVersion": "platform.example.com/v1beta1", "kind": "Tenant",
                 "metadata": {"name": name, "namespace": "tenants", "generation": 3},
                 "spec": {"plan": plan, "rateLimit": {"requestsPerSecond": rps, "burst": rps * 2},
                          "region": "eu-west-1"}})
    acme = inc.add({"apiVersion": "platform.example.com/v1beta1", "kind": "Tenant",
                    "metadata": {"name": "acme", "namespace": "tenants", "generation": 12,
                                 "annotations": {"billing.example.com/account": "A-100233",
                                                 "billing.example.com/last-sync": ts(chg)}},
                    "spec": {"plan": "starter", "rateLimit": {"requestsPerSecond": 20, "burst": 40},
                             "region": "eu-west-1"},
                    "status": {"observedGeneration": 12, "phase": "Active"}})
    changed(acme, ("billing-sync", "Update", chg, {"f:spec": {"f:plan": {}, "f:rateLimit": {}},
                                                   "f:metadata": {"f:annotations": {}}}))

    def gw(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            tenant = ("acme", "globex", "initech", "umbrella")[i % 4]
            if tenant == "acme" and t >= chg + timedelta(minutes=1):
                return L.logfmt(t, "warn", "request throttled", tenant=tenant, route="/v2/shipments", status=429,
                                limit_rps=20, plan="starter", remote="203.0.113.14")
            if i % 40 == 0:
                return L.logfmt(t, "info", "tenant config reloaded", tenants=4, source="tenants.platform.example.com")
            return L.logfmt(t, "info", "request", tenant=tenant, route="/v2/shipments", status=200,
                            dur=f"{12 + i % 30}ms")
        return every(s, e, 6, line)

    victim(inc, "edge", "public-api-gateway", gw)
    begin = AT8 - timedelta(hours=2)
    for tenant, code, before, after in (("acme", "200", 180.0, 20.0), ("acme", "429", 0.0, 160.0),
                                        ("globex", "200", 90.0, 92.0)):
        inc.series("gateway_requests", "counter", "Requests by tenant and status.",
                   {"namespace": "edge", "job": "public-api-gateway", "tenant": tenant, "code": code},
                   counter(begin, before, after, chg + timedelta(minutes=1)))
    herring(inc, "tenants", "tenant-portal", f"{REGISTRY}/tenants/tenant-portal", "6.4.1", AT8 - timedelta(minutes=30))
    inc.ask("acme says their API calls have been failing with 429 Too Many Requests for the last hour - why?")
    inc.answer_key(culprit=("Tenant", "tenants", "acme"),
                   keywords=["plan", "starter", "billing-sync", "downgraded"],
                   root_cause="billing-sync downgraded Tenant tenants/acme from plan enterprise to starter "
                              "(rate limit 500 -> 20 requests per second); public-api-gateway applies the tenant's "
                              "limit and throttles acme with 429",
                   category="tenant-plan-downgraded-by-billing-sync-rate-limited",
                   red_herrings=[("Deployment", "tenants", "tenant-portal")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 4, 16, 20, tzinfo=UTC)


def reports_api_unauthorized() -> Incident:
    """idp-ingress-netpol-blocks-in-cluster-jwks-fetch: a NetworkPolicy on the IdP admits only the ingress.

    after: the hardening change that breaks resource servers an hour later: the identity namespace gets
    an ingress NetworkPolicy allowing only the ingress controller (browsers still log in fine), but
    services that fetch the JWKS over the in-cluster Service lose it when their key cache expires, and
    every bearer token they see is refused.

    NetworkPolicy identity/keycloak-ingress was applied at 15:09 (Argo CD) allowing ingress to keycloak
    only from ingress-nginx; reports-api (Spring Security resource server in another namespace) fetches
    http://keycloak.identity.svc:8080/.../certs, its cached JWK set expired and the refetch times out:
    "Couldn't retrieve remote JWK set" and 401 for everybody. Red herring: a keycloak-metrics rollout.
    """
    chg = AT9 - timedelta(minutes=71)
    broke = chg + timedelta(minutes=55)
    inc = start(reports_api_unauthorized, "reports-api 401 responses", AT9, 2909, ("identity", "reports"))
    plant(inc, "identity", "keycloak-admin", "password", "kc-admin", "KEYCLOAK_ADMIN_PASSWORD")
    np = inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "keycloak-ingress", "namespace": "identity", "generation": 1,
                     "creationTimestamp": ts(chg),
                     "annotations": {"argocd.argoproj.io/tracking-id":
                                     "platform-security:networking.k8s.io/NetworkPolicy:identity/keycloak-ingress"}},
        "spec": {"podSelector": {"matchLabels": {"app": "keycloak"}}, "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                     "kubernetes.io/metadata.name": "ingress-nginx"}}}],
                     "ports": [{"protocol": "TCP", "port": 8080}]}]}})
    changed(np, ("argocd-controller", "Apply", chg, {"f:spec": {"f:ingress": {}, "f:podSelector": {}}}))

    def kc(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 60, lambda i, t: f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} INFO  "
                     f"[org.keycloak.events] (executor-thread-{i % 8}) type=\"LOGIN\", realmId=\"acme\", "
                     f"clientId=\"reports-ui\", userId=\"{L.uuidish('kc', i)}\", ipAddress=\"198.51.100.{i % 200}\"")

    app(inc, "identity", "keycloak", "quay.io/keycloak/keycloak:26.0.7", 2, log=within(kc))
    inc.service("identity", "keycloak", {"app": "keycloak"}, port=8080, target=8080)
    certs = "http://keycloak.identity.svc:8080/realms/acme/protocol/openid-connect/certs"

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= broke:
                return L.spring(t, "ERROR", "o.s.s.o.s.r.w.BearerTokenAuthenticationFilter",
                                "An error occurred while attempting to decode the Jwt: Couldn't retrieve remote JWK "
                                f"set: org.springframework.web.client.ResourceAccessException: I/O error on GET "
                                f'request for "{certs}": Connect timed out', thread=f"http-nio-8080-exec-{i % 10}")
            return L.spring(t, "INFO", "c.e.reports.api.ReportController", f"report {5000 + i} generated in "
                            f"{120 + i % 80} ms", thread=f"http-nio-8080-exec-{i % 10}")
        return every(s, e, 20, line)

    victim(inc, "reports", "reports-api", api)
    http_codes(inc, "reports", "reports-api", (14.0, 0.3), (0.1, 13.0), broke, "401")
    herring(inc, "identity", "keycloak-metrics", f"{REGISTRY}/identity/keycloak-metrics", "0.6.0",
            AT9 - timedelta(minutes=40))
    send(inc, [alert(inc, "HTTPUnauthorizedRatioHigh", {"namespace": "reports", "service": "reports-api",
                                                        "job": "reports-api"},
                     "reports-api answers 401 to most requests",
                     "97% of reports-api responses were 401 over the last 10 minutes.",
                     'sum(rate(http_requests_total{service="reports-api",code="401"}[5m])) / '
                     'sum(rate(http_requests_total{service="reports-api"}[5m])) > 0.1', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("NetworkPolicy", "identity", "keycloak-ingress"),
                   keywords=["NetworkPolicy", "JWK set", "keycloak", "timed out"],
                   root_cause="NetworkPolicy identity/keycloak-ingress allows traffic to keycloak only from "
                              "ingress-nginx; reports-api fetches the JWK set over the in-cluster Service, the "
                              "refetch after its cache expired timed out, and every token is rejected with 401",
                   category="idp-ingress-netpol-blocks-in-cluster-jwks-fetch",
                   red_herrings=[("Deployment", "identity", "keycloak-metrics")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 4, 19, 35, tzinfo=UTC)


def node_crashloops_host_question() -> Incident:
    """spire-agent-chart-moves-workload-api-socket: a SPIRE agent upgrade moves the Workload API socket.

    after: the node-agent upgrade behind "only pods on the new node fail": a SPIRE agent chart's new major
    version serves the Workload API on a different host path, workloads still mount the old directory and
    find no socket, so every pod that needs a fresh SVID on an upgraded node cannot start; the rollout
    goes node by node (long minReadySeconds), so at first one node is affected.

    DaemonSet spire/spire-agent was upgraded at 18:49 (helm, chart 0.21 -> 0.24, minReadySeconds 1800):
    its socket moved from /run/spire/sockets/agent.sock to /run/spire/agent-sockets/spire-agent.sock.
    Only the agent on ip-10-0-3-22 is updated so far; quote-engine and ledger-export pods there crash with
    go-spiffe "dial unix /run/spire/sockets/agent.sock: connect: no such file or directory". The question
    names only the node. Red herring: a quote-engine-admin rollout.
    """
    chg = AT10 - timedelta(minutes=46)
    inc = start(node_crashloops_host_question, "pods crash-looping on one node", AT10, 2910,
                ("spire", "pricing", "treasury"))
    host = inc.node_names()[2]
    plant(inc, "pricing", "quote-engine-pricing-feed", "token", "pricing-feed", "FEED_TOKEN")
    old_image, new_image = "ghcr.io/spiffe/spire-agent:1.9.6", "ghcr.io/spiffe/spire-agent:1.11.1"
    pods = inc.cluster.daemonset("spire", "spire-agent", old_image, inc.born + timedelta(days=2), memory_mi=45)
    ds = inc.find("DaemonSet", "spire", "spire-agent")
    ds["metadata"]["generation"] = 4
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "4"
    ds["spec"]["minReadySeconds"] = 1800
    tpl = ds["spec"]["template"]["spec"]
    tpl["containers"][0]["image"] = new_image
    tpl["containers"][0]["args"] = ["-config", "/opt/spire/conf/agent/agent.conf"]
    tpl["volumes"] = [{"name": "spire-agent-socket-dir", "hostPath": {
        "path": "/run/spire/agent-sockets", "type": "DirectoryOrCreate"}}]
    tpl["containers"][0]["volumeMounts"] = [{"name": "spire-agent-socket-dir",
                                             "mountPath": "/tmp/spire-agent/public"}]
    ds["status"].update({"updatedNumberScheduled": 1, "observedGeneration": 4})
    changed(ds, ("helm", "Update", chg, {"f:spec": {"f:minReadySeconds": {}, "f:template": {}}}))
    for rev, image, at in ((3, old_image, inc.born + timedelta(days=20)), (4, new_image, chg)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"spire-agent-{o.suffix('spire-agent' + image, 10)}", "namespace": "spire",
                              "creationTimestamp": ts(at), "labels": {"app": "spire-agent"},
                              "ownerReferences": [o.owner_ref("DaemonSet", "spire-agent", "spire")]},
                 "revision": rev, "data": {"spec": {"template": {"spec": {"containers": [
                     {"name": "spire-agent", "image": image}]}}}}})
    upgraded = next(h for h in pods if h.node == host)

    def new_agent(pod: dict[str, Any]) -> None:
        pod["spec"]["containers"][0]["image"] = new_image
        pod["status"]["containerStatuses"][0]["image"] = new_image
        pod["metadata"]["creationTimestamp"] = ts(chg + timedelta(seconds=8))

    inc.cluster.patch("spire", upgraded.name, new_agent)
    upgraded.logs["spire-agent"] = L.lines([
        (chg + timedelta(seconds=12), L.logfmt(
            chg + timedelta(seconds=12), "info", "Starting agent", data_dir="/var/lib/spire/agent",
                                               version="1.11.1")),
        (chg + timedelta(seconds=13), L.logfmt(chg + timedelta(seconds=13), "info", "Starting Workload and SDS APIs",
                                               address="/tmp/spire-agent/public/spire-agent.sock", network="unix",
                                               subsystem_name="endpoints")),
        (chg + timedelta(seconds=14), L.logfmt(chg + timedelta(seconds=14), "info", "Renewing X509-SVID",
                                               spiffe_id="spiffe://example.org/spire/agent/k8s_psat/prod/" + host))])
    failing = chg + timedelta(minutes=12)
    sock = "/run/spire/sockets/agent.sock"

    def crash(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, L.js(s, "info", "starting", version="2.6.0")),
                (s + timedelta(milliseconds=900), L.js(
                    s, "error", "unable to create X509Source",
                    error='workloadapi: unable to fetch X509 SVID: rpc error: code = Unavailable desc = connection '
                          f'error: desc = "transport: Error while dialing: dial unix {sock}: connect: no such file '
                          'or directory"')),
                (s + timedelta(seconds=1), L.js(s + timedelta(seconds=1), "fatal", "exiting: no workload identity"))]

    def fine(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 60, lambda i, t: L.js(t, "info", "quotes served", count=400 + i % 50))

    other = [n for n in inc.node_names() if n != host]
    for ns, name, version in (("pricing", "quote-engine", "2.6.0"), ("treasury", "ledger-export", "1.3.2")):
        image = f"{REGISTRY}/{ns}/{name}:{version}"
        rev = Rev(2, inc.born + timedelta(days=18), "helm upgrade", [c(name, image)],
                  pod_spec={"volumes": [{"name": "spire-agent-socket", "hostPath": {
                      "path": "/run/spire/sockets", "type": "Directory"}}]},
                  container={"volumeMounts": [{"name": "spire-agent-socket", "mountPath": "/run/spire/sockets",
                                               "readOnly": True}]})
        wl = inc.deployment(ns, name, [rev], {2: [
            P(log=within(fine), node=other[0]), P(log=within(fine), node=other[1]),
            P(state="crashloop", log=within(crash), node=host, crash_from=failing, run_s=lambda n: 1.2)]})
        inc.pod_series(wl.pods, memory=False)
    herring(inc, "pricing", "quote-engine-admin", f"{REGISTRY}/pricing/quote-engine-admin", "1.1.0",
            AT10 - timedelta(minutes=28))
    inc.ask(f"pods on {host} have been crash-looping for the last half hour, the other nodes look fine - what is wrong "
            "with that node?")
    inc.answer_key(culprit=("DaemonSet", "spire", "spire-agent"),
                   keywords=["spire-agent", "socket", "Workload API", "SVID"],
                   root_cause="The spire/spire-agent DaemonSet upgrade (so far only on that node) moved the Workload "
                              "API socket to /run/spire/agent-sockets; workloads still mount /run/spire/sockets, "
                              "find no socket, cannot fetch their X509 SVID and crash",
                   category="spire-agent-chart-moves-workload-api-socket",
                   red_herrings=[("Deployment", "pricing", "quote-engine-admin")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 5, 8, 15, tzinfo=UTC)


def inventory_callers_unauthorized_grouped() -> Incident:
    """tokenreview-permission-removed-delegated-authn-rejects-all: auth-delegator binding loses a subject.

    after: the service-to-service identity failure seen with kube-rbac-proxy and every server built on
    Kubernetes' delegated authentication: the server checks callers' projected ServiceAccount tokens with
    a TokenReview, a shared ClusterRoleBinding to system:auth-delegator is regenerated by an RBAC cleanup
    without its ServiceAccount, and every call it serves is answered 401 while its own pods look healthy.

    ClusterRoleBinding auth-delegators was re-applied at 07:40 (Argo CD, rbac-baseline) without subject
    inventory/inventory-api; inventory-api's klog lines say "tokenreviews.authentication.k8s.io is
    forbidden" and its three callers page together. Red herring: a rollout of inventory-indexer.
    """
    chg = AT11 - timedelta(minutes=35)
    inc = start(inventory_callers_unauthorized_grouped, "inventory callers getting 401", AT11, 2911,
                ("inventory", "fulfillment", "orders", "planning"))
    plant(inc, "inventory", "inventory-api-db", "password", "inventory-db", "PGPASSWORD")
    crb = inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": "auth-delegators", "labels": {"app.kubernetes.io/part-of": "rbac-baseline"},
                                "annotations": {"argocd.argoproj.io/tracking-id":
                                                "rbac-baseline:rbac.authorization.k8s.io/ClusterRoleBinding:"
                                                "auth-delegators"}},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                               "name": "system:auth-delegator"},
                   "subjects": [{"kind": "ServiceAccount", "name": "metrics-gateway", "namespace": "monitoring"},
                                {"kind": "ServiceAccount", "name": "catalog-api", "namespace": "shop"}]})
    changed(crb, ("argocd-controller", "Apply", chg, {"f:subjects": {}}))
    sa = "system:serviceaccount:inventory:inventory-api"

    def inv(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t >= chg + timedelta(minutes=1):
                if i % 2:
                    return L.klog(t, "E", "webhook.go:154", "Failed to make webhook authenticator request: "
                                  f'tokenreviews.authentication.k8s.io is forbidden: User "{sa}" cannot create '
                                  'resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope')
                return L.klog(t, "E", "authentication.go:73", '"Unable to authenticate the request" err="[invalid '
                              f'bearer token, tokenreviews.authentication.k8s.io is forbidden: User \\"{sa}\\" '
                              'cannot create resource \\"tokenreviews\\" in API group \\"authentication.k8s.io\\" at '
                              'the cluster scope]"')
            return L.klog(t, "I", "handler.go:88", f"GET /v1/stock/sku-{1000 + i} 200 {3 + i % 7}ms")
        return every(s, e, 15, line)

    victim(inc, "inventory", "inventory-api", inv)
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "inventory-api", "namespace": "inventory"}})
    callers = (("fulfillment", "fulfillment-worker"), ("orders", "order-router"), ("planning", "restock-planner"))
    for ns, name in callers:
        def caller(pod: str, s: datetime, e: datetime, name: str = name) -> Lines:
            return every(s, e, 30, lambda i, t: L.js(
                t, "error", "inventory lookup failed", status=401, upstream="inventory-api.inventory.svc:8443",
                body="Unauthorized", caller=name) if t >= chg + timedelta(minutes=1) else L.js(
                t, "info", "inventory lookup ok", sku=f"sku-{2000 + i}"))
        victim(inc, ns, name, caller, replicas=2)
        http_codes(inc, ns, name, (6.0, 0.2), (0.0, 5.8), chg + timedelta(minutes=1), "401")
    herring(inc, "inventory", "inventory-indexer", f"{REGISTRY}/inventory/inventory-indexer", "3.0.4",
            AT11 - timedelta(minutes=20))
    send(inc, [alert(inc, "UpstreamUnauthorizedRatioHigh", {"namespace": ns, "job": name, "upstream": "inventory"},
                     f"{name}: calls to inventory answered 401",
                     f"More than 90% of {name}'s calls to its inventory upstream were answered 401 in the last 10m.",
                     f'sum(rate(http_client_requests_total{{job="{name}",code="401"}}[5m])) / '
                     f'sum(rate(http_client_requests_total{{job="{name}"}}[5m])) > 0.2')
               for ns, name in callers], ["alertname"])
    inc.answer_key(culprit=("ClusterRoleBinding", "", "auth-delegators"),
                   keywords=["tokenreviews", "forbidden", "auth-delegator", "ClusterRoleBinding"],
                   root_cause="ClusterRoleBinding auth-delegators (system:auth-delegator) was re-applied without the "
                              "inventory/inventory-api ServiceAccount; inventory-api can no longer create "
                              "tokenreviews (forbidden), so it cannot authenticate callers' tokens and answers 401",
                   category="tokenreview-permission-removed-delegated-authn-rejects-all",
                   red_herrings=[("Deployment", "inventory", "inventory-indexer")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 5, 10, 5, tzinfo=UTC)


def partner_portal_login_burn() -> Incident:
    """realm-import-job-overwrites-client-redirect-uris: a keycloak-config-cli Job imports staging client config.

    after: the identity-provider change behind "nobody can log in to the portal": realm configuration is
    applied by an import job (keycloak-config-cli, Terraform on the IdP), one run reads the wrong
    environment's file and overwrites the client's valid redirect URIs, and the IdP refuses every
    authorization request with invalid_redirect_uri while the portal itself is healthy.

    Job identity/realm-import-partners-1207 (an Argo CD PostSync hook, 09:31) ran keycloak-config-cli with
    IMPORT_FILES_LOCATIONS=/config/staging/partners.yaml, replacing partner-portal's redirectUris with the
    staging host. Keycloak logs LOGIN_ERROR error="invalid_redirect_uri" for clientId partner-portal; the page
    is the portal's login SLO. Red herring: a partner-portal-assets rollout.
    """
    chg = AT12 - timedelta(minutes=34)
    done = chg + timedelta(seconds=19)
    inc = start(partner_portal_login_burn, "partner-portal login SLO burning", AT12, 2912, ("identity", "partners"))
    plant(inc, "identity", "realm-import-admin", "password", "kc-import", "KEYCLOAK_PASSWORD")
    job = "realm-import-partners-1207"
    image = "docker.io/adorsys/keycloak-config-cli:6.1.6-26.0.5"
    env = [{"name": "KEYCLOAK_URL", "value": "http://keycloak.identity.svc:8080"},
           {"name": "IMPORT_FILES_LOCATIONS", "value": "/config/staging/partners.yaml"},
           {"name": "KEYCLOAK_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "realm-import-admin",
                                                                        "key": "KEYCLOAK_PASSWORD"}}}]
    obj = inc.add({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": job, "namespace": "identity", "creationTimestamp": ts(chg),
                     "labels": {"batch.kubernetes.io/job-name": job},
                     "annotations": {"argocd.argoproj.io/hook": "PostSync"}},
        "spec": {"backoffLimit": 1, "completions": 1, "parallelism": 1, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{**c("keycloak-config-cli", image, port=None).spec(),
                                                      "env": env}]}}},
        "status": {"startTime": ts(chg), "completionTime": ts(done), "succeeded": 1,
                   "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": ts(done)}]}})
    changed(obj, ("argocd-controller", "Update", chg, {"f:spec": {"f:template": {}}}))
    inc.event(obj, "SuccessfulCreate", f"Created pod: {job}-{o.suffix(job + '/pod', 5)}", chg, warning=False,
              component="job-controller")
    inc.event(obj, "Completed", "Job completed", done, warning=False, component="job-controller")
    log = L.lines([
        (chg + timedelta(seconds=6), L.spring(
            chg + timedelta(seconds=6), "INFO", "d.a.k.config.KeycloakConfigApplication",
                                              "Started KeycloakConfigApplication in 4.112 seconds")),
        (chg + timedelta(seconds=7), L.spring(
            chg + timedelta(seconds=7), "INFO", "d.a.k.config.provider.KeycloakImportProvider",
                                              "Importing file 'file:/config/staging/partners.yaml'")),
        (chg + timedelta(seconds=12), L.spring(
            chg + timedelta(seconds=12), "INFO", "d.a.k.config.service.ClientImportService",
                                               "Update client 'partner-portal' in realm 'partners'")),
        (chg + timedelta(seconds=18), L.spring(chg + timedelta(seconds=18), "INFO", "d.a.k.config.KeycloakConfigRunner",
                                               "keycloak-config-cli ran in 00:11.903."))])
    job_pod(inc, "identity", job, "keycloak-config-cli", image, chg, done, inc.node_names()[0], log)

    def kc(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d}"
            ip = f"198.51.100.{i % 250}"
            if t >= done and i % 4:
                return (f'{stamp} WARN  [org.keycloak.events] (executor-thread-{i % 16}) type="LOGIN_ERROR", '
                        f'realmId="7d1c0e9a-5b2f-4c1e-9a51-2f0b6e3c8d10", realmName="partners", '
                        f'clientId="partner-portal", userId="null", ipAddress="{ip}", error="invalid_redirect_uri", '
                        f'redirect_uri="https://partners.example.com/oauth2/callback"')
            return (f'{stamp} INFO  [org.keycloak.events] (executor-thread-{i % 16}) type="LOGIN", '
                    f'realmName="partners", clientId="partner-portal", userId="{L.uuidish("u", i)}", ipAddress="{ip}"')
        return every(s, e, 20, line)

    app(inc, "identity", "keycloak", "quay.io/keycloak/keycloak:26.0.5", 2, log=within(kc))

    def portal(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.logfmt(
            t, "info", "request", method="GET", path="/oauth2/start", status=302,
            location="https://login.example.com/realms/partners/protocol/openid-connect/auth"))

    victim(inc, "partners", "partner-portal", portal)
    inc.series("keycloak_failed_login_attempts", "counter", "How many users failed to log in",
               {"namespace": "identity", "job": "keycloak", "realm": "partners", "client_id": "partner-portal",
                "error": "invalid_redirect_uri", "provider": "keycloak"},
               counter(AT12 - timedelta(hours=2), 0.0, 2.5, done))
    herring(inc, "partners", "partner-portal-assets", f"{REGISTRY}/partners/partner-portal-assets", "4.2.0",
            AT12 - timedelta(minutes=25))
    inc.slo_burn("partner-portal", "partners", "login-success", "0.99", 22.5,
                 "partner-portal login success ratio fell to 23% over the last hour (objective 99%).")
    inc.answer_key(culprit=("Job", "identity", job),
                   keywords=["redirect_uri", "realm import", "staging", "keycloak-config-cli"],
                   root_cause="The realm import Job identity/realm-import-partners-1207 ran keycloak-config-cli with "
                              "the staging realm file and overwrote partner-portal's valid redirect URIs; Keycloak "
                              "now rejects every login with invalid_redirect_uri",
                   category="realm-import-job-overwrites-client-redirect-uris",
                   red_herrings=[("Deployment", "partners", "partner-portal-assets")])
    return inc


ALL = [orders_api_crashlooping, billing_portal_unauthorized_page, storefront_logouts_question,
       admin_portal_forbidden_page, claims_web_login_redirects, mobile_bff_unauthorized_page, settlement_grpc_errors,
       tenant_throttled_question, reports_api_unauthorized, node_crashloops_host_question,
       inventory_callers_unauthorized_grouped, partner_portal_login_burn]
