"""What a record's other lines add to its first: the values of a printed error object, a chained cause.

A record is read by its first line, but two shapes put the meaning elsewhere. A client library may print an
error object over several lines after a one-line summary: grpcio's `<_InactiveRpcError of RPC that terminated
with:` is followed by `status = StatusCode.UNAVAILABLE` and `details = "failed to connect to all addresses; ...
Connection refused"`, and the summary line says nothing. A Python wrapper raised while handling (or `from`) a
transport error may say nothing of its own (botocore's `EndpointConnectionError: Could not connect to the endpoint
URL`, raised while handling urllib3's `NameResolutionError` or `NewConnectionError`): the traceback before it,
printed first, says what failed. Java's and Node's chains are read by their innermost cause (logfacts.traces);
this is Python's.
"""

from __future__ import annotations

import re

_VALUE_LINE = re.compile(r"^\s+(status|code|details?|message|reason|error|description)\s*[=:]\s*(.+?),?\s*$", re.I)
"""An indented `key = value` / `key: value` line of a printed error object, for the keys that say what failed."""
MAX_VALUE_CHARS = 400

GENERIC_CLASSES = frozenset({None, "exception"})
"""A class that says only that something was raised: a wrapper of this class takes its cause's."""

_TRANSPORT_WRAPPER = re.compile(r"Connect|Endpoint|Network|Transport|Socket|Unreachable|Unavailable|Timeout", re.I)
"""Exception names of the wrappers libraries raise while handling a transport error (requests' ConnectionError,
botocore's EndpointConnectionError, httpx's ConnectError, aiohttp's ClientConnectorError): `During handling of the
above exception` makes the earlier one their cause only for these; any other exception raised in an `except` block
(a NameError in the handler) is an error of its own."""
INHERITED_FIELDS = ("dns_name", "upstream_host", "upstream_port", "address", "url")


def continued_values(lines: list[str]) -> str:
    """The values an error object printed over the lines after its summary gives for status, code, details,
    message or reason (`StatusCode.UNAVAILABLE failed to connect to all addresses...`); empty when none."""
    values = []
    for line in lines[:12]:
        m = _VALUE_LINE.match(line)
        if m:
            values.append(m.group(2).strip().strip("'\""))
    return " ".join(values)[:MAX_VALUE_CHARS]


def inherits_cause(chained: str, exception: str | None, error_class: str | None, cause_class: str | None) -> bool:
    """Whether a Python traceback printed after a chain joint takes the class of the traceback before it.

    `chained` is `cause` (`raise X from e`: the earlier traceback is, by the program's own word, the cause) or
    `context` (raised while handling it: a cause only when the wrapper is a transport wrapper)."""
    if error_class not in GENERIC_CLASSES or cause_class in GENERIC_CLASSES or not exception:
        return False
    return chained == "cause" or (chained == "context" and _TRANSPORT_WRAPPER.search(exception) is not None)
