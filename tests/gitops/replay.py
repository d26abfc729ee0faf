"""A real HTTP server on loopback that replays recorded REST exchanges in order.

Each recording (tests/gitops/recordings/*.json) lists exchanges in the documented format of the
service (GitHub REST v3, GitLab REST v4): the request the client must send (method, path, query
and JSON body fields that must match) and the response the service gave. A request that does not
match the next exchange gets HTTP 599 with the reason, so a test fails loudly; `assert_done`
checks every exchange was used. `hooks` run a test's callable when an exchange is served, to move
a branch in the git remote at the moment the service would report it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDINGS = Path(__file__).with_name("recordings")


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    if expected == "<any>":
        return True
    return bool(expected == actual)


class Replay:
    def __init__(self, name: str, hooks: dict[int, Callable[[], None]] | None = None) -> None:
        self.exchanges: list[dict[str, Any]] = json.loads((RECORDINGS / f"{name}.json").read_text())["exchanges"]
        self.hooks = hooks or {}
        self.received: list[dict[str, Any]] = []
        self.position = 0
        self.errors: list[str] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                request = {"method": self.command, "path": url.path,
                           "query": {k: v[0] for k, v in parse_qs(url.query).items()},
                           "headers": {k.lower(): v for k, v in self.headers.items()},
                           "json": json.loads(raw) if raw else None}
                status, body = replay.answer(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        self.received.append(request)
        if self.position >= len(self.exchanges):
            self.errors.append(f"unexpected request {request['method']} {request['path']}")
            return 599, {"message": "no recorded exchange left"}
        want = self.exchanges[self.position]["request"]
        checks = [("method", want["method"] == request["method"]), ("path", want["path"] == request["path"]),
                  ("query", _subset(want.get("query", {}), request["query"])),
                  ("json", _subset(want.get("json", {}), request["json"] or {})),
                  ("headers", _subset(want.get("headers", {}), request["headers"]))]
        failed = [name for name, ok in checks if not ok]
        if failed:
            self.errors.append(f"exchange {self.position}: {request['method']} {request['path']} differs in {failed}")
            return 599, {"message": f"request does not match the recording ({failed})"}
        hook = self.hooks.get(self.position)
        if hook:
            hook()
        response = self.exchanges[self.position]["response"]
        self.position += 1
        return int(response["status"]), response.get("json")

    def assert_done(self) -> None:
        assert not self.errors, self.errors
        assert self.position == len(self.exchanges), f"only {self.position} of {len(self.exchanges)} exchanges used"

    def __enter__(self) -> Replay:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
