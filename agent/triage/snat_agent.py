"""A node networking agent's SNAT/masquerade setting turned off: pods on nodes without a NAT lose the outside.

Pod addresses are private; traffic to the internet must be source-NATed somewhere. The CNI agent on every node does
it unless told another device will: the AWS VPC CNI's `AWS_VPC_K8S_CNI_EXTERNALSNAT=true` (aws-node DaemonSet) leaves
SNAT to a NAT gateway, Cilium's `enable-ipv4-masquerade: "false"` (cilium-config), Calico's
`CALICO_IPV4POOL_NAT_OUTGOING=false` / `natOutgoing: false`, an ip-masq-agent config whose `nonMasqueradeCIDRs`
holds `0.0.0.0/0`, the VPC CNI's `AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS` holding it. Written cluster-wide, it harms only
the nodes whose subnet has no such device (a public subnet routed straight to an internet gateway, an edge node
group, a zone whose NAT route is missing): their pods' calls leave with a private source address and nothing comes
back (timeouts), while pods on the other nodes keep working. The question names that node; the victims' logs say
only "timed out".

`read` (reading only), when the incident names a node (or a pod failing outbound does) and a DaemonSet or ConfigMap
was written in the `LEAD` before: the written objects (their env and data), the nodes, the pods on the named node
and a few of their logs. `found` names the write when its setting (named by the write, or the write names no field)
turns SNAT off now, and a pod on the node fails outbound; the finding says what the setting means and which labels
set the node apart from the others (its subnet tier, node group, zone). A write that turns SNAT on, a setting that
does not govern SNAT, or a node whose pods do not fail is not named.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from agent.triage import node_exhaustion
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.outbound import lines
from agent.triage.pool_nat import OUTBOUND
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.snat_off"
WEIGHT = 0.94
"""Above the timeouts it explains and a rollout nearby: the agent's setting says why the node's pods get no answer."""
STORE = "snat_agent"
LEAD = timedelta(hours=24)
MAX_OBJECTS = 3
MAX_NODES = 12
MAX_LOGS = 10
"""Pods of the node whose logs are read, one per workload: a node runs many quiet pods beside the few calling out."""
MAX_FAILING = 2
_KINDS = ("DaemonSet", "ConfigMap")
_EVERYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class Setting:
    """A setting that decides whether the node's agent source-NATs pod traffic leaving the cluster network."""

    key: str
    """Normalised (lower case, `_` for `-`)."""
    off: Callable[[str], bool]
    """Whether a value turns SNAT off."""
    meaning: str


def _true(v: str) -> bool:
    return v.strip().strip("'\"").lower() == "true"


def _false(v: str) -> bool:
    return v.strip().strip("'\"").lower() == "false"


def _everywhere(v: str) -> bool:
    return any(c in v for c in _EVERYWHERE)


SETTINGS = (
    Setting("aws_vpc_k8s_cni_externalsnat", _true,
            "the VPC CNI no longer SNATs pod traffic leaving the VPC and leaves it to an external NAT device"),
    Setting("aws_vpc_k8s_cni_exclude_snat_cidrs", _everywhere,
            "the VPC CNI SNATs no destination, leaving pod traffic to an external NAT device"),
    Setting("enable_ipv4_masquerade", _false, "Cilium no longer masquerades pod traffic leaving the cluster"),
    Setting("enable_bpf_masquerade", _false, "Cilium no longer masquerades pod traffic leaving the cluster"),
    Setting("masquerade", _false, "the agent no longer masquerades pod traffic leaving the cluster"),
    Setting("calico_ipv4pool_nat_outgoing", _false, "Calico's pool no longer NATs pod traffic going out"),
    Setting("natoutgoing", _false, "Calico's pool no longer NATs pod traffic going out"),
    Setting("nonmasqueradecidrs", _everywhere,
            "ip-masq-agent masquerades no destination: pod traffic leaves with the pod's own address"),
)


def _norm(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def setting_of(key: str) -> Setting | None:
    """The SNAT setting `key` is (an env name, a ConfigMap key, a config file's field), or None."""
    return next((s for s in SETTINGS if _norm(key) == s.key), None)


def values(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, value) pairs an object sets now: a DaemonSet's containers' env values, a ConfigMap's keys and the fields
    of the YAML/JSON files it holds (an ip-masq-agent `config`)."""
    out: list[tuple[str, str]] = []
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        out += [(str(e.get("name")), str(e.get("value"))) for e in (c or {}).get("env") or []
                if isinstance(e, dict) and "value" in e]
    for key, value in (obj.get("data") or {}).items():
        out.append((str(key), str(value)))
        try:
            body = yaml.safe_load(str(value))
        except yaml.YAMLError:
            continue
        if isinstance(body, dict):
            out += [(str(k), str(v)) for k, v in body.items()]
    return out


def snat_off(obj: dict[str, Any], written: str) -> list[tuple[Setting, str, str]]:
    """(setting, key, value) of the SNAT settings an object now turns off, among those the write's text names (all
    of them when it names none)."""
    found: list[tuple[Setting, str, str]] = []
    low = written.lower().replace("-", "_")
    for key, value in values(obj):
        s = setting_of(key)
        if s is None or not s.off(value):
            continue
        if _norm(key) in low or not re.search(r"\benv\b|\bdata\b|\bspec\.", written):
            found.append((s, key, value))
    return found


def _text(change: dict[str, Any]) -> str:
    return " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])


def _rows(got: Any, key: str) -> list[dict[str, Any]]:
    data = got.data if got is not None and got.ok and isinstance(got.data, dict) else {}
    return [r for r in data.get(key) or [] if isinstance(r, dict) and r.get("name")]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: the written agents' objects, the nodes, the named node's pods and a few of their logs."""
    if STORE in facts.reads:
        return
    writes = [(c, e, r) for c, e, r in facts.writes_to(_KINDS, within=LEAD, deletions=False)
              if re.search(r"snat|masq|nat.?outgoing", _text(c), re.I) or not re.search(r"\benv\b|\bdata\b", _text(c))]
    tokens = node_exhaustion._tokens(subject)
    failing = lines(facts, OUTBOUND)
    if not writes or not (tokens or failing):
        return
    kept: dict[str, Any] = facts.reads.setdefault(STORE, {"objects": {}, "nodes": {}, "named": "", "logs": {}})
    for _, _, ref in writes[:MAX_OBJECTS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-snat-{ref.kind}-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)] = {"object": got[0], "evidence": got[1]}
    if not any(snat_off(o["object"], "") for o in kept["objects"].values()):
        return
    names = [str(r["name"]) for r in _rows(await call("k8s_nodes", {}, "survey-snat-nodes"), "nodes")]
    for name in names[:MAX_NODES]:
        got = await get_yaml(call, "Node", name, "", f"survey-snat-node-{name}")
        if got is not None:
            kept["nodes"][name] = (got[0].get("metadata") or {}).get("labels") or {}
    named = next((n for n in (node_exhaustion._node_of(t, names) for t in tokens) if n), "")
    if not named and failing:
        pod = await get_yaml(call, "Pod", failing[0].pod, failing[0].namespace, f"survey-snat-pod-{failing[0].pod}")
        named = str(((pod or ({}, ""))[0].get("spec") or {}).get("nodeName") or "")
    kept["named"] = named
    if not named:
        return
    on_node = _rows(await call("k8s_list", {"kind": "Pod", "field_selector": f"spec.nodeName={named}"},
                               f"survey-snat-pods-{named}"), "rows")
    read_logs = {line.pod: line for line in failing}
    seen: set[tuple[str, str]] = set()
    for row in on_node:
        ns, name = str(row.get("namespace") or ""), str(row["name"])
        workload = (ns, workload_of_pod(name))
        if ns == "kube-system" or workload in seen or len(kept["logs"]) >= MAX_LOGS \
                or sum(1 for v in kept["logs"].values() if v["said"]) >= MAX_FAILING:
            continue
        seen.add(workload)
        if name in read_logs:
            kept["logs"][name] = {"ns": ns, "said": read_logs[name].text, "evidence": read_logs[name].evidence}
            continue
        logs = await call("k8s_logs", {"name": name, "namespace": ns, "tail": 200}, f"survey-snat-logs-{name}")
        text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
        said = next((ln.strip() for ln in text.splitlines() if OUTBOUND.search(ln)), "")
        kept["logs"][name] = {"ns": ns, "said": said, "evidence": getattr(logs, "evidence_id", "")}


# ---- judging (rank) ---------------------------------------------------------------------------


@dataclass
class SnatOff:
    """An agent write that turned SNAT off, and the named node whose pods now time out going out."""

    target: Ref
    change: dict[str, Any]
    setting: Setting
    key: str
    value: str
    node: str
    apart: list[str]
    pod: str
    said: str
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def apart(node: str, nodes: dict[str, dict[str, str]]) -> list[str]:
    """`key=value` labels of `node` that no other node carries with that value (its subnet tier, group, zone):
    what sets it apart, where a cluster-wide setting has another effect. Per-node identity labels left out."""
    mine = nodes.get(node) or {}
    others = [labels for name, labels in nodes.items() if name != node]
    if not others:
        return []
    out = [f"{k}={v}" for k, v in mine.items()
           if not any(o.get(k) == v for o in others) and not re.search(r"hostname|instance-id|/name$", k)
           and str(v) not in node]
    return sorted(out, key=lambda kv: not re.search(r"subnet|public|private|edge|group|pool|tier", kv, re.I))


def found(facts: Facts) -> list[SnatOff]:
    """Each written agent object turning SNAT off, in LEAD before the incident, when a pod on the named node fails
    outbound."""
    kept = facts.reads.get(STORE)
    if not isinstance(kept, dict) or not kept.get("named"):
        return []
    failing = {p: v for p, v in (kept.get("logs") or {}).items() if v.get("said")}
    if not failing:
        return []
    node: str = kept["named"]
    out: list[SnatOff] = []
    for change, evidence, ref in facts.writes_to(_KINDS, within=LEAD, deletions=False):
        got = (kept.get("objects") or {}).get(str(ref))
        if got is None or any(o.target.same_object(ref) for o in out):
            continue
        offs = snat_off(got["object"], _text(change))
        if not offs:
            continue
        setting, key, value = offs[0]
        pod = next(iter(failing))
        ids = [e for e in (evidence, got.get("evidence"), failing[pod].get("evidence")) if e]
        out.append(SnatOff(ref, change, setting, key, value, node, apart(node, kept.get("nodes") or {}), pod,
                           str(failing[pod]["said"]), [Ref("", str(failing[p]["ns"]), workload_of_pod(p))
                                                       for p in failing], ids))
    return out


def finding(s: SnatOff, at: datetime) -> dict[str, Any]:
    """The agent's finding: the setting and what it means first, then why that node, then the victim's words."""
    when = parse_time(s.change.get("at"))
    ago = f", {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    why = (f"node {s.node} differs from the others ({', '.join(s.apart[:3])}): where its subnet has no NAT route "
           f"(a public subnet, an edge group), nothing SNATs its pods' traffic"
           if s.apart else f"node {s.node}'s subnet has no NAT device of its own")
    message = (f"{s.target} was written to set {s.key}={s.value}{ago}: {s.setting.meaning} (SNAT off). {why}, so "
               f"its pods' outbound calls leave with private source addresses and time out; pods on nodes behind a "
               f"NAT keep working. {s.pod} on {s.node}: '{s.said[:160]}'. Set {s.key} back (or give that node "
               f"group's subnet a NAT route)")
    return {"check": CHECK, "severity": "critical", "reason": "NodeAgentSnatOff",
            "object": {"kind": s.target.kind, "namespace": s.target.namespace, "name": s.target.name},
            "message": message, "evidence": [s.said[:200]],
            "details": {"node": s.node, "setting": s.key, "value": s.value, "apart": s.apart}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The agent's DaemonSet or ConfigMap; it explains the node's pods that time out going out."""
    return [(s.target, finding(s, facts.at), s.evidence, s.victims) for s in found(facts)]
