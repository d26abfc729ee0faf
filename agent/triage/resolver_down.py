"""DNS lookups that time out at a resolver address, and the failing workload that serves that address.

A client's resolver error names the address it asked: Go's `lookup db.example.com on 169.254.20.10:53: read
udp ...->169.254.20.10:53: i/o timeout`, or `... connection refused`. The victim looks like it fails on the host
it looked up, but the host is fine: the resolver behind that address (a node-local DNS cache DaemonSet bound to
a link-local address on each node, a cluster DNS Deployment behind its Service IP) is down or restarting. The
workload that serves the address says so in its own log (CoreDNS and node-cache print `.:53 on <address>` as
they bind); when the scan shows that workload failing (OOMKilled, crash
looping), it is the cause, and a rollout of it shortly before (a memory limit cut) is how.

Pure over the facts: the logs the survey read, the scan's findings and the change timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.pointers import log_texts
from agent.triage.subject import workload_of_pod

CHECK = "dns.resolver_down"
WEIGHT = 0.95
"""The resolver's failure explains every victim's lookup error: above the victims and the resolver's own OOM."""
LEAD = timedelta(hours=24)
"""How long before the incident a rollout of the resolver still counts."""

ASKED = re.compile(r"\bon \[?(?P<ip>\d{1,3}(?:\.\d{1,3}){3})\]?:53\b.*?(?P<how>i/o timeout|connection refused|"
                   r"no route to host|timed out)", re.I)
"""A Go resolver error naming the server it asked and how the exchange failed (not NXDOMAIN: that is an answer)."""
SERVES = r"(?:\bon|\blisten(?:ing)?(?: on)?|\bbind|-localip)\s*[:=]?\s*[\w.,:]*?\b{ip}\b"
"""How a DNS server's log says it serves an address (CoreDNS/node-cache `cluster.local.:53 on 169.254.20.10`)."""
FAILING = ("pod.oomkilled", "pod.crashloop", "pod.unready", "workload.unavailable")
_LIMIT = re.compile(r"^(\S+) memory limit (\S+) -> (\S+)$")
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}


@dataclass
class ResolverDown:
    """A resolver address the victims' lookups fail at, the failing workload serving it, and its change."""

    address: str
    how: str
    server: Ref
    failure: str
    victims: list[Ref] = field(default_factory=list)
    quote: str = ""
    change: str = ""
    changed: datetime | None = None
    evidence: list[str] = field(default_factory=list)


def _bytes(quantity: str) -> float | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", quantity)
    return float(m.group(1)) * _UNITS.get(m.group(2) or "", 1) if m else None


def _asked(facts: Facts) -> dict[str, tuple[str, str, list[Ref], list[str]]]:
    """Resolver address -> (how it failed, a quote, the victims' workloads, evidence), from the logs read."""
    out: dict[str, tuple[str, str, list[Ref], list[str]]] = {}
    for log in facts.logs:
        for text in log_texts(log):
            m = ASKED.search(text)
            if m is None:
                continue
            _, _, victims, evidence = out.setdefault(m.group("ip"), (m.group("how"), text[:200], [], []))
            victim = Ref("Pod", log.namespace, log.pod)
            if victim not in victims:
                victims.append(victim)
                evidence.append(log.evidence_id)
            break
    return out


def _server(facts: Facts, address: str) -> tuple[Ref, str, str] | None:
    """The failing workload that serves `address` (its pods' logs say they bind it), with its scan finding's
    message and the scan's evidence id."""
    serves = re.compile(SERVES.format(ip=re.escape(address)), re.I)
    bound = {(log.namespace, workload_of_pod(log.pod)) for log in facts.logs
             if any(serves.search(t) and not ASKED.search(t) for t in log_texts(log))}
    for f in facts.findings():
        ref = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
        if ref is None or not str(f.get("check") or "").startswith(FAILING):
            continue
        if (ref.namespace, ref.name) in bound:
            return ref, str(f.get("message") or ""), facts.scan_id or ""
    return None


def _rollout(facts: Facts, server: Ref) -> tuple[str, datetime, str] | None:
    """The server's latest rollout within LEAD, a memory limit cut first: (the diff line, when, evidence)."""
    best: tuple[int, str, datetime, str] | None = None
    for change, evidence in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or change.get("type") != "rollout" or \
                (target.kind, target.namespace, target.name) != (server.kind, server.namespace, server.name) or \
                not facts.at - LEAD <= at <= facts.at:
            continue
        lines = [str(d) for d in change.get("diff") or []]
        cut = next((d for d in lines for m in [_LIMIT.match(d)] if m and (_bytes(m.group(3)) or 0) <
                    (_bytes(m.group(2)) or 0)), "")
        rank = 1 if cut else 0
        line = cut or (lines[0] if lines else str(change.get("summary") or ""))
        if best is None or (rank, at) > (best[0], best[2]):
            best = (rank, line, at, evidence)
    return (best[1], best[2], best[3]) if best else None


def found(facts: Facts) -> list[ResolverDown]:
    """Each resolver address the victims' lookups time out or are refused at whose serving workload is failing."""
    out: list[ResolverDown] = []
    for address, (how, quote, victims, evidence) in _asked(facts).items():
        server = _server(facts, address)
        if server is None:
            continue
        ref, failure, scan_id = server
        victims = [v for v in victims if (v.namespace, workload_of_pod(v.name)) != (ref.namespace, ref.name)]
        if not victims:
            continue
        rolled = _rollout(facts, ref)
        out.append(ResolverDown(address, how, ref, failure, victims, quote, rolled[0] if rolled else "",
                                rolled[1] if rolled else None,
                                [e for e in [scan_id, *evidence, rolled[2] if rolled else ""] if e]))
    return out


def finding(r: ResolverDown, at: datetime) -> dict[str, Any]:
    """The resolver's finding: the address, its failure, its change, and the victims' lookup errors."""
    change = ""
    if r.change and r.changed is not None:
        change = (f"; its rollout at {r.changed.isoformat().replace('+00:00', 'Z')} "
                  f"({minutes_text(int((at - r.changed).total_seconds() // 60))} before) changed {r.change}")
    victims = ", ".join(f"{v.namespace}/{workload_of_pod(v.name)}" for v in r.victims[:3])
    message = (f"{r.server} serves DNS at {r.address} and is failing ({r.failure[:160]}){change}: DNS lookups "
               f"through {r.address}:53 get {r.how}, so {victims} fail on every name they resolve "
               f"(\"{r.quote[:120]}\"). "
               f"The names they look up are fine; restore the resolver")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.server.kind, "namespace": r.server.namespace, "name": r.server.name},
            "reason": "ResolverDown", "message": message,
            "evidence": [f"lookups on {r.address}:53: {r.how}", r.change or r.failure[:80]],
            "details": {"address": r.address, "change": r.change}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The resolver's workload, explaining the victims whose lookups fail at its address."""
    return [(r.server, finding(r, facts.at), r.evidence, list(r.victims)) for r in found(facts)]


async def read(subject: Any, facts: Facts, call: Any, at: str) -> None:
    """Nothing to read: the survey's logs, scan, topology and timeline already hold every fact this uses."""
    return None
