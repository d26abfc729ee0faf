"""An egress allow-list that admits the outside world for one address family only, on a cluster that uses both.

On a dual-stack cluster a client resolves a partner's name to both an AAAA and an A address and, as most
runtimes do (.NET, Go, Java, Node's happy eyeballs, curl), tries the IPv6 one first. An egress policy that lets the
outside world through only as IPv4 CIDRs (`0.0.0.0/0` in a NetworkPolicy's ipBlock, a Cilium `toCIDR`/`toCIDRSet`,
a Calico `destination.nets` or an Allow rule with `ipVersion: 4`) and has no `::/0` (nor Cilium's `world`/`all`
entity, which is both families) silently drops the IPv6 SYNs: the client's connects time out although the same
host answers on IPv4, and nothing in the policy looks wrong when read for IPv4 (it was often a rewrite of a
`toEntities: [world]` rule into an explicit CIDR, or a copy from an IPv4-only cluster).

Evidence any instance leaves: the cluster uses IPv6 (Cilium's `enable-ipv6`, a node's or the failing pod's IPv6
pod address or CIDR, a Calico IPv6 pool), the subject's own log fails to connect and names an IPv6 address of a
destination outside the cluster, and the egress policies that select the subject together admit that
destination's IPv4 side (or the IPv4 world) but no IPv6 range that holds the address. `read` gathers these
(only when the subject's logs fail to connect and the facts already gathered show an address family at stake:
`family_symptom`; then only when the logs name a global IPv6 address), `suspects` is pure over what it kept.
A policy with `::/0` (or `world`), an IPv4-only cluster (where an IPv6 failure is the host's missing route, not a
policy), or failures to IPv4 addresses only are not this class and are not named.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.blocked import FAILING_CALLS
from agent.triage.facts import Facts, Ref, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.outbound import selects
from agent.triage.policy_cut import _UNREACHED, KINDS, _is_served, _rows, _served_kinds, _written
from agent.triage.subject import Subject, workload_of_pod

CHECK = "netpol.one_family_egress"
WEIGHT = 0.92
"""The policy that drops the family the client tries first explains the timeouts better than the client itself or
than a rollout near them."""
RECORD_KIND = "vigil.dev/FamilyGap"
MAX_POLICIES = 30
MAX_PODS = 2
LOG_TAIL = 2000
Call = Callable[..., Awaitable[Any]]

_ADDRESS = re.compile(r"(?<![\w:.])\[?([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})\]?(?![\w:])")
"""A candidate IPv6 literal (bracketed in a URL or not); `ipaddress` decides, so clock times never pass."""
_V4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_WORLD_ENTITIES = frozenset({"world", "all"})
_V4_ENTITIES = frozenset({"world-ipv4"})
_V6_ENTITIES = frozenset({"world-ipv6"})
_CILIUM_PEERS = ("toEndpoints", "toEntities", "toCIDR", "toCIDRSet", "toFQDNs", "toServices", "toGroups",
                 "toRequires", "toNodes")
_BY_NAME = ("toFQDNs", "domains", "toServices", "toGroups")
"""Destinations named by DNS name or cloud group: what they admit depends on resolution, so a policy holding one is
not judged (a verdict can miss, never invent)."""
_NAMESPACE_KEYS = ("k8s:io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace")
LEAD = timedelta(hours=24)
"""How recent a write to an egress policy counts as a trace of this class in `family_symptom`."""
_FAMILY_WORDS = re.compile(r"\bipv6\b|\bAAAA\b|ipFamil|dual.?stack|address family|EAFNOSUPPORT|ENETUNREACH|"
                           r"network is unreachable|\b(?:tcp|udp)6\b|\bdial (?:tcp|udp)\s*\[", re.I)
"""Any runtime's words for an address family at stake: IPv6 or AAAA named, a Service's ipFamilies, `Address family
not supported`, `network is unreachable` (the error a missing IPv6 route gives), Go's `dial tcp [addr]:port`."""


@dataclass
class Gap:
    """A policy that admits the destination's IPv4 side but not its IPv6 address, selecting the failing caller."""

    policy: dict[str, Any]
    written: str
    v6: str
    v4: str
    admitted: list[str]
    namespace: str
    pod: str
    said: str
    ipv6_in_use: str
    evidence: list[str] = field(default_factory=list)


def _global_v6(text: str) -> list[ipaddress.IPv6Address]:
    """The global IPv6 addresses a line names (loopback, link-local, unspecified and mapped IPv4 left out)."""
    out = []
    for m in _ADDRESS.finditer(text):
        try:
            addr = ipaddress.IPv6Address(m.group(1))
        except ValueError:
            continue
        if addr.is_loopback or addr.is_link_local or addr.is_unspecified or addr.ipv4_mapped or addr.is_multicast:
            continue
        out.append(addr)
    return out


def _v4s(text: str) -> list[ipaddress.IPv4Address]:
    out = []
    for m in _V4.finditer(text):
        try:
            out.append(ipaddress.IPv4Address(m.group(1)))
        except ValueError:
            continue
    return out


def _fails_to_connect(facts: Facts) -> list[tuple[str, str, str]]:
    """(namespace, pod, failing line) of the subject's logs whose errors say a connection was not made."""
    out = []
    for log in facts.logs:
        for e in log.entries():
            line = str(e.get("message") or e.get("example") or "")
            if str(e.get("error_class")) in FAILING_CALLS or _UNREACHED.search(line):
                out.append((log.namespace, log.pod, line))
                break
    return out[:MAX_PODS]


def family_symptom(facts: Facts, failing: list[tuple[str, str, str]]) -> bool:
    """Whether the facts already gathered show an address family at stake for the failing callers: their classified
    log lines or hosts name a global IPv6 address or an address family's words (`_FAMILY_WORDS`), an object read
    shows an IPv6 pod address or pod range (or Cilium's enable-ipv6), or an egress policy (any kind this module
    judges) was written in the LEAD (the classified lines keep a client's first words, which often leave the address
    out, as a .NET exception's do: the rewritten allow-list is then the one trace). Only then are the failing pods'
    logs read again: any other incident's report carries no call of this module."""
    pods = {(ns, pod) for ns, pod, _ in failing}
    for log in facts.logs:
        if (log.namespace, log.pod) not in pods:
            continue
        lines = [*(said_by(e) for e in log.entries()), *log.last_lines, *log.hosts]
        if any(_global_v6(ln) or _FAMILY_WORDS.search(ln) for ln in lines):
            return True
    for obj, _ in facts.objects:
        kind = str(obj.get("kind") or "")
        cilium = obj if kind == "ConfigMap" and (obj.get("metadata") or {}).get("name") == "cilium-config" else None
        if (kind == "Pod" and _ipv6_in_use(obj, None, None)) or (kind == "Node" and _ipv6_in_use({}, obj, None)) \
                or (cilium is not None and _ipv6_in_use({}, None, cilium)):
            return True
    return bool(facts.writes_to({kind for _, kind, _ in KINDS}, within=LEAD, timeline_only=True))


def _destination(text: str) -> tuple[str, str, str] | None:
    """(IPv6 address, an IPv4 address on the same line or "", the line) of the newest line naming a global IPv6
    address in a pod's log text."""
    for line in reversed(text.splitlines()):
        v6 = _global_v6(line)
        if v6:
            v4 = _v4s(line)
            return str(v6[0]), str(v4[0]) if v4 else "", line.strip()[:300]
    return None


def _ipv6_in_use(pod: dict[str, Any], node: dict[str, Any] | None, cilium: dict[str, Any] | None) -> str:
    """Why the cluster is dual-stack (or IPv6), in words; "" when nothing read says so."""
    if cilium and str((cilium.get("data") or {}).get("enable-ipv6", "")).lower() == "true":
        return "Cilium runs with enable-ipv6: true"
    for ip in (pod.get("status") or {}).get("podIPs") or []:
        if ":" in str((ip or {}).get("ip", "")):
            return f"the pod has the IPv6 address {ip['ip']}"
    for cidr in ((node or {}).get("spec") or {}).get("podCIDRs") or []:
        if ":" in str(cidr):
            return f"its node has the IPv6 pod range {cidr}"
    return ""


def _flavour(policy: dict[str, Any]) -> str:
    """Whose rule shapes a policy uses: `k8s`, `cilium`, `calico` (by its API group: Calico's namespaced policy is
    also called NetworkPolicy), or `other` (an AdminNetworkPolicy: not judged)."""
    kind, api = str(policy.get("kind")), str(policy.get("apiVersion") or "")
    if kind.startswith("Cilium"):
        return "cilium"
    if "projectcalico" in api or kind == "GlobalNetworkPolicy":
        return "calico"
    return "k8s" if kind == "NetworkPolicy" else "other"


def _selects(policy: dict[str, Any], namespace: str, labels: dict[str, str]) -> bool:
    """Whether the policy's subject selector takes the pod (Calico's selector text is taken when it names none of
    the pod's labels with another value: a verdict can miss, never invent)."""
    flavour, spec = _flavour(policy), policy.get("spec") or {}
    meta_ns = str((policy.get("metadata") or {}).get("namespace") or "")
    if meta_ns and meta_ns != namespace:
        return False
    if flavour == "k8s":
        return selects(spec.get("podSelector") or {}, labels) is not False
    if flavour == "cilium":
        own = {**labels, **{f"k8s:{k}": v for k, v in labels.items()}, **{k: namespace for k in _NAMESPACE_KEYS}}
        return selects(spec.get("endpointSelector") or {}, own) is not False
    selector = str(spec.get("selector") or "all()")
    for key, value in re.findall(r"([\w./-]+)\s*==\s*['\"]([^'\"]*)['\"]", selector):
        have = namespace if key.endswith("namespace") else labels.get(key)
        if have != value:
            return False
    return True


def _egress_rules(policy: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The allow rules of a policy that restricts egress (None when it leaves egress alone)."""
    spec, flavour = policy.get("spec") or {}, _flavour(policy)
    if flavour == "other":
        return None
    if flavour == "k8s":
        if "Egress" not in (spec.get("policyTypes") or []) and "egress" not in spec:
            return None
        return list(spec.get("egress") or [])
    if flavour == "cilium":
        return list(spec["egress"]) if "egress" in spec else None
    if "egress" not in spec and "Egress" not in (spec.get("types") or []):
        return None
    return [r for r in spec.get("egress") or [] if str(r.get("action")) == "Allow"]


def _admits(rule: dict[str, Any], flavour: str, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The range of the rule that lets `addr` out ("" when none): a CIDR, an entity, or `any` for a rule that names
    no destination at all. Rules naming destinations by name or label (FQDNs, services) are not judged."""
    nets: list[tuple[str, list[str]]] = []
    if flavour == "k8s":
        peers = rule.get("to")
        if not peers:
            return "any"
        nets = [(str((p.get("ipBlock") or {}).get("cidr")), [str(x) for x in (p.get("ipBlock") or {}).get("except")
                                                               or []]) for p in peers if p.get("ipBlock")]
    elif flavour == "cilium":
        entities = {str(e) for e in rule.get("toEntities") or []}
        if not any(rule.get(k) for k in _CILIUM_PEERS):
            return "any"  # only toPorts (or nothing): every destination on those ports
        if entities & _WORLD_ENTITIES or (entities & _V4_ENTITIES and addr.version == 4) or \
                (entities & _V6_ENTITIES and addr.version == 6):
            return f"toEntities {sorted(entities)}"
        nets = [(str(c), []) for c in rule.get("toCIDR") or []] + [
            (str(c.get("cidr")), [str(x) for x in c.get("except") or []]) for c in rule.get("toCIDRSet") or []]
    else:
        dest = rule.get("destination") or {}
        version = rule.get("ipVersion")
        if not dest.get("nets") and not dest.get("selector") and not dest.get("domains") and \
                not dest.get("namespaceSelector") and not dest.get("serviceAccounts") and not dest.get("services"):
            return "" if version and int(version) != addr.version else (f"ipVersion {version}" if version else "any")
        nets = [(str(n), [str(x) for x in dest.get("notNets") or []]) for n in dest.get("nets") or []]
    for cidr, excepts in nets:
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if net.version == addr.version and addr in net and not any(
                addr in ipaddress.ip_network(x, strict=False) for x in excepts if _valid(x, addr.version)):
            return cidr
    return ""


def _valid(cidr: str, version: int) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).version == version
    except ValueError:
        return False


def gap(policies: list[dict[str, Any]], namespace: str, labels: dict[str, str], v6: str,
        v4: str) -> tuple[list[dict[str, Any]], list[str]] | None:
    """The selecting egress policies that admit the IPv4 side (the address, else the whole IPv4 world) and what
    they admit it by, when none of the selecting policies admits the IPv6 address; None otherwise."""
    six = ipaddress.IPv6Address(v6)
    four = ipaddress.IPv4Address(v4) if v4 else None
    selecting = [(p, rules) for p in policies if _selects(p, namespace, labels)
                 for rules in [_egress_rules(p)] if rules is not None]
    if not selecting:
        return None
    if any(_admits(r, _flavour(p), six) for p, rules in selecting for r in rules) or any(
            r.get(k) or (r.get("destination") or {}).get(k) for _, rules in selecting for r in rules for k in _BY_NAME):
        return None
    blamed, admitted = [], []
    for p, rules in selecting:
        kind = _flavour(p)
        if four is not None:
            by = [x for r in rules if (x := _admits(r, kind, four))]
        else:  # no IPv4 address named: the policy must admit every IPv4 address (the outside world)
            by = [x for r in rules if (x := _admits(r, kind, ipaddress.IPv4Address("8.8.8.8")))
                  and _admits(r, kind, ipaddress.IPv4Address("203.0.113.1"))]
        if by:
            blamed.append(p)
            admitted += by
    return (blamed, list(dict.fromkeys(admitted))) if blamed else None


async def _policies(call: Call) -> tuple[list[dict[str, Any]], list[str]]:
    objects, evidence = [], []
    served = await _served_kinds(call)
    for plural, kind, api in KINDS:
        if not _is_served(plural, api, served):
            continue
        for row in _rows(await call("k8s_list", {"kind": plural}, f"survey-family-{plural}"))[:MAX_POLICIES]:
            got = await get_yaml(call, plural, str(row["name"]), str(row.get("namespace") or ""),
                                 f"survey-family-policy-{row['name']}")
            if got is None:
                continue
            obj, eid = got
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api)
            objects.append(obj)
            evidence.append(eid)
    return objects, evidence


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the failing callers show an address family at stake (`family_symptom`): the failing pods'
    logs for an IPv6 destination, then whether IPv6 is in use, then the policies that select them."""
    failing = _fails_to_connect(facts)
    if not failing or not family_symptom(facts, failing):
        return
    found = []
    for ns, pod, said in failing:
        got = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": LOG_TAIL},
                         f"survey-family-log-{pod}")
        if got is None or not got.ok:
            continue
        dest = _destination(str(getattr(got, "full_text", "") or got.text or ""))
        if dest is not None:
            found.append((ns, pod, said, dest, got.evidence_id))
    if not found:
        return
    cilium, cilium_id = await get_yaml(call, "configmaps", "cilium-config", "kube-system", "survey-family-cilium") \
        or (None, "")
    policies: list[dict[str, Any]] | None = None
    evidence: list[str] = []
    for ns, pod, said, (v6, v4, line), log_id in found:
        got_pod = await get_yaml(call, "pods", pod, ns, f"survey-family-pod-{pod}")
        if got_pod is None:
            continue
        obj, pod_id = got_pod
        node_name = str((obj.get("spec") or {}).get("nodeName") or "")
        got_node = await get_yaml(call, "nodes", node_name, "", f"survey-family-node-{node_name}") \
            if node_name else None
        node, node_id = got_node or (None, "")
        in_use = _ipv6_in_use(obj, node, cilium)
        if not in_use:
            continue
        if policies is None:
            policies, evidence = await _policies(call)
        labels = {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items()}
        judged = gap(policies, ns, labels, v6, v4)
        if judged is None:
            continue
        for policy in judged[0]:
            meta = policy.get("metadata") or {}
            written = _written(facts, str(policy.get("kind")), str(meta.get("namespace") or ""), str(meta["name"]),
                               str(meta.get("creationTimestamp") or ""))
            written = max([written, *(str(m.get("time")) for m in meta.get("managedFields") or []
                                      if parse_time(str(m.get("time"))))], default="",
                          key=lambda t: parse_time(t) or facts.at)
            ids = [log_id, pod_id, node_id, cilium_id, *evidence]
            facts.objects.append(({"kind": RECORD_KIND, "gap": Gap(policy, written, v6, v4, judged[1], ns, pod,
                                   f"{said[:200]} / {line}", in_use, [i for i in ids if i])}, ""))
        return


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The policy that admits only IPv4 to the outside world, explaining the caller's connect failures."""
    out = []
    for obj, _ in facts.objects:
        g = obj.get("gap") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(g, Gap):
            continue
        meta = g.policy.get("metadata") or {}
        kind = str(g.policy.get("kind"))
        ref = Ref(kind, str(meta.get("namespace") or ""), str(meta.get("name")))
        shown = ref.name if not ref.namespace else f"{ref.namespace}/{ref.name}"
        when = parse_time(g.written)
        ago = f", {int((facts.at - when).total_seconds() // 60)} min before the incident" if when else ""
        workload = workload_of_pod(g.pod)
        message = (f"{kind} {shown} (written {g.written or 'at an unknown time'}{ago}) admits egress to the outside "
                   f"world only as IPv4 ({', '.join(g.admitted[:4])}), with no ::/0 or world entity for IPv6, while "
                   f"the cluster uses IPv6 ({g.ipv6_in_use}): {workload} ({g.namespace}) tries the destination's IPv6 "
                   f"address {g.v6}{' before ' + g.v4 if g.v4 else ''} and its connections are dropped and time "
                   f"out (its log: '{g.said[:300]}'). Add ::/0 (or the world entity) beside the IPv4 range, or make "
                   f"the client prefer IPv4")
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                   "reason": "EgressOneAddressFamily", "message": message,
                   "evidence": [f"IPv6 {g.v6} not admitted by {ref}; IPv4 admitted by {', '.join(g.admitted[:4])}"],
                   "details": {"ipv6": g.v6, "ipv4": g.v4, "admitted": g.admitted, "written": g.written,
                               "client": f"{g.namespace}/{g.pod}", "ipv6_in_use": g.ipv6_in_use}}
        out.append((ref, finding, list(dict.fromkeys(g.evidence)), [Ref("Deployment", g.namespace, workload)]))
    return out
