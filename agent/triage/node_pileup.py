"""A node the incident names is overloaded because a rollout's placement rule stacked one workload's replicas on it.

"Node X has a load of 30 and everything on it crawls": nothing on the node is broken and no single pod is a hog.
The node simply runs far more of one workload than it should, because the workload's latest rollout changed where
the scheduler may (or must) put its pods:

- a required `podAffinity` (topologyKey `kubernetes.io/hostname`) to a target that runs on one node (a one-pod
  cache "for latency"): every replica must sit on that node;
- a `nodeSelector`, a required `nodeAffinity` or a `nodeName` narrowed to a label few nodes carry;
- a toleration for a dedicated node's taint (with an attraction to it);
- the spread taken away: `topologySpreadConstraints` removed or made `whenUnsatisfiable: ScheduleAnyway` (a
  preference the scoring may ignore), or the required `podAntiAffinity` that kept replicas apart removed.

With small CPU requests the scheduler sees room for all of them, and they then use far more than they request.
The reading an SRE does, done here: list the pods on the named node, find the owner with several replicas there,
count its replicas on the other nodes, and read its rollout history: the revision whose pod-template diff touched
a placement field in the concentrating direction, created shortly before, whose pods are the ones on the node.

`read` (reading only, when the incident names a node) keeps the pods on the node, the candidate owners' pods and
rollout histories, their current pod template and the pods their required podAffinity selects. `found` is pure
over what it kept. A node hot from one pod's own CPU (no placement change), a placement change after which the
replicas still spread, or a pile older than any placement change are not this.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.node_cpu_hog import STORE as CPU_STORE
from agent.triage.node_exhaustion import _node_of, _tokens, workload_ref
from agent.triage.subject import Subject, workload_of_pod

CHECK = "node.placement_pileup"
WEIGHT = 0.93
"""The rollout that stacked the replicas explains the node's load: level with a CPU hog, above the neighbours
whose slowness is only where it shows, and above other rollouts of the window (they placed nothing there)."""
STORE = "node_pileup"
MIN_PILE = 3
"""At least this many replicas of one owner on the node (two on one node is ordinary)."""
CONCENTRATED = 0.75
"""...and at least this share of the owner's running replicas."""
LEAD = timedelta(hours=24)
"""How long before the incident the placement change may have been rolled out."""
LATE = timedelta(minutes=10)
MAX_NODES = 2
MAX_VICTIM_NODES = 3
"""Nodes of the subject's pods looked at when the incident names no node."""
STRAIN = 0.5
"""For a node the incident does not name, the stacked replicas must use at least this share of its allocatable CPU
(or the node be under a pressure condition): the node is strained, not merely shared."""
MAX_OWNERS = 3
PLACED_KINDS = ("Deployment", "StatefulSet")
"""Owners whose replica count is theirs to place (a DaemonSet has one pod per node by design)."""

Call = Callable[..., Awaitable[Any]]

_PATH = re.compile(r"^pod (?P<path>[A-Za-z]+[^ ]*) (?P<old>.+?) -> (?P<new>.+)$")


@dataclass
class Pileup:
    """One owner whose replicas a placement change stacked on a named node."""

    node: str
    owner: Ref
    on_node: int
    total: int
    other_nodes: int
    nodes: int
    revision: int
    changed_at: datetime
    constraint: str
    """What the placement change does, in words (`added a required podAffinity to app=cache ...`)."""
    lines: list[str]
    cores: float | None
    evidence: list[str] = field(default_factory=list)
    victims: list[Ref] = field(default_factory=list)
    """The incident's subject on that node, when the incident named it rather than the node."""
    memory: float | None = None
    """Bytes of working set the replicas hold on the node, when read."""


def _rows(outcome: Any, key: str = "rows") -> list[dict[str, Any]]:
    data = outcome.data if outcome is not None and outcome.ok and isinstance(outcome.data, dict) else {}
    return [r for r in data.get(key) or [] if isinstance(r, dict)]


def _selector_text(selector: dict[str, Any]) -> str:
    """A labelSelector as `kubectl -l` takes it (matchLabels and In/Exists expressions), or "" when empty."""
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        if not isinstance(expr, dict) or not expr.get("key"):
            continue
        values = ",".join(str(v) for v in expr.get("values") or [])
        op = expr.get("operator")
        parts += [f"{expr['key']} in ({values})"] if op == "In" else [str(expr["key"])] if op == "Exists" \
            else [f"{expr['key']} notin ({values})"] if op == "NotIn" else [f"!{expr['key']}"] \
            if op == "DoesNotExist" else []
    return ",".join(parts)


def required_affinity(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod template's required podAffinity terms."""
    terms = (((spec.get("affinity") or {}).get("podAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    return [t for t in terms if isinstance(t, dict)]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, per named node (or, when the incident names none, per node of the subject's pods): its pods;
    for the owners with several there, their pods in the namespace, their rollout history, their current pod
    template and the pods their required podAffinity selects; for a subject's node, the per-pod CPU on it."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    tokens = _tokens(subject)
    listed = await call("k8s_nodes", {}, "survey-node-tables-nodes") if tokens else None
    names = [str(r.get("name")) for r in _rows(listed, "nodes") if r.get("name")]
    named = list(dict.fromkeys(n for n in (_node_of(t, names) for t in tokens) if n))
    named += [n for n in await _nodes_at(tokens, names, call, at) if n not in named]
    victims: dict[str, list[dict[str, str]]] = {}
    if not named:
        victims = _victim_nodes(facts)
        if not victims:
            return
        listed = listed or await call("k8s_nodes", {}, "survey-node-tables-nodes")
        names = [str(r.get("name")) for r in _rows(listed, "nodes") if r.get("name")]
        named = [n for n in victims if n in names]
    node_rows = {str(r.get("name")): r for r in _rows(listed, "nodes")}
    for node in named[:MAX_NODES if not victims else MAX_VICTIM_NODES]:
        pods = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                          f"survey-node-tables-pods-{node}")
        rows = _rows(pods)
        counts = Counter((str(r.get("namespace") or ""), workload_of_pod(str(r.get("name")))) for r in rows
                         if r.get("name") and r.get("status") not in _FINISHED)
        entry: dict[str, Any] = {"node": node, "nodes": names, "owners": [], "victims": victims.get(node, []),
                                 "allocatable": (node_rows.get(node) or {}).get("cpu_allocatable"),
                                 "memory_allocatable": (node_rows.get(node) or {}).get("memory_allocatable"),
                                 "pressure": list((node_rows.get(node) or {}).get("pressure") or []),
                                 "evidence": [o.evidence_id for o in (listed, pods) if o is not None and o.ok]}
        store.append(entry)
        for (ns, name), count in counts.most_common():
            if count < MIN_PILE or len(entry["owners"]) >= MAX_OWNERS:
                break
            sample = next(str(r["name"]) for r in rows if (str(r.get("namespace") or ""), workload_of_pod(
                str(r.get("name")))) == (ns, name))
            owner = workload_ref(ns, sample)
            if owner.kind not in PLACED_KINDS:
                continue
            entry["owners"].append(await _read_owner(call, owner))
        if victims and entry["owners"] and re.fullmatch(r"[a-z0-9.-]+", node):
            await _read_use(call, entry, node, at)


async def _read_use(call: Call, entry: dict[str, Any], node: str, at: str) -> None:
    """The per-pod CPU rate and memory working set on a node the incident did not name (cAdvisor, by `node`)."""
    where = f'container!="", container!="POD", node="{node}"'
    reads = {"usage": (f"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{{{where}}}[5m]))",
                       f"survey-cpu-pods-{node}"),
             "memory": (f"sum by (namespace, pod) (container_memory_working_set_bytes{{{where}}})",
                        f"survey-pileup-memory-{node}")}
    for key, (query, step) in reads.items():
        got = await call("prom_query", {"query": query, "time": at}, step)
        entry[key] = [(str((x.get("labels") or {}).get("namespace") or ""), str((x.get("labels") or {}).get("pod")),
                       float(x["value"])) for x in _rows(got, "samples") if isinstance(x.get("value"), int | float)]
        if got is not None and got.ok:
            entry["evidence"].append(got.evidence_id)


def _victim_nodes(facts: Facts) -> dict[str, list[dict[str, str]]]:
    """The nodes the subject's pods run on (most of them first), each with the subject it would explain: when the
    incident names a workload slowed, throttled or evicted, its node may be where another one was stacked."""
    for data, _ in facts.topologies[:1]:
        said = data.get("subject")
        subject: dict[str, Any] = said if isinstance(said, dict) else {}
        ref = {"kind": str(subject.get("kind") or ""), "namespace": str(subject.get("namespace") or ""),
               "name": str(subject.get("name") or "")}
        counts = Counter(str(p.get("node")) for p in data.get("pods") or [] if isinstance(p, dict) and p.get("node"))
        return {n: [ref] if ref["name"] else [] for n, _ in counts.most_common(MAX_VICTIM_NODES)}
    return {}


_IPV4 = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?")


async def _nodes_at(tokens: list[str], names: list[str], call: Call, at: str) -> list[str]:
    """The nodes behind addresses the incident names (an alert's `instance="10.0.3.22:9100"`): the node whose name
    is the address's private DNS name (EC2's `ip-10-0-3-22...`), else kube-state-metrics' kube_node_info, whose
    `internal_ip` label is the node's InternalIP."""
    out: list[str] = []
    for token in tokens:
        m = _IPV4.fullmatch(token)
        if not m:
            continue
        address = m.group(1)
        node = _node_of("ip-" + address.replace(".", "-"), names)
        if not node:
            info = await call("prom_query", {"query": f'kube_node_info{{internal_ip="{address}"}}', "time": at},
                              f"survey-pileup-node-of-{address}")
            node = next((str((s.get("labels") or {}).get("node")) for s in _rows(info, "samples")
                         if (s.get("labels") or {}).get("node") in names), "")
        if node and node not in out:
            out.append(node)
    return out


async def _read_owner(call: Call, owner: Ref) -> dict[str, Any]:
    """One candidate owner: its pods in the namespace, its rollout history, its pod template, the affinity targets."""
    kept: dict[str, Any] = {"kind": owner.kind, "namespace": owner.namespace, "name": owner.name, "pods": [],
                            "revisions": [], "spec": {}, "targets": {}, "evidence": []}
    pods = await call("k8s_list", {"kind": "Pod", "namespace": owner.namespace},
                      f"survey-pileup-pods-{owner.namespace}")
    kept["pods"] = [r for r in _rows(pods) if workload_of_pod(str(r.get("name"))) == owner.name]
    history = await call("k8s_rollout_history", {"kind": owner.kind, "name": owner.name,
                                                 "namespace": owner.namespace},
                         f"survey-pileup-history-{owner.namespace}-{owner.name}")
    kept["revisions"] = _rows(history, "revisions")
    got = await get_yaml(call, owner.kind, owner.name, owner.namespace, f"survey-pileup-{owner.kind.lower()}-"
                                                                        f"{owner.name}")
    if got is not None:
        kept["spec"] = (((got[0].get("spec") or {}).get("template") or {}).get("spec")) or {}
        kept["evidence"].append(got[1])
    for term in required_affinity(kept["spec"])[:2]:
        selector = _selector_text(term.get("labelSelector") or {})
        if not selector:
            continue
        namespaces = [str(n) for n in term.get("namespaces") or []] or [owner.namespace]
        targets = await call("k8s_list", {"kind": "Pod", "namespace": namespaces[0], "label_selector": selector},
                             f"survey-pileup-targets-{owner.name}")
        kept["targets"][selector] = _rows(targets)
        if targets is not None and targets.ok:
            kept["evidence"].append(targets.evidence_id)
    kept["evidence"] += [o.evidence_id for o in (pods, history) if o is not None and o.ok]
    return kept


def _unset(value: str) -> bool:
    return value.strip() in ("unset", "None", "''")


def concentrating(line: str) -> str:
    """The placement field a pod-template diff line moved in the concentrating direction, or "": an attraction
    (podAffinity, nodeSelector, required nodeAffinity, nodeName, a toleration) set, or a spread taken away
    (topologySpreadConstraints or required podAntiAffinity unset, whenUnsatisfiable made ScheduleAnyway)."""
    m = _PATH.match(line.strip())
    if not m:
        return ""
    path, old, new = m.group("path"), m.group("old"), m.group("new")
    if path.startswith("affinity.podAffinity"):
        return "podAffinity" if not _unset(new) else ""
    if path.startswith(("nodeSelector", "affinity.nodeAffinity.required", "nodeName")) and not _unset(new):
        return "nodeSelector" if path.startswith("nodeSelector") else \
            "nodeName" if path.startswith("nodeName") else "nodeAffinity"
    if path.startswith("tolerations"):
        return "toleration" if not _unset(new) and _unset(old) else ""
    if path.startswith("topologySpreadConstraints"):
        if _unset(new) and not _unset(old):
            return "spread-removed"
        return "spread-relaxed" if path.endswith("whenUnsatisfiable") and "ScheduleAnyway" in new else ""
    if path.startswith("affinity.podAntiAffinity.required"):
        return "anti-affinity-removed" if _unset(new) and not _unset(old) else ""
    return ""


def _describe(kinds: list[str], spec: dict[str, Any], targets: dict[str, list[dict[str, Any]]], node: str,
              lines: list[str]) -> str:
    """What the revision's placement change makes the scheduler do, read from the current template."""
    said: list[str] = []
    if "podAffinity" in kinds:
        for term in required_affinity(spec) or [{}]:
            selector = _selector_text(term.get("labelSelector") or {})
            key = str(term.get("topologyKey") or "")
            where = " (topologyKey " + key + ")" if key else ""
            matched = targets.get(selector)
            if matched is not None and selector:
                target_nodes = {str(r.get("node")) for r in matched if r.get("node")}
                on = f", on node {node}" if target_nodes == {node} else ""
                count = f", which matches {len(matched)} pod{'s' if len(matched) != 1 else ''}{on}"
            else:
                count = ""
            said.append(f"added a required podAffinity to pods labelled {selector or '(its target)'}{where}{count}: "
                        "every replica must run on the same node as that target")
            break
        if not required_affinity(spec):
            said = ["added a podAffinity that draws every replica to the same node as its target"]
    if "nodeSelector" in kinds or "nodeAffinity" in kinds or "nodeName" in kinds:
        said.append(f"narrowed its placement with {_node_rule(kinds, spec)}, so every replica must go to the "
                    "few nodes that satisfy it")
    if "toleration" in kinds:
        said.append("added a toleration that opens a dedicated node to it")
    if "spread-removed" in kinds:
        said.append("removed the topologySpreadConstraints that kept its replicas spread across nodes")
    elif "spread-relaxed" in kinds:
        said.append("made its topologySpreadConstraints whenUnsatisfiable ScheduleAnyway, so spreading the "
                    "replicas is only a preference")
    if "anti-affinity-removed" in kinds:
        said.append("removed the required podAntiAffinity that kept its replicas on different nodes")
    return "; ".join(said) or "changed its placement (" + "; ".join(lines[:2]) + ")"


def _node_rule(kinds: list[str], spec: dict[str, Any]) -> str:
    """The node-side rule the template now carries: `a nodeSelector pool=batch`, `a required nodeAffinity
    kubernetes.io/hostname in (n1)`, `a nodeName n1`."""
    if "nodeSelector" in kinds and spec.get("nodeSelector"):
        return "a nodeSelector " + ", ".join(f"{k}={v}" for k, v in (spec.get("nodeSelector") or {}).items())
    if "nodeName" in kinds and spec.get("nodeName"):
        return f"a nodeName {spec['nodeName']}"
    terms = ((((spec.get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    exprs = [e for t in terms[:1] if isinstance(t, dict) for e in t.get("matchExpressions") or []
             if isinstance(e, dict)]
    said = _selector_text({"matchExpressions": exprs})
    return "a required nodeAffinity" + (f" {said}" if said else "")


def _placed_by(revision: dict[str, Any], pod: dict[str, Any], since: datetime) -> bool:
    """Whether the pod was made by this revision: its name carries the revision's ReplicaSet name, or (a
    StatefulSet's ControllerRevision) it was created after the revision."""
    name, made = str(pod.get("name") or ""), parse_time(pod.get("created"))
    rs = str(revision.get("name") or "")
    if rs and name.startswith(rs + "-"):
        return True
    return made is not None and made >= since - timedelta(minutes=1)


def _used(facts: Facts, entry: dict[str, Any], owner: Ref, key: str = "usage") -> float | None:
    """What the owner's pods use on the node (`usage`: CPU cores; `memory`: bytes): the entry's own per-pod read (a
    subject's node), else node_cpu_hog's CPU read (a named node)."""
    usage = entry.get(key)
    if usage is None and key == "usage":
        usage = next((e.get("usage") for e in facts.reads.get(CPU_STORE) or [] if e.get("node") == entry.get("node")),
                     None)
    used = [v for ns, pod, v in usage or [] if ns == owner.namespace and workload_of_pod(str(pod)) == owner.name]
    return sum(used) if used else None


def found(facts: Facts) -> list[Pileup]:
    """Each node where one owner runs MIN_PILE+ replicas, CONCENTRATED of all it runs, while the cluster has other
    nodes, and whose revision (rolled out within LEAD) moved a placement field in the concentrating direction and
    made the pods that are on the node. A node the incident does not name (a subject's) must also be strained."""
    out: list[Pileup] = []
    for entry in facts.reads.get(STORE) or []:
        nodes = [str(n) for n in entry.get("nodes") or []]
        if len(nodes) < 2:
            continue
        for owner in entry.get("owners") or []:
            pile = _pile(facts, entry, len(nodes), owner)
            if pile is None or (entry.get("victims") and not _strained(entry, pile)):
                continue
            pile.evidence = [e for e in [*(entry.get("evidence") or []), *pile.evidence] if e]
            pile.victims = [r for v in entry.get("victims") or [] for r in [Ref.of(v)] if r is not None
                            and not r.same_object(pile.owner)]
            out.append(pile)
    return out


def _strained(entry: dict[str, Any], pile: Pileup) -> bool:
    """A subject's node is strained: a pressure condition, or the stacked replicas use STRAIN of its allocatable CPU
    or memory."""
    def share(used: float | None, allocatable: Any) -> bool:
        return used is not None and isinstance(allocatable, int | float) and allocatable > 0 \
            and used >= STRAIN * allocatable
    return bool(entry.get("pressure")) or share(pile.cores, entry.get("allocatable")) \
        or share(pile.memory, entry.get("memory_allocatable"))


_FINISHED = ("Completed", "Succeeded", "Failed", "Evicted", "Error", "OOMKilled", "ContainerStatusUnknown")


def _revisions(facts: Facts, owner: dict[str, Any]) -> list[dict[str, Any]]:
    """The owner's revisions, newest first: its rollout history, then the timeline's writes of it (a revision whose
    previous ReplicaSet was pruned past revisionHistoryLimit shows no diff in the history, the timeline may)."""
    out = [r for r in owner.get("revisions") or [] if isinstance(r, dict)]
    ref = Ref(str(owner.get("kind")), str(owner.get("namespace")), str(owner.get("name")))
    for change, _ in facts.every_change():
        target = Ref.of(change.get("object"))
        if target is not None and target.same_object(ref) and change.get("diff"):
            out.append({"revision": change.get("revision") or 0, "name": "", "created": change.get("at"),
                        "changes": change.get("diff")})
    return sorted(out, key=lambda r: str(r.get("created") or ""), reverse=True)


def _pile(facts: Facts, entry: dict[str, Any], node_count: int, owner: dict[str, Any]) -> Pileup | None:
    node = str(entry.get("node"))
    running = [p for p in owner.get("pods") or [] if p.get("status") not in _FINISHED and p.get("node")]
    on_node = [p for p in running if p.get("node") == node]
    if len(on_node) < MIN_PILE or len(on_node) < CONCENTRATED * len(running):
        return None
    for revision in _revisions(facts, owner):
        since = parse_time(revision.get("created"))
        if since is None or not facts.at - LEAD <= since <= facts.at + LATE:
            continue
        lines = [str(c) for c in revision.get("changes") or []]
        kinds = list(dict.fromkeys(k for k in (concentrating(ln) for ln in lines) if k))
        if not kinds:
            continue
        placed = [p for p in on_node if _placed_by(revision, p, since)]
        if len(placed) < MIN_PILE:
            return None  # the pile is older than the placement change: it did not make it
        ref = Ref(str(owner.get("kind")), str(owner.get("namespace")), str(owner.get("name")))
        constraint = _describe(kinds, owner.get("spec") or {}, owner.get("targets") or {}, node, lines)
        others = {p.get("node") for p in running if p.get("node") != node}
        return Pileup(node, ref, len(on_node), len(running), len(others), node_count,
                      int(revision.get("revision") or 0), since, constraint,
                      [ln for ln in lines if concentrating(ln)][:3], _used(facts, entry, ref),
                      [str(e) for e in owner.get("evidence") or []], memory=_used(facts, entry, ref, "memory"))
    return None


def finding(p: Pileup, at: datetime) -> dict[str, Any]:
    """The owner's finding: how many replicas on the same node, the placement change, and what it does there."""
    ago = minutes_text(max(0, int((at - p.changed_at).total_seconds() // 60)))
    spread = f"none on the other {p.nodes - 1} nodes" if not p.other_nodes else \
        f"only {p.total - p.on_node} on the other {p.nodes - 1} nodes"
    use = [f"{p.cores:.1f} CPU cores" if p.cores else "", f"{p.memory / 2**30:.1f} GiB of memory" if p.memory else ""]
    cpu = f", together using {' and '.join(u for u in use if u)}" if any(use) else ""
    among = f" ({', '.join(str(v) for v in p.victims)} among them)" if p.victims else ""
    message = (f"{p.owner} stacked {p.on_node} of its {p.total} replicas on the same node {p.node} ({spread}{cpu}): "
               f"its rollout {ago} before (revision {p.revision}) {p.constraint}. The scheduler packed the replicas "
               f"onto that one node, so it is overloaded (CPU, load) and every pod on it slows{among}. Relax the "
               f"constraint (preferred instead of required, restore the spread) or roll back revision {p.revision}")
    return {"check": CHECK, "severity": "critical", "reason": "PlacementPileup",
            "object": {"kind": p.owner.kind, "namespace": p.owner.namespace, "name": p.owner.name},
            "message": message,
            "evidence": [f"{p.on_node}/{p.total} replicas of {p.owner} on {p.node}", *p.lines],
            "details": {"node": p.node, "revision": p.revision, "on_node": p.on_node, "replicas": p.total},
            "since": p.changed_at.isoformat()}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The owner whose placement change stacked its replicas, explaining the node it stacked them on."""
    return [(p.owner, finding(p, facts.at), p.evidence, [Ref("Node", "", p.node), *p.victims]) for p in found(facts)]
