"""A dependency that was unavailable because its pods were disrupted, with nothing to keep one serving.

When the alerting workload fails because a Service it calls refuses connections, the caller is a
victim; the question is why the dependency had no ready pod at the onset. A voluntary or
involuntary disruption removes pods whatever their health: the cluster-autoscaler's scale-down of
an under-used node (pod event `ScaleDown` "deleting pod for node scale down", node taint
`ToBeDeletedByClusterAutoscaler`), a node drain (the node cordoned, its pods evicted), the
kubelet's eviction under node pressure (`Evicted`), taint-based eviction (`TaintManagerEviction`)
or preemption by a higher-priority pod (`Preempted`). A workload with a single replica and no
PodDisruptionBudget selecting its pods has nothing that keeps a pod serving meanwhile, and a
replacement that is slow to turn ready leaves the Service without endpoints for minutes.

The survey follows the caller's error hosts (`name.namespace.svc[.cluster.local]`, or a bare name in
the caller's namespace) to the Service and its workload (the topology, as for any subject), then
reads the namespace's events, the node events, the workload's replicas and the namespace's
PodDisruptionBudgets. The finding names the dependency's workload, the disruption and the missing
protection; the caller is listed as what it explains, never as the cause.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "workload.disrupted_unprotected"
WEIGHT = 0.9
"""The unprotected workload whose pod a disruption removed is the thing to fix; its Service and callers follow."""
WINDOW = timedelta(hours=1)
"""How long before the alert the disruption may be: its replacement's warm-up is the outage."""
MAX_SERVICES = 2
MAX_PDBS = 5

_SVC_HOST = re.compile(r"\b([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc"
                       r"(?:\.cluster\.local)?\b")
_DISRUPTIONS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("ScaleDown", re.compile(r"scale.?down", re.I), "the cluster-autoscaler's scale-down"),
    ("Evicted", re.compile(r".", re.I), "eviction by the kubelet"),
    ("TaintManagerEviction", re.compile(r"deletion|evict", re.I), "taint-based eviction from its node"),
    ("Preempted", re.compile(r".", re.I), "preemption by a higher-priority pod"),
    ("Preempting", re.compile(r".", re.I), "preemption by a higher-priority pod"),
)
"""(event reason, message wording, what it is): the real reasons the components put on the pod they remove."""
_REMOVING = frozenset({reason for reason, _, _ in _DISRUPTIONS} | {"Killing"})
VOLUNTARY = ("ScaleDown", "Killing")
"""Disruptions through the Eviction API (the autoscaler's scale-down, a drain), which a PodDisruptionBudget can
refuse; the kubelet's node-pressure eviction, taint eviction and preemption do not wait for one."""
_NODE_REMOVAL = re.compile(r"ToBeDeletedByClusterAutoscaler|DeletionCandidateOfClusterAutoscaler")


@dataclass
class Disruption:
    """A dependency workload whose pods a disruption removed, and what would have kept one serving."""

    workload: Ref
    service: Ref
    pod: str
    how: str
    reason: str
    message: str
    at: str
    replicas: int | None
    protected_by: list[str]
    node: str = ""
    replacement: str = ""
    victims: list[Ref] = field(default_factory=list)
    said: str = ""
    log: LogEvidence | None = None
    evidence: list[str] = field(default_factory=list)


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault("dependency_disruption", {})


def service_hosts(subject: Subject, facts: Facts) -> list[tuple[str, str, LogEvidence, str]]:
    """(namespace, Service, log, error line) for the in-cluster hosts the subject's own errors name."""
    out: list[tuple[str, str, LogEvidence, str]] = []
    for log in facts.logs:
        if not subject.mentions(workload_of_pod(log.pod)):
            continue
        for e in [log.top or {}, *log.more]:
            text = " ".join(str(e.get(k) or "") for k in ("example", "message"))
            found = [(m.group(2), m.group(1)) for m in _SVC_HOST.finditer(text)]
            found += [(log.namespace, h.split(":")[0]) for h in log.hosts if "." not in h.split(":")[0]
                      and not h[:1].isdigit()]
            for ns, name in found:
                if ns and name and not any((ns, name) == (n, s) for n, s, _, _ in out):
                    out.append((ns, name, log, str(e.get("example") or e.get("message") or "")[:240]))
    return out


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: for each Service the subject's errors name, its topology, the namespace's events, the node
    events, the nodes, the workload's object and the namespace's PodDisruptionBudgets."""
    store = _store(facts)
    nodes_read = False
    for ns, name, log, said in service_hosts(subject, facts)[:MAX_SERVICES]:
        step = f"survey-disruption-{name}"
        topo = await call("k8s_topology", {"name": name, "namespace": ns, "kind": "Service"}, step)
        data = topo.data if topo is not None and topo.ok and isinstance(topo.data, dict) else None
        workload = next((w for w in (Ref.of(x) for x in (data or {}).get("workloads") or []) if w is not None), None)
        if data is None or workload is None or workload.kind not in ("Deployment", "StatefulSet"):
            continue
        entry: dict[str, Any] = {"namespace": ns, "service": name, "topology": data, "caller": log.pod,
                                 "said": said, "evidence": [topo.evidence_id, log.evidence_id]}
        events = await call("k8s_events", {"namespace": ns}, f"{step}-events")
        if events is None or not events.ok or not isinstance(events.data, dict):
            continue
        entry["events"] = events.data.get("events") or []
        entry["evidence"].append(events.evidence_id)
        if not any(r.get("reason") in _REMOVING and workload_of_pod(str(r.get("name"))) == workload.name
                   for r in entry["events"] if isinstance(r, dict)):
            continue  # none of its pods was told to go: no disruption to explain, nothing more to read
        got = await get_yaml(call, workload.kind, workload.name, workload.namespace, f"{step}-workload")
        if got is not None:
            entry["workload"] = got[0]
            entry["evidence"].append(got[1])
        pdbs = await call("k8s_list", {"kind": "PodDisruptionBudget", "namespace": ns}, f"{step}-pdbs")
        if pdbs is not None and pdbs.ok and isinstance(pdbs.data, dict):
            entry["pdbs"] = []
            for row in (pdbs.data.get("rows") or [])[:MAX_PDBS]:
                pdb = await get_yaml(call, "PodDisruptionBudget", str(row.get("name")), ns, f"{step}-pdb")
                if pdb is not None:
                    entry["pdbs"].append(pdb[0])
            entry["evidence"].append(pdbs.evidence_id)
        if not nodes_read:
            nodes_read = True
            node_events = await call("k8s_events", {"kind": "Node"}, f"{step}-node-events")
            if node_events is not None and node_events.ok and isinstance(node_events.data, dict):
                store["node_events"] = node_events.data.get("events") or []
            nodes = await call("k8s_nodes", {}, f"{step}-nodes")
            if nodes is not None and nodes.ok and isinstance(nodes.data, dict):
                store["nodes"] = nodes.data.get("nodes") or []
        store.setdefault("services", []).append(entry)


def _selects(pdb: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a PodDisruptionBudget's selector (matchLabels, matchExpressions In/Exists) selects these labels."""
    selector = (pdb.get("spec") or {}).get("selector") or {}
    if not selector:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def _keeps_one(pdb: dict[str, Any], replicas: int) -> bool:
    """Whether the budget forbids evicting the last pod (minAvailable >= 1, or maxUnavailable below replicas)."""
    spec = pdb.get("spec") or {}
    low, high = spec.get("minAvailable"), spec.get("maxUnavailable")
    if low is not None:
        return str(low) not in ("0", "0%")
    if high is not None:
        text = str(high)
        count = int(float(text[:-1]) * replicas / 100) if text.endswith("%") else int(text) if text.isdigit() else 0
        return count < replicas
    return False


def _time(row: dict[str, Any]) -> datetime | None:
    return parse_time(row.get("last_seen")) or parse_time(row.get("first_seen"))


def _node_of(store: dict[str, Any], at: datetime) -> str:
    """The node the cluster-autoscaler was removing when the pod went: its ScaleDown event or its taint."""
    for row in store.get("node_events") or []:
        when = _time(row)
        if row.get("reason") == "ScaleDown" and when is not None and abs(when - at) <= timedelta(minutes=5):
            return str(row.get("name") or "")
    tainted = [str(n.get("name")) for n in store.get("nodes") or []
               if any(_NODE_REMOVAL.search(str(t)) for t in n.get("taints") or [])]
    return tainted[0] if len(tainted) == 1 else ""


def _cordoned(store: dict[str, Any], at: datetime) -> str:
    for row in store.get("node_events") or []:
        when = _time(row)
        if row.get("reason") == "NodeNotSchedulable" and when is not None and abs(when - at) <= timedelta(minutes=10):
            return str(row.get("name") or "")
    return ""


def disruptions(facts: Facts) -> list[Disruption]:
    """Dependencies the subject's errors name (as read) whose pod a disruption removed within WINDOW, unprotected."""
    store = _store(facts)
    out: list[Disruption] = []
    for entry in store.get("services") or []:
        data = entry.get("topology") or {}
        workload = next((w for w in (Ref.of(x) for x in data.get("workloads") or []) if w is not None), None)
        if workload is None:
            continue
        obj = entry.get("workload") or {}
        spec = obj.get("spec") or {}
        replicas = spec.get("replicas") if isinstance(spec.get("replicas"), int) else None
        labels = {str(k): str(v) for k, v in ((spec.get("template") or {}).get("metadata") or {}).get(
            "labels", {}).items()}
        protected = [str((p.get("metadata") or {}).get("name")) for p in entry.get("pdbs") or []
                     if _selects(p, labels) and _keeps_one(p, replicas or 1)]
        if replicas is not None and replicas > 1:
            continue  # another replica kept serving (or should have): not this class
        found = _removed(entry, workload, facts)
        if found is None:
            continue
        row, how = found
        if protected and row.get("reason") in VOLUNTARY:
            continue  # the budget would have refused this eviction: something else removed the pod
        at = _time(row) or facts.at
        node = _node_of(store, at) if row.get("reason") == "ScaleDown" else ""
        if row.get("reason") == "Killing":
            node = _cordoned(store, at)
            how = f"a drain of node {node} (cordoned, its pods evicted)"
        replacement = next((str(p.get("name")) for p in data.get("pods") or []
                            if isinstance(p, dict) and p.get("ready") is False), "")
        log = next((x for x in facts.logs if x.pod == entry.get("caller")), None)
        said = str(entry.get("said") or "")
        victims = [Ref("Service", str(entry.get("namespace")), str(entry.get("service")))]
        if log is not None:
            victims.append(Ref("", log.namespace, workload_of_pod(log.pod)))
        out.append(Disruption(workload, victims[0], str(row.get("name")), how, str(row.get("reason")),
                              str(row.get("message") or ""), str(row.get("last_seen") or row.get("first_seen") or ""),
                              replicas, protected, node, replacement, victims, said, log,
                              [e for e in entry.get("evidence") or [] if e]))
    return out


def _removed(entry: dict[str, Any], workload: Ref, facts: Facts) -> tuple[dict[str, Any], str] | None:
    """The event that removed one of the workload's pods within WINDOW, and what it was."""
    rows = [r for r in entry.get("events") or [] if isinstance(r, dict) and r.get("kind") == "Pod"
            and workload_of_pod(str(r.get("name"))) == workload.name]
    recent = [r for r in rows if (t := _time(r)) is not None and facts.at - WINDOW <= t <= facts.at + WINDOW]
    for reason, wording, how in _DISRUPTIONS:
        for r in recent:
            if r.get("reason") == reason and wording.search(str(r.get("message") or "")):
                return r, how
    store = _store(facts)
    for r in recent:  # a drain: the pod stopped while its node was cordoned
        t = _time(r)
        if r.get("reason") == "Killing" and t is not None and _cordoned(store, t):
            return r, "a node drain"
    return None


def finding(d: Disruption) -> dict[str, Any]:
    """The suspect's finding: the dependency, the disruption, the missing protection, the callers' errors."""
    where = f" of node {d.node}" if d.node and d.node not in d.how else ""
    single = "a single replica" if d.replicas == 1 else f"{d.replicas} replicas" if d.replicas else "its replicas"
    warm = (f"; its replacement {d.replacement} is still not ready, so {d.service} has no ready endpoint"
            if d.replacement else "")
    said = f"; callers fail: '{d.said[:160]}'" if d.said else ""
    budget = (f"(PodDisruptionBudget {', '.join(d.protected_by)} does not hold off {d.reason})" if d.protected_by
              else "with no PodDisruptionBudget")
    message = (f"{d.workload} runs {single} {budget}, and {d.how}{where} removed its only pod "
               f"{d.pod} at {d.at[11:16]} ({d.reason}: '{d.message[:80]}'){warm}{said}. Nothing kept a pod "
               "serving through the disruption: run at least 2 replicas with a PodDisruptionBudget "
               "(minAvailable 1), spread across nodes")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.workload.kind, "namespace": d.workload.namespace, "name": d.workload.name},
            "reason": "DisruptedWithoutBudget", "message": message,
            "evidence": [x for x in (f"{d.reason}: {d.message}", d.said[:200]) if x],
            "details": {"pod": d.pod, "disruption": d.reason, "at": d.at, "node": d.node, "replicas": d.replicas,
                        "pdbs": d.protected_by, "replacement": d.replacement}}
