"""Replicas of one workload running different builds of the same mutable image tag.

A tag such as `:stable`, `:latest` or `:prod` is a pointer a registry lets anyone move; the
Deployment's spec does not change when CI re-pushes it. With `imagePullPolicy: Always` (the default
for `:latest` and for an image without a tag) every pod created afterwards (a node scale-down, a
drain, an eviction, a plain delete) pulls the tag again and gets the new build, while the pods that
were not moved keep the old one. The kubelet records which build each container runs in
`status.containerStatuses[].imageID` (`repo@sha256:...`): two digests for one container of one
workload under one tag is the mark of a moved tag. When the pods of one digest fail and those of
the other run, nothing in the cluster changed but the build behind the tag, and the workload's
unpinned image is the thing to fix (pin it by digest, or move the tag back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.scan.checks.base import clip, earliest, iso, name_of, ns_of
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pod.image_digest_split",)

FAILING_WAITS = frozenset({"CrashLoopBackOff", "Error", "RunContainerError", "CreateContainerError",
                           "StartError", "ContainerCannotRun"})
"""Waiting reasons that mean the container ran (its image was pulled) and cannot keep running."""


@dataclass
class _Build:
    """The pods of a workload whose container runs one digest, and when that digest was first seen."""

    digest: str
    pods: list[dict[str, Any]] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    pulled: datetime | None = None
    why: str = ""


def digest_of(image_id: str) -> str:
    """`repo@sha256:abc...` (or `docker-pullable://repo@sha256:...`) -> `sha256:abc...`; "" without a digest."""
    return image_id.rsplit("@", 1)[1] if "@" in image_id else ""


def is_mutable(image: str) -> bool:
    """An image reference a registry can point elsewhere: a tag (or no tag), not `@sha256:` digest."""
    return bool(image) and "@" not in image


def _tag(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def pull_policy(container: dict[str, Any], image: str) -> str:
    """The container's imagePullPolicy, defaulted the way the API server does (Always for `:latest`)."""
    explicit = str(container.get("imagePullPolicy") or "")
    return explicit or ("Always" if _tag(image) == "latest" else "IfNotPresent")


def _failing(status: dict[str, Any]) -> str:
    """Why a container with this status is not running properly, or ""."""
    state = status.get("state") or {}
    waiting = state.get("waiting") or {}
    terminated = state.get("terminated") or {}
    if waiting.get("reason") in FAILING_WAITS:
        last = (status.get("lastState") or {}).get("terminated") or {}
        exit_note = f", last exit {last.get('reason') or 'code'} {last.get('exitCode')}" if last else ""
        return f"{waiting.get('reason')}{exit_note}, {status.get('restartCount') or 0} restarts"
    if terminated and terminated.get("exitCode") not in (0, None):
        return f"terminated {terminated.get('reason') or ''} exit code {terminated.get('exitCode')}".strip()
    return ""


def _pulled_at(snap: Snapshot, pod: dict[str, Any], container: str, image: str) -> datetime | None:
    """When this pod first pulled the image: its earliest `Pulled`/`Pulling` event, else when it was created."""
    times = [e.first or e.last for e in snap.events_for("Pod", ns_of(pod), name_of(pod))
             if e.reason in ("Pulled", "Pulling") and image in e.message]
    if pulled := earliest(*[t for t in times if t]):
        return pulled
    return earliest((pod.get("metadata") or {}).get("creationTimestamp")) or earliest(
        (pod.get("status") or {}).get("startTime"))


def _builds(snap: Snapshot, pods: list[dict[str, Any]], container: str, image: str) -> dict[str, _Build]:
    out: dict[str, _Build] = {}
    for pod in pods:
        status = next((s for s in (pod.get("status") or {}).get("containerStatuses") or []
                       if s.get("name") == container), None)
        digest = digest_of(str((status or {}).get("imageID") or ""))
        if status is None or not digest:
            continue
        build = out.setdefault(digest, _Build(digest))
        build.pods.append(pod)
        why = _failing(status)
        if why:
            build.failing.append(name_of(pod))
            build.why = build.why or why
        pulled = _pulled_at(snap, pod, container, image)
        build.pulled = earliest(build.pulled, pulled)
    return out


def _short(digest: str) -> str:
    return digest[:19]


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    groups: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = {}
    specs: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for pod in snap.items("Pod"):
        owner = snap.owner_of(pod)
        if owner is None:
            continue
        for ctr in (pod.get("spec") or {}).get("containers") or []:
            image = str(ctr.get("image") or "")
            if not is_mutable(image):
                continue
            key = (owner.kind, owner.namespace, owner.name, str(ctr.get("name")), image)
            groups.setdefault(key, []).append(pod)
            specs.setdefault(key, ctr)
    out: list[ScanFinding] = []
    for key, pods in groups.items():
        kind, namespace, name, container, image = key
        builds = _builds(snap, pods, container, image)
        if len(builds) < 2:
            continue
        ordered = sorted(builds.values(), key=lambda b: (b.pulled is None, b.pulled or now))
        bad = [b for b in ordered if b.failing and len(b.failing) == len(b.pods)]
        good = [b for b in ordered if not b.failing]
        if not bad or not good or ordered.index(bad[-1]) < ordered.index(good[0]):
            continue  # only a build pulled after a healthy one is a tag that moved under the workload
        new, old = bad[-1], good[0]
        policy = pull_policy(specs[key], image)
        owner = ObjectRef(kind=kind, namespace=namespace, name=name)
        tag = _tag(image)
        when = f"first pulled {iso(new.pulled)}" if new.pulled else "pulled later"
        since = f", {int((now - new.pulled).total_seconds() // 60)} min ago" if new.pulled else ""
        message = (f"{owner}: its pods run two builds of the mutable tag {tag} ({image}, imagePullPolicy {policy}): "
                   f"{len(new.pods)} pod(s) on digest {_short(new.digest)} ({when}{since}) fail ({new.why}) while "
                   f"{len(old.pods)} pod(s) on the older digest {_short(old.digest)} (pulled {iso(old.pulled)}) run. "
                   f"The tag {tag} was re-pushed: pods created since (rescheduled, drained, replaced) pulled the new "
                   "build and nothing in the workload's spec changed. Pin the image by digest (image@sha256:...) "
                   "or move the tag back to the old digest, then find what the new build lacks")
        out.append(ScanFinding(
            check="pod.image_digest_split", severity="critical", object=owner, owner=owner, reason="ImageTagMoved",
            message=message,
            details={"container": container, "image": image, "tag": tag, "image_pull_policy": policy,
                     "new_digest": new.digest, "old_digest": old.digest, "new_pulled": iso(new.pulled),
                     "old_pulled": iso(old.pulled), "failing_pods": sorted(new.failing)[:5],
                     "healthy_pods": sorted(name_of(p) for p in old.pods)[:5]},
            evidence=[clip(f"{name_of(new.pods[0])} imageID @{new.digest}: {new.why}"),
                      clip(f"{name_of(old.pods[0])} imageID @{old.digest}: running")],
            since=iso(new.pulled), pods=sorted(new.failing)[:5], count=len(new.pods)))
    return out
