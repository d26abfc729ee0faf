"""A bundle's recorded Loki lines served over Loki's HTTP API, so the Loki tools work on a replay.

No Loki server can run here, so this answers the four read paths Vigil's Loki client uses
(`query_range`, `labels`, `label/<name>/values`, `index/stats`) from the bundle's `loki` file: log
streams in the format of Loki's push API (`{"streams": [{"stream": {labels}, "values": [[ns, line]]}]}`).
Queries are log queries: a stream selector and line filters (`|=`, `!=`, `|~`, `!~`). Parsers,
label filters and metric queries get a 400 that says so, as a real Loki's 400 names what it cannot
parse. Read-only; the recorded lines are data from the system under investigation.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from guardrails.query_cost import Matcher, QueryError, logql_selectors
from guardrails.timeparse import parse_time

_FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)')


class LokiReplayError(ValueError):
    """A query the replay cannot answer; the message says what it can answer."""


@dataclass(frozen=True)
class Stream:
    labels: dict[str, str]
    entries: list[tuple[int, str]]
    """(unix nanoseconds, line), oldest first."""


def load_streams(path: Path) -> list[Stream]:
    """Streams from a file in Loki's push format; raises ValueError naming what is wrong."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("streams"), list):
        raise ValueError(f"{path}: expected Loki's push format {{\"streams\": [{{\"stream\": {{...}}, \"values\": "
                         "[[\"<unix ns>\", \"line\"], ...]}]}")
    out = []
    for i, item in enumerate(data["streams"]):
        labels, values = item.get("stream"), item.get("values")
        if not isinstance(labels, dict) or not isinstance(values, list):
            raise ValueError(f"{path}: streams[{i}] needs `stream` (labels) and `values` ([[ns, line], ...])")
        entries = sorted((int(v[0]), str(v[1])) for v in values)
        out.append(Stream({str(k): str(v) for k, v in labels.items()}, entries))
    return out


def _matches(labels: dict[str, str], matchers: list[Matcher]) -> bool:
    for m in matchers:
        value = labels.get(m.name, "")
        if m.op == "=":
            ok = value == m.value
        elif m.op == "!=":
            ok = value != m.value
        elif m.op == "=~":
            ok = re.fullmatch(m.value, value) is not None
        else:
            ok = re.fullmatch(m.value, value) is None
        if not ok:
            return False
    return True


def parse_log_query(query: str) -> tuple[list[Matcher], list[tuple[str, str]]]:
    """The stream selector and line filters of a log query; LokiReplayError for anything else."""
    text = query.strip()
    if not text.startswith("{"):
        raise LokiReplayError("the bundle's Loki replay answers log queries only ({selector} and line filters); "
                              "metric queries such as count_over_time need a real Loki")
    try:
        matchers = logql_selectors(text)[0]
    except QueryError as exc:
        raise LokiReplayError(str(exc)) from None
    rest = text[_selector_end(text):]
    filters = []
    while rest.strip():
        m = _FILTER.match(rest)
        if m is None:
            raise LokiReplayError(f"the bundle's Loki replay supports line filters (|= != |~ !~) after the "
                                  f"selector; it cannot run {rest.strip()[:60]!r}")
        filters.append((m.group(1), m.group(2) if m.group(2) is not None else m.group(3)))
        rest = rest[m.end():]
    return matchers, filters


def _selector_end(text: str) -> int:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif ch == "}" and not quoted:
            return i + 1
    raise LokiReplayError("the stream selector is not closed with }")


def _keep(line: str, filters: list[tuple[str, str]]) -> bool:
    for op, value in filters:
        found = value in line if op in ("|=", "!=") else re.search(value, line) is not None
        if found != (op in ("|=", "|~")):
            return False
    return True


def _ns(value: str | None, default: int) -> int:
    if not value:
        return default
    if value.isdigit():
        return int(value) if len(value) > 12 else int(value) * 1_000_000_000
    return int(parse_time(value).timestamp() * 1_000_000_000)


class LokiReplayApp:
    """The ASGI app over one bundle's streams; `now` is the bundle's capture time."""

    def __init__(self, streams: list[Stream], now: datetime) -> None:
        self.streams = streams
        self.now_ns = int(now.timestamp() * 1_000_000_000)
        self.app = Starlette(routes=[
            Route("/ready", lambda r: PlainTextResponse("ready")),
            Route("/loki/api/v1/query_range", self.query_range),
            Route("/loki/api/v1/labels", self.labels),
            Route("/loki/api/v1/label/{name}/values", self.label_values),
            Route("/loki/api/v1/index/stats", self.stats),
        ])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def _window(self, request: Request) -> tuple[int, int]:
        q = request.query_params
        end = _ns(q.get("end"), self.now_ns)
        return _ns(q.get("start"), end - 3600 * 1_000_000_000), end

    def _select(self, request: Request, query: str | None) -> list[tuple[Stream, list[tuple[int, str]]]]:
        start, end = self._window(request)
        matchers, filters = parse_log_query(query) if query else ([], [])
        out = []
        for s in self.streams:
            if _matches(s.labels, matchers):
                kept = [(t, line) for t, line in s.entries if start <= t < end and _keep(line, filters)]
                out.append((s, kept))
        return out

    async def query_range(self, request: Request) -> Response:
        q = request.query_params
        try:
            selected = self._select(request, q.get("query") or "")
        except (LokiReplayError, ValueError, re.error) as exc:
            return PlainTextResponse(f"parse error: {exc}", status_code=400)
        limit = int(q.get("limit") or 100)
        backward = q.get("direction", "backward") != "forward"
        flat = sorted(((t, line, i) for i, (_, entries) in enumerate(selected) for t, line in entries),
                      reverse=backward)[:limit]
        by_stream: dict[int, list[list[str]]] = {}
        for t, line, i in flat:
            by_stream.setdefault(i, []).append([str(t), line])
        result = [{"stream": selected[i][0].labels, "values": values} for i, values in by_stream.items()]
        return JSONResponse({"status": "success", "data": {"resultType": "streams", "result": result,
                                                           "stats": {}}})

    async def labels(self, request: Request) -> Response:
        names = sorted({k for s, entries in self._select(request, None) if entries for k in s.labels})
        return JSONResponse({"status": "success", "data": names})

    async def label_values(self, request: Request) -> Response:
        try:
            selected = self._select(request, request.query_params.get("query"))
        except (LokiReplayError, ValueError, re.error) as exc:
            return PlainTextResponse(f"parse error: {exc}", status_code=400)
        name = request.path_params["name"]
        values = sorted({s.labels[name] for s, entries in selected if entries and name in s.labels})
        return JSONResponse({"status": "success", "data": values})

    async def stats(self, request: Request) -> Response:
        try:
            selected = [(s, e) for s, e in self._select(request, request.query_params.get("query") or "") if e]
        except (LokiReplayError, ValueError, re.error) as exc:
            return PlainTextResponse(f"parse error: {exc}", status_code=400)
        entries = sum(len(e) for _, e in selected)
        size = sum(len(line.encode()) for _, e in selected for _, line in e)
        return JSONResponse({"streams": len(selected), "chunks": len(selected), "entries": entries, "bytes": size})


@contextmanager
def loki_replay(path: Path, now: datetime) -> Iterator[str]:
    """Serve the streams in `path` on a free loopback port for the block; yields the URL."""
    import uvicorn

    app = LokiReplayApp(load_streams(path), now)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="vigil-loki-replay", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            raise RuntimeError(f"the Loki replay did not start on {url}")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
