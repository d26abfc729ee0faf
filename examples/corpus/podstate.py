"""Pod states incidentgen's pod builder does not model: patches to the pod object, and memory curves.

Each patch is a function over the pod dict as the API server would return it, applied when the
bundle is written, so the pod, its Endpoints and its metrics stay consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from incidentgen import objects as o
from incidentgen.cluster import MI, PodHistory
from incidentgen.scenarios import Run

__all__ = ["mem_at", "never_started", "oom_memory", "restarts_at", "steady", "terminated", "unscheduled", "volume"]


def ts(t: datetime) -> str:
    return o.iso(t)


def oom_memory(runs: list[Run], base_mi: float, limit: float,
                run_s: Callable[[int], float]) -> Callable[[datetime], float | None]:
    """A working set climbing from `base_mi` to the limit over each run, as a leak or a tight limit does."""
    def memory(t: datetime) -> float | None:
        for n, r in enumerate(runs):
            if r.start <= t and (r.end is None or t < r.end):
                share = (t - r.start).total_seconds() / max(run_s(n), 1.0)
                return min(limit, base_mi * MI + (limit - base_mi * MI) * share)
        return None
    return memory


def steady(base_mi: float) -> Callable[[datetime], float]:
    """A flat working set with a small seven-minute ripple."""
    return lambda t: (base_mi + 3 * ((t.timestamp() / 60) % 7)) * MI


def restarts_at(h: PodHistory, t: datetime) -> float | None:
    return float(sum(1 for x in h.restart_times if x <= t)) if h.created <= t else None


def mem_at(h: PodHistory, t: datetime) -> float | None:
    if t < h.created or h.memory is None:
        return None
    v = h.memory(t)
    return None if v is None else round(v)


def never_started(pod: dict[str, Any]) -> None:
    """A pod whose containers were never created (image pull, config error) is still Pending."""
    pod["status"]["phase"] = "Pending"
    for cs in pod["status"]["containerStatuses"]:
        cs["imageID"] = ""


def unscheduled(message: str, created: datetime) -> Callable[[dict[str, Any]], None]:
    def patch(pod: dict[str, Any]) -> None:
        pod["spec"].pop("nodeName", None)
        status = pod["status"]
        for key in ("hostIP", "hostIPs", "podIP", "podIPs", "startTime", "containerStatuses"):
            status.pop(key, None)
        status["phase"] = "Pending"
        status["conditions"] = [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                                 "lastTransitionTime": ts(created), "reason": "Unschedulable", "message": message}]
    return patch


def volume(name: str, claim: str, mount: str) -> Callable[[dict[str, Any]], None]:
    def patch(pod: dict[str, Any]) -> None:
        pod["spec"].setdefault("volumes", []).append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
        pod["spec"]["containers"][0].setdefault("volumeMounts", []).append({"name": name, "mountPath": mount})
    return patch


def terminated(exit_code: int, reason: str, started: datetime, finished: datetime,
               phase: str = "Failed") -> Callable[[dict[str, Any]], None]:
    """A pod whose only container ran to completion or failure (Job pods: restartPolicy Never)."""
    def patch(pod: dict[str, Any]) -> None:
        pod["spec"]["restartPolicy"] = "Never"
        pod["status"]["phase"] = phase
        for cs in pod["status"]["containerStatuses"]:
            cs.update({"ready": False, "started": False, "restartCount": 0, "lastState": {},
                       "state": {"terminated": {"exitCode": exit_code, "reason": reason,
                                                "startedAt": ts(started), "finishedAt": ts(finished),
                                                "containerID": cs.get("containerID", "")}}})
        for cond in pod["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"status": "False", "reason": "PodFailed" if phase == "Failed" else "PodCompleted",
                             "lastTransitionTime": ts(finished)})
                cond.pop("message", None)
            if cond["type"] == "PodReadyToStartContainers":
                cond["status"] = "False"
    return patch
