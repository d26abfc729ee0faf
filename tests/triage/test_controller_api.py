"""agent.triage.controller_api: a controller upgraded past the release that stopped reading its objects' API group.

Shapes: Traefik v2.11 -> v3.2 while an IngressRoute serving the incident's host is still `traefik.containo.us`
(another legacy route listed after it); Contour 0.15 -> 1.20 while an `IngressRoute` of `contour.heptio.com`
remains (its virtualhost fqdn). Twins: a Traefik upgrade within v3 (nothing read); a v2 -> v3 upgrade with no
legacy object left; a major upgrade of an app image that is no such controller (nothing read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import controller_api
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 30, 10, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(namespace: str, name: str, old: str, new: str) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=40)), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": namespace, "name": name},
            "summary": f"Deployment {namespace}/{name} rolled out revision 4: {name} image {old} -> {new}",
            "diff": [f"{name} image {old} -> {new}"], "related": []}


def route(name: str, namespace: str, host: str) -> dict[str, Any]:
    return {"apiVersion": "traefik.containo.us/v1alpha1", "kind": "IngressRoute",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"entryPoints": ["websecure"], "routes": [{"match": f"Host(`{host}`) && PathPrefix(`/`)",
                                                               "kind": "Rule", "services": [{"name": name}]}]}}


def run(change: dict[str, Any], lists: dict[str, list[dict[str, Any]]], objects: dict[Any, Any],
        hosts: list[str]) -> tuple[Facts, RecordingHub]:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [change]}
    hub = RecordingHub(objects=objects, lists=lists)
    asyncio.run(controller_api.read(Subject(hosts=hosts), facts, hub, iso(AT)))
    return facts, hub


TRAEFIK_LISTS = {"ingressroutes.traefik.containo.us": [{"namespace": "blog", "name": "blog-web"},
                                                       {"namespace": "portal", "name": "portal-web"}]}
TRAEFIK_OBJECTS = {("ingressroutes.traefik.containo.us", "portal", "portal-web"): route("portal-web", "portal",
                                                                                          "portal.example.org"),
                   ("ingressroutes.traefik.containo.us", "blog", "blog-web"): route("blog-web", "blog",
                                                                                    "blog.example.org")}


def test_traefik_v3_ignoring_legacy_routes_is_named_with_the_incidents_route_first() -> None:
    change = rollout("edge", "edge-proxy", "docker.io/traefik:v2.11.9", "docker.io/traefik:v3.2.0")
    facts, hub = run(change, TRAEFIK_LISTS, TRAEFIK_OBJECTS, ["portal.example.org"])
    [(ref, finding, evidence, explains)] = controller_api.suspects(facts)
    assert evidence[0] == "C1" and len(evidence) == 2  # the rollout and the list of legacy routes
    assert ref == Ref("Deployment", "edge", "edge-proxy")
    head = finding["message"][:400]
    assert "Traefik v3" in head and "traefik.containo.us" in head and "404" in head
    assert head.index("IngressRoute portal/portal-web") < head.index("IngressRoute blog/blog-web")
    assert "portal.example.org" in head
    assert Ref("ingressroutes", "portal", "portal-web") in explains
    assert ("k8s_list", {"kind": "ingressroutes.traefik.containo.us"}) in hub.calls


def test_contour_1_ignoring_heptio_ingressroutes_is_named() -> None:
    change = rollout("projectcontour", "contour", "ghcr.io/projectcontour/contour:v0.15.3",
                     "ghcr.io/projectcontour/contour:v1.20.1")
    legacy = {"apiVersion": "contour.heptio.com/v1beta1", "kind": "IngressRoute",
              "metadata": {"name": "shop", "namespace": "shop"}, "spec": {"virtualhost": {"fqdn": "shop.example"}}}
    facts, _ = run(change, {"ingressroutes.contour.heptio.com": [{"namespace": "shop", "name": "shop"}]},
                   {("ingressroutes.contour.heptio.com", "shop", "shop"): legacy}, ["shop.example"])
    [(ref, finding, _, _)] = controller_api.suspects(facts)
    assert ref.name == "contour" and "contour.heptio.com" in finding["message"]
    assert "HTTPProxy" in finding["message"]


def test_an_upgrade_within_the_same_major_reads_nothing() -> None:
    change = rollout("edge", "edge-proxy", "docker.io/traefik:v3.1.4", "docker.io/traefik:v3.2.0")
    facts, hub = run(change, TRAEFIK_LISTS, TRAEFIK_OBJECTS, [])
    assert controller_api.suspects(facts) == [] and hub.calls == []


def test_a_major_upgrade_with_no_legacy_object_left_is_not_named() -> None:
    change = rollout("edge", "edge-proxy", "docker.io/traefik:v2.11.9", "docker.io/traefik:v3.2.0")
    facts, hub = run(change, {"ingressroutes.traefik.containo.us": []}, {}, [])
    assert controller_api.suspects(facts) == []
    assert hub.tools and set(hub.tools) == {"k8s_list"}


def test_an_app_major_upgrade_reads_nothing() -> None:
    change = rollout("docs", "docs-search", "registry.example/docs-search:v1.9.0",
                     "registry.example/docs-search:v2.0.0")
    facts, hub = run(change, TRAEFIK_LISTS, TRAEFIK_OBJECTS, [])
    assert controller_api.suspects(facts) == [] and hub.calls == []
