"""Cache rules rewritten and the hit rate standing low from the write on (issue #12, round 50 class).

Written here, not taken from the held-out bundles. Two shapes: an nginx `proxy_cache` config in a ConfigMap
rewritten, read through an exporter's hit-ratio gauge in percent; an app's cache TTL set to 0 by a rollout, read
through Redis' keyspace hit and miss counters as a fraction. Negative twins: a ConfigMap write holding no cache
rules while the hit rate falls anyway; cache rules written while the hit rate holds; a hit rate already low before
the write; a reload-hash rollout whose env name mentions the config. The fake hub answers `prom_query` by the
query's family and the time asked (the write's hour or now).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_text
from agent.toolhub import ToolOutcome
from agent.triage import cache_config, subject_of
from agent.triage.facts import Facts, Ref
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 7, 21, 13, 0, tzinfo=UTC)
WRITTEN = AT - timedelta(minutes=40)
NGINX = """proxy_cache_path /var/cache/nginx levels=1:2 keys_zone=pages:64m max_size=2g;
server {
  location /products/ {
    proxy_cache pages;
    proxy_cache_bypass $cookie_cart;
    proxy_pass http://shop-web.shop.svc:8080;
  }
}"""


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Hub(RecordingHub):
    """ConfigMaps by name, and one hit-rate family answering `level` at the write and `now` at the incident."""

    def __init__(self, objects: dict[tuple[str, str], dict[str, Any]], family: str, level: float, now: float,
                 labels: dict[str, str]) -> None:
        super().__init__(objects=objects)
        self.family, self.level, self.now, self.labels = family, level, now, labels

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "prom_query":
            return super().answer(call, eid)
        query = call.args["query"]
        if self.family not in query or "varnish" in query:
            return outcome(True, {"samples": []}, "", eid)
        value = self.level if call.args["time"] == _iso(WRITTEN) else self.now
        return outcome(True, {"samples": [{"labels": self.labels, "value": value}]}, "", eid)


def _facts(kind: str, ns: str, name: str, diff: list[str]) -> Facts:
    change = {"at": _iso(WRITTEN), "type": "config" if kind == "ConfigMap" else "rollout",
              "object": {"kind": kind, "namespace": ns, "name": name}, "summary": f"{kind} {ns}/{name} written",
              "diff": diff}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def _cm(name: str, ns: str, data: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def _run(facts: Facts, hub: Hub) -> list[cache_config.Rewritten]:
    asyncio.run(cache_config.read(subject_of(from_text("shop-web is slow")), facts, hub, _iso(AT)))
    return cache_config.found(facts)


def test_an_nginx_proxy_cache_config_rewritten_with_the_hit_ratio_falling_is_named() -> None:
    facts = _facts("ConfigMap", "edge", "storefront-nginx", ["data key nginx.conf set by argocd"])
    hub = Hub({("ConfigMap", "storefront-nginx"): _cm("storefront-nginx", "edge", {"nginx.conf": NGINX})},
              "cache_?hit", 86.0, 4.0, {"service": "storefront-nginx"})
    [r] = _run(facts, hub)
    assert r.target == Ref("ConfigMap", "edge", "storefront-nginx") and r.keys == ["nginx.conf"]
    message = cache_config.finding(r)["message"]
    assert "hit rate fell from 86% before the write to 4%" in message and "pass to the origin" in message
    [(ref, _, evidence, _)] = cache_config.suspects(facts)
    assert ref == r.target and "E2" in evidence


def test_an_app_cache_ttl_set_to_zero_by_a_rollout_is_named_by_the_redis_hit_ratio() -> None:
    facts = _facts("Deployment", "catalog", "product-api", ["api env PRODUCT_CACHE_TTL_SECONDS='300' -> "
                                                            "PRODUCT_CACHE_TTL_SECONDS='0'"])
    hub = Hub({}, "redis_keyspace", 0.93, 0.02, {"instance": "product-redis:9121"})
    [r] = _run(facts, hub)
    assert r.target == Ref("Deployment", "catalog", "product-api") and r.ratio == "Redis hit ratio"
    assert "from 93% before the write to 2%" in cache_config.finding(r)["message"]


def test_twin_a_configmap_without_cache_rules_is_not_named() -> None:
    facts = _facts("ConfigMap", "shop", "shop-web-settings", ["data key application.properties set by helm"])
    cm = _cm("shop-web-settings", "shop", {"application.properties": "logging.level.root=DEBUG\nserver.port=8080"})
    assert _run(facts, Hub({("ConfigMap", "shop-web-settings"): cm}, "cache_?hit", 86.0, 4.0, {})) == []


def test_twin_cache_rules_written_while_the_hit_rate_holds_are_not_named() -> None:
    facts = _facts("ConfigMap", "edge", "storefront-nginx", ["data key nginx.conf set by argocd"])
    hub = Hub({("ConfigMap", "storefront-nginx"): _cm("storefront-nginx", "edge", {"nginx.conf": NGINX})},
              "cache_?hit", 86.0, 79.0, {"service": "storefront-nginx"})
    assert _run(facts, hub) == []


def test_twin_a_hit_rate_already_low_before_the_write_is_not_named() -> None:
    facts = _facts("Deployment", "catalog", "product-api", ["api env PRODUCT_CACHE_TTL_SECONDS='300' -> "
                                                            "PRODUCT_CACHE_TTL_SECONDS='0'"])
    assert _run(facts, Hub({}, "redis_keyspace", 0.12, 0.02, {"instance": "product-redis:9121"})) == []


def test_twin_a_reload_hash_rollout_naming_the_config_is_no_rules_write() -> None:
    facts = _facts("Deployment", "edge", "edge-proxy", ["proxy env CONFIGMAP_HASH_EDGE_VCL (unset) -> "
                                                         "CONFIGMAP_HASH_EDGE_VCL='9f2c4e1a7b'"])
    assert _run(facts, Hub({}, "cache_?hit", 86.0, 4.0, {"service": "edge-proxy"})) == []


# ---- other caches' rules and ratios (issue #12 audit7) -------------------------------------------------------

HAPROXY = """global
  maxconn 4096
cache pages
  total-max-size 256
  max-age 0
backend catalog
  http-request cache-use pages
  http-response cache-store pages
  server web1 catalog-web.shop.svc:8080
"""
SQUID = """http_port 3128 accel defaultsite=docs.example.org
cache_peer docs-origin.web.svc parent 8080 0 no-query originserver
refresh_pattern -i \\.(css|js|png)$ 0 0% 0
refresh_pattern . 0 0% 0
"""


def _haproxy(text: str, level: float, now: float) -> list[cache_config.Rewritten]:
    facts = _facts("ConfigMap", "edge", "haproxy-edge", ["data key haproxy.cfg set by helm"])
    hub = Hub({("ConfigMap", "haproxy-edge"): _cm("haproxy-edge", "edge", {"haproxy.cfg": text})},
              "haproxy_frontend_http_cache", level, now, {"instance": "haproxy-edge:8405"})
    return _run(facts, hub)


def _squid(level: float, now: float) -> list[cache_config.Rewritten]:
    facts = _facts("ConfigMap", "web", "docs-squid", ["data key squid.conf set by kubectl-edit"])
    hub = Hub({("ConfigMap", "docs-squid"): _cm("docs-squid", "web", {"squid.conf": SQUID})},
              "squid_client_http", level, now, {"instance": "docs-squid:9301"})
    return _run(facts, hub)


def test_an_haproxy_cache_section_rewritten_with_its_hit_ratio_falling_is_named() -> None:
    [r] = _haproxy(HAPROXY, 0.82, 0.03)
    assert r.target == Ref("ConfigMap", "edge", "haproxy-edge") and r.ratio == "HAProxy cache hit ratio"


def test_twin_an_haproxy_config_without_cache_rules_is_not_named() -> None:
    assert _haproxy("global\n  maxconn 4096\nbackend catalog\n  timeout server 5s\n", 0.82, 0.03) == []


def test_squid_refresh_patterns_rewritten_with_its_hit_ratio_falling_is_named() -> None:
    [r] = _squid(0.71, 0.02)
    assert r.target == Ref("ConfigMap", "web", "docs-squid") and r.ratio == "Squid hit ratio"


def test_twin_squid_rules_written_while_its_hit_ratio_holds_are_not_named() -> None:
    assert _squid(0.71, 0.69) == []
