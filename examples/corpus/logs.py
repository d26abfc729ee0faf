"""Log lines in the formats real software writes, each prefixed as `kubectl logs --timestamps` prints it.

Multi-line records (stack traces) are one log entry per line in the container runtime, so every
line gets its own timestamp prefix, as it does on a real node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from incidentgen.background import stamp


def lines(entries: Iterable[tuple[datetime, str]]) -> str:
    """Stamped text from (time, text) pairs; text may hold several lines (a stack trace)."""
    out: list[str] = []
    for t, text in entries:
        out.extend(stamp(t, part) for part in text.split("\n"))
    return "\n".join(out) + "\n"


def every(start: datetime, end: datetime, step_s: float) -> list[datetime]:
    """Times from start to end, every step_s seconds."""
    out: list[datetime] = []
    t = start
    while t < end:
        out.append(t)
        t += timedelta(seconds=step_s)
    return out


def js(t: datetime, level: str, msg: str, **fields: object) -> str:
    """A structured JSON line (zap / pino / structlog style)."""
    return json.dumps({"ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                       "level": level, "msg": msg, **fields}, separators=(",", ":"))


def logfmt(t: datetime, level: str, msg: str, **fields: object) -> str:
    parts = [f"time={t.strftime('%Y-%m-%dT%H:%M:%SZ')}", f"level={level}", f'msg="{msg}"']
    for k, v in fields.items():
        text = str(v)
        parts.append(f'{k}="{text}"' if (" " in text or "=" in text or not text) else f"{k}={text}")
    return " ".join(parts)


def klog(t: datetime, severity: str, source: str, msg: str, pid: int = 1) -> str:
    """A klog header line: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg."""
    return f"{severity[0]}{t.strftime('%m%d %H:%M:%S')}.{t.microsecond:06d} {pid:>7} {source}] {msg}"


def nginx_access(t: datetime, client: str, request: str, status: int, size: int, upstream: str,
                 upstream_status: str, rt: float, ua: str = "Mozilla/5.0 (X11; Linux x86_64)") -> str:
    """ingress-nginx's default upstreaminfo log format."""
    return (f'{client} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] "{request} HTTP/1.1" {status} {size} "-" '
            f'"{ua}" 412 {rt:.3f} [{upstream}] [] {upstream_status.split()[0] if upstream_status else "-"} '
            f"{size} {rt:.3f} {upstream_status or '-'} {hashlib.md5((client + request + str(t)).encode()).hexdigest()}")


def nginx_error(t: datetime, message: str, worker: int = 31, conn: int = 1043) -> str:
    return f"{t.strftime('%Y/%m/%d %H:%M:%S')} [error] {worker}#{worker}: *{conn} {message}"


def envoy(t: datetime, method: str, path: str, status: int, flags: str, upstream_host: str, duration_ms: int,
          authority: str, request_id: str, details: str = "-") -> str:
    """Envoy's default access-log format (as Istio/Contour sidecars print it)."""
    return (f'[{t.strftime("%Y-%m-%dT%H:%M:%S")}.{t.microsecond // 1000:03d}Z] "{method} {path} HTTP/1.1" '
            f'{status} {flags} {details} "-" 0 {91 if status >= 500 else 1834} {duration_ms} - "10.244.2.1" '
            f'"okhttp/4.12.0" "{request_id}" "{authority}" "{upstream_host}"')


def go_std(t: datetime, msg: str) -> str:
    """Go's standard `log` package prefix."""
    return f"{t.strftime('%Y/%m/%d %H:%M:%S')} {msg}"


def spring(t: datetime, level: str, logger: str, msg: str, thread: str = "main") -> str:
    """Spring Boot's default console pattern."""
    return (f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{t.microsecond // 1000:03d}Z {level:>5} 1 --- [{thread:>15}] "
            f"{logger:<40} : {msg}")


def pylog(t: datetime, level: str, logger: str, msg: str) -> str:
    """Python logging's common `%(asctime)s %(levelname)s %(name)s: %(message)s`."""
    return f"{t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} {level} {logger}: {msg}"


def postgres(t: datetime, level: str, msg: str, pid: int = 1) -> str:
    return f"{t.strftime('%Y-%m-%d %H:%M:%S')}.{t.microsecond // 1000:03d} UTC [{pid}] {level}:  {msg}"


def ticker(start: datetime, end: datetime, step_s: float,
           make: Callable[[int, datetime], str | None]) -> list[tuple[datetime, str]]:
    """(t, line) pairs for every step; `make` may return None to skip a step."""
    out = []
    for i, t in enumerate(every(start, end, step_s)):
        text = make(i, t)
        if text is not None:
            out.append((t, text))
    return out


def uuidish(seed: str, i: int) -> str:
    """A request id that looks like a UUID and is the same on every run."""
    h = hashlib.sha256(f"{seed}/{i}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
