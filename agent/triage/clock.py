"""A node whose clock is wrong: its pods reject what the rest of the cluster issued "just now".

Time checks fail one way when the local clock runs behind the issuer's: a token signed a second
ago reads as issued in the future, a certificate minted a minute ago as not yet valid, a signed
request as too far from the server's time. The libraries say so in their own words (golang-jwt
"token used before issued", PyJWT "The token is not yet valid (iat)", jsonwebtoken "jwt not
active", jjwt "JWT must not be accepted before", .NET IDX10222, Go x509 "current time ... is
before ...", Kerberos "Clock skew too great", AWS "RequestTimeTooSkewed"/"Signature expired") and
the time daemons in theirs (chronyd "System clock wrong by", "Can't synchronise: no selectable
sources"; ntpd "time reset"). Such errors on the pods of one node, and none on the same
workload's pods elsewhere, point at the node, not the issuer, the keys or the code; node_exporter's
`node_timex_offset_seconds` / `node_timex_sync_status` (and `node_time_seconds` against the scrape
time) confirm it and give the offset. Metrics alone name a node only when it hosts a pod of the
incident, so an unsynchronised node elsewhere is never blamed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject, workload_of_pod

CHECK = "node.clock_skew"
WEIGHT = 0.9
"""A wrong clock explains every time-check failure on the node: a cause, never a symptom."""
DRIFT = "node.clock_drift"
DRIFT_WEIGHT = 0.55
"""A node whose gauges say its clock is off while no pod of the incident was seen failing a time check there:
worth listing, not enough to outrank a problem the incident's own evidence shows."""

CLOCK_WORDS = re.compile(
    r"used before issued|issued in the future|\biat\b[^.;]{0,40}\bfuture|(?:token|jwt|assertion|claim)s? "
    r"(?:is |are )?not (?:yet )?(?:valid yet|active|yet valid)|not valid yet|jwt not active|NotBeforeError|"
    r"ImmatureSignatureError|must not be accepted before|premature jwt|can't be used before|"
    r"IDX1022[23]|nbf[^.;]{0,40}(?:future|not (?:yet )?(?:reached|valid|before))|"
    r"current time \S+ is before \S+|certificate (?:is )?not yet valid|"
    r"clock skew too great|KRB_AP_ERR_SKEW|RequestTimeTooSkewed|signature expired: \S+ is now earlier|"
    r"request time too skewed|clock[- ](?:skew|drift)|time ?skew|system clock wrong by|"
    r"can't synchroni[sz]e: no (?:selectable )?sources|no selectable sources|clock unsynchroni[sz]ed|"
    r"time reset [+-]?\d|clock is unsynchroni[sz]ed|NTP (?:server )?(?:unreachable|not synchroni[sz]ed)", re.I)
"""The wording of time checks that fail because a clock is wrong (not a token that merely expired)."""

OFFSET_LIMIT = 0.05
"""Seconds off the reference clock beyond which a node counts as skewed (node-mixin's NodeClockSkewDetected)."""

TIME_CHECKED = frozenset({"auth_failure", "tls_error"})
"""Error classes of checks that read the clock (token lifetimes, certificate validity): worth asking the gauges."""

MAX_LOG_READS = 3
"""The subject's other pods whose logs are read to see on which nodes the clock errors show."""

_METRICS = "node_timex_offset_seconds|node_timex_sync_status|node_timex_maxerror_seconds"
_NODE_LABELS = ("node", "nodename", "kubernetes_node", "kubernetes_io_hostname", "hostname", "instance")


@dataclass
class Skew:
    """One node whose clock is wrong, with what shows it."""

    node: str
    offset: float | None = None
    unsynchronised: bool = False
    metrics_id: str | None = None
    affected: list[LogEvidence] = field(default_factory=list)
    """Pods on this node whose logs fail time checks."""
    clean: list[str] = field(default_factory=list)
    """Pods of the same workloads on other nodes whose logs do not."""
    workloads: list[Ref] = field(default_factory=list)


def clock_line(log: LogEvidence) -> str:
    """The first line of a pod's logs that fails a time check, as printed, or ""."""
    for error in [log.top or {}, *log.more]:
        for key in ("message", "example", "template"):
            text = str(error.get(key) or "")
            if CLOCK_WORDS.search(text):
                return text
    return next((line for line in log.last_lines if CLOCK_WORDS.search(line)), "")


def _quote(line: str, width: int = 110) -> str:
    """The part of a log line around its time-check wording, at most `width` characters."""
    found = CLOCK_WORDS.search(line)
    if found is None or len(line) <= width:
        return line[:width]
    start = max(0, min(found.start() - width // 2, len(line) - width))
    return ("..." if start else "") + line[start:start + width]


def _pods(facts: Facts) -> list[tuple[dict[str, Any], Ref]]:
    """Every pod the topologies list, with the workload it belongs to."""
    out: list[tuple[dict[str, Any], Ref]] = []
    seen: set[str] = set()
    for data, _ in facts.topologies:
        subject = Ref.of(data.get("subject"))
        for pod in data.get("pods") or []:
            if isinstance(pod, dict) and pod.get("name") and subject is not None and str(pod["name"]) not in seen:
                seen.add(str(pod["name"]))
                out.append((pod, subject))
    return out


async def read_clocks(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]],
                      keep: Callable[[Any, Facts], LogEvidence | None], at: str) -> None:
    """Reading only: the nodes' clock gauges when a pod of the incident fails a time check, authentication or TLS,
    or when the pod read shows no error at all (the failing one may be another); then, when a pod fails a time
    check or sits on a node whose clock is off, the logs of the same workload's pods on other nodes."""
    pods = _pods(facts)
    clock_errors = any(clock_line(log) for log in facts.logs)
    own = [log for log in facts.logs if subject.mentions(workload_of_pod(log.pod))]
    refused = any(log.error_classes & TIME_CHECKED for log in own)
    unexplained = not any((log.top or {}).get("severity") in ("error", "fatal") for log in own)
    if not pods or not (clock_errors or refused or unexplained):
        return
    outcome = await call("prom_query", {"query": f'{{__name__=~"{_METRICS}"}}', "time": at}, "survey-node-clocks")
    gauges = outcome.data if outcome is not None and outcome.ok and isinstance(outcome.data, dict) else None
    if gauges and gauges.get("samples"):
        facts.metrics.append((gauges, outcome.evidence_id))
    skewed = set(_offsets(facts))
    if not clock_errors and not skewed & {str(p.get("node")) for p, _ in pods}:
        return
    read = {log.pod for log in facts.logs}
    wanted = [p for p, _ in pods if p.get("phase") == "Running" and str(p.get("name")) not in read]
    wanted.sort(key=lambda p: (str(p.get("node")) not in skewed, str(p.get("node")) in
                               {_node_of(facts, log.pod) for log in facts.logs}))
    picked: list[dict[str, Any]] = []
    for pod in wanted:
        if len(picked) >= MAX_LOG_READS:
            break
        if all(p.get("node") != pod.get("node") for p in picked):
            picked.append(pod)
    outcomes = await asyncio.gather(*(call("k8s_logs", {"name": p["name"], "namespace": p.get("namespace") or "",
                                                        "tail": 300}, f"survey-clock-logs-{p['name']}")
                                      for p in picked))
    for done in outcomes:
        keep(done, facts)


def _node_of(facts: Facts, pod: str) -> str:
    return next((str(p.get("node") or "") for p, _ in _pods(facts) if p.get("name") == pod), "")


def _node_label(labels: dict[str, Any]) -> str:
    for key in _NODE_LABELS:
        value = str(labels.get(key) or "")
        if value and not re.fullmatch(r"[\d.]+(?::\d+)?", value):
            return value
    return ""


def _offsets(facts: Facts) -> dict[str, Skew]:
    """Nodes whose gauges say their clock is off or unsynchronised."""
    out: dict[str, Skew] = {}
    for data, evidence_id in facts.metrics:
        for sample in data.get("samples") or []:
            labels = sample.get("labels") or {} if isinstance(sample, dict) else {}
            value = sample.get("value") if isinstance(sample, dict) else None
            node, name = _node_label(labels), str(labels.get("__name__") or "")
            if not node or not isinstance(value, (int, float)):
                continue
            if name == "node_timex_offset_seconds" and abs(value) > OFFSET_LIMIT:
                skew = out.setdefault(node, Skew(node))
                skew.offset, skew.metrics_id = float(value), evidence_id
            elif name == "node_timex_sync_status" and value == 0:
                skew = out.setdefault(node, Skew(node))
                skew.unsynchronised, skew.metrics_id = True, evidence_id
    return out


def gauged(facts: Facts) -> dict[str, Skew]:
    """Every node whose gauges say its clock is off or unsynchronised, hosting a pod of the incident or not: a time
    daemon stopped on every node leaves every clock free-running."""
    return _offsets(facts)


def skews(facts: Facts) -> list[Skew]:
    """Nodes whose clock is wrong and which host a pod of the incident, best shown first.

    A node is named when its pods' logs fail time checks while the same workload's pods on other nodes do
    not, or when its gauges say it is off and it hosts a pod of the incident."""
    pods = {str(p.get("name")): (str(p.get("node") or ""), w) for p, w in _pods(facts)}
    gauges = _offsets(facts)
    by_node: dict[str, Skew] = {}
    failing_nodes: set[str] = set()
    for log in facts.logs:
        where = pods.get(log.pod)
        if where is None or not where[0]:
            continue
        node, workload = where
        if clock_line(log):
            failing_nodes.add(node)
            skew = by_node.setdefault(node, gauges.get(node) or Skew(node))
            skew.affected.append(log)
            if workload not in skew.workloads:
                skew.workloads.append(workload)
    for skew in by_node.values():
        failing = {workload_of_pod(log.pod) for log in skew.affected}
        skew.clean = [log.pod for log in facts.logs if log.pod in pods and pods[log.pod][0] not in failing_nodes
                      and workload_of_pod(log.pod) in failing]
    out = [s for s in by_node.values() if s.metrics_id or (s.clean and len(failing_nodes) == 1)]
    hosted = {node for node, _ in pods.values()}
    for node, skew in gauges.items():
        if node in hosted and node not in by_node:
            skew.workloads = list(dict.fromkeys(w for n, w in pods.values() if n == node))
            out.append(skew)
    out.sort(key=lambda s: (not s.affected, not s.metrics_id, -abs(s.offset or 0)))
    return out


def finding(skew: Skew) -> tuple[Ref, dict[str, Any], list[str]]:
    """The suspect's finding: the node, its offset, the pods whose time checks fail and what they say
    (the most telling first: the candidate's text is bounded)."""
    ref = Ref("Node", "", skew.node)
    parts = []
    if skew.offset is not None:
        way = "behind" if skew.offset < 0 else "ahead of"
        parts.append(f"{abs(skew.offset):.3g} s {way} (node_timex_offset_seconds {skew.offset:+.3g})")
    if skew.unsynchronised:
        parts.append("not NTP-synchronised (node_timex_sync_status 0)")
    said = _quote(clock_line(skew.affected[0])) if skew.affected else ""
    message = f"Node {skew.node}: clock skew" + ((": " + ", ".join(parts)) if parts else "")
    if skew.affected:
        pods = ", ".join(log.pod for log in skew.affected[:3])
        message += f". Its pods fail time checks ({pods}): '{said}'"
    if skew.clean:
        message += f"; {len(skew.clean)} of the same workload on other nodes do not"
    elif skew.workloads and not skew.affected:
        message += f". It runs {', '.join(str(w) for w in skew.workloads[:3])}"
    message += ". Fix its time sync (chronyd/ntpd)"
    evidence = [e for e in [skew.metrics_id, *(log.evidence_id for log in skew.affected)] if e]
    return ref, {
        "check": CHECK if skew.affected else DRIFT, "severity": "critical" if skew.affected else "warning",
        "object": {"kind": "Node", "namespace": "", "name": skew.node},
        "reason": "ClockSkew", "message": message, "evidence": [said] if said else [], "details": {
            "node": skew.node, "offset_seconds": skew.offset, "synchronised": not skew.unsynchronised,
            "failing_pods": [log.pod for log in skew.affected], "workloads": [str(w) for w in skew.workloads]}}, \
        evidence
