"""The families disabled_command reads: the error a server prints for what a setting took away, and the setting.

One table, next to its mechanism: each entry says how the server's refusal reads (its own wording, quoted from the
software's error catalogue: Redis, MySQL/MariaDB, PostgreSQL, Elasticsearch/OpenSearch, Kafka), what the setting
that takes the thing away looks like in a config file or args, and what it means for the clients. A new family is
one more entry; the mechanism's logic does not change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One family: the error that names what was taken away, and how a config line takes it away."""

    name: str
    error: re.Pattern[str]
    """The client's error; group `what` is the command or mode it names."""
    short: str
    """What the write does, with `{what}`: the first clause of the headline."""
    meaning: str
    fix: str
    setting: re.Pattern[str] | None = None
    """The directive that turns the mode on, for a family whose error names the mode, not a command."""
    label: str = ""
    """What the error names when it has no `what` group: the setting itself (the error is the setting's own)."""
    names_what: bool = False
    """The directive must name what the error names (`enable-debug-command` for DEBUG, the engine listed)."""


RULES: tuple[Rule, ...] = (
    Rule("redis_command", re.compile(
        r"unknown command [`'\"](?P<what>[A-Za-z][\w-]*)[`'\"]|"
        r"no permissions to run the [`'\"](?P<acl>[A-Za-z][\w-]*)(?:\|[\w-]+)?[`'\"] command", re.I),
         "disabled the Redis command {what} that its clients still call",
         "Redis answers a command renamed away by rename-command (or refused by an ACL rule) with ERR unknown "
         "command / NOPERM, so every client call of it fails; a client that runs it at start-up (configuring the "
         "server) cannot start and crash-loops",
         "restore the command (drop the rename-command/ACL line, restart the server) or stop the clients calling it"),
    Rule("mysql_sql_mode", re.compile(
        r"incompatible with sql_mode=(?P<what>\w+)|"
        r"(?P<strict>Field '[^']+' doesn't have a default value|Data too long for column|"
        r"Incorrect (?:integer|decimal|double) value: '[^']*' for column|Out of range value for column)|"
        r"(?P<zero>Incorrect (?:datetime|date) value: '0000-00-00)", re.I),
         "turned on the SQL mode {what} that its clients' queries break",
         "MySQL applies sql_mode to every session: a mode added on the server rejects statements it accepted before "
         "(ONLY_FULL_GROUP_BY a non-aggregated column outside GROUP BY, STRICT_* a missing or too long value, "
         "NO_ZERO_DATE a zero date), so those queries fail with the mode's error",
         "restore the previous sql_mode on the server (or fix the queries before adding the mode)"),
    Rule("server_read_only", re.compile(
        r"(?P<pg>cannot execute \w+(?: \w+)? in a read-only transaction)|"
        r"(?P<my>running with the --(?:super-)?read-only option so it cannot execute this statement)", re.I),
         "made the database refuse every write ({what} on) while its clients still write",
         "PostgreSQL's default_transaction_read_only makes every new transaction read-only, so each INSERT/UPDATE/"
         "DELETE fails with 'cannot execute ... in a read-only transaction'; MySQL's read_only / super_read_only "
         "refuse writes with error 1290 ('running with the --read-only option'); on a primary set so by a config "
         "write (not a failover) every writer fails while reads go on",
         "turn the setting off on the primary (postgresql.conf / ALTER SYSTEM, my.cnf / SET GLOBAL) and reload",
         re.compile(r"(?:default_transaction_read_only|(?:super[-_])?read[-_]only)\W{1,4}(?:on|true|1|yes)\b",
                    re.I)),
    # ---- settings whose own name the server's refusal spells (the error is the setting's) ----
    # MySQL 5.7+/8 ER_SECURE_TRANSPORT_REQUIRED (3159): every client not using TLS is refused at connect.
    Rule("mysql_secure_transport", re.compile(
        r"Connections using insecure transport are prohibited while --require_secure_transport=ON", re.I),
         "made the database refuse every connection without TLS ({what}=ON) while its clients connect in plain text",
         "MySQL's require_secure_transport rejects every TCP connection that does not use TLS with error 3159, so "
         "clients whose connection strings do not ask for TLS (sslMode/ssl-mode) cannot connect at all",
         "turn require_secure_transport off again, or give the clients TLS (sslMode=REQUIRED) before turning it on",
         re.compile(r"require[-_]secure[-_]transport\W{1,4}(?:on|true|1)\b", re.I),
         label="require_secure_transport"),
    # MySQL 8 ER_CLIENT_LOCAL_FILES_DISABLED (3948); before 8.0 error 1148 'not allowed with this MySQL version'.
    Rule("mysql_local_infile", re.compile(
        r"Loading local data is disabled|The used command is not allowed with this MySQL version", re.I),
         "disabled LOAD DATA LOCAL INFILE ({what}=OFF) that its clients' bulk loads use",
         "MySQL's local_infile=OFF refuses every LOAD DATA LOCAL statement (error 3948), so importers and bulk "
         "loaders (EF BulkExtensions, mysqlimport, ETL jobs) fail while other queries work",
         "set local_infile=ON on the server again, or move the loaders to server-side files or batched INSERTs",
         re.compile(r"local[-_]infile\W{1,4}(?:off|false|0)\b", re.I), label="local_infile"),
    # MySQL ER_DISABLED_STORAGE_ENGINE (3161): CREATE TABLE ... ENGINE=MyISAM refused.
    Rule("mysql_disabled_engine", re.compile(r"Storage engine (?P<what>\w+) is disabled", re.I),
         "disabled the storage engine {what} that its clients' migrations still create tables with",
         "MySQL's disabled_storage_engines refuses CREATE TABLE / ALTER TABLE with a listed engine (error 3161), so a "
         "migration or tool that names it fails",
         "remove the engine from disabled_storage_engines, or change the migrations to InnoDB",
         re.compile(r"disabled[-_]storage[-_]engines\W{1,4}[\w, \"']+", re.I), names_what=True),
    # PostgreSQL: 'prepared transactions are disabled' / HINT 'Set max_prepared_transactions to a nonzero value'.
    Rule("pg_prepared_transactions", re.compile(r"prepared transactions are disabled", re.I),
         "disabled two-phase commit ({what}=0) that its clients' XA/distributed transactions use",
         "PostgreSQL refuses PREPARE TRANSACTION when max_prepared_transactions is 0, so every client running "
         "two-phase commit (JTA/XA transaction managers: Narayana, Atomikos, .NET TransactionScope) fails to commit",
         "set max_prepared_transactions back to a nonzero value (at least max_connections for XA) and restart",
         re.compile(r"max[-_]prepared[-_]transactions\W{1,4}0\b", re.I), label="max_prepared_transactions"),
    # Elasticsearch/OpenSearch: destructive actions (delete, close) with a wildcard refused.
    Rule("es_destructive_requires_name", re.compile(r"Wildcard expressions or all indices are not allowed", re.I),
         "made the search cluster refuse wildcard deletes ({what}: true) that its clients' cleanup uses",
         "Elasticsearch/OpenSearch with action.destructive_requires_name=true answers DELETE/close of 'logs-*' or "
         "_all with 400 illegal_argument_exception, so retention and cleanup jobs that delete by pattern fail and "
         "old indices pile up",
         "set action.destructive_requires_name back to false, or have the cleanup resolve the pattern to names",
         re.compile(r"destructive_requires_name\W{1,4}true\b", re.I), label="action.destructive_requires_name"),
    # Redis 7: 'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local" ...'.
    Rule("redis_protected_command", re.compile(r"ERR (?P<what>DEBUG|MODULE) command not allowed", re.I),
         "disabled the Redis command {what} that its clients still call",
         "Redis 7 refuses DEBUG / MODULE unless enable-debug-command / enable-module-command allows it for the "
         "connection (no: never, local: only over a local connection), so remote clients that call it fail",
         "set the enable-*-command option back to yes for these clients, or stop calling the command",
         re.compile(r"enable-(debug|module)-command\W{1,4}(?:no|local)\b", re.I), names_what=True),
    # Redis: 'NOREPLICAS Not enough good replicas to write.' (min-replicas-to-write, formerly min-slaves-to-write).
    Rule("redis_min_replicas", re.compile(r"NOREPLICAS Not enough good replicas to write", re.I),
         "made the Redis primary refuse writes unless enough replicas acknowledge ({what}) while too few are in sync",
         "a primary with min-replicas-to-write N refuses every write with NOREPLICAS when fewer than N replicas "
         "are connected with lag under min-replicas-max-lag, so every writer fails while reads go on",
         "lower min-replicas-to-write to the replicas that are actually in sync (or 0), or bring the replicas back",
         re.compile(r"min-(?:replicas|slaves)-to-write\W{1,4}[1-9]\d*\b", re.I), label="min-replicas-to-write"),
    # Kafka: TopicDeletionDisabledException 'Topic deletion is disabled.'
    Rule("kafka_topic_deletion", re.compile(r"Topic deletion is disabled", re.I),
         "disabled topic deletion ({what}=false) that its clients' cleanup relies on",
         "a broker with delete.topic.enable=false refuses DeleteTopics (TopicDeletionDisabledException), so jobs "
         "that drop temporary or per-tenant topics fail and the topics pile up",
         "set delete.topic.enable=true on the brokers again (rolling restart), or stop deleting topics",
         re.compile(r"delete\.topic\.enable\W{1,4}false\b", re.I), label="delete.topic.enable"),
)
