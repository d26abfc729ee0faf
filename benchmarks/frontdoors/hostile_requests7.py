"""The seventh blind hostile catalogue: requests to every front door that rounds 1 to 6 likely left
out, each step with the classes of answer the public specifications and docs/frontdoors.md allow.

Written before reading agent/server/, guardrails/, mcp_servers/ or the tests, and knowing of rounds 1
to 6 only their module docstrings and case names. Those rounds sent most HTTP framing tricks to the
Alertmanager door alone; this one sends one matrix of them to every door, so a rule that guards one
route and not its siblings shows up:

- HTTP/1.1 framing (RFC 9112) at each door (Alertmanager, PagerDuty, Slack events, slash commands, the
  approvals API, MCP): Transfer-Encoding with Content-Length, two pipelined requests followed by a
  separate redelivery of the second (which must join or be refused as a replay, never queue twice), a
  refused request pipelined before a valid one, chunked bodies with quoted and BWS chunk extensions and
  with a trailer that tries to carry the credential, Content-Length twice (equal and unequal), obs-fold
  in a harmless field and in the credential, whitespace before a colon, lower-case protocol names, bare
  LF line endings, one 33 KiB header line and 2,500 small headers, `Expect: 100-continue` and an
  unknown expectation, absolute-form and asterisk-form targets, TRACE;
- RFC 8259 at each door: insignificant whitespace after the document, trailing garbage, a second
  document, a NUL after the document, a duplicate key whose two values are equal (still a key named
  twice), keys that differ only in case or Unicode normalisation (not duplicates), a UTF-8 BOM
  (tolerated by docs/frontdoors.md), two BOMs, overlong and CESU-8 bytes, noncharacters, numbers at the
  edge of a double, nesting either side of the documented bound with a margin;
- Slack v0 signing: v1 and several signatures in one field, optional whitespace around the field value
  (not part of the value, RFC 9110 5.5), retries that are stale, timestamps spelled as exponents or
  zero, url_verification and interactivity outside the window;
- PagerDuty signature lists where both rotation secrets sign, the valid entry comes last, or a trailing
  comma leaves an empty entry;
- Alertmanager v4: envelope and alert fields of wrong JSON types not yet sent one by one, label names
  that are not classic Prometheus names (open: Alertmanager 0.28 accepts UTF-8 names), annotations just
  under and over the 1 MiB body bound;
- MCP streamable HTTP (2025-06-18): ids of odd but legal and illegal kinds, MCP-Protocol-Version
  spellings, session ids that were never issued or spelled as lists, a GET event stream on a live
  session (checked on the side with a short read), a session deleted then used by every method,
  requests without a session, small batches;
- sequences at each webhook door where an accepted incident is followed by refused variants and then a
  redelivery, which must still join it (the accepted state was left unchanged).

Side checks (GET event streams, sessions created and deleted for a case) run in a step's `raw` builder
on their own sockets with short timeouts; when one fails the builder returns the step's request without
its token instead, whose 401 the step does not allow (steps that expect a refusal pin their status), so
the failure shows under the case's name.

Every body that should be accepted names a unique incident per case and per run (the run's tag is in
every alert name, PagerDuty incident id and Slack text). Where the sources leave the answer open a step
allows several classes; the runner still checks no 5xx, nothing enqueued unless accepted, and the exact
job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 7
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import encode, exchange, jsonrpc_messages
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    CLOSED,
    FRAMING,
    IGNORED,
    REFUSAL,
    REFUSED,
    Case,
    Ctx,
    Step,
)

JSON = (("Content-Type", "application/json"),)
FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
MCP_HEADERS = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))
ACCEPT_OR_FRAMING = frozenset({ACCEPTED, REFUSED, CLOSED})
ACCEPT_OR_REFUSE = frozenset({ACCEPTED, REFUSED})
ONLY_ACCEPT = frozenset({ACCEPTED})
QUIET = frozenset({IGNORED})
DECIDED = frozenset({ACCEPTED, IGNORED})
"""An approval decided: 200, and the propose job it may queue (docs: an approved proposed fix queues one)."""
REPLAYED = frozenset({IGNORED, REFUSED})
"""A Slack request sent again: it joins its event (200), or, byte-identical within the same second and
un-numbered, is a replay (409)."""
SIDE_TIMEOUT_S = 5.0

Builder = Callable[[Ctx], bytes]
Raw = Callable[[Ctx, str], bytes]


# ----------------------------------------------------------------------------- unique incidents

def incident(ctx: Ctx, name: str) -> str:
    """An alert name or Slack text fragment unique to this case and this run."""
    return f"hc7-{name}-{ctx.tag}"


def am_payload(ctx: Ctx, name: str, status: str = "firing") -> dict[str, Any]:
    return P.am_payload(incident(ctx, name), status)


def am(name: str, mutate: Callable[[dict[str, Any]], None] | None = None, status: str = "firing",
       raw_json: str | None = None) -> Builder:
    """An Alertmanager v4 body for this case's own alert; `mutate` bends the dict; `raw_json` replaces
    the marker value of a top-level `hc7` field with literal JSON text no encoder writes."""
    def build(ctx: Ctx) -> bytes:
        payload = am_payload(ctx, name, status)
        if mutate is not None:
            mutate(payload)
        if raw_json is not None:
            payload["hc7"] = "@@HC7@@"
        return with_raw(P.dumps(payload), raw_json)
    return build


def pd(name: str, event_type: str = "incident.triggered", mutate: Callable[[dict[str, Any]], None] | None = None,
       raw_json: str | None = None, incident_of: str | None = None, age_s: float = 5.0) -> Builder:
    """A PagerDuty v3 event; `incident_of` names another case whose incident it is about."""
    def build(ctx: Ctx) -> bytes:
        incident_id = "P" + P.uid(ctx, "incident:" + (incident_of or name), 6)
        payload = P.pd_event(ctx, name, event_type, age_s=age_s, incident=incident_id)
        if mutate is not None:
            mutate(payload)
        if raw_json is not None:
            payload["hc7"] = "@@HC7@@"
        return with_raw(P.dumps(payload), raw_json)
    return build


def with_raw(body: bytes, raw_json: str | None) -> bytes:
    if raw_json is None:
        return body
    return body.replace(b'"@@HC7@@"', raw_json.encode("utf-8", "surrogatepass"))


def mention_event(ctx: Ctx, name: str) -> dict[str, Any]:
    ts = f"{int(ctx.now) - 2}.{P.uid(ctx, 'ts:' + name, 6, '0123456789')}"
    event = {"type": "app_mention", "user": P.USER, "ts": ts, "channel": P.CHANNEL, "event_ts": ts,
             "text": f"<@U0LAN0Z89> pods crashlooping in payments {incident(ctx, name)}"}
    return P.slack_event(ctx, name, event)


def mention(name: str, mutate: Callable[[dict[str, Any]], None] | None = None,
            raw_json: str | None = None) -> Builder:
    def build(ctx: Ctx) -> bytes:
        payload = mention_event(ctx, name)
        if mutate is not None:
            mutate(payload)
        if raw_json is not None:
            payload["hc7"] = "@@HC7@@"
        return with_raw(P.dumps(payload), raw_json)
    return build


def slash(name: str, **fields: str) -> Builder:
    def build(ctx: Ctx) -> bytes:
        text = f"investigate checkout pods OOMKilled in namespace shop {incident(ctx, name)}"
        return P.form(P.slash_form(ctx, name, text=text, **fields))
    return build


def rpc(method: str, params: Any = None, id_: Any = 7) -> Builder:
    body = P.dumps(P.rpc(method, params, id_))
    return lambda ctx: body


def rpc_text(text: str) -> Builder:
    body = text.encode("utf-8", "surrogatepass")
    return lambda ctx: body


def approver_body(approver: str = "alice", note: str = "hostile catalogue 7") -> Builder:
    body = P.dumps({"approver": approver, "note": note})
    return lambda ctx: body


# ----------------------------------------------------------------------------- doors as data

@dataclass(frozen=True)
class Door:
    """One front door's valid request, so a framing variant can be built for each door alike."""

    key: str            # short name used in case names
    door: str           # the runner's door
    method: str
    path: str           # for approvals: a role in ctx.approvals, formatted into the path
    headers: tuple[tuple[str, str], ...]
    auth: str
    body: Callable[[str], Builder]   # case name -> builder of a valid body unique to that case
    enqueue: frozenset[str] = ONLY_ACCEPT
    redelivery: frozenset[str] = QUIET
    """What the same incident sent again answers: joins (ignored), or a replay refused (409)."""

    def target(self, ctx: Ctx) -> str:
        return self.path.format(**ctx.approvals) if "{" in self.path else self.path


AM = Door("am", "alertmanager", "POST", "/webhooks/alertmanager", JSON, "am", lambda n: am(n))
PD = Door("pd", "pagerduty", "POST", "/webhooks/pagerduty", JSON, "pd", lambda n: pd(n), redelivery=REFUSAL)
SL = Door("sl", "slack", "POST", "/slack/events", JSON, "slack", lambda n: mention(n), redelivery=REPLAYED)
SC = Door("sc", "slack", "POST", "/slack/events", FORM, "slack", lambda n: slash(n), redelivery=REPLAYED)
MC = Door("mcp", "mcp", "POST", "/mcp", MCP_HEADERS, "mcp_session", lambda n: rpc("tools/list", id_=n))
AP = Door("ap", "approvals", "POST", "/approvals/{decided}/approve", JSON, "api", lambda n: approver_body(),
          enqueue=REFUSAL)
"""The approvals door's only body-bearing route decides a request once; every variant here goes to the
seeded request that is already decided, so a well-framed one is a 409 and a malformed one a 400/401:
refused either way, and the class check keeps what matters (no 5xx, nothing queued, nothing decided)."""
DOORS = (AM, PD, SL, SC, MC, AP)


def door_step(d: Door, name: str, expect: frozenset[str], body: Builder | None = None, **kw: Any) -> Step:
    """A step at door `d`: its valid request for `name`, or `body` instead."""
    built = body if body is not None else d.body(name)
    if "{" in d.path:
        base = Step(d.method, "/approvals", expect, built, headers=d.headers, auth=d.auth, **kw)
        return replace(base, raw=lambda ctx, host: encode(replace(base, path=d.target(ctx)), ctx, host))
    return Step(d.method, d.path, expect, built, headers=d.headers, auth=d.auth, **kw)


# ----------------------------------------------------------------------------- raw requests

def creds(d: Door, body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
    keys = ctx.keys
    match d.auth:
        case "am":
            return [("Authorization", f"Bearer {keys.am_token}")]
        case "api":
            return [("Authorization", f"Bearer {keys.api_token}")]
        case "pd":
            return P.pd_headers(body, ctx)
        case "slack":
            return P.slack_headers(body, ctx)
        case "mcp_session":
            return [("Authorization", f"Bearer {keys.mcp_token}"), ("Mcp-Session-Id", ctx.mcp_session),
                    ("MCP-Protocol-Version", ctx.mcp_protocol)]
    raise ValueError(d.auth)


def wire(request_line: str, fields: list[tuple[str, str]], payload: bytes, eol: str = "\r\n",
         raw_lines: tuple[str, ...] = ()) -> bytes:
    lines = [request_line] + [f"{k}: {v}" for k, v in fields] + list(raw_lines)
    return (eol.join(lines) + eol + eol).encode("utf-8") + payload


def chunk(data: bytes, ext: str = "") -> bytes:
    return f"{len(data):x}{ext}\r\n".encode() + data + b"\r\n"


def chunked(body: bytes, ext: str = "", trailer: list[tuple[str, str]] | None = None) -> bytes:
    half = max(len(body) // 2, 1)
    out = chunk(body[:half], ext) + chunk(body[half:], ext) if len(body) > 1 else chunk(body, ext)
    tail = "".join(f"{k}: {v}\r\n" for k, v in (trailer or []))
    return out + b"0\r\n" + tail.encode() + b"\r\n"


def raw_door(d: Door, name: str, shape: Callable[[Door, Ctx, str, bytes, list[tuple[str, str]]], bytes],
             body: Builder | None = None) -> Raw:
    """A raw builder: the door's valid body and credentials, handed to `shape` to frame on the wire."""
    built = body if body is not None else d.body(name)

    def build(ctx: Ctx, host: str) -> bytes:
        data = built(ctx)
        fields = [("Host", host), ("User-Agent", "vigil-hostile-catalogue/7"), *d.headers, *creds(d, data, ctx)]
        return shape(d, ctx, d.target(ctx), data, fields)
    return build


def plain(d: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]],
          extra: tuple[tuple[str, str], ...] = (), close: bool = True) -> bytes:
    head = [*fields, *extra, ("Content-Length", str(len(data)))]
    if close:
        head.append(("Connection", "close"))
    return wire(f"{d.method} {target} HTTP/1.1", head, data)


# ----------------------------------------------------------------------------- framing matrix

CORE_FRAMING = ("te-cl", "pipelined", "credential-in-trailer", "content-length-twice-unequal", "obs-fold-credential",
                "header-line", "expect-100", "absolute-form", "chunk-ext-quoted")
"""The framing edges also sent to the Alertmanager door (rounds 2 to 4 sent it most of the rest), and to the
slash-command and approvals routes, which share a server with routes that get all of them."""
FRAMING_LEFT_OUT = ("te-identity", "lowercase-protocol")
"""Written, but left out to keep the round near its size: the classes are the same as te-cl and
space-before-colon."""


def framing_cases(d: Door) -> list[Case]:
    """The same HTTP/1.1 framing edges at one door (RFC 9112 sections 2, 3, 5, 6, 7 and 9.3)."""
    k, door = d.key, d.door
    cases: list[Case] = []

    def add(suffix: str, why: str, *steps: Step) -> None:
        if (d.key in ("am", "sc", "ap") and not suffix.startswith(CORE_FRAMING)) or suffix in FRAMING_LEFT_OUT:
            return
        cases.append(Case(f"{k}7-http-{suffix}", door, "protocol", why, steps))

    def raw_step(suffix: str, expect: frozenset[str], shape: Callable[..., bytes], **kw: Any) -> Step:
        return Step(d.method, d.path, expect, raw=raw_door(d, f"{k}7-http-{suffix}", shape), **kw)

    # Transfer-Encoding with Content-Length, the chunked body hiding a second request after it.
    def te_cl(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        payload = chunked(data) + smuggled
        return wire(f"{d_.method} {target} HTTP/1.1",
                    [*fields, ("Content-Length", str(len(chunked(data)))), ("Transfer-Encoding", "chunked")], payload)
    add("te-cl-smuggle", "RFC 9112 6.1 and docs: Transfer-Encoding with Content-Length is a 400 that closes",
        raw_step("te-cl-smuggle", FRAMING, te_cl, enqueue_any=frozenset({0})))

    # Content-Length with a Transfer-Encoding of "identity" (not a coding RFC 9112 registers).
    def te_identity(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, (("Transfer-Encoding", "identity"),))
    add("te-identity", "RFC 9112 6.1: a transfer coding the server does not understand is a 501 or a 400; "
        "never a 5xx in Vigil, and never queued",
        raw_step("te-identity", FRAMING, te_identity, enqueue_any=frozenset({0})))

    # Two pipelined valid requests (distinct incidents), then the second redelivered alone.
    second = f"{k}7-http-pipelined-second"

    def pipelined(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        other = d_.body(second)(ctx)
        other_fields = [f for f in fields if f[0] in ("Host", "User-Agent", "Content-Type", "Accept")]
        return (plain(d_, ctx, target, data, fields, close=False)
                + plain(d_, ctx, target, other, [*other_fields, *creds(d_, other, ctx)]))
    redeliver_second = door_step(d, second, ONLY_ACCEPT | d.redelivery, body=d.body(second))
    pipe_jobs = frozenset({0}) if d.door in ("mcp", "approvals") else frozenset({1, 2})
    if d.door != "approvals":
        add("pipelined-two-then-second-again",
            "RFC 9112 9.3.2: pipelined requests are answered in order; the second, sent again alone, joins its "
            "own incident (or is a replay) if the pipeline reached it, and is queued once otherwise",
            raw_step("pipelined-two", ONLY_ACCEPT, pipelined, enqueue_any=pipe_jobs),
            redeliver_second if d.door != "mcp" else door_step(d, second, ONLY_ACCEPT))

    # A request with a wrong credential pipelined before a valid one.
    bad_then = f"{k}7-http-pipelined-bad-then-valid"

    def bad_first(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        own = creds(d_, data, ctx)
        wrong = [(name, "v0=" + "0" * 64 if "Signature" in name else
                  ("Bearer hc7-wrong" if name == "Authorization" else value)) for name, value in own]
        kept = [f for f in fields if f not in own]
        return plain(d_, ctx, target, data, [*kept, *wrong], close=False) + plain(d_, ctx, target, data, fields)
    if d.door != "approvals":
        add("pipelined-bad-then-valid",
            "a refused request must not take the valid one behind it down; sent again alone it joins or is "
            "queued once", Step(d.method, d.path, REFUSAL, raw=raw_door(d, bad_then, bad_first),
                                enqueue_any=frozenset({0}) if d.door == "mcp" else frozenset({0, 1})),
            door_step(d, bad_then, ONLY_ACCEPT | d.redelivery))

    # Chunked body with quoted-string chunk extensions (RFC 9112 7.1.1: unrecognised ones are ignored).
    def ext_quoted(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return wire(f"{d_.method} {target} HTTP/1.1", [*fields, ("Transfer-Encoding", "chunked"),
                                                       ("Connection", "close")],
                    chunked(data, ext=';hc7="a;b=c";x'))
    add("chunk-ext-quoted", "RFC 9112 7.1.1: a recipient MUST ignore unrecognised chunk extensions, quoted "
        "semicolons included", raw_step("chunk-ext-quoted", d.enqueue | {CLOSED, REFUSED}, ext_quoted))

    # BWS before the chunk-extension semicolon (in the grammar, but lenient to parse).
    def ext_bws(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return wire(f"{d_.method} {target} HTTP/1.1", [*fields, ("Transfer-Encoding", "chunked"),
                                                       ("Connection", "close")], chunked(data, ext=" ;hc7=1"))
    add("chunk-ext-bws", "RFC 9112 7.1.1 allows BWS before ';' but a server may refuse it; never a 5xx",
        raw_step("chunk-ext-bws", d.enqueue | {CLOSED, REFUSED}, ext_bws))

    # Credential only in the chunked trailer: trailers must not stand in for the request's own fields.
    def cred_in_trailer(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        own = creds(d_, data, ctx)
        kept = [f for f in fields if f not in own]
        return wire(f"{d_.method} {target} HTTP/1.1", [*kept, ("Transfer-Encoding", "chunked"),
                                                       ("Trailer", ", ".join(k_ for k_, _ in own)),
                                                       ("Connection", "close")], chunked(data, trailer=own))
    add("credential-in-trailer", "RFC 9110 6.5.1: trailer fields must not be merged into the header section "
        "unless known safe; a credential only in the trailer is no credential (401) or a framing refusal",
        raw_step("credential-in-trailer", FRAMING, cred_in_trailer, enqueue_any=frozenset({0})))

    # Content-Length twice, equal values (RFC 9112 6.3 allows accepting or refusing) and unequal (must refuse).
    def cl_twice_equal(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, (("Content-Length", str(len(data))),))
    add("content-length-twice-equal", "RFC 9112 6.3: identical repeated Content-Length may be accepted or "
        "refused", raw_step("content-length-twice-equal", d.enqueue | {CLOSED, REFUSED}, cl_twice_equal))

    def cl_twice_unequal(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, (("Content-Length", str(len(data) + 5)),))
    add("content-length-twice-unequal", "RFC 9112 6.3: differing Content-Length values are an unrecoverable "
        "framing error", raw_step("content-length-twice-unequal", FRAMING, cl_twice_unequal,
                                  enqueue_any=frozenset({0})))

    # obs-fold in a harmless field (RFC 9112 5.2: reject 400 or replace with SP).
    def fold_harmless(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        head = [*fields, ("Content-Length", str(len(data))), ("Connection", "close")]
        return wire(f"{d_.method} {target} HTTP/1.1", head, data, raw_lines=("X-Hc7-Note: first", " folded"))
    add("obs-fold-harmless", "RFC 9112 5.2: a server MUST reject obs-fold with 400 or replace it with spaces",
        raw_step("obs-fold-harmless", d.enqueue | {CLOSED, REFUSED}, fold_harmless))

    # obs-fold inside the credential field: unfolded it is no longer the credential's bytes.
    def fold_credential(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        own = creds(d_, data, ctx)
        name, value = own[-1] if d_.auth != "mcp_session" else own[0]
        kept = [f for f in fields if f != (name, value)]
        cut = len(value) // 2
        head = [*kept, ("Content-Length", str(len(data))), ("Connection", "close")]
        return wire(f"{d_.method} {target} HTTP/1.1", head, data,
                    raw_lines=(f"{name}: {value[:cut]}", f" {value[cut:]}"))
    add("obs-fold-credential", "RFC 9112 5.2 and docs: a folded credential is refused as framing (400) or, "
        "unfolded with a space inside, as a wrong credential (401)",
        raw_step("obs-fold-credential", FRAMING, fold_credential, enqueue_any=frozenset({0})))

    # Whitespace between a field name and its colon (RFC 9112 5.1: MUST reject with 400).
    def space_colon(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        head = [*fields, ("Content-Length", str(len(data))), ("Connection", "close")]
        return wire(f"{d_.method} {target} HTTP/1.1", head, data, raw_lines=("X-Hc7-Spaced : 1",))
    add("space-before-colon", "RFC 9112 5.1: whitespace between field name and colon MUST be rejected (400)",
        raw_step("space-before-colon", FRAMING, space_colon, enqueue_any=frozenset({0})))

    # A lower-case protocol name in the request line (RFC 9112 2.3: HTTP-name is case-sensitive).
    def lower_proto(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields).replace(b" HTTP/1.1\r\n", b" http/1.1\r\n", 1)
    add("lowercase-protocol", "RFC 9112 2.3: HTTP-name is case-sensitive; http/1.1 is not a request line",
        raw_step("lowercase-protocol", FRAMING, lower_proto, enqueue_any=frozenset({0})))

    # Bare LF line endings (RFC 9112 2.2: a recipient MAY accept them).
    def bare_lf(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        head = [*fields, ("Content-Length", str(len(data))), ("Connection", "close")]
        return wire(f"{d_.method} {target} HTTP/1.1", head, data, eol="\n")
    add("bare-lf", "RFC 9112 2.2: a recipient MAY recognise a bare LF as a line terminator",
        raw_step("bare-lf", d.enqueue | {CLOSED, REFUSED}, bare_lf))

    # One 33 KiB header line and 2,500 small headers (~45 KiB): docs answer 431 over 32 KiB.
    def long_line(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, (("X-Hc7-Long", "a" * 33 * 1024),))
    add("header-line-33kib", "docs: headers over 32 KiB are a 431 before any route runs",
        raw_step("header-line-33kib", REFUSAL, long_line, status=frozenset({431}), enqueue_any=frozenset({0})))

    def many(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, tuple((f"X-Hc7-{i}", "v" * 6) for i in range(2500)))
    add("headers-2500", "docs: 2,500 small fields total over 32 KiB of head: 431",
        raw_step("headers-2500", REFUSAL, many, status=frozenset({431}), enqueue_any=frozenset({0})))

    # Expect: 100-continue with the body sent at once, and an expectation nobody defines.
    def expect_100(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, (("Expect", "100-continue"),))
    add("expect-100-continue", "RFC 9110 10.1.1: a client may send the body without waiting for 100",
        raw_step("expect-100-continue", d.enqueue, expect_100))

    def expect_other(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, target, data, fields, (("Expect", "hc7-magic"),))
    add("expect-unknown", "RFC 9110 10.1.1: an expectation other than 100-continue MAY be answered 417",
        raw_step("expect-unknown", d.enqueue | {REFUSED}, expect_other))

    # absolute-form target naming this very server (RFC 9112 3.2.2: a server MUST accept it).
    def absolute(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        host = dict(fields)["Host"]
        return plain(d_, ctx, f"http://{host}{target}", data, fields)
    add("absolute-form", "RFC 9112 3.2.2: a server MUST accept the absolute-form in requests",
        raw_step("absolute-form", d.enqueue | {REFUSED}, absolute))

    # asterisk-form on a POST (RFC 9112 3.2.4: only OPTIONS may use it).
    def asterisk(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return plain(d_, ctx, "*", data, fields)
    add("asterisk-form-post", "RFC 9112 3.2.4: the asterisk-form is only for OPTIONS; a POST to * routes "
        "nowhere", raw_step("asterisk-form-post", FRAMING, asterisk, enqueue_any=frozenset({0})))

    # TRACE with the credential: no route takes it (docs: 405), and it must not queue.
    def trace(d_: Door, ctx: Ctx, target: str, data: bytes, fields: list[tuple[str, str]]) -> bytes:
        return wire(f"TRACE {target} HTTP/1.1", [*fields, ("Connection", "close")], b"")
    add("trace", "docs: a method a route does not take is 405; RFC 9110 9.3.8 TRACE must not carry a body",
        raw_step("trace", REFUSAL, trace, enqueue_any=frozenset({0})))
    return cases


# ----------------------------------------------------------------------------- JSON matrix

JSON_EVERYWHERE_LEFT_OUT = ("second-document", "nan-lowercase", "neg-infinity-literal", "nul-byte-in-key")
"""Rounds 1 and 4 sent these classes to every JSON door already."""
JSON_LEFT_OUT: dict[str, tuple[str, ...]] = {
    "ap": ("nan-lowercase", "neg-infinity-literal", "escaped-two-highs", "nul-byte-in-key", "bom-after-space",
           "noncharacter-value", "keys-differ-in-normalisation"),
    "mcp": ("nan-lowercase", "neg-infinity-literal", "nul-byte-in-key", "bom-after-space"),
    "sl": ("double-overflow", "escaped-lone-low", "escaped-two-highs", "nest-35"),
    "pd": ("double-overflow", "escaped-lone-low", "escaped-two-highs", "nest-35"),
}
"""Edges left out at doors where an earlier round or a sibling case already sent the same class."""


def json_cases(d: Door) -> list[Case]:
    """RFC 8259 edges at a JSON door; the body is the door's valid one, edited as bytes and re-signed."""
    k, door = d.key, d.door
    cases: list[Case] = []

    def edited(name: str, edit: Callable[[bytes], bytes]) -> Builder:
        base = d.body(name)
        return lambda ctx: edit(base(ctx))

    def add(suffix: str, why: str, expect: frozenset[str], edit: Callable[[bytes], bytes], **kw: Any) -> None:
        if suffix in JSON_LEFT_OUT.get(d.key, ()) or suffix in JSON_EVERYWHERE_LEFT_OUT:
            return
        name = f"{k}7-json-{suffix}"
        cases.append(Case(name, door, "json", why, (door_step(d, name, expect, body=edited(name, edit), **kw),)))

    ok = d.enqueue
    # Members added to a JSON-RPC message are outside JSON-RPC 2.0: the MCP door may refuse them.
    ok_member = ok | {REFUSED} if d.door == "mcp" else ok
    add("trailing-newline", "RFC 8259 2: insignificant whitespace may follow the value", ok, lambda b: b + b"\r\n\t ")
    add("trailing-garbage", "RFC 8259 2: a JSON text is one value; bytes after it make it no JSON text",
        REFUSAL, lambda b: b + b"x")
    add("second-document", "RFC 8259 2: two values are not a JSON text", REFUSAL, lambda b: b + b" " + b)
    add("nul-after-document", "a NUL after the value is not whitespace", REFUSAL, lambda b: b + b"\x00")
    add("utf8-bom", "docs: a UTF-8 byte-order mark is tolerated (RFC 8259 8.1: a parser MAY ignore it)", ok,
        lambda b: b"\xef\xbb\xbf" + b)
    add("two-boms", "a second mark is U+FEFF before the value, not whitespace", REFUSAL,
        lambda b: b"\xef\xbb\xbf\xef\xbb\xbf" + b)
    add("bom-after-space", "a mark after whitespace is a character, not a mark", REFUSAL,
        lambda b: b" \xef\xbb\xbf" + b)
    add("overlong-utf8", "RFC 3629: an overlong encoding is not UTF-8 (400)", REFUSAL,
        lambda b: b.replace(b'"', b'"\xc0\xaf', 1) if b.startswith(b"{") else b + b"\xc0\xaf")
    add("nul-byte-in-key", "RFC 8259 7: a raw control character inside a string is not JSON", REFUSAL,
        lambda b: b.replace(b'{"', b'{"\x00', 1))
    add("dup-key-equal-values", "docs: a key named twice in one object is a 400, even with equal values",
        REFUSAL, lambda b: b.replace(b'{', b'{"hc7dup":1,"hc7dup":1,', 1))
    add("keys-differ-in-case", "RFC 8259 8.3: names compare code unit by code unit; hc7 and HC7 are two keys",
        ok_member, lambda b: b.replace(b'{', b'{"hc7case":1,"HC7CASE":2,', 1))
    nfc, nfd = unicodedata.normalize("NFC", "\u00e9"), unicodedata.normalize("NFD", "\u00e9")
    add("keys-differ-in-normalisation", "RFC 8259 8.3: é precomposed and decomposed are two distinct names",
        ok_member, lambda b: b.replace(b'{', ('{"x' + nfc + '":1,"x' + nfd + '":2,').encode(), 1))
    add("noncharacter-value", "U+FFFF and U+FDD0 are valid in JSON strings and in UTF-8", ok_member,
        lambda b: b.replace(b'{', '{"hc7nc":"\uffff\ufdd0",'.encode(), 1))
    add("double-max", "1.7976931348623157e308 is a double; in range", ok_member,
        lambda b: b.replace(b'{', b'{"hc7num":1.7976931348623157e308,', 1))
    add("double-overflow", "docs: an out-of-range number (1.8e308) is a 400", REFUSAL,
        lambda b: b.replace(b'{', b'{"hc7num":1.8e308,', 1))
    add("neg-infinity-literal", "docs and RFC 8259 6: -Infinity is no JSON number", REFUSAL,
        lambda b: b.replace(b'{', b'{"hc7num":-Infinity,', 1))
    add("nan-lowercase", "nan is not a JSON literal", REFUSAL, lambda b: b.replace(b'{', b'{"hc7num":nan,', 1))
    # docs name lone surrogates for the webhook parser, not for the MCP door's strict body (open there).
    lone = ACCEPT_OR_REFUSE if d.door == "mcp" else REFUSAL
    add("escaped-lone-low", "docs: a lone surrogate escape is a 400", lone,
        lambda b: b.replace(b'{', b'{"hc7s":"\\udc00x",', 1))
    add("escaped-two-highs", "two high surrogates in a row are two lone surrogates", lone,
        lambda b: b.replace(b'{', b'{"hc7s":"\\ud800\\ud800",', 1))
    bound = 64 if d.door == "mcp" else 32
    inside, outside = bound - 4, bound + 3
    add(f"nest-{inside}", f"docs: nesting up to {bound} levels is allowed (margin for how levels are counted)",
        ok_member,
        lambda b: b.replace(b'{', b'{"hc7deep":' + b"[" * (inside - 2) + b"]" * (inside - 2) + b",", 1))
    add(f"nest-{outside}", f"docs: nesting past {bound} levels is a 400", REFUSAL,
        lambda b: b.replace(b'{', b'{"hc7deep":' + b"[" * outside + b"]" * outside + b",", 1))
    return cases


# ----------------------------------------------------------------------------- Alertmanager types

def set_path(payload: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path where `alerts.0` indexes the first alert."""
    parts = path.split(".")
    node: Any = payload
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


AM_WRONG_TYPES: tuple[tuple[str, str, Any], ...] = (
    ("commonannotations-value-int", "commonAnnotations.summary", 5),
    ("commonlabels-value-null", "commonLabels.namespace", None),
    ("grouplabels-value-int", "groupLabels.alertname", 7),
    ("externalurl-null", "externalURL", None),
    ("externalurl-bool", "externalURL", True),
    ("truncated-string-zero", "truncatedAlerts", "0"),
    ("version-null", "version", None),
    ("receiver-list", "receiver", ["vigil"]),
    ("groupkey-bool", "groupKey", False),
    ("status-object", "status", {"state": "firing"}),
    ("alert-generatorurl-null", "alerts.0.generatorURL", None),
    ("alert-endsat-null", "alerts.0.endsAt", None),
    ("alert-startsat-null", "alerts.0.startsAt", None),
    ("alert-startsat-float", "alerts.0.startsAt", 1.7e9),
    ("alert-annotations-string", "alerts.0.annotations", "summary"),
    ("alert-fingerprint-int", "alerts.0.fingerprint", 123456),
    ("alert-labels-bool", "alerts.0.labels", True),
    ("alert-label-value-list", "alerts.0.labels.severity", ["critical"]),
    ("alert-annotation-value-null", "alerts.0.annotations.summary", None),
    ("alert-annotation-value-bool", "alerts.0.annotations.description", False),
    ("alert-status-int", "alerts.0.status", 1),
    ("alerts-number", "alerts", 1),
    ("alerts-list-of-lists", "alerts", [[]]),
)

AM_LABEL_NAMES: tuple[tuple[str, str], ...] = (
    ("digit-first", "1severity"),
    ("dash", "app-name"),
    ("dot", "app.kubernetes.io/name"),
    ("space", "team name"),
    ("emoji", "team\U0001f525"),
    ("double-underscore", "__reserved"),
    ("colon", "job:rate5m"),
    ("very-long-256", "l" * 256),
)


def am_type_cases() -> list[Case]:
    cases = []
    for suffix, path, value in AM_WRONG_TYPES:
        def wrong_type(p: dict[str, Any], path: str = path, value: Any = value) -> None:
            set_path(p, path, value)
        name = f"am7-type-{suffix}"
        cases.append(Case(name, "alertmanager", "json",
                          f"docs: Alertmanager's envelope is typed strictly; {path} as {type(value).__name__} "
                          "is a 422 naming the field, never coerced",
                          (Step("POST", "/webhooks/alertmanager", REFUSAL, am(name, wrong_type), auth="am"),)))
    for suffix, label in AM_LABEL_NAMES:
        def add_label(p: dict[str, Any], label: str = label) -> None:
            p["alerts"][0]["labels"][label] = "x"
        name = f"am7-label-name-{suffix}"
        cases.append(Case(name, "alertmanager", "semantic",
                          "a label name outside [a-zA-Z_][a-zA-Z0-9_]*: open (Alertmanager 0.28 accepts UTF-8 "
                          "names); either queued once or a 422",
                          (Step("POST", "/webhooks/alertmanager", ACCEPT_OR_REFUSE, am(name, add_label), auth="am"),)))

    def big_annotation(size: int) -> Callable[[dict[str, Any]], None]:
        def mutate(p: dict[str, Any]) -> None:
            p["alerts"][0]["annotations"]["description"] = "d" * size
        return mutate

    def many_annotations(p: dict[str, Any]) -> None:
        p["alerts"][0]["annotations"].update({f"note_{i}": "n" * 4000 for i in range(200)})

    def newline_annotation(p: dict[str, Any]) -> None:
        p["alerts"][0]["annotations"]["runbook"] = "\n" * 200_000

    for name, mutate, expect, why in (
            ("am7-size-annotation-900kib", big_annotation(900 * 1024), ONLY_ACCEPT,
             "docs: a body under max_body_bytes (1 MiB) is read; a 900 KiB annotation is an annotation"),
            ("am7-size-annotation-1100kib", big_annotation(1100 * 1024), REFUSAL,
             "docs: a body over max_body_bytes is 413"),
            ("am7-size-200-annotations-4kb", many_annotations, ONLY_ACCEPT,
             "200 annotations of 4 KB each: 800 KB, under the bound"),
            ("am7-size-annotation-200k-newlines", newline_annotation, ONLY_ACCEPT,
             "an annotation of 200,000 newlines is a string (escaped, 400 KB)")):
        cases.append(Case(name, "alertmanager", "semantic", why,
                          (Step("POST", "/webhooks/alertmanager", expect, am(name, mutate), auth="am",
                                status=frozenset({413}) if expect == REFUSAL else None),)))

    def status_twice_other_case(p: dict[str, Any]) -> None:
        p["Status"] = "resolved"
    cases.append(Case("am7-key-status-and-Status", "alertmanager", "json",
                      "RFC 8259 8.3: Status and status are different keys; the unknown one is ignored and the "
                      "firing alert queued",
                      (Step("POST", "/webhooks/alertmanager", ONLY_ACCEPT,
                            am("am7-key-status-and-Status", status_twice_other_case), auth="am"),)))
    return cases


# ----------------------------------------------------------------------------- Slack signing

def slack_sign(ts: Callable[[Ctx], str], scheme: str = "v0", secret: Callable[[Ctx], str] | None = None,
               value: Callable[[str], str] | None = None) -> Callable[[bytes, Ctx], list[tuple[str, str]]]:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        stamp = ts(ctx)
        key = secret(ctx) if secret is not None else ctx.keys.slack_secret
        mac = hmac.new(key.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        sig = f"{scheme}={mac}"
        return [("X-Slack-Request-Timestamp", stamp),
                ("X-Slack-Signature", value(sig) if value is not None else sig)]
    return sign


def now_ts(offset: int = 0) -> Callable[[Ctx], str]:
    return lambda ctx: str(int(ctx.now) + offset)


def slack_cases() -> list[Case]:
    cases: list[Case] = []

    def sl(name: str, why: str, expect: frozenset[str], sign: Callable[[bytes, Ctx], list[tuple[str, str]]],
           kind: str = "mention", extra: tuple[tuple[str, str], ...] = (), group: str = "auth",
           **kw: Any) -> None:
        if kind == "mention":
            body, headers = mention(name), JSON
        elif kind == "slash":
            body, headers = slash(name), FORM
        elif kind == "url_verification":
            challenge = P.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": f"hc7-{name}",
                                 "type": "url_verification"})
            body, headers = (lambda ctx: challenge), JSON
        else:
            body, headers = (lambda ctx: P.block_actions_body(ctx, "hc7-unknown-approval")), FORM
        cases.append(Case(name, "slack", group, why, (Step("POST", "/slack/events", expect, body,
                                                           headers=headers + extra, sign=sign, **kw),)))

    sl("sl7-sig-v1-scheme", "Slack signs with v0 only; a v1= signature is no signature (401)", REFUSAL,
       slack_sign(now_ts(), scheme="v1"), status=frozenset({401}))
    sl("sl7-sig-good-then-bad", "docs: the signature is compared as bytes; a list with the right one first is "
       "not the signature", REFUSAL, slack_sign(now_ts(), value=lambda s: s + ",v0=" + "0" * 64))
    sl("sl7-sig-bad-then-good", "the same list with the right one last", REFUSAL,
       slack_sign(now_ts(), value=lambda s: "v0=" + "0" * 64 + "," + s))
    sl("sl7-sig-good-space-separated", "two signatures separated by a space", REFUSAL,
       slack_sign(now_ts(), value=lambda s: s + " " + s))
    sl("sl7-sig-ows-trailing-tab", "RFC 9110 5.5: trailing OWS (a tab) is not part of a field value; the "
       "signature is right", ONLY_ACCEPT, slack_sign(now_ts(), value=lambda s: s + "\t"))
    sl("sl7-sig-ows-leading-spaces", "RFC 9110 5.5: leading OWS is not part of a field value", ONLY_ACCEPT,
       slack_sign(now_ts(), value=lambda s: "   " + s))
    sl("sl7-sig-v0-twice-prefix", "v0=v0=<mac> is not the signature", REFUSAL,
       slack_sign(now_ts(), value=lambda s: "v0=" + s))
    sl("sl7-sig-secret-uppercased", "an HMAC under the upper-cased secret is another key", REFUSAL,
       slack_sign(now_ts(), secret=lambda ctx: ctx.keys.slack_secret.upper()))
    sl("sl7-sig-ts-exponent", "a timestamp spelled 1.7e9 is not Slack's integer seconds", REFUSAL,
       slack_sign(lambda ctx: f"{ctx.now / 1e9:.9f}e9"))
    sl("sl7-sig-ts-zero", "timestamp 0 is decades outside the five-minute window", REFUSAL, slack_sign(lambda c: "0"))
    sl("sl7-sig-ts-ten-nines", "timestamp 9999999999 (2286) is in the future beyond five minutes", REFUSAL,
       slack_sign(lambda c: "9999999999"))
    sl("sl7-sig-ts-past-1h-retry", "docs: retry headers are not signed and excuse nothing; a stale retry is "
       "401", REFUSAL, slack_sign(now_ts(-3600)),
       extra=(("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Reason", "http_timeout")))
    sl("sl7-sig-slash-ts-ahead-10min", "a slash command ten minutes ahead is outside the window", REFUSAL,
       slack_sign(now_ts(600)), kind="slash")
    sl("sl7-sig-url-verification-stale", "url_verification is signed too; 20 minutes old is 401", REFUSAL,
       slack_sign(now_ts(-1200)), kind="url_verification")
    sl("sl7-sig-click-ts-ahead-1h", "a button click an hour ahead is outside the window", REFUSAL,
       slack_sign(now_ts(3600)), kind="click")
    sl("sl7-sig-ts-negative-window", "a timestamp of -300 is no time", REFUSAL, slack_sign(lambda c: "-300"))
    sl("sl7-sig-ts-ahead-240-inside", "docs: within five minutes either way is fresh; 240 s ahead is accepted",
       ONLY_ACCEPT, slack_sign(now_ts(240)), group="control")
    return cases


# ----------------------------------------------------------------------------- PagerDuty signature lists

Signer = Callable[[bytes, Ctx], list[tuple[str, str]]]


def pd_sign(entries: Callable[[bytes, Ctx], list[str]], sep: str = ",") -> Signer:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        return [("X-PagerDuty-Signature", sep.join(entries(body, ctx)))]
    return sign


def old(body: bytes, ctx: Ctx) -> str:
    return P.pd_sig(ctx.keys.pd_secrets[0], body)


def new(body: bytes, ctx: Ctx) -> str:
    return P.pd_sig(ctx.keys.pd_secrets[1], body)


def bogus(body: bytes, ctx: Ctx) -> str:
    return P.pd_sig("hc7-not-a-secret", body)


def pd_cases() -> list[Case]:
    cases: list[Case] = []

    def add(name: str, why: str, expect: frozenset[str], sign: Callable[[bytes, Ctx], list[tuple[str, str]]],
            group: str = "auth") -> None:
        cases.append(Case(name, "pagerduty", group, why,
                          (Step("POST", "/webhooks/pagerduty", expect, pd(name), sign=sign),)))

    add("pd7-sig-old-and-new-both-valid", "docs: during rotation a signature under either secret is accepted; "
        "both at once is accepted once", ONLY_ACCEPT, pd_sign(lambda b, c: [old(b, c), new(b, c)]), "control")
    add("pd7-sig-two-bogus-then-new", "PagerDuty's list: any one valid v1 entry verifies", ONLY_ACCEPT,
        pd_sign(lambda b, c: [bogus(b, c), "v1=" + "f" * 64, new(b, c)]), "control")
    add("pd7-sig-trailing-comma", "a trailing comma leaves an empty entry: open, accepted or 401", ACCEPT_OR_REFUSE,
        pd_sign(lambda b, c: [old(b, c), ""]))
    add("pd7-sig-only-third-secret", "an entry under a secret that is not configured is 401", REFUSAL,
        pd_sign(lambda b, c: [bogus(b, c)]))
    add("pd7-sig-over-body-plus-newline", "a MAC over other bytes (a newline added) is 401", REFUSAL,
        pd_sign(lambda b, c: [P.pd_sig(c.keys.pd_secrets[0], b + b"\n")]))
    add("pd7-sig-over-secret-joined", "the rotation value 'old,new' is not itself a secret", REFUSAL,
        pd_sign(lambda b, c: [P.pd_sig(",".join(c.keys.pd_secrets), b)]))
    add("pd7-sig-v1-entries-semicolon", "a ';' is not PagerDuty's separator; the whole value is no entry", REFUSAL,
        pd_sign(lambda b, c: ["v1=" + "0" * 64, old(b, c)], sep=";"))
    add("pd7-sig-v0-entry-valid-mac", "v0= is not PagerDuty's scheme, even over the right MAC", REFUSAL,
        pd_sign(lambda b, c: [old(b, c).replace("v1=", "v0=")]))
    return cases


# ----------------------------------------------------------------------------- MCP

def mcp_step(expect: frozenset[str], body: Builder, auth: str = "mcp_session",
             headers: tuple[tuple[str, str], ...] = MCP_HEADERS, **kw: Any) -> Step:
    return Step("POST", "/mcp", expect, body, headers=headers, auth=auth, enqueue_any=frozenset({0}), **kw)


def mcp_sign(protocol: str | None = None, session: Callable[[Ctx], str] | None = None
             ) -> Callable[[bytes, Ctx], list[tuple[str, str]]]:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        out = [("Authorization", f"Bearer {ctx.keys.mcp_token}"),
               ("Mcp-Session-Id", session(ctx) if session is not None else ctx.mcp_session)]
        out.append(("MCP-Protocol-Version", protocol if protocol is not None else ctx.mcp_protocol))
        return out
    return sign


def host_port(host: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":")
    return name, int(port)


def side_request(host: str, request: bytes,
                 timeout: float = SIDE_TIMEOUT_S) -> tuple[int | None, dict[str, str], bytes]:
    """One request on its own socket, reading only until the head (and what arrived with it) is in."""
    name, port = host_port(host)
    data = b""
    with socket.create_connection((name, port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while b"\r\n\r\n" not in data:
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        except OSError:
            pass
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status: int | None = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        status = None
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, fields, rest


def mcp_post(ctx: Ctx, host: str, message: dict[str, Any], session: str | None) -> bytes:
    body = P.dumps(message)
    lines = ["POST /mcp HTTP/1.1", f"Host: {host}", "Connection: close", "Content-Type: application/json",
             "Accept: application/json, text/event-stream", f"Authorization: Bearer {ctx.keys.mcp_token}",
             f"Content-Length: {len(body)}"]
    if session is not None:
        lines += [f"Mcp-Session-Id: {session}", f"MCP-Protocol-Version: {ctx.mcp_protocol}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def fresh_session(ctx: Ctx, host: str, delete: bool) -> str | None:
    """A new MCP session (initialize, then initialized), deleted again when asked; None if that failed."""
    name, port = host_port(host)
    reply = exchange(name, port, mcp_post(ctx, host, P.initialize(ctx.mcp_protocol), None), timeout=SIDE_TIMEOUT_S)
    session = reply.header("mcp-session-id")
    if reply.status != 200 or not session or not jsonrpc_messages(reply):
        return None
    exchange(name, port, mcp_post(ctx, host, P.rpc("notifications/initialized", id_=None), session),
             timeout=SIDE_TIMEOUT_S)
    if delete:
        request = (f"DELETE /mcp HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                   f"Authorization: Bearer {ctx.keys.mcp_token}\r\nMcp-Session-Id: {session}\r\n"
                   f"MCP-Protocol-Version: {ctx.mcp_protocol}\r\n\r\n").encode()
        gone = exchange(name, port, request, timeout=SIDE_TIMEOUT_S)
        if gone.status not in (200, 202, 204):
            return None
    return session


def failed_side_check(ctx: Ctx, host: str, step: Step) -> bytes:
    """The step's own request without its token: a 401 no step of this catalogue allows."""
    return encode(replace(step, raw=None, auth=None, sign=None), ctx, host)


def after_delete(method: str, message: dict[str, Any] | None, accept: str = "application/json, text/event-stream"
                 ) -> Raw:
    """Create and delete a session on the side, then use it: spec 2025-06-18, a terminated session's id
    MUST get 404."""
    def build(ctx: Ctx, host: str) -> bytes:
        session = fresh_session(ctx, host, delete=True)
        probe = Step("POST", "/mcp", REFUSAL, P.dumps(message or P.rpc("ping")), headers=MCP_HEADERS, auth="mcp")
        if session is None:
            return failed_side_check(ctx, host, probe)
        body = P.dumps(message) if message is not None else b""
        lines = [f"{method} /mcp HTTP/1.1", f"Host: {host}", "Connection: close", f"Accept: {accept}",
                 f"Authorization: Bearer {ctx.keys.mcp_token}", f"Mcp-Session-Id: {session}",
                 f"MCP-Protocol-Version: {ctx.mcp_protocol}"]
        if body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return build


def sse_then_ping(ctx: Ctx, host: str) -> bytes:
    """GET the event stream of the runner's session on the side (200 text/event-stream, or 405 where the
    server offers none: spec 2025-06-18), then send a ping on the same session, which must still answer."""
    request = (f"GET /mcp HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
               f"Authorization: Bearer {ctx.keys.mcp_token}\r\nMcp-Session-Id: {ctx.mcp_session}\r\n"
               f"MCP-Protocol-Version: {ctx.mcp_protocol}\r\n\r\n").encode()
    ping = Step("POST", "/mcp", ONLY_ACCEPT, P.dumps(P.rpc("ping", id_="hc7-after-sse")), headers=MCP_HEADERS,
                auth="mcp_session")
    try:
        status, fields, _ = side_request(host, request, timeout=3.0)
    except OSError:
        status, fields = None, {}
    good = status == 405 or (status == 200 and "text/event-stream" in fields.get("content-type", ""))
    return encode(ping, ctx, host) if good else failed_side_check(ctx, host, ping)


def sse_twice_then_ping(ctx: Ctx, host: str) -> bytes:
    """Two GET streams for one session at once (the spec lets a client open several), then a ping."""
    request = (f"GET /mcp HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n"
               f"Authorization: Bearer {ctx.keys.mcp_token}\r\nMcp-Session-Id: {ctx.mcp_session}\r\n"
               f"MCP-Protocol-Version: {ctx.mcp_protocol}\r\n\r\n").encode()
    ping = Step("POST", "/mcp", ONLY_ACCEPT, P.dumps(P.rpc("ping", id_="hc7-after-two-sse")), headers=MCP_HEADERS,
                auth="mcp_session")
    statuses = []
    for _ in range(2):
        try:
            statuses.append(side_request(host, request, timeout=3.0)[0])
        except OSError:
            statuses.append(None)
    good = all(s is not None and s < 500 for s in statuses)
    return encode(ping, ctx, host) if good else failed_side_check(ctx, host, ping)


def mcp_cases() -> list[Case]:
    cases: list[Case] = []

    def add(name: str, why: str, *steps: Step, group: str = "semantic") -> None:
        cases.append(Case(name, "mcp", group, why, steps))

    # ids (JSON-RPC 2.0 and MCP: a request id is a string or an integer, never null).
    for suffix, id_text, expect in (
            ("id-one-point-zero", "1.0", ACCEPT_OR_REFUSE),
            ("id-negative-zero", "-0", ACCEPT_OR_REFUSE),
            ("id-2-pow-53-plus-1", "9007199254740993", ACCEPT_OR_REFUSE),
            ("id-string-unicode", '"\u00e9\u4e2d\U0001f600"', ONLY_ACCEPT),
            ("id-string-spaces", '"   "', ONLY_ACCEPT),
            ("id-list-of-int", "[1]", REFUSAL),
            ("id-empty-object", "{}", REFUSAL),
            ("id-string-escaped-nul", '"a\\u0000b"', ACCEPT_OR_REFUSE),
            ("id-1e0", "1e0", ACCEPT_OR_REFUSE),
            ("id-false", "false", REFUSAL)):
        text = '{"jsonrpc":"2.0","id":' + id_text + ',"method":"ping"}'
        add(f"mcp7-{suffix}", "MCP: ids are strings or integers; odd but legal ones answer, illegal ones are "
            "refused (docs: 400, -32600)", mcp_step(expect, rpc_text(text)), group="json")

    # MCP-Protocol-Version spellings (spec: an invalid or unsupported version MUST get 400).
    for suffix, version, expect in (
            ("protocol-2024-11-05", "2024-11-05", ACCEPT_OR_REFUSE),
            ("protocol-2099-01-01", "2099-01-01", REFUSAL),
            ("protocol-empty", "", ACCEPT_OR_REFUSE),
            ("protocol-list", "2025-06-18, 2025-03-26", REFUSAL),
            ("protocol-no-zero-pad", "2025-6-18", REFUSAL),
            ("protocol-trailing-ows", "@@same@@\t", ONLY_ACCEPT)):
        def sign_version(body: bytes, ctx: Ctx, version: str = version) -> list[tuple[str, str]]:
            value = version.replace("@@same@@", ctx.mcp_protocol)
            return mcp_sign(protocol=value)(body, ctx)
        add(f"mcp7-{suffix}", "MCP 2025-06-18: a protocol version the server does not support MUST be a 400; a "
            "supported one with OWS around it is the same value (RFC 9110 5.5)",
            Step("POST", "/mcp", expect, rpc("ping", id_=f"hc7-{suffix}"), headers=MCP_HEADERS,
                 sign=sign_version, enqueue_any=frozenset({0}),
                 status=frozenset({400}) if expect == REFUSAL else None), group="protocol")

    # Session ids never issued, or spelled as lists.
    for suffix, session in (("session-never-issued", lambda c: "0" * 32),
                            ("session-list-of-two", lambda c: f"{c.mcp_session}, {c.mcp_session}"),
                            ("session-quoted", lambda c: f'"{c.mcp_session}"'),
                            ("session-own-with-suffix", lambda c: c.mcp_session + "0")):
        add(f"mcp7-{suffix}", "MCP 2025-06-18: a session id the server did not issue is a 400 or 404, never "
            "another session", Step("POST", "/mcp", REFUSAL, rpc("tools/list", id_=suffix), headers=MCP_HEADERS,
                                    sign=mcp_sign(session=session), enqueue_any=frozenset({0})), group="auth")
    add("mcp7-session-ows-around", "RFC 9110 5.5: spaces around a field value are not part of it; the session "
        "is the runner's own", Step("POST", "/mcp", ONLY_ACCEPT, rpc("ping", id_="hc7-ows"), headers=MCP_HEADERS,
                                    sign=mcp_sign(session=lambda c: f"  {c.mcp_session}  "),
                                    enqueue_any=frozenset({0})), group="protocol")

    # Without any session (spec: a server that requires sessions SHOULD answer 400).
    for method in ("tools/list", "ping", "tools/call"):
        params = {"name": "investigate", "arguments": {"question": "hc7"}} if method == "tools/call" else None
        add(f"mcp7-no-session-{method.replace('/', '-')}", "MCP 2025-06-18: after initialize every request "
            "carries Mcp-Session-Id; without it the server SHOULD answer 400, and nothing is investigated",
            mcp_step(REFUSAL, rpc(method, params, id_=1), auth="mcp"), group="auth")

    # A deleted session used by each method.
    for suffix, method, message, accept in (
            ("delete-then-post-tools-list", "POST", P.rpc("tools/list", id_=1), "application/json, text/event-stream"),
            ("delete-then-post-notification", "POST", P.rpc("notifications/initialized", id_=None),
             "application/json, text/event-stream"),
            ("delete-then-post-call", "POST", P.rpc("tools/call", {"name": "investigate",
                                                                   "arguments": {"question": "hc7"}}),
             "application/json, text/event-stream"),
            ("delete-then-get-stream", "GET", None, "text/event-stream"),
            ("delete-then-delete", "DELETE", None, "application/json, text/event-stream")):
        add(f"mcp7-{suffix}", "MCP 2025-06-18: a terminated session's id MUST be answered 404",
            Step("POST", "/mcp", REFUSAL, raw=after_delete(method, message, accept), status=frozenset({404}),
                 enqueue_any=frozenset({0})), group="semantic")

    # Event streams on the runner's live session, then that session still answers.
    add("mcp7-get-stream-then-ping", "MCP 2025-06-18: GET with Accept text/event-stream opens a stream (or 405); "
        "the session goes on answering POSTs", Step("POST", "/mcp", ONLY_ACCEPT, raw=sse_then_ping,
                                                   enqueue_any=frozenset({0})))
    add("mcp7-get-two-streams-then-ping", "MCP: a client may hold several streams; two GETs at once break "
        "nothing", Step("POST", "/mcp", ONLY_ACCEPT, raw=sse_twice_then_ping, enqueue_any=frozenset({0})))

    # Requests on a fresh session before notifications/initialized are covered; a fresh session that only
    # sends a response object, and an initialize carrying the runner's live session id.
    add("mcp7-initialize-with-live-session", "MCP: initialize starts a session and carries none; with a live "
        "session id it is a new session or refused, never a 5xx",
        mcp_step(ACCEPT_OR_REFUSE, lambda ctx: P.dumps(P.initialize(ctx.mcp_protocol))))
    add("mcp7-response-to-nothing", "a JSON-RPC response the server never asked for: accepted (202) or refused",
        mcp_step(frozenset({IGNORED, REFUSED}), rpc_text('{"jsonrpc":"2.0","id":"hc7-none","result":{}}')))
    add("mcp7-error-response-to-nothing", "an error response for no request: 202 or refused",
        mcp_step(frozenset({IGNORED, REFUSED}),
                 rpc_text('{"jsonrpc":"2.0","id":77,"error":{"code":-32000,"message":"hc7"}}')))

    # Notifications with ids and batches (2025-06-18 removed batches; 2025-03-26 had them).
    add("mcp7-notification-progress-with-id", "a notification method sent with an id is a request to a "
        "method the server does not take: an error, or ignored",
        mcp_step(frozenset({REFUSED, IGNORED}), rpc("notifications/progress",
                                                    {"progressToken": "x", "progress": 1}, id_=5)))
    add("mcp7-notification-roots-with-null-id", "id null is no valid request id (docs: 400)",
        mcp_step(frozenset({REFUSED, IGNORED}),
                 rpc_text('{"jsonrpc":"2.0","id":null,"method":"notifications/roots/list_changed"}')))
    for suffix, text in (("batch-two-pings", '[{"jsonrpc":"2.0","id":1,"method":"ping"},'
                                             '{"jsonrpc":"2.0","id":2,"method":"ping"}]'),
                         ("batch-ping-and-bad-id", '[{"jsonrpc":"2.0","id":1,"method":"ping"},'
                                                   '{"jsonrpc":"2.0","id":[1],"method":"ping"}]'),
                         ("batch-notification-only", '[{"jsonrpc":"2.0","method":"notifications/initialized"}]'),
                         ("batch-of-number", "[1]"),
                         ("batch-same-id-twice", '[{"jsonrpc":"2.0","id":9,"method":"ping"},'
                                                 '{"jsonrpc":"2.0","id":9,"method":"tools/list"}]')):
        add(f"mcp7-{suffix}", "MCP 2025-06-18 has no batches (2025-03-26 had): answered or refused, never a 5xx",
            mcp_step(frozenset({ACCEPTED, REFUSED, IGNORED}), rpc_text(text)), group="json")

    # A tools/call whose arguments name a key twice (docs: strict body parser, 400 -32700).
    add("mcp7-call-dup-question", "docs: a key twice anywhere is 400 (-32700) before the SDK sees it",
        mcp_step(REFUSAL, rpc_text('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"investigate",'
                                   '"arguments":{"question":"a","question":"b"}}}'), status=frozenset({400})),
        group="json")
    add("mcp7-call-dup-name", "docs: the tool name given twice is 400",
        mcp_step(REFUSAL, rpc_text('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"investigate",'
                                   '"name":"other","arguments":{"question":"a"}}}'), status=frozenset({400})),
        group="json")

    # The runner's session survives all of this.
    add("mcp7-ctl-session-survives", "the runner's session still answers tools/list after every case",
        mcp_step(ONLY_ACCEPT, rpc("tools/list", id_="hc7-final")), group="control")
    return cases


# ----------------------------------------------------------------------------- sequences

def sequence_cases() -> list[Case]:
    """Accepted first, refused variants of the same incident next, the same incident again last: it must
    join (or be a replay), proving the refusals changed nothing."""
    cases: list[Case] = []

    am_name = "am7-seq-refusals-leave-group"

    def resolved_dup(ctx: Ctx) -> bytes:
        return am(am_name, status="resolved")(ctx).replace(b'{', b'{"status":"resolved",', 1)
    cases.append(Case(am_name, "alertmanager", "control", "a firing group, then a resolve with a duplicate key, "
                      "a resolve with a wrong token, a resolve with a typed error, and a redelivery that joins",
                      (Step("POST", "/webhooks/alertmanager", ONLY_ACCEPT, am(am_name), auth="am"),
                       Step("POST", "/webhooks/alertmanager", REFUSAL, resolved_dup, auth="am"),
                       Step("POST", "/webhooks/alertmanager", REFUSAL, am(am_name, status="resolved"),
                            sign=lambda b, c: [("Authorization", "Bearer hc7-wrong")]),
                       Step("POST", "/webhooks/alertmanager", REFUSAL,
                            am(am_name, lambda p: set_path(p, "alerts.0.startsAt", None), status="resolved"),
                            auth="am"),
                       Step("POST", "/webhooks/alertmanager", QUIET, am(am_name), auth="am"))))

    pd_name = "pd7-seq-refusals-leave-incident"

    def dup_type(ctx: Ctx) -> bytes:
        body = pd(pd_name + "-dup", "incident.resolved", incident_of=pd_name)(ctx)
        return body.replace(b'"event_type":"incident.resolved"',
                            b'"event_type":"incident.resolved","event_type":"incident.triggered"', 1)
    cases.append(Case(pd_name, "pagerduty", "control", "a triggered incident, then refused events about it, "
                      "then a new triggered event for the same incident, which joins",
                      (Step("POST", "/webhooks/pagerduty", ONLY_ACCEPT, pd(pd_name), auth="pd"),
                       Step("POST", "/webhooks/pagerduty", REFUSAL, pd(pd_name + "-res", "incident.resolved",
                                                                         incident_of=pd_name),
                            sign=pd_sign(lambda b, c: [bogus(b, c)])),
                       Step("POST", "/webhooks/pagerduty", REFUSAL, pd(pd_name + "-stale", "incident.resolved",
                                                                         incident_of=pd_name, age_s=86400),
                            auth="pd"),
                       Step("POST", "/webhooks/pagerduty", REFUSAL, dup_type, auth="pd"),
                       Step("POST", "/webhooks/pagerduty", REFUSAL, pd(pd_name), auth="pd"),
                       Step("POST", "/webhooks/pagerduty", QUIET, pd(pd_name + "-again", incident_of=pd_name),
                            auth="pd"))))

    sl_name = "sl7-seq-refusals-leave-event"

    def tampered(ctx: Ctx) -> bytes:
        return mention(sl_name)(ctx).replace(b"crashlooping", b"crashlooping!!")

    def sign_original(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        return P.slack_headers(mention(sl_name)(ctx), ctx)
    cases.append(Case(sl_name, "slack", "control", "a mention accepted, its body tampered under the original "
                      "signature (401), a stale copy (401), then Slack's numbered retry, which joins",
                      (Step("POST", "/slack/events", ONLY_ACCEPT, mention(sl_name), auth="slack"),
                       Step("POST", "/slack/events", REFUSAL, tampered, sign=sign_original,
                            status=frozenset({401})),
                       Step("POST", "/slack/events", REFUSAL, mention(sl_name), sign=slack_sign(now_ts(-900))),
                       Step("POST", "/slack/events", QUIET, mention(sl_name), auth="slack",
                            headers=(*JSON, ("X-Slack-Retry-Num", "1"), ("X-Slack-Retry-Reason", "http_timeout"))))))

    sc_name = "sc7-seq-slash-then-garbage"
    cases.append(Case(sc_name, "slack", "control", "a slash command accepted, then its body replayed byte for "
                      "byte (409), then the same text with a duplicate form key",
                      (Step("POST", "/slack/events", ONLY_ACCEPT, slash(sc_name), headers=FORM, auth="slack"),
                       Step("POST", "/slack/events", REFUSAL, b"", replay_previous=True),
                       Step("POST", "/slack/events", frozenset({REFUSED, IGNORED}),
                            lambda ctx: slash(sc_name)(ctx) + b"&command=%2Fother", headers=FORM, auth="slack"))))

    ap_name = "ap7-seq-approve-then-framed-deny"

    def ap_step(verb: str, expect: frozenset[str], framing: str = "length", role: str = "approve_then_deny",
                approver: str = "bob", **kw: Any) -> Step:
        base = Step("POST", "/approvals", expect, approver_body(approver), auth="api", framing=framing, **kw)
        def build(ctx: Ctx, host: str) -> bytes:
            return encode(replace(base, path=f"/approvals/{ctx.approvals[role]}/{verb}"), ctx, host)
        return replace(base, raw=build)
    cases.append(Case(ap_name, "approvals", "control", "an approval decided, then a deny sent chunked and a deny "
                      "by another approver: each 409, and the list still answers",
                      (ap_step("approve", DECIDED),
                       ap_step("deny", REFUSAL, framing="chunked"),
                       ap_step("deny", REFUSAL, approver="carol"),
                       Step("GET", "/approvals", QUIET, b"", headers=(), auth="api", framing="none"))))

    def dup_equal_approver(ctx: Ctx) -> bytes:
        return b'{"approver":"alice","approver":"alice","note":"x"}'
    base = Step("POST", "/approvals", REFUSAL, dup_equal_approver, auth="api")
    cases.append(Case("ap7-dup-approver-equal-then-valid", "approvals", "json",
                      "docs: a key twice is 400 even with equal values; the request stays pending and a valid "
                      "decision afterwards is taken",
                      (replace(base, raw=lambda ctx, host: encode(
                          replace(base, path=f"/approvals/{ctx.approvals['deny_then_approve']}/deny"), ctx, host),
                          status=frozenset({400})),
                       ap_step("deny", DECIDED, role="deny_then_approve", approver="alice"))))
    return cases


# ----------------------------------------------------------------------------- operational endpoints

def ops_cases() -> list[Case]:
    cases: list[Case] = []
    for path in ("/healthz", "/metrics", "/approvals"):
        auth = "api" if path == "/approvals" else None
        slug = path.strip("/")
        cases.append(Case(f"ops7-head-{slug}", "ops", "protocol", "RFC 9110 9.3.2: HEAD is GET without a body; "
                          "a server may still refuse it on a route (405)",
                          (Step("HEAD", path, frozenset({IGNORED, REFUSED}), b"", headers=(), auth=auth,
                                framing="none"),)))
        cases.append(Case(f"ops7-trace-{slug}", "ops", "protocol", "docs: a method a route does not take is 405",
                          (Step("TRACE", path, REFUSAL, b"", headers=(), auth=auth, framing="none"),)))
        cases.append(Case(f"ops7-options-{slug}", "ops", "protocol", "RFC 9110 9.3.7: OPTIONS may be answered or "
                          "refused 405", (Step("OPTIONS", path, frozenset({IGNORED, REFUSED}), b"", headers=(),
                                               auth=auth, framing="none"),)))
    cases.append(Case("ops7-options-asterisk", "ops", "protocol", "RFC 9112 3.2.4: OPTIONS * asks about the server",
                      (Step("OPTIONS", "*", frozenset({IGNORED, REFUSED, CLOSED}), b"", headers=(),
                            framing="none"),)))
    cases.append(Case("ops7-get-asterisk", "ops", "protocol", "a GET of * is no resource",
                      (Step("GET", "*", frozenset({REFUSED, CLOSED}), b"", headers=(), framing="none"),)))
    cases.append(Case("mcp7-options-mcp", "mcp", "protocol", "OPTIONS on the MCP endpoint: answered or 405",
                      (Step("OPTIONS", "/mcp", frozenset({IGNORED, REFUSED}), b"", headers=(), framing="none",
                            enqueue_any=frozenset({0})),)))
    cases.append(Case("mcp7-trace-mcp", "mcp", "protocol", "TRACE on the MCP endpoint: 405",
                      (Step("TRACE", "/mcp", REFUSAL, b"", headers=(), auth="mcp_session", framing="none",
                            enqueue_any=frozenset({0})),)))
    return cases


# ----------------------------------------------------------------------------- controls

def control_cases() -> list[Case]:
    cases = [
        Case("am7-ctl-plain", "alertmanager", "control", "a valid firing notification is queued once",
             (Step("POST", "/webhooks/alertmanager", ONLY_ACCEPT, am("am7-ctl-plain"), auth="am"),)),
        Case("pd7-ctl-triggered", "pagerduty", "control", "a valid incident.triggered is queued once",
             (Step("POST", "/webhooks/pagerduty", ONLY_ACCEPT, pd("pd7-ctl-triggered"), auth="pd"),)),
        Case("sl7-ctl-mention", "slack", "control", "a valid app_mention is queued once",
             (Step("POST", "/slack/events", ONLY_ACCEPT, mention("sl7-ctl-mention"), auth="slack"),)),
        Case("sc7-ctl-slash", "slack", "control", "a valid slash command is queued once",
             (Step("POST", "/slack/events", ONLY_ACCEPT, slash("sc7-ctl-slash"), headers=FORM, auth="slack"),)),
        Case("mcp7-ctl-tools-list", "mcp", "control", "tools/list on the runner's session answers",
             (mcp_step(ONLY_ACCEPT, rpc("tools/list", id_="hc7-ctl")),)),
        Case("ap7-ctl-list", "approvals", "control", "the approvals list answers 200 and queues nothing",
             (Step("GET", "/approvals", QUIET, b"", headers=(), auth="api", framing="none"),)),
    ]
    return cases


def after_all_cases() -> list[Case]:
    return [
        Case("am7-ctl-after-all-redelivery", "alertmanager", "control", "the first control, sent again after "
             "every hostile case, still joins its job: nothing accepted was lost",
             (Step("POST", "/webhooks/alertmanager", QUIET, am("am7-ctl-plain"), auth="am"),)),
        Case("pd7-ctl-after-all-new-event", "pagerduty", "control", "a new event for the first control's incident "
             "joins it", (Step("POST", "/webhooks/pagerduty", QUIET,
                               pd("pd7-ctl-after-all", incident_of="pd7-ctl-triggered"), auth="pd"),)),
        Case("sl7-ctl-after-all-fresh", "slack", "control", "a fresh mention after everything is queued once",
             (Step("POST", "/slack/events", ONLY_ACCEPT, mention("sl7-ctl-after-all-fresh"), auth="slack"),)),
    ]


# JSON doors for the RFC 8259 matrix (slash commands are forms, not JSON).
CASES: tuple[Case, ...] = tuple(
    control_cases()
    + [c for d in DOORS for c in framing_cases(d)]
    + [c for d in (AM, PD, SL, MC, AP) for c in json_cases(d)]
    + am_type_cases()
    + slack_cases()
    + pd_cases()
    + mcp_cases()
    + sequence_cases()
    + ops_cases()
    + after_all_cases()
)

_names = [c.name for c in CASES]
assert len(_names) == len(set(_names)), sorted({n for n in _names if _names.count(n) > 1})
