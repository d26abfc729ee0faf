"""An extended resource no node advertises any more: the device plugin DaemonSet that advertised it runs nowhere.

A GPU, an FPGA, an RDMA or SR-IOV device is schedulable only as an extended resource (`nvidia.com/gpu`,
`amd.com/gpu`, `rdma/hca_shared_devices_a`, `intel.com/sriov_netdevice`), and a node has one only while a device
plugin runs on it: the plugin (a DaemonSet pod that mounts the kubelet's `/var/lib/kubelet/device-plugins` socket
directory) registers with the kubelet and lists the devices. When the plugin's pod leaves the node, the kubelet
keeps the resource's `capacity` but sets its `allocatable` to 0; pods that request it stay Pending with
`FailedScheduling: 0/N nodes are available: K Insufficient nvidia.com/gpu`. The GPU nodes are Ready, the plugin
DaemonSet's own status is clean (desired = scheduled = 0), so no check fires: the cause is the DaemonSet's
placement (a nodeSelector on a node-feature-discovery label the nodes do not carry, a required affinity, a
toleration dropped for the GPU nodes' taint), usually from a chart bump.

So: a pod Pending on `Insufficient <extended resource>` (a scan finding or a FailedScheduling event of the
incident's namespace); nodes that have the resource in `capacity` but 0 `allocatable` (or carry the vendor's
labels and advertise none); a device plugin DaemonSet (it mounts the device-plugins directory, its name or image
says device plugin, and it names the resource's vendor) that the scheduler would not place on those nodes
(node_daemonsets.excluded: taint, nodeSelector, affinity); and a write of that placement field (the DaemonSet's
managedFields, the timeline, or a rollout revision whose diff touched it) within `LEAD`. The finding names the
DaemonSet and says what it means first. Twins: nodes whose allocatable still has the resource (all in use: a
capacity question), a plugin written recently that still runs on the nodes, a plugin that never targeted them,
a Pending on cpu or memory.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import node_daemonsets
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "device_plugin.not_advertised"
WEIGHT = 0.94
"""Above the Pending pod's own finding and a bare write to the DaemonSet: the nodes' allocatable and the
DaemonSet's placement show why nothing can be scheduled."""
STORE = "device_advertiser"
LEAD = timedelta(days=2)
MAX_NODES = 16
MAX_DAEMONSETS = 30
PLUGIN_DIR = "/var/lib/kubelet/device-plugins"
"""Where the kubelet's device-plugin registration socket lives: every device plugin mounts it."""
_INSUFFICIENT = re.compile(r"insufficient ([a-z0-9][a-z0-9.-]*\.[a-z]+/[A-Za-z0-9._-]+|[a-z0-9]+/[A-Za-z0-9._-]+)",
                           re.I)
"""`Insufficient nvidia.com/gpu`: only a resource with a domain prefix (cpu, memory, pods, hugepages-* have none)."""
LABEL_SOURCES = (("feature.node.kubernetes.io/", "node-feature-discovery"),
                 ("nvidia.com/", "NVIDIA GPU feature discovery"), ("amd.com/", "AMD node labeller"))
"""Who sets a node label of this prefix: a selector on it needs that labeller to have run on the node."""
_FIELDS = ("nodeSelector", "affinity", "tolerations")
Call = Callable[..., Awaitable[Any]]


@dataclass
class Unadvertised:
    """A device plugin DaemonSet a written placement keeps off the nodes that had its resource."""

    daemonset: Ref
    resource: str
    nodes: list[str]
    """Nodes with the resource in capacity and 0 allocatable (or the vendor's labels and no resource)."""
    why: str
    scheduled: int
    pending: str
    """The Pending pod's scheduler message (or the scan finding's), shortened."""
    explains: list[Ref]
    written_by: str
    written_at: datetime
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _quantity(value: Any) -> int:
    try:
        return int(str(value if value is not None else "0").strip() or 0)
    except ValueError:
        return 0


_GENERIC = frozenset({"gpu", "gpus", "com", "io", "ai", "org", "net", "dev", "device", "devices", "shared",
                      "resource", "resources", "k8s", "x-k8s", "sigs"})
"""Words of an extended resource's name that say no vendor or device family: a plugin naming them is not this one's."""


_ARCH = re.compile(r"(?<![a-z0-9])(?:amd64|arm64|x86_64|ppc64le|s390x)(?![a-z0-9])")


def _words(resource: str) -> set[str]:
    """The words a resource's own plugin carries in its name, image or tolerations: the vendor of its domain
    (`nvidia.com/gpu` -> nvidia, `gpu.intel.com/i915` -> intel, not gpu) and the device family in its name
    (`intel.com/intel_sriov_netdevice` -> sriov, `aws.amazon.com/neuron` -> neuron, `rdma/hca_shared_devices_a` ->
    rdma)."""
    domain, _, name = resource.lower().partition("/")
    labels = [w for w in domain.split(".") if w]
    vendor = [w for w in labels[:-1] or labels if w not in _GENERIC][-1:]
    family = [w for w in re.split(r"[^a-z0-9]+", name) if len(w) >= 4 and w not in _GENERIC and not w.isdigit()]
    return {*vendor, *family} - _GENERIC


def _pending(subject: Subject, facts: Facts) -> list[tuple[str, str, Ref | None]]:
    """(resource, message, the workload that waits) for each Pending on an extended resource the incident shows."""
    out: list[tuple[str, str, Ref | None]] = []
    for f in facts.findings():
        text = f"{f.get('message')} {' '.join(str(e) for e in f.get('evidence') or [])}"
        m = _INSUFFICIENT.search(text)
        if m:
            out.append((m.group(1).lower().rstrip("."), str(f.get("message") or "")[:240], Ref.of(f.get("object"))))
    for e in (facts.reads.get(STORE) or {}).get("events") or []:
        m = _INSUFFICIENT.search(str(e.get("message") or "")) if e.get("reason") == "FailedScheduling" else None
        if m:
            out.append((m.group(1).lower().rstrip("."), str(e.get("message"))[:240], None))  # "...gpu." ends a sentence
    return out


_UNPLACED = re.compile(r"\bPending\b|FailedScheduling|Unschedulable|nodes are available", re.I)


def _unplaced(subject: Subject, facts: Facts) -> bool:
    """Whether the scan shows a pod of the subject's namespace waiting for a node (its reason not yet read): only
    then are that namespace's warning events worth a read, which every other incident would carry for nothing."""
    for f in facts.findings():
        obj = f.get("object") or {}
        text = f"{f.get('check')} {f.get('reason')} {f.get('message')}"
        if str(obj.get("namespace") or "") == subject.namespace and _UNPLACED.search(text):
            return True
    return False


def is_plugin(ds: dict[str, Any]) -> bool:
    """A device plugin: mounts the kubelet's device-plugins directory, or says so in its name or image."""
    pod = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    text = " ".join([str((ds.get("metadata") or {}).get("name") or "")] +
                    [str(c.get("image") or "") for c in pod.get("containers") or [] if isinstance(c, dict)])
    mounts = [str(m.get("mountPath") or "") for c in pod.get("containers") or [] if isinstance(c, dict)
              for m in c.get("volumeMounts") or [] if isinstance(m, dict)]
    paths = [str((v.get("hostPath") or {}).get("path") or "") for v in pod.get("volumes") or [] if isinstance(v, dict)]
    return any(p.rstrip("/").endswith(PLUGIN_DIR) for p in mounts + paths) or "device-plugin" in text.lower()


def _names_vendor(ds: dict[str, Any], resource: str) -> bool:
    pod = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    text = f"{(ds.get('metadata') or {}).get('name')} {[c.get('image') for c in pod.get('containers') or []]} " \
           f"{[t.get('key') for t in pod.get('tolerations') or [] if isinstance(t, dict)]}"
    low = _ARCH.sub(" ", text.lower())  # `sriov-device-plugin-amd64` says a CPU architecture, not AMD
    return resource in text or any(w in low for w in _words(resource))


def _placement_write(facts: Facts, ds_ref: Ref, ds: dict[str, Any], revisions: list[dict[str, Any]]
                     ) -> tuple[str, datetime] | None:
    """(who, when) of the newest write of the pod template's placement within LEAD: managedFields, the timeline's
    write whose diff names the field, or a rollout revision whose diff touched it."""
    best: tuple[str, datetime] | None = None

    def keep(by: str, at: datetime | None) -> None:
        nonlocal best
        if at is not None and timedelta(0) <= facts.at - at <= LEAD and (best is None or at > best[1]):
            best = (by, at)

    for entry in (ds.get("metadata") or {}).get("managedFields") or []:
        pod = ((((entry.get("fieldsV1") or {}).get("f:spec") or {}).get("f:template") or {}).get("f:spec") or {}) \
            if isinstance(entry, dict) else {}
        if any(f"f:{f}" in pod for f in _FIELDS):
            keep(str(entry.get("manager") or "a write"), parse_time(entry.get("time")))
    for change, _ in facts.every_change():
        ref = Ref.of(change.get("object"))
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if ref is not None and ref.same_object(ds_ref) and any(f in text for f in _FIELDS):
            keep(written_by(change) or "a write", parse_time(change.get("at")))
    for rev in revisions:
        if any(f in str(line) for line in rev.get("changes") or [] for f in _FIELDS):
            keep(f"revision {rev.get('revision')}", parse_time(rev.get("created")))
    if best is None:  # the write itself not recorded: the DaemonSet's own change (its controller deleting its pods
        for change, _ in facts.every_change():  # from nodes it no longer targets) dates it
            ref = Ref.of(change.get("object"))
            if ref is not None and ref.same_object(ds_ref):
                keep(written_by(change) or f"a change ({str(change.get('summary') or '')[:90]})",
                     parse_time(change.get("at")))
    return best


def _label_source(why: str) -> str:
    return next((f" (a {who} label)" for prefix, who in LABEL_SOURCES if prefix in why), "")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident shows a Pending on an extended resource: the nodes, the device plugin
    DaemonSets and their rollout history."""
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"events": [], "nodes": [], "daemonsets": [],
                                                           "revisions": {}, "evidence": []})
    if subject.namespace and not _pending(subject, facts) and _unplaced(subject, facts):
        got = await call("k8s_events", {"namespace": subject.namespace, "warnings_only": True},
                         "survey-device-advertiser-events")
        if got is not None and got.ok and isinstance(got.data, dict):
            store["events"] = [e for e in got.data.get("events") or [] if isinstance(e, dict)]
            store["evidence"].append(got.evidence_id)
    if not _pending(subject, facts):
        return
    listed = await call("k8s_nodes", {}, "survey-device-advertiser-nodes")
    rows = (listed.data or {}).get("nodes") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    for row in [r for r in rows if isinstance(r, dict) and r.get("name")][:MAX_NODES]:
        got = await get_yaml(call, "Node", str(row["name"]), "", f"survey-device-advertiser-node-{row['name']}")
        if got is not None:
            store["nodes"].append(got[0])
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": f"{int(LEAD.total_seconds() // 3600)}h"},
                         "survey-device-advertiser-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
    sets = await call("k8s_list", {"kind": "DaemonSet"}, "survey-device-advertiser-daemonsets")
    named = [(str(r.get("namespace") or ""), str(r.get("name"))) for r in ((sets.data or {}).get("rows") or []
             if sets is not None and sets.ok and isinstance(sets.data, dict) else []) if isinstance(r, dict)
             and r.get("name")][:MAX_DAEMONSETS]
    for ns, name in named:
        got = await get_yaml(call, "DaemonSet", name, ns, f"survey-device-advertiser-ds-{ns}-{name}")
        if got is None or not is_plugin(got[0]):
            continue
        got[0].setdefault("kind", "DaemonSet")
        store["daemonsets"].append(got)
        history = await call("k8s_rollout_history", {"kind": "DaemonSet", "name": name, "namespace": ns},
                             f"survey-device-advertiser-history-{ns}-{name}")
        if history is not None and history.ok and isinstance(history.data, dict):
            store["revisions"][f"{ns}/{name}"] = [r for r in history.data.get("revisions") or [] if isinstance(r, dict)]
            store["evidence"].append(history.evidence_id)


def pending(facts: Facts) -> list[tuple[str, str, Ref | None]]:
    """(resource, message, the workload that waits) for each Pending on an extended resource the incident shows."""
    return _pending(Subject(), facts)


def siblings(node: dict[str, Any], resource: str) -> dict[str, int]:
    """The node's other allocatable resources of the requested one's vendor domain with a positive count
    (`nvidia.com/mig-3g.20gb` beside `nvidia.com/gpu`): the vendor's plugin runs there and advertises."""
    domain = resource.split("/")[0] + "/"
    names = (node.get("status") or {}).get("allocatable") or {}
    return {str(k): n for k, v in names.items() if str(k).startswith(domain) and str(k) != resource
            and (n := _quantity(v)) > 0}


def allocatable(node: dict[str, Any], resource: str) -> int:
    """How many of the resource the node offers for scheduling now (0 when it advertises none)."""
    return _quantity(((node.get("status") or {}).get("allocatable") or {}).get(resource))


def _lost(nodes: list[dict[str, Any]], resource: str) -> list[dict[str, Any]]:
    """Nodes that had the resource and advertise none now: capacity > 0 with allocatable 0 (the kubelet keeps the
    capacity of a plugin that left), else, when no node advertises it at all, nodes labelled by its vendor. A node
    that advertises another resource of the vendor's domain is not lost: its plugin runs (a renamed resource,
    agent.triage.resource_renamed)."""
    nodes = [n for n in nodes if not siblings(n, resource)]

    def cap(n: dict[str, Any]) -> int:
        return _quantity(((n.get("status") or {}).get("capacity") or {}).get(resource))

    lost = [n for n in nodes if cap(n) > 0 and allocatable(n, resource) == 0]
    if lost or any(allocatable(n, resource) > 0 for n in nodes):
        return lost  # nodes that still advertise it are in use, not lost: the pods wait for capacity there
    vendor = resource.split("/")[0]
    return [n for n in nodes if any(str(k).startswith(vendor + "/") for k in
                                    ((n.get("metadata") or {}).get("labels") or {}))]


def found(facts: Facts, subject: Subject | None = None) -> list[Unadvertised]:
    """Each device plugin DaemonSet whose written placement keeps it off every node that had the resource."""
    store: dict[str, Any] = facts.reads.get(STORE) or {}
    nodes = [n for n in store.get("nodes") or [] if isinstance(n, dict)]
    out: list[Unadvertised] = []
    for resource, said, waiting in _pending(subject or Subject(), facts):
        if any(u.resource == resource for u in out):
            continue
        lost = _lost(nodes, resource)
        if not lost:
            continue
        for ds, evidence in store.get("daemonsets") or []:
            if not _names_vendor(ds, resource):
                continue
            meta = ds.get("metadata") or {}
            ref = Ref("DaemonSet", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            pod = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
            whys = [node_daemonsets.excluded(pod, n)[1] for n in lost]
            if not all(whys):
                continue  # it would run on one of them: not its placement
            write = _placement_write(facts, ref, ds, (store.get("revisions") or {}).get(f"{ref.namespace}/{ref.name}")
                                     or [])
            if write is None:
                continue  # it never targeted them, or long ago
            by, at = write
            out.append(Unadvertised(ref, resource, [str((n.get("metadata") or {}).get("name")) for n in lost],
                                    whys[0], int((ds.get("status") or {}).get("desiredNumberScheduled") or 0), said,
                                    [w for w in (waiting,) if w is not None], by, at,
                                    int((facts.at - at).total_seconds() // 60),
                                    [e for e in (evidence, *(store.get("evidence") or [])) if e]))
            break
    return out


def finding(u: Unadvertised) -> dict[str, Any]:
    """What it means first: the device plugin runs on none of the nodes that had the resource, so they advertise
    0 and the pods that need it stay Pending."""
    ds = f"{u.daemonset.namespace}/{u.daemonset.name}"
    nodes = ", ".join(u.nodes[:3]) + (f" and {len(u.nodes) - 3} more" if len(u.nodes) > 3 else "")
    message = (f"DaemonSet {ds}, the device plugin that advertises {u.resource}, runs on {u.scheduled} node(s): "
               f"{u.why}{_label_source(u.why)}, so node(s) {nodes} advertise 0 {u.resource} and pods stay Pending "
               f"(Insufficient {u.resource}). Its placement (nodeSelector/affinity/tolerations) was written by "
               f"{u.written_by} {minutes_text(u.minutes_before)} before the incident: restore it, or label the nodes "
               f"it now selects. Scheduler: {u.pending}")
    return {"check": CHECK, "severity": "critical", "reason": "DevicePluginNotScheduled",
            "object": {"kind": "DaemonSet", "namespace": u.daemonset.namespace, "name": u.daemonset.name},
            "message": message, "evidence": [u.pending],
            "details": {"resource": u.resource, "nodes": u.nodes, "written_by": u.written_by,
                        "written_at": u.written_at.isoformat()},
            "since": u.written_at.isoformat()}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the DaemonSet, its finding, evidence ids, the workloads left Pending) for `agent.triage.behind`."""
    return [(u.daemonset, finding(u), u.evidence, u.explains) for u in found(facts)]
