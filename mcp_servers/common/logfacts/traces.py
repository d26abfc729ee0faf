"""Multi-line records and the stack traces in them (Python, Java/JVM, Go, Node).

A stack trace spans many physical lines; read one by one, each frame would look like its own
"error". `records` first joins a line with the lines that continue it (indented lines, `Caused by:`,
the body of a Python traceback up to its exception line, a Go panic's goroutine dump), then
`parse_trace` reads a joined record as a trace: the exception, its message, and the top frames.
For Java the innermost `Caused by:` is reported, because it is the cause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mcp_servers.common.logfacts.classify import classify
from mcp_servers.common.logfacts.doc_urls import doc_links, without_doc_links
from mcp_servers.common.logfacts.lines import guess_severity, parse_line, strip_prefix_timestamp
from mcp_servers.common.logfacts.models import StackTrace

MAX_RECORD_LINES = 400
"""A record stops growing here, so one endless dump cannot swallow the window."""
TOP_FRAMES = 5


@dataclass(slots=True)
class Record:
    """One logical log entry: its first line and the lines that continue it."""

    lines: list[str]
    timestamp: str | None = None
    kind: str = ""
    """`python`, `go` while a trace of that shape is being read (they have special continuation rules)."""
    closed: bool = False
    count: int = 1
    """Physical lines of the record, also those past MAX_RECORD_LINES that were not kept."""
    tail: int = 0
    """Lines joined after a Python exception line as the rest of its message."""
    chained: str = ""
    """The Python chain joint printed before this traceback: `cause` (`raise ... from e`: the one before is its
    cause) or `context` (raised while handling the one before); empty when none."""


_PY_HEAD = "Traceback (most recent call last):"
PY_CHAIN = frozenset({"The above exception was the direct cause of the following exception:",
                      "During handling of the above exception, another exception occurred:"})
"""The lines Python prints between the tracebacks of a chained exception (`raise ... from e`, an exception
inside an `except`): joints of one failure, never an error of their own. Each traceback around them is still
read as its own record."""
_PY_CAUSE = "The above exception was the direct cause of the following exception:"
_GO_HEAD = re.compile(r"^(?:panic: |fatal error: )")
_GO_SERVE_PANIC = re.compile(r"\bhttp: panic serving \S+: (.*)$")
"""net/http's recovered handler panic, `http: panic serving 10.0.0.1:5555: <value>`, logged with the goroutine's
dump after it: one record, whose panic value is the message (the address is the client's)."""
_GO_CONT = re.compile(r"^(?:\[signal |goroutine \d+ \[|created by |exit status \d+|[\w./*()\[\]{}\-$]+\(.*\)$|"
                      r"\s)")
_PY_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def records(raw_lines: Iterable[str]) -> Iterator[Record]:
    """Group physical lines into records; blank lines end a record except inside a Go panic dump."""
    current: Record | None = None
    joints = 0
    chained = ""
    for raw in raw_lines:
        text, ts = strip_prefix_timestamp(raw.rstrip("\r\n"))
        stripped = text.strip()
        if stripped in PY_CHAIN:  # counted with the traceback that follows it
            if current is not None:
                yield current
                current = None
            joints += 1
            chained = "cause" if stripped == _PY_CAUSE else "context"
            continue
        if current is not None and _continues(current, text, stripped):
            current.count += 1
            if len(current.lines) < MAX_RECORD_LINES:
                current.lines.append(text)
            if current.kind == "python" and stripped and not text[:1].isspace():
                current.closed = True
            continue
        if current is not None:
            yield current
            current = None
        if not stripped:
            continue
        current = Record([text], ts, count=1 + joints, chained=chained)
        joints = 0
        chained = ""
        if stripped.startswith(_PY_HEAD) or stripped.endswith(_PY_HEAD):
            current.kind = "python"
        elif _GO_HEAD.match(stripped) or ("panic serving" in stripped and _GO_SERVE_PANIC.search(stripped)):
            current.kind = "go"
    if current is not None:
        yield current


_LIBRARY_TRAILER = re.compile(r"^\[(?:SQL|parameters): ")
"""SQLAlchemy's lines after an exception's first line: the statement it ran and its bound parameters."""
_CLOSING = frozenset({">", "}", "]", ")", "})", "}]"})
"""A lone closing bracket ends a value printed over several lines (grpcio's `<_InactiveRpcError ...` repr, Node's
inspected error object): the end of the record it continues, not a record of its own."""
_CONTINUATION_HEADS = ("Caused by:", "... ", "Suppressed:", "for call at", "Stack trace:")
"""Unindented lines that carry on the record before them: Java's causes and elided frames, @grpc/grpc-js's
`for call at` (the call site's frames appended to the error's stack), PHP's `Stack trace:` heading."""
_PHP_FRAME = re.compile(r"^#\d+ (?:\{main\}|\[internal function\]|\S+\(\d+\): )")
"""PHP's trace frames, `#0 /var/www/app.php(12): load()` ... `#3 {main}`."""

MAX_MESSAGE_TAIL = 6
"""A Python exception message rarely runs longer; more plain lines after it are the program's own output."""


def _py_message_goes_on(rec: Record, text: str, stripped: str) -> bool:
    """Whether an unindented line after a Python exception line is the rest of that exception's message.

    `str(exc)` may span lines: httpx's `Server error '500 ...' for url '...'` is followed by `For more
    information check: https://developer.mozilla.org/...`, pydantic's `1 validation error for Settings` by the
    field's name. Such a line carries no timestamp, no level, no error words and no failure of its own; a line
    that has any of them (a logger's next entry, `Killed`, another traceback) starts a record of its own."""
    if rec.kind != "python" or rec.tail >= MAX_MESSAGE_TAIL or stripped.endswith(_PY_HEAD):
        return False
    if _LIBRARY_TRAILER.match(stripped):
        return True
    if stripped[:1] in "{[<":
        return False
    line = parse_line(text)
    if line.format == "plain" and line.timestamp is None and doc_links(stripped):
        # `(Background on this error at: https://sqlalche.me/e/20/e3q8)`: the link's words are no failure of its own
        rest = without_doc_links(stripped)
        return classify(rest) is None and not _GO_HEAD.match(stripped)
    return line.format == "plain" and line.timestamp is None and guess_severity(stripped) == "unknown" \
        and classify(stripped) is None and not _GO_HEAD.match(stripped)


def _continues(rec: Record, text: str, stripped: str) -> bool:
    if rec.closed:
        if bool(stripped) and not text[:1].isspace() and _py_message_goes_on(rec, text, stripped):
            rec.tail += 1
            return True
        return bool(stripped) and text[:1].isspace() and not stripped.startswith("{")
    if rec.kind == "go":
        return not stripped or bool(_GO_CONT.match(text))
    if not stripped:
        return False
    if text[:1].isspace():
        return True
    if stripped.startswith(_CONTINUATION_HEADS) or (stripped in _CLOSING and len(rec.lines) > 1):
        return True
    if _PHP_FRAME.match(stripped) and len(rec.lines) > 1 and rec.lines[-1].strip().startswith(("Stack trace:", "#")):
        return True
    if rec.kind == "python":
        return bool(_PY_EXC_LINE.match(stripped.split(" ", 1)[0].rstrip(":"))) and len(rec.lines) > 1
    return False


# ---- trace parsing ------------------------------------------------------------------------

_PY_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (.+)$')
_JAVA_FRAME = re.compile(r"^\s*at ([\w$.<>/\-]+)\(([^)]*)\)\s*(?:~?\[.*\])?$")
_NODE_FRAME = re.compile(r"^\s*at (?:(.+?) \((.+?):(\d+):(\d+)\)|(?:async )?(.+?):(\d+):(\d+))$")
_EXC_HEAD = re.compile(
    r"^(?:Exception in thread \"[^\"]*\" |Caused by: |Uncaught |Unhandled(?: rejection)?:? |\[\w+\] )?"
    r"((?:[a-zA-Z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Error|Exception|Throwable|Exit|Fault|Failure|Panic|Interrupt|Warning)"
    r"(?:\$\w+)?|Error|panic)(?: \[([\w:]+)\])?(?::\s?(.*))?$")
_GO_FILE = re.compile(r"^\s+(\S+\.go):(\d+)")
_PY_TAIL = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def parse_trace(lines: list[str]) -> tuple[StackTrace | None, list[str]]:
    """The stack trace a record holds (or None), and the code lines it quotes (for config detection)."""
    head = lines[0].strip()
    if head.endswith(_PY_HEAD):
        return _python(lines)
    if _GO_HEAD.match(head):
        return _go(lines), []
    served = _GO_SERVE_PANIC.search(head) if "panic serving" in head else None
    if served and len(lines) > 1:
        return _go(lines, ("panic", served.group(1).strip())), []
    if len(lines) < 2:
        return None, []
    if any(_JAVA_FRAME.match(ln) for ln in lines[1:4]):
        return _java(lines), []
    if any(ln.startswith("Caused by: ") and _EXC_HEAD.match(ln.strip()) for ln in lines[1:]):
        return _java(lines), []  # a Java cause chain printed without frames (`%throwable{short}`, JBoss/Quarkus)
    if any(_NODE_FRAME.match(ln) for ln in lines[1:4]):
        return _node(lines), []
    return None, []


def _python(lines: list[str]) -> tuple[StackTrace | None, list[str]]:
    frames: list[str] = []
    code: list[str] = []
    exc, msg = "", ""
    for i, ln in enumerate(lines[1:], 1):
        m = _PY_FRAME.match(ln)
        if m:
            frames.append(f"{_short(m.group(1))}:{m.group(2)} {m.group(3)}")
            if i + 1 < len(lines) and not _PY_FRAME.match(lines[i + 1]) and lines[i + 1][:1].isspace():
                code.append(lines[i + 1].strip())
        elif not ln[:1].isspace():
            t = _PY_TAIL.match(ln.strip())
            if exc:  # the exception's message goes on over more lines (records joins them: _py_message_goes_on)
                msg = f"{msg} {ln.strip()}".strip()
            elif t:
                exc, msg = t.group(1), t.group(2) or ""
            else:
                exc, msg = "Exception", ln.strip()
    if not exc:
        return None, code
    return StackTrace(language="python", exception=exc, message=msg, frames=frames[::-1][:TOP_FRAMES]), code


def _java(lines: list[str]) -> StackTrace | None:
    blocks: list[tuple[str, str, list[str]]] = []
    for ln in lines:
        s = ln.strip()
        m = _EXC_HEAD.match(s) if not s.startswith("at ") else None
        if m and (s.startswith(("Caused by:", "Exception in thread")) or not blocks):
            blocks.append((m.group(1), m.group(3) or "", []))
            continue
        if not blocks:
            continue
        f = _JAVA_FRAME.match(ln)
        if f:
            blocks[-1][2].append(f"{f.group(2)} {f.group(1)}")
    if not blocks:
        first = lines[0].strip()
        exc, _, msg = first.partition(": ")
        blocks.append((exc if " " not in exc else "Exception", msg if " " not in exc else first, []))
    exc, msg, frames = blocks[-1]
    return StackTrace(language="java", exception=exc, message=msg, frames=frames[:TOP_FRAMES])


_NODE_CAUSE = re.compile(r"^\s*\[cause\]: (.*)$")
_NODE_CODE = re.compile(r"^\s*code: '([\w.\-]+)',?$")
_NODE_PROP = re.compile(r"^\s*(address|port|host|hostname|remoteAddress|remotePort): '?([\w.:\-\[\]]+)'?,?$")
"""The address properties Node prints with a network error (`address: '10.0.0.7', port: 5432`; undici's socket
`remoteAddress`/`remotePort`; a TLS error's `host`/`port`)."""


def _node_head(text: str) -> tuple[str, str]:
    """The exception and message of a Node error's first line (`TypeError: fetch failed`, `Error [CODE]: x`)."""
    m = _EXC_HEAD.match(text.strip())
    if m:
        exc, msg = m.group(1), m.group(3) or ""
        if m.group(2):
            exc = f"{exc} [{m.group(2)}]" if not m.group(2).startswith("ERR_") else exc
        return exc, msg
    exc, _, msg = text.strip().partition(": ")
    return (exc if exc and " " not in exc else "Error"), msg


def _node_cause(lines: list[str]) -> tuple[str, str]:
    """The innermost `[cause]:` of a Node error, or the error itself when it has none.

    util.inspect prints `Error.cause` so, and Node 18+'s fetch puts the real failure there: `TypeError: fetch
    failed` with `[cause]: Error: connect ECONNREFUSED ...`, `getaddrinfo ENOTFOUND host`, undici's
    `ConnectTimeoutError`, `SocketError: other side closed`.

    Like Java's innermost `Caused by:`, the cause is what failed. Its `code: '...'` property joins the type when
    the message does not already say it (undici's `UND_ERR_SOCKET`); an `AggregateError` with no message
    (Node 20's happy-eyeballs connect over IPv6 and IPv4) takes the message of its first `[errors]` entry."""
    at = next((i for i in range(len(lines) - 1, 0, -1) if _NODE_CAUSE.match(lines[i])), 0)
    cause = _NODE_CAUSE.match(lines[at])
    exc, msg = _node_head(cause.group(1) if cause else lines[0])
    code = ""
    props: dict[str, str] = {}
    for ln in lines[at + 1:]:
        c = _NODE_CODE.match(ln)
        if c and not code:
            code = c.group(1)
        elif p := _NODE_PROP.match(ln):
            props.setdefault(p.group(1), p.group(2))
        elif not msg and (inner := _EXC_HEAD.match(ln.strip())) and inner.group(3):
            msg = inner.group(3)
    if code and code not in f"{exc} {msg}" and not code.startswith("ERR_"):
        exc = f"{exc} [{code}]"
    host = props.get("remoteAddress") or props.get("address") or props.get("hostname") or props.get("host")
    port = props.get("remotePort") if "remoteAddress" in props else props.get("port")
    if host and host not in msg:  # say which peer, as ECONNREFUSED's own message does
        msg = f"{msg} (address {host}:{port})" if port and port.isdigit() else f"{msg} (host {host})"
    return exc, msg


def _node(lines: list[str]) -> StackTrace:
    exc, msg = _node_cause(lines)
    frames = []
    for ln in lines[1:]:
        f = _NODE_FRAME.match(ln)
        if f:
            if f.group(1):
                frames.append(f"{_short(f.group(2))}:{f.group(3)} {f.group(1)}")
            else:
                frames.append(f"{_short(f.group(5))}:{f.group(6)}")
    return StackTrace(language="node", exception=exc, message=msg, frames=frames[:TOP_FRAMES])


def _go(lines: list[str], said: tuple[str, str] | None = None) -> StackTrace:
    head = lines[0].strip()
    exc = "panic" if head.startswith("panic:") else "fatal error"
    msg = head.split(":", 1)[1].strip()
    msg = msg.removesuffix(" [recovered]")
    if said is not None:
        exc, msg = said
    frames: list[str] = []
    func = ""
    started = False
    for ln in lines[1:]:
        if ln.startswith("goroutine "):
            if started:
                break
            started = True
            continue
        f = _GO_FILE.match(ln)
        if f and func:
            if "/runtime/" not in f.group(1) and not func.startswith("panic("):
                frames.append(f"{_short(f.group(1))}:{f.group(2)} {func}")
            func = ""
        elif ln.strip() and not ln[:1].isspace():
            func = ln.strip()
    return StackTrace(language="go", exception=exc, message=msg, frames=frames[:TOP_FRAMES])


def _short(path: str) -> str:
    """The last two path parts: enough to find the file, without a machine's install prefix."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else path
