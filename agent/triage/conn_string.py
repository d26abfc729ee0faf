"""A connection string (URL or DSN) read as settings: its hosts, database and query parameters.

`MONGODB_URI`, `DATABASE_URL`, a JDBC URL or a `host=... sslmode=...` keyword DSN is one env value
or config key, but it carries settings that decide consistency and availability: MongoDB's
`readPreference`/`w`/`readConcernLevel`, libpq's `sslmode`/`target_session_attrs`, pgjdbc's
`targetServerType`, `connect_timeout`. "env MONGODB_URI changed" names the variable; the parameter is
what to revert. `parse` splits a string into hosts, database and parameters with the credentials
dropped (a user name may stay, a password never does), `diff` compares two versions at that level
as `value_diff.LeafChange`s, and `MEANINGS` says, for the parameters whose new value changes what
callers see, what the driver then does and the symptom it explains (wording from the MongoDB
connection-string reference, libpq's "Connection Strings" and pgjdbc's connection parameters).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from agent.triage.value_diff import LeafChange

SCHEMES = ("mongodb", "mongodb+srv", "postgres", "postgresql", "redis", "rediss", "mysql", "mariadb", "amqp",
           "amqps", "http", "https", "nats", "kafka", "clickhouse", "cassandra", "sqlserver", "oracle")
_URL = re.compile(r"^(?:jdbc:)?(?P<scheme>[a-z][a-z0-9+.-]*)://(?:(?P<user>[^@/?#]*)@)?(?P<hosts>[^/?#]*)"
                  r"(?:/(?P<db>[^?#]*))?(?:\?(?P<query>[^#]*))?", re.I)
_KEYWORD = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
_SECRET = re.compile(r"pass(word|wd)?|secret|token|key$|credential|sslpassword", re.I)


@dataclass(frozen=True)
class ConnString:
    """A connection string's settings: never its password."""

    scheme: str
    hosts: str
    database: str
    params: dict[str, str]

    def settings(self) -> dict[str, str]:
        """Leaf paths as value_diff names them: `hosts`, `database`, `params.readPreference`."""
        out = {"scheme": self.scheme, "hosts": self.hosts, "database": self.database}
        out.update({f"params.{k}": ("(hidden)" if _SECRET.search(k) else v) for k, v in self.params.items()})
        return out


def parse(value: str | None) -> ConnString | None:
    """The string as a `ConnString` when it is a URL of a known scheme (optionally `jdbc:`) or a libpq keyword
    DSN with a host; None for anything else (a plain value stays a plain value)."""
    text = (value or "").strip().strip("'\"")
    if not text or len(text) > 4096:
        return None
    m = _URL.match(text)
    if m and m["scheme"].lower() in SCHEMES:
        query = m["query"] or ""
        if text.lower().startswith("jdbc:") and ";" in (m["db"] or ""):  # jdbc:sqlserver://h;databaseName=x;k=v
            db, _, rest = (m["db"] or "").partition(";")
            query = "&".join(p for p in [query, rest.replace(";", "&")] if p)
        else:
            db = m["db"] or ""
        params = {k: v for k, v in parse_qsl(query, keep_blank_values=True)}
        return ConnString(m["scheme"].lower(), m["hosts"].lower(), unquote(db), params)
    pairs = dict(_KEYWORD.findall(text))
    if "host" in pairs and len(pairs) >= 2 and _KEYWORD.sub("", text).strip() == "":
        params = {k: v.strip("'") for k, v in pairs.items() if k not in ("host", "hostaddr", "port", "dbname")}
        hosts = ",".join(filter(None, [pairs.get("host", ""), pairs.get("port", "")]))
        return ConnString("postgresql", hosts.lower(), pairs.get("dbname", ""), params)
    return None


def diff(old: str | None, new: str | None) -> list[LeafChange] | None:
    """The settings that differ between two connection strings; None unless both sides are connection strings."""
    a, b = parse(old), parse(new)
    if a is None or b is None:
        return None
    before, after = a.settings(), b.settings()
    return [LeafChange(p, before.get(p), after.get(p)) for p in sorted(set(before) | set(after))
            if before.get(p) != after.get(p)]


def without_credentials(value: str) -> str:
    """The string with any password in its user-info (and password-like parameters) replaced: safe to show."""
    text = re.sub(r"(://[^:@/?#]*):[^@/?#]*@", r"\1:(hidden)@", value)
    return re.sub(r"([?&;](?:password|pass|pwd|secret|token|sslpassword)=)[^&;#]*", r"\1(hidden)", text, flags=re.I)


def _is(*values: str) -> Callable[[str | None, str | None], bool]:
    wanted = {v.lower() for v in values}
    return lambda old, new: new is not None and new.lower() in wanted


def _smaller(old: str | None, new: str | None) -> bool:
    try:
        return new is not None and old is not None and float(new) < float(old)
    except ValueError:
        return False


def _gone(old: str | None, new: str | None) -> bool:
    return old is not None and new is None


STALE = "stale"
WRITES = "writes"
TLS = "tls"
CONNECT = "connect"


@dataclass(frozen=True)
class ParamMeaning:
    """One parameter: when its new value matters, what the driver then does, the symptom, and its class."""

    name: str
    when: Callable[[str | None, str | None], bool]
    means: str
    symptom: str
    effect: str
    """STALE (reads may lag writes: a replication-lag series confirms), WRITES, TLS or CONNECT."""


MEANINGS: tuple[ParamMeaning, ...] = (
    ParamMeaning("readPreference", _is("secondary", "secondaryPreferred", "nearest"),
                 "MongoDB drivers then send reads to secondary members, which apply the primary's writes only "
                 "after replication lag", "clients read stale data: a write just made is not seen by the next "
                 "read (read-your-writes broken) for as long as the secondaries lag", STALE),
    ParamMeaning("readConcernLevel", _is("local", "available"),
                 "reads may return data not yet acknowledged by a majority, which a failover can roll back",
                 "data seen once disappears after an election; reads disagree between members", STALE),
    ParamMeaning("w", _is("0", "1"),
                 "writes are acknowledged by fewer members than a majority (w=0: not at all)",
                 "acknowledged writes lost on failover; reads from other members miss them", WRITES),
    ParamMeaning("journal", _is("false"), "writes are acknowledged before they reach the journal",
                 "acknowledged writes lost when a member restarts", WRITES),
    ParamMeaning("retryWrites", _is("false"), "a write interrupted by an election or a network blip is not retried",
                 "write errors at every primary step-down ('not primary', 'NotWritablePrimary')", WRITES),
    ParamMeaning("directConnection", _is("true"),
                 "the driver talks to the one listed host only and does not follow the replica set's primary",
                 "writes fail with 'not primary' when that host is a secondary; no failover", WRITES),
    ParamMeaning("replicaSet", _gone, "without replicaSet the driver does not discover the set's members or primary",
                 "writes fail with 'not primary' or stall after a failover", WRITES),
    ParamMeaning("target_session_attrs", _is("any", "read-only", "prefer-standby", "standby"),
                 "libpq may then connect to a standby (hot standby replica) rather than the primary",
                 "writes fail with 'cannot execute INSERT in a read-only transaction'; reads lag the primary",
                 WRITES),
    ParamMeaning("targetServerType", _is("secondary", "preferSecondary", "preferStandby", "standby", "any"),
                 "pgjdbc may then connect to a standby rather than the primary",
                 "writes fail with 'cannot execute ... in a read-only transaction'; reads lag the primary", WRITES),
    ParamMeaning("readOnly", _is("true"), "the JDBC connection is opened read-only",
                 "writes fail with 'cannot execute ... in a read-only transaction'", WRITES),
    ParamMeaning("sslmode", _is("disable", "allow", "require"),
                 "libpq no longer verifies the server certificate (disable: no TLS at all)",
                 "a server that requires TLS refuses the connection ('no pg_hba.conf entry ... no encryption')", TLS),
    ParamMeaning("sslmode", _is("verify-full", "verify-ca"),
                 "libpq now verifies the server certificate against a root certificate",
                 "connections fail ('root certificate file ... does not exist', 'certificate verify failed')", TLS),
    ParamMeaning("tls", _is("true"), "the driver now requires TLS", "a server without TLS closes the connection", TLS),
    ParamMeaning("connect_timeout", _smaller, "connection attempts give up sooner",
                 "connection timeouts under load or across zones", CONNECT),
    ParamMeaning("connectTimeoutMS", _smaller, "connection attempts give up sooner",
                 "connection timeouts under load or across zones", CONNECT),
    ParamMeaning("serverSelectionTimeoutMS", _smaller, "the driver gives up finding a suitable member sooner",
                 "'Server selection timed out' errors during elections", CONNECT),
    ParamMeaning("socketTimeoutMS", _smaller, "a query that takes longer is cut off", "timeouts on slow queries",
                 CONNECT),
)
"""Parameters whose new value changes consistency or availability, by their drivers' documentation."""


@dataclass(frozen=True)
class Reading:
    """One parameter that changed and the meaning of its new value."""

    change: LeafChange
    meaning: ParamMeaning

    def text(self) -> str:
        """`readPreference unset -> secondary: <means>; explains: <symptom>`."""
        c = self.change
        return (f"{c.path.removeprefix('params.')} {c.old if c.old is not None else 'unset'} -> "
                f"{c.new if c.new is not None else 'unset'}: {self.meaning.means}; explains: {self.meaning.symptom}")


def readings(old: str | None, new: str | None) -> list[Reading]:
    """The changed parameters of two connection strings that the table explains (names compared case-blind)."""
    out: list[Reading] = []
    for leaf in diff(old, new) or []:
        if not leaf.path.startswith("params."):
            continue
        name = leaf.path.removeprefix("params.").lower()
        for meaning in MEANINGS:
            if meaning.name.lower() == name and meaning.when(leaf.old, leaf.new):
                out.append(Reading(leaf, meaning))
                break
    return out
