"""A load balancer's idle timeout written above its backend's keep-alive timeout (issue #12, round 40 class).

Written here, not taken from the held-out bundles: a classic AWS load balancer Service annotation in front of
gunicorn, an ingress-nginx ConfigMap in front of a Node.js server with its own env setting, and cluster-scoped class
parameters in front of a uvicorn default; each with a negative twin of the same look that is not the cause (the
backend's keep-alive already longer, a controller of another class, an Ingress of another class, a client pool key,
an old value already above, no gateway error in the incident's words).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import lb_idle_raised
from agent.triage.facts import Facts
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 7, 3, 11, 0, tzinfo=UTC)


def _change(kind: str, ns: str, name: str, diff: list[str], ago: timedelta = timedelta(minutes=50)) -> dict[str, Any]:
    return {"at": (AT - ago).isoformat().replace("+00:00", "Z"), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written by kubectl-edit: {diff[0]}", "diff": diff, "related": []}


def _deployment(name: str, image: str, env: dict[str, str] | None = None, args: list[str] | None = None
                ) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{
                "name": name, "image": image, "args": args or [],
                "env": [{"name": k, "value": v} for k, v in (env or {}).items()]}]}}}}


def _ingress(name: str, cls: str, backend: str) -> dict[str, Any]:
    return {"kind": "Ingress", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"ingressClassName": cls, "rules": [{"host": "shop.example.net", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend,
                                                                            "port": {"number": 80}}}}]}}]}}


def _class(name: str, controller: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"controller": controller}
    if params:
        spec["parameters"] = params
    return {"kind": "IngressClass", "metadata": {"name": name}, "spec": spec}


def _facts(change: dict[str, Any], workload: str = "carts") -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "shop", "name": workload},
                              "services": [{"kind": "Service", "namespace": "shop", "name": workload}]}, "E3"))
    return facts


def _run(facts: Facts, objects: dict[Any, Any], ingresses: list[str], problems: frozenset[str] = frozenset(
        {"ingress"})) -> list[lb_idle_raised.Raised]:
    hub = RecordingHub(objects=objects, lists={("Ingress", "shop"): [{"name": n} for n in ingresses]})
    asyncio.run(lb_idle_raised.read(facts, hub, set(problems)))
    return lb_idle_raised.found(facts)


# Shape 1: a Service's load balancer annotation, gunicorn behind it with its --keep-alive flag.
CLB = _change("Service", "shop", "carts",
              ["metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout "
               "'60' -> '350'"])


def test_service_annotation_above_gunicorn_keep_alive() -> None:
    dep = _deployment("carts", "reg/carts-py:3.1", args=["--bind", "0.0.0.0:8000", "--keep-alive", "75", "app:wsgi"])
    [hit] = _run(_facts(CLB), {("Deployment", "shop", "carts"): dep}, [])
    assert (hit.new_s, hit.old_s, hit.backend_s) == (350.0, 60.0, 75.0)
    message = lb_idle_raised.finding(hit)["message"]
    assert message.startswith("Service shop/carts raised the AWS load balancer's connection idle timeout to 60 s -> "
                              "350 s") and "--keep-alive 75" in message and "502" in message


def test_twin_gunicorn_keep_alive_already_longer() -> None:
    dep = _deployment("carts", "reg/carts-py:3.1", args=["--keep-alive=400", "app:wsgi"])
    assert _run(_facts(CLB), {("Deployment", "shop", "carts"): dep}, []) == []


def test_twin_old_value_already_above_the_backend() -> None:
    change = _change("Service", "shop", "carts", [
        "metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout '120' -> '350'"])
    dep = _deployment("carts", "reg/carts-py:3.1", args=["--keep-alive", "75"])
    assert _run(_facts(change), {("Deployment", "shop", "carts"): dep}, []) == []


def test_twin_another_service_annotated() -> None:
    change = _change("Service", "shop", "search", CLB["diff"])
    dep = _deployment("carts", "reg/carts-py:3.1", args=["--keep-alive", "75"])
    assert _run(_facts(change), {("Deployment", "shop", "carts"): dep}, []) == []


# Shape 2: the ingress-nginx controller's ConfigMap, a Node.js server with an env setting in seconds.
NGINX_CM = _change("ConfigMap", "ingress-nginx", "ingress-nginx-controller",
                   ["data.upstream-keepalive-timeout: '60' -> '900'"])


def _node_objects(controller: str) -> dict[Any, Any]:
    return {("Deployment", "shop", "carts"): _deployment("carts", "reg/carts-node:9", {
                "HTTP_KEEPALIVE_TIMEOUT": "120s", "DB_POOL_IDLE_TIMEOUT_MS": "9000000"}),
            ("Ingress", "shop", "carts"): _ingress("carts", "public", "carts"),
            ("IngressClass", "", "public"): _class("public", controller)}


def test_nginx_configmap_above_node_keep_alive() -> None:
    [hit] = _run(_facts(NGINX_CM), _node_objects("k8s.io/ingress-nginx"), ["carts"])
    assert (hit.new_s, hit.backend_s, hit.backend_source) == (900.0, 120.0, "HTTP_KEEPALIVE_TIMEOUT=120s")
    assert "nginx controller of IngressClass public" in hit.via


def test_twin_configmap_of_a_controller_of_another_class() -> None:
    assert _run(_facts(NGINX_CM), _node_objects("traefik.io/ingress-controller"), ["carts"]) == []


def test_twin_no_gateway_error_in_the_incident() -> None:
    assert _run(_facts(NGINX_CM), _node_objects("k8s.io/ingress-nginx"), ["carts"], frozenset({"disk"})) == []


# Shape 3: cluster-scoped class parameters (an annotation-style attribute list), uvicorn's default keep-alive.
PARAMS = _change("IngressClassParams", "", "edge-internet",
                 ["spec.loadBalancerAttributes = idle_timeout.timeout_seconds=240,deletion_protection.enabled=true"])


def _params_objects(params_name: str) -> dict[Any, Any]:
    return {("Deployment", "shop", "carts"): _deployment("carts", "reg/uvicorn-carts:2", args=["app:api"]),
            ("Ingress", "shop", "carts"): _ingress("carts", "edge", "carts"),
            ("IngressClass", "", "edge"): _class("edge", "ingress.k8s.aws/alb", {
                "apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": params_name})}


def test_class_parameters_above_uvicorn_default() -> None:
    [hit] = _run(_facts(PARAMS), _params_objects("edge-internet"), ["carts"])
    assert (hit.new_s, hit.backend_s) == (240.0, 5.0) and "uvicorn" in hit.backend_source
    finding = lb_idle_raised.finding(hit)
    assert finding["object"] == {"kind": "IngressClassParams", "namespace": "", "name": "edge-internet"}
    assert "parameters of IngressClass edge" in finding["message"]


def test_twin_parameters_of_a_class_the_backend_does_not_use() -> None:
    assert _run(_facts(PARAMS), _params_objects("edge-private"), ["carts"]) == []


def test_twin_write_too_old() -> None:
    old = _change("IngressClassParams", "", "edge-internet", PARAMS["diff"], ago=timedelta(hours=9))
    assert _run(_facts(old), _params_objects("edge-internet"), ["carts"]) == []


def test_client_pool_keys_are_not_the_server_keep_alive() -> None:
    dep = _deployment("carts", "reg/carts:1", {"REDIS_IDLE_TIMEOUT": "5", "UPSTREAM_KEEPALIVE_TIMEOUT": "2"})
    assert lb_idle_raised.backend_idle(dep) is None


# ---- other clouds' Service annotations for the same idle timeout (issue #12 audit) ----

OCI = _change("Service", "shop", "carts",
              ["metadata.annotations.service.beta.kubernetes.io/oci-load-balancer-connection-idle-timeout "
               "'60' -> '300'"])
DO = _change("Service", "shop", "carts",
             ["metadata.annotations.service.beta.kubernetes.io/do-loadbalancer-http-idle-timeout-seconds "
              "(unset) -> '120'"])


def test_oci_service_annotation_above_gunicorn_keep_alive() -> None:
    dep = _deployment("carts", "reg/carts-py:3.1", args=["--keep-alive", "75", "app:wsgi"])
    [hit] = _run(_facts(OCI), {("Deployment", "shop", "carts"): dep}, [])
    assert (hit.new_s, hit.old_s, hit.backend_s) == (300.0, 60.0, 75.0) and "OCI" in hit.setting


def test_twin_oci_old_value_already_above_the_backend() -> None:
    change = _change("Service", "shop", "carts", [OCI["diff"][0].replace("'60'", "'120'")])
    dep = _deployment("carts", "reg/carts-py:3.1", args=["--keep-alive", "75"])
    assert _run(_facts(change), {("Deployment", "shop", "carts"): dep}, []) == []


def test_digitalocean_service_annotation_above_a_node_server_env() -> None:
    dep = _deployment("carts", "reg/carts-node:5.0", env={"KEEP_ALIVE_TIMEOUT_MS": "65000"})
    [hit] = _run(_facts(DO), {("Deployment", "shop", "carts"): dep}, [])
    assert hit.new_s == 120.0 and hit.backend_s == 65.0 and "DigitalOcean" in hit.setting


def test_twin_digitalocean_timeout_under_the_backend_keep_alive() -> None:
    dep = _deployment("carts", "reg/carts-node:5.0", env={"KEEP_ALIVE_TIMEOUT_MS": "180000"})
    assert _run(_facts(DO), {("Deployment", "shop", "carts"): dep}, []) == []
