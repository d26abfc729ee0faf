"""The third blind hostile catalogue: requests to every front door that rounds 1 and 2 likely left
out, each with the class of answer the public specifications and docs/frontdoors.md say it must get.

Written before reading agent/server/, guardrails/ or the tests, and knowing of rounds 1 and 2 only
their module docstrings and case names, from: RFC 9110/9112 (HTTP/1.0 and HTTP/0.9 request lines,
chunk extensions and trailers, transfer codings other than chunked, header counts and sizes around
the documented 32 KiB bound, request-target spellings), RFC 9113 (an HTTP/2 prior-knowledge preface
and an h2c upgrade sent to an HTTP/1.1 server), RFC 8259 (encodings, BOMs, duplicate names, numbers
out of range, lone surrogates, nesting around the documented depth bound in every field), RFC 1952
and 1950 (gzip and deflate bodies, wrong and stacked Content-Encodings), Alertmanager's webhook v4
(each envelope and alert field given the wrong JSON type, one at a time), PagerDuty's v3 webhooks
(signature lists and rotation, occurred_at spellings, the age window's edges, data missing piece by
piece), Slack's v0 signing, Events API, slash commands and interactivity (retries, the five-minute
window's edges, replays under another spelling, repeated form keys, wrong types inside payload=,
odd url_verification challenges, app_rate_limited), the MCP streamable HTTP transport 2025-06-18
(batches, notifications carrying ids, jsonrpc versions, odd Unicode in method names, tools/call
arguments, sessions deleted then reused, GET without the event-stream Accept) and the approvals API
(tokens, decisions twice, expiry, ids spelled as paths).

Every body that should be accepted names a unique incident (alert name, PagerDuty incident, Slack
text) per case and per run, so a control joins no earlier job. Where the sources leave the answer
open a step allows several classes; the runner still checks no 5xx, nothing enqueued unless
accepted, and the exact job count when accepted.

    CASES: tuple[Case, ...]   # .venv/bin/python benchmarks/frontdoors/run_hostile.py --catalogue 3
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from benchmarks.frontdoors import hostile_payloads as P
from benchmarks.frontdoors.hostile_client import encode, exchange, jsonrpc_messages
from benchmarks.frontdoors.hostile_model import (
    ACCEPTED,
    CLOSED,
    IGNORED,
    REDIRECT,
    REFUSED,
    Body,
    Case,
    Ctx,
    Headers,
    Signer,
    Step,
)

AM, PD, SL, AP, MCP = "/webhooks/alertmanager", "/webhooks/pagerduty", "/slack/events", "/approvals", "/mcp"
JSON_H: Headers = (("Content-Type", "application/json"),)
FORM_H: Headers = (("Content-Type", "application/x-www-form-urlencoded"),)
MCP_H: Headers = (("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"))

OK = frozenset({ACCEPTED})
IGN = frozenset({IGNORED})
REF = frozenset({REFUSED})
ACC_REF = frozenset({ACCEPTED, REFUSED})
ACC_IGN = frozenset({ACCEPTED, IGNORED})
IGN_REF = frozenset({IGNORED, REFUSED})
ANY_2XX_OR_REF = frozenset({ACCEPTED, IGNORED, REFUSED})
FRAMING = frozenset({REFUSED, CLOSED})
ACC_FRAMING = frozenset({ACCEPTED, REFUSED, CLOSED})
IGN_FRAMING = frozenset({IGNORED, REFUSED, CLOSED})
REF_REDIRECT = frozenset({REFUSED, REDIRECT})
SDK = "the MCP SDK's JSON-RPC handling"

RAW = "@@H3RAW@@"
"""A sentinel string value: `splice` replaces its quoted form with raw JSON text no encoder writes
(NaN, a key twice, 1e999, a lone surrogate escape)."""

Mutate = Callable[[dict[str, Any], Ctx], None]

CASES_LIST: list[Case] = []


def case(name: str, door: str, group: str, why: str, *steps: Step, outside: str = "") -> None:
    """Register a case; names are unique within the catalogue (checked at import)."""
    if any(c.name == name for c in CASES_LIST):
        raise ValueError(f"duplicate case name {name}")
    CASES_LIST.append(Case(name=name, door=door, group=group, why=why, steps=tuple(steps), outside=outside))


def splice(data: bytes, raw: str) -> bytes:
    """Put raw JSON text where the sentinel string was encoded."""
    quoted = json.dumps(RAW).encode()
    if quoted not in data:
        raise ValueError("sentinel not in body")
    return data.replace(quoted, raw.encode("utf-8", "surrogatepass"))


def low(ctx: Ctx, name: str, n: int = 8) -> str:
    """A per-run, per-case token in lower case, for names that must be unique (namespaces, workloads)."""
    return P.uid(ctx, "h3:" + name, n, "abcdefghjkmnpqrstvwxyz0123456789")


# ----------------------------------------------------------------------------- Alertmanager


def alertname(ctx: Ctx, name: str) -> str:
    return "H3" + P.uid(ctx, "am3:" + name, 10)


def am_payload(ctx: Ctx, name: str, status: str = "firing") -> dict[str, Any]:
    """A valid v4 notification for one alert whose name is unique to this case and run."""
    an = alertname(ctx, name)
    alert = P.am_alert(an, status)
    return P.am_payload(an, status, alerts=[alert])


def am_body(name: str, mutate: Mutate | None = None, raw: str | None = None, status: str = "firing",
            encode: Callable[[str], bytes] | None = None) -> Callable[[Ctx], bytes]:
    """The notification for `name`, changed by `mutate`; `raw` is spliced where the mutation put RAW;
    `encode` re-encodes the JSON text (UTF-16, a BOM, latin-1)."""

    def build(ctx: Ctx) -> bytes:
        payload = am_payload(ctx, name, status)
        if mutate is not None:
            mutate(payload, ctx)
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=encode is None)
        data = text.encode("utf-8")
        if raw is not None:
            data = splice(data, raw)
        if encode is not None:
            return encode(data.decode("utf-8", "surrogatepass"))
        return data

    return build


def alert0(p: dict[str, Any]) -> dict[str, Any]:
    alerts: list[dict[str, Any]] = p["alerts"]
    return alerts[0]


def set_top(**fields: Any) -> Mutate:
    def mutate(p: dict[str, Any], ctx: Ctx) -> None:
        p.update(fields)

    return mutate


def drop_top(key: str) -> Mutate:
    def mutate(p: dict[str, Any], ctx: Ctx) -> None:
        p.pop(key, None)

    return mutate


def set_alert(**fields: Any) -> Mutate:
    def mutate(p: dict[str, Any], ctx: Ctx) -> None:
        alert0(p).update(fields)

    return mutate


def set_label(key: str, value: Any) -> Mutate:
    def mutate(p: dict[str, Any], ctx: Ctx) -> None:
        alert0(p)["labels"][key] = value

    return mutate


def set_annotation(key: str, value: Any) -> Mutate:
    def mutate(p: dict[str, Any], ctx: Ctx) -> None:
        alert0(p)["annotations"][key] = value

    return mutate


def both(*mutations: Mutate) -> Mutate:
    def mutate(p: dict[str, Any], ctx: Ctx) -> None:
        for m in mutations:
            m(p, ctx)

    return mutate


def slug(value: Any) -> str:
    """A short, name-safe spelling of a JSON value, for case names."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if abs(value) < 2**53 else "bigint"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        text = "".join(ch if ch.isalnum() else "-" for ch in value[:36]).strip("-").lower()
        return "str-" + (text or "empty") + ("-long" if len(value) > 36 else "")
    if isinstance(value, list):
        return "list-" + (slug(value[0]).split("-")[0] if value else "empty")
    return "object"


def nested_list(depth: int, leaf: Any = "x") -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_obj(depth: int, leaf: Any = "x") -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def am(expect: frozenset[str], body: Body, **kw: Any) -> Step:
    kw.setdefault("auth", "am")
    return Step("POST", AM, expect, body, **kw)


def am_case(name: str, group: str, why: str, expect: frozenset[str], mutate: Mutate | None = None,
            raw: str | None = None, status: str = "firing", **kw: Any) -> None:
    case("am3-" + name, "alertmanager", group, why, am(expect, am_body(name, mutate, raw, status), **kw))


def wire(start: str, headers: list[str], body: bytes = b"") -> bytes:
    """A request exactly as written: start line, header lines, a blank line, the body."""
    return (start + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode("latin-1") + body


def am_raw(name: str, build: Callable[[Ctx, str, bytes], bytes], mutate: Mutate | None = None
           ) -> Callable[[Ctx, str], bytes]:
    """A raw request whose body is the case's notification: `build(ctx, host, body)` frames it."""

    def raw(ctx: Ctx, host: str) -> bytes:
        return build(ctx, host, am_body(name, mutate)(ctx))

    return raw


def am_auth(ctx: Ctx) -> str:
    return f"Authorization: Bearer {ctx.keys.am_token}"


def chunks(body: bytes, size: int = 64, ext: str = "", trailers: tuple[str, ...] = (),
           size_fmt: str = "{:x}", eol: bytes = b"\r\n") -> bytes:
    """A chunked body: each chunk line may carry an extension, the last chunk trailer fields."""
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += (size_fmt.format(len(piece)) + ext).encode("latin-1") + eol + piece + eol
    out += b"0" + ext.encode("latin-1") + eol
    for t in trailers:
        out += t.encode("latin-1") + eol
    return out + eol


def am_chunked(name: str, ext: str = "", trailers: tuple[str, ...] = (), size_fmt: str = "{:x}",
               eol: bytes = b"\r\n", te: str = "chunked", version: str = "HTTP/1.1",
               extra: tuple[str, ...] = ()) -> Callable[[Ctx, str], bytes]:
    def build(ctx: Ctx, host: str, body: bytes) -> bytes:
        return wire(f"POST {AM} {version}", [f"Host: {host}", "Connection: close", "Content-Type: application/json",
                                             am_auth(ctx), f"Transfer-Encoding: {te}", *extra],
                    chunks(body, ext=ext, trailers=trailers, size_fmt=size_fmt, eol=eol))

    return am_raw(name, build)


def am_plain(name: str, start: str | None = None, extra: tuple[str, ...] = (), host: bool = True,
             close: bool = True) -> Callable[[Ctx, str], bytes]:
    """A Content-Length request with a chosen start line and extra header lines."""

    def build(ctx: Ctx, hostport: str, body: bytes) -> bytes:
        lines = ([f"Host: {hostport}"] if host else []) + (["Connection: close"] if close else [])
        lines += ["Content-Type: application/json", am_auth(ctx), f"Content-Length: {len(body)}", *extra]
        return wire(start or f"POST {AM} HTTP/1.1", lines, body)

    return am_raw(name, build)


@cache
def gzip_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """About 64 KiB of gzip that inflates to 64 MiB of JSON whitespace: small on the wire, huge inflated."""
    return gzip.compress(b"{" + b" " * (size - 2) + b"}", 9)


@cache
def deflate_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """The zlib (RFC 1950) twin of `gzip_bomb`, for Content-Encoding: deflate."""
    return zlib.compress(b"[" + b" " * (size - 2) + b"]", 9)


@cache
def nested_gzip_bomb() -> bytes:
    """gzip inside gzip: a few hundred bytes that inflate twice to 64 MiB."""
    return gzip.compress(gzip_bomb(), 9)


def am_encoded(name: str, transform: Callable[[bytes], bytes]) -> Callable[[Ctx], bytes]:
    def build(ctx: Ctx) -> bytes:
        return transform(am_body(name)(ctx))

    return build


am_case("ctl-plain", "control", "a valid v4 notification: accepted once", OK)
am_case("ctl-resolved-zero-ends", "control",
        "firing with endsAt Go's zero time, as Alertmanager marshals it: accepted once", OK,
        set_alert(endsAt="0001-01-01T00:00:00Z"))
am_case("ctl-unicode-pair", "control", "a label value with a valid surrogate pair escape: accepted once", OK,
        set_annotation("summary", RAW), raw='"pod \\ud83d\\ude00 down"')

# -- the envelope's fields, each given the wrong JSON type, one at a time
_TOP_FIELDS: list[tuple[str, Any, frozenset[str]]] = [
    ("alerts", None, IGN_REF), ("alerts", "[]", REF), ("status", 1, REF),
    ("status", "firing ", REF), ("groupLabels", "alertname", REF), ("commonLabels", [["alertname", "x"]], REF),
    ("externalURL", 9093, ACC_REF), ("truncatedAlerts", True, REF), ("truncatedAlerts", 2**63, ACC_REF),
    ("version", "4.0", REF),
]
for _field, _value, _exp in _TOP_FIELDS:
    am_case(f"top-{_field.lower()}-{slug(_value)}", "json",
            f"envelope field {_field} = {json.dumps(_value)[:40]}: Alertmanager never marshals it so; a 4xx naming "
            "the field (or, for fields Vigil does not read, accepted), never a 5xx", _exp, set_top(**{_field: _value}))

# -- the alert's fields, one at a time
_ALERT_FIELDS: list[tuple[str, Any, frozenset[str]]] = [
    ("labels", None, REF), ("labels", [], REF), ("annotations", [], REF), ("status", "pending", REF),
    ("startsAt", 1700000000, REF), ("startsAt", "0001-01-01T00:00:00Z", ACC_REF),
    ("startsAt", "9999-12-31T23:59:59.999999999Z", ACC_REF), ("startsAt", "0000-01-01T00:00:00Z", ACC_REF),
    ("startsAt", "10000-01-01T00:00:00Z", REF), ("startsAt", "2024-02-30T00:00:00Z", REF),
    ("startsAt", "2016-12-31T23:59:60Z", ACC_REF),
    ("startsAt", "2024-06-01T10:00:00.1234567891234Z", ACC_REF), ("endsAt", 0, REF), ("fingerprint", ["a"], REF),
]
for _field, _value, _exp in _ALERT_FIELDS:
    am_case(f"alert-{_field.lower()}-{slug(_value)}", "json",
            f"alerts[0].{_field} = {json.dumps(_value)[:40]}: the alert typed as Alertmanager marshals it",
            _exp, set_alert(**{_field: _value}))

am_case("label-value-object", "json", "a label value that is an object: not a string, 422", REF,
        set_label("pod", {"name": "x"}))
am_case("annotation-value-list", "json", "an annotation value that is a list: not a string, 422", REF,
        set_annotation("runbook", ["a", "b"]))
am_case("label-value-200kb", "semantic",
        "one 200 KB label value (under the 1 MiB body bound): a 4xx, or accepted once without harm", ACC_REF,
        set_label("pod", "p" * 200_000))
am_case("label-value-1mb-over", "semantic", "a label value over 1 MiB: 413", REF, set_label("pod", "p" * 1_100_000))
am_case("groupkey-900kb", "semantic", "groupKey of 900 KB, just under the body bound: a 4xx or accepted once",
        ACC_REF, set_top(groupKey="g" * 900_000))
am_case("ends-before-starts-firing", "semantic",
        "a firing alert whose endsAt (a real time, not Go's zero) is an hour before its startsAt: 422 or accepted once",
        ACC_REF, set_alert(startsAt="2024-06-01T11:00:00Z", endsAt="2024-06-01T10:00:00Z"))
am_case("ends-equal-starts-resolved", "semantic",
        "a resolved alert whose endsAt equals startsAt: a resolution, ignored or accepted, never a 5xx",
        ACC_IGN | REF, set_alert(endsAt="2024-06-01T10:00:00Z", startsAt="2024-06-01T10:00:00Z"), status="resolved")
am_case("resolved-ends-future", "semantic", "resolved with endsAt in 2999: a resolution for an unknown incident",
        ANY_2XX_OR_REF, set_alert(endsAt="2999-01-01T00:00:00Z"), status="resolved")

# -- JSON text the encoder never writes, in different fields
for _tag, _where, _mutate, _lit in [
    ("nan", "label", set_label("pod", RAW), "NaN"),
    ("nan", "extra-field", set_top(vendorExtension=RAW), "NaN"),
    ("neg-inf", "truncated", set_top(truncatedAlerts=RAW), "-Infinity"),
    ("1e999", "extra-field", set_top(vendorExtension=RAW), "1e999"),
    ("neg-1e400", "truncated", set_top(truncatedAlerts=RAW), "-1e400"),
    ("lone-high", "label", set_label("pod", RAW), '"\\ud800"'),
    ("lone-low", "label-name", set_alert(labels=RAW), '{"alertname":"x","\\udc00":"v"}'),
    ("reversed-pair", "extra-field", set_top(vendorExtension=RAW), '"\\udc00\\ud800"'),
]:
    am_case(f"lit-{_tag}-in-{_where}", "json",
            f"{_lit} as the {_where}: the bounded parser refuses it before typing (400)", REF, _mutate, raw=_lit)
am_case("lit-bigint-in-extra", "json", "a 400-digit integer in an unknown field: refused as out of range or ignored",
        ACC_REF, set_top(vendorExtension=RAW), raw="9" * 400)
am_case("lit-negative-zero-truncated", "json", "truncatedAlerts -0: the integer zero, spelled oddly", ACC_REF,
        set_top(truncatedAlerts=RAW), raw="-0")
am_case("raw-surrogate-bytes", "json", "a label value with the UTF-8 bytes of a surrogate (ED A0 80): invalid UTF-8",
        REF, set_label("pod", RAW), raw='"\udfff"')

# -- duplicate keys at each depth
for _where, _mutate, _text in [
    ("label", set_label("severity", RAW), '"critical","severity":"info"'),
    ("annotation", set_annotation("summary", RAW), '"a","summary":"b"'),
    ("alert-startsat", set_alert(startsAt=RAW), '"2024-06-01T10:00:00Z","startsAt":"2024-06-01T11:00:00Z"'),
]:
    am_case(f"dup-key-{_where}", "json", f"a key named twice ({_where}): parsers disagree on which wins, so 400",
            REF, _mutate, raw=_text)

# -- nesting around the documented 32-level bound, in different fields
for _where, _mk in [("extra", lambda v: set_top(vendorExtension=v)), ("annotation", lambda v: set_annotation("x", v)),
                    ]:
    am_case(f"nest-40-lists-{_where}", "json", f"arrays nested 40 deep in {_where}: past 32 levels, 400", REF,
            _mk(nested_list(40)))
    if _where == "extra":
        am_case(f"nest-5000-objects-{_where}", "json", f"objects nested 5000 deep in {_where}: 400, no recursion "
                "error", REF, _mk(RAW), raw='{"a":' * 5000 + "1" + "}" * 5000)
am_case("nest-unclosed-100k", "json", "100k unclosed '[' in a field: truncated, 400", REF,
        set_top(vendorExtension=RAW), raw="[" * 100_000)

# -- encodings and charsets
_Enc = Callable[[str], bytes]
_ENCODINGS: list[tuple[str, str, _Enc, frozenset[str]]] = [
    ("utf16le-bom-declared", "application/json; charset=utf-16", lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
     ACC_REF),
    ("utf16be-no-bom", "application/json", lambda t: t.encode("utf-16-be"), ACC_REF),
    ("latin1-nonascii-declared", "application/json; charset=iso-8859-1", lambda t: t.encode("latin-1", "replace"),
     ACC_REF),
    ("latin1-nonascii-undeclared", "application/json", lambda t: t.encode("latin-1", "replace"), REF),
    ("bom-then-utf16-text", "application/json; charset=utf-8", lambda t: b"\xef\xbb\xbf" + t.encode("utf-16-le"),
     REF),
    ("cesu8-pair", "application/json",
     lambda t: t.replace("\U0001f600", "\ud83d\ude00").encode("utf-8", "surrogatepass"), REF),
]
for _nm, _ct, _enc, _exp in _ENCODINGS:
    case(f"am3-enc-{_nm}", "alertmanager", "protocol",
         f"body {_nm}: RFC 8259 requires UTF-8 between systems; a 4xx, or decoded and accepted once",
         am(_exp, am_body("enc-" + _nm, set_annotation("summary", "café \U0001f600 down"), encode=_enc),
            headers=((("Content-Type", _ct),))))

for _nm, _ce, _tr, _exp in [
    ("gzip-declared-plain-body", "gzip", lambda b: b, REF),
    ("gzip-stacked", "gzip, gzip", lambda b: gzip.compress(gzip.compress(b)), REF),
]:
    case(f"am3-ce-{_nm}", "alertmanager", "protocol",
         f"Content-Encoding '{_ce}': compressed bodies are 415, a wrong or stacked coding never inflates or 5xx",
         am(_exp, am_encoded("ce-" + _nm, _tr), headers=(("Content-Type", "application/json"),
                                                         ("Content-Encoding", _ce))))
case("am3-ce-deflate-bomb", "alertmanager", "protocol",
     "Content-Encoding: deflate over a zlib stream inflating to 64 MiB: 415 or 413, never inflated past the bound",
     am(REF, lambda ctx: deflate_bomb(), headers=(("Content-Type", "application/json"),
                                                   ("Content-Encoding", "deflate")), enqueue=0))
case("am3-ce-nested-gzip-bomb", "alertmanager", "protocol",
     "gzip inside gzip inflating to 64 MiB: 415 or 413, no inflation past the bound",
     am(REF, lambda ctx: nested_gzip_bomb(), headers=(("Content-Type", "application/json"),
                                                       ("Content-Encoding", "gzip, gzip")), enqueue=0))
# -- HTTP framing from RFC 9112 that rounds 1 and 2 named differently
case("am3-http10-content-length", "alertmanager", "protocol",
     "an HTTP/1.0 request with Host and Content-Length: a valid request, accepted once",
     am(OK, b"", raw=am_plain("http10", start=f"POST {AM} HTTP/1.0")))
case("am3-http10-chunked", "alertmanager", "protocol",
     "HTTP/1.0 with Transfer-Encoding: RFC 9112 6.1 says the framing is faulty; refuse or close, never queue twice",
     am(ACC_FRAMING, b"", raw=am_chunked("http10-chunked", version="HTTP/1.0")))
case("am3-http09", "alertmanager", "protocol", "an HTTP/0.9 request line: closed or 400",
     am(FRAMING, b"", raw=lambda ctx, host: f"POST {AM}\r\n\r\n".encode()))
case("am3-http-version-2", "alertmanager", "protocol", "HTTP/2.0 on a request line: refused, never a 505",
     am(FRAMING, b"", raw=am_plain("http20", start=f"POST {AM} HTTP/2.0")))
case("am3-h2-preface", "alertmanager", "protocol", "an HTTP/2 prior-knowledge preface (RFC 9113 3.4): closed or 400",
     am(FRAMING, b"", raw=lambda ctx, host: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                           + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"))
case("am3-h2c-upgrade", "alertmanager", "protocol",
     "Upgrade: h2c with HTTP2-Settings on a POST: the upgrade is ignored and the request served (or refused)",
     am(ACC_FRAMING, b"", raw=am_plain("h2c", extra=("Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
                                                   "Connection: Upgrade, HTTP2-Settings"), close=True)))
case("am3-te-gzip-chunked", "alertmanager", "protocol",
     "Transfer-Encoding: gzip, chunked: a coding the server cannot undo; refused (RFC's 501 would break the no-5xx "
     "promise)", am(FRAMING, b"", raw=am_chunked("te-gzip", te="gzip, chunked")))
case("am3-te-chunked-chunked", "alertmanager", "protocol", "chunked applied twice: refused or closed",
     am(FRAMING, b"", raw=am_chunked("te-cc", te="chunked, chunked")))
case("am3-chunk-ext-10kb", "alertmanager", "protocol", "a 10 KB chunk extension on every chunk: bounded, never slow",
     am(ACC_FRAMING, b"", raw=am_chunked("ext-10kb", ext=";x=" + "e" * 10_000)))
case("am3-chunk-size-0x", "alertmanager", "protocol", "chunk sizes spelled 0x40: not hex digits, closed or 400",
     am(FRAMING, b"", raw=am_chunked("0x", size_fmt="0x{:x}")))
case("am3-chunk-lf-only", "alertmanager", "protocol", "chunk lines ended by bare LF",
     am(ACC_FRAMING, b"", raw=am_chunked("lf", eol=b"\n")))
case("am3-chunk-trailer-harmless", "alertmanager", "protocol", "a trailer field after the last chunk",
     am(ACC_FRAMING, b"", raw=am_chunked("trailer", trailers=("X-Checksum: abc",))))
case("am3-chunk-trailer-2000", "alertmanager", "protocol", "2,000 trailer fields: the header bound holds for trailers",
     am(ACC_FRAMING, b"", raw=am_chunked("trailer-many", trailers=tuple(f"X-T{i}: {'v' * 20}" for i in range(2000)))))
case("am3-chunk-data-longer", "alertmanager", "protocol", "a chunk carrying more bytes than its size: framing error",
     am(FRAMING, b"", raw=am_raw("longer", lambda ctx, host, body: wire(
         f"POST {AM} HTTP/1.1", [f"Host: {host}", "Connection: close", "Content-Type: application/json",
                                 am_auth(ctx), "Transfer-Encoding: chunked"],
         f"{len(body) - 10:x}\r\n".encode() + body + b"\r\n0\r\n\r\n"))))
case("am3-chunk-missing-last", "alertmanager", "protocol", "chunks but no last chunk, then a half-close",
     am(FRAMING, b"", half_close=True, raw=am_raw("nolast", lambda ctx, host, body: wire(
         f"POST {AM} HTTP/1.1", [f"Host: {host}", "Connection: close", "Content-Type: application/json",
                                 am_auth(ctx), "Transfer-Encoding: chunked"],
         f"{len(body):x}\r\n".encode() + body + b"\r\n"))))
case("am3-headers-31kb", "alertmanager", "protocol", "headers totalling about 31 KiB, under the 32 KiB bound: accepted",
     am(OK, b"", raw=am_plain("h31", extra=tuple(f"X-Pad-{i}: {'a' * 1000}" for i in range(30)))))
case("am3-headers-33kb", "alertmanager", "protocol", "headers totalling about 33 KiB: 431",
     am(FRAMING, b"", raw=am_plain("h33", extra=tuple(f"X-Pad-{i}: {'a' * 1000}" for i in range(33)))))
case("am3-header-empty-name", "alertmanager", "protocol", "a header line with an empty name (': x')",
     am(FRAMING, b"", raw=am_plain("hempty", extra=(": x",))))
case("am3-header-obs-text", "alertmanager", "protocol", "a header value with obs-text bytes (0x80-0xFF, RFC 9110 5.5)",
     am(ACC_REF, b"", raw=lambda ctx, host: am_plain("hobs")(ctx, host).replace(
         b"Connection: close\r\n", b"Connection: close\r\nX-Note: caf\xe9 \xff\r\n", 1)))
case("am3-cl-2-64", "alertmanager", "protocol", "Content-Length 2^64 (overflows 64-bit): 413 or 400, no wait for it",
     am(FRAMING, b"", raw=am_raw("cl264", lambda ctx, host, body: wire(
         f"POST {AM} HTTP/1.1", [f"Host: {host}", "Connection: close", "Content-Type: application/json",
                                 am_auth(ctx), f"Content-Length: {2**64}"], body))))
for _slug, _path, _exp in [
    ("upper", AM.upper(), REF), ("double-slash", "/webhooks//alertmanager", REF_REDIRECT | OK),
    ("dot-segment", "/webhooks/./alertmanager", REF_REDIRECT | OK),
    ("dotdot-to-pagerduty", "/webhooks/alertmanager/../pagerduty", REF_REDIRECT),
    ("query-6kb", AM + "?a=" + "q" * 6000, OK | REF),
]:
    case(f"am3-path-{_slug}", "alertmanager", "protocol",
         f"the target {_path[:60]!r}: served (once) where it normalises to the route, else 404, never a 5xx",
         Step("POST", _path, _exp, am_body("path-" + _slug), auth="am"))
case("am3-method-connect", "alertmanager", "protocol", "CONNECT with an authority target: 400/405 or closed",
     am(FRAMING, b"", raw=lambda ctx, host: wire(f"CONNECT {host} HTTP/1.1", [f"Host: {host}", "Connection: close"])))
case("am3-auth-token-trailing-space", "alertmanager", "auth", "the right token followed by a space (trimmed by "
     "RFC 9110's OWS rules, so accepted, or refused; never a 5xx)", am(ACC_REF, am_body("tok-space"),
     sign=lambda body, ctx: [("Authorization", f"Bearer {ctx.keys.am_token} ")]))
case("am3-auth-token-upper", "alertmanager", "auth", "the token in upper case: a different secret, 401",
     am(REF, am_body("tok-upper"), sign=lambda body, ctx: [("Authorization", f"Bearer {ctx.keys.am_token.upper()}")]))
case("am3-auth-basic-token-as-password", "alertmanager", "auth",
     "basic auth with the bearer token as password (no basic user configured): 401",
     am(REF, am_body("tok-basic"), sign=lambda body, ctx: [
         ("Authorization", "Basic " + base64.b64encode(f"vigil:{ctx.keys.am_token}".encode()).decode())]))


# ----------------------------------------------------------------------------- PagerDuty

PdMutate = Callable[[dict[str, Any], Ctx], None]


def pd_body(name: str, mutate: PdMutate | None = None, raw: str | None = None, age_s: float = 5.0,
            event_type: str = "incident.triggered", prefix: bytes = b"", suffix: bytes = b"") -> Callable[[Ctx], bytes]:
    """A v3 webhook for an incident unique to this case and run; `mutate` gets the "event" object."""

    def build(ctx: Ctx) -> bytes:
        payload = P.pd_event(ctx, "h3:" + name, event_type, age_s)
        if mutate is not None:
            mutate(payload["event"], ctx)
        data = P.dumps(payload)
        if raw is not None:
            data = splice(data, raw)
        return prefix + data + suffix

    return build


def pd_sign(value: Callable[[bytes, Ctx], str]) -> Signer:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        return [("X-PagerDuty-Signature", value(body, ctx))]

    return sign


def hmac_hex(secret: str, body: bytes, algo: str = "sha256") -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, algo)).hexdigest()


def pd(expect: frozenset[str], body: Body, **kw: Any) -> Step:
    kw.setdefault("auth", "pd")
    return Step("POST", PD, expect, body, **kw)


def pd_case(name: str, group: str, why: str, *steps: Step) -> None:
    case("pd3-" + name, "pagerduty", group, why, *steps)


def ev_set(**fields: Any) -> PdMutate:
    def mutate(event: dict[str, Any], ctx: Ctx) -> None:
        event.update(fields)

    return mutate


def data_set(**fields: Any) -> PdMutate:
    def mutate(event: dict[str, Any], ctx: Ctx) -> None:
        event["data"].update(fields)

    return mutate


def data_drop(key: str) -> PdMutate:
    def mutate(event: dict[str, Any], ctx: Ctx) -> None:
        event["data"].pop(key, None)

    return mutate


def occurred(fmt: Callable[[Ctx], Any]) -> PdMutate:
    """occurred_at rewritten from the clock in another spelling (still five seconds old)."""

    def mutate(event: dict[str, Any], ctx: Ctx) -> None:
        event["occurred_at"] = fmt(ctx)

    return mutate


def _moment(ctx: Ctx, age_s: float = 5.0) -> datetime:
    return datetime.fromtimestamp(ctx.now - age_s, UTC)


pd_case("ctl-triggered", "control", "a valid incident.triggered: accepted once", pd(OK, pd_body("ctl-triggered")))
pd_case("ctl-new-secret-listed-first", "control",
        "rotation: v1 under the new secret, then v1 under the old one: accepted once",
        pd(OK, pd_body("ctl-new-first"), sign=pd_sign(
            lambda b, c: f"v1={hmac_hex(c.keys.pd_secrets[1], b)},v1={hmac_hex(c.keys.pd_secrets[0], b)}")))
for _nm, _sig, _exp in [
    ("space-after-comma",
     lambda b, c: f"v1={hmac_hex(c.keys.pd_secrets[0], b)}, v1={hmac_hex(c.keys.pd_secrets[1], b)}", ACC_REF),
    ("v2-scheme-valid-mac", lambda b, c: f"v2={hmac_hex(c.keys.pd_secrets[0], b)}", REF),
    ("v1-upper-scheme", lambda b, c: f"V1={hmac_hex(c.keys.pd_secrets[0], b)}", ACC_REF),
    ("trailing-equals", lambda b, c: f"v1={hmac_hex(c.keys.pd_secrets[0], b)}=", REF),
    ("secrets-joined-as-key", lambda b, c: f"v1={hmac_hex(','.join(c.keys.pd_secrets), b)}", REF),
    ("base64-digest", lambda b, c: "v1=" + base64.b64encode(bytes.fromhex(hmac_hex(c.keys.pd_secrets[0], b))).decode(),
     REF),
    ("v1-no-value-then-valid", lambda b, c: f"v1=,v1={hmac_hex(c.keys.pd_secrets[0], b)}", ACC_REF),
]:
    pd_case(f"sig-{_nm}", "auth", f"X-PagerDuty-Signature spelled '{_nm}': verified as bytes against each secret",
            pd(_exp, pd_body("sig-" + _nm), sign=pd_sign(_sig)))
pd_case("sig-over-unpadded-body", "auth", "a body sent with a trailing newline, signed without it: 401",
        pd(REF, pd_body("sig-unpadded", suffix=b"\n"), sign=pd_sign(
            lambda b, c: f"v1={hmac_hex(c.keys.pd_secrets[0], b[:-1])}")))
pd_case("bom-signed", "json", "a UTF-8 BOM before the JSON, signed with it: decoded or 400, once",
        pd(ACC_REF, pd_body("bom", prefix=b"\xef\xbb\xbf")))
pd_case("replay-other-secret", "semantic",
        "the same event resigned under the other rotation secret: the event id was accepted, 409",
        pd(OK, pd_body("replay-other")),
        pd(REF, pd_body("replay-other"), sign=pd_sign(lambda b, c: f"v1={hmac_hex(c.keys.pd_secrets[1], b)}")))
pd_case("replay-reserialised", "semantic",
        "the same event id with the body re-spaced (new bytes, new signature): 409, no second job",
        pd(OK, pd_body("replay-spaced")),
        pd(REF, lambda ctx: json.dumps(json.loads(pd_body("replay-spaced")(ctx)), indent=2).encode()))
for _nm, _fmt, _exp in [
    ("offset-plus-0200", lambda c: _moment(c).astimezone(timezone(timedelta(hours=2))).isoformat(
        timespec="milliseconds"), ACC_REF),
    ("no-fraction", lambda c: _moment(c).strftime("%Y-%m-%dT%H:%M:%SZ"), ACC_REF),
    ("nanoseconds", lambda c: _moment(c).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z", ACC_REF),
    ("lowercase-t-z", lambda c: _moment(c).strftime("%Y-%m-%dt%H:%M:%S.%fz"), ACC_REF),
    ("date-only", lambda c: _moment(c).strftime("%Y-%m-%d"), REF),
    ("year-0001", lambda c: "0001-01-01T00:00:00Z", REF),
    ("null", lambda c: None, REF),
    # type: ignore[return-value,arg-type]
]:
    pd_case(f"occurred-{_nm}", "semantic", f"occurred_at spelled {_nm}: an RFC 3339 time is read, anything else 400",
            pd(_exp, pd_body("occ-" + _nm, occurred(_fmt))))
pd_case("age-just-inside", "semantic", "an event 3,580 s old (max_age 3,600): accepted once",
        pd(OK, pd_body("age-in", age_s=3580)))
pd_case("age-just-outside", "semantic", "an event 3,620 s old: stale, 400", pd(REF, pd_body("age-out", age_s=3620)))
pd_case("future-just-inside", "semantic", "an event 280 s ahead: within five minutes, accepted once",
        pd(OK, pd_body("fut-in", age_s=-280)))
pd_case("future-just-outside", "semantic", "an event 320 s ahead: from_the_future, 400",
        pd(REF, pd_body("fut-out", age_s=-320)))
for _nm, _mutate, _exp in [
    ("data-empty-object", ev_set(data={}), REF),
    ("data-id-missing", data_drop("id"), REF),
    ("data-id-number", data_set(id=12345), REF),
    ("data-id-10kb", data_set(id="P" + "Q" * 10_000), REF),
    ("data-id-unicode-digits", data_set(id="P١٢٣٤٥٦"), REF),
    ("data-title-null", data_set(title=None), ACC_REF),
    ("event-id-missing", lambda e, c: e.pop("id"), REF),
    ("event-id-10kb", ev_set(id="01" + "A" * 10_000), REF),
    ("event-id-nul", ev_set(id="01ABC\u0000DEF"), REF),
    ("event-type-list", ev_set(event_type=["incident.triggered"]), REF),
    ("event-type-case", ev_set(event_type="incident.Triggered"), IGN_REF),
    ("event-type-suffix", ev_set(event_type="incident.triggered.v2"), IGN_REF),
]:
    pd_case(_nm, "json", f"{_nm}: the v3 event typed as PagerDuty sends it; a 4xx or (for fields Vigil does not read) "
            "accepted once", pd(_exp, pd_body(_nm, _mutate)))
pd_case("ping-without-data", "semantic", "pagey.ping with no data: answered 200, queues nothing",
        pd(IGN_REF, pd_body("ping-nodata", lambda e, c: e.pop("data"), event_type="pagey.ping")))
pd_case("dup-key-data-id", "json", "data.id named twice: 400", pd(REF, pd_body("dup-data-id", data_set(id=RAW),
        raw='"PABCDEF","id":"PZZZZZZ"')))
pd_case("lit-nan-priority", "json", "NaN as data.priority: 400", pd(REF, pd_body("nan-prio", data_set(priority=RAW),
        raw="NaN")))
pd_case("lone-surrogate-title", "json", "a lone surrogate in the title: 400",
        pd(REF, pd_body("sur-title", data_set(title=RAW), raw='"db \\ud800 down"')))
pd_case("nest-40-assignees", "json", "assignees nested 40 deep: 400",
        pd(REF, pd_body("nest-assignees", data_set(assignees=nested_list(40)))))
pd_case("title-over-limit", "json", "a 1.1 MB title: 413",
        pd(REF, pd_body("big-title", data_set(title="t" * 1_100_000))))
pd_case("chunked-trailer-signature", "auth",
        "the signature only in a chunked trailer: headers authenticate, trailers never do; 401 or closed",
        pd(FRAMING, b"", raw=lambda ctx, host: wire(
            f"POST {PD} HTTP/1.1", [f"Host: {host}", "Connection: close", "Content-Type: application/json",
                                    "Transfer-Encoding: chunked", "Trailer: X-PagerDuty-Signature"],
            chunks(pd_body("trailer-sig")(ctx), trailers=(
                "X-PagerDuty-Signature: " + P.pd_sig(ctx.keys.pd_secrets[0], pd_body("trailer-sig")(ctx)),)))))


# ----------------------------------------------------------------------------- Slack


def mention_text(ctx: Ctx, name: str) -> str:
    return f"<@U0LAN0Z89> pods crashlooping in namespace pay{low(ctx, name)}"


def mention_event(ctx: Ctx, name: str) -> dict[str, Any]:
    payload = P.slack_event(ctx, "h3:" + name)
    payload["event"]["text"] = mention_text(ctx, name)
    return payload


def sl_json(name: str, mutate: Callable[[dict[str, Any], Ctx], None] | None = None, raw: str | None = None,
            build: Callable[[Ctx], dict[str, Any]] | None = None) -> Callable[[Ctx], bytes]:
    """An Events API body: by default an app_mention with text unique to this case and run."""

    def make(ctx: Ctx) -> bytes:
        payload = build(ctx) if build is not None else mention_event(ctx, name)
        if mutate is not None:
            mutate(payload, ctx)
        data = P.dumps(payload)
        return splice(data, raw) if raw is not None else data

    return make


def slash_fields(ctx: Ctx, name: str) -> list[tuple[str, str]]:
    text = f"investigate checkout pods OOMKilled in namespace shop{low(ctx, name)}"
    return list(P.slash_form(ctx, "h3:" + name, text=text).items())


def slash_body(name: str, change: Callable[[list[tuple[str, str]], Ctx], list[tuple[str, str]]] | None = None
               ) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        fields = slash_fields(ctx, name)
        return P.form(change(fields, ctx) if change is not None else fields)

    return make


def slack_at(offset: int = 0, extra: tuple[tuple[str, str], ...] = (), ts: Callable[[Ctx], str] | None = None,
             transform: Callable[[str], str] | None = None) -> Signer:
    """Slack's v0 signature at a chosen timestamp (or timestamp spelling), with extra headers."""

    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        stamp = ts(ctx) if ts is not None else str(int(ctx.now) + offset)
        sig = P.slack_sig(ctx.keys.slack_secret, stamp, body)
        return [("X-Slack-Request-Timestamp", stamp),
                ("X-Slack-Signature", transform(sig) if transform is not None else sig), *extra]

    return sign


_PINNED: dict[tuple[str, str], str] = {}


def pinned_ts(key: str) -> Callable[[Ctx], str]:
    """A timestamp fixed at its first use in a run, so a later step re-sends the very same one."""

    def stamp(ctx: Ctx) -> str:
        return _PINNED.setdefault((ctx.tag, key), str(int(ctx.now) - 1))

    return stamp


def sl(expect: frozenset[str], body: Body, *, form_body: bool = False, **kw: Any) -> Step:
    kw.setdefault("auth", "slack")
    kw.setdefault("headers", FORM_H if form_body else JSON_H)
    return Step("POST", SL, expect, body, **kw)


def sl_case(name: str, group: str, why: str, *steps: Step) -> None:
    case("sl3-" + name, "slack", group, why, *steps)


def clicks_body(mutate: Callable[[dict[str, Any], Ctx], None], raw: str | None = None) -> Callable[[Ctx], bytes]:
    """A block_actions payload= form (for a button Vigil never posted), changed by `mutate`."""

    def make(ctx: Ctx) -> bytes:
        payload = P.block_actions(ctx, "apr_h3_" + low(ctx, "click", 12))
        mutate(payload, ctx)
        text = json.dumps(payload)
        if raw is not None:
            text = splice(text.encode(), raw).decode("utf-8", "surrogatepass")
        return P.form({"payload": text})

    return make


def click_set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any], Ctx], None]:
    def mutate(payload: dict[str, Any], ctx: Ctx) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def url_verification(challenge: Any) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        return P.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": challenge, "type": "url_verification"})

    return make


sl_case("ctl-mention", "control", "a signed app_mention: accepted once", sl(OK, sl_json("ctl-mention")))
sl_case("ctl-slash", "control", "a signed /vigil investigate: accepted once",
        sl(OK, slash_body("ctl-slash"), form_body=True))
for _nm, _off, _exp in [("past-298", -298, OK), ("past-302", -302, REF), ("ahead-298", 298, OK),
                        ("ahead-302", 302, REF)]:
    sl_case(f"ts-mention-{_nm}", "auth", f"a mention signed {_off:+d} s from now: inside five minutes accepted once, "
            "outside 401", sl(_exp, sl_json("ts-" + _nm), sign=slack_at(_off)))
sl_case("ts-slash-past-298", "auth", "a slash command signed 298 s ago: accepted once",
        sl(OK, slash_body("ts-slash-298"), form_body=True, sign=slack_at(-298)))
sl_case("ts-slash-ahead-302", "auth", "a slash command signed 302 s ahead: 401",
        sl(REF, slash_body("ts-slash-302"), form_body=True, sign=slack_at(302)))
sl_case("ts-click-past-302", "auth", "a button click signed 302 s ago: 401",
        sl(REF, clicks_body(lambda p, c: None), form_body=True, sign=slack_at(-302)))
for _nm, _ts, _exp in [
    ("leading-zeros", lambda c: "000" + str(int(c.now)), ACC_REF),
    ("milliseconds", lambda c: str(int(c.now * 1000)), REF),
]:
    sl_case(f"ts-spelled-{_nm}", "auth", f"X-Slack-Request-Timestamp spelled {_nm}, signed over that spelling: an "
            "integer read as bytes or refused, never a 5xx", sl(_exp, sl_json("tss-" + _nm), sign=slack_at(ts=_ts)))
sl_case("retry-num-1-joins", "semantic", "a mention, then Slack's retry (Retry-Num 1, http_timeout, re-signed): joins",
        sl(OK, sl_json("retry1")),
        sl(IGN, sl_json("retry1"), sign=slack_at(-1, (("X-Slack-Retry-Num", "1"),
                                                        ("X-Slack-Retry-Reason", "http_timeout")))))
sl_case("retry-num-4", "semantic", "a retry numbered 4 (Slack stops at 3): joins or is refused, no second job",
        sl(OK, sl_json("retry4")),
        sl(IGN_REF, sl_json("retry4"), sign=slack_at(-1, (("X-Slack-Retry-Num", "4"),
                                                            ("X-Slack-Retry-Reason", "http_error")))))
sl_case("retry-num-negative-first", "semantic", "a first delivery carrying Retry-Num -1: accepted once or refused",
        sl(ACC_REF, sl_json("retry-neg"), sign=slack_at(0, (("X-Slack-Retry-Num", "-1"),))))
sl_case("replay-slash", "auth", "a slash command replayed byte for byte: 409, one job",
        sl(OK, slash_body("replay-slash"), form_body=True),
        sl(REF, b"", form_body=True, replay_previous=True))
sl_case("replay-slash-upper-hex", "auth",
        "a slash command, then the same timestamp and body with the signature in upper-case hex: 401 or 409, "
        "never a second job", sl(OK, slash_body("replay-upper"), form_body=True, sign=slack_at(ts=pinned_ts("upper"))),
        sl(REF, slash_body("replay-upper"), form_body=True,
           sign=slack_at(ts=pinned_ts("upper"), transform=lambda sig: "v0=" + sig[3:].upper())))
sl_case("replay-url-verification", "auth", "a url_verification replayed: echoed again or 409, nothing queued",
        sl(IGN, url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")),
        sl(IGN_REF, b"", replay_previous=True))
sl_case("replay-after-refusal", "auth", "a signed request refused 422, sent again: still refused, nothing queued",
        sl(REF, sl_json("replay-422", lambda p, c: p["event"].update(channel=7))),
        sl(REF, b"", replay_previous=True))
sl_case("sig-same-ts-other-body", "auth", "a valid signature and timestamp attached to another body: 401",
        sl(REF, sl_json("other-body"), sign=lambda body, ctx: slack_at()(sl_json("other-body-orig")(ctx), ctx)))
for _nm, _change, _exp in [
    ("team-id-twice", lambda f, c: [("team_id", "T0OTHER00"), *f], REF),
    ("user-id-twice", lambda f, c: [*f, ("user_id", "U0OTHER00")], REF),
    ("channel-id-twice", lambda f, c: [("channel_id", "C0OTHER00"), *f], REF),
    ("text-twice-identical", lambda f, c: [*f, next(x for x in f if x[0] == "text")], ACC_REF),
    ("text-nul", lambda f, c: [x if x[0] != "text" else ("text", x[1] + "\x00rm") for x in f], ACC_REF),
    ("command-upper", lambda f, c: [x if x[0] != "command" else ("command", "/VIGIL") for x in f], ACC_REF | IGN),
]:
    sl_case(f"slash-{_nm}", "json", f"a slash-command form with {_nm}: an ambiguous field is refused, a harmless "
            "one accepted once", sl(_exp, slash_body("form-" + _nm, _change), form_body=True))
for _nm, _mutate, _raw in [
    ("type-number", click_set(("type",), 7), None),
    ("actions-string", click_set(("actions",), "approve"), None),
    ("value-number", click_set(("actions", 0, "value"), 12345), None),
    ("user-string", click_set(("user",), "U024BE7LH"), None),
    ("action-id-nan", click_set(("actions", 0, "action_id"), RAW), "NaN"),
    ("shortcut", click_set(("type",), "shortcut"), None),
    ("block-suggestion", click_set(("type",), "block_suggestion"), None),
    ("interactive-message-legacy", click_set(("type",), "interactive_message"), None),
]:
    sl_case(f"click-{_nm}", "json", f"payload= with {_nm}: typed before bolt sees it; a 4xx or ignored, never "
            "a decision", sl(IGN_REF, clicks_body(_mutate, _raw), form_body=True))
for _nm, _challenge, _exp in [
    ("number", 12345, IGN_REF), ("null", None, IGN_REF),
    ("crlf-header", "abc\r\nSet-Cookie: pwned=1", IGN_REF), ("64kb", "c" * 65536, IGN_REF),
]:
    sl_case(f"url-verification-{_nm}", "json", f"url_verification with a challenge that is {_nm}: echoed as text or "
            "refused; never a header injection or a job", sl(_exp, url_verification(_challenge)))
sl_case("url-verification-lone-surrogate", "json", "a challenge with a lone surrogate escape: 400",
        sl(REF, lambda ctx: splice(url_verification(RAW)(ctx), '"\\ud800"')))
for _nm, _mutate, _exp in [
    ("app-rate-limited-minute-string", lambda p, c: p.update(minute_rate_limited="soon"), IGN_REF),
    ("app-rate-limited-other-app", lambda p, c: p.update(api_app_id="A0OTHER000"), IGN_REF),
]:
    sl_case(_nm, "semantic", f"{_nm}: Slack's rate-limit notice, odd; 200 ignored or a 4xx, nothing queued",
            sl(_exp, sl_json(_nm, _mutate, build=lambda c: {
                "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "app_rate_limited", "team_id": P.TEAM,
                "minute_rate_limited": int(c.now) // 60 * 60, "api_app_id": P.APP})))
sl_case("app-rate-limited-unsigned", "auth", "app_rate_limited without a signature: 401",
        sl(REF, lambda c: P.dumps({"type": "app_rate_limited", "team_id": P.TEAM, "api_app_id": P.APP,
                                   "minute_rate_limited": int(c.now) // 60 * 60}), auth=None))


def event_type_set(event_type: str) -> Callable[[dict[str, Any], Ctx], None]:
    def mutate(payload: dict[str, Any], ctx: Ctx) -> None:
        payload["event"]["type"] = event_type

    return mutate


for _etype in ("app_uninstalled", "tokens_revoked"):
    sl_case(f"event-{_etype.replace('_', '-')}", "semantic", f"a signed {_etype} event: 200 ignored, nothing queued",
            sl(IGN, sl_json("ev-" + _etype, event_type_set(_etype))))
sl_case("event-type-missing", "json", "an event_callback whose event has no type: ignored or 4xx",
        sl(IGN_REF, sl_json("ev-notype", lambda p, c: p["event"].pop("type"))))
sl_case("event-blocks-nest-40", "json", "an app_mention with blocks nested 40 deep: 400",
        sl(REF, sl_json("blocks-deep", lambda p, c: p["event"].update(blocks=nested_list(40)))))
sl_case("event-text-lone-surrogate", "json", "mention text with a lone surrogate escape: 400",
        sl(REF, sl_json("text-sur", lambda p, c: p["event"].update(text=RAW), raw='"<@U0LAN0Z89> \\udfff"')))


# ----------------------------------------------------------------------------- MCP streamable HTTP


def mc(expect: frozenset[str], body: Body, **kw: Any) -> Step:
    kw.setdefault("auth", "mcp_session")
    kw.setdefault("headers", MCP_H)
    return Step("POST", MCP, expect, body, **kw)


def mcp_case(name: str, group: str, why: str, *steps: Step, outside: str = SDK) -> None:
    case("mcp3-" + name, "mcp", group, why, *steps, outside=outside)


def rpc_raw(method: Any = "tools/list", params: Any = None, id_: Any = 1, raw: str | None = None,
            **extra: Any) -> Callable[[Ctx], bytes]:
    """One JSON-RPC message; `raw` replaces the sentinel wherever the arguments put it."""

    def make(ctx: Ctx) -> bytes:
        msg = P.rpc(method if isinstance(method, str) else "x", params, id_)
        if not isinstance(method, str):
            msg["method"] = method
        msg.update(extra)
        data = P.dumps(msg)
        return splice(data, raw) if raw is not None else data

    return make


def call(arguments: Any, name: Any = "investigate", raw: str | None = None) -> Callable[[Ctx], bytes]:
    return rpc_raw("tools/call", {"name": name, "arguments": arguments}, 11, raw)


_SESSIONS: dict[tuple[str, str], str] = {}


def fresh_session(ctx: Ctx, host: str, key: str) -> str:
    """A second MCP session of this run, opened on first use (initialize, then initialized), so a case
    can delete it without touching the session every other case uses."""
    if (ctx.tag, key) in _SESSIONS:
        return _SESSIONS[(ctx.tag, key)]
    address, _, port = host.rpartition(":")
    init = Step("POST", MCP, OK, P.dumps(P.initialize(ctx.mcp_protocol)), headers=MCP_H, auth="mcp")
    try:
        reply = exchange(address, int(port), encode(init, ctx, host))
    except OSError:
        return ""  # no server: the step then carries an empty session id, which must be refused anyway
    session = reply.header("mcp-session-id") or ""
    if session and jsonrpc_messages(reply):
        saved, ctx.mcp_session = ctx.mcp_session, session
        try:
            note = Step("POST", MCP, IGN, P.dumps(P.rpc("notifications/initialized", id_=None)), headers=MCP_H,
                        auth="mcp_session")
            exchange(address, int(port), encode(note, ctx, host))
        finally:
            ctx.mcp_session = saved
    _SESSIONS[(ctx.tag, key)] = session
    return session


def on_fresh_session(method: str, key: str, body: Body = b"", accept: str = "application/json, text/event-stream",
                     extra: tuple[str, ...] = ()) -> Callable[[Ctx, str], bytes]:
    """A request on the case's own second session (`key`), written raw so the session id is read late."""

    def raw(ctx: Ctx, host: str) -> bytes:
        session = fresh_session(ctx, host, key)
        data = body(ctx) if callable(body) else body
        lines = [f"Host: {host}", "Connection: close", f"Authorization: Bearer {ctx.keys.mcp_token}",
                 f"Mcp-Session-Id: {session}", f"MCP-Protocol-Version: {ctx.mcp_protocol}", f"Accept: {accept}",
                 *extra]
        if data or method == "POST":
            lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        return wire(f"{method} {MCP} HTTP/1.1", lines, data)

    return raw


def session_header(value: str) -> Signer:
    def sign(body: bytes, ctx: Ctx) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {ctx.keys.mcp_token}"), ("Mcp-Session-Id", value),
                ("MCP-Protocol-Version", ctx.mcp_protocol)]

    return sign


TOOLS_LIST = P.dumps(P.rpc("tools/list", {}, 1))
mcp_case("ctl-tools-list", "control", "tools/list on the negotiated session: a result", mc(OK, TOOLS_LIST))
mcp_case("batch-notification-and-request", "protocol",
         "a batch of a notification and a ping (batches left JSON-RPC over MCP in 2025-06-18): refused",
         mc(REF, P.dumps([P.rpc("notifications/initialized", id_=None), P.rpc("ping", id_=2)])))
mcp_case("batch-nested", "protocol", "a batch holding a batch: refused", mc(REF, P.dumps([[P.rpc("ping", id_=3)]])))
mcp_case("batch-bad-tool-call", "protocol", "a batch of one tools/call with a wrong-typed question: refused",
         mc(REF, lambda ctx: b"[" + call({"question": 5})(ctx) + b"]"))
mcp_case("batch-30000-over-limit", "protocol", "30,000 pings in one batch (about 1.3 MB): 413 or 400",
         mc(REF, P.dumps([P.rpc("ping", id_=i) for i in range(30_000)])))
mcp_case("notification-initialized-with-id", "protocol",
         "notifications/initialized carrying an id: a request to an unknown method, or ignored",
         mc(IGN_REF, P.dumps(P.rpc("notifications/initialized", id_=7))))
for _nm, _version in [("trailing-space", "2.0 "), ("number", 2.0), ("null", None),
                      ]:
    mcp_case(f"jsonrpc-{_nm}", "json", f"jsonrpc {_version!r}: only the string '2.0' is JSON-RPC 2.0; -32600",
             mc(REF, rpc_raw("ping", None, 9, jsonrpc=_version)))
for _nm, _method in [("nul", "tools/list\u0000"), ("division-slash", "tools\u2215list"),
                     ("fullwidth", "ｔｏｏｌｓ/list"), ("zero-width-space", "tools/list\u200b"),
                     ("100kb", "tools/" + "l" * 100_000)]:
    mcp_case(f"method-{_nm}", "json", f"method name {_nm}: no such method, -32601, never a near match",
             mc(REF, rpc_raw(_method, {}, 10)))
mcp_case("method-lone-surrogate", "json", "a method name with a lone surrogate escape: 400, -32700",
         mc(REF, rpc_raw(RAW, None, 10, raw='"tools/\\ud800list"')), outside="")
mcp_case("method-object", "json", "method as an object: -32600", mc(REF, rpc_raw({"name": "ping"}, None, 10)))
for _nm, _args, _exp in [
    ("question-null", {"question": None}, REF),
    ("question-list", {"question": ["checkout", "OOMKilled"]}, REF),
    ("question-empty", {"question": ""}, ACC_REF),
    ("question-nan", {"question": RAW}, REF),
    ("labels-numbers", {"question": "checkout pods OOMKilled", "labels": {"namespace": 5, "replicas": 3}}, REF),
    ("output-pdf", {"question": "checkout pods OOMKilled in namespace shop", "output": "pdf"}, REF),
    ("budget-negative", {"question": "checkout pods OOMKilled in namespace shop", "budget_tokens": -1}, REF),
    ("payload-string", {"question": "checkout pods OOMKilled", "alertmanager_payload": '{"alerts": []}'}, REF),
    ("extra-fields-no-question", {"evil": True, "__proto__": {"admin": True}}, REF),
    ("nest-70", {"labels": nested_obj(70)}, REF),
]:
    mcp_case(f"call-{_nm}", "json", f"tools/call investigate with {_nm}: refused as a JSON-RPC error or an isError "
             "result, never an investigation of garbage", mc(_exp, call(_args, raw="NaN" if _nm == "question-nan"
                                                                        else None)))
mcp_case("call-question-2mb", "json", "a 2 MB question: over the body bound, 413 or -32600",
         mc(REF, call({"question": "q" * 2_000_000})))
mcp_case("call-name-nul", "json", "tools/call of 'investigate\\u0000': no such tool",
         mc(REF, call({"question": "x"}, name="investigate\u0000")))
mcp_case("call-name-null", "json", "tools/call with name null: -32602", mc(REF, call({"question": "x"}, name=None)))
mcp_case("call-params-missing", "json", "tools/call without params: -32602", mc(REF, rpc_raw("tools/call", None, 12)))
mcp_case("call-extra-field-with-question", "semantic",
         "a valid question plus an unknown argument: refused, or the investigation runs once and answers",
         mc(ACC_REF, call({"question": "checkout pods OOMKilled in namespace shop", "shell": "rm -rf /"})))
mcp_case("delete-session-then-use", "protocol",
         "DELETE of a second session, then a request on it (404), then DELETE again; the main session survives",
         mc(IGN, b"", raw=on_fresh_session("DELETE", "deleted")),
         mc(REF, b"", raw=on_fresh_session("POST", "deleted", TOOLS_LIST)),
         mc(IGN_REF, b"", raw=on_fresh_session("DELETE", "deleted")),
         mc(OK, TOOLS_LIST))
mcp_case("get-sse-no-accept", "protocol", "GET on a live session without Accept: text/event-stream: 405 or 406",
         Step("GET", MCP, REF, b"", headers=(), auth="mcp_session"))
mcp_case("get-sse-last-event-id-garbage", "protocol",
         "GET with the event-stream Accept and a garbage Last-Event-ID: a stream (held open) or 4xx",
         mc(IGN_REF, b"", raw=on_fresh_session("GET", "sse", accept="text/event-stream",
                                            extra=("Last-Event-ID: ../../%00" + "x" * 500,))))
mcp_case("accept-sse-only", "protocol", "POST with Accept: text/event-stream only (the spec asks for both): 406",
         mc(frozenset({REFUSED, ACCEPTED}), TOOLS_LIST,
            headers=(("Content-Type", "application/json"), ("Accept", "text/event-stream"))))
for _nm, _value in [("space", "abc def"), ("non-ascii", "séssion-1"), ]:
    mcp_case(f"session-id-{_nm}", "auth", f"Mcp-Session-Id {_nm} (the spec allows visible ASCII only): 400 or 404",
             mc(REF, TOOLS_LIST, sign=session_header(_value)))
mcp_case("body-utf16", "json", "a UTF-16 JSON-RPC body: 400", mc(REF, TOOLS_LIST.decode().encode("utf-16")))
mcp_case("body-bom", "json", "a UTF-8 BOM before the JSON-RPC body", mc(ACC_REF, b"\xef\xbb\xbf" + TOOLS_LIST))
mcp_case("body-gzip", "protocol", "a gzip body with Content-Encoding: gzip: 415 or 400",
         mc(REF, gzip.compress(TOOLS_LIST), headers=(*MCP_H, ("Content-Encoding", "gzip"))), outside="")
mcp_case("initialize-ancient-version", "semantic",
         "initialize asking for protocol 1900-01-01: the server offers its own version, or refuses",
         mc(ACC_REF, P.dumps(P.initialize("1900-01-01")), auth="mcp"))
for _nm, _id, _exp in [("negative", -1, OK), ("empty-string", "", ACC_REF),
                       ]:
    mcp_case(f"id-{_nm}", "json", f"a ping with id {_id!r}: ids are strings or integers", mc(_exp, rpc_raw("ping", None,
                                                                                                        _id)))
mcp_case("headers-33kb", "protocol", "33 KiB of headers on a tools/list: 431 or closed",
         mc(FRAMING, TOOLS_LIST, headers=MCP_H + tuple((f"X-Pad-{i}", "p" * 1000) for i in range(33))), outside="")
mcp_case("chunked-trailer", "protocol", "a chunked tools/list with a trailer field",
         mc(frozenset({ACCEPTED, REFUSED, CLOSED}), b"", raw=lambda ctx, host: wire(
             f"POST {MCP} HTTP/1.1", [f"Host: {host}", "Connection: close", "Content-Type: application/json",
                                      "Accept: application/json, text/event-stream",
                                      f"Authorization: Bearer {ctx.keys.mcp_token}",
                                      f"Mcp-Session-Id: {ctx.mcp_session}", f"MCP-Protocol-Version: {ctx.mcp_protocol}",
                                      "Transfer-Encoding: chunked"], chunks(TOOLS_LIST, trailers=("X-Done: 1",)))),
         outside="")
mcp_case("ctl-after-all", "control", "tools/list on the same session after everything above: still a result",
         mc(OK, TOOLS_LIST))


# ----------------------------------------------------------------------------- approvals API


def ap_raw(method: str, path: Callable[[Ctx], str], body: Body = b"", token: Callable[[Ctx], str] | None = None
           ) -> Callable[[Ctx, str], bytes]:
    """An approvals request whose target holds a seeded approval id (known only at run time)."""

    def raw(ctx: Ctx, host: str) -> bytes:
        data = body(ctx) if callable(body) else body
        credential = token(ctx) if token is not None else f"Bearer {ctx.keys.api_token}"
        lines = [f"Host: {host}", "Connection: close", f"Authorization: {credential}"]
        if data or method == "POST":
            lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        return wire(f"{method} {path(ctx)} HTTP/1.1", lines, data)

    return raw


def decision(approver: str = "alice", note: str = "looks right", raw: str | None = None) -> Callable[[Ctx], bytes]:
    def make(ctx: Ctx) -> bytes:
        data = P.dumps({"approver": approver, "note": note})
        return splice(data, raw) if raw is not None else data

    return make


def ap(expect: frozenset[str], method: str, path: Callable[[Ctx], str], body: Body = b"", **kw: Any) -> Step:
    token = kw.pop("token", None)
    return Step(method, AP, expect, b"", auth="api", raw=ap_raw(method, path, body, token), **kw)


def ap_case(name: str, group: str, why: str, *steps: Step) -> None:
    case("ap3-" + name, "approvals", group, why, *steps)


def seeded(role: str, verb: str = "approve", fmt: str = "/approvals/{id}/{verb}") -> Callable[[Ctx], str]:
    return lambda ctx: fmt.format(id=ctx.approvals.get(role, "missing"), verb=verb)


DECIDES = frozenset({ACCEPTED, IGNORED})
"""A decision that stands: 200, and (for an approval of a proposed fix) one job queued."""

ap_case("ctl-list", "control", "GET /approvals with the token: 200, nothing queued",
        ap(IGN, "GET", lambda ctx: AP))
for _nm, _token in [("upper-token", lambda c: f"Bearer {c.keys.api_token.upper()}"),
                    ("token-scheme", lambda c: f"Token {c.keys.api_token}"),
                    ("am-token", lambda c: f"Bearer {c.keys.am_token}")]:
    ap_case(f"auth-{_nm}", "auth", f"approve with the credential spelled {_nm}: 401, nothing decided",
            ap(REF, "POST", seeded("twice"), decision(), token=_token))
ap_case("approve-two-approvers", "semantic", "alice approves, then bob approves the same request: 409, one job",
        ap(DECIDES, "POST", seeded("twice"), decision("alice")),
        ap(REF, "POST", seeded("twice"), decision("bob")))
ap_case("approve-id-uppercased", "semantic", "after an approval, the id in upper case: 404 or 409, never a second job",
        ap(REF, "POST", lambda ctx: f"/approvals/{ctx.approvals.get('twice', 'missing').upper()}/approve",
           decision("bob")))
ap_case("expired-approve-then-deny", "semantic", "an expired request: approve 409, deny 409, nothing queued",
        ap(REF, "POST", seeded("expired"), decision("alice")),
        ap(REF, "POST", seeded("expired", "deny"), decision("alice")))
ap_case("decided-wrong-token", "auth", "a decided request with a wrong token: 401 (credentials come first)",
        ap(REF, "POST", seeded("decided"), decision(), token=lambda c: "Bearer nope"))
ap_case("pipelined-approve-deny", "semantic",
        "approve and deny pipelined on one connection: one of them decides, at most one job; a third try is 409",
        Step("POST", AP, DECIDES | REF, b"", auth="api", enqueue_any=frozenset({0, 1}), raw=lambda ctx, host: (
            ap_raw("POST", seeded("deny_then_approve"), decision("alice"))(ctx, host).replace(
                b"Connection: close", b"Connection: keep-alive", 1)
            + ap_raw("POST", seeded("deny_then_approve", "deny"), decision("bob"))(ctx, host))),
        ap(REF, "POST", seeded("deny_then_approve"), decision("alice")))
for _nm, _tpl in [("dotdot-encoded", "/approvals/..%2F..%2Fhealthz/{verb}"),
                  ("dot-dot-segment", "/approvals/%2e%2e/{verb}"),
                  ("id-nul", "/approvals/{id}%00/{verb}"),
                  ("other-then-up", "/approvals/nope/../{id}/{verb}"),
                  ("encoded-slash", "/approvals/{id}%2F{verb}"),
                  ("id-fullwidth-digit", "/approvals/{id}%EF%BC%91/{verb}"),
                  ]:
    ap_case(f"path-{_nm}", "semantic", f"approve via the target {_tpl}: 404/400 (or a redirect), nothing decided",
            ap(REF_REDIRECT, "POST", seeded("approve_then_deny", fmt=_tpl), decision("alice")))
ap_case("path-tricks-left-it-pending", "semantic", "after every path trick above, the request is still pending: "
        "a plain deny decides it (200, nothing queued)", ap(IGN, "POST", seeded("approve_then_deny", "deny"),
                                                            decision("alice")))
for _nm, _body in [("approver-list", lambda c: P.dumps({"approver": ["alice"], "note": "x"})),
                   ("approver-empty", decision("")),
                   ("approver-nul", decision("alice\u0000bob")),
                   ("approver-dup-key", decision(RAW, raw='"mallory","approver":"alice"')),
                   ("note-lone-surrogate", decision("alice", RAW, raw='"\\ud800"')),
                   ("note-2mb", decision("alice", "n" * 2_000_000)),
                   ]:
    ap_case(f"body-{_nm}", "json", f"approve with {_nm}: a 4xx, nothing decided",
            ap(REF, "POST", seeded("slack_then_http"), _body))
ap_case("bodies-left-it-pending", "semantic", "after every bad body above, the request still waits: alice approves",
        ap(DECIDES, "POST", seeded("slack_then_http"), decision("alice")))
for _nm, _who in [("fullwidth", "ａｌｉｃｅ"), ("zero-width", "alice\u200b"), ("turkish-dotless", "alıce"),
                  ]:
    ap_case(f"self-approval-{_nm}", "auth", f"'{_nm}' spelling of the requester approving its own high-risk "
            "request: 403 (self_approval or not_approver), nothing decided",
            ap(REF, "POST", seeded("self_high"), decision(_who)))


# ----------------------------------------------------------------------------- the catalogue

CASES: tuple[Case, ...] = tuple(CASES_LIST)
