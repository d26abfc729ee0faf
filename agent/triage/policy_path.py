"""Whether the network policies of a cluster let one endpoint open a port on another, in every flavour present.

A connection from a client pod to a destination pod crosses two sets of policies: those selecting the client
(egress) and those selecting the destination (ingress). Each flavour decides differently, and this module
follows each one's documented semantics (written here from the projects' documentation, not copied):

- AdminNetworkPolicy (policy.networking.k8s.io): evaluated first, lowest `priority` first; the first rule whose
  peer and ports match decides: Allow or Deny, Pass hands over to the namespace policies.
- Calico (GlobalNetworkPolicy, crd.projectcalico.org NetworkPolicy) with Kubernetes NetworkPolicy in the same
  tier at order 1000 (how Calico enforces them): policies selecting the endpoint for the direction, lowest
  `order` first (none: last); within one, rules in order; the first matching Allow or Deny decides, Pass ends
  the tier (the profile allows). An endpoint some policy selects and no rule matched is denied by default.
  Selectors are Calico expressions (agent.triage.calico_selector).
- Cilium (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) with Kubernetes NetworkPolicy (how Cilium
  enforces them): an endpoint selected by a policy with rules for the direction allows only what some rule
  allows (toEndpoints/fromEndpoints, toEntities, toServices, toFQDNs, toPorts), and an egressDeny/ingressDeny
  rule that matches wins over any allow.
- Kubernetes NetworkPolicy alone: union of allows among the isolating policies.

The pure entry point is `decide(policies, client, dest, port)`; the endpoints carry what a policy can select on
(namespace, its labels, pod labels, the Service's DNS names). IPs are not known, so a CIDR rule (`nets`,
`ipBlock`, `toCIDR`) matches an in-cluster destination only when it is `0.0.0.0/0`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.triage.calico_selector import SelectorError, matches

CALICO = ("GlobalNetworkPolicy", "CalicoNetworkPolicy")
CILIUM = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy")
K8S, ANP = "NetworkPolicy", "AdminNetworkPolicy"
_EVERYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Endpoint:
    """A pod as policies see it: namespace and its labels, pod labels, the DNS names of its Service."""

    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ns_labels: Mapping[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    service: str = ""

    def nslabels(self) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": self.namespace, **self.ns_labels}


@dataclass(frozen=True)
class Port:
    number: int
    name: str = ""
    protocol: str = "TCP"


@dataclass
class Decision:
    """The verdict and the policy that made it (the explicit rule's, or the selecting one whose default-deny
    left the flow out)."""

    allowed: bool
    direction: str = ""
    policy: dict[str, Any] | None = None
    why: str = ""
    selecting: list[dict[str, Any]] = field(default_factory=list)


def kind_of(policy: dict[str, Any]) -> str:
    """The flavour: Calico's namespaced NetworkPolicy is told apart from Kubernetes' by its API group."""
    kind = str(policy.get("kind") or "")
    if kind == "NetworkPolicy" and "projectcalico.org" in str(policy.get("apiVersion") or ""):
        return "CalicoNetworkPolicy"
    return kind


def _meta(p: dict[str, Any]) -> dict[str, Any]:
    return p.get("metadata") or {}


def _spec(p: dict[str, Any]) -> dict[str, Any]:
    return p.get("spec") or {}


def _strip(key: str) -> str:
    """A Cilium label key without its source prefix (`k8s:app` -> `app`)."""
    return key.split(":", 1)[1] if key.startswith(("k8s:", "any:")) else key


def _label_match(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector; Cilium's `k8s:`/`any:` key prefixes are dropped."""
    labels = {_strip(k): v for k, v in labels.items()}
    sel = selector or {}
    strip = _strip
    for key, value in (sel.get("matchLabels") or {}).items():
        if labels.get(strip(str(key))) != str(value):
            return False
    for expr in sel.get("matchExpressions") or []:
        key, op, values = strip(str(expr.get("key"))), expr.get("operator"), {str(v) for v in expr.get("values")
                                                                            or []}
        present = key in labels
        if (op == "In" and not (present and labels[key] in values)) or (op == "NotIn" and present and
                                                                      labels[key] in values):
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def _port_in(port: Port, spec_port: Any, end: Any = None) -> bool:
    """One port entry of any flavour: a number, a name, Calico's "lo:hi" range, or an endPort range."""
    text = str(spec_port).strip()
    if not text:
        return True
    if ":" in text:
        lo, _, hi = text.partition(":")
        return lo.isdigit() and hi.isdigit() and int(lo) <= port.number <= int(hi)
    if text.isdigit():
        return int(text) <= port.number <= int(end or text)
    return bool(port.name) and text == port.name


def _proto(want: Any, port: Port) -> bool:
    if want in (None, "", "ANY", "any"):
        return True
    return {"6": "TCP", "17": "UDP", "132": "SCTP"}.get(str(want), str(want)).upper() == port.protocol.upper()


# ---- Kubernetes NetworkPolicy --------------------------------------------------------------------------------


def _k8s_types(p: dict[str, Any]) -> set[str]:
    types = set(_spec(p).get("policyTypes") or [])
    return types or ({"Ingress"} | ({"Egress"} if "egress" in _spec(p) else set()))


def _k8s_peer(peer: dict[str, Any], policy_ns: str, other: Endpoint) -> bool:
    if peer.get("ipBlock"):
        return str((peer["ipBlock"] or {}).get("cidr")) in _EVERYWHERE
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is None and other.namespace != policy_ns:
        return False
    if ns_sel is not None and not _label_match(ns_sel, other.nslabels()):
        return False
    return pod_sel is None or _label_match(pod_sel, other.labels)


def _k8s_allows(p: dict[str, Any], direction: str, other: Endpoint, port: Port) -> bool:
    key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for rule in _spec(p).get(key) or []:
        peers = rule.get(peers_key)
        if peers and not any(_k8s_peer(x, str(_meta(p).get("namespace") or ""), other) for x in peers):
            continue
        ports = rule.get("ports") or []
        if not ports or any(_proto(x.get("protocol") or "TCP", port) and _port_in(port, x.get("port", ""),
                                                                                 x.get("endPort"))
                            for x in ports):
            return True
    return False


def _k8s_selects(p: dict[str, Any], direction: str, ep: Endpoint) -> bool:
    return str(_meta(p).get("namespace") or "") == ep.namespace and direction in _k8s_types(p) and \
        _label_match(_spec(p).get("podSelector") or {}, ep.labels)


# ---- Calico ----------------------------------------------------------------------------------------------------


def _calico_types(p: dict[str, Any]) -> set[str]:
    types = set(_spec(p).get("types") or [])
    return types or ({"Ingress"} | ({"Egress"} if _spec(p).get("egress") else set()))


def _calico_selects(p: dict[str, Any], direction: str, ep: Endpoint) -> bool:
    spec = _spec(p)
    if direction not in _calico_types(p):
        return False
    if kind_of(p) == "CalicoNetworkPolicy" and str(_meta(p).get("namespace") or "") != ep.namespace:
        return False
    if kind_of(p) == "GlobalNetworkPolicy" and spec.get("namespaceSelector") and \
            not matches(spec.get("namespaceSelector"), ep.nslabels()):
        return False
    labels = {**ep.labels, "projectcalico.org/namespace": ep.namespace}
    return matches(spec.get("selector"), labels)


def _calico_entity(entity: dict[str, Any] | None, p: dict[str, Any], ep: Endpoint, port: Port | None) -> bool:
    """A rule's source or destination against an endpoint (and, for a destination, the port)."""
    entity = entity or {}
    labels = {**ep.labels, "projectcalico.org/namespace": ep.namespace}
    if entity.get("nets") and not any(str(n) in _EVERYWHERE for n in entity["nets"]):
        return False
    if entity.get("notNets") and any(str(n) in _EVERYWHERE for n in entity["notNets"]):
        return False
    if entity.get("namespaceSelector"):
        if not matches(entity["namespaceSelector"], ep.nslabels()):
            return False
    elif entity.get("selector") and kind_of(p) == "CalicoNetworkPolicy" and \
            ep.namespace != str(_meta(p).get("namespace") or ""):
        return False
    if entity.get("selector") and not matches(entity["selector"], labels):
        return False
    if entity.get("notSelector") and matches(entity["notSelector"], labels):
        return False
    svc = entity.get("services") or {}
    if svc and (str(svc.get("name")) != ep.service or str(svc.get("namespace") or _meta(p).get("namespace") or "")
                != ep.namespace):
        return False
    if port is not None:
        if entity.get("ports") and not any(_port_in(port, x) for x in entity["ports"]):
            return False
        if entity.get("notPorts") and any(_port_in(port, x) for x in entity["notPorts"]):
            return False
    return True


def _calico_rule(rule: dict[str, Any], p: dict[str, Any], direction: str, client: Endpoint, dest: Endpoint,
                 port: Port) -> bool:
    if not _proto(rule.get("protocol"), port) or (rule.get("notProtocol") and _proto(rule["notProtocol"], port)):
        return False
    return _calico_entity(rule.get("source"), p, client, None) and \
        _calico_entity(rule.get("destination"), p, dest, port)


def _order(p: dict[str, Any]) -> tuple[float, str]:
    if kind_of(p) == K8S:
        return 1000.0, str(_meta(p).get("name"))
    order = _spec(p).get("order")
    return (float(order) if isinstance(order, (int, float)) else float("inf")), str(_meta(p).get("name"))


def _calico(policies: list[dict[str, Any]], direction: str, client: Endpoint, dest: Endpoint, port: Port) -> Decision:
    ep = client if direction == "Egress" else dest
    selecting = []
    for p in policies:
        try:
            chosen = _k8s_selects(p, direction, ep) if kind_of(p) == K8S else _calico_selects(p, direction, ep)
        except SelectorError:
            continue
        if chosen:
            selecting.append(p)
    selecting.sort(key=_order)
    for p in selecting:
        if kind_of(p) == K8S:
            if _k8s_allows(p, direction, dest if direction == "Egress" else client, port):
                return Decision(True, direction, p, "allowed by its rule", selecting)
            continue
        for rule in _spec(p).get(direction.lower()) or []:
            try:
                hit = _calico_rule(rule, p, direction, client, dest, port)
            except SelectorError:
                continue
            action = str(rule.get("action") or "").capitalize()
            if not hit or action == "Log":
                continue
            if action == "Pass":
                return Decision(True, direction, p, "passed to the profile", selecting)
            return Decision(action == "Allow", direction, p, "an explicit Deny rule" if action == "Deny"
                            else "allowed by its rule", selecting)
    if selecting:
        return Decision(False, direction, selecting[0], "no rule matched (default deny)", selecting)
    return Decision(True, direction)


# ---- Cilium ----------------------------------------------------------------------------------------------------


def _cilium_labels(ep: Endpoint) -> dict[str, str]:
    out = {**ep.labels, "io.kubernetes.pod.namespace": ep.namespace}
    out.update({f"io.cilium.k8s.namespace.labels.{k}": v for k, v in ep.nslabels().items()})
    return out


def _cilium_selects(p: dict[str, Any], direction: str, ep: Endpoint) -> bool:
    spec = _spec(p)
    key = direction.lower()
    if not (spec.get(key) is not None or spec.get(f"{key}Deny") is not None):
        return False
    if kind_of(p) == "CiliumNetworkPolicy" and str(_meta(p).get("namespace") or "") != ep.namespace:
        return False
    return _label_match(spec.get("endpointSelector") or {}, _cilium_labels(ep))


def _cilium_ports(rule: dict[str, Any], port: Port) -> bool:
    to_ports = rule.get("toPorts") or []
    if not to_ports:
        return True
    return any(not (tp.get("ports") or []) or any(_proto(x.get("protocol"), port) and
                                                   _port_in(port, x.get("port", ""), x.get("endPort"))
                                                   for x in tp.get("ports") or []) for tp in to_ports)


def _cilium_peer(rule: dict[str, Any], p: dict[str, Any], direction: str, other: Endpoint) -> bool:
    pre = "to" if direction == "Egress" else "from"
    peers = [k for k in ("Endpoints", "Entities", "Services", "FQDNs", "CIDR", "CIDRSet", "Requires")
             if rule.get(pre + k) is not None]
    if not peers:
        return bool(rule.get("toPorts"))  # a port-only rule applies to every peer
    labels = _cilium_labels(other)
    for sel in rule.get(pre + "Endpoints") or []:
        sel = sel or {}
        keys = {str(k).split(":", 1)[-1] for k in (sel.get("matchLabels") or {})} | \
            {str(e.get("key")).split(":", 1)[-1] for e in sel.get("matchExpressions") or []}
        if kind_of(p) == "CiliumNetworkPolicy" and "io.kubernetes.pod.namespace" not in keys and \
                other.namespace != str(_meta(p).get("namespace") or ""):
            continue
        if _label_match(sel, labels):
            return True
    if any(str(e) in ("all", "cluster") for e in rule.get(pre + "Entities") or []):
        return True
    for svc in rule.get("toServices") or [] if direction == "Egress" else []:
        ref = (svc or {}).get("k8sService") or {}
        if str(ref.get("serviceName")) == other.service and str(ref.get("namespace") or "") in ("", other.namespace):
            return True
    for fq in rule.get("toFQDNs") or [] if direction == "Egress" else []:
        name, pattern = str(fq.get("matchName") or ""), str(fq.get("matchPattern") or "")
        if any(n == name.rstrip(".") or (pattern and _glob(pattern, n)) for n in other.names):
            return True
    cidrs = [*(rule.get(pre + "CIDR") or []), *(str((c or {}).get("cidr")) for c in rule.get(pre + "CIDRSet") or [])]
    return any(str(c) in _EVERYWHERE for c in cidrs)


def _glob(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern.rstrip("."))


def _cilium(policies: list[dict[str, Any]], direction: str, client: Endpoint, dest: Endpoint,
            port: Port) -> Decision:
    ep, other = (client, dest) if direction == "Egress" else (dest, client)
    selecting = [p for p in policies if (kind_of(p) == K8S and _k8s_selects(p, direction, ep)) or
                 (kind_of(p) in CILIUM and _cilium_selects(p, direction, ep))]
    key = direction.lower()
    for p in selecting:
        for rule in (_spec(p).get(f"{key}Deny") or []) if kind_of(p) in CILIUM else []:
            if _cilium_peer(rule, p, direction, other) and _cilium_ports(rule, port):
                return Decision(False, direction, p, f"an {key}Deny rule", selecting)
    for p in selecting:
        if kind_of(p) == K8S:
            if _k8s_allows(p, direction, other, port):
                return Decision(True, direction, p, "allowed by its rule", selecting)
            continue
        for rule in _spec(p).get(key) or []:
            if _cilium_peer(rule, p, direction, other) and _cilium_ports(rule, port):
                return Decision(True, direction, p, "allowed by its rule", selecting)
    allow_sets = [p for p in selecting if kind_of(p) == K8S or _spec(p).get(key) is not None]
    if allow_sets:
        return Decision(False, direction, allow_sets[0], "no rule allows it (default deny)", selecting)
    return Decision(True, direction)


# ---- AdminNetworkPolicy ----------------------------------------------------------------------------------------


def _anp_subject(subject: dict[str, Any], ep: Endpoint) -> bool:
    if "namespaces" in subject:
        return _label_match(subject["namespaces"], ep.nslabels())
    pods = subject.get("pods") or {}
    return _label_match(pods.get("namespaceSelector"), ep.nslabels()) and \
        _label_match(pods.get("podSelector"), ep.labels)


def _anp(policies: list[dict[str, Any]], direction: str, client: Endpoint, dest: Endpoint,
         port: Port) -> Decision | None:
    ep, other = (client, dest) if direction == "Egress" else (dest, client)
    peer_key = "to" if direction == "Egress" else "from"
    for p in sorted((p for p in policies if kind_of(p) == ANP), key=lambda p: int(_spec(p).get("priority") or 0)):
        if not _anp_subject(_spec(p).get("subject") or {}, ep):
            continue
        for rule in _spec(p).get(direction.lower()) or []:
            if not any(_anp_subject(peer, other) for peer in rule.get(peer_key) or []):
                continue
            ports = rule.get("ports") or []
            if ports and not any(
                    (x.get("portNumber") and _proto(x["portNumber"].get("protocol") or "TCP", port)
                     and int(x["portNumber"].get("port") or 0) == port.number)
                    or (x.get("namedPort") and x["namedPort"] == port.name)
                    or (x.get("portRange") and int(x["portRange"].get("start") or 0) <= port.number <=
                        int(x["portRange"].get("end") or 0)) for x in ports):
                continue
            action = str(rule.get("action") or "")
            if action == "Pass":
                return None
            return Decision(action == "Allow", direction, p, f"an admin {action} rule", [p])
    return None


def decide(policies: list[dict[str, Any]], client: Endpoint, dest: Endpoint, port: Port) -> Decision:
    """Whether `client` may open `port` on `dest`: egress then ingress, admin policies first, then the engine
    the cluster's policy kinds show (Calico's ordered tiers, else Cilium's and Kubernetes' allow-lists)."""
    calico = any(kind_of(p) in CALICO for p in policies)
    for direction in ("Egress", "Ingress"):
        admin = _anp(policies, direction, client, dest, port)
        if admin is not None:
            if not admin.allowed:
                return admin
            continue
        verdict = _calico(policies, direction, client, dest, port) if calico else \
            _cilium(policies, direction, client, dest, port)
        if not verdict.allowed:
            return verdict
    return Decision(True)
