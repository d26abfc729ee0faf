"""Round 2's fixtures for the hostile catalogue: pending approvals in the server's own store (so the
approvals API can be asked to decide twice, decide an expired or a used request, or let a requester
approve itself), and a loopback canary URL that hostile `response_url`s point at, so a server that
fetches a URL it should have refused is caught doing it, not only guessed at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from guardrails.action import Action, Actor, Risk
from guardrails.approval import PendingApprovalStore, new_request


class Canary:
    """A loopback HTTP server that answers 200 to anything and counts how often it was reached."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.hits = 0
        self.url = f"http://127.0.0.1:{server.server_address[1]}/canary"

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[Canary]:
        holder: list[Canary] = []

        class Handler(BaseHTTPRequestHandler):
            def _hit(self) -> None:
                holder[0].hits += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _hit

            def log_message(self, format: str, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        canary = cls(server)
        holder.append(canary)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield canary
        finally:
            server.shutdown()
            server.server_close()


def _request(store: PendingApprovalStore, requester: str, risk: Risk, ttl_s: float) -> str:
    action = Action(actor=Actor(name=requester, origin="mcp"), tool="propose_change",
                    arguments={"repository": "gitops", "path": "apps/shop/checkout.yaml", "change": "memory 512Mi"},
                    risk=risk)
    request = new_request(action, f"risk {risk.name.lower()} needs approval", "raise checkout memory limit", 3600)
    if ttl_s < 0:
        request = type(request)(id=request.id, action=action, reason=request.reason, summary=request.summary,
                                expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s))
    store.submit(request)
    return request.id


def seed_approvals(path: Path) -> dict[str, str]:
    """Pending approvals in each state the approvals API must tell apart, by role."""
    store = PendingApprovalStore(path)
    ids = {role: _request(store, "mcp-http", Risk.MEDIUM, 3600)
           for role in ("twice", "approve_then_deny", "deny_then_approve", "slack_then_http")}
    ids["expired"] = _request(store, "mcp-http", Risk.MEDIUM, -60)
    ids["decided"] = _request(store, "mcp-http", Risk.MEDIUM, 3600)
    store.resolve(ids["decided"], "bob", True, "test")
    ids["used"] = _request(store, "mcp-http", Risk.MEDIUM, 3600)
    store.resolve(ids["used"], "bob", True, "test")
    store.consume(ids["used"])
    ids["self_high"] = _request(store, "alice", Risk.HIGH, 3600)
    ids["withdraw"] = _request(store, "carol", Risk.HIGH, 3600)
    return ids
