"""NetworkPolicies that shut out a Service's own clients: pods that address the Service, admitted by no rule.

A pod is isolated for ingress once any NetworkPolicy selecting it has policyType Ingress; from then
on only what some rule of those policies admits reaches it (the rules add up). Who is meant to
reach a Service is read from the pod specs: a container whose env value, command or args address the
Service by its DNS name as a URL or host:port (`http://catalog-api:80`, `catalog-api.shop:8080`,
`catalog-api.shop.svc.cluster.local`) is its client. When none of the policies isolating the
Service's pods admits that client on the port it calls, the client's connections time out, and the
policy, not the client, is what to fix (`netpol.denies_client`).

Only what can be decided is claimed: a peer with an ipBlock, or a namespaceSelector on labels other
than `kubernetes.io/metadata.name` (Namespace labels are not read), counts as admitting; a named
port that no pod declares counts as matching. Logs are never read here (the scan stays fast); a
client that names the Service only in a ConfigMap is not seen.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import iso, label_match, latest, name_of, ns_of, pod_is_terminal, ref
from mcp_servers.kubernetes.scan.checks.policy import selector_text
from mcp_servers.kubernetes.scan.model import ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("netpol.denies_client",)
NS_NAME_LABEL = "kubernetes.io/metadata.name"
MAX_CLIENTS = 3


def isolates_ingress(policy: dict[str, Any]) -> bool:
    """Whether a NetworkPolicy isolates ingress: `policyTypes` names Ingress, or (without it) always."""
    types = (policy.get("spec") or {}).get("policyTypes")
    return "Ingress" in types if types else True


def _references(svc: dict[str, Any], pod: dict[str, Any]) -> list[tuple[str, int | None]]:
    """(where, port) for each place a pod's containers address the Service as a URL or host:port."""
    name, ns = name_of(svc), ns_of(svc)
    same = ns_of(pod) == ns
    host = rf"{re.escape(name)}(?:\.{re.escape(ns)}(?:\.svc(?:\.cluster\.local)?)?)" + ("?" if same else "")
    pattern = re.compile(rf"(?:(https?|grpc|tcp)://)?(?<![\w.-]){host}(?::(\d+))?(?![\w-])(?!\.[a-z])")
    found = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        texts = [(f"env {e.get('name')}", str(e.get("value"))) for e in c.get("env") or [] if e.get("value")]
        texts += [("args", str(a)) for a in [*(c.get("command") or []), *(c.get("args") or [])]]
        for where, text in texts:
            for m in pattern.finditer(text):
                scheme, port = m.group(1), m.group(2)
                if not scheme and not port and "." not in m.group(0):
                    continue  # a bare word equal to the name is not an address
                default = {"http": 80, "https": 443}.get(scheme or "")
                found.append((f"{where}={text[:80]}", int(port) if port else default))
    return found


def _target_ports(svc: dict[str, Any], port: int | None, pods: list[dict[str, Any]]) -> set[int | str]:
    """The pod-side ports (numbers and names) a call on Service port `port` lands on; all when unknown."""
    out: set[int | str] = set()
    for p in (svc.get("spec") or {}).get("ports") or []:
        if port is not None and p.get("port") != port:
            continue
        target = p.get("targetPort", p.get("port"))
        out.add(target)
        if isinstance(target, str):  # a named port: its numbers on the selected pods
            for pod in pods:
                for c in (pod.get("spec") or {}).get("containers") or []:
                    for cp in c.get("ports") or []:
                        if cp.get("name") == target:
                            out.add(int(cp.get("containerPort")))
        else:
            for pod in pods:
                for c in (pod.get("spec") or {}).get("containers") or []:
                    for cp in c.get("ports") or []:
                        if cp.get("containerPort") == target and cp.get("name"):
                            out.add(str(cp["name"]))
    return out


def _port_admitted(rule: dict[str, Any], targets: set[int | str]) -> bool:
    ports = rule.get("ports")
    if not ports or not targets:
        return True
    for p in ports:
        if str(p.get("protocol") or "TCP") != "TCP":
            continue
        number = p.get("port")
        if number is None:
            return True
        if isinstance(number, str) and not number.isdigit():
            if number in targets or not any(isinstance(t, str) for t in targets):
                return True  # a name no pod declares cannot be decided: admitted
            continue
        low, high = int(number), int(p.get("endPort") or number)
        if any(isinstance(t, int) and low <= t <= high for t in targets):
            return True
    return False


def _peer_admits(peer: dict[str, Any], policy_ns: str, client: dict[str, Any]) -> bool:
    if "ipBlock" in peer:
        return True  # pod IPs against CIDRs: not decided here
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    client_ns = ns_of(client)
    if ns_sel is None:
        ns_ok = client_ns == policy_ns
    elif set(ns_sel.get("matchLabels") or {}) - {NS_NAME_LABEL} or ns_sel.get("matchExpressions"):
        ns_ok = True  # Namespace labels are not read: cannot be decided, so admitted
    else:
        ns_ok = label_match(ns_sel, {NS_NAME_LABEL: client_ns})
    pod_ok = pod_sel is None or label_match(pod_sel, (client.get("metadata") or {}).get("labels"))
    return ns_ok and pod_ok


def _admitted(policies: list[dict[str, Any]], client: dict[str, Any], targets: set[int | str]) -> bool:
    for policy in policies:
        for rule in (policy.get("spec") or {}).get("ingress") or []:
            peers = rule.get("from")
            if _port_admitted(rule, targets) and (not peers or any(
                    _peer_admits(peer, ns_of(policy), client) for peer in peers)):
                return True
    return False


def _rules_text(policies: list[dict[str, Any]]) -> str:
    parts = []
    for policy in policies:
        for rule in (policy.get("spec") or {}).get("ingress") or []:
            peers = []
            for peer in rule.get("from") or []:
                bits = []
                if peer.get("namespaceSelector") is not None:
                    bits.append(f"namespaceSelector {selector_text(peer['namespaceSelector']) or '{}'}")
                if peer.get("podSelector") is not None:
                    bits.append(f"podSelector {selector_text(peer['podSelector']) or '{}'}")
                if peer.get("ipBlock"):
                    bits.append(f"ipBlock {peer['ipBlock'].get('cidr')}")
                peers.append(" and ".join(bits))
            ports = ", ".join(f"{p.get('protocol') or 'TCP'} {p.get('port')}" for p in rule.get("ports") or [])
            parts.append(f"from {' or '.join(peers) or 'anywhere'}" + (f" on {ports}" if ports else ""))
    return "; ".join(parts) or "nothing (no ingress rule)"


def _service(snap: Snapshot, svc: dict[str, Any], live: list[dict[str, Any]],
             policies: list[dict[str, Any]]) -> list[ScanFinding]:
    """`policies`: the ingress-isolating NetworkPolicies of the Service's namespace (none: nothing to check)."""
    ns = ns_of(svc)
    selector = (svc.get("spec") or {}).get("selector") or {}
    backends = snap.pods_selected(ns, selector)  # non-terminal pods carrying every selector label
    if not selector or not backends:
        return []
    isolating = [q for q in policies
                 if any(label_match((q.get("spec") or {}).get("podSelector") or {},
                                    (b.get("metadata") or {}).get("labels")) for b in backends)]
    if not isolating:
        return []
    denied: dict[str, tuple[list[str], str, int | None]] = {}
    backend_names = {name_of(b) for b in backends}
    for client in live:
        if name_of(client) in backend_names and ns_of(client) == ns:
            continue
        for where, port in _references(svc, client):
            if _admitted(isolating, client, _target_ports(svc, port, backends)):
                break
            owner = str(snap.owner_of(client) or ref(client, "Pod"))
            pods, _, _ = denied.setdefault(owner, ([], where, port))
            pods.append(name_of(client))
            break
    if not denied:
        return []
    subject = ref(isolating[0], "NetworkPolicy")
    service = ref(svc, "Service")
    rules = _rules_text(isolating)
    out = []
    for owner, (pods, where, port) in list(denied.items())[:MAX_CLIENTS]:
        names = ", ".join(f"{ns_of(q)}/{name_of(q)}" for q in isolating)
        # Since the later of: the newest isolating policy, the first client pod (a new client, an old policy).
        clients = [snap.get("Pod", ns_of(c), name_of(c)) or {} for c in live if name_of(c) in pods]
        since = latest(*[(q.get("metadata") or {}).get("creationTimestamp") for q in isolating],
                       min((str((c.get("metadata") or {}).get("creationTimestamp") or "") for c in clients),
                           default=None) or None)
        out.append(ScanFinding(
            check="netpol.denies_client", severity="critical", object=subject, reason="IngressNotAdmitted",
            message=f"{subject}: isolates ingress to {service} and admits none of {owner}'s pods, which call it "
                    f"({where}); its ingress rules admit only {rules}, so their connections time out",
            details={"service": name_of(svc), "client": owner, "client_pods": sorted(pods)[:5],
                     "reference": where, "port": port, "policies": [f"{ns_of(q)}/{name_of(q)}" for q in isolating],
                     "admits": rules},
            evidence=[f"ingress to {service} isolated by {names}", f"{owner} addresses it: {where}",
                      f"rules: {rules}"],
            pods=sorted(pods)[:5], count=len(pods), since=iso(since)))
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    if not snap.has("NetworkPolicy") or not snap.has("Pod") or not snap.items("NetworkPolicy"):
        return []
    isolating_by_ns: dict[str, list[dict[str, Any]]] = {}
    for policy in snap.items("NetworkPolicy"):
        if isolates_ingress(policy):
            isolating_by_ns.setdefault(ns_of(policy), []).append(policy)
    if not isolating_by_ns:
        return []
    live = [p for p in snap.items("Pod") if not pod_is_terminal(p)]
    out: list[ScanFinding] = []
    for svc in snap.items("Service"):
        ns = ns_of(svc)
        if ns in isolating_by_ns and snap.in_scope(ns):
            out.extend(_service(snap, svc, live, isolating_by_ns[ns]))
    return out
