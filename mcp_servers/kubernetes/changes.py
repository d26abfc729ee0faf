"""What changed in the cluster shortly before a symptom: a typed, newest-first change timeline.

The first question an SRE asks is "what changed?". Kubernetes keeps no audit of its own that a
read-only client can rely on, but the objects carry enough dated traces to rebuild one: ReplicaSet
and ControllerRevision revisions (with the pod template of each, so the diff is exact),
managedFields times on ConfigMaps and Secrets, the last-applied-configuration annotation, an HPA's
lastScaleTime, node condition transitions, cert-manager Certificate times, Helm release Secrets,
creation timestamps, and events (ScalingReplicaSet, SuccessfulRescale, deletions) for the last hour.
One-off Jobs that started or finished in the window are changes too (a migration, a backfill, a Helm
hook): `with_job_logs` adds the schema statements their pods' logs print.

`read_objects` does the API reads; `timeline` is pure over the lists it returns, so the rules are
tested over plain dicts; `rank_changes` orders changes for a subject (the triage's question:
which change is closest to the symptom, in time and in topology). Secret values never appear: a
Secret change names keys only, and an env diff whose value looks like a secret says "changed".
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_servers.common.compact import fit_text
from mcp_servers.common.logfacts.schema import statements
from mcp_servers.kubernetes import any_changes, storage_writes, template_writes
from mcp_servers.kubernetes import health as h
from mcp_servers.kubernetes.client import KubeClient, KubeError
from mcp_servers.kubernetes.objectref import ObjectRef, ref_key, ref_of
from mcp_servers.kubernetes.reads import looks_secret, revision_rows

ChangeType = Literal["rollout", "config", "secret", "scale", "node", "certificate", "created", "deleted", "helm",
                     "job", "other"]
MAX_CHANGES = 200
MAX_RELATED = 25
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
HELM_RELEASE_TYPE = "helm.sh/release.v1"
SKIPPED_SECRET_TYPES = frozenset({HELM_RELEASE_TYPE, "kubernetes.io/service-account-token"})
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
CREATED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service", "Ingress", "NetworkPolicy",
                 "HorizontalPodAutoscaler", "Node")
DELETION_REASONS = frozenset({"SuccessfulDelete", "Deleted", "Killing", "DeletingNode", "RemovingNode"})

READ_KINDS: dict[str, str] = {
    "Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
    "ReplicaSet": "replicasets", "ControllerRevision": "controllerrevisions", "ConfigMap": "configmaps",
    "Secret": "secrets", "HorizontalPodAutoscaler": "horizontalpodautoscalers", "Node": "nodes", "Pod": "pods",
    "Event": "events", "Service": "services", "Ingress": "ingresses", "NetworkPolicy": "networkpolicies",
    "Certificate": "certificates.cert-manager.io", "CronJob": "cronjobs", "Job": "jobs",
    "EndpointSlice": "endpointslices.discovery.k8s.io", "Endpoints": "endpoints",
    "PersistentVolume": "persistentvolumes", "StorageClass": "storageclasses.storage.k8s.io",
}
"""Kind -> the resource name resolved through discovery; kinds the cluster lacks are skipped."""
CHANGE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision", "ConfigMap", "Secret",
                "HorizontalPodAutoscaler", "Node", "Pod", "Event", "Service", "Ingress", "NetworkPolicy",
                "Certificate", "CronJob", "Job", "PersistentVolume", "StorageClass")
"""What the change timeline reads."""

Objects = dict[str, list[dict[str, Any]]]


class Change(BaseModel):
    """One dated change to one object, with what changed field by field."""

    at: str = Field(description="When, RFC 3339.")
    type: ChangeType
    object: ObjectRef
    summary: str
    diff: list[str] = Field(default_factory=list, description="One entry per changed field.")
    revision: int | None = None
    related: list[ObjectRef] = Field(default_factory=list,
                                     description="Workloads using a changed ConfigMap/Secret, pods on a changed node.")


class ChangesResult(BaseModel):
    """The change timeline of a window, newest first."""

    window_start: str
    window_end: str
    changes: list[Change]
    hidden_namespaces: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    left_out: int = Field(0, description="Older changes dropped beyond the cap; narrow the window or namespace.")


# ---- reading ------------------------------------------------------------------------------

def read_objects(kc: KubeClient, ctx: str, namespace: str | None, visible: Callable[[str], bool],
                 kinds: Iterable[str] = CHANGE_KINDS,
                 any_kind: bool | None = None) -> tuple[Objects, list[str], list[str]]:
    """Every object of `kinds` in `namespace` (None = all), only namespaces `visible` allows:
    (objects by kind, hidden namespaces, errors). A kind the cluster does not serve is skipped
    silently (no cert-manager, no HPA API); a kind RBAC refuses is reported in errors."""
    objects: Objects = {}
    hidden: set[str] = set()
    errors: list[str] = []
    for kind in kinds:
        try:
            t = kc.resolve_kind(ctx, READ_KINDS[kind])
        except KubeError as exc:
            if exc.status == 0:
                raise
            continue
        try:
            items, truncated = kc.list_all(ctx, t, namespace if t.namespaced else None)
        except KubeError as exc:
            if exc.status == 0:
                raise
            errors.append(f"{kind}: {exc.status} {exc.message}")
            continue
        if truncated:
            errors.append(f"{kind}: more objects than one read returns; narrow with namespace")
        kept = []
        for item in items:
            ns = (item.get("metadata") or {}).get("namespace") or ""
            if visible(ns):
                kept.append(item)
            else:
                hidden.add(ns)
        objects[kind] = kept
    if kinds is CHANGE_KINDS if any_kind is None else any_kind:  # the timeline also sees custom kinds (any_changes)
        known = set(objects) | set(READ_KINDS)
        more, more_hidden, more_errors = any_changes.read_any(kc, ctx, namespace, visible, known)
        objects.update(more)
        hidden.update(more_hidden)
        errors += more_errors
    return objects, sorted(hidden), errors


# ---- small helpers ------------------------------------------------------------------------

def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def event_time(e: dict[str, Any]) -> datetime | None:
    """The newest time an event records (series, lastTimestamp, eventTime, first, creation)."""
    series = (e.get("series") or {}).get("lastObservedTime")
    for value in (series, e.get("lastTimestamp"), e.get("eventTime"), e.get("firstTimestamp"),
                  _meta(e).get("creationTimestamp")):
        t = h.parse_ts(value)
        if t:
            return t
    return None


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod spec holder of a workload or a pod: {"spec": podSpec}."""
    if obj.get("kind") == "Pod":
        return {"spec": obj.get("spec") or {}}
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return spec.get("template") or {}


def referenced_sources(template: dict[str, Any]) -> set[tuple[str, str]]:
    """("ConfigMap"|"Secret", name) for every env, envFrom, volume and projected source a pod
    template reads, init containers included."""
    spec = template.get("spec") or {}
    out: set[tuple[str, str]] = set()
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for e in c.get("env") or []:
            src = e.get("valueFrom") or {}
            if "configMapKeyRef" in src:
                out.add(("ConfigMap", str(src["configMapKeyRef"].get("name"))))
            if "secretKeyRef" in src:
                out.add(("Secret", str(src["secretKeyRef"].get("name"))))
        for src in c.get("envFrom") or []:
            if "configMapRef" in src:
                out.add(("ConfigMap", str(src["configMapRef"].get("name"))))
            if "secretRef" in src:
                out.add(("Secret", str(src["secretRef"].get("name"))))
    for v in spec.get("volumes") or []:
        if "configMap" in v:
            out.add(("ConfigMap", str(v["configMap"].get("name"))))
        if "secret" in v:
            out.add(("Secret", str(v["secret"].get("secretName"))))
        for s in (v.get("projected") or {}).get("sources") or []:
            if "configMap" in s:
                out.add(("ConfigMap", str(s["configMap"].get("name"))))
            if "secret" in s:
                out.add(("Secret", str(s["secret"].get("name"))))
    return out


CONFIG_NAME_SUFFIXES = ("", "-config", "-configmap", "-env", "-settings", "-cfg", "-conf")
"""How charts and teams name an app's ConfigMap: `<app>`, `<app>-config` ..."""


def app_names(workload: dict[str, Any]) -> set[str]:
    """A workload's name and its app labels (app, app.kubernetes.io/name)."""
    labels = (pod_template(workload).get("metadata") or {}).get("labels") or _meta(workload).get("labels") or {}
    return {str(_meta(workload).get("name")), *(str(labels[k]) for k in ("app", "app.kubernetes.io/name")
                                                 if labels.get(k))}


def named_after(config: dict[str, Any], apps: set[str]) -> bool:
    """Whether a ConfigMap (or Secret) is named or labelled after one of `apps`, the convention
    that ties an app to its settings when the pod spec does not reference them (a reloader, an
    app that reads them through the API)."""
    meta = _meta(config)
    name = str(meta.get("name"))
    if any(name.startswith(a) and name[len(a):] in CONFIG_NAME_SUFFIXES for a in apps):
        return True
    labels: dict[str, Any] = meta.get("labels") or {}
    return any(labels.get(k) in apps for k in ("app", "app.kubernetes.io/name"))


def users_of(objects: Objects, kind: str, namespace: str, name: str,
             config: dict[str, Any] | None = None) -> list[ObjectRef]:
    """The workloads (and bare pods) in `namespace` whose pod template reads ConfigMap/Secret `name`,
    then (when `config` is given) those it is named or labelled after."""
    out = []
    by_name = []
    for wkind in (*WORKLOAD_KINDS, "CronJob"):
        for w in objects.get(wkind) or []:
            if _meta(w).get("namespace") != namespace:
                continue
            if (kind, name) in referenced_sources(pod_template(w)):
                out.append(ref_of(w))
            elif config is not None and named_after(config, app_names(w)):
                by_name.append(ref_of(w))
    out += by_name
    for p in objects.get("Pod") or []:
        if _meta(p).get("namespace") == namespace and not _meta(p).get("ownerReferences") \
                and (kind, name) in referenced_sources(pod_template(p)):
            out.append(ref_of(p))
    return out


def _fields_keys(fields: dict[str, Any]) -> list[str]:
    """Data keys a managedFields entry owns: f:data / f:binaryData / f:stringData children."""
    keys: list[str] = []
    for section in ("f:data", "f:binaryData", "f:stringData"):
        keys += [k[2:] for k in (fields.get(section) or {}) if k.startswith("f:")]
    return sorted(keys)


class _Window:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end

    def has(self, t: datetime | None) -> bool:
        return t is not None and self.start <= t <= self.end


# ---- the rules ----------------------------------------------------------------------------

def timeline(objects: Objects, start: datetime, end: datetime) -> list[Change]:
    """Every change the objects show between `start` and `end`, newest first."""
    w = _Window(start, end)
    changes: list[Change] = []
    changes += _rollouts(objects, w)
    changes += _config_and_secrets(objects, w)
    changes += _helm(objects, w)
    changes += _scaling(objects, w, {ref_key(c.object) for c in changes if c.type == "rollout"})
    changes += _spec_writes(objects, w)
    changes += _template_writes(objects, w)
    changes += _nodes(objects, w)
    changes += _certificates(objects, w)
    changes += _created(objects, w)
    changes += _deleted(objects, w)
    changes += _jobs(objects, w)
    changes += _restarts(objects, w, {ref_key(c.object) for c in changes if c.type in ("rollout", "created")})
    mounts = _mount_option_writes(objects, w)
    changes += _any_kind_writes(objects, w, {ref_key(c.object) for c in mounts if c.type == "created"})
    changes += mounts
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes


_SIZING = re.compile(r"OPTS|HEAP|MEM|SIZE|LIMIT|THREAD|POOL|WORKERS|TIMEOUT|MAX", re.I)
"""Environment names whose values size or bound a process (JVM options, heap, pools, timeouts)."""


def _restarts(objects: Objects, w: _Window, known: set[tuple[str, str, str]]) -> list[Change]:
    """A StatefulSet or DaemonSet whose every pod was recreated in the window, with no revision that
    says so: a restart or an update whose history is not visible. The current template's image,
    memory limit and sizing settings say what the pods now run with."""
    out = []
    for kind in ("StatefulSet", "DaemonSet"):
        for obj in objects.get(kind) or []:
            ref = ref_of(obj)
            created = h.parse_ts(_meta(obj).get("creationTimestamp"))
            if ref_key(ref) in known or (created is not None and w.has(created)):
                continue
            uid = _meta(obj).get("uid")
            pods = [p for p in objects.get("Pod") or [] if _meta(p).get("namespace") == ref.namespace and any(
                o.get("kind") == kind and (o.get("name") == ref.name or (uid and o.get("uid") == uid))
                for o in _meta(p).get("ownerReferences") or [])]
            starts = [h.parse_ts(_meta(p).get("creationTimestamp")) for p in pods]
            if not pods or any(t is None or not w.has(t) for t in starts):
                continue
            first = min(t for t in starts if t is not None)
            containers = (pod_template(obj).get("spec") or {}).get("containers") or []
            now_runs = []
            for c in containers[:2]:
                limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
                memory = f", memory limit {limit}" if limit else ""
                now_runs.append(f"{c.get('name')} image {c.get('image')}{memory}")
                now_runs += [f"env {e.get('name')}='{e.get('value')}'" for e in c.get("env") or []
                             if isinstance(e.get("value"), str) and _SIZING.search(str(e.get("name") or ""))][:3]
            out.append(Change(at=iso(first), type="rollout", object=ref, diff=now_runs,
                              summary=f"{ref}: all {len(pods)} pods recreated since {iso(first)} (a restart or an "
                                      "update with no visible revision); now running " + "; ".join(now_runs)))
    return out


def _rollouts(objects: Objects, w: _Window) -> list[Change]:
    """A revision created in the window is a rollout, diffed against the revision before it. A
    rollback reuses an old ReplicaSet (old creationTimestamp), so a "Scaled up replica set X"
    event in the window for the current revision's ReplicaSet dates it instead."""
    by_ns: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in [*(objects.get("ReplicaSet") or []), *(objects.get("ControllerRevision") or [])]:
        by_ns[_meta(item).get("namespace") or ""].append(item)
    scaled_up: dict[tuple[str, str], datetime] = {}
    for e in objects.get("Event") or []:
        if e.get("reason") == "ScalingReplicaSet" and "Scaled up replica set" in str(e.get("message")):
            rs = str(e.get("message")).split("Scaled up replica set", 1)[1].split()[0]
            t = event_time(e)
            key = (_meta(e).get("namespace") or "", rs)
            if t and w.has(t) and (key not in scaled_up or t < scaled_up[key]):
                scaled_up[key] = t
    # diffing every revision of every workload is the costly part: only owners of a revision
    # created (or scaled up) in the window are diffed
    recent_owners: set[tuple[str, str]] = set()
    for ns, items in by_ns.items():
        for item in items:
            if w.has(h.parse_ts(_meta(item).get("creationTimestamp"))) or (ns, _meta(item).get("name")) in scaled_up:
                for o in _meta(item).get("ownerReferences") or []:
                    recent_owners.update({(ns, str(o.get("uid"))), (ns, str(o.get("name")))})
    out = []
    for kind in WORKLOAD_KINDS:
        for obj in objects.get(kind) or []:
            ns = _meta(obj).get("namespace") or ""
            if (ns, str(_meta(obj).get("uid"))) not in recent_owners and (ns, _meta(obj).get("name")) not in \
                    recent_owners:
                continue
            rows = revision_rows(obj, by_ns.get(ns, []))
            for i, row in enumerate(rows):
                if i == 0:
                    continue  # the first revision is the object's creation, reported as "created"
                t = h.parse_ts(row["created_at"])
                if not w.has(t) and row is rows[-1]:
                    t = scaled_up.get((ns, row["name"]))
                if not w.has(t) or t is None:
                    continue
                out.append(_rollout_change(obj, row, t, services_of(objects, obj)))
    return out


def services_of(objects: Objects, workload: dict[str, Any]) -> list[ObjectRef]:
    """The Services in the workload's namespace whose selector matches its pod template labels:
    a rollout of the workload changes what those Services answer."""
    labels = (pod_template(workload).get("metadata") or {}).get("labels") or {}
    ns = _meta(workload).get("namespace")
    out = []
    for svc in objects.get("Service") or []:
        selector = (svc.get("spec") or {}).get("selector") or {}
        if _meta(svc).get("namespace") == ns and selector and all(labels.get(k) == v for k, v in selector.items()):
            out.append(ref_of(svc))
    return out


def _rollout_change(obj: dict[str, Any], row: dict[str, Any], t: datetime, related: list[ObjectRef]) -> Change:
    ref = ref_of(obj)
    diff = list(row["changes"])
    head = "; ".join(diff[:3]) + (f"; +{len(diff) - 3} more" if len(diff) > 3 else "")
    summary = f"{ref} rolled out revision {row['revision']}" + (f": {head}" if head else
                                                                         ": pod template unchanged")
    if row.get("cause"):
        summary += f" (change-cause: {row['cause']})"
    return Change(at=iso(t), type="rollout", object=ref, summary=summary, diff=diff, revision=row["revision"],
                  related=related[:MAX_RELATED])


def _config_and_secrets(objects: Objects, w: _Window) -> list[Change]:
    out = []
    pairs: tuple[tuple[str, ChangeType], ...] = (("ConfigMap", "config"), ("Secret", "secret"))
    for kind, ctype in pairs:
        for obj in objects.get(kind) or []:
            if kind == "Secret" and obj.get("type") in SKIPPED_SECRET_TYPES:
                continue
            change = _data_change(objects, obj, kind, ctype, w)
            if change:
                out.append(change)
    return out


def _data_change(objects: Objects, obj: dict[str, Any], kind: str, ctype: ChangeType, w: _Window) -> Change | None:
    """A ConfigMap/Secret created or written in the window: which keys, by which manager, and
    which keys differ from the last `kubectl apply` (key names only for a Secret)."""
    meta = _meta(obj)
    created = h.parse_ts(meta.get("creationTimestamp"))
    writes = [(h.parse_ts(m.get("time")), m) for m in meta.get("managedFields") or []]
    writes_in = [(t, m) for t, m in writes if t is not None and w.has(t) and (created is None or t > created)]
    created_in = w.has(created)
    if not writes_in and not created_in:
        return None
    ref = ref_of(obj)
    diff: list[str] = []
    for _t, m in sorted(writes_in, key=lambda x: x[0] or w.start):
        for key in _fields_keys(m.get("fieldsV1") or {}):
            diff.append(f"data key {key} set by {m.get('manager', 'unknown')}")
    diff += _last_applied_diff(obj, kind)
    times = [t for t, _ in writes_in if t] + ([created] if created_in and created else [])
    when = max(times)
    if writes_in:
        managers = sorted({str(m.get("manager", "unknown")) for _, m in writes_in})
        summary = f"{ref} updated by {', '.join(managers)}"
    else:
        summary = f"{ref} created with keys: " + ", ".join(sorted(_data_keys(obj))[:12])
    if diff:
        summary += ": " + "; ".join(diff[:3]) + (f"; +{len(diff) - 3} more" if len(diff) > 3 else "")
    related = users_of(objects, kind, ref.namespace, ref.name, obj)
    if related:
        summary += f" (used by {', '.join(str(r) for r in related[:3])})"
    return Change(at=iso(when), type=ctype, object=ref, summary=summary, diff=list(dict.fromkeys(diff)),
                  related=related[:MAX_RELATED])


def _data_keys(obj: dict[str, Any]) -> set[str]:
    return set(obj.get("data") or {}) | set(obj.get("binaryData") or {})


def _last_applied_diff(obj: dict[str, Any], kind: str) -> list[str]:
    """Keys whose current value differs from the last-applied-configuration: the object was edited
    outside `kubectl apply` (edit, patch, a controller). Old values are only known from this
    annotation; a Secret's never leave, only its key names."""
    raw = (_meta(obj).get("annotations") or {}).get(LAST_APPLIED)
    if not raw:
        return []
    try:
        applied = json.loads(raw)
    except (ValueError, TypeError):
        return []
    if not isinstance(applied, dict):
        return []
    old: dict[str, str] = {str(k): str(v) for k, v in (applied.get("data") or {}).items()}
    current: dict[str, str] = {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    if kind == "Secret":
        for k, v in (applied.get("stringData") or {}).items():
            old[str(k)] = base64.b64encode(str(v).encode()).decode()
    out = []
    for key in sorted(set(old) | set(current)):
        if key not in current:
            out.append(f"data key {key} removed since the last apply")
        elif key not in old:
            out.append(f"data key {key} added outside kubectl apply")
        elif old[key] != current[key]:
            line = f"data key {key} {old[key]!r} -> {current[key]!r} (outside kubectl apply)"
            out.append(line if kind == "ConfigMap" and len(line) < 200 and not looks_secret(line)
                       else f"data key {key} changed outside kubectl apply")
    return out


def _helm(objects: Objects, w: _Window) -> list[Change]:
    """Helm 3 keeps each release revision in a Secret of type helm.sh/release.v1 whose labels say
    name, version, status and modifiedAt; only those labels are read, never the payload."""
    out = []
    for s in objects.get("Secret") or []:
        if s.get("type") != HELM_RELEASE_TYPE:
            continue
        meta = _meta(s)
        labels = meta.get("labels") or {}
        modified = str(labels.get("modifiedAt") or "")
        t = (datetime.fromtimestamp(int(modified), UTC) if modified.isdigit()
             else h.parse_ts(meta.get("creationTimestamp")))
        if not w.has(t) or t is None:
            continue
        ns, name = meta.get("namespace") or "", str(labels.get("name") or meta.get("name"))
        version = int(labels["version"]) if str(labels.get("version", "")).isdigit() else None
        related = [ref_of(x) for kind in (*WORKLOAD_KINDS, "Service", "ConfigMap") for x in objects.get(kind) or []
                   if _meta(x).get("namespace") == ns and (
                       (_meta(x).get("labels") or {}).get("app.kubernetes.io/instance") == name
                       or (_meta(x).get("annotations") or {}).get("meta.helm.sh/release-name") == name)]
        summary = f"Helm release {ns}/{name} revision {version} {labels.get('status', 'unknown')}"
        if related:
            summary += f" (manages {', '.join(str(r) for r in related[:4])})"
        out.append(Change(at=iso(t), type="helm", object=ObjectRef(kind="HelmRelease", namespace=ns, name=name),
                          summary=summary, revision=version, related=related[:MAX_RELATED]))
    return out


def _scaling(objects: Objects, w: _Window, rolled: set[tuple[str, str, str]]) -> list[Change]:
    """HPA rescales (events, else status.lastScaleTime) and ScalingReplicaSet events of a
    Deployment that did not roll out in the window (manual `kubectl scale`, an HPA)."""
    out: list[Change] = []
    hpas = {(_meta(x).get("namespace") or "", _meta(x).get("name")): x
            for x in objects.get("HorizontalPodAutoscaler") or []}

    def target(ns: str, hpa_name: str) -> tuple[ObjectRef, list[ObjectRef]]:
        hpa = hpas.get((ns, hpa_name))
        hpa_ref = ObjectRef(kind="HorizontalPodAutoscaler", namespace=ns, name=hpa_name)
        tgt = ((hpa or {}).get("spec") or {}).get("scaleTargetRef") or {}
        if tgt.get("name"):
            return ObjectRef(kind=str(tgt.get("kind") or "Deployment"), namespace=ns, name=str(tgt["name"])), [hpa_ref]
        return hpa_ref, []

    rescaled: set[tuple[str, str]] = set()
    by_deploy: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in objects.get("Event") or []:
        t = event_time(e)
        if not w.has(t) or t is None:
            continue
        inv = e.get("involvedObject") or {}
        ns = str(inv.get("namespace") or _meta(e).get("namespace") or "")
        if e.get("reason") == "SuccessfulRescale":
            obj, related = target(ns, str(inv.get("name")))
            out.append(Change(at=iso(t), type="scale", object=obj, related=related,
                              summary=f"{obj} rescaled by HPA {inv.get('name')}: {e.get('message')}"))
            rescaled.add((ns, str(inv.get("name"))))
        elif e.get("reason") == "ScalingReplicaSet" and inv.get("kind") == "Deployment":
            by_deploy[(ns, str(inv.get("name")))].append(e)
    for (ns, name), hpa in hpas.items():
        t = h.parse_ts((hpa.get("status") or {}).get("lastScaleTime"))
        if (ns, name) in rescaled or not w.has(t) or t is None:
            continue
        obj, related = target(ns, str(name))
        status = hpa.get("status") or {}
        out.append(Change(at=iso(t), type="scale", object=obj, related=related,
                          summary=f"{obj} rescaled by HPA {name}: now {status.get('currentReplicas')} "
                                  f"replicas, desired {status.get('desiredReplicas')}"))
    for (ns, name), events in by_deploy.items():
        if ("deployment", ns, name) in rolled:
            continue
        events.sort(key=lambda e: event_time(e) or w.start)
        last = events[-1]
        t = event_time(last) or w.end
        out.append(Change(at=iso(t), type="scale", object=ObjectRef(kind="Deployment", namespace=ns, name=name),
                          summary=f"Deployment {ns}/{name}: {last.get('message')}"
                                  + (f" ({len(events)} scaling events in the window)" if len(events) > 1 else ""),
                          diff=[str(e.get("message")) for e in events[-5:]]))
    return out


def _nodes(objects: Objects, w: _Window) -> list[Change]:
    """Node condition transitions (NotReady, pressure set or cleared), with the pods on the node."""
    pods_on: dict[str, list[ObjectRef]] = defaultdict(list)
    for p in objects.get("Pod") or []:
        node = (p.get("spec") or {}).get("nodeName")
        if node:
            pods_on[str(node)].append(ref_of(p))
    out = []
    for n in objects.get("Node") or []:
        name = str(_meta(n).get("name"))
        by_time: dict[datetime, list[dict[str, Any]]] = defaultdict(list)
        for cond in (n.get("status") or {}).get("conditions") or []:
            t = h.parse_ts(cond.get("lastTransitionTime"))
            if t is not None and w.has(t):
                by_time[t].append(cond)
        for t, conds in by_time.items():
            # one change per moment: a kubelet that stops reporting flips every condition at once
            conds.sort(key=lambda c: c.get("type") != "Ready")
            words = [_node_condition_words(c) for c in conds]
            first = conds[0]
            why = " ".join(str(x) for x in (first.get("reason"), first.get("message")) if x)
            out.append(Change(at=iso(t), type="node", object=ObjectRef(kind="Node", name=name),
                              summary=f"Node {name} " + "; ".join(words) + (f": {why[:160]}" if why else "")
                                      + f" ({len(pods_on[name])} pods on it)",
                              diff=[f"condition {c.get('type')} -> {c.get('status')}" for c in conds],
                              related=pods_on[name][:MAX_RELATED]))
    return out


WRITTEN_KINDS = ("Service", "Ingress", "NetworkPolicy", "HorizontalPodAutoscaler", "Deployment", "StatefulSet",
                 "DaemonSet", "CronJob")


def _spec_writes(objects: Objects, w: _Window) -> list[Change]:
    """Writes recorded in `metadata.managedFields` after creation: a Service selector or port, an
    Ingress backend, a NetworkPolicy, an HPA's bounds, a workload's replicas or strategy, a CronJob's
    Job settings (`spec.jobTemplate.spec.activeDeadlineSeconds`, `backoffLimit`, `parallelism`: no
    revision records them, so this write is their only trace). Which fields a manager wrote and when,
    not their old values. Status writes and pod-template writes (rollouts, reported with their diff;
    a CronJob's template settings by _template_writes) are left out."""
    out = []
    for kind in WRITTEN_KINDS:
        template = "spec.jobTemplate.spec.template" if kind == "CronJob" else "spec.template"
        workload = kind in WORKLOAD_KINDS or kind == "CronJob"
        for obj in objects.get(kind) or []:
            meta = _meta(obj)
            created = h.parse_ts(meta.get("creationTimestamp"))
            by_time: dict[datetime, list[tuple[str, list[str]]]] = defaultdict(list)
            for m in meta.get("managedFields") or []:
                t = h.parse_ts(m.get("time"))
                if t is None or not w.has(t) or (created is not None and t <= created) \
                        or m.get("subresource") == "status":
                    continue
                paths = [x for x in field_paths(m.get("fieldsV1") or {}) if not x.startswith("status")
                         and not (workload and x.startswith(template))
                         and not x.startswith("metadata.annotations.kubectl.kubernetes.io/last-applied")]
                if paths:
                    by_time[t].append((str(m.get("manager") or "unknown"), paths))
            ref = ref_of(obj)
            for t, writes in by_time.items():
                diff = [f"{path} written by {manager}{_now(obj, path)}" for manager, paths in writes
                        for path in paths][:12]
                every = [path for _, paths in writes for path in paths]
                ctype: ChangeType = "scale" if workload and all(x == "spec.replicas" for x in every) else "other"
                managers = ", ".join(sorted({manager for manager, _ in writes}))
                out.append(Change(at=iso(t), type=ctype, object=ref, diff=diff,
                                  summary=f"{ref} written by {managers}: " + ", ".join(every[:4])
                                          + (f" (+{len(every) - 4} more fields)" if len(every) > 4 else "")))
    return out


def _template_writes(objects: Objects, w: _Window) -> list[Change]:
    """A workload's or CronJob's (job template) args/command/env written (managedFields) with no revision in view:
    the fields' current values (mcp_servers.kubernetes.template_writes)."""
    out = []
    for wr in template_writes.writes(objects, (*WORKLOAD_KINDS, "CronJob"), w.has, looks_secret):
        ref = ref_of(wr["object"])
        out.append(Change(at=iso(wr["at"]), type="other", object=ref, diff=wr["diff"],
                          summary=f"{ref} pod template written by {', '.join(wr['managers'])} (no revision in view; "
                                  "previous values not recorded): " + "; ".join(wr["diff"][:2])))
    return out


def _mount_option_writes(objects: Objects, w: _Window) -> list[Change]:
    """A PersistentVolume's or StorageClass's mountOptions written (mcp_servers.kubernetes.storage_writes)."""
    out = []
    for wr in storage_writes.writes(objects, w.has):
        ref = ref_of(wr["object"])
        by = f" by {', '.join(wr['managers'])}" if wr["managers"] else ""
        verb = "created with mount options" if wr["created"] else "mount options written"
        out.append(Change(at=iso(wr["at"]), type="created" if wr["created"] else "other", object=ref,
                          diff=wr["diff"], summary=f"{ref} {verb}{by}: " + "; ".join(wr["diff"])))
    return out


def _any_kind_writes(objects: Objects, w: _Window, created_with_options: set[tuple[str, str, str]]) -> list[Change]:
    """Writes to objects of kinds no rule above reads (custom resources, ServiceAccounts), with the
    written fields' current values (mcp_servers.kubernetes.any_changes). PersistentVolumes and StorageClasses are
    read for their mount options (storage_writes) but every other field of theirs is still written here (a
    StorageClass re-applied without `allowVolumeExpansion`); a creation the mount-option rule reported
    (`created_with_options`, their ref keys) is not reported twice."""
    others = {k: v for k, v in objects.items() if k not in READ_KINDS or k in storage_writes.KINDS}
    out = []
    for wr in any_changes.writes(others, w.has, field_paths):
        if wr["object"].kind in storage_writes.KINDS and all("mountOptions" in d for d in wr["diff"]):
            continue  # the mount-option rule reports it (_mount_option_writes)
        gen = f" (generation {wr['generation']})" if wr.get("generation") else ""
        out.append(Change(at=iso(wr["at"]), type="other", object=wr["object"], diff=wr["diff"],
                          summary=f"{wr['object']} written by {', '.join(wr['managers'])}{gen}: "
                                  + "; ".join(wr["diff"][:3])
                                  + (f" (+{len(wr['diff']) - 3} more fields)" if len(wr["diff"]) > 3 else "")))
    for cr in any_changes.creations(others, w.has):  # created in the window: its settings are the change
        if ref_key(cr["object"]) in created_with_options:
            continue
        by = f" by {', '.join(cr['managers'])}" if cr["managers"] else ""
        out.append(Change(at=iso(cr["at"]), type="created", object=cr["object"], diff=cr["diff"],
                          summary=f"{cr['object']} created{by}: " + "; ".join(cr["diff"][:3])))
    return out


def _now(obj: dict[str, Any], path: str) -> str:
    """' (now VALUE)' for a written scalar field (a CronJob's timeZone, a strategy's maxUnavailable), else ""."""
    value = any_changes.value_at(obj, path)
    return f" (now {value!r})" if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 80 else ""


def field_paths(fields: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    """The leaf paths of a managedFields `fieldsV1` set: {"f:spec": {"f:selector": {"f:app": {}}}} ->
    ["spec.selector.app"]; list items keyed by `k:`/`v:` become `[…]`; at most 5 levels deep."""
    out: list[str] = []
    for key, child in fields.items():
        if key == ".":
            continue
        name = key[2:] if key.startswith("f:") else "[…]"
        path = f"{prefix}.{name}" if prefix else name
        leaves = {k: v for k, v in (child or {}).items() if k != "."} if isinstance(child, dict) else {}
        if not leaves or depth >= 4:
            out.append(path)
        else:
            out += field_paths(leaves, path, depth + 1)
    return list(dict.fromkeys(out))


def _node_condition_words(cond: dict[str, Any]) -> str:
    ctype, status = cond.get("type"), cond.get("status")
    if ctype == "Ready":
        return "became Ready" if status == "True" else f"became NotReady (Ready={status})"
    return {"True": f"{ctype} set", "False": f"{ctype} cleared"}.get(str(status), f"{ctype} {status}")


def _certificates(objects: Objects, w: _Window) -> list[Change]:
    """cert-manager Certificates issued (status.notBefore) or changing readiness in the window."""
    out = []
    for c in objects.get("Certificate") or []:
        ref = ref_of(c)
        status, spec = c.get("status") or {}, c.get("spec") or {}
        secret = str(spec.get("secretName") or "")
        related = users_of(objects, "Secret", ref.namespace, secret) if secret else []
        issued = h.parse_ts(status.get("notBefore"))
        if w.has(issued) and issued is not None:
            out.append(Change(at=iso(issued), type="certificate", object=ref, related=related,
                              summary=f"{ref} issued/renewed into Secret {secret or '?'}: valid until "
                                      f"{status.get('notAfter', '?')}, next renewal {status.get('renewalTime', '?')}",
                              diff=[f"notBefore -> {status.get('notBefore')}",
                                    f"notAfter -> {status.get('notAfter')}"]))
        for cond in status.get("conditions") or []:
            t = h.parse_ts(cond.get("lastTransitionTime"))
            if cond.get("type") == "Ready" and w.has(t) and t is not None and t != issued:
                out.append(Change(at=iso(t), type="certificate", object=ref, related=related,
                                  summary=f"{ref} Ready -> {cond.get('status')}: "
                                          f"{cond.get('reason', '')} {str(cond.get('message', ''))[:160]}".rstrip(),
                                  diff=[f"condition Ready -> {cond.get('status')}"]))
    return out


def _created(objects: Objects, w: _Window) -> list[Change]:
    out = []
    for kind in CREATED_KINDS:
        for obj in objects.get(kind) or []:
            t = h.parse_ts(_meta(obj).get("creationTimestamp"))
            if w.has(t) and t is not None:
                ref = ref_of(obj)
                out.append(Change(at=iso(t), type="created", object=ref, summary=f"{ref} created"))
    return out


JOB_LOG_LINES = 400
"""Lines of a Job pod's log read for the schema changes it made (a migration prints a few dozen)."""


def _jobs(objects: Objects, w: _Window) -> list[Change]:
    """Jobs started or finished in the window, a CronJob's routine runs excepted: a one-off Job (a migration,
    a backfill, a Helm hook) changes what the services around it depend on, and completes without leaving
    any failure behind. Dated at its completion (or start while it runs)."""
    out = []
    for job in objects.get("Job") or []:
        meta, status = _meta(job), job.get("status") or {}
        if any(o.get("kind") == "CronJob" for o in meta.get("ownerReferences") or []):
            continue
        started = h.parse_ts(status.get("startTime")) or h.parse_ts(meta.get("creationTimestamp"))
        finished = h.parse_ts(status.get("completionTime"))
        failed = next((c for c in status.get("conditions") or [] if c.get("type") == "Failed"
                       and c.get("status") == "True"), None)
        if failed is not None:
            finished = finished or h.parse_ts(failed.get("lastTransitionTime"))
        if not (w.has(started) or w.has(finished)):
            continue
        ref = ref_of(job)
        state = "failed" if failed is not None else "completed" if finished else "running"
        span = f"started {iso(started)}" if started else "started"
        span += f", {state} {iso(finished)}" if finished else f", {state}"
        annotations = meta.get("annotations") or {}
        hook = annotations.get("helm.sh/hook") or annotations.get("argocd.argoproj.io/hook")
        containers = (pod_template(job).get("spec") or {}).get("containers") or []
        command = " ".join(str(x) for c in containers[:1] for x in [*(c.get("command") or []), *(c.get("args") or [])])
        what = [f"hook {hook}" if hook else "", f"runs {command[:120]}" if command else "",
                f"image {containers[0].get('image')}" if containers and containers[0].get("image") else ""]
        summary = f"Job {ref.namespace}/{ref.name} {span}" + (f" ({'; '.join(x for x in what if x)})"
                                                              if any(what) else "")
        out.append(Change(at=iso(finished if finished and w.has(finished) else started or w.end), type="job",
                          object=ref, summary=summary, related=_job_related(objects, job)[:MAX_RELATED]))
    return out


def _job_related(objects: Objects, job: dict[str, Any]) -> list[ObjectRef]:
    """The workloads of the Job's app (app / instance labels, or the name it is built on): whose data it changes."""
    meta = _meta(job)
    ns, name = meta.get("namespace") or "", str(meta.get("name") or "")
    labels = {**(meta.get("labels") or {}), **((pod_template(job).get("metadata") or {}).get("labels") or {})}
    apps = {str(labels[k]) for k in ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance") if labels.get(k)}
    out = []
    for kind in WORKLOAD_KINDS:
        for w in objects.get(kind) or []:
            wname = str(_meta(w).get("name"))
            if _meta(w).get("namespace") == ns and (app_names(w) & apps or name.startswith(wname + "-")):
                out.append(ref_of(w))
    return out


def with_job_logs(result: ChangesResult, objects: Objects, read_log: Callable[[str, str, str], str]) -> ChangesResult:
    """Each Job change gets the schema changes its pods' logs name (logfacts.schema), as diff lines: a migration
    that dropped an index is only visible there. `read_log(namespace, pod, container)` reads a log's tail; a pod
    whose log cannot be read is skipped (its Job stays in the timeline, without the lines)."""
    for change in result.changes:
        if change.type != "job":
            continue
        pods = [p for p in objects.get("Pod") or [] if _meta(p).get("namespace") == change.object.namespace
                and ((_meta(p).get("labels") or {}).get("job-name") == change.object.name
                     or (_meta(p).get("labels") or {}).get("batch.kubernetes.io/job-name") == change.object.name)]
        for pod in pods[:2]:
            containers = (pod.get("spec") or {}).get("containers") or []
            try:
                text = read_log(change.object.namespace, str(_meta(pod).get("name")),
                                str(containers[0].get("name")) if containers else "")
            except KubeError:
                continue
            said = [f"schema: {s}" for s in statements(text.splitlines()[-JOB_LOG_LINES:]) if not looks_secret(s)]
            if said:
                change.diff = list(dict.fromkeys([*change.diff, *said]))
                change.summary += "; its log: " + "; ".join(s.removeprefix("schema: ") for s in said[:3])
                break
    return result


def _owner_prefix(pod_name: str) -> str:
    """checkout-7d9f8-x2x9z -> checkout-7d9f8: the pods of one ReplicaSet group together."""
    return pod_name.rsplit("-", 1)[0] if "-" in pod_name else pod_name


def _deleted(objects: Objects, w: _Window) -> list[Change]:
    """Deletions from events, one change per owner: "Deleted pod: x" from a controller, containers
    stopped by "Killing" (not a failed liveness probe: that is a restart, not a deletion)."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in objects.get("Event") or []:
        reason = str(e.get("reason"))
        t = event_time(e)
        if reason not in DELETION_REASONS or not w.has(t):
            continue
        message = str(e.get("message") or "")
        if reason == "Killing" and "Stopping container" not in message:
            continue
        inv = e.get("involvedObject") or {}
        ns, kind, name = str(inv.get("namespace") or ""), str(inv.get("kind") or ""), str(inv.get("name") or "")
        if kind == "Pod":
            name = _owner_prefix(name) + "-*"
        groups[(ns, kind, name, reason)].append(e)
    out = []
    for (ns, kind, name, reason), events in groups.items():
        events.sort(key=lambda e: event_time(e) or w.start)
        t = event_time(events[-1]) or w.end
        ref = ObjectRef(kind=kind, namespace=ns, name=name)
        count = sum(int(e.get("count") or 1) for e in events)
        out.append(Change(at=iso(t), type="deleted", object=ref,
                          summary=f"{ref}: {reason} x{count}, last: {str(events[-1].get('message'))[:160]}",
                          diff=[str(e.get("message"))[:160] for e in events[-5:]]))
    return out


# ---- ranking for a subject ----------------------------------------------------------------

def rank_changes(changes: list[Change], subject_refs: list[ObjectRef], at: datetime | str) -> list[Change]:
    """Order changes for an investigation of `subject_refs` (the workloads, services, pods and
    nodes around the symptom) at time `at`: first those touching a subject (the object itself or
    a related one), then those in a subject's namespace, then cluster-scoped ones (nodes,
    certificates), then the rest; within each tier the change closest before `at` first, and
    changes after `at` (which cannot have caused it) last."""
    when = at if isinstance(at, datetime) else h.parse_ts(at)
    if when is None:
        raise ValueError(f"rank_changes: cannot read time {at!r}; pass RFC 3339")
    keys = {ref_key(r) for r in subject_refs}
    names = {(r.namespace, r.name) for r in subject_refs}
    namespaces = {r.namespace for r in subject_refs if r.namespace}

    def tier(c: Change) -> int:
        refs = [c.object, *c.related]
        if any(ref_key(r) in keys or (r.namespace, r.name) in names for r in refs):
            return 0
        if any(r.namespace in namespaces for r in refs):
            return 1
        if not c.object.namespace:
            return 2
        return 3

    def distance(c: Change) -> float:
        t = h.parse_ts(c.at) or when
        gap = (when - t).total_seconds()
        return gap if gap >= 0 else 10**9 - gap

    return sorted(changes, key=lambda c: (tier(c), distance(c)))


# ---- the tool's answer --------------------------------------------------------------------

def changes_result(objects: Objects, at: datetime, window: timedelta, hidden: list[str],
                   errors: list[str]) -> ChangesResult:
    start = at - window
    found = timeline(objects, start, at)
    return ChangesResult(window_start=iso(start), window_end=iso(at), changes=found[:MAX_CHANGES],
                         hidden_namespaces=hidden, errors=errors, left_out=max(0, len(found) - MAX_CHANGES))


def render(result: ChangesResult, budget: int, more_hint: str) -> str:
    """Compact text from the model: one line per change, its diff and users indented."""
    lines = [f"{len(result.changes) + result.left_out} changes between {result.window_start} and "
             f"{result.window_end}, newest first"]
    if result.hidden_namespaces:
        lines.append(f"hidden by policy: {', '.join(result.hidden_namespaces)}")
    for err in result.errors:
        lines.append(f"could not read: {err}")
    if not result.changes:
        lines.append("no change found in the window (events expire after about an hour; widen `window` or check "
                     "`at`)")
    for c in result.changes:
        lines.append(f"- {c.at} {c.type}: {c.summary}")
        for d in c.diff[:8]:
            lines.append(f"    {d}")
        if len(c.diff) > 8:
            lines.append(f"    (+{len(c.diff) - 8} more fields)")
        if c.related and c.type not in ("node",):
            lines.append("    related: " + ", ".join(str(r) for r in c.related[:6])
                         + (f" (+{len(c.related) - 6})" if len(c.related) > 6 else ""))
    if result.left_out:
        lines.append(f"{result.left_out} older changes left out; {more_hint}")
    return fit_text("\n".join(lines) + "\n", budget, more_hint)


__all__ = ["Change", "ChangesResult", "ObjectRef", "changes_result", "rank_changes", "read_objects", "render",
           "timeline"]
