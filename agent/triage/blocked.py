"""An egress NetworkPolicy that denies a dependency the subject's failing calls go to.

The topology judges the egress policies selecting the subject's pods against each in-cluster
dependency's pods and ports (`egress_blocked`: mcp_servers.kubernetes.egress). A denial alone is
not yet a cause (the call may never be made); with the subject's own logs failing to connect
(timeouts, refusals, unavailable), the policy is the suspect, named with the port no rule allows.
The dependency itself is healthy and would otherwise look guilty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import workload_of_pod

FAILING_CALLS = frozenset({"connection_timeout", "connection_refused", "unavailable", "upstream_reset",
                           "no_route", "db_error", "connection_limit"})
"""How a call that a policy drops (a timeout) or rejects (a refusal) reads in the caller's logs; a pool that
cannot open connections through the policy says it is exhausted (HikariCP's "Connection is not available")."""


@dataclass
class Block:
    policy: Ref
    finding: dict[str, Any]
    log: LogEvidence
    evidence_id: str


def blocks(facts: Facts) -> list[Block]:
    """Each egress policy that denies a dependency whose calls fail in the subject's logs."""
    out: list[Block] = []
    for data, evidence_id in facts.topologies:
        subject = Ref.of(data.get("subject"))
        pods = {str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict)}
        failing = next((log for log in facts.logs if log.pod in pods and log.error_classes & FAILING_CALLS), None)
        if subject is None or failing is None:
            continue
        said = str((failing.top or {}).get("message") or (failing.top or {}).get("example") or "")[:200]
        for block in data.get("egress_blocked") or []:
            target = Ref.of(block.get("target")) if isinstance(block, dict) else None
            if target is None:
                continue
            ports = ", ".join(str(p) for p in block.get("ports") or [])
            for policy in (Ref.of(p) for p in block.get("policies") or []):
                if policy is None or any(b.policy.same_object(policy) for b in out):
                    continue
                out.append(Block(policy, {
                    "check": "netpol.blocks_egress", "severity": "critical",
                    "object": {"kind": "NetworkPolicy", "namespace": policy.namespace, "name": policy.name},
                    "reason": "EgressDenied",
                    "message": _message(policy, subject, target, ports, str(block.get("why") or ""),
                                        workload_of_pod(failing.pod), said),
                    "evidence": [str(block.get("detail") or "")[:200]],
                    "details": {"target": str(target), "ports": block.get("ports") or [], "workload": str(subject)}},
                    failing, evidence_id))
    return out


def _message(policy: Ref, subject: Ref, target: Ref, ports: str, why: str, caller: str, said: str) -> str:
    """The finding's words: the mechanism first when the objects show it (an ipBlock holding only the Service's
    virtual IP), since ranking quotes the first few hundred characters only."""
    if why:
        return (f"{policy} isolates egress of {subject} and blocks {target} on port {ports}: {why}; "
                f"{caller}'s logs say '{said}'")
    return (f"{policy} isolates egress of {subject} and none of its rules allows {target} on port {ports}: the calls "
            f"are dropped (timeouts) or refused, while {target} itself is healthy; {caller}'s logs say '{said}'. Add "
            f"an egress rule to {target.namespace or 'its namespace'} for port {ports}")
