"""A workload's pod template written with no revision in view: the write, and what the template now sets.

A rollout is normally seen through its revision (a ReplicaSet, a ControllerRevision) and diffed exactly.
But a read may not see the revisions (they were pruned, the reader may not list ControllerRevisions, a
captured bundle left them out) while `metadata.managedFields` still says that a manager (helm, argocd, a
kubectl patch) wrote the template's `args`, `command` or `env` at a given time. That write is a change
like any other: a chart that re-renders a server's args with `--maxclients 128` is one. Its old value is
not recorded, so the change says what the written fields hold NOW (args as a list, env values), never
"changed from". Secret-looking values say only that they were written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes import health as h

SETTING_FIELDS = ("args", "command", "env")
"""Container fields whose values are settings (flags, variables): what a write to them set is worth saying."""
NEAR = timedelta(minutes=2)
"""A revision created this close to the write already reports it (with an exact diff)."""
MAX_ARGS = 40


def _template(spec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The pod template of a workload's spec, or of a CronJob's job template (`spec.jobTemplate.spec.template`):
    a CronJob's env and command are settings of every Job it creates from then on. `prefix` is "f:" for a
    managedFields set."""
    job = (spec.get(f"{prefix}jobTemplate") or {}).get(f"{prefix}spec")
    return (job if isinstance(job, dict) else spec).get(f"{prefix}template") or {}


def _written_containers(fields: dict[str, Any]) -> dict[str, set[str]]:
    """{container name: written setting fields} of a managedFields `fieldsV1` set's pod template."""
    spec = _template(fields.get("f:spec") or {}, "f:").get("f:spec") or {}
    out: dict[str, set[str]] = {}
    for group in ("f:containers", "f:initContainers"):
        for key, child in (spec.get(group) or {}).items():
            if not key.startswith("k:") or not isinstance(child, dict):
                continue
            name = key.split('"name":"', 1)[-1].split('"', 1)[0]
            written = {f for f in SETTING_FIELDS if f"f:{f}" in child}
            if written:
                out.setdefault(name, set()).update(written)
    return out


def _whole_template(fields: dict[str, Any]) -> bool:
    """Whether a managedFields set owns the pod template (or its spec) as a whole, naming no field in it
    (`f:template: {}`, `f:template: {f:spec: {}}`): a summarised recording of an edit of the template, whose
    containers' settings may be what changed. A template set that names only its metadata (a restart annotation)
    is not one."""
    spec = fields.get("f:spec") or {}
    job = (spec.get("f:jobTemplate") or {}).get("f:spec")
    holder = job if isinstance(job, dict) else spec
    template = holder.get("f:template")
    return isinstance(template, dict) and (template == {} or template.get("f:spec") == {})


def _unkeyed_containers(fields: dict[str, Any], obj: dict[str, Any]) -> dict[str, set[str]]:
    """{container name: its setting fields} when a managedFields set owns the containers list without naming one
    (`f:containers: {}`, as a hand-written or summarised recording gives it), or the whole template
    (`_whole_template`): the write touched the containers,
    which of their fields is not recorded, so every setting field each container carries now is reported."""
    spec = _template(fields.get("f:spec") or {}, "f:").get("f:spec") or {}
    if not any(group in spec and spec[group] == {} for group in ("f:containers", "f:initContainers")) \
            and not _whole_template(fields):
        return {}
    pod = _template(obj.get("spec") or {}).get("spec") or {}
    out: dict[str, set[str]] = {}
    for c in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        present = {f for f in SETTING_FIELDS if c.get(f)}
        if present and c.get("name"):
            out[str(c["name"])] = present
    return out


def lines_now(obj: dict[str, Any], written: dict[str, set[str]], secret: Callable[[str], bool]) -> list[str]:
    """`redis args now ['--maxclients', '128']`, `app env POOL_SIZE now '40'`: the written fields' current values."""
    spec = _template(obj.get("spec") or {}).get("spec") or {}
    out: list[str] = []
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        fields = written.get(str(c.get("name") or ""))
        if not fields:
            continue
        for name in ("command", "args"):
            if name in fields and isinstance(c.get(name), list):
                values = [str(v) for v in c[name][:MAX_ARGS]]
                out.append(f"{c['name']} {name} now " + ("(written)" if secret(" ".join(values)) else repr(values)))
        if "env" in fields:
            for e in c.get("env") or []:
                if isinstance(e, dict) and isinstance(e.get("value"), str):
                    text = f"{e.get('name')}={e['value']}"
                    out.append(f"{c['name']} env {e.get('name')} " + ("written" if secret(text) else
                                                                      f"now {e['value']!r}"))
    return out


def _revised(objects: dict[str, list[dict[str, Any]]], obj: dict[str, Any], t: datetime) -> bool:
    """Whether a revision (ReplicaSet, ControllerRevision) of `obj` was created within NEAR of `t`."""
    meta = obj.get("metadata") or {}
    for item in [*(objects.get("ReplicaSet") or []), *(objects.get("ControllerRevision") or [])]:
        imeta = item.get("metadata") or {}
        if imeta.get("namespace") != meta.get("namespace") or not any(
                o.get("uid") == meta.get("uid") or o.get("name") == meta.get("name")
                for o in imeta.get("ownerReferences") or []):
            continue
        born = h.parse_ts(imeta.get("creationTimestamp"))
        if born is not None and abs(born - t) <= NEAR:
            return True
    return False


def writes(objects: dict[str, list[dict[str, Any]]], kinds: Iterable[str], has: Callable[[datetime | None], bool],
           secret: Callable[[str], bool]) -> list[dict[str, Any]]:
    """Template setting writes in the window that no revision of the object reports: {at, object, managers,
    diff} with the written fields' current values."""
    out = []
    for kind in kinds:
        for obj in objects.get(kind) or []:
            meta = obj.get("metadata") or {}
            created = h.parse_ts(meta.get("creationTimestamp"))
            by_time: dict[datetime, tuple[set[str], dict[str, set[str]]]] = {}
            for m in meta.get("managedFields") or []:
                t = h.parse_ts(m.get("time"))
                if t is None or not has(t) or (created is not None and t <= created + NEAR) \
                        or m.get("subresource") == "status":
                    continue
                written = _written_containers(m.get("fieldsV1") or {}) or _unkeyed_containers(
                    m.get("fieldsV1") or {}, obj)
                if not written or _revised(objects, obj, t):
                    continue
                managers, fields = by_time.setdefault(t, (set(), {}))
                managers.add(str(m.get("manager") or "unknown"))
                for name, f in written.items():
                    fields.setdefault(name, set()).update(f)
            for t, (managers, fields) in by_time.items():
                diff = lines_now(obj, fields, secret)
                if diff:
                    out.append({"at": t, "object": obj, "managers": sorted(managers), "diff": diff})
    return out
