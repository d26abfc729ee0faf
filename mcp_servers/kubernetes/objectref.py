"""A reference to one Kubernetes object: the common currency of the change timeline, the topology
and the triage that joins them (a change's object is matched against a topology's workloads)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ObjectRef(BaseModel):
    """Kind, namespace (empty for cluster-scoped kinds) and name; enough to call k8s_describe."""

    kind: str
    namespace: str = ""
    name: str

    def key(self) -> tuple[str, str, str]:
        """Identity for matching: kinds compare case-insensitively (Deployment == deployment)."""
        return self.kind.lower(), self.namespace, self.name

    def text(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def ref_of(obj: dict[str, Any]) -> ObjectRef:
    """The reference of an API object as served (kind set by the list call)."""
    meta = obj.get("metadata") or {}
    return ObjectRef(kind=str(obj.get("kind") or ""), namespace=str(meta.get("namespace") or ""),
                     name=str(meta.get("name") or ""))
