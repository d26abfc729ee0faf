"""Why an egress rule written for a Service's address never matches: it names the Service's virtual IP.

A Service's ClusterIP (from the cluster's Service CIDR) is virtual: kube-proxy (iptables, IPVS,
nftables) or an eBPF dataplane rewrites it to one backend pod's IP (DNAT) before the packet
leaves the caller's pod, and NetworkPolicy implementations (Calico, Cilium, Antrea, the cloud
CNIs) judge egress on the rewritten packet. An `ipBlock` that holds the ClusterIP but not the pod
IPs therefore allows nothing: every call to the Service is dropped and times out, although the
policy looks as if it allowed it. The denial itself is judged by mcp_servers.kubernetes.egress;
this module only says, from the objects, when that denial comes from such a rule, so the finding
can name the mechanism instead of "no rule allows it".
"""

from __future__ import annotations

import ipaddress
from typing import Any


def _service_ips(service: dict[str, Any]) -> list[str]:
    spec = service.get("spec") or {}
    ips = [str(ip) for ip in spec.get("clusterIPs") or [] if ip]
    first = spec.get("clusterIP")
    if first and str(first) != "None" and str(first) not in ips:
        ips.insert(0, str(first))
    return [ip for ip in ips if ip != "None"]


def _contains(cidr: str, ip: str, excepts: list[Any]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
        if address not in ipaddress.ip_network(cidr, strict=False):
            return False
        return not any(address in ipaddress.ip_network(str(e), strict=False) for e in excepts)
    except ValueError:
        return False


def _ports_mention(ports: list[dict[str, Any]] | None, numbers: set[int], protocol: str) -> bool:
    """Whether a rule's ports take in one of `numbers` (the Service's port or its pods' port)."""
    if not ports:
        return True
    for port in ports:
        if str(port.get("protocol") or "TCP").upper() != protocol.upper():
            continue
        value = port.get("port")
        if value is None or (isinstance(value, str) and not value.isdigit()):
            return True
        low, high = int(value), int(port.get("endPort") or value)
        if any(low <= n <= high for n in numbers):
            return True
    return False


def virtual_ip_rule(policies: list[dict[str, Any]], service: dict[str, Any], backend: dict[str, Any],
                    number: int, protocol: str = "TCP") -> str:
    """The sentence naming an isolating policy's `ipBlock` that holds the Service's ClusterIP and not the
    backend pod's IP on that port ("" when no rule is of that shape: the denial has another reason)."""
    service_ips = _service_ips(service)
    pod_ip = str((backend.get("status") or {}).get("podIP") or "")
    if not service_ips or not pod_ip:
        return ""
    numbers = {number} | {int(p["port"]) for p in (service.get("spec") or {}).get("ports") or []
                          if isinstance(p, dict) and isinstance(p.get("port"), int)}
    for policy in policies:
        name = str((policy.get("metadata") or {}).get("name") or "")
        for rule in (policy.get("spec") or {}).get("egress") or []:
            if not _ports_mention(rule.get("ports"), numbers, protocol):
                continue
            for peer in rule.get("to") or []:
                block = peer.get("ipBlock") if isinstance(peer, dict) else None
                if not block or not block.get("cidr"):
                    continue
                cidr, excepts = str(block["cidr"]), list(block.get("except") or [])
                held = next((ip for ip in service_ips if _contains(cidr, ip, excepts)), None)
                if held is None or _contains(cidr, pod_ip, excepts):
                    continue
                return (f"{name} allows it only by ipBlock {cidr}, which holds the Service's ClusterIP {held} "
                        f"(the Service CIDR) but not its pod IPs (e.g. {pod_ip}): policy is enforced after the "
                        f"DNAT of the ClusterIP to a pod IP, so the rule never matches and every connection is "
                        f"dropped; allow the pods by podSelector/namespaceSelector instead")
    return ""
