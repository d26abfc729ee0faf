"""A client's rollout took its long-lived connections off client-side balancing: the backends' load pins.

gRPC and other HTTP/2 clients open one connection and multiplex every request over it. Through a ClusterIP
Service, kube-proxy (or an eBPF dataplane) picks a backend pod once per connection, so each client pod's
traffic stays on the one or two pods it first reached: scaled-out replicas idle while a few saturate and the
backend's latency burns, although its autoscaler "added capacity". Client-side balancing avoids it: the client
resolves every pod (a headless Service, clusterIP None, via the `dns:///` resolver) and spreads requests with a
policy (`round_robin`, `least_request`, `ring_hash`). A rollout of the caller that drops either (its address
moved from the headless name or `dns:///` target to a plain Service name, or its balancing policy unset or set
to `pick_first`) is the suspect, named with the before and after values the revision diff shows. The
backend's own changes (an HPA scale) are what it looks like, not the cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time

CHECK = "change.client_balancing"
WEIGHT = 0.82
WINDOW = timedelta(hours=6)
"""How long before the alert a caller's rollout still counts: pinning shows as soon as its new pods connect."""

_ENV = re.compile(r"^(?P<container>\S+) (?:env|args|command) (?P<before>.+?) -> (?P<after>.+)$")
"""A container's env, args or command diff line: the target and the policy may be a flag as well as a variable."""
_POLICY = re.compile(r"\b(?:round_robin|least_request|ring_hash|weighted_round_robin|maglev|"
                     r"roundrobin|round-robin|least-request|leastrequest)\b", re.I)
"""Client-side balancing policies in gRPC's, Envoy's and the client libraries' spellings."""
_PER_POD = re.compile(r"dns:///|\bheadless\b|-headless\b", re.I)
"""An address that resolves every backend pod: gRPC's dns resolver scheme, a headless Service's name."""
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass
class Dropped:
    """A caller's rollout that dropped client-side balancing, with the diff lines that show it."""

    workload: Ref
    change: dict[str, Any]
    lines: list[str]
    minutes_before: int


def _headless(facts: Facts, text: str) -> bool:
    """Whether `text` names a Service read with clusterIP None (a headless one, whatever its name)."""
    for obj, _ in facts.objects:
        if obj.get("kind", "Service") != "Service" or str((obj.get("spec") or {}).get("clusterIP")) != "None":
            continue
        meta = obj.get("metadata") or {}
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        if name and re.search(rf"(?:^|[/'\"=:]){re.escape(name)}(?:\.{re.escape(ns)}\b|[:'\"]|$)", text):
            return True
    return False


def _drops(facts: Facts, line: str) -> bool:
    """A diff line whose old value balanced per pod or per request and whose new value no longer does."""
    m = _ENV.match(line)
    if m is None:
        return False
    before, after = m["before"], m["after"]
    if _POLICY.search(before) and not _POLICY.search(after):
        return True
    per_pod_before = _PER_POD.search(before) is not None or _headless(facts, before)
    per_pod_after = _PER_POD.search(after) is not None or _headless(facts, after)
    return per_pod_before and not per_pod_after and not after.strip().endswith("unset")


def found(facts: Facts) -> list[Dropped]:
    """Each workload rollout in the window whose diff took its client off per-pod balancing."""
    out: list[Dropped] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in _WORKLOADS:
            continue
        if not (facts.at - WINDOW <= at <= facts.at):
            continue
        lines = [str(d) for d in change.get("diff") or [] if _drops(facts, str(d))]
        if lines and not any(d.workload.same_object(target) for d in out):
            out.append(Dropped(target, change, lines, int((facts.at - at).total_seconds() // 60)))
    return out


def finding(item: Dropped) -> dict[str, Any]:
    """The caller's finding: what the revision changed (before -> after) and why its requests pin to few pods."""
    what = "; ".join(line[:160] for line in item.lines[:2])
    message = (f"{item.workload} took its client off client-side balancing {minutes_text(item.minutes_before)} "
               f"before the alert: {what}. A gRPC/HTTP2 client keeps one long-lived connection per backend address; "
               f"through a ClusterIP Service kube-proxy balances per connection, not per request, so each caller pod "
               f"pins to one or two backend pods while the others (scaled out or not) idle and latency burns; point "
               f"it back at the headless Service (dns:///) with a round_robin policy")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": item.workload.kind, "namespace": item.workload.namespace, "name": item.workload.name},
            "reason": "ClientBalancingDropped", "message": message,
            "evidence": [str(item.change.get("summary") or "")[:200]],
            "details": {"lines": item.lines[:4], "change_at": item.change.get("at")}}
