"""A node-local agent's new revision, on some nodes only, stopped listening on a port (agent.triage.node_agent_port).

Written here, not taken from the held-out bundles. Shapes: an OpenTelemetry collector DaemonSet (OnDelete) whose
new template exposes only 4318, with a Java agent on the named node failing to export to `<node-ip>:4317`; a
Fluent Bit DaemonSet mid rolling update whose new template drops the forward port 24224, with a Go logger on the
node refused at `:24224`. Negative twins: the same revision on every node, a dropped port nobody on the node
calls, and the pod on the named node being the OLDER revision. `read` is driven through a recorded fake of the
tool hub (nodes, pod and DaemonSet lists, pod and DaemonSet YAML, grep-filtered logs).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import node_agent_port as nap
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import outcome

NODE, OTHER = "ip-10-0-3-7.ec2.internal", "ip-10-0-4-9.ec2.internal"
OTLP_FAIL = ("[otel.javaagent 2026-09-01 10:00:00:000 +0000] ERROR io.opentelemetry.exporter.internal.grpc."
             "GrpcExporter - Failed to export spans. Full error message: Failed to connect to /10.0.3.7:4317")
FORWARD_FAIL = 'level=error msg="log shipping failed" err="dial tcp 10.0.3.7:24224: connect: connection refused"'


def _port(number: int, name: str, host: bool = True) -> dict[str, Any]:
    return {"containerPort": number, "name": name, **({"hostPort": number} if host else {})}


def _pod(name: str, ns: str, revision: str, created: str, ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "creationTimestamp": created,
                                        "labels": {"controller-revision-hash": revision}},
            "spec": {"containers": [{"name": "agent", "ports": ports}]}}


@dataclass
class Cluster:
    """The hub's answers: one agent DaemonSet with a pod on each node, one client pod on the named node."""

    ns: str
    name: str
    template_ports: list[dict[str, Any]]
    here: dict[str, Any]
    there: dict[str, Any]
    client_log: list[str]
    strategy: str = "OnDelete"
    seen: list[str] = field(default_factory=list)

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        self.seen.append(tool)
        if tool == "k8s_nodes":
            return outcome(True, {"nodes": [{"name": NODE}, {"name": OTHER}]}, "", "E1")
        if tool == "k8s_list" and args["kind"] == "DaemonSet":
            return outcome(True, {"rows": [{"namespace": self.ns, "name": self.name}]}, "", "E2")
        if tool == "k8s_list" and args.get("field_selector"):
            return outcome(True, {"rows": [{"namespace": self.ns, "name": self.here["metadata"]["name"]},
                                           {"namespace": "claims", "name": "claims-api-5d8f9c7b6-x2x9q"}]}, "", "E3")
        if tool == "k8s_list":
            return outcome(True, {"rows": [{"name": self.here["metadata"]["name"]},
                                           {"name": self.there["metadata"]["name"]}]}, "", "E4")
        if tool == "k8s_get" and args["kind"] == "Pod":
            pod = self.here if args["name"] == self.here["metadata"]["name"] else self.there
            return outcome(True, {}, yaml.safe_dump(pod), "E5")
        if tool == "k8s_get" and args["kind"] == "DaemonSet":
            ds = {"kind": "DaemonSet", "metadata": {"name": self.name, "namespace": self.ns},
                  "spec": {"updateStrategy": {"type": self.strategy},
                           "template": {"spec": {"containers": [{"name": "agent", "ports": self.template_ports}]}}}}
            return outcome(True, {}, yaml.safe_dump(ds), "E6")
        if tool == "k8s_logs":
            return outcome(True, {}, "\n".join(x for x in self.client_log if args["grep"] in x), "E7")
        return None


def _found(cluster: Cluster) -> list[nap.Dropped]:
    facts = Facts(at=datetime(2026, 9, 1, 10, 30, tzinfo=UTC))
    asyncio.run(nap.read(Subject(nodes=[NODE]), facts, cluster, "2026-09-01T10:30:00Z"))
    return nap.found(facts)


def _otel(**kw: Any) -> Cluster:
    args: dict[str, Any] = {
        "ns": "observability", "name": "collector",
        "template_ports": [_port(4318, "otlp-http")],
        "here": _pod("collector-ab12c", "observability", "new1", "2026-09-01T10:05:00Z", [_port(4318, "otlp-http")]),
        "there": _pod("collector-zz9x8", "observability", "old0", "2026-08-20T09:00:00Z",
                      [_port(4317, "otlp-grpc"), _port(4318, "otlp-http")]),
        "client_log": [OTLP_FAIL]}
    return Cluster(**{**args, **kw})


def test_an_otel_agent_dropping_its_grpc_receiver_on_the_named_node_is_named() -> None:
    [d] = _found(_otel())
    message = nap.finding(d)["message"]
    assert str(d.daemonset) == "DaemonSet observability/collector" and d.port == 4317
    head = message[:400]
    assert "4317 (otlp-grpc)" in head and "OnDelete" in head and NODE in head and "receiver" in head


def test_a_log_agent_mid_rolling_update_dropping_its_forward_port_is_named() -> None:
    here = _pod("fluent-bit-q1w2e", "logging", "rev9", "2026-09-01T10:10:00Z", [_port(2020, "http", host=False)])
    there = _pod("fluent-bit-r4t5y", "logging", "rev8", "2026-08-01T00:00:00Z",
                 [_port(24224, "forward"), _port(2020, "http", host=False)])
    cluster = Cluster("logging", "fluent-bit", [_port(2020, "http", host=False)], here, there, [FORWARD_FAIL],
                      strategy="RollingUpdate")
    [d] = _found(cluster)
    assert d.port == 24224 and d.host_port and "rollout has reached that node" in nap.finding(d)["message"]


def test_one_revision_everywhere_names_nothing() -> None:
    same = _otel(here=_pod("collector-ab12c", "observability", "old0", "2026-09-01T10:05:00Z",
                           [_port(4318, "otlp-http")]))
    assert _found(same) == []


def test_a_dropped_port_nobody_on_the_node_calls_names_nothing() -> None:
    assert _found(_otel(client_log=["INFO claim 40001 assessed"])) == []


def test_the_older_revision_on_the_named_node_is_not_the_change() -> None:
    older = _otel(here=_pod("collector-ab12c", "observability", "new1", "2026-08-01T00:00:00Z",
                            [_port(4318, "otlp-http")]))
    assert _found(older) == []
