"""A node lifecycle controller's rollout that dropped its interruption handling, and the nodes that vanished since.

Spot or preemptible capacity is taken back by the cloud with a short warning (EC2's two-minute interruption
notice, a rebalance recommendation, Azure's eviction notice, GCE's preemption). A controller turns that warning
into a graceful exit: Karpenter reads it from its interruption queue (`INTERRUPTION_QUEUE`,
`--interruption-queue`, `settings.interruptionQueue`), aws-node-termination-handler from its `QUEUE_URL` or its
`ENABLE_SPOT_INTERRUPTION_DRAINING` switch; each cordons and drains the node before the instance goes. A rollout
that loses that setting (a chart upgrade that renamed the values key, an env dropped from the template) fails
nowhere: the controller runs, simply no longer hears the warnings. The next reclaimed nodes vanish with their
pods (NodeNotReady, the node controller's `Removing Node`), the pods die without SIGTERM, and the workload the
incident asks about only "lost pods".

Named: the controller workload, when a rollout within `LEAD` set a setting of interruption handling (an env or
flag whose name says interruption, termination, spot, rebalance or drain) to unset, empty or false, and at least
one node was removed (or went NotReady) after the rollout. Twins refused: a rollout that removed another setting,
no node lost since, a setting turned on rather than off.

The survey calls `read` (a two-day timeline, shared with the other two-day readers); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "change.interruption_dropped"
WEIGHT = 0.9
"""Above a node's own removal and the workload's lost pods, which it explains; below a link whose victims name
the write themselves (the controller is inferred from its setting's meaning and the timing)."""
RECORD = "interruption_dropped"
LEAD = timedelta(hours=48)
HISTORY_WINDOW = "48h"
HANDLING = re.compile(r"interrupt|termination|spot|rebalance|drain", re.I)
"""Words of a setting that makes a node controller act on the cloud's warnings."""
DROPPED = re.compile(r"(?:env|flag|arg|setting)?\s*(?P<name>[\w.-]+)\s*(?:=\s*(?P<old>'[^']*'|\S+))?\s*->\s*"
                     r"(?P<new>unset|''|\"\"|'?false'?|none|removed)\b", re.I)
"""A diff line whose setting went to unset, empty or false (`env INTERRUPTION_QUEUE='q' -> unset`,
`--enable-spot-interruption-draining=true -> false`)."""
NODE_LOST = re.compile(r"removing node|deleted|nodenotready|not ready|terminat|became notready", re.I)
MAX_NODES = 5


@dataclass
class Dropped:
    """A controller whose rollout dropped its interruption handling, and the nodes lost since."""

    controller: Ref
    change: dict[str, Any]
    setting: str
    before: str
    nodes: list[str]
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _changes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    own = [(c, str(e)) for data, e in (facts.reads.get(RECORD) or {}).get("history") or []
           for c in data.get("changes") or [] if isinstance(c, dict)]
    seen = {(str(c.get("at")), str(c.get("object"))) for c, _ in facts.every_change()}
    return [*facts.every_change(), *[(c, e) for c, e in own if (str(c.get("at")), str(c.get("object"))) not in seen]]


def _dropped_setting(change: dict[str, Any]) -> tuple[str, str] | None:
    """(setting, its old value) of the first handling setting the rollout's diff turned off."""
    for line in change.get("diff") or []:
        for hit in DROPPED.finditer(str(line)):
            if HANDLING.search(hit.group("name")):
                return hit.group("name"), (hit.group("old") or "").strip("'\"")
    return None


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: a two-day timeline when none that long was read (the same read other modules make)."""
    if facts.history_reaches(LEAD):
        return
    got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-shared-history")
    if got is not None and got.ok and isinstance(got.data, dict):
        facts.reads[RECORD] = {"history": [[got.data, got.evidence_id]]}


def found(facts: Facts) -> list[Dropped]:
    """Each rollout within LEAD that turned off a workload's interruption handling, with nodes lost after it."""
    changes = _changes(facts)
    out: list[Dropped] = []
    for change, evidence in changes:
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind == "Node" or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        dropped = _dropped_setting(change)
        if dropped is None or any(d.controller.same_object(target) for d in out):
            continue
        lost = sorted({Ref.of(c.get("object")).name for c, _ in changes  # type: ignore[union-attr]
                       if (Ref.of(c.get("object")) or Ref("", "", "")).kind == "Node"
                       and (t := parse_time(c.get("at"))) is not None and at < t <= facts.at
                       and (c.get("type") == "deleted" or NODE_LOST.search(str(c.get("summary") or "")))})
        if not lost:
            continue  # no node went since: the warnings it no longer hears have not mattered yet
        out.append(Dropped(target, change, dropped[0], dropped[1], lost,
                           int((facts.at - at).total_seconds() // 60), [e for e in [evidence] if e]))
    return out


def finding(d: Dropped) -> dict[str, Any]:
    """The controller and the setting it lost first (the headline is cut), then what it means and the nodes."""
    was = f"='{d.before}'" if d.before else ""
    nodes = ", ".join(d.nodes[:MAX_NODES]) + (f" and {len(d.nodes) - MAX_NODES} more" if len(d.nodes) > MAX_NODES
                                              else "")
    message = (f"{d.controller} rolled out {minutes_text(d.minutes_before)} before the alert without its "
               f"interruption handling ({d.setting}{was} -> unset): it no longer acts on the cloud's interruption "
               f"warnings (spot reclaim, rebalance, termination notices), so reclaimed nodes are not cordoned and "
               f"drained before they go and their pods die without a graceful shutdown. Nodes lost since: {nodes}. "
               f"Restore {d.setting} on {d.controller}.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": d.controller.kind, "namespace": d.controller.namespace, "name": d.controller.name},
            "reason": "InterruptionHandlingDropped", "message": message,
            "evidence": [str(x) for x in (d.change.get("diff") or []) if d.setting in str(x)][:1] + d.nodes[:2],
            "details": {"setting": d.setting, "nodes": d.nodes, "change_at": d.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The controller; it explains the nodes lost since its rollout."""
    return [(d.controller, finding(d), d.evidence, [Ref("Node", "", n) for n in d.nodes])
            for d in found(facts)]
