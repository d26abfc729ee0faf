"""A node agent's rollout after which its pod on the node the incident names can no longer deliver anything.

Telemetry from a node's pods (traces, logs, metrics) leaves through the node-local agent a DaemonSet runs there
(an OpenTelemetry Collector, Fluent Bit, Vector, Promtail/Alloy, the Datadog agent). When a new version of that
agent (often a canary DaemonSet pinned to a few nodes) cannot talk to its backend (a TLS handshake its new client
library refuses, such as grpc-go's enforced ALPN behind a load balancer that negotiates none; a changed protocol,
endpoint or auth), every pod on those nodes goes dark in the backend while the pods themselves stay healthy, and the
other nodes, on the old agent, look normal. The agent says so in its own words: OpenTelemetry's `Exporting failed.
Dropping data.` / `Exporting failed. Will retry`, Fluent Bit's `failed to flush chunk`, Vector's `Service call
failed` / `Events dropped`, Promtail/Alloy's `error sending batch`, Datadog's `Could not send payload`, Filebeat's
`Failed to publish events`.

This module pairs, reading only and only when the incident names a node:

1. a DaemonSet rollout (image or template) within LEAD;
2. that DaemonSet's pod on the named node, whose log carries at least MIN_LINES export failures, none stamped before
   the rollout.

The finding names the DaemonSet, the node, and the failure's reason in the agent's words. Twins stay out: an agent
that failed before the rollout, a rolled-out agent that delivers, a failing agent on a node the incident does not
name, a DaemonSet written without a rollout.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.agent_export"
WEIGHT = 0.93
READS = "agent_export"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MIN_LINES = 3
MAX_NODES = 2
Call = Callable[..., Awaitable[Any]]

FAILED = re.compile(r"Exporting failed|failed to flush chunk|Service call failed|Events dropped|"
                    r"error sending batch|Could not send payload|Failed to publish events|"
                    r"failed to export|export(?:er)? (?:request )?failed|dropping (?:data|batch|spans|logs)", re.I)
"""How node agents say what they collected did not reach their backend (OpenTelemetry Collector, Fluent Bit, Vector,
Promtail/Alloy, Datadog agent, Filebeat, SDK exporters)."""
_NODE = re.compile(r"(?:ip-\d+-\d+-\d+-\d+[\w.-]*|[a-z0-9][\w-]*(?:node|worker|pool)[\w.-]*)", re.I)
_STAMP = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)")
_REASON = re.compile(r"\"?error\"?\s*[:=]\s*(.+)$", re.I)


@dataclass
class Hit:
    """The rolled-out DaemonSet, its pod on the named node and what that pod says."""

    target: Ref
    what: str
    node: str
    pod: str
    said: str
    count: int
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def rollouts(facts: Facts) -> list[tuple[Ref, str, datetime, str]]:
    """(DaemonSet, the change's summary, when, evidence) of each DaemonSet rollout within LEAD."""
    out = []
    for change, evidence, target in facts.writes_to(("DaemonSet",), within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        said = " ".join([str(change.get("summary") or ""), *[str(d) for d in change.get("diff") or []]])
        if at is not None and re.search(r"image|template|rolled out|revision", said):
            out.append((target, str(change.get("summary") or "")[:200], at, evidence))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the pods on each named node that belong to a rolled-out DaemonSet, and their logs."""
    nodes = list(dict.fromkeys([*subject.nodes, *(n for n in subject.names if _NODE.fullmatch(n))]))[:MAX_NODES]
    written = rollouts(facts)
    if not nodes or not written:
        return
    store = _store(facts).setdefault("pods", {})
    for node in nodes:
        listed = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                            f"survey-agent-export-pods-{node}")
        for row in rows_of(listed):
            pod, namespace = str(row.get("name") or ""), str(row.get("namespace") or "")
            target = next((t for t, _, _, _ in written
                           if t.namespace == namespace and workload_of_pod(pod) == t.name), None)
            if target is None or pod in store or not has_run(row):
                continue
            got = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": 500},
                             f"survey-agent-export-log-{pod}")
            if got is not None and got.ok:
                store[pod] = (str(target), node, str(got.full_text), got.evidence_id)


def _stamp(line: str) -> datetime | None:
    m = _STAMP.search(line[:80])
    return parse_time(m.group(1).replace(" ", "T").replace(",", ".")) if m else None


def found(facts: Facts) -> list[Hit]:
    """Each DaemonSet rollout whose pod on the named node fails its exports since, and not before."""
    pods: dict[str, tuple[str, str, str, str]] = _store(facts).get("pods") or {}
    out: list[Hit] = []
    for target, what, at, evidence in rollouts(facts):
        for pod, (ref, node, text, read_id) in pods.items():
            if ref != str(target) or any(h.target == target for h in out):
                continue
            failed = [ln for ln in text.splitlines()[1:] if FAILED.search(ln)]
            times = [t for t in (_stamp(ln) for ln in failed) if t is not None]
            if len(failed) < MIN_LINES or (times and min(times) < at - SLACK):
                continue  # too few failures, or failing before the rollout already
            reason = _REASON.search(failed[-1])
            said = " ".join((reason.group(1) if reason else failed[-1]).split())[:240]
            out.append(Hit(target, what, node, pod, said, len(failed), int((facts.at - at).total_seconds() // 60),
                           [e for e in (evidence, read_id) if e]))
    return out


def finding(h: Hit) -> dict[str, Any]:
    """The agent's rollout, the node, the export failures and their reason; meaning first."""
    message = (f"{h.target}'s pod on node {h.node} ({h.pod}) fails every export since its rollout "
               f"{minutes_text(h.minutes_before)} before the incident ({h.count} lines): '{h.said}'. The node's "
               f"telemetry leaves through that agent, so everything its pods send is dropped while they stay "
               f"healthy; the new agent version cannot talk to its backend (TLS/ALPN, protocol, endpoint). Roll the "
               f"agent back on that node or fix the path to its backend. Rollout: {h.what[:160]}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "AgentExportFailing", "message": message, "evidence": [h.said[:200]],
            "details": {"node": h.node, "pod": h.pod, "lines": h.count}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The rolled-out agent whose pod on the named node drops what it collects."""
    return [(h.target, finding(h), list(dict.fromkeys(h.evidence)), [h.target]) for h in found(facts)]


__all__ = ["CHECK", "FAILED", "WEIGHT", "Hit", "finding", "found", "read", "rollouts", "suspects"]
