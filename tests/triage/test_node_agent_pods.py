"""agent.triage.node_agent_pods: the reads node_agent_port and node_agent_socket share.

The node an incident names is resolved against the cluster's nodes (no listing when it names none); a DaemonSet's
own pods are told from look-alike names (another DaemonSet's `-extra-` pods, a Deployment's two-hash pods, a pod
of the same name in another namespace).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from agent.triage.node_agent_pods import named_node, pods_of, siblings
from agent.triage.subject import Subject


@dataclass
class Outcome:
    ok: bool
    data: Any


class Cluster:
    """A recorded cluster answering k8s_nodes / k8s_list, counting calls."""

    def __init__(self, nodes: list[str], pods: list[dict[str, Any]]) -> None:
        self.nodes, self.pods = nodes, pods
        self.calls: list[str] = []

    async def __call__(self, tool: str, args: dict[str, Any], step: str) -> Outcome:
        self.calls.append(tool)
        if tool == "k8s_nodes":
            return Outcome(True, {"nodes": [{"name": n} for n in self.nodes]})
        return Outcome(True, {"rows": [p for p in self.pods if p["namespace"] == args.get("namespace")]})


PODS = [{"name": "otel-agent-x2k4q", "namespace": "obs"}, {"name": "otel-agent-9bq7z", "namespace": "obs"},
        {"name": "otel-agent-extra-77xkq", "namespace": "obs"},
        {"name": "otel-agent-5c4b7d8f9-x2k4q", "namespace": "obs"},
        {"name": "otel-agent-ab12c", "namespace": "other"}]


def test_the_node_named_by_its_first_label_is_resolved_and_none_costs_no_listing() -> None:
    cluster = Cluster(["ip-10-0-3-22.eu-west-1.compute.internal", "ip-10-0-3-23.eu-west-1.compute.internal"], [])
    node = asyncio.run(named_node(Subject(nodes=["ip-10-0-3-22"]), cluster, "s"))
    assert node == "ip-10-0-3-22.eu-west-1.compute.internal"
    quiet = Cluster(["worker-1"], [])
    assert asyncio.run(named_node(Subject(names=["checkout"]), quiet, "s")) == "" and quiet.calls == []


def test_a_daemonsets_own_pods_only() -> None:
    assert [p["name"] for p in pods_of("otel-agent", PODS, "obs")] == ["otel-agent-x2k4q", "otel-agent-9bq7z"]
    assert [p["name"] for p in pods_of("otel-agent", PODS, "other")] == ["otel-agent-ab12c"]
    others = asyncio.run(siblings(Cluster([], PODS), "otel-agent", "obs", "otel-agent-x2k4q", "s"))
    assert [p["name"] for p in others] == ["otel-agent-9bq7z"]
