"""Object references shared by the scan, the change timeline and the topology.

The one `ObjectRef` model lives with the scan's models (`mcp_servers.kubernetes.scan.model`), so a
finding's object, a change's object and a topology's workloads compare equal when they name the
same object; this module adds the two helpers the timeline and the topology need.
"""

from __future__ import annotations

from typing import Any

from mcp_servers.kubernetes.scan.model import ObjectRef

__all__ = ["ObjectRef", "ref_key", "ref_of"]


def ref_key(ref: ObjectRef) -> tuple[str, str, str]:
    """Identity for matching: kinds compare case-insensitively (Deployment == deployment)."""
    return ref.kind.lower(), ref.namespace, ref.name


def ref_of(obj: dict[str, Any]) -> ObjectRef:
    """The reference of an API object as served (kind set by the list call)."""
    meta = obj.get("metadata") or {}
    return ObjectRef(kind=str(obj.get("kind") or ""), namespace=str(meta.get("namespace") or ""),
                     name=str(meta.get("name") or ""))
