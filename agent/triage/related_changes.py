"""A recent write to an object of ANY kind that touches the subject, by that object's own semantics.

The change timeline reports writes to custom resources and ServiceAccounts (mcp_servers.kubernetes.
any_changes) with the fields written and their current value. Such a write is a suspect when the object
relates to the subject, and the relation is read from what the object is, not from its name:

- the subject's errors NAME it: an admission webhook's denial lists the policy that blocked the pod
  ("blocked due to the following policies require-non-root"), a client's error names its topic, queue
  or bucket; the object's name appears as a whole word in a finding or log line about the failure;
- it SELECTS the subject's pods: a `selector`/`workloadSelector` label value (or a `targetRef` name) that
  is the subject's or a dependency's name, as teams label pods after their workload;
- it ROUTES to the subject or its dependency: an Istio DestinationRule/VirtualService `host`/`hosts`, a
  Linkerd ServiceProfile's name (a FQDN), whose first label is a Service the topology shows or a host
  the subject's logs dial.

A related write shortly before the symptom outranks the symptom: the finding names the object, the
fields written with their value (old -> new where known) and the error it explains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import cron_schedule, dns_config
from agent.triage.facts import Facts, Ref, parse_time

CHECK = "change.related_object"
WEIGHT = 0.9
LEAD = timedelta(hours=6)
"""How long before the incident a write may have been made and still be what started it."""
SAID = 600
"""How much of the error that names the written object the finding keeps as evidence: an admission denial puts its
reason (the policy's own words on what it rejected) after a long preamble naming the webhook and the object."""

BUILTIN_KINDS = frozenset({
    "deployment", "statefulset", "daemonset", "replicaset", "controllerrevision", "configmap", "secret",
    "horizontalpodautoscaler", "node", "pod", "event", "service", "ingress", "networkpolicy", "certificate",
    "cronjob", "job", "endpointslice", "endpoints"})
"""Kinds the timeline's own rules already relate to workloads (rank's other rules judge them)."""


@dataclass
class Related:
    """A write to an object that relates to the subject, and the words that relate them."""

    target: Ref
    change: dict[str, Any]
    how: str
    said: str
    victims: list[Ref]
    minutes_before: int
    fuller: str = ""
    """The longest text of the first victim that names the object (an admission denial's full reason), for evidence."""


def _texts(facts: Facts) -> list[tuple[str, Ref | None]]:
    """Every failure text the survey holds, with the workload it is about: scan findings and log errors."""
    out: list[tuple[str, Ref | None]] = []
    for f in facts.findings():
        owner = Ref.of(f.get("owner")) or Ref.of(f.get("object"))
        for t in [f.get("message"), *(f.get("evidence") or [])]:
            if t:
                out.append((str(t), owner))
    for log in facts.logs:
        owner = Ref("Pod", log.namespace, log.pod)
        for e in [log.top or {}, *log.more]:
            for key in ("message", "example", "template"):
                if e.get(key):
                    out.append((str(e[key]), owner))
    return out


def _hosts(change: dict[str, Any]) -> list[str]:
    """The hosts a routing object names, as the diff or summary quote them (`spec.host = '…'`)."""
    words = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    return re.findall(r"spec\.hosts?\S* = \W*([a-z0-9.-]+)", words)


def _known_names(facts: Facts) -> set[str]:
    """Names of the subject, its Services and workloads, and their dependencies (topology), plus log hosts."""
    names: set[str] = set()
    for data, _ in facts.topologies:
        for key in ("subject",):
            r = Ref.of(data.get(key))
            if r:
                names.add(r.name)
        for r in (data.get("workloads") or []) + (data.get("services") or []):
            if isinstance(r, dict) and r.get("name"):
                names.add(str(r["name"]))
        for dep in data.get("dependencies") or []:
            t = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if t:
                names.add(t.name)
    for log in facts.logs:
        names.update(h.split(":")[0].split(".")[0] for h in log.hosts)
    return {n for n in names if n}


def related(facts: Facts) -> list[Related | dns_config.DnsChange | cron_schedule.Shift]:
    """Each write to a non-built-in object that the subject's errors name or that routes to the subject, and
    each write to the cluster DNS configuration when the subject's names stopped resolving (dns_config), and
    each write to the subject CronJob's schedule or time zone (cron_schedule)."""
    texts = _texts(facts)
    names = _known_names(facts)
    out: list[Related | dns_config.DnsChange | cron_schedule.Shift] = [*dns_config.changes(facts),
                                                                       *cron_schedule.shifts(facts)]
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind.lower() in BUILTIN_KINDS:
            continue
        if not (facts.at - LEAD <= at <= facts.at) or any(r.target.same_object(target) for r in out):
            continue
        minutes = int((facts.at - at).total_seconds() // 60)
        word = re.compile(rf"(?<![\w-]){re.escape(target.name)}(?!\w|-[^\W\d])", re.I) \
            if len(target.name) >= 4 else None  # a Kafka client prints a partition as topic-N
        named = [(t, o) for t, o in texts if word and word.search(t)]
        if named:
            victims = list({str(o): o for _, o in named if o}.values())
            fuller = max((t for t, o in named if o == named[0][1]), key=len)
            out.append(Related(target, change, "is named in the errors", named[0][0], victims, minutes, fuller))
            continue
        routed = [h for h in _hosts(change) if h.split(".")[0] in names]
        if routed:
            said = next((t for t, _ in texts if re.search(r"\b(5\d\d|unavailable|no healthy|reset|refused)\b", t,
                                                          re.I)), "")
            victims = list({str(o): o for _, o in texts if o}.values())[:3]
            out.append(Related(target, change, f"routes calls to {routed[0]}", said, victims, minutes))
            continue
        chosen = [(k, v) for k, v in _selected_labels(change) if v in names]
        if chosen and texts:
            said = texts[0][0]
            victims = list({str(o): o for _, o in texts if o}.values())[:3]
            out.append(Related(target, change, f"selects the pods labelled {chosen[0][0]}={chosen[0][1]}", said,
                               victims, minutes))
    return out


def _selected_labels(change: dict[str, Any]) -> list[tuple[str, str]]:
    """The label pairs a selector the write reports holds (`spec.selector = {"matchLabels": {"app": "x"}}`,
    an Istio `workloadSelector`, a policy's `targetRef` name): teams label pods with their workload's name."""
    out: list[tuple[str, str]] = []
    for line in change.get("diff") or []:
        text = str(line)
        if re.match(r"spec\.(?:selector|workloadSelector|targetRef)\b", text):
            out += re.findall(r'"([\w./-]+)": "([\w.-]+)"', text)
    return [(k, v) for k, v in out if k not in ("kind", "group", "apiVersion")]


def finding(r: Related | dns_config.DnsChange | cron_schedule.Shift) -> dict[str, Any]:
    """The suspect's finding: the object, what was written (with values), when, and the error it explains."""
    if isinstance(r, dns_config.DnsChange):
        return {**dns_config.finding(r), "check": CHECK}
    if isinstance(r, cron_schedule.Shift):
        return {**cron_schedule.finding(r), "check": CHECK}
    diff = "; ".join(str(d) for d in (r.change.get("diff") or [])[:4])
    explains = f": '{r.said[:200]}'" if r.said else ""
    message = (f"{r.target} was written {r.minutes_before} min before the incident ({diff}); it {r.how} of "
               f"{', '.join(str(v) for v in r.victims[:2]) or 'the subject'}{explains}. A write to a policy, route "
               "or resource the failing workload depends on explains its errors: revert the field or fix what it "
               "now rejects")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "RelatedObjectChanged",
            "message": message, "evidence": [(r.fuller or r.said)[:SAID]] if r.said else [],
            "details": {"change_at": r.change.get("at"), "relation": r.how}}
