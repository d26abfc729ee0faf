"""A loopback HTTP server that answers every request with one configured fault, for error-path tests.

Real Prometheus covers the success paths and "stopped" (the process is killed); what a real
Prometheus will not do on demand is hang, sit behind a failing proxy or demand credentials, so
this server does: a status, a body in Prometheus' documented error format or plain text, a delay,
and an optional required Authorization header. It records the headers of each request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    status: int = 200
    body: Any = field(default_factory=lambda: {"status": "success", "data": {"resultType": "vector", "result": []}})
    delay: float = 0.0
    require_auth: str | None = None
    """When set, requests without exactly this Authorization header get 401."""
    seen: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def fault_server(behaviour: Behaviour) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            behaviour.seen.append(dict(self.headers))
            time.sleep(behaviour.delay)
            status, body = behaviour.status, behaviour.body
            if behaviour.require_auth and self.headers.get("Authorization") != behaviour.require_auth:
                status, body = 401, "Unauthorized"
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_POST = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
