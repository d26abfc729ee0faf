"""Database and server error codes whose meaning points at the server's configuration, not the client.

A client that quotes `(1364, "Field 'x' doesn't have a default value")` or `sorry, too many clients
already` is reporting a limit or a mode the *server* enforces: the fix is usually a setting of the
server (my.cnf's sql_mode, postgresql.conf's max_connections), and a change to that setting is the
likeliest trigger when the client did not change. This table holds real codes with the wording the
server itself prints (MySQL's error reference, PostgreSQL's Appendix A SQLSTATE codes, Redis's
replies), what each means, and which server settings govern it. `meaning.py` says the sentence back;
`config_behind_restart` looks for the settings in a config file written just before a restart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from agent.triage.facts import LogEvidence


@dataclass(frozen=True)
class ServerError:
    """One server error: the engine, its code and symbol, the wording that identifies it, and the settings."""

    engine: str
    code: str
    symbol: str
    pattern: re.Pattern[str]
    meaning: str
    settings: tuple[str, ...]

    def sentence(self) -> str:
        return f"{self.engine} error {self.code} ({self.symbol}): {self.meaning}"


_STRICT = ("under a strict sql_mode (STRICT_TRANS_TABLES or STRICT_ALL_TABLES) the server rejects the statement "
           "instead of storing an adjusted value with a warning; sql_mode is server configuration, so check when it "
           "changed (my.cnf, SET GLOBAL) before blaming the client, which may not have changed")

TABLE: tuple[ServerError, ...] = (
    ServerError("MySQL", "1364", "ER_NO_DEFAULT_FOR_FIELD", re.compile(
        r"Field '[^']+' doesn't have a default value", re.I),
        "an INSERT omits a NOT NULL column that has no default value; " + _STRICT, ("sql_mode",)),
    ServerError("MySQL", "1292", "ER_TRUNCATED_WRONG_VALUE", re.compile(
        r"Incorrect (?:date|datetime|time|timestamp) value|Truncated incorrect \w+ value", re.I),
        "a value does not fit its column type (a zero or malformed date, a truncated number); " + _STRICT
        + " (NO_ZERO_DATE and NO_ZERO_IN_DATE reject zero dates)", ("sql_mode",)),
    ServerError("MySQL", "1366", "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD", re.compile(
        r"Incorrect (?:integer|decimal|double|string) value: .{0,80}for column", re.I),
        "a value cannot be converted to its column's type; " + _STRICT, ("sql_mode",)),
    ServerError("MySQL", "1406", "ER_DATA_TOO_LONG", re.compile(r"Data too long for column", re.I),
                "a value is longer than its column; " + _STRICT, ("sql_mode",)),
    ServerError("MySQL", "1055", "ER_WRONG_FIELD_WITH_GROUP", re.compile(
        r"this is incompatible with sql_mode=only_full_group_by|isn't in GROUP BY", re.I),
        "a SELECT lists a column that is neither grouped nor aggregated, which the sql_mode ONLY_FULL_GROUP_BY "
        "refuses; check when sql_mode changed", ("sql_mode",)),
    ServerError("MySQL", "1040", "ER_CON_COUNT_ERROR", re.compile(r"\bToo many connections\b"),
                "the server is at max_connections and refuses new clients", ("max_connections",)),
    ServerError("MySQL", "1203", "ER_TOO_MANY_USER_CONNECTIONS", re.compile(
        r"already has more than 'max_user_connections' active connections", re.I),
        "this account is at max_user_connections", ("max_user_connections",)),
    ServerError("MySQL", "1205", "ER_LOCK_WAIT_TIMEOUT", re.compile(
        r"Lock wait timeout exceeded; try restarting transaction", re.I),
        "a row lock was held longer than innodb_lock_wait_timeout (a long transaction holds it, or the timeout "
        "was lowered)", ("innodb_lock_wait_timeout",)),
    ServerError("MySQL", "1153", "ER_NET_PACKET_TOO_LARGE", re.compile(
        r"Got a packet bigger than 'max_allowed_packet' bytes", re.I),
        "a statement or row is larger than max_allowed_packet", ("max_allowed_packet",)),
    ServerError("MySQL", "3024", "ER_QUERY_TIMEOUT", re.compile(
        r"maximum statement execution time exceeded", re.I),
        "a SELECT ran past max_execution_time", ("max_execution_time",)),
    ServerError("PostgreSQL", "53300", "too_many_connections", re.compile(
        r"sorry, too many clients already|remaining connection slots are reserved", re.I),
        "the server is at max_connections (less the reserved slots) and refuses new clients",
        ("max_connections", "superuser_reserved_connections")),
    ServerError("PostgreSQL", "57014", "query_canceled", re.compile(
        r"canceling statement due to statement timeout", re.I),
        "a statement ran past statement_timeout (a slower plan, or the timeout was lowered)", ("statement_timeout",)),
    ServerError("PostgreSQL", "55P03", "lock_not_available", re.compile(
        r"canceling statement due to lock timeout", re.I),
        "a statement waited for a lock longer than lock_timeout (something holds the lock: a migration, a long "
        "transaction)", ("lock_timeout",)),
    ServerError("PostgreSQL", "25P03", "idle_in_transaction_session_timeout", re.compile(
        r"terminating connection due to idle-in-transaction timeout", re.I),
        "a session sat idle inside a transaction longer than idle_in_transaction_session_timeout",
        ("idle_in_transaction_session_timeout",)),
    ServerError("Redis", "OOM", "maxmemory", re.compile(
        r"OOM command not allowed when used memory > 'maxmemory'", re.I),
        "Redis is at maxmemory and its maxmemory-policy (noeviction) refuses writes", ("maxmemory",
                                                                                         "maxmemory-policy")),
    ServerError("Redis", "ERR", "maxclients", re.compile(r"ERR max number of clients reached", re.I),
                "Redis is at maxclients and refuses new connections", ("maxclients",)),
)
"""Real codes and their servers' own wording; the wording decides, the code number alone never does."""


def recognise(text: str) -> list[ServerError]:
    """Every table entry whose wording `text` carries, in table order, once each."""
    return [e for e in TABLE if e.pattern.search(text)]


def meanings(text: str) -> list[str]:
    """The sentences for the server errors `text` quotes (for agent.triage.meaning)."""
    return [e.sentence() for e in recognise(text)]


def settings_named(text: str) -> list[str]:
    """The server settings that govern the errors `text` quotes, in table order, once each."""
    return list(dict.fromkeys(s for e in recognise(text) for s in e.settings))


def quoted(text: str, room: int = 8) -> str:
    """The first recognised server error in `text`, as printed, with a little context before it (the code)."""
    for e in TABLE:
        m = e.pattern.search(text)
        if m is not None:
            return text[max(0, m.start() - room):m.end() + 2].strip()
    return ""


def logs_quoting(logs: Iterable[LogEvidence], skip: Callable[[LogEvidence], bool] | None = None,
                 ) -> list[tuple[LogEvidence, str, list[str]]]:
    """The logs whose errors quote a server error that a server setting governs: (log, quote, settings),
    the first such error of each log; `skip` leaves some logs out (e.g. the server's own)."""
    out = []
    for log in logs:
        if skip is not None and skip(log):
            continue
        for e in [log.top or {}, *log.more]:
            text = str(e.get("example") or e.get("message") or "")
            names = settings_named(text)
            if names:
                out.append((log, quoted(text), names))
                break
    return out
