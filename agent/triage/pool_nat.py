"""A pod network config that applies to some nodes only, written shortly before their pods lost the outside world.

A CNI can give the pods of a node subset a different address pool or datapath setting: a Calico IPPool's
`nodeSelector`, a Cilium CiliumNodeConfig's `nodeSelector` with per-node agent settings, an AWS VPC CNI ENIConfig
picked by a node's `k8s.amazonaws.com/eniConfig` label (or its zone). A new pool whose addresses the underlying
network does not route, with outgoing NAT off (Calico `natOutgoing: false`, which is also the field's default;
Cilium `enable-ipv4-masquerade: "false"`), sends the pods' packets to the internet with their own source address
and no SNAT: nothing comes back. Pods on the selected nodes still talk in-cluster, but every call outside times out
(`ConnectTimeout`, `i/o timeout`), while the same workloads on other nodes are fine; a node's blackbox probe to the
internet drops. The victims' logs say only "timed out"; the cause is the node-scoped config.

The object is named when it was written (within `LEAD`) before the failures, it selects the node whose pods fail
(the node the incident names, or the node of a pod failing outbound) and not every node, and either its content
turns outbound NAT off or the failing pods' addresses come from its CIDR. A config selecting other nodes, one
selecting every node alike (not a difference of that node), or one with NAT on whose pods are not the failing
ones is not named.

`read` (reading only, when a node is named or a pod fails outbound, and such an object was written): the written
objects, the nodes, the pods on the node and the logs of a few of them; `found` is pure over what was read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import calico_selector, node_exhaustion
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.outbound import lines, selects
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.pool_nat"
WEIGHT = 0.94
"""Above the timeouts it explains and the rollouts nearby: the node-scoped config says why only that node fails."""
RECORD = "pool_nat"
LEAD = timedelta(hours=24)
"""New nodes join a node-scoped pool over hours (autoscaling), so the write may precede the first victim a while."""
MAX_OBJECTS = 3
MAX_NODES = 12
MAX_LOGS = 3

KINDS = frozenset({"ippool", "ciliumnodeconfig", "eniconfig"})
OUTBOUND = re.compile(r"connect(?:ion)? ?time[ds]? ?out|ConnectTimeout|timed out|i/o timeout|ETIMEDOUT|"
                      r"no route to host|EHOSTUNREACH|network is unreachable|ENETUNREACH|deadline exceeded|"
                      r"OpenTimeout|did not properly respond after a period of time|host is unreachable", re.I)
"""Outbound calls that never got an answer, in clients' own wordings: Python ConnectTimeout, Go i/o timeout, Node
ETIMEDOUT, Java `connect timed out` / NoRouteToHostException, Ruby `Net::OpenTimeout`, .NET on Windows (10060
"did not properly respond after a period of time") and Linux `Connection timed out (<host>:443)`."""
_ENI_LABELS = ("k8s.amazonaws.com/eniConfig", "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


@dataclass
class Pooled:
    """A node-scoped pod network config written before the pods on its nodes lost outbound traffic."""

    target: Ref
    change: dict[str, Any]
    node: str
    others: list[str]
    how: str
    cidr: str
    said: str
    pod: str
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _rows(got: Any, key: str) -> list[dict[str, Any]]:
    data = got.data if got is not None and got.ok and isinstance(got.data, dict) else {}
    return [r for r in data.get(key) or [] if isinstance(r, dict) and r.get("name")]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a node-scoped pod network config was written and a node is named or a pod fails
    outbound: the configs, every node, the pods on the suspect node and a few of their logs."""
    if RECORD in facts.reads:
        return
    writes = facts.writes_to(KINDS)
    tokens = node_exhaustion._tokens(subject)
    failing = lines(facts, OUTBOUND)
    if not writes or not (tokens or failing):
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}, "nodes": {},
                                                           "named": "", "pods": {}, "logs": {}})
    for _, _, ref in writes[:MAX_OBJECTS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-pool-nat-{ref.kind}-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)] = got[0]
            kept["evidence"][str(ref)] = got[1]
    names = [str(r["name"]) for r in _rows(await call("k8s_nodes", {}, "survey-pool-nat-nodes"), "nodes")]
    for name in names[:MAX_NODES]:
        got = await get_yaml(call, "Node", name, "", f"survey-pool-nat-node-{name}")
        if got is not None:
            kept["nodes"][name] = got[0]
    named = next((n for n in (node_exhaustion._node_of(t, names) for t in tokens) if n), "")
    if not named and failing:
        pod = await get_yaml(call, "Pod", failing[0].pod, failing[0].namespace, f"survey-pool-nat-pod-{failing[0].pod}")
        named = str(((pod or ({}, ""))[0].get("spec") or {}).get("nodeName") or "")
    kept["named"] = named
    if not named:
        return
    on_node = _rows(await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={named}"},
                               f"survey-pool-nat-pods-{named}"), "rows")
    read_logs = {log.pod: log for log in facts.logs}
    for row in on_node:
        ns, name = str(row.get("namespace") or ""), str(row["name"])
        if ns == "kube-system" or len(kept["logs"]) >= MAX_LOGS:
            continue
        got = await get_yaml(call, "Pod", name, ns, f"survey-pool-nat-pod-{name}")
        if got is None:
            continue
        kept["pods"][name] = got[0]
        if name in read_logs:
            entries = read_logs[name].entries()
            hit = next((str(e.get("example") or e.get("message")) for e in entries
                        if OUTBOUND.search(str(e.get("example") or e.get("message") or ""))), "")
            kept["logs"][name] = {"said": hit, "evidence": read_logs[name].evidence_id}
            continue
        logs = await call("k8s_logs", {"name": name, "namespace": ns, "tail": 200, "budget_tokens": 1500},
                          f"survey-pool-nat-logs-{name}")
        text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
        said = OUTBOUND.search(text)
        line = text[text.rfind("\n", 0, said.start()) + 1:(text.find("\n", said.end()) + 1 or len(text) + 1) - 1] \
            if said else ""
        kept["logs"][name] = {"said": line.strip(), "evidence": getattr(logs, "evidence_id", "")}


def applies(kind: str, obj: dict[str, Any], node: dict[str, Any]) -> bool | None:
    """Whether a node-scoped config applies to a node (None: cannot say)."""
    meta = node.get("metadata") or {}
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    spec = obj.get("spec") or {}
    if kind == "ippool":
        try:
            return calico_selector.matches(str(spec.get("nodeSelector") or "all()"), labels)
        except calico_selector.SelectorError:
            return None
    if kind == "ciliumnodeconfig":
        return selects(spec.get("nodeSelector") or {}, labels)
    name = str((obj.get("metadata") or {}).get("name") or "")
    notes = meta.get("annotations") or {}
    return any(labels.get(k) == name or notes.get(k) == name for k in _ENI_LABELS)


def _nat_off(kind: str, obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    if kind == "ippool" and not spec.get("natOutgoing"):
        return "natOutgoing: false"
    defaults = spec.get("defaults") or {}
    for key in ("enable-ipv4-masquerade", "enable-bpf-masquerade", "masquerade"):
        if str(defaults.get(key, "")).lower() == "false":
            return f"{key}: false"
    return ""


def _cidr(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    return str(spec.get("cidr") or spec.get("subnet") or "")


def _inside(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def found(facts: Facts) -> list[Pooled]:
    """Each node-scoped config written before the node's pods failed outbound, applying there and not everywhere."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict) or not kept.get("named"):
        return []
    node_name: str = kept["named"]
    nodes: dict[str, dict[str, Any]] = kept.get("nodes") or {}
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    failing = {p: v for p, v in (kept.get("logs") or {}).items() if v.get("said")}
    if node_name not in nodes or not failing:
        return []
    out: list[Pooled] = []
    for change, evidence, ref in facts.writes_to(KINDS):
        at = parse_time(change.get("at"))
        obj = objects.get(str(ref))
        kind = ref.kind.lower()
        if at is None or obj is None or not facts.at - LEAD <= at <= facts.at:
            continue
        if applies(kind, obj, nodes[node_name]) is not True:
            continue
        others = [n for n, node in nodes.items() if n != node_name and applies(kind, obj, node) is False]
        if not others:
            continue
        cidr = _cidr(obj)
        pods = kept.get("pods") or {}
        inside = [p for p in failing if _inside(str((pods.get(p, {}).get("status") or {}).get("podIP") or ""), cidr)]
        how = _nat_off(kind, obj)
        if not how and not inside:
            continue
        pod = (inside or list(failing))[0]
        pod_ns = str((pods.get(pod, {}).get("metadata") or {}).get("namespace") or "")
        victim = Ref("", pod_ns, workload_of_pod(pod))
        ids = [e for e in (evidence, kept["evidence"].get(str(ref)), failing[pod].get("evidence")) if e]
        out.append(Pooled(ref, change, node_name, others, how, cidr, str(failing[pod]["said"]), pod, [victim], ids))
    return out


def finding(pooled: Pooled, at: datetime) -> dict[str, Any]:
    """The config's finding: what it does to the node's pods first (the headline is cut), then the evidence."""
    when = parse_time(pooled.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    cidr = f" addresses from {pooled.cidr}" if pooled.cidr else " their addresses"
    if pooled.how:
        what = (f"with {pooled.how}: their traffic to anything outside the cluster leaves without SNAT (no outgoing "
                f"NAT / masquerade) from an address the network does not route back, so it never returns")
        fix = "set natOutgoing: true (masquerade on) for the pool, or route its CIDR"
    else:
        what = "that the other nodes' pods do not use, and their outbound traffic from it does not get out"
        fix = "give the node's pods a pool/subnet with a route out (a NAT) or revert the node-scoped config"
    message = (f"{pooled.target} (written{ago}) applies to node {pooled.node} and not to the others "
               f"({', '.join(pooled.others[:2])}): pods there get{cidr} {what}. {pooled.pod} on that node: "
               f"'{pooled.said[:200]}'. Pods on the nodes it does not select keep their NAT; {fix}. The write: "
               f"{'; '.join(str(d) for d in pooled.change.get('diff') or [])[:160]}")
    return {"check": CHECK, "severity": "critical", "reason": "NodePoolWithoutOutboundNat",
            "object": {"kind": pooled.target.kind, "namespace": pooled.target.namespace, "name": pooled.target.name},
            "message": message, "evidence": [pooled.said[:200]],
            "details": {"node": pooled.node, "cidr": pooled.cidr, "nat": pooled.how}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The node-scoped config that cut the node's pods off from outside; it explains their timeouts."""
    return [(p.target, finding(p, facts.at), p.evidence, p.victims) for p in found(facts)]
