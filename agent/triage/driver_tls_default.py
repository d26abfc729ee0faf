"""A client's release brought a database driver that encrypts and verifies by default; the server's cert is untrusted.

Database drivers have flipped their TLS defaults in major releases: Microsoft.Data.SqlClient 4.0 made `Encrypt=true`
the default (System.Data.SqlClient did not encrypt), mssql-jdbc 10.2 likewise, node-mssql/tedious turned
`trustServerCertificate` off, and newer Postgres/MySQL/Mongo drivers default to verifying what they used to accept.
A server that never had a real certificate (SQL Server's self-generated one, a self-signed Postgres) then fails the
new verification, while the connection string, unchanged, sets neither `Encrypt=false` nor
`TrustServerCertificate=true` (nor `sslmode`, `useSSL`, `tls`...). The release that moved the driver is the cause;
its pods crash at startup migration or fail every query, in their driver's words: SqlClient `error occurred during
the pre-login handshake` with `The remote certificate was rejected by the provided RemoteCertificateValidationCallback`
or `The certificate chain was issued by an authority that is not trusted`, mssql-jdbc `could not establish a secure
connection to SQL Server by using Secure Sockets Layer (SSL) encryption ... PKIX path building failed`, tedious
`self-signed certificate`, Go/Python/OpenSSL `certificate signed by unknown authority` / `certificate verify failed`.

So: a workload's rollout within `LEAD` before its own pods' first certificate-trust failure on a database
connection (the line or its log names a database driver), none of those failures before it, the rollout's diff
naming no TLS option (a string written to `Encrypt=true` or `sslmode=verify-full` is that write's story), and,
when the workload's object was read, no connection string of it that already decides TLS. Not named: an expired or
misnamed certificate (the server's), the same failures without a client rollout (the server's certificate or CA
moved), a rollout after the failures began. Pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time
from agent.triage.limit_hit import all_logs
from agent.triage.subject import Subject, workload_of_pod
from agent.triage.tls_words import EXPIRY, NAME_MISMATCH, NO_TRUSTED_ROOT

CHECK = "change.driver_tls_default"
WEIGHT = 0.92
"""The client's own release, with the driver's default as the reason, above its crash loop read alone."""
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

UNTRUSTED = re.compile(
    r"remote certificate (?:was rejected|is invalid)|certificate chain was issued by an authority that is not trusted|"
    r"could not establish a secure connection to SQL Server|self[- ]signed certificate|" + NO_TRUSTED_ROOT.pattern,
    re.I)
"""A driver's words for a server certificate it does not trust."""
DATABASE = re.compile(
    r"SqlClient|SqlException|SQL Server|mssql|tedious|pre-login handshake|jdbc|Npgsql|postgres|psycopg|pgx|"
    r"\bpq:|mysql|mariadb|mongo", re.I)
"""Words that place the failure on a database connection."""
TLS_OPTION = re.compile(r"encrypt|trust_?server_?cert|ssl|\btls\b|verify[_-]?(?:full|ca)|cert", re.I)
"""A written or configured option that decides the connection's TLS (the release did not only move the driver)."""
CONN_STRING = re.compile(r"(?:server|host|data source|address)\s*=|://", re.I)


@dataclass
class Flipped:
    """The client's release, and its own pods' certificate-trust failures on the database connection since."""

    target: Ref
    at: datetime
    image: str
    said: str
    log: LogEvidence
    evidence: list[str]


def _failures(facts: Facts) -> dict[tuple[str, str], tuple[LogEvidence, str, datetime | None]]:
    out: dict[tuple[str, str], tuple[LogEvidence, str, datetime | None]] = {}
    for log in all_logs(facts):
        texts = [(error_words(e),
                  parse_time(e.get("first_seen"))) for e in log.entries()]
        whole = " ".join([*(t for t, _ in texts), *log.last_lines])
        if not DATABASE.search(whole):
            continue
        for text, when in [*texts, *((line, None) for line in log.last_lines)]:
            hit = UNTRUSTED.search(text)
            if hit is None or EXPIRY.search(text) or NAME_MISMATCH.search(text):
                continue
            key = (log.namespace, workload_of_pod(log.pod))
            seen = out.get(key)
            said = " ".join(text[max(0, hit.start() - 60):hit.end() + 60].split())
            if seen is None:
                out[key] = (log, said, when)
            elif when is not None and (seen[2] is None or when < seen[2]):
                out[key] = (seen[0], seen[1], when)
    return out


def _decides_tls(facts: Facts, target: Ref) -> bool:
    """Whether the workload's read object carries a connection string that already sets a TLS option."""
    obj = facts.object_named(target.kind, target.namespace, target.name)
    spec = ((obj or {}).get("spec") or {}).get("template") or {}
    for container in (spec.get("spec") or {}).get("containers") or []:
        for env in container.get("env") or []:
            value = str(env.get("value") or "")
            if CONN_STRING.search(value) and TLS_OPTION.search(value):
                return True
    return False


def found(facts: Facts) -> list[Flipped]:
    """The newest rollout of a workload made before its own pods began to distrust the database's certificate."""
    failing = _failures(facts)
    if not failing:
        return []
    out: list[Flipped] = []
    for change, evidence, target in facts.writes_to(WORKLOADS, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        hit = failing.get((target.namespace, target.name))
        if at is None or hit is None or change.get("type") != "rollout":
            continue
        log, said, first = hit
        diff = [str(d) for d in change.get("diff") or []]
        if (first is not None and first < at - SLACK) or any(TLS_OPTION.search(d) for d in diff):
            continue
        if _decides_tls(facts, target) or any(o.target.same_object(target) for o in out):
            continue
        image = next((d for d in diff if "image" in d), str(change.get("summary") or ""))
        out.append(Flipped(target, at, " ".join(image.split())[:200], said, log,
                           [e for e in (evidence, log.evidence_id) if e]))
    return sorted(out, key=lambda f: -f.at.timestamp())[:1]


def finding(f: Flipped, at: datetime) -> dict[str, Any]:
    """The release and the driver default first (the headline is cut), then the driver's refusal."""
    ago = minutes_text(int((at - f.at).total_seconds() // 60))
    message = (f"{f.target} rolled out {ago} before the incident ({f.image}): its new database driver encrypts and "
               f"verifies the server certificate by default (Encrypt=true: SqlClient 4+, mssql-jdbc 10.2+, newer "
               f"drivers) while its unchanged connection settings set no TLS option, and the server's self-signed "
               f"certificate is not trusted: '{f.said[:180]}'. Set Encrypt=false or TrustServerCertificate=true "
               f"(sslmode/tls options) explicitly, give the server a trusted certificate, or roll back the release")
    return {"check": CHECK, "severity": "critical", "reason": "DriverTlsDefaultUntrustedCert",
            "object": {"kind": f.target.kind, "namespace": f.target.namespace, "name": f.target.name},
            "message": message, "evidence": [f.image, f.said[:200]],
            "details": {"rolled_out": f.at.isoformat(), "pod": f.log.pod}}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Nothing to read: the timeline, the workload's object and its pods' logs carry the evidence."""
    return None


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The client's release; it explains its own failing pods."""
    return [(f.target, finding(f, facts.at), f.evidence, [f.target]) for f in found(facts)]
