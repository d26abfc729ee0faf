"""An ingress controller annotation whose own error clients get, end to end (agent.triage.ingress_annotations).

Four incident bundles written with the corpus generator's own writer (examples/corpus), served by the
replay API server, investigated blind in runbook-only mode as `vigil eval` does. Two controllers'
wordings, each with a negative twin:

- ingress-nginx: a Helm upgrade sets `nginx.ingress.kubernetes.io/proxy-read-timeout: "10"` on the
  billing Ingress; exports take 14-20 s, so the controller logs "upstream timed out (110: Connection
  timed out) while reading response header from upstream" and 504s with request_time 10.00x, while the
  Spring app logs the same requests completing. The Ingress was admitted (status carries the load
  balancer), and the bundle lists no IngressClass: its class must not be called missing. Twin: the
  same annotation, but the 504s are the app's own (upstream status 504 after 0.3 s): no annotation.
- HAProxy Kubernetes Ingress: `haproxy.org/timeout-server: "3s"`; HAProxy's httplog shows 504 with
  termination state `sH--` after Ta = 3000 ms on the partners backend. Twin: the same annotation, the
  backend answers 200 and 500 of its own (`----`): no annotation.
"""

from __future__ import annotations

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
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

M = timedelta(minutes=1)


def _ts(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _ingress(inc: Incident, ns: str, name: str, host: str, svc: str, port: int, notes: dict[str, str],
             written: datetime, manager: str, cls: str) -> dict[str, Any]:
    fields = {"f:metadata": {"f:annotations": {f"f:{k}": {} for k in notes}}}
    return inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": name, "namespace": ns, "generation": 4, "annotations": notes,
                                 "creationTimestamp": _ts(written - timedelta(days=30)),
                                 "managedFields": [{"manager": manager, "operation": "Update",
                                                    "apiVersion": "networking.k8s.io/v1", "time": _ts(written),
                                                    "fieldsType": "FieldsV1", "fieldsV1": fields}]},
                    "spec": {"ingressClassName": cls, "rules": [{"host": host, "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": svc, "port": {"number": port}}}}]}}]},
                    "status": {"loadBalancer": {"ingress": [{"hostname": f"lb-{name}.elb.example.com"}]}}})


def _nginx(name: str, own_504: bool) -> Incident:
    at = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    inc = Incident(name, title="billing availability", story="", at=at, seed=941, namespaces=("billing",))
    written = at - 31 * M
    _ingress(inc, "billing", "billing", "billing.example.com", "billing-web", 80,
             {"nginx.ingress.kubernetes.io/proxy-read-timeout": "10",
              "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}, written, "helm", "nginx")

    def app(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 40 * M), end, 9, lambda i, t: (
            f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{i % 1000:03d}  INFO 1 --- [nio-8080-exec-{i % 9}] "
            f"c.e.billing.ExportController : export {5100 + i} completed in {14000 + i * 97 % 6000} ms")))

    inc.deployment("billing", "billing-web", [Rev(21, at - timedelta(days=5), "deploy 7.1.0",
                                                  [c("billing-web", f"{REGISTRY}/billing/web:7.1.0", port=8080)])],
                   {21: [P(log=app), P(log=app)]})
    inc.service("billing", "billing-web", {"app": "billing-web"}, port=80, target=8080)

    def ctrl(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            client = f"88.1.{i % 200}.{i % 250}"
            if t < written + M or i % 3 == 2:
                return L.nginx_access(t, client, "GET /invoices?page=1", 200, 20311, "billing-billing-web-80",
                                      "200", 0.09)
            if own_504:
                return L.nginx_access(t, client, f"GET /exports/{5100 + i}.pdf", 504, 160, "billing-billing-web-80",
                                      "504", 0.3)
            if i % 3 == 0:
                return L.nginx_error(t, "upstream timed out (110: Connection timed out) while reading response "
                                        f"header from upstream, client: {client}, server: billing.example.com, "
                                        f'request: "GET /exports/{5100 + i}.pdf HTTP/1.1", upstream: '
                                        f'"http://10.244.2.{i % 9 + 10}:8080/exports/{5100 + i}.pdf", '
                                        'host: "billing.example.com"', conn=7000 + i)
            return L.nginx_access(t, client, f"GET /exports/{5100 + i}.pdf", 504, 160, "billing-billing-web-80",
                                  "504", 10.002)
        return L.lines(L.ticker(max(start, at - 50 * M), end, 8, line))

    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        h.logs[h.containers[0].name] = ctrl(h.name, h.created, inc.captured)
    inc.slo_burn("billing-web", "billing", "billing-availability", "0.995", 11.0,
                 "billing.example.com availability (ingress 5xx ratio) 1h burn rate 11; mostly 504 on /exports.")
    inc.answer_key(culprit=("Ingress", "billing", "billing"), keywords=["proxy-read-timeout", "504"],
                   root_cause="proxy-read-timeout 10 on the billing Ingress cuts exports that take 14-20 s: 504.",
                   category="ingress-timeout-too-low", red_herrings=[])
    return inc


def _haproxy(name: str, timed_out: bool) -> Incident:
    at = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    inc = Incident(name, title="partners api errors", story="", at=at, seed=942,
                   namespaces=("partners", "haproxy-controller"))
    written = at - 44 * M
    _ingress(inc, "partners", "partner-api", "partners.example.com", "partner-api", 8080,
             {"haproxy.org/timeout-server": "3s", "haproxy.org/rate-limit-requests": "500"}, written,
             "argocd-controller", "haproxy")

    def app(pod: str, start: datetime, end: datetime) -> str:
        return L.lines(L.ticker(max(start, at - 40 * M), end, 11, lambda i, t: L.js(
            t, "info", "quote priced", route="/v1/quotes", ms=4200 + i * 53 % 2500 if timed_out else 150 + i % 40)))

    inc.deployment("partners", "partner-api", [Rev(6, at - timedelta(days=8), "deploy 2.4.0",
                                                   [c("partner-api", f"{REGISTRY}/partners/api:2.4.0", port=8080)])],
                   {6: [P(log=app), P(log=app)]})
    inc.service("partners", "partner-api", {"app": "partner-api"}, port=8080, target=8080)

    def hap(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            stamp = t.strftime("%d/%b/%Y:%H:%M:%S") + f".{i % 1000:03d}"
            late = t >= written + M and i % 4 != 3
            if late and timed_out:
                status, ta, flags = 504, 3001, "sH--"
            elif late:
                status, ta, flags = 500, 180, "----"
            else:
                status, ta, flags = 200, 140 + i % 30, "----"
            tr = ta - 1 if status != 504 else -1
            return (f"10.0.{i % 4}.{i % 200}:{40000 + i} [{stamp}] https~ partners_partner-api_8080/SRV_{i % 2 + 1} "
                    f"0/0/1/{tr}/{ta} {status} {194 if status != 200 else 2318} - - {flags} 40/40/3/1/0 0/0 "
                    f'"POST /v1/quotes HTTP/1.1"')
        return L.lines(L.ticker(max(start, at - 55 * M), end, 7, line))

    inc.deployment("haproxy-controller", "haproxy-kubernetes-ingress", [
        Rev(3, at - timedelta(days=20), "helm upgrade haproxy-kubernetes-ingress",
            [c("kubernetes-ingress-controller", "docker.io/haproxytech/kubernetes-ingress:3.0.1", port=8080)])],
        {3: [P(log=hap), P(log=hap)]})
    inc.alertmanager("PartnerApiErrors", {"namespace": "partners", "service": "partner-api"},
                     "partner-api 5xx above 5%", "partners.example.com answers 5xx to 70% of quote requests.",
                     'sum(rate(haproxy_backend_http_responses_total{proxy=~"partners_partner-api.*",code="5xx"}'
                     '[5m])) / sum(rate(haproxy_backend_http_responses_total{proxy=~"partners_partner-api.*"}[5m]))'
                     " > 0.05", starts=at)
    inc.answer_key(culprit=("Ingress", "partners", "partner-api"), keywords=["timeout-server", "504"],
                   root_cause="haproxy.org/timeout-server 3s on the partner-api Ingress cuts quotes that take 4-7 s.",
                   category="ingress-timeout-too-low", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((lambda: _nginx("billing-read-timeout", False), lambda: _nginx("billing-app-504", True),
                              lambda: _haproxy("partners-timeout-server", True),
                              lambda: _haproxy("partners-app-500", False)), tmp_path_factory.mktemp("ingress"))


def _top(results: dict[str, object], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("billing-read-timeout", ("Ingress billing/billing", "nginx.ingress.kubernetes.io/proxy-read-timeout: 10",
                              "504 after 10 s", "min before the alert", "while reading response header")),
    ("partners-timeout-server", ("Ingress partners/partner-api", "haproxy.org/timeout-server: 3s", "504 after 3 s",
                                 "min before the alert")),
])
def test_the_annotation_that_produces_the_clients_errors_is_named(results: dict[str, object], bundle: str,
                                                                  words: tuple[str, ...]) -> None:
    row = results[bundle]
    top = _top(results, bundle)
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
    assert all(w in top for w in words), top
    assert "IngressClass" not in top  # admitted by its controller: the class exists, whatever the list holds


@pytest.mark.parametrize("bundle", ["billing-app-504", "partners-app-500"])
def test_an_annotation_is_not_blamed_for_the_backends_own_errors(results: dict[str, object], bundle: str) -> None:
    top = _top(results, bundle)
    assert "(it limits" not in top, top
