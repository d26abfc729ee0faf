"""A node under PIDPressure: which pod took the process IDs, and which change started it.

A node has a fixed number of PIDs (kernel.pid_max, or the kubelet's pid reservation); every process
and thread of every container takes one. When they run short the kubelet sets PIDPressure, taints
the node and evicts pods, and the other pods there fail to start threads ("fork: Resource temporarily
unavailable", "pthread_create failed", Go's "failed to create new OS thread"). Those pods are
victims; the node is only where it happened. The cause is the pod with by far the most processes
or threads (cAdvisor's `container_processes` / `container_threads`), typically one that forks per
request and never reaps its children: a container whose PID 1 is the application itself (no init
such as tini or dumb-init) leaves every exited child a zombie (state Z, `<defunct>` in `ps`), and
zombies keep their PIDs. A rollout of that workload that changed its image, command or entrypoint
(dropping the init) is what started it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.subject import workload_of_pod

CHECK = "node.pid_hog"
WEIGHT = 0.9

PROCESS_METRICS = "container_processes|container_threads"
NODE_METRICS = "node_processes_state|node_processes_pids|node_processes_max_processes"
_INIT = re.compile(r"\b(?:tini|dumb-init|catatonit|s6-svscan|supervisord|--init)\b|\binit:", re.I)
"""An init process that reaps zombies, as a command, entrypoint or `docker run --init` names it."""
_NODE_LABELS = ("node", "kubernetes_node", "nodename", "instance_node")
MAX_PODS = 3


def pid_nodes(facts: Facts) -> list[str]:
    """Nodes the scan reports under PIDPressure (or reclaiming pids)."""
    out: list[str] = []
    for f in facts.findings():
        details = f.get("details") or {}
        if str(f.get("check")) != "node.pressure":
            continue
        reclaiming = [str(r).lower() for r in details.get("reclaiming") or []]
        if details.get("condition") == "PIDPressure" or "pids" in reclaiming or "PIDPressure" in str(f.get("reason")):
            node = str(details.get("node") or (f.get("object") or {}).get("name") or "")
            if node and node not in out:
                out.append(node)
    return out


def _pods_on(facts: Facts, node: str) -> set[str]:
    """Pods the change timeline lists on the node (its condition change names the pods placed there)."""
    out: set[str] = set()
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        if target is not None and target.kind == "Node" and target.name == node:
            out.update(str(r.get("name")) for r in change.get("related") or [] if isinstance(r, dict))
    return out


@dataclass
class PidHog:
    """The workload whose pods hold the most PIDs on a node under PIDPressure."""

    node: str
    workload: Ref
    pods: list[tuple[str, float, float]]
    """(pod, processes, threads), most first."""
    zombies: float | None = None
    node_pids: float | None = None
    node_max: float | None = None
    metrics_id: str = ""
    started: list[str] = field(default_factory=list)
    """The rollout's diff lines that changed the image, command or entrypoint (dropping an init)."""
    history_id: str | None = None


async def read_processes(facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a node is under PIDPressure: the containers' process and thread counts, the node's
    process states, then the rollout history of the workload holding the most."""
    nodes = pid_nodes(facts)
    if not nodes:
        return
    query = (f'topk(20, {{__name__=~"{PROCESS_METRICS}", container!="", container!="POD"}}) or '
             f'{{__name__=~"{NODE_METRICS}"}}')
    outcome = await call("prom_query", {"query": query, "time": at}, "survey-node-pids")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict) or not outcome.data.get("samples"):
        return
    facts.metrics.append((outcome.data, outcome.evidence_id))
    hog = hogs(facts)
    if not hog or not hog[0].workload.kind:
        return
    pod = hog[0].pods[0][0]
    ref = hog[0].workload
    history = await call("k8s_rollout_history", {"name": ref.name, "namespace": ref.namespace,
                                                 "kind": ref.kind}, f"survey-pid-history-{ref.name}")
    if history is not None and history.ok and isinstance(history.data, dict):
        facts.objects.append(({"kind": "RolloutHistory", "pod": pod, "history": history.data},
                              history.evidence_id))


def _kind_of(pod: str) -> str:
    """The controller kind a pod's name implies (two hashes: Deployment; an ordinal: StatefulSet), or "" when the
    name does not say (a DaemonSet's and a Job's pods look alike)."""
    if re.fullmatch(r".+-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}", pod):
        return "Deployment"
    if re.fullmatch(r".+-\d{1,4}", pod):
        return "StatefulSet"
    return ""


def _node_of(labels: dict[str, Any]) -> str:
    return next((str(labels[k]) for k in _NODE_LABELS if labels.get(k)), "")


def _samples(facts: Facts) -> list[tuple[dict[str, Any], float, str]]:
    out: list[tuple[dict[str, Any], float, str]] = []
    for data, evidence_id in facts.metrics:
        for sample in data.get("samples") or []:
            if isinstance(sample, dict) and isinstance(sample.get("value"), (int, float)):
                out.append((sample.get("labels") or {}, float(sample["value"]), evidence_id))
    return out


def hogs(facts: Facts) -> list[PidHog]:
    """For each node under PIDPressure, the workload whose pods there run the most processes and threads."""
    out: list[PidHog] = []
    samples = _samples(facts)
    for node in pid_nodes(facts):
        placed = _pods_on(facts, node)
        per_pod: dict[tuple[str, str], list[float]] = {}
        metrics_id = ""
        hog = PidHog(node, Ref("", "", ""), [])
        for labels, value, evidence_id in samples:
            name = str(labels.get("__name__") or "")
            on_node = _node_of(labels) == node or (not _node_of(labels) and str(labels.get("pod")) in placed)
            if name.startswith("node_processes") and _node_of(labels) == node:
                if name == "node_processes_state" and str(labels.get("state")) == "Z":
                    hog.zombies = value
                elif name == "node_processes_pids":
                    hog.node_pids = value
                elif name == "node_processes_max_processes":
                    hog.node_max = value
                continue
            if name not in ("container_processes", "container_threads") or not on_node or not labels.get("pod"):
                continue
            counts = per_pod.setdefault((str(labels.get("namespace") or ""), str(labels["pod"])), [0.0, 0.0])
            counts[0 if name == "container_processes" else 1] += value
            metrics_id = evidence_id
        if not per_pod:
            continue
        ranked = sorted(per_pod.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
        by_workload: dict[tuple[str, str], float] = {}
        for (n, pod), (p, t) in ranked:
            key = (n, workload_of_pod(pod))
            by_workload[key] = by_workload.get(key, 0.0) + p + t
        totals = sorted(by_workload.values(), reverse=True)
        if len(totals) > 1 and totals[0] < 3 * totals[1]:
            continue  # no workload stands out: PIDs are spread over many, nothing to blame
        ns, workload = max(by_workload, key=lambda k: by_workload[k])
        top_pod = next(pod for (n, pod), _ in ranked if n == ns and workload_of_pod(pod) == workload)
        hog.workload = Ref(_kind_of(top_pod), ns, workload)
        hog.pods = [(pod, p, t) for (n, pod), (p, t) in ranked if n == ns and workload_of_pod(pod) == workload]
        hog.metrics_id = metrics_id
        _started(facts, hog)
        out.append(hog)
    return out


def _started(facts: Facts, hog: PidHog) -> None:
    """The rollout that started the leak: the newest revision whose diff changed the command, entrypoint or image,
    with the line that dropped an init first."""
    for obj, evidence_id in facts.objects:
        if obj.get("kind") != "RolloutHistory" or not isinstance(obj.get("history"), dict):
            continue
        history = obj["history"]
        if history.get("name") != hog.workload.name or (history.get("namespace") or "") != hog.workload.namespace:
            continue
        hog.workload = Ref(str(history.get("kind") or hog.workload.kind), hog.workload.namespace, hog.workload.name)
        revisions = [r for r in history.get("revisions") or [] if isinstance(r, dict)]
        for rev in reversed(revisions):
            lines = [str(c) for c in rev.get("changes") or []]
            relevant = [c for c in lines if re.search(r"\b(?:command|args|entrypoint|image)\b", c)]
            if relevant:
                relevant.sort(key=lambda c: _INIT.search(c) is None)
                cause = str(rev.get("change_cause") or "")
                shown = relevant[:1] if _INIT.search(relevant[0]) else relevant[:2]  # the init's loss says enough
                hog.started = [f"revision {rev.get('revision')} at {rev.get('created') or '?'}"
                               + (f" ({cause[:40]})" if cause else ""), *(c[:120] for c in shown)]
                hog.history_id = evidence_id
                return


def finding(hog: PidHog) -> dict[str, Any]:
    """The suspect's finding: the pods and their counts, the node's zombies, and the rollout that started it
    (the first 400 characters carry the facts: ranking quotes no more)."""
    pod, procs, threads = hog.pods[0]
    shown = f"pod {pod} {int(procs)} processes/{int(threads)} threads" + (
        f" (+{len(hog.pods) - 1} more pods alike)" if len(hog.pods) > 1 else "")
    node_part = f"; node: {int(hog.node_pids)} PIDs" if hog.node_pids is not None else ""
    node_part += f" of {int(hog.node_max)}" if node_part and hog.node_max else ""
    zombie = f", {int(hog.zombies)} zombie (<defunct>)" if hog.zombies else ""
    dropped = next((m.group(0) for s in hog.started if (m := _INIT.search(s.split("->")[0]))), "")
    why = (f"the rollout dropped {dropped} as PID 1: the app, now PID 1, never reaps its children"
           if dropped else "its PID 1 does not reap the children it forks (no init process)" if hog.zombies else
           "it forks processes or threads faster than they exit")
    started = f". Started after: {'; '.join(hog.started[:3])}" if hog.started else ""
    message = f"{hog.workload} holds node {hog.node}'s PIDs (PIDPressure): {shown}{node_part}{zombie}; {why}{started}"
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": hog.workload.kind, "namespace": hog.workload.namespace, "name": hog.workload.name},
            "reason": "PIDHog", "message": message,
            "evidence": [f"{p}: {int(n)} processes, {int(t)} threads" for p, n, t in hog.pods[1:MAX_PODS]] + [
                "the kubelet evicts pods and the others on the node fail to fork or start threads; restore "
                         "an init as PID 1 and set a pod PID limit"],
            "details": {"node": hog.node, "pods": [p for p, _, _ in hog.pods], "zombies": hog.zombies}}
