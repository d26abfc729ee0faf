"""A node the incident names runs another revision of a node-local service than the rest: the NEW one, or the OLD one.

A DaemonSet serves each node's pods from a pod on that node (a feature-flag relay, a metadata or credential proxy,
a DNS cache, a sidecar-less mesh agent, a log shipper): the pods reach it through a hostPort, the node's IP or an
internal-traffic-local Service. With `updateStrategy: OnDelete` a template write reaches a node only when its pod
is replaced (someone deletes it, the node is recycled), and a paused or slow RollingUpdate leaves the fleet split
too. So a write made hours earlier (a token's Secret key, an upstream URL, a flag, an image) shows on ONE node, from
the moment its pod was replaced: "requests handled on node X fail more than on the others", and nothing on the
other nodes changed. The reading an SRE does: the agent pods on the named node against their siblings; the one on
that node was created after the DaemonSet's latest rollout while its siblings are older (and the DaemonSet says
fewer pods are updated than desired); the rollout's diff is then exactly the difference between that node and the
rest.

Named: the DaemonSet whose pod on the named node is on the new revision (created at or after its rollout in the
timeline, within ROLLOUT_LEAD) while at least one sibling on another node predates the rollout, and whose pod there
was created at most NODE_LEAD before the incident. Not named: a fleet fully rolled (no sibling predates the
rollout, or `updatedNumberScheduled` equals `desiredNumberScheduled`); a named node whose pod is one of the OLD
revision's; a DaemonSet with no rollout in view. The resource cost comparison (a costlier agent) is
node_cpu_hog's; this module names the split whatever the new revision changed.

`read` (reading only, when the incident names a node) lists the DaemonSets and the node's pods, and for a
DaemonSet with a rollout in view reads its object and its pods (agent.triage.agent_revision); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import agent_revision
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "node.revision_split"
WEIGHT = 0.92
"""A node-local service's new revision confined to the named node: the one difference between that node and the
others, below a node's own CPU hog or pile-up (which show their cause directly)."""
QUIET_CHECK = "node.revision_split_quiet"
EXTRA_WEIGHTS = {QUIET_CHECK: 0.7}
"""The same split when the new pod prints no complaint its siblings lack: a lead, not a cause shown."""
STORE = "node_revision"
NODE_LEAD = timedelta(hours=12)
"""The longest time from the new-revision pod's start on the named node to the incident."""
MAX_NODES = 2
MAX_DAEMONSETS = 3
TAIL = 300
_PROBLEM = re.compile(r"\b(?:error|err|warn(?:ing)?|fatal|fail(?:ed|ure)?|denied|forbidden|unauthori[sz]ed|refused|"
                      r"rejected|invalid|timed? ?out|4[0-9][0-9]|5[0-9][0-9])\b", re.I)
"""Words of a line that reports a problem (a level, a refusal, an HTTP error status)."""
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ][\d:.,]+Z?")
_DIGITS = re.compile(r"\d+")
_SUMMARY = re.compile(r"\s*(?:repeated \d+x:|\[\d+ earlier lines)")
Call = Callable[..., Awaitable[Any]]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, per node the incident names: the DaemonSets with a rollout in view whose pod runs there, their
    object and their pods (name, node, creation)."""
    if STORE in facts.reads or not subject.nodes:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    listed = rows_of(await call("k8s_list", {"kind": "DaemonSet"}, "survey-node-revision-daemonsets"))
    rolled = {(str(r.get("namespace")), str(r.get("name"))) for r in listed
              if agent_revision.rollout_of(facts, Ref("DaemonSet", str(r.get("namespace")), str(r.get("name"))))}
    if not rolled:
        return
    for node in subject.nodes[:MAX_NODES]:
        pods = rows_of(await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                                f"survey-node-revision-pods-{node}"))
        mine = [(str(p.get("namespace")), str(p.get("name"))) for p in pods
                if (str(p.get("namespace")), workload_of_pod(str(p.get("name")))) in rolled]
        for ns, pod in mine[:MAX_DAEMONSETS]:
            ds = Ref("DaemonSet", ns, workload_of_pod(pod))
            entry: dict[str, Any] = {"daemonset": [ds.kind, ds.namespace, ds.name], "node": node, "pod": pod,
                                     "evidence": []}
            got = await get_yaml(call, "DaemonSet", ds.name, ds.namespace, f"survey-node-revision-{ds.name}")
            if got is not None:
                entry["object"] = got[0]
                entry["evidence"].append(got[1])
            siblings = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-node-revision-pods-{ds.name}")
            entry["pods"] = [{"name": str(r.get("name")), "node": r.get("node"), "created": r.get("created")}
                             for r in rows_of(siblings) if workload_of_pod(str(r.get("name"))) == ds.name]
            rollout = agent_revision.rollout_of(facts, ds)
            rolled_at = parse_time(rollout[0].get("at")) if rollout else None
            created = parse_time(next((p.get("created") for p in entry["pods"] if p["name"] == pod), None))
            stale = rolled_at is not None and created is not None and created < rolled_at
            entry["complaints"] = await _complaints(call, ns, pod, entry["pods"], node, newest=stale)
            store.append(entry)


async def _log_lines(call: Call, ns: str, pod: str) -> list[str]:
    """The pod's last log lines as the tool answers them (its header and pattern summaries left out)."""
    got = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": TAIL}, f"survey-node-revision-log-{pod}")
    text = str(getattr(got, "full_text", "") or "") if got is not None and got.ok else ""
    return [ln for ln in text.splitlines()[1:] if ln.strip() and not _SUMMARY.match(ln)]


def _shape(line: str) -> str:
    """A line with its times, numbers and ids blurred: what two pods printing the same message share."""
    return _DIGITS.sub("#", _STAMP.sub("", line)).strip().lower()


async def _complaints(call: Call, ns: str, pod: str, pods: list[dict[str, Any]], node: str,
                      newest: bool = False) -> list[str]:
    """The problem lines (errors, warnings, refusals) the pod on the node prints and a sibling on another node on
    the other revision does not (its oldest sibling; its newest when the pod itself is the old one): what the two
    revisions do differently, in the pod's own words."""
    mine = [ln for ln in await _log_lines(call, ns, pod) if _PROBLEM.search(ln)]
    if not mine:
        return []
    others = sorted((p for p in pods if p.get("name") != pod and p.get("node") != node),
                    key=lambda p: str(p.get("created")), reverse=newest)
    theirs = {_shape(ln) for ln in await _log_lines(call, ns, str(others[0]["name"]))} if others else set()
    fresh = [" ".join(_STAMP.sub("", ln).split())[:300] for ln in mine if _shape(ln) not in theirs]
    return list(dict.fromkeys(reversed(fresh)))[:2]


@dataclass
class NodeRevision:
    """A DaemonSet whose new revision runs on the named node while siblings elsewhere still run the old one."""

    daemonset: Ref
    node: str
    pod: str
    rolled: datetime
    started: datetime
    old_siblings: int
    changed: list[str]
    strategy: str
    updated: int | None
    desired: int | None
    said: str
    evidence: list[str] = field(default_factory=list)
    stale: bool = False
    """The named node's pod is the one still on the OLD revision (created before the rollout) while most pods on
    the other nodes run the new one; `old_siblings` then counts those new ones."""


def _judge(facts: Facts, entry: dict[str, Any]) -> NodeRevision | None:
    """The split one entry shows, or None when the named node is not on a newer revision than some sibling."""
    ds = Ref(*entry["daemonset"])
    rollout = agent_revision.rollout_of(facts, ds)
    pods = [p for p in entry.get("pods") or [] if isinstance(p, dict)]
    mine = next((p for p in pods if p.get("name") == entry.get("pod")), None)
    started = parse_time((mine or {}).get("created"))
    if rollout is None or started is None or started > facts.at:
        return None
    change, evidence = rollout
    rolled = parse_time(change.get("at"))
    if rolled is None:
        return None
    times = [t for p in pods if p is not mine and p.get("node") != entry.get("node")
             and (t := parse_time(p.get("created"))) is not None]
    old, new = [t for t in times if t < rolled], [t for t in times if t >= rolled]
    stale = started < rolled
    if stale:  # the named node kept the old revision: most of the others moved on
        if not new or len(new) <= len(old):
            return None
    elif not old or facts.at - started > NODE_LEAD:
        return None
    got = entry.get("object")
    obj: dict[str, Any] = got if isinstance(got, dict) else {}
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    updated, desired = status.get("updatedNumberScheduled"), status.get("desiredNumberScheduled")
    if isinstance(updated, int) and isinstance(desired, int) and updated >= desired:
        return None
    said = next(iter(entry.get("complaints") or []), "") or next(
        (said_by(log.top) for log in facts.logs if log.pod == entry.get("pod") and log.top), "")
    return NodeRevision(ds, str(entry.get("node")), str(entry.get("pod")), rolled, started,
                        len(new) if stale else len(old), agent_revision.what_changed(change)[:3],
                        str((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate"),
                        updated if isinstance(updated, int) else None, desired if isinstance(desired, int) else None,
                        said, [e for e in [evidence, *entry.get("evidence", [])] if e], stale)


def found(facts: Facts) -> list[NodeRevision]:
    """The splits on the named nodes, the pod started nearest the incident first."""
    hits = [h for h in (_judge(facts, e) for e in facts.reads.get(STORE) or [] if isinstance(e, dict)) if h]
    return sorted(hits, key=lambda h: h.started, reverse=True)[:1]


def finding(hit: NodeRevision, at: datetime) -> dict[str, Any]:
    """What differs on the node (the new revision's change), how the split came about, then what its pod says."""
    rolled = minutes_text(int((at - hit.rolled).total_seconds() // 60))
    started = minutes_text(int((at - hit.started).total_seconds() // 60))
    said = f"; its pod there says '{hit.said[:200]}'" if hit.said else ""
    if hit.stale:
        share = (f"{hit.updated} of its {hit.desired} pods run the new one" if hit.updated is not None
                 and hit.desired else f"{hit.old_siblings} pods on other nodes run the new one")
        message = (f"{hit.daemonset}'s pod {hit.pod} on node {hit.node} still runs the revision from before its "
                   f"rollout {rolled} before the alert, while the other nodes moved on ({share}, updateStrategy "
                   f"{hit.strategy}){said}. The rollout changed {'; '.join(hit.changed)[:240]}, and that change never "
                   f"reached {hit.node} (its pod was started {started} before the alert and not replaced), so the "
                   f"pods there are served by the old {hit.daemonset.name}. Replace that pod so it takes the new "
                   f"revision")
        reason = "NodeOnOldRevision"
    else:
        share = (f"only {hit.updated} of its {hit.desired} pods run it" if hit.updated is not None and hit.desired
                 else f"{hit.old_siblings} pods on other nodes still run the old one")
        message = (f"{hit.daemonset}'s new revision runs on node {hit.node} but not on the other nodes ({share}, "
                   f"updateStrategy {hit.strategy}){said}. That revision changed {'; '.join(hit.changed)[:240]}; it "
                   f"was rolled out {rolled} before the alert and reached {hit.node} when its pod {hit.pod} was "
                   f"replaced {started} before the alert, so the pods there are served by a differently configured "
                   f"{hit.daemonset.name}. Roll the revision back (or replace the old pods to see it everywhere)")
        reason = "NodeOnNewRevision"
    return {"check": CHECK if hit.said else QUIET_CHECK, "severity": "critical" if hit.said else "warning",
            "reason": reason,
            "object": {"kind": hit.daemonset.kind, "namespace": hit.daemonset.namespace, "name": hit.daemonset.name},
            "message": message, "evidence": hit.changed[:2],
            "details": {"node": hit.node, "pod": hit.pod, "strategy": hit.strategy,
                        "started": hit.started.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The DaemonSet, explaining the node it differs on and its pod there."""
    return [(h.daemonset, finding(h, facts.at), h.evidence,
             [Ref("Node", "", h.node), Ref("Pod", h.daemonset.namespace, h.pod)]) for h in found(facts)]
