"""Which container of a pod to read logs from, and the typed answer of k8s_logs.

A pod's trouble is often in one container of several, or in an init container that never lets the
app start (`Init:CrashLoopBackOff`); reading the first app container then shows nothing useful.
`choose_container` picks the failing one when the caller named none, and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from mcp_servers.common.logfacts import LogFacts
from mcp_servers.kubernetes.client import KubeError

_NO_LOGS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
            "CreateContainerError", "ContainerCreating", "PodInitializing"}
"""Waiting reasons of a container that never started: it has no logs to read."""


def rfc3339(text: str) -> str:
    """The moment `text` names, spelled as the API's `sinceTime` takes it (UTC, whole seconds). The moment is
    passed to the API server rather than turned into `sinceSeconds` here: a duration would be counted back from the
    server's now, and this process cannot know that now (a replayed bundle's server lives at its capture time, a
    live server's clock may be skewed from ours). A moment without a zone is refused: its meaning would depend on
    this machine's zone."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 time such as 2026-10-07T08:20:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} names no zone; end it with Z or an offset such as +02:00")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ContainerInfo(BaseModel):
    """One container of the pod, as its status says."""

    name: str
    init: bool = False
    """An init container (runs to completion before the app containers start)."""
    state: str = "unknown"
    """running, waiting, terminated or unknown."""
    reason: str | None = None
    """The waiting/terminated reason now, else the last termination's reason."""
    exit_code: int | None = None
    """The exit code of the current or last termination."""
    restarts: int = 0
    ready: bool = False
    failing: bool = False


class PodLogs(BaseModel):
    """The structured answer of k8s_logs: which logs were read, and their facts."""

    pod: str
    namespace: str
    container: str
    previous: bool
    chosen_because: str | None = None
    """Set when the caller named no container and the pod has several: why this one was read."""
    containers: list[ContainerInfo] = Field(default_factory=list)
    """Init containers first (in their order), then the app containers."""
    facts: LogFacts
    """What the lines read say (all lines read, before any `grep`)."""


def _info(spec: dict[str, Any], status: dict[str, Any] | None, init: bool) -> ContainerInfo:
    info = ContainerInfo(name=str(spec.get("name")), init=init)
    if not status:
        return info
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated") or {}
    info.restarts = int(status.get("restartCount") or 0)
    info.ready = bool(status.get("ready"))
    for name in ("running", "waiting", "terminated"):
        if name in state:
            info.state = name
            detail = state[name] or {}
            info.reason = detail.get("reason")
            if name == "terminated":
                info.exit_code = detail.get("exitCode")
    if info.exit_code is None and last:
        info.exit_code = last.get("exitCode")
        info.reason = info.reason or last.get("reason")
    info.failing = _score(info) > 0
    return info


def _score(c: ContainerInfo) -> int:
    """How clearly a container is failing, among those that have logs to read (0: not failing)."""
    if c.state == "waiting" and c.reason in _NO_LOGS:
        return 0
    if c.state == "terminated" and c.exit_code == 0:
        return 0
    if c.reason == "CrashLoopBackOff" or (c.exit_code not in (None, 0)):
        return 3
    if c.restarts > 0:
        return 2
    if not c.init and c.state == "running" and not c.ready:
        return 1
    return 0


def containers_of(pod: dict[str, Any]) -> list[ContainerInfo]:
    """The pod's init containers then app containers, with their state."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    out: list[ContainerInfo] = []
    for key, status_key, init in (("initContainers", "initContainerStatuses", True),
                                  ("containers", "containerStatuses", False)):
        statuses = {s.get("name"): s for s in status.get(status_key) or []}
        out.extend(_info(c, statuses.get(c.get("name")), init) for c in spec.get(key) or [])
    return out


def choose_container(pod: dict[str, Any], requested: str | None) -> tuple[str, str | None, list[ContainerInfo]]:
    """The container to read, why (when not obvious), and every container of the pod.

    A named container must exist (init containers included). With none named: the only app
    container unless an init container is the one failing; among several, the most clearly failing."""
    containers = containers_of(pod)
    name = (pod.get("metadata") or {}).get("name")
    if requested:
        if not any(c.name == requested for c in containers):
            listed = ", ".join(c.name + (" (init)" if c.init else "") for c in containers)
            raise KubeError(400, "BadRequest", f"pod {name} has no container {requested!r}; its containers: {listed}")
        return requested, None, containers
    apps = [c for c in containers if not c.init]
    if not apps:
        raise KubeError(400, "BadRequest", f"pod {name} has no containers in its spec")
    best = max(containers, key=lambda c: (_score(c), not c.init))
    score = _score(best)
    if len(containers) == 1 or (len(apps) == 1 and (score == 0 or best is apps[0])):
        return apps[0].name, None, containers
    if score == 0:
        return apps[0].name, (f"the pod has {len(containers)} containers and none is failing; showing the first "
                              "app container (pass container= for another)"), containers
    why = ", ".join(x for x in (best.reason, f"exit code {best.exit_code}" if best.exit_code not in (None, 0) else "",
                                f"{best.restarts} restarts" if best.restarts else "") if x)
    others = ", ".join(c.name + (" (init)" if c.init else "") for c in containers if c is not best)
    kind = "init container" if best.init else "container"
    return best.name, f"chose the failing {kind} {best.name} ({why}); the pod also has {others}", containers
