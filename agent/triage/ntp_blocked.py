"""A host-level egress policy written without NTP: the node's time daemon loses its sources and its clock drifts.

A node's clock stays right only while its time daemon (chronyd, ntpd, systemd-timesyncd) reaches its sources over
UDP 123. Host firewalls expressed as cluster objects (Calico GlobalNetworkPolicy applied to host endpoints or on
forward, Cilium CiliumClusterwideNetworkPolicy with a nodeSelector, a Kubernetes/Calico policy over hostNetwork
daemons) are often written as an allow-list of what the applications need (HTTPS, the database ports, DNS) and a
final deny: NTP is forgotten. Nothing fails at once: the daemon marks its sources unreachable, the kernel reports the
clock unsynchronised (node_exporter `node_timex_sync_status` 0) and the clock free-runs, so time-checked work on
those nodes (TOTP codes, signed tokens, certificates) starts failing hours later, on those nodes only.

So: a node the incident names (or where its pods run) whose gauges say its clock is unsynchronised or off, and an
egress policy scoped to hosts, written within LEAD before the alert, whose rules admit no UDP 123 while it denies
the rest (an explicit deny rule, or Egress enforced with an allow-list). Not named: a policy admitting NTP (port
123/ntp, or a rule with no port restriction), a pod-scoped namespaced policy (it does not govern the host's daemon),
a policy written long ago, any policy while every named node's clock is synchronised.

`read` (reading only, and only when such a policy was written within LEAD) fetches the written policies and the
nodes' clock gauges; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import clock
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.ntp_blocked"
WEIGHT = 0.92
"""The policy write that cut NTP, above the node's clock drift it explains (clock.DRIFT_WEIGHT) and a neighbour's
rollout."""
RECORD = "ntp_blocked"
LEAD = timedelta(hours=72)
"""A free-running clock takes hours to drift past what time checks allow: the write may be days old."""
MAX_POLICIES = 3
POLICY_KIND = re.compile(r"NetworkPolicy$|^(?:Global|Clusterwide|Cluster|Admin|BaselineAdmin)\w*Policy$", re.I)
_GAUGES = "node_timex_offset_seconds|node_timex_sync_status"
_NODE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+){2,}")
"""A name from the incident's words shaped like a node's DNS name (ip-10-0-3-22.eu-west-1.compute.internal)."""


@dataclass
class Blocked:
    """A host-scoped egress policy without NTP, and the node whose clock lost its sync."""

    target: Ref
    change: dict[str, Any]
    written: datetime
    allowed: list[str]
    """What its egress rules admit, as written (protocol and ports)."""
    node: str
    offset: float | None
    unsynchronised: bool
    evidence: list[str]


def _policy_writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime, str]]:
    out: list[tuple[dict[str, Any], Ref, datetime, str]] = []
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not POLICY_KIND.search(ref.kind) or not facts.at - LEAD <= at <= facts.at:
            continue
        if str(change.get("type") or "") != "delete" and not any(r.same_object(ref) for _, r, _, _ in out):
            out.append((change, ref, at, evidence))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when an egress policy was written within LEAD: the policies, then the clock gauges."""
    named = [*subject.nodes, *(n for n in subject.names if _NODE_NAME.fullmatch(n))]
    if RECORD in facts.reads or not (named or clock.gauged(facts) or any(clock.clock_line(log) for log in facts.logs)):
        return  # no node named, no clock seen off, no time check failing: nothing for a host policy to explain
    if not _policy_writes(facts) and not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": "72h"}, "survey-ntp-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    writes = _policy_writes(facts)[:MAX_POLICIES]
    if not writes:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}, "nodes": named})
    for _, ref, _, _ in writes:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-ntp-policy-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)], kept["evidence"][str(ref)] = got
    if not kept["objects"] or clock.gauged(facts):
        return
    outcome = await call("prom_query", {"query": f'{{__name__=~"{_GAUGES}"}}', "time": at}, "survey-ntp-clocks")
    if outcome is not None and outcome.ok and isinstance(outcome.data, dict) and outcome.data.get("samples"):
        facts.metrics.append((outcome.data, outcome.evidence_id))


def _ports(rule: dict[str, Any]) -> list[tuple[str, str]]:
    """(protocol, port) pairs a rule admits, "" for any; Calico, Kubernetes and Cilium spellings."""
    out: list[tuple[str, str]] = []
    protocol = str(rule.get("protocol") or "")
    dest = rule.get("destination") if isinstance(rule.get("destination"), dict) else {}
    calico = (dest or {}).get("ports")
    if isinstance(calico, list):
        out += [(protocol, str(p)) for p in calico]
    for port in rule.get("ports") or []:  # Kubernetes NetworkPolicy
        if isinstance(port, dict):
            out.append((str(port.get("protocol") or "TCP"), str(port.get("port") or "")))
    for group in rule.get("toPorts") or []:  # Cilium
        for port in (group or {}).get("ports") or [] if isinstance(group, dict) else []:
            if isinstance(port, dict):
                out.append((str(port.get("protocol") or ""), str(port.get("port") or "")))
    return out or [(protocol, "")]


def _admits_ntp(protocol: str, port: str) -> bool:
    if protocol.upper() not in ("", "UDP", "ANY"):
        return False
    if port in ("", "123", "ntp"):
        return True
    m = re.fullmatch(r"(\d+)[:-](\d+)", port)
    return bool(m and int(m.group(1)) <= 123 <= int(m.group(2)))


def blocks_ntp(policy: dict[str, Any]) -> list[str] | None:
    """What the policy's egress admits when it admits no NTP while denying the rest; None when it admits NTP, does
    not restrict egress, or governs pods of one namespace only."""
    spec = policy.get("spec") or {}
    meta = policy.get("metadata") or {}
    host = (not meta.get("namespace")) or any(spec.get(k) for k in ("applyOnForward", "doNotTrack", "preDNAT",
                                                                     "nodeSelector"))
    if not host:
        return None
    types = [str(t).lower() for t in spec.get("types") or spec.get("policyTypes") or []]
    rules = [r for r in spec.get("egress") or [] if isinstance(r, dict)]
    if "egress" not in types and not rules and not spec.get("egressDeny"):
        return None
    allows = [r for r in rules if str(r.get("action") or "Allow").lower() == "allow"]
    denies = bool(spec.get("egressDeny")) or any(str(r.get("action") or "").lower() == "deny" for r in rules) or \
        "egress" in types or (bool(rules) and not any("action" in r for r in rules))  # an allow-list denies the rest
    if not denies or any(_admits_ntp(p, port) for r in allows for p, port in _ports(r)):
        return None
    return [f"{p or 'any'} {port or 'any port'}" for r in allows for p, port in _ports(r)]


def _nodes(subject_nodes: list[str], facts: Facts) -> set[str]:
    hosted = {str(p.get("node") or "") for data, _ in facts.topologies for p in data.get("pods") or []
              if isinstance(p, dict)}
    return {n for n in [*subject_nodes, *hosted] if n}


def found(facts: Facts, nodes: list[str] | None = None) -> list[Blocked]:
    """Each host egress policy written within LEAD without NTP while a node of the incident's clock is unsynced."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict) or not kept.get("objects"):
        return []
    wanted = _nodes(nodes if nodes is not None else list(kept.get("nodes") or []), facts)
    skews = [s for s in clock.gauged(facts).values() if s.node in wanted]
    if not skews:
        return []
    skew = sorted(skews, key=lambda s: (not s.unsynchronised, -abs(s.offset or 0)))[0]
    out: list[Blocked] = []
    for change, ref, at, evidence in _policy_writes(facts)[:MAX_POLICIES]:
        policy = (kept.get("objects") or {}).get(str(ref))
        allowed = blocks_ntp(policy) if isinstance(policy, dict) else None
        if allowed is None:
            continue
        out.append(Blocked(ref, change, at, allowed, skew.node, skew.offset, skew.unsynchronised,
                           [e for e in (evidence, (kept.get("evidence") or {}).get(str(ref)), skew.metrics_id) if e]))
    return out[:1]


def finding(b: Blocked, at: datetime) -> dict[str, Any]:
    """The policy's meaning first (the headline is cut): NTP not admitted, the node's clock, the write."""
    state = []
    if b.unsynchronised:
        state.append("unsynchronised (node_timex_sync_status 0)")
    if b.offset is not None:
        state.append(f"{abs(b.offset):.3g} s {'behind' if b.offset < 0 else 'ahead'} (node_timex_offset_seconds)")
    by = written_by(b.change)
    ago = minutes_text(int((at - b.written).total_seconds() // 60))
    message = (f"{b.target} was written{' by ' + by if by else ''} {ago} before the alert with host egress rules that "
               f"admit no NTP (UDP 123) and deny the rest (it allows {', '.join(b.allowed[:6]) or 'nothing'}): the "
               f"node time daemon loses its sources, so node {b.node}'s clock is {' and '.join(state) or 'off'} and "
               f"time-checked work there (one-time codes, signed tokens, certificates) fails. Allow UDP 123 to the "
               f"NTP sources in {b.target}")
    return {"check": CHECK, "severity": "critical", "reason": "NTPEgressDenied",
            "object": {"kind": b.target.kind, "namespace": b.target.namespace, "name": b.target.name},
            "message": message, "evidence": [f"egress allows {', '.join(b.allowed[:6])}; no UDP 123"],
            "details": {"node": b.node, "offset_seconds": b.offset, "synchronised": not b.unsynchronised,
                        "written": b.written.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The policy; it explains the node."""
    return [(b.target, finding(b, facts.at), b.evidence, [Ref("Node", "", b.node)]) for b in found(facts)]
