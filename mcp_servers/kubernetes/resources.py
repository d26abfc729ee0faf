"""Resource types: how a kind maps to its API group, version, plural and scope.

The replay server answers discovery from this table (plus the CRDs and odd kinds found in a
bundle); the MCP server resolves the kind a model names ("pods", "deploy", "ServiceMonitor")
against what the live API's discovery reports, using the same dataclass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mcp_servers.kubernetes.names import KIND_PATTERN, safe_segment

_KIND_SPELLING = re.compile(KIND_PATTERN)


@dataclass(frozen=True)
class ResourceType:
    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    def base_path(self, namespace: str | None = None) -> str:
        """The REST path of the collection, in `namespace` when given (and the kind is namespaced).

        The namespace is one path segment, never more: a value that could climb or split the path
        (`shop/../kube-system`) is refused here even if every check before was bypassed."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{root}/namespaces/{segment(namespace, 'namespace')}/{self.plural}"
        return f"{root}/{self.plural}"

    def object_path(self, namespace: str | None, name: str, subresource: str | None = None) -> str:
        """The REST path of one object (or its subresource, e.g. `log`), each part one quoted segment."""
        path = f"{self.base_path(namespace)}/{segment(name, 'name')}"
        return f"{path}/{segment(subresource, 'subresource')}" if subresource else path

    @property
    def canonical(self) -> str:
        """The one spelling the policy judges: `Kind` for the core group, `Kind.group` otherwise."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def matches(self, name: str) -> bool:
        """Whether a user's spelling (kind, plural, singular, short name, any of these `.group`) names this type.

        Only exact spellings count: whitespace, a trailing or leading dot, a slash or an empty group
        (`Secret.`) name nothing, so no spelling can slip past a policy rule on the canonical kind."""
        if not _KIND_SPELLING.fullmatch(name):
            return False
        n = name.lower()
        head, dot, group = n.partition(".")
        if dot:
            return group == self.group.lower() and self._matches_bare(head)
        return self._matches_bare(n)

    def spellings(self) -> set[str]:
        """Every spelling that names this type (for close-match hints)."""
        bare = {self.kind, self.plural, self.singular, *self.short_names}
        return bare | ({f"{b}.{self.group}" for b in bare} if self.group else set())

    def _matches_bare(self, n: str) -> bool:
        return n in {self.kind.lower(), self.plural, self.singular, *self.short_names}


BUILTIN: tuple[ResourceType, ...] = (
    ResourceType("Pod", "pods", "", "v1", short_names=("po",), categories=("all",)),
    ResourceType("Service", "services", "", "v1", short_names=("svc",), categories=("all",)),
    ResourceType("ConfigMap", "configmaps", "", "v1", short_names=("cm",)),
    ResourceType("Secret", "secrets", "", "v1"),
    ResourceType("Event", "events", "", "v1", short_names=("ev",)),
    ResourceType("Endpoints", "endpoints", "", "v1", short_names=("ep",)),
    ResourceType("ServiceAccount", "serviceaccounts", "", "v1", short_names=("sa",)),
    ResourceType("PersistentVolumeClaim", "persistentvolumeclaims", "", "v1", short_names=("pvc",)),
    ResourceType("ReplicationController", "replicationcontrollers", "", "v1", short_names=("rc",),
                 categories=("all",)),
    ResourceType("Node", "nodes", "", "v1", namespaced=False, short_names=("no",)),
    ResourceType("Namespace", "namespaces", "", "v1", namespaced=False, short_names=("ns",)),
    ResourceType("PersistentVolume", "persistentvolumes", "", "v1", namespaced=False, short_names=("pv",)),
    ResourceType("Deployment", "deployments", "apps", "v1", short_names=("deploy",), categories=("all",)),
    ResourceType("ReplicaSet", "replicasets", "apps", "v1", short_names=("rs",), categories=("all",)),
    ResourceType("StatefulSet", "statefulsets", "apps", "v1", short_names=("sts",), categories=("all",)),
    ResourceType("DaemonSet", "daemonsets", "apps", "v1", short_names=("ds",), categories=("all",)),
    ResourceType("ControllerRevision", "controllerrevisions", "apps", "v1"),
    ResourceType("Job", "jobs", "batch", "v1", categories=("all",)),
    ResourceType("CronJob", "cronjobs", "batch", "v1", short_names=("cj",), categories=("all",)),
    ResourceType("Ingress", "ingresses", "networking.k8s.io", "v1", short_names=("ing",)),
    ResourceType("EndpointSlice", "endpointslices", "discovery.k8s.io", "v1"),
    ResourceType("HorizontalPodAutoscaler", "horizontalpodautoscalers", "autoscaling", "v2", short_names=("hpa",),
                 categories=("all",)),
    ResourceType("PriorityClass", "priorityclasses", "scheduling.k8s.io", "v1", namespaced=False,
                 short_names=("pc",)),
    ResourceType("StorageClass", "storageclasses", "storage.k8s.io", "v1", namespaced=False, short_names=("sc",)),
    ResourceType("IngressClass", "ingressclasses", "networking.k8s.io", "v1", namespaced=False),
    ResourceType("NetworkPolicy", "networkpolicies", "networking.k8s.io", "v1", short_names=("netpol",)),
    ResourceType("PodDisruptionBudget", "poddisruptionbudgets", "policy", "v1", short_names=("pdb",)),
    ResourceType("ResourceQuota", "resourcequotas", "", "v1", short_names=("quota",)),
    ResourceType("LimitRange", "limitranges", "", "v1", short_names=("limits",)),
    ResourceType("CustomResourceDefinition", "customresourcedefinitions", "apiextensions.k8s.io", "v1",
                 namespaced=False, short_names=("crd", "crds")),
    ResourceType("PodMetrics", "pods", "metrics.k8s.io", "v1beta1"),
    ResourceType("NodeMetrics", "nodes", "metrics.k8s.io", "v1beta1", namespaced=False),
)


class UnsafeSegment(ValueError):
    """A value that would not stay one segment of a REST path."""


def segment(value: str, what: str) -> str:
    """`value` quoted as exactly one REST path segment; UnsafeSegment for `.`, `..`, separators, escapes."""
    if not safe_segment(value):
        raise UnsafeSegment(f"{what} {value!r} cannot be part of a Kubernetes API path")
    return quote(value, safe=":@+~")


def from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition object declares (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    if not names.get("kind") or not names.get("plural") or not spec.get("group"):
        return []
    out = []
    for v in spec.get("versions") or []:
        if v.get("served", True) and v.get("name"):
            out.append(ResourceType(
                str(names["kind"]), str(names["plural"]), str(spec["group"]), str(v["name"]),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
            ))
    return out


def guess_type(kind: str, api_version: str, namespaced: bool) -> ResourceType:
    """A type for a kind nothing declared: lower-case plural by the usual English rule."""
    group, _, version = api_version.rpartition("/")
    lower = kind.lower()
    plural = lower + ("es" if lower.endswith(("s", "x", "ch", "sh")) else "s")
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        plural = lower[:-1] + "ies"
    return ResourceType(kind, plural, group, version, namespaced=namespaced)


def registry_for(objects: Iterable[dict[str, Any]], cluster_scoped: frozenset[str]) -> list[ResourceType]:
    """Built-ins, every CRD in `objects`, and a guessed type for any other kind found there."""
    types = list(BUILTIN)
    objs = list(objects)
    for obj in objs:
        if obj.get("kind") == "CustomResourceDefinition":
            types.extend(t for t in from_crd(obj) if t not in types)
    known = {(t.kind, t.group_version) for t in types}
    for obj in objs:
        key = (str(obj["kind"]), str(obj["apiVersion"]))
        if key not in known:
            namespaced = bool(obj["metadata"].get("namespace")) or obj["kind"] not in cluster_scoped
            types.append(guess_type(key[0], key[1], namespaced))
            known.add(key)
    return types


def resolve(types: Iterable[ResourceType], name: str) -> ResourceType | None:
    """The type a user means by `name`; built-in core and apps groups win over same-named CRDs."""
    matches = [t for t in types if t.matches(name)]
    if not matches:
        return None
    preferred = [t for t in matches if t.group in ("", "apps", "batch")]
    return (preferred or matches)[0]
