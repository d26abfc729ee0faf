"""A node someone tainted or cordoned, and the pods that taint evicted or left Pending.

A taint is a write to the Node's `spec.taints` (`kubectl taint`, a maintenance script, an operator); a cordon is
`spec.unschedulable: true`, which the node controller mirrors as the `node.kubernetes.io/unschedulable:NoSchedule`
taint. Neither changes the node's Ready condition, so a node that "looks Ready" while "everything on it was killed"
or "new pods never start" shows nothing in the scan. Their documented semantics are the mechanism:

- `NoExecute`: the taint manager (taint-eviction-controller) deletes, at once, every running pod without a matching
  toleration; it records a `TaintManagerEviction` event per pod ("Marking for deletion Pod ns/name") and does not
  wait for PodDisruptionBudgets. Only DaemonSet pods (which tolerate) remain.
- `NoSchedule` / a cordon: running pods stay, new ones are refused; the scheduler's `FailedScheduling` says
  "node(s) had untolerated taint {key: value}" or "node(s) were unschedulable".

When an incident names a node, this module reads the node as YAML: its taints (with `timeAdded`, set for
NoExecute), `spec.unschedulable`, and from `managedFields` who last wrote those fields and when (`kubectl-taint`,
`kubectl-cordon`, a controller's name). Then the cluster's events: a taint is a cause only when its effect
shows after it was set (evictions within minutes of a NoExecute taint, scheduling refusals naming its key or the
cordon). The node lifecycle controller's own taints (`node.kubernetes.io/not-ready`, `unreachable`, pressure) mean
the node itself failed: they are another class and are not named here. A taint nobody's pods felt is no suspect.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import node_daemonsets
from agent.triage.facts import Facts, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "node.tainted"
WEIGHT = 0.95
STORE = "node_taint"
EVICTION_SPAN = timedelta(minutes=15)
"""How long after a NoExecute taint its evictions count: the taint manager acts within seconds (or after a
toleration's tolerationSeconds, usually minutes)."""
_SYSTEM = "node.kubernetes.io/"
_CORDON = "node.kubernetes.io/unschedulable"
_EVICTED = re.compile(r"marking for deletion pod\s+(\S+)", re.IGNORECASE)


@dataclass
class Taint:
    """A human or operator taint/cordon on a named node, who wrote it, and the pods it evicted or refused."""

    node: str
    taint: str
    """`maintenance=true:NoExecute`, or `cordon (spec.unschedulable)`."""
    effect: str
    since: str
    manager: str
    pods: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def taint_text(taint: dict[str, Any]) -> str:
    """`key=value:Effect`, as `kubectl taint` writes it."""
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


def writer(node: dict[str, Any], spec_field: str) -> tuple[str, str]:
    """(manager, time) of the newest managedFields entry that owns this spec field (`f:taints`, `f:unschedulable`)."""
    best: tuple[str, str] = ("", "")
    for entry in (node.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        spec = ((entry.get("fieldsV1") or {}).get("f:spec")) or {}
        if f"f:{spec_field}" in spec and str(entry.get("time") or "") >= best[1]:
            best = (str(entry.get("manager") or ""), str(entry.get("time") or ""))
    return best


def _in_span(event: dict[str, Any], since: datetime | None, span: timedelta | None) -> bool:
    seen = parse_time(event.get("first_seen") or event.get("last_seen"))
    if since is None or seen is None:
        return since is None
    return seen >= since - timedelta(minutes=1) and (span is None or seen <= since + span)


def felt(node: dict[str, Any], events: list[dict[str, Any]]) -> list[Taint]:
    """The node's non-system taints (and its cordon) whose effect the events show after the taint was set."""
    name = str((node.get("metadata") or {}).get("name") or "")
    spec = node.get("spec") or {}
    out: list[Taint] = []
    for taint in spec.get("taints") or []:
        if not isinstance(taint, dict) or str(taint.get("key") or "").startswith(_SYSTEM):
            continue
        manager, written = writer(node, "taints")
        since = str(taint.get("timeAdded") or written)
        at = parse_time(since)
        effect = str(taint.get("effect") or "")
        if effect == "NoExecute":
            pods = [m.group(1) for e in events if e.get("reason") == "TaintManagerEviction"
                    and _in_span(e, at, EVICTION_SPAN) for m in [_EVICTED.search(str(e.get("message") or ""))]
                    if m]
        elif effect in ("NoSchedule", "PreferNoSchedule"):
            key = str(taint.get("key") or "")
            pods = [f"{e.get('namespace')}/{e.get('name')}" for e in events if e.get("reason") == "FailedScheduling"
                    and "untolerated taint" in str(e.get("message") or "") and key in str(e.get("message") or "")
                    and _in_span(e, at, None)]
        else:
            pods = []
        if pods:
            out.append(Taint(name, taint_text(taint), effect, since, manager, list(dict.fromkeys(pods))))
    if spec.get("unschedulable"):
        manager, since = writer(node, "unschedulable")
        at = parse_time(since)
        pods = [f"{e.get('namespace')}/{e.get('name')}" for e in events if e.get("reason") == "FailedScheduling"
                and ("were unschedulable" in str(e.get("message") or "") or _CORDON in str(e.get("message") or ""))
                and _in_span(e, at, None)]
        if pods:
            out.append(Taint(name, "cordon (spec.unschedulable, taint node.kubernetes.io/unschedulable:NoSchedule)",
                             "NoSchedule", since, manager, list(dict.fromkeys(pods))))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """Reading only, when the incident names a node: the node as YAML and, if it carries a non-system taint or a
    cordon, the cluster's events (evictions, scheduling refusals)."""
    tokens = node_daemonsets.node_exhaustion._tokens(subject)
    if not tokens:
        return
    listed = await call("k8s_nodes", {}, "survey-node-taint-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    found: list[Taint] = facts.reads.setdefault(STORE, [])
    events: list[dict[str, Any]] | None = None
    events_id = ""
    for name in node_daemonsets._node_names(tokens, rows)[:2]:
        got = await get_yaml(call, "Node", name, "", f"survey-node-taint-{name}")
        if got is None:
            continue
        node, node_id = got
        spec = node.get("spec") or {}
        own = [t for t in spec.get("taints") or [] if isinstance(t, dict)
               and not str(t.get("key") or "").startswith(_SYSTEM)]
        if not spec.get("unschedulable") and not own:
            continue
        if events is None:
            outcome = await call("k8s_events", {}, "survey-node-taint-events")
            ok = outcome is not None and outcome.ok and isinstance(outcome.data, dict)
            events = [e for e in (outcome.data.get("events") or []) if isinstance(e, dict)] if ok else []
            events_id = outcome.evidence_id if ok else ""
        for t in felt(node, events):
            t.evidence = [e for e in (node_id, events_id) if e]
            found.append(t)


def taints(facts: Facts) -> list[Taint]:
    """What `read` found: taints/cordons on the incident's node whose effect the pods felt."""
    return [t for t in facts.reads.get(STORE) or [] if isinstance(t, Taint)]


def finding(t: Taint) -> dict[str, Any]:
    """The scan-shaped finding for the Node: the taint, what its effect means, who set it and when, the pods."""
    who = (f"written by {t.manager}" + (" (kubectl taint)" if t.manager == "kubectl-taint" else "")) if t.manager \
        else "a kubectl taint/cordon or API write to the Node's spec; the read does not show who"
    if t.effect == "NoExecute":
        meaning = (f"NoExecute taint {t.taint} on Node {t.node} ({who}, {t.since or 'time unknown'}): the taint "
                   f"manager's eviction deleted {len(t.pods)} pod(s) without a matching toleration at once "
                   "(TaintManagerEviction, PodDisruptionBudgets not consulted) while the node stays Ready")
        key = t.taint.split("=")[0].split(":")[0]
        fix = f"remove the taint (kubectl taint nodes {t.node} {key}-) or use NoSchedule"
    else:
        meaning = (f"Node {t.node} {t.taint} ({who}, {t.since or 'time unknown'}): the scheduler refuses new pods "
                   f"there, {len(t.pods)} pod(s) Pending (FailedScheduling) while the node stays Ready")
        fix = "remove the taint / uncordon the node, or give the pods a toleration"
    return {
        "check": CHECK, "severity": "critical", "reason": "NodeTainted",
        "object": {"kind": "Node", "namespace": "", "name": t.node},
        "message": f"{meaning}: {', '.join(t.pods[:4])}{' …' if len(t.pods) > 4 else ''}; {fix}",
        "evidence": [f"Node {t.node} taint {t.taint} by {t.manager or '?'} at {t.since or '?'}",
                     f"{len(t.pods)} pod(s): {', '.join(t.pods[:6])}"],
        "details": {"node": t.node, "taint": t.taint, "manager": t.manager, "pods": t.pods[:20]},
        "since": t.since or None,
    }
