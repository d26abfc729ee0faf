"""Changes to objects of ANY kind the cluster serves: custom resources and ServiceAccounts.

The change timeline's rules (changes.py) know the built-in kinds' own traces (ReplicaSet revisions,
ConfigMap writes, HPA rescales). An incident's cause is as often a write to an object those rules
never read: a Kyverno ClusterPolicy flipped from Audit to Enforce, an Istio DestinationRule's
outlierDetection tightened, a Strimzi KafkaTopic's retention.ms cut, a ServiceAccount's annotations
rewritten by a Helm upgrade. Every such object carries the same generic traces: `metadata.managedFields`
(which manager wrote which fields, and when) and, when applied with kubectl, the last-applied
configuration. This module reads them for every custom kind discovery lists, and reports each dated
write with the fields written and their CURRENT value (the old value is only known when a
last-applied configuration differs from the live object: then the diff says old -> new).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes import health as h
from mcp_servers.kubernetes.client import KubeClient, KubeError
from mcp_servers.kubernetes.objectref import ObjectRef, ref_of

BUILTIN_GROUP_SUFFIXES = ("k8s.io",)
"""API groups of Kubernetes itself (apps, batch and the like have no dot): never custom."""
SIG_CRD_GROUPS = ("gateway.networking.k8s.io", "policy.networking.k8s.io", "snapshot.storage.k8s.io",
                  "multicluster.k8s.io", "networking.x-k8s.io", "gateway.networking.x-k8s.io")
"""Groups under k8s.io that Kubernetes SIGs ship as CRDs (Gateway API, AdminNetworkPolicy, volume snapshots)."""
MAX_CUSTOM_KINDS = 40
"""A cluster with hundreds of CRDs: read the first this many kinds (discovery order), say so in errors."""
CORE_EXTRA_KINDS = ("serviceaccounts", "priorityclasses", "roles", "clusterroles", "rolebindings", "namespaces",
                    "clusterrolebindings", "limitranges", "resourcequotas", "validatingadmissionpolicies",
                    "validatingadmissionpolicybindings", "storageclasses", "ingressclasses", "runtimeclasses",
                    "csidrivers")
"""Built-in kinds with no dated trace of their own that the timeline still must see written (a PriorityClass made
globalDefault changes the priority of every pod created after it; a Role trimmed or a binding's subject dropped
refuses the next request of whoever relied on it; a LimitRange, ResourceQuota or ValidatingAdmissionPolicy
tightened refuses the next pod or claim a controller creates, at admission; a StorageClass, IngressClass or
RuntimeClass re-applied changes what every claim, Ingress or pod of that class gets from then on)."""
IDENTIFYING_FIELDS = ("host", "hosts", "selector", "workloadSelector", "targetRef", "topicName")
"""Spec fields that say what an object applies to (an Istio host, a selector, a policy's target): reported
with every write so a reader can relate the object to a workload even when they were not the fields written."""
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SKIP_PREFIXES = ("status", "metadata.annotations.kubectl.kubernetes.io/last-applied", "metadata.resourceVersion",
                  "metadata.finalizers", "metadata.ownerReferences")


KUBERNETES_GROUPS = frozenset(f"{g}.k8s.io" for g in (
    "admissionregistration", "apiextensions", "apiregistration", "authentication", "authorization",
    "rbac.authorization", "certificates", "coordination", "discovery", "events", "flowcontrol.apiserver",
    "internal.apiserver", "apiserver", "apidiscovery", "networking", "node", "resource", "scheduling", "storage",
    "storagemigration", "metrics", "custom.metrics", "external.metrics"))
"""The API groups under k8s.io that Kubernetes itself (or its metrics APIs) serves. Other projects' CRDs use the
domain too (the Spark operator's sparkoperator.k8s.io, the VPA's autoscaling.k8s.io): their writes are custom."""


def is_custom(group: str) -> bool:
    """A group served by an extension (a CRD or an aggregated API), not by Kubernetes itself."""
    if "." not in group or group in SIG_CRD_GROUPS:
        return "." in group
    if any(group == s or group.endswith("." + s) for s in BUILTIN_GROUP_SUFFIXES):
        return group not in KUBERNETES_GROUPS
    return True


def read_any(kc: KubeClient, ctx: str, namespace: str | None, visible: Callable[[str], bool],
             known: set[str]) -> tuple[dict[str, list[dict[str, Any]]], list[str], list[str]]:
    """Objects of every custom kind (and CORE_EXTRA_KINDS) not in `known`: (objects by kind, hidden namespaces,
    errors). Kinds RBAC refuses are named in errors; a kind that fails to list for another reason is skipped."""
    objects: dict[str, list[dict[str, Any]]] = {}
    hidden: set[str] = set()
    errors: list[str] = []
    try:
        types = kc.resource_types(ctx)
    except KubeError as exc:
        if exc.status == 0:
            raise
        return objects, [], [f"discovery: {exc.status} {exc.message}"]
    wanted = [t for t in types if t.kind not in known and (is_custom(t.group) or t.plural in CORE_EXTRA_KINDS)]
    if len(wanted) > MAX_CUSTOM_KINDS:
        errors.append(f"custom kinds: read {MAX_CUSTOM_KINDS} of {len(wanted)}")
        wanted = wanted[:MAX_CUSTOM_KINDS]
    for t in wanted:
        try:
            items, _ = kc.list_all(ctx, t, namespace if t.namespaced else None)
        except KubeError as exc:
            if exc.status == 0:
                raise
            if exc.status in (401, 403):
                errors.append(f"{t.kind}: {exc.status} {exc.message}")
            continue
        kept = []
        for item in items:
            ns = (item.get("metadata") or {}).get("namespace") or ""
            if visible(ns):
                item.setdefault("kind", t.kind)
                kept.append(item)
            else:
                hidden.add(ns)
        objects.setdefault(t.kind, []).extend(kept)
    return objects, sorted(hidden), errors


def value_at(obj: dict[str, Any], path: str) -> Any:
    """The live value at a dotted field path ("spec.config.retention.ms"), keys with dots matched greedily;
    None when the path does not resolve (a list item, a removed field)."""
    node: Any = obj
    rest = path.split(".")
    while rest:
        if not isinstance(node, dict):
            return None
        for n in range(len(rest), 0, -1):  # a key may itself hold dots (retention.ms, an annotation name)
            key = ".".join(rest[:n])
            if key in node:
                node, rest = node[key], rest[n:]
                break
        else:
            return None
    return node


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return repr(text[:80]) if isinstance(value, str) else text[:80]


def _leaves_differ(path: str, before: Any, now: Any, limit: int = 6) -> list[str]:
    """`path[0].route[1].weight: 5 -> 95` for each scalar leaf that differs between two structured values of the
    same shape (a route's weights inside a long list), so the change is not lost to a truncated whole value; []
    when the shapes differ or more than `limit` leaves moved."""
    out: list[str] = []

    def walk(p: str, a: Any, b: Any) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return all(walk(f"{p}.{k}", a.get(k), b.get(k)) for k in sorted(set(a) | set(b)))
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            return all(walk(f"{p}[{i}]", x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)))
        if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
            return False
        if a != b:
            out.append(f"{p}: {_short(a) if a is not None else 'unset'} -> {_short(b) if b is not None else 'removed'}")
        return len(out) <= limit

    return out if isinstance(before, (dict, list)) and walk(path, before, now) and out else []


def _last_applied(obj: dict[str, Any]) -> dict[str, Any]:
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        parsed = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def spec_leaves(obj: dict[str, Any], limit: int = 8) -> list[str]:
    """`spec.config.limit_by = 'ip'` for the first `limit` scalar leaves of an object's spec (lists whole and short):
    what a newly created custom resource sets, since it has no earlier version to differ from."""
    out: list[str] = []

    def walk(path: str, node: Any, depth: int) -> None:
        if len(out) >= limit:
            return
        if isinstance(node, dict) and depth < 5:
            for key in sorted(node, key=str):
                walk(f"{path}.{key}", node[key], depth + 1)
        else:
            out.append(f"{path} = {_short(node)}")

    spec = obj.get("spec")
    if isinstance(spec, dict):
        walk("spec", spec, 0)
    for key in ("plugin", "config", "data", "rules"):  # kinds that keep their settings beside, not under, spec
        if key in obj and len(out) < limit:
            walk(key, obj[key], 1)
    return out


def creations(objects: dict[str, list[dict[str, Any]]], has: Callable[[datetime | None], bool]
              ) -> list[dict[str, Any]]:
    """Each object of `objects` created in the window: {at, object, manager, diff (its settings)}. A policy, a
    plugin or a route that did not exist an hour ago changes traffic as much as a write to one that did."""
    out: list[dict[str, Any]] = []
    for kind, items in objects.items():
        for obj in items:
            meta = obj.get("metadata") or {}
            created = h.parse_ts(meta.get("creationTimestamp"))
            if created is None or not has(created):
                continue
            managers = sorted({str(m.get("manager") or "unknown") for m in meta.get("managedFields") or []
                               if h.parse_ts(m.get("time")) == created and m.get("subresource") != "status"})
            out.append({"at": created, "object": ref_of({**obj, "kind": obj.get("kind") or kind}),
                        "managers": managers, "diff": spec_leaves(obj)})
    return out


def writes(objects: dict[str, list[dict[str, Any]]], has: Callable[[datetime | None], bool],
           paths_of: Callable[[dict[str, Any]], list[str]]) -> list[dict[str, Any]]:
    """Each dated write after creation to an object of `objects`: {at, object, manager(s), fields, diff}.
    `diff` says `path: old -> new` where a last-applied configuration holds another value, else
    `path = current` (or `path removed` when the live object no longer has it)."""
    out: list[dict[str, Any]] = []
    for kind, items in objects.items():
        for obj in items:
            meta = obj.get("metadata") or {}
            created = h.parse_ts(meta.get("creationTimestamp"))
            by_time: dict[datetime, list[tuple[str, list[str]]]] = defaultdict(list)
            for m in meta.get("managedFields") or []:
                t = h.parse_ts(m.get("time"))
                if t is None or not has(t) or (created is not None and t <= created) \
                        or m.get("subresource") == "status":
                    continue
                paths = [p for p in paths_of(m.get("fieldsV1") or {}) if not p.startswith(_SKIP_PREFIXES)]
                if paths:
                    by_time[t].append((str(m.get("manager") or "unknown"), paths))
            applied = _last_applied(obj)
            ref: ObjectRef = ref_of({**obj, "kind": obj.get("kind") or kind})
            for t, written in by_time.items():
                fields = list(dict.fromkeys(p for _, ps in written for p in ps))
                diff = []
                for p in fields[:12]:
                    now, before = value_at(obj, p), value_at(applied, p) if applied else None
                    if before is not None and before != now and _leaves_differ(p, before, now):
                        diff += _leaves_differ(p, before, now)
                    elif before is not None and before != now:
                        diff.append(f"{p}: {_short(before)} -> {_short(now) if now is not None else 'removed'}")
                    elif now is None:
                        diff.append(f"{p} removed" if "[…]" not in p else p)
                    else:
                        diff.append(f"{p} = {_short(now)}")
                for key in IDENTIFYING_FIELDS:  # what the object applies to, written or not, for relating it
                    if f"spec.{key}" not in fields and (obj.get("spec") or {}).get(key):
                        diff.append(f"spec.{key} = {_short(obj['spec'][key])} (current)")
                out.append({"at": t, "object": ref, "managers": sorted({m for m, _ in written}), "fields": fields,
                            "diff": diff, "generation": meta.get("generation")})
    return out
