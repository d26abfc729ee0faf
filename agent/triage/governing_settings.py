"""Errors whose meaning names the SETTING that governs them, and on which side of the call that setting lives.

Some errors explain themselves and, read rightly, point away from the process that prints them: a JVM's
"PKIX path building failed" is decided by the truststore it loads, a gRPC server's "too many pings from the
client" by the keepalive of the clients that call it, a PostgreSQL client's `prepared statement "S_1" does
not exist` by the pooler in between running transaction pooling, and a certificate that clients stop
trusting by the issuer it was signed through (an ACME issuer pointed at a staging directory). This table
holds, for each such wording (the real text the component prints), what it means, which settings govern
it (names and key patterns as they appear in env, flags, config files and custom resources), which SIDE
they live on (`self`: the erroring process; `peer`: the clients that call it or the server it calls;
`issuer`: the issuer of the certificate it serves; `pooler`: the connection pooler between it and its
database), and which values of the setting explain the error. `meaning.py` says the sentence back;
`governing_change` looks for a recent write to one of those settings on that side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.triage.tightened import magnitude
from agent.triage.tls_words import NO_TRUSTED_ROOT

SIDES = ("self", "peer", "issuer", "pooler", "server", "keys", "endpoint")
"""`server`: the server or proxy that enforces a limit (its config map, custom resource or flags; reached by the
erroring pod, or named after the software whose error it is); `keys`: the key material that signs what the
erroring process verifies; `endpoint`: the Service/host the client is configured to reach (a selector that now
takes in the wrong pods)."""


@dataclass(frozen=True)
class Governed:
    """One self-explaining error: its wording, meaning, governing settings, their side and their harmful values."""

    name: str
    error: re.Pattern[str]
    meaning: str
    setting: re.Pattern[str]
    sides: tuple[str, ...]
    harmful: Callable[[str, str | None], bool]
    """Whether `value` of setting `key` explains the error (None: the value is not recorded, only the write)."""
    engine: re.Pattern[str] | None = None
    """The software that enforces the setting, as its kinds and names spell it (a server-side object named after it)."""
    tighter: bool = False
    """A limit: when old and new values are both numbers, only a lower new value explains the error."""
    headline: str = ""
    """A short gloss said right after the setting in the finding (so it survives a truncated headline)."""


def _any(_key: str, _value: str | None) -> bool:
    """A trust bundle's content cannot be judged from its name: any write to it may have dropped a CA."""
    return True


GRPC_MIN_PING_S = 300.0
"""grpc-go's keepalive.EnforcementPolicy.MinTime and grpc-java's permitKeepAliveTime both default to 5 minutes:
a client pinging more often than that gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings"."""


def _short_keepalive(key: str, value: str | None) -> bool:
    """A keepalive time under the servers' default minimum (5 min); a bare number in a `_ms` setting is millis."""
    if value is None:
        return False
    unit = 1e-3 if re.search(r"ms\b|_ms|millis", key, re.I) else 1.0
    seconds = magnitude(value, "time", unit)
    return seconds is not None and 0 < seconds < GRPC_MIN_PING_S


def _transaction_pooling(_key: str, value: str | None) -> bool:
    """PgBouncer/pgcat `pool_mode` or Odyssey `pool` set to transaction or statement: a server connection is
    handed to another client between transactions, so a named server-side prepared statement is gone."""
    return value is not None and bool(re.search(r"\b(?:transaction|statement)\b", value, re.I))


def _staging_acme(_key: str, value: str | None) -> bool:
    """An ACME directory URL of a staging environment (Let's Encrypt acme-staging-v02, others' /staging):
    its certificates chain to a root no client trusts, by design."""
    return value is not None and bool(re.search(r"staging", value, re.I))


TRUST_SETTINGS = re.compile(
    r"truststore|trust[-_.]?store|javax\.net\.ssl\.trustStore|cacerts|\bca\.crt\b|ca[-_]?bundle|ca-certificates|"
    r"REQUESTS_CA_BUNDLE|SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE|NODE_EXTRA_CA_CERTS|certifi|trust[-_]?bundle|"
    r"cacert\.pem|ca-certs?\b", re.I)

TABLE: tuple[Governed, ...] = (
    Governed("tls_trust", NO_TRUSTED_ROOT,
        "the client does not trust the chain the server presented: the CA bundle it loads (a JVM truststore/"
        "cacerts, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, a mounted ca.crt) lacks the issuing CA, or the server's "
        "certificate now chains to a CA nobody trusts; check who last wrote the trust bundle the process mounts",
        TRUST_SETTINGS, ("self", "issuer"), _any),
    Governed("grpc_too_many_pings", re.compile(
        r"too many pings|too_many_pings|ENHANCE_YOUR_CALM", re.I),
        "the gRPC server closes connections with GOAWAY ENHANCE_YOUR_CALM because a client sends keepalive pings "
        "more often than the server permits (default minimum 5 min): the client's keepalive time "
        "(GRPC_ARG_KEEPALIVE_TIME_MS, keepAliveTime, -keepalive) was set too short; look for the client that "
        "changed it, not the server",
        re.compile(r"keep[-_.]?alive[-_.]?time|keepalive(?:[-_.]?(?:ms|interval))?$|GRPC_ARG_KEEPALIVE_TIME_MS|"
                   r"KEEPALIVE_TIME|keepAliveTime|^-?-keepalive\b", re.I),
        ("peer", "self"), _short_keepalive),
    Governed("pooler_prepared_statement", re.compile(
        r"prepared statement \\?\"?[\w$]+\\?\"? (?:does not exist|already exists)|"
        r"unnamed prepared statement does not exist", re.I),
        "a server-side prepared statement vanished between uses: a connection pooler in transaction (or "
        "statement) mode hands the server connection to another client after each transaction; check the "
        "pooler's pool_mode (PgBouncer, pgcat) or pool (Odyssey) and when it changed, or max_prepared_statements",
        re.compile(r"^pool_mode$|\.pool_mode$|^pool$|\.pool$", re.I), ("pooler",), _transaction_pooling),
)

ISSUER = Governed(
    "acme_staging", re.compile(r"\(STAGING\)|Fake LE|acme-staging", re.I),
    "the certificate was issued by an ACME staging directory, whose roots no client trusts by design: the "
    "issuer's spec.acme.server points at staging", re.compile(r"(?:^|\.)acme\.server$|^server$", re.I),
    ("issuer",), _staging_acme)
"""The issuer side's own setting: a served certificate renewed through an issuer whose ACME server is staging."""

from agent.triage.connection_reuse import FAMILY as REUSE_OFF  # noqa: E402  (built from Governed above)
from agent.triage.governing_limits import LIMITS  # noqa: E402  (its families are built from Governed above)

TABLE = (*TABLE, *LIMITS, REUSE_OFF)

BY_NAME = {g.name: g for g in (*TABLE, ISSUER)}

POOLERS = re.compile(r"pgbouncer|pgcat|odyssey|pgpool|supavisor", re.I)
PREPARED_KEPT = re.compile(r"^max_prepared_statements$", re.I)
"""PgBouncer >= 1.21 keeps prepared statements across transaction pooling when this is above 0."""


def recognise(text: str) -> list[Governed]:
    """Every family whose error wording `text` carries, in table order."""
    return [g for g in (*TABLE, ISSUER) if g.error.search(text)]


def meanings(text: str) -> list[str]:
    """The sentences for `meaning.py`."""
    return [g.meaning for g in recognise(text)]
