"""Stack traces as they appear in logs (Python, Go, Java, JavaScript/Node) to frames.

Log lines often carry a prefix (timestamp, pod name, JSON quoting), so every pattern searches
within a line instead of anchoring at its start, and escaped newlines (`\\n` inside a JSON log
field) are unfolded first. Frames come out innermost first: the frame that raised leads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PY = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')
_GO_FUNC = re.compile(r"^\s*(?:goroutine \d+ .*|(?P<func>[\w./*()\-\[\]]+\.[\w$]+)\((?:[^()]*)\))\s*$")
_GO_FILE = re.compile(r"^\s+(?P<file>/?[^\s:]+\.go):(?P<line>\d+)(?:\s+\+0x[0-9a-f]+)?\s*$")
_JAVA = re.compile(r"\bat (?P<func>[\w$.<>/]+)\((?P<file>[\w$.-]+\.(?:java|kt|scala)):(?P<line>\d+)\)")
_JS = re.compile(r"\bat (?:async )?(?:(?P<func>[^\s(]+) )?\(?(?P<file>(?:file://)?[^\s()]+\.(?:[cm]?js|jsx|tsx?)):"
                 r"(?P<line>\d+)(?::(?P<col>\d+))?\)?")
_PY_ERROR = re.compile(r"(?:^|\s)(?P<error>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)(?::\s.*)?)\s*$")


@dataclass(frozen=True)
class Frame:
    lang: str
    file: str
    line: int
    function: str
    text: str
    column: int = 0
    """1-based column when the trace gives one (Node does), else 0."""


@dataclass
class Trace:
    lang: str
    frames: list[Frame]
    """Innermost (the raising frame) first."""
    error: str


def detect_and_parse(raw: str) -> Trace:
    """Parse whichever trace format the text holds; an empty frame list when none is found."""
    text = raw
    if "\\n" in text and text.count("\n") < 3:
        text = text.replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')
    lines = text.splitlines()
    for parser in (_python, _java, _go, _js):
        trace = parser(lines)
        if trace.frames:
            return trace
    return Trace("unknown", [], "")


def _python(lines: list[str]) -> Trace:
    frames: list[Frame] = []
    error = ""
    for line in lines:
        m = _PY.search(line)
        if m:
            frames.append(Frame("python", m["file"], int(m["line"]), m["func"] or "", line.strip()))
            continue
        e = _PY_ERROR.search(line) if frames else None
        if e:
            error = e["error"].strip()
    frames.reverse()
    return Trace("python", frames, error)


def _java(lines: list[str]) -> Trace:
    frames = []
    error = ""
    for line in lines:
        m = _JAVA.search(line)
        if m:
            frames.append(Frame("java", m["file"], int(m["line"]), m["func"], line.strip()))
        elif not frames and ("Exception" in line or "Error" in line):
            error = line.strip()
    return Trace("java", frames, error)


def _go(lines: list[str]) -> Trace:
    frames = []
    error = ""
    pending = ""
    for line in lines:
        if line.startswith("panic:") or line.startswith("fatal error:"):
            error = line.strip()
            continue
        f = _GO_FILE.match(line)
        if f and pending:
            frames.append(Frame("go", f["file"], int(f["line"]), pending, f"{pending} {f['file']}:{f['line']}"))
            pending = ""
            continue
        m = _GO_FUNC.match(line)
        if m and m["func"]:
            pending = m["func"]
    return Trace("go", frames, error)


def _js(lines: list[str]) -> Trace:
    frames = []
    error = ""
    for line in lines:
        m = _JS.search(line)
        if m:
            file = m["file"].removeprefix("file://")
            frames.append(Frame("javascript", file, int(m["line"]), m["func"] or "", line.strip(),
                                int(m["col"]) if m["col"] else 0))
        elif not frames and "Error" in line:
            error = line.strip()
    return Trace("javascript", frames, error)


def name_parts(frame: Frame) -> list[str]:
    """The function name of a frame split into identifiers, for matching by name when no file matches.

    Go `main.(*Store).Save` -> [main, Store, Save]; Java `com.acme.Cart.add` -> [com, acme, Cart, add].
    """
    return [p for p in re.split(r"[^\w$]+", frame.function.replace("<init>", "")) if p and not p.isdigit()]
