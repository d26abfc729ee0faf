"""A change to the cluster's data path (CNI, kube-proxy) shortly before calls began to hang or time out.

Every packet between pods, and from pods to the outside, crosses what the node agents of a cluster
set up: the CNI plugin (aws-node, calico-node, cilium, flannel, antrea...) programs the pods'
interfaces (MTU, routes, source NAT), kube-proxy programs Service load balancing (iptables, IPVS).
Those agents run as DaemonSets, usually in a system namespace, configured by their env, args or a
ConfigMap. A change there touches every workload at once, yet nothing of the applications changed
and no scan check fires: the agent's pods are Running and Ready. What the applications see depends
on the setting: an interface MTU larger than the path allows (where ICMP is filtered, path-MTU
discovery fails) lets small replies through and stalls large ones until the socket times out; a
masquerade/SNAT switch changes the source address firewalls allow-list; a proxy mode rebuilds
every Service rule.

So when the incident's pods time out, hang or are reset (rather than refused or denied), a rollout
of such a DaemonSet, or an edit of the ConfigMap one reads, in the window before is a suspect,
named with the settings it changed (old -> new), ahead of the application's own rollout whose diff
only bumps an image: the application did not change the network its calls take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time

CHECK = "change.data_path"
WEIGHT = 0.85

WINDOW_BEFORE = timedelta(hours=6)
"""How far before the alert a change still counts (as agent.triage.rank.WINDOW_BEFORE)."""

HANG_CLASSES = frozenset({"connection_timeout", "upstream_reset", "no_route"})
"""Error classes of a call that got no answer, or lost it, rather than one that was refused."""

_HANG_WORDS = re.compile(
    r"timed? ?out|timeout|deadline exceeded|hang(?:s|ing)?\b|stall|no response|broken pipe|connection reset|"
    r"could not receive data|i/o timeout|\bEOF\b", re.I)
"""How clients and servers say a call hung or was cut (libpq, gunicorn's WORKER TIMEOUT, Go's net)."""

DATA_PATH_NAMES = re.compile(
    r"aws-node|vpc-cni|amazon-k8s-cni|calico|cilium|flannel|weave|antrea|kube-router|canal|kube-proxy|"
    r"kube-ovn|ovn|multus|azure-cni|azure-vnet|gke-.*netd|netd|anetd|ip-masq", re.I)
"""Names and images of the node agents that set up pod networking and Service load balancing."""

SETTING_WORDS = re.compile(
    r"mtu|masq|snat|nat\b|proxy[-_ ]?mode|ipvs|iptables|nftables|tunnel|vxlan|ipip|geneve|encap|bpf|"
    r"prefix|cidr|eni|mss|conntrack|routing|mode", re.I)
"""Setting names of a data-path agent that change how packets travel: listed first."""

SYSTEM_NAMESPACE = re.compile(r"^(?:kube-system|.*-system|tigera-operator|cilium|calico.*|kube-flannel)$")

_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"mtu|mss", re.I),
     "an MTU above what the path allows drops full-size packets where ICMP is filtered (VPN, firewall: no path-MTU "
     "discovery): small replies pass, large ones stall until timeout"),
    (re.compile(r"masq|snat|ip-masq|nat\b", re.I),
     "source NAT changed: traffic leaving the cluster arrives from another address, which firewalls may drop"),
    (re.compile(r"proxy[-_ ]?mode|ipvs|iptables|nftables|conntrack", re.I),
     "kube-proxy's mode or conntrack changed: every Service rule was rebuilt; connections may be cut"),
)
_GENERIC = "pods started since use the new network settings while the applications are unchanged"


@dataclass
class PathChange:
    """A data-path agent's change before the incident's calls hung, and the log that shows them hang."""

    change: dict[str, Any]
    target: Ref
    settings: list[str]
    """The diff's lines that change a setting (env, args, config keys), not only the image."""
    log: LogEvidence
    minutes_before: int


def _hung(log: LogEvidence) -> bool:
    if log.error_classes & HANG_CLASSES:
        return True
    said = [log.top or {}, *log.more]
    return any(_HANG_WORDS.search(str(e.get("message") or e.get("example") or e.get("template") or ""))
               for e in said if e)


def _data_path_agent(change: dict[str, Any]) -> Ref | None:
    """The DaemonSet (or the ConfigMap of one) a change edited, when it is a data-path agent of a system namespace."""
    target = Ref.of(change.get("object"))
    if target is None:
        return None
    kind = target.kind.lower()
    related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
    text = " ".join([target.name, str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    if kind == "daemonset" and SYSTEM_NAMESPACE.match(target.namespace or "") and DATA_PATH_NAMES.search(text):
        return target
    if kind == "configmap" and SYSTEM_NAMESPACE.match(target.namespace or "") and (
            DATA_PATH_NAMES.search(target.name) or any(r.kind.lower() == "daemonset" and
                                                       DATA_PATH_NAMES.search(r.name) for r in related)):
        return target
    return None


def _settings(change: dict[str, Any]) -> list[str]:
    """Diff lines that change how the agent configures packets (an image bump alone is not listed)."""
    lines = [str(d) for d in change.get("diff") or []]
    if str(change.get("type") or "") == "config":
        return lines
    settings = [d for d in lines if " image " not in f" {d} "]
    return sorted(settings, key=lambda d: SETTING_WORDS.search(d) is None)


def changes(facts: Facts) -> list[PathChange]:
    """Each data-path agent change in the window before the incident, when the incident's calls hang."""
    hung = next((log for log in facts.logs if log.top is not None and _hung(log)), None)
    if hung is None:
        return []
    out: list[PathChange] = []
    for change in facts.change_list():
        at: datetime | None = parse_time(change.get("at"))
        target = _data_path_agent(change)
        if at is None or target is None or not (facts.at - WINDOW_BEFORE <= at <= facts.at):
            continue
        settings = _settings(change)
        if not settings or any(p.target.same_object(target) for p in out):
            continue
        out.append(PathChange(change, target, settings, hung, int((facts.at - at).total_seconds() // 60)))
    return out


def finding(found: PathChange) -> dict[str, Any]:
    """The suspect's finding: the agent, the settings it changed (old -> new), and what that does to calls (the
    first 400 characters carry the facts: ranking quotes no more)."""
    said = "; ".join(found.settings[:2])
    joined = " ".join(found.settings)
    hint = next((text for pattern, text in _HINTS if pattern.search(joined)), _GENERIC)
    top = found.log.top or {}
    quote = str(top.get("example") or top.get("message") or "")[:160]
    message = (f"{found.target}, on every pod's network path, changed {found.minutes_before} min before the alert "
               f"({said}): {hint}")
    return {"check": CHECK, "severity": "critical", "object": found.change.get("object"),
            "reason": "DataPathChanged", "message": message,
            "evidence": [f"pod {found.log.pod}: {quote}",
                         "restore the setting (an add-on update that overwrites the DaemonSet drops custom env: set "
                         "it in the add-on's configuration) and recreate the pods started since"],
            "details": {"settings": found.settings[:5], "change_at": found.change.get("at"),
                        "failing_pod": found.log.pod}}
