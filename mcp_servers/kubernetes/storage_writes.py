"""Writes to how a share is mounted: a PersistentVolume's or StorageClass's `mountOptions`.

The timeline's other rules read namespaced objects; the cluster-scoped storage objects carry mount options
(NFS attribute caching, `soft`/`hard`, `vers=`, SMB `cache=`, `noatime`) that take effect only when a node next
mounts the volume, so their write is often the one change in view before a reader misbehaves. A
PersistentVolume's options can be edited in place (the write is a managedFields entry owning
`spec.mountOptions`); a StorageClass's cannot, so a StorageClass created in the window with options counts.
The options are reported with their current value; the old value is not recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes import health as h

KINDS = ("PersistentVolume", "StorageClass")
MAX_SHOWN = 300


def mount_options(obj: dict[str, Any]) -> list[str]:
    """The object's mount options now: a PersistentVolume's `spec.mountOptions`, a StorageClass's `mountOptions`."""
    raw = (obj.get("spec") or {}).get("mountOptions") if obj.get("kind") != "StorageClass" and "spec" in obj \
        else obj.get("mountOptions")
    return [str(o) for o in raw] if isinstance(raw, list) else []


def _now(options: list[str]) -> str:
    return f" (now {', '.join(options)[:MAX_SHOWN]!r})" if options else " (now none)"


def writes(objects: dict[str, list[dict[str, Any]]], has: Callable[[datetime | None], bool]) -> list[dict[str, Any]]:
    """Each dated write of mount options in the window: {at, kind, object, managers, diff, created}."""
    out: list[dict[str, Any]] = []
    for kind in KINDS:
        path = "spec.mountOptions" if kind == "PersistentVolume" else "mountOptions"
        for obj in objects.get(kind) or []:
            meta = obj.get("metadata") or {}
            created = h.parse_ts(meta.get("creationTimestamp"))
            by_time: dict[datetime, set[str]] = {}
            for m in meta.get("managedFields") or []:
                t = h.parse_ts(m.get("time")) if isinstance(m, dict) else None
                if t is None or not has(t) or (created is not None and t <= created) \
                        or '"f:mountOptions"' not in json.dumps(m.get("fieldsV1") or {}):
                    continue
                by_time.setdefault(t, set()).add(str(m.get("manager") or "unknown"))
            options = mount_options(obj)
            for t, managers in by_time.items():
                out.append({"at": t, "kind": kind, "object": obj, "managers": sorted(managers), "created": False,
                            "diff": [f"{path} written by {', '.join(sorted(managers))}{_now(options)}"]})
            if created is not None and has(created) and options and not by_time:
                makers = sorted({str(m.get("manager")) for m in meta.get("managedFields") or []
                                 if isinstance(m, dict) and m.get("manager")})
                out.append({"at": created, "kind": kind, "object": obj, "managers": makers, "created": True,
                            "diff": [f"{path} set at creation{_now(options)}"]})
    return out
