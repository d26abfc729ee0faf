"""Whether the scan may say an object "does not exist", or only that it was not collected.

An absent object is evidence of absence only when its kind was listed, completely, in its namespace.
Three ways a listing falls short, each checked here, turn "does not exist" into "not collected:
cannot check":

- the kind was never listed: the API refused it (RBAC), does not serve it, or failed (`Snapshot.errors`),
  or the namespace was outside the scan or hidden by policy;
- the listing contradicts the namespace's endpoints: the EndpointSlice and Endpoints controllers keep endpoints
  only for Services that exist, so an EndpointSlice labelled `kubernetes.io/service-name: x` (or Endpoints named
  x) beside a Service list without x shows the list partial;
- the listing contradicts the namespace's own pods: a pod that is running, with a started container,
  got every non-optional Secret and ConfigMap it references from the API server (the kubelet does not
  start a container whose env or volume source is missing), so a running pod referencing a Secret the
  listing lacks shows the listing partial (a filtered dump, a field selector, a redacted export) or the
  object deleted since; the listing alone cannot tell which, and the kubelet's own "not found" for a
  failing pod still speaks for that pod;
- a recording (an incident bundle: a `kubectl cluster-info dump` plus hand-picked objects under
  `extra/`, docs/bundles.md) holds no object at all of the type the reference needs: a dump with no
  `kubernetes.io/tls` Secret anywhere left key material out on purpose, which is what people do with
  dumps they share, rather than losing every certificate of the cluster.

A live listing that succeeded is the API server's truth and is believed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks import refs
from mcp_servers.kubernetes.scan.snapshot import Snapshot, observed_now

TLS_SECRET = "kubernetes.io/tls"


@dataclass(frozen=True)
class Absence:
    """Whether an object's absence is known, and when it is not, why (said in the finding)."""

    known: bool
    why: str = ""


KNOWN = Absence(True)


def _running(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        "running" in (c.get("state") or {}) for c in status.get("containerStatuses") or [])


SERVICE_NAME_LABEL = "kubernetes.io/service-name"
"""The label the EndpointSlice controller puts on every slice it keeps for a Service."""


def _served(snap: Snapshot, namespace: str) -> str:
    """An EndpointSlice or Endpoints object of `namespace` kept for a Service the listing lacks, said as a reason;
    else "". The endpoint controllers keep these only for Services that exist (and delete them with the Service),
    so one naming a Service absent from the list shows the list partial, or the Service deleted since."""
    for slice_ in snap.items("EndpointSlice") if snap.has("EndpointSlice") else []:
        meta = slice_.get("metadata") or {}
        owner = str((meta.get("labels") or {}).get(SERVICE_NAME_LABEL) or "")
        if meta.get("namespace") == namespace and owner and snap.get("Service", namespace, owner) is None:
            return (f"the Service list of namespace {namespace} is partial: EndpointSlice {meta.get('name')} is "
                    f"kept for Service {owner}, which the list lacks (not collected, or deleted since)")
    for endpoints in snap.items("Endpoints") if snap.has("Endpoints") else []:
        meta = endpoints.get("metadata") or {}
        name = str(meta.get("name") or "")
        if meta.get("namespace") == namespace and name and snap.get("Service", namespace, name) is None:
            return (f"the Service list of namespace {namespace} is partial: Endpoints {name} are kept for a Service "
                    f"of that name, which the list lacks (not collected, or deleted since)")
    return ""


def _contradicted(snap: Snapshot, kind: str, namespace: str) -> str:
    """A running pod of `namespace` referencing a `kind` object the listing lacks, or (Services) endpoints kept
    for a Service it lacks, said as a reason; else ""."""
    if kind == "Service":
        return _served(snap, namespace)
    if kind not in ("Secret", "ConfigMap"):
        return ""
    for pod in snap.pods_in(namespace):
        if not _running(pod):
            continue
        for need in refs.needed(pod, None):
            if need["kind"] == kind and snap.get(kind, namespace, str(need["name"])) is None:
                name = (pod.get("metadata") or {}).get("name")
                return (f"the {kind} list of namespace {namespace} is partial: pod {name} runs with {kind} "
                        f"{need['name']} ({need['via']}), which the list lacks (not collected, or deleted since)")
    return ""


def is_recording(snap: Snapshot, wall: datetime | None = None) -> bool:
    """Whether the snapshot was captured earlier (a bundle, the replay) rather than read live now."""
    now = wall or datetime.now(UTC)
    return observed_now(snap, now) != now


def absence(snap: Snapshot, kind: str, namespace: str, *, needed_type: str = "",
            wall: datetime | None = None) -> Absence:
    """Whether an object of `kind` missing from `namespace`'s listing is known not to exist.

    `needed_type` is the Secret type the reference needs (`kubernetes.io/tls` for an Ingress's TLS).
    """
    if not snap.has(kind):
        why = next((e for e in snap.errors if e.startswith(f"{kind}:")), f"{kind}: not listed")
        return Absence(False, f"{kind}s were not collected ({why.split(': ', 1)[-1]})")
    if not snap.in_scope(namespace):
        return Absence(False, f"namespace {namespace} was not collected")
    partial = _contradicted(snap, kind, namespace)
    if partial:
        return Absence(False, partial)
    if needed_type and is_recording(snap, wall) and not any(o.get("type") == needed_type for o in snap.items(kind)):
        return Absence(False, f"this recording holds no {needed_type} {kind} at all, so it left them out")
    return KNOWN
