"""From a window of log lines to LogFacts: parse, join traces, classify, group, rank.

Pure and in-memory: the caller reads the lines (Kubernetes API, Loki) and hands them over; nothing
here does I/O. Lines at info level or below are only counted (formats, status codes); lines at
warning or above, and unlevelled lines that name a known failure, become error kinds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from mcp_servers.common.logfacts import fields as fx
from mcp_servers.common.logfacts.classify import CAUSE_CLASSES, classify
from mcp_servers.common.logfacts.continued import INHERITED_FIELDS, continued_values, inherits_cause
from mcp_servers.common.logfacts.dotnet_console import body as dotnet_body
from mcp_servers.common.logfacts.lines import parse_line
from mcp_servers.common.logfacts.mask import scrub, template
from mcp_servers.common.logfacts.models import LogError, LogFacts, Severity, StackTrace
from mcp_servers.common.logfacts.traces import Record, parse_trace, records

EXAMPLE_CHARS = 300
MAX_TRACES = 10
_ACCESS_FORMATS = {"envoy_access", "nginx_access", "json_access", "haproxy", "squid_access"}
_SEVERITY_RANK = {"fatal": 0, "error": 0, "warning": 1, "unknown": 2, "info": 3}
_STRONG_CAUSES = {"missing_config", "invalid_config", "dns_failure", "connection_refused", "oom", "disk_full",
                  "tls_error", "auth_failure", "permission_denied", "file_not_found", "panic"}
_MSG_EXC = re.compile(
    r"^(?:Uncaught |Unhandled(?: rejection)?:? |Unhandled exception\. |Caused by: |Exception in thread \"[^\"]*\" )?"
    r"((?:[a-zA-Z_$][\w$]*\.)*[\w$]*(?:Error|Exception|Exit|Fault)|(?:[\w$]+\.)*(?:errors|exceptions|exc)\.[\w$]+|"
    r"(?:[A-Z]\w*::)+[A-Z]\w*|"
    r"panic|fatal error)"
    r"(?: \[[\w:]+\])?: (.+)$")

_INNER_EXC = re.compile(r"(?<![\w.$])((?:[A-Za-z_$][\w$]*\.)+[A-Z][\w$]*(?:Error|Exception|Fault))(?::|\s|$)"
                        r"|(?<=: )([A-Z][\w$]*(?:Exception|Fault))(?=: )")
"""An exception a message names after its own words: Java/.NET/Python qualified names anywhere, a bare
CamelCase `...Exception` only where it heads a `Name: detail` clause."""


@dataclass(slots=True)
class _Entry:
    """One analysed record."""

    lines: int
    format: str
    severity: Severity
    timestamp: str | None
    example: str
    message: str
    exception: str | None = None
    error_class: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    trace: StackTrace | None = None
    head_message: str = ""
    code: list[str] = field(default_factory=list)
    """Source lines a stack trace quotes (Python prints them): they may name the variable read."""
    record: Record | None = None

    @property
    def is_error(self) -> bool:
        return self.severity in ("fatal", "error", "warning") or (
            self.severity == "unknown" and self.error_class is not None)

    def key(self) -> tuple[str, ...]:
        return (template(self.headline()), self.error_class or "", self.exception or "",
                self.fields.get("env_var", ""), self.fields.get("dns_name", ""))

    def headline(self) -> str:
        if self.exception and not self.message.startswith(self.exception):
            return f"{self.exception}: {self.message}"
        return self.message


def _analyse(rec: Record) -> _Entry:
    """Parse a record: format, severity, timestamp, message, exception, stack trace (no classification)."""
    head = parse_line(rec.lines[0])
    if (said := dotnet_body(rec.lines)) is not None:  # .NET console: the message is on the lines after the head
        head.message = said
    trace, code = parse_trace(rec.lines) if len(rec.lines) > 1 or rec.kind else (None, [])
    if trace is None and head.stack:
        stack_lines = [ln for ln in head.stack.splitlines() if ln.strip()]
        if stack_lines:
            trace, code = parse_trace(stack_lines)
    fmt = "stacktrace" if trace and not head.stack else head.format
    severity = head.severity
    if trace and severity in ("unknown", "info") and not head.stack:
        severity = "fatal" if trace.language == "go" else "error"
    entry = _Entry(rec.count, fmt, severity, rec.timestamp or head.timestamp, "", head.message,
                   fields=head.fields, trace=trace, head_message=head.message, code=code, record=rec)
    if severity == "info" and not trace:
        return entry  # counted, never an error kind: the rest is not needed
    if trace:
        entry.exception, entry.message = trace.exception, trace.message
    elif m := _MSG_EXC.match(head.message):
        entry.exception, entry.message = m.group(1), m.group(2)
    elif m := _INNER_EXC.search(head.message):
        entry.exception = m.group(1) or m.group(2)  # named mid-line: `Failed to send batch: o.a.k...Exception: x`
    if entry.exception is None and "exception" in entry.fields:
        entry.exception = entry.fields.pop("exception")
    return entry


def _deepen(entry: _Entry) -> _Entry:
    """Classify an error-ish entry and extract the values its message names (the costly part)."""
    text = f"{entry.exception}: {entry.message}" if entry.exception else entry.message
    head_message, code, trace, rec = entry.head_message, entry.code, entry.trace, entry.record
    if rec is not None:
        entry.example = _trim(rec.lines[0].strip() if not trace or entry.format != "stacktrace"
                              else _trace_example(rec, trace))
    values = continued_values(rec.lines[1:]) if rec is not None and trace is None and len(rec.lines) > 1 else ""
    if values:  # grpcio's `<_InactiveRpcError ...:` then `status = StatusCode.X`, `details = "..."`
        text = f"{text} ({values})"
    found = fx.extract(text if text == head_message else f"{text}\n{head_message}")
    for key, value in found.items():
        entry.fields.setdefault(key, value)
    if "env_var" not in entry.fields and code:
        name = fx.env_var("\n".join(code))
        if name:
            entry.fields["env_var"] = name
    context = "\n".join([*(trace.frames if trace else []), *code])
    entry.error_class = classify(text, exception=entry.exception, fields=entry.fields, context=context)
    if entry.error_class in (None, "exception") and trace and head_message != entry.message:
        entry.error_class = classify(head_message, fields=entry.fields) or entry.error_class
    if (entry.error_class or entry.exception) and entry.severity == "unknown":
        entry.severity = "error"
    return entry


def _chained(entry: _Entry, rec: Record, cause: _Entry | None) -> _Entry:
    """A Python traceback printed after a chain joint, with its cause's class when it says nothing of its own
    (logfacts.continued): the wrapper then also names what its cause named (the name, the address)."""
    if cause is not None and rec.chained and inherits_cause(rec.chained, entry.exception, entry.error_class,
                                                            cause.error_class):
        entry.error_class = cause.error_class
        for name in INHERITED_FIELDS:
            if name in cause.fields:
                entry.fields.setdefault(name, cause.fields[name])
    return entry


def _trace_example(rec: Record, trace: StackTrace) -> str:
    """For a trace, the line naming its exception (the innermost cause for Java) is the telling example."""
    whole = f"{trace.exception}: {trace.message}" if trace.message else trace.exception
    # A message continued over lines (SQLAlchemy's `[SQL: ...]` and `(Background on this error ...)` joined to it)
    # is on no one line whole: its first words then find the exception's own line, never the `Traceback` header.
    start = f"{trace.exception}: {trace.message[:60]}" if trace.message else ""
    for needle in (whole, start, f"{trace.exception}:"):
        for line in reversed(rec.lines):
            if needle and needle in line:
                return line.strip()
    return rec.lines[0].strip()


def _trim(text: str) -> str:
    text = scrub(text)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def _hosts_of(e: _Entry) -> list[str]:
    out = []
    f = e.fields
    for key in ("upstream_host", "dns_name"):
        if f.get(key) and f[key] != "-":
            out.append(fx.split_hostport(f[key])[0])
    if f.get("upstream_url"):
        out.append(fx.split_hostport(f["upstream_url"])[0])
    if not out and f.get("upstream_cluster"):
        out.append(f["upstream_cluster"].split("|")[-1])
    if not out and f.get("authority") and e.format == "envoy_access":
        out.append(fx.split_hostport(f["authority"])[0])
    return [h for h in dict.fromkeys(out) if h]


def _rank(err: LogError, order: int) -> tuple[int, int, int, int, int]:
    cls = err.error_class
    if cls in _STRONG_CAUSES or (cls == "exception" and err.message):
        tier = 0
    elif cls in CAUSE_CLASSES:
        tier = 1
    elif cls:
        tier = 2
    else:
        tier = 3
    return (_SEVERITY_RANK[err.severity], 0 if err.new else 1, tier, -err.count, order)


def extract(lines: Iterable[str], *, baseline: Iterable[str] | None = None, max_errors: int = 20) -> LogFacts:
    """The facts of a window of log lines, most salient error kinds first.

    `baseline`, when given (even empty), is the same source before the incident: an error kind
    whose template never appears there is marked `new=True`."""
    known: set[tuple[str, ...]] | None = None
    if baseline is not None:
        known = set()
        previous: _Entry | None = None
        for rec in records(baseline):
            entry = _analyse(rec)
            if entry.is_error or entry.severity == "unknown":
                entry = _chained(_deepen(entry), rec, previous)
                known.add(entry.key()[:2])
            previous = entry if entry.trace and entry.error_class is not None else None
    total = 0
    formats: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    hosts: Counter[str] = Counter()
    groups: dict[tuple[str, ...], tuple[LogError, int]] = {}
    traces: dict[tuple[str, str, str], StackTrace] = {}
    before: _Entry | None = None
    for rec in records(lines):
        entry = _analyse(rec)
        total += entry.lines
        formats[entry.format] += entry.lines
        status = entry.fields.get("status", "")
        if status.isdigit() and len(status) == 3 and (
                entry.format in _ACCESS_FORMATS or entry.fields.keys() & {"method", "path", "url"}):
            statuses[status] += 1
        if entry.trace:
            t = entry.trace
            t.message = _trim(t.message)
            tkey = (t.exception, template(t.message), t.frames[0] if t.frames else "")
            if tkey in traces:
                traces[tkey].count += 1
            else:
                traces[tkey] = t
        if not entry.is_error and entry.severity != "unknown":
            before = None
            continue
        entry = _chained(_deepen(entry), rec, before)
        before = entry if entry.trace else None
        if not entry.is_error:
            continue
        for host in _hosts_of(entry):
            hosts[host] += 1
        key = entry.key()
        found = groups.get(key)
        if found:
            err, _ = found
            err.count += 1
            err.last_seen = entry.timestamp or err.last_seen
            continue
        err = LogError(template=key[0], example=entry.example, count=1, first_seen=entry.timestamp,
                       last_seen=entry.timestamp, severity=entry.severity, error_class=entry.error_class,
                       exception=entry.exception, message=_trim(entry.message) or None,
                       fields={k: v[:200] for k, v in entry.fields.items()},
                       new=None if known is None else key[:2] not in known, format=entry.format)
        groups[key] = (err, len(groups))
    ranked = sorted(groups.values(), key=lambda x: _rank(*x))
    errors = [err for err, _ in ranked]
    trace_list = sorted(traces.values(), key=lambda t: -t.count)[:MAX_TRACES]
    return LogFacts(lines=total, formats=dict(formats.most_common()), errors=errors[:max_errors],
                    errors_left_out=max(0, len(errors) - max_errors), traces=trace_list,
                    hosts=[h for h, _ in hosts.most_common(20)], status_codes=dict(statuses.most_common()))
