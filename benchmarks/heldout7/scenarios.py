"""Round 7 of the held-out incident set: twelve incidents of types no earlier set has, written blind.

Each function builds one `Incident` on the corpus background and its docstring is the story (the
answer); the first line names the failure type so later rounds can avoid repeating it. Bundle
names, titles and questions say only the symptom. Log lines follow the real software's formats
(Vault, Npgsql, external-dns, ArgoCD, Sidekiq, Linkerd, PHP/php-amqplib, Rails, NATS/nats.go,
the JVM and Spring Boot, HAProxy, Postgres, psycopg2); metric names are the exporters' own.
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]


# ---- helpers ---------------------------------------------------------------------------------------
def logfn(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function from a (pod, start, end) -> lines maker; only lines inside the run are kept."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def managed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> None:
    """managedFields as the API server records them: who wrote which fields, when."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": fields} for m, op, t, fields in entries]


def last_applied(obj: dict[str, Any], body: dict[str, Any]) -> None:
    obj["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = \
        json.dumps(body, sort_keys=True, separators=(",", ":"))


def crd(inc: Incident, group: str, kind: str, plural: str, version: str, scope: str = "Namespaced",
        columns: list[dict[str, Any]] | None = None) -> None:
    """The CustomResourceDefinition a custom resource needs to be served (and found) at all."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}},
                                    "additionalPrinterColumns": columns or []}]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def counter(start: datetime, before: float, after: float, change: datetime) -> Callable[[datetime], float]:
    """A counter growing at `before` per second until `change`, then at `after`."""
    def value(t: datetime) -> float:
        upto = min(t, change)
        return round(before * max(0.0, (upto - start).total_seconds())
                     + after * max(0.0, (t - change).total_seconds()), 3)
    return value


def step(before: float, after: float, change: datetime) -> Callable[[datetime], float]:
    return lambda t: before if t < change else after


def metric(inc: Incident, family: str, type_: str, help_: str, labels: dict[str, str],
           fn: Callable[[datetime], float | None], step_s: int = 60) -> None:
    """One series; the labels are copied because the writer keeps (and annotates) the dict it is given."""
    inc.series(family, type_, help_, dict(labels), fn, step_s)


def healthy(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
            at: datetime | None = None, port: int = 8080, **kw: Any) -> list[PodHistory]:
    """A healthy single-revision Deployment with a Service: the other side of a story, or its background."""
    when = at or inc.born + timedelta(days=9)
    wl = inc.deployment(ns, name, [Rev(4, when, "helm upgrade", [c(name, image, port=port, **kw)])],
                        {4: [P(log=log) for _ in range(replicas)]})
    inc.service(ns, name, {"app": name}, 80, port)
    return wl.pods


def herring_rollout(inc: Incident, ns: str, name: str, image_old: str, image_new: str, at: datetime,
                    replicas: int = 2) -> None:
    """An innocent, recent rollout of a neighbour: the change people look at first."""
    inc.deployment(ns, name, [Rev(6, inc.born + timedelta(days=12), "helm upgrade", [c(name, image_old)]),
                              Rev(7, at, f"helm upgrade {name} --set image.tag={image_new.rsplit(':', 1)[1]}",
                                  [c(name, image_new)])],
                   {7: [P() for _ in range(replicas)]})
    inc.service(ns, name, {"app": name})


# ---- 1. Vault database role maxTTL ------------------------------------------------------------------
def orders_api_errors_page() -> Incident:
    """A Vault database secrets-engine role's maxTTL cut from 768h to 1h revokes orders-api's live credentials.

    The platform team's "credential hygiene" change (kubectl apply at 08:52) set `maxTTL: 1h` and
    `defaultTTL: 1h` on the vault-config-operator DatabaseSecretEngineRole vault/orders-rw. The
    orders-api pods (.NET 8, Npgsql) are two days old: when the Vault agent renewed their lease at
    09:3x, Vault capped it to the role's new max TTL, which had long passed, so it revoked the lease
    and its revocation statements dropped the Postgres role. Npgsql's pool reconnects with the
    password it read at start-up and gets 28P01 (role does not exist); every order fails. Fix: put
    maxTTL back (or make the app re-read rotated credentials) and restart orders-api. The feature
    flag ConfigMap edited at 09:10 is unrelated.
    """
    at = datetime(2026, 11, 18, 9, 42, tzinfo=UTC)
    inc = Incident("orders-api-errors-page", title="orders-api returning 5xx on most requests",
                   story=orders_api_errors_page.__doc__ or "", at=at, seed=701,
                   namespaces=("orders", "vault", "db"))
    changed = at - timedelta(minutes=50)
    crd(inc, "redhatcop.redhat.io", "DatabaseSecretEngineRole", "databasesecretengineroles", "v1alpha1",
        columns=[{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}])
    spec = {"authentication": {"path": "kubernetes", "role": "vault-config-operator"}, "path": "database",
            "dBName": "orders-pg", "defaultTTL": "1h", "maxTTL": "1h",
            "creationStatements": ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL "
                                   "'{{expiration}}'; GRANT orders_rw TO \"{{name}}\";"],
            "revocationStatements": ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = "
                                     "'{{name}}'; DROP ROLE IF EXISTS \"{{name}}\";"]}
    role = inc.add({"apiVersion": "redhatcop.redhat.io/v1alpha1", "kind": "DatabaseSecretEngineRole",
                    "metadata": {"name": "orders-rw", "namespace": "vault", "generation": 4,
                                 "labels": {"app.kubernetes.io/managed-by": "platform-vault"}},
                    "spec": spec,
                    "status": {"conditions": [{"type": "ReconcileSuccessful", "status": "True",
                                               "reason": "LastReconcileCycleSucceded", "message": "",
                                               "lastTransitionTime": ts(changed + timedelta(seconds=3)),
                                               "observedGeneration": 4}]}})
    last_applied(role, {"apiVersion": "redhatcop.redhat.io/v1alpha1", "kind": "DatabaseSecretEngineRole",
                        "metadata": {"name": "orders-rw", "namespace": "vault"}, "spec": spec})
    managed(role, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=6),
                   {"f:spec": {"f:creationStatements": {}, "f:dBName": {}, "f:path": {}}}),
            ("kubectl-client-side-apply", "Update", changed,
             {"f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}},
              "f:spec": {"f:defaultTTL": {}, "f:maxTTL": {}}}),
            ("vault-config-operator", "Update", changed + timedelta(seconds=3), {"f:status": {"f:conditions": {}}}))
    revoked = at - timedelta(minutes=6)
    user = "v-kubernetes-orders-r-Xq9dPz3kT1WmB7cLr2aF-1763285112"

    def vault_log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(t, f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z [INFO]  core: successful mount: "
                          "namespace=\"\" path=database/ type=database") for t in [s + timedelta(seconds=4)]]
        out += L.ticker(at - timedelta(hours=3), e, 600, lambda i, t: (
            f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z [INFO]  expiration: revoked lease: "
            f"lease_id=auth/kubernetes/login/h{o.suffix(str(i), 22)}"))
        out.append((changed + timedelta(seconds=2),
                    f"{(changed + timedelta(seconds=2)).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z [INFO]  "
                    "secrets.database.database_9a1f3c2e: role updated: name=orders-rw default_ttl=1h max_ttl=1h"))
        for i in range(3):
            t = revoked + timedelta(seconds=20 * i)
            stamp = t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + "Z"
            lease = f"database/creds/orders-rw/{o.suffix(f'lease{i}', 24)}"
            out.append((t, f"{stamp} [WARN]  core: TTL of \"1h\" exceeded the effective max_ttl of \"1h\"; "
                           f"TTL value is capped accordingly: lease_id={lease}"))
            out.append((t + timedelta(milliseconds=40), f"{stamp} [INFO]  expiration: revoked lease: lease_id={lease}"))
        return out

    inc.statefulset("vault", "vault", [c("vault", "hashicorp/vault:1.17.6", port=8200)],
                    [P(log=logfn(vault_log)) for _ in range(3)], inc.born + timedelta(days=2), service=8200)

    def pg_log(pod: str, s: datetime, e: datetime) -> Lines:
        out = L.ticker(at - timedelta(hours=2), e, 420, lambda i, t: L.postgres(
            t, "LOG", f"checkpoint complete: wrote {300 + 17 * i % 900} buffers ({1 + i % 5}.{i % 9}%); 0 WAL "
            "file(s) added, 0 removed, 1 recycled", pid=64))
        for i in range(3):
            t = revoked + timedelta(seconds=20 * i, milliseconds=80)
            out.append((t, L.postgres(t, "FATAL", "terminating connection due to administrator command",
                                      pid=31000 + i)))
        out += L.ticker(revoked + timedelta(seconds=70), e, 9, lambda i, t: L.postgres(
            t, "FATAL", f'password authentication failed for user "{user}"\n'
                        f'{t.strftime("%Y-%m-%d %H:%M:%S")}.000 UTC [{32000 + i}] DETAIL:  Role "{user}" '
                        'does not exist.\n\tConnection matched pg_hba.conf line 8: "host all all 0.0.0.0/0 '
                        'scram-sha-256"', pid=32000 + i))
        return out

    inc.statefulset("db", "orders-pg", [c("postgres", "docker.io/library/postgres:16.4", port=5432)],
                    [P(log=logfn(pg_log))], inc.born + timedelta(days=1), claims=[("data", "200Gi", "gp3")],
                    service=5432)

    def api_log(pod: str, s: datetime, e: datetime) -> Lines:
        out = L.ticker(s, e, 30, lambda i, t: json.dumps({
            "Timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z", "LogLevel": "Information",
            "Category": "Microsoft.AspNetCore.Hosting.Diagnostics",
            "Message": f"Request finished HTTP/1.1 POST http://orders-api/v2/orders - 201 - application/json "
                       f"{40 + i % 30}.{i % 10}ms"}) if t < revoked else None)
        out += L.ticker(revoked + timedelta(seconds=71), e, 6, lambda i, t: json.dumps({
            "Timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z", "LogLevel": "Error",
            "Category": "Orders.Api.Infrastructure.OrderRepository",
            "Message": "Failed to open a connection to orders-pg.db.svc.cluster.local",
            "Exception": f"Npgsql.PostgresException (0x80004005): 28P01: password authentication failed for user "
                         f"\"{user}\"\n   at Npgsql.Internal.NpgsqlConnector.AuthenticateSASLSha256Plus("
                         "String username, Boolean async, CancellationToken cancellationToken)\n   at "
                         "Npgsql.Internal.NpgsqlConnector.Open(NpgsqlTimeout timeout, Boolean async, "
                         "CancellationToken cancellationToken)\n   at Npgsql.PoolingDataSource.OpenNewConnector("
                         "NpgsqlConnection conn, NpgsqlTimeout timeout, Boolean async, CancellationToken "
                         "cancellationToken)"}))
        return out

    api = inc.deployment("orders", "orders-api", [Rev(30, inc.born + timedelta(days=30), "helm upgrade orders-api",
                                                      [c("orders-api", f"{REGISTRY}/orders/orders-api:5.12.0")],
                                                      pod_spec={"serviceAccountName": "orders-api"})],
                         {30: [P(log=logfn(api_log), created=at - timedelta(days=2, hours=i)) for i in range(3)]})
    for h in api.pods:
        h.annotations.update({"vault.hashicorp.com/agent-inject": "true",
                              "vault.hashicorp.com/agent-inject-secret-db": "database/creds/orders-rw",
                              "vault.hashicorp.com/role": "orders-api"})
    inc.service("orders", "orders-api", {"app": "orders-api"})
    flags = inc.configmap("orders", "orders-api-flags", {"GIFT_WRAP_ENABLED": "true", "NEW_TAX_ENGINE": "false"},
                          at=inc.born + timedelta(days=3))
    managed(flags, ("kubectl-edit", "Update", at - timedelta(minutes=32), {"f:data": {"f:GIFT_WRAP_ENABLED": {}}}))
    inc.secret("vault", "orders-pg-vault-admin", {"username": "vault_admin",
                                                  "password": inc.canary("password", "orders-pg-vault-admin")})
    labels = {"namespace": "orders", "service": "orders-api"}
    received = "Provides the count of HTTP requests that have been processed by the ASP.NET Core pipeline."
    route = {**labels, "method": "POST", "controller": "Orders", "action": "Create"}
    metric(inc, "http_requests_received", "counter", received, {**route, "code": "201"},
           counter(at - timedelta(hours=2), 48, 3, revoked))
    metric(inc, "http_requests_received", "counter", received, {**route, "code": "500"},
           counter(at - timedelta(hours=2), 0.02, 45, revoked))
    metric(inc, "vault_expire_num_leases", "gauge", "Number of all leases which are eligible for eventual expiry.",
               {"namespace": "vault", "pod": "vault-0"}, step(1412, 1409, revoked))
    inc.pagerduty("[orders] orders-api 5xx ratio 94% (threshold 5%) on POST /v2/orders", "Orders API")
    inc.answer_key(
        culprit=("DatabaseSecretEngineRole", "vault", "orders-rw"), keywords=["maxTTL", "lease", "revoked"],
        root_cause="The DatabaseSecretEngineRole vault/orders-rw was applied with maxTTL 1h (was 768h); at the "
                   "next renewal Vault capped and revoked the two-day-old lease of orders-api's database "
                   "credentials, the revocation dropped the Postgres role, and Npgsql's reconnects fail with 28P01.",
        category="vault-db-role-max-ttl-cut-revokes-live-credentials",
        red_herrings=[("ConfigMap", "orders", "orders-api-flags")])
    return inc


# ---- 2. external-dns deletes a record after a hostname annotation change -------------------------
def partner_api_unreachable() -> Incident:
    """A hostname annotation edit on an Ingress makes external-dns (policy sync) delete the live DNS record.

    At 13:58 a developer replaced the Ingress partners/partner-gateway's
    `external-dns.alpha.kubernetes.io/hostname` value `api.partners.example.com` with the new
    `api-v2.partners.example.com` (meant to add it). external-dns runs with
    `--ignore-ingress-rules-spec --policy=sync`, so only the annotation counts: its next loop
    deleted the A and TXT records of api.partners.example.com in Route 53. Partners' calls and the
    blackbox probe fail at DNS (NXDOMAIN) while the service itself is healthy. Fix: list both
    names in the annotation. The sandbox Deployment's unready pod is unrelated.
    """
    at = datetime(2026, 11, 20, 14, 9, tzinfo=UTC)
    inc = Incident("partner-api-unreachable", title="partner API probe failing from outside",
                   story=partner_api_unreachable.__doc__ or "", at=at, seed=702,
                   namespaces=("partners", "external-dns"))
    edited = at - timedelta(minutes=11)
    synced = edited + timedelta(seconds=47)

    def gw_log(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 25, lambda i, t: L.logfmt(
            t, "info", "request", method="POST", path="/v1/shipments", status=200, duration_ms=30 + i % 40,
            partner=["acme-logistics", "nordfreight", "parcelpro"][i % 3]) if t < synced + timedelta(seconds=60)
            or i % 9 == 0 else None)

    healthy(inc, "partners", "partner-gateway", f"{REGISTRY}/partners/partner-gateway:3.4.1", 3, logfn(gw_log))
    hosts = ["api.partners.example.com", "api-v2.partners.example.com"]
    ingress = inc.add({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "partner-gateway", "namespace": "partners", "generation": 7,
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": "api-v2.partners.example.com",
                                     "external-dns.alpha.kubernetes.io/ttl": "60",
                                     "cert-manager.io/cluster-issuer": "letsencrypt-prod"}},
        "spec": {"ingressClassName": "nginx",
                 "tls": [{"hosts": hosts, "secretName": "partner-gateway-tls"}],
                 "rules": [{"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                     "service": {"name": "partner-gateway", "port": {"number": 80}}}}]}} for h in hosts]},
        "status": {"loadBalancer": {"ingress": [{
            "hostname": "k8s-ingressn-ingressn-7d1c2e9f0a-1234567890.elb.eu-west-1.amazonaws.com"}]}}})
    managed(ingress, ("helm", "Update", inc.born + timedelta(days=8),
                      {"f:spec": {"f:rules": {}, "f:tls": {}}}),
            ("kubectl-edit", "Update", edited,
             {"f:metadata": {"f:annotations": {"f:external-dns.alpha.kubernetes.io/hostname": {}}},
              "f:spec": {"f:rules": {}, "f:tls": {}}}),
            ("nginx-ingress-controller", "Update", inc.born + timedelta(days=8), {"f:status": {"f:loadBalancer": {}}}))
    zone = "/hostedzone/Z04417262QK3HBM8XN2JA"

    def dns_log(pod: str, s: datetime, e: datetime) -> Lines:
        def loop(i: int, t: datetime) -> str | None:
            return L.logfmt(t, "info", "All records are already up to date") if t < synced or \
                t > synced + timedelta(seconds=30) else None
        out = L.ticker(at - timedelta(hours=2), e, 60, loop)
        for i, (verb, name, rtype) in enumerate([("DELETE", "api.partners.example.com", "A"),
                                                 ("DELETE", "a-api.partners.example.com", "TXT"),
                                                 ("CREATE", "api-v2.partners.example.com", "A"),
                                                 ("CREATE", "a-api-v2.partners.example.com", "TXT")]):
            out.append((synced + timedelta(milliseconds=i * 3), L.logfmt(
                synced, "info", f"Desired change: {verb} {name} {rtype}", profile="default", zoneID=zone,
                zoneName="partners.example.com.")))
        out.append((synced + timedelta(seconds=1), L.logfmt(
            synced + timedelta(seconds=1), "info", "4 record(s) were successfully updated", profile="default",
            zoneID=zone, zoneName="partners.example.com.")))
        return out

    inc.deployment("external-dns", "external-dns", [Rev(3, inc.born + timedelta(days=5), "helm upgrade external-dns",
                                                        [c("external-dns", "registry.k8s.io/external-dns/external-dns"
                                                                           ":v0.15.0", port=7979)],
                                                        container={"args": [
                                                            "--source=ingress", "--source=service",
                                                            "--provider=aws", "--policy=sync", "--registry=txt",
                                                            "--txt-owner-id=prod-eu-west-1",
                                                            "--txt-prefix=a-", "--ignore-ingress-rules-spec",
                                                            "--domain-filter=partners.example.com",
                                                            "--interval=1m"]})],
                   {3: [P(log=logfn(dns_log))]})
    inc.secret("external-dns", "route53-credentials",
               {"AWS_ACCESS_KEY_ID": inc.canary("aws", "route53"), "AWS_SECRET_ACCESS_KEY":
                inc.canary("aws-secret", "route53")})
    inc.deployment("partners", "partner-sandbox", [Rev(2, inc.born + timedelta(days=20), "helm upgrade",
                                                       [c("partner-sandbox", f"{REGISTRY}/partners/sandbox:0.8.3")])],
                   {2: [P(state="notready", message='Readiness probe failed: HTTP probe failed with statuscode: 503')]})
    gone = synced + timedelta(seconds=60)
    probe = {"instance": "https://api.partners.example.com/healthz", "job": "blackbox-http",
             "module": "http_2xx", "namespace": "monitoring"}
    metric(inc, "probe_success", "gauge", "Displays whether or not the probe was a success", probe,
               step(1, 0, gone), step_s=30)
    metric(inc, "probe_dns_lookup_time_seconds", "gauge", "Returns the time taken for probe dns lookup in seconds",
               probe, step(0.004, 0.021, gone), step_s=30)
    metric(inc, "probe_success", "gauge", "Displays whether or not the probe was a success",
               {**probe, "instance": "https://api-v2.partners.example.com/healthz"},
               lambda t: None if t < gone else 1.0, step_s=30)
    inc.alertmanager("BlackboxProbeFailed", {"instance": probe["instance"], "job": "blackbox-http",
                                             "namespace": "monitoring", "module": "http_2xx"},
                     "Probe failed (instance https://api.partners.example.com/healthz)",
                     "Probe failed\n  VALUE = 0\n  LABELS = map[instance:https://api.partners.example.com/healthz "
                     "job:blackbox-http module:http_2xx]", 'probe_success{job="blackbox-http"} == 0',
                     severity="critical", runbook="https://wiki.example.com/runbooks/blackbox-probe-failed")
    inc.answer_key(
        culprit=("Ingress", "partners", "partner-gateway"), keywords=["external-dns", "DELETE", "hostname"],
        root_cause="The Ingress partners/partner-gateway's external-dns hostname annotation was replaced with "
                   "api-v2.partners.example.com; external-dns (policy sync, ignoring the rules' hosts) issued a "
                   "DELETE for the api.partners.example.com A and TXT records, so the name no longer resolves.",
        category="external-dns-deletes-record-after-annotation-edit",
        red_herrings=[("Deployment", "partners", "partner-sandbox")])
    return inc


# ---- 3. ArgoCD selfHeal reverts an out-of-band hotfix ----------------------------------------------
def billing_worker_crashloop() -> Incident:
    """Enabling ArgoCD selfHeal on an Application reverts last night's kubectl memory hotfix: OOMKills return.

    Last night (22:14) the on-call raised billing/billing-worker's memory limit from 512Mi to
    1536Mi with `kubectl set resources` (revision 12) to get the month-end invoice run through, and
    never committed it to git. This morning (08:55) someone turned on `selfHeal: true` in the
    Application argocd/billing-worker-prod; the controller saw the drift and synced the git state
    within a minute (revision 13, 512Mi). When the month-end batch resumed at 09:10 the Sidekiq
    workers were OOMKilled again. The evidence is only in the change history (managedFields,
    ReplicaSets, the controller's log). The invoice-pdf rollout is unrelated.
    """
    at = datetime(2026, 11, 30, 9, 24, tzinfo=UTC)
    inc = Incident("billing-worker-crashloop", title="billing-worker pods crash-looping", at=at, seed=703,
                   story=billing_worker_crashloop.__doc__ or "", namespaces=("billing", "argocd"))
    hotfix = at - timedelta(hours=11, minutes=10)
    heal_on = at - timedelta(minutes=29)
    reverted = heal_on + timedelta(seconds=52)
    image = f"{REGISTRY}/billing/billing-worker:7.3.2"
    crd(inc, "argoproj.io", "Application", "applications", "v1alpha1", columns=[
        {"name": "Sync Status", "type": "string", "jsonPath": ".status.sync.status"},
        {"name": "Health Status", "type": "string", "jsonPath": ".status.health.status"}])
    sha = "3f2a9c1e07b44d5e8a6f21c9d0b7e5a4c3b2a1f0"
    app = inc.add({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "billing-worker-prod", "namespace": "argocd", "generation": 311,
                     "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {"project": "billing", "destination": {"server": "https://kubernetes.default.svc",
                                                       "namespace": "billing"},
                 "source": {"repoURL": "https://git.example.com/platform/deploy.git", "targetRevision": "main",
                            "path": "apps/billing-worker/overlays/prod"},
                 "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                                "syncOptions": ["ApplyOutOfSyncOnly=true"]}},
        "status": {"sync": {"status": "Synced", "revision": sha},
                   "health": {"status": "Degraded"},
                   "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)",
                                      "startedAt": ts(reverted - timedelta(seconds=4)), "finishedAt": ts(reverted),
                                      "operation": {"initiatedBy": {"automated": True},
                                                    "sync": {"revision": sha}},
                                      "syncResult": {"revision": sha, "resources": [{
                                          "group": "apps", "kind": "Deployment", "namespace": "billing",
                                          "name": "billing-worker", "status": "Synced",
                                          "message": "deployment.apps/billing-worker configured",
                                          "hookPhase": "Running", "syncPhase": "Sync"}]}},
                   "history": [{"id": 88, "revision": sha, "deployedAt": ts(reverted),
                                "source": {"repoURL": "https://git.example.com/platform/deploy.git",
                                           "path": "apps/billing-worker/overlays/prod", "targetRevision": "main"}}]}})
    managed(app, ("argocd-server", "Update", inc.born + timedelta(days=3), {"f:spec": {"f:source": {}}}),
            ("argocd-server", "Update", heal_on,
             {"f:spec": {"f:syncPolicy": {"f:automated": {"f:selfHeal": {}}}}}),
            ("argocd-application-controller", "Update", reverted, {"f:status": {}}))
    limits = {"requests": {"cpu": "500m", "memory": "512Mi"}}

    def sidekiq(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            jid = o.suffix(f"{pod}{i}", 24).lower()
            return (f"{t.strftime('%Y-%m-%dT%H:%M:%S.')}{t.microsecond // 1000:03d}Z pid=1 tid={o.suffix(pod, 4)} "
                    f"class=MonthEndInvoiceJob jid={jid} INFO: {'start' if i % 2 == 0 else f'done: {8 + i % 5}.2 sec'}")
        return [(s, f"{s.strftime('%Y-%m-%dT%H:%M:%S.000Z')} pid=1 tid=1a INFO: Booted Rails 7.1.4 application in "
                    "production environment"),
                (s, f"{s.strftime('%Y-%m-%dT%H:%M:%S.000Z')} pid=1 tid=1a INFO: Sidekiq 7.2.4 connecting to Redis "
                    "with options {:size=>12, :pool_name=>\"internal\", :url=>\"redis://billing-redis:6379/0\"}"),
                *L.ticker(s + timedelta(seconds=5), e, 4, line)]

    wl = inc.deployment("billing", "billing-worker", [
        Rev(11, inc.born + timedelta(days=25), "argocd sync 9be21d4", [c("billing-worker", image, port=None,
                                                                          memory_limit="512Mi")],
            container={"resources": {**limits, "limits": {"memory": "512Mi"}}}),
        Rev(12, hotfix, "kubectl set resources deployment/billing-worker --limits=memory=1536Mi",
            [c("billing-worker", image, port=None, memory_limit="1536Mi")],
            container={"resources": {**limits, "limits": {"memory": "1536Mi"}}}),
        Rev(13, reverted, "argocd sync 3f2a9c1", [c("billing-worker", image, port=None, memory_limit="512Mi")],
            container={"resources": {**limits, "limits": {"memory": "512Mi"}}})],
        {13: [P(state="crashloop", reason="OOMKilled", exit_code=137, log=logfn(sidekiq), run_s=lambda n: 95.0,
                crash_from=at - timedelta(minutes=14)) for _ in range(2)]})
    managed(wl.obj, ("argocd-controller", "Apply", reverted,
                     {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                         'k:{"name":"billing-worker"}': {"f:resources": {"f:limits": {"f:memory": {}}}}}}}}}),
            ("kubectl-set", "Update", hotfix, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}),
            ("kube-controller-manager", "Update", at, {"f:status": {}}))

    def argo_log(pod: str, s: datetime, e: datetime) -> Lines:
        app_name = "argocd/billing-worker-prod"
        out = L.ticker(at - timedelta(hours=2), e, 180, lambda i, t: L.logfmt(
            t, "info", "Reconciliation completed", application=["argocd/invoice-pdf-prod", "argocd/ledger-prod"][i % 2],
            dedup_ms=0, time_ms=41 + i % 30))
        for dt, msg in [
                (5, "Refreshing app status (spec.syncPolicy changed), level (3)"),
                (9, "Comparing app state (cluster: https://kubernetes.default.svc, namespace: billing)"),
                (12, "Initiated automated sync to '3f2a9c1e07b44d5e8a6f21c9d0b7e5a4c3b2a1f0'"),
                (13, "Applying resource Deployment/billing-worker in cluster: https://kubernetes.default.svc, "
                     "namespace: billing"),
                (14, "Updating operation state. phase: Running -> Succeeded, message: 'successfully synced (all "
                     "tasks run)'")]:
            t = heal_on + timedelta(seconds=40 + dt)
            out.append((t, L.logfmt(t, "info", msg, application=app_name)))
        return out

    inc.statefulset("argocd", "argocd-application-controller",
                    [c("argocd-application-controller", "quay.io/argoproj/argocd:v2.12.6", port=8082)],
                    [P(log=logfn(argo_log))], inc.born + timedelta(days=2))
    herring_rollout(inc, "billing", "invoice-pdf", f"{REGISTRY}/billing/invoice-pdf:2.3.0",
                    f"{REGISTRY}/billing/invoice-pdf:2.3.1", at - timedelta(minutes=44))
    inc.secret("billing", "billing-worker-env", {"STRIPE_SECRET_KEY": inc.canary("stripe", "billing-worker")})
    inc.pod_series(wl.pods)
    alerts = []
    for h in wl.pods:
        labels = {"alertname": "KubePodCrashLooping", "namespace": "billing", "pod": h.name,
                  "container": "billing-worker", "job": "kube-state-metrics", "severity": "warning",
                  "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
        alerts.append(am.alert(labels, {
            "summary": "Pod is crash looping.",
            "description": f'Pod billing/{h.name} (billing-worker) is in waiting state (reason: "CrashLoopBackOff").',
            "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping"},
            at, 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                'job="kube-state-metrics"}[5m]) >= 1'))
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["alertname", "namespace"])
    inc.answer_key(
        culprit=("Application", "argocd", "billing-worker-prod"), keywords=["selfHeal", "reverted", "hotfix"],
        root_cause="selfHeal was enabled on the ArgoCD Application argocd/billing-worker-prod; it reverted the "
                   "uncommitted kubectl hotfix (memory limit 1536Mi) back to git's 512Mi, and the month-end "
                   "Sidekiq jobs are OOMKilled again.",
        category="argocd-self-heal-reverts-uncommitted-hotfix",
        red_herrings=[("Deployment", "billing", "invoice-pdf")])
    return inc


# ---- 4. Linkerd retry budget raised with a tight route timeout --------------------------------------
def storefront_latency_burn() -> Incident:
    """A Linkerd ServiceProfile gets a 300ms route timeout and retryRatio 1.0: inventory slowness becomes a retry storm.

    At 10:40 a "cut tail latency" PR changed the ServiceProfile of
    inventory.stock.svc.cluster.local: the reservation route got `timeout: 300ms` (was 2s) and the
    retry budget `retryRatio: 1.0, minRetriesPerSecond: 100` (was 0.2 / 10). At the lunch peak
    inventory's p99 passed 300 ms; the proxies timed out and retried every call, doubling the load
    on inventory, which then saturated its CPU and slowed further. storefront (the SLO's service)
    only sees 504s from its proxy. The evidence is the custom resource and Linkerd's route metrics
    (actual vs logical requests). The SystemOOM event on a node is an unrelated cron job.
    """
    at = datetime(2026, 11, 24, 12, 18, tzinfo=UTC)
    inc = Incident("storefront-latency-burn", title="storefront error budget burning", at=at, seed=704,
                   story=storefront_latency_burn.__doc__ or "", namespaces=("store", "stock"))
    changed = at - timedelta(hours=1, minutes=38)
    peak = at - timedelta(minutes=9)
    crd(inc, "linkerd.io", "ServiceProfile", "serviceprofiles", "v1alpha2")
    fqdn = "inventory.stock.svc.cluster.local"
    spec = {"routes": [
        {"name": "POST /v1/reservations", "condition": {"method": "POST", "pathRegex": "/v1/reservations"},
         "isRetryable": True, "timeout": "300ms"},
        {"name": "GET /v1/stock/{sku}", "condition": {"method": "GET", "pathRegex": "/v1/stock/[^/]*"},
         "isRetryable": True, "timeout": "300ms"}],
        "retryBudget": {"retryRatio": 1.0, "minRetriesPerSecond": 100, "ttl": "10s"}}
    sp = inc.add({"apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
                  "metadata": {"name": fqdn, "namespace": "stock", "generation": 6}, "spec": spec})
    last_applied(sp, {"apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
                      "metadata": {"name": fqdn, "namespace": "stock"}, "spec": spec})
    managed(sp, ("kubectl-client-side-apply", "Update", changed,
                 {"f:spec": {"f:retryBudget": {"f:minRetriesPerSecond": {}, "f:retryRatio": {}}, "f:routes": {}}}))

    def sf_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            ms = int(t.timestamp() * 1000)
            if t < peak:
                return json.dumps({"level": 30, "time": ms, "pid": 1, "hostname": pod, "req": {"method": "POST",
                                   "url": "/api/cart/checkout"}, "res": {"statusCode": 200},
                                   "responseTime": 180 + i % 90, "msg": "request completed"})
            return json.dumps({"level": 50, "time": ms, "pid": 1, "hostname": pod, "err": {
                "type": "HTTPError", "message": "Response code 504 (Gateway Timeout)",
                "code": "ERR_NON_2XX_3XX_RESPONSE"}, "upstream": "http://inventory.stock.svc.cluster.local/v1/"
                "reservations", "l5d-proxy-error": "request timed out", "msg": "reservation failed"})
        return L.ticker(s, e, 5, line)

    healthy(inc, "store", "storefront", f"{REGISTRY}/store/storefront:9.4.0", 3, logfn(sf_log))

    def inv_log(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 20, lambda i, t: L.logfmt(
            t, "info", "request", route="POST /v1/reservations", status=201,
            duration_ms=(60 + i % 50) if t < peak else (280 + (i * 37) % 400)))

    inv = healthy(inc, "stock", "inventory", f"{REGISTRY}/stock/inventory:4.8.2", 3, logfn(inv_log),
                  cpu_limit="1")
    start = at - timedelta(hours=2)
    route = {"namespace": "store", "deployment": "storefront", "direction": "outbound", "dst": f"{fqdn}:80",
             "rt_route": "POST /v1/reservations"}
    metric(inc, "route_request", "counter", "Total count of HTTP requests.", route,
               counter(start, 210, 230, peak))
    metric(inc, "route_actual_request", "counter", "Total count of HTTP requests, including retries.",
               route, counter(start, 211, 470, peak))
    metric(inc, "route_response", "counter", "Total count of HTTP responses.",
               {**route, "classification": "failure", "status_code": "504"}, counter(start, 0.01, 61, peak))
    for h in inv:
        metric(inc, "container_cpu_cfs_throttled_periods", "counter",
                   "Number of throttled period intervals.", {"namespace": "stock", "pod": h.name,
                                                             "container": "inventory"},
                   counter(start, 0.4, 8.7, peak))
    node = inc.node_names()[1]
    inc.event(inc.cluster.nodes[1], "SystemOOM", "System OOM encountered, victim process: logrotate, pid: 803211",
              at - timedelta(minutes=47), host=node)
    inc.secret("store", "storefront-session", {"SESSION_SECRET": inc.canary("token", "storefront-session")})
    inc.slo_burn("storefront", "store", "storefront-availability", "0.999", 21.6,
                 "storefront is burning its 30d error budget 21.6x too fast (1h and 5m windows); 5xx on "
                 "/api/cart/checkout.")
    inc.answer_key(
        culprit=("ServiceProfile", "stock", fqdn), keywords=["retryRatio", "retries", "timeout"],
        root_cause="The Linkerd ServiceProfile for inventory.stock.svc.cluster.local got a 300ms route timeout "
                   "and retryRatio 1.0; at the peak the proxies' timeouts and retries doubled inventory's load "
                   "(a retry storm), saturating it, and storefront gets 504s.",
        category="mesh-retry-budget-raised-retry-storm",
        red_herrings=[("Node", "", node)])
    return inc


# ---- 5. a Calico GlobalNetworkPolicy leaves AMQP off its egress allow-list ------------------------
def order_events_stalled() -> Incident:
    """A Calico GlobalNetworkPolicy's new egress allow-list omits AMQP (5672): a PHP shop can no longer publish.

    At 10:05 the security team applied the cluster-wide GlobalNetworkPolicy
    `security-egress-baseline` (order 100, so before every namespace NetworkPolicy): egress is
    allowed to DNS and to TCP 80, 443, 5432, 6379, 8080 and 9092, everything else denied. RabbitMQ's
    5672 is not on the list. Long-lived AMQP connections (the fulfilment consumers) survive on
    conntrack, but the legacy PHP shop opens a connection per request, so every order event publish
    times out from 10:05 and RabbitMQ sees no publishes. The evidence is a cluster-scoped custom
    resource (CRD in extra/) and the PHP errors in another namespace. legacy-shop's own ingress
    NetworkPolicy is unrelated.
    """
    at = datetime(2026, 11, 25, 10, 21, tzinfo=UTC)
    inc = Incident("order-events-stalled", title="no order events reaching the broker", at=at, seed=705,
                   story=order_events_stalled.__doc__ or "", namespaces=("legacy-shop", "messaging", "fulfilment"))
    changed = at - timedelta(minutes=16)
    crd(inc, "crd.projectcalico.org", "GlobalNetworkPolicy", "globalnetworkpolicies", "v1", scope="Cluster")
    spec = {"order": 100, "selector": "all()",
            "namespaceSelector": "kubernetes.io/metadata.name not in {'kube-system', 'calico-system', 'monitoring'}",
            "types": ["Egress"],
            "egress": [{"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
                       {"action": "Allow", "protocol": "TCP",
                        "destination": {"ports": [53, 80, 443, 5432, 6379, 8080, 9092]}},
                       {"action": "Deny"}]}
    gnp = inc.add({"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
                   "metadata": {"name": "security-egress-baseline", "generation": 1,
                                "annotations": {"security.example.com/ticket": "SEC-2291"}}, "spec": spec})
    last_applied(gnp, {"apiVersion": "crd.projectcalico.org/v1", "kind": "GlobalNetworkPolicy",
                       "metadata": {"name": "security-egress-baseline"}, "spec": spec})
    gnp["metadata"]["creationTimestamp"] = ts(changed)
    managed(gnp, ("kubectl-client-side-apply", "Update", changed,
                  {"f:spec": {"f:egress": {}, "f:namespaceSelector": {}, "f:order": {}, "f:selector": {},
                              "f:types": {}}}))

    def php_log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"
            if t < changed:
                return json.dumps({"message": "Order event published", "context": {
                    "order_id": 7730012 + i, "exchange": "orders", "routing_key": "order.created"},
                    "level": 200, "level_name": "INFO", "channel": "app", "datetime": stamp, "extra": {}})
            return json.dumps({"message": "Failed to publish order event", "context": {
                "order_id": 7730012 + i, "exception": "[object] (PhpAmqpLib\\Exception\\AMQPIOException(code: "
                "110): stream_socket_client(): Unable to connect to tcp://rabbitmq.messaging.svc.cluster.local:5672 "
                "(Connection timed out) at /var/www/html/vendor/php-amqplib/php-amqplib/PhpAmqpLib/Wire/IO/"
                "StreamIO.php:108)"}, "level": 400, "level_name": "ERROR", "channel": "app", "datetime": stamp,
                "extra": {}})
        return L.ticker(s, e, 12, line)

    healthy(inc, "legacy-shop", "shop-php", f"{REGISTRY}/legacy-shop/shop-php:2024.11.3", 3, logfn(php_log),
            port=9000)

    def rabbit_log(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(at - timedelta(hours=2), e, 90, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00 [info] <0.{4100 + i}.0> accepting AMQP connection "
            f"<0.{4100 + i}.0> (10.244.{1 + i % 4}.{30 + i % 50}:{40000 + i} -> 10.244.2.14:5672)")
            if t < changed else (
            f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00 [info] <0.{900 + i % 3}.0> Free disk space is sufficient. "
            "Free bytes: 41231568896. Limit: 50000000" if i % 10 == 0 else None))

    inc.statefulset("messaging", "rabbitmq", [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management",
                                                port=5672)],
                    [P(log=logfn(rabbit_log)) for _ in range(3)], inc.born + timedelta(days=2),
                    claims=[("persistence", "20Gi", "gp3")], service=5672)
    healthy(inc, "fulfilment", "fulfilment-worker", f"{REGISTRY}/fulfilment/worker:1.19.0", 2)
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "allow-ingress-nginx", "namespace": "legacy-shop", "generation": 2},
             "spec": {"podSelector": {"matchLabels": {"app": "shop-php"}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                          "kubernetes.io/metadata.name": "ingress-nginx"}}}],
                          "ports": [{"port": 9000, "protocol": "TCP"}]}]}})
    inc.secret("legacy-shop", "shop-php-env", {"AMQP_PASSWORD": inc.canary("password", "shop-amqp"),
                                               "APP_KEY": inc.canary("token", "shop-app-key")})
    start = at - timedelta(hours=2)
    rabbit = {"namespace": "messaging", "rabbitmq_cluster": "rabbitmq", "instance": "rabbitmq-0"}
    metric(inc, "rabbitmq_channel_messages_published", "counter",
           "Total number of messages published into an exchange on a channel", rabbit,
           counter(start, 38.0, 0.0, changed))
    metric(inc, "rabbitmq_connections_opened", "counter", "Total number of connections opened", rabbit,
           counter(start, 36.5, 0.05, changed))
    metric(inc, "rabbitmq_connections", "gauge", "Connections currently open", rabbit, step(31, 6, changed))
    inc.alertmanager("RabbitmqNoPublishes", {"namespace": "messaging", "rabbitmq_cluster": "rabbitmq",
                                             "team": "platform"},
                     "RabbitMQ cluster rabbitmq receives no publishes",
                     "No message has been published to RabbitMQ cluster messaging/rabbitmq for 15 minutes "
                     "(normally ~38/s).",
                     'sum by (namespace, rabbitmq_cluster) (rate(rabbitmq_channel_messages_published_total[5m])) < 1',
                     severity="critical", starts=at,
                     runbook="https://wiki.example.com/runbooks/rabbitmq-no-publishes")
    inc.answer_key(
        culprit=("GlobalNetworkPolicy", "", "security-egress-baseline"),
        keywords=["GlobalNetworkPolicy", "5672", "egress"],
        root_cause="The Calico GlobalNetworkPolicy security-egress-baseline (order 100) allows egress only to DNS "
                   "and a list of ports without AMQP 5672 and denies the rest; shop-php's new connections to "
                   "RabbitMQ time out, so no order events are published.",
        category="calico-global-policy-omits-amqp-port",
        red_herrings=[("NetworkPolicy", "legacy-shop", "allow-ingress-nginx")])
    return inc


# ---- 6. memcached loses its -m flag in a chart bump: eviction storm ----------------------------------
def catalog_page_latency() -> Incident:
    """A memcached chart bump drops the `-m 4096` argument: the cache falls to the 64 MB default and evicts constantly.

    Revision 5 of cache/memcached (chart 7.4.0, 16:02) renamed the values key the memory size was
    passed through, so the container runs `memcached -c 4096 -I 2m` without `-m` and gets the
    64 MB default. Nothing errors: memcached_limit_bytes falls from 4 GiB to 64 MiB, evictions
    jump, the hit ratio drops from ~97% to ~35%, and every miss goes to MySQL. At the evening peak
    catalog-web's pages take seconds (ActiveRecord time). The evidence is only the revision's
    arguments and the exporters' metrics. The search-indexer rollout is unrelated.
    """
    at = datetime(2026, 11, 22, 19, 34, tzinfo=UTC)
    inc = Incident("catalog-page-latency", title="catalog pages slow", at=at, seed=706,
                   story=catalog_page_latency.__doc__ or "", namespaces=("catalog", "cache", "db"))
    bumped = at - timedelta(hours=3, minutes=32)
    peak = at - timedelta(minutes=25)
    image = "docker.io/library/memcached:1.6.31-alpine"
    old_args = ["memcached", "-m", "4096", "-c", "4096", "-I", "2m"]
    new_args = ["memcached", "-c", "4096", "-I", "2m"]
    wl = inc.deployment("cache", "memcached", [
        Rev(4, inc.born + timedelta(days=15), "helm upgrade memcached chart 7.3.1",
            [c("memcached", image, port=11211, memory_limit="5Gi", memory_request="4608Mi")],
            container={"args": old_args, "readinessProbe": {"tcpSocket": {"port": 11211}},
                       "livenessProbe": {"tcpSocket": {"port": 11211}}}),
        Rev(5, bumped, "helm upgrade memcached chart 7.4.0",
            [c("memcached", image, port=11211, memory_limit="5Gi", memory_request="4608Mi")],
            container={"args": new_args, "readinessProbe": {"tcpSocket": {"port": 11211}},
                       "livenessProbe": {"tcpSocket": {"port": 11211}}})],
        {5: [P(memory_mi=70) for _ in range(3)]})
    inc.service("cache", "memcached", {"app": "memcached"}, 11211, 11211)

    def rails(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            rid = L.uuidish(pod, i)
            slow = t >= peak
            total = (2400 + (i * 53) % 900) if slow else (70 + i % 40)
            ar = total - 150 if slow else 9 + i % 6
            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f")
            return (f"I, [{stamp} #1]  INFO -- : [{rid}] Completed 200 OK in {total}ms (Views: "
                    f"{40 + i % 30}.{i % 10}ms | ActiveRecord: {ar}.{i % 7}ms (" + str(3 + (41 if slow else 0))
                    + f" queries, {0 if slow else 38} cached) | GC: {i % 5}.1ms)")
        return L.ticker(s, e, 10, line)

    healthy(inc, "catalog", "catalog-web", f"{REGISTRY}/catalog/catalog-web:2026.11.2", 4, logfn(rails), port=3000)
    inc.statefulset("db", "catalog-mysql", [c("mysql", "docker.io/library/mysql:8.0.39", port=3306)], [P()],
                    inc.born + timedelta(days=1), claims=[("data", "300Gi", "gp3")], service=3306)
    herring_rollout(inc, "catalog", "catalog-search-indexer", f"{REGISTRY}/catalog/search-indexer:1.8.0",
                    f"{REGISTRY}/catalog/search-indexer:1.8.1", at - timedelta(minutes=41))
    inc.secret("catalog", "catalog-web-env", {"SECRET_KEY_BASE": inc.canary("token", "catalog-skb"),
                                              "DATABASE_PASSWORD": inc.canary("password", "catalog-db")})
    start = at - timedelta(hours=2)
    for h in wl.pods:
        mc = {"namespace": "cache", "pod": h.name, "job": "memcached-exporter"}
        metric(inc, "memcached_limit_bytes", "gauge", "Number of bytes this server is allowed to use for storage.",
               mc, lambda t: 67108864.0)
        metric(inc, "memcached_current_bytes", "gauge", "Current number of bytes used to store items.", mc,
               lambda t: 66912311.0)
        metric(inc, "memcached_items_evicted", "counter",
               "Total number of valid items removed from cache to free memory for new items.", mc,
               counter(start, 310, 1450, peak))
        metric(inc, "memcached_commands", "counter", "Total number of all requests broken down by command "
               "(get, set, etc.) and status.", {**mc, "command": "get", "status": "hit"},
               counter(start, 900, 1100, peak))
        metric(inc, "memcached_commands", "counter", "Total number of all requests broken down by command "
               "(get, set, etc.) and status.", {**mc, "command": "get", "status": "miss"},
               counter(start, 1500, 2900, peak))
    metric(inc, "mysql_global_status_threads_running", "gauge", "Generic metric from SHOW GLOBAL STATUS.",
           {"namespace": "db", "instance": "catalog-mysql-0", "job": "mysqld-exporter"}, step(9, 61, peak))
    inc.pagerduty("[catalog] catalog-web p95 latency 2.9s (objective 400ms)", "Catalog Web")
    inc.answer_key(
        culprit=("Deployment", "cache", "memcached"), keywords=["evictions", "hit ratio", "memory"],
        root_cause="Revision 5 of the memcached Deployment (chart bump) lost the -m 4096 argument, so memcached "
                   "runs with its 64 MB default memory; evictions soar and the hit ratio collapses, sending "
                   "catalog-web's reads to MySQL.",
        category="memcached-memory-flag-lost-eviction-storm",
        red_herrings=[("Deployment", "catalog", "catalog-search-indexer")])
    return inc


# ---- 7. a JetStream stream's maxBytes lowered with discard new -------------------------------------
def shipment_notifications_question() -> Incident:
    """A NATS JetStream Stream's maxBytes cut from 20 GiB to 1 GiB (discard new): every publish is refused.

    Flux applied a "right-size JetStream storage" commit at 10:04 that set the NACK Stream
    nats/shipment-events (stream SHIPMENTS) to `maxBytes: 1073741824` (was 21474836480). The
    stream holds three days of shipment events (~5.8 GB), so the server trimmed it to 1 GiB and,
    with `discard: new`, rejects each new message once full. shipment-tracker's publishes fail with
    "maximum bytes exceeded" and no shipment emails go out. The evidence is a custom resource (CRD
    in extra/, managedFields from the kustomize-controller), the publisher's errors and the
    JetStream exporter's metrics. The template-renderer rollout is unrelated.
    """
    at = datetime(2026, 11, 23, 11, 2, tzinfo=UTC)
    inc = Incident("shipment-notifications-question", title="shipment emails stopped", at=at, seed=707,
                   story=shipment_notifications_question.__doc__ or "", namespaces=("notify", "nats"))
    changed = at - timedelta(minutes=58)
    crd(inc, "jetstream.nats.io", "Stream", "streams", "v1beta2", columns=[
        {"name": "State", "type": "string", "jsonPath": ".status.conditions[0].reason"},
        {"name": "Stream Name", "type": "string", "jsonPath": ".spec.name"}])
    stream = inc.add({"apiVersion": "jetstream.nats.io/v1beta2", "kind": "Stream",
                      "metadata": {"name": "shipment-events", "namespace": "nats", "generation": 5,
                                   "labels": {"kustomize.toolkit.fluxcd.io/name": "nats-streams",
                                              "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
                      "spec": {"name": "SHIPMENTS", "subjects": ["shipments.>"], "storage": "file", "replicas": 3,
                               "retention": "limits", "maxAge": "72h", "maxBytes": 1073741824, "discard": "new",
                               "duplicateWindow": "2m"},
                      "status": {"observedGeneration": 5, "conditions": [{
                          "type": "Ready", "status": "True", "reason": "Created",
                          "message": "Stream successfully created", "lastTransitionTime": ts(changed)}]}})
    managed(stream, ("kustomize-controller", "Apply", changed,
                     {"f:spec": {"f:maxBytes": {}, "f:maxAge": {}, "f:discard": {}, "f:subjects": {}}}),
            ("jetstream-controller", "Update", changed + timedelta(seconds=2), {"f:status": {}}))

    def tracker(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            base = {"ts": round(t.timestamp(), 3), "caller": "publisher/publisher.go:88",
                    "subject": f"shipments.status.{['in_transit', 'delivered', 'out_for_delivery'][i % 3]}",
                    "shipment_id": f"SHP-{4410231 + i}"}
            if t < changed:
                return json.dumps({"level": "info", **base, "msg": "published", "seq": 88120331 + i})
            return json.dumps({"level": "error", **base, "msg": "publish failed",
                               "error": "nats: maximum bytes exceeded"})
        return L.ticker(s, e, 8, line)

    healthy(inc, "notify", "shipment-tracker", f"{REGISTRY}/notify/shipment-tracker:2.11.4", 2, logfn(tracker))
    healthy(inc, "notify", "email-sender", f"{REGISTRY}/notify/email-sender:1.6.0", 2)

    def nats_log(pod: str, s: datetime, e: datetime) -> Lines:
        out = L.ticker(at - timedelta(hours=2), e, 300, lambda i, t: (
            f"[1] {t.strftime('%Y/%m/%d %H:%M:%S.%f')} [INF] JetStream cluster new metadata leader: {pod}/nats"
            if i == 0 else None))
        t = changed + timedelta(seconds=1)
        out.append((t, f"[1] {t.strftime('%Y/%m/%d %H:%M:%S.%f')} [INF] JetStream stream 'USERS > SHIPMENTS' "
                       "updated"))
        return out

    inc.statefulset("nats", "nats", [c("nats", "docker.io/library/nats:2.10.22-alpine", port=4222)],
                    [P(log=logfn(nats_log)) for _ in range(3)], inc.born + timedelta(days=2),
                    claims=[("nats-js", "20Gi", "gp3")], service=4222)
    herring_rollout(inc, "notify", "template-renderer", f"{REGISTRY}/notify/template-renderer:3.2.0",
                    f"{REGISTRY}/notify/template-renderer:3.3.0", at - timedelta(minutes=35))
    inc.secret("notify", "nats-creds", {"user.creds": "-----BEGIN NATS USER JWT-----\n"
                                        + inc.canary("jwt", "shipment-tracker") + "\n------END NATS USER JWT------"})
    js = {"namespace": "nats", "stream_name": "SHIPMENTS", "server_id": "nats-0", "is_stream_leader": "true"}
    metric(inc, "jetstream_stream_total_bytes", "gauge", "Total stored bytes from stream", js,
           lambda t: 5.81e9 + (t - at).total_seconds() * 2.1e4 if t < changed else 1073741310.0)
    metric(inc, "jetstream_stream_total_messages", "gauge", "Total stored messages from stream", js,
           lambda t: 1.74e7 + (t - at).total_seconds() * 62 if t < changed else 321447.0)
    metric(inc, "jetstream_stream_last_seq", "gauge", "Last sequence from a stream", js,
           lambda t: 88120331 + (t - changed).total_seconds() * 62 if t < changed else 88120331.0)
    inc.ask("shipment-tracker has been logging publish errors since about 10:05 and customers get no shipment "
            "emails. What is going on?")
    inc.answer_key(
        culprit=("Stream", "nats", "shipment-events"), keywords=["maxBytes", "maximum bytes exceeded", "discard"],
        root_cause="The JetStream Stream nats/shipment-events (SHIPMENTS) was applied with maxBytes 1 GiB (was 20 "
                   "GiB) and discard new: the stream is full at its limit and the server refuses each publish with "
                   "'maximum bytes exceeded', so shipment-tracker cannot publish.",
        category="jetstream-stream-max-bytes-discard-new",
        red_herrings=[("Deployment", "notify", "template-renderer")])
    return inc


# ---- 8. a base-chart bump cuts the JVM's MaxRAMPercentage ---------------------------------------------
def risk_scoring_latency_burn() -> Incident:
    """A base-chart bump sets -XX:MaxRAMPercentage=25 (was 75): the JVM heap shrinks to 1 GiB, GC thrashes, heap OOMs.

    risk-engine's revision 23 (11:06, "helm upgrade ... java-service 5.0.0") carries the platform
    chart's new default JAVA_TOOL_OPTIONS, `-XX:MaxRAMPercentage=25.0`; revision 22 had 75.0. In
    a 4 GiB container the heap is now 1 GiB, below the ~2 GB the model cache needs: G1 runs back to
    back collections, requests time out, and pods exit on `OutOfMemoryError: Java heap space`
    (ExitOnOutOfMemoryError, exit code 3) - never OOMKilled by the kernel, the container uses less
    memory than before. The evidence is the revision's env, the JVM's start-up line and heap/GC
    metrics. The risk-rules ConfigMap edit is unrelated.
    """
    at = datetime(2026, 11, 26, 11, 58, tzinfo=UTC)
    inc = Incident("risk-scoring-latency-burn", title="risk scoring availability burn", at=at, seed=708,
                   story=risk_scoring_latency_burn.__doc__ or "", namespaces=("risk",))
    bumped = at - timedelta(minutes=52)
    image = f"{REGISTRY}/risk/risk-engine:3.7.2"
    opts_old = "-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"
    opts_new = "-XX:MaxRAMPercentage=25.0 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError"

    def jvm(opts: str) -> list[Any]:
        return [c("risk-engine", image, memory_limit="4Gi", memory_request="4Gi", cpu_request="2",
                  env=[{"name": "JAVA_TOOL_OPTIONS", "value": opts},
                       {"name": "SPRING_PROFILES_ACTIVE", "value": "prod"}])]

    def spring_log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(s, f"Picked up JAVA_TOOL_OPTIONS: {opts_new}"),
                      (s + timedelta(seconds=2), L.spring(s + timedelta(seconds=2), "INFO",
                                                          "c.e.risk.RiskEngineApplication",
                                                          "Starting RiskEngineApplication v3.7.2 using Java 21.0.5")),
                      (s + timedelta(seconds=23), L.spring(s + timedelta(seconds=23), "INFO",
                                                           "c.e.risk.RiskEngineApplication",
                                                           "Started RiskEngineApplication in 21.4 seconds"))]
        out += L.ticker(s + timedelta(seconds=30), e - timedelta(seconds=30), 15, lambda i, t: L.spring(
            t, "WARN", "c.e.risk.api.ScoreController",
            f"Slow score request: {2100 + (i * 97) % 3000} ms (deadline 1500 ms) merchant=M{10030 + i % 90}",
            thread=f"http-nio-8080-exec-{1 + i % 20}"))
        if e < inc.captured:  # a run that ended: the JVM's last words
            out.append((e - timedelta(seconds=1), "Terminating due to java.lang.OutOfMemoryError: Java heap space"))
        return out

    wl = inc.deployment("risk", "risk-engine", [
        Rev(22, inc.born + timedelta(days=18), "helm upgrade risk-engine platform/java-service 4.6.1", jvm(opts_old)),
        Rev(23, bumped, "helm upgrade risk-engine platform/java-service 5.0.0", jvm(opts_new))],
        {23: [P(state="crashloop", reason="Error", exit_code=3, run_s=lambda n: 540.0, log=logfn(spring_log),
                memory_mi=1350) for _ in range(3)]})
    inc.service("risk", "risk-engine", {"app": "risk-engine"})
    rules = inc.configmap("risk", "risk-rules", {"rules.yaml": "velocity:\n  max_cards_per_device_24h: 4\n"
                                                             "  max_amount_eur_1h: 2500\n"})
    managed(rules, ("kubectl-edit", "Update", at - timedelta(minutes=21), {"f:data": {"f:rules.yaml": {}}}))
    inc.secret("risk", "risk-engine-secrets", {"FEATURE_STORE_TOKEN": inc.canary("token", "risk-feature-store")})
    for h in wl.pods:
        base = {"namespace": "risk", "pod": h.name, "application": "risk-engine"}
        metric(inc, "jvm_memory_max_bytes", "gauge", "The maximum amount of memory in bytes that can be used for "
               "memory management", {**base, "area": "heap", "id": "G1 Old Gen"},
               step(3221225472.0, 1073741824.0, bumped))
        metric(inc, "jvm_gc_overhead", "gauge", "An approximation of the percent of CPU time used by GC "
               "activities over the last lookback period", base, step(0.012, 0.61, bumped))
    inc.pod_series(wl.pods)
    inc.slo_burn("risk-engine", "risk", "risk-engine-availability", "0.9995", 38.0,
                 "risk-engine is burning its 30d error budget 38x too fast; callers see 503 and timeouts on "
                 "POST /v1/score.")
    inc.answer_key(
        culprit=("Deployment", "risk", "risk-engine"), keywords=["MaxRAMPercentage", "heap", "GC"],
        root_cause="Revision 23 of the risk-engine Deployment set JAVA_TOOL_OPTIONS -XX:MaxRAMPercentage=25.0 "
                   "(was 75.0): the JVM heap is 1 GiB instead of 3 GiB, GC thrashes, requests time out and the "
                   "pods exit on OutOfMemoryError: Java heap space.",
        category="jvm-max-ram-percentage-cut-heap-starved",
        red_herrings=[("ConfigMap", "risk", "risk-rules")])
    return inc


# ---- 9. a namespace's PodSecurity enforce level raised to restricted ----------------------------------
def analytics_ingest_replicas_missing() -> Incident:
    """A namespace relabelled `pod-security.kubernetes.io/enforce: restricted` refuses the next rollout's pods.

    At 07:40 a platform hardening script relabelled the analytics Namespace from `enforce:
    baseline` to `enforce: restricted`. Running pods are not re-checked, so nothing happened until
    ingest-collector's routine image bump at 10:18: its new ReplicaSet cannot create a single pod
    (FailedCreate: violates PodSecurity "restricted:latest": allowPrivilegeEscalation,
    capabilities, runAsNonRoot, seccompProfile) and the rollout stalls one replica short. The
    evidence is events on the ReplicaSet and the Namespace's labels and managedFields. The
    ResourceQuota, close to but under its limits, is unrelated.
    """
    at = datetime(2026, 11, 27, 10, 33, tzinfo=UTC)
    inc = Incident("analytics-ingest-replicas-missing", title="ingest-collector replicas missing", at=at,
                   seed=709, story=analytics_ingest_replicas_missing.__doc__ or "", namespaces=("analytics",))
    labelled = at - timedelta(hours=2, minutes=53)
    rolled = at - timedelta(minutes=15)
    ns = inc.find("Namespace", "", "analytics")
    ns["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "restricted",
                                     "pod-security.kubernetes.io/enforce-version": "latest",
                                     "pod-security.kubernetes.io/warn": "restricted"})
    managed(ns, ("kubectl-create", "Update", inc.born + timedelta(days=3),
                 {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}),
            ("kubectl-label", "Update", labelled,
             {"f:metadata": {"f:labels": {"f:pod-security.kubernetes.io/enforce": {},
                                          "f:pod-security.kubernetes.io/enforce-version": {},
                                          "f:pod-security.kubernetes.io/warn": {}}}}))

    def collector(pod: str, s: datetime, e: datetime) -> Lines:
        return L.ticker(s, e, 30, lambda i, t: L.js(t, "info", "batch flushed", sink="clickhouse",
                                                    rows=4000 + (i * 131) % 2000, duration_ms=80 + i % 70))

    wl = inc.deployment("analytics", "ingest-collector", [
        Rev(14, inc.born + timedelta(days=16), "helm upgrade ingest-collector --set image.tag=2.21.0",
            [c("collector", f"{REGISTRY}/analytics/ingest-collector:2.21.0")]),
        Rev(15, rolled, "helm upgrade ingest-collector --set image.tag=2.22.0",
            [c("collector", f"{REGISTRY}/analytics/ingest-collector:2.22.0")])],
        {14: [P(log=logfn(collector)) for _ in range(3)], 15: []}, replicas=4, progress="progressing")
    inc.service("analytics", "ingest-collector", {"app": "ingest-collector"})
    rs = inc.find("ReplicaSet", "analytics", wl.rs[15])
    rs["spec"]["replicas"] = 1
    reason = ('violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "collector" '
              'must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container '
              '"collector" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
              'container "collector" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container '
              '"collector" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
    pod = f"{wl.rs[15]}-{o.suffix('psa', 5)}"
    inc.event(rs, "FailedCreate", f'Error creating: pods "{pod}" is forbidden: {reason}', rolled + timedelta(seconds=1),
              at + timedelta(minutes=14), count=16, component="replicaset-controller")
    inc.add({"apiVersion": "v1", "kind": "ResourceQuota",
             "metadata": {"name": "compute-resources", "namespace": "analytics"},
             "spec": {"hard": {"requests.cpu": "16", "requests.memory": "48Gi", "pods": "40"}},
             "status": {"hard": {"requests.cpu": "16", "requests.memory": "48Gi", "pods": "40"},
                        "used": {"requests.cpu": "14100m", "requests.memory": "41Gi", "pods": "31"}}})
    inc.secret("analytics", "clickhouse-credentials", {"password": inc.canary("password", "clickhouse")})
    inc.alertmanager("KubeDeploymentReplicasMismatch",
                     {"namespace": "analytics", "deployment": "ingest-collector", "job": "kube-state-metrics",
                      "container": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment analytics/ingest-collector has not matched the expected number of replicas for "
                     "longer than 15 minutes.",
                     '(kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_'
                     'available{job="kube-state-metrics"}) and (changes(kube_deployment_status_replicas_updated'
                     '{job="kube-state-metrics"}[10m]) == 0)', starts=at)
    inc.answer_key(
        culprit=("Namespace", "", "analytics"), keywords=["PodSecurity", "restricted"],
        root_cause="The analytics Namespace was relabelled pod-security.kubernetes.io/enforce=restricted; the "
                   "ingest-collector rollout's pods violate PodSecurity restricted:latest (no securityContext) "
                   "and the ReplicaSet's FailedCreate leaves the Deployment short.",
        category="pod-security-enforce-raised-refuses-pods",
        red_herrings=[("ResourceQuota", "analytics", "compute-resources")])
    return inc


# ---- 10. HPA scale-down stabilization removed: replica flapping ---------------------------------------
def query_api_error_spikes_page() -> Incident:
    """An HPA patched to scaleDown stabilizationWindowSeconds 0 (100%/15s) flaps 4<->12 replicas; drops cut requests.

    Yesterday at 17:20 a cost-saving patch set the HorizontalPodAutoscaler discovery/query-api's
    `behavior.scaleDown` to `stabilizationWindowSeconds: 0` with a 100%-per-15s policy (the
    default is a 300 s window). Overnight traffic hid it; from the morning ramp the CPU average
    oscillates around the target and the HPA scales 4 -> 12 -> 4 every few minutes. Each scale-down
    kills pods with requests in flight (ingress 502s) and each scale-up leaves the survivors
    overloaded while new pods warm their index (503s). Nothing in the pods is wrong: the evidence is
    the HPA's managedFields, its SuccessfulRescale events and the replica/5xx metrics. The PDB is
    unrelated.
    """
    at = datetime(2026, 11, 28, 10, 12, tzinfo=UTC)
    inc = Incident("query-api-error-spikes-page", title="query-api 5xx spikes", at=at, seed=710,
                   story=query_api_error_spikes_page.__doc__ or "", namespaces=("discovery",))
    patched = at - timedelta(hours=16, minutes=52)
    ramp = at - timedelta(minutes=70)

    def go_log(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s, L.js(s, "info", "loading index", shards=24, path="/index/catalog-v88")),
                (s + timedelta(seconds=41), L.js(s + timedelta(seconds=41), "info", "index loaded", docs=18273311,
                                                 took="41.2s")),
                *L.ticker(s + timedelta(seconds=45), e, 20, lambda i, t: L.js(
                    t, "info", "served", route="/v2/query", p50_ms=22 + i % 9, qps=140 + (i * 17) % 60))]

    wl = inc.deployment("discovery", "query-api", [Rev(41, inc.born + timedelta(days=20), "helm upgrade query-api",
                                                        [c("query-api", f"{REGISTRY}/discovery/query-api:6.2.0",
                                                            cpu_request="1", memory_limit="6Gi",
                                                            memory_request="5Gi")])],
                        {41: [P(log=logfn(go_log)) for _ in range(4)]})
    inc.service("discovery", "query-api", {"app": "query-api"})
    hpa = inc.add({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "query-api", "namespace": "discovery"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "query-api"},
                 "minReplicas": 4, "maxReplicas": 16,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 60}}}],
                 "behavior": {"scaleDown": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                            "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
                              "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                                          "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15},
                                                       {"type": "Pods", "value": 4, "periodSeconds": 15}]}}},
        "status": {"currentReplicas": 4, "desiredReplicas": 4, "lastScaleTime": ts(at - timedelta(minutes=4)),
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                       "averageUtilization": 58, "averageValue": "581m"}}}],
                   "conditions": [
                       {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                        "message": "recommended size matches current size",
                        "lastTransitionTime": ts(at - timedelta(minutes=4))},
                       {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                        "message": "the HPA was able to successfully calculate a replica count from cpu resource "
                                   "utilization (percentage of request)",
                        "lastTransitionTime": ts(inc.born + timedelta(days=20))},
                       {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                        "message": "the desired count is within the acceptable range",
                        "lastTransitionTime": ts(at - timedelta(minutes=4))}]}})
    managed(hpa, ("helm", "Update", inc.born + timedelta(days=20),
                  {"f:spec": {"f:maxReplicas": {}, "f:metrics": {}, "f:minReplicas": {}, "f:scaleTargetRef": {}}}),
            ("kubectl-patch", "Update", patched, {"f:spec": {"f:behavior": {"f:scaleDown": {
                "f:policies": {}, "f:selectPolicy": {}, "f:stabilizationWindowSeconds": {}}}}}),
            ("kube-controller-manager", "Update", at - timedelta(minutes=4), {"f:status": {}}))
    inc.event(hpa, "SuccessfulRescale", "New size: 12; reason: cpu resource utilization (percentage of request) "
              "above target", ramp, at - timedelta(minutes=8), count=9, warning=False,
              component="horizontal-pod-autoscaler")
    inc.event(hpa, "SuccessfulRescale", "New size: 4; reason: All metrics below target",
              ramp + timedelta(minutes=4), at - timedelta(minutes=4), count=9, warning=False,
              component="horizontal-pod-autoscaler")
    inc.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": "query-api-pdb", "namespace": "discovery"},
             "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "query-api"}}},
             "status": {"currentHealthy": 4, "desiredHealthy": 2, "disruptionsAllowed": 2, "expectedPods": 4,
                        "observedGeneration": 1}})
    inc.secret("discovery", "query-api-env", {"INDEX_BUCKET_SECRET": inc.canary("aws-secret", "query-index"),
                                              "INDEX_BUCKET_KEY": inc.canary("aws", "query-index")})

    def replicas(t: datetime) -> float:
        if t < ramp:
            return 4.0
        return 12.0 if int((t - ramp).total_seconds() // 240) % 2 == 0 else 4.0

    def errors(t: datetime) -> float:
        if t < ramp:
            return 3.0
        drops = int((t - ramp).total_seconds() // 480) + (1 if (t - ramp).total_seconds() % 480 >= 240 else 0)
        return 3.0 + 460.0 * drops

    hpa_labels = {"namespace": "discovery", "horizontalpodautoscaler": "query-api", "job": "kube-state-metrics"}
    metric(inc, "kube_horizontalpodautoscaler_status_current_replicas", "gauge",
           "Current number of replicas of pods managed by this autoscaler.", hpa_labels, replicas, step_s=30)
    metric(inc, "kube_horizontalpodautoscaler_status_desired_replicas", "gauge",
           "Desired number of replicas of pods managed by this autoscaler.", hpa_labels, replicas, step_s=30)
    metric(inc, "kube_horizontalpodautoscaler_spec_min_replicas", "gauge",
           "Lower limit for the number of pods that can be set by the autoscaler, default 1.", hpa_labels,
           lambda t: 4.0)
    ingress = {"namespace": "discovery", "ingress": "query-api", "service": "query-api",
               "controller_namespace": "ingress-nginx", "method": "GET"}
    metric(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
           {**ingress, "status": "502"}, errors, step_s=30)
    metric(inc, "nginx_ingress_controller_requests", "counter", "The total number of client requests",
           {**ingress, "status": "200"}, counter(at - timedelta(hours=2), 420, 900, ramp), step_s=30)
    inc.pod_series(wl.pods, memory=False)
    inc.pagerduty("[discovery] query-api 5xx spikes (12% of requests over 5m, recurring)", "Discovery API")
    inc.answer_key(
        culprit=("HorizontalPodAutoscaler", "discovery", "query-api"),
        keywords=["stabilizationWindowSeconds", "scale down", "flapping"],
        root_cause="The query-api HorizontalPodAutoscaler was patched to behavior.scaleDown "
                   "stabilizationWindowSeconds 0 with 100% per 15s: replicas are flapping 4<->12, and each scale "
                   "down kills pods with requests in flight (502s) while each scale-up leaves cold pods.",
        category="hpa-scale-down-stabilization-removed-flapping",
        red_herrings=[("PodDisruptionBudget", "discovery", "query-api-pdb")])
    return inc


# ---- 11. a sysctl DaemonSet lowers net.core.somaxconn on the edge pool --------------------------------
def edge_node_timeouts_question() -> Incident:
    """A node-tuning DaemonSet revision sets net.core.somaxconn=1024 (was 65535) on the edge pool: accept queues fill.

    Revision 3 of kube-system/node-sysctl-tuner (11:02) was templated from a values file copied
    from an example: `net.core.somaxconn=1024 net.ipv4.tcp_max_syn_backlog=1024` instead of 65535.
    It runs only on the edge pool (two nodes), where HAProxy listens with a 50000 backlog that the
    kernel now caps at 1024. At the afternoon peak the accept queues overflow and the kernel drops
    SYNs: clients see connection timeouts through those nodes while HAProxy itself logs nothing
    wrong. The evidence is node-exporter's ListenOverflows/ListenDrops (only on the edge nodes),
    the DaemonSet's ControllerRevisions and its pods' one-line log. The aws-node restart on one of
    the nodes is unrelated.
    """
    at = datetime(2026, 11, 29, 13, 47, tzinfo=UTC)
    inc = Incident("edge-node-timeouts-question", title="connection timeouts through one node", at=at, seed=711,
                   story=edge_node_timeouts_question.__doc__ or "", namespaces=("edge",))
    rolled = at - timedelta(hours=2, minutes=45)
    peak = at - timedelta(minutes=32)
    cl = inc.cluster
    edge = [n["metadata"]["name"] for n in cl.nodes[2:4]]
    for n in cl.nodes[2:4]:
        n["metadata"]["labels"]["node.example.com/pool"] = "edge"
    name, ns = "node-sysctl-tuner", "kube-system"
    pods = cl.daemonset(ns, name, "docker.io/library/busybox:1.36.1", inc.born + timedelta(days=4), memory_mi=1)
    cl.pods = [p for p in cl.pods if not (p.workload == name and p.node not in edge)]
    values = {2: "65535", 3: "1024"}

    def template(rev: int) -> dict[str, Any]:
        return {"metadata": {"labels": {"app": name}}, "spec": {
            "hostNetwork": True, "nodeSelector": {"node.example.com/pool": "edge"},
            "tolerations": [{"key": "node.example.com/edge", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": name, "image": "docker.io/library/busybox:1.36.1",
                            "command": ["sh", "-c", f"sysctl -w net.core.somaxconn={values[rev]} "
                                                    f"net.ipv4.tcp_max_syn_backlog={values[rev]} && sleep infinity"],
                            "securityContext": {"privileged": True},
                            "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}, "limits": {"memory": "16Mi"}}}]}}

    ds = inc.find("DaemonSet", ns, name)
    ds["spec"]["template"] = template(3)
    ds["metadata"]["generation"] = 3
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "3"
    ds["status"].update({"currentNumberScheduled": 2, "desiredNumberScheduled": 2, "numberAvailable": 2,
                         "numberReady": 2, "updatedNumberScheduled": 2, "observedGeneration": 3})
    managed(ds, ("helm", "Update", rolled, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}),
            ("kube-controller-manager", "Update", rolled + timedelta(minutes=1), {"f:status": {}}))
    for rev, when in ((2, inc.born + timedelta(days=12)), (3, rolled)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"{name}-{o.suffix(f'{name}{rev}', 10)}", "namespace": ns,
                              "creationTimestamp": ts(when),
                              "labels": {"app": name, "controller-revision-hash": o.suffix(f"{name}{rev}", 10)},
                              "ownerReferences": [o.owner_ref("DaemonSet", name, ns)]},
                 "revision": rev, "data": {"spec": {"template": {**template(rev), "$patch": "replace"}}}})

    def fix(pod: dict[str, Any]) -> None:
        pod["spec"].update({k: v for k, v in template(3)["spec"].items() if k != "containers"})
        pod["spec"]["containers"][0]["command"] = template(3)["spec"]["containers"][0]["command"]
        pod["metadata"]["labels"]["controller-revision-hash"] = o.suffix(f"{name}3", 10)

    for i, h in enumerate(pods):
        if h.node not in edge:
            continue
        h.created = rolled + timedelta(seconds=20 + 40 * i)
        h.states[0].started_at = h.created + timedelta(seconds=3)
        h.logs = {name: L.lines([(h.created + timedelta(seconds=3), "net.core.somaxconn = 1024"),
                                 (h.created + timedelta(seconds=3), "net.ipv4.tcp_max_syn_backlog = 1024")])}
        cl.patch(ns, h.name, fix)

    def haproxy(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            ms = 2 + i % 30
            return (f"10.0.{1 + i % 3}.{100 + i % 90}:{30000 + i * 7 % 30000} [{t.strftime('%d/%b/%Y:%H:%M:%S')}."
                    f"{t.microsecond // 1000:03d}] fe_https~ be_api/api{1 + i % 3} 0/0/1/{ms}/{ms + 1} 200 "
                    f"{600 + i % 900} - - ---- {900 + i % 400}/{890 + i % 400}/{3 + i % 5}/1/0 0/0 "
                    f"\"GET /v1/{['items', 'prices', 'stock'][i % 3]}?page={i % 7} HTTP/1.1\"")
        return [(s, "[NOTICE]   (1) : New worker (8) forked"), (s, "[NOTICE]   (1) : Loading success."),
                *L.ticker(s + timedelta(seconds=2), e, 6, line)]

    inc.deployment("edge", "haproxy-edge", [Rev(9, inc.born + timedelta(days=22), "helm upgrade haproxy-edge",
                                                [c("haproxy", "docker.io/library/haproxy:3.0.6", port=8443)],
                                                pod_spec={"hostNetwork": True,
                                                          "nodeSelector": {"node.example.com/pool": "edge"}})],
                   {9: [P(log=logfn(haproxy), node=n) for n in edge]})
    inc.configmap("edge", "haproxy-edge", {"haproxy.cfg": "global\n  maxconn 50000\ndefaults\n  mode http\n  "
                                                          "timeout connect 5s\nfrontend fe_https\n  bind :8443 "
                                                          "ssl crt /etc/haproxy/certs/ backlog 50000\n"})
    inc.secret("edge", "haproxy-edge-certs", {"tls.key": "-----BEGIN PRIVATE KEY-----\n"
                                              + inc.canary("token", "edge-tls-key") + "\n-----END PRIVATE KEY-----"})
    aws = next(p for p in cl.pods if p.workload == "aws-node" and p.node == edge[0])
    st = aws.states[0]
    st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 1
    st.last_finished = at - timedelta(minutes=61)
    st.last_started = inc.born + timedelta(days=1)
    st.started_at = st.last_finished + timedelta(seconds=9)
    start = at - timedelta(hours=2)
    for n in cl.nodes:
        node = n["metadata"]["name"]
        hit = node in edge
        labels = {"instance": node, "job": "node-exporter", "namespace": "monitoring"}
        metric(inc, "node_netstat_TcpExt_ListenOverflows", "gauge",
               "Statistic TcpExtListenOverflows.", labels, counter(start, 0.0, 37.0 if hit else 0.0, peak))
        metric(inc, "node_netstat_TcpExt_ListenDrops", "gauge", "Statistic TcpExtListenDrops.", labels,
               counter(start, 0.0, 37.4 if hit else 0.0, peak))
        metric(inc, "node_netstat_Tcp_PassiveOpens", "gauge", "Statistic TcpPassiveOpens.", labels,
               counter(start, 900.0 if hit else 60.0, 1500.0 if hit else 70.0, peak))
    inc.ask(f"Clients going through {edge[0]} get connection timeouts since early afternoon. What's wrong with "
            "that box?")
    inc.answer_key(
        culprit=("DaemonSet", ns, name), keywords=["somaxconn", "backlog", "ListenOverflows"],
        root_cause="Revision 3 of the node-sysctl-tuner DaemonSet sets net.core.somaxconn=1024 (was 65535) on the "
                   "edge nodes, capping HAProxy's 50000 listen backlog; at the peak the accept queue overflows "
                   "(ListenOverflows/ListenDrops climb) and the kernel drops SYNs, so clients time out.",
        category="sysctl-daemonset-lowers-somaxconn",
        red_herrings=[("DaemonSet", "kube-system", "aws-node")])
    return inc


# ---- 12. a per-role statement_timeout lowered by a settings Job ---------------------------------------
def monthly_reports_question() -> Incident:
    """A Helm hook Job runs `ALTER ROLE reporting SET statement_timeout = '30s'` (was 15min): month-end queries die.

    The db-settings chart's post-upgrade Job db/pg-role-settings-apply (01:12, nightly platform
    release) applies per-role settings with psql; a copy-paste gave the reporting role the 30 s
    timeout meant for the app role. Nothing fails until the month-end statement run starts at
    06:00: each merchant's aggregation takes minutes, and Postgres cancels it ("canceling statement
    due to statement timeout"); report-builder's psycopg2 raises QueryCanceled for every merchant.
    The evidence is the Job's echoed SQL, Postgres' log in another namespace and the victim's
    tracebacks. The data volume at 81% is unrelated.
    """
    at = datetime(2026, 11, 30, 7, 15, tzinfo=UTC)
    inc = Incident("monthly-reports-question", title="monthly statements not generated", at=at, seed=712,
                   story=monthly_reports_question.__doc__ or "", namespaces=("reporting", "db"))
    applied = at - timedelta(hours=6, minutes=3)
    run = at - timedelta(minutes=75)
    job = "pg-role-settings-apply"
    sql = ("ALTER ROLE app_rw SET idle_in_transaction_session_timeout = '60s';\n"
           "ALTER ROLE app_rw SET statement_timeout = '30s';\n"
           "ALTER ROLE reporting SET statement_timeout = '30s';\n"
           "ALTER ROLE reporting SET work_mem = '256MB';\n")
    container = {"name": "psql", "image": "docker.io/library/postgres:16.4",
                 "command": ["sh", "-c", "psql -a -v ON_ERROR_STOP=1 <<'SQL'\n" + sql + "SQL"],
                 "env": [{"name": "PGHOST", "value": "reporting-pg.db.svc.cluster.local"},
                         {"name": "PGUSER", "value": "platform_admin"},
                         {"name": "PGPASSWORD",
                          "valueFrom": {"secretKeyRef": {"name": "pg-admin", "key": "password"}}}]}
    finished = applied + timedelta(seconds=4)
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": "db", "creationTimestamp": ts(applied),
                          "labels": {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "db-settings"},
                          "annotations": {"helm.sh/hook": "post-install,post-upgrade",
                                          "helm.sh/hook-delete-policy": "before-hook-creation",
                                          "meta.helm.sh/release-name": "db-settings"}},
             "spec": {"backoffLimit": 1, "completions": 1, "parallelism": 1,
                      "template": {"metadata": {"labels": {"job-name": job}},
                                   "spec": {"restartPolicy": "Never", "containers": [container]}}},
             "status": {"succeeded": 1, "startTime": ts(applied), "completionTime": ts(finished),
                        "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": ts(finished),
                                        "lastTransitionTime": ts(finished)}]}})
    echoed = "\n".join(f"{stmt}\nALTER ROLE" for stmt in sql.strip().split("\n"))
    pod_name = f"{job}-{o.suffix(job, 5)}"
    node = inc.node_names()[0]
    inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace="db", workload=job, containers=[c("psql", "docker.io/library/postgres:16.4",
                                                                   port=None, readiness_path=None,
                                                                   liveness_path=None)],
        node=node, created=applied, states=[o.ContainerState(started_at=applied + timedelta(seconds=2), ready=False)],
        labels={"job-name": job, "batch.kubernetes.io/job-name": job},
        owner=o.owner_ref("Job", job, "db", "batch/v1"),
        logs={"psql": L.lines([(applied + timedelta(seconds=3), echoed)])}))
    inc.cluster.patch("db", pod_name, terminated(0, "Completed", applied + timedelta(seconds=2), finished,
                                                 phase="Succeeded"))

    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        def pfx(t: datetime, pid: int, who: str) -> str:
            return f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d} UTC [{pid}] {who} "
        out = L.ticker(at - timedelta(hours=7), e, 600, lambda i, t: pfx(t, 61, "") .replace("  ", " ")
                       + "LOG:  checkpoint complete: wrote 2211 buffers (1.7%); 0 WAL file(s) added, 0 removed, "
                       "2 recycled")
        for i, stmt in enumerate(sql.strip().split("\n")):
            t = applied + timedelta(seconds=3, milliseconds=10 * i)
            out.append((t, pfx(t, 40112, "platform_admin@postgres") + f"LOG:  statement: {stmt}"))

        def cancel(i: int, t: datetime) -> str:
            pid = 50200 + i
            return (pfx(t, pid, "reporting@reporting") + "ERROR:  canceling statement due to statement timeout\n"
                    + pfx(t, pid, "reporting@reporting") + "STATEMENT:  SELECT t.merchant_id, date_trunc('day', "
                    "t.booked_at) AS day, sum(t.amount_minor), count(*) FROM ledger_entries t WHERE t.merchant_id = "
                    f"'M{10200 + i}' AND t.booked_at >= '2026-11-01' AND t.booked_at < '2026-12-01' GROUP BY 1, 2")
        out += L.ticker(run + timedelta(seconds=31), e, 34, cancel)
        return out

    inc.statefulset("db", "reporting-pg", [c("postgres", "docker.io/library/postgres:16.4", port=5432)],
                    [P(log=logfn(pg))], inc.born + timedelta(days=1), claims=[("data", "500Gi", "gp3")], service=5432)

    def builder(pod: str, s: datetime, e: datetime) -> Lines:
        def fail(i: int, t: datetime) -> str:
            return (L.pylog(t, "ERROR", "reports.monthly", f"statement export failed for merchant M{10200 + i}")
                    + "\nTraceback (most recent call last):\n  File \"/app/reports/monthly.py\", line 88, in build\n"
                    "    cur.execute(MONTHLY_SQL, params)\npsycopg2.errors.QueryCanceled: canceling statement due "
                    "to statement timeout")
        return [(run, L.pylog(run, "INFO", "reports.scheduler", "month-end statement run started: 1840 merchants")),
                *L.ticker(run + timedelta(seconds=31), e, 34, fail)]

    healthy(inc, "reporting", "report-builder", f"{REGISTRY}/reporting/report-builder:4.3.0", 1, logfn(builder))
    inc.secret("db", "pg-admin", {"password": inc.canary("password", "pg-admin")})
    inc.ask("report-builder has failed every monthly statement since this morning's run started. Can someone "
            "look at why?")
    metric(inc, "kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume",
           {"namespace": "db", "persistentvolumeclaim": "data-reporting-pg-0", "job": "kubelet"},
           lambda t: 0.81 * 500 * 1024 ** 3)
    metric(inc, "kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume",
           {"namespace": "db", "persistentvolumeclaim": "data-reporting-pg-0", "job": "kubelet"},
           lambda t: 500.0 * 1024 ** 3)
    inc.answer_key(
        culprit=("Job", "db", job), keywords=["statement_timeout", "ALTER ROLE", "canceling statement"],
        root_cause="The post-upgrade Job db/pg-role-settings-apply ran ALTER ROLE reporting SET statement_timeout = "
                   "'30s' (meant for app_rw); Postgres is canceling statement after statement of the month-end "
                   "aggregation, so every report-builder export fails with QueryCanceled.",
        category="postgres-role-statement-timeout-lowered",
        red_herrings=[("PersistentVolumeClaim", "db", "data-reporting-pg-0")])
    return inc


ALL = [orders_api_errors_page, partner_api_unreachable, billing_worker_crashloop, storefront_latency_burn,
       order_events_stalled, catalog_page_latency, shipment_notifications_question, risk_scoring_latency_burn,
       analytics_ingest_replicas_missing, query_api_error_spikes_page, edge_node_timeouts_question,
       monthly_reports_question]
"""Every scenario of round 7, in the order the bundles are written."""
