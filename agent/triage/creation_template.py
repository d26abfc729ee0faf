"""A cluster-scoped template that decides what NEW pods or nodes get was written: only what it made since fails.

A PriorityClass, a Karpenter NodePool or EC2NodeClass (AKSNodeClass, Provisioner), a Cluster API
MachineDeployment: their fields are read when a pod is admitted or a node is launched, never again. A write
to one leaves every running pod and node as it was and shows only on what is created after it, so the
incident looks like a new pod's or a new node's own trouble (a Pending Deployment, a node "since it came up",
a Redis restarting) and the template, edited hours before, is nowhere near the symptom. The way an engineer
finds it is the split: the victims were all created after the write (or carry what it now selects), their
older peers were not and are fine.

Five shapes of the split are read:
- pods: Pending pods created after a PriorityClass write whose admitted priority is the class's value, while
  the same workload's older pods run at another (a class made globalDefault, a value changed);
- interruptions: nodes the cloud reclaims (spot interruption, preemption events) that carry the capacity
  value the template's requirement now admits (karpenter.sh/capacity-type In [spot]), made by that template;
- connectivity: nodes the template launched after the write whose pods fail to connect while the same
  workloads' pods on older nodes do not (a security group or subnet selector changed).
- disk: nodes the template launched after a write to its root disk size (`blockDeviceMappings` volumeSize,
  `osDiskSizeGB`, `diskSizeGb`, `rootVolume`) have at most half the ephemeral-storage of the older nodes, and pods
  of a workload placed on them were evicted because the node's disk ran short since the write;
- size: Pending pods meant for the pool (its template labels match their node selector, or the provisioner's
  refusal names it) that request more CPU or memory than any instance its written size bound admits
  (Karpenter `instance-cpu Lt 9`, `instance-memory Lt 16384`, AKS `sku-cpu`): no instance type fits them, and
  the pool launches nothing for them whatever its limits leave.

The finding names the template, the field written and what it decides for new objects (template_meaning).
Reading only, and only when a template of those kinds was written within the last days. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, log_evidence, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod
from agent.triage.template_meaning import node_field, priority_meaning

CHECK = "change.creation_template"
WEIGHT = 0.92
"""A template write that exactly the objects created after it suffer from is the thing to undo: above the
victims' own symptoms (a Pending rollout, a restart) and the recreation of the victims themselves."""
READS = "creation_template"
HISTORY_WINDOW = "48h"
"""The history read when none that long was: the read other modules make with the same arguments (the survey
makes it once). Kept in this module's store, so other modules' view of the timeline is not widened by it."""
LEAD = timedelta(hours=72)
"""How long before the alert a template may have been written (nodes are replaced over hours); a longer history
read by another module counts."""

NODE_TEMPLATE = re.compile(r"node(?:pool|class|group|template|config)|provisioner|machine(?:deployment|set|pool|"
                           r"template)?|launchtemplate|instancegroup|agentpool", re.I)
"""Kinds whose objects decide what new nodes get (Karpenter, Cluster API, cloud operators)."""
POD_TEMPLATE = re.compile(r"^priorityclass$", re.I)
"""Kinds whose objects decide what new pods get at admission."""
INTERRUPTION = re.compile(r"interrupt|preempt|spot|reclaim|rebalance", re.I)
"""Node events of capacity taken back by the cloud (SpotInterrupted, `Disrupting Node: Interrupted`,
GCE `Preempted`, rebalance recommendations)."""
CAPACITY_KEY = re.compile(r"capacity-?type|capacitytype|lifecycle|spot|preemptible|scalesetpriority", re.I)
INTERRUPTIBLE = re.compile(r"^(?:spot|preemptible)$", re.I)
NETWORK_ERRORS = frozenset({"connection_timeout", "connection_refused", "no_route", "upstream_reset"})
"""Error classes of a connection the network did not carry."""
MAX_TEMPLATES = 2
MAX_PODS = 3
MAX_NODES = 6
MAX_PAIRS = 2

Call = Callable[..., Awaitable[Any]]


@dataclass
class Fit:
    """A template write and the objects created after it that suffer, against older ones that do not."""

    template: Ref
    change: dict[str, Any]
    written: str
    """The field written (`spec.securityGroupSelectorTerms`, `globalDefault`)."""
    meaning: str
    shape: str
    """What split: `pods`, `interruptions`, `size`, `disk` or `connectivity`."""
    victims: list[str]
    peers: list[str]
    explains: list[Ref]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _paths(change: dict[str, Any]) -> list[str]:
    """The written fields of a change line (`spec.securityGroupSelectorTerms = [...]` -> that path)."""
    out = []
    for line in change.get("diff") or []:
        head = re.split(r"\s*(?:=|:\s|->| written by )", str(line), maxsplit=1)[0].strip()
        if head:
            out.append(head)
    return out


def writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, str]]:
    """Writes to creation templates within the lead, newest first (a creation of one is not a write to it), from
    the survey's timeline, every longer history read, and this module's own."""
    out = []
    seen = {(str(c.get("at")), str(c.get("object"))) for c, _ in facts.every_change()}
    own = [(c, str(e)) for data, e in (facts.reads.get(READS) or {}).get("history") or []
           for c in data.get("changes") or [] if isinstance(c, dict)
           and (str(c.get("at")), str(c.get("object"))) not in seen]
    for change, evidence in [*facts.every_change(), *own]:
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        if change.get("type") == "created" or not (POD_TEMPLATE.search(target.kind)
                                                    or NODE_TEMPLATE.search(target.kind)):
            continue
        if target.kind.lower() == "node":
            continue
        out.append((change, target, evidence))
    out.sort(key=lambda w: str(w[0].get("at")), reverse=True)
    return out[:MAX_TEMPLATES]


def _created(obj: dict[str, Any]) -> datetime | None:
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp") or obj.get("created"))


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items()}


def made_by(node: dict[str, Any], template: Ref) -> bool:
    """Whether a node's provisioner labels name the template (`karpenter.sh/nodepool: default` for a NodePool,
    `karpenter.k8s.aws/ec2nodeclass` for an EC2NodeClass, `cluster.x-k8s.io/deployment-name`...)."""
    kind = template.kind.lower()
    for key, value in _labels(node).items():
        if value != template.name:
            continue
        word = key.split("/")[-1].lower().removesuffix("-name").replace("-", "")
        if word and (word in kind or kind in key.lower().replace("-", "")):
            return True
    return False


def _requirements(obj: Any) -> Iterator[dict[str, Any]]:
    """Every `{key, operator, values}` requirement anywhere in a template (NodePool, Provisioner, node affinity)."""
    if isinstance(obj, dict):
        if "key" in obj and isinstance(obj.get("values"), list):
            yield obj
        for value in obj.values():
            yield from _requirements(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _requirements(item)


def _minutes(facts: Facts, change: dict[str, Any]) -> int:
    at = parse_time(change.get("at"))
    return int((facts.at - at).total_seconds() // 60) if at else 0


def _pod_fit(facts: Facts, change: dict[str, Any], template: Ref, store: dict[str, Any]) -> Fit | None:
    """Pending pods created after a PriorityClass write at its value, older pods of their workloads at another."""
    cls = (store.get("templates") or {}).get(str(template))
    at = parse_time(change.get("at"))
    if not isinstance(cls, dict) or at is None or not isinstance(cls.get("value"), int):
        return None
    value, default = int(cls["value"]), bool(cls.get("globalDefault"))
    pods = [p for p in store.get("pods") or [] if isinstance(p, dict)]

    def priority(pod: dict[str, Any]) -> Any:
        return (pod.get("spec") or {}).get("priority")

    def admitted_here(pod: dict[str, Any]) -> bool:
        name = str((pod.get("spec") or {}).get("priorityClassName") or "")
        return priority(pod) == value and (name == template.name or (default and not name))
    victims = [p for p in pods if (p.get("status") or {}).get("phase") == "Pending" and admitted_here(p)
               and (_created(p) or at) > at]
    workloads = {(str((p.get("metadata") or {}).get("namespace")), workload_of_pod(str(p["metadata"]["name"])))
                 for p in victims}
    peers = [p for p in pods if (str((p.get("metadata") or {}).get("namespace")),
                                 workload_of_pod(str((p.get("metadata") or {}).get("name")))) in workloads
             and (created := _created(p)) is not None and created < at and priority(p) != value]
    old_pending = [p for p in pods if (p.get("status") or {}).get("phase") == "Pending" and (_created(p) or at) <= at
                   and (str((p.get("metadata") or {}).get("namespace")),
                        workload_of_pod(str((p.get("metadata") or {}).get("name")))) in workloads]
    if not victims or not peers or old_pending:
        return None  # the write is what the new pods differ by only when older ones run at another priority
    paths = _paths(change) or ["value"]
    written = next((p for p in paths if "globaldefault" in p.lower()), paths[0])
    names = [str(p["metadata"]["name"]) for p in victims]
    old = sorted({str(priority(p)) for p in peers})
    return Fit(template, change, written, priority_meaning(written, template.name, value, default), "pods",
               [f"{ns}/{n} (priority {value})" for ns, n in
                ((str(p["metadata"].get("namespace")), str(p["metadata"]["name"])) for p in victims)],
               [f"{p['metadata'].get('namespace')}/{p['metadata']['name']} (priority {', '.join(old)})"
                for p in peers],
               [Ref(_owner_kind(victims[0]), ns, wl) for ns, wl in sorted(workloads)] if names else [],
               _minutes(facts, change), list(store.get("evidence") or []))


def _owner_kind(pod: dict[str, Any]) -> str:
    owners = (pod.get("metadata") or {}).get("ownerReferences") or []
    kind = str(owners[0].get("kind")) if owners and isinstance(owners[0], dict) else ""
    return "Deployment" if kind in ("ReplicaSet", "") else kind


def _interruption_fit(facts: Facts, change: dict[str, Any], template: Ref, store: dict[str, Any]) -> Fit | None:
    """Nodes the cloud reclaims, made by the template, carrying the interruptible capacity its requirement admits."""
    obj = (store.get("templates") or {}).get(str(template))
    if not isinstance(obj, dict):
        return None
    admitted = {(str(r["key"]), str(v)) for r in _requirements(obj.get("spec") or {})
                if CAPACITY_KEY.search(str(r.get("key"))) and str(r.get("operator") or "In") == "In"
                for v in r.get("values") or [] if INTERRUPTIBLE.match(str(v))}
    nodes = {str((n.get("metadata") or {}).get("name")): n for n in store.get("nodes") or [] if isinstance(n, dict)}
    hit: dict[str, int] = {}
    for event in store.get("node_events") or []:
        if isinstance(event, dict) and INTERRUPTION.search(f"{event.get('reason')} {event.get('message')}"):
            # one interruption raises several events (a warning, then the termination): count the most of one
            hit[str(event.get("name"))] = max(hit.get(str(event.get("name")), 0), int(event.get("count") or 1))
    if not admitted or not hit or not any("requirement" in p.lower() or CAPACITY_KEY.search(p)
                                          for p in _paths(change) or ["requirements"]):
        return None  # a write to another field (disruption, limits) did not choose the capacity
    victims, others = [], []
    for name in hit:
        node = nodes.get(name)
        if node is None:
            continue
        labels = _labels(node)
        if made_by(node, template) and any(labels.get(k) == v for k, v in admitted):
            victims.append(name)
        else:
            others.append(name)
    if not victims or others:
        return None  # capacity taken back from nodes the requirement did not choose: not its doing
    peers = [n for n, node in nodes.items() if n not in hit and not any(_labels(node).get(k) == v for k, v in admitted)]
    key, value = sorted(admitted)[0]
    field_written = next((p for p in _paths(change) if "requirement" in p.lower() or CAPACITY_KEY.search(p)),
                         f"requirements {key}")
    _, meaning = node_field([key])
    on = [Ref("Pod", str(p.get("namespace")), str(p.get("name"))) for p in store.get("pod_rows") or []
          if isinstance(p, dict) and str(p.get("node")) in victims and (p.get("restarts") or 0) > 0]
    return Fit(template, change, f"{field_written} ({key} In [{value}])", meaning, "interruptions",
               [f"{n} ({key}={value}, interrupted {hit[n]}x)" for n in victims],
               [f"{n} ({_labels(nodes[n]).get(key, 'other capacity')})" for n in peers],
               [Ref("StatefulSet" if re.search(r"-\d+$", r.name) else "Deployment", r.namespace,
                    workload_of_pod(r.name)) for r in on],
               _minutes(facts, change), list(store.get("evidence") or []))


SIZE_KEY = re.compile(r"(?:instance|sku|machine)-?(?P<what>v?cpu|memory)$", re.I)
"""Node-template requirement keys that bound an instance's size (Karpenter's `karpenter.k8s.aws/instance-cpu`,
`instance-memory` in MiB, the Azure provider's `karpenter.azure.com/sku-cpu`, `sku-memory`)."""
MEMORY_UNITS = {"": 1 / 2**20, "k": 1e3 / 2**20, "ki": 1 / 2**10, "m": 1e6 / 2**20, "mi": 1.0, "g": 1e9 / 2**20,
                "gi": 2**10, "t": 1e12 / 2**20, "ti": 2**20}
"""A Kubernetes memory quantity's suffix, to MiB."""


def _cpu(quantity: Any) -> float | None:
    text = str(quantity or "").strip()
    if not text:
        return None
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def _mib(quantity: Any) -> float | None:
    found = re.fullmatch(r"([\d.]+)\s*([kKmMgGtT]i?)?", str(quantity or "").strip())
    if found is None:
        return None
    return float(found.group(1)) * MEMORY_UNITS[(found.group(2) or "").lower()]


def _size_ceilings(template: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """The most CPU (cores) and memory (MiB) an instance the template admits may have, each with its requirement
    (`Lt 9` admits at most 8; `In [2, 4, 8]` at most 8)."""
    out: dict[str, tuple[float, str]] = {}
    for r in _requirements(template.get("spec") or {}):
        named = SIZE_KEY.search(str(r.get("key") or ""))
        op = str(r.get("operator") or "")
        try:
            values = [float(v) for v in r.get("values") or []]
        except (TypeError, ValueError):
            continue
        if named is None or not values or op not in ("Lt", "In"):
            continue
        most = values[0] - (1 if named.group("what").lower() != "memory" else 0) if op == "Lt" else max(values)
        what = "memory" if named.group("what").lower() == "memory" else "cpu"
        rule = f"{r['key']} {op} {', '.join(str(v) for v in r.get('values') or [])}"
        if what not in out or most < out[what][0]:
            out[what] = (most, rule)
    return out


def _meant_for(finding: dict[str, Any], template: Ref, obj: dict[str, Any]) -> bool:
    """Whether a Pending finding's pods are meant for the template's nodes: their node selector is a subset of the
    labels its nodes get, or the provisioner's refusal names it (`incompatible with nodepool "x"`)."""
    details = finding.get("details") or {}
    selector = details.get("node_selector") if isinstance(details.get("node_selector"), dict) else {}
    labels = ((((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {})
    if selector and isinstance(labels, dict) and all(str(labels.get(k)) == str(v) for k, v in selector.items()):
        return True
    text = " ".join(str(e) for e in [finding.get("message"), *(finding.get("evidence") or [])])
    return bool(re.search(rf"{template.kind}\W+{re.escape(template.name)}\b", text, re.I))


def _size_fit(facts: Facts, change: dict[str, Any], template: Ref, store: dict[str, Any]) -> Fit | None:
    """Pending pods meant for the pool whose request exceeds every instance the written size bound admits."""
    obj = (store.get("templates") or {}).get(str(template))
    if not isinstance(obj, dict) or not any("requirement" in p.lower() or SIZE_KEY.search(p)
                                            for p in _paths(change) or ["requirements"]):
        return None
    ceilings = _size_ceilings(obj)
    if not ceilings:
        return None
    victims, rules, explains = [], [], []
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        requests = (finding.get("details") or {}).get("requests") or {}
        if finding.get("check") != "pod.pending" or owner is None or not isinstance(requests, dict) \
                or not _meant_for(finding, template, obj):
            continue
        wants = {"cpu": _cpu(requests.get("cpu")), "memory": _mib(requests.get("memory"))}
        over = [(what, want, ceilings[what]) for what, want in wants.items()
                if want is not None and what in ceilings and want > ceilings[what][0]]
        if not over:
            continue
        what, want, (most, rule) = over[0]
        unit = "" if what == "cpu" else " MiB"
        victims.append(f"{owner} (each pod requests {want:g}{unit} {what}; {rule} admits at most {most:g}{unit})")
        rules.append(rule)
        explains.append(owner)
    if not victims:
        return None  # every Pending pod meant for the pool fits an instance it admits: the bound is not the cause
    field_written = next((p for p in _paths(change) if "requirement" in p.lower()), "requirements")
    meaning = (f"nodes launched since are at most the size {rules[0]} admits, so no instance type it admits fits a "
               "pod that requests more: the provisioner launches nothing for those pods and they stay Pending")
    return Fit(template, change, f"{field_written} ({rules[0]})", meaning, "size", victims,
               [], explains, _minutes(facts, change), list(store.get("evidence") or []))


DISK_FIELD = re.compile(r"block-?device|volume-?size|root-?volume|os-?disk|disk-?size|ephemeral|storage", re.I)
"""Template fields that size a new node's root disk (Karpenter `blockDeviceMappings[].ebs.volumeSize`, AKS
`osDiskSizeGB`, GKE `diskSizeGb`, Cluster API `rootVolume.size`)."""
STORAGE_EVICTION = re.compile(r"low on resource: (?:ephemeral-storage|nodefs|imagefs)|condition: \[DiskPressure\]",
                              re.I)
"""How the kubelet words an eviction because the NODE's disk ran short (not a pod over its own limit, which a
larger disk would not have spared)."""
SHRUNK = 0.5
"""A new node's ephemeral-storage capacity at most this share of the older nodes' is a smaller root disk."""


def _storage(node: dict[str, Any]) -> float | None:
    """A node's ephemeral-storage capacity in MiB (the size of the filesystem the kubelet gives pods)."""
    status = node.get("status") or {}
    return _mib((status.get("capacity") or status.get("allocatable") or {}).get("ephemeral-storage"))


def _smaller_disks(store: dict[str, Any], template: Ref, since: datetime) -> tuple[float, dict[str, float]]:
    """The older nodes' largest ephemeral-storage (MiB) and, by name, the nodes the template launched after `since`
    with at most SHRUNK of it: shared by the read (whether evictions are worth reading) and the disk shape."""
    nodes = [n for n in store.get("nodes") or [] if isinstance(n, dict)]
    old = [s for n in nodes if (_created(n) or since) < since and (s := _storage(n))]
    new = {str((n.get("metadata") or {}).get("name")): s for n in nodes if made_by(n, template)
           and (_created(n) or since) > since and (s := _storage(n))}
    if not old:
        return 0.0, {}
    usual = max(old)
    return usual, {name: size for name, size in new.items() if size <= usual * SHRUNK}


def _disk_fit(facts: Facts, change: dict[str, Any], template: Ref, store: dict[str, Any]) -> Fit | None:
    """Nodes the template launched after a write to its disk size have much less ephemeral storage than the
    older nodes, and pods of a workload that runs on them were evicted for node-local storage since the write:
    what fit on an old node's disk does not fit a new one's."""
    paths = _paths(change)
    if not any(DISK_FIELD.search(p) for p in paths):
        return None  # a write to another field did not size the disks
    since = parse_time(change.get("at"))
    if since is None:
        return None
    usual, small = _smaller_disks(store, template, since)
    if not small:
        return None  # no node launched since, or their disks are as large as the older ones': not a smaller disk
    placed = {(str(r.get("namespace")), workload_of_pod(str(r.get("name")))) for r in store.get("pod_rows") or []
              if isinstance(r, dict) and str(r.get("node")) in small}
    victims, explains = [], []
    for e in store.get("pod_events") or []:
        at = parse_time(e.get("last_seen")) or parse_time(e.get("first_seen"))
        key = (str(e.get("namespace")), workload_of_pod(str(e.get("name"))))
        if not isinstance(e, dict) or str(e.get("reason")) != "Evicted" or at is None or at < since \
                or not STORAGE_EVICTION.search(str(e.get("message") or "")) or key not in placed:
            continue
        owner = Ref("StatefulSet" if re.search(r"-\d+$", str(e.get("name"))) else "Deployment", *key)
        if owner not in explains:
            explains.append(owner)
            victims.append(f"{owner} evicted for ephemeral-storage ({str(e.get('message'))[:120]})")
    if not victims:
        return None  # nothing was evicted for local disk since: the smaller disk hurts no one yet
    field_written = next(p for p in paths if DISK_FIELD.search(p))
    name, size = sorted(small.items(), key=lambda kv: kv[1])[0]
    meaning = (f"nodes launched since get a smaller root disk: {name} has {size / 1024:.0f}Gi of ephemeral-storage "
               f"against {usual / 1024:.0f}Gi on the older nodes, so pods that write to emptyDir or their writable "
               "layer run out of node disk there and the kubelet evicts them")
    return Fit(template, change, field_written, meaning, "disk", victims,
               [f"older nodes ({usual / 1024:.0f}Gi of ephemeral-storage)"], explains, _minutes(facts, change),
               list(store.get("evidence") or []))


def _connectivity_fit(facts: Facts, change: dict[str, Any], template: Ref, store: dict[str, Any]) -> Fit | None:
    """Nodes the template launched after its write whose pods cannot connect, where the same workloads' pods on
    older nodes can."""
    pairs = [p for p in store.get("pairs") or [] if isinstance(p, dict) and p.get("template") == str(template)]
    failing = [p for p in pairs if p.get("new_errors") and not p.get("old_errors")]
    if not failing or any(p.get("old_errors") for p in pairs):
        return None  # old nodes' pods fail alike: not the new nodes' difference
    written, meaning = node_field(_paths(change))
    victims = sorted({f"{p['new_errors'][0]} from {p['new_node']} (launched {p['new_created']})" for p in failing})
    peers = sorted({f"{p['old_node']} (the same workload connects)" for p in failing})
    return Fit(template, change, written, meaning, "connectivity", victims, peers,
               [Ref("Node", "", str(p["new_node"])) for p in failing]
               + [Ref("Deployment", str(p["namespace"]), workload_of_pod(str(p["new_pod"]))) for p in failing],
               _minutes(facts, change),
               list(store.get("evidence") or []) + [str(e) for p in failing for e in p.get("evidence") or []])


def found(facts: Facts) -> list[Fit]:
    """Each template write whose victims are exactly what it made since (see the module's three shapes)."""
    store = facts.reads.get(READS) or {}
    out = []
    for change, template, evidence in writes(facts):
        checks = [_pod_fit] if POD_TEMPLATE.search(template.kind) else [_size_fit, _interruption_fit, _disk_fit,
                                                                           _connectivity_fit]
        for check in checks:
            fit = check(facts, change, template, store)
            if fit is not None:
                fit.evidence = list(dict.fromkeys([evidence, *fit.evidence]))
                out.append(fit)
                break
    return out


def _first(items: list[str]) -> str:
    """The first of a list and how many more: the headline has room for one of each side."""
    return items[0] + (f" and {len(items) - 1} more" if len(items) > 1 else "") if items else ""


def finding(f: Fit) -> dict[str, Any]:
    """The suspect: the template and its write, the split that shows it (first: the headline is cut), then what
    the field means for new objects."""
    if f.shape == "size":
        message = (f"{f.template} written {minutes_text(f.minutes_before)} before the alert ({f.written}): "
                   f"{f.meaning}. Pending for it: {_first(f.victims)}. Raise or remove the size bound on "
                   f"{f.template} (or move the pods to a pool whose instances fit them).")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": f.template.kind, "namespace": f.template.namespace, "name": f.template.name},
                "reason": "CreationTemplateWrite", "message": message, "evidence": f.victims[:3],
                "details": {"change_at": f.change.get("at"), "field": f.written, "shape": f.shape,
                            "victims": f.victims, "peers": f.peers}}
    what = {"pods": "pods created since", "interruptions": "nodes of that capacity",
            "connectivity": "nodes launched since", "disk": "workloads on nodes launched since"}[f.shape]
    values = "; ".join(str(d) for d in (f.change.get("diff") or [])[:1])[:80]
    message = (f"{f.template} written {minutes_text(f.minutes_before)} before the alert ({values or f.written}): "
               f"{f.meaning}. Only {what} fail: {_first(f.victims)}; older ones are fine: "
               f"{_first(f.peers) or 'none hit'}. Revert {f.written} on {f.template}, then replace what it made since.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": f.template.kind, "namespace": f.template.namespace, "name": f.template.name},
            "reason": "CreationTemplateWrite", "message": message, "evidence": f.victims[:3],
            "details": {"change_at": f.change.get("at"), "field": f.written, "shape": f.shape,
                        "victims": f.victims, "peers": f.peers}}


def _rows(outcome: Any, key: str) -> list[dict[str, Any]]:
    data = outcome.data if outcome is not None and outcome.ok and isinstance(outcome.data, dict) else {}
    return [r for r in data.get(key) or [] if isinstance(r, dict)]


async def read(facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a creation template was written within the lead: the template, then what its split
    needs (the pods created since and their workloads' older pods; the nodes, their interruption events, and the
    logs of a pod on a node launched since beside the same workload's pod on an older one)."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {"templates": {}, "evidence": []})
    if not facts.history_reaches(timedelta(hours=48)):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-shared-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            store["history"] = [[got.data, got.evidence_id]]
    found_writes = writes(facts)
    if not found_writes:
        return
    pods = await call("k8s_list", {"kind": "pods"}, "survey-node-split-pods")
    store["pod_rows"] = _rows(pods, "rows")
    for change, template, _ in found_writes:
        got = await get_yaml(call, template.kind, template.name, template.namespace,
                             f"survey-template-{template.kind.lower()}-{template.name}")
        if got is None:
            continue
        store["templates"][str(template)] = got[0]
        store["evidence"].append(got[1])
        since = parse_time(change.get("at"))
        if since is None:
            continue
        if POD_TEMPLATE.search(template.kind):
            await _read_pods(store, since, call)
        else:
            await _read_nodes(store, template, since, call)


async def _read_pods(store: dict[str, Any], since: datetime, call: Call) -> None:
    """The Pending pods created after the write and their workloads' older running pods, each as an object."""
    rows = store.get("pod_rows") or []
    pending = [r for r in rows if r.get("status") == "Pending" and (parse_time(r.get("created")) or since) > since]
    workloads = {(r.get("namespace"), workload_of_pod(str(r.get("name")))) for r in pending}
    older = [r for r in rows if (r.get("namespace"), workload_of_pod(str(r.get("name")))) in workloads
             and r.get("status") == "Running" and (parse_time(r.get("created")) or since) < since]
    old_pending = [r for r in rows if (r.get("namespace"), workload_of_pod(str(r.get("name")))) in workloads
                   and r.get("status") == "Pending" and (parse_time(r.get("created")) or since) <= since]
    store.setdefault("pods", [])
    for row in pending[:MAX_PODS] + older[:2] + old_pending[:1]:
        got = await get_yaml(call, "Pod", str(row["name"]), str(row.get("namespace") or ""),
                             f"survey-template-pod-{row['name']}")
        if got is not None:
            got[0].setdefault("metadata", {}).setdefault("creationTimestamp", row.get("created"))
            store["pods"].append(got[0])
            store["evidence"].append(got[1])


async def _read_nodes(store: dict[str, Any], template: Ref, since: datetime, call: Call) -> None:
    """The nodes (labels, creation), the nodes' interruption events, and for nodes the template launched after the
    write, a pod there and the same workload's pod on an older node: their logs."""
    listed = await call("k8s_nodes", {}, "survey-node-split-nodes")
    rows = _rows(listed, "nodes")
    events = await call("k8s_events", {"kind": "Node"}, "survey-template-node-events")
    store["node_events"] = _rows(events, "events")
    interrupted = {str(e.get("name")) for e in store["node_events"] if INTERRUPTION.search(
        f"{e.get('reason')} {e.get('message')}")}
    ordered = sorted(rows, key=lambda r: (str(r.get("name")) not in interrupted,
                                          (parse_time(r.get("created")) or since) <= since))
    known = {str((n.get("metadata") or {}).get("name")) for n in store.setdefault("nodes", [])}
    for row in ordered[:MAX_NODES]:
        if str(row.get("name")) in known:
            continue
        got = await get_yaml(call, "Node", str(row["name"]), "", f"survey-template-node-{row['name']}")
        if got is not None:
            store["nodes"].append(got[0])
            store["evidence"].append(got[1])
    if events is not None and events.ok:
        store["evidence"].append(events.evidence_id)
    await _read_evictions(store, template, since, call)
    await _read_pairs(store, template, since, call)


async def _read_evictions(store: dict[str, Any], template: Ref, since: datetime, call: Call) -> None:
    """The pods' warning events, only when a node the template launched after the write has much less
    ephemeral storage than an older node (the disk shape's evictions)."""
    if "pod_events" in store or not _smaller_disks(store, template, since)[1]:
        return
    got = await call("k8s_events", {"kind": "Pod", "warnings_only": True}, "survey-template-pod-events")
    store["pod_events"] = _rows(got, "events")
    if got is not None and got.ok:
        store["evidence"].append(got.evidence_id)


async def _log_errors(call: Call, row: dict[str, Any], ns: str) -> tuple[list[str], str]:
    """The network error classes of one pod's recent logs (each with the hosts its errors name), and the read's
    evidence id."""
    got = await call("k8s_logs", {"name": row["name"], "namespace": ns, "tail": 200},
                     f"survey-template-logs-{row['name']}")
    if got is None or not got.ok or not isinstance(got.data, dict):
        return [], ""
    ev = log_evidence(got.data, got.evidence_id)
    if ev is None or not ev.error_classes & NETWORK_ERRORS:
        return [], got.evidence_id
    named = sorted(ev.hosts, key=lambda h: bool(re.fullmatch(r"[\d.:\[\]]+", h)))  # a name says more than its IP
    hosts = f" to {named[0]}" if named else ""
    return [f"{c}{hosts}" for c in sorted(ev.error_classes & NETWORK_ERRORS)], got.evidence_id


async def _read_pairs(store: dict[str, Any], template: Ref, since: datetime, call: Call) -> None:
    """For nodes the template launched after the write: a pod there of each workload that also runs on an older
    node (at most MAX_PODS + 1 read), and for those whose calls fail, that older pod's logs (MAX_PAIRS)."""
    nodes = [n for n in store.get("nodes") or [] if isinstance(n, dict)]
    new = {str(n["metadata"]["name"]): n for n in nodes if made_by(n, template) and (_created(n) or since) > since}
    old = {str(n["metadata"]["name"]) for n in nodes if (_created(n) or since) < since}
    if not new or not old:
        return
    by_workload: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in store.get("pod_rows") or []:
        if row.get("status") == "Running":
            by_workload.setdefault((str(row.get("namespace")), workload_of_pod(str(row.get("name")))), []).append(row)
    pairs = store.setdefault("pairs", [])
    compared = tried = 0
    for (ns, _), members in sorted(by_workload.items()):
        there = next((r for r in members if str(r.get("node")) in new), None)
        elsewhere = next((r for r in members if str(r.get("node")) in old), None)
        if there is None or elsewhere is None:
            continue
        tried += 1
        if tried > MAX_PODS + 1:
            return
        new_errors, new_evidence = await _log_errors(call, there, ns)
        if not new_errors:
            continue
        old_errors, old_evidence = await _log_errors(call, elsewhere, ns)
        node = new[str(there["node"])]
        pairs.append({"template": str(template), "namespace": ns, "new_pod": str(there["name"]),
                      "new_node": str(there["node"]), "new_created": str(node["metadata"].get("creationTimestamp")),
                      "old_pod": str(elsewhere["name"]), "old_node": str(elsewhere["node"]),
                      "new_errors": new_errors, "old_errors": old_errors,
                      "evidence": [e for e in (new_evidence, old_evidence) if e]})
        compared += 1
        if compared >= MAX_PAIRS:
            return
