"""A namespace's Sidecar closing egress, its callers' TLS connections black-holed, end to end.

Bundles written here with the corpus generator's writer, served by the replay API server and Debian's Prometheus,
investigated blind in runbook-only mode and scored against their answer keys (as `vigil eval`). The shape differs
from the held-out rounds' mesh-config ConfigMap on purpose: the egress lockdown is a Sidecar resource
(`spec.outboundTrafficPolicy.mode: REGISTRY_ONLY`) written by Argo CD in the caller's own namespace 35 minutes
before the page; the Node.js caller web/quote-bff logs only `read ECONNRESET` on its partner calls, its
istio-proxy logs TCP lines closed at once (flag UH) to BlackHoleCluster with the SNI api.partner-rates.example.com,
and Istio's TCP series to BlackHoleCluster starts at the write. The red herring is a rollout beside the caller. The
negative twin: the same Sidecar written with ALLOW_ANY while the partner itself answers 503 (no black hole): the
Sidecar must not be named.
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

AT = datetime(2026, 11, 3, 15, 20, tzinfo=UTC)
PARTNER = "api.partner-rates.example.com"


def _crd(inc: Incident) -> None:
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": "sidecars.networking.istio.io"},
             "spec": {"group": "networking.istio.io", "scope": "Namespaced",
                      "names": {"kind": "Sidecar", "listKind": "SidecarList", "plural": "sidecars",
                                "singular": "sidecar"},
                      "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                          "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
             "status": {"acceptedNames": {"kind": "Sidecar", "plural": "sidecars"}, "storedVersions": ["v1"]}})


def lockdown(closed: bool = True) -> Incident:
    """web's Sidecar set to REGISTRY_ONLY; quote-bff's partner connections black-holed (or, in the twin, the Sidecar
    stays ALLOW_ANY and the partner itself answers 503)."""
    name = "quote-egress-closed" if closed else "quote-partner-down"
    inc = Incident(name, title="quote-bff errors high", story=lockdown.__doc__ or "", at=AT, seed=6107,
                   namespaces=("web",))
    written = AT - timedelta(minutes=35)
    _crd(inc)
    sidecar = inc.add({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
                       "metadata": {"name": "default", "namespace": "web", "generation": 4},
                       "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY" if closed else "ALLOW_ANY"},
                                "egress": [{"hosts": ["./*", "istio-system/*"]}]}})
    sidecar["metadata"]["managedFields"] = [
        {"manager": "argocd-controller", "operation": "Update", "apiVersion": "networking.istio.io/v1",
         "time": ts(written), "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:outboundTrafficPolicy": {}}}}]

    def bff_log(pod: str, s: datetime, e: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t < written or i % 3:
                return L.js(t, "info", "quote served", route="/api/quote", status=200, ms=60 + i % 11)
            err = "read ECONNRESET" if closed else "partner answered 503 Service Unavailable"
            return L.js(t, "error", f"partner rates call failed: {err}", route="/api/quote", status=502,
                        partner=PARTNER)
        return L.lines(L.ticker(max(s, AT - timedelta(minutes=90)), e, 6, line))

    rev = Rev(1, inc.born + timedelta(days=8), "helm upgrade", [
        c("quote-bff", f"{REGISTRY}/web/quote-bff:4.1.0", port=8080),
        c("istio-proxy", "docker.io/istio/proxyv2:1.24.1", port=15090, readiness_path=None, liveness_path=None)])
    wl = inc.deployment("web", "quote-bff", [rev], {1: [P(log=bff_log) for _ in range(2)]})
    for h in wl.pods:
        entries: list[tuple[datetime, str]] = []
        for i, t in enumerate(L.every(max(h.created, AT - timedelta(minutes=90)), inc.captured, 12)):
            stamp = f'[{t.strftime("%Y-%m-%dT%H:%M:%S")}.000Z]'
            if closed and t > written and i % 3 == 0:
                entries.append((t, f'{stamp} "- - -" 0 UH - - "-" 0 0 0 - "-" "-" "-" "-" "-" BlackHoleCluster - '
                                   f'52.10.4.{i % 200}:443 10.244.3.9:{41000 + i} {PARTNER} -'))
            else:
                code = 503 if not closed and t > written and i % 3 == 0 else 200
                entries.append((t, L.envoy(t, "GET", "/v3/rates", code, "-", f"{PARTNER}:443", 80 + i % 30,
                                           PARTNER, L.uuidish(h.name, i), details="via_upstream")
                                + f" outbound|443||{PARTNER}"))
        h.logs["istio-proxy"] = L.lines(entries)
    inc.deployment("web", "quote-cache", [
        Rev(1, inc.born + timedelta(days=8), "helm upgrade", [c("quote-cache", f"{REGISTRY}/web/quote-cache:1.2.0")]),
        Rev(2, AT - timedelta(minutes=20), "helm upgrade", [c("quote-cache", f"{REGISTRY}/web/quote-cache:1.2.1")])],
        {2: [P()]})
    start = AT - timedelta(hours=2)
    inc.series("istio_tcp_connections_opened_total", "counter", "Total TCP connections opened.", {
        "reporter": "source", "source_workload": "quote-bff", "source_workload_namespace": "web",
        "destination_service": "BlackHoleCluster" if closed else PARTNER},
        lambda t: round(max(0.0, (t - (written if closed else start)).total_seconds()) * 0.08, 3))
    inc.alertmanager("QuoteBffErrorRateHigh", {"namespace": "web", "service": "quote-bff"},
                     "quote-bff 5xx ratio above 5%", "More than 5% of web/quote-bff requests fail with 5xx.",
                     'sum(rate(http_requests_total{namespace="web",service="quote-bff",code=~"5.."}[5m])) > 0.05',
                     severity="critical")
    if closed:
        inc.answer_key(culprit=("Sidecar", "web", "default"),
                       keywords=["REGISTRY_ONLY", "BlackHoleCluster", "ServiceEntry"],
                       root_cause="Sidecar web/default set outboundTrafficPolicy REGISTRY_ONLY; the partner host has "
                                  "no ServiceEntry, so quote-bff's sidecar sends its connections to BlackHoleCluster.",
                       category="mesh-egress-registry-only", red_herrings=[("Deployment", "web", "quote-cache")])
    else:
        inc.answer_key(culprit=("Deployment", "web", "quote-bff"), keywords=["partner", "503"],
                       root_cause="The partner rates API answers 503 itself.", category="partner-down",
                       red_herrings=[("Sidecar", "web", "default")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs the prometheus package")
    return investigate_blind([lockdown, lambda: lockdown(closed=False)], tmp_path_factory.mktemp("egress"), jobs=1)


def test_a_sidecar_that_closed_egress_is_named_with_the_host_that_lost_its_route(results: dict[str, Any]) -> None:
    row = results["quote-egress-closed"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert top.startswith("Sidecar web/default closed the mesh's egress: outboundTrafficPolicy mode REGISTRY_ONLY"), top
    assert PARTNER in top[:400], top


def test_the_same_sidecar_left_open_while_the_partner_fails_is_not_named(results: dict[str, Any]) -> None:
    row = results["quote-partner-down"]
    assert "closed the mesh's egress" not in str(row.top or ""), row.top
