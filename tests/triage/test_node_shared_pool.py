"""A CNI's cluster-scoped address-pool object re-pointed (agent.triage.node_shared, pod IP addresses).

The pool a CNI hands pod IPs from lives in a custom resource whose write the timeline reads from managedFields with
its new value only (`spec.subnet = '…'`). Shapes: an AWS VPC CNI custom-networking ENIConfig moved to another subnet
(victims: a Node finding in the sandbox error's words) and a Calico IPPool whose cidr was narrowed (victims: the
pods' warning events in Calico's IPAM words). Twins: the same write after the failures began, a NetworkPolicy
ipBlock cidr written, and a pool object's identifying field shown as current (not written): none is the cap, and
the scale-up that added pods stays the named consumer.
"""

from __future__ import annotations

from typing import Any

from agent.triage import node_shared
from agent.triage.facts import Ref
from tests.triage.test_node_shared import NODES, SUFFIXES, _facts, _pod

NODE_FINDING = {"check": "node.pod_ips_exhausted", "severity": "critical", "object": {"kind": "Node", "name": NODES[1]},
                "message": f"Node {NODES[1]}: FailedCreatePodSandBox: plugin type=\"aws-cni\" failed (add): "
                           "failed to assign an IP address to container"}
CALICO_EVENT = {"kind": "Pod", "namespace": "catalog", "name": f"search-7d9c5b6f8x-{SUFFIXES[0]}",
                "first_seen": "2026-11-19T07:20:00Z", "reason": "FailedCreatePodSandBox",
                "message": "Failed to create pod sandbox: plugin type=\"calico\" failed (add): failed to request IPv4 "
                           "addresses: no IP addresses available in the configured pools"}


def _write(kind: str, name: str, line: str, at: str = "2026-11-19T06:40:00Z", ns: str = "") -> dict[str, Any]:
    return {"at": at, "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {name} written by terraform (generation 4): {line}", "diff": [line]}


def _scale(ns: str, name: str) -> dict[str, Any]:
    return {"at": "2026-11-19T07:10:00Z", "type": "scale", "object": {"kind": "Deployment", "namespace": ns,
                                                                      "name": name},
            "summary": f"Deployment {ns}/{name} rescaled by HPA {name}: now 9 replicas, desired 9", "diff": []}


def _eni_case(pool_line: str, at: str = "2026-11-19T06:40:00Z") -> list[tuple[Ref, dict[str, Any]]]:
    pods = [_pod("orders", f"checkout-7d9c5b6f8x-{SUFFIXES[i]}", NODES[1]) for i in range(3)]
    facts = _facts([NODE_FINDING], [_write("ENIConfig", "us-east-1b", pool_line, at), _scale("orders", "checkout")],
                   pods)
    return [(ref, found) for ref, found, _, _ in node_shared.suspects(facts)]


def test_an_eniconfig_moved_to_another_subnet_is_named_over_the_scale_up() -> None:
    [(ref, found)] = _eni_case("spec.subnet = 'subnet-0a1b2c3d4e5f60718'")
    assert ref == Ref("ENIConfig", "", "us-east-1b")
    head = found["message"][:400]
    assert "subnet-0a1b2c3d4e5f60718" in head and "IP address" in head and "rewrote" in head


def test_a_calico_ippool_cidr_rewritten_is_named_for_calicos_no_ip_addresses_available() -> None:
    pods = [_pod("catalog", f"search-7d9c5b6f8x-{SUFFIXES[i]}", NODES[i]) for i in range(3)]
    facts = _facts([], [_write("IPPool", "default-ipv4-ippool", "spec.cidr = '10.48.0.0/26'"),
                        _scale("catalog", "search")], pods, events=[CALICO_EVENT])
    [(ref, found, _, _)] = node_shared.suspects(facts)
    assert ref == Ref("IPPool", "", "default-ipv4-ippool") and "10.48.0.0/26" in found["message"]


def test_twins_a_late_write_a_policy_cidr_or_a_current_field_leave_the_scale_up_named() -> None:
    for line, at in (("spec.subnet = 'subnet-0a1b2c3d4e5f60718'", "2026-11-19T07:58:00Z"),
                     ("spec.egress[…].to[…].ipBlock.cidr = '10.0.0.0/8'", "2026-11-19T06:40:00Z"),
                     ("spec.subnet = 'subnet-0a1b2c3d4e5f60718' (current)", "2026-11-19T06:40:00Z")):
        named = _eni_case(line, at)
        assert [str(ref) for ref, _ in named] == ["Deployment orders/checkout"], line
