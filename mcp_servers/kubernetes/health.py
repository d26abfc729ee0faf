"""Reading health out of Kubernetes objects: pod status, readiness, restarts, ages.

Both the replay server's kubectl tables and the MCP tools' compact answers need the same words a
human expects ("CrashLoopBackOff", "2/3", "5 (3m ago)"), so they come from one place. The status
logic follows kubectl's pod printer: a waiting or terminated reason wins over the phase.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

HEALTHY_POD_STATUSES = frozenset({"Running", "Completed", "Succeeded"})


def parse_ts(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """kubectl's short duration: 45s, 3m12s, 95m, 5h3m, 2d4h, 41d, 2y10d."""
    s = int(seconds)
    if s < 0:
        return "<invalid>"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24
        return f"{days // 365}y{days % 365}d"
    return f"{hours // 24 // 365}y"


def age(obj_or_time: Any, now: datetime | None = None) -> str:
    """Age of an object (from creationTimestamp) or of a timestamp string."""
    if isinstance(obj_or_time, dict):
        obj_or_time = (obj_or_time.get("metadata") or {}).get("creationTimestamp")
    t = parse_ts(obj_or_time)
    if t is None:
        return "<unknown>"
    return human_duration(((now or datetime.now(UTC)) - t).total_seconds())


def container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return list((pod.get("status") or {}).get("containerStatuses") or [])


def pod_ready(pod: dict[str, Any]) -> str:
    total = len((pod.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in container_statuses(pod) if c.get("ready"))
    return f"{ready}/{total}"


def pod_status(pod: dict[str, Any]) -> str:
    """The STATUS column: a waiting/terminated reason beats the phase; Terminating beats all."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for init in status.get("initContainerStatuses") or []:
        state = init.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
            break
        waiting = state.get("waiting")
        if waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
            break
    else:
        has_running = False
        for c in reversed(container_statuses(pod)):
            state = c.get("state") or {}
            if (w := state.get("waiting")) and w.get("reason"):
                reason = w["reason"]
            elif (t := state.get("terminated")) and t.get("reason"):
                reason = t["reason"]
            elif t := state.get("terminated"):
                reason = f"Signal:{t['signal']}" if t.get("signal") else f"ExitCode:{t.get('exitCode')}"
            elif c.get("ready") and state.get("running"):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def restarts(pod: dict[str, Any]) -> int:
    return sum(int(c.get("restartCount") or 0) for c in container_statuses(pod))


def last_restart(pod: dict[str, Any]) -> datetime | None:
    times = [parse_ts(((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
             for c in container_statuses(pod)]
    known = [t for t in times if t]
    return max(known) if known else None


def restarts_cell(pod: dict[str, Any], now: datetime | None = None) -> str:
    """kubectl's RESTARTS: `5 (3m12s ago)` when the last restart time is known."""
    count = restarts(pod)
    last = last_restart(pod)
    if count and last:
        return f"{count} ({human_duration(((now or datetime.now(UTC)) - last).total_seconds())} ago)"
    return str(count)


def pod_problem(pod: dict[str, Any]) -> str | None:
    """Why a pod is unhealthy, in a few words, or None when it is fine."""
    status = pod_status(pod)
    if status not in HEALTHY_POD_STATUSES:
        return status
    for c in container_statuses(pod):
        if not c.get("ready") and status == "Running":
            return f"container {c.get('name')} not ready"
    if restarts(pod) > 0:
        last = (container_statuses(pod)[0].get("lastState") or {}).get("terminated") or {}
        reason = next((((c.get("lastState") or {}).get("terminated") or {}).get("reason")
                       for c in container_statuses(pod) if (c.get("lastState") or {}).get("terminated")),
                      last.get("reason"))
        return f"restarted {restarts(pod)}x" + (f" (last: {reason})" if reason else "")
    return None


def workload_problem(obj: dict[str, Any]) -> str | None:
    """Why a Deployment/StatefulSet/DaemonSet/ReplicaSet is short of ready replicas, or None."""
    kind = obj.get("kind")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "DaemonSet":
        want, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    elif kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        want, ready = spec.get("replicas", 1), status.get("readyReplicas", 0)
    else:
        return None
    if ready < want:
        return f"{ready}/{want} ready"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("status") == "False":
            return f"rollout stuck: {cond.get('reason')}"
    return None


def node_problem(node: dict[str, Any]) -> str | None:
    bad = []
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") != "True":
            bad.append("NotReady")
        elif cond.get("type") != "Ready" and cond.get("status") == "True":
            bad.append(str(cond.get("type")))
    if (node.get("spec") or {}).get("unschedulable"):
        bad.append("SchedulingDisabled")
    return ", ".join(bad) or None


def problem(obj: dict[str, Any]) -> str | None:
    """The health problem of any object the tools rank, or None."""
    kind = obj.get("kind")
    if kind == "Pod":
        return pod_problem(obj)
    if kind == "Node":
        return node_problem(obj)
    if kind == "Event":
        return f"{obj.get('reason')}" if obj.get("type") == "Warning" else None
    return workload_problem(obj)


_SUFFIX = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "Pi": 1024**5, "Ei": 1024**6,
           "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}


def parse_quantity(value: Any) -> float:
    """A resource quantity ("250m", "512Mi", "2", "1e3") as a number of base units; 0 when unreadable."""
    text = str(value or "").strip()
    if not text:
        return 0.0
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if text.endswith(suffix) and not (suffix in ("E",) and "e" in text.lower()[:-1]):
            try:
                return float(text[: -len(suffix)]) * _SUFFIX[suffix]
            except ValueError:
                return 0.0
    try:
        return float(text)
    except ValueError:
        return 0.0


def fmt_bytes(n: float) -> str:
    for unit, size in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if n >= size:
            return f"{n / size:.0f}{unit}" if n / size >= 10 else f"{n / size:.1f}{unit}"
    return f"{n:.0f}"


def fmt_cpu(cores: float) -> str:
    return f"{cores * 1000:.0f}m"
