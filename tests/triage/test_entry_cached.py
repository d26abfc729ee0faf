"""An HTML entry page made cacheable for days, then a release: cached pages ask for hashed files that now 404
(agent.triage.entry_cached). Written here in our own words, not from a held-out bundle.

Shapes: an ingress-nginx `server-snippet` with `add_header Cache-Control "public, max-age=604800"` before a Vite
build's release (`/assets/index-4f9a2c1b.js` 404); a `configuration-snippet` with `expires 30d` before a Next.js
release (`/_next/static/chunks/...js` 404). Twins: the header kept to asset files by an nginx location block; the
same header and 404s with no release after the write; a max-age of ten minutes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import entry_cached as ec
from agent.triage.facts import Facts
from agent.triage.subject import Subject

AT = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
VITE_404 = ('10.2.0.{n} - - [20/May/2026:10:4{n}:00 +0000] "GET /assets/index-4f9a2c1b.js HTTP/2.0" 404 146 "-" '
            '"Mozilla/5.0 (Macintosh)" 380 0.001 [shop-webapp-8080] [] 10.2.3.4:8080 146 0.001 404 abc')
NEXT_404 = ('10.9.1.{n} - - [20/May/2026:10:5{n}:00 +0000] "GET /_next/static/chunks/pages/index-2b7c.js HTTP/1.1" '
            '404 0 "-" "Mozilla/5.0 (iPhone)"')


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _annotated(ns: str, name: str, key: str, value: str, hours: float) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(hours=hours)), "type": "other",
            "object": {"kind": "Ingress", "namespace": ns, "name": name},
            "summary": f"Ingress {ns}/{name} written by kubectl-annotate: metadata.annotations.{key}",
            "diff": [f"metadata.annotations.{key} written by kubectl-annotate (now '{value}')"]}


def _rollout(ns: str, name: str, hours: float) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(hours=hours)), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 9: {name} image app:41 -> app:42"}


def _run(changes: list[dict[str, Any]], ns: str, backend: str, pod: str, line: str) -> list[ec.Cached]:
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": backend, "namespace": ns},
               "spec": {"rules": [{"host": "www.example.test", "http": {"paths": [
                   {"path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": backend, "port": {"number": 8080}}}}]}}]}}
    log = "\n".join(line.format(n=n) for n in range(5))

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_get":
            text = yaml.safe_dump(ingress)
            return ToolOutcome("E4", tool, arguments, True, text, full_text=text)
        if tool == "k8s_list":
            return ToolOutcome("E5", tool, arguments, True, "", data={"rows": [{"name": pod}]})
        return ToolOutcome("E6", tool, arguments, True, log, full_text=log)

    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    asyncio.run(ec.read(Subject(namespace=ns), facts, call, _iso(AT)))
    return ec.found(facts)


def test_a_week_long_cache_header_then_a_vite_release_is_named() -> None:
    changes = [_annotated("shop", "webapp", "nginx.ingress.kubernetes.io/server-snippet",
                          'add_header Cache-Control "public, max-age=604800" always;', 20),
               _rollout("shop", "webapp", 2)]
    [hit] = _run(changes, "shop", "webapp", "webapp-5c7d9f8b6-k2x4m", VITE_404)
    assert (hit.target.name, hit.seconds, hit.written_by, len(hit.misses)) == ("webapp", 604800,
                                                                               "kubectl-annotate", 5)
    message = ec.finding(hit, AT)["message"]
    assert "Cache-Control max-age=604800 (7 days)" in message and "index.html" in message
    assert "/assets/index-4f9a2c1b.js" in message


def test_an_nginx_expires_of_thirty_days_then_a_next_release_is_named() -> None:
    changes = [_annotated("news", "portal", "nginx.ingress.kubernetes.io/configuration-snippet", "expires 30d;", 30),
               _rollout("news", "portal", 1)]
    [hit] = _run(changes, "news", "portal", "portal-6b8c7d9f5-q4w2z", NEXT_404)
    assert hit.seconds == 30 * 86400 and hit.header == "expires 30d"


def test_a_long_cache_kept_to_asset_files_is_not_named() -> None:
    snippet = 'location ~* \\.(js|css)$ { add_header Cache-Control "public, max-age=31536000, immutable"; }'
    changes = [_annotated("shop", "webapp", "nginx.ingress.kubernetes.io/server-snippet", snippet, 20),
               _rollout("shop", "webapp", 2)]
    assert _run(changes, "shop", "webapp", "webapp-5c7d9f8b6-k2x4m", VITE_404) == []


def test_no_release_after_the_header_or_a_short_max_age_is_not_named() -> None:
    header = 'add_header Cache-Control "public, max-age=604800" always;'
    before = [_annotated("shop", "webapp", "nginx.ingress.kubernetes.io/server-snippet", header, 2),
              _rollout("shop", "webapp", 20)]
    assert _run(before, "shop", "webapp", "webapp-5c7d9f8b6-k2x4m", VITE_404) == []
    short = [_annotated("shop", "webapp", "nginx.ingress.kubernetes.io/server-snippet",
                        'add_header Cache-Control "max-age=600";', 20), _rollout("shop", "webapp", 2)]
    assert _run(short, "shop", "webapp", "webapp-5c7d9f8b6-k2x4m", VITE_404) == []


def test_it_is_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert ec in behind.MODULES and behind.WEIGHTS[ec.CHECK] == ec.WEIGHT


# Other products' wording for the same class (issue #12): the header written outside an Ingress, the 404s in a
# structured access log. Each failed before the link read kinds other than Ingress and logs other than nginx's.
CADDY_404 = ('{{"level":"info","ts":1779270{n}00.1,"logger":"http.log.access","msg":"handled request",'
             '"request":{{"method":"GET","host":"app.example.test","uri":"/static/js/main.8c1f3a2e.chunk.js"}},'
             '"status":404,"size":0}}')
CADDY_200 = ('{{"level":"info","logger":"http.log.access","request":{{"method":"GET",'
             '"uri":"/static/js/main.8c1f3a2e.chunk.js"}},"status":200,"size":812}}\n'
             '{{"request":{{"uri":"/favicon-{n}.ico"}},"status":404}}')
LOGFMT_404 = 'time=2026-05-20T10:4{n}:00Z level=info method=GET path=/assets/app-9d3e1f7a.css status=404 dur=1ms'


def _written(kind: str, ns: str, name: str, field: str, value: str, hours: float) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(hours=hours)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-controller: {field}",
            "diff": [f"{field} written by argocd-controller (now '{value}')"]}


def _run_any(changes: list[dict[str, Any]], pod: str, line: str, route: dict[str, Any] | None = None) \
        -> list[ec.Cached]:
    log = "\n".join(line.format(n=n) for n in range(5))

    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        if tool == "k8s_get":
            text = yaml.safe_dump(route or {})
            return ToolOutcome("E4", tool, arguments, route is not None, text, full_text=text)
        if tool == "k8s_list":
            return ToolOutcome("E5", tool, arguments, True, "", data={"rows": [{"name": pod}]})
        return ToolOutcome("E6", tool, arguments, True, log, full_text=log)

    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    asyncio.run(ec.read(Subject(namespace="web"), facts, call, _iso(AT)))
    return ec.found(facts)


def test_a_traefik_middleware_header_then_a_release_with_caddy_json_404s_is_named() -> None:
    changes = [_written("Middleware", "web", "cache-headers", "spec.headers.customResponseHeaders.Cache-Control",
                        "public, max-age=2592000", 26), _rollout("web", "storefront", 1)]
    [hit] = _run_any(changes, "storefront-7d9c8b5f4-x2k9p", CADDY_404)
    assert (hit.target.kind, hit.seconds, str(hit.release)) == ("Middleware", 2592000, "Deployment web/storefront")
    assert "/static/js/main.8c1f3a2e.chunk.js" in ec.finding(hit, AT)["message"]


def test_a_middleware_header_whose_hashed_files_still_answer_is_not_named() -> None:
    changes = [_written("Middleware", "web", "cache-headers", "spec.headers.customResponseHeaders.Cache-Control",
                        "public, max-age=2592000", 26), _rollout("web", "storefront", 1)]
    assert _run_any(changes, "storefront-7d9c8b5f4-x2k9p", CADDY_200) == []


def test_an_apache_expires_default_in_a_configmap_then_a_release_with_logfmt_404s_is_named() -> None:
    conf = 'ExpiresActive On  ExpiresDefault "access plus 1 month"'
    changes = [_written("ConfigMap", "web", "httpd-conf", "data.httpd.conf", conf, 40),
               _rollout("web", "catalog-ui", 3)]
    [hit] = _run_any(changes, "catalog-ui-58f6d7c9b-7hq2w", LOGFMT_404)
    assert (hit.target.kind, hit.seconds) == ("ConfigMap", 30 * 86400)


def test_an_apache_expires_kept_to_scripts_is_not_named() -> None:
    conf = 'ExpiresActive On  ExpiresByType application/javascript "access plus 1 year"'
    changes = [_written("ConfigMap", "web", "httpd-conf", "data.httpd.conf", conf, 40),
               _rollout("web", "catalog-ui", 3)]
    assert _run_any(changes, "catalog-ui-58f6d7c9b-7hq2w", LOGFMT_404) == []


def _route(path: str) -> dict[str, Any]:
    modifier = {"type": "ResponseHeaderModifier", "responseHeaderModifier": {
        "set": [{"name": "Cache-Control", "value": "public, max-age=604800"}]}}
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "site", "namespace": "web"},
            "spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": path}}], "filters": [modifier],
                                "backendRefs": [{"name": "spa", "port": 80}]},
                               {"backendRefs": [{"name": "spa", "port": 80}]}]}}


def test_a_gateway_route_header_on_the_root_then_a_release_is_named() -> None:
    changes = [_written("HTTPRoute", "web", "site", "spec.rules[0].filters[0].responseHeaderModifier.set[0]",
                        "name: Cache-Control, value: public, max-age=604800", 10), _rollout("web", "spa", 1)]
    [hit] = _run_any(changes, "spa-6c5b4d8f7-l9m4n", VITE_404, _route("/"))
    assert (hit.target.kind, str(hit.release)) == ("HTTPRoute", "Deployment web/spa")


def test_a_gateway_route_header_kept_to_the_asset_path_is_not_named() -> None:
    changes = [_written("HTTPRoute", "web", "site", "spec.rules[0].filters[0].responseHeaderModifier.set[0]",
                        "name: Cache-Control, value: public, max-age=604800", 10), _rollout("web", "spa", 1)]
    assert _run_any(changes, "spa-6c5b4d8f7-l9m4n", VITE_404, _route("/assets")) == []


def test_a_long_cache_set_for_the_static_files_only_is_not_named() -> None:
    changes = [_written("Deployment", "web", "storefront", "spec.template.spec.containers[0].env.STATIC_CACHE_CONTROL",
                        "public, max-age=31536000, immutable", 26), _rollout("web", "storefront", 1)]
    assert _run_any(changes, "storefront-7d9c8b5f4-x2k9p", CADDY_404) == []
