"""One log line to its format, severity, message, timestamp and structured fields.

Detection goes from the most specific shape to the least: JSON objects, Envoy and nginx access
logs, nginx error logs, klog, logfmt, Go's standard logger, lines with a level word near the start,
and plain text. Every parser is a pure function of the line; none raises on odd input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from mcp_servers.common.logfacts.access_json import access_record, worse
from mcp_servers.common.logfacts.classify import ENVOY_LOCAL_DENIAL
from mcp_servers.common.logfacts.models import Severity

MAX_LINE = 8000
"""Longer lines are cut before parsing: a megabyte blob is not one error message."""


@dataclass(slots=True)
class Line:
    """What one physical line says."""

    format: str
    severity: Severity
    message: str
    timestamp: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    stack: str | None = None
    """A multi-line stack trace carried inside the line (a JSON `stack`/`exc_info` field)."""


# ---- timestamps ---------------------------------------------------------------------------

_PREFIX_TS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\s")
"""The RFC 3339 prefix kubectl --timestamps, Docker and CRI put before the application's own text."""

_LEAD_TS = re.compile(
    r"^\[?(\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|\s?[+-]\d{2}:?\d{2}|\s?UTC)?)\]?\s*"
    r"|^\[?(\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)\]?\s+"
    r"|^\[?([A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2})\]?\s+"
)
"""An application's own leading timestamp: ISO-like, time of day only, or syslog's `Mar 12 14:03:11`."""


_PADDED_LEVEL = re.compile(r"^\s+(?=(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\s)")
"""Spaces before a level column: logback's `%5p` pads INFO and WARN to five, so Spring Boot 3's ISO-8601 lines read
`2026-12-05T07:41:00.123Z  INFO 1 --- ...`; a stack frame or a continued message never starts with a level."""


def strip_prefix_timestamp(raw: str) -> tuple[str, str | None]:
    """The line without a runtime-added RFC 3339 prefix, and that timestamp.

    What follows the prefix is the application's text, indentation included (an indented line continues the
    record before it), except the padding of a level column: that line starts a record of its own."""
    m = _PREFIX_TS.match(raw)
    if not m:
        return raw, None
    rest = raw[m.end():]
    return _PADDED_LEVEL.sub("", rest, count=1), m.group(1)


# ---- severities ---------------------------------------------------------------------------

_LEVEL_WORDS: dict[str, Severity] = {
    "fatal": "fatal", "panic": "fatal", "dpanic": "fatal", "critical": "fatal", "crit": "fatal",
    "emerg": "fatal", "emergency": "fatal", "alert": "fatal", "f": "fatal", "c": "fatal",
    "error": "error", "err": "error", "e": "error", "severe": "error", "eror": "error",
    "warning": "warning", "warn": "warning", "w": "warning",
    "info": "info", "information": "info", "notice": "info", "debug": "info", "trace": "info",
    "verbose": "info", "i": "info", "d": "info", "dbg": "info", "inf": "info", "wrn": "warning", "ftl": "fatal",
    "fine": "info", "finer": "info", "finest": "info", "config": "info", "fail": "error", "dbug": "info",
    "trce": "info", "log": "info", "detail": "info", "hint": "info", "statement": "info",
}


def level_severity(value: Any) -> Severity | None:
    """A level value in any common spelling (text, pino/bunyan numbers, syslog numbers) as a severity."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        n = int(value)
        if n >= 10:  # pino / bunyan: 10 trace .. 60 fatal
            return "fatal" if n >= 60 else "error" if n >= 50 else "warning" if n >= 40 else "info"
        if 0 <= n <= 7:  # syslog: 0 emerg .. 7 debug
            return "fatal" if n <= 2 else "error" if n == 3 else "warning" if n == 4 else "info"
        return None
    text = str(value).strip().lower()
    if text.isdigit():
        return level_severity(int(text))
    return _LEVEL_WORDS.get(text)


_ERROR_WORDS = re.compile(
    r"\b(?:error|errors|exception|traceback|failed|failure|fail|fatal|panic|refused|unable to|cannot|can't|"
    r"could not|couldn't|denied|timed? ?out|unreachable|crash(?:ed)?|abort(?:ed)?|killed|segmentation fault|"
    r"undefined|not set|missing)\b",
    re.I,
)
_WARN_WORDS = re.compile(r"\b(?:warn|warning|deprecated|retrying|retry)\b", re.I)


def guess_severity(text: str) -> Severity:
    """Severity from the words of a line that names no level."""
    if text.startswith(("panic:", "fatal error:", "FATAL")):
        return "fatal"
    if _ERROR_WORDS.search(text):
        return "error"
    if _WARN_WORDS.search(text):
        return "warning"
    return "unknown"


# ---- JSON ---------------------------------------------------------------------------------

_JSON_LEVEL = ("level", "severity", "lvl", "log.level", "levelname", "loglevel", "log_level", "@l", "l",
               "severityText", "severity_text", "level_name", "status")
_JSON_MSG = ("msg", "message", "@m", "@mt", "text", "event", "log", "body", "MessageTemplate", "Message")
_JSON_ERR = ("error", "err", "error.message", "exception", "exc", "error_message", "errorMessage", "reason",
             "cause", "error.msg", "exception.message", "err.message")
_JSON_STACK = ("stack", "stack_trace", "stacktrace", "exc_info", "error.stack", "error.stack_trace",
               "err.stack", "exception.stacktrace", "exception.stack_trace", "traceback", "@x", "exception.stack")
_JSON_TS = ("ts", "time", "timestamp", "@timestamp", "t", "@t", "date", "datetime", "asctime")
_JSON_FIELDS = {
    "status": "status", "status_code": "status", "statusCode": "status", "http.status_code": "status",
    "http.response.status_code": "status", "response_code": "status", "code": "code",
    "method": "method", "http.method": "method", "http.request.method": "method",
    "path": "path", "url": "url", "uri": "path", "request_uri": "path", "url.path": "path", "http.url": "url",
    "upstream": "upstream_host", "upstream_host": "upstream_host", "upstream_addr": "upstream_host",
    "upstream_address": "upstream_host", "upstream_cluster": "upstream_cluster", "upstream_service": "upstream_host",
    "target": "address", "addr": "address", "address": "address", "endpoint": "address", "peer.address": "address",
    "server.address": "address", "net.peer.name": "address", "destination": "address", "dest": "address",
    "grpc.code": "grpc_code", "grpc_code": "grpc_code", "sqlstate": "sql_state", "sql_state": "sql_state",
    "error.type": "exception", "error.kind": "exception", "exception.type": "exception", "exc_type": "exception",
    "err.type": "exception", "type": "type", "exit_code": "exit_code", "exitCode": "exit_code",
    "response_flags": "response_flags", "response_code_details": "response_code_details",
    "upstream_transport_failure_reason": "upstream_failure", "authority": "authority",
}


def _flatten(obj: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 2:
            out.update(_flatten(value, f"{name}.", depth + 1))
            if name not in out:
                out[name] = value
        else:
            out[name] = value
    return out


def _first(flat: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = flat.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, dict):
        inner = _first(value, ("message", "msg", "error", "reason"))
        return _text(inner) if inner is not None else json.dumps(value)[:500]
    return str(value)


def parse_json(text: str) -> Line | None:
    """A JSON log object: level, message and error under any of the common key names."""
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    flat = _flatten(obj)
    message = _text(_first(flat, _JSON_MSG) or "").rstrip()
    if "log" in obj and isinstance(obj["log"], str) and not _first(flat, _JSON_LEVEL[:-1]):
        inner = parse_line(obj["log"].rstrip("\n"))  # Docker's json-file driver wraps the app's own line
        inner.timestamp = inner.timestamp or _ts_text(_first(flat, _JSON_TS))
        return inner
    err_value = _first(flat, _JSON_ERR)
    err = _text(err_value).strip() if err_value is not None else ""
    stack_value = _first(flat, _JSON_STACK)
    stack = _text(stack_value) if stack_value is not None else None
    if err and "\n" in err and stack is None:
        stack, err = err, err.splitlines()[0]
    fields: dict[str, str] = {}
    for key, name in _JSON_FIELDS.items():
        value = flat.get(key)
        if value not in (None, "") and not isinstance(value, dict | list) and name not in fields:
            fields[name] = str(value)[:200]
    level = _first(flat, _JSON_LEVEL[:-1])
    severity = level_severity(level) if level is not None else None
    status_word = flat.get("status")
    if severity is None and isinstance(status_word, str) and not status_word.isdigit():
        severity = level_severity(status_word)  # Datadog-style "status": "error"
    if severity is None:
        status = fields.get("status", "")
        if status.isdigit() and len(status) == 3:
            severity = "error" if status >= "500" else "info"
        elif err or stack:
            severity = "error"
        else:
            severity = guess_severity(message) if message else "unknown"
    if err and err not in message:
        message = f"{message}: {err}" if message else err
    if not message and stack:
        message = stack.strip().splitlines()[-1] if stack.strip() else ""
    access = access_record(flat) if not stack else None
    if access is not None:  # an access-log entry in JSON (nginx escape=json, Envoy, Traefik, Caddy)
        fields.update(access.fields)
        logged = level_severity(level) if level is not None else None
        return Line("json_access", _as_severity(worse(access.severity, logged or "info")), access.message,
                    _ts_text(_first(flat, _JSON_TS)), fields)
    return Line("json", severity, message or text[:300], _ts_text(_first(flat, _JSON_TS)), fields, stack)


def _as_severity(value: str) -> Severity:
    return value if value in ("fatal", "error", "warning", "info", "unknown") else "unknown"  # type: ignore[return-value]


def _ts_text(value: Any) -> str | None:
    return None if value is None else str(value)[:40]


# ---- access logs --------------------------------------------------------------------------

_ENVOY = re.compile(r'^\[(\d{4}-\d{2}-\d{2}T[^\]]+)\] "(\S+) (\S+) ([^"]*)" (\d{1,3}) (\S+) (.*)$')
_QUOTED = re.compile(r'"([^"]*)"')
_ENVOY_FLAG_SEVERITY = {"UF", "UH", "UO", "URX", "UT", "UC", "UR", "NR", "LR", "UMSDR", "UPE", "NC", "OM", "DPE"}


def parse_envoy(text: str) -> Line | None:
    """Envoy's default access log format (and Istio's longer variant): status, flags, upstream host."""
    m = _ENVOY.match(text)
    if not m:
        return None
    ts, method, path, _proto, status, flags, rest = m.groups()
    quoted = _QUOTED.findall(rest)
    fields = {"method": method, "path": path[:200], "status": status, "response_flags": flags}
    words = rest.split()
    if words and not words[0].startswith('"') and not words[0].isdigit() and words[0] != "-":
        fields["response_code_details"] = words[0]
    if len(quoted) >= 5:
        upstream, authority = quoted[-1], quoted[-2]
        if upstream and upstream != "-":
            fields["upstream_host"] = upstream
        if authority and authority != "-":
            fields["authority"] = authority
        if len(quoted) >= 6 and quoted[0] not in ("", "-"):
            fields["upstream_failure"] = quoted[0]
        after = rest.rsplit('"', 1)[-1].split()
        if after and after[0] != "-" and "|" in after[0]:
            fields["upstream_cluster"] = after[0]
    flag_set = set(flags.split(","))
    code = int(status)
    denial = code in (401, 403) and bool(ENVOY_LOCAL_DENIAL.match(fields.get("response_code_details", "")))
    if code >= 500 or flag_set & _ENVOY_FLAG_SEVERITY or denial:
        severity: Severity = "error"
    elif code == 429 or "RL" in flag_set:
        severity = "warning"
    else:
        severity = "info"
    message = f"{method} {path} {status} {flags}"
    if denial:  # the filter's words say which check refused: `jwt_authn_access_denied{Jwt_audiences_is_not_allowed}`
        message += f" {fields['response_code_details']}"
    return Line("envoy_access", severity, message, ts, fields)


_HAPROXY = re.compile(
    r"(?:^|\s)(?:[\d.]+|\[?[0-9a-fA-F:]+\]?):\d+ \[(\d{2}/\w{3}/\d{4}:[\d:.]+)\] (\S+) ([^\s/]+)/(\S+) "
    r"(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/\+?(-?\d+) (\d{3}) \+?\d+ \S+ \S+ ([A-Za-z-]{4}) "
    r"\d+/\d+/\d+/\d+/\+?\d+ \d+/\d+(?: \{[^}]*\})*(?: \"(\S+) (\S+?)(?: HTTP/[\d.]+)?\")?")
"""HAProxy's HTTP log format (`option httplog`): client, [accept date], frontend, backend/server,
Tq/Tw/Tc/Tr/Ta timers, status, bytes, cookies, the four termination-state flags, connection
counts, queues, captured headers, "request". A syslog or runtime prefix before the client is allowed."""


def has_haproxy_accept_date(text: str) -> bool:
    """Whether `text` holds the `:<port> [dd/Mon/yyyy:` that starts HAProxy's accept date.

    Every line `_HAPROXY` matches has this shape, so testing it first with substring finds (a third of
    a microsecond against the pattern's two) spares the other bracketed formats (Envoy, nginx, klog,
    logback) the full pattern.
    """
    at = text.find(" [", 1)
    while at != -1:
        if text[at + 4:at + 5] == "/" and text[at + 8:at + 9] == "/" and text[at - 1].isdigit():
            start = at - 1
            while start > 0 and text[start - 1].isdigit():
                start -= 1
            if text[start - 1:start] == ":":
                return True
        at = text.find(" [", at + 2)
    return False


def parse_haproxy(text: str) -> Line | None:
    """An HAProxy HTTP log line: status, termination state, backend and server (see classify for the flags)."""
    m = _HAPROXY.search(text)
    if not m:
        return None
    ts, frontend, backend, server, _tq, _tw, tc, _tr, _ta, status, state, method, path = m.groups()
    fields = {"status": status, "termination_state": state, "frontend": frontend, "backend": backend,
              "server": server}
    if method:
        fields["method"] = method
    if path:
        fields["path"] = path[:200]
    if tc == "-1":
        fields["connect_time"] = "never established"
    code = int(status)
    cause = state[:1]
    severity: Severity = "error" if code >= 500 or cause in "SsRIDK" else (
        "warning" if code >= 400 or cause in "PcC" else "info")
    message = f"{method + ' ' if method else ''}{path + ' ' if path else ''}{status} {state} {backend}/{server}"
    return Line("haproxy", severity, message, ts, fields)


_NGINX_ACCESS = re.compile(
    r'^(\S+) \S+ (\S+) (?:\[([^\]]+)\] )?"(\S+) (\S+?)(?: (HTTP/[\d.]+))?" (\d{3}) (\d+|-)(.*)$')
_NGINX_UPSTREAM = re.compile(r"\[([\w.\-]+)\] \[[^\]]*\] ((?:\d{1,3}\.){3}\d{1,3}:\d+|[\w.\-]+:\d+)")


def parse_nginx_access(text: str) -> Line | None:
    """The combined access log format, with ingress-nginx's upstream name and address when present."""
    m = _NGINX_ACCESS.match(text)
    if not m:
        return None
    _client, _user, ts, method, path, _proto, status, _size, rest = m.groups()
    fields = {"method": method, "path": path[:200], "status": status}
    up = _NGINX_UPSTREAM.search(rest)
    if up:
        fields["upstream_cluster"] = up.group(1)
        fields["upstream_host"] = up.group(2)
    severity: Severity = "error" if status >= "500" else "warning" if status == "429" else "info"
    return Line("nginx_access", severity, f"{method} {path} {status}", ts, fields)


_NGINX_ERROR = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$")
_NGINX_KV = re.compile(r', (client|server|request|upstream|host|referrer): "?([^",]*)"?')


def parse_nginx_error(text: str) -> Line | None:
    """nginx's error log: `2024/03/12 14:03:11 [error] 31#31: *1 message, client: ..., upstream: "..."`."""
    m = _NGINX_ERROR.match(text)
    if not m:
        return None
    ts, level, rest = m.groups()
    message = rest.split(", client: ", 1)[0]
    fields = {}
    for key, value in _NGINX_KV.findall(rest):
        if key == "upstream":
            fields["upstream_url"] = value
        elif key == "request":
            parts = value.split()
            if len(parts) >= 2:
                fields["method"], fields["path"] = parts[0], parts[1][:200]
    return Line("nginx_error", level_severity(level) or "unknown", message, ts, fields)


# ---- klog, logfmt, Go log, leveled --------------------------------------------------------

_KLOG = re.compile(r"^([IWEF])(\d{4} \d{2}:\d{2}:\d{2}\.\d+)\s+\d+\s+([\w.\-]+:\d+)\] ?(.*)$")


def parse_klog(text: str) -> Line | None:
    """Kubernetes components' klog header: `E0312 14:03:11.123456 1 file.go:42] message`."""
    m = _KLOG.match(text)
    if not m:
        return None
    letter, ts, source, message = m.groups()
    severity = level_severity(letter.lower()) or "unknown"
    return Line("klog", severity, message, ts, {"source": source})


_LOGFMT_PAIR = re.compile(r'(?:^|\s)([A-Za-z_@][\w.\-/@]*)=("(?:[^"\\]|\\.|"(?!\s|$))*"|[^\s"]*)')
"""A pair; a quoted value ends at the quote followed by a space or the line's end. A quote followed by anything
else is inside the value: loggers that do not escape (hand-rolled printf logfmt, `err="Post "https://x": tls ..."`
with Go's %q-less error text) still give the whole error, not its first words."""
_LOGFMT_KEYS = {"level", "lvl", "msg", "message", "ts", "time", "t", "severity", "err", "error", "caller"}


def parse_logfmt(text: str) -> Line | None:
    """`key=value key2="quoted value"` lines with at least a level, message or time key, or three pairs."""
    if "=" not in text:
        return None
    lead = _LEAD_TS.match(text)
    lead_ts = next((g for g in lead.groups() if g), None) if lead else None
    body = text[lead.end():] if lead else text
    pairs: dict[str, str] = {}
    for key, value in _LOGFMT_PAIR.findall(body):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        pairs.setdefault(key, value)
    if len(pairs) < 2 or not (_LOGFMT_KEYS & pairs.keys() or len(pairs) >= 3):
        return None
    if not body.lstrip().split(" ", 1)[0].count("="):  # text before the first pair: not logfmt
        return None
    fields = {name: pairs[key][:200] for key, name in _JSON_FIELDS.items() if key in pairs}
    message = pairs.get("msg") or pairs.get("message") or ""
    err = pairs.get("err") or pairs.get("error") or pairs.get("exception") or ""
    if err and err not in message:
        message = f"{message}: {err}" if message else err
    level = pairs.get("level") or pairs.get("lvl") or pairs.get("severity")
    severity = level_severity(level) if level else None
    if severity is None:
        status = fields.get("status", "")
        if status.isdigit() and len(status) == 3 and status >= "500":
            severity = "error"
        else:
            severity = "error" if err else guess_severity(message) if message else "unknown"
    if not message:
        message = " ".join(f"{k}={v}" for k, v in pairs.items() if k not in ("ts", "time", "level", "lvl"))
    return Line("logfmt", severity, message, pairs.get("ts") or pairs.get("time") or pairs.get("t") or lead_ts, fields)


_GO_LOG = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) (.*)$")
_LEVEL_TOKEN = re.compile(
    r"(?:^|[\s\[(<|])(FATAL|CRITICAL|CRIT|ERROR|ERR|WARNING|WARN|INFO|DEBUG|TRACE|NOTICE|PANIC|SEVERE|EMERG|ALERT|"
    r"LOG|DETAIL|HINT|STATEMENT|"
    r"fatal|critical|crit|error|fail|warning|warn|info|debug|dbug|trce|notice|Fatal|Critical|Error|Warning|Warn|Info|"
    r"Debug)"
    r"(?=[\s\]):>|,\-]|/[A-Z][\w\-]*\]|$)")
"""A level word, also one with the process after it: Celery's `[2026-12-05 10:00:00,001: ERROR/MainProcess] ...`
(`%(levelname)s/%(processName)s`)."""
_LOGGER_SEP = re.compile(r"^[^\s].{0,120}?(?: : | - | -- : |\]: |\] )(?=\S)")


def _leveled(text: str, fmt: str) -> Line | None:
    ts = None
    body = text
    m = _LEAD_TS.match(text)
    if m:
        ts = next(g for g in m.groups() if g)
        body = text[m.end():]
    head = body[:80]
    lm = _LEVEL_TOKEN.search(head)
    if not lm or (lm.group(1)[0].isupper() and lm.group(1)[1:].islower() and lm.start(1) == 0
                  and body[lm.end(1):lm.end(1) + 1] == ":" and fmt != "go_log"):
        # `Error: message` at the very start is a Node/JS error, not a level word
        return None
    word = lm.group(1)
    if not word.isupper() and lm.start(1) != 0 and body[lm.start(1) - 1] not in "[<(":
        return None  # `error`/`Error` in prose is not a level; only UPPERCASE, leading or bracketed words are
    rest = body[lm.end(1):].lstrip(" ]):>|")
    if rest.startswith(":") and not rest.startswith("::"):  # Python logging: ERROR:root:message
        rest = re.sub(r"^:[\w.<>]+:", "", rest).lstrip(": ")
    late_ts = _LEAD_TS.match(rest) if ts is None else None
    if late_ts:  # `[SEVERE] 2026-11-03T11:00:01Z logger - message`: the timestamp after the level
        ts, rest = next(g for g in late_ts.groups() if g), rest[late_ts.end():]
    sep = _LOGGER_SEP.match(rest)
    if sep and len(rest) > sep.end():
        rest = rest[sep.end():]
    line = Line(fmt if fmt == "go_log" else "leveled", level_severity(lm.group(1)) or "unknown", rest.strip(), ts)
    return _with_access(line) if '" ' in rest else line


_LOGGED_ACCESS = re.compile(r'"([A-Z]{3,10}) (/\S*?|https?://\S+?)(?: (?:HTTP/)?[\d.]+)?" ([1-5]\d\d)\b')
"""An access entry a server's logger writes at a level: uvicorn's `INFO: 10.0.0.1:5555 - "GET /x HTTP/1.1" 500
Internal Server Error`, hypercorn's and daphne's, gunicorn's access log behind a level prefix: the quoted request
line and the status right after it."""


def _with_access(line: Line) -> Line:
    """A leveled line that is an access entry, read as one: `METHOD path STATUS`, the status counted, a 5xx an
    error whatever level the logger gave it (uvicorn logs every request at INFO)."""
    m = _LOGGED_ACCESS.search(line.message)
    if m is None:
        return line
    method, path, status = m.groups()
    line.fields.update({"method": method, "path": path[:200], "status": status})
    line.message = f"{method} {path} {status}"
    if status >= "500":
        line.severity = "error"
    elif status == "429" and line.severity == "info":
        line.severity = "warning"
    return line


_SPRING_BOOT = re.compile(
    r"^(?:(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s+)?"
    r"(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+(\d+)\s+---\s+(?:\[[^\]]*\]\s+)?\[\s*([^\]]*?)\]\s+(\S+)\s*:\s(.*)$")
"""Spring Boot's default console pattern (logback): `TIME LEVEL PID --- [app] [thread] logger : message`; the
`[app]` part is Spring Boot 3.2+, older versions omit it; the time may already be gone (a runtime prefix of the
same shape is stripped first). The logger and thread are fields, the message is
what follows ` : ` (the logger name, padded to 40 columns, is no part of what went wrong)."""


def parse_spring_boot(text: str) -> Line | None:
    """A Spring Boot console line, read by its fixed columns rather than as a generic leveled line."""
    m = _SPRING_BOOT.match(text)
    if not m:
        return None
    ts, level, _, thread, logger, message = m.groups()
    line = Line("spring_boot", level_severity(level.lower()) or "unknown", message.strip(), ts,
                {"logger": logger[:200], "thread": thread.strip()[:100]})
    return _with_access(line) if '" ' in message else line


def parse_go_log(text: str) -> Line | None:
    """Go's standard logger: `2024/03/12 14:03:11 message` (level guessed from the words)."""
    m = _GO_LOG.match(text)
    if not m:
        return None
    leveled = _leveled(m.group(2), "go_log")
    if leveled:
        leveled.timestamp = m.group(1)
        return leveled
    message = m.group(2)
    return Line("go_log", guess_severity(message), message, m.group(1))


def parse_leveled(text: str) -> Line | None:
    """Lines with a level word near the start: logback, log4j, Python logging, syslog-style prefixes."""
    return _leveled(text, "leveled")


_SYSLOG_PRI = re.compile(r"^<(\d{1,3})>(?:1 )?")


def parse_syslog(text: str) -> Line | None:
    """A syslog line with its `<PRI>` header (RFC 3164 / 5424): the severity is PRI modulo 8."""
    m = _SYSLOG_PRI.match(text)
    if not m:
        return None
    inner = _parse(text[m.end():])
    pri = int(m.group(1))
    return Line("syslog", level_severity(pri % 8) or inner.severity, inner.message, inner.timestamp, inner.fields,
                inner.stack)


def _server_log(text: str) -> Line | None:
    """Apache httpd's and PHP's error logs (logfacts.server_logs, imported here: it builds on this module)."""
    from mcp_servers.common.logfacts.server_logs import parse_apache_error, parse_php

    return parse_apache_error(text) or parse_php(text)


def _squid_access(text: str) -> Line | None:
    """Squid's access log (logfacts.server_logs), tried on lines that open with a Unix time."""
    from mcp_servers.common.logfacts.server_logs import parse_squid_access

    return parse_squid_access(text) if text[10:11] == "." else None


def _lighttpd_error(text: str) -> Line | None:
    """lighttpd's error log (logfacts.server_logs): `2026-12-05 17:39:56: (gw_backend.c.274) ...`."""
    from mcp_servers.common.logfacts.server_logs import parse_lighttpd_error

    return parse_lighttpd_error(text) if text[19:20] in (":", ".") else None


def parse_line(raw: str) -> Line:
    """The parsed form of one physical line (any runtime timestamp prefix removed first)."""
    text, ts = strip_prefix_timestamp(raw[:MAX_LINE].rstrip())
    line = _parse(text.strip())
    if ts and not line.timestamp:
        line.timestamp = ts
    return line


def _parse(text: str) -> Line:
    if " --- [" in text[:80]:
        parsed = parse_spring_boot(text)
        if parsed:
            return parsed
    if "] " in text[:160] and "/" in text[:200] and not text.startswith("{") and has_haproxy_accept_date(text):
        parsed = parse_haproxy(text)
        if parsed:
            return parsed
    if text.startswith("{") and text.endswith("}"):
        parsed = parse_json(text)
        if parsed:
            return parsed
    first = text[:1]
    if first == "<":
        parsed = parse_syslog(text)
        if parsed:
            return parsed
    if first == "[":
        parsed = parse_envoy(text)
        if parsed:
            return parsed
        parsed = _server_log(text)
        if parsed:
            return parsed
    elif text.startswith("PHP "):
        parsed = _server_log(text)
        if parsed:
            return parsed
    elif first.isdigit():
        for parser in (parse_nginx_error, parse_nginx_access, parse_go_log, _squid_access, _lighttpd_error):
            parsed = parser(text)
            if parsed:
                return parsed
    elif first in "IWEF":
        parsed = parse_klog(text)
        if parsed:
            return parsed
    parsed = parse_logfmt(text) if "=" in text else None
    if parsed:
        return parsed
    if not first.isdigit() and first not in "[{":
        parsed = parse_nginx_access(text) if " - " in text[:60] else None
        if parsed:
            return parsed
    parsed = parse_leveled(text)
    if parsed:
        return parsed
    return Line("plain", guess_severity(text), text)
