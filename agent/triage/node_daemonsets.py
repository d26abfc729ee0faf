"""What a node lacks: a DaemonSet its peers run but this node does not, because a change cut it out.

Node add-ons (kube-proxy, the CNI agent, the DNS cache, the log shipper) are DaemonSets: a node
without one of them looks Ready and healthy while every pod on it fails in that add-on's way
(no Service routing without kube-proxy, no pod network without the CNI agent). Nothing reports
the absence: the DaemonSet's own status counts only the nodes it targets (desired = scheduled), so
the scan sees no problem, and the node itself has no condition.

When an incident names a node, this module asks the question an SRE asks of a node that behaves
unlike its peers: which DaemonSets that run elsewhere would not be placed here, and why, by the
scheduler's own rules for DaemonSet pods:

- a NoSchedule/NoExecute taint of the node that none of the DaemonSet's tolerations tolerates
  (the DaemonSet controller's automatic tolerations for `node.kubernetes.io/*` taints count);
- a `nodeSelector` or required node affinity the node's labels do not satisfy.

Then it reads the DaemonSet's rollout history: a revision whose pod-template diff touched exactly
that field (tolerations for a taint, nodeSelector/affinity for labels) is the change that removed
the add-on from this node, and the DaemonSet is named with the revision's time and diff. A
DaemonSet that never targeted the node (no such change in its history: a GPU plugin skipping
CPU nodes by design) is not a suspect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage import node_exhaustion
from agent.triage.facts import Facts, Ref
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "daemonset.left_node"
WEIGHT = 0.9
STORE = "node_daemonsets"
MAX_DAEMONSETS = 25
"""DaemonSets read one by one for a node (a cluster runs a handful to a few dozen)."""

_AUTO_TOLERATED = "node.kubernetes.io/"
"""Taint keys the DaemonSet controller tolerates on every DaemonSet pod (not-ready, unreachable,
disk-pressure, memory-pressure, pid-pressure, unschedulable, network-unavailable)."""

_FIELDS = {"taint": ("tolerations",), "labels": ("nodeSelector", "affinity")}
"""Which pod-template fields a change must touch to have caused each kind of exclusion."""


@dataclass
class Gap:
    """A DaemonSet that runs on other nodes but would not be placed on this one, and the change that did it."""

    daemonset: Ref
    node: str
    why: str
    """`does not tolerate taint dedicated=batch:NoSchedule`, `nodeSelector pool=general does not match`."""
    revision: int
    changed_at: str
    diff: list[str]
    scheduled: int
    evidence: list[str] = field(default_factory=list)


def tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    """Kubernetes' ToleratesTaint: effect empty or equal; Exists matches the key (or every key when empty);
    Equal (the default) matches key and value."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key, operator = toleration.get("key") or "", toleration.get("operator") or "Equal"
    if operator == "Exists":
        return not key or key == taint.get("key")
    return key == taint.get("key") and str(toleration.get("value") or "") == str(taint.get("value") or "")


def _taint_text(taint: dict[str, Any]) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


def _expression_holds(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = str(expr.get("key") or ""), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def excluded(pod_spec: dict[str, Any], node: dict[str, Any]) -> tuple[str, str]:
    """(kind, why) when the scheduler would not place this pod spec on the node, else ("", "")."""
    labels = {str(k): str(v) for k, v in ((node.get("metadata") or {}).get("labels") or {}).items()}
    tolerations = [t for t in pod_spec.get("tolerations") or [] if isinstance(t, dict)]
    for taint in (node.get("spec") or {}).get("taints") or []:
        if not isinstance(taint, dict) or taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if str(taint.get("key") or "").startswith(_AUTO_TOLERATED):
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return "taint", f"does not tolerate the node's taint {_taint_text(taint)}"
    for key, value in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(str(key)) != str(value):
            return "labels", f"its nodeSelector {key}={value} does not match the node's labels"
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = [t for t in required.get("nodeSelectorTerms") or [] if isinstance(t, dict)]
    if terms and not any(all(_expression_holds(e, labels) for e in t.get("matchExpressions") or [])
                         for t in terms):
        return "labels", "its required node affinity does not match the node's labels"
    return "", ""


def cutting_revision(kind: str, revisions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest revision whose template diff touched the field behind this kind of exclusion, or None."""
    fields = _FIELDS.get(kind, ())
    for rev in reversed(revisions):
        if any(f in str(line) for line in rev.get("changes") or [] for f in fields):
            return rev
    return None


def _node_names(tokens: list[str], rows: list[dict[str, Any]]) -> list[str]:
    names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    return list(dict.fromkeys(n for n in (node_exhaustion._node_of(t, names) for t in tokens) if n))


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]]) -> None:
    """Reading only, when the incident names a node: the node, every DaemonSet, and the rollout history of each
    one that runs elsewhere but would not be placed here."""
    tokens = node_exhaustion._tokens(subject)
    if not tokens:
        return
    listed = await call("k8s_nodes", {}, "survey-node-daemonsets-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    nodes = _node_names(tokens, rows)[:2]
    if not nodes:
        return
    sets = await call("k8s_list", {"kind": "DaemonSet"}, "survey-node-daemonsets")
    if sets is None or not sets.ok or not isinstance(sets.data, dict):
        return
    named = [(str(r.get("namespace") or ""), str(r.get("name"))) for r in sets.data.get("rows") or []
             if isinstance(r, dict) and r.get("name")][:MAX_DAEMONSETS]
    gaps: list[Gap] = facts.reads.setdefault(STORE, [])
    for node_name in nodes:
        node = await get_yaml(call, "Node", node_name, "", f"survey-node-daemonsets-{node_name}")
        if node is None:
            continue
        for ns, name in named:
            got = await get_yaml(call, "DaemonSet", name, ns, f"survey-node-daemonsets-{ns}-{name}")
            if got is None:
                continue
            ds, ds_evidence = got
            scheduled = int(((ds.get("status") or {}).get("desiredNumberScheduled")) or 0)
            pod_spec = (((ds.get("spec") or {}).get("template") or {}).get("spec")) or {}
            kind, why = excluded(pod_spec, node[0])
            if not kind or scheduled < 1:  # placed here, or runs nowhere: not a gap of this node
                continue
            history = await call("k8s_rollout_history", {"kind": "DaemonSet", "name": name, "namespace": ns},
                                 f"survey-node-daemonsets-history-{ns}-{name}")
            revisions = (history.data or {}).get("revisions") or [] if history is not None and history.ok and \
                isinstance(history.data, dict) else []
            rev = cutting_revision(kind, [r for r in revisions if isinstance(r, dict)])
            if rev is None:
                continue  # it never targeted this node: by design, not a change
            gaps.append(Gap(Ref("DaemonSet", ns, name), node_name, why, int(rev.get("revision") or 0),
                            str(rev.get("created") or ""),
                            [str(c) for c in rev.get("changes") or []][:4], scheduled,
                            [e for e in (node[1], ds_evidence, history.evidence_id if history else "") if e]))


def gaps(facts: Facts) -> list[Gap]:
    """What `read` found: DaemonSets a change cut out of the incident's node."""
    return [g for g in facts.reads.get(STORE) or [] if isinstance(g, Gap)]


def finding(gap: Gap) -> dict[str, Any]:
    """The scan-shaped finding for the DaemonSet: which node it left, why, and the revision that did it."""
    ds = gap.daemonset
    diff = "; ".join(gap.diff) or "its pod template changed"
    return {
        "check": CHECK, "severity": "critical", "reason": "DaemonSetNotOnNode",
        "object": {"kind": "DaemonSet", "namespace": ds.namespace, "name": ds.name},
        "message": (f"DaemonSet {ds.namespace}/{ds.name} runs on {gap.scheduled} other nodes but has no pod on node "
                    f"{gap.node}: it {gap.why}. Revision {gap.revision} ({gap.changed_at or 'time unknown'}) "
                    f"changed that ({diff}), so the node lost {ds.name} while looking Ready; restore the "
                    "toleration/selector or roll back the DaemonSet"),
        "evidence": [f"{ds} revision {gap.revision}: {diff}", f"Node {gap.node}: {gap.why}"],
        "details": {"node": gap.node, "revision": gap.revision, "changed_at": gap.changed_at},
        "since": gap.changed_at or None,
    }
