"""Round 2's fixtures for the hostile catalogue: pending approvals in the server's own store (so the
approvals API can be asked to decide twice, decide an expired or a used request, or let a requester
approve itself), and a loopback canary URL that hostile `response_url`s point at, so a server that
fetches a URL it should have refused is caught doing it, not only guessed at. Also the policy the
server runs: the shipped default with `approval.approvers` naming people, as docs/frontdoors.md asks
of a deployment whose approvals API sits behind one shared token, so a well-formed name that is no
approver is refused 403 rather than approving anything.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from benchmarks.frontdoors.hostile_payloads import USER
from guardrails.action import Action, Actor, Risk
from guardrails.approval import PendingApprovalStore, new_request
from guardrails.pipeline import default_policy_path
from guardrails.policy import load_policy

APPROVERS: tuple[str, ...] = ("alice", "bob", "carol", f"slack:{USER}")
"""Every name the catalogues' valid decisions use (the API's `approver`, and the Slack user who clicks,
as `slack:<user id>`); any other well-formed name is no approver."""


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


def write_policy(path: Path) -> Path:
    """The shipped default policy with `approval.approvers` set to APPROVERS, written where the server's
    config names it; loaded back once so a policy the server would refuse fails here, not at startup."""
    policy = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    policy["approval"]["approvers"] = list(APPROVERS)
    path.write_text(json.dumps(policy, indent=1), encoding="utf-8")
    load_policy(path)
    return path
