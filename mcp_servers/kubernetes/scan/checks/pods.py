"""Pod problems, grouped per owner: crash loops, OOM kills, image pulls, scheduling, probes, ...

Each pod is read once into zero or more `PodProblem`s (one per distinct problem: a pod whose app
container crash-loops and whose sidecar cannot pull its image has two). Problems are then grouped by
check, top-level owner, reason, container and the detail that tells two problems apart (the image,
the missing key, the probe), so three replicas failing the same way are one finding that counts
them, and two different failures in one Deployment stay two findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mcp_servers.kubernetes.health import fmt_bytes, parse_quantity, parse_ts
from mcp_servers.kubernetes.scan.checks import refs
from mcp_servers.kubernetes.scan.checks.base import (
    clip,
    condition,
    earliest,
    events_matching,
    first_seen,
    iso,
    last_seen,
    latest,
    name_of,
    ns_of,
    quote,
)
from mcp_servers.kubernetes.scan.checks.ephemeral import read_eviction
from mcp_servers.kubernetes.scan.model import ObjectRef, ScanFinding, Severity
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("pod.crashloop", "pod.oomkilled", "pod.image_pull", "pod.pending", "pod.not_ready", "pod.evicted",
             "pod.init_failed", "pod.config_error", "pod.mount_failed", "pod.start_error", "pod.restarting",
             "pod.failed", "pod.stuck_terminating")

IMAGE_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull",
                           "RegistryUnavailable", "ImageInspectError"})
CONFIG_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError"})
START_REASONS = frozenset({"RunContainerError", "ContainerCannotRun", "StartError"})
RECENT = timedelta(hours=1)
"""A restart or an OOM kill older than this is history, not an incident (severity drops)."""
NOT_READY_GRACE = timedelta(seconds=60)
CREATING_GRACE = timedelta(minutes=5)
STUCK_TERMINATING = timedelta(minutes=5)
MAX_POD_NAMES = 5


@dataclass
class PodProblem:
    check: str
    severity: Severity
    reason: str
    container: str
    key: str
    """What tells two problems of the same check and reason apart (image, missing ref, probe)."""
    details: dict[str, Any]
    evidence: list[str]
    since: datetime | None
    last: datetime | None = None
    pod: str = ""
    extra: list[str] = field(default_factory=list)


def _spec_container(pod: dict[str, Any], name: str, init: bool = False) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    pool = (spec.get("initContainers") or []) if init else (spec.get("containers") or [])
    return next((c for c in pool if c.get("name") == name), {})


def _cause(message: str) -> str:
    """The registry's or runtime's own words at the end of a pull error ("manifest unknown", "not found").

    A trailing link ("...upgrading: https://www.docker.com/increase-rate-limit") is advice, not the
    cause, so it is skipped; an error code the registry put before its words (the distribution
    spec's lowercase codes: `toomanyrequests: You have reached your pull rate limit`) is kept with them.
    """
    text = message
    if "desc = " in text:
        text = text.rsplit("desc = ", 1)[1]
    parts = [p.strip() for p in text.split(": ") if p.strip()]
    while len(parts) > 1 and re.match(r"https?://\S+$", parts[-1]):
        parts.pop()
    tail = parts[-1] if parts else text
    if len(parts) > 1 and re.fullmatch(r"[a-z]{4,}", parts[-2]):
        tail = f"{parts[-2]}: {tail}"
    return clip(tail, 90)


def _probe_text(probe: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """A probe as `httpGet :8080/healthz` and its typed details."""
    if not probe:
        return "", {}
    for kind in ("httpGet", "tcpSocket", "grpc", "exec"):
        spec = probe.get(kind)
        if not spec:
            continue
        if kind == "httpGet":
            return f"httpGet :{spec.get('port')}{spec.get('path') or '/'}", {
                "type": kind, "port": spec.get("port"), "path": spec.get("path") or "/"}
        if kind == "exec":
            command = " ".join(str(c) for c in spec.get("command") or [])
            return f"exec {clip(command, 60)}", {"type": kind, "command": clip(command, 120)}
        return f"{kind} :{spec.get('port')}", {"type": kind, "port": spec.get("port")}
    return "", {}


def _limits(container: dict[str, Any]) -> dict[str, Any]:
    res = container.get("resources") or {}
    out = {}
    if (res.get("limits") or {}).get("memory"):
        out["limit"] = str(res["limits"]["memory"])
    if (res.get("requests") or {}).get("memory"):
        out["request"] = str(res["requests"]["memory"])
    return out


def _pod_events(snap: Snapshot, pod: dict[str, Any], reasons: tuple[str, ...] = (),
                contains: tuple[str, ...] = ()) -> list[Any]:
    return events_matching(snap, "Pod", ns_of(pod), name_of(pod), reasons, contains)


# ---- one pod ------------------------------------------------------------------------------------


def _evicted(snap: Snapshot, pod: dict[str, Any]) -> PodProblem | None:
    """A pod the kubelet evicted under node pressure; None for one evicted for its own local-storage limit,
    which `pod.evicted_storage_limit` (checks/ephemeral.py) reports with the limit: one finding per cause."""
    status = pod.get("status") or {}
    message = str(status.get("message") or "")
    events = _pod_events(snap, pod, ("Evicted",))
    if read_eviction(message) or (events and read_eviction(str(events[-1].message))):
        return None  # the same message the storage-limit check reads: the status's, else the last event's
    resource = re.search(r"low on resource: (\w[\w-]*)", message)
    details: dict[str, Any] = {"node": (pod.get("spec") or {}).get("nodeName") or status.get("nominatedNodeName")}
    if resource:
        details["resource"] = resource.group(1)
    since = first_seen(events) or earliest(status.get("startTime"),
                                           (pod.get("metadata") or {}).get("creationTimestamp"))
    return PodProblem("pod.evicted", "warning", "Evicted", "", details.get("resource", ""), details,
                      [clip(message)] if message else [quote(e) for e in events[:1]], since, last_seen(events))


_SCHED_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"unbound (?:immediate )?PersistentVolumeClaims", "unbound_pvc"),
    (r"didn't match Pod's node affinity(?:/selector)?", "node_affinity"),
    (r"didn't match pod anti-affinity rules", "pod_anti_affinity"),
    (r"didn't match pod affinity rules", "pod_affinity"),
    (r"too many pods", "too_many_pods"),
    (r"volume node affinity conflict", "volume_node_affinity"),
)


def _pending(snap: Snapshot, pod: dict[str, Any], now: datetime) -> PodProblem | None:
    spec = pod.get("spec") or {}
    scheduled = condition(pod, "PodScheduled")
    if spec.get("nodeName") and (scheduled is None or scheduled.get("status") == "True"):
        return None
    events = _pod_events(snap, pod, ("FailedScheduling", "FailedBinding"))
    created = parse_ts((pod.get("metadata") or {}).get("creationTimestamp"))
    unconfirmed = scheduled is None or scheduled.get("status") != "False"
    if not events and unconfirmed and created and now - created < NOT_READY_GRACE:
        return None
    message = events[-1].message if events else str((scheduled or {}).get("message") or "")
    details: dict[str, Any] = {}
    insufficient = sorted(set(re.findall(r"Insufficient ([\w./-]*\w)", message)))
    if insufficient:
        details["insufficient"] = insufficient
    taints = re.findall(r"taint\(?s?\)?\s*\{([^}]*)\}", message)
    if taints:
        details["taints"] = sorted({t.strip() for t in taints})
    for pattern, key in _SCHED_PATTERNS:
        if re.search(pattern, message, re.I):
            details[key] = True
    missing_pvcs = []
    for volume in spec.get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim:
            continue
        pvc = snap.get("PersistentVolumeClaim", ns_of(pod), str(claim))
        if pvc is None and snap.has("PersistentVolumeClaim") and snap.in_scope(ns_of(pod)):
            missing_pvcs.append(f"{claim} (missing)")
        elif pvc is not None and (pvc.get("status") or {}).get("phase") != "Bound":
            missing_pvcs.append(f"{claim} ({(pvc.get('status') or {}).get('phase') or 'Pending'})")
    if missing_pvcs:
        details["pvc"] = missing_pvcs
    requests = _pod_requests(pod)
    if requests:
        details["requests"] = requests
    if spec.get("nodeSelector"):
        details["node_selector"] = dict(spec["nodeSelector"])
    if details.get("pod_anti_affinity"):
        topology = _required_anti_affinity(spec)
        if topology:
            details["anti_affinity_topology"] = topology
    reason = "FailedScheduling" if events else str((scheduled or {}).get("reason") or "Pending")
    evidence = [quote(e) for e in events[-2:]] or ([clip(message)] if message else [])
    key = ",".join(details.get("insufficient", [])) or ("pvc" if missing_pvcs else "") or ",".join(
        k for k in details if k not in ("requests", "node_selector"))
    since = first_seen(events) or created
    return PodProblem("pod.pending", "critical", reason, "", key, details, evidence, since, last_seen(events) or since)


def _required_anti_affinity(spec: dict[str, Any]) -> list[str]:
    """The topology keys of the pod's required anti-affinity terms: one such pod per node (hostname) or zone."""
    terms = (((spec.get("affinity") or {}).get("podAntiAffinity") or {})
             .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
    return sorted({str(t.get("topologyKey")) for t in terms if t.get("topologyKey")})


EXIT_MEANINGS = {126: "the command was found but could not be executed (permission, not a binary)",
                 127: "the shell could not find the command (a typo, or a binary missing from the image)"}
"""Exit codes POSIX shells reserve: they say the container's command itself is wrong, so the
finding names that command."""

_RUNTIME_WRAPS = ("unable to start container process:", "starting container process caused:",
                  "runc create failed:", "OCI runtime create failed:", "OCI runtime exec failed:")
"""How runc and containerd wrap the real error, outermost last; what follows the innermost is the cause."""


def runtime_cause(message: str) -> str:
    """A container runtime's error without its wrapping: what follows runc's innermost prefix
    (`exec: "/app/start.sh": stat /app/start.sh: no such file or directory`), the message itself otherwise."""
    text = message.strip()
    cut = max((text.rfind(w) + len(w) for w in _RUNTIME_WRAPS if w in text), default=0)
    return text[cut:].strip().removesuffix(": unknown").strip() or text


def _command_of(container: dict[str, Any]) -> str:
    return " ".join(str(x) for x in [*(container.get("command") or []), *(container.get("args") or [])])


def _pod_requests(pod: dict[str, Any]) -> dict[str, str]:
    cpu = mem = 0.0
    for c in (pod.get("spec") or {}).get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += parse_quantity(req.get("cpu"))
        mem += parse_quantity(req.get("memory"))
    out = {}
    if cpu:
        out["cpu"] = f"{cpu * 1000:.0f}m"
    if mem:
        out["memory"] = fmt_bytes(mem)
    return out


def _terminated_details(term: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"last_reason": term.get("reason") or "", "exit_code": term.get("exitCode")}
    if term.get("signal"):
        out["signal"] = term["signal"]
    if term.get("message"):
        out["termination_message"] = clip(runtime_cause(str(term["message"])), 160)
    if term.get("finishedAt"):
        out["last_finished"] = term["finishedAt"]
    return out


def _init_problems(snap: Snapshot, pod: dict[str, Any]) -> list[PodProblem]:
    out = []
    for cs in (pod.get("status") or {}).get("initContainerStatuses") or []:
        state, last = cs.get("state") or {}, (cs.get("lastState") or {}).get("terminated") or {}
        waiting, term = state.get("waiting") or {}, state.get("terminated") or {}
        name = str(cs.get("name") or "")
        if waiting.get("reason") in IMAGE_REASONS:
            out.append(_image_problem(snap, pod, cs, waiting, init=True))
            continue
        failed_term = term if term and term.get("exitCode") not in (0, None) else None
        if not failed_term and waiting.get("reason") not in ("CrashLoopBackOff", *CONFIG_REASONS, *START_REASONS):
            continue
        source = failed_term or last
        details: dict[str, Any] = {"container": name, "init": True, "restarts": int(cs.get("restartCount") or 0)}
        details.update(_terminated_details(source) if source else {})
        if details.get("exit_code") in EXIT_MEANINGS:
            details["command"] = clip(_command_of(_spec_container(pod, name, init=True)), 160)
        if waiting.get("message"):
            details["waiting_message"] = clip(waiting["message"], 160)
        evidence = [clip(f"init container {name}: {waiting.get('reason') or 'terminated'} "
                         f"{waiting.get('message') or ''}")]
        if source.get("message"):
            evidence.append(clip(source["message"]))
        events = _pod_events(snap, pod, ("BackOff", "Failed"))
        reason = str(waiting.get("reason") or source.get("reason") or "Error")
        out.append(PodProblem("pod.init_failed", "critical", reason, name, str(details.get("exit_code")), details,
                              evidence, first_seen(events) or parse_ts(source.get("startedAt")),
                              last_seen(events) or parse_ts(source.get("finishedAt"))))
    return out


def _image_problem(snap: Snapshot, pod: dict[str, Any], cs: dict[str, Any], waiting: dict[str, Any],
                   init: bool = False) -> PodProblem:
    name = str(cs.get("name") or "")
    image = str(_spec_container(pod, name, init).get("image") or cs.get("image") or "")
    events = [e for e in _pod_events(snap, pod, ("Failed", "BackOff", "InspectFailed", "ErrImageNeverPull"))
              if (image and image in e.message) or "image" in e.message.lower()]
    failure = next((e for e in reversed(events) if "Failed to pull" in e.message or "rpc error" in e.message
                    or e.reason == "InspectFailed"), None)
    cause_src = failure.message if failure else str(waiting.get("message") or "")
    details: dict[str, Any] = {"image": image, "container": name}
    if init:
        details["init"] = True
    if cause_src:
        details["error"] = _cause(cause_src)
    # A registry that refuses the credentials (401/403) points at the pod's pull secrets, not the image.
    secrets = [str(s.get("name")) for s in (pod.get("spec") or {}).get("imagePullSecrets") or [] if s.get("name")]
    if re.search(r"\b40[13]\b|unauthori[sz]ed|forbidden|denied|authentication required", cause_src, re.I):
        details["pull_secrets"] = secrets
    evidence = [quote(failure)] if failure else []
    if waiting.get("message"):
        evidence.append(clip(waiting["message"]))
    back_off = next((e for e in events if e.reason == "BackOff"), None)
    if back_off:
        evidence.append(quote(back_off))
    return PodProblem("pod.image_pull", "critical", str(waiting.get("reason")), name, image, details, evidence[:3],
                      first_seen(events) or parse_ts((pod.get("status") or {}).get("startTime")), last_seen(events))


def _container_problems(snap: Snapshot, pod: dict[str, Any], now: datetime) -> list[PodProblem]:
    out: list[PodProblem] = []
    status = pod.get("status") or {}
    for cs in status.get("containerStatuses") or []:
        name = str(cs.get("name") or "")
        state = cs.get("state") or {}
        waiting, running, term_now = state.get("waiting") or {}, state.get("running"), state.get("terminated")
        last = (cs.get("lastState") or {}).get("terminated") or {}
        spec = _spec_container(pod, name)
        restarts = int(cs.get("restartCount") or 0)
        reason = str(waiting.get("reason") or "")
        if reason in IMAGE_REASONS:
            out.append(_image_problem(snap, pod, cs, waiting))
            continue
        if reason in CONFIG_REASONS:
            out.append(_config_problem(snap, pod, name, reason, str(waiting.get("message") or "")))
            continue
        if reason in START_REASONS or (term_now and term_now.get("reason") in START_REASONS):
            source = waiting or term_now or {}
            events = _pod_events(snap, pod, ("Failed",))
            details = {"container": name, "restarts": restarts, **_terminated_details(last or term_now or {})}
            details["error"] = clip(runtime_cause(str(source.get("message") or "")), 160)
            out.append(PodProblem("pod.start_error", "critical", str(source.get("reason")), name,
                                  str(details["error"])[:40], details,
                                  [clip(source.get("message") or "")] + [quote(e) for e in events[-1:]],
                                  first_seen(events), last_seen(events)))
            continue
        oom = next((t for t in (term_now or {}, last) if t and t.get("reason") == "OOMKilled"), None)
        if oom:
            finished = parse_ts(oom.get("finishedAt"))
            recent = reason == "CrashLoopBackOff" or (finished is not None and now - finished <= RECENT)
            details = {"container": name, "restarts": restarts, "exit_code": oom.get("exitCode"),
                       "last_finished": oom.get("finishedAt"), **_limits(spec)}
            if reason:
                details["state"] = reason
            events = _pod_events(snap, pod, ("BackOff", "OOMKilling", "Killing"))
            evidence = [clip(f"container {name} last terminated OOMKilled (exit {oom.get('exitCode')}) at "
                             f"{oom.get('finishedAt')}, {restarts} restarts"
                             + (f", memory limit {details['limit']}" if details.get("limit") else ""))]
            evidence += [quote(e) for e in events[-1:]]
            out.append(PodProblem("pod.oomkilled", "critical" if recent else "warning", "OOMKilled", name,
                                  str(details.get("limit", "")), details, evidence,
                                  earliest(first_seen(events), oom.get("startedAt") if not events else None,
                                           finished),
                                  latest(last_seen(events), finished)))
            continue
        if reason == "CrashLoopBackOff" or (term_now and term_now.get("exitCode") not in (0, None)
                                            and (pod.get("spec") or {}).get("restartPolicy", "Always") == "Always"):
            source = last or term_now or {}
            details = {"container": name, "restarts": restarts, **_terminated_details(source)}
            if details.get("exit_code") in EXIT_MEANINGS:
                details["command"] = clip(_command_of(spec), 160)
            events = _pod_events(snap, pod, ("BackOff",))
            liveness = _liveness_failures(snap, pod)
            if liveness:
                details.update(_probe_failure(liveness, spec))
            tail = f"last exit {source.get('reason') or 'Error'} code {source.get('exitCode')}" if source else ""
            evidence = [clip(f"container {name} {reason or 'terminated'}; {tail}, {restarts} restarts")]
            if source.get("message"):
                evidence.append(clip(f"termination message: {source['message']}"))
            evidence += [quote(e) for e in [*liveness[-1:], *events[-1:]]]
            out.append(PodProblem("pod.crashloop", "critical", reason or "CrashLoopBackOff", name,
                                  f"{source.get('reason')}:{source.get('exitCode')}", details, evidence,
                                  first_seen(events) or parse_ts(source.get("startedAt")),
                                  latest(last_seen(events), source.get("finishedAt"))))
            continue
        if reason == "ContainerCreating":  # PodInitializing is an init container still at work, not a fault
            problem = _creating_problem(snap, pod, name, now)
            if problem:
                out.append(problem)
            continue
        if running and not cs.get("ready") and status.get("phase") == "Running":
            problem = _not_ready(snap, pod, cs, spec, now)
            if problem:
                out.append(problem)
        if running and last and last.get("exitCode") not in (0, None) and restarts:
            finished = parse_ts(last.get("finishedAt"))
            if finished is not None and now - finished <= RECENT:
                details = {"container": name, "restarts": restarts, **_terminated_details(last)}
                liveness = _liveness_failures(snap, pod)
                if liveness:
                    details.update(_probe_failure(liveness, spec))
                out.append(PodProblem(
                    "pod.restarting", "warning", str(last.get("reason") or "Error"), name,
                    f"{last.get('reason')}:{last.get('exitCode')}", details,
                    [clip(f"container {name} restarted {restarts}x, last exit {last.get('reason')} code "
                          f"{last.get('exitCode')} at {last.get('finishedAt')}")]
                    + ([clip(f"termination message: {last['message']}")] if last.get("message") else []),
                    parse_ts(last.get("startedAt")), finished))
    return out


def _probe_failure(failures: list[Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The probe that killed the container: the kubelet's `Liveness probe failed: <why>` (rather than its
    `Killing` notice, which says only that it happened) and the probe as the spec defines it."""
    said = [e for e in failures if e.reason == "Unhealthy"] or failures
    which = "startupProbe" if said[-1].message.lower().startswith("startup") else "livenessProbe"
    out: dict[str, Any] = {"probe_failure": clip(said[-1].message, 160)}
    probe, _ = _probe_text(spec.get(which))
    if probe:
        out["probe"] = probe
    return out


def _liveness_failures(snap: Snapshot, pod: dict[str, Any]) -> list[Any]:
    """Liveness or startup probe failures: the kubelet killed the container, it did not crash by itself."""
    return [e for e in _pod_events(snap, pod, ("Unhealthy", "Killing"))
            if e.message.lower().startswith(("liveness probe failed", "startup probe failed"))
            or "failed liveness probe" in e.message.lower() or "failed startup probe" in e.message.lower()]


def _config_problem(snap: Snapshot, pod: dict[str, Any], container: str, reason: str, message: str) -> PodProblem:
    details: dict[str, Any] = {"container": container}
    found = refs.parse_missing(message)
    details.update(found)
    missing = refs.missing_refs(snap, pod, container)
    if missing and not found:
        details.update(missing[0])
    if missing:
        details["missing"] = [refs.describe(m) for m in missing][:5]
    events = _pod_events(snap, pod, ("Failed",), contains=("not found", "couldn't find"))
    evidence = [clip(message)] if message else []
    evidence += [quote(e) for e in events[-1:] if e.message != message]
    key = ",".join(str(details.get(k, "")) for k in ("configmap", "secret", "missing_key"))
    return PodProblem("pod.config_error", "critical", reason, container, key, details, evidence,
                      first_seen(events) or parse_ts((pod.get("status") or {}).get("startTime")), last_seen(events))


def _creating_problem(snap: Snapshot, pod: dict[str, Any], container: str, now: datetime) -> PodProblem | None:
    events = _pod_events(snap, pod, ("FailedMount", "FailedAttachVolume", "FailedCreatePodSandBox",
                                     "FailedMapVolume"))
    started = parse_ts((pod.get("status") or {}).get("startTime")) or parse_ts(
        (pod.get("metadata") or {}).get("creationTimestamp"))
    if not events and (started is None or now - started < CREATING_GRACE):
        return None
    missing = refs.missing_refs(snap, pod, None)
    message = events[-1].message if events else ""
    if missing or re.search(r'(configmap|secret)s? "?[\w.-]+"? not found', message, re.I):
        details: dict[str, Any] = {"container": container, **refs.parse_missing(message)}
        if missing:
            details.setdefault("configmap" if missing[0].get("configmap") else "secret",
                               missing[0].get("configmap") or missing[0].get("secret"))
            details["missing"] = [refs.describe(m) for m in missing][:5]
        key = str(details.get("configmap") or details.get("secret") or "")
        return PodProblem("pod.config_error", "critical", events[-1].reason if events else "ContainerCreating",
                          "", key, details, [quote(e) for e in events[-2:]], first_seen(events), last_seen(events))
    # The attach/detach controller's FailedAttachVolume says why; the kubelet's FailedMount
    # "timed out waiting for the condition" that follows it is only the consequence.
    attach = [e for e in events if e.reason == "FailedAttachVolume"]
    cause = attach[-1] if attach else (events[-1] if events else None)
    reason = cause.reason if cause else "ContainerCreating"
    details = {"container": container}
    if cause:
        details["error"] = clip(cause.message, 160)
        if "Multi-Attach error" in cause.message:
            details.update(_multi_attach(snap, pod, cause.message))
    evidence = [quote(e) for e in ([cause] if cause else []) + [e for e in events[-2:] if e is not cause]][:3]
    return PodProblem("pod.mount_failed", "critical", reason, "", reason, details,
                      evidence or [f"container {container} still ContainerCreating"],
                      first_seen(events) or started, last_seen(events))


def _multi_attach(snap: Snapshot, pod: dict[str, Any], message: str) -> dict[str, Any]:
    """A volume another pod holds: who holds it, and the claims whose access mode allows one node only."""
    out: dict[str, Any] = {"multi_attach": True}
    held = re.search(r"used by pod\(s\) ([\w.,\s-]+)", message)
    if held:
        out["held_by"] = [p.strip() for p in held.group(1).split(",") if p.strip()][:5]
    single = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        pvc = snap.get("PersistentVolumeClaim", ns_of(pod), str(claim)) if claim else None
        modes = ((pvc or {}).get("spec") or {}).get("accessModes") or []
        if pvc is not None and "ReadWriteMany" not in modes and "ReadOnlyMany" not in modes:
            single.append(f"{claim} ({', '.join(modes) or 'ReadWriteOnce'})")
    if single:
        out["single_node_claims"] = single
    return out


def _not_ready(snap: Snapshot, pod: dict[str, Any], cs: dict[str, Any], spec: dict[str, Any],
               now: datetime) -> PodProblem | None:
    name = str(cs.get("name") or "")
    started = parse_ts(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
    events = [e for e in _pod_events(snap, pod, ("Unhealthy", "ProbeWarning"))
              if not e.message.lower().startswith("liveness") or "readiness" in e.message.lower()]
    if not events and (started is None or now - started < NOT_READY_GRACE):
        return None
    probe = spec.get("readinessProbe")
    text, details = _probe_text(probe)
    details = {"container": name, "probe": text or "none", **({"probe_" + k: v for k, v in details.items()})}
    if events:
        details["error"] = _probe_error(events[-1].message)
    ready = condition(pod, "Ready")
    evidence = [quote(e) for e in events[-1:]]
    if not evidence:
        evidence = [clip(f"container {name} running but not ready"
                         + (f" ({ready.get('reason')})" if ready and ready.get("reason") else ""))]
    since = first_seen(events) or parse_ts((ready or {}).get("lastTransitionTime")) or started
    return PodProblem("pod.not_ready", "warning", "Unhealthy" if events else "ContainersNotReady", name,
                      text, details, evidence, since, last_seen(events))


def _probe_error(message: str) -> str:
    """The failure a probe event reports: "connection refused", "HTTP probe failed with statuscode: 503"."""
    head, _, rest = message.partition(":")
    return clip(rest.strip() or head, 120)


def _stuck_terminating(pod: dict[str, Any], now: datetime) -> PodProblem | None:
    """A pod still there well after its deletion deadline: a finalizer, or a node that stopped answering."""
    meta = pod.get("metadata") or {}
    deleted = parse_ts(meta.get("deletionTimestamp"))  # already includes the grace period
    if deleted is None or now - deleted < STUCK_TERMINATING:
        return None
    node = (pod.get("spec") or {}).get("nodeName")
    finalizers = list(meta.get("finalizers") or [])
    details: dict[str, Any] = {"deletion_deadline": meta.get("deletionTimestamp"), "node": node,
                               "finalizers": finalizers}
    why = f"finalizers {', '.join(finalizers)}" if finalizers else f"node {node} has not confirmed the kill"
    return PodProblem("pod.stuck_terminating", "warning", "Terminating", "", ",".join(finalizers), details,
                      [clip(f"deletion deadline {meta.get('deletionTimestamp')} passed; {why}")], deleted, None)


def pod_problems(snap: Snapshot, pod: dict[str, Any], now: datetime) -> list[PodProblem]:
    """Every distinct problem of one pod (empty for a healthy or a completed pod)."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Succeeded":
        return []
    if phase == "Failed":
        if status.get("reason") == "Evicted":
            evicted = _evicted(snap, pod)
            return [evicted] if evicted else []
        owner = snap.owner_of(pod)
        if owner is not None and owner.kind in ("Job", "CronJob"):
            return []  # the jobs check reports the Job; its failed pods are its evidence
        message = str(status.get("message") or status.get("reason") or "pod failed")
        return [PodProblem("pod.failed", "warning", str(status.get("reason") or "Failed"), "",
                           str(status.get("reason") or ""), {"message": clip(message, 160)}, [clip(message)],
                           parse_ts(status.get("startTime")))]
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        stuck = _stuck_terminating(pod, now)
        return [stuck] if stuck else []
    pending = _pending(snap, pod, now)
    if pending:
        return [pending]
    problems = _init_problems(snap, pod)
    if problems:
        return problems
    return _container_problems(snap, pod, now)


# ---- grouping -----------------------------------------------------------------------------------


def _owner_total(snap: Snapshot, owner: ObjectRef) -> int:
    return sum(1 for p in snap.pods_in(owner.namespace) if snap.owner_of(p) == owner
               and (p.get("status") or {}).get("phase") not in ("Succeeded",))


def _summary(check: str, reason: str, d: dict[str, Any]) -> str:
    """The detail that matters, in words, for the finding's message."""
    c = f" (container {d['container']})" if d.get("container") else ""
    if check == "pod.image_pull":
        text = f"{reason}: cannot pull image {d.get('image')}" + (f" ({d['error']})" if d.get("error") else "")
        if "pull_secrets" in d:
            text += (f"; the registry refuses the credentials of imagePullSecret {', '.join(d['pull_secrets'])}"
                     if d["pull_secrets"] else "; the registry wants credentials and the pod has no imagePullSecret")
        return text
    if check == "pod.oomkilled":
        lim = f"memory limit {d['limit']}" if d.get("limit") else "no memory limit"
        return f"OOMKilled{c}, {lim}, {d.get('restarts', 0)} restarts"
    if check in ("pod.crashloop", "pod.restarting", "pod.init_failed"):
        msg = f": {d['termination_message']}" if d.get("termination_message") else ""
        if d.get("exit_code") in EXIT_MEANINGS:
            msg += f"; exit {d['exit_code']}: {EXIT_MEANINGS[d['exit_code']]}"
            msg += f"; its command: {d['command']}" if d.get("command") else ""
        if d.get("last_reason") == "Completed" and d.get("exit_code") == 0 and check == "pod.crashloop":
            msg += ("; the process exits 0 (Completed) and restartPolicy Always starts it again: a run-once "
                    "program under a long-running controller (a Job or CronJob fits), or a main process that returns")
        if d.get("probe_failure"):
            probe = f" (its probe: {d['probe']})" if d.get("probe") else ""
            msg += f"; killed after {d['probe_failure']}{probe}"
        kind = "init container" if d.get("init") else "container"
        return (f"{reason} ({kind} {d.get('container')} last exit {d.get('last_reason') or 'Error'} code "
                f"{d.get('exit_code')}, {d.get('restarts', 0)} restarts){msg}")
    if check == "pod.pending":
        why = []
        if d.get("insufficient"):
            why.append("insufficient " + ", ".join(d["insufficient"]))
        if d.get("taints"):
            why.append("untolerated taints " + ", ".join(d["taints"]))
        if d.get("pvc"):
            why.append("PVC " + ", ".join(d["pvc"]))
        if d.get("pod_anti_affinity"):
            keys = ", ".join(d.get("anti_affinity_topology") or [])
            why.append("pod anti-affinity" + (f" (required, topologyKey {keys}: at most one such pod per "
                                              f"{'node' if keys == 'kubernetes.io/hostname' else 'topology domain'})"
                                              if keys else ""))
        for k in ("node_affinity", "pod_affinity", "too_many_pods", "volume_node_affinity", "unbound_pvc"):
            if d.get(k) and not (k == "unbound_pvc" and d.get("pvc")):
                why.append(k.replace("_", " "))
        if d.get("node_affinity") and d.get("node_selector"):
            selector = ", ".join(f"{k}={v}" for k, v in sorted(d["node_selector"].items()))
            why.append(f"nodeSelector {selector} matches no schedulable node")
        return f"Pending, {reason}" + (f": {'; '.join(why)}" if why else "")
    if check == "pod.not_ready":
        err = f": {d['error']}" if d.get("error") else ""
        return f"not Ready{c}, readiness probe {d.get('probe')}{err}"
    if check == "pod.evicted":
        return "Evicted" + (f", node {d.get('node')} low on {d['resource']}" if d.get("resource") else "")
    if check == "pod.config_error":
        what = (f"missing key {d['missing_key']} in " if d.get("missing_key") else "missing ")
        obj = (f"ConfigMap {d['configmap']}" if d.get("configmap") else
               f"Secret {d['secret']}" if d.get("secret") else "configuration")
        return f"{reason}{c}: {what}{obj}"
    if check == "pod.mount_failed":
        text = f"{reason}{c}" + (f": {d['error']}" if d.get("error") else "")
        if d.get("multi_attach"):
            held = f" (held by {', '.join(d['held_by'])})" if d.get("held_by") else ""
            claims = (f"claim {', '.join(d['single_node_claims'])} attaches to one node at a time"
                      if d.get("single_node_claims") else "the volume attaches to one node at a time")
            text += (f"; {claims}{held}: a new pod on another node waits until the old one lets go (strategy "
                     "Recreate, or RollingUpdate with maxSurge 0, avoids it)")
        return text
    if check == "pod.stuck_terminating":
        held = f"held by finalizers {', '.join(d['finalizers'])}" if d.get("finalizers") else (
            f"node {d.get('node')} has not confirmed the kill")
        return f"stuck Terminating past its deletion deadline, {held}"
    if check == "pod.start_error":
        return f"{reason}{c}: {d.get('error')}"
    return f"{reason}" + (f": {d['message']}" if d.get("message") else "")


def _merge_lists(target: list[str], extra: list[str], limit: int = 4) -> None:
    for item in extra:
        if item and item not in target and len(target) < limit:
            target.append(item)


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    groups: dict[tuple[Any, ...], list[tuple[dict[str, Any], PodProblem]]] = {}
    for pod in snap.items("Pod"):
        for problem in pod_problems(snap, pod, now):
            owner = snap.owner_of(pod)
            subject = owner or ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
            key = (problem.check, subject.kind, subject.namespace, subject.name, problem.reason, problem.container,
                   problem.key)
            groups.setdefault(key, []).append((pod, problem))
    findings = []
    for members in groups.values():
        pod, first = members[0]
        owner = snap.owner_of(pod)
        names = sorted(name_of(p) for p, _ in members)
        evidence: list[str] = []
        for _, problem in members:
            _merge_lists(evidence, problem.evidence)
        details = dict(first.details)
        severity = "critical" if any(p.severity == "critical" for _, p in members) else first.severity
        if owner is not None:
            total = _owner_total(snap, owner)
            subject = owner
            who = f"{owner}: {len(members)}/{max(total, len(members))} pods"
            details["pods_total"] = max(total, len(members))
        else:
            subject = ObjectRef(kind="Pod", namespace=ns_of(pod), name=name_of(pod))
            who = str(subject)
        node = (pod.get("spec") or {}).get("nodeName")
        if node and len({(p.get("spec") or {}).get("nodeName") for p, _ in members}) == 1:
            details.setdefault("node", node)
        findings.append(ScanFinding(
            check=first.check, severity=severity, object=subject, owner=owner, reason=first.reason,
            message=f"{who} {_summary(first.check, first.reason, details)}", details=details,
            evidence=evidence, since=iso(earliest(*[p.since for _, p in members])),
            last_seen=iso(latest(*[p.last for _, p in members])), pods=names[:MAX_POD_NAMES], count=len(members)))
    return findings
