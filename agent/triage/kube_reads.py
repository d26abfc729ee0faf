"""Reading Kubernetes objects for the survey: one object as YAML, a list's rows, the names of a kind in a namespace,
one pod of a workload, or its oldest and newest pods.

Many triage classes read an object the first pass did not (a ConfigMap the change timeline names, a
Service whose annotations changed, a CronJob the alert names). They all go through the tool hub with
a step name, keep the answer only when it parsed to an object, and carry its evidence id so a
finding can cite it. One place does that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import yaml

from agent.triage.facts import Ref
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]


def yaml_object(text: str) -> dict[str, Any] | None:
    """A `k8s_get ... output=yaml` answer's text as the object, or None when it is not one."""
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    # a built-in kind's answer may leave `kind` out; its metadata still says it is an object
    return obj if isinstance(obj, dict) and (obj.get("kind") or isinstance(obj.get("metadata"), dict)) else None


def object_of(outcome: Any) -> dict[str, Any] | None:
    """The object a successful `k8s_get -o yaml` outcome holds, or None (failed, refused, not an object)."""
    if outcome is None or not outcome.ok:
        return None
    return yaml_object(outcome.full_text)


async def get_yaml(call: Call, kind: str, name: str, namespace: str, step: str) -> tuple[dict[str, Any], str] | None:
    """One object read as YAML through the hub, with its evidence id; None when absent or refused."""
    outcome = await call("k8s_get", {"kind": kind, "name": name, "namespace": namespace, "output": "yaml"}, step)
    obj = object_of(outcome)
    return (obj, outcome.evidence_id) if obj is not None else None


def rows_of(outcome: Any) -> list[dict[str, Any]]:
    """The rows of a successful `k8s_list` outcome; [] when the read failed, was refused or holds none."""
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get("rows") or [] if isinstance(r, dict)]


NEVER_STARTED = frozenset({"Pending", "ContainerCreating", "PodInitializing", "ImagePullBackOff", "ErrImagePull",
                           "InvalidImageName", "CreateContainerConfigError", "CreateContainerError"})
"""kubectl STATUS values of a pod whose main container has not started: it has no log to read yet."""


def has_run(row: dict[str, Any]) -> bool:
    """Whether a listed pod's container has run (so has a log): a pod waiting for its image, its config or its
    init containers, never restarted, has none, and asking for one is a failed call, not evidence."""
    status = str(row.get("status") or "")
    never = status in NEVER_STARTED or status.startswith("Init:")
    return not never or bool(row.get("restarts"))


async def list_names(call: Call, kind: str, namespace: str, step: str) -> tuple[set[str], str] | None:
    """The names of every object of a kind in a namespace (a definite list: absent from it means absent)."""
    outcome = await call("k8s_list", {"kind": kind, "namespace": namespace}, step)
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return None
    return {str(r.get("name")) for r in rows_of(outcome) if r.get("name")}, outcome.evidence_id


async def pod_of(call: Call, workload: Ref, step: str, running: bool = False) -> str:
    """The name of one listed pod of a workload (by the pod-name shape its controller gives), or "" when the list
    failed or shows none: a class that wants a workload's own log lines reads them from that pod. `running`: only
    a pod listed Running (a row without a status counts), whose log is the live one rather than a failed start's."""
    outcome = await call("k8s_list", {"kind": "Pod", "namespace": workload.namespace}, step)
    return next((str(r.get("name")) for r in rows_of(outcome)
                 if workload_of_pod(str(r.get("name") or "")) == workload.name
                 and (not running or str(r.get("status") or "Running") == "Running")), "")


async def pods_at_ends(call: Call, workload: Ref, oldest: int, newest: int,
                       step: str) -> list[tuple[dict[str, Any], str]]:
    """The `oldest` first-created and `newest` last-created pods of a workload (by the pod-name shape its controller
    gives), oldest first, each read once as YAML with its evidence id. A class that compares the pods admitted
    before a change with those admitted after reads these; an answer without `creationTimestamp` gets the listed
    one. Steps: `<step>-pods-<workload>` for the list, `<step>-pod-<pod>` for each read."""
    listed = await call("k8s_list", {"kind": "Pod", "namespace": workload.namespace}, f"{step}-pods-{workload.name}")
    rows = sorted((r for r in rows_of(listed) if workload_of_pod(str(r.get("name") or "")) == workload.name),
                  key=lambda r: str(r.get("created") or ""))
    ends = [r for i, r in enumerate(rows) if i < oldest or i >= len(rows) - newest]  # a short list: each pod once
    out: list[tuple[dict[str, Any], str]] = []
    for row in ends:
        got = await get_yaml(call, "Pod", str(row.get("name")), workload.namespace, f"{step}-pod-{row.get('name')}")
        if got is not None:
            got[0].setdefault("metadata", {}).setdefault("creationTimestamp", row.get("created"))
            out.append(got)
    return out
