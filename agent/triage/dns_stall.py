"""Lookups that take five seconds: a dropped DNS query waiting out the resolver's timeout.

glibc's and musl's stub resolvers wait 5 s (`timeout:5`, the default) before they retry a query that got no
answer. A workload whose DNS phase clusters at 5.0x s (10.0x s on a second loss) while the DNS servers answer
in milliseconds is losing queries on the way, not waiting on a slow server. The classic cause on Kubernetes is
the UDP conntrack insert race: a resolver sends the A and AAAA queries in parallel from one socket, both
packets race to create the same conntrack entry through the DNAT to the DNS Service, one loses
(`node_nf_conntrack_stat_insert_failed` rises) and is dropped. glibc can be told to send them one after the
other (`options single-request-reopen`, `use-vc`); musl, the C library of Alpine images, ignores those options
and always sends them in parallel. So a rollout that moved an image to an Alpine/musl base is the usual
trigger, and NodeLocal DNSCache (or TCP for DNS) the lasting fix.

`found` is pure over the facts: the survey's logs (a `dns` timing field of 4.9-5.9 s or 9.9-10.9 s, in JSON,
logfmt or `dns=5.01s` form) and the change timeline (the workload's rollout whose image moved to a musl base).
`read` greps one pod's log for its DNS timings when a workload whose logs were read rolled out to a musl image
and the lines read so far carry none. Reading only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import workload_of_pod

CHECK = "dns.lookup_timeout_stall"
WEIGHT = 0.9
"""Lookups stalling at the resolver's timeout explain a latency symptom outright: above the latency itself."""
READS = "dns_stall"
LEAD = timedelta(hours=24)

DNS_TIMING = re.compile(
    r"""["']?(?:dns|dns_?(?:ms|time|lookup|duration)|dnsLookup|lookup(?:_?ms)?|resolve(?:_?ms)?)["']?\s*[:=]\s*"""
    r"""["']?(?P<value>\d+(?:\.\d+)?)(?P<unit>ms|s)?\b""", re.I)
"""A DNS timing field of an HTTP client's log: got's `timings.phases.dns`, `dns_ms=`, `dnsLookup: 5.01s`."""
MUSL = re.compile(r"alpine|musl", re.I)
_IMAGE_LINE = re.compile(r"image (?P<old>\S+) -> (?P<new>\S+)")
MIN_STALLS = 2

Call = Callable[..., Awaitable[Any]]


@dataclass
class Stall:
    """A workload whose lookups wait out the resolver's timeout, and the rollout that made it musl-based."""

    workload: Ref
    stalls: int
    sample: str
    seconds: list[float]
    change: dict[str, Any] | None
    image: tuple[str, str] | None
    minutes_before: int = 0
    evidence: list[str] = field(default_factory=list)


def _texts(log: LogEvidence) -> list[str]:
    out = []
    for item in [log.top or {}, *log.more, *log.warnings]:
        out += [str(item.get(k) or "") for k in ("message", "example", "template") if item.get(k)]
    return out + list(log.last_lines)


def _seconds(match: re.Match[str]) -> float:
    value = float(match["value"])
    unit = (match["unit"] or "").lower()
    return value if unit == "s" or (not unit and value < 100) else value / 1000


def stalls_in(lines: list[str]) -> list[tuple[float, str]]:
    """(seconds, line) for each line whose DNS timing sits at the resolver's 5 s timeout or twice it."""
    out = []
    for line in lines:
        for m in DNS_TIMING.finditer(line):
            s = _seconds(m)
            if 4.9 <= s < 6.0 or 9.9 <= s < 11.0:
                out.append((s, line))
                break
    return out


def _musl_rollout(facts: Facts, workload: str, namespace: str) -> tuple[dict[str, Any], tuple[str, str]] | None:
    """The workload's latest rollout within the lead whose image moved to a musl (Alpine) base."""
    best = None
    for change, _ in facts.every_change():
        obj, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if obj is None or at is None or obj.name != workload or obj.namespace != namespace:
            continue
        if not timedelta(0) <= facts.at - at <= LEAD:
            continue
        for line in change.get("diff") or []:
            m = _IMAGE_LINE.search(str(line))
            newer = best is None or str(change.get("at")) > str(best[0].get("at"))
            if m and MUSL.search(m["new"]) and not MUSL.search(m["old"]) and newer:
                best = (change, (m["old"], m["new"]))
    return best


def found(facts: Facts) -> list[Stall]:
    """Each workload whose logs show lookups stalling at the resolver's timeout."""
    grepped = (facts.reads.get(READS) or {}).get("lines") or {}
    by_workload: dict[tuple[str, str], tuple[list[tuple[float, str]], list[str]]] = {}
    for log in facts.logs:
        key = (log.namespace, workload_of_pod(log.pod))
        lines = _texts(log) + list(grepped.get(log.pod, []))
        hits, evidence = by_workload.setdefault(key, ([], []))
        hits += stalls_in(lines)
        evidence.append(log.evidence_id)
    out = []
    for (ns, workload), (hits, evidence) in by_workload.items():
        if len(hits) < MIN_STALLS:
            continue
        rollout = _musl_rollout(facts, workload, ns)
        change, image = rollout if rollout else (None, None)
        at = parse_time(change.get("at")) if change else None
        out.append(Stall(Ref("Deployment", ns, workload), len(hits), hits[0][1][:220], sorted({round(s, 2)
                         for s, _ in hits})[:4], change, image,
                         int((facts.at - at).total_seconds() // 60) if at else 0,
                         list(dict.fromkeys([*evidence, *([facts.changes_id] if change and facts.changes_id
                                                          else [])]))))
    return out


def finding(s: Stall) -> dict[str, Any]:
    """The workload, the stalls, and (when a rollout made it musl-based) the image change that triggered them."""
    seconds = ", ".join(f"{v:g} s" for v in s.seconds)
    if s.change and s.image:
        rev = re.search(r"revision (\d+)", str(s.change.get("summary") or ""))
        trigger = (f"since its rollout{' of revision ' + rev[1] if rev else ''} {s.minutes_before} min before the "
                   f"alert moved the image to a musl base ({s.image[0]} -> {s.image[1]}): Alpine's musl resolver "
                   "sends A and AAAA in parallel from one socket and ignores single-request-reopen, so one loses the "
                   "UDP conntrack insert race (node_nf_conntrack_stat_insert_failed rises) and the resolver waits out "
                   "its 5 s timeout. Roll the base image back, or use NodeLocal DNSCache")
    else:
        trigger = ("a query got no answer and the resolver waited out its 5 s timeout: on Kubernetes usually the UDP "
                   "conntrack insert race of parallel A and AAAA queries (node_nf_conntrack_stat_insert_failed "
                   "rises), not a slow DNS server. Use NodeLocal DNSCache, or `options single-request-reopen` / "
                   "`use-vc` on glibc images")
    message = (f"{s.workload}: {s.stalls} DNS lookups took {seconds}, {trigger}. Its calls wait that long before "
               f"they start: '{s.sample[:160]}'")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": s.workload.kind, "namespace": s.workload.namespace, "name": s.workload.name},
            "reason": "DNSLookupTimeoutStall", "message": message, "evidence": [s.sample[:200]],
            "details": {"stalls": s.stalls, "seconds": s.seconds,
                        "change_at": s.change.get("at") if s.change else None}}


async def read(facts: Facts, call: Call) -> None:
    """Reading only: one pod's DNS timings, when a workload whose logs were read rolled out to a musl image."""
    store = facts.reads.setdefault(READS, {})
    for log in facts.logs[:4]:
        if stalls_in(_texts(log)) or _musl_rollout(facts, workload_of_pod(log.pod), log.namespace) is None:
            continue
        got = await call("k8s_logs", {"name": log.pod, "namespace": log.namespace, "grep": "dns", "tail": 200},
                         f"survey-dns-timings-{log.pod}")
        if got is not None and got.ok:
            store.setdefault("lines", {})[log.pod] = str(getattr(got, "full_text", "") or "").splitlines()[:200]
        return
