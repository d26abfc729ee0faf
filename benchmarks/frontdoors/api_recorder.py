"""A real loopback HTTP server standing in for Slack's Web API (`/api/<method>`) while the hostile
catalogue runs, so valid Slack requests can be acted on without reaching slack.com.

It answers in the Web API's documented shapes (`{"ok": true, ...}`; `auth.test` with the bot's ids) and
keeps the path of every call, so the runner can show what a request made Vigil call.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def slack_api_recorder() -> Iterator[tuple[str, list[str]]]:
    """(base URL ending in /api/, the list of paths called so far); stopped on exit."""
    calls: list[str] = []
    counter = iter(range(1, 10**9))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?")[0]
            calls.append(path)
            ts = f"1700000000.{next(counter):06d}"
            payload: dict[str, Any] = {"ok": True, "ts": ts, "channel": "C024BE91L", "message": {"ts": ts}}
            if path.endswith("/auth.test"):
                payload = {"ok": True, "user_id": "U0LAN0Z89", "bot_id": "B0LAN0Z89", "team_id": "T024BE7LD",
                           "user": "vigil"}
            if path.endswith("/bots.info"):
                payload = {"ok": True, "bot": {"id": "B0LAN0Z89", "deleted": False, "name": "vigil",
                                               "app_id": "A0KRD7HC3", "user_id": "U0LAN0Z89"}}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/", calls
    finally:
        server.shutdown()
        server.server_close()
