"""A producer's commit or flush interval raised past the age its readers accept: their data arrives too old.

Some writers make their output visible only at intervals. Under exactly-once processing a stream job's output is
written inside a transaction that commits every interval, and `read_committed` consumers see nothing until it
does: Kafka Streams' `commit.interval.ms` (100 ms by default under `exactly_once_v2`), Flink's checkpoint interval
(`execution.checkpointing.interval`) with an exactly-once Kafka sink. Other writers buffer and flush on a timer
(`flush.interval`, `linger.ms`, a batch timeout). A tuning write that raises such an interval (to cut transaction
or request load) delays every record by up to the new interval. Nothing fails on the writer; a reader with a
staleness guard refuses what it now gets ("price older than max age, refusing quote" with `max_age_ms=5000`, "data
is stale ... limit 10s") and its users see errors.

So: a reader's log refusing data older than a bound it states (an age limit key such as `max_age_ms`,
`max_staleness`, or prose like "older than ... max 10s"), and a write within `LEAD` in the reader's namespace that
raised a commit/checkpoint/flush interval from at most that bound to above it. A commit or checkpoint interval only
delays visibility under a transactional guarantee, so that one must be seen on the writer (its spec or its own
config dump: `exactly_once`, `EXACTLY_ONCE`, `transactional.id`); a flush/linger interval delays by itself. Twins:
an interval raised but still below the bound, a commit interval raised under at-least-once, a stale reader with
no such write. `read` (reading only) reads each candidate writer's spec and its config dump lines; `found` is pure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import time_limit
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.visibility_delay"
WEIGHT = 0.93
"""Above the stale reader's refusals (the symptom) and a bare rollout of the writer."""
STORE = "visibility_delay"
LEAD = timedelta(hours=24)
MAX_WRITERS = 3
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "FlinkDeployment", "KafkaConnector", "KafkaConnect")

STALE = re.compile(r"stale|older than|too old|max[_ .-]?age|staleness|freshness", re.I)
BOUND_KEY = re.compile(r"[\"']?(?P<key>max[_.-]?(?:age|staleness|lag|delay)[\w.-]*|"
                       r"stale(?:ness)?[_.-]?(?:limit|threshold|max|after)[\w.-]*)[\"']?\s*[:=]\s*[\"']?"
                       r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|sec|seconds|m|min)?\b", re.I)
BOUND_PROSE = re.compile(r"(?:stale|older than|too old)[^\n]{0,80}?(?:max(?:imum)?|limit|threshold|allowed)"
                         r"[^\d\n]{0,15}(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|sec|seconds|m|min)\b", re.I)
UNIT = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "seconds": 1.0, "m": 60.0, "min": 60.0}

COMMIT = re.compile(r"commit[_.-]?interval|checkpoint(?:ing)?[_.-]?interval", re.I)
"""Intervals that delay visibility only under a transactional (exactly-once) guarantee."""
FLUSH = re.compile(r"flush[_.-]?interval|linger|batch[_.-]?(?:timeout|interval|delay)|publish[_.-]?interval|"
                   r"emit[_.-]?interval", re.I)
"""Intervals a writer buffers for before anything is sent."""
TRANSACTIONAL = re.compile(r"exactly[_.-]?once\w*|transactional[_.-]?id|read[_.-]?committed", re.I)

_ENV = re.compile(r"\benv (?P<key>[A-Za-z_][\w.]*)=(?P<old>'[^']*'|\S+) -> (?:(?P=key)=)?(?P<new>'[^']*'|\S+)$")
_SET = re.compile(r"^(?P<key>[\w.\[\]/-]+)(?::\s+(?P<old>\S+)\s+->|\s+=)\s+(?P<new>.+)$")


@dataclass(frozen=True)
class Bound:
    seconds: float
    line: str
    log: LogEvidence


@dataclass(frozen=True)
class Raised:
    target: Ref
    change: dict[str, Any]
    evidence: str
    key: str
    old: str | None
    new: str
    before: float | None
    after: float
    commit: bool


@dataclass
class Delay:
    raised: Raised
    bound: Bound
    guarantee: str
    config_line: str
    evidence: list[str] = field(default_factory=list)


def bounds(facts: Facts) -> list[Bound]:
    """Each reader's staleness refusal with the age bound it states, one per pod."""
    out: list[Bound] = []
    for log in facts.logs:
        for text in [said_by(e) for e in log.entries()] + list(log.last_lines):
            if not STALE.search(text):
                continue
            m = BOUND_KEY.search(text) or BOUND_PROSE.search(text)
            if m is None:
                continue
            key = m.groupdict().get("key") or ""
            unit = m["unit"] or ("ms" if re.search(r"ms$|millis", key, re.I) else "s")
            out.append(Bound(float(m["num"]) * UNIT[unit.lower()], text.strip(), log))
            break
    return out


def raised(change: dict[str, Any], evidence: str, target: Ref) -> list[Raised]:
    """The visibility intervals one write raised (or set, its old value unrecorded)."""
    out: list[Raised] = []
    for line in (str(d) for d in change.get("diff") or []):
        m = _ENV.search(line) or _SET.match(line.strip())
        if m is None:
            continue
        key = m["key"]
        commit = bool(COMMIT.search(key))
        if not commit and not FLUSH.search(key):
            continue
        new = m["new"].strip().strip("'\"")
        old = m["old"].strip("'\"") if m["old"] else None
        after = _seconds(new, key)
        before = _seconds(old, key) if old is not None else None
        if after is None or (before is not None and after <= before):
            continue
        out.append(Raised(target, change, evidence, key, old, new, before, after, commit))
    return out


_DURATION = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|sec|secs|seconds|m|min|mins|minutes|h|hours)", re.I)
DURATION_UNIT = {"ms": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0, "m": 60.0, "min": 60.0, "mins": 60.0,
                 "minutes": 60.0, "h": 3600.0, "hours": 3600.0}


def _seconds(value: str, key: str) -> float | None:
    """An interval's value in seconds: what time_limit reads (`500`, `*_MS`, `5s`, `PT5S`), else a Flink/Typesafe
    duration (`5min`, `2 h`)."""
    got = time_limit.seconds(value, key)
    if got is None and (m := _DURATION.fullmatch(value.strip())):
        got = float(m["num"]) * DURATION_UNIT[m["unit"].lower()]
    return got


def _candidates(facts: Facts) -> list[Raised]:
    return [r for change, evidence, target in facts.writes_to(WORKLOADS, within=LEAD, deletions=False)
            for r in raised(change, evidence, target)]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a reader refuses stale data: each writer whose interval was raised, its spec and one of its
    pods' config lines (a Kafka client's `... Config values:` dump)."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = {}
    if not bounds(facts):
        return
    store: dict[str, dict[str, Any]] = {}
    for r in _candidates(facts)[:MAX_WRITERS]:
        key = str(r.target)
        if key in store:
            continue
        seen: dict[str, Any] = {"spec": "", "lines": [], "evidence": []}
        got = await get_yaml(call, r.target.kind, r.target.name, r.target.namespace,
                             f"survey-visibility-{r.target.name}")
        if got is not None:
            seen["spec"] = json.dumps(got[0].get("spec") or {})
            seen["evidence"].append(got[1])
        listed = await call("k8s_list", {"kind": "Pod", "namespace": r.target.namespace},
                            f"survey-visibility-pods-{r.target.name}")
        pods = [str(p.get("name")) for p in rows_of(listed) if workload_of_pod(str(p.get("name"))) == r.target.name
                or str(p.get("name")).startswith(r.target.name + "-")]
        for pod in pods[:1]:
            for word in ("interval", "exactly", "transactional"):
                logs = await call("k8s_logs", {"name": pod, "namespace": r.target.namespace, "grep": word},
                                  f"survey-visibility-logs-{pod}-{word}")
                if logs is not None and logs.ok:
                    seen["lines"] += [ln.strip() for ln in (logs.full_text or logs.text).splitlines()[1:]
                                      if re.search(r"[\w.]+\s*=\s*\S", ln)][:20]
                    seen["evidence"].append(logs.evidence_id)
        store[key] = seen
    facts.reads[STORE] = store


def found(facts: Facts) -> list[Delay]:
    """The raised interval now above a reader's staleness bound in the same namespace (the first one)."""
    store = facts.reads.get(STORE) or {}
    for bound in bounds(facts):
        for r in _candidates(facts):
            if r.target.namespace != bound.log.namespace or r.after <= bound.seconds or \
                    (r.before is not None and r.before > bound.seconds):
                continue
            seen = store.get(str(r.target)) or {}
            text = " ".join([str(seen.get("spec") or ""), *seen.get("lines", [])])
            guarantee = next((m.group(0) for m in TRANSACTIONAL.finditer(text)), "")
            if r.commit and not guarantee:
                continue
            prop = re.compile(rf"([\w.]*(?:commit|checkpoint|flush|linger|batch)[\w.]*)\s*=\s*{re.escape(r.new)}\b",
                              re.I)
            config_line = next((m.group(0) for ln in seen.get("lines", []) if (m := prop.search(ln))), "")
            ids = [e for e in (r.evidence, *seen.get("evidence", []), bound.log.evidence_id) if e]
            return [Delay(r, bound, guarantee, config_line, ids)]
    return []


def _said(value: float) -> str:
    return time_limit.said(value)


def finding(d: Delay, at: datetime) -> dict[str, Any]:
    r, b = d.raised, d.bound
    when = parse_time(r.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
    by = f" by {written_by(r.change)}" if written_by(r.change) else ""
    value = (f"{r.old} -> {r.new} ({_said(r.before)} -> {_said(r.after)})" if r.before is not None and r.old
             else f"set to {r.new} ({_said(r.after)}; old value not recorded)")
    conf = f" (its own config: {d.config_line})" if d.config_line else ""
    how = (f"under {d.guarantee} its output is committed in a transaction only every interval, and read_committed "
           f"consumers see nothing until it commits" if r.commit else
           "it buffers its output for up to that interval before anything is sent")
    reader = workload_of_pod(b.log.pod) or b.log.pod
    message = (f"{r.target}: {r.key} {value}{by}{ago}{conf}: {how}, so its readers get data up to "
               f"{_said(r.after)} old, past the {_said(b.seconds)} that {reader} accepts: it refuses what it gets "
               f"('{b.line[:200]}'). Lower the interval below the readers' bound")
    return {"check": CHECK, "severity": "critical", "reason": "VisibilityDelayed",
            "object": {"kind": r.target.kind, "namespace": r.target.namespace, "name": r.target.name},
            "message": message, "evidence": [f"{r.key} {value}", b.line[:200]],
            "details": {"key": r.key, "old": r.old, "new": r.new, "bound_seconds": b.seconds,
                        "guarantee": d.guarantee}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the writer whose interval was raised, its finding, evidence ids, the stale reader) for `behind`."""
    out = []
    for d in found(facts):
        reader = workload_of_pod(d.bound.log.pod) or d.bound.log.pod
        out.append((d.raised.target, finding(d, facts.at), d.evidence, [Ref("", d.bound.log.namespace, reader)]))
    return out
