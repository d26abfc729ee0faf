"""A setting that makes every request cost more, switched on shortly before callers began to time out.

Some settings trade speed for something else on every operation: Redis `appendfsync always` waits for
an fsync on each write, PostgreSQL `synchronous_commit = remote_apply` waits for a standby to apply
each commit, Kafka `flush.messages=1` flushes each message, and a root log level of DEBUG or TRACE
formats and writes many lines per request (log4j2/logback reload that file live, no restart). None of
them is an error: the server slows down under load, throttles at its CPU limit, and its callers time
out or log slow requests. So when the logs show timeouts or slow requests (`SLOW`), this module reads what changed in
the last hours (a workload's rollout or recreate: its args, command and env; a ConfigMap write: its data) and
names the object that now carries such a setting. A setting that changed nothing recent, or callers neither
timing out nor slow, name nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import limit_hit
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "config.costly_setting"
WEIGHT = 0.85
"""A recent per-request cost explains timeouts less surely than a limit the errors name, more than a bare change."""
WINDOW = timedelta(hours=12)
"""How long before the alert the change that carries the setting may be: the cost shows at the next peak."""
MAX_READS = 4
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
_UNSEEN = re.compile(r"recreated|no visible revision", re.I)
"""A recreate whose template change the timeline could not see: its diff describes the pods, not the edit."""

COSTLY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"appendfsync\W{0,3}always", re.I),
     "AOF fsync on every write: each Redis write waits for the disk"),
    (re.compile(r"synchronous_commit\W{0,3}remote_apply", re.I),
     "each PostgreSQL commit waits for a standby to apply it"),
    (re.compile(r"flush\.messages\W{0,3}1\b", re.I), "the broker flushes every message to disk"),
    (re.compile(r"(?:transaction[_\s-]?isolation|tx[_-]isolation|isolation[_\s-]?level)\W{0,4}(?:TRANSACTION_)?"
                r"SERIALIZABLE\b", re.I),
     "SERIALIZABLE isolation: InnoDB turns every plain read into a shared-locking read and PostgreSQL aborts "
     "transactions whose reads and writes overlap, so writers wait on readers' locks (lock wait timeouts, "
     "deadlocks) or fail with serialization errors"),
    (re.compile(r"(?:\blevel|LOG_?LEVEL|logging\.level\.[\w.]+|rootLogger\.level|root\.level)\W{0,3}(?:DEBUG|TRACE|ALL)\b",
                re.I), "root logging at DEBUG/TRACE: CPU and I/O spent formatting and writing lines on every request"),
)
"""Settings whose cost is paid on every operation, each with what it costs."""

TIMEOUT = re.compile(r"timed? ?out|timeout|deadline exceeded|\b504\b|response_timeout|deadlock|"
                     r"could not serialize access|serialization failure", re.I)
"""A caller's wording for a slow server: what a per-request cost turns into under load (for a stricter isolation
level: the lock waits, deadlocks and serialization failures of transactions that now collide)."""
SLOW = re.compile(
    r"(?:response_?time|duration_?ms|latency_?ms|elapsed_?ms|took_?ms|time_?ms)\W{0,3}(?P<ms>\d{4,})(?:\.\d+)?\b(?!\s*(?:us|µs|ns))"
    r"|(?:latency|duration|elapsed|took|request_time|upstream_response_time)\W{0,3}(?P<s>[1-9]\d*(?:\.\d+)?)\s*s\b"
    r"|\bslow (?:request|query|command|log)\b", re.I)
"""A request logged as slow, in several servers' and frameworks' wordings: a duration field in milliseconds of a
second or more (pino's `responseTime`, `duration_ms`), a duration in seconds (`latency=2.4s`, `took 3.1s`), or the
words `slow request`/`slow query`. A latency page often has no timeout yet: the callers' own lines say how slow."""


def cost_of(text: str) -> str | None:
    """What a setting written as `text` (`key=value`, a config line) costs on every operation, when it is one of
    the known costly settings: used by other readers to put such a setting first among a file's many."""
    return next((cost for pattern, cost in COSTLY if pattern.search(text)), None)


@dataclass(frozen=True)
class Costly:
    """An object that carries a costly setting since a recent change, and the timeout its callers log."""

    target: Ref
    where: str
    said: str
    cost: str
    minutes_before: int
    log: LogEvidence
    timeout: str
    evidence: list[str]


def _timeout(facts: Facts) -> tuple[LogEvidence, str] | None:
    for log in limit_hit.all_logs(facts):
        for e in log.entries():
            text = said_by(e)
            said = " ".join([text, str(e.get("exception") or "")])
            if TIMEOUT.search(said) or SLOW.search(said):
                return log, text[:200]
    return None


def _recent(facts: Facts) -> list[tuple[Ref, int, str, list[str]]]:
    """(object, minutes before the alert, evidence id, diff lines) of workloads and ConfigMaps changed within WINDOW."""
    out: list[tuple[Ref, int, str, list[str]]] = []
    for change, evidence_id, target in facts.writes_to((*_WORKLOADS, "ConfigMap"), within=WINDOW):
        at = parse_time(change.get("at"))
        if at is not None and not any(r[0].same_object(target) for r in out):
            out.append((target, int((facts.at - at).total_seconds() // 60), evidence_id,
                        [] if _UNSEEN.search(str(change.get("summary") or ""))
                        else [str(d) for d in change.get("diff") or []]))
    return out


def _read_object(facts: Facts, target: Ref) -> tuple[dict[str, Any], str] | None:
    for obj, evidence_id in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == target.kind and meta.get("name") == target.name \
                and (meta.get("namespace") or target.namespace) == target.namespace:
            return obj, evidence_id
    return None


async def read(facts: Facts, call: Call) -> None:
    """Reading only: when callers time out, the recently changed workloads and ConfigMaps (bounded)."""
    if _timeout(facts) is None:
        return
    for target, *_ in [r for r in _recent(facts) if _read_object(facts, r[0]) is None][:MAX_READS]:
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-costly-{target.name}")
        if got is not None and got[0].get("kind") == target.kind:
            facts.objects.append(got)


def _texts(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, text) of what an object configures: a ConfigMap's keys, a workload's args, command and env."""
    if obj.get("kind") == "ConfigMap":
        return [(f"key {k}", str(v)) for k, v in (obj.get("data") or {}).items()]
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    out = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        name = str((c or {}).get("name") or "")
        out.append((f"container {name} args", " ".join(str(a) for a in [*(c.get("command") or []),
                                                                          *(c.get("args") or [])])))
        out += [(f"container {name} env {e.get('name')}", f"{e.get('name')}={e.get('value')}")
                for e in c.get("env") or [] if isinstance(e, dict) and e.get("value") is not None]
    return out


def _in_change(where: str, said: str, diff: list[str]) -> bool:
    """Whether the change wrote this setting: a diff that lists what it changed must name its key or its text
    (an image bump of a workload long run at DEBUG is no suspect); a change with no visible diff (a recreate,
    a write whose keys were not recorded) cannot rule it out."""
    if not diff:
        return True
    key = where.split()[-1]
    return any(said.lower() in line.lower() or re.search(rf"\b{re.escape(key)}\b", line) for line in diff)


def found(facts: Facts) -> list[Costly]:
    """Recently changed objects that now carry a per-request cost, newest change first, when callers time out."""
    timeout = _timeout(facts)
    if timeout is None:
        return []
    log, said_timeout = timeout
    out: list[Costly] = []
    for target, minutes, change_id, diff in sorted(_recent(facts), key=lambda r: r[1]):
        got = _read_object(facts, target)
        if got is None:
            continue
        for where, text in _texts(got[0]):
            hit = next(((m, cost) for pattern, cost in COSTLY if (m := pattern.search(text))), None)
            if hit is not None and _in_change(where, hit[0].group(0), diff):
                out.append(Costly(target, where, hit[0].group(0), hit[1], minutes, log, said_timeout,
                                  [e for e in (change_id, got[1], log.evidence_id) if e]))
                break
    return out[:1]


def finding(c: Costly) -> dict[str, Any]:
    """The scan-shaped finding: the setting and its per-request cost first, then the change and the timeouts."""
    return {
        "check": CHECK, "severity": "critical", "reason": "CostlySetting",
        "object": {"kind": c.target.kind, "namespace": c.target.namespace, "name": c.target.name},
        "message": (f"{c.target} {c.where} sets {c.said} ({c.cost}), changed {minutes_text(c.minutes_before)} "
                    f"before the alert; under load the server slows or throttles at its CPU limit and callers "
                    f"slow down or time out: {workload_of_pod(c.log.pod)}'s logs say '{c.timeout}'. "
                    "Revert that setting"),
        "evidence": [c.said],
        "details": {"where": c.where, "setting": c.said, "minutes_before": c.minutes_before},
    }
