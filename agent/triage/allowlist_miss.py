"""An egress allow-list by address, written just before, that does not hold the outside address the caller dials.

A policy that lets a workload out only to listed address ranges (a NetworkPolicy's `ipBlock`s, Cilium's
`toCIDR`/`toCIDRSet`, Calico's `destination.nets`) is a copy of where the partner lived when someone wrote it: a
SaaS vendor's published ranges, a bank's gateway block. Re-applied from an old copy, or regenerated from a stale
list, it no longer holds the address the partner's name resolves to today. The datapath drops the SYNs and the
caller only says its connects time out (Go `dial tcp 149.72.1.2:443: i/o timeout`, Node `connect ETIMEDOUT
104.18.1.2:443`, Java `Connect to host:443 [host/52.1.2.3] failed: Connect timed out`); nothing in the caller
changed, and a config write beside it is easily blamed instead.

Evidence any instance leaves: a write to an egress policy in the RECENT window, the caller's own log failing to
connect to a global (public) address from that write on, and the policies selecting the caller, which restrict
egress, list destinations by address, and together admit no range holding that address. `read` gathers these (only
when a policy of a kind `policy_cut` reads was written recently and the subject's logs fail to connect), `suspects`
is pure over what it kept. Not named: a policy that holds the address (the drop is elsewhere), one naming
destinations by DNS name or service (its verdict depends on resolution), a private or in-cluster destination
(`policy_cut`'s class), failures that began before the write, or a write older than RECENT.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.family_gap import _BY_NAME, _admits, _egress_rules, _fails_to_connect, _flavour, _policies, _selects
from agent.triage.kube_reads import get_yaml
from agent.triage.policy_cut import _UNREACHED, KINDS
from agent.triage.subject import Subject, workload_of_pod

CHECK = "netpol.allowlist_misses_destination"
WEIGHT = 0.92
"""The allow-list that drops the caller's destination explains its timeouts better than a config write beside it."""
RECORD_KIND = "vigil.dev/AllowlistMiss"
RECENT = timedelta(hours=6)
SLACK = timedelta(minutes=2)
"""Failures may be logged this long before the write's recorded time (clocks and the log's own rounding)."""
LOG_TAIL = 2000
Call = Callable[..., Awaitable[Any]]

_V4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_STAMP = re.compile(r"^\s*(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)")
_HOST = re.compile(r"(?:https?://|Connect to |connect to )([a-z0-9][\w.-]*\.[a-z]{2,})", re.I)


@dataclass
class Miss:
    """A recently written egress allow-list selecting the caller that admits no range holding its destination."""

    policy: dict[str, Any]
    written: str
    address: str
    host: str
    ranges: list[str]
    namespace: str
    pod: str
    line: str
    evidence: list[str] = field(default_factory=list)


def outside_failure(text: str) -> tuple[str, str, datetime | None] | None:
    """(global address, the newest failing line naming it, when such failures were first logged) of a log's text:
    lines that say a connection was not made (`policy_cut._UNREACHED`) and name a public IPv4 address."""
    first: datetime | None = None
    newest: tuple[str, str] | None = None
    for line in text.splitlines():
        if not _UNREACHED.search(line):
            continue
        public = [a for a in _V4.findall(line) if _global(a)]
        if not public:
            continue
        stamp = _STAMP.match(line)
        when = parse_time(stamp.group(1).replace(" ", "T").replace(",", ".")) if stamp else None
        if when is not None and (first is None or when < first):
            first = when
        newest = (public[0], line.strip()[:300])
    return (newest[0], newest[1], first) if newest else None


def _global(address: str) -> bool:
    try:
        return ipaddress.IPv4Address(address).is_global
    except ValueError:
        return False


def _by_address(rules: list[dict[str, Any]], flavour: str) -> list[str]:
    """The address ranges an egress policy's rules list for the outside world (not the cluster's own blocks)."""
    out: list[str] = []
    for rule in rules:
        if flavour == "k8s":
            out += [str((p.get("ipBlock") or {}).get("cidr")) for p in rule.get("to") or [] if p.get("ipBlock")]
        elif flavour == "cilium":
            out += [str(c) for c in rule.get("toCIDR") or []]
            out += [str(c.get("cidr")) for c in rule.get("toCIDRSet") or []]
        else:
            out += [str(n) for n in (rule.get("destination") or {}).get("nets") or []]
    return [c for c in out if _public_range(c)]


def _public_range(cidr: str) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return net.version == 4 and net.prefixlen > 0 and net.network_address.is_global


def misses(policies: list[dict[str, Any]], namespace: str, labels: dict[str, str],
           address: str) -> list[tuple[dict[str, Any], list[str]]]:
    """The selecting egress policies that list outside ranges by address, with those ranges, when no selecting
    policy admits `address` and none names destinations by name; [] otherwise."""
    addr = ipaddress.IPv4Address(address)
    selecting = [(p, rules) for p in policies if _selects(p, namespace, labels)
                 for rules in [_egress_rules(p)] if rules is not None]
    if any(_admits(r, _flavour(p), addr) for p, rules in selecting for r in rules) or any(
            r.get(k) or (r.get("destination") or {}).get(k) for _, rules in selecting for r in rules for k in _BY_NAME):
        return []
    return [(p, ranges) for p, rules in selecting if (ranges := _by_address(rules, _flavour(p)))]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when an egress policy was written in RECENT and the subject's logs fail to connect: the failing
    pods' logs for a public destination, their labels, and the policies that select them."""
    failing = _fails_to_connect(facts)
    written = {r: str(c.get("at")) for c, _, r in facts.writes_to({kind for _, kind, _ in KINDS}, within=RECENT,
                                                                 deletions=False)}
    if not failing or not written:
        return
    policies: list[dict[str, Any]] | None = None
    evidence: list[str] = []
    for ns, pod, _ in failing:
        got = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": LOG_TAIL}, f"survey-allowlist-log-{pod}")
        if got is None or not got.ok:
            continue
        failure = outside_failure(str(getattr(got, "full_text", "") or got.text or ""))
        got_pod = await get_yaml(call, "pods", pod, ns, f"survey-allowlist-pod-{pod}") if failure else None
        if failure is None or got_pod is None:
            continue
        address, line, first = failure
        if policies is None:
            policies, evidence = await _policies(call)
        labels = {str(k): str(v) for k, v in ((got_pod[0].get("metadata") or {}).get("labels") or {}).items()}
        for policy, ranges in misses(policies, ns, labels, address):
            meta = policy.get("metadata") or {}
            when = written.get(Ref(str(policy.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name"))))
            at_write = parse_time(when)
            if at_write is None or (first is not None and first < at_write - SLACK):
                continue
            host = _HOST.search(line)
            facts.objects.append(({"kind": RECORD_KIND, "miss": Miss(
                policy, str(when), address, host.group(1) if host else "", ranges, ns, pod, line,
                [i for i in (got.evidence_id, got_pod[1], *evidence) if i])}, ""))
        return


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The allow-list written just before that no longer holds the caller's destination."""
    out = []
    for obj, _ in facts.objects:
        m = obj.get("miss") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(m, Miss):
            continue
        meta = m.policy.get("metadata") or {}
        ref = Ref(str(m.policy.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))
        when = parse_time(m.written)
        ago = f" {int((facts.at - when).total_seconds() // 60)} min before the incident" if when else ""
        workload = workload_of_pod(m.pod)
        dest = f"{m.address} ({m.host})" if m.host else m.address
        word = "ipBlock" if _flavour(m.policy) == "k8s" else "CIDR"
        message = (f"{ref} (written{ago}) lets {workload} egress to the outside only by address ({word} "
                   f"{', '.join(m.ranges[:5])}), and none of those ranges holds {dest}, where {workload} now "
                   f"connects: the datapath drops it and its connections time out from the write on (its log: "
                   f"'{m.line}'). The allow-list's ranges are stale for that destination: add its current ranges "
                   f"(or allow it by name), or revert the policy")
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                   "reason": "EgressAllowListMissesDestination", "message": message,
                   "evidence": [f"{m.address} outside {ref}'s egress ranges {', '.join(m.ranges[:5])}"],
                   "details": {"address": m.address, "host": m.host, "ranges": m.ranges, "written": m.written,
                               "client": f"{m.namespace}/{m.pod}"}}
        out.append((ref, finding, list(dict.fromkeys(m.evidence)), [Ref("Deployment", m.namespace, workload)]))
    return out
