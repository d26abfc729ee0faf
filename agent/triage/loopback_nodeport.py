"""kube-proxy switched to a mode that does not answer NodePorts on the loopback address, while node agents use it.

A node agent (a log shipper, a metrics agent) that runs on every node often reaches a cluster service through
`127.0.0.1:<NodePort>`: in kube-proxy's iptables mode a NodePort answers on localhost too (route_localnet). Its
nftables mode does not serve NodePorts on 127.0.0.1 by design, and a `nodePortAddresses` list (`--nodeport-addresses`)
that leaves out 127.0.0.0/8 does the same in any mode. After such a write and kube-proxy's restart, every agent's
connection to localhost:NodePort is refused or times out, on every node at once, while the service behind it is
healthy: the agents' logs name only `127.0.0.1:3xxxx`, never kube-proxy.

This module names the kube-proxy configuration write (its ConfigMap, or its DaemonSet's flags) when a log shows a
connection to a loopback address on a NodePort-range port failing and kube-proxy's configuration, as read back, is
in nftables mode or lists NodePort addresses without loopback. Reading only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "change.kube_proxy_loopback_nodeport"
WEIGHT = 0.9
LEAD = timedelta(hours=6)
READS = "loopback_nodeport"
NODEPORTS = range(30000, 32768)

Call = Callable[..., Awaitable[Any]]

_LOOPBACK = re.compile(r"(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])[\"']?(?::|,\s*(?:port\s+)?|\s+port\s+)(\d{5})\b",
                       re.I)
"""A loopback address with its port: `127.0.0.1:31950`, curl's `localhost port 32001`, Python's `('127.0.0.1',
31090)`, libpq's `"127.0.0.1", port 30432`."""
_FAILED = re.compile(r"refused|timed? ?out|ECONNREFUSED|no route|unreachable|connect(?:ion| call)? failed|"
                     r"i/o timeout|\bErrno 11[01]\b", re.I)
_MODE = re.compile(r"\bmode[\"']?\s*[:=]\s*[\"']?nftables\b|--proxy-mode[=\s]+[\"']?nftables\b", re.I)
_ADDRESSES = re.compile(r"(?:nodePortAddresses[\"']?\s*:\s*|--nodeport-addresses[=\s]+)(\[[^\]]*\]|[^\s\"'\]]+)",
                        re.I)


@dataclass
class LoopbackCut:
    """A kube-proxy configuration that no longer serves NodePorts on loopback, and the agent that used one."""

    target: Ref
    change: dict[str, Any]
    why: str
    said: str
    port: int
    pod: str
    evidence: list[str] = field(default_factory=list)


def loopback_failure(log: LogEvidence) -> tuple[str, int] | None:
    """The first failed connection a log shows to a loopback address on a NodePort-range port."""
    tops = [e for e in [log.top, *log.more] if isinstance(e, dict)]
    for text in [" ".join(str(e.get(k) or "") for k in ("message", "example")) for e in tops] + list(log.last_lines):
        m = _LOOPBACK.search(text)
        if m and int(m.group(1)) in NODEPORTS and _FAILED.search(text):
            return text[:240], int(m.group(1))
    return None


def cuts_loopback(text: str) -> str:
    """Why a kube-proxy configuration text does not serve NodePorts on loopback ("" when it does)."""
    if _MODE.search(text):
        return "kube-proxy now runs in nftables mode, which does not serve NodePorts on 127.0.0.1"
    m = _ADDRESSES.search(text)
    if m and m.group(1).strip("[] ") and not re.search(r"127\.|::1|loopback", m.group(1)):
        return f"kube-proxy's nodePortAddresses {m.group(1)[:80]} leave out the loopback range"
    return ""


def _kube_proxy(change: dict[str, Any]) -> bool:
    names = [str((change.get("object") or {}).get("name") or "")]
    names += [str((r or {}).get("name") or "") for r in change.get("related") or []]
    return any("kube-proxy" in n or "kubeproxy" in n for n in names)


async def read(facts: Facts, call: Call) -> None:
    """When a log shows a refused loopback NodePort: the kube-proxy configuration a recent change wrote, read back
    (a ConfigMap's data), or the flags its DaemonSet's change line shows."""
    failures = [(log, hit) for log in facts.logs if (hit := loopback_failure(log)) is not None]
    if not failures:
        return
    log, (said, port) = failures[0]
    out: list[LoopbackCut] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD or not _kube_proxy(change):
            continue
        new_side = " ".join(str(d).rpartition("->")[2] for d in change.get("diff") or [])  # what holds now
        why, evidence = cuts_loopback(new_side), [facts.changes_id or ""]
        if not why and target.kind == "ConfigMap":
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-loopback-{target.name}")
            if got is not None:
                why = cuts_loopback(" ".join(str(v) for v in ((got[0].get("data") or {}).values())))
                evidence.append(got[1])
        if why:
            out.append(LoopbackCut(target, change, why, said, port, log.pod,
                                   [e for e in [*evidence, log.evidence_id] if e]))
            break
    facts.reads[READS] = out


def found(facts: Facts) -> list[LoopbackCut]:
    """The kube-proxy writes `read` kept."""
    return list(facts.reads.get(READS) or [])


def finding(r: LoopbackCut) -> dict[str, Any]:
    """The write, why loopback NodePorts stop answering, and the agent's refused connection."""
    message = (f"{r.target} was written at {r.change.get('at')}: {r.why}, and {r.pod} connects to a NodePort on "
               f"the loopback address (127.0.0.1:{r.port}), which is now refused on every node although the service "
               f"behind it is healthy: '{r.said[:160]}'. Point the agent at the node IP or the Service's ClusterIP, "
               f"or restore kube-proxy's iptables mode / a nodePortAddresses list that includes 127.0.0.0/8")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "LoopbackNodePort",
            "message": message, "evidence": [r.said[:200]],
            "details": {"why": r.why, "port": r.port, "change_at": r.change.get("at")}}
