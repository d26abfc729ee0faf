"""A node's connection-tracking timeout for established TCP lowered below how long pooled connections sit idle.

Traffic to a ClusterIP (or any NAT'd address) passes through the node's connection tracking: the kernel's
conntrack table (kube-proxy iptables/IPVS) or Cilium's BPF table. An established entry that sees no packet for
the established timeout is dropped, and the next packet of that connection no longer matches a translation: the
peer answers with a reset or the packet is lost. Applications see it only on connections that sat idle longer than
that timeout (a database pool, an HTTP keep-alive pool): `I/O error`, `server closed the connection unexpectedly`,
`connection reset by peer`, Node's `ECONNRESET`, MySQL's `Lost connection to MySQL server`, JDBC's
`Communications link failure`, `EOF`, after a quiet spell, and only on the nodes where the setting was written.
Linux keeps such an entry five days by default and kube-proxy 24 h; TCP keepalive probes (Linux's default
`tcp_keepalive_time` is 7200 s) refresh it, so a timeout below the keepalive time kills idle connections.

This module names a recent write that set the established timeout (the sysctl
`net.netfilter.nf_conntrack_tcp_timeout_established` in a node-tuning DaemonSet or sysctl ConfigMap, kube-proxy's
`--conntrack-tcp-timeout-established` / `tcpEstablishedTimeout`, its IPVS table's `--ipvs-tcp-timeout` /
`ipvs.tcpTimeout`, Cilium's `bpf-ct-timeout-regular-tcp`; 0, "leave the kernel's value", sets nothing) lower than
before and below the TCP keepalive time in force, when the incident is about a node or its logs show connections
closed under the clients. It reads nothing beyond the survey's change timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time

CHECK = "change.conntrack_idle_timeout"
WEIGHT = 0.9
LEAD = timedelta(hours=24)
KEEPALIVE_DEFAULT_S = 7200.0
"""Linux's default `net.ipv4.tcp_keepalive_time`: the first probe that would refresh an idle entry."""

_DURATION = r"[\"']?(\d+(?:\.\d+)?(?:ms|h|m|s)?(?:\d+(?:\.\d+)?(?:m|s))*)"


@dataclass(frozen=True)
class Timer:
    """One way of setting the established-TCP tracking timeout: its pattern, its name and its default (s)."""

    pattern: re.Pattern[str]
    name: str
    default_s: float


TIMERS: tuple[Timer, ...] = (
    Timer(re.compile(r"(?:net[./]netfilter[./])?n?f?_?(?:ip_)?conntrack_tcp_timeout_established\W{1,6}" + _DURATION,
                     re.I), "the kernel's net.netfilter.nf_conntrack_tcp_timeout_established", 432000.0),
    Timer(re.compile(r"(?:--conntrack-tcp-timeout-established|tcpEstablishedTimeout)\W{1,6}" + _DURATION, re.I),
          "kube-proxy's conntrack tcpEstablishedTimeout (nf_conntrack_tcp_timeout_established)", 86400.0),
    Timer(re.compile(r"bpf-ct-timeout-regular-tcp\W{1,6}" + _DURATION, re.I),
          "Cilium's bpf-ct-timeout-regular-tcp (its conntrack established timeout)", 21600.0),
    Timer(re.compile(r"(?:--ipvs-tcp-timeout|\btcpTimeout)\W{1,6}" + _DURATION, re.I),
          "kube-proxy's IPVS tcpTimeout (the IPVS table's idle timeout for established TCP)", 900.0),
)
"""The kernel's default for IPVS established TCP is 900 s; kube-proxy's 0 leaves it as it is."""

_KEEPALIVE = re.compile(r"tcp_keepalive_time\W{1,6}(\d+)", re.I)

CLOSED = re.compile(r"connection reset|reset by peer|server closed the connection|closed the connection|"
                    r"unexpected EOF|\bEOF\b|broken pipe|I/O error|connection (?:was )?closed|terminating connection|"
                    r"\bECONNRESET\b|\bEPIPE\b|Lost connection to (?:MySQL )?server|server has gone away|"
                    r"Communications link failure|connection (?:was )?lost", re.I)
"""Clients' words for a connection the far side no longer knows."""


@dataclass
class Lowered:
    """A write that lowered the established-TCP tracking timeout below the keepalive time."""

    target: Ref
    change: dict[str, Any]
    timer: str
    old_s: float
    new_s: float
    keepalive_s: float
    said: str
    evidence: list[str] = field(default_factory=list)


def duration(text: str) -> float | None:
    """`300` (seconds), `5m`, `5m0s`, `24h0m0s`, `1.5h` in seconds."""
    text = text.strip("\"'")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def _last(timer: Timer, text: str) -> float | None:
    found = [duration(m.group(1)) for m in timer.pattern.finditer(text)]
    found = [f for f in found if f is not None]
    return found[-1] if found else None


def lowered(line: str) -> list[tuple[str, float, float, float]]:
    """The timers a diff line (`old -> new`, or a new text alone) sets lower: (name, old, new, keepalive time)."""
    before, _, after = line.rpartition("->") if "->" in line else ("", "", line)
    out = []
    for timer in TIMERS:
        new, old = _last(timer, after), _last(timer, before)
        if new is None and before and timer.pattern.search(before.replace("(unset)", "0")):
            lead = re.match(r"\s*" + _DURATION, after)  # `key: old -> new`: the key printed once, before the arrow
            new = duration(lead.group(1)) if lead else None
            old = None if "(unset)" in before else old
        if new is None or new == 0:
            continue  # 0 is "leave the kernel's value" (kube-proxy) or no timeout: nothing lowered
        old = timer.default_s if old is None or old == 0 else old
        keep = [float(v) for v in _KEEPALIVE.findall(after)]
        keepalive = keep[-1] if keep else KEEPALIVE_DEFAULT_S
        if new < old and new < keepalive:
            out.append((timer.name, old, new, keepalive))
    return out


def _closed(logs: list[LogEvidence]) -> bool:
    for log in logs:
        tops = [e for e in [log.top, *log.more] if isinstance(e, dict)]
        text = " ".join(str(e.get(k) or "") for e in tops for k in ("message", "example"))
        if CLOSED.search(text):
            return True
    return False


def found(facts: Facts, problems: set[str]) -> list[Lowered]:
    """Recent writes that lowered the tracking timeout, when the incident is about a node or connections closed."""
    if "node" not in problems and not _closed(facts.logs):
        return []
    out: list[Lowered] = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        for line in [str(d) for d in change.get("diff") or []]:
            hits = lowered(line)
            if hits:
                name, old, new, keepalive = hits[0]
                out.append(Lowered(target, change, name, old, new, keepalive, line[-240:],
                                   [facts.changes_id] if facts.changes_id else []))
                break
    return out


def finding(r: Lowered) -> dict[str, Any]:
    """The write, the timeout old -> new against the keepalive time, and what it does to idle pooled connections."""
    rev = f" revision {r.change.get('revision')}" if r.change.get("revision") else ""
    message = (f"{r.target}{rev} lowered {r.timer} from {r.old_s:g} s to {r.new_s:g} s at {r.change.get('at')}: "
               f"the node's conntrack drops an established connection's entry after {r.new_s:g} s without a "
               f"packet, before a TCP keepalive probe ({r.keepalive_s:g} s) refreshes it, so pooled connections "
               f"(a database pool, HTTP keep-alive) that sit idle longer are cut: the next query on them gets a "
               f"reset or an I/O error, on the nodes this write reached only. Restore the timeout (or set the "
               f"clients' keepalive or pool idle time below it)")
    return {"check": CHECK, "severity": "critical", "object": r.change.get("object"), "reason": "ConntrackTimeout",
            "message": message, "evidence": [r.said[:200]],
            "details": {"timer": r.timer, "old_s": r.old_s, "new_s": r.new_s, "keepalive_s": r.keepalive_s,
                        "change_at": r.change.get("at")}}
