"""A resource the pods of a node (or of a cluster) share ran out: who used it up, or who capped it.

A pod fails on something it does not own: the node's inotify instances or file descriptors, its PIDs, its
volume attach slots, its pod IPs, its ports, the cluster's allocatable cpu and memory or the node count the
autoscaler may reach. Its own error names only the symptom ("too many open files", "0/4 nodes are available:
2 node(s) exceed max volume count", "failed to assign an IP address to container", "Insufficient cpu"), and the
victim's own restart is the nearest change in time, so naming it is wrong. The cause is another object:

- one whose change ADDED consumers of that resource on the victim's nodes: a new or updated DaemonSet (it
  lands on every node), a workload scaled up or created whose pods (with their claims, their IPs, their
  hostPorts, their requests) were placed on the same nodes;
- or one whose change LOWERED the resource's cap: the kernel setting that bounds it (`fs.inotify.
  max_user_instances`, `kernel.pid_max`), the CNI's IP warm pool (`WARM_IP_TARGET`, `MINIMUM_IP_TARGET`), the
  cluster autoscaler's `--nodes=min:max:group` or `--max-nodes-total`, a node pool's maximum size.

`RESOURCES` says, per resource, the real wording of Kubernetes, the kubelet, the kernel and the CNI that
names it on the victim's side, the settings that cap it and what kind of change consumes it. `read` (reading
only, once a victim's failure names such a resource) lists the pods (their nodes), the victims' warning
events (the onset, the autoscaler's "max node group size reached") and a two-day change timeline (the
consumer often came the day before: it filled the resource, and only the victim's next restart or new pod
found it empty). `found` is pure over the facts: a change counts when it came before the victim's failure
began and, for a per-node resource, when its pods run on the victim's nodes; a cap lowered beats a consumer
added, a DaemonSet beats one workload, and the closer in time wins.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.subject import Subject, workload_of_pod
from mcp_servers.kubernetes.health import parse_quantity

CHECK = "node.shared_resource"
WEIGHT = 0.92
RECORD = "node_shared"
HISTORY_WINDOW = "48h"
BEFORE = timedelta(hours=48)
"""How long before the victim's failure a consumer or a cap change still counts: a node agent fills a node's
table at once, but the victim finds it full only at its next start (a restart, a new pod, a reschedule)."""
LATE = timedelta(minutes=5)
"""A change this much after the onset still counts (the onset is read to the minute of an event)."""
MAX_NAMESPACES = 3


@dataclass(frozen=True)
class Resource:
    """One resource the pods of a node or a cluster share."""

    name: str
    victim: re.Pattern[str]
    """The words of Kubernetes, the kubelet, the kernel or the CNI on the victim's side when it ran out."""
    cap: re.Pattern[str]
    """A setting in a change's diff that bounds the resource (its value moved: the cap changed)."""
    scope: str
    """"node": consumers count only on the victim's nodes; "cluster": anywhere."""
    consumer: re.Pattern[str] | None
    """What a consumer's change must say (a hostPort, a replica count); None: any added workload counts."""
    words: str
    """What running out does, said to the reader."""


RESOURCES: tuple[Resource, ...] = (
    Resource("inotify instances and file descriptors",
             re.compile(r"too many open files|\bEMFILE\b|inotify|max_user_(?:instances|watches)|"
                        r"file-max limit reached", re.I),
             re.compile(r"fs\.inotify\.max_user_(?:instances|watches)|fs\.file-max|fs\.nr_open|LimitNOFILE|"
                        r"\bnofile\b", re.I),
             "node", re.compile(r"replicas|created|inotify|fanotify|watch|hostPath|hostPID", re.I),
             "every process of one user on a node shares its inotify instances (fs.inotify.max_user_instances, "
             "128 by default) and watches; a node agent holding them leaves none, so a watcher started after it "
             "fails with 'too many open files' (EMFILE)"),
    Resource("volume attach slots",
             re.compile(r"exceed(?:s|ed)? max volume count|max(?:imum)? (?:number of )?(?:attached |attachable )?"
                        r"volumes? (?:count|limit|reached|exceeded)|max(?:imum)? (?:number of )?(?:volume )?"
                        r"attachments|AttachVolumeLimitExceeded|volume attach(?:ment)? limit", re.I),
             re.compile(r"volume-attach-limit|volumeAttachLimit|KUBE_MAX_PD_VOLS|allocatable\.count|"
                        r"max[-_]?volumes", re.I),
             "node", re.compile(r"replicas|created|volumeClaimTemplates|persistentVolumeClaim", re.I),
             "a node attaches at most the CSI driver's allocatable count of volumes (CSINode "
             "spec.drivers[].allocatable.count); claims of other pods placed there fill the slots and the "
             "scheduler rejects the node with 'exceed max volume count'"),
    Resource("pod IP addresses",
             re.compile(r"failed to assign an IP address|no available IP|no IP addresses? available|"
                        r"InsufficientFreeAddressesInSubnet|failed to allocate for range|ipam\w*: .*exhaust|"
                        r"IP address(?:es)? (?:are )?exhausted|out of IP addresses", re.I),
             re.compile(r"WARM_IP_TARGET|MINIMUM_IP_TARGET|WARM_ENI_TARGET|WARM_PREFIX_TARGET|MAX_ENI|"
                        r"ENABLE_PREFIX_DELEGATION|--max-pods|maxPods|node-cidr-mask-size|podCIDR|"
                        r"^spec\.(?:ipv[46]\.)?(?:subnets?|subnetI[Dd]s?|cidrs?|blockSize|podIPv4Ranges|ranges?)\b",
                        re.I),
             "node", re.compile(r"replicas|created", re.I),
             "the CNI gives each pod an IP address from the node's warm pool of the subnet's free addresses (on "
             "the node's ENIs); with the pool settings gone or the subnet drained no sandbox is created and pods "
             "stay in ContainerCreating"),
    Resource("process IDs",
             re.compile(r"fork: (?:retry: )?Resource temporarily unavailable|pthread_create failed|"
                        r"failed to create new OS thread|can't start new thread", re.I),
             re.compile(r"kernel\.pid_max|kernel\.threads-max|podPidsLimit|pids[-_]limit|--pod-max-pids", re.I),
             "node", re.compile(r"replicas|created|workers|threads|processes|concurren", re.I),
             "every process and thread on a node takes one PID (kernel.pid_max, the kubelet's PID limits); a "
             "workload forking on the same node leaves none, and others fail to fork or start threads"),
    Resource("host ports",
             re.compile(r"free ports for the requested pod ports|didn't have free ports", re.I),
             re.compile(r"hostPort", re.I),
             "node", re.compile(r"hostPort|hostNetwork", re.I),
             "a hostPort is the node's: one pod per node may hold it, so the scheduler rejects every node where "
             "another workload's pod took it"),
    Resource("schedulable capacity (cpu, memory, node count)",
             re.compile(r"Insufficient (?:cpu|memory|ephemeral-storage|pods)|Too many pods|"
                        r"max node group size reached|max cluster (?:cpu|memory) limit reached|"
                        r"max(?:imum)? node(?:s)? (?:total|count)", re.I),
             re.compile(r"--nodes[= ]|--max-nodes-total|--cores-total|--memory-total|\bmaxSize\b|\bmax_size\b|"
                        r"max[-_ ]?nodes|kube-reserved|system-reserved|--max-node-provision-time|"
                        r"cluster-autoscaler\.kubernetes\.io/(?:max|min)|\bmaxReplicas\b", re.I),
             "cluster", re.compile(r"replicas|created|requests?\b", re.I),
             "a pending pod waits for allocatable cpu or memory that other pods hold, or for a node the "
             "autoscaler may not add: with the node group's maximum lowered to its current size it answers "
             "NotTriggerScaleUp 'max node group size reached' and the pod stays Pending"),
)

_CONSUMING = ("rollout", "scale", "created", "helm", "spec", "restart", "write")
"""Change types that may add consumers (a new object, more replicas, a new revision)."""
_WORKLOADS = ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "PersistentVolumeClaim")


@dataclass
class Victim:
    """A workload failing on a shared resource, where, and since when."""

    ref: Ref
    resource: Resource
    quote: str
    nodes: set[str] = field(default_factory=set)
    onset: datetime | None = None


@dataclass
class Found:
    """The change that used up or capped the resource a victim fails on."""

    victim: Victim
    culprit: Ref
    change: dict[str, Any]
    capped: bool
    lines: list[str]
    nodes: list[str]
    evidence: list[str]
    victims: list[Ref] = field(default_factory=list)


def _texts(finding: dict[str, Any]) -> str:
    return " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or []),
                     str(finding.get("details") or "")])


def _classify(text: str) -> tuple[Resource, str] | None:
    """The shared resource a victim's text says ran out, and the words that say it."""
    for resource in RESOURCES:
        m = resource.victim.search(text)
        if m:
            start = text.rfind(" ", 0, max(0, m.start() - 60)) + 1
            return resource, text[start:m.end() + 60].strip()
    return None


def _log_text(log: Any) -> str:
    errors = [log.top or {}, *log.more]
    return " ".join([*(str(e.get("message") or e.get("example") or e.get("template") or "") for e in errors),
                     *log.last_lines])


def victims(facts: Facts) -> list[Victim]:
    """Workloads whose findings, logs or warning events name a shared resource running out."""
    out: dict[Ref, Victim] = {}
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is None or ref.kind not in (*_WORKLOADS, "Node") or str(f.get("check") or "") == CHECK:
            continue
        got = _classify(_texts(f))
        if got is not None:
            victim = out.setdefault(ref, Victim(ref, got[0], got[1]))
            if ref.kind == "Node":  # the node where the pods fail: the resource is that node's
                victim.nodes.add(ref.name)
    for log in facts.logs:
        got = _classify(_log_text(log))
        if got is None or not log.pod:
            continue
        ref = _owner(facts, log.namespace, log.pod)
        out.setdefault(ref, Victim(ref, got[0], got[1]))
    for event in _events(facts):
        got = _classify(str(event.get("message") or ""))
        if got is None or str(event.get("kind") or "") != "Pod":
            continue
        ref = _owner(facts, str(event.get("namespace") or ""), str(event.get("name") or ""))
        victim = out.setdefault(ref, Victim(ref, got[0], got[1]))
        when = parse_time(event.get("first_seen") or event.get("last_seen"))
        if when is not None and got[0] is victim.resource and (victim.onset is None or when < victim.onset):
            victim.onset = when
    for victim in out.values():
        victim.nodes |= _nodes_of(facts, victim.ref)
    return list(out.values())


def _owner(facts: Facts, namespace: str, pod: str) -> Ref:
    """The workload a pod belongs to: the finding naming the same workload name, else its name's shape."""
    name = workload_of_pod(pod)
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is not None and ref.namespace == namespace and ref.name == name:
            return ref
    kind = "StatefulSet" if re.fullmatch(r".+-\d{1,4}", pod) else \
        "Deployment" if re.fullmatch(r".+-[a-z0-9]{6,10}-[a-z0-9]{5}", pod) else "DaemonSet"
    return Ref(kind, namespace, name)


def _reads(facts: Facts) -> dict[str, Any]:
    got = facts.reads.get(RECORD)
    return got if isinstance(got, dict) else {}


def _events(facts: Facts) -> list[dict[str, Any]]:
    return [e for e in _reads(facts).get("events") or [] if isinstance(e, dict)]


def _pods(facts: Facts) -> list[tuple[str, str, str]]:
    """(namespace, pod, node) of every pod listed."""
    return [(str(r.get("namespace") or ""), str(r.get("name")), str(r.get("node") or ""))
            for r in _reads(facts).get("pods") or [] if isinstance(r, dict) and r.get("name")]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, once a victim names a shared resource: the pods' nodes, the victims' warning events and a
    two-day change timeline."""
    del subject
    found = victims(facts)
    if not found:
        return
    kept: dict[str, Any] = {"events": [], "pods": [], "evidence": []}
    facts.reads[RECORD] = kept
    pods = await call("k8s_list", {"kind": "Pod"}, "survey-shared-pods")
    if pods is not None and pods.ok and isinstance(pods.data, dict):
        kept["pods"] = [r for r in pods.data.get("rows") or [] if isinstance(r, dict)]
        kept["evidence"].append(pods.evidence_id)
    for ns in list(dict.fromkeys(v.ref.namespace for v in found if v.ref.namespace))[:MAX_NAMESPACES]:
        events = await call("k8s_events", {"namespace": ns, "warnings_only": True}, f"survey-shared-events-{ns}")
        if events is not None and events.ok and isinstance(events.data, dict):
            kept["events"] += [e for e in events.data.get("events") or [] if isinstance(e, dict)]
            kept["evidence"].append(events.evidence_id)
    history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-shared-history")
    if history is not None and history.ok and isinstance(history.data, dict):
        facts.history.append((history.data, history.evidence_id))


def _all_changes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """The survey's timeline and the longer ones, each change once, with the evidence that shows it."""
    out: list[tuple[dict[str, Any], str]] = []
    seen: set[tuple[str, str, str]] = set()
    sources = [(facts.changes or {}, facts.changes_id or ""), *facts.history]
    for data, evidence_id in sources:
        for change in data.get("changes") or []:
            if not isinstance(change, dict):
                continue
            key = (str(change.get("at")), str(change.get("object")), str(change.get("type")))
            if key not in seen:
                seen.add(key)
                out.append((change, evidence_id))
    return out


def _lines(change: dict[str, Any]) -> list[str]:
    return [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]


def _cap_lines(resource: Resource, lines: list[str]) -> list[str]:
    """Diff lines that moved a setting bounding the resource (`old -> new`, or a key set or removed)."""
    return [ln for ln in lines if resource.cap.search(ln) and ("->" in ln or re.search(
        r"\b(?:set|removed|deleted|added|unset)\b", ln, re.I) or _WRITTEN.match(ln))]


_WRITTEN = re.compile(r"spec\.[\w.\[\]…]+ = (?!.*\(current\)$)")
"""A spec field written with only its new value known (`spec.subnet = 'subnet-0b1…'`: a custom resource's write
read from managedFields): the pool a CNI config object points its nodes at moved, though the old value is lost."""


def _moved(resource: Resource, line: str) -> str:
    """The setting a long diff line moved, each side cut to its words (`--nodes=3:12:pool -> --nodes=3:4:pool`;
    `WARM_IP_TARGET='5' -> unset`), so that the numbers before and after are what the reader sees."""
    before, arrow, after = line.partition(" -> ")
    if not arrow or len(line) <= 140:
        return line
    sides = []
    for side in (before, after):
        m = resource.cap.search(side)
        sides.append(side[max(0, m.start() - 2):m.end() + 40].split(",")[0].strip(" '\"[]") if m else
                     side.strip()[:40])
    return f"{sides[0]} -> {sides[1]}"


def _nodes_of(facts: Facts, ref: Ref) -> set[str]:
    return {n for ns, pod, n in _pods(facts) if n and ns == ref.namespace and workload_of_pod(pod) == ref.name}


def found(facts: Facts) -> list[Found]:
    """For each victim, the change before its failure that capped its shared resource or added consumers of it
    on its nodes (cluster-wide for a cluster's capacity)."""
    out: list[Found] = []
    hurt = victims(facts)
    victim_refs = {v.ref for v in hurt}
    for victim in hurt:
        onset = victim.onset or facts.at
        best: tuple[tuple[int, int, int, float], Found] | None = None
        for change, evidence_id in _all_changes(facts):
            target = Ref.of(change.get("object"))
            when = parse_time(change.get("at"))
            if target is None or when is None or any(target.same_object(v) for v in victim_refs):
                continue
            gap = onset - when
            if gap < -LATE or gap > BEFORE:
                continue
            lines = _lines(change)
            capped = _cap_lines(victim.resource, lines)
            consumer = not capped and _consumes(victim.resource, change, target, lines)
            if not capped and not consumer:
                continue
            nodes = _nodes_of(facts, target)
            shared = sorted(nodes & victim.nodes)
            if consumer and victim.resource.scope == "node" and victim.nodes and not shared:
                continue  # its pods run elsewhere: it takes nothing from the victim's nodes
            everywhere = 1 if target.kind == "DaemonSet" else 0
            says = 1 if capped or any(" -> " in ln or re.search(r"\(now \d+\)|replicas", ln) for ln in lines) else 0
            rank = (2 if capped else 1, everywhere, says, -gap.total_seconds())
            where = shared or sorted(nodes)[:4] if victim.resource.scope == "node" else []
            candidate = Found(victim, target, change, bool(capped), [_moved(victim.resource, ln) for ln in capped] or
                              [ln for ln in lines if ln][:3], where, [e for e in (evidence_id,) if e])
            if best is None or rank > best[0]:
                best = (rank, candidate)
        if best is not None:
            best[1].evidence += list(_reads(facts).get("evidence") or [])
            out.append(best[1])
    merged: dict[Ref, Found] = {}
    for item in out:  # one culprit explains every victim it starved
        kept = merged.setdefault(item.culprit, item)
        kept.victims.append(item.victim.ref)
    return list(merged.values())


def _consumes(resource: Resource, change: dict[str, Any], target: Ref, lines: list[str]) -> bool:
    """Whether a change added consumers of the resource: a new object, more replicas, a node agent (DaemonSet)
    whose diff says what the resource needs (a hostPort, a claim, higher requests, a watch or host path), a
    scale-up. A restart with no revision and a scale-down add nothing."""
    kind = str(change.get("type") or "")
    if target.kind not in _WORKLOADS or not any(k in kind for k in _CONSUMING):
        return False
    text = " ".join(lines)
    if re.search(r"scaled? down|now 0 replicas|\bdeleted\b|recreated since|no visible revision", text, re.I):
        return False
    created = "created" in kind or re.search(r"\bcreated\b", str(change.get("summary") or "")) is not None
    if resource.consumer is None:
        return created or kind == "scale"
    diff = [str(d) for d in change.get("diff") or []]
    if kind == "scale":
        diff.append(str(change.get("summary") or ""))  # "rescaled by HPA x: now 8 replicas"
    return (created and resource.consumer.search("created") is not None) or \
        any(resource.consumer.search(ln) and not _request_lowered(ln) for ln in diff)


_REQUEST = re.compile(r"(?:cpu|memory|ephemeral-storage) requests? (?P<old>\S+) -> (?P<new>\S+)")


def _request_lowered(line: str) -> bool:
    """A rollout line that lowered (or kept) a request (`cpu request 1500m -> 100m`) frees capacity, adds none."""
    m = _REQUEST.search(line)
    if m is None:
        return False
    old, new = parse_quantity(m["old"]), parse_quantity(m["new"])
    return old is not None and new is not None and new <= old


def finding(item: Found) -> dict[str, Any]:
    """The culprit's finding: the resource, what the change did (before/after), the nodes, the time, then what
    running out does (the first 400 characters carry the facts)."""
    victim = item.victim
    when = str(item.change.get("at") or "")
    onset = victim.onset or None
    ago = ""
    start = parse_time(when)
    if start is not None and onset is not None:
        ago = f", {int((onset - start).total_seconds() // 60)} min before the failures began"
    how = "added consumers of" if not item.capped else "lowered the cap of" \
        if not all(_WRITTEN.match(ln) for ln in item.lines) else "rewrote the setting bounding"
    nodes = f" on node{'s' if len(item.nodes) > 1 else ''} {', '.join(item.nodes[:3])}" if item.nodes else ""
    what = "; ".join(list(dict.fromkeys(ln[:140] for ln in item.lines))[:2])
    names = ", ".join(str(v) for v in item.victims[:3])
    message = (f"{item.culprit} {how} the shared {victim.resource.name}{nodes}: {item.change.get('type') or 'change'}"
               f" at {when}{ago}: {what}. {victim.resource.words}. {names} fail on it: '{victim.quote[:160]}'")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": item.culprit.kind, "namespace": item.culprit.namespace, "name": item.culprit.name},
            "reason": "SharedResourceCapped" if item.capped else "SharedResourceConsumed", "message": message,
            "evidence": [f"victim {v}" for v in item.victims],
            "details": {"resource": victim.resource.name, "nodes": item.nodes, "at": when,
                        "victims": [str(v) for v in item.victims], "capped": item.capped}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The culprit of each shared resource run out; it explains its victims."""
    return [(item.culprit, finding(item), list(dict.fromkeys(item.evidence)), item.victims) for item in found(facts)]
