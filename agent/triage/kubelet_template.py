"""A node under pressure because the node template that launched it configures its kubelet that way.

The kubelet's own settings decide when a node runs out of something: `containerLogMaxSize` and
`containerLogMaxFiles` cap each container's log (10Mi x 5 by default: a chatty container's log grows without
bound when they are raised), `imageGCHighThresholdPercent` when unused images are collected, `evictionHard` and
`evictionSoft` at what free disk, memory or PIDs the kubelet starts evicting, `systemReserved`/`kubeReserved`
how much it keeps back, `maxPods` and `podPidsLimit` how much the pods may take. These settings are written by
what launches the node, not on the node: a Karpenter EC2NodeClass (`spec.kubelet`, or the `NodeConfig` /
bootstrap flags in its `userData`), a NodePool's `spec.template.spec.kubelet` (Karpenter v1beta1), a Cluster API
KubeadmConfigTemplate's `kubeletExtraArgs`, a GKE/AKS node pool's kubelet config (Config Connector
ContainerNodePool `nodeConfig.kubeletConfig`, ASO ManagedClustersAgentPool `kubeletConfig`; their nodes carry
the pool's cloud-side name in `cloud.google.com/gke-nodepool` / `kubernetes.azure.com/agentpool`), or kubeadm's
`kubelet-config` ConfigMap in kube-system that every joining node reads. A change there reaches only
the nodes launched after it, so the incident shows as one node (a new one) with DiskPressure, MemoryPressure or
PIDPressure and the kubelet evicting its pods, while the older nodes are fine, and the template edit (a day
before, by someone else) is nowhere near the page.

So when a node reports a pressure condition, was launched from a template (its provisioner labels name it)
written in the last three days before the node was created, and the template sets a kubelet key that governs
that pressure, the template is the cause and the node condition its effect. A template that sets no such key, a
node launched before the write, or an older node under the same pressure (then the template is not what
differs) is not named here.

The survey calls `read` (reading only, when the scan reports a node under pressure): the nodes, the change
history of three days, and the templates written in it. `found` is pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage.creation_template import NODE_TEMPLATE, made_by
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.kubelet_template"
WEIGHT = 0.95
"""Above the node's pressure finding (0.8) and the evictions it explains: the template's kubelet setting is what
to undo (and the nodes it launched what to replace)."""
RECORD = "kubelet_template"
LEAD = timedelta(hours=72)
HISTORY_WINDOW = "72h"
MAX_NODES = 3
MAX_TEMPLATES = 3

GOVERNS: dict[str, tuple[str, ...]] = {
    "DiskPressure": ("containerlogmaxsize", "containerlogmaxfiles", "imagegchighthresholdpercent",
                     "imagegclowthresholdpercent", "evictionhard", "evictionsoft", "evictionminimumreclaim"),
    "MemoryPressure": ("evictionhard", "evictionsoft", "systemreserved", "kubereserved", "maxpods"),
    "PIDPressure": ("podpidslimit", "evictionhard", "evictionsoft", "maxpods", "systemreserved", "kubereserved"),
}
"""Kubelet keys (normalized: lower case, no dashes or underscores) that decide when each pressure arrives."""
RESOURCE = {"DiskPressure": "ephemeral-storage", "MemoryPressure": "memory", "PIDPressure": "pids"}
"""What the kubelet evicts pods to reclaim under each pressure."""
MEANING = {
    "containerlogmaxsize": "log rotation no longer caps a container's log at the default 10Mi",
    "containerlogmaxfiles": "log rotation keeps more rotated files per container than the default 5",
    "imagegchighthresholdpercent": "image garbage collection starts later than the default 85% disk use",
    "imagegclowthresholdpercent": "image garbage collection frees less than by default",
    "evictionhard": "the kubelet's hard eviction thresholds changed",
    "evictionsoft": "the kubelet's soft eviction thresholds changed",
    "systemreserved": "the memory kept back for the system changed",
    "kubereserved": "the memory kept back for Kubernetes daemons changed",
    "maxpods": "more pods fit on each node than before",
    "podpidslimit": "each pod may start more processes",
}
EVICTED_ON = re.compile(r"node ([a-z0-9][a-z0-9.-]*[a-z0-9]) (?:was )?low on (?:resource: )?"
                        r"(ephemeral-storage|memory|pids)", re.I)
"""The scan's eviction wording naming the node and the resource (the pressure may have cleared since)."""
CONDITION_OF = {"ephemeral-storage": "DiskPressure", "memory": "MemoryPressure", "pids": "PIDPressure"}
FLAG = re.compile(r"--([a-z][a-z0-9-]+)[= ]([^\s'\"]+)")
"""A kubelet flag in bootstrap arguments (`--kubelet-extra-args '--container-log-max-size=2Gi'`)."""
FLAG_ALIASES = {"imagegchighthreshold": "imagegchighthresholdpercent",
                "imagegclowthreshold": "imagegclowthresholdpercent", "podmaxpids": "podpidslimit",
                "containerlogmaxsizemb": "containerlogmaxsize"}
"""Flags and cloud fields whose KubeletConfiguration field is spelled otherwise (AKS custom node config:
`imageGcHighThreshold`, `podMaxPids`, `containerLogMaxSizeMB`)."""
KUBELET_BLOCKS = ("kubelet", "kubeletextraargs", "kubeletconfiguration", "kubeletconfig")
"""Keys whose object holds kubelet settings: Karpenter `kubelet`, Cluster API `kubeletExtraArgs`, GKE
`nodeConfig.kubeletConfig` (Config Connector ContainerNodePool), AKS `kubeletConfig` (ASO agent pool)."""
POOL_LABELS = ("cloud.google.com/gke-nodepool", "kubernetes.azure.com/agentpool", "agentpool",
               "eks.amazonaws.com/nodegroup", "alpha.eksctl.io/nodegroup-name")
"""Node labels by which a managed cloud names the pool that launched the node (its cloud-side name)."""
KUBEADM_CONFIG = re.compile(r"^kubelet-config(?:-\d+\.\d+)?$")
"""kubeadm's cluster-wide KubeletConfiguration ConfigMap in kube-system (read by every node that joins)."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Launched:
    """A node under pressure launched from a template whose kubelet settings govern that pressure."""

    template: Ref
    change: dict[str, Any]
    node: str
    condition: str
    settings: list[tuple[str, str]]
    """(key as the template spells it, value) of the governing keys it sets."""
    launched: datetime
    finding: dict[str, Any]
    explains: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _norm(key: str) -> str:
    return re.sub(r"[-_]", "", key).lower()


def kubelet_settings(template: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Normalized key -> (key as written, value) of every kubelet setting a node template carries: `kubelet`
    objects anywhere in its spec (EC2NodeClass v1, NodePool v1beta1, KubeadmConfigTemplate `kubeletExtraArgs`), a
    NodeConfig or cloud-init YAML in a `userData` string, and kubelet flags in bootstrap arguments."""
    out: dict[str, tuple[str, str]] = {}

    def take(mapping: dict[str, Any]) -> None:
        for key, value in mapping.items():
            if isinstance(value, dict) and _norm(str(key)) in ("config", "kubeletconfiguration"):
                take(value)
            else:
                shown = json.dumps(value, separators=(",", ":")) if isinstance(value, (dict, list)) else str(value)
                out.setdefault(FLAG_ALIASES.get(_norm(str(key)), _norm(str(key))), (str(key), shown))

    def walk(node: Any, inside: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                word = _norm(str(key))
                if word in KUBELET_BLOCKS and isinstance(value, dict):
                    take(value)
                elif isinstance(value, str) and word in ("userdata", "bootstrapscript", "content", "data"):
                    text(value)
                else:
                    walk(value, inside)
        elif isinstance(node, list):
            for item in node:
                walk(item, inside)

    def text(value: str) -> None:
        for flag, val in FLAG.findall(value):
            out.setdefault(FLAG_ALIASES.get(_norm(flag), _norm(flag)), (f"--{flag}", val))
        for part in re.split(r"\n--[^\n]*\n", value):  # MIME parts of a multipart userData
            body = part.split("\n\n", 1)[-1] if "Content-Type" in part else part
            try:
                loaded = yaml.safe_load(body)
            except yaml.YAMLError:
                continue
            if isinstance(loaded, dict) and loaded.get("kind") == "KubeletConfiguration":
                take(loaded)
            elif isinstance(loaded, dict):
                walk(loaded)

    walk(template.get("spec") or {})
    if template.get("kind") == "ConfigMap":  # kubeadm's kubelet-config: data.kubelet is a KubeletConfiguration
        for value in (template.get("data") or {}).values():
            text(str(value))
    return out


def _kubeadm(template: Ref) -> bool:
    return template.kind == "ConfigMap" and template.namespace == "kube-system" and \
        KUBEADM_CONFIG.match(template.name) is not None


def launched_by(node: dict[str, Any], template: Ref, obj: dict[str, Any]) -> bool:
    """Whether the template launched the node: its provisioner labels name it (Karpenter, Cluster API), a managed
    cloud's pool label carries its name or the cloud-side name it declares (`resourceID`, `azureName`), or it is
    kubeadm's kubelet-config that every joining node reads."""
    if _kubeadm(template) or made_by(node, template):
        return True
    spec = obj.get("spec") or {}
    names = {template.name, str(spec.get("resourceID") or ""), str(spec.get("azureName") or "")} - {""}
    labels = ((node.get("metadata") or {}).get("labels") or {})
    return any(str(labels.get(k) or "") in names for k in POOL_LABELS)


def pressured_nodes(facts: Facts) -> list[tuple[str, str, dict[str, Any]]]:
    """(node, condition, finding) for every scan finding of a node under disk, memory or PID pressure, then for
    every eviction finding that names the node and the resource (the kubelet evicted, the condition may have
    cleared since)."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    evictions: list[tuple[str, str, dict[str, Any]]] = []
    for finding in facts.findings():
        ref = Ref.of(finding.get("object"))
        condition = str(finding.get("reason") or "")
        if ref is not None and ref.kind == "Node" and condition in GOVERNS:
            if not any(n == ref.name and c == condition for n, c, _ in out):
                out.append((ref.name, condition, finding))
            continue
        text = " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])])
        evictions += [(m.group(1), CONDITION_OF[m.group(2).lower()], finding) for m in EVICTED_ON.finditer(text)]
    for name, condition, finding in evictions:
        if not any(n == name and c == condition for n, c, _ in out):
            out.append((name, condition, finding))
    return out[:MAX_NODES]


def _template_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Writes of node-template kinds within the lead, the newest per template."""
    out: dict[Ref, tuple[dict[str, Any], str, Ref]] = {}
    for change, eid in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or not (NODE_TEMPLATE.search(target.kind) or _kubeadm(target)) or \
                target.kind == "Node" or at is None \
                or change.get("type") == "deleted" or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        if target not in out or str(change.get("at")) > str(out[target][0].get("at")):
            out[target] = (change, eid, target)
    return sorted(out.values(), key=lambda w: str(w[0].get("at")), reverse=True)[:MAX_TEMPLATES]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a node is under pressure: the nodes (all, to compare), three days of changes and the
    node templates written in them."""
    pressured = pressured_nodes(facts)
    if not pressured:
        return
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-kubelet-template-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    writes = _template_writes(facts)
    if not writes:
        return
    kept: dict[str, Any] = {"objects": {}, "evidence": {}}
    facts.reads[RECORD] = kept
    for name, _, _ in pressured:
        got = await get_yaml(call, "Node", name, "", f"survey-kubelet-template-node-{name}")
        if got is not None:
            kept["objects"][f"Node {name}"], kept["evidence"][f"Node {name}"] = got
    for _, _, template in writes:
        got = await get_yaml(call, template.kind, template.name, template.namespace,
                             f"survey-kubelet-template-{template.kind.lower()}-{template.name}")
        if got is not None:
            kept["objects"][str(template)], kept["evidence"][str(template)] = got


def _evicted_workloads(facts: Facts, node: str) -> list[Ref]:
    """The workloads whose eviction findings name the node."""
    out: list[Ref] = []
    for finding in facts.findings():
        text = " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])])
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if owner is None or owner.kind == "Node" or node not in text or "evict" not in text.lower():
            continue
        if not any(owner.same_object(o) for o in out):
            out.append(owner)
    return out


def found(facts: Facts) -> list[Launched]:
    """Each pressured node launched after a template write whose kubelet settings govern that pressure."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    pressured = pressured_nodes(facts)
    out: list[Launched] = []
    for name, condition, node_finding in pressured:
        node = objects.get(f"Node {name}")
        created = parse_time(((node or {}).get("metadata") or {}).get("creationTimestamp"))
        if node is None or created is None:
            continue
        for change, eid, template in _template_writes(facts):
            written = parse_time(change.get("at"))
            obj = objects.get(str(template))
            if obj is None or written is None or not written <= created or not launched_by(node, template, obj):
                continue
            settings = kubelet_settings(obj)
            governing = [(settings[k][0], settings[k][1]) for k in GOVERNS[condition] if k in settings]
            if not governing:
                continue
            if any(n != name and c == condition and (p := parse_time(((objects.get(f"Node {n}") or {})
                   .get("metadata") or {}).get("creationTimestamp"))) is not None and p < written
                   for n, c, _ in pressured):
                continue  # an older node is under the same pressure: the template is not what differs
            ids = [eid, evidence.get(str(template), ""), evidence.get(f"Node {name}", "")]
            out.append(Launched(template, change, name, condition, governing, created, node_finding,
                                [Ref("Node", "", name), *_evicted_workloads(facts, name)],
                                [i for i in dict.fromkeys(ids) if i]))
            break
    return out


def finding(launched: Launched, at: datetime) -> dict[str, Any]:
    """The template's finding, its meaning first (the headline is cut): the kubelet keys it sets and what they
    mean, the node it launched after the write, the pressure and what the kubelet evicts."""
    written = parse_time(launched.change.get("at"))
    before = minutes_text(int((at - written).total_seconds() // 60)) if written else "recently"
    after = minutes_text(int((launched.launched - written).total_seconds() // 60)) if written else ""
    settings = "; ".join(f"{k} {v}" for k, v in launched.settings[:3])
    first = _norm(launched.settings[0][0].lstrip("-"))
    first = FLAG_ALIASES.get(first, first)
    meaning = MEANING.get(first, "the kubelet's limits changed")
    resource = RESOURCE[launched.condition]
    victims = ", ".join(str(r) for r in launched.explains[1:4])
    message = (f"{launched.template} sets the kubelet's {settings} for the nodes it launches: {meaning}. "
               f"Node {launched.node} (launched {after} after that write) reports {launched.condition}: the "
               f"kubelet evicts pods for {resource}" + (f" ({victims})" if victims else "") +
               f". {launched.template} was written {before} before the incident "
               f"({str(launched.change.get('summary') or '')[:120]}). Restore the kubelet setting on "
               f"{launched.template} and replace the nodes launched since")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": launched.template.kind, "namespace": launched.template.namespace,
                       "name": launched.template.name},
            "reason": "KubeletSettingFromTemplate", "message": message,
            "evidence": [settings, *(str(e) for e in (launched.finding.get("evidence") or [])[:2])],
            "details": {"node": launched.node, "condition": launched.condition, "settings": launched.settings,
                        "change_at": launched.change.get("at"), "launched": launched.launched.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The template whose kubelet setting put its node under pressure; it explains the node and the evicted."""
    return [(x.template, finding(x, facts.at), x.evidence, x.explains) for x in found(facts)]
