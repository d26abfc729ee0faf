"""Calls that take about one (or three) seconds longer than usual after the node's Service proxy changed.

A new TCP connection whose first SYN is dropped is not refused and does not fail: the kernel sends the SYN again
after its initial retransmission timeout, 1 s on Linux (3 s on older kernels and some clients), then 3 s, 7 s.
So the caller's latency gains a step: most calls take their usual time, a share take the usual time plus 1.0 s,
fewer plus 3 s, and nothing lies in between. Nothing errors; the p99 jumps to ~1 s and a latency SLO burns.

The drop comes from the Service data path the node agent programs. kube-proxy's mode (`--proxy-mode`, or
`mode:` in its KubeProxyConfiguration) decides it: in IPVS mode with `net.ipv4.vs.conn_reuse_mode=1` (the
default), a SYN that reuses a source port whose IPVS connection entry still exists (a busy client recycling
ports in TIME_WAIT) is dropped; in iptables/nftables mode a conntrack insert race on port reuse does the same.
A switch of mode (iptables <-> ipvs <-> nftables) or of its conntrack/IPVS settings, written shortly before the
step began, is the cause; the application's own rollouts did not change how its connections are set up.

This module pairs the two halves:
1. the step, read from the incident workload's own log lines (`elapsed_ms=1102`, `took 1.004s`, `connect
   took 1.0s`): a fast mode, and at least three calls at the fast mode plus 1 s (or 3 s), with few calls
   in between, more of them after the write than before;
2. the proxy's write: a kube-proxy-like DaemonSet (kube-proxy, or an agent replacing it: cilium, kube-router)
   whose spec was written within a day before, its mode read from its flags, its ConfigMap or its pods' own
   startup line (`"Using ipvs Proxier"`).
Reading only; the survey hook reads one pod's last STEP_TAIL log lines of the incident workload (LOG_TAIL only
when those show the step), then the proxy DaemonSets and their ConfigMaps and one pod's logs each.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.time_limit import durations_in, line_time

CHECK = "change.proxy_syn_drop"
WEIGHT = 0.9
"""Above a dependency's own symptoms (0.7) and the application's rollouts: the step is the proxy's signature."""
READS = "syn_retry_step"
LEAD = timedelta(hours=24)
STEP_TAIL = 300
"""The incident workload's last lines, read first for every incident: a service that logs its calls' times logs
one line a call, so these show a step that is there now. Most incidents have none, and stop here."""
LOG_TAIL = 1500
"""The lines read once the last STEP_TAIL show a step: back far enough to hold calls from before the proxy write,
whose share of slow calls tells a step the write made from one that was always there."""
MAX_PROXIES = 2
PROXY_AGENTS = re.compile(r"^(?:kube-proxy|cilium|kube-router)(?:-[\w-]+)?$")
"""DaemonSets that program Service load balancing on the nodes (cilium and kube-router when they replace
kube-proxy)."""
RTO_STEPS = (1.0, 3.0)
"""The kernel's SYN retransmission timeouts a dropped SYN adds (Linux's initial RTO is 1 s; 3 s before 3.x)."""
MIN_SLOW = 3

_MODE_FLAG = re.compile(r"--proxy-mode[= ](?P<mode>\w+)")
_MODE_CONFIG = re.compile(r"^\s*mode:\s*[\"']?(?P<mode>\w*)[\"']?\s*$", re.M)
_MODE_LOG = re.compile(r"Using (?P<mode>ipvs|iptables|nftables|userspace|kernelspace)(?: single-stack)? Proxier",
                       re.I)
_REPLACEMENT = re.compile(r"kube-proxy-replacement[\"']?\s*[:=]\s*[\"']?(?P<mode>\w+)", re.I)

Call = Callable[..., Awaitable[Any]]


@dataclass
class Step:
    """A latency step in one workload's calls: most at `base`, `slow` of them `added` seconds later."""

    workload: str
    """`namespace/name` of the workload whose calls show it."""
    base: float
    added: float
    slow: int
    total: int
    sample: str
    first_slow: datetime | None
    slow_before: int = 0
    total_before: int = 0
    evidence_id: str = ""


def step_of(lines: list[str], since: datetime | None = None) -> tuple[float, float, int, int, str,
                                                                       datetime | None] | None:
    """(base, added, slow, total, sample, first slow time) when the durations logged from `since` on show a fast
    mode and at least MIN_SLOW calls one RTO step (1 s or 3 s, within 15 %) above it, with fewer calls in the gap
    than in the step; else None. Calls slower than the step (a slow backend) count against it."""
    timed = [(line_time(ln), d, ln) for ln in lines for d in durations_in(ln)[:1]]
    timed = [(t, d, ln) for t, d, ln in timed if since is None or t is None or t >= since]
    if len(timed) < 2 * MIN_SLOW:
        return None
    values = sorted(d for _, d, _ in timed)
    base = statistics.median(values[: max(1, len(values) // 2)])
    if base >= 0.5:
        return None  # the usual call is already slow: a 1 s step is no longer a distinct mode
    for added in RTO_STEPS:
        low, high = base + added * 0.85, base + added * 1.15
        slow = [(t, d, ln) for t, d, ln in timed if low <= d <= high]
        between = [d for _, d, _ in timed if base * 3 + 0.05 < d < low]
        beyond = [d for _, d, _ in timed if d > high and not any(abs(d - base - a) <= a * 0.15 for a in RTO_STEPS)]
        if len(slow) >= MIN_SLOW and len(slow) <= len(timed) * 0.6 and len(between) < len(slow) / 2 \
                and len(beyond) < len(slow) / 2:
            first = min((t for t, _, _ in slow if t is not None), default=None)
            return base, added, len(slow), len(timed), slow[-1][2].strip()[:200], first
    return None


@dataclass
class ProxyWrite:
    """A write to a node Service-proxy agent: when, and the mode and settings it runs with now."""

    daemonset: Ref
    at: datetime
    mode: str
    said: list[str] = field(default_factory=list)
    """Where the mode was read (`--proxy-mode=ipvs`, `config mode: ipvs`, its log line)."""
    evidence: list[str] = field(default_factory=list)
    known_by: str = ""
    """Where the time comes from: the change timeline, or the agent's own startup line."""


_KLOG = re.compile(r"^[IWEF](?P<mo>\d\d)(?P<d>\d\d) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)")


def _klog_time(line: str, now: datetime) -> datetime | None:
    """The time of a klog line (`I1202 15:55:40.000000 1 server_linux.go:233] ...`, no year: the year that puts
    it at or before `now`), as kube-proxy and most Kubernetes components print it."""
    m = _KLOG.match(line.strip())
    if m is None:
        return None
    for year in (now.year, now.year - 1):
        t = parse_time(f"{year}-{m['mo']}-{m['d']}T{m['h']}:{m['mi']}:{m['s']}Z")
        if t is not None and t <= now + timedelta(days=1):
            return t
    return None


def _written_at(facts: Facts, ds: Ref, logs: list[str]) -> tuple[datetime | None, str]:
    """When the agent's current configuration took effect, and how that is known: the newest write of the change
    timeline to the DaemonSet or a ConfigMap named after it, else the time its pod logged its startup line
    (`"Using ipvs Proxier"`: the agent restarted with the mode it runs now)."""
    stem = ds.name.split("-")[0]
    writes = [parse_time(c.get("at")) for c, _, r in facts.writes_to(("DaemonSet", "ConfigMap"))
              if r.namespace == ds.namespace
              and ((r.kind == "DaemonSet" and r.name == ds.name) or (r.kind == "ConfigMap" and stem in r.name))]
    newest = max((t for t in writes if t is not None and t <= facts.at), default=None)
    if newest is not None:
        return newest, "the change timeline"
    started = [line_time(ln) or _klog_time(ln, facts.at) for ln in logs if _MODE_LOG.search(ln)]
    first = min((t for t in started if t is not None), default=None)
    return first, "its pods' startup line"


def mode_of(ds: dict[str, Any], configs: list[str], logs: list[str]) -> tuple[str, list[str]]:
    """The proxy mode the agent runs with, and where that was read: its container flags, then its ConfigMaps'
    KubeProxyConfiguration (`mode: ipvs`, cilium's `kube-proxy-replacement`), then its own startup log line."""
    said: list[str] = []
    mode = ""
    for c in (((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []:
        text = " ".join(str(t) for t in [*(c.get("command") or []), *(c.get("args") or [])])
        if m := _MODE_FLAG.search(text):
            mode = mode or m["mode"]
            said.append(f"--proxy-mode={m['mode']}")
    for text in configs:
        if (m := _MODE_CONFIG.search(text)) and m["mode"]:
            mode = mode or m["mode"]
            said.append(f"config mode: {m['mode']}")
        if m := _REPLACEMENT.search(text):
            mode = mode or f"kube-proxy-replacement={m['mode']}"
            said.append(f"kube-proxy-replacement={m['mode']}")
    for line in logs:
        if m := _MODE_LOG.search(line):
            mode = mode or m["mode"].lower()
            said.append(f"its pods log \"Using {m['mode']} Proxier\"")
            break
    return mode, said


@dataclass
class Found:
    """The proxy write and the step it explains."""

    proxy: ProxyWrite
    step: Step
    minutes_before: int


def found(facts: Facts) -> list[Found]:
    """Each proxy write within LEAD before the incident whose Service data path now drops SYNs: the incident
    workload's calls show the RTO step from the write on, and less of it (by share) before (pure)."""
    store = facts.reads.get(READS) or {}
    out: list[Found] = []
    for proxy in store.get("proxies") or []:
        if not isinstance(proxy, ProxyWrite) or not timedelta(0) <= facts.at - proxy.at <= LEAD:
            continue
        for workload, (lines, evidence_id) in (store.get("lines") or {}).items():
            after = step_of(lines, proxy.at)
            if after is None:
                continue
            before = [ln for ln in lines if (t := line_time(ln)) is not None and t < proxy.at]
            base, added, slow, total, sample, first = after
            lo, hi = base + added * 0.85, base + added * 1.15
            before_d = [d for ln in before for d in durations_in(ln)[:1]]
            slow_before = sum(1 for d in before_d if lo <= d <= hi)
            if before_d and slow_before / len(before_d) >= (slow / total) / 3:
                continue  # the step was there before the write: not what the write did
            step = Step(workload, base, added, slow, total, sample, first, slow_before, len(before_d), evidence_id)
            out.append(Found(proxy, step, int((facts.at - proxy.at).total_seconds() // 60)))
            break
    return out


def _mechanism(mode: str, added: float) -> str:
    """Why the SYN is dropped in this mode, in words."""
    if mode.lower() == "ipvs":
        return ("in IPVS mode with net.ipv4.vs.conn_reuse_mode=1 a new connection that reuses a source port still "
                "in IPVS's connection table has its SYN dropped, and the client retransmits the SYN after "
                f"{added:.0f} s")
    return (f"in {mode or 'its new'} mode a connection reusing a source port loses its SYN (a conntrack insert race "
            f"on port reuse), and the client retransmits the SYN after {added:.0f} s")


def finding(got: Found) -> dict[str, Any]:
    """The finding: the mode switch and the step first (the headline quotes ~400 characters)."""
    p, s = got.proxy, got.step
    mode = p.mode.upper() if p.mode.lower() in ("ipvs", "nftables", "iptables") else p.mode
    where = "; ".join(p.said[:2])
    before = f", {s.slow_before} of {s.total_before} before" if s.total_before else ""
    message = (f"{p.daemonset} runs the Service proxy in {mode or 'a new'} mode{f' ({where})' if where else ''}, "
               f"since {minutes_text(got.minutes_before)} before the incident ({p.known_by}): "
               f"{_mechanism(p.mode, s.added)}. "
               f"{s.slow} of {s.total} calls of {s.workload} since take ~{s.added:.0f} s longer "
               f"({s.base * 1000:.0f} ms usual{before}), the SYN-retransmit step; nothing errors. "
               f"Revert the proxy mode (or set net.ipv4.vs.conn_reuse_mode=0 / kernel >= 5.9 for IPVS)")
    return {"check": CHECK, "severity": "critical", "object": {"kind": "DaemonSet", "namespace": p.daemonset.namespace,
                                                             "name": p.daemonset.name},
            "reason": "ProxyModeSynDrop", "message": message, "evidence": [s.sample, where],
            "details": {"mode": p.mode, "added_s": s.added, "slow": s.slow, "total": s.total,
                        "written_at": p.at.isoformat()}}


# ---- reading ------------------------------------------------------------------------------------------


async def _running_pod(call: Call, namespace: str, prefix: str, step: str) -> str:
    """One running pod of the workload named `prefix` in `namespace` (pods named after it), or ""."""
    listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace}, f"{step}-pods")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok and \
        isinstance(listed.data, dict) else []
    # Only a running pod has calls to time; a pod still waiting for its image has no log to read at all.
    names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")
             and r.get("status") in (None, "Running")]
    return next((n for n in names if workload_of_pod(n) == prefix or n.startswith(f"{prefix}-")), "")


async def _log_lines(call: Call, namespace: str, pod: str, step: str, tail: int) -> tuple[list[str], str]:
    """The pod's last `tail` log lines and the evidence id of the read ([] and "" when it failed)."""
    got = await call("k8s_logs", {"name": pod, "namespace": namespace, "tail": tail}, step)
    if got is None or not got.ok:
        return [], ""
    return str(getattr(got, "full_text", "") or got.text or "").splitlines()[-tail:], str(got.evidence_id)


async def _pod_lines(call: Call, namespace: str, prefix: str, step: str, tail: int) -> tuple[list[str], str]:
    """One pod's log lines of the workload named `prefix` in `namespace` (pods named after it)."""
    pod = await _running_pod(call, namespace, prefix, step)
    return await _log_lines(call, namespace, pod, f"{step}-{pod}", tail) if pod else ([], "")


async def _stepped_lines(call: Call, namespace: str, name: str) -> tuple[list[str], str]:
    """The incident workload's LOG_TAIL lines when its last STEP_TAIL already show the RTO step, else nothing:
    the long read is paid only by an incident whose calls are stepped now."""
    step = f"survey-syn-step-{name}"
    pod = await _running_pod(call, namespace, name, step)
    if not pod:
        return [], ""
    recent, _ = await _log_lines(call, namespace, pod, f"{step}-{pod}-recent", STEP_TAIL)
    if not recent or step_of(recent) is None:
        return [], ""
    return await _log_lines(call, namespace, pod, f"{step}-{pod}", LOG_TAIL)


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: the incident workload's last log lines (STEP_TAIL, then LOG_TAIL when those show an RTO
    step); when they show one, the node proxy DaemonSets, their ConfigMaps and one pod's logs each."""
    if not subject.namespace or not subject.names:
        return
    store = facts.reads.setdefault(READS, {})
    for name in subject.names[:2]:
        lines, evidence_id = await _stepped_lines(call, subject.namespace, name)
        if lines and step_of(lines) is not None:
            store.setdefault("lines", {})[f"{subject.namespace}/{name}"] = (lines, evidence_id)
            break
    if not store.get("lines"):
        return
    sets = await call("k8s_list", {"kind": "DaemonSet"}, "survey-syn-step-daemonsets")
    rows = (sets.data or {}).get("rows") or [] if sets is not None and sets.ok and isinstance(sets.data, dict) else []
    named = [(str(r.get("namespace") or ""), str(r.get("name"))) for r in rows
             if isinstance(r, dict) and PROXY_AGENTS.match(str(r.get("name") or ""))][:MAX_PROXIES]
    for ns, name in named:
        got = await get_yaml(call, "DaemonSet", name, ns, f"survey-syn-step-{ns}-{name}")
        if got is None:
            continue
        ds, ds_evidence = got
        target = Ref("DaemonSet", ns, name)
        configs: list[str] = []
        evidence = [ds_evidence]
        listed = await list_names(call, "ConfigMap", ns, f"survey-syn-step-configmaps-{ns}")
        for cm in sorted(n for n in (listed[0] if listed else set()) if name.split("-")[0] in n)[:2]:
            read_cm = await get_yaml(call, "ConfigMap", cm, ns, f"survey-syn-step-configmap-{cm}")
            if read_cm is not None:
                configs += [str(v) for v in (read_cm[0].get("data") or {}).values()]
                evidence.append(read_cm[1])
        logs, log_id = await _pod_lines(call, ns, name, f"survey-syn-step-proxy-{name}", 200)
        if log_id:
            evidence.append(log_id)
        written, how = _written_at(facts, target, logs)
        if written is None or not timedelta(0) <= facts.at - written <= LEAD:
            continue
        mode, said = mode_of(ds, configs, logs)
        store.setdefault("proxies", []).append(ProxyWrite(target, written, mode, said, evidence, how))
