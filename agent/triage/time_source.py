"""A time-sync configuration written just before the clocks moved: the write, not the nodes, is the cause.

clock.py names ONE node whose clock is wrong while the same workload's pods elsewhere are fine. When the time
daemon's own configuration is written (a chrony.conf / ntp.conf / timesyncd.conf in a ConfigMap its DaemonSet
mounts, the DaemonSet's NTP server env or args), every node it runs on follows the new source at once: no node
stands out, and node_exporter's `node_timex_offset_seconds` reads ~0 because it measures the clock against the
source the daemon now trusts, however wrong that source is. What shows it:

- the daemon's own words after the write: chronyd `System clock wrong by 3599.87 seconds` / `System clock was
  stepped by`, ntpd `time reset +3600.1 s` / `step time server`, timesyncd `Clock change detected`: the clock was
  moved by that much (a `makestep` with a negative limit lets chrony step at any time, not only at start);
- the clients' time checks failing from then on, in their libraries' words (clock.CLOCK_WORDS: S3
  `RequestTimeTooSkewed` / `The difference between the request time and the current time is too large`, JWT
  `iat` in the future / `token used before issued`, Kerberos `Clock skew too great`, x509 `not yet valid`).

The write is named when it is a time-sync object (its name, keys, diff, or the workloads the timeline relates it to
say chrony/ntp/timesyncd/ptp) written within LEAD before the alert, and after it either the daemon stepped or
reported the clock wrong by at least STEP_LIMIT, or the incident's pods fail time checks. A write followed by
neither (the daemon kept the clock within a second, nothing failed a time check), or made after the daemon had
already stepped and the clients already failed, is not named.

A time-sync write can also stop the daemon from disciplining the clock at all: a hardened securityContext drops
CAP_SYS_TIME (chronyd `adjtimex(0x8001) failed : Operation not permitted`, ntpd `ntp_adjtime() failed`, timesyncd
`Failed to set system clock`, phc2sys `clock_adjtime failed`) or its sources become unreachable (`no selectable
sources`). Nothing steps then: every node's clock free-runs at its own rate and only reaches what time checks refuse
hours later (20 ppm is a minute in 14 h). So a time-sync write within STOPPED_LEAD is named when, after it, the
daemon's own pods say it cannot set the clock (LOST) and the clocks show it: a node's gauges off or unsynchronised
(clock.py), or clients failing time checks. A daemon that keeps working, or one refused while no clock moved and no
client fails, is not named.

The survey calls `read` (reading only): the written time-sync objects' YAML, the daemon pods' logs (the crashed
instance's when the current one is waiting), and, when no log read so far fails a time check, the logs of a few
pods of the workloads the incident names. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import clock
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.time_source"
WEIGHT = 0.93
"""Above a node's clock skew (clock.WEIGHT 0.9), which the same write explains on every node, and above a rollout
of a client whose time checks fail."""
RECORD = "time_source"
LEAD = timedelta(hours=6)
"""How long before the alert a time-sync write may have been made and still be what moved the clocks."""
STEP_LIMIT = 1.0
"""Seconds the daemon must have found the clock wrong (or stepped it) to count as moved: time checks allow a few
seconds to minutes of skew, chrony's default makestep threshold is 1 s."""
STOPPED_LEAD = timedelta(hours=72)
"""How long before the alert a write may have stopped the daemon: a free-running clock drifts for hours to days before
time checks refuse it."""
MAX_WRITES = 2
MAX_DAEMON_PODS = 2
MAX_CLIENT_PODS = 3

TIME_SYNC = re.compile(r"chrony|\bntpd?\b|ntp[-_.]|[-_.]ntp|\bNTP\w*|timesyncd|openntpd|ptp4l|phc2sys|time-?sync",
                       re.I)
"""Words that make an object a time-sync one: its name, its data keys, its diff, the workloads that mount it."""

DIRECTIVE = re.compile(r"^\s*(?:server|pool|peer|makestep|maxdistance|maxslewrate|refclock|tinker|"
                       r"(?:Fallback)?NTP\s*=|PollIntervalMaxSec)\b.*$", re.I | re.M)
"""chrony.conf / ntp.conf / timesyncd.conf directives that choose the source or how the clock may be moved."""

STEPPED = re.compile(r"(?:System clock wrong by|clock (?:was )?stepped by|time reset|step(?:ped)? time by|"
                     r"time stepped by|step time server \S+ offset|adjusting local clock by|"
                     r"Clock change detected\D*?)\s*([-+]?\d+(?:\.\d+)?)", re.I)
"""The time daemons' words for a clock found wrong or moved, with the seconds: chronyd, ntpd (`time reset`, `CLOCK:
time stepped by`), ntpd/ntpdate/sntp (`step time server <addr> offset +3600.1 sec`), timesyncd."""

CLIENT_SKEW = re.compile(r"difference between the request time and the (?:current|server) time|"
                         r"Signature not yet current|request time too skewed|"
                         r"invalid_grant\W.{0,120}\breasonable timeframe|Check your iat and exp values|"
                         r"clock difference against peer \S+ is too high", re.I)
"""Clients' time-check wording beyond clock.CLOCK_WORDS: the S3 RequestTimeTooSkewed message as the SDKs print it,
Google OAuth's `invalid_grant: Invalid JWT: Token must be a short-lived token ... in a reasonable timeframe. Check
your iat and exp values` (a service-account assertion signed with a wrong clock), etcd's `the clock difference
against peer <id> is too high`."""

LOST = re.compile(
    r"\b(?:adjtimex|ntp_adjtime|clock_adjtime|clock_settime|settimeofday|adjtime)\b[^\n]{0,60}?"
    r"(?:failed|Operation not permitted|EPERM|permission denied)|"
    r"Failed to (?:set|adjust|update) (?:the )?(?:system )?(?:clock|time)\b|"
    r"(?:can't|cannot|could not|unable to) (?:set|adjust|discipline) (?:the )?(?:system |kernel )?(?:clock|time)\b|"
    r"\bCAP_SYS_TIME\b|no (?:selectable|suitable) sources?|Can't synchroni[sz]e|no servers? reachable|"
    r"no server suitable for synchroni[sz]ation", re.I)
"""A time daemon's words for no longer disciplining the clock: refused the kernel's clock calls (a missing
CAP_SYS_TIME), or left with no source to follow."""
REFUSED = re.compile(r"Operation not permitted|EPERM|permission denied|CAP_SYS_TIME", re.I)

_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z?\s")


@dataclass
class Moved:
    """A time-sync write and what followed it."""

    target: Ref
    change: dict[str, Any]
    written: datetime
    daemons: list[Ref]
    directives: list[str]
    step: tuple[float, str] | None
    """(seconds, the daemon's line) of the largest step after the write."""
    errors: list[tuple[str, str]]
    """(pod, line) of clients failing time checks after the write."""
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    lost: tuple[str, str] | None = None
    """(pod, line) of the daemon saying, after the write, that it cannot discipline the clock."""
    drift: tuple[str, float | None] | None = None
    """(node, offset in seconds or None when only unsynchronised) of the worst node clock the gauges show."""


def skew_line(text: str) -> bool:
    """Whether a log line fails a time check because a clock is wrong."""
    return bool(clock.CLOCK_WORDS.search(text) or CLIENT_SKEW.search(text))


def _stamp(line: str) -> datetime | None:
    """The time a log line was printed (the collector's prefix), or None."""
    m = _STAMP.match(line.strip())
    return parse_time(m.group(1) + "Z") if m else None


def _about_time(change: dict[str, Any]) -> bool:
    words = " ".join([str((change.get("object") or {}).get("name") or ""), str(change.get("summary") or ""),
                      *(str(d) for d in change.get("diff") or []),
                      *(str((r or {}).get("name") or "") for r in change.get("related") or [] if isinstance(r, dict))])
    return bool(TIME_SYNC.search(words))


def writes(facts: Facts, lead: timedelta = LEAD) -> list[tuple[dict[str, Any], str]]:
    """Time-sync objects written within `lead` before the alert, newest first."""
    out: list[tuple[dict[str, Any], str]] = []
    for change, evidence in facts.every_change():
        at = parse_time(change.get("at"))
        ref = Ref.of(change.get("object"))
        if ref is None or at is None or not facts.at - lead <= at <= facts.at or not _about_time(change):
            continue
        if not any(Ref.of(c.get("object")) == ref and c.get("at") == change.get("at") for c, _ in out):
            out.append((change, evidence))
    return sorted(out, key=lambda w: str(w[0].get("at")), reverse=True)


def _daemons(change: dict[str, Any]) -> list[Ref]:
    """The workloads that run the daemon: the written object when it is one, else those the timeline relates."""
    refs = [Ref.of(change.get("object")), *(Ref.of(r) for r in change.get("related") or [])]
    return [r for r in refs if r is not None and r.kind in ("DaemonSet", "Deployment", "StatefulSet")]


def _text(outcome: Any) -> str:
    return str(outcome.full_text or outcome.text or "") if outcome is not None and outcome.ok else ""


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a time-sync object was written: its YAML, its daemon pods' logs, and the incident's
    pods' logs when none read so far fails a time check."""
    if RECORD in facts.reads:
        return
    found_writes = writes(facts, STOPPED_LEAD)[:MAX_WRITES]
    if not found_writes:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "daemon_logs": [], "client_logs": [],
                                                           "evidence": []})
    for change, _ in found_writes:
        ref = Ref.of(change.get("object"))
        if ref is not None and str(ref) not in kept["objects"]:
            got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-time-source-{ref.name}")
            if got is not None:
                kept["objects"][str(ref)] = got[0]
                kept["evidence"].append(got[1])
    pods = await call("k8s_list", {"kind": "Pod"}, "survey-time-source-pods")
    rows = rows_of(pods)
    daemons = {(d.namespace, d.name) for change, _ in found_writes for d in _daemons(change)}
    picked = [r for r in rows if (str(r.get("namespace") or ""), workload_of_pod(str(r.get("name") or ""))) in daemons]
    for row in picked[:MAX_DAEMON_PODS]:
        got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": 300},
                         f"survey-time-source-daemon-{row['name']}")
        lines = [ln for ln in _text(got).splitlines() if STEPPED.search(ln) or LOST.search(ln)]
        if not lines:  # waiting to restart: the crashed instance said why
            got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": 300,
                                          "previous": True}, f"survey-time-source-daemon-previous-{row['name']}")
            lines = [ln for ln in _text(got).splitlines() if STEPPED.search(ln) or LOST.search(ln)]
        if lines and got is not None:
            kept["daemon_logs"].append({"pod": row["name"], "lines": lines[-20:], "evidence": got.evidence_id})
    if any(skew_line(line) for log in facts.logs for line in _log_lines(log)):
        return
    words = [n.lower() for n in subject.names if len(n) >= 4]
    read_pods = {log.pod for log in facts.logs}
    clients: list[dict[str, Any]] = []
    for row in rows:
        name, workload = str(row.get("name") or ""), workload_of_pod(str(row.get("name") or ""))
        if name in read_pods or (str(row.get("namespace") or ""), workload) in daemons or \
                any(workload_of_pod(str(c.get("name"))) == workload for c in clients):
            continue
        if subject.mentions(workload) or any(w in workload.lower() for w in words):
            clients.append(row)
    for row in clients[:MAX_CLIENT_PODS]:
        got = await call("k8s_logs", {"name": row["name"], "namespace": row.get("namespace") or "", "tail": 300},
                         f"survey-time-source-client-{row['name']}")
        lines = [ln for ln in _text(got).splitlines() if skew_line(ln)]
        if lines and got is not None:
            kept["client_logs"].append({"pod": row["name"], "namespace": row.get("namespace") or "",
                                        "lines": lines[-10:], "evidence": got.evidence_id})


def _log_lines(log: Any) -> list[str]:
    return [*(str(e.get(k)) for e in log.entries() for k in ("example", "message") if e.get(k)), *log.last_lines]


def _lost(facts: Facts, kept: dict[str, Any], daemons: list[Ref], written: datetime) -> tuple[str, str, str] | None:
    """(pod, line, evidence) of the daemon saying, not before the write, that it cannot discipline the clock."""
    names = {(d.namespace, d.name) for d in daemons}
    for log in facts.logs:
        if (log.namespace, workload_of_pod(log.pod)) in names:
            line = next((ln for ln in _log_lines(log) if LOST.search(ln)), "")
            if line and (_stamp(line) or written) >= written:
                return log.pod, line, log.evidence_id
    for entry in kept.get("daemon_logs") or []:
        if any(workload_of_pod(str(entry.get("pod"))) == name for _, name in names):
            line = next((ln for ln in entry.get("lines") or [] if LOST.search(ln)
                         and (_stamp(ln) or written) >= written), "")
            if line:
                return str(entry.get("pod")), line, str(entry.get("evidence") or "")
    return None


def _drift(facts: Facts) -> tuple[str, float | None] | None:
    """The node clock the gauges show furthest off (or only unsynchronised), whichever node it is."""
    skews = sorted(clock.gauged(facts).values(), key=lambda s: -abs(s.offset or 0))
    return (skews[0].node, skews[0].offset) if skews else None


def found(facts: Facts) -> list[Moved]:
    """Each time-sync write followed by the daemon moving the clock or by clients failing time checks, or (within
    STOPPED_LEAD) by the daemon refused the clock while the clocks drift or clients fail time checks."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    out: list[Moved] = []
    for change, evidence in writes(facts, STOPPED_LEAD)[:MAX_WRITES]:
        ref, written = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or written is None:
            continue
        daemons = _daemons(change)
        names = {d.name for d in daemons}
        step: tuple[float, str] | None = None
        ids = [evidence, *(kept.get("evidence") or [])]
        for log in kept.get("daemon_logs") or []:
            if names and workload_of_pod(str(log.get("pod"))) not in names:
                continue
            for line in log.get("lines") or []:
                when, m = _stamp(line), STEPPED.search(line)
                if m is None or (when is not None and when < written):
                    continue
                seconds = abs(float(m.group(1)))
                if seconds >= STEP_LIMIT and (step is None or seconds > step[0]):
                    step = (seconds, line.split(" ", 1)[-1].strip())
                    ids.append(str(log.get("evidence") or ""))
        errors: list[tuple[str, str]] = []
        victims: list[Ref] = []
        for log in facts.logs:
            line = next((ln for ln in _log_lines(log) if skew_line(ln)), "")
            if line:
                errors.append((log.pod, line))
                victims.append(Ref("", log.namespace, workload_of_pod(log.pod)))
                ids.append(log.evidence_id)
        for entry in kept.get("client_logs") or []:
            after = [ln for ln in entry.get("lines") or [] if (_stamp(ln) or written) >= written]
            if after:
                errors.append((str(entry.get("pod")), after[-1]))
                victims.append(Ref("", str(entry.get("namespace") or ""),
                                   workload_of_pod(str(entry.get("pod")))))
                ids.append(str(entry.get("evidence") or ""))
        lost = _lost(facts, kept, daemons, written)
        drift = _drift(facts) if lost else None
        if written >= facts.at - LEAD and (step is not None or errors):
            pass  # the write moved the clock (or the clients say it did) just before the alert
        elif lost is None or not (drift or errors):
            continue  # an older write counts only when the daemon says it lost the clock and the clocks show it
        if lost is not None:
            ids.append(lost[2])
        obj = (kept.get("objects") or {}).get(str(ref)) or {}
        data = " \n".join(str(v) for v in (obj.get("data") or {}).values()) if isinstance(obj, dict) else ""
        directives = [m.group(0).strip() for m in DIRECTIVE.finditer(data)][:4]
        out.append(Moved(ref, change, written, daemons, directives, step, errors,
                         list({str(v): v for v in victims}.values()), [i for i in dict.fromkeys(ids) if i],
                         (lost[0], lost[1]) if lost else None, drift))
    return out


def _stopped_finding(moved: Moved, at: datetime) -> str:
    """The message of a write after which the daemon cannot discipline the clock: the refusal, the drift, the
    clients, the write."""
    pod, line = moved.lost or ("", "")
    said = line.strip()
    found_at = LOST.search(said)
    if found_at is not None and found_at.start() > 80:
        said = "..." + said[found_at.start() - 40:]
    parts = [f"{moved.target} (the node time daemon) was written "
             f"{minutes_text(int((at - moved.written).total_seconds() // 60))} before the alert and since then cannot "
             f"discipline the clock: {pod} says '{said[:160]}'"]
    if moved.drift is not None:
        node, offset = moved.drift
        off = f"{abs(offset):.3g} s {'behind' if offset < 0 else 'ahead'}" if offset is not None else "unsynchronised"
        parts.append(f"so the node clocks free-run and drift (node {node}: {off})")
    if moved.errors:
        pod_, said_ = moved.errors[0][0], moved.errors[0][1].strip()
        hit = clock.CLOCK_WORDS.search(said_) or CLIENT_SKEW.search(said_)
        start = max(0, hit.start() - 60) if hit else 0  # the time check's words in view
        parts.append(f"and clock-checked calls fail: {pod_}: '{'...' if start else ''}{said_[start:start + 180]}'")
    diff = "; ".join(str(d) for d in moved.change.get("diff") or [])[:200]
    need = ("give the daemon back what it needs to set the clock (the SYS_TIME capability, CAP_SYS_TIME)"
            if REFUSED.search(line) else "give the daemon back a reachable source")
    return "; ".join(parts) + (f". The write: {diff}" if diff else "") + f". Revert {moved.target} or {need}"


def finding(moved: Moved, at: datetime) -> dict[str, Any]:
    """The write's finding, its meaning first (the headline is cut): a time-sync write, the clock it moved, the
    clients' time checks failing."""
    if moved.lost is not None and moved.step is None:
        return {"check": CHECK, "severity": "critical", "reason": "TimeDaemonStopped",
                "object": {"kind": moved.target.kind, "namespace": moved.target.namespace, "name": moved.target.name},
                "message": _stopped_finding(moved, at), "evidence": [moved.lost[1][:200]],
                "details": {"written": moved.written.isoformat(), "daemon_says": moved.lost[1][:200],
                            "drift": list(moved.drift) if moved.drift else None}}
    runs = ", ".join(str(d) for d in moved.daemons[:2])
    of = f" of {runs}" if runs and not any(moved.target.same_object(d) for d in moved.daemons) else ""
    now = f" (now: {'; '.join(moved.directives)})" if moved.directives else ""
    diff = "; ".join(str(d) for d in moved.change.get("diff") or [])[:160]
    parts = [f"{moved.target} (the chrony/NTP time-sync configuration{of}) was written "
             f"{minutes_text(int((at - moved.written).total_seconds() // 60))} before the alert{now}, and the clock "
             f"moved with it: clock skew on every node the daemon runs on"]
    if moved.step is not None:
        parts.append(f"the time daemon then found the clock wrong by / stepped it {moved.step[0]:.0f} s "
                     f"('{moved.step[1][:120]}')")
    if moved.errors:
        pod, line = moved.errors[0]
        parts.append(f"so clock-checked calls fail (signed requests RequestTimeTooSkewed, tokens issued in the "
                     f"future, Kerberos skew): {pod}: '{line.strip()[-200:]}'")
    message = "; ".join(parts) + (f". The write: {diff}" if diff else "") + \
        f". node_timex_offset_seconds stays near 0 (it measures against the new source). Revert {moved.target} to " \
        f"a correct NTP source"
    return {"check": CHECK, "severity": "critical", "reason": "TimeSourceChanged",
            "object": {"kind": moved.target.kind, "namespace": moved.target.namespace, "name": moved.target.name},
            "message": message, "evidence": [e[1][:200] for e in moved.errors[:2]],
            "details": {"written": moved.written.isoformat(), "step_seconds": moved.step[0] if moved.step else None,
                        "directives": moved.directives}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The time-sync write; it explains the workloads whose time checks fail."""
    return [(m.target, finding(m, facts.at), m.evidence, m.victims) for m in found(facts)]
