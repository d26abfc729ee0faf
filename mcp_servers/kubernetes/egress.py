"""Whether the NetworkPolicies of a pod let it reach a dependency's pods on their port.

A policy that isolates egress (policyTypes Egress, or an `egress` list) for a pod allows only what
one of its rules names: a peer (podSelector, namespaceSelector, both, or an ipBlock with its
excepts) and ports (number, named port, endPort range; no ports = all). Several policies add up:
traffic is allowed when any rule of any isolating policy allows it. Policies act on pod IPs and
pod ports (after the Service's DNAT), so a dependency is checked as its pods on their target port.

Namespace labels other than the automatic `kubernetes.io/metadata.name` are not read (the
topology does not list Namespaces); a namespaceSelector on other labels is treated as matching
nothing, which can only make a verdict "blocked" when a rule relies on such labels, so the
finding says which rules were weighed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import label_match
from mcp_servers.kubernetes.scan.checks.policy import isolates_egress


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _ns_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def _peer_allows(peer: dict[str, Any], policy_ns: str, pod: dict[str, Any]) -> bool:
    block = peer.get("ipBlock")
    if block:
        ip = str((pod.get("status") or {}).get("podIP") or "")
        try:
            address = ipaddress.ip_address(ip)
            if address not in ipaddress.ip_network(str(block.get("cidr")), strict=False):
                return False
            return not any(address in ipaddress.ip_network(str(e), strict=False) for e in block.get("except") or [])
        except ValueError:
            return False
    pod_ns = str(_meta(pod).get("namespace") or "")
    ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_selector is None and pod_selector is None:
        return False
    if ns_selector is None and pod_ns != policy_ns:
        return False
    if ns_selector is not None and not label_match(ns_selector, _ns_labels(pod_ns)):
        return False
    return pod_selector is None or label_match(pod_selector, _meta(pod).get("labels"))


def _port_allows(ports: list[dict[str, Any]] | None, number: int, name: str, protocol: str) -> bool:
    if not ports:
        return True
    for port in ports:
        if str(port.get("protocol") or "TCP").upper() != protocol.upper():
            continue
        value = port.get("port")
        if value is None:
            return True
        if isinstance(value, str) and not value.isdigit():
            if name and value == name:
                return True
            continue
        low, high = int(value), int(port.get("endPort") or value)
        if low <= number <= high:
            return True
    return False


@dataclass
class Verdict:
    """Whether `source` may open `port` on `target`, and which isolating policies decided it."""

    allowed: bool
    policies: list[dict[str, Any]] = field(default_factory=list)
    """The egress-isolating policies selecting the source (empty: not isolated, all allowed)."""


def egress_verdict(policies: list[dict[str, Any]], source: dict[str, Any], target: dict[str, Any], number: int,
                   name: str = "", protocol: str = "TCP") -> Verdict:
    """Whether the egress policies of `source`'s namespace let it reach pod `target` on that port."""
    src_ns, src_labels = str(_meta(source).get("namespace") or ""), _meta(source).get("labels") or {}
    isolating = [p for p in policies if str(_meta(p).get("namespace") or "") == src_ns and isolates_egress(p)
                 and label_match((p.get("spec") or {}).get("podSelector") or {}, src_labels)]
    if not isolating:
        return Verdict(True)
    for policy in isolating:
        for rule in (policy.get("spec") or {}).get("egress") or []:
            peers = rule.get("to")
            if peers and not any(_peer_allows(peer, src_ns, target) for peer in peers):
                continue
            if _port_allows(rule.get("ports"), number, name, protocol):
                return Verdict(True, isolating)
    return Verdict(False, isolating)


def target_ports(service: dict[str, Any], pod: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(pod port number, its name, protocol) each Service port reaches on one of its pods."""
    declared = {str(p.get("name")): int(p.get("containerPort") or 0)
                for c in (pod.get("spec") or {}).get("containers") or [] for p in c.get("ports") or []
                if p.get("name")}
    names = {v: k for k, v in declared.items()}
    out = []
    for port in (service.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            number = declared.get(target, 0)
            if number:
                out.append((number, target, str(port.get("protocol") or "TCP")))
        elif target is not None:
            number = int(target)
            out.append((number, names.get(number, ""), str(port.get("protocol") or "TCP")))
    return out
