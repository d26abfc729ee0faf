"""A node agent's dropped port reached by clients whose sends fail silently (agent.triage.node_agent_port).

Written here, not taken from the held-out bundles. A UDP export (StatsD, DogStatsD, Jaeger compact thrift) to a
port nobody listens on leaves no line in the client's logs, so the client is read from its spec: it addresses its
own node through the downward API and names the dropped port. Shapes: a DogStatsD agent moved off 8125 with a
Python worker on the named node told `DD_DOGSTATSD_PORT=8125` and `DD_AGENT_HOST` from `status.hostIP`; a Jaeger
agent that dropped 6831 with a Go service's argument `--jaeger-agent=$(NODE_IP):6831`. Negative twins: the same
port sent to a Service name (not node-local), and a client configured for a port the new revision still exposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import node_agent_port as nap
from tests.triage.doubles import outcome
from tests.triage.test_node_agent_port import Cluster, _found, _pod, _port


def _client(env: list[dict[str, Any]], args: list[str] | None = None) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": "claims-api-5d8f9c7b6-x2x9q", "namespace": "claims"},
            "spec": {"containers": [{"name": "api", "env": env, "args": args or []}]}}


HOST_IP = {"name": "DD_AGENT_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}


@dataclass
class Silent(Cluster):
    """The cluster of the sibling tests, with a client pod whose logs say nothing about the agent."""

    client: dict[str, Any] | None = None

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> ToolOutcome | None:
        if tool == "k8s_get" and args["kind"] == "Pod" and self.client and args["name"] == "claims-api-5d8f9c7b6-x2x9q":
            self.seen.append(tool)
            return outcome(True, {}, yaml.safe_dump(self.client), "E9")
        return await super().__call__(tool, args, step)


def _dogstatsd(client: dict[str, Any]) -> Silent:
    here = _pod("datadog-agent-k3j4h", "datadog", "rev5", "2026-09-01T10:05:00Z", [_port(18125, "dogstatsd")])
    there = _pod("datadog-agent-p0o9i", "datadog", "rev4", "2026-08-01T00:00:00Z", [_port(8125, "dogstatsd")])
    return Silent("datadog", "datadog-agent", [_port(18125, "dogstatsd")], here, there,
                  ["INFO claim 40001 assessed"], client=client)


def test_a_statsd_client_told_the_old_port_through_env_names_the_agent() -> None:
    [d] = _found(_dogstatsd(_client([HOST_IP, {"name": "DD_DOGSTATSD_PORT", "value": "8125"}])))
    message = nap.finding(d)["message"]
    assert str(d.daemonset) == "DaemonSet datadog/datadog-agent" and d.port == 8125 and d.configured
    assert "DD_DOGSTATSD_PORT=8125" in message and "silently" in message


def test_a_jaeger_client_told_the_old_port_through_an_argument_names_the_agent() -> None:
    here = _pod("jaeger-agent-a1s2d", "tracing", "r2", "2026-09-01T10:05:00Z", [_port(14271, "admin", host=False)])
    there = _pod("jaeger-agent-f4g5h", "tracing", "r1", "2026-08-01T00:00:00Z",
                 [_port(6831, "jaeger-compact"), _port(14271, "admin", host=False)])
    node_ip = {"name": "NODE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}
    client = _client([node_ip], ["--jaeger-agent=$(NODE_IP):6831"])
    [d] = _found(Silent("tracing", "jaeger-agent", [_port(14271, "admin", host=False)], here, there,
                        ["level=info msg=ready"], strategy="RollingUpdate", client=client))
    assert d.port == 6831 and "--jaeger-agent=$(NODE_IP):6831" in d.line


def test_the_same_port_sent_to_a_service_name_names_nothing() -> None:
    client = _client([{"name": "DD_AGENT_HOST", "value": "datadog-agent.datadog.svc"},
                      {"name": "DD_DOGSTATSD_PORT", "value": "8125"}])
    assert _found(_dogstatsd(client)) == []


def test_a_node_local_client_of_a_port_the_new_revision_keeps_names_nothing() -> None:
    client = _client([HOST_IP, {"name": "DD_TRACE_AGENT_PORT", "value": "18125"},
                      {"name": "BATCH_SIZE", "value": "8125"}])
    assert _found(_dogstatsd(client)) == []
