"""Round 13 of the held-out incident set: twelve incidents whose evidence is spread over several places.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem or everyday production failure it re-creates (our own names and text, nothing copied).
The change sits in one object or namespace, the errors in another, the metrics in a third. Bundle
names, titles and questions say only the symptom. Log lines follow the real software's formats
(PostgreSQL, Redis, ingress-nginx, Go net/http and crypto/tls, Node.js, Python logging, klog).
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


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
           "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def rs_of(inc: Incident, wl: Any, number: int) -> dict[str, Any]:
    return inc.find("ReplicaSet", wl.namespace, wl.rs[number])


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 24, 9, 12, tzinfo=UTC)


def billing_rollout_replicas_missing() -> Incident:
    """pod-security-enforce-restricted-blocks-pods: a namespace relabelled to enforce the restricted profile.

    after: Pod Security Admission roll-outs where a platform pipeline moved namespaces from `warn` to
    `enforce: restricted`; running pods stay, but every new pod of a workload that runs as root is refused.

    The culprit is Namespace billing: its pod-security.kubernetes.io/enforce label set to `restricted` by the
    platform pipeline at 08:51. The billing-api rollout at 09:05 creates no pods: the ReplicaSet controller's
    FailedCreate events say "violates PodSecurity". Evidence: only those events and the namespace's change.
    """
    inc = Incident("billing-rollout-replicas-missing", title="billing-api rollout has fewer replicas than desired",
                   story="", at=AT1, seed=1301, namespaces=("billing", "analytics"))
    label_at = AT1 - timedelta(minutes=21)
    plant(inc, "billing", "billing-api-db", "password", "billing-db", "DATABASE_PASSWORD")
    ns = inc.find("Namespace", "", "billing")
    ns["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "restricted",
                                     "pod-security.kubernetes.io/enforce-version": "latest",
                                     "pod-security.kubernetes.io/warn": "restricted"})
    changed(ns, ("kubectl-create", "Update", inc.born + timedelta(days=3), {"f:metadata": {"f:labels": {}}}),
            ("platform-namespaces", "Apply", label_at, {"f:metadata": {"f:labels": {
                "f:pod-security.kubernetes.io/enforce": {}, "f:pod-security.kubernetes.io/enforce-version": {}}}}))
    image = f"{REGISTRY}/billing/billing-api"
    revs = [Rev(1, inc.born + timedelta(days=20), "helm upgrade", [c("billing-api", f"{image}:2.8.0")]),
            Rev(2, AT1 - timedelta(minutes=7), "helm upgrade", [c("billing-api", f"{image}:2.9.0")])]
    wl = inc.deployment("billing", "billing-api", revs, {1: [P() for _ in range(6)], 2: []}, replicas=6,
                        progress="progressing")
    inc.event(rs_of(inc, wl, 2), "FailedCreate", f'Error creating: pods "{wl.rs[2]}-{o.suffix("q1", 5)}" is '
              'forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container '
              '"billing-api" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities '
              '(container "billing-api" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true '
              '(pod or container "billing-api" must set securityContext.runAsNonRoot=true), seccompProfile (pod or '
              'container "billing-api" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
              '"Localhost")', AT1 - timedelta(minutes=7), inc.captured - timedelta(seconds=20), count=19,
              component="replicaset-controller")
    herring(inc, "analytics", "events-rollup", f"{REGISTRY}/analytics/events-rollup", "1.4",
            AT1 - timedelta(minutes=15))
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "billing", "deployment": "billing-api",
                                                         "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment billing/billing-api has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("Namespace", "", "billing"), keywords=["PodSecurity", "restricted", "runAsNonRoot"],
                   root_cause="The billing Namespace was relabelled pod-security.kubernetes.io/enforce=restricted "
                              "shortly before the rollout; billing-api's pods run as root without a restricted "
                              "securityContext (runAsNonRoot, drop ALL, seccomp), so PodSecurity admission refuses "
                              "every new pod and the rollout cannot progress.",
                   category="pod-security-enforce-restricted-blocks-pods",
                   red_herrings=[("Deployment", "analytics", "events-rollup")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 25, 14, 40, tzinfo=UTC)


def orders_rollout_stuck_page() -> Incident:
    """webhook-cabundle-stale-after-cert-rotation: a policy webhook's caBundle no longer matches its serving cert.

    after: admission-webhook outages where a chart upgrade re-rendered the webhook configuration with an old
    CA while cert rotation gave the webhook a new certificate: every pod create fails x509 (fail-closed).

    The culprit is ValidatingWebhookConfiguration policy-guard (cluster-scoped), re-applied by helm at 14:22
    with a caBundle of the previous CA. Pod creation in labelled namespaces fails with "x509: certificate
    signed by unknown authority"; the page is about the orders rollout (a victim). Evidence: ReplicaSet
    FailedCreate events, the webhook's change, and the webhook server's TLS handshake errors.
    """
    inc = Incident("orders-rollout-stuck-page", title="orders rollout stuck", story="", at=AT2, seed=1302,
                   namespaces=("orders", "policy", "reporting"))
    plant(inc, "orders", "orders-stripe", "stripe", "orders", "STRIPE_API_KEY")

    def webhook_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, AT2 - timedelta(minutes=18)), end, 9, lambda i, t:
                        f"{t.strftime('%Y/%m/%d %H:%M:%S')} http: TLS handshake error from 10.0.{i % 3}.{40 + i % 50}:"
                        f"{40000 + i * 7}: remote error: tls: bad certificate")
    app(inc, "policy", "policy-guard", f"{REGISTRY}/platform/policy-guard:0.14.2", 2, log=within(webhook_log),
        port=9443)
    inc.add(changed({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                     "metadata": {"name": "policy-guard", "labels": {"app.kubernetes.io/managed-by": "Helm"},
                                  "annotations": {"meta.helm.sh/release-name": "policy-guard"}},
                     "webhooks": [{"name": "validate.policy-guard.acme.io", "failurePolicy": "Fail",
                                   "sideEffects": "None", "admissionReviewVersions": ["v1"], "timeoutSeconds": 10,
                                   "namespaceSelector": {"matchLabels": {"policy-guard": "enforced"}},
                                   "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                              "resources": ["pods"], "scope": "Namespaced"}],
                                   "clientConfig": {"service": {"name": "policy-guard", "namespace": "policy",
                                                                "path": "/validate", "port": 443},
                                                    "caBundle": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJk"
                                                                "ekNDQVIyZ0F3SUJBZ0lRYzNWa1lXNW9iM1JsYkEK"}}]},
                    ("helm", "Update", AT2 - timedelta(minutes=18),
                     {"f:webhooks": {"k:{\"name\":\"validate.policy-guard.acme.io\"}": {
                         "f:clientConfig": {"f:caBundle": {}}}}})))
    inc.find("Namespace", "", "orders")["metadata"]["labels"]["policy-guard"] = "enforced"
    image = f"{REGISTRY}/orders/orders-api"
    revs = [Rev(1, inc.born + timedelta(days=11), "helm upgrade", [c("orders-api", f"{image}:5.2.0")]),
            Rev(2, AT2 - timedelta(minutes=12), "helm upgrade", [c("orders-api", f"{image}:5.3.0")])]
    wl = inc.deployment("orders", "orders-api", revs, {1: [P(), P(), P()], 2: []}, replicas=3, progress="deadline")
    inc.event(rs_of(inc, wl, 2), "FailedCreate", 'Error creating: Internal error occurred: failed calling webhook '
              '"validate.policy-guard.acme.io": failed to call webhook: Post "https://policy-guard.policy.svc:443/'
              'validate?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown '
              'authority (possibly because of "crypto/rsa: verification error" while trying to verify candidate '
              'authority certificate "policy-guard-ca")', AT2 - timedelta(minutes=12),
              inc.captured - timedelta(seconds=30), count=17, component="replicaset-controller")
    herring(inc, "reporting", "report-scheduler", f"{REGISTRY}/reporting/report-scheduler", "3.1",
            AT2 - timedelta(minutes=25))
    inc.pagerduty("[FIRING:1] KubeDeploymentRolloutStuck orders/orders-api", "Orders Platform")
    inc.answer_key(culprit=("ValidatingWebhookConfiguration", "", "policy-guard"),
                   keywords=["webhook", "caBundle", "x509"],
                   root_cause="The ValidatingWebhookConfiguration policy-guard was re-applied by helm with a stale "
                              "caBundle (the old CA); with failurePolicy Fail every pod create in the orders "
                              "namespace fails the webhook call with x509: certificate signed by unknown authority.",
                   category="webhook-cabundle-stale-after-cert-rotation",
                   red_herrings=[("Deployment", "reporting", "report-scheduler")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)


def notify_errors_burn() -> Incident:
    """credential-rotation-ahead-of-secret-sync: a rotation Job changed the DB password before the Secret synced.

    after: credential-rotation outages where the rotator changed the database role's password and wrote it to
    the secret store, but the in-cluster Secret only refreshes hourly, so every new connection uses the old one.

    The culprit is Job db-ops/rotate-notify-db-29401798, started at 09:58: it ran ALTER ROLE for notify and
    stored the new password in Vault. The notify Secret (refreshInterval 1h) still holds the old password;
    notify-api's new connections fail "password authentication failed"; PostgreSQL (namespace db) logs the
    same. Evidence: the Job's log in one namespace, the app's errors in another, the database log in a third.
    """
    inc = Incident("notify-errors-burn", title="notify-api error budget burning", story="", at=AT3, seed=1303,
                   namespaces=("notify", "db-ops", "db", "growth"))
    plant(inc, "notify", "notify-db", "password", "notify-db", "DATABASE_PASSWORD")
    rotate_at = AT3 - timedelta(minutes=7)
    job_name = "rotate-notify-db-29401798"
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": "rotate-notify-db", "namespace": "db-ops"},
             "spec": {"schedule": "58 9 * * 4", "concurrencyPolicy": "Forbid",
                      "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                          {"name": "rotate", "image": f"{REGISTRY}/platform/db-rotator:1.6.0"}]}}}}},
             "status": {"lastScheduleTime": ts(rotate_at),
                        "lastSuccessfulTime": ts(rotate_at + timedelta(seconds=14))}})
    cron = inc.find("CronJob", "db-ops", "rotate-notify-db")
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job_name, "namespace": "db-ops", "creationTimestamp": ts(rotate_at),
                          "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "rotate-notify-db",
                                               "uid": cron["metadata"]["uid"], "controller": True}]},
             "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1},
             "status": {"startTime": ts(rotate_at), "completionTime": ts(rotate_at + timedelta(seconds=14)),
                        "succeeded": 1}})
    inc.event(cron, "SuccessfulCreate", f"Created job {job_name}", rotate_at, warning=False,
              component="cronjob-controller")
    pod_name = f"{job_name}-{o.suffix(job_name, 5)}"
    done = rotate_at + timedelta(seconds=14)
    inc.add({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": pod_name, "namespace": "db-ops", "creationTimestamp": ts(rotate_at),
                          "labels": {"job-name": job_name, "batch.kubernetes.io/job-name": job_name},
                          "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name,
                                               "uid": o.uid("job", "db-ops", job_name), "controller": True}]},
             "spec": {"restartPolicy": "Never", "nodeName": node(inc, 2), "serviceAccountName": "db-rotator",
                      "containers": [{"name": "rotate", "image": f"{REGISTRY}/platform/db-rotator:1.6.0"}]},
             "status": {"phase": "Succeeded", "startTime": ts(rotate_at + timedelta(seconds=1)),
                        "conditions": [{"type": "Ready", "status": "False", "reason": "PodCompleted",
                                        "lastTransitionTime": ts(done)}],
                        "containerStatuses": [{"name": "rotate", "ready": False, "restartCount": 0,
                                               "image": f"{REGISTRY}/platform/db-rotator:1.6.0",
                                               "imageID": o.image_id(f"{REGISTRY}/platform/db-rotator:1.6.0"),
                                               "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                        "startedAt": ts(rotate_at),
                                                                        "finishedAt": ts(done)}}}]}})
    inc.log_block("db-ops", pod_name, "rotate", L.lines([
        (rotate_at + timedelta(seconds=3), 'level=info msg="rotating credentials" role=notify db=notify '
                                           'host=postgres.db.svc.cluster.local'),
        (rotate_at + timedelta(seconds=6), 'level=info msg="ALTER ROLE notify WITH PASSWORD ***" rows=0'),
        (rotate_at + timedelta(seconds=9), 'level=info msg="wrote secret" path=kv/data/prod/notify/db version=38'),
        (rotate_at + timedelta(seconds=12), 'level=info msg="consumers will pick up the new version on their next '
                                            'refresh" refreshInterval=1h')]))

    def node_log(pod: str, start: datetime, end: datetime) -> Lines:
        ok = L.ticker(start, min(end, rotate_at), 30, lambda i, t: L.js(
            t, "info", "notification sent", channel="email", ms=41 + i % 9))
        bad = L.ticker(max(start, rotate_at + timedelta(seconds=20)), end, 6, lambda i, t: L.js(
            t, "error", "send failed", err='error: password authentication failed for user "notify"',
            code="28P01", routine="auth_failed"))
        return ok + bad
    app(inc, "notify", "notify-api", f"{REGISTRY}/notify/notify-api:3.0.4", 3, log=within(node_log))

    def pg_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, rotate_at + timedelta(seconds=20)), end, 6, lambda i, t:
                        f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC [{52000 + i}] FATAL:  password authentication "
                        'failed for user "notify"\n'
                        f"{t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC [{52000 + i}] DETAIL:  Connection matched "
                        'pg_hba.conf line 7: "host all all 10.0.0.0/8 scram-sha-256"')
    inc.statefulset("db", "postgres", [c("postgres", "postgres:16.4", port=5432, readiness_path=None,
                                         liveness_path=None)], [P(log=within(pg_log))],
                    inc.born + timedelta(days=2), service=5432)
    herring(inc, "growth", "campaign-api", f"{REGISTRY}/growth/campaign-api", "2.2", AT3 - timedelta(minutes=18))
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": "notify", "service": "notify-api", "code": "500", "job": "notify-api"},
               counter(AT3 - timedelta(hours=2), 0.01, 5.2, rotate_at))
    inc.slo_burn("notify-api", "notify", "notify-api-availability", "0.995", 36.4,
                 "notify-api is returning 5xx for most POST /v1/notifications requests; 1h burn rate 36.4x.")
    inc.answer_key(culprit=("Job", "db-ops", job_name), keywords=["password", "rotation", "authentication"],
                   root_cause="The credential rotation Job db-ops/rotate-notify-db-29401798 changed the notify "
                              "role's password in PostgreSQL, but the notify Secret only refreshes hourly and still "
                              "holds the old one, so notify-api's connections fail password authentication.",
                   category="credential-rotation-ahead-of-secret-sync",
                   red_herrings=[("Deployment", "growth", "campaign-api")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


def invoice_worker_failing_page() -> Incident:
    """client-timeout-cut-below-dependency-latency: a hand edit cut an upstream timeout from 5000 to 500 ms.

    after: config-drift postmortems where a timeout "tidy-up" (ms read as s, or a copy from another service)
    left a client timeout below the dependency's normal p99, so a steady share of calls fail and are retried.

    The culprit is ConfigMap accounts/accounts-config: LEDGER_TIMEOUT_MS edited 5000 -> 500 with kubectl edit
    at 16:08; accounts-api restarted with it. ledger's p99 is ~900 ms, so accounts-api answers 504 to a third of
    requests; the page is on invoice-worker (another namespace), which calls accounts-api.
    """
    inc = Incident("invoice-worker-failing-page", title="invoice-worker failing jobs", story="", at=AT4, seed=1304,
                   namespaces=("accounts", "invoicing", "ledger-svc"))
    edit_at = AT4 - timedelta(minutes=22)
    plant(inc, "accounts", "accounts-db", "password", "accounts-db", "DATABASE_PASSWORD")
    cm = inc.configmap("accounts", "accounts-config", {"LEDGER_URL": "http://ledger.ledger-svc.svc.cluster.local",
                                                       "LEDGER_TIMEOUT_MS": "500", "LEDGER_RETRIES": "0",
                                                       "LOG_LEVEL": "info"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", edit_at, {"f:data": {"f:LEDGER_TIMEOUT_MS": {}}}))
    image = f"{REGISTRY}/accounts/accounts-api"

    def accounts_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, edit_at + timedelta(minutes=3)), end, 4, lambda i, t:
                        f'{t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]}Z\tERROR\tledger/client.go:88\tledger call failed'
                        f'\t{{"account": "acc_{o.suffix(str(i), 8)}", "error": "Get \\"http://ledger.ledger-svc.svc.'
                        'cluster.local/v1/balances\\": context deadline exceeded (Client.Timeout exceeded while '
                        'awaiting headers)", "timeout": "500ms"}')
    revs = [Rev(1, inc.born + timedelta(days=6), "helm upgrade", [c("accounts-api", f"{image}:4.4.1")]),
            Rev(2, edit_at + timedelta(minutes=2), "kubectl rollout restart", [c("accounts-api", f"{image}:4.4.1")])]
    inc.deployment("accounts", "accounts-api", revs, {2: [P(log=within(accounts_log)) for _ in range(3)]})
    app(inc, "ledger-svc", "ledger", f"{REGISTRY}/ledger/ledger:7.0.2", 3)

    def worker_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, edit_at + timedelta(minutes=3)), end, 11, lambda i, t:
                        f"{t.strftime('%Y-%m-%d %H:%M:%S,%f')[:-3]} ERROR invoicing.tasks: task render_invoice"
                        f"[{o.suffix(str(i), 8)}] failed: HTTPError: 504 Server Error: Gateway Timeout for url: "
                        "http://accounts-api.accounts.svc.cluster.local/v2/accounts/statement")
    app(inc, "invoicing", "invoice-worker", f"{REGISTRY}/invoicing/invoice-worker:1.17.0", 3, log=within(worker_log))
    inc.configmap("invoicing", "invoice-templates", {"locale": "en-GB", "footer": "Thank you for your business"},
                  at=AT4 - timedelta(minutes=35))
    for le, before, after in (("0.5", 0.62, 0.62), ("1", 0.995, 0.995), ("+Inf", 1.0, 1.0)):
        inc.series("http_server_request_duration_seconds_bucket", "gauge",
                   "ledger request latency, cumulative share of requests (recording rule)",
                   {"namespace": "ledger-svc", "service": "ledger", "le": le, "job": "ledger"},
                   step(before, after, edit_at))
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": "accounts", "service": "accounts-api", "code": "504", "job": "accounts-api"},
               counter(AT4 - timedelta(hours=2), 0.0, 3.1, edit_at + timedelta(minutes=2)))
    inc.pagerduty("invoice-worker: render_invoice failure rate above 20% for 10m", "Invoicing")
    inc.answer_key(culprit=("ConfigMap", "accounts", "accounts-config"),
                   keywords=["LEDGER_TIMEOUT_MS", "timeout"],
                   root_cause="LEDGER_TIMEOUT_MS in ConfigMap accounts/accounts-config was edited from 5000 to 500; "
                              "ledger's normal p99 is about 900 ms, so accounts-api's calls hit the client timeout "
                              "(context deadline exceeded) and it returns 504 to invoice-worker.",
                   category="client-timeout-cut-below-dependency-latency",
                   red_herrings=[("ConfigMap", "invoicing", "invoice-templates")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 28, 19, 45, tzinfo=UTC)


def session_api_question() -> Incident:
    """redis-maxclients-lowered-refuses-connections: a chart bump set Redis maxclients to 128.

    after: cache outages where a chart values refactor put a small `maxclients` into the server args; with
    every replica of every caller keeping a pool open, the evening peak exceeded it and new connections failed.

    The culprit is StatefulSet cache/redis-sessions: helm re-rendered its args at 13:10 with `--maxclients 128`.
    At the 19:40 peak session-api (namespace web-sessions) scales out, its new pools need more connections and
    Redis refuses them with "ERR max number of clients reached". Evidence: the StatefulSet's args and change,
    the callers' logs, redis_connected_clients flat at 128 and rejected connections rising.
    """
    inc = Incident("session-api-question", title="logins failing", story="", at=AT5, seed=1305,
                   namespaces=("cache", "web-sessions", "cdn"))
    plant(inc, "web-sessions", "session-signing", "token", "session", "SESSION_SECRET")
    chart_at = AT5 - timedelta(hours=6, minutes=35)
    full_at = AT5 - timedelta(minutes=7)
    args = ["--maxmemory", "2gb", "--maxmemory-policy", "allkeys-lru", "--maxclients", "128"]
    redis = inc.statefulset("cache", "redis-sessions", [c("redis", "redis:7.2.5", port=6379, readiness_path=None,
                                                          liveness_path=None, memory_limit="3Gi")],
                            [P(), P()], inc.born + timedelta(days=3), service=6379)
    redis.obj["spec"]["template"]["spec"]["containers"][0]["args"] = args
    changed(redis.obj, ("helm", "Update", chart_at, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"redis"}': {"f:args": {}}}}}}}))

    def session_log(pod: str, start: datetime, end: datetime) -> Lines:
        ok = L.ticker(start, min(end, full_at), 40, lambda i, t:
                      f"{t.strftime('%Y-%m-%d %H:%M:%S,%f')[:-3]} INFO sessions.store: session created "
                      f"user_id={88000 + i}")
        bad = L.ticker(max(start, full_at), end, 3, lambda i, t:
                       f"{t.strftime('%Y-%m-%d %H:%M:%S,%f')[:-3]} ERROR sessions.views: login failed\n"
                       "Traceback (most recent call last):\n"
                       '  File "/app/sessions/store.py", line 58, in create\n'
                       "    self.redis.setex(key, self.ttl, payload)\n"
                       "redis.exceptions.ConnectionError: max number of clients reached")
        return ok + bad
    app(inc, "web-sessions", "session-api", f"{REGISTRY}/web/session-api:2.11.3", 3, log=within(session_log))
    herring(inc, "cdn", "edge-purger", f"{REGISTRY}/cdn/edge-purger", "0.8", AT5 - timedelta(minutes=12))
    start = AT5 - timedelta(hours=2)
    base = {"namespace": "cache", "pod": "redis-sessions-0", "job": "redis-exporter"}
    inc.series("redis_connected_clients", "gauge", "connected_clients metric", {**base},
               lambda t: min(128.0, 70.0 + (t - start).total_seconds() * 0.009))
    inc.series("redis_config_maxclients", "gauge", "config_maxclients metric", {**base}, lambda t: 128.0)
    inc.series("redis_rejected_connections", "counter", "rejected_connections metric", {**base},
               counter(start, 0.0, 2.4, full_at))
    inc.series("redis_memory_used_bytes", "gauge", "used_memory metric", {**base}, lambda t: 6.1e8)
    inc.ask("People can't log in since about 19:40 and session-api is throwing errors. What's going on?")
    inc.answer_key(culprit=("StatefulSet", "cache", "redis-sessions"), keywords=["maxclients", "max number of clients"],
                   root_cause="The redis-sessions StatefulSet was re-rendered by helm with --maxclients 128; at the "
                              "evening peak the callers' connection pools need more, Redis refuses new connections "
                              "with 'max number of clients reached' and session-api cannot create sessions.",
                   category="redis-maxclients-lowered-refuses-connections",
                   red_herrings=[("Deployment", "cdn", "edge-purger")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 29, 3, 20, tzinfo=UTC)


def node_pods_evicted_question() -> Incident:
    """log-shipper-unbounded-buffer-memory-pressure: fluent-bit's Mem_Buf_Limit removed; one node runs out of memory.

    after: logging-agent incidents where a config change removed the input's memory buffer limit; with the
    log backend slow, the agent on the busiest node buffered in RAM until the kubelet evicted workloads.

    The culprit is ConfigMap logging/fluent-bit-config (Mem_Buf_Limit removed by a Flux apply at 02:31). On
    the node that hosts the chatty clickstream pods, fluent-bit grows to ~5 GiB (priority system-node-critical,
    so it is evicted last); the node reports MemoryPressure and the kubelet evicts ordinary pods. The
    question names only the node.
    """
    inc = Incident("node-pods-evicted-question", title="pods evicted on one node", story="", at=AT6, seed=1306,
                   namespaces=("logging", "media", "clickstream"))
    plant(inc, "logging", "es-credentials", "password", "es", "HTTP_Passwd")
    host = node(inc, 1)
    cfg_at = AT6 - timedelta(minutes=49)
    cm = inc.configmap("logging", "fluent-bit-config", {
        "fluent-bit.conf": "[SERVICE]\n    Flush 5\n    Daemon off\n    Log_Level info\n\n"
                           "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n"
                           "    multiline.parser docker, cri\n"
                           "    Tag kube.*\n    Skip_Long_Lines On\n\n"
                           "[OUTPUT]\n    Name es\n    Match kube.*\n    Host logs-es.logging.svc\n    Port 9200\n"
                           "    Retry_Limit False\n"})
    changed(cm, ("flux-kustomize-controller", "Apply", cfg_at, {"f:data": {"f:fluent-bit.conf": {}}}))
    pods = inc.cluster.daemonset("logging", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
                                 inc.born + timedelta(days=1))
    hot = next(p for p in pods if p.node == host)
    hot.memory = lambda t: 180.0 if t < cfg_at else min(5200.0, 180.0 + (t - cfg_at).total_seconds() * 1.9)
    hot.logs["fluent-bit"] = L.lines(L.ticker(cfg_at + timedelta(minutes=5), inc.captured, 20, lambda i, t:
                                             f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [ warn] [engine] failed to flush "
                                             f"chunk '1-{1764386000 + i}.{i * 7 % 1000}.flb', retry in {6 + i % 9} "
                                             "seconds: task_id=%d, input=tail.0 > output=es.0 (out_id=0)" % (i % 64)))
    inc.deployment("clickstream", "clickstream-collector",
                   [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                        [c("clickstream-collector", f"{REGISTRY}/clickstream/collector:6.2.0")])],
                   {1: [P(node=host), P(node=host)]})
    wl = inc.deployment("media", "avatar-resizer", [Rev(1, inc.born + timedelta(days=10), "helm upgrade",
                                                     [c("avatar-resizer", f"{REGISTRY}/media/avatar-resizer:1.3.2")])],
                        {1: [P(node=host), P(node=node(inc, 0))]})
    evict_at = AT6 - timedelta(minutes=2)
    victim = wl.pods[0]

    def evicted(pod: dict[str, Any]) -> None:
        pod["status"].update({"phase": "Failed", "reason": "Evicted",
                              "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: "
                                         "87424Ki. Container avatar-resizer was using 612Mi, request is 128Mi, has "
                                         "larger consumption of memory. "})
        for cs in pod["status"]["containerStatuses"]:
            cs.update({"ready": False, "state": {"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown",
                                                                "startedAt": ts(victim.created),
                                                                "finishedAt": ts(evict_at)}}})
    inc.cluster.patch("media", victim.name, evicted)
    inc.event(inc.cluster.pod_object(victim), "Evicted", "The node was low on resource: memory. Threshold quantity: "
              "100Mi, available: 87424Ki. Container avatar-resizer was using 612Mi, request is 128Mi, has larger "
              "consumption of memory. ", evict_at, host=host)
    inc.replacement(victim, evict_at + timedelta(seconds=2), host)
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] == host:
            for cond in n["status"]["conditions"]:
                if cond["type"] == "MemoryPressure":
                    cond.update({"status": "True", "reason": "KubeletHasInsufficientMemory",
                                 "message": "kubelet has insufficient memory available",
                                 "lastTransitionTime": ts(evict_at - timedelta(minutes=1))})
            n["spec"]["taints"] = [{"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule",
                                    "timeAdded": ts(evict_at - timedelta(minutes=1))}]
            inc.event(n, "EvictionThresholdMet", "Attempting to reclaim memory", evict_at - timedelta(minutes=1),
                      inc.captured - timedelta(minutes=3), count=4, host=host)
            inc.event(n, "NodeHasInsufficientMemory", f"Node {host} status is now: NodeHasInsufficientMemory",
                      evict_at - timedelta(minutes=1), warning=False, host=host)
    inc.series("node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.",
               {"instance": host, "job": "node-exporter", "namespace": "monitoring"},
               lambda t: max(9.0e7, 9.1e9 - max(0.0, (t - cfg_at).total_seconds()) * 1.9 * 1048576))
    inc.pod_series([hot])
    herring(inc, "media", "image-cdn-sync", f"{REGISTRY}/media/image-cdn-sync", "2.0", AT6 - timedelta(minutes=30))
    inc.ask(f"Pods keep getting evicted on {host} since about 03:15. Why?")
    inc.answer_key(culprit=("ConfigMap", "logging", "fluent-bit-config"),
                   keywords=["fluent-bit", "Mem_Buf_Limit", "memory"],
                   root_cause="The fluent-bit-config ConfigMap lost Mem_Buf_Limit on its tail input; with the "
                              "Elasticsearch output failing to flush, fluent-bit on the node with the busy "
                              "clickstream pods buffers logs in memory, the node hits MemoryPressure and the "
                              "kubelet evicts other pods.",
                   category="log-shipper-unbounded-buffer-memory-pressure",
                   red_herrings=[("Deployment", "media", "image-cdn-sync")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 30, 11, 15, tzinfo=UTC)


def export_worker_crashloop() -> Incident:
    """overlay-patch-swapped-container-limits: kustomize patches by list index swap the worker's and sidecar's limits.

    after: deploy mistakes where a JSON patch addressed containers by list index and the list had changed
    (a sidecar added by a base bump): the sidecar got the worker's 4Gi and the worker the sidecar's 256Mi.

    The culprit is Deployment etl/export-worker: in revision 6 (11:02) the overlay's index-based patches swap
    the resources, so the worker's memory limit is 256Mi (was 4Gi) and the cloud-sql-proxy sidecar's 4Gi.
    The worker is OOMKilled while loading its snapshot. Evidence: the new revision's template, the pods' last
    state, the memory metrics.
    """
    inc = Incident("export-worker-crashloop", title="export-worker crash looping", story="", at=AT7, seed=1307,
                   namespaces=("etl", "partners"))
    plant(inc, "etl", "warehouse-creds", "aws-secret", "warehouse", "AWS_SECRET_ACCESS_KEY")
    image = f"{REGISTRY}/etl/export-worker"
    proxy = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.13.0"

    def worker_log(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start + timedelta(seconds=2), f"{(start + timedelta(seconds=2)).strftime('%Y-%m-%d %H:%M:%S,%f')[:-3]}"
                 " INFO export.main: loading partner snapshot partition=2026-11-29 rows=4182733"),
                (start + timedelta(seconds=9), f"{(start + timedelta(seconds=9)).strftime('%Y-%m-%d %H:%M:%S,%f')[:-3]}"
                 " INFO export.frame: building dataframe (columns=64)")]
    revs = [Rev(5, inc.born + timedelta(days=15), "kustomize build overlays/prod | kubectl apply -f -",
                [c("export-worker", f"{image}:0.21.0", memory_request="2Gi", memory_limit="4Gi"),
                 c("cloud-sql-proxy", proxy, memory_request="64Mi", memory_limit="256Mi", port=None)]),
            Rev(6, AT7 - timedelta(minutes=13), "kustomize build overlays/prod | kubectl apply -f -",
                [c("export-worker", f"{image}:0.22.0", memory_request="256Mi", memory_limit="256Mi"),
                 c("cloud-sql-proxy", proxy, memory_request="2Gi", memory_limit="4Gi", port=None)])]
    wl = inc.deployment("etl", "export-worker", revs, {6: [P("crashloop", log=within(worker_log), reason="OOMKilled",
                                                             exit_code=137, run_s=lambda n: 34.0, memory_mi=240)
                                                           for _ in range(2)]}, replicas=2)
    inc.pod_series(wl.pods)
    herring(inc, "partners", "partner-sftp", f"{REGISTRY}/partners/partner-sftp", "1.1", AT7 - timedelta(minutes=20))
    inc.alertmanager("KubePodCrashLooping", {"namespace": "etl", "pod": wl.pods[0].name, "container": "export-worker",
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod etl/{wl.pods[0].name} (export-worker) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "etl", "export-worker"), keywords=["256Mi", "sidecar", "OOMKilled"],
                   root_cause="Revision 6 of the export-worker Deployment (kustomize overlay patches by container "
                              "index, applied after the base changed) gives the worker a 256Mi memory limit "
                              "(was 4Gi) and the cloud-sql-proxy sidecar 4Gi; the worker is OOMKilled loading its "
                              "snapshot.",
                   category="overlay-patch-swapped-container-limits",
                   red_herrings=[("Deployment", "partners", "partner-sftp")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 12, 1, 13, 50, tzinfo=UTC)


def pricing_pods_pending_grouped() -> Incident:
    """daemonset-requests-raised-starve-node-capacity: a security agent's per-node CPU request raised to 1500m.

    after: capacity incidents where an agent DaemonSet's chart bump raised its requests on every node at once;
    with nodes packed, the next rollout or reschedule of ordinary services no longer fits anywhere.

    The culprit is DaemonSet security/runtime-guard: a new ControllerRevision at 13:21 raises its CPU request
    from 100m to 1500m on all six nodes. The pricing rollout at 13:40 leaves new price-engine and quote-api
    pods Pending ("Insufficient cpu"). Evidence: FailedScheduling events, the DaemonSet's revisions, and the
    kube-state-metrics requests.
    """
    inc = Incident("pricing-pods-pending-grouped", title="pricing pods not ready", story="", at=AT8, seed=1308,
                   namespaces=("pricing", "security", "docs"))
    plant(inc, "security", "runtime-guard-token", "token", "runtime-guard", "API_TOKEN")
    ds_at = AT8 - timedelta(minutes=29)
    roll_at = AT8 - timedelta(minutes=10)
    pods = inc.cluster.daemonset("security", "runtime-guard", f"{REGISTRY}/security/runtime-guard:5.2.0",
                                 inc.born + timedelta(days=5), memory_mi=300)
    ds = inc.find("DaemonSet", "security", "runtime-guard")
    spec = ds["spec"]["template"]["spec"]["containers"][0]
    spec["resources"] = {"requests": {"cpu": "1500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
    ds["metadata"]["generation"] = 9
    old = {"spec": {"containers": [{**spec, "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                                                          "limits": {"memory": "1Gi"}}}]}}
    new = {"spec": {"containers": [dict(spec)]}}
    for number, at, template in ((8, inc.born + timedelta(days=20), old), (9, ds_at, new)):
        rev_name = f"runtime-guard-{o.suffix(f'security/runtime-guard/{number}', 10)}"
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": number,
                 "metadata": {"name": rev_name, "namespace": "security", "creationTimestamp": ts(at),
                              "labels": {"app": "runtime-guard"},
                              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                                   "name": "runtime-guard", "uid": ds["metadata"]["uid"],
                                                   "controller": True, "blockOwnerDeletion": True}]},
                 "data": {"spec": {"template": template}}})
    for h in pods:
        inc.cluster.patch("security", h.name, lambda pod: pod["spec"]["containers"][0].update(
            {"resources": {"requests": {"cpu": "1500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}}))
    pending = "0/6 nodes are available: 6 Insufficient cpu. preemption: 0/6 nodes are available: 6 No preemption " \
              "victims found for incoming pod."
    victims = []
    for name, n in (("price-engine", 3), ("quote-api", 2)):
        image = f"{REGISTRY}/pricing/{name}"
        wl = inc.deployment("pricing", name, [
            Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c(name, f"{image}:1.{n}.0", cpu_request="1")]),
            Rev(2, roll_at, "helm upgrade", [c(name, f"{image}:1.{n}.1", cpu_request="1")])],
            {1: [P() for _ in range(n - 1)],
             2: [P("pending", message=pending, created=roll_at + timedelta(seconds=5))]},
            replicas=n, progress="progressing")
        victims.append(wl)
    for node_obj in inc.cluster.nodes:
        inc.series("kube_pod_container_resource_requests", "gauge",
                   "The number of requested request resource by a container.",
                   {"namespace": "security", "container": "runtime-guard", "node": node_obj["metadata"]["name"],
                    "resource": "cpu", "unit": "core", "job": "kube-state-metrics"}, step(0.1, 1.5, ds_at))
    herring(inc, "docs", "docs-site", f"{REGISTRY}/docs/docs-site", "7.4", AT8 - timedelta(minutes=16))
    payload = [alert(inc, "KubeDeploymentRolloutStuck", {"namespace": "pricing", "deployment": w.name,
                                                         "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     f"Rollout of deployment pricing/{w.name} is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false"} != 0')
               for w in victims]
    payload.append(alert(inc, "KubePodNotReady", {"namespace": "pricing", "pod": victims[0].pods[-1].name,
                                                  "job": "kube-state-metrics"},
                         "Pod has been in a non-ready state for more than 15 minutes.",
                         f"Pod pricing/{victims[0].pods[-1].name} has been in a non-ready state for longer than 15 "
                         "minutes.", 'kube_pod_status_phase{phase=~"Pending|Unknown"} > 0'))
    inc.alerts["alertmanager.json"] = am.alertmanager(payload, group=["namespace"])
    inc.answer_key(culprit=("DaemonSet", "security", "runtime-guard"), keywords=["runtime-guard", "cpu", "request"],
                   root_cause="A new revision of the runtime-guard DaemonSet raised its CPU request from 100m to "
                              "1500m on every node; the nodes no longer have room, so the new price-engine and "
                              "quote-api pods stay Pending with Insufficient cpu.",
                   category="daemonset-requests-raised-starve-node-capacity",
                   red_herrings=[("Deployment", "docs", "docs-site")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 2, 11, 5, tzinfo=UTC)


def creator_uploads_failing_page() -> Incident:
    """ingress-backend-protocol-https-to-plain-http: an Ingress annotation makes nginx speak TLS to an HTTP pod.

    after: 502 outages after a "TLS everywhere" change added `nginx.ingress.kubernetes.io/backend-protocol:
    HTTPS` to an Ingress whose backend still listens in plain HTTP: every proxied request fails the handshake.

    The culprit is Ingress studio/asset-upload (annotation added by helm at 10:41). The ingress-nginx controller
    (another namespace) logs "SSL_do_handshake() failed ... wrong version number while SSL handshaking to
    upstream" and 502s; the studio-api pods see no requests at all. Metrics: 502s by ingress.
    """
    inc = Incident("creator-uploads-failing-page", title="creator uploads failing", story="", at=AT9, seed=1309,
                   namespaces=("studio", "ingress-public", "billing-portal"))
    plant(inc, "studio", "studio-s3", "aws", "studio-s3", "AWS_ACCESS_KEY_ID")
    chart_at = AT9 - timedelta(minutes=24)
    inc.add(changed({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": {"name": "asset-upload", "namespace": "studio", "generation": 7,
                                  "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "512m",
                                                  "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
                                                  "meta.helm.sh/release-name": "studio"}},
                     "spec": {"ingressClassName": "nginx-public",
                              "tls": [{"hosts": ["studio.acme-creators.com"], "secretName": "studio-tls"}],
                              "rules": [{"host": "studio.acme-creators.com", "http": {"paths": [
                                  {"path": "/v2/assets", "pathType": "Prefix", "backend": {"service": {
                                      "name": "studio-api", "port": {"number": 80}}}}]}}]},
                     "status": {"loadBalancer": {"ingress": [
                         {"hostname": "a1b2c3-public.elb.eu-west-1.amazonaws.com"}]}}},
                    ("helm", "Update", chart_at, {"f:metadata": {"f:annotations": {
                        "f:nginx.ingress.kubernetes.io/backend-protocol": {}}}})))
    app(inc, "studio", "studio-api", f"{REGISTRY}/studio/studio-api:9.0.2", 2)
    inc.service("studio", "studio-api", {"app": "studio-api"})

    def nginx_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            ip = f"10.0.{i % 3}.{20 + i % 40}"
            up = f"10.0.{1 + i % 2}.{130 + i % 2}:8080"
            if i % 2:
                return (f"{t.strftime('%Y/%m/%d %H:%M:%S')} [error] 31#31: *{88200 + i} SSL_do_handshake() failed "
                        "(SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream, "
                        f'client: {ip}, server: studio.acme-creators.com, request: "POST /v2/assets HTTP/2.0", '
                        f'upstream: "https://{up}/v2/assets", host: "studio.acme-creators.com"')
            return (f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "POST /v2/assets HTTP/2.0" 502 150 "-" '
                    f'"CreatorStudio/5.2 (iOS 18.1)" 412 0.002 [studio-studio-api-80] [] {up} 0 0.002 502 '
                    f"{o.suffix(str(i), 32)}")
        return L.ticker(max(start, chart_at + timedelta(minutes=1)), end, 5, line)
    app(inc, "ingress-public", "ingress-nginx-controller",
        "registry.k8s.io/ingress-nginx/controller:v1.11.3", 2, log=within(nginx_log), port=80)
    for status, before, after in (("502", 0.0, 0.4), ("201", 0.45, 0.0)):
        inc.series("nginx_ingress_controller_requests", "unknown", "The total number of client requests",
                   {"ingress": "asset-upload", "namespace": "studio", "service": "studio-api", "status": status,
                    "method": "POST", "controller_class": "k8s.io/ingress-nginx-public", "job": "ingress-nginx"},
                   counter(AT9 - timedelta(hours=2), before, after, chart_at))
    herring(inc, "billing-portal", "invoice-pdf", f"{REGISTRY}/billing-portal/invoice-pdf", "4.6",
            AT9 - timedelta(minutes=33))
    inc.pagerduty("Synthetic check 'Creator Studio upload 20MB video' failing from 3 locations", "Creator Studio")
    inc.answer_key(culprit=("Ingress", "studio", "asset-upload"), keywords=["backend-protocol", "HTTPS", "502"],
                   root_cause="The helm change to Ingress studio/asset-upload added nginx.ingress.kubernetes.io/"
                              "backend-protocol: HTTPS, but studio-api listens in plain HTTP on 8080; ingress-nginx's "
                              "TLS handshake to the upstream fails (wrong version number) and every upload gets 502.",
                   category="ingress-backend-protocol-https-to-plain-http",
                   red_herrings=[("Deployment", "billing-portal", "invoice-pdf")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 2, 15, 25, tzinfo=UTC)


def search_latency_high() -> Incident:
    """cronjob-schedule-typo-reindex-storm: a nightly reindex CronJob's schedule edited to every five minutes.

    after: postmortems where a cron expression typo (`*/5 * * * *` for `5 3 * * *`) turned a nightly heavy
    batch into a constant one, saturating the shared search cluster the user-facing API reads from.

    The culprit is CronJob catalog-jobs/catalog-reindex: schedule changed by kubectl apply at 13:58. Its Jobs
    run back to back since then; Elasticsearch's write thread pool and merges are saturated and the search
    thread pool queues; search-gateway (another namespace) times out. Evidence: the CronJob's change and Jobs,
    the Elasticsearch metrics, the gateway's logs.
    """
    inc = Incident("search-latency-high", title="search latency high", story="", at=AT10, seed=1310,
                   namespaces=("catalog-jobs", "search-gw", "es", "wishlist"))
    plant(inc, "catalog-jobs", "es-writer", "password", "es-writer", "ES_PASSWORD")
    edit_at = AT10 - timedelta(hours=1, minutes=27)
    cron = inc.add(changed({"apiVersion": "batch/v1", "kind": "CronJob",
                            "metadata": {"name": "catalog-reindex", "namespace": "catalog-jobs", "generation": 4},
                            "spec": {"schedule": "*/5 * * * *", "concurrencyPolicy": "Allow", "suspend": False,
                                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                                     "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                                         "restartPolicy": "Never", "containers": [{
                                             "name": "reindex", "image": f"{REGISTRY}/catalog/reindex:3.3.0",
                                             "args": ["--full", "--index=products-v7", "--bulk-size=5000"]}]}}}}},
                            "status": {"lastScheduleTime": ts(AT10 + timedelta(minutes=5)),
                                       "lastSuccessfulTime": ts(AT10 - timedelta(minutes=2))}},
                           ("kubectl-client-side-apply", "Update", edit_at, {"f:spec": {"f:schedule": {}}})))
    cron["status"]["active"] = []
    for k in range(4):
        start = AT10 - timedelta(minutes=15 - 5 * k)
        name = f"catalog-reindex-{int(start.timestamp()) // 60}"
        job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": name, "namespace": "catalog-jobs", "creationTimestamp": ts(start),
                                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                                         "name": "catalog-reindex", "uid": cron["metadata"]["uid"],
                                                         "controller": True, "blockOwnerDeletion": True}]},
                       "spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1},
                       "status": {"startTime": ts(start), "active": 1} if k >= 2 else
                       {"startTime": ts(start), "completionTime": ts(start + timedelta(minutes=9)), "succeeded": 1}})
        if k >= 2:
            cron["status"]["active"].append({"kind": "Job", "namespace": "catalog-jobs", "name": name,
                                             "apiVersion": "batch/v1", "uid": job["metadata"]["uid"]})
        inc.event(cron, "SuccessfulCreate", f"Created job {name}", start, warning=False, component="cronjob-controller")
    inc.statefulset("es", "search-es", [c("elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
                                          port=9200, readiness_path=None, liveness_path=None, memory_limit="16Gi")],
                    [P(), P(), P()], inc.born + timedelta(days=2), service=9200)
    for i in range(3):
        base = {"cluster": "search-es", "name": f"search-es-{i}", "job": "elasticsearch-exporter", "namespace": "es"}
        inc.series("elasticsearch_thread_pool_queue_count", "gauge", "Thread Pool operations queued",
                   {**base, "type": "search"}, step(0.0, 380.0 + 40 * i, edit_at + timedelta(minutes=3)))
        inc.series("elasticsearch_thread_pool_rejected_count", "unknown", "Thread Pool operations rejected",
                   {**base, "type": "write"}, counter(AT10 - timedelta(hours=2), 0.0, 6.5, edit_at))
        inc.series("elasticsearch_indices_indexing_index", "counter", "Total index calls",
                   {**base}, counter(AT10 - timedelta(hours=2), 12.0, 2300.0, edit_at))

    def gw_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, edit_at + timedelta(minutes=5)), end, 7, lambda i, t: L.js(
            t, "warn", "upstream search slow", route="/v1/search", es_took_ms=2900 + (i * 137) % 2200,
            status=504 if i % 3 == 0 else 200, q_hash=o.suffix(str(i), 8)))
    app(inc, "search-gw", "search-gateway", f"{REGISTRY}/search/search-gateway:2.40.1", 3, log=within(gw_log))
    inc.configmap("wishlist", "wishlist-flags", {"share-links": "true", "price-drop-alerts": "beta"},
                  at=AT10 - timedelta(minutes=40))
    inc.alertmanager("SearchGatewayLatencyHigh", {"namespace": "search-gw", "service": "search-gateway",
                                                  "job": "search-gateway"},
                     "search-gateway p99 latency above 2s",
                     "search-gateway p99 latency is 4.8s over the last 10 minutes (threshold 2s).",
                     'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace='
                     '"search-gw"}[5m]))) > 2', severity="critical",
                     runbook="https://wiki.example.com/runbooks/search-gateway-latency")
    inc.answer_key(culprit=("CronJob", "catalog-jobs", "catalog-reindex"), keywords=["schedule", "reindex"],
                   root_cause="The catalog-reindex CronJob's schedule was changed to */5 * * * * (every five minutes "
                              "instead of nightly); full reindex Jobs now run back to back and saturate "
                              "Elasticsearch's write and search thread pools, so search-gateway queries time out.",
                   category="cronjob-schedule-typo-reindex-storm",
                   red_herrings=[("ConfigMap", "wishlist", "wishlist-flags")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 3, 0, 20, tzinfo=UTC)


def checkout_payments_burn() -> Incident:
    """external-secret-resynced-expired-certificate: a secrets sync restored last year's serving certificate.

    after: expired-certificate outages where the certificate had been renewed in the secret store, but a sync
    (a restored KV version, a wrong path) wrote the old one back into the cluster and a reloader restarted the
    server with it.

    The culprit is Secret tokenvault/token-vault-tls, rewritten by external-secrets at 23:41 with a certificate
    that expired on 2026-11-30; the token-vault pods were restarted by the reloader at 23:43. The page is an SLO
    burn on payments-checkout (another namespace), whose logs say "x509: certificate has expired"; the blackbox
    exporter's probe_ssl_earliest_cert_expiry drops into the past.
    """
    inc = Incident("checkout-payments-burn", title="checkout payment errors", story="", at=AT11, seed=1311,
                   namespaces=("tokenvault", "checkout-svc", "loyalty"))
    sync_at = AT11 - timedelta(minutes=39)
    plant(inc, "tokenvault", "token-vault-hsm", "token", "token-vault-hsm", "HSM_PIN")
    key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    inc.secret("tokenvault", "token-vault-tls", {"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIDqTCCApGgAwIBAgIUQx"
                                                          "tokenvault2025\n-----END CERTIFICATE-----\n",
                                               "tls.key": f"-----BEGIN PRIVATE KEY-----\n{key}\n"
                                                          "-----END PRIVATE KEY-----\n"})
    sec = inc.find("Secret", "tokenvault", "token-vault-tls")
    sec["type"] = "kubernetes.io/tls"
    sec["metadata"]["labels"] = {"reconcile.external-secrets.io/managed": "true"}
    sec["metadata"]["annotations"] = {"reconcile.external-secrets.io/data-hash": o.suffix("old-cert", 32),
                                      "cert.acme.io/not-after": "2026-11-30T23:59:59Z"}
    changed(sec, ("external-secrets", "Update", sync_at, {"f:data": {"f:tls.crt": {}, "f:tls.key": {}},
                                                          "f:metadata": {"f:annotations": {}}}))
    image = f"{REGISTRY}/tokenvault/token-vault"
    inc.deployment("tokenvault", "token-vault", [
        Rev(1, inc.born + timedelta(days=16), "helm upgrade", [c("token-vault", f"{image}:2.2.4", port=8443)]),
        Rev(2, sync_at + timedelta(minutes=2), "stakater/reloader: token-vault-tls changed",
            [c("token-vault", f"{image}:2.2.4", port=8443)])], {2: [P(), P()]})

    def checkout_log(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, sync_at + timedelta(minutes=2, seconds=30)), end, 5, lambda i, t:
                        f'time="{t.strftime("%Y-%m-%dT%H:%M:%SZ")}" level=error msg="tokenize card failed" '
                        f'order_id=ord_{o.suffix(str(i), 10)} error="Post \\"https://token-vault.tokenvault.svc:8443/'
                        'v1/tokenize\\": tls: failed to verify certificate: x509: certificate has expired or is not '
                        f'yet valid: current time {t.strftime("%Y-%m-%dT%H:%M:%SZ")} is after 2026-11-30T23:59:59Z"')
    app(inc, "checkout-svc", "payments-checkout", f"{REGISTRY}/checkout/payments-checkout:6.1.0", 3,
        log=within(checkout_log))
    inc.series("probe_ssl_earliest_cert_expiry", "gauge", "Returns last SSL chain expiry in unixtime",
               {"instance": "https://token-vault.tokenvault.svc:8443/healthz", "job": "blackbox",
                "module": "https_2xx"},
               step(datetime(2027, 11, 29, tzinfo=UTC).timestamp(), datetime(2026, 11, 30, 23, 59, 59,
                                                                               tzinfo=UTC).timestamp(),
                    sync_at + timedelta(minutes=2)))
    herring(inc, "loyalty", "points-ledger", f"{REGISTRY}/loyalty/points-ledger", "3.9", AT11 - timedelta(minutes=26))
    inc.slo_burn("payments-checkout", "checkout-svc", "checkout-payment-success", "0.999", 612.0,
                 "payments-checkout is failing almost every card payment; 1h burn rate 612x.")
    inc.answer_key(culprit=("Secret", "tokenvault", "token-vault-tls"), keywords=["expired", "certificate"],
                   root_cause="external-secrets rewrote Secret tokenvault/token-vault-tls with an old certificate that "
                              "expired on 2026-11-30; the reloader restarted token-vault with it and payments-checkout "
                              "rejects the TLS handshake (x509: certificate has expired), so card payments fail.",
                   category="external-secret-resynced-expired-certificate",
                   red_herrings=[("Deployment", "loyalty", "points-ledger")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 3, 8, 35, tzinfo=UTC)


def shipments_delayed_page() -> Incident:
    """consumer-max-poll-records-rebalance-loop: a batch size raised tenfold outlasts max.poll.interval.ms.

    after: Kafka consumer incidents where raising max.poll.records made one batch take longer than
    max.poll.interval.ms: the member is kicked from the group, the group rebalances, the batch is redone.

    The culprit is ConfigMap fulfilment/shipment-consumer-config: max.poll.records 500 -> 5000 applied by
    Argo CD at 06:02, pods restarted with it. Each batch now takes ~6 minutes (> 300000 ms), so consumers leave
    and rejoin in a loop and the group's lag grows. Evidence: the ConfigMap's change, the consumers' Spring
    Kafka warnings, and the consumer-group lag and rebalance metrics in the kafka namespace.
    """
    inc = Incident("shipments-delayed-page", title="shipments delayed", story="", at=AT12, seed=1312,
                   namespaces=("fulfilment", "kafka", "returns"))
    plant(inc, "fulfilment", "kafka-client", "password", "kafka-client", "KAFKA_SASL_PASSWORD")
    edit_at = AT12 - timedelta(hours=2, minutes=33)
    cm = inc.configmap("fulfilment", "shipment-consumer-config", {
        "application.yaml": "spring:\n  kafka:\n    consumer:\n      group-id: shipment-events-v2\n"
                            "      max-poll-records: 5000\n      properties:\n        max.poll.interval.ms: 300000\n"
                            "        session.timeout.ms: 45000\n"})
    changed(cm, ("argocd-controller", "Apply", edit_at, {"f:data": {"f:application.yaml": {}}}))

    def consumer_log(pod: str, start: datetime, end: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]
            if i % 3 == 0:
                return (f"{stamp}  WARN 1 --- [ntainer#0-0-C-1] o.a.k.c.c.internals.ConsumerCoordinator  : "
                        "[Consumer clientId=consumer-shipment-events-v2-1, groupId=shipment-events-v2] consumer "
                        "poll timeout has expired. This means the time between subsequent calls to poll() was longer "
                        "than the configured max.poll.interval.ms, which typically implies that the poll loop is "
                        "spending too much time processing messages. You can address this either by increasing "
                        "max.poll.interval.ms or by reducing the maximum size of batches returned in poll() with "
                        "max.poll.records.")
            if i % 3 == 1:
                return (f"{stamp}  INFO 1 --- [ntainer#0-0-C-1] o.s.k.l.KafkaMessageListenerContainer    : "
                        "shipment-events-v2: partitions revoked: [shipment-events-0, shipment-events-1, "
                        "shipment-events-2, shipment-events-3]")
            return (f"{stamp}  INFO 1 --- [ntainer#0-0-C-1] o.s.k.l.KafkaMessageListenerContainer    : "
                    "shipment-events-v2: partitions assigned: [shipment-events-0, shipment-events-1, "
                    "shipment-events-2, shipment-events-3]")
        return L.ticker(max(start, edit_at + timedelta(minutes=6)), end, 120, line)
    image = f"{REGISTRY}/fulfilment/shipment-consumer:8.0.3"
    inc.deployment("fulfilment", "shipment-consumer", [
        Rev(1, inc.born + timedelta(days=18), "helm upgrade", [c("shipment-consumer", image)]),
        Rev(2, edit_at + timedelta(minutes=1), "argocd: config checksum changed", [c("shipment-consumer", image)])],
        {2: [P(log=within(consumer_log)) for _ in range(3)]})
    start = AT12 - timedelta(hours=2)
    group = {"consumergroup": "shipment-events-v2", "job": "kafka-exporter", "namespace": "kafka"}
    inc.series("kafka_consumergroup_lag_sum", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic for all "
               "partitions", {**group, "topic": "shipment-events"},
               lambda t: 1200.0 + max(0.0, (t - start).total_seconds()) * 142.0)
    inc.series("kafka_consumergroup_members", "gauge", "Amount of members in a consumer group", {**group},
               lambda t: [3.0, 2.0, 0.0, 1.0][int(t.timestamp() // 120) % 4])
    inc.series("kafka_consumer_coordinator_rebalance", "counter", "The total number of rebalance events",
               {"client_id": "consumer-shipment-events-v2-1", "namespace": "fulfilment", "job": "shipment-consumer"},
               counter(start, 0.0, 0.012, edit_at))
    inc.configmap("returns", "returns-carriers", {"carriers": "dhl,ups,royalmail"}, at=AT12 - timedelta(minutes=50))
    inc.pagerduty("Shipment label SLA breached: 3,412 orders waiting > 30 min for a label", "Fulfilment")
    inc.answer_key(culprit=("ConfigMap", "fulfilment", "shipment-consumer-config"),
                   keywords=["max.poll.records", "max.poll.interval.ms", "rebalance"],
                   root_cause="max.poll.records in ConfigMap fulfilment/shipment-consumer-config was raised from 500 "
                              "to 5000; one batch now takes longer than max.poll.interval.ms (300000), so each "
                              "consumer is dropped from the group, every rebalance restarts the batch and the lag "
                              "grows.",
                   category="consumer-max-poll-records-rebalance-loop",
                   red_herrings=[("ConfigMap", "returns", "returns-carriers")])
    return inc


ALL = [billing_rollout_replicas_missing, orders_rollout_stuck_page, notify_errors_burn, invoice_worker_failing_page,
       session_api_question, node_pods_evicted_question, export_worker_crashloop, pricing_pods_pending_grouped,
       creator_uploads_failing_page, search_latency_high, checkout_payments_burn, shipments_delayed_page]
