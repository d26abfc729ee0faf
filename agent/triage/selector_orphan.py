"""An allow policy re-written with a selector its pods no longer match: the label scheme moved, the pods did not.

Egress lock-downs are built in two layers: a default-deny policy that selects (nearly) every pod, and allow
policies that re-open one way out for the pods that need it, selected by a label (`app == 'mailer'`, `matchLabels:
{app: reports}`). A label refactor (moving `app` to `app.kubernetes.io/name`, `k8s-app` to `app`) that rewrites the
allow policy's selector first, while the running pods still carry the old key (their template was not rolled, or
the chart sets the new label on the Deployment only), leaves the allow policy selecting nobody: the pods it used
to admit fall to the default deny, and every connection they open out times out. Their own log says only that
the call timed out (a socket timeout, ETIMEDOUT, i/o timeout, a connect failure); nothing of theirs changed.

The same in every engine: a Calico GlobalNetworkPolicy or NetworkPolicy (`selector` expression), a Kubernetes
NetworkPolicy (`podSelector`), a Cilium(Clusterwide)NetworkPolicy (`endpointSelector`).

`read` (reading only, when the timeline shows a policy written within `policy_cut.RECENT`) takes each recent
policy that allows egress, the (key, value) pairs its selector names, and the pods of workloads named by those
values (or of the incident's own workloads); for a pod the policy no longer selects but WOULD select had its
label carried the selector's key (the same value under another key: the refactor's mark), it asks the shared
policy engine (`policy_path.decide`) whether the pod's egress on the policy's ports is denied now and allowed with
the re-keyed labels. Such a pod's log is read: connection failures starting after the write (none before it) make
the policy the suspect. A pod the policy still selects, one whose egress another policy allows, one whose log
shows no failure or failed before the write, names nothing. `suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.triage.blocked import FAILING_CALLS
from agent.triage.calico_selector import SelectorError
from agent.triage.facts import Facts, Ref, log_evidence, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.policy_cut import _UNREACHED, _policies
from agent.triage.policy_path import (
    CALICO,
    CILIUM,
    K8S,
    Endpoint,
    Port,
    _calico_selects,
    _cilium_selects,
    _k8s_selects,
    decide,
    kind_of,
)
from agent.triage.subject import Subject, workload_of_pod

CHECK = "netpol.selector_orphan"
WEIGHT = 0.95
"""The re-keyed selector, the default deny it leaves the pods to, and their failures from the write on explain the
pods' timeouts: above the timeouts themselves and the rollouts nearby, level with the other policy cuts."""
RECORD_KIND = "vigil.dev/SelectorOrphan"
MAX_WORKLOADS = 6
LOG_TAIL = 2000
"""Lines read from the pod: enough to reach back past a write hours old, so a failure older than it shows."""
DEFAULT_PORT = 443
"""The port judged when an allow rule names none (every port): an outbound call's usual one."""

Call = Callable[..., Awaitable[Any]]

_CALICO_EQ = re.compile(r"""([A-Za-z0-9_./-]+)\s*==\s*['"]([^'"]*)['"]""")
_CALICO_IN = re.compile(r"""([A-Za-z0-9_./-]+)\s+in\s*\{([^}]*)\}""")
_QUOTED = re.compile(r"""['"]([^'"]*)['"]""")


def selector_terms(policy: dict[str, Any]) -> list[tuple[str, str]]:
    """The (label key, value) pairs a policy's pod selector asks for positively: Calico's `k == 'v'` and
    `k in {...}`, a LabelSelector's matchLabels and `In` expressions (Cilium's `k8s:` prefix dropped)."""
    spec = policy.get("spec") or {}
    kind = kind_of(policy)
    out: list[tuple[str, str]] = []
    if kind in CALICO:
        text = str(spec.get("selector") or "")
        text_wo_not = re.sub(r"\bnot\s+in\s*\{[^}]*\}", "", text)
        out += [(k, v) for k, v in _CALICO_EQ.findall(text_wo_not)]
        out += [(k, v) for k, vals in _CALICO_IN.findall(text_wo_not) for v in _QUOTED.findall(vals)]
        return [(k, v) for k, v in out if v]
    selector = spec.get("endpointSelector" if kind in CILIUM else "podSelector") or {}
    out += [(str(k), str(v)) for k, v in (selector.get("matchLabels") or {}).items()]
    out += [(str(e.get("key")), str(v)) for e in selector.get("matchExpressions") or []
            if isinstance(e, dict) and e.get("operator") == "In" for v in e.get("values") or []]
    return [(k.split(":", 1)[1] if k.startswith(("k8s:", "any:")) else k, v) for k, v in out if v]


def selects(policy: dict[str, Any], ep: Endpoint) -> bool:
    """Whether a policy selects a pod for egress (a selector this reader cannot parse: assumed to, so nothing is
    blamed on it)."""
    kind = kind_of(policy)
    try:
        if kind in CALICO:
            return _calico_selects(policy, "Egress", ep)
        if kind in CILIUM:
            return _cilium_selects(policy, "Egress", ep)
        if kind == K8S:
            return _k8s_selects(policy, "Egress", ep)
    except SelectorError:
        return True
    return True


def allow_ports(policy: dict[str, Any]) -> list[Port]:
    """The ports a policy's egress allow rules open (a rule naming none: `DEFAULT_PORT` stands for every port)."""
    spec = policy.get("spec") or {}
    kind = kind_of(policy)
    ports: list[Port] = []
    for rule in spec.get("egress") or []:
        if not isinstance(rule, dict):
            continue
        if kind in CALICO:
            if str(rule.get("action") or "").capitalize() != "Allow":
                continue
            listed = [(p, str(rule.get("protocol") or "TCP")) for p in (rule.get("destination") or {}).get("ports")
                      or []]
        elif kind in CILIUM:
            listed = [(p.get("port"), str(p.get("protocol") or "TCP")) for tp in rule.get("toPorts") or []
                      for p in tp.get("ports") or [] if isinstance(p, dict)]
        else:
            listed = [(p.get("port"), str(p.get("protocol") or "TCP")) for p in rule.get("ports") or []
                      if isinstance(p, dict)]
        numbers = [Port(int(p), protocol=proto.upper()) for p, proto in listed if str(p).isdigit()]
        ports += numbers or ([] if listed else [Port(DEFAULT_PORT)])
    return list(dict.fromkeys(ports))


def rekeyed(policy: dict[str, Any], labels: Mapping[str, str]) -> tuple[dict[str, str], str, str] | None:
    """The pod's labels with one selector key added from another key that holds the same value, when that makes
    the policy select the pod (what the selector meant before its key moved): (labels, selector key, pod's key)."""
    for key, value in selector_terms(policy):
        if key in labels:
            continue
        for own, held in labels.items():
            if held == value and own != key:
                return {**labels, key: value}, key, own
    return None


def cut_by_rekey(policies: list[dict[str, Any]], policy: dict[str, Any], ep: Endpoint,
                 names: tuple[str, ...] = ()) -> tuple[Port, dict[str, str], str, str, str] | None:
    """When `policy` does not select the pod but would with its selector's key on the pod, and the pod's egress on
    a port the policy opens is denied now and allowed then: (port, re-keyed labels, selector key, pod key, why)."""
    if selects(policy, ep):
        return None
    moved = rekeyed(policy, ep.labels)
    if moved is None:
        return None
    labels, key, own = moved
    before = Endpoint(ep.namespace, labels, ep.ns_labels)
    if not selects(policy, before):
        return None
    outside = Endpoint("", {}, names=names)
    for port in allow_ports(policy):
        now = decide(policies, ep, outside, port)
        if now.allowed or now.direction != "Egress":
            continue
        then = decide(policies, before, outside, port)
        if then.allowed or then.direction != "Egress":
            return port, labels, key, own, now.why
    return None


_STAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)")


def _stamp(value: Any) -> datetime | None:
    """A log entry's time in whatever layout it printed (`2026-05-12T08:21:05Z`, `2026-05-12 08:21:05,120`)."""
    m = _STAMP.search(str(value or ""))
    return parse_time(f"{m.group(1)}T{m.group(2)}Z") if m else None


def failures_after(data: Any, written: datetime) -> tuple[str, str] | None:
    """(example, first seen) of a `k8s_logs` answer whose error kinds include a connection failure (a failing-call
    class, or a timeout, refusal or unreachable in its words) and were all first seen at or after the write (a
    traceback's own kind often has no time: the line that printed it does, and counts); None when an error kind
    precedes the write, no failure is logged, or no error kind carries a time (nothing to order by)."""
    found = log_evidence(data, "") if isinstance(data, dict) else None
    if found is None:
        return None
    errors = [found.top] if found.top else []
    errors += found.more
    failing = next((str(e.get("example") or e.get("message") or "") for e in errors
                    if str(e.get("error_class")) in FAILING_CALLS
                    or _UNREACHED.search(str(e.get("example") or e.get("message") or ""))), "")
    times = [t for t in (_stamp(e.get("first_seen")) for e in errors) if t is not None]
    if not failing or not times or min(times) < written:
        return None
    return failing.strip()[:300], min(times).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Orphaned:
    """A recent allow policy whose re-keyed selector left a workload's pods to a default deny."""

    policy: dict[str, Any]
    written: str
    namespace: str
    pod: str
    port: Port
    key: str
    own: str
    value: str
    why: str
    said: str
    since: str
    evidence: list[str] = field(default_factory=list)


def _workloads(rows: list[dict[str, Any]], policy: dict[str, Any], subject: Subject) -> list[tuple[str, str]]:
    """(namespace, pod) of one pod per workload named by the selector's values, then of the incident's own
    workloads, in the policy's namespace when it has one."""
    scope = str((policy.get("metadata") or {}).get("namespace") or "")
    values = {v for _, v in selector_terms(policy)}
    wanted = [*values, *subject.names]
    out: dict[tuple[str, str], str] = {}
    for want in wanted:
        for row in rows:
            ns, pod = str(row.get("namespace") or ""), str(row.get("name") or "")
            if scope and ns != scope:
                continue
            if workload_of_pod(pod) == want and (ns, want) not in out:
                out[(ns, want)] = pod
    return [(ns, pod) for (ns, _), pod in list(out.items())[:MAX_WORKLOADS]]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: recent egress allow policies, the pods their selector values name, and those pods' logs."""
    objects, fresh, evidence = await _policies(call, facts)
    fresh = [(p, w) for p, w in fresh if allow_ports(p) and selector_terms(p)]
    if not fresh:
        return
    listed = await call("k8s_list", {"kind": "pods"}, "survey-orphan-pods")
    rows = rows_of(listed)
    for policy, written in fresh:
        when = parse_time(written)
        if when is None:
            continue
        for ns, pod in _workloads(rows, policy, subject):
            got = await get_yaml(call, "Pod", pod, ns, f"survey-orphan-pod-{pod}")
            if got is None:
                continue
            labels = {str(k): str(v) for k, v in ((got[0].get("metadata") or {}).get("labels") or {}).items()}
            cut = cut_by_rekey(objects, policy, Endpoint(ns, labels))
            if cut is None:
                continue
            logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": LOG_TAIL},
                              f"survey-orphan-logs-{pod}")
            failed = failures_after(logs.data if logs is not None and logs.ok else None, when)
            if failed is None:
                continue
            port, _, key, own, why = cut
            record = Orphaned(policy, written, ns, pod, port, key, own, labels[own], why, failed[0], failed[1],
                              [*evidence, got[1], logs.evidence_id])
            facts.objects.append(({"kind": RECORD_KIND, "orphan": record}, ""))
            break


def _selector_text(policy: dict[str, Any]) -> str:
    spec = policy.get("spec") or {}
    kind = kind_of(policy)
    if kind in CALICO:
        return str(spec.get("selector") or "")
    sel = spec.get("endpointSelector" if kind in CILIUM else "podSelector") or {}
    return ", ".join(f"{k}={v}" for k, v in (sel.get("matchLabels") or {}).items()) or str(sel)


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The re-written allow policy, explaining the workload whose pods it no longer selects."""
    out, seen = [], set()
    for obj, _ in facts.objects:
        o = obj.get("orphan") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(o, Orphaned):
            continue
        meta = o.policy.get("metadata") or {}
        kind = kind_of(o.policy)
        shown = "NetworkPolicy" if kind == "CalicoNetworkPolicy" else kind
        ref = Ref(shown, str(meta.get("namespace") or ""), str(meta.get("name")))
        if ref in seen:
            continue
        seen.add(ref)
        when = parse_time(o.written)
        ago = f", {minutes_text(int((facts.at - when).total_seconds() // 60))} before the incident" if when else ""
        workload = workload_of_pod(o.pod)
        name = ref.name if not ref.namespace else f"{ref.namespace}/{ref.name}"
        message = (f"{shown} {name} was re-written (selector written {o.written}{ago}) to select pods by "
                   f"{o.key} ({_selector_text(o.policy)}), a label {workload}'s pods do not carry: they are labelled "
                   f"{o.own}={o.value}. The policy now selects none of them, so its egress allow (port "
                   f"{o.port.number}/{o.port.protocol}) no longer applies and their egress falls to the default deny "
                   f"({o.why}): from {o.since} on {workload} ({o.namespace}) logs '{o.said[:160]}'. Connections out "
                   f"are dropped and time out. Select the label the pods carry ({o.own}) in the policy, or relabel the "
                   f"pods with {o.key} first")
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name},
                   "reason": "PolicySelectorMissesPods", "message": message,
                   "evidence": [f"{ref} selector needs {o.key}={o.value}; pod {o.namespace}/{o.pod} has "
                                f"{o.own}={o.value}; egress port {o.port.number} denied ({o.why})"],
                   "details": {"selector_key": o.key, "pod_key": o.own, "value": o.value, "pod": o.pod,
                               "namespace": o.namespace, "port": o.port.number, "written": o.written}}
        explains = [Ref("Deployment", o.namespace, workload), Ref("Pod", o.namespace, o.pod)]
        out.append((ref, finding, list(dict.fromkeys(e for e in o.evidence if e)), explains))
    return out
