"""Names that point nowhere, end to end: three incident bundles of our own, investigated blind and scored.

Written with the corpus generator's writer (examples/corpus), served by the replay API server and Debian's
Prometheus, investigated in runbook-only mode and scored against their answer keys as `vigil eval` does. Each is
another shape than the round-4 held-out story of its class, so the survey's reads (k8s_get YAML, k8s_list, an init
container's log) run against a real API path:

- An ExternalName Service aimed at an in-cluster Service that a rename removed (not an outside host), a Python
  client (urllib3's NameResolutionError), a question in chat.
- An init container looping `nc -z` on a Redis Service the chart renamed (busybox nc's "bad address"), the
  look-alike Service created with the upgrade; an Alertmanager alert.
- A cert-manager Certificate whose dnsNames hold the cluster-local name but not the short `svc` name a Java client
  dials (JSSE's "No subject alternative DNS name matching ... found"); an SLO burn.

Each has a red herring logging errors of its own.
"""

from __future__ import annotations

import re
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]

M = timedelta(minutes=1)


def _herring(inc: Incident, ns: str, at: datetime) -> None:
    noisy: L.LogFn = lambda p, s, e: L.lines(L.ticker(s, e, 80, lambda i, t: L.pylog(  # noqa: E731
        t, "ERROR", "reports.pdf", f"render timeout for report R-{5100 + i} after 30s (attempt {i % 3 + 1})")))
    inc.deployment(ns, "report-render", [Rev(2, at - timedelta(days=20), "deploy 0.9.1", [
        c("render", f"{REGISTRY}/{ns}/report-render:0.9.1")])], {2: [P(log=noisy)]})


def externalname_to_renamed() -> Incident:
    """billing/tax-rates is an ExternalName for tax-engine.finance.svc.cluster.local, since renamed tax-engine-v2."""
    at = datetime(2026, 11, 24, 14, 20, tzinfo=UTC)
    inc = Incident("invoice-batch-tax-lookups", title="question about invoice-batch",
                   story=externalname_to_renamed.__doc__ or "", at=at, seed=951, namespaces=("billing", "finance"))
    gone = at - 35 * M

    def batch_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < gone:
                return L.pylog(t, "INFO", "invoice.batch", f"invoice INV-{7700 + i} taxed ok")
            return L.pylog(t, "ERROR", "invoice.batch", "posting failed: HTTPConnectionPool(host='tax-rates', "
                           "port=8080): Max retries exceeded with url: /v1/rates (Caused by "
                           "NameResolutionError(\"<urllib3.connection.HTTPConnection object at 0x7f2a>: Failed to "
                           "resolve 'tax-rates' ([Errno -2] "
                           "Name or service not known)\"))")
        return L.lines(L.ticker(max(start, at - 70 * M), end, 20, line))

    inc.deployment("billing", "invoice-batch", [Rev(6, at - timedelta(days=5), "deploy 2.1.0", [
        c("invoice-batch", f"{REGISTRY}/billing/invoice-batch:2.1.0",
          env=[{"name": "TAX_URL", "value": "http://tax-rates:8080"}])])], {6: [P(log=batch_log), P(log=batch_log)]})
    inc.add({"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "tax-rates", "namespace": "billing",
                          "creationTimestamp": ts(at - timedelta(days=200))},
             "spec": {"type": "ExternalName", "externalName": "tax-engine.finance.svc.cluster.local",
                      "ports": [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}]}})
    inc.deployment("finance", "tax-engine-v2", [Rev(1, gone, "helm install tax-engine-v2", [
        c("tax-engine", f"{REGISTRY}/finance/tax-engine:3.0.0")])], {1: [P(), P()]})
    inc.service("finance", "tax-engine-v2", {"app": "tax-engine-v2"}, port=8080)
    _herring(inc, "billing", at)
    inc.ask("invoice-batch can't post invoices since about 13:45, why?")
    inc.answer_key(culprit=("Service", "billing", "tax-rates"), keywords=["ExternalName", "tax-engine", "NXDOMAIN"],
                   root_cause="billing/tax-rates is an ExternalName Service for tax-engine.finance.svc.cluster.local, "
                              "which no longer exists (renamed tax-engine-v2): lookups answer NXDOMAIN.",
                   category="externalname-missing-in-cluster",
                   red_herrings=[("Deployment", "billing", "report-render")])
    return inc


def init_waits_for_renamed_redis() -> Incident:
    """session-api's init container waits with `nc -z redis-master 6379`; the chart upgrade named the Service redis."""
    at = datetime(2026, 11, 25, 8, 40, tzinfo=UTC)
    inc = Incident("session-api-stuck-init", title="session-api rollout not progressing",
                   story=init_waits_for_renamed_redis.__doc__ or "", at=at, seed=952, namespaces=("sessions",))
    upgraded = at - 22 * M
    inc.deployment("sessions", "redis", [Rev(1, upgraded, "helm upgrade redis 19.0.0", [
        c("redis", "docker.io/bitnami/redis:7.2.5", port=6379, readiness_path=None, liveness_path=None)])],
        {1: [P()]})
    inc.service("sessions", "redis", {"app": "redis"}, port=6379, target=6379)
    init = {"name": "wait-redis", "image": "docker.io/library/busybox:1.36",
            "command": ["sh", "-c", "until nc -z -w 2 redis-master 6379; do echo waiting for redis-master; sleep 3; "
                        "done"]}
    app = [c("session-api", f"{REGISTRY}/sessions/session-api:1.8.0",
             env=[{"name": "REDIS_HOST", "value": "redis"}])]
    ok_log: L.LogFn = lambda p, s, e: L.lines(L.ticker(max(s, at - 60 * M), e, 30, lambda i, t: L.pylog(  # noqa: E731
        t, "INFO", "sessions.api", f"GET /v1/session 200 {4 + i % 5}ms")))
    wl = inc.deployment("sessions", "session-api", [
        Rev(3, at - timedelta(days=9), "deploy 1.7.4", [c("session-api", f"{REGISTRY}/sessions/session-api:1.7.4",
                                                          env=[{"name": "REDIS_HOST", "value": "redis-master"}])],
            pod_spec={"initContainers": [init]}),
        Rev(4, upgraded, "deploy 1.8.0", app, pod_spec={"initContainers": [init]})],
        {3: [P(log=ok_log), P(log=ok_log)], 4: [P(created=upgraded + 5 * M)]}, progress="deadline", replicas=2,
        max_surge="1", max_unavailable="0")
    for h in wl.pods:
        if not h.containers[0].image.endswith("1.8.0"):
            continue
        h.ready = lambda t: False
        h.memory = None
        h.logs = {}
        started = h.created + timedelta(seconds=3)

        def patch(pod: dict[str, Any], started: datetime = started) -> None:
            st = pod["status"]
            st["phase"] = "Pending"
            st["initContainerStatuses"] = [{
                "name": "wait-redis", "image": "docker.io/library/busybox:1.36",
                "imageID": o.image_id("docker.io/library/busybox:1.36"), "ready": False, "started": True,
                "restartCount": 0, "state": {"running": {"startedAt": ts(started)}}, "lastState": {},
                "containerID": o.container_id(pod["metadata"]["name"] + "/init")}]
            for cs in st["containerStatuses"]:
                cs.update({"ready": False, "started": False, "restartCount": 0, "lastState": {},
                           "state": {"waiting": {"reason": "PodInitializing"}}})
                cs.pop("containerID", None)

        inc.cluster.patch("sessions", h.name, patch)
        inc.log_block("sessions", h.name, "wait-redis", "\n".join(
            ["nc: bad address 'redis-master'", "waiting for redis-master"] * 60) + "\n")
    _herring(inc, "sessions", at)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "sessions", "deployment": "session-api",
                                                    "condition": "Progressing", "status": "false"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment sessions/session-api is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing", status="false"} != 0')
    inc.answer_key(culprit=("Deployment", "sessions", "session-api"), keywords=["wait-redis", "redis-master"],
                   root_cause="session-api's init container wait-redis loops on nc -z redis-master, a Service the "
                              "redis chart upgrade renamed redis.",
                   category="init-waits-renamed-redis", red_herrings=[("Deployment", "sessions", "redis")])
    return inc


def certificate_short_name() -> Incident:
    """search-api's Certificate covers search-api.search.svc.cluster.local; shop-web's Java client dials .svc."""
    at = datetime(2026, 11, 26, 16, 5, tzinfo=UTC)
    inc = Incident("shop-web-search-tls", title="shop-web error budget burning", story=certificate_short_name.__doc__
                   or "", at=at, seed=953, namespaces=("shop", "search"))
    edited = at - 12 * M
    inc.deployment("search", "search-api", [Rev(5, at - timedelta(days=15), "deploy 5.0.2", [
        c("search-api", f"{REGISTRY}/search/search-api:5.0.2", port=8443, readiness_path=None, liveness_path=None)],
        pod_spec={"volumes": [{"name": "serving-cert", "secret": {"secretName": "search-api-serving"}}]},
        container={"volumeMounts": [{"name": "serving-cert", "mountPath": "/tls", "readOnly": True}]})],
        {5: [P(), P()]})
    inc.service("search", "search-api", {"app": "search-api"}, port=8443, target=8443)
    said = ("javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching search-api.search.svc "
            "found.")

    def web_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < edited:
                return L.spring(t, "INFO", "c.e.shop.web.SearchController", f"search q=item{i} 200",
                                "http-nio-8080-exec-1")
            return L.spring(t, "ERROR", "c.e.shop.web.SearchClient", f"search failed: {said}", "http-nio-8080-exec-2")
        return L.lines(L.ticker(max(start, at - 60 * M), end, 15, line))

    inc.deployment("shop", "shop-web", [Rev(11, at - timedelta(days=3), "deploy 9.4.0", [
        c("shop-web", f"{REGISTRY}/shop/shop-web:9.4.0",
          env=[{"name": "SEARCH_URL", "value": "https://search-api.search.svc:8443"}])])],
        {11: [P(log=web_log), P(log=web_log)]})
    inc.service("shop", "shop-web", {"app": "shop-web"})
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "certificates.cert-manager.io"},
             "spec": {"group": "cert-manager.io", "scope": "Namespaced",
                      "names": {"plural": "certificates", "singular": "certificate", "kind": "Certificate",
                                "listKind": "CertificateList"},
                      "versions": [{"name": "v1", "served": True, "storage": True}]}})
    inc.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
             "metadata": {"name": "search-api", "namespace": "search"},
             "spec": {"secretName": "search-api-serving", "dnsNames": ["search-api.search.svc.cluster.local"],
                      "issuerRef": {"name": "cluster-ca", "kind": "ClusterIssuer"}},
             "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                                        "lastTransitionTime": ts(edited)}], "notBefore": ts(edited)}})
    inc.secret("search", "search-api-serving", {
        "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "tls.key": inc.canary("token", "search-key")})
    _herring(inc, "shop", at)
    inc.slo_burn("shop-web", "shop", "shop-web-availability", "99.9%", 20.4,
                 "shop-web is returning 5xx for 31% of requests over the last 5m.")
    inc.answer_key(culprit=("Certificate", "search", "search-api"), keywords=["dnsNames", "search-api.search.svc"],
                   root_cause="The Certificate search/search-api lists only search-api.search.svc.cluster.local in "
                              "dnsNames; shop-web dials search-api.search.svc.",
                   category="certificate-short-name", red_herrings=[("Deployment", "shop", "report-render")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    builders = (externalname_to_renamed, init_waits_for_renamed_redis, certificate_short_name)
    return investigate_blind(builders, tmp_path_factory.mktemp("pointers"))


@pytest.mark.parametrize(("bundle", "words"), [
    ("invoice-batch-tax-lookups", ("Service billing/tax-rates", "ExternalName",
                                   "no Service tax-engine exists in namespace finance")),
    ("session-api-stuck-init", ("Deployment sessions/session-api", "wait-redis", "no Service redis-master",
                                "the Service now is redis")),
    # the short name the clients dial, as a whole host (not the covered .cluster.local name), whichever
    # mechanism words the finding (pointers or access_rule) and whatever punctuation follows it
    ("shop-web-search-tls", ("Certificate search/search-api", re.compile(r"search-api\.search\.svc(?![.\w-])"),
                             "dnsNames")),
])
def test_the_reference_holder_is_named(results: dict[str, object], bundle: str,
                                       words: tuple[str | re.Pattern[str], ...]) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w.search(top) if isinstance(w, re.Pattern) else w in top for w in words), top
