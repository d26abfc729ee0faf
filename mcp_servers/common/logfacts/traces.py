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

from mcp_servers.common.logfacts.lines import strip_prefix_timestamp
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


_PY_HEAD = "Traceback (most recent call last):"
_GO_HEAD = re.compile(r"^(?:panic: |fatal error: )")
_GO_CONT = re.compile(r"^(?:\[signal |goroutine \d+ \[|created by |exit status \d+|[\w./*()\[\]{}\-$]+\(.*\)$|"
                      r"\s)")
_PY_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


def records(raw_lines: Iterable[str]) -> Iterator[Record]:
    """Group physical lines into records; blank lines end a record except inside a Go panic dump."""
    current: Record | None = None
    for raw in raw_lines:
        text, ts = strip_prefix_timestamp(raw.rstrip("\r\n"))
        stripped = text.strip()
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
        current = Record([text], ts)
        if stripped.startswith(_PY_HEAD) or stripped.endswith(_PY_HEAD):
            current.kind = "python"
        elif _GO_HEAD.match(stripped):
            current.kind = "go"
    if current is not None:
        yield current


def _continues(rec: Record, text: str, stripped: str) -> bool:
    if rec.closed:
        return bool(stripped) and text[:1].isspace() and not stripped.startswith("{")
    if rec.kind == "go":
        return not stripped or bool(_GO_CONT.match(text))
    if not stripped:
        return False
    if text[:1].isspace():
        return True
    if stripped.startswith(("Caused by:", "... ", "Suppressed:")):
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
    if len(lines) < 2:
        return None, []
    if any(_JAVA_FRAME.match(ln) for ln in lines[1:4]):
        return _java(lines), []
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
            if t:
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


def _node(lines: list[str]) -> StackTrace:
    m = _EXC_HEAD.match(lines[0].strip())
    if m:
        exc, msg = m.group(1), m.group(3) or ""
        if m.group(2):
            exc = f"{exc} [{m.group(2)}]" if not m.group(2).startswith("ERR_") else exc
    else:
        exc, _, msg = lines[0].strip().partition(": ")
        exc = exc if exc and " " not in exc else "Error"
    frames = []
    for ln in lines[1:]:
        f = _NODE_FRAME.match(ln)
        if f:
            if f.group(1):
                frames.append(f"{_short(f.group(2))}:{f.group(3)} {f.group(1)}")
            else:
                frames.append(f"{_short(f.group(5))}:{f.group(6)}")
    return StackTrace(language="node", exception=exc, message=msg, frames=frames[:TOP_FRAMES])


def _go(lines: list[str]) -> StackTrace:
    head = lines[0].strip()
    exc = "panic" if head.startswith("panic:") else "fatal error"
    msg = head.split(":", 1)[1].strip()
    msg = msg.removesuffix(" [recovered]")
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
