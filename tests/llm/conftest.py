"""Fixtures for the LLM layer tests: a local HTTP server that replays recorded provider responses.

The real anthropic and openai SDKs are pointed at this server through `base_url`; nothing leaves
127.0.0.1 and no real key exists (a dummy one sits in an environment variable).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

RECORDINGS = Path(__file__).parent / "recordings"
DUMMY_KEY = "dummy-test-key-not-a-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class SeenRequest:
    """One request as the replay server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class ReplayServer:
    """Answers successive requests with successive recorded exchanges; records every request."""

    url: str = ""
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    requests: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self, name: str) -> ReplayServer:
        """Queue the exchanges of recordings/<name> (for example "openai/text_answer.json")."""
        data = json.loads((RECORDINGS / name).read_text(encoding="utf-8"))
        self.exchanges.extend(data["exchanges"])
        return self

    def next_exchange(self, seen: SeenRequest) -> dict[str, Any]:
        with self.lock:
            self.requests.append(seen)
            if not self.exchanges:
                return {"status": 500, "headers": {}, "body": {"error": {"message": "replay script exhausted"}}}
            return self.exchanges.pop(0)


def _handler(replay: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stall

        def do_GET(self) -> None:
            self.do_POST("GET")

        def do_POST(self, method: str = "POST") -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = SeenRequest(
                method,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else {},
                time.monotonic(),
            )
            exchange = replay.next_exchange(seen)
            if exchange.get("delay_s"):
                time.sleep(float(exchange["delay_s"]))
            payload = json.dumps(exchange["body"]).encode()
            try:
                self.send_response(int(exchange["status"]))
                self.send_header("content-type", "application/json")
                for key, value in (exchange.get("headers") or {}).items():
                    if key.lower() != "content-type":
                        self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests); nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """A replay server on 127.0.0.1 at a free port, stopped after the test."""
    state = ReplayServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.block_on_close = False
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="llm-replay", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dummy_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The name of an environment variable holding a dummy API key."""
    monkeypatch.setenv("VIGIL_TEST_LLM_KEY", DUMMY_KEY)
    return "VIGIL_TEST_LLM_KEY"


@pytest.fixture
def sre_tools() -> list[Any]:
    """A few of Vigil's tool specs, shaped like the MCP servers' schemas (pydantic-generated)."""
    from agent.llm import ToolDef

    return [
        ToolDef(
            name="k8s_logs",
            description="Recent log lines of one pod's container.",
            input_schema={
                "type": "object",
                "properties": {
                    "namespace": {"type": "string"},
                    "pod": {"type": "string"},
                    "container": {"type": "string"},
                    "tail": {"type": "integer", "minimum": 1, "maximum": 5000, "default": 200},
                    "previous": {"type": "boolean", "default": False},
                },
                "required": ["namespace", "pod"],
            },
        ),
        ToolDef(
            name="k8s_events",
            description="Events in a namespace, newest first.",
            input_schema={
                "type": "object",
                "properties": {
                    "namespace": {"type": "string"},
                    "kind": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                    "limit": {"type": "integer", "default": 50},
                },
                "required": ["namespace"],
            },
        ),
        ToolDef(
            name="k8s_describe",
            description="One object with its status and recent events.",
            input_schema={
                "type": "object",
                "properties": {
                    "namespace": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                },
                "required": ["kind", "name"],
            },
        ),
        ToolDef(
            name="prom_query",
            description="Instant PromQL query.",
            input_schema={
                "type": "object",
                "properties": {"query": {"type": "string"}, "time": {"type": "string"}},
                "required": ["query"],
            },
        ),
    ]


@pytest.fixture
async def closing() -> Any:
    """Register models here; their HTTP clients are closed at the end of the test's event loop."""
    from agent.llm import close_model

    opened: list[Any] = []

    def register(model: Any) -> Any:
        opened.append(model)
        return model

    yield register
    for model in opened:
        await close_model(model)
