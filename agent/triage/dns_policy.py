"""A DNS-aware egress policy written so that the names a workload calls are no longer allowed.

Some network policies allow egress by NAME rather than address. Cilium's DNS proxy enforces a policy's
`toPorts[].rules.dns` (`matchName` / `matchPattern`) on the lookups themselves: a name no rule matches is answered
REFUSED (or NXDOMAIN with `--tofqdns-dns-reject-response-code=nameError`), so the client never gets an address.
Its `toFQDNs` (and Calico's `destination.domains`) allow connections only to addresses learned for matching names,
so a connection to anything else is dropped. A policy narrowed to in-cluster names (`*.cluster.local`) or to an
exact list that misses a partner's host turns every call to that host into a resolver error in the caller's own
wording: Go's `lookup <host> on <ip>:53: server misbehaving`, glibc's `Temporary failure in name resolution`
(EAI_AGAIN), Node's `queryA EREFUSED <host>`, Java's `UnknownHostException`; or, for toFQDNs/domains, a
connect timeout to the host. The log reads like a DNS outage; the cause is the policy's name rule.

The policy is named when it was written (within `LEAD`) before the first failure, it selects the failing pod
(Cilium `endpointSelector`, a clusterwide policy's too, Calico `selector`, in the pod's namespace unless
clusterwide), and none of its name rules match the failing host (Cilium's pattern rules: `*` alone is every
name, `**.` any depth, otherwise `*` is one label's characters). A policy whose rules still match the host, one
selecting other pods, or one written after the failures began is not named.

`read` (reading only, when a pod's logs fail on a host name) fetches the written name-aware policies and the
failing pod; `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import calico_selector
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.outbound import Line, lines, pod_labels, selects
from agent.triage.subject import Subject, workload_of_pod

CHECK = "netpol.dns_names"
WEIGHT = 0.94
"""Above the resolver errors it explains (the victim's log line, a DNS hypothesis) and the rollouts nearby."""
RECORD = "dns_policy"
LEAD = timedelta(hours=6)
SLACK = timedelta(minutes=2)
MAX_OBJECTS = 4

KINDS = frozenset({"ciliumnetworkpolicy", "ciliumclusterwidenetworkpolicy", "networkpolicy",
                   "globalnetworkpolicy", "stagednetworkpolicy", "stagedglobalnetworkpolicy"})
CLUSTERWIDE = frozenset({"ciliumclusterwidenetworkpolicy", "globalnetworkpolicy", "stagedglobalnetworkpolicy"})

RESOLVE = re.compile(
    r"server misbehaving|no such host|\bREFUSED\b|EREFUSED|EAI_AGAIN|ENOTFOUND|SERVFAIL|NXDOMAIN|"
    r"temporary failure in name resolution|name or service not known|UnknownHost|could not (?:be )?resolved?|"
    r"failed to resolve|name resolution|\bbad address\b|can't resolve|no address associated with hostname|"
    r"dns (?:resolution|lookup|query) failed|resource temporarily unavailable \([^()\s]+:\d+\)", re.I)
"""Resolver failures in clients' own wordings: Go, glibc (EAI_AGAIN/EAI_NODATA), Node, Java, curl; musl/busybox
`bad address '<host>'` and `can't resolve`; nginx `<host> could not be resolved (5: Operation refused)`; .NET on
Linux `Resource temporarily unavailable (<host>:443)` (EAI_AGAIN) and Windows `No such host is known`; Envoy
`DNS resolution failed`."""
CONNECT = re.compile(r"time[ds]? ?out|timed out|deadline exceeded|connection refused|ECONNREFUSED|ETIMEDOUT", re.I)
_HOST = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})\b", re.I)
_NOT_HOST = re.compile(r"\.(?:java|py|go|js|ts|rb|class|json|yaml|log)$|^(?:java|javax|org|com|io|net)\.[a-z]+\.|"
                       r"^(?:system|microsoft|kotlin|scala|sun|android)\.", re.I)
_CODE = re.compile(r"[a-z][A-Z]")
"""A camelCase label (`HttpRequestException`, `UnknownHostException`) is a type name in a stack line, not a host."""


@dataclass
class Refused:
    """A name-aware policy written before a workload's lookups/calls of a host its rules no longer allow."""

    target: Ref
    change: dict[str, Any]
    line: Line
    host: str
    rules: list[str]
    dns: bool
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def hosts_of(text: str) -> list[str]:
    """The host names a log line names (URLs' hosts, `lookup <host>`), without code paths, files and IPs."""
    return list(dict.fromkeys(h.lower() for h in _HOST.findall(text) if not _NOT_HOST.search(h) and
                              not _CODE.search(h)))


def failures(facts: Facts) -> list[Line]:
    """Each pod's first resolver failure (or connect failure) that names a host."""
    return [ln for ln in lines(facts, re.compile(f"{RESOLVE.pattern}|{CONNECT.pattern}", re.I)) if hosts_of(ln.text)]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a pod fails to resolve or reach a named host: the written policies and that pod."""
    if RECORD in facts.reads:
        return
    seen, writes = failures(facts), facts.writes_to(KINDS)
    if not seen or not writes:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}})
    for ref in [Ref("Pod", seen[0].namespace, seen[0].pod), *(r for _, _, r in writes[:MAX_OBJECTS])]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-dns-policy-{ref.kind}-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)] = got[0]
            kept["evidence"][str(ref)] = got[1]


def name_rules(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(DNS proxy rules, connection name rules) of a policy's egress: Cilium `rules.dns` and `toFQDNs`, Calico
    `destination.domains`; each as a pattern (a matchName is its own pattern)."""
    spec = obj.get("spec") or {}
    specs = [spec, *(s for s in spec.get("specs") or [] if isinstance(s, dict))]
    dns: list[str] = []
    fqdn: list[str] = []
    for part in specs:
        for rule in part.get("egress") or []:
            if not isinstance(rule, dict):
                continue
            for port in rule.get("toPorts") or []:
                for entry in ((port or {}).get("rules") or {}).get("dns") or []:
                    dns.append(str(entry.get("matchName") or entry.get("matchPattern") or ""))
            for entry in rule.get("toFQDNs") or []:
                fqdn.append(str(entry.get("matchName") or entry.get("matchPattern") or ""))
            fqdn.extend(str(d) for d in (rule.get("destination") or {}).get("domains") or [])
    return [d for d in dns if d], [f for f in fqdn if f]


def allows(pattern: str, host: str) -> bool:
    """Whether a name rule allows a host: `*` alone is every name, a leading `**.` any depth of labels, `*`
    elsewhere the characters of one label (Cilium's documented pattern semantics)."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == "*":
        return True
    regex = re.escape(pattern).replace(r"\*\*\.", r"(?:[-a-z0-9_]+\.)+").replace(r"\*", r"[-a-z0-9_]*")
    return re.fullmatch(regex, host) is not None


def _selects(ref: Ref, obj: dict[str, Any], pod: dict[str, Any]) -> bool | None:
    spec = obj.get("spec") or {}
    labels = pod_labels(pod)
    ns = labels.get("io.kubernetes.pod.namespace", "")
    if ref.kind.lower() not in CLUSTERWIDE and ref.namespace and ref.namespace != ns:
        return False
    if "endpointSelector" in spec:
        return selects(spec["endpointSelector"], labels)
    if "selector" in spec and isinstance(spec.get("selector"), str):
        try:
            return calico_selector.matches(spec["selector"], {**labels, "projectcalico.org/namespace": ns})
        except calico_selector.SelectorError:
            return None
    return None


def found(facts: Facts) -> list[Refused]:
    """Each name-aware policy written before a failure whose host none of its rules allow."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    out: list[Refused] = []
    for line in failures(facts):
        pod = objects.get(str(Ref("Pod", line.namespace, line.pod))) or \
            {"metadata": {"name": line.pod, "namespace": line.namespace}}
        first = line.first or facts.at
        for change, evidence, ref in sorted(facts.writes_to(KINDS), key=lambda w: str(w[0].get("at")), reverse=True):
            at = parse_time(change.get("at"))
            obj = objects.get(str(ref))
            if at is None or obj is None or not first - LEAD <= at <= first + SLACK or \
                    any(r.target.same_object(ref) for r in out) or _selects(ref, obj, pod) is False:
                continue
            dns, fqdn = name_rules(obj)
            resolving = bool(RESOLVE.search(line.text))
            rules = dns if dns and resolving else fqdn
            if not rules:
                continue
            host = next((h for h in hosts_of(line.text) if not any(allows(p, h) for p in rules)), "")
            if not host or any(allows(p, host) for p in rules):
                continue
            victim = Ref("", line.namespace, workload_of_pod(line.pod))
            ids = [e for e in (evidence, line.evidence, kept.get("evidence", {}).get(str(ref))) if e]
            out.append(Refused(ref, change, line, host, rules, rules is dns, [victim], ids))
    return out


def finding(refused: Refused, at: datetime) -> dict[str, Any]:
    """The policy's finding: what its name rule does to the host first (the headline is cut), then the line."""
    when = parse_time(refused.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    victim = refused.victims[0] if refused.victims else refused.line.pod
    allowed = ", ".join(f"matchPattern {p}" if "*" in p else f"matchName {p}" for p in refused.rules[:4])
    if refused.dns:
        what = (f"its DNS rule now allows only {allowed}, so the DNS proxy answers REFUSED for {refused.host}: "
                f"{victim}'s lookups fail")
    else:
        what = (f"its name-based egress allow-list (toFQDNs / domains) now holds only {allowed}, so connections "
                f"to {refused.host} are dropped")
    message = (f"{refused.target} (written{ago}) refuses the names {victim} calls: {what}, as its log says: "
               f"'{refused.line.text[:220]}'. Add {refused.host} to the policy's DNS / FQDN rules (or restore the "
               f"broader matchPattern). The write: {'; '.join(str(d) for d in refused.change.get('diff') or [])[:160]}")
    return {"check": CHECK, "severity": "critical", "reason": "PolicyRefusesNames",
            "object": {"kind": refused.target.kind, "namespace": refused.target.namespace,
                       "name": refused.target.name},
            "message": message, "evidence": [refused.line.text[:200]],
            "details": {"host": refused.host, "rules": refused.rules, "dns_proxy": refused.dns}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The policy whose name rules refuse the host; it explains the workload's resolver (or connect) failures."""
    return [(r.target, finding(r, facts.at), r.evidence, r.victims) for r in found(facts)]
