"""A request refused for its head (431) is answered even when its body arrives after the refusal was decided:
the server reads the body (bounded) before it answers and closes, so the close never meets unread bytes, which
the kernel would answer with a reset that can destroy the 431 before the client reads it (CI saw `Connection
reset by peer` instead of the refusal at the MCP door). Real uvicorn over a real socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from agent.server.limits import MAX_HEADER_BYTES
from tests.frontdoors.conftest import AM_TOKEN
from tests.frontdoors.test_half_close import serving
from tests.frontdoors.test_webhooks import alertmanager_payload


def test_a_431_reaches_a_client_whose_body_follows_its_oversized_head(tmp_path: Path) -> None:
    body = json.dumps(alertmanager_payload(alertname="HeadTooBig")).encode()
    pads = "".join(f"X-Pad-{i}: {'p' * 1000}\r\n" for i in range(MAX_HEADER_BYTES // 1000 + 1))
    head = (f"POST /webhooks/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {AM_TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{pads}\r\n").encode()
    with serving(tmp_path) as (port, door), socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.3)  # the app has the head and has decided; it waits for the body before answering
        try:
            early = sock.recv(65536)
        except TimeoutError:
            early = b""
        assert early == b"", "answered and closed while the body was still owed: its arrival would meet a reset"
        sock.settimeout(10)
        sock.sendall(body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        assert sum(door.queue.sync.counts().values()) == 0
    assert received.startswith(b"HTTP/1.1 431"), received[:200]
    assert b"headers_too_large" in received
