"""A load-balancer-wide setting written on one Ingress of a shared ALB IngressGroup: every member gets it.

The AWS Load Balancer Controller merges every Ingress carrying the same `alb.ingress.kubernetes.io/group.name` into
one ALB. Rules stay per Ingress, but some annotations configure the load balancer itself, and the controller applies
them to the whole group whichever member carries them: a web ACL (`wafv2-acl-arn`, classic `waf-acl-id`), Shield
(`shield-advanced-protection`), `security-groups`, `inbound-cidrs`, the listeners' `ssl-policy`, and
`load-balancer-attributes`. One team adding a web ACL meant for its marketing pages puts every other team's traffic
on that ALB through the ACL's rules (a managed rule set's 8 KB body limit blocks uploads with 403 at the ALB, before
the backend sees them); a narrowed `inbound-cidrs` drops the others' clients. The victims' own Ingress, Service
and pods did not change, and their logs only show the requests that still arrive.

Evidence any instance leaves: the victim's Ingress and another Ingress in the same group, the other one's write
within LEAD (the timeline's, or its managedFields) having written such an annotation the victim's Ingress does not
carry itself. `read` (only when an Ingress was written within LEAD; kept when the subject has one in a group) lists
them; `found` is pure. Not named: a member of another group, a write older than LEAD, a setting the victim's
Ingress also sets, a per-Ingress annotation.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.group_lb_setting"
WEIGHT = 0.93
"""Above the victim's own symptoms and its unrelated rollouts: the group's shared ALB now carries the setting."""
STORE = "group_lb_setting"
LEAD = timedelta(hours=24)
MAX_INGRESSES = 40
PREFIX = "alb.ingress.kubernetes.io/"
GROUP = PREFIX + "group.name"
LB_WIDE = {"wafv2-acl-arn": "a WAFv2 web ACL", "waf-acl-id": "a WAF classic web ACL",
           "shield-advanced-protection": "Shield Advanced protection", "security-groups": "the ALB's security groups",
           "inbound-cidrs": "the CIDRs the ALB admits", "ssl-policy": "the listeners' TLS policy",
           "load-balancer-attributes": "the ALB's attributes"}
"""Annotations that configure the group's one load balancer, not the Ingress's own rules, and what each sets."""


@dataclass
class Shared:
    writer: Ref
    victim: Ref
    group: str
    key: str
    value: str
    at: datetime
    by: str
    evidence: list[str] = field(default_factory=list)


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("annotations") or {}).items()}


def _newest_write(obj: dict[str, Any]) -> tuple[datetime | None, str, set[str]]:
    """(when, by whom, the annotation keys) of an object's newest managedFields entry."""
    entries = [m for m in (obj.get("metadata") or {}).get("managedFields") or [] if isinstance(m, dict)]
    if not entries:
        return None, "", set()
    newest = max(entries, key=lambda m: str(m.get("time") or ""))
    annotations = (((newest.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:annotations") or {})
    return parse_time(newest.get("time")), str(newest.get("manager") or ""), {k.removeprefix("f:") for k in annotations}


def _writes(facts: Facts, obj: dict[str, Any]) -> list[tuple[datetime, str, set[str], str]]:
    """(when, by whom, annotation keys written, evidence id) of an Ingress's writes, newest first: the timeline's
    (its summary and diff name the annotation keys), else its newest managedFields entry when the read kept them."""
    ref, out = _ref(obj), []
    for change, evidence, target in facts.writes_to(("Ingress",), within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        if when is None or target != ref:
            continue
        text = f"{change.get('summary') or ''} {' '.join(str(d) for d in change.get('diff') or [])}"
        keys = {PREFIX + k for k in LB_WIDE if re.search(rf"{re.escape(PREFIX + k)}\b", text)}
        out.append((when, written_by(change), keys, evidence))
    when, by, keys = _newest_write(obj)
    if when is not None:
        out.append((when, by, keys, ""))
    return sorted(out, key=lambda w: w[0], reverse=True)


def _victim(obj: dict[str, Any], subject: Subject) -> bool:
    """Whether an Ingress is the subject's: in its namespace, named after it or routing to a Service of its name."""
    meta = obj.get("metadata") or {}
    names = {n.lower() for n in subject.names}
    backends = {m.lower() for m in re.findall(r"'name': '([^']+)'", str(obj.get("spec") or {}))}
    return bool(subject.namespace and meta.get("namespace") == subject.namespace) or \
        str(meta.get("name", "")).lower() in names or bool(backends & names)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the cluster's Ingresses, when one of the subject's is in an ALB IngressGroup."""
    if STORE in facts.reads or (not subject.namespace and not subject.names) or \
            not facts.writes_to(("Ingress",), within=LEAD, deletions=False):
        return
    facts.reads[STORE] = {}
    listed = await call("k8s_list", {"kind": "Ingress"}, "survey-group-lb-ingresses")
    objects: list[tuple[dict[str, Any], str]] = []
    for row in rows_of(listed)[:MAX_INGRESSES]:
        got = await get_yaml(call, "Ingress", str(row.get("name")), str(row.get("namespace") or ""),
                             f"survey-group-lb-{row.get('name')}")
        if got is not None and GROUP in _annotations(got[0]):
            objects.append(got)
    if any(_victim(o, subject) for o, _ in objects):
        facts.reads[STORE] = {"ingresses": objects, "victims": [i for i, (o, _) in enumerate(objects)
                                                                 if _victim(o, subject)]}


def found(facts: Facts) -> list[Shared]:
    """Members of a victim's group whose newest write within LEAD set a load-balancer-wide annotation."""
    store = facts.reads.get(STORE) or {}
    objects: list[tuple[dict[str, Any], str]] = store.get("ingresses") or []
    out: list[Shared] = []
    for vi in store.get("victims") or []:
        victim, victim_id = objects[vi]
        group, mine = _annotations(victim)[GROUP], _annotations(victim)
        for i, (other, other_id) in enumerate(objects):
            notes = _annotations(other)
            if i == vi or notes.get(GROUP) != group:
                continue
            for when, by, written, write_id in _writes(facts, other):
                if not timedelta(0) <= facts.at - when <= LEAD:
                    continue
                keys = [k for k in sorted(written) if k.startswith(PREFIX) and k.removeprefix(PREFIX) in LB_WIDE
                        and k in notes and mine.get(k) != notes[k]]
                if keys:
                    out.append(Shared(_ref(other), _ref(victim), group, keys[0], notes[keys[0]], when, by,
                                      [e for e in (write_id, other_id, victim_id) if e]))
                    break
    return out


def _ref(obj: dict[str, Any]) -> Ref:
    meta = obj.get("metadata") or {}
    return Ref("Ingress", str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def finding(s: Shared, at: datetime) -> dict[str, Any]:
    ago = minutes_text(int((at - s.at).total_seconds() // 60))
    what = LB_WIDE[s.key.removeprefix(PREFIX)]
    by = f" by {s.by}" if s.by else ""
    message = (f"{s.writer}: {s.key} = {s.value[:140]} written{by} {ago} before the incident sets {what}, a setting "
               f"of the whole load balancer, in the ALB IngressGroup '{s.group}' that {s.victim} shares: the AWS Load "
               f"Balancer Controller applies it to the one ALB of every member, so {s.victim}'s traffic now passes "
               f"through it (a web ACL's rules block its requests at the ALB before the backend sees them). Give "
               f"that Ingress its own group, or scope the setting so it fits every member")
    return {"check": CHECK, "severity": "critical", "reason": "IngressGroupSharedSetting",
            "object": {"kind": s.writer.kind, "namespace": s.writer.namespace, "name": s.writer.name},
            "message": message, "evidence": [f"{s.key} on {s.writer}, group {s.group}"],
            "details": {"group": s.group, "annotation": s.key, "victim": str(s.victim), "by": s.by}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the member that wrote the setting, its finding, evidence ids, the victim's Ingress and namespace)."""
    return [(s.writer, finding(s, facts.at), s.evidence, [s.victim]) for s in found(facts)]
