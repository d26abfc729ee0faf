"""A written CORS or CSP policy matched to the browser's refusals (agent.triage.browser_policy).

Objects and lines are made up for other products than any benchmark round: an Istio VirtualService's corsPolicy
and an API's env allow-list for CORS (Firefox's and Safari's wordings), a Traefik-style middleware field and an
nginx snippet annotation for CSP (Reporting API JSON and Chrome's console wording). Each shape has a twin that
looks the same and is not the cause: a foreign site refused (CORS working), a list that admits the origin, a
report-only policy, a policy that admits the blocked URL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from agent.triage import browser_policy as bp
from agent.triage.facts import Facts, LogEvidence, Ref
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _facts(obj: dict[str, Any], lines: list[str]) -> Facts:
    meta = obj["metadata"]
    target = Ref(obj["kind"], meta.get("namespace"), meta["name"])
    facts = Facts(at=AT)
    facts.reads[bp.READS] = {"policies": bp.policies(obj, target, "edited 30 min before the alert", "E1"),
                             "lines": [({"pod": "client-errors-abc12", "namespace": "shop", "lines": lines}, "E2")]}
    return facts


def _virtual_service(origins: list[str]) -> dict[str, Any]:
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "orders-api", "namespace": "shop"},
            "spec": {"hosts": ["orders.example.io"], "http": [{"corsPolicy": {
                "allowOrigins": [{"exact": o} for o in origins], "allowMethods": ["GET", "POST"]},
                "route": [{"destination": {"host": "orders"}}]}]}}


def _firefox(origin: str, n: int) -> list[str]:
    return [f'{{"ts":"2026-11-30T11:4{i}:00Z","origin":"{origin}","msg":"Cross-Origin Request Blocked: The Same '
            "Origin Policy disallows reading the remote resource at https://orders.example.io/v1/cart. (Reason: "
            f'CORS header \\u2018Access-Control-Allow-Origin\\u2019 missing). Status code: 204."}}' for i in range(n)]


def test_a_mesh_cors_origin_written_with_a_path_is_named() -> None:
    facts = _facts(_virtual_service(["https://app.example.io/shop", "https://admin.example.io"]),
                   _firefox("https://app.example.io", 5))
    [x] = bp.excluded(facts)
    found = bp.finding(x)
    assert found["object"] == {"kind": "VirtualService", "namespace": "shop", "name": "orders-api"}
    assert "with a path" in found["message"] and "Access-Control-Allow-Origin" in found["message"]
    assert x.blocked == 5 and x.victim == "https://app.example.io"


def test_a_foreign_site_refused_is_cors_working() -> None:
    facts = _facts(_virtual_service(["https://app.example.io", "https://admin.example.io"]),
                   _firefox("https://coupons-scraper.example.net", 6))
    assert bp.excluded(facts) == []


def _api(origins: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bookings-api", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "bookings:4", "env": [
                {"name": "LOG_LEVEL", "value": "info"}, {"name": "CORS_ALLOWED_ORIGINS", "value": origins}]}]}}}}


def _safari(origin: str, n: int) -> list[str]:
    return [f"2026-11-30T11:50:{i:02d}Z WARN client-error ua=Safari/17.4 detail=\"Origin {origin} is not allowed by "
            "Access-Control-Allow-Origin. Status code: 204\"" for i in range(n)]


def test_an_env_allow_list_with_a_trailing_slash_is_named() -> None:
    facts = _facts(_api("https://book.example.org/, https://partners.example.org"),
                   _safari("https://book.example.org", 4))
    [x] = bp.excluded(facts)
    assert "trailing slash" in x.why and "CORS" in bp.finding(x)["message"]


def test_an_allow_list_that_admits_the_origin_is_not_blamed() -> None:
    # the origin is listed exactly: the refusals come from elsewhere (an error answer without the header)
    facts = _facts(_api("https://book.example.org,https://partners.example.org"),
                   _safari("https://book.example.org", 4))
    assert bp.excluded(facts) == []


def _middleware(csp: str) -> dict[str, Any]:
    return {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
            "metadata": {"name": "secure-headers", "namespace": "shop"},
            "spec": {"headers": {"contentSecurityPolicy": csp, "frameDeny": True}}}


def _reports(blocked: str, disposition: str, n: int) -> list[str]:
    return [f'2026-11-30 11:4{i}:00,120 INFO reports: [{{"type":"csp-violation","age":3,"body":{{"documentURL":'
            f'"https://www.example.io/cart","effectiveDirective":"connect-src","blockedURL":"{blocked}",'
            f'"disposition":"{disposition}","statusCode":200}}}}]' for i in range(n)]


def test_a_default_src_self_policy_blocking_an_api_origin_is_named() -> None:
    facts = _facts(_middleware("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"),
                   _reports("https://events.example.io/collect", "enforce", 4))
    [x] = bp.excluded(facts)
    found = bp.finding(x)
    assert x.why == "default-src 'self'" and x.victim == "https://events.example.io"
    assert "Content-Security-Policy" in found["message"] and found["object"]["kind"] == "Middleware"


def test_report_only_violations_block_nothing() -> None:
    facts = _facts(_middleware("default-src 'self'; img-src 'self' data:"),
                   _reports("https://events.example.io/collect", "report", 6))
    assert bp.excluded(facts) == []


def _ingress(snippet: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "webshop", "namespace": "shop",
                         "annotations": {"nginx.ingress.kubernetes.io/configuration-snippet": snippet}},
            "spec": {"rules": [{"host": "www.example.io"}]}}


def _console(url: str, directive: str, n: int) -> list[str]:
    return [f"level=error ts=2026-11-30T11:5{i}:00Z src=browser msg=\"Refused to connect to '{url}' because it "
            f"violates the following Content Security Policy directive: \\\"{directive}\\\".\"" for i in range(n)]


def test_a_connect_src_in_a_snippet_blocking_a_websocket_origin_is_named() -> None:
    snippet = ('more_set_headers "Content-Security-Policy: default-src \'self\'; '
               'connect-src \'self\' https://api.example.io";\n')
    facts = _facts(_ingress(snippet), _console("wss://live.example.io/socket", "connect-src 'self' "
                                               "https://api.example.io", 3))
    [x] = bp.excluded(facts)
    assert x.why.startswith("connect-src") and x.victim == "wss://live.example.io"


def test_a_policy_that_admits_the_blocked_url_is_not_blamed_and_report_only_is_no_policy() -> None:
    snippet = ('more_set_headers "Content-Security-Policy: default-src \'self\'; '
               'connect-src \'self\' https://api.example.io wss://live.example.io";\n')
    facts = _facts(_ingress(snippet), _console("wss://live.example.io/socket", "connect-src 'self'", 3))
    assert bp.excluded(facts) == []  # the lines were about another, older policy: this one admits the socket
    report_only = ('more_set_headers "Content-Security-Policy-Report-Only: default-src \'self\'; '
                   'connect-src \'self\'";\n')
    assert bp.policies(_ingress(report_only), Ref("Ingress", "shop", "webshop"), "", "E1") == []


# ---- the gate: nothing is read unless the incident shows the class -------------------------------------------------
def _incident(writes: list[tuple[str, str, str]], said: list[str]) -> Facts:
    """An incident whose timeline holds `writes` (kind, name, diff line), 40 min before, and whose one classified log
    says `said` as warnings."""
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [{"at": "2026-11-30T11:20:00Z", "type": "other",
                                  "object": {"kind": kind, "namespace": "shop", "name": name},
                                  "summary": f"{kind} shop/{name} written by kubectl-edit: {diff}", "diff": [diff]}
                                 for kind, name, diff in writes]}
    facts.logs = [LogEvidence(pod="cart-ui-7c9d8-x2k4p", namespace="shop", evidence_id="L1",
                              top={"example": "GET /healthz 200", "severity": "info"}, hosts=[], error_classes=set(),
                              previous=False, warnings=[{"example": s, "severity": "warning"} for s in said])]
    return facts


def _read(facts: Facts, hub: RecordingHub) -> RecordingHub:
    asyncio.run(bp.read(facts, hub))
    return hub


ROLLOUT = ("Deployment", "orders", "orders image registry.example.io/orders:2.3 -> registry.example.io/orders:2.4")


def test_an_unrelated_incident_reads_nothing() -> None:
    # a rollout and a datastore timeout: no browser policy written, no browser refusal said
    facts = _incident([ROLLOUT], ["psycopg.errors.QueryCanceled: canceling statement due to statement timeout"])
    hub = _read(facts, RecordingHub(objects={}, lists={}, logs={}))
    assert not bp.browser_symptom(facts) and hub.calls == [] and bp.READS not in facts.reads


def test_a_mesh_cors_origin_written_with_a_path_is_read_and_named_through_the_gate() -> None:
    # CORS, write shape: an Istio corsPolicy edit (no browser words gathered yet), the page's refusals read after
    facts = _incident([("VirtualService", "orders-api", "spec.http[0].corsPolicy.allowOrigins changed")], [])
    vs = _virtual_service(["https://app.example.io/shop"])
    hub = _read(facts, RecordingHub(objects={("VirtualService", "shop", "orders-api"): vs},
                                    lists={("pods", "shop"): [{"name": "client-errors-6d5f7b8c9-abc12"}]},
                                    logs={"client-errors-6d5f7b8c9-abc12": _firefox("https://app.example.io", 4)}))
    assert hub.calls and [x.policy.target.name for x in bp.excluded(facts)] == ["orders-api"]


def test_browser_refusal_words_open_the_gate_without_a_policy_word_in_the_write() -> None:
    # CORS, log shape: Chrome's preflight wording; CSP, log shape: a Reporting API violation body
    preflight = ("Access to fetch at 'https://api.example.io/v1/cart' from origin 'https://shop.example.io' has been "
                 "blocked by CORS policy: Response to preflight request doesn't pass access control check")
    report = '{"type":"csp-violation","body":{"effectiveDirective":"connect-src","blockedURL":"https://x.example.io"}}'
    for said in (preflight, report):
        facts = _incident([("ConfigMap", "web-settings", "data key app.yaml set")], [said])
        assert bp.browser_symptom(facts)
        hub = _read(facts, RecordingHub(objects={}, lists={}, logs={}))
        assert [tool for tool, _ in hub.calls] == ["k8s_get"]  # the written object is read, as before the gate


def test_a_csp_written_as_a_header_opens_the_gate() -> None:
    # CSP, write shapes: an nginx snippet annotation that sets the header, a middleware's contentSecurityPolicy field
    for kind, diff in (("Ingress", "metadata.annotations.nginx.ingress.kubernetes.io/configuration-snippet set"),
                       ("Middleware", "spec.headers.contentSecurityPolicy = \"default-src 'self'\"")):
        assert bp.browser_symptom(_incident([ROLLOUT, (kind, "webshop", diff)], []))
