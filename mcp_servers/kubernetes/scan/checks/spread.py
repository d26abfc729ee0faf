"""Pods Pending because a topology spread constraint cannot be met.

The scheduler's PodTopologySpread filter says "N node(s) didn't match pod topology spread
constraints" when placing the pod on any node would make the skew (matching pods in that domain
minus the fewest in any domain) exceed `maxSkew` under `whenUnsatisfiable: DoNotSchedule`. The
usual cause is a domain that still counts but cannot take pods: with the default
`nodeTaintsPolicy: Ignore`, a zone whose nodes are all cordoned, tainted or NotReady keeps its
(low) count in the minimum, so every other zone is "too full". The finding names the constraint
from the pod's spec (topologyKey, maxSkew, whenUnsatisfiable, the policies), the matching pods per
domain and, for each domain that cannot take pods, its nodes and why ("zone eu-west-1c: its only
node is cordoned"). Nodes lacking the topologyKey label ("missing required label") are named too.
Like the scheduler, only nodes that pass the pod's nodeSelector and required node affinity count
(`nodeAffinityPolicy: Honor`, the default).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import (
    clip,
    condition,
    earliest,
    events_matching,
    iso,
    label_match,
    latest,
    name_of,
    ns_of,
    pod_is_terminal,
    quote,
)
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pod.topology_spread",)

SPREAD_WORDS = re.compile(r"didn't match pod topology spread constraints|topology spread constraints? "
                          r"(?:not satisfied|unsatisfiable)", re.I)
MAX_NAMES = 5


def _scheduling_message(snap: Snapshot, pod: dict[str, Any]) -> tuple[str, list[Any]]:
    events = events_matching(snap, "Pod", ns_of(pod), name_of(pod), ("FailedScheduling",))
    scheduled = condition(pod, "PodScheduled") or {}
    message = events[-1].message if events else str(scheduled.get("message") or "")
    return message, events


def _node_ok(node: dict[str, Any], pod_spec: dict[str, Any]) -> bool:
    """Whether the node passes the pod's nodeSelector and required node affinity (nodeAffinityPolicy Honor)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    return any(label_match({"matchExpressions": [e for e in t.get("matchExpressions") or []
                                                 if e.get("operator") in ("In", "NotIn", "Exists", "DoesNotExist")]},
                           labels) for t in terms)


def _tolerates(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t.get("key") == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and str(t.get("value") or "") == str(taint.get("value") or ""):
            return True
    return False


def _untolerated(node: dict[str, Any], pod_spec: dict[str, Any]) -> dict[str, Any] | None:
    """The first NoSchedule/NoExecute taint of the node the pod does not tolerate (a cordon adds one)."""
    taints = list((node.get("spec") or {}).get("taints") or [])
    if (node.get("spec") or {}).get("unschedulable"):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    tolerations = pod_spec.get("tolerations") or []
    return next((t for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")
                 and not _tolerates(tolerations, t)), None)


def _why_unusable(node: dict[str, Any], pod_spec: dict[str, Any]) -> str:
    """Why the node cannot take this pod now ("cordoned", "NotReady", "tainted k=v:NoSchedule"), or ""."""
    spec = node.get("spec") or {}
    if spec.get("unschedulable"):
        return "cordoned"
    ready = condition(node, "Ready")
    if ready is not None and ready.get("status") != "True":
        return "NotReady"
    taint = _untolerated(node, pod_spec)
    if taint is None:
        return ""
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"tainted {taint.get('key')}{value}:{taint.get('effect')}"


def _selector(constraint: dict[str, Any], pod: dict[str, Any]) -> dict[str, Any]:
    """The constraint's labelSelector, narrowed by matchLabelKeys to the pod's own values (its revision)."""
    selector = dict(constraint.get("labelSelector") or {})
    labels = (pod.get("metadata") or {}).get("labels") or {}
    extra = {k: labels[k] for k in constraint.get("matchLabelKeys") or [] if k in labels}
    if extra:
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), **extra}
    return selector


def analyse(snap: Snapshot, pod: dict[str, Any], constraint: dict[str, Any]) -> dict[str, Any]:
    """One constraint over the cluster: matching pods per domain, and the domains that cannot take pods."""
    spec = pod.get("spec") or {}
    key = str(constraint.get("topologyKey") or "")
    honor_taints = constraint.get("nodeTaintsPolicy") == "Honor"
    honor_affinity = constraint.get("nodeAffinityPolicy", "Honor") == "Honor"
    domains: dict[str, list[tuple[str, str]]] = {}
    unlabelled: list[str] = []
    node_domain: dict[str, str] = {}
    for node in snap.items("Node"):
        if honor_affinity and not _node_ok(node, spec):
            continue
        if honor_taints and _untolerated(node, spec):
            continue  # Honor: nodes whose taints the pod does not tolerate (a cordon's too) are left out
        why = _why_unusable(node, spec)
        value = ((node.get("metadata") or {}).get("labels") or {}).get(key)
        if value is None:
            unlabelled.append(name_of(node))
            continue
        domains.setdefault(str(value), []).append((name_of(node), why))
        node_domain[name_of(node)] = str(value)
    counts = dict.fromkeys(domains, 0)
    selector = _selector(constraint, pod)
    for other in snap.pods_in(ns_of(pod)):
        bound = str((other.get("spec") or {}).get("nodeName") or "")
        if bound in node_domain and not pod_is_terminal(other) and \
                label_match(selector, (other.get("metadata") or {}).get("labels")):
            counts[node_domain[bound]] += 1
    min_domains = int(constraint.get("minDomains") or 0)
    floor = 0 if len(domains) < min_domains else min(counts.values(), default=0)
    max_skew = int(constraint.get("maxSkew") or 1)
    blocked = {d: nodes for d, nodes in domains.items() if all(why for _, why in nodes)}
    too_full = sorted(d for d in domains if d not in blocked and counts[d] + 1 - floor > max_skew)
    return {"topology_key": key, "max_skew": max_skew, "counts": counts, "floor": floor, "blocked": blocked,
            "too_full": too_full, "unlabelled": unlabelled, "min_domains": min_domains or None}


def _constraint_text(c: dict[str, Any]) -> str:
    text = (f"topologyKey {c.get('topologyKey')}, maxSkew {c.get('maxSkew', 1)}, whenUnsatisfiable "
            f"{c.get('whenUnsatisfiable') or 'DoNotSchedule'}")
    for field in ("minDomains", "nodeTaintsPolicy", "nodeAffinityPolicy"):
        if c.get(field) is not None:
            text += f", {field} {c[field]}"
    return text


def _domain_text(a: dict[str, Any]) -> str:
    """The domains in words: the blocked ones and why, then the counts that make the rest too full."""
    key = a["topology_key"].rsplit("/", 1)[-1]
    parts = []
    for domain, nodes in sorted(a["blocked"].items()):
        if len(nodes) == 1:
            what = f"its only node {nodes[0][0]} is {nodes[0][1]}"
        else:
            reasons = sorted({why for _, why in nodes})
            what = f"all {len(nodes)} of its nodes are {' or '.join(reasons)}"
        parts.append(f"{key} {domain}: {what}, yet it still counts with {a['counts'][domain]} matching pod(s)")
    if a["too_full"]:
        counts = ", ".join(f"{d} {a['counts'][d]}" for d in a["too_full"])
        parts.append(f"a pod in any other {key} ({counts}) would make the skew exceed maxSkew {a['max_skew']} "
                     f"over the minimum {a['floor']}")
    if a["unlabelled"]:
        parts.append(f"{len(a['unlabelled'])} node(s) lack the {a['topology_key']} label and cannot take it "
                     f"({', '.join(a['unlabelled'][:3])})")
    return "; ".join(parts)


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[Any], str]]] = {}
    analysed: dict[tuple[str, str, str], dict[str, Any]] = {}
    for pod in snap.items("Pod"):
        spec = pod.get("spec") or {}
        constraints = [c for c in spec.get("topologySpreadConstraints") or []
                       if (c.get("whenUnsatisfiable") or "DoNotSchedule") == "DoNotSchedule"]
        if not constraints or spec.get("nodeName") or pod_is_terminal(pod):
            continue
        message, events = _scheduling_message(snap, pod)
        if not SPREAD_WORDS.search(message):
            continue
        owner = snap.owner_of(pod) or ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
        for constraint in constraints:
            # Replicas of one owner share their spec: one analysis (nodes x pods) serves them all.
            memo = (str(owner), json.dumps(constraint, sort_keys=True, default=str),
                    json.dumps(_selector(constraint, pod), sort_keys=True, default=str))
            a = analysed.get(memo) or analysed.setdefault(memo, analyse(snap, pod, constraint))
            if not (a["blocked"] or a["too_full"] or a["unlabelled"]):
                continue
            key = (owner.kind, owner.namespace, owner.name, a["topology_key"], a["max_skew"])
            groups.setdefault(key, []).append((pod, constraint, a, events, message))
    out = []
    for members in groups.values():
        pod, constraint, a, _, message = members[0]
        top = snap.owner_of(pod)
        subject = top or ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
        blocked_nodes = sorted({n for nodes in a["blocked"].values() for n, _ in nodes})
        total = len([p for p in snap.pods_in(subject.namespace) if top is not None and snap.owner_of(p) == top
                     and not pod_is_terminal(p)])
        who = f"{len(members)}/{max(total, len(members))} pods" if top else "pod"
        details: dict[str, Any] = {
            "topology_key": a["topology_key"], "max_skew": a["max_skew"],
            "when_unsatisfiable": constraint.get("whenUnsatisfiable") or "DoNotSchedule",
            "node_taints_policy": constraint.get("nodeTaintsPolicy") or "Ignore",
            "pods_per_domain": a["counts"],
            "blocked_domains": {d: [f"{n} ({why})" for n, why in nodes] for d, nodes in a["blocked"].items()},
            "nodes": blocked_nodes}
        if a["unlabelled"]:
            details["nodes_without_key"] = a["unlabelled"][:MAX_NAMES]
        hint = ""
        if a["blocked"] and details["node_taints_policy"] != "Honor":
            hint = ("; nodeTaintsPolicy Ignore (the default) keeps the cordoned or tainted domain in the count; "
                    "uncordoning it, whenUnsatisfiable ScheduleAnyway or nodeTaintsPolicy Honor lets them schedule")
        names = sorted(name_of(p) for p, *_ in members)
        all_events = [e for _, _, _, evs, _ in members for e in evs]
        first = earliest(*[e.first for e in all_events],
                         *[(condition(p, "PodScheduled") or {}).get("lastTransitionTime") for p, *_ in members])
        evidence = [quote(e) for e in all_events[-1:]] or [clip(message)]
        evidence.append(clip(f"topologySpreadConstraints: {_constraint_text(constraint)}"))
        out.append(ScanFinding(
            check="pod.topology_spread", severity="critical", object=subject, owner=top,
            reason="FailedScheduling",
            message=(f"{subject}: {who} Pending, didn't match pod topology spread constraints "
                     f"({_constraint_text(constraint)}): {_domain_text(a)}{hint}"),
            details=details, evidence=evidence, since=iso(first),
            last_seen=iso(latest(*[e.last for e in all_events])), pods=names[:MAX_NAMES], count=len(members)))
    return out
