"""A small HTTP server speaking Loki's documented v1 API format, for tests (no Loki can be installed here).

It holds log streams in memory and answers `query_range`, `labels`, `label/NAME/values` and
`index/stats` with JSON shaped exactly as the Grafana Loki HTTP API documentation shows
(`{"status": "success", "data": {"resultType": "streams", "result": [{"stream": {...},
"values": [["<ns>", "<line>"], ...]}], "stats": {...}}}`). It understands only what the tests
need: equality matchers in the stream selector, one `|= "text"` line filter, the time window,
`limit` and `direction`; metric queries are answered from recorded responses keyed by query.
Fault modes (a status with a body and headers, or a delay) let tests drive error paths; every
request is recorded so tests can check what the client sent (auth headers, nanosecond times).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

_EQ = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"')
_FILTER = re.compile(r'\|=\s*"([^"]*)"')


@dataclass
class Stream:
    labels: dict[str, str]
    entries: list[tuple[int, str]]
    """(nanosecond timestamp, line), in time order."""


@dataclass
class Fault:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class LokiState:
    streams: list[Stream] = field(default_factory=list)
    matrix: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Recorded `data` objects for metric queries, by exact query text."""
    fault: Fault | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


def _select(state: LokiState, query: str) -> tuple[list[Stream], str | None]:
    selector = query[query.index("{") + 1 : query.index("}")]
    wanted = dict(_EQ.findall(selector))
    line_filter = _FILTER.search(query[query.index("}") :])
    chosen = [s for s in state.streams if all(s.labels.get(k) == v for k, v in wanted.items())]
    return chosen, line_filter.group(1) if line_filter else None


def _query_range(state: LokiState, params: dict[str, str]) -> tuple[int, Any]:
    query = params.get("query", "")
    if "{" not in query or "}" not in query:
        return 400, "parse error at line 1, col 1: syntax error: unexpected end of input, expecting {"
    if query in state.matrix:
        return 200, {"status": "success", "data": state.matrix[query]}
    start, end = int(params["start"]), int(params["end"])
    limit = int(params.get("limit", "100"))
    direction = params.get("direction", "backward")
    streams, needle = _select(state, query)
    picked: list[tuple[int, str, int]] = []
    for index, stream in enumerate(streams):
        for ts, line in stream.entries:
            if start <= ts < end and (needle is None or needle in line):
                picked.append((ts, line, index))
    picked.sort(key=lambda item: item[0], reverse=direction == "backward")
    picked = picked[:limit]
    result = []
    for index, stream in enumerate(streams):
        values = [[str(ts), line] for ts, line, i in picked if i == index]
        if values:
            result.append({"stream": stream.labels, "values": values})
    total_bytes = sum(len(line) for _, line, _ in picked)
    stats = {"summary": {"bytesProcessedPerSecond": total_bytes, "linesProcessedPerSecond": len(picked),
                         "totalBytesProcessed": total_bytes, "totalLinesProcessed": len(picked), "execTime": 0.001}}
    return 200, {"status": "success", "data": {"resultType": "streams", "result": result, "stats": stats}}


def _label_names(state: LokiState) -> list[str]:
    return sorted({k for s in state.streams for k in s.labels})


def _index_stats(state: LokiState, params: dict[str, str]) -> dict[str, int]:
    streams, _ = _select(state, params.get("query", "{}"))
    start, end = int(params["start"]), int(params["end"])
    entries = [(ts, line) for s in streams for ts, line in s.entries if start <= ts < end]
    return {"streams": len(streams), "chunks": len(streams), "entries": len(entries),
            "bytes": sum(len(line) for _, line in entries)}


def _handler(state: LokiState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.requests.append({"path": url.path, "params": params, "headers": dict(self.headers)})
            fault = state.fault
            if fault is not None:
                time.sleep(fault.delay)
                if fault.status != 200:
                    self._send(fault.status, fault.body, fault.headers)
                    return
            if url.path == "/loki/api/v1/query_range":
                status, body = _query_range(state, params)
            elif url.path == "/loki/api/v1/labels":
                status, body = 200, {"status": "success", "data": _label_names(state)}
            elif url.path.startswith("/loki/api/v1/label/") and url.path.endswith("/values"):
                name = unquote(url.path[len("/loki/api/v1/label/") : -len("/values")])
                streams = _select(state, params["query"])[0] if "query" in params else state.streams
                values = sorted({s.labels[name] for s in streams if name in s.labels})
                status, body = 200, {"status": "success", "data": values}
            elif url.path == "/loki/api/v1/index/stats":
                status, body = 200, _index_stats(state, params)
            else:
                status, body = 404, "404 page not found"
            self._send(status, body)

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = (json.dumps(body) if not isinstance(body, str) else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (the timeout test): nothing to deliver

    return Handler


@contextmanager
def loki_api(state: LokiState) -> Iterator[str]:
    """Serve `state` on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
