"""A time limit made shorter than the work it governs: the write that cut it is the cause.

A worker, request, read, visibility, lease, ack or deadline timeout bounds how long one piece of work may
take. Cut below the work's real duration, it cuts that work short, and the software says so in its own words:
gunicorn's arbiter logs `WORKER TIMEOUT` and SIGKILLs the worker (the proxy in front answers 502), a Go client
returns `context deadline exceeded (Client.Timeout exceeded ...)` (its caller gets a 504), a gRPC call ends
`DEADLINE_EXCEEDED`. A broker's visibility timeout, a queue's lease or ack deadline is quieter: when the task
outlives it the broker hands the same message to a second consumer, so the same task id is received twice and
the work is done twice (Celery on Redis/SQS, Pub/Sub, SQS consumers). Nothing crashes; the victim's symptom is
loud and far from the setting.

This module pairs the two halves:

1. the setting: every recent write (24 h) that lowered a time-limit setting (container args and flags, env
   values, ConfigMap keys or leaves of a config file; any unit: `500`, `500ms`, `5s`, `PT5S`, with a bare
   number's unit read from the key, `*_MS` in milliseconds), or set one whose old value the timeline does not
   record (then the current value is read from the object). A raised limit is no candidate;
2. the work it governs, read from the workloads that hold the setting (the rolled-out workload itself, the
   ConfigMap's users, else the workloads of its namespace): durations in their logs (`succeeded in 610.0s`,
   `took 6.2s`, `duration_ms=900`), the p99 of the request-duration histogram of the dependency their timeout
   errors name (or of their own namespace), the software's own timeout wording from the write on, and
   redelivery (the same task id received twice, `redelivered`) for a visibility/lease/ack limit.

The write is the cause when the work measurably takes longer than the new value (a duration or a p99 above it;
a limit still well above every measured duration is not), or when the holder's timeout errors echo the new
value, or (for a setting of the holder's own spec or of a ConfigMap it uses) when its own timeout wording starts
after the write. The finding names old -> new and the work's duration first. Reading only; Secrets never come
here (only ConfigMaps and workload specs are read).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import tightened, timing_tight, value_diff
from agent.triage.arg_flags import flags
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.time_limit_below_work"
WEIGHT = 0.93
"""A time limit cut below the measured work it bounds explains the work's failures outright: above a bound cut
that the errors merely fit (tightened, 0.92) and above the victims' own symptoms."""
READS = "time_limit"
LEAD = timedelta(hours=24)
"""How long before the incident the cut may have been written (a long task meets it at its next run)."""
MAX_WRITES = 3
MAX_PODS = 2
MAX_HOLDERS = 3
LOG_TAIL = 600
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

Call = Callable[..., Awaitable[Any]]

# ---- which settings are time limits on work -----------------------------------------------------------

LIMIT_NAME = re.compile(r"time_?out|timeout|deadline|visibility|lease|ack_?wait|ack[_.-]?deadline|time_?limit|"
                        r"lock[_.-]?duration|"
                        r"max[_.-]?poll[_.-]?interval|max[_.-]?(?:execution|run|request)[_.-]?(?:time|duration)",
                        re.I)
"""Names of settings that bound how long one piece of work (a request, a task, a message) may take."""
NOT_WORK = re.compile(r"idle|keep[_.-]?alive|connect|dial|handshake|grace|ttl|cache|retention|backoff|retry|"
                      r"delay|heartbeat|probe|liveness|readiness|startup|shutdown|drain|dns|resolv", re.I)
"""Time settings that bound no work: idle connections, connection set-up, retries, probes, shutdown."""
HANDOVER = re.compile(r"visibility|lease|ack|poll[_.-]?interval|lock[_.-]?duration", re.I)
"""Limits past which a broker hands the work to another consumer (the work then runs twice): Azure Service Bus's
`lockDuration` (an ISO 8601 duration, `PT30S`) is such a lease."""


TIMEOUTS_BLOCK = re.compile(r"^(?:timeouts|timeoutPolicy|forwardingTimeouts|timeout)$", re.I)
"""A block whose leaves are each a time limit though named plainly: Gateway API `timeouts.request` /
`timeouts.backendRequest`, Contour `timeoutPolicy.response`, Traefik `forwardingTimeouts.*`."""
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "VirtualService", "HTTPProxy", "IngressRoute", "Ingress", "Mapping",
               "Route", "ServersTransport", "BackendTrafficPolicy", "ClientTrafficPolicy")
"""Objects whose time limits a proxy enforces on the upstream: past the limit the proxy abandons the request and
answers 504 itself while the backend still finishes (Envoy `UT`, nginx `upstream timed out`)."""


_UNIT_LEAF = re.compile(r"ms|s|sec|secs|seconds|millis|minutes|mins", re.I)
"""The last word of a dotted Java/Kafka property that names its unit, not the setting (`request.timeout.ms`)."""
MILLIS_DOCUMENTED = re.compile(r"(?:^|\.)consumer_timeout$")
"""Settings documented in milliseconds although their name says no unit: RabbitMQ's `consumer_timeout` (rabbitmq.conf,
`consumer_timeout = 1800000`; the broker's own refusal says `Timeout value used: 1800000 ms`)."""


def _written_alone(limit: Limit) -> bool:
    """Whether the write set this field by itself (`spec.visibilityTimeout = '30'`), not as one leaf of a file."""
    return any(str(d).strip().startswith(limit.key) for d in limit.change.get("diff") or [])


def is_time_limit(name: str) -> bool:
    """Whether a setting's name says it bounds the duration of work (`--timeout`, `LEDGER_TIMEOUT_MS`,
    `visibility_timeout`, `ackDeadlineSeconds`, a leaf of a route's `timeouts` block), not an idle, connect,
    retry or probe time."""
    parts = re.split(r"[.\[]", name) if not name.startswith("-") else [name]
    last = parts[-1]
    if len(parts) > 1 and _UNIT_LEAF.fullmatch(last):
        last = ".".join(parts[-4:])  # a dotted Java property ends in its unit: `max.poll.interval.ms`
    if NOT_WORK.search(last) or timing_tight.owns(last):
        return False  # a failure-detection timing (a lease, an election timeout) is agent.triage.timing_tight's
    parent = parts[-2] if len(parts) > 1 else ""
    return bool(LIMIT_NAME.search(last)) or bool(TIMEOUTS_BLOCK.match(parent))


def bare_unit(name: str) -> float:
    """The unit of a bare number in this setting, in seconds, read from its name: `*_MS`, `timeoutMillis` and
    Kafka's `*.ms` are milliseconds, `*_MINUTES` minutes; most servers' timeouts (gunicorn `--timeout`, Celery
    `visibility_timeout`, `*_SECONDS`) are seconds. A documented default's unit wins (PostgreSQL's ms)."""
    default = tightened.default_for(name)
    if default is not None and default.dim == "time":
        return default.unit
    if MILLIS_DOCUMENTED.search(name):
        return 1e-3
    words = tightened._words(name)
    if re.search(r"(?:^|\s)(?:ms|millis|milliseconds|msec)$", words) or re.search(r"Ms$|Millis$", name):
        return 1e-3
    if re.search(r"(?:^|\s)(?:us|micros|microseconds)$", words):
        return 1e-6
    if re.search(r"(?:^|\s)(?:min|mins|minutes)$", words):
        return 60.0
    if re.search(r"(?:^|\s)(?:hours|hrs)$", words):
        return 3600.0
    return 1.0


_ISO = re.compile(r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
                  r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?", re.I)


def seconds(value: str | None, name: str) -> float | None:
    """A time setting's value in seconds: `5`, `500ms`, `1m30s`, `PT5S` (ISO 8601, Java's Duration)."""
    text = str(value if value is not None else "").strip().strip("'\"").strip()
    iso = _ISO.fullmatch(text)
    if iso and text.upper() != "P" and any(iso.groupdict().values()):
        d, h, m, s = (float(iso[k] or 0) for k in ("d", "h", "m", "s"))
        return d * 86400 + h * 3600 + m * 60 + s
    if re.fullmatch(r"\d+(?:\.\d+)?\s*(?:sec|secs|seconds)", text):
        return float(re.sub(r"[^\d.]", "", text))
    got = tightened.magnitude(text, "time", bare_unit(name))
    return got if got is not None and got > 0 else None


def said(value: float) -> str:
    """`500 ms`, `5 s`, `10 min 10 s`: a duration as the finding says it."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.3g} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")


# ---- the limits written -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """One time limit a recent write lowered (or set, its old value not recorded)."""

    target: Ref
    change: dict[str, Any]
    key: str
    old: str | None
    new: str
    after: float
    """The new limit in seconds."""
    before: float | None
    """The old limit in seconds; None when the timeline does not record it."""
    evidence: str = ""
    program: str = ""
    """The executable whose flag it is (`gunicorn`), when the setting is a container's argument."""

    @property
    def at(self) -> datetime | None:
        return parse_time(self.change.get("at"))

    def text(self) -> str:
        """`--timeout 60 -> 5 (5 s)`, `LEDGER_TIMEOUT_MS set to 500 (500 ms; old value not recorded)`."""
        name = f"{self.program} {self.key}" if self.program else self.key
        if self.old is None or self.before is None:
            return f"{name} set to {self.new} ({said(self.after)}; old value not recorded)"
        return f"{name} {self.old} -> {self.new} ({said(self.before)} -> {said(self.after)})"


_SET_KEY = re.compile(r"^data key (?P<key>\S+) (?:set|added)\b")


def _value_pairs(key: str, old: str | None, new: str | None) -> list[tuple[str, str | None, str | None]]:
    """(setting, old, new) inside one env value or data key: flags in it, leaves of a structured file, or itself."""
    if old is not None and new is not None:
        before, after = tightened._tokens(old) or [], tightened._tokens(new) or []
        if any(t.startswith("-") for t in before + after):
            a, b = flags(before), flags(after)
            return [(k, a.get(k), b.get(k)) for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
    leaves = value_diff.diff(old, new, key)
    if leaves is not None:
        return [(leaf.path, leaf.old, leaf.new) for leaf in leaves
                if value_diff.HIDDEN not in (leaf.old, leaf.new)]
    return [(key, old, new)]


def pairs_of(line: str) -> list[tuple[str, str | None, str | None]]:
    """(setting, old, new) of one diff line of the change timeline: container args/command flags, env values,
    ConfigMap data keys (flags or file leaves inside them), spec fields."""
    if m := tightened._LISTS.match(line):
        old, new = tightened._tokens(m["old"]) or [], tightened._tokens(m["new"]) or []
        a, b = flags(old), flags(new)
        return [(k, a.get(k), b.get(k)) for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
    if m := tightened._ENV.match(line):
        return _value_pairs(m["key"], tightened._unquote(m["old"]), tightened._unquote(m["new"]))
    if m := tightened._DATA.match(line):
        return _value_pairs(m["key"], tightened._unquote(m["old"]), tightened._unquote(m["new"]))
    if m := tightened._ARROW.match(line):
        return [(m["path"], tightened._unquote(m["old"]), tightened._unquote(m["new"]))]
    if m := _SET_FIELD.match(line):
        return _set_leaves(m["path"], m["new"])
    if m := _SET_SCALAR.match(line):
        return [(m["path"], None, tightened._unquote(m["new"]))]
    return []


def _value_at(obj: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (`spec.rules`, `spec.http[0]`) of an object read back, or None."""
    node: Any = obj
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("[") and isinstance(node, list):
            index = int(part[1:-1])
            node = node[index] if index < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _read_back(path: str, obj: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(setting, None, current) of the scalar leaves under a spec field written whole, read from the object
    itself: the timeline shortens a written value to 80 characters, so a route's `timeouts` block deep in its
    rules is only seen there."""
    out: list[tuple[str, str | None, str | None]] = []

    def walk(at: str, node: Any, depth: int) -> None:
        if isinstance(node, dict) and depth < 8:
            for key, value in node.items():
                walk(f"{at}.{key}", value, depth + 1)
        elif isinstance(node, list) and depth < 8:
            for i, value in enumerate(node[:20]):
                walk(f"{at}[{i}]", value, depth + 1)
        elif isinstance(node, (str, int, float)) and not isinstance(node, bool) \
                and not any(NOT_WORK.search(p) for p in re.split(r"[.\[]", at)[:-1]):
            out.append((at, None, str(node)))

    walk(path, _value_at(obj, path), 0)
    return out


_SET_FIELD = re.compile(r"^(?P<path>spec(?:\.[\w\[\]-]+)*) = (?P<new>[\[{].*)$")
"""A spec field written whole with no old value recorded (`spec.rules = [{...}]`): its leaves are read."""

_SET_SCALAR = re.compile(r"^(?P<path>spec(?:\.[\w\[\]-]+)+) = (?P<new>'[^']*'|\"[^\"]*\"|[\w.:-]+)$")
"""A custom resource's scalar spec field written with no old value recorded (`spec.visibilityTimeout = '30'`, an
ACK/Crossplane queue's or subscription's `ackDeadlineSeconds = 10`): the value written is the new limit."""


def _set_leaves(path: str, value: str) -> list[tuple[str, str | None, str | None]]:
    """(setting, None, new) of every leaf of a spec field written whole; a leaf under a probe, retry, idle or
    connect block is no work limit whatever its own name (a probe's `timeoutSeconds`)."""
    leaves = value_diff.leaves(value, path) or {}
    out: list[tuple[str, str | None, str | None]] = []
    for leaf, text in leaves.items():
        full = f"{path}{'' if leaf.startswith('[') else '.'}{leaf}"
        if text != value_diff.HIDDEN and not any(NOT_WORK.search(p) for p in re.split(r"[.\[]", full)[:-1]):
            out.append((full, None, text))
    return out


def limits_of(change: dict[str, Any], target: Ref, evidence: str, facts: Facts) -> list[Limit]:
    """The time limits one write lowered: every diff shape (args, env, data keys and file leaves, spec fields)
    whose setting names a time limit on work, both sides read in seconds with the key's unit; then the data keys
    written without an old value, with their current values (read into `facts.objects`). A limit raised, or a
    key whose old value is known and was not lowered, is no candidate."""
    out: list[Limit] = []
    known: set[str] = set()
    for line in (str(d) for d in change.get("diff") or []):
        listed = tightened._LISTS.match(line)
        tokens = (tightened._tokens(listed["new"]) or tightened._tokens(listed["old"]) or []) if listed else []
        program = tightened._program(tokens, listed["c"]) if listed and tokens and not tokens[0].startswith("-") \
            else ""
        for key, old, new in pairs_of(line):
            known.add(key.split(".", 1)[0])
            known.add(key)
            if not is_time_limit(key) or new is None:
                continue
            after = seconds(new, key)
            before = seconds(old, key) if old is not None else None
            if after is None or (old is not None and (before is None or not after < before)):
                continue
            out.append(Limit(target, change, key, old, new, after, before, evidence, program))
    obj = facts.object_named(target.kind, target.namespace, target.name) if target.kind in ROUTE_KINDS else None
    for line in (str(d) for d in change.get("diff") or []) if obj is not None else []:
        whole = _SET_FIELD.match(line)
        for key, _, new in _read_back(whole["path"], obj) if whole and obj is not None else []:
            after = seconds(new, key)
            if key not in known and is_time_limit(key) and after is not None:
                known.add(key)
                out.append(Limit(target, change, key, None, str(new), after, None, evidence))
    for line in (str(d) for d in change.get("diff") or []):
        m = _SET_KEY.match(line)
        if m is None or target.kind != "ConfigMap" or m["key"] in known:
            continue
        value = facts.configmap_value(target, m["key"])
        if value is None:
            continue
        leaves = value_diff.leaves(value, m["key"]) or {}
        pairs = [(p, v) for p, v in leaves.items() if v != value_diff.HIDDEN] if len(leaves) > 1 else \
            [(m["key"], value)]
        for key, text in pairs:
            if is_time_limit(key) and (after := seconds(text, key)) is not None:
                out.append(Limit(target, change, key, None, text, after, None, evidence))
    return out



def _changes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """Every write of the survey's timeline, the longer histories and this module's own 24 h read."""
    out = facts.every_change()
    seen = {(str(c.get("at")), str(c.get("object"))) for c, _ in out}
    history = (facts.reads.get(READS) or {}).get("history")
    if isinstance(history, tuple):
        data, evidence = history
        for c in data.get("changes") or []:
            if isinstance(c, dict) and (str(c.get("at")), str(c.get("object"))) not in seen:
                out.append((c, evidence))
    return out


def candidates(facts: Facts) -> list[Limit]:
    """Every time limit lowered (or set with no old value) within LEAD before the incident, newest first."""
    out: list[Limit] = []
    for change, evidence in _changes(facts):
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        out += limits_of(change, target, evidence, facts)
    return sorted(out, key=lambda lim: str(lim.change.get("at")), reverse=True)


def _maybe_limit(change: dict[str, Any]) -> bool:
    """Whether a write touches a setting named like a time limit (before its current value is read), or writes a
    route's spec field whole (its shortened value may hide a `timeouts` block)."""
    target = Ref.of(change.get("object"))
    return any(LIMIT_NAME.search(str(d)) or (target is not None and target.kind in ROUTE_KINDS
                                              and _SET_FIELD.match(str(d))) for d in change.get("diff") or [])


# ---- the work it governs, as the holders' logs and metrics show it -------------------------------------

TIMEOUT_WORDS = re.compile(
    r"WORKER TIMEOUT|deadline exceeded|DEADLINE_EXCEEDED|Client\.Timeout|\btimed out\b|Gateway Time-?out|"
    r"TimeoutError|TimeoutException|ReadTimeout|SocketTimeoutException|TimeLimitExceeded|"
    r"canceling statement due to statement timeout|lease (?:expired|lost)|upstream request timeout|"
    r"Timeout awaiting '\w+' for \d+ms|ETIMEDOUT|ESOCKETTIMEDOUT", re.I)
"""The software's own wording for work cut short by its time limit (gunicorn's arbiter, Go's net/http and context,
gRPC, Python/Java clients, Celery's time limits, PostgreSQL's statement timeout, queue leases, Envoy's route
timeout, Node's got/request/socket timeouts); a bare "timeout"
is not one (a startup line printing its settings says it too)."""
_DURATION = re.compile(
    r"(?P<key>\b[\w.-]*(?:duration|elapsed|took|latency|runtime|run_time|response_time|request_time)[\w.-]*)"
    r"[\"']?\s*[:=]?\s*[\"']?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|us|µs|s|sec|secs|seconds|m|min|minutes)?\b"
    r"|\b(?:succeeded|completed|finished|done|processed|rendered|returned)\b[^\n]{0,60}?\bin "
    r"(?P<num2>\d+(?:\.\d+)?)\s*(?P<unit2>ms|s|sec|secs|seconds|m|min|minutes)\b", re.I)
"""A duration a log line reports for one piece of work: `succeeded in 610.0s` (Celery), `took 6.2s`,
`duration_ms=900`, `"elapsed": "1.2s"`, nginx's `request_time=12.003`."""
_UNIT = {"ms": 1e-3, "us": 1e-6, "µs": 1e-6, "s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0, "m": 60.0,
         "min": 60.0, "minutes": 60.0}
REDELIVERED = re.compile(r"redeliver|re-deliver|\bredelivered\b[\"']?\s*[:=]\s*[\"']?true|"
                         r"(?:delivery_?count|ApproximateReceiveCount|deliveryAttempt)[\"']?\s*[:=]\s*[\"']?[2-9]|"
                         r"duplicate (?:message|delivery|task)", re.I)
ACK_EXPIRED = re.compile(r"receipt handle (?:has )?expired|ReceiptHandleIsInvalid|receipt handle is invalid|"
                         r"ack(?:nowledg\w*)? deadline (?:has )?(?:expired|exceeded)|invalid ack ?id|"
                         r"delivery acknowledgement on channel \d+ timed out|"
                         r"CommitFailedException|max\.poll\.interval\.ms|lease (?:has )?expired|lock (?:has )?expired|"
                         r"MessageLockLost|SessionLockLost|lock supplied is invalid|"
                         r"acknowledgement ids? (?:have |has )?expired|acknowledgement ids in the request were invalid|"
                         r"PERMANENT_FAILURE_INVALID_ACK_ID", re.I)
"""The broker refusing an acknowledgement because the consumer's lease on the message ran out before it finished:
SQS `The receipt handle has expired` (ReceiptHandleIsInvalid) on DeleteMessage, Pub/Sub's expired ack deadline,
RabbitMQ's `delivery acknowledgement on channel 1 timed out` (consumer_timeout), Kafka's CommitFailedException
(max.poll.interval.ms), Service Bus `MessageLockLost`, the Pub/Sub Java client's `Some acknowledgement ids in the
request were invalid. This could be because the acknowledgement ids have expired` and exactly-once delivery's
PERMANENT_FAILURE_INVALID_ACK_ID."""
_RECEIVED = re.compile(r"\b(?:received|delivered|picked up|consuming|dequeued)\b", re.I)
_TASK_ID = re.compile(r"\[(?P<a>[\w-]{8,})\]|\b(?:task_?id|message_?id|msg_?id|job_?id|id)[\"']?\s*[:=]\s*"
                      r"[\"']?(?P<b>[\w-]{8,})", re.I)
_STAMP = re.compile(r"(\d{4})[-/](\d\d)[-/](\d\d)[T ](\d\d):(\d\d):(\d\d)")


def durations_in(line: str) -> list[float]:
    """The work durations one log line reports, in seconds (a timeout setting echoed is no duration)."""
    out: list[float] = []
    for m in _DURATION.finditer(line):
        key = m["key"] or ""
        if key and (LIMIT_NAME.search(key) or NOT_WORK.search(key)):
            continue
        number, unit = (m["num"], m["unit"]) if m["num"] else (m["num2"], m["unit2"])
        if not unit:
            unit = "ms" if re.search(r"ms$|millis", key, re.I) else \
                "s" if re.search(r"(?:_s|seconds|secs|request_time|response_time)$", key, re.I) else ""
        if unit:
            out.append(float(number) * _UNIT[unit.lower()])
    return out


def line_time(line: str) -> datetime | None:
    """The time a log line was written (ISO, `YYYY-MM-DD HH:MM:SS`, nginx's `YYYY/MM/DD HH:MM:SS`), as UTC."""
    m = _STAMP.search(line)
    if m is None:
        return None
    return parse_time("{}-{}-{}T{}:{}:{}Z".format(*m.groups()))


@dataclass
class Work:
    """What the holders' logs and metrics say about the work a limit governs, from the write on."""

    durations: list[float] = field(default_factory=list)
    p99: float | None = None
    p99_said: str = ""
    timeouts: list[str] = field(default_factory=list)
    redelivered: list[str] = field(default_factory=list)
    """Task ids received more than once, or lines saying a message was redelivered."""
    acks_failed: list[str] = field(default_factory=list)
    """Lines in which the broker refused an acknowledgement because the lease on the message had expired."""


def work_of(lines: dict[str, list[str]], since: datetime | None) -> Work:
    """Durations, timeout wording and redeliveries of the holders' log lines (pod -> lines) from `since` on."""
    work = Work()
    seen: dict[str, set[str]] = {}
    for pod, texts in lines.items():
        for line in texts:
            t = line_time(line)
            if since is not None and t is not None and t < since:
                continue
            work.durations += durations_in(line)
            if TIMEOUT_WORDS.search(line):
                work.timeouts.append(line.strip())
            if REDELIVERED.search(line):
                work.redelivered.append(line.strip())
            if m := ACK_EXPIRED.search(line):
                work.acks_failed.append(line[max(0, m.start() - 60):m.end() + 20].strip())
            if _RECEIVED.search(line) and (m := _TASK_ID.search(line)):
                task = m["a"] or m["b"] or ""
                if re.search(r"\d", task):
                    seen.setdefault(task, set()).add(f"{pod}@{t}")
    work.redelivered += [f"task {task} received {len(where)} times ({', '.join(sorted(where)[:2])})"
                         for task, where in seen.items() if len(where) > 1]
    return work


# ---- the verdict --------------------------------------------------------------------------------------


@dataclass
class Cut:
    """A time limit written shorter than the work it governs, with the proof."""

    limit: Limit
    holders: list[Ref]
    why: str
    """What shows the work outlasts the new limit (durations, p99, the timeout wording, redelivery)."""
    sample: str
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _echoes(line: str, limit: Limit) -> bool:
    """Whether a timeout line states the new limit itself (`"timeout": "500ms"`, `after 5s`, `exceeded 300s`)."""
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds|m|min)?\b", line):
        value = float(m[1]) * (_UNIT[m[2].lower()] if m[2] else bare_unit(limit.key))
        if m[2] and abs(value - limit.after) <= limit.after * 0.02:
            return True
    return False


def verdict(limit: Limit, work: Work, own: bool) -> tuple[str, str] | None:
    """(why, sample) when the work outlasts the new limit, else None. `own`: the setting is certainly the holders'
    (their own spec, or a ConfigMap they use), so their timeout wording from the write on is enough."""
    new = limit.after
    over = sorted(d for d in work.durations if d > new)
    longest = max(work.durations, default=0.0)
    if work.durations and not over and (work.p99 is None or work.p99 <= new) and longest < new * 0.8:
        return None  # the limit still sits above every measured piece of work: not what cuts it short
    handover = bool(HANDOVER.search(limit.key))
    enforced_upstream = limit.target.kind in ROUTE_KINDS and bool(over)
    if limit.before is None and not work.timeouts and not work.redelivered and not work.acks_failed \
            and not enforced_upstream:
        # not known to be lowered, and nothing was cut short or done twice: long work alone is no cause. A route's
        # limit is the exception: the proxy cuts the request, so the backend's logs show no timeout, only work
        # that outlasts it
        return None
    if over or (work.p99 is not None and work.p99 > new):
        parts = []
        if over:
            parts.append(f"the work takes up to {said(over[-1])} ({len(over)} logged durations over the limit)")
        if work.p99 is not None and work.p99 > new:
            parts.append(f"p99 {said(work.p99)}{' of ' + work.p99_said if work.p99_said else ''}")
        if handover and work.acks_failed:
            parts.append(f"acknowledgements fail because the lease (receipt handle) expired mid-work "
                         f"('{work.acks_failed[0][:110]}')")
        if handover and work.redelivered:
            parts.append(f"the broker redelivered the work to a second consumer ({work.redelivered[0][:120]})")
        elif work.timeouts:
            parts.append(f"and it times out: '{work.timeouts[-1][:160]}'")
        sample = (work.redelivered or work.acks_failed)[0] if handover and (work.redelivered or work.acks_failed) \
            else (work.timeouts or [""])[-1]
        return "; ".join(parts), sample
    echoed = [t for t in work.timeouts if _echoes(t, limit)]
    if echoed:
        return f"the timeouts state the new limit: '{echoed[-1][:200]}'", echoed[-1]
    if handover and work.redelivered and own:
        return f"the same work was delivered again ({work.redelivered[0][:160]})", work.redelivered[0]
    if handover and work.acks_failed and (limit.before is not None or _written_alone(limit)):
        # the broker itself says the lease this setting sets ran out mid-work. A leaf of a whole config file set
        # with no old value (`max.poll.interval.ms` among a properties file's keys) may be the value it always had:
        # only a lowering, or a field written on its own, is the cause
        return f"acknowledgements fail because the lease expired ('{work.acks_failed[0][:160]}')", work.acks_failed[0]
    if own and work.timeouts:
        return f"its own timeout errors follow the write: '{work.timeouts[-1][:200]}'", work.timeouts[-1]
    return None


def _holders(limit: Limit, facts: Facts) -> tuple[list[Ref], bool]:
    """The workloads that hold the setting, and whether that is certain (own spec or a user of the ConfigMap)."""
    if limit.target.kind in WORKLOADS:
        return [limit.target], True
    users = [r for r in (Ref.of(x) for x in limit.change.get("related") or []) if r and r.kind in WORKLOADS]
    if users:
        return users[:MAX_HOLDERS], True
    listed = [r for r in (Ref.of(x) for x in ((facts.reads.get(READS) or {}).get("workloads") or {}).get(
        str(limit.target.namespace), [])) if r is not None]
    return sorted(listed, key=lambda r: -_shared(r.name, limit.target.name))[:MAX_HOLDERS], False


def _shared(a: str, b: str) -> int:
    """How many leading name parts two names share (`payouts-worker` and `payouts-worker-config`: 2): a config
    object is usually named after the workload that reads it."""
    n = 0
    for x, y in zip(re.split(r"[-_.]", a), re.split(r"[-_.]", b), strict=False):
        if x != y:
            break
        n += 1
    return n


def found(facts: Facts) -> list[Cut]:
    """Each lowered time limit whose holders' work outlasts it (pure over what `read` stored)."""
    store = facts.reads.get(READS) or {}
    logs: dict[str, dict[str, list[str]]] = store.get("lines") or {}
    metrics: dict[str, tuple[float, str, str]] = {k: tuple(v) for k, v in (store.get("p99") or {}).items()}
    related: set[str] = set(store.get("related") or [])
    out: list[Cut] = []
    done: set[str] = set()
    for limit in candidates(facts):
        holders, own = _holders(limit, facts)
        if str(limit.target) in done or not holders:
            continue
        if not any(str(h) in related for h in holders) and str(limit.target) not in related:
            continue
        lines = {pod: texts for h in holders for pod, texts in (logs.get(str(h)) or {}).items()}
        work = work_of(lines, limit.at)
        evidence = [limit.evidence] + [str(e) for h in holders for e in (store.get("log_ids") or {}).get(str(h), [])]
        for h in holders:
            if str(h) in metrics:
                value, what, eid = metrics[str(h)]
                if work.p99 is None or value > work.p99:
                    work.p99, work.p99_said = value, what
                evidence.append(eid)
        got = verdict(limit, work, own)
        if got is None:
            continue
        at = limit.at
        minutes = int((facts.at - at).total_seconds() // 60) if at else 0
        done.add(str(limit.target))
        out.append(Cut(limit, holders, got[0], got[1], minutes, [e for e in dict.fromkeys(evidence) if e]))
    return out


def finding(cut: Cut) -> dict[str, Any]:
    """The finding: old -> new and the work's duration first, then who holds it and what it does."""
    lim = cut.limit
    holders = ", ".join(str(h) for h in cut.holders[:2])
    handover = bool(HANDOVER.search(lim.key))
    does = ("past it the broker hands unacknowledged work to another consumer, so long tasks run twice"
            if handover else "work that takes longer is cut short (killed or abandoned mid-way) and its callers "
                             "see errors")
    route = lim.target.kind in ROUTE_KINDS
    if route:
        does = ("the proxy gives up on the upstream at the limit and answers 504 itself (Envoy UT, upstream request "
                "timeout; nginx upstream timed out) while the backend still finishes the work")
    head = "set a route timeout shorter than the upstream's response time" if route else \
        "cut a time limit below the work it governs"
    message = (f"{lim.target} {head}: {lim.text()}; {cut.why}. "
               f"Written {minutes_text(cut.minutes_before)} before the incident; held by {holders}: {does}. "
               f"Restore the old limit (or set it above the work's real duration) rather than restarting the "
               f"victims")
    return {"check": CHECK, "severity": "critical", "object": lim.change.get("object"),
            "reason": "TimeLimitBelowWork", "message": message,
            "evidence": [cut.sample[:200], lim.text()],
            "details": {"field": lim.key, "old": lim.old, "new": lim.new, "limit_s": lim.after,
                        "change_at": lim.change.get("at"), "holders": [str(h) for h in cut.holders]}}


# ---- reading ------------------------------------------------------------------------------------------


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


async def _workloads(call: Call, namespace: str) -> list[dict[str, str]]:
    """The Deployments and StatefulSets of a namespace, as refs."""
    out: list[dict[str, str]] = []
    for kind in ("Deployment", "StatefulSet"):
        got = await call("k8s_list", {"kind": kind, "namespace": namespace}, f"survey-time-limit-{kind.lower()}s")
        rows = (got.data or {}).get("rows") or [] if got is not None and got.ok and isinstance(got.data, dict) else []
        out += [{"kind": kind, "namespace": namespace, "name": str(r.get("name"))} for r in rows
                if isinstance(r, dict) and r.get("name")]
    return out


async def _pods(facts: Facts, call: Call, holder: Ref, store: dict[str, Any]) -> list[str]:
    """Up to MAX_PODS pods of a workload (a broker's redelivery shows only across two consumers)."""
    listed = store.setdefault("pods", {})
    if holder.namespace not in listed:
        got = await call("k8s_list", {"kind": "Pod", "namespace": holder.namespace},
                         f"survey-time-limit-pods-{holder.namespace}")
        rows = (got.data or {}).get("rows") or [] if got is not None and got.ok and isinstance(got.data, dict) else []
        listed[holder.namespace] = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
    return [p for p in listed[holder.namespace] if workload_of_pod(p) == holder.name][:MAX_PODS]


async def _p99(call: Call, namespace: str, at: datetime) -> tuple[float, str, str] | None:
    """The p99 of a request/task duration histogram of a namespace at the incident, with what it measures."""
    page = await call("prom_series", {"match": f'{{namespace="{namespace}", le!=""}}', "limit": 200,
                                      "start": _iso(at - timedelta(hours=1)), "end": _iso(at)},
                      f"survey-time-limit-histograms-{namespace}")
    if page is None or not page.ok or not isinstance(page.data, dict):
        return None
    names = list(dict.fromkeys(str(s.get("__name__")) for s in page.data.get("series") or [] if isinstance(s, dict)
                               and re.search(r"(?:duration|latency|seconds|time).*_bucket$",
                                             str(s.get("__name__") or ""))))
    best: tuple[float, str, str] | None = None
    for name in names[:2]:
        selector = f'{name}{{namespace="{namespace}"}}'
        for query in (f"histogram_quantile(0.99, sum by (le) (rate({selector}[5m])))",
                      f"histogram_quantile(0.99, sum by (le) ({selector}))"):
            got = await call("prom_query", {"query": query, "time": _iso(at)}, f"survey-time-limit-p99-{name}")
            samples = (got.data or {}).get("samples") or [] if got is not None and got.ok and \
                isinstance(got.data, dict) else []
            values = [s.get("value") for s in samples if isinstance(s, dict)]
            value = next((float(v) for v in values if isinstance(v, (int, float)) and v == v and v > 0), None)
            if value is not None:
                unit = 1e-3 if re.search(r"_ms_|millis", name) else 1.0
                what = f"{name.removesuffix('_bucket')} in {namespace}"
                if best is None or value * unit > best[0]:
                    best = (value * unit, what, got.evidence_id)
                break
    return best


_HOST = re.compile(r"\b[a-z0-9][a-z0-9-]*\.(?P<ns>[a-z0-9][a-z0-9-]*)\.svc\b")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: a 24 h timeline when the survey's does not reach that far, the ConfigMaps whose time-limit
    keys were written without an old value, the holders' pods' logs, and the duration histograms of the
    dependencies their timeout lines name."""
    store = facts.reads.setdefault(READS, {})
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": "24h"}, "survey-time-limit-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            store["history"] = (got.data, got.evidence_id)
    writes: list[tuple[dict[str, Any], Ref]] = []
    for change, _ in _changes(facts):
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or when is None or not timedelta(0) <= facts.at - when <= LEAD or not _maybe_limit(change):
            continue
        writes.append((change, target))
    for change, target in writes[:MAX_WRITES]:
        unrecorded = any(_SET_KEY.match(str(d)) for d in change.get("diff") or [])
        if target.kind == "ConfigMap" and unrecorded and not any(
                (o.get("metadata") or {}).get("name") == target.name and o.get("kind") == "ConfigMap"
                and (o.get("metadata") or {}).get("namespace") == target.namespace for o, _ in facts.objects):
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-time-limit-{target.name}")
            if got is not None and got[0].get("kind", "ConfigMap") == "ConfigMap":
                facts.objects.append(({**got[0], "kind": "ConfigMap"}, got[1]))
        if target.kind in ROUTE_KINDS and any(_SET_FIELD.match(str(d)) for d in change.get("diff") or []) \
                and facts.object_named(target.kind, target.namespace, target.name) is None:
            got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-time-limit-{target.name}")
            if got is not None and got[0].get("kind", target.kind) == target.kind:
                facts.objects.append(({**got[0], "kind": target.kind}, got[1]))
    workloads = store.setdefault("workloads", {})
    related = set(store.get("related") or [])
    namespaces = {n for n in [subject.namespace, *subject.namespace_words, *subject.labelled_values,
                              *tightened._path_namespaces(facts)] if n}
    texts = [t for t, _ in tightened._path_texts(facts)]
    for limit in candidates(facts)[:MAX_WRITES]:
        if limit.target.kind not in WORKLOADS and not limit.change.get("related") \
                and limit.target.namespace not in workloads:
            workloads[limit.target.namespace] = await _workloads(call, limit.target.namespace)
        holders, _ = _holders(limit, facts)
        for holder in holders:
            if (holder.namespace in namespaces or subject.mentions(holder.name) or subject.echoes(holder.name)
                    or holder.name in subject.phrases
                    or tightened.relation(holder, facts, texts) or tightened.relation(limit.target, facts, texts)):
                related.add(str(holder))
            if str(holder) in (store.get("lines") or {}):
                continue
            for pod in await _pods(facts, call, holder, store):
                got = await call("k8s_logs", {"name": pod, "namespace": holder.namespace, "tail": LOG_TAIL},
                                 f"survey-time-limit-logs-{pod}")
                if got is None or not got.ok:
                    continue
                text = str(getattr(got, "full_text", "") or got.text or "")
                store.setdefault("lines", {}).setdefault(str(holder), {})[pod] = text.splitlines()[-LOG_TAIL:]
                store.setdefault("log_ids", {}).setdefault(str(holder), []).append(got.evidence_id)
            lines = [ln for pods in (store.get("lines") or {}).get(str(holder), {}).values() for ln in pods]
            hosts = [m["ns"] for ln in lines if TIMEOUT_WORDS.search(ln) for m in _HOST.finditer(ln)]
            best: tuple[float, str, str] | None = None
            for ns in [*list(dict.fromkeys(hosts))[:1], holder.namespace]:
                got_p99 = await _p99(call, ns, facts.at)
                if got_p99 is not None and (best is None or got_p99[0] > best[0]):
                    best = got_p99
            if best is not None:
                store.setdefault("p99", {})[str(holder)] = list(best)
    store["related"] = sorted(related)
