"""Who fills a node's image filesystem: the workload whose image garbage collection cannot remove.

When a node's image filesystem passes the kubelet's high threshold, the kubelet garbage-collects
unused images; images of running containers are never eligible. If what is left is still too big it
records `ImageGCFailed` / `FreeDiskSpaceFailed` ("Failed to garbage collect required amount of
images. Attempted to free N bytes, but only found 0 bytes eligible to free."), and new pulls on that
node fail with "no space left on device". The pod that cannot start is the victim; the cause is the
workload whose pods keep the biggest images on that node (often a DaemonSet, on every node, so a
small-disk node is where it first shows). `status.images` lists the node's images with their sizes;
the pods bound to the node say which of them are in use, and by whom.

The finding is on that workload, names the node, its biggest images and sizes, quotes the
kubelet's or the runtime's words, and declares the workloads it explains (`details.explains`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, iso, name_of, ns_of, pod_is_terminal
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Event, Snapshot

CHECK_IDS = ("node.image_fs_full",)

WINDOW = timedelta(hours=6)
GC_REASONS = ("ImageGCFailed", "FreeDiskSpaceFailed")
NO_SPACE = "no space left on device"
MAX_IMAGES = 3


def _recent(e: Event, now: datetime) -> bool:
    at = e.last or e.first
    return at is None or now - at <= WINDOW


def _gib(size: Any) -> str:
    return f"{float(size) / 2**30:.1f} GiB" if isinstance(size, (int, float)) else "size unknown"


def _images_of(pod: dict[str, Any]) -> set[str]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    out = {str(c.get("image")) for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]}
    out |= {str(c.get(k)) for c in status.get("containerStatuses") or [] for k in ("image", "imageID") if c.get(k)}
    return {i for i in out if i and i != "None"}


def _node_signs(snap: Snapshot, now: datetime) -> dict[str, tuple[list[str], list[ObjectRef]]]:
    """node -> (quoted signs of a full image filesystem, workloads whose pulls failed for space)."""
    signs: dict[str, tuple[list[str], list[ObjectRef]]] = {}
    for e in snap.events:
        if not _recent(e, now):
            continue
        if e.kind == "Node" and e.reason in GC_REASONS:
            quoted = f"{e.reason}: {clip(e.message, 200)}"
            if quoted not in signs.setdefault(e.name, ([], []))[0]:
                signs[e.name][0].append(quoted)
        elif e.kind == "Pod" and NO_SPACE in e.message.lower():
            pod = snap.get("Pod", e.namespace, e.name)
            node = str((pod or {}).get("spec", {}).get("nodeName") or "")
            if not node or pod is None:
                continue
            quoted = f"{e.reason}: {clip(e.message, 200)}"
            entry = signs.setdefault(node, ([], []))
            if len(entry[0]) < 4:
                entry[0].append(quoted)
            owner = snap.owner_of(pod) or ObjectRef(kind="Pod", namespace=e.namespace, name=e.name)
            if owner not in entry[1]:
                entry[1].append(owner)
    return signs


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    signs = _node_signs(snap, now)
    for node_name, (quoted, victims) in signs.items():
        node = snap.get("Node", "", node_name)
        if node is None or not quoted:
            continue
        images = sorted(((node.get("status") or {}).get("images") or []),
                        key=lambda i: -(i.get("sizeBytes") or 0) if isinstance(i.get("sizeBytes"), int) else 0)
        pods = [p for p in snap.items("Pod") if (p.get("spec") or {}).get("nodeName") == node_name
                and not pod_is_terminal(p)]
        holders: list[tuple[dict[str, Any], ObjectRef]] = []
        for image in images:
            names = {str(n) for n in image.get("names") or []}
            users = [p for p in pods if _images_of(p) & names]
            owners = [snap.owner_of(p) or ObjectRef(kind="Pod", namespace=ns_of(p), name=name_of(p)) for p in users]
            owners = [o for o in owners if o not in victims]
            if owners:
                holders.append((image, owners[0]))
            if len(holders) >= MAX_IMAGES:
                break
        if not holders:
            continue
        image, holder = holders[0]
        shown = "; ".join(f"{(i.get('names') or ['?'])[-1]} ({_gib(i.get('sizeBytes'))}, {o})"
                          for i, o in holders[1:])
        explains = [f"{v.kind} {v.namespace}/{v.name}" for v in victims if v != holder]
        firsts = [e.first or e.last for e in snap.events_for("Node", "", node_name) if e.reason in GC_REASONS]
        out.append(ScanFinding(
            check="node.image_fs_full", severity="critical", object=holder, reason="ImageFilesystemFull",
            message=(f"{holder.kind} {holder.namespace}/{holder.name} keeps the biggest image on node {node_name}, "
                     f"{(image.get('names') or ['?'])[-1]} ({_gib(image.get('sizeBytes'))}), which image garbage "
                     "collection cannot free while its pods run: the node's image filesystem is full, the kubelet "
                     "failed to garbage collect required amount of images and pulls fail with no space left on "
                     "device" + (f". Next biggest in use there: {shown}" if shown else "")),
            details={"node": node_name, "images": [{"image": (i.get("names") or ["?"])[-1],
                                                    "size_bytes": i.get("sizeBytes"), "used_by": str(o)}
                                                   for i, o in holders],
                     "explains": explains},
            evidence=quoted[:3], since=iso(min((f for f in firsts if f is not None), default=None))))
    return out
