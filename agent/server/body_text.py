"""What a request body must be before any front door reads it: uncompressed UTF-8.

Every sender Vigil serves (Alertmanager, PagerDuty, Slack, MCP clients) sends UTF-8, and RFC 8259
section 8.1 requires it of JSON exchanged between systems (a parser MAY ignore a UTF-8 byte-order
mark, so one is tolerated). Python's `json.loads(bytes)` would also guess UTF-16 or UTF-32 from a
byte-order mark or the pattern of NUL bytes, so a body that no real sender produces used to be
accepted and queued. A guessed encoding is a second meaning for the same bytes: a proxy, a log or a
signature check that reads them as UTF-8 sees something else. So the doors refuse, by one rule each:

- a `Content-Encoding` other than identity: 415 (nothing Vigil serves compresses, and decoding it
  would mean inflating an attacker's bytes);
- a `charset` parameter other than UTF-8 on the Content-Type: 415 naming it (the sender says the
  bytes are not UTF-8; believing it would mean transcoding, ignoring it would mean a guess);
- a body that starts with a UTF-16 or UTF-32 byte-order mark, or whose first bytes have the NUL
  pattern of UTF-16/32 text: 415 naming the encoding.

Bytes that are simply not valid UTF-8 are the JSON or form parser's 400 (`bodies.parse_json` decodes
strictly). The checks return a `Refusal` rather than raising, so the webhook doors (JSON errors) and
the MCP door (JSON-RPC errors) answer the same refusal in their own shape.
"""

from __future__ import annotations

from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
UTF8_NAMES = frozenset({"utf-8", "utf8"})
"""`charset` values that mean UTF-8 (IANA's name, and the alias common clients send)."""
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "UTF-32BE"), (b"\xff\xfe\x00\x00", "UTF-32LE"),  # before UTF-16LE: FF FE 00 00
    (b"\xfe\xff", "UTF-16BE"), (b"\xff\xfe", "UTF-16LE"),
)


@dataclass(frozen=True)
class Refusal:
    """A 4xx a door answers instead of reading the body: HTTP status, error name, and why."""

    status: int
    error: str
    detail: str


def coding_refusal(content_encoding: str) -> Refusal | None:
    """415 for a compressed (or otherwise content-coded) body, whatever the spelling."""
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        return None
    return Refusal(415, "unsupported_encoding", f"Content-Encoding {coding[:40]!r}: send the body uncompressed "
                   "(Alertmanager, PagerDuty, Slack and MCP clients do)")


def charset_refusal(content_type: str) -> Refusal | None:
    """415 when the Content-Type names a charset other than UTF-8 (quoted or not, any case)."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() != "charset":
            continue
        charset = value.strip().strip('"').strip().lower()
        if charset not in UTF8_NAMES:
            return Refusal(415, "unsupported_charset", f"charset {charset[:40]!r}: send the body as UTF-8 "
                           "(RFC 8259 8.1: JSON between systems is UTF-8)")
    return None


def encoding_refusal(body: bytes) -> Refusal | None:
    """415 naming the encoding when `body` is UTF-16 or UTF-32 text (by its byte-order mark, or by
    where its NUL bytes fall, as RFC 4627 section 3 detected it); a UTF-8 mark is tolerated."""
    found = next((name for mark, name in _BOMS if body.startswith(mark)), None)
    how = "byte-order mark"
    if found is None:
        found = _nul_pattern(body[:4])
        how = "NUL bytes"
    if found is None:
        return None
    return Refusal(415, "unsupported_charset", f"the body is {found} (by its {how}); send it as UTF-8 "
                   "(RFC 8259 8.1: JSON between systems is UTF-8)")


def _nul_pattern(head: bytes) -> str | None:
    """The encoding whose NUL layout `head` has; UTF-8 text Vigil reads never holds a raw NUL."""
    if len(head) < 2 or 0 not in head:
        return None
    nul = tuple(byte == 0 for byte in head)
    if len(head) >= 4 and nul[:3] == (True, True, True):
        return "UTF-32BE"
    if len(head) >= 4 and nul[1:4] == (True, True, True):
        return "UTF-32LE"
    if nul[0] and not nul[1]:
        return "UTF-16BE"
    if nul[1] and not nul[0]:
        return "UTF-16LE"
    return "not UTF-8"


def body_refusal(body: bytes, content_type: str, content_encoding: str) -> Refusal | None:
    """The first of the three refusals that applies to a request, or None: read the body as UTF-8."""
    return coding_refusal(content_encoding) or charset_refusal(content_type) or encoding_refusal(body)


def utf8_text(body: bytes) -> str:
    """`body` decoded strictly as UTF-8, a leading UTF-8 byte-order mark dropped. Raises
    UnicodeDecodeError: never a guess at another encoding."""
    return body.decode("utf-8-sig")
