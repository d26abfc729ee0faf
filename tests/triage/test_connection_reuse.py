"""Connection reuse turned off in a client, found from its 'cannot assign requested address' (connection_reuse).

Error texts are the real wordings of a connect() with no free local port: Go's net/http (`dial tcp ...: connect:
cannot assign requested address`), the JVM (`java.net.NoRouteToHostException: Cannot assign requested address
(Address not available)`) and Node (`connect EADDRNOTAVAIL`). Changes use the timeline's own line formats (a
ConfigMap key written with no value recorded, a rollout's env line, a rollout's args line). Objects `read` needs
(the erroring Pod, the ConfigMap it loads) are served as YAML by a local `call`, as the hub answers
`k8s_get -o yaml`. Two shapes (a Go caller's ConfigMap read through envFrom; a JVM/Node caller's own rollout)
and negative twins (reuse turned ON, the error printed before the write, a keepalive TIME setting, a ConfigMap the
pod does not load).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import governing_change as gc
from agent.triage.connection_reuse import reuse_off
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GO = ('authorise err="Post \\"http://scoring.risk.svc:8080/v1/score\\": dial tcp 10.4.0.41:8080: connect: '
      'cannot assign requested address"')
JVM = "java.net.NoRouteToHostException: Cannot assign requested address (Address not available)"
NODE = "Error: connect EADDRNOTAVAIL 10.4.0.9:443 - Local (0.0.0.0:0)"


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change(kind: str, ns: str, name: str, lines: list[str], minutes: int = 30) -> dict[str, Any]:
    return {"at": _stamp(minutes), "type": "config", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated: {lines[0]}", "diff": lines, "related": []}


def _log(pod: str, ns: str, message: str, first_seen: int | None = None) -> LogEvidence:
    top: dict[str, Any] = {"template": message, "message": message}
    if first_seen is not None:
        top["first_seen"] = _stamp(first_seen)
    return LogEvidence(pod=pod, namespace=ns, evidence_id="E7", top=top, hosts=[], error_classes=set(),
                       previous=False)


def _facts(changes: list[dict[str, Any]], name: str, ns: str, logs: list[LogEvidence]) -> Facts:
    topology = {"subject": {"kind": "Deployment", "namespace": ns, "name": name},
                "workloads": [{"kind": "Deployment", "namespace": ns, "name": name}],
                "services": [{"kind": "Service", "namespace": ns, "name": name}], "dependencies": []}
    return Facts(at=AT, changes={"changes": changes}, changes_id="E2", topologies=[(topology, "E3")], logs=logs)


def _served(objects: dict[tuple[str, str, str], dict[str, Any]]) -> Any:
    """A `call` answering `k8s_get -o yaml` from objects keyed by (kind, namespace, name), like the hub does."""
    async def call(tool: str, arguments: dict[str, Any], step: str) -> ToolOutcome:
        key = (arguments.get("kind", ""), arguments.get("namespace", ""), arguments.get("name", ""))
        obj = objects.get(key)
        text = yaml.safe_dump(obj) if obj else f"{key} not found"
        return ToolOutcome("E30", tool, arguments, obj is not None, text, full_text=text)
    return call


def _pod(name: str, ns: str, config: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "app", "image": "app:1",
                                     "envFrom": [{"configMapRef": {"name": config}}]}]}}


def _configmap(name: str, ns: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def _go_case(value: str, config: str = "router-http", first_seen: int | None = None) -> Facts:
    pod = "router-6d8f-x1y2z"
    cm = _change("ConfigMap", "cards", "router-http", ["data key CLIENT_DISABLE_KEEPALIVES set by kubectl-edit"], 70)
    facts = _facts([cm], "router", "cards", [_log(pod, "cards", GO, first_seen)])
    call = _served({("Pod", "cards", pod): _pod(pod, "cards", config),
                    ("ConfigMap", "cards", "router-http"): _configmap("router-http", "cards", {
                        "CLIENT_URL": "http://scoring.risk.svc:8080", "CLIENT_DISABLE_KEEPALIVES": value})})
    asyncio.run(gc.read(Subject(names=["router"]), facts, call))
    return facts


def test_a_go_callers_configmap_turning_keepalives_off_explains_cannot_assign_requested_address() -> None:
    [g] = gc.found(_go_case("true"))
    message = gc.finding(g)["message"]
    assert str(g.target) == "ConfigMap cards/router-http" and g.setting.new == "true"
    head = message[:400]
    assert "keep-alive off" in head and "TIME_WAIT" in head and "ephemeral port" in head
    assert "mounted or referenced by the erroring pod" in message


def test_keepalives_left_on_or_a_configmap_the_pod_does_not_load_are_not_named() -> None:
    assert gc.found(_go_case("false")) == []
    assert gc.found(_go_case("true", config="other-settings")) == []


def test_an_error_printed_before_the_write_is_not_explained_by_it() -> None:
    assert gc.found(_go_case("true", first_seen=120)) == []


def _rollout(lines: list[str]) -> dict[str, Any]:
    return {**_change("Deployment", "billing", "invoicer", lines, 45), "type": "rollout"}


def test_a_jvm_clients_own_rollout_setting_http_keepalive_false_is_named() -> None:
    args = "invoicer args ['-Xmx1g', '-Dhttp.keepAlive=true'] -> ['-Xmx1g', '-Dhttp.keepAlive=false']"
    facts = _facts([_rollout([args])], "invoicer", "billing", [_log("invoicer-5c-abcde", "billing", JVM)])
    [g] = gc.found(facts)
    assert g.target.name == "invoicer" and g.setting.new == "false" and "is the erroring process's own" in g.how
    back = "invoicer args ['-Xmx1g', '-Dhttp.keepAlive=false'] -> ['-Xmx1g', '-Dhttp.keepAlive=true']"
    assert gc.found(_facts([_rollout([back])], "invoicer", "billing",
                           [_log("invoicer-5c-abcde", "billing", JVM)])) == []


def test_a_node_clients_idle_pool_set_to_zero_is_named_and_a_grpc_keepalive_time_is_not() -> None:
    env = "invoicer env HTTP_MAX_IDLE_CONNS_PER_HOST='100' -> HTTP_MAX_IDLE_CONNS_PER_HOST='0'"
    node = [_log("invoicer-5c-abcde", "billing", NODE)]
    [g] = gc.found(_facts([_rollout([env])], "invoicer", "billing", node))
    assert g.setting.key == "HTTP_MAX_IDLE_CONNS_PER_HOST"
    grpc = "invoicer env GRPC_ARG_KEEPALIVE_TIME_MS='60000' -> GRPC_ARG_KEEPALIVE_TIME_MS='0'"
    assert gc.found(_facts([_rollout([grpc])], "invoicer", "billing", node)) == []


def test_reuse_off_reads_each_spelling_by_its_meaning() -> None:
    assert reuse_off("UPSTREAM_DISABLE_KEEPALIVES", "true") and not reuse_off("UPSTREAM_DISABLE_KEEPALIVES", "false")
    assert reuse_off("-Dhttp.keepAlive", "false") and not reuse_off("-Dhttp.keepAlive", "true")
    assert reuse_off("keepalive_timeout", "0") and not reuse_off("keepalive_timeout", "65s")
    assert reuse_off("maxIdleConnsPerHost", "-1") and not reuse_off("maxIdleConnsPerHost", "32")
    assert reuse_off("http.connection-header", "close") and not reuse_off("http.connection-header", "keep-alive")
    assert reuse_off("pool.enabled", "false") and not reuse_off("keepalive_time", "10s")
    assert not reuse_off("UPSTREAM_DISABLE_KEEPALIVES", None)
