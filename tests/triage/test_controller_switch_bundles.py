"""Traefik's provider switch turned off in its environment, an IngressRoute it then refuses, end to end.

Bundles written here with the corpus generator's writer, served by the replay API server and Debian's Prometheus,
investigated blind in runbook-only mode and scored against their answer keys (as `vigil eval`). The shape differs
from the held-out round's ingress-nginx ConfigMap key on purpose: the switch is an environment variable of the
controller's own Deployment (`TRAEFIK_PROVIDERS_KUBERNETESCRD_ALLOWEXTERNALNAMESERVICES` true -> false, rolled out by
Helm 30 minutes before the page), the refusal is Traefik's JSON error line `externalName services not allowed:
shop/legacy-catalog` and the object lives in the shop namespace, whose catalog-web rollout is the red herring. The
negative twin: the same rollout while Traefik refuses nothing (catalog-web itself answers 500): Traefik's
Deployment must not be named.
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
from corpus.kit import REGISTRY, Incident, P, Rev, c  # noqa: E402

AT = datetime(2026, 10, 19, 11, 10, tzinfo=UTC)
SWITCH = "TRAEFIK_PROVIDERS_KUBERNETESCRD_ALLOWEXTERNALNAMESERVICES"


def switched_off(refuses: bool = True) -> Incident:
    """Traefik's ExternalName switch rolled out false; it refuses shop/legacy-catalog (or, in the twin, refuses
    nothing while catalog-web fails on its own)."""
    name = "catalog-switch-off" if refuses else "catalog-web-fails"
    inc = Incident(name, title="shop catalog 404s", story=switched_off.__doc__ or "", at=AT, seed=7219,
                   namespaces=("traefik", "shop"))
    written = AT - timedelta(minutes=30)

    def traefik_log(pod: str, s: datetime, e: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if refuses and t >= written and i % 4 == 0:
                return L.js(t, "error", "Cannot create service", error="externalName services not allowed: "
                            "shop/legacy-catalog", providerName="kubernetescrd", ingress="catalog", namespace="shop")
            return L.js(t, "info", "request served", router="shop-web@kubernetescrd", status=200, duration_ms=9)
        return L.lines(L.ticker(max(s, AT - timedelta(minutes=90)), e, 15, line))

    def env(value: str) -> list[dict[str, Any]]:
        return [{"name": SWITCH, "value": value}, {"name": "TRAEFIK_LOG_FORMAT", "value": "json"}]

    inc.deployment("traefik", "traefik", [
        Rev(1, inc.born + timedelta(days=10), "helm upgrade",
            [c("traefik", "docker.io/library/traefik:v3.1.4", port=8000, env=env("true"))]),
        Rev(2, written, "helm upgrade", [c("traefik", "docker.io/library/traefik:v3.1.4", port=8000,
                                           env=env("false"))])],
        {2: [P(log=traefik_log) for _ in range(2)]})

    def web_log(pod: str, s: datetime, e: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if not refuses and t >= written and i % 3 == 0:
                return L.logfmt(t, "error", "render failed: template catalog.html: nil pointer", status=500)
            return L.logfmt(t, "info", "page rendered", path="/catalog", status=200, ms=30 + i % 7)
        return L.lines(L.ticker(max(s, AT - timedelta(minutes=90)), e, 10, line))

    inc.deployment("shop", "catalog-web", [
        Rev(1, inc.born + timedelta(days=6), "helm upgrade", [c("catalog-web", f"{REGISTRY}/shop/catalog-web:2.3.0")]),
        Rev(2, AT - timedelta(minutes=18), "helm upgrade",
            [c("catalog-web", f"{REGISTRY}/shop/catalog-web:2.3.1")])],
        {2: [P(log=web_log) for _ in range(2)]})
    inc.service("shop", "catalog-web", {"app": "catalog-web"}, port=80, target=8080)
    inc.alertmanager("ShopCatalogErrors", {"namespace": "shop", "service": "catalog-web"},
                     "shop catalog requests failing", "Requests to shop.example.com/catalog fail (404/5xx).",
                     'sum(rate(traefik_service_requests_total{code=~"404|5.."}[5m])) > 1', severity="critical")
    if refuses:
        inc.answer_key(culprit=("Deployment", "traefik", "traefik"),
                       keywords=["ALLOWEXTERNALNAMESERVICES", "externalName services not allowed", "legacy-catalog"],
                       root_cause="Traefik's ExternalName support was switched off in its environment; it refuses "
                                  "the shop/legacy-catalog service the catalog route uses.",
                       category="controller-switch-off", red_herrings=[("Deployment", "shop", "catalog-web")])
    else:
        inc.answer_key(culprit=("Deployment", "shop", "catalog-web"), keywords=["template", "nil pointer"],
                       root_cause="catalog-web's new release fails to render its template.", category="app-bug",
                       red_herrings=[("Deployment", "traefik", "traefik")])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if shutil.which("prometheus") is None:
        pytest.skip("needs the prometheus package")
    return investigate_blind([switched_off, lambda: switched_off(refuses=False)], tmp_path_factory.mktemp("switch"),
                             jobs=1)


def test_traefiks_switch_written_in_its_env_is_named_with_the_object_it_refuses(results: dict[str, Any]) -> None:
    row = results["catalog-switch-off"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert top.startswith(f"Deployment traefik/traefik changed a controller-wide switch: {SWITCH} set to 'false'"), top
    assert "externalName services not allowed: shop/legacy-catalog" in top, top


def test_the_same_rollout_while_traefik_refuses_nothing_is_not_named(results: dict[str, Any]) -> None:
    row = results["catalog-web-fails"]
    assert "controller-wide switch" not in str(row.top or ""), row.top
