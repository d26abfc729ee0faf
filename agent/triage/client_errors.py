"""What the client of a changed dependency says when its calls fail: quoted beside the dependency's diff.

A dependency rolled out shortly before a client's errors is the likeliest cause, but its own logs
often show every call as OK: the failure is on the client's side of the wire (grpc-go refusing a
response over its 4 MiB default with `ResourceExhausted ... received message larger than max (N
vs. M)`, an HTTP 413 or 431, a protocol or decoding error after a schema change). The finding about
the rollout is only actionable with those words next to its diff: they say what to compare.
"""

from __future__ import annotations

import re
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import workload_of_pod

CALL_FAILURE = re.compile(
    r"ResourceExhausted|RESOURCE_EXHAUSTED|message larger than max|exceeds maximum|too large|\b413\b|\b431\b|"
    r"payload too large|entity too large|max(?:imum)? (?:receive|message|frame|body) size|"
    r"code = \w+|rpc error|status(?:Code)?[\"'=: ]+[45]\d\d\b|HTTP [45]\d\d\b|protocol error|"
    r"unexpected (?:EOF|end of)|cannot (?:decode|unmarshal|deserialize)|failed to (?:decode|unmarshal|parse) "
    r"(?:response|message)|unknown field|InvalidProtocolBufferException|JsonParseException|"
    r"connection (?:refused|reset)|deadline exceeded|Unavailable|upstream", re.I)
"""Words of a failed call to another service, whichever side of the wire reports it."""


HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"message larger than max|exceeds maximum size|RESOURCE_EXHAUSTED.{0,40}(?:message|size)|"
                r"max(?:imum)? (?:receive|message) size", re.I),
     "responses outgrew the client's max receive message size, grpc default 4194304 bytes"),
    (re.compile(r"\b413\b|payload too large|entity too large|body (?:is )?too large", re.I),
     "requests outgrew a body size limit on the path"),
    (re.compile(r"cannot (?:decode|unmarshal|deserialize)|failed to (?:decode|unmarshal|parse)|unknown field|"
                r"InvalidProtocolBufferException|JsonParseException|protocol error", re.I),
     "the format changed under a client expecting the old one"),
)
"""What a client's error says about the change: the mismatch to look for in its diff."""


def _text(error: dict[str, Any]) -> str:
    """An error as printed, with the `error` field structured loggers (zap, logrus, slog) put the cause in."""
    fields = error.get("fields") or {}
    said = str(error.get("message") or error.get("example") or error.get("template") or "")
    exception = str(error.get("exception") or "")
    if exception and exception not in said:
        said = f"{exception}: {said}"
    cause = str(fields.get("error") or fields.get("err") or fields.get("cause") or "")
    return f"{said}: {cause}" if cause and cause not in said else said


def client_error(facts: Facts, target: Ref) -> tuple[LogEvidence, str] | None:
    """The first failed-call error in the logs of pods other than `target`'s, preferring one that names it."""
    found: list[tuple[int, LogEvidence, str]] = []
    for log in facts.logs:
        if workload_of_pod(log.pod) == target.name or log.pod.startswith(target.name + "-"):
            continue
        for error in [log.top or {}, *log.more]:
            said = _text(error)
            if said and CALL_FAILURE.search(said):
                names = target.name.lower() in said.lower() or any(target.name in h for h in log.hosts)
                found.append((0 if names else 1, log, said))
                break
    if not found:
        return None
    _, log, said = min(found, key=lambda f: f[0])
    return log, " ".join(said.split())[:180]


def quote(facts: Facts, target: Ref) -> str:
    """`; its client X fails: '...'` for a change finding's message, or empty without such an error."""
    found = client_error(facts, target)
    if found is None:
        return ""
    log, said = found
    hint = next((h for pattern, h in HINTS if pattern.search(said)), "")
    return f"; its client {workload_of_pod(log.pod)} fails since: '{said}'" + (f" ({hint})" if hint else "")
