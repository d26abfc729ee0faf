"""A proxy's configuration write that makes every request cost CPU in the proxy (issue #12, round 18 class).

Written here, not taken from the held-out bundles: an ingress-nginx controller ConfigMap switching ModSecurity on
with an inline rule whose regex nests `.*` quantifiers (the controller's CPU pinned at its limit, its request time
far above its upstream time), and a Traefik Deployment enabling a plugin (only the proxy's time ratio moves).
Negative twins: the proxy already pinned before the write, a mild CPU rise, a ConfigMap of an application
namespace, and regexes that cannot backtrack. `read` is driven through a recorded fake of the tool hub in the
shape the range tool answers (each series' biggest change, its time and the levels around it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import proxy_cost
from agent.triage.facts import Facts
from tests.triage.doubles import outcome

AT = datetime(2026, 9, 2, 14, 31, tzinfo=UTC)
WRITE = AT - timedelta(minutes=29)
SNIPPET = ("SecRuleEngine On\nSecRule REQUEST_URI|ARGS \"@rx (?:\\d|true|false)+[)]*;?((?:\\s|-|~)*.*(?:.*=.*))\" "
           "\"id:1009817,phase:2,block,log\"\n")


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _change(kind: str, ns: str, name: str, diff: list[str], at: datetime = WRITE) -> dict[str, Any]:
    return {"at": _iso(at), "type": "config" if kind == "ConfigMap" else "rollout",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated by kubectl-edit", "diff": diff}


NGINX_CM = _change("ConfigMap", "ingress-nginx", "ingress-nginx-controller",
                   ["data key enable-modsecurity set by kubectl-edit",
                    "data key modsecurity-snippet set by kubectl-edit"])
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
             "data": {"enable-modsecurity": "true", "modsecurity-snippet": SNIPPET}}
PODS = [{"namespace": "ingress-nginx", "name": "ingress-nginx-controller-7d9f8b6c5d-x2x9q", "status": "Running",
         "images": ["registry.k8s.io/ingress-nginx/controller:v1.11.2"]},
        {"namespace": "edge", "name": "traefik-5c9d7f6b4-x7k2p", "status": "Running", "images": ["traefik:v3.1"]},
        {"namespace": "gateway", "name": "front-envoy-7b9c8d6f5-m4n8q", "status": "Running",
         "images": ["envoyproxy/envoy:v1.31.0"]},
        {"namespace": "shop", "name": "storefront-6b8c9d7f5-qwert", "status": "Running", "images": ["shop/web:4.2"]}]


def _series(at: datetime, before: float, after: float, pod: str = "") -> dict[str, Any]:
    return {"labels": {"pod": pod} if pod else {}, "change": {"at": _iso(at), "shape": "step", "before": before,
                                                              "after": after, "score": 9.0}}


@dataclass
class Hub:
    """The tool hub: pods, the ConfigMap, and the range series per query family."""

    ratio: list[dict[str, Any]]
    cpu: list[dict[str, Any]]
    ratio_family: str = "nginx_ingress"
    throttled: list[dict[str, Any]] | None = None

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool == "k8s_list":
            return outcome(True, {"rows": PODS}, "", "E3")
        if tool == "k8s_get":
            import yaml
            text = yaml.safe_dump(CONFIGMAP)
            return outcome(True, {}, text, "E4")
        assert tool == "prom_query_range"
        query = str(args["query"])
        if "container_cpu_usage_seconds_total" in query:
            return outcome(True, {"series": self.cpu}, "", "E6")
        if "container_cpu_cfs_throttled_periods_total" in query:
            return outcome(True, {"series": self.throttled or []}, "", "E7")
        return outcome(True, {"series": self.ratio if self.ratio_family in query else []}, "", "E5")


def _run(changes: list[dict[str, Any]], hub: Hub) -> list[proxy_cost.Costly]:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    asyncio.run(proxy_cost.read(facts, hub, _iso(AT)))
    return proxy_cost.found(facts)


AFTER = WRITE + timedelta(minutes=3)


def test_modsecurity_rule_with_a_backtracking_regex_pins_the_ingress_controller() -> None:
    hub = Hub([_series(AFTER, 1.3, 219.0)], [_series(AFTER, 0.09, 1.02, "ingress-nginx-controller-7d9f8b6c5d-x2x9q")])
    [hit] = _run([NGINX_CM], hub)
    assert str(hit.target) == "ConfigMap ingress-nginx/ingress-nginx-controller" and hit.regex
    message = proxy_cost.finding(hit)["message"]
    assert message.startswith("ConfigMap ingress-nginx/ingress-nginx-controller (configuration of proxy "
                              "ingress-nginx/ingress-nginx-controller) added a WAF (ModSecurity) rule set")
    head = message[:400]
    assert "catastrophic backtracking" in head and "CPU" in head and "102% of its limit" in head


def test_traefik_plugin_enabled_only_the_proxy_time_ratio_moves() -> None:
    change = _change("Deployment", "edge", "traefik",
                     ["traefik args ['--entrypoints.web.address=:80'] -> ['--entrypoints.web.address=:80', "
                      "'--experimental.plugins.geoblock.modulename=github.com/x/geoblock']"])
    hub = Hub([_series(AFTER, 1.1, 6.5)], [], ratio_family="traefik")
    [hit] = _run([change], hub)
    assert hit.proxy == "edge/traefik" and hit.added.startswith("code")
    assert "6x the upstream's time in the proxy" in proxy_cost.finding(hit)["message"]


def test_envoy_lua_filter_without_a_cpu_limit_series_shows_in_throttled_periods() -> None:
    change = _change("ConfigMap", "gateway", "front-envoy-config",
                     ["data key envoy.yaml set by helm (http_filters: envoy.filters.http.lua inline_code added)"])
    hub = Hub([], [], throttled=[_series(AFTER, 0.1, 7.5, "front-envoy-7b9c8d6f5-m4n8q")])
    [hit] = _run([change], hub)
    assert hit.proxy == "gateway/front-envoy" and hit.added.startswith("code")
    assert "7.5 throttled periods a second" in proxy_cost.finding(hit)["message"][:400]
    calm = Hub([], [], throttled=[_series(AFTER, 0.1, 0.6, "front-envoy-7b9c8d6f5-m4n8q")])
    assert _run([change], calm) == []  # a little throttling is not a proxy pinned at its quota


def test_twins_name_nothing() -> None:
    before = WRITE - timedelta(minutes=40)  # the proxy was pinned before the write
    assert _run([NGINX_CM], Hub([_series(before, 1.3, 219.0)], [_series(before, 0.1, 1.0, "p")])) == []
    mild = Hub([_series(AFTER, 1.3, 1.6)], [_series(AFTER, 0.10, 0.30, "p")])  # busier, not pinned
    assert _run([NGINX_CM], mild) == []
    app = _change("ConfigMap", "shop", "storefront-config", ["data key FEATURE_X set by kubectl-edit"])
    pinned = Hub([_series(AFTER, 1.3, 219.0)], [_series(AFTER, 0.09, 1.02, "p")])
    assert _run([app], pinned) == []  # not a proxy's configuration
    late = _change("ConfigMap", "ingress-nginx", "ingress-nginx-controller", ["data key x set"],
                   AT - timedelta(hours=8))
    assert _run([late], pinned) == []  # outside the window


def test_backtracking_shapes() -> None:
    assert proxy_cost.backtracking("((?:\\s|-)*.*(?:.*=.*))")
    assert proxy_cost.backtracking("^(a+)+$") and proxy_cost.backtracking("(?:\\w+\\s?)*$")
    assert not proxy_cost.backtracking("^/api/v[0-9]+/") and not proxy_cost.backtracking("(?i)select.+from")
    assert proxy_cost.regex_of('SecRule ARGS "@rx ^(a+)+$" "id:1"') == "^(a+)+$"
    assert proxy_cost.regex_of('SecRule ARGS "@rx ^admin$" "id:2"') == ""
