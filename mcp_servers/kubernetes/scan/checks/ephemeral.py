"""Pods the kubelet evicted for outgrowing their own ephemeral-storage limits.

Apart from evicting under node pressure ("The node was low on resource: ..."), the kubelet's
eviction manager evicts a pod that exceeds a local-storage limit it set itself, and says which:

- `Usage of EmptyDir volume "V" exceeds the limit "Q".`: an emptyDir's `sizeLimit`;
- `Container C exceeded its local ephemeral storage limit "Q".`: a container's
  `resources.limits.ephemeral-storage` (its writable layer and logs);
- `Pod ephemeral local storage usage exceeds the total limit of containers Q.`: the sum of them.

That is the workload's own doing (what it writes grew, or the limit is too small), not a neighbour
starving the node, so it is its own check (`pod.evicted_storage_limit`) rather than a plain
`pod.evicted`. Evicted pods are grouped by their top-level owner and the volume or container
named; the finding names the limit, where the volume is mounted and by which container (from the
pod's spec, or its owner's template when the pod's is not at hand), and how often it happens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, earliest, iso, latest, name_of, ns_of, quote
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pod.evicted_storage_limit",)

_EMPTYDIR = re.compile(r'Usage of EmptyDir volume "?([^"\s]+)"? exceeds the limit "?([^"\s]+?)"?\.?(?:\s|$)')
_CONTAINER = re.compile(r'Container "?([^"\s]+?)"? exceeded its local ephemeral storage limit "?([^"\s]+?)"?\.?'
                        r'(?:\s|$)')
_POD_TOTAL = re.compile(r"Pod ephemeral local storage usage exceeds the total limit of containers "
                        r'"?([^"\s]+?)"?\.?(?:\s|$)')
MAX_NAMES = 5


@dataclass(frozen=True)
class StorageEviction:
    """What an eviction message names: the scope (emptyDir, container, pod), which one, and the limit."""

    scope: str
    name: str
    limit: str


def read_eviction(message: str) -> StorageEviction | None:
    """The kubelet's eviction message as a `StorageEviction`; None for any other eviction."""
    if m := _EMPTYDIR.search(message):
        return StorageEviction("emptyDir", m.group(1), m.group(2))
    if m := _CONTAINER.search(message):
        return StorageEviction("container", m.group(1), m.group(2))
    if m := _POD_TOTAL.search(message):
        return StorageEviction("pod", "", m.group(1))
    return None


def _template_spec(snap: Snapshot, pod: dict[str, Any]) -> dict[str, Any]:
    """The pod's spec, or its owner's pod template when the pod's lacks the volumes (a trimmed copy)."""
    spec = pod.get("spec") or {}
    if spec.get("volumes"):
        return spec
    for r in (pod.get("metadata") or {}).get("ownerReferences") or []:
        parent = snap.get(str(r.get("kind")), ns_of(pod), str(r.get("name")))
        for _ in range(2):
            if parent is None:
                break
            template = ((parent.get("spec") or {}).get("template") or {}).get("spec") or {}
            if template.get("volumes"):
                return template
            grand = next(iter((parent.get("metadata") or {}).get("ownerReferences") or []), None)
            parent = snap.get(str(grand.get("kind")), ns_of(pod), str(grand.get("name"))) if grand else None
    return spec


def _volume_details(spec: dict[str, Any], volume: str) -> dict[str, Any]:
    out: dict[str, Any] = {"volume": volume}
    vol = next((v for v in spec.get("volumes") or [] if v.get("name") == volume), None)
    if vol is not None and isinstance(vol.get("emptyDir"), dict):
        out["size_limit"] = vol["emptyDir"].get("sizeLimit")
        if vol["emptyDir"].get("medium"):
            out["medium"] = vol["emptyDir"]["medium"]
    mounts = [f"{c.get('name')}:{m.get('mountPath')}" for c in (spec.get("initContainers") or [])
              + (spec.get("containers") or []) for m in c.get("volumeMounts") or [] if m.get("name") == volume]
    if mounts:
        out["mounted_by"] = mounts
    return out


def _container_limits(spec: dict[str, Any]) -> dict[str, str]:
    return {str(c.get("name")): str(((c.get("resources") or {}).get("limits") or {}).get("ephemeral-storage"))
            for c in spec.get("containers") or []
            if ((c.get("resources") or {}).get("limits") or {}).get("ephemeral-storage")}


def _message_of(snap: Snapshot, pod: dict[str, Any]) -> tuple[str, list[Any]]:
    status = pod.get("status") or {}
    events = [e for e in snap.events_for("Pod", ns_of(pod), name_of(pod)) if e.reason == "Evicted"]
    message = str(status.get("message") or "")
    if not read_eviction(message) and events:
        message = events[-1].message
    return message, events


def _summary(ev: StorageEviction, d: dict[str, Any]) -> str:
    if ev.scope == "emptyDir":
        where = ""
        if d.get("mounted_by"):
            where = " (mounted at " + ", ".join(
                f"{m.split(':', 1)[1]} by container {m.split(':', 1)[0]}" for m in d["mounted_by"][:2]) + ")"
        medium = "; medium Memory, so it also counts against the pod's memory" if d.get("medium") == "Memory" else ""
        return (f"emptyDir volume {ev.name}{where} grew past its sizeLimit {d.get('size_limit') or ev.limit}"
                f"{medium}: what the pods write there outgrows the limit")
    if ev.scope == "container":
        return (f"container {ev.name} exceeded its ephemeral-storage limit {ev.limit} (its writable layer and "
                f"logs)")
    limits = d.get("container_limits") or {}
    listed = ", ".join(f"{k} {v}" for k, v in limits.items())
    return (f"the pod's ephemeral local storage exceeded the total of its containers' limits {ev.limit}"
            + (f" ({listed})" if listed else ""))


_CONTROLLERS = ("ReplicaSet", "StatefulSet", "DaemonSet", "Job")
"""Kinds whose pods are named `<controller name>-<suffix>`: an evicted pod's owner when only its event is left."""


def _gone_pods(snap: Snapshot) -> list[dict[str, Any]]:
    """Evicted pods the snapshot no longer holds, rebuilt from the kubelet's `Evicted` events.

    A controller (or the pod garbage collector) often deletes an evicted pod and starts a replacement, so only
    the event is left: the eviction still happened and still says which limit was passed. The owner is the
    controller of the namespace whose name is the pod's without its last `-suffix`, when there is one."""
    present = {(ns_of(p), name_of(p)) for p in snap.items("Pod")}
    out = []
    for e in snap.events:
        if e.kind != "Pod" or e.reason != "Evicted" or (e.namespace, e.name) in present \
                or read_eviction(e.message) is None:
            continue
        present.add((e.namespace, e.name))
        base = e.name.rsplit("-", 1)[0]
        owner = next(((k, o) for k in _CONTROLLERS if (o := snap.get(k, e.namespace, base)) is not None), None)
        refs = [{"kind": owner[0], "name": base, "controller": True}] if owner else []
        spec = ((owner[1].get("spec") or {}).get("template") or {}).get("spec") or {} if owner else {}
        out.append({"kind": "Pod", "metadata": {"name": e.name, "namespace": e.namespace, "ownerReferences": refs},
                    "spec": spec, "status": {"phase": "Failed", "reason": "Evicted", "message": e.message}})
    return out


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], StorageEviction, str, list[Any]]]] = {}
    for pod in [*snap.items("Pod"), *_gone_pods(snap)]:
        status = pod.get("status") or {}
        if status.get("reason") != "Evicted" and status.get("phase") != "Failed":
            continue
        message, events = _message_of(snap, pod)
        ev = read_eviction(message)
        if ev is None:
            continue
        owner = snap.owner_of(pod) or ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
        groups.setdefault((owner.kind, owner.namespace, owner.name, ev.scope, ev.name), []).append(
            (pod, ev, message, events))
    out = []
    for members in groups.values():
        pod, ev, message, _ = members[0]
        top = snap.owner_of(pod)
        subject = top or ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
        spec = _template_spec(snap, pod)
        details: dict[str, Any] = {"scope": ev.scope, "limit": ev.limit, "evicted": len(members)}
        if ev.scope == "emptyDir":
            details.update(_volume_details(spec, ev.name))
        elif ev.scope == "container":
            details["container"] = ev.name
        else:
            details["container_limits"] = _container_limits(spec)
        nodes = sorted({str((p.get("spec") or {}).get("nodeName")) for p, *_ in members
                        if (p.get("spec") or {}).get("nodeName")})
        if nodes:
            details["nodes" if len(nodes) > 1 else "node"] = nodes if len(nodes) > 1 else nodes[0]
        times = [t for p, _, _, evs in members
                 for t in [earliest(*[e.first for e in evs], *[e.last for e in evs])
                           or earliest((p.get("status") or {}).get("startTime"))] if t]
        first, last = earliest(*times), latest(*times)
        running = len([p for p in snap.pods_in(subject.namespace) if top is not None and snap.owner_of(p) == top
                       and (p.get("status") or {}).get("phase") == "Running"])
        details["running_pods"] = running
        pace = ""
        if first and last and len(members) > 1 and last > first:
            every = (last - first) / (len(members) - 1)
            details["every_seconds"] = int(every.total_seconds())
            pace = f", one every ~{max(1, round(every.total_seconds() / 60))} min"
        names = sorted(name_of(p) for p, *_ in members)
        evidence = [clip(message)]
        for _, _, _, evs in members[-1:]:
            evidence.extend(quote(e) for e in evs[-1:] if clip(e.message) != clip(message))
        out.append(ScanFinding(
            check="pod.evicted_storage_limit", severity="critical" if running == 0 else "warning", object=subject,
            owner=top, reason="Evicted",
            message=(f"{subject}: {len(members)} pod(s) evicted by the kubelet{pace}: {_summary(ev, details)} "
                     f"({running} pod(s) running now)"),
            details=details, evidence=evidence[:3], since=iso(first), last_seen=iso(last),
            pods=names[:MAX_NAMES], count=len(members)))
    return out
