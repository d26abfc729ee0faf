"""One read of the cluster for the scan: every kind the checks need, listed once, indexed.

The checks are pure functions over this object, so they run the same over a live cluster, the
replay server, a bundle on disk or a dict built in a test. Listing goes through `KubeClient.list_all`
(GET only), one thread per kind. A kind the server does not serve goes to `not_served`; one it
refuses (RBAC) or fails on goes to `errors`; the scan goes on without it, and the checks that need
a kind to say "missing" only speak when that kind was actually listed (`listed`).

Secrets and ConfigMaps are reduced to their names and key names as soon as they arrive: values
never enter the snapshot, so no check, render or log can leak them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mcp_servers.kubernetes.health import parse_ts
from mcp_servers.kubernetes.scan.model import ObjectRef

if TYPE_CHECKING:
    from mcp_servers.kubernetes.client import KubeClient


@dataclass(frozen=True)
class Wanted:
    """A kind the checks read: its API group, and whether a cluster commonly lacks it."""

    kind: str
    group: str
    optional: bool = False
    field_selector: str | None = None
    """Server-side filter: Helm keeps each release as a large Secret no check needs, so they stay."""

    @property
    def key(self) -> str:
        """The snapshot's name for it: the kind, qualified when two groups share a kind (Event)."""
        return f"{self.kind}.{self.group}" if self.group == "events.k8s.io" else self.kind


WANTED: tuple[Wanted, ...] = (
    Wanted("Pod", ""), Wanted("Event", ""), Wanted("Event", "events.k8s.io", optional=True),
    Wanted("Node", ""), Wanted("Service", ""), Wanted("Endpoints", ""),
    Wanted("EndpointSlice", "discovery.k8s.io", optional=True),
    Wanted("ConfigMap", ""), Wanted("Secret", "", field_selector="type!=helm.sh/release.v1"),
    Wanted("PersistentVolumeClaim", ""), Wanted("PersistentVolume", ""),
    Wanted("ResourceQuota", ""), Wanted("ReplicaSet", "apps"), Wanted("Deployment", "apps"),
    Wanted("StatefulSet", "apps"), Wanted("DaemonSet", "apps"), Wanted("Job", "batch"),
    Wanted("CronJob", "batch"), Wanted("Ingress", "networking.k8s.io"),
    Wanted("IngressClass", "networking.k8s.io"), Wanted("NetworkPolicy", "networking.k8s.io"),
    Wanted("StorageClass", "storage.k8s.io"), Wanted("HorizontalPodAutoscaler", "autoscaling"),
    Wanted("PodDisruptionBudget", "policy"),
    Wanted("LimitRange", ""), Wanted("PriorityClass", "scheduling.k8s.io"),
    Wanted("VerticalPodAutoscaler", "autoscaling.k8s.io", optional=True),
    Wanted("ValidatingWebhookConfiguration", "admissionregistration.k8s.io"),
    Wanted("MutatingWebhookConfiguration", "admissionregistration.k8s.io"),
    Wanted("Certificate", "cert-manager.io", optional=True),
    Wanted("Challenge", "acme.cert-manager.io", optional=True),
    Wanted("GatewayClass", "gateway.networking.k8s.io", optional=True),
    Wanted("Gateway", "gateway.networking.k8s.io", optional=True),
    Wanted("HTTPRoute", "gateway.networking.k8s.io", optional=True),
    Wanted("GRPCRoute", "gateway.networking.k8s.io", optional=True),
)
"""Everything any check reads. Optional kinds missing from discovery are not errors."""

NOT_SERVED = "not served"
FORBIDDEN = "forbidden by RBAC"


@dataclass(frozen=True)
class Event:
    """A core/v1 or events.k8s.io/v1 event in one shape: about what, why, how often, since when."""

    namespace: str
    kind: str
    name: str
    reason: str
    message: str
    type: str
    count: int
    first: datetime | None
    last: datetime | None


def reduce_secret(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret or ConfigMap without values: name, namespace, type and the sorted key names."""
    meta = obj.get("metadata") or {}
    keys: set[str] = set(obj.get("keys") or [])  # already reduced: keep what it says (idempotent)
    for section in ("data", "stringData", "binaryData"):
        keys.update(str(k) for k in (obj.get(section) or {}))
    out: dict[str, Any] = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"),
                           "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace", "")},
                           "keys": sorted(keys)}
    if obj.get("type"):
        out["type"] = obj["type"]
    return out


def normalize_event(obj: dict[str, Any]) -> Event:
    """Either event API's object as an `Event` (events.k8s.io says regarding/note/deprecated*)."""
    about = obj.get("involvedObject") or obj.get("regarding") or {}
    series = obj.get("series") or {}
    count = obj.get("count") or obj.get("deprecatedCount") or series.get("count") or 1
    first = parse_ts(obj.get("firstTimestamp") or obj.get("deprecatedFirstTimestamp") or obj.get("eventTime")
                     or (obj.get("metadata") or {}).get("creationTimestamp"))
    last = parse_ts(series.get("lastObservedTime") or obj.get("lastTimestamp")
                    or obj.get("deprecatedLastTimestamp") or obj.get("eventTime")) or first
    return Event(namespace=str(about.get("namespace") or (obj.get("metadata") or {}).get("namespace") or ""),
                 kind=str(about.get("kind") or ""), name=str(about.get("name") or ""),
                 reason=str(obj.get("reason") or ""), message=str(obj.get("message") or obj.get("note") or ""),
                 type=str(obj.get("type") or "Normal"), count=int(count), first=first, last=last)


def _ns(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


@dataclass
class Snapshot:
    """The listed objects by kind, what could not be listed, and indexes the checks share."""

    objects: dict[str, list[dict[str, Any]]]
    listed: set[str]
    errors: list[str] = field(default_factory=list)
    not_served: list[str] = field(default_factory=list)
    namespace: str = ""
    """The namespace the scan was narrowed to; empty means all."""
    hidden: frozenset[str] = frozenset()
    """Namespaces dropped for policy: their objects are unknown here, never "missing"."""

    def __post_init__(self) -> None:
        for kind in ("Secret", "ConfigMap"):
            if kind in self.objects:
                self.objects[kind] = [reduce_secret(o) for o in self.objects[kind]]
        self._by_name: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._events: list[Event] | None = None
        self._events_by_obj: dict[tuple[str, str, str], list[Event]] | None = None
        self._owner_cache: dict[tuple[str, str, str], ObjectRef | None] = {}
        self._pods_by_ns: dict[str, list[dict[str, Any]]] | None = None
        self._label_index: dict[tuple[str, str, str], list[dict[str, Any]]] | None = None

    # ---- building -----------------------------------------------------------------------------
    @classmethod
    def from_objects(cls, objects: Iterable[dict[str, Any]], *, listed: Iterable[str] | None = None,
                     namespace: str = "") -> Snapshot:
        """A snapshot of plain objects (a bundle, a test); `listed` defaults to the kinds present."""
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for obj in objects:
            kind = str(obj.get("kind") or "")
            if kind == "Event" and str(obj.get("apiVersion", "")).startswith("events.k8s.io"):
                kind = "Event.events.k8s.io"
            by_kind.setdefault(kind, []).append(obj)
        return cls(by_kind, set(listed) if listed is not None else set(by_kind), namespace=namespace)

    def visible_only(self, visible: Callable[[str], bool]) -> tuple[Snapshot, list[str]]:
        """The snapshot without the namespaces `visible` refuses, and those namespaces, sorted."""
        hidden: set[str] = set()
        kept: dict[str, list[dict[str, Any]]] = {}
        for kind, items in self.objects.items():
            out = []
            for obj in items:
                ns = _ns(obj) or (str(((obj.get("involvedObject") or obj.get("regarding") or {}).get("namespace"))
                                      or "") if kind.startswith("Event") else "")
                if ns and not visible(ns):
                    hidden.add(ns)
                else:
                    out.append(obj)
            kept[kind] = out
        snap = Snapshot(kept, set(self.listed), list(self.errors), list(self.not_served), self.namespace,
                        self.hidden | frozenset(hidden))
        return snap, sorted(hidden)

    # ---- reading ------------------------------------------------------------------------------
    def items(self, kind: str) -> list[dict[str, Any]]:
        return self.objects.get(kind, [])

    def has(self, kind: str) -> bool:
        """Whether `kind` was listed, so that its absence means "does not exist"."""
        return kind in self.listed

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        index = self._by_name.get(kind)
        if index is None:
            index = {(_ns(o), _name(o)): o for o in self.items(kind)}
            self._by_name[kind] = index
        return index.get((namespace, name))

    def in_scope(self, namespace: str) -> bool:
        """Whether objects of `namespace` were listed and kept (all namespaces, or the one scanned;
        never one the policy hides)."""
        return (not self.namespace or namespace == self.namespace) and namespace not in self.hidden

    @property
    def events(self) -> list[Event]:
        """Both event APIs, merged: an event served through both (same namespace/name) counts once."""
        if self._events is None:
            seen: set[tuple[str, str]] = set()
            out: list[Event] = []
            for kind in ("Event", "Event.events.k8s.io"):
                for obj in self.items(kind):
                    key = (_ns(obj), _name(obj))
                    if key in seen and key[1]:
                        continue
                    seen.add(key)
                    out.append(normalize_event(obj))
            self._events = out
        return self._events

    def events_for(self, kind: str, namespace: str, name: str) -> list[Event]:
        """Events about one object, oldest first."""
        if self._events_by_obj is None:
            index: dict[tuple[str, str, str], list[Event]] = {}
            for e in self.events:
                index.setdefault((e.kind, e.namespace, e.name), []).append(e)
            for evs in index.values():
                evs.sort(key=lambda e: (e.first or e.last or datetime.min.replace(tzinfo=None)).isoformat())
            self._events_by_obj = index
        return self._events_by_obj.get((kind, namespace, name), [])

    def pods_in(self, namespace: str) -> list[dict[str, Any]]:
        if self._pods_by_ns is None:
            index: dict[str, list[dict[str, Any]]] = {}
            for pod in self.items("Pod"):
                index.setdefault(_ns(pod), []).append(pod)
            self._pods_by_ns = index
        return self._pods_by_ns.get(namespace, [])

    def pods_selected(self, namespace: str, selector: dict[str, Any]) -> list[dict[str, Any]]:
        """Non-terminal pods of `namespace` carrying every label of an equality `selector` (a Service's).

        Indexed by (namespace, label, value) once, then the smallest candidate list is filtered,
        so thousands of Services over thousands of pods stay linear.
        """
        if self._label_index is None:
            index: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
            for pod in self.items("Pod"):
                if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    continue
                for key, value in ((pod.get("metadata") or {}).get("labels") or {}).items():
                    index.setdefault((_ns(pod), str(key), str(value)), []).append(pod)
            self._label_index = index
        if not selector:
            return []
        candidates = [self._label_index.get((namespace, str(k), str(v)), []) for k, v in selector.items()]
        smallest = min(candidates, key=len)
        return [p for p in smallest
                if all(((p.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in selector.items())]

    def owner_of(self, obj: dict[str, Any]) -> ObjectRef | None:
        """The top-level controller: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, ..."""
        ns, kind, name = _ns(obj), str(obj.get("kind") or ""), _name(obj)
        key = (kind, ns, name)
        if key not in self._owner_cache:
            ref: ObjectRef | None = None
            current = obj
            for _ in range(4):
                refs = (current.get("metadata") or {}).get("ownerReferences") or []
                chosen = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
                if not chosen or not chosen.get("kind") or not chosen.get("name"):
                    break
                ref = ObjectRef(kind=str(chosen["kind"]), namespace=ns, name=str(chosen["name"]))
                parent = self.get(ref.kind, ns, ref.name)
                if parent is None:
                    break
                current = parent
            self._owner_cache[key] = ref
        return self._owner_cache[key]

    def scanned(self) -> dict[str, int]:
        """Kind -> objects looked at (listed kinds only)."""
        return {kind: len(self.items(kind)) for kind in sorted(self.listed)}


def collect(client: KubeClient, context: str, namespace: str = "", *, workers: int = 8,
            wanted: Iterable[Wanted] = WANTED) -> Snapshot:
    """List every wanted kind in parallel threads; each failure is recorded, never raised.

    Only a failure to reach the cluster at all (discovery itself failing) raises `KubeError`.
    """
    from mcp_servers.kubernetes.client import KubeError

    types = client.resource_types(context)
    jobs = []
    not_served: list[str] = []
    errors: list[str] = []
    for w in wanted:
        t = next((t for t in types if t.kind == w.kind and t.group == w.group), None)
        if t is None:
            if w.optional:
                not_served.append(f"{w.kind} ({w.group})" if w.group else w.kind)
            else:
                errors.append(f"{w.kind}: {NOT_SERVED}")
            continue
        jobs.append((w, t))

    def one(pair: tuple[Wanted, Any]) -> tuple[Wanted, list[dict[str, Any]] | None, str]:
        w, t = pair
        try:
            items, truncated = client.list_all(context, t, namespace or None, field_selector=w.field_selector)
        except KubeError as exc:
            why = FORBIDDEN if exc.status == 403 else f"{exc.status} {exc.reason}: {exc.message[:120]}"
            return w, None, f"{w.kind}: {why}"
        return w, items, f"{w.kind}: truncated at {len(items)} objects" if truncated else ""

    objects: dict[str, list[dict[str, Any]]] = {}
    listed: set[str] = set()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs) or 1))) as pool:
        for w, items, problem in pool.map(one, jobs):
            if items is not None:
                objects[w.key] = items
                listed.add(w.key)
            if problem:
                errors.append(problem)
    return Snapshot(objects, listed, sorted(errors), sorted(not_served), namespace)


RECORDING_GAP_S = 6 * 3600
"""A snapshot whose newest sign of life is older than this is a recording (a dump, the replay)."""


def observed_now(snap: Snapshot, wall: datetime) -> datetime:
    """"Now" for the checks: the wall clock, unless the snapshot is a recording.

    Kubelets refresh their node's heartbeat every few seconds, so on a live cluster the newest
    heartbeat or event is minutes old at most. When it is hours older than the wall clock, the
    objects were captured earlier (a bundle served by the replay server) and their newest time is
    the moment they describe; ages and "recent" windows are then measured from it.
    """
    newest: datetime | None = None
    for node in snap.items("Node"):
        for cond in (node.get("status") or {}).get("conditions") or []:
            t = parse_ts(cond.get("lastHeartbeatTime"))
            if t is not None and (newest is None or t > newest):
                newest = t
    for e in snap.events:
        if e.last is not None and (newest is None or e.last > newest):
            newest = e.last
    if newest is None or (wall - newest).total_seconds() < RECORDING_GAP_S:
        return wall
    return newest
