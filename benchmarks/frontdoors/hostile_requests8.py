"""The eighth blind hostile catalogue: how Vigil's front doors treat the connection a request arrives
on, the spelling of its media type, coding, path and query, and clients that idle, stall or crowd in,
each step with the classes of answer the public specifications and docs/frontdoors.md allow.

Written before reading agent/server/, guardrails/, mcp_servers/ or the tests, and knowing of rounds 1
to 7 only their module docstrings and case names. Those rounds sent most framing, JSON and signature
tricks already; this one sends one matrix of connection-level behaviour to every door (Alertmanager,
PagerDuty, Slack events, slash commands, the approvals API, MCP), so a rule kept by one route and not
its siblings shows up:

- connection reuse after an error answer (RFC 9112 9.3, 9.6): a keep-alive request refused as 400, 401,
  404, 405, 413, 415 or 431, with a valid request pipelined behind it, then a separate redelivery of
  the valid one, then a ledger check that the case queued exactly what the docs promise (one job:
  the pipelined copy may be answered or dropped after the error, never queued twice);
- connection management spelled as real clients spell it: HTTP/1.0 without `Connection`, `Connection:
  Close`, `keep-alive, close` lists, `Keep-Alive` parameters, `TE: trailers`, a `Connection` field
  naming the door's own credential field (a proxy would strip it; a server reached directly may act on
  the credential or refuse, never queue twice), and a client that half-closes after a complete request;
- media types and codings at each door: a quoted upper-case `charset="UTF-8"` and whitespace before
  the `;` (RFC 9110 8.3.1: both mean utf-8, which docs/frontdoors.md lets pass), `application/json-seq`
  record separators, a structured `+json` suffix, an explicit `identity` coding, an empty coding, gzip
  bombs named in a coding list or sent chunked (a compressed body is 415 by the docs);
- request targets: `;` path parameters, fragments, upper-case paths, `%2e` dot segments, double-encoded
  letters, a backslash, a tab, a trailing `/.`, and query strings of 700 parameters, bad or raw
  non-ASCII percent-encoding and an encoded NUL on routes that take no query;
- MCP streamable HTTP (2025-06-18): Accept spelled with q-values, upper case, wildcards or two fields,
  resources and prompts the server does not offer (one asking for a local file, one for the run's
  canary URL), logging and completion requests, a client-sent JSON-RPC error object, cancellation of
  a finished request, ping with odd params, and tools/call arguments of wrong types or huge size;
- slow, idle and crowding clients, checked on the side: a keep-alive connection left idle before its
  request, partial heads and bodies held open while another client's request is served, a body cut
  off mid-way then sent whole, byte-identical signed deliveries racing, Slack retries racing, and a
  concurrent burst of small distinct requests across doors on pipelined keep-alive connections.

Side checks run in a step's `raw` builder on their own sockets (with short timeouts), read the queue's
size from the server's own `/metrics` and check the promise themselves; when one fails the builder
returns instead a request for `/__hostile8_side_check_failed__/<case>`, a 404 that no such step allows,
so the failure shows under the case's name. The ledger steps use the same mechanism: a case's first
step notes the queue's size, its last compares.

Every body that should be accepted names a unique incident per case and per run (the run's tag is in
every alert name, PagerDuty incident id and Slack text). Where the sources leave the answer open a step
allows several classes; the runner still checks no 5xx, nothing enqueued unless accepted, and the exact
job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 8
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import Response, credentials, exchange
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    FRAMING,
    IGNORED,
    REDIRECT,
    REFUSAL,
    REFUSED,
    Case,
    Ctx,
    Step,
)

Raw = Callable[[Ctx, str], bytes]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MCP_ACCEPT = "application/json, text/event-stream"
SIDE_TIMEOUT_S = 15.0
MIB = 1024 * 1024


# ----------------------------------------------------------------------------- the doors

@dataclass(frozen=True)
class Door:
    """One front door and its well-formed request: the valid body for a case, the class that body
    must get and how many jobs it queues (the approvals list and MCP ping queue none)."""

    key: str
    door: str
    method: str
    path: str
    ctype: str | None
    auth: str
    body: Callable[[Ctx, str], bytes]
    ok: frozenset[str]
    enqueue: int
    accept: str | None = None

    @property
    def queues(self) -> bool:
        return self.enqueue > 0


def _alertname(ctx: Ctx, name: str) -> str:
    return "Hostile8" + ctx.tag + "_" + "".join(c if c.isalnum() else "_" for c in name)


def _am_body(ctx: Ctx, name: str) -> bytes:
    return P.am_body(_alertname(ctx, name))


def _pd_incident(ctx: Ctx, name: str) -> str:
    return "P" + P.uid(ctx, "incident:h8" + name, 6)


def _pd_body(ctx: Ctx, name: str) -> bytes:
    return P.dumps(P.pd_event(ctx, "h8" + name, incident=_pd_incident(ctx, name)))


def _pd_again(ctx: Ctx, name: str, copy: str = "again") -> bytes:
    """A new event (new id) for the same incident: PagerDuty's redelivery of news about it, which
    joins the incident's job."""
    return P.dumps(P.pd_event(ctx, f"h8{name}#{copy}", incident=_pd_incident(ctx, name)))


def _sl_body(ctx: Ctx, name: str) -> bytes:
    ts = f"{int(ctx.now) - 2}.{P.uid(ctx, 'ts8:' + name, 6, '0123456789')}"
    event = {"type": "app_mention", "user": P.USER, "ts": ts, "channel": P.CHANNEL, "event_ts": ts,
             "text": f"<@U0LAN0Z89> pods crashlooping in payments h8 {ctx.tag} {name}"}
    return P.dumps(P.slack_event(ctx, "h8" + name, event=event))


def _cmd_body(ctx: Ctx, name: str) -> bytes:
    text = f"investigate checkout pods OOMKilled in namespace shop h8 {ctx.tag} {name}"
    return P.form(P.slash_form(ctx, "h8" + name, text=text))


def _ap_body(ctx: Ctx, name: str) -> bytes:
    return b""


def _mcp_body(ctx: Ctx, name: str) -> bytes:
    return P.dumps(P.rpc("ping", id_=f"h8-{name}"))


AM = Door("am8", "alertmanager", "POST", "/webhooks/alertmanager", JSON, "am", _am_body, frozenset({ACCEPTED}), 1)
PD = Door("pd8", "pagerduty", "POST", "/webhooks/pagerduty", JSON, "pd", _pd_body, frozenset({ACCEPTED}), 1)
SL = Door("sl8", "slack", "POST", "/slack/events", JSON, "slack", _sl_body, frozenset({ACCEPTED}), 1)
CMD = Door("cmd8", "slack", "POST", "/slack/events", FORM, "slack", _cmd_body, frozenset({ACCEPTED}), 1)
AP = Door("ap8", "approvals", "GET", "/approvals", None, "api", _ap_body, frozenset({IGNORED}), 0)
MCP = Door("mcp8", "mcp", "POST", "/mcp", JSON, "mcp_session", _mcp_body, frozenset({ACCEPTED}), 0,
           accept=MCP_ACCEPT)
DOORS: tuple[Door, ...] = (AM, PD, SL, CMD, AP, MCP)
POSTING: tuple[Door, ...] = (AM, PD, SL, CMD, MCP)


def creds(auth: str | None, body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
    """The door's normal credential over these exact bytes (hostile_client's own signer)."""
    return credentials(Step("POST", "/", frozenset(), auth=auth), body, ctx)


def head_fields(door: Door, ctype: str | None = "default") -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    chosen = door.ctype if ctype == "default" else ctype
    if chosen is not None:
        fields.append(("Content-Type", chosen))
    if door.accept is not None:
        fields.append(("Accept", door.accept))
    return fields


def request(door: Door, ctx: Ctx, host: str, body: bytes | None = None, *, name: str = "", method: str | None = None,
            target: str | None = None, version: str = "HTTP/1.1", connection: str | None = "close",
            fields: Sequence[tuple[str, str]] | None = None, extra: Sequence[tuple[str, str]] = (),
            auth: bool = True, sign_body: bytes | None = None, host_field: bool = True,
            chunked: bool = False) -> bytes:
    """One request's bytes as this catalogue sends them: every part can be bent by the caller; the
    credential is computed over `sign_body` (default: the body sent)."""
    data = door.body(ctx, name) if body is None else body
    lines = [f"{method or door.method} {target if target is not None else door.path} {version}"]
    if host_field:
        lines.append(f"Host: {host}")
    if connection is not None:
        lines.append(f"Connection: {connection}")
    lines.append("User-Agent: vigil-hostile-catalogue/8")
    lines += [f"{k}: {v}" for k, v in (head_fields(door) if fields is None else fields)]
    lines += [f"{k}: {v}" for k, v in extra]
    if auth:
        lines += [f"{k}: {v}" for k, v in creds(door.auth, data if sign_body is None else sign_body, ctx)]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        payload = b"".join(f"{len(data[i:i + 4096]):x}\r\n".encode() + data[i:i + 4096] + b"\r\n"
                           for i in range(0, len(data), 4096)) + b"0\r\n\r\n"
    else:
        if data or (method or door.method) not in ("GET", "HEAD", "DELETE"):
            lines.append(f"Content-Length: {len(data)}")
        payload = data
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + payload


def redelivery(door: Door, ctx: Ctx, host: str, name: str) -> bytes:
    """The documented way the same news arrives again: the same Alertmanager notification, a new
    PagerDuty event for the same incident, Slack's numbered retry of the same event_id."""
    if door is PD:
        return request(door, ctx, host, _pd_again(ctx, name))
    if door is SL:
        return request(door, ctx, host, name=name, extra=(("X-Slack-Retry-Num", "1"),
                                                         ("X-Slack-Retry-Reason", "http_timeout")))
    return request(door, ctx, host, name=name)


# ----------------------------------------------------------------------------- side channel

def _port(host: str) -> int:
    return int(host.rsplit(":", 1)[1])


def send(host: str, data: bytes, half_close: bool = False, timeout: float = SIDE_TIMEOUT_S) -> Response:
    return exchange("127.0.0.1", _port(host), data, half_close=half_close, timeout=timeout)


def queue_size(host: str) -> int:
    """Jobs in the queue in any state, once the only request in flight is this read (up to 5 s)."""
    deadline = time.monotonic() + 5.0
    while True:
        reply = send(host, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=10)
        jobs, in_flight = 0.0, None
        for line in reply.body.decode("utf-8", "replace").splitlines():
            if line.startswith("vigil_jobs{"):
                jobs += float(line.rsplit(" ", 1)[1])
            elif line.startswith("vigil_http_requests_in_flight "):
                in_flight = int(float(line.rsplit(" ", 1)[1]))
        if in_flight is None or in_flight <= 1 or time.monotonic() >= deadline:
            return int(jobs)
        time.sleep(0.01)


def failed(host: str, case: str, what: str) -> bytes:
    """The request a failed side check sends instead of its step's own: a 404 no such step allows."""
    return (f"GET /__hostile8_side_check_failed__/{case}/{what} HTTP/1.1\r\nHost: {host}\r\n"
            "Connection: close\r\n\r\n").encode()


_MARKS: dict[str, int] = {}


def marked(case: str, build: Raw) -> Raw:
    """Note the queue's size before the case's first request (the runner has settled the last case)."""
    def raw(ctx: Ctx, host: str) -> bytes:
        _MARKS[ctx.tag + case] = queue_size(host)
        return build(ctx, host)
    return raw


def ledger(case: str, allowed: frozenset[int]) -> Step:
    """The case's last step: the jobs it queued in all must be one of `allowed`; answered by a plain
    list of approvals (200, nothing queued) when they are, by the failure 404 when not."""
    def raw(ctx: Ctx, host: str) -> bytes:
        start = _MARKS.get(ctx.tag + case)
        if start is None:
            return failed(host, case, "ledger-not-marked")
        queued = queue_size(host) - start
        if queued not in allowed:
            return failed(host, case, f"ledger-{queued}-jobs")
        return request(AP, ctx, host)
    return Step("GET", "/approvals", frozenset({IGNORED}), raw=raw, status=frozenset({200}), enqueue=0)


def ok_status(reply: Response) -> bool:
    return reply.status is not None and 200 <= reply.status < 300


# ----------------------------------------------------------------------------- 1. reuse after an error

def _error_request(kind: str, door: Door, ctx: Ctx, host: str, name: str) -> bytes:
    """A keep-alive request the docs say is refused, of one kind, at this door."""
    body = door.body(ctx, name + "-bad")
    keep = "keep-alive"
    if door is AP:
        match kind:
            case "404":
                return request(door, ctx, host, target="/approvals-h8-nope", connection=keep)
            case "405":
                return request(door, ctx, host, method="DELETE", connection=keep)
            case "401":
                return request(door, ctx, host, connection=keep, auth=False)
            case "400":
                return request(door, ctx, host, target="/approvals?h8=1", connection=keep)
            case "413":
                return request(door, ctx, host, b"{" + b" " * (MIB + 1024) + b"}", connection=keep,
                               fields=[("Content-Type", JSON)])
            case "415":
                return request(door, ctx, host, gzip.compress(b"{}"), connection=keep,
                               fields=[("Content-Type", JSON)], extra=(("Content-Encoding", "gzip"),))
            case _:
                return request(door, ctx, host, connection=keep, extra=(("X-Hostile8-Pad", "a" * 40_000),))
    match kind:
        case "404":
            return request(door, ctx, host, body, target=door.path + "-h8-nope", connection=keep)
        case "405":
            return request(door, ctx, host, body, method="PUT", connection=keep)
        case "401":
            return request(door, ctx, host, body, connection=keep, auth=False)
        case "400":
            bad = body[: len(body) // 2] if door is not CMD else b"command=%2Fvigil&text=%E0%A4%"
            return request(door, ctx, host, bad, connection=keep)
        case "413":
            pad = b'{"h8":"' + b"a" * (MIB + 1024) + b'"}' if door is not CMD else b"text=" + b"a" * (MIB + 1024)
            if door is MCP:
                pad = b'{"h8":"' + b"a" * (5 * MIB) + b'"}'
            return request(door, ctx, host, pad, connection=keep)
        case "415":  # docs/frontdoors.md: a charset other than utf-8 is 415 at every door
            return request(door, ctx, host, body, connection=keep,
                           fields=head_fields(door, f"{door.ctype}; charset=iso-8859-1"))
        case _:
            return request(door, ctx, host, body, connection=keep, extra=(("X-Hostile8-Pad", "a" * 40_000),))


ERROR_KINDS = ("400", "401", "404", "405", "413", "415", "431")


def reuse_after_error(door: Door, kind: str) -> Case:
    name = f"{door.key}-reuse-after-{kind}"

    def pipelined(ctx: Ctx, host: str) -> bytes:
        return _error_request(kind, door, ctx, host, name) + request(door, ctx, host, name=name)

    first = FRAMING if kind in ("413", "431") else REFUSAL
    steps: list[Step] = []
    if door is MCP:
        steps.append(Step("POST", "/mcp", first, raw=pipelined, enqueue=0))
        steps.append(Step("POST", "/mcp", frozenset({ACCEPTED}), raw=lambda c, h: request(door, c, h, name=name),
                          enqueue=0))
    else:
        allowed = frozenset({0, door.enqueue})
        steps.append(Step(door.method, door.path, first, raw=marked(name, pipelined), enqueue=0,
                          enqueue_any=allowed))
        if door in (AM, PD, SL):
            steps.append(Step(door.method, door.path, frozenset({ACCEPTED, IGNORED}),
                              raw=lambda c, h: redelivery(door, c, h, name)))
            steps.append(ledger(name, frozenset({1})))
        else:
            steps.append(ledger(name, allowed))
    return Case(name, door.door, "protocol",
                f"a {kind} answer on a keep-alive connection, a valid request pipelined behind it: answered or "
                "dropped after the error (RFC 9112 9.6), never queued twice; the door still serves afterwards",
                tuple(steps))


# ----------------------------------------------------------------------------- 2. connection management

def _credential_field(door: Door) -> str:
    return {"am": "Authorization", "api": "Authorization", "mcp_session": "Authorization",
            "pd": "X-PagerDuty-Signature", "slack": "X-Slack-Signature"}[door.auth]


CONNECTION_VARIANTS: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("http10-no-connection", "HTTP/1.0 without Connection: the server answers and closes (RFC 9112 9.3)",
     {"version": "HTTP/1.0", "connection": None}),
    ("http10-no-host", "HTTP/1.0 carries no Host field; RFC 9112 3.2 requires Host only of 1.1",
     {"version": "HTTP/1.0", "connection": None, "host_field": False}),
    ("connection-close-capitalised", "connection options are case-insensitive tokens (RFC 9110 7.6.1)",
     {"connection": "Close"}),
    ("connection-keepalive-close-list", "`close` anywhere in the list closes after the answer",
     {"connection": "keep-alive, close"}),
    ("keep-alive-params", "the Keep-Alive field of HTTP/1.0 clients is advisory",
     {"connection": "close, Keep-Alive", "extra": (("Keep-Alive", "timeout=1, max=1"),)}),
    ("te-trailers", "TE: trailers with Connection naming TE, as RFC 9110 10.1.4 asks of a client",
     {"connection": "TE, close", "extra": (("TE", "trailers"),)}),
)


def connection_case(door: Door, suffix: str, why: str, options: dict[str, object]) -> Case:
    name = f"{door.key}-{suffix}"

    def raw(ctx: Ctx, host: str) -> bytes:
        return request(door, ctx, host, name=name, **options)  # type: ignore[arg-type]

    return Case(name, door.door, "control", why + "; a valid request otherwise, accepted once",
                (Step(door.method, door.path, door.ok, raw=raw, enqueue=door.enqueue),))


def connection_names_credential(door: Door) -> Case:
    name = f"{door.key}-connection-names-credential"
    field_name = _credential_field(door)

    def raw(ctx: Ctx, host: str) -> bytes:
        return request(door, ctx, host, name=name, connection=f"close, {field_name}")

    return Case(name, door.door, "auth",
                f"Connection names {field_name} (a proxy would drop it as hop-by-hop, RFC 9110 7.6.1): reached "
                "directly, the server may act on the credential or refuse; never queue twice",
                (Step(door.method, door.path, door.ok | {REFUSED}, raw=raw, enqueue=door.enqueue),))


def half_close_case(door: Door) -> Case:
    name = f"{door.key}-keepalive-half-closed"

    def raw(ctx: Ctx, host: str) -> bytes:
        return request(door, ctx, host, name=name, connection="keep-alive")

    return Case(name, door.door, "control",
                "a complete keep-alive request, then the client half-closes: docs/frontdoors.md says serve answers "
                "it, then closes",
                (Step(door.method, door.path, door.ok, raw=raw, half_close=True, enqueue=door.enqueue),))


# ----------------------------------------------------------------------------- 3. media types and codings

def _bomb(size: int = 16 * MIB) -> bytes:
    return gzip.compress(b" " * size, compresslevel=9)


def media_cases(door: Door) -> list[Case]:
    base = door.ctype or JSON
    out: list[Case] = []

    def case(suffix: str, group: str, why: str, expect: frozenset[str], build: Raw,
             status: frozenset[int] | None = None) -> None:
        out.append(Case(f"{door.key}-{suffix}", door.door, group, why,
                        (Step(door.method, door.path, expect, raw=build, status=status, enqueue=door.enqueue),)))

    def fields(ctype: str | None) -> list[tuple[str, str]]:
        return head_fields(door, ctype)

    n = door.key
    case("ctype-charset-quoted-upper", "control", 'charset="UTF-8" is utf-8 (RFC 9110 8.3.2: case-insensitive, '
         "quoted or not), which the docs let pass", door.ok,
         lambda c, h: request(door, c, h, name=n + "cq", fields=fields(base + '; charset="UTF-8"')))
    case("ctype-space-before-semicolon", "control", "OWS before `;` is allowed in a media type (RFC 9110 8.3.1)",
         door.ok, lambda c, h: request(door, c, h, name=n + "cs", fields=fields(base + " ; charset=utf-8")))
    case("ctype-json-seq-records", "json", "RFC 7464 records (RS before each text) are not one JSON text",
         REFUSAL, lambda c, h: request(door, c, h, b"\x1e" + door.body(c, n + "seq") + b"\n",
                                       fields=fields("application/json-seq")))
    case("ctype-json-seq-label-plain-body", "protocol", "a json-seq label over a plain body: refuse the type or "
         "read the JSON; never queue twice", door.ok | {REFUSED},
         lambda c, h: request(door, c, h, name=n + "sp", fields=fields("application/json-seq")))
    case("ctype-plus-json-suffix", "protocol", "a structured +json suffix (RFC 6839): either answer, once",
         door.ok | {REFUSED},
         lambda c, h: request(door, c, h, name=n + "pj", fields=fields("application/vnd.hostile8+json")))
    case("ctype-two-values-in-one-field", "protocol", "Content-Type is a singleton; a list is no media type",
         door.ok | {REFUSED}, lambda c, h: request(door, c, h, name=n + "tv", fields=fields(base + ", " + base)))
    identity_ok = door.ok if door is MCP else door.ok | {REFUSED}
    case("coding-identity-explicit", "protocol", "identity is no coding; the MCP door lets it pass by the docs",
         identity_ok, lambda c, h: request(door, c, h, name=n + "id", extra=(("Content-Encoding", "identity"),)))
    case("coding-empty-value", "protocol", "an empty Content-Encoding: no coding, or refused; never a 5xx",
         door.ok | {REFUSED}, lambda c, h: request(door, c, h, name=n + "ce", extra=(("Content-Encoding", ""),)))
    case("coding-list-identity-gzip-bomb", "protocol", "gzip named after identity over a 16 MiB bomb: a "
         "compressed body is 415 by the docs", REFUSAL,
         lambda c, h: request(door, c, h, _bomb(), extra=(("Content-Encoding", "identity, gzip"),)),
         status=frozenset({413, 415}))
    case("coding-gzip-bomb-chunked", "protocol", "a chunked gzip bomb: refused before it expands", REFUSAL,
         lambda c, h: request(door, c, h, _bomb(), extra=(("Content-Encoding", "gzip"),), chunked=True),
         status=frozenset({413, 415}))
    case("coding-deflate-of-valid-body", "protocol", "a zlib-deflated valid body under its correct signature: "
         "still compressed, still 415", REFUSAL,
         lambda c, h: request(door, c, h, zlib.compress(door.body(c, n + "df")),
                              extra=(("Content-Encoding", "deflate"),)),
         status=frozenset({415}))
    return out


# ----------------------------------------------------------------------------- 4. request targets

PATH_OPEN = frozenset({ACCEPTED, IGNORED, REFUSED, REDIRECT})


def target_cases(door: Door) -> list[Case]:
    out: list[Case] = []
    p = door.path
    head, _, last = p.rpartition("/")
    n = door.key

    def case(suffix: str, why: str, expect: frozenset[str], target: Callable[[Ctx], str] | str,
             group: str = "protocol") -> None:
        def raw(ctx: Ctx, host: str) -> bytes:
            where = target(ctx) if callable(target) else target
            return request(door, ctx, host, name=n + suffix, target=where)
        out.append(Case(f"{door.key}-{suffix}", door.door, group, why,
                        (Step(door.method, door.path, expect, raw=raw, enqueue=door.enqueue),)))

    case("path-semicolon-parameter", "`;v=1` belongs to the segment (RFC 3986 3.3): another resource, 404",
         REFUSAL, p + ";v=1")
    case("path-fragment", "an origin-form target carries no fragment (RFC 9112 3.2.1)", FRAMING, p + "#h8")
    case("path-upper-case", "paths are case-sensitive (RFC 3986 6.2.2.1): another resource", REFUSAL, p.upper())
    case("path-encoded-dot-segment", "`%2e` is `.` (RFC 3986 2.3): served as normalised or refused, once",
         PATH_OPEN, f"{head}/%2e/{last}")
    case("path-double-encoded-letter", "`%2561` decodes once to `%61`, not a letter: no route", REFUSAL,
         f"{head}/%25{ord(last[0]):02x}{last[1:]}")
    case("path-backslash", "a backslash is no URI character (RFC 3986 2); no route has one", FRAMING,
         f"{head}\\{last}")
    query_ok = REFUSAL if door is AP else door.ok | {REFUSED}
    query_framing = FRAMING if door is AP else door.ok | FRAMING
    case("query-700-parameters", "700 query parameters (6 KiB, under the 8 KiB target bound) on a route that "
         "reads none" + ("; GET /approvals takes none (400)" if door is AP else ""), query_ok,
         p + "?" + "&".join(f"h{i}={i}" for i in range(700)))
    case("query-bad-percent", "`%zz` is no percent-encoding (RFC 3986 2.1)", query_ok, p + "?x=%zz")
    case("query-raw-non-ascii", "raw UTF-8 bytes in the target are not URI characters (RFC 3986 2)", query_framing,
         p + "?q=é")
    return out


# ----------------------------------------------------------------------------- 5. MCP specifics

def _mcp_post(message: object, accept: str | None = MCP_ACCEPT, extra: Sequence[tuple[str, str]] = ()) -> Raw:
    """A POST on the runner's session; `message` may be built from the context (the canary URL)."""
    def raw(ctx: Ctx, host: str) -> bytes:
        msg = message(ctx) if callable(message) else message
        fields = [("Content-Type", JSON)] + ([("Accept", accept)] if accept is not None else [])
        return request(MCP, ctx, host, P.dumps(msg), fields=fields, extra=extra)
    return raw


def _call(arguments: object, tool: str = "investigate", id_: str = "h8") -> dict[str, object]:
    return P.rpc("tools/call", {"name": tool, "arguments": arguments}, id_=id_)


OPEN_ACCEPT = frozenset({ACCEPTED, REFUSED})
MCP_SDK = "the MCP SDK's streamable HTTP transport"


def mcp_cases() -> list[Case]:
    out: list[Case] = []

    def case(suffix: str, group: str, why: str, expect: frozenset[str], build: Raw, outside: str = "") -> None:
        out.append(Case(f"mcp8-{suffix}", "mcp", group, why,
                        (Step("POST", "/mcp", expect, raw=build, enqueue=0),), outside=outside))

    ping = P.rpc("ping", id_="h8-ping")
    case("accept-q-values", "control", "both types listed, with q-values (RFC 9110 12.5.1)", frozenset({ACCEPTED}),
         _mcp_post(ping, "application/json;q=0.9, text/event-stream;q=0.5"), MCP_SDK)
    case("accept-upper-case", "control", "media types are case-insensitive (RFC 9110 8.3.1)",
         frozenset({ACCEPTED}), _mcp_post(ping, "APPLICATION/JSON, TEXT/EVENT-STREAM"), MCP_SDK)
    case("accept-reversed-order", "control", "the order of an Accept list carries no meaning",
         frozenset({ACCEPTED}), _mcp_post(ping, "text/event-stream, application/json"), MCP_SDK)
    case("accept-with-parameters", "control", "a charset parameter on the JSON type still lists it",
         frozenset({ACCEPTED}), _mcp_post(ping, "application/json; charset=utf-8, text/event-stream"), MCP_SDK)
    case("accept-two-fields", "protocol", "two Accept fields combine into one list (RFC 9110 5.3)",
         OPEN_ACCEPT, _mcp_post(ping, "application/json", extra=(("Accept", "text/event-stream"),)), MCP_SDK)
    case("accept-wildcard", "protocol", "*/* lists neither type by name; accepted or refused", OPEN_ACCEPT,
         _mcp_post(ping, "*/*"), MCP_SDK)
    case("accept-subtype-wildcards", "protocol", "application/*, text/* cover both; accepted or refused",
         OPEN_ACCEPT, _mcp_post(ping, "application/*, text/*"), MCP_SDK)
    case("accept-json-q-zero", "protocol", "q=0 marks the JSON type not acceptable (RFC 9110 12.4.2)",
         OPEN_ACCEPT, _mcp_post(ping, "application/json;q=0, text/event-stream"), MCP_SDK)
    case("resources-read-local-file", "semantic", "the investigate server offers no file resource: an error, "
         "never the file", REFUSAL, _mcp_post(P.rpc("resources/read", {"uri": "file:///etc/passwd"}, id_="h8-r")))
    case("resources-read-canary", "semantic", "a resource URI on loopback: an error, and never fetched (canary)",
         REFUSAL, _mcp_post(lambda c: P.rpc("resources/read", {"uri": c.canary_url or "http://127.0.0.1:9/"},
                                            id_="h8-rc")))
    case("resources-templates-list", "semantic", "a list method the server may not offer: result or error",
         OPEN_ACCEPT, _mcp_post(P.rpc("resources/templates/list", id_="h8-rt")))
    case("prompts-get-unknown", "semantic", "a prompt nobody defined", REFUSAL,
         _mcp_post(P.rpc("prompts/get", {"name": "h8-no-such-prompt", "arguments": {}}, id_="h8-p")))
    case("logging-set-level-bogus", "semantic", "a level outside RFC 5424's eight names", REFUSAL,
         _mcp_post(P.rpc("logging/setLevel", {"level": "h8-loud"}, id_="h8-l")))
    case("completion-complete-bogus-ref", "semantic", "completion for a reference that does not exist", REFUSAL,
         _mcp_post(P.rpc("completion/complete", {"ref": {"type": "ref/prompt", "name": "h8-none"},
                                                 "argument": {"name": "x", "value": "y"}}, id_="h8-c")))
    case("client-sends-error-object", "protocol", "a JSON-RPC error answering no request of the server's: "
         "202 or refused", frozenset({IGNORED, REFUSED}),
         _mcp_post({"jsonrpc": "2.0", "id": "h8-none", "error": {"code": -32000, "message": "h8"}}))
    case("cancel-finished-request", "protocol", "cancelling a request already answered is a no-op notification "
         "(MCP cancellation: ignore unknown or finished ids)", frozenset({IGNORED}),
         _mcp_post(P.rpc("notifications/cancelled", {"requestId": "h8-ping", "reason": "h8"}, id_=None)))
    case("cancel-request-id-object", "protocol", "a requestId that is no JSON-RPC id", frozenset({IGNORED, REFUSED}),
         _mcp_post(P.rpc("notifications/cancelled", {"requestId": {"h8": 1}}, id_=None)))
    case("ping-params-empty-object", "control", "ping with an empty params object is still ping",
         frozenset({ACCEPTED}), _mcp_post(P.rpc("ping", {}, id_="h8-pe")))
    case("ping-params-meta", "control", "ping with only `_meta` is still ping", frozenset({ACCEPTED}),
         _mcp_post(P.rpc("ping", {"_meta": {"progressToken": "h8"}}, id_="h8-pm")))
    case("ping-params-array", "protocol", "by-position params for a method that takes none", OPEN_ACCEPT,
         _mcp_post(P.rpc("ping", [1, 2], id_="h8-pa")))
    case("tools-list-cursor-huge", "protocol", "a 100 KB opaque cursor the server never issued", OPEN_ACCEPT,
         _mcp_post(P.rpc("tools/list", {"cursor": "h8" * 50_000}, id_="h8-tc")))
    wrong = {
        "question-bool": {"question": True},
        "question-object": {"question": {"text": "why"}},
        "labels-string": {"question": "why is checkout down", "labels": "namespace=shop"},
        "labels-nested-object": {"question": "why is checkout down", "labels": {"namespace": {"v": "shop"}}},
        "output-list": {"question": "why is checkout down", "output": ["markdown"]},
        "payload-array": {"question": "why is checkout down", "alertmanager_payload": [1, 2, 3]},
        "label-name-1mb": {"question": "why is checkout down", "labels": {"n" * MIB: "shop"}},
        "question-3mb": {"question": "why " * (3 * MIB // 4)},
        "labels-5000": {"question": "why is checkout down", "labels": {f"l{i}": "v" for i in range(5000)}},
    }
    for suffix, arguments in wrong.items():
        case(f"call-{suffix}", "semantic", "investigate with an argument of the wrong type or past its schema "
             "bound: a tool error or JSON-RPC error, nothing investigated", REFUSAL,
             _mcp_post(_call(arguments, id_=f"h8-{suffix}")))
    case("call-meta-progress-token-object", "semantic", "a progressToken must be a string or integer",
         REFUSAL, _mcp_post(P.rpc("tools/call", {"name": "h8-no-such-tool", "arguments": {},
                                                 "_meta": {"progressToken": {"h8": 1}}}, id_="h8-pt")))
    case("call-unknown-tool-huge-args", "semantic", "an unknown tool with 2 MB of arguments", REFUSAL,
         _mcp_post(_call({"blob": "x" * (2 * MIB)}, tool="h8_no_such_tool", id_="h8-ut")))
    case("session-survives", "control", "after all of the above the runner's session still answers",
         frozenset({ACCEPTED}), _mcp_post(P.rpc("tools/list", id_="h8-end")))
    return out


# ----------------------------------------------------------------------------- 6. slow, idle, crowding

def _idle_then(door: Door, case: str, idle_s: float) -> Raw:
    """Side: a keep-alive connection idles, then carries a valid request (another incident), which must
    be answered 2xx; the step's own request follows on a new connection."""
    def raw(ctx: Ctx, host: str) -> bytes:
        side = request(door, ctx, host, name=case + "-side")
        try:
            with socket.create_connection(("127.0.0.1", _port(host)), timeout=SIDE_TIMEOUT_S) as sock:
                time.sleep(idle_s)
                sock.sendall(side)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
        except OSError:
            data = b""
        if not data.startswith(b"HTTP/1.1 2") and not data.startswith(b"HTTP/1.0 2"):
            return failed(host, case, "idle-request-not-2xx")
        return request(door, ctx, host, name=case)
    return raw


def _held_then(door: Door, case: str) -> Raw:
    """Side: five connections hold a partial head and five a partial body while another client's valid
    request is served; then they go, and the queue has grown by that request's one job only."""
    def raw(ctx: Ctx, host: str) -> bytes:
        start = queue_size(host)
        socks: list[socket.socket] = []
        try:
            for i in range(10):
                sock = socket.create_connection(("127.0.0.1", _port(host)), timeout=SIDE_TIMEOUT_S)
                socks.append(sock)
                full = request(door, ctx, host, name=f"{case}-held{i}")
                cut = full.index(b"\r\n\r\n") // 2 if i < 5 else len(full) - max(len(full) // 10, 1)
                sock.sendall(full[:cut])
            reply = send(host, request(door, ctx, host, name=case + "-side"))
        except OSError:
            return failed(host, case, "side-connect")
        finally:
            for sock in socks:
                sock.close()
        if not ok_status(reply):
            return failed(host, case, f"side-{reply.status}")
        time.sleep(0.3)
        if queue_size(host) - start != door.enqueue:
            return failed(host, case, "held-connections-queued")
        return request(door, ctx, host, name=case)
    return raw


def _cut_then_whole(door: Door, case: str) -> Raw:
    """Side: the step's own request cut off mid-body and the connection closed; nothing may be queued.
    The step then sends it whole (a fresh signature), and it must be accepted once."""
    def raw(ctx: Ctx, host: str) -> bytes:
        start = queue_size(host)
        full = request(door, ctx, host, name=case)
        cut = full.index(b"\r\n\r\n") + 4 + (len(full) - full.index(b"\r\n\r\n") - 4) // 2
        try:
            with socket.create_connection(("127.0.0.1", _port(host)), timeout=SIDE_TIMEOUT_S) as sock:
                sock.sendall(full[:cut])
        except OSError:
            return failed(host, case, "side-connect")
        time.sleep(0.5)
        if queue_size(host) != start:
            return failed(host, case, "cut-body-queued")
        ctx.now = time.time() + 1  # a fresh Slack timestamp, so the whole copy is not a byte-identical replay
        return request(door, ctx, host, name=case)
    return raw


def _race(host: str, requests: Sequence[bytes]) -> list[Response]:
    replies: list[Response | None] = [None] * len(requests)
    gate = threading.Barrier(len(requests))

    def go(i: int) -> None:
        try:
            gate.wait(timeout=SIDE_TIMEOUT_S)
            replies[i] = send(host, requests[i])
        except (OSError, threading.BrokenBarrierError):
            replies[i] = Response(None, (), b"", 0.0)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SIDE_TIMEOUT_S * 2)
    return [r if r is not None else Response(None, (), b"", 0.0) for r in replies]


def _identical_race(door: Door, case: str, copies: int) -> Raw:
    """Side: byte-identical signed copies of one delivery race; exactly one job, every answer below 500.
    The step then sends the documented redelivery, which joins it."""
    def raw(ctx: Ctx, host: str) -> bytes:
        start = queue_size(host)
        one = request(door, ctx, host, name=case)
        replies = _race(host, [one] * copies)
        if any(r.status is None or r.status >= 500 for r in replies):
            return failed(host, case, "race-5xx-or-closed")
        if sum(ok_status(r) for r in replies) < 1:
            return failed(host, case, "race-none-accepted")
        if queue_size(host) - start != 1:
            return failed(host, case, "race-not-one-job")
        return redelivery(door, ctx, host, case)
    return raw


def _slack_retry_race(case: str) -> Raw:
    """Side: the original mention and its retries 1-3 (fresh timestamps, same event_id) race: one job."""
    def raw(ctx: Ctx, host: str) -> bytes:
        start = queue_size(host)
        copies = [request(SL, ctx, host, name=case)]
        for num in ("1", "2", "3"):
            ctx.now += 1
            copies.append(request(SL, ctx, host, name=case, extra=(("X-Slack-Retry-Num", num),
                                                                   ("X-Slack-Retry-Reason", "http_timeout"))))
        replies = _race(host, copies)
        if any(r.status is None or r.status >= 500 for r in replies):
            return failed(host, case, "race-5xx-or-closed")
        if queue_size(host) - start != 1:
            return failed(host, case, "race-not-one-job")
        ctx.now = time.time()
        return redelivery(SL, ctx, host, case)
    return raw


def _pipelined_burst(case: str, connections: int, per_connection: int) -> Raw:
    """Side: several keep-alive connections at once, each carrying distinct small Alertmanager, PagerDuty
    and Slack requests pipelined; every answer 2xx, and the queue grows by exactly one job per request."""
    doors = (AM, PD, SL)

    def raw(ctx: Ctx, host: str) -> bytes:
        start = queue_size(host)
        batches: list[bytes] = []
        for c in range(connections):
            parts = []
            for i in range(per_connection):
                door = doors[(c + i) % len(doors)]
                last = i == per_connection - 1
                parts.append(request(door, ctx, host, name=f"{case}-{c}-{i}",
                                     connection="close" if last else "keep-alive"))
            batches.append(b"".join(parts))
        replies = _race(host, batches)
        if any(r.status is None or r.status >= 300 for r in replies):
            return failed(host, case, "burst-first-not-2xx")
        total = connections * per_connection
        if queue_size(host) - start != total:
            return failed(host, case, "burst-job-count")
        return request(AM, ctx, host, name=f"{case}-0-0")  # a redelivery: joins, queues nothing
    return raw


def side_cases() -> list[Case]:
    out: list[Case] = []
    for door in (AM, PD, SL, CMD):
        name = f"{door.key}-idle-keepalive-then-request"
        out.append(Case(name, door.door, "control", "a connection idle for 3 s, then its request: still served",
                        (Step(door.method, door.path, door.ok, raw=_idle_then(door, name, 3.0)),)))
        name = f"{door.key}-held-partial-clients"
        out.append(Case(name, door.door, "control", "ten clients stalled mid-head and mid-body do not block or "
                        "queue; another client's request is served once",
                        (Step(door.method, door.path, door.ok, raw=_held_then(door, name)),)))
        name = f"{door.key}-cut-mid-body-then-whole"
        out.append(Case(name, door.door, "control", "a body cut off mid-way and the connection closed queues "
                        "nothing; the whole request afterwards is accepted once",
                        (Step(door.method, door.path, door.ok, raw=_cut_then_whole(door, name)),)))
    for door in (AM, PD):
        name = f"{door.key}-identical-copies-race"
        out.append(Case(name, door.door, "semantic", "eight byte-identical deliveries at once: one job "
                        "(joined or refused as a replay), then the redelivery joins",
                        (Step(door.method, door.path, frozenset({IGNORED}), raw=_identical_race(door, name, 8)),)))
    name = "sl8-retries-race-original"
    out.append(Case(name, "slack", "semantic", "Slack's retries 1-3 racing their original: one job, then a "
                    "further retry joins",
                    (Step("POST", "/slack/events", frozenset({IGNORED}), raw=_slack_retry_race(name)),)))
    name = "am8-pipelined-burst-mixed-doors"
    out.append(Case(name, "alertmanager", "semantic", "6 connections x 5 pipelined distinct requests across "
                    "three doors at once: 30 jobs exactly, then a redelivery joins",
                    (Step("POST", "/webhooks/alertmanager", frozenset({IGNORED}),
                          raw=_pipelined_burst(name, 6, 5)),)))
    return out


# ----------------------------------------------------------------------------- 7. state left unchanged

def after_all(door: Door) -> Case:
    """A control sent first, the catalogue's refused shapes in between, then its redelivery: joins."""
    name = f"{door.key}-state-after-refusals"

    def first(ctx: Ctx, host: str) -> bytes:
        return request(door, ctx, host, name=name)

    def refused(kind: str) -> Step:
        return Step(door.method, door.path, FRAMING if kind in ("413", "431") else REFUSAL,
                    raw=lambda c, h: _error_request(kind, door, c, h, name).replace(
                        b"Connection: keep-alive", b"Connection: close", 1), enqueue=0)

    steps = [Step(door.method, door.path, frozenset({ACCEPTED}), raw=marked(name, first))]
    steps += [refused(kind) for kind in ERROR_KINDS]
    steps.append(Step(door.method, door.path, frozenset({IGNORED}), raw=lambda c, h: redelivery(door, c, h, name)))
    steps.append(ledger(name, frozenset({1})))
    return Case(name, door.door, "control", "an accepted incident, seven refused requests about it, then its "
                "redelivery: it joins the first job, one job in all", tuple(steps))


def build() -> tuple[Case, ...]:
    cases: list[Case] = []
    for door in DOORS:
        cases += [reuse_after_error(door, kind) for kind in ERROR_KINDS]
    for door in DOORS:
        cases += [connection_case(door, suffix, why, options) for suffix, why, options in CONNECTION_VARIANTS
                  if not (door is MCP and options.get("host_field") is False)]
        cases.append(connection_names_credential(door))
        if door is not MCP:  # docs: vigil mcp --http keeps uvicorn's drop at end-of-file
            cases.append(half_close_case(door))
    for door in POSTING:
        cases += media_cases(door)
    for door in DOORS:
        cases += target_cases(door)
    cases += mcp_cases()
    cases += side_cases()
    cases += [after_all(door) for door in (AM, PD, SL)]
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"case names used twice: {sorted(duplicates)}")
    return tuple(cases)


CASES: tuple[Case, ...] = build()

