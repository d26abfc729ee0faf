"""The tenth blind hostile catalogue: a refusal must record nothing, each step with the classes of answer
the public specifications and docs/frontdoors.md allow.

Written before reading agent/server/, guardrails/, mcp_servers/ or the tests, and knowing of rounds 1
to 9 only their module docstrings and case names. Those rounds sent nearly every single-request trick
(framing, codings, charsets, JSON grammar, signature spellings, MCP methods and ids) and checked the
answer to it. This round checks what such a refusal leaves behind. docs/frontdoors.md says the first
failed gate "answers a 4xx naming the problem and stores nothing", and keys replays and deduplication on
values a refused request can already carry: PagerDuty's `event.id`, Slack's exact signature, Slack's
`event_id`, the Alertmanager incident (alert name and labels), an approval's id, a JSON-RPC request id. So
almost every case here is a twin:

1. a hostile copy that carries the same keys as a valid request, correctly signed over its exact bytes,
   refused by exactly one gate: a `Content-Encoding` (label only, or a real gzip or deflate body, or a
   coding nobody registered for JSON), a `charset` other than utf-8 (a label on UTF-8 bytes, or a real
   UTF-16 or UTF-7 body), 33 KiB of headers (431), a body padded past 1 MiB (413), a key named twice,
   `NaN` or a truncated document (400), a field of the wrong shape (422), a wrong credential or a Slack
   timestamp outside the window (401), a PagerDuty event too old or from the future (400), a body torn
   off by a client that half-closed;
2. the valid twin, whose keys the refusal must not have recorded: accepted, one job;
3. a byte-identical redelivery of the twin: a replay (409) at PagerDuty and Slack, joining the job
   (2xx, no job) at Alertmanager, so the accepted state the twin made is intact.

The same shape at the approvals API (refused decisions on a seeded request, then a decision that must
still be possible, then a second that must be 409), at Slack clicks followed by an HTTP decision, and at
the MCP door (a JSON-RPC id used by a refused request is reused; a side session that saw refusals still
works). Side checks, run in a step's `raw` builder on their own sockets with short timeouts: refused
and valid copies of one delivery sent at once (exactly one job), and a body trickled slowly then
abandoned mid-way before its valid twin is sent (no job, then one). When a side check fails the builder
returns a request for `/__hostile10_side_check_failed__/<case>`, a 404 that the step does not allow, so
the failure shows under the case's name.

Every body that should be accepted names a unique incident per case and per run (the run's tag is in
every alert name, PagerDuty incident id and Slack text). Where the sources leave the answer open a step
allows several classes; the runner still checks no 5xx, nothing enqueued unless accepted, and the exact
job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 10
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import Response, exchange, jsonrpc_messages
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    FRAMING,
    IGNORED,
    REFUSAL,
    REFUSED,
    Case,
    Ctx,
    Step,
)

Hdrs = list[tuple[str, str]]
Raw = Callable[[Ctx, str], bytes]

OK_2XX = frozenset({ACCEPTED, IGNORED})
MCP_ACCEPT = "application/json, text/event-stream"
PAD_HEADER = 33 * 1024
"""One header value past the documented 32 KiB head bound (431)."""
PAD_BODY = 1024 * 1024 + 4096
"""Whitespace or a form field past the documented 1 MiB `max_body_bytes` (413)."""
SIDE_TIMEOUT_S = 8.0

_PINNED: dict[str, int] = {}
"""Slack timestamps shared by a case's steps, so a refused copy and its valid twin carry the same
signature (the key Slack's replay check uses)."""


# ----------------------------------------------------------------------------- wire helpers

def wire(method: str, target: str, host: str, headers: Hdrs, body: bytes = b"", *,
         version: str = "HTTP/1.1", length: int | None = None, close: bool = True) -> bytes:
    """A request's exact bytes; `length` overrides the Content-Length (a torn body announces more)."""
    lines = [f"{method} {target} {version}", f"Host: {host}"]
    if close:
        lines.append("Connection: close")
    lines.append("User-Agent: vigil-hostile-catalogue/10")
    lines += [f"{k}: {v}" for k, v in headers]
    if body or method not in ("GET", "HEAD", "DELETE"):
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def split_host(host: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":")
    return name, int(port)


def side_failed(name: str, host: str, why: str) -> bytes:
    """The request a failed side check returns: a 404 that no step of this catalogue allows."""
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in why)[:80]
    return wire("GET", f"/__hostile10_side_check_failed__/{name}/{slug}", host, [])


def queue_size(host: str) -> int:
    """Jobs in the queue once the server finished what it received (the runner's own settled count)."""
    from benchmarks.frontdoors.run_hostile import settled_jobs

    return settled_jobs(split_host(host)[1])[0]


def send(host: str, data: bytes, timeout: float = SIDE_TIMEOUT_S) -> Response:
    name, port = split_host(host)
    return exchange(name, port, data, timeout=timeout)


def race(host: str, blobs: list[bytes]) -> list[Response | None]:
    """Send every request at once, each on its own connection; None where the client itself failed."""
    answers: list[Response | None] = [None] * len(blobs)
    gate = threading.Barrier(len(blobs))

    def one(index: int) -> None:
        try:
            gate.wait(timeout=5)
            answers[index] = send(host, blobs[index])
        except (OSError, threading.BrokenBarrierError):
            answers[index] = None

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(blobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SIDE_TIMEOUT_S + 6)
    return answers


def trickle_then_abandon(host: str, data: bytes, pieces: int = 4, pause_s: float = 0.3) -> None:
    """Send the head and part of the body slowly, then close before the body is complete."""
    name, port = split_host(host)
    head, _, body = data.partition(b"\r\n\r\n")
    partial = body[: max(len(body) // 2, 1)]
    step = max(len(partial) // pieces, 1)
    try:
        with socket.create_connection((name, port), timeout=SIDE_TIMEOUT_S) as sock:
            sock.sendall(head + b"\r\n\r\n")
            for i in range(0, len(partial), step):
                time.sleep(pause_s)
                sock.sendall(partial[i:i + step])
            time.sleep(pause_s)
    except OSError:
        pass


# ----------------------------------------------------------------------------- bodies of each door

def am_name(ctx: Ctx, name: str) -> str:
    return f"Hostile10{name.replace('-', '_')}_{ctx.tag}"


def am_valid(ctx: Ctx, name: str) -> dict[str, Any]:
    return P.am_payload(am_name(ctx, name))


def pd_valid(ctx: Ctx, name: str, age_s: float = 5.0) -> dict[str, Any]:
    return P.pd_event(ctx, name, age_s=age_s)


def mention(ctx: Ctx, name: str) -> dict[str, Any]:
    """An app mention whose times come from the case's pinned clock, so every copy has the same bytes."""
    base = int(slack_ts(ctx, name)) - 2
    ts = f"{base}.{P.uid(ctx, 'ts:' + name, 6, '0123456789')}"
    event = {"type": "app_mention", "user": P.USER, "ts": ts, "channel": P.CHANNEL, "event_ts": ts,
             "text": f"<@U0LAN0Z89> pods crashlooping in payments {name} {ctx.tag}"}
    return P.slack_event(ctx, name, event=event, event_time=base)


def slash(ctx: Ctx, name: str, **fields: str) -> dict[str, str]:
    return P.slash_form(ctx, name, text=f"investigate {name} {ctx.tag} pods OOMKilled in namespace shop", **fields)


def json_with(doc: dict[str, Any], insert: str) -> bytes:
    """`doc` serialised with raw JSON text spliced in right after its opening brace."""
    text = json.dumps(doc, separators=(",", ":"))
    return ("{" + insert + text[1:]).encode("utf-8")


# ----------------------------------------------------------------------------- doors

DOORS = ("am", "pd", "sl", "sc")
DOOR_NAME = {"am": "alertmanager", "pd": "pagerduty", "sl": "slack", "sc": "slack"}
PATH = {"am": "/webhooks/alertmanager", "pd": "/webhooks/pagerduty", "sl": "/slack/events", "sc": "/slack/events"}
FORM = "application/x-www-form-urlencoded"


def ctype(door: str) -> str:
    return FORM if door == "sc" else "application/json"


def valid_doc(door: str, ctx: Ctx, name: str) -> dict[str, Any]:
    if door == "am":
        return am_valid(ctx, name)
    if door == "pd":
        return pd_valid(ctx, name)
    if door == "sl":
        return mention(ctx, name)
    return dict(slash(ctx, name))


def encode_doc(door: str, doc: dict[str, Any]) -> bytes:
    return P.form({k: str(v) for k, v in doc.items()}) if door == "sc" else P.dumps(doc)


def slack_ts(ctx: Ctx, name: str, offset: int = 0) -> str:
    key = f"{ctx.tag}:{name}"
    if key not in _PINNED:
        _PINNED[key] = int(ctx.now)
    return str(_PINNED[key] + offset)


def creds(door: str, ctx: Ctx, name: str, body: bytes, *, bad: bool = False, ts_offset: int = 0,
          sig_version: str = "v0") -> Hdrs:
    """The door's credential over these exact bytes (`bad`: the same shape under a wrong secret)."""
    if door == "am":
        return [("Authorization", f"Bearer {'0' * 32 if bad else ctx.keys.am_token}")]
    if door == "pd":
        secret = "not-the-secret" if bad else ctx.keys.pd_secrets[0]
        return [("X-PagerDuty-Signature", P.pd_sig(secret, body))]
    ts = slack_ts(ctx, name, ts_offset)
    secret = "not-the-secret" if bad else ctx.keys.slack_secret
    if sig_version != "v0":
        mac = hmac.new(secret.encode(), f"{sig_version}:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        return [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", f"{sig_version}={mac}")]
    return [("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", P.slack_sig(secret, ts, body))]


# A variant turns the valid request into the hostile copy: it returns (body, extra headers, content type,
# credential options). Each one fails exactly one documented gate while keeping the twin's keys.
Variant = Callable[[str, Ctx, str], tuple[bytes, Hdrs, str, dict[str, Any]]]


def _plain(door: str, ctx: Ctx, name: str) -> bytes:
    return encode_doc(door, valid_doc(door, ctx, name))


def v_ce_label(coding: str) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return _plain(door, ctx, name), [("Content-Encoding", coding)], ctype(door), {}
    return build


def v_ce_real(coding: str, label: str | None = None) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        plain = _plain(door, ctx, name)
        body = gzip.compress(plain) if coding == "gzip" else zlib.compress(plain)
        return body, [("Content-Encoding", label or coding)], ctype(door), {}
    return build


def v_charset_label(charset: str) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return _plain(door, ctx, name), [], f"{ctype(door)}; charset={charset}", {}
    return build


def v_charset_real(codec: str, label: str) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return _plain(door, ctx, name).decode("utf-8").encode(codec), [], f"{ctype(door)}; charset={label}", {}
    return build


def v_headers_33k(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return _plain(door, ctx, name), [("X-Hostile-Pad", "p" * PAD_HEADER)], ctype(door), {}


def v_body_over(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    if door == "sc":
        form = dict(slash(ctx, name))
        form["hostile_pad"] = "p" * PAD_BODY
        return P.form(form), [], FORM, {}
    return json_with(valid_doc(door, ctx, name), " " * PAD_BODY), [], ctype(door), {}


def v_dup_key(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return json_with(valid_doc(door, ctx, name), '"hostile":"a","hostile":"b",'), [], ctype(door), {}


def v_nan(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return json_with(valid_doc(door, ctx, name), '"hostile":NaN,'), [], ctype(door), {}


def v_truncated(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return _plain(door, ctx, name)[:-3], [], ctype(door), {}


def v_bad_credential(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return _plain(door, ctx, name), [], ctype(door), {"bad": True}


def v_slack_ts(offset: int) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return _plain(door, ctx, name), [], ctype(door), {"ts_offset": offset}
    return build


def v_slack_sig_version(version: str) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return _plain(door, ctx, name), [], ctype(door), {"sig_version": version}
    return build


def v_json_insert(text: str) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return json_with(valid_doc(door, ctx, name), text), [], ctype(door), {}
    return build


def v_trailing(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return _plain(door, ctx, name) + b' {"hostile":1}', [], ctype(door), {}


def v_gzip_twice(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    return gzip.compress(gzip.compress(_plain(door, ctx, name))), [("Content-Encoding", "gzip, gzip")], ctype(door), {}


def v_many_headers(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    extra = [(f"X-Hostile-{i:04d}", "h" * 24) for i in range(1200)]
    return _plain(door, ctx, name), extra, ctype(door), {}


def v_pd_age(age_s: float) -> Variant:
    def build(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
        return P.dumps(pd_valid(ctx, name, age_s=age_s)), [], "application/json", {}
    return build


def v_pd_bad_incident_id(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    doc = pd_valid(ctx, name)
    doc["event"]["data"]["id"] = "not a pagerduty id/../x"
    return P.dumps(doc), [], "application/json", {}


def v_am_status(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    doc = am_valid(ctx, name)
    doc["status"] = "exploded"
    return P.dumps(doc), [], "application/json", {}


def v_am_null_receiver(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    doc = am_valid(ctx, name)
    doc["receiver"] = None
    return P.dumps(doc), [], "application/json", {}


def v_am_label_not_string(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    doc = am_valid(ctx, name)
    doc["alerts"][0]["labels"]["replicas"] = 3
    return P.dumps(doc), [], "application/json", {}


def v_sc_response_url(door: str, ctx: Ctx, name: str) -> tuple[bytes, Hdrs, str, dict[str, Any]]:
    form = slash(ctx, name, response_url=ctx.canary_url or "http://127.0.0.1:9/canary")
    return P.form(form), [], FORM, {}


def hostile(door: str, name: str, variant: Variant) -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        body, extra, content_type, opts = variant(door, ctx, name)
        headers: Hdrs = [("Content-Type", content_type), *extra, *creds(door, ctx, name, body, **opts)]
        return wire("POST", PATH[door], host, headers, body)
    return build


def twin(door: str, name: str) -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        body = _plain(door, ctx, name)
        return wire("POST", PATH[door], host, [("Content-Type", ctype(door)), *creds(door, ctx, name, body)], body)
    return build


def torn(door: str, name: str) -> Raw:
    """The valid request's head, Content-Length and half its body; the client then half-closes."""
    def build(ctx: Ctx, host: str) -> bytes:
        data = twin(door, name)(ctx, host)
        head, _, body = data.partition(b"\r\n\r\n")
        return head + b"\r\n\r\n" + body[: len(body) // 2]
    return build


def redelivery(door: str) -> Step:
    """The twin's exact bytes again: Alertmanager joins the job, PagerDuty and Slack call it a replay."""
    if door == "am":
        return Step("POST", PATH[door], frozenset({IGNORED}), replay_previous=True)
    return Step("POST", PATH[door], REFUSAL, replay_previous=True, status=frozenset({409}))


def twin_steps(door: str, name: str) -> tuple[Step, Step]:
    return (Step("POST", PATH[door], frozenset({ACCEPTED}), raw=twin(door, name), enqueue=1), redelivery(door))


# (slug, variant, group, doors, statuses the docs name for the refusal, or None where they name none)
Gate = tuple[str, Variant, str, tuple[str, ...], frozenset[int] | None]

GATES: tuple[Gate, ...] = (
    ("ce-gzip-label", v_ce_label("gzip"), "protocol", DOORS, frozenset({415})),
    ("ce-gzip-real", v_ce_real("gzip"), "protocol", DOORS, frozenset({415})),
    ("ce-deflate-real", v_ce_real("deflate"), "protocol", DOORS, frozenset({415})),
    ("ce-zstd-label", v_ce_label("zstd"), "protocol", DOORS, frozenset({415})),
    ("ce-compress-label", v_ce_label("compress"), "protocol", DOORS, frozenset({415})),
    ("ce-aes128gcm-label", v_ce_label("aes128gcm"), "protocol", DOORS, None),
    ("ce-stacked-gzip-br", v_ce_label("gzip, br"), "protocol", DOORS, frozenset({415})),
    ("ce-identity-then-gzip", v_ce_label("identity, gzip"), "protocol", DOORS, frozenset({415})),
    ("ce-x-gzip-real", v_ce_real("gzip", "x-gzip"), "protocol", DOORS, frozenset({415})),
    ("ce-gzip-twice-real", v_gzip_twice, "protocol", DOORS, frozenset({415})),
    ("charset-utf16-label", v_charset_label("utf-16"), "protocol", DOORS, frozenset({415})),
    ("charset-utf16le-real", v_charset_real("utf-16-le", "utf-16le"), "protocol", DOORS, frozenset({415})),
    ("charset-utf7-real", v_charset_real("utf-7", "utf-7"), "protocol", DOORS, frozenset({415})),
    ("charset-latin1-label", v_charset_label("iso-8859-1"), "protocol", DOORS, frozenset({415})),
    ("charset-windows1252-label", v_charset_label("windows-1252"), "protocol", DOORS, frozenset({415})),
    ("charset-unknown-label", v_charset_label("x-hostile-10"), "protocol", DOORS, frozenset({415})),
    ("charset-utf32-label", v_charset_label("utf-32"), "protocol", DOORS, frozenset({415})),
    ("headers-33k", v_headers_33k, "protocol", DOORS, frozenset({431})),
    ("headers-1200-small", v_many_headers, "protocol", DOORS, frozenset({431})),
    ("body-over-1mib", v_body_over, "protocol", DOORS, frozenset({413})),
    ("json-dup-key", v_dup_key, "json", ("am", "pd", "sl"), frozenset({400})),
    ("json-nan", v_nan, "json", ("am", "pd", "sl"), frozenset({400})),
    ("json-truncated", v_truncated, "json", ("am", "pd", "sl"), frozenset({400})),
    ("json-nested-41", v_json_insert('"hostile":' + "[" * 40 + "]" * 40 + ","), "json", ("am", "pd", "sl"),
     frozenset({400})),
    ("json-1e999", v_json_insert('"hostile":1e999,'), "json", ("am", "pd", "sl"), frozenset({400})),
    ("json-lone-surrogate", v_json_insert('"hostile":"\\ud800",'), "json", ("am", "pd", "sl"), frozenset({400})),
    ("json-trailing-document", v_trailing, "json", ("am", "pd", "sl"), frozenset({400})),
    ("auth-wrong-secret", v_bad_credential, "auth", DOORS, frozenset({401})),
    ("auth-ts-past-400s", v_slack_ts(-400), "auth", ("sl", "sc"), frozenset({401})),
    ("auth-ts-future-400s", v_slack_ts(400), "auth", ("sl", "sc"), frozenset({401})),
    ("auth-sig-v1-scheme", v_slack_sig_version("v1"), "auth", ("sl", "sc"), frozenset({401})),
    ("age-stale-2d", v_pd_age(172800), "semantic", ("pd",), frozenset({400})),
    ("age-future-15min", v_pd_age(-900), "semantic", ("pd",), frozenset({400})),
    ("shape-incident-id", v_pd_bad_incident_id, "semantic", ("pd",), frozenset({422})),
    ("shape-status-enum", v_am_status, "semantic", ("am",), frozenset({422})),
    ("shape-receiver-null", v_am_null_receiver, "semantic", ("am",), frozenset({422})),
    ("shape-label-int", v_am_label_not_string, "semantic", ("am",), frozenset({422})),
    ("shape-response-url-loopback", v_sc_response_url, "semantic", ("sc",), frozenset({422})),
)


def gate_case(door: str, gate: Gate) -> Case:
    slug, variant, group, _, statuses = gate
    name = f"{door}10-refused-{slug}-then-twin"
    refused = Step("POST", PATH[door], REFUSAL, raw=hostile(door, name, variant), status=statuses)
    why = (f"A copy refused by one gate ({slug}) must store nothing (docs: the first failed gate stores nothing), "
           "so its valid twin sharing every replay and dedup key is accepted once, and a byte-identical "
           "redelivery of the twin is then a join (Alertmanager) or a 409 replay (PagerDuty, Slack).")
    return Case(name, DOOR_NAME[door], group, why, (refused, *twin_steps(door, name)))


def torn_case(door: str) -> Case:
    name = f"{door}10-torn-half-closed-then-twin"
    first = Step("POST", PATH[door], FRAMING, raw=torn(door, name), half_close=True)
    return Case(name, DOOR_NAME[door], "protocol",
                "A body cut off by a half-closing client is closed unread (docs: half_close) and records nothing; "
                "the whole request sent next is accepted once, its redelivery joins or is a replay.",
                (first, *twin_steps(door, name)))


# ----------------------------------------------------------------------------- side checks at webhook doors

def trickled(door: str, name: str) -> Raw:
    """A slow body abandoned mid-way must queue nothing; then the whole request goes out as the step."""
    def build(ctx: Ctx, host: str) -> bytes:
        before = queue_size(host)
        trickle_then_abandon(host, twin(door, name)(ctx, host))
        time.sleep(0.3)
        if queue_size(host) != before:
            return side_failed(name, host, "abandoned body queued a job")
        return twin(door, name)(ctx, host)
    return build


def trickle_case(door: str) -> Case:
    name = f"{door}10-trickled-then-abandoned-then-twin"
    first = Step("POST", PATH[door], frozenset({ACCEPTED}), raw=trickled(door, name), enqueue=1)
    return Case(name, DOOR_NAME[door], "protocol",
                "A client sends the head and half the body slowly (about 1.5 s) then goes away; nothing may be "
                "queued for it, and the complete request sent afterwards is accepted once.",
                (first, redelivery(door)))


def raced(door: str, name: str, variant: Variant, copies: int = 3) -> Raw:
    """Refused copies and valid copies of one delivery at once: exactly one job, every refused copy 4xx,
    every valid copy a 2xx or (PagerDuty, Slack: a byte-identical copy) a 409. The step that follows is
    one more byte-identical copy."""
    def build(ctx: Ctx, host: str) -> bytes:
        before = queue_size(host)
        bad, good = hostile(door, name, variant)(ctx, host), twin(door, name)(ctx, host)
        answers = race(host, [bad] * copies + [good] * copies)
        after = queue_size(host)
        if after - before != 1:
            return side_failed(name, host, f"race queued {after - before} jobs")
        for index, answer in enumerate(answers):
            status = answer.status if answer is not None else None
            if index < copies and (status is None or not 400 <= status < 500):
                return side_failed(name, host, f"refused copy answered {status}")
            allowed = (200, 201, 202) if door == "am" else (200, 201, 202, 409)
            if index >= copies and status not in allowed:
                return side_failed(name, host, f"valid copy answered {status}")
        return good
    return build


def race_case(door: str, slug: str, variant: Variant) -> Case:
    name = f"{door}10-race-{slug}-and-valid"
    return Case(name, DOOR_NAME[door], "semantic",
                f"Three {slug} copies race three valid copies of the same delivery: one job in all, refusals "
                "4xx, then one more identical copy joins (Alertmanager) or is a replay (409).",
                (Step("POST", PATH[door], frozenset({IGNORED}) if door == "am" else REFUSAL,
                      raw=raced(door, name, variant), status=None if door == "am" else frozenset({409})),))


# ----------------------------------------------------------------------------- approvals

def api_headers(ctx: Ctx, content_type: str = "application/json", token: str | None = None) -> Hdrs:
    return [("Content-Type", content_type), ("Authorization", f"Bearer {token or ctx.keys.api_token}")]


def decide(role: str, verb: str, approver: str = "alice",
           mutate: Callable[[Ctx, bytes, Hdrs], tuple[bytes, Hdrs]] | None = None) -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        body = P.dumps({"approver": approver, "note": "hostile catalogue 10"})
        headers = api_headers(ctx)
        if mutate is not None:
            body, headers = mutate(ctx, body, headers)
        return wire("POST", f"/approvals/{ctx.approvals.get(role, 'missing')}/{verb}", host, headers, body)
    return build


def m_header(name: str, value: str) -> Callable[[Ctx, bytes, Hdrs], tuple[bytes, Hdrs]]:
    return lambda ctx, body, headers: (body, [*headers, (name, value)])


def m_ctype(value: str) -> Callable[[Ctx, bytes, Hdrs], tuple[bytes, Hdrs]]:
    return lambda ctx, body, headers: (body, [(k, value if k == "Content-Type" else v) for k, v in headers])


def m_body(make: Callable[[bytes], bytes]) -> Callable[[Ctx, bytes, Hdrs], tuple[bytes, Hdrs]]:
    return lambda ctx, body, headers: (make(body), headers)


def m_token(ctx: Ctx, body: bytes, headers: Hdrs) -> tuple[bytes, Hdrs]:
    return body, [(k, "Bearer " + "0" * 32 if k == "Authorization" else v) for k, v in headers]


APPROVAL_REFUSALS: tuple[tuple[str, Callable[[Ctx, bytes, Hdrs], tuple[bytes, Hdrs]]], ...] = (
    ("ce-gzip-label", m_header("Content-Encoding", "gzip")),
    ("ce-gzip-real", lambda ctx, body, headers: (gzip.compress(body), [*headers, ("Content-Encoding", "gzip")])),
    ("charset-utf16-label", m_ctype("application/json; charset=utf-16")),
    ("charset-latin1-label", m_ctype("application/json; charset=iso-8859-1")),
    ("charset-utf16le-real", lambda ctx, body, headers: (
        body.decode().encode("utf-16-le"), [(k, "application/json; charset=utf-16le" if k == "Content-Type" else v)
                                            for k, v in headers])),
    ("headers-33k", m_header("X-Hostile-Pad", "p" * PAD_HEADER)),
    ("body-over-1mib", m_body(lambda body: b"{" + b" " * PAD_BODY + body[1:])),
    ("json-dup-approver", m_body(lambda body: b'{"approver":"mallory",' + body[1:])),
    ("json-nan", m_body(lambda body: b'{"hostile":NaN,' + body[1:])),
    ("json-truncated", m_body(lambda body: body[:-2])),
    ("auth-wrong-token", m_token),
)


def approval_case(role: str, verb: str, approver: str) -> Case:
    name = f"ap10-{role.replace('_', '-')}-refused-every-gate-then-{verb}"
    steps: list[Step] = [Step("POST", "/approvals", REFUSAL, raw=decide(role, verb, approver, mutate))
                         for _, mutate in APPROVAL_REFUSALS]
    steps.append(Step("POST", "/approvals", OK_2XX, raw=decide(role, verb, approver), enqueue=1))
    steps.append(Step("POST", "/approvals", REFUSAL, raw=decide(role, "approve", "bob"), status=frozenset({409}),
                      enqueue=0))
    return Case(name, "approvals", "semantic",
                f"{len(APPROVAL_REFUSALS)} decisions refused by one gate each (coding, charset, head and body "
                f"size, JSON, token) must leave the request pending: the real {verb} then succeeds and a second "
                "decision is 409 already decided.", tuple(steps))


def torn_decision(role: str) -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        data = decide(role, "approve", "alice")(ctx, host)
        return data[:-10]
    return build


def slack_click_refused(role: str, mutate: Callable[[bytes, Hdrs], tuple[bytes, Hdrs]]) -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        body = P.block_actions_body(ctx, ctx.approvals.get(role, "missing"))
        headers: Hdrs = [("Content-Type", FORM)]
        body, headers = mutate(body, headers)
        ts = str(int(ctx.now))
        headers += [("X-Slack-Request-Timestamp", ts),
                    ("X-Slack-Signature", P.slack_sig(ctx.keys.slack_secret, ts, body))]
        return wire("POST", "/slack/events", host, headers, body)
    return build


SLACK_CLICK_REFUSALS: tuple[tuple[str, Callable[[bytes, Hdrs], tuple[bytes, Hdrs]]], ...] = (
    ("ce-gzip-real", lambda body, headers: (gzip.compress(body), [*headers, ("Content-Encoding", "gzip")])),
    ("charset-utf16-label", lambda body, headers: (body, [("Content-Type", FORM + "; charset=utf-16")])),
    ("charset-latin1-label", lambda body, headers: (body, [("Content-Type", FORM + "; charset=iso-8859-1")])),
    ("headers-33k", lambda body, headers: (body, [*headers, ("X-Hostile-Pad", "p" * PAD_HEADER)])),
    ("body-over-1mib", lambda body, headers: (body + b"&hostile_pad=" + b"p" * PAD_BODY, headers)),
)


def approvals_cases() -> list[Case]:
    cases = [
        approval_case("twice", "approve", "alice"),
        approval_case("approve_then_deny", "deny", "bob"),
        approval_case("withdraw", "deny", "carol"),
    ]
    steps: list[Step] = [Step("POST", "/slack/events", REFUSAL, raw=slack_click_refused("slack_then_http", mutate))
                         for _, mutate in SLACK_CLICK_REFUSALS]
    steps.append(Step("POST", "/approvals", FRAMING, raw=torn_decision("slack_then_http"), half_close=True))
    steps.append(Step("POST", "/approvals", OK_2XX, raw=decide("slack_then_http", "approve", "carol"), enqueue=1))
    steps.append(Step("POST", "/approvals", REFUSAL, raw=decide("slack_then_http", "deny", "bob"),
                      status=frozenset({409}), enqueue=0))
    cases.append(Case("ap10-slack-clicks-refused-then-http-approve", "approvals", "semantic",
                      "Slack Approve clicks refused for their coding, charset or size, and a decision torn off by "
                      "a half-closing client, decide nothing; the HTTP approval after them succeeds, and a deny "
                      "after that is 409.", tuple(steps)))
    steps = [Step("POST", "/approvals", REFUSAL,
                  raw=decide("deny_then_approve", "approve", "alice", m_header("Content-Encoding", coding)))
             for coding in ("deflate", "br", "zstd", "x-gzip", "gzip, identity", "identity, gzip")]
    steps += [Step("POST", "/approvals", OK_2XX, raw=decide("deny_then_approve", "deny", "alice"), enqueue=1),
              Step("POST", "/approvals", REFUSAL, raw=decide("deny_then_approve", "approve", "bob"),
                   status=frozenset({409}), enqueue=0)]
    cases.append(Case("ap10-codings-refused-then-deny", "approvals", "protocol",
                      "Approvals carrying six content codings (a compressed body is 415 at every door that reads "
                      "one) approve nothing; the deny after them succeeds and an approve after that is 409.",
                      tuple(steps)))
    return cases


# ----------------------------------------------------------------------------- MCP

def mcp_headers(ctx: Ctx, session: str | None = None, content_type: str = "application/json") -> Hdrs:
    headers: Hdrs = [("Content-Type", content_type), ("Accept", MCP_ACCEPT),
                     ("Authorization", f"Bearer {ctx.keys.mcp_token}")]
    if session is not None:
        headers += [("Mcp-Session-Id", session), ("MCP-Protocol-Version", ctx.mcp_protocol)]
    return headers


def mcp_call(rpc_id: Any, method: str = "tools/list", params: Any = None) -> bytes:
    return P.dumps(P.rpc(method, params if params is not None else {}, id_=rpc_id))


McpMutate = Callable[[bytes, Hdrs], tuple[bytes, Hdrs]]

MCP_REFUSALS: tuple[tuple[str, McpMutate, str], ...] = (
    ("ce-gzip-real", lambda body, headers: (gzip.compress(body), [*headers, ("Content-Encoding", "gzip")]), "protocol"),
    ("ce-deflate-label", lambda body, headers: (body, [*headers, ("Content-Encoding", "deflate")]), "protocol"),
    ("charset-utf16le-real", lambda body, headers: (
        body.decode().encode("utf-16-le"),
        [(k, "application/json; charset=utf-16le" if k == "Content-Type" else v) for k, v in headers]), "protocol"),
    ("charset-latin1-label", lambda body, headers: (
        body, [(k, "application/json; charset=iso-8859-1" if k == "Content-Type" else v) for k, v in headers]),
     "protocol"),
    ("headers-33k", lambda body, headers: (body, [*headers, ("X-Hostile-Pad", "p" * PAD_HEADER)]), "protocol"),
    ("json-dup-key", lambda body, headers: (b'{"hostile":1,"hostile":2,' + body[1:], headers), "json"),
    ("json-nan", lambda body, headers: (b'{"hostile":NaN,' + body[1:], headers), "json"),
    ("json-truncated", lambda body, headers: (body[:-2], headers), "json"),
    ("auth-wrong-token", lambda body, headers: (
        body, [(k, "Bearer " + "0" * 32 if k == "Authorization" else v) for k, v in headers]), "auth"),
)


def mcp_main(rpc_id: Any, mutate: McpMutate | None = None, method: str = "tools/list") -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        body, headers = mcp_call(rpc_id, method), mcp_headers(ctx, ctx.mcp_session)
        if mutate is not None:
            body, headers = mutate(body, headers)
        return wire("POST", "/mcp", host, headers, body)
    return build


def mcp_id_reuse_case(slug: str, mutate: McpMutate, group: str, rpc_id: Any) -> Case:
    name = f"mcp10-id-reused-after-{slug}-{type(rpc_id).__name__}"
    return Case(name, "mcp", group,
                "A tools/list refused before JSON-RPC dispatch (coding, charset, head size, JSON, token) must not "
                "record its request id on the session; the same id in a valid request is answered with a result.",
                (Step("POST", "/mcp", REFUSAL, raw=mcp_main(rpc_id, mutate)),
                 Step("POST", "/mcp", frozenset({ACCEPTED}), raw=mcp_main(rpc_id))))


def open_side_session(ctx: Ctx, host: str) -> str:
    init = P.dumps(P.initialize(ctx.mcp_protocol))
    reply = send(host, wire("POST", "/mcp", host, mcp_headers(ctx), init))
    session = reply.header("mcp-session-id") or ""
    if reply.status != 200 or not session:
        return ""
    note = P.dumps(P.rpc("notifications/initialized", id_=None))
    send(host, wire("POST", "/mcp", host, mcp_headers(ctx, session), note))
    return session


def side_session_survives(name: str) -> Raw:
    """A fresh session takes every refusal in MCP_REFUSALS; each must be a 4xx or a JSON-RPC error, and
    the request this builder returns (tools/list on that session) must still get a result."""
    def build(ctx: Ctx, host: str) -> bytes:
        session = open_side_session(ctx, host)
        if not session:
            return side_failed(name, host, "no side session")
        for slug, mutate, _ in MCP_REFUSALS:
            body, headers = mutate(mcp_call(f"side-{slug}"), mcp_headers(ctx, session))
            reply = send(host, wire("POST", "/mcp", host, headers, body))
            refused = reply.status is not None and 400 <= reply.status < 500
            if not refused and not any("error" in m for m in jsonrpc_messages(reply)):
                return side_failed(name, host, f"{slug} answered {reply.status}")
        return wire("POST", "/mcp", host, mcp_headers(ctx, session), mcp_call("after-refusals"))
    return build


def refused_initialize(mutate: McpMutate) -> Raw:
    def build(ctx: Ctx, host: str) -> bytes:
        body, headers = mutate(P.dumps(P.initialize(ctx.mcp_protocol)), mcp_headers(ctx))
        return wire("POST", "/mcp", host, headers, body)
    return build


def mcp_race(name: str) -> Raw:
    """Four refused and four valid tools/list calls with one id on the main session at once: every valid
    one gets a result or a JSON-RPC error (never a 5xx), every refused one a 4xx or an error."""
    def build(ctx: Ctx, host: str) -> bytes:
        good = wire("POST", "/mcp", host, mcp_headers(ctx, ctx.mcp_session), mcp_call("race-10"))
        bad = mcp_main("race-10", MCP_REFUSALS[0][1])(ctx, host)
        answers = race(host, [bad] * 4 + [good] * 4)
        for index, answer in enumerate(answers):
            status = answer.status if answer is not None else None
            if answer is None or answer.status is None or answer.status >= 500:
                return side_failed(name, host, f"copy {index} answered {status}")
            if index < 4 and answer.status < 400 and not any("error" in m for m in jsonrpc_messages(answer)):
                return side_failed(name, host, f"refused copy answered {status}")
        return good
    return build


def mcp_cases() -> list[Case]:
    cases: list[Case] = []
    for slug, mutate, group in MCP_REFUSALS:
        cases.append(mcp_id_reuse_case(slug, mutate, group, 1010))
        cases.append(mcp_id_reuse_case(slug, mutate, group, f"id-{slug}"))
    for slug, mutate, group in MCP_REFUSALS:
        if slug == "auth-wrong-token":
            continue
        cases.append(Case(f"mcp10-initialize-refused-{slug}", "mcp", group,
                          "An initialize refused by one gate opens no session; the main session still answers.",
                          (Step("POST", "/mcp", REFUSAL, raw=refused_initialize(mutate)),
                           Step("POST", "/mcp", frozenset({ACCEPTED}), raw=mcp_main(f"after-init-{slug}")))))
    cases.append(Case("mcp10-side-session-survives-every-refusal", "mcp", "semantic",
                      "A session that received every refusal of this round is still usable (the transport spec "
                      "ends a session only by DELETE or server decision; a refused request is not one).",
                      (Step("POST", "/mcp", frozenset({ACCEPTED}), raw=side_session_survives(
                          "mcp10-side-session-survives-every-refusal")),)))
    cases.append(Case("mcp10-race-refused-and-valid-same-id", "mcp", "semantic",
                      "Refused and valid calls with one id racing on one session: no 5xx, refusals refused; then "
                      "one more valid call with the id gets a result.",
                      (Step("POST", "/mcp", frozenset({ACCEPTED, REFUSED}), raw=mcp_race(
                          "mcp10-race-refused-and-valid-same-id")),
                       Step("POST", "/mcp", frozenset({ACCEPTED}), raw=mcp_main("race-10-after")))))
    return cases


# ----------------------------------------------------------------------------- controls

def control_cases(suffix: str) -> list[Case]:
    cases = [Case(f"{door}10-ctl-{suffix}", DOOR_NAME[door], "control",
                  "A plain valid delivery: accepted once, its redelivery joins or is a replay.",
                  twin_steps(door, f"{door}10-ctl-{suffix}")) for door in DOORS]
    cases.append(Case(f"ap10-ctl-list-{suffix}", "approvals", "control", "GET /approvals with the token: 200.",
                      (Step("GET", "/approvals", frozenset({IGNORED}), headers=(), auth="api", framing="none"),)))
    cases.append(Case(f"mcp10-ctl-tools-list-{suffix}", "mcp", "control", "tools/list on the main session.",
                      (Step("POST", "/mcp", frozenset({ACCEPTED}), raw=mcp_main(f"ctl-{suffix}")),)))
    return cases


def build_cases() -> tuple[Case, ...]:
    cases = control_cases("first")
    for gate in GATES:
        for door in gate[3]:
            cases.append(gate_case(door, gate))
    for door in DOORS:
        cases.append(torn_case(door))
        cases.append(trickle_case(door))
    for door in DOORS:
        cases.append(race_case(door, "ce-gzip-label", v_ce_label("gzip")))
        cases.append(race_case(door, "charset-utf16-label", v_charset_label("utf-16")))
    cases += approvals_cases()
    cases += mcp_cases()
    cases += control_cases("after-all")
    names = [case.name for case in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate case names: {sorted(duplicates)}")
    return tuple(cases)


CASES: tuple[Case, ...] = build_cases()

