"""An Istio VirtualService's weights moved to a subset that fails, end to end from the victim's page.

Bundles written here with the corpus generator's writer, served by the replay API server and Debian's
Prometheus, investigated blind in runbook-only mode and scored against their answer keys (as `vigil eval`):
the cart VirtualService (networking.istio.io, written by kubectl 8 minutes before, last-applied recording
95/5) now sends 95% to subset v2, whose pods log a Go panic with 500 on every checkout; the page is an
error-rate alert on the cart service. The negative twin: the same write while v2 serves fine and the errors
come from elsewhere; the VirtualService must not be named.
"""

from __future__ import annotations

import json
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

AT = datetime(2026, 9, 3, 16, 20, tzinfo=UTC)


def _crd(inc: Incident) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "virtualservices.networking.istio.io"},
             "spec": {"group": "networking.istio.io", "scope": "Namespaced",
                      "names": {"kind": "VirtualService", "listKind": "VirtualServiceList",
                                "plural": "virtualservices", "singular": "virtualservice"},
                      "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": "VirtualService", "plural": "virtualservices"},
                        "storedVersions": ["v1"]}})


def _spec(v1: int, v2: int) -> dict[str, Any]:
    return {"hosts": ["cart.shop.svc.cluster.local"], "http": [{"route": [
        {"destination": {"host": "cart-v1.shop.svc.cluster.local"}, "weight": v1},
        {"destination": {"host": "cart-v2.shop.svc.cluster.local"}, "weight": v2}]}]}


def cart_weights(v2_fails: bool = True) -> Incident:
    """cart VirtualService flipped 95/5 -> 5/95 eight minutes before; v2 panics on checkout (or, in the twin,
    serves fine while the frontend's own errors page)."""
    name = "cart-vs-weights" if v2_fails else "cart-vs-weights-healthy"
    inc = Incident(name, title="cart error rate high", story=cart_weights.__doc__ or "", at=AT, seed=9471,
                   namespaces=("shop",))
    written = AT - timedelta(minutes=8)
    _crd(inc)

    def v2_log(pod: str, s: datetime, e: datetime) -> str:
        return L.lines(L.ticker(max(s, written), e, 3, lambda i, t: L.go_std(t, (
            "http: panic serving 10.0.3.4:51234: runtime error: invalid memory address or nil pointer dereference;"
            " POST /cart/checkout 500" if v2_fails else f"POST /cart/checkout 200 in {20 + i % 7}ms"))))

    def v1_log(pod: str, s: datetime, e: datetime) -> str:
        return L.lines(L.ticker(s, e, 20, lambda i, t: L.go_std(t, f"POST /cart/checkout 200 in {18 + i % 5}ms")))

    for version, log, born in (("v1", v1_log, inc.born + timedelta(days=10)), ("v2", v2_log, AT - timedelta(days=1))):
        inc.deployment("shop", f"cart-{version}", [Rev(1, born, "helm upgrade", [
            c(f"cart-{version}", f"{REGISTRY}/shop/cart:{'4.2.0' if version == 'v1' else '4.3.0-rc.2'}", port=8080)])],
            {1: [P(log=log) for _ in range(2 if version == "v1" else 1)]})
        inc.service("shop", f"cart-{version}", {"app": f"cart-{version}"}, port=8080, target=8080)
    inc.deployment("shop", "frontend", [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [
        c("frontend", f"{REGISTRY}/shop/frontend:2.0.1", port=8080)])], {1: [P()]})
    vs = inc.add({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                  "metadata": {"name": "cart", "namespace": "shop", "generation": 4, "annotations": {
                      "kubectl.kubernetes.io/last-applied-configuration": json.dumps({
                          "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
                          "metadata": {"name": "cart", "namespace": "shop"}, "spec": _spec(95, 5)})}},
                  "spec": _spec(5, 95)})
    vs["metadata"]["managedFields"] = [
        {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "networking.istio.io/v1",
         "time": ts(written), "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:http": {}}}}]
    inc.series("istio_requests_total", "counter", "Requests", {"destination_service_name": "cart",
                                                               "destination_service_namespace": "shop",
                                                               "response_code": "500"},
               lambda t: 0.0 if t < written else 6.0 * (t - written).total_seconds())
    inc.alertmanager("CartErrorRateHigh", {"namespace": "shop", "service": "cart"}, "cart 5xx ratio above 5%",
                     "More than 5% of requests to shop/cart fail with 5xx.",
                     'sum(rate(istio_requests_total{destination_service_name="cart",response_code=~"5.."}[5m])) '
                     '/ sum(rate(istio_requests_total{destination_service_name="cart"}[5m])) > 0.05',
                     severity="critical")
    inc.answer_key(culprit=("VirtualService", "shop", "cart"), keywords=["weight", "cart-v2"],
                   root_cause="The cart VirtualService's weights were flipped to send 95% to cart-v2, which panics "
                              "on checkout.", category="istio-virtualservice-weight-to-failing-subset",
                   red_herrings=[("Deployment", "shop", "frontend")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs the prometheus package")
    return investigate_blind([cart_weights, lambda: cart_weights(v2_fails=False)],
                             tmp_path_factory.mktemp("weights"), jobs=1)


def test_weights_moved_to_a_failing_host_are_named_with_old_and_new(results: dict[str, Any]) -> None:
    row = results["cart-vs-weights"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    for words in ("VirtualService shop/cart", "cart-v1 95, cart-v2 5 -> cart-v1 5, cart-v2 95", "panic"):
        assert words in top, (words, top)


def test_the_same_write_to_a_healthy_host_is_not_named(results: dict[str, Any]) -> None:
    row = results["cart-vs-weights-healthy"]
    assert "changed its traffic weights" not in str(row.top or ""), row.top
