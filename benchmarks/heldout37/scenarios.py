"""Round 37 of the held-out incident set: identity, secrets and policy.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit where workloads prove who they are and where policy decides what they may do:
Azure and AWS workload identity, internal trust bundles and CA bundles in clients, Pod Security
admission, Gatekeeper mutation, AppArmor profile loading, Vault Secrets Operator dynamic credentials,
LDAP federation behind Keycloak, SaaS API rate limits shared by two jobs, controller RBAC for leader
election and OPA external authorization. Most pages are on the applications they hurt; about a third
are simple (the cause sits in the failing object's own spec, events or logs). Log lines follow the real
software's formats (.NET Azure.Identity, AWS SDK for Java v2, Java PKIX, Python requests/urllib3, Rust
tracing, Keycloak/Quarkus, PostgreSQL, node-postgres, pino, controller-runtime JSON, OPA decision logs,
Envoy access log, runc errors in kubelet events).
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

from benchmarks.heldout.scene import changed, crd, every, send, start  # noqa: E402

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


def env(**kv: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in kv.items()]


def spring_trace(t: datetime, logger: str, msg: str, trace: list[str], thread: str = "scheduling-1") -> str:
    """A Spring Boot ERROR line followed by its exception chain (one log entry per line)."""
    return "\n".join([L.spring(t, "ERROR", logger, msg, thread), *trace])


# ---- 1: simple -------------------------------------------------------------------------------------
AT1 = datetime(2026, 12, 2, 8, 14, tzinfo=UTC)


def media_ingest_uploads_failing() -> Incident:
    """Azure workload identity label moved off the pod template: no federated token is injected.

    after: teams adopting Azure AD Workload Identity report that moving the `azure.workload.identity/use`
    label from the pod template to the Deployment's own metadata (a chart refactor) silently stops the
    mutating webhook from injecting AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE; DefaultAzureCredential
    then falls through every credential and uploads to Blob Storage fail.

    media-ingest revision 8 (helm upgrade 40 minutes before the page) carries the label on the Deployment
    only; its pods have no projected azure-identity-token volume and log Azure.Identity's
    CredentialUnavailableException for WorkloadIdentityCredential. Red herring: thumbs-api's rollout.
    """
    inc = start(media_ingest_uploads_failing, "media-ingest upload failures", AT1, 3701, ("media",))
    chg = AT1 - timedelta(minutes=40)
    image = f"{REGISTRY}/media/media-ingest"
    sa = {"serviceAccountName": "media-ingest"}
    old = Rev(7, inc.born + timedelta(days=16), "helm upgrade media-ingest 4.2.0",
              [c("media-ingest", f"{image}:4.2.0", env=env(BLOB_ACCOUNT="acmemediaprod"))], sa)
    new = Rev(8, chg, "helm upgrade media-ingest 4.3.0",
              [c("media-ingest", f"{image}:4.3.0", env=env(BLOB_ACCOUNT="acmemediaprod"))], sa)

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            return (f"{t.strftime('%Y-%m-%dT%H:%M:%S')}Z fail: MediaIngest.Upload.BlobUploader[17]\n"
                    f"      Upload of asset {8800 + i} to container 'originals' failed\n"
                    "      Azure.Identity.CredentialUnavailableException: DefaultAzureCredential failed to retrieve "
                    "a token from the included credentials. See the troubleshooting guide for more information. "
                    "https://aka.ms/azsdk/net/identity/defaultazurecredential/troubleshoot\n"
                    "      - EnvironmentCredential authentication unavailable. Environment variables are not fully "
                    "configured.\n"
                    "      - WorkloadIdentityCredential authentication unavailable. The workload options are not "
                    "fully configured. See the troubleshooting guide for more information. "
                    "https://aka.ms/azsdk/net/identity/workloadidentitycredential/troubleshoot\n"
                    "      - ManagedIdentityCredential authentication unavailable. No response received from the "
                    "managed identity endpoint.\n"
                    "         at Azure.Identity.DefaultAzureCredential.GetTokenImplAsync(Boolean async, "
                    "TokenRequestContext requestContext, CancellationToken cancellationToken)\n"
                    "         at MediaIngest.Upload.BlobUploader.UploadAsync(Asset asset) in "
                    "/src/MediaIngest/Upload/BlobUploader.cs:line 64")
        return every(s, e, 41, line)
    wl = inc.deployment("media", "media-ingest", [old, new], {8: [P(log=within(log)) for _ in range(3)]})
    wl.obj["metadata"]["labels"]["azure.workload.identity/use"] = "true"
    old_rs = inc.find("ReplicaSet", "media", wl.rs[7])
    old_rs["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] = "true"
    old_rs["metadata"]["labels"]["azure.workload.identity/use"] = "true"
    wi = {"azure.workload.identity/client-id": "5f1c2a7e-93b4-4d0e-8a61-2c7d9e04b3aa",
          "azure.workload.identity/tenant-id": "b3e0d6c1-5a2f-4c88-9e17-73a0f4d2c915"}
    inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "media-ingest", "namespace": "media", "annotations": wi}})
    herring(inc, "media", "thumbs-api", f"{REGISTRY}/media/thumbs-api", "2.8.0", AT1 - timedelta(minutes=25))
    plant(inc, "media", "media-ingest-cdn", "token", "cdn-purge", "CDN_PURGE_TOKEN")
    begin = AT1 - timedelta(hours=2)
    for result, (b, a) in (("success", (4.0, 0.0)), ("failure", (0.0, 3.9))):
        inc.series("media_ingest_uploads_total", "counter", "Blob uploads by result.",
                   {"namespace": "media", "job": "media-ingest", "result": result}, counter(begin, b, a, chg))
    send(inc, [alert(inc, "MediaIngestUploadFailures", {"namespace": "media", "job": "media-ingest"},
                     "media-ingest: blob uploads failing",
                     "More than 50% of media-ingest uploads failed over the last 10 minutes.",
                     'sum(rate(media_ingest_uploads_total{result="failure"}[10m])) / '
                     'sum(rate(media_ingest_uploads_total[10m])) > 0.5')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "media", "media-ingest"),
                   keywords=["azure.workload.identity/use", "WorkloadIdentityCredential", "pod template"],
                   root_cause="media-ingest 4.3.0 moved the azure.workload.identity/use label from the pod template "
                              "to the Deployment: the webhook no longer injects the federated token and client id, "
                              "so WorkloadIdentityCredential is unavailable and Blob uploads fail.",
                   category="azure-workload-identity-label-off-pod-template",
                   red_herrings=[("Deployment", "media", "thumbs-api")])
    return inc


# ---- 2: IRSA role trust ----------------------------------------------------------------------------
AT2 = datetime(2026, 12, 2, 14, 3, tzinfo=UTC)


def statement_archive_stalled_page() -> Incident:
    """A ServiceAccount re-pointed at an IAM role whose trust policy names another subject: STS refuses.

    after: IRSA write-ups where someone "reuses" an existing role by changing the
    `eks.amazonaws.com/role-arn` annotation; the role's trust policy only allows
    `system:serviceaccount:<other-ns>:<other-sa>`, so AssumeRoleWithWebIdentity fails with 403 AccessDenied
    on every new pod while old pods keep cached credentials until they expire.

    The s3-writer ServiceAccount (archive) was annotated 50 minutes before the page to the data-lake
    loader's role; statement-archiver pods restarted by the credentials refresh log the AWS SDK for Java
    v2 StsException. Red herring: a new archive-ui release.
    """
    inc = start(statement_archive_stalled_page, "Statement archiving stalled", AT2, 3702, ("archive",))
    chg = AT2 - timedelta(minutes=50)
    sa = inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "s3-writer", "namespace": "archive", "annotations": {
                      "eks.amazonaws.com/role-arn": "arn:aws:iam::481516234200:role/datalake-loader-irsa",
                      "eks.amazonaws.com/sts-regional-endpoints": "true"}}})
    changed(sa, ("helm", "Apply", inc.born + timedelta(days=4), {"f:metadata": {"f:annotations": {}}}),
            ("kubectl-annotate", "Update", chg,
             {"f:metadata": {"f:annotations": {"f:eks.amazonaws.com/role-arn": {}}}}))

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg + timedelta(minutes=12):
                return L.spring(t, "INFO", "c.a.archive.StatementArchiveJob", f"archived batch {4100 + i} "
                                "(512 statements) to s3://acme-statement-archive/2026/12/")
            return spring_trace(t, "c.a.archive.StatementArchiveJob", f"batch {4100 + i} failed", [
                "software.amazon.awssdk.services.sts.model.StsException: Not authorized to perform "
                "sts:AssumeRoleWithWebIdentity (Service: Sts, Status Code: 403, Request ID: "
                f"{L.uuidish(pod, i)})",
                "\tat software.amazon.awssdk.core.internal.http.CombinedResponseHandler.handleErrorResponse"
                "(CombinedResponseHandler.java:125)",
                "\tat software.amazon.awssdk.services.sts.auth.StsWebIdentityTokenFileCredentialsProvider."
                "resolveCredentials(StsWebIdentityTokenFileCredentialsProvider.java:150)",
                "\tat com.acme.archive.S3Sink.put(S3Sink.java:88)"])
        return every(s, e, 60, line)
    image = f"{REGISTRY}/archive/statement-archiver"
    rev = Rev(3, inc.born + timedelta(days=20), "helm upgrade", [c("statement-archiver", f"{image}:1.9.2", env=env(
        ARCHIVE_BUCKET="acme-statement-archive", AWS_REGION="eu-west-1"))], {"serviceAccountName": "s3-writer"})
    wl = inc.deployment("archive", "statement-archiver", [rev],
                        {3: [P(log=within(log), created=chg + timedelta(minutes=9 + 3 * i)) for i in range(2)]})

    def injected(pod: dict[str, Any]) -> None:
        """What the EKS pod identity webhook adds at pod creation, from the ServiceAccount's annotation."""
        spec = pod["spec"]
        spec["containers"][0].setdefault("env", []).extend(env(
            AWS_STS_REGIONAL_ENDPOINTS="regional", AWS_DEFAULT_REGION="eu-west-1",
            AWS_ROLE_ARN="arn:aws:iam::481516234200:role/datalake-loader-irsa",
            AWS_WEB_IDENTITY_TOKEN_FILE="/var/run/secrets/eks.amazonaws.com/serviceaccount/token"))
        spec["containers"][0].setdefault("volumeMounts", []).append(
            {"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount",
             "readOnly": True})
        spec.setdefault("volumes", []).append(
            {"name": "aws-iam-token", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
                "audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]}})
    for h in wl.pods:
        inc.cluster.patch("archive", h.name, injected)
    herring(inc, "archive", "archive-ui", f"{REGISTRY}/archive/archive-ui", "5.1.0", AT2 - timedelta(minutes=30))
    plant(inc, "archive", "archive-kms", "aws-secret", "kms-legacy", "AWS_SECRET_ACCESS_KEY")
    inc.series("statement_archive_lag_seconds", "gauge", "Age of the oldest unarchived statement.",
               {"namespace": "archive", "job": "statement-archiver"},
               lambda t: 40.0 if t < chg + timedelta(minutes=12) else
               40.0 + (t - chg - timedelta(minutes=12)).total_seconds())
    inc.pagerduty("Statement archive lag above 30 minutes (statement-archiver)", "Statements Platform")
    inc.answer_key(culprit=("ServiceAccount", "archive", "s3-writer"),
                   keywords=["role-arn", "AssumeRoleWithWebIdentity", "trust policy"],
                   root_cause="The s3-writer ServiceAccount's eks.amazonaws.com/role-arn was changed to the "
                              "datalake-loader role, whose trust policy does not allow this ServiceAccount: "
                              "AssumeRoleWithWebIdentity answers 403 and statement-archiver cannot write to S3.",
                   category="irsa-role-annotation-untrusted-subject",
                   red_herrings=[("Deployment", "archive", "archive-ui")])
    return inc


# ---- 3: trust-manager Bundle (cluster-scoped CRD) ---------------------------------------------------
AT3 = datetime(2026, 12, 3, 10, 21, tzinfo=UTC)


def payment_callers_tls_grouped() -> Incident:
    """A trust-manager Bundle drops the old internal root before the serving certificates were re-issued.

    after: internal CA rotations written up by platform teams: the new root is added to the trust bundle,
    and someone removes the old root in the same week while services still present leaf certificates
    chained to it; every client that reads the distributed bundle fails PKIX path building.

    The cluster-scoped Bundle `acme-internal-roots` was edited 35 minutes before the page to list only
    the 2026 root; trust-manager re-synced the `acme-roots` ConfigMaps; the Java callers in checkout,
    refunds and payouts reload the truststore and fail against payments-api (cert still from the 2023
    root). Red herring: a payments-api config change (log level).
    """
    inc = start(payment_callers_tls_grouped, "Payment callers failing", AT3, 3703,
                ("payments", "checkout", "refunds", "payouts", "cert-manager"))
    chg = AT3 - timedelta(minutes=35)
    crd(inc, "Bundle", "trust.cert-manager.io", "bundles", scope="Cluster", version="v1alpha1")
    bundle = inc.add({"apiVersion": "trust.cert-manager.io/v1alpha1", "kind": "Bundle",
                      "metadata": {"name": "acme-internal-roots", "generation": 4},
                      "spec": {"sources": [{"useDefaultCAs": False},
                                           {"secret": {"name": "acme-root-2026", "key": "ca.crt"}}],
                               "target": {"configMap": {"key": "ca-bundle.pem"},
                                          "namespaceSelector": {"matchLabels": {"acme.io/trust": "internal"}}}},
                      "status": {"conditions": [{"type": "Synced", "status": "True", "reason": "Synced",
                                                 "message": "Successfully synced Bundle to all namespaces",
                                                 "lastTransitionTime": ts(chg + timedelta(seconds=3))}]}})
    changed(bundle, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:sources": {}}}),
            ("trust-manager", "Apply", chg + timedelta(seconds=3), {"f:status": {"f:conditions": {}}}))
    bundle["metadata"]["managedFields"][-1]["subresource"] = "status"
    for ns in ("checkout", "refunds", "payouts"):
        inc.configmap(ns, "acme-roots", {"ca-bundle.pem": "-----BEGIN CERTIFICATE-----\nMIIFbTCCA1WgAwIBAgIU"
                                         "Kx3Q...\n-----END CERTIFICATE-----\n"}, chg + timedelta(seconds=2))
        cm = inc.find("ConfigMap", ns, "acme-roots")
        cm["metadata"]["labels"] = {"trust.cert-manager.io/bundle": "acme-internal-roots"}
    def tm(pod: str, s: datetime, e: datetime) -> Lines:
        def line(t: datetime, msg: str, **kw: object) -> tuple[datetime, str]:
            return t, L.js(t, "info", msg, logger="trust", bundle="acme-internal-roots", **kw)
        out = [line(chg + timedelta(seconds=2), "successfully synced bundle", namespace=ns)
               for ns in ("checkout", "refunds", "payouts", "payments")]
        out += [line(chg + timedelta(seconds=2), "bundle has been updated", generation=4)]
        return out + [line(t, "successfully reconciled bundle") for t in L.every(s, e, 3600)]
    victim(inc, "cert-manager", "trust-manager", tm, replicas=1)
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
             "metadata": {"name": "payments-api-tls", "namespace": "payments"},
             "spec": {"secretName": "payments-api-tls", "dnsNames": ["payments-api.payments.svc"],
                      "issuerRef": {"kind": "ClusterIssuer", "name": "acme-intermediate-2023"},
                      "duration": "2160h", "renewBefore": "360h"},
             "status": {"notAfter": "2027-01-19T07:12:00Z", "renewalTime": "2027-01-04T07:12:00Z",
                        "conditions": [{"type": "Ready", "status": "True", "reason": "Ready"}]}})
    inc.configmap("payments", "payments-api-config", {"LOG_LEVEL": "debug", "POOL_SIZE": "40"},
                  AT3 - timedelta(minutes=20))
    herring_cm = inc.find("ConfigMap", "payments", "payments-api-config")
    changed(herring_cm, ("kubectl-edit", "Update", AT3 - timedelta(minutes=20), {"f:data": {"f:LOG_LEVEL": {}}}))
    victim(inc, "payments", "payments-api", lambda p, s, e: every(s, e, 30, lambda i, t: L.js(
        t, "info", "request completed", path="/v1/charges", status=200, duration_ms=22 + i % 9)), replicas=2)
    for ns, app in (("checkout", "checkout-api"), ("refunds", "refund-worker"), ("payouts", "payout-engine")):
        def make(pod: str, s: datetime, e: datetime, app: str = app) -> Lines:
            def line(i: int, t: datetime) -> str:
                if t < chg + timedelta(minutes=1):
                    return L.spring(t, "INFO", "c.a.payments.PaymentsClient", "POST /v1/charges -> 200",
                                    "http-nio-8080-exec-3")
                return spring_trace(t, "c.a.payments.PaymentsClient", "call to payments-api failed", [
                    "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
                    "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
                    "certification path to requested target",
                    "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:130)",
                    "\tat java.base/sun.security.ssl.CertificateMessage$T13CertificateConsumer.checkServerCerts"
                    "(CertificateMessage.java:1357)",
                    f"Caused by: sun.security.validator.ValidatorException: PKIX path building failed ({app})"],
                    "http-nio-8080-exec-3")
            return every(s, e, 20, line)
        victim(inc, ns, app, make, replicas=2)
        http_codes(inc, ns, app, (30.0, 2.0), (0.0, 27.0), chg + timedelta(minutes=1), "502")
    plant(inc, "payments", "payments-psp", "stripe", "psp-live", "STRIPE_SECRET_KEY")
    alerts = [alert(inc, "HTTPUpstreamErrors", {"namespace": ns, "service": app},
                    f"{app}: more than 20% of calls to payments-api fail",
                    f"{app} answered 502 to over 20% of requests for 5 minutes.",
                    f'sum(rate(http_requests{{namespace="{ns}",code="502"}}[5m])) / '
                    f'sum(rate(http_requests{{namespace="{ns}"}}[5m])) > 0.2', "critical")
              for ns, app in (("checkout", "checkout-api"), ("refunds", "refund-worker"),
                              ("payouts", "payout-engine"))]
    send(inc, alerts, ["alertname"])
    inc.answer_key(culprit=("Bundle", "", "acme-internal-roots"),
                   keywords=["PKIX", "trust bundle", "root CA"],
                   root_cause="The trust-manager Bundle acme-internal-roots (the internal trust bundle) was edited "
                              "to carry only the 2026 root CA while payments-api's certificate still chains to the "
                              "2023 root: the callers fail PKIX path building on every TLS handshake.",
                   category="trust-bundle-old-root-removed-early",
                   red_herrings=[("ConfigMap", "payments", "payments-api-config")])
    return inc


# ---- 4: simple: CA bundle env replaces public roots -------------------------------------------------
AT4 = datetime(2026, 12, 3, 16, 48, tzinfo=UTC)


def invoice_sender_errors() -> Incident:
    """REQUESTS_CA_BUNDLE set to the internal CA file: the Python client no longer trusts public CAs.

    after: Python services that add `REQUESTS_CA_BUNDLE` (or `SSL_CERT_FILE`) pointing at the company CA
    to reach an internal endpoint, not knowing it replaces certifi's public roots instead of adding to
    them; every call to a public SaaS API then fails certificate verification.

    invoice-sender revision 12 (45 minutes before the page) sets REQUESTS_CA_BUNDLE to the mounted
    internal CA; calls to api.postmarkapp.com fail with urllib3's SSLCertVerificationError while the
    internal ledger calls keep working. Red herring: a pdf-renderer rollout.
    """
    inc = start(invoice_sender_errors, "invoice-sender errors", AT4, 3704, ("invoicing",))
    chg = AT4 - timedelta(minutes=45)
    image = f"{REGISTRY}/invoicing/invoice-sender"
    base = env(MAIL_API="https://api.postmarkapp.com/email", LEDGER_URL="https://ledger.invoicing.svc:8443")
    vols = {"volumes": [{"name": "acme-roots", "configMap": {"name": "acme-roots"}}]}
    old = Rev(11, inc.born + timedelta(days=18), "helm upgrade", [c("invoice-sender", f"{image}:3.4.1", env=base)])
    new = Rev(12, chg, "helm upgrade", [c("invoice-sender", f"{image}:3.4.2", env=base + env(
        REQUESTS_CA_BUNDLE="/etc/acme/ca-bundle.pem"))], vols,
        {"volumeMounts": [{"name": "acme-roots", "mountPath": "/etc/acme", "readOnly": True}]})

    def log(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if i % 3 == 0:
                return L.pylog(t, "INFO", "invoicing.ledger", f"fetched invoice INV-{77000 + i} from ledger")
            return "\n".join([
                L.pylog(t, "ERROR", "invoicing.sender", f"sending invoice INV-{77000 + i} failed"),
                "Traceback (most recent call last):",
                '  File "/app/invoicing/sender.py", line 58, in send',
                "    resp = self.session.post(self.mail_api, json=payload, timeout=10)",
                "requests.exceptions.SSLError: HTTPSConnectionPool(host='api.postmarkapp.com', port=443): Max "
                "retries exceeded with url: /email (Caused by SSLError(SSLCertVerificationError(1, '[SSL: "
                "CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate "
                "(_ssl.c:1006)')))"])
        return every(s, e, 25, line)
    inc.deployment("invoicing", "invoice-sender", [old, new], {12: [P(log=within(log)) for _ in range(2)]})
    inc.configmap("invoicing", "acme-roots", {"ca-bundle.pem": "-----BEGIN CERTIFICATE-----\nMIIF...acme...\n"
                                              "-----END CERTIFICATE-----\n"})
    herring(inc, "invoicing", "pdf-renderer", f"{REGISTRY}/invoicing/pdf-renderer", "1.12.0",
            AT4 - timedelta(minutes=20))
    plant(inc, "invoicing", "postmark", "token", "postmark-server", "POSTMARK_SERVER_TOKEN")
    begin = AT4 - timedelta(hours=2)
    for result, (b, a) in (("sent", (1.2, 0.0)), ("error", (0.0, 1.1))):
        inc.series("invoice_emails_total", "counter", "Invoice e-mails by result.",
                   {"namespace": "invoicing", "job": "invoice-sender", "result": result}, counter(begin, b, a, chg))
    send(inc, [alert(inc, "InvoiceEmailErrors", {"namespace": "invoicing", "job": "invoice-sender"},
                     "invoice-sender: invoice e-mails failing",
                     "invoice-sender has failed to send invoice e-mails for 15 minutes.",
                     'sum(rate(invoice_emails_total{result="error"}[15m])) > 0.1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Deployment", "invoicing", "invoice-sender"),
                   keywords=["REQUESTS_CA_BUNDLE", "CERTIFICATE_VERIFY_FAILED", "certifi"],
                   root_cause="invoice-sender 3.4.2 sets REQUESTS_CA_BUNDLE to the internal CA file, which "
                              "replaces certifi's public roots: calls to the mail API fail with "
                              "CERTIFICATE_VERIFY_FAILED.",
                   category="ca-bundle-env-replaces-public-roots",
                   red_herrings=[("Deployment", "invoicing", "pdf-renderer")])
    return inc


# ---- 5: simple: Pod Security admission level raised -------------------------------------------------
AT5 = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)


def reconcile_jobs_not_running() -> Incident:
    """The namespace's Pod Security enforce level raised to restricted: the nightly Job's pods are refused.

    after: Pod Security admission migrations where a namespace is relabelled from `baseline` to
    `restricted` after a warn-mode period that nobody read; the next pods that run as root or without a
    seccomp profile are rejected at creation, and Jobs show only FailedCreate events.

    The `reconcile` namespace was labelled `pod-security.kubernetes.io/enforce=restricted` 3 hours before
    the page (kubectl label); the 02:00 ledger-reconcile Job cannot create its pod (runAsNonRoot,
    allowPrivilegeEscalation, capabilities, seccompProfile). Red herring: the statement-renderer rollout.
    """
    inc = start(reconcile_jobs_not_running, "ledger-reconcile job has no pods", AT5, 3705, ("reconcile",))
    chg = AT5 - timedelta(hours=3)
    nsobj = inc.find("Namespace", "", "reconcile")
    nsobj["metadata"].setdefault("labels", {}).update({
        "kubernetes.io/metadata.name": "reconcile", "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest", "pod-security.kubernetes.io/warn": "restricted"})
    changed(nsobj, ("argocd-controller", "Apply", inc.born + timedelta(days=3), {"f:metadata": {"f:labels": {}}}),
            ("kubectl-label", "Update", chg,
             {"f:metadata": {"f:labels": {"f:pod-security.kubernetes.io/enforce": {},
                                          "f:pod-security.kubernetes.io/enforce-version": {}}}}))
    image = f"{REGISTRY}/reconcile/ledger-reconcile:2.2.0"
    template = {"metadata": {"labels": {"app": "ledger-reconcile"}},
                "spec": {"restartPolicy": "Never", "serviceAccountName": "ledger-reconcile",
                         "containers": [{"name": "reconcile", "image": image,
                                         "securityContext": {"runAsUser": 0}}]}}
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "ledger-reconcile", "namespace": "reconcile"},
                    "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid",
                             "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}}},
                    "status": {"lastScheduleTime": ts(AT5 - timedelta(minutes=30))}})
    jname = "ledger-reconcile-29413800"
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": jname, "namespace": "reconcile", "creationTimestamp":
                                ts(AT5 - timedelta(minutes=30)),
                                "ownerReferences": [o.owner_ref("CronJob", "ledger-reconcile", "reconcile")]},
                   "spec": {"backoffLimit": 2, "template": template},
                   "status": {"startTime": ts(AT5 - timedelta(minutes=30)), "active": 0}})
    inc.event(cron, "SuccessfulCreate", f"Created job {jname}", AT5 - timedelta(minutes=30), warning=False,
              component="cronjob-controller")
    inc.event(job, "FailedCreate",
              f'Error creating: pods "{jname}-x8k2p" is forbidden: violates PodSecurity "restricted:latest": '
              'allowPrivilegeEscalation != false (container "reconcile" must set '
              "securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "
              '"reconcile" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
              'container "reconcile" must set securityContext.runAsNonRoot=true), runAsUser=0 (container '
              '"reconcile" must not set runAsUser=0), seccompProfile (pod or container "reconcile" must set '
              'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
              AT5 - timedelta(minutes=30), AT5 + timedelta(minutes=30), count=14, component="job-controller")
    herring(inc, "reconcile", "statement-renderer", f"{REGISTRY}/reconcile/statement-renderer", "0.9.4",
            AT5 - timedelta(hours=1))
    plant(inc, "reconcile", "ledger-db", "password", "ledger-reconcile", "PGPASSWORD")
    inc.series("kube_job_status_active", "gauge", "The number of actively running pods.",
               {"namespace": "reconcile", "job_name": jname, "job": "kube-state-metrics"}, lambda t: 0.0)
    inc.series("ledger_reconcile_last_success_timestamp_seconds", "gauge", "Last successful reconcile.",
               {"namespace": "reconcile", "job": "pushgateway"},
               lambda t: (AT5 - timedelta(days=1, minutes=22)).timestamp())
    send(inc, [alert(inc, "KubeJobNotCompleted", {"namespace": "reconcile", "job_name": jname},
                     f"Job {jname} did not complete in time",
                     f"Job reconcile/{jname} is taking more than 25 minutes to complete.",
                     'time() - max by (namespace, job_name) (kube_job_status_start_time{job="kube-state-metrics"} '
                     'and kube_job_status_active > 0) > 1500')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Namespace", "", "reconcile"),
                   keywords=["PodSecurity", "restricted", "enforce"],
                   root_cause="The reconcile namespace's pod-security enforce label was raised to restricted; the "
                              "PodSecurity admission check refuses the "
                              "ledger-reconcile Job's pod (root, no restricted settings), so the nightly run has "
                              "no pod.",
                   category="pod-security-enforce-raised-to-restricted",
                   red_herrings=[("Deployment", "reconcile", "statement-renderer")])
    return inc


# ---- 6: Gatekeeper Assign mutation adds RuntimeDefault seccomp --------------------------------------
AT6 = datetime(2026, 12, 4, 11, 9, tzinfo=UTC)


def edge_cache_crashloop_question() -> Incident:
    """A Gatekeeper Assign mutator sets seccomp RuntimeDefault on every pod: io_uring is denied.

    after: hardening rollouts that default every pod to the RuntimeDefault seccomp profile through an
    admission mutator; containerd's default profile blocks io_uring_setup, so a proxy built on an io_uring
    runtime cannot create its ring and exits on start while its older pods keep running unconfined.

    The cluster-scoped Assign `default-seccomp-runtime` (mutations.gatekeeper.sh) was widened 50 minutes
    before the question from `kube-system` to every namespace except a short list; the edge-cache pods
    created since then carry the mutation annotation and log `Operation not permitted (os error 1)`.
    Red herring: the edge-config ConfigMap edit.
    """
    inc = start(edge_cache_crashloop_question, "edge-cache restarting", AT6, 3706, ("cdn",))
    chg = AT6 - timedelta(minutes=50)
    crd(inc, "Assign", "mutations.gatekeeper.sh", "assign", scope="Cluster", version="v1")
    assign = inc.add({"apiVersion": "mutations.gatekeeper.sh/v1", "kind": "Assign",
                      "metadata": {"name": "default-seccomp-runtime", "generation": 3},
                      "spec": {"applyTo": [{"groups": [""], "kinds": ["Pod"], "versions": ["v1"]}],
                               "match": {"scope": "Namespaced", "kinds": [{"apiGroups": ["*"], "kinds": ["Pod"]}],
                                         "excludedNamespaces": ["gatekeeper-system", "kube-system"]},
                               "location": "spec.securityContext.seccompProfile",
                               "parameters": {"pathTests": [{"subPath": "spec.securityContext.seccompProfile",
                                                             "condition": "MustNotExist"}],
                                              "assign": {"value": {"type": "RuntimeDefault"}}}},
                      "status": {"byPod": [{"id": "gatekeeper-controller-manager-7d9c6b5f4-2kq8z",
                                            "enforced": True, "observedGeneration": 3}]}})
    changed(assign, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
            ("argocd-controller", "Apply", chg, {"f:spec": {"f:match": {"f:excludedNamespaces": {},
                                                                          "f:namespaces": {}}}}))
    image = f"{REGISTRY}/cdn/edge-cache:0.14.2"
    rev = Rev(5, inc.born + timedelta(days=22), "helm upgrade", [c("edge-cache", image, port=8443)])

    def good(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 45, lambda i, t: f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z  INFO edge_cache::server: "
                     f"served requests={900 + i % 40} hit_ratio=0.9{i % 7} ring_entries=4096")

    def bad(pod: str, s: datetime, e: datetime) -> Lines:
        f = s.strftime('%Y-%m-%dT%H:%M:%S.%f')
        g = (s + timedelta(milliseconds=8)).strftime('%Y-%m-%dT%H:%M:%S.%f')
        return [(s, f"{f}Z  INFO edge_cache: starting edge-cache v0.14.2 workers=4 listen=0.0.0.0:8443"),
                (s + timedelta(milliseconds=8), f"{g}Z ERROR edge_cache::runtime: failed to create io_uring "
                 "instance entries=4096 error=Operation not permitted (os error 1)"),
                (s + timedelta(milliseconds=9), "Error: failed to start runtime\n\nCaused by:\n    Operation not "
                 "permitted (os error 1)")]
    plans = [P(log=within(good), created=inc.born + timedelta(days=22, minutes=i)) for i in range(2)]
    plans += [P("crashloop", log=within(bad), created=chg + timedelta(minutes=14 + 7 * i), exit_code=1,
                run_s=lambda n: 0.1) for i in range(2)]
    wl = inc.deployment("cdn", "edge-cache", [rev], {5: plans}, replicas=4)
    for h in wl.pods[2:]:
        def mutate(pod: dict[str, Any]) -> None:
            pod["spec"].setdefault("securityContext", {})["seccompProfile"] = {"type": "RuntimeDefault"}
            pod["metadata"].setdefault("annotations", {})["gatekeeper.sh/mutation-id"] = \
                "0b7b0d8e-61c4-4a6f-9f7e-2f1a7dd6e0c1"
            pod["metadata"]["annotations"]["gatekeeper.sh/mutations"] = \
                "Assign//default-seccomp-runtime:3"
        inc.cluster.patch("cdn", h.name, mutate)
        inc.event(inc.find("ReplicaSet", "cdn", wl.rs[5]), "SuccessfulCreate", f"Created pod: {h.name}",
                  h.created, warning=False, component="replicaset-controller")
    inc.configmap("cdn", "edge-config", {"cache.toml": "max_object_mb = 64\nstale_while_revalidate = 30\n"},
                  AT6 - timedelta(minutes=30))
    changed(inc.find("ConfigMap", "cdn", "edge-config"),
            ("kubectl-apply", "Update", AT6 - timedelta(minutes=30), {"f:data": {"f:cache.toml": {}}}))
    plant(inc, "cdn", "edge-origin-auth", "token", "origin-shield", "ORIGIN_SHARED_SECRET")
    inc.pod_series(wl.pods)
    inc.ask("edge-cache keeps restarting since this morning and only two of its four pods serve; why?")
    inc.answer_key(culprit=("Assign", "", "default-seccomp-runtime"),
                   keywords=["seccomp", "RuntimeDefault", "io_uring"],
                   root_cause="The Gatekeeper Assign default-seccomp-runtime was widened to all namespaces: new "
                              "edge-cache pods get the RuntimeDefault seccomp profile, which denies io_uring_setup, "
                              "so the proxy cannot start; the older unmutated pods keep running.",
                   category="gatekeeper-assign-seccomp-blocks-io-uring",
                   red_herrings=[("ConfigMap", "cdn", "edge-config")])
    return inc


# ---- 7: host question: AppArmor loader DaemonSet no longer tolerates a node pool ---------------------
NEW_NODE = "ip-10-0-3-22.eu-west-1.compute.internal"
AT7 = datetime(2026, 12, 4, 15, 40, tzinfo=UTC)


def node_pods_stuck_host_question() -> Incident:
    """The AppArmor profile loader's DaemonSet lost its toleration: the new tainted node never loads profiles.

    after: clusters that ship custom AppArmor profiles with a loader DaemonSet; a chart upgrade narrows its
    tolerations, nodes that join later in a tainted pool never get the profiles, and every pod that asks
    for `localhost/...` fails in runc with `apparmor failed to apply profile` while older nodes, whose
    kernels still hold the profiles, look fine.

    apparmor-loader (kube-system) ControllerRevision 2, 2 hours before the question, replaced the
    `operator: Exists` toleration with the control-plane one only; NEW_NODE (pool ingest, tainted
    `dedicated=ingest:NoSchedule`) joined 40 minutes before and runs no loader pod; ingest-gateway pods
    scheduled there hit CreateContainerError. Red herring: node-local-dns was upgraded on every node.
    """
    inc = start(node_pods_stuck_host_question, "Pods stuck on a node", AT7, 3707, ("ingest",))
    cl = inc.cluster
    chg = AT7 - timedelta(hours=2)
    joined = AT7 - timedelta(minutes=40)
    node_obj = next(n for n in cl.nodes if n["metadata"]["name"] == NEW_NODE)
    node_obj["metadata"]["creationTimestamp"] = ts(joined)
    node_obj["metadata"]["labels"].update({"eks.amazonaws.com/nodegroup": "ingest",
                                           "acme.io/pool": "ingest"})
    node_obj["spec"]["taints"] = [{"key": "dedicated", "value": "ingest", "effect": "NoSchedule"}]
    profile_image = f"{REGISTRY}/platform/apparmor-loader:1.3.0"
    pods = cl.daemonset("kube-system", "apparmor-loader", profile_image, inc.born + timedelta(days=2))
    cl.pods = [p for p in cl.pods if not (p.workload == "apparmor-loader" and p.node == NEW_NODE)]
    for h in pods:
        h.logs = {"apparmor-loader": L.lines([(h.created + timedelta(seconds=6), L.klog(
            h.created + timedelta(seconds=6), "I", "loader.go:88",
            'Loaded profile "k8s-ingest-gateway" from /profiles/k8s-ingest-gateway')), (
            h.created + timedelta(seconds=7), L.klog(h.created + timedelta(seconds=7), "I", "loader.go:120",
                                                      "Polling /profiles every 30s"))])}
    ds = inc.find("DaemonSet", "kube-system", "apparmor-loader")
    narrow = [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]
    ds["spec"]["template"]["spec"]["tolerations"] = narrow
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    count = len(cl.nodes) - 1
    ds["status"].update({"desiredNumberScheduled": count, "currentNumberScheduled": count, "numberReady": count,
                         "numberAvailable": count, "updatedNumberScheduled": count, "observedGeneration": 2})
    for number, at, tol in ((1, inc.born + timedelta(days=2), [{"operator": "Exists"}]), (2, chg, narrow)):
        template = json.loads(json.dumps(ds["spec"]["template"]))
        template["spec"]["tolerations"] = tol
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": number,
                 "metadata": {"name": f"apparmor-loader-{o.suffix(f'aa{number}', 10)}", "namespace": "kube-system",
                              "creationTimestamp": ts(at), "labels": {"app": "apparmor-loader"},
                              "ownerReferences": [o.owner_ref("DaemonSet", "apparmor-loader", "kube-system")]},
                 "data": {"spec": {"template": template}}})
    changed(ds, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:tolerations": {}}}}}))
    annotations = {"container.apparmor.security.beta.kubernetes.io/ingest-gateway": "localhost/k8s-ingest-gateway"}
    image = f"{REGISTRY}/ingest/ingest-gateway:6.0.3"
    msg = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create "
           "failed: unable to start container process: error during container init: unable to apply apparmor "
           "profile: apparmor failed to apply profile: write /proc/self/attr/apparmor/exec: no such file or "
           "directory: unknown")
    rev = Rev(9, inc.born + timedelta(days=25), "helm upgrade", [c("ingest-gateway", image)],
              {"tolerations": [{"key": "dedicated", "value": "ingest", "effect": "NoSchedule"}]})
    good = [P(log=within(lambda p, s, e: every(s, e, 60, lambda i, t: L.js(
        t, "info", "flushed batch", records=2000 + i % 300, sink="kafka")))) for _ in range(2)]
    other = [n for n in inc.node_names() if n != NEW_NODE]
    for i, plan in enumerate(good):
        plan.node = other[i]
    stuck = [P("waiting", waiting_reason="CreateContainerError", message=msg, node=NEW_NODE,
               created=joined + timedelta(minutes=6 + 4 * i)) for i in range(2)]
    wl = inc.deployment("ingest", "ingest-gateway", [rev], {9: good + stuck}, replicas=4)
    for h in wl.pods:
        inc.cluster.patch("ingest", h.name, lambda pod: pod["metadata"].setdefault("annotations", {})
                          .update(annotations))
    wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {}).update(annotations)
    cl.daemonset("kube-system", "node-local-dns", "registry.k8s.io/dns/k8s-dns-node-cache:1.23.1",
                 inc.born + timedelta(days=1))
    herring_ds = inc.find("DaemonSet", "kube-system", "node-local-dns")
    herring_ds["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]
    herring_ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = "10%"
    changed(herring_ds, ("helm", "Update", AT7 - timedelta(minutes=70),
                         {"f:spec": {"f:updateStrategy": {"f:rollingUpdate": {"f:maxUnavailable": {}}}}}))
    plant(inc, "ingest", "ingest-kafka-sasl", "password", "kafka-ingest", "SASL_PASSWORD")
    inc.ask(f"Pods keep failing to start on {NEW_NODE}, the node we added this afternoon. What is wrong with it?")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "apparmor-loader"),
                   keywords=["AppArmor", "toleration", "taint"],
                   root_cause="apparmor-loader's revision 2 keeps only the control-plane toleration, so it never runs "
                              "on the tainted ingest node that joined later; the k8s-ingest-gateway profile is never "
                              "loaded there and runc cannot apply it to the ingest-gateway containers.",
                   category="apparmor-loader-skips-tainted-pool",
                   red_herrings=[("DaemonSet", "kube-system", "node-local-dns")])
    return inc


# ---- 8: Vault Secrets Operator dynamic credentials without a restart target --------------------------
AT8 = datetime(2026, 12, 5, 9, 55, tzinfo=UTC)


def orders_api_db_errors() -> Incident:
    """A VaultDynamicSecret loses its rollout-restart target: rotated database credentials never reach the pods.

    after: Vault Secrets Operator users whose database lease is renewed until max_ttl, after which VSO
    writes a brand-new username and password into the Secret; applications that read the credentials
    only at start-up keep the revoked user until something restarts them, and the database refuses them.

    The VaultDynamicSecret orders-db-creds (orders) was re-applied by Argo CD 3 hours before the page
    without `rolloutRestartTargets`; at the lease's max TTL VSO rotated the Secret; orders-api (node-postgres)
    still logs in as the revoked `v-kubernet-orders-a-...` user and PostgreSQL answers 28P01. Red herring:
    the orders-db PgBouncer config edit.
    """
    inc = start(orders_api_db_errors, "orders-api 5xx", AT8, 3708, ("orders",))
    chg = AT8 - timedelta(hours=3)
    rotated = AT8 - timedelta(minutes=4)
    old_user = "v-kubernet-orders-a-Xq3pT9wLmZ2kR8vB-1764920100"
    new_user = "v-kubernet-orders-a-Hf7nC2sQeY5uJ1dK-1764928500"
    vds = custom(inc, "VaultDynamicSecret", "secrets.hashicorp.com", "v1beta1", "vaultdynamicsecrets", "orders",
                 "orders-db-creds",
                 {"mount": "database", "path": "creds/orders-app", "vaultAuthRef": "orders-vault-auth",
                  "renewalPercent": 67, "destination": {"name": "orders-db-creds", "create": True}},
                 {"lastGeneration": 9, "lastRenewalTime": int(rotated.timestamp()),
                  "secretLease": {"duration": 3600, "renewable": True, "id": "database/creds/orders-app/"
                                  "Fq8Z2ahV0XwNnB4y"}, "staticCredsMetaData": {}},
                 "argocd-controller", chg, {"f:spec": {"f:rolloutRestartTargets": {}, "f:renewalPercent": {}}},
                 generation=9)
    vds["metadata"]["managedFields"][1]["operation"] = "Apply"
    plant(inc, "orders", "orders-db-creds", "password", "orders-db", "password")
    creds = inc.find("Secret", "orders", "orders-db-creds")
    creds["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "hashicorp-vso",
                                   "app.kubernetes.io/component": "secret-sync"}
    changed(creds, ("vault-secrets-operator", "Update", rotated,
                    {"f:data": {"f:password": {}, "f:username": {}, "f:_raw": {}}}))

    def api(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < rotated + timedelta(seconds=40):
                return pino(t, 30, pod, "request completed", req={"method": "GET", "url": "/v1/orders"},
                            res={"statusCode": 200}, responseTime=18 + i % 11)
            return pino(t, 50, pod, "request errored", req={"method": "GET", "url": "/v1/orders"},
                        res={"statusCode": 500}, err={"type": "DatabaseError", "code": "28P01",
                                                      "severity": "FATAL", "routine": "auth_failed",
                                                      "message": f'password authentication failed for user '
                                                                 f'"{old_user}"'})
        return every(s, e, 15, line)
    victim(inc, "orders", "orders-api", api, replicas=3)

    def db(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < rotated + timedelta(seconds=40):
                return L.postgres(t, "LOG", "checkpoint complete: wrote 212 buffers (1.3%); 0 WAL file(s) added",
                                  pid=63)
            return "\n".join([
                L.postgres(t, "FATAL", f'password authentication failed for user "{old_user}"', pid=9000 + i),
                L.postgres(t, "DETAIL", f'Role "{old_user}" does not exist.', pid=9000 + i),
                '\tConnection matched file "/pgdata/pg_hba.conf" line 7: "host all all 0.0.0.0/0 scram-sha-256"',
            ])
        lines = every(s, e, 30, line)
        lines.append((rotated - timedelta(seconds=1), L.postgres(rotated - timedelta(seconds=1), "LOG",
                      f'statement: CREATE ROLE "{new_user}" WITH LOGIN PASSWORD \'********\' VALID UNTIL '
                      "'2026-12-05 10:51:00+00'", pid=8800)))
        return lines
    inc.statefulset("orders", "orders-db", [c("postgres", "postgres:16.4", port=5432)],
                    [P(log=within(db))], inc.born + timedelta(days=1), service=5432)
    inc.configmap("orders", "pgbouncer-config", {"pgbouncer.ini": "[pgbouncer]\npool_mode = transaction\n"
                                                 "default_pool_size = 30\n"}, AT8 - timedelta(minutes=50))
    changed(inc.find("ConfigMap", "orders", "pgbouncer-config"),
            ("kubectl-edit", "Update", AT8 - timedelta(minutes=50), {"f:data": {"f:pgbouncer.ini": {}}}))
    http_codes(inc, "orders", "orders-api", (40.0, 1.0), (0.1, 38.0), rotated + timedelta(seconds=40), "500")
    send(inc, [alert(inc, "OrdersApiHighErrorRate", {"namespace": "orders", "service": "orders-api"},
                     "orders-api: 5xx above 5%",
                     "orders-api has answered more than 5% of requests with 5xx for 3 minutes.",
                     'sum(rate(http_requests{service="orders-api",code=~"5.."}[3m])) / '
                     'sum(rate(http_requests{service="orders-api"}[3m])) > 0.05', "critical")],
         ["alertname", "namespace"])
    inc.answer_key(culprit=("VaultDynamicSecret", "orders", "orders-db-creds"),
                   keywords=["rolloutRestartTargets", "28P01", "rotated"],
                   root_cause="The VaultDynamicSecret orders-db-creds was re-applied without rolloutRestartTargets: "
                              "when VSO rotated the database credentials orders-api was not restarted and keeps "
                              "logging in with the revoked user (28P01).",
                   category="vso-dynamic-creds-no-restart-target",
                   red_herrings=[("ConfigMap", "orders", "pgbouncer-config")])
    return inc


# ---- 9: Keycloak LDAP federation bind secret ---------------------------------------------------------
AT9 = datetime(2026, 12, 5, 7, 50, tzinfo=UTC)


def intranet_login_burn() -> Incident:
    """The LDAP bind credential re-applied with next quarter's password: Keycloak's federation bind fails.

    after: SSO outages after a service-account password rotation done in the wrong order: the Kubernetes
    Secret holding the LDAP bind password is updated before Active Directory, Keycloak's user federation
    cannot bind (LDAP error 49, data 52e), and every employee login that needs LDAP fails.

    Secret keycloak-ldap-bind (identity), mounted as Keycloak's file vault (`${vault.ldap-bind}` in the
    LDAP provider), was re-applied 30 minutes before the burn; Keycloak (Quarkus log) logs
    `LDAP: error code 49 - 80090308 ... data 52e` and LOGIN_ERROR events; the intranet portal's logins fail.
    Red herring: a keycloak theme ConfigMap change.
    """
    inc = start(intranet_login_burn, "Intranet error budget burn", AT9, 3709, ("identity", "intranet"))
    chg = AT9 - timedelta(minutes=30)
    value = inc.canary("password", "ldap-bind-next")
    inc.secret("identity", "keycloak-ldap-bind", {"corp_ldap-bind": value})
    sec = inc.find("Secret", "identity", "keycloak-ldap-bind")
    changed(sec, ("kubectl-client-side-apply", "Update", chg,
                  {"f:data": {"f:corp_ldap-bind": {}},
                   "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}}))

    def kc(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            stamp = f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d}"
            if t < chg + timedelta(minutes=1):
                return (f"{stamp} INFO  [org.keycloak.events] (executor-thread-{i % 9}) type=\"LOGIN\", "
                        f"realmId=\"corp\", clientId=\"intranet-portal\", userId=\"{L.uuidish(pod, i)}\", "
                        "ipAddress=\"10.0.7.14\", auth_method=\"openid-connect\", grant_type=\"password\"")
            return "\n".join([
                f"{stamp} ERROR [org.keycloak.storage.ldap.idm.store.ldap.LDAPIdentityStore] (executor-thread-"
                f"{i % 9}) Could not query server using DN [OU=Staff,DC=corp,DC=acme,DC=io] and filter "
                "[(&(sAMAccountName=*)(objectclass=person))]: org.keycloak.models.ModelException: Querying of "
                "LDAP failed org.keycloak.storage.ldap.idm.query.internal.LDAPQuery@6f1d",
                "Caused by: javax.naming.AuthenticationException: [LDAP: error code 49 - 80090308: LdapErr: "
                "DSID-0C090447, comment: AcceptSecurityContext error, data 52e, v4563]",
                f"{stamp} WARN  [org.keycloak.events] (executor-thread-{i % 9}) type=\"LOGIN_ERROR\", "
                "realmId=\"corp\", clientId=\"intranet-portal\", userId=\"null\", ipAddress=\"10.0.7.14\", "
                "error=\"invalid_user_credentials\", auth_method=\"openid-connect\", grant_type=\"password\""])
        return every(s, e, 20, line)
    rev = Rev(4, inc.born + timedelta(days=19), "helm upgrade",
              [c("keycloak", "quay.io/keycloak/keycloak:26.0.7",
                 env=env(KC_VAULT="file", KC_VAULT_DIR="/opt/keycloak/vault", KC_HOSTNAME="sso.corp.acme.io"))],
              {"volumes": [{"name": "vault", "secret": {"secretName": "keycloak-ldap-bind"}}]},
              {"volumeMounts": [{"name": "vault", "mountPath": "/opt/keycloak/vault", "readOnly": True}]})
    inc.deployment("identity", "keycloak", [rev], {4: [P(log=within(kc)) for _ in range(2)]})

    def portal(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < chg + timedelta(minutes=1) or i % 3 == 0:
                return L.go_std(t, "POST /login 303 84ms") if i % 2 else L.go_std(t, "GET /home 200 31ms")
            return L.go_std(t, "login: password grant failed: oauth2: cannot fetch token: 500 Internal Server "
                               'Error\nResponse: {"error":"unknown_error"}; POST /login 502 212ms')
        return every(s, e, 12, line)
    victim(inc, "intranet", "intranet-portal", portal, replicas=2)
    inc.configmap("identity", "keycloak-theme", {"login.css": ".login-pf body { background: #0b2545; }"},
                  AT9 - timedelta(minutes=55))
    changed(inc.find("ConfigMap", "identity", "keycloak-theme"),
            ("kubectl-apply", "Update", AT9 - timedelta(minutes=55), {"f:data": {"f:login.css": {}}}))
    http_codes(inc, "intranet", "intranet-portal", (12.0, 4.0), (0.0, 7.5), chg + timedelta(minutes=1), "500")
    inc.slo_burn("intranet-portal", "intranet", "intranet-portal-availability", "0.995", 36.2,
                 "intranet-portal is burning its 30-day error budget 36x too fast (1h and 5m windows).")
    inc.answer_key(culprit=("Secret", "identity", "keycloak-ldap-bind"),
                   keywords=["LDAP", "bind", "52e"],
                   root_cause="The keycloak-ldap-bind Secret was re-applied with a password Active Directory does "
                              "not know yet: Keycloak's LDAP federation cannot bind (error 49, data 52e), so "
                              "employee logins fail.",
                   category="ldap-bind-secret-rotated-before-directory",
                   red_herrings=[("ConfigMap", "identity", "keycloak-theme")])
    return inc


# ---- 10: a backfill CronJob shares the SaaS integration's API rate limit -----------------------------
AT10 = datetime(2026, 12, 5, 13, 12, tzinfo=UTC)


def lead_sync_lagging() -> Incident:
    """A backfill CronJob scheduled every 15 minutes on the live CRM token: the shared rate limit is spent.

    after: SaaS integrations where a one-off backfill is turned into a recurring job on the same private-app
    token as the live sync; the vendor's limit is per app, so the live sync starts getting 429s and falls
    behind while the backfill itself looks healthy.

    CronJob crm-backfill (sales) was changed 70 minutes before the page from a suspended one-off to
    `*/15 * * * *`; its Jobs run 10 minutes each with the HUBSPOT token from the same Secret;
    lead-sync (Node.js, pino) logs HubSpot's TEN_SECONDLY_ROLLING 429 and its lag grows.
    Red herring: the lead-scoring rollout.
    """
    inc = start(lead_sync_lagging, "lead-sync lag", AT10, 3710, ("sales",))
    chg = AT10 - timedelta(minutes=70)
    plant(inc, "sales", "hubspot-private-app", "token", "hubspot-pat", "HUBSPOT_ACCESS_TOKEN")
    tokenref = [{"name": "HUBSPOT_ACCESS_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hubspot-private-app",
                                                                               "key": "HUBSPOT_ACCESS_TOKEN"}}}]
    image = f"{REGISTRY}/sales/crm-tools:2.0.1"
    template = {"metadata": {"labels": {"app": "crm-backfill"}},
                "spec": {"restartPolicy": "Never",
                         "containers": [{"name": "backfill", "image": image, "args": ["backfill", "--objects",
                                                                                     "contacts,deals",
                                                                                     "--since", "2024-01-01"],
                                         "env": tokenref}]}}
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "crm-backfill", "namespace": "sales", "generation": 3},
                    "spec": {"schedule": "*/15 * * * *", "suspend": False, "concurrencyPolicy": "Forbid",
                             "jobTemplate": {"spec": {"template": template}}},
                    "status": {"lastScheduleTime": ts(AT10 - timedelta(minutes=12)),
                               "lastSuccessfulTime": ts(AT10 - timedelta(minutes=17))}})
    changed(cron, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=30), {"f:spec": {}}),
            ("kubectl-patch", "Update", chg, {"f:spec": {"f:schedule": {}, "f:suspend": {}}}))
    first = chg.replace(minute=(chg.minute // 15) * 15, second=0) + timedelta(minutes=15)
    runs = [first + timedelta(minutes=15 * k) for k in range(12) if first + timedelta(minutes=15 * k) <= inc.captured]
    cron["status"] = {"lastScheduleTime": ts(runs[-1]), "lastSuccessfulTime": ts(runs[-2] + timedelta(minutes=10))}
    for r in runs:
        jname = f"crm-backfill-{int(r.timestamp()) // 60}"
        done = r + timedelta(minutes=10) < AT10 + timedelta(minutes=35)
        status: dict[str, Any] = {"startTime": ts(r), "active": 0 if done else 1}
        if done:
            status.update({"succeeded": 1, "completionTime": ts(r + timedelta(minutes=10))})
        job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": jname, "namespace": "sales", "creationTimestamp": ts(r),
                                    "ownerReferences": [o.owner_ref("CronJob", "crm-backfill", "sales")]},
                       "spec": {"template": template}, "status": status})
        inc.event(cron, "SuccessfulCreate", f"Created job {jname}", r, warning=False, component="cronjob-controller")
        if done:
            inc.event(job, "Completed", "Job completed", r + timedelta(minutes=10), warning=False,
                      component="job-controller")
    start_lag = runs[0]

    def sync(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < start_lag:
                return pino(t, 30, pod, "synced batch", objectType="contacts", count=100, lagSeconds=4 + i % 5)
            minute = (t - t.replace(minute=(t.minute // 15) * 15, second=0)).total_seconds() / 60
            if minute >= 10:
                return pino(t, 30, pod, "synced batch", objectType="contacts", count=100, lagSeconds=900 + i)
            return pino(t, 40, pod, "HubSpot request throttled, backing off", status=429, attempt=1 + i % 4,
                        body={"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                              "errorType": "RATE_LIMIT", "correlationId": L.uuidish(pod, i),
                              "policyName": "TEN_SECONDLY_ROLLING", "groupName": "publicapi:private-app:4419823"})
        return every(s, e, 10, line)
    victim(inc, "sales", "lead-sync", sync, replicas=1, env=tokenref)
    herring(inc, "sales", "lead-scoring", f"{REGISTRY}/sales/lead-scoring", "3.3.0", AT10 - timedelta(minutes=40))
    inc.series("lead_sync_lag_seconds", "gauge", "Seconds between a CRM change and its sync.",
               {"namespace": "sales", "job": "lead-sync"},
               lambda t: 5.0 if t < start_lag else 5.0 + 0.8 * (t - start_lag).total_seconds())
    inc.series("lead_sync_hubspot_responses_total", "counter", "HubSpot API responses by status.",
               {"namespace": "sales", "job": "lead-sync", "status": "429"},
               counter(AT10 - timedelta(hours=2), 0.0, 0.9, start_lag))
    send(inc, [alert(inc, "LeadSyncLagging", {"namespace": "sales", "job": "lead-sync"},
                     "lead-sync is more than 30 minutes behind the CRM",
                     "lead_sync_lag_seconds has been above 1800 for 10 minutes.",
                     "max(lead_sync_lag_seconds) > 1800")], ["alertname", "namespace"])
    inc.answer_key(culprit=("CronJob", "sales", "crm-backfill"),
                   keywords=["429", "ten_secondly_rolling", "shared token"],
                   root_cause="crm-backfill was un-suspended on a 15-minute schedule with a shared token (the same "
                              "HubSpot private app as lead-sync): the backfill spends the app's "
                              "TEN_SECONDLY_ROLLING limit and the live sync gets 429 and falls behind.",
                   category="backfill-cronjob-shares-saas-rate-limit",
                   red_herrings=[("Deployment", "sales", "lead-scoring")])
    return inc


# ---- 11: leader-election Role loses leases ----------------------------------------------------------
AT11 = datetime(2026, 12, 5, 17, 26, tzinfo=UTC)


def topology_operator_crashloop() -> Incident:
    """The operator's leader-election Role re-rendered without `leases`: the manager exits at start.

    after: operator upgrades where the chart's leader-election Role still grants the old `configmaps`
    lock but the new controller-runtime release only uses `coordination.k8s.io` Leases; the manager cannot
    get or create its lease, logs `error initially creating leader election record` and exits.

    Role messaging-topology-leader-election (rabbitmq-system) was applied by Helm 40 minutes before the page
    with configmaps and events only; the messaging-topology-operator pods crash with controller-runtime's
    JSON errors; queues and bindings declared since are not created. Red herring: the RabbitMQ cluster
    operator's image bump.
    """
    inc = start(topology_operator_crashloop, "messaging-topology-operator crashlooping", AT11, 3711,
                ("rabbitmq-system",))
    chg = AT11 - timedelta(minutes=40)
    role = inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": "messaging-topology-leader-election", "namespace": "rabbitmq-system",
                                 "labels": {"app.kubernetes.io/managed-by": "Helm"}},
                    "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                               "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
                              {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]}]})
    changed(role, ("helm", "Update", chg, {"f:rules": {}}))
    inc.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "messaging-topology-leader-election", "namespace": "rabbitmq-system"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                         "name": "messaging-topology-leader-election"},
             "subjects": [{"kind": "ServiceAccount", "name": "messaging-topology-operator",
                           "namespace": "rabbitmq-system"}]})
    sa = "system:serviceaccount:rabbitmq-system:messaging-topology-operator"

    def crash(pod: str, s: datetime, e: datetime) -> str:
        def j(t: datetime, level: str, msg: str, **kw: object) -> str:
            return json.dumps({"level": level, "ts": f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z",
                               "msg": msg, **kw}, separators=(",", ":"))
        return L.lines([
            (s, j(s, "info", "Starting metrics server", logger="controller-runtime.metrics")),
            (s, j(s, "info", "starting server", name="health probe", addr="[::]:8081")),
            (s, 'I' + s.strftime('%m%d %H:%M:%S.%f') + '       1 leaderelection.go:250] attempting to acquire '
             'leader lease rabbitmq-system/messaging-topology-operator-leader-election...'),
            (s + timedelta(seconds=1), 'E' + (s + timedelta(seconds=1)).strftime('%m%d %H:%M:%S.%f') +
             '       1 leaderelection.go:332] '
             'error retrieving resource lock rabbitmq-system/messaging-topology-operator-leader-election: '
             'leases.coordination.k8s.io "messaging-topology-operator-leader-election" is forbidden: User '
             f'"{sa}" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace '
             '"rabbitmq-system"'),
            (s + timedelta(seconds=2), j(s + timedelta(seconds=2), "error", "problem running manager",
                                         logger="setup", error="leader election lost")),
        ])
    image = "rabbitmqoperator/messaging-topology-operator"
    revs = [Rev(6, inc.born + timedelta(days=21), "helm upgrade", [c("manager", f"{image}:1.13.0")],
                {"serviceAccountName": "messaging-topology-operator"}),
            Rev(7, chg, "helm upgrade", [c("manager", f"{image}:1.15.0")],
                {"serviceAccountName": "messaging-topology-operator"})]
    wl = inc.deployment("rabbitmq-system", "messaging-topology-operator", revs,
                        {6: [P(log=within(lambda p, s, e: every(s, e, 300, lambda i, t: json.dumps(
                            {"level": "info", "ts": f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.000Z",
                             "msg": "Reconciling", "controller": "queue", "namespace": "orders",
                             "name": f"order-events-{i % 4}"}, separators=(",", ":")))))],
                         7: [P("crashloop", log=crash, exit_code=1, run_s=lambda n: 17.0)]}, progress="deadline",
                        replicas=1, max_unavailable="0")
    herring(inc, "rabbitmq-system", "rabbitmq-cluster-operator", "rabbitmqoperator/cluster-operator", "2.11.0",
            AT11 - timedelta(minutes=25))
    plant(inc, "rabbitmq-system", "rabbitmq-default-user", "password", "rabbit-admin", "password")
    inc.pod_series(wl.pods)
    send(inc, [alert(inc, "KubePodCrashLooping", {"namespace": "rabbitmq-system", "pod": wl.pods[-1].name,
                                                  "container": "manager", "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod rabbitmq-system/{wl.pods[-1].name} (manager) is in waiting state (reason: "
                     "\"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')], ["alertname", "namespace"])
    inc.answer_key(culprit=("Role", "rabbitmq-system", "messaging-topology-leader-election"),
                   keywords=["leases", "coordination.k8s.io", "forbidden"],
                   root_cause="The leader-election Role was re-applied granting configmaps but not leases in "
                              "coordination.k8s.io; the upgraded operator uses Lease locks, is forbidden to read "
                              "its lease and exits.",
                   category="leader-election-role-missing-leases",
                   red_herrings=[("Deployment", "rabbitmq-system", "rabbitmq-cluster-operator")])
    return inc


# ---- 12: OPA external-authorization policy requires a header the mobile app never sends --------------
AT12 = datetime(2026, 12, 5, 20, 5, tzinfo=UTC)


def mobile_orders_forbidden_page() -> Incident:
    """An OPA policy ConfigMap gains a tenant-header rule: Envoy's ext_authz denies every mobile request.

    after: OPA-Envoy deployments where a policy change meant for one client is loaded into the shared
    authorization sidecar; the rule requires a header only the web client sends, OPA answers
    `allowed: false`, and Envoy returns 403 with `UAEX` for every request from the mobile apps.

    ConfigMap opa-authz-policy (api) was edited 25 minutes before the page: `allow` now also requires
    `x-tenant-id`; the opa sidecar (kube-mgmt loads ConfigMaps labelled openpolicyagent.org/policy=rego)
    logs decision logs with result false for the okhttp user agent; Envoy logs 403 UAEX; mobile
    checkout fails. Red herring: the api-gateway HPA change.
    """
    inc = start(mobile_orders_forbidden_page, "Mobile orders failing", AT12, 3712, ("api",))
    chg = AT12 - timedelta(minutes=25)
    policy = ("package envoy.authz\n\nimport input.attributes.request.http as http\n\ndefault allow := false\n\n"
              "allow if {\n    valid_token\n    http.headers[\"x-tenant-id\"] != \"\"\n}\n\n"
              "valid_token if {\n    [_, payload, _] := io.jwt.decode(bearer)\n    payload.iss == "
              "\"https://sso.acme.io/realms/customers\"\n}\n")
    cm = inc.configmap("api", "opa-authz-policy", {"authz.rego": policy}, inc.born + timedelta(days=6))
    cm["metadata"]["labels"] = {"openpolicyagent.org/policy": "rego"}
    cm["metadata"]["annotations"] = {"openpolicyagent.org/kube-mgmt-status": '{"status":"ok"}'}
    changed(cm, ("argocd-controller", "Apply", inc.born + timedelta(days=6), {"f:data": {}}),
            ("kubectl-edit", "Update", chg, {"f:data": {"f:authz.rego": {}}}),
            ("kube-mgmt", "Update", chg + timedelta(seconds=2),
             {"f:metadata": {"f:annotations": {"f:openpolicyagent.org/kube-mgmt-status": {}}}}))
    eff = chg + timedelta(seconds=3)

    def gw(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            rid = L.uuidish(pod, i)
            if t < eff or i % 3 == 0:
                return L.envoy(t, "POST", "/v2/orders", 201, "-", "10.244.2.41:8080", 38, "api.acme.io", rid)
            return L.envoy(t, "POST", "/v2/orders", 403, "UAEX", "-", 3, "api.acme.io", rid,
                           "ext_authz_denied")
        return every(s, e, 6, line)

    def opa(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < eff:
                return None if i % 5 else json.dumps({"level": "info", "msg": "Decision Log", "decision_id":
                                                      L.uuidish(pod, i), "path": "envoy/authz/allow",
                                                      "result": True, "time": t.strftime('%Y-%m-%dT%H:%M:%SZ')},
                                                     separators=(",", ":"))
            mobile = i % 3 != 0
            return json.dumps({"decision_id": L.uuidish(pod, i), "input": {"attributes": {"request": {"http": {
                "method": "POST", "path": "/v2/orders", "headers": {
                    "user-agent": "okhttp/4.12.0" if mobile else "Mozilla/5.0",
                    **({} if mobile else {"x-tenant-id": "web"})}}}}}, "labels": {"id": pod, "version": "0.70.0"},
                "level": "info", "msg": "Decision Log", "path": "envoy/authz/allow", "result": not mobile,
                "time": t.strftime('%Y-%m-%dT%H:%M:%SZ'), "type": "openpolicyagent.org/decision_logs"},
                separators=(",", ":"))
        return every(s, e, 6, line)
    wl = victim(inc, "api", "api-gateway", gw, replicas=2)
    sidecar = {"name": "opa", "image": "openpolicyagent/opa:0.70.0-envoy",
               "args": ["run", "--server", "--addr=localhost:8181", "--diagnostic-addr=0.0.0.0:8282",
                        "--set=plugins.envoy_ext_authz_grpc.addr=:9191", "--set=decision_logs.console=true",
                        "/policies"]}
    for spec in (wl.obj["spec"]["template"]["spec"],
                 inc.find("ReplicaSet", "api", wl.rs[1])["spec"]["template"]["spec"]):
        spec["containers"].append(dict(sidecar))
    for h in wl.pods:
        inc.log_block("api", h.name, "opa", within(opa)(h.name, h.created, inc.captured))
        inc.cluster.patch("api", h.name, lambda pod: pod["spec"]["containers"].append(dict(sidecar)))
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "api-gateway", "namespace": "api"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api-gateway"},
                            "minReplicas": 2, "maxReplicas": 12,
                            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                                "type": "Utilization", "averageUtilization": 65}}}]},
                   "status": {"currentReplicas": 2, "desiredReplicas": 2}})
    changed(hpa, ("kubectl-edit", "Update", AT12 - timedelta(minutes=45), {"f:spec": {"f:maxReplicas": {}}}))

    def orders(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.js(t, "info", "order created", channel="web", order=f"W-{5100 + i}"))
    victim(inc, "api", "order-service", orders, replicas=2)
    plant(inc, "api", "api-gateway-jwt", "jwt", "gateway-internal", "INTERNAL_JWT")
    begin = AT12 - timedelta(hours=2)
    for code, (b, a) in (("201", (9.0, 3.1)), ("403", (0.05, 6.0))):
        inc.series("envoy_cluster_upstream_rq", "counter", "Upstream requests by response code (ext_authz "
                   "denials counted on the route).", {"namespace": "api", "envoy_cluster_name": "order-service",
                                                      "envoy_response_code": code, "job": "api-gateway"},
                   counter(begin, b, a, eff))
    for platform, (b, a) in (("ios", (3.0, 0.0)), ("android", (3.2, 0.0)), ("web", (3.0, 3.1))):
        inc.series("checkout_orders_completed", "counter", "Completed checkouts by client platform.",
                   {"namespace": "api", "platform": platform, "job": "order-service"}, counter(begin, b, a, eff))
    inc.pagerduty("Mobile checkout conversion dropped to zero (iOS, Android)", "Mobile Commerce")
    inc.answer_key(culprit=("ConfigMap", "api", "opa-authz-policy"),
                   keywords=["ext_authz", "x-tenant-id", "rego"],
                   root_cause="The opa-authz-policy ConfigMap's rego was edited to require an x-tenant-id header "
                              "that the mobile apps never send: OPA denies them and Envoy's ext_authz answers "
                              "403 UAEX.",
                   category="opa-envoy-policy-requires-missing-header",
                   red_herrings=[("HorizontalPodAutoscaler", "api", "api-gateway")])
    return inc


ALL = [media_ingest_uploads_failing, statement_archive_stalled_page, payment_callers_tls_grouped,
       invoice_sender_errors, reconcile_jobs_not_running, edge_cache_crashloop_question,
       node_pods_stuck_host_question, orders_api_db_errors, intranet_login_burn, lead_sync_lagging,
       topology_operator_crashloop, mobile_orders_forbidden_page]
