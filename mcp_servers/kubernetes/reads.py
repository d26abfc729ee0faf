"""The multi-request reads behind describe, rollout history, nodes and top.

Each function takes a KubeClient and a context and returns text (the `*_answer` ones also the
typed answer built from the same rows, see answers.py); they run in a worker thread (the official
client blocks), so they are plain synchronous code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp_servers.common.compact import fit_text, render_table
from mcp_servers.kubernetes import answers as ans
from mcp_servers.kubernetes import health as h
from mcp_servers.kubernetes import render as r
from mcp_servers.kubernetes.client import KubeClient, KubeError
from mcp_servers.kubernetes.resources import ResourceType

NamespaceFilter = Callable[[str], bool]

OWNER_DEPTH = 4


def owner_chain(kc: KubeClient, ctx: str, obj: dict[str, Any]) -> list[str]:
    """Pod -> ReplicaSet -> Deployment (and so on), following controller owner references."""
    chain: list[str] = []
    current = obj
    for _ in range(OWNER_DEPTH):
        refs = (current.get("metadata") or {}).get("ownerReferences") or []
        ref = next((x for x in refs if x.get("controller")), refs[0] if refs else None)
        if not ref:
            break
        ns = (current.get("metadata") or {}).get("namespace")
        try:
            t = kc.resolve_kind(ctx, str(ref.get("kind")))
            current = kc.get_object(ctx, t, ns if t.namespaced else None, str(ref.get("name")))
        except KubeError:
            chain.append(f"{ref.get('kind')}/{ref.get('name')} (not readable)")
            break
        problem = h.problem(current)
        chain.append(f"{ref.get('kind')}/{ref.get('name')}" + (f" [{problem}]" if problem else ""))
    return chain


def events_for(kc: KubeClient, ctx: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    meta = obj.get("metadata") or {}
    t = kc.resolve_kind(ctx, "events")
    selector = f"involvedObject.name={meta.get('name')},involvedObject.kind={obj.get('kind')}"
    items, _ = kc.list_all(ctx, t, meta.get("namespace") or None, field_selector=selector)
    return items


def describe(kc: KubeClient, ctx: str, t: ResourceType, obj: dict[str, Any], budget: int,
             visible: NamespaceFilter = lambda ns: True) -> str:
    """Summary, owner chain, rollout state for workloads, and the object's recent events (for a
    cluster-scoped object such as a Node, only events in namespaces the caller may see)."""
    return describe_answer(kc, ctx, t, obj, budget, visible)[0]


def describe_answer(kc: KubeClient, ctx: str, t: ResourceType, obj: dict[str, Any], budget: int,
                    visible: NamespaceFilter = lambda ns: True) -> tuple[str, ans.ObjectAnswer]:
    """`describe`'s text and its typed answer, both from the same reads."""
    clean = r.sanitize(obj)
    answer = ans.object_answer(clean)
    parts = [r.summary(clean).rstrip()]
    chain = owner_chain(kc, ctx, obj)
    answer.owner_chain = chain
    if chain:
        parts.append("owner chain: " + " -> ".join([f"{obj.get('kind')}/{obj['metadata']['name']}", *chain]))
    if t.kind == "Deployment":
        rows = revisions(kc, ctx, obj)
        answer.revisions = ans.revisions_of(rows[-4:])
        parts.append(render_revisions(obj, rows, max_rows=4))
    if t.kind == "Service":
        ready, not_ready = service_endpoints(kc, ctx, obj)
        if ready is not None and not_ready is not None:
            answer.endpoints = ans.Endpoints(ready=sorted(ready), not_ready=sorted(not_ready))
        parts.append(render_endpoints(ready, not_ready))
    events = events_for(kc, ctx, obj)
    if t.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        selector, pods = pods_of(kc, ctx, obj)
        answer.pods = [ans.WorkloadPod(name=p["metadata"]["name"], ready=h.pod_ready(p), status=h.pod_status(p),
                                     restarts=h.restarts(p), problem=h.pod_problem(p)) for p in pods[:ans.MAX_ROWS]]
        parts.append(render_pods_of(obj, selector, pods))
        events += pod_warnings(kc, ctx, obj["metadata"].get("namespace"), {str(p["metadata"]["name"]) for p in pods})
    events = [e for e in events if visible((e.get("metadata") or {}).get("namespace") or "")]
    answer.events = ans.event_rows(r.ordered_events(events))
    hint = r.call("k8s_events", namespace=obj["metadata"].get("namespace"), kind=obj.get("kind"),
                  name=obj["metadata"]["name"])
    body = "\n".join(parts)
    remaining = max(300, budget - len(body) // 4 - 50)
    if events:
        parts.append(r.events_answer(events, all_namespaces=False, hidden=[], budget=remaining, more_hint=hint,
                                     title=f"events of the object and warnings on its pods ({len(events)} records):"))
    else:
        parts.append("events: none recorded (events expire after about an hour)")
    return fit_text("\n".join(parts) + "\n", budget, hint), answer


def service_endpoints_text(kc: KubeClient, ctx: str, svc: dict[str, Any]) -> str:
    """Which pods back a Service, ready or not: no ready endpoint is an outage for every caller."""
    return render_endpoints(*service_endpoints(kc, ctx, svc))


def service_endpoints(kc: KubeClient, ctx: str, svc: dict[str, Any]) -> tuple[list[str] | None, list[str] | None]:
    """The ready and not-ready endpoints of a Service; (None, None) when the server has no EndpointSlices."""
    ns, name = svc["metadata"].get("namespace"), svc["metadata"]["name"]
    try:
        slice_type = kc.resolve_kind(ctx, "endpointslices.discovery.k8s.io")
    except KubeError:
        return None, None
    slices, _ = kc.list_all(ctx, slice_type, ns, label_selector=f"kubernetes.io/service-name={name}")
    ready: list[str] = []
    not_ready: list[str] = []
    for sl in slices:
        for e in sl.get("endpoints") or []:
            who = (e.get("targetRef") or {}).get("name") or ",".join(e.get("addresses") or [])
            (ready if (e.get("conditions") or {}).get("ready", True) else not_ready).append(who)
    return ready, not_ready


def render_endpoints(ready: list[str] | None, not_ready: list[str] | None) -> str:
    if ready is None or not_ready is None:
        return "endpoints: this API server has no EndpointSlices"
    line = f"endpoints: {len(ready)} ready, {len(not_ready)} not ready"
    if not ready:
        line += "  [NO READY ENDPOINTS: every request to this Service fails]"
    if ready:
        line += "\n  ready: " + ", ".join(sorted(ready)[:10])
    if not_ready:
        line += "\n  not ready: " + ", ".join(sorted(not_ready)[:10])
    return line


def _selector_text(obj: dict[str, Any]) -> str:
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items())


def pod_warnings(kc: KubeClient, ctx: str, namespace: str | None, pod_names: set[str]) -> list[dict[str, Any]]:
    """Warning events about a workload's pods: where a workload's trouble is usually recorded."""
    if not pod_names or not namespace:
        return []
    items, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "events"), namespace,
                           field_selector="type=Warning,involvedObject.kind=Pod")
    return [e for e in items if (e.get("involvedObject") or {}).get("name") in pod_names]


def pods_of_text(kc: KubeClient, ctx: str, obj: dict[str, Any]) -> tuple[str, set[str]]:
    """The workload's pods, unhealthy first, and their names."""
    selector, pods = pods_of(kc, ctx, obj)
    return render_pods_of(obj, selector, pods), {str(p["metadata"]["name"]) for p in pods}


def pods_of(kc: KubeClient, ctx: str, obj: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The workload's matchLabels selector and its pods, unhealthy first (none without a selector)."""
    selector = _selector_text(obj)
    if not selector:
        return "", []
    pods, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "pods"), obj["metadata"].get("namespace"),
                          label_selector=selector)
    pods.sort(key=lambda p: (h.pod_problem(p) is None, p["metadata"]["name"]))
    return selector, pods


def render_pods_of(obj: dict[str, Any], selector: str, pods: list[dict[str, Any]]) -> str:
    if not selector:
        return "pods: (no matchLabels selector)"
    lines = [f"pods ({len(pods)}, selector {selector}):"]
    for p in pods[:12]:
        problem = h.pod_problem(p)
        lines.append(f"  {p['metadata']['name']}  {h.pod_ready(p)}  {h.pod_status(p)}  restarts {h.restarts(p)}"
                     + (f"  [{problem}]" if problem else ""))
    if len(pods) > 12:
        lines.append(f"  … {len(pods) - 12} more; k8s_list(kind='pods', namespace="
                     f"{obj['metadata'].get('namespace')!r}, label_selector={selector!r})")
    return "\n".join(lines)


# ---- rollout history ----------------------------------------------------------------------

def _containers(template: dict[str, Any], field: str = "containers") -> dict[str, dict[str, Any]]:
    return {str(c.get("name")): c for c in ((template.get("spec") or {}).get(field) or [])}


def template_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between two pod templates, one line per field: images, env (values, or just
    "changed" when a value looks like a secret), envFrom and volume sources by name, resources,
    probes, command/args, containers added or removed."""
    changes = []
    a, b = _containers(old), _containers(new)
    ia, ib = _containers(old, "initContainers"), _containers(new, "initContainers")
    moved = _sidecar_moves(a, b, ia, ib)
    for name in sorted(set(a) | set(b)):
        if name in moved:
            continue
        if name not in a:
            changes.append(f"container {name} added")
            continue
        if name not in b:
            changes.append(f"container {name} removed")
            continue
        ca, cb = a[name], b[name]
        if ca.get("image") != cb.get("image"):
            changes.append(f"{name} image {ca.get('image')} -> {cb.get('image')}")
        ea = {e.get("name"): r.env_text(e) for e in ca.get("env") or []}
        eb = {e.get("name"): r.env_text(e) for e in cb.get("env") or []}
        for key in sorted(set(ea) | set(eb)):
            if ea.get(key) != eb.get(key):
                line = f"{name} env {ea.get(key, f'{key} (unset)')} -> {eb.get(key, 'unset')}"
                changes.append(f"{name} env {key} changed" if looks_secret(line) else line)
        changes += [f"{name} {x}" for x in _refs_diff("", _env_from_refs(ca), _env_from_refs(cb))]
        changes += [f"{name} {x}" for x in _resources_diff(ca.get("resources") or {}, cb.get("resources") or {})]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            changes += [f"{name} {x}" for x in _probe_diff(probe, ca.get(probe), cb.get(probe))]
        for field in ("command", "args"):
            if ca.get(field) != cb.get(field):
                line = f"{name} {field} {ca.get(field)} -> {cb.get(field)}"
                changes.append(f"{name} {field} changed" if looks_secret(line) else line)
        changes += [f"{name} {x}" for x in _other_fields(ca, cb, _CONTAINER_DONE)]
    changes += moved.values()
    for name in sorted(set(ia) | set(ib)):
        if name in moved:
            continue
        if (ia.get(name) or {}).get("image") != (ib.get(name) or {}).get("image"):
            changes.append(f"init container {name} image {(ia.get(name) or {}).get('image', 'none')} -> "
                           f"{(ib.get(name) or {}).get('image', 'none')}")
            ran = " ".join(str(x) for f in ("command", "args") for x in (ia.get(name) or {}).get(f) or [])
            if name not in ib and ran:  # what a removed init container did (a node's sysctl, a chown) is gone too
                line = f"init container {name} ran {ran[:160]!r} -> removed"
                changes.append(line if not looks_secret(line) else f"init container {name} removed")
        elif ia.get(name) != ib.get(name):  # what an init container runs (a node's sysctls, a migration) shows
            said = [f"init container {name} {f} {ia[name].get(f)} -> {ib[name].get(f)}" for f in ("command", "args")
                    if name in ia and name in ib and ia[name].get(f) != ib[name].get(f)]
            changes += [x if not looks_secret(x) else f"init container {name} changed" for x in said] or \
                [f"init container {name} changed"]
    changes += _refs_diff("volume ", _volume_refs(old), _volume_refs(new))
    changes += _other_fields(old.get("spec") or {}, new.get("spec") or {}, _POD_DONE, "pod ")
    for part in ("annotations", "labels"):
        ma = ((old.get("metadata") or {}).get(part) or {})
        mb = ((new.get("metadata") or {}).get(part) or {})
        for key in sorted((set(ma) | set(mb)) - _TEMPLATE_META_NOISE):
            if ma.get(key) != mb.get(key):
                changes.append(f"pod {part[:-1]} {key} {_short(ma.get(key))} -> {_short(mb.get(key))}")
    return changes


def _native(container: dict[str, Any] | None) -> bool:
    """An init container with `restartPolicy: Always` is a native sidecar: it starts (and passes its startupProbe)
    before the app containers start, then keeps running beside them."""
    return bool(container) and str((container or {}).get("restartPolicy") or "") == "Always"


def _sidecar_moves(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], ia: dict[str, dict[str, Any]],
                   ib: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Native sidecars whose start order changed, by name: one moved out of initContainers into the regular
    containers (which all start at once, so the app no longer waits for it), one that lost `restartPolicy: Always`
    (a plain init container now, which must exit before the app starts), and one that became a native sidecar.
    Said as one line, because `container X added` beside `init container X image ... -> none` hides the move."""
    out = {}
    for name in sorted(set(ia) | set(ib)):
        was, now = ia.get(name), ib.get(name)
        if _native(was) and now is None and name in b and name not in a:
            out[name] = (f"container {name} moved out of initContainers (native sidecar, restartPolicy: Always) "
                         f"into containers: the app no longer waits for it to start")
        elif _native(was) and now is not None and not _native(now):
            out[name] = (f"init container {name} restartPolicy 'Always' -> {_short(now.get('restartPolicy'))}: "
                         f"no longer a native sidecar, it must exit before the app containers start")
        elif was is None and _native(now) and name in a and name not in b:
            out[name] = (f"container {name} moved into initContainers as a native sidecar (restartPolicy: Always): "
                         f"the app containers now start after it")
    return out


_CONTAINER_DONE = frozenset({"name", "image", "env", "envFrom", "resources", "readinessProbe", "livenessProbe",
                             "startupProbe", "command", "args"})
_POD_DONE = frozenset({"containers", "initContainers", "volumes"})
_TEMPLATE_META_NOISE = frozenset({"pod-template-hash", "controller-revision-hash", "kubernetes.io/change-cause"})
"""Set by the controllers or shown as the change cause already."""


def _short(value: Any) -> str:
    """A value in a diff line: quoted, cut at 60 characters, withheld when it looks like a secret."""
    if value is None:
        return "unset"
    text = repr(str(value))
    text = text if len(text) <= 60 else text[:57] + "…'"
    return "(value withheld)" if looks_secret(text) else text


def _other_fields(a: dict[str, Any], b: dict[str, Any], done: frozenset[str], prefix: str = "") -> list[str]:
    """Every other field that differs: scalars as `old -> new`; a structure (ports, securityContext,
    dnsConfig, nodeSelector, tolerations, affinity ...) by the leaves that differ, so the diff says
    *what* changed (`dnsConfig.options[name=ndots].value unset -> '5'`), at most a few per field."""
    out = []
    for key in sorted((set(a) | set(b)) - done):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        scalar = all(v is None or isinstance(v, str | int | float | bool) for v in (va, vb))
        if scalar:
            out.append(f"{prefix}{key} {_short(va)} -> {_short(vb)}")
            continue
        la, lb = _leaves(va, key), _leaves(vb, key)
        differ = [path for path in sorted(set(la) | set(lb)) if la.get(path) != lb.get(path)]
        if not differ:
            out.append(f"{prefix}{key} changed")
            continue
        out += [f"{prefix}{path} {_short(la.get(path))} -> {_short(lb.get(path))}" for path in differ[:_LEAVES_SHOWN]]
        if len(differ) > _LEAVES_SHOWN:
            out.append(f"{prefix}{key}: {len(differ) - _LEAVES_SHOWN} more changed")
    return out


_LEAVES_SHOWN = 4


def _leaves(value: Any, path: str) -> dict[str, str]:
    """A structure as path -> scalar text. List items that carry a `name` (or `key`) are addressed
    by it, so reordering is not a change; lists of scalars are one sorted leaf."""
    if value is None:
        return {}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out |= _leaves(v, f"{path}.{k}")
        return out
    if isinstance(value, list):
        if all(isinstance(v, str | int | float | bool) for v in value):
            return {path: ", ".join(sorted(str(v) for v in value))}
        out = {}
        for i, item in enumerate(value):
            tag = next((f"{k}={item[k]}" for k in ("name", "key") if isinstance(item, dict) and k in item), str(i))
            rest = {k: v for k, v in item.items() if f"{k}={item.get(k)}" != tag} if isinstance(item, dict) else item
            out |= _leaves(rest, f"{path}[{tag}]") or {f"{path}[{tag}]": "present"}
        return out
    return {path: str(value)}


def looks_secret(text: str) -> bool:
    """True when the redactor would mask part of `text`: such a diff line says only "changed"."""
    from guardrails.redaction import redact_text

    return redact_text(text).text != text


def _env_from_refs(container: dict[str, Any]) -> dict[str, str]:
    """envFrom sources by name: {"configMapRef app-config": "prefix ''"}."""
    out = {}
    for src in container.get("envFrom") or []:
        for key in ("configMapRef", "secretRef"):
            if key in src:
                out[f"{key} {(src[key] or {}).get('name')}"] = f"prefix {src.get('prefix', '')!r}"
    return out


def _volume_refs(template: dict[str, Any]) -> dict[str, str]:
    """Pod volumes by name with where they come from: {"config": "configMap app-config"}."""
    out = {}
    for vol in (template.get("spec") or {}).get("volumes") or []:
        source = next((k for k in vol if k != "name"), "unknown")
        spec = vol.get(source) or {}
        ref = spec.get("name") or spec.get("secretName") or spec.get("claimName") or ""
        if source == "projected":
            ref = ",".join(sorted(str((s.get(k) or {}).get("name")) for s in spec.get("sources") or [] for k in s))
        out[str(vol.get("name"))] = f"{source} {ref}".strip() + _volume_detail(source, spec)
    return out


def _volume_detail(source: str, spec: dict[str, Any]) -> str:
    """What about a nameless volume source changes what the pod pays for it: an emptyDir's medium (a
    `Memory` one is a tmpfs whose files are charged to the containers' memory limit, so filling it
    OOMKills them) and size limit, a hostPath's path. Without it such a change reads as no change."""
    if source == "emptyDir":
        said = []
        medium = spec.get("medium")
        if medium:
            tmpfs = " (tmpfs: its files count against the memory limit)" if str(medium).lower() == "memory" else ""
            said.append(f"medium: {medium}{tmpfs}")
        if spec.get("sizeLimit"):
            said.append(f"sizeLimit {spec['sizeLimit']}")
        return f" ({', '.join(said)})" if said else " (node disk)"
    if source == "hostPath" and spec.get("path"):
        return f" {spec['path']}"
    return ""


def _refs_diff(prefix: str, old: dict[str, str], new: dict[str, str]) -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            out.append(f"{prefix}{key} added" + (f" ({new[key]})" if prefix else ""))
        elif key not in new:
            out.append(f"{prefix}{key} removed")
        elif old[key] != new[key]:
            out.append(f"{prefix}{key} {old[key]} -> {new[key]}")
    return out


def _resources_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """"memory limit 512Mi -> 256Mi", "cpu request none -> 250m"."""
    out = []
    for group, word in (("requests", "request"), ("limits", "limit")):
        oa, ob = old.get(group) or {}, new.get(group) or {}
        for res in sorted(set(oa) | set(ob)):
            if str(oa.get(res)) != str(ob.get(res)):
                out.append(f"{res} {word} {oa.get(res, 'none')} -> {ob.get(res, 'none')}")
    return out


def _probe_diff(probe: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """"readinessProbe port 8080 -> 9090", "livenessProbe path /healthz -> /live", "... added"."""
    if old == new:
        return []
    if not old:
        return [f"{probe} added"]
    if not new:
        return [f"{probe} removed"]
    out = []
    flat_a, flat_b = _flatten(old), _flatten(new)
    for key in sorted(set(flat_a) | set(flat_b)):
        if flat_a.get(key) != flat_b.get(key):
            out.append(f"{probe} {key} {flat_a.get(key, 'unset')} -> {flat_b.get(key, 'unset')}")
    return out


def _flatten(value: dict[str, Any]) -> dict[str, str]:
    """A probe's leaves keyed by their last meaningful name: httpGet.port -> "port"."""
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out.update(_flatten(item))
        else:
            out[key] = str(item)
    return out


def revisions_text(kc: KubeClient, ctx: str, obj: dict[str, Any], max_rows: int = 20) -> str:
    return render_revisions(obj, revisions(kc, ctx, obj), max_rows)


def render_revisions(obj: dict[str, Any], rows: list[dict[str, Any]], max_rows: int = 20) -> str:
    """The rollout history text from `revisions` rows, the latest `max_rows` of them."""
    if not rows:
        return "rollout history: no revisions found"
    lines = [f"rollout history of {obj.get('kind')} {obj['metadata'].get('namespace')}/{obj['metadata']['name']} "
             f"(current revision {rows[-1]['revision']}):"]
    for row in rows[-max_rows:]:
        lines.append(f"  rev {row['revision']}  {row['name']}  created {row['created']}  images {row['images']}"
                     f"  pods {row['pods']}" + (f"  cause: {row['cause']}" if row["cause"] else ""))
        for change in row["changes"]:
            lines.append(f"      changed: {change}")
    if len(rows) > max_rows:
        lines.append(f"  ({len(rows) - max_rows} older revisions left out)")
    return "\n".join(lines)


def revisions(kc: KubeClient, ctx: str, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Revisions oldest first: number, name, creation, images, change cause, diff to the previous."""
    kind, ns = obj.get("kind"), obj["metadata"].get("namespace")
    if kind == "Deployment":
        items, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "replicasets"), ns, label_selector=_selector_text(obj) or None)
    elif kind in ("StatefulSet", "DaemonSet"):
        items, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "controllerrevisions"), ns)
    else:
        raise KubeError(400, "BadRequest", f"rollout history exists for Deployment, StatefulSet and DaemonSet, "
                                           f"not {kind}")
    return revision_rows(obj, items)


def revision_rows(obj: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The revisions of workload `obj` among `items` (its namespace's ReplicaSets for a Deployment,
    ControllerRevisions otherwise), oldest first, each with the template diff to the one before.
    Pure, so the change timeline reuses it over lists it already read."""
    kind, meta = obj.get("kind"), obj["metadata"]
    uid = meta.get("uid")
    out: list[dict[str, Any]] = []
    if kind == "Deployment":
        owned = [x for x in items if any(o.get("uid") == uid or (not o.get("uid") and o.get("name") == meta["name"])
                                         for o in x["metadata"].get("ownerReferences") or [])]
        for rs in owned:
            ann = rs["metadata"].get("annotations") or {}
            template = (rs.get("spec") or {}).get("template") or {}
            status, spec = rs.get("status") or {}, rs.get("spec") or {}
            template_ann = (template.get("metadata") or {}).get("annotations") or {}
            out.append({
                "revision": int(ann.get("deployment.kubernetes.io/revision", "0") or 0),
                "name": rs["metadata"]["name"], "created": r.ts(rs["metadata"].get("creationTimestamp")),
                "created_at": rs["metadata"].get("creationTimestamp") or "",
                "images": ",".join(r.images(rs)),
                "pods": f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
                "cause": ann.get("kubernetes.io/change-cause") or template_ann.get("kubernetes.io/change-cause", ""),
                "template": template,
            })
    else:
        for cr in items:
            if not any(o.get("uid") == uid for o in cr["metadata"].get("ownerReferences") or []):
                continue
            template = (((cr.get("data") or {}).get("spec") or {}).get("template")) or {}
            out.append({"revision": int(cr.get("revision") or 0), "name": cr["metadata"]["name"],
                        "created": r.ts(cr["metadata"].get("creationTimestamp")),
                        "created_at": cr["metadata"].get("creationTimestamp") or "",
                        "images": ",".join(str(c.get("image")) for c in _containers(template).values()),
                        "pods": "-", "cause": (cr["metadata"].get("annotations") or {}).get(
                            "kubernetes.io/change-cause", ""), "template": template})
    out.sort(key=lambda x: x["revision"])
    for i, row in enumerate(out):
        row["changes"] = template_diff(out[i - 1]["template"], row["template"]) if i else []
    return out


# ---- nodes and top ------------------------------------------------------------------------

def _requests(pods: list[dict[str, Any]]) -> dict[str, tuple[float, float, int]]:
    """Per node: summed CPU requests (cores), memory requests (bytes), and running pod count."""
    out: dict[str, tuple[float, float, int]] = {}
    for p in pods:
        node = (p.get("spec") or {}).get("nodeName")
        if not node or (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        cpu = mem = 0.0
        for c in (p.get("spec") or {}).get("containers") or []:
            req = (c.get("resources") or {}).get("requests") or {}
            cpu += h.parse_quantity(req.get("cpu"))
            mem += h.parse_quantity(req.get("memory"))
        a, b, n = out.get(node, (0.0, 0.0, 0))
        out[node] = (a + cpu, b + mem, n + 1)
    return out


def nodes_text(kc: KubeClient, ctx: str, budget: int) -> str:
    return nodes_answer(kc, ctx, budget)[0]


def nodes_answer(kc: KubeClient, ctx: str, budget: int) -> tuple[str, ans.NodesAnswer]:
    """The node health table and its typed answer, from one listing of nodes and pods."""
    nodes, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "nodes"))
    pods, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "pods"))
    req = _requests(pods)
    rows = []
    ordered = sorted(nodes, key=lambda x: (h.node_problem(x) is None, x["metadata"]["name"]))
    for n in ordered:
        alloc = (n.get("status") or {}).get("allocatable") or {}
        cpu_a, mem_a = h.parse_quantity(alloc.get("cpu")), h.parse_quantity(alloc.get("memory"))
        cpu_r, mem_r, count = req.get(n["metadata"]["name"], (0.0, 0.0, 0))
        rows.append([n["metadata"]["name"], h.node_problem(n) or "Ready",
                     f"{h.fmt_cpu(cpu_r)}/{h.fmt_cpu(cpu_a)} ({100 * cpu_r / cpu_a:.0f}%)" if cpu_a else "-",
                     f"{h.fmt_bytes(mem_r)}/{h.fmt_bytes(mem_a)} ({100 * mem_r / mem_a:.0f}%)" if mem_a else "-",
                     f"{count}/{alloc.get('pods', '-')}",
                     ((n.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")])
    bad = sum(1 for x in nodes if h.node_problem(x))
    title = f"{len(nodes)} nodes; {bad} with problems" if bad else f"{len(nodes)} nodes, all Ready, no pressure"
    answer = ans.NodesAnswer(total=len(nodes), with_problems=bad,
                           nodes=[ans.node_row(n, req.get(n["metadata"]["name"], (0.0, 0.0, 0))) for n in ordered])
    return render_table(["NODE", "CONDITIONS", "CPU REQUESTED/ALLOCATABLE", "MEMORY REQUESTED/ALLOCATABLE", "PODS",
                         "KUBELET"], rows, budget_tokens=budget, title=title,
                        more_hint="k8s_describe(kind='Node', name=...) for one node"), answer


def top_text(kc: KubeClient, ctx: str, what: str, namespace: str | None, visible: NamespaceFilter,
             budget: int) -> str:
    return top_answer(kc, ctx, what, namespace, visible, budget)[0]


def top_answer(kc: KubeClient, ctx: str, what: str, namespace: str | None, visible: NamespaceFilter,
               budget: int) -> tuple[str, ans.TopAnswer]:
    """metrics-server usage as a table and as typed rows, in the same order."""
    try:
        types = kc.resource_types(ctx)
        metric_type = next((t for t in types if t.group == "metrics.k8s.io"
                            and t.plural == ("nodes" if what == "nodes" else "pods")), None)
        if metric_type is None:
            raise KubeError(404, "NotFound", "no metrics.k8s.io API")
        usage, _ = kc.list_all(ctx, metric_type, namespace if what != "nodes" else None)
    except KubeError as exc:
        if exc.status == 0:
            raise
        raise KubeError(exc.status, "MetricsUnavailable",
                        "metrics-server is not answering (metrics.k8s.io); ask Prometheus instead, e.g. "
                        "prom_query('topk(10, container_memory_working_set_bytes{container!=\"\"})')") from None
    if what == "nodes":
        nodes, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "nodes"))
        alloc = {n["metadata"]["name"]: (n.get("status") or {}).get("allocatable") or {} for n in nodes}
        node_rows: list[tuple[float, list[Any], ans.UsageRow]] = []
        for u in usage:
            name = u["metadata"]["name"]
            cpu, mem = h.parse_quantity((u.get("usage") or {}).get("cpu")), h.parse_quantity(
                (u.get("usage") or {}).get("memory"))
            a = alloc.get(name, {})
            cpu_pct = 100 * cpu / h.parse_quantity(a.get("cpu")) if a.get("cpu") else 0
            mem_pct = 100 * mem / h.parse_quantity(a.get("memory")) if a.get("memory") else 0
            node_rows.append((mem_pct, [name, h.fmt_cpu(cpu), f"{cpu_pct:.0f}%", h.fmt_bytes(mem), f"{mem_pct:.0f}%"],
                              ans.UsageRow(name=name, cpu_cores=round(cpu, 4), memory_bytes=mem,
                                         percent_of_limit=round(mem_pct, 1) if a.get("memory") else None,
                                         cpu_percent=round(cpu_pct, 1) if a.get("cpu") else None)))
        node_rows.sort(key=lambda x: -x[0])
        when = r.ts(usage[0].get("timestamp")) if usage else "-"
        return render_table(["NODE", "CPU", "CPU%", "MEMORY", "MEMORY%"], [row for _, row, _ in node_rows],
                            budget_tokens=budget, title=f"node usage at {when}"), \
            ans.TopAnswer(what="nodes", at=None if when == "-" else when, rows=[x for _, _, x in node_rows])
    usage = [u for u in usage if visible(u["metadata"].get("namespace", ""))]
    pods, _ = kc.list_all(ctx, kc.resolve_kind(ctx, "pods"), namespace)
    limits: dict[tuple[str, str], float] = {}
    for p in pods:
        total = sum(h.parse_quantity(((c.get("resources") or {}).get("limits") or {}).get("memory"))
                    for c in (p.get("spec") or {}).get("containers") or [])
        limits[(p["metadata"].get("namespace", ""), p["metadata"]["name"])] = total
    rows: list[tuple[float, float, list[Any], ans.UsageRow]] = []
    for u in usage:
        key = (u["metadata"].get("namespace", ""), u["metadata"]["name"])
        cpu = sum(h.parse_quantity((c.get("usage") or {}).get("cpu")) for c in u.get("containers") or [])
        mem = sum(h.parse_quantity((c.get("usage") or {}).get("memory")) for c in u.get("containers") or [])
        limit = limits.get(key, 0.0)
        pct = 100 * mem / limit if limit else 0.0
        rows.append((pct, mem, [*([key[0]] if namespace is None else []), key[1], h.fmt_cpu(cpu), h.fmt_bytes(mem),
                                h.fmt_bytes(limit) if limit else "none", f"{pct:.0f}%" if limit else "-"],
                     ans.UsageRow(name=key[1], namespace=key[0], cpu_cores=round(cpu, 4), memory_bytes=mem,
                                memory_limit_bytes=limit or None, percent_of_limit=round(pct, 1) if limit else None)))
    rows.sort(key=lambda x: (-x[0], -x[1]))
    columns = [*(["NAMESPACE"] if namespace is None else []), "POD", "CPU", "MEMORY", "MEMORY LIMIT", "OF LIMIT"]
    return render_table(columns, [x[2] for x in rows], budget_tokens=budget,
                        title=f"{len(rows)} pods by memory against their limit (closest to the limit first)",
                        more_hint="pass namespace to narrow"), \
        ans.TopAnswer(what="pods", namespace=namespace or "", rows=[x[3] for x in rows[:ans.MAX_ROWS]])
