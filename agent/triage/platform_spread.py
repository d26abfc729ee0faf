"""A workload's own write widened where its pods may run, onto nodes of an OS or CPU its image was not built for.

Mixed clusters keep Windows or arm64 nodes apart with a node selector (`kubernetes.io/os: linux`,
`kubernetes.io/arch: amd64`), a node affinity, or a taint the workload does not tolerate. A rollout that drops the
selector or affinity, or adds a toleration for every taint (`operator: Exists` with no key), lets the scheduler
place a pod there (a DaemonSet does so on every node it now matches), and the runtime cannot run the image:
containerd's `no match for platform in manifest`, Docker's `no matching manifest for windows/amd64 in the manifest
list entries` or `image operating system "linux" cannot be used on this platform`, Windows' `The container
operating system does not match the host operating system`, or, when a single-arch image is pulled anyway, the
kernel's `exec format error`. The workload's pods elsewhere run, so it looks like a broken node.

Named: the workload whose write (within `LEAD` before the failure) touched its placement (nodeSelector, affinity,
tolerations, the os/arch labels) while one of its pods fails with a platform error on a node whose OS or
architecture labels differ from what the write removed or from its other pods' nodes. Not named: a platform error
with no placement write (a new tag that dropped an architecture is the image's doing, not the placement's), a
placement write whose pods fail for another reason (a tag not found, a crash).

`read` (reading only, when the scan reports a pod failing with a platform error and such a write exists) fetches
the failing pod and its node; `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.admission_mutation import failing_pods
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.platform_spread"
WEIGHT = 0.95
"""Above the pod's own pull or crash finding, which it explains, and the other rollouts on that node."""
RECORD = "platform_spread"
LEAD = timedelta(hours=24)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Rollout")

PLATFORM = re.compile(
    r"no match for platform|no matching manifest for [\w/.-]+|image operating system \"?\w+\"? cannot be used on "
    r"this platform|container operating system does not match the host operating system|does not (?:support|match) "
    r"the (?:specified |host )?platform|exec format error|image's platform \([\w/]+\) does not match|"
    r"no image found in (?:the )?(?:manifest list|image index) for architecture|"
    r"operating system of the container does not match the operating system of the host", re.I)
"""Runtimes' and kernels' words for an image without a variant for the node's OS or CPU: containerd, Docker,
Windows (both hcs wordings), the kernel, and CRI-O/podman's `no image found in manifest list for architecture`."""
PLACEMENT = re.compile(r"nodeSelector|affinity|toleration|kubernetes\.io/(?:os|arch)", re.I)
OS_LABELS = ("kubernetes.io/os", "beta.kubernetes.io/os")
ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")


@dataclass
class Spread:
    """A workload placed onto a node its image cannot run on, by its own write."""

    workload: Ref
    pod: Ref
    node: str
    platform: str
    words: str
    write: dict[str, Any]
    evidence: list[str] = field(default_factory=list)


def _platform_words(texts: list[str]) -> str:
    """The platform words of the first text that has them, with a little around them; "" when none has."""
    for text in texts:
        m = PLATFORM.search(text)
        if m is not None:
            return text[max(0, m.start() - 60):m.end() + 60]
    return ""


def _failing(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[str], str]]:
    """(finding, workload, pods, the platform words when the finding quotes them) of the scan's pod failures."""
    return [(finding, owner, pods, _platform_words([str(finding.get("message") or ""),
                                                     *(str(e) for e in finding.get("evidence") or [])]))
            for finding, owner, pods in failing_pods(facts)]


def _pod_words(pod: dict[str, Any]) -> str:
    """The platform words of a pod's container states (the kubelet's full message, which the scan may cut)."""
    status = pod.get("status") or {}
    return _platform_words([str((detail or {}).get("message") or "")
                            for c in [*(status.get("initContainerStatuses") or []),
                                      *(status.get("containerStatuses") or [])]
                            for state in ((c or {}).get("state") or {}, (c or {}).get("lastState") or {})
                            for detail in state.values()])


def _placement_write(facts: Facts, workload: Ref, until: datetime) -> tuple[dict[str, Any], str] | None:
    mine = [(c, e) for c, e, r in facts.writes_to(WORKLOAD_KINDS, within=LEAD, deletions=False, until=until)
            if r.same_object(workload) and PLACEMENT.search(" ".join([str(c.get("summary") or ""),
                                                                         *map(str, c.get("diff") or [])]))]
    return max(mine, key=lambda w: str(w[0].get("at"))) if mine else None


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the failing pod and its node, when a platform failure follows its workload's placement write."""
    if RECORD in facts.reads:
        return
    wanted = [(w, pods) for _, w, pods, _ in _failing(facts) if _placement_write(facts, w, facts.at) is not None]
    if not wanted:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}})
    for workload, pods in wanted:
        for name in pods:
            got = await get_yaml(call, "Pod", name, workload.namespace, f"survey-platform-pod-{name}")
            if got is None:
                continue
            kept["objects"][f"Pod/{workload.namespace}/{name}"], kept["evidence"][f"Pod/{name}"] = got
            node = str((got[0].get("spec") or {}).get("nodeName") or "")
            if node and f"Node/{node}" not in kept["objects"]:
                seen = await get_yaml(call, "Node", node, "", f"survey-platform-node-{node}")
                if seen is not None:
                    kept["objects"][f"Node/{node}"], kept["evidence"][f"Node/{node}"] = seen


def platform_of(node: dict[str, Any]) -> str:
    """`os/arch` of a node from its labels (or its nodeInfo)."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    info = (node.get("status") or {}).get("nodeInfo") or {}
    os_ = next((str(labels[k]) for k in OS_LABELS if labels.get(k)), str(info.get("operatingSystem") or "?"))
    arch = next((str(labels[k]) for k in ARCH_LABELS if labels.get(k)), str(info.get("architecture") or "?"))
    return f"{os_}/{arch}"


def found(facts: Facts) -> list[Spread]:
    """Each workload whose placement write put a pod on a node its image cannot run on."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, Any] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    out: list[Spread] = []
    for _, workload, pods, words in _failing(facts):
        for name in pods:
            pod = objects.get(f"Pod/{workload.namespace}/{name}")
            node_name = str(((pod or {}).get("spec") or {}).get("nodeName") or "")
            node = objects.get(f"Node/{node_name}")
            created = parse_time(((pod or {}).get("metadata") or {}).get("creationTimestamp")) or facts.at
            write = _placement_write(facts, workload, max(created, facts.at))
            said = words or _pod_words(pod or {})
            if pod is None or node is None or write is None or not said or \
                    any(s.workload.same_object(workload) for s in out):
                continue
            when = parse_time(write[0].get("at"))
            if when is not None and when > created + timedelta(minutes=2):
                continue  # the pod was placed before the write: not the write's doing
            ids = [i for i in (write[1], evidence.get(f"Pod/{name}"), evidence.get(f"Node/{node_name}")) if i]
            out.append(Spread(workload, Ref("Pod", workload.namespace, name), node_name, platform_of(node), said,
                              write[0], ids))
    return out


def finding(s: Spread, at: datetime) -> dict[str, Any]:
    """The placement the write changed, the node's platform, the runtime's words."""
    when = parse_time(s.write.get("at"))
    ago = f"{minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else "recently"
    wrote = "; ".join(str(d) for d in s.write.get("diff") or [] if PLACEMENT.search(str(d)))[:240] or \
        str(s.write.get("summary") or "")[:240]
    message = (f"{s.workload}'s write {ago} changed where its pods may run ({wrote}), and pod {s.pod.name} was "
               f"placed on node {s.node}, a {s.platform} node its image has no variant for: '{s.words.strip()}'. "
               "The node is fine; restore the os/arch node selector (or the toleration's key) so the workload "
               "stays off nodes of another platform, or ship a multi-platform image")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.workload.kind, "namespace": s.workload.namespace, "name": s.workload.name},
            "reason": "PlacedOnForeignPlatform", "message": message, "evidence": [s.words[:200], wrote[:200]],
            "details": {"pod": str(s.pod), "node": s.node, "platform": s.platform, "change_at": s.write.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the workload, its finding, evidence ids, its failing pod) for the ranking."""
    return [(s.workload, finding(s, facts.at), s.evidence, [s.pod]) for s in found(facts)]
