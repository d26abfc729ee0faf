"""Reading an untrusted request body, the one way every front-door route does it.

A body is refused before anything interprets it when it is too large (413), and its JSON when it
does not parse, nests deeper than any real webhook does, holds what JSON has no room for (NaN,
Infinity, 1e999, lone surrogates, integers of thousands of digits), or names one key twice in an
object (400). Duplicate keys are refused because parsers disagree on which one wins: a body whose
signature a proxy checked, or whose `status` a log shows, could otherwise mean something else here.
The depth bound matters beyond the parser: a payload nested a thousand levels deep parses in C but
then breaks every recursive consumer after it (pydantic, `json.dumps`, the incident normaliser) with a RecursionError.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from agent.server.body_text import Refusal, charset_refusal, coding_refusal, encoding_refusal, utf8_text

M = TypeVar("M", bound=BaseModel)

MAX_JSON_DEPTH = 32
"""Alertmanager, PagerDuty and Slack payloads nest under ten levels; 32 leaves room for growth."""
MAX_JSON_VALUES = 100_000
"""A 1 MiB Alertmanager group (about 3,000 alerts) holds some 45,000 values; a body of a million
tiny arrays is an attack on the checks after the parse, refused once this many have been seen."""


class Refused(Exception):
    """A request that is answered with a 4xx/5xx and changes nothing."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail

    @classmethod
    def of(cls, refusal: Refusal) -> Refused:
        return cls(refusal.status, refusal.error, refusal.detail)

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error, "detail": self.detail}, status_code=self.status)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading the rest, and one that is not
    UTF-8 as sent (415, `agent/server/body_text.py`): compressed, labelled with another charset, or
    UTF-16/32 text. Reading any of these as JSON would be a guess about what was meant."""
    refusal = coding_refusal(request.headers.get("content-encoding", "")) or charset_refusal(
        request.headers.get("content-type", ""))
    if refusal is not None:
        raise Refused.of(refusal)
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Refused(413, "too_large", f"the body is {declared} bytes; at most {limit} are accepted")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, "too_large", f"the body is over {limit} bytes, the most accepted")
        chunks.append(chunk)
    body = b"".join(chunks)
    refusal = encoding_refusal(body)
    if refusal is not None:
        raise Refused.of(refusal)
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {twice[:40]!r} appears twice in one object")
    return obj


def parse_json(body: bytes, *, max_depth: int = MAX_JSON_DEPTH, field: str = "the body") -> Any:
    """The JSON value of `body`, or a 400 naming why it is not acceptable JSON."""
    try:
        # decoded here, strictly: json.loads(bytes) would guess UTF-16 or UTF-32 from NUL bytes
        value = json.loads(utf8_text(body), parse_constant=_no_constant, parse_float=_finite,
                           object_pairs_hook=_unique_keys)
    except RecursionError as exc:
        raise Refused(400, "malformed_json", f"{field} nests deeper than {max_depth} levels") from exc
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, NaN, over-long integers
        raise Refused(400, "malformed_json", f"{field} is not valid JSON: {exc}") from exc
    problem = _check_tree(value, max_depth, MAX_JSON_VALUES)
    if problem:
        raise Refused(400, "malformed_json", f"{field}: {problem}")
    return value


def _check_tree(value: Any, max_depth: int, max_values: int) -> str | None:
    """Walk the parsed value without recursion: its depth, and strings that cannot be re-encoded.
    Only containers go on the stack, and ASCII strings (nearly all) skip the encoding check."""
    if type(value) is str:
        return None if _encodable(value) else _SURROGATE
    if type(value) not in (dict, list):
        return None
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += len(node)
        if seen > max_values:
            return f"holds more than {max_values:,} values"
        if depth > max_depth:
            return f"nests deeper than {max_depth} levels"
        if type(node) is dict:
            if not all(_encodable(key) for key in node):
                return _SURROGATE
            node = node.values()
        for item in node:
            kind = type(item)
            if kind is str:
                if not _encodable(item):
                    return _SURROGATE
            elif kind is dict or kind is list:
                stack.append((item, depth + 1))
    return None


_SURROGATE = "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    """`data` as `model`, or a 422 naming the first field that does not fit and what it should be."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = (prefix + ".".join(str(part) for part in first["loc"])).rstrip(".")
        raise Refused(422, "invalid_payload", f"{where or 'the body'}: {first['msg']}") from exc
