"""A rollout after which a workload's connections to `localhost` go to the IPv6 loopback and are refused: the new
runtime resolves `localhost` to `::1` first, while the peer in the pod (a database proxy, a sidecar) listens on
127.0.0.1 only.

Runtimes changed their default address order: Node 17+ keeps the resolver's order (`::1` before 127.0.0.1, and
Node 20's happy eyeballs only helps when both are tried), newer JDKs and glibc images with an `::1 localhost` line
in /etc/hosts do the same, and Go dials what the resolver gives first. An image bump that only "upgrades the
runtime" then sends `localhost:5432` to `[::1]:5432`, where nothing listens: a Cloud SQL / RDS / PgBouncer /
Envoy sidecar bound to 127.0.0.1 never sees the call. Every request fails at once with connection refused naming
the IPv6 loopback (Node `connect ECONNREFUSED ::1:5432`, Go `dial tcp [::1]:6379: connect: connection refused`,
Java `Connection refused: localhost/0:0:0:0:0:0:0:1:8126`, libpq `connection to server at "localhost" (::1), port
5432 failed: Connection refused`, Ruby `Errno::ECONNREFUSED ... ::1:9292`, Python asyncio `[Errno 111] Connect call
failed ('::1', 6432, 0, 0)`); the sidecar is healthy and the callers see 5xx. A line where the IPv4 loopback is
refused too (both families tried) says the peer is down, not the family.

So: a rollout within LEAD of a workload whose image changed, and that workload's own pod logging refusals to the
IPv6 loopback (read from its first pod's log). Refusals to 127.0.0.1, to other hosts, or a workload with no recent
image change are not named. `read` reads only the logs of rolled-out workloads the incident points at (bounded);
`found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import has_run, rows_of
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.symptomatic import symptomatic

Call = Callable[..., Awaitable[Any]]

CHECK = "change.loopback_family"
WEIGHT = 0.93
"""A rollout whose own pods' refusals name the IPv6 loopback: above the callers' 5xx and a bare rollout, level with
the other measured-cause modules."""
READS = "loopback_family"
LEAD = timedelta(hours=6)
MAX_READS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
REFUSED_V6 = re.compile(r"ECONNREFUSED\s+::1(?::\d+)?|\[::1\]:\d+[^\n]{0,40}connection refused|"
                        r"connection refused[^\n]{0,80}(?:\[::1\]|/0:0:0:0:0:0:0:1|\(::1\))|"
                        r"(?:localhost|/)0:0:0:0:0:0:0:1:\d+[^\n]{0,40}refused", re.I)
"""A connection to the IPv6 loopback refused, in Node's, Go's and Java's words (the address after the refusal)."""
V6_LOOPBACK = re.compile(r"(?<![\w:.])::1(?![\w.]|:[A-Fa-f])|(?<![\w:])0:0:0:0:0:0:0:1(?![\w.])")
"""The IPv6 loopback as an address token (`::1`, `[::1]:5432`, `('::1', 6432)`, the long form), not `fe80::1`."""
REFUSAL = re.compile(r"refused|ECONNREFUSED|\bErrno 111\b|errno[= ]111\b|os error 111\b|WSAECONNREFUSED|\b10061\b",
                     re.I)
"""A refusal in any runtime's words: the word, the errno name, or its number (Linux 111, Winsock 10061)."""
V4_LOOPBACK = re.compile(r"(?<![\d.])127\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d])")
NEAR = 160
"""How far apart (characters) the address and the refusal may be in one line: libpq prints the address first
(`connection to server at "localhost" (::1), port 5432 failed: Connection refused`), Ruby the refusal first and
the address twice, Python's asyncio the errno before the address tuple."""


def refused_v6(line: str) -> bool:
    """A log line saying a connection to the IPv6 loopback was refused, in any order of address and refusal; a line
    that also names an IPv4 loopback (both families tried and both refused: the peer is down, not the family) is
    not."""
    if REFUSED_V6.search(line):
        return not V4_LOOPBACK.search(line)
    spots = [m.start() for m in V6_LOOPBACK.finditer(line)]
    refusals = [m.start() for m in REFUSAL.finditer(line)]
    near = any(abs(a - r) <= NEAR for a in spots for r in refusals)
    return near and not V4_LOOPBACK.search(line)


LISTEN_V4 = re.compile(r"listening on (?:tcp )?127\.0\.0\.1:\d+|bound to 127\.0\.0\.1:\d+|"
                       r"listen(?:ing)? (?:address|addr)[= :]+127\.0\.0\.1:\d+", re.I)
"""A peer saying it listens on the IPv4 loopback only (read for the finding's wording, not required)."""


@dataclass
class Hit:
    """The rollout and its pod's refusal to ::1."""

    target: Ref
    line: str
    said: str
    listener: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def rollouts(facts: Facts) -> list[tuple[Ref, str, datetime, str]]:
    """(workload, image diff line, when, evidence) for each recent rollout that changed an image."""
    out: list[tuple[Ref, str, datetime, str]] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None or target.kind not in WORKLOADS:
            continue
        line = next((str(d) for d in change.get("diff") or [] if " image " in f" {d} " and " -> " in str(d)), "")
        if line and not any(r.same_object(target) for r, _, _, _ in out):
            out.append((target, line, at, evidence))
    return out


def found(facts: Facts) -> list[Hit]:
    """Each recently rolled-out workload whose own pod now has connections to ::1 refused."""
    store: dict[str, Any] = facts.reads.get(READS) or {}
    out: list[Hit] = []
    for target, line, at, evidence in rollouts(facts):
        kept = store.get(str(target))
        if not kept:
            continue
        said, listener, log_id = kept
        out.append(Hit(target, line, said, listener, int((facts.at - at).total_seconds() // 60),
                       [e for e in (evidence, log_id) if e]))
    return out


def finding(h: Hit) -> dict[str, Any]:
    """The finding: the rollout, what its runtime now does with localhost, the refusal; meaning first."""
    peer = f" (its peer says '{h.listener[:80]}')" if h.listener else ""
    message = (f"{h.target} rolled out {minutes_text(h.minutes_before)} before the incident ({h.line[:140]}), and its "
               f"connections to localhost now go to the IPv6 loopback ::1 and are refused: '{h.said[:140]}'. The new "
               f"image's runtime resolves localhost to ::1 first while the local peer (a proxy or sidecar) listens on "
               f"127.0.0.1 only{peer}. Point the client at 127.0.0.1 (or prefer IPv4 results, or make the peer listen "
               f"on both loopbacks), or roll {h.target.name} back")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": h.target.kind, "namespace": h.target.namespace, "name": h.target.name},
            "reason": "LoopbackFamilyRefused", "message": message, "evidence": [h.said[:200]],
            "details": {"rollout": h.line[:200]}}


def _refusal(text: str) -> str:
    """The first log line refusing a connection to the IPv6 loopback, collapsed."""
    line = next((ln for ln in text.splitlines() if refused_v6(ln)), "")
    return " ".join(line.split())[:240]


def _first(pattern: re.Pattern[str], text: str) -> str:
    m = pattern.search(text)
    if m is None:
        return ""
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return " ".join(text[start:end if end >= 0 else None].split())[:240]


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only, bounded: for each recently rolled-out workload the incident points at (named, in the subject's
    topology, or failing: agent.triage.symptomatic; a healthy release elsewhere in the window is not read), the
    log of its first pod that has run (one still waiting for its image has no log, and asking is a failed call),
    the app's container; the pod's other containers are not read: the refusal is the client's."""
    store: dict[str, Any] = facts.reads.setdefault(READS, {})
    for target in [r for r, _, _, _ in rollouts(facts) if symptomatic(subject, facts, r)][:MAX_READS]:
        if str(target) in store:
            continue
        store[str(target)] = None
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-loopback-{target.name}-pods")
        pods = [str(r.get("name")) for r in rows_of(listed) if workload_of_pod(str(r.get("name") or "")) ==
                target.name and has_run(r)]
        if not pods:
            continue
        got = await call("k8s_logs", {"name": pods[0], "namespace": target.namespace, "tail": 300},
                         f"survey-loopback-{target.name}-log")
        if got is None or not got.ok:
            continue
        text = str(got.full_text or "")
        said = _refusal(text)
        if said:
            store[str(target)] = (said, _first(LISTEN_V4, text), got.evidence_id)


__all__ = ["CHECK", "WEIGHT", "Hit", "finding", "found", "read", "refused_v6", "rollouts"]
