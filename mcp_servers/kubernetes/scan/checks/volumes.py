"""A pod that cannot be scheduled because its bound volume lives where no usable node is left.

A zonal disk (EBS, Persistent Disk, Azure Disk, a local PV) carries node affinity on its
PersistentVolume: `spec.nodeAffinity.required.nodeSelectorTerms`, usually a zone or hostname
label. When every node those terms match is cordoned, NotReady or gone, the scheduler answers
"volume node affinity conflict" on all the others and the pod stays Pending forever, whatever its
own resources. The fix is on the node side (uncordon, add a node in that zone) or moving the data,
so the finding names the node (or the volume when no node matches at all), the topology key and
value, and each matching node's state. The scheduler's own event is quoted when it exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import (
    condition,
    events_matching,
    iso,
    last_seen,
    name_of,
    ns_of,
    pod_is_terminal,
    quote,
    ref,
)
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pv.node_affinity_unschedulable",)


def _expression_holds(expr: dict[str, Any], values: dict[str, str]) -> bool:
    """One NodeSelectorRequirement against a node's labels (or fields) as the scheduler reads it."""
    key, op = str(expr.get("key") or ""), str(expr.get("operator") or "")
    wanted = [str(v) for v in expr.get("values") or []]
    present, value = key in values, values.get(key, "")
    if op == "In":
        return present and value in wanted
    if op == "NotIn":
        return not present or value not in wanted
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and wanted:
        try:
            number, bound = int(value), int(wanted[0])
        except ValueError:
            return False
        return number > bound if op == "Gt" else number < bound
    return False


STANDARD_TOPOLOGY = {"zone": ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"),
                     "region": ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")}
"""A CSI driver pins its volumes with its own key (`topology.ebs.csi.aws.com/zone`, `topology.gke.io/zone`,
`topology.disk.csi.azure.com/zone`...), which its node plugin adds to each node when it registers; the
value is the node's zone as the well-known label says it. A node listed without the driver's key (a
dump, a node whose plugin has not registered yet) is read through the well-known label instead."""


def _with_standard_topology(labels: dict[str, str], keys: list[str]) -> dict[str, str]:
    out = dict(labels)
    for key in keys:
        kind = key.rsplit("/", 1)[-1]
        if key in out or kind not in STANDARD_TOPOLOGY:
            continue
        value = next((labels[k] for k in STANDARD_TOPOLOGY[kind] if k in labels), None)
        if value is not None:
            out[key] = value
    return out


def node_matches(terms: list[dict[str, Any]], node: dict[str, Any]) -> bool:
    """Whether a node satisfies NodeSelectorTerms (any term; every expression of a term)."""
    labels = {str(k): str(v) for k, v in ((node.get("metadata") or {}).get("labels") or {}).items()}
    labels = _with_standard_topology(labels, [str(e.get("key") or "") for t in terms
                                              for e in t.get("matchExpressions") or []])
    fields = {"metadata.name": name_of(node)}
    for term in terms:
        exprs, field_exprs = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not exprs and not field_exprs:
            continue  # an empty term matches no objects (API semantics)
        if all(_expression_holds(e, labels) for e in exprs) and all(_expression_holds(e, fields)
                                                                      for e in field_exprs):
            return True
    return False


def node_state(node: dict[str, Any]) -> str | None:
    """Why no new pod can land on this node, or None when it can take one."""
    ready = condition(node, "Ready")
    if ready is not None and ready.get("status") != "True":
        return f"NotReady ({ready.get('reason') or ready.get('status')})"
    if (node.get("spec") or {}).get("unschedulable"):
        return "cordoned (spec.unschedulable)"
    hard = [t for t in (node.get("spec") or {}).get("taints") or []
            if t.get("effect") in ("NoSchedule", "NoExecute") and t.get("key") != "node.kubernetes.io/unschedulable"]
    if hard:
        return "tainted " + ", ".join(f"{t.get('key')}:{t.get('effect')}" for t in hard[:2])
    return None


def _tolerated(pod: dict[str, Any], state: str, node: dict[str, Any]) -> bool:
    """A pod tolerating every hard taint of a merely tainted node can still go there."""
    if not state.startswith("tainted"):
        return False
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any((t.get("operator") == "Exists" and not t.get("key")) or (
                t.get("key") == taint.get("key") and (t.get("operator") == "Exists"
                                                       or t.get("value") == taint.get("value")))
                   for t in tolerations):
            return False
    return True


def _affinity_text(terms: list[dict[str, Any]]) -> str:
    parts = []
    for term in terms:
        for e in [*(term.get("matchExpressions") or []), *(term.get("matchFields") or [])]:
            values = ",".join(str(v) for v in e.get("values") or [])
            parts.append(f"{e.get('key')} {e.get('operator')} {values}".strip())
    return "; ".join(parts[:4]) or "node affinity"


def _unscheduled(pod: dict[str, Any]) -> bool:
    if pod_is_terminal(pod) or (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return not (pod.get("spec") or {}).get("nodeName")


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    if not snap.has("PersistentVolume") or not snap.has("Node"):
        return []
    volumes = {name_of(v): v for v in snap.items("PersistentVolume")}
    nodes = snap.items("Node")
    grouped: dict[str, dict[str, Any]] = {}
    for pod in snap.items("Pod"):
        if not _unscheduled(pod):
            continue
        ns = ns_of(pod)
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            claim_name = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            claim = snap.get("PersistentVolumeClaim", ns, str(claim_name)) if claim_name else None
            pv = volumes.get(str(((claim or {}).get("spec") or {}).get("volumeName") or ""))
            terms = (((pv or {}).get("spec") or {}).get("nodeAffinity") or {}).get("required", {}) or {}
            selector_terms = terms.get("nodeSelectorTerms") or [] if isinstance(terms, dict) else []
            if pv is None or not selector_terms:
                continue
            matching = [n for n in nodes if node_matches(selector_terms, n)]
            states = {name_of(n): node_state(n) for n in matching}
            if any(s is None or _tolerated(pod, s, n) for n, s in zip(matching, states.values(), strict=True)):
                continue  # a usable node exists: the volume is not what keeps this pod off
            entry = grouped.setdefault(name_of(pv), {"pv": pv, "claim": f"{ns}/{claim_name}", "pods": [],
                                                     "terms": selector_terms, "states": states, "owner": None})
            entry["pods"].append(pod)
            entry["owner"] = entry["owner"] or snap.owner_of(pod)
    return [_finding(snap, entry) for entry in grouped.values()]


def _finding(snap: Snapshot, entry: dict[str, Any]) -> ScanFinding:
    pv, states, pods = entry["pv"], entry["states"], entry["pods"]
    owner: ObjectRef | None = entry["owner"]
    affinity = _affinity_text(entry["terms"])
    events = [e for p in pods for e in events_matching(snap, "Pod", ns_of(p), name_of(p),
                                                        reasons=("FailedScheduling",))]
    conflict = [e for e in events if "volume node affinity conflict" in e.message.lower()]
    pod_names = [f"{ns_of(p)}/{name_of(p)}" for p in pods]
    who = f"{owner} pod {pod_names[0]}" if owner else f"pod {pod_names[0]}"
    if states:
        node_name = sorted(states)[0]
        subject = ObjectRef(kind="Node", namespace="", name=node_name)
        listed = ", ".join(f"{n} {s}" for n, s in sorted(states.items())[:4])
        where = ("the only node" if len(states) == 1 else f"one of the {len(states)} nodes, all unusable,") + \
            f" matching PersistentVolume {name_of(pv)}'s node affinity ({affinity})"
        message = (f"Node {node_name} is {states[node_name]}, and it is {where}: claim {entry['claim']} can only be "
                   f"used there, so {who} stays Pending (volume node affinity conflict on every other node); "
                   f"matching nodes: {listed}")
    else:
        subject = ref(pv, "PersistentVolume")
        message = (f"PersistentVolume {name_of(pv)} (claim {entry['claim']}) requires {affinity}, and no node in the "
                   f"cluster matches it: {who} stays Pending (volume node affinity conflict on every node)")
    evidence = [quote(e) for e in (conflict or events)[-1:]] + [f"PersistentVolume {name_of(pv)}: {affinity}"]
    return ScanFinding(
        check="pv.node_affinity_unschedulable", severity="critical", object=subject,
        reason="VolumeNodeAffinityConflict", message=message,
        details={"persistent_volume": name_of(pv), "claim": entry["claim"], "node_affinity": affinity,
                 "matching_nodes": states, "pods": pod_names, "workload": str(owner) if owner else None},
        evidence=evidence, pods=[name_of(p) for p in pods][:5], count=len(pods),
        since=iso(min((e.first for e in events if e.first), default=None)), last_seen=iso(last_seen(events)))
