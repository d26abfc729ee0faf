"""A traffic split raised toward a build that lacks the paths users ask for: its 404s are the route's failure.

A canary or preview build often answers "not found" (at warn level, not error) for pages the stable build
serves. The route that sends it a share of the users is the cause when the build that gained weight 404s and
the other backends do not; when every backend 404s the same way, or the build lost weight, it is not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import route_weights
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 6, 14, 9, 30, tzinfo=UTC)


def _change(kind: str, ns: str, name: str, diff: list[str], ago: timedelta) -> dict[str, Any]:
    return {"at": (AT - ago).isoformat().replace("+00:00", "Z"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
            "diff": diff}


def _warn_log(ns: str, pod: str, message: str) -> LogEvidence:
    """A pod whose logs hold no error, only warnings (how most web servers log a 404)."""
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"E-{pod}", top=None, hosts=[], error_classes=set(),
                       previous=False, warnings=[{"message": message}])


def _canary_ingress(preview_says: str, stable_says: str = "GET /docs 200") -> Facts:
    """ingress-nginx canary Ingress annotated 0 -> 25; the preview build behind it logs `preview_says`."""
    facts = Facts(at=AT, changes={"changes": [_change("Ingress", "docs", "docs-canary", [
        "metadata.annotations.nginx.ingress.kubernetes.io/canary-weight: '0' -> '25'"], timedelta(minutes=18))]},
                  changes_id="E2",
                  logs=[_warn_log("docs", "docs-next-7f9-a", preview_says),
                        _warn_log("docs", "docs-5c8-b", stable_says)])
    facts.reads[route_weights.READS] = {"Ingress docs/docs-canary": {
        "now": {"docs-next": 25.0}, "before": None, "evidence": "E40",
        "backends": {"docs-next": {"pods": ["docs-next-7f9-a"], "namespace": "docs"}}}}
    return facts


def _http_route(new_says: str, old_says: str, before: dict[str, float]) -> Facts:
    """Gateway API HTTPRoute whose backendRefs weights moved; Rails-style 'No route matches' on the new build."""
    facts = Facts(at=AT, changes={"changes": [_change("HTTPRoute", "shop", "storefront", [
        "spec.rules[0].backendRefs[1].weight: 0 -> 50"], timedelta(minutes=30))]}, changes_id="E2",
                  logs=[_warn_log("shop", "store-v3-1a", new_says), _warn_log("shop", "store-v2-9z", old_says)])
    facts.reads[route_weights.READS] = {"HTTPRoute shop/storefront": {
        "now": {"store-v2": 50.0, "store-v3": 50.0}, "before": before, "evidence": "E41",
        "backends": {"store-v3": {"pods": ["store-v3-1a"], "namespace": "shop"},
                     "store-v2": {"pods": ["store-v2-9z"], "namespace": "shop"}}}}
    return facts


def test_canary_ingress_weight_toward_a_preview_that_404s_is_named_with_its_share() -> None:
    found = route_weights.found(_canary_ingress('{"level":"warn","msg":"not found","url":"/guides","status":404}'))
    assert [f.backend for f in found] == ["docs-next"]
    message = route_weights.finding(found[0])["message"]
    assert message.startswith("Ingress docs/docs-canary changed its traffic weights")
    assert "docs-next now gets 25% of the traffic" in message and "404" in message


def test_http_route_weight_toward_a_build_without_the_route_is_named() -> None:
    facts = _http_route('ActionController::RoutingError (No route matches [GET] "/checkout/gift")',
                        'Completed 200 OK in 12ms', {"store-v2": 100.0, "store-v3": 0.0})
    assert [f.backend for f in route_weights.found(facts)] == ["store-v3"]


def test_404s_every_backend_answers_are_the_requests_own_not_the_route_s() -> None:
    same = '127.0.0.1 - - "GET /wp-login.php HTTP/1.1" 404 153'
    assert route_weights.found(_http_route(same, same, {"store-v2": 100.0, "store-v3": 0.0})) == []


def test_a_backend_that_lost_weight_is_not_blamed_for_its_404s() -> None:
    facts = _http_route('"GET /old HTTP/1.1" 404 0', "GET / 200", {"store-v2": 0.0, "store-v3": 100.0})
    assert route_weights.found(facts) == []


def test_a_preview_serving_fine_is_not_named() -> None:
    assert route_weights.found(_canary_ingress('{"level":"info","msg":"served","url":"/guides","status":200}')) == []
