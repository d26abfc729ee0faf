"""A node under DiskPressure since a pool of disk-hungry pods arrived there, right after their creator was written
without what kept them elsewhere.

Build runners (docker-in-docker, BuildKit, Kaniko), batch workers and caches write gigabytes to an emptyDir, which
lives on the node's root disk. Such pools are usually fenced onto their own nodes by a nodeSelector, node
affinity and a toleration for those nodes' taint. A chart upgrade, an operator's new defaults or a re-applied
manifest that drops the fence leaves nothing running broken; the next pods the creator makes (runner pods of a
scale set, a Job's pods, a Deployment's rollout) schedule anywhere, land on application nodes, fill their root
disk, and the kubelet reports DiskPressure and evicts the application's pods, which look like the victims of a
sick node.

The evidence any instance leaves, read here: a node the scan finds under DiskPressure; at least MIN_ARRIVALS pods
there created shortly before the pressure began (within ARRIVAL), with image-build or CI-workspace emptyDirs
(HEAVY) without sizeLimit and no ephemeral-storage limit, and without any nodeSelector or required node affinity
(nothing fences them); the object that made them (named in their owner references, or the prefix of their names,
or a label value they carry, in their namespace) written in the timeline shortly before the first of them arrived.

Not named: pods that arrived after the pressure began, pods whose disk use is bounded (a sizeLimit, or only an
application's /tmp or cache dir), pods still fenced by a nodeSelector or node affinity, a single pod, a creator not
written within LEAD before they came (a pool that always ran there: another story).
The survey calls `read` (reading only); `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.agent_disk_buffer import pressured_nodes
from agent.triage.ephemeral_growth import unbounded_dirs
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.pod_spec_words import pod_template

CHECK = "change.disk_arrivals"
WEIGHT = 0.9
"""Above the node's DiskPressure and the evictions; below a finding that names the growth itself."""
STORE = "disk_arrivals"
ARRIVAL = timedelta(hours=3)
"""How long before the pressure began the disk-hungry pods may have arrived and still be the ones that filled it."""
LEAD = timedelta(hours=6)
"""How long before the first arrival their creator's write may have been."""
MIN_ARRIVALS = 2
MAX_PODS = 6
HEAVY = re.compile(r"/var/lib/(?:docker|containerd|containers|buildkit)\b|kaniko|/_work\b|/workspace\b|"
                   r"/builds?\b|/home/runner\b|/home/jenkins(?:/|$)|^/(?:drone|woodpecker|buildkite)(?:/|$)|"
                   r"/\.cache/bazel\b", re.I)
"""Mount paths of image builders and CI workspaces (dind, BuildKit, Kaniko, buildah/podman, runner work dirs;
Jenkins agents' /home/jenkins, Drone's /drone, Woodpecker's, Buildkite's, Bazel's output cache): directories that
take gigabytes per job, unlike an application's /tmp or cache emptyDir."""
NOT_CREATORS = {"pod", "node", "event", "endpoints", "endpointslice", "lease", "replicaset", "controllerrevision"}
"""Kinds whose writes follow from pods (or are pods) rather than decide where new ones go."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Arrivals:
    """A pool of unfenced disk-writing pods that arrived on a node before its DiskPressure, and their creator."""

    creator: Ref
    node: str
    pods: list[str]
    dirs: list[str]
    written: datetime
    manager: str
    first: datetime
    since: datetime
    evidence: list[str]


async def read(facts: Facts, call: Call) -> None:
    """Reading only, for a node under DiskPressure: the pods there created shortly before the pressure began."""
    nodes = pressured_nodes(facts)
    if STORE in facts.reads or not nodes:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"pods": []})
    for node, since in nodes[:2]:
        began = parse_time(since) or facts.at
        listed = await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={node}"},
                            f"survey-disk-arrivals-node-{node}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict)]
        recent = [r for r in rows if timedelta(0) <= began - (parse_time(r.get("created")) or facts.at) <= ARRIVAL]
        for row in recent[:MAX_PODS]:
            got = await get_yaml(call, "Pod", str(row.get("name")), str(row.get("namespace") or ""),
                                 f"survey-disk-arrivals-pod-{row.get('name')}")
            if got is not None:
                got[0].setdefault("metadata", {}).setdefault("creationTimestamp", row.get("created"))
                store["pods"].append({"node": node, "pod": got[0], "evidence": [listed.evidence_id, got[1]]})
    await _read_creators(facts, store, call)


async def _read_creators(facts: Facts, store: dict[str, Any], call: Call) -> None:
    """The written creators of pods read without their volumes: their pod template says what the pods mount."""
    bare = [p["pod"] for p in store["pods"] if "volumes" not in (p["pod"].get("spec") or {})]
    if not bare:
        return
    store.setdefault("creators", [])
    first = min(parse_time((p.get("metadata") or {}).get("creationTimestamp")) or facts.at for p in bare)
    for _, _, target in facts.writes_to(None, within=LEAD, deletions=False, until=first)[:40]:
        if target.kind.lower() in NOT_CREATORS or sum(_creates(target, p) for p in bare) < MIN_ARRIVALS \
                or any(ref.same_object(target) for ref, _, _ in store["creators"]):
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-disk-arrivals-{target.name}")
        if got is not None:
            store["creators"].append((target, got[0], got[1]))


def _dirs(pod: dict[str, Any], creator: dict[str, Any] | None) -> list[str]:
    """The pod's unbounded emptyDir mounts; for a pod read without volumes, its creator's template's."""
    if "volumes" in (pod.get("spec") or {}) or creator is None:
        return [d for d in unbounded_dirs(pod) if HEAVY.search(d)]
    return [d for d in unbounded_dirs(pod_template(creator)) if HEAVY.search(d)]


def fenced(pod: dict[str, Any]) -> bool:
    """Whether the pod's spec keeps it to some nodes (a nodeSelector or a required node affinity)."""
    spec = pod.get("spec") or {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    return bool(spec.get("nodeSelector") or required)


def _creates(target: Ref, pod: dict[str, Any]) -> bool:
    """Whether the written object is the pod's creator: an owner, its name's prefix, or a label value it carries."""
    meta = pod.get("metadata") or {}
    if str(meta.get("namespace") or "") != target.namespace:
        return False
    name = str(meta.get("name") or "")
    owners = {str(o.get("name")) for o in meta.get("ownerReferences") or [] if isinstance(o, dict)}
    labels = {str(v) for v in (meta.get("labels") or {}).values()}
    return target.name in owners or name.startswith(f"{target.name}-") or target.name in labels


def found(facts: Facts) -> list[Arrivals]:
    """Each creator written shortly before MIN_ARRIVALS of its unfenced, unbounded pods arrived on a pressured node
    ahead of its pressure."""
    store = facts.reads.get(STORE) or {}
    pods = store.get("pods") or []
    creators = store.get("creators") or []
    out: list[Arrivals] = []
    for node, since in pressured_nodes(facts):
        began = parse_time(since) or facts.at
        there = [p for p in pods if p["node"] == node and not fenced(p["pod"]) and timedelta(0) <= began - (
            parse_time((p["pod"].get("metadata") or {}).get("creationTimestamp")) or facts.at) <= ARRIVAL]
        if len(there) < MIN_ARRIVALS:
            continue
        first = min(parse_time((p["pod"].get("metadata") or {}).get("creationTimestamp")) or began for p in there)
        for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False, until=first):
            if target.kind.lower() in NOT_CREATORS:
                continue
            creator = next((obj for ref, obj, _ in creators if ref.same_object(target)), None)
            mine = [p for p in there if _creates(target, p["pod"]) and _dirs(p["pod"], creator)]
            if len(mine) < MIN_ARRIVALS or any(o.creator.same_object(target) for o in out):
                continue
            written = parse_time(change.get("at")) or first
            dirs = sorted({d for p in mine for d in _dirs(p["pod"], creator)})
            names = [str((p["pod"].get("metadata") or {}).get("name")) for p in mine]
            out.append(Arrivals(target, node, names, dirs, written, written_by(change), first, began,
                                [e for e in [evidence, *(x for p in mine[:1] for x in p["evidence"])] if e]))
    return sorted(out, key=lambda a: -a.written.timestamp())


def finding(a: Arrivals, at: datetime) -> dict[str, Any]:
    """The creator's write, the pool it sent to the node unfenced, and the pressure that followed."""
    ago = minutes_text(int((at - a.written).total_seconds() // 60))
    who = f" by {a.manager}" if a.manager else ""
    after = minutes_text(int((a.since - a.first).total_seconds() // 60))
    message = (f"{a.creator} was written{who} {ago} before the alert; since then {len(a.pods)} of its pods "
               f"({', '.join(a.pods[:3])}) landed on node {a.node} with no nodeSelector or node affinity, each "
               f"writing to an emptyDir without sizeLimit ({', '.join(a.dirs[:3])}) with no ephemeral-storage "
               f"limit, and {after} after the first arrived the node reported DiskPressure and the kubelet began "
               f"evicting pods to reclaim ephemeral-storage. The write likely dropped the nodeSelector/tolerations "
               f"that kept these pods on their own nodes: restore them (or give the emptyDirs a sizeLimit)")
    return {"check": CHECK, "severity": "critical", "reason": "DiskHungryPodsArrived",
            "object": {"kind": a.creator.kind, "namespace": a.creator.namespace, "name": a.creator.name},
            "message": message, "evidence": [f"emptyDir {', '.join(a.dirs[:2])} without sizeLimit"],
            "details": {"node": a.node, "pods": a.pods, "dirs": a.dirs, "written": str(a.written)}}
