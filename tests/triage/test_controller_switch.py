"""A controller-wide switch written, after which the controller says it skips an object that uses the feature
(issue #12, round 23 class: ingress-nginx's allow-snippet-annotations turned off).

Written here, not taken from the held-out bundles. Shapes: an ingress-nginx controller ConfigMap key proven by the
controller's klog line `skipping ingress ns/name: ... annotation cannot be used`; a Traefik Deployment's provider
flag (`allowExternalNameServices=false`, written in its args) proven by Traefik's JSON error line
`externalName services not allowed: ns/name`. Negative twins: the same refusal printed before the write (chronic),
a refusal for another reason after a write to an unrelated key, the switch's word in a line that refuses nothing,
and a workload write whose only flags are not switches. The tool hub is a recorded fake answering with
Kubernetes' shapes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, controller_switch
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub

AT = datetime(2026, 9, 2, 14, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=30)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _klog(t: datetime, text: str) -> str:
    return f"{_iso(t)} W{t:%m%d %H:%M:%S}.000000       7 store.go:936] {text}"


class Hub(RecordingHub):
    """`k8s_get` (ConfigMaps by name, E11), `k8s_list` (the pods, E12), `k8s_logs` (lines per pod, grepped, E13)."""

    def __init__(self, objects: dict[str, dict[str, Any]], pods: list[str], lines: dict[str, list[str]]) -> None:
        super().__init__(objects=objects, lists={"Pod": [{"name": p} for p in pods]}, logs=lines,
                         ids={"k8s_get": "E11", "k8s_list": "E12", "k8s_logs": "E13"})


def _facts(kind: str, namespace: str, name: str, diff: list[str], related: list[dict[str, str]]) -> Facts:
    change = {"at": _iso(WRITE), "type": "config", "object": {"kind": kind, "namespace": namespace, "name": name},
              "summary": f"{kind} {namespace}/{name} updated by kubectl-client-side-apply: " + "; ".join(diff),
              "diff": diff, "related": related}
    return Facts(at=AT, changes={"changes": [change]}, changes_id="E2")


def _nginx_cm(key: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nginx-config", "namespace": "edge"},
            "data": {key: value, "use-forwarded-headers": "true"}}


NGINX_USER = [{"kind": "Deployment", "namespace": "edge", "name": "public-ingress"}]
NGINX_PODS = ["public-ingress-6f9c8d7b5-x2k4p", "public-ingress-6f9c8d7b5-q8w7z"]
SKIP = ("skipping ingress wiki/wiki-web: nginx.ingress.kubernetes.io/server-snippet annotation cannot be used. "
        "Snippet directives are disabled by the Ingress administrator")
ACCESS = '10.0.0.1 - - "GET /page HTTP/1.1" 404 146 "-" "curl/8" 80 0.001 [upstream-default-backend] [] 404'


def _run(facts: Facts, hub: Hub) -> list[controller_switch.Skipped]:
    asyncio.run(controller_switch.read(Subject(), facts, hub, _iso(AT)))
    return controller_switch.found(facts)


def test_ingress_nginx_configmap_switch_is_blamed_for_the_ingress_it_skips() -> None:
    lines = [_klog(WRITE - timedelta(hours=2), "Configuration changes detected"),
             _klog(WRITE + timedelta(seconds=3), SKIP), f"{_iso(WRITE + timedelta(minutes=1))} {ACCESS}"]
    hub = Hub({"nginx-config": _nginx_cm("allow-snippet-annotations", "false")}, NGINX_PODS,
              {NGINX_PODS[1]: lines})
    facts = _facts("ConfigMap", "edge", "nginx-config", ["data key allow-snippet-annotations set by kubectl"],
                   NGINX_USER)
    [hit] = _run(facts, hub)
    assert hit.switch.setting == "allow-snippet-annotations" and hit.switch.value == "false"
    assert hit.skipped == "ingress wiki/wiki-web"
    assert any(args.get("grep") == "snippet" for tool, args in hub.calls if tool == "k8s_logs")
    message = controller_switch.finding(hit, AT)["message"]
    assert message.startswith("ConfigMap edge/nginx-config changed a controller-wide switch: "
                              "allow-snippet-annotations set to 'false'")
    assert "'skipping ingress wiki/wiki-web: nginx.ingress.kubernetes.io/server-snippet annotation" in message
    assert "30 min before" in message
    assert Ref("Ingress", "wiki", "wiki-web") in controller_switch.victims(hit)
    [(ref, finding, _, explains)] = behind.suspects(facts)
    assert ref == Ref("ConfigMap", "edge", "nginx-config") and finding["check"] == controller_switch.CHECK
    assert behind.WEIGHTS[controller_switch.CHECK] == controller_switch.WEIGHT
    assert Ref("Deployment", "edge", "public-ingress") in explains


TRAEFIK_PODS = ["traefik-7d9f6c5b4-bcdfg"]
TRAEFIK_DIFF = ["traefik args now ['--entrypoints.websecure.address=:443', '--providers.kubernetescrd', "
                "'--providers.kubernetescrd.allowExternalNameServices=false']"]


def _traefik_line(t: datetime) -> str:
    return ('{"level":"error","error":"externalName services not allowed: billing/legacy-invoices",'
            f'"providerName":"kubernetescrd","ingress":"invoices","namespace":"billing","time":"{_iso(t)}"}}')


def test_traefik_provider_flag_in_the_deployments_args_is_blamed_for_the_route_it_refuses() -> None:
    hub = Hub({}, TRAEFIK_PODS, {TRAEFIK_PODS[0]: [f"{_iso(WRITE + timedelta(minutes=2))} {_traefik_line(WRITE)}"]})
    facts = _facts("Deployment", "traefik", "traefik", TRAEFIK_DIFF, [])
    [hit] = _run(facts, hub)
    assert hit.switch.setting == "providers.kubernetescrd.allowExternalNameServices" and hit.switch.value == "false"
    assert hit.skipped == "billing/legacy-invoices"
    message = controller_switch.finding(hit, AT)["message"]
    assert "'externalName services not allowed: billing/legacy-invoices'" in message
    assert not any(s.setting.startswith("entrypoints") for s in controller_switch._switches(
        facts.change_list()[0], Ref("Deployment", "traefik", "traefik")))


def test_a_refusal_printed_before_the_write_is_chronic_not_the_writes_doing() -> None:
    lines = [_klog(WRITE - timedelta(hours=3), SKIP), _klog(WRITE + timedelta(seconds=3), SKIP)]
    hub = Hub({"nginx-config": _nginx_cm("allow-snippet-annotations", "false")}, NGINX_PODS[:1],
              {NGINX_PODS[0]: lines})
    facts = _facts("ConfigMap", "edge", "nginx-config", ["data key allow-snippet-annotations set by kubectl"],
                   NGINX_USER)
    assert _run(facts, hub) == []


def test_a_refusal_for_another_reason_after_the_switch_is_not_blamed() -> None:
    lines = [_klog(WRITE + timedelta(seconds=3), "ignoring ingress wiki/wiki-web based on annotation "
                                                 "kubernetes.io/ingress.class: class mismatch (class nginx-internal)"),
             _klog(WRITE + timedelta(seconds=4), "ignoring ingress wiki/wiki-web based on annotation "
                                                 "kubernetes.io/ingress.class: class mismatch")]
    hub = Hub({"nginx-config": _nginx_cm("enable-opentelemetry", "false")}, NGINX_PODS[:1], {NGINX_PODS[0]: lines})
    facts = _facts("ConfigMap", "edge", "nginx-config", ["data key enable-opentelemetry set by kubectl"], NGINX_USER)
    assert _run(facts, hub) == []
    assert [args["grep"] for tool, args in hub.calls if tool == "k8s_logs"] == ["opentel"]


def test_a_limit_written_in_the_controllers_configmap_is_no_switch() -> None:
    lines = [_klog(WRITE + timedelta(seconds=3), "rejected ingress wiki/wiki-web: request body size over limit")]
    hub = Hub({"nginx-config": _nginx_cm("proxy-body-size", "1m")}, NGINX_PODS[:1], {NGINX_PODS[0]: lines})
    facts = _facts("ConfigMap", "edge", "nginx-config", ["data key proxy-body-size set by kubectl"], NGINX_USER)
    assert _run(facts, hub) == []
    assert not any(tool == "k8s_logs" for tool, _ in hub.calls)


def test_the_switchs_word_in_a_line_that_refuses_nothing_is_not_blamed() -> None:
    lines = [_klog(WRITE + timedelta(seconds=3), "adding configuration-snippet to server wiki/wiki-web"),
             _klog(WRITE + timedelta(seconds=4), "Backend successfully reloaded")]
    hub = Hub({"nginx-config": _nginx_cm("allow-snippet-annotations", "true")}, NGINX_PODS[:1],
              {NGINX_PODS[0]: lines})
    facts = _facts("ConfigMap", "edge", "nginx-config", ["data key allow-snippet-annotations set by kubectl"],
                   NGINX_USER)
    assert _run(facts, hub) == []


def test_a_workload_write_with_no_switch_flag_reads_nothing() -> None:
    hub = Hub({}, TRAEFIK_PODS, {TRAEFIK_PODS[0]: [_traefik_line(WRITE + timedelta(minutes=2))]})
    facts = _facts("Deployment", "traefik", "traefik",
                   ["traefik args now ['--entrypoints.websecure.address=:443', '--log.level=INFO']"], [])
    assert _run(facts, hub) == [] and not hub.calls
