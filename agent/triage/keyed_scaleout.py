"""A component that must see every item of a key in one place, scaled out without routing by that key.

Some pipeline stages keep state per key and decide once they have seen all of it: the OpenTelemetry Collector's
`tail_sampling` and `groupbytrace` processors (all spans of a trace), its `spanmetrics`/`servicegraph` connectors
(both sides of a call), a Vector `reduce` or `aggregate` transform (all events of a group). One replica sees
everything; several replicas behind a plain Service each receive a round-robin share, so each sees part of every
key and decides on fragments (traces of one or two spans, partial aggregates). Scaling such a stage out is safe only
when its senders route by the key (the Collector's `loadbalancing` exporter with `routing_key: traceID` to a
headless Service). An HPA added (or a replica count raised) on it is the change that fragments the data, though
nothing fails and nothing logs an error.

The survey (`read`, reading only) reads the HPAs and workloads a scaling change in the LEAD touched, the ConfigMaps
the scaled workload mounts, and its namespace's ConfigMaps that name its Service (its senders' configs). `found`
names the scaling object when the workload now runs more than one replica, its config keeps per-key state, and no
sender routes by key; a stateless stage, key-aware senders, or one replica names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.keyed_scaleout"
WEIGHT = 0.93
"""The scaling change that split per-key state explains incomplete traces and aggregates nothing else does."""
STORE = "keyed_scaleout"
LEAD = timedelta(hours=24)
MAX_TARGETS = 3
MAX_SENDER_CONFIGS = 8
WORKLOADS = ("Deployment", "StatefulSet")

Call = Callable[..., Awaitable[Any]]

STATEFUL: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("tail_sampling", "trace ID", re.compile(r"(?m)^\s*tail_sampling(?:/[\w-]+)?\s*:")),
    ("groupbytrace", "trace ID", re.compile(r"(?m)^\s*groupbytrace(?:/[\w-]+)?\s*:")),
    ("spanmetrics", "trace ID", re.compile(r"(?m)^\s*spanmetrics(?:/[\w-]+)?\s*:")),
    ("servicegraph", "trace ID", re.compile(r"(?m)^\s*servicegraph(?:/[\w-]+)?\s*:")),
    ("reduce", "group_by key", re.compile(r"(?m)^\s*type\s*[:=]\s*[\"']?reduce\b")),
    ("aggregate", "series key", re.compile(r"(?m)^\s*type\s*[:=]\s*[\"']?aggregate\b")),
    ("tail_sampling", "trace ID", re.compile(r"otelcol\.processor\.tail_sampling\s+\"")),
    ("servicegraph", "trace ID", re.compile(r"otelcol\.connector\.servicegraph\s+\"")),
    ("spanmetrics", "trace ID", re.compile(r"otelcol\.connector\.spanmetrics\s+\"")),
)
"""Per-key stages (the name their config uses, the key its items must be routed by, how to find it), in the
Collector's YAML, Vector's YAML/TOML and Grafana Alloy's component syntax (`otelcol.processor.tail_sampling "x" {`)."""

ROUTED = re.compile(r"(?m)^\s*loadbalancing(?:/[\w-]+)?\s*:|routing_key\s*[:=]|consistent[_ -]?hash|"
                    r"otelcol\.exporter\.loadbalancing\s+\"", re.I)
"""A sender that routes by key: the Collector's `loadbalancing` exporter, a `routing_key`, a consistent hash."""

_SIZE = re.compile(r"New size:\s*(\d+)")


def _targets(facts: Facts) -> dict[Ref, tuple[dict[str, Any], str, Ref]]:
    """Workload -> (the scaling change, its evidence, the object that scaled it: an HPA, else the workload)."""
    out: dict[Ref, tuple[dict[str, Any], str, Ref]] = {}
    for change, evidence, target in facts.writes_to(("HorizontalPodAutoscaler", *WORKLOADS), within=LEAD,
                                                    deletions=False):
        summary = str(change.get("summary") or "")
        if target.kind == "HorizontalPodAutoscaler":  # the HPA's own write (its creation) over its scale events
            out[Ref("HorizontalPodAutoscaler", target.namespace, target.name)] = (change, evidence, target)
        elif change.get("type") == "scale" or re.search(r"\breplicas\b", summary + " ".join(
                map(str, change.get("diff") or []))):
            hpa = re.search(r"rescaled by HPA ([\w.-]+)", summary)
            scaler = Ref("HorizontalPodAutoscaler", target.namespace, hpa.group(1)) if hpa else target
            out.setdefault(scaler, (change, evidence, scaler))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, after a scaling change: the scaled workload's config and its senders' configs."""
    if STORE in facts.reads:
        return
    targets = _targets(facts)
    if not targets:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for scaler, (change, evidence, _) in list(targets.items())[:MAX_TARGETS]:
        entry: dict[str, Any] = {"scaler": [scaler.kind, scaler.namespace, scaler.name], "change": change,
                                 "evidence": [evidence] if evidence else [], "replicas": 0, "stage": None,
                                 "routed": False, "senders": 0}
        workload = scaler
        if scaler.kind == "HorizontalPodAutoscaler":
            got = await get_yaml(call, scaler.kind, scaler.name, scaler.namespace, f"survey-keyed-hpa-{scaler.name}")
            if got is None:
                continue
            ref = (got[0].get("spec") or {}).get("scaleTargetRef") or {}
            workload = Ref(str(ref.get("kind") or "Deployment"), scaler.namespace, str(ref.get("name") or ""))
            status = got[0].get("status") or {}
            entry["replicas"] = int(status.get("currentReplicas") or status.get("desiredReplicas") or 0)
            entry["min"] = int((got[0].get("spec") or {}).get("minReplicas") or 1)
            entry["evidence"].append(got[1])
        got_wl = await get_yaml(call, workload.kind, workload.name, workload.namespace,
                                f"survey-keyed-workload-{workload.name}")
        if got_wl is None or not workload.name:
            continue
        entry["workload"] = [workload.kind, workload.namespace, workload.name]
        entry["replicas"] = max(entry["replicas"], int((got_wl[0].get("spec") or {}).get("replicas") or 1),
                                *(int(m) for c, _, t in facts.writes_to(WORKLOADS, within=LEAD, deletions=False)
                                  if t.same_object(workload) for m in _SIZE.findall(str(c.get("summary") or ""))))
        spec = ((got_wl[0].get("spec") or {}).get("template") or {}).get("spec") or {}
        mounted = [str((v.get("configMap") or {}).get("name")) for v in spec.get("volumes") or []
                   if isinstance(v, dict) and (v.get("configMap") or {}).get("name")]
        listed = await call("k8s_list", {"kind": "ConfigMap", "namespace": workload.namespace},
                            f"survey-keyed-configmaps-{workload.namespace}")
        rows = [str(r.get("name")) for r in (listed.data.get("rows") or [] if listed is not None and listed.ok
                                             and isinstance(listed.data, dict) else []) if isinstance(r, dict)]
        own = mounted or [n for n in rows if n.startswith(workload.name + "-") or n == workload.name]
        for name in own[:2]:  # what it mounts; unmounted (a chart's `<name>-config` read by args), by its name
            cm = await get_yaml(call, "ConfigMap", name, workload.namespace, f"survey-keyed-cm-{name}")
            text = "\n".join(str(v) for v in ((cm[0].get("data") or {}) if cm else {}).values())
            stage = next(((n, key) for n, key, p in STATEFUL if p.search(text)), None)
            if stage is not None and cm is not None:
                entry["stage"] = list(stage)
                entry["config"] = name
                entry["evidence"].append(cm[1])
                break
        if entry["stage"] is None:
            store.append(entry)
            continue
        for name in [n for n in rows if n not in own][:MAX_SENDER_CONFIGS]:
            cm = await get_yaml(call, "ConfigMap", name, workload.namespace, f"survey-keyed-sender-{name}")
            text = "\n".join(str(v) for v in ((cm[0].get("data") or {}) if cm else {}).values())
            if cm is None or not re.search(rf"\b{re.escape(workload.name)}(?:\.|:|\b)", text):
                continue
            entry["senders"] += 1
            entry["evidence"].append(cm[1])
            if ROUTED.search(text):
                entry["routed"] = True
        store.append(entry)


@dataclass
class SplitState:
    """A per-key stage scaled out while its senders spread each key over every replica."""

    scaler: Ref
    workload: Ref
    change: dict[str, Any]
    replicas: int
    stage: str
    key: str
    config: str
    senders: int
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[SplitState]:
    """Scaling changes that put a per-key stage on several replicas with no sender routing by the key."""
    out = []
    for entry in facts.reads.get(STORE) or []:
        if not entry.get("stage") or not entry.get("workload") or entry["routed"] or entry["replicas"] < 2:
            continue
        out.append(SplitState(Ref(*entry["scaler"]), Ref(*entry["workload"]), entry["change"], entry["replicas"],
                              entry["stage"][0], entry["stage"][1], str(entry.get("config") or ""),
                              entry["senders"], list(entry["evidence"])))
    return out[:1]


def finding(hit: SplitState, at: datetime) -> dict[str, Any]:
    """The scaling's meaning first (per-key state split over replicas), then what the senders lack."""
    when = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before" if when else ""
    verb = "added" if hit.change.get("type") == "created" else "changed"
    scaler = f"{hit.scaler} ({verb}{ago})" if hit.scaler != hit.workload else f"{hit.scaler} (scaled{ago})"
    senders = (f"its {hit.senders} sender config(s) export to the Service with no loadbalancing exporter routing by "
               f"{hit.key}" if hit.senders else f"nothing routes by {hit.key} (no loadbalancing exporter)")
    message = (f"{scaler} scaled {hit.workload} to {hit.replicas} replicas, but it runs the {hit.stage} stage "
               f"(ConfigMap {hit.config}), which must see every item of a {hit.key} on one replica: {senders}, so "
               f"each replica sees part of every {hit.key} and decides on fragments (traces of one or two spans). "
               f"Put a loadbalancing exporter keyed on {hit.key} in front, or keep the stage at one replica")
    return {"check": CHECK, "severity": "critical", "reason": "KeyedStageScaledOut",
            "object": {"kind": hit.scaler.kind, "namespace": hit.scaler.namespace, "name": hit.scaler.name},
            "message": message, "evidence": [f"{hit.stage} on {hit.replicas} replicas"],
            "details": {"workload": str(hit.workload), "replicas": hit.replicas, "stage": hit.stage}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The scaling object that split the per-key stage; it explains the stage's workload."""
    return [(h.scaler, finding(h, facts.at), h.evidence, [h.workload] if h.workload != h.scaler else [])
            for h in found(facts)]
