"""The vocabulary of the hostile-request catalogue: a case is a few HTTP requests, each with the
classes of answer it may get and how many jobs it may enqueue.

Kept apart from the catalogue (hostile_requests.py) and the client (hostile_client.py) so the data
reads as data: a case names its door, its group (protocol, json, semantic, auth, control) and, per
step, what the public formats and docs/frontdoors.md say must happen. Where those sources leave the
answer open (a gzip body, a charset parameter) a step lists more than one class, and the runner
checks only what every one of them shares: no 5xx, nothing enqueued unless the step is accepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Answer classes. A webhook 2xx is "accepted" when it enqueued a new job and "ignored" when it did
# not (a ping, an event joining a job already queued); for MCP a 2xx carrying a JSON-RPC result is
# "accepted", one carrying a JSON-RPC error is "refused", an empty 202 is "ignored".
ACCEPTED = "accepted"
IGNORED = "ignored"
REFUSED = "refused"      # 4xx
CLOSED = "closed"        # the server closed the connection without an answer (a framing error)
REDIRECT = "redirect"    # 3xx (a trailing-slash redirect), nothing enqueued
SERVER_ERROR = "5xx"     # never expected

ANY_SAFE = frozenset({ACCEPTED, IGNORED, REFUSED, CLOSED, REDIRECT})
NOT_ACCEPTED = frozenset({IGNORED, REFUSED})
REFUSAL = frozenset({REFUSED})
FRAMING = frozenset({REFUSED, CLOSED})


@dataclass(frozen=True)
class Keys:
    """The secrets the server under test is started with (throwaway values, generated per run)."""

    am_token: str
    pd_secrets: tuple[str, str]       # "old,new" while rotating: both must verify
    slack_secret: str
    api_token: str
    mcp_token: str


@dataclass
class Ctx:
    """What a body or signer may depend on: the clock, a per-run tag (so ids never collide with an
    earlier run's replay store) and the MCP session id the runner negotiated."""

    keys: Keys
    tag: str
    mcp_session: str = ""
    mcp_protocol: str = "2025-06-18"
    approval_id: str = ""
    now: float = field(default_factory=time.time)
    approvals: dict[str, str] = field(default_factory=dict)
    """Round 2: pending approvals the runner seeded in the server's store, by role (fresh, expired...)."""
    canary_url: str = ""
    """Round 2: a loopback URL the runner watches; a server that fetches it was led into an SSRF."""


Body = bytes | Callable[[Ctx], bytes]
Headers = tuple[tuple[str, str], ...]
# A signer gets the exact body bytes about to be sent and returns the credential headers.
Signer = Callable[[bytes, Ctx], list[tuple[str, str]]]


@dataclass(frozen=True)
class Step:
    """One request and what it may answer.

    `auth` names the door's normal credential (am, pd, slack, api, mcp, mcp_session) computed over
    the exact body; `sign` replaces it with a hostile variant. `framing` is how the body is framed:
    "length" (a correct Content-Length), "chunked", or "none" (the headers given are all there is).
    `raw` builds the whole request itself, for framing lies no header list can express.
    `enqueue` is how many new jobs the step must create when its class is accepted (else none).
    """

    method: str
    path: str
    expect: frozenset[str]
    body: Body = b""
    headers: Headers = (("Content-Type", "application/json"),)
    auth: str | None = None
    sign: Signer | None = None
    framing: str = "length"
    raw: Callable[[Ctx, str], bytes] | None = None
    half_close: bool = False
    replay_previous: bool = False
    status: frozenset[int] | None = None
    contains: bytes | None = None
    enqueue: int = 1
    query: str = ""
    enqueue_any: frozenset[int] | None = None
    """Round 2, for pipelined bytes (several requests on one connection, the runner classifies only the
    first answer): the job counts allowed whatever the first answer's class."""


@dataclass(frozen=True)
class Case:
    """A named scenario: its door, its group, why it is in the catalogue, and its steps in order."""

    name: str
    door: str          # alertmanager, pagerduty, slack, approvals, mcp
    group: str         # control, protocol, json, semantic, auth
    why: str
    steps: tuple[Step, ...]
    outside: str = ""
    """Where the answer is decided when that is outside agent/server (the MCP SDK's own JSON-RPC
    parsing): a wrong class there is reported apart; a 5xx or a bad enqueue still counts."""

    @property
    def is_control(self) -> bool:
        return self.group == "control"
