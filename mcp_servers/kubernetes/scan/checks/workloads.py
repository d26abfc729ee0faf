"""Workloads short of replicas or stuck, and controllers that cannot create their pods.

`workload.unavailable` says a Deployment/StatefulSet/DaemonSet has fewer ready replicas than it
wants; `workload.rollout_stuck` says a Deployment's rollout passed its progress deadline (the
Progressing condition's reason, ProgressDeadlineExceeded); `workload.failed_create` reads the
FailedCreate events of ReplicaSets, StatefulSets, DaemonSets and Jobs: quota exceeded, admission
webhook denied, pod security refused, service account missing. The pods' own findings say why the
replicas are not ready; these say which workload suffers, and the events say what blocks creation.

`workload.missing_service` says a StatefulSet's `spec.serviceName` names a Service that does not
exist: that (headless) Service is what gives each pod its stable DNS name
(`web-0.SERVICE.NS.svc`), so peers that find each other by those names (a quorum, a replica set)
cannot, while the pods themselves may run. Critical when replicas are not ready; info while all are
(a set whose members never look each other up does not need the names).

`workload.update_held` says a change to the pod template does not reach the pods because the
object itself holds it: a Deployment with `spec.paused` whose template images no ReplicaSet of it
runs yet (Progressing reason DeploymentPaused), or a StatefulSet whose `updateRevision` differs
from `currentRevision` while its rollingUpdate `partition` is at or above its replicas (no ordinal
qualifies) or its updateStrategy is OnDelete (pods change only when deleted).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcp_servers.kubernetes.health import parse_ts
from mcp_servers.kubernetes.scan.checks.base import (
    clip,
    condition,
    events_matching,
    first_seen,
    iso,
    last_seen,
    name_of,
    ns_of,
    quote,
    ref,
)
from mcp_servers.kubernetes.scan.model import ScanFinding, Severity
from mcp_servers.kubernetes.scan.snapshot import Snapshot

CHECK_IDS = ("workload.unavailable", "workload.rollout_stuck", "workload.failed_create", "workload.missing_service",
             "workload.update_held")


def _wanted_ready(obj: dict[str, Any]) -> tuple[int, int]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if obj.get("kind") == "DaemonSet":
        return int(status.get("desiredNumberScheduled") or 0), int(status.get("numberReady") or 0)
    replicas = spec.get("replicas")
    return int(1 if replicas is None else replicas), int(status.get("readyReplicas") or 0)


def _unavailable(snap: Snapshot, obj: dict[str, Any]) -> ScanFinding | None:
    want, ready = _wanted_ready(obj)
    if want == 0 or ready >= want:
        return None
    kind = str(obj.get("kind"))
    subject = ref(obj)
    avail = condition(obj, "Available")
    events = events_matching(snap, kind, ns_of(obj), name_of(obj), warnings_only=True)
    evidence = [f"{ready}/{want} replicas ready"]
    if avail and avail.get("status") == "False":
        evidence.append(clip(f"Available=False {avail.get('reason')}: {avail.get('message')}"))
    evidence += [quote(e) for e in events[-1:]]
    since = parse_ts((avail or {}).get("lastTransitionTime")) if avail and avail.get("status") == "False" else None
    images = sorted({str(c.get("image")) for c in (((obj.get("spec") or {}).get("template") or {}).get("spec")
                                                     or {}).get("containers") or []})
    severity: Severity = "critical" if ready == 0 else "warning"
    return ScanFinding(
        check="workload.unavailable", severity=severity, object=subject, owner=subject,
        reason=str((avail or {}).get("reason") or "ReplicasUnavailable") if avail and avail.get("status") == "False"
        else "ReplicasUnavailable",
        message=f"{subject}: {ready}/{want} replicas ready" + (f" (image {', '.join(images)})" if images else ""),
        details={"desired": want, "ready": ready, "images": images}, evidence=evidence,
        since=iso(since or first_seen(events)), last_seen=iso(last_seen(events)))


def _stuck(obj: dict[str, Any]) -> ScanFinding | None:
    progressing = condition(obj, "Progressing")
    if not progressing or progressing.get("status") != "False":
        return None
    subject = ref(obj)
    reason = str(progressing.get("reason") or "ProgressDeadlineExceeded")
    message = str(progressing.get("message") or "")
    revision = ((obj.get("metadata") or {}).get("annotations") or {}).get("deployment.kubernetes.io/revision")
    details: dict[str, Any] = {"revision": revision} if revision else {}
    images = sorted({str(c.get("image")) for c in (((obj.get("spec") or {}).get("template") or {}).get("spec")
                                                     or {}).get("containers") or []})
    details["images"] = images
    return ScanFinding(
        check="workload.rollout_stuck", severity="critical", object=subject, owner=subject, reason=reason,
        message=f"{subject}: rollout stuck ({reason})" + (f", revision {revision}" if revision else "")
        + (f": {clip(message, 120)}" if message else ""),
        details=details, evidence=[clip(f"Progressing=False {reason}: {message}")],
        since=progressing.get("lastTransitionTime") or progressing.get("lastUpdateTime"))


def _failed_create(snap: Snapshot) -> list[ScanFinding]:
    out = []
    for kind in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"):
        by_obj: dict[tuple[str, str], list[Any]] = {}
        for e in snap.events:
            if e.kind == kind and e.reason in ("FailedCreate", "FailedCreatePod"):
                by_obj.setdefault((e.namespace, e.name), []).append(e)
        for (ns, name), events in by_obj.items():
            obj = snap.get(kind, ns, name) or {"kind": kind, "metadata": {"namespace": ns, "name": name}}
            owner = snap.owner_of(obj) or ref(obj)
            last = max(events, key=lambda e: e.last.isoformat() if e.last else "")
            text = last.message
            lower = text.lower()
            cause = ("quota exceeded" if "exceeded quota" in lower or "quota" in lower else
                     "admission webhook denied" if "admission webhook" in lower else
                     "pod security" if "podsecurity" in lower or "violates podsecurity" in lower else
                     "service account missing" if "serviceaccount" in lower and "not found" in lower else
                     "forbidden" if "forbidden" in lower else "error")
            details: dict[str, Any] = {"cause": cause, "error": clip(text, 200)}
            if "admission webhook" in lower:
                start = text.find('admission webhook "')
                if start >= 0:
                    details["webhook"] = text[start + 19:].split('"', 1)[0]
            if cause == "quota exceeded":
                start = text.find("exceeded quota: ")
                if start >= 0:
                    details["quota"] = text[start + 16:].split(",", 1)[0].strip()
            subject = ref(obj, kind)
            denied = cause == "admission webhook denied"
            said = _denial(text) if denied else clip(text, 140)
            whole = [clip(_DIGEST.sub(r"\1", text), 600)] if denied else []  # the policy's reason, uncut
            out.append(ScanFinding(
                check="workload.failed_create", severity="critical", object=subject, owner=owner,
                reason=last.reason, message=f"{owner}: {kind} {name} cannot create pods ({cause}): {said}",
                details=details, evidence=[*(quote(e) for e in events[-2:]), *whole], since=iso(first_seen(events)),
                last_seen=iso(last_seen(events)), count=sum(e.count for e in events)))
    return out


_DIGEST = re.compile(r"(sha256:[0-9a-f]{12})[0-9a-f]{52}")
"""An image digest, kept to its first 12 hex digits: a denial that quotes the image twice spends 128 characters."""


def _denial(text: str) -> str:
    """An admission webhook's denial, its head (the webhook and the policy it names) and its tail kept: policy engines
    put the reason last, after the image or field they judged ("...: no matching signatures"), which a plain clip
    cuts off."""
    start = text.find("admission webhook")
    line = " ".join(text[max(start, 0):].split())
    if len(line) <= 240:
        return line
    return f"{line[:130].rstrip()} … {line[-100:].lstrip()}"


def _missing_service(snap: Snapshot, sts: dict[str, Any]) -> ScanFinding | None:
    ns = ns_of(sts)
    service = str((sts.get("spec") or {}).get("serviceName") or "")
    if not service or not snap.has("Service") or not snap.in_scope(ns) or snap.get("Service", ns, service):
        return None
    want, ready = _wanted_ready(sts)
    subject = ref(sts, "StatefulSet")
    names = f"{name_of(sts)}-0.{service}.{ns}.svc"
    message = (f"{subject}: serviceName {service} names a Service that does not exist, so its pods' DNS names "
               f"({names}) do not resolve ({ready}/{want} replicas ready)") if ready < want else (
        f"{subject}: serviceName {service} names a Service this snapshot does not hold, yet all {ready}/{want} "
        f"replicas are ready: nothing shows its pods need their per-pod DNS names ({names})")
    return ScanFinding(
        check="workload.missing_service", severity="critical" if ready < want else "info", object=subject,
        owner=subject, reason="ServiceNotFound", message=message,
        details={"service": service, "desired": want, "ready": ready},
        evidence=[f"spec.serviceName: {service}; no Service {ns}/{service}"],
        since=(sts.get("metadata") or {}).get("creationTimestamp"))


def _template_images(obj: dict[str, Any]) -> list[str]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return sorted({str(c.get("image")) for c in spec.get("containers") or []})


def _paused(snap: Snapshot, deploy: dict[str, Any]) -> ScanFinding | None:
    if not (deploy.get("spec") or {}).get("paused"):
        return None
    subject = ref(deploy, "Deployment")
    wanted = _template_images(deploy)
    owned = [rs for rs in snap.items("ReplicaSet") if ns_of(rs) == ns_of(deploy) and snap.owner_of(rs) == subject]
    running = sorted({img for rs in owned if int((rs.get("status") or {}).get("replicas") or 0) > 0
                      for img in _template_images(rs)})
    progressing = condition(deploy, "Progressing") or {}
    held = (progressing.get("reason") == "DeploymentPaused" and bool(set(wanted) - set(running))) or (
        bool(owned) and bool(set(wanted) - set(running)))
    text = f"{subject}: paused (spec.paused=true)"
    if held:
        text += (f": its template ({', '.join(wanted)}) is not rolled out, the pods still run "
                 f"{', '.join(running) or 'an older template'}; resume the rollout (kubectl rollout resume)")
    evidence = ["spec.paused=true"]
    if progressing:
        evidence.append(clip(f"Progressing={progressing.get('status')} {progressing.get('reason')}: "
                             f"{progressing.get('message') or ''}"))
    return ScanFinding(
        check="workload.update_held", severity="warning" if held else "info", object=subject, owner=subject,
        reason="DeploymentPaused", message=text,
        details={"paused": True, "template_images": wanted, "running_images": running},
        evidence=evidence, since=progressing.get("lastTransitionTime"))


def _partitioned(sts: dict[str, Any]) -> ScanFinding | None:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    current, update = status.get("currentRevision"), status.get("updateRevision")
    if not current or not update or current == update:
        return None
    strategy = spec.get("updateStrategy") or {}
    replicas = 1 if spec.get("replicas") is None else int(spec["replicas"])
    partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
    subject = ref(sts, "StatefulSet")
    if strategy.get("type") == "OnDelete":
        why = "updateStrategy OnDelete: pods take the new template only when someone deletes them"
    elif partition >= replicas > 0:
        why = (f"rollingUpdate partition {partition} with {replicas} replicas: only ordinals >= {partition} are "
               "updated and there are none")
    else:
        return None
    updated = int(status.get("updatedReplicas") or 0)
    return ScanFinding(
        check="workload.update_held", severity="warning", object=subject, owner=subject, reason="UpdateHeld",
        message=f"{subject}: revision {update} ({', '.join(_template_images(sts))}) reaches no pod "
                f"({updated}/{replicas} updated, still {current}): {why}",
        details={"partition": partition, "replicas": replicas, "strategy": strategy.get("type") or "RollingUpdate",
                 "current_revision": current, "update_revision": update, "updated": updated,
                 "template_images": _template_images(sts)},
        evidence=[f"currentRevision {current} != updateRevision {update}; updatedReplicas {updated}",
                  f"updateStrategy {strategy.get('type') or 'RollingUpdate'}, partition {partition}"])


def run(snap: Snapshot, now: datetime) -> list[ScanFinding]:
    out: list[ScanFinding] = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for obj in snap.items(kind):
            stuck = _stuck(obj) if kind == "Deployment" else None
            if stuck:
                out.append(stuck)
            unavailable = _unavailable(snap, obj)
            if unavailable:
                out.append(unavailable)
    out.extend(_failed_create(snap))
    out.extend(f for f in (_missing_service(snap, s) for s in snap.items("StatefulSet")) if f)
    out.extend(f for f in (_paused(snap, d) for d in snap.items("Deployment")) if f)
    out.extend(f for f in (_partitioned(s) for s in snap.items("StatefulSet")) if f)
    return out
