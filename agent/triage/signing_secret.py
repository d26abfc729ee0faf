"""A signing secret WRITTEN shortly before the workload that reads it began to reject signatures as not matching.

A webhook receiver verifies each incoming request's HMAC with a shared signing secret (Stripe's `whsec_...`,
GitHub's `X-Hub-Signature-256`, Slack's signing secret, Svix/standard-webhooks); an API verifies a JWT with a
shared HMAC key. Someone re-applies the Secret holding that key: the test-mode endpoint's secret pasted into the
production Secret, a key rotated on one side only. Nothing fails at the write; once the workload reloads it (a
Reloader restart, a rollout, the kubelet refreshing a mounted file), every genuine request fails verification in
the library's own words (Stripe `No signatures found matching the expected signature for payload`, GitHub
`Signatures didn't match`, Slack `Invalid request signature`, Svix `No matching signature found`, JWT `signature is
invalid`) and the handler answers 400/401. The rejections are the symptom; the write is the cause.

Told apart from its twins by time and wording: the rejections must begin AFTER the write and after the workload
loaded it (credential_write's rules, whose reference chain this module reuses); a rejection whose words say the
timestamp is outside the tolerance is clock skew or a replay, not a wrong key; a body-parsing hint alone is no
signature failure. credential_write covers outbound credentials the provider refuses (401 to our calls); this is
the inbound side: the secret we verify others' signatures with. Guardrail: no Secret's data is read here.
`found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.triage import credential_write as cw
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "credential.signing_secret_mismatch"
WEIGHT = 0.93
"""As credential_write: the write whose value every verification now rejects is the thing to put back, above the
rejecting workload's own errors and any restart that merely loaded it."""

_MISMATCH = re.compile(
    r"no signatures? found matching the expected signature|signature verification failed|"
    r"signatures? (?:didn't|did not|do not|does not|don't) match|signature mismatch|invalid (?:request )?signature|"
    r"no matching signature found|webhookverificationerror|signatureverificationerror|signature is invalid|"
    r"hmac (?:verification|validation|check) failed|x-hub-signature\S* (?:mismatch|invalid)|"
    # .NET IdentityModel (IDX10503/IDX10511), Auth0 java-jwt, Rails MessageVerifier, itsdangerous/Django signing,
    # go-jose (a token signed with another key)
    r"signature validation failed|signature resulted invalid|\bInvalidSignature(?:Error|Exception)?\b|"
    r"\bBadSignature\b|error in cryptographic primitive", re.I)
_NOT_THE_KEY = re.compile(r"timestamp outside the tolerance|tolerance zone|timestamp too old|request too old|"
                          r"replay|clock skew|expired|no signature header|missing (?:the )?signature|"
                          r"unable to extract timestamp", re.I)
"""Words that blame the request's time or a missing header, not the key: another class (clock, proxy stripping)."""
_REASON = re.compile(r"no signatures? found matching the expected signature|signatures? (?:didn't|did not) match|"
                     r"invalid request signature|no matching signature found|signature is invalid", re.I)
"""The library's own reason, quoted before the logger's generic `signature verification failed`."""
STORE = "signing_secret"
MAX_PODS = 3


@dataclass
class Mismatch:
    """A signing Secret written before its reader began rejecting every signature."""

    secret: Ref
    written: datetime
    by: str
    keys: list[str]
    workload: Ref
    via: str
    said: str
    first_rejected: datetime
    reload: str
    evidence: list[str] = field(default_factory=list)


def rejects(error: dict[str, Any]) -> bool:
    """Whether one classified error is a signature that did not verify against the held key."""
    text = " ".join(str(error.get(k) or "") for k in ("message", "example", "template"))
    return bool(_MISMATCH.search(text)) and not _NOT_THE_KEY.search(text)


def _rejection(log: LogEvidence) -> tuple[str, datetime | None]:
    errors = [e for e in [log.top or {}, *log.more] if rejects(e)]
    if not errors:
        return "", None
    first = min((t for t in (parse_time(e.get("first_seen")) for e in errors) if t is not None), default=None)
    said = str(errors[0].get("example") or errors[0].get("message") or errors[0].get("template") or "")
    return cw._strip_stamp(said)[:220], first


def rejecting(facts: Facts) -> list[LogEvidence]:
    """The surveyed logs whose errors reject signatures as not matching the held key."""
    return [log for log in facts.logs if any(rejects(e) for e in [log.top or {}, *log.more])]


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, and only when a surveyed log rejects signatures: the rejecting pods' specs (the names of the
    Secrets they reference, never a value)."""
    if STORE in facts.reads:
        return
    logs = rejecting(facts)
    if not logs:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"pods": []})
    for log in logs[:MAX_PODS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-signing-secret-pod-{log.pod}")
        if got is not None:
            store["pods"].append({"pod": log.pod, "namespace": log.namespace, "evidence": [got[1]],
                                  "reads": [{"name": r.target.name, "via": r.via}
                                            for r in cw.pod_reads(got[0], log.namespace)]})


def _reads(facts: Facts, log: LogEvidence, workload: str) -> list[cw.Read]:
    """credential_write's reference chain (topology, timeline, Reloader marks) plus the pod specs read here."""
    out = cw._reads(facts, log, workload)
    for entry in (facts.reads.get(STORE) or {}).get("pods") or []:
        if entry.get("pod") == log.pod and entry.get("namespace") == log.namespace:
            out += [cw.Read(Ref("Secret", log.namespace, r["name"]), r["via"]) for r in entry.get("reads") or []]
    return out


def _quote(said: str) -> str:
    """The rejection from its signature words on, so the library's reason fits the headline."""
    hit = _REASON.search(said) or _MISMATCH.search(said)
    return said[hit.start():][:110].split('"')[0] if hit else said[:110]


def found(facts: Facts) -> list[Mismatch]:
    """For each workload rejecting signatures, the Secret it reads that was written shortly before the rejections
    began and loaded by it: the best (a secret/key-named data key, then the latest write)."""
    out: list[Mismatch] = []
    seen: set[tuple[str, str]] = set()
    for log in rejecting(facts):
        said, first = _rejection(log)
        workload = Ref("", log.namespace, workload_of_pod(log.pod))
        if first is None or (log.namespace, workload.name) in seen:
            continue
        write = cw.loaded_write(facts, log, first, _reads(facts, log, workload.name), STORE)
        if write is None:
            continue
        seen.add((log.namespace, workload.name))
        out.append(Mismatch(write.secret, write.written, write.by, write.keys, workload, write.via, said, first,
                            write.reload, write.evidence))
    return out


def finding(hit: Mismatch, at: datetime) -> dict[str, Any]:
    """The Secret's finding: what the write means first (the signing secret no longer matches the sender's)."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    workload = f"{hit.workload.namespace}/{hit.workload.name}"
    key = f" ({', '.join(hit.keys[:2])})" if hit.keys else ""
    by = f" by {hit.by}" if hit.by else ""
    message = (f"{hit.secret} was rewritten{by} {ago} before the alert with a signing secret{key} that no longer "
               f"matches the sender's: since {hit.first_rejected.strftime('%H:%M')} {workload}, verifying with it, "
               f"fails signature verification on every request ('{_quote(hit.said)}'). "
               f"The value written is another endpoint's or environment's secret (a test-mode key in production, a "
               f"key rotated on one side only); {hit.workload.name} reads it by {hit.via} "
               f"({hit.reload or 'mounted, refreshed by the kubelet'}). Put the sender's current signing secret back "
               f"and restart {hit.workload.name}; the rejected requests are the symptom, not the cause")
    return {"check": CHECK, "severity": "critical", "reason": "SigningSecretMismatch",
            "object": {"kind": "Secret", "namespace": hit.secret.namespace, "name": hit.secret.name},
            "message": message, "evidence": [hit.said[:200]],
            "details": {"via": hit.via, "workload": workload, "keys": hit.keys,
                        "written": hit.written.isoformat().replace("+00:00", "Z"),
                        "first_rejected": hit.first_rejected.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The Secret whose new signing key every verification rejects; it explains the workload that reads it."""
    return [(h.secret, finding(h, facts.at), h.evidence, [h.workload]) for h in found(facts)]
