"""An autoscaler left paused: its own status says it scales nothing while its triggers ask for more.

Event-driven autoscalers can be frozen by hand for maintenance: KEDA's ScaledObject takes the annotation
`autoscaling.keda.sh/paused-replicas: "<n>"` (pin the target at n replicas) or `autoscaling.keda.sh/paused:
"true"` (stop scaling where it stands), a ScaledJob the same `paused` annotation. Nothing fails afterwards: the
scaler keeps reading its queue and reports the triggers active, but the workload stays at the pinned count, so a
backlog (consumer lag, queue depth) grows with the next peak and the page names a stale or slow service. What
any such pause leaves in a bundle is the scaler's own account: a status condition `Paused` True (KEDA:
`ScaledObjectPaused`), and for a pinned count `status.pausedReplicaCount`, beside an `Active` True condition (the
triggers want scaling) and the managedFields entry that wrote the pause annotation, with its time.

`read` (reading only) reads the scaling objects of the kinds the cluster defines (at most `MAX_READS`) that an
earlier module has not read. `found` is pure over the facts: a scaler reporting itself paused, with its triggers
active, whose pause was written within `LEAD` before the incident. A pause the scaler does not report (condition
False, annotation removed), idle triggers (no load to scale for), or a pause written after the alert name nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import manager_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import object_of, rows_of
from agent.triage.subject import Subject

CHECK = "change.scaler_paused"
WEIGHT = 0.9
"""A pause the scaler itself reports explains the workload held below its load: level with the other writes that
say what to undo, above the saturated workload's own symptoms."""
LEAD = timedelta(hours=72)
"""How long a pause may stand before the incident and still be the cause (a maintenance pause forgotten overnight or
over a weekend hurts at the first peak after it)."""
HISTORY_WINDOW = "72h"
MAX_READS = 8
KINDS = {"scaledobjects.keda.sh": "ScaledObject", "scaledjobs.keda.sh": "ScaledJob"}
"""Scaling kinds that can be paused by annotation and report it in their conditions."""
PAUSE_KEY = re.compile(r"(?:^|/)paused(?:-replicas)?$", re.I)
"""Pause annotation keys (`autoscaling.keda.sh/paused-replicas`, `autoscaling.keda.sh/paused`)."""


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the scaling objects of the kinds this cluster defines, each read once as YAML."""
    crds = await call("k8s_list", {"kind": "customresourcedefinitions"}, "survey-paused-crds")
    known = {str(r.get("name")) for r in rows_of(crds)}
    reads = 0
    for crd, kind in KINDS.items():
        if crd not in known:
            continue
        listed = await call("k8s_list", {"kind": crd}, f"survey-paused-{kind.lower()}")
        rows = sorted((r for r in rows_of(listed) if r.get("name")),
                      key=lambda r: str(r.get("namespace")) != subject.namespace)
        for row in rows:
            name, namespace = str(row["name"]), str(row.get("namespace") or "")
            if reads >= MAX_READS:
                return
            if facts.object_named(kind, namespace, name) is not None:
                continue
            reads += 1
            outcome = await call("k8s_get", {"kind": crd, "name": name, "namespace": namespace, "output": "yaml"},
                                 f"survey-paused-get-{name}")
            obj = object_of(outcome)
            if obj is not None:
                facts.objects.append((obj, outcome.evidence_id))
    if any(_standing(o) for o, _ in facts.objects) and not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-paused-scaler-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))


@dataclass
class Paused:
    """A scaler that reports itself paused while its triggers are active."""

    scaler: Ref
    target: Ref
    annotation: str
    value: str
    pinned: int | None
    written_by: str
    minutes_before: int
    active: str
    evidence: list[str] = field(default_factory=list)


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if isinstance(c, dict) and str(c.get("type")).lower() == kind
                 and str(c.get("status")).lower() == "true"), None)


def _standing(obj: dict[str, Any]) -> str:
    """The pause annotation key of a scaling object that reports itself paused with active triggers, or ""."""
    if obj.get("kind") not in KINDS.values() or _condition(obj, "paused") is None or _condition(obj, "active") is None:
        return ""
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    key = next((str(k) for k in notes if PAUSE_KEY.search(str(k))), "")
    if key.lower().endswith("/paused") and str(notes[key]).strip().lower() != "true":
        return ""
    return key


def _pause_write(facts: Facts, obj: dict[str, Any], key: str) -> tuple[str, datetime | None]:
    """The manager and time of the write of the pause annotation: its managedFields entry when the read kept them,
    else the newest timeline write of the object that names the key."""
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        notes = (((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:annotations") or {})
        if f"f:{key}" in notes:
            return str(entry.get("manager") or ""), parse_time(entry.get("time"))
    meta = obj.get("metadata") or {}
    writes = [c for c, _, r in facts.writes_to((str(obj.get("kind")),), deletions=False)
              if r.name == meta.get("name") and r.namespace in ("", meta.get("namespace"))
              and key in " ".join([str(c.get("summary") or ""), *(str(d) for d in c.get("diff") or [])])]
    if not writes:
        return "", None
    newest = max(writes, key=lambda c: str(c.get("at")))
    return written_by(newest), parse_time(newest.get("at"))


def found(facts: Facts) -> list[Paused]:
    """Scalers paused by an annotation written before the incident, reporting Paused and Active both True."""
    out: list[Paused] = []
    for obj, evidence in facts.objects:
        key = _standing(obj)
        if not key:
            continue  # no pause standing, or the scaler has nothing to scale for
        meta = obj.get("metadata") or {}
        value = str((meta.get("annotations") or {})[key]).strip()
        active = _condition(obj, "active") or {}
        manager, when = _pause_write(facts, obj, key)
        if when is None or not timedelta(0) <= facts.at - when <= LEAD:
            continue
        status = obj.get("status") or {}
        pinned = status.get("pausedReplicaCount")
        if not isinstance(pinned, int):
            pinned = int(value) if value.isdigit() else None
        ref = (obj.get("spec") or {}).get("scaleTargetRef") or (obj.get("spec") or {}).get("jobTargetRef") or {}
        namespace = str(meta.get("namespace") or "")
        target = Ref(str(ref.get("kind") or ("Deployment" if obj.get("kind") == "ScaledObject" else "Job")),
                     namespace, str(ref.get("name") or meta.get("name") or ""))
        out.append(Paused(Ref(str(obj.get("kind")), namespace, str(meta.get("name") or "")), target, str(key), value,
                          pinned, manager, int((facts.at - when).total_seconds() // 60),
                          str(active.get("message") or active.get("reason") or "triggers active"),
                          [evidence] if evidence else []))
    return out


def finding(p: Paused) -> dict[str, Any]:
    """The pause in the scaler's own words, what it holds, and the fix: remove the annotation."""
    by = f" by {manager_words.spoken(p.written_by)}" if p.written_by else ""
    held = (f"pins {p.target} at {p.pinned} replicas" if p.pinned is not None
            else f"freezes {p.target} at its current scale")
    message = (f"{p.scaler} is paused: the annotation {p.annotation}={p.value} was written{by} "
               f"{minutes_text(p.minutes_before)} before the incident and never removed; the scaler reports itself "
               f"Paused while its triggers are active ('{p.active}'), so it {held} and the backlog (lag, queue "
               f"depth) grows with the load. Remove the {p.annotation} annotation to resume scaling")
    return {"check": CHECK, "severity": "critical", "reason": "ScalerPaused",
            "object": {"kind": p.scaler.kind, "namespace": p.scaler.namespace, "name": p.scaler.name},
            "message": message, "evidence": [f"{p.annotation}={p.value}", "Paused True", "Active True"],
            "details": {"annotation": p.annotation, "value": p.value, "pinned": p.pinned,
                        "written_by": p.written_by, "target": str(p.target)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The paused scaler; it stands behind the workload it holds."""
    return [(p.scaler, finding(p), p.evidence, [p.target]) for p in found(facts)]
