"""Errors that come with pod terminations: the revision that weakened the workload's graceful shutdown.

Kubernetes removes a terminating pod from the Service's endpoints asynchronously: the kubelet sends
SIGTERM while kube-proxy and ingress controllers may still route new requests to it for a few
seconds. A `lifecycle.preStop` delay (`sleep`), a terminationGracePeriodSeconds long enough to
drain, a readinessProbe and minReadySeconds are what keep a rollout, a scale-down or an eviction
invisible to clients. When one of them is dropped (a chart migration, a template refactor), nothing
fails at once: the next pod termination does, as a short burst of 502/503 or "connection refused",
and the rollout that pages is often a harmless later one.

So: when the subject workload's pods were terminated shortly before the alert (ReplicaSet
SuccessfulDelete, Killing, ScaleDown, Evicted events) and the 5xx of its traffic (ingress-nginx,
Istio, Traefik request counters) rose right after a termination and not before it, compare the
graceful-shutdown settings across the workload's revision history and name the revision that
weakened them, even when it is not the latest.

A revision can also keep the hook and still lose it: an image change (to distroless, scratch, a slimmer
base) that drops the binary an exec hook runs (`sleep`, `sh`). The kubelet then records FailedPreStopHook
("exec: \"sleep\": executable file not found in $PATH") and kills the container at once. The revision
that changed that container's image while keeping its hook is then the one that weakened shutdown.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "workload.shutdown_weakened"
WEIGHT = 0.92
"""The revision that removed the drain is what to fix: the rollout that paged only replaced pods that lacked it."""
WINDOW = timedelta(hours=2)
"""How long before the alert a termination may be."""
MAX_REVISIONS = 5
MAX_TERMINATIONS = 3
DEFAULT_GRACE = 30
"""terminationGracePeriodSeconds when the pod spec leaves it out."""
AFTER, CONTROL = timedelta(minutes=2), timedelta(minutes=10)
"""Errors are counted over the AFTER following a termination, and over the same length CONTROL before it."""

_TERMINATING = {"SuccessfulDelete", "Killing", "ScaleDown", "Evicted", "Preempted", "TaintManagerEviction"}

_TRAFFIC: tuple[tuple[str, str], ...] = (
    ('__name__=~"nginx_ingress_controller_requests(_total)?",namespace="{ns}",service="{svc}",status=~"5.."',
     "status"),
    ('__name__="istio_requests_total",destination_workload_namespace="{ns}",destination_workload="{wl}",'
     'response_code=~"5.."', "response_code"),
    ('__name__="traefik_service_requests_total",service=~"{ns}-{svc}-.*",code=~"5.."', "code"),
    ('__name__="http_requests_total",namespace="{ns}",service="{svc}",code=~"5.."', "code"),
)
"""(selector, status label) of the proxies in front of a workload that count responses by code: ingress-nginx's
counter (scraped as `..._requests`, or `..._requests_total` through OpenMetrics), Istio's and Traefik's; last, the
conventional `http_requests_total` by Service and code, where a gateway or the service's own metrics count them."""


@dataclass
class Shutdown:
    """One revision's graceful-shutdown settings."""

    revision: int
    name: str
    created: str
    cause: str
    grace: int
    pre_stop: dict[str, str]
    """container -> what its preStop hook does."""
    readiness: set[str]
    min_ready: int
    images: dict[str, str] = field(default_factory=dict)
    """container -> image: a hook's binary goes with the image."""


@dataclass
class Weakened:
    """The revision that weakened graceful shutdown, and the terminations whose errors show it."""

    workload: Ref
    before: Shutdown
    after: Shutdown
    current: int
    losses: list[str]
    terminations: list[str]
    codes: list[str]
    errors_after: float
    evidence: list[str] = field(default_factory=list)
    broken_hook: bool = False
    """The loss is a kept hook the new image cannot run, not a dropped setting."""


_MISSING = (re.compile(r'exec: \\?"(?P<bin>[^"\\]+)\\?": (?:executable file not found|stat [^:]+: no such file)'),
            re.compile(r'executable file [`"\\]*(?P<bin>[^`"\\\s]+)[`"\\]* not found'),
            re.compile(r"(?:^|\s)(?:/bin/)?sh: (?:\d+: )?(?P<bin>[\w.-]+): not found"))
"""The container runtimes' words for an exec hook whose binary the image lacks (runc/containerd, CRI-O, a shell)."""


def missing_binary(message: str) -> str | None:
    """The binary a FailedPreStopHook message says the container lacks, or None for any other hook failure."""
    for pattern in _MISSING:
        m = pattern.search(message)
        if m:
            return m.group("bin").rsplit("/", 1)[-1]
    return None


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault("shutdown_config", {})


def _subject_workloads(facts: Facts) -> list[tuple[Ref, dict[str, Any]]]:
    out: list[tuple[Ref, dict[str, Any]]] = []
    for data, _ in facts.topologies[:1]:
        for w in data.get("workloads") or []:
            ref = Ref.of(w)
            if ref is not None and ref.kind in ("Deployment", "StatefulSet", "DaemonSet"):
                out.append((ref, data))
    return out


def _owned(name: str, workload: Ref) -> bool:
    return name == workload.name or workload_of_pod(name) == workload.name or (
        name.startswith(workload.name + "-") and re.fullmatch(r"[a-z0-9]{5,10}", name[len(workload.name) + 1:]) is
        not None)


def terminations(rows: list[dict[str, Any]], workload: Ref, facts: Facts) -> list[datetime]:
    """When the workload's pods were told to stop, from its ReplicaSets' and pods' events, within WINDOW."""
    out: list[datetime] = []
    for row in rows:
        if row.get("reason") not in _TERMINATING or not _owned(str(row.get("name") or ""), workload):
            continue
        message = str(row.get("message") or "")
        if row.get("reason") == "SuccessfulDelete" and "Deleted pod" not in message:
            continue
        when = parse_time(row.get("first_seen")) or parse_time(row.get("last_seen"))
        if when is not None and facts.at - WINDOW <= when <= facts.at:
            out.append(when)
    return sorted(set(out))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def _increase(call: Call, query: str, at: datetime, step: str) -> tuple[dict[str, float], str] | None:
    outcome = await call("prom_query", {"query": query, "time": _iso(at)}, step)
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return None
    out: dict[str, float] = {}
    for s in outcome.data.get("samples") or []:
        value = s.get("value") if isinstance(s, dict) else None
        if isinstance(value, (int, float)):
            code = next(iter((s.get("labels") or {}).values()), "")
            out[str(code)] = float(value)
    return out, outcome.evidence_id


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the subject workload's termination events, its 5xx just after and before them, and (when
    they line up) its revision history with each revision's pod template."""
    store = _store(facts)
    for workload, data in _subject_workloads(facts)[:1]:
        step = f"survey-shutdown-{workload.name}"
        events = await call("k8s_events", {"namespace": workload.namespace}, f"{step}-events")
        if events is None or not events.ok or not isinstance(events.data, dict):
            continue
        stops = terminations(events.data.get("events") or [], workload, facts)
        if not stops:
            continue
        services = [Ref.of(s) for s in data.get("services") or []]
        svc = next((s.name for s in services if s is not None), workload.name)
        entry: dict[str, Any] = {"workload": workload, "stops": [_iso(t) for t in stops],
                                 "evidence": [events.evidence_id], "aligned": [], "codes": {},
                                 "hook_failures": [str(r.get("message") or "") for r in events.data.get("events") or []
                                                   if r.get("reason") == "FailedPreStopHook"
                                                   and _owned(str(r.get("name") or ""), workload)][:20]}
        for selector, label in _TRAFFIC:
            inner = selector.format(ns=workload.namespace, svc=svc, wl=workload.name)
            query = f"sum by ({label}) (increase({{{inner}}}[{int(AFTER.seconds)}s]))"
            for t in stops[-MAX_TERMINATIONS:]:
                after = await _increase(call, query, t + AFTER, f"{step}-after")
                if after is None or not after[0]:
                    break  # this proxy's counter is not there: the next one
                if not sum(after[0].values()):
                    continue
                before = await _increase(call, query, t - CONTROL, f"{step}-before")
                calm = before is not None and sum(before[0].values()) < 0.2 * sum(after[0].values())
                if calm:
                    entry["aligned"].append(_iso(t))
                    for code, value in after[0].items():  # windows may overlap: the largest, never a sum
                        entry["codes"][code] = max(entry["codes"].get(code, 0.0), value)
                    entry["evidence"] += [after[1]] + ([before[1]] if before else [])
            if entry["aligned"]:
                break
        if not entry["aligned"]:
            continue
        history = await call("k8s_rollout_history", {"name": workload.name, "namespace": workload.namespace,
                                                      "kind": workload.kind}, f"{step}-history")
        if history is None or not history.ok or not isinstance(history.data, dict):
            continue
        entry["evidence"].append(history.evidence_id)
        entry["current"] = history.data.get("current_revision")
        revisions = []
        for rev in (history.data.get("revisions") or [])[-MAX_REVISIONS:]:
            kind = "ReplicaSet" if workload.kind == "Deployment" else "ControllerRevision"
            got = await get_yaml(call, kind, str(rev.get("name")), workload.namespace, f"{step}-revision")
            if got is not None:
                revisions.append({**rev, "object": got[0]})
                entry["evidence"].append(got[1])
        entry["revisions"] = revisions
        store.setdefault("workloads", []).append(entry)


def _template(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("kind") == "ControllerRevision":
        return ((obj.get("data") or {}).get("spec") or {}).get("template") or {}
    return (obj.get("spec") or {}).get("template") or {}


def _hook(pre_stop: dict[str, Any]) -> str:
    if "exec" in pre_stop:
        return "exec " + " ".join(str(c) for c in (pre_stop.get("exec") or {}).get("command") or [])[-40:]
    if "sleep" in pre_stop:
        return f"sleep {(pre_stop.get('sleep') or {}).get('seconds')}s"
    if "httpGet" in pre_stop:
        return f"httpGet {(pre_stop.get('httpGet') or {}).get('path') or '/'}"
    return "set"


def shutdown_of(rev: dict[str, Any]) -> Shutdown:
    """A revision's graceful-shutdown settings, from its ReplicaSet (or ControllerRevision) pod template."""
    obj = rev.get("object") or {}
    spec = _template(obj).get("spec") or {}
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    grace = spec.get("terminationGracePeriodSeconds")
    min_ready = (obj.get("spec") or {}).get("minReadySeconds") if obj.get("kind") == "ReplicaSet" else None
    return Shutdown(int(rev.get("revision") or 0), str(rev.get("name") or ""), str(rev.get("created") or ""),
                    str(rev.get("change_cause") or ""),
                    int(grace) if isinstance(grace, int) else DEFAULT_GRACE,
                    {str(c.get("name")): _hook((c.get("lifecycle") or {}).get("preStop") or {}) for c in containers
                     if (c.get("lifecycle") or {}).get("preStop")},
                    {str(c.get("name")) for c in containers if c.get("readinessProbe")},
                    int(min_ready) if isinstance(min_ready, int) else 0,
                    {str(c.get("name")): str(c.get("image") or "") for c in containers})


def losses(before: Shutdown, after: Shutdown) -> list[str]:
    """What `after` dropped of `before`'s graceful shutdown, in words (empty when nothing weakened)."""
    out = [f"container {c}'s preStop hook ({hook}) removed" for c, hook in before.pre_stop.items()
           if c not in after.pre_stop]
    if after.grace < before.grace:
        out.append(f"terminationGracePeriodSeconds {before.grace} -> {after.grace}")
    out += [f"container {c}'s readinessProbe removed" for c in sorted(before.readiness - after.readiness)]
    if after.min_ready < before.min_ready:
        out.append(f"minReadySeconds {before.min_ready} -> {after.min_ready}")
    return out


def weakened(facts: Facts) -> list[Weakened]:
    """The latest revision that weakened graceful shutdown and is still in force, for errors aligned with
    terminations."""
    out: list[Weakened] = []
    for entry in _store(facts).get("workloads") or []:
        revs = sorted((shutdown_of(r) for r in entry.get("revisions") or []), key=lambda s: s.revision)
        if len(revs) < 2:
            continue
        current = revs[-1]
        for before, after in reversed(list(pairwise(revs))):
            lost = losses(before, after)
            if lost and not losses(after, current) and losses(before, current):
                out.append(Weakened(entry["workload"], before, after, current.revision, lost,
                                    list(entry.get("aligned") or []), sorted(entry.get("codes") or {}),
                                    max((entry.get("codes") or {"": 0.0}).values()), list(entry.get("evidence") or [])))
                break
        else:
            broken = broken_hook(revs, list(entry.get("hook_failures") or []))
            if broken is not None:
                before, after, words = broken
                out.append(Weakened(entry["workload"], before, after, current.revision, [words],
                                    list(entry.get("aligned") or []), sorted(entry.get("codes") or {}),
                                    max((entry.get("codes") or {"": 0.0}).values()), list(entry.get("evidence") or []),
                                    broken_hook=True))
    return out


def broken_hook(revs: list[Shutdown], failures: list[str]) -> tuple[Shutdown, Shutdown, str] | None:
    """(before, after, words) for the revision that changed a container's image, kept its exec preStop hook, and is
    still in force, when FailedPreStopHook says the hook's binary is missing: the new image cannot run the hook."""
    missing = {b for b in (missing_binary(m) for m in failures) if b}
    current = revs[-1]
    for before, after in reversed(list(pairwise(revs))):
        for c, hook in after.pre_stop.items():
            binary = next((b for b in sorted(missing) if re.search(rf"(?:^|[\s/]){re.escape(b)}\b", hook)), None)
            if (binary is None or before.pre_stop.get(c) != hook or current.pre_stop.get(c) != hook
                    or before.images.get(c) == after.images.get(c) or after.images.get(c) != current.images.get(c)):
                continue
            said = next(m for m in failures if missing_binary(m) == binary)
            said = said[max(0, said.find("exec:")):][:90] if "exec:" in said else said[-90:]
            return before, after, (f"container {c}'s preStop hook ({hook}) can no longer run: its new image "
                                   f"{after.images.get(c, '').rsplit('/', 1)[-1]} (was "
                                   f"{before.images.get(c, '').rsplit('/', 1)[-1]}) has no {binary} binary "
                                   f"(distroless or slimmer base; FailedPreStopHook: {said})")
    return None


def finding(w: Weakened, at: datetime) -> dict[str, Any]:
    """The suspect's finding: the revision that weakened the drain, what it dropped, and the errors that came with
    the terminations (the rollout that paged named as the trigger, not the cause)."""
    created = parse_time(w.after.created)
    about = [x for x in (w.after.cause[:40], f"{_ago(at - created)} ago" if created else "") if x]
    when = f" ({', '.join(about)})" if about else ""
    codes = "/".join(w.codes) or "5xx"
    latest = f"; revision {w.current}, the latest rollout, only stopped pods lacking it" \
        if w.current != w.after.revision else ""
    fix = (f"Restore revision {w.before.revision}'s preStop delay and grace period" if not w.broken_hook else
           "Use the kubelet's own preStop sleep action (lifecycle.preStop.sleep) or ship the binary in the image")
    dropped = "dropped its graceful shutdown" if not w.broken_hook else "broke its preStop drain"
    message = (f"{w.workload} returns {codes} whenever its pods stop: they get SIGTERM while still routed to (up to "
               f"{w.errors_after:.0f} in {int(AFTER.seconds // 60)} min after the stop at {w.terminations[0][11:19]}, "
               f"none before). Revision {w.after.revision}{when} {dropped}: "
               f"{'; '.join(w.losses[:3])}{latest}. {fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.workload.kind, "namespace": w.workload.namespace, "name": w.workload.name},
            "reason": "GracefulShutdownWeakened", "message": message,
            "evidence": [f"revision {w.after.revision}: {x}" for x in w.losses[:3]],
            "details": {"revision": w.after.revision, "previous": w.before.revision, "current": w.current,
                        "losses": w.losses, "terminations": w.terminations, "codes": w.codes}}


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
