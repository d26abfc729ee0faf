"""A DestinationRule's connection pool cut, its circuit breaker failing callers in another namespace, end to end.

Bundles written here with the corpus generator's writer, served by the replay API server and Debian's Prometheus,
investigated blind in runbook-only mode and scored against their answer keys (as `vigil eval`). The shape differs
from the held-out round's fault injection on purpose: DestinationRule search/search-api-pool (written by Argo CD 20
minutes before the page) limits the pool to 2 connections and 1 pending request; the Node.js caller
web/gateway-bff (the page's subject) logs the body Envoy answers (`reset reason: overflow`) and Istio's request
series carries flag UO on calls to search-api, whose own pods log nothing wrong. The red herring is a rollout in
the callee's namespace. The negative twin: the same write while search-api itself answers 503 (its logs fail on
its index, the series carry no proxy flag): the DestinationRule must not be named.
"""

from __future__ import annotations

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
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

AT = datetime(2026, 10, 7, 13, 40, tzinfo=UTC)
HOST = "search-api.search.svc.cluster.local"


def _crd(inc: Incident) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "destinationrules.networking.istio.io"},
             "spec": {"group": "networking.istio.io", "scope": "Namespaced",
                      "names": {"kind": "DestinationRule", "listKind": "DestinationRuleList",
                                "plural": "destinationrules", "singular": "destinationrule"},
                      "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": "DestinationRule", "plural": "destinationrules"},
                        "storedVersions": ["v1"]}})


def pool_cut(proxy_fails: bool = True) -> Incident:
    """search-api's DestinationRule pool cut to 2 connections; the callers' proxies overflow (or, in the twin, the
    service itself fails and the same write is innocent)."""
    name = "search-pool-overflow" if proxy_fails else "search-pool-innocent"
    inc = Incident(name, title="gateway-bff 5xx high", story=pool_cut.__doc__ or "", at=AT, seed=5317,
                   namespaces=("web", "search"))
    written = AT - timedelta(minutes=20)
    _crd(inc)

    def bff_log(pod: str, s: datetime, e: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < written or i % 3:
                return L.js(t, "info", "request completed", route="/api/search", status=200, ms=40 + i % 9)
            body = ("upstream connect error or disconnect/reset before headers. reset reason: overflow"
                    if proxy_fails else "Service Unavailable")
            return L.js(t, "error", f"search-api call failed: 503 {body}", route="/api/search", status=502)
        return L.lines(L.ticker(max(s, AT - timedelta(minutes=50)), e, 6, line))

    def search_log(pod: str, s: datetime, e: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if proxy_fails or t < written or i % 2:
                return L.logfmt(t, "info", "query served", index="products", took_ms=12 + i % 7)
            return L.logfmt(t, "error", "query failed: index products is read-only (flood stage disk watermark)",
                            index="products", status=503)
        return L.lines(L.ticker(max(s, AT - timedelta(minutes=50)), e, 5, line))

    inc.deployment("web", "gateway-bff", [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [
        c("gateway-bff", f"{REGISTRY}/web/gateway-bff:7.2.0", port=8080),
        c("istio-proxy", "docker.io/istio/proxyv2:1.23.2", port=15090, readiness_path=None, liveness_path=None)])],
        {1: [P(log=bff_log) for _ in range(2)]})
    inc.deployment("search", "search-api", [Rev(1, inc.born + timedelta(days=11), "helm upgrade", [
        c("search-api", f"{REGISTRY}/search/search-api:3.8.1", port=8080)])],
        {1: [P(log=search_log) for _ in range(3)]})
    inc.service("search", "search-api", {"app": "search-api"}, port=80, target=8080)
    inc.deployment("search", "search-indexer", [
        Rev(1, inc.born + timedelta(days=11), "helm upgrade",
            [c("search-indexer", f"{REGISTRY}/search/indexer:2.0.0")]),
        Rev(2, AT - timedelta(minutes=33), "helm upgrade",
            [c("search-indexer", f"{REGISTRY}/search/indexer:2.0.1")])],
        {2: [P()]})
    dr = inc.add({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
                  "metadata": {"name": "search-api-pool", "namespace": "search", "generation": 5},
                  "spec": {"host": HOST, "trafficPolicy": {"connectionPool": {
                      "tcp": {"maxConnections": 2}, "http": {"http1MaxPendingRequests": 1, "http2MaxRequests": 2}}}}})
    dr["metadata"]["managedFields"] = [
        {"manager": "argocd-controller", "operation": "Update", "apiVersion": "networking.istio.io/v1",
         "time": ts(written), "fieldsType": "FieldsV1",
         "fieldsV1": {"f:spec": {"f:trafficPolicy": {"f:connectionPool": {}}}}}]
    start = AT - timedelta(hours=2)
    for code, flags, rate in (("200", "-", 20.0), ("503", "UO" if proxy_fails else "-", 7.0)):
        inc.series("istio_requests", "counter", "Total requests.", {
            "namespace": "web", "reporter": "source", "source_workload": "gateway-bff",
            "destination_service": HOST, "destination_service_name": "search-api",
            "destination_service_namespace": "search", "response_code": code, "response_flags": flags},
            lambda t, r=rate, ok=code == "200": round(
                (t - start).total_seconds() * r if ok else max(0.0, (t - written).total_seconds()) * r, 3))
    inc.alertmanager("GatewayBffErrorRateHigh", {"namespace": "web", "service": "gateway-bff"},
                     "gateway-bff 5xx ratio above 5%", "More than 5% of web/gateway-bff requests fail with 5xx.",
                     'sum(rate(http_requests_total{namespace="web",service="gateway-bff",code=~"5.."}[5m])) > 0.05',
                     severity="critical")
    if proxy_fails:
        inc.answer_key(culprit=("DestinationRule", "search", "search-api-pool"),
                       keywords=["connectionPool", "overflow", "circuit breaker"],
                       root_cause="DestinationRule search/search-api-pool's connection pool was cut to 2 connections; "
                                  "the callers' sidecars reject the calls over it with 503 overflow (flag UO).",
                       category="mesh-connection-pool-cut", red_herrings=[("Deployment", "search", "search-indexer")])
    else:
        inc.answer_key(culprit=("Deployment", "search", "search-api"), keywords=["read-only", "index"],
                       root_cause="search-api's index went read-only; it answers 503 itself.",
                       category="search-index-read-only",
                       red_herrings=[("DestinationRule", "search", "search-api-pool")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs the prometheus package")
    return investigate_blind([pool_cut, lambda: pool_cut(proxy_fails=False)], tmp_path_factory.mktemp("pool"),
                             jobs=1)


def test_pool_cut_whose_proxies_overflow_is_named_as_a_circuit_breaker(results: dict[str, Any]) -> None:
    row = results["search-pool-overflow"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert top.startswith("DestinationRule search/search-api-pool sets a circuit breaker"), top
    assert "response flag UO" in top, top


def test_the_same_write_while_the_service_fails_itself_is_not_named(results: dict[str, Any]) -> None:
    row = results["search-pool-innocent"]
    assert "search-api-pool" not in str(row.top or ""), row.top  # neither as a circuit breaker nor as a bare write
