"""A server began to require an authentication method its clients' drivers cannot speak.

Database and broker servers negotiate how a client proves its password, and the server picks the method: Postgres
14+ defaults `password_encryption` to `scram-sha-256` (SASL, wire auth request 10) where older installs used `md5`;
MySQL 8 defaults to `caching_sha2_password` where 5.7 used `mysql_native_password`; MongoDB can drop SCRAM-SHA-1.
A server upgrade, an auth-method setting (`POSTGRES_HOST_AUTH_METHOD`, `password_encryption`, a pg_hba line,
`default_authentication_plugin`, `authentication_policy`, `authenticationMechanisms`) or both move the method; a
client whose bundled driver predates it (pgjdbc before 42.2, libpq before 10, an old lib/pq, Npgsql, mysqljs,
go-sql-driver) cannot answer and fails every connection in its driver's words: `The authentication type 10 is not
supported`, `SCRAM authentication requires libpq version 10 or above`, `pq: unknown authentication response: 10`,
`Authentication plugin 'caching_sha2_password' cannot be loaded`, `Client does not support authentication protocol
requested by server`. The client looks like the culprit (its pods error, its endpoint answers 5xx); the server,
often in another namespace and hours earlier, is.

So: a client's line in those words (never a wrong password: `password authentication failed` is another story),
and a write within `LEAD` before the first such line to a server whose family the words belong to (its name or new
image says postgres/mysql/mongo...) that either names an auth-method setting or moved its image to another major
or minor version. A write naming the method wins over a bare upgrade; not named: a write after the errors began,
a server of another family, the client's own workload, a client released after the write (its own driver change
is the likelier story). `read` (reading only) takes a day of changes when such a line is in view and no history
read reaches that far; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.engine_upgrade import version_move
from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time
from agent.triage.limit_hit import all_logs
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.auth_method"
WEIGHT = 0.93
"""The server's write, above the failing client (the symptom) and the client's own older rollout."""
LEAD = timedelta(hours=24)
HISTORY_WINDOW = "24h"
SLACK = timedelta(minutes=2)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass(frozen=True)
class Family:
    """One server family: the client words for an auth method the driver lacks, and the names of its servers."""

    name: str
    refused: re.Pattern[str]
    server: re.Pattern[str]


FAMILIES = (
    Family("postgres", re.compile(
        r"authentication type 10 is not supported|SCRAM authentication requires libpq|"
        r"unknown authentication (?:response|request|method)(?: type)?:? ?1[01]\b|"
        r"(?:SASL|SCRAM)[- ]?(?:SHA[- ]?256 )?authentication (?:is )?not supported|"
        r"unsupported (?:SASL|SCRAM|authentication) (?:mechanism|method)|"
        r"Authentication method not supported \(Received: ?1[01]\)|"
        r"AuthenticationSASL .{0,30}not (?:supported|implemented)",
        re.I), re.compile(r"postgres|\bpg\b|pg[-_]|[-_]pg|psql|postgis|timescale|cockroach|yugabyte|patroni", re.I)),
    Family("mysql", re.compile(
        r"Authentication plugin '?\w+'? (?:cannot be loaded|is not supported|not supported|reported error)|"
        r"Client does not support authentication protocol requested by server|ER_NOT_SUPPORTED_AUTH_MODE|"
        r"unknown (?:auth(?:entication)? )?plugin|this authentication plugin is not supported", re.I),
        re.compile(r"mysql|maria|percona|vitess|tidb", re.I)),
    Family("mongodb", re.compile(
        r"(?:mechanism|authMechanism) '?SCRAM-SHA-(?:1|256)'? (?:is )?(?:not supported|unsupported|not enabled)|"
        r"Unsupported (?:SASL )?mechanism|which is not enabled", re.I), re.compile(r"mongo", re.I)),
)

METHOD = re.compile(
    r"password[._-]?encryption|host[._-]?auth[._-]?method|auth[._-]?method|pg_hba|scram|\bmd5\b|\bsasl\b|"
    r"authentication[._-]?(?:policy|plugin|mechanisms?)|default[._-]?authentication[._-]?plugin|"
    r"caching_sha2|native_password|auth[._-]?mechanism", re.I)
"""A written setting that picks how clients must prove their password."""


@dataclass
class Refusal:
    """A client's line refusing the server's auth method, and when it was first seen (None when not known)."""

    family: Family
    said: str
    log: LogEvidence
    first: datetime | None


@dataclass
class Moved:
    """The server write that moved the auth method, and the client refusal it explains."""

    server: Ref
    at: datetime
    what: str
    named_method: bool
    refusal: Refusal
    evidence: list[str]


def refusals(facts: Facts) -> list[Refusal]:
    """Each (family, pod) whose logs refuse an auth method, earliest time kept."""
    out: dict[tuple[str, str], Refusal] = {}
    for log in all_logs(facts):
        texts = [(error_words(e),
                  parse_time(e.get("first_seen"))) for e in log.entries()]
        for text, when in [*texts, *((line, None) for line in log.last_lines)]:
            for family in FAMILIES:
                hit = family.refused.search(text)
                if hit is None or "password authentication failed" in text.lower():
                    continue
                key = (family.name, f"{log.namespace}/{log.pod}")
                seen = out.get(key)
                if seen is None:
                    start = max(0, hit.start() - 60)
                    out[key] = Refusal(family, " ".join(text[start:start + 220].split()), log, when)
                elif when is not None and (seen.first is None or when < seen.first):
                    seen.first = when
    return list(out.values())


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: a day of changes, when a client refuses an auth method and no history read reaches that far
    (the server's upgrade is often hours older than the survey's window)."""
    del subject
    if not refusals(facts) or facts.history_reaches(LEAD):
        return
    history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-auth-method-history")
    if history is not None and history.ok and isinstance(history.data, dict):
        facts.history.append((history.data, history.evidence_id))


def _method_line(change: dict[str, Any]) -> str:
    return next((" ".join(str(d).split()) for d in [*(change.get("diff") or []), change.get("summary") or ""]
                 if METHOD.search(str(d))), "")


def _released_after(facts: Facts, client: tuple[str, str], at: datetime) -> bool:
    for change, _, target in facts.writes_to(WORKLOADS, within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        if (target.namespace, target.name) == client and when is not None and when > at:
            return True
    return False


def found(facts: Facts) -> list[Moved]:
    """The server write that moved the auth method before its clients began to refuse it (method writes first)."""
    seen = refusals(facts)
    if not seen:
        return []
    out: list[Moved] = []
    for change, evidence, server in facts.writes_to(None, within=LEAD, deletions=False):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        method, moved = _method_line(change), version_move(change)
        if not method and moved is None:
            continue
        for r in seen:
            client = (r.log.namespace, workload_of_pod(r.log.pod))
            named = r.family.server.search(server.name) or (moved and r.family.server.search(moved[1]))
            if not named and not (method and r.family.server.search(method)):
                continue
            if client == (server.namespace, server.name) or (r.first is not None and r.first < at - SLACK):
                continue
            if _released_after(facts, client, at):
                continue
            image = f"image {moved[0].rsplit('/', 1)[-1]} -> {moved[1].rsplit('/', 1)[-1]}" if moved else ""
            what = "; ".join(part for part in (image, method) if part)
            out.append(Moved(server, at, what, bool(method), r, [e for e in (evidence, r.log.evidence_id) if e]))
            break
    return sorted(out, key=lambda m: (not m.named_method, -m.at.timestamp()))[:1]


def finding(m: Moved, at: datetime) -> dict[str, Any]:
    """The server's write and the method first (the headline is cut), then the client's refusal."""
    ago = minutes_text(int((at - m.at).total_seconds() // 60))
    client = f"{m.refusal.log.namespace}/{workload_of_pod(m.refusal.log.pod)}"
    message = (f"{m.server} was written {ago} before the incident to require an authentication method its clients' "
               f"driver cannot speak ({m.what[:200]}): {client}'s {m.refusal.family.name} driver refuses it on every "
               f"connection: '{m.refusal.said[:200]}'. Upgrade the client's driver (or let the server accept the old "
               f"method for that user again)")
    return {"check": CHECK, "severity": "critical", "reason": "AuthMethodUnsupportedByClient",
            "object": {"kind": m.server.kind, "namespace": m.server.namespace, "name": m.server.name},
            "message": message, "evidence": [m.what[:200], m.refusal.said[:200]],
            "details": {"family": m.refusal.family.name, "client": client, "method_written": m.named_method}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The server; it explains the refusing client."""
    return [(m.server, finding(m, facts.at), m.evidence,
             [m.server, Ref("", m.refusal.log.namespace, workload_of_pod(m.refusal.log.pod))])
            for m in found(facts)]
