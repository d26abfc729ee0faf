"""Pods of one workload fail only on the nodes a recent node-template change made: the template is the cause.

A workload whose pods crash or are OOMKilled on some nodes and run fine on others, with the same image and
spec, is telling where the difference is: the nodes. When the failing pods' nodes all share an identity the
healthy pods' nodes lack (an OS image, a kernel, a container runtime, a kubelet version, the node group or
instance type that made them), and a node template was written shortly before (a Karpenter NodePool or
EC2NodeClass, a Cluster API MachineDeployment, any custom resource of a node-provisioning kind, or any
write whose diff changes an AMI, image alias or version of nodes), the template change is what to look at:
its new nodes (created after it, often by drift replacement) run the workload differently.

One class is common enough to be said outright: a move to an OS image that runs cgroup v2 (Amazon Linux
2023, Bottlerocket, Ubuntu 22.04 and later, RHEL 9, Container-Optimized OS, Flatcar 3033+, kernels 5.8+
with the unified hierarchy) from one that runs cgroup v1 (Amazon Linux 2, Ubuntu 20.04, RHEL 8). Runtimes
that read only cgroup v1 limits then size themselves from the whole host: JDK 8 before 8u372 and JDK 11
before 11.0.16 pick a heap from the node's memory, Node.js before 20 and older Go/.NET runtimes likewise
ignore the container's limit, and the container is OOMKilled at its limit.

Reading only: the cluster's pods (one list, shared with the survey), the nodes, and the change history of
the last days when none that long was read. `found` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import workload_of_pod

CHECK = "change.node_split"
WEIGHT = 0.9
"""A node template whose new nodes are exactly where a workload fails explains the failures: above the
workload's own symptom (the crash loop it explains), level with the other changes that say what to undo."""
READS = "node_split"
HISTORY_WINDOW = "72h"
LEAD = timedelta(hours=72)
"""How long before the alert a node template may have been written (drift replaces nodes over hours)."""

PROPERTIES: tuple[tuple[str, str], ...] = (
    ("os_image", "OS image"), ("kernel", "kernel"), ("runtime", "container runtime"), ("kubelet", "kubelet"),
    ("group", "node group"), ("instance_type", "instance type"))
"""Node identities compared between failing and healthy pods' nodes, most telling first."""

FAILING_REASONS = frozenset({"OOMKilled", "Error", "CrashLoopBackOff", "ContainerCannotRun", "StartError"})
MIN_RESTARTS = 2
TEMPLATE_KIND = re.compile(r"node(?:pool|class|group|template|config)|machine(?:deployment|set|pool|template)?|"
                           r"launchtemplate|nodeclaim|instancegroup|agentpool", re.I)
"""Kinds whose objects are node templates (Karpenter, Cluster API, cloud operators)."""
TEMPLATE_FIELD = re.compile(r"ami|image|alias|osimage|os_image|ossku|version|family|release", re.I)
"""Diff words of a write that changes what the nodes run."""

CGROUP_V2 = re.compile(r"amazon linux 2023|al2023|bottlerocket|ubuntu 2[2-9]\.|ubuntu 3\d\.|red hat enterprise linux"
                       r"(?: coreos)? 9|rhel ?9|rocky linux 9|almalinux 9|container-optimized os|flatcar|"
                       r"fedora coreos|debian gnu/linux 1[2-9]|talos", re.I)
CGROUP_V1 = re.compile(r"amazon linux 2(?!0)|ubuntu 1[0-9]\.|ubuntu 20\.|red hat enterprise linux(?: coreos)? [78]|"
                       r"rhel ?[78]|centos|debian gnu/linux (?:9|10|11)\b", re.I)
"""OS images that run the unified cgroup v2 hierarchy by default, and ones that run cgroup v1."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Split:
    """A workload failing only on nodes that differ, and the node template written before those nodes."""

    workload: Ref
    template: Ref
    change: dict[str, Any]
    failing: dict[str, str]
    """Failing pod -> its node."""
    healthy: dict[str, str]
    differs: list[str]
    """`OS image Amazon Linux 2023.6.20241111 (failing) vs Amazon Linux 2 (healthy)`, one per property."""
    reason: str
    cgroup_v2: bool
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _rows(data: Any, key: str) -> list[dict[str, Any]]:
    rows = data.get(key) if isinstance(data, dict) else None
    return [r for r in rows or [] if isinstance(r, dict)]


def _failing(pod: dict[str, Any]) -> bool:
    reason = str(pod.get("last_termination_reason") or pod.get("status") or "")
    return ((pod.get("restarts") or 0) >= MIN_RESTARTS and reason in FAILING_REASONS) or \
        str(pod.get("status")) in ("CrashLoopBackOff", "OOMKilled")


def _healthy(pod: dict[str, Any]) -> bool:
    return str(pod.get("status")) == "Running" and (pod.get("restarts") or 0) < MIN_RESTARTS


def _differs(failing: list[dict[str, Any]], healthy: list[dict[str, Any]]) -> list[str]:
    """Each node property whose values on the failing pods' nodes and on the healthy ones do not overlap."""
    out = []
    for key, label in PROPERTIES:
        bad = {str(n.get(key) or "") for n in failing}
        good = {str(n.get(key) or "") for n in healthy}
        if "" in bad or "" in good or bad & good:
            continue
        out.append(f"{label} {', '.join(sorted(bad))} where it fails vs {', '.join(sorted(good))} where it runs")
    return out




def _template_change(facts: Facts, groups: set[str]) -> tuple[dict[str, Any], Ref, str] | None:
    """The latest write to a node template within the lead (a provisioning kind, or a write whose diff changes
    what nodes run, to an object named like the failing nodes' group). Node creation times are not required to
    follow it: drift replaces nodes, but in-place OS updates keep them."""
    best: tuple[dict[str, Any], Ref, str] | None = None
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        diff = " ".join(str(d) for d in change.get("diff") or [])
        kind_fits = bool(TEMPLATE_KIND.search(target.kind))
        group_fits = target.name in groups and bool(TEMPLATE_FIELD.search(diff))
        if not (kind_fits and (TEMPLATE_FIELD.search(diff) or not diff)) and not group_fits:
            continue
        if best is None or str(change.get("at")) > str(best[0].get("at")):
            best = (change, target, evidence)
    return best


def found(facts: Facts) -> list[Split]:
    """Each workload failing only on nodes that a node template written shortly before made different."""
    store = facts.reads.get(READS) or {}
    pods = _rows(store.get("pods"), "rows")
    nodes = {str(n.get("name")): n for n in _rows(store.get("nodes"), "nodes")}
    by_workload: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pod in pods:
        if pod.get("node") in nodes:
            by_workload.setdefault((str(pod.get("namespace")), workload_of_pod(str(pod.get("name")))), []).append(pod)
    out: list[Split] = []
    for (ns, workload), members in by_workload.items():
        bad = [p for p in members if _failing(p)]
        good = [p for p in members if _healthy(p)]
        if not bad or not good:
            continue
        bad_nodes = [nodes[str(p["node"])] for p in bad]
        good_nodes = [nodes[str(p["node"])] for p in good]
        if {n.get("name") for n in bad_nodes} & {n.get("name") for n in good_nodes}:
            continue  # fails and runs on one node: not the node's doing
        differs = _differs(bad_nodes, good_nodes)
        if not differs:
            continue
        groups = {str(n.get("group")) for n in bad_nodes if n.get("group")}
        template = _template_change(facts, groups)
        if template is None:
            continue
        change, target, evidence = template
        at = parse_time(change.get("at"))
        reasons = sorted({str(p.get("last_termination_reason") or p.get("status")) for p in bad})
        v2 = all(CGROUP_V2.search(str(n.get("os_image"))) for n in bad_nodes) and \
            all(CGROUP_V1.search(str(n.get("os_image"))) for n in good_nodes)
        kind = "StatefulSet" if all(re.search(r"-\d+$", str(p.get("name"))) for p in members) else "Deployment"
        out.append(Split(Ref(kind, ns, workload), target, change,
                         {str(p["name"]): str(p["node"]) for p in bad}, {str(p["name"]): str(p["node"]) for p in good},
                         differs, ", ".join(reasons), v2, int((facts.at - at).total_seconds() // 60) if at else 0,
                         [e for e in (evidence, str(store.get("pods_id") or ""), str(store.get("nodes_id") or ""))
                          if e]))
    return out


def finding(s: Split) -> dict[str, Any]:
    """The suspect: the template, what its write changed, where the workload fails and where it runs."""
    diff = "; ".join(str(d) for d in (s.change.get("diff") or [])[:2])
    failing = ", ".join(f"{p} on {n}" for p, n in list(s.failing.items())[:2])
    healthy = ", ".join(sorted(set(s.healthy.values()))[:2])
    v2 = ("These run cgroup v2, the others v1: a runtime reading only v1 limits sizes its heap from the host's "
          "memory and is OOMKilled at its limit (JDK 8 before 8u372, JDK 11 before 11.0.16, Node.js before 20). "
          ) if s.cgroup_v2 else ""
    fix = ("Upgrade the runtime or set the heap explicitly, or pin the previous node image until then"
           if s.cgroup_v2 else "Compare what the new nodes run with the old ones, or pin the workload to the old "
           "nodes meanwhile")
    message = (f"{s.template} was written {minutes_text(s.minutes_before)} before the alert ({diff}); {s.workload} "
               f"fails ({s.reason}) only on the nodes that differ: {s.differs[0]}. " + v2
               + f"Failing: {failing}; running on {healthy}. {fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.template.kind, "namespace": s.template.namespace, "name": s.template.name},
            "reason": "NodeTemplateSplit", "message": message, "evidence": s.differs[:2],
            "details": {"change_at": s.change.get("at"), "workload": str(s.workload), "cgroup_v2": s.cgroup_v2}}


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only: the cluster's pods and nodes (lists the survey shares), the last days' changes when none
    that long was read; only when the scan found a workload with failing pods."""
    failing = [f for f in facts.findings()
               if str(f.get("check") or "").startswith(("pod.oom", "pod.crash", "pod.restarting", "pod.start_error"))]
    if not failing:
        return
    store = facts.reads.setdefault(READS, {})
    pods = await call("k8s_list", {"kind": "pods"}, "survey-node-split-pods")
    nodes = await call("k8s_nodes", {}, "survey-node-split-nodes")
    if pods is None or not pods.ok or nodes is None or not nodes.ok:
        return
    store.update(pods=pods.data, pods_id=pods.evidence_id, nodes=nodes.data, nodes_id=nodes.evidence_id)
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-node-split-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
