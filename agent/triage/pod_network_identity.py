"""A per-pod network identity written shortly before: the pods created after it fail outbound, the older ones work.

Some CNIs give a pod its own network identity at creation: AWS VPC CNI's security groups for pods (a
SecurityGroupPolicy whose `podSelector` / `serviceAccountSelector` matches the pod makes the VPC resource
controller attach a branch ENI carrying only `spec.securityGroups.groupIds`, recorded on the pod as the
`vpc.amazonaws.com/pod-eni` annotation), or a per-pod network attachment (Multus' `k8s.v1.cni.cncf.io/networks`,
Calico's `cni.projectcalico.org/ipv4pools`). The identity is fixed when the pod is created: pods that existed before
the write keep the node's security groups; pods created after it (a rollout, an HPA scale-up, a rescheduled pod)
get the new one. When the destination (an RDS security group, a firewall, a peer's allow-list) does not admit the
new identity, only the new pods time out connecting, while the old replicas of the same workload keep working.
The victims' log says `Connect timed out` to the database; nothing of their own changed.

For the annotation-picked objects (a Multus NetworkAttachmentDefinition, a Calico IPPool, a Cilium CiliumPodIPPool)
"selects" means the pod's annotation names the object (a NAD in another namespace by `ns/name`).

The identity object is named when it was written (within `LEAD`) before the first failure, it selects the failing
pods (matchLabels/matchExpressions over the pod's labels, or its ServiceAccount's), every failing pod was created
after the write, and the split is visible: replicas created before the write do not fail, or the failing pods
carry the identity annotation the others lack. An object selecting other pods, failing pods older than the write
(the identity cannot explain them), or every replica failing alike is not named.

`read` (reading only, when pods fail to connect outward and such an object was written): the workload's pods
(their creation, labels, annotations), the written objects, the ServiceAccount a selector needs, and the logs of the
replicas the survey did not read; `found` is pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.outbound import Line, lines, selects
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.pod_network_identity"
WEIGHT = 0.94
"""Above the connect timeouts it explains and the rollouts nearby (which only created the pods that got it)."""
RECORD = "pod_network_identity"
LEAD = timedelta(hours=48)
"""Pods keep the identity they were created with, so the write may precede the first new pod by hours."""
SLACK = timedelta(minutes=2)
MAX_PODS = 8
MAX_OBJECTS = 3

NAMED_BY = {"networkattachmentdefinition": "k8s.v1.cni.cncf.io/networks",
            "ippool": "cni.projectcalico.org/ipv4pools",
            "ciliumpodippool": "ipam.cilium.io/ip-pool"}
"""Identity objects a pod picks by NAME in an annotation, read by the CNI only when the pod is created: a Multus
NetworkAttachmentDefinition (`networks: "ns/name@eth1"` or a JSON list of `{"name", "namespace"}`), a Calico
IPPool (`ipv4pools: '["pool"]'`), a Cilium multi-pool IPAM CiliumPodIPPool (`ip-pool: pool`)."""
KINDS = frozenset({"securitygrouppolicy", *NAMED_BY})
"""Kinds that fix a pod's network identity when it is created (AWS VPC CNI security groups for pods, and the
annotation-picked attachments and pools above)."""
IDENTITY_ANNOTATIONS = ("vpc.amazonaws.com/pod-eni", "k8s.v1.cni.cncf.io/networks", "cni.projectcalico.org/ipv4pools")
"""Pod annotations that record the per-pod identity the CNI gave it (branch ENI, extra attachment, address pool)."""
CONNECT = re.compile(r"connect(?:ion)? ?(?:attempt )?time[ds]? ?out|timed out|i/o timeout|ETIMEDOUT|"
                     r"SocketTimeoutException|ConnectTimeout|no route to host|EHOSTUNREACH|"
                     r"connection attempt failed|could not connect|connection refused", re.I)


@dataclass
class Split:
    """An identity object written before the failures of the pods created after it."""

    target: Ref
    change: dict[str, Any]
    line: Line
    failing: list[str]
    healthy: list[str]
    groups: list[str]
    annotated: bool
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _pods_of(rows: Any, workload: str) -> list[str]:
    return [str(r["name"]) for r in rows if isinstance(r, dict) and r.get("name")
            and workload_of_pod(str(r["name"])) == workload]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a pod fails to connect outward and an identity object was written: the workload's
    pods, the written objects, the ServiceAccounts a selector needs, and the unread replicas' logs."""
    if RECORD in facts.reads:
        return
    seen, writes = lines(facts, CONNECT), facts.writes_to(KINDS)
    if not seen or not writes:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}, "pods": {}, "logs": {}})

    async def keep(ref: Ref) -> dict[str, Any] | None:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-pod-identity-{ref.kind}-{ref.name}")
        if got is None:
            return None
        kept["objects"][str(ref)] = got[0]
        kept["evidence"][str(ref)] = got[1]
        return got[0]

    for _, _, ref in writes[:MAX_OBJECTS]:
        await keep(ref)
    first = seen[0]
    workload = workload_of_pod(first.pod)
    listed = await call("k8s_list", {"kind": "Pod", "namespace": first.namespace},
                        f"survey-pod-identity-pods-{first.namespace}")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    read_logs = {log.pod for log in facts.logs}
    for name in _pods_of(rows, workload)[:MAX_PODS]:
        pod = await keep(Ref("Pod", first.namespace, name))
        if pod is None:
            continue
        kept["pods"][name] = pod
        account = str((pod.get("spec") or {}).get("serviceAccountName") or "default")
        if str(Ref("ServiceAccount", first.namespace, account)) not in kept["objects"]:
            await keep(Ref("ServiceAccount", first.namespace, account))
        if name not in read_logs:
            got = await call("k8s_logs", {"name": name, "namespace": first.namespace, "tail": 300,
                                          "budget_tokens": 1500}, f"survey-pod-identity-logs-{name}")
            text = str(getattr(got, "full_text", "") or "") if got is not None and got.ok else ""
            kept["logs"][name] = bool(CONNECT.search(text)) if got is not None and got.ok else None


def _created(pod: dict[str, Any]) -> datetime | None:
    return parse_time((pod.get("metadata") or {}).get("creationTimestamp"))


def named_in(value: str, namespace: str) -> set[str]:
    """The `namespace/name` objects an identity annotation names: a JSON list (of names, or of Multus
    `{"name", "namespace"}` entries) or a comma list of `[ns/]name[@iface]`; the pod's namespace by default."""
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = [v.strip() for v in value.split(",") if v.strip()]
    out: set[str] = set()
    for item in parsed if isinstance(parsed, list) else [parsed]:
        if isinstance(item, dict):
            out.add(f"{item.get('namespace') or namespace}/{item.get('name') or ''}")
            continue
        text = str(item).split("@")[0]
        out.add(text if "/" in text else f"{namespace}/{text}")
    return out


def _named(ref: Ref, pod: dict[str, Any]) -> bool:
    """Whether the pod's identity annotation names this object (a cluster-scoped pool by its name alone)."""
    meta = pod.get("metadata") or {}
    value = str((meta.get("annotations") or {}).get(NAMED_BY[ref.kind.lower()]) or "")
    names = named_in(value, str(meta.get("namespace") or "")) if value else set()
    return any(n.split("/", 1)[1] == ref.name and (not ref.namespace or n.split("/", 1)[0] == ref.namespace)
               for n in names)


def _selects(obj: dict[str, Any], pod: dict[str, Any], account: dict[str, Any] | None,
             ref: Ref | None = None) -> bool | None:
    if ref is not None and ref.kind.lower() in NAMED_BY:
        return _named(ref, pod)
    spec = obj.get("spec") or {}
    verdicts = []
    if "podSelector" in spec:
        verdicts.append(selects(spec["podSelector"], (pod.get("metadata") or {}).get("labels") or {}))
    if "serviceAccountSelector" in spec:
        labels = ((account or {}).get("metadata") or {}).get("labels") or {}
        verdicts.append(selects(spec["serviceAccountSelector"], labels) if account is not None else None)
    if not verdicts:
        return None
    return False if False in verdicts else (None if None in verdicts else True)


def _annotated(pod: dict[str, Any], ref: Ref | None = None) -> bool:
    """Whether the pod carries the identity the CNI gave it; for an annotation-picked object, that it names it."""
    if ref is not None and ref.kind.lower() in NAMED_BY:
        return _named(ref, pod)
    notes = (pod.get("metadata") or {}).get("annotations") or {}
    return any(notes.get(a) for a in IDENTITY_ANNOTATIONS)


def found(facts: Facts) -> list[Split]:
    """Each identity object written before the failures, selecting the failing pods, all created after it."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict) or not kept.get("pods"):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    pods: dict[str, dict[str, Any]] = kept["pods"]
    failing_lines = {ln.pod: ln for ln in lines(facts, CONNECT)}
    failing = [p for p in pods if p in failing_lines or kept["logs"].get(p) is True]
    healthy = [p for p in pods if p not in failing and kept["logs"].get(p) is False]
    if not failing:
        return []
    line = failing_lines.get(failing[0]) or next(iter(failing_lines.values()))
    first = min((ln.first for ln in failing_lines.values() if ln.first), default=facts.at)
    out: list[Split] = []
    for change, evidence, ref in facts.writes_to(KINDS):
        at = parse_time(change.get("at"))
        obj = objects.get(str(ref))
        picked = ref.kind.lower() in NAMED_BY
        if at is None or obj is None or not first - LEAD <= at <= first + SLACK or \
                (ref.namespace and ref.namespace != line.namespace and not picked):
            continue

        def account(name: str) -> dict[str, Any] | None:
            sa = str((pods[name].get("spec") or {}).get("serviceAccountName") or "default")
            return objects.get(str(Ref("ServiceAccount", line.namespace, sa)))

        if not all(_selects(obj, pods[p], account(p), ref) is True for p in failing):
            continue
        if not all((c := _created(pods[p])) is not None and c >= at for p in failing):
            continue
        older_healthy = [p for p in healthy if (c := _created(pods[p])) is not None and c < at]
        annotated = all(_annotated(pods[p], ref) for p in failing) and \
            not any(_annotated(pods[p], ref) for p in healthy)
        if not older_healthy and not annotated:
            continue
        groups = [str(g) for g in ((obj.get("spec") or {}).get("securityGroups") or {}).get("groupIds") or []]
        victim = Ref("", line.namespace, workload_of_pod(line.pod))
        ids = [e for e in (evidence, line.evidence, kept["evidence"].get(str(ref))) if e]
        out.append(Split(ref, change, line, failing, older_healthy, groups, annotated, [victim], ids))
    return out


def finding(split: Split, at: datetime) -> dict[str, Any]:
    """The identity object's finding: what it gives the new pods first (the headline is cut), then the split."""
    when = parse_time(split.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    victim = split.victims[0] if split.victims else split.line.pod
    if split.target.kind.lower() in NAMED_BY:
        return _picked_finding(split, ago, victim)
    groups = ", ".join(split.groups) or "its security groups"
    eni = " (their vpc.amazonaws.com/pod-eni annotation)" if split.annotated else ""
    older = f"; the replicas created before it ({', '.join(split.healthy[:3])}) keep the node's groups and work" \
        if split.healthy else ""
    message = (f"{split.target} (written{ago}) gives the {victim} pods created after it a branch ENI{eni} with only "
               f"security group {groups}, which the destination does not admit: those pods "
               f"({', '.join(split.failing[:3])}) time out connecting{older}. Their log: '{split.line.text[:200]}'. "
               f"Admit {groups} in the destination's security group (or add the node/cluster security group to "
               f"the SecurityGroupPolicy) and recreate the pods")
    return {"check": CHECK, "severity": "critical", "reason": "PodNetworkIdentityRefused",
            "object": {"kind": split.target.kind, "namespace": split.target.namespace, "name": split.target.name},
            "message": message, "evidence": [split.line.text[:200]],
            "details": {"failing_pods": split.failing, "older_healthy_pods": split.healthy, "groups": split.groups}}


def _picked_finding(split: Split, ago: str, victim: Ref | str) -> dict[str, Any]:
    """An annotation-picked attachment or pool: the new pods got the written version of it, the old ones not."""
    note = NAMED_BY[split.target.kind.lower()]
    what = "secondary network attachment (Multus)" if "networks" in note else "pod address pool"
    older = f"; the replicas created before it ({', '.join(split.healthy[:3])}) keep the old one and work" \
        if split.healthy else ""
    message = (f"{split.target} (written{ago}) gives the {victim} pods created after it a new per-pod network "
               f"identity, the {what} their {note} annotation names, which the destination does not admit "
               f"(or route): those pods ({', '.join(split.failing[:3])}) time out connecting{older}. Their log: "
               f"'{split.line.text[:200]}'. Revert the {split.target.kind} (or admit its addresses at the "
               "destination) and recreate the pods")
    return {"check": CHECK, "severity": "critical", "reason": "PodNetworkIdentityRefused",
            "object": {"kind": split.target.kind, "namespace": split.target.namespace, "name": split.target.name},
            "message": message, "evidence": [split.line.text[:200]],
            "details": {"failing_pods": split.failing, "older_healthy_pods": split.healthy, "annotation": note}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The identity object that the new pods got; it explains their connect failures."""
    return [(s.target, finding(s, facts.at), s.evidence, s.victims) for s in found(facts)]
