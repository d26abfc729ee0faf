"""A client that half-closes after its request still gets the answer (agent/server/half_close.py).

`vigil serve`'s app under a real uvicorn on loopback, with the protocol `vigil serve` runs; raw sockets,
because only they can shut down one direction. Before the fix uvicorn dropped the connection at the
client's end-of-file: the Alertmanager request below was queued (or not, by a race) and its 202 never
sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agent.config import Config
from agent.server.app import create_app
from agent.server.half_close import AnswerHalfClosed
from agent.server.service import FrontDoor
from agent.server.settings import ServeSettings
from tests.frontdoors.conftest import AM_TOKEN, FakeInvestigation, free_port
from tests.frontdoors.test_webhooks import alertmanager_payload


@contextmanager
def serving(tmp_path: Path) -> Iterator[tuple[int, FrontDoor]]:
    """`vigil serve`'s app (workers off) under uvicorn with the protocol `vigil serve` runs: (port, door)."""
    import uvicorn

    settings = ServeSettings.model_validate({"workers": 0})
    app = create_app(settings, Config(state_dir=tmp_path / "state"), investigate=FakeInvestigation(),
                     environ={"VIGIL_ALERTMANAGER_TOKEN": AM_TOKEN})
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           http=AnswerHalfClosed))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield port, app.state.door
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[int, FrontDoor]]:
    with serving(tmp_path) as running:
        yield running


def request(alertname: str, *, owe: int = 0, version: str = "HTTP/1.1", connection: str = "keep-alive") -> bytes:
    body = json.dumps(alertmanager_payload(alertname=alertname)).encode()
    head = (f"POST /webhooks/alertmanager {version}\r\nHost: 127.0.0.1\r\nConnection: {connection}\r\n"
            f"Authorization: Bearer {AM_TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body) + owe}\r\n\r\n")
    return head.encode() + body


def half_closed_exchange(port: int, data: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send `data`, shut down the sending side, read until the server closes: (what came back, seconds)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received, time.monotonic() - started


def jobs(door: FrontDoor) -> int:
    return sum(door.queue.sync.counts().values())


@pytest.mark.parametrize(("version", "connection"), [("HTTP/1.1", "keep-alive"), ("HTTP/1.0", "keep-alive"),
                                                     ("HTTP/1.1", "close")])
def test_a_complete_request_then_end_of_file_is_answered_once_and_closed(
        live: tuple[int, FrontDoor], version: str, connection: str) -> None:
    port, door = live
    received, seconds = half_closed_exchange(port, request("HalfClosed", version=version, connection=connection))
    assert received.split(b"\r\n", 1)[0].endswith(b"202 Accepted"), received[:200]
    assert received.count(b"HTTP/1.") == 1 and jobs(door) == 1
    assert seconds < 3, "closed once answered, not at the keep-alive timeout"


def test_pipelined_requests_before_the_end_of_file_are_all_answered(live: tuple[int, FrontDoor]) -> None:
    port, door = live
    received, _ = half_closed_exchange(port, request("PipedOne") + request("PipedTwo"))
    assert received.count(b" 202 Accepted\r\n") == 2, received[:400]
    assert jobs(door) == 2


def test_a_body_still_owed_at_end_of_file_is_never_read_as_whole(live: tuple[int, FrontDoor]) -> None:
    port, door = live
    received, _ = half_closed_exchange(port, request("Truncated", owe=10))
    assert b" 202 " not in received, received[:200]
    time.sleep(0.2)
    assert jobs(door) == 0
