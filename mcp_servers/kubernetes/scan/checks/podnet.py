"""Nodes where the CNI cannot give new pods an IP address.

The kubelet reports `FailedCreatePodSandBox` when the CNI plugin fails to set up a pod's network;
the plugin's own words then say the address pool ran out: the AWS VPC CNI "failed to assign an IP
address to container", Calico's IPAM "no more free IPs"/"no more free affinity blocks", the
host-local IPAM (flannel, bridge, kubenet) "failed to allocate for range"/"no IP addresses
available in range set", Cilium "IP allocation failed"/"range is full", Azure CNI "no IPs
available". Those failures are grouped by the node the pod was bound to. When they concentrate on
one node, the Node is what is wrong, not the workloads whose pods landed there: most often its
kubelet's `max-pods` (allocatable pods) is higher than the addresses the CNI can give it, so the
scheduler keeps placing pods the network cannot address. The finding names the node, the CNI's
words, the pods stuck, its pods with an IP against its allocatable pods, and nodes of the same
instance type that allow fewer pods. Failures spread over several nodes say the pool itself
(subnet, IP pool) is short; each node's finding then says on how many nodes it happens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, earliest, iso, latest, quote
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Event, Snapshot

CHECK_IDS = ("node.pod_ips_exhausted",)

IP_EXHAUSTED = re.compile(
    r"failed to assign an IP address to container"          # AWS VPC CNI (ipamd)
    r"|no (?:more )?free (?:IPs|addresses|affinity blocks)"   # Calico IPAM
    r"|no IP addresses available in range set"              # host-local IPAM (flannel, bridge, kubenet)
    r"|failed to allocate for range"                        # host-local IPAM
    r"|IP allocation failed|range is full"                  # Cilium
    r"|no IPs? (?:addresses )?available"                    # Azure CNI, generic IPAM
    r"|(?:could not|unable to|failed to) (?:allocate|assign) (?:an )?IP", re.I)
"""The CNI plugins' words for "no address left", as they write them in the sandbox error."""

_PLUGIN = re.compile(r'plugin type="([^"]+)"')
INSTANCE_TYPE = "node.kubernetes.io/instance-type"
SANDBOX_REASON = "FailedCreatePodSandBox"
MAX_NAMES = 5


def _cni_words(message: str) -> str:
    """The CNI's own sentence: from the plugin's name (or the match) to the end, without the sandbox id."""
    start = message.find("plugin type=")
    if start < 0:
        m = IP_EXHAUSTED.search(message)
        start = message.rfind(": ", 0, m.start()) + 2 if m else 0
    return clip(message[max(start, 0):], 180)


def _raw_hosts(snap: Snapshot) -> dict[tuple[str, str], str]:
    """(namespace, pod) -> the node that reported a sandbox failure for it, from the events' source."""
    hosts: dict[tuple[str, str], str] = {}
    for kind in ("Event", "Event.events.k8s.io"):
        for obj in snap.items(kind):
            if obj.get("reason") != SANDBOX_REASON:
                continue
            about = obj.get("involvedObject") or obj.get("regarding") or {}
            host = ((obj.get("source") or {}).get("host") or (obj.get("deprecatedSource") or {}).get("host")
                    or obj.get("reportingInstance"))
            if host and about.get("name"):
                hosts[(str(about.get("namespace") or ""), str(about["name"]))] = str(host)
    return hosts


def _failures(snap: Snapshot) -> dict[str, list[tuple[Event, dict[str, Any] | None]]]:
    """Node -> its IP-exhaustion sandbox failures (the event and the pod, when it still exists)."""
    hosts: dict[tuple[str, str], str] | None = None
    by_node: dict[str, list[tuple[Event, dict[str, Any] | None]]] = {}
    for e in snap.events:
        if e.kind != "Pod" or e.reason != SANDBOX_REASON or not IP_EXHAUSTED.search(e.message):
            continue
        pod = snap.get("Pod", e.namespace, e.name)
        if pod is not None and (pod.get("status") or {}).get("phase") in ("Running", "Succeeded", "Failed") \
                and (pod.get("status") or {}).get("podIP"):
            continue  # it got its address since: the failure is over
        node = str(((pod or {}).get("spec") or {}).get("nodeName") or "")
        if not node:
            hosts = hosts if hosts is not None else _raw_hosts(snap)
            node = hosts.get((e.namespace, e.name), "")
        if node:
            by_node.setdefault(node, []).append((e, pod))
    return by_node


def _node_pods(snap: Snapshot, node: str) -> tuple[int, int, int]:
    """Non-terminal pods bound to the node: all, those holding a pod IP, and host-network ones."""
    total = with_ip = host = 0
    for pod in snap.items("Pod"):
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        if spec.get("nodeName") != node or status.get("phase") in ("Succeeded", "Failed"):
            continue
        total += 1
        if spec.get("hostNetwork"):
            host += 1
        elif status.get("podIP"):
            with_ip += 1
    return total, with_ip, host


def _pods_limit(node: dict[str, Any]) -> int | None:
    status = node.get("status") or {}
    value = (status.get("allocatable") or {}).get("pods") or (status.get("capacity") or {}).get("pods")
    try:
        return int(str(value))
    except ValueError:
        return None


def _peers(snap: Snapshot, node: dict[str, Any], limit: int | None) -> list[int]:
    """Allocatable pods of the other nodes of the same instance type, when lower than this node's."""
    kind = ((node.get("metadata") or {}).get("labels") or {}).get(INSTANCE_TYPE)
    if not kind or limit is None:
        return []
    return sorted({v for n in snap.items("Node") if n is not node
                   and ((n.get("metadata") or {}).get("labels") or {}).get(INSTANCE_TYPE) == kind
                   for v in [_pods_limit(n)] if v is not None and v < limit})


def _workloads(snap: Snapshot, failures: Iterable[tuple[Event, dict[str, Any] | None]]) -> list[str]:
    out: list[str] = []
    for e, pod in failures:
        owner = snap.owner_of(pod) if pod is not None else None
        label = str(owner) if owner else f"Pod {e.namespace}/{e.name}"
        if label not in out:
            out.append(label)
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    by_node = _failures(snap)
    out = []
    for node_name, failures in sorted(by_node.items()):
        node = snap.get("Node", "", node_name)
        subject = ObjectRef(kind="Node", name=node_name)
        pods = sorted({f"{e.namespace}/{e.name}" for e, _ in failures})
        latest_event = max(failures, key=lambda f: (f[0].last or f[0].first or now).isoformat())[0]
        words = _cni_words(latest_event.message)
        plugin = _PLUGIN.search(latest_event.message)
        total, with_ip, host = _node_pods(snap, node_name)
        limit = _pods_limit(node) if node else None
        peers = _peers(snap, node, limit) if node else []
        other_nodes = sorted(n for n in by_node if n != node_name)
        details: dict[str, Any] = {
            "node": node_name, "cni": plugin.group(1) if plugin else None, "cni_error": words,
            "pods_failing": pods[:MAX_NAMES], "workloads": _workloads(snap, failures)[:MAX_NAMES],
            "pods_on_node": total, "pods_with_ip": with_ip, "host_network_pods": host,
            "allocatable_pods": limit, "other_nodes_failing": other_nodes[:MAX_NAMES]}
        capacity = f"it runs {total} pods ({with_ip} holding a pod IP, {host} on the host network)"
        if limit is not None:
            capacity += f" of {limit} allocatable pods (the kubelet's max-pods)"
        if peers:
            kind = ((node or {}).get("metadata") or {}).get("labels", {}).get(INSTANCE_TYPE)
            details["same_type_allocatable_pods"] = peers
            capacity += (f"; other {kind} nodes allow {', '.join(str(p) for p in peers)}: this node's max-pods "
                         f"is more than the CNI can address, so the scheduler keeps sending pods it cannot network")
        where = (f"; the same failure on {len(other_nodes)} other node(s) ({', '.join(other_nodes[:3])}): the "
                 f"address pool itself (subnet, IP pool) may be exhausted" if other_nodes else "")
        message = (f"{subject}: the CNI cannot assign pod IP addresses here ({words}); {len(pods)} pod(s) stuck "
                   f"without a sandbox ({', '.join(details['workloads'][:3])}); {capacity}{where}")
        evidence = [quote(e) for e, _ in failures[-2:]]
        if limit is not None:
            evidence.append(f"status.allocatable.pods={limit}; {with_ip} pods with an IP on the node")
        first = earliest(*[e.first or e.last for e, _ in failures])
        last = latest(*[e.last or e.first for e, _ in failures])
        out.append(ScanFinding(
            check="node.pod_ips_exhausted", severity="critical", object=subject, owner=None,
            reason=SANDBOX_REASON, message=message, details=details, evidence=evidence, since=iso(first),
            last_seen=iso(last), pods=[p.split("/", 1)[1] for p in pods][:MAX_NAMES], count=len(pods)))
    return out

