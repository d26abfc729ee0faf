"""Nodes drained, deleted or rebooted by a node lifecycle controller whose own configuration was just changed.

Pods evicted, a node cordoned and NotReady for a few minutes, deployments running short of ready replicas while
their pods restart elsewhere: the node events and evictions are the symptom. Something decided to take the nodes
away, and in a managed cluster that is a lifecycle controller acting on its configuration:

- Karpenter consolidates nodes per its NodePool's `spec.disruption` (`consolidationPolicy`, `consolidateAfter`,
  `budgets`): `consolidateAfter: 0s` with a budget of `nodes: 100%` lets it delete any underutilized node at once,
  again and again (events `DisruptionTerminating` "Disrupting Node: Underutilized/Delete", its log "disrupting
  nodeclaim(s) via delete");
- cluster-autoscaler removes nodes per its `--scale-down-*` flags (events `ScaleDown`, its log "Scale-down:
  removing node");
- kured (and other reboot daemons) cordon, drain and reboot a node that needs it, only inside the window its
  `--start-time`/`--end-time`/`--reboot-days` flags set; without them, any time of day (its log "Draining node",
  "Triggering reboot for node"; the kubelet's `NodeNotSchedulable`, `Rebooted`).

The survey reads the Node events and the lifecycle controllers' own logs for those acts, and the controller's
config: the NodePool/Provisioner write in the timeline, or the controller workload's own arguments and the time its
spec was last written. The config is the suspect when it was written before the acts began (the controller was not
already acting in the hours before), what it now says explains the acts (no consolidation delay or budget, no
reboot window, scale-down flags moved), and the acts reached the incident: the node it names, or repeated
disruptions up to the incident.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import agent_revision, arg_flags
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.node_exhaustion import _node_of, _tokens, workload_ref
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "node.lifecycle_config"
WEIGHT = 0.93
"""The config that made a controller take nodes away outranks the evicted pods and the node's NotReady."""
STORE = "node_lifecycle"
LEAD = timedelta(hours=72)
"""The longest time from the config write to the first act it explains."""
QUIET = timedelta(hours=6)
"""A controller already acting this long before the write was not set off by it."""
RECENT = timedelta(minutes=90)
"""For an incident naming no node: the controller's last act came this close before it (or after)."""
MAX_LOG_PODS = 3
LOG_BUDGET = 8000
"""Tokens of a controller's log read: Karpenter's JSON lines are long, and its first acts after the write count."""

_SOFTWARE = re.compile(r"karpenter|cluster-autoscaler|kured|system-upgrade-controller|node-drainer|draino|"
                       r"node-termination-handler|node-maintenance")
"""Node lifecycle controllers, as their workloads, images and event sources are called."""
_TEMPLATE_KINDS = frozenset({"NodePool", "Provisioner"})
"""Karpenter's objects holding the disruption settings (v1 NodePool, v1alpha5 Provisioner)."""
_ACT_EVENT = re.compile(r"(?i)^(?:Disruption(?!Blocked|WaitingReadiness|Launching)\w*|ScaleDown|RemovingNode|"
                        r"NodeNotSchedulable|Rebooted|Drain\w*|Cordon\w*|RebootScheduled)$")
"""Node event reasons that are a node taken away: Karpenter's, cluster-autoscaler's, the kubelet's cordon/reboot,
aws-node-termination-handler's `CordonAndDrain`. Not Karpenter's `DisruptionBlocked` ("Node is nominated for a
pending pod": the node stays), `DisruptionWaitingReadiness` or `DisruptionLaunching` (a replacement coming up)."""
_ACT_LINE = re.compile(r"(?i)\b(?:draining node|drained node|cordon(?:ed|ing)\b|triggering reboot|commanding reboot|"
                       r"disrupting node(?:claim)?(?:\(s\)|s)?\b|scale-down: removing|"
                       r"removing (?:empty |unneeded )?node|terminating \d+ nodes?|deleting node|deleted node\b)")
"""A lifecycle controller's log line saying it took a node away: Karpenter <1.1 `disrupting nodeclaim(s) via
delete`, >=1.1 `disrupting node(s)` (the node in `disrupted-nodes` or its command) and its termination
controller's `deleted node`; cluster-autoscaler's `Scale-down: removing empty node`; kured's `Draining node` /
`Commanding reboot`; kubectl drain's `node/x cordoned` (system-upgrade-controller, node-termination-handler)."""
_WINDOW_FLAGS = ("--start-time", "--end-time", "--reboot-days")
"""kured's maintenance window; with none set it reboots at any hour of any day."""
_SCALE_DOWN = re.compile(r"scale-down|max-empty-bulk-delete|max-graceful-termination|skip-nodes-with")
"""cluster-autoscaler flags that decide how soon and how many nodes it removes."""
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")


@dataclass
class Act:
    """One node a controller took away (cordoned, drained, deleted, rebooted) and when."""

    node: str
    what: str
    at: datetime
    by: str
    """The controller software the act's source or log names ("" when only the kubelet told it)."""


@dataclass
class Verdict:
    """A lifecycle controller's config written before it took nodes away, and what the config now says."""

    config: Ref
    software: str
    write_at: datetime
    writer: str
    settings: list[str]
    meaning: str
    fix: str
    acts: list[Act]
    named: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _rows(outcome: Any, key: str) -> list[dict[str, Any]]:
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    return [r for r in outcome.data.get(key) or [] if isinstance(r, dict)]


def _software(text: str) -> str:
    m = _SOFTWARE.search(text.lower())
    return m.group(0) if m else ""


def event_acts(rows: list[dict[str, Any]]) -> list[Act]:
    """Node events that are a node taken away, with the controller their source names."""
    out = []
    for r in rows:
        if str(r.get("kind") or "Node") != "Node" or not _ACT_EVENT.match(str(r.get("reason") or "")):
            continue
        at = parse_time(r.get("last_seen")) or parse_time(r.get("first_seen"))
        if at is None:
            continue
        out.append(Act(str(r.get("name")), f"{r.get('reason')}: {str(r.get('message') or '')[:80]}", at,
                       _software(str(r.get("source") or ""))))
    return out


def log_acts(text: str, software: str, nodes: list[str]) -> list[Act]:
    """A controller's log lines that say it took one of the known nodes away."""
    out = []
    for line in text.splitlines():
        if not _ACT_LINE.search(line):
            continue
        stamp = _STAMP.search(line)
        at = parse_time(stamp.group(0)) if stamp else None
        node = next((n for n in nodes if n in line), "")
        if at is None or not node:
            continue
        said = re.sub(r"^\S+\s+", "", line.strip()) if stamp and stamp.start() == 0 else line.strip()
        out.append(Act(node, said[:120], at, software))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: Node events, the lifecycle controllers' logs and workloads, the templates written."""
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"acts": [], "evidence": []})
    events = await call("k8s_events", {"kind": "Node"}, "survey-lifecycle-node-events")
    acts = event_acts(_rows(events, "events"))
    if not acts or events is None:
        return  # no node was taken away: nothing for this class
    store["evidence"].append(events.evidence_id)
    listed = await call("k8s_nodes", {}, "survey-node-tables-nodes")
    nodes = list(dict.fromkeys([str(r.get("name")) for r in _rows(listed, "nodes") if r.get("name")]
                               + [a.node for a in acts]))
    store["named"] = list(dict.fromkeys(n for n in (_node_of(t, nodes) for t in _tokens(subject)) if n))
    pods = await call("k8s_list", {"kind": "Pod"}, "survey-lifecycle-pods")
    controllers = [r for r in _rows(pods, "rows") if _software(str(r.get("name")) + " " + " ".join(
        str(i) for i in r.get("images") or []))]
    acted = {a.node for a in acts}
    controllers.sort(key=lambda r: r.get("node") not in acted)  # a node agent's pod on a disrupted node first
    workloads: dict[Ref, str] = {}
    for row in controllers[:MAX_LOG_PODS]:
        name, ns = str(row.get("name")), str(row.get("namespace") or "")
        software = _software(name + " " + " ".join(str(i) for i in row.get("images") or []))
        got = await call("k8s_logs", {"name": name, "namespace": ns, "tail": 2000, "budget_tokens": LOG_BUDGET},
                         f"survey-lifecycle-log-{name}")
        if got is not None and got.ok:
            found = log_acts(str(got.full_text), software, nodes)
            if found:
                acts += found
                store["evidence"].append(got.evidence_id)
                workloads.setdefault(workload_ref(ns, name), software)
        else:
            workloads.setdefault(workload_ref(ns, name), software)
    once: dict[tuple[str, datetime], Act] = {}
    for a in sorted(acts, key=lambda a: (a.at, not a.by)):  # an event and the log line of one act are one act
        once.setdefault((a.node, a.at.replace(second=0, microsecond=0)), a)
    store["acts"] = list(once.values())
    if not facts.history_reaches(LEAD):  # a controller's spec written days before it acted
        history = await call("k8s_changes", {"at": at, "window": f"{int(LEAD.total_seconds() // 3600)}h"},
                             "survey-lifecycle-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    store["workloads"] = []
    for ref, software in workloads.items():
        got_w = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-lifecycle-{ref.name}")
        if got_w is not None:
            store["workloads"].append((ref, software, got_w[0], got_w[1]))
            store.setdefault("revisions", {})[ref] = await _latest_revision(call, ref)
    store["templates"] = []
    for change, evidence in facts.every_change():
        template = Ref.of(change.get("object"))
        if template is not None and template.kind in _TEMPLATE_KINDS:
            got_t = await get_yaml(call, template.kind, template.name, template.namespace,
                                   f"survey-lifecycle-{template.name}")
            store["templates"].append((change, evidence, got_t[0] if got_t else None, got_t[1] if got_t else ""))


async def _latest_revision(call: Call, workload: Ref) -> tuple[str, str] | None:
    """When the workload's current template was made: its newest ControllerRevision (DaemonSet, StatefulSet) or
    ReplicaSet (Deployment) by creation time, with the listing's evidence id; what a timeline that could not diff a
    single revision still shows."""
    kind = "replicasets" if workload.kind == "Deployment" else "controllerrevisions"
    listed = await call("k8s_list", {"kind": kind, "namespace": workload.namespace},
                        f"survey-lifecycle-revisions-{workload.name}")
    own = re.compile(rf"{re.escape(workload.name)}-[a-z0-9]{{5,10}}")
    created = [str(r.get("created")) for r in _rows(listed, "rows")
               if own.fullmatch(str(r.get("name"))) and r.get("created")]
    return (max(created), listed.evidence_id) if created and listed is not None else None


# ---- what the config says -------------------------------------------------------------------------------------

def _duration(text: str) -> timedelta | None:
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text.strip())
    if not m or not any(m.groups()):
        return None
    h, mi, s = (int(g or 0) for g in m.groups())
    return timedelta(hours=h, minutes=mi, seconds=s)


def karpenter_meaning(obj: dict[str, Any] | None, change: dict[str, Any]) -> tuple[list[str], str] | None:
    """A NodePool's (Provisioner's) disruption settings and what they let Karpenter do; None when they hold it
    back (a consolidation delay of minutes, a budget under 100%, consolidation off)."""
    spec = (obj or {}).get("spec") or {}
    disruption = spec.get("disruption") or {}
    settings: list[str] = []
    loose: list[str] = []
    policy = disruption.get("consolidationPolicy")
    if policy:
        settings.append(f"consolidationPolicy {policy}")
    after = disruption.get("consolidateAfter")
    if after is not None:
        settings.append(f"consolidateAfter {after}")
        delay = _duration(str(after))
        if delay is not None and delay < timedelta(minutes=5):
            loose.append(f"consolidation removes a node the moment it looks underutilized (consolidateAfter "
                         f"{after})")
    budgets = [b for b in disruption.get("budgets") or [] if isinstance(b, dict)]
    for b in budgets:
        settings.append(f"budget nodes {b.get('nodes')}")
    if disruption and (not budgets or any(str(b.get("nodes")).strip() in ("100%",) for b in budgets)):
        loose.append("no disruption budget caps how many nodes go at once")
    consolidation = spec.get("consolidation") or {}  # v1alpha5 Provisioner
    if consolidation.get("enabled") is True:
        settings.append("consolidation enabled")
        loose.append("consolidation enabled replaces or removes underutilized nodes at any time")
    if not loose and not disruption and not consolidation:
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        for key in ("consolidateAfter", "consolidationPolicy", "nodes"):
            m = re.search(rf'"?{key}"?\s*[:=]\s*"?([\w%]+)', said)
            if m:
                settings.append(f"{key} {m.group(1)}")
        if re.search(r'consolidateAfter"?\s*[:=]\s*"?0s|"nodes"\s*:\s*"100%"', said):
            loose.append("the disruption settings let consolidation remove nodes at once, with no budget")
    return (settings, "; ".join(loose)) if loose else None


_BY = re.compile(r"(?:written|updated|applied) by ([\w.-]+)|change-cause: ([^)]+)\)")


def _writer(change: dict[str, Any]) -> str:
    """Who made a timeline write: its manager, or a rollout's change-cause (`helm upgrade`)."""
    m = _BY.search(str(change.get("summary") or ""))
    return (m.group(1) or m.group(2) or "").strip() if m else ""


def _spec_change(facts: Facts, workload: Ref, actor_words: str) -> tuple[dict[str, Any], str] | None:
    """The workload's latest write in the timelines read (its rollout, a spec write) within LEAD, not counting the
    controller's own bookkeeping (kured writes its lock annotation on its own DaemonSet)."""
    best: tuple[dict[str, Any], str] | None = None
    for change, evidence in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not ref.same_object(workload) or ref.kind != workload.kind:
            continue
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        writer = _writer(change).lower()
        if (writer and writer in actor_words) or (change.get("type") != "rollout" and "spec" not in said):
            continue
        if not facts.at - LEAD <= at <= facts.at:
            continue
        if best is None or str(change.get("at")) > str(best[0].get("at")):
            best = (change, evidence)
    return best


def workload_meaning(obj: dict[str, Any], software: str,
                     rollout: dict[str, Any] | None) -> tuple[list[str], str, str] | None:
    """A controller workload's own settings that explain its acts: a reboot daemon with no window, scale-down
    flags a rollout moved. (settings, meaning, fix), or None."""
    args = agent_revision_args(obj)
    flags = arg_flags.flags(args, "(set)")
    if software == "kured" or any(f.startswith("--reboot-sentinel") for f in flags):
        if any(f in flags for f in _WINDOW_FLAGS):
            return None
        moved = [m for d in (rollout or {}).get("diff") or [] for m in agent_revision.moved_args(str(d))
                 if m.split(" ", 1)[0] in _WINDOW_FLAGS]
        had = f" (its rollout removed {', '.join(moved)})" if moved else ""
        return ([f"no {'/'.join(_WINDOW_FLAGS)} in its args"],
                f"with no reboot window{had} it cordons, drains and reboots a node whenever the node needs a reboot, "
                f"at any hour, business hours included, instead of in the maintenance window",
                "restore the reboot window flags (--start-time, --end-time, --reboot-days)")
    moved = [m for d in (rollout or {}).get("diff") or [] for m in agent_revision.moved_args(str(d))
             if _SCALE_DOWN.search(m.split(" ", 1)[0])]
    if moved:
        return (moved, "the scale-down flags it now runs with let it remove nodes sooner and more at once",
                "restore the previous scale-down flags")
    return None


def agent_revision_args(obj: dict[str, Any]) -> list[str]:
    """Every container's command and args of a workload, in order."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [str(a) for c in spec.get("containers") or [] if isinstance(c, dict)
            for a in [*(c.get("command") or []), *(c.get("args") or [])]]


# ---- the verdict ----------------------------------------------------------------------------------------------

def _reached(acts: list[Act], named: list[str], at: datetime) -> bool:
    """The acts reached the incident: the node it names, or repeated disruptions up to it."""
    if named:
        return any(a.node in named and at - RECENT <= a.at <= at + timedelta(minutes=30) for a in acts)
    nodes_hit = {a.node for a in acts}
    return len(acts) >= 2 and len(nodes_hit) >= 1 and any(at - RECENT <= a.at <= at + timedelta(minutes=30)
                                                          for a in acts)


def _after(acts: list[Act], write_at: datetime, at: datetime) -> list[Act] | None:
    """The acts from the write on, or None when the controller was already acting in QUIET before it."""
    if any(write_at - QUIET <= a.at < write_at for a in acts):
        return None
    after = sorted((a for a in acts if write_at <= a.at <= at + timedelta(minutes=30)), key=lambda a: a.at)
    return after or None


def found(facts: Facts) -> list[Verdict]:
    """The lifecycle configs the reads convict (pure over the facts)."""
    store = facts.reads.get(STORE)
    if not isinstance(store, dict) or not store.get("acts"):
        return []
    acts: list[Act] = store["acts"]
    named: list[str] = store.get("named") or []
    out: list[Verdict] = []
    by_karpenter = [a for a in acts if a.by == "karpenter"]
    for change, evidence, obj, obj_evidence in store.get("templates") or []:
        ref, write_at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or write_at is None or not facts.at - LEAD <= write_at <= facts.at:
            continue
        meaning = karpenter_meaning(obj, change)
        after = _after(by_karpenter, write_at, facts.at) if meaning else None
        if meaning is None or after is None or not _reached(after, named, facts.at):
            continue
        writer = _writer(change)
        out.append(Verdict(ref, "Karpenter", write_at, writer, meaning[0], meaning[1],
                           "restore a consolidateAfter delay and a disruption budget below 100% of nodes", after,
                           named, [e for e in (evidence, obj_evidence, *(store.get("evidence") or [])) if e]))
    for ref, software, obj, obj_evidence in store.get("workloads") or []:
        words = " ".join([ref.name, software]).lower()
        rollout = _spec_change(facts, ref, words)
        revision = (store.get("revisions") or {}).get(ref)
        template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
        cause = str((template.get("annotations") or {}).get("kubernetes.io/change-cause") or "")
        written = (parse_time(rollout[0].get("at")), _writer(rollout[0])) if rollout else \
            (parse_time(revision[0]), f"change-cause: {cause}" if cause else "") if revision else None
        if written is None or written[0] is None or not facts.at - LEAD <= written[0] <= facts.at:
            continue
        meaning_w = workload_meaning(obj, software, rollout[0] if rollout else None)
        own = [a for a in acts if a.by == software or (not a.by and any(o.node == a.node for o in acts
                                                                          if o.by == software))]
        after = _after(own, written[0], facts.at) if meaning_w else None
        if meaning_w is None or after is None or not _reached(after, named, facts.at):
            continue
        out.append(Verdict(ref, software, written[0], written[1], meaning_w[0], meaning_w[1], meaning_w[2], after,
                           named, [e for e in (obj_evidence, rollout[1] if rollout else revision[1] if revision else "",
                                               *(store.get("evidence") or [])) if e]))
    return out


def finding(v: Verdict, at: datetime) -> dict[str, Any]:
    """The config's finding: what it says and means, then what the controller did to which nodes, and when."""
    nodes = list(dict.fromkeys(a.node for a in v.acts))
    first = v.acts[0]
    named = [n for n in nodes if n in v.named]
    where = f"node {named[0]} away" if named else \
        f"nodes away {len(v.acts)} times ({len(nodes)} nodes: {', '.join(nodes[:2])}{', ...' if nodes[2:] else ''})"
    span = ""
    if len(v.acts) >= 3:
        minutes = int((v.acts[-1].at - first.at).total_seconds() // 60) // max(1, len(v.acts) - 1)
        span = f", about every {minutes_text(minutes)}"
    ago = minutes_text(int((at - v.write_at).total_seconds() // 60))
    by = f" ({v.writer})" if v.writer.startswith("change-cause") else f" by {v.writer}" if v.writer else ""
    when = v.write_at.strftime("%H:%M" if v.write_at.date() == at.date() else "%Y-%m-%d %H:%M")
    lead = f"{v.config} ({v.software})" if v.software.lower() not in v.config.name.lower() else str(v.config)
    message = (f"{lead}, written {when}{by} ({ago} before), has {', '.join(v.settings)}: {v.meaning}. From "
               f"{first.at.strftime('%H:%M')} it took {where}{span} ({first.what[:90]}), evicting the pods "
               f"there, which restart elsewhere: the evictions, the node's NotReady and the replicas short are the "
               f"effect. Fix: {v.fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": v.config.kind, "namespace": v.config.namespace, "name": v.config.name},
            "reason": "NodeLifecycleConfig", "message": message,
            "evidence": [a.what[:160] for a in v.acts[:2]],
            "details": {"software": v.software, "nodes": nodes, "write_at": v.write_at.isoformat(),
                        "settings": v.settings}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """Each convicted config, explaining the nodes it took away."""
    return [(v.config, finding(v, facts.at), v.evidence, [Ref("Node", "", n) for n in dict.fromkeys(
        a.node for a in v.acts)]) for v in found(facts)]
