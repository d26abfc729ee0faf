"""agent.triage.controller_api against other controllers' dropped API groups (not the round's incident).

Shapes: k3s's bundled Traefik (the `rancher/mirrored-library-traefik` image) moved from v2 to v3 while a
`traefik.containo.us` IngressRoute remains; istiod (`istio/pilot`) upgraded 1.5 -> 1.6 while an
`authentication.istio.io` Policy remains (Istio 1.6 removed that API and rbac.istio.io: they are no longer
enforced, not a 404); Kong Ingress Controller 2.12 -> 3.0 while a KongIngress remains. Twins: releases that changed
only an API version within the same group (cert-manager v1.5 -> v1.6, Gateway API v1beta1 -> v1 under Envoy
Gateway) and an ingress-nginx minor upgrade read nothing; istiod upgraded within the 1.6+ line reads nothing.
"""

from __future__ import annotations

import pytest

from agent.triage import controller_api
from agent.triage.facts import Ref
from tests.triage.test_controller_api import rollout, route, run


def test_k3s_bundled_traefik_moving_to_v3_is_named() -> None:
    change = rollout("kube-system", "traefik", "rancher/mirrored-library-traefik:2.11.10",
                     "rancher/mirrored-library-traefik:3.3.2")
    facts, _ = run(change, {"ingressroutes.traefik.containo.us": [{"namespace": "wiki", "name": "wiki"}]},
                   {("ingressroutes.traefik.containo.us", "wiki", "wiki"): route("wiki", "wiki", "wiki.corp")},
                   ["wiki.corp"])
    [(ref, finding, _, explains)] = controller_api.suspects(facts)
    assert ref == Ref("Deployment", "kube-system", "traefik")
    head = finding["message"][:400]
    assert "Traefik v3" in head and "traefik.containo.us" in head and "wiki.corp" in head and "404" in head
    assert Ref("ingressroutes", "wiki", "wiki") in explains


def test_istiod_1_6_ignoring_authentication_policies_is_named_with_what_it_no_longer_enforces() -> None:
    change = rollout("istio-system", "istiod", "docker.io/istio/pilot:1.5.4", "docker.io/istio/pilot:1.6.0")
    policy = {"apiVersion": "authentication.istio.io/v1alpha1", "kind": "Policy",
              "metadata": {"name": "default", "namespace": "payments"}, "spec": {"peers": [{"mtls": {}}]}}
    facts, _ = run(change, {"policies.authentication.istio.io": [{"namespace": "payments", "name": "default"}]},
                   {("policies.authentication.istio.io", "payments", "default"): policy}, [])
    [(ref, finding, _, _)] = controller_api.suspects(facts)
    assert ref.name == "istiod"
    head = finding["message"][:400]
    assert "authentication.istio.io" in head and "Policy payments/default" in head
    assert "no longer enforces" in head and "404" not in head
    assert "PeerAuthentication" in finding["message"]


def test_kong_3_ignoring_kongingresses_is_named() -> None:
    change = rollout("kong", "kong-controller", "kong/kubernetes-ingress-controller:2.12.3",
                     "kong/kubernetes-ingress-controller:3.0.1")
    facts, _ = run(change, {"kongingresses.configuration.konghq.com": [{"namespace": "api", "name": "timeouts"}]},
                   {}, [])
    [(ref, finding, _, _)] = controller_api.suspects(facts)
    assert ref.name == "kong-controller" and "KongIngress api/timeouts" in finding["message"][:400]


@pytest.mark.parametrize(("namespace", "name", "old", "new"), [
    ("cert-manager", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.5.4",
     "quay.io/jetstack/cert-manager-controller:v1.6.0"),
    ("envoy-gateway-system", "envoy-gateway", "docker.io/envoyproxy/gateway:v0.6.0",
     "docker.io/envoyproxy/gateway:v1.0.1"),
    ("ingress-nginx", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.8.4",
     "registry.k8s.io/ingress-nginx/controller:v1.9.0"),
    ("istio-system", "istiod", "docker.io/istio/pilot:1.6.8", "docker.io/istio/pilot:1.7.0"),
])
def test_upgrades_that_drop_no_api_group_read_nothing(namespace: str, name: str, old: str, new: str) -> None:
    facts, hub = run(rollout(namespace, name, old, new), {}, {}, [])
    assert controller_api.suspects(facts) == [] and hub.calls == []
