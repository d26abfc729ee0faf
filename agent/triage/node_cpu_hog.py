"""A node named by the incident whose CPU one pod without a CPU limit takes: the pod (or its owner) is the cause.

"What is wrong with node X? everything on it fails readiness and restarts": nothing on the node itself is
broken. A container with no CPU limit (a BestEffort pod, one with neither requests nor limits, as `kubectl run`
creates by default; or a Burstable one with a request only) may use every core the node has; the CFS shares of
the other pods then cannot win them back fast enough, their probe handlers answer after the probe's
timeoutSeconds, and the kubelet marks them unready and restarts them. The victims (often a cluster add-on such
as CoreDNS, whose liveness probe is strict) look like the culprit.

The survey, for each node the incident names, reads the per-pod CPU rate of the containers on that node
(cAdvisor's `container_cpu_usage_seconds_total`, labelled by `node`), the node's cores and busy share
(node-exporter's `node_cpu_seconds_total`), and the spec of the pod that uses most. The pod is the suspect when
it takes at least HOG_SHARE of the node's cores and stands out against every other pod there, and none of its
containers has a CPU limit. The finding names the pod when it has no owner (a bare pod: `kubectl run`, its
managedFields say so), or else its workload, with its QoS class, its cores and when it was created.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.triage import agent_revision
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.node_exhaustion import _node_of, _tokens, workload_ref
from agent.triage.subject import Subject

CHECK = "node.cpu_hog"
WEIGHT = 0.93
"""The pod that takes the node's CPU outranks the victims whose probes time out on it."""
STORE = "node_cpu_hog"
HOG_SHARE = 0.5
"""The pod uses at least half of the node's cores."""
STANDS_OUT = 3.0
"""...and at least this many times the CPU of any other pod on the node."""
MAX_NODES = 2
UTILISATION = "instance:node_cpu_utilisation:rate5m"
"""kube-prometheus' recording rule of a node's busy CPU share (0..1), kept where the raw node series are not."""

Call = Callable[..., Awaitable[Any]]


def _samples(outcome: Any) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [s for s in outcome.data.get("samples") or [] if isinstance(s, dict)]


def _value(sample: dict[str, Any]) -> float | None:
    value = sample.get("value")
    return float(value) if isinstance(value, int | float) else None


async def _named_nodes(subject: Subject, call: Call) -> dict[str, float | None]:
    """The cluster's nodes the incident names (in full, by first label, or as a label), as node_exhaustion
    matches them, with each one's allocatable cores as `k8s_nodes` reports them; no listing when nothing in the
    incident could be a node's name."""
    tokens = _tokens(subject)
    if not tokens:
        return {}
    listed = await call("k8s_nodes", {}, "survey-node-tables-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    cores = {str(r.get("name")): r.get("cpu_allocatable") for r in rows if isinstance(r, dict) and r.get("name")}
    names = list(cores)
    named = dict.fromkeys(n for n in (_node_of(t, names) for t in tokens) if n)
    return {n: float(c) if isinstance(c := cores.get(n), int | float) and c > 0 else None for n in named}


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: per named node, its pods' CPU rates, its cores and busy cores, and the top pod's spec."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for node, allocatable in list((await _named_nodes(subject, call)).items())[:MAX_NODES]:
        if not re.fullmatch(r"[a-z0-9.-]+", node):  # DNS names only: no regex or label metacharacters
            continue
        pods = await call("prom_query", {"query": f'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total'
                                                  f'{{container!="", container!="POD", node="{node}"}}[5m]))',
                                         "time": at}, f"survey-cpu-pods-{node}")
        usage = [(str((s.get("labels") or {}).get("namespace") or ""), str((s.get("labels") or {}).get("pod")), v)
                 for s in _samples(pods) for v in [_value(s)] if v is not None and (s.get("labels") or {}).get("pod")]
        if not usage:
            continue
        instance = f'instance=~"{node}(:[0-9]+)?"'  # a dot matching any one character is harmless
        cores = await call("prom_query", {"query": f'count(node_cpu_seconds_total{{mode="idle", {instance}}})',
                                          "time": at}, f"survey-cpu-cores-{node}")
        busy = await call("prom_query", {"query": f'sum(rate(node_cpu_seconds_total{{mode!="idle", {instance}}}[5m]))',
                                         "time": at}, f"survey-cpu-busy-{node}")
        entry: dict[str, Any] = {"node": node, "usage": sorted(usage, key=lambda u: -u[2]),
                                 "cores": next((_value(s) for s in _samples(cores)), None) or allocatable,
                                 "busy": next((_value(s) for s in _samples(busy)), None),
                                 "evidence": [o.evidence_id for o in (pods, cores, busy) if o is not None and o.ok]}
        if entry["busy"] is None and entry["cores"]:  # only the kube-prometheus recording rule kept: a 0..1 share
            share = await call("prom_query", {"query": f"max({UTILISATION}{{{instance}}})", "time": at},
                               f"survey-cpu-share-{node}")
            value = next((_value(s) for s in _samples(share)), None)
            if value is not None and share is not None:
                entry["busy"] = value * entry["cores"]
                entry["evidence"].append(share.evidence_id)
        store.append(entry)
        top_ns, top_pod, _ = entry["usage"][0]
        got = await get_yaml(call, "Pod", top_pod, top_ns, f"survey-cpu-hog-{top_pod}")
        if got is not None:
            entry["pod"] = got[0]
            entry["evidence"].append(got[1])
            owner = _culprit(got[0], Ref("Pod", top_ns, top_pod))
            if owner.kind == "DaemonSet":  # a node agent: is this node running a revision the others do not yet
                entry["agent"] = await agent_revision.read(call, owner, node, top_pod, at)


@dataclass
class Hog:
    """One pod without a CPU limit taking most of a named node's cores."""

    node: str
    pod: Ref
    culprit: Ref
    cores_used: float
    cores: float | None
    busy: float | None
    qos: str
    creator: str
    created: datetime | None
    evidence: list[str] = field(default_factory=list)
    rollout: dict[str, Any] | None = None
    """The culprit workload's own rollout shortly before (what made it costlier), when the timeline shows one."""
    split: agent_revision.Split | None = None
    """A node agent's fleet split between revisions, this node on the new one."""


def _cpu_limited(pod: dict[str, Any]) -> bool:
    """Whether every container of the pod has a CPU limit (then the kernel caps it, whatever it runs)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    return bool(containers) and all(((c.get("resources") or {}).get("limits") or {}).get("cpu") for c in containers)


def _qos(pod: dict[str, Any]) -> str:
    """The pod's QoS class as the API reports it, or as the kubelet derives it from the containers' resources."""
    said = (pod.get("status") or {}).get("qosClass")
    if said:
        return str(said)
    resources = [c.get("resources") or {} for c in (pod.get("spec") or {}).get("containers") or []]
    return "BestEffort" if not any(r.get("requests") or r.get("limits") for r in resources) else "Burstable"


def _culprit(pod: dict[str, Any], ref: Ref) -> Ref:
    """The pod itself when nothing owns it (a bare pod), else the workload its owner chain names."""
    owners = (pod.get("metadata") or {}).get("ownerReferences") or []
    if not owners:
        return ref
    owner = owners[0]
    if owner.get("kind") == "ReplicaSet":
        return workload_ref(ref.namespace, ref.name)
    return Ref(str(owner.get("kind")), ref.namespace, str(owner.get("name")))


def _creator(pod: dict[str, Any]) -> str:
    """Who created the pod: its managedFields' first manager (`kubectl-run` -> `kubectl run`) when the read keeps
    them, else the `run=<name>` label `kubectl run` puts on the bare pod it creates."""
    meta = pod.get("metadata") or {}
    managers = [str(f.get("manager")) for f in meta.get("managedFields") or [] if f.get("manager")]
    if managers:
        return managers[0].replace("kubectl-", "kubectl ")
    labels = meta.get("labels") or {}
    return "kubectl run" if not meta.get("ownerReferences") and labels.get("run") == meta.get("name") else ""


def found(facts: Facts) -> list[Hog]:
    """Each named node whose top CPU user holds HOG_SHARE of its cores, STANDS_OUT against the rest, and has
    no CPU limit; nothing when the node's use is spread or the top pod is capped by its own limit."""
    out: list[Hog] = []
    for entry in facts.reads.get(STORE) or []:
        usage, cores, pod = entry.get("usage") or [], entry.get("cores"), entry.get("pod")
        if not usage or not isinstance(pod, dict) or not cores:
            continue
        (ns, name, used), rest = usage[0], usage[1:]
        if used < HOG_SHARE * cores or (rest and used < STANDS_OUT * rest[0][2]) or _cpu_limited(pod):
            continue
        ref = Ref("Pod", ns, name)
        culprit = _culprit(pod, ref)
        rollout = agent_revision.rollout_of(facts, culprit) if culprit != ref else None
        split = agent_revision.split(entry["agent"]) if isinstance(entry.get("agent"), dict) else None
        evidence = [e for e in entry.get("evidence") or [] if e]
        evidence += [e for e in [rollout[1] if rollout else "", *(split.evidence if split else [])]
                     if e and e not in evidence]
        out.append(Hog(str(entry["node"]), ref, culprit, used, cores, entry.get("busy"), _qos(pod),
                       _creator(pod), parse_time((pod.get("metadata") or {}).get("creationTimestamp")),
                       evidence, rollout[0] if rollout else None, split))
    return out


def finding(h: Hog, at: datetime) -> dict[str, Any]:
    """The hog's finding: no CPU limit, the node's cores it takes, and what that does to the other pods."""
    limits = "no CPU requests or limits" if h.qos == "BestEffort" else "no CPU limit"
    made = f"created by {h.creator} " if h.creator else "created "
    when = f", {made}{minutes_text(int((at - h.created).total_seconds() // 60))} before" if h.created else ""
    busy = f" (node CPU {100 * h.busy / h.cores:.0f}% busy)" if h.busy is not None and h.cores else ""
    owner = f" ({h.culprit})" if h.culprit != h.pod else " (a bare pod, no controller)"
    share = f" of node {h.node}'s {h.cores:g}" if h.cores and h.cores >= h.cores_used else f" on node {h.node}"
    message = (f"{h.pod}{owner} is {h.qos} with {limits}{when}, and uses {h.cores_used:.1f} CPU cores{share}{busy}: "
               f"with no CPU limit it takes the whole node, so the other pods there "
               f"are starved of CPU, miss their probe deadlines and are restarted. Set CPU requests and limits on it "
               f"or move it off the node")
    if h.rollout is not None:  # the workload's own rollout made it costlier: that change leads
        at_ = parse_time(h.rollout.get("at"))
        ago = f", {minutes_text(int((at - at_).total_seconds() // 60))} before" if at_ else ""
        rev = f" revision {h.rollout['revision']}" if h.rollout.get("revision") else " rollout"
        changed = "; ".join(agent_revision.what_changed(h.rollout)[:3])
        split = agent_revision.split_text(h.split, h.cores_used) if h.split else ""
        of = f" of its {h.cores:g}" if h.cores and h.cores >= h.cores_used else ""
        message = (f"{h.culprit}{rev}{ago} changed {changed}; on node {h.node} its pod {h.pod.name} now uses "
                   f"{h.cores_used:.1f} CPU cores{of}{busy} with {limits}, starving every other pod there (probes "
                   f"time out, requests slow)" + (f"; {split}" if split else "") + f". Roll {h.culprit} back to the "
                   f"previous revision (or restore the old setting and a CPU limit); the node's other pods are victims")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.culprit.kind, "namespace": h.culprit.namespace, "name": h.culprit.name},
            "reason": "NodeCPUHog", "message": message,
            "evidence": [f"{h.pod.name} {h.cores_used:.1f} cores on {h.node}", f"qos {h.qos}"],
            "details": {"node": h.node, "pod": h.pod.name, "qos": h.qos, "cores_used": h.cores_used}}


def routed_hot(facts: Facts) -> dict[str, Ref]:
    """Pods that a confirmed routing change made hot, each with the object written: a Service switched to zone-local
    routing (`topology_routing`) or a policy that hashes requests by a key (`hash_balance`), whose own per-pod load
    shows that pod carrying several times its siblings' share.

    A replica that takes the node's cores because the routing in front of it sends it most of its workload's
    requests is not a hog of its own making: its siblings run the same code and idle. The routing write is the cause;
    without a CPU limit the pod only passes the overload on to the node."""
    from agent.triage import hash_balance, topology_routing  # read lazily: both only read what the survey stored

    hot = {r.hot: r.service for r in topology_routing.found(facts) if r.hot}
    hot.update({p.pod: p.policy for p in hash_balance.found(facts) if p.pod and p.pod not in hot})
    return hot


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The hog (pod or owner), explaining the node and the pods on it that fail; a hog whose load a routing change
    concentrated on it (`routed_hot`) is left to that change's own finding, which names the cause."""
    routed = routed_hot(facts)
    return [(h.culprit, finding(h, facts.at), h.evidence, [Ref("Node", "", h.node)]) for h in found(facts)
            if h.pod.name not in routed]
