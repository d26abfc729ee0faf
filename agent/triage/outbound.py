"""A workload's outbound error lines and when they began: what the network-path classes read from the logs.

The classes that blame a network-path object for a workload's failing OUTBOUND calls (egress_source: the source
IP an allowlist refuses; dns_policy: a DNS-aware policy refusing names; pool_nat: a node's pod address pool
without outgoing NAT; pod_network_identity: a per-pod security group) all start from the same facts: which pod's
logs carry an error line of a given shape, the line itself, and when it was first printed (the write must come
before it). They also match Kubernetes-style `matchLabels`/`matchExpressions` selectors against a pod's labels.
This module holds those shared readings; each class keeps its own meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.triage.facts import Facts, parse_time

_STAMP = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d)[T ](\d\d):(\d\d):(\d\d)")


@dataclass
class Line:
    """One error line of one pod, with when the logs first printed it."""

    pod: str
    namespace: str
    text: str
    first: datetime | None
    evidence: str


def stamp(value: Any) -> datetime | None:
    """A log time in the shapes logs print (RFC 3339, Go's `2006/01/02 15:04:05`), as UTC; None when absent."""
    got = parse_time(value) if isinstance(value, str) else None
    if got is not None:
        return got
    m = _STAMP.search(str(value or ""))
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def lines(facts: Facts, pattern: re.Pattern[str]) -> list[Line]:
    """Each pod's first error entry whose text matches `pattern` (one line per pod, in the survey's log order)."""
    out: list[Line] = []
    for log in facts.logs:
        for entry in log.entries():
            text = " ".join(str(entry.get(k) or "") for k in ("example", "message") if entry.get(k))
            if not text or not pattern.search(text):
                continue
            first = stamp(entry.get("first_seen")) or stamp(entry.get("first")) or stamp(text)
            out.append(Line(log.pod, log.namespace, text, first, log.evidence_id))
            break
    return out


def selects(selector: Any, labels: dict[str, str]) -> bool | None:
    """Whether a label selector (`matchLabels` + `matchExpressions`) selects `labels`; an empty selector selects
    everything; None when it uses an operator this reader does not know (the caller then cannot say)."""
    if not isinstance(selector, dict):
        return None
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key") or ""), str(expr.get("operator") or "")
        values = [str(v) for v in expr.get("values") or []]
        have = labels.get(key)
        if (op == "In" and have not in values) or (op == "NotIn" and have in values) or \
                (op == "Exists" and have is None) or (op == "DoesNotExist" and have is not None):
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return None
    return True


def pod_labels(pod: dict[str, Any]) -> dict[str, str]:
    """A pod's labels plus the namespace pseudo-labels policies select by (Cilium's `io.kubernetes.pod.namespace`,
    with and without its `k8s:` source prefix)."""
    meta = pod.get("metadata") or {}
    ns = str(meta.get("namespace") or "")
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    return {**labels, "io.kubernetes.pod.namespace": ns, "k8s:io.kubernetes.pod.namespace": ns,
            **{f"k8s:{k}": v for k, v in labels.items()}}
