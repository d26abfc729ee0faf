"""The source IP of a workload's egress changed, and an external service that allowlists source IPs refuses it.

Outbound traffic leaves a cluster from some address: the node's, a NAT gateway's, or an egress gateway's that a
policy pins. An egress-gateway object decides which: a CiliumEgressGatewayPolicy (`spec.selectors` pick the pods,
`spec.egressGateway.egressIP` / `nodeSelector` the gateway), an OVN-Kubernetes/OpenShift EgressIP
(`spec.egressIPs`, `namespaceSelector`/`podSelector`), an Antrea Egress (`spec.egressIP`, `appliedTo`), Calico's
EgressGatewayPolicy and the `egress.projectcalico.org/*` annotations. When such an object is written to move
the selected pods to another gateway or address, every partner that admits callers by source address (a payment
provider's IP allowlist, a SaaS API's trusted IPs, a database firewall) now refuses them: HTTP 403
`ip_not_allowed` / "IP not allowed" / "not whitelisted" / "Requests from <ip> are not permitted", or a reset.
The caller's own log shows the refusal and nothing of its own changed; the cause is the egress object.

The object is named when it was written (within `LEAD`) before the first such refusal, it selects the refused
pods (or says nothing this reader can evaluate) and, for a refusal without allowlist wording (a bare 403 or a
reset), the refusal names an address the object now holds. A refusal of the caller's credentials (401, an invalid
key), a policy selecting other pods, or one written after the refusals began is not named.

`read` (reading only, when a log shows such a refusal) fetches the written egress objects and one refused pod;
`found` is pure over what was read.
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
from agent.triage.outbound import Line, lines, pod_labels, selects
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.egress_source"
WEIGHT = 0.94
"""Above the refusal it explains (the victim's own log line) and the rollouts that only happened nearby."""
RECORD = "egress_source"
LEAD = timedelta(hours=6)
SLACK = timedelta(minutes=2)
MAX_OBJECTS = 4

ALLOWLIST = re.compile(
    r"ip[_ -]?not[_ -]?allowed|ip[_ -]?(?:address[_ -]?)?(?:not[_ -]?)?(?:whitelist|allowlist)|"
    r"not (?:on|in) (?:the |our |your )?(?:ip )?(?:allow|white)[- ]?list|not (?:allow|white)[- ]?listed|"
    r"(?:source|client|remote|caller|your)[ _-]?ip(?:[ _-]?address)?\b.{0,40}\b(?:not (?:allowed|permitted|"
    r"authori[sz]ed|trusted)|(?:is )?(?:denied|blocked|rejected))|"
    r"(?:requests?|connections?|access) from \d{1,3}(?:\.\d{1,3}){3}\b.{0,30}\bnot (?:permitted|allowed)|"
    r"IpDeniedAccess|ip[_ ]?(?:address[_ ]?)?(?:blocked|denied|forbidden|restricted)|"
    r"ip[_ -]?(?:address[_ -]?)?(?:not[_ -]?(?:on|in)[_ -]?(?:the[_ -]?)?)?(?:allow|access|white)[_ -]list|"
    r"\d{1,3}(?:\.\d{1,3}){3}['\"]?\s+is not (?:allowed|permitted|authori[sz]ed)\b|"
    r"(?:client|host|caller) with ip(?: address)? '?\d{1,3}(?:\.\d{1,3}){3}", re.I)
"""A refusal by source address, in the wordings providers use: Stripe-like ip_not_allowed, AWS IpDeniedAccess,
Salesforce `ip restricted`, GitHub "has an IP allow list enabled, and <ip> is not permitted", MongoDB Atlas
IP_ADDRESS_NOT_ON_ACCESS_LIST, Snowflake "IP <ip> is not allowed to access", Azure SQL 40615 "Client with IP
address '<ip>' is not allowed", MySQL 1130 "Host '<ip>' is not allowed to connect"."""
REFUSED = re.compile(r"\b403\b|forbidden|connection reset|reset by peer|ECONNRESET", re.I)
"""A refusal that says no reason: blamed on the egress object only when it names the object's address."""
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")

EGRESS_KINDS = frozenset({"ciliumegressgatewaypolicy", "egressgatewaypolicy", "egressip", "egress",
                          "egressgateway", "egressnatpolicy", "natgateway", "cloudnat", "computerouternat"})
"""Custom kinds whose whole job is to pick the source address of selected pods' egress (egress gateways, and the
cloud NAT objects an in-cluster controller manages: ACK NATGateway, Config Connector ComputeRouterNAT)."""
_EGRESS_FIELD = re.compile(r"egress[-_.]?ips?\b|egressGateway|egress\.projectcalico\.org/", re.I)


@dataclass
class Moved:
    """An egress object written before the allowlist refusals, selecting the refused pods."""

    target: Ref
    change: dict[str, Any]
    line: Line
    address: str
    gateway: str
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def refusals(facts: Facts) -> list[Line]:
    """Each pod's first refusal by source address: a line in allowlist wording when the pod has one, else its first
    bare 403/reset (blamed later only when it names the object's address)."""
    worded = lines(facts, ALLOWLIST)
    bare = [ln for ln in lines(facts, REFUSED) if not any(w.pod == ln.pod for w in worded)]
    return worded + bare


def _egress_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    out = []
    for change, evidence in facts.every_change():
        ref = Ref.of(change.get("object"))
        written = " ".join(str(d) for d in change.get("diff") or []) + " " + str(change.get("summary") or "")
        if ref is not None and (ref.kind.lower() in EGRESS_KINDS or _EGRESS_FIELD.search(written)):
            out.append((change, evidence, ref))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a log shows a source-address refusal: the written egress objects and one refused pod."""
    if RECORD in facts.reads:
        return
    seen = refusals(facts)
    writes = _egress_writes(facts)
    if not seen or not writes:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}})
    for ref in [Ref("Pod", seen[0].namespace, seen[0].pod), *(r for _, _, r in writes[:MAX_OBJECTS])]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-egress-source-{ref.kind}-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)] = got[0]
            kept["evidence"][str(ref)] = got[1]


def _addresses(obj: dict[str, Any]) -> list[str]:
    """The single addresses the object holds; CIDRs (`destinationCIDRs: 0.0.0.0/0`, excluded ranges) say where
    traffic goes, not where it leaves from, so they are skipped."""
    spec = json.dumps(obj.get("spec") or {}) + json.dumps((obj.get("metadata") or {}).get("annotations") or {})
    return list(dict.fromkeys(m.group() for m in _IP.finditer(spec)
                              if not spec.startswith("/", m.end()) and m.group() != "0.0.0.0"))


def _gateway(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    gw = spec.get("egressGateway") or (spec.get("egressGateways") or [None])[0] or {}
    chosen = (gw.get("nodeSelector") or {}).get("matchLabels") if isinstance(gw, dict) else None
    return ", ".join(f"{k}={v}" for k, v in (chosen or {}).items())


def _selects(obj: dict[str, Any], pod: dict[str, Any]) -> bool | None:
    """Whether the egress object selects the pod: Cilium `selectors[]`, EgressIP `namespaceSelector`+`podSelector`,
    Antrea `appliedTo`; None when the object carries no selector this reader knows."""
    spec = obj.get("spec") or {}
    labels = pod_labels(pod)
    ns = labels.get("io.kubernetes.pod.namespace", "")
    ns_labels = {"kubernetes.io/metadata.name": ns}
    terms = [t for t in spec.get("selectors") or [] if isinstance(t, dict)]
    applied = spec.get("appliedTo")
    if isinstance(applied, dict):
        terms.append(applied)
    if "namespaceSelector" in spec or "podSelector" in spec:
        terms.append({k: spec[k] for k in ("namespaceSelector", "podSelector") if k in spec})
    if not terms:
        return None
    verdicts = []
    for term in terms:
        parts = [selects(term["podSelector"], labels)] if "podSelector" in term else []
        if "namespaceSelector" in term:
            parts.append(selects(term["namespaceSelector"], ns_labels))
        verdicts.append(None if None in parts else all(parts))
    return True if True in verdicts else (None if None in verdicts else False)


def found(facts: Facts) -> list[Moved]:
    """Each egress object written before a source-address refusal, selecting the refused pods."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    out: list[Moved] = []
    for line in refusals(facts):
        pod = objects.get(str(Ref("Pod", line.namespace, line.pod))) or \
            {"metadata": {"name": line.pod, "namespace": line.namespace}}
        first = line.first or facts.at
        for change, evidence, ref in sorted(_egress_writes(facts), key=lambda w: str(w[0].get("at")), reverse=True):
            at = parse_time(change.get("at"))
            obj = objects.get(str(ref))
            if at is None or obj is None or not first - LEAD <= at <= first + SLACK or \
                    any(m.target.same_object(ref) for m in out):
                continue
            chosen = _selects(obj, pod)
            named = [a for a in _addresses(obj) if a in line.text]
            if chosen is False or (chosen is None and ref.namespace not in ("", line.namespace) and not named):
                continue
            if not ALLOWLIST.search(line.text) and not named:
                continue
            address = (named or _addresses(obj) or [""])[0]
            victim = Ref("", line.namespace, workload_of_pod(line.pod))
            ids = [e for e in (evidence, line.evidence, kept.get("evidence", {}).get(str(ref))) if e]
            out.append(Moved(ref, change, line, address, _gateway(obj), [victim], ids))
    return out


def finding(moved: Moved, at: datetime) -> dict[str, Any]:
    """The egress object's finding: what the write means first (the headline is cut), then the refusal."""
    when = parse_time(moved.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    victim = moved.victims[0] if moved.victims else None
    src = f"source IP {moved.address}" if moved.address else "a new source IP"
    via = f" (gateway nodes {moved.gateway})" if moved.gateway else ""
    text = moved.line.text
    hit = ALLOWLIST.search(text) or (re.search(re.escape(moved.address), text) if moved.address else None)
    said = text[max(0, hit.start() - 90):hit.end() + 90] if hit else text[-200:]
    message = (f"{moved.target} moved the egress gateway of {victim or moved.line.pod}: its outbound traffic now "
               f"leaves with {src}{via} (written{ago}), which the external service's IP allowlist does not hold, so "
               f"every call is refused by source IP: '{said}'. Add {moved.address or 'the new address'} "
               "to the provider's allowlist or point the egress gateway policy back at the allowlisted "
               f"egress IP. The write: {'; '.join(str(d) for d in moved.change.get('diff') or [])[:160]}")
    return {"check": CHECK, "severity": "critical", "reason": "EgressSourceNotAllowlisted",
            "object": {"kind": moved.target.kind, "namespace": moved.target.namespace, "name": moved.target.name},
            "message": message, "evidence": [moved.line.text[:200]],
            "details": {"egress_ip": moved.address, "gateway": moved.gateway}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The egress object that moved the refused workload's source IP; it explains that workload's refusals."""
    return [(m.target, finding(m, facts.at), m.evidence, m.victims) for m in found(facts)]
