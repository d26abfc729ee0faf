"""A serving certificate rewritten without its CA, after which peers refuse it as issued by an unknown authority.

A server presents its own certificate and the intermediates that link it to a root its clients trust. Renewing
the certificate by hand (or by a script that copies only the leaf out of the issuer's bundle) and applying the
Secret with the new leaf alone leaves clients with no path to their root: nothing about the server's health
changes, it reloads the files and keeps serving, and every client that verifies fails in its TLS library's words
(Go `x509: certificate signed by unknown authority`, OpenSSL `unable to get local issuer certificate` / `unable to
verify the first certificate`, Java `PKIX path building failed`); the server logs the clients' alert (OpenSSL
`alert unknown ca`, Go `remote error: tls: unknown certificate authority`).

Secret values are never read, so the chain itself cannot be counted. What the bundle does show is the shape: a
write to a Secret's certificate key (`tls.crt`, `server.pem`, `fullchain.pem`...) whose CA key was not written
with it (the issuer the clients trust stayed the same), refusals about the authority that begin after the write
and none before it, not an expiry or a name mismatch (those are other certificate faults), and the refusals tied
to the Secret: the name it serves under (`reports-db-tls` serves `reports-db`) appears in a refusing line or in
the name of the pod that logs it. A CA key written in the same change is a change of trust, another class, and is
not named here. Pure: reads the change timeline and the survey's logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import limit_hit
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.tls_words import AUTHORITY_REFUSED, EXPIRY, NAME_MISMATCH

CHECK = "change.serving_chain"
WEIGHT = 0.93
"""A certificate write that the peers' authority refusals follow explains every failed handshake: above the
generic link between a write and the errors that share its name (0.86) and the victims' symptoms."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)

_KEY = re.compile(r"\bdata key (?P<key>\S+)", re.I)
_CERT_KEY = re.compile(r"(?:\.crt|\.pem|\.cer|cert|certificate|chain)$", re.I)
_CA_KEY = re.compile(r"(?:^|[._-])(?:ca|root|trust|bundle|issuer)(?:[._-]|$)", re.I)
"""A key that holds the trusted CA rather than the served certificate (`ca.crt`, `root-ca.pem`, `ca-bundle.crt`)."""
_PRIVATE = re.compile(r"key$", re.I)
_SUFFIX = re.compile(r"[-_.](?:tls|ssl|certs?|certificates?|serving|server|x509)$", re.I)


@dataclass(frozen=True)
class Unchained:
    """A Secret's certificate written without its CA, and the authority refusals after it."""

    target: Ref
    key: str
    minutes_before: int
    log: LogEvidence
    refusal: str
    evidence: list[str]


def _keys(change: dict[str, Any]) -> list[str]:
    """The data keys a change wrote (any of its diff lines' wordings), in order, once each."""
    keys = [m.group("key").rstrip(":,;") for d in change.get("diff") or [] if (m := _KEY.search(str(d)))]
    return list(dict.fromkeys(keys))


def served_certificate(keys: list[str]) -> str | None:
    """The served certificate key of a write that left the CA keys alone; None when it wrote a CA key (trust
    changed, another class) or no certificate at all."""
    if any(_CA_KEY.search(k) for k in keys):
        return None
    return next((k for k in keys if _CERT_KEY.search(k) and not _PRIVATE.search(k)), None)


def stem(name: str) -> str:
    """The name a certificate Secret serves under: `orders-db-tls` -> `orders-db`."""
    return _SUFFIX.sub("", name.lower())


def _refusals(facts: Facts) -> list[tuple[LogEvidence, str, datetime | None]]:
    """(log, line, first seen) of every authority refusal that is not an expiry or a name mismatch."""
    out: list[tuple[LogEvidence, str, datetime | None]] = []
    for log in limit_hit.all_logs(facts):
        lines = [(f"{said_by(e)} {e.get('exception') or ''}", parse_time(e.get("first_seen"))) for e in log.entries()]
        for text, first in lines:
            if AUTHORITY_REFUSED.search(text) and not EXPIRY.search(text) and not NAME_MISMATCH.search(text):
                out.append((log, text.strip(), first))
    return out


def found(facts: Facts) -> list[Unchained]:
    """The newest Secret whose served certificate was written (CA untouched) before refusals tied to it began."""
    refusals = _refusals(facts)
    if not refusals:
        return []
    out: list[Unchained] = []
    for change, evidence_id, target in facts.writes_to(("Secret",), within=LEAD, deletions=False):
        at, key = parse_time(change.get("at")), served_certificate(_keys(change))
        name = stem(target.name)
        if at is None or at > facts.at or key is None or len(name) < 3:
            continue
        word = re.compile(rf"(?<![\w-]){re.escape(name)}(?!\w)", re.I)
        tied = [(log, line, first) for log, line, first in refusals
                if word.search(line) or log.pod.lower().startswith(f"{name}-")]
        if not tied or any(first is not None and first < at - SLACK for _, _, first in tied):
            continue
        log, line, _ = next(((lg, ln, f) for lg, ln, f in tied if word.search(ln)), tied[0])
        out.append(Unchained(target, key, int((facts.at - at).total_seconds() // 60), log, line[:240],
                             [e for e in (evidence_id, log.evidence_id) if e]))
    return sorted(out, key=lambda u: u.minutes_before)[:1]


def finding(u: Unchained) -> dict[str, Any]:
    """The write and what it left out first, then the refusals and the fix."""
    return {
        "check": CHECK, "severity": "critical", "reason": "ServingChainIncomplete",
        "object": {"kind": u.target.kind, "namespace": u.target.namespace, "name": u.target.name},
        "message": (f"{u.target} had its served certificate ({u.key}) rewritten with its CA left as it was "
                    f"{minutes_text(u.minutes_before)} before the alert, and since then peers refuse it as signed by "
                    f"an unknown authority: the chain it serves no longer leads to the root they trust, the mark of "
                    f"a renewed leaf certificate installed without its intermediate CA (an incomplete chain). "
                    f"{u.log.pod}'s logs say '{u.refusal}'. Re-apply {u.key} as the full chain (the leaf, then "
                    "the intermediate) and reload the server"),
        "evidence": [u.key],
        "details": {"key": u.key, "minutes_before": u.minutes_before},
    }


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], LogEvidence, list[str]]]:
    """(written Secret, finding, the refusing log, evidence ids) for rank."""
    return [(u.target, finding(u), u.log, u.evidence) for u in found(facts)]
