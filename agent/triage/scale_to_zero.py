"""A platform scaling default switched to scale-to-zero: slow starters go cold between bursts and callers time out.

Serverless and event-driven autoscalers can drop a workload to zero replicas when idle: Knative Serving's cluster-wide
`config-autoscaler` (`enable-scale-to-zero`, `scale-to-zero-grace-period`, or a `min-scale` of 0 in
`config-defaults`/a revision annotation), a KEDA ScaledObject's `minReplicaCount: 0` (and `idleReplicaCount`). The
next request after an idle spell then waits for a pod to start (held in Knative's activator, or in the caller's
queue): a JVM or a model server that takes tens of seconds to start outlasts the gateway's timeout (Envoy `UT`, a
504), so each burst after an idle spell fails though nothing of the app changed. The cause is the platform write, not
the app, and the cure is a minimum of one replica (or scale-to-zero off) for slow starters.

`read` (reading only) reads back each scaling object written in the 24 h before whose diff touched a scale-to-zero
setting, keeps it when its current value allows zero, and asks Prometheus whether a workload it governs went to zero
pods and back since the write (Knative `autoscaler_actual_pods` per revision, kube-state-metrics
`kube_deployment_status_replicas` for a KEDA target). `found` names the write when one did. A write turning
scale-to-zero off, a minimum of one, or workloads that never reached zero name nothing.
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

CHECK = "change.scale_to_zero"
WEIGHT = 0.93
"""The platform write whose documented effect (pods at zero between bursts) the autoscaler's own gauge shows."""
STORE = "scale_to_zero"
LEAD = timedelta(hours=24)
MAX_TARGETS = 2

Call = Callable[..., Awaitable[Any]]

ZERO_KEYS = re.compile(r"enable-scale-to-zero|scale-to-zero-grace-period|scale-to-zero-pod-retention-period|"
                       r"min-scale|minScale|minReplicaCount|idleReplicaCount", re.I)
"""Settings that decide whether a workload may sit at zero replicas (Knative, KEDA)."""


def _allows_zero(obj: dict[str, Any]) -> str:
    """The setting (as `key = value`) by which the object as read lets workloads scale to zero, or ""."""
    data = obj.get("data") or {}
    if str(data.get("enable-scale-to-zero", "")).strip().lower() == "true":
        grace = data.get("scale-to-zero-grace-period")
        return "enable-scale-to-zero = true" + (f" (scale-to-zero-grace-period {grace})" if grace else "")
    for key in ("min-scale", "default-min-scale"):
        if str(data.get(key, "")).strip() == "0":
            return f"{key} = 0"
    spec = obj.get("spec") or {}
    if obj.get("kind") == "ScaledObject" and str(spec.get("minReplicaCount", "")) == "0":
        return "minReplicaCount = 0"
    return ""


def _touched(change: dict[str, Any]) -> bool:
    return bool(ZERO_KEYS.search(" ".join([str(change.get("summary") or ""),
                                           *(str(d) for d in change.get("diff") or [])])))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: scale-to-zero writes read back, and whether a governed workload went to zero since."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for change, evidence, target in facts.writes_to(("ConfigMap", "ScaledObject"), within=LEAD, deletions=False):
        if len(store) >= MAX_TARGETS or not _touched(change) or any(
                Ref(*e["target"]).same_object(target) for e in store):
            continue
        when = parse_time(change.get("at"))
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-zero-{target.name}")
        if when is None or got is None:
            continue
        setting = _allows_zero(got[0])
        if not setting:
            continue
        entry: dict[str, Any] = {"target": [target.kind, target.namespace, target.name], "change": change,
                                 "setting": setting, "evidence": [e for e in (evidence, got[1]) if e],
                                 "zeroed": []}
        if target.kind == "ScaledObject":
            ref = (got[0].get("spec") or {}).get("scaleTargetRef") or {}
            query = (f'min by (namespace, deployment) (kube_deployment_status_replicas{{namespace="{target.namespace}",'
                     f'deployment="{ref.get("name", "")}"}})')
            labels = ("namespace", "deployment")
        else:  # a cluster-wide Knative default: every revision it governs
            query = "min by (namespace_name, revision_name) (autoscaler_actual_pods)"
            labels = ("namespace_name", "revision_name")
        out = await call("prom_query_range", {"query": query, "start": _iso(when), "end": at, "step": "60s",
                                              "baseline": "none", "top_k": 10}, f"survey-zero-pods-{target.name}")
        if out is not None and out.ok and isinstance(out.data, dict):
            for s in out.data.get("series") or []:
                if not isinstance(s, dict) or s.get("min") != 0 or not (s.get("max") or 0) >= 1:
                    continue  # never at zero, or at zero and never back: no cold start
                lab = s.get("labels") or {}
                entry["zeroed"].append(f"{lab.get(labels[0], '')}/{lab.get(labels[1], '')}")
            entry["evidence"].append(out.evidence_id)
        store.append(entry)


@dataclass
class ZeroScale:
    """A scaling default written to allow zero replicas, and the workloads that went cold since."""

    target: Ref
    change: dict[str, Any]
    setting: str
    zeroed: list[str]
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[ZeroScale]:
    """Scale-to-zero writes under which a workload went to zero pods and back."""
    return [ZeroScale(Ref(*e["target"]), e["change"], str(e["setting"]), list(e["zeroed"]), list(e["evidence"]))
            for e in facts.reads.get(STORE) or [] if e.get("zeroed")][:1]


def finding(hit: ZeroScale, at: datetime) -> dict[str, Any]:
    """The write's meaning first (scale-to-zero on), then the workloads that go cold and why callers time out."""
    when = parse_time(hit.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
    who = ", ".join(hit.zeroed[:3])
    message = (f"{hit.target} was written{ago} to allow scale-to-zero ({hit.setting}): {who} now drop to zero pods "
               f"between bursts, and the next request waits (in Knative's activator, or the caller's queue) for a "
               f"cold start; a slow starter (a JVM, a model server) outlasts the gateway's timeout, so requests after "
               f"each idle spell fail with 504s. Keep a minimum of one replica for slow starters (min-scale 1, "
               f"minReplicaCount 1) or turn scale-to-zero off")
    return {"check": CHECK, "severity": "critical", "reason": "ScaleToZeroColdStart",
            "object": {"kind": hit.target.kind, "namespace": hit.target.namespace, "name": hit.target.name},
            "message": message, "evidence": [f"{w} at 0 pods and back" for w in hit.zeroed[:3]],
            "details": {"setting": hit.setting, "zeroed": hit.zeroed}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The scaling write; it stands behind the cold starts of what it governs."""
    return [(h.target, finding(h, facts.at), h.evidence, []) for h in found(facts)]
