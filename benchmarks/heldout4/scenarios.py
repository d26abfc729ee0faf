"""Round 4 of the held-out incident set: twelve incidents written blind to Vigil's reasoning code.

Each function builds one incident on the corpus kit. Its docstring is the story (the answer); the
bundle's name, title and alert say only what the on-call saw. Every bundle has the shared
background, noise, exactly one red herring (a plausible, unrelated problem named in the key) and
secret canaries of its own. Log lines follow the formats the real software writes.
"""

from __future__ import annotations

import json
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

NODES = [f"ip-10-0-{i + 1}-{20 + i}.eu-west-1.compute.internal" for i in range(4)]


# ---- helpers (this round's own) -------------------------------------------------------------------
def _managed(obj: dict[str, Any], manager: str, at: datetime, fields: dict[str, Any],
             operation: str = "Update", subresource: str | None = None) -> None:
    """Record who last wrote which fields of `obj`, as the API server's managedFields does."""
    entry: dict[str, Any] = {"manager": manager, "operation": operation, "apiVersion": obj.get("apiVersion", "v1"),
                             "time": ts(at), "fieldsType": "FieldsV1", "fieldsV1": fields}
    if subresource:
        entry["subresource"] = subresource
    obj["metadata"].setdefault("managedFields", []).append(entry)


def _gone(kind: str, ns: str, name: str, api: str = "v1") -> dict[str, Any]:
    """An involvedObject for an object that no longer exists (events outlive what they describe)."""
    meta = {"name": name, "uid": o.uid(kind.lower(), ns, name)}
    if ns:
        meta["namespace"] = ns
    return {"kind": kind, "apiVersion": api, "metadata": meta}


def _set_log(inc: Incident, ns: str, workload: str, make: Callable[[PodHistory], str]) -> PodHistory:
    """Replace the first pod's current log of a (background) workload: a herring or a witness."""
    h = inc.pods_of(ns, workload)[0]
    h.logs[h.containers[0].name] = make(h)
    return h


def _crd(inc: Incident, group: str, plural: str, kind: str, version: str, scope: str = "Namespaced") -> None:
    """The CustomResourceDefinition a custom resource in extra/ needs to be served."""
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope,
                      "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
                      "versions": [{"name": version, "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object",
                                                                   "x-kubernetes-preserve-unknown-fields": True}},
                                    "subresources": {"status": {}}}]}})


def _drop_events(inc: Incident, pod: str, reasons: set[str]) -> None:
    """Remove the kit's generic start events for a pod whose start this story models by hand."""
    inc.cluster.events = [e for e in inc.cluster.events
                          if not (e["involvedObject"]["name"] == pod and e["reason"] in reasons)]


def _k(pod: str) -> int:
    """A small per-pod number, so replicas of one workload do not log identical lines at identical times."""
    return sum(pod.encode()) % 97


def _zap(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production JSON line (Go services)."""
    return json.dumps({"level": level, "ts": round(t.timestamp(), 3), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def _pino(t: datetime, level: int, host: str, msg: str, **fields: object) -> str:
    """A pino JSON line (Node.js): numeric level, epoch milliseconds."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": host, **fields,
                       "msg": msg}, separators=(",", ":"))


def _grouped(inc: Incident, alerts: list[dict[str, Any]], group: list[str]) -> None:
    """One Alertmanager v4 notification that carries several alerts of one group."""
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=group)


KP = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- 1: a cert-manager Certificate renewed without the in-cluster names -----------------------------
def payment_intents_errors() -> Incident:
    """card-vault's cert-manager Certificate lost its in-cluster dnsNames in a values clean-up; clients get x509 errors.

    A GitOps change trimmed the Certificate payments/card-vault-tls to the public name only
    (card-vault.payments.example.com). cert-manager re-issued it at once ("Existing issued Secret
    is not up to date for spec: [spec.dnsNames]"), card-vault's certwatcher reloaded it, and every
    in-cluster client that dials card-vault.payments.svc.cluster.local now fails verification:
    "x509: certificate is valid for card-vault.payments.example.com, not
    card-vault.payments.svc.cluster.local". payment-intents (shop) burns its error budget. The
    ledger's Hikari "clock leap" warning is unrelated.
    """
    at = datetime(2026, 11, 17, 13, 42, tzinfo=UTC)
    inc = Incident("payment-intents-errors", title="payment-intents error budget burning", story="", at=at,
                   seed=401)
    renewed = at - timedelta(minutes=3)
    good = "card-vault.payments.svc.cluster.local"

    def vault_log(pod: str, start: datetime, end: datetime) -> str:
        out = [(start, L.go_std(start, "card-vault 2.2.0 listening on :8443 (tls)"))]
        out += L.ticker(max(start, at - timedelta(minutes=50)), renewed, 29, lambda i, t: L.go_std(
            t, f"tokenise ok merchant=m_{4100 + i % 37} bin=4{i % 9}1234 latency_ms={11 + i % 7}"))
        out.append((renewed + timedelta(seconds=2), L.go_std(
            renewed + timedelta(seconds=2), "certwatcher: reloaded /etc/card-vault/tls/tls.crt serial=4f:a1:09:"
            "7c:2e notAfter=2027-02-15T13:39:00Z")))
        out += L.ticker(renewed + timedelta(seconds=4), end, 6, lambda i, t: L.go_std(
            t, f"http: TLS handshake error from 10.244.{1 + i % 3}.{40 + i % 9}:{41000 + i * 37 % 9000}: "
            "remote error: tls: bad certificate"))
        return L.lines(out)

    vault = [c("card-vault", f"{REGISTRY}/payments/card-vault:2.2.0", port=8443, readiness_path=None,
               liveness_path=None)]
    tls_mount = {"volumeMounts": [{"name": "tls", "mountPath": "/etc/card-vault/tls", "readOnly": True}],
                 "readinessProbe": {"tcpSocket": {"port": 8443}, "periodSeconds": 10, "timeoutSeconds": 1,
                                    "failureThreshold": 3, "successThreshold": 1}}
    inc.deployment("payments", "card-vault", [
        Rev(4, at - timedelta(days=9), "helm upgrade card-vault 2.2.0", vault,
            pod_spec={"volumes": [{"name": "tls", "secret": {"secretName": "card-vault-tls"}}]},
            container=tls_mount)], {4: [P(log=vault_log), P(log=vault_log)]})
    inc.service("payments", "card-vault", {"app": "card-vault"}, port=8443, target=8443)

    def client_log(pod: str, start: datetime, end: datetime) -> str:
        out: list[tuple[datetime, str]] = []
        k = _k(pod)
        first = max(start, at - timedelta(minutes=50)) + timedelta(seconds=k % 13)
        out += L.ticker(first, renewed, 17, lambda i, t: _zap(
            t, "info", "intents/confirm.go:88", "intent confirmed", intent=f"pi_{900311 + 1000 * k + i}",
            amount_minor=1999 + i,
            vault_ms=14 + i % 9))
        out += L.ticker(renewed + timedelta(seconds=5 + k % 4), end, 4, lambda i, t: _zap(
            t, "error", "vault/client.go:142", "tokenise failed", intent=f"pi_{950911 + 1000 * k + i}",
            error=f'Post "https://{good}:8443/v1/tokenise": tls: failed to verify certificate: x509: '
                  f'certificate is valid for card-vault.payments.example.com, not {good}'))
        return L.lines(out)

    intents = [c("payment-intents", f"{REGISTRY}/shop/payment-intents:1.31.0",
                 env=[{"name": "CARD_VAULT_URL", "value": f"https://{good}:8443"}])]
    inc.deployment("shop", "payment-intents", [Rev(9, at - timedelta(days=4), "deploy 1.31.0", intents)],
                   {9: [P(log=client_log) for _ in range(3)]})
    inc.service("shop", "payment-intents", {"app": "payment-intents"})

    _crd(inc, "cert-manager.io", "certificates", "Certificate", "v1")
    cert = inc.add({
        "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
        "metadata": {"name": "card-vault-tls", "namespace": "payments", "generation": 4,
                     "labels": {"app.kubernetes.io/instance": "card-vault",
                                "argocd.argoproj.io/instance": "payments-card-vault"}},
        "spec": {"secretName": "card-vault-tls", "duration": "2160h0m0s", "renewBefore": "360h0m0s",
                 "commonName": "card-vault.payments.example.com",
                 "dnsNames": ["card-vault.payments.example.com"],
                 "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Never"},
                 "usages": ["server auth"],
                 "issuerRef": {"name": "internal-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                                   "message": "Certificate is up to date and has not expired",
                                   "lastTransitionTime": ts(renewed + timedelta(seconds=1)), "observedGeneration": 4}],
                   "notBefore": ts(renewed), "notAfter": "2027-02-15T13:39:00Z",
                   "renewalTime": "2027-01-31T13:39:00Z", "revision": 9}})
    _managed(cert, "argocd-controller", renewed - timedelta(seconds=20),
             {"f:spec": {"f:commonName": {}, "f:dnsNames": {}}}, operation="Apply")
    for reason, msg, dt in (
            ("Issuing", "Existing issued Secret is not up to date for spec: [spec.commonName spec.dnsNames]", -18),
            ("Reused", 'Reusing private key stored in existing Secret resource "card-vault-tls"', -17),
            ("Requested", 'Created new CertificateRequest resource "card-vault-tls-9"', -17),
            ("Issuing", "The certificate has been successfully issued", 0)):
        inc.event(cert, reason, msg, renewed + timedelta(seconds=dt), warning=False,
                  component="cert-manager-certificates-trigger")
    inc.secret("payments", "card-vault-tls", {
        "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB9zCCAZ2gAwIBAgIQT6EJfC4=\n-----END CERTIFICATE-----\n",
        "tls.key": "-----BEGIN EC PRIVATE KEY-----\n" + inc.canary("token", "card-vault-key") +
                   "\n-----END EC PRIVATE KEY-----\n",
        "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIBdjCCARygAwIBAgIRAJ2=\n-----END CERTIFICATE-----\n"})
    inc.secret("payments", "card-vault-hsm", {"pin": inc.canary("password", "hsm-pin")})

    def ledger_herring(h: PodHistory) -> str:
        t0 = at - timedelta(minutes=70)
        return L.lines([(t0 + timedelta(minutes=i * 9), L.spring(
            t0 + timedelta(minutes=i * 9), "WARN", "com.zaxxer.hikari.pool.HikariPool",
            f"HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m{8 + i}s).",
            "HikariPool-1 housekeeper")) for i in range(9)])

    _set_log(inc, "payments", "ledger", ledger_herring)
    inc.slo_burn("payment-intents", "shop", "payment-intents-availability", "99.9%", 31.6,
                 "payment-intents is returning 5xx for 58% of requests over the last 5m.")
    inc.answer_key(culprit=("Certificate", "payments", "card-vault-tls"), keywords=["x509", "dnsNames", "certificate"],
                   root_cause="The cert-manager Certificate payments/card-vault-tls was re-applied with only the "
                              "public name in its dnsNames; the re-issued certificate no longer covers "
                              "card-vault.payments.svc.cluster.local, so in-cluster clients fail x509 verification.",
                   category="certificate-san-dropped", red_herrings=[("Deployment", "payments", "ledger")])
    return inc


# ---- 2: an ExternalName Service still aimed at a decommissioned data-centre host ---------------------
def invoice_posting_question() -> Incident:
    """billing/legacy-ledger is an ExternalName Service for ledger-01.dc2.corp.example.com; DC2 was switched off.

    The Service has pointed at the on-prem ledger for a year (a migration ticket in its annotation
    never finished). Last night the DC2 hosts were decommissioned and their DNS records removed.
    invoice-api (Node.js) dials legacy-ledger.billing.svc.cluster.local; CoreDNS answers the CNAME
    and then NXDOMAIN for ledger-01.dc2.corp.example.com, so every post fails with getaddrinfo
    ENOTFOUND. The pods stay ready (their probe does not touch the ledger). dunning-worker's slow
    SMTP relay is unrelated.
    """
    at = datetime(2026, 11, 18, 7, 12, tzinfo=UTC)
    inc = Incident("invoice-posting-question", title="question about invoice-api", story="", at=at, seed=402,
                   namespaces=("billing",))
    off = at - timedelta(minutes=26)
    svc = "legacy-ledger.billing.svc.cluster.local"

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        k = _k(pod)
        out = L.ticker(max(start, at - timedelta(minutes=70)) + timedelta(seconds=k % 29), off, 41, lambda i, t: _pino(
            t, 30, pod, "invoice posted to ledger", invoice=f"INV-2026-{88120 + 2 * i + k % 2}", ledgerMs=62 + i % 30))
        out += L.ticker(off + timedelta(seconds=9 + k % 11), end, 13, lambda i, t: _pino(
            t, 50, pod, "posting invoice to ledger failed", invoice=f"INV-2026-{88400 + 2 * i + k % 2}",
            attempt=1 + i % 3,
            err={"type": "Error", "message": f"getaddrinfo ENOTFOUND {svc}",
                 "stack": f"Error: getaddrinfo ENOTFOUND {svc}\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] "
                          "(node:dns:120:26)", "errno": -3008, "code": "ENOTFOUND", "syscall": "getaddrinfo",
                 "hostname": svc}))
        return L.lines(out)

    api = [c("invoice-api", f"{REGISTRY}/billing/invoice-api:3.6.2",
             env=[{"name": "LEDGER_URL", "value": f"http://{svc}:8080"}])]
    inc.deployment("billing", "invoice-api", [Rev(14, at - timedelta(days=6), "deploy 3.6.2", api)],
                   {14: [P(log=api_log), P(log=api_log)]})
    inc.service("billing", "invoice-api", {"app": "invoice-api"})
    ext = inc.add({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "legacy-ledger", "namespace": "billing",
                                "creationTimestamp": ts(at - timedelta(days=388)),
                                "labels": {"app.kubernetes.io/part-of": "billing"},
                                "annotations": {"billing.example.com/note":
                                                "on-prem ledger until migration INV-2291 completes"}},
                   "spec": {"type": "ExternalName", "externalName": "ledger-01.dc2.corp.example.com",
                            "ports": [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}],
                            # An old chart left a selector; the API server ignores it for ExternalName.
                            "selector": {"app": "legacy-ledger"}, "sessionAffinity": "None"},
                   "status": {"loadBalancer": {}}})
    assert ext["spec"]["type"] == "ExternalName"

    def coredns_log(h: PodHistory) -> str:
        out = [(at - timedelta(minutes=90), ".:53\n[INFO] plugin/reload: Running configuration SHA512 = "
                "8b2f4c1e0a0d\nCoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9")]
        out += L.ticker(off + timedelta(seconds=9), at + timedelta(minutes=30), 47, lambda i, t: (
            f'[INFO] 10.244.{2 + i % 2}.{31 + i % 2}:{40121 + i * 7} - {31000 + i} "A IN '
            f'{svc}. udp 68 false 1232" NXDOMAIN qr,aa,rd,ra 199 0.0{21 + i % 30}s'))
        out += L.ticker(off + timedelta(seconds=9), at + timedelta(minutes=30), 61, lambda i, t: (
            f'[INFO] 10.244.{2 + i % 2}.{31 + i % 2}:{52211 + i * 3} - {18000 + i} "A IN '
            f'ledger-01.dc2.corp.example.com. udp 59 false 1232" NXDOMAIN qr,rd,ra 138 0.0{14 + i % 40}s'))
        return L.lines(sorted(out))

    _set_log(inc, "kube-system", "coredns", coredns_log)

    def dunning_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=80)), end, 170, lambda i, t: L.pylog(
            t, "WARNING", "dunning.mailer", f"SMTP relay smtp.eu.mailgun.org slow: sent reminder batch {i} "
            f"({40 + i % 9} mails) in {3.1 + (i % 5) / 2:.1f}s")))

    inc.deployment("billing", "dunning-worker", [Rev(5, at - timedelta(days=12), "deploy 1.4.0",
                                                     [c("dunning-worker", f"{REGISTRY}/billing/dunning-worker:1.4.0",
                                                        port=None)])], {5: [P(log=dunning_log)]})
    inc.secret("billing", "ledger-api", {"LEDGER_API_TOKEN": inc.canary("token", "ledger-api"),
                                         "SMTP_PASSWORD": inc.canary("password", "smtp")})
    inc.ask("invoice-api has been failing to post invoices since about 06:45, anyone know why?")
    inc.answer_key(culprit=("Service", "billing", "legacy-ledger"), keywords=["ExternalName", "NXDOMAIN", "dc2"],
                   root_cause="billing/legacy-ledger is an ExternalName Service for ledger-01.dc2.corp.example.com, "
                              "a host decommissioned with DC2; CoreDNS returns NXDOMAIN, invoice-api gets getaddrinfo "
                              "ENOTFOUND for every ledger call.",
                   category="externalname-dead-target", red_herrings=[("Deployment", "billing", "dunning-worker")])
    return inc


def _init_done(created: datetime) -> Callable[[dict[str, Any]], None]:
    """The status of an init container that ran to completion when its pod started."""
    def patch(pod: dict[str, Any]) -> None:
        pod["status"]["initContainerStatuses"] = [{
            "name": "wait-for-db", "image": "docker.io/library/busybox:1.36",
            "imageID": o.image_id("docker.io/library/busybox:1.36"), "ready": True, "started": False,
            "restartCount": 0, "lastState": {}, "containerID": o.container_id(pod["metadata"]["name"] + "/init"),
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": ts(created),
                                     "finishedAt": ts(created + timedelta(seconds=2))}}}]
    return patch


# ---- 3: an init container waiting for a Service a chart upgrade renamed -------------------------------
def fulfilment_rollout_stuck() -> Incident:
    """fulfilment's init container waits for Service orders-db, which a chart upgrade renamed orders-postgres.

    A chart upgrade bumps the bundled PostgreSQL subchart; its fullnameOverride is gone, so the
    Service is now warehouse/orders-postgres and orders-db no longer exists. The new fulfilment
    revision sets DB_HOST correctly, but its init container `wait-for-db` still runs
    `until nslookup orders-db...`; busybox prints NXDOMAIN forever and the pods stay Init:0/1. The
    old ReplicaSet keeps serving. Postgres' checkpoint warning is unrelated.
    """
    at = datetime(2026, 11, 19, 10, 5, tzinfo=UTC)
    inc = Incident("fulfilment-rollout-stuck", title="fulfilment rollout not progressing", story="", at=at, seed=403,
                   namespaces=("warehouse",))
    upgraded = at - timedelta(minutes=27)

    def pg_log(h: PodHistory) -> str:
        t0 = at - timedelta(minutes=90)
        out = [(t0 + timedelta(minutes=i * 6), L.postgres(
            t0 + timedelta(minutes=i * 6), "LOG", f"checkpoints are occurring too frequently ({22 + i % 6} seconds "
            "apart)\nHINT:  Consider increasing the configuration parameter \"max_wal_size\".", pid=61))
            for i in range(19)]
        out.append((upgraded + timedelta(seconds=40), L.postgres(upgraded + timedelta(seconds=40), "LOG",
                                                                 "database system is ready to accept connections")))
        return L.lines(sorted(out))

    pg = [c("postgresql", "docker.io/bitnami/postgresql:16.4.0-debian-12-r9", port=5432, readiness_path=None,
            liveness_path=None, memory_limit="2Gi")]
    inc.statefulset("warehouse", "orders-postgres", pg, [P()], upgraded, claims=[("data", "50Gi", "gp3")])
    _set_log(inc, "warehouse", "orders-postgres", pg_log)
    pg_svc = inc.add({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": "orders-postgres", "namespace": "warehouse",
                                   "creationTimestamp": ts(upgraded),
                                   "labels": {"app.kubernetes.io/name": "postgresql",
                                              "app.kubernetes.io/instance": "orders",
                                              "helm.sh/chart": "postgresql-15.5.38"}},
                      "spec": {"type": "ClusterIP", "clusterIP": "10.100.84.17", "selector": {"app": "orders-postgres"},
                               "ports": [{"name": "tcp-postgresql", "port": 5432, "targetPort": 5432,
                                          "protocol": "TCP"}]},
                      "status": {"loadBalancer": {}}})
    _managed(pg_svc, "helm", upgraded, {"f:metadata": {"f:labels": {}}, "f:spec": {"f:ports": {}, "f:selector": {}}})

    init = {"name": "wait-for-db", "image": "docker.io/library/busybox:1.36",
            "command": ["sh", "-c", "until nslookup orders-db.warehouse.svc.cluster.local; do echo waiting for "
                        "orders-db; sleep 2; done"],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}}}
    env_old: list[dict[str, Any]] = [
        {"name": "DB_HOST", "value": "orders-db"}, {"name": "DB_NAME", "value": "orders"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db-credentials", "key": "password"}}}]
    env_new: list[dict[str, Any]] = [{**e, "value": "orders-postgres"} if e["name"] == "DB_HOST" else e
                                     for e in env_old]
    old = [c("fulfilment", f"{REGISTRY}/warehouse/fulfilment:5.2.1", env=env_old)]

    def worker_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=60)), end, 23, lambda i, t: L.spring(
            t, "INFO", "c.e.fulfilment.PickListService", f"pick list PL-{771200 + i} released to wave {i % 12} "
            f"({3 + i % 17} lines)", "scheduling-1")))

    new = [c("fulfilment", f"{REGISTRY}/warehouse/fulfilment:5.3.0", env=env_new)]
    wl = inc.deployment("warehouse", "fulfilment", [
        Rev(7, at - timedelta(days=8), "helm upgrade orders 3.8.2", old, pod_spec={"initContainers": [init]}),
        Rev(8, upgraded, "helm upgrade orders 3.9.0", new, pod_spec={"initContainers": [init]})],
        {7: [P(log=worker_log) for _ in range(3)], 8: [P(created=upgraded + timedelta(seconds=4))]},
        progress="deadline", replicas=4,
        max_surge="25%", max_unavailable="0")
    for h in wl.pods:
        if h.containers[0].image.endswith("5.2.1"):
            inc.cluster.patch("warehouse", h.name, _init_done(h.created))
    stuck = [h for h in wl.pods if h.containers[0].image.endswith("5.3.0")]
    for h in stuck:
        h.ready = lambda t: False
        h.memory = None
        h.logs = {}
        _drop_events(inc, h.name, {"Pulled", "Created", "Started"})
        started = h.created + timedelta(seconds=3)
        fp = "spec.initContainers{wait-for-db}"
        obj = inc.cluster.pod_object(h)
        for reason, msg in (("Pulled", 'Container image "docker.io/library/busybox:1.36" already present on machine'),
                            ("Created", "Created container wait-for-db"), ("Started", "Started container wait-for-db")):
            inc.cluster.add_event(obj, reason, msg, started, started, host=h.node, field_path=fp)

        def init_patch(pod: dict[str, Any], started: datetime = started) -> None:
            st = pod["status"]
            st["phase"] = "Pending"
            st["initContainerStatuses"] = [{
                "name": "wait-for-db", "image": "docker.io/library/busybox:1.36",
                "imageID": o.image_id("docker.io/library/busybox:1.36"), "ready": False, "started": True,
                "restartCount": 0, "state": {"running": {"startedAt": ts(started)}}, "lastState": {},
                "containerID": o.container_id(pod["metadata"]["name"] + "/init")}]
            for cs in st["containerStatuses"]:
                cs.update({"ready": False, "started": False, "restartCount": 0, "lastState": {},
                           "state": {"waiting": {"reason": "PodInitializing"}}})
                cs.pop("containerID", None)
            msg = "containers with incomplete status: [wait-for-db]"
            for cond in st["conditions"]:
                if cond["type"] == "Initialized":
                    cond.update({"status": "False", "reason": "ContainersNotInitialized", "message": msg})
                if cond["type"] in ("Ready", "ContainersReady"):
                    cond.update({"status": "False", "reason": "ContainersNotReady",
                                 "message": "containers with unready status: [fulfilment]"})

        inc.cluster.patch("warehouse", h.name, init_patch)
        text = L.lines(L.ticker(started, inc.captured, 2.1, lambda i, t: (
            "Server:\t\t172.20.0.10\nAddress:\t172.20.0.10:53\n\n** server can't find "
            "orders-db.warehouse.svc.cluster.local: NXDOMAIN\n\n** server can't find "
            "orders-db.warehouse.svc.cluster.local: NXDOMAIN\n\nwaiting for orders-db"))[-120:])
        inc.log_block("warehouse", h.name, "wait-for-db", text)
    inc.secret("warehouse", "orders-db-credentials", {"password": inc.canary("password", "orders-db"),
                                                      "replication-password": inc.canary("password", "repl")})
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "warehouse", "deployment": "fulfilment",
                                                    "condition": "Progressing", "status": "false",
                                                    "job": "kube-state-metrics"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment warehouse/fulfilment is not progressing for longer than 15 minutes on "
                     "cluster prod-eu-west-1.",
                     'kube_deployment_status_condition{condition="Progressing", status="false",'
                     'job="kube-state-metrics"} != 0')
    inc.answer_key(culprit=("Deployment", "warehouse", "fulfilment"),
                   keywords=["wait-for-db", "orders-db", "orders-postgres"],
                   root_cause="fulfilment's init container wait-for-db loops on nslookup orders-db, but the chart "
                              "upgrade renamed the database Service to orders-postgres; the lookup returns NXDOMAIN "
                              "forever and the new pods never leave Init.",
                   category="init-waits-renamed-service",
                   red_herrings=[("StatefulSet", "warehouse", "orders-postgres")])
    return inc


# ---- 4: a batch Deployment given a system-level PriorityClass preempts serving pods --------------------
def search_api_capacity() -> Incident:
    """ml/feature-backfill runs under PriorityClass batch-critical (1000000): the scheduler preempts search-api pods.

    The ML team created PriorityClass batch-critical (value 1000000, PreemptLowerPriority) "so
    the backfill is not starved" and rolled feature-backfill out with three 3-CPU pods. The nodes
    were full; the scheduler evicted the lower-priority (0) search-api pods to make room ("Preempted
    by pod ... on node ..."). Their replacements cannot schedule: Insufficient cpu and no preemption
    victims (everything left has equal or higher priority). metrics-server's scrape timeouts are
    unrelated.
    """
    at = datetime(2026, 11, 20, 15, 25, tzinfo=UTC)
    inc = Incident("search-api-capacity", title="search-api replicas missing", story="", at=at, seed=404,
                   namespaces=("discovery", "ml"))
    rolled = at - timedelta(minutes=21)
    pc = inc.add({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                  "metadata": {"name": "batch-critical", "creationTimestamp": ts(at - timedelta(hours=20)),
                               "labels": {"team": "ml-platform"}},
                  "value": 1000000, "globalDefault": False, "preemptionPolicy": "PreemptLowerPriority",
                  "description": "ML backfills that must not be starved"})
    _managed(pc, "kubectl-client-side-apply", at - timedelta(hours=20), {"f:value": {}, "f:preemptionPolicy": {}})

    def backfill_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(start, end, 37, lambda i, t: L.pylog(
            t, "INFO", "backfill.features", f"partition dt=2026-10-{1 + i % 30:02d} shard {i % 16}/16: "
            f"{120000 + i * 731} rows -> feature_store.user_embeddings_v7")))

    bf = [c("feature-backfill", f"{REGISTRY}/ml/feature-backfill:0.14.2", port=None, cpu_request="3",
            memory_request="6Gi", memory_limit="8Gi")]
    inc.deployment("ml", "feature-backfill", [Rev(1, rolled, "kubectl apply -f backfill.yaml", bf,
                                                  pod_spec={"priorityClassName": "batch-critical",
                                                            "priority": 1000000,
                                                            "preemptionPolicy": "PreemptLowerPriority"})],
                   {1: [P(log=backfill_log, node=NODES[i]) for i in range(3)]})

    def search_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=60)), end, 9, lambda i, t: _zap(
            t, "info", "http/handler.go:64", "query served", q_hash=f"{(i * 2654435761) % 16**8:08x}",
            hits=i % 240, took_ms=18 + i % 23)))

    sc = [c("search-api", f"{REGISTRY}/discovery/search-api:7.3.1", cpu_request="1500m", memory_request="2Gi",
            memory_limit="3Gi")]
    msg = ("0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption "
           "victims found for incoming pod.")
    wl = inc.deployment("discovery", "search-api", [Rev(22, at - timedelta(days=3), "deploy 7.3.1", sc)],
                        {22: [P(log=search_log, node=NODES[3]), P(log=search_log, node=NODES[3]),
                              P(state="pending", message=msg, created=rolled + timedelta(seconds=9)),
                              P(state="pending", message=msg, created=rolled + timedelta(seconds=31)),
                              P(state="pending", message=msg, created=rolled + timedelta(seconds=52))]},
                        replicas=5, max_unavailable="1")
    rs = wl.rs[22]
    victims = [(f"{rs}-{o.suffix(rs + '/victim' + str(i), 5)}", NODES[i]) for i in range(3)]
    backfill = inc.pods_of("ml", "feature-backfill")
    for i, (name, node) in enumerate(victims):
        when = rolled + timedelta(seconds=8 + 22 * i)
        inc.event(_gone("Pod", "discovery", name), "Preempted",
                  f"Preempted by pod {o.uid('pod', 'ml', backfill[i].name)} on node {node}", when,
                  warning=False, component="default-scheduler")
        inc.event(_gone("Pod", "discovery", name), "Killing", "Stopping container search-api", when,
                  warning=False, host=node)

    def ms_log(h: PodHistory) -> str:
        t0 = at - timedelta(minutes=75)
        return L.lines([(t0 + timedelta(minutes=7 * i), L.klog(
            t0 + timedelta(minutes=7 * i), "E", "scraper.go:149",
            f'"Failed to scrape node" err="Get \\"https://10.0.3.13:10250/metrics/resource\\": context deadline '
            f'exceeded" node="{NODES[2]}"')) for i in range(15)])

    _set_log(inc, "kube-system", "metrics-server", ms_log)
    inc.secret("ml", "feature-store-s3", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "fs"),
                                          "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "fs")})
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "discovery", "deployment": "search-api",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment discovery/search-api has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     '(kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_'
                     'available{job="kube-state-metrics"}) and (changes(kube_deployment_status_replicas_updated'
                     '{job="kube-state-metrics"}[10m]) == 0)')
    inc.answer_key(culprit=("Deployment", "ml", "feature-backfill"), keywords=["preempt", "batch-critical", "priority"],
                   root_cause="ml/feature-backfill was rolled out with PriorityClass batch-critical (value 1000000); "
                              "the scheduler preempted three search-api pods to fit it, and their replacements "
                              "cannot schedule (Insufficient cpu, no lower-priority victims).",
                   category="priority-preemption", red_herrings=[("Deployment", "kube-system", "metrics-server")])
    return inc


# ---- 5: a VPA in Auto mode on CPU fighting the HPA that scales on CPU utilisation ----------------------
def quote_latency_page() -> Incident:
    """A VerticalPodAutoscaler (updateMode Auto, controls cpu) was added to quote-engine, which an HPA scales on CPU.

    A cost-optimisation change added VPA pricing/quote-engine-rightsizing in Auto mode. Each time the HPA
    adds pods, per-pod usage drops, the VPA recommends less CPU and its updater evicts pods to
    apply it ("EvictedByVPA"); smaller requests push utilisation over the HPA's target, which
    scales up, and so on. Pods are evicted every few minutes, the replica count swings 3 <-> 9
    and p99 latency spikes on every cold start. The fx-rates stale-feed warning is unrelated.
    """
    at = datetime(2026, 11, 21, 11, 48, tzinfo=UTC)
    inc = Incident("quote-latency-page", title="quote-engine latency page", story="", at=at, seed=405,
                   namespaces=("pricing",))
    added = at - timedelta(hours=2, minutes=10)

    def quote_log(pod: str, start: datetime, end: datetime) -> str:
        out = [(start + timedelta(seconds=1), L.spring(start + timedelta(seconds=1), "INFO",
                                                       "c.e.quote.QuoteEngineApplication",
                                                       "Started QuoteEngineApplication in 38.412 seconds "
                                                       "(process running for 40.9)"))]
        out += L.ticker(start + timedelta(seconds=2), end, 11, lambda i, t: L.spring(
            t, "INFO" if i > 6 else "WARN", "c.e.quote.api.QuoteController",
            f"quote q-{5520000 + i} priced in {1900 - i * 260 if i <= 6 else 140 + i % 60} ms"
            + (" (JIT warm-up)" if i <= 6 else ""), f"http-nio-8080-exec-{1 + i % 10}"))
        return L.lines(out)

    qe = [c("quote-engine", f"{REGISTRY}/pricing/quote-engine:8.1.4", cpu_request="1", memory_request="1536Mi",
            memory_limit="2Gi")]
    pods = [P(log=quote_log, created=at + timedelta(minutes=m)) for m in (-3, 4, 11, 19)]
    wl = inc.deployment("pricing", "quote-engine", [Rev(31, at - timedelta(days=5), "deploy 8.1.4", qe)],
                        {31: pods}, replicas=4)
    requests = ["310m", "270m", "240m", "330m"]
    for h, cpu in zip(wl.pods, requests, strict=True):
        def vpa_patch(pod: dict[str, Any], cpu: str = cpu) -> None:
            pod["metadata"].setdefault("annotations", {}).update({
                "vpaUpdates": "Pod resources updated by quote-engine-rightsizing: container 0: cpu request, "
                              "memory request",
                "vpaObservedContainers": "quote-engine"})
            pod["spec"]["containers"][0]["resources"]["requests"] = {"cpu": cpu, "memory": "1210Mi"}
        inc.cluster.patch("pricing", h.name, vpa_patch)
    rs = wl.rs[31]
    evicted = [f"{rs}-{o.suffix(rs + '/evicted' + str(i), 5)}" for i in range(14)]
    for i, name in enumerate(evicted):
        when = added + timedelta(minutes=8 + 9 * i)
        inc.event(_gone("Pod", "pricing", name), "EvictedByVPA",
                  "Pod was evicted by VPA Updater to apply resource recommendation.", when,
                  warning=False, component="vpa-updater")
    hpa = inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "quote-engine", "namespace": "pricing",
                                "creationTimestamp": ts(at - timedelta(days=200))},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quote-engine"},
                            "minReplicas": 3, "maxReplicas": 12,
                            "metrics": [{"type": "Resource", "resource": {
                                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
                   "status": {"currentReplicas": 4, "desiredReplicas": 9,
                              "lastScaleTime": ts(at + timedelta(minutes=19)),
                              "currentMetrics": [{"type": "Resource", "resource": {
                                  "name": "cpu", "current": {"averageUtilization": 141, "averageValue": "409m"}}}],
                              "conditions": [
                                  {"type": "AbleToScale", "status": "True", "reason": "ScaleDownStabilized",
                                   "message": "recent recommendations were higher than current one, applying the "
                                              "highest recent recommendation",
                                   "lastTransitionTime": ts(at + timedelta(minutes=12))},
                                  {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                                   "message": "the HPA was able to successfully calculate a replica count from cpu "
                                              "resource utilization (percentage of request)",
                                   "lastTransitionTime": ts(at - timedelta(days=200))},
                                  {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange",
                                   "message": "the desired count is within the acceptable range",
                                   "lastTransitionTime": ts(at - timedelta(days=3))}]}})
    sizes = [9, 3, 8, 3, 9, 4, 9, 3]
    for i, n in enumerate(sizes):
        reason = ("cpu resource utilization (percentage of request) above target" if n > 4
                  else "All metrics below target")
        inc.event(hpa, "SuccessfulRescale", f"New size: {n}; reason: {reason}",
                  added + timedelta(minutes=14 + 16 * i), warning=False, component="horizontal-pod-autoscaler")
    _crd(inc, "autoscaling.k8s.io", "verticalpodautoscalers", "VerticalPodAutoscaler", "v1")
    vpa = inc.add({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
                   "metadata": {"name": "quote-engine-rightsizing", "namespace": "pricing",
                                "creationTimestamp": ts(added),
                                "labels": {"finops.example.com/initiative": "rightsizing-q4"}},
                   "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quote-engine"},
                            "updatePolicy": {"updateMode": "Auto", "minReplicas": 2},
                            "resourcePolicy": {"containerPolicies": [{
                                "containerName": "*", "controlledResources": ["cpu", "memory"],
                                "minAllowed": {"cpu": "100m", "memory": "512Mi"}}]}},
                   "status": {"conditions": [{"type": "RecommendationProvided", "status": "True",
                                              "lastTransitionTime": ts(added + timedelta(minutes=2))}],
                              "recommendation": {"containerRecommendations": [{
                                  "containerName": "quote-engine", "target": {"cpu": "247m", "memory": "1210Mi"},
                                  "lowerBound": {"cpu": "163m", "memory": "1040Mi"},
                                  "upperBound": {"cpu": "1310m", "memory": "2210Mi"},
                                  "uncappedTarget": {"cpu": "247m", "memory": "1210Mi"}}]}}})
    _managed(vpa, "argocd-controller", added, {"f:spec": {"f:updatePolicy": {}, "f:resourcePolicy": {}}},
             operation="Apply")

    def sizes_at(t: datetime) -> float:
        if t < added + timedelta(minutes=14):
            return 4.0
        return float(sizes[min(len(sizes) - 1, int((t - added - timedelta(minutes=14)).total_seconds() // 960))])

    lab = {"namespace": "pricing", "horizontalpodautoscaler": "quote-engine", "job": "kube-state-metrics"}
    inc.series("kube_horizontalpodautoscaler_status_desired_replicas", "gauge",
               "Desired number of replicas of pods managed by this autoscaler.", lab, sizes_at)
    inc.series("kube_pod_container_resource_requests", "gauge", "The number of requested request resource by a "
               "container.", {"namespace": "pricing", "container": "quote-engine", "resource": "cpu", "unit": "core",
                              "pod": wl.pods[0].name, "job": "kube-state-metrics"},
               lambda t: None if t < wl.pods[0].created else 0.31)
    inc.series("http_server_requests_seconds", "gauge", "p99 latency of quote requests (recording rule).",
               {"namespace": "pricing", "service": "quote-engine", "quantile": "0.99"},
               lambda t: 0.18 if t < added + timedelta(minutes=8) else (2.4 if (t.minute % 9) < 3 else 0.35))

    def fx_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=90)), end, 300, lambda i, t: L.spring(
            t, "WARN", "c.e.fx.EcbRateFeed", "ECB reference rates stale (age 26h12m); serving cached EUR rates",
            "feed-poller")))

    inc.deployment("pricing", "fx-rates", [Rev(6, at - timedelta(days=30), "deploy 2.0.3",
                                               [c("fx-rates", f"{REGISTRY}/pricing/fx-rates:2.0.3")])],
                   {6: [P(log=fx_log)]})
    inc.secret("pricing", "quote-engine-partners", {"PARTNER_API_KEY": inc.canary("stripe", "partner"),
                                                    "SLACK_WEBHOOK_TOKEN": inc.canary("slack", "alerts")})
    inc.pagerduty("[FIRING:1] QuoteEngineLatencyHigh pricing (quote-engine p99 > 1.5s)", "pricing-quote-engine")
    inc.answer_key(culprit=("VerticalPodAutoscaler", "pricing", "quote-engine-rightsizing"),
                   keywords=["VPA", "HPA", "evict"],
                   root_cause="A VPA in Auto mode controlling cpu was added to quote-engine, which an HPA scales on "
                              "CPU utilisation; the VPA updater keeps evicting pods to lower their cpu requests while "
                              "the HPA rescales, so pods churn and cold starts spike latency.",
                   category="vpa-hpa-conflict", red_herrings=[("Deployment", "pricing", "fx-rates")])
    return inc


# ---- 6: a CNI add-on update drops the pod MTU set for the VPN path -------------------------------------
def report_exports_hanging() -> Incident:
    """An EKS add-on update (OVERWRITE) reset aws-node and dropped POD_MTU=1380; big replies over the VPN hang.

    The platform team had set POD_MTU=1380 on the aws-node DaemonSet because traffic to the on-prem
    warehouse crosses a site-to-site VPN whose firewall drops ICMP (no path-MTU discovery). This
    morning's vpc-cni add-on update overwrote the DaemonSet with the add-on defaults; pods sandboxed
    since then get a 9001-byte MTU. report-api 4.12.0 happened to roll out right after: its small
    queries work, every large result set from dwh.corp.example.com stalls until the socket times
    out. The 4.12.0 release itself is unrelated.
    """
    at = datetime(2026, 11, 22, 8, 40, tzinfo=UTC)
    inc = Incident("report-exports-hanging", title="report-api availability burn", story="", at=at, seed=406,
                   namespaces=("reports",))
    updated = at - timedelta(minutes=58)
    deployed = at - timedelta(minutes=41)
    ds = inc.find("DaemonSet", "kube-system", "aws-node")
    image = "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.0-eksbuild.1"
    ds["spec"]["template"]["spec"]["containers"][0].update({"image": image, "env": [
        {"name": "AWS_VPC_ENI_MTU", "value": "9001"}, {"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG"},
        {"name": "AWS_VPC_K8S_CNI_EXTERNALSNAT", "value": "false"}, {"name": "ENABLE_PREFIX_DELEGATION",
                                                                     "value": "false"},
        {"name": "WARM_ENI_TARGET", "value": "1"}, {"name": "ENABLE_POD_ENI", "value": "false"}]})
    ds["metadata"]["generation"] = 7
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "7"
    ds["metadata"]["labels"].update({"app.kubernetes.io/managed-by": "eks", "app.kubernetes.io/version": "v1.19.0"})
    ds["status"]["observedGeneration"] = 7
    template = ds["spec"]["template"]
    previous = json.loads(json.dumps(template))
    previous["spec"]["containers"][0].update({
        "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.5-eksbuild.1",
        "env": [*template["spec"]["containers"][0]["env"], {"name": "POD_MTU", "value": "1380"}]})
    for number, tpl, when in ((6, previous, at - timedelta(days=96)), (7, template, updated)):
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                 "metadata": {"name": f"aws-node-{o.suffix('aws-node' + str(number), 10)}", "namespace": "kube-system",
                              "creationTimestamp": ts(when), "labels": {"app": "aws-node"},
                              "annotations": {"deprecated.daemonset.template.generation": str(number)},
                              "ownerReferences": [o.owner_ref("DaemonSet", "aws-node", "kube-system")]},
                 "data": {"spec": {"template": {**tpl, "$patch": "replace"}}}, "revision": number})
    _managed(ds, "eks", updated, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"aws-node"}': {"f:env": {}, "f:image": {}}}}}}}, operation="Apply")
    for i, h in enumerate(inc.pods_of("kube-system", "aws-node")):
        h.created = updated + timedelta(seconds=20 + 45 * i)
        h.states[0].started_at = h.created + timedelta(seconds=4)
        h.containers = [o.Container(name="aws-node", image=image, memory_limit="128Mi", memory_request="32Mi",
                                    cpu_request="50m", port=None)]
        h.logs = {"aws-node": L.lines([
            (h.created + timedelta(seconds=5), _zap(h.created + timedelta(seconds=5), "info",
                                                    "aws-k8s-agent/main.go:42",
                                                    "Starting L-IPAMD v1.19.0-eksbuild.1 ...")),
            (h.created + timedelta(seconds=6), _zap(h.created + timedelta(seconds=6), "info",
                                                    "ipamd/ipamd.go:483", "Setting up host network... ")),
            (h.created + timedelta(seconds=7), _zap(h.created + timedelta(seconds=7), "info",
                                                    "networkutils/network.go:412", "Setting MTU of primary ENI "
                                                    "to 9001")),
            (h.created + timedelta(seconds=9), _zap(h.created + timedelta(seconds=9), "info",
                                                    "aws-k8s-agent/main.go:63",
                                                    "Serving RPC Handler on 127.0.0.1:50051"))])}
        inc.event(ds, "SuccessfulCreate", f"Created pod: {h.name}", h.created, warning=False,
                  component="daemonset-controller")

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        out = [(start + timedelta(seconds=2), f"[{start:%Y-%m-%d %H:%M:%S} +0000] [1] [INFO] Starting gunicorn 23.0.0"),
               (start + timedelta(seconds=2), f"[{start:%Y-%m-%d %H:%M:%S} +0000] [1] [INFO] Listening at: "
                                              "http://0.0.0.0:8080 (1)")]

        def line(i: int, t: datetime) -> str:
            if i % 5 == 4:
                report = ("monthly_margin", "sku_velocity", "ledger_recon")[i % 3]
                return (L.pylog(t, "ERROR", "reports.export", f"export {report} failed after 127.4s: consuming "
                                "input failed: could not receive data from server: Connection timed out")
                        + f"\n[{t:%Y-%m-%d %H:%M:%S} +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:{30 + i})")
            return L.pylog(t, "INFO", "reports.api", f"GET /v1/reports/summary?team={['eu', 'uk', 'de'][i % 3]} 200 "
                           f"rows={12 + i % 40} in {71 + i % 50}ms")
        out += L.ticker(start + timedelta(seconds=30 + _k(pod) % 20), end, 26 + _k(pod) % 5, line)
        return L.lines(out)

    old = [c("report-api", f"{REGISTRY}/reports/report-api:4.11.3", env=[
        {"name": "DWH_DSN", "value": "postgresql://reports@dwh.corp.example.com:5432/warehouse?sslmode=require"}])]
    new = [c("report-api", f"{REGISTRY}/reports/report-api:4.12.0", env=old[0].env)]
    inc.deployment("reports", "report-api", [Rev(40, at - timedelta(days=11), "deploy 4.11.3", old),
                                             Rev(41, deployed, "deploy 4.12.0: per-team summary endpoint", new)],
                   {41: [P(log=api_log) for _ in range(3)]})
    inc.service("reports", "report-api", {"app": "report-api"})
    nodes = inc.node_names()
    for i, n in enumerate(nodes):
        for j, dev in enumerate((f"eni{o.suffix(n + 'a', 11)}", f"eni{o.suffix(n + 'b', 11)}")):
            fresh = j == 1 and i < 3
            inc.series("node_network_mtu_bytes", "gauge", "Network device property: mtu_bytes",
                       {"instance": f"10.0.{i + 1}.{11 + i}:9100", "job": "node-exporter", "device": dev,
                        "node": n}, lambda t, fresh=fresh: (9001.0 if t >= deployed else None) if fresh else 1380.0)
        inc.series("node_netstat_Tcp_RetransSegs", "gauge", "Statistic TcpRetransSegs.",
                   {"instance": f"10.0.{i + 1}.{11 + i}:9100", "job": "node-exporter", "node": n},
                   lambda t, i=i: 1.0e6 + i * 3e4 + (t - at).total_seconds() * (4 if t < deployed else 95))
    inc.secret("reports", "dwh-credentials", {"password": inc.canary("password", "dwh"),
                                              "DWH_READONLY_TOKEN": inc.canary("jwt", "dwh-ro")})
    inc.slo_burn("report-api", "reports", "report-api-availability", "99.5%", 15.2,
                 "report-api is returning 5xx for 11% of requests over the last 5m (504 from ingress on /v1/export).")
    inc.answer_key(culprit=("DaemonSet", "kube-system", "aws-node"), keywords=["MTU", "POD_MTU", "VPN"],
                   root_cause="The vpc-cni add-on update overwrote the aws-node DaemonSet and dropped POD_MTU=1380; "
                              "pods created since get a 9001 MTU, and large replies over the VPN to the on-prem "
                              "warehouse are dropped (no path-MTU discovery), so exports hang.",
                   category="pod-mtu-reset", red_herrings=[("Deployment", "reports", "report-api")])
    return inc


# ---- 7: imagePullPolicy Always on a mutable tag: rescheduled pods pull a different image ---------------
def price_sync_crashloop() -> Incident:
    """price-sync runs the mutable tag `stable` with imagePullPolicy Always; CI re-pushed `stable` with a broken build.

    Nothing in the Deployment changed for two weeks. Last night CI's "promote" job re-tagged a
    slimmed build (no libpq) as price-sync:stable. This morning cluster-autoscaler scaled a node
    down; the two pods it drained were recreated, pulled `stable` again (Always) and got the new
    digest: ImportError libpq.so.5, CrashLoopBackOff. The two pods that were not moved still run
    the old digest. Catalog's Hikari timeout is unrelated.
    """
    at = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)
    inc = Incident("price-sync-crashloop", title="price-sync pods crash looping", story="", at=at, seed=407,
                   namespaces=("merch",))
    moved = at - timedelta(minutes=14)
    image = f"{REGISTRY}/merch/price-sync:stable"
    old_digest = "sha256:5b0e5a9d3cbb27d4bd1f1f8a4f4b3a2f6f04e52d9d1f61e9b0c7b7f03a0d3c11"
    new_digest = "sha256:c91f3e7a0b52d8846e1b0a6f9a2c3de4b8f7a1e0c5d6b9f2a3e4d5c6b7a8f9e0"

    def ok_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=60)), end, 31, lambda i, t: L.pylog(
            t, "INFO", "price_sync.worker", f"synced {40 + i % 90} price changes from PIM batch b-{771000 + i}")))

    def bad_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(start + timedelta(seconds=1), "Traceback (most recent call last):\n"
                         '  File "/app/price_sync/__main__.py", line 4, in <module>\n'
                         "    from price_sync.worker import main\n"
                         '  File "/app/price_sync/worker.py", line 9, in <module>\n'
                         "    import psycopg2\n"
                         '  File "/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py", line 51, in <module>\n'
                         "    from psycopg2._psycopg import (                     # noqa\n"
                         "ImportError: libpq.so.5: cannot open shared object file: No such file or directory")])

    ctr = [c("price-sync", image, port=None, memory_limit="512Mi")]
    wl = inc.deployment("merch", "price-sync", [Rev(3, at - timedelta(days=14), "deploy price-sync:stable", ctr,
                                                    container={"imagePullPolicy": "Always"})],
                        {3: [P(log=ok_log, created=at - timedelta(days=9, hours=3)),
                             P(log=ok_log, created=at - timedelta(days=9, hours=3, minutes=-1)),
                             P(state="crashloop", log=bad_log, exit_code=1, run_s=lambda n: 2.0,
                               created=moved + timedelta(seconds=3), node=NODES[0]),
                             P(state="crashloop", log=bad_log, exit_code=1, run_s=lambda n: 2.0,
                               created=moved + timedelta(seconds=5), node=NODES[2])]})
    for h in wl.pods:
        digest = old_digest if h.created < moved else new_digest

        def digest_patch(pod: dict[str, Any], digest: str = digest) -> None:
            for cs in pod["status"]["containerStatuses"]:
                cs["imageID"] = f"{REGISTRY}/merch/price-sync@{digest}"
        inc.cluster.patch("merch", h.name, digest_patch)
        if h.created < moved:
            continue
        _drop_events(inc, h.name, {"Pulled"})
        obj = inc.cluster.pod_object(h)
        fp = "spec.containers{price-sync}"
        n = len(h.restart_times) + 1
        inc.cluster.add_event(obj, "Pulling", f'Pulling image "{image}"', h.created + timedelta(seconds=2),
                              inc.captured - timedelta(minutes=1), count=n, host=h.node, field_path=fp)
        inc.cluster.add_event(obj, "Pulled", f'Successfully pulled image "{image}" in 412ms (412ms including '
                              "waiting). Image size: 61873204 bytes.", h.created + timedelta(seconds=3),
                              inc.captured - timedelta(minutes=1), count=n, host=h.node, field_path=fp)
        inc.cluster.add_event(obj, "Pulled", f'Successfully pulled image "{image}" in 2.871s (2.871s including '
                              "waiting). Image size: 61873204 bytes.", h.created + timedelta(seconds=5),
                              h.created + timedelta(seconds=5), host=h.node, field_path=fp)
    rs = wl.rs[3]
    for i in range(2):
        gone = f"{rs}-{o.suffix(rs + '/drained' + str(i), 5)}"
        inc.event(_gone("Pod", "merch", gone), "ScaleDown", "deleting pod for node scale down", moved,
                  warning=False, component="cluster-autoscaler")
        inc.event(inc.find("ReplicaSet", "merch", rs), "SuccessfulCreate", f"Created pod: {wl.pods[2 + i].name}",
                  moved + timedelta(seconds=3 + 2 * i), warning=False, component="replicaset-controller")
    inc.event(_gone("Node", "", "ip-10-0-5-24.eu-west-1.compute.internal"), "ScaleDown",
              "marked the node as toBeDeleted/unschedulable", moved - timedelta(seconds=30), warning=False,
              component="cluster-autoscaler")

    def catalog_herring(h: PodHistory) -> str:
        t = at - timedelta(minutes=37)
        return L.lines([(t, L.spring(t, "WARN", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                                     "SQL Error: 0, SQLState: 08001", "http-nio-8080-exec-7")),
                        (t, L.spring(t, "ERROR", "o.h.engine.jdbc.spi.SqlExceptionHelper",
                                     "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
                                     "http-nio-8080-exec-7"))])

    _set_log(inc, "shop", "catalog", catalog_herring)
    inc.secret("merch", "price-sync-db", {"DATABASE_URL": "postgresql://price_sync:" + inc.canary(
        "password", "pim-db") + "@pim-db.merch:5432/pim", "PIM_API_TOKEN": inc.canary("token", "pim")})
    inc.alertmanager("KubePodCrashLooping", {"namespace": "merch", "pod": wl.pods[2].name, "container": "price-sync",
                                             "reason": "CrashLoopBackOff", "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f'Pod merch/{wl.pods[2].name} (price-sync) is in waiting state (reason: "CrashLoopBackOff") '
                     "on cluster prod-eu-west-1.",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "merch", "price-sync"), keywords=["stable", "digest", "imagePullPolicy"],
                   root_cause="price-sync uses the mutable tag stable with imagePullPolicy Always; CI re-pushed "
                              "stable with a build lacking libpq, so pods recreated after a node scale-down pulled "
                              "the new digest and crash on ImportError while the older pods run the old digest.",
                   category="mutable-tag-repulled", red_herrings=[("Deployment", "shop", "catalog")])
    return inc


# ---- 8: a namespace LimitRange's default memory limit lands on a template that set none ---------------
def report_builder_restarts() -> Incident:
    """A new LimitRange in analytics defaults every container without limits to 256Mi; report-builder needs ~900Mi.

    report-builder's template never set resources. Yesterday the platform baseline added LimitRange
    analytics/default-container-limits (default memory 256Mi, request 128Mi). Nothing happened
    until today's routine config rollout recreated the pods: admission filled in the defaults
    (annotation "LimitRanger plugin set: ...") and the pandas job is OOMKilled loading its first
    partition. The grafana datasource error is unrelated.
    """
    at = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    inc = Incident("report-builder-restarts", title="report-builder restarting", story="", at=at, seed=408,
                   namespaces=("analytics",))
    baseline = at - timedelta(hours=19)
    rolled = at - timedelta(minutes=9)
    lr = inc.add({"apiVersion": "v1", "kind": "LimitRange",
                  "metadata": {"name": "default-container-limits", "namespace": "analytics",
                               "creationTimestamp": ts(baseline),
                               "labels": {"app.kubernetes.io/managed-by": "argocd",
                                          "platform.example.com/baseline": "v3"}},
                  "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
                                       "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                                       "max": {"memory": "8Gi"}}]}})
    _managed(lr, "argocd-controller", baseline, {"f:spec": {"f:limits": {}}}, operation="Apply")

    def oom_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([
            (start + timedelta(seconds=1), L.pylog(start + timedelta(seconds=1), "INFO", "report_builder",
                                                   "report-builder 2.9.1 starting; REPORT_TZ=Europe/Amsterdam")),
            (start + timedelta(seconds=2), L.pylog(start + timedelta(seconds=2), "INFO", "report_builder.load",
                                                   "loading fact_orders partition 2026-11 (1,942,118 rows) into "
                                                   "DataFrame")),
            (start + timedelta(seconds=9), L.pylog(start + timedelta(seconds=9), "INFO", "report_builder.load",
                                                   "joined dim_customer (381,004 rows)"))])

    ctr = [c("report-builder", f"{REGISTRY}/analytics/report-builder:2.9.1", port=None, memory_limit="256Mi",
             memory_request="128Mi", cpu_request="100m", cpu_limit="500m")]
    wl = inc.deployment("analytics", "report-builder", [
        Rev(17, at - timedelta(days=20), "deploy 2.9.1", ctr),
        Rev(18, rolled, "config: REPORT_TZ=Europe/Amsterdam", ctr)],
        {18: [P(state="crashloop", reason="OOMKilled", exit_code=137, log=oom_log, run_s=lambda n: 14.0,
                memory_mi=110) for _ in range(2)]}, progress="progressing", replicas=2)
    for rs in wl.rs.values():
        spec = inc.find("ReplicaSet", "analytics", rs)["spec"]["template"]["spec"]["containers"][0]
        spec["resources"] = {}
    wl.obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    for h in wl.pods:
        h.annotations["kubernetes.io/limit-ranger"] = ("LimitRanger plugin set: cpu, memory request for container "
                                                       "report-builder; cpu, memory limit for container "
                                                       "report-builder")
    old_pod = f"{wl.rs[17]}-{o.suffix(wl.rs[17] + '/old', 5)}"
    inc.series("container_memory_working_set_bytes", "gauge", "Current working set of the container in bytes.",
               {"namespace": "analytics", "pod": old_pod, "container": "report-builder", "job": "kubelet"},
               lambda t: None if t >= rolled + timedelta(seconds=40) else (640 + 270 * ((t.minute % 4) / 3)) * 2**20)
    inc.pod_series(wl.pods)

    def grafana_herring(h: PodHistory) -> str:
        t0 = at - timedelta(minutes=80)
        return L.lines([(t0 + timedelta(minutes=10 * i), L.logfmt(
            t0 + timedelta(minutes=10 * i), "error", "Alert rule evaluation failed", logger="ngalert.scheduler",
            rule_uid="fe1b7c2a", org_id=1, error="datasource analytics-clickhouse not found")) for i in range(12)])

    _set_log(inc, "monitoring", "grafana", grafana_herring)
    inc.secret("analytics", "warehouse-reader", {"CLICKHOUSE_PASSWORD": inc.canary("password", "clickhouse"),
                                                 "S3_SECRET": inc.canary("aws-secret", "exports")})
    inc.pagerduty("[FIRING:1] KubePodCrashLooping analytics (report-builder)", "analytics-reporting")
    inc.answer_key(culprit=("LimitRange", "analytics", "default-container-limits"),
                   keywords=["LimitRange", "default", "256Mi"],
                   root_cause="LimitRange analytics/default-container-limits gives containers without limits a "
                              "default memory limit of 256Mi; report-builder sets none, so its recreated pods got "
                              "256Mi and are OOMKilled loading data that needs ~900Mi.",
                   category="limitrange-default-limit", red_herrings=[("Deployment", "monitoring", "grafana")])
    return inc


# ---- 9: a retention change fills OpenSearch to the flood-stage watermark -------------------------------
def audit_events_dropped() -> Incident:
    """Audit retention raised from 7 to 90 days in curator-config; OpenSearch passes flood stage, indices go read-only.

    Twelve days ago a compliance request raised the audit index retention in ConfigMap
    logging/curator-config from 7 to 90 days without resizing the 200Gi data volumes. The disks
    filled a few percent a day; this morning every data node passed the 95% flood-stage watermark
    and OpenSearch put a read-only-allow-delete block on the indices. audit-writer's bulk requests
    now fail with cluster_block_exception (429). The dashboards' Chromium warning is unrelated.
    """
    at = datetime(2026, 11, 25, 9, 5, tzinfo=UTC)
    inc = Incident("audit-events-dropped", title="audit pipeline alerts", story="", at=at, seed=409,
                   namespaces=("logging", "identity"))
    flood = at - timedelta(minutes=24)
    edited = at - timedelta(days=12, hours=3)
    cm = inc.configmap("logging", "curator-config", {
        "action_file.yml": "actions:\n  1:\n    action: delete_indices\n    description: drop audit indices past "
                           "retention\n    options:\n      ignore_empty_list: true\n    filters:\n    - filtertype: "
                           "pattern\n      kind: prefix\n      value: audit-\n    - filtertype: age\n      source: "
                           "name\n      direction: older\n      timestring: '%Y.%m.%d'\n      unit: days\n      "
                           "unit_count: 90\n",
        "config.yml": "client:\n  hosts: [opensearch.logging.svc]\n  port: 9200\n  use_ssl: true\n"},
        at=at - timedelta(days=300))
    cm["metadata"]["annotations"] = {"compliance.example.com/ticket": "SEC-1182 keep audit trail 90 days"}
    _managed(cm, "kubectl-edit", edited, {"f:data": {"f:action_file.yml": {}},
                                          "f:metadata": {"f:annotations": {}}})
    inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
             "metadata": {"name": "index-curator", "namespace": "logging",
                          "creationTimestamp": ts(at - timedelta(days=300))},
             "spec": {"schedule": "15 1 * * *", "concurrencyPolicy": "Forbid", "suspend": False,
                      "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                      "jobTemplate": {"spec": {"template": {"spec": {
                          "restartPolicy": "Never",
                          "containers": [{"name": "curator", "image": "docker.io/bitnami/elasticsearch-curator:"
                                          "5.8.4-debian-11-r120", "args": ["--config", "/etc/curator/config.yml",
                                                                           "/etc/curator/action_file.yml"],
                                          "volumeMounts": [{"name": "config", "mountPath": "/etc/curator"}]}],
                          "volumes": [{"name": "config", "configMap": {"name": "curator-config"}}]}}}}},
             "status": {"lastScheduleTime": ts(at.replace(hour=1, minute=15)),
                        "lastSuccessfulTime": ts(at.replace(hour=1, minute=16))}})
    node_ids = {0: "Xy7kQm2pR0uVn3aL1bC9dw", 1: "hT4sWe8ZqY6rB2nM5kP0vA", 2: "pL9cJ3xF7gH1dK5mN8qR2s"}

    def os_log(idx: int) -> Callable[[str, datetime, datetime], str]:
        def make(pod: str, start: datetime, end: datetime) -> str:
            def stamp(t: datetime) -> str:
                return f"[{t:%Y-%m-%dT%H:%M:%S},{t.microsecond // 1000:03d}]"
            out = L.ticker(max(start, at - timedelta(minutes=90)), flood, 300, lambda i, t: (
                f"{stamp(t)}[WARN ][o.o.c.r.a.DiskThresholdMonitor] [{pod}] high disk watermark [90%] exceeded on "
                f"[{node_ids[idx]}][{pod}][/usr/share/opensearch/data/nodes/0] free: {13.1 - i * 0.2:.1f}gb"
                f"[{6.5 - i * 0.1:.1f}%], shards will be relocated away from this node"))
            out += L.ticker(flood, end, 30, lambda i, t: (
                f"{stamp(t)}[WARN ][o.o.c.r.a.DiskThresholdMonitor] [{pod}] flood stage disk watermark [95%] "
                f"exceeded on [{node_ids[idx]}][{pod}][/usr/share/opensearch/data/nodes/0] free: 9.{8 - i % 3}gb"
                "[4.9%], all indices on this node will be marked read-only"))
            return L.lines(out)
        return make

    search = [c("opensearch", "docker.io/opensearchproject/opensearch:2.17.1", port=9200, readiness_path=None,
                liveness_path=None, memory_limit="8Gi", memory_request="8Gi")]
    sts = inc.statefulset("logging", "opensearch", search, [P(log=os_log(i)) for i in range(3)],
                          at - timedelta(days=120), claims=[("data", "200Gi", "gp3")], service=9200)
    for h in sts.pods:
        pvc = f"data-{h.name}"
        base = {"namespace": "logging", "persistentvolumeclaim": pvc, "job": "kubelet",
                "metrics_path": "/metrics"}
        inc.series("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume", dict(base),
                   lambda t: 214748364800.0)
        inc.series("kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume",
                   dict(base),
                   lambda t: 214748364800.0 * (0.066 - 0.017 * max(0.0, min(1.0, (t - at + timedelta(hours=2))
                                                                            / timedelta(hours=2)))))

    def writer_log(pod: str, start: datetime, end: datetime) -> str:
        out = L.ticker(max(start, at - timedelta(minutes=70)), flood, 19, lambda i, t: _zap(
            t, "info", "sink/opensearch.go:118", "bulk flushed", index=f"audit-{at:%Y.%m.%d}", docs=500 + i % 120))
        reason = (f"index [audit-{at:%Y.%m.%d}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage "
                  "watermark, index has read-only-allow-delete block];")
        out += L.ticker(flood + timedelta(seconds=4 + _k(pod) % 7), end, 7, lambda i, t: _zap(
            t, "error", "sink/opensearch.go:131", "bulk request rejected, dropping batch", status=429,
            error_type="cluster_block_exception", reason=reason, dropped=500 + i % 90))
        return L.lines(out)

    inc.deployment("identity", "audit-writer", [Rev(12, at - timedelta(days=18), "deploy 1.7.2",
                                                    [c("audit-writer", f"{REGISTRY}/identity/audit-writer:1.7.2")])],
                   {12: [P(log=writer_log), P(log=writer_log)]})

    def dash_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=80)), end, 600, lambda i, t: json.dumps({
            "type": "log", "@timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "tags": ["warning", "plugins",
                                                                                  "reportsDashboards"],
            "pid": 1, "message": "Failed to launch Chromium: libnss3.so: cannot open shared object file: No such "
                                 "file or directory; PDF reports disabled"})))

    inc.deployment("logging", "opensearch-dashboards", [Rev(4, at - timedelta(days=40), "helm upgrade 2.17.1", [
        c("opensearch-dashboards", "docker.io/opensearchproject/opensearch-dashboards:2.17.1", port=5601)])],
        {4: [P(log=dash_log)]})
    inc.secret("logging", "opensearch-admin", {"password": inc.canary("password", "os-admin"),
                                               "snapshot-s3-key": inc.canary("aws", "snap")})
    alerts = []
    for h in sts.pods:
        pvc = f"data-{h.name}"
        labels = {"alertname": "KubePersistentVolumeFillingUp", "namespace": "logging",
                  "persistentvolumeclaim": pvc, "job": "kubelet", "metrics_path": "/metrics",
                  "severity": "warning", **KP}
        alerts.append(am.alert(labels, {
            "summary": "PersistentVolume is filling up.",
            "description": f"Based on recent sampling, the PersistentVolume claimed by {pvc} in Namespace logging "
                           "on Cluster prod-eu-west-1 is expected to fill up within four days. Currently 4.9% is "
                           "available.",
            "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepersistentvolumefillingup"},
            at - timedelta(minutes=40), f'(kubelet_volume_stats_available_bytes{{job="kubelet",namespace="logging",'
            f'persistentvolumeclaim="{pvc}"}} / kubelet_volume_stats_capacity_bytes) < 0.15 and predict_linear('
            'kubelet_volume_stats_available_bytes[6h], 4 * 24 * 3600) < 0'))
    alerts.append(am.alert({"alertname": "AuditEventsDropped", "namespace": "identity", "service": "audit-writer",
                            "severity": "critical", "team": "identity", **KP},
                           {"summary": "audit-writer is dropping audit events",
                            "description": "audit-writer dropped 41,220 events in the last 15m "
                                           "(audit_writer_dropped_total)."},
                           at + timedelta(minutes=2), "sum(increase(audit_writer_dropped_total[15m])) > 0"))
    _grouped(inc, alerts, ["cluster"])
    inc.answer_key(culprit=("ConfigMap", "logging", "curator-config"), keywords=["retention", "watermark", "read-only"],
                   root_cause="curator-config's audit retention was raised from 7 to 90 days without growing the "
                              "OpenSearch volumes; the data disks passed the 95% flood-stage watermark and OpenSearch "
                              "made the indices read-only, so audit-writer's bulk writes are rejected.",
                   category="search-flood-watermark",
                   red_herrings=[("Deployment", "logging", "opensearch-dashboards")])
    return inc


# ---- 10: a consumer left scaled to zero; RabbitMQ's memory alarm blocks every publisher -----------------
def checkout_orders_hanging() -> Incident:
    """order-events-consumer was left scaled to 0 after a DB maintenance; RabbitMQ's memory alarm blocks publishers.

    At 06:10 someone ran `kubectl scale --replicas=0` on orders/order-events-consumer for a
    database maintenance window and forgot it. The order-events queue grew for three hours until
    the broker passed vm_memory_high_watermark and raised its memory alarm; RabbitMQ now blocks
    every publishing connection (connection.blocked "low on memory"), so order-api's publishes
    hang and checkout requests time out. fraud-check's circuit breaker noise is unrelated.
    """
    at = datetime(2026, 11, 26, 9, 22, tzinfo=UTC)
    inc = Incident("checkout-orders-hanging", title="order-api latency page", story="", at=at, seed=410,
                   namespaces=("orders", "messaging"))
    scaled = at - timedelta(hours=3, minutes=12)
    alarm = at - timedelta(minutes=6)
    node = "rabbit@rabbitmq-0.rabbitmq-nodes.messaging"

    def rabbit_log(pod: str, start: datetime, end: datetime) -> str:
        def r(t: datetime, level: str, msg: str, pid: str = "<0.482.0>") -> str:
            return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}+00:00 [{level}] {pid} {msg}"
        out = L.ticker(max(start, at - timedelta(minutes=90)), alarm, 240, lambda i, t: r(
            t, "info", f"accepting AMQP connection <0.{9100 + i}.0> (10.244.2.{40 + i % 9}:{51000 + i} -> "
            "10.244.1.77:5672)", f"<0.{9100 + i}.0>"))
        out.append((alarm, r(alarm, "info", "vm_memory_high_watermark set. Memory used:3436101632 allowed:3435973836",
                             "<0.255.0>")))
        out.append((alarm, r(alarm, "warning", f"memory resource limit alarm set on node '{node}'.\n"
                             "\n**********************************************************\n"
                             "*** Publishers will be blocked until this alarm clears ***\n"
                             "**********************************************************", "<0.255.0>")))
        return L.lines(out)

    rmq = [c("rabbitmq", "docker.io/library/rabbitmq:3.13.7-management", port=5672, readiness_path=None,
             liveness_path=None, memory_limit="4Gi", memory_request="4Gi")]
    inc.statefulset("messaging", "rabbitmq", rmq, [P(log=rabbit_log, memory_mi=3300)], at - timedelta(days=90),
                    claims=[("data", "20Gi", "gp3")], service=5672)
    consumer = [c("order-events-consumer", f"{REGISTRY}/orders/order-events-consumer:2.4.0", port=None)]
    wl = inc.deployment("orders", "order-events-consumer",
                        [Rev(9, at - timedelta(days=16), "deploy 2.4.0", consumer)], {9: []}, replicas=0)
    wl.obj["spec"]["replicas"] = 0
    _managed(wl.obj, "kubectl", scaled, {"f:spec": {"f:replicas": {}}}, subresource="scale")
    inc.event(wl.obj, "ScalingReplicaSet", f"Scaled down replica set {wl.rs[9]} to 0 from 3", scaled, warning=False,
              component="deployment-controller")
    for i in range(3):
        gone = f"{wl.rs[9]}-{o.suffix(wl.rs[9] + str(i), 5)}"
        inc.event(_gone("Pod", "orders", gone), "Killing", "Stopping container order-events-consumer",
                  scaled + timedelta(seconds=1), warning=False, host=NODES[i])

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        k = _k(pod)
        first = max(start, at - timedelta(minutes=60)) + timedelta(seconds=k % 14)
        out = L.ticker(first, alarm, 14, lambda i, t: L.spring(
            t, "INFO", "c.e.orders.api.OrderController", f"order O-{6617000 + 3 * i + k % 3} accepted, event "
            "published", f"http-nio-8080-exec-{1 + i % 20}"))
        out += [(alarm + timedelta(seconds=1), L.spring(
            alarm + timedelta(seconds=1), "WARN", "c.e.orders.events.BrokerListener",
            "AMQP connection blocked by broker: low on memory", "AMQP Connection 10.244.1.77:5672"))]
        out += L.ticker(alarm + timedelta(seconds=31 + k % 9), end, 9, lambda i, t: L.spring(
            t, "ERROR", "c.e.orders.api.OrderController", f"order O-{6618000 + 3 * i + k % 3} failed: publish to "
            "exchange orders.events timed out after 30000 ms (connection blocked)", f"http-nio-8080-exec-{1 + i % 20}"))
        return L.lines(out)

    inc.deployment("orders", "order-api", [Rev(28, at - timedelta(days=2), "deploy 6.2.0",
                                               [c("order-api", f"{REGISTRY}/orders/order-api:6.2.0")])],
                   {28: [P(log=api_log) for _ in range(3)]})
    inc.service("orders", "order-api", {"app": "order-api"})

    def fraud_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - timedelta(minutes=50)), end, 95, lambda i, t: L.spring(
            t, "WARN", "i.g.r.c.i.CircuitBreakerStateMachine", f"CircuitBreaker 'scoringApi' changed state from "
            f"{['CLOSED to OPEN', 'OPEN to HALF_OPEN', 'HALF_OPEN to CLOSED'][i % 3]}", "scoring-timeout-1")))

    inc.deployment("orders", "fraud-check", [Rev(11, at - timedelta(days=9), "deploy 3.3.1",
                                                 [c("fraud-check", f"{REGISTRY}/orders/fraud-check:3.3.1")])],
                   {11: [P(log=fraud_log), P(log=fraud_log)]})
    q = {"namespace": "messaging", "queue": "order-events", "vhost": "/", "job": "rabbitmq",
         "instance": "10.244.1.77:15692"}
    inc.series("rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers", q,
               lambda t: max(0.0, (t - scaled).total_seconds() * 310.0) if t < alarm + timedelta(seconds=30)
               else (alarm - scaled).total_seconds() * 310.0)
    inc.series("rabbitmq_queue_consumers", "gauge", "Consumers on a queue", dict(q), lambda t: 0.0)
    inc.series("rabbitmq_alarms_memory_used_watermark", "gauge",
               "is 1 if VM memory watermark alarm is in effect", {"namespace": "messaging", "job": "rabbitmq",
                                                                 "instance": "10.244.1.77:15692"},
               lambda t: 1.0 if t >= alarm else 0.0)
    inc.secret("messaging", "rabbitmq-default-user", {"username": "orders", "password": inc.canary("password", "amqp"),
                                                      "erlang-cookie": inc.canary("token", "cookie")})
    inc.pagerduty("[FIRING:1] OrderApiHighLatency orders (order-api p99 > 5s)", "orders-order-api")
    inc.answer_key(culprit=("Deployment", "orders", "order-events-consumer"),
                   keywords=["memory alarm", "scaled", "blocked"],
                   root_cause="order-events-consumer was scaled to 0 replicas and left there; the order-events queue "
                              "grew until RabbitMQ raised its memory alarm, which blocked every publishing "
                              "connection, so order-api's publishes hang.",
                   category="broker-memory-alarm", red_herrings=[("Deployment", "orders", "fraud-check")])
    return inc


# ---- 11: the NLB health-check port annotation points at a port no node listens on ----------------------
def shopfront_timeouts_question() -> Incident:
    """An annotation moves the NLB health check of ingress-nginx's Service to port 10254: every target is unhealthy.

    ingress-nginx-controller's Service is an NLB with instance targets and externalTrafficPolicy
    Local, health-checked on its healthCheckNodePort. Someone copied
    `aws-load-balancer-healthcheck-port: "10254"` from an IP-target guide; on the nodes nothing
    listens on 10254, so the load balancer controller re-configured the target group and every
    target turned unhealthy. The NLB fails open and spreads connections over all four nodes, but
    only two run an ingress pod (Local policy): about half the connections hang. frontend's
    slow recommendation calls are unrelated.
    """
    at = datetime(2026, 11, 27, 19, 3, tzinfo=UTC)
    inc = Incident("shopfront-timeouts-question", title="question about www.shopfront.example.com", story="", at=at,
                   seed=411)
    edited = at - timedelta(minutes=19)
    svc = inc.find("Service", "ingress-nginx", "ingress-nginx-controller")
    svc["metadata"]["annotations"] = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": "10254",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": "/healthz",
        "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "HTTP"}
    svc["spec"].update({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 31944,
                        "ports": [{"name": "http", "port": 80, "targetPort": 80, "nodePort": 30812, "protocol": "TCP"},
                                  {"name": "https", "port": 443, "targetPort": 443, "nodePort": 31443,
                                   "protocol": "TCP"}]})
    lb = "k8s-ingressn-ingressn-3f2a9c71e0-0a1b2c3d4e5f6a7b.elb.eu-west-1.amazonaws.com"
    svc["status"] = {"loadBalancer": {"ingress": [{"hostname": lb}]}}
    _managed(svc, "kubectl-client-side-apply", at - timedelta(days=40), {"f:spec": {"f:externalTrafficPolicy": {}}})
    _managed(svc, "kubectl-annotate", edited, {"f:metadata": {"f:annotations": {
        "f:service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": {},
        "f:service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": {},
        "f:service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": {}}}})
    inc.event(svc, "SuccessfullyReconciled", "Successfully reconciled", edited + timedelta(seconds=3), warning=False,
              component="service")
    ctl = inc.pods_of("ingress-nginx", "ingress-nginx-controller")
    ingress_nodes = sorted({h.node for h in ctl})
    tg = ("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/k8s-ingressn-ingressn-9c1d2e3f4a/"
          "7e6d5c4b3a291807")

    def lbc_log(pod: str, start: datetime, end: datetime) -> str:
        t = edited + timedelta(seconds=2)
        return L.lines([
            (t, _zap(t, "info", "service/service_controller.go:159", "deploying model",
                     logger="controllers.service", service={"namespace": "ingress-nginx",
                                                            "name": "ingress-nginx-controller"})),
            (t, _zap(t, "info", "targetgroupbinding/resource_manager.go:65", "modifying targetGroup",
                     arn=tg, change={"HealthCheckPort": "10254", "HealthCheckPath": "/healthz",
                                     "HealthCheckProtocol": "HTTP"})),
            (t, _zap(t, "info", "targetgroupbinding/resource_manager.go:78", "modified targetGroup", arn=tg)),
            (t, _zap(t, "info", "service/service_controller.go:163", "successfully deployed model",
                     logger="controllers.service", service={"namespace": "ingress-nginx",
                                                            "name": "ingress-nginx-controller"}))])

    inc.deployment("kube-system", "aws-load-balancer-controller", [Rev(
        3, at - timedelta(days=60), "helm upgrade aws-load-balancer-controller 1.9.2",
        [c("aws-load-balancer-controller", "public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2", port=9443,
           readiness_path=None, liveness_path=None)])], {3: [P(log=lbc_log), P(log=lbc_log)]})
    for i, n in enumerate(inc.node_names()):
        labels = {"job": "yace", "load_balancer": "net/k8s-ingressn-ingressn-3f2a9c71e0/0a1b2c3d4e5f6a7b",
                  "target_group": "targetgroup/k8s-ingressn-ingressn-9c1d2e3f4a/7e6d5c4b3a291807",
                  "availability_zone": ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1a"][i], "node": n}
        has_pod = n in ingress_nodes
        inc.series("aws_networkelb_healthy_host_count_minimum", "gauge", "Help is not implemented yet.", labels,
                   lambda t, has_pod=has_pod: (1.0 if has_pod else 0.0) if t < edited + timedelta(seconds=40)
                   else 0.0)
    inc.series("aws_networkelb_un_healthy_host_count_maximum", "gauge", "Help is not implemented yet.",
               {"job": "yace", "load_balancer": "net/k8s-ingressn-ingressn-3f2a9c71e0/0a1b2c3d4e5f6a7b",
                "target_group": "targetgroup/k8s-ingressn-ingressn-9c1d2e3f4a/7e6d5c4b3a291807"},
               lambda t: 2.0 if t < edited + timedelta(seconds=40) else 4.0)

    def frontend_herring(h: PodHistory) -> str:
        return L.lines(L.ticker(at - timedelta(minutes=70), inc.captured, 45, lambda i, t: L.logfmt(
            t, "warn", "recommendations call slow", path="/api/recs", took_ms=640 + (i * 37) % 180, budget_ms=800,
            fallback="false")))

    _set_log(inc, "web", "frontend", frontend_herring)
    inc.secret("ingress-nginx", "shopfront-tls", {"tls.key": "-----BEGIN PRIVATE KEY-----\n" + inc.canary(
        "token", "shopfront-key") + "\n-----END PRIVATE KEY-----\n"})
    inc.secret("kube-system", "yace-aws", {"AWS_ACCESS_KEY_ID": inc.canary("aws", "yace"),
                                           "AWS_SECRET_ACCESS_KEY": inc.canary("aws-secret", "yace")})
    inc.ask("is www.shopfront.example.com down? about half my page loads just spin and time out")
    inc.answer_key(culprit=("Service", "ingress-nginx", "ingress-nginx-controller"),
                   keywords=["healthcheck-port", "10254", "unhealthy"],
                   root_cause="An annotation on Service ingress-nginx/ingress-nginx-controller set the NLB "
                              "healthcheck-port to 10254, where no node listens (instance targets); every target is "
                              "unhealthy, the NLB fails open to all nodes and, with externalTrafficPolicy Local, "
                              "connections to nodes without an ingress pod hang.",
                   category="lb-healthcheck-port", red_herrings=[("Deployment", "web", "frontend")])
    return inc


# ---- 12: zombie Chromium processes exhaust a node's PIDs --------------------------------------------
def node_pressure_page() -> Incident:
    """pdf-renderer 3.0.0 dropped dumb-init as PID 1; Chromium's zombies pile up until the node hits PIDPressure.

    The 3.0.0 image moved to a slimmer base and its entrypoint now runs `node server.js` directly.
    Node is PID 1 and never reaps the Chromium helpers Puppeteer forks per render, so each PDF
    leaves defunct processes behind. On the node hosting both renderer pods the PID count climbed
    for six hours; the kubelet reports PIDPressure, evicts pods and other pods there fail to start
    threads (fork: Resource temporarily unavailable). kube-state-metrics' VPA watch errors are
    unrelated.
    """
    at = datetime(2026, 11, 28, 14, 50, tzinfo=UTC)
    inc = Incident("node-pressure-page", title="node condition alert", story="", at=at, seed=412,
                   namespaces=("docs",))
    rolled = at - timedelta(hours=6, minutes=5)
    hot = NODES[1]
    pressure = at - timedelta(minutes=3)
    node = next(n for n in inc.cluster.nodes if n["metadata"]["name"] == hot)
    for cond in node["status"]["conditions"]:
        if cond["type"] == "PIDPressure":
            cond.update({"status": "True", "reason": "KubeletHasInsufficientPID",
                         "message": "kubelet has insufficient PID available", "lastTransitionTime": ts(pressure)})
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/pid-pressure", "effect": "NoSchedule",
                               "timeAdded": ts(pressure)}]
    inc.event(node, "NodeHasInsufficientPID", f"Node {hot} status is now: NodeHasInsufficientPID",
              pressure, warning=False, host=hot)
    inc.event(node, "EvictionThresholdMet", "Attempting to reclaim pids", pressure,
              inc.captured - timedelta(minutes=2), count=11, host=hot)

    def renderer_log(pod: str, start: datetime, end: datetime) -> str:
        k = _k(pod)
        first = max(start, at - timedelta(minutes=60)) + timedelta(seconds=k % 8)
        return L.lines(L.ticker(first, end, 8, lambda i, t: _pino(
            t, 30, pod, "rendered pdf", doc=f"inv-{5512000 + 2 * i + k % 2}", pages=1 + i % 6,
            ms=420 + (i * 13) % 300)))

    old = [c("pdf-renderer", f"{REGISTRY}/docs/pdf-renderer:2.8.3", memory_limit="1536Mi")]
    new = [c("pdf-renderer", f"{REGISTRY}/docs/pdf-renderer:3.0.0", memory_limit="1536Mi")]
    wl = inc.deployment("docs", "pdf-renderer", [
        Rev(11, at - timedelta(days=25), "deploy 2.8.3", old,
            container={"command": ["dumb-init", "--"], "args": ["node", "server.js"]}),
        Rev(12, rolled, "deploy 3.0.0: node 22 slim base", new, container={"command": ["node"],
                                                                          "args": ["server.js"]})],
        {12: [P(log=renderer_log, node=hot), P(log=renderer_log, node=hot)]})
    for h in wl.pods:
        lab = {"namespace": "docs", "pod": h.name, "container": "pdf-renderer", "job": "kubelet",
               "metrics_path": "/metrics/cadvisor", "node": hot}
        inc.series("container_processes", "gauge", "Number of processes running inside the container.", lab,
                   lambda t, h=h: None if t < h.created else 14 + (t - h.created).total_seconds() * 0.72)
        inc.series("container_threads", "gauge", "Number of threads running inside the container", dict(lab),
                   lambda t, h=h: None if t < h.created else 60 + (t - h.created).total_seconds() * 1.1)
    victims = [h for h in inc.cluster.pods if h.node == hot and h.namespace in ("shop", "web", "payments")
               and h.workload not in ("redis",)]
    for h in victims[:2]:
        st = h.states[0]
        st.restarts, st.last_reason, st.last_exit_code = 1, "Error", 2
        st.last_finished = pressure + timedelta(minutes=1)
        st.last_started = h.created + timedelta(seconds=8)
        st.started_at = st.last_finished + timedelta(seconds=12)
        t = st.last_finished - timedelta(seconds=1)
        h.previous_logs[h.containers[0].name] = L.lines([(t, (
            "runtime: failed to create new OS thread (have 14 already; errno=11)\nruntime: may need to increase max "
            "user processes (ulimit -u)\nfatal error: newosproc\n\ngoroutine 0 gp=0xc000002380 m=0 mp=0x2b6f2a0 "
            "[idle]:\nruntime: failed to create new OS thread (have 14 already; errno=11)"))])
    owner = victims[0].owner["name"] if victims[0].owner else victims[0].workload
    evicted = _gone("Pod", victims[0].namespace, f"{owner}-{o.suffix(owner + '/evicted', 5)}")
    inc.event(evicted, "Evicted", "The node was low on resource: pids. Threshold quantity: "
              "3277, available: 1042. ", pressure + timedelta(minutes=2), host=hot)
    kube_labels = {"node": hot, "job": "node-exporter", "instance": "10.0.2.12:9100"}
    inc.series("node_processes_pids", "gauge", "Number of PIDs", kube_labels,
               lambda t: 1900 + max(0.0, (t - rolled).total_seconds()) * 1.44)
    inc.series("node_processes_max_processes", "gauge", "Number of max PIDs limit", dict(kube_labels),
               lambda t: 32768.0)
    inc.series("node_processes_state", "gauge", "Number of processes in each state.",
               {**kube_labels, "state": "Z"}, lambda t: max(0.0, (t - rolled).total_seconds()) * 1.42)

    def ksm_herring(h: PodHistory) -> str:
        t0 = at - timedelta(minutes=85)
        return L.lines([(t0 + timedelta(minutes=6 * i), L.klog(
            t0 + timedelta(minutes=6 * i), "E", "reflector.go:158",
            'k8s.io/client-go@v0.30.3/tools/cache/reflector.go:232: Failed to watch *v1.VerticalPodAutoscaler: '
            'failed to list *v1.VerticalPodAutoscaler: the server could not find the requested resource')) for i in
            range(15)])

    _set_log(inc, "monitoring", "kube-state-metrics", ksm_herring)
    inc.secret("docs", "pdf-renderer-signing", {"SIGNING_KEY": inc.canary("token", "pdf-sign"),
                                                "S3_ACCESS_KEY_ID": inc.canary("aws", "pdf-bucket")})
    inc.alertmanager("KubeNodePressure", {"node": hot, "condition": "PIDPressure", "status": "true",
                                          "job": "kube-state-metrics", "namespace": "monitoring"},
                     "Node has as active Condition.",
                     f"{hot} on cluster prod-eu-west-1 has active Condition PIDPressure. This is caused by resource "
                     "usage exceeding eviction thresholds.",
                     'kube_node_status_condition{job="kube-state-metrics",condition=~"(MemoryPressure|DiskPressure|'
                     'PIDPressure)",status="true"} == 1', severity="info")
    inc.answer_key(culprit=("Deployment", "docs", "pdf-renderer"), keywords=["zombie", "dumb-init", "PID"],
                   root_cause="pdf-renderer 3.0.0 runs node as PID 1 without dumb-init; the Chromium processes "
                              "Puppeteer forks are never reaped, zombie processes exhaust the node's PIDs, and the "
                              "kubelet reports PIDPressure and evicts pods.",
                   category="node-pid-exhaustion", red_herrings=[("Deployment", "monitoring", "kube-state-metrics")])
    return inc


ALL = [payment_intents_errors, invoice_posting_question, fulfilment_rollout_stuck, search_api_capacity,
       quote_latency_page, report_exports_hanging, price_sync_crashloop, report_builder_restarts,
       audit_events_dropped, checkout_orders_hanging, shopfront_timeouts_question, node_pressure_page]
